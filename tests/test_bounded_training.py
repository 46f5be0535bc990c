"""Training memory in proportion, bounded before it is spent (issue 29): labels past ``max_label_chars`` are refused
before any fitting, under a memory limit; the vocabulary and IDF are counted in bounded memory yet exactly as
scikit-learn counts them; the training matrix is built in batches, the same matrix as one batch."""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import REPO

from themetag.config import MAX_LABEL_CHARS, TrainConfig, config_text, parse_config
from themetag.errors import LabelError

MEMORY_LIMIT = 1_500_000_000  # bytes of address space: the refused run never comes near it


def _limited():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _noise_labels(folder, paragraphs: int, chars: int, seed: int = 0) -> None:
    """A label directory of random words (a hostile input: every word new, every character n-gram rare)."""
    folder.mkdir()
    (folder / "schema.json").write_text((REPO / "labels" / "schema.json").read_text(encoding="utf-8"))
    rng = random.Random(seed)
    themes = ["militarization", "development", "corruption", "civilian_defense"]
    letters = "abcdefghijklmnopqrstuvwxyz"
    with open(folder / "noise.jsonl", "w", encoding="utf-8") as out:
        for i in range(paragraphs):
            words, size = [], 0
            while size < chars:
                words.append("".join(rng.choices(letters, k=rng.randint(2, 12))))
                size += len(words[-1]) + 1
            record = {
                "doc": f"d{i // 5}",
                "para": i % 5,
                "text": " ".join(words),
                "kind": "content",
                "themes": [t for t in themes if rng.random() < 0.3],
                "stance": rng.choice(["favor", "against", "neutral"]),
            }
            out.write(json.dumps(record) + "\n")


def test_labels_past_the_character_limit_are_refused_before_memory_is_spent(tmp_path):
    # 1,100 paragraphs of 25 KB: 27.5 million characters, past the default 25 million. A few distinct texts
    # repeated (under other names) are as large as distinct ones: nothing reads them before the check.
    folder = tmp_path / "big"
    folder.mkdir()
    (folder / "schema.json").write_text((REPO / "labels" / "schema.json").read_text(encoding="utf-8"))
    rng = random.Random(1)
    texts = [" ".join("".join(rng.choices("abcdefghij", k=9)) for _ in range(2_500)) for _ in range(20)]
    with open(folder / "noise.jsonl", "w", encoding="utf-8") as out:
        for i in range(1_100):
            record = {
                "doc": f"d{i}",
                "para": 0,
                "text": texts[i % 20],
                "kind": "content",
                "themes": [],
                "stance": "neutral",
            }
            out.write(json.dumps(record) + "\n")
    total = 1_100 * len(texts[0])
    assert total > MAX_LABEL_CHARS
    start = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "themetag",
            "train",
            "--labels",
            str(folder),
            "--out",
            str(tmp_path / "m"),
            "--no-evaluate",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_limited,
    )
    seconds = time.perf_counter() - start
    assert done.returncode == 1, done.stderr[-800:]
    assert f"hold {total:,} characters" in done.stderr and "max_label_chars" in done.stderr, done.stderr[-800:]
    assert "--config" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "m").exists()
    assert seconds < 60, f"refused only after {seconds:.0f} s: the check must come before the vocabulary is counted"


def test_the_limit_counts_every_labeled_paragraph_and_a_config_raises_it():
    from themetag.labels import load_labels
    from themetag.schema import Schema
    from themetag.training import check_label_size, fit

    labels = load_labels(REPO / "labels" / "seeds.jsonl", schema=Schema.load(REPO / "labels"))
    total = sum(len(e.text) for e in labels.examples)  # headings and boilerplate too: the kind head reads them
    assert total > sum(len(e.text) for e in labels.content())
    check_label_size(labels.examples, TrainConfig(max_label_chars=total))
    with pytest.raises(LabelError, match=f"hold {total:,} characters.*max_label_chars = {total - 1:,}"):
        fit(labels.examples, labels.schema, TrainConfig(max_label_chars=total - 1))
    # Evaluation refuses them before its first fold (each fold fits most of the labels).
    from themetag.workflow import evaluate_labels

    with pytest.raises(LabelError, match="max_label_chars"):
        evaluate_labels(labels, TrainConfig(max_label_chars=total - 1), progress=lambda *a: pytest.fail("a fold ran"))
    # Raised in a config file (what the message says to do), it is read back, and kept in the model's settings.
    raised = parse_config(config_text(TrainConfig(max_label_chars=10**9)))
    assert raised.max_label_chars == 10**9 and raised.to_dict()["max_label_chars"] == 10**9
    with pytest.raises(LabelError, match="max_label_chars"):
        TrainConfig(max_label_chars=0)


def test_the_limit_leaves_a_models_settings_as_they_were():
    # A limit changes no model: at its default it is not in metadata.json's "training" (so models, and the settings
    # `evaluate --output` stored, compare equal to those made before it existed), and an old model's settings load.
    settings = TrainConfig().to_dict()
    assert "max_label_chars" not in settings and "seed" in settings
    assert TrainConfig.from_dict(settings) == TrainConfig()
    assert "max_label_chars = 25000000" in config_text()


def test_the_training_matrix_built_in_batches_is_the_one_batch_matrix(monkeypatch):
    from themetag import training
    from themetag.features import fit_feature_space

    texts = [json.loads(line)["text"] for line in (REPO / "labels" / "seeds.jsonl").read_text().splitlines()]
    space = fit_feature_space(texts, cues={"theme:x": ("army",)})
    whole = space.transform(texts).to_scipy()
    monkeypatch.setattr(training, "_BATCH_CHARS", 3_000)  # many batches, cut anywhere
    batched = training.feature_matrix(space, texts)
    assert batched.shape == whole.shape and batched.indices.dtype == np.int32
    for name in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(batched, name), getattr(whole, name)), name
    assert training.feature_matrix(space, []).shape == (0, space.n_features)


def test_idf_is_scikit_learns_to_the_bit_also_when_the_count_was_bounded(monkeypatch):
    from sklearn.feature_extraction.text import TfidfVectorizer

    from themetag import features
    from themetag.features import char_terms, fit_feature_space

    rng = random.Random(5)
    texts = [json.loads(line)["text"] for line in (REPO / "labels" / "seeds.jsonl").read_text().splitlines()]
    texts += [" ".join("".join(rng.choices("abcdefgh", k=rng.randint(3, 9))) for _ in range(300)) for _ in range(40)]

    def sklearn_idf(vocabulary):
        from functools import partial

        vectorizer = TfidfVectorizer(
            analyzer=partial(char_terms, ngrams=(3, 5)), sublinear_tf=True, vocabulary=vocabulary
        )
        return vectorizer.fit(texts).idf_

    exact = fit_feature_space(texts)
    assert np.array_equal(exact.char_idf, sklearn_idf(exact.char_vocabulary))  # bits, not approximately
    monkeypatch.setattr(features, "MAX_COUNTED_TERMS", 5_000)  # the count is pruned many times over
    bounded = fit_feature_space(texts)
    assert bounded.char_vocabulary != exact.char_vocabulary and len(bounded.char_vocabulary) <= 5_000
    assert np.array_equal(bounded.char_idf, sklearn_idf(bounded.char_vocabulary))


# How training memory grows with the labels' characters is measured by benchmarks/training_memory.py (36 bytes a
# character on random words between 2.3 M and 23 M characters): at sizes a test can afford, the caches are still
# filling (20 -> 80 paragraphs of 5 KB grew 430 bytes a character), so the slope would not be the one claimed.
