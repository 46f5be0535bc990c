"""Label files + schema → validated examples (doc, para, text, kind, themes, stance).

A label directory holds a ``schema.json`` (the label set) and any number of
``*.jsonl`` label files, searched recursively. Two record shapes are accepted:

* a **text record**, the guide's format, carrying its own text::

    {"doc": "004_9d925814d48bd87e", "para": 17, "text": "...", "kind": "content",
     "themes": ["militarization"], "stance": "neutral"}

* a **corpus record**, for text this repository may not copy: it names a row
  of a JSON Lines file in the corpus folder and a hash of the paragraph, and
  the text is read from the corpus at load time::

    {"corpus": "ungdc.jsonl", "id": "ungdc/BOL_30_1975/10", "para": null,
     "text_sha256": "3f2a...", "kind": "content", "themes": [], "stance": "neutral"}

  ``para`` is null when the corpus row is one paragraph, or the paragraph's
  index in ``themetag.segment(row["text"])`` when the row is a whole article.

Either shape may name who labeled it: ``"annotator": "human"`` (the default
when absent), another person (``"human:alice"``), or a language model
(``"llm:MODEL"``, as ``themetag prelabel`` writes). A paragraph labeled by a
person and by a model keeps the person's label; a model's record that failed
(``"failed": reason``) carries no label and is left out with a count.

Every problem is a :class:`~themetag.errors.LabelError` naming the file and
line and saying how to fix it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Iterator

from .errors import InputError, LabelError
from .io import iter_json_lines, open_input, read_article_file, read_bounded
from .schema import KINDS, SCHEMA_FILE, Schema, check_record_labels, text_hash
from .segmentation import segment


@dataclass(frozen=True)
class Example:
    """One labeled paragraph; ``uid`` names it uniquely, ``doc`` is its cross-validation group."""

    uid: str
    doc: str
    para: int | None
    text: str
    kind: str
    themes: tuple[str, ...]
    stance: str | None
    source: str  # the label file it came from
    line: int  # its 1-based line there
    rule_kind: str | None = None  # the kind the segmenter's rules give it in its article, where known
    annotator: str = "human"  # who labeled it: "human", "human:NAME" or "llm:MODEL"

    def labels(self) -> tuple:
        """What the example is labeled, comparable across records: ``(kind, sorted themes, stance)``."""
        return (self.kind, tuple(sorted(self.themes)), self.stance)


#: The annotator of a record that names none.
HUMAN = "human"
#: The prefix of a language model's annotator name: ``llm:MODEL``.
LLM_PREFIX = "llm:"


def is_human(annotator: str) -> bool:
    """Whether labels by ``annotator`` count as a person's: anything but ``llm:...``.

    >>> is_human("human"), is_human("human:alice"), is_human("llm:llama3.2")
    (True, True, False)
    """
    return not annotator.startswith(LLM_PREFIX)


def source_of(example: Example) -> str:
    """The label source an example came from: its label file's name without ``.jsonl`` (e.g. ``insightcrime``)."""
    return Path(example.source).stem


#: Notes for the model card that a label directory may keep: intended use, sources, licences, how labeled.
CARD_NOTES_FILE = "MODEL_CARD.md"


@dataclass
class LabelSet:
    """Validated examples and the schema they follow (and the label directory's notes for a model card)."""

    schema: Schema
    examples: list[Example]
    card_notes: str = ""
    #: ``file:line`` of each record left out because nothing in it is labeled yet (``themetag suggest`` output).
    unlabeled: list[str] = field(default_factory=list)
    #: Things worth telling the user that did not stop loading (an article read as Windows-1252, say).
    warnings: list[str] = field(default_factory=list)
    #: ``file:line`` of each record that repeats one already read, labels and all (counted once).
    duplicates: list[str] = field(default_factory=list)
    #: The label files read.
    files: list[str] = field(default_factory=list)
    #: ``file:line`` of each language model record that failed (``"failed": reason``): no label, left out.
    failed: list[str] = field(default_factory=list)
    #: ``file:line`` of each model label of a paragraph a person also labeled (the person's label is kept).
    superseded: list[str] = field(default_factory=list)
    #: Records left out because their annotator was not among those asked for, by annotator.
    left_out: dict[str, int] = field(default_factory=dict)

    def content(self) -> list[Example]:
        """The examples of kind ``content``, in order."""
        return [e for e in self.examples if e.kind == "content"]

    def per_annotator(self) -> dict[str, int]:
        """Labeled paragraphs per annotator, people first: ``{"human": 215, "llm:llama3.2": 40}``."""
        counts: dict[str, int] = {}
        for e in self.examples:
            counts[e.annotator] = counts.get(e.annotator, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: (not is_human(item[0]), item[0])))

    def fingerprint(self) -> str:
        """A hash of the labels and texts: two label sets with equal fingerprints train the same model."""
        h = hashlib.sha256(json.dumps(self.schema.to_dict(), sort_keys=True).encode())
        for e in sorted(self.examples, key=lambda e: e.uid):
            item = [e.uid, e.doc, e.text, e.kind, sorted(e.themes), e.stance]
            if e.annotator != HUMAN:  # unchanged for labels that name no annotator
                item.append(e.annotator)
            h.update(json.dumps(item).encode())
        return h.hexdigest()


