"""Paragraph text → feature vectors: stemmed word n-grams, character n-grams and schema cue counts.

A fitted :class:`FeatureSpace` is plain data — two vocabularies with their IDF
weights and the cue phrases — so a model can be stored without pickle and
applied with NumPy alone. scikit-learn's ``TfidfVectorizer`` does the fitting
(:func:`fit_feature_space`, imported only when training); this module does the
transforming, and ``tests/test_features.py`` checks the two agree.

Stemming is the Snowball English stemmer from ``snowballstemmer`` (the Snowball
project's own Python port). NLTK ships the same algorithm, but importing NLTK
takes ~2 s (it imports SciPy's statistics), four times the cold-start budget
of ``themetag predict``.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Sequence

import numpy as np
import snowballstemmer

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)
_STEMMER = snowballstemmer.stemmer("english")

# Caches are bounded so that memory stays flat however many distinct words a
# long stream of articles brings: at most this many words, each at most
# _CACHED_WORD_CHARS long (longer ones are rare and computed each time).
_CACHE_WORDS = 200_000
_CACHED_WORD_CHARS = 64
#: A whitespace-separated "word" longer than this (a table rule, a data blob) gives character n-grams
#: of its first this-many characters only, and a letter run this long is not stemmed: one hostile 19 MB
#: "word" would otherwise make tens of millions of strings. Real words are far shorter (the longest
#: letter run in the labels is 23, the longest whitespace-separated token 1,597: an ASCII table rule).
MAX_WORD_CHARS = 2_000

#: Words whose stems fingerprint the stemmer: a model records them, and refuses
#: to load where the stemmer would give different features.
STEMMER_PROBE = (
    "militarization militarized eradication eradicating fumigation communities corruption corrupted "
    "development developing alternative substitution paramilitaries self-defense defenses vigilantes "
    "trafficking traffickers cartels policing police soldiers troops generously happily relational "
    "conditional rational valuation hopefulness goodness universities dying lying agreed feed"
).split()


@lru_cache(maxsize=_CACHE_WORDS)
def _cached_stem(word: str) -> str:
    return _STEMMER.stemWord(word)


def stem(word: str) -> str:
    """The Snowball English stem of a lower-cased word (words over ``MAX_WORD_CHARS`` are cut, not stemmed)."""
    if len(word) <= _CACHED_WORD_CHARS:
        return _cached_stem(word)
    return _STEMMER.stemWord(word) if len(word) <= MAX_WORD_CHARS else word[:MAX_WORD_CHARS]


def stemmer_fingerprint() -> str:
    return hashlib.sha256(" ".join(stem(w) for w in STEMMER_PROBE).encode()).hexdigest()[:16]


def tokenize(text: str) -> list[str]:
    """Lower-cased, stemmed word tokens: "Eradicating coca" → ["erad", "coca"]."""
    cached = _cached_stem  # the common case inlined: this runs for every token of every paragraph
    return [cached(w) if len(w) <= _CACHED_WORD_CHARS else stem(w) for w in _WORD.findall(text.lower())]


def word_terms(text: str, ngrams: tuple[int, int] = (1, 2)) -> list[str]:
    """Stemmed word n-grams, in the order scikit-learn's word analyzer gives them."""
    return _word_ngrams(tokenize(text), ngrams)


def _word_ngrams(tokens: list[str], ngrams: tuple[int, int]) -> list[str]:
    low, high = ngrams
    terms = list(tokens) if low == 1 else []
    for n in range(max(low, 2), high + 1):
        terms.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return terms


def _char_ngrams_uncached(word: str, low: int, high: int) -> tuple[str, ...]:
    # scikit-learn's "char_wb": n-grams inside one space-padded word.
    padded = f" {word} "
    out = []
    for n in range(low, high + 1):
        offset = 0
        out.append(padded[offset : offset + n])
        while offset + n < len(padded):
            offset += 1
            out.append(padded[offset : offset + n])
        if offset == 0:  # the word is shorter than n: one n-gram, the whole padded word
            break
    return tuple(out)


_cached_char_ngrams = lru_cache(maxsize=_CACHE_WORDS)(_char_ngrams_uncached)


def char_terms(text: str, ngrams: tuple[int, int] = (3, 5)) -> list[str]:
    """Character n-grams within words (scikit-learn's ``char_wb``) of the lower-cased text."""
    # The training analyzer: training texts are the user's own labels, so every word up to the cut is cached
    # (tables of dashes recur across paragraphs). Tagging goes through FeatureSpace's own bounded cache.
    low, high = ngrams
    cached = _cached_char_ngrams
    out: list[str] = []
    extend = out.extend
    for word in text.lower().split():
        extend(cached(word[:MAX_WORD_CHARS], low, high))
    return out


