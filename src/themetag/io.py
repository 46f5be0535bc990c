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

import codecs
import contextlib
import glob
import io as io_module
import json
import math
import os
import re
import stat
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO, Callable, Iterable, Iterator, Sequence

from .errors import InputError, OutputError, ThemetagError

#: Files with these endings are read as one article each (HTML is recognised by its content).
TEXT_SUFFIXES = (".txt", ".md", ".html", ".htm")
#: Files with this ending hold one article per line: ``{"id": ..., "text": ...}``.
JSONL_SUFFIX = ".jsonl"
#: Tables: named on the command line without ``--from``, refused with a hint rather than tagged as one article of
#: raw cells.
TABLE_SUFFIXES = (".csv", ".tsv", ".tab", ".parquet", ".pq", ".xlsx", ".xls")
#: Formats of tables of articles, one article a row (``--from``), and the file endings a folder is searched for.
TABLE_FORMATS = {"csv": (".csv",), "tsv": (".tsv", ".tab"), "jsonl": (".jsonl",), "parquet": (".parquet", ".pq")}
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


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class _RepeatedKey(ValueError):
    pass


def _unique_keys(pairs: list) -> dict:
    """An object's members, refusing a key given twice: JSON keeps the last one silently (a label of "favor" then
    "against" in one record would be read as "against")."""
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set = set()
        repeated = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise _RepeatedKey(repeated)
    return value


def _decode_json(text: str) -> tuple[object, str | None]:
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON ({_json_message(exc)} at column {exc.colno})"
    except (RecursionError, ValueError) as exc:
        return None, _undecodable(exc)
    problem = _unstorable(value) if _SURROGATE_ESCAPE.search(text) else None
    return (None, problem) if problem else (value, None)


def _undecodable(exc: Exception) -> str:
    """What a RecursionError or ValueError (not a JSONDecodeError) from the JSON decoder means, in words."""
    if isinstance(exc, _RepeatedKey):
        return f"the key {str(exc)[:100]!r} is given twice in one object; keep one"
    if isinstance(exc, RecursionError):
        return "not valid JSON we can read: nested too deeply"
    if "digits" in str(exc):  # Python refuses to convert integers of over 4,300 digits
        return "a number with more than 4,300 digits; write long ids as strings"
    return f"not valid JSON ({str(exc)[:200]})"


def _unstorable(value: object) -> str | None:
    """Why a decoded JSON value cannot be written back as UTF-8, or None.

    JSON lets "\ud800" stand alone; Python then holds half a character that no file can store.
    """
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return "holds a lone surrogate escape (such as \\ud800): half of a character, not text"
    except RecursionError:
        return "not valid JSON we can read: nested too deeply"
    return None


