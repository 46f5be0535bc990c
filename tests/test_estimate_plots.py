"""Pictures of `themetag estimate`'s rows (collection.plot_estimates) and reading those rows back (read_estimates).

The rows are made by hand: synthetic numbers in the shape EstimateRow has, not estimates of anything.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import fields

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("pandas")

from themetag.collection import ESTIMATE_COLUMNS, _draw_shares, _label_colours, plot_estimates, read_estimates  # noqa: E402
from themetag.errors import InputError, OutputError  # noqa: E402

THEMES = ("militarization", "development", "corruption", "civilian_defense")
STANCES = ("favor", "against", "neutral")
NAN = float("nan")


def row(label, group, *, share=0.3, N=1000, n=60, statistic="share", kind=None, no_interval=False):
    kind = kind or ("stance" if label in STANCES else "theme")
    half = 0.01 if statistic != "share" else 0.08
    estimate = NAN if no_interval else share
    low, high = (
        (NAN, NAN)
        if no_interval
        else (round(max(0.0, share - half), 4), round(min(1.0, share + half), 4))
        if statistic == "share"
        else (share - half, share + half)
    )
    return {
        "label": label,
        "type": kind,
        "group": group,
        "level": "paragraph",
        "statistic": statistic,
        "N": N,
        "n": n,
        "naive": round(share * 0.9, 4),
        "estimate": estimate,
        "ci_low": low,
        "ci_high": high,
        "labeled_only": estimate,
        "labeled_ci_low": low,
        "labeled_ci_high": high,
        "confidence": 0.95,
        "design": "stratified by outlet",
        "warning": "1 validated: no interval" if no_interval else "",
    }


def shares(groups, labels=THEMES + STANCES, **options):
    return [row(label, group, share=0.05 + 0.1 * k, **options) for group in groups for k, label in enumerate(labels)]


def test_the_columns_are_estimate_rows_fields():
    from themetag.estimates import EstimateRow

    assert ESTIMATE_COLUMNS == tuple(f.name for f in fields(EstimateRow))


def test_outlets_as_groups_give_one_picture_per_type(tmp_path):
    rows = shares(["all", "El Tiempo", "El Espectador", "Semana"])
    warnings = []
    written = plot_estimates(rows, tmp_path / "plots", dpi=40, by="outlet", on_warning=warnings.append)
    assert [p.name for p in written] == ["estimates_themes.png", "estimates_stances.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in written)
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == sorted(
        p.name for p in written
    )  # no temporary file left
    assert warnings == []


def test_years_as_groups_are_a_time_series_broken_where_a_year_is_missing(tmp_path):
    import matplotlib.pyplot as plt
    import pandas as pd

    rows = shares(["all", "2012", "2013", "2015", "2016"], labels=THEMES)
    frame = pd.DataFrame(rows)
    figure, notes = _draw_shares(plt, frame, "theme", _label_colours(frame), "year")
    try:
        assert notes == []
        for ax in figure.axes:
            if not ax.get_visible():
                continue
            assert list(ax.get_xticks()) == [2012, 2013, 2015, 2016]  # a real year axis: 2014 is a gap, not a tick
            for line in ax.get_lines():
                x = [v for v in line.get_xdata()]
                if len(x) > 1:  # a line joins consecutive years only
                    assert all(b - a == 1 for a, b in zip(x, x[1:])), x
            joined = [list(line.get_xdata()) for line in ax.get_lines() if len(line.get_xdata()) > 1]
            assert [2012.0, 2013.0] in joined and [2015.0, 2016.0] in joined
    finally:
        plt.close(figure)
    written = plot_estimates(rows, tmp_path, dpi=40)
    assert [p.name for p in written] == ["estimates_themes.png"]


def test_trends_are_a_forest_plot(tmp_path):
    rows = [
        row(label, "all", share=0.01 * (k - 3), statistic="change per year") for k, label in enumerate(THEMES + STANCES)
    ]
    rows += [row("corruption", "Semana", share=-0.02, statistic="change per year")]
    written = plot_estimates(rows, tmp_path, dpi=40, by="outlet")
    assert [p.name for p in written] == ["estimate_trends.png"]


def test_rows_with_no_interval_are_left_out_and_counted(tmp_path):
    rows = shares(["all", "El Tiempo"], labels=THEMES[:3] + STANCES[:2])
    rows += [row(label, "Semana", n=1, no_interval=True) for label in ("militarization", "favor")]
    rows += [row(label, "Semana") for label in ("development", "corruption", "against")]
    warnings = []
    written = plot_estimates(rows, tmp_path, dpi=40, on_warning=warnings.append)
    assert len(written) == 2
    assert warnings == [
        "estimates_themes.png: 1 of 9 rows have no interval (too few validated): left out: Semana (n=1): militarization",
        "estimates_stances.png: 1 of 6 rows have no interval (too few validated): left out: Semana (n=1): favor",
    ]
    trends = [
        row(label, "all", share=0.01, statistic="change per year", no_interval=label in ("corruption", "neutral"))
        for label in THEMES + STANCES
    ]
    trends += [row(label, "El Tiempo", share=0.01, statistic="change per year") for label in THEMES + STANCES]
    warnings.clear()
    plot_estimates(trends, tmp_path / "t", dpi=40, on_warning=warnings.append)
    assert warnings == [
        "estimate_trends.png: 2 of 14 rows have no interval (too few validated): left out: all (n=60): corruption, neutral"
    ]


def test_an_existing_picture_is_refused_without_force(tmp_path):
    rows = shares(["all", "A"], labels=("corruption", "favor"))
    plot_estimates(rows, tmp_path, dpi=30)
    before = (tmp_path / "estimates_stances.png").read_bytes()
    (tmp_path / "estimates_themes.png").unlink()
    with pytest.raises(OutputError, match="estimates_stances.png: exists.*force"):
        plot_estimates(rows, tmp_path, dpi=30)
    assert not (tmp_path / "estimates_themes.png").exists()  # refused before anything was written
    assert (tmp_path / "estimates_stances.png").read_bytes() == before
    assert len(plot_estimates(rows, tmp_path, dpi=30, force=True)) == 2


@pytest.mark.parametrize("fmt, start", [("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_svg_and_pdf(tmp_path, fmt, start):
    rows = shares(["all", "2019", "2020"], labels=STANCES)
    written = plot_estimates(rows, tmp_path, fmt=fmt)
    assert [p.name for p in written] == [f"estimates_stances.{fmt}"]
    assert written[0].read_bytes().startswith(start)
    again = plot_estimates(rows, tmp_path / "again", fmt=fmt)
    assert again[0].read_bytes() == written[0].read_bytes()  # no date stamped in: the same rows, the same file


def test_an_unknown_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="png, svg, pdf"):
        plot_estimates(shares(["all"]), tmp_path, fmt="jpg")


def write_csv(path, rows):
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(ESTIMATE_COLUMNS), lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: "" if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()})


def test_read_estimates_reads_csv_and_json_lines_with_empty_numbers_as_nan(tmp_path):
    rows = shares(["all", "2019"], labels=THEMES) + [row("corruption", "2020", n=1, no_interval=True)]
    write_csv(tmp_path / "e.csv", rows)
    (tmp_path / "e.jsonl").write_text(
        "".join(
            json.dumps({k: None if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()}) + "\n"
            for r in rows
        ),
        encoding="utf-8",
    )
    (tmp_path / "e.json").write_text(
        json.dumps([{k: None if v != v else v for k, v in r.items()} for r in rows]), encoding="utf-8"
    )
    frames = [read_estimates(tmp_path / name) for name in ("e.csv", "e.jsonl", "e.json")]
    for frame in frames:
        assert list(frame.columns) == list(ESTIMATE_COLUMNS) and len(frame) == 9
        assert frame["group"].tolist()[-2:] == ["2019", "2020"]  # years stay text
        assert frame["N"].dtype.kind == "i" and math.isnan(frame["estimate"].iloc[-1])
    assert frames[0].equals(frames[1]) and frames[1].equals(frames[2])
    assert len(plot_estimates(tmp_path / "e.csv", tmp_path / "plots", dpi=30)) == 1


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda r: r.update(estimate="high"), r"e\.csv:3: estimate is 'high', not a number"),
        (lambda r: r.update(n="sixty"), r"e\.csv:3: n is 'sixty', not a number"),
        (lambda r: r.update(type="topic"), r"e\.csv:3: type is 'topic', not one of theme, stance"),
        (lambda r: r.update(n=5000), r"e\.csv:3: n \(validated\) is 5000, more than N"),
        (lambda r: r.update(ci_low=0.9, ci_high=0.1), r"e\.csv:3: ci_low 0\.9 is above ci_high 0\.1"),
    ],
)
def test_read_estimates_names_the_file_and_line_of_a_bad_csv_row(tmp_path, change, message):
    rows = shares(["all"], labels=THEMES[:3])
    change(rows[1])
    write_csv(tmp_path / "e.csv", rows)
    with pytest.raises(InputError, match=message) as caught:
        read_estimates(tmp_path / "e.csv")
    assert "\n" not in str(caught.value)


def test_read_estimates_refuses_a_csv_without_the_columns(tmp_path):
    (tmp_path / "e.csv").write_text("label,group,estimate\nx,all,0.3\n", encoding="utf-8")
    with pytest.raises(
        InputError, match=r"e\.csv:1: no column type, level, statistic, N, n, naive, ci_low, ci_high, confidence"
    ):
        read_estimates(tmp_path / "e.csv")


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda r: r.update(N="1000"), r"e\.jsonl:2: N is '1000', not a number"),
        (lambda r: r.update(naive=True), r"e\.jsonl:2: naive is True, not a number"),
        (lambda r: r.pop("ci_high"), r"e\.jsonl:2: no ci_high: not a row of `themetag estimate`"),
        (lambda r: r.update(statistic="slope"), r"e\.jsonl:2: statistic is 'slope', not one of share, change per year"),
    ],
)
def test_read_estimates_names_the_file_and_line_of_a_bad_json_lines_row(tmp_path, change, message):
    rows = shares(["all"], labels=THEMES[:3])
    change(rows[1])
    (tmp_path / "e.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(InputError, match=message) as caught:
        read_estimates(tmp_path / "e.jsonl")
    assert "\n" not in str(caught.value)


def test_read_estimates_refuses_bad_json_and_other_files(tmp_path):
    (tmp_path / "e.jsonl").write_text(json.dumps(row("corruption", "all")) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"e\.jsonl:2: not valid JSON"):
        read_estimates(tmp_path / "e.jsonl")
    (tmp_path / "e.txt").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match=r"e\.txt: expected the rows of `themetag estimate`"):
        read_estimates(tmp_path / "e.txt")
    rows = [row("corruption", "all"), row("corruption", "all")]
    (tmp_path / "twice.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(
        InputError, match=r"twice\.jsonl:2: a second row of 'corruption' in group 'all' \(the first is at line 1\)"
    ):
        read_estimates(tmp_path / "twice.jsonl")


def test_rows_in_memory_are_checked_too(tmp_path):
    import pandas as pd

    rows = shares(["all"], labels=THEMES[:2])
    rows[1]["ci_low"] = "0.1"
    with pytest.raises(InputError, match=r"estimate row 2: ci_low is '0\.1', not a number"):
        plot_estimates(rows, tmp_path)
    frame = pd.DataFrame(shares(["all", 2019, 2020], labels=THEMES[:2]))  # years as numbers in a frame: read as text
    assert [p.name for p in plot_estimates(frame, tmp_path, dpi=30)] == ["estimates_themes.png"]


@pytest.mark.parametrize(
    "change, message",
    [
        # The tester's row: a share's interval reaching 1e308 ended in "internal error (StopIteration)".
        (
            lambda r: r.update(estimate=0.5, ci_low=0.4, ci_high=1e308),
            r"ci_high is 1e\+308, not a share between 0 and 1",
        ),
        (lambda r: r.update(estimate=-0.1, ci_low=-0.2), r"estimate is -0\.1, not a share between 0 and 1"),
        (lambda r: r.update(labeled_ci_high=1.5), r"labeled_ci_high is 1\.5, not a share between 0 and 1"),
        (lambda r: r.update(labeled_only=2.0, labeled_ci_high=3.0), r"labeled_only is 2\.0, not a share"),
    ],
)
def test_a_share_outside_0_to_1_is_a_one_line_error_naming_file_and_line(tmp_path, change, message):
    rows = shares(["all"], labels=THEMES[:3])
    change(rows[1])
    path = tmp_path / "e.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(InputError, match=r"e\.jsonl:2: " + message) as caught:
        plot_estimates(path, tmp_path / "out")
    assert "\n" not in str(caught.value) and not (tmp_path / "out").exists()


def test_a_trend_may_pass_1_but_must_be_a_drawable_number(tmp_path):
    steep = [row(label, "all", statistic="change per year", share=2.5) for label in THEMES[:2]]  # 250 points a year
    assert [p.name for p in plot_estimates(steep, tmp_path, dpi=30)] == ["estimate_trends.png"]
    steep[1].update(estimate=0.5, ci_low=-1e308, ci_high=1e308)
    with pytest.raises(InputError, match=r"estimate row 2: ci_low is -1e\+308, not a change per year"):
        plot_estimates(steep, tmp_path, force=True)


def test_many_groups_draw_the_largest_and_a_warning_counts_the_rest(tmp_path):
    # 20,000 groups ran out of memory (a band a group); 200 took a picture 200 bands tall.
    rows = shares(["all"] + [f"outlet {k}" for k in range(200)], labels=THEMES[:2])
    for r in rows:
        if r["group"] != "all":
            r["N"] = 100 + int(r["group"].split()[1])  # the largest N: outlets 199 down to 170
    rows[-1]["group"] = rows[-2]["group"] = "x" * 500 + " 199"  # a long name: cut in its tick label
    warnings = []
    [path] = plot_estimates(rows, tmp_path, dpi=30, on_warning=warnings.append)
    assert warnings == [
        "estimates_themes.png: 170 of 200 groups left out of the picture (it draws the 30 groups with the largest N"
        " and all); filter the rows, or estimate with another --by, to draw others"
    ]
    import matplotlib

    matplotlib.use("Agg")
    part = read_estimates_frame(rows)
    figure, notes = _draw_shares(matplotlib.pyplot, part[part["type"] == "theme"], "theme", _label_colours(part), None)
    ticks = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert len(ticks) == 31 and ticks[0].startswith("all") and ticks[1].startswith("outlet 170\n")
    assert not any(t.startswith("outlet 169\n") for t in ticks)
    assert len(ticks[-1]) < 120 and ticks[-1].startswith("xxx") and "…" in ticks[-1]
    assert figure.get_size_inches()[1] < 40
    matplotlib.pyplot.close(figure)


def test_many_periods_draw_the_latest(tmp_path):
    rows = shares(["all"] + [str(year) for year in range(1900, 2000)], labels=THEMES[:1])
    warnings = []
    plot_estimates(rows, tmp_path, dpi=30, on_warning=warnings.append)
    assert warnings == [
        "estimates_themes.png: 70 of 100 groups left out of the picture (it draws the latest 30 periods and all);"
        " filter the rows, or estimate with another --by, to draw others"
    ]


def read_estimates_frame(rows):
    from themetag.collection import _estimate_rows

    return _estimate_rows(rows)
