"""Labels from elsewhere: Label Studio and doccano (export paragraphs to label, import the labels back), and
tables of labeled texts (CSV, TSV, JSON Lines with named columns: :func:`read_table`).

themetag's label format is JSON Lines of *text records* (see
:mod:`themetag.labels`)::

    {"doc": "a1", "para": 4, "text": "...", "kind": "content", "themes": ["militarization"], "stance": "against"}

``themetag segment`` writes the same records with empty labels
(``"themes": [], "stance": null``); a model's suggestions may fill them and add
scores. This module turns such records into the tasks of two annotation tools
and reads the tools' exports back into text records.

Label Studio (a project with the labeling config :func:`label_studio_config` writes)
------------------------------------------------------------------------------------

============  ==============================================================
themetag      Label Studio
============  ==============================================================
``text``      ``data.text``, shown by ``<Text name="text" value="$text"/>``
``doc``       ``data.doc`` (carried through; not shown as a control)
``para``      ``data.para`` (carried through)
``sample``    ``data.sample`` (carried through: how ``themetag sample`` drew it)
``kind``      ``<Choices name="kind" choice="single">``: content, heading,
              boilerplate; nothing chosen means ``content``
``themes``    ``<Choices name="themes" choice="multiple">``: one choice per
              schema theme; nothing chosen means ``[]``
``stance``    ``<Choices name="stance" choice="single">``: one choice per
              schema stance; required for content, absent otherwise
============  ==============================================================

Each result is ``{"from_name": "themes", "to_name": "text", "type": "choices",
"value": {"choices": [...]}}``. Results of other types (a text area for notes,
say) are ignored; a ``choices`` result from any other control is an error.

*Which annotation counts*: cancelled (skipped) annotations
(``"was_cancelled": true``) are ignored; of the rest, one marked
``"ground_truth": true`` wins; among equals, the latest ``updated_at`` (else
``created_at``; else the last in the list). Predictions and drafts are never
read as labels. A task with no annotation left is skipped and counted
(:attr:`ImportedRecords.skipped`), not an error.

On export, a record that carries suggestions (themes, a stance, scores, or a
kind other than content) gets one ``predictions`` entry: the record's kind,
themes and stance as results, ``model_version`` (the record's
``"model_version"``, else a language model's annotator name ``llm:MODEL`` as
``themetag prelabel`` writes it, else ``"themetag"``), and, when the record has scores,
``score`` = the model's confidence in its least certain decision (``max(p, 1-p)``
per theme, the chosen stance's probability), so Label Studio's "sort by
prediction score" puts the most doubtful paragraphs first. Scores are read from
``"theme_scores"`` / ``"stance_scores"`` (as ``themetag.tag`` reports them) or a
``"scores"`` object, either ``{"themes": {...}, "stance": {...}}`` or flat
``{name: p}`` (theme and stance names never overlap).

doccano (a Text Classification project that allows several labels per example)
------------------------------------------------------------------------------

============  ==============================================================
themetag      doccano
============  ==============================================================
``text``      ``text``
``doc``       ``doc`` (an extra column: doccano keeps it as metadata and
              exports it as a top-level key again)
``para``      ``para`` (likewise)
``sample``    ``sample`` (likewise: how ``themetag sample`` drew it)
``themes``    one label per theme, named as in the schema
``stance``    one label ``stance:<value>``, e.g. ``stance:against``
``kind``      one label ``kind:heading`` or ``kind:boilerplate``; no ``kind:``
              label means content (``kind:content`` is accepted too)
============  ==============================================================

Exports are read as doccano writes them: ``{"id": 7, "text": ..., "doc": ...,
"para": ..., "label": [...], "Comments": [...]}`` (doccano 1.6 and later), or
older exports with ``"labels"`` and a nested ``"meta"`` object. An example with
no label at all is skipped and counted: doccano exports unlabeled examples with
``"label": []``, and a content paragraph is never fully labeled without a
stance. doccano has no slot for machine suggestions: exported suggestions become
the example's labels (doccano's pre-annotation), so review them. A language
model's labels (``"annotator": "llm:MODEL"``, from ``themetag prelabel``) are
marked: the example carries ``"prelabeled_by": "llm:MODEL"`` and
``"prelabel"``, the labels as exported. On import, an example whose labels
are still exactly its ``prelabel`` keeps ``"annotator": "llm:MODEL"`` (nobody
can tell a glance from no look at all); one a person changed is theirs.

Both tools
----------

*Missing doc or para*: tasks made outside themetag may lack them. ``doc``
becomes ``labelstudio-<task id>-<text hash>`` or ``doccano-<example id>-<text hash>`` (``...-item<N>-...``,
the position in the file, without an id; stable across re-exports, and apart for two exports whose ids
overlap), so each such paragraph is its own document for grouped
cross-validation: add ``doc`` to the task data to keep an article's paragraphs
together. ``para`` becomes the paragraph's position among the file's records of
that doc (0, 1, 2, ...). A ``para`` of ``3.0`` or ``"3"`` (a CSV import) reads
as 3; a numeric ``doc`` as its string.

*Errors* are :class:`~themetag.errors.LabelError` naming the file and the line,
and, for a task inside a JSON array, the task's position and id ("task 3 (id
17)"; the line is where that task starts). Unknown themes, stances or kinds,
malformed JSON, missing text, two stances, a content paragraph without a stance
and a heading or boilerplate paragraph with themes or a stance are all errors,
the same rules :func:`themetag.labels.load_labels` applies.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from .errors import LabelError
from .io import JsonItem, read_json_items, write_jsonl
from .labels import LLM_PREFIX
from .schema import KINDS, Fail, Schema, check_record_labels, text_hash

__all__ = [
    "ImportedRecords",
    "TableColumns",
    "label_studio_config",
    "read_doccano",
    "read_label_studio",
    "read_records",
    "read_table",
    "to_doccano",
    "to_label_studio",
    "write_jsonl",
]

TEXT_OBJECT = "text"  # the <Text> object tag's name, and the task data field it shows
THEMES_CONTROL = "themes"
STANCE_CONTROL = "stance"
KIND_CONTROL = "kind"
CONTROLS = (KIND_CONTROL, THEMES_CONTROL, STANCE_CONTROL)

STANCE_PREFIX = "stance:"
KIND_PREFIX = "kind:"

#: A sampled record's design (``themetag sample``): carried to the tools and back, never shown or edited.
SAMPLE_FIELD = "sample"
#: doccano: who made an example's pre-annotation (a language model's annotator name), and the labels it made.
PRELABELED_BY_FIELD = "prelabeled_by"
PRELABEL_FIELD = "prelabel"

LABEL_STUDIO_DOC_PREFIX = "labelstudio-"
DOCCANO_DOC_PREFIX = "doccano-"
DEFAULT_MODEL_VERSION = "themetag"


class ImportedRecords(list):
    """Text records read from an export: a ``list`` of dicts, plus ``skipped``.

    ``skipped`` describes each task or example that had no annotation
    (e.g. ``"task 4 (id 12)"``), in file order.
    """

    def __init__(self, records: Iterable[dict] = (), skipped: Iterable[str] = ()):
        super().__init__(records)
        self.skipped: list[str] = list(skipped)
        #: With ``errors="collect"``: one LabelError per item that could not be imported (the rest were).
        self.problems: list[LabelError] = []
        #: Things to tell the user that did not stop the import (a table read as Windows-1252).
        self.notes: list[str] = []
        #: Items that repeat one already imported, labels and all (kept once).
        self.repeats: list[str] = []


# --------------------------------------------------------------------------- items of an export file


@contextlib.contextmanager
def _collector_paused():
    """The cyclic garbage collector paused while an export is parsed and imported (re-enabled after, if it was on).

    Parsing makes only acyclic lists and dicts, but millions of them (a 20 MB export), and each full collection
    walks them all again: with the collector running, 80,000 Label Studio tasks took 13 times as long as 8,000
    (2 of their 3.8 CPU seconds in the collector), paused 10 times (1.8 s).
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _describe(item: JsonItem, noun: str) -> str:
    ident = item.value.get("id") if isinstance(item.value, dict) else None
    return f"{noun} {item.index}" + (f" (id {ident})" if ident is not None else "")


