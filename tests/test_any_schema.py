"""Retraining for someone else's labels and schema, the way users bring them: a TSV, a stance-only schema, the CLI.

The texts are the project's real labeled seed paragraphs, re-shaped as a stance data set would come (one text
per row, stances FAVOR / AGAINST / NONE, no themes) — real published text, labels mapped, nothing invented.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

import themetag
from themetag.errors import LabelError
from themetag.interop import TableColumns, read_table
from themetag.schema import Schema

REPO = Path(__file__).resolve().parent.parent
STANCE_SCHEMA = {
    "name": "stance toward militarized drug policy",
    "themes": {},
    "stances": ["favor", "against", "none"],
    "null_stance": "none",
}


def run(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "themetag", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300
    )


@pytest.fixture(scope="module")
def stance_table(tmp_path_factory) -> tuple[Path, list[dict]]:
    """seeds.jsonl's content paragraphs as a TSV: ID, Target, Tweet, Stance (upper case, "NONE" for neutral)."""
    folder = tmp_path_factory.mktemp("stance")
    rows = []
    for line in (REPO / "labels" / "seeds.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["kind"] == "content":
            stance = {"neutral": "NONE"}.get(record["stance"], record["stance"].upper())
            rows.append(
                {
                    "ID": f"{record['doc']}-{record['para']}",
                    "Target": "militarized drug policy",
                    "Tweet": record["text"],
                    "Stance": stance,
                }
            )
    path = folder / "stance.tsv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter="\t")
        writer.writeheader()
        writer.writerows(rows)
    (folder / "schema.json").write_text(json.dumps(STANCE_SCHEMA), encoding="utf-8")
    return path, rows


def test_a_stance_only_tsv_trains_and_tags_through_the_cli_alone(stance_table, tmp_path):
    table, rows = stance_table
    labels = tmp_path / "labels"
    labels.mkdir()
    (labels / "schema.json").write_text(json.dumps(STANCE_SCHEMA), encoding="utf-8")
    imported = run(
        "import-labels",
        table,
        "--from",
        "tsv",
        "--schema",
        labels,
        "--text-column",
        "Tweet",
        "--stance-column",
        "Stance",
        "--id-column",
        "ID",
        "--out",
        labels / "stance.jsonl",
        cwd=tmp_path,
    )
    assert imported.returncode == 0, imported.stderr
    assert f"{len(rows)} labeled paragraphs written" in imported.stderr

    evaluated = run("evaluate", "--labels", labels, "--folds", "3", "--output", tmp_path / "metrics.json", cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    assert "theme" not in evaluated.stdout.lower()  # no rows of zeros for themes the schema does not have
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert 0 <= metrics["stance_f_avg"] <= 1 and "theme_micro_f1" not in metrics

    trained = run("train", "--labels", labels, "--out", tmp_path / "model", "--no-evaluate", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr

    texts = tmp_path / "texts.jsonl"
    texts.write_text("".join(json.dumps({"id": r["ID"], "text": r["Tweet"]}) + "\n" for r in rows), encoding="utf-8")
    predicted = run("predict", texts, "--model", tmp_path / "model", "--unit", "paragraph", "-f", "jsonl", cwd=tmp_path)
    assert predicted.returncode == 0, predicted.stderr
    results = [json.loads(line) for line in predicted.stdout.splitlines()]
    assert [r["id"] for r in results] == [r["ID"] for r in rows]
    assert all(r["paragraphs"][0]["stance"] in ("favor", "against", "none") for r in results)  # 0 left untagged

    tagger = themetag.load(tmp_path / "model")
    for row, result in zip(rows, results):
        assert tagger.tag(row["Tweet"], unit="paragraph").paragraphs[0].stance == result["paragraphs"][0]["stance"]


def test_table_import_reports_every_bad_row_and_keeps_the_good_ones(tmp_path):
    schema = Schema.from_dict(STANCE_SCHEMA)
    table = tmp_path / "t.csv"
    table.write_text(
        'id,text,stance\n1,Troops left the valley.,favor\n2,,against\n3,Talks resumed.,maybe\n4,Nothing labeled.,\n5,"Quoted, with a comma.",AGAINST\n',
        encoding="utf-8",
    )
    records = read_table(table, schema, errors="collect")
    assert [(r["text"], r["stance"]) for r in records] == [
        ("Troops left the valley.", "favor"),
        ("Quoted, with a comma.", "against"),
    ]
    assert [(p.line, str(p).split(": ", 1)[1].split(";")[0]) for p in records.problems] == [
        (3, "no text in column 'text' (the columns are 'id', 'text', 'stance')"),
        (4, "unknown stance 'maybe'"),
    ]
    assert records.skipped == ["line 5 (no labels)"]
    with pytest.raises(LabelError, match=r"t\.csv:3: no text"):
        read_table(table, schema)


def test_table_import_with_themes_docs_and_a_filter(tmp_path):
    schema = Schema.load(REPO / "labels")
    table = tmp_path / "t.jsonl"
    rows = [
        {
            "article": "a",
            "text": "First paragraph.",
            "tags": "militarization; corruption",
            "side": "Neutral",
            "Target": "x",
        },
        {"article": "a", "text": "Second paragraph.", "tags": ["development"], "side": "favor", "Target": "x"},
        {"article": "b", "text": "Other target.", "tags": "", "side": "against", "Target": "y"},
    ]
    table.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    columns = TableColumns(doc="article", themes="tags", stance="side", where={"Target": "x"})
    records = read_table(table, schema, columns=columns)
    assert [(r["doc"], r["para"], r["themes"], r["stance"]) for r in records] == [
        ("a", 0, ["militarization", "corruption"], "neutral"),
        ("a", 1, ["development"], "favor"),
    ]
    # --where on the same column twice keeps any of its values (it kept only the last given).
    imported = tmp_path / "both.jsonl"
    done = run(
        "import-labels", table, "--from", "jsonl", "--doc-column", "article", "--themes-column", "tags",
        "--stance-column", "side", "--where", "Target=x", "--where", "Target=y", "--out", imported, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["doc"] for line in imported.read_text(encoding="utf-8").splitlines()] == ["a", "a", "b"]


# --------------------------------------------------------------------------- the training configuration file


def test_init_config_writes_every_setting_and_train_reads_it_back(tmp_path, stance_table):
    from themetag.config import load_config
    from themetag.training import TrainConfig

    made = run("init-config", tmp_path / "train.toml", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert load_config(tmp_path / "train.toml") == TrainConfig()
    again = run("init-config", tmp_path / "train.toml", cwd=tmp_path)
    assert again.returncode == 1 and "exists; pass --force" in again.stderr

    text = (
        (tmp_path / "train.toml")
        .read_text()
        .replace('classifier = "logistic"', 'classifier = "svm"')
        .replace("# my_outlet = 3.0", "stance = 2.0")
    )
    (tmp_path / "train.toml").write_text(text)
    assert load_config(tmp_path / "train.toml") == TrainConfig(classifier="svm", source_weights={"stance": 2.0})

    table, _ = stance_table
    labels = tmp_path / "labels"
    labels.mkdir()
    (labels / "schema.json").write_text(json.dumps(STANCE_SCHEMA))
    assert (
        run(
            "import-labels",
            table,
            "--from",
            "tsv",
            "--schema",
            labels,
            "--text-column",
            "Tweet",
            "--stance-column",
            "Stance",
            "--out",
            labels / "stance.jsonl",
            cwd=tmp_path,
        ).returncode
        == 0
    )
    trained = run(
        "train",
        "--labels",
        labels,
        "--out",
        tmp_path / "m",
        "--no-evaluate",
        "--config",
        tmp_path / "train.toml",
        "--seed",
        "7",
        cwd=tmp_path,
    )
    assert trained.returncode == 0, trained.stderr
    stored = themetag.load(tmp_path / "m").metadata["training"]
    assert (stored["classifier"], stored["source_weights"], stored["seed"]) == (
        "svm",
        {"stance": 2.0},
        7,
    )  # the option won over the file


@pytest.mark.parametrize(
    "line, message",
    [
        ('clasifier = "svm"', "does not know: clasifier"),
        ('folds = "5"', "'folds' must be an integer from 2 to 100"),
        ("word_ngrams = [1, 3000]", "'word_ngrams' must be \\[low, high\\]"),
        ('classifier = "forest"', '\'classifier\' must be "logistic", "svm" or "auto"'),
        ("theme_c = -1", "'theme_c' must be a number"),
        ("seed = ", "not valid TOML"),
    ],
)
def test_a_bad_config_file_is_refused_naming_the_setting(tmp_path, line, message):
    from themetag.config import load_config

    path = tmp_path / "bad.toml"
    path.write_text(line + "\n")
    with pytest.raises(LabelError, match=message) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: ")


def test_the_svm_head_is_calibrated_linear_and_survives_saving(tmp_path):
    """A linear SVM with Platt scaling folded into its weights: probabilities that sum to 1, saved and loaded as data."""
    from themetag.training import TrainConfig

    folder = tmp_path / "labels"
    folder.mkdir()
    for name in ("schema.json", "seeds.jsonl"):
        (folder / name).write_bytes((REPO / "labels" / name).read_bytes())
    tagger, _ = themetag.train(folder, out=tmp_path / "svm", config=TrainConfig(classifier="svm"), evaluate=False)
    assert tagger.model.stance.link == "ovr" and tagger.model.themes.link == "sigmoid"
    texts = [json.loads(line)["text"] for line in (folder / "seeds.jsonl").read_text().splitlines()[:40]]
    tags = [tagger.tag(t, unit="paragraph").paragraphs[0] for t in texts]
    assert all(abs(sum(p.stance_scores.values()) - 1) < 1e-3 for p in tags)
    loaded = themetag.load(tmp_path / "svm")
    assert [loaded.tag(t, unit="paragraph").paragraphs[0] for t in texts] == tags


def test_classifier_auto_picks_the_head_that_scores_better_in_inner_cv_and_says_so(tmp_path, seed_labels):
    from themetag.training import TrainConfig, _inner_choices, theme_matrix

    config = TrainConfig(classifier="auto", char_ngrams=None, inner_folds=2)
    tagger, _ = themetag.train(seed_labels, out=tmp_path / "auto", config=config, evaluate=False)
    choice = tagger.model.classifier_choice
    scores = choice["inner_scores"]
    assert choice["chosen"] == max(("logistic", "svm"), key=lambda c: (scores[c], c == "logistic"))
    # The scores are the two heads' inner cross-validation, recomputed here one by one.
    labels = themetag.load_labels(seed_labels)
    content = labels.content()
    Y = theme_matrix(content, labels.schema.themes)
    learned = [j for j in range(Y.shape[1]) if len(set(Y[:, j])) == 2]
    for name in ("logistic", "svm"):
        again = _inner_choices(
            content,
            labels.schema,
            TrainConfig(classifier=name, char_ngrams=None, inner_folds=2),
            learned,
            tune_stance=True,
            always=True,
        )
        assert again[2] == pytest.approx(scores[name])
    loaded = themetag.load(tmp_path / "auto")
    assert loaded.model.classifier_choice == choice and loaded.metadata["training"]["classifier"] == "auto"
    assert (tagger.model.stance.link == "ovr") == (choice["chosen"] == "svm")
    card = (tmp_path / "auto" / "README.md").read_text()
    assert '"chosen": "' + choice["chosen"] + '"' in card


def test_train_reuses_the_metrics_evaluate_wrote_and_refuses_stale_ones(tmp_path, seed_labels):
    config, metrics = tmp_path / "c.toml", tmp_path / "metrics.json"
    assert run("init-config", config, cwd=tmp_path).returncode == 0
    config.write_text(
        config.read_text().replace("folds = 5", "folds = 2").replace("inner_folds = 4", "inner_folds = 2")
    )
    assert (
        run("evaluate", "--labels", seed_labels, "--config", config, "--output", metrics, cwd=tmp_path).returncode == 0
    )
    # other settings (here the seed) than the evaluation's: the stored metrics are refused, nothing is written
    stale = run(
        "train",
        "--labels",
        seed_labels,
        "--config",
        config,
        "--seed",
        "1",
        "--out",
        tmp_path / "m",
        "--metrics",
        metrics,
        cwd=tmp_path,
    )
    assert stale.returncode == 1 and "other training settings" in stale.stderr and not (tmp_path / "m").exists()
    trained = run(
        "train",
        "--labels",
        seed_labels,
        "--config",
        config,
        "--out",
        tmp_path / "m",
        "--metrics",
        metrics,
        cwd=tmp_path,
    )
    assert trained.returncode == 0, trained.stderr
    assert "fold 1/" not in trained.stderr  # no cross-validation was run again
    stored = json.loads(metrics.read_text())
    assert themetag.load(tmp_path / "m").metadata["cv"]["stance_f_avg"] == stored["stance_f_avg"]


@pytest.mark.parametrize("kind", ["stance-only", "theme-only"])
def test_one_sided_schemas_get_reports_and_cards_without_empty_parts(tmp_path, kind):
    """No theme rows for a stance-only schema, no stance rows or confusion matrix for a theme-only one."""
    import dataclasses

    from themetag import load_labels
    from themetag.report import format_table, write_report
    from themetag.training import TrainConfig

    labels = load_labels(REPO / "labels" / "seeds.jsonl", schema=Schema.load(REPO / "labels"))
    if kind == "stance-only":
        schema = Schema((), ("favor", "against", "none"), "none")
        examples = [
            dataclasses.replace(e, themes=(), stance={"neutral": "none"}.get(e.stance, e.stance))
            for e in labels.examples
        ]
    else:
        schema = Schema(labels.schema.themes, ("none",), "none")
        examples = [dataclasses.replace(e, stance="none" if e.kind == "content" else None) for e in labels.examples]
    _, report = themetag.train(
        dataclasses.replace(labels, schema=schema, examples=examples),
        out=tmp_path / "m",
        config=TrainConfig(folds=2, inner_folds=2),
    )
    table, card = format_table(report), (tmp_path / "m" / "README.md").read_text()
    files = sorted(p.name for p in write_report(report, tmp_path / "r").parent.iterdir())
    summary = report.summary()
    if kind == "stance-only":
        assert "theme" not in table and "theme micro-F1" not in card and "theme_micro_f1" not in summary
        assert "stance_confusion.png" in files and "themes.png" not in files
    else:
        assert "stance" not in table and "Stance (one per" not in card and "stance_f_avg" not in summary
        assert "stance_confusion.png" not in files and "themes.png" in files


@pytest.mark.parametrize("name", ["drugs;crime", "a,b", "x|y", "esc\x1bname", "tab\tname"])
def test_a_theme_name_a_table_or_label_studio_cannot_hold_is_refused(name):
    # A table joins a paragraph's themes with ";" (import splits on ";", "," and "|"); a control character made
    # Label Studio's XML config invalid.
    with pytest.raises(LabelError, match="must be printable and hold none of"):
        Schema.from_dict({"themes": [name, "other"], "stances": ["favor", "against", "neutral"]})
    assert Schema.from_dict({"themes": ["drug policy", "other"], "stances": ["favor", "against", "neutral"]})
