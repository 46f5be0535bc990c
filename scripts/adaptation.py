"""Adapting to a new outlet from a few of its labeled articles: does the score rise with k?

Simulated on the project's labels with InSight Crime (the only news outlet) as
"the new outlet". For each draw, its 38 articles are split (seeded) into a
fixed test set and a pool; the model is trained on every other source plus k
articles from the pool (k = 0, 5, 10, 20), their examples weighted w times,
and scored on the test articles. The k articles are picked at random, or by
``suggest``'s rule (the articles whose content paragraphs the base model, trained
without the outlet, is least sure about).

    python scripts/adaptation.py --corpus ../shared/corpus [--draws 3] [--out adaptation.jsonl]

Prints a table of theme micro-F1 and stance F_avg (mean ± sd over draws).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from themetag import load_labels  # noqa: E402
from themetag.evaluation import KeywordBaseline, _predict_fold, _score  # noqa: E402
from themetag.labels import source_of  # noqa: E402
from themetag.review import uncertainty  # noqa: E402
from themetag.tagger import Tagger  # noqa: E402
from themetag.training import TrainConfig, fit  # noqa: E402

OUTLET = "insightcrime"


def scores(model, train, test, keyword) -> tuple[float, float]:
    s = _score(test, _predict_fold(model, train, test, 0, keyword), model.schema, "model")
    return s["themes"]["micro_f1"], s["stance"]["f_avg"]


def uncertain_articles(base, pool_docs, outlet) -> list[str]:
    """Pool articles by the base model's mean uncertainty over their labeled content paragraphs, most unsure first."""
    tagger = Tagger(base)
    thresholds = {t: float(c) for t, c in zip(base.schema.themes, base.thresholds())}
    by_doc = {}
    for doc in pool_docs:
        content = [e for e in outlet if e.doc == doc and e.kind == "content"]
        tags = tagger.tag_paragraphs([e.text for e in content], kinds=["content"] * len(content))
        by_doc[doc] = float(np.mean([uncertainty(t, thresholds) for t in tags])) if tags else 0.0
    return sorted(pool_docs, key=lambda d: (-by_doc[d], d))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", default=str(REPO / "labels"))
    parser.add_argument("--corpus", default=str(REPO.parent / "shared" / "corpus"))
    parser.add_argument("--draws", type=int, default=3)
    parser.add_argument("--ks", default="0,5,10,20")
    parser.add_argument("--weights", default="1,3")
    parser.add_argument("--test-articles", type=int, default=18)
    parser.add_argument("--stance-decision", default="tuned")
    parser.add_argument("--out")
    args = parser.parse_args()
    config = TrainConfig(stance_decision=args.stance_decision)
    labels = load_labels(args.labels, corpus_dir=args.corpus)
    schema = labels.schema
    others = [e for e in labels.examples if source_of(e) != OUTLET]
    outlet = [e for e in labels.examples if source_of(e) == OUTLET]
    docs = sorted({e.doc for e in outlet})
    keyword = KeywordBaseline(schema)
    ks = [int(k) for k in args.ks.split(",")]
    weights = [float(w) for w in args.weights.split(",")]
    results: dict[tuple[str, float, int], list[tuple[float, float]]] = {}
    for draw in range(args.draws):
        order = [docs[i] for i in np.random.default_rng(draw).permutation(len(docs))]
        test_docs, pool = set(order[: args.test_articles]), order[args.test_articles :]
        test = [e for e in outlet if e.doc in test_docs]
        start = time.perf_counter()
        base = fit(others, schema, config)
        base_score = scores(base, others, test, keyword)
        picks = {"random": pool, "suggest": uncertain_articles(base, pool, outlet)}
        for how, ranked in picks.items():
            for weight in weights:
                for k in ks:
                    if k == 0:
                        result = base_score
                    else:
                        chosen = set(ranked[:k])
                        train = others + [e for e in outlet if e.doc in chosen]
                        run = dataclasses.replace(config, source_weights={OUTLET: weight} if weight != 1 else None)
                        result = scores(fit(train, schema, run), train, test, keyword)
                    results.setdefault((how, weight, k), []).append(result)
                    line = {
                        "draw": draw,
                        "picks": how,
                        "weight": weight,
                        "k": k,
                        "theme_micro_f1": result[0],
                        "stance_f_avg": result[1],
                    }
                    print(json.dumps(line), file=sys.stderr, flush=True)
                    if args.out:
                        with open(args.out, "a", encoding="utf-8") as handle:
                            handle.write(json.dumps(line) + "\n")
        print(f"draw {draw} done in {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)

    def cell(values: list[float]) -> str:
        sd = statistics.pstdev(values) if len(values) > 1 else 0.0
        return f"{statistics.mean(values):.3f} ± {sd:.3f}"

    print(
        f"New outlet: {OUTLET}; {args.draws} draws; test: {args.test_articles} of its {len(docs)} articles; stance decision {args.stance_decision}"
    )
    print("| picks | weight | " + " | ".join(f"k={k} theme / F_avg" for k in ks) + " |")
    print("|---|---|" + "---|" * len(ks))
    for how in ("random", "suggest"):
        for weight in weights:
            row = [
                f"{cell([r[0] for r in results[(how, weight, k)]])} / {cell([r[1] for r in results[(how, weight, k)]])}"
                for k in ks
            ]
            print(f"| {how} | ×{weight:g} | " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