def _failer(item: JsonItem, path: str, noun: str) -> Fail:
    prefix = _describe(item, noun)
    return lambda message: LabelError(f"{prefix}: {message}", path=path, line=item.line)


def _items(path: str | os.PathLike, expected: str) -> tuple[list[JsonItem], str]:
    return read_json_items(path, expected=expected, error=LabelError)


# --------------------------------------------------------------------------- building and checking records


def _each(items: list[JsonItem], one, collector: "_Collector", errors: str) -> None:
    """``one(item)`` for every item; a LabelError it raises ends the import (``errors="raise"``) or is kept in
    ``collector.records.problems`` while the next item is read (``"collect"``)."""
    if errors not in ("raise", "collect"):
        raise ValueError(f"errors must be 'raise' or 'collect', not {errors!r}")
    for item in items:
        try:
            one(item)
        except LabelError as exc:
            if errors == "raise":
                raise
            collector.records.problems.append(exc)


def _doccano_items(path: str | os.PathLike) -> tuple[list[JsonItem], str]:
    """doccano's download is a .zip holding one JSONL file per user (or all.jsonl); read the one JSONL inside.

    The file (or zip) is read once, within the per-file limit; a member is checked against the same limit by the
    size its header declares before anything is unpacked, and unpacked no further than the limit (a header may lie).
    Messages name a member as ``export.zip: admin.jsonl``.
    """
    import io as _io
    import zipfile
    import zlib

    from .io import MAX_FILE_BYTES, json_items_from_bytes, read_bounded

    raw, where = read_bounded(path, LabelError)  # the size and file-type checks every input gets
    expected = "a doccano JSONL export"
    if not zipfile.is_zipfile(_io.BytesIO(raw)):
        return json_items_from_bytes(raw, where, expected=expected, error=LabelError), where
    unreadable = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError, ValueError)
    try:
        archive = zipfile.ZipFile(_io.BytesIO(raw))
    except unreadable as exc:
        raise LabelError(
            f"cannot read the zip ({type(exc).__name__}: {str(exc)[:120]}); download it again, or unpack it and "
            "import the file",
            path=where,
        ) from None
    with archive:
        inside = [
            i for i in archive.infolist() if i.filename.endswith((".jsonl", ".json")) and "__MACOSX" not in i.filename
        ]
        if len(inside) != 1:
            names = ", ".join(i.filename for i in inside[:5]) + (", ..." if len(inside) > 5 else "")
            raise LabelError(
                f"the zip holds {len(inside)} JSON/JSONL files ({names or 'none'}); unpack it and import one",
                path=where,
            )
        info = inside[0]
        member = f"{where}: {info.filename}"
        too_big = f"over the {MAX_FILE_BYTES:,}-byte limit; unpack it and split the file"
        if info.file_size > MAX_FILE_BYTES:
            raise LabelError(f"{info.file_size:,} bytes unpacked is {too_big}", path=member)
        if info.flag_bits & 0x1:
            raise LabelError(
                f"{info.filename} is encrypted in the zip; unpack it with its password and import the file", path=where
            )
        try:
            with archive.open(info) as handle:
                data = handle.read(MAX_FILE_BYTES + 1)  # bounded: the declared size may be forged
        except unreadable as exc:
            raise LabelError(
                f"cannot unpack {info.filename} from the zip ({type(exc).__name__}: {str(exc)[:120]}); "
                "download it again, or unpack it and import the file",
                path=where,
            ) from None
    if len(data) > MAX_FILE_BYTES:
        raise LabelError(f"unpacked, {too_big}", path=member)
    return json_items_from_bytes(data, member, expected=expected, error=LabelError), member


