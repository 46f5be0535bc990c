"""A training configuration file: written by ``themetag init-config``, read by ``train`` and ``evaluate --config``.

TOML, one setting per line with what it does, so a user can keep it beside
their labels and see how a model was made (the settings also go into the
model's ``metadata.json`` as ``training``). Reading checks every name and
value: a typo is an error naming the line's key, not a silent default.

>>> from themetag.config import TrainConfig
>>> text = config_text(TrainConfig(classifier="svm", source_weights={"my_outlet": 3.0}))
>>> parse_config(text) == TrainConfig(classifier="svm", source_weights={"my_outlet": 3.0})
True
"""

from __future__ import annotations

import os
import sys
import textwrap
from dataclasses import asdict, dataclass, field, fields

from .errors import LabelError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: ``classifier`` values: the two heads, and ``auto`` (the one that scores better in grouped inner cross-validation).
CLASSIFIERS = ("logistic", "svm", "auto")


#: ``max_label_chars``' default: training memory grows with the labels' characters (mostly the feature matrices
#: and the solvers' copies of them), so past this many a run is refused before it fits anything.
MAX_LABEL_CHARS = 25_000_000


def _setting(default, doc: str, *, limit: bool = False):
    """A dataclass field with its description: the one place a setting is explained. A ``limit`` bounds a run's
    resources and changes no model: :meth:`TrainConfig.to_dict` leaves it out while it has its default."""
    metadata = {"doc": doc, "limit": limit}
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: default, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class TrainConfig:
    """Training parameters; stored in the model's metadata.json. Each setting's one description (``doc``) is what
    ``init-config`` writes above it and what ``train --help`` says of it (:func:`setting_doc`)."""

    seed: int = _setting(0, "random seed: same labels + seed -> same model and metrics")
    folds: int = _setting(5, "grouped cross-validation folds (groups: documents)")
    inner_folds: int = _setting(
        4,
        "inner grouped folds for theme thresholds, stance side weights and SVM calibration",
    )
    theme_c: float = _setting(
        8.0,
        "inverse regularisation strength (C) of the theme classifiers: larger fits the labels more closely",
    )
    stance_c: float = _setting(4.0, "C of the stance classifier")
    kind_c: float = _setting(
        4.0,
        "C of the kind classifier (content / heading / boilerplate), used only when it beats the segmenter's rules",
    )
    word_ngrams: tuple[int, int] = _setting((1, 2), "stemmed word n-grams, [shortest, longest]")
    char_ngrams: tuple[int, int] | None = _setting(
        (3, 5),
        "character n-grams within words, [shortest, longest]; comment it out for none",
    )
    min_df: int = _setting(2, "a term must occur in at least this many training paragraphs")
    use_cues: bool = _setting(True, "count the schema's cue phrases as features")
    cue_weight: float = _setting(
        3.0,
        "weight of the cue-count features beside the TF-IDF ones (chosen by grouped CV, scripts/levers.py: 1 "
        "-> 3 moved theme micro-F1 0.564 -> 0.580)",
    )
    class_weight: str | None = _setting(
        "balanced",
        '"balanced" weighs rare classes up (sides, rare themes); comment it out for none',
    )
    default_threshold: float = _setting(
        0.5,
        "theme probability cut for themes whose threshold cannot be tuned (too few examples)",
    )
    stance_decision: str = _setting(
        "tuned",
        '"tuned" (each side\'s probability times one weight chosen on inner out-of-fold predictions to '
        "maximise F_avg, because a model trained where sides are rare says the null stance too often: grouped"
        ' CV F_avg 0.348 -> 0.356, leave-one-source-out 0.193 -> 0.247, scripts/levers.py), "tuned_per_side" '
        '(a weight for each side), or "argmax" (the likeliest stance)',
    )
    source_weights: dict | None = _setting(
        None,
        "weight of each label file's examples, e.g. my_outlet = 3.0 (label file my_outlet.jsonl); files not "
        "named weigh 1",
    )
    max_label_chars: int = _setting(
        MAX_LABEL_CHARS,
        "most characters of labeled paragraph text a run trains on: more is refused before any fitting, because "
        "training memory grows with them (on random text about 36 bytes a character: 1.3 GB for 23 million; the "
        "project's labels hold 1.36 million); raise it for larger label sets. A limit, not a parameter: it changes "
        "no model, and a model's metadata names it only when it was raised",
        limit=True,
    )
    classifier: str = _setting(
        "logistic",
        '"logistic" (logistic regression), "svm" (linear SVM, Platt-calibrated on grouped out-of-fold scores)'
        ' or "auto" (whichever scores better in grouped inner cross-validation; the choice is in the model '
        "card); theme_c and stance_c are the C of either",
    )

    def __post_init__(self):
        self.check()

    def check(self) -> None:
        """Refuse settings no run could use, with the setting's name (a config file is written by hand)."""

        def fail(name: str, expected: str) -> LabelError:
            return LabelError(f"training setting {name!r} must be {expected}, not {getattr(self, name)!r}")

        def integer(name: str, low: int, high: int) -> None:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise fail(name, f"an integer from {low} to {high}")

        def number(name: str, low: float, high: float) -> None:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                raise fail(name, f"a number from {low:g} to {high:g}")

        def ngrams(name: str, high: int, optional: bool) -> None:
            value = getattr(self, name)
            if value is None and optional:
                return
            if not (
                isinstance(value, (tuple, list))
                and len(value) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
                and 1 <= value[0] <= value[1] <= high
            ):
                raise fail(name, f"[low, high] with 1 <= low <= high <= {high}" + (" (or absent)" if optional else ""))

        integer("seed", 0, 2**32 - 1)
        integer("folds", 2, 100)
        integer("inner_folds", 2, 100)
        integer("min_df", 1, 1_000_000)
        integer("max_label_chars", 1, 10**12)
        for name in ("theme_c", "stance_c", "kind_c"):
            number(name, 1e-6, 1e6)
        number("cue_weight", 0, 1e3)
        number("default_threshold", 0, 1)
        ngrams("word_ngrams", 6, optional=False)
        ngrams("char_ngrams", 10, optional=True)
        if not isinstance(self.use_cues, bool):
            raise fail("use_cues", "true or false")
        if self.class_weight not in (None, "balanced"):
            raise fail("class_weight", '"balanced" or absent')
        if self.stance_decision not in ("tuned", "tuned_per_side", "argmax"):
            raise fail("stance_decision", '"tuned", "tuned_per_side" or "argmax"')
        if self.classifier not in CLASSIFIERS:
            raise fail("classifier", '"logistic", "svm" or "auto"')
        if self.source_weights is not None and not (
            isinstance(self.source_weights, dict)
            and all(
                isinstance(k, str) and not isinstance(v, bool) and isinstance(v, (int, float)) and 0 < v < 1e6
                for k, v in self.source_weights.items()
            )
        ):
            raise fail("source_weights", "a table of label-file names to positive numbers")

    def to_dict(self) -> dict:
        """The settings as a plain dict, as stored in metadata.json: limits (``max_label_chars``) only where raised
        or lowered, so that a model's metadata, and the settings ``evaluate --output`` records, are what they were
        before the limit existed."""
        settings = asdict(self)
        for f in fields(self):
            if f.metadata.get("limit") and settings[f.name] == f.default:
                del settings[f.name]
        return settings

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        """Settings as stored in metadata.json; keys this version does not know raise LabelError naming them."""
        if not isinstance(data, dict):
            raise LabelError(f"training settings must be a JSON object, not {type(data).__name__}")
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise LabelError(f"training settings this themetag does not know: {', '.join(map(str, unknown))}")
        data = dict(data)
        for key in ("word_ngrams", "char_ngrams"):
            if data.get(key) is not None:
                data[key] = tuple(data[key])
        return cls(**data)


