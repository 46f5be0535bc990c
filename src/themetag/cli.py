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
    rich_markup_mode=None,  # help texts use [brackets] literally (defaults, option values)
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


@app.command("segment", epilog=EXIT_CODES_HELP)
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


@app.command("train", epilog=EXIT_CODES_HELP)
def train_command(
    labels: List[str] = typer.Option(["labels"], "--labels", "-l", help="Label directory (repeatable; merged)."),
    out: str = typer.Option(..., "--out", "-o", help="Model directory to write (replaced atomically)."),
    corpus: Optional[str] = typer.Option(None, "--corpus", help=f"Corpus folder for corpus label records [default: {DEFAULT_CORPUS} if present]."),
    articles: Optional[str] = typer.Option("seeds", "--articles", help="Folder of the labeled articles (<doc>.txt), to score the segmenter's kinds."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same labels + seed → same model)."),
    evaluate: bool = typer.Option(True, "--evaluate/--no-evaluate", help="Cross-validate before the final fit (metrics go into the model card)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing model directory; the old one is kept as OUT.previous."),
    changes: Optional[str] = typer.Option(None, "--changes", help="With --force: write every labeled paragraph the new model tags differently from the old one here (JSON Lines)."),
) -> None:
    """Train a model from labels and save it as a model directory.

    The new model is written beside OUT and swapped in only when complete: a
    failed or interrupted run leaves OUT as it was. An existing OUT is refused
    without --force; with it, the old model moves to OUT.previous and is shown
    beside the new one: grouped-CV metrics on the same labels, and the labeled
    paragraphs whose predicted tags changed.
    """
    from .labels import load_labels
    from .tagger import load
    from .training import TrainConfig, train

    previous = None
    if Path(out).exists():
        if not force:
            error(f"{out} exists; pass --force to replace it (the old model is kept as {out}.previous)")
            raise typer.Exit(EXIT_INPUT)
        try:
            previous = load(out)
        except ThemetagError as exc:
            warn(f"the model at {out} cannot be loaded, so there is nothing to compare with ({exc})")
    try:
        label_set = load_labels(labels, corpus_dir=_corpus_option(corpus), articles_dir=_articles_option(articles))
        tagger, report = train(
            label_set, out=out, config=TrainConfig(seed=seed), evaluate=evaluate, progress=_progress, keep_previous=True,
        )
    except ThemetagError as exc:
        error(str(exc))
        raise typer.Exit(EXIT_INPUT)
    if report is not None:
        from .report import format_table

        typer.echo(format_table(report))
    typer.echo(f"model written to {out}" + (f"; the previous one is in {out}.previous" if Path(f"{out}.previous").exists() else ""), err=True)
    if previous is not None:
        from .report import format_comparison
        from .review import compare_with_previous

        comparison = compare_with_previous(previous, tagger, label_set, report.summary() if report else None, progress=_progress)
        typer.echo(format_comparison(comparison))
        if changes:
            with open(changes, "w", encoding="utf-8") as handle:
                for row in comparison["changes"]:
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            typer.echo(f"changed predictions written to {changes}", err=True)


@app.command("evaluate", epilog=EXIT_CODES_HELP)
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


def _iter_articles(paths: List[str]) -> Iterator[tuple[str, "str | ThemetagError"]]:
    """(id, text-or-error) for each input, read one at a time: files, directories, '-' and JSON Lines of {"id", "text"}."""
    for name, path in iter_input_files(paths):
        if path is not None and name.endswith(".jsonl"):
            yield from _iter_jsonl_articles(name, path)
            continue
        try:
            yield doc_name(name), read_input(name, path)
        except ThemetagError as exc:
            yield name, exc