def cue_pattern(cues: Iterable[str]) -> re.Pattern[str] | None:
    """One regex matching any cue phrase as whole stemmed tokens."""
    phrases = sorted({" ".join(tokenize(c)) for c in cues if tokenize(c)}, key=len, reverse=True)
    if not phrases:
        return None
    return re.compile(r"(?<!\S)(?:" + "|".join(re.escape(p) for p in phrases) + r")(?!\S)")


@dataclass(frozen=True)
class SparseRows:
    """A batch of feature vectors in CSR form (the layout scipy.sparse.csr_matrix takes)."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    n_features: int

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def dot(self, weights: np.ndarray) -> np.ndarray:
        """``rows @ weights`` for a dense (n_features, k) matrix, without SciPy."""
        rows = np.repeat(np.arange(len(self)), np.diff(self.indptr))
        out = np.empty((len(self), weights.shape[1]))
        for k, column in enumerate(np.ascontiguousarray(weights.T)):
            out[:, k] = np.bincount(rows, weights=self.data * column[self.indices], minlength=len(self))
        return out

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        start, end = self.indptr[i], self.indptr[i + 1]
        return self.indices[start:end], self.data[start:end]

    def to_scipy(self):
        from scipy import sparse

        return sparse.csr_matrix((self.data, self.indices, self.indptr), shape=(len(self), self.n_features))


@dataclass
class FeatureSpace:
    """Fitted features: TF-IDF of stemmed word n-grams, TF-IDF of character n-grams, weighted cue counts.

    Each TF-IDF block is sublinear (1 + log count) × IDF, L2-normalised on its
    own; cue counts are log(1 + count) × ``cue_weight``. Feature order: words,
    characters, cues.
    """

    word_vocabulary: list[str]
    word_idf: np.ndarray
    word_ngrams: tuple[int, int]
    char_vocabulary: list[str]
    char_idf: np.ndarray
    char_ngrams: tuple[int, int] | None
    cues: dict[str, tuple[str, ...]] = field(default_factory=dict)
    cue_weight: float = 1.0

    def __post_init__(self):
        self.word_ngrams = tuple(self.word_ngrams)
        self.char_ngrams = tuple(self.char_ngrams) if self.char_ngrams else None
        self.cues = {name: tuple(phrases) for name, phrases in sorted(self.cues.items())}
        self._build_lookups()

    def _build_lookups(self) -> None:
        """Indexes and caches derived from the vocabularies: rebuilt, never stored or pickled."""
        self._word_index = {t: i for i, t in enumerate(self.word_vocabulary)}
        self._char_index = {t: i for i, t in enumerate(self.char_vocabulary)}
        self._cue_patterns = [cue_pattern(p) for p in self.cues.values()]
        self._cached_char_indices = lru_cache(maxsize=_CACHE_WORDS)(self._char_indices_uncached)

    @property
    def n_features(self) -> int:
        return len(self.word_vocabulary) + len(self.char_vocabulary) + len(self.cues)

    _DERIVED = ("_word_index", "_char_index", "_cue_patterns", "_cached_char_indices")

    def __getstate__(self) -> dict:
        # The per-instance lru_cache cannot be pickled; a worker process rebuilds it (and the indexes) on arrival.
        return {k: v for k, v in self.__dict__.items() if k not in self._DERIVED}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._build_lookups()

    def _char_indices_uncached(self, word: str) -> array:
        # Columns already offset past the word block; an int32 array is a seventh of a tuple's memory in the cache.
        index, offset = self._char_index, len(self.word_vocabulary)
        # Not through the n-gram strings cache: this result is cached itself (as ints), and only words up to 64 characters.
        return array("i", [offset + index[g] for g in _char_ngrams_uncached(word[:MAX_WORD_CHARS], *self.char_ngrams) if g in index])

    def _char_indices_of_word(self, word: str) -> array:
        return self._cached_char_indices(word) if len(word) <= _CACHED_WORD_CHARS else self._char_indices_uncached(word)

    def transform(self, texts: Sequence[str]) -> SparseRows:
        """Feature rows for a batch of texts.

        Python counts terms (per text); NumPy does the arithmetic for the whole
        batch at once, which is most of the speed.
        """
        if isinstance(texts, str):
            raise ValueError("expected a list of paragraph texts, got a single str; wrap it in a list")
        n_words, n_chars = len(self.word_vocabulary), len(self.char_vocabulary)
        word_index = self._word_index
        # Every text's feature columns, one after another, with how many each has; NumPy counts them below.
        # array('i') grows in C and hands NumPy its buffer without a copy.
        found, lengths = array("i"), array("q")
        extend = found.extend
        cached, uncached = self._cached_char_indices, self._char_indices_uncached
        cue_rows: list[int] = []
        cue_columns: list[int] = []
        cue_counts: list[int] = []
        n_texts = 0
        for row, text in enumerate(texts):
            n_texts += 1
            before = len(found)
            tokens = tokenize(text)
            extend([word_index[t] for t in _word_ngrams(tokens, self.word_ngrams) if t in word_index])
            if self.char_ngrams:
                for word in text.lower().split():
                    extend(cached(word) if len(word) <= _CACHED_WORD_CHARS else uncached(word))
            lengths.append(len(found) - before)
            if self._cue_patterns:
                stemmed = " ".join(tokens)
                for j, pattern in enumerate(self._cue_patterns):
                    count = len(pattern.findall(stemmed)) if pattern is not None else 0
                    if count:
                        cue_rows.append(row)
                        cue_columns.append(n_words + n_chars + j)
                        cue_counts.append(count)
        # Term counts per (row, column): sort the pairs as one integer key and count the runs.
        keys = np.repeat(np.arange(n_texts, dtype=np.int64), np.frombuffer(lengths, dtype=np.int64)) * self.n_features
        keys += np.frombuffer(found, dtype=np.int32)
        keys, term_counts = np.unique(keys, return_counts=True)
        rows, columns = np.divmod(keys, self.n_features)
        row_of, column = rows, columns
        idf = np.concatenate([self.word_idf, self.char_idf])
        values = (1.0 + np.log(term_counts)) * idf[column]
        # Each TF-IDF block (words, characters) is L2-normalised on its own, row by row.
        block = row_of * 2 + (column >= n_words)
        norms = np.sqrt(np.bincount(block, weights=values * values, minlength=2 * n_texts))
        values /= norms[block]
        row_of = np.concatenate([row_of, np.asarray(cue_rows, dtype=np.int64)])
        column = np.concatenate([column, np.asarray(cue_columns, dtype=np.int64)])
        values = np.concatenate([values, np.log1p(np.asarray(cue_counts, dtype=np.float64)) * self.cue_weight])
        order = np.lexsort((column, row_of))
        indptr = np.zeros(n_texts + 1, dtype=np.int64)
        np.cumsum(np.bincount(row_of, minlength=n_texts), out=indptr[1:])
        return SparseRows(indptr, column[order], values[order], self.n_features)

    # ------------------------------------------------------------------ storage as data

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "word_vocabulary": np.asarray(self.word_vocabulary, dtype=str),
            "word_idf": np.asarray(self.word_idf, dtype=np.float64),
            "char_vocabulary": np.asarray(self.char_vocabulary, dtype=str),
            "char_idf": np.asarray(self.char_idf, dtype=np.float64),
        }

    def settings(self) -> dict:
        return {
            "word_ngrams": list(self.word_ngrams),
            "char_ngrams": list(self.char_ngrams) if self.char_ngrams else None,
            "cues": {name: list(p) for name, p in self.cues.items()},
            "cue_weight": self.cue_weight,
        }

    @classmethod
    def from_data(cls, settings: dict, arrays: dict[str, np.ndarray]) -> "FeatureSpace":
        return cls(
            word_vocabulary=arrays["word_vocabulary"].tolist(),
            word_idf=arrays["word_idf"],
            word_ngrams=tuple(settings["word_ngrams"]),
            char_vocabulary=arrays["char_vocabulary"].tolist(),
            char_idf=arrays["char_idf"],
            char_ngrams=tuple(settings["char_ngrams"]) if settings.get("char_ngrams") else None,
            cues={name: tuple(p) for name, p in settings.get("cues", {}).items()},
            cue_weight=float(settings.get("cue_weight", 1.0)),
        )


def fit_feature_space(
    texts: Sequence[str],
    *,
    cues: dict[str, tuple[str, ...]] | None = None,
    word_ngrams: tuple[int, int] = (1, 2),
    char_ngrams: tuple[int, int] | None = (3, 5),
    min_df: int = 2,
    max_char_features: int | None = 60_000,
    cue_weight: float = 1.0,
) -> FeatureSpace:
    """Learn vocabularies and IDF weights from training texts with scikit-learn's TfidfVectorizer."""
    from functools import partial

    from sklearn.feature_extraction.text import TfidfVectorizer

    def fitted(analyzer, max_features=None) -> tuple[list[str], np.ndarray]:
        # min_df counts documents; with fewer texts than min_df keep every term rather than fail.
        vectorizer = TfidfVectorizer(analyzer=analyzer, min_df=min_df if len(texts) >= min_df else 1, sublinear_tf=True, max_features=max_features)
        try:
            vectorizer.fit(texts)
        except ValueError:  # no terms at all (e.g. texts without letters)
            return [], np.zeros(0)
        return vectorizer.get_feature_names_out().tolist(), vectorizer.idf_.astype(np.float64)

    words, word_idf = fitted(partial(word_terms, ngrams=tuple(word_ngrams)))
    chars, char_idf = ([], np.zeros(0)) if not char_ngrams else fitted(partial(char_terms, ngrams=tuple(char_ngrams)), max_char_features)
    return FeatureSpace(words, word_idf, tuple(word_ngrams), chars, char_idf, char_ngrams, cues or {}, cue_weight)
