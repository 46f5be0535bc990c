"""The fast tagging path gives exactly what the plain per-text computation gives.

``FeatureSpace.transform`` analyses each distinct word once and does the rest
with NumPy over a whole batch; ``SparseRows.dot`` switches to SciPy after a few
thousand rows. Here a plain reference, one text at a time with Counter and the
cue regexes (the analyzers that tests/test_features.py checks against
scikit-learn), must give the same feature rows (same columns, same bits) and
the same tags, on real paragraphs and on edge cases.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import themetag
from themetag import features
from themetag.features import (
    MAX_WORD_CHARS,
    FeatureSpace,
    char_terms,
    cue_pattern,
    fit_feature_space,
    tokenize,
    word_terms,
)

REPO = Path(__file__).resolve().parent.parent


def reference_rows(space: FeatureSpace, texts: list[str]) -> list[dict[int, float]]:
    """Feature rows as {column: value}, computed text by text the plain way."""
    n_words, n_chars = len(space.word_vocabulary), len(space.char_vocabulary)
    word_index = {t: i for i, t in enumerate(space.word_vocabulary)}
    char_index = {t: i for i, t in enumerate(space.char_vocabulary)}
    patterns = [cue_pattern(p) for p in space.cues.values()]
    rows = []
    for text in texts:
        row: dict[int, float] = {}
        counts = Counter(word_index[t] for t in word_terms(text, space.word_ngrams) if t in word_index)
        if space.char_ngrams:
            counts.update(n_words + char_index[g] for g in char_terms(text, space.char_ngrams) if g in char_index)
        idf = np.concatenate([space.word_idf, space.char_idf])
        for block in (range(0, n_words), range(n_words, n_words + n_chars)):
            values = {c: (1.0 + math.log(k)) * idf[c] for c, k in counts.items() if c in block}
            norm = math.sqrt(sum(v * v for v in values.values()))
            row.update({c: v / norm for c, v in values.items()})
        stemmed = " ".join(tokenize(text))
        for j, pattern in enumerate(patterns):
            found = len(pattern.findall(stemmed)) if pattern is not None else 0
            if found:
                row[n_words + n_chars + j] = math.log1p(found) * space.cue_weight
        rows.append(row)
    return rows


def assert_same_rows(space: FeatureSpace, texts: list[str]) -> None:
    fast = space.transform(texts)
    expected = reference_rows(space, texts)
    assert len(fast) == len(texts)
    for i, want in enumerate(expected):
        columns, values = fast.row(i)
        assert columns.tolist() == sorted(want), f"text {i}: other columns"
        # The same arithmetic in another order can differ in the last bit; 1e-12 is far below the 4 decimals shown.
        np.testing.assert_allclose(values, [want[c] for c in sorted(want)], rtol=0, atol=1e-12, err_msg=f"text {i}")


def seed_paragraphs() -> list[str]:
    rows = [json.loads(line) for line in (REPO / "labels" / "seeds.jsonl").read_text(encoding="utf-8").splitlines()]
    return [r["text"] for r in rows]


EDGE = [
    "",
    "   \n\t ",
    "Army",
    "coca",
    "1234 5678 — !!",
    "Лидеры картелей арестованы армией",  # Cyrillic
    "ΣΟΦΟΣ σοφος ΟΔΟΣ",  # Greek final sigma: lower() depends on the letter's place
    "军队在山谷里铲除了古柯",  # Chinese: one "word", no spaces
    "قوات الجيش دمرت حقول الكوكا",  # Arabic
    "İstanbul ǅemal ﬁnal Straße",  # letters whose lower case is longer, titlecase digraphs, ligatures
    "Ñandú — ¿qué? 🌿 coca-growers self-defense don’t U.S.-backed",
    "human rights violations human rights human rights abuses rights",  # overlapping multi-word cue phrases
    "The army and the army and the ARMY",
    "A a A a",  # the upper-case letter the fast path puts between texts
    "x" * (MAX_WORD_CHARS + 500),  # one over-long word: cut for character n-grams, not stemmed
    "troops " + "ab" * 5000 + " troops",
]


@pytest.fixture(scope="module")
def shipped():
    return themetag.load()


def test_shipped_features_equal_the_reference_on_real_and_edge_paragraphs(shipped):
    texts = seed_paragraphs() + EDGE
    long_one = " ".join(seed_paragraphs()[:200])  # a very long paragraph (tens of thousands of characters)
    assert len(long_one) > 20_000
    assert_same_rows(shipped.model.features, texts + [long_one])
    # Batch composition does not matter: one at a time gives the same rows.
    for text in EDGE:
        assert_same_rows(shipped.model.features, [text])


def test_custom_spaces_with_longer_ngrams_and_overlapping_cues_equal_the_reference():
    train = seed_paragraphs()
    cues = {
        "stance:against": ("human rights", "human rights violations", "rights", "has failed", "not"),
        "theme:militarization": ("army", "armed forces", "troops", "military operation"),
        "theme:empty": ("1234",),  # a phrase with no words: matches nothing
    }
    for word_ngrams, char_ngrams in (((1, 3), (2, 4)), ((2, 2), None), ((1, 1), (3, 5))):
        space = fit_feature_space(
            train[::2], cues=cues, word_ngrams=word_ngrams, char_ngrams=char_ngrams, cue_weight=2.5
        )
        assert_same_rows(space, train[1::2] + EDGE)


def test_the_word_table_is_bounded_and_a_reset_changes_nothing(shipped, monkeypatch):
    space = fit_feature_space(seed_paragraphs())
    texts = seed_paragraphs()[:60] + EDGE
    before = space.transform(texts)
    monkeypatch.setattr(features, "_CACHE_WORDS", 50)
    space.transform(texts)  # fills the table past the cap
    assert len(space._words.rows) > 50
    after = space.transform(texts)  # starts with a fresh table
    assert len(space._words.rows) <= len({w for t in texts for w in t.lower().split()}) + 1
    np.testing.assert_array_equal(after.indices, before.indices)
    np.testing.assert_array_equal(after.data, before.data)


def test_ngram_tables_are_exact_when_keys_wrap_past_64_bits():
    """With a base so large that keys wrap (and may collide), a found key is still checked id by id."""
    rng = np.random.default_rng(0)
    sequences = sorted({tuple(int(x) for x in rng.integers(0, 50, 3)) for _ in range(300)})
    table = features._NgramTable(
        sequences, np.arange(len(sequences)), 51, multiplier=2**40
    )  # keys wrap: 2**120 > 2**64
    tokens = rng.integers(-1, 50, 5_000)
    text = np.repeat(np.arange(50), 100)
    starts, values = table.find(tokens, text, tokens >= 0)
    index = {s: k for k, s in enumerate(sequences)}
    expected = [
        (p, index[tuple(tokens[p : p + 3].tolist())])
        for p in range(len(tokens) - 2)
        if text[p] == text[p + 2] and tuple(tokens[p : p + 3].tolist()) in index
    ]
    assert list(zip(starts.tolist(), values.tolist())) == expected


def test_compiled_numpy_and_scipy_scoring_give_the_same_bits(shipped, monkeypatch):
    rows = shipped.model.transform(seed_paragraphs()[:300] + EDGE)
    compiled_module = features._featurize
    for width in (1, 3, 7, 20):  # the compiled product has its own code for narrow heads and for wide ones
        weights = np.random.default_rng(width).normal(size=(rows.n_features, width))
        monkeypatch.setattr(features, "_featurize", compiled_module)
        by_compiled = rows.dot(weights) if compiled_module is not None else None
        monkeypatch.setattr(features, "_featurize", None)
        monkeypatch.setattr(features, "_SCIPY_AFTER_ROWS", 10**12)
        by_numpy = rows.dot(weights)
        monkeypatch.setattr(features, "_SCIPY_AFTER_ROWS", -1)
        by_scipy = rows.dot(weights)
        np.testing.assert_array_equal(by_numpy, by_scipy)
        if by_compiled is not None:
            assert by_compiled.tobytes() == by_numpy.tobytes()
        np.testing.assert_allclose(by_numpy, rows.to_scipy().toarray() @ weights, rtol=0, atol=1e-12)


def test_tags_equal_those_of_the_reference_features_and_a_dense_product(shipped):
    """Tags from the fast path equal tags computed from the reference rows with plain dense NumPy."""
    model = shipped.model
    texts = seed_paragraphs() + EDGE
    tags = shipped.tag_paragraphs(texts, kinds=["content"] * len(texts))
    dense = np.zeros((len(texts), model.features.n_features))
    for i, row in enumerate(reference_rows(model.features, texts)):
        for c, v in row.items():
            dense[i, c] = v
    theme_p = 1.0 / (1.0 + np.exp(-(dense @ model.themes.coef + model.themes.intercept)))
    z = dense @ model.stance.coef + model.stance.intercept
    stance_p = model.stance.link_function(z)
    thresholds = model.thresholds()
    for i, tag in enumerate(tags):
        expected_themes = [
            t for j, t in enumerate(model.themes.classes) if theme_p[i, j] >= thresholds[model.schema.themes.index(t)]
        ]
        assert tag.themes == expected_themes, texts[i][:60]
        assert tag.stance == model.stance_decisions(list(model.stance.classes), stance_p[i : i + 1])[0], texts[i][:60]
        assert tag.theme_scores == pytest.approx(dict(zip(model.themes.classes, theme_p[i])), abs=1e-4)


def test_tag_many_batches_across_articles_and_keeps_each_articles_tags(shipped):
    """Articles scored together give what each gives alone, in order, with ids, metadata and errors in place."""
    seeds = sorted((REPO / "seeds").glob("*.txt"))
    articles = [
        {"id": p.stem, "date": "2020-01-0%d" % (k + 1), "text": p.read_text(encoding="utf-8")}
        for k, p in enumerate(seeds)
    ]
    articles = articles * 20 + [("short", "Soldiers burned the coca fields.")]
    together = [t.to_dict() for t in shipped.tag_many(articles)]
    alone = [
        shipped.tag(a["text"], id=a["id"], metadata={"date": a["date"]}).to_dict()
        if isinstance(a, dict)
        else shipped.tag(a[1], id=a[0]).to_dict()
        if isinstance(a, tuple)
        else shipped.tag(a).to_dict()
        for a in articles
    ]
    assert together == alone
    out = list(shipped.tag_many(["Troops arrived.", 42, "Farmers planted cacao.", " \n"], errors="yield"))
    assert [type(o).__name__ for o in out] == ["ArticleTags", "InputError", "ArticleTags", "InputError"] and out[
        1
    ].index == 1
    with pytest.raises(themetag.InputError):
        list(shipped.tag_many(["Troops arrived.", 42]))


def test_pystemmer_gives_the_same_stems_as_the_pure_python_stemmer():
    """The 'fast' extra swaps in the C stemmer; a model's stemmer fingerprint would refuse it if stems differed."""
    stemmer_c = pytest.importorskip("Stemmer").Stemmer("english")
    from snowballstemmer.english_stemmer import EnglishStemmer

    words = sorted(
        {w for t in seed_paragraphs() for w in features._WORD.findall(t.lower())} | set(features.STEMMER_PROBE)
    )
    assert len(words) > 1000
    pure = EnglishStemmer()
    assert [stemmer_c.stemWord(w) for w in words] == [pure.stemWord(w) for w in words]


