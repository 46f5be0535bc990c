"""Paragraph text → feature matrix: stemmed word n-grams, character n-grams and schema cue counts.

This is the only module that uses nltk, and only its Snowball stemmer, which
needs no downloaded data.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
from nltk.stem.snowball import SnowballStemmer
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)
_STEMMER = SnowballStemmer("english")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return _STEMMER.stem(word)


def tokenize(text: str) -> list[str]:
    """Lower-cased, stemmed word tokens: "Eradicating coca" → ["erad", "coca"].

    Module-level (not a lambda) so that a fitted pipeline can be saved.
    """
    return [stem(w) for w in _WORD.findall(text.lower())]


def cue_pattern(cues: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex matching any cue phrase as whole stemmed tokens."""
    phrases = sorted({" ".join(tokenize(c)) for c in cues if tokenize(c)}, key=len, reverse=True)
    if not phrases:
        return None
    return re.compile(r"(?<!\S)(?:" + "|".join(re.escape(p) for p in phrases) + r")(?!\S)")


class CueCounter(TransformerMixin, BaseEstimator):
    """Counts, per label, how many of its cue phrases a paragraph contains (log-scaled).

    ``cues`` maps a feature name to cue phrases; the schema declares them, so
    domain knowledge enters the model as data, not code.
    """

    def __init__(self, *, cues: dict[str, tuple[str, ...]] | None = None):
        self.cues = cues

    def fit(self, X, y=None):
        _reject_bare_string(X)
        self.names_ = sorted(self.cues or {})
        self.patterns_ = [cue_pattern(tuple((self.cues or {})[n])) for n in self.names_]
        return self

    def transform(self, X):
        _reject_bare_string(X)
        rows = []
        for text in X:
            stemmed = " ".join(tokenize(text))
            rows.append([len(p.findall(stemmed)) if p is not None else 0 for p in self.patterns_])
        return sparse.csr_matrix(np.log1p(np.asarray(rows, dtype=float).reshape(len(rows), len(self.names_))))

    def get_feature_names_out(self, input_features=None):
        return np.asarray([f"cue:{n}" for n in self.names_], dtype=object)


def _reject_bare_string(X) -> None:
    if isinstance(X, str):
        raise ValueError("expected a list of paragraph texts, got a single str; wrap it in a list")


def build_features(
    *,
    cues: dict[str, tuple[str, ...]] | None = None,
    word_ngrams: tuple[int, int] = (1, 2),
    char_ngrams: tuple[int, int] | None = (3, 5),
    min_df: int = 2,
    cue_weight: float = 1.0,
) -> FeatureUnion:
    """The feature union every themetag model fits inside its own pipeline (and so inside each CV fold)."""
    parts: list[tuple[str, object]] = [
        (
            "words",
            TfidfVectorizer(
                tokenizer=tokenize,
                token_pattern=None,
                lowercase=False,
                ngram_range=word_ngrams,
                min_df=min_df,
                sublinear_tf=True,
                dtype=np.float64,
            ),
        )
    ]
    if char_ngrams is not None:
        parts.append(
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=char_ngrams, min_df=min_df, sublinear_tf=True, max_features=60_000, dtype=np.float64
                ),
            )
        )
    weights = {name: 1.0 for name, _ in parts}
    if cues:
        parts.append(("cues", CueCounter(cues=cues)))
        weights["cues"] = cue_weight
    return FeatureUnion(parts, transformer_weights=weights)
