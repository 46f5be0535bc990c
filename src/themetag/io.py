"""Reading what users hand themetag: article files, folders, standard input, and JSON / JSON Lines.

Two readers live here, and no other module parses these formats:

* :func:`read_articles` turns command-line style inputs (files, folders,
  ``"-"`` for standard input, ``.jsonl`` files of ``{"id", "text"}``) into
  :class:`Article` records, one at a time, so memory stays flat however many
  come in. An input that cannot be read comes out as an
  :class:`~themetag.errors.InputError` in its place, and reading goes on.
* :func:`iter_json_lines` and :func:`read_json_items` read JSON Lines (and, for
  annotation-tool exports, a JSON array or one JSON object) with the line each
  item starts on. Lines end at ``\\n`` (or ``\\r\\n``; ``\\r`` in a file that has no
  ``\\n``), as in an editor: never at the other boundaries of
  :meth:`str.splitlines` such as U+2028, which JSON allows raw inside strings.
  (Line numbers inside a JSON array count ``\\n`` only.)

Nothing here prints: warnings go to an ``on_warning`` callback.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator, Sequence

from .errors import InputError, ThemetagError

#: Files with these endings are read as one article each (HTML is recognised by its content).
TEXT_SUFFIXES = (".txt", ".md", ".html", ".htm")
#: Files with this ending hold one article per line: ``{"id": ..., "text": ...}``.
JSONL_SUFFIX = ".jsonl"
#: The largest article file, and the longest JSON Lines line, read.
MAX_FILE_BYTES = 20_000_000

Warn = Callable[[str], None]


def _no_warning(message: str) -> None:
    pass


# --------------------------------------------------------------------------- JSON and JSON Lines


@dataclass(frozen=True)
class JsonItem:
    """One element of a JSON Lines file or JSON array: position, the line it starts on, and value or error.

    ``error`` is set (and ``value`` is None) when the line is not one JSON
    value; readers that stop at the first problem raise it, streaming readers
    report it and go on.
    """

    index: int  # 1-based position among the file's items
    line: int  # 1-based line where it starts
    value: object = None
    error: str | None = None


def _decode_json(text: str) -> tuple[object, str | None]:
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON ({exc.msg} at column {exc.colno})"
    except (ValueError, RecursionError) as exc:  # e.g. an integer of 5,000 digits; arrays nested 10,000 deep
        return None, f"not valid JSON ({type(exc).__name__}: {str(exc)[:200]})"


def _physical_lines(handle: BinaryIO, max_line_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes without the line end) for each line; None for a line over the limit (skipped unread)."""
    lineno = 0
    while True:
        raw = handle.readline(max_line_bytes + 1)
        if not raw:
            return
        lineno += 1
        if len(raw) > max_line_bytes and not raw.endswith(b"\n"):
            # Skip the rest of the line in bounded pieces rather than holding it.
            while raw and not raw.endswith(b"\n"):
                raw = handle.readline(1 << 20)
            yield lineno, None
            continue
        ended = raw.endswith(b"\n")
        raw = raw.rstrip(b"\n")
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if not ended and b"\r" in raw:
            # A file with old Mac line ends (\r only) reads as one line: each \r ends a line, as an editor shows it.
            # Inside a \n-ended line a \r is JSON whitespace, not a line end.
            for k, piece in enumerate(raw.split(b"\r")):
                yield lineno + k, piece
            lineno += raw.count(b"\r")
            continue
        yield lineno, raw


def iter_json_lines(handle: BinaryIO, *, max_line_bytes: int = MAX_FILE_BYTES) -> Iterator[JsonItem]:
    """JSON Lines from a binary file, one :class:`JsonItem` per non-blank line, read as it goes.

    UTF-8 only (a byte-order mark on the first line is allowed). A line that
    is not UTF-8, not JSON, or longer than ``max_line_bytes`` comes out as an
    item with ``error`` set; the lines after it are still read.
    """
    index = 1
    for lineno, raw in _physical_lines(handle, max_line_bytes):
        if raw is None:
            yield JsonItem(index, lineno, error=f"line is over the {max_line_bytes:,}-byte limit")
            index += 1
            continue
        try:
            text = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
        except UnicodeDecodeError:
            yield JsonItem(index, lineno, error="not UTF-8 text; save the file as UTF-8")
            index += 1
            continue
        if not text.strip():
            continue
        value, error = _decode_json(text)
        yield JsonItem(index, lineno, value, error)
        index += 1


