"""Comparison of training levers in grouped CV and leave-one-source-out: which move theme F1 and stance F_avg.

    python scripts/levers.py --corpus ../shared/corpus [--loso] [--out levers.jsonl] [NAME ...]

Each lever is one change to the default TrainConfig. With --loso, each is also
trained on all sources but one and tested on the held-out source (the column
for InSight Crime, the only news outlet, is the out-of-domain number that matters).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time

from themetag import Schema, load_labels
from themetag.evaluation import cross_validate, leave_one_source_out
from themetag.training import TrainConfig

BASE = TrainConfig()
LEVERS = {
    "default": BASE,
    "no_cues": dataclasses.replace(BASE, use_cues=False),
    "no_chars": dataclasses.replace(BASE, char_ngrams=None),
    "words_1gram": dataclasses.replace(BASE, word_ngrams=(1, 1), char_ngrams=None),
    "no_class_weight": dataclasses.replace(BASE, class_weight=None),
    "cue_weight_1": dataclasses.replace(BASE, cue_weight=1.0),
    "cue_weight_6": dataclasses.replace(BASE, cue_weight=6.0),
    "theme_c_2": dataclasses.replace(BASE, theme_c=2.0),
    "theme_c_32": dataclasses.replace(BASE, theme_c=32.0),
    "stance_c_1": dataclasses.replace(BASE, stance_c=1.0),
    "stance_c_16": dataclasses.replace(BASE, stance_c=16.0),
    "stance_argmax": dataclasses.replace(BASE, stance_decision="argmax"),
    "stance_per_side": dataclasses.replace(BASE, stance_decision="tuned_per_side"),
    "stance_argmax_c16": dataclasses.replace(BASE, stance_decision="argmax", stance_c=16.0),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*", default=list(LEVERS))
    parser.add_argument("--labels", default="labels")
    parser.add_argument("--corpus", default="../shared/corpus")
    parser.add_argument("--loso", action="store_true", help="also leave one source out")
    parser.add_argument("--out", help="append one JSON line per lever here")
    parser.add_argument("--schema", help="a schema.json to use instead of the labels' own (e.g. with more cue phrases)")
    parser.add_argument("--tag", default="", help="a suffix for the lever names in the output (e.g. the schema tried)")
    args = parser.parse_args()
    labels = load_labels(args.labels, corpus_dir=args.corpus)
    if args.schema:  # same names, other cues or descriptions: the labels stay valid
        schema = Schema.load(args.schema)
        assert (schema.themes, schema.stances) == (labels.schema.themes, labels.schema.stances), (
            "the schema must name the same themes and stances"
        )
        labels = dataclasses.replace(labels, schema=schema)
    print(
        "| lever | theme micro-F1 | theme macro-F1 | stance macro-F1 | stance F_avg | LOSO InSight Crime theme / F_avg | LOSO all sources theme / F_avg | seconds |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name in args.names:
        start = time.perf_counter()
        s = cross_validate(labels, LEVERS[name]).summary()
        loso = {}
        if args.loso:
            loso = {
                source: {
                    "theme_micro_f1": b["model"]["themes"]["micro_f1"],
                    "stance_f_avg": b["model"]["stance"]["f_avg"],
                }
                for source, b in leave_one_source_out(labels, LEVERS[name]).items()
            }
        ic = loso.get("insightcrime")
        ic_text = f"{ic['theme_micro_f1']:.3f} / {ic['stance_f_avg']:.3f}" if ic else "–"
        mean = (
            f"{sum(v['theme_micro_f1'] for v in loso.values()) / len(loso):.3f} / {sum(v['stance_f_avg'] for v in loso.values()) / len(loso):.3f}"
            if loso
            else "–"
        )
        print(
            f"| {name}{args.tag} | {s['theme_micro_f1']:.3f} | {s['theme_macro_f1']:.3f} | {s['stance_macro_f1']:.3f} | "
            f"{s['stance_f_avg']:.3f} | {ic_text} | {mean} | "
            f"{time.perf_counter() - start:.0f} |",
            flush=True,
        )
        if args.out:
            with open(args.out, "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"lever": name + args.tag, "cv": s, "loso": loso}, default=float) + "\n")


if __name__ == "__main__":
    main()
