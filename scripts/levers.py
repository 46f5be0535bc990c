"""Grouped-CV comparison of training levers: which ones move theme F1 and stance F_avg.

    python scripts/levers.py --corpus ../shared/corpus [NAME ...]
"""

from __future__ import annotations

import argparse
import dataclasses
import time

from themetag import load_labels
from themetag.evaluation import cross_validate
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
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*", default=list(LEVERS))
    parser.add_argument("--labels", default="labels")
    parser.add_argument("--corpus", default="../shared/corpus")
    args = parser.parse_args()
    labels = load_labels(args.labels, corpus_dir=args.corpus)
    print("| lever | theme micro-F1 | theme macro-F1 | stance macro-F1 | stance F_avg | seconds |")
    print("|---|---|---|---|---|---|")
    for name in args.names:
        start = time.perf_counter()
        s = cross_validate(labels, LEVERS[name]).summary()
        print(
            f"| {name} | {s['theme_micro_f1']:.3f} | {s['theme_macro_f1']:.3f} | {s['stance_macro_f1']:.3f} | "
            f"{s['stance_f_avg']:.3f} | {time.perf_counter() - start:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
