"""The whole training run, as ``themetag train`` and ``themetag evaluate`` do it.

labels → (grouped cross-validation) → fit on all labels → metadata and model
card → model directory, saved atomically. Each step is a function of its own
module; this one only puts them in order, so the CLI and the Python API run
the same sequence.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Sequence

from .card import model_card
from .config import TrainConfig
from .evaluation import (
    CVReport,
    choose_kind_source,
    cross_validate,
    learning_curve,
    leave_one_source_out,
)
from .labels import LabelSet, load_labels, source_of
from .language import main_languages
from .model import Model
from .store import build_metadata, check_model_target, output_lock
from .tagger import Tagger
from .training import check_label_size, check_source_weights, fit

LabelDirs = str | Path | Sequence[str | Path]


def train_model(
    labels: LabelSet,
    config: TrainConfig = TrainConfig(),
    *,
    evaluate: bool = True,
    loso: bool = False,
    curve: bool = False,
    cv_summary: dict | None = None,
    progress=None,
) -> tuple[Model, CVReport | None]:
    """Cross-validate (optional; with ``loso`` also leave one source out, with ``curve`` a learning curve), then fit on all labels.

    Returns ``(model, report or None)``. Kinds come from the segmenter's rules
    unless the learned kind model beat them in the cross-validation (or, with
    ``evaluate=False``, in ``cv_summary``: an earlier evaluation's numbers).
    """
    if not evaluate:  # (evaluate_labels checks them before its folds)
        check_source_weights(labels.examples, config)
    report = evaluate_labels(labels, config, loso=loso, curve=curve, progress=progress) if evaluate else None
    if progress:
        progress("fitting on all labels")
    kind_source = choose_kind_source(report if report is not None else cv_summary)
    model = fit(labels.examples, labels.schema, config, kind_model=kind_source == "model")
    model.kind_source = kind_source
    return model, report


def evaluate_labels(
    labels: LabelSet, config: TrainConfig = TrainConfig(), *, loso: bool = False, curve: bool = False, progress=None
) -> CVReport:
    """Grouped cross-validation, and optionally leave-one-source-out and a learning curve, in one report."""
    check_label_size(labels.examples, config)  # before the folds: each would fit most of the labels
    check_source_weights(labels.examples, config)
    report = cross_validate(labels, config, progress=progress)
    if loso:
        report.loso = leave_one_source_out(labels, config, progress=progress)
    if curve:
        report.curve = learning_curve(labels, config, progress=progress)
    return report


def label_summary(labels: LabelSet) -> dict:
    """What a model was trained on, in counts: stored in its metadata.json and shown in its card."""
    content = labels.content()
    return {
        "sha256": labels.fingerprint(),
        "examples": len(labels.examples),
        "content": len(content),
        "documents": len({e.doc for e in labels.examples}),
        "per_source": dict(Counter(source_of(e) for e in labels.examples)),
        "per_annotator": labels.per_annotator(),
        "per_theme": {t: sum(t in e.themes for e in content) for t in labels.schema.themes},
        "per_stance": {s: sum(e.stance == s for e in content) for s in labels.schema.stances},
    }


def train(
    labels: LabelDirs | LabelSet,
    *,
    out: str | Path | None = None,
    corpus_dir: str | Path | None = None,
    articles_dir: str | Path | None = None,
    config: TrainConfig = TrainConfig(),
    evaluate: bool = True,
    loso: bool = False,
    curve: bool = False,
    cv_summary: dict | None = None,
    progress=None,
    keep_previous: bool = False,
) -> tuple[Tagger, CVReport | None]:
    """Train a Tagger from label directories (or a loaded LabelSet); with ``out``, save it there (atomically).

    Returns ``(tagger, report)``; ``report`` is the grouped cross-validation
    (None with ``evaluate=False``; ``loso`` and ``curve`` add leave-one-source-out
    scores and a learning curve to it, and so to the model card). With
    ``evaluate=False``, ``cv_summary`` (an earlier :meth:`CVReport.summary` of
    these labels and settings, e.g. ``evaluate --output``) is stored instead of
    running the cross-validation again. A failed run leaves ``out`` as it was.

    >>> tagger, report = train("labels", corpus_dir="../shared/corpus")  # doctest: +SKIP
    """
    if out is None:
        tagger, report, _ = _train(
            labels, corpus_dir, articles_dir, config, evaluate, loso, curve, cv_summary, progress
        )
        return tagger, report
    target = Path(out)
    # Checked and locked before the minutes of training, so a wrong --out or a second run fails at once.
    check_model_target(target, replace=True, keep_previous=keep_previous)
    with output_lock(target):
        tagger, report, card = _train(
            labels, corpus_dir, articles_dir, config, evaluate, loso, curve, cv_summary, progress
        )
        tagger.save(target, card=card, keep_previous=keep_previous)
    return tagger, report


def _train(
    labels, corpus_dir, articles_dir, config, evaluate, loso, curve, cv_summary, progress
) -> tuple[Tagger, CVReport | None, str]:
    label_set = (
        labels
        if isinstance(labels, LabelSet)
        else load_labels(labels, corpus_dir=corpus_dir, articles_dir=articles_dir)
    )
    model, report = train_model(
        label_set, config, evaluate=evaluate, loso=loso, curve=curve, cv_summary=cv_summary, progress=progress
    )
    # The languages of the content it learned from: articles in others are flagged when tagged.
    languages = main_languages(e.text for e in label_set.examples if e.kind == "content")
    metadata = build_metadata(
        model,
        labels=label_summary(label_set),
        cv_summary=report.summary() if report is not None else cv_summary,
        languages=languages,
    )
    return Tagger(model, metadata), report, model_card(metadata, report, notes=label_set.card_notes)


def evaluate(
    labels: LabelDirs,
    *,
    corpus_dir: str | Path | None = None,
    articles_dir: str | Path | None = None,
    config: TrainConfig = TrainConfig(),
    loso: bool = False,
    curve: bool = False,
    progress=None,
) -> CVReport:
    """Grouped cross-validation of training on these labels, beside the two baselines.

    ``loso`` adds leave-one-source-out scores (the estimate for an outlet not
    in the labels); ``curve`` a learning curve (score against labeled documents).
    """
    label_set = load_labels(labels, corpus_dir=corpus_dir, articles_dir=articles_dir)
    return evaluate_labels(label_set, config, loso=loso, curve=curve, progress=progress)
