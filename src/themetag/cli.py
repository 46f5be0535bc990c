"""The ``themetag`` command: arguments, input and output around one library call per command.

Library errors (:class:`~themetag.errors.ThemetagError`) become one line
``Error: ...`` on stderr here, and nowhere else.

Exit codes: 0 success; 1 an input, label or output file was bad (the others
were still processed); 2 usage error (bad option or argument); 3 internal
error (a bug: one line, THEMETAG_DEBUG=1 for the traceback); 130 interrupted.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import sys
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer

from ._version import __version__
from .config import TrainConfig, setting_doc
from .errors import ThemetagError
from .io import read_articles
from .output import WRITERS
from .segmentation import iter_segments

if TYPE_CHECKING:
    from .io import MetadataTable

DEFAULT_CORPUS = "../shared/corpus"

EXIT_OK = 0
EXIT_INPUT = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3  # a bug in themetag: reported in one line (THEMETAG_DEBUG=1 for the traceback)
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report it

EXIT_CODES_HELP = "Exit codes: 0 success; 1 some input or output could not be processed (the rest was); 2 usage error; 3 internal error; 130 interrupted."

app = typer.Typer(
    rich_markup_mode=None,  # help texts use [brackets] literally (defaults, option values)
    add_completion=False,
    no_args_is_help=True,
    help=f"Tag news paragraphs with themes and stance: drug policy with the shipped model, or your own labels and schema.\n\n{EXIT_CODES_HELP}",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"themetag {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Tag news paragraphs with themes and stance: drug policy with the shipped model, or your own labels and schema."""


def error(message: str) -> None:
    """Print ``Error: message`` on stderr; the caller decides the exit code."""
    typer.echo(f"Error: {message}", err=True)


def warn(message: str) -> None:
    """Print ``Warning: message`` on stderr."""
    typer.echo(f"Warning: {message}", err=True)


def command(name: str):
    """Register a command behind the one error boundary: a ThemetagError becomes ``Error: ...`` and exit 1.

    Errors that concern one input of many are reported where they happen and
    the rest is processed; what reaches this boundary ends the command.
    """

    def wrap(function):
        @functools.wraps(function)
        def run(*args, **kwargs):
            calm = _CalmUnraisable(sys.unraisablehook)
            sys.unraisablehook = calm
            try:
                return function(*args, **kwargs)
            except ThemetagError as exc:
                error(str(exc))
                raise typer.Exit(EXIT_INPUT) from None
            except BrokenPipeError:
                _reader_went_away()
                raise typer.Exit(EXIT_OK) from None
            except OSError as exc:  # a full disk, /dev/full, a folder that vanished: one line, not a traceback
                # Without a file name the failed write was to standard output (files are named by the library).
                error(f"{exc.filename or 'standard output'}: {exc.strerror or exc}")
                raise typer.Exit(EXIT_INPUT) from None
            except KeyboardInterrupt:
                calm.ending = True
                error("interrupted; files being written were left as they were")
                raise typer.Exit(EXIT_INTERRUPTED) from None
            except MemoryError:
                calm.ending = True
                error("out of memory; give fewer or smaller inputs at a time (docs/performance.md has the limits)")
                raise typer.Exit(EXIT_INPUT) from None
            except Exception as exc:
                # typer's (or click's) own ends -- Exit, Abort, usage errors -- and THEMETAG_DEBUG pass through.
                if type(exc).__module__.split(".")[0] in ("typer", "click") or os.environ.get("THEMETAG_DEBUG"):
                    raise
                error(
                    f"internal error ({type(exc).__name__}: {str(exc)[:300]}); please report it with the command "
                    "that caused it (THEMETAG_DEBUG=1 shows the traceback)"
                )
                raise typer.Exit(EXIT_INTERNAL) from None
            finally:
                sys.unraisablehook = calm.previous

        return app.command(name, epilog=EXIT_CODES_HELP)(run)

    return wrap


class _CalmUnraisable:
    """``sys.unraisablehook`` while a command runs: says nothing of an object that fails to close once an interrupt
    or a lack of memory ends the command (a generator unwound by the same MemoryError, a library's writer collected
    after its file was closed), whose "Exception ignored ..." traceback would follow the one-line error. Anything
    else goes to the hook that was there before."""

    def __init__(self, previous):
        self.previous = previous
        self.ending = False  # set once the command is being ended by an interrupt or a lack of memory

    def __call__(self, unraisable) -> None:
        if self.ending or isinstance(unraisable.exc_value, (MemoryError, KeyboardInterrupt)):
            return
        self.previous(unraisable)


