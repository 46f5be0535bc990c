"""The one reader (io.py), the writers (output.py), the one label-rule checker (schema.py), and the card (card.py)."""

from __future__ import annotations

import csv
import io
import json

import pytest

import themetag
from themetag.card import model_card
from themetag.errors import InputError, LabelError, OutputError
from themetag.io import Article, iter_json_lines, read_articles, read_json_items, write_jsonl
from themetag.output import WRITERS, make_writer
from themetag.schema import Schema, check_record_labels

SCHEMA = Schema(("militarization", "corruption"), ("favor", "against", "neutral"), "neutral")


def items(data: bytes):
    return list(iter_json_lines(io.BytesIO(data), max_line_bytes=100))


@pytest.mark.parametrize(
    "data, lines",
    [
        (b'{"a": 1}\n\n{"a": 2}\n', [1, 3]),  # a blank line still counts
        (b'\xef\xbb\xbf{"a": 1}\r\n{"a": 2}\r\n', [1, 2]),  # BOM and CRLF
        (b'{"a": 1}\r{"a": 2}\r{"a": 3}', [1, 2, 3]),  # a file with \r line ends only
        (b'{"a": 1,\r "b": 2}\n{"a": 2}\n', [1, 2]),  # inside a \n-ended line, \r is JSON whitespace
        ('{"a": "x\u2028y\u0085z"}\n{"a": 2}\n'.encode(), [1, 2]),  # raw line separators inside a string
    ],
)
def test_json_lines_are_numbered_as_an_editor_numbers_them(data, lines):
    found = items(data)
    assert [i.line for i in found] == lines and all(i.error is None for i in found)


def test_bad_lines_are_items_with_errors_and_the_rest_is_read():
    found = items(b'{"a": 1}\n{"a": \n\xff\xfe\n' + b'"' + b"x" * 200 + b'"\n{"a": 5}\n')
    assert [(i.line, (i.error or "")[:16]) for i in found] == [
        (1, ""),
        (2, "not valid JSON ("),
        (3, "not UTF-8 text; "),
        (4, "line is over the"),
        (5, ""),
    ]
    assert found[-1].value == {"a": 5}


def test_a_document_is_an_array_an_object_or_json_lines(tmp_path):
    array = tmp_path / "a.json"
    array.write_text('[\n  {"id": 1},\n\n  {"id": 2}\n]\n')
    found, where = read_json_items(array, expected="tasks")
    assert [(i.index, i.line, i.value["id"]) for i in found] == [(1, 2, 1), (2, 4, 2)] and where == str(array)
    one = tmp_path / "o.json"
    one.write_text('{\n  "id": 7\n}\n')
    assert [i.value for i in read_json_items(one, expected="x")[0]] == [{"id": 7}]
    bad = tmp_path / "b.json"
    bad.write_text('[{"id": 1},\n {"id": 2}\n {"id": 3}]')
    with pytest.raises(LabelError, match=r"b\.json:3: not valid JSON \(expected ',' or ']' after element 2"):
        read_json_items(bad, expected="x", error=LabelError)
    zipped = tmp_path / "z.jsonl"
    zipped.write_bytes(b"PK\x03\x04\xff\xfe")
    with pytest.raises(InputError, match="a .zip export must be unpacked first"):
        read_json_items(zipped, expected="x")


def test_read_articles_from_files_folders_jsonl_and_stdin(tmp_path, monkeypatch):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.txt").write_text("The army moved in.")
    (tmp_path / "empty").mkdir()
    rows = tmp_path / "r.jsonl"
    rows.write_text(
        '{"id": "r1", "text": "Coca prices fell.", "date": "2020-01-02", "nested": {"a": 1}}\n{"text": ""}\n'
    )
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO("From stdin.".encode())))
    out = list(
        read_articles([str(tmp_path / "d"), str(tmp_path / "empty"), str(rows), "-", str(tmp_path / "missing.txt")])
    )
    assert [type(a).__name__ for a in out] == [
        "Article",
        "InputError",
        "Article",
        "InputError",
        "Article",
        "InputError",
    ]
    assert out[0] == Article("x", "The army moved in.", str(tmp_path / "d" / "x.txt"))
    assert out[2].metadata == {"date": "2020-01-02"}  # scalar fields pass through; nested ones do not
    assert str(out[3]) == f"{rows}:2: empty text" and out[4].id == "stdin" and out[4].where == "<stdin>"
    assert "missing.txt: no such file" in str(out[5])


