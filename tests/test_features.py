"""The NumPy-only feature and scoring code gives what scikit-learn gives, so the stored model is the trained one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from themetag.features import char_terms, fit_feature_space, tokenize, word_terms
from themetag.model import LinearHead

REPO = Path(__file__).resolve().parent.parent
ODD = ["", "   ", "1234 5678", "Ñandú — ¿qué? 🌿 coca", "A", "x" * 300, "army  army\tarmy\narmy", "İstanbul ǅemal ﬁnal"]


@pytest.fixture(scope="module")
def texts():
    rows = [json.loads(line) for line in (REPO / "labels" / "seeds.jsonl").read_text(encoding="utf-8").splitlines()]
    return [r["text"] for r in rows]


def test_word_and_char_analyzers_match_scikit_learn(texts):
    words = TfidfVectorizer(
        tokenizer=tokenize, token_pattern=None, lowercase=False, ngram_range=(1, 2)
    ).build_analyzer()
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).build_analyzer()
    for text in texts + ODD:
        assert word_terms(text, (1, 2)) == words(text)
        assert char_terms(text, (3, 5)) == chars(text)


def test_feature_space_transform_matches_scikit_learn(texts):
    train, test = texts[::2], texts[1::2] + ODD
    space = fit_feature_space(
        train, cues={"theme:x": ("army", "troops"), "stance:y": ("human rights",)}, cue_weight=3.0
    )
    words = TfidfVectorizer(
        tokenizer=tokenize, token_pattern=None, lowercase=False, ngram_range=(1, 2), min_df=2, sublinear_tf=True
    ).fit(train)
    chars = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True, max_features=60_000
    ).fit(train)
    assert space.word_vocabulary == words.get_feature_names_out().tolist()
    assert space.char_vocabulary == chars.get_feature_names_out().tolist()
    ours = space.transform(test).to_scipy().toarray()
    n_words, n_chars = len(space.word_vocabulary), len(space.char_vocabulary)
    np.testing.assert_allclose(ours[:, :n_words], words.transform(test).toarray(), atol=1e-12)
    np.testing.assert_allclose(ours[:, n_words : n_words + n_chars], chars.transform(test).toarray(), atol=1e-12)
    column = {name: n_words + n_chars + j for j, name in enumerate(space.cues)}
    stems = [tokenize(t) for t in test]
    army = [np.log1p(sum(s in ("armi", "troop") for s in toks)) * 3.0 for toks in stems]
    rights = [np.log1p(sum(toks[i : i + 2] == ["human", "right"] for i in range(len(toks)))) * 3.0 for toks in stems]
    np.testing.assert_allclose(ours[:, column["theme:x"]], army, atol=1e-12)
    np.testing.assert_allclose(ours[:, column["stance:y"]], rights, atol=1e-12)
    assert ours[test.index("army  army\tarmy\narmy"), column["theme:x"]] == pytest.approx(np.log1p(4) * 3.0)


def test_sparse_dot_equals_dense_product(texts):
    space = fit_feature_space(texts)
    rows = space.transform(texts[:20] + ["", "zzzz"])
    weights = np.random.default_rng(0).normal(size=(space.n_features, 3))
    np.testing.assert_allclose(rows.dot(weights), rows.to_scipy().toarray() @ weights, atol=1e-12)


@pytest.mark.parametrize(
    "labels, solver",
    [(["a", "b", "c"], "lbfgs"), (["a", "b"], "lbfgs"), (["a", "b"], "liblinear")],
)
def test_linear_heads_give_scikit_learns_probabilities(texts, labels, solver):
    space = fit_feature_space(texts)
    rows = space.transform(texts)
    y = [labels[i % len(labels)] for i in range(len(texts))]
    estimator = LogisticRegression(C=4.0, solver=solver, max_iter=3000).fit(rows.to_scipy(), y)
    head = LinearHead.from_logistic_regression(estimator)
    assert head.classes == list(estimator.classes_)
    np.testing.assert_allclose(head.probabilities(rows), estimator.predict_proba(rows.to_scipy()), atol=1e-10)


def test_fitting_on_texts_without_words_gives_an_empty_space():
    space = fit_feature_space(["123", "456"])
    assert space.n_features == 0
    assert len(space.transform(["anything"])) == 1


def test_a_giant_word_costs_bounded_work():
    """A 5 MB "word" is cut to MAX_WORD_CHARS for character n-grams and not stemmed (it would make millions of strings)."""
    from themetag.features import MAX_WORD_CHARS

    giant = "ab" * 2_500_000
    grams = char_terms(giant, (3, 5))
    assert len(grams) == sum(MAX_WORD_CHARS + 3 - n for n in (3, 4, 5)) and grams[:2] == [" ab", "aba"]
    assert tokenize(giant) == [giant[:MAX_WORD_CHARS]]
    space = fit_feature_space(["the army and the troops", "troops in the valley", giant])
    assert len(space.transform([giant, "troops"])) == 2
