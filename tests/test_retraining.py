"""The retraining loop a user runs: segment → label → train → evaluate → tag, with their own schema, safely."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from themetag import TrainConfig, load, load_labels
from themetag.cli import app
from themetag.evaluation import cross_validate
from themetag.review import check_labels, suggest, uncertainty

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "custom_schema"
ARTICLES = ["000_35c1464d740412a7", "004_9d925814d48bd87e"]
FRAMES = {"security", "economy", "governance", "community", "health"}
runner = CliRunner()


def run(*args, input=None):
    result = runner.invoke(app, list(map(str, args)), input=input)
    assert "Traceback" not in result.output
    return result


@pytest.fixture(scope="module")
def user_labels(tmp_path_factory):
    """A user's labels directory: their schema, and their paragraphs labeled (texts from `themetag segment`)."""
    segmented = run("segment", *(REPO / "seeds" / f"{doc}.txt" for doc in ARTICLES))
    assert segmented.exit_code == 0
    paragraphs = {(r["doc"], r["para"]): r for r in map(json.loads, segmented.stdout.splitlines())}
    labels = tmp_path_factory.mktemp("my_labels")
    shutil.copy(FIXTURE / "schema.json", labels / "schema.json")
    with open(labels / "mine.jsonl", "w", encoding="utf-8") as out:
        for line in (FIXTURE / "labels_without_text.jsonl").read_text().splitlines():
            label = json.loads(line)
            record = paragraphs[(label["doc"], label["para"])]
            assert record["kind"] == label["kind"]
            out.write(json.dumps({**record, "themes": label["themes"], "stance": label["stance"]}) + "\n")
    return labels