def _reader_went_away() -> None:
    """``themetag ... | head`` closed the pipe: a normal end. Point stdout at /dev/null so the final flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


# --------------------------------------------------------------------------- commands


# How the commands that read articles read them, declared once.
FROM_OPTION = typer.Option(
    None,
    "--from",
    metavar="FORMAT",
    help="Read each input as a table of articles, one a row: csv, tsv, jsonl or parquet (folders: their files of that "
    "format). --text-column names the text's column; the other columns travel as metadata. [default: by the "
    "file's ending; .csv, .tsv and .parquet need --from]",
)
TEXT_COLUMN_OPTION = typer.Option(
    "text",
    "--text-column",
    "--text-field",
    metavar="NAME",
    help="Tables and JSON Lines: the column (field) holding each article's text.",
)
ID_COLUMN_OPTION = typer.Option(
    "id",
    "--id-column",
    "--id-field",
    metavar="NAME",
    help="Tables and JSON Lines: the column (field) holding each article's id [default: id; rows without one are numbered, file:row].",
)
ENCODING_OPTION = typer.Option(
    None, "--encoding", help="The encoding of CSV/TSV inputs and of --metadata (e.g. cp1252) [default: UTF-8]."
)
METADATA_OPTION = typer.Option(
    None,
    "--metadata",
    metavar="FILE.csv",
    help="Fields to join to the articles: a CSV with an id or file column (an article's id, or its file's name) and "
    "others (outlet, date, ...). Articles without a row and rows without an article are reported.",
)


DEDUPE_OPTION = typer.Option(
    False, "--dedupe", help="An article id given again is left out (the first kept) and counted, instead of an error."
)
MAX_PARAGRAPHS_OPTION = typer.Option(
    None,
    "--max-paragraphs",
    min=1,
    metavar="N",
    help="Most paragraphs one article may have; an article past it is refused, not tagged: a bound on memory "
    "(about 1.2 KB a paragraph). Text given with --unit line streams and has no such limit [default: 100,000].",
)


@dataclass(frozen=True)
class _Reading:
    """How a command reads its inputs (the options above), as :func:`themetag.io.read_articles` takes them."""

    table_format: Optional[str] = None
    id_field: str = "id"
    text_field: str = "text"
    encoding: Optional[str] = None
    metadata: Optional["MetadataTable"] = None  # read once, here; every pass over the articles joins it
    dedupe: bool = False

    def options(self) -> dict:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # not asdict: it copies the table


def _reading(
    table_format: Optional[str],
    id_field: str = "id",
    text_field: str = "text",
    encoding: Optional[str] = None,
    metadata: Optional[str] = None,
    dedupe: bool = False,
) -> _Reading:
    """The reading options, checked: a known --from, a readable --metadata table (before any article is read)."""
    from .io import TABLE_FORMATS, MetadataTable

    if table_format is not None:
        table_format = _choice(table_format.lower(), "--from", tuple(TABLE_FORMATS))
    # Read before any article is: a bad table is a one-line error now, not after tagging.
    table = MetadataTable.read(metadata, encoding=encoding) if metadata is not None else None
    return _Reading(table_format, id_field, text_field, encoding, table, dedupe)


def _articles(paths: List[str], failures: list[ThemetagError], on_failure=None, reading: "_Reading | None" = None):
    """The readable articles among the inputs; each unreadable one is reported on stderr and kept in ``failures``."""
    for item in read_articles(paths, on_warning=warn, **(reading or _Reading()).options()):
        if isinstance(item, ThemetagError):
            error(str(item))
            failures.append(item)
            if on_failure is not None:
                on_failure()
        else:
            yield item


def _exit_if_failed(unreadable: list, failed: list, readable: int) -> None:
    """Exit 1 with a count when any input could not be read or processed (each was already reported)."""
    if unreadable or failed:
        error(f"{len(unreadable) + len(failed)} of {len(unreadable) + readable} inputs failed")
        raise typer.Exit(EXIT_INPUT)


UNIT_HELP = (
    "What each input is: 'article' (split into paragraphs; page furniture set aside), 'paragraph' (one content "
    "paragraph, tagged whole: tweets, answers, pre-split text; for JSON Lines, each line), or 'line' (each "
    "non-blank line one content paragraph)."
)


def _choice(value: str, option: str, choices) -> str:
    """``value`` if it is one of ``choices``; else a usage error naming the option and the choices (exit 2)."""
    if value not in choices:
        error(f"{option} must be {', '.join(choices)}, not {value!r}")
        raise typer.Exit(EXIT_USAGE)
    return value


def _unit_option(unit: str) -> str:
    from .segmentation import UNITS

    return _choice(unit, "--unit", UNITS)


@command("segment")
def segment_command(
    files: List[str] = typer.Argument(
        ...,
        metavar="PATH",
        show_default=False,
        help='Article files or directories (.txt, .md, .html), JSON Lines of {"id", "text"}, or \'-\' for stdin.',
    ),
    kind: Optional[str] = typer.Option(
        None, "--kind", help="Only paragraphs of this kind: content, heading or boilerplate."
    ),
    unit: str = typer.Option("article", "--unit", "-u", help=UNIT_HELP),
    table_format: Optional[str] = FROM_OPTION,
    text_field: str = TEXT_COLUMN_OPTION,
    id_field: str = ID_COLUMN_OPTION,
    encoding: Optional[str] = ENCODING_OPTION,
    metadata: Optional[str] = METADATA_OPTION,
    dedupe: bool = DEDUPE_OPTION,
    max_paragraphs: Optional[int] = MAX_PARAGRAPHS_OPTION,
) -> None:
    """Split articles into paragraphs; write JSON Lines in the label format, ready to label.

    Each line: {"doc", "para", "text", "kind", "themes": [], "stance": null}.
    """
    if kind is not None and kind not in ("content", "heading", "boilerplate"):
        error(f"--kind must be content, heading or boilerplate, not {kind!r}")
        raise typer.Exit(EXIT_USAGE)
    unit = _unit_option(unit)
    reading = _reading(table_format, id_field, text_field, encoding, metadata, dedupe)
    unreadable: list[ThemetagError] = []
    failed: list[ThemetagError] = []
    seen = 0
    out = sys.stdout
    for article in _articles(files, unreadable, reading=reading):
        seen += 1
        try:
            paragraphs = iter_segments(
                article.text, unit=unit, **({"max_paragraphs": max_paragraphs} if max_paragraphs else {})
            )
        except ThemetagError as exc:
            error(f"{article.where}: {exc}")
            failed.append(exc)
            continue
        for p in paragraphs:
            if kind is None or p.kind == kind:
                record = {
                    "doc": article.id,
                    "para": p.index,
                    "text": p.text,
                    "kind": p.kind,
                    "themes": [],
                    "stance": None,
                }
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()
    _exit_if_failed(unreadable, failed, seen)


# The options every command that reads labels takes, declared once.
LABELS_OPTION = typer.Option(["labels"], "--labels", "-l", metavar="DIR", help="Label directory (repeatable; merged).")
CORPUS_OPTION = typer.Option(
    None, "--corpus", help=f"Corpus folder for corpus label records [default: {DEFAULT_CORPUS} if present]."
)
ARTICLES_OPTION = typer.Option(
    "seeds",
    "--articles",
    help="Folder of the labeled articles (<doc>.txt), to score the segmenter's kinds against their labels.",
)


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


def _load_labels(
    labels: List[str], corpus: Optional[str], articles: Optional[str], annotators: Optional[List[str]] = None
):
    """The label set of the --labels folders, with a warning counting records not labeled yet (they are left out),
    and the count of labels per annotator (people's and language models' labels are never mixed up unseen)."""
    from .labels import load_labels

    label_set = load_labels(
        labels,
        corpus_dir=_corpus_option(corpus),
        articles_dir=_articles_option(articles),
        annotators=annotators or None,
    )
    for message in label_set.warnings:
        warn(message)
    if label_set.unlabeled:
        first = ", ".join(label_set.unlabeled[:3]) + (", ..." if len(label_set.unlabeled) > 3 else "")
        warn(
            f"left out {len(label_set.unlabeled)} paragraphs with no labels yet (content, no themes, no stance): {first}"
        )
    read = (
        len(label_set.examples)
        + len(label_set.unlabeled)
        + len(label_set.duplicates)
        + len(label_set.failed)
        + len(label_set.superseded)
        + sum(label_set.left_out.values())
    )
    typer.echo(
        f"labels: {read:,} records in {len(label_set.files)} files: {len(label_set.examples):,} paragraphs kept "
        f"({len(label_set.content()):,} content), {len(label_set.unlabeled):,} not labeled yet, "
        f"{len(label_set.duplicates):,} repeats of a record already read (counted once)",
        err=True,
    )
    per_annotator = label_set.per_annotator()
    missing = [name for name in annotators or () if name not in per_annotator]
    if missing:
        present = sorted({*per_annotator, *label_set.left_out})
        raise ThemetagError(
            f"no labels by {', '.join(repr(m) for m in missing)} (--annotator); the annotators of these "
            f"labels are {', '.join(present) or 'none'}"
        )
    if set(per_annotator) != {"human"} or label_set.failed or label_set.left_out:
        typer.echo(
            "labels by annotator: " + ", ".join(f"{name} {count:,}" for name, count in per_annotator.items()), err=True
        )
    if label_set.failed:
        warn(
            f"left out {len(label_set.failed):,} language-model records that failed (no label; `themetag prelabel --retry-failed` asks again)"
        )
    if label_set.superseded:
        warn(
            f"{len(label_set.superseded):,} language-model labels of paragraphs a person also labeled: the person's labels are used"
        )
    if label_set.left_out:
        warn(
            "left out by --annotator: "
            + ", ".join(f"{name} {count:,}" for name, count in sorted(label_set.left_out.items()))
        )
    return label_set


LEVER_OPTIONS_HELP = {
    "stance": setting_doc("stance_decision") + ".",
    "weight": "SOURCE=W: weigh the examples of label file SOURCE(.jsonl) W times in fitting (repeatable), e.g. my_outlet=3.",
    "loso": "Also leave one source out: train on all label files but one, test on it (slower; the estimate for a new outlet).",
    "curve": "Also score training on 25%, 50% and 100% of each fold's documents: would more labels help? (3 more cross-validations.)",
}
STANCE_DECISION_OPTION = typer.Option(
    None, "--stance-decision", help=LEVER_OPTIONS_HELP["stance"] + f" [default: {TrainConfig().stance_decision}]"
)
SOURCE_WEIGHT_OPTION = typer.Option([], "--source-weight", metavar="SOURCE=W", help=LEVER_OPTIONS_HELP["weight"])


ANNOTATOR_OPTION = typer.Option(
    [],
    "--annotator",
    metavar="NAME",
    help="Use only the labels of this annotator (repeatable): human, human:NAME, llm:MODEL [default: all; a person's "
    "label of a paragraph wins over a model's]. Weigh a model's labels with --source-weight llm:MODEL=W.",
)
CONFIG_OPTION = typer.Option(
    None,
    "--config",
    "-c",
    help="A training configuration file (themetag init-config writes one); options given here win over it.",
)


def _train_config(config_path: Optional[str], seed: Optional[int], stance: Optional[str], weights: List[str], **more):
    """The training settings: the config file's (or the defaults), with the options the user gave on top."""
    from dataclasses import replace

    from .config import load_config

    if stance is not None and stance not in ("argmax", "tuned", "tuned_per_side"):
        error(f"--stance-decision must be tuned, tuned_per_side or argmax, not {stance!r}")
        raise typer.Exit(EXIT_USAGE)
    parsed = {}
    for item in weights:
        name, _, value = item.partition("=")
        try:
            parsed[name] = float(value)
            if not name or not 0 < parsed[name] < 1e6:
                raise ValueError
        except ValueError:
            error(f"--source-weight takes SOURCE=W with W a positive number, not {item!r}")
            raise typer.Exit(EXIT_USAGE) from None
    config = load_config(config_path) if config_path else TrainConfig()
    given = {"seed": seed, "stance_decision": stance, **more}
    if parsed:
        given["source_weights"] = {**(config.source_weights or {}), **parsed}
    return replace(config, **{k: v for k, v in given.items() if v is not None})


def _stored_metrics(path: str, label_set, config) -> dict:
    """The summary `evaluate --output` wrote, if it was computed on exactly these labels and settings."""
    from .io import read_bounded

    raw, where = read_bounded(path, ThemetagError, limit=50_000_000)
    try:
        stored = json.loads(raw.decode("utf-8"))
        if not isinstance(stored, dict):
            raise ValueError
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ThemetagError("not the JSON that `themetag evaluate --output` writes", path=where) from None
    if stored.get("labels_sha256") != label_set.fingerprint():
        raise ThemetagError(
            "these metrics were computed on other labels; run `themetag evaluate --output` again", path=where
        )
    if stored.get("training") != json.loads(json.dumps(config.to_dict())):
        raise ThemetagError(
            "these metrics were computed with other training settings; run `themetag evaluate --output` again with these",
            path=where,
        )
    return {k: v for k, v in stored.items() if k not in ("labels_sha256", "training")}


@command("init-config")
def init_config_command(
    file: str = typer.Argument(..., metavar="FILE", help="The configuration file to write (TOML), e.g. train.toml."),
    force: bool = typer.Option(False, "--force", help="Replace an existing file."),
) -> None:
    """Write a training configuration file with every setting, its default and what it does.

    Edit it, then: themetag train --labels DIR --out MODEL --config FILE (or
    evaluate --config FILE). The settings a model was trained with are also
    in its metadata.json ("training").
    """
    from .config import config_text
    from .io import claim_output, write_text

    claim_output(file, force=force, option="FILE")
    write_text(config_text(), file)
    typer.echo(f"training configuration written to {file}", err=True)


@command("train")
def train_command(
    labels: List[str] = LABELS_OPTION,
    out: str = typer.Option(..., "--out", "-o", help="Model directory to write (replaced atomically)."),
    corpus: Optional[str] = CORPUS_OPTION,
    articles: Optional[str] = ARTICLES_OPTION,
    seed: Optional[int] = typer.Option(
        None, "--seed", help=f"The {setting_doc('seed')} [default: {TrainConfig().seed}]."
    ),
    config_path: Optional[str] = CONFIG_OPTION,
    evaluate: bool = typer.Option(
        True, "--evaluate/--no-evaluate", help="Cross-validate before the final fit (metrics go into the model card)."
    ),
    force: bool = typer.Option(
        False, "--force", help="Replace an existing model directory; the old one is kept as OUT.previous."
    ),
    changes: Optional[str] = typer.Option(
        None,
        "--changes",
        help="With --force: write every labeled paragraph the new model tags differently from the old one here (JSON Lines; a new file: --force covers only the model).",
    ),
    stance_decision: str = STANCE_DECISION_OPTION,
    source_weight: List[str] = SOURCE_WEIGHT_OPTION,
    loso: bool = typer.Option(False, "--loso", help=LEVER_OPTIONS_HELP["loso"] + " Goes into the model card."),
    curve: bool = typer.Option(
        False, "--learning-curve", help=LEVER_OPTIONS_HELP["curve"] + " Goes into the model card."
    ),
    metrics: Optional[str] = typer.Option(
        None,
        "--metrics",
        help="Use the cross-validation that `evaluate --output FILE` wrote (same labels and settings, checked) instead of running it again.",
    ),
    annotator: List[str] = ANNOTATOR_OPTION,
) -> None:
    """Train a model from labels and save it as a model directory.

    The new model is written beside OUT and swapped in only when complete: a
    failed or interrupted run leaves OUT as it was. An existing OUT is refused
    without --force; with it, the old model moves to OUT.previous and is shown
    beside the new one: grouped-CV metrics on the same labels, and the labeled
    paragraphs whose predicted tags changed.
    """
    from .io import check_not_an_input, claim_output
    from .store import check_model_target
    from .tagger import load
    from .workflow import train

    config = _train_config(config_path, seed, stance_decision, source_weight)
    inputs = [*labels, metrics, config_path, _articles_option(articles), _corpus_option(corpus)]
    check_not_an_input(out, inputs, inside=False)
    check_model_target(Path(out), replace=force, keep_previous=True)
    if changes:  # --force is the model's: an existing --changes file is refused, not replaced
        # Nor inside the model folder (or its .previous): a model folder holds the model's files only.
        claim_output(changes, force=False, inputs=[*inputs, out, f"{out}.previous"], option="--changes")
        if Path(changes).resolve().is_relative_to(Path(out).resolve()):
            error(f"{changes}: inside the model folder {out}, which holds the model's files only; write it elsewhere")
            raise typer.Exit(EXIT_INPUT)
    previous = None
    if Path(out).exists():
        try:
            previous = load(out)
        except ThemetagError as exc:
            warn(f"the model at {out} cannot be loaded, so there is nothing to compare with ({exc})")
    label_set = _load_labels(labels, corpus, articles, annotator)
    cv_summary = None
    if metrics:
        cv_summary = _stored_metrics(metrics, label_set, config)
        evaluate = False
    tagger, report = train(
        label_set,
        out=out,
        config=config,
        evaluate=evaluate,
        loso=loso,
        curve=curve,
        cv_summary=cv_summary,
        progress=_progress,
        keep_previous=True,
    )
    if report is not None:
        from .report import format_table

        typer.echo(format_table(report))
    typer.echo(
        f"model written to {out}"
        + (f"; the previous one is in {out}.previous" if Path(f"{out}.previous").exists() else ""),
        err=True,
    )
    if previous is not None:
        from .report import format_comparison
        from .review import compare_with_previous

        comparison = compare_with_previous(
            previous, tagger, label_set, report.summary() if report else None, progress=_progress
        )
        typer.echo(format_comparison(comparison))
        if changes:
            from .io import write_jsonl

            write_jsonl(comparison["changes"], changes)
            typer.echo(f"changed predictions written to {changes}", err=True)
    elif changes:
        warn(f"{changes} was not written: there was no earlier model at {out} to compare with")


