"""Probe of three levers the library does not ship, under one simplified protocol: are they worth building?

    python scripts/lever_probe.py --corpus ../shared/corpus [--out probe.jsonl]

Levers (each against the same baseline, same folds, same features):
  context   the article's mean feature vector beside the paragraph's (a paragraph about "the operation"
            borrows the article's vocabulary); at tagging time the whole article is there, so this is fair.
  sentences stance decided per sentence too: a side's probability is the largest over the paragraph and
            each of its sentences (a paragraph takes a side if one of its sentences does).
  svm       linear SVMs (scikit-learn LinearSVC, C=1, balanced class weights) instead of logistic regression.

The protocol is simpler than ``themetag evaluate`` so the probe is cheap: theme cut 0.5 (decision 0 for the
SVM), no inner threshold search; stance by argmax and with every side's probability (decision, for the SVM)
scaled by a fixed ×2 — the weight the shipped model's inner search chose, fixed here, never chosen on these
test folds. Compare rows with each other, not with the evaluate table.
"""

from __future__ import annotations

import argparse
import json
import re
import time

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.svm import LinearSVC

from themetag import load_labels
from themetag.labels import source_of
from themetag.metrics import stance_scores, theme_scores
from themetag.training import TrainConfig, fit_features, theme_matrix

SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]?\s+(?=[\"“‘(]?[A-Z0-9])")


def sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_END.split(text) if len(s.split()) >= 4]


def doc_means(X: sp.csr_matrix, docs: list[str]) -> sp.csr_matrix:
    """Each row replaced by the mean of its document's rows."""
    order = sorted(set(docs))
    index = {d: i for i, d in enumerate(order)}
    rows = np.array([index[d] for d in docs])
    member = sp.csr_matrix((np.ones(len(docs)), (rows, np.arange(len(docs)))), shape=(len(order), len(docs)))
    counts = np.asarray(member.sum(axis=1)).ravel()
    means = sp.diags(1.0 / counts) @ member @ X
    return sp.csr_matrix(means[rows])


def run_fold(train, test, schema, lever: str, config: TrainConfig) -> tuple[np.ndarray, dict[str, list[str]]]:
    features = fit_features([e.text for e in train], schema, config)
    X_train = features.transform([e.text for e in train]).to_scipy()
    X_test = features.transform([e.text for e in test]).to_scipy()
    if lever == "context":
        X_train = sp.hstack([X_train, doc_means(X_train, [e.doc for e in train])]).tocsr()
        X_test = sp.hstack([X_test, doc_means(X_test, [e.doc for e in test])]).tocsr()
    Y = theme_matrix(train, schema.themes)
    P = np.zeros((len(test), len(schema.themes)), dtype=int)
    for j in range(len(schema.themes)):
        if len(set(Y[:, j])) < 2:
            P[:, j] = Y[0, j]
            continue
        if lever == "svm":
            est = LinearSVC(C=1.0, class_weight="balanced", random_state=0).fit(X_train, Y[:, j])
            P[:, j] = est.decision_function(X_test) > 0
        else:
            est = LogisticRegression(C=config.theme_c, class_weight="balanced", solver="liblinear", max_iter=3000).fit(
                X_train, Y[:, j]
            )
            P[:, j] = est.predict_proba(X_test)[:, 1] >= 0.5
    stances = [e.stance for e in train]
    if lever == "svm":
        est = LinearSVC(C=1.0, class_weight="balanced", random_state=0).fit(X_train, stances)
        score = est.decision_function(X_test)
        # Scaling a margin does not move it across zero the way a probability weight does: shift the sides instead.
        shift = np.array([0.0 if c == schema.null_stance else 0.25 for c in est.classes_])
        scaled = score + shift
    else:
        est = LogisticRegression(C=config.stance_c, class_weight="balanced", max_iter=3000).fit(X_train, stances)
        score = est.predict_proba(X_test)
        if lever == "sentences":
            for i, e in enumerate(test):
                parts = sentences(e.text)
                if len(parts) > 1:
                    rows = features.transform(parts).to_scipy()
                    score[i] = np.maximum(score[i], est.predict_proba(rows).max(axis=0))
        weight = np.array([1.0 if c == schema.null_stance else 2.0 for c in est.classes_])
        scaled = score * weight
    classes = list(est.classes_)
    return P, {
        "argmax": [classes[k] for k in np.argmax(score, axis=1)],
        "sides_x2": [classes[k] for k in np.argmax(scaled, axis=1)],
    }


def evaluate(content, schema, splits, lever, config):
    P = np.zeros((len(content), len(schema.themes)), dtype=int)
    decided = {"argmax": [None] * len(content), "sides_x2": [None] * len(content)}
    for train_idx, test_idx in splits:
        p, d = run_fold([content[i] for i in train_idx], [content[i] for i in test_idx], schema, lever, config)
        P[test_idx] = p
        for rule, values in d.items():
            for i, v in zip(test_idx, values):
                decided[rule][i] = v
    seen = [i for i in range(len(content)) if decided["argmax"][i] is not None]
    Y = theme_matrix([content[i] for i in seen], schema.themes)
    truth = [content[i].stance for i in seen]
    return {
        "theme_micro_f1": theme_scores(Y, P[seen], schema)["micro_f1"],
        **{f"f_avg_{rule}": stance_scores(truth, [v[i] for i in seen], schema)["f_avg"] for rule, v in decided.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("levers", nargs="*", default=["baseline", "context", "sentences", "svm"])
    parser.add_argument("--labels", default="labels")
    parser.add_argument("--corpus", default="../shared/corpus")
    parser.add_argument("--out", help="append one JSON line per lever here")
    args = parser.parse_args()
    labels = load_labels(args.labels, corpus_dir=args.corpus)
    schema, config = labels.schema, TrainConfig()
    content = [e for e in labels.examples if e.kind == "content"]
    groups = np.array([e.doc for e in content])
    cv = list(GroupKFold(n_splits=config.folds).split(content, groups=groups))
    ic = np.array([source_of(e) == "insightcrime" for e in content])
    loso = [(np.flatnonzero(~ic), np.flatnonzero(ic))]
    print(
        "| lever | CV theme micro-F1 | CV F_avg argmax / sides ×2 | LOSO InSight Crime theme | LOSO IC F_avg argmax / sides ×2 | seconds |"
    )
    print("|---|---|---|---|---|---|")
    for lever in args.levers:
        start = time.perf_counter()
        a = evaluate(content, schema, cv, lever, config)
        b = evaluate(content, schema, loso, lever, config)
        print(
            f"| {lever} | {a['theme_micro_f1']:.3f} | {a['f_avg_argmax']:.3f} / {a['f_avg_sides_x2']:.3f} | "
            f"{b['theme_micro_f1']:.3f} | {b['f_avg_argmax']:.3f} / {b['f_avg_sides_x2']:.3f} | {time.perf_counter() - start:.0f} |",
            flush=True,
        )
        if args.out:
            with open(args.out, "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"lever": lever, "cv": a, "loso_insightcrime": b}) + "\n")


if __name__ == "__main__":
    main()