class CorpusIndex:
    """Rows of the corpus folder's JSON Lines files, by file name and id, read lazily."""

    def __init__(self, corpus_dir: str | os.PathLike | None, articles_dir: str | os.PathLike | None = None):
        self.dir = Path(corpus_dir) if corpus_dir is not None else None
        self.articles_dir = Path(articles_dir) if articles_dir is not None else None
        self._rows: dict[str, dict[str, dict]] = {}
        self._segments: dict[tuple[str, str], list] = {}
        self.warnings: list[str] = []

    def article_paragraphs(self, doc: str) -> list | None:
        """The segmentation of ``<articles_dir>/<doc>.txt``, or None where there is no such article."""
        if self.articles_dir is None:
            return None
        key = ("<articles>", doc)
        if key not in self._segments:
            path = self.articles_dir / f"{doc}.txt"
            if path.is_file():
                try:
                    text = read_article_file(
                        str(path), str(path), on_warning=self.warnings.append
                    )  # cp1252 etc., as predict reads
                except InputError as exc:
                    raise LabelError(f"labeled article: {exc}") from None
                self._segments[key] = segment(text)
            else:
                self._segments[key] = None
        return self._segments[key]

    def row(self, file: str, row_id: str, *, path: str, line: int) -> dict:
        """The row with id ``row_id`` in corpus file ``file`` (a name in the corpus folder), read on first use.

        A missing folder, file or row, or a malformed row, raises LabelError at ``path``:``line`` (the label record).
        """
        if self.dir is None or not self.dir.is_dir():
            missing = (
                "no corpus folder was given"
                if self.dir is None
                else f"the corpus folder {str(self.dir)!r} does not exist"
            )
            raise LabelError(
                f"this record names corpus file {file!r} but {missing}; "
                "pass the folder with --corpus (default ../shared/corpus)",
                path=path,
                line=line,
            )
        if file not in self._rows:
            fpath = self.dir / file
            if not fpath.is_file() or Path(file).name != file:
                raise LabelError(f"corpus file {file!r} not found in {self.dir}", path=path, line=line)
            rows: dict[str, dict] = {}
            with open_input(fpath, LabelError) as handle:
                for item in iter_json_lines(handle):
                    row = item.value
                    if item.error is None and not (
                        isinstance(row, dict) and isinstance(row.get("id"), str) and isinstance(row.get("text"), str)
                    ):
                        item = replace(item, error='expected a JSON object with "id" and "text" strings')
                    if item.error is not None:
                        raise LabelError(f"corpus row: {item.error}", path=str(fpath), line=item.line)
                    rows[row["id"]] = row
            self._rows[file] = rows
        try:
            return self._rows[file][row_id]
        except KeyError:
            raise LabelError(f"no row with id {row_id!r} in corpus file {file!r}", path=path, line=line) from None

    def paragraphs(self, file: str, row: dict) -> list:
        """The segmentation (:func:`segment`'s paragraphs) of a corpus row's text, computed once per row."""
        key = (file, row["id"])
        if key not in self._segments:
            self._segments[key] = segment(row["text"])
        return self._segments[key]


_TEXT_FIELDS = ("text",)  # doc, para, kind, themes and stance may be left out (see _validate_record)
_CORPUS_FIELDS = ("corpus", "id", "para", "text_sha256", "kind", "themes", "stance")


