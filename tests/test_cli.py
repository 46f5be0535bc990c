"""The command line: input ways, output formats, bad input, exit codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from themetag.cli import app

runner = CliRunner()
REPO = Path(__file__).resolve().parent.parent
ARTICLE = "Peru Sends Troops to the Valley\n\nThe army will eradicate coca in the VRAEM.\n\nFarmers ask for alternative crops.\n"


@pytest.fixture
def article(tmp_path):
    path = tmp_path / "a1.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    return path


def run(*args, input=None):
    return runner.invoke(app, list(map(str, args)), input=input)


def test_every_command_has_help():
    for command in (
        "segment",
        "predict",
        "train",
        "evaluate",
        "suggest",
        "check-labels",
        "import-labels",
        "export-tasks",
    ):
        result = run(command, "--help")
        assert result.exit_code == 0 and "Usage" in result.output and "Exit codes" in result.output
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
    assert [(r["id"], r["para"], r["kind"]) for r in rows] == [
        ("x", 0, "heading"),
        ("x", 1, "content"),
        ("x", 2, "content"),
    ]


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


@pytest.mark.parametrize("how", ["file", "dir", "stdin", "jsonl"])
def test_predict_input_ways(how, article, tmp_path):
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text(json.dumps({"id": "a1", "text": ARTICLE}) + "\n", encoding="utf-8")
    args, stdin = {
        "file": ([article], None),
        "dir": ([article.parent], None),
        "stdin": (["-"], ARTICLE),
        "jsonl": ([jsonl], None),
    }[how]
    result = run("predict", "--format", "jsonl", *args, input=stdin)
    assert result.exit_code == 0, result.output
    [row] = [json.loads(l) for l in result.stdout.splitlines()]
    assert row["id"] == ("stdin" if how == "stdin" else "a1")
    assert [p["kind"] for p in row["paragraphs"]] == ["heading", "content", "content"]


def test_help_shows_defaults_in_brackets():
    assert "[default: table on a terminal, jsonl when piped]" in " ".join(run("predict", "--help").output.split())


def test_predict_writes_json_lines_when_piped_and_a_table_when_asked(article):
    piped = run("predict", article)  # CliRunner's stdout is not a terminal
    assert json.loads(piped.stdout)["id"] == "a1"
    assert run("predict", "--format", "table", article).stdout.startswith("a1: themes=")


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty file"),
        (b" \n\n ", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "looks like a binary file"),
    ],
)
def test_predict_bad_files_fail_alone_with_exit_1(tmp_path, article, content, message):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    result = run("predict", "--format", "jsonl", bad, article, tmp_path / "missing.txt")
    assert result.exit_code == 1
    assert f"Error: {bad}: {message}" in result.stderr
    assert f"Error: {tmp_path / 'missing.txt'}: no such file" in result.stderr
    assert "Error: 2 of 3 inputs failed" in result.stderr
    assert "Traceback" not in result.output
    assert [json.loads(l)["id"] for l in result.stdout.splitlines()] == ["a1"]


def test_predict_reads_cp1252_with_a_warning(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("El ej\u00e9rcito erradic\u00f3 la coca en el valle del VRAEM.".encode("cp1252"))
    result = run("predict", "--format", "jsonl", "--paragraphs", path)
    assert result.exit_code == 0
    assert "not valid UTF-8; read as Windows-1252" in result.stderr
    assert json.loads(result.stdout)["text"] == "El ej\u00e9rcito erradic\u00f3 la coca en el valle del VRAEM."


def test_predict_on_an_empty_directory_and_bad_json_lines(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("predict", empty)
    assert result.exit_code == 1 and "directory has no .txt, .md, .html, .htm files" in result.stderr
    src = tmp_path / "a.jsonl"
    src.write_bytes(b'{"id": "e", "text": "  "}\n[1]\n{"text": "caf\xe9"}\n')
    result = run("predict", src)
    assert result.exit_code == 1
    for line in (
        "a.jsonl:1: empty text",
        'a.jsonl:2: expected a JSON object with a "text" string',
        "a.jsonl:3: not UTF-8",
    ):
        assert line in result.stderr
    assert "Traceback" not in result.output


def test_predict_explain_shows_the_features_behind_each_decision(article):
    result = run("predict", "--explain", "3", "--format", "jsonl", article)
    assert result.exit_code == 0, result.output
    rows = [json.loads(l) for l in result.stdout.splitlines()]
    content = [r for r in rows if r["kind"] == "content"]
    assert len(rows) == 3 and len(content) == 2  # --explain gives one row per paragraph
    for row in content:
        assert set(row["explanation"]) == set(row["themes"]) | {f"stance:{row['stance']}"}
        for features in row["explanation"].values():
            weights = [w for _, w in features]
            assert len(features) <= 3 and weights == sorted(weights, reverse=True) and all(w > 0 for w in weights)
    assert "explanation" not in rows[0]
    table = run("predict", "--explain", "2", "--format", "table", article).stdout
    assert any(line.lstrip().startswith("because") and "stance:" in line for line in table.splitlines())


def test_predict_progress_bar_goes_to_stderr_only(article):
    result = run("predict", "--progress", "--format", "jsonl", article, article)
    assert "tagging [" in result.stderr and "2/2 articles" in result.stderr
    assert [json.loads(l)["id"] for l in result.stdout.splitlines()] == ["a1", "a1"]
    assert "tagging" not in run("predict", "--format", "jsonl", article).stderr


def test_predict_json_with_no_results_is_an_empty_list(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    result = run("predict", "--format", "json", bad)
    assert result.exit_code == 1 and json.loads(result.stdout) == []


def test_an_empty_folder_among_inputs_is_reported_and_the_others_still_tagged(article, tmp_path):
    (tmp_path / "empty").mkdir()
    second = tmp_path / "b2.txt"
    second.write_text(ARTICLE, encoding="utf-8")
    result = run("predict", "--format", "jsonl", article, tmp_path / "empty", second)
    assert result.exit_code == 1
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["a1", "b2"]
    assert "empty: directory has no" in result.stderr and "1 of 3 inputs failed" in result.stderr


def test_predict_keeps_only_one_kind_of_paragraph(article):
    result = run("predict", article, "--kind", "content", "-f", "jsonl")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["doc"], r["para"], r["kind"]) for r in rows] == [("a1", 1, "content"), ("a1", 2, "content")]
    assert run("predict", article, "--kind", "caption").exit_code == 2


def test_json_lines_fields_can_be_named(tmp_path):
    source = tmp_path / "rows.jsonl"
    source.write_text(
        json.dumps({"url": "https://x/1", "body": "The army will eradicate coca in the VRAEM.", "date": "2020-03-01"})
        + "\n"
    )
    refused = run("predict", source, "-f", "jsonl")
    assert (
        refused.exit_code == 1
        and 'expected a JSON object with a "text" string (its fields: url, body, date' in refused.stderr
    )
    result = run("predict", source, "--id-field", "url", "--text-field", "body", "-f", "jsonl")
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)
    assert (row["id"], row["metadata"]) == ("https://x/1", {"date": "2020-03-01"})


def test_tag_many_takes_pairs_and_dicts_and_refuses_anything_else():
    import themetag

    tagger = themetag.load()
    tags = list(
        tagger.tag_many(
            [("a", "The army will eradicate coca."), {"id": 7, "text": "Farmers plant cacao.", "title": "T"}, "Bribes."]
        )
    )
    assert [(t.id, t.metadata) for t in tags] == [("a", {}), ("7", {"title": "T"}), (None, {})]
    with pytest.raises(themetag.InputError, match="article 1 must be a text"):
        list(tagger.tag_many(["ok", 5]))
    with pytest.raises(themetag.InputError, match="single str"):
        list(tagger.tag_many("one article"))


def test_files_of_the_same_name_keep_different_ids(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / "in" / folder).mkdir(parents=True)
        (tmp_path / "in" / folder / "x.txt").write_text(ARTICLE, encoding="utf-8")
    walked = run("predict", tmp_path / "in", "-f", "jsonl")
    assert [json.loads(line)["id"] for line in walked.stdout.splitlines()] == ["a/x", "b/x"]
    named = run("predict", tmp_path / "in" / "a" / "x.txt", tmp_path / "in" / "b" / "x.txt", "-f", "jsonl")
    ids = [json.loads(line)["id"] for line in named.stdout.splitlines()]
    assert ids[0] == "x" and ids[1] == (tmp_path / "in" / "b" / "x").as_posix()


def test_predict_out_writes_a_file_whose_suffix_sets_the_format_and_never_replaces_one_silently(tmp_path):
    article = REPO / "seeds" / "002_b13f9584dabc5cc1.txt"
    target = tmp_path / "tags.csv"
    assert run("predict", article, "--out", target).exit_code == 0
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [r["id"] for r in rows] == ["002_b13f9584dabc5cc1"]
    again = run("predict", article, "--out", target)
    assert again.exit_code == 1 and "--force" in again.output
    assert run("predict", article, "--paragraphs", "--out", target, "--force").exit_code == 0
    assert len(list(csv.DictReader(target.open(encoding="utf-8")))) == 49
    refused = run("predict", article, "--format", "parquet")
    assert refused.exit_code == 2 and "--out" in refused.output
    assert run("predict", article, "--out", tmp_path / "missing" / "x.csv").exit_code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tags.csv"]  # no temporary file left behind


def test_named_id_and_text_fields_leave_the_inputs_own_id_and_text_as_metadata(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps(
            {"doc_id": "d1", "id": "orig-7", "body": "Troops burned coca fields.", "text": "a caption", "outlet": "X"}
        )
        + "\n",
        encoding="utf-8",
    )
    result = run("predict", source, "--format", "csv", "--id-field", "doc_id", "--text-field", "body")
    assert result.exit_code == 0, result.output
    row = next(csv.DictReader(io.StringIO(result.stdout)))
    assert (row["id"], row["input_id"], row["text"], row["outlet"]) == ("d1", "orig-7", "a caption", "X")


def test_predict_out_parquet(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    target = tmp_path / "tags.parquet"
    assert run("predict", REPO / "seeds", "--kind", "content", "--out", target).exit_code == 0
    table = pq.read_table(target)
    assert set(table.column("kind").to_pylist()) == {"content"} and table.num_rows > 50


def test_plot_draws_a_collection_over_time_and_by_outlet_from_any_results_format(tmp_path):
    pytest.importorskip("pandas")
    pytest.importorskip("matplotlib")
    seeds = sorted((REPO / "seeds").glob("*.txt"))
    rows = [
        {
            "id": f"a{k}",
            "date": f"20{12 + k % 3}-03-0{1 + k % 5}",
            "outlet": ["A", "B"][k % 2],
            "text": seeds[k % 5].read_text(encoding="utf-8"),
        }
        for k in range(12)
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    tables = {}
    for suffix in (".jsonl", ".csv"):
        results = tmp_path / f"tags{suffix}"
        assert run("predict", source, "--out", results).exit_code == 0
        out = tmp_path / f"plots{suffix}"
        result = run("plot", results, "--out", out)
        assert result.exit_code == 0, result.output
        # Every metadata field reaches the results, in CSV too: "outlet" gives the by-outlet view.
        views = ["by_outlet", "over_time"]
        assert sorted(p.name for p in out.iterdir()) == sorted(f"{v}.{e}" for v in views for e in ("csv", "png"))
        assert (out / "over_time.png").read_bytes()[:4] == b"\x89PNG"
        tables[suffix] = [list(csv.DictReader((out / f"{v}.csv").open(encoding="utf-8"))) for v in views]
    by_outlet, over_time = tables[".jsonl"]
    assert tables[".csv"] == [by_outlet, over_time]  # the same numbers whichever format predict wrote
    assert [r["date"] for r in over_time] == ["2012-03", "2013-03", "2014-03"] and sum(
        int(r["articles"]) for r in over_time
    ) == 12
    # A share is the share of content paragraphs carrying the theme, weighted by the articles' content paragraphs.
    tags = [themetag_load().tag(r["text"]) for r in rows if r["date"].startswith("2012")]
    expected = sum(t.theme_shares["militarization"] * t.counts["content"] for t in tags) / sum(
        t.counts["content"] for t in tags
    )
    assert float(over_time[0]["share_militarization"]) == pytest.approx(expected, abs=1e-4)
    assert [r["outlet"] for r in by_outlet] == ["A", "B"]
    bad = run("plot", source, "--out", tmp_path / "x")  # articles, not results
    assert bad.exit_code == 1 and "predict" in bad.output


def themetag_load():
    import themetag

    return themetag.load()