def _as_doc(value: object, fail: Fail) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or value.strip() != value:
        raise fail(f'"doc" must be a non-empty string (the article\'s name), got {value!r}')
    return value


def _as_para(value: object, fail: Fail) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a numeric column read through pandas
    elif isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 18:
        value = int(value)  # a CSV import (no paragraph index has more than 18 digits: longer is refused below)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise fail(f'"para" must be a paragraph index (0 or more), got {shown}')
    return value


class _Collector:
    """Imported records in file order: derives missing doc/para and catches a paragraph imported twice."""

    def __init__(self, where: str, doc_prefix: str, *, hash_ids: bool = True):
        self.where = where
        self.doc_prefix = doc_prefix
        self.hash_ids = hash_ids  # a tool's task ids get the text's hash; a table's own id column is kept as it is
        self.records = ImportedRecords()
        self._seen: dict[tuple[str, int], tuple[dict, int]] = {}
        self._next_para: dict[str, int] = {}  # per document: one past the largest para imported (a missing para's)
        self._derived: dict[str, int] = {}  # documents named after an item's id: first line

    def add(
        self,
        fields: dict,
        fallback_id: object,
        item: JsonItem,
        text: str,
        labels: tuple,
        fail: Fail,
        annotator: str | None = None,
    ) -> None:
        doc = _as_doc(fields.get("doc"), fail)
        if doc is None:
            # Without a "doc", each item is its own document, named by its id and its text's hash: the same task
            # re-exported keeps its name, while two exports whose ids both start at 1 (two projects, two tables)
            # name different paragraphs apart. An id seen twice in one file would silently merge two items into one
            # document (and one cross-validation group), so it is refused.
            ident = fallback_id if fallback_id is not None else f"item{item.index}"
            doc = f"{self.doc_prefix}{ident}-{text_hash(text)[:8]}" if self.hash_ids else f"{self.doc_prefix}{ident}"
            key = f"{self.doc_prefix}{ident}"
            if key in self._derived:
                raise fail(
                    f'id {fallback_id!r} was already used at line {self._derived[key]} by an item without a "doc"; '
                    'ids must be unique (or give the items a "doc" field naming their article)'
                )
            self._derived[key] = item.line
        para = _as_para(fields.get("para"), fail)
        if para is None:
            para = self._next_para.get(doc, 0)  # kept as a running maximum: max() of the doc's paras was quadratic
        kind, themes, stance = labels
        record = {"doc": doc, "para": para, "text": text, "kind": kind, "themes": themes, "stance": stance}
        if annotator is not None:
            record["annotator"] = annotator
        if isinstance(fields.get(SAMPLE_FIELD), dict):  # how `themetag sample` drew it: `estimate` needs it back
            record[SAMPLE_FIELD] = fields[SAMPLE_FIELD]
        previous = self._seen.get((doc, para))
        if previous is not None:
            if previous[0] == record:
                self.records.repeats.append(
                    f"line {item.line}"
                )  # the same paragraph and labels twice: kept once, counted
                return
            raise fail(
                f"paragraph {doc}#{para} was already imported differently at line {previous[1]}; keep one of them"
            )
        self._seen[(doc, para)] = (record, item.line)
        self._next_para[doc] = max(self._next_para.get(doc, 0), para + 1)
        self.records.append(record)

    def skip(self, description: str) -> None:
        self.records.skipped.append(description)


# --------------------------------------------------------------------------- Label Studio


def _timestamp(value: object) -> float:
    if isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return float("-inf")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.timestamp()
    return float("-inf")


def _pick_annotation(annotations: object, fail: Fail) -> dict | None:
    """The annotation that counts (module docstring), or None when every one was cancelled."""
    if annotations is None:
        return None
    if not isinstance(annotations, list) or not all(isinstance(a, dict) for a in annotations):
        raise fail('"annotations" must be a list of annotation objects')
    for a in annotations:
        for flag in ("was_cancelled", "ground_truth"):
            if a.get(flag) is not None and not isinstance(a[flag], bool):
                shown = repr(a[flag]) if len(repr(a[flag])) <= 40 else repr(a[flag])[:37] + "..."
                raise fail(f'an annotation\'s "{flag}" must be true or false, got {shown}')
    live = [(i, a) for i, a in enumerate(annotations) if a.get("was_cancelled") is not True]
    if not live:
        return None
    _, best = max(
        live,
        key=lambda p: (
            p[1].get("ground_truth") is True,
            _timestamp(p[1].get("updated_at") or p[1].get("created_at")),
            p[0],
        ),
    )
    return best