# ---------------------------------------------------------------- the compiled featurizer (themetag._featurize)

compiled = pytest.mark.skipif(
    features._featurize is None,
    reason=f"themetag._featurize is not used: {features._compiled_missing} "
    "(THEMETAG_NO_COMPILED, or no C compiler at install)",
)


def word_rows_of(space: FeatureSpace, texts: list[str]) -> np.ndarray:
    words = f" {features._SEPARATOR} ".join(t.lower() for t in texts).split()
    return np.array([space._add_word(w) for w in words], dtype=np.int32)


def assert_bitwise_same(space: FeatureSpace, texts: list[str]) -> None:
    """The C path's rows are the NumPy path's, to the last bit (not merely close: scores must not depend on the build)."""
    rows = word_rows_of(space, texts)
    by_c, by_numpy = space._rows_compiled(rows, len(texts)), space._rows_numpy(rows, len(texts))
    for name in ("indptr", "indices", "data"):
        a, b = getattr(by_c, name), getattr(by_numpy, name)
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), name


def test_the_compiled_featurizer_was_built_where_ci_expects_it():
    """CI sets THEMETAG_EXPECT_COMPILED: a missing C module fails here (and warns at run time, see below), unless
    THEMETAG_NO_COMPILED turned it off on purpose (CI's second run of the suite)."""
    if features._env_flag(features.EXPECT_COMPILED_ENV) and features._compiled_missing not in (None, "disabled"):
        pytest.fail(f"THEMETAG_EXPECT_COMPILED is set but themetag._featurize is {features._compiled_missing}")
    assert features.featurizer() == ("NumPy" if features._compiled_missing else "C")


