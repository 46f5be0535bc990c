"""Collection estimates: the sample (random, seeded, stratified), the statistics (against a hand calculation and
by coverage over many seeded draws), the refusals, and the commands end to end."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

pytest.importorskip("ppi_py")

from themetag import estimates as E  # noqa: E402
from themetag.errors import InputError, LabelError  # noqa: E402
from themetag.schema import Schema  # noqa: E402
from themetag.tagger import ParagraphTags, summarize  # noqa: E402

SCHEMA = Schema(themes=("army", "crops"), stances=("pro", "con", "none"), null_stance="none")


def article(doc: str, paragraphs: list[tuple[str, float, bool]], **metadata):
    """A tagged article of content paragraphs (text, P(army), tagged army), as tag_many gives them."""
    tags = [
        ParagraphTags(
            text=text,
            kind="content",
            themes=["army"] if tagged else [],
            theme_scores={"army": p, "crops": 0.1},
            stance="none",
            stance_scores={"pro": 0.2, "con": 0.1, "none": 0.7},
            index=i,
        )
        for i, (text, p, tagged) in enumerate(paragraphs)
    ]
    return summarize(tags, SCHEMA, doc, metadata)


def collection(size: int = 40, outlets=("a", "b")):
    return [
        article(
            f"d{k}",
            [(f"paragraph {k}.{i} text", 0.1 * (i % 10), i % 3 == 0) for i in range(5)],
            outlet=outlets[k % len(outlets)],
            date=f"{2010 + k % 6}-06-01",
        )
        for k in range(size)
    ]


def labeled(records, army=lambda r: "1" in r["text"]):
    out = []
    for r in records:
        r = dict(r, themes=["army"] if army(r) else [], stance="none")
        out.append(r)
    return out


# --------------------------------------------------------------------------- sample


def test_sample_is_seeded_order_free_and_simple_random():
    tagged = collection()
    first = E.sample(tagged, 30, seed=7)
    again = E.sample(list(reversed(tagged)), 30, seed=7)
    other = E.sample(tagged, 30, seed=8)
    key = lambda s: sorted((r["doc"], r["para"]) for r in s.records)  # noqa: E731
    assert key(first) == key(again) and first.collection == again.collection
    assert key(first) != key(other)
    assert len(first.records) == 30 and first.population == {"all": 200}
    about = first.records[0]["sample"]
    assert about["inclusion_probability"] == pytest.approx(30 / 200) and about["design"] == "simple"
    assert all(r["themes"] == [] and r["stance"] is None and r["kind"] == "content" for r in first.records)
    # Every paragraph is as likely to be drawn: over many seeds each is drawn about n/N of the time.
    counts = {}
    for seed in range(300):
        for r in E.sample(tagged, 30, seed=seed).records:
            counts[r["id"]] = counts.get(r["id"], 0) + 1
    rates = np.array([counts.get(f"d{k}#{i}", 0) / 300 for k in range(40) for i in range(5)])
    assert abs(rates.mean() - 0.15) < 1e-9 and rates.min() > 0.05 and rates.max() < 0.28


def test_sample_stratified_per_stratum_and_proportional():
    tagged = collection(outlets=("a", "a", "a", "b"))  # a: 150 paragraphs, b: 50
    per = E.sample(tagged, 20, by="outlet")
    assert per.population == {"a": 150, "b": 50} and per.size == {"a": 20, "b": 20}
    probability = {r["sample"]["stratum"]: r["sample"]["inclusion_probability"] for r in per.records}
    assert probability == {"a": pytest.approx(20 / 150), "b": pytest.approx(20 / 50)}
    proportional = E.sample(tagged, 20, by="outlet", allocation="proportional")
    assert proportional.size == {"a": 15, "b": 5}
    assert E.allocate(5, {"x": 3, "y": 100}, "per-stratum") == {"x": 3, "y": 5}


def test_article_sample_writes_every_content_paragraph_of_each_article():
    drawn = E.sample(collection(), 4, level="article", seed=2)
    docs = {r["doc"] for r in drawn.records}
    assert len(docs) == 4 and len(drawn.records) == 20
    assert {r["sample"]["level"] for r in drawn.records} == {"article"}


# --------------------------------------------------------------------------- the statistics


def test_ppi_interval_matches_a_hand_calculation():
    rng = np.random.default_rng(3)
    f_all = rng.random(500)
    at = rng.choice(500, 80, replace=False)
    y = (rng.random(80) < 0.3 + 0.5 * (f_all[at] - 0.5)).astype(float)
    f = f_all[at]
    estimate, low, high = E.mean_interval(y, f, f_all, alpha=0.05)
    z = E._z(0.05)
    # PPI++ by hand (Angelopoulos, Duchi, Zrnic 2023): λ = Cov(y, f) / ((1 + n/N) Var(f)), clipped to [0, 1];
    # θ = λ·mean(f over N) + mean(y − λ·f over n); se² = Var(λ·f)/N + Var(y − λ·f)/n.
    n, N = len(y), len(f_all)
    lam = np.mean((y - y.mean()) * (f - f.mean())) / ((1 + n / N) * np.var(np.concatenate([f, f_all]), ddof=1))
    lam = min(max(lam, 0.0), 1.0)
    theta = lam * f_all.mean() + np.mean(y - lam * f)
    by_hand = math.sqrt(np.var(lam * f_all) / N + np.var(y - lam * f) / n)
    assert 0 < lam < 1
    assert estimate == pytest.approx(theta, abs=1e-12)
    assert (low, high) == (pytest.approx(theta - z * by_hand, rel=1e-9), pytest.approx(theta + z * by_hand, rel=1e-9))
    plain, plain_low, plain_high = E.mean_interval(y, f, f_all, alpha=0.05, power_tuned=False)
    assert plain == pytest.approx(y.mean()) and plain_high - plain == pytest.approx(z * np.std(y) / math.sqrt(n))
    assert high - low < plain_high - plain_low  # an informative model narrows the interval


def test_all_alike_or_nearly_labels_get_a_wilson_interval_not_a_point():
    z = E._z(0.05)
    estimate, low, high = E.mean_interval(
        np.zeros(40), np.full(40, 0.3), np.full(900, 0.3) + np.linspace(0, 0.1, 900), alpha=0.05
    )
    assert estimate == 0 and E._bounds(low, high) == (0.0, round(z * z / (40 + z * z), 4))
    estimate, low, high = E.mean_interval(np.ones(10), np.full(10, 0.3), np.full(90, 0.3), alpha=0.05)
    assert E._bounds(low, high) == (round(10 / (10 + z * z), 4), 1.0)
    # 3 of 60: the normal interval's top is too low; Wilson's (computed by hand here) is held too.
    y = np.array([1.0] * 3 + [0.0] * 57)
    estimate, low, high = E.mean_interval(y, y * 0.5 + 0.1, np.full(500, 0.15), alpha=0.05, power_tuned=False)
    p, n = 0.05, 60
    center = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert estimate == pytest.approx(0.05) and high == pytest.approx(center + half) and low < center - half
    # 5 of 60 and more: the normal interval alone.
    y = np.array([1.0] * 5 + [0.0] * 55)
    estimate, low, high = E.mean_interval(y, y, np.full(500, 0.15), alpha=0.05, power_tuned=False)
    assert high - estimate == pytest.approx(z * np.std(y) / math.sqrt(60))


def synthetic_population(rng, size=3000, share=0.2):
    """Units with a known share and a biased model: it finds a true unit only 40% of the time (the 3x-too-rare case)."""
    y = (rng.random(size) < share).astype(float)
    f = np.clip(np.where(y == 1, rng.beta(2, 3, size), rng.beta(1, 12, size)), 0, 1)
    return y, f


def test_coverage_over_many_seeded_draws():
    rng = np.random.default_rng(11)
    y_all, f_all = synthetic_population(rng)
    truth = y_all.mean()
    naive = (f_all >= 0.5).mean()
    assert naive < truth / 2  # the counts are biased: the case the estimates exist for
    covered = plain_covered = 0
    widths, plain_widths, errors = [], [], []
    draws = 400
    for _ in range(draws):
        at = rng.choice(len(y_all), 60, replace=False)
        value, low, high = E.mean_interval(y_all[at], f_all[at], f_all, alpha=0.05)
        low, high = E._bounds(low, high)
        covered += low <= truth <= high
        widths.append(high - low)
        errors.append(abs(value - truth))
        plain, low, high = E.mean_interval(y_all[at], f_all[at], f_all, alpha=0.05, power_tuned=False)
        low, high = E._bounds(low, high)
        plain_covered += low <= truth <= high
        plain_widths.append(high - low)
    assert 0.91 <= covered / draws <= 0.99
    assert 0.90 <= plain_covered / draws <= 0.99
    assert np.mean(widths) < np.mean(plain_widths)
    assert np.mean(errors) < abs(naive - truth) / 3


def test_stratified_estimate_weights_strata_by_their_size_and_covers():
    rng = np.random.default_rng(5)
    # Two outlets of very different sizes and shares, sampled at very different rates.
    truth_of = {}
    tagged = []
    for k in range(300):
        outlet = "big" if k < 240 else "small"
        share = 0.1 if outlet == "big" else 0.6
        paragraphs = []
        for i in range(4):
            y = rng.random() < share
            p = float(np.clip(rng.beta(3, 3) if y else rng.beta(1, 8), 0, 1))
            text = f"p {k} {i}"
            truth_of[text] = y
            paragraphs.append((text, round(p, 4), p >= 0.5))
        tagged.append(article(f"d{k}", paragraphs, outlet=outlet))
    true_share = np.mean(list(truth_of.values()))
    covered, draws = 0, 60
    for seed in range(draws):
        drawn = E.sample(tagged, 40, by="outlet", seed=seed)
        validation = labeled(drawn.records, army=lambda r: truth_of[r["text"]])
        rows = E.estimate(tagged, validation)
        army = next(r for r in rows if r.label == "army")
        big = [truth_of[r["text"]] for r in validation if r["sample"]["stratum"] == "big"]
        small = [truth_of[r["text"]] for r in validation if r["sample"]["stratum"] == "small"]
        assert army.labeled_only == pytest.approx(0.8 * np.mean(big) + 0.2 * np.mean(small), abs=1e-4)
        assert army.design == "stratified by outlet" and army.n == 80 and army.N == 1200
        covered += army.ci_low <= true_share <= army.ci_high
    assert covered / draws >= 0.88


# --------------------------------------------------------------------------- estimate: rows and refusals


def test_estimate_rows_by_group_and_trend():
    tagged = collection()
    validation = labeled(E.sample(tagged, 25, by="outlet", seed=1).records)
    rows = E.estimate(tagged, validation, by="outlet")
    assert {(r.group, r.label) for r in rows} == {
        (g, l) for g in ("all", "a", "b") for l in ("army", "crops", "pro", "con", "none")
    }
    a = next(r for r in rows if r.group == "a" and r.label == "army")
    assert (a.N, a.n, a.level, a.statistic, a.confidence) == (100, 25, "paragraph", "share", 0.95)
    assert a.ci_low <= a.estimate <= a.ci_high and a.labeled_ci_low <= a.labeled_only <= a.labeled_ci_high
    assert rows.to_frame().shape == (15, len(E.EstimateRow.__dataclass_fields__)) if _has_pandas() else True
    trend = E.estimate(tagged, validation, trend="date")
    assert {r.statistic for r in trend} == {"change per year"} and all(r.N == 200 for r in trend)


def _has_pandas() -> bool:
    try:
        import pandas  # noqa: F401
    except ImportError:
        return False
    return True


def test_small_groups_are_reported_with_a_warning():
    tagged = collection()
    validation = labeled(E.sample(tagged, 6, by="outlet", seed=1).records)
    rows = E.estimate(tagged, validation, by="outlet")
    assert all("unreliable" in r.warning for r in rows if r.group != "all")
    assert all("a stratum of this group has only 6 validated" in r.warning for r in rows if r.group == "all")


def test_a_stratum_left_unsampled_is_said_not_hidden():
    tagged = collection(size=41, outlets=("a",) * 40 + ("b",))  # b: one article, 5 paragraphs of 205
    drawn = E.sample(tagged, 10, by="outlet", allocation="proportional", seed=1)
    assert drawn.size == {"a": 10, "b": 0}
    rows = E.estimate(tagged, labeled(drawn.records), by="outlet")
    b = next(r for r in rows if r.group == "b" and r.label == "army")
    assert b.n == 0 and math.isnan(b.estimate) and "none validated" in b.warning
    overall = next(r for r in rows if r.group == "all" and r.label == "army")
    assert "5 of 205 units are in strata with none validated" in overall.warning


def test_refusals_name_the_record_and_why():
    tagged = collection()
    drawn = labeled(E.sample(tagged, 10, seed=1).records)
    with pytest.raises(LabelError, match="record 3: its text differs from the collection's paragraph"):
        E.estimate(tagged, drawn[:2] + [dict(drawn[2], text="words nobody wrote here")] + drawn[3:])
    with pytest.raises(LabelError, match="record 3: matches no content paragraph"):
        E.estimate(tagged, drawn[:2] + [dict(drawn[2], doc="elsewhere", text="words nobody wrote here")] + drawn[3:])
    with pytest.raises(LabelError, match="record 11: the same paragraph as record 1"):
        E.estimate(tagged, drawn + drawn[:1])
    # A paragraph added by hand with a copied "sample" object is not part of the draw.
    picked = next(r for r in labeled(E.sample(tagged, 200, seed=1).records) if r["id"] not in {d["id"] for d in drawn})
    with pytest.raises(LabelError, match="record 11: not one of the paragraphs this sample drew"):
        E.estimate(tagged, drawn + [dict(picked, sample=drawn[0]["sample"])])
    dropped = E.estimate(tagged, drawn[:7])
    assert dropped[0].n == 7 and any(
        "3 of the 10 paragraphs the sample drew were not labeled" in n for n in dropped.notes
    )
    with pytest.raises(LabelError, match="record 1: not labeled yet"):
        E.estimate(tagged, [dict(drawn[0], stance=None)] + drawn[1:])
    outside = [{k: v for k, v in r.items() if k != "sample"} for r in drawn]
    with pytest.raises(LabelError, match="not drawn by `themetag sample`.*--assume-random"):
        E.estimate(tagged, outside)
    assumed = E.estimate(tagged, outside, assume_random=True)
    assert assumed[0].design == "assumed simple random" and any("--assume-random" in n for n in assumed.notes)
    with pytest.raises(LabelError, match="drawn from another collection"):
        E.estimate(tagged[:-1], drawn)
    mixed = drawn[:5] + labeled(E.sample(tagged, 10, seed=2).records)[5:]
    with pytest.raises(LabelError, match="from another draw"):
        E.estimate(tagged, mixed)
    with pytest.raises(LabelError, match="unknown theme 'navy'"):
        E.estimate(tagged, [dict(drawn[0], themes=["navy"])] + drawn[1:])
    articles = labeled(E.sample(tagged, 3, level="article", seed=1).records)
    with pytest.raises(LabelError, match="has 5 content paragraphs and 4 are labeled"):
        E.estimate(tagged, articles[1:], level="article", schema=SCHEMA)
    with pytest.raises(LabelError, match="a sample of articles cannot estimate paragraph shares"):
        E.estimate(tagged, articles)


def test_a_text_shared_by_two_articles_is_matched_by_its_place():
    shared = "The same wire story ran in both papers, word for word, about the coca fields."
    tagged = [
        article("x1", [(shared, 0.8, True), ("Only in x1, about the army and its plans.", 0.2, False)], outlet="A"),
        article("y1", [("Only in y1, about farmers and their roads.", 0.1, False), (shared, 0.8, True)], outlet="B"),
    ]
    tagged += collection(size=6)
    for seed in range(40):
        drawn = E.sample(tagged, 1, by="outlet", seed=seed)
        if {(r["doc"], r["para"]) for r in drawn.records} >= {("y1", 1)}:
            break
    rows = E.estimate(tagged, labeled(drawn.records), by="outlet")
    b = next(r for r in rows if r.group == "B" and r.label == "army")
    assert b.n == 1 and "none validated" not in b.warning
    articles = E.sample(
        tagged,
        1,
        level="article",
        seed=next(s for s in range(60) if E.sample(tagged, 1, level="article", seed=s).records[0]["doc"] == "y1"),
    )
    assert E.estimate(tagged, labeled(articles.records), level="article", schema=SCHEMA)[0].n == 1


def test_group_values_and_fields_that_would_mislead_are_handled():
    tagged = collection(outlets=("all", "b"))
    rows = E.estimate(tagged, labeled(E.sample(tagged, 10, by="outlet", seed=1).records), by="outlet")
    assert sorted({r.group for r in rows}) == ["all", "all (as written)", "b"]
    validation = labeled(E.sample(tagged, 10, seed=1).records)
    with pytest.raises(InputError, match="--by outlett: no article has that field"):
        E.estimate(tagged, validation, by="outlett")
    with pytest.raises(InputError, match="--trend published: no article has that field"):
        E.estimate(tagged, validation, trend="published")
    with pytest.raises(InputError, match="no article has a 'outlett' field"):
        E.sample(tagged, 10, by="outlett")


def test_article_level_uses_the_article_rule_on_peoples_labels():
    tagged = collection()
    drawn = E.sample(tagged, 8, level="article", seed=4).records
    # People find the army in every paragraph of odd articles: those articles' dominant themes include it.
    validation = labeled(drawn, army=lambda r: int(r["doc"][1:]) % 2 == 1)
    rows = E.estimate(tagged, validation, level="article", schema=SCHEMA)
    army = next(r for r in rows if r.label == "army")
    odd = len({r["doc"] for r in drawn if int(r["doc"][1:]) % 2 == 1})
    assert (army.N, army.n, army.level) == (40, 8, "article")
    assert army.labeled_only == pytest.approx(odd / 8)
    none = next(r for r in rows if r.label == "none")
    assert none.labeled_only == 1.0  # every paragraph labeled "none": no side


# --------------------------------------------------------------------------- the commands, end to end

from conftest import CORPUS, REPO  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from themetag.cli import app  # noqa: E402


def run(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result


def people_labels(with_corpus: bool) -> dict:
    """The project's human labels by text hash: what the person labeling the sample would have said."""
    import themetag

    sources = [REPO / "labels" / "seeds.jsonl"] + (
        [REPO / "labels" / "corpus" / "insightcrime.jsonl"] if with_corpus else []
    )
    labels = themetag.load_labels(
        sources, schema=Schema.load(REPO / "labels"), corpus_dir=CORPUS if with_corpus else None
    )
    return {E.text_hash(e.text): e for e in labels.examples}