@command("evaluate")
def evaluate_command(
    labels: List[str] = LABELS_OPTION,
    corpus: Optional[str] = CORPUS_OPTION,
    articles: Optional[str] = ARTICLES_OPTION,
    seed: Optional[int] = typer.Option(
        None, "--seed", help=f"The {setting_doc('seed')} [default: {TrainConfig().seed}]."
    ),
    folds: Optional[int] = typer.Option(None, "--folds", min=2, help="Number of grouped folds [default: 5]."),
    config_path: Optional[str] = CONFIG_OPTION,
    predictions: Optional[str] = typer.Option(
        None, "--predictions", help="Write out-of-fold predictions here (JSON Lines)."
    ),
    report_dir: Optional[str] = typer.Option(
        None, "--report", help="Write a report page with plots (PNG) into this folder."
    ),
    stance_decision: str = STANCE_DECISION_OPTION,
    source_weight: List[str] = SOURCE_WEIGHT_OPTION,
    loso: bool = typer.Option(False, "--loso", help=LEVER_OPTIONS_HELP["loso"]),
    curve: bool = typer.Option(False, "--learning-curve", help=LEVER_OPTIONS_HELP["curve"] + " Plotted with --report."),
    output: Optional[str] = typer.Option(
        None,
        "--output",
        help='Write the headline metrics here as JSON (what a trained model stores in metadata.json "cv").',
    ),
    force: bool = typer.Option(
        False, "--force", help="Replace existing --predictions and --output files and the --report folder's files."
    ),
) -> None:
    """Cross-validate training, grouped by document, beside majority and keyword baselines."""
    from .io import check_distinct_outputs, check_not_an_input, claim_output
    from .report import (
        REPORT_FILES,
        check_report_folder,
        format_table,
        report_figure_class,
        write_predictions,
        write_report,
    )
    from .workflow import evaluate_labels

    config = _train_config(config_path, seed, stance_decision, source_weight, folds=folds)
    # Outputs are checked before the minutes of cross-validation, not after.
    inputs = [*labels, config_path, _articles_option(articles), _corpus_option(corpus)]
    check_distinct_outputs(
        predictions, output, *(Path(report_dir) / name for name in REPORT_FILES) if report_dir else ()
    )
    for path, option in ((predictions, "--predictions"), (output, "--output")):
        if path:
            claim_output(path, force=force, inputs=inputs, option=option)
    if report_dir:
        check_not_an_input(report_dir, inputs)
        check_report_folder(report_dir, force=force)
        report_figure_class()
    label_set = _load_labels(labels, corpus, articles)
    report = evaluate_labels(label_set, config, loso=loso, curve=curve, progress=_progress)
    typer.echo(format_table(report))
    if output:
        from .io import write_text

        write_text(
            json.dumps(
                {**report.summary(), "labels_sha256": label_set.fingerprint(), "training": config.to_dict()},
                indent=2,
                default=float,
            )
            + "\n",
            output,
        )
    if predictions:
        write_predictions(report, predictions)
    if report_dir:
        page = write_report(report, report_dir, force=force)
        typer.echo(f"report: {page}", err=True)


@command("evaluate-segmentation")
def evaluate_segmentation_command(
    labels: List[str] = LABELS_OPTION,
    corpus: Optional[str] = CORPUS_OPTION,
    articles: Optional[str] = ARTICLES_OPTION,
    errors: int = typer.Option(0, "--errors", min=0, help="Also list the first N paragraphs the rules got wrong."),
    output: Optional[str] = typer.Option(None, "--output", help="Write the scores (and every error) here as JSON."),
    force: bool = typer.Option(False, "--force", help="Replace an existing --output file."),
) -> None:
    """Score the segmenter's rules against every labeled article: content recall, content-vs-other, boilerplate.

    Labeled articles are the text records whose <doc>.txt is in --articles and
    the corpus records of whole articles (a "para" index). Takes seconds: no
    model is trained.
    """
    from .evaluation import segmentation_scores
    from .io import claim_output, write_text
    from .report import format_segmentation

    if output:
        claim_output(output, force=force, inputs=[*labels, articles, _corpus_option(corpus)], option="--output")
    label_set = _load_labels(labels, corpus, articles)
    scores = segmentation_scores(label_set.examples)
    if not scores["overall"]["paragraphs"]:
        error(
            "no labeled article paragraphs to score: pass --articles DIR (the <doc>.txt files) or corpus records of whole articles"
        )
        raise typer.Exit(EXIT_INPUT)
    typer.echo(format_segmentation(scores, errors))
    if output:
        write_text(json.dumps(scores, indent=2, ensure_ascii=False) + "\n", output)


class Progress:
    """A progress line on stderr, redrawn at most ten times a second; silent unless stderr is a terminal."""

    def __init__(self, total: int | None, enabled: bool, unit: str = "articles", verb: str = "tagging"):
        import time

        self._time = time.monotonic
        self.total, self.enabled, self.unit, self.verb = total, enabled, unit, verb
        self.done, self.started, self._drawn = 0, self._time(), 0.0

    def advance(self) -> None:
        """Count one more unit done; the line is redrawn if 0.1 s have passed or the total is reached."""
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
        sys.stderr.write(f"\r{self.verb} {bar} {self.unit} ({rate:,.0f}/s)")
        sys.stderr.flush()

    def clear(self) -> None:
        """Wipe the drawn line (before something else is written to the terminal); the next advance redraws it."""
        if self.enabled and self._drawn:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()

    def close(self) -> None:
        """Draw the final count and end the line; does nothing when disabled or nothing was done."""
        if self.enabled and self.done:
            self._draw()
            sys.stderr.write("\n")
            sys.stderr.flush()


