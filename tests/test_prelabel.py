"""LLM pre-labels (themetag prelabel), agreement with people, and the labels' way into export and training.

No network: the model is a scripted fake registered through llm's own plugin
mechanism (as llm's tests register theirs), and every socket connection fails.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

llm = pytest.importorskip("llm", reason="the llm extra is not installed: pip install '.[llm]'")
from conftest import REPO  # noqa: E402
from llm.plugins import pm  # noqa: E402

from themetag.agreement import agreement, cohen_kappa  # noqa: E402
from themetag.cli import app  # noqa: E402
from themetag.labels import load_annotations, load_labels  # noqa: E402
from themetag.prelabel import Paragraph, Prelabeler, parse_answer, system_prompt, user_prompt  # noqa: E402
from themetag.schema import Schema  # noqa: E402

runner = CliRunner()
SCHEMA = Schema.load(REPO / "labels")
GOOD = '{"answers": [{"n": 1, "themes": ["militarization"], "stance": "favor"}]}'


class ScriptedModel(llm.Model):
    """Answers by what each paragraph says: good, malformed, off-schema, two stances, flaky, slow, or an error."""

    model_id = "scripted"
    can_stream = False

    def __init__(self):
        self.prompts: list[str] = []
        self.seen: dict[str, int] = {}
        self.in_flight = 0
        self.most_in_flight = 0
        self.lock = threading.Lock()

    def answer_for(self, n: int, text: str) -> dict | str:
        calls = self.seen.get(text, 0)
        if "malformed" in text:
            return "Sure! The themes are militarization and the stance is favor."
        if "off-schema" in text:
            return {"n": n, "themes": ["economy"], "stance": "favor"}
        if "undecided" in text:
            return {"n": n, "themes": [], "stance": ["favor", "against"]}
        if "flaky" in text and calls == 1:
            return "{not json"
        if "boom" in text:
            raise RuntimeError("connection reset by peer")
        themes = [t for t in SCHEMA.themes if t.split("_")[0] in text.lower()]
        stance = "against" if "failed" in text else "favor" if "success" in text else "neutral"
        return {"n": n, "themes": themes, "stance": stance}

    def execute(self, prompt, stream, response, conversation):
        text = prompt.prompt
        with self.lock:
            self.prompts.append(text)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            paragraphs = re.findall(r"\[(\d+)\]\n(.*?)(?=\n\n\[\d+\]\n|\n\nYour previous answer|$)", text, re.DOTALL)
            if any("slow" in p for _, p in paragraphs):
                time.sleep(0.15)
            if any("twice" in p for _, p in paragraphs):  # a key given twice: JSON keeps the last one silently
                yield '{"answers": [{"n": 1, "themes": [], "stance": "favor", "stance": "against"}]}'
                return
            answers = []
            for n, p in paragraphs:
                with self.lock:
                    self.seen[p] = self.seen.get(p, 0) + 1
                answer = self.answer_for(int(n), p)
                if isinstance(answer, str):
                    yield answer
                    return
                answers.append(answer)
            yield json.dumps({"answers": answers})
        finally:
            with self.lock:
                self.in_flight -= 1


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def model(tmp_path, monkeypatch):
    monkeypatch.setenv("LLM_USER_PATH", str(tmp_path / "llm-user"))
    scripted = ScriptedModel()

    class ScriptedPlugin:
        __name__ = "ScriptedPlugin"

        @llm.hookimpl
        def register_models(self, register):
            register(scripted)

    pm.register(ScriptedPlugin(), name="themetag-scripted")
    try:
        yield scripted
    finally:
        pm.unregister(name="themetag-scripted")


def labeler(model, **kwargs) -> Prelabeler:
    return Prelabeler(llm.get_model("scripted"), "scripted", SCHEMA, "Guide text.", **kwargs)


def run(*args, input=None):
    return runner.invoke(app, list(map(str, args)), input=input)


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --------------------------------------------------------------------------- the prompt and validation


def test_prompt_holds_the_guide_and_the_schema():
    system = system_prompt(SCHEMA, "R1. Development needs a drug link.")
    assert "R1. Development needs a drug link." in system
    for name in (*SCHEMA.themes, *SCHEMA.stances):
        assert f"- {name}" in system
    assert SCHEMA.descriptions["militarization"] in system and "army" in system  # description and cues
    assert "strict JSON" in system
    assert user_prompt([Paragraph("d", 0, "one"), Paragraph("d", 1, "two")]).endswith("[1]\none\n\n[2]\ntwo")


@pytest.mark.parametrize(
    "raw, problem",
    [
        (GOOD, None),
        ("```json\n" + GOOD + "\n```", None),
        ('{"themes": ["militarization"], "stance": "favor"}', None),
        ("The stance is favor.", "bad JSON"),
        ('{"answers": [{"n": 1, "themes": ["economy"], "stance": "favor"}]}', "unknown theme 'economy'"),
        ('{"answers": [{"n": 1, "themes": [], "stance": ["favor", "against"]}]}', "2 stances"),
        ('{"answers": [{"n": 1, "themes": [], "stance": "favor", "stance": "against"}]}', "given twice"),
        ('{"answers": [{"n": 1, "themes": [], "stance": "Favor"}]}', "unknown stance 'Favor'"),
        ('{"answers": [{"n": 1, "themes": "militarization", "stance": "favor"}]}', "must be a list"),
        ('{"answers": [{"n": 1, "themes": [], "stance": "favor", "kind": "heading"}]}', "unexpected keys"),
        ('{"answers": [{"n": 2, "themes": [], "stance": "favor"}]}', "not asked"),
        ('{"answers": []}', "no answer for this paragraph"),
    ],
)
def test_parse_answer(raw, problem):
    [answer] = parse_answer(raw, SCHEMA, 1)
    if problem is None:
        assert answer == parse_answer(GOOD, SCHEMA, 1)[0] and answer.problem is None
    else:
        assert problem in answer.problem and answer.themes == () and answer.stance is None


def test_a_batch_answer_is_checked_per_paragraph():
    raw = '{"answers": [{"n": 1, "themes": [], "stance": "neutral"}, {"n": 2, "themes": ["x"], "stance": "favor"}]}'
    first, second = parse_answer(raw, SCHEMA, 2)
    assert first.stance == "neutral" and first.problem is None
    assert "unknown theme 'x'" in second.problem


# --------------------------------------------------------------------------- retries and failures


@pytest.mark.parametrize(
    "text, failed, attempts",
    [
        ("Troops were deployed; the militarization was a success.", None, 1),
        ("A flaky answer about corruption.", None, 2),  # bad once, good when asked again
        ("A malformed answer.", "bad JSON", 2),
        ("An off-schema answer.", "unknown theme 'economy'", 2),
        ("An undecided answer.", "2 stances", 2),
        ("A key given twice.", "given twice", 2),
        ("boom", "model error: RuntimeError: connection reset by peer", 2),
    ],
)
def test_label_retries_once_then_records_the_reason(model, text, failed, attempts):
    [record] = labeler(model).label([Paragraph("d", 0, text)])
    assert record["annotator"] == "llm:scripted" and record["llm"]["attempts"] == attempts
    assert len(model.prompts) == attempts
    if failed is None:
        assert "failed" not in record and record["stance"] in SCHEMA.stances
        assert record["llm"]["answers"][-1]  # the raw answer is kept
    else:
        assert failed in record["failed"]
        assert record["themes"] == [] and record["stance"] is None  # never guessed
    if attempts == 2:
        assert "Your previous answer could not be used" in model.prompts[1]


def test_run_keeps_to_the_concurrency_limit_and_loses_nothing(model):
    paragraphs = [Paragraph("d", i, f"slow paragraph {i}") for i in range(12)]
    started = time.monotonic()
    records = [r for batch in labeler(model, jobs=3).run(paragraphs) for r in batch]
    assert sorted(r["para"] for r in records) == list(range(12))
    assert model.most_in_flight == 3
    assert time.monotonic() - started < 12 * 0.15  # in parallel, not one after another


def test_batches_put_several_paragraphs_in_one_prompt(model):
    paragraphs = [Paragraph("d", i, f"paragraph {i} on corruption") for i in range(5)]
    records = [r for batch in labeler(model, batch=2).run(paragraphs) for r in batch]
    assert len(model.prompts) == 3 and len(records) == 5
    assert all(r["themes"] == ["corruption"] and "failed" not in r for r in records)


# --------------------------------------------------------------------------- the command: output, resume, estimate

ARTICLES = {
    "a1": "The army deployed troops to the valley; officials called the militarization a success.\n\n"
    "A malformed paragraph about development.\n\nFarmers said eradication failed and asked for development.\n",
    "a2": "Corruption in the police was tied to traffickers, a report on corruption said.\n\n"
    "An off-schema paragraph.\n",
}


@pytest.fixture
def articles(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, text in ARTICLES.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    return folder


def test_prelabel_writes_label_records_and_a_rerun_skips_what_is_done(model, articles, tmp_path):
    out = tmp_path / "llm.jsonl"
    result = run("prelabel", articles, "--llm", "scripted", "--out", out, "--schema", REPO / "labels")
    assert result.exit_code == 1, result.output  # two paragraphs got no valid answer
    records = read(out)
    assert len(records) == 5 and {r["annotator"] for r in records} == {"llm:scripted"}
    failed = sorted(r["failed"].split(":")[0] for r in records if "failed" in r)
    assert failed == [
        "bad JSON",
        "unknown theme 'economy'; the schema's themes are militarization, development, corruption, civilian_defense",
    ]
    good = {r["text"][:9]: r for r in records if "failed" not in r}
    assert good["The army "]["themes"] == ["militarization"] and good["The army "]["stance"] == "favor"
    assert good["Farmers s"]["stance"] == "against" and good["Corruptio"]["themes"] == ["corruption"]
    assert "3 paragraphs" not in result.output and "2 failed" in result.output

    prompts = len(model.prompts)
    again = run("prelabel", articles, "--llm", "scripted", "--out", out, "--schema", REPO / "labels")
    assert again.exit_code == 0 and "5 paragraphs already done" in again.output and "nothing to label" in again.output
    assert len(model.prompts) == prompts and len(read(out)) == 5

    retried = run(
        "prelabel", articles, "--llm", "scripted", "--out", out, "--schema", REPO / "labels", "--retry-failed"
    )
    assert retried.exit_code == 1 and len(model.prompts) == prompts + 4  # two paragraphs, asked twice each
    assert len(read(out)) == 7

    # The label loader reads the good ones and counts the failed ones.
    folder = tmp_path / "labels"
    folder.mkdir()
    (folder / "schema.json").write_text((REPO / "labels" / "schema.json").read_text())
    (folder / "llm.jsonl").write_text(out.read_text())
    label_set = load_labels(folder)
    assert label_set.per_annotator() == {"llm:scripted": 3} and len(label_set.failed) == 4


def test_an_article_too_long_to_segment_is_named_and_the_others_are_labeled(model, articles, tmp_path):
    (articles / "huge.txt").write_text("army\n\n" * 100_001, encoding="utf-8")
    out = tmp_path / "llm.jsonl"
    result = run("prelabel", articles, "--llm", "scripted", "--out", out, "--schema", REPO / "labels")
    assert result.exit_code == 1 and "huge.txt: article may have more than 100,000 paragraphs" in result.output
    assert len(read(out)) == 5  # every paragraph of the other articles


def test_an_interrupted_run_resumes_after_the_last_whole_line(model, articles, tmp_path):
    out = tmp_path / "llm.jsonl"
    run("prelabel", articles, "--llm", "scripted", "--out", out, "--n", "2", "--schema", REPO / "labels")
    assert len(read(out)) == 2
    with open(out, "a", encoding="utf-8") as handle:
        handle.write('{"doc": "a1", "para": 3, "text": "Farm')  # killed in the middle of a write
    result = run("prelabel", articles, "--llm", "scripted", "--out", out, "--schema", REPO / "labels")
    assert "2 paragraphs already done" in result.output
    records = read(out)
    assert len(records) == 5 and len({(r["doc"], r["para"]) for r in records}) == 5


def test_another_models_output_is_not_continued(model, articles, tmp_path):
    out = tmp_path / "llm.jsonl"
    out.write_text(
        json.dumps({"doc": "a1", "para": 1, "text": "x", "themes": [], "stance": "neutral", "annotator": "llm:other"})
        + "\n"
    )
    result = run("prelabel", articles, "--llm", "scripted", "--out", out, "--schema", REPO / "labels")
    assert result.exit_code == 1 and "holds labels by 'llm:other'" in result.output


def test_unknown_model_and_missing_llm_plugin_are_one_line_errors(model, articles, tmp_path):
    result = run("prelabel", articles, "--llm", "no-such-model", "--out", tmp_path / "o.jsonl")
    assert result.exit_code == 1 and "llm knows no model 'no-such-model'" in result.output


@pytest.fixture
def many(tmp_path):
    path = tmp_path / "many.jsonl"
    path.write_text(
        "".join(json.dumps({"id": f"d{i}", "text": f"Paragraph {i} on corruption."}) + "\n" for i in range(60))
    )
    return path


def test_a_long_run_prints_an_estimate_and_asks(model, many, tmp_path):
    out = tmp_path / "llm.jsonl"
    args = ("prelabel", many, "--llm", "scripted", "--out", out, "--schema", REPO / "labels", "--price", "0.15,0.6")
    # Not a terminal and no --yes: refused before any prompt is sent.
    refused = run(*args)
    assert refused.exit_code == 2 and "60 prompts to send: pass --yes" in refused.output and not model.prompts
    # --yes: the estimate is printed and the run goes on.
    result = run(*args, "--yes")
    assert result.exit_code == 0, result.output
    estimate = re.search(
        r"estimate: 60 prompts for 60 paragraphs, about ([\d,]+) input and ([\d,]+) output tokens, about \$([\d.]+)",
        result.output,
    )
    assert estimate, result.output
    tokens_in = int(estimate.group(1).replace(",", ""))
    assert 60 * len(system_prompt(SCHEMA, (REPO / "labels" / "GUIDE.md").read_text())) // 4 <= tokens_in
    assert int(estimate.group(2).replace(",", "")) == 60 * 30
    assert float(estimate.group(3)) == pytest.approx((tokens_in * 0.15 + 1800 * 0.6) / 1e6, abs=0.006)
    assert "the first answer took" in result.output and len(read(out)) == 60


def test_answering_no_stops_after_the_timed_first_prompt(model, many, tmp_path, monkeypatch):
    out = tmp_path / "llm.jsonl"
    monkeypatch.setattr("themetag.cli._can_ask", lambda: True)
    result = run("prelabel", many, "--llm", "scripted", "--out", out, "--schema", REPO / "labels", input="n\n")
    assert result.exit_code == 0 and "go on? [y/N]" in result.output and "stopped" in result.output
    assert len(read(out)) == 1 and len(model.prompts) == 1


def test_records_input_labels_the_same_paragraphs(model, tmp_path):
    people = tmp_path / "people.jsonl"
    people.write_text(
        "".join(
            json.dumps(r) + "\n"
            for r in [
                {
                    "doc": "x",
                    "para": 0,
                    "text": "Troops: a success of militarization.",
                    "kind": "content",
                    "themes": ["militarization"],
                    "stance": "favor",
                },
                {"doc": "x", "para": 1, "text": "Menu", "kind": "boilerplate", "themes": [], "stance": None},
            ]
        )
    )
    out = tmp_path / "llm.jsonl"
    result = run("prelabel", people, "--records", "--llm", "scripted", "--out", out, "--schema", REPO / "labels")
    assert result.exit_code == 0, result.output
    [record] = read(out)
    assert (record["doc"], record["para"], record["themes"], record["stance"]) == ("x", 0, ["militarization"], "favor")


# --------------------------------------------------------------------------- agreement


def test_cohen_kappa_matches_scikit_learn():
    from sklearn.metrics import cohen_kappa_score

    a = ["favor", "against", "neutral", "neutral", "favor", "neutral", "against", "neutral"]
    b = ["favor", "neutral", "neutral", "neutral", "against", "neutral", "against", "favor"]
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))
    assert cohen_kappa(["x", "x"], ["x", "x"]) is None and cohen_kappa([], []) is None


def _labels_folder(tmp_path, human, machine):
    folder = tmp_path / "agree"
    folder.mkdir()
    (folder / "schema.json").write_text((REPO / "labels" / "schema.json").read_text())
    (folder / "people.jsonl").write_text("".join(json.dumps(r) + "\n" for r in human))
    (folder / "llm.jsonl").write_text("".join(json.dumps({**r, "annotator": "llm:scripted"}) + "\n" for r in machine))
    return folder


def rec(para, themes, stance, text=None):
    return {"doc": "d", "para": para, "text": text or f"paragraph {para}", "themes": themes, "stance": stance}


def test_agreement_per_theme_and_stance_with_confusion_tables(tmp_path):
    human = [
        rec(0, ["militarization"], "favor"),
        rec(1, [], "neutral"),
        rec(2, ["corruption"], "against"),
        rec(3, [], "neutral"),
        rec(9, [], "neutral"),
    ]
    machine = [
        rec(0, ["militarization"], "favor"),
        rec(1, ["militarization"], "neutral"),
        rec(2, ["corruption"], "neutral"),
        rec(3, [], "neutral"),
        {**rec(8, [], "neutral"), "failed": "bad JSON", "stance": None},
    ]
    folder = _labels_folder(tmp_path, human, machine)
    found = load_annotations(folder, schema=SCHEMA)
    assert {k: len(v) for k, v in found.items()} == {"human": 5, "llm:scripted": 4}
    result = agreement(found["human"], found["llm:scripted"], SCHEMA, a="human", b="llm:scripted")
    assert (result.both, result.only_a, result.only_b) == (4, 1, 0)
    assert result.themes["corruption"]["kappa"] == 1.0
    assert result.themes["militarization"]["kappa"] == pytest.approx(0.5)
    assert result.confusion["militarization"]["table"] == [[1, 0], [1, 2]]  # rows human yes/no, columns model yes/no
    assert result.confusion["stance"]["labels"] == ["favor", "against", "neutral"]
    assert result.confusion["stance"]["table"] == [[1, 0, 0], [0, 0, 1], [0, 0, 2]]
    assert result.themes["development"]["kappa"] is None  # nobody used it: undefined, not 1

    out = run("agreement", folder, "--a", "human", "--b", "llm:scripted")
    assert out.exit_code == 0, out.output
    assert "labels by annotator: human 5, llm:scripted 4" in out.output
    assert "4 paragraphs labeled by both" in out.output and "does NOT meet the required 0.80" in out.output
    assert "stance: rows human, columns llm:scripted" in out.output
    as_json = json.loads(run("agreement", folder, "--b", "llm:scripted", "--format", "json").stdout)
    assert as_json["lowest_kappa"] == pytest.approx(result.lowest_kappa())
    missing = run("agreement", folder, "--b", "llm:other")
    assert missing.exit_code == 1 and "no labels by 'llm:other'" in missing.output


def test_prelabel_then_agreement_end_to_end(model, tmp_path):
    human = [
        rec(0, ["militarization"], "favor", "Troops: a militarization success."),
        rec(1, ["corruption"], "neutral", "Police corruption grew."),
        rec(2, ["development"], "against", "Eradication failed; development is needed."),
    ]
    folder = _labels_folder(tmp_path, human, [])
    (folder / "llm.jsonl").unlink()
    result = run(
        "prelabel",
        folder / "people.jsonl",
        "--records",
        "--llm",
        "scripted",
        "--out",
        folder / "llm.jsonl",
        "--schema",
        folder,
    )
    assert result.exit_code == 0, result.output
    out = run("agreement", folder, "--b", "llm:scripted", "--require", "0.9")
    assert out.exit_code == 0 and "meets the required 0.90" in out.output


# --------------------------------------------------------------------------- people's labels win; counts per annotator


def test_a_persons_label_wins_over_the_models(tmp_path):
    folder = _labels_folder(
        tmp_path,
        [rec(0, [], "neutral"), rec(1, ["corruption"], "against")],
        [rec(0, ["militarization"], "favor"), rec(2, [], "neutral")],
    )
    for order in ("people first", "model first"):
        if order == "model first":
            (folder / "people.jsonl").rename(folder / "zz_people.jsonl")
        label_set = load_labels(folder)
        by_uid = {e.uid: e for e in label_set.examples}
        assert by_uid["d#0"].annotator == "human" and by_uid["d#0"].stance == "neutral"
        assert by_uid["d#2"].annotator == "llm:scripted" and len(label_set.superseded) == 1
        assert label_set.per_annotator() == {"human": 2, "llm:scripted": 1}
    only = load_labels(folder, annotators=["human"])
    assert only.per_annotator() == {"human": 2} and only.left_out == {"llm:scripted": 2}


def test_a_bad_annotator_is_a_label_error(tmp_path):
    folder = _labels_folder(tmp_path, [{**rec(0, [], "neutral"), "annotator": ""}], [])
    with pytest.raises(Exception, match="annotator"):
        load_labels(folder)


def test_labels_without_annotator_keep_their_fingerprint(tmp_path):
    folder = _labels_folder(tmp_path, [rec(0, [], "neutral")], [])
    before = load_labels(folder).fingerprint()
    (folder / "people.jsonl").write_text(json.dumps({**rec(0, [], "neutral"), "annotator": "human"}) + "\n")
    assert load_labels(folder).fingerprint() == before
    (folder / "people.jsonl").write_text(json.dumps({**rec(0, [], "neutral"), "annotator": "llm:x"}) + "\n")
    assert load_labels(folder).fingerprint() != before


# --------------------------------------------------------------------------- review in Label Studio and doccano

LLM_RECORDS = [
    {
        "doc": "d",
        "para": 0,
        "text": "Troops were deployed.",
        "kind": "content",
        "themes": ["militarization"],
        "stance": "favor",
        "annotator": "llm:scripted",
        "llm": {"answers": ["..."], "attempts": 1},
    },
    {
        "doc": "d",
        "para": 1,
        "text": "Farmers need roads.",
        "kind": "content",
        "themes": [],
        "stance": None,
        "annotator": "llm:scripted",
        "failed": "bad JSON: not valid JSON",
        "llm": {"answers": ["?", "?"], "attempts": 2},
    },
]


@pytest.fixture
def llm_file(tmp_path):
    path = tmp_path / "llm.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in LLM_RECORDS))
    return path


def test_export_puts_llm_labels_in_label_studio_predictions(llm_file, tmp_path):
    out = tmp_path / "tasks.json"
    result = run("export-tasks", llm_file, "--to", "label-studio", "--schema", REPO / "labels", "--out", out)
    assert result.exit_code == 0, result.output
    first, second = json.loads(out.read_text())
    [prediction] = first["predictions"]
    assert prediction["model_version"] == "llm:scripted"
    assert {r["from_name"]: r["value"]["choices"] for r in prediction["result"]} == {
        "kind": ["content"],
        "themes": ["militarization"],
        "stance": ["favor"],
    }
    assert "annotations" not in first  # a prediction to accept or correct, never a person's label
    assert "predictions" not in second  # the failed one: nothing to offer


def test_export_to_doccano_marks_the_pre_annotation_and_import_keeps_it_apart(llm_file, tmp_path):
    out = tmp_path / "doccano.jsonl"
    assert run("export-tasks", llm_file, "--to", "doccano", "--schema", REPO / "labels", "--out", out).exit_code == 0
    first, second = read(out)
    assert first["label"] == ["militarization", "stance:favor"]
    assert first["prelabeled_by"] == "llm:scripted" and first["prelabel"] == ["militarization", "stance:favor"]
    assert second["label"] == [] and "prelabeled_by" not in second
    # doccano exports what was imported, with what people did; one example corrected, one left as the model had it.
    corrected = {
        **first,
        "id": 2,
        "para": 2,
        "text": "Police raided a farm.",
        "label": ["militarization", "stance:against"],
    }
    export = tmp_path / "export.jsonl"
    export.write_text("".join(json.dumps(e) + "\n" for e in [{**first, "id": 1}, corrected]))
    labels = tmp_path / "imported.jsonl"
    result = run("import-labels", export, "--from", "doccano", "--schema", REPO / "labels", "--out", labels)
    assert result.exit_code == 0, result.output
    assert "(by annotator: human 1, llm:scripted 1)" in result.output and "pre-annotation unchanged" in result.output
    kept, fixed = read(labels)
    assert kept["annotator"] == "llm:scripted" and "annotator" not in fixed and fixed["stance"] == "against"


# --------------------------------------------------------------------------- distillation: training on LLM labels


def _fast_config():
    from themetag.config import TrainConfig

    return TrainConfig(char_ngrams=None, folds=2, inner_folds=2, classifier="logistic")


FAST = _fast_config()


def _mixed_labels(tmp_path) -> Path:
    """The seed articles' labels (people's) and a language model's labels of other documents."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "schema.json").write_text((REPO / "labels" / "schema.json").read_text())
    (folder / "seeds.jsonl").write_text((REPO / "labels" / "seeds.jsonl").read_text())
    human = [json.loads(line) for line in (REPO / "labels" / "seeds.jsonl").read_text().splitlines()]
    machine = [
        {**r, "doc": f"llm-{r['doc']}", "annotator": "llm:scripted"} for r in human if r.get("kind") == "content"
    ][:40]
    (folder / "llm.jsonl").write_text("".join(json.dumps(r) + "\n" for r in machine))
    return folder