def test_write_jsonl_is_atomic(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("precious\n")
    with pytest.raises(OutputError, match="record 2"):
        write_jsonl([{"a": 1}, {"b": "\ud800"}], target)  # a lone surrogate cannot be written as UTF-8
    assert target.read_text() == "precious\n" and sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]
    assert write_jsonl(({"n": i} for i in range(3)), target) == 3
    assert [json.loads(line)["n"] for line in target.read_text().splitlines()] == [0, 1, 2]


@pytest.fixture(scope="module")
def articles():
    tagger = themetag.load()
    return [
        tagger.tag(
            "Peru Sends Troops\n\nThe army will eradicate coca in the VRAEM.\n\nSHARE",
            id="a1",
            metadata={"date": "2020-03-01"},
        ),
        tagger.tag("SEE ALSO: Coverage of the Shining Path", id="a2"),
    ]


def render(fmt, articles, **options):
    out = io.StringIO()
    writer = make_writer(fmt, out, **options)
    for article in articles:
        writer.write(article)
    writer.close()
    return out.getvalue()


def test_every_writer_writes_articles_and_paragraphs(articles):
    assert set(WRITERS) == {"csv", "json", "jsonl", "table", "parquet"}
    assert [json.loads(line)["id"] for line in render("jsonl", articles).splitlines()] == ["a1", "a2"]
    assert [r["para"] for r in json.loads(render("json", articles, paragraphs=True))] == [0, 1, 2, 0]
    assert render("json", []) == "[]\n"
    rows = list(csv.DictReader(io.StringIO(render("csv", articles))))
    assert [(r["id"], r["date"], r["warning"]) for r in rows] == [("a1", "2020-03-01", ""), ("a2", "", "no_content")]
    table = render("table", articles, paragraphs=True).splitlines()
    assert table[0].split() == ["id", "para", "kind", "stance", "themes", "text"]  # one header row, then the paragraphs
    assert len(table) == 5 and table[2].split()[:3] == ["a1", "#1", "content"]


def test_parquet_has_typed_columns_and_nulls_for_empty_cells(articles):
    pq = pytest.importorskip("pyarrow.parquet")
    for paragraphs in (False, True):
        out = io.BytesIO()
        writer = make_writer("parquet", out, paragraphs=paragraphs)
        for article in articles:
            writer.write(article)
        writer.close()
        table = pq.read_table(io.BytesIO(out.getvalue()))
        rows = table.to_pylist()
        csv_rows = list(csv.DictReader(io.StringIO(render("csv", articles, paragraphs=paragraphs))))
        assert table.column_names == list(csv_rows[0])  # the CSV's columns, in its order
        assert [r["id"] for r in rows] == [r["id"] for r in csv_rows]
        if paragraphs:
            assert (
                str(table.schema.field("p_militarization").type) == "double"
                and str(table.schema.field("para").type) == "int64"
            )
            assert rows[1]["kind"] == "content" and 0 <= rows[1]["p_militarization"] <= 1
            assert rows[0]["p_militarization"] is None  # set aside: no probability, not an empty string
        else:
            assert (
                str(table.schema.field("stance_favor").type) == "int64"
                and str(table.schema.field("share_militarization").type) == "double"
            )
            assert rows[0]["date"] == "2020-03-01" and rows[1]["date"] is None and rows[1]["warning"] == "no_content"
    empty = io.BytesIO()
    make_writer("parquet", empty).close()
    assert pq.read_table(io.BytesIO(empty.getvalue())).num_rows == 0


@pytest.fixture(scope="module")
def varied():
    """Articles whose metadata fields differ: one only in the last article, one named like a result column."""
    rows = [
        {"id": f"a{k}", "outlet": "El Tiempo", "text": "The army will eradicate coca in the VRAEM."} for k in range(6)
    ]
    rows[2]["stance"] = "against"  # a coder's own stance: kept beside themetag's, not over it
    rows[-1]["section"] = "world"
    rows[-1]["pages"] = 3
    return list(themetag.load().tag_many(rows))


class Pipe(io.StringIO):
    """stdout as a writer sees it: cannot be read back."""

    def seekable(self):
        return False