def _iter_jsonl_articles(name: str, path: str) -> Iterator[tuple[str, "str | ThemetagError"]]:
    # Read bytes line by line so that one bad line is reported as that line, and the rest still read.
    try:
        handle = open(path, "rb")
    except OSError as exc:
        yield name, InputError(f"{name}: cannot read ({exc.strerror})")
        return
    with handle:
        for lineno, raw in enumerate(handle, 1):
            where = f"{name}:{lineno}"
            if len(raw) > MAX_FILE_BYTES:
                yield where, InputError(f"{where}: line is over the {MAX_FILE_BYTES:,}-byte limit")
                continue
            try:
                line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError:
                yield where, InputError(f"{where}: not valid UTF-8; JSON Lines must be UTF-8")
                continue
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                    raise ValueError
            except ValueError:
                yield where, InputError(f'{where}: expected a JSON object with a "text" string')
                continue
            if not row["text"].strip():
                yield where, InputError(f"{where}: empty text")
                continue
            yield str(row.get("id", f"{Path(name).stem}:{lineno}")), row["text"]


def _count_articles(paths: List[str]) -> int | None:
    """How many articles the inputs hold (JSON Lines: their lines), for the progress bar; None if unknown (stdin)."""
    total = 0
    for name, path in iter_input_files(paths):
        if path is None:
            return None
        if name.endswith(".jsonl"):
            try:
                with open(path, "rb") as handle:
                    total += sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
            except OSError:
                total += 1
        else:
            total += 1
    return total


class Progress:
    """A progress line on stderr, redrawn at most ten times a second; silent unless stderr is a terminal."""

    def __init__(self, total: int | None, enabled: bool, unit: str = "articles"):
        import time

        self._time = time.monotonic
        self.total, self.enabled, self.unit = total, enabled, unit
        self.done, self.started, self._drawn = 0, self._time(), 0.0

    def advance(self) -> None:
        self.done += 1
        if self.enabled and (self._time() - self._drawn >= 0.1 or self.done == self.total):
            self._draw()

    def _draw(self) -> None:
        self._drawn = self._time()
        rate = self.done / max(self._drawn - self.started, 1e-9)
        if self.total:
            filled = int(30 * self.done / self.total)
            bar = f"[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total}"
        else:
            bar = f"{self.done}"
        sys.stderr.write(f"\rtagging {bar} {self.unit} ({rate:,.0f}/s)")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled and self.done:
            self._draw()
            sys.stderr.write("\n")
            sys.stderr.flush()


FORMATS = ("table", "json", "jsonl", "csv")


@app.command("predict", epilog=EXIT_CODES_HELP)
def predict_command(
    paths: List[str] = typer.Argument(..., help="Article files or directories (.txt, .md, .html), JSON Lines of {\"id\", \"text\"}, or '-' for stdin."),
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="table, json, jsonl or csv [default: table on a terminal, jsonl when piped]."),
    paragraphs: bool = typer.Option(False, "--paragraphs", "-p", help="One row per paragraph instead of one per article."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Model directory [default: the shipped model]."),
    explain: int = typer.Option(0, "--explain", "-e", min=0, max=50, help="Show the N features (n-grams, cues) that weighed most in each theme and stance decision (coefficient × feature value). Implies --paragraphs.", show_default=False),
    progress: Optional[bool] = typer.Option(None, "--progress/--no-progress", help="Progress bar on stderr [default: on when stderr is a terminal]."),
) -> None:
    """Tag articles: themes and stance per paragraph, summed up per article.

    Reads and writes one article at a time, so memory stays flat however many
    articles come in. Results go to stdout; errors, warnings and the progress
    bar to stderr. Text that is not UTF-8 is read as Windows-1252 with a warning.
    """
    from .tagger import load

    if fmt is None:
        fmt = "table" if sys.stdout.isatty() else "jsonl"
    if fmt not in FORMATS:
        error(f"--format must be table, json, jsonl or csv, not {fmt!r}")
        raise typer.Exit(EXIT_USAGE)
    paragraphs = paragraphs or explain > 0
    show_progress = sys.stderr.isatty() if progress is None else progress
    try:
        tagger = load(model)
        # Counting reads JSON Lines files once more: worth it only for a bar someone sees.
        total = _count_articles(paths) if show_progress else None
    except ThemetagError as exc:
        error(str(exc))
        raise typer.Exit(EXIT_INPUT)
    bar = Progress(total, enabled=show_progress)
    writer = ResultWriter(sys.stdout, fmt, paragraphs)
    failed = seen = 0
    bad_path = None
    try:
        for article_id, text in _iter_articles(paths):
            seen += 1
            if isinstance(text, ThemetagError):  # unreadable input: its message names it
                error(str(text))
                failed += 1
            else:
                try:
                    writer.write(tagger.tag(text, id=article_id, explain=explain))
                except ThemetagError as exc:
                    error(f"{article_id}: {exc}")
                    failed += 1
            bar.advance()
    except ThemetagError as exc:  # an input path itself is bad (missing, empty directory)
        bad_path = exc
    bar.close()
    writer.close()
    if bad_path is not None:
        error(str(bad_path))
        raise typer.Exit(EXIT_INPUT)
    if failed:
        error(f"{failed} of {seen} inputs failed")
        raise typer.Exit(EXIT_INPUT)