@command("predict")
def predict_command(
    paths: List[str] = typer.Argument(
        ...,
        metavar="PATH",
        show_default=False,
        help='Article files or directories (.txt, .md, .html), JSON Lines of {"id", "text"}, or \'-\' for stdin.',
    ),
    fmt: Optional[str] = typer.Option(
        None, "--format", "-f", help=f"{', '.join(sorted(WRITERS))} [default: table on a terminal, jsonl when piped]."
    ),
    paragraphs: bool = typer.Option(
        False, "--paragraphs", "-p", help="One row per paragraph instead of one per article."
    ),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Model directory [default: the shipped model]."),
    explain: int = typer.Option(
        0,
        "--explain",
        "-e",
        min=0,
        max=50,
        help="Show the N features (n-grams, cues) that weighed most in each theme and stance decision (coefficient × feature value). Implies --paragraphs.",
        show_default=False,
    ),
    progress: Optional[bool] = typer.Option(
        None, "--progress/--no-progress", help="Progress bar on stderr [default: on when stderr is a terminal]."
    ),
    unit: str = typer.Option("article", "--unit", "-u", help=UNIT_HELP),
    kind: Optional[str] = typer.Option(
        None, "--kind", help="Only paragraphs of this kind (content, heading or boilerplate); implies --paragraphs."
    ),
    table_format: Optional[str] = FROM_OPTION,
    text_field: str = TEXT_COLUMN_OPTION,
    id_field: str = ID_COLUMN_OPTION,
    encoding: Optional[str] = ENCODING_OPTION,
    metadata: Optional[str] = METADATA_OPTION,
    dedupe: bool = DEDUPE_OPTION,
    out: Optional[str] = typer.Option(
        None,
        "--out",
        "-o",
        metavar="FILE",
        help="Write the results to FILE (atomically) instead of stdout; its suffix (.csv, .jsonl, .json, .parquet) sets --format when that is not given. Parquet needs it.",
    ),
    force: bool = typer.Option(False, "--force", help="Replace an existing --out file."),
    max_paragraphs: Optional[int] = MAX_PARAGRAPHS_OPTION,
    template: bool = typer.Option(
        True,
        "--template/--no-template",
        help="Set aside short lines that recur in at least 20% of the articles (and 20 of them): the site's share rows, prompts and headers. Needs files (a first pass reads them); not applied to stdin or with --scheduler.",
    ),
    scheduler: Optional[str] = typer.Option(
        None,
        "--scheduler",
        metavar="ADDRESS",
        help="Tag on Dask: 'local' (one worker process per core) or a scheduler's address (tcp://host:8786); writes partitioned Parquet into --out DIR, the same rows, columns and types as --out FILE.parquet. Workers need the input files at the same paths; the model is sent to each once. Inputs may be Parquet files (--from parquet; --text-column and --id-column name their columns).",
    ),
    verbose: bool = typer.Option(
        False,
        "--verbose",
        help="With --scheduler: also show Dask's own warnings and log lines (a port in use, a large graph, workers restarting).",
    ),
) -> None:
    """Tag articles: themes and stance per paragraph, summed up per article.

    Reads a few dozen articles ahead and scores their paragraphs together, so
    memory stays flat however many articles come in. Results go to stdout; errors, warnings and the progress
    bar to stderr. Text that is not UTF-8 is read as Windows-1252 with a warning.
    An article with no paragraph kept as content, or with most of its text set
    aside as page furniture, is named in a warning and counted at the end; its
    output says why ("warning").
    """
    from .io import atomic_output, count_articles
    from .output import make_writer
    from .tagger import load

    # Checked before either way of tagging: the same options mean the same on Dask as in one process.
    unit = _unit_option(unit)
    if kind is not None and kind not in ("content", "heading", "boilerplate"):
        error(f"--kind must be content, heading or boilerplate, not {kind!r}")
        raise typer.Exit(EXIT_USAGE)
    reading = _reading(table_format, id_field, text_field, encoding, metadata, dedupe)
    if scheduler is not None:
        if explain or (fmt is not None and fmt != "parquet"):
            error(
                "--scheduler writes Parquet without explanations: leave out --explain and --format (or tag in one process)"
            )
            raise typer.Exit(EXIT_USAGE)
        _predict_on_dask(
            paths, scheduler, out, model, unit, paragraphs, kind, reading, progress=progress, verbose=verbose
        )
        return
    if fmt is None and out is not None:
        fmt = OUT_SUFFIX_FORMATS.get(Path(out).suffix.lower())
    if fmt is None:
        fmt = "table" if sys.stdout.isatty() and out is None else "jsonl"
    if fmt not in WRITERS:
        error(f"--format must be one of {', '.join(sorted(WRITERS))}, not {fmt!r}")
        raise typer.Exit(EXIT_USAGE)
    if getattr(WRITERS[fmt], "binary", False) and out is None:
        error(f"--format {fmt} writes a file, not a stream: name it with --out FILE")
        raise typer.Exit(EXIT_USAGE)
    if out is not None:
        from .io import claim_output

        claim_output(out, force=force, inputs=[*paths, _model_folder(model)])
    show_progress = sys.stderr.isatty() if progress is None else progress
    tagger = load(model)
    if max_paragraphs:
        tagger.max_paragraphs = max_paragraphs
    furniture = frozenset()
    if template and unit == "article" and "-" not in paths:
        from .io import read_articles
        from .segmentation import collection_template

        # A first pass over the files (problems are reported by the second): lines the collection repeats.
        articles = (a.text for a in read_articles(paths, **reading.options()) if not isinstance(a, ThemetagError))
        furniture = collection_template(articles)
        if furniture:
            warn(
                f"{len(furniture)} lines recur across the collection's articles and are set aside as its furniture "
                "(--no-template keeps them)"
            )
    # Counting reads JSON Lines files once more: worth it only for a bar someone sees.
    bar = Progress(
        count_articles(paths, table_format=reading.table_format) if show_progress else None, enabled=show_progress
    )
    with contextlib.ExitStack() as files:
        stream = (
            sys.stdout
            if out is None
            else files.enter_context(atomic_output(out, binary=getattr(WRITERS[fmt], "binary", False)))
        )
        writer = make_writer(
            fmt, stream, paragraphs=paragraphs, explain=explain > 0, kinds=(kind,) if kind else None, on_warning=warn
        )
        # Results on a terminal: the progress line is wiped before each one, so they never run into each other.
        if out is None and sys.stdout.isatty():
            writer = _ClearingWriter(writer, bar)
        try:
            seen, failed, unreadable, flagged = _predict(tagger, paths, writer, bar, unit, explain, reading, furniture)
        except BaseException:
            if out is not None:  # the file is thrown away: a writer holding it lets go while it is still open
                writer.abort()
            raise
        finally:
            if out is None:  # stdout: a JSON array is closed even after Ctrl-C
                writer.close()
        if out is not None:  # a file is finished only after success; otherwise it is never put in place
            if seen == len(failed) and (unreadable or failed):
                # Every input failed (a mistyped path, say): the file there stays as it was, never replaced by nothing.
                error(f"nothing was tagged, so {out} was left as it was")
                _exit_if_failed(unreadable, failed, seen)
            writer.close()
    if flagged:
        counts = [f"{flagged[w]} with no content paragraph" for w in ("no_content",) if w in flagged]
        counts += [f"{flagged[w]} with most of the text set aside" for w in ("mostly_set_aside",) if w in flagged]
        counts += [
            f"{flagged[w]} in a language the model was not trained on" for w in ("other_language",) if w in flagged
        ]
        warn(
            f"{sum(flagged.values())} of {seen} articles may not be represented by their tags: {'; '.join(counts)} (named above)"
        )
    _exit_if_failed(unreadable, failed, seen)


def _predict_on_dask(
    paths,
    scheduler,
    out,
    model,
    unit,
    paragraphs,
    kind,
    reading: _Reading,
    *,
    progress: Optional[bool] = None,
    verbose: bool = False,
) -> None:
    """predict --scheduler: tag on Dask into a folder of Parquet files (one per partition), put in place when complete.

    The files hold what ``--out FILE.parquet`` holds in one process (same columns, types and nulls; failed
    articles named on stderr, not written). The inputs are cut into about 4 partitions per worker thread when
    they allow it; the model goes to each worker once; a bar counts finished partitions on a terminal;
    distributed's own warnings and log lines are shown only with ``--verbose``.
    """
    if out is None:
        error("--scheduler writes a folder of Parquet files: name it with --out DIR")
        raise typer.Exit(EXIT_USAGE)
    target = Path(out)
    if target.exists():
        error(f"{out} exists; name a new folder (nothing is replaced)")
        raise typer.Exit(EXIT_INPUT)
    from .io import check_not_an_input, check_output_path

    check_not_an_input(target, [*paths, _model_folder(model)])
    check_output_path(target)
    try:
        import dask.dataframe as dd

        from . import cluster
    except ImportError:
        error("--scheduler needs Dask: pip install 'themetag[dask]'")
        raise typer.Exit(EXIT_USAGE) from None
    level = "paragraph" if paragraphs or kind else "article"
    kinds = (kind,) if kind else None
    if reading.metadata is not None:
        error(
            "--metadata is joined in one process only, not yet on Dask: add its fields to the rows (or tag without --scheduler)"
        )
        raise typer.Exit(EXIT_USAGE)
    # Parquet is read by Dask itself (its row groups become partitions); it is named with --from, as in one process.
    parquet = list(paths) if reading.table_format == "parquet" else []
    if reading.table_format is None and any(p.lower().endswith((".parquet", ".pq")) for p in paths):
        error("Parquet input is a table: name it with --from parquet --text-column COLUMN (as in one process)")
        raise typer.Exit(EXIT_USAGE)
    show_progress = sys.stderr.isatty() if progress is None else progress
    with cluster.quiet(not verbose), cluster.client(scheduler, verbose=verbose) as dask_client:
        info = dask_client.scheduler_info().get("workers", {})
        workers = len(info)
        # About 4 partitions per worker thread (when the input allows), so that every worker has work.
        aim = 4 * max(sum(w.get("nthreads", 1) for w in info.values()), 1)
        if parquet:
            try:
                frame = dd.read_parquet(parquet)
            except Exception as exc:  # pyarrow's and Dask's own errors for a file that is not Parquet, one line each
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[-1][:300]
                error(f"{', '.join(parquet)}: cannot read as Parquet ({first})")
                raise typer.Exit(EXIT_INPUT) from None
            if frame.npartitions < aim:
                frame = frame.repartition(npartitions=aim)
            results = cluster.tag_frame(
                frame, text=reading.text_field, id=reading.id_field, model=model, unit=unit, level=level, kinds=kinds
            )
        else:
            results = cluster.tag_files(
                paths,
                model=model,
                unit=unit,
                level=level,
                kinds=kinds,
                id_field=reading.id_field,
                text_field=reading.text_field,
                table_format=reading.table_format,
                encoding=reading.encoding,
                partitions=aim,
            )
        bar = Progress(results.npartitions, enabled=show_progress, unit="partitions")
        try:
            rows, failed = cluster.write_parquet_folder(
                results, target, level=level, client=dask_client, on_partition=bar.advance
            )
        finally:
            bar.close()
    for ident, message in failed:
        error(message if ident is None else f"{ident}: {message}")
    typer.echo(
        f"wrote {rows:,} rows to {out}/ ({results.npartitions} partitions, {workers} workers); {len(failed)} failed",
        err=True,
    )
    if failed:
        raise typer.Exit(EXIT_INPUT)


class _ClearingWriter:
    """A result writer that wipes the progress line off the terminal before each write."""

    def __init__(self, writer, bar: "Progress"):
        self._writer, self._bar = writer, bar

    def write(self, tags) -> None:
        self._bar.clear()
        self._writer.write(tags)

    def close(self) -> None:
        self._writer.close()

    def abort(self) -> None:
        self._writer.abort()


#: --out suffixes that say the format.
OUT_SUFFIX_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".json": "json", ".parquet": "parquet", ".pq": "parquet"}


def _predict(tagger, paths, writer, bar, unit, explain, reading: _Reading, template=frozenset()):
    """Tag every input article and write it; (articles seen, failed, unreadable, warnings by kind)."""
    unreadable: list[ThemetagError] = []
    failed: list[ThemetagError] = []
    flagged: dict[str, int] = {}
    written = 0
    with contextlib.closing(
        _tagged(tagger, paths, unreadable, bar, unit, reading, failed=failed, explain=explain, template=template)
    ) as tagged:
        for tags in tagged:
            written += 1
            writer.write(tags)
            if tags.warning:
                warn(f"{tags.input}: {tags.warning_text()}")
                flagged[tags.warning] = flagged.get(tags.warning, 0) + 1
    return written + len(failed), failed, unreadable, flagged


LABEL_TOOLS = ("label-studio", "doccano")
TABLE_FORMATS = ("csv", "tsv", "jsonl")
SCHEMA_HELP = (
    "The label schema (schema.json, or its folder) [default: labels/schema.json if present, else the shipped model's]."
)


def _model_folder(model: Optional[str]) -> Path:
    """The model folder a command reads (the shipped one without --model): an input no output may be written into."""
    from .store import default_model_path

    return Path(model) if model else default_model_path()


def _schema_file(path: Optional[str]) -> Optional[Path]:
    """The file --schema names (a folder names its schema.json): the one input of a label folder given as --schema."""
    if path is None:
        return None
    return Path(path) / "schema.json" if Path(path).is_dir() else Path(path)


