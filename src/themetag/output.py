"""Writing tagged articles as they come, in one of several formats: one class per format.

A writer takes :class:`~themetag.tagger.ArticleTags` one at a time
(:meth:`ResultWriter.write`) and is closed once (:meth:`ResultWriter.close`),
so output streams and memory stays flat. A new format is one subclass
registered under its name::

    @register("tsv")
    class TsvWriter(ResultWriter):
        def write(self, article): ...

>>> sorted(WRITERS)
['csv', 'json', 'jsonl', 'parquet', 'table']
"""

from __future__ import annotations

import csv
import json
from typing import TYPE_CHECKING, Callable, Iterable, TextIO

from .errors import ThemetagError

if TYPE_CHECKING:
    from .tagger import ArticleTags

#: Output formats by name.
WRITERS: dict[str, type["ResultWriter"]] = {}


def register(name: str) -> Callable[[type["ResultWriter"]], type["ResultWriter"]]:
    """Class decorator: make a writer available as ``--format NAME``."""

    def add(cls: type[ResultWriter]) -> type[ResultWriter]:
        WRITERS[name] = cls
        return cls

    return add


def make_writer(fmt: str, out: TextIO, *, paragraphs: bool = False, explain: bool = False, kinds: tuple[str, ...] | None = None) -> "ResultWriter":
    """The writer for a format name; ``paragraphs`` writes one row per paragraph instead of one per article.

    ``explain``: the articles carry explanations (``tag(..., explain=N)``), to be shown.
    ``kinds``: write only paragraphs of these kinds (e.g. ``("content",)``); implies ``paragraphs``.
    """
    try:
        cls = WRITERS[fmt]
    except KeyError:
        raise ValueError(f"unknown output format {fmt!r}; use one of {', '.join(WRITERS)}") from None
    return cls(out, paragraphs=paragraphs or explain or kinds is not None, explain=explain, kinds=kinds)