@pytest.mark.parametrize("lookahead", [100, 1])  # the header made from every row, or completed on close
@pytest.mark.parametrize("paragraphs", [False, True])
def test_csv_to_a_file_keeps_every_metadata_field_however_late_it_appears(
    varied, lookahead, paragraphs, monkeypatch, tmp_path
):
    from themetag.io import atomic_output
    from themetag.output import CsvWriter

    monkeypatch.setattr(CsvWriter, "LOOKAHEAD_ROWS", lookahead)
    with atomic_output(tmp_path / "out.csv") as handle:
        writer = make_writer("csv", handle, paragraphs=paragraphs)
        for article in varied:
            writer.write(article)
        writer.close()
    with open(tmp_path / "out.csv", newline="", encoding="utf-8") as handle:
        table = list(csv.reader(handle))
    header, rows = table[0], table[1:]
    assert header[-4:] == ["outlet", "input_stance", "section", "pages"]
    assert all(len(row) == len(header) for row in rows)  # early rows padded to the full header
    found = [dict(zip(header, row)) for row in rows]
    assert [r["outlet"] for r in found] == ["El Tiempo"] * len(found)
    assert [r["input_stance"] for r in found if r["id"] == "a2"][0] == "against" and all(
        r["stance"] == "neutral" for r in found if r["kind" if paragraphs else "id"] in ("content", "a2")
    )
    assert [(r["section"], r["pages"]) for r in found if r["id"] == "a5"][0] == ("world", "3")
    assert {r["section"] for r in found if r["id"] != "a5"} == {""}


def test_csv_to_a_stream_names_what_it_leaves_out(varied, monkeypatch):
    from themetag.output import CsvWriter

    def to_stdout():
        out, said = Pipe(), []
        writer = make_writer("csv", out, on_warning=said.append)
        for article in varied:
            writer.write(article)
        writer.close()
        return list(csv.DictReader(io.StringIO(out.getvalue()))), said

    monkeypatch.setattr(CsvWriter, "LOOKAHEAD_ROWS", 1)
    rows, said = to_stdout()
    assert len(rows) == len(varied) and list(rows[0])[-1] == "outlet"
    assert len(said) == 2 and "input_stance" in said[0] and "section, pages" in said[1] and said[1].startswith("a5:")
    monkeypatch.undo()  # looking the usual 1,000 rows ahead, nothing is left out of a stream either
    rows, said = to_stdout()
    assert list(rows[0])[-2:] == ["section", "pages"] and rows[-1]["pages"] == "3" and not said