def _schema(path: Optional[str]):
    """The schema a command checks labels against: the one named, else ./labels/schema.json, else the shipped model's."""
    from .schema import Schema

    if path is not None:
        return Schema.load(path)
    if Path("labels/schema.json").is_file():
        return Schema.load("labels/schema.json")
    from .store import shipped_schema

    return shipped_schema()


@command("import-labels")
def import_labels_command(
    file: str = typer.Argument(
        ...,
        metavar="FILE",
        help="A Label Studio JSON export, a doccano export (JSONL or its .zip), or a table of labeled texts (CSV, TSV, JSON Lines).",
    ),
    tool: str = typer.Option(
        ..., "--from", help="What FILE is: label-studio, doccano, csv, tsv or jsonl (a table with named columns)."
    ),
    schema_path: Optional[str] = typer.Option(None, "--schema", "-s", help=SCHEMA_HELP),
    out: str = typer.Option(..., "--out", "-o", help="Label file to write (JSON Lines of text records)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing --out file."),
    text_column: str = typer.Option("text", "--text-column", help="Tables: the column holding the text."),
    doc_column: str = typer.Option(
        "doc",
        "--doc-column",
        help="Tables: the column naming each text's article (cross-validation groups); without it each row is its own document.",
    ),
    themes_column: str = typer.Option(
        "themes", "--themes-column", help="Tables: the column of themes (several separated by ';', ',' or '|')."
    ),
    stance_column: str = typer.Option("stance", "--stance-column", help="Tables: the column of stances."),
    id_column: str = typer.Option(
        "id", "--id-column", help="Tables: a column of row ids (names a row's document when there is no doc column)."
    ),
    where: List[str] = typer.Option(
        [],
        "--where",
        metavar="COLUMN=VALUE",
        help="Tables: COLUMN=VALUE keeps only those rows (repeatable: other columns must match too; the same column "
        "again keeps any of its values), e.g. Target=Atheism for one model per target.",
    ),
    encoding: Optional[str] = typer.Option(
        None,
        "--encoding",
        help="CSV/TSV: the file's encoding [default: UTF-8; a file with no UTF-8 in it is read as Windows-1252 with a warning].",
    ),
    skip_bad_rows: bool = typer.Option(
        False,
        "--skip-bad-rows",
        help="CSV/TSV: a row the reader cannot parse (a quote left open) is named and skipped instead of stopping the import.",
    ),
) -> None:
    """Convert labels from Label Studio, doccano or a table (CSV/TSV/JSON Lines) into a themetag label file.

    Items with no labels (Label Studio tasks with no annotation, doccano
    examples without labels, table rows with neither themes nor stance) are
    left out and counted. Every bad item is named on stderr (file:line) and the
    good ones are still written; the exit code is then 1. Table cells match
    the schema's names ignoring case (FAVOR -> favor). The mapping for the
    tools is in docs/interop.md.
    """
    from .interop import TableColumns, read_doccano, read_label_studio, read_table, write_jsonl
    from .io import claim_output

    if tool not in LABEL_TOOLS + TABLE_FORMATS:
        error(f"--from must be one of {', '.join(LABEL_TOOLS + TABLE_FORMATS)}, not {tool!r}")
        raise typer.Exit(EXIT_USAGE)
    filters = {}
    for item in where:
        column, sep, value = item.partition("=")
        if not sep or not column:
            error(f"--where takes COLUMN=VALUE, not {item!r}")
            raise typer.Exit(EXIT_USAGE)
        filters[column] = (*filters.get(column, ()), value)  # the same column again: any of its values
    claim_output(out, force=force, inputs=[file, _schema_file(schema_path)])
    schema = _schema(schema_path)
    if tool in TABLE_FORMATS:
        columns = TableColumns(
            text=text_column, doc=doc_column, themes=themes_column, stance=stance_column, id=id_column, where=filters
        )
        records = read_table(
            file, schema, columns=columns, format=tool, errors="collect", encoding=encoding, skip_bad_rows=skip_bad_rows
        )
        unit = "rows"
        for note in records.notes:
            warn(note)
    else:
        records = (read_label_studio if tool == "label-studio" else read_doccano)(file, schema, errors="collect")
        unit = "tasks" if tool == "label-studio" else "examples"
    for problem in records.problems:
        error(str(problem))
    skipped = records.skipped
    if skipped:
        listed = ", ".join(skipped[:5]) + (", ..." if len(skipped) > 5 else "")
        warn(f"{file}: skipped {len(skipped)} {unit} with no labels ({listed})")
    if records.repeats:
        listed = ", ".join(records.repeats[:5]) + (", ..." if len(records.repeats) > 5 else "")
        warn(
            f"{file}: {len(records.repeats)} {unit} repeat one already read, labels and all, and were kept once ({listed})"
        )
    if not records:
        why = (
            f"{len(records.problems)} {unit} could not be imported (named above)"
            if records.problems
            else f"no labeled {unit}"
        )
        error(f"{file}: nothing written: {why}")
        raise typer.Exit(EXIT_INPUT)
    write_jsonl(records, out)
    per_annotator: dict[str, int] = {}
    for record in records:
        per_annotator[record.get("annotator", "human")] = per_annotator.get(record.get("annotator", "human"), 0) + 1
    by = ", ".join(
        f"{name} {count:,}"
        for name, count in sorted(per_annotator.items(), key=lambda kv: (kv[0].startswith("llm:"), kv[0]))
    )
    typer.echo(f"{len(records)} labeled paragraphs written to {out} (by annotator: {by})", err=True)
    unchanged = sum(count for name, count in per_annotator.items() if name.startswith("llm:"))
    if unchanged:
        warn(
            f"{unchanged:,} {unit} still carry a language model's pre-annotation unchanged: they stay that model's "
            'labels ("annotator": "llm:..."), not a person\'s: doccano cannot tell an accepted pre-annotation from one '
            "nobody read"
        )
    if records.problems:
        error(f"{len(records.problems)} {unit} could not be imported (named above); fix them and import again")
        raise typer.Exit(EXIT_INPUT)


@command("export-tasks")
def export_tasks_command(
    file: str = typer.Argument(
        ...,
        metavar="FILE",
        help="Paragraphs to label: JSON Lines of text records (`themetag segment` output); '-' reads stdin.",
    ),
    tool: str = typer.Option(..., "--to", help="label-studio (a JSON list of tasks) or doccano (JSON Lines)."),
    schema_path: Optional[str] = typer.Option(None, "--schema", "-s", help=SCHEMA_HELP),
    out: str = typer.Option(
        ...,
        "--out",
        "-o",
        help="File to write; for label-studio the labeling config goes beside it as <stem>.label_config.xml.",
    ),
    suggestions: bool = typer.Option(
        True,
        "--suggestions/--no-suggestions",
        help="Pre-fill the records' kind, themes and stance (Label Studio: as predictions; doccano: as labels).",
    ),
    force: bool = typer.Option(False, "--force", help="Replace existing output files."),
) -> None:
    """Write paragraphs to label as Label Studio tasks or a doccano import file.

    The mapping is in docs/interop.md.
    """
    from .interop import (
        label_studio_config,
        read_records,
        to_doccano,
        to_label_studio,
        write_jsonl,
    )
    from .io import atomic_output, claim_output

    if tool not in LABEL_TOOLS:
        error(f"--to must be label-studio or doccano, not {tool!r}")
        raise typer.Exit(EXIT_USAGE)
    out_path = Path(out)
    config_path = out_path.with_name(out_path.stem + ".label_config.xml") if tool == "label-studio" else None
    existing = [str(p) for p in (out_path, config_path) if p is not None and p.exists()]
    if existing and not force:
        error(f"{' and '.join(existing)} exist{'s' if len(existing) == 1 else ''}; pass --force to replace")
        raise typer.Exit(EXIT_INPUT)
    for path in (out_path, config_path):
        if path is not None:
            claim_output(
                path, force=True, inputs=[file, _schema_file(schema_path)]
            )  # existing files were refused above, together
    schema = _schema(schema_path)
    records = read_records(file, schema)
    if tool == "label-studio":
        tasks = to_label_studio(records, schema, suggestions=suggestions)
        text, config = json.dumps(tasks, ensure_ascii=False, indent=2) + "\n", label_studio_config(schema)
        # Both made before either is written; each written atomically.
        with atomic_output(out_path) as tasks_file, atomic_output(config_path) as config_file:
            tasks_file.write(text)
            config_file.write(config)
        predicted = sum(1 for t in tasks if "predictions" in t)
        typer.echo(
            f"{len(tasks)} tasks ({predicted} with predictions) written to {out}; labeling config: {config_path}",
            err=True,
        )
    else:
        examples = to_doccano(records, schema, suggestions=suggestions)
        write_jsonl(examples, out_path)
        typer.echo(f"{len(examples)} examples written to {out}", err=True)


