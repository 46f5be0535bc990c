"""Kinds on an outlet the segmenter never saw: the rules, the learned kind head and the combinations, per source.

Each label source with whole articles (the seeds and the corpus's InSight Crime articles) is held out in turn.
Scored on its labeled units, paragraph by paragraph:

* rules: the segmenter's rules alone (written on these very articles: not an out-of-source estimate for them);
* learned: the kind head (TF-IDF of the unit's text, logistic regression) trained on every other source's units;
* rules + memory: the rules, then the kinds people gave short units in the other sources (``kind_memory``);
* rules + template: the rules, then short lines recurring in 20% (and 20) of the held-out source's own articles
  set aside (``collection_template``: unsupervised, so it may look at the held-out source's texts).

    python scripts/kind_loso.py [--labels labels] [--corpus ../shared/corpus] [--articles seeds]

Prints a Markdown table: content recall (labeled content kept as content) and content-vs-other accuracy.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from themetag import load_labels  # noqa: E402
from themetag.labels import source_of  # noqa: E402
from themetag.segmentation import collection_template, template_key  # noqa: E402
from themetag.training import TrainConfig, _logreg, fit_features, kind_memory  # noqa: E402


def scores(part, kinds) -> tuple[float, float]:
    truth = [e.kind == "content" for e in part]
    kept = [k == "content" for k in kinds]
    recall = sum(t and k for t, k in zip(truth, kept)) / max(1, sum(truth))
    accuracy = sum(t == k for t, k in zip(truth, kept)) / len(part)
    return recall, accuracy


def source_texts(part, corpus: Path, articles: Path) -> list[str]:
    """The held-out source's whole articles: the corpus rows or the <doc>.txt files its units come from."""
    docs = sorted({e.doc for e in part})
    texts = []
    for doc in docs:
        path = articles / f"{doc}.txt"
        if path.is_file():
            texts.append(path.read_text(encoding="utf-8"))
    if texts:
        return texts
    wanted = set(docs)
    for file in corpus.glob("*.jsonl"):
        for line in file.open(encoding="utf-8"):
            row = json.loads(line)
            if str(row.get("doc", row.get("id"))) in wanted:
                texts.append(row["text"])
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", default=str(REPO / "labels"))
    parser.add_argument("--corpus", default=str(REPO.parent / "shared" / "corpus"))
    parser.add_argument("--articles", default=str(REPO / "seeds"))
    args = parser.parse_args()
    labels = load_labels(args.labels, corpus_dir=args.corpus, articles_dir=args.articles)
    config = TrainConfig()
    judged = [e for e in labels.examples if e.rule_kind is not None]
    print(
        "| held-out source | units | rules: recall | rules: content-vs-other | learned: recall | learned: content-vs-other "
        "| rules + memory: recall | rules + memory: content-vs-other | rules + template: recall | rules + template: content-vs-other |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for source in sorted({source_of(e) for e in judged}):
        part = [e for e in judged if source_of(e) == source]
        train = [e for e in labels.examples if source_of(e) != source]
        rules = [e.rule_kind for e in part]
        features = fit_features([e.text for e in train if e.kind == "content"], labels.schema, config)
        head = _logreg(config.kind_c, config).fit(
            features.transform([e.text for e in train]).to_scipy(), [e.kind for e in train]
        )
        learned = list(head.predict(features.transform([e.text for e in part]).to_scipy()))
        memory = kind_memory(train)
        remembered = [memory.get(template_key(e.text), k) for e, k in zip(part, rules)]
        template = collection_template(source_texts(part, Path(args.corpus), Path(args.articles)))
        templated = [
            "boilerplate" if k == "content" and template_key(e.text) in template else k for e, k in zip(part, rules)
        ]
        cells = [scores(part, kinds) for kinds in (rules, learned, remembered, templated)]
        print(f"| {source} | {len(part)} | " + " | ".join(f"{r:.3f} | {a:.3f}" for r, a in cells) + " |")


if __name__ == "__main__":
    main()
