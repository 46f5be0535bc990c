"""The scores the guide asks for: per-theme precision/recall/F1 with micro and macro F1; stance F1 and F_avg.

F_avg is SemEval-2016's stance measure: the mean F1 of the sides, the null
stance left out, so that a model that always says "neutral" scores 0.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from .schema import Schema


def stance_scores(y_true: Sequence[str], y_pred: Sequence[str], schema: Schema) -> dict:
    """Stance scores of predicted against true stance names: ``macro_f1`` (over all the schema's stances),
    ``f_avg``, ``accuracy`` and ``per_stance`` (precision, recall, F1, support); 0.0 where there is nothing to score."""
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
    """Theme scores of predicted tags ``P`` against true tags ``Y`` (0/1 arrays, paragraphs × schema themes):
    ``micro_f1``, ``macro_f1`` and ``per_theme`` (precision, recall, F1, support); 0.0 where nothing is scored."""
    per = {}
    for j, t in enumerate(schema.themes):
        p, r, f, _ = precision_recall_fscore_support(Y[:, j], P[:, j], average="binary", zero_division=0)
        per[t] = {"precision": p, "recall": r, "f1": f, "support": int(Y[:, j].sum())}
    return {
        "micro_f1": f1_score(Y, P, average="micro", zero_division=0) if Y.size else 0.0,
        "macro_f1": float(np.mean([v["f1"] for v in per.values()])) if per else 0.0,
        "per_theme": per,
    }
