"""Out-of-domain estimates and the stance levers: leave one source out, learning curve, tuned side weights."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import REPO

import themetag
import themetag.evaluation
from themetag.evaluation import learning_curve, leave_one_source_out
from themetag.schema import Schema
from themetag.training import TrainConfig, _best_side_weights, fit

FAST = TrainConfig(char_ngrams=None, inner_folds=2, folds=2)


@pytest.fixture(scope="module")
def two_sources(tmp_path_factory):
    """The seed labels split into two label files (sources) by article."""
    folder = tmp_path_factory.mktemp("two_sources")
    (folder / "schema.json").write_text((REPO / "labels" / "schema.json").read_text())
    records = [json.loads(line) for line in (REPO / "labels" / "seeds.jsonl").read_text().splitlines() if line.strip()]
    docs = sorted({r["doc"] for r in records})
    for name, part in (("outlet_a", docs[:3]), ("outlet_b", docs[3:])):
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records if r["doc"] in part))
    return folder


def test_leave_one_source_out_never_trains_on_the_source_it_tests(two_sources, monkeypatch):
    labels = themetag.load_labels(two_sources)
    trained_on = []
    real_fit = themetag.evaluation.fit
    monkeypatch.setattr(
        themetag.evaluation,
        "fit",
        lambda examples, *a, **k: trained_on.append({e.source for e in examples}) or real_fit(examples, *a, **k),
    )
    scores = leave_one_source_out(labels, FAST)
    assert list(scores) == ["outlet_a", "outlet_b"]
    assert [{s.split("/")[-1] for s in sources} for sources in trained_on] == [{"outlet_b.jsonl"}, {"outlet_a.jsonl"}]
    content = {
        name: sum(e.kind == "content" and e.source.endswith(f"{name}.jsonl") for e in labels.examples)
        for name in scores
    }
    assert {name: b["model"]["n_content"] for name, b in scores.items()} == content
    assert scores["outlet_a"]["documents"] == 3 and scores["outlet_b"]["documents"] == 2


def test_learning_curve_trains_on_nested_shares_of_each_fold(two_sources):
    labels = themetag.load_labels(two_sources)
    curve = learning_curve(labels, FAST, fractions=(0.5, 1.0))
    assert [p["fraction"] for p in curve] == [0.5, 1.0]
    assert curve[0]["documents"] <= curve[1]["documents"]
    report = themetag.workflow.evaluate_labels(labels, FAST, loso=True, curve=True)
    text = themetag.report.format_table(report)
    assert "Leave one source out" in text and "Learning curve" in text
    assert set(report.summary()["leave_one_source_out"]) == {"outlet_a", "outlet_b"}


def test_side_weights_maximise_f_avg_and_leave_a_good_model_alone():
    schema = Schema((), ("favor", "against", "neutral"), "neutral")
    truth = ["favor", "against", "neutral", "neutral"]
    timid = np.array([[0.29, 0.11, 0.6], [0.1, 0.35, 0.55], [0.05, 0.05, 0.9], [0.1, 0.1, 0.8]])  # sides never win
    weights = _best_side_weights(truth, timid, schema)
    assert weights == {"favor": 2.5, "against": 2.5}  # the smallest weight that finds both sides
    sure = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.1, 0.1, 0.8]])
    assert _best_side_weights(truth, sure, schema) == {}  # weight 1 already best: nothing stored


def test_tuned_stance_weights_are_saved_checked_and_used(seed_labels, tmp_path):
    labels = themetag.load_labels(seed_labels)
    model = fit(labels.examples, labels.schema, TrainConfig(char_ngrams=None, inner_folds=2, stance_decision="tuned"))
    tagger = themetag.Tagger(
        model, {"format_version": 2, "schema": labels.schema.to_dict(), "training": model.training}
    )
    texts = [e.text for e in labels.content()]
    path = tagger.save(tmp_path / "m")
    loaded = themetag.load(path)
    assert loaded.model.stance_weights == model.stance_weights
    assert [t.stance for t in loaded.tag_paragraphs(texts, kinds=["content"] * len(texts))] == [
        t.stance for t in tagger.tag_paragraphs(texts, kinds=["content"] * len(texts))
    ]
    if model.stance_weights:  # the weights change decisions, not probabilities
        plain = fit(labels.examples, labels.schema, TrainConfig(char_ngrams=None, inner_folds=2))
        assert plain.stance_weights == {}


def test_per_side_weights_can_differ():
    schema = Schema((), ("favor", "against", "neutral"), "neutral")
    truth = ["favor", "against", "neutral", "neutral"]
    proba = np.array([[0.45, 0.05, 0.5], [0.05, 0.2, 0.75], [0.3, 0.05, 0.65], [0.05, 0.15, 0.8]])
    # favor needs a little help, against much more; one shared weight cannot give both without errors.
    assert _best_side_weights(truth, proba, schema, per_side=True) == {"favor": 1.25, "against": 4.0}
    shared = _best_side_weights(truth, proba, schema)
    assert len(set(shared.values())) <= 1