_WS = re.compile(r"[ \t\n\r]*")


def read_json_items(
    path: str | os.PathLike, *, expected: str, error: type[ThemetagError] = InputError
) -> tuple[list[JsonItem], str]:
    """(items, name) of a whole JSON document: a JSON array, one JSON object, or JSON Lines.

    For files that tools export either way (Label Studio: an array; doccano:
    JSON Lines). ``"-"`` reads standard input. Problems raise ``error`` with
    the file and line; ``expected`` says what the file should have held.
    """
    raw, where = _read_bytes(path, error)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        hint = "; a .zip export must be unpacked first" if raw[:4] == b"PK\x03\x04" else ""
        raise error(f"not UTF-8 text; save the file as UTF-8{hint}", path=where, line=line) from None
    start = _WS.match(text, 0).end()
    if start == len(text):
        raise error(f"empty file; expected {expected}", path=where)
    if text[start] == "[":
        return _array_items(text, where, error), where
    if text[start] == "{" and "\n" in text[start:].rstrip():
        # One pretty-printed object, or JSON Lines: try the former, else read lines.
        value, problem = _decode_json(text)
        if problem is None:
            return [JsonItem(1, text.count("\n", 0, start) + 1, value)], where
    import io

    items = []
    for item in iter_json_lines(io.BytesIO(raw), max_line_bytes=len(raw) + 1):
        if item.error is not None:
            hint = "; each line must be one JSON object (or the whole file one JSON array)" if item.error.startswith("not valid JSON") else ""
            raise error(item.error + hint, path=where, line=item.line)
        items.append(item)
    return items, where


def _read_bytes(path: str | os.PathLike, error: type[ThemetagError]) -> tuple[bytes, str]:
    if str(path) == "-":
        return sys.stdin.buffer.read(), "<stdin>"
    where = str(path)
    try:
        return Path(path).read_bytes(), where
    except FileNotFoundError:
        raise error("no such file", path=where) from None
    except IsADirectoryError:
        raise error("is a directory, not a file", path=where) from None
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror}", path=where) from None


def _array_items(text: str, where: str, error: type[ThemetagError]) -> list[JsonItem]:
    """The elements of a top-level JSON array, each with the line it starts on."""
    decoder = json.JSONDecoder()
    items: list[JsonItem] = []
    line, counted = 1, 0

    def line_at(offset: int) -> int:
        nonlocal line, counted
        line += text.count("\n", counted, offset)
        counted = offset
        return line

    pos = _WS.match(text, _WS.match(text, 0).end() + 1).end()  # past "[" and the space after it
    if text.startswith("]", pos):
        end = pos + 1
    else:
        while True:
            try:
                value, end = decoder.raw_decode(text, pos)
            except json.JSONDecodeError as exc:
                raise error(f"not valid JSON ({exc.msg} at column {exc.colno})", path=where, line=exc.lineno) from None
            except (ValueError, RecursionError) as exc:
                raise error(f"not valid JSON ({type(exc).__name__})", path=where, line=line_at(pos)) from None
            items.append(JsonItem(len(items) + 1, line_at(pos), value))
            pos = _WS.match(text, end).end()
            if text.startswith(",", pos):
                pos = _WS.match(text, pos + 1).end()
                continue
            if text.startswith("]", pos):
                end = pos + 1
                break
            found = repr(text[pos]) if pos < len(text) else "the end of the file"
            raise error(
                f"not valid JSON (expected ',' or ']' after element {len(items)}, found {found})",
                path=where,
                line=line_at(pos),
            )
    rest = _WS.match(text, end).end()
    if rest != len(text):
        raise error("not valid JSON (extra data after the closing ']')", path=where, line=line_at(rest))
    return items


# --------------------------------------------------------------------------- articles


@dataclass(frozen=True)
class Article:
    """One article to tag: its id (the file name without extension, or the JSON Lines ``id``) and text.

    ``where`` names it in messages: a path, ``path:line`` for JSON Lines, or ``<stdin>``.
    """

    id: str
    text: str
    where: str
    #: Fields that came with the text (a JSON Lines row's other scalar fields: title, date, url, ...).
    metadata: dict = field(default_factory=dict)