def _label_studio_choices(result: object, fail: Fail) -> tuple[object, object, object]:
    """(kind, themes, stance) from an annotation's ``result`` list; None where not chosen."""
    if result is None:
        result = []
    if not isinstance(result, list):
        raise fail('the annotation\'s "result" must be a list')
    chosen: dict[str, list] = {}
    for region in result:
        if not isinstance(region, dict):
            raise fail('each item of the annotation\'s "result" must be an object')
        if region.get("type") != "choices":
            continue  # other controls (notes, ratings) carry no themetag labels
        name = region.get("from_name")
        if name not in CONTROLS:
            raise fail(
                f"choices control {name!r} is not one themetag reads ({', '.join(CONTROLS)}); "
                "use the labeling config from `themetag export-tasks --to label-studio`"
            )
        if name in chosen:
            raise fail(f"two {name!r} results in one annotation")
        value = region.get("value")
        choices = value.get("choices") if isinstance(value, dict) else None
        if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
            raise fail(f'the {name!r} result needs "value": {{"choices": [...]}}, got {value!r}')
        chosen[name] = choices
    for name in (KIND_CONTROL, STANCE_CONTROL):
        if len(chosen.get(name, ())) > 1:
            raise fail(f"{len(chosen[name])} {name} choices {chosen[name]!r}; choose one")
    kind = (chosen.get(KIND_CONTROL) or [None])[0]
    stance = (chosen.get(STANCE_CONTROL) or [None])[0]
    return kind, chosen.get(THEMES_CONTROL), stance


def read_label_studio(path: str | os.PathLike, schema: Schema, *, errors: str = "raise") -> ImportedRecords:
    """A Label Studio JSON export (a list of tasks; or JSON Lines of tasks) → themetag text records.

    Returns the records in task order; ``.skipped`` lists the tasks without a
    (non-cancelled) annotation. A problem is a :class:`LabelError` naming the
    file, line and task: raised at the first (``errors="raise"``), or with
    ``errors="collect"`` kept in ``.problems`` while the other tasks are read.
    """
    with _collector_paused():
        return _read_label_studio(path, schema, errors)


def _read_label_studio(path: str | os.PathLike, schema: Schema, errors: str) -> ImportedRecords:
    items, where = _items(path, "a Label Studio JSON export (a list of tasks)")
    collector = _Collector(where, LABEL_STUDIO_DOC_PREFIX)

    def one(item: JsonItem) -> None:
        fail = _failer(item, where, "task")
        task = item.value
        if not isinstance(task, dict):
            raise fail(f"expected a task object, got {type(task).__name__}")
        data = task.get("data")
        if not isinstance(data, dict):
            hint = (
                '; this looks like a JSON-MIN or CSV export: export the project as "JSON"'
                if TEXT_OBJECT in task
                else '; a task is {"data": {"text": ...}, "annotations": [...]}'
            )
            raise fail(f'has no "data" object{hint}')
        paragraph = data.get(TEXT_OBJECT)
        if not isinstance(paragraph, str) or not paragraph.strip():
            raise fail(f'"data" has no "{TEXT_OBJECT}" (the paragraph\'s non-empty text), got {paragraph!r}')
        annotation = _pick_annotation(task.get("annotations"), fail)
        if annotation is None:
            collector.skip(_describe(item, "task"))
            return
        kind, themes, stance = _label_studio_choices(annotation.get("result"), fail)
        labels = check_record_labels(kind, themes, stance, schema, fail, labeled=True)
        collector.add(data, task.get("id"), item, paragraph, labels, fail)

    _each(items, one, collector, errors)
    return collector.records


def _result_id(record: dict, control: str) -> str:
    key = json.dumps([record.get("doc"), record.get("para"), record["text"]], ensure_ascii=False)
    return f"{hashlib.sha256(key.encode('utf-8')).hexdigest()[:10]}_{control}"


def _choices_result(record: dict, control: str, choices: list[str]) -> dict:
    return {
        "id": _result_id(record, control),
        "from_name": control,
        "to_name": TEXT_OBJECT,
        "type": "choices",
        "value": {"choices": choices},
    }


def _probability(value: object) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0.0 <= value <= 1.0:
        return float(value)
    return None


def _scores(record: dict, schema: Schema) -> tuple[dict[str, float], dict[str, float]]:
    """(theme → p, stance → p) from ``theme_scores``/``stance_scores`` or ``scores`` (module docstring)."""
    themes: dict[str, object] = {}
    stances: dict[str, object] = {}
    scores = record.get("scores")
    if isinstance(scores, dict):
        for key, value in scores.items():
            if key in ("themes", "theme_scores") and isinstance(value, dict):
                themes.update(value)
            elif key in ("stance", "stances", "stance_scores") and isinstance(value, dict):
                stances.update(value)
            elif key in schema.themes:
                themes[key] = value
            elif key in schema.stances:
                stances[key] = value
    if isinstance(record.get("theme_scores"), dict):
        themes.update(record["theme_scores"])
    if isinstance(record.get("stance_scores"), dict):
        stances.update(record["stance_scores"])
    theme_p = {
        t: p for t, p in ((t, _probability(v)) for t, v in themes.items()) if t in schema.themes and p is not None
    }
    stance_p = {
        s: p for s, p in ((s, _probability(v)) for s, v in stances.items()) if s in schema.stances and p is not None
    }
    return theme_p, stance_p


def _confidence(stance: str | None, theme_p: dict[str, float], stance_p: dict[str, float]) -> float | None:
    """The model's confidence in its least certain decision, or None without scores."""
    confidences = [max(p, 1.0 - p) for p in theme_p.values()]
    if stance_p:
        confidences.append(stance_p[stance] if stance in stance_p else max(stance_p.values()))
    return round(min(confidences), 4) if confidences else None


def _with_suggestion(record: object) -> object:
    """A ``themetag suggest`` record keeps the model's guess under "suggested"; offer it as the suggestion."""
    if not isinstance(record, dict) or not isinstance(record.get("suggested"), dict):
        return record
    if record.get("themes") or record.get("stance") is not None:
        return record  # the record's own labels win
    guess = record["suggested"]
    return {**record, **{k: guess[k] for k in ("themes", "stance", "theme_scores", "stance_scores") if k in guess}}