def label_files(directory: str | os.PathLike) -> list[Path]:
    """The ``*.jsonl`` label files under a label directory, in a stable order."""
    directory = Path(directory)
    if directory.is_file():
        return [directory]
    if not directory.is_dir():
        raise LabelError("no such label directory or file", path=str(directory))
    # Raw annotator files live under annotations/ and are inputs to adjudication, not labels.
    # Any kind of entry named *.jsonl (in any case) but a folder: a FIFO or device is refused by the reader, by name.
    return sorted(
        p
        for p in directory.rglob("*")
        if p.suffix.lower() == ".jsonl" and not p.is_dir() and "annotations" not in p.relative_to(directory).parts
    )


def load_labels(
    dirs: str | os.PathLike | Iterable[str | os.PathLike],
    *,
    corpus_dir: str | os.PathLike | None = None,
    schema: Schema | None = None,
    articles_dir: str | os.PathLike | None = None,
    annotators: Iterable[str] | None = None,
) -> LabelSet:
    """Read and validate every label file under one or more label directories.

    The schema is ``schema`` if given, else the ``schema.json`` of the first
    directory; every other directory with a schema must declare the same one.
    The same paragraph labeled twice with different labels is an error that
    names both places; labeled twice alike, it counts once.

    A directory's ``MODEL_CARD.md``, if any, becomes the notes of the model
    card of a model trained on these labels.

    ``articles_dir`` (e.g. ``seeds/``) holds the articles of text records as
    ``<doc>.txt``; where one is found, each example learns the kind the
    segmenter's rules give its paragraph (``rule_kind``), to measure them.

    ``annotators`` keeps only the records of those annotators (``"human"``,
    ``"llm:MODEL"``); the others are counted in ``left_out``. A paragraph
    labeled by a person and by a language model keeps the person's label (the
    model's is counted in ``superseded``).

    >>> labels = load_labels("labels/seeds.jsonl", schema=Schema.load("labels"))  # the seed articles' labels
    >>> len(labels.examples), len(labels.content())
    (215, 106)
    >>> labels.schema.themes
    ('militarization', 'development', 'corruption', 'civilian_defense')
    """
    if isinstance(dirs, (str, os.PathLike)):
        dirs = [dirs]
    dirs = [Path(d) for d in dirs]
    if not dirs:
        raise LabelError("no label directory given")
    if schema is None:
        for d in dirs:
            if (d / SCHEMA_FILE).is_file():
                schema = Schema.load(d)
                break
        else:
            raise LabelError(
                f"no {SCHEMA_FILE} in any label directory; add one (see labels/{SCHEMA_FILE})", path=str(dirs[0])
            )
    for d in dirs:
        if (d / SCHEMA_FILE).is_file() and Schema.load(d).to_dict() != schema.to_dict():
            raise LabelError(
                "declares a different schema from the first label directory; merge the schemas first",
                path=str(d / SCHEMA_FILE),
            )
    corpus = CorpusIndex(corpus_dir, articles_dir)
    seen: dict[str, Example] = {}
    examples: list[Example] = []
    unlabeled: list[str] = []
    duplicates: list[str] = []
    read: list[str] = []
    failed: list[str] = []
    superseded: list[str] = []
    left_out: dict[str, int] = {}
    wanted = None if annotators is None else set(annotators)
    position: dict[str, int] = {}  # uid -> index in examples, to put a person's label in a model's place
    for d in dirs:
        files = label_files(d)
        if not files:
            raise LabelError("no *.jsonl label files here", path=str(d))
        for f in files:
            read.append(str(f))
            for example in _read_label_file(f, schema, corpus):
                if isinstance(example, _Failed):
                    failed.append(example.where)
                    continue
                if isinstance(example, str):
                    unlabeled.append(example)
                    continue
                if wanted is not None and example.annotator not in wanted:
                    left_out[example.annotator] = left_out.get(example.annotator, 0) + 1
                    continue
                previous = seen.get(example.uid)
                if (
                    previous is not None
                    and previous.annotator != example.annotator
                    and previous.text == example.text
                    and is_human(previous.annotator) != is_human(example.annotator)
                ):
                    # A person's label wins over a model's, whichever was read first: models are checked by people.
                    if is_human(example.annotator):
                        superseded.append(f"{previous.source}:{previous.line}")
                        seen[example.uid] = example
                        examples[position[example.uid]] = example
                    else:
                        superseded.append(f"{example.source}:{example.line}")
                    continue
                if previous is None:
                    seen[example.uid] = example
                    position[example.uid] = len(examples)
                    examples.append(example)
                elif previous.text != example.text:
                    # Two paragraphs under one name (two imports whose ids both start at 1): keeping one would
                    # silently drop the other's label.
                    raise LabelError(
                        f"paragraph {example.uid!r} has other text than at {previous.source}:{previous.line}: two "
                        'paragraphs share doc and para; give one of them another "doc" (nothing was dropped)',
                        path=example.source,
                        line=example.line,
                    )
                elif previous.labels() != example.labels():
                    two = (
                        ""
                        if previous.annotator == example.annotator
                        else f" (by {previous.annotator} there, by {example.annotator} here: choose with --annotator)"
                    )
                    raise LabelError(
                        f"paragraph {example.uid!r} is labeled differently at "
                        f"{previous.source}:{previous.line}{two}; keep one label (adjudicate) and delete the other",
                        path=example.source,
                        line=example.line,
                    )
                else:
                    duplicates.append(f"{example.source}:{example.line}")
    notes = [_card_notes(d / CARD_NOTES_FILE) for d in dirs if (d / CARD_NOTES_FILE).is_file()]
    return LabelSet(
        schema=schema,
        examples=examples,
        card_notes="\n\n".join(n.strip() for n in notes),
        unlabeled=unlabeled,
        warnings=corpus.warnings,
        duplicates=duplicates,
        files=read,
        failed=failed,
        superseded=superseded,
        left_out=left_out,
    )


