"""A picture of a tagged collection: theme shares and stances over time and by outlet.

Reads what ``themetag predict`` wrote at article level (JSON Lines, CSV or
Parquet; a folder of Parquet from ``--scheduler``) and writes, per view, the
numbers as CSV and a PNG. Needs pandas and matplotlib
(``pip install 'themetag[frames,report]'``).

A theme's share in a group is the share of the group's content paragraphs
that carry it (articles weighted by their content paragraphs); stance counts
are paragraph counts per stance.
"""

from __future__ import annotations

from pathlib import Path

from .errors import InputError, ThemetagError

#: Columns tried, in order, for "by outlet" when none is named; else the url's host.
OUTLET_COLUMNS = ("outlet", "source", "publisher", "site")


def read_results(path: str | Path):
    """Article-level results of ``predict`` as one flat pandas DataFrame (the CSV's columns)."""
    import pandas as pd

    path = Path(path)
    if path.is_dir() or path.suffix.lower() in (".parquet", ".pq"):
        frame = pd.read_parquet(path)
    elif path.suffix.lower() == ".csv":
        frame = pd.read_csv(path, dtype={"id": str, "date": str})
    elif path.suffix.lower() in (".jsonl", ".json"):
        from .io import iter_json_lines, open_input

        rows = []
        with open_input(path) as handle:
            for item in iter_json_lines(handle):
                if item.error is not None:
                    raise InputError(f"{path}:{item.line}: {item.error}")
                record = item.value
                if not isinstance(record, dict) or "theme_shares" not in record:
                    raise InputError(f"{path}:{item.line}: not an article record of `themetag predict` (use article level, not --paragraphs)")
                rows.append({"id": record.get("id"), **record.get("metadata", {}),
                             **{f"share_{t}": v for t, v in record["theme_shares"].items()},
                             **{f"stance_{s}": n for s, n in record.get("stance_counts", {}).items()},
                             "content_paragraphs": record.get("counts", {}).get("content", 0)})
        frame = pd.DataFrame(rows)
    else:
        raise InputError(f"{path}: expected predict's output as .jsonl, .csv or .parquet (or a folder of Parquet)")
    if not any(c.startswith("share_") for c in frame.columns) or "content_paragraphs" not in frame.columns:
        raise InputError(f"{path}: no share_<theme> and content_paragraphs columns: article-level output of `themetag predict` is needed")
    return frame


def _themes_and_stances(frame) -> tuple[list[str], list[str]]:
    return ([c[len("share_"):] for c in frame.columns if c.startswith("share_")],
            [c[len("stance_"):] for c in frame.columns if c.startswith("stance_")])


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
    stance = pd.DataFrame({s: frame[f"stance_{s}"].fillna(0).astype(int) for s in stances}).groupby(groups).sum()
    articles = content.groupby(groups).size().rename("articles")
    return shares, stance, articles


def plot_collection(frame, out: str | Path, *, by: str | None = None, period: str = "auto") -> list[Path]:
    """Write the over-time view (by ``date``) and the by-outlet view of a results frame into folder ``out``.

    ``period``: "month", "quarter", "year" or "auto" (months for up to three years of dates, else years).
    Returns the files written (CSV and PNG per view); a view whose column is missing is skipped.
    """
    import pandas as pd

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ThemetagError("plots need matplotlib: pip install 'themetag[report]'") from None
    from .io import atomic_output, write_text

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    views = []
    if "date" in frame.columns:
        dates = pd.to_datetime(frame["date"], errors="coerce", utc=True, format="mixed")
        if dates.notna().any():
            span = (dates.max() - dates.min()).days
            chosen = {"auto": "M" if span <= 3 * 366 else "Y", "month": "M", "quarter": "Q", "year": "Y"}[period]
            key = dates.dt.tz_localize(None).dt.to_period(chosen).astype(str).where(dates.notna())
            views.append(("over_time", "date", key[dates.notna()], frame[dates.notna()]))
    outlet = by or next((c for c in OUTLET_COLUMNS if c in frame.columns), None)
    if outlet is None and "url" in frame.columns and frame["url"].notna().any():
        hosts = frame["url"].astype(str).str.extract(r"^[a-z]+://(?:www\.)?([^/:]+)", expand=False)
        if hosts.notna().any():
            views.append(("by_outlet", "outlet (url host)", hosts[hosts.notna()], frame[hosts.notna()]))
    elif outlet is not None:
        if outlet not in frame.columns:
            raise InputError(f"no column {outlet!r} in the results (columns: {', '.join(map(str, frame.columns))})")
        views.append(("by_outlet", outlet, frame[outlet].astype(str), frame))
    for name, label, key, part in views:
        shares, stance, articles = summarize(part, key.rename(label))
        table = pd.concat([articles, shares.add_prefix("share_"), stance.add_prefix("stance_")], axis=1)
        write_text(table.to_csv(), out / f"{name}.csv")
        written.append(out / f"{name}.csv")
        figure, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
        positions = range(len(shares))
        for theme in shares.columns:
            top.plot(list(positions), shares[theme].tolist(), marker="o", label=theme)
        top.set_ylabel("share of content paragraphs")
        top.set_title(f"Themes {'over time' if name == 'over_time' else 'by ' + label} ({int(articles.sum()):,} articles)")
        top.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        bottom_stack = [0] * len(stance)
        for column in stance.columns:
            values = stance[column].tolist()
            bottom.bar(list(positions), values, bottom=bottom_stack, label=column)
            bottom_stack = [a + b for a, b in zip(bottom_stack, values)]
        bottom.set_ylabel("content paragraphs")
        bottom.set_title("Stance")
        bottom.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        bottom.set_xticks(list(positions))
        bottom.set_xticklabels(shares.index.tolist(), rotation=45, ha="right")
        figure.tight_layout()
        with atomic_output(out / f"{name}.png", binary=True) as handle:
            figure.savefig(handle, format="png", dpi=110)
        plt.close(figure)
        written.append(out / f"{name}.png")
    if not views:
        raise InputError("nothing to plot: the results have no usable 'date' column and no outlet column "
                         f"({', '.join(OUTLET_COLUMNS)}, or url); name one with --by")
    return written