def _physical_lines(
    handle: BinaryIO, max_line_bytes: int, first_line: int = 1, end: int | None = None
) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes without the line end) for each line; None for a line over the limit (skipped unread).

    ``first_line`` numbers the line the handle is at; with ``end``, lines that start at or after that byte are not read.
    """
    lineno = first_line - 1
    while True:
        if end is not None and handle.tell() >= end:
            return
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


def iter_json_lines(
    handle: BinaryIO, *, max_line_bytes: int = MAX_FILE_BYTES, first_line: int = 1, end: int | None = None
) -> Iterator[JsonItem]:
    """JSON Lines from a binary file, one :class:`JsonItem` per non-blank line, read as it goes.

    UTF-8 only (a byte-order mark on the first line is allowed). A line that
    is not UTF-8, not JSON, or longer than ``max_line_bytes`` comes out as an
    item with ``error`` set; the lines after it are still read. A piece of a
    file (see :func:`jsonl_spans`): the handle is at its start, ``first_line``
    is that line's number, and lines starting at ``end`` or later are left.
    """
    index = 1
    for lineno, raw in _physical_lines(handle, max_line_bytes, first_line, end):
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
    raw, where = read_bounded(path, error)
    return json_items_from_bytes(raw, where, expected=expected, error=error), where


def json_items_from_bytes(
    raw: bytes, where: str, *, expected: str, error: type[ThemetagError] = InputError
) -> list[JsonItem]:
    """The items of a whole JSON document already read (a JSON array, one JSON object, or JSON Lines), as
    :func:`read_json_items` reads a file; ``where`` names the document in messages (a zip member, say)."""
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
        return _array_items(text, where, error)
    if text[start] == "{" and "\n" in text[start:].rstrip():
        # One pretty-printed object, or JSON Lines: try the former, else read lines.
        value, problem = _decode_json(text)
        if problem is None:
            return [JsonItem(1, text.count("\n", 0, start) + 1, value)]
    import io

    items = []
    for item in iter_json_lines(io.BytesIO(raw), max_line_bytes=len(raw) + 1):
        if item.error is not None:
            hint = (
                "; each line must be one JSON object (or the whole file one JSON array)"
                if item.error.startswith("not valid JSON")
                else ""
            )
            raise error(item.error + hint, path=where, line=item.line)
        items.append(item)
    return items


def _check_regular(path: str | os.PathLike, error: type[ThemetagError], limit: int | None = None) -> os.stat_result:
    """Refuse before opening what cannot be read safely: no file, a folder, a pipe or device, a file over ``limit``.

    Opening a FIFO blocks until someone writes to it and ``/dev/zero`` never
    ends, so only regular files are read (standard input is ``"-"``).
    """
    where = str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise error("no such file", path=where) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        raise error(f"cannot read: {getattr(exc, 'strerror', None) or exc}", path=where) from None
    if stat.S_ISDIR(info.st_mode):
        raise error("is a directory, not a file", path=where)
    if not stat.S_ISREG(info.st_mode):
        raise error(
            "not a regular file (a pipe, device or socket); pass a file, or '-' to read standard input", path=where
        )
    if limit is not None and info.st_size > limit:
        raise error(f"{info.st_size:,} bytes is over the {limit:,}-byte limit; split the file", path=where)
    return info


def open_input(path: str | os.PathLike, error: type[ThemetagError] = InputError, limit: int | None = None) -> BinaryIO:
    """A regular file (of at most ``limit`` bytes) opened for reading in binary; anything else raises ``error``
    naming it (see :func:`_check_regular`)."""
    _check_regular(path, error, limit)
    try:
        return open(path, "rb")
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror}", path=str(path)) from None


def read_bounded(
    path: str | os.PathLike, error: type[ThemetagError] = InputError, limit: int = MAX_FILE_BYTES
) -> tuple[bytes, str]:
    """(bytes, name for messages) of a whole file or of standard input (``"-"``), refused past ``limit`` bytes.

    The size is checked before reading, and reading stops one byte past the
    limit, so a file that grows (or a stream with no end) costs at most
    ``limit`` bytes of memory.
    """
    if str(path) == "-":
        try:
            data = sys.stdin.buffer.read(limit + 1)
        except (OSError, ValueError, AttributeError):  # stdin closed or not a byte stream
            raise error("cannot read standard input (is it closed?)", path="<stdin>") from None
        if len(data) > limit:
            raise error(f"more than {limit:,} bytes; split the input", path="<stdin>")
        return data, "<stdin>"
    where = str(path)
    with open_input(path, error, limit) as handle:
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise error(f"cannot read: {exc.strerror}", path=where) from None
    if len(data) > limit:
        raise error(f"over the {limit:,}-byte limit; split the file", path=where)
    return data, where


def _array_items(text: str, where: str, error: type[ThemetagError]) -> list[JsonItem]:
    """The elements of a top-level JSON array, each with the line it starts on."""
    decoder = json.JSONDecoder(object_pairs_hook=_unique_keys)  # a key given twice is refused, as in JSON Lines
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
                raise error(
                    f"not valid JSON ({_json_message(exc)} at column {exc.colno})", path=where, line=exc.lineno
                ) from None
            except (ValueError, RecursionError) as exc:
                raise error(_undecodable(exc), path=where, line=line_at(pos)) from None
            problem = _unstorable(value) if _SURROGATE_ESCAPE.search(text, pos, end) else None
            if problem is not None:
                raise error(problem, path=where, line=line_at(pos))
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

    def record(self) -> tuple[str, str, dict]:
        """The article as :meth:`Tagger.tag_many` takes it: (id, text, metadata), so that metadata fields named
        "id" or "text" (when ``--id-field``/``--text-field`` name others) travel too."""
        return self.id, self.text, self.metadata


_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


def decode_text(
    raw: bytes, where: str, *, encoding: str | None = None, error: type[ThemetagError] = InputError
) -> tuple[str, str | None]:
    """(text, a note or None) of a file's bytes. With ``encoding``, that (it wins over UTF-8: the user said so);
    else UTF-8; else Windows-1252, but only when the file holds no UTF-8 at all (one bad byte in a UTF-8 file must
    not turn every "é" into "Ã©"), and only when every byte decodes. Otherwise ``error`` naming the line of the
    first byte that does not decode.
    """

    def bad_byte(exc: UnicodeDecodeError, named: str) -> ThemetagError:
        line = raw[: exc.start].count(b"\n") + 1
        return error(
            f"byte 0x{raw[exc.start]:02x} is not {named}; fix it, or name the file's encoding (--encoding)",
            path=where,
            line=line,
        )

    if encoding is not None:
        try:
            return raw.decode(encoding), None
        except LookupError:
            raise error(f"unknown encoding {encoding!r}", path=where) from None
        except UnicodeDecodeError as exc:
            raise bad_byte(exc, encoding) from None
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        first = exc
    if _UTF8_SEQUENCE.search(raw):
        raise bad_byte(first, "UTF-8, in a file that is otherwise UTF-8") from None
    try:
        return raw.decode(
            "cp1252"
        ), "not valid UTF-8; read as Windows-1252 (cp1252), as it has no UTF-8 in it: check the accents"
    except UnicodeDecodeError as exc:
        raise bad_byte(exc, "UTF-8 or Windows-1252") from None


def decode_article(data: bytes, name: str, on_warning: Warn = _no_warning) -> str:
    """Bytes of an article file → text. UTF-8 (with or without BOM); else, for a file with no UTF-8 in it, cp1252
    with a warning; a stray byte in a UTF-8 file is an error naming its line (:func:`decode_text`), not a page
    of "Ã©".

    Binary data (NUL bytes) and empty or whitespace-only files are refused.

    >>> decode_article("Caf\\u00e9 owners".encode("cp1252"), "a.txt", on_warning=print)
    a.txt: not valid UTF-8; read as Windows-1252 (cp1252), as it has no UTF-8 in it: check the accents. Save it as UTF-8 to silence this
    'Café owners'
    """
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"{name}: {len(data):,} bytes is over the {MAX_FILE_BYTES:,}-byte limit; split the file")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(
                f"{name}: starts like UTF-16 text (a byte-order mark) but is not valid UTF-16; save it as UTF-8"
            ) from None
        if "\x00" in text:
            raise InputError(f"{name}: looks like a binary file (it has NUL characters), not text")
        on_warning(f"{name}: read as UTF-16 (it has a byte-order mark). Save it as UTF-8 to silence this")
        if not text.strip():
            raise InputError(f"{name}: empty file (no text to segment)")
        return text
    if b"\x00" in data:
        raise InputError(
            f"{name}: looks like a binary file (it has NUL bytes), not text; if it is UTF-16 text, save it as UTF-8"
        )
    text, note = decode_text(data, name)
    if looks_binary(text):
        raise InputError(
            f"{name}: looks like a binary file (control or replacement characters in more than 1% of it), not text"
        )
    if note:
        on_warning(f"{name}: {note}. Save it as UTF-8 to silence this")
    if not text.strip():
        raise InputError(f"{name}: empty file (no text to segment)")
    return text


_BINARY_CHARACTERS = re.compile("[\x00-\x08\x0e-\x1f\x7f\ufffd]")


def looks_binary(text: str) -> bool:
    """Whether text is more likely bytes of something else decoded as text: control characters (not tab, line
    breaks or form feeds) or U+FFFD replacement characters make up more than 1% of it (and more than two).

    >>> looks_binary("The army.\f Page 2"), looks_binary("\x01\x02\x03" + "a" * 100)
    (False, True)
    """
    found = len(_BINARY_CHARACTERS.findall(text, 0, 1_000_000))
    return found > 2 and found > min(len(text), 1_000_000) / 100


def iter_input_paths(
    paths: Sequence[str], *, table_format: str | None = None
) -> Iterator[tuple[str, str | None, str] | InputError]:
    """(name, path, id) for each input — None as the path for ``"-"`` (stdin) — with folders walked for text files
    (with ``table_format``, for tables of that format).

    The id is the file name without its extension; for a file found in a
    folder, its path inside that folder without the extension (``sub/x`` for
    ``folder/sub/x.txt``), so files of the same name in different subfolders
    keep different ids. A folder without article files comes out as an
    InputError in its place.
    """
    for entry in _walk_inputs(paths, table_format):
        yield entry if isinstance(entry, InputError) else entry[:3]


def _walk_inputs(
    paths: Sequence[str], table_format: str | None = None
) -> Iterator[tuple[str, str | None, str, bool] | InputError]:
    """:func:`iter_input_paths`'s entries, each with whether it was found in a folder (not named itself)."""
    wanted = TABLE_FORMATS[table_format] if table_format else TEXT_SUFFIXES
    for raw in paths:
        if raw == "-":
            yield "-", None, "stdin", False
            continue
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in wanted)
            if not found:
                yield InputError(f"{raw}: directory has no {', '.join(wanted)} files")
            for p in found:
                yield str(p), str(p), p.relative_to(path).with_suffix("").as_posix(), True
        elif table_format is None and path.suffix.lower() in TABLE_SUFFIXES:
            named = next((f for f, endings in TABLE_FORMATS.items() if path.suffix.lower() in endings), None)
            how = (
                (
                    f"tag its rows with --from {named} --text-column COLUMN (--id-column COLUMN names their ids; the other "
                    "columns travel as metadata)"
                )
                if named
                else "save it as CSV and tag its rows with --from csv --text-column COLUMN"
            )
            yield InputError(f"{raw}: a table, not an article: {how}")
        else:
            yield raw, raw, path.stem, False


