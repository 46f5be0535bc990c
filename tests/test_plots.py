"""Pictures of a tagged collection (`themetag plot` on predict's article rows; themetag.collection.plot_collection).

The rows are made by hand in the shape `themetag predict` writes at article level: synthetic numbers, no model.
"""

from __future__ import annotations

import json
import math
import struct

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("pandas")

from typer.testing import CliRunner  # noqa: E402

from themetag.cli import app  # noqa: E402
from themetag.collection import (  # noqa: E402
    STANCE_COLOURS,
    THEME_COLOURS,
    _draw_by_outlet,
    _draw_over_time,
    by_outlet_table,
    collection_colours,
    over_time_table,
    plot_collection,
    read_results,
)
from themetag.errors import InputError, OutputError  # noqa: E402

THEMES = ("militarization", "development", "corruption", "civilian_defense")
STANCES = ("favor", "against", "neutral")


def record(k, *, date="2020-03-05", outlet="El Tiempo", url=..., content=10, **fields):
    metadata = {"date": date, "outlet": outlet, "url": url}
    metadata = {key: value for key, value in metadata.items() if value is not ...}
    favor, against = k % 3, (k + 1) % 3
    return {
        "id": f"a{k}",
        "metadata": metadata,
        "dominant_themes": [],
        "theme_shares": {t: round(0.05 * (j + 1) + 0.01 * (k % 4), 4) for j, t in enumerate(THEMES)},
        "stance": "neutral",
        "stance_counts": {"favor": favor, "against": against, "neutral": content - favor - against},
        "counts": {"paragraphs": content + 2, "content": content, "heading": 1, "boilerplate": 1},
        **fields,
    }


def write(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def run(*args):
    return CliRunner().invoke(app, list(map(str, args)))


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def png_dpi(path) -> float:
    data = path.read_bytes()
    at = data.index(b"pHYs")
    x, _, unit = struct.unpack(">IIB", data[at + 4 : at + 13])
    assert unit == 1  # per metre
    return x * 0.0254


def test_every_article_left_out_is_counted_in_a_warning_and_the_rest_is_drawn(tmp_path):
    # The report: 9 articles, 8 without a date; two without an outlet.
    rows = [record(0)] + [
        record(k, date=None if k % 2 else "", outlet=None if k in (2, 3) else "Semana") for k in range(1, 9)
    ]
    results = write(tmp_path / "tags.jsonl", rows)
    result = run("plot", results, "--out", tmp_path / "p", "--dpi", 50)
    assert result.exit_code == 0, result.output
    assert "Warning: over time: 8 of 9 articles have no date: left out" in result.output
    assert "Warning: by outlet: 2 of 9 articles have no outlet: left out" in result.output
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == [
        "by_outlet.csv",
        "by_outlet.png",
        "over_time.csv",
        "over_time.png",
    ]
    # A date that is not one, an outlet of spaces, and an article that failed in predict are counted too.
    rows = [record(0), record(1, date="soon"), record(2, outlet="  "), record(3, error="empty text")]
    warnings = []
    plot_collection(
        read_results(write(tmp_path / "more.jsonl", rows)), tmp_path / "q", dpi=50, on_warning=warnings.append
    )
    assert warnings == [
        "1 of 4 articles failed in predict (error set) and have no tags: left out of every picture",
        "over time: 1 of 3 articles have a date that is not one ('soon'): left out",
        "by outlet: 1 of 3 articles have no outlet: left out",
    ]


def test_nothing_to_draw_is_an_error_and_a_view_with_no_rows_is_not_written(tmp_path):
    rows = [record(k, date=None, outlet=...) for k in range(3)]
    result = run("plot", write(tmp_path / "tags.jsonl", rows), "--out", tmp_path / "p")
    assert result.exit_code == 1 and "nothing to plot" in result.output
    assert "over time: 3 of 3 articles have no date: left out" in result.output
    rows = [record(k, outlet=None) for k in range(3)]
    result = run("plot", write(tmp_path / "tags.jsonl", rows), "--out", tmp_path / "p", "--dpi", 50)
    assert result.exit_code == 0 and "by outlet: 3 of 3 articles have no outlet: left out" in result.output
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == ["over_time.csv", "over_time.png"]


@pytest.mark.parametrize("fmt, magic", [("svg", b"<svg"), ("pdf", b"%PDF-")])
def test_svg_and_pdf_are_written(tmp_path, fmt, magic):
    results = write(tmp_path / "tags.jsonl", [record(k, date=f"2020-0{1 + k % 3}-01") for k in range(6)])
    result = run("plot", results, "--out", tmp_path / "p", "--format", fmt)
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "p").iterdir())
    assert names == sorted(["by_outlet.csv", f"by_outlet.{fmt}", "over_time.csv", f"over_time.{fmt}"])
    for view in ("over_time", "by_outlet"):
        head = (tmp_path / "p" / f"{view}.{fmt}").read_bytes()[:400]
        assert head.startswith(magic) if fmt == "pdf" else magic in head, head[:80]
    # The same rows, the same file (no date written in): a rerun with --force changes nothing.
    before = (tmp_path / "p" / f"over_time.{fmt}").read_bytes()
    assert run("plot", results, "--out", tmp_path / "p", "--format", fmt).exit_code == 1  # refused without --force
    assert run("plot", results, "--out", tmp_path / "p", "--format", fmt, "--force").exit_code == 0
    assert (tmp_path / "p" / f"over_time.{fmt}").read_bytes() == before
    assert run("plot", results, "--out", tmp_path / "p", "--format", "gif").exit_code == 2


