"""The shipped labels: valid, covering exactly the seeds' segmentation, and their counts."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

from conftest import CORPUS, needs_corpus

from themetag import load_labels, segment


def test_seed_labels_cover_exactly_the_segmentation_of_the_seeds(repo):
    labeled = [json.loads(l) for l in (repo / "labels" / "seeds.jsonl").read_text(encoding="utf-8").splitlines()]
    segmented = []
    for path in sorted((repo / "seeds").glob("*.txt")):
        segmented += [(path.stem, p.index, p.text) for p in segment(path.read_text(encoding="utf-8"))]
    assert sorted((r["doc"], r["para"], r["text"]) for r in labeled) == sorted(segmented)


def test_segment_cli_on_the_seeds_yields_the_labeled_paragraphs(repo):
    files = sorted(str(p) for p in (repo / "seeds").glob("*.txt"))
    out = subprocess.run(
        [sys.executable, "-m", "themetag", "segment", *files], capture_output=True, text=True, check=True
    ).stdout
    rows = [json.loads(l) for l in out.splitlines()]
    labeled = [json.loads(l) for l in (repo / "labels" / "seeds.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {(r["doc"], r["para"], r["text"]) for r in rows} == {(r["doc"], r["para"], r["text"]) for r in labeled}
    assert all(r["themes"] == [] and r["stance"] is None for r in rows)


@needs_corpus
def test_all_shipped_labels_validate_and_meet_the_counts(repo):
    labels = load_labels(repo / "labels", corpus_dir=CORPUS, articles_dir=repo / "seeds")
    content = labels.content()
    themes = Counter(t for e in content for t in e.themes)
    stances = Counter(e.stance for e in content)
    assert len(content) >= 1000
    assert min(themes[t] for t in ("militarization", "development", "corruption")) >= 80
    assert min(stances.values()) >= 60
    # No corpus text is copied into the repository: corpus records carry a hash, not text.
    for path in (repo / "labels" / "corpus").glob("*.jsonl"):
        assert all("text" not in json.loads(l) for l in path.read_text(encoding="utf-8").splitlines())
