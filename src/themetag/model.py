"""The fitted model as data: one feature space, linear heads for themes, stance and kind.

Training (``training.py``) fits scikit-learn estimators and copies their weights
here; tagging needs only NumPy. The same :class:`Model` code scores cross-
validation folds and tags articles, so the numbers reported are those of the
code that ships.

Stored in a model directory as ``model.npz`` (arrays only, read with
``allow_pickle=False``) plus a ``"model"`` section in ``metadata.json`` (label
names, thresholds, feature settings, array shapes and a SHA-256 of the whole),
checked on load: a model file can hold numbers and strings, never code.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import LabelError, ModelError
from .features import FeatureSpace, SparseRows, stemmer_fingerprint
from .schema import KINDS, Schema


@dataclass
class LinearHead:
    """Scores = features @ coef + intercept; probabilities by ``link`` (sigmoid per class, or softmax)."""

    classes: list[str]
    coef: np.ndarray  # (n_features, n_classes)
    intercept: np.ndarray  # (n_classes,)
    link: str  # "sigmoid" (themes), "softmax" (logistic regression) or "ovr" (calibrated one-vs-rest SVM)

    @classmethod
    def from_logistic_regression(cls, estimator, classes: Sequence[str] | None = None) -> "LinearHead":
        """Copy a fitted scikit-learn LogisticRegression (multinomial, or binary as a two-class softmax)."""
        classes = [str(c) for c in (estimator.classes_ if classes is None else classes)]
        coef, intercept = estimator.coef_, estimator.intercept_
        if coef.shape[0] == 1 and len(classes) == 2:
            # Binary LR scores only the second class: softmax([0, z]) = [1 - σ(z), σ(z)].
            coef = np.vstack([np.zeros_like(coef), coef])
            intercept = np.concatenate([[0.0], intercept])
        return cls(
            classes, np.ascontiguousarray(coef.T, dtype=np.float64), np.asarray(intercept, dtype=np.float64), "softmax"
        )

    def scores(self, rows: SparseRows) -> np.ndarray:
        """The linear scores before the link (rows × classes)."""
        return rows.dot(self.coef) + self.intercept

    def probabilities(self, rows: SparseRows) -> np.ndarray:
        """Each row's probability per class (rows × classes, columns in ``classes`` order)."""
        return self.link_function(self.scores(rows))

    def link_function(self, z: np.ndarray) -> np.ndarray:
        """Probabilities from scores (rows × classes)."""
        if self.link == "sigmoid":
            return 1.0 / (1.0 + np.exp(-z))
        if self.link == "ovr":
            # One-vs-rest: a calibrated sigmoid per class (a linear SVM with Platt scaling), normalised to sum to 1.
            p = 1.0 / (1.0 + np.exp(-z))
            return p / np.maximum(p.sum(axis=1, keepdims=True), 1e-300)
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


