"""Fit and cross-validate (grouped by article) → a :class:`~themetag.model.Model` + an honest report.

One feature space (fitted on the training content paragraphs) feeds three
scikit-learn logistic regressions, whose weights are copied into a data-only
:class:`~themetag.model.Model`:

* themes — one binary, class-balanced regression per theme (one-vs-rest), with
  a per-theme probability threshold chosen on *inner* out-of-fold predictions
  of the training part only;
* stance — multinomial regression on content paragraphs;
* kind — a regression over all labeled paragraphs, compared in evaluation
  with the segmenter's rules and kept only if it beats them.

Every split is by document (``GroupKFold``): no article, speech or page has
paragraphs on both sides. Cross-validation scores folds with the same
``Model`` code that tags articles.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.model_selection import GroupKFold

from .errors import LabelError
from .features import FeatureSpace, cue_pattern, fit_feature_space, tokenize
from .labels import Example, LabelSet, Schema
from .model import LinearHead, Model


@dataclass(frozen=True)
class TrainConfig:
    """Training parameters; stored in the model's metadata.json."""

    seed: int = 0
    folds: int = 5
    inner_folds: int = 4
    theme_c: float = 8.0
    stance_c: float = 4.0
    kind_c: float = 4.0
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] | None = (3, 5)
    min_df: int = 2
    use_cues: bool = True
    cue_weight: float = 3.0  # chosen by grouped CV (scripts/levers.py): 1 → 3 moved theme micro-F1 0.564 → 0.580
    class_weight: str | None = "balanced"
    default_threshold: float = 0.5

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        data = dict(data)
        for key in ("word_ngrams", "char_ngrams"):
            if data.get(key) is not None:
                data[key] = tuple(data[key])
        return cls(**data)


def fit_features(texts: Sequence[str], schema: Schema, config: TrainConfig) -> FeatureSpace:
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


def _logreg(c: float, config: TrainConfig, solver: str = "lbfgs") -> LogisticRegression:
    return LogisticRegression(C=c, class_weight=config.class_weight, max_iter=3000, solver=solver, random_state=config.seed)


def fit_theme_head(X, Y: np.ndarray, themes: Sequence[str], config: TrainConfig) -> LinearHead:
    """One binary regression per theme column of ``Y`` (each column must hold both classes)."""
    coef = np.zeros((X.shape[1], len(themes)))
    intercept = np.zeros(len(themes))
    for j in range(len(themes)):
        estimator = _logreg(config.theme_c, config, solver="liblinear").fit(X, Y[:, j])
        coef[:, j], intercept[j] = estimator.coef_[0], estimator.intercept_[0]
    return LinearHead(list(themes), coef, intercept, "sigmoid")


def theme_matrix(examples: Sequence[Example], themes: Sequence[str]) -> np.ndarray:
    return np.array([[t in e.themes for t in themes] for e in examples], dtype=int).reshape(len(examples), len(themes))


