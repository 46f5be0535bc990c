"""Paths that were quadratic stay linear: ten times the input takes about ten times as long.

Each test times two sizes ten apart and bounds the ratio (CPU seconds, best of three runs at the small size and two at the large), not the time:
a quadratic path gives ~100, a linear one ~10, so a bound of 25 tells them apart on a slow or busy machine
(the segmentation test in test_segment.py does the same). ``benchmarks/linear_time.py`` measures the same paths
at larger sizes.
"""

from __future__ import annotations

import gc
import json
import time
import tracemalloc
from types import SimpleNamespace

import pytest

from themetag import load
from themetag.interop import read_doccano, read_label_studio
from themetag.review import suggest

BOUND = 25


def best_seconds(run, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        start, cpu = time.perf_counter(), time.process_time()
        run()
        assert time.perf_counter() - start < 60, "over a minute: minutes when the path is quadratic"
        best = min(best, time.process_time() - cpu)  # CPU seconds: other processes' load counts less
    return best


def ratio(run_at, small: int) -> tuple[float, float]:
    """(CPU seconds at 10 x small, ratio to those at small): best of 3 and of 2, the small size's floored at 10 ms.
    Each run also has a time limit, 60 s."""
    run_at(small)  # warm-up
    low, high = best_seconds(lambda: run_at(small)), best_seconds(lambda: run_at(10 * small), repeats=2)
    return high, high / max(low, 0.01)


def test_a_doccano_example_with_many_labels_imports_in_linear_time(tmp_path):
    """Repeated labels (a collaborative export merges annotators') were deduplicated against a copy of the labels
    before each one: one example with 1,000,000 labels was killed at 200 s."""
    schema = load().schema

    def run_at(n: int) -> None:
        path = tmp_path / f"{n}.jsonl"
        if not path.exists():
            labels = [schema.themes[i % len(schema.themes)] for i in range(n)] + ["stance:" + schema.stances[0]]
            path.write_text(json.dumps({"id": 1, "text": "Troops burned coca fields.", "label": labels}) + "\n")
        [record] = read_doccano(path, schema)
        assert record["themes"] == list(schema.themes)

    seconds, times = ratio(run_at, 100_000)
    assert times < BOUND, f"{times:.1f} times as long for 10 times the labels ({seconds:.2f} s)"


def test_label_studio_tasks_of_one_article_without_para_import_in_linear_time(tmp_path):
    """A missing para is the next after the article's largest: that was a max() over the article's paragraphs each time."""
    schema = load().schema

    def run_at(n: int) -> None:
        path = tmp_path / f"{n}.json"
        if not path.exists():
            result = [
                {"from_name": "stance", "to_name": "text", "type": "choices", "value": {"choices": [schema.stances[0]]}}
            ]
            tasks = [
                {"id": i, "data": {"text": f"Paragraph {i}.", "doc": "a"}, "annotations": [{"result": result}]}
                for i in range(n)
            ]
            path.write_text(json.dumps(tasks))
        records = read_label_studio(path, schema)
        assert [r["para"] for r in records[-2:]] == [n - 2, n - 1]

    seconds, times = ratio(run_at, 2_000)
    assert times < BOUND, f"{times:.1f} times as long for 10 times the tasks ({seconds:.2f} s)"


def test_a_doccano_article_without_para_imports_in_linear_time(tmp_path):
    schema = load().schema

    def run_at(n: int) -> None:
        path = tmp_path / f"{n}.jsonl"
        if not path.exists():
            path.write_text(
                "".join(
                    json.dumps(
                        {"id": i, "doc": "a", "text": f"Paragraph {i}.", "label": ["stance:" + schema.stances[0]]}
                    )
                    + "\n"
                    for i in range(n)
                )
            )
        assert read_doccano(path, schema)[-1]["para"] == n - 1

    seconds, times = ratio(run_at, 2_000)
    assert times < BOUND, f"{times:.1f} times as long for 10 times the examples ({seconds:.2f} s)"


class _StubTagger:
    """Scores without a model, so that the test times suggest's own work: every paragraph equally unsure."""

    schema = SimpleNamespace(themes=("a", "b"))
    model = SimpleNamespace(thresholds=lambda: (0.5, 0.5))

    def tag_many(self, articles, unit="article"):
        for doc, text in articles:
            paragraphs = [
                SimpleNamespace(
                    index=i,
                    text=t,
                    kind="content",
                    themes=[],
                    stance="x",
                    theme_scores={"a": 0.45, "b": 0.1},
                    stance_scores={"x": 0.5, "y": 0.4},
                )
                for i, t in enumerate(text.split("\n\n"))
            ]
            yield SimpleNamespace(id=doc, paragraphs=paragraphs)


def _near_duplicate_articles(n: int):
    """n articles of the same four paragraphs, each with the article's number changed (near-duplicates)."""
    body = [
        "Troops burned {k} hectares of coca near the river on Monday, officials of the regional government said.",
        "Farmers in the valley asked the government for roads, credit and schools instead of eradication, number {k}.",
        "The army said {k} soldiers would stay in the province until the end of the year to guard the new road.",
        "Prosecutors opened an inquiry into {k} police officers accused of taking bribes from traffickers.",
    ]
    for k in range(n):
        yield f"a{k:07d}", "\n\n".join(p.format(k=k) for p in body)


@pytest.mark.slow  # ~4 s on a quiet machine, 13 s on a busy one
def test_suggest_is_linear_and_its_memory_bounded_on_near_duplicate_articles():
    """suggest kept every candidate (memory grew with the input: 50,000 near-duplicate articles took 295 s,
    20,000 took 29 s); now only those of the 2 n best articles are kept: the peak is the same at 10 times the
    articles, and the picks are the four distinct paragraphs, once each."""
    tagger = _StubTagger()

    def run_at(n: int) -> None:
        records = suggest(tagger, _near_duplicate_articles(n), n=20)
        assert sorted(r["para"] for r in records) == [0, 1, 2, 3]  # the rest are near-duplicates of these four

    seconds, times = ratio(run_at, 1_000)
    assert times < BOUND, f"{times:.1f} times as long for 10 times the articles ({seconds:.2f} s)"
    peaks = {}
    for n in (300, 3_000):
        tracemalloc.start()
        run_at(n)
        peaks[n] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peaks[3_000] < 1.5 * peaks[300], peaks