def _export_record(record: object, schema: Schema | None, fail: Fail) -> dict:
    """Check a paragraph to label (labels may be empty) → {text, kind, themes, stance[, doc][, para]}."""
    if not isinstance(record, dict):
        raise fail(f"expected a JSON object, got {type(record).__name__}")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        hint = "; corpus records carry no text: export text records" if "corpus" in record else ""
        raise fail(f'"text" must be the paragraph\'s non-empty text, got {text!r}{hint}')
    kind, themes, stance = check_record_labels(
        record.get("kind"), record.get("themes"), record.get("stance"), schema, fail, labeled=False
    )
    checked = {"text": text, "kind": kind, "themes": themes, "stance": stance}
    if "doc" in record:
        checked["doc"] = _as_doc(record["doc"], fail)
    if "para" in record:
        checked["para"] = _as_para(record["para"], fail)
    return checked


def _llm_annotator(record: dict) -> str | None:
    """A language model's annotator name (``llm:MODEL``) if the record's labels are its, else None."""
    annotator = record.get("annotator")
    return annotator if isinstance(annotator, str) and annotator.startswith(LLM_PREFIX) else None


def _record_failer(index: int) -> Fail:
    return lambda message: LabelError(f"record {index}: {message}")


def to_label_studio(
    records: Iterable[dict],
    schema: Schema,
    *,
    suggestions: bool = True,
    model_version: str = DEFAULT_MODEL_VERSION,
) -> list[dict]:
    """Paragraphs to label → Label Studio tasks ``{"data": {...}, "predictions": [...]}``.

    Import the list as a JSON file into a project whose labeling config is
    :func:`label_studio_config`. Records that carry suggestions get them as a
    prediction (pre-annotation); ``suggestions=False`` leaves them out.
    """
    tasks = []
    for index, record in enumerate(records, start=1):
        record = _with_suggestion(record)
        checked = _export_record(record, schema, _record_failer(index))
        data = {TEXT_OBJECT: checked["text"]}
        for key in ("doc", "para"):
            if checked.get(key) is not None:
                data[key] = checked[key]
        if isinstance(record.get(SAMPLE_FIELD), dict):
            data[SAMPLE_FIELD] = record[SAMPLE_FIELD]
        task: dict = {"data": data}
        theme_p, stance_p = _scores(record, schema)
        suggested = (
            checked["themes"] or checked["stance"] is not None or checked["kind"] != "content" or theme_p or stance_p
        )
        if suggestions and suggested:
            result = [_choices_result(record, KIND_CONTROL, [checked["kind"]])]
            if checked["themes"]:
                result.append(_choices_result(record, THEMES_CONTROL, checked["themes"]))
            if checked["stance"] is not None:
                result.append(_choices_result(record, STANCE_CONTROL, [checked["stance"]]))
            version = record.get("model_version")
            if not (isinstance(version, str) and version):
                version = _llm_annotator(record) or model_version
            prediction: dict = {"model_version": version}
            score = _confidence(checked["stance"], theme_p, stance_p)
            if score is not None:
                prediction["score"] = score
            prediction["result"] = result
            task["predictions"] = [prediction]
        tasks.append(task)
    return tasks


def label_studio_config(schema: Schema) -> str:
    """The Label Studio labeling config (XML) for a schema: a text and the kind, themes and stance controls.

    >>> print(label_studio_config(Schema(("a",), ("neutral",), "neutral")))  # doctest: +ELLIPSIS
    <View>
      <Text name="text" value="$text" />
      <Header value="Kind (nothing chosen: content)" />
      <Choices name="kind" toName="text" choice="single" showInline="true">
    ...
    """
    view = ET.Element("View")
    ET.SubElement(view, "Text", name=TEXT_OBJECT, value=f"${TEXT_OBJECT}")

    def choices(header: str, name: str, mode: str, values: Iterable[tuple[str, str]], **more: str) -> None:
        ET.SubElement(view, "Header", value=header)
        control = ET.SubElement(view, "Choices", name=name, toName=TEXT_OBJECT, choice=mode, showInline="true", **more)
        for value, hint in values:
            attributes = {"value": value}
            if hint:
                attributes["hint"] = hint
            ET.SubElement(control, "Choice", attributes)

    choices("Kind (nothing chosen: content)", KIND_CONTROL, "single", ((k, "") for k in KINDS))
    choices(
        "Themes (any; content only)",
        THEMES_CONTROL,
        "multiple",
        ((t, schema.descriptions.get(t, "")) for t in schema.themes),
    )
    # Required, so a content paragraph cannot be submitted without a stance (the import would refuse it);
    # hidden, and so not required, once the paragraph is marked a heading or boilerplate.
    choices(
        "Stance (one; content only)",
        STANCE_CONTROL,
        "single",
        ((s, schema.descriptions.get(f"stance:{s}", "")) for s in schema.stances),
        required="true",
        requiredMessage="Choose a stance (or mark the paragraph a heading or boilerplate)",
        visibleWhen="choice-unselected",
        whenTagName=KIND_CONTROL,
        whenChoiceValue="heading,boilerplate",
    )
    ET.indent(view)
    return ET.tostring(view, encoding="unicode") + "\n"


# --------------------------------------------------------------------------- doccano


def _check_doccano_names(schema: Schema, fail: Fail) -> None:
    clash = [t for t in schema.themes if t.startswith((STANCE_PREFIX, KIND_PREFIX))]
    if clash:
        raise fail(
            f"theme {clash[0]!r} starts with {STANCE_PREFIX!r} or {KIND_PREFIX!r}, which doccano labels reserve; rename it"
        )


