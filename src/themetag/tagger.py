"""Tagger: load / save / tag; the model directory format.

A model is a directory::

    model.joblib     the fitted pipelines, thresholds and schema (themetag.train.FittedModels)
    metadata.json    format version; themetag, scikit-learn, nltk, Python versions; schema;
                     label-data hash; training parameters; cross-validation metrics
    README.md        the model card

``model.joblib`` is a pickle: load model directories only from sources you
trust (see the README's Security section).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Iterable, Sequence

import joblib
import numpy as np

from .errors import InputError, ModelError
from .labels import Schema
from .segment import Paragraph, segment
from .train import FittedModels, TrainConfig

FORMAT_VERSION = 1
MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
CARD_FILE = "README.md"


@dataclass(frozen=True)
class ParagraphTags:
    """The tags of one paragraph: kind; for content, themes and stance with their probabilities."""

    text: str
    kind: str
    themes: list[str] = field(default_factory=list)
    theme_scores: dict[str, float] = field(default_factory=dict)
    stance: str | None = None
    stance_scores: dict[str, float] = field(default_factory=dict)
    index: int | None = None

    def to_dict(self) -> dict:
        return {
            "index": self.index,
            "kind": self.kind,
            "themes": list(self.themes),
            "theme_scores": dict(self.theme_scores),
            "stance": self.stance,
            "stance_scores": dict(self.stance_scores),
            "text": self.text,
        }


#: A theme is dominant in an article when at least this share of its content paragraphs carry it.
DOMINANT_THEME_SHARE = 0.2


@dataclass(frozen=True)
class ArticleTags:
    """An article's paragraphs with their tags, and what they add up to.

    Article stance rule: the side (a stance other than the schema's null
    stance) held by the most content paragraphs, if it is held by at least
    two of them or a tenth of them, and by more paragraphs than any other
    side; otherwise the null stance.
    """

    paragraphs: list[ParagraphTags]
    theme_shares: dict[str, float]
    dominant_themes: list[str]
    stance: str | None
    stance_counts: dict[str, int]
    counts: dict[str, int]
    id: str | None = None

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "dominant_themes": list(self.dominant_themes),
            "theme_shares": dict(self.theme_shares),
            "stance": self.stance,
            "stance_counts": dict(self.stance_counts),
            "counts": dict(self.counts),
            "paragraphs": [p.to_dict() for p in self.paragraphs],
        }


def summarize(paragraphs: list[ParagraphTags], schema: Schema, id: str | None = None) -> ArticleTags:
    content = [p for p in paragraphs if p.kind == "content"]
    n = len(content)
    shares = {t: round(sum(t in p.themes for p in content) / n, 4) if n else 0.0 for t in schema.themes}
    dominant = sorted((t for t, v in shares.items() if v >= DOMINANT_THEME_SHARE and v > 0), key=lambda t: -shares[t])
    stance_counts = {s: sum(p.stance == s for p in content) for s in schema.stances}
    sides = sorted((s for s in schema.stances if s != schema.null_stance), key=lambda s: -stance_counts[s])
    stance = schema.null_stance if n else None
    if sides and n:
        top = sides[0]
        runner_up = stance_counts[sides[1]] if len(sides) > 1 else 0
        if stance_counts[top] > runner_up and (stance_counts[top] >= 2 or stance_counts[top] >= 0.1 * n):
            stance = top
    counts = {"paragraphs": len(paragraphs), **{k: sum(p.kind == k for p in paragraphs) for k in ("content", "heading", "boilerplate")}}
    return ArticleTags(paragraphs, shares, dominant, stance, stance_counts, counts, id)


def default_model_path() -> Path:
    """The model shipped inside the package."""
    return Path(str(resources.files("themetag") / "models" / "default"))


class Tagger:
    """Tags paragraphs (and articles) with a fitted model.

    >>> tagger = load()  # the shipped model
    >>> [t.kind for t in tagger.tag_paragraphs(["The army destroyed coca fields."])]
    ['content']
    """

    def __init__(self, models: FittedModels, metadata: dict | None = None, path: Path | None = None):
        self.models = models
        self.metadata = metadata or {}
        self.path = path

    @property
    def schema(self) -> Schema:
        return self.models.schema

    # ------------------------------------------------------------------ tagging

    def tag_paragraphs(self, texts: Sequence[str], *, kinds: Sequence[str] | None = None) -> list[ParagraphTags]:
        """Tag paragraph texts. ``kinds`` (e.g. from the segmenter) overrides the kind model.

        Only content paragraphs get themes and a stance.
        """
        if isinstance(texts, str):
            raise InputError("tag_paragraphs() takes a list of paragraph texts, got a single str; wrap it in a list")
        texts = list(texts)
        if not all(isinstance(t, str) for t in texts):
            raise InputError("tag_paragraphs() takes paragraph texts as str")
        if kinds is None:
            kinds = self._predict_kinds(texts)
        elif len(kinds) != len(texts):
            raise InputError(f"got {len(kinds)} kinds for {len(texts)} paragraphs")
        content = [i for i, k in enumerate(kinds) if k == "content"]
        out: list[ParagraphTags] = [ParagraphTags(text=t, kind=k) for t, k in zip(texts, kinds)]
        if content:
            content_texts = [texts[i] for i in content]
            proba = self.models.theme_probabilities(content_texts)
            decisions = self.models.theme_decisions(proba)
            classes, stance_p = self.models.stance_probabilities(content_texts)
            themes = self.schema.themes
            for row, i in enumerate(content):
                out[i] = ParagraphTags(
                    text=texts[i],
                    kind="content",
                    themes=[t for j, t in enumerate(themes) if decisions[row, j]],
                    theme_scores={t: round(float(proba[row, j]), 4) for j, t in enumerate(themes)},
                    stance=classes[int(np.argmax(stance_p[row]))],
                    stance_scores={c: round(float(stance_p[row, j]), 4) for j, c in enumerate(classes)},
                )
        return out

    def tag(self, text: str, *, id: str | None = None) -> ArticleTags:
        """Segment an article (text or HTML), tag its paragraphs, and sum them up.

        Kinds come from the segmenter's rules or the kind model, whichever
        measured better in cross-validation (``metadata.json``: kind_source).
        """
        if not isinstance(text, str):
            raise InputError(f"tag() takes the article as str, got {type(text).__name__}")
        return summarize(self.tag_article_paragraphs(text), self.schema, id)

    def tag_many(self, texts: Iterable[str]) -> Iterable[ArticleTags]:
        """Tag articles one at a time as they come: an iterator in, an iterator out."""
        for text in texts:
            yield self.tag(text)

    def tag_article_paragraphs(self, text: str) -> list[ParagraphTags]:
        """Segment an article (text or HTML) and tag its paragraphs, kinds from the segmenter's rules or the model."""
        paragraphs: list[Paragraph] = segment(text)
        texts = [p.text for p in paragraphs]
        kinds = [p.kind for p in paragraphs] if self.models.kind_source == "rules" else None
        tags = self.tag_paragraphs(texts, kinds=kinds)
        return [replace(t, index=p.index) for t, p in zip(tags, paragraphs)]

    def _predict_kinds(self, texts: list[str]) -> list[str]:
        if not texts:
            return []
        if self.models.kind is None:
            return ["content"] * len(texts)
        return [str(k) for k in self.models.kind.predict(texts)]

    # ------------------------------------------------------------------ persistence

    def save(self, path: str | os.PathLike, *, card: str | None = None) -> Path:
        """Write the model directory atomically: a temporary sibling, then one rename over the target."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            tmp.chmod(0o755)  # mkdtemp makes it private; a model directory is for reading by anyone
            joblib.dump(self.models, tmp / MODEL_FILE, compress=3)
            (tmp / METADATA_FILE).write_text(json.dumps(self.metadata, indent=2, sort_keys=True, default=_json_default) + "\n")
            if card is not None:
                (tmp / CARD_FILE).write_text(card, encoding="utf-8")
            if target.exists():
                backup = target.with_name(target.name + ".previous")
                if backup.exists():
                    shutil.rmtree(backup)
                target.rename(backup)
                tmp.rename(target)
                shutil.rmtree(backup)
            else:
                tmp.rename(target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self.path = target
        return target


def _json_default(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def versions() -> dict:
    import nltk
    import sklearn

    from . import __version__

    return {"themetag": __version__, "scikit-learn": sklearn.__version__, "nltk": nltk.__version__, "python": platform.python_version()}


def load(path: str | os.PathLike | None = None) -> Tagger:
    """Load a model directory; ``None`` loads the model shipped with themetag."""
    directory = default_model_path() if path is None else Path(path)
    if not directory.is_dir():
        raise ModelError(f"{directory}: not a model directory (expected a folder with {MODEL_FILE} and {METADATA_FILE})")
    model_file, meta_file = directory / MODEL_FILE, directory / METADATA_FILE
    if not model_file.is_file() or not meta_file.is_file():
        raise ModelError(f"{directory}: not a themetag model: {MODEL_FILE} or {METADATA_FILE} is missing")
    try:
        metadata = json.loads(meta_file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{meta_file}: unreadable metadata ({exc})") from None
    if metadata.get("format_version") != FORMAT_VERSION:
        raise ModelError(
            f"{directory}: model format {metadata.get('format_version')!r}, this themetag reads format {FORMAT_VERSION}; "
            "retrain it with `themetag train`"
        )
    try:
        models = joblib.load(model_file)
    except Exception as exc:  # a truncated or foreign file fails in many ways inside unpickling
        raise ModelError(f"{model_file}: cannot load the fitted model ({type(exc).__name__}: {exc}); retrain with `themetag train`") from None
    if not isinstance(models, FittedModels):
        raise ModelError(f"{model_file}: holds a {type(models).__name__}, not a themetag model")
    return Tagger(models, metadata, directory)


def build_metadata(models: FittedModels, *, label_fingerprint: str, label_sources: dict, cv_summary: dict | None) -> dict:
    return {
        "format_version": FORMAT_VERSION,
        "versions": versions(),
        "schema": models.schema.to_dict(),
        "labels": {"sha256": label_fingerprint, **label_sources},
        "training": models.config.to_dict(),
        "theme_thresholds": models.theme_thresholds,
        "kind_source": models.kind_source,
        "cv": cv_summary,
    }


_cached_default: Tagger | None = None


def tag(text: str) -> ArticleTags:
    """Tag an article with the shipped model (loaded once, then cached).

    >>> import themetag
    >>> themetag.tag("The army eradicated coca in the valley.").counts["content"]
    1
    """
    global _cached_default
    if _cached_default is None:
        _cached_default = load()
    return _cached_default.tag(text)