class ResultWriter:
    """Writes tagged articles as they come, in one of the output formats."""

    def __init__(self, out, fmt: str, paragraphs: bool):
        self.out, self.fmt, self.paragraphs = out, fmt, paragraphs
        self._csv = None
        self._first = True

    def write(self, article) -> None:
        if self.fmt == "json" or self.fmt == "jsonl":
            items = [article.to_dict()] if not self.paragraphs else [self._paragraph_record(article, p) for p in article.paragraphs]
            for item in items:
                if self.fmt == "jsonl":
                    self.out.write(json.dumps(item, ensure_ascii=False) + "\n")
                else:
                    self.out.write(("[\n" if self._first else ",\n") + json.dumps(item, ensure_ascii=False, indent=2))
                    self._first = False
        elif self.fmt == "csv":
            for row in self._rows(article):
                if self._csv is None:
                    import csv

                    self._csv = csv.DictWriter(self.out, fieldnames=list(row))
                    self._csv.writeheader()
                self._csv.writerow(row)
        else:
            self._table(article)
        self.out.flush()

    def close(self) -> None:
        if self.fmt == "json":
            self.out.write("[]\n" if self._first else "\n]\n")
            self.out.flush()

    @staticmethod
    def _paragraph_record(article, p) -> dict:
        # One row per paragraph, keyed like a label record's (doc, para).
        record = p.to_dict()
        return {"id": article.id, "para": record.pop("index"), **record}

    def _rows(self, article) -> list[dict]:
        if self.paragraphs:
            rows = []
            for p in article.paragraphs:
                row = {"id": article.id, "para": p.index, "kind": p.kind, "themes": ";".join(p.themes), "stance": p.stance or "", "text": p.text}
                if p.explanation is not None:
                    row["explanation"] = _explanation_text(p.explanation)
                rows.append(row)
            return rows
        return [
            {"id": article.id, "dominant_themes": ";".join(article.dominant_themes), "stance": article.stance or "",
             **{f"share_{t}": v for t, v in article.theme_shares.items()}, "content_paragraphs": article.counts["content"]}
        ]

    def _table(self, article) -> None:
        out = self.out
        if not self.paragraphs:
            out.write(f"{article.id}: themes={';'.join(article.dominant_themes) or '-'} stance={article.stance or '-'} "
                      f"content_paragraphs={article.counts['content']}\n")
            return
        for p in article.paragraphs:
            text = p.text.replace("\n", " ")
            out.write(f"{article.id}  #{p.index:<3} {p.kind:<11} {p.stance or '-':<8} {';'.join(p.themes) or '-':<40} {text[:70]}\n")
            if p.explanation:
                out.write(f"      because  {_explanation_text(p.explanation)}\n")