def read_article_file(name: str, path: str | None, on_warning: Warn = _no_warning) -> str:
    """The text of one article file (``path`` None: standard input)."""
    data, where = read_bounded("-" if path is None else path, InputError)
    return decode_article(data, where, on_warning)


@contextmanager
def atomic_output(path: str | os.PathLike, *, binary: bool = False) -> Iterator[IO]:
    """A file to write ``path`` through: a temporary file beside it, flushed, synced, then renamed over it.

    ``path`` changes only when the ``with`` block ends without an exception:
    a failure part-way (an unencodable record, a full disk, Ctrl-C) leaves it
    as it was and removes the temporary file.
    """
    import tempfile

    # A symbolic link is written through: the file it names is replaced, the link stays (renamed over, the link
    # itself would become a file: `--out /dev/stdout` once replaced /dev/stdout).
    target = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)
    check_output_path(target)
    _remove_stale_temporaries(target)
    # Readable too: a table writer may read back what it wrote to complete its header (output.CsvWriter).
    mode = "w+b" if binary else "w+"
    options = {} if binary else {"encoding": "utf-8", "newline": "\n"}
    # Ctrl-C or SIGTERM between the file's creation and this function knowing its name would leave it behind:
    # they wait until the cleanup below is in place (then they are raised inside it).
    held = _hold_interrupts()
    try:
        # The pid in the name lets a later run tell a temporary file left by a killed run from one being written.
        handle = tempfile.NamedTemporaryFile(
            mode, dir=target.parent, prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", delete=False, **options
        )
    except OSError as exc:
        _release_interrupts(held)
        raise OutputError(f"cannot write here: {exc.strerror}", path=str(target)) from None
    try:
        _release_interrupts(held)
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        # NamedTemporaryFile makes it private: a replaced file keeps its own mode (a private label file stays private),
        # a new one gets what the umask allows, as any file the user makes.
        os.chmod(handle.name, _mode_for(target))
        os.replace(handle.name, target)
    except OSError as exc:
        Path(handle.name).unlink(missing_ok=True)
        raise OutputError(f"cannot write: {exc.strerror or exc}; nothing was changed", path=str(target)) from None
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def _hold_interrupts():
    """Block SIGINT and SIGTERM in this thread (where the system can); returns what to restore."""
    import signal

    if not hasattr(signal, "pthread_sigmask"):
        return None
    try:
        return signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    except (OSError, ValueError):
        return None


