"""The command line: input ways, output formats, bad input, exit codes."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from themetag.cli import app

runner = CliRunner()
ARTICLE = "Peru Sends Troops to the Valley\n\nThe army will eradicate coca in the VRAEM.\n\nFarmers ask for alternative crops.\n"


@pytest.fixture
def article(tmp_path):
    path = tmp_path / "a1.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    return path


def run(*args, input=None):
    return runner.invoke(app, list(map(str, args)), input=input)


def test_every_command_has_help():
    for command in ("segment", "predict", "train", "evaluate"):
        result = run(command, "--help")
        assert result.exit_code == 0 and "Usage" in result.output
    assert "Exit codes" in run("--help").output


@pytest.mark.parametrize("how", ["file", "dir", "stdin"])
def test_segment_input_ways(how, article):
    args, stdin = {"file": ([article], None), "dir": ([article.parent], None), "stdin": (["-"], ARTICLE)}[how]
    result = run("segment", *args, input=stdin)
    assert result.exit_code == 0, result.output
    rows = [json.loads(l) for l in result.stdout.splitlines()]
    assert [(r["para"], r["kind"]) for r in rows] == [(0, "heading"), (1, "content"), (2, "content")]
    assert rows[0]["doc"] == ("stdin" if how == "stdin" else "a1")
    assert all(r["themes"] == [] and r["stance"] is None for r in rows)


def test_segment_kind_filter(article):
    rows = [json.loads(l) for l in run("segment", "--kind", "content", article).stdout.splitlines()]
    assert [r["para"] for r in rows] == [1, 2]
    assert run("segment", "--kind", "nope", article).exit_code == 2


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty file"),
        (b"  \n\t\n", "empty file"),
        (b"\x00\x01\x02binary", "looks like a binary file"),
    ],
)
def test_segment_bad_files_give_one_line_and_exit_1(tmp_path, article, content, message):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    result = run("segment", bad, article)
    assert result.exit_code == 1
    assert f"Error: {bad}: {message}" in result.stderr
    assert "Traceback" not in result.output
    # The good file is still processed.
    assert len(result.stdout.splitlines()) == 3


def test_missing_path_and_empty_directory(tmp_path):
    result = run("segment", tmp_path / "nope.txt")
    assert result.exit_code == 1 and "no such file" in result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("segment", empty)
    assert result.exit_code == 1 and "directory has no .txt, .md, .html, .htm files" in result.stderr


def test_cp1252_file_is_read_with_a_warning(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("Los campesinos cultivan caf\u00e9 en el valle.".encode("cp1252"))
    result = run("segment", path)
    assert result.exit_code == 0
    assert "not valid UTF-8; read as Windows-1252" in result.stderr
    assert json.loads(result.stdout)["text"] == "Los campesinos cultivan caf\u00e9 en el valle."


@pytest.mark.parametrize("fmt", ["table", "json", "jsonl", "csv"])
def test_predict_formats(fmt, article):
    result = run("predict", "--format", fmt, article)
    assert result.exit_code == 0, result.output
    out = result.stdout
    if fmt == "json":
        [a] = json.loads(out)
        assert a["id"] == "a1" and a["counts"]["content"] == 2
    elif fmt == "jsonl":
        assert json.loads(out.splitlines()[0])["counts"]["content"] == 2
    elif fmt == "csv":
        [row] = list(csv.DictReader(io.StringIO(out)))
        assert row["id"] == "a1" and row["content_paragraphs"] == "2"
    else:
        assert out.startswith("a1: themes=")


def test_predict_paragraphs_and_jsonl_input(tmp_path):
    src = tmp_path / "articles.jsonl"
    src.write_text(json.dumps({"id": "x", "text": ARTICLE}) + "\n" + json.dumps({"id": "y"}) + "\n", encoding="utf-8")
    result = run("predict", "--paragraphs", "--format", "jsonl", src)
    assert result.exit_code == 1
    assert 'articles.jsonl:2: expected a JSON object with a "text" string' in result.stderr
    rows = [json.loads(l) for l in result.stdout.splitlines()]
    assert [(r["id"], r["para"], r["kind"]) for r in rows] == [("x", 0, "heading"), ("x", 1, "content"), ("x", 2, "content")]


def test_predict_with_a_path_that_is_not_a_model(article, tmp_path):
    result = run("predict", "--model", tmp_path, article)
    assert result.exit_code == 1
    assert "not a themetag model" in result.stderr


def test_predict_unknown_format(article):
    assert run("predict", "--format", "xml", article).exit_code == 2


def test_train_refuses_to_overwrite_without_force(tmp_path):
    out = tmp_path / "m"
    out.mkdir()
    result = run("train", "--labels", tmp_path, "--out", out)
    assert result.exit_code == 1 and "pass --force" in result.stderr


def test_train_reports_a_broken_label_line(tmp_path):
    labels = tmp_path / "labels"
    labels.mkdir()
    (labels / "schema.json").write_text(json.dumps({"themes": ["a"], "stances": ["neutral"]}))
    (labels / "l.jsonl").write_text("{broken\n")
    result = run("train", "--labels", labels, "--out", tmp_path / "m")
    assert result.exit_code == 1
    assert f"Error: {labels / 'l.jsonl'}:1: not valid JSON" in result.stderr
    assert not (tmp_path / "m").exists()
