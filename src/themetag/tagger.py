"""Tagging with a fitted model: :class:`Tagger` (paragraphs → tags, articles → summed-up tags), the result
classes, the article rule, and :func:`load` / :func:`tag` (the shipped model, cached).

The model folder's format, reading and writing are :mod:`themetag.store`'s.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import itertools
import operator
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from .errors import InputError, ThemetagError
from .language import CONFIDENT
from .language import MAX_CHARS as LANGUAGE_CHARS
from .language import detect as detect_language
from .model import Model
from .schema import KINDS, Schema
from .segmentation import (
    MAX_ARTICLE_PARAGRAPHS,
    METADATA_COLUMNS,
    Paragraph,
    html_metadata,
    looks_like_html,
    segment,
    segment_lines,
    template_key,
)
from .store import read_model_folder


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
    #: With ``explain=N``: per decision ("militarization", "stance:favor"), the N features that weighed
    #: most for it, as (feature, coefficient × feature value). Word n-grams are stemmed; 'quoted'
    #: features are character n-grams; cue:… are the schema's cue phrases.
    explanation: dict[str, list[tuple[str, float]]] | None = None

    def to_dict(self) -> dict:
        """The tags as a plain dict, one key per field; ``explanation`` only when there is one."""
        out = {
            "index": self.index,
            "kind": self.kind,
            "themes": list(self.themes),
            "theme_scores": dict(self.theme_scores),
            "stance": self.stance,
            "stance_scores": dict(self.stance_scores),
            "text": self.text,
        }
        if self.explanation is not None:
            out["explanation"] = {k: [list(f) for f in v] for k, v in self.explanation.items()}
        return out


#: Paragraphs scored together: large enough for NumPy to pay off, small enough to bound memory.
BATCH_PARAGRAPHS = 256

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

    #: A list; for a long text given a line a paragraph, a :class:`StreamedParagraphs` (tagged as it is read).
    paragraphs: Sequence[ParagraphTags]
    theme_shares: dict[str, float]
    dominant_themes: list[str]
    stance: str | None
    stance_counts: dict[str, int]
    counts: dict[str, int]
    id: str | None = None
    #: Share of the article's characters set aside as headings or furniture (not tagged).
    set_aside_share: float = 0.0
    #: Why the article's tags may not speak for it: ``"no_content"`` (no paragraph was kept as content),
    #: ``"other_language"`` (written in a language the model was not trained on) or ``"mostly_set_aside"``
    #: (more than half its text was set aside); None when none of these.
    warning: str | None = None
    #: What the input said of the article (title, date, author, url, ...), passed through to the output.
    metadata: dict = field(default_factory=dict)
    #: The language of its content (ISO 639 code, :func:`themetag.language.detect`), None if it has no letters.
    language: str | None = None
    #: How sure the language detector is of ``language`` (0 to 1).
    language_confidence: float = 0.0
    #: Where the article was read: a file's path, ``path:line`` of a JSON Lines or CSV row, ``path:row N`` of a
    #: Parquet row, ``<stdin>``; None when it was given in Python.
    input: str | None = None

    def to_dict(self) -> dict:
        """The article's tags as a plain dict, its paragraphs' (:meth:`ParagraphTags.to_dict`) included."""
        return {**self.summary_dict(), "paragraphs": [p.to_dict() for p in self.paragraphs]}

    def summary_dict(self) -> dict:
        """:meth:`to_dict` without ``"paragraphs"``: the article's own fields (a writer streams the paragraphs
        after them)."""
        return {
            "id": self.id,
            "input": self.input,
            "metadata": dict(self.metadata),
            "dominant_themes": list(self.dominant_themes),
            "theme_shares": dict(self.theme_shares),
            "stance": self.stance,
            "stance_counts": dict(self.stance_counts),
            "counts": dict(self.counts),
            "set_aside_share": self.set_aside_share,
            "warning": self.warning,
            "language": self.language,
            "language_confidence": self.language_confidence,
        }

    def warning_text(self) -> str | None:
        """The warning as a sentence for a person, or None."""
        if self.warning == "no_content":
            return (
                "no paragraph was kept as content, so nothing was tagged; if each input is one text to tag whole, "
                "use unit='paragraph' (--unit paragraph)"
            )
        if self.warning == "other_language":
            return (
                f"written in {self.language!r} (confidence {self.language_confidence:.2f}), a language the model was "
                "not trained on: its tags are not to be trusted"
            )
        if self.warning == "mostly_set_aside":
            return (
                f"{self.set_aside_share:.0%} of the text was set aside as headings or page furniture; "
                "check the paragraphs (--paragraphs) if that is more than the page's frame"
            )
        return None

    def paragraph_records(self) -> list[dict]:
        """One JSON-ready record per paragraph, keyed like a label record: ``doc`` (the article's id, also as ``id``), ``para``.

        So ``predict --paragraphs`` output goes to ``export-tasks`` and comes
        back as labels grouped by article, as cross-validation needs.
        """
        return list(self.iter_paragraph_records())

    def iter_paragraph_records(self) -> Iterator[dict]:
        """:meth:`paragraph_records` one at a time (for a streamed article, memory holds one)."""
        for p in self.paragraphs:
            record = p.to_dict()
            yield {"id": self.id, "doc": self.id, "para": record.pop("index"), **record, "language": self.language}

    def row(self) -> dict:
        """The article as one flat row (a table's or CSV's): id, dominant themes, stance, theme shares, counts."""
        return {
            "id": self.id,
            "input": self.input or "",
            **{name: self.metadata.get(name, "") for name in METADATA_COLUMNS},
            "language": self.language or "",
            "dominant_themes": ";".join(self.dominant_themes),
            "stance": self.stance or "",
            **{f"share_{t}": v for t, v in self.theme_shares.items()},
            **{f"stance_{s}": n for s, n in self.stance_counts.items()},
            "content_paragraphs": self.counts["content"],
            "warning": self.warning or "",
        }

    def paragraph_rows(self, *, explanation: bool = False) -> list[dict]:
        """One flat row per paragraph: id, the article's title, date, author and url, para, kind, themes
        (``;``-joined), stance, the probabilities (``p_<theme>``, ``p_<stance>``; empty for paragraphs set
        aside), text.

        With ``explanation``, every row also has an ``explanation`` column
        (empty for paragraphs that were not explained), so all rows share one header.
        """
        return [row for _, row in self.iter_paragraph_rows(explanation=explanation)]

    def iter_paragraph_rows(self, *, explanation: bool = False) -> Iterator[tuple[ParagraphTags, dict]]:
        """(paragraph, its :meth:`paragraph_rows` row), one at a time (for a streamed article, memory holds one)."""
        themes, stances = list(self.theme_shares), list(self.stance_counts)
        about = {**{name: self.metadata.get(name, "") for name in METADATA_COLUMNS}, "language": self.language or ""}
        for p in self.paragraphs:
            row = {
                "id": self.id,
                "input": self.input or "",
                **about,
                "para": p.index,
                "kind": p.kind,
                "themes": ";".join(p.themes),
                "stance": p.stance or "",
            }
            row.update({f"p_{t}": p.theme_scores.get(t, "") for t in themes})
            row.update({f"p_{s}": p.stance_scores.get(s, "") for s in stances})
            row["text"] = p.text
            if explanation:
                row["explanation"] = explanation_text(p.explanation) if p.explanation else ""
            yield p, row


def explanation_text(explanation: dict[str, list[tuple[str, float]]]) -> str:
    """``--explain`` on one line: ``militarization: cue:theme:militarization +5.02, polic +0.13 | stance:neutral: ...``."""
    return " | ".join(
        f"{decision}: " + ", ".join(f"{name} {weight:+.2f}" for name, weight in features)
        for decision, features in explanation.items()
    )


#: An article is flagged when more than this share of its characters was set aside.
MOSTLY_SET_ASIDE = 0.5


def round_scores(scores: np.ndarray) -> list:
    """``round(v, 4)`` of every score, as nested lists of Python floats: the very floats ``round`` gives, found for a
    whole array at once.

    ``rint(v × 10⁴) / 10⁴`` is ``round``'s result wherever ``v × 10⁴`` is not within rounding error of a half: then
    the product's rounding cannot change which integer is nearest, and both divide that integer by 10⁴ correctly
    rounded. The rare scores that near a half are rounded by ``round`` itself. (Meant for probabilities and
    other modest numbers: past about 1e300, ``v × 10⁴`` overflows where ``round`` would not.)

    >>> round_scores(np.array([[0.123456, 2.5e-05, 1.0]]))
    [[0.1235, 0.0, 1.0]]
    """
    scaled = scores * 1e4
    rounded = np.rint(scaled) / 1e4
    near_half = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    for at in zip(*np.nonzero(near_half)):
        rounded[at] = round(float(scores[at]), 4)
    return rounded.tolist()


#: A text given a line a paragraph (``unit="line"``) with more lines than this is streamed
#: (:class:`StreamedParagraphs`) instead of held in memory.
STREAM_LINES = 10_000
#: Lines a :class:`StreamedParagraphs` tags at a time: memory holds one block (a few MB).
STREAM_BLOCK = 4096


class _LongLines:
    """A segmented article's paragraphs still to come: the text of a long ``unit="line"`` input, to stream."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


class StreamedParagraphs(collections.abc.Sequence):
    """The tagged paragraphs of a long text given a line a paragraph, tagged a block of lines at a time each time
    they are read: memory holds the text and one block however many lines it has.

    It is what :attr:`ArticleTags.paragraphs` is for a ``unit="line"`` text of more than :data:`STREAM_LINES`
    lines: a sequence (``len``, iteration, indexing; a slice gives a list; equal to a list of the same tags), not
    a list (``list(paragraphs)`` makes one, holding them all). Reading it again tags it again with the tagger's
    model, so the same tags unless that model was replaced. Indexing one paragraph reads the lines up to it.
    """

    __hash__ = None  # compared by value, as a list is

    def __init__(self, tagger: "Tagger", text: str, explain: int = 0, length: int | None = None):
        self._tagger, self._text, self._explain = tagger, text, explain
        self._length = length  # counted when first asked, unless known

    def __iter__(self) -> Iterator[ParagraphTags]:
        block: list[Paragraph] = []
        for p in segment_lines(self._text):
            block.append(p)
            if len(block) == STREAM_BLOCK:
                yield from self._tagged(block)
                block = []
        if block:
            yield from self._tagged(block)

    def _tagged(self, block: list[Paragraph]) -> list[ParagraphTags]:
        texts = [p.text for p in block]
        return self._tagger._tag_texts(texts, ["content"] * len(texts), [p.index for p in block], self._explain)

    def __len__(self) -> int:
        if self._length is None:
            self._length = sum(1 for _ in segment_lines(self._text))
        return self._length

    def __getitem__(self, at):
        if isinstance(at, slice):
            start, stop, step = at.indices(len(self))
            if step < 0:
                return list(self)[at]
            return list(itertools.islice(self, start, stop, step))
        at = operator.index(at)  # a TypeError for a str or float, as a list gives
        length = len(self)
        if not -length <= at < length:
            raise IndexError("paragraph index out of range")
        at %= length
        return next(itertools.islice(self, at, None))

    # The mixins' versions of these index from the start at every step (quadratic): one reading each instead.
    def index(self, value, start: int = 0, stop: int | None = None) -> int:
        """The position of the first paragraph equal to ``value`` (between ``start`` and ``stop``), as list.index."""
        start, stop, _ = slice(start, stop).indices(len(self))
        for k, p in enumerate(itertools.islice(self, start, stop), start):
            if p == value:
                return k
        raise ValueError(f"{value!r} is not among the paragraphs")

    def count(self, value) -> int:
        """How many paragraphs are equal to ``value``."""
        return sum(1 for p in self if p == value)

    def __reversed__(self) -> Iterator[ParagraphTags]:
        return reversed(list(self))

    def __eq__(self, other) -> bool:
        if other is self:
            return True
        if not isinstance(other, (list, tuple, StreamedParagraphs)):
            return NotImplemented
        if len(self) != len(other):
            return False
        return all(a == b for a, b in zip(self, other))

    def __repr__(self) -> str:
        return f"<StreamedParagraphs: {len(self):,} lines, tagged as they are read>"


def opening(texts: Iterable[str], size: int = LANGUAGE_CHARS) -> str:
    """The texts joined by line breaks, as far as the first ``size`` characters (what the language detector reads):
    the rest of a long article is never joined."""
    parts: list[str] = []
    joined = 0
    for text in texts:
        parts.append(text)
        joined += len(text) + 1
        if joined > size:
            break
    return "\n".join(parts)


def summarize(
    paragraphs: Iterable[ParagraphTags],
    schema: Schema,
    id: str | None = None,
    metadata: dict | None = None,
    language: tuple[str | None, float] = (None, 0.0),
    languages: Sequence[str] = (),
) -> ArticleTags:
    """The article's tags from its paragraphs' (the article rule: :class:`ArticleTags`). ``language``: the detected
    (code, confidence); ``languages``: the model's; a confident detection of another language is the warning
    ``other_language``. ``paragraphs`` is read once and kept as the result's: a list, or a sequence that can be
    read again (:class:`StreamedParagraphs`)."""
    # One pass over the paragraphs (this runs once per article of a stream, and its cost is per article).
    of_kind = dict.fromkeys(KINDS, 0)
    with_theme = dict.fromkeys(schema.themes, 0)  # content paragraphs that carry each theme
    stance_counts = dict.fromkeys(schema.stances, 0)
    n = total = set_aside_chars = seen = 0
    for p in paragraphs:
        seen += 1
        total += len(p.text)
        if p.kind in of_kind:
            of_kind[p.kind] += 1
        if p.kind != "content":
            set_aside_chars += len(p.text)
            continue
        n += 1
        for t in with_theme:
            if t in p.themes:
                with_theme[t] += 1
        if p.stance in stance_counts:
            stance_counts[p.stance] += 1
    shares = {t: round(c / n, 4) if n else 0.0 for t, c in with_theme.items()}
    dominant = sorted((t for t, v in shares.items() if v >= DOMINANT_THEME_SHARE and v > 0), key=lambda t: -shares[t])
    sides = sorted((s for s in schema.stances if s != schema.null_stance), key=lambda s: -stance_counts[s])
    stance = schema.null_stance if n else None
    if sides and n:
        top = sides[0]
        runner_up = stance_counts[sides[1]] if len(sides) > 1 else 0
        if stance_counts[top] > runner_up and (stance_counts[top] >= 2 or stance_counts[top] >= 0.1 * n):
            stance = top
    counts = {"paragraphs": seen, **of_kind}
    set_aside = round(set_aside_chars / total, 4) if total else 0.0
    code, confidence = language
    foreign = bool(languages) and code is not None and code not in languages and confidence >= CONFIDENT
    warning = (
        "no_content"
        if not n
        else "other_language"
        if foreign
        else "mostly_set_aside"
        if set_aside > MOSTLY_SET_ASIDE
        else None
    )
    return ArticleTags(
        paragraphs,
        shares,
        dominant,
        stance,
        stance_counts,
        counts,
        id,
        set_aside,
        warning,
        dict(metadata or {}),
        code,
        confidence,
    )


def _article_parts(k: int, item) -> tuple:
    """(id, text, metadata) of one of tag_many's articles: a text, an (id, text) pair, an (id, text, metadata)
    triple, or a dict with "text"."""
    if isinstance(item, str):
        return None, item, None
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], str):
        return (None if item[0] is None else str(item[0])), item[1], None
    if isinstance(item, tuple) and len(item) == 3 and isinstance(item[1], str) and isinstance(item[2], dict):
        from .io import scalar_fields

        # Metadata given apart from the id and text may hold fields named "id" or "text" of its own: kept.
        return (None if item[0] is None else str(item[0])), item[1], scalar_fields(item[2], skip=())
    if isinstance(item, dict) and isinstance(item.get("text"), str):
        from .io import scalar_fields

        ident = item.get("id")
        return (None if ident is None else str(ident)), item["text"], scalar_fields(item)
    raise InputError(
        f'tag_many(): article {k} must be a text, an (id, text) pair, an (id, text, metadata) triple or a dict with "text", got {type(item).__name__}'
    )