@command("plot")
def plot_command(
    results: str = typer.Argument(
        ...,
        metavar="RESULTS",
        help="Output of `themetag estimate` (.jsonl, .json, .csv), or article-level output of `themetag predict`: .jsonl, .csv, .parquet, or a folder of Parquet (--scheduler).",
    ),
    out: str = typer.Option(
        ..., "--out", "-o", metavar="DIR", help="Folder for the pictures and their numbers (CSV); made if missing."
    ),
    by: Optional[str] = typer.Option(
        None,
        "--by",
        metavar="COLUMN",
        help="The column naming each article's outlet [default: outlet, source, publisher or site, else the url's host]; for estimates, the name of the groups in titles.",
    ),
    period: str = typer.Option(
        "auto",
        "--period",
        help="Time step: month, quarter, year, or auto (months up to three years of dates, else years).",
    ),
    image_format: str = typer.Option("png", "--format", "-f", help="Pictures as png, svg or pdf."),
    dpi: int = typer.Option(200, "--dpi", min=50, max=1200, help="Resolution of PNG pictures (dots per inch)."),
    force: bool = typer.Option(False, "--force", help="Replace existing pictures and tables (refused otherwise)."),
) -> None:
    """Draw estimates with their intervals, or a tagged collection's theme and stance shares.

    From `themetag estimate` output: estimates_themes and estimates_stances (each group's estimate with its
    interval, the model's naive share faint beside it; years or dates as a time series with a band) and, with
    --trend, estimate_trends. Rows without an interval are named in a warning and on the picture.

    From `themetag predict` output: over_time and by_outlet, each a picture and a CSV, into DIR. Over time:
    theme shares as lines on a date axis (a period with no articles is a gap), favor and against shares as bars,
    articles per period (n). By outlet: bars, n in each outlet's name. A theme's share is the share of content
    paragraphs carrying it. Every article left out (no date, no outlet, failed) is counted in a warning; a view
    with no articles is not drawn. Needs pandas and matplotlib (pip install 'themetag[frames,report]').
    """
    from .collection import is_estimates_file, plot_collection, plot_estimates, read_results
    from .io import check_output_folder

    if period not in ("auto", "month", "quarter", "year"):
        error(f"--period must be auto, month, quarter or year, not {period!r}")
        raise typer.Exit(EXIT_USAGE)
    _choice(image_format, "--format", ("png", "svg", "pdf"))
    check_output_folder(out)
    from .collection import COLLECTION_FILES
    from .io import check_not_an_input

    estimate_files = [
        f"estimates_themes.{image_format}",
        f"estimates_stances.{image_format}",
        f"estimate_trends.{image_format}",
    ]
    for name in (*COLLECTION_FILES, *estimate_files):
        check_not_an_input(Path(out) / name, [results])  # a picture's table must never be written over the results read
    if is_estimates_file(results):
        try:
            paths = plot_estimates(results, out, fmt=image_format, dpi=dpi, force=force, by=by, on_warning=warn)
        except ImportError:
            error("plot needs pandas and matplotlib: pip install 'themetag[frames,report]'")
            raise typer.Exit(EXIT_USAGE) from None
        for path in paths:
            typer.echo(str(path))
        return
    try:
        frame = read_results(results)
    except ImportError:
        error("plot needs pandas: pip install 'themetag[frames,report]'")
        raise typer.Exit(EXIT_USAGE) from None
    except ThemetagError:  # already names the file (and line)
        raise
    except (OSError, ValueError) as exc:  # pandas' readers (CSV, Parquet)
        error(f"{results}: cannot read ({exc})")
        raise typer.Exit(EXIT_INPUT) from None
    for path in plot_collection(
        frame, out, by=by, period=period, force=force, fmt=image_format, dpi=dpi, on_warning=warn
    ):
        typer.echo(str(path))


def _tagged(
    tagger,
    paths: List[str],
    unreadable: list,
    bar: "Progress",
    unit: str,
    reading: _Reading,
    *,
    failed: Optional[list] = None,
    explain: int = 0,
    template=frozenset(),
):
    """The inputs' tags, one article at a time, each with where it was read (``input``). An input that cannot be
    read is reported and kept in ``unreadable``; one that cannot be tagged, in ``failed`` (default: the same list)."""
    failed = unreadable if failed is None else failed
    wheres: deque[str] = deque()  # where each article in flight came from: tag_many gives them back in order

    def articles():
        for article in _articles(paths, unreadable, on_failure=bar.advance, reading=reading):
            wheres.append(article.where)
            yield article.record()

    try:
        for tags in tagger.tag_many(articles(), unit=unit, explain=explain, errors="yield", template=template):
            where = wheres.popleft()
            if isinstance(tags, ThemetagError):
                error(f"{where}: {tags}")
                failed.append(tags)
            else:
                yield dataclasses.replace(tags, input=where)
            bar.advance()
    finally:
        bar.close()


def _whole_collection(failures: list, what: str) -> None:
    """A sample or an estimate is of the whole collection: with an input missing it would be of another one."""
    if failures:
        error(
            f"{len(failures)} inputs could not be read or tagged (named above); {what}, since it must cover the whole "
            "collection: mend or remove them and run again"
        )
        raise typer.Exit(EXIT_INPUT)


COLLECTION_HELP = 'The collection: article files or directories (.txt, .md, .html), JSON Lines of {"id", "text", other fields}, or \'-\'.'
LEVEL_HELP = "paragraph (each content paragraph is a unit) or article (each article with content: does its dominant-theme set include X; its stance)."


@command("sample")
def sample_command(
    paths: List[str] = typer.Argument(..., metavar="PATH", show_default=False, help=COLLECTION_HELP),
    n: int = typer.Option(
        ...,
        "--n",
        "-n",
        min=1,
        help="How many units to draw: per stratum with --by (or in all with --allocation proportional).",
    ),
    out: str = typer.Option(
        ...,
        "--out",
        "-o",
        metavar="FILE",
        help='Label-ready JSON Lines to write (the `segment` format plus "id" and "sample").',
    ),
    by: Optional[str] = typer.Option(
        None,
        "--by",
        metavar="FIELD",
        help="Stratify by this metadata field (outlet, year, ...): a simple random sample within each of its values.",
    ),
    allocation: str = typer.Option(
        "per-stratum",
        "--allocation",
        help="With --by: 'per-stratum' (--n from every stratum) or 'proportional' (--n in all, shared by the strata's sizes).",
    ),
    level: str = typer.Option("paragraph", "--level", help=LEVEL_HELP),
    seed: int = typer.Option(0, "--seed", help="Random seed: same collection and seed, same sample."),
    model: Optional[str] = typer.Option(
        None,
        "--model",
        "-m",
        help="Model directory (it decides which paragraphs are content) [default: the shipped model]; estimate with the same one.",
    ),
    unit: str = typer.Option("article", "--unit", "-u", help=UNIT_HELP),
    table_format: Optional[str] = FROM_OPTION,
    text_field: str = TEXT_COLUMN_OPTION,
    id_field: str = ID_COLUMN_OPTION,
    encoding: Optional[str] = ENCODING_OPTION,
    metadata: Optional[str] = METADATA_OPTION,
    dedupe: bool = DEDUPE_OPTION,
    force: bool = typer.Option(False, "--force", help="Replace an existing --out file."),
    progress: Optional[bool] = typer.Option(
        None, "--progress/--no-progress", help="Progress bar on stderr [default: on when stderr is a terminal]."
    ),
) -> None:
    """Draw a random sample of a collection's content paragraphs (or articles) to label by hand, for `estimate`.

    Label the sample (Label Studio, doccano: `export-tasks`, then `import-labels`; or edit the JSON Lines), then
    `themetag estimate PATH --validation LABELS` gives every theme's and stance's share with a confidence interval.
    Each record keeps how it was drawn: its inclusion probability, stratum and the collection's fingerprint.

    The sample must stay random: paragraphs already in your training labels are NOT left out, and paragraphs
    chosen by `suggest` are no substitute. Do not train the model you estimate with on this sample.
    """
    from .estimates import ALLOCATIONS, LEVELS, sample
    from .io import claim_output, count_articles, write_jsonl
    from .tagger import load

    level = _choice(level, "--level", LEVELS)
    allocation = _choice(allocation, "--allocation", ALLOCATIONS)
    unit = _unit_option(unit)
    claim_output(out, force=force, inputs=[*paths, _model_folder(model)])
    tagger = load(model)
    show_progress = sys.stderr.isatty() if progress is None else progress
    reading = _reading(table_format, id_field, text_field, encoding, metadata, dedupe)
    bar = Progress(
        count_articles(paths, table_format=reading.table_format) if show_progress else None, enabled=show_progress
    )
    failures: list = []
    drawn = sample(
        _tagged(tagger, paths, failures, bar, unit, reading), n, by=by, level=level, allocation=allocation, seed=seed
    )
    _whole_collection(failures, "no sample was written")
    if not drawn.records:
        error(f"the collection has no content {level} to sample")
        raise typer.Exit(EXIT_INPUT)
    write_jsonl(drawn.records, out)
    units = sum(drawn.size.values())
    strata = "" if by is None else f" in {len(drawn.size)} strata of {by!r}"
    typer.echo(
        f"drew {units:,} of {sum(drawn.population.values()):,} content {level}s{strata} ({len(drawn.records):,} paragraphs "
        f"to label) into {out}; collection {drawn.collection}",
        err=True,
    )
    short = [h for h, k in drawn.size.items() if k < n and allocation == "per-stratum"]
    if short:
        warn(
            f"{len(short)} strata have fewer than {n} {level}s and were taken whole: {', '.join(short[:5])}"
            + (" ..." if len(short) > 5 else "")
        )
    empty = [h for h, k in drawn.size.items() if k == 0]
    if empty:
        warn(f"{len(empty)} strata got no unit (too small for a proportional share): their shares cannot be estimated")


