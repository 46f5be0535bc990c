"""Labeled paragraphs → a fitted :class:`~themetag.model.Model` (scikit-learn fits; the model is data).

One feature space (fitted on the training content paragraphs) feeds three
scikit-learn logistic regressions, whose weights are copied into a data-only
:class:`~themetag.model.Model`:

* themes — one binary, class-balanced regression per theme (one-vs-rest), with
  a per-theme probability threshold chosen on *inner* out-of-fold predictions
  of the training part only;
* stance — multinomial regression on content paragraphs;
* kind — a regression over all labeled paragraphs, compared in evaluation
  with the segmenter's rules and kept only if it beats them.

Every inner split is by document (``GroupKFold``): no article, speech or page
has paragraphs on both sides. Cross-validation is in :mod:`themetag.evaluation`;
the whole run (labels → fit → card → saved model) in :mod:`themetag.workflow`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold

from .config import CLASSIFIERS, TrainConfig  # noqa: F401  (TrainConfig: also importable from here)
from .errors import LabelError
from .features import FeatureSpace, fit_feature_space
from .labels import Example, source_of
from .metrics import stance_scores
from .model import LinearHead, Model
from .schema import Schema
from .segmentation import template_key


def fit_features(texts: Sequence[str], schema: Schema, config: TrainConfig) -> FeatureSpace:
    """The feature space fitted on ``texts`` with the config's n-gram settings, plus, with ``use_cues``, the
    schema's cue phrases as features (``theme:NAME``, ``stance:NAME``)."""
    cues = None
    if config.use_cues:
        cues = {f"theme:{t}": schema.theme_cues.get(t, ()) for t in schema.themes}
        cues.update({f"stance:{s}": schema.stance_cues.get(s, ()) for s in schema.stances})
        cues = {k: tuple(v) for k, v in cues.items() if v} or None
    return fit_feature_space(
        texts,
        cues=cues,
        word_ngrams=config.word_ngrams,
        char_ngrams=config.char_ngrams,
        min_df=config.min_df,
        cue_weight=config.cue_weight,
    )


#: Texts featurized at once while a training matrix is built: at most about this many characters a batch, so that
#: the featurizer's working arrays (several times the matrix) stay small; the rows are the same in any batching.
_BATCH_CHARS = 2_000_000


def feature_matrix(features: FeatureSpace, texts: Sequence[str]):
    """The texts' feature rows as a SciPy CSR matrix with 32-bit indices (what scikit-learn's solvers take without a
    copy), featurized in batches of about :data:`_BATCH_CHARS` characters: the same matrix as one
    ``features.transform(texts).to_scipy()``, without that call's batch-sized working memory."""
    from scipy import sparse

    pieces, batch, size = [], [], 0
    for text in texts:
        batch.append(text)
        size += len(text)
        if size >= _BATCH_CHARS:
            pieces.append(features.transform(batch))
            batch, size = [], 0
    if batch or not pieces:
        pieces.append(features.transform(batch))
    nnz = sum(len(p.data) for p in pieces)
    index = np.int32 if max(nnz, features.n_features) < 2**31 else np.int64
    indptr = np.zeros(len(texts) + 1, dtype=index)
    indices = np.empty(nnz, dtype=index)
    data = np.empty(nnz, dtype=np.float64)
    row = at = 0
    for piece in pieces:
        n, k = len(piece), len(piece.data)
        indptr[row + 1 : row + n + 1] = piece.indptr[1:] + at
        indices[at : at + k] = piece.indices
        data[at : at + k] = piece.data
        row, at = row + n, at + k
    pieces.clear()
    return sparse.csr_matrix((data, indices, indptr), shape=(len(texts), features.n_features), copy=False)


def check_label_size(examples: Sequence[Example], config: TrainConfig) -> None:
    """Refuse labels whose paragraphs hold more than ``config.max_label_chars`` characters, before any fitting:
    training memory grows with them (the feature matrices and the solvers' copies), up to the bound documented in
    docs/performance.md."""
    total = sum(len(e.text) for e in examples)
    if total > config.max_label_chars:
        raise LabelError(
            f"the labeled paragraphs hold {total:,} characters, more than a training run takes "
            f"(max_label_chars = {config.max_label_chars:,}; memory grows with them, about 36 bytes a character on random text); "
            f"to train on them, raise max_label_chars in a training config file (themetag init-config FILE, "
            f"then train --config FILE)"
        )