@dataclass
class Model:
    """What tagging needs: features, heads, theme thresholds, the schema, and where kind comes from."""

    schema: Schema
    features: FeatureSpace
    themes: LinearHead | None  # sigmoid head over the themes that varied in training
    theme_thresholds: dict[str, float]
    constant_themes: dict[str, int]  # themes with one class only in training: always this value
    stance: LinearHead | None
    constant_stance: str | None
    kind: LinearHead | None = None  # fitted only when the learned kind model beat the segmenter's rules
    kind_source: str = "rules"
    default_threshold: float = 0.5
    training: dict = field(default_factory=dict)
    #: Each side's probability is multiplied by its weight before the likeliest stance is taken (none: plain argmax).
    stance_weights: dict[str, float] = field(default_factory=dict)
    #: Kinds people labeled short units with, by :func:`~themetag.segmentation.template_key`: they win over the rules
    #: and the kind head, so a correction ("Listen to this article" is boilerplate) takes in the retrained model.
    kind_memory: dict[str, str] = field(default_factory=dict)
    #: With ``classifier="auto"``: the head chosen and the inner cross-validation scores it was chosen on.
    classifier_choice: dict | None = None

    def __getstate__(self) -> dict:
        # The stacked weights are derived (a copy of the heads' weights): rebuilt where the model arrives.
        return {k: v for k, v in self.__dict__.items() if k != "_stacked"}

    # ------------------------------------------------------------------ prediction

    def transform(self, texts: Sequence[str]) -> SparseRows:
        """The feature rows of ``texts``, one per text, for the prediction methods."""
        return self.features.transform(texts)

    def theme_probabilities(self, texts: Sequence[str] | SparseRows) -> np.ndarray:
        """Theme probabilities (rows × themes, in the schema's order) of texts or feature rows.

        A theme that had one class only in training gets its constant 0 or 1.
        """
        rows = texts if isinstance(texts, SparseRows) else self.transform(texts)
        proba = self.themes.probabilities(rows) if self.themes is not None and len(rows) else None
        return self._in_schema_order(proba, len(rows))

    def _in_schema_order(self, proba: np.ndarray | None, n_rows: int) -> np.ndarray:
        """The theme head's probabilities (None: no head) as columns in the schema's theme order, constants filled in."""
        themes = self.schema.themes
        if proba is not None and tuple(self.themes.classes) == tuple(themes) and not self.constant_themes:
            return proba
        out = np.zeros((n_rows, len(themes)))
        if proba is not None:
            for j, t in enumerate(self.themes.classes):
                out[:, themes.index(t)] = proba[:, j]
        for t, value in self.constant_themes.items():
            out[:, themes.index(t)] = float(value)
        return out

    def theme_and_stance_probabilities(self, rows: SparseRows) -> tuple[np.ndarray, list[str], np.ndarray]:
        """(theme probabilities, stance classes, stance probabilities): both heads scored in one pass over the rows."""
        heads = [h for h in (self.themes, self.stance) if h is not None]
        if len(heads) < 2 or not len(rows):
            classes, stance = self.stance_probabilities(rows)
            return self.theme_probabilities(rows), classes, stance
        stacked = getattr(self, "_stacked", None)
        if stacked is None or stacked[0] != (id(self.themes.coef), id(self.stance.coef)):
            # Both heads' weights side by side, C-ordered: each feature's weights are one contiguous row to gather.
            stacked = self._stacked = (
                (id(self.themes.coef), id(self.stance.coef)),
                np.ascontiguousarray(np.hstack([h.coef for h in heads])),
                np.concatenate([h.intercept for h in heads]),
            )
        z = rows.dot(stacked[1]) + stacked[2]
        k = len(self.themes.classes)
        theme_p = self._in_schema_order(self.themes.link_function(z[:, :k]), len(rows))
        return theme_p, list(self.stance.classes), self.stance.link_function(z[:, k:])

    def theme_decisions(self, proba: np.ndarray) -> np.ndarray:
        """Theme tags (0/1 ints) from theme probabilities (rows × themes): each at least its theme's threshold."""
        return (proba >= self.thresholds()).astype(int)

    def thresholds(self) -> np.ndarray:
        """Each theme's probability threshold, in the schema's theme order (``default_threshold`` where none is set)."""
        return np.array([self.theme_thresholds.get(t, self.default_threshold) for t in self.schema.themes])

    def stance_probabilities(self, texts: Sequence[str] | SparseRows) -> tuple[list[str], np.ndarray]:
        """(stance classes, probabilities: rows × classes) of texts or feature rows.

        Without a stance head: the constant stance alone, with probability 1.
        """
        rows = texts if isinstance(texts, SparseRows) else self.transform(texts)
        if self.stance is None:
            return [self.constant_stance], np.ones((len(rows), 1))
        return list(self.stance.classes), self.stance.probabilities(rows)

    def stance_decisions(self, classes: list[str], proba: np.ndarray) -> list[str]:
        """The stance of each row: the likeliest after weighting the sides (``stance_weights``)."""
        if self.stance_weights:
            proba = proba * np.array([self.stance_weights.get(c, 1.0) for c in classes])
        return [classes[int(k)] for k in np.argmax(proba, axis=1)] if len(proba) else []

    def kind_predictions(self, texts: Sequence[str] | SparseRows) -> list[str]:
        """The kind head's likeliest kind per text or feature row; ``"content"`` for all when there is no kind head.

        Neither the segmenter's rules nor ``kind_memory`` are applied here.
        """
        if self.kind is None:
            return ["content"] * len(texts)
        rows = texts if isinstance(texts, SparseRows) else self.transform(texts)
        proba = self.kind.probabilities(rows)
        return [self.kind.classes[int(j)] for j in np.argmax(proba, axis=1)]

    def explain(self, rows: SparseRows, i: int, head: str, label: str, top: int = 5) -> list[tuple[str, float]]:
        """The features that weighed most for ``label`` in row ``i``: (feature, coefficient × value), largest first."""
        linear = {"themes": self.themes, "stance": self.stance, "kind": self.kind}[head]
        if linear is None or label not in linear.classes:
            return []
        indices, values = rows.row(i)
        weights = values * linear.coef[indices, linear.classes.index(label)]
        if linear.link == "softmax" and len(linear.classes) > 1:
            # Softmax is shift-invariant: what favours a class is its weight minus the mean over classes.
            weights = weights - values * linear.coef[indices].mean(axis=1)
        order = np.argsort(-weights, kind="stable")[:top]
        return [(self._feature_name(int(indices[k])), round(float(weights[k]), 4)) for k in order if weights[k] > 0]

    def _feature_name(self, column: int) -> str:
        f = self.features
        n_words, n_chars = len(f.word_vocabulary), len(f.char_vocabulary)
        if column < n_words:
            return f.word_vocabulary[column]
        if column < n_words + n_chars:
            return repr(f.char_vocabulary[column - n_words])
        return "cue:" + list(f.cues)[column - n_words - n_chars]

    # ------------------------------------------------------------------ storage as data

    def to_data(self) -> tuple[dict, dict[str, np.ndarray]]:
        """(settings for metadata.json, named arrays for model.npz); the settings carry a hash of both."""
        arrays = dict(self.features.arrays())
        heads = {}
        for name in ("themes", "stance", "kind"):
            head: LinearHead | None = getattr(self, name)
            if head is not None:
                arrays[f"{name}_coef"] = head.coef
                arrays[f"{name}_intercept"] = head.intercept
                heads[name] = {"classes": list(head.classes), "link": head.link}
        if self.kind_memory:  # written only when there is one, so that models made before it keep their hash
            keys = sorted(self.kind_memory)
            arrays["kind_memory_keys"] = np.array(keys, dtype=str)
            arrays["kind_memory_kinds"] = np.array([KINDS.index(self.kind_memory[k]) for k in keys], dtype=np.int8)
        settings = {
            "features": self.features.settings(),
            "heads": heads,
            "theme_thresholds": dict(self.theme_thresholds),
            "constant_themes": dict(self.constant_themes),
            "constant_stance": self.constant_stance,
            "kind_source": self.kind_source,
            "default_threshold": self.default_threshold,
            "stemmer": stemmer_fingerprint(),
            # Written only when set, so that models made before side weights existed keep their hash.
            **({"stance_weights": dict(self.stance_weights)} if self.stance_weights else {}),
            **({"classifier_choice": self.classifier_choice} if self.classifier_choice else {}),
            "arrays": {k: {"dtype": v.dtype.str, "shape": list(v.shape)} for k, v in sorted(arrays.items())},
        }
        settings["sha256"] = content_hash(settings, arrays)
        return settings, arrays

    def save(
        self,
        path: str | os.PathLike,
        *,
        metadata: dict | None = None,
        card: str | None = None,
        keep_previous: bool = False,
    ) -> dict:
        """Write this model as a model folder (:mod:`themetag.store`); ``metadata``: what else metadata.json says
        (format, versions, labels, CV metrics: :func:`~themetag.store.build_metadata`). Returns the metadata written:
        ``metadata`` with this model's settings."""
        from .store import save_model_folder

        settings, arrays = self.to_data()
        written = {**(metadata or {}), "model": settings}  # the settings of exactly these arrays
        save_model_folder(Path(path), written, arrays, card=card, keep_previous=keep_previous)
        return written

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> "Model":
        """The model in a model folder (``None``: the shipped one), checked completely (see :meth:`from_stored`)."""
        from .store import read_model_folder

        return cls.from_stored(*read_model_folder(path))

    @classmethod
    def from_stored(cls, metadata: dict, arrays: dict[str, np.ndarray], where: Path) -> "Model":
        """The model of a folder's metadata.json and arrays (:func:`~themetag.store.read_model_folder`): settings,
        schema, array shapes and types, and the content hash checked; anything that does not fit is a ModelError."""
        try:
            schema = Schema.from_dict(metadata["schema"])
            return cls.from_data(schema, metadata["model"], arrays, training=metadata.get("training"))
        except (ModelError, LabelError) as exc:
            raise ModelError(f"{where}: {exc}; retrain it with `themetag train`") from None
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
            raise ModelError(
                f"{where / 'metadata.json'}: not themetag model metadata ({type(exc).__name__}: {exc}); "
                "retrain it with `themetag train`"
            ) from None

    @classmethod
    def from_data(
        cls, schema: Schema, settings: dict, arrays: dict[str, np.ndarray], training: dict | None = None
    ) -> "Model":
        """The model of stored settings (metadata.json's ``"model"``) and arrays (model.npz), checked first.

        Parts that do not fit together (names, shapes, dtypes, hash, stemmer, values) raise ModelError.
        """
        _check(schema, settings, arrays)
        features = FeatureSpace.from_data(settings["features"], arrays)
        heads = {}
        for name, head in settings["heads"].items():
            heads[name] = LinearHead(
                list(head["classes"]), arrays[f"{name}_coef"], arrays[f"{name}_intercept"], head["link"]
            )
        return cls(
            schema=schema,
            features=features,
            themes=heads.get("themes"),
            theme_thresholds={k: float(v) for k, v in settings["theme_thresholds"].items()},
            constant_themes={k: int(v) for k, v in settings["constant_themes"].items()},
            stance=heads.get("stance"),
            constant_stance=settings["constant_stance"],
            kind=heads.get("kind"),
            kind_source=settings["kind_source"],
            default_threshold=float(settings["default_threshold"]),
            training=training or {},
            stance_weights={k: float(v) for k, v in settings.get("stance_weights", {}).items()},
            classifier_choice=settings.get("classifier_choice")
            if isinstance(settings.get("classifier_choice"), dict)
            else None,
            kind_memory=dict(
                zip(arrays["kind_memory_keys"].tolist(), (KINDS[int(k)] for k in arrays["kind_memory_kinds"]))
            )
            if "kind_memory_keys" in arrays
            else {},
        )


