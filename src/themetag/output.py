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
import itertools
import json
import re
import shutil
import tempfile
import warnings
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, TextIO

from .errors import ThemetagError
from .segmentation import METADATA_COLUMNS

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


def make_writer(
    fmt: str,
    out: TextIO,
    *,
    paragraphs: bool = False,
    explain: bool = False,
    kinds: tuple[str, ...] | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> "ResultWriter":
    """The writer for a format name; ``paragraphs`` writes one row per paragraph instead of one per article.

    ``explain``: the articles carry explanations (``tag(..., explain=N)``), to be shown.
    ``kinds``: write only paragraphs of these kinds (e.g. ``("content",)``); implies ``paragraphs``.
    ``on_warning``: called with a one-line message when something cannot be written as asked
    (a metadata field a CSV stream's header no longer has room for); default :func:`warnings.warn`.
    """
    try:
        cls = WRITERS[fmt]
    except KeyError:
        raise ValueError(f"unknown output format {fmt!r}; use one of {', '.join(WRITERS)}") from None
    return cls(
        out, paragraphs=paragraphs or explain or kinds is not None, explain=explain, kinds=kinds, on_warning=on_warning
    )


def _warn(message: str) -> None:
    warnings.warn(message, stacklevel=3)


def flat_row(row: dict, metadata: dict) -> dict:
    """A table row (an article's :meth:`~themetag.tagger.ArticleTags.row` or a paragraph row) with the article's
    other metadata fields (outlet, section, ...) after its own columns, named by :func:`metadata_column`.

    >>> flat_row({"id": "a1", "stance": "favor"}, {"outlet": "El Tiempo", "stance": "against", "date": "2020-01-02"})
    {'id': 'a1', 'stance': 'favor', 'outlet': 'El Tiempo', 'input_stance': 'against'}
    """
    out = dict(row)
    for key, value in metadata.items():
        if key not in METADATA_COLUMNS:  # title, date, author and url are columns of the row already
            out[metadata_column(key, row)] = value
    return out


def metadata_column(field: str, own: Iterable[str]) -> str:
    """The column of a metadata field in a table whose own columns are ``own``: the field's name, or
    ``input_<name>`` where a result column (a coder's own ``stance``, say) or ``error`` has that name. Names
    that begin with ``input_`` get the prefix too, so two fields never share a column whichever rows hold them.

    >>> [metadata_column(f, ["id", "stance"]) for f in ("outlet", "stance", "input_stance")]
    ['outlet', 'input_stance', 'input_input_stance']
    """
    return f"input_{field}" if field in own or field == "error" or field.startswith("input_") else field


def _take_back(out, copy) -> None:
    """Move what was written to ``out`` into ``copy`` (both rewound), leaving ``out`` empty for a rewrite."""
    out.flush()
    out.seek(0)
    shutil.copyfileobj(out, copy)
    copy.seek(0)
    out.seek(0)
    out.truncate()


def _rewindable(out) -> bool:
    """True for a stream that can be read back and rewritten (a file, not a pipe or stdout)."""
    try:
        return bool(out.seekable() and out.readable())
    except (AttributeError, ValueError, OSError):
        return False


class ResultWriter:
    """Writes tagged articles to a text stream, flushing after each one."""

    #: True for a format written to a binary file (Parquet), which cannot go to stdout.
    binary = False

    def __init__(
        self,
        out: TextIO,
        *,
        paragraphs: bool = False,
        explain: bool = False,
        kinds: tuple[str, ...] | None = None,
        on_warning: Callable[[str], None] | None = None,
    ):
        self.out = out
        self.paragraphs = paragraphs
        self.explain = explain
        self.kinds = kinds
        self.on_warning = on_warning or _warn

    def _keep(self, kind: str) -> bool:
        return self.kinds is None or kind in self.kinds

    def write(self, article: "ArticleTags") -> None:
        """Write one tagged article (its row, or its paragraphs' rows) and flush, so output streams."""
        raise NotImplementedError

    def close(self) -> None:
        """Finish the output (a closing bracket, say); the stream itself stays open."""
        self.out.flush()

    def abort(self) -> None:
        """Stop without finishing: the output is being thrown away (an interrupt, an error). The stream stays open."""

    def _paragraph_records(self, article: "ArticleTags") -> Iterator[dict]:
        """The records of the paragraphs of the kinds kept, one at a time (a streamed article has a million)."""
        return (r for r in article.iter_paragraph_records() if self._keep(r["kind"]))


def _write_pieces(out: TextIO, pieces: Iterator[str], *, before: str = "", after: str = "") -> None:
    """Write ``before``, the pieces and ``after``, joining ``before`` to the first piece and ``after`` to the last:
    an article held whole (one piece) is one write, so an interrupt leaves all of it or none."""
    previous = before + next(pieces)
    for piece in pieces:
        out.write(previous)
        previous = piece
    out.write(previous + after)


def json_pieces(article: "ArticleTags", indent: int | str | None = None) -> Iterator[str]:
    """``json.dumps(article.to_dict(), indent=indent)``, the same text, in pieces: for a streamed article
    (:class:`~themetag.tagger.StreamedParagraphs`) a paragraph at a time, so that memory holds one."""
    if isinstance(article.paragraphs, list):
        yield json.dumps(article.to_dict(), ensure_ascii=False, indent=indent)
        return
    head = json.dumps(article.summary_dict(), ensure_ascii=False, indent=indent)
    if indent is None:
        yield head[:-1] + ', "paragraphs": ['
        for k, p in enumerate(article.paragraphs):
            yield (", " if k else "") + json.dumps(p.to_dict(), ensure_ascii=False)
        yield "]}"
        return
    # Indented, each paragraph's object sits two levels in (in the list, in the article).
    level = indent if isinstance(indent, str) else " " * indent
    inner = level * 2
    yield head[:-2] + f',\n{level}"paragraphs": ['
    k = -1
    for k, p in enumerate(article.paragraphs):
        text = json.dumps(p.to_dict(), ensure_ascii=False, indent=indent)
        yield (",\n" if k else "\n") + inner + text.replace("\n", "\n" + inner)
    yield ("]" if k < 0 else f"\n{level}]") + "\n}"


class _FlatTableWriter(ResultWriter):
    """A table with one header (CSV, Parquet) whose columns include every metadata field of the input.

    The first ``LOOKAHEAD_ROWS`` rows are held so that their fields make the
    header. A field can first appear later: written to a file, the table then
    grows a column and is rewritten with the full header when closed
    (streaming, a block of rows at a time); written to a stream that cannot be
    read back (stdout), the field is left out with a warning naming it (JSON
    Lines keeps every field).
    """

    LOOKAHEAD_ROWS = 1000

    def __init__(self, out, **options):
        super().__init__(out, **options)
        self.columns: list[str] | None = None
        self._held: list[dict] = []
        self._grown = False
        self._left_out: set[str] = set()
        #: The result's own columns (the rest are metadata), once a row is made.
        self.own_columns: frozenset[str] | None = None

    def _flat_rows(self, article: "ArticleTags") -> Iterator[dict]:
        """The article's rows of a flat table (CSV, Parquet): its row, or its paragraphs' rows, with its metadata;
        one at a time (a streamed article has a million)."""
        rows = (
            (row for _, row in article.iter_paragraph_rows(explanation=self.explain))
            if self.paragraphs
            else iter([article.row()])
        )
        for row in rows:
            if self.own_columns is None:
                self.own_columns = frozenset(row)
            if not self.paragraphs or self._keep(row["kind"]):
                yield flat_row(row, article.metadata)

    def column_kind(self, name: str) -> str:
        """What a column holds (see :func:`column_type`); metadata is text whatever its name."""
        return column_type(name) if self.own_columns and name in self.own_columns else "string"

    def write(self, article: "ArticleTags") -> None:
        rows = self._flat_rows(article)
        while chunk := list(itertools.islice(rows, self.LOOKAHEAD_ROWS)):
            if self.columns is None:
                self._held.extend(chunk)
                if len(self._held) >= self.LOOKAHEAD_ROWS:
                    self._start()
                continue
            self._append(self._fitted(chunk, article))

    def _start(self) -> None:
        rows, self._held = self._held, []
        self.columns = list(dict.fromkeys(name for row in rows for name in row))
        self._begin()
        if rows:
            self._append(rows)

    def _fitted(self, rows: list[dict], article: "ArticleTags") -> list[dict]:
        """Rows whose new fields became columns (a file) or were left out with a warning (a stream)."""
        new = [name for name in dict.fromkeys(n for row in rows for n in row) if name not in self.columns]
        if not new:
            return rows
        if _rewindable(self.out):
            self.columns.extend(new)
            self._grown = True
            return rows
        unseen = [name for name in new if name not in self._left_out]
        if unseen:
            self._left_out.update(unseen)
            self.on_warning(
                f"{article.id}: metadata field(s) {', '.join(unseen)} first appear after the table's header was written "
                "and are left out of this stream; write to a file (--out) or JSON Lines to keep them"
            )
        return [{k: v for k, v in row.items() if k in self.columns} for row in rows]

    def close(self) -> None:
        if self.columns is None:
            self._start()
        self._finish()
        self.out.flush()

    # The format's part: open the table, add rows, finish (rewriting if the columns grew).
    def _begin(self) -> None:
        raise NotImplementedError

    def _append(self, rows: list[dict]) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        raise NotImplementedError


@register("jsonl")
class JsonLinesWriter(ResultWriter):
    """One JSON object per line: an article (with its paragraphs), or with ``paragraphs`` one paragraph."""

    def write(self, article: "ArticleTags") -> None:
        if self.paragraphs:
            for record in self._paragraph_records(article):
                self.out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            _write_pieces(self.out, json_pieces(article), after="\n")
        self.out.flush()


@register("json")
class JsonWriter(ResultWriter):
    """One JSON array, streamed: ``[`` before the first item, ``]`` on close (``[]`` for no items)."""

    def __init__(self, out: TextIO, **options):
        super().__init__(out, **options)
        self._first = True

    def write(self, article: "ArticleTags") -> None:
        if self.paragraphs:
            for record in self._paragraph_records(article):
                self.out.write(("[\n" if self._first else ",\n") + json.dumps(record, ensure_ascii=False, indent=2))
                self._first = False
        else:
            before = "[\n" if self._first else ",\n"
            self._first = False  # from here on the array is open, whatever stops the writing
            _write_pieces(self.out, json_pieces(article, indent=2), before=before)
        self.out.flush()

    def close(self) -> None:
        self.out.write("[]\n" if self._first else "\n]\n")
        super().close()


@register("csv")
class CsvWriter(_FlatTableWriter):
    """Comma-separated rows with a header: themes joined by ``;``, theme shares as ``share_<theme>`` columns,
    then the input's other metadata fields (see :class:`_FlatTableWriter` for fields that appear late)."""

    def _begin(self) -> None:
        if self.columns:
            csv.writer(self.out).writerow(self.columns)

    def _append(self, rows: list[dict]) -> None:
        # Rows written before a column grew are short; the header is completed (and they are padded) on close.
        csv.DictWriter(self.out, fieldnames=self.columns).writerows(rows)
        self.out.flush()

    def _finish(self) -> None:
        if not self._grown:
            return
        with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as copy:
            _take_back(self.out, copy)
            limit = csv.field_size_limit(2**31 - 1)  # a cell may be a whole paragraph (or article) of any length
            try:
                rows = csv.reader(copy)
                next(rows)  # the old header
                table = csv.writer(self.out)
                table.writerow(self.columns)
                width = len(self.columns)
                for row in rows:
                    table.writerow(row + [""] * (width - len(row)))
            finally:
                csv.field_size_limit(limit)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: object) -> str:
    r"""Text safe to print on a terminal: control characters (escape sequences, carriage returns, bidirectional
    overrides) shown as ``\xNN``/``\uNNNN`` instead of acting on the screen.

    >>> printable("id\x1b[2Jx")
    'id\\x1b[2Jx'
    """
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