def _logreg(c: float, config: TrainConfig, solver: str = "lbfgs") -> LogisticRegression:
    return LogisticRegression(
        C=c, class_weight=config.class_weight, max_iter=3000, solver=solver, random_state=config.seed
    )


def check_source_weights(examples: Sequence[Example], config: TrainConfig) -> None:
    """Refuse a source weight that names no label source: it would silently weigh nothing."""
    sources = sorted({source_of(e) for e in examples})
    annotators = sorted({e.annotator for e in examples})
    unknown = sorted(set(config.source_weights or {}) - set(sources) - set(annotators))
    if unknown:
        of_llm = annotators != ["human"]  # only then is an annotator worth naming (llm:MODEL=W)
        raise LabelError(
            f"source weight for {', '.join(repr(u) for u in unknown)}: no label file {'or annotator ' if of_llm else ''}"
            f"of that name; the sources (label file names without .jsonl) are {', '.join(sources)}"
            + (f", the annotators {', '.join(annotators)}" if of_llm else "")
        )


def sample_weights(examples: Sequence[Example], config: TrainConfig) -> np.ndarray | None:
    """Per-example fitting weights from ``config.source_weights`` (None when every example weighs 1).

    A key names a label file (``my_outlet``) or an annotator (``llm:MODEL``, to
    weigh a language model's labels below people's); an example under both
    weighs their product.
    """
    weights = config.source_weights
    if not weights:
        return None
    return np.array(
        [
            float(weights.get(source_of(e), 1.0))
            * (float(weights.get(e.annotator, 1.0)) if e.annotator != source_of(e) else 1.0)
            for e in examples
        ]
    )


def fit_theme_head(
    X,
    Y: np.ndarray,
    themes: Sequence[str],
    config: TrainConfig,
    weights: np.ndarray | None = None,
    groups: np.ndarray | None = None,
) -> LinearHead:
    """One binary classifier per theme column of ``Y`` (each column must hold both classes)."""
    if config.classifier == "svm":
        return _calibrated_svm(X, Y, list(themes), config.theme_c, config, weights, groups, link="sigmoid")
    coef = np.zeros((X.shape[1], len(themes)))
    intercept = np.zeros(len(themes))
    for j in range(len(themes)):
        estimator = _logreg(config.theme_c, config, solver="liblinear").fit(X, Y[:, j], sample_weight=weights)
        coef[:, j], intercept[j] = estimator.coef_[0], estimator.intercept_[0]
    return LinearHead(list(themes), coef, intercept, "sigmoid")


def fit_stance_head(
    X, stances: Sequence[str], config: TrainConfig, weights: np.ndarray | None = None, groups: np.ndarray | None = None
) -> LinearHead:
    """The stance head fitted on feature rows ``X`` and one stance name per row: a softmax logistic regression, or
    with ``classifier="svm"`` calibrated one-vs-rest SVMs (``groups`` then keeps documents apart in calibration)."""
    if config.classifier == "svm":
        classes = sorted(set(stances))
        Y = np.array([[s == c for c in classes] for s in stances], dtype=int)
        return _calibrated_svm(X, Y, classes, config.stance_c, config, weights, groups, link="ovr")
    return LinearHead.from_logistic_regression(
        _logreg(config.stance_c, config).fit(X, list(stances), sample_weight=weights)
    )


