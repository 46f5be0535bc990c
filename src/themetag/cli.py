"""The ``themetag`` command: arguments, input and output around one library call per command.

Library errors (:class:`~themetag.errors.ThemetagError`) become one line
``Error: ...`` on stderr here, and nowhere else.

Exit codes: 0 success; 1 an input or label file was bad (the others were
still processed); 2 usage error (bad option or argument).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Iterator, List, Optional

import typer

from . import __version__
from .errors import InputError, ThemetagError
from .segment import segment as segment_text

EXIT_OK = 0
EXIT_INPUT = 1
EXIT_USAGE = 2

EXIT_CODES_HELP = "Exit codes: 0 success; 1 some input could not be processed (the rest was); 2 usage error."

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help=f"Tag drug-policy news paragraphs with themes and stance.\n\n{EXIT_CODES_HELP}",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"themetag {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    """Tag drug-policy news paragraphs with themes and stance."""


def error(message: str) -> None:
    typer.echo(f"Error: {message}", err=True)


def warn(message: str) -> None:
    typer.echo(f"Warning: {message}", err=True)


# --------------------------------------------------------------------------- reading input

TEXT_SUFFIXES = (".txt", ".md", ".html", ".htm")
MAX_FILE_BYTES = 20_000_000


def decode_article(data: bytes, name: str) -> str:
    """Bytes of an article file → text. UTF-8 (with or without BOM); else cp1252 with a warning.

    Binary data (NUL bytes) and empty or whitespace-only files are refused.
    """
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"{name}: {len(data):,} bytes is over the {MAX_FILE_BYTES:,}-byte limit; split the file")
    if b"\x00" in data[:65536]:
        raise InputError(f"{name}: looks like a binary file (it has NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        warn(f"{name}: not valid UTF-8; read as Windows-1252 (cp1252). Save it as UTF-8 to silence this")
    if not text.strip():
        raise InputError(f"{name}: empty file (no text to segment)")
    return text


def iter_input_files(paths: List[str]) -> Iterator[tuple[str, str | None]]:
    """Yield (name, path-or-None-for-stdin) for each input; directories are walked for text files."""
    for raw in paths:
        if raw == "-":
            yield "-", None
            continue
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES)
            if not found:
                raise InputError(f"{raw}: directory has no {', '.join(TEXT_SUFFIXES)} files")
            for p in found:
                yield str(p), str(p)
        else:
            yield raw, raw


def read_input(name: str, path: str | None) -> str:
    if path is None:
        return decode_article(sys.stdin.buffer.read(), "<stdin>")
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror})") from None
    return decode_article(data, name)


def doc_name(name: str) -> str:
    return "stdin" if name == "-" else Path(name).stem


# --------------------------------------------------------------------------- commands


@app.command("segment")
def segment_command(
    files: List[str] = typer.Argument(..., help="Article files or directories (.txt, .md, .html); '-' reads stdin."),
    kind: Optional[str] = typer.Option(
        None, "--kind", help="Only paragraphs of this kind: content, heading or boilerplate."
    ),
) -> None:
    """Split articles into paragraphs; write JSON Lines in the label format, ready to label.

    Each line: {"doc", "para", "text", "kind", "themes": [], "stance": null}.
    """
    if kind is not None and kind not in ("content", "heading", "boilerplate"):
        error(f"--kind must be content, heading or boilerplate, not {kind!r}")
        raise typer.Exit(EXIT_USAGE)
    failed = 0
    try:
        inputs = list(iter_input_files(files))
    except ThemetagError as exc:
        error(str(exc))
        raise typer.Exit(EXIT_INPUT)
    out = sys.stdout
    for name, path in inputs:
        try:
            paragraphs = segment_text(read_input(name, path))
        except ThemetagError as exc:
            error(str(exc))
            failed += 1
            continue
        doc = doc_name(name)
        for p in paragraphs:
            if kind is None or p.kind == kind:
                record = {"doc": doc, "para": p.index, "text": p.text, "kind": p.kind, "themes": [], "stance": None}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()
    if failed:
        error(f"{failed} of {len(inputs)} inputs failed")
        raise typer.Exit(EXIT_INPUT)


def main() -> None:
    try:
        app()
    except BrokenPipeError:
        # `themetag ... | head` closes the pipe early; that is not an error.
        sys.stderr.close()
        sys.exit(EXIT_OK)