def _best_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The probability cut that maximises F1 on out-of-fold predictions (ties: the one nearest 0.5)."""
    best, best_f1 = 0.5, -1.0
    for cut in np.round(np.arange(0.05, 0.951, 0.025), 3):
        f1 = f1_score(y, p >= cut, zero_division=0)
        if f1 > best_f1 + 1e-12 or (abs(f1 - best_f1) <= 1e-12 and abs(cut - 0.5) < abs(best - 0.5)):
            best, best_f1 = float(cut), f1
    return best


def _groups(examples: Sequence[Example]) -> np.ndarray:
    return np.array([e.doc for e in examples])


def _n_splits(groups: np.ndarray, wanted: int) -> int:
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
    content = [e for e in examples if e.kind == "content"]
    if not content:
        raise LabelError("no content paragraphs to train on; label some paragraphs as content")
    features = fit_features([e.text for e in content], schema, config)
    X = features.transform([e.text for e in content]).to_scipy()
    Y = theme_matrix(content, schema.themes)
    constant = {t: int(Y[0, j]) for j, t in enumerate(schema.themes) if len(set(Y[:, j])) < 2}
    learned = [j for j, t in enumerate(schema.themes) if t not in constant]
    theme_head = None
    chosen: dict[str, float] = {}
    if learned:
        theme_head = fit_theme_head(X, Y[:, learned], [schema.themes[j] for j in learned], config)
        if thresholds:
            chosen = _inner_thresholds(content, schema, config, learned)

    stances = [e.stance for e in content]
    stance_head, constant_stance = None, None
    if len(set(stances)) > 1:
        stance_head = LinearHead.from_logistic_regression(_logreg(config.stance_c, config).fit(X, stances))
    else:
        constant_stance = stances[0]

    kind_head = None
    kinds = [e.kind for e in examples]
    if kind_model and len(set(kinds)) > 1:
        X_all = features.transform([e.text for e in examples]).to_scipy()
        kind_head = LinearHead.from_logistic_regression(_logreg(config.kind_c, config).fit(X_all, kinds))
    return Model(
        schema=schema,
        features=features,
        themes=theme_head,
        theme_thresholds=chosen,
        constant_themes=constant,
        stance=stance_head,
        constant_stance=constant_stance,
        kind=kind_head,
        default_threshold=config.default_threshold,
        training=config.to_dict(),
    )


def _inner_thresholds(content: list[Example], schema: Schema, config: TrainConfig, learned: list[int]) -> dict[str, float]:
    groups = _groups(content)
    splits = _n_splits(groups, config.inner_folds)
    if splits < 2:
        return {}
    names = [schema.themes[j] for j in learned]
    Y = theme_matrix(content, schema.themes)[:, learned]
    oof = np.full(Y.shape, np.nan)
    for train_idx, test_idx in GroupKFold(n_splits=splits).split(content, groups=groups):
        y_train = Y[train_idx]
        if any(len(set(y_train[:, j])) < 2 for j in range(Y.shape[1])):
            continue
        features = fit_features([content[i].text for i in train_idx], schema, config)
        head = fit_theme_head(features.transform([content[i].text for i in train_idx]).to_scipy(), y_train, names, config)
        oof[test_idx] = head.probabilities(features.transform([content[i].text for i in test_idx]))
    out = {}
    for j, name in enumerate(names):
        seen = ~np.isnan(oof[:, j])
        if seen.sum() and Y[seen, j].sum():
            out[name] = _best_threshold(Y[seen, j], oof[seen, j])
    return out


# --------------------------------------------------------------------------- baselines


class KeywordBaseline:
    """The schema's cue terms as a rule: a theme when one of its cues occurs; the stance whose cues occur most."""

    def __init__(self, schema: Schema):
        self.schema = schema
        self.theme_patterns = [cue_pattern(schema.theme_cues.get(t, ())) for t in schema.themes]
        self.stance_patterns = {s: cue_pattern(schema.stance_cues.get(s, ())) for s in schema.stances}

    def predict(self, texts: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        themes, stances = [], []
        for text in texts:
            stemmed = " ".join(tokenize(text))
            themes.append([int(bool(p and p.search(stemmed))) for p in self.theme_patterns])
            counts = {s: len(p.findall(stemmed)) for s, p in self.stance_patterns.items() if p is not None}
            top = max(counts.values(), default=0)
            leaders = [s for s, c in counts.items() if c == top]
            stances.append(leaders[0] if top and len(leaders) == 1 else self.schema.null_stance)
        return np.array(themes, dtype=int).reshape(len(texts), len(self.schema.themes)), stances


# --------------------------------------------------------------------------- evaluation


def stance_scores(y_true: Sequence[str], y_pred: Sequence[str], schema: Schema) -> dict:
    labels = list(schema.stances)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    per = {lab: {"precision": p[i], "recall": r[i], "f1": f[i], "support": int(s[i])} for i, lab in enumerate(labels)}
    sides = [lab for lab in labels if lab != schema.null_stance]
    return {
        "macro_f1": float(np.mean(f)) if len(f) else 0.0,
        # SemEval-2016 stance measure: the mean F1 of the sides, the null stance left out.
        "f_avg": float(np.mean([per[lab]["f1"] for lab in sides])) if sides else 0.0,
        "accuracy": accuracy_score(y_true, y_pred) if len(y_true) else 0.0,
        "per_stance": per,
    }


def theme_scores(Y: np.ndarray, P: np.ndarray, schema: Schema) -> dict:
    per = {}
    for j, t in enumerate(schema.themes):
        p, r, f, _ = precision_recall_fscore_support(Y[:, j], P[:, j], average="binary", zero_division=0)
        per[t] = {"precision": p, "recall": r, "f1": f, "support": int(Y[:, j].sum())}
    return {
        "micro_f1": f1_score(Y, P, average="micro", zero_division=0) if Y.size else 0.0,
        "macro_f1": float(np.mean([v["f1"] for v in per.values()])) if per else 0.0,
        "per_theme": per,
    }


def _score_block(Y, P, st_true, st_pred, kinds_true, kinds_pred, schema) -> dict:
    out = {"n_content": len(st_true), "themes": theme_scores(Y, P, schema), "stance": stance_scores(st_true, st_pred, schema)}
    if kinds_true is not None:
        out["kind_accuracy"] = accuracy_score(kinds_true, kinds_pred) if len(kinds_true) else None
    return out


def source_of(example: Example) -> str:
    return Path(example.source).stem


@dataclass
class CVReport:
    """Grouped cross-validation results: the model beside two baselines, overall, per fold and per source."""

    schema: Schema
    config: TrainConfig
    overall: dict
    folds: list[dict]
    per_source: dict[str, dict]
    baselines: dict[str, dict]
    kind: dict
    predictions: list[dict] = field(default_factory=list)

    def spread(self, *path: str) -> tuple[float, float]:
        values = []
        for fold in self.folds:
            v = fold["model"]
            for key in path:
                v = v[key]
            values.append(float(v))
        return (statistics.mean(values), statistics.pstdev(values)) if values else (float("nan"), float("nan"))

    def summary(self) -> dict:
        """The headline numbers, as stored in a model's metadata.json."""
        m = self.overall
        return {
            "folds": len(self.folds),
            "n_content": m["n_content"],
            "theme_micro_f1": m["themes"]["micro_f1"],
            "theme_macro_f1": m["themes"]["macro_f1"],
            "theme_micro_f1_fold_sd": self.spread("themes", "micro_f1")[1],
            "stance_macro_f1": m["stance"]["macro_f1"],
            "stance_f_avg": m["stance"]["f_avg"],
            "stance_f_avg_fold_sd": self.spread("stance", "f_avg")[1],
            "per_theme_f1": {t: v["f1"] for t, v in m["themes"]["per_theme"].items()},
            "kind_accuracy_model": self.kind.get("model_accuracy"),
            "kind_accuracy_rules": self.kind.get("rules_accuracy"),
            "baseline_keyword": {
                "theme_micro_f1": self.baselines["keyword"]["themes"]["micro_f1"],
                "theme_macro_f1": self.baselines["keyword"]["themes"]["macro_f1"],
                "stance_f_avg": self.baselines["keyword"]["stance"]["f_avg"],
            },
            "baseline_majority": {
                "theme_micro_f1": self.baselines["majority"]["themes"]["micro_f1"],
                "theme_macro_f1": self.baselines["majority"]["themes"]["macro_f1"],
                "stance_f_avg": self.baselines["majority"]["stance"]["f_avg"],
            },
        }


def cross_validate(
    labels: LabelSet,
    config: TrainConfig = TrainConfig(),
    *,
    progress=None,
) -> CVReport:
    """Grouped k-fold cross-validation of :func:`fit`, beside majority and keyword baselines.

    Where examples know the kind the segmenter's rules gave them in their
    article (``Example.rule_kind``), the rules are scored beside the learned
    kind model on those paragraphs.
    """
    schema = labels.schema
    examples = labels.examples
    groups = _groups(examples)
    splits = _n_splits(groups, config.folds)
    if splits < 2:
        raise LabelError(f"cross-validation needs paragraphs from at least 2 documents; these labels have {len(set(groups))}")
    keyword = KeywordBaseline(schema)
    content_idx = [i for i, e in enumerate(examples) if e.kind == "content"]
    n = len(examples)
    oof_theme_p = np.zeros((n, len(schema.themes)))
    oof_theme = np.zeros((n, len(schema.themes)), dtype=int)
    oof_stance = [None] * n
    oof_stance_p: list[dict] = [{}] * n
    oof_kind = [None] * n
    fold_of = [-1] * n
    majority_theme = np.zeros((n, len(schema.themes)), dtype=int)
    majority_stance = [None] * n
    folds = []
    for k, (train_idx, test_idx) in enumerate(GroupKFold(n_splits=splits).split(examples, groups=groups)):
        if progress:
            progress(f"fold {k + 1}/{splits}")
        train = [examples[i] for i in train_idx]
        test = [examples[i] for i in test_idx]
        models = fit(train, schema, config)
        test_texts = [e.text for e in test]
        rows = models.transform(test_texts)
        proba = models.theme_probabilities(rows)
        decisions = models.theme_decisions(proba)
        classes, sp = models.stance_probabilities(rows)
        kinds = models.kind_predictions(rows) if models.kind is not None else [train[0].kind] * len(test)
        train_content = [e for e in train if e.kind == "content"]
        ytr = theme_matrix(train_content, schema.themes)
        maj_theme = (ytr.mean(axis=0) > 0.5).astype(int) if len(ytr) else np.zeros(len(schema.themes), dtype=int)
        st = [e.stance for e in train_content]
        maj_stance = max(sorted(set(st)), key=st.count) if st else schema.null_stance
        for row, i in enumerate(test_idx):
            oof_theme_p[i] = proba[row]
            oof_theme[i] = decisions[row]
            oof_stance[i] = classes[int(np.argmax(sp[row]))]
            oof_stance_p[i] = {c: float(sp[row][j]) for j, c in enumerate(classes)}
            oof_kind[i] = kinds[row]
            fold_of[i] = k
            majority_theme[i] = maj_theme
            majority_stance[i] = maj_stance
        fold_content = [i for i in test_idx if examples[i].kind == "content"]
        folds.append(
            {
                "fold": k,
                "documents": len(set(groups[test_idx])),
                "model": _score_block(
                    theme_matrix([examples[i] for i in fold_content], schema.themes),
                    oof_theme[fold_content],
                    [examples[i].stance for i in fold_content],
                    [oof_stance[i] for i in fold_content],
                    [examples[i].kind for i in test_idx],
                    [oof_kind[i] for i in test_idx],
                    schema,
                ),
                "thresholds": models.theme_thresholds,
            }
        )

    content = [examples[i] for i in content_idx]
    Y = theme_matrix(content, schema.themes)
    st_true = [e.stance for e in content]
    kw_theme, kw_stance = keyword.predict([e.text for e in content])

    def block(idx_content: list[int], idx_all: list[int] | None, theme_pred, stance_pred, kind_pred=None) -> dict:
        pos = {i: p for p, i in enumerate(content_idx)}
        rows = [pos[i] for i in idx_content]
        return _score_block(
            Y[rows] if rows else np.zeros((0, len(schema.themes)), dtype=int),
            theme_pred[rows] if rows else np.zeros((0, len(schema.themes)), dtype=int),
            [st_true[r] for r in rows],
            [stance_pred[r] for r in rows],
            None if kind_pred is None else [examples[i].kind for i in idx_all],
            None if kind_pred is None else [kind_pred[i] for i in idx_all],
            schema,
        )

    model_theme = oof_theme[content_idx]
    model_stance = [oof_stance[i] for i in content_idx]
    maj_theme_c = majority_theme[content_idx]
    maj_stance_c = [majority_stance[i] for i in content_idx]
    everything = list(range(n))
    overall = block(content_idx, everything, model_theme, model_stance, oof_kind)
    baselines = {
        "majority": block(content_idx, None, maj_theme_c, maj_stance_c),
        "keyword": block(content_idx, None, kw_theme, kw_stance),
    }
    per_source = {}
    for source in sorted({source_of(e) for e in examples}):
        idx_all = [i for i in everything if source_of(examples[i]) == source]
        idx_c = [i for i in idx_all if examples[i].kind == "content"]
        per_source[source] = {
            "model": block(idx_c, idx_all, model_theme, model_stance, oof_kind),
            "keyword": block(idx_c, None, kw_theme, kw_stance),
            "majority": block(idx_c, None, maj_theme_c, maj_stance_c),
            "documents": len({examples[i].doc for i in idx_all}),
        }

    kind = {"model_accuracy": overall.get("kind_accuracy")}
    rule_kinds = {e.uid: e.rule_kind for e in examples if e.rule_kind is not None}
    if rule_kinds:
        judged = [i for i in everything if examples[i].uid in rule_kinds]
        if judged:
            kind["articles_paragraphs"] = len(judged)
            kind["rules_accuracy"] = accuracy_score([examples[i].kind for i in judged], [rule_kinds[examples[i].uid] for i in judged])
            kind["model_accuracy_on_articles"] = accuracy_score([examples[i].kind for i in judged], [oof_kind[i] for i in judged])
            kind["rules_boilerplate"] = _binary_prf([examples[i].kind == "boilerplate" for i in judged], [rule_kinds[examples[i].uid] == "boilerplate" for i in judged])
            kind["model_boilerplate"] = _binary_prf([examples[i].kind == "boilerplate" for i in judged], [oof_kind[i] == "boilerplate" for i in judged])

    predictions = []
    for i, e in enumerate(examples):
        row = {"uid": e.uid, "doc": e.doc, "source": source_of(e), "fold": fold_of[i], "kind": e.kind, "kind_pred": oof_kind[i]}
        if e.kind == "content":
            row.update(
                themes=list(e.themes),
                themes_pred=[t for j, t in enumerate(schema.themes) if oof_theme[i, j]],
                theme_scores={t: round(float(oof_theme_p[i, j]), 4) for j, t in enumerate(schema.themes)},
                stance=e.stance,
                stance_pred=oof_stance[i],
                stance_scores={c: round(v, 4) for c, v in oof_stance_p[i].items()},
            )
        predictions.append(row)
    return CVReport(schema, config, overall, folds, per_source, baselines, kind, predictions)


def _binary_prf(y_true: list[bool], y_pred: list[bool]) -> dict:
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average="binary", zero_division=0)
    return {"precision": p, "recall": r, "f1": f, "support": int(sum(y_true))}