def _doccano_labels(labels: list, schema: Schema, fail: Fail) -> tuple[object, list[str], object]:
    kinds, stances, themes = [], [], []
    for label in labels:
        if not isinstance(label, str):
            raise fail(
                f"label {label!r} is not a category name; this looks like a sequence-labeling export: "
                "label in a Text Classification project"
            )
        if label in schema.themes:
            themes.append(label)
        elif label.startswith(KIND_PREFIX):
            kinds.append(label[len(KIND_PREFIX) :])
        elif label.startswith(STANCE_PREFIX):
            stances.append(label[len(STANCE_PREFIX) :])
        elif label in schema.stances or label in KINDS:
            prefix = STANCE_PREFIX if label in schema.stances else KIND_PREFIX
            raise fail(f"label {label!r} needs its prefix: name it {prefix}{label}")
        else:
            themes.append(label)
    merged = " (doccano merges all annotators' labels in a collaborative export; export per user, or approved examples)"
    if len(stances) > 1:
        named = ", ".join(STANCE_PREFIX + s for s in list(dict.fromkeys(stances))[:5])
        raise fail(f"{len(stances):,} stance labels ({named}); keep one{merged}")
    if len(kinds) > 1:
        named = ", ".join(KIND_PREFIX + k for k in list(dict.fromkeys(kinds))[:5])
        raise fail(f"{len(kinds):,} kind labels ({named}); keep one{merged}")
    themes = list(dict.fromkeys(themes))  # one theme from two annotators counts once (first order kept; linear time)
    return (kinds or [None])[0], themes, (stances or [None])[0]


def read_doccano(path: str | os.PathLike, schema: Schema, *, errors: str = "raise") -> ImportedRecords:
    """A doccano text-classification export (JSONL, the JSON array format, or the .zip doccano downloads) → text records.

    Returns the records in file order; ``.skipped`` lists examples without
    labels; ``errors`` as in :func:`read_label_studio`.
    """
    with _collector_paused():
        return _read_doccano(path, schema, errors)


def _read_doccano(path: str | os.PathLike, schema: Schema, errors: str) -> ImportedRecords:
    items, where = _doccano_items(path)
    _check_doccano_names(schema, lambda m: LabelError(m, path=where))
    collector = _Collector(where, DOCCANO_DOC_PREFIX)

    def one(item: JsonItem) -> None:
        fail = _failer(item, where, "example")
        example = item.value
        if not isinstance(example, dict):
            raise fail(f"expected a JSON object, got {type(example).__name__}")
        paragraph = example.get("text", example.get("data"))
        if not isinstance(paragraph, str) or not paragraph.strip():
            raise fail(f'no "text" (the paragraph\'s non-empty text), got {paragraph!r}')
        labels = example.get("label", example.get("labels"))
        if labels is None:
            raise fail('no "label" list; export a Text Classification project as JSONL')
        if not isinstance(labels, list):
            raise fail(f'"label" must be a list of label names, got {labels!r}')
        if not labels:
            collector.skip(_describe(item, "example"))
            return
        kind, themes, stance = _doccano_labels(labels, schema, fail)
        checked = check_record_labels(kind, themes, stance, schema, fail, labeled=True)
        meta = example.get("meta", example.get("metadata"))
        fields = {
            **(meta if isinstance(meta, dict) else {}),
            **{
                k: example[k]
                for k in ("doc", "para", SAMPLE_FIELD, PRELABELED_BY_FIELD, PRELABEL_FIELD)
                if k in example
            },
        }
        # A model's pre-annotation nobody changed stays the model's: an untouched example looks just like an accepted one.
        by, prelabel = fields.get(PRELABELED_BY_FIELD), fields.get(PRELABEL_FIELD)
        unchanged = (
            isinstance(by, str)
            and by.startswith(LLM_PREFIX)
            and isinstance(prelabel, list)
            and sorted(map(str, prelabel)) == sorted(map(str, labels))
        )
        collector.add(fields, example.get("id"), item, paragraph, checked, fail, annotator=by if unchanged else None)

    _each(items, one, collector, errors)
    return collector.records


def to_doccano(records: Iterable[dict], schema: Schema | None = None, *, suggestions: bool = True) -> list[dict]:
    """Paragraphs to label → doccano examples ``{"text", "label", "doc", "para"}`` (write them as JSONL).

    With ``schema``, themes and stances are checked against it. Suggestions
    (themes, stance, a kind other than content) become labels unless
    ``suggestions=False``.
    """
    if schema is not None:
        _check_doccano_names(schema, lambda m: LabelError(m))
    examples = []
    for index, record in enumerate(records, start=1):
        record = _with_suggestion(record)
        checked = _export_record(record, schema, _record_failer(index))
        labels: list[str] = []
        if suggestions:
            labels += checked["themes"]
            if checked["stance"] is not None:
                labels.append(STANCE_PREFIX + checked["stance"])
            if checked["kind"] != "content":
                labels.append(KIND_PREFIX + checked["kind"])
        example = {"text": checked["text"], "label": labels}
        for key in ("doc", "para"):
            if checked.get(key) is not None:
                example[key] = checked[key]
        if labels and _llm_annotator(record):
            example[PRELABELED_BY_FIELD] = _llm_annotator(record)
            example[PRELABEL_FIELD] = list(labels)
        if isinstance(record.get(SAMPLE_FIELD), dict):
            example[SAMPLE_FIELD] = record[SAMPLE_FIELD]
        examples.append(example)
    return examples


# --------------------------------------------------------------------------- files