def _calibrated_svm(
    X, Y: np.ndarray, classes: list[str], c: float, config: TrainConfig, weights, groups, *, link: str
) -> LinearHead:
    """A linear SVM per column of ``Y`` (one class against the rest), its margin made a probability by Platt scaling.

    The sigmoid p = σ(a·f + b) is fitted on out-of-fold decision values f
    (folds grouped by document where ``groups`` is given, so a paragraph's
    calibration never saw its article) and folded into the weights: the head
    stays linear, scored by the same code as logistic regression.
    """
    from sklearn.svm import LinearSVC

    def svm() -> LinearSVC:
        return LinearSVC(C=c, class_weight=config.class_weight, random_state=config.seed, max_iter=20000)

    n = X.shape[0]
    splits = None
    if groups is not None and fold_count(groups, config.inner_folds) >= 2:
        splits = list(GroupKFold(n_splits=fold_count(groups, config.inner_folds)).split(np.zeros(n), groups=groups))
    coef = np.zeros((X.shape[1], Y.shape[1]))
    intercept = np.zeros(Y.shape[1])
    for j in range(Y.shape[1]):
        y = Y[:, j]
        final = svm().fit(X, y, sample_weight=weights)
        margin = np.full(n, np.nan)
        for train_idx, test_idx in splits or []:
            if len(set(y[train_idx])) == 2:
                fold_weights = None if weights is None else weights[train_idx]
                margin[test_idx] = (
                    svm().fit(X[train_idx], y[train_idx], sample_weight=fold_weights).decision_function(X[test_idx])
                )
        seen = ~np.isnan(margin)
        if seen.sum() < 2 or len(set(y[seen])) < 2:
            margin, seen = final.decision_function(X), np.ones(n, dtype=bool)  # too few documents: calibrate in-sample
        platt = LogisticRegression(C=1e4, max_iter=1000).fit(margin[seen].reshape(-1, 1), y[seen])
        a, b = float(platt.coef_[0, 0]), float(platt.intercept_[0])
        coef[:, j] = a * final.coef_[0]
        intercept[j] = a * final.intercept_[0] + b
    return LinearHead(classes, coef, intercept, link)


def theme_matrix(examples: Sequence[Example], themes: Sequence[str]) -> np.ndarray:
    """The examples' theme labels as 0/1 ints: examples × ``themes``, columns in the order given."""
    return np.array([[t in e.themes for t in themes] for e in examples], dtype=int).reshape(len(examples), len(themes))


def _best_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The probability cut that maximises F1 on out-of-fold predictions (ties: the one nearest 0.5)."""
    best, best_f1 = 0.5, -1.0
    for cut in np.round(np.arange(0.05, 0.951, 0.025), 3):
        f1 = f1_score(y, p >= cut, zero_division=0)
        if f1 > best_f1 + 1e-12 or (abs(f1 - best_f1) <= 1e-12 and abs(cut - 0.5) < abs(best - 0.5)):
            best, best_f1 = float(cut), f1
    return best


def document_groups(examples: Sequence[Example]) -> np.ndarray:
    """Each example's document (``doc``): the groups that keep an article on one side of a cross-validation split."""
    return np.array([e.doc for e in examples])


def fold_count(groups: np.ndarray, wanted: int) -> int:
    """The grouped folds possible: ``wanted``, at most one per distinct group; below 2, no split can be made."""
    return max(0, min(wanted, len(set(groups))))