def test_dpi_sets_the_png_resolution(tmp_path):
    frame = read_results(write(tmp_path / "tags.jsonl", [record(k, date=f"2020-0{1 + k % 3}-01") for k in range(6)]))
    small = plot_collection(frame, tmp_path / "a", dpi=60)
    large = plot_collection(frame, tmp_path / "b", dpi=180)
    for a, b in zip(small, large):
        if a.suffix == ".png":
            assert png_dpi(a) == pytest.approx(60, abs=0.5) and png_dpi(b) == pytest.approx(180, abs=0.5)
            (wa, ha), (wb, hb) = png_size(a), png_size(b)
            assert wb == pytest.approx(3 * wa, abs=3) and hb == pytest.approx(3 * ha, abs=3)
        else:
            assert a.read_bytes() == b.read_bytes()  # the numbers do not depend on the resolution
    assert png_size(tmp_path / "b" / "over_time.png")[0] > 1200  # fit for print at the default too
    assert run("plot", tmp_path / "tags.jsonl", "--out", tmp_path / "c", "--dpi", 10).exit_code == 2


def test_a_month_without_articles_is_a_gap_on_a_date_axis(tmp_path):
    import matplotlib.pyplot as plt
    import pandas as pd

    rows = [record(k, date=d) for k, d in enumerate(["2020-01-03", "2020-01-20", "2020-03-02", "2020-04-30T22:00:00Z"])]
    frame = read_results(write(tmp_path / "tags.jsonl", rows))
    table, notes = over_time_table(frame, "month")
    assert notes == []
    assert [str(p) for p in table.index] == ["2020-01", "2020-02", "2020-03", "2020-04"]
    assert table["articles"].tolist() == [2, 0, 1, 1]
    assert table["share_corruption"].isna().tolist() == [False, True, False, False]
    assert table["stance_favor"].tolist()[1] == 0
    figure = _draw_over_time(plt, table, [])
    try:
        themes = figure.axes[0]
        lines = [line for line in themes.get_lines() if len(line.get_xdata()) == 4]
        assert len(lines) == len(THEMES)
        for line in lines:
            y = list(line.get_ydata())
            assert math.isnan(y[1]) and not any(
                math.isnan(v) for v in y[:1] + y[2:]
            )  # broken at February, not joined across
            x = line.get_xdata()
            assert x[1] - x[0] == pytest.approx(31, abs=1.5) and x[2] - x[1] == pytest.approx(
                29.5, abs=1.5
            )  # days: a real date axis
        from matplotlib.dates import date2num

        assert x[0] == pytest.approx(date2num(pd.Timestamp("2020-01-16 12:00")))  # the middle of January
        counts = figure.axes[2]
        assert [p.get_height() for p in counts.containers[0]] == [2, 0, 1, 1]
        assert [t.get_text() for t in counts.texts] == ["2", "0", "1", "1"]  # n per period, 0 for the gap
    finally:
        plt.close(figure)
    # The CSV holds the periods with articles; quarters and years as asked.
    plot_collection(frame, tmp_path / "p", dpi=40)
    lines = (tmp_path / "p" / "over_time.csv").read_text().splitlines()
    assert [line.split(",")[:2] for line in lines] == [
        ["date", "articles"],
        ["2020-01", "2"],
        ["2020-03", "1"],
        ["2020-04", "1"],
    ]
    assert [str(p) for p in over_time_table(frame, "quarter")[0].index] == ["2020Q1", "2020Q2"]
    years = read_results(write(tmp_path / "y.jsonl", [record(0, date="2012-05-01"), record(1, date="2016-01-01")]))
    assert over_time_table(years)[0]["articles"].tolist() == [1, 0, 0, 0, 1]  # auto: years beyond three years of dates