def _featurizer_in_a_fresh_process(**env: str) -> tuple[str, str]:
    """(featurizer(), the warnings printed) of a new process that tags one paragraph twice, with these variables set."""
    import subprocess
    import sys

    code = (
        "import themetag; from themetag import features; themetag.tag('The army moved in.'); "
        "themetag.tag('Farmers planted cacao.'); print(features.featurizer())"
    )
    environ = {k: v for k, v in os.environ.items() if k not in (features.NO_COMPILED_ENV, features.EXPECT_COMPILED_ENV)}
    done = subprocess.run(
        [sys.executable, "-W", "default", "-c", code],
        env={**environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip(), done.stderr


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_no_compiled_makes_a_process_use_numpy_without_a_warning(value):
    used, stderr = _featurizer_in_a_fresh_process(THEMETAG_NO_COMPILED=value, THEMETAG_EXPECT_COMPILED="1")
    assert used == "NumPy" and "Warning" not in stderr, stderr  # disabled on purpose: expected or not, no warning


def test_no_compiled_unset_or_zero_leaves_the_c_module_in_use():
    if features._compiled_missing not in (None, "disabled"):
        pytest.skip(f"themetag._featurize is {features._compiled_missing}")
    for env in ({}, {"THEMETAG_NO_COMPILED": "0"}, {"THEMETAG_NO_COMPILED": ""}):
        used, stderr = _featurizer_in_a_fresh_process(**env, THEMETAG_EXPECT_COMPILED="1")
        assert used == "C" and "Warning" not in stderr, (env, stderr)


def test_a_missing_c_module_is_warned_about_once_when_expected(shipped, monkeypatch):
    texts = ["The army moved in.", "Farmers planted cacao."]
    monkeypatch.setattr(features, "_featurize", None)
    monkeypatch.setattr(
        features, "_compiled_missing", "not built or not importable (No module named 'themetag._featurize')"
    )
    monkeypatch.setattr(features, "_compiled_warned", False)
    monkeypatch.delenv(features.EXPECT_COMPILED_ENV, raising=False)
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        shipped.model.features.transform(texts)  # not expected: no warning
        assert not caught
        monkeypatch.setenv(features.EXPECT_COMPILED_ENV, "1")
        for _ in range(3):
            shipped.model.features.transform(texts)
            fit_feature_space(texts, min_df=1).transform(texts)
    assert len(caught) == 1 and caught[0].category is RuntimeWarning
    message = str(caught[0].message)
    assert "THEMETAG_EXPECT_COMPILED" in message and "not built" in message and "THEMETAG_NO_COMPILED" in message
    # Turned off on purpose: never warned about.
    monkeypatch.setattr(features, "_compiled_missing", "disabled")
    monkeypatch.setattr(features, "_compiled_warned", False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        shipped.model.features.transform(texts)
    assert not caught


def test_a_missing_c_module_is_warned_about_in_a_fresh_process(tmp_path):
    """The run-time warning in a real process: a package copy without the built module, as an install without a compiler."""
    import shutil

    package = Path(features.__file__).parent
    copy = tmp_path / "themetag"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("_featurize*.so", "_featurize*.pyd", "__pycache__"))
    used, stderr = _featurizer_in_a_fresh_process(PYTHONPATH=str(tmp_path), THEMETAG_EXPECT_COMPILED="1")
    assert used == "NumPy"
    assert stderr.count("RuntimeWarning") == 1 and "themetag._featurize is not built or not importable" in stderr, (
        stderr
    )
    used, stderr = _featurizer_in_a_fresh_process(PYTHONPATH=str(tmp_path))
    assert used == "NumPy" and "Warning" not in stderr, stderr


def test_the_compiled_module_was_built_from_this_source():
    """A module left by an older build is ignored by features.py; this says so, rather than silently running NumPy."""
    import re

    try:
        from themetag import _featurize
    except ImportError:
        pytest.skip("themetag._featurize was not compiled")
    source = (REPO / "src" / "themetag" / "_featurize.c").read_text(encoding="utf-8")
    interface = int(re.search(r"#define THEMETAG_FEATURIZE_INTERFACE (\d+)", source).group(1))
    assert _featurize.INTERFACE == interface, "themetag._featurize is an old build: run pip install -e . again"
    assert features._featurize is (None if features._compiled_missing == "disabled" else _featurize)


@compiled
def test_compiled_rows_equal_numpy_rows_bit_for_bit(shipped):
    space = shipped.model.features
    texts = seed_paragraphs() + EDGE
    assert_bitwise_same(space, texts)
    assert_bitwise_same(space, [" ".join(seed_paragraphs()[:200])])  # one very long paragraph
    for text in EDGE:
        assert_bitwise_same(space, [text])
    cues = {
        "stance:against": ("human rights", "human rights violations", "rights", "has failed", "not"),
        "theme:militarization": ("army", "armed forces", "troops", "military operation"),
        "theme:empty": ("1234",),
    }
    train = seed_paragraphs()
    for word_ngrams, char_ngrams, cue_set in (
        ((1, 3), (2, 4), cues),
        ((2, 2), None, cues),
        ((1, 1), (3, 5), {}),
        ((1, 2), (3, 5), cues),
    ):
        custom = fit_feature_space(
            train[::2], cues=cue_set, word_ngrams=word_ngrams, char_ngrams=char_ngrams, cue_weight=2.5
        )
        assert_bitwise_same(custom, train[1::2] + EDGE)


@compiled
def test_compiled_rows_are_writable_arrays_as_numpys_are(shipped):
    rows = shipped.model.transform(seed_paragraphs()[:20])
    assert rows.data.flags.writeable and rows.indices.flags.writeable and rows.indptr.flags.writeable
    matrix = rows.to_scipy()
    matrix.data *= 2
    matrix.eliminate_zeros()


@compiled
def test_counts_past_the_log_tables_get_numpys_logarithms_too(shipped):
    space = shipped.model.features
    size = features._LOG_TABLE_SIZE
    texts = [
        "Troops burned coca.",
        "- " * (size + 10) + "army " * (size + 3),
        "Farmers planted cacao.",
        "- " * (size + 10),
    ]
    counts = space._count_terms_numpy(word_rows_of(space, texts), len(texts))[2]
    assert sorted(set(counts[counts >= size].tolist())) == [size + 3, size + 10]  # two counts past the tables
    assert_bitwise_same(space, texts)


@compiled
def test_transform_gives_the_same_rows_with_and_without_the_compiled_module(shipped, monkeypatch):
    texts = seed_paragraphs()[:300] + EDGE
    with_c = shipped.model.features.transform(texts)
    monkeypatch.setattr(features, "_featurize", None)
    without = shipped.model.features.transform(texts)
    assert with_c.indptr.tobytes() == without.indptr.tobytes()
    assert with_c.data.tobytes() == without.data.tobytes() and with_c.indices.tobytes() == without.indices.tobytes()


@compiled
def test_the_compiled_featurizer_refuses_tables_that_do_not_fit_instead_of_reading_out_of_bounds(shipped):
    space = shipped.model.features
    rows = word_rows_of(space, ["Troops burned coca.", "Farmers planted cacao."])
    space._rows_compiled(rows, 2)  # makes the log tables
    (tf_table, cue_table), idf = space._log_tables, space._idf
    table = space._words
    good = dict(
        word_rows=rows,
        n_texts=2,
        stem_ptr=table.stem_ptr,
        stems=table.stems,
        char_ptr=table.char_ptr,
        chars=table.chars,
        n_words=len(space.word_vocabulary),
        n_term_columns=len(idf),
        unigram_column=space._unigram_column,
        ngram_tables=[t.as_tuple() for t in space._ngram_tables],
        base=len(space._unigram_column),
        single_cues=space._single_cues,
        n_cues=space._n_cues,
        cue_stride=space._single_cues.shape[1],
        cue_tables=[t.as_tuple() for t in space._cue_tables],
        cue_membership=space._cue_membership,
        idf=idf,
        tf_table=tf_table,
        cue_table=cue_table,
        big_counts=np.zeros(0, np.int64),
        big_tf=np.zeros(0),
        big_cue=np.zeros(0),
    )

    def call(**changes):
        return features._featurize.feature_rows(**{**good, **changes})

    assert isinstance(call(), tuple)
    bad_rows = rows.copy()
    bad_rows[0] = len(table.rows) + 5
    bad_stems = np.frombuffer(table.stems, dtype=np.int32).copy()
    bad_stems[:] = 10**9
    bad_table = list(space._ngram_tables[0].as_tuple())
    bad_table[4] = np.full_like(bad_table[4], 10**9)  # columns past the word block
    for changes in (
        {"word_rows": bad_rows},
        {"stems": bad_stems},
        {"n_texts": 1},
        {"n_texts": 3},
        {"idf": idf[:-1]},
        {"n_term_columns": len(idf) + 1},
        {"ngram_tables": [tuple(bad_table)]},
        {"stem_ptr": np.frombuffer(table.stem_ptr, np.int64)[:-1].copy()},
        {"unigram_column": space._unigram_column[:-1]},
        {"single_cues": space._single_cues[:-1]},
        {"big_tf": np.zeros(1)},
    ):
        with pytest.raises(ValueError):
            call(**changes)


@compiled
def test_the_compiled_product_refuses_arrays_that_do_not_fit(shipped):
    rows = shipped.model.transform(seed_paragraphs()[:5])
    weights = np.ones((rows.n_features, 3))
    dot = features._featurize.sparse_dot
    assert np.frombuffer(dot(rows.indptr, rows.indices, rows.data, weights, 3)).tobytes() == rows.dot(weights).tobytes()
    past = rows.indices.copy()
    past[-1] = rows.n_features
    bad_indptr = rows.indptr.copy()
    bad_indptr[-1] += 1
    for args in (
        (rows.indptr, past, rows.data, weights, 3),
        (bad_indptr, rows.indices, rows.data, weights, 3),
        (rows.indptr, rows.indices, rows.data[:-1], weights, 3),
        (rows.indptr, rows.indices, rows.data, weights[:-1], 3),
        (rows.indptr, rows.indices, rows.data, weights, 0),
    ):
        with pytest.raises(ValueError):
            dot(*args)


def test_round_scores_gives_exactly_what_round_gives():
    from themetag.tagger import round_scores

    rng = np.random.default_rng(7)
    halves = (np.arange(0, 10_001) + 0.5) / 1e4  # values at (and, below, beside) the halfway points
    values = np.concatenate(
        [
            rng.random(200_000),
            rng.random(20_000) ** 8,
            halves,
            np.nextafter(halves, 0),
            np.nextafter(halves, 1),
            rng.normal(0, 50, 20_000),
            [0.0, -0.0, 1.0, 1e-300, -1e-300, 5e-05, 0.00015, 0.99995, 2.675],
        ]
    )
    got = round_scores(values.reshape(-1, 1))
    assert [g[0] for g in got] == [round(float(v), 4) for v in values]
    assert all(math.copysign(1, g[0]) == math.copysign(1, round(float(v), 4)) for g, v in zip(got[-9:], values[-9:]))


@compiled
def test_compiled_character_ngrams_are_the_reference_ones(shipped):
    words = sorted({w for t in seed_paragraphs() + EDGE for w in t.lower().split()}) + [
        "a",
        "ab",
        "é",
        "x" * 3000,
        "🌿🌿",
        "naïve-café",
    ]
    for space in (
        shipped.model.features,
        fit_feature_space(seed_paragraphs()[:300], char_ngrams=(1, 2)),
        fit_feature_space(seed_paragraphs()[:300], char_ngrams=(2, 6)),
    ):
        grams = features._featurize.WordIndex()
        grams.add_all(space.char_vocabulary, 0)
        offset = len(space.word_vocabulary)
        for word in words:
            expected = space._char_indices_uncached(word)
            got = np.frombuffer(
                grams.char_columns(word[:MAX_WORD_CHARS], *space.char_ngrams, offset), dtype=np.int32
            ).tolist()
            assert got == expected, word[:40]
    with pytest.raises(ValueError):
        grams.char_columns("ab", 2, 2, 2**63 - 1)


def test_an_empty_batch_has_no_rows(shipped):
    rows = shipped.model.features.transform([])
    assert len(rows) == 0 and rows.dot(np.ones((rows.n_features, 2))).shape == (0, 2)


@compiled
def test_the_compiled_word_index_splits_as_str_split_and_knows_what_the_word_table_knows(shipped, monkeypatch):
    space = fit_feature_space(seed_paragraphs()[:200])
    odd = [
        "a\u00a0b\u2003c\u3000d\x1ce\x85f",
        "\u0130stanbul \u1e9e",
        "tab\tnew\nline\r\nend",
        "",
        "   ",
        "A",
        "\u2028x\u2029y",
        "军队 在山谷里 🌿x 🌿",
        "ab\x1fcd\x0bef",
    ]
    texts = [t.lower() for t in seed_paragraphs()[200:260] + EDGE + odd]  # latin-1, UCS-2 and UCS-4 strings
    words = f" {features._SEPARATOR} ".join(texts).split()
    index = space._words.index
    found, missing = index.rows(texts)
    assert len(found) // 4 == len(words)
    assert [w for _, w in missing] == [w for w in words if w != features._SEPARATOR]  # a fresh table knows no word
    assert all(words[position] == word for position, word in missing)
    with_c = space.transform(texts)  # adds them all
    assert len(index) == len(space._words.rows) - 1  # every word but the separator
    found, missing = index.rows(texts)
    assert not missing and np.frombuffer(found, np.int32).tolist() == [space._words.rows[w] for w in words]
    monkeypatch.setattr(features, "_featurize", None)
    without = space.transform(texts)
    assert with_c.indices.tobytes() == without.indices.tobytes() and with_c.data.tobytes() == without.data.tobytes()


@compiled
def test_hostile_arguments_to_the_compiled_module_raise_instead_of_crashing_or_hanging(shipped):
    """Cases a hostile review found (each crashed, hung or read out of bounds in a sanitizer build before)."""
    import gc

    featurize = features._featurize
    with pytest.raises(ValueError):  # an output size that overflows
        featurize.sparse_dot(np.zeros(3, np.int64), b"", b"", b"", 2**60)
    keys = np.array([12345], np.uint64)
    full_slots = (
        2,
        3,
        keys,
        np.array([[0, 0]], np.int64),
        np.array([0], np.int64),
        np.ones(3, bool),
        np.ones(3, bool),
        np.zeros(2, np.int32),
    )
    rows = np.array([1], np.int32)
    good = [
        rows,
        1,
        np.array([0, 0, 2], np.int64),
        np.array([0, 1], np.int32),
        np.array([0, 0, 0], np.int64),
        np.zeros(0, np.int32),
        2,
        2,
        b"",
        [],
        3,
        np.zeros(3, bool),
        0,
        1,
        [],
        np.zeros(0, bool),
        np.ones(2),
        np.ones(4),
        np.ones(4),
        np.zeros(0, np.int64),
        np.zeros(0),
        np.zeros(0),
    ]
    assert isinstance(featurize.feature_rows(*good), tuple)
    for position, value in (
        (9, [full_slots]),
        (13, 2**62),
        (9, "not a list"),
        (9, [["not", "a", "tuple"]]),
    ):  # no empty slot; stride * base wraps
        bad = list(good)
        bad[position] = value
        with pytest.raises((ValueError, TypeError)):
            featurize.feature_rows(*bad)
    # Texts dropped by Python code that runs while the words are read (a garbage-collector callback) stay readable.
    texts = ["".join(f"w{i} " for i in range(20_000))]

    def drop(phase, info):
        if phase == "start" and texts:
            texts.clear()

    threshold = gc.get_threshold()
    gc.collect()
    gc.set_threshold(100)
    gc.callbacks.append(drop)
    try:
        found, missing = featurize.WordIndex().rows(texts)
    finally:
        gc.callbacks.remove(drop)
        gc.set_threshold(*threshold)
    assert len(missing) == 20_000 and missing[-1] == (19_999, "w19999")


def test_summarize_in_one_pass_gives_what_the_plain_tallies_give(shipped):
    """summarize() counts in one loop; the plain definition (a count per theme, stance and kind) must agree."""
    from themetag.schema import KINDS
    from themetag.tagger import DOMINANT_THEME_SHARE, MOSTLY_SET_ASIDE, ParagraphTags, summarize

    def plain(paragraphs, schema):
        content = [p for p in paragraphs if p.kind == "content"]
        n = len(content)
        shares = {t: round(sum(t in p.themes for p in content) / n, 4) if n else 0.0 for t in schema.themes}
        stance_counts = {s: sum(p.stance == s for p in content) for s in schema.stances}
        counts = {"paragraphs": len(paragraphs), **{k: sum(p.kind == k for p in paragraphs) for k in KINDS}}
        total = sum(len(p.text) for p in paragraphs)
        set_aside = round(sum(len(p.text) for p in paragraphs if p.kind != "content") / total, 4) if total else 0.0
        return shares, stance_counts, counts, set_aside

    schema = shipped.schema
    articles = [
        t.paragraphs
        for t in shipped.tag_many(p.read_text(encoding="utf-8") for p in sorted((REPO / "seeds").glob("*.txt")))
    ]
    theme = schema.themes[0]
    articles += [
        [],
        [ParagraphTags("", "content")],
        [ParagraphTags("x" * 5, "boilerplate"), ParagraphTags("y", "heading")],
        [
            ParagraphTags("a b", "content", [theme, theme], {}, "odd-stance"),
            ParagraphTags("c", "other-kind", ["unknown"]),
        ],
    ]
    for paragraphs in articles:
        tags = summarize(paragraphs, schema)
        shares, stance_counts, counts, set_aside = plain(paragraphs, schema)
        assert (tags.theme_shares, tags.stance_counts, tags.counts, tags.set_aside_share) == (
            shares,
            stance_counts,
            counts,
            set_aside,
        )
        assert tags.dominant_themes == sorted(
            (t for t, v in shares.items() if v >= DOMINANT_THEME_SHARE and v > 0), key=lambda t: -shares[t]
        )
        has_content = any(p.kind == "content" for p in paragraphs)
        assert tags.warning == (
            "no_content" if not has_content else "mostly_set_aside" if set_aside > MOSTLY_SET_ASIDE else None
        )