def content_hash(settings: dict, arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over the settings (less the hash itself) and every array's name, dtype, shape and bytes."""
    digest = hashlib.sha256()
    digest.update(json.dumps({k: v for k, v in settings.items() if k != "sha256"}, sort_keys=True).encode())
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"\0{name}\0{array.dtype.str}\0{array.shape}\0".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def _check(schema: Schema, settings: dict, arrays: dict[str, np.ndarray]) -> None:
    """Refuse a model whose parts do not fit together: names, shapes, dtypes, hash, stemmer."""
    try:
        expected = {k: (v["dtype"], tuple(v["shape"])) for k, v in settings["arrays"].items()}
        heads = settings["heads"]
        features = settings["features"]
        constant_themes = settings["constant_themes"]
        thresholds = settings["theme_thresholds"]
    except (KeyError, TypeError) as exc:
        raise ModelError(f"the model settings in metadata.json are incomplete ({exc!r} missing)") from None
    found = {k: (v.dtype.str, v.shape) for k, v in arrays.items()}
    if found != expected:
        raise ModelError(
            f"model.npz does not match metadata.json: arrays {sorted(found)} vs {sorted(expected)} (or their shapes differ)"
        )
    _check_kinds(arrays)
    if settings.get("sha256") != content_hash(settings, arrays):
        raise ModelError("model.npz or metadata.json was changed after training: the content hash does not match")
    n_features = len(arrays["word_vocabulary"]) + len(arrays["char_vocabulary"]) + len(features.get("cues", {}))
    if (
        arrays["word_idf"].shape != arrays["word_vocabulary"].shape
        or arrays["char_idf"].shape != arrays["char_vocabulary"].shape
    ):
        raise ModelError("vocabularies and IDF weights differ in length")
    allowed = {"themes": set(schema.themes), "stance": set(schema.stances), "kind": set(KINDS)}
    for name, head in heads.items():
        if name not in allowed:
            raise ModelError(f"unknown model head {name!r}")
        if not set(head["classes"]) <= allowed[name]:
            raise ModelError(
                f"the {name} head predicts {sorted(set(head['classes']) - allowed[name])}, which the schema does not declare"
            )
        coef, intercept = arrays[f"{name}_coef"], arrays[f"{name}_intercept"]
        if coef.shape != (n_features, len(head["classes"])) or intercept.shape != (len(head["classes"]),):
            raise ModelError(
                f"the {name} head's weights have shape {coef.shape}, expected {(n_features, len(head['classes']))}"
            )
        if head["link"] not in ("sigmoid", "softmax", "ovr"):
            raise ModelError(f"the {name} head has unknown link {head['link']!r}")
    memory = [name for name in ("kind_memory_keys", "kind_memory_kinds") if name in arrays]
    if memory:
        keys, kinds = arrays.get("kind_memory_keys"), arrays.get("kind_memory_kinds")
        if (
            len(memory) != 2
            or keys.dtype.kind != "U"
            or kinds.dtype != np.int8
            or keys.ndim != 1
            or keys.shape != kinds.shape
            or len(set(keys.tolist())) != len(keys)
            or not ((kinds >= 0) & (kinds < len(KINDS))).all()
        ):
            raise ModelError(
                "the kind memory must be unique texts (kind_memory_keys) and their kinds (kind_memory_kinds, 0-2)"
            )
    if not set(constant_themes) | set(thresholds) <= set(schema.themes):
        raise ModelError("the model's thresholds name themes the schema does not declare")
    if not set(settings.get("stance_weights", {})) <= set(schema.stances):
        raise ModelError("the model's stance weights name stances the schema does not declare")
    _check_values(schema, settings, arrays)
    if settings.get("stemmer") != stemmer_fingerprint():
        raise ModelError(
            "this model was trained with a stemmer that stems differently from the one installed (snowballstemmer); "
            "its features would differ: retrain it with `themetag train`"
        )


def _check_kinds(arrays: dict[str, np.ndarray]) -> None:
    """Every array of the kind training writes, before any table is built from it: vocabularies of unique strings
    (a repeated n-gram would make the feature tables' lookups run forever), weights and IDF of real floats (not
    complex, not dates), heads with at least one class, everything one-dimensional or a matrix as written."""
    for name, values in arrays.items():
        if name.endswith("_vocabulary") or name == "kind_memory_keys":
            if values.dtype.kind != "U" or values.ndim != 1:
                raise ModelError(
                    f"array {name!r} must be a list of strings, not {values.dtype} of shape {values.shape}"
                )
            if len(np.unique(values)) != len(values):
                raise ModelError(f"array {name!r} repeats an entry; a model's vocabulary holds each n-gram once")
        elif name.endswith(("_idf", "_coef", "_intercept")):
            if values.dtype.kind != "f" or values.dtype.itemsize not in (4, 8):
                raise ModelError(f"array {name!r} must hold real numbers (float), not {values.dtype}")
            if name.endswith("_coef") and (values.ndim != 2 or values.shape[1] == 0):
                raise ModelError(
                    f"array {name!r} must be a matrix with a column per class, not of shape {values.shape}"
                )
            if not name.endswith("_coef") and values.ndim != 1:
                raise ModelError(f"array {name!r} must be one-dimensional, not of shape {values.shape}")


#: The widest n-gram ranges a model may ask for: beyond these, features cost memory for nothing.
MAX_WORD_NGRAM = 6
MAX_CHAR_NGRAM = 10


def _check_values(schema: Schema, settings: dict, arrays: dict[str, np.ndarray]) -> None:
    """Refuse settings no training run writes: n-gram ranges that would exhaust memory, cut-offs and weights that
    are not finite numbers in range (a NaN threshold would silently tag nothing)."""

    def number(value: object, what: str, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise ModelError(f"{what} must be a number from {low:g} to {high:g}, not {value!r}")
        return float(value)

    def ngram_range(value: object, what: str, high: int) -> None:
        if not (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            and 1 <= value[0] <= value[1] <= high
        ):
            raise ModelError(f"{what} must be [low, high] with 1 <= low <= high <= {high}, not {value!r}")

    features = settings["features"]
    ngram_range(features.get("word_ngrams"), "features.word_ngrams", MAX_WORD_NGRAM)
    if features.get("char_ngrams") is not None:
        ngram_range(features["char_ngrams"], "features.char_ngrams", MAX_CHAR_NGRAM)
    number(features.get("cue_weight", 1.0), "features.cue_weight", 0, 1e3)
    cues = features.get("cues", {})
    if not isinstance(cues, dict) or not all(
        isinstance(v, list) and all(isinstance(c, str) for c in v) for v in cues.values()
    ):
        raise ModelError("features.cues must map names to lists of phrases")
    for theme, cut in settings["theme_thresholds"].items():
        number(cut, f"the threshold of theme {theme!r}", 0, 1)
    number(settings.get("default_threshold"), "default_threshold", 0, 1)
    for theme, value in settings["constant_themes"].items():
        if value not in (0, 1) or isinstance(value, bool):
            raise ModelError(f"constant theme {theme!r} must be 0 or 1, not {value!r}")
    for stance, weight in settings.get("stance_weights", {}).items():
        number(weight, f"the weight of stance {stance!r}", 1e-6, 1e6)
    constant = settings.get("constant_stance")
    if constant is not None and constant not in schema.stances:
        raise ModelError(f"constant_stance {constant!r} is not a stance of the schema")
    choice = settings.get("classifier_choice")
    if choice is not None and not (isinstance(choice, dict) and choice.get("chosen") in ("logistic", "svm")):
        raise ModelError(f"classifier_choice must name the chosen head (logistic or svm), not {choice!r}")
    if settings.get("kind_source") not in ("rules", "model"):
        raise ModelError(f"kind_source must be 'rules' or 'model', not {settings.get('kind_source')!r}")
    for name, values in arrays.items():
        if values.dtype.kind == "f" and not np.isfinite(values).all():
            raise ModelError(f"array {name!r} holds values that are not finite numbers (NaN or infinity)")
