"""Training, grouped cross-validation, the model directory and the tagging API.

Fast tests train on the seed labels alone (real text, 5 articles); the
shipped-model tests use what is in the package.
"""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import CORPUS, needs_corpus

import themetag
import themetag.evaluation
import themetag.training
from themetag import InputError, ModelError, TrainConfig, load, load_labels
from themetag.evaluation import cross_validate
from themetag.training import fit

FAST = TrainConfig(char_ngrams=None, inner_folds=2, folds=2)


@pytest.fixture(scope="module")
def seed_model(seed_labels, tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "m"
    tagger, report = themetag.train(seed_labels, out=out, config=FAST)
    return out, tagger, report


def test_training_twice_gives_identical_predictions(seed_labels, tmp_path):
    texts = [e.text for e in load_labels(seed_labels).content()]
    a, _ = themetag.train(seed_labels, config=FAST, evaluate=False)
    b, _ = themetag.train(seed_labels, config=FAST, evaluate=False)
    assert [t.to_dict() for t in a.tag_paragraphs(texts)] == [t.to_dict() for t in b.tag_paragraphs(texts)]


def test_cross_validation_never_puts_a_document_on_both_sides(seed_labels, monkeypatch):
    labels = load_labels(seed_labels)
    trained_on: list[set[str]] = []
    real_fit = themetag.evaluation.fit

    def spying_fit(examples, *args, **kwargs):
        trained_on.append({e.doc for e in examples})
        return real_fit(examples, *args, **kwargs)

    monkeypatch.setattr(themetag.evaluation, "fit", spying_fit)
    report = cross_validate(labels, FAST)
    predicted_in: dict[int, set[str]] = {}
    for row in report.predictions:
        predicted_in.setdefault(row["fold"], set()).add(row["doc"])
    assert len(trained_on) == len(predicted_in) == 2
    for fold, docs in predicted_in.items():
        assert docs and not docs & trained_on[fold]  # the fold's model never saw the documents it predicts
    every_doc = {e.doc for e in labels.examples}
    assert set().union(*predicted_in.values()) == every_doc  # and each document is predicted once
    assert sum(len(d) for d in predicted_in.values()) == len(every_doc)


def test_cv_scores_are_those_of_the_out_of_fold_predictions(seed_model):
    _, _, report = seed_model
    summary = report.summary()
    content = [row for row in report.predictions if row["kind"] == "content"]
    themes = report.schema.themes
    truth = [[t in row["themes"] for t in themes] for row in content]
    guess = [[t in row["themes_pred"] for t in themes] for row in content]
    tp = sum(a and b for r, g in zip(truth, guess) for a, b in zip(r, g))
    fp = sum(b and not a for r, g in zip(truth, guess) for a, b in zip(r, g))
    fn = sum(a and not b for r, g in zip(truth, guess) for a, b in zip(r, g))
    assert summary["theme_micro_f1"] == pytest.approx(2 * tp / (2 * tp + fp + fn))
    sides = [s for s in report.schema.stances if s != report.schema.null_stance]
    f1s = []
    for side in sides:
        s_tp = sum(r["stance"] == side == r["stance_pred"] for r in content)
        s_fp = sum(r["stance_pred"] == side != r["stance"] for r in content)
        s_fn = sum(r["stance"] == side != r["stance_pred"] for r in content)
        f1s.append(2 * s_tp / (2 * s_tp + s_fp + s_fn) if s_tp else 0.0)
    assert summary["stance_f_avg"] == pytest.approx(sum(f1s) / len(f1s))
    assert set(report.baselines) == {"majority", "keyword"}
    assert summary["baseline_majority"]["stance_f_avg"] == 0.0  # always "neutral": no side is ever found
    assert len(report.folds) == 2
    assert {row["source"] for row in report.predictions} == {"seeds"}


def test_thresholds_come_from_inner_folds_of_the_training_part(seed_labels, monkeypatch):
    labels = load_labels(seed_labels)
    content = labels.content()
    feature_fits: list[set[str]] = []
    real = themetag.training.fit_features

    def spying_fit_features(texts, *args, **kwargs):
        feature_fits.append({e.doc for e in content if e.text in set(texts)})
        return real(texts, *args, **kwargs)

    monkeypatch.setattr(themetag.training, "fit_features", spying_fit_features)
    model = fit(labels.examples, labels.schema, FAST)
    every_doc = {e.doc for e in content}
    final, inner = feature_fits[0], feature_fits[1:]
    # An inner fold whose training part lacks a theme's positives is skipped, so there may be fewer fits.
    assert final == every_doc and 1 <= len(inner) <= FAST.inner_folds
    held_out = [every_doc - docs for docs in inner]
    assert all(held_out)  # each inner fit holds whole documents out ...
    assert sum(len(h) for h in held_out) == len(set().union(*held_out))  # ... and none twice
    assert set(model.theme_thresholds) <= set(labels.schema.themes) and model.theme_thresholds
    # Without inner folds there is nothing to choose on: the default threshold applies.
    assert fit(labels.examples, labels.schema, FAST, thresholds=False).theme_thresholds == {}


def test_model_directory_has_model_metadata_and_card(seed_model):
    out, _, _ = seed_model
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "metadata.json", "model.npz"]
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["format_version"] == 2
    assert set(meta["versions"]) == {"themetag", "numpy", "scikit-learn", "snowballstemmer", "python"}
    assert len(meta["model"]["sha256"]) == 64 and "stance_coef" in meta["model"]["arrays"]
    assert list(meta["schema"]["themes"]) == [
        "militarization",
        "development",
        "corruption",
        "civilian_defense",
    ]  # the schema's order
    assert len(meta["labels"]["sha256"]) == 64
    assert meta["training"]["seed"] == 0
    assert meta["cv"]["folds"] == 2
    assert "Known limitations" in (out / "README.md").read_text()


