"""Closing the labeling loop: what to label next, which labels to look at again, what a retrain changed.

* :func:`suggest` ranks unlabeled paragraphs by how unsure the model is, with a
  penalty for each paragraph already taken from the same article (and no
  near-duplicates), so one long article does not fill the list; paragraphs
  already labeled are skipped and ones that do not read as prose come last.
* :func:`check_labels` ranks labeled paragraphs by how strongly the
  *out-of-fold* predictions disagree with their label: likely label errors.
* :func:`changed_predictions` lists labeled paragraphs that two models tag
  differently.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from .errors import ThemetagError
from .labels import LabelSet
from .tagger import ParagraphTags, Tagger

#: Each paragraph already taken from an article multiplies the next one's priority by this.
SAME_ARTICLE_DISCOUNT = 0.5
#: Paragraphs sharing more than this share of their words with one already taken are skipped.
NEAR_DUPLICATE = 0.8

_WORDS = re.compile(r"\w+")


def uncertainty(tags: ParagraphTags, thresholds: dict[str, float]) -> float:
    """How unsure the model is about a content paragraph, 0 (sure) to 1 (a coin toss).

    The largest of: for each theme, how near its probability is to the
    theme's threshold (1 at the threshold, 0 at 0 or 1); for the stance, one
    minus the margin between the two likeliest stances.
    """
    worst = 0.0
    for theme, p in tags.theme_scores.items():
        cut = thresholds.get(theme, 0.5)
        span = cut if p < cut else 1.0 - cut
        worst = max(worst, 1.0 - abs(p - cut) / span if span > 0 else 0.0)
    scores = sorted(tags.stance_scores.values(), reverse=True)
    if len(scores) >= 2:
        worst = max(worst, 1.0 - (scores[0] - scores[1]))
    return round(worst, 4)


#: A paragraph that does not read as prose (a dateline, a caption, a line of tags) has its priority multiplied by this:
#: the model is often unsure about furniture, and labeling it teaches the themes and stances little.
NOT_PROSE_DISCOUNT = 0.2
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")


def looks_like_prose(text: str) -> bool:
    """Whether a paragraph reads as running text: eight words or more, ending a sentence (or 25 words or more),
    and mostly letters, not digits.

    >>> looks_like_prose("Lima, 3 de septiembre de 2024"), looks_like_prose("Troops burned 300 hectares of coca near the river on Monday.")
    (False, True)
    """
    words = text.split()
    if len(words) < 8:
        return False
    digits = sum(map(str.isdigit, text))
    letters = sum(map(str.isalpha, text))
    if digits > letters / 4:
        return False
    return len(words) >= 25 or bool(_SENTENCE_END.search(text.rstrip()))


#: ``suggest`` keeps the candidates of this many articles per paragraph asked for (the articles whose best
#: candidates rank highest): the picks are those of a search through every candidate unless more than
#: ``n * (SUGGEST_ARTICLES_PER_PICK - 1)`` of those articles' best paragraphs turn out near-duplicates of picks.
SUGGEST_ARTICLES_PER_PICK = 2


def _words_key(words: set[str]) -> bytes:
    """A hash of a paragraph's set of words: paragraphs with the same key are near-duplicates of each other."""
    import hashlib

    return hashlib.blake2b("\x00".join(sorted(words)).encode("utf-8"), digest_size=16).digest()


def _prune(pool: list, n: int, articles: int) -> tuple[list, tuple | None]:
    """The candidates worth keeping, best first, and the rank a newcomer must beat to matter (None: any will do).

    Candidates are ``(-base, doc, index, base, score, tags, key)``. Of those with the same words (``key``) only
    the best-ranked is kept; of each article its ``n`` best (an article gives at most ``n`` picks); and only
    the ``articles`` articles whose best candidates rank highest. When that many are kept, a candidate ranked
    below all their bests is never picked while ``n`` of them are (each is popped before it, its article's
    priority undiscounted): the returned bar is the last of those bests.
    """
    pool.sort(key=lambda c: c[:3])  # best first: (-base, doc, index)
    seen: set[bytes] = set()
    per_doc: dict[str, int] = {}
    kept = []
    bar = None
    for candidate in pool:
        doc, key = candidate[1], candidate[6]
        if key in seen:
            continue  # a better-ranked paragraph has the same words: the search would skip this one
        given = per_doc.get(doc, 0)
        if given >= n or (given == 0 and len(per_doc) >= articles):
            continue
        if given == 0:
            bar = candidate[:3]
        seen.add(key)
        per_doc[doc] = given + 1
        kept.append(candidate)
    return kept, (bar if len(per_doc) >= articles else None)


