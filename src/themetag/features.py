"""Paragraph text → feature vectors: stemmed word n-grams, character n-grams and schema cue counts.

A fitted :class:`FeatureSpace` is plain data — two vocabularies with their IDF
weights and the cue phrases — so a model can be stored without pickle and
applied with NumPy alone. scikit-learn's ``TfidfVectorizer`` does the fitting
(:func:`fit_feature_space`, imported only when training); this module does the
transforming, and ``tests/test_features.py`` checks the two agree.

Transforming has two implementations of its inner steps (finding a batch's
words in the word table, counting terms and cues, TF-IDF and norms, the sparse
product): NumPy (``FeatureSpace._rows_numpy``, the reference) and the optional
C module ``themetag._featurize``, built at install where a C compiler is
found, about three times faster. They give the same rows to the last bit
(``tests/test_fast_path.py``), so tags never depend on the build.
:func:`featurizer` says which one runs. Two environment variables, read at
import: ``THEMETAG_NO_COMPILED=1`` uses NumPy even where the C module was built
(CI runs the suite a second time so), and ``THEMETAG_EXPECT_COMPILED=1`` (CI
sets it) warns, once per process, the first time NumPy runs for want of the C
module (not built, not importable, or an old build).

Stemming is the Snowball English stemmer from ``snowballstemmer`` (the Snowball
project's own Python port). NLTK ships the same algorithm, but importing NLTK
takes ~2 s (it imports SciPy's statistics), four times the cold-start budget
of ``themetag predict``.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import warnings
from array import array
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Sequence

import numpy as np
import snowballstemmer

from .errors import LabelError, ModelError

#: Set (to anything but "", "0", "false" or "no"): use the NumPy path even where the C module was built.
NO_COMPILED_ENV = "THEMETAG_NO_COMPILED"
#: Set: the C module is expected (CI sets it); if it is missing, themetag warns once, when it first featurizes.
EXPECT_COMPILED_ENV = "THEMETAG_EXPECT_COMPILED"


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


#: Why the C module is not used, or None when it is: "disabled" (THEMETAG_NO_COMPILED, on purpose), or what went
#: wrong ("not built or not importable: ...", "an old build ..."): only the latter is warned about.
_compiled_missing: str | None = None
if _env_flag(NO_COMPILED_ENV):
    _featurize = None
    _compiled_missing = "disabled"
else:
    try:  # counting and weighting in C, when it was compiled at install (_featurize.c); NumPy otherwise
        from themetag import _featurize

        # A module built from another version of _featurize.c (an editable install keeps its old build until
        # `pip install -e .` runs again) is not used: its functions may take other arguments.
        if getattr(_featurize, "INTERFACE", None) != 2:
            _compiled_missing = (
                f"an old build (interface {getattr(_featurize, 'INTERFACE', None)}, not 2): run pip install again"
            )
            _featurize = None
    except ImportError as exc:
        _featurize = None
        _compiled_missing = f"not built or not importable ({exc})"
_compiled_warned = False


def featurizer() -> str:
    """Which featurizer this process uses: ``"C"`` (the compiled ``themetag._featurize``) or ``"NumPy"``."""
    return "C" if _featurize is not None else "NumPy"


def _warn_if_compiled_expected() -> None:
    """Once per process: warn when THEMETAG_EXPECT_COMPILED is set but the C module is missing (not disabled on purpose)."""
    global _compiled_warned
    if _compiled_warned or _compiled_missing in (None, "disabled") or not _env_flag(EXPECT_COMPILED_ENV):
        return
    _compiled_warned = True
    warnings.warn(
        f"{EXPECT_COMPILED_ENV} is set but the C featurizer themetag._featurize is {_compiled_missing}: featurizing with "
        f"NumPy (the same results, slower). Rebuild with a C compiler (pip install -v --no-cache-dir shows the build), "
        f"or set {NO_COMPILED_ENV}=1 to use NumPy on purpose",
        RuntimeWarning,
        stacklevel=2,
    )


#: Counts below this get their logarithms in the C path from tables that NumPy fills once (so the bits are NumPy's);
#: larger ones (one term thousands of times in one text) are sent back, and NumPy computes theirs on demand.
_LOG_TABLE_SIZE = 1 << 14

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
    """A short hash of the stems of fixed probe words: stored in a model, so a stemmer that stems differently
    (another snowballstemmer, PyStemmer) is refused at load instead of silently giving other features."""
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


#: Words whose character n-grams the training analyzer keeps (a word's are ~1.4 KB of strings: 32,768 words
#: hold ~45 MB). The project's labels have 22,000 distinct whitespace-separated words; labels of random words
#: filled the 200,000 of the other caches with ~290 MB that no word was ever looked up in again.
_CACHE_CHAR_WORDS = 1 << 15
_cached_char_ngrams = lru_cache(maxsize=_CACHE_CHAR_WORDS)(_char_ngrams_uncached)


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


#: Rows scored so far in this process, and from how many on scoring goes through SciPy (see SparseRows.dot).
_rows_scored = 0
_SCIPY_AFTER_ROWS = 5_000


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
        """``rows @ weights`` for a dense (n_features, k) matrix.

        Each output is summed in stored order, one product at a time: by the
        compiled ``themetag._featurize`` where it was built; otherwise by NumPy
        (``bincount``) for the first few thousand rows a process scores, then
        by SciPy's sparse product, which is eight times faster but costs a
        tenth of a second to import: worth it for a collection, not for one
        article. All three give the same bits (``tests/test_fast_path.py``), so
        a paragraph's scores never depend on what it was batched with.
        """
        global _rows_scored
        if (
            _featurize is not None
            and weights.ndim == 2
            and weights.shape[1]
            and weights.dtype == np.float64
            and weights.flags.c_contiguous
        ):
            found = _featurize.sparse_dot(
                self.indptr.astype(np.int64, copy=False),
                self.indices.astype(np.int64, copy=False),
                self.data.astype(np.float64, copy=False),
                weights,
                weights.shape[1],
            )
            return np.frombuffer(found, dtype=np.float64).reshape(len(self), weights.shape[1])
        _rows_scored += len(self)
        if _rows_scored > _SCIPY_AFTER_ROWS and len(self.data):
            try:
                return np.asarray(self.to_scipy() @ weights, dtype=np.float64)
            except ImportError:  # scikit-learn brings SciPy, but a tagging-only install might not have it
                pass
        rows = np.repeat(np.arange(len(self)), np.diff(self.indptr))
        out = np.empty((len(self), weights.shape[1]))
        for k in range(weights.shape[1]):
            out[:, k] = np.bincount(rows, weights=self.data * weights[:, k].take(self.indices), minlength=len(self))
        return out

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """(feature indices, values) of row ``i``: views into the arrays, not copies."""
        start, end = self.indptr[i], self.indptr[i + 1]
        return self.indices[start:end], self.data[start:end]

    def to_scipy(self):
        """These rows as a SciPy CSR matrix (for scikit-learn at training time; tagging never needs SciPy)."""
        from scipy import sparse

        return sparse.csr_matrix((self.data, self.indices, self.indptr), shape=(len(self), self.n_features))


#: Multipliers :class:`_NgramTable` tries before it gives up on a table whose keys collide (a forged model).
MULTIPLIERS_TRIED = 64
#: Most words a word n-gram or a cue phrase may have (the compiled featurizer's limit, MAX_SEQUENCE).
MAX_SEQUENCE_WORDS = 64
#: Most cue groups (a schema's themes and stances with cues): the cue tables hold a cell per stem and group.
MAX_CUE_GROUPS = 256


class _NgramTable:
    """Sequences of n stem ids, found in a batch's token stream with NumPy.

    Each sequence is one 64-bit key (the ids as digits in base ``n_stems + 1``,
    wrapping past 64 bits), looked up by binary search among the sorted keys of
    the table; a found key is then checked id by id, so a wrapped key that
    collides can never make a false match (and the table's own keys are made
    distinct by choosing another multiplier).
    """

    def __init__(self, sequences: list[tuple[int, ...]], values: np.ndarray, base: int, multiplier: int | None = None):
        self.n = len(sequences[0])
        ids = np.array(sequences, dtype=np.uint64).reshape(len(sequences), self.n)
        multiplier = base if multiplier is None else multiplier  # (another only in tests, to make keys wrap)
        for _ in range(MULTIPLIERS_TRIED):
            keys = self._keys_of(ids, multiplier)
            if len(np.unique(keys)) == len(keys):
                break
            multiplier = (multiplier * 6364136223846793005 + 1442695040888963407) % 2**64 | 1  # another odd multiplier
        else:
            # Distinct sequences collide under one random multiplier with odds of about 2^-64 a pair; under every one
            # tried, only when made to (sequences whose differences vanish mod 2^64 for any odd multiplier).
            raise ModelError(
                f"{len(sequences):,} word sequences of {self.n} words whose keys collide under {MULTIPLIERS_TRIED} "
                "multipliers: not a vocabulary training makes"
            )
        self.multiplier = np.uint64(multiplier)
        order = np.argsort(keys, kind="stable")
        self.keys, self.ids, self.values = keys[order], ids[order].astype(np.int64), values[order]
        # Cheap tests before the binary search: most windows fail on their first or last id.
        self.first, self.last = np.zeros(base, dtype=bool), np.zeros(base, dtype=bool)
        self.first[self.ids[:, 0]] = True
        self.last[self.ids[:, -1]] = True
        self._compiled = None  # as_tuple()'s, made on first use

    def as_tuple(self) -> tuple:
        """The table as ``themetag._featurize.feature_rows`` takes it (with a hash index of the keys, made once)."""
        if self._compiled is None:
            self._compiled = (
                self.n,
                int(self.multiplier),
                self.keys,
                self.ids,
                self.values,
                self.first,
                self.last,
                _featurize.hash_index(self.keys),
            )
        return self._compiled

    def _keys_of(self, columns: np.ndarray, multiplier) -> np.ndarray:
        keys = np.zeros(len(columns), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for k in range(self.n):
                keys = keys * np.uint64(multiplier) + columns[:, k]
        return keys

    def find(self, tokens: np.ndarray, token_text: np.ndarray, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(start positions, table values) of every window of n known tokens, within one text, that is in the table."""
        n, m = self.n, len(tokens) - self.n + 1
        if m <= 0:
            return np.zeros(0, dtype=np.int64), self.values[:0]
        # (an unknown id, -1, reads the last slot of first/last: never set, as no sequence holds the id base - 1)
        ok = self.first[tokens[:m]] & self.last[tokens[n - 1 :]] & (token_text[:m] == token_text[n - 1 :])
        for k in range(1, n - 1):
            ok &= known[k : k + m]
        starts = np.flatnonzero(ok)
        windows = (
            np.stack([tokens[starts + k] for k in range(n)], axis=1) if len(starts) else np.zeros((0, n), np.int64)
        )
        keys = self._keys_of(windows.astype(np.uint64), self.multiplier)
        at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        hit = self.keys[at] == keys
        hit[hit] = (self.ids[at[hit]] == windows[hit]).all(axis=1)
        return starts[hit], self.values[at[hit]]