def test_saved_model_predicts_like_the_trained_one(seed_model):
    out, tagger, _ = seed_model
    texts = ["The army will deploy troops to eradicate coca.", "Farmers switched to cacao and coffee."]
    assert [t.to_dict() for t in load(out).tag_paragraphs(texts)] == [t.to_dict() for t in tagger.tag_paragraphs(texts)]


def test_tag_paragraphs_result_shape(seed_model):
    _, tagger, _ = seed_model
    [tags] = tagger.tag_paragraphs(["Soldiers destroyed coca fields in the VRAEM valley."], kinds=["content"])
    assert tags.kind == "content"
    assert set(tags.theme_scores) == set(tagger.schema.themes)
    assert tags.stance in tagger.schema.stances
    assert abs(sum(tags.stance_scores.values()) - 1) < 1e-3
    assert all(type(k) is str for k in tags.stance_scores)
    assert set(tags.themes) == {
        t for t, p in tags.theme_scores.items() if p >= tagger.model.theme_thresholds.get(t, 0.5)
    }
    assert json.loads(json.dumps(tags.to_dict()))["stance"] == tags.stance


def test_non_content_paragraphs_get_no_themes(seed_model):
    _, tagger, _ = seed_model
    [tags] = tagger.tag_paragraphs(["SHARE"], kinds=["boilerplate"])
    assert (tags.kind, tags.themes, tags.stance, tags.theme_scores) == ("boilerplate", [], None, {})


def test_bare_string_is_refused(seed_model):
    _, tagger, _ = seed_model
    with pytest.raises(InputError, match="takes a list of paragraph texts, got a single str"):
        tagger.tag_paragraphs("The army moved in.")


def test_article_tags_sum_up_paragraphs(seed_model, repo):
    _, tagger, _ = seed_model
    article = tagger.tag((repo / "seeds" / "002_b13f9584dabc5cc1.txt").read_text(encoding="utf-8"))
    content = [p for p in article.paragraphs if p.kind == "content"]
    assert article.counts["content"] == len(content) > 0
    for theme, share in article.theme_shares.items():
        assert share == pytest.approx(sum(theme in p.themes for p in content) / len(content), abs=1e-4)
    assert json.loads(json.dumps(article.to_dict()))["counts"] == article.counts


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: None, "not a model directory"),
        (lambda d: d.mkdir(), "metadata.json is missing"),
        (
            lambda d: (d.mkdir(), (d / "model.npz").write_bytes(b"x"), (d / "metadata.json").write_text("{")),
            "unreadable metadata",
        ),
        (lambda d: (d.mkdir(), (d / "metadata.json").write_text("[1, 2]")), "unreadable metadata"),
        (
            lambda d: (
                d.mkdir(),
                (d / "model.npz").write_bytes(b"x"),
                (d / "metadata.json").write_text('{"format_version": 99}'),
            ),
            "upgrade themetag",
        ),
        (lambda d: (d.mkdir(), (d / "metadata.json").write_text('{"format_version": 2}')), "model.npz is missing"),
        (
            lambda d: (
                d.mkdir(),
                (d / "model.npz").write_bytes(b"x"),
                (d / "metadata.json").write_text('{"format_version": 2}'),
            ),
            "not themetag model metadata",
        ),
    ],
)
def test_bad_model_directories_are_refused(tmp_path, make, message):
    d = tmp_path / "model"
    make(d)
    with pytest.raises(ModelError, match=message):
        load(d)