def suggest(
    tagger: Tagger,
    articles: Iterable[tuple[str, str]],
    n: int = 50,
    *,
    unit: str = "article",
    labeled: Iterable[str] = (),
) -> list[dict]:
    """The ``n`` content paragraphs most worth labeling next, as label records ready to fill in.

    ``articles`` yields (document id, article text). Paragraphs set aside as
    headings or furniture are never suggested, nor those whose text hash
    (:func:`themetag.schema.text_hash`) is in ``labeled`` (already labeled);
    a paragraph that does not read as prose (:func:`looks_like_prose`) comes after
    prose the model is as unsure of. Each record has the label format's fields
    with empty labels (``"themes": []``, ``"stance": null``) and a
    ``"suggested"`` block with the model's guess and its uncertainty, for
    reference: the labeler decides.

    Near-duplicates: of paragraphs with the same words (ignoring case, order
    and punctuation) only the best-ranked is a candidate, and a paragraph
    sharing more than ``NEAR_DUPLICATE`` of its words with one already picked
    is skipped.

    Time is linear in the paragraphs and memory bounded (it does not grow
    with the input): as the articles stream past, only the candidates of the
    ``2 n`` articles whose best candidates rank highest are kept, at most
    ``n`` from each (``SUGGEST_ARTICLES_PER_PICK``), pruned whenever the kept
    list doubles; the picks are then made from those by a heap (priorities
    refreshed only when popped: a paragraph's priority only falls as more of
    its article is taken), each compared only with the at most ``n`` picks.
    """
    import heapq

    from .schema import text_hash

    skip = set(labeled)
    thresholds = {t: float(c) for t, c in zip(tagger.schema.themes, tagger.model.thresholds())}
    keep_articles = SUGGEST_ARTICLES_PER_PICK * n
    pool: list = []
    kept = 0  # the pool's length after the last pruning
    bar = None  # a candidate ranked below this is never picked
    for k, tags in enumerate(tagger.tag_many(articles, unit=unit)):
        doc = tags.id if tags.id is not None else str(k)
        for p in tags.paragraphs:
            if p.kind != "content" or (skip and text_hash(p.text) in skip):
                continue
            score = uncertainty(p, thresholds)
            base = score * (1.0 if looks_like_prose(p.text) else NOT_PROSE_DISCOUNT)
            # Highest priority first; ties by document and position, so the order is reproducible.
            rank = (-base, doc, p.index)
            if bar is not None and rank > bar:
                continue
            pool.append((-base, doc, p.index, base, score, p, _words_key(set(_WORDS.findall(p.text.lower())))))
            if len(pool) >= 2 * max(kept, 512):
                pool, bar = _prune(pool, n, keep_articles)
                kept = len(pool)
    heap, _ = _prune(pool, n, keep_articles)
    del pool
    heapq.heapify(heap)
    taken: list[tuple[float, str, ParagraphTags]] = []
    taken_words: list[set[str]] = []
    per_doc: dict[str, int] = {}
    while heap and len(taken) < n:
        negative, doc, index, base, score, p, _ = heapq.heappop(heap)
        priority = base * SAME_ARTICLE_DISCOUNT ** per_doc.get(doc, 0)
        if priority < -negative:  # its article gave a paragraph since this one was queued: queue it at its new priority
            heapq.heappush(heap, (-priority, doc, index, base, score, p, _))
            continue
        words = set(_WORDS.findall(p.text.lower()))
        if any(len(words & w) > NEAR_DUPLICATE * max(1, min(len(words), len(w))) for w in taken_words):
            continue
        taken.append((score, doc, p))
        taken_words.append(words)
        per_doc[doc] = per_doc.get(doc, 0) + 1
    return [
        {
            "doc": doc,
            "para": p.index,
            "text": p.text,
            "kind": "content",
            "themes": [],
            "stance": None,
            "suggested": {
                "themes": p.themes,
                "stance": p.stance,
                "uncertainty": score,
                "theme_scores": p.theme_scores,
                "stance_scores": p.stance_scores,
            },
        }
        for score, doc, p in taken
    ]