# --------------------------------------------------------------------------- the whole training run


def choose_kind_source(report: CVReport | None) -> str:
    """Rules or model for kind: whichever scored better on labeled article paragraphs (rules on a tie)."""
    if report is None:
        return "rules"
    rules, model = report.kind.get("rules_accuracy"), report.kind.get("model_accuracy_on_articles")
    if rules is None or model is None:
        return "rules"
    return "model" if model > rules else "rules"


def train_models(labels: LabelSet, config: TrainConfig = TrainConfig(), *, evaluate: bool = True, progress=None):
    """Cross-validate (optional), then fit on all labels. Returns (FittedModels, CVReport | None)."""
    report = cross_validate(labels, config, progress=progress) if evaluate else None
    if progress:
        progress("fitting on all labels")
    kind_source = choose_kind_source(report)
    model = fit(labels.examples, labels.schema, config, kind_model=kind_source == "model")
    model.kind_source = kind_source
    return model, report


def train(
    labels: str | Path | Sequence[str | Path] | LabelSet,
    *,
    out: str | Path | None = None,
    corpus_dir: str | Path | None = None,
    articles_dir: str | Path | None = None,
    config: TrainConfig = TrainConfig(),
    evaluate: bool = True,
    progress=None,
    keep_previous: bool = False,
):
    """Train a Tagger from label directories (or a loaded LabelSet); with ``out``, save it there (atomically).

    Returns ``(tagger, report)``; ``report`` is the grouped cross-validation
    (None with ``evaluate=False``). A failed run leaves ``out`` as it was.

    >>> tagger, report = train("labels", corpus_dir="../shared/corpus")  # doctest: +SKIP
    """
    from .labels import load_labels
    from .report import model_card
    from .tagger import Tagger, build_metadata

    label_set = labels if isinstance(labels, LabelSet) else load_labels(labels, corpus_dir=corpus_dir, articles_dir=articles_dir)
    models, report = train_models(label_set, config, evaluate=evaluate, progress=progress)
    per_source: dict[str, int] = {}
    for e in label_set.examples:
        per_source[source_of(e)] = per_source.get(source_of(e), 0) + 1
    metadata = build_metadata(
        models,
        label_fingerprint=label_set.fingerprint(),
        label_sources={"examples": len(label_set.examples), "content": len(label_set.content()), "per_source": per_source},
        cv_summary=report.summary() if report is not None else None,
    )
    tagger = Tagger(models, metadata)
    if out is not None:
        tagger.save(out, card=model_card(metadata, report), keep_previous=keep_previous)
    return tagger, report


def evaluate(
    labels: str | Path | Sequence[str | Path],
    *,
    corpus_dir: str | Path | None = None,
    articles_dir: str | Path | None = None,
    config: TrainConfig = TrainConfig(),
    progress=None,
) -> CVReport:
    """Grouped cross-validation of training on these labels, beside the two baselines."""
    from .labels import load_labels

    return cross_validate(load_labels(labels, corpus_dir=corpus_dir, articles_dir=articles_dir), config, progress=progress)