class Tagger:
    """Tags paragraphs (and articles) with a fitted model.

    >>> tagger = load()  # the shipped model
    >>> [t.kind for t in tagger.tag_paragraphs(["The army destroyed coca fields."])]
    ['content']
    """

    def __init__(self, model: Model, metadata: dict | None = None, path: Path | None = None):
        self.model = model
        self.metadata = metadata or {}
        self.path = path
        #: Most paragraphs one article may have (:data:`~themetag.segmentation.MAX_ARTICLE_PARAGRAPHS`): a bound on
        #: the memory one article takes; an article past it is refused (an InputError in its place). Text given
        #: with ``unit="line"`` is streamed instead (:class:`StreamedParagraphs`), with no such limit.
        self.max_paragraphs = MAX_ARTICLE_PARAGRAPHS

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the model was trained on (metadata.json's ``languages``); empty when not recorded (a model
        made before languages were), and then no article is flagged for its language."""
        found = self.metadata.get("languages")
        return tuple(x for x in found if isinstance(x, str)) if isinstance(found, list) else ()

    @property
    def schema(self) -> Schema:
        """The model's schema: the themes and stances this tagger gives."""
        return self.model.schema

    # ------------------------------------------------------------------ tagging

    def tag_paragraphs(
        self, texts: Sequence[str], *, kinds: Sequence[str] | None = None, explain: int = 0
    ) -> list[ParagraphTags]:
        """Tag paragraph texts. ``kinds`` (e.g. from the segmenter) overrides the kind model.

        Only content paragraphs get themes and a stance; with ``explain=N`` also
        the N features that weighed most in each of their decisions.
        """
        if isinstance(texts, str):
            raise InputError("tag_paragraphs() takes a list of paragraph texts, got a single str; wrap it in a list")
        texts = list(texts)
        if not all(isinstance(t, str) for t in texts):
            raise InputError("tag_paragraphs() takes paragraph texts as str")
        if kinds is not None and len(kinds) != len(texts):
            raise InputError(f"got {len(kinds)} kinds for {len(texts)} paragraphs")
        return self._tag_texts(texts, kinds, [None] * len(texts), explain)

    def _tag_texts(
        self, texts: list[str], kinds: Sequence[str] | None, indices: Sequence[int | None], explain: int
    ) -> list[ParagraphTags]:
        if kinds is None:
            kinds = self._predict_kinds(texts)
        # Content paragraphs are made below, once scored; the rest are made here.
        out: list = [
            None if k == "content" else ParagraphTags(t, k, [], {}, None, {}, i)
            for t, k, i in zip(texts, kinds, indices)
        ]
        content_all = [i for i, k in enumerate(kinds) if k == "content"]
        model, themes = self.model, self.schema.themes
        # Batches bound the feature arrays' memory however long the article (a 10 MB one has ~10,000 paragraphs).
        for start in range(0, len(content_all), BATCH_PARAGRAPHS):
            content = content_all[start : start + BATCH_PARAGRAPHS]
            rows = model.transform([texts[i] for i in content])
            proba, classes, stance_p = model.theme_and_stance_probabilities(rows)
            decisions = model.theme_decisions(proba).tolist()
            stances = model.stance_decisions(classes, stance_p)
            for row, (i, theme_row, stance_row, decided) in enumerate(
                zip(content, round_scores(proba), round_scores(stance_p), decisions)
            ):
                tagged = [t for t, d in zip(themes, decided) if d]
                stance = stances[row]
                explanation = None
                if explain:
                    explanation = {t: model.explain(rows, row, "themes", t, explain) for t in tagged}
                    explanation[f"stance:{stance}"] = model.explain(rows, row, "stance", stance, explain)
                out[i] = ParagraphTags(
                    texts[i],
                    "content",
                    tagged,
                    dict(zip(themes, theme_row)),
                    stance,
                    dict(zip(classes, stance_row)),
                    indices[i],
                    explanation,
                )
        return out

    def tag(
        self, text: str, *, id: str | None = None, unit: str = "article", metadata: dict | None = None, explain: int = 0
    ) -> ArticleTags:
        """Segment an article (text or HTML), tag its paragraphs, and sum them up.

        ``unit`` says what the text is: an ``"article"`` to segment (kinds from
        the segmenter's rules, or the kind model where it measured better), or
        text that is already a ``"paragraph"`` (tagged whole, as content) or
        one paragraph per ``"line"`` (past :data:`STREAM_LINES` lines, its ``paragraphs`` are tagged as they
        are read: :class:`StreamedParagraphs`). ``metadata`` (title, date, ...) is passed
        through to the result; an HTML page's own title, date, author and url
        are read from its ``<head>`` where ``metadata`` does not give them.
        """
        if not isinstance(text, str):
            raise InputError(f"tag() takes the article as str, got {type(text).__name__}")
        return next(self._tag_segmented([self._segmented(id, text, metadata, unit)], unit, explain))

    def tag_many(
        self,
        articles: Iterable[str | tuple[str, str] | dict],
        *,
        unit: str = "article",
        explain: int = 0,
        errors: str = "raise",
        template: Iterable[str] = (),
    ) -> Iterator[ArticleTags]:
        """Tag articles as they come: an iterator in, an iterator out, in the same order (memory flat in corpus size).

        Each article is a text, an ``(id, text)`` pair, an ``(id, text,
        metadata)`` triple, or a dict with ``"text"`` (and ``"id"``; its other
        scalar fields, such as title and date, become the result's metadata). Articles are read a few dozen
        ahead, so that their paragraphs are scored together (NumPy pays off on
        batches of a few hundred). An article that cannot be tagged (not a
        text, too long) raises :class:`~themetag.errors.InputError` where it
        stands, after the articles before it; with ``errors="yield"`` the
        error comes out in its place instead (with ``.index``, the article's
        position) and the rest are still tagged. ``template`` (from
        :func:`themetag.segmentation.collection_template`) names the lines the
        collection repeats across its articles: units with those texts are set
        aside as boilerplate.

        >>> import themetag
        >>> rows = [{"id": "a1", "date": "2020-03-01", "text": "Troops burned coca fields."}, ("a2", "Farmers planted cacao.")]
        >>> [(t.id, t.metadata) for t in themetag.load().tag_many(rows)]
        [('a1', {'date': '2020-03-01'}), ('a2', {})]
        """
        if isinstance(articles, (str, bytes)):
            raise InputError("tag_many() takes an iterable of articles, got a single str; use tag() for one article")
        if errors not in ("raise", "yield"):
            raise ValueError(f"errors must be 'raise' or 'yield', not {errors!r}")
        template = frozenset(template)
        pending: list = []
        waiting = 0  # paragraphs in pending that the models will score
        iterator = iter(articles)
        for k in itertools.count():
            try:
                item = next(iterator)
            except StopIteration:
                break
            except Exception:
                # The input failed part-way (a file went missing, a generator raised): the articles read before it
                # are tagged and given out first, then the error.
                yield from self._tag_segmented(pending, unit, explain, errors, template)
                raise
            try:
                try:
                    article = self._segmented(*_article_parts(k, item), unit)
                except MemoryError:
                    # One article's markup can cost far more than its size (a tag of millions of attributes): it is
                    # the article's error, its memory freed as this unwinds, and the articles after it are tagged.
                    raise InputError(
                        "out of memory while segmenting it (markup that costs far more than its size, such as a tag "
                        "with millions of attributes); split or clean it"
                    ) from None
            except InputError as exc:
                exc.index = k
                pending.append(exc)
                continue
            pending.append(article)
            # A long text of lines is tagged on its own when given out: it ends the batch, so one is held at a time.
            waiting += BATCH_PARAGRAPHS if isinstance(article[2], _LongLines) else len(article[2])
            if waiting >= BATCH_PARAGRAPHS or len(pending) >= BATCH_PARAGRAPHS:
                yield from self._tag_segmented(pending, unit, explain, errors, template)
                pending, waiting = [], 0
        yield from self._tag_segmented(pending, unit, explain, errors, template)

    def _segmented(self, id, text: str, metadata: dict | None, unit: str) -> tuple:
        """(id, metadata, paragraphs) of an article: the work before the models. Empty text is refused, as the
        command line refuses an empty file: a result of no paragraphs would count as an article."""
        if isinstance(text, str) and not text.strip():
            raise InputError("empty text (nothing to segment)")
        if unit == "article" and looks_like_html(text):
            metadata = {**html_metadata(text), **(metadata or {})}
        if unit == "line":
            # Lines need no context to be cut, so a long text of them is streamed (tagged a block at a time when
            # its paragraphs are read) instead of held: no paragraph limit, memory flat in its number of lines.
            first = list(itertools.islice(segment_lines(text), STREAM_LINES + 1))
            return id, metadata, first if len(first) <= STREAM_LINES else _LongLines(text)
        paragraphs: list[Paragraph] = segment(text, unit=unit, max_paragraphs=self.max_paragraphs)
        return id, metadata, paragraphs

    def _tag_segmented(
        self, articles: list, unit: str, explain: int, errors: str = "raise", template: frozenset = frozenset()
    ) -> Iterator[ArticleTags]:
        """Tag the paragraphs of several segmented articles together; yield each article's tags in order."""
        paragraphs = [p for a in articles if not isinstance(a, Exception) and isinstance(a[2], list) for p in a[2]]
        texts = [p.text for p in paragraphs]
        if unit != "article":
            kinds = [p.kind for p in paragraphs]
        else:
            kinds = [p.kind for p in paragraphs] if self.model.kind_source == "rules" else self._predict_kinds(texts)
            if template:  # lines the collection repeats: its site's furniture
                kinds = [
                    "boilerplate" if k == "content" and template_key(t) in template else k for t, k in zip(texts, kinds)
                ]
            memory = self.model.kind_memory
            if memory:  # what people labeled wins
                kinds = [memory.get(template_key(t), k) for t, k in zip(texts, kinds)]
        tags = self._tag_texts(texts, kinds, [p.index for p in paragraphs], explain)
        at = 0
        for article in articles:
            if isinstance(article, Exception):
                if errors == "raise":
                    raise article
                yield article
                continue
            id, metadata, found = article
            if isinstance(found, _LongLines):
                # Every line is content: the language is read from the opening lines, as for any article.
                language = detect_language(opening(p.text for p in segment_lines(found.text)))
                # The summary is made from a first reading, without explanations; the output reads them again.
                summary = summarize(
                    StreamedParagraphs(self, found.text), self.schema, id, metadata, language, self.languages
                )
                yield dataclasses.replace(
                    summary, paragraphs=StreamedParagraphs(self, found.text, explain, summary.counts["paragraphs"])
                )
                continue
            own = tags[at : at + len(found)]
            content = [p.text for p in own if p.kind == "content"] or [p.text for p in own]
            yield summarize(own, self.schema, id, metadata, detect_language(opening(content)), self.languages)
            at += len(found)

    def tag_article_paragraphs(self, text: str, *, unit: str = "article", explain: int = 0) -> list[ParagraphTags]:
        """Segment a text (see :meth:`tag` for ``unit``) and tag its paragraphs, as a list (a long text of lines
        too: use :meth:`tag` to stream it)."""
        return list(self.tag(text, unit=unit, explain=explain).paragraphs)

    def _predict_kinds(self, texts: list[str]) -> list[str]:
        return self.model.kind_predictions(texts) if texts else []

    # ------------------------------------------------------------------ persistence

    def save(self, path: str | os.PathLike, *, card: str | None = None, keep_previous: bool = False) -> Path:
        """Write the model folder; a model already at ``path`` is replaced only once the new one is complete.

        With ``keep_previous`` the replaced model is kept as ``<path>.previous``
        (replacing an older model there), else deleted. A ``path`` holding
        anything but a themetag model is refused, never replaced; see
        :mod:`themetag.store` for the lock, the swap and recovery.
        """
        target = Path(path)
        self.metadata = self.model.save(target, metadata=self.metadata, card=card, keep_previous=keep_previous)
        self.path = target
        return target


