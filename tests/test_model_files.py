"""A model directory is data: loading one never runs code, and a damaged, foreign or old one is refused clearly."""

from __future__ import annotations

import builtins
import io
import json
import pickle
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import copy_seed_labels

import themetag
from themetag import ModelError, TrainConfig, load
from themetag.model import content_hash
from themetag.store import read_arrays, write_arrays

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FAST = TrainConfig(char_ngrams=None, inner_folds=2, folds=2)
TEXTS = [
    "The army will deploy troops to eradicate coca.",
    "Farmers switched to cacao and coffee.",
    "Officials took bribes.",
]


@pytest.fixture(scope="module")
def model_dir(seed_labels, tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "m"
    themetag.train(seed_labels, out=out, config=FAST, evaluate=False)
    return out


@pytest.fixture
def copy(model_dir, tmp_path):
    target = tmp_path / "m"
    shutil.copytree(model_dir, target)
    return target


class _CreatesFile:
    """Unpickling this creates a file: proof that a loader ran code from the model file."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return (builtins.open, (str(self.path), "w"))


def _edit(directory: Path, change_arrays=None, change_settings=None, rehash: bool = False) -> None:
    arrays = read_arrays(directory / "model.npz")
    meta = json.loads((directory / "metadata.json").read_text())
    if change_arrays:
        change_arrays(arrays)
    if change_settings:
        change_settings(meta)
    if rehash:
        meta["model"]["arrays"] = {k: {"dtype": v.dtype.str, "shape": list(v.shape)} for k, v in sorted(arrays.items())}
        meta["model"]["sha256"] = content_hash(meta["model"], arrays)
    write_arrays(directory / "model.npz", arrays)
    (directory / "metadata.json").write_text(json.dumps(meta))


def test_same_labels_and_seed_give_the_same_model_file_byte_for_byte(model_dir, tmp_path):
    themetag.train(copy_seed_labels(tmp_path / "labels"), out=tmp_path / "again", config=FAST, evaluate=False)
    assert (tmp_path / "again" / "model.npz").read_bytes() == (model_dir / "model.npz").read_bytes()
    load(model_dir).save(tmp_path / "resaved")
    assert (tmp_path / "resaved" / "model.npz").read_bytes() == (model_dir / "model.npz").read_bytes()
    with zipfile.ZipFile(model_dir / "model.npz") as archive:
        assert all(name.endswith(".npy") for name in archive.namelist())


@pytest.mark.parametrize("where", ["npz_is_a_pickle", "object_array_in_npz", "format_1_joblib"])
def test_a_model_file_that_would_run_code_is_refused_without_running_it(copy, tmp_path, where):
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_CreatesFile(marker))
    if where == "npz_is_a_pickle":
        (copy / "model.npz").write_bytes(payload)
    elif where == "object_array_in_npz":
        arrays = read_arrays(copy / "model.npz")
        buffer = io.BytesIO()
        np.savez(buffer, **{**arrays, "stance_coef": np.array([_CreatesFile(marker)], dtype=object)})
        (copy / "model.npz").write_bytes(buffer.getvalue())
    else:
        (copy / "model.npz").unlink()
        (copy / "model.joblib").write_bytes(payload)
        meta = json.loads((copy / "metadata.json").read_text())
        (copy / "metadata.json").write_text(json.dumps({**meta, "format_version": 1}))
    with pytest.raises(ModelError):
        load(copy)
    assert not marker.exists()


def test_a_pickle_lying_beside_a_good_model_is_ignored(copy, tmp_path):
    marker = tmp_path / "pwned"
    (copy / "model.joblib").write_bytes(pickle.dumps(_CreatesFile(marker)))
    assert load(copy).tag_paragraphs(TEXTS)
    assert not marker.exists()


def _bump_coef(arrays):
    arrays["themes_coef"][0, 0] += 1.0


def _bump_threshold(meta):
    meta["model"]["theme_thresholds"]["militarization"] = 0.01


def _drop_word(arrays):
    arrays["word_vocabulary"] = arrays["word_vocabulary"][1:]
    arrays["word_idf"] = arrays["word_idf"][1:]


def _rename_theme(meta):
    meta["schema"]["themes"]["army"] = meta["schema"]["themes"].pop("militarization")


def _other_stemmer(meta):
    meta["model"]["stemmer"] = "0" * 16


@pytest.mark.parametrize(
    "arrays, settings, rehash, message",
    [
        (_bump_coef, None, False, "content hash does not match"),
        (None, _bump_threshold, False, "content hash does not match"),
        (_drop_word, None, True, "weights have shape"),
        (None, _rename_theme, False, "which the schema does not declare"),
        (None, _other_stemmer, True, "stemmer that stems differently"),
        (lambda a: a.pop("stance_coef"), None, False, "does not match metadata.json"),
    ],
    ids=[
        "weights changed",
        "threshold changed",
        "shapes disagree",
        "labels disagree",
        "stemmer changed",
        "array missing",
    ],
)
def test_a_tampered_model_is_refused(copy, arrays, settings, rehash, message):
    _edit(copy, arrays, settings, rehash)
    with pytest.raises(ModelError, match=message) as caught:
        load(copy)
    assert "retrain it with `themetag train`" in str(caught.value)


def _set(path: str, value):
    def change(meta):
        *parents, last = path.split(".")
        node = meta["model"]
        for key in parents:
            node = node[key]
        node[last] = value

    return change


def _nan_weight(arrays):
    arrays["stance_coef"][3, 1] = np.nan


def _repeated_word(arrays):
    arrays["word_vocabulary"][5] = arrays["word_vocabulary"][6]


def _complex_weights(arrays):
    arrays["stance_coef"] = arrays["stance_coef"].astype(complex)


def _date_idf(arrays):
    arrays["word_idf"] = np.zeros(arrays["word_idf"].shape, dtype="datetime64[s]")


def _memory_twice(arrays):
    arrays["kind_memory_keys"] = np.array(["listen", "listen"])
    arrays["kind_memory_kinds"] = np.array([2, 2], dtype=np.int8)


@pytest.mark.parametrize(
    "arrays, settings, message",
    [
        (None, _set("features.word_ngrams", [1, 3000]), "word_ngrams must be"),
        (None, _set("features.char_ngrams", [0, 5]), "char_ngrams must be"),
        (None, _set("theme_thresholds.militarization", -1), "threshold of theme 'militarization' must be"),
        (None, _set("theme_thresholds.militarization", float("nan")), "threshold of theme 'militarization' must be"),
        (None, _set("stance_weights", {"favor": 0}), "weight of stance 'favor'"),
        (None, _set("kind_source", "oracle"), "kind_source must be"),
        (_nan_weight, None, "not finite"),
        (_repeated_word, None, "'word_vocabulary' repeats an entry"),
        (_complex_weights, None, "'stance_coef' must hold real numbers"),
        (_date_idf, None, "'word_idf' must hold real numbers"),
        (_memory_twice, None, "'kind_memory_keys' repeats an entry"),
        (None, _set("features.cues.theme:militarization", [" ".join(["troops"] * 65)]), "a cue phrase of 65 words"),
    ],
    ids=[
        "word n-grams 1-3000",
        "char n-grams from 0",
        "threshold -1",
        "threshold NaN",
        "stance weight 0",
        "unknown kind source",
        "NaN weight",
        "a word twice (tagging looped forever)",
        "complex weights",
        "dates for IDF",
        "kind memory twice",
        "a cue of 65 words (the compiled featurizer failed at tag time)",
    ],
)
def test_a_model_with_a_valid_hash_but_impossible_settings_is_refused(copy, arrays, settings, message):
    """What a forger who knows the format (and rewrites the hash) could write: refused before any tagging, at once."""
    import time

    _edit(copy, arrays, settings, rehash=True)
    start = time.perf_counter()
    with pytest.raises(ModelError, match=message):
        load(copy)
    assert time.perf_counter() - start < 10


def test_malformed_metadata_is_refused_in_one_message(copy):
    meta = json.loads((copy / "metadata.json").read_text())
    (copy / "metadata.json").write_text(json.dumps({**meta, "format_version": 7, "versions": ["not", "a", "dict"]}))
    with pytest.raises(ModelError, match="made by themetag an unknown themetag"):
        load(copy)
    (copy / "metadata.json").write_text("[" * 100_000)
    with pytest.raises(ModelError, match="unreadable metadata"):
        load(copy)


def test_a_truncated_or_foreign_model_file_is_refused(copy, tmp_path):
    data = (copy / "model.npz").read_bytes()
    (copy / "model.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="not a themetag model array file"):
        load(copy)
    np.savez(copy / "model.npz", x=np.arange(3))
    with pytest.raises(ModelError, match="does not match metadata.json"):
        load(copy)


def test_a_model_from_the_previous_format_is_refused_with_how_to_retrain():
    """tests/fixtures/format1_model was saved by themetag 0.1.0 (format 1, a joblib pickle)."""
    with pytest.raises(ModelError) as caught:
        load(FIXTURES / "format1_model")
    message = str(caught.value)
    assert "model format 1 (made by themetag 0.1.0)" in message
    assert "pickle" in message and "themetag train --labels DIR --out" in message


def test_a_model_from_a_newer_themetag_asks_for_an_upgrade(copy):
    meta = json.loads((copy / "metadata.json").read_text())
    (copy / "metadata.json").write_text(json.dumps({**meta, "format_version": 3, "versions": {"themetag": "9.0"}}))
    with pytest.raises(ModelError, match=r"model format 3 \(made by themetag 9.0\).*upgrade themetag"):
        load(copy)


def test_tagging_never_imports_scikit_learn(model_dir):
    """So a model gives the same predictions whatever scikit-learn (or none) is installed."""
    code = (
        "import sys, themetag\n"
        f"t = themetag.load({str(model_dir)!r})\n"
        f"t.tag_paragraphs({TEXTS!r}); themetag.tag('The army moved in.')\n"
        "print(sorted(m for m in ('sklearn', 'scipy', 'joblib', 'nltk') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_tagging_in_batches_gives_what_tagging_one_at_a_time_gives(model_dir, monkeypatch):
    monkeypatch.setattr(themetag.tagger, "BATCH_PARAGRAPHS", 2)
    tagger = load(model_dir)
    texts = TEXTS * 3 + [""]
    together = tagger.tag_paragraphs(texts, kinds=["content"] * len(texts))
    alone = [tagger.tag_paragraphs([t], kinds=["content"])[0] for t in texts]
    assert [a.to_dict() for a in together] == [b.to_dict() for b in alone]


def test_word_sequences_made_to_collide_are_refused_not_retried_forever():
    # (x^2 - 1)^22 vanishes mod 2^64 for every odd x: two sequences whose id differences are its coefficients have
    # the same key under every odd multiplier (a forged model made loading loop forever).
    from math import comb

    from themetag.features import _NgramTable

    coefficients = [0] * 45
    for k in range(23):
        coefficients[44 - 2 * k] = comb(22, k) * (-1) ** (22 - k)
    first = tuple(max(c, 0) for c in coefficients)
    second = tuple(max(-c, 0) for c in coefficients)
    with pytest.raises(ModelError, match="collide under 64 multipliers"):
        _NgramTable([first, second], np.arange(2), base=10**6 + 1, multiplier=3)
    assert _NgramTable([first, tuple(x + 1 for x in second)], np.arange(2), base=10**6 + 1, multiplier=3).n == 45


def test_cue_groups_are_bounded_before_their_tables_are_made():
    # The cue tables hold a cell per stem and group: a forged model of 40,000 one-phrase groups (4 MB) took 1.8 GB.
    from themetag.errors import LabelError
    from themetag.features import MAX_CUE_GROUPS, FeatureSpace

    def space(groups: int) -> FeatureSpace:
        cues = {f"theme:g{k}": (f"army{k} troops",) for k in range(groups)}
        return FeatureSpace(["army"], np.ones(1), (1, 1), [], np.zeros(0), None, cues)

    assert space(MAX_CUE_GROUPS)._single_cues.shape[1] == MAX_CUE_GROUPS
    with pytest.raises(LabelError, match=f"{MAX_CUE_GROUPS + 1} themes and stances with cues"):
        space(MAX_CUE_GROUPS + 1)