@command("estimate")
def estimate_command(
    paths: List[str] = typer.Argument(..., metavar="PATH", show_default=False, help=COLLECTION_HELP),
    validation: List[str] = typer.Option(
        ...,
        "--validation",
        "-V",
        metavar="LABELS",
        help="The labeled sample: label files or a folder of them (`sample` output, labeled; repeatable).",
    ),
    by: Optional[str] = typer.Option(
        None,
        "--by",
        metavar="FIELD",
        help="Also estimate within each value of this metadata field (outlet, year, ...).",
    ),
    level: str = typer.Option("paragraph", "--level", help=LEVEL_HELP),
    alpha: float = typer.Option(
        0.05, "--alpha", min=0.0001, max=0.5, help="1 - the confidence level of the intervals."
    ),
    trend: Optional[str] = typer.Option(
        None,
        "--trend",
        metavar="FIELD",
        help="A date or year field: give each share's change per year (PPI least squares) instead of the shares.",
    ),
    assume_random: bool = typer.Option(
        False,
        "--assume-random",
        help="Accept a validation sample not drawn by `themetag sample` as a simple random sample of the collection (said in the output).",
    ),
    fmt: Optional[str] = typer.Option(
        None,
        "--format",
        "-f",
        help="table, csv, json or jsonl [default: table on a terminal, jsonl when piped; --out's suffix].",
    ),
    out: Optional[str] = typer.Option(
        None, "--out", "-o", metavar="FILE", help="Write the rows to FILE (atomically) instead of stdout."
    ),
    force: bool = typer.Option(False, "--force", help="Replace an existing --out file."),
    model: Optional[str] = typer.Option(
        None, "--model", "-m", help="Model directory: the one the sample was drawn with [default: the shipped model]."
    ),
    unit: str = typer.Option("article", "--unit", "-u", help=UNIT_HELP),
    table_format: Optional[str] = FROM_OPTION,
    text_field: str = TEXT_COLUMN_OPTION,
    id_field: str = ID_COLUMN_OPTION,
    encoding: Optional[str] = ENCODING_OPTION,
    metadata: Optional[str] = METADATA_OPTION,
    dedupe: bool = DEDUPE_OPTION,
    progress: Optional[bool] = typer.Option(
        None, "--progress/--no-progress", help="Progress bar on stderr [default: on when stderr is a terminal]."
    ),
) -> None:
    """Shares of the collection's paragraphs (or articles) per theme and stance, with confidence intervals.

    Tags the collection, matches the labeled sample to it (by text hash), and corrects the model's shares with it:
    prediction-powered inference (PPI++, power-tuned; ppi-python), valid because the sample is random, however
    wrong single tags are. Columns: label, type, group, level, statistic, N (units), n (validated), naive (share
    the model tags), estimate, ci_low, ci_high, labeled_only (the sample alone) and its interval, confidence,
    design, warning (fewer than 10 validated in a group). Needs pip install 'themetag[estimates]'.
    """
    from .estimates import LEVELS, estimate
    from .io import atomic_output, claim_output, count_articles
    from .output import ROW_FORMATS, write_rows
    from .tagger import load

    level = _choice(level, "--level", LEVELS)
    unit = _unit_option(unit)
    if fmt is None and out is not None:
        fmt = OUT_SUFFIX_FORMATS.get(Path(out).suffix.lower())
    if fmt is None:
        fmt = "table" if sys.stdout.isatty() and out is None else "jsonl"
    fmt = _choice(fmt, "--format", ROW_FORMATS)
    if out is not None:
        claim_output(out, force=force, inputs=[*paths, *validation, _model_folder(model)])
    try:
        import ppi_py  # noqa: F401  (checked before the collection is tagged)
    except ImportError:
        error("estimate needs ppi-python: pip install 'themetag[estimates]'")
        raise typer.Exit(EXIT_USAGE) from None
    tagger = load(model)
    show_progress = sys.stderr.isatty() if progress is None else progress
    reading = _reading(table_format, id_field, text_field, encoding, metadata, dedupe)
    bar = Progress(
        count_articles(paths, table_format=reading.table_format) if show_progress else None, enabled=show_progress
    )
    failures: list = []
    results = _tagged(tagger, paths, failures, bar, unit, reading)
    estimates = estimate(
        results,
        validation,
        by=by,
        level=level,
        alpha=alpha,
        trend=trend,
        assume_random=assume_random,
        schema=tagger.schema,
    )
    _whole_collection(failures, "no estimate was made")
    rows = estimates.records()
    for note in estimates.notes:
        typer.echo(f"Note: {note}", err=True)
    said = {(r["group"], r["warning"]) for r in rows if r["warning"]}
    for group, warning in sorted(said)[:10]:
        warn(f"group {group!r}: {warning}")
    if len(said) > 10:
        warn(f'... and {len(said) - 10} more (the rows\' "warning" column)')
    columns = None
    if fmt == "table":
        columns = [
            "label",
            "group",
            "N",
            "n",
            "naive",
            "estimate",
            "ci_low",
            "ci_high",
            "labeled_only",
            "labeled_ci_low",
            "labeled_ci_high",
            "warning",
        ]
    if out is None:
        write_rows(rows, fmt, sys.stdout, columns=columns)
    else:
        with atomic_output(out) as handle:
            write_rows(rows, fmt, handle, columns=columns)
        typer.echo(f"wrote {len(rows)} rows to {out}", err=True)


@command("suggest")
def suggest_command(
    paths: List[str] = typer.Argument(
        ...,
        metavar="PATH",
        show_default=False,
        help='Unlabeled articles: files, directories, JSON Lines of {"id", "text"}, or \'-\'.',
    ),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Model directory [default: the shipped model]."),
    n: int = typer.Option(50, "-n", min=1, help="How many paragraphs to suggest."),
    unit: str = typer.Option("article", "--unit", "-u", help=UNIT_HELP),
    labels: List[str] = typer.Option(
        [],
        "--labels",
        "-l",
        metavar="DIR",
        help="Label folders or files: paragraphs labeled there (same text) are not suggested again (repeatable).",
    ),
    corpus: Optional[str] = CORPUS_OPTION,
    table_format: Optional[str] = FROM_OPTION,
    text_field: str = TEXT_COLUMN_OPTION,
    id_field: str = ID_COLUMN_OPTION,
    encoding: Optional[str] = ENCODING_OPTION,
    metadata: Optional[str] = METADATA_OPTION,
    dedupe: bool = DEDUPE_OPTION,
) -> None:
    """Rank unlabeled paragraphs by model uncertainty (with diversity across articles): label these next.

    Writes JSON Lines in the label format with empty labels, ready to fill in,
    plus a "suggested" block (the model's guess and its uncertainty) that
    label loading ignores. Paragraphs set aside as furniture are never suggested;
    ones that do not read as prose (datelines, captions, tag lines) come after prose.
    For training, not for estimates: these picks are not a random sample (use `sample`).
    """
    from .review import suggest
    from .schema import text_hash
    from .tagger import load

    unit = _unit_option(unit)
    reading = _reading(table_format, id_field, text_field, encoding, metadata, dedupe)
    tagger = load(model)
    labeled: set[str] = set()
    if labels:
        from .labels import load_labels

        # The labels' own schema where their folder has one, else the model's: only their texts are used.
        has_schema = any(Path(d).is_dir() and (Path(d) / "schema.json").is_file() for d in labels)
        label_set = load_labels(labels, corpus_dir=_corpus_option(corpus), schema=None if has_schema else tagger.schema)
        labeled = {text_hash(e.text) for e in label_set.examples}
    unreadable: list[ThemetagError] = []
    seen = 0

    def articles():
        nonlocal seen
        for a in _articles(paths, unreadable, reading=reading):
            seen += 1
            yield a.id, a.text

    for record in suggest(tagger, articles(), n=n, unit=unit, labeled=labeled):
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    _exit_if_failed(unreadable, [], seen)


@command("check-labels")
def check_labels_command(
    labels: List[str] = LABELS_OPTION,
    corpus: Optional[str] = CORPUS_OPTION,
    articles: Optional[str] = ARTICLES_OPTION,
    n: int = typer.Option(30, "-n", min=1, help="How many paragraphs to list."),
    fmt: Optional[str] = typer.Option(
        None, "--format", "-f", help="table or jsonl [default: table on a terminal, jsonl when piped]."
    ),
    seed: Optional[int] = typer.Option(
        None, "--seed", help=f"The {setting_doc('seed')} [default: {TrainConfig().seed}]."
    ),
    config_path: Optional[str] = CONFIG_OPTION,
    annotator: List[str] = ANNOTATOR_OPTION,
) -> None:
    """List labeled paragraphs whose out-of-fold predictions disagree most with their label: likely label errors.

    Runs grouped cross-validation (minutes on the shipped labels), so each
    paragraph is judged by a model that never saw its article. Only people's
    labels are judged; language-model labels only train the folds' models.
    """
    from .evaluation import cross_validate
    from .review import check_labels

    fmt = fmt or ("table" if sys.stdout.isatty() else "jsonl")
    if fmt not in ("table", "jsonl"):
        error(f"--format must be table or jsonl, not {fmt!r}")
        raise typer.Exit(EXIT_USAGE)
    label_set = _load_labels(labels, corpus, articles, annotator)
    report = cross_validate(label_set, _train_config(config_path, seed, None, []), progress=_progress)
    for row in check_labels(label_set, report.predictions, n=n):
        if fmt == "jsonl":
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(
                f"{row['disagreement']:.2f}  {row['where']}  {row['because']}\n      {row['text'][:110]}\n"
            )


def _can_ask() -> bool:
    """Whether a question can be put to someone: standard input is a terminal."""
    return sys.stdin.isatty()


#: Above this many prompts, prelabel prints an estimate and asks before going on (--yes skips the question).
LONG_RUN_PROMPTS = 50