def test_cross_validation_scores_people_only_and_trains_on_both(tmp_path):
    from themetag.evaluation import cross_validate, grouped_splits

    label_set = load_labels(_mixed_labels(tmp_path))
    human = [e for e in label_set.examples if e.annotator == "human"]
    machine = [i for i, e in enumerate(label_set.examples) if e.annotator != "human"]
    assert len(machine) == 40
    for train_idx, test_idx in grouped_splits(label_set.examples, 5):
        assert all(label_set.examples[i].annotator == "human" for i in test_idx)
        assert set(machine) <= set(train_idx)  # their documents are never held out
        assert not {label_set.examples[i].doc for i in train_idx} & {label_set.examples[i].doc for i in test_idx}
    report = cross_validate(label_set, FAST)
    assert report.overall["n_content"] == sum(e.kind == "content" for e in human)
    assert {row["uid"] for row in report.predictions} == {e.uid for e in human}


def test_only_llm_labels_cannot_be_evaluated(tmp_path):
    from themetag.evaluation import cross_validate

    folder = _mixed_labels(tmp_path)
    label_set = load_labels(folder, annotators=["llm:scripted"])
    with pytest.raises(Exception, match="people's labels only"):
        cross_validate(label_set, FAST)


def test_llm_labels_get_their_own_weight():
    from themetag.config import TrainConfig
    from themetag.labels import Example
    from themetag.training import check_source_weights, sample_weights

    examples = [
        Example("a#0", "a", 0, "t", "content", (), "neutral", "x/people.jsonl", 1),
        Example("b#0", "b", 0, "t", "content", (), "neutral", "x/llm.jsonl", 1, annotator="llm:scripted"),
    ]
    config = TrainConfig(source_weights={"llm:scripted": 0.5, "people": 2.0})
    check_source_weights(examples, config)
    assert list(sample_weights(examples, config)) == [2.0, 0.5]
    with pytest.raises(Exception, match="no label file or annotator"):
        check_source_weights(examples, TrainConfig(source_weights={"llm:other": 0.5}))


