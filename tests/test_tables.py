"""Tables in: articles as the rows of CSV, TSV, JSON Lines or Parquet (--from), and a metadata table joined to files."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from themetag.cli import app
from themetag.errors import InputError
from themetag.io import Article, MetadataTable, read_articles

runner = CliRunner()

ARMY = "The army was sent to the VRAEM to destroy coca crops, officials said on Monday."
FARMS = "Farmers in the valley received support for alternative development programs and new roads."


def run(*args, input=None):
    return runner.invoke(app, list(map(str, args)), input=input)


def rows(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_a_csv_column_is_tagged_and_the_other_columns_travel(tmp_path):
    table = tmp_path / "articles.csv"
    table.write_text(f'key,body,outlet,year\nk1,"{ARMY}",El Tiempo,2021\nk2,"{FARMS}",Semana,2022\n', encoding="utf-8")
    result = run("predict", "--from", "csv", "--text-column", "body", "--id-column", "key", table, "-f", "jsonl")
    assert result.exit_code == 0, result.output
    found = rows(result)
    assert [(r["id"], r["metadata"]) for r in found] == [
        ("k1", {"outlet": "El Tiempo", "year": "2021"}),
        ("k2", {"outlet": "Semana", "year": "2022"}),
    ]
    assert found[0]["dominant_themes"] == ["militarization"] and found[1]["dominant_themes"] == ["development"]


def test_a_table_without_from_is_refused_with_the_hint_and_other_inputs_are_tagged(tmp_path):
    table = tmp_path / "articles.csv"
    table.write_text(f'text\n"{ARMY}"\n', encoding="utf-8")
    article = tmp_path / "a.txt"
    article.write_text(ARMY, encoding="utf-8")
    result = run("predict", table, article, "-f", "jsonl")
    assert result.exit_code == 1
    assert "articles.csv: a table, not an article: tag its rows with --from csv --text-column" in result.output
    assert [r["id"] for r in rows(result)] == ["a"]


def test_rows_without_an_id_are_numbered_by_their_line_and_tsv_reads_tabs(tmp_path):
    table = tmp_path / "news.tsv"
    table.write_text(f"text\tid\n{ARMY}\t\n{FARMS}\tb7\n", encoding="utf-8")
    result = run("segment", "--from", "tsv", table)
    assert result.exit_code == 0, result.output
    assert [r["doc"] for r in rows(result)] == ["news:2", "b7"]


def test_stdin_can_be_a_table(tmp_path):
    result = run("segment", "--from", "csv", "-", input=f'id,text\ns1,"{ARMY}"\n')
    assert result.exit_code == 0, result.output
    assert [r["doc"] for r in rows(result)] == ["s1"]


def test_a_missing_text_column_names_the_columns(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text(f'id,body\n1,"{ARMY}"\n', encoding="utf-8")
    result = run("predict", "--from", "csv", table)
    assert result.exit_code == 1
    assert "t.csv: no column 'text' for the text (its columns: id, body); --text-column names another" in result.output


def test_bad_rows_are_named_by_line_and_the_good_ones_are_still_tagged(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text(f'id,text\n1,"{ARMY}"\n2,\n3,"{FARMS}",extra\n4,"{FARMS}"\n', encoding="utf-8")
    result = run("predict", "--from", "csv", table, "-f", "jsonl")
    assert result.exit_code == 1
    assert (
        "t.csv:3: empty text" in result.output and "t.csv:4: 3 cells, but the header names 2 columns" in result.output
    )
    assert [r["id"] for r in rows(result)] == ["1", "4"]


def test_a_quote_left_open_is_named_not_swallowing_rows(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text(f'id,text\n1,"{ARMY}\n2,"{FARMS}"\n3,"{FARMS}"\n', encoding="utf-8")
    result = run("segment", "--from", "csv", table)
    assert result.exit_code == 1
    assert "t.csv:2:" in result.output and "quote" in result.output


def test_the_encoding_of_a_table_can_be_named(tmp_path):
    table = tmp_path / "t.csv"
    table.write_bytes(f'id,text\n1,"Caf\u00e9 owners in Lima: {ARMY}"\n'.encode("cp1252"))
    refused = run("segment", "--from", "csv", table)
    assert refused.exit_code == 1 and "--encoding" in refused.output
    result = run("segment", "--from", "csv", "--encoding", "cp1252", table)
    assert result.exit_code == 0, result.output
    assert rows(result)[0]["text"].startswith("Caf\u00e9 owners")


def test_a_folder_is_searched_for_the_named_format(tmp_path):
    (tmp_path / "one.csv").write_text(f'id,text\na,"{ARMY}"\n', encoding="utf-8")
    (tmp_path / "two.csv").write_text(f'id,text\nb,"{FARMS}"\n', encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a table", encoding="utf-8")
    result = run("segment", "--from", "csv", tmp_path)
    assert result.exit_code == 0, result.output
    assert [r["doc"] for r in rows(result)] == ["a", "b"]


def test_parquet_rows_are_read_in_batches_with_dates_as_text(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import datetime

    import pyarrow.parquet as pq

    path = tmp_path / "news.parquet"
    pq.write_table(
        pa.table(
            {
                "id": ["p1", "p2"],
                "text": [ARMY, FARMS],
                "date": [datetime.date(2024, 5, 1), None],
                "tags": [["a"], ["b"]],
            }
        ),
        path,
    )
    warnings = []
    found = list(read_articles([str(path)], table_format="parquet", on_warning=warnings.append))
    assert [(a.id, a.metadata, a.where) for a in found] == [
        ("p1", {"date": "2024-05-01"}, f"{path}:row 1"),
        ("p2", {"date": None}, f"{path}:row 2"),
    ]
    assert warnings == [f"{path}: fields that are lists or objects are not kept as metadata: 'tags' (2 rows)"]


def test_json_lines_fields_left_out_are_named_once(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(
        "".join(json.dumps({"id": i, "text": ARMY, "authors": ["x"], "outlet": "O"}) + "\n" for i in range(3))
    )
    warnings = []
    found = list(read_articles([str(path)], on_warning=warnings.append))
    assert [a.metadata for a in found] == [{"outlet": "O"}] * 3
    assert warnings == [f"{path}: fields that are lists or objects are not kept as metadata: 'authors' (3 rows)"]


def test_metadata_joins_a_folder_by_file_name_and_reports_what_is_unmatched(tmp_path):
    folder = tmp_path / "news"
    (folder / "2024").mkdir(parents=True)
    (folder / "2024" / "brief.txt").write_text(ARMY, encoding="utf-8")
    (folder / "other.md").write_text(FARMS, encoding="utf-8")
    meta = tmp_path / "meta.csv"
    meta.write_text(
        "file,outlet,date\nbrief.txt,El Tiempo,2024-05-01\nmissing.txt,Semana,2024-05-02\n", encoding="utf-8"
    )
    result = run("predict", folder, "--metadata", meta, "-f", "jsonl")
    assert result.exit_code == 0, result.output
    assert {r["id"]: r["metadata"] for r in rows(result)} == {
        "2024/brief": {"outlet": "El Tiempo", "date": "2024-05-01"},
        "other": {},
    }
    assert "meta.csv: no row for 1 articles" in result.output and "other.md" in result.output
    assert "meta.csv: 1 rows match no article: file 'missing.txt'" in result.output


def test_metadata_matches_ids_and_keeps_an_articles_own_values(tmp_path):
    meta = tmp_path / "m.csv"
    meta.write_text("id,outlet,date\nr1,El Comercio,2020-01-01\n", encoding="utf-8")
    table = MetadataTable.read(meta)
    warnings = []
    joined = list(table.join([Article("r1", ARMY, "rows.jsonl:1", {"date": "2021-02-02"})], warnings.append))
    assert joined[0].metadata == {"outlet": "El Comercio", "date": "2021-02-02"}
    assert warnings == [
        f"{meta}: the articles' own values were kept where they differ from the table's: date (1 articles)"
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "outlet,date\nEl Tiempo,2024\n",
            "m.csv:1: no column to match the articles by: name one id, file, filename, path (its columns: outlet, date)",
        ),
        ("id,outlet\na,X\na,Y\n", "m.csv:3: id 'a' is given twice (line 2 and here)"),
        ("id,outlet\na,X,extra\n", "m.csv:2: 3 cells, but the header names 2 columns"),
        ("id,id,outlet\na,b,X\n", 'm.csv:1: column "id" is named twice; rename one'),
    ],
)
def test_a_bad_metadata_table_is_one_line_before_anything_is_tagged(tmp_path, text, message):
    meta = tmp_path / "m.csv"
    meta.write_text(text, encoding="utf-8")
    article = tmp_path / "a.txt"
    article.write_text(ARMY, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        MetadataTable.read(meta)
    assert str(raised.value) == str(meta.parent / message)
    result = run("predict", article, "--metadata", meta, "-f", "jsonl")
    assert result.exit_code == 1 and message in result.output and result.stdout == ""


def test_an_unknown_from_is_a_usage_error(tmp_path):
    result = run("predict", "--from", "xlsx", tmp_path)
    assert result.exit_code == 2 and "--from" in result.output


def test_tag_frame_adds_tag_columns_and_names_why_a_row_failed():
    pd = pytest.importorskip("pandas")
    import themetag

    news = pd.DataFrame({"body": [ARMY, None, FARMS], "outlet": ["A", "B", "C"]}, index=[10, 11, 12])
    tagged = themetag.tag_frame(news, text="body")
    assert list(tagged.index) == [10, 11, 12] and list(tagged["outlet"]) == ["A", "B", "C"]
    assert list(tagged["dominant_themes"].fillna("")) == ["militarization", "", "development"]
    assert tagged.loc[11, "error"] == "empty text (nothing to segment)" and tagged["error"].isna().sum() == 2
    with pytest.raises(themetag.ThemetagError, match="already has columns language, dominant_themes"):
        themetag.tag_frame(tagged, text="body")
    assert "tag_stance" in themetag.tag_frame(tagged, text="body", prefix="tag_").columns
    with pytest.raises(themetag.ThemetagError, match="no column 'text'"):
        themetag.tag_frame(news)


def test_empty_text_is_refused_in_python_as_on_the_command_line(tmp_path):
    import themetag

    for text in ("", "  \n\n "):
        with pytest.raises(InputError, match="empty text"):
            themetag.tag(text)
    empty = tmp_path / "e.txt"
    empty.write_text("\n")
    assert run("predict", empty).exit_code == 1


def test_random_bytes_are_refused_as_binary_even_without_nul_bytes(tmp_path):
    import random

    noise = random.Random(7)
    data = bytes(
        b
        for b in (noise.randrange(1, 256) for _ in range(4000))
        if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D) and not 0xC2 <= b <= 0xF4
    )[:800]
    path = tmp_path / "noise.txt"
    path.write_bytes(data)
    result = run("predict", path)
    assert result.exit_code == 1 and "noise.txt: looks like a binary file" in result.output


def test_one_to_frame_with_one_default_level():
    pytest.importorskip("pandas")
    import themetag

    tags = themetag.tag(f"{ARMY}\n\n{FARMS}", id="x")
    assert len(themetag.to_frame([tags])) == 1 and len(themetag.to_frame([tags], level="paragraph")) == 2
    assert not hasattr(tags, "to_frame")  # one way to make a frame: the results module's, not a second on the result


def test_a_repeated_id_is_an_error_naming_both_places_or_left_out_with_dedupe(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text(f'id,text\na,"{ARMY}"\nb,"{FARMS}"\na,"{FARMS}"\n', encoding="utf-8")
    strict = run("segment", "--from", "csv", table)
    assert (
        strict.exit_code == 1 and "t.csv:4: id 'a' was already given at" in strict.output and "t.csv:2" in strict.output
    )
    kept = run("segment", "--from", "csv", table, "--dedupe")
    assert kept.exit_code == 0, kept.output
    assert [r["doc"] for r in rows(kept)] == [
        "a",
        "b",
    ] and "--dedupe: 1 articles whose id was given before" in kept.output


def test_parquet_on_dask_is_named_with_from_as_in_one_process(tmp_path):
    pytest.importorskip("dask")
    path = tmp_path / "news.parquet"
    path.write_bytes(b"PAR1")
    result = run("predict", path, "--scheduler", "local", "--out", tmp_path / "out")
    assert result.exit_code == 2 and "name it with --from parquet --text-column COLUMN" in result.output


def test_the_collections_walk_through_runs(tmp_path, monkeypatch):
    """docs/collections.md's folder + metadata → Parquet → plot commands, run as written (outputs in a temporary
    folder)."""
    pytest.importorskip("pyarrow")
    pytest.importorskip("matplotlib")
    import re
    import shlex

    from conftest import REPO

    page = (REPO / "docs" / "collections.md").read_text(encoding="utf-8")
    block = page.split("```bash\n", 1)[1].split("```", 1)[0]
    commands = [shlex.split(line) for line in block.splitlines() if line.startswith("themetag ")]
    assert [c[1] for c in commands] == ["predict", "plot"]
    monkeypatch.chdir(REPO)
    outputs = {"tags.parquet": str(tmp_path / "tags.parquet"), "plots/": str(tmp_path / "plots")}
    predicted = run(*[outputs.get(w, w) for w in commands[0][1:]])
    assert predicted.exit_code == 0, predicted.output
    assert re.search(r"seeds_metadata.csv: no row for 1 articles .*003_7aa5d13fabe71821.txt", predicted.output)
    import pyarrow.parquet as pq

    table = pq.read_table(tmp_path / "tags.parquet").to_pandas()
    assert sorted(table["outlet"].fillna("-")) == [
        "-",
        "InSight Crime",
        "InSight Crime",
        "InSight Crime",
        "Total Military Insight",
    ]
    plotted = run(*[outputs.get(w, w) for w in commands[1][1:]])
    assert plotted.exit_code == 0, plotted.output
    assert "4 of 5 articles have no date" in plotted.output
    assert {"over_time.png", "by_outlet.png"} <= {p.name for p in (tmp_path / "plots").iterdir()}


@pytest.mark.parametrize("suffix, sep", [(".csv", ","), (".tsv", "\t")])
def test_a_table_naming_a_column_twice_is_one_line_and_the_other_inputs_are_read(tmp_path, suffix, sep):
    table = tmp_path / f"t{suffix}"
    table.write_text(
        sep.join(["id", "text", " text"]) + "\n" + sep.join(["1", f'"{ARMY}"', f'"{FARMS}"']) + "\n", encoding="utf-8"
    )
    good = tmp_path / f"g{suffix}"
    good.write_text(sep.join(["id", "text"]) + "\n" + sep.join(["2", f'"{ARMY}"']) + "\n", encoding="utf-8")
    found = list(read_articles([str(table), str(good)], table_format=suffix[1:]))
    assert [str(a) if isinstance(a, InputError) else a.id for a in found] == [
        f'{table}:1: column "text" is named twice; rename one',
        "2",
    ]


def test_a_table_with_a_header_and_no_rows_is_refused_as_an_empty_json_lines_file_is(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("id,text\n\n", encoding="utf-8")
    empty = tmp_path / "e.jsonl"
    empty.write_text("", encoding="utf-8")
    good = tmp_path / "g.csv"
    good.write_text(f'id,text\n2,"{ARMY}"\n', encoding="utf-8")
    found = list(read_articles([str(table), str(good)], table_format="csv"))
    assert [str(a) if isinstance(a, InputError) else a.id for a in found] == [
        f"{table}: no rows under the header (an empty table)",
        "2",
    ]
    assert [str(a) for a in read_articles([str(empty)])] == [f"{empty}: empty file (no JSON lines)"]


def test_a_label_table_naming_a_column_twice_is_refused():
    from themetag.errors import LabelError
    from themetag.interop import TableColumns, read_table
    from themetag.schema import Schema

    schema = Schema((), ("favor", "against", "none"), "none")
    import tempfile
    from pathlib import Path

    table = Path(tempfile.mkdtemp()) / "labels.csv"
    table.write_text(f'text,stance,stance\n"{ARMY}",favor,against\n', encoding="utf-8")
    with pytest.raises(LabelError, match=r'labels\.csv:1: column "stance" is named twice'):
        read_table(table, schema, columns=TableColumns(text="text", stance="stance"))