def annotated(tasks: list[dict], truth: dict) -> list[dict]:
    """Label Studio's export of the tasks after a person labeled those the project has labels for."""
    done = []
    for number, task in enumerate(tasks, start=1):
        example = truth.get(E.text_hash(task["data"]["text"]))
        if example is None:
            continue  # not labeled: left out of the export, as an unfinished task would be skipped
        result = [{"from_name": "kind", "to_name": "text", "type": "choices", "value": {"choices": [example.kind]}}]
        if example.kind == "content":
            result.append(
                {"from_name": "stance", "to_name": "text", "type": "choices", "value": {"choices": [example.stance]}}
            )
            if example.themes:
                result.append(
                    {
                        "from_name": "themes",
                        "to_name": "text",
                        "type": "choices",
                        "value": {"choices": list(example.themes)},
                    }
                )
        done.append({"id": number, "data": task["data"], "annotations": [{"id": number, "result": result}]})
    return done


@pytest.mark.parametrize(
    "with_corpus", [False, pytest.param(True, marks=pytest.mark.skipif(not CORPUS.is_dir(), reason="no corpus"))]
)
def test_sample_label_import_estimate_through_the_command_line(tmp_path, with_corpus):
    inputs = [REPO / "seeds"] + ([CORPUS / "insightcrime_articles.jsonl"] if with_corpus else [])
    sample_file = tmp_path / "sample.jsonl"
    by = ["--by", "source"] if with_corpus else []  # the seed articles have no source field: refused as a typo would be
    result = run("sample", *inputs, "--n", 12, *by, "--seed", 3, "--out", sample_file)
    assert result.exit_code == 0, result.output
    assert "drew" in result.output and sample_file.is_file()
    again = run("sample", *inputs, "--n", 12, *by, "--seed", 3, "--out", sample_file)
    assert again.exit_code == 1 and "exists; pass --force" in again.output

    tasks_file = tmp_path / "tasks.json"
    result = run("export-tasks", sample_file, "--to", "label-studio", "--out", tasks_file)
    assert result.exit_code == 0, result.output
    tasks = json.loads(tasks_file.read_text())
    assert all("sample" in t["data"] for t in tasks)
    export = tmp_path / "export.json"
    export.write_text(json.dumps(annotated(tasks, people_labels(with_corpus))))
    validation = tmp_path / "validation.jsonl"
    result = run("import-labels", export, "--from", "label-studio", "--schema", REPO / "labels", "--out", validation)
    assert result.exit_code == 0, result.output

    table = tmp_path / "estimates.csv"
    result = run("estimate", *inputs, "--validation", validation, *by, "--out", table)
    assert result.exit_code == 0, result.output
    import csv

    rows = list(csv.DictReader(table.open()))
    groups = {"all", "(none)", "InSight Crime"} if with_corpus else {"all"}
    assert {r["group"] for r in rows} == groups
    assert {r["label"] for r in rows} == {
        "militarization",
        "development",
        "corruption",
        "civilian_defense",
        "favor",
        "against",
        "neutral",
    }
    for r in rows:
        assert float(r["ci_low"]) <= float(r["estimate"]) <= float(r["ci_high"])
        assert r["design"] == ("stratified by source" if with_corpus else "simple random")

    if _has_pandas():
        pytest.importorskip("matplotlib")
        drawn = run("plot", table, "--out", tmp_path / "plots")
        assert drawn.exit_code == 0, drawn.output
        assert {p.name for p in (tmp_path / "plots").iterdir()} == {"estimates_themes.png", "estimates_stances.png"}
        assert run("plot", table, "--out", tmp_path / "plots").exit_code == 1  # not replaced without --force

    # The same labels without the sample's design are refused, and taken with --assume-random.
    bare = tmp_path / "bare.jsonl"
    bare.write_text(
        "".join(json.dumps({k: v for k, v in json.loads(l).items() if k != "sample"}) + "\n" for l in validation.open())
    )
    refused = run("estimate", *inputs, "--validation", bare)
    assert refused.exit_code == 1 and "not drawn by `themetag sample`" in refused.output
    assumed = run("estimate", *inputs, "--validation", bare, "--assume-random", "--format", "jsonl")
    assert assumed.exit_code == 0 and "--assume-random" in assumed.output
    # Another collection (one article fewer) is refused.
    other = run("estimate", REPO / "seeds" / "000_35c1464d740412a7.txt", "--validation", validation)
    assert other.exit_code == 1 and "Error:" in other.output