@pytest.mark.parametrize("group", [10_000, 2])  # one row group, or columns grown in a later group (merged on close)
def test_parquet_keeps_every_metadata_field_however_late_it_appears(varied, group, monkeypatch, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    from themetag.io import atomic_output
    from themetag.output import ParquetWriter

    monkeypatch.setattr(ParquetWriter, "ROWS_PER_GROUP", group)
    monkeypatch.setattr(ParquetWriter, "LOOKAHEAD_ROWS", group)
    with atomic_output(tmp_path / "out.parquet", binary=True) as handle:
        writer = make_writer("parquet", handle)
        for article in varied:
            writer.write(article)
        writer.close()
    table = pq.read_table(tmp_path / "out.parquet")
    assert table.column_names == list(csv.DictReader(io.StringIO(render("csv", varied))).fieldnames)
    rows = table.to_pylist()
    assert [r["id"] for r in rows] == [a.id for a in varied]
    assert [r["pages"] for r in rows] == [None] * 5 + ["3"] and rows[2]["input_stance"] == "against"
    assert str(table.schema.field("stance_favor").type) == "int64"


def test_frames_keep_a_metadata_field_named_like_a_result_column(varied):
    pytest.importorskip("pandas")
    frame = themetag.to_frame(varied)
    assert frame.loc[2, "input_stance"] == "against" and frame.loc[2, "stance"] == "neutral"
    assert frame["outlet"].tolist() == ["El Tiempo"] * 6


def test_each_metadata_field_has_one_column_whatever_else_a_row_holds(tmp_path):
    from themetag.io import atomic_output

    tagger = themetag.load()
    rows = [
        {"id": "a1", "text": "Troops burned coca.", "stance": "favor"},
        {"id": "a2", "text": "Police arrested farmers.", "input_stance": "y", "stance": "z"},
        {
            "id": "a3",
            "text": "Police arrested farmers.",
            "p_value": "low",
            "share_of_voice": "high",
            "para": "intro",
            "n": 1234567890123456789,
        },
    ]
    tags = list(tagger.tag_many(rows))
    for level in ("article", "paragraph"):
        found = list(csv.DictReader(io.StringIO(render("csv", tags, paragraphs=level == "paragraph"))))
        assert [r["input_stance"] for r in found] == ["favor", "z", ""] and [
            r["input_input_stance"] for r in found
        ] == ["", "y", ""]
        assert found[2]["p_value"] == "low" and found[2]["n"] == "1234567890123456789"
        assert found[2]["input_para" if level == "paragraph" else "para"] == "intro"
    pq = pytest.importorskip("pyarrow.parquet")
    with atomic_output(tmp_path / "t.parquet", binary=True) as handle:  # metadata is text in Parquet, whatever its name
        writer = make_writer("parquet", handle)
        for article in tags:
            writer.write(article)
        writer.close()
    table = pq.read_table(tmp_path / "t.parquet")
    assert (
        table.column("p_value").to_pylist() == [None, None, "low"]
        and str(table.schema.field("share_of_voice").type) == "string"
    )
    assert table.column("n").to_pylist()[2] == "1234567890123456789"
    pytest.importorskip("pandas")
    frame = themetag.to_frame(tags, level="paragraph")
    assert frame.loc[2, "p_value"] == "low" and frame["p_militarization"].dtype == float


def test_a_completed_csv_header_keeps_cells_of_any_length(tmp_path, monkeypatch):
    from themetag.io import atomic_output
    from themetag.output import CsvWriter

    monkeypatch.setattr(CsvWriter, "LOOKAHEAD_ROWS", 1)
    tags = list(
        themetag.load().tag_many(
            [
                {"id": "a", "text": "Troops burned coca.", "note": "x" * 200_000},
                {"id": "b", "text": "Police arrested farmers.", "late": "y"},
            ]
        )
    )
    with atomic_output(tmp_path / "t.csv") as handle:
        writer = make_writer("csv", handle)
        for article in tags:
            writer.write(article)
        writer.close()
    csv.field_size_limit(1_000_000)
    found = list(csv.DictReader((tmp_path / "t.csv").open(encoding="utf-8", newline="")))
    assert len(found[0]["note"]) == 200_000 and found[1]["late"] == "y"


def test_parquet_whose_columns_grow_in_many_groups_stays_whole(tmp_path, monkeypatch):
    pq = pytest.importorskip("pyarrow.parquet")
    from themetag.io import atomic_output
    from themetag.output import ParquetWriter

    monkeypatch.setattr(ParquetWriter, "ROWS_PER_GROUP", 3)
    monkeypatch.setattr(ParquetWriter, "LOOKAHEAD_ROWS", 3)
    rows = [
        {"id": f"a{k}", "text": "Troops burned coca.", f"field{k}": str(k)} for k in range(40)
    ]  # a new field in every row
    with atomic_output(tmp_path / "t.parquet", binary=True) as handle:
        writer = make_writer("parquet", handle)
        for article in themetag.load().tag_many(rows):
            writer.write(article)
        writer.close()
        assert len(writer._later_files) <= 40 // 3  # a new file per row group at most, not per field
    table = pq.read_table(tmp_path / "t.parquet").to_pylist()
    assert [r["id"] for r in table] == [f"a{k}" for k in range(40)] and all(
        r[f"field{k}"] == str(k) for k, r in enumerate(table)
    )


def test_an_output_path_that_is_not_a_regular_file_is_refused(tmp_path):
    import os

    from themetag.io import check_output_path

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match="not a regular file"):
        check_output_path(fifo)


def test_csv_with_explanations_has_one_header_whatever_the_first_paragraph_is(articles):
    tagger = themetag.load()
    explained = [tagger.tag("Peru Sends Troops\n\nThe army will eradicate coca in the VRAEM.", id="e", explain=2)]
    rows = list(csv.DictReader(io.StringIO(render("csv", explained, explain=True))))
    assert rows[0]["kind"] == "heading" and rows[0]["explanation"] == "" and "militarization" in rows[1]["explanation"]