def test_outlets_are_bars_with_n_in_their_names(tmp_path):
    import matplotlib.pyplot as plt

    rows = [record(k, outlet=["El Tiempo", "Semana", "El Tiempo", "El Espectador"][k % 4]) for k in range(8)]
    table, label, notes = by_outlet_table(read_results(write(tmp_path / "tags.jsonl", rows)))
    assert (
        label == "outlet"
        and notes == []
        and table["articles"].to_dict() == {"El Espectador": 2, "El Tiempo": 4, "Semana": 2}
    )
    figure = _draw_by_outlet(plt, table, label, [])
    try:
        themes, stances = figure.axes[:2]
        assert [t.get_text() for t in themes.get_yticklabels()] == [
            "El Tiempo (n=4)",
            "El Espectador (n=2)",
            "Semana (n=2)",
        ]
        assert len(themes.patches) == 3 * len(THEMES) and not themes.get_lines()  # bars, not lines joining outlets
        assert len(stances.patches) == 3 * 2  # favor and against; neutral is the rest
    finally:
        plt.close(figure)
    # No outlet column: the url's host.
    rows = [record(k, outlet=..., url=f"https://www.{['a.org', 'b.com'][k % 2]}/x/{k}") for k in range(4)]
    frame = read_results(write(tmp_path / "u.jsonl", rows))
    table, label, _ = by_outlet_table(frame)
    assert label == "outlet (url host)" and list(table.index) == ["a.org", "b.com"]


def test_stance_colours_are_not_theme_colours():
    styles = collection_colours(THEMES, STANCES)
    themes = {styles[("theme", t)][0] for t in THEMES}
    stances = {styles[("stance", s)][0] for s in STANCES}
    assert len(themes) == len(THEMES) and len(stances) == len(STANCES) and not themes & stances
    assert not set(THEME_COLOURS) & set(STANCE_COLOURS)
    many = collection_colours([f"t{k}" for k in range(9)], STANCES)  # past the palette: another marker and hatch
    assert len({many[("theme", f"t{k}")] for k in range(9)}) == 9


def test_the_drawn_colours_of_themes_and_stances_differ(tmp_path):
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_hex

    rows = [record(k, date=f"2020-0{1 + k % 3}-01") for k in range(6)]
    table, _ = over_time_table(read_results(write(tmp_path / "tags.jsonl", rows)))
    figure = _draw_over_time(plt, table, [])
    try:
        lines = {to_hex(line.get_color()).upper() for line in figure.axes[0].get_lines()}
        bars = {to_hex(bar.get_facecolor()).upper() for bar in figure.axes[1].patches}
        assert lines and bars and not lines & bars
    finally:
        plt.close(figure)


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"theme_shares": "militarization"},
            "theme_shares is a string ('militarization'), not an object of theme: share",
        ),
        ({"stance_counts": None}, "stance_counts is null, not an object of stance: paragraph count"),
        ({"metadata": "El Tiempo"}, "metadata is a string ('El Tiempo'), not an object of field: value"),
        (
            {"theme_shares": {"militarization": "0.2"}},
            "theme_shares['militarization'] is '0.2', not a share from 0 to 1",
        ),
        ({"theme_shares": {"militarization": 1.5}}, "theme_shares['militarization'] is 1.5, not a share from 0 to 1"),
        ({"stance_counts": {"favor": 1.5}}, "stance_counts['favor'] is 1.5, not a count (a whole number, 0 or more)"),
        ({"counts": []}, "counts is an array, not an object of kind: paragraph count"),
    ],
)
def test_a_malformed_json_row_is_a_one_line_error_naming_file_and_line(tmp_path, change, message):
    results = write(tmp_path / "tags.jsonl", [record(0), {**record(1), **change}])
    result = run("plot", results, "--out", tmp_path / "p")
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {results}:2: {message}"
    assert not (tmp_path / "p").exists()
    with pytest.raises(InputError, match="tags.jsonl:2: "):
        read_results(results)


