"""A training configuration file: written by ``themetag init-config``, read by ``train`` and ``evaluate --config``.

TOML, one setting per line with what it does, so a user can keep it beside
their labels and see how a model was made (the settings also go into the
model's ``metadata.json`` as ``training``). Reading checks every name and
value: a typo is an error naming the line's key, not a silent default.

>>> from themetag.training import TrainConfig
>>> text = config_text(TrainConfig(classifier="svm", source_weights={"my_outlet": 3.0}))
>>> parse_config(text) == TrainConfig(classifier="svm", source_weights={"my_outlet": 3.0})
True
"""

from __future__ import annotations

import os
import sys

from .errors import LabelError
from .training import TrainConfig

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: What each setting does, in the order the file lists them.
EXPLAINED = {
    "seed": "random seed: same labels + seed -> same model and metrics",
    "folds": "grouped cross-validation folds (groups: documents)",
    "inner_folds": "inner grouped folds for theme thresholds, stance side weights and SVM calibration",
    "classifier": '"logistic" (logistic regression), "svm" (linear SVM, Platt-calibrated on grouped out-of-fold scores) or "auto" (whichever scores better in grouped inner cross-validation; the choice is in the model card)',
    "theme_c": "inverse regularisation strength (C) of the theme classifiers: larger fits the labels more closely",
    "stance_c": "C of the stance classifier",
    "kind_c": "C of the kind classifier (content / heading / boilerplate), used only when it beats the segmenter's rules",
    "class_weight": '"balanced" weighs rare classes up (sides, rare themes); comment it out for none',
    "stance_decision": '"tuned" (one side weight chosen to maximise F_avg), "tuned_per_side", or "argmax"',
    "default_threshold": "theme probability cut for themes whose threshold cannot be tuned (too few examples)",
    "word_ngrams": "stemmed word n-grams, [shortest, longest]",
    "char_ngrams": "character n-grams within words, [shortest, longest]; comment it out for none",
    "min_df": "a term must occur in at least this many training paragraphs",
    "use_cues": "count the schema's cue phrases as features",
    "cue_weight": "weight of the cue-count features beside the TF-IDF ones",
    "source_weights": "weight of each label file's examples, e.g. my_outlet = 3.0 (label file my_outlet.jsonl)",
}


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return repr(value)


def config_text(config: TrainConfig = TrainConfig()) -> str:
    """The configuration as a commented TOML file."""
    settings = config.to_dict()
    missing = set(settings) - set(EXPLAINED)
    assert not missing, f"explain these settings in EXPLAINED: {missing}"
    lines = [
        "# themetag training configuration: themetag train --labels DIR --out MODEL --config this.toml",
        "# (also: themetag evaluate --config this.toml). Options given on the command line win over this file.",
        "",
    ]
    for name, help_text in EXPLAINED.items():
        if name == "source_weights":
            continue
        lines.append(f"# {help_text}")
        value = settings[name]
        lines.append(f"{name} = {_value(value)}" if value is not None else f"# {name} = ...")
        lines.append("")
    lines += [f"# {EXPLAINED['source_weights']}", "[source_weights]"]
    lines += [f"{k} = {_value(float(v))}" for k, v in (settings["source_weights"] or {}).items()] or ["# my_outlet = 3.0"]
    return "\n".join(lines) + "\n"


def parse_config(text: str, where: str = "<config>") -> TrainConfig:
    """A TrainConfig from TOML text; unknown names and bad values raise LabelError naming them."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LabelError(f"not valid TOML: {exc}", path=where) from None
    except RecursionError:  # arrays or tables nested thousands deep: no training config looks like that
        raise LabelError("not a training config: values nested too deep", path=where) from None
    weights = data.pop("source_weights", None)
    if weights is not None:
        data["source_weights"] = weights or None
    for name in ("word_ngrams", "char_ngrams"):
        if isinstance(data.get(name), list):
            data[name] = tuple(data[name])
    try:
        return TrainConfig.from_dict(data)
    except LabelError as exc:
        raise LabelError(str(exc), path=where) from None
    except TypeError as exc:
        raise LabelError(f"bad setting: {exc}", path=where) from None


def load_config(path: str | os.PathLike) -> TrainConfig:
    """Read a configuration file (see :func:`config_text`)."""
    from .io import read_bounded

    raw, where = read_bounded(path, LabelError, limit=1_000_000)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LabelError("not UTF-8 text", path=where) from None
    return parse_config(text, where)