def _explanation_text(explanation: dict) -> str:
    return " | ".join(f"{decision}: " + ", ".join(f"{name} {weight:+.2f}" for name, weight in features) for decision, features in explanation.items())


LABEL_TOOLS = ("label-studio", "doccano")


@app.command("import-labels", epilog=EXIT_CODES_HELP)
def import_labels_command(
    file: str = typer.Argument(..., help="A Label Studio JSON export, or a doccano JSONL export (text classification)."),
    tool: str = typer.Option(..., "--from", help="The tool that exported FILE: label-studio or doccano."),
    schema_path: str = typer.Option("labels/schema.json", "--schema", "-s", help="The label schema (schema.json, or its folder)."),
    out: str = typer.Option(..., "--out", "-o", help="Label file to write (JSON Lines of text records)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing --out file."),
) -> None:
    """Convert labels exported by Label Studio or doccano into a themetag label file.

    Tasks with no annotation (or only skipped ones) are left out and counted.
    The mapping is in docs/interop.md.
    """
    from .interop import read_doccano, read_label_studio, write_jsonl
    from .labels import Schema

    if tool not in LABEL_TOOLS:
        error(f"--from must be label-studio or doccano, not {tool!r}")
        raise typer.Exit(EXIT_USAGE)
    if Path(out).exists() and not force:
        error(f"{out} exists; pass --force to replace it")
        raise typer.Exit(EXIT_INPUT)
    try:
        schema = Schema.load(schema_path)
        records = (read_label_studio if tool == "label-studio" else read_doccano)(file, schema)
    except ThemetagError as exc:
        error(str(exc))
        raise typer.Exit(EXIT_INPUT)
    unit = "tasks" if tool == "label-studio" else "examples"
    skipped = records.skipped
    if skipped:
        listed = ", ".join(skipped[:5]) + (", ..." if len(skipped) > 5 else "")
        warn(f"{file}: skipped {len(skipped)} {unit} with no annotation ({listed})")
    if not records:
        error(f"{file}: no annotated {unit}; nothing written")
        raise typer.Exit(EXIT_INPUT)
    write_jsonl(records, out)
    typer.echo(f"{len(records)} labeled paragraphs written to {out}", err=True)