@pytest.fixture(scope="module")
def user_model(user_labels, tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "mine"
    result = run("train", "--labels", user_labels, "--out", out, "--articles", "")
    assert result.exit_code == 0, result.output
    assert "Grouped 2-fold cross-validation" in result.stdout
    return out


def test_a_custom_schema_goes_end_to_end_through_predict(user_labels, user_model):
    evaluated = run("evaluate", "--labels", user_labels, "--articles", "", "--folds", "2")
    assert evaluated.exit_code == 0 and "stance con F1" in evaluated.stdout and "theme health f1" in evaluated.stdout
    result = run(
        "predict",
        "--model",
        user_model,
        "--paragraphs",
        "--format",
        "jsonl",
        REPO / "seeds" / "002_b13f9584dabc5cc1.txt",
    )
    assert result.exit_code == 0, result.output
    content = [r for r in map(json.loads, result.stdout.splitlines()) if r["kind"] == "content"]
    assert content and all(set(r["theme_scores"]) == FRAMES and r["stance"] in {"pro", "con", "none"} for r in content)
    assert all(r["theme_scores"]["health"] == 0.0 for r in content)  # never labeled: the model never predicts it
    article = json.loads(
        run("predict", "--model", user_model, "--format", "jsonl", REPO / "seeds" / "002_b13f9584dabc5cc1.txt").stdout
    )
    assert set(article["theme_shares"]) == FRAMES and article["stance"] in {"pro", "con", "none"}


def test_retraining_over_a_model_shows_both_and_keeps_the_previous(user_labels, user_model, tmp_path):
    target = tmp_path / "mine"
    shutil.copytree(user_model, target)
    before = load(target).tag_paragraphs(["Police arrested farmers."])
    changes = tmp_path / "changes.jsonl"
    result = run(
        "train",
        "--labels",
        user_labels,
        "--out",
        target,
        "--articles",
        "",
        "--seed",
        "7",
        "--force",
        "--changes",
        changes,
    )
    assert result.exit_code == 0, result.output
    assert "Previous model vs new, grouped CV on the same labels" in result.stdout
    assert "stored in the previous model" in result.stdout  # same labels: its own CV numbers are comparable
    assert "Predictions changed on" in result.stdout
    assert [t.to_dict() for t in load(f"{target}.previous").tag_paragraphs(["Police arrested farmers."])] == [
        t.to_dict() for t in before
    ]
    rows = [json.loads(l) for l in changes.read_text().splitlines()]
    assert all({"where", "label", "previous", "new"} <= set(r) and r["previous"] != r["new"] for r in rows)


def test_killing_training_midway_leaves_the_old_model_as_it_was(user_labels, user_model, tmp_path):
    target = tmp_path / "mine"
    shutil.copytree(user_model, target)
    files = {p.name: p.read_bytes() for p in target.iterdir()}
    text = (REPO / "seeds" / "002_b13f9584dabc5cc1.txt").read_text(encoding="utf-8")
    before = load(target).tag(text).to_dict()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "themetag",
            "train",
            "--labels",
            str(user_labels),
            "--out",
            str(target),
            "--articles",
            "",
            "--force",
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.monotonic() + 120
    for line in process.stderr:  # wait until it is busy cross-validating, then kill it outright
        if "fold 1/" in line or time.monotonic() > deadline:
            break
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    assert {p.name: p.read_bytes() for p in target.iterdir()} == files
    assert load(target).tag(text).to_dict() == before
    assert not Path(f"{target}.previous").exists()


def test_suggest_ranks_uncertain_paragraphs_across_articles(user_model, tmp_path):
    tagger = load(user_model)
    articles = [(p.stem, p.read_text(encoding="utf-8")) for p in sorted((REPO / "seeds").glob("*.txt"))]
    records = suggest(tagger, articles, n=8)
    assert len(records) == 8
    assert len({r["doc"] for r in records}) >= 3  # no single article fills the list
    assert all(r["kind"] == "content" and r["themes"] == [] and r["stance"] is None for r in records)
    # The list is in the order chosen: the first is the most uncertain paragraph of all.
    every = [uncertainty(p, {}) for _, text in articles for p in tagger.tag(text).paragraphs if p.kind == "content"]
    assert records[0]["suggested"]["uncertainty"] >= max(every) - 0.2
    # Filled in, the records are labels.
    labels = tmp_path / "next"
    labels.mkdir()
    shutil.copy(FIXTURE / "schema.json", labels)
    filled = [{**r, "themes": r["suggested"]["themes"], "stance": r["suggested"]["stance"]} for r in records]
    (labels / "next.jsonl").write_text("".join(json.dumps(r) + "\n" for r in filled))
    assert len(load_labels(labels).examples) == 8


def test_suggest_command_writes_label_records(user_model):
    result = run("suggest", "--model", user_model, "-n", "3", REPO / "seeds")
    assert result.exit_code == 0, result.output
    rows = [json.loads(l) for l in result.stdout.splitlines()]
    assert len(rows) == 3 and all(
        {"doc", "para", "text", "kind", "themes", "stance", "suggested"} <= set(r) for r in rows
    )


def test_check_labels_ranks_out_of_fold_disagreements(user_labels):
    labels = load_labels(user_labels)
    report = cross_validate(labels, TrainConfig(char_ngrams=None, folds=2, inner_folds=2))
    rows = check_labels(labels, report.predictions, n=10)
    assert len(rows) == 10
    assert [r["disagreement"] for r in rows] == sorted((r["disagreement"] for r in rows), reverse=True)
    assert all(r["where"].startswith(str(user_labels / "mine.jsonl") + ":") for r in rows)
    line = int(rows[0]["where"].rsplit(":", 1)[1])
    labeled = json.loads((user_labels / "mine.jsonl").read_text().splitlines()[line - 1])
    assert labeled["text"] == rows[0]["text"]


def test_a_custom_schema_models_card_names_only_its_own_schema_sources_and_numbers(user_model):
    card = (user_model / "README.md").read_text(encoding="utf-8")
    meta = json.loads((user_model / "metadata.json").read_text())
    for own in (
        "a user's own frames",
        "`security`",
        "`economy`",
        "`health`",
        "`pro`",
        "`con`",
        "`none`",
        "source `mine`",
    ):
        assert own in card
    assert f"{meta['labels']['examples']} labeled paragraphs" in card
    assert f"{meta['cv']['theme_micro_f1']:.3f}" in card
    assert "Theme `health` has only 0 labeled examples" in card  # a limitation read off the user's own numbers
    for foreign in (
        "militarization",
        "development",
        "corruption",
        "civilian_defense",
        "`favor`",
        "`against`",
        "`neutral`",
        "InSight",
        "insightcrime",
        "UN General",
        "ungdc",
        "Wikipedia",
        "seeds",
        "drug",
        "Peru",
        "Andes",
        "language model",
        "GUIDE.md",
        "0.85",
    ):
        assert foreign not in card, foreign


def test_segment_output_waiting_in_the_labels_folder_is_left_out_with_a_count(user_labels, tmp_path):
    labels = tmp_path / "labels"
    shutil.copytree(user_labels, labels)
    waiting = run("segment", REPO / "seeds" / "002_b13f9584dabc5cc1.txt")
    (labels / "to_label.jsonl").write_text(waiting.stdout)
    evaluated = run("evaluate", "--labels", labels, "--articles", "", "--folds", "2")
    assert evaluated.exit_code == 0, evaluated.output
    assert "left out 6 paragraphs with no labels yet" in evaluated.output
    trained = run("train", "--labels", labels, "--articles", "", "--out", tmp_path / "m", "--no-evaluate")
    assert trained.exit_code == 0, trained.output and "left out 6 paragraphs" in trained.output


def test_a_source_weight_naming_no_label_file_is_an_error_naming_the_sources(user_labels, tmp_path):
    result = run(
        "train",
        "--labels",
        user_labels,
        "--articles",
        "",
        "--out",
        tmp_path / "m",
        "--no-evaluate",
        "--source-weight",
        "mien=3",
    )
    assert result.exit_code == 1 and not (tmp_path / "m").exists()
    assert (
        "source weight for 'mien': no label file of that name; the sources (label file names without .jsonl) are mine"
        in result.output
    )


def test_suggest_skips_labeled_paragraphs_and_puts_furniture_after_prose(user_labels, user_model, monkeypatch):
    from themetag import review

    labeled = run(
        "suggest",
        "--model",
        user_model,
        "-n",
        "500",
        "--labels",
        user_labels,
        *(REPO / "seeds" / f"{d}.txt" for d in ARTICLES),
    )
    assert labeled.exit_code == 0, labeled.output
    taken = {json.loads(l)["text"] for l in labeled.stdout.splitlines()}
    done = {json.loads(l)["text"] for l in (user_labels / "mine.jsonl").read_text().splitlines()}
    assert not taken & done
    # Equally unsure everywhere: every paragraph that reads as prose comes before every one that does not.
    monkeypatch.setattr(review, "uncertainty", lambda tags, thresholds: 0.9)
    lines = [
        "Lima, 3 de septiembre de 2024",
        "Troops burned 300 hectares of coca near the river on Monday, officials said.",
        "Tags: coca, alternative development",
        "Farmers in the valley asked the government for roads and credit instead.",
    ]
    records = review.suggest(load(user_model), [("a", "\n".join(lines))], n=4, unit="line")
    prose = [review.looks_like_prose(r["text"]) for r in records]
    assert prose == sorted(prose, reverse=True) and prose.count(True) == 2


def test_a_kind_people_labeled_wins_in_the_retrained_model(user_labels, tmp_path):
    article = "Coca eradication resumes\n\nListen to this article (4 min)\n\nThe army resumed manual eradication of coca in the valley on Monday, officials said.\n"
    before = load().tag(article)
    assert [p.kind for p in before.paragraphs][1] == "content"  # the rules take it for content
    labels = tmp_path / "labels"
    shutil.copytree(user_labels, labels)
    (labels / "corrections.jsonl").write_text(
        json.dumps({"doc": "c1", "para": 0, "text": "Listen to this article (7 min)", "kind": "boilerplate"}) + "\n"
    )
    trained = run("train", "--labels", labels, "--articles", "", "--out", tmp_path / "m", "--no-evaluate")
    assert trained.exit_code == 0, trained.output
    model = load(tmp_path / "m")
    assert model.model.kind_memory["listen to this article (0 min)"] == "boilerplate"
    after = model.tag(article)
    assert [p.kind for p in after.paragraphs][1] == "boilerplate" and after.paragraphs[2].kind == "content"
    predicted = run("predict", "--model", tmp_path / "m", "--paragraphs", "--format", "csv", "-", input=article)
    import csv

    rows = list(csv.DictReader(predicted.stdout.splitlines()))
    assert predicted.exit_code == 0 and [(r["kind"], r["text"]) for r in rows][1] == (
        "boilerplate",
        "Listen to this article (4 min)",
    )