def _release_interrupts(held) -> None:
    """Undo :func:`_hold_interrupts`: a signal that came meanwhile is delivered now."""
    if held is not None:
        import signal

        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _mode_for(target: Path) -> int:
    """The permission bits a written file gets: the replaced file's, else 0o666 less the umask."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _remove_stale_temporaries(target: Path) -> None:
    """Remove the temporary files a killed run left beside ``target`` (``.NAME.PID.XXXX.tmp`` whose process is gone)."""
    try:
        leftovers = list(target.parent.glob(f".{glob.escape(target.name)}.*.tmp"))
    except OSError:
        return
    # Exactly what atomic_output names them: ".NAME.PID.XXXXXXXX.tmp" (tempfile's 8 characters), so that the
    # temporary file of another target ("NAME.2024.jsonl") is never taken for one of this target's.
    ours = re.compile(rf"\.{re.escape(target.name)}\.(\d+)\.[a-z0-9_]{{8}}\.tmp")
    for leftover in leftovers:
        match = ours.fullmatch(leftover.name)
        if match is None or int(match.group(1)) == os.getpid():
            continue  # not one of ours, or this process's own
        pid = match.group(1)
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            leftover.unlink(missing_ok=True)  # its writer is gone: it can never be completed
        except (PermissionError, OverflowError, OSError):
            continue  # a live process of another user, or not a pid we can ask about: leave it


def claim_output(
    path: str | os.PathLike,
    *,
    force: bool = False,
    inputs: Iterable[str | os.PathLike | None] = (),
    option: str = "--out",
) -> None:
    """Refuse, before any work, an output that must not be written: an existing file without ``force`` (given for
    this output: another output's ``--force`` does not cover it), a file that is one of the ``inputs`` or lies in an
    input folder (it would replace, or later be read as, input), and whatever :func:`check_output_path` refuses."""
    target = Path(path)
    check_not_an_input(target, inputs)
    check_output_path(target)
    if target.exists() and not force:
        raise OutputError(
            f"exists; pass --force to replace it (only this command's own --force covers {option})", path=str(path)
        )


def check_distinct_outputs(*paths: str | os.PathLike | None) -> None:
    """Refuse two outputs of one command that are the same file: the second would silently replace the first."""
    seen: dict[Path, str] = {}
    for path in paths:
        if path is None:
            continue
        key = Path(path).resolve()
        if key in seen:
            raise OutputError(f"is also where {seen[key]} goes: give each output its own file", path=str(path))
        seen[key] = str(path)


def check_not_an_input(
    path: str | os.PathLike, inputs: Iterable[str | os.PathLike | None], *, inside: bool = True
) -> None:
    """Refuse an output that is one of the inputs (the same file, by a hard or symbolic link too) or, with ``inside``,
    lies inside an input folder, whose files the command reads (a model folder, which holds no input's kind of
    file, may: ``inside=False``)."""
    target = Path(path)
    resolved = target.resolve()
    for given in inputs:
        if given is None or str(given) in ("", "-"):
            continue
        source = Path(given)
        try:
            if source.is_dir():
                if resolved == source.resolve() or (inside and resolved.is_relative_to(source.resolve())):
                    raise OutputError(
                        f"is inside the input folder {str(given)!r}, whose files are read as input; write it elsewhere",
                        path=str(path),
                    )
            elif source.exists() and (
                resolved == source.resolve() or (target.exists() and os.path.samefile(target, source))
            ):
                raise OutputError(
                    f"is the input {str(given)!r} (the same file); writing it would replace what is read: "
                    "write it elsewhere",
                    path=str(path),
                )
        except OSError:
            continue


def check_output_path(path: str | os.PathLike) -> None:
    """Refuse, before any work, an output path that cannot be written: a folder, or in a missing or read-only folder."""
    target = Path(path)
    where = str(path)
    if target.is_dir():
        raise OutputError("is a directory; name a file to write", path=where)
    if target.exists() and not target.is_file():
        # Written through a temporary file renamed over it: a device or a pipe there would be replaced, not written.
        raise OutputError("is not a regular file (a device or a pipe?); name a file to write", path=where)
    parent = target.parent
    if not parent.is_dir():
        raise OutputError(f"folder {str(parent)!r} does not exist; create it first", path=where)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"folder {str(parent)!r} is not writable", path=where)


def check_output_folder(path: str | os.PathLike) -> None:
    """Refuse, before any work, a folder to write into that cannot be: a file, or missing with no writable parent."""
    folder = Path(path)
    where = str(path)
    if folder.exists():
        if not folder.is_dir():
            raise OutputError("exists and is not a folder", path=where)
        if not os.access(folder, os.W_OK | os.X_OK):
            raise OutputError("folder is not writable", path=where)
    else:
        check_output_path(folder)


def write_text(text: str, path: str | os.PathLike) -> None:
    """Write a text file atomically (see :func:`atomic_output`)."""
    with atomic_output(path) as handle:
        handle.write(text)


def write_jsonl(records: Iterable[dict], path: str | os.PathLike) -> int:
    """Write records as JSON Lines (UTF-8), atomically (see :func:`atomic_output`). Returns how many were written.

    A record that cannot be stored (say a string holding a lone surrogate)
    raises :class:`~themetag.errors.OutputError` and leaves ``path`` as it was.
    """
    count = 0
    with atomic_output(path) as handle:
        for record in records:
            try:  # the file encodes as it writes: a lone surrogate fails here, before the rename
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            except (UnicodeEncodeError, TypeError, ValueError) as exc:
                raise OutputError(
                    f"record {count + 1} cannot be written as UTF-8 JSON ({type(exc).__name__}); nothing was changed",
                    path=str(path),
                ) from None
            count += 1
    return count


def read_articles(
    paths: Sequence[str],
    *,
    on_warning: Warn = _no_warning,
    id_field: str = "id",
    text_field: str = "text",
    table_format: str | None = None,
    encoding: str | None = None,
    metadata: "str | os.PathLike | MetadataTable | None" = None,
    dedupe: bool = False,
) -> Iterator[Article | InputError]:
    """Articles from files, folders, ``"-"`` and JSON Lines files, one at a time, in order.

    An input that cannot be read yields an :class:`InputError` naming it
    (``file:line`` inside JSON Lines) in its place; the others are still read.
    JSON Lines rows hold the id and text under ``id_field`` and ``text_field``. An id given twice (two shards
    whose rows are numbered from 1, say) is an error naming both places, in place of the second article: two
    articles under one id could not be told apart in any output, nor matched by ``estimate``.

    ``table_format`` (``csv``, ``tsv``, ``jsonl`` or ``parquet``, :data:`TABLE_FORMATS`) reads every input as a
    table of that format, one article a row: ``text_field`` and ``id_field`` name its columns, the other columns
    are the article's metadata, and folders are searched for files of that format. ``encoding`` names the
    encoding of CSV and TSV files (default UTF-8).

    ``metadata``: a CSV file of fields to join to the articles, or one read (:class:`MetadataTable`); rows and articles
    left unmatched are reported through ``on_warning`` once reading ends. ``dedupe``: an id given again is left
    out (the first kept), counted in one warning at the end, instead of being an error.
    """
    if metadata is not None:
        table = metadata if isinstance(metadata, MetadataTable) else MetadataTable.read(metadata, encoding=encoding)
        yield from table.join(
            read_articles(
                paths,
                on_warning=on_warning,
                id_field=id_field,
                text_field=text_field,
                table_format=table_format,
                encoding=encoding,
                dedupe=dedupe,
            ),
            on_warning,
        )
        return
    first: dict[str, str] = {}  # id → where it was first given
    repeated: list[str] = []
    for entry in input_entries(paths, table_format=table_format):
        if isinstance(entry, InputError):
            yield entry
            continue
        for article in read_entry(
            *entry,
            on_warning=on_warning,
            id_field=id_field,
            text_field=text_field,
            table_format=table_format,
            encoding=encoding,
        ):
            if isinstance(article, Article):
                earlier = first.setdefault(article.id, article.where)
                if earlier != article.where and dedupe:
                    repeated.append(article.where)
                    continue
                if earlier != article.where:
                    article = InputError(
                        f"{article.where}: id {article.id!r} was already given at {earlier}; ids must be "
                        f"unique across the inputs (name another field with --id-field, leave the ids "
                        f"out, or keep the first of each with --dedupe)"
                    )
            yield article
    if repeated:
        on_warning(
            f"--dedupe: {len(repeated):,} articles whose id was given before were left out: "
            f"{', '.join(repeated[:5])}{', ...' if len(repeated) > 5 else ''}"
        )


#: Columns that key a metadata table's rows, in the order tried.
METADATA_KEYS = ("id", "file", "filename", "path")
#: The largest metadata table read (it is held in memory: one row per article).
MAX_METADATA_BYTES = 200_000_000


@dataclass
class MetadataTable:
    """Fields to join to articles, from a CSV file keyed by article id or file name (``--metadata``).

    The key column is the first of :data:`METADATA_KEYS` the header has. A row matches an article whose id is its
    key, or whose file's path, name, or name without its extension is (``brief.txt``, ``brief``, ``2025/brief.txt``).
    Its other columns become the article's metadata; where the article already has a field (a JSON Lines row's
    own ``date``), the article's value is kept and the disagreement counted.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "meta.csv"
    >>> _ = path.write_text("file,outlet,date\\nbrief.txt,El Tiempo,2024-05-01\\n")
    >>> table = MetadataTable.read(path)
    >>> [a.metadata for a in table.join([Article("brief", "The army.", "news/brief.txt")], print)]
    [{'outlet': 'El Tiempo', 'date': '2024-05-01'}]
    """

    where: str
    key: str
    rows: dict[str, tuple[int, dict]]  # key → (line, the other columns)

    @classmethod
    def read(cls, path: str | os.PathLike, *, encoding: str | None = None) -> "MetadataTable":
        """The table in a CSV (or, by its ending, TSV) file; an :class:`InputError` naming the file (and line)
        when it cannot be read, has no key column, or gives a key twice."""
        import csv

        raw, where = read_bounded(path, InputError, limit=MAX_METADATA_BYTES)
        text, _ = decode_text(raw, where, encoding=encoding)
        delimiter = "\t" if Path(str(path)).suffix.lower() in TABLE_FORMATS["tsv"] else ","
        reader = csv.reader(io_module.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        try:
            header = [h.strip() for h in next(reader, [])]
            repeated = repeated_column(header)
            if repeated:
                raise InputError(repeated, path=where, line=1)
            key = next((k for k in METADATA_KEYS if k in header), None)
            if key is None:
                raise InputError(
                    f"no column to match the articles by: name one {', '.join(METADATA_KEYS)} "
                    f"(its columns: {', '.join(header[:10])})",
                    path=where,
                    line=1,
                )
            rows: dict[str, tuple[int, dict]] = {}
            end = reader.line_num
            for cells in reader:
                line, end = end + 1, reader.line_num
                if not any(c.strip() for c in cells):
                    continue
                if len(cells) != len(header):
                    raise InputError(
                        f"{len(cells)} cells, but the header names {len(header)} columns", path=where, line=line
                    )
                row = dict(zip(header, cells))
                value = row.pop(key).strip()
                if not value:
                    raise InputError(f"no {key}", path=where, line=line)
                if value in rows:
                    raise InputError(
                        f"{key} {value!r} is given twice (line {rows[value][0]} and here)", path=where, line=line
                    )
                rows[value] = (line, row)
        except csv.Error as exc:
            raise InputError(
                f'not a row this reader can parse ({exc}): is a quote (") left open?', path=where, line=end + 1
            ) from None
        return cls(where, key, rows)

    def _row_for(self, article: Article) -> str | None:
        place = (
            article.where.rsplit(":", 1)[0]
            if ":" in article.where and not Path(article.where).exists()
            else article.where
        )
        name = Path(place)
        for candidate in (article.id, place, name.as_posix(), name.name, name.with_suffix("").name, name.stem):
            if candidate in self.rows:
                return candidate
        return None

    def join(
        self, articles: Iterable[Article | InputError], on_warning: Warn = _no_warning
    ) -> Iterator[Article | InputError]:
        """The articles with their rows' fields added; then a warning for articles no row matched, rows that
        matched no article, and fields both gave differently."""
        used: set[str] = set()
        unmatched: list[str] = []
        disagreed: dict[str, int] = {}
        for article in articles:
            if isinstance(article, Article):
                key = self._row_for(article)
                if key is None:
                    unmatched.append(article.where)
                else:
                    used.add(key)
                    metadata = dict(self.rows[key][1])
                    for field_name, value in article.metadata.items():
                        if field_name in metadata and str(metadata[field_name]) != str(value):
                            disagreed[field_name] = disagreed.get(field_name, 0) + 1
                        metadata[field_name] = value
                    article = Article(article.id, article.text, article.where, metadata)
            yield article
        if unmatched:
            on_warning(
                f"{self.where}: no row for {len(unmatched):,} articles (their metadata is only their own): "
                f"{', '.join(unmatched[:5])}{', ...' if len(unmatched) > 5 else ''}"
            )
        left = [k for k in self.rows if k not in used]
        if left:
            on_warning(
                f"{self.where}: {len(left):,} rows match no article: {self.key} "
                f"{', '.join(map(repr, left[:5]))}{', ...' if len(left) > 5 else ''}"
            )
        if disagreed:
            on_warning(
                f"{self.where}: the articles' own values were kept where they differ from the table's: "
                + ", ".join(f"{k} ({n:,} articles)" for k, n in disagreed.items())
            )


def input_entries(
    paths: Sequence[str], *, table_format: str | None = None
) -> Iterator[tuple[str, str | None, str] | InputError]:
    """(name, path, id) of each input file, folders walked, ids made unique; nothing is read yet.

    A file's id is the first of these that no other file has: its name without the extension (inside a folder,
    its path there); for a file found in a folder, that with the extension (``2025/brief.txt`` beside
    ``2025/brief.md``), then its path as given without and with the extension; for a file named on the command
    line, its path as given without the extension, then its name and its path with it; last, that path with
    ``#2``, ``#3``... So ids are unique and, for the same inputs, stable. A JSON Lines file's id prefixes its rows' ids (``x:3``) where they have none. A Dask worker reads each
    entry with :func:`read_entry`.
    """
    used: dict[str, str | None] = {}  # id → the real path of the file that has it
    for entry in _walk_inputs(paths, table_format):
        if isinstance(entry, InputError):
            yield entry
            continue
        name, path, ident, in_folder = entry
        real = os.path.realpath(path) if path is not None else None
        given = Path(name)
        if in_folder:  # its path in the folder, then with the extension
            candidates = [ident, ident + given.suffix, given.with_suffix("").as_posix(), given.as_posix()]
        else:  # named on the command line: its path as given next
            candidates = [ident, given.with_suffix("").as_posix(), ident + given.suffix, given.as_posix()]
        chosen = next((c for c in candidates if used.get(c, real) == real), None)
        k = 2
        while chosen is None:
            chosen = f"{given.as_posix()}#{k}" if used.get(f"{given.as_posix()}#{k}", real) == real else None
            k += 1
        used.setdefault(chosen, real)
        yield name, path, chosen


def read_entry(
    name: str,
    path: str | None,
    ident: str,
    *,
    on_warning: Warn = _no_warning,
    id_field: str = "id",
    text_field: str = "text",
    span: tuple[int, int, int] | None = None,
    table_format: str | None = None,
    encoding: str | None = None,
) -> Iterator[Article | InputError]:
    """The articles of one input entry (a file, stdin, or every row of a table), errors in place.

    ``span``: only this piece of a JSON Lines file (one of :func:`jsonl_spans`).
    """
    if table_format in ("csv", "tsv"):
        yield from _delimited_articles(
            name, path, ident, "\t" if table_format == "tsv" else ",", id_field, text_field, encoding, on_warning
        )
        return
    if table_format == "parquet":
        yield from _parquet_articles(name, path, ident, id_field, text_field, on_warning)
        return
    if table_format == "jsonl" or (path is not None and name.lower().endswith(JSONL_SUFFIX)):
        yield from _jsonl_articles(name, path, id_field, text_field, span, ident=ident, on_warning=on_warning)
        return
    try:
        yield Article(ident, read_article_file(name, path, on_warning), "<stdin>" if path is None else name)
    except InputError as exc:
        yield exc


#: The longest article id accepted (characters).
MAX_ID_CHARS = 1000


def jsonl_spans(path: str | os.PathLike, span_bytes: int) -> list[tuple[int, int, int]]:
    r"""Pieces of a JSON Lines file of about ``span_bytes`` each, cut where lines start:
    (start byte, end byte, number of the first line), for readers that share a big file (Dask tasks).

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.jsonl"
    >>> _ = path.write_bytes(b'{"text": "one"}\n{"text": "two"}\n{"text": "three"}\n')
    >>> jsonl_spans(path, 20)
    [(0, 32, 1), (32, 50, 3)]
    """
    size = os.stat(path).st_size
    starts = [(0, 1)]
    target, lines, offset = span_bytes, 0, 0
    with open_input(path) as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            at = max(target - offset, 0)
            while at < len(chunk):
                cut = chunk.find(b"\n", at)
                if cut < 0:
                    break
                start = offset + cut + 1
                if start < size:
                    starts.append((start, lines + chunk.count(b"\n", 0, cut + 1) + 1))
                target = start + span_bytes
                at = target - offset
            lines += chunk.count(b"\n")
            offset += len(chunk)
    ends = [start for start, _ in starts[1:]] + [size]
    return [(start, end, line) for (start, line), end in zip(starts, ends)]


def _jsonl_articles(
    name: str,
    path: str | None,
    id_field: str = "id",
    text_field: str = "text",
    span: tuple[int, int, int] | None = None,
    *,
    ident: str | None = None,
    on_warning: Warn = _no_warning,
) -> Iterator[Article | InputError]:
    if path is None:
        handle = sys.stdin.buffer
    else:
        try:
            handle = open_input(path)
        except InputError as exc:
            yield exc
            return
    lines = 0
    start, end, first_line = span or (0, None, 1)
    rows = _RowArticles(
        name, ident if ident is not None else Path(name).stem, id_field, text_field, on_warning, blank_ids=False
    )
    with contextlib.ExitStack() as stack:
        if path is not None:
            stack.enter_context(handle)
            handle.seek(start)
        for item in iter_json_lines(handle, first_line=first_line, end=end):
            lines += 1
            if item.error is not None:
                yield InputError(f"{name}:{item.line}: {item.error}")
                continue
            yield rows.article(item.value, item.line)
        rows.finish()
    if not lines and span is None:  # (a piece of blank lines is no error: the file's other pieces hold its articles)
        yield InputError(f"{name}: empty file (no JSON lines)")


class _RowArticles:
    """Rows of one table (JSON Lines, CSV, TSV, Parquet) → articles: the text and id checked, the other scalar
    fields kept as metadata, the fields left out (lists, objects) named once per file."""

    def __init__(
        self, name: str, ident: str, id_field: str, text_field: str, on_warning: Warn, *, blank_ids: bool = True
    ):
        self.name, self.ident, self.id_field, self.text_field, self.on_warning = (
            name,
            ident,
            id_field,
            text_field,
            on_warning,
        )
        #: Whether a null id is a row without one (a table's empty cell), not an error (JSON Lines' ``"id": null``).
        self.blank_ids = blank_ids
        self.left_out: dict[str, int] = {}

    def article(self, row: object, line: int, where: str | None = None) -> Article | InputError:
        where = where or f"{self.name}:{line}"
        text_field, id_field = self.text_field, self.id_field
        if not isinstance(row, dict) or not isinstance(row.get(text_field), str):
            if isinstance(row, dict) and text_field in row:
                return InputError(f"{where}: {text_field!r} is {_json_type(row[text_field])}, not text")
            fields = (
                f" (its fields: {', '.join(map(str, list(row)[:10]))}; --text-field names another)"
                if isinstance(row, dict)
                else ""
            )
            return InputError(f'{where}: expected a JSON object with a "{text_field}" string{fields}')
        if not row[text_field].strip():
            return InputError(f"{where}: empty text")
        raw_id = row.get(id_field)
        if id_field not in row or (self.blank_ids and raw_id in (None, "")):
            raw_id = f"{self.ident}:{line}"
        # bool is an int to Python but never an id; an id must print as what it is.
        if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
            return InputError(f'{where}: "{id_field}" must be a string or an integer, not {_json_type(raw_id)}')
        article_id = str(raw_id)
        if not article_id.strip():
            return InputError(f'{where}: "{id_field}" is blank; give each article an id, or leave the field out')
        if len(article_id) > MAX_ID_CHARS:
            return InputError(
                f'{where}: "{id_field}" must be 1 to {MAX_ID_CHARS:,} characters, not {len(article_id):,}'
            )
        metadata = {}
        for key, value in row.items():
            if key in (id_field, text_field):
                continue
            if value is None or isinstance(value, (str, int, float, bool)):
                metadata[key] = value
            elif hasattr(value, "isoformat"):  # a Parquet date or timestamp: kept as ISO 8601 text
                metadata[key] = value.isoformat()
            else:
                self.left_out[str(key)] = self.left_out.get(str(key), 0) + 1
        return Article(article_id, row[text_field], where, metadata)

    def finish(self) -> None:
        """Warn, once for the file, of the fields left out of the metadata."""
        if self.left_out:
            named = ", ".join(f"{k!r} ({n:,} rows)" for k, n in list(self.left_out.items())[:10])
            self.on_warning(f"{self.name}: fields that are lists or objects are not kept as metadata: {named}")


def _delimited_articles(
    name: str,
    path: str | None,
    ident: str,
    delimiter: str,
    id_field: str,
    text_field: str,
    encoding: str | None,
    on_warning: Warn,
) -> Iterator[Article | InputError]:
    """The rows of a CSV or TSV file with a header row, as articles, read a row at a time."""
    import csv

    csv.field_size_limit(max(csv.field_size_limit(), MAX_FILE_BYTES))  # a cell is a whole article
    if path is None:
        raw = sys.stdin.buffer
    else:
        try:
            raw = open_input(path)
        except InputError as exc:
            yield exc
            return
    text = io_module.TextIOWrapper(raw, encoding=encoding or "utf-8-sig", newline="")
    reader = csv.reader(text, delimiter=delimiter, strict=True)
    rows = _RowArticles(name, ident, id_field, text_field, on_warning)
    end = 0  # the last physical line read
    read = 0  # rows that are not blank
    with text:
        try:
            header = [h.strip() for h in next(reader, [])]
            end = reader.line_num
            if not any(header):
                yield InputError(f"{name}: empty table: the first row must name the columns")
                return
            repeated = repeated_column(header)
            if repeated:
                yield InputError(f"{name}:1: {repeated}")
                return
            missing = [f for f in (text_field,) if f not in header]
            if missing:
                yield InputError(
                    f"{name}: no column {text_field!r} for the text (its columns: {', '.join(header[:10])}); "
                    "--text-column names another"
                )
                return
            for cells in reader:
                line = end + 1
                spanned, end = reader.line_num - end, reader.line_num
                if spanned > 1 and swallowed_rows(cells, delimiter, len(header)):
                    yield InputError(
                        f"{name}:{line}: a quoted cell runs over {spanned} lines that look like rows: is a quote "
                        '(") left open here?'
                    )
                    continue
                if not any(c.strip() for c in cells):
                    continue
                read += 1
                if len(cells) > len(header):
                    yield InputError(f"{name}:{line}: {len(cells)} cells, but the header names {len(header)} columns")
                    continue
                yield rows.article(dict(zip(header, cells)), line)
            if not read:  # as an empty JSON Lines file is: no article is an error, not an empty success
                yield InputError(f"{name}: no rows under the header (an empty table)")
        except csv.Error as exc:
            yield InputError(
                f'{name}:{end + 1}: not a row this reader can parse ({exc}): is a quote (") left open here? '
                "The rest of the file is not read"
            )
        except UnicodeDecodeError as exc:
            yield InputError(
                f"{name}: after line {end}: byte 0x{exc.object[exc.start]:02x} is not {encoding or 'UTF-8'}; "
                "name the file's encoding with --encoding (e.g. cp1252). The rest of the file is not read"
            )
        except LookupError:
            yield InputError(f"{name}: unknown encoding {encoding!r}")
        rows.finish()


def repeated_column(header: list[str]) -> str | None:
    """Why a table's header cannot be read, or None: a column named twice (a row read by name would keep only
    the last of the two cells silently, as a JSON object with a repeated key would; that is refused too)."""
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            shown = name if len(name) <= 100 else name[:97] + "..."
            return f'column "{shown}" is named twice; rename one'
        seen.add(name)
    return None


def swallowed_rows(cells: list[str], delimiter: str, columns: int) -> bool:
    """Whether a cell holds lines with as many delimiters as a row has: rows swallowed by an unbalanced quote."""
    return columns > 1 and any(
        line.count(delimiter) >= columns - 1 for cell in cells if "\n" in cell for line in cell.split("\n")[1:]
    )


#: Rows of a Parquet file read at a time.
_PARQUET_BATCH = 512


def _parquet_articles(
    name: str, path: str | None, ident: str, id_field: str, text_field: str, on_warning: Warn
) -> Iterator[Article | InputError]:
    """The rows of a Parquet file as articles, a batch of rows at a time (needs pyarrow)."""
    if path is None:
        yield InputError("standard input cannot be read as Parquet; name the file")
        return
    try:
        import pyarrow.parquet as pq
    except ImportError:
        yield InputError(f"{name}: reading Parquet needs pyarrow: pip install 'themetag[parquet]'")
        return
    try:
        _check_regular(path, InputError)
        table = pq.ParquetFile(path)
        columns = table.schema_arrow.names
    except InputError as exc:
        yield exc
        return
    except Exception as exc:  # pyarrow's own errors for a file that is not Parquet: one line
        yield InputError(f"{name}: cannot read as Parquet ({_first_line(exc)})")
        return
    if text_field not in columns:
        yield InputError(
            f"{name}: no column {text_field!r} for the text (its columns: {', '.join(columns[:10])}); "
            "--text-column names another"
        )
        return
    rows = _RowArticles(name, ident, id_field, text_field, on_warning)
    line = 0
    try:
        for batch in table.iter_batches(batch_size=_PARQUET_BATCH):
            for row in batch.to_pylist():
                line += 1
                yield rows.article(row, line, where=f"{name}:row {line}")
    except Exception as exc:  # a corrupt page part-way
        yield InputError(f"{name}: cannot read past row {line} ({_first_line(exc)})")
    rows.finish()


def _first_line(exc: BaseException) -> str:
    return ((str(exc).strip().splitlines() or [type(exc).__name__])[-1])[:300]


def scalar_fields(row: dict, *, skip: tuple[str, ...] = ("id", "text")) -> dict:
    """A row's fields that travel as an article's metadata: the scalar ones (title, date, url, ...), less ``skip``."""
    return {k: v for k, v in row.items() if k not in skip and (v is None or isinstance(v, (str, int, float, bool)))}


def _json_message(exc: json.JSONDecodeError) -> str:
    """The decoder's complaint without its own trailing "at" ("Invalid control character at"), which we follow with
    the column."""
    return exc.msg.removesuffix(" at")


def _json_type(value: object) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN or Infinity (not JSON's, though Python reads it)"
    return {
        dict: "an object",
        list: "an array",
        type(None): "null",
        float: "a number with a fraction",
        bool: "true/false",
    }.get(type(value), type(value).__name__)


def count_articles(paths: Iterable[str], *, table_format: str | None = None) -> int | None:
    """How many articles the inputs hold, for a progress bar (JSON Lines and CSV: their lines, so a cell with line
    breaks counts more; Parquet: its rows); None if unknown (stdin)."""
    total = 0
    for entry in iter_input_paths(list(paths), table_format=table_format):
        if isinstance(entry, InputError):
            continue
        name, path, _ = entry
        if path is None:
            return None
        try:
            if table_format == "parquet":
                import pyarrow.parquet as pq

                total += pq.ParquetFile(path).metadata.num_rows
            elif table_format is not None or name.lower().endswith(JSONL_SUFFIX):
                with open_input(path) as handle:
                    lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
                total += lines - (table_format in ("csv", "tsv"))  # less the header row
            else:
                total += 1
        except Exception:  # an unreadable file is reported when it is read; here it counts once
            total += 1
    return total
