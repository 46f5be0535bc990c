"""Logistic regression against a calibrated linear SVM on stance-only data, in grouped cross-validation.

    python scripts/stance_only.py --corpus ../shared/corpus [--out stance_only.jsonl]

The data: the project's labeled paragraphs with their themes dropped and the schema reduced to the three
stances (favor / against / none: no "neutral"), as a stance-only user's labels would be. Both classifiers use
the default settings otherwise (tuned side weights, balanced class weights, C = stance_c).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time

from themetag import Schema, load_labels
from themetag.evaluation import cross_validate
from themetag.training import TrainConfig


def stance_only(labels):
    rename = {"neutral": "none"}
    schema = Schema((), ("favor", "against", "none"), "none")
    examples = [
        dataclasses.replace(e, themes=(), stance=rename.get(e.stance, e.stance) if e.stance is not None else None)
        for e in labels.examples
    ]
    return dataclasses.replace(labels, schema=schema, examples=examples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", default="labels")
    parser.add_argument("--corpus", default="../shared/corpus")
    parser.add_argument("--out", help="append one JSON line per classifier here")
    args = parser.parse_args()
    labels = stance_only(load_labels(args.labels, corpus_dir=args.corpus))
    print("| classifier | stance F_avg | ± fold sd | favor F1 | against F1 | stance macro-F1 | seconds |")
    print("|---|---|---|---|---|---|---|")
    for classifier in ("logistic", "svm", "auto"):
        start = time.perf_counter()
        report = cross_validate(labels, TrainConfig(classifier=classifier))
        s, per = report.summary(), report.overall["stance"]["per_stance"]
        print(
            f"| {classifier} | {s['stance_f_avg']:.3f} | {s['stance_f_avg_fold_sd']:.3f} | {per['favor']['f1']:.3f} | "
            f"{per['against']['f1']:.3f} | {s['stance_macro_f1']:.3f} | {time.perf_counter() - start:.0f} |",
            flush=True,
        )
        if args.out:
            with open(args.out, "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"classifier": classifier, **s}, default=float) + "\n")


if __name__ == "__main__":
    main()