def load(path: str | os.PathLike | None = None) -> Tagger:
    """Load a model directory; ``None`` loads the model shipped with themetag.

    Nothing in the directory is executed: ``model.npz`` is read as plain arrays,
    then checked against ``metadata.json`` (format version, label names, array
    shapes, content hash, stemmer). Anything that does not fit raises ModelError.
    """
    metadata, arrays, directory = read_model_folder(path)
    return Tagger(Model.from_stored(metadata, arrays, directory), metadata, directory)


_cached_default: Tagger | None = None


def tag(
    text: str, *, id: str | None = None, unit: str = "article", metadata: dict | None = None, explain: int = 0
) -> ArticleTags:
    """Tag an article with the shipped model (loaded once, then cached); the options are :meth:`Tagger.tag`'s.

    >>> import themetag
    >>> themetag.tag("The army eradicated coca in the valley.").counts["content"]
    1
    >>> themetag.tag("Army enters the VRAEM again", unit="paragraph").paragraphs[0].kind
    'content'
    """
    global _cached_default
    if _cached_default is None:
        _cached_default = load()
    return _cached_default.tag(text, id=id, unit=unit, metadata=metadata, explain=explain)


def tag_frame(frame, *, text: str = "text", id: str | None = None, model=None, unit: str = "article", prefix: str = ""):
    """A pandas DataFrame of articles (one a row) with their tags added as columns: a new frame, same index.

    The columns added are the CSV's tag columns (dominant_themes, stance, ``share_<theme>``,
    ``stance_<stance>`` counts, content_paragraphs, warning) and ``error`` (why a row could not be tagged: an
    empty or missing text), each name after ``prefix``. ``text`` names the column of texts; ``id`` a column of
    ids for the results (else the index). ``model``: a model folder or a loaded :class:`~themetag.tagger.Tagger`
    [default: the shipped model]. Memory: the frame and its tags, not its paragraphs.

    >>> import pandas as pd, themetag
    >>> news = pd.DataFrame({"body": ["Troops burned coca fields.", ""], "outlet": ["El Tiempo", "Semana"]})
    >>> themetag.tag_frame(news, text="body")[["outlet", "dominant_themes", "stance", "error"]]  # doctest: +NORMALIZE_WHITESPACE
          outlet dominant_themes   stance                            error
    0  El Tiempo  militarization  neutral                              NaN
    1     Semana             NaN      NaN  empty text (nothing to segment)
    """
    try:
        import pandas as pd
    except ImportError:
        raise ThemetagError("tag_frame() needs pandas: pip install 'themetag[frames]'") from None
    if text not in frame.columns or (id is not None and id not in frame.columns):
        missing = text if text not in frame.columns else id
        raise ThemetagError(
            f"tag_frame(): no column {missing!r} (the frame's columns: {', '.join(map(str, frame.columns[:10]))})"
        )
    tagger = model if isinstance(model, Tagger) else load(model)
    ids = frame[id] if id is not None else frame.index
    records = [(None if i is None else str(i), t if isinstance(t, str) else "") for i, t in zip(ids, frame[text])]
    skip = {"id", "input", *METADATA_COLUMNS}
    rows = []
    for result in tagger.tag_many(records, unit=unit, errors="yield"):
        if isinstance(result, ThemetagError):
            rows.append({"error": str(result)})
        else:
            rows.append({**{k: v for k, v in result.row().items() if k not in skip}, "error": None})
    tags = pd.DataFrame(rows, index=frame.index)
    tags = tags.rename(columns=lambda c: f"{prefix}{c}")
    clash = [c for c in tags.columns if c in frame.columns]
    if clash:
        raise ThemetagError(
            f"tag_frame(): the frame already has columns {', '.join(clash)}; name a prefix (prefix='tag_')"
        )
    return pd.concat([frame, tags], axis=1)