def read_records(path: str | os.PathLike, schema: Schema | None = None) -> list[dict]:
    """Paragraphs to label: JSON Lines of text records, labels optional (``themetag segment``'s output).

    ``"-"`` reads standard input. Each record is checked (text, kind, and
    against ``schema`` its themes and stance); a problem is a
    :class:`LabelError` naming the file and line. The records are returned
    as read, extra keys (scores) included.
    """
    items, where = _items(path, "JSON Lines of paragraphs (`themetag segment` output)")
    records = []
    for item in items:
        fail = lambda message, line=item.line: LabelError(message, path=where, line=line)  # noqa: E731
        _export_record(item.value, schema, fail)
        records.append(item.value)
    return records


# --------------------------------------------------------------------------- tables: CSV, TSV, JSON Lines

#: The largest label table read (a table of short texts is a few MB).
MAX_TABLE_BYTES = 200_000_000
#: Separators of several themes in one cell: "militarization;corruption", "a, b", "a|b".
THEME_SEPARATORS = re.compile(r"\s*[;,|]\s*")


@dataclass(frozen=True)
class TableColumns:
    """Which column holds what. ``doc`` and ``para`` are optional: without ``doc``, each row is its own document
    (its ``id`` column if there is one); ``themes`` may be absent for a stance-only schema, ``stance`` for a
    theme-only one; ``kind`` absent means every row is content. ``where`` keeps only rows whose column has the
    value, or one of the values (e.g. ``{"Target": "Atheism"}``: one model per target; ``{"Target": ("Atheism",
    "Climate")}``))."""

    text: str = "text"
    doc: str = "doc"
    para: str = "para"
    themes: str = "themes"
    stance: str = "stance"
    kind: str = "kind"
    id: str = "id"
    where: dict = field(default_factory=dict)


def read_table(
    path: str | os.PathLike,
    schema: Schema,
    *,
    columns: TableColumns = TableColumns(),
    format: str | None = None,
    errors: str = "raise",
    encoding: str | None = None,
    skip_bad_rows: bool = False,
) -> ImportedRecords:
    """A table of labeled texts (CSV, TSV, or JSON Lines of objects) → themetag text records.

    CSV and TSV are read as UTF-8, or as ``encoding``; a file with no UTF-8 in it at all as Windows-1252 (noted in
    ``.notes``); a bad byte in a UTF-8 file is an error naming its line (:func:`decode_table`). A row the CSV
    reader cannot parse (a quote left open) stops the import, naming the line, unless ``skip_bad_rows``: then it
    is one of ``.problems`` and reading goes on after it.

    ``format`` is ``csv``, ``tsv`` or ``jsonl`` (default: from the file's
    ending). Themes in one cell are separated by ``;``, ``,`` or ``|`` (a JSON
    list in JSON Lines); stance and theme values match the schema's names,
    ignoring case when that is unambiguous (``FAVOR`` → ``favor``). Rows with
    neither themes nor stance are skipped and counted as unlabeled.
    ``errors="collect"`` imports every good row and lists each bad one in
    ``.problems``; ``"raise"`` stops at the first.

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "tweets.tsv"
    >>> _ = f.write_text("id\\tTweet\\tStance\\n1\\tTroops out now\\tAGAINST\\n", encoding="utf-8")
    >>> schema = Schema((), ("favor", "against", "none"), "none")
    >>> read_table(f, schema, columns=TableColumns(text="Tweet", stance="Stance"))
    [{'doc': '1', 'para': 0, 'text': 'Troops out now', 'kind': 'content', 'themes': [], 'stance': 'against'}]
    """
    if errors not in ("raise", "collect"):
        raise ValueError(f"errors must be 'raise' or 'collect', not {errors!r}")
    fmt = format or {".tsv": "tsv", ".tab": "tsv", ".csv": "csv", ".jsonl": "jsonl", ".json": "jsonl"}.get(
        Path(str(path)).suffix.lower()
    )
    if fmt not in ("csv", "tsv", "jsonl"):
        raise LabelError("cannot tell the table's format from its name; say csv, tsv or jsonl", path=str(path))
    notes: list[str] = []
    if fmt == "jsonl":
        rows, where = _json_rows(path, "")
    else:
        rows, where = _delimited_rows(
            path, "\t" if fmt == "tsv" else ",", encoding=encoding, skip_bad_rows=skip_bad_rows, notes=notes
        )
    collector = _Collector(where, "", hash_ids=False)
    names = _Names(schema)
    for line, row in rows:
        fail = lambda message, line=line: LabelError(message, path=where, line=line)  # noqa: E731
        try:
            if isinstance(row, LabelError):
                raise row
            if any(
                str(row.get(k, "")) not in ((str(v),) if isinstance(v, (str, int, float)) else tuple(map(str, v)))
                for k, v in columns.where.items()
            ):
                continue
            text = row.get(columns.text)
            if not isinstance(text, str) or not text.strip():
                raise fail(f"no text in column {columns.text!r}" + _known_columns(row))
            themes = names.themes(row.get(columns.themes), fail)
            stance = names.stance(row.get(columns.stance), fail)
            kind = row.get(columns.kind) or None
            if kind is None and not themes and stance is None:
                collector.skip(f"line {line} (no labels)")
                continue
            labels = check_record_labels(kind, themes, stance, schema, fail, labeled=True)
            doc = row.get(columns.doc)
            ident = row.get(columns.id)
            fields = {"doc": doc if doc not in (None, "") else None, "para": row.get(columns.para)}
            # Without an id column, a row is named by its line and its text's hash: two tables' "line2" stay apart.
            name = ident if ident not in (None, "") else f"line{line}-{text_hash(text)[:8]}"
            collector.add(fields, name, JsonItem(line, line), text, labels, fail)
        except LabelError as exc:
            if errors == "raise":
                raise
            collector.records.problems.append(exc)
    collector.records.notes = notes
    if schema.themes and columns.themes and not any(isinstance(row, dict) and columns.themes in row for _, row in rows):
        # Without its themes column every row is labeled "no theme": say so, and refuse a column named otherwise only
        # by its case ("Themes"), which is surely the one meant.
        named = [str(c) for c in next((row for _, row in rows if isinstance(row, dict)), {})]
        alike = [c for c in named if c.lower() == columns.themes.lower()]
        if alike:
            raise LabelError(
                f"no column {columns.themes!r}, but {alike[0]!r}: name it with --themes-column {alike[0]}",
                path=where,
                line=1,
            )
        notes.append(
            f"{where}: no {columns.themes!r} column, so every row is labeled with no theme "
            "(--themes-column names the column if it has another name)"
        )
    return collector.records