def setting_doc(name: str) -> str:
    """What a training setting does, as ``init-config`` and ``--help`` say it.

    >>> setting_doc("seed")
    'random seed: same labels + seed -> same model and metrics'
    """
    return next(f.metadata["doc"] for f in fields(TrainConfig) if f.name == name)


def _key(name: str) -> str:
    """A TOML key: bare where TOML allows it (letters, digits, _ and -), else quoted (``"llm:llama3.2"``)."""
    import json
    import re

    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name)


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
    settings = asdict(config)
    explained = {f.name: f.metadata["doc"] for f in fields(TrainConfig)}
    lines = [
        "# themetag training configuration: themetag train --labels DIR --out MODEL --config this.toml",
        "# (also: themetag evaluate --config this.toml). Options given on the command line win over this file.",
        "",
    ]
    for name, help_text in explained.items():
        if name == "source_weights":
            continue
        lines += [f"# {line}" for line in textwrap.wrap(help_text, 100)]
        value = settings[name]
        lines.append(f"{name} = {_value(value)}" if value is not None else f"# {name} = ...")
        lines.append("")
    lines += [*(f"# {line}" for line in textwrap.wrap(explained["source_weights"], 100)), "[source_weights]"]
    lines += [f"{_key(k)} = {_value(float(v))}" for k, v in (settings["source_weights"] or {}).items()] or [
        "# my_outlet = 3.0"
    ]
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