#: Put between lower-cased texts to split them into words in one call: an upper-case letter is never a word of a
#: lower-cased text.
_SEPARATOR = "A"


class _WordTable:
    """Distinct words seen while tagging, each with its stem ids and character-n-gram columns (CSR-like, growing)."""

    def __init__(self) -> None:
        # Row 0 is the separator put between texts: it has no stems and no character n-grams.
        self.rows: dict[str, int] = {_SEPARATOR: 0}
        self.stems, self.stem_ptr = array("i"), array("q", [0, 0])
        self.chars, self.char_ptr = array("i"), array("q", [0, 0])
        # The same words -> rows in C, read from the texts in place (no str per word, no SipHash): compiled only.
        self.index = _featurize.WordIndex() if _featurize is not None else None


def _gather(ptr: array, values: array, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The values of the given table rows, one after another, and for each value the position of its row in ``rows``."""
    ptr_view = np.frombuffer(ptr, dtype=np.int64)
    starts = ptr_view[rows]
    lengths = ptr_view[rows + 1] - starts
    owner = np.repeat(np.arange(len(rows), dtype=np.int64), lengths)
    # Position of each value: its row's start plus its offset within the row.
    offsets = np.arange(len(owner), dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.frombuffer(values, dtype=np.int32)[starts[owner] + offsets].astype(np.int64), owner


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
        self._char_index = {t: i for i, t in enumerate(self.char_vocabulary)}
        self._idf = np.concatenate([self.word_idf, self.char_idf]).astype(np.float64)  # by term column
        # Every stem that occurs in a word n-gram or a cue phrase gets an integer id; any other stem is -1 and
        # can be part of no feature. The tables below are indexed by id, with one extra slot at the end that
        # index -1 reaches, holding "nothing".
        stem_id: dict[str, int] = {}
        grams = [term.split(" ") for term in self.word_vocabulary]
        for tokens in grams:
            for token in tokens:
                stem_id.setdefault(token, len(stem_id))
        cue_phrases = [
            sorted({tuple(tokenize(c)) for c in phrases if tokenize(c)}, key=lambda p: -len(" ".join(p)))
            for phrases in self.cues.values()
        ]
        if len(cue_phrases) > MAX_CUE_GROUPS:
            raise LabelError(
                f"{len(cue_phrases):,} themes and stances with cues; at most {MAX_CUE_GROUPS} can have them"
            )
        longest = max((len(p) for phrases in cue_phrases for p in phrases), default=0)
        if longest > MAX_SEQUENCE_WORDS:
            raise LabelError(f"a cue phrase of {longest:,} words; a cue has at most {MAX_SEQUENCE_WORDS}")
        if any(len(tokens) > MAX_SEQUENCE_WORDS for tokens in grams):
            raise ModelError(f"a word n-gram of more than {MAX_SEQUENCE_WORDS} words: not a vocabulary training makes")
        for phrases in cue_phrases:
            for phrase in phrases:
                for token in phrase:
                    stem_id.setdefault(token, len(stem_id))
        self._stem_id = stem_id
        n_stems = len(stem_id)
        base = n_stems + 1
        self._unigram_column = np.full(base, -1, dtype=np.int64)
        by_length: dict[int, tuple[list[tuple[int, ...]], list[int]]] = {}
        for column, tokens in enumerate(grams):
            ids = tuple(stem_id[t] for t in tokens)
            if len(ids) == 1:
                self._unigram_column[ids[0]] = column
            else:
                by_length.setdefault(len(ids), ([], []))
                by_length[len(ids)][0].append(ids)
                by_length[len(ids)][1].append(column)
        self._ngram_tables = [
            _NgramTable(ids, np.asarray(columns, dtype=np.int64), base)
            for _, (ids, columns) in sorted(by_length.items())
        ]
        # Cue phrases: one-token phrases by table (stem id → which cues), longer ones by n-gram table
        # (value: the phrase's row in _cue_membership, which says which cues hold it).
        self._n_cues = len(cue_phrases)
        self._single_cues = np.zeros((base, max(self._n_cues, 1)), dtype=bool)
        longer: dict[tuple[int, ...], set[int]] = {}
        for j, phrases in enumerate(cue_phrases):
            for phrase in phrases:
                ids = tuple(stem_id[t] for t in phrase)
                if len(ids) == 1:
                    self._single_cues[ids[0], j] = True
                else:
                    longer.setdefault(ids, set()).add(j)
        phrases_by_length: dict[int, list[tuple[int, ...]]] = {}
        for ids in longer:
            phrases_by_length.setdefault(len(ids), []).append(ids)
        self._cue_membership = np.zeros((len(longer), max(self._n_cues, 1)), dtype=bool)
        self._cue_tables = []
        row = 0
        for _length, phrases in sorted(phrases_by_length.items()):  # shortest first, so that a longer match overrides
            for k, ids in enumerate(phrases):
                self._cue_membership[row + k, sorted(longer[ids])] = True
            self._cue_tables.append(_NgramTable(phrases, np.arange(row, row + len(phrases)), base))
            row += len(phrases)
        self._words = _WordTable()
        self._lock = threading.Lock()
        self._log_tables = None  # (tf and cue logarithms) for the C path, made on its first use
        self._char_grams = None  # a WordIndex of the character vocabulary for the C path, made on its first use

    @property
    def n_features(self) -> int:
        """The number of columns: word n-grams, then character n-grams, then one per cue group."""
        return len(self.word_vocabulary) + len(self.char_vocabulary) + len(self.cues)

    _DERIVED = (
        "_char_index",
        "_idf",
        "_stem_id",
        "_unigram_column",
        "_ngram_tables",
        "_n_cues",
        "_single_cues",
        "_cue_membership",
        "_cue_tables",
        "_words",
        "_lock",
        "_log_tables",
        "_char_grams",
    )

    def __getstate__(self) -> dict:
        # The word table and the lock cannot (or need not) travel: a worker process rebuilds them on arrival.
        return {k: v for k, v in self.__dict__.items() if k not in self._DERIVED}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._build_lookups()

    def _char_indices_uncached(self, word: str) -> list[int]:
        """The reference: a word's character n-gram columns (offset past the word block), in n-gram order."""
        index, offset = self._char_index, len(self.word_vocabulary)
        return [
            offset + index[g] for g in _char_ngrams_uncached(word[:MAX_WORD_CHARS], *self.char_ngrams) if g in index
        ]

    def _char_columns(self, word: str) -> array:
        """:meth:`_char_indices_uncached`, in C where it was built (no str made per n-gram)."""
        if _featurize is None:
            return array("i", self._char_indices_uncached(word))
        if self._char_grams is None:  # the character vocabulary by code points, made on first use
            self._char_grams = _featurize.WordIndex()
            self._char_grams.add_all(self.char_vocabulary, 0)
        return array(
            "i", self._char_grams.char_columns(word[:MAX_WORD_CHARS], *self.char_ngrams, len(self.word_vocabulary))
        )

    def _add_word(self, word: str) -> int:
        """Compute a new word's stem ids and character columns into the word table; return its row there."""
        table = self._words
        found = table.rows.get(word)
        if found is None:  # (a word seen twice in one text is added once)
            stem_id = self._stem_id
            # tokenize()'s rule, word by word: the word pattern never crosses whitespace, so this is exact.
            table.stems.extend([stem_id.get(stem(token), -1) for token in _WORD.findall(word)])
            table.stem_ptr.append(len(table.stems))
            if self.char_ngrams:
                table.chars.extend(self._char_columns(word))
            table.char_ptr.append(len(table.chars))
            found = table.rows[word] = len(table.rows)
            if table.index is not None:
                table.index.add(word, found)
        return found

    def transform(self, texts: Sequence[str]) -> SparseRows:
        """Feature rows for a batch of texts.

        Each distinct whitespace-separated word is analysed once (its stem ids and
        character-n-gram columns are kept in a bounded table); a text is then a list
        of word rows, and the rest is done for the whole batch at once, by the C
        module where it was built and by NumPy otherwise: gathering, word n-gram
        lookup, counting, TF-IDF, norms. The result equals scikit-learn's
        (``tests/test_features.py``) and the plain per-text computation
        (``tests/test_fast_path.py``), whichever path ran.
        """
        if isinstance(texts, str):
            raise ValueError("expected a list of paragraph texts, got a single str; wrap it in a list")
        # One thread at a time: the word table grows as texts come (Dask's threaded scheduler shares one model).
        with self._lock:
            return self._transform(texts)

    def _transform(self, texts: Sequence[str]) -> SparseRows:
        if not len(texts):
            return SparseRows(np.zeros(1, np.int64), np.zeros(0, np.int64), np.zeros(0), self.n_features)
        if len(self._words.rows) > _CACHE_WORDS:
            self._words = _WordTable()  # memory stays bounded however many distinct words a stream brings
        if _featurize is None and not _compiled_warned:
            _warn_if_compiled_expected()
        lowered = [text.lower() for text in texts]
        if _featurize is not None and self._words.index is not None:
            found, missing = self._words.index.rows(lowered)
            word_rows = np.frombuffer(found, dtype=np.int32)
            for position, word in missing:  # words not seen before (each added once, however often it occurs)
                word_rows[position] = self._add_word(word)
        else:
            words = f" {_SEPARATOR} ".join(lowered).split()
            rows = list(map(self._words.rows.get, words))
            if None in rows:
                rows = [self._add_word(w) if r is None else r for w, r in zip(words, rows)]
            word_rows = np.array(rows, dtype=np.int32)
        return (self._rows_compiled if _featurize is not None else self._rows_numpy)(word_rows, len(texts))

    def _rows_numpy(self, word_rows: np.ndarray, n_texts: int) -> SparseRows:
        """The reference: feature rows of the texts whose words are ``word_rows`` (texts separated by row 0)."""
        return self._assemble(n_texts, *self._count_terms_numpy(word_rows, n_texts))

    def _rows_compiled(self, word_rows: np.ndarray, n_texts: int) -> SparseRows:
        """:meth:`_rows_numpy`'s rows, bit for bit, from the compiled ``themetag._featurize``."""
        if self._log_tables is None:
            counts = np.arange(_LOG_TABLE_SIZE, dtype=np.int64)
            with np.errstate(divide="ignore"):  # (slot 0 is never read)
                tf_table = self._term_weights(counts)
            self._log_tables = (tf_table, self._cue_weights(counts))
        tf_table, cue_table = self._log_tables
        idf = self._idf
        table = self._words
        low, high = self.word_ngrams
        big = np.zeros(0, dtype=np.int64)
        while True:
            found = _featurize.feature_rows(
                word_rows=word_rows, n_texts=n_texts, stem_ptr=table.stem_ptr, stems=table.stems, char_ptr=table.char_ptr, chars=table.chars,
                n_words=len(self.word_vocabulary), n_term_columns=len(idf), unigram_column=self._unigram_column if low == 1 else b"",
                ngram_tables=[t.as_tuple() for t in self._ngram_tables if low <= t.n <= high], base=len(self._unigram_column),
                single_cues=self._single_cues, n_cues=self._n_cues, cue_stride=self._single_cues.shape[1],
                cue_tables=[t.as_tuple() for t in self._cue_tables], cue_membership=self._cue_membership,
                idf=idf, tf_table=tf_table, cue_table=cue_table, big_counts=big, big_tf=self._term_weights(big), big_cue=self._cue_weights(big),
            )  # fmt: skip
            if not isinstance(found, bytes):
                break
            # Counts past the tables (one term thousands of times in a text): again, with NumPy's logarithms of them.
            big = np.union1d(big, np.frombuffer(found, dtype=np.int64))
        indptr, indices, data = found
        return SparseRows(
            np.frombuffer(indptr, np.int64),
            np.frombuffer(indices, np.int64),
            np.frombuffer(data, np.float64),
            self.n_features,
        )

    # The weights of counts: the one definition both paths use (the C path looks them up in tables made by these),
    # so that the two give the same bits.
    @staticmethod
    def _term_weights(counts: np.ndarray) -> np.ndarray:
        """Sublinear term frequency, 1 + log(count)."""
        return 1.0 + np.log(counts)

    def _cue_weights(self, counts: np.ndarray) -> np.ndarray:
        """log(1 + count) × cue_weight."""
        return np.log1p(counts.astype(np.float64)) * self.cue_weight

    def _count_terms_numpy(self, word_rows: np.ndarray, n_texts: int) -> tuple[np.ndarray, ...]:
        """The reference counting step: (text, column, count) of every word and character n-gram term, sorted by
        text then column, and (text, cue number, count) of every cue found, sorted by text then cue.

        ``word_rows`` are the texts' words as rows of the word table, texts separated by row 0.
        """
        table = self._words
        is_separator = word_rows == 0
        text_of_word = np.cumsum(is_separator)
        n_term_columns = len(self.word_vocabulary) + len(self.char_vocabulary)
        tokens, token_word = _gather(table.stem_ptr, table.stems, word_rows)
        token_text = text_of_word[token_word]
        # Word n-grams: unigrams by table, longer ones by key; a window may not cross texts or hold an unknown stem.
        term_text, term_column = [], []
        low, high = self.word_ngrams
        if low == 1:
            columns = self._unigram_column[tokens]
            hit = columns >= 0
            term_text.append(token_text[hit])
            term_column.append(columns[hit])
        known = tokens >= 0
        for table_n in self._ngram_tables:
            if low <= table_n.n <= high:
                starts, columns = table_n.find(tokens, token_text, known)
                term_text.append(token_text[starts])
                term_column.append(columns)
        if self.char_ngrams:
            chars, char_word = _gather(table.char_ptr, table.chars, word_rows)
            term_text.append(text_of_word[char_word])
            term_column.append(chars.astype(np.int64))
        # Term counts per (text, column): sort the pairs as one integer key and count the runs.
        # 32-bit keys where they fit (they sort twice as fast); np.unique does more than this needs.
        width = max(n_term_columns, 1)
        key_type = np.int32 if n_texts * width < 2**31 else np.int64
        keys = (
            np.concatenate(term_text).astype(key_type) * key_type(width) + np.concatenate(term_column).astype(key_type)
            if term_text
            else np.zeros(0, key_type)
        )
        keys.sort()
        first = np.empty(len(keys), dtype=bool)
        first[:1] = True
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        term_counts = np.diff(np.append(starts, len(keys))).astype(np.int64)
        row_of, column = np.divmod(keys[starts].astype(np.int64), width)
        return (row_of, column, term_counts, *self._cue_counts(tokens, token_text, known))

    def _assemble(self, n_texts, row_of, column, term_counts, cue_row, cue_number, cue_counts) -> SparseRows:
        """Feature rows from the counts: sublinear TF-IDF, each block L2-normalised, then the cue values."""
        n_words, n_chars, n_features = len(self.word_vocabulary), len(self.char_vocabulary), self.n_features
        values = self._term_weights(term_counts) * self._idf[column]
        # Each TF-IDF block (words, characters) is L2-normalised on its own, row by row.
        block = row_of * 2 + (column >= n_words)
        norms = np.sqrt(np.bincount(block, weights=values * values, minlength=2 * n_texts))
        values /= norms[block]
        per_row = np.bincount(row_of, minlength=n_texts)
        indptr = np.zeros(n_texts + 1, dtype=np.int64)
        if not self._n_cues:
            np.cumsum(per_row, out=indptr[1:])
            return SparseRows(indptr, np.asarray(column, dtype=np.int64), values, n_features)
        cue_column = cue_number + (n_words + n_chars)
        cue_values = self._cue_weights(cue_counts)
        cues_per_row = np.bincount(cue_row, minlength=n_texts)
        np.cumsum(per_row + cues_per_row, out=indptr[1:])
        # Each row: its terms in column order, then its cues (whose columns come last).
        term_position = indptr[row_of] + np.arange(len(row_of)) - (np.cumsum(per_row) - per_row)[row_of]
        cue_position = (
            indptr[cue_row]
            + per_row[cue_row]
            + np.arange(len(cue_row))
            - (np.cumsum(cues_per_row) - cues_per_row)[cue_row]
        )
        indices = np.empty(indptr[-1], dtype=np.int64)
        data = np.empty(indptr[-1], dtype=np.float64)
        indices[term_position], data[term_position] = column, values
        indices[cue_position], data[cue_position] = cue_column, cue_values
        return SparseRows(indptr, indices, data, n_features)

    def _cue_counts(
        self, tokens: np.ndarray, token_text: np.ndarray, known: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cue phrase matches as (text, cue number, count), sorted by text then cue.

        The same counts as :func:`cue_pattern`'s regex on the stemmed text: at each token, the longest phrase
        of a cue that starts there; one cue's matches do not overlap; a phrase does not run across texts.
        """
        if not self._n_cues:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
        # longest[j, p]: the length of cue j's longest phrase starting at token p (0: none).
        longest = np.zeros((self._n_cues, len(tokens)), dtype=np.int64)
        longest[:] = self._single_cues[tokens][:, : self._n_cues].T
        for table in self._cue_tables:  # shortest phrases first: a longer match at the same token wins
            starts, phrases = table.find(tokens, token_text, known)
            members = self._cue_membership[phrases][:, : self._n_cues].T
            longest[:, starts] = np.where(members, table.n, longest[:, starts])
        rows, numbers, counts = [], [], []
        for j in range(self._n_cues):
            at = np.flatnonzero(longest[j])
            lengths = longest[j, at]
            if len(at) and lengths.max() > 1:
                # A phrase of several tokens hides the matches that start inside it. Those phrases are few:
                # take them left to right (one may hide another), then drop what the kept ones hide.
                multi, hidden_multi, free_from = np.flatnonzero(lengths > 1), [], 0
                for k, p, length in zip(multi.tolist(), at[multi].tolist(), lengths[multi].tolist()):
                    if p >= free_from:
                        free_from = p + length
                    else:
                        hidden_multi.append(k)
                hidden = np.zeros(len(tokens) + 1, dtype=np.int64)
                shown = np.setdiff1d(multi, hidden_multi)
                np.add.at(hidden, at[shown] + 1, 1)
                np.add.at(hidden, at[shown] + lengths[shown], -1)
                at = at[np.cumsum(hidden)[at] == 0]
            found = np.bincount(token_text[at], minlength=1)
            hit = np.flatnonzero(found)
            rows.append(hit)
            numbers.append(np.full(len(hit), j, dtype=np.int64))
            counts.append(found[hit])
        rows, numbers, counts = np.concatenate(rows), np.concatenate(numbers), np.concatenate(counts).astype(np.int64)
        order = np.lexsort((numbers, rows))
        return rows[order].astype(np.int64), numbers[order], counts[order]

    # ------------------------------------------------------------------ storage as data

    def arrays(self) -> dict[str, np.ndarray]:
        """The vocabularies and IDF weights as named arrays, for model.npz."""
        return {
            "word_vocabulary": np.asarray(self.word_vocabulary, dtype=str),
            "word_idf": np.asarray(self.word_idf, dtype=np.float64),
            "char_vocabulary": np.asarray(self.char_vocabulary, dtype=str),
            "char_idf": np.asarray(self.char_idf, dtype=np.float64),
        }

    def settings(self) -> dict:
        """The n-gram ranges, cues and cue weight as plain JSON values, for metadata.json."""
        return {
            "word_ngrams": list(self.word_ngrams),
            "char_ngrams": list(self.char_ngrams) if self.char_ngrams else None,
            "cues": {name: list(p) for name, p in self.cues.items()},
            "cue_weight": self.cue_weight,
        }

    @classmethod
    def from_data(cls, settings: dict, arrays: dict[str, np.ndarray]) -> "FeatureSpace":
        """The feature space of stored :meth:`settings` and :meth:`arrays` (checked by the model before)."""
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


#: Most distinct terms counted at once while a vocabulary is chosen (about 200 bytes each, so about 200 MB):
#: past it, the terms seen in one paragraph only so far are forgotten. Real label sets stay far below (the
#: project's 2,370 labeled paragraphs: 95,105 character n-grams and 83,889 word n-grams); texts of random
#: characters would otherwise take gigabytes.
MAX_COUNTED_TERMS = 1_000_000


@dataclass
class TermCounts:
    """What one pass over training texts counted: each term's document frequency (``df``: texts it is in) and
    total count (``tf``), and whether the counts are ``exact`` (no term was ever forgotten to bound memory)."""

    df: Counter
    tf: Counter
    exact: bool
    n_texts: int


def count_terms(texts: Sequence[str], analyzer, *, max_counted: int = MAX_COUNTED_TERMS) -> TermCounts:
    """Each term's document frequency and total count over ``texts``, in memory bounded by ``max_counted``.

    Past ``max_counted`` distinct terms, the terms seen in one text only so far are forgotten, and if that is
    not enough, all but the ``max_counted // 2`` most frequent (``exact`` is then False). The counting is done
    by :class:`collections.Counter` in C, one text's terms at a time.
    """
    df: Counter = Counter()
    tf: Counter = Counter()
    exact = True
    n_texts = 0
    for text in texts:
        terms = analyzer(text)
        tf.update(terms)
        df.update(set(terms))
        n_texts += 1
        if len(df) > max_counted:
            exact = False
            kept = [t for t, n in df.items() if n > 1]
            if len(kept) > max_counted // 2:  # still full of terms seen twice: keep the most frequent half
                kept = sorted(kept, key=tf.__getitem__, reverse=True)[: max_counted // 2]
            # (new Counters from dicts: filled by one dict.update, where deleting a term is a Python call)
            df, tf = Counter({t: df[t] for t in kept}), Counter({t: tf[t] for t in kept})
    return TermCounts(df, tf, exact, n_texts)


def _chosen_terms(counts: TermCounts, min_df: int, max_features: int | None) -> list[str]:
    df, tf = counts.df, counts.tf
    terms = sorted(t for t, n in df.items() if n >= min_df)
    if max_features is not None and len(terms) > max_features:
        # As scikit-learn orders them (its default sort, so ties fall as they fall there): the same terms.
        order = (-np.array([tf[t] for t in terms], dtype=np.int64)).argsort()[:max_features]
        terms = sorted(terms[i] for i in order)
    return terms


def bounded_vocabulary(
    texts: Sequence[str], analyzer, *, min_df: int, max_features: int | None, max_counted: int = MAX_COUNTED_TERMS
) -> list[str]:
    """The terms scikit-learn's ``TfidfVectorizer(min_df=, max_features=)`` would keep, chosen in bounded memory.

    Terms found in at least ``min_df`` texts, then the ``max_features`` most frequent over all texts (ties in
    scikit-learn's order), sorted. The same terms as scikit-learn's while fewer than
    ``max_counted`` distinct terms are seen; past that, terms seen in one text so far are forgotten each time the
    count fills, so a rare term may be missed: what keeps labels of random text from exhausting memory (sklearn
    holds every term of every text before it filters).
    """
    return _chosen_terms(count_terms(texts, analyzer, max_counted=max_counted), min_df, max_features)


def smooth_idf(document_frequency: np.ndarray, n_texts: int) -> np.ndarray:
    """scikit-learn's ``TfidfTransformer(smooth_idf=True)`` weights, computed as it computes them (the same bits):
    ln((1 + n) / (1 + df)) + 1."""
    df = np.asarray(document_frequency, dtype=np.float64) + 1.0
    idf = np.full_like(df, fill_value=n_texts + 1, dtype=np.float64)
    idf /= df
    np.log(idf, out=idf)
    idf += 1.0
    return idf


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
    """Learn vocabularies and IDF weights from training texts, as scikit-learn's ``TfidfVectorizer(min_df=,
    max_features=, sublinear_tf=True)`` learns them, in one counting pass per analyzer (``tests/test_features.py``
    checks that they agree).

    Memory is bounded by :data:`MAX_COUNTED_TERMS` (scikit-learn would hold a count of every term of every text);
    where that bound forgot terms, the chosen terms' document frequencies are counted again in a second pass, so
    the IDF weights are always exact.
    """
    from functools import partial

    def fitted(analyzer, max_features=None) -> tuple[list[str], np.ndarray]:
        # min_df counts documents; with fewer texts than min_df keep every term rather than fail.
        least = min_df if len(texts) >= min_df else 1
        counts = count_terms(texts, analyzer, max_counted=MAX_COUNTED_TERMS)
        vocabulary = _chosen_terms(counts, least, max_features)
        if not vocabulary:  # no terms at all (e.g. texts without letters)
            return [], np.zeros(0)
        if counts.exact:
            df = [counts.df[t] for t in vocabulary]
        else:  # some terms were forgotten on the way: count the chosen ones' texts again (a set's worth of memory)
            chosen, again = set(vocabulary), Counter()
            for text in texts:
                again.update(chosen.intersection(analyzer(text)))
            df = [again[t] for t in vocabulary]
        return vocabulary, smooth_idf(np.array(df, dtype=np.int64), counts.n_texts)

    words, word_idf = fitted(partial(word_terms, ngrams=tuple(word_ngrams)))
    chars, char_idf = (
        ([], np.zeros(0))
        if not char_ngrams
        else fitted(partial(char_terms, ngrams=tuple(char_ngrams)), max_char_features)
    )
    return FeatureSpace(words, word_idf, tuple(word_ngrams), chars, char_idf, char_ngrams, cues or {}, cue_weight)