def _known_columns(row: dict) -> str:
    return f" (the columns are {', '.join(map(repr, row))})" if row else ""


class _Names:
    """Cell values → schema names: exact, else the one name equal ignoring case."""

    def __init__(self, schema: Schema):
        self.schema = schema
        self.theme_names = {t.casefold(): t for t in schema.themes}
        self.stance_names = {s.casefold(): s for s in schema.stances}

    def _name(self, value: str, names: dict, exact: tuple) -> str:
        return (
            value if value in exact else names.get(value.casefold(), value)
        )  # unknown names are reported by the checker

    def themes(self, cell: object, fail: Fail) -> list[str]:
        if cell is None or cell == "":
            return []
        if isinstance(cell, str):
            cell = [t for t in THEME_SEPARATORS.split(cell.strip()) if t]
        if not isinstance(cell, list) or not all(isinstance(t, str) for t in cell):
            raise fail(f"themes must be names separated by ';' (or a JSON list), got {cell!r}")
        return [self._name(t.strip(), self.theme_names, self.schema.themes) for t in cell]

    def stance(self, cell: object, fail: Fail) -> str | None:
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            return None
        if not isinstance(cell, str):
            raise fail(f"stance must be a name, got {cell!r}")
        return self._name(cell.strip(), self.stance_names, self.schema.stances)


def decode_table(raw: bytes, where: str, encoding: str | None = None) -> tuple[str, str | None]:
    """(text, a note or None) of a table's bytes: :func:`themetag.io.decode_text`, its problems as LabelErrors."""
    from .io import decode_text

    return decode_text(raw, where, encoding=encoding, error=LabelError)


def _delimited_rows(
    path: str | os.PathLike,
    delimiter: str,
    *,
    encoding: str | None = None,
    skip_bad_rows: bool = False,
    notes: list | None = None,
):
    """(line, {column: cell} or a LabelError) per record of a CSV/TSV file with a header row.

    A row the CSV reader cannot parse (a quote never closed), or a quoted cell that swallows following lines
    shaped like rows (an unbalanced quote closed by another one), stops the reading with an error naming the line
    where that row starts; with ``skip_bad_rows`` that row is listed as a problem and reading goes on at the line
    after it.
    """
    import csv
    import io as _io

    from .io import read_bounded, repeated_column, swallowed_rows

    raw, where = read_bounded(path, LabelError, limit=MAX_TABLE_BYTES)
    text, note = decode_table(raw, where, encoding)
    if note and notes is not None:
        notes.append(f"{where}: {note}")
    if "\x00" in text:
        raise LabelError("looks like a binary file (NUL bytes), not a table", path=where)
    # Lines as the CSV reader counts them (it reads io lines: \n, \r\n or \r; not U+2028 and the like, which
    # str.splitlines would also split at, and the line numbers would drift).
    physical = re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z", text)
    rows = []
    header = None
    first_line = 1  # the physical line the reader starts at
    while True:
        reader = csv.reader(
            _io.StringIO("".join(physical[first_line - 1 :]), newline=""), delimiter=delimiter, strict=True
        )
        previous_end = 0
        try:
            if header is None:
                header = next(reader, None)
                if not header or not any(h.strip() for h in header):
                    raise LabelError("empty table: the first row must name the columns", path=where, line=1)
                header = [h.strip() for h in header]
                repeated = repeated_column(header)
                if repeated:
                    raise LabelError(repeated, path=where, line=1)
                previous_end = reader.line_num
            for cells in reader:
                line = first_line + previous_end
                spanned = reader.line_num - previous_end
                if spanned > 1 and swallowed_rows(cells, delimiter, len(header)):
                    # Named at the line the row starts; with skip_bad_rows the lines it swallowed are read again as rows.
                    raise csv.Error(f"a quoted cell runs over {spanned} lines that look like rows")
                previous_end = reader.line_num
                if not any(c.strip() for c in cells):
                    continue
                if len(cells) > len(header):
                    rows.append(
                        (
                            line,
                            LabelError(
                                f"{len(cells)} cells, but the header names {len(header)} columns", path=where, line=line
                            ),
                        )
                    )
                    continue
                rows.append((line, dict(zip(header, cells))))
            return rows, where
        except csv.Error as exc:
            line = first_line + previous_end
            problem = LabelError(
                f'not a row this reader can parse ({exc}): is a quote (") left open here?', path=where, line=line
            )
            if header is None or not skip_bad_rows:
                raise problem from None
            rows.append((line, problem))
            first_line = line + 1
            if first_line > len(physical):
                return rows, where


def _json_rows(path: str | os.PathLike, _delimiter: str):
    items, where = _items(path, "JSON Lines of objects, one labeled text each")
    rows = []
    for item in items:
        if isinstance(item.value, dict):
            rows.append((item.line, item.value))
        else:
            rows.append(
                (
                    item.line,
                    LabelError(f"expected a JSON object, got {type(item.value).__name__}", path=where, line=item.line),
                )
            )
    return rows, where
