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

DEFAULT_CORPUS = "../shared/corpus"

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


def _progress(message: str) -> None:
    typer.echo(f"themetag: {message}", err=True)


def _corpus_option(corpus: Optional[str]) -> Optional[str]:
    # The default corpus folder is optional: users' own labels carry their text.
    if corpus is None:
        return DEFAULT_CORPUS if Path(DEFAULT_CORPUS).is_dir() else None
    return corpus


def _articles_option(articles: Optional[str]) -> Optional[str]:
    # Scoring the segmenter's kinds is a bonus: without the articles folder, training goes on.
    return articles if articles and Path(articles).is_dir() else None


@app.command("train")
def train_command(
    labels: List[str] = typer.Option(["labels"], "--labels", "-l", help="Label directory (repeatable; merged)."),
    out: str = typer.Option(..., "--out", "-o", help="Model directory to write (replaced atomically)."),
    corpus: Optional[str] = typer.Option(None, "--corpus", help=f"Corpus folder for corpus label records [default: {DEFAULT_CORPUS} if present]."),
    articles: Optional[str] = typer.Option("seeds", "--articles", help="Folder of the labeled articles (<doc>.txt), to score the segmenter's kinds."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same labels + seed → same model)."),
    evaluate: bool = typer.Option(True, "--evaluate/--no-evaluate", help="Cross-validate before the final fit (metrics go into the model card)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing model directory."),
) -> None:
    """Train a model from labels and save it as a model directory."""
    from .training import TrainConfig, train

    if Path(out).exists() and not force:
        error(f"{out} exists; pass --force to replace it (the old model stays until the new one is complete)")
        raise typer.Exit(EXIT_INPUT)
    try:
        tagger, report = train(
            labels, out=out, corpus_dir=_corpus_option(corpus), articles_dir=_articles_option(articles),
            config=TrainConfig(seed=seed), evaluate=evaluate, progress=_progress,
        )
    except ThemetagError as exc:
        error(str(exc))
        raise typer.Exit(EXIT_INPUT)
    if report is not None:
        from .report import format_table

        typer.echo(format_table(report))
    typer.echo(f"model written to {out}", err=True)


@app.command("evaluate")
def evaluate_command(
    labels: List[str] = typer.Option(["labels"], "--labels", "-l", help="Label directory (repeatable; merged)."),
    corpus: Optional[str] = typer.Option(None, "--corpus", help=f"Corpus folder for corpus label records [default: {DEFAULT_CORPUS} if present]."),
    articles: Optional[str] = typer.Option("seeds", "--articles", help="Folder of the labeled articles (<doc>.txt), to score the segmenter's kinds."),
    seed: int = typer.Option(0, "--seed"),
    folds: int = typer.Option(5, "--folds", min=2, help="Number of grouped folds."),
    predictions: Optional[str] = typer.Option(None, "--predictions", help="Write out-of-fold predictions here (JSON Lines)."),
    report_dir: Optional[str] = typer.Option(None, "--report", help="Write a report page with plots (PNG) into this folder."),
) -> None:
    """Cross-validate training, grouped by document, beside majority and keyword baselines."""
    from .report import format_table, write_predictions, write_report
    from .training import TrainConfig, evaluate

    try:
        report = evaluate(
            labels, corpus_dir=_corpus_option(corpus), articles_dir=_articles_option(articles),
            config=TrainConfig(seed=seed, folds=folds), progress=_progress,
        )
        typer.echo(format_table(report))
        if predictions:
            write_predictions(report, predictions)
        if report_dir:
            page = write_report(report, report_dir)
            typer.echo(f"report: {page}", err=True)
    except ThemetagError as exc:
        error(str(exc))
        raise typer.Exit(EXIT_INPUT)


def _iter_articles(paths: List[str]):
    """(id, text-or-error) for each input: files, directories, '-' and JSON Lines of {"id", "text"}."""
    for name, path in iter_input_files(paths):
        if path is not None and name.endswith(".jsonl"):
            try:
                lines = Path(path).read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                yield name, InputError(f"{name}: cannot read as UTF-8 JSON Lines ({exc})")
                continue
            for lineno, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                        raise ValueError
                except ValueError:
                    yield f"{name}:{lineno}", InputError(f'{name}:{lineno}: expected a JSON object with a "text" string')
                    continue
                yield str(row.get("id", f"{Path(name).stem}:{lineno}")), row["text"]
            continue
        try:
            yield (doc_name(name) if name != "-" else "stdin"), read_input(name, path)
        except ThemetagError as exc:
            yield name, exc


@app.command("predict")
def predict_command(
    paths: List[str] = typer.Argument(..., help="Article files or directories (.txt, .md, .html), JSON Lines of {\"id\", \"text\"}, or '-' for stdin."),
    fmt: str = typer.Option("table", "--format", "-f", help="table, json, jsonl or csv."),
    paragraphs: bool = typer.Option(False, "--paragraphs", "-p", help="One row per paragraph instead of one per article."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Model directory [default: the shipped model]."),
) -> None:
    """Tag articles: themes and stance per paragraph, summed up per article."""
    from .tagger import load

    if fmt not in ("table", "json", "jsonl", "csv"):
        error(f"--format must be table, json, jsonl or csv, not {fmt!r}")
        raise typer.Exit(EXIT_USAGE)
    try:
        tagger = load(model)
        inputs = list(_iter_articles(paths))
    except ThemetagError as exc:
        error(str(exc))
        raise typer.Exit(EXIT_INPUT)
    results, failed = [], 0
    for article_id, text in inputs:
        if isinstance(text, ThemetagError):
            error(str(text))
            failed += 1
            continue
        try:
            results.append(tagger.tag(text, id=article_id))
        except ThemetagError as exc:
            error(f"{article_id}: {exc}")
            failed += 1
    _write_results(results, fmt, paragraphs)
    if failed:
        error(f"{failed} of {len(inputs)} inputs failed")
        raise typer.Exit(EXIT_INPUT)


def _write_results(results, fmt: str, paragraphs: bool) -> None:
    import csv

    out = sys.stdout
    if paragraphs:
        rows = [
            {"id": a.id, "para": p.index, "kind": p.kind, "themes": ";".join(p.themes), "stance": p.stance or "", "text": p.text}
            for a in results for p in a.paragraphs
        ]
    else:
        rows = [
            {"id": a.id, "dominant_themes": ";".join(a.dominant_themes), "stance": a.stance or "",
             **{f"share_{t}": v for t, v in a.theme_shares.items()}, "content_paragraphs": a.counts["content"]}
            for a in results
        ]
    if fmt == "json":
        data = [a.to_dict() for a in results] if not paragraphs else rows
        out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    elif fmt == "jsonl":
        for item in ([a.to_dict() for a in results] if not paragraphs else rows):
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        if rows:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    else:
        for row in rows:
            if paragraphs:
                text = row["text"].replace("\n", " ")
                out.write(f"{row['id']}  #{row['para']:<3} {row['kind']:<11} {row['stance'] or '-':<8} {row['themes'] or '-':<40} {text[:70]}\n")
            else:
                out.write(f"{row['id']}: themes={row['dominant_themes'] or '-'} stance={row['stance'] or '-'} content_paragraphs={row['content_paragraphs']}\n")


def main() -> None:
    try:
        app()
    except BrokenPipeError:
        # `themetag ... | head` closes the pipe early; that is not an error.
        sys.stderr.close()
        sys.exit(EXIT_OK)