@register("table")
class TableWriter(ResultWriter):
    """Aligned text for reading on a terminal (paragraphs under a header row); long paragraphs cut at 70 characters.
    Ids and texts come from the inputs: their control characters are shown escaped (:func:`printable`)."""

    def __init__(self, out: TextIO, **options):
        super().__init__(out, **options)
        self._header_written = False

    def write(self, article: "ArticleTags") -> None:
        out = self.out
        if not self.paragraphs:
            out.write(
                f"{printable(article.id)}: themes={';'.join(article.dominant_themes) or '-'} stance={article.stance or '-'} "
                f"content_paragraphs={article.counts['content']}\n"
            )
        else:
            for p, row in article.iter_paragraph_rows(explanation=self.explain):
                if not self._keep(p.kind):
                    continue
                shown_id = printable(article.id)
                if not self._header_written:
                    out.write(f"{'id':<{len(shown_id)}}  {'para':<4} {'kind':<11} {'stance':<8} {'themes':<40} text\n")
                    self._header_written = True
                text = printable(p.text.replace("\n", " ")[:70])
                out.write(
                    f"{shown_id}  #{p.index:<3} {p.kind:<11} {p.stance or '-':<8} {row['themes'] or '-':<40} {text}\n"
                )
                if row.get("explanation"):
                    out.write(f"      because  {printable(row['explanation'])}\n")
        out.flush()