def test_train_card_counts_labels_per_annotator_and_annotator_filters(tmp_path):
    from themetag.config import config_text

    folder = _mixed_labels(tmp_path)
    config = tmp_path / "fast.toml"
    config.write_text(config_text(FAST))
    result = run(
        "train",
        "--labels",
        folder,
        "--out",
        tmp_path / "m",
        "--no-evaluate",
        "--config",
        config,
        "--source-weight",
        "llm:scripted=0.5",
        "--articles",
        REPO / "seeds",
    )
    assert result.exit_code == 0, result.output
    assert "labels by annotator: human 215, llm:scripted 40" in result.output
    card = (tmp_path / "m" / "README.md").read_text()
    assert "labeled paragraphs per annotator: `human` 215, `llm:scripted` 40 (40 labels from a language model" in card
    # --annotator keeps one annotator's labels (people's here); naming one who labeled nothing is an error, at once.
    wrong = run(
        "train", "--labels", folder, "--out", tmp_path / "h", "--annotator", "human", "--annotator", "llm:nobody"
    )
    assert (
        wrong.exit_code == 1
        and "no labels by 'llm:nobody' (--annotator); the annotators of these labels are human, llm:scripted"
        in wrong.output
    )
    assert "255 records in 2 files: 215 paragraphs kept" in wrong.output and not (tmp_path / "h").exists()


@pytest.mark.parametrize("command", ["prelabel", "agreement"])
def test_new_commands_have_help(command):
    result = run(command, "--help")
    assert result.exit_code == 0 and "Usage" in result.output and "Exit codes" in result.output