def load_annotations(
    dirs: str | os.PathLike | Iterable[str | os.PathLike],
    *,
    schema: Schema,
    corpus_dir: str | os.PathLike | None = None,
) -> dict[str, dict[str, Example]]:
    """Every annotator's labels, apart: ``{annotator: {uid: example}}`` (to compare annotators; no one's label wins).

    Within one annotator, the same paragraph labeled twice differently is an
    error, as in :func:`load_labels`; failed model records are left out.
    """
    if isinstance(dirs, (str, os.PathLike)):
        dirs = [dirs]
    corpus = CorpusIndex(corpus_dir)
    out: dict[str, dict[str, Example]] = {}
    for d in dirs:
        for f in label_files(d):
            for example in _read_label_file(f, schema, corpus):
                if isinstance(example, (str, _Failed)):
                    continue
                mine = out.setdefault(example.annotator, {})
                previous = mine.get(example.uid)
                if previous is not None and previous.labels() != example.labels():
                    raise LabelError(
                        f"paragraph {example.uid!r} is labeled differently by {example.annotator} at "
                        f"{previous.source}:{previous.line}; keep one label",
                        path=example.source,
                        line=example.line,
                    )
                mine.setdefault(example.uid, example)
    return out


@dataclass(frozen=True)
class _Failed:
    """A language model's record that failed: no label to read (``themetag prelabel`` retries it)."""

    where: str


def _card_notes(path: Path) -> str:
    raw, where = read_bounded(path, LabelError, limit=1_000_000)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LabelError("the model card notes are not UTF-8 text; save them as UTF-8", path=where) from None


def _read_label_file(path: Path, schema: Schema, corpus: CorpusIndex) -> Iterator[Example | str | _Failed]:
    """The file's examples; ``"file:line"`` in place of a record with nothing labeled yet, ``_Failed`` of a failed one."""
    where = str(path)
    with open_input(path, LabelError) as handle:
        for item in iter_json_lines(handle):
            if item.error is not None:
                hint = "; each line must be one JSON object" if item.error.startswith("not valid JSON") else ""
                raise LabelError(item.error + hint, path=where, line=item.line)
            if isinstance(item.value, dict) and item.value.get("failed"):
                yield _Failed(f"{where}:{item.line}")
                continue
            if _is_unlabeled(item.value, schema):
                yield f"{where}:{item.line}"
                continue
            yield _validate_record(item.value, schema, corpus, where, item.line)


def _is_unlabeled(record: object, schema: Schema) -> bool:
    """A paragraph still to label, as ``segment`` and ``suggest`` write it: content, no themes, no stance."""
    return (
        isinstance(record, dict)
        and isinstance(record.get("text"), str)
        and "corpus" not in record
        and record.get("kind", "content") == "content"
        and record.get("stance") is None
        and not record.get("themes")
        and len(schema.stances) > 1
    )