@register("parquet")
class ParquetWriter(_FlatTableWriter):
    """Apache Parquet, for pandas, R (arrow), DuckDB or Spark: the CSV's columns, typed (probabilities and
    shares as floats, counts as integers, metadata as text; empty cells such as a missing date or a
    set-aside paragraph's probabilities as nulls), written in row groups of 10,000 rows so memory stays flat.
    Needs pyarrow (``pip install 'themetag[parquet]'``) and a file to write (``--out``): Parquet is not a stream.
    """

    binary = True
    ROWS_PER_GROUP = 10_000
    LOOKAHEAD_ROWS = ROWS_PER_GROUP

    def __init__(self, out, **options):
        super().__init__(out, **options)
        try:
            import pyarrow  # noqa: F401
            import pyarrow.parquet  # noqa: F401
        except ImportError:
            raise ThemetagError("--format parquet needs pyarrow: pip install 'themetag[parquet]'") from None
        self._group: list[dict] = []
        self._writer = None
        # Row groups written after the columns grew: Parquet files in a temporary folder, merged into the output
        # on close. A file starts only at a row group, so there are at most as many as groups, and one is open.
        self._later: tempfile.TemporaryDirectory | None = None
        self._later_files: list[str] = []

    def _schema(self):
        return parquet_schema(self.columns, self.own_columns or ())

    def abort(self) -> None:
        # pyarrow's writer closes itself when collected, writing to its file: done now, while the file is open
        # (else "Exception ignored ... write to closed file" with a traceback after the interrupt's message).
        try:
            if self._writer is not None:
                self._writer.close()
        except Exception:  # the output is being thrown away
            pass
        finally:
            self._writer = None
            if self._later is not None:
                self._later.cleanup()

    def _begin(self) -> None:
        import pyarrow.parquet as pq

        if self.columns:  # else nothing was tagged: close() writes an empty table
            self._writer = pq.ParquetWriter(self.out, self._schema())

    def _append(self, rows: list[dict]) -> None:
        self._group.extend(rows)
        if len(self._group) >= self.ROWS_PER_GROUP:
            self._write_group()

    def _write_group(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows, self._group = self._group, []
        if not rows:
            return
        if self._writer.schema.names != self.columns:
            # A Parquet file's columns are fixed when it starts: what is written so far stays as it is, the
            # rest goes to a temporary file with the grown columns, and close() merges them.
            self._writer.close()
            if self._later is None:
                self._later = tempfile.TemporaryDirectory(prefix="themetag-parquet-")
            self._later_files.append(f"{self._later.name}/{len(self._later_files)}.parquet")
            self._writer = pq.ParquetWriter(self._later_files[-1], self._schema())
        schema = self._writer.schema
        columns = {name: [_arrow_value(row.get(name), self.column_kind(name)) for row in rows] for name in schema.names}
        self._writer.write_table(pa.table(columns, schema=schema))

    def _finish(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not self.columns:  # nothing was tagged: still a valid (empty) Parquet file
            pq.write_table(pa.table({}), self.out)
            return
        try:
            self._write_group()
            self._writer.close()
            if self._later_files:
                self._merge()
        finally:
            if self._later is not None:
                self._later.cleanup()

    def _merge(self) -> None:
        """Rewrite the output with every column: its own row groups, then the later files', a group at a time."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = self._schema()
        with tempfile.TemporaryFile() as first:
            _take_back(self.out, first)
            with pq.ParquetWriter(self.out, schema) as merged:
                for part in (first, *self._later_files):
                    groups = pq.ParquetFile(part)
                    for k in range(groups.num_row_groups):
                        table = groups.read_row_group(k)
                        for field in schema:
                            if field.name not in table.column_names:
                                table = table.append_column(field, pa.nulls(len(table), field.type))
                        merged.write_table(table.select(schema.names))
                    groups.close()


def _arrow_value(value, kind: str):
    # An empty cell of the CSV (no date, no probability for a set-aside paragraph) is a null here;
    # metadata given as numbers or true/false goes to a text column as it would print in the CSV.
    if value == "" or value is None:
        return None
    return str(value) if kind == "string" and not isinstance(value, str) else value


def parquet_schema(columns: Iterable[str], own: Iterable[str]):
    """The Arrow schema of a Parquet table of results, whoever writes it (one process or Dask workers): the
    result's ``own`` columns typed by :func:`column_type` (float64, int64, string), every other column (metadata)
    string; no pandas metadata. Every column may hold nulls: an empty cell of the CSV is a null, never ``''``.

    >>> parquet_schema(["id", "share_x", "para", "outlet"], ["id", "share_x", "para"]).types
    [DataType(string), DataType(double), DataType(int64), DataType(string)]
    """
    import pyarrow as pa

    kinds = {"float": pa.float64(), "int": pa.int64(), "string": pa.string()}
    own = frozenset(own)
    return pa.schema([(name, kinds[column_type(name) if name in own else "string"]) for name in columns])


def column_type(column: str) -> str:
    """What an output column holds, by its name: "float" (probabilities, shares), "int" (counts) or "string"."""
    if column.startswith(("p_", "share_")):
        return "float"
    if column.startswith("stance_") or column in ("para", "content_paragraphs"):
        return "int"
    return "string"


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
    rows, own = [], set()
    for article in articles:
        own_rows = [article.row()] if level == "article" else article.paragraph_rows()
        own.update(own_rows[0] if own_rows else ())
        rows.extend(flat_row(row, article.metadata) for row in own_rows)
    frame = pd.DataFrame(rows)
    scores = [c for c in frame.columns if c in own and c.startswith("p_")]
    if scores:
        frame[scores] = frame[scores].replace("", float("nan")).astype(float)
    return frame


#: Formats of plain rows (``estimate``'s): the same names as the article writers' that apply.
ROW_FORMATS = ("table", "csv", "json", "jsonl")


def write_rows(rows: list[dict], fmt: str, out: TextIO, *, columns: Iterable[str] | None = None) -> None:
    """Write plain rows (dicts with the same keys) as an aligned ``table``, ``csv``, ``json`` (one array) or ``jsonl``.

    Floats are written as they are in CSV and JSON (NaN as an empty cell and as null); the table rounds them to
    four places and can show a subset of ``columns``.

    >>> import sys
    >>> write_rows([{"label": "corruption", "estimate": 0.21, "warning": ""}], "table", sys.stdout)
    label       estimate  warning
    corruption  0.2100
    """
    if fmt not in ROW_FORMATS:
        raise ValueError(f"format must be one of {', '.join(ROW_FORMATS)}, not {fmt!r}")
    names = list(columns) if columns is not None else (list(rows[0]) if rows else [])

    def plain(value):
        return None if isinstance(value, float) and value != value else value  # NaN: null, an empty cell

    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps({k: plain(v) for k, v in row.items()}, ensure_ascii=False) + "\n")
    elif fmt == "json":
        json.dump([{k: plain(v) for k, v in row.items()} for row in rows], out, ensure_ascii=False, indent=1)
        out.write("\n")
    elif fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=names, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if plain(v) is None else v for k, v in row.items()})
    else:

        def cell(value) -> str:
            if isinstance(value, float):
                return "-" if value != value else f"{value:.4f}"
            return "" if value is None else printable(value)

        table = [names] + [[cell(row.get(k)) for k in names] for row in rows]
        widths = [max(len(line[i]) for line in table) for i in range(len(names))]
        for line in table:
            out.write("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() + "\n")