def test_a_new_format_is_one_registered_class(articles):
    from themetag.output import ResultWriter, register

    @register("ids")
    class IdsWriter(ResultWriter):
        def write(self, article):
            self.out.write(f"{article.id}\n")

    try:
        assert render("ids", articles) == "a1\na2\n"
    finally:
        del WRITERS["ids"]


def fail(message):
    return LabelError(message)


@pytest.mark.parametrize(
    "kind, themes, stance, labeled, expected",
    [
        (
            "content",
            ["corruption", "militarization"],
            "against",
            True,
            ("content", ["militarization", "corruption"], "against"),
        ),
        (None, None, None, False, ("content", [], None)),  # a paragraph still to label
        ("heading", [], None, True, ("heading", [], None)),
        ("content", ["anything"], "pro", False, "unknown theme 'anything'"),
        ("content", [], None, True, "a content paragraph needs a stance (favor, against, neutral)"),
        ("boilerplate", ["corruption"], None, True, "a boilerplate paragraph carries no themes or stance"),
        ("caption", [], None, True, "unknown kind 'caption'"),
        ("content", "militarization", "neutral", True, '"themes" must be a list'),
        ("content", ["corruption", "corruption"], "neutral", True, "theme listed twice"),
    ],
)
def test_one_label_rule_checker(kind, themes, stance, labeled, expected):
    if isinstance(expected, tuple):
        assert check_record_labels(kind, themes, stance, SCHEMA, fail, labeled=labeled) == expected
    else:
        with pytest.raises(LabelError, match=expected.replace("(", r"\(").replace(")", r"\)")):
            check_record_labels(kind, themes, stance, SCHEMA, fail, labeled=labeled)
    # Without a schema, any names pass; the shape rules still hold.
    assert check_record_labels("content", ["x"], "y", None, fail, labeled=True) == ("content", ["x"], "y")


def test_card_without_evaluation_or_themes_or_notes():
    metadata = {
        "schema": {
            "name": "",
            "themes": {},
            "stances": {"pro": {"description": "for"}, "con": {}, "none": {}},
            "null_stance": "none",
        },
        "labels": {"examples": 12, "content": 10, "per_stance": {"pro": 3, "con": 2, "none": 5}},
        "versions": {"themetag": "0.1.0"},
        "training": {"seed": 0},
        "model": {"theme_thresholds": {}, "kind_source": "rules"},
        "cv": None,
    }
    card = model_card(metadata)
    assert card.startswith("# Model card: themetag model\n")
    assert "Not evaluated" in card and "Themes (any number" not in card and "`pro`: for" in card
    assert "Stance `con` has only 2 labeled examples" in card
    assert "About these labels" not in card
    assert "## About" in model_card(metadata, notes="## About my data\n\nCollected by me.")


def test_card_states_out_of_domain_numbers_first_and_warns_when_they_fall():
    cv = {
        "folds": 5,
        "n_content": 100,
        "theme_micro_f1": 0.6,
        "stance_f_avg": 0.3,
        "stance_macro_f1": 0.5,
        "per_theme_f1": {"a": 0.6},
        "baseline_keyword": {"theme_micro_f1": 0.4},
        "leave_one_source_out": {"outlet": {"theme_micro_f1": 0.42, "stance_f_avg": 0.1}},
    }
    metadata = {
        "schema": {"name": "mine", "themes": {"a": {}}, "stances": {"pro": {}, "none": {}}, "null_stance": "none"},
        "labels": {},
        "cv": cv,
        "model": {},
    }
    card = model_card(metadata)
    headline = card.splitlines()[2]
    assert (
        headline.startswith("**On a source it never saw**")
        and "`outlet` theme micro-F1 0.420, stance F_avg 0.100" in headline
    )
    assert headline.index("never saw") < headline.index("cross-validation")
    assert "On `outlet` held out of training, theme micro-F1 falls to 0.420 (0.600 in cross-validation)" in card