def test_failed_training_leaves_the_previous_model(seed_model, tmp_path):
    out, _, _ = seed_model
    target = tmp_path / "m"
    shutil.copytree(out, target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "schema.json").write_text(json.dumps({"themes": ["a"], "stances": ["neutral"]}))
    (bad / "l.jsonl").write_text(
        '{"doc": "x", "para": 0, "text": "t", "kind": "content", "themes": ["nope"], "stance": "neutral"}\n'
    )
    with pytest.raises(themetag.LabelError):
        themetag.train(bad, out=target, config=FAST)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    # No temporary folder is left; the (empty) lock file stays, as lock files must to be safe.
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".m.")) == [".m.lock"]


def test_shipped_model_loads_and_tags():
    tagger = load()
    assert tagger.metadata["format_version"] == themetag.store.FORMAT_VERSION
    assert tagger.metadata["cv"]["n_content"] >= 1000
    article = themetag.tag("Peru will deploy troops to the VRAEM to eradicate coca.\n\nFarmers want alternative crops.")
    assert article.counts["content"] == 2
    assert all(set(p.theme_scores) == set(tagger.schema.themes) for p in article.paragraphs)
    # Loaded once, then cached.
    assert themetag.tagger._cached_default is not None
    cached = themetag.tagger._cached_default
    themetag.tag("Another article.")
    assert themetag.tagger._cached_default is cached


@pytest.mark.slow
@needs_corpus
def test_a_fold_of_the_shipped_models_cross_validation_is_reproduced_from_the_labels(repo):
    """Same labels and seed → the same numbers as the shipped model's metadata, checked one fold a day (a fifth
    of the time; ``python scripts/shipped_cv.py`` re-runs all five and every pooled number)."""
    import datetime
    import statistics

    from themetag.evaluation import cross_validate_fold, fold_summary

    shipped = load()
    cv = shipped.metadata["cv"]
    labels = load_labels(repo / "labels", corpus_dir=CORPUS, articles_dir=repo / "seeds")
    assert shipped.metadata["labels"]["sha256"] == labels.fingerprint()
    stored = cv["fold_scores"]
    # The per-fold numbers are those the stored summary was made from: the same spread, every paragraph once.
    assert statistics.pstdev(f["theme_micro_f1"] for f in stored) == pytest.approx(
        cv["theme_micro_f1_fold_sd"], abs=1e-12
    )
    assert statistics.pstdev(f["stance_f_avg"] for f in stored) == pytest.approx(cv["stance_f_avg_fold_sd"], abs=1e-12)
    assert sum(f["n_content"] for f in stored) == cv["n_content"] and len(stored) == cv["folds"]
    k = datetime.date.today().toordinal() % cv["folds"]
    config = TrainConfig.from_dict(shipped.metadata["training"])
    fold = json.loads(json.dumps(fold_summary(cross_validate_fold(labels, config, k), labels.schema), default=float))
    assert fold == pytest.approx(stored[k], abs=1e-9), f"fold {k}"


def test_report_page_with_plots(seed_model, tmp_path):
    from themetag.report import write_report

    _, _, report = seed_model
    page = write_report(report, tmp_path / "report")
    names = sorted(p.name for p in page.parent.iterdir())
    assert names == ["index.md", "predictions.jsonl", "reliability.png", "stance_confusion.png", "themes.png"]
    assert all((page.parent / n).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for n in names if n.endswith(".png"))
    text = page.read_text()
    assert "![Stance confusion matrix](stance_confusion.png)" in text and "theme micro-F1" in text
    rows = [json.loads(l) for l in (page.parent / "predictions.jsonl").read_text().splitlines()]
    assert len(rows) == len(report.predictions) and {"uid", "fold", "kind_pred"} <= set(rows[0])


def test_shipped_model_is_found_from_any_directory(tmp_path):
    import subprocess
    import sys

    code = "import themetag; t = themetag.load(); print(t.path.is_dir(), t.metadata['format_version'])"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", str(themetag.store.FORMAT_VERSION)]