def fit(
    examples: Sequence[Example],
    schema: Schema,
    config: TrainConfig = TrainConfig(),
    *,
    thresholds: bool = True,
    kind_model: bool = True,
) -> Model:
    """Fit features and the theme, stance and (optionally) kind heads on labeled examples.

    Theme thresholds are chosen on inner grouped out-of-fold predictions of
    these examples, so that cross-validation which calls ``fit`` on each
    training fold never sees its test fold.
    """
    examples = list(examples)
    check_label_size(examples, config)
    content = [e for e in examples if e.kind == "content"]
    if not content:
        raise LabelError("no content paragraphs to train on; label some paragraphs as content")
    features = fit_features([e.text for e in content], schema, config)
    X = feature_matrix(features, [e.text for e in content])
    weights = sample_weights(content, config)
    Y = theme_matrix(content, schema.themes)
    constant = {t: int(Y[0, j]) for j, t in enumerate(schema.themes) if len(set(Y[:, j])) < 2}
    learned = [j for j, t in enumerate(schema.themes) if t not in constant]
    theme_head = None
    if learned and config.classifier != "auto":
        theme_head = fit_theme_head(
            X, Y[:, learned], [schema.themes[j] for j in learned], config, weights, document_groups(content)
        )

    stances = [e.stance for e in content]
    sides_vary = len(set(stances)) > 1
    choice = None
    if config.classifier == "auto":
        config, choice, inner = choose_classifier(
            content, schema, config, learned if thresholds else [], tune_stance=thresholds and sides_vary
        )
        theme_head = None
        if learned:
            theme_head = fit_theme_head(
                X, Y[:, learned], [schema.themes[j] for j in learned], config, weights, document_groups(content)
            )
    stance_head, constant_stance = None, None
    if sides_vary:
        stance_head = fit_stance_head(X, stances, config, weights, document_groups(content))
    else:
        constant_stance = stances[0]
    del X  # the inner folds and the kind head build their own matrices: one at a time
    if choice is None:
        inner = _inner_choices(
            content, schema, config, learned if thresholds else [], tune_stance=thresholds and stance_head is not None
        )
    chosen, stance_weights, _ = inner

    kind_head = None
    kinds = [e.kind for e in examples]
    if kind_model and len(set(kinds)) > 1:
        X_all = feature_matrix(features, [e.text for e in examples])
        kind_head = LinearHead.from_logistic_regression(_logreg(config.kind_c, config).fit(X_all, kinds))
    return Model(
        kind_memory=kind_memory(examples),
        schema=schema,
        features=features,
        themes=theme_head,
        theme_thresholds=chosen,
        constant_themes=constant,
        stance=stance_head,
        constant_stance=constant_stance,
        kind=kind_head,
        default_threshold=config.default_threshold,
        training={**config.to_dict(), "classifier": "auto"} if choice else config.to_dict(),
        stance_weights=stance_weights,
        classifier_choice=choice,
    )


def kind_memory(examples: Sequence[Example]) -> dict[str, str]:
    """The kinds people gave short units, by :func:`~themetag.segmentation.template_key`, where they agree: a unit
    labeled two ways is left to the rules and the kind head."""
    seen: dict[str, set[str]] = {}
    for e in examples:
        key = template_key(e.text)
        if key is not None:
            seen.setdefault(key, set()).add(e.kind)
    return {key: kinds.pop() for key, kinds in sorted(seen.items()) if len(kinds) == 1}


#: Side weights tried for ``stance_decision="tuned"``: a side's probability times this, the null stance's times 1.
SIDE_WEIGHTS = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 16.0)


def choose_classifier(
    content: list[Example], schema: Schema, config: TrainConfig, learned: list[int], *, tune_stance: bool
) -> tuple[TrainConfig, dict, tuple]:
    """``classifier="auto"``: logistic regression or the calibrated SVM, whichever scores better on grouped inner
    out-of-fold predictions of ``content`` (the mean of theme micro-F1 and stance F_avg, as the schema has them;
    ties go to logistic regression). Returns the config with the winner, the choice and its scores (for the model
    card), and the winner's inner choices (thresholds, side weights, score)."""
    from dataclasses import replace

    tried = {
        name: _inner_choices(
            content, schema, replace(config, classifier=name), learned, tune_stance=tune_stance, always=True
        )
        for name in ("logistic", "svm")
    }
    scores = {name: inner[2] for name, inner in tried.items()}
    winner = "svm" if (scores["svm"] or 0.0) > (scores["logistic"] or 0.0) else "logistic"
    return replace(config, classifier=winner), {"chosen": winner, "inner_scores": scores}, tried[winner]