@app.command("export-tasks", epilog=EXIT_CODES_HELP)
def export_tasks_command(
    file: str = typer.Argument(..., help="Paragraphs to label: JSON Lines of text records (`themetag segment` output); '-' reads stdin."),
    tool: str = typer.Option(..., "--to", help="label-studio (a JSON list of tasks) or doccano (JSON Lines)."),
    schema_path: str = typer.Option("labels/schema.json", "--schema", "-s", help="The label schema (schema.json, or its folder)."),
    out: str = typer.Option(..., "--out", "-o", help="File to write; for label-studio the labeling config goes beside it as <stem>.label_config.xml."),
    suggestions: bool = typer.Option(True, "--suggestions/--no-suggestions", help="Pre-fill the records' kind, themes and stance (Label Studio: as predictions; doccano: as labels)."),
    force: bool = typer.Option(False, "--force", help="Replace existing output files."),
) -> None:
    """Write paragraphs to label as Label Studio tasks or a doccano import file.

    The mapping is in docs/interop.md.
    """
    from .interop import label_studio_config, read_records, to_doccano, to_label_studio, write_jsonl
    from .labels import Schema

    if tool not in LABEL_TOOLS:
        error(f"--to must be label-studio or doccano, not {tool!r}")
        raise typer.Exit(EXIT_USAGE)
    out_path = Path(out)
    config_path = out_path.with_name(out_path.stem + ".label_config.xml") if tool == "label-studio" else None
    existing = [str(p) for p in (out_path, config_path) if p is not None and p.exists()]
    if existing and not force:
        error(f"{' and '.join(existing)} exist{'s' if len(existing) == 1 else ''}; pass --force to replace")
        raise typer.Exit(EXIT_INPUT)
    try:
        schema = Schema.load(schema_path)
        records = read_records(file, schema)
        if tool == "label-studio":
            tasks = to_label_studio(records, schema, suggestions=suggestions)
        else:
            examples = to_doccano(records, schema, suggestions=suggestions)
    except ThemetagError as exc:
        error(str(exc))
        raise typer.Exit(EXIT_INPUT)
    if tool == "label-studio":
        out_path.write_text(json.dumps(tasks, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        config_path.write_text(label_studio_config(schema), encoding="utf-8")
        predicted = sum(1 for t in tasks if "predictions" in t)
        typer.echo(f"{len(tasks)} tasks ({predicted} with predictions) written to {out}; labeling config: {config_path}", err=True)
    else:
        write_jsonl(examples, out_path)
        typer.echo(f"{len(examples)} examples written to {out}", err=True)


@app.command("suggest", epilog=EXIT_CODES_HELP)
def suggest_command(
    paths: List[str] = typer.Argument(..., help="Unlabeled articles: files, directories, JSON Lines of {\"id\", \"text\"}, or '-'."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Model directory [default: the shipped model]."),
    n: int = typer.Option(50, "-n", min=1, help="How many paragraphs to suggest."),
) -> None:
    """Rank unlabeled paragraphs by model uncertainty (with diversity across articles): label these next.

    Writes JSON Lines in the label format with empty labels, ready to fill in,
    plus a "suggested" block (the model's guess and its uncertainty) that
    label loading ignores.
    """
    from .review import suggest
    from .tagger import load

    try:
        tagger = load(model)
        readable = []
        failed = 0
        for article_id, text in _iter_articles(paths):
            if isinstance(text, ThemetagError):
                error(str(text))
                failed += 1
            else:
                readable.append((article_id, text))
        for record in suggest(tagger, readable, n=n):
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    except ThemetagError as exc:
        error(str(exc))
        raise typer.Exit(EXIT_INPUT)
    if failed:
        error(f"{failed} inputs failed")
        raise typer.Exit(EXIT_INPUT)


@app.command("check-labels", epilog=EXIT_CODES_HELP)
def check_labels_command(
    labels: List[str] = typer.Option(["labels"], "--labels", "-l", help="Label directory (repeatable; merged)."),
    corpus: Optional[str] = typer.Option(None, "--corpus", help=f"Corpus folder for corpus label records [default: {DEFAULT_CORPUS} if present]."),
    articles: Optional[str] = typer.Option("seeds", "--articles", help="Folder of the labeled articles (<doc>.txt)."),
    n: int = typer.Option(30, "-n", min=1, help="How many paragraphs to list."),
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="table or jsonl [default: table on a terminal, jsonl when piped]."),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """List labeled paragraphs whose out-of-fold predictions disagree most with their label: likely label errors.

    Runs grouped cross-validation (minutes on the shipped labels), so each
    paragraph is judged by a model that never saw its article.
    """
    from .labels import load_labels
    from .review import check_labels
    from .training import TrainConfig, cross_validate

    fmt = fmt or ("table" if sys.stdout.isatty() else "jsonl")
    if fmt not in ("table", "jsonl"):
        error(f"--format must be table or jsonl, not {fmt!r}")
        raise typer.Exit(EXIT_USAGE)
    try:
        label_set = load_labels(labels, corpus_dir=_corpus_option(corpus), articles_dir=_articles_option(articles))
        report = cross_validate(label_set, TrainConfig(seed=seed), progress=_progress)
    except ThemetagError as exc:
        error(str(exc))
        raise typer.Exit(EXIT_INPUT)
    for row in check_labels(label_set, report.predictions, n=n):
        if fmt == "jsonl":
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(f"{row['disagreement']:.2f}  {row['where']}  {row['because']}\n      {row['text'][:110]}\n")


def main() -> None:
    try:
        app()
    except BrokenPipeError:
        # `themetag ... | head` closes the pipe early; that is not an error.
        sys.stderr.close()
        sys.exit(EXIT_OK)
