"""A picture of a tagged collection: theme shares and stances over time and by outlet.

Reads what ``themetag predict`` wrote at article level (JSON Lines, CSV or
Parquet; a folder of Parquet from ``--scheduler``), checking its rows, and writes,
per view, the numbers as CSV and a picture (PNG, SVG or PDF). Needs pandas and
matplotlib (``pip install 'themetag[frames,report]'``).

A theme's share in a group is the share of the group's content paragraphs
that carry it (articles weighted by their content paragraphs); stance counts
are paragraph counts per stance.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Callable

from .errors import InputError, OutputError, ThemetagError

#: Columns tried, in order, for "by outlet" when none is named; else the url's host.
OUTLET_COLUMNS = ("outlet", "source", "publisher", "site")


def read_results(path: str | Path):
    """Article-level results of ``predict`` as one flat pandas DataFrame (the CSV's columns).

    Rows are checked as they are read: a row whose ``theme_shares``, ``stance_counts``, ``counts`` or ``metadata``
    is not an object, a share that is not a number from 0 to 1, a count that is not a whole number 0 or more raise
    :class:`~themetag.errors.InputError` naming the file (and, for JSON Lines, the line).
    """
    import pandas as pd

    path = Path(path)
    where = str(path)
    if path.is_dir() or path.suffix.lower() in (".parquet", ".pq"):
        frame = pd.read_parquet(path)
    elif path.suffix.lower() == ".csv":
        # Only an empty cell is missing: an outlet called "NA" or "None" is a name.
        frame = pd.read_csv(path, dtype={"id": str, "date": str}, keep_default_na=False, na_values=[""])
    elif path.suffix.lower() in (".jsonl", ".json"):
        from .io import iter_json_lines, open_input

        rows = []
        with open_input(path) as handle:
            for item in iter_json_lines(handle):
                if item.error is not None:
                    raise InputError(item.error, path=where, line=item.line)
                rows.append(
                    _result_row(item.value, lambda message, line=item.line: InputError(message, path=where, line=line))
                )
        frame = pd.DataFrame(rows)
    else:
        raise InputError(f"{path}: expected predict's output as .jsonl, .csv or .parquet (or a folder of Parquet)")
    return _checked_results(frame, where)


def _result_row(record, fail) -> dict:
    """One JSON record of ``predict`` (article level) → a flat row, as the CSV has it; ``fail(message)`` makes the error."""
    import json

    from .io import _json_type

    if not isinstance(record, dict) or "theme_shares" not in record:
        raise fail("not an article record of `themetag predict` (use article level, not --paragraphs)")
    parts = {}
    for field, what, _required in (
        ("theme_shares", "theme: share", True),
        ("stance_counts", "stance: paragraph count", False),
        ("counts", "kind: paragraph count", False),
        ("metadata", "field: value", False),
    ):
        value = record.get(field, {})
        if field in record and not isinstance(value, dict):
            kind = (
                f"a string ({_short(value)})"
                if isinstance(value, str)
                else f"a number ({value!r})"
                if isinstance(value, int)
                else _json_type(value)
            )
            raise fail(f"{field} is {kind}, not an object of {what}")
        parts[field] = value
    for theme, share in parts["theme_shares"].items():
        if share is not None and (
            isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1
        ):
            raise fail(f"theme_shares[{theme!r}] is {_short(share)}, not a share from 0 to 1")
    for field in ("stance_counts", "counts"):
        for name, count in parts[field].items():
            if count is not None and (
                isinstance(count, bool)
                or not isinstance(count, (int, float))
                or count < 0
                or not float(count).is_integer()
            ):
                raise fail(f"{field}[{name!r}] is {_short(count)}, not a count (a whole number, 0 or more)")
    # A list or an object in the metadata stays, as its JSON text (hashable, and seen as written).
    metadata = {
        k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v)
        for k, v in parts["metadata"].items()
    }
    row = {
        "id": record.get("id"),
        **metadata,
        **{f"share_{t}": v for t, v in parts["theme_shares"].items()},
        **{f"stance_{s}": n for s, n in parts["stance_counts"].items()},
        "content_paragraphs": parts["counts"].get("content", 0),
    }
    if record.get("error") is not None:
        row["error"] = record["error"]
    return row


def _checked_results(frame, where: str | None):
    """``frame`` with its share_, stance_ and content_paragraphs columns checked and made numbers.

    ``where`` names the file (None: a frame given in memory). A value that is not a share (0 to 1) or a count raises
    :class:`~themetag.errors.InputError` naming the row (its position, 1-based, and id)."""
    import pandas as pd

    if not any(str(c).startswith("share_") for c in frame.columns) or "content_paragraphs" not in frame.columns:
        message = (
            "no share_<theme> and content_paragraphs columns: article-level output of `themetag predict` is needed"
        )
        raise InputError(message, path=where) if where else InputError(message)
    frame = frame.reset_index(drop=True)
    themes, stances = _themes_and_stances(frame)
    checks = (
        [(f"share_{t}", False) for t in themes]
        + [(f"stance_{s}", True) for s in stances]
        + [("content_paragraphs", True)]
    )
    columns = {}
    for column, count in checks:
        given = frame[column]
        numbers = (
            pd.to_numeric(given, errors="coerce")
            if given.dtype == object or str(given.dtype) in ("str", "string")
            else given
        )
        if given.dtype == bool:
            numbers = pd.Series(math.nan, index=given.index)
        numbers = numbers.astype(float)
        bad = given.notna() & (numbers.isna() | (numbers < 0) | ((numbers > 1) if not count else (numbers % 1 != 0)))
        if bad.any():
            k = int(bad.idxmax())
            ident = frame["id"].iloc[k] if "id" in frame.columns else None
            row = f"row {k + 1}" + (f" (id {ident})" if ident is not None and not pd.isna(ident) else "")
            what = "a count (a whole number, 0 or more)" if count else "a share from 0 to 1"
            value = given.iloc[k]
            value = value.item() if hasattr(value, "item") else value  # numpy's scalars: shown as Python's
            message = f"{row}: {column} is {_short(value)}, not {what}"
            raise InputError(message, path=where) if where else InputError(message)
        columns[column] = numbers
    return frame.assign(**columns)


def _themes_and_stances(frame) -> tuple[list[str], list[str]]:
    return (
        [c[len("share_") :] for c in frame.columns if str(c).startswith("share_")],
        [c[len("stance_") :] for c in frame.columns if str(c).startswith("stance_")],
    )


def summarize(frame, key) -> "tuple":
    """(theme shares, stance counts, article counts) per value of ``key`` (a column name or a Series)."""
    import pandas as pd

    themes, stances = _themes_and_stances(frame)
    content = frame["content_paragraphs"].fillna(0).astype(float)
    carrying = pd.DataFrame({t: frame[f"share_{t}"].fillna(0).astype(float) * content for t in themes})
    groups = key if not isinstance(key, str) else frame[key]
    totals = carrying.groupby(groups).sum()
    paragraphs = content.groupby(groups).sum()
    shares = totals.div(paragraphs.where(paragraphs > 0), axis=0).round(4)
    stance = (
        pd.DataFrame({s: frame[f"stance_{s}"].fillna(0).astype(int) for s in stances}, index=frame.index)
        .groupby(groups)
        .sum()
    )
    articles = content.groupby(groups).size().rename("articles")
    return shares, stance, articles


#: The plot's views of a collection; each writes VIEW.csv (the numbers) and a picture VIEW.<format>.
COLLECTION_VIEWS = ("over_time", "by_outlet")
#: Every file plot_collection may write (in any format).
COLLECTION_FILES = tuple(f"{view}.{ext}" for view in COLLECTION_VIEWS for ext in ("csv", "png", "svg", "pdf"))
_PERIODS = {"month": "M", "quarter": "Q", "year": "Y"}
#: Dates the over-time view takes: from 1800 (older news is rare, and is not what is tagged here) to the end of 2200
#: (later is a typo or a placeholder such as 9999-12-31). Outside it an article is left out and counted, as one with
#: no date is: a year like 1 or 9999 would stretch the axis over thousands of empty periods (minutes and gigabytes)
#: and lies beyond what matplotlib's dates can hold. The window also bounds the periods drawn: 401 years at most.
_EARLIEST, _LATEST = datetime(1800, 1, 1), datetime(2201, 1, 1)
#: The most periods the over-time view draws: past it a coarser period is taken (months, then quarters, then years).
MAX_PERIODS = 401
_PERIOD_NOUN = {"M": "month", "Q": "quarter", "Y": "year"}


def _blank(values):
    """Where a column holds no value: null, NaN, or text that is only spaces."""
    import pandas as pd

    text = values.astype(object).where(values.notna(), None)
    return values.isna() | pd.Series([isinstance(v, str) and not v.strip() for v in text], index=values.index)


def _parse_dates(values):
    """Dates (naive, UTC) of a column; NaT where there is none or it is not a date."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.tz_convert("UTC").dt.tz_localize(None) if values.dt.tz is not None else values
    texts = [None if blank else str(v).strip() for v, blank in zip(values.astype(object), _blank(values))]
    parsed = pd.to_datetime(
        pd.Series(texts, index=values.index, dtype=object), errors="coerce", utc=True, format="mixed"
    )
    return parsed.dt.tz_localize(None)


def _failed(frame):
    """Rows of articles that failed in ``predict`` (its ``error`` column set): they have no tags."""
    import pandas as pd

    if "error" not in frame.columns:
        return pd.Series(False, index=frame.index)
    return ~_blank(frame["error"])


def _of(k: int, n: int, noun: str = "articles") -> str:
    return f"{k:,} of {n:,} {noun}" if n != 1 else f"{k:,} of 1 {noun.rstrip('s')}"


def over_time_table(frame, period: str = "auto"):
    """(table, notes) of the articles with a date: one row per period from the first dated article's to the last's,
    periods with no articles included (``articles`` 0, shares NaN, stance counts 0), indexed by pandas Periods.

    ``period``: "month", "quarter", "year" or "auto" (months for up to three years of dates, else years); past
    :data:`MAX_PERIODS` periods a coarser one is taken, said in a note. ``notes`` count the rows left out (no date,
    one that is not a date, or one before 1800 or after 2200). ``table`` is None when no row has a date.
    """
    import pandas as pd

    if period not in ("auto", *_PERIODS):
        raise ValueError(f"period must be auto, month, quarter or year, not {period!r}")
    frame = _checked_results(frame, None)
    frame = frame[~_failed(frame)]
    if "date" not in frame.columns:
        return None, ["over time: the results have no 'date' column: no over-time picture"]
    dates = _parse_dates(frame["date"])
    none = _blank(frame["date"])
    notes = []
    if none.any():
        notes.append(f"over time: {_of(int(none.sum()), len(frame))} have no date: left out")
    unreadable = dates.isna() & ~none
    if unreadable.any():
        shown = ", ".join(_short(str(v)) for v in list(dict.fromkeys(frame.loc[unreadable, "date"].astype(str)))[:3])
        notes.append(
            f"over time: {_of(int(unreadable.sum()), len(frame))} have a date that is not one ({shown}): left out"
        )
    far = dates.notna() & ((dates < _EARLIEST) | (dates >= _LATEST))
    if far.any():
        shown = ", ".join(_short(str(v)) for v in list(dict.fromkeys(frame.loc[far, "date"].astype(str)))[:3])
        notes.append(
            f"over time: {_of(int(far.sum()), len(frame))} have a date before {_EARLIEST.year} or after "
            f"{_LATEST.year - 1} ({shown}): left out"
        )
        dates = dates.where(~far)
    if not dates.notna().any():
        return None, notes + ["over time: no article has a date: no over-time picture"]
    dated = frame[dates.notna()]
    dates = dates[dates.notna()]
    span = (dates.max() - dates.min()).days
    chosen = "M" if period == "auto" and span <= 3 * 366 else "Y" if period == "auto" else _PERIODS[period]
    first, last = dates.min(), dates.max()
    order = ["M", "Q", "Y"]
    while chosen != "Y":  # too many periods to draw: a coarser one (years always fit, by the dates' window)
        count = (last.to_period(chosen) - first.to_period(chosen)).n + 1
        if count <= MAX_PERIODS:
            break
        coarser = order[order.index(chosen) + 1]
        notes.append(
            f"over time: {count:,} {_PERIOD_NOUN[chosen]}s from {first:%Y-%m} to {last:%Y-%m} are too many to draw "
            f"(at most {MAX_PERIODS:,}): by {_PERIOD_NOUN[coarser]} instead"
        )
        chosen = coarser
    key = dates.dt.to_period(chosen).rename("date")
    shares, stance, articles = summarize(dated, key)
    full = pd.period_range(key.min(), key.max(), freq=chosen, name="date")
    table = pd.concat([articles, shares.add_prefix("share_"), stance.add_prefix("stance_")], axis=1).reindex(full)
    table["articles"] = table["articles"].fillna(0).astype(int)
    for column in stance.columns:
        table[f"stance_{column}"] = table[f"stance_{column}"].fillna(0).astype(int)
    return table, notes


def by_outlet_table(frame, by: str | None = None):
    """(table, label, notes): per outlet (column ``by``, else the first of :data:`OUTLET_COLUMNS` present, else the url's
    host) its articles, theme shares and stance counts, in the order of the outlets' names. ``notes`` count the rows
    left out (no outlet); ``table`` is None when no row has one."""
    import pandas as pd

    frame = _checked_results(frame, None)
    frame = frame[~_failed(frame)]
    outlet = by or next((c for c in OUTLET_COLUMNS if c in frame.columns), None)
    if outlet is not None and outlet not in frame.columns:
        raise InputError(f"no column {outlet!r} in the results (columns: {', '.join(map(str, frame.columns))})")
    if outlet is None:
        if "url" not in frame.columns:
            return (
                None,
                None,
                [
                    f"by outlet: no {', '.join(OUTLET_COLUMNS)} or url column: no by-outlet picture (name a column with --by)"
                ],
            )
        label = "outlet (url host)"
        key = (
            frame["url"]
            .astype("string")
            .str.extract(r"^[A-Za-z][A-Za-z0-9+.-]*://(?:www\.)?([^/:?#]+)", expand=False)
            .str.lower()
        )
        missing = key.isna()
        why = "no url with a host"
    else:
        label = outlet
        missing = _blank(frame[outlet])
        key = pd.Series(
            [str(v).strip() if not m else None for v, m in zip(frame[outlet].astype(object), missing)],
            index=frame.index,
            dtype=object,
        )
        why = f"no {outlet}" if outlet == "outlet" else f"no outlet ({outlet!r} is empty)"
    notes = []
    if missing.any():
        notes.append(f"by outlet: {_of(int(missing.sum()), len(frame))} have {why}: left out")
    if missing.all():
        return None, label, notes + ["by outlet: no article has an outlet: no by-outlet picture"]
    part = frame[~missing]
    shares, stance, articles = summarize(part, key[~missing].astype(str).rename(label))
    table = pd.concat([articles, shares.add_prefix("share_"), stance.add_prefix("stance_")], axis=1)
    return table, label, notes


def collection_colours(themes, stances) -> dict:
    """(type, name) → (colour, marker, hatch): themes from :data:`THEME_COLOURS`, stances from :data:`STANCE_COLOURS`
    (Okabe–Ito, no colour shared between the two); past the palette, another marker and a hatch."""
    styles = {}
    for kind, names, palette in (("theme", themes, THEME_COLOURS), ("stance", stances, STANCE_COLOURS)):
        for k, name in enumerate(names):
            round_ = k // len(palette)
            styles[(kind, name)] = (
                palette[k % len(palette)],
                _MARKERS[round_ % len(_MARKERS)],
                ("", "//", "..", "xx")[round_ % 4],
            )
    return styles


def plot_collection(
    frame,
    out: str | Path,
    *,
    by: str | None = None,
    period: str = "auto",
    force: bool = False,
    fmt: str = "png",
    dpi: int = 200,
    on_warning: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write the over-time view (by ``date``) and the by-outlet view of a results frame into folder ``out``.

    Per view its numbers (``over_time.csv``, ``by_outlet.csv``: articles, theme shares, stance paragraph counts per
    period or outlet; periods with articles only) and a picture (``.png``, ``.svg`` or ``.pdf``, by ``fmt``; ``dpi``
    for PNG). Over time: theme shares as lines on a date axis, broken and shaded where a period has no articles,
    the stances' shares of content paragraphs as stacked bars, and the articles per period (n) as bars with their
    number. By outlet: grouped bars of theme shares and stacked stance shares, n in each outlet's label.

    ``period``: "month", "quarter", "year" or "auto" (months for up to three years of dates, else years). Every row
    left out (failed in predict, no date, no outlet) is counted in a line passed to ``on_warning``
    ("over time: 8 of 9 articles have no date: left out") and in a note on the picture; a view with no rows is not
    written. Nothing to draw at all raises :class:`~themetag.errors.InputError`. Existing files are refused
    (:class:`~themetag.errors.OutputError`, before anything is written) unless ``force``.
    """
    from .io import atomic_output, write_text

    if fmt not in PLOT_FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(PLOT_FORMATS)}, not {fmt!r}")
    warn = on_warning or (lambda message: None)
    frame = _checked_results(frame, None)
    failed = _failed(frame)
    notes: list[str] = []
    if failed.any():
        notes.append(
            f"{_of(int(failed.sum()), len(frame))} failed in predict (error set) and have no tags: left out of every picture"
        )
    time_table, time_notes = over_time_table(frame, period)
    outlet_table, label, outlet_notes = by_outlet_table(frame, by)
    if outlet_table is not None and len(outlet_table) > MAX_GROUPS:
        # The CSV keeps every outlet (a row each); the picture, a band each, the MAX_GROUPS with the most articles.
        drawn = outlet_table["articles"].sort_values(ascending=False, kind="stable").index[:MAX_GROUPS]
        hidden = outlet_table.loc[~outlet_table.index.isin(drawn), "articles"]
        outlet_notes.append(
            f"by outlet: {len(hidden):,} of {len(outlet_table):,} outlets ({_of(int(hidden.sum()), int(outlet_table['articles'].sum()))}) "
            f"left out of the picture, which draws the {MAX_GROUPS} with the most articles (by_outlet.csv has them "
            "all); name another column with --by, or filter the input, to draw others"
        )
    for note in notes + time_notes + outlet_notes:
        warn(note)
    views = []
    if time_table is not None:
        views.append(("over_time", time_table, notes + time_notes))
    if outlet_table is not None:
        views.append(("by_outlet", outlet_table, notes + outlet_notes))
    if not views:
        raise InputError(
            "nothing to plot: the results have no usable 'date' column and no outlet column "
            f"({', '.join(OUTLET_COLUMNS)}, or url); name one with --by"
        )
    out = Path(out)
    targets = [out / f"{name}.{ext}" for name, _, _ in views for ext in ("csv", fmt)]
    taken = [path.name for path in targets if path.exists() or path.is_symlink()]
    if taken and not force:
        raise OutputError(
            f"holds {', '.join(taken)}, which the plot would replace; pass --force, or name another folder",
            path=str(out),
        )
    plt = _pyplot()
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    metadata = {"png": None, "svg": {"Date": None}, "pdf": {"CreationDate": None}}[fmt]  # the same rows, the same file
    for name, table, view_notes in views:
        shown = table[table["articles"] > 0]
        shown = shown.set_axis(shown.index.astype(str), axis=0).rename_axis(table.index.name or label)
        write_text(shown.to_csv(), out / f"{name}.csv")
        written.append(out / f"{name}.csv")
        left_out = [
            note.split(": ", 1)[1] if note.startswith(("over time: ", "by outlet: ")) else note for note in view_notes
        ]
        left_out = [note[0].upper() + note[1:] for note in left_out]
        if name == "over_time":
            figure = _draw_over_time(plt, table, left_out)
        else:
            figure = _draw_by_outlet(
                plt, _largest(table), label, left_out, whole=(len(table), int(table["articles"].sum()))
            )
        try:
            with (
                atomic_output(out / f"{name}.{fmt}", binary=True) as handle,
                plt.rc_context({"svg.hashsalt": "themetag"}),
            ):
                figure.savefig(handle, format=fmt, dpi=dpi, metadata=metadata, bbox_inches="tight", pad_inches=0.12)
        finally:
            plt.close(figure)
        written.append(out / f"{name}.{fmt}")
    return written


def _largest(table):
    """The :data:`MAX_GROUPS` rows of ``table`` with the most articles (ties: in the table's order)."""
    return table.sort_values("articles", ascending=False, kind="stable").head(MAX_GROUPS)


def _drawn_stances(stances) -> tuple[list[str], str | None]:
    """(stances drawn, the one left as "the rest"): neutral, the bulk of most news, would dwarf favor and against."""
    if "neutral" in stances and len(stances) > 1:
        return [s for s in stances if s != "neutral"], "neutral"
    return list(stances), None


def _stance_shares(table, stances):
    """Each stance's share of the paragraphs with a stance (the content paragraphs), per row (NaN where there are none)."""
    counts = table[[f"stance_{s}" for s in stances]].astype(float)
    total = counts.sum(axis=1)
    return counts.div(total.where(total > 0), axis=0)


def _footnote(figure, lines: list[str]) -> None:
    import textwrap

    if lines:
        width = figure.get_size_inches()[0]
        text = "\n".join(textwrap.fill(line, int(width * 15)) for line in lines)
        figure.text(0.01, 0, text, fontsize=7.5, color="#555555", va="top", ha="left", linespacing=1.35)


def _runs(flags) -> list[tuple[int, int]]:
    """(first, last) positions of each run of consecutive true values in ``flags``."""
    runs: list[tuple[int, int]] = []
    for k, flag in enumerate(flags):
        if not flag:
            continue
        if runs and runs[-1][1] == k - 1:
            runs[-1] = (runs[-1][0], k)
        else:
            runs.append((k, k))
    return runs


def _draw_over_time(plt, table, left_out: list[str]):
    """Theme shares (lines), stance shares (stacked bars) and articles (bars, n written on each) on one date axis;
    a period with no articles is a gap in the lines, shaded, with n=0."""
    import matplotlib.dates as mdates
    import numpy as np

    themes, stances = _themes_and_stances(table)
    colours = collection_colours(themes, stances)
    freq = table.index.freqstr[0]
    starts = table.index.to_timestamp(how="start")
    ends = (table.index + 1).to_timestamp(how="start")
    x = mdates.date2num(starts + (ends - starts) / 2)
    widths = np.asarray(mdates.date2num(ends) - mdates.date2num(starts)) * 0.8
    empty = (table["articles"] == 0).to_numpy()
    count = len(table)
    figure, (top, middle, bottom) = plt.subplots(
        3,
        1,
        figsize=(max(7.5, min(14.0, 5.5 + 0.28 * count)), 7.8),
        sharex=True,
        gridspec_kw={"height_ratios": [3.2, 2.0, 1.3]},
        layout="constrained",
    )
    for ax in (top, middle, bottom):
        for first, last in _runs(empty):  # a run of empty periods is one shaded span (hundreds of spans are slow)
            ax.axvspan(
                mdates.date2num(starts[first]), mdates.date2num(ends[last]), color="#EEEEEE", zorder=0, linewidth=0
            )
        ax.grid(axis="y", color="#E5E5E5", linewidth=0.8)
        ax.set_axisbelow(True)
        ax.spines[["top", "right"]].set_visible(False)
    for theme in themes:
        colour, marker, _ = colours[("theme", theme)]
        values = table[f"share_{theme}"].to_numpy(dtype=float)  # NaN where a period has no articles: the line breaks
        top.plot(
            x,
            values,
            color=colour,
            marker=marker,
            markersize=4.5,
            linewidth=1.8,
            clip_on=False,
            label=theme.replace("_", " "),
        )
    _share_axis(top.yaxis, table[[f"share_{t}" for t in themes]].to_numpy(dtype=float).ravel().tolist())
    top.set_ylabel("share of content\nparagraphs", fontsize=9)
    top.set_title("Themes", loc="left", fontsize=10, fontweight="bold")
    top.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8.5)
    drawn, rest = _drawn_stances(stances)
    stance_shares = _stance_shares(table, stances)
    band = 0.8 / max(len(drawn), 1)
    for k, stance in enumerate(drawn):
        colour, _, hatch = colours[("stance", stance)]
        values = stance_shares[f"stance_{stance}"].to_numpy(dtype=float)
        middle.bar(
            x + (k + 0.5 - len(drawn) / 2) * band / 0.8 * widths,
            np.nan_to_num(values),
            width=widths * band / 0.8 * 0.92,
            color=colour,
            hatch=hatch,
            edgecolor="white" if hatch else colour,
            linewidth=0.3,
            label=stance,
        )
    _share_axis(middle.yaxis, stance_shares[[f"stance_{s}" for s in drawn]].to_numpy(dtype=float).ravel().tolist())
    middle.set_ylabel("share of content\nparagraphs", fontsize=9)
    middle.set_title("Stance" + (f" (the rest: {rest})" if rest else ""), loc="left", fontsize=10, fontweight="bold")
    middle.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8.5)
    articles = table["articles"].to_numpy()
    bottom.bar(x, articles, width=widths, color="#666666")
    top_count = max(int(articles.max()), 1)
    bottom.set_ylim(0, top_count * 1.3)
    size = 7.5 if count <= 24 else 6.5 if count <= 48 else None
    if size is not None:
        for xi, n in zip(x, articles):
            bottom.annotate(
                f"{n:,}",
                (xi, n),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=size,
                color="#333333" if n else "#999999",
                rotation=90 if count > 24 else 0,
            )
    bottom.yaxis.get_major_locator().set_params(integer=True, nbins=3)
    bottom.set_ylabel("articles (n)", fontsize=9)
    bottom.set_title(f"Articles per {_PERIOD_NOUN[freq]}", loc="left", fontsize=10, fontweight="bold")
    if count <= 16:  # a tick on each period, named
        names = {"M": "%b\n%Y", "Q": None, "Y": "%Y"}[freq]
        bottom.set_xticks(
            x, [f"{p.year} Q{p.quarter}" if names is None else s.strftime(names) for p, s in zip(table.index, starts)]
        )
    else:
        locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
        bottom.xaxis.set_major_locator(locator)
        bottom.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    bottom.set_xlim(mdates.date2num(starts[0]), mdates.date2num(ends[-1]))
    for ax in (top, middle, bottom):
        ax.tick_params(labelsize=8)
    total = int(articles.sum())
    figure.suptitle(
        f"Themes and stance over time, by {_PERIOD_NOUN[freq]}: {total:,} article{'s' if total != 1 else ''}",
        fontsize=11.5,
    )
    notes = [
        "Shares are of content paragraphs (each has one stance); articles are weighted by their content paragraphs."
    ]
    if empty.any():
        notes.append(f"Shaded, with no line: {_PERIOD_NOUN[freq]}s with no articles ({int(empty.sum())}).")
    notes += [f"{note}." for note in left_out]
    _footnote(figure, notes)
    return figure


def _draw_by_outlet(plt, table, label: str, left_out: list[str], whole: tuple[int, int] | None = None):
    """Per outlet (most articles first, n in its label): theme shares as grouped bars, stance shares as a stacked bar.
    ``whole``: (outlets, articles) of the whole view when ``table`` holds only some of its outlets (said in the title).
    """
    import numpy as np

    themes, stances = _themes_and_stances(table)
    colours = collection_colours(themes, stances)
    table = table.sort_values("articles", ascending=False, kind="stable")
    count = len(table)
    band = 0.8 / max(len(themes), 1)
    height = max(2.4, count * (0.16 * len(themes) + 0.3) + 0.6)
    figure, (left, right) = plt.subplots(
        1, 2, figsize=(10.5, height), sharey=True, layout="constrained", gridspec_kw={"width_ratios": [3, 2]}
    )
    y = np.arange(count)
    for k, theme in enumerate(themes):
        colour, _, hatch = colours[("theme", theme)]
        left.barh(
            y - 0.4 + band * (k + 0.5),
            table[f"share_{theme}"].fillna(0).to_numpy(),
            height=band * 0.92,
            color=colour,
            hatch=hatch,
            edgecolor="white" if hatch else colour,
            linewidth=0.3,
            label=theme.replace("_", " "),
        )
    _share_axis(left.xaxis, table[[f"share_{t}" for t in themes]].to_numpy(dtype=float).ravel().tolist())
    left.set_xlabel("share of content paragraphs", fontsize=9)
    left.set_title("Themes", loc="left", fontsize=10, fontweight="bold")
    names = [f"{_wrap(str(name), 28)} (n={n:,})" for name, n in zip(table.index, table["articles"])]
    left.set_yticks(y, names, fontsize=8.5)
    left.set_ylim(count - 0.5, -0.5)
    left.set_ylabel(_shorten(label), fontsize=9)
    drawn, rest = _drawn_stances(stances)
    shares = _stance_shares(table, stances)
    band = 0.8 / max(len(drawn), 1)
    for k, stance in enumerate(drawn):
        colour, _, hatch = colours[("stance", stance)]
        right.barh(
            y - 0.4 + band * (k + 0.5),
            shares[f"stance_{stance}"].fillna(0).to_numpy(),
            height=band * 0.92,
            color=colour,
            hatch=hatch,
            edgecolor="white" if hatch else colour,
            linewidth=0.3,
            label=stance,
        )
    _share_axis(right.xaxis, shares[[f"stance_{s}" for s in drawn]].to_numpy(dtype=float).ravel().tolist())
    right.set_xlabel("share of content paragraphs", fontsize=9)
    right.set_title("Stance" + (f" (the rest: {rest})" if rest else ""), loc="left", fontsize=10, fontweight="bold")
    for ax in (left, right):
        ax.grid(axis="x", color="#E5E5E5", linewidth=0.8)
        ax.set_axisbelow(True)
        ax.tick_params(labelsize=8)
        ax.tick_params(axis="y", length=0)
        ax.spines[["top", "right"]].set_visible(False)
        # The legend just above the panel (a fixed distance, whatever the figure's height), the panel's title above it.
        ax.legend(
            loc="lower left",
            bbox_to_anchor=(0, 1),
            ncols=min(4, len(themes) if ax is left else len(stances)),
            frameon=False,
            fontsize=8,
            handlelength=1.2,
            columnspacing=1.0,
            borderaxespad=0.3,
            borderpad=0.1,
        )
        ax.set_title(ax.get_title(loc="left"), loc="left", fontsize=10, fontweight="bold", pad=20)
    total = int(table["articles"].sum())
    what = f"{total:,} article{'s' if total != 1 else ''}"
    if whole is not None and whole[0] > count:
        what = f"the {count} with the most articles, of {whole[0]:,} ({_of(total, whole[1])})"
    figure.suptitle(f"Themes and stance by {_shorten(label)}: {what}", fontsize=11.5)
    notes = [
        (
            "n = articles. Shares are of content paragraphs (each has one stance); articles are weighted by their content "
            "paragraphs."
        )
    ]
    notes += [f"{note}." for note in left_out]
    _footnote(figure, notes)
    return figure


# --------------------------------------------------------------------------- pictures of `themetag estimate`'s rows

#: The columns of ``themetag estimate``'s rows (:class:`themetag.estimates.EstimateRow`), in order.
ESTIMATE_COLUMNS = (
    "label",
    "type",
    "group",
    "level",
    "statistic",
    "N",
    "n",
    "naive",
    "estimate",
    "ci_low",
    "ci_high",
    "labeled_only",
    "labeled_ci_low",
    "labeled_ci_high",
    "confidence",
    "design",
    "warning",
)
#: Those a picture needs; the others may be missing (numbers are then NaN, text empty).
ESTIMATE_REQUIRED = (
    "label",
    "type",
    "group",
    "level",
    "statistic",
    "N",
    "n",
    "naive",
    "estimate",
    "ci_low",
    "ci_high",
    "confidence",
)
_ESTIMATE_CHOICES = {
    "type": ("theme", "stance"),
    "level": ("paragraph", "article"),
    "statistic": ("share", "change per year"),
}
_ESTIMATE_COUNTS = ("N", "n")
_ESTIMATE_NUMBERS = (
    "naive",
    "estimate",
    "ci_low",
    "ci_high",
    "labeled_only",
    "labeled_ci_low",
    "labeled_ci_high",
    "confidence",
)
#: The largest change per year (of a share, 1 = 100 points) a trend row may hold: a share moving from 0 to 1 within a
#: day changes 365 a year, its interval may be wider; past this a number is not a trend but a broken file (1e308
#: overflows the picture's arithmetic).
MAX_TREND = 1e6
_ESTIMATE_TEXTS = ("label", "type", "group", "level", "statistic", "design", "warning")
#: The group of the whole collection (:data:`themetag.estimates.ALL`) and of units with no --by value (``NO_VALUE``).
_ALL, _NO_VALUE = "all", "(none)"
PLOT_FORMATS = ("png", "svg", "pdf")
#: Okabe–Ito colours (safe for the common colour-vision deficiencies): themes take the blues, green and purple,
#: stances the oranges and black, so a theme is never coloured like a stance.
THEME_COLOURS = ("#0072B2", "#009E73", "#CC79A7", "#56B4E9")
STANCE_COLOURS = ("#D55E00", "#E69F00", "#000000")
_MARKERS = ("o", "s", "D", "^", "v")  # a second round of colours gets another marker
_NAIVE_COLOUR = "#8C8C8C"
_LEVEL_NOUN = {"paragraph": "content paragraphs", "article": "articles"}


def is_estimates_file(path: str | Path) -> bool:
    """Whether a results file holds ``themetag estimate``'s rows (not ``predict``'s): its CSV header or its first
    JSON row has their columns."""
    path = Path(path)
    if path.suffix.lower() not in (".csv", ".jsonl", ".json") or not path.is_file():
        return False
    with open(path, "rb") as handle:
        head = handle.read(65536).decode("utf-8", "replace")
    if path.suffix.lower() == ".csv":
        return {"estimate", "ci_low", "labeled_only"} <= set(head.lstrip("\ufeff").split("\n", 1)[0].strip().split(","))
    return '"labeled_only"' in head and '"ci_low"' in head and '"statistic"' in head


def read_estimates(path: str | Path):
    """The rows ``themetag estimate`` wrote (.jsonl, .json or .csv) as a pandas DataFrame with its columns.

    Raises :class:`~themetag.errors.InputError` naming the file (and line) for a row that lacks a needed column
    or holds a bad value: text where a number belongs, an unknown type, level or statistic, n above N,
    an interval whose low end is above its high end, a share (its estimate, naive share or either interval)
    outside 0 to 1, a trend past :data:`MAX_TREND` either way. Empty numbers (CSV) and null (JSON) are NaN.
    """
    from .io import read_bounded, read_json_items

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        import csv
        import io

        raw, where = read_bounded(path, InputError)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(
                "not UTF-8 text; save the file as UTF-8", path=where, line=raw[: exc.start].count(b"\n") + 1
            ) from None
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = reader.fieldnames or []
        missing = [c for c in ESTIMATE_REQUIRED if c not in header]
        if missing:
            raise InputError(
                f"no column {', '.join(missing)}: not the rows of `themetag estimate` "
                f"(columns {', '.join(ESTIMATE_REQUIRED)} are needed)",
                path=where,
                line=1,
            )
        records = []
        try:
            for row in reader:
                records.append((reader.line_num, row))
        except csv.Error as exc:
            raise InputError(f"not CSV we can read: {exc}", path=where, line=reader.line_num) from None
        return _estimate_frame(records, where, text=True)
    if suffix in (".jsonl", ".json"):
        items, where = read_json_items(path, expected="the rows of `themetag estimate` (JSON Lines or a JSON array)")
        if len(items) == 1 and isinstance(items[0].value, dict) and isinstance(items[0].value.get("rows"), list):
            items = [
                type(items[0])(k + 1, items[0].line, value) for k, value in enumerate(items[0].value["rows"])
            ]  # {"rows": [...]}
        return _estimate_frame([(item.line, item.value) for item in items], where)
    raise InputError("expected the rows of `themetag estimate` as .jsonl, .json or .csv", path=str(path))


def _estimate_frame(records, where: str | None, *, text: bool = False):
    """Checked rows → a DataFrame of :data:`ESTIMATE_COLUMNS`. ``records``: (line or row number, dict) pairs;
    ``where`` names the file (None: rows given in memory); ``text``: every value is a string (CSV)."""
    import pandas as pd

    rows, seen = [], {}
    for line, record in records:

        def fail(message: str) -> InputError:
            if where is None:
                return InputError(f"estimate row {line}: {message}")
            return InputError(message, path=where, line=line)

        if not isinstance(record, dict):
            raise fail(
                f"a {type(record).__name__}, not a row of `themetag estimate` (an object with {', '.join(ESTIMATE_REQUIRED)})"
            )
        if None in record:  # csv.DictReader: more cells than the header has columns
            raise fail(f"{len(record) - 1 + len(record[None])} cells, the header has {len(record) - 1}")
        missing = [c for c in ESTIMATE_REQUIRED if c not in record]
        if missing:
            raise fail(
                f"no {', '.join(missing)}: not a row of `themetag estimate` (it needs {', '.join(ESTIMATE_REQUIRED)})"
            )
        row = {}
        for column in ESTIMATE_COLUMNS:
            value = record.get(column)
            if column in _ESTIMATE_TEXTS:
                row[column] = _estimate_text(value, column, fail)
            else:
                row[column] = _estimate_number(value, column, fail, text=text, count=column in _ESTIMATE_COUNTS)
        for column in ("label", "group"):
            if not row[column]:
                raise fail(f"{column} is empty")
        for column, choices in _ESTIMATE_CHOICES.items():
            if row[column] not in choices:
                raise fail(f"{column} is {row[column]!r}, not one of {', '.join(choices)}")
        if row["n"] > row["N"]:
            raise fail(f"n (validated) is {row['n']}, more than N ({row['N']}, the units of the group)")
        if not 0 < row["confidence"] < 1:
            raise fail(f"confidence is {row['confidence']!r}, not a level between 0 and 1 (such as 0.95)")
        for low, high in (("ci_low", "ci_high"), ("labeled_ci_low", "labeled_ci_high")):
            if row[low] > row[high]:
                raise fail(f"{low} {row[low]} is above {high} {row[high]}")
        for column in _ESTIMATE_NUMBERS[:-1]:  # all but confidence
            value = row[column]
            if math.isnan(value):
                continue
            if row["statistic"] == "share" and not 0 <= value <= 1:
                raise fail(f"{column} is {_short(value)}, not a share between 0 and 1 (statistic is share)")
            if row["statistic"] != "share" and not abs(value) <= MAX_TREND:
                raise fail(
                    f"{column} is {_short(value)}, not a change per year of a share (at most {MAX_TREND:g} either way)"
                )
        key = (row["label"], row["type"], row["group"], row["statistic"], row["level"])
        if key in seen:
            raise fail(
                f"a second row of {row['label']!r} in group {row['group']!r} (the first is at {'row' if where is None else 'line'} {seen[key]})"
            )
        seen[key] = line
        rows.append(row)
    if not rows:
        raise InputError(f"{where or 'rows'}: no rows of `themetag estimate` to read")
    frame = pd.DataFrame(rows, columns=list(ESTIMATE_COLUMNS))
    return frame.astype({c: "int64" for c in _ESTIMATE_COUNTS} | {c: "float64" for c in _ESTIMATE_NUMBERS})


def _short(value) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _estimate_text(value, column: str, fail) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        if column in ESTIMATE_REQUIRED:
            raise fail(f"{column} is empty")
        return ""
    if isinstance(value, str):
        return value.strip()
    if (
        column == "group"
        and isinstance(value, (int, float))
        and not isinstance(value, bool)
        and float(value).is_integer()
    ):
        return str(int(value))  # a year written as a number
    raise fail(f"{column} is {_short(value)}, not text")


def _estimate_number(value, column: str, fail, *, text: bool, count: bool):
    import numbers

    given = value
    if isinstance(value, str) and text:
        value = value.strip()
        if value == "" or value.lower() in ("nan", "null", "none", "na"):
            value = None
        else:
            try:
                value = float(value)
            except ValueError:
                raise fail(f"{column} is {_short(given)}, not a number") from None
    if value is None:
        if count or column in ("confidence",):
            raise fail(f"{column} is empty; it must be a number")
        return math.nan
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise fail(f"{column} is {_short(given)}, not a number")
    value = float(value)
    if math.isinf(value):
        raise fail(f"{column} is {_short(given)}, not a finite number")
    if count:
        if math.isnan(value) or not value.is_integer() or value < 0:
            raise fail(f"{column} is {_short(given)}, not a count (a whole number, 0 or more)")
        return int(value)
    if math.isnan(value) and column == "confidence":
        raise fail(f"{column} is empty; it must be a number")
    return value


def _estimate_rows(rows):
    """Whatever ``plot_estimates`` is given (a path, a DataFrame, dicts, ``Estimates`` or ``EstimateRow``s) → checked DataFrame."""
    if isinstance(rows, (str, Path)):
        return read_estimates(rows)
    if hasattr(rows, "to_dict") and hasattr(rows, "columns"):  # a DataFrame
        records = rows.to_dict("records")
    elif hasattr(rows, "records") and callable(rows.records):  # estimates.Estimates
        records = rows.records()
    else:
        records = [r.to_dict() if hasattr(r, "to_dict") else r for r in rows]
    return _estimate_frame(list(enumerate(records, start=1)), None)


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ThemetagError("plots need matplotlib: pip install 'themetag[report]'") from None
    return plt


def plot_estimates(
    rows,
    out: str | Path,
    *,
    fmt: str = "png",
    dpi: int = 200,
    force: bool = False,
    by: str | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> list[Path]:
    """Draw the rows of ``themetag estimate`` into folder ``out``; returns the files written.

    ``rows``: a file :func:`read_estimates` reads, a DataFrame, a list of dicts, or :func:`~themetag.estimates.estimate`'s
    result. Shares (``statistic == "share"``) go to ``estimates_themes.<fmt>`` and ``estimates_stances.<fmt>``:
    per label, each group's estimate with its interval and, faint, the naive share (the model's tags counted);
    n (validated) and N per group in the tick labels. Groups that are all years (``2019``), months (``2019-03``)
    or dates (``2019-03-15``) are drawn as a time series on a real time axis, broken where a period is missing,
    with the ``all`` group as a reference line. Trends (``statistic == "change per year"``) go to
    ``estimate_trends.<fmt>`` as a forest plot around 0. A picture is written only if it has rows.

    ``fmt``: png, svg or pdf. An existing file is refused (:class:`~themetag.errors.OutputError`, before anything is
    written) unless ``force``. Each file is written through a temporary file in ``out`` and renamed into place.
    ``by`` names the groups' field for titles ("outlet"). Rows with no interval (too few validated) are left out
    of the picture, said in a footnote on it and passed to ``on_warning`` (one line each; default: ignored).
    """
    from .io import atomic_output, check_output_folder

    if fmt not in PLOT_FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(PLOT_FORMATS)}, not {fmt!r}")
    warn = on_warning or (lambda message: None)
    frame = _estimate_rows(rows)
    levels = sorted(set(frame["level"]))
    if len(levels) > 1:
        raise InputError(f"rows of {' and '.join(levels)} level together: plot one level at a time")
    out = Path(out)
    check_output_folder(out)
    colours = _label_colours(frame)
    shares = frame[frame["statistic"] == "share"]
    trends = frame[frame["statistic"] == "change per year"]
    jobs = []
    for kind, name in (("theme", "estimates_themes"), ("stance", "estimates_stances")):
        part = shares[shares["type"] == kind]
        if len(part):
            jobs.append(
                (out / f"{name}.{fmt}", lambda plt, part=part, kind=kind: _draw_shares(plt, part, kind, colours, by))
            )
    if len(trends):
        jobs.append((out / f"estimate_trends.{fmt}", lambda plt: _draw_trends(plt, trends, colours, by)))
    existing = [str(path) for path, _ in jobs if path.exists() or path.is_symlink()]
    if existing and not force:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise OutputError(f"exists{more}; pass force=True (--force) to replace", path=existing[0])
    plt = _pyplot()
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    metadata = {"png": None, "svg": {"Date": None}, "pdf": {"CreationDate": None}}[
        fmt
    ]  # no date in: the same rows, the same file
    for path, draw in jobs:
        figure, notes = draw(plt)
        try:
            with (
                atomic_output(path, binary=True) as handle,
                plt.rc_context({"svg.hashsalt": "themetag"}),
            ):  # SVG ids: not random
                figure.savefig(handle, format=fmt, dpi=dpi, metadata=metadata)
        finally:
            plt.close(figure)
        for note in notes:
            warn(f"{path.name}: {note}")
        written.append(path)
    return written


def _label_colours(frame) -> dict:
    """(type, label) → (colour, marker): themes from :data:`THEME_COLOURS`, stances from :data:`STANCE_COLOURS`."""
    styles = {}
    for kind, palette in (("theme", THEME_COLOURS), ("stance", STANCE_COLOURS)):
        names = list(dict.fromkeys(frame.loc[frame["type"] == kind, "label"]))
        for k, name in enumerate(names):
            styles[(kind, name)] = (palette[k % len(palette)], _MARKERS[(k // len(palette)) % len(_MARKERS)])
    return styles


def _drawable(row) -> bool:
    """A row with an estimate and both ends of its interval (else: too few validated to draw)."""
    return not (math.isnan(row.estimate) or math.isnan(row.ci_low) or math.isnan(row.ci_high))


def _left_out(part) -> tuple[list[str], str]:
    """(notes for on_warning, footnote for the figure) about the rows with no interval, named group by group."""
    missing = [r for r in part.itertuples() if not _drawable(r)]
    if not missing:
        return [], ""
    labels_in = {g: part.loc[part["group"] == g, "label"].nunique() for g in set(part["group"])}
    by_group: dict[str, list] = {}
    for r in missing:
        by_group.setdefault(r.group, []).append(r)
    named = []
    for group, rows in by_group.items():
        counts = sorted({r.n for r in rows})
        which = (
            f"all {len(rows)} labels"
            if len(rows) == labels_in[group] and len(rows) > 1
            else ", ".join(r.label for r in rows)
        )
        named.append(f"{group} (n={'/'.join(map(str, counts))}): {which}")
    shown = "; ".join(named[:5]) + (f"; and {len(named) - 5} more groups" if len(named) > 5 else "")
    note = f"{len(missing)} of {len(part)} rows have no interval (too few validated): left out: {shown}"
    return [note], f"Left out, no interval (too few validated): {shown}."


def _count(n: int, N: int) -> str:
    return f"n={n:,} of {N:,}"


def _confidence_title(part) -> str:
    levels = sorted(set(round(c * 100, 2) for c in part["confidence"]))
    shown = "/".join(f"{c:g}%" for c in levels)
    designs = sorted(set(str(d).split(";")[0].strip() for d in part["design"] if str(d).strip()))
    design = f"; sample: {designs[0]}" if len(designs) == 1 else ""
    return f"{shown} intervals, prediction-powered (PPI++){design}"


def _time_points(groups: list[str]):
    """group → (x on a year axis, period number) if there are two or more groups and every one is a year, a month
    (YYYY-MM) or a date (YYYY-MM-DD), all of one kind; else None. Consecutive periods have consecutive numbers."""
    import re
    from datetime import date

    kinds = {
        "year": re.compile(r"^\d{4}$"),
        "month": re.compile(r"^\d{4}-\d{2}$"),
        "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    }
    if len(groups) < 2:
        return None
    for kind, pattern in kinds.items():  # noqa: B007 (the kind found is used after the loop)
        if all(pattern.match(g) for g in groups):
            break
    else:
        return None
    points = {}
    for g in groups:
        parts = [int(p) for p in g.split("-")]
        year = parts[0]
        try:
            moment = date(year, parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
        except ValueError:
            return None
        if kind == "year":
            points[g] = (float(year), year)
        elif kind == "month":
            points[g] = (year + (moment.month - 1) / 12, year * 12 + moment.month - 1)
        else:
            start = date(year, 1, 1)
            points[g] = (year + (moment - start).days / (date(year + 1, 1, 1) - start).days, moment.toordinal())
    return points


def _share_axis(axis, values) -> None:
    """A share axis from 0 to just above the largest value, in percent, at a round step (1, 2, 5, 10 or 20 points)."""
    from matplotlib.ticker import MultipleLocator, PercentFormatter

    top = max([v for v in values if not math.isnan(v)] or [1.0])
    top = max(top * 1.06, 0.02)
    step = next((s for s in (0.01, 0.02, 0.05, 0.1, 0.2) if top / s <= 6), 0.2)
    axis.set_major_locator(MultipleLocator(step))
    axis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    limit = min(1.0, math.ceil(top / step - 1e-9) * step)
    if axis.axis_name == "x":
        axis.axes.set_xlim(0, limit)
    else:
        axis.axes.set_ylim(0, limit)


def _wrap(text: str, width: int = 18) -> str:
    """``text`` on lines of ``width`` characters, three lines at most (then cut with an ellipsis)."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width, max_lines=3, placeholder="…")) or _shorten(text, width)


def _shorten(text: str, most: int = 48) -> str:
    """``text`` cut to ``most`` characters, an ellipsis ending it where it was cut (a name in a title or a legend)."""
    text = str(text)
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def _handles(colour: str, marker: str, naive_label: str, *, line: bool = False, extra: tuple = ()):
    from matplotlib.lines import Line2D

    naive = {"linestyle": (0, (4, 3)), "linewidth": 1.1} if line else {"linestyle": "none"}
    return [
        Line2D(
            [],
            [],
            color=colour,
            marker=marker,
            linestyle="-",
            label="estimate, with its interval (model + validated sample)",
        ),
        Line2D([], [], color=_NAIVE_COLOUR, marker="o", markerfacecolor="none", label=naive_label, **naive),
        *extra,
    ]


def _finish(figure, title: str, handles: list, footnote: str) -> None:
    """Title, legend and footnote in bands of fixed height above and below the panels (the figure grows by them),
    then the panels laid out between."""
    import textwrap

    width, height = figure.get_size_inches()
    per_row = max(1, int(width / 3.4))
    ncols = min(len(handles), per_row)
    legend_rows = math.ceil(len(handles) / ncols)
    lines = textwrap.wrap(footnote, int(width * 16)) if footnote else []
    top = 0.12 + 0.21 * (title.count("\n") + 1) + 0.08 + 0.2 * legend_rows + 0.05
    bottom = 0.08 + 0.14 * len(lines) + (0.05 if lines else 0)
    total = height + top + bottom
    figure.set_size_inches(width, total)
    # figure.text, not suptitle: tight_layout would make room for a suptitle a second time
    figure.text(0.5, 1 - 0.1 / total, title, va="top", ha="center", fontsize=11, linespacing=1.4)
    figure.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, 1 - (top - 0.02) / total),
        ncols=ncols,
        fontsize=8,
        frameon=False,
        handlelength=2.6,
    )
    if lines:
        figure.text(
            0.012,
            0.06 / total,
            "\n".join(lines),
            fontsize=7.5,
            color="#555555",
            va="bottom",
            ha="left",
            linespacing=1.3,
        )
    figure.tight_layout(rect=(0, bottom / total, 1, 1 - top / total), h_pad=1.2, w_pad=1.0)


def _naive_point(ax, x: float, y: float) -> None:
    ax.plot(
        [x],
        [y],
        marker="o",
        markerfacecolor="white",
        markeredgecolor=_NAIVE_COLOUR,
        linestyle="none",
        markersize=5,
        clip_on=False,
        zorder=2,
    )


def _interval_point(ax, row, y: float, colour: str, marker: str) -> None:
    ax.errorbar(
        [row.estimate],
        [y],
        xerr=[[row.estimate - row.ci_low], [row.ci_high - row.estimate]],
        color=colour,
        marker=marker,
        markersize=6,
        capsize=3,
        elinewidth=1.6,
        linestyle="none",
        zorder=3,
        clip_on=False,
    )


#: The most groups (besides ``all``) and labels a picture of estimates draws, and the most outlets a by-outlet view
#: draws: past ~30 rows a panel's names no longer fit a page (each row takes its own band), and thousands of them
#: took gigabytes and minutes to draw. Those past it are left out of the picture, counted in a warning.
MAX_GROUPS = 30
MAX_LABELS = 12


def _bounded(part, *, periods: bool, most: int = MAX_GROUPS):
    """(rows to draw, warnings): at most :data:`MAX_LABELS` labels (the first) and ``most`` groups besides ``all``
    (and, for periods, ``(none)``): the latest periods when the groups are periods (``periods``), else the groups
    with the largest N."""
    notes = []
    labels = list(dict.fromkeys(part["label"]))
    if len(labels) > MAX_LABELS:
        part = part[part["label"].isin(labels[:MAX_LABELS])]
        notes.append(
            f"{len(labels) - MAX_LABELS:,} of {len(labels):,} labels left out of the picture (it draws the first "
            f"{MAX_LABELS}); filter the rows to draw others"
        )
    aside = (_ALL, _NO_VALUE) if periods else (_ALL,)
    groups = [g for g in dict.fromkeys(part["group"]) if g not in aside]
    if len(groups) > most:
        if periods:
            points = _time_points(groups)
            kept = sorted(groups, key=lambda g: points[g][1])[-most:]
            which = f"the latest {most} periods"
        else:
            sizes = part.groupby("group", sort=False)["N"].max()
            kept = sorted(groups, key=lambda g: -sizes[g])[:most]
            which = f"the {most} groups with the largest N"
        part = part[part["group"].isin([*aside, *kept])]
        notes.append(
            f"{len(groups) - most:,} of {len(groups):,} groups left out of the picture (it draws {which}"
            f"{' and all' if (part['group'] == _ALL).any() else ''}); filter the rows, or estimate with another --by, "
            "to draw others"
        )
    return part, notes


def _draw_shares(plt, part, kind: str, colours: dict, by: str | None):
    """One figure of the shares of one type: time series if the groups are periods, else dot plots per label."""
    groups = list(dict.fromkeys(part["group"]))
    points = _time_points([g for g in groups if g not in (_ALL, _NO_VALUE)])
    part, bounded = _bounded(part, periods=points is not None)
    labels = list(dict.fromkeys(part["label"]))
    level = part["level"].iloc[0]
    notes, footnote = _left_out(part)
    notes += bounded
    footnote += "".join(f" {note[0].upper()}{note[1:]}." for note in bounded)
    if points is not None:
        points = {g: points[g] for g in dict.fromkeys(part["group"]) if g in points}
    noun = "Themes" if kind == "theme" else "Stances"
    if points is not None:
        figure, handles = _draw_time_series(plt, part, labels, points, colours, kind, level)
        what = f"{noun}: share of {_LEVEL_NOUN[level]} over time"
        if _NO_VALUE in groups:
            notes.append(f"group {_NO_VALUE!r} (units with no date) is not a point in time: left out of the picture")
            footnote += f" Group {_NO_VALUE} (no date) is not drawn."
    else:
        groups = list(dict.fromkeys(part["group"]))
        figure, handles = _draw_dots(plt, part, labels, groups, colours, kind, level)
        what = f"{noun}: share of {_LEVEL_NOUN[level]}" + (
            f" by {by}" if by and len(groups) > 1 else " by group" if len(groups) > 1 else ""
        )
    explain = f"n = validated {level}s in the sample, N = {level}s in the group."
    _finish(figure, f"{what}\n{_confidence_title(part)}", handles, f"{explain} {footnote}".strip())
    return figure, notes


def _draw_dots(plt, part, labels, groups, colours, kind, level):
    """Per label a panel; in it one row per group (``all`` on top, set apart): estimate ± interval, naive hollow beside.
    With only one group, one panel with a row per label."""
    import numpy as np

    by_key = {(r.label, r.group): r for r in part.itertuples()}
    single = len(groups) == 1
    panels = (
        [[(label, groups[0]) for label in labels]] if single else [[(label, g) for g in groups] for label in labels]
    )
    ncols = min(len(panels), 4)
    nrows = math.ceil(len(panels) / ncols)
    rows_per_panel = len(panels[0])
    # n and N go in the tick labels when they are one per group (always so in estimate's rows); else beside each point.
    counts: dict = {}
    for (_label, group), row in by_key.items():
        counts.setdefault(group, set()).add((row.n, row.N))
    in_ticks = all(len(v) == 1 for v in counts.values())
    tick_lines = max(_wrap(group, 24).count("\n") + 1 for group in (labels if single else groups)) + (
        0 if single else 1
    )
    figure, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(max(7.0, 2.2 + 2.7 * ncols), nrows * ((0.16 + 0.14 * tick_lines) * rows_per_panel + 0.9)),
        sharey=True,
        squeeze=False,
    )
    for k, ax in enumerate(axes.flat):
        if k >= len(panels):
            ax.set_visible(False)
            continue
        entries = panels[k]
        values = []
        for y, (label, group) in enumerate(entries):
            row = by_key.get((label, group))
            if row is None:
                continue
            colour, marker = colours[(kind, label)]
            values += [row.naive, row.ci_high, row.estimate]
            if not math.isnan(row.naive):
                _naive_point(ax, row.naive, y + 0.24)
            if _drawable(row):
                _interval_point(ax, row, y, colour, marker)
            else:
                ax.annotate(
                    f"no interval (n={row.n})",
                    (0, y),
                    xycoords=("axes fraction", "data"),
                    xytext=(3, 0),
                    textcoords="offset points",
                    fontsize=7,
                    color="#777777",
                    va="center",
                )
            if not in_ticks:
                ax.annotate(
                    _count(row.n, row.N),
                    (1, y),
                    xycoords=("axes fraction", "data"),
                    xytext=(-2, 0),
                    textcoords="offset points",
                    fontsize=6.5,
                    color="#555555",
                    ha="right",
                    va="center",
                )
        _share_axis(ax.xaxis, values)
        ax.grid(axis="x", color="#E5E5E5", linewidth=0.8)
        ax.set_axisbelow(True)
        ax.set_ylim(len(entries) - 0.4, -0.6)
        if not single:
            ax.set_title(
                _shorten(entries[0][0]), fontsize=10, fontweight="bold", color=colours[(kind, entries[0][0])][0]
            )
            if entries[0][1] == _ALL and len(entries) > 1:
                ax.axhline(0.5, color="#AAAAAA", linewidth=0.8, linestyle=(0, (2, 2)))
        else:
            row = next(iter(by_key.values()))
            name = "all (whole collection)" if groups[0] == _ALL else groups[0]
            ax.set_title(_shorten(name) + (f", {_count(row.n, row.N)}" if in_ticks else ""), fontsize=10)
        if k % ncols == 0:
            ticks = []
            for label, group in entries:
                row = by_key.get((label, group))
                if single:
                    ticks.append(_wrap(label, 24))
                    continue
                text = "all (whole collection)" if group == _ALL else _wrap(group, 24)
                ticks.append(text + (f"\n{_count(row.n, row.N)}" if in_ticks and row is not None else ""))
            ax.set_yticks(np.arange(len(entries)), ticks, fontsize=8.5)
            if not single and entries[0][1] == _ALL:
                ax.get_yticklabels()[0].set_fontweight("bold")
        ax.tick_params(axis="y", length=0)
        ax.tick_params(axis="x", labelsize=8)
        if k + ncols >= len(panels):  # the lowest panel of its column
            ax.set_xlabel(f"share of {_LEVEL_NOUN[level]}", fontsize=9)
    colour, marker = colours[(kind, labels[0])]
    return figure, _handles(colour, marker, "naive share (the model's tags counted)")


def _draw_time_series(plt, part, labels, points, colours, kind, level):
    """Per label a panel: the estimate over time (a line with markers and a band for the interval, broken where a
    period is missing or has no interval; a lone period gets an error bar), naive dashed and faint, the ``all``
    group as a dotted reference line with its interval shaded."""
    import numpy as np
    from matplotlib.lines import Line2D

    by_key = {(r.label, r.group): r for r in part.itertuples()}
    order = sorted(points, key=lambda g: points[g][1])
    ncols = 1 if len(labels) <= 2 else 2
    nrows = math.ceil(len(labels) / ncols)
    step = min(points[b][0] - points[a][0] for a, b in zip(order, order[1:])) or 1.0
    many = len(order) > (8 if ncols == 2 else 14)
    figure, axes = plt.subplots(
        nrows, ncols, figsize=(5.4 * ncols + 0.8, nrows * 2.6 + (0.9 if many else 0.55)), sharex=True, squeeze=False
    )
    has_all = any((label, _ALL) in by_key for label in labels)
    for k, ax in enumerate(axes.flat):
        if k >= len(labels):
            ax.set_visible(False)
            continue
        label = labels[k]
        colour, marker = colours[(kind, label)]
        values: list[float] = []
        # Runs of consecutive periods with an interval (and, for naive, with a value): lines join only within a run.
        runs: list[list] = [[]]
        naive_runs: list[list] = [[]]
        previous = None
        for g in order:
            row = by_key.get((label, g))
            number = points[g][1]
            if previous is not None and number != previous + 1:
                runs.append([])
                naive_runs.append([])
            previous = number
            if row is None:
                runs.append([])
                naive_runs.append([])
                continue
            values += [row.naive, row.ci_high, row.estimate]
            if _drawable(row):
                runs[-1].append((points[g][0], row.estimate, row.ci_low, row.ci_high))
            else:
                runs.append([])
                ax.annotate(
                    f"no interval\n(n={row.n})",
                    (points[g][0], 0),
                    xycoords=("data", "axes fraction"),
                    xytext=(0, 4),
                    textcoords="offset points",
                    fontsize=6.5,
                    color="#777777",
                    ha="center",
                    va="bottom",
                )
            if math.isnan(row.naive):
                naive_runs.append([])
            else:
                naive_runs[-1].append((points[g][0], row.naive))
        for run in naive_runs:
            if run:
                x, y = zip(*run)
                ax.plot(
                    x,
                    y,
                    color=_NAIVE_COLOUR,
                    linestyle=(0, (4, 3)),
                    linewidth=1.1,
                    marker="o",
                    markersize=4,
                    markerfacecolor="white",
                    markeredgecolor=_NAIVE_COLOUR,
                    zorder=2,
                    clip_on=False,
                )
        for run in runs:
            if not run:
                continue
            x, y, low, high = (np.array(v) for v in zip(*run))
            if len(run) > 1:
                ax.fill_between(x, low, high, color=colour, alpha=0.2, linewidth=0, zorder=1)
                ax.plot(x, y, color=colour, marker=marker, markersize=5, linewidth=1.8, zorder=3, clip_on=False)
            else:  # a lone period: a band needs two, so an error bar
                ax.errorbar(
                    x,
                    y,
                    yerr=[y - low, high - y],
                    color=colour,
                    marker=marker,
                    markersize=5,
                    elinewidth=1.6,
                    capsize=3,
                    linestyle="none",
                    zorder=3,
                    clip_on=False,
                )
        total = by_key.get((label, _ALL))
        if total is not None and not math.isnan(total.estimate):
            ax.axhline(total.estimate, color=colour, linewidth=1.0, linestyle=":", zorder=1.5)
            interval = ""
            if not (math.isnan(total.ci_low) or math.isnan(total.ci_high)):
                ax.axhspan(
                    total.ci_low,
                    total.ci_high,
                    facecolor="none",
                    edgecolor=colour,
                    hatch="////",
                    linewidth=0,
                    alpha=0.25,
                    zorder=0,
                )
                values.append(total.ci_high)
                interval = f" [{total.ci_low:.1%}, {total.ci_high:.1%}]"
            ax.set_title(
                f"all: {total.estimate:.1%}{interval}, {_count(total.n, total.N)}",
                loc="right",
                fontsize=8,
                color="#555555",
            )
        ax.set_title(_shorten(label), loc="left", fontsize=10, fontweight="bold", color=colour)
        _share_axis(ax.yaxis, values)
        ax.grid(axis="y", color="#E5E5E5", linewidth=0.8)
        ax.set_axisbelow(True)
        ax.set_xlim(points[order[0]][0] - step * 0.5, points[order[-1]][0] + step * 0.5)
        ax.tick_params(labelsize=8)
        if k % ncols == 0:
            ax.set_ylabel(f"share of {_LEVEL_NOUN[level]}", fontsize=9)
    # A tick at every period that has rows, with its n and N (one per group in estimate's rows: the first label's).
    ticks, names = [], []
    for g in order:
        row = next((by_key[(label, g)] for label in labels if (label, g) in by_key), None)
        ticks.append(points[g][0])
        names.append(
            g if row is None else (f"{g}, {_count(row.n, row.N)}" if many else f"{g}\nn={row.n:,}\nof {row.N:,}")
        )
    for k, ax in enumerate(axes.flat):
        if not ax.get_visible():
            continue
        ax.set_xticks(ticks)
        if k + ncols >= len(labels):  # the lowest panel of its column
            ax.tick_params(labelbottom=True)
            ax.set_xticklabels(names, fontsize=7.5 if not many else 7, rotation=90 if many else 0)
    colour, marker = colours[(kind, labels[0])]
    extra = ()
    if has_all:
        extra = (Line2D([], [], color="#555555", linestyle=":", label="all (whole collection); its interval hatched"),)
    return figure, _handles(colour, marker, "naive share (the model's tags counted)", line=True, extra=extra)


def _draw_trends(plt, trends, colours, by: str | None):
    """A forest plot: a row per label (and group), the change of its share per year with its interval, 0 marked."""
    import numpy as np

    labels = trends["label"].nunique()
    # A row per label and group: at most ~240 rows (0.36 inch each) in all.
    trends, bounded = _bounded(trends, periods=False, most=max(1, min(MAX_GROUPS, 240 // min(labels, MAX_LABELS) - 1)))
    level = trends["level"].iloc[0]
    kinds = [k for k in ("theme", "stance") if (trends["type"] == k).any()]
    parts = [trends[trends["type"] == k] for k in kinds]
    heights = [len(p) for p in parts]
    figure, axes = plt.subplots(
        len(parts),
        1,
        figsize=(8.5, 0.36 * sum(heights) + 0.75 * len(parts)),
        sharex=True,
        squeeze=False,
        gridspec_kw={"height_ratios": heights},
    )
    axes = axes[:, 0]
    notes, footnote = _left_out(trends)
    notes += bounded
    footnote += "".join(f" {note[0].upper()}{note[1:]}." for note in bounded)
    grouped = (trends["group"] != _ALL).any()
    values = []
    for ax, kind, part in zip(axes, kinds, parts):
        labels = list(dict.fromkeys(part["label"]))
        entries = []
        for label in labels:  # each label's rows together, its "all" first
            entries += sorted(part[part["label"] == label].itertuples(), key=lambda r: r.group != _ALL)
        ticks = []
        for y, row in enumerate(entries):
            colour, marker = colours[(kind, row.label)]
            if grouped and y and row.label != entries[y - 1].label:
                ax.axhline(y - 0.5, color="#CCCCCC", linewidth=0.8)
            name = _shorten(row.label, 32) + (
                f" · {'all' if row.group == _ALL else _shorten(row.group, 32)}" if grouped else ""
            )
            ticks.append(f"{name}  ({_count(row.n, row.N)})")
            if not math.isnan(row.naive):
                _naive_point(ax, row.naive, y + 0.24)
                values.append(row.naive)
            if not _drawable(row):
                ax.annotate(
                    f"no interval (n={row.n})",
                    (0, y),
                    xycoords=("axes fraction", "data"),
                    xytext=(3, 0),
                    textcoords="offset points",
                    fontsize=7,
                    color="#777777",
                    va="center",
                )
                continue
            values += [row.ci_low, row.ci_high]
            _interval_point(ax, row, y, colour, marker)
        ax.set_yticks(np.arange(len(entries)), ticks, fontsize=8.5)
        for tick, row in zip(ax.get_yticklabels(), entries):
            tick.set_color(colours[(kind, row.label)][0])
        ax.set_ylim(len(entries) - 0.4, -0.6)
        ax.axvline(0, color="#333333", linewidth=1.0, zorder=1)
        ax.grid(axis="x", color="#E5E5E5", linewidth=0.8)
        ax.set_axisbelow(True)
        ax.tick_params(axis="y", length=0)
        ax.set_title("Themes" if kind == "theme" else "Stances", loc="left", fontsize=10, fontweight="bold")
    reach = max([abs(v) for v in values if not math.isnan(v)] or [0.01]) * 1.12
    axes[-1].set_xlim(-reach, reach)  # symmetric about 0: neither direction looks larger than it is
    from matplotlib.ticker import FuncFormatter

    axes[-1].xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v * 100:+.3g}" if abs(v) > 1e-12 else "0"))
    axes[-1].set_xlabel(f"change per year in the share of {_LEVEL_NOUN[level]} (percentage points)", fontsize=9)
    axes[-1].tick_params(axis="x", labelsize=8)
    what = "Change per year of each share" + (f", by {by}" if by and grouped else ", by group" if grouped else "")
    first = colours[(kinds[0], parts[0]["label"].iloc[0])]
    handles = _handles(first[0], first[1], "naive (a line through the model's tags)")
    _finish(
        figure,
        f"{what}\n{_confidence_title(trends)}",
        handles,
        f"n = validated {level}s with a date, N = dated {level}s. {footnote}".strip(),
    )
    return figure, notes
