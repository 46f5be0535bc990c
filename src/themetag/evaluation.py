"""How good is a model? Grouped cross-validation beside two baselines, scored as the guide asks.

:func:`cross_validate` fits :func:`~themetag.training.fit` on all documents but
one fold's and predicts that fold, for each fold in turn (``GroupKFold``: no
article, speech or page on both sides). Every labeled paragraph so gets one
:class:`OutOfFold` record — what the model, the majority baseline and the
keyword baseline said of it, from a fit that never saw its document — and
every score in the :class:`CVReport` is computed from those records.

Stance is scored as in SemEval-2016: ``f_avg`` is the mean F1 of the sides,
the null stance left out.

Only people's labels are scored. A language model's labels (``"annotator":
"llm:MODEL"``) train the folds' models but are never a fold's truth: the folds
split the documents people labeled, and a document in a test fold gives none of
its labels, a model's included, to training.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, precision_recall_fscore_support
from sklearn.model_selection import GroupKFold

from .config import TrainConfig
from .errors import LabelError
from .features import cue_pattern, tokenize
from .labels import Example, LabelSet, is_human, source_of
from .metrics import stance_scores, theme_scores
from .model import Model
from .schema import Schema
from .training import document_groups, fit, fold_count, theme_matrix

# --------------------------------------------------------------------------- baselines


class KeywordBaseline:
    """The schema's cue terms as a rule: a theme when one of its cues occurs; the stance whose cues occur most."""

    def __init__(self, schema: Schema):
        self.schema = schema
        self.theme_patterns = [cue_pattern(schema.theme_cues.get(t, ())) for t in schema.themes]
        self.stance_patterns = {s: cue_pattern(schema.stance_cues.get(s, ())) for s in schema.stances}

    def predict(self, texts: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        """Theme tags (0/1 ints, shape texts × schema themes) and one stance per text.

        The stance is the null stance when no stance cue occurs or two stances tie.
        """
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


def _score_block(Y, P, st_true, st_pred, kinds_true, kinds_pred, schema) -> dict:
    out = {
        "n_content": len(st_true),
        "themes": theme_scores(Y, P, schema),
        "stance": stance_scores(st_true, st_pred, schema),
    }
    if kinds_true is not None:
        out["kind_accuracy"] = accuracy_score(kinds_true, kinds_pred) if len(kinds_true) else None
    return out


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
    #: Leave-one-source-out scores (:func:`leave_one_source_out`), when computed: source → scores.
    loso: dict[str, dict] | None = None
    #: Scores against the number of labeled documents (:func:`learning_curve`), when computed.
    curve: list[dict] | None = None

    def spread(self, *path: str) -> tuple[float, float]:
        """Mean and population standard deviation over the folds of the model's score at ``path``.

        ``path`` is the keys into a fold's scores, e.g. ``("themes", "micro_f1")``; (nan, nan) without folds.
        """
        values = []
        for fold in self.folds:
            v = fold["model"]
            for key in path:
                v = v[key]
            values.append(float(v))
        return (statistics.mean(values), statistics.pstdev(values)) if values else (float("nan"), float("nan"))

    def summary(self) -> dict:
        """The headline numbers, as stored in a model's metadata.json (and written by ``evaluate --output``).

        Theme numbers appear only for a schema with themes, stance numbers only
        for one with more than one stance, kind numbers only when some labels
        are not content: no rows of zeros for what the schema does not have.
        """
        m, schema = self.overall, self.schema
        has_themes, has_stance = bool(schema.themes), len(schema.stances) > 1
        out: dict = {"folds": len(self.folds), "n_content": m["n_content"]}
        if has_themes:
            out.update(
                {
                    "theme_micro_f1": m["themes"]["micro_f1"],
                    "theme_macro_f1": m["themes"]["macro_f1"],
                    "theme_micro_f1_fold_sd": self.spread("themes", "micro_f1")[1],
                    "per_theme_f1": {t: v["f1"] for t, v in m["themes"]["per_theme"].items()},
                }
            )
        if has_stance:
            out.update(
                {
                    "stance_macro_f1": m["stance"]["macro_f1"],
                    "stance_f_avg": m["stance"]["f_avg"],
                    "stance_f_avg_fold_sd": self.spread("stance", "f_avg")[1],
                }
            )
        if self.kind.get("model_accuracy") is not None or self.kind.get("rules_accuracy") is not None:
            out.update(
                {
                    "kind_accuracy_model": self.kind.get("model_accuracy"),
                    "kind_accuracy_rules": self.kind.get("rules_accuracy"),
                }
            )
            if self.kind.get("model_accuracy_on_articles") is not None:
                out["kind_accuracy_model_on_articles"] = self.kind["model_accuracy_on_articles"]
        out["fold_scores"] = [fold_summary(fold, schema) for fold in self.folds]
        for name in ("keyword", "majority"):
            b = self.baselines[name]
            out[f"baseline_{name}"] = {
                **(
                    {"theme_micro_f1": b["themes"]["micro_f1"], "theme_macro_f1": b["themes"]["macro_f1"]}
                    if has_themes
                    else {}
                ),
                **({"stance_f_avg": b["stance"]["f_avg"]} if has_stance else {}),
            }
        if self.loso is not None:
            out["leave_one_source_out"] = {
                source: {
                    "documents": block["documents"],
                    "n_content": block["model"]["n_content"],
                    **(
                        {
                            "theme_micro_f1": block["model"]["themes"]["micro_f1"],
                            "keyword_theme_micro_f1": block["keyword"]["themes"]["micro_f1"],
                        }
                        if has_themes
                        else {}
                    ),
                    **(
                        {
                            "stance_f_avg": block["model"]["stance"]["f_avg"],
                            "keyword_stance_f_avg": block["keyword"]["stance"]["f_avg"],
                        }
                        if has_stance
                        else {}
                    ),
                }
                for source, block in self.loso.items()
            }
        if self.curve is not None:
            out["learning_curve"] = self.curve
        return out


@dataclass(frozen=True)
class Answer:
    """One predictor's tags for a paragraph: a 0/1 decision per schema theme, and a stance."""

    themes: np.ndarray
    stance: str | None


@dataclass(frozen=True)
class OutOfFold:
    """What was predicted for one labeled paragraph by a fit that never saw its document."""

    fold: int
    kind: str  # the kind the fold's model gave it
    theme_proba: np.ndarray  # the model's probability per schema theme
    stance_proba: dict[str, float]
    answers: dict[str, Answer]  # by predictor: "model", "majority", "keyword"


def _predict_fold(
    model: Model, train: list[Example], test: list[Example], fold: int, keyword: "KeywordBaseline"
) -> list[OutOfFold]:
    schema = model.schema
    rows = model.transform([e.text for e in test])
    proba = model.theme_probabilities(rows)
    decisions = model.theme_decisions(proba)
    classes, stance_p = model.stance_probabilities(rows)
    stances_pred = model.stance_decisions(classes, stance_p)
    kinds = model.kind_predictions(rows) if model.kind is not None else [train[0].kind] * len(test)
    # The majority baseline answers every paragraph of the fold alike, from the training part.
    train_content = [e for e in train if e.kind == "content"]
    y_train = theme_matrix(train_content, schema.themes)
    majority_themes = (
        (y_train.mean(axis=0) > 0.5).astype(int) if len(y_train) else np.zeros(len(schema.themes), dtype=int)
    )
    stances = [e.stance for e in train_content]
    majority_stance = max(sorted(set(stances)), key=stances.count) if stances else schema.null_stance
    keyword_themes, keyword_stances = keyword.predict([e.text for e in test])
    out = []
    for row in range(len(test)):
        out.append(
            OutOfFold(
                fold=fold,
                kind=kinds[row],
                theme_proba=proba[row],
                stance_proba={c: float(stance_p[row][j]) for j, c in enumerate(classes)},
                answers={
                    "model": Answer(decisions[row], stances_pred[row]),
                    "majority": Answer(majority_themes, majority_stance),
                    "keyword": Answer(keyword_themes[row], keyword_stances[row]),
                },
            )
        )
    return out


def _score(
    examples: Sequence[Example], oof: Sequence[OutOfFold], schema: Schema, predictor: str, *, with_kind: bool = False
) -> dict:
    """Scores of one predictor over some labeled paragraphs (themes and stance on the content ones)."""
    pairs = [(e, o) for e, o in zip(examples, oof) if e.kind == "content"]
    n_themes = len(schema.themes)
    Y = theme_matrix([e for e, _ in pairs], schema.themes)
    P = np.array([o.answers[predictor].themes for _, o in pairs], dtype=int).reshape(len(pairs), n_themes)
    return _score_block(
        Y,
        P,
        [e.stance for e, _ in pairs],
        [o.answers[predictor].stance for _, o in pairs],
        [e.kind for e in examples] if with_kind else None,
        [o.kind for o in oof] if with_kind else None,
        schema,
    )


def _run_fold(
    examples, groups, schema: Schema, config: TrainConfig, k: int, train_idx, test_idx, keyword
) -> tuple[dict, list]:
    """Train on one fold's training part and score its test part: (the fold's entry of CVReport.folds, its predictions)."""
    train = [examples[i] for i in train_idx]
    test = [examples[i] for i in test_idx]
    model = fit(train, schema, config)
    predicted = _predict_fold(model, train, test, k, keyword)
    fold = {
        "fold": k,
        "documents": len(set(groups[test_idx])),
        "model": _score(test, predicted, schema, "model", with_kind=True),
        "thresholds": model.theme_thresholds,
    }
    return fold, predicted


def _human_only(examples: Sequence[Example]) -> np.ndarray:
    """Which examples are people's labels; an error when none is (there would be nothing to score against)."""
    human = np.array([is_human(e.annotator) for e in examples], dtype=bool)
    if len(examples) and not human.any():
        raise LabelError(
            "evaluation scores against people's labels only, and these labels are all a language model's; "
            "label some paragraphs yourself (or check the model's in an annotation tool) first"
        )
    return human


def grouped_splits(examples: Sequence[Example], wanted: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The folds: ``(train_idx, test_idx)`` over ``examples``, by document (``GroupKFold``).

    With people's labels only, these are ``GroupKFold``'s own splits. With a
    language model's labels among them, the documents people labeled are split;
    each test part holds people's labels only, and its training part every
    label, a model's included, of the other documents.
    """
    groups = document_groups(examples)
    human = _human_only(examples)
    if human.all():
        splits = fold_count(groups, wanted)
        if splits < 2:
            raise LabelError(
                f"cross-validation needs paragraphs from at least 2 documents; these labels have {len(set(groups))}"
            )
        return list(GroupKFold(n_splits=splits).split(examples, groups=groups))
    judged = np.flatnonzero(human)
    splits = fold_count(groups[judged], wanted)
    if splits < 2:
        raise LabelError(
            "cross-validation needs people's labels from at least 2 documents; these labels have "
            f"{len(set(groups[judged]))} (a language model's labels are never scored against)"
        )
    out = []
    for _, test in GroupKFold(n_splits=splits).split(judged, groups=groups[judged]):
        test_idx = judged[test]
        held = set(groups[test_idx])
        out.append((np.array([i for i in range(len(examples)) if groups[i] not in held], dtype=int), test_idx))
    return out


def cross_validate_fold(labels: LabelSet, config: TrainConfig, k: int) -> dict:
    """Fold ``k`` of :func:`cross_validate` alone, in a fifth of the time: its entry of ``CVReport.folds``.

    Its scores are those of the same fold in a whole run (the folds depend only
    on the labels' documents and ``config.folds``): a stored model's per-fold
    scores (``fold_scores`` in its metadata's ``cv``) can be checked one fold at a time.
    """
    examples = labels.examples
    groups = document_groups(examples)
    folds = grouped_splits(examples, config.folds)
    if not 0 <= k < len(folds):
        raise ValueError(f"fold {k} of {len(folds)}")
    train_idx, test_idx = folds[k]
    return _run_fold(examples, groups, labels.schema, config, k, train_idx, test_idx, KeywordBaseline(labels.schema))[0]


def fold_summary(fold: dict, schema: Schema) -> dict:
    """A fold's headline numbers, as ``CVReport.summary()["fold_scores"]`` lists them."""
    m = fold["model"]
    out = {"fold": fold["fold"], "documents": fold["documents"], "n_content": m["n_content"]}
    if schema.themes:
        out["theme_micro_f1"] = m["themes"]["micro_f1"]
    if len(schema.stances) > 1:
        out["stance_f_avg"] = m["stance"]["f_avg"]
    return out


def cross_validate(labels: LabelSet, config: TrainConfig = TrainConfig(), *, progress=None) -> CVReport:
    """Grouped k-fold cross-validation of :func:`~themetag.training.fit`, beside majority and keyword baselines.

    Where examples know the kind the segmenter's rules gave them in their
    article (``Example.rule_kind``), the rules are scored beside the learned
    kind model on those paragraphs.
    """
    schema = labels.schema
    examples = labels.examples
    groups = document_groups(examples)
    splits = grouped_splits(examples, config.folds)
    keyword = KeywordBaseline(schema)
    oof: list[OutOfFold] = [None] * len(examples)  # type: ignore[list-item]  # every person's label is filled by one fold
    folds = []
    for k, (train_idx, test_idx) in enumerate(splits):
        if progress:
            progress(f"fold {k + 1}/{len(splits)}")
        fold, predicted = _run_fold(examples, groups, schema, config, k, train_idx, test_idx, keyword)
        for i, record in zip(test_idx, predicted):
            oof[i] = record
        folds.append(fold)
    # A language model's labels trained the folds and are scored against nothing: only people's remain.
    judged = [i for i, o in enumerate(oof) if o is not None]
    examples, oof = [examples[i] for i in judged], [oof[i] for i in judged]

    overall = _score(examples, oof, schema, "model", with_kind=True)
    baselines = {name: _score(examples, oof, schema, name) for name in ("majority", "keyword")}
    per_source = {}
    for source in sorted({source_of(e) for e in examples}):
        idx = [i for i, e in enumerate(examples) if source_of(e) == source]
        if not any(examples[i].kind == "content" for i in idx):
            continue  # only headings and furniture (a segmented batch waiting to be labeled): no theme or stance to score
        part, part_oof = [examples[i] for i in idx], [oof[i] for i in idx]
        per_source[source] = {
            "model": _score(part, part_oof, schema, "model", with_kind=True),
            "keyword": _score(part, part_oof, schema, "keyword"),
            "majority": _score(part, part_oof, schema, "majority"),
            "documents": len({e.doc for e in part}),
        }
    return CVReport(
        schema,
        config,
        overall,
        folds,
        per_source,
        baselines,
        _kind_scores(examples, oof, overall),
        _prediction_rows(examples, oof, schema),
    )


def leave_one_source_out(labels: LabelSet, config: TrainConfig = TrainConfig(), *, progress=None) -> dict[str, dict]:
    """For each label source: train on all the others, test on it — the score on an outlet the model never saw.

    Grouped cross-validation mixes every source into training; a user's own
    outlet is not there. This is the honest estimate for new outlets.
    """
    schema, examples = labels.schema, labels.examples
    sources = sorted({source_of(e) for e in examples})
    if len(sources) < 2:
        raise LabelError(
            f"leave-one-source-out needs labels from at least 2 sources (label files); these have {sources}"
        )
    keyword = KeywordBaseline(schema)
    out = {}
    for k, source in enumerate(sources):
        test = [e for e in examples if source_of(e) == source and is_human(e.annotator)]
        held = {e.doc for e in test}
        # A language model's labels of a held-out document would teach the model that very document.
        train = [e for e in examples if source_of(e) != source and (is_human(e.annotator) or e.doc not in held)]
        if not any(e.kind == "content" for e in train) or not any(e.kind == "content" for e in test):
            continue
        if progress:
            progress(f"leave-one-source-out {k + 1}/{len(sources)}: {source}")
        predicted = _predict_fold(fit(train, schema, config), train, test, 0, keyword)
        out[source] = {
            "documents": len({e.doc for e in test}),
            **{name: _score(test, predicted, schema, name) for name in ("model", "keyword", "majority")},
        }
    return out


def learning_curve(
    labels: LabelSet,
    config: TrainConfig = TrainConfig(),
    *,
    fractions: Sequence[float] = (0.25, 0.5, 1.0),
    progress=None,
) -> list[dict]:
    """Grouped cross-validation with only a share of each training part's documents: does labeling more help?

    In each outer fold the training documents are shuffled once (seeded) and
    the first 25%, 50%, ... of them used, so smaller sets are nested in larger
    ones. Each point pools the out-of-fold predictions of all folds.
    """
    schema, examples = labels.schema, labels.examples
    try:
        folds = grouped_splits(examples, config.folds)
    except LabelError as exc:
        raise LabelError(str(exc).replace("cross-validation", "a learning curve")) from None
    splits = len(folds)
    keyword = KeywordBaseline(schema)
    rng = np.random.default_rng(config.seed)
    pooled: dict[float, tuple[list[Example], list[OutOfFold], list[int]]] = {f: ([], [], []) for f in fractions}
    for k, (train_idx, test_idx) in enumerate(folds):
        docs = sorted({examples[i].doc for i in train_idx})
        order = [docs[j] for j in rng.permutation(len(docs))]
        test = [examples[i] for i in test_idx]
        for fraction in fractions:
            keep = set(order[: max(2, round(fraction * len(docs)))])
            train = [examples[i] for i in train_idx if examples[i].doc in keep]
            if not any(e.kind == "content" for e in train):
                continue
            if progress:
                progress(f"learning curve: fold {k + 1}/{splits}, {fraction:.0%} of the training documents")
            part_examples, part_oof, sizes = pooled[fraction]
            part_examples += test
            part_oof += _predict_fold(fit(train, schema, config), train, test, k, keyword)
            sizes.append(len(keep))
    curve = []
    for fraction in fractions:
        part_examples, part_oof, sizes = pooled[fraction]
        if part_examples:
            scores = _score(part_examples, part_oof, schema, "model")
            curve.append(
                {
                    "fraction": fraction,
                    "documents": round(float(np.mean(sizes)), 1),
                    "theme_micro_f1": scores["themes"]["micro_f1"],
                    "stance_f_avg": scores["stance"]["f_avg"],
                }
            )
    return curve


def _kind_scores(examples: Sequence[Example], oof: Sequence[OutOfFold], overall: dict) -> dict:
    """The learned kind model's accuracy, and on labeled article paragraphs the segmenter's rules beside it."""
    # With every paragraph labeled content there is no kind to learn: an accuracy of 1.000 would say nothing.
    only_content = all(e.kind == "content" for e in examples)
    kind = {"model_accuracy": None if only_content else overall.get("kind_accuracy")}
    judged = [(e, o) for e, o in zip(examples, oof) if e.rule_kind is not None]
    if judged:
        truth = [e.kind for e, _ in judged]
        rules = [e.rule_kind for e, _ in judged]
        kind["articles_paragraphs"] = len(judged)
        kind["rules_accuracy"] = accuracy_score(truth, rules)
        kind["model_accuracy_on_articles"] = accuracy_score(truth, [o.kind for _, o in judged])
        kind["rules_boilerplate"] = _binary_prf(
            [k == "boilerplate" for k in truth], [k == "boilerplate" for k in rules]
        )
    return kind


def _prediction_rows(examples: Sequence[Example], oof: Sequence[OutOfFold], schema: Schema) -> list[dict]:
    """One JSON-ready row per labeled paragraph: its labels beside the out-of-fold predictions."""
    rows = []
    for e, o in zip(examples, oof):
        row = {"uid": e.uid, "doc": e.doc, "source": source_of(e), "fold": o.fold, "kind": e.kind, "kind_pred": o.kind}
        if e.kind == "content":
            model = o.answers["model"]
            row.update(
                themes=list(e.themes),
                themes_pred=[t for j, t in enumerate(schema.themes) if model.themes[j]],
                theme_scores={t: round(float(o.theme_proba[j]), 4) for j, t in enumerate(schema.themes)},
                stance=e.stance,
                stance_pred=model.stance,
                stance_scores={c: round(v, 4) for c, v in o.stance_proba.items()},
            )
        rows.append(row)
    return rows


def _binary_prf(y_true: list[bool], y_pred: list[bool]) -> dict:
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average="binary", zero_division=0)
    return {"precision": p, "recall": r, "f1": f, "support": int(sum(y_true))}


# --------------------------------------------------------------------------- kind: the segmenter's rules or the learned model


def choose_kind_source(report: CVReport | dict | None) -> str:
    """Rules or model for kind: whichever scored better on labeled article paragraphs (rules on a tie).

    Takes a CVReport or its :meth:`~CVReport.summary` (as ``evaluate --output`` writes it).
    """
    if report is None:
        return "rules"
    if isinstance(report, dict):
        rules, model = report.get("kind_accuracy_rules"), report.get("kind_accuracy_model_on_articles")
    else:
        rules, model = report.kind.get("rules_accuracy"), report.kind.get("model_accuracy_on_articles")
    if rules is None or model is None:
        return "rules"
    return "model" if model > rules else "rules"


# --------------------------------------------------------------------------- segmentation


def segmentation_scores(examples: Sequence[Example]) -> dict:
    """How the segmenter's rules did on labeled article paragraphs (those whose ``rule_kind`` is known).

    The question that matters for counting articles is content against the
    rest: ``content_recall`` (labeled content kept as content — a miss is
    content silently set aside), ``content_precision``, ``content_accuracy``
    (content-vs-other right), ``boilerplate_precision`` and the three-way
    ``kind_accuracy``; overall, per source, and the articles that lost content.
    """

    def block(part: list[Example]) -> dict:
        truth = [e.kind == "content" for e in part]
        kept = [e.rule_kind == "content" for e in part]
        both = sum(t and k for t, k in zip(truth, kept))
        said_boilerplate = [e for e in part if e.rule_kind == "boilerplate"]
        return {
            "paragraphs": len(part),
            "articles": len({e.doc for e in part}),
            "content": sum(truth),
            "content_recall": both / sum(truth) if sum(truth) else None,
            "content_precision": both / sum(kept) if sum(kept) else None,
            "content_accuracy": sum(t == k for t, k in zip(truth, kept)) / len(part) if part else None,
            "boilerplate_precision": (sum(e.kind == "boilerplate" for e in said_boilerplate) / len(said_boilerplate))
            if said_boilerplate
            else None,
            "kind_accuracy": sum(e.kind == e.rule_kind for e in part) / len(part) if part else None,
        }

    judged = [e for e in examples if e.rule_kind is not None]
    lost: dict[str, int] = {}
    for e in judged:
        if e.kind == "content" and e.rule_kind != "content":
            lost[e.doc] = lost.get(e.doc, 0) + 1
    return {
        "overall": block(judged),
        "per_source": {
            s: block([e for e in judged if source_of(e) == s]) for s in sorted({source_of(e) for e in judged})
        },
        "content_lost": dict(sorted(lost.items(), key=lambda kv: (-kv[1], kv[0]))),
        "errors": [
            {
                "where": f"{e.source}:{e.line}",
                "doc": e.doc,
                "para": e.para,
                "label": e.kind,
                "rules": e.rule_kind,
                "text": e.text,
            }
            for e in judged
            if e.kind != e.rule_kind
        ],
    }