def decode_article(data: bytes, name: str, on_warning: Warn = _no_warning) -> str:
    """Bytes of an article file → text. UTF-8 (with or without BOM); else cp1252 with a warning.

    Binary data (NUL bytes) and empty or whitespace-only files are refused.

    >>> decode_article("Caf\\u00e9 owners".encode("cp1252"), "a.txt", on_warning=print)
    a.txt: not valid UTF-8; read as Windows-1252 (cp1252). Save it as UTF-8 to silence this
    'Café owners'
    """
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"{name}: {len(data):,} bytes is over the {MAX_FILE_BYTES:,}-byte limit; split the file")
    if b"\x00" in data[:65536]:
        raise InputError(f"{name}: looks like a binary file (it has NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        on_warning(f"{name}: not valid UTF-8; read as Windows-1252 (cp1252). Save it as UTF-8 to silence this")
    if not text.strip():
        raise InputError(f"{name}: empty file (no text to segment)")
    return text


def iter_input_paths(paths: Sequence[str]) -> Iterator[tuple[str, str | None] | InputError]:
    """(name, path) for each input — None as the path for ``"-"`` (stdin) — with folders walked for text files.

    A folder without article files comes out as an InputError in its place.
    """
    for raw in paths:
        if raw == "-":
            yield "-", None
            continue
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES)
            if not found:
                yield InputError(f"{raw}: directory has no {', '.join(TEXT_SUFFIXES)} files")
            for p in found:
                yield str(p), str(p)
        else:
            yield raw, raw


def article_id(name: str) -> str:
    """The id of an article read from a file: its name without folder or extension (``stdin`` for ``-``)."""
    return "stdin" if name == "-" else Path(name).stem


def read_article_file(name: str, path: str | None, on_warning: Warn = _no_warning) -> str:
    """The text of one article file (``path`` None: standard input)."""
    data, where = _read_bytes("-" if path is None else path, InputError)
    return decode_article(data, where, on_warning)


def write_jsonl(records: Iterable[dict], path: str | os.PathLike) -> int:
    """Write records as JSON Lines (UTF-8), atomically: a temporary file beside ``path``, then one rename.

    A failure part-way (a record that cannot be encoded, a full disk) leaves
    ``path`` as it was. Returns how many records were written.
    """
    import tempfile

    target = Path(path)
    handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", newline="\n", dir=target.parent or ".", prefix=f".{target.name}.", suffix=".tmp", delete=False)
    count = 0
    try:
        with handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, 0o644)
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return count


def read_articles(paths: Sequence[str], *, on_warning: Warn = _no_warning) -> Iterator[Article | InputError]:
    """Articles from files, folders, ``"-"`` and JSON Lines files, one at a time, in order.

    An input that cannot be read yields an :class:`InputError` naming it
    (``file:line`` inside JSON Lines) in its place; the others are still read.
    """
    for entry in iter_input_paths(paths):
        if isinstance(entry, InputError):
            yield entry
            continue
        name, path = entry
        if path is not None and name.endswith(JSONL_SUFFIX):
            yield from _jsonl_articles(name, path)
            continue
        try:
            yield Article(article_id(name), read_article_file(name, path, on_warning), "<stdin>" if path is None else name)
        except InputError as exc:
            yield exc


def _jsonl_articles(name: str, path: str) -> Iterator[Article | InputError]:
    try:
        handle = open(path, "rb")
    except OSError as exc:
        yield InputError(f"{name}: cannot read ({exc.strerror})")
        return
    with handle:
        for item in iter_json_lines(handle):
            where = f"{name}:{item.line}"
            if item.error is not None:
                yield InputError(f"{where}: {item.error}")
                continue
            row = item.value
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                yield InputError(f'{where}: expected a JSON object with a "text" string')
                continue
            if not row["text"].strip():
                yield InputError(f"{where}: empty text")
                continue
            metadata = {k: v for k, v in row.items() if k not in ("id", "text") and (v is None or isinstance(v, (str, int, float, bool)))}
            yield Article(str(row.get("id", f"{Path(name).stem}:{item.line}")), row["text"], where, metadata)


def count_articles(paths: Iterable[str]) -> int | None:
    """How many articles the inputs hold (JSON Lines: their lines), for a progress bar; None if unknown (stdin)."""
    total = 0
    for entry in iter_input_paths(list(paths)):
        if isinstance(entry, InputError):
            continue
        name, path = entry
        if path is None:
            return None
        if name.endswith(JSONL_SUFFIX):
            try:
                with open(path, "rb") as handle:
                    total += sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
            except OSError:
                total += 1
        else:
            total += 1
    return total