def check_labels(labels: LabelSet, predictions: Sequence[dict], n: int = 50) -> list[dict]:
    """Labeled content paragraphs whose out-of-fold predictions disagree most with their label.

    ``predictions`` are a cross-validation report's rows (``CVReport.predictions``):
    each paragraph scored by a model that never saw its article. Disagreement
    is the largest of: one minus the probability given to the labeled stance;
    for each theme, the probability given to the other answer.
    """
    by_uid = {e.uid: e for e in labels.examples}
    rows = []
    for row in predictions:
        example = by_uid.get(row["uid"])
        if example is None or example.kind != "content" or "stance_scores" not in row:
            continue
        stance_p = row["stance_scores"]
        reasons = [
            (
                1.0 - stance_p.get(example.stance, 0.0),
                f"labeled {example.stance}; out-of-fold {row['stance_pred']} ({stance_p[row['stance_pred']]:.2f})",
            )
        ]
        for theme, p in row["theme_scores"].items():
            if theme in example.themes:
                reasons.append((1.0 - p, f"labeled {theme}; out-of-fold probability {p:.2f}"))
            else:
                reasons.append((p, f"not labeled {theme}; out-of-fold probability {p:.2f}"))
        disagreement, because = max(reasons, key=lambda r: r[0])
        rows.append(
            {
                "where": f"{example.source}:{example.line}",
                "uid": example.uid,
                "disagreement": round(disagreement, 4),
                "because": because,
                "label": {"themes": list(example.themes), "stance": example.stance},
                "predicted": {"themes": row["themes_pred"], "stance": row["stance_pred"]},
                "text": example.text,
            }
        )
    rows.sort(key=lambda r: (-r["disagreement"], r["where"]))
    return rows[:n]


def changed_predictions(previous: Tagger, new: Tagger, labels: LabelSet) -> list[dict]:
    """Labeled content paragraphs that the two models tag differently (themes or stance), with the label."""
    content = labels.content()
    texts = [e.text for e in content]
    kinds = ["content"] * len(texts)
    old = previous.tag_paragraphs(texts, kinds=kinds)
    now = new.tag_paragraphs(texts, kinds=kinds)
    changes = []
    for example, a, b in zip(content, old, now):
        if a.themes != b.themes or a.stance != b.stance:
            changes.append(
                {
                    "where": f"{example.source}:{example.line}",
                    "uid": example.uid,
                    "label": {"themes": list(example.themes), "stance": example.stance},
                    "previous": {"themes": a.themes, "stance": a.stance},
                    "new": {"themes": b.themes, "stance": b.stance},
                    "text": example.text,
                }
            )
    return changes


def agreement_with_labels(changes: list[dict]) -> dict[str, int]:
    """Of the changed paragraphs: how many the new model now gets right, and how many it now gets wrong."""
    fixed = broke = 0
    for c in changes:
        old_right = c["previous"] == c["label"]
        new_right = c["new"] == c["label"]
        fixed += new_right and not old_right
        broke += old_right and not new_right
    return {"changed": len(changes), "now_right": fixed, "now_wrong": broke}


HEADLINE = ("theme_micro_f1", "theme_macro_f1", "stance_macro_f1", "stance_f_avg")


def compare_with_previous(previous: Tagger, new: Tagger, labels: LabelSet, new_cv: dict | None, progress=None) -> dict:
    """The previous model beside a newly trained one, on the same labels.

    Metrics: grouped cross-validation of each model's training configuration
    on *these* labels. The previous model's stored numbers are used when it
    was trained on exactly these labels (same fingerprint); otherwise its
    configuration is cross-validated again here. Changes: the labeled
    paragraphs the two models tag differently.
    """
    from .config import TrainConfig
    from .evaluation import cross_validate

    stored = previous.metadata.get("cv") if isinstance(previous.metadata.get("cv"), dict) else None
    trained_on = previous.metadata.get("labels")
    same_labels = isinstance(trained_on, dict) and trained_on.get("sha256") == labels.fingerprint()
    try:
        config = TrainConfig.from_dict(previous.metadata.get("training") or {})
    except (ThemetagError, TypeError, ValueError) as exc:
        config, unreadable = None, str(exc)
    if stored and (same_labels or config is None):
        how = "stored in the previous model (trained on " + (
            "these same labels)" if same_labels else f"other labels; {unreadable})"
        )
        previous_cv = stored
    elif config is None:
        previous_cv, how = {}, f"not available ({unreadable})"
    else:
        if progress:
            progress("cross-validating the previous model's configuration on these labels")
        previous_cv, how = cross_validate(labels, config).summary(), "its configuration cross-validated on these labels"
    changes = changed_predictions(previous, new, labels)
    return {
        "metrics": {
            k: {"previous": previous_cv.get(k), "new": (new_cv or {}).get(k), "previous_stored": (stored or {}).get(k)}
            for k in HEADLINE
            if k in previous_cv or k in (new_cv or {}) or k in (stored or {})
        },
        # The previous model's own numbers, on the labels it was trained on: beside the re-run when labels changed.
        "stored_differs": bool(stored) and not same_labels,
        "previous_metrics_from": how,
        "changes": changes,
        "summary": agreement_with_labels(changes),
        "content_paragraphs": len(labels.content()),
    }