def _validate_record(record: object, schema: Schema, corpus: CorpusIndex, where: str, lineno: int) -> Example:
    def fail(message: str) -> LabelError:
        return LabelError(message, path=where, line=lineno)

    if not isinstance(record, dict):
        raise fail(f"expected a JSON object, got {type(record).__name__}")
    is_corpus = "corpus" in record or "text_sha256" in record
    required = _CORPUS_FIELDS if is_corpus else _TEXT_FIELDS
    missing = [k for k in required if k not in record]
    if missing:
        shape = "corpus record" if is_corpus else "text record"
        raise fail(f"{shape} is missing {', '.join(repr(m) for m in missing)}; a {shape} needs {', '.join(required)}")

    para = record.get("para")
    annotator = record.get("annotator", HUMAN)
    if not isinstance(annotator, str) or not annotator.strip() or annotator.strip() != annotator:
        raise fail(f'"annotator" must be a name such as "human" or "llm:MODEL", got {annotator!r}')
    # Left out, kind means content and themes none; stated as null, they are a mistake, not a default.
    if "kind" in record and record["kind"] is None:
        raise fail(f'"kind" must be one of {", ".join(KINDS)}, got null')
    if "themes" in record and record["themes"] is None:
        raise fail('"themes" must be a list of theme names ("themes": [] for none), got null')
    stance = record.get("stance")
    if stance is None and len(schema.stances) == 1 and record.get("kind", "content") == "content":
        stance = schema.null_stance  # a theme-only schema: the one stance goes without saying
    kind, themes, stance = check_record_labels(
        record.get("kind"), record.get("themes", []), stance, schema, fail, labeled=True
    )
    if para is not None and (not isinstance(para, int) or isinstance(para, bool) or para < 0):
        raise fail(f'"para" must be a paragraph index (0 or more) or null, got {para!r}')

    if is_corpus:
        file, row_id, expected = record["corpus"], record["id"], record["text_sha256"]
        if not isinstance(file, str) or not isinstance(row_id, str) or not isinstance(expected, str):
            raise fail('"corpus", "id" and "text_sha256" must be strings')
        row = corpus.row(file, row_id, path=where, line=lineno)
        if para is None:
            text = row["text"]
        else:
            paragraphs = corpus.paragraphs(file, row)
            if para >= len(paragraphs):
                raise fail(f"row {row_id!r} has {len(paragraphs)} paragraphs; there is no paragraph {para}")
            text = paragraphs[para].text
        rule_kind = paragraphs[para].kind if para is not None else None
        if text_hash(text) != expected:
            raise fail(
                f"text_sha256 {expected!r} no longer matches {file} row {row_id!r}"
                + ("" if para is None else f" paragraph {para}")
                + f" (now {text_hash(text)!r}): the corpus text or the segmentation changed; re-check and re-label this paragraph"
            )
        doc = str(row.get("doc", row_id))
    else:
        # Without a doc, a record is a document of its own (a tweet, an answer): its own cross-validation group.
        doc, text = record.get("doc", f"{Path(where).stem}:{lineno}"), record["text"]
        if isinstance(doc, int) and not isinstance(doc, bool):
            doc = str(doc)
        if not isinstance(doc, str) or not doc:
            raise fail('"doc" must be a non-empty string (the article\'s file name without extension)')
        if not isinstance(text, str) or not text.strip():
            raise fail('"text" must be the paragraph\'s non-empty text')
        for name, value in (("doc", doc), ("text", text)):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise fail(
                    f'"{name}" holds a lone surrogate {value[exc.start]!r} (a \\ud800-\\udfff escape), which is not text'
                ) from None
        article = corpus.article_paragraphs(doc) if isinstance(para, int) else None
        rule_kind = None
        if article is not None and para < len(article) and article[para].text == text:
            rule_kind = article[para].kind
    # A corpus row that is one paragraph is known by its id: one document holds many such rows.
    if is_corpus:
        uid = row_id if para is None else f"{row_id}#{para}"
    else:
        uid = f"{doc}#{para if para is not None else text_hash(text)}"
    return Example(
        uid=uid,
        doc=doc,
        para=para,
        text=text,
        kind=kind,
        themes=tuple(t for t in schema.themes if t in themes),
        stance=stance if kind == "content" else None,
        source=where,
        line=lineno,
        rule_kind=rule_kind,
        annotator=annotator,
    )