class ResultWriter:
    """Writes tagged articles to a text stream, flushing after each one."""

    #: True for a format written to a binary file (Parquet), which cannot go to stdout.
    binary = False

    def __init__(self, out: TextIO, *, paragraphs: bool = False, explain: bool = False, kinds: tuple[str, ...] | None = None):
        self.out = out
        self.paragraphs = paragraphs
        self.explain = explain
        self.kinds = kinds

    def _keep(self, kind: str) -> bool:
        return self.kinds is None or kind in self.kinds

    def write(self, article: "ArticleTags") -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Finish the output (a closing bracket, say); the stream itself stays open."""
        self.out.flush()

    def _records(self, article: "ArticleTags") -> list[dict]:
        return [r for r in article.paragraph_records() if self._keep(r["kind"])] if self.paragraphs else [article.to_dict()]


@register("jsonl")
class JsonLinesWriter(ResultWriter):
    """One JSON object per line: an article (with its paragraphs), or with ``paragraphs`` one paragraph."""

    def write(self, article: "ArticleTags") -> None:
        for record in self._records(article):
            self.out.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.out.flush()


@register("json")
class JsonWriter(ResultWriter):
    """One JSON array, streamed: ``[`` before the first item, ``]`` on close (``[]`` for no items)."""

    def __init__(self, out: TextIO, **options):
        super().__init__(out, **options)
        self._first = True

    def write(self, article: "ArticleTags") -> None:
        for record in self._records(article):
            self.out.write(("[\n" if self._first else ",\n") + json.dumps(record, ensure_ascii=False, indent=2))
            self._first = False
        self.out.flush()

    def close(self) -> None:
        self.out.write("[]\n" if self._first else "\n]\n")
        super().close()


@register("csv")
class CsvWriter(ResultWriter):
    """Comma-separated rows with a header: themes joined by ``;``, theme shares as ``share_<theme>`` columns."""

    def __init__(self, out: TextIO, **options):
        super().__init__(out, **options)
        self._csv: csv.DictWriter | None = None

    def write(self, article: "ArticleTags") -> None:
        rows = [r for r in article.paragraph_rows(explanation=self.explain) if self._keep(r["kind"])] if self.paragraphs else [article.row()]
        for row in rows:
            if self._csv is None:
                self._csv = csv.DictWriter(self.out, fieldnames=list(row))
                self._csv.writeheader()
            self._csv.writerow(row)
        self.out.flush()


@register("table")
class TableWriter(ResultWriter):
    """Aligned text for reading on a terminal (paragraphs under a header row); long paragraphs cut at 70 characters."""

    def __init__(self, out: TextIO, **options):
        super().__init__(out, **options)
        self._header_written = False

    def write(self, article: "ArticleTags") -> None:
        out = self.out
        if not self.paragraphs:
            out.write(
                f"{article.id}: themes={';'.join(article.dominant_themes) or '-'} stance={article.stance or '-'} "
                f"content_paragraphs={article.counts['content']}\n"
            )
        else:
            for row, p in zip(article.paragraph_rows(explanation=self.explain), article.paragraphs):
                if not self._keep(p.kind):
                    continue
                if not self._header_written:
                    out.write(f"{'id':<{len(str(article.id))}}  {'para':<4} {'kind':<11} {'stance':<8} {'themes':<40} text\n")
                    self._header_written = True
                text = p.text.replace("\n", " ")
                out.write(f"{article.id}  #{p.index:<3} {p.kind:<11} {p.stance or '-':<8} {row['themes'] or '-':<40} {text[:70]}\n")
                if row.get("explanation"):
                    out.write(f"      because  {row['explanation']}\n")
        out.flush()


@register("parquet")
class ParquetWriter(ResultWriter):
    """Apache Parquet, for pandas, R (arrow), DuckDB or Spark: the CSV's columns, typed (probabilities and
    shares as floats, counts as integers, empty cells such as a missing date or a set-aside paragraph's probabilities as nulls), written in row
    groups of 10,000 rows so memory stays flat. Needs pyarrow (``pip install 'themetag[parquet]'``) and a
    file to write (``--out``): Parquet is not a stream.
    """

    binary = True
    ROWS_PER_GROUP = 10_000

    def __init__(self, out, **options):
        super().__init__(out, **options)
        try:
            import pyarrow  # noqa: F401
            import pyarrow.parquet  # noqa: F401
        except ImportError:
            raise ThemetagError("--format parquet needs pyarrow: pip install 'themetag[parquet]'") from None
        self._rows: list[dict] = []
        self._writer = None

    def write(self, article: "ArticleTags") -> None:
        if self.paragraphs:
            self._rows.extend(r for r in article.paragraph_rows(explanation=self.explain) if self._keep(r["kind"]))
        else:
            self._rows.append(article.row())
        if len(self._rows) >= self.ROWS_PER_GROUP:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not self._rows:
            return
        if self._writer is None:
            schema = pa.schema([(name, arrow_type(name)) for name in self._rows[0]])
            self._writer = pq.ParquetWriter(self.out, schema)
        schema = self._writer.schema
        # An empty cell of the CSV (no date, no probability for a set-aside paragraph) is a null here.
        columns = {name: [None if row.get(name) == "" else row.get(name) for row in self._rows] for name in schema.names}
        self._writer.write_table(pa.table(columns, schema=schema))
        self._rows = []

    def close(self) -> None:
        self._flush()
        if self._writer is None:  # nothing was tagged: still a valid (empty) Parquet file
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.table({}), self.out)
        else:
            self._writer.close()
        self.out.flush()


def column_type(column: str) -> str:
    """What an output column holds, by its name: "float" (probabilities, shares), "int" (counts) or "string"."""
    if column.startswith(("p_", "share_")):
        return "float"
    if column.startswith("stance_") or column in ("para", "content_paragraphs"):
        return "int"
    return "string"


def arrow_type(column: str):
    """The Arrow type of an output column (see :func:`column_type`)."""
    import pyarrow as pa

    return {"float": pa.float64(), "int": pa.int64(), "string": pa.string()}[column_type(column)]


def to_frame(articles: Iterable["ArticleTags"], *, level: str = "article"):
    """Tagged articles as a pandas DataFrame: one row per article, or (``level="paragraph"``) per paragraph.

    Article rows are the CSV's columns (id, title, date, author, url,
    dominant themes, stance, ``share_<theme>``, ``stance_<stance>`` counts,
    content paragraphs, warning) plus every other metadata field; paragraph
    rows are id, para, kind, themes, stance, ``p_<theme>``/``p_<stance>``
    probabilities (NaN where the paragraph was set aside) and text, plus the
    article's metadata. pandas is optional: ``pip install 'themetag[frames]'``.

    >>> import themetag
    >>> tags = themetag.load().tag_many([{"id": "a1", "date": "2020-03-01", "text": "Troops burned coca fields."}])
    >>> themetag.to_frame(tags, level="paragraph")[["id", "date", "kind", "stance"]]  # doctest: +NORMALIZE_WHITESPACE
       id        date     kind   stance
    0  a1  2020-03-01  content  neutral
    """
    if level not in ("article", "paragraph"):
        raise ValueError(f"level must be 'article' or 'paragraph', not {level!r}")
    try:
        import pandas as pd
    except ImportError:
        raise ThemetagError("to_frame() needs pandas: pip install 'themetag[frames]'") from None
    rows = []
    for article in articles:
        if level == "article":
            row = article.row()
            rows.append({**row, **{k: v for k, v in article.metadata.items() if k not in row}})
        else:
            for row in article.paragraph_rows():
                rows.append({**row, **{k: v for k, v in article.metadata.items() if k not in row}})
    frame = pd.DataFrame(rows)
    scores = [c for c in frame.columns if c.startswith("p_")]
    if scores:
        frame[scores] = frame[scores].replace("", float("nan")).astype(float)
    return frame