def test_a_malformed_csv_row_is_a_one_line_error_naming_the_file_and_row(tmp_path):
    header = "id,date,outlet,share_militarization,stance_favor,stance_neutral,content_paragraphs"
    good = tmp_path / "tags.csv"
    good.write_text(f"{header}\na,2020-01-01,NA,0.1,1,4,5\nb,2020-02-01,,0.2,0,3,3\n", encoding="utf-8")
    frame = read_results(good)
    assert frame["outlet"].tolist()[0] == "NA"  # a name, not a missing value; only an empty cell is missing
    table, _, notes = by_outlet_table(frame)
    assert notes == ["by outlet: 1 of 2 articles have no outlet: left out"] and list(table.index) == ["NA"]
    for row, message in (
        ("b,2020-02-01,X,abc,0,3,3", "share_militarization is 'abc', not a share from 0 to 1"),
        ("b,2020-02-01,X,0.2,-1,3,3", "stance_favor is -1, not a count (a whole number, 0 or more)"),
        ("b,2020-02-01,X,0.2,0,3,2.5", "content_paragraphs is 2.5, not a count (a whole number, 0 or more)"),
    ):
        bad = tmp_path / "bad.csv"
        bad.write_text(f"{header}\na,2020-01-01,X,0.1,1,4,5\n{row}\n", encoding="utf-8")
        result = run("plot", bad, "--out", tmp_path / "p")
        assert result.exit_code == 1 and result.output.strip() == f"Error: {bad}: row 2 (id b): {message}", (
            result.output
        )


def test_existing_pictures_of_the_asked_format_are_refused_before_anything_is_written(tmp_path):
    frame = read_results(write(tmp_path / "tags.jsonl", [record(k, date=f"2020-0{1 + k % 3}-01") for k in range(3)]))
    out = tmp_path / "p"
    out.mkdir()
    (out / "by_outlet.svg").write_text("mine")
    plot_collection(frame, out, dpi=40)  # PNG: the SVG is not in its way
    with pytest.raises(OutputError, match="by_outlet.svg"):
        plot_collection(frame, out, fmt="svg", force=False)
    assert (out / "by_outlet.svg").read_text() == "mine"
    with pytest.raises(ValueError):
        plot_collection(frame, out, fmt="gif", force=True)


def test_implausible_dates_are_left_out_and_counted():
    # 9999-12-31 among ordinary dates ran ~60 s and 600 MB into "Date ordinal ... must be between year 0001 and 9999".
    import pandas as pd

    rows = [record(k, date=f"2020-0{k % 9 + 1}-05") for k in range(20)]
    rows += [record(20, date="9999-12-31"), record(21, date="-5000"), record(22, date="0001-01-01")]
    table, notes = over_time_table(pd.DataFrame(read_rows(rows)))
    assert notes == [
        "over time: 3 of 23 articles have a date before 1800 or after 2200 ('9999-12-31', '-5000', '0001-01-01'): left out"
    ]
    assert table.index.freqstr.startswith("M") and len(table) == 9 and table["articles"].sum() == 20


def test_a_long_span_is_drawn_in_coarser_periods(tmp_path):
    # Months from 1800 to 2200 would be 4,801 periods; years are 401.
    import pandas as pd

    rows = [record(k, date=f"{1800 + 40 * k}-06-01") for k in range(11)]
    table, notes = over_time_table(pd.DataFrame(read_rows(rows)), "month")
    assert notes == [
        "over time: 4,801 months from 1800-06 to 2200-06 are too many to draw (at most 401): by quarter instead",
        "over time: 1,601 quarters from 1800-06 to 2200-06 are too many to draw (at most 401): by year instead",
    ]
    assert len(table) == 401 and table["articles"].sum() == 11


def read_rows(rows):
    from themetag.collection import _result_row

    return [_result_row(r, ValueError) for r in rows]


def test_many_outlets_draw_the_30_largest_with_long_names_cut(tmp_path):
    # 1,000 distinct outlets ran out of memory; 200 with 500-character names gave a 2131x37787 PNG.
    import os
    import resource
    import subprocess
    import sys

    rows = [record(k, outlet=f"outlet {k:04d} " + "x" * 500) for k in range(1000)]
    rows += [record(1000 + k, outlet="El Tiempo") for k in range(3)]
    path = write(tmp_path / "r.jsonl", rows)

    def limited():
        resource.setrlimit(resource.RLIMIT_AS, (2_000_000_000, 2_000_000_000))  # ~1.5 GB is mapped at rest

    done = subprocess.run(
        [sys.executable, "-m", "themetag", "plot", str(path), "-o", str(tmp_path / "out"), "--dpi", "50"],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limited,
        env={**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},  # its threads' arenas: address space
    )
    assert done.returncode == 0, done.stderr[-500:]
    assert (
        "by outlet: 971 of 1,001 outlets (971 of 1,003 articles) left out of the picture, which draws the 30 with "
        "the most articles (by_outlet.csv has them all)" in done.stderr
    )
    assert len((tmp_path / "out" / "by_outlet.csv").read_text(encoding="utf-8").splitlines()) == 1 + 1001
    width, height = png_size(tmp_path / "out" / "by_outlet.png")
    assert width < 1000 and height < 30 * 60  # ~1 inch a band: 30 bands, not 1,001 (or 18 lines of a name each)