@command("prelabel")
def prelabel_command(
    paths: List[str] = typer.Argument(
        ...,
        metavar="INPUTS",
        show_default=False,
        help='Articles (files, folders, JSON Lines of {"id", "text"}, \'-\'), split into paragraphs as `segment` does; with --records, JSON Lines of paragraph records (`segment`, `suggest` or `sample` output, a label file).',
    ),
    llm_model: str = typer.Option(
        ...,
        "--llm",
        metavar="MODEL",
        help="The model, as the llm library names it (`llm models` lists them): e.g. llama3.2 through llm-ollama, gpt-4o-mini, claude-3.5-haiku.",
    ),
    n: Optional[int] = typer.Option(
        None, "--n", "-n", min=1, help="Label at most N paragraphs in this run (the first N not done yet)."
    ),
    out: Optional[str] = typer.Option(
        None,
        "--out",
        "-o",
        help="JSON Lines file of the model's labels, appended to: a rerun skips what it already holds. [default: <MODEL>.prelabels.jsonl]",
    ),
    records: bool = typer.Option(
        False,
        "--records",
        help="INPUTS are JSON Lines of paragraph records (their doc, para and text are kept; their labels are not read): label the very paragraphs people labeled, to measure agreement.",
    ),
    schema_path: Optional[str] = typer.Option(None, "--schema", "-s", help=SCHEMA_HELP),
    guide: Optional[str] = typer.Option(
        None,
        "--guide",
        help="The labeling guide (Markdown) put in the prompt [default: GUIDE.md beside the schema, if present].",
    ),
    batch: int = typer.Option(
        1,
        "--batch",
        min=1,
        max=50,
        help="Paragraphs per prompt (fewer tokens for the guide; small local models do best with 1).",
    ),
    jobs: int = typer.Option(
        4,
        "--jobs",
        "-j",
        min=1,
        max=64,
        help="Prompts in flight at a time (mind your provider's rate limits; 1 for a local model on one GPU).",
    ),
    yes: bool = typer.Option(
        False,
        "--yes",
        "-y",
        help=f"Do not ask before a run of more than {LONG_RUN_PROMPTS} prompts (needed when standard input is not a terminal).",
    ),
    retry_failed: bool = typer.Option(
        False, "--retry-failed", help="Ask again about the paragraphs an earlier run recorded as failed."
    ),
    price: Optional[str] = typer.Option(
        None,
        "--price",
        metavar="IN,OUT",
        help="Dollars per million input and output tokens, for the estimate, e.g. 0.15,0.60.",
    ),
    unit: str = typer.Option("article", "--unit", "-u", help=UNIT_HELP),
    progress: Optional[bool] = typer.Option(
        None, "--progress/--no-progress", help="Progress bar on stderr [default: on when stderr is a terminal]."
    ),
    table_format: Optional[str] = FROM_OPTION,
    text_field: str = TEXT_COLUMN_OPTION,
    id_field: str = ID_COLUMN_OPTION,
    encoding: Optional[str] = ENCODING_OPTION,
) -> None:
    """Pre-label content paragraphs with a language model, under the schema and the labeling guide, for people to check.

    Needs `pip install 'themetag[llm]'` and an llm plugin for the model. Every
    answer is checked against the schema; a bad one (not JSON, an unknown
    theme, two stances) is asked again once, then recorded as failed with the
    reason, never guessed. Records carry "annotator": "llm:MODEL" and the
    model's raw answers; training keeps them apart from people's labels, and
    evaluation scores on people's labels only. Measure agreement first:
    themetag agreement LABELS --a human --b llm:MODEL.
    """
    import time

    from .io import check_not_an_input, check_output_path
    from .prelabel import (
        Paragraph,
        Prelabeler,
        append_records,
        completed,
        get_model,
        paragraphs_from_records,
        read_guide,
    )

    prices = None
    if price is not None:
        try:
            prices = tuple(float(x) for x in price.split(","))
            if len(prices) != 2 or min(prices) < 0:
                raise ValueError
        except ValueError:
            error(f"--price takes IN,OUT dollars per million tokens, e.g. 0.15,0.60, not {price!r}")
            raise typer.Exit(EXIT_USAGE) from None
    unit = _unit_option(unit)
    reading = _reading(table_format, id_field, text_field, encoding)
    out = out or f"{llm_model.replace('/', '_').replace(':', '_')}.prelabels.jsonl"
    schema = _schema(schema_path)
    guide_path = (
        Path(guide) if guide else (_schema_file(schema_path) or Path("labels/schema.json")).with_name("GUIDE.md")
    )
    check_not_an_input(out, [*paths, _schema_file(schema_path), guide_path])
    check_output_path(out)
    guide_text = read_guide(guide_path) if guide or guide_path.is_file() else ""
    if not guide_text:
        warn("no labeling guide found (--guide FILE): the prompt holds the schema's names, descriptions and cues only")
    labeler = Prelabeler(get_model(llm_model), llm_model, schema, guide_text, batch=batch, jobs=jobs)
    done, failed_before = completed(out, labeler.annotator, retry_failed=retry_failed)
    todo: list[Paragraph] = []
    seen_keys = set(done)
    unreadable: list[ThemetagError] = []
    read = 0

    def candidates():
        nonlocal read
        if records:
            for path in paths:
                read += 1
                yield from paragraphs_from_records(path, schema)
            return
        for article in _articles(paths, unreadable, reading=reading):
            read += 1
            try:
                found = iter_segments(article.text, unit=unit)
            except ThemetagError as exc:  # too long to segment: named, and the other articles still read
                error(f"{article.where}: {exc}")
                unreadable.append(exc)
                continue
            for p in found:
                if p.kind == "content":
                    yield Paragraph(article.id, p.index, p.text)

    for paragraph in candidates():
        if paragraph.key in seen_keys:
            continue
        seen_keys.add(paragraph.key)
        todo.append(paragraph)
        if n is not None and len(todo) >= n:
            break
    skipped = len(done)
    if done:
        typer.echo(
            f"{out}: {skipped:,} paragraphs already done, skipped"
            + (
                f" ({failed_before:,} failed earlier: --retry-failed asks again)"
                if failed_before and not retry_failed
                else ""
            ),
            err=True,
        )
    if not todo:
        typer.echo("nothing to label", err=True)
        _exit_if_failed(unreadable, [], read)
        return
    estimate = labeler.estimate(todo)
    show_progress = sys.stderr.isatty() if progress is None else progress
    bar = Progress(len(todo), enabled=show_progress, unit="paragraphs", verb="labeling")
    written = failed = 0

    def keep(batch_records: list[dict]) -> None:
        nonlocal written, failed
        append_records(batch_records, out)
        for record in batch_records:
            written += 1
            failed += bool(record.get("failed"))
            bar.advance()

    rest = todo
    if estimate.prompts > LONG_RUN_PROMPTS:
        if not yes and not _can_ask():
            error(
                f"{estimate.prompts:,} prompts to send: pass --yes to go on without being asked (or --n to label fewer)"
            )
            raise typer.Exit(EXIT_USAGE)
        # One prompt first, timed, so the estimate's time is measured rather than guessed; its labels are kept.
        first = labeler.batches(todo)[0]
        started = time.monotonic()
        keep(labeler.label(first))
        seconds = time.monotonic() - started
        rest = todo[len(first) :]
        cost = (
            f", about ${estimate.cost(*prices):,.2f} at {prices[0]:g}/{prices[1]:g} $ per million tokens"
            if prices
            else ""
        )
        minutes = seconds * (estimate.prompts - 1) / min(jobs, estimate.prompts) / 60
        bar.clear()
        typer.echo(
            f"estimate: {estimate.prompts:,} prompts for {estimate.paragraphs:,} paragraphs, about "
            f"{estimate.input_tokens:,} input and {estimate.output_tokens:,} output tokens{cost} (retries add more); "
            f"the first answer took {seconds:.1f} s, so about {minutes:,.0f} min with {jobs} at a time",
            err=True,
        )
        if not yes and not typer.confirm("go on?", default=False, err=True):
            typer.echo(f"stopped; the first answer is in {out} (a rerun continues)", err=True)
            raise typer.Exit(EXIT_OK)
    for batch_records in labeler.run(rest):
        keep(batch_records)
    bar.close()
    typer.echo(
        f"{written:,} paragraphs labeled by {labeler.annotator}, {failed:,} failed (kept with the reason; "
        f"--retry-failed asks again); appended to {out}",
        err=True,
    )
    if failed:
        error(f"{failed:,} of {written:,} paragraphs got no valid answer")
        raise typer.Exit(EXIT_INPUT)
    _exit_if_failed(unreadable, [], read)


@command("agreement")
def agreement_command(
    labels: List[str] = typer.Argument(
        ...,
        metavar="LABELS",
        show_default=False,
        help="Label folders or files holding both annotators' labels of the same paragraphs (e.g. people's label file and prelabel's output).",
    ),
    a: str = typer.Option("human", "--a", help="The first annotator (the reference): human, human:NAME, llm:MODEL."),
    b: str = typer.Option(..., "--b", help="The second annotator, e.g. llm:llama3.2."),
    schema_path: Optional[str] = typer.Option(None, "--schema", "-s", help=SCHEMA_HELP),
    corpus: Optional[str] = CORPUS_OPTION,
    require: float = typer.Option(
        0.8,
        "--require",
        min=0.0,
        max=1.0,
        help="The kappa to hold the lowest theme or stance kappa against (the project's people reached 0.90-0.96).",
    ),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json."),
) -> None:
    """Cohen's kappa per theme and for stance, and confusion tables, of two annotators on the paragraphs both labeled.

    Run it before training on a language model's labels: on a few hundred
    paragraphs a person labeled (themetag prelabel LABELFILE --records --llm
    MODEL), the model should reach the kappa people reach with each other.
    """
    from .agreement import agreement, format_agreement
    from .labels import load_annotations
    from .schema import Schema

    fmt = _choice(fmt, "--format", ("table", "json"))
    folder = next((Path(d) for d in labels if Path(d).is_dir() and (Path(d) / "schema.json").is_file()), None)
    schema = Schema.load(folder) if schema_path is None and folder is not None else _schema(schema_path)
    by_annotator = load_annotations(labels, schema=schema, corpus_dir=_corpus_option(corpus))
    counts = ", ".join(f"{name} {len(items):,}" for name, items in sorted(by_annotator.items()))
    typer.echo(f"labels by annotator: {counts or 'none'}", err=True)
    for name in (a, b):
        if name not in by_annotator:
            error(
                f"no labels by {name!r} in {', '.join(labels)}; the annotators there are: {', '.join(sorted(by_annotator)) or 'none'}"
            )
            raise typer.Exit(EXIT_INPUT)
    result = agreement(by_annotator[a], by_annotator[b], schema, a=a, b=b)
    if fmt == "json":
        typer.echo(
            json.dumps({**result.to_dict(), "lowest_kappa": result.lowest_kappa(), "require": require}, indent=2)
        )
    else:
        typer.echo(format_agreement(result, require=require))


def _terminated(signum, frame) -> None:
    # SIGTERM (kill, a job scheduler's time limit): end as Ctrl-C does, so files being written are left as they were
    # and their temporary files removed on the way out.
    raise KeyboardInterrupt


def reference() -> str:
    """The command-line reference as Markdown: every command's ``--help``, as the program prints it (``docs/cli.md``
    is this text; ``python scripts/cli_reference.py`` writes it and a test checks it is current)."""
    import click

    group = typer.main.get_command(app)
    root = click.Context(group, info_name="themetag", terminal_width=100, max_content_width=100)
    parts = [
        "# Command-line reference",
        "",
        "Generated from the program itself by `python scripts/cli_reference.py`; `tests/test_docs.py` checks that",
        "it is current. `themetag COMMAND --help` prints the same.",
        "",
        "```",
        group.get_help(root),
        "```",
    ]
    for name in group.list_commands(root):
        command = group.get_command(root, name)
        context = click.Context(
            command, info_name=f"themetag {name}", parent=None, terminal_width=100, max_content_width=100
        )
        parts += ["", f"## themetag {name}", "", "```", command.get_help(context), "```"]
    return "\n".join(parts) + "\n"


def main() -> None:
    """The ``themetag`` console entry point: runs the command line; a reader closing the pipe early exits 0.

    SIGTERM ends it as Ctrl-C does; a closed stdout is a usage error, a closed stderr drops the messages.
    """
    import signal

    try:
        signal.signal(signal.SIGTERM, _terminated)
    except (ValueError, OSError):  # not the main thread (embedded): leave the default
        pass
    if sys.stderr is None:
        # Started with standard error closed (`themetag ... 2>&-`): messages go nowhere, and the work is still done.
        sys.stderr = open(os.devnull, "w")
    if sys.stdout is None:
        # Started with standard output closed (`themetag ... >&-`): Python leaves it None.
        sys.stderr.write("Error: standard output is closed; redirect it (to a file, or /dev/null)\n")
        sys.exit(EXIT_USAGE)
    try:
        app()
    except BrokenPipeError:
        # `themetag ... | head` closes the pipe early; that is not an error.
        _reader_went_away()
        sys.exit(EXIT_OK)
