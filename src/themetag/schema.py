"""The label set a model follows, and the one set of rules every label record obeys.

A :class:`Schema` names the themes (multi-label) and the stances (one per
content paragraph), with optional cue phrases and descriptions. Every kind of
label record — the guide's label files, Label Studio and doccano exports, the
paragraphs handed to an annotation tool — is checked by
:func:`check_record_labels`, so the rules cannot drift apart between readers.

This module imports nothing of themetag but its errors: the model, the label
loader and the interop readers all build on it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .errors import LabelError

SCHEMA_FILE = "schema.json"
#: The largest schema.json read.
MAX_SCHEMA_BYTES = 5_000_000
#: What a paragraph of an article is; only ``content`` paragraphs carry themes and a stance.
KINDS = ("content", "heading", "boilerplate")
HASH_CHARS = 16

#: Builds the error for a problem found in one record (it knows the file and line).
Fail = Callable[[str], LabelError]


def text_hash(text: str) -> str:
    """The hash a corpus record keeps of its paragraph: the first 16 hex digits of SHA-256.

    >>> text_hash("The army moved in.")
    '61f3a34b3e919d5f'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:HASH_CHARS]


@dataclass(frozen=True)
class Schema:
    """The label set: theme names, stance values, and optional cue terms for each.

    ``null_stance`` is the stance that means "takes no side"; the keyword
    baseline and the article-level rules use it.

    >>> schema = Schema.from_dict({"themes": ["security"], "stances": ["pro", "con", "none"], "null_stance": "none"})
    >>> schema.themes, schema.stances, schema.null_stance
    (('security',), ('pro', 'con', 'none'), 'none')
    """

    themes: tuple[str, ...]
    stances: tuple[str, ...]
    null_stance: str
    theme_cues: dict[str, tuple[str, ...]] = field(default_factory=dict)
    stance_cues: dict[str, tuple[str, ...]] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    name: str = ""

    def to_dict(self) -> dict:
        """The schema as a plain dict, as in schema.json and metadata.json (read back by :meth:`from_dict`)."""
        return {
            "name": self.name,
            "themes": {
                t: {"description": self.descriptions.get(t, ""), "cues": list(self.theme_cues.get(t, ()))}
                for t in self.themes
            },
            "stances": {
                s: {"description": self.descriptions.get(f"stance:{s}", ""), "cues": list(self.stance_cues.get(s, ()))}
                for s in self.stances
            },
            "null_stance": self.null_stance,
        }

    @classmethod
    def from_dict(cls, data: object, *, path: str = "<schema>") -> "Schema":
        """The schema of parsed schema.json data: themes and stances as lists of names or objects of entries.

        ``null_stance`` defaults to ``"neutral"`` when there is one; anything malformed raises LabelError at ``path``.
        """
        if not isinstance(data, dict):
            raise LabelError('a schema is a JSON object with "themes" and "stances"', path=path)
        themes = _named_entries(data.get("themes"), "themes", path)
        stances = _named_entries(data.get("stances"), "stances", path)
        if not stances:
            raise LabelError('"stances" needs at least one value', path=path)
        null_stance = data.get("null_stance", "neutral" if "neutral" in stances else None)
        if null_stance is None:
            raise LabelError(
                f'no stance is called "neutral": name the one that takes no side, e.g. "null_stance": {json.dumps(next(iter(stances)))}',
                path=path,
            )
        if not isinstance(null_stance, str) or null_stance not in stances:
            raise LabelError(
                f'"null_stance" must be one of the stances {sorted(stances)}, got {null_stance!r}', path=path
            )
        overlap = set(themes) & set(stances)
        if overlap:
            raise LabelError(f"names used both as theme and stance: {sorted(overlap)}", path=path)
        descriptions = {t: v.get("description", "") for t, v in themes.items()}
        descriptions.update({f"stance:{s}": v.get("description", "") for s, v in stances.items()})
        return cls(
            themes=tuple(themes),
            stances=tuple(stances),
            null_stance=null_stance,
            theme_cues={t: tuple(v.get("cues", ())) for t, v in themes.items()},
            stance_cues={s: tuple(v.get("cues", ())) for s, v in stances.items()},
            descriptions=descriptions,
            name=_name(data.get("name", ""), path),
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Schema":
        """Read a ``schema.json`` (or the one in a folder)."""
        from .io import read_bounded

        path = Path(path)
        if path.is_dir():
            path = path / SCHEMA_FILE
        if not path.exists():
            raise LabelError(f"no schema file; write a {SCHEMA_FILE} (see labels/{SCHEMA_FILE})", path=str(path))
        raw, _ = read_bounded(path, LabelError, limit=MAX_SCHEMA_BYTES)
        try:
            data = json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise LabelError(f"schema is not valid UTF-8 JSON: {exc}", path=str(path)) from None
        except (ValueError, RecursionError) as exc:
            raise LabelError(
                f"schema is not JSON themetag can read ({type(exc).__name__}: {str(exc)[:100]})", path=str(path)
            ) from None
        return cls.from_dict(data, path=str(path))


def _name(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise LabelError('"name" must be a string', path=path)
    return value


#: Characters a theme or stance name may not hold: tables join and split a paragraph's themes with them.
NAME_SEPARATORS = (";", ",", "|")


def _named_entries(value: object, what: str, path: str) -> dict[str, dict]:
    """Accept {"name": {"cues": [...]}, ...} or ["name", ...]; names must be plain identifiers."""
    if isinstance(value, list):
        odd = next((name for name in value if not isinstance(name, str)), None)
        if odd is not None:
            raise LabelError(f'"{what}" lists names (strings), got {json.dumps(odd)[:80]}', path=path)
        value = {name: {} for name in value}
    if not isinstance(value, dict):
        raise LabelError(f'"{what}" must be an object of names or a list of names', path=path)
    for name, spec in value.items():
        if not isinstance(name, str) or not name or name.strip() != name:
            raise LabelError(f"{what} name {name!r} must be a non-empty string without surrounding spaces", path=path)
        if not name.isprintable() or any(c in name for c in NAME_SEPARATORS):
            # Tables join a paragraph's themes with these (and import splits on them); a control character makes
            # Label Studio's XML config invalid.
            raise LabelError(
                f"{what} name {name!r} must be printable and hold none of {' '.join(NAME_SEPARATORS)}", path=path
            )
        if not isinstance(spec, dict):
            raise LabelError(f'{what} entry {name!r} must be an object (e.g. {{"cues": [...]}})', path=path)
        cues = spec.get("cues", [])
        if not isinstance(cues, list) or not all(isinstance(c, str) and c.strip() for c in cues):
            raise LabelError(f"cues of {name!r} must be a list of non-empty strings", path=path)
        if not isinstance(spec.get("description", ""), str):
            raise LabelError(f"the description of {name!r} must be a string", path=path)
    return value


def check_record_labels(
    kind: object, themes: object, stance: object, schema: Schema | None, fail: Fail, *, labeled: bool
) -> tuple[str, list[str], str | None]:
    """Check one record's kind, themes and stance; return them normalised (themes in the schema's order).

    ``labeled`` demands a finished label: a stance on every content paragraph.
    Paragraphs still to be labeled (``labeled=False``) may leave it out.
    Without a schema, any theme and stance names pass. A missing kind means
    content; missing themes mean none.

    >>> schema = Schema(("militarization", "corruption"), ("favor", "against", "neutral"), "neutral")
    >>> check_record_labels("content", ["corruption", "militarization"], "neutral", schema, ValueError, labeled=True)
    ('content', ['militarization', 'corruption'], 'neutral')
    """
    kind = "content" if kind is None else kind
    if isinstance(kind, str) and kind.lower() in KINDS:
        kind = kind.lower()  # "Content" from a spreadsheet, as theme and stance names match ignoring case
    if kind not in KINDS:
        raise fail(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    if themes is None:
        themes = []
    if not isinstance(themes, list) or not all(isinstance(t, str) for t in themes):
        raise fail(f'"themes" must be a list of theme names, got {themes!r}')
    if len(set(themes)) != len(themes):
        raise fail(f"theme listed twice in {themes!r}")
    if schema is not None:
        unknown = [t for t in themes if t not in schema.themes]
        if unknown:
            raise fail(f"unknown theme {unknown[0]!r}; the schema's themes are {', '.join(schema.themes)}")
        themes = [t for t in schema.themes if t in themes]
    if stance is not None and (not isinstance(stance, str) or (schema is not None and stance not in schema.stances)):
        choices = f"; the schema's stances are {', '.join(schema.stances)}" if schema is not None else ""
        raise fail(f"unknown stance {stance!r}{choices}")
    if kind == "content":
        if stance is None and labeled:
            stances = ", ".join(schema.stances) if schema is not None else "a stance"
            raise fail(f"a content paragraph needs a stance ({stances}); choose one, or mark the paragraph's kind")
    elif themes or stance is not None:
        raise fail(
            f'a {kind} paragraph carries no themes or stance: set "themes": [] and "stance": null, or set its kind to content'
        )
    return kind, list(themes), stance