def test_card_shows_stored_metrics_says_worse_than_keywords_and_warns_on_few_labels():
    cv = {
        "folds": 2,
        "n_content": 24,
        "theme_micro_f1": 0.542,
        "theme_macro_f1": 0.5,
        "stance_f_avg": 0.3,
        "stance_macro_f1": 0.4,
        "per_theme_f1": {"a": 0.6},
        "baseline_keyword": {"theme_micro_f1": 0.769, "stance_f_avg": 0.2},
        "baseline_majority": {"theme_micro_f1": 0.0},
    }
    metadata = {
        "schema": {"name": "mine", "themes": {"a": {}}, "stances": {"pro": {}, "none": {}}, "null_stance": "none"},
        "labels": {"examples": 30, "content": 24, "per_theme": {"a": 60}},
        "cv": cv,
        "model": {},
    }
    card = model_card(metadata)  # as `train --metrics` writes it: numbers stored, no report
    assert "Not evaluated" not in card and "Stored from an earlier evaluation" in card
    assert "| theme micro-F1 | 0.542 | 0.769 | 0.000 |" in card
    assert "Themes score worse than the keyword baseline (0.542 vs 0.769)" in card and "barely beat" not in card
    assert "Trained on only 24 labeled content paragraphs (under 200)" in card
    cv["theme_micro_f1"] = 0.78
    assert "barely beat the keyword baseline" in model_card(metadata)


def test_results_as_data_frames(articles):
    pd = pytest.importorskip("pandas")
    by_article = themetag.to_frame(articles)
    assert list(by_article["id"]) == ["a1", "a2"] and by_article.loc[0, "date"] == "2020-03-01"
    assert {"share_militarization", "stance_against", "content_paragraphs", "warning"} <= set(by_article.columns)
    by_paragraph = themetag.to_frame(articles, level="paragraph")
    assert len(by_paragraph) == sum(len(a.paragraphs) for a in articles)
    assert by_paragraph["p_militarization"].dtype == float
    set_aside = by_paragraph["kind"] != "content"
    assert (
        by_paragraph.loc[set_aside, "p_neutral"].isna().all()
        and by_paragraph.loc[~set_aside, "p_neutral"].notna().all()
    )
    pd.testing.assert_frame_equal(
        themetag.to_frame(articles[:1], level="paragraph"),
        by_paragraph[by_paragraph["id"] == "a1"].reset_index(drop=True),
    )


def test_table_output_shows_control_characters_of_ids_escaped(tmp_path):
    from typer.testing import CliRunner

    from themetag.cli import app

    rows = tmp_path / "a.jsonl"
    rows.write_text(
        json.dumps({"id": "evil\u001b[2J\u202eid", "text": "The army burned coca fields in the valley on Monday."})
        + "\n"
    )
    for extra in ([], ["--paragraphs"]):
        out = CliRunner().invoke(app, ["predict", str(rows), "--format", "table", *extra]).stdout
        assert "\u001b" not in out and "\u202e" not in out and "evil\\x1b[2J\\u202eid" in out


def test_an_aborted_parquet_writer_lets_go_of_its_file_quietly(articles, tmp_path):
    # Ctrl-C while writing Parquet: the file is thrown away; pyarrow's writer, collected later, once wrote to the
    # closed file and Python printed "Exception ignored ... write to closed file" with a traceback.
    import gc
    import sys

    pytest.importorskip("pyarrow.parquet")
    ignored = []
    previous, sys.unraisablehook = sys.unraisablehook, ignored.append
    try:
        with open(tmp_path / "x.parquet", "wb") as out:
            writer = make_writer("parquet", out, paragraphs=True)
            for _ in range(4000):  # past the look-ahead (10,000 rows): the pyarrow writer is open
                writer.write(articles[0])
            assert writer._writer is not None
            writer.abort()
        del writer
        gc.collect()
    finally:
        sys.unraisablehook = previous
    assert ignored == []


def test_messages_say_what_is_wrong_with_a_row(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text(
        '{"id": "   ", "text": "The army."}\n{"id": NaN, "text": "x"}\n{"id": "a", "text": "bad \x01 char"}\n',
        encoding="utf-8",
    )
    messages = [str(a) for a in read_articles([str(path)]) if isinstance(a, InputError)]
    assert messages == [
        f'{path}:1: "id" is blank; give each article an id, or leave the field out',  # was "not 3 characters"
        f'{path}:2: "id" must be a string or an integer, not NaN or Infinity (not JSON\'s, though Python reads it)',
        f"{path}:3: not valid JSON (Invalid control character at column 26)",  # was "at at column"
    ]