def _inner_choices(
    content: list[Example],
    schema: Schema,
    config: TrainConfig,
    learned: list[int],
    *,
    tune_stance: bool,
    always: bool = False,
) -> tuple[dict[str, float], dict[str, float], float | None]:
    """Theme thresholds and stance side weights, chosen on inner grouped out-of-fold predictions of ``content``, and
    the score they reach there (the mean of theme micro-F1 and stance F_avg; None when nothing was predicted).
    ``always`` predicts the stance out of fold even when its side weights are not tuned (to score it)."""
    tune_stance = tune_stance and config.stance_decision in ("tuned", "tuned_per_side")
    predict_stance = tune_stance or (always and len({e.stance for e in content}) > 1)
    groups = document_groups(content)
    splits = fold_count(groups, config.inner_folds)
    if splits < 2 or not (learned or predict_stance):
        return {}, {}, None
    names = [schema.themes[j] for j in learned]
    Y = theme_matrix(content, schema.themes)[:, learned]
    oof = np.full(Y.shape, np.nan)
    stances = np.array([e.stance for e in content], dtype=object)
    stance_oof = np.full((len(content), len(schema.stances)), np.nan)
    for train_idx, test_idx in GroupKFold(n_splits=splits).split(content, groups=groups):
        y_train = Y[train_idx]
        # A fold whose training part lacks a theme's positives (or every side) cannot score that head: skip it.
        themes_here = bool(learned) and all(len(set(y_train[:, j])) == 2 for j in range(Y.shape[1]))
        stance_here = predict_stance and len(set(stances[train_idx])) > 1
        if not (themes_here or stance_here):
            continue
        train = [content[i] for i in train_idx]
        features = fit_features([e.text for e in train], schema, config)
        X_train = feature_matrix(features, [e.text for e in train])
        rows = features.transform([content[i].text for i in test_idx])
        weights = sample_weights(train, config)
        if themes_here:
            oof[test_idx] = fit_theme_head(X_train, y_train, names, config, weights, groups[train_idx]).probabilities(
                rows
            )
        if stance_here:
            head = fit_stance_head(X_train, stances[train_idx], config, weights, groups[train_idx])
            proba = head.probabilities(rows)
            for j, c in enumerate(head.classes):
                stance_oof[test_idx, schema.stances.index(c)] = proba[:, j]
    thresholds = {}
    for j, name in enumerate(names):
        seen = ~np.isnan(oof[:, j])
        if seen.sum() and Y[seen, j].sum():
            thresholds[name] = _best_threshold(Y[seen, j], oof[seen, j])
    side_weights = {}
    parts = []
    seen = ~np.isnan(oof).any(axis=1) if learned else np.zeros(len(content), dtype=bool)
    if seen.sum():
        cuts = np.array([thresholds.get(name, config.default_threshold) for name in names])
        parts.append(f1_score(Y[seen], (oof[seen] >= cuts).astype(int), average="micro", zero_division=0))
    seen = ~np.isnan(stance_oof).any(axis=1)
    if predict_stance and seen.sum():
        proba = np.nan_to_num(stance_oof[seen])
        if tune_stance:
            side_weights = _best_side_weights(
                list(stances[seen]), proba, schema, per_side=config.stance_decision == "tuned_per_side"
            )
        w = np.array([side_weights.get(s, 1.0) for s in schema.stances])
        predicted = [schema.stances[k] for k in np.argmax(proba * w, axis=1)]
        if len(schema.stances) > 1:
            parts.append(stance_scores(list(stances[seen]), predicted, schema)["f_avg"])
    return thresholds, side_weights, float(np.mean(parts)) if parts else None


def _best_side_weights(
    truth: list[str], proba: np.ndarray, schema: Schema, *, per_side: bool = False
) -> dict[str, float]:
    """The side weights that maximise F_avg of argmax(p × w); ties: the smallest weights.

    One weight shared by all sides, or (``per_side``) one per side, searched
    over every combination of :data:`SIDE_WEIGHTS`.
    """
    from itertools import product

    sides = [s for s in schema.stances if s != schema.null_stance]
    candidates = product(SIDE_WEIGHTS, repeat=len(sides)) if per_side else ((w,) * len(sides) for w in SIDE_WEIGHTS)
    best, best_score = (1.0,) * len(sides), -1.0
    for weights in candidates:
        by_side = dict(zip(sides, weights))
        w = np.array([by_side.get(s, 1.0) for s in schema.stances])
        predicted = [schema.stances[k] for k in np.argmax(proba * w, axis=1)]
        score = stance_scores(truth, predicted, schema)["f_avg"]
        if score > best_score + 1e-12 or (abs(score - best_score) <= 1e-12 and sum(weights) < sum(best)):
            best, best_score = weights, score
    return {s: w for s, w in zip(sides, best)} if any(w != 1.0 for w in best) else {}