def test_sample_refuses_a_partial_collection_and_bad_options(tmp_path):
    out = tmp_path / "s.jsonl"
    result = run("sample", REPO / "seeds", tmp_path / "missing.txt", "--n", 5, "--out", out)
    assert result.exit_code == 1 and "no sample was written" in result.output and not out.exists()
    assert run("sample", REPO / "seeds", "--n", 5, "--level", "sentence", "--out", out).exit_code == 2
    assert run("estimate", REPO / "seeds", "--validation", out, "--format", "parquet").exit_code == 2


def test_a_validation_sample_labeled_by_a_language_model_is_refused():
    record = {
        "doc": "d",
        "para": 0,
        "text": "Troops arrived.",
        "kind": "content",
        "themes": ["army"],
        "stance": "none",
        "annotator": "llm:llama3.2",
    }
    with pytest.raises(LabelError, match="labeled by 'llm:llama3.2', not by a person"):
        E.read_validation([record], themes=SCHEMA.themes, stances=SCHEMA.stances)
    record["annotator"] = "human:ana"
    assert len(E.read_validation([record], themes=SCHEMA.themes, stances=SCHEMA.stances)) == 1


@pytest.mark.parametrize(
    "change, message",
    [
        ({"stratum": ["a"]}, '"sample" stratum must be'),
        ({"stratum": {"a": 1}}, '"sample" stratum must be'),
        ({"by": {"a": 1}}, '"sample" by must be'),
        ({"n": 0}, '"sample" n must be a whole number of at least 1'),
        ({"n": -5}, '"sample" n must be a whole number of at least 1'),
        ({"n": True}, '"sample" n must be'),
        ({"population": [1]}, '"sample" population must be'),
        ({"size": "5"}, '"sample" size must be'),
        ({"seed": "abc"}, '"sample" seed must be a whole number'),
        ({"collection": [1]}, '"sample" collection must be'),
        ({"design": {"a": 1}}, '"sample" design must be'),
        ({"level": [1]}, '"sample" level must be'),
        ({"allocation": None}, '"sample" allocation must be'),
        ({"inclusion_probability": float("nan")}, '"sample" inclusion_probability must be'),
        ({"format": 2}, 'a "sample" of format 2'),
    ],
)
def test_a_malformed_sample_block_is_refused_in_one_line(change, message):
    tagged = collection(12)
    drawn = labeled(E.sample(tagged, 3, by="outlet", seed=1).records)
    broken = drawn[:1] + [dict(drawn[1], sample={**drawn[1]["sample"], **change})] + drawn[2:]
    with pytest.raises(LabelError, match=f"^record 2: {message}"):
        E.estimate(tagged, broken, by="outlet")


def test_a_malformed_sample_block_exits_1_naming_the_file_and_line(tmp_path):
    tagged = collection(12)
    drawn = labeled(E.sample(tagged, 3, by="outlet", seed=1).records)
    drawn[1]["sample"]["n"] = 0
    validation = tmp_path / "v.jsonl"
    validation.write_text("".join(json.dumps(r) + "\n" for r in drawn))
    with pytest.raises(LabelError, match=r'v\.jsonl:2: "sample" n must be'):
        E.estimate(tagged, validation, by="outlet")
