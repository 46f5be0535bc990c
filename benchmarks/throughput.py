"""Throughput: paragraphs per second of themetag beside fastText, on the same real paragraphs.

Measures, in one process, wall-clock, after a warm-up, excluding model loading
and article building, in ``--rounds`` interleaved rounds (default 3): each
round loads the model afresh and empties the stem caches (so every round starts
as a new process would, its word table empty) and times every item below once. Reported: the median of each time, and
the median of the per-round ratios to fastText (a ratio taken within one round
compares the same minute of a machine whose speed drifts by ±30% from minute
to minute), with each round's ratio beside it.

Process CPU seconds are printed beside each wall time, to show a busy machine.

1. ``Tagger.tag_many(articles)`` on N articles (default 10,000), consuming the
   iterator; paragraphs = all paragraphs the segmenter produced (content,
   heading and boilerplate alike), counted with ``themetag.segment`` beforehand;
2. ``Tagger.tag_paragraphs(batch)`` (``kinds=None``, so the kind model runs)
   on the same list of paragraph texts in batches of ``--batch`` (default 256);
   With ``--numpy-too``, again with the NumPy featurizer (the reference that runs where the optional C
   module ``themetag._featurize`` was not built), to show what the C one gains;
3. fastText ``model.predict(texts, k=-1, threshold=0.5)`` on the same paragraph
   texts (newlines replaced by spaces beforehand, untimed; one call over the list).

The fastText model is trained here, on the paragraphs themetag is trained on
(``themetag.labels.load_labels("labels", corpus_dir=CORPUS).content()``): by
default ONE supervised model whose labels are ``__label__<theme>`` for each of
the paragraph's themes and ``__label__stance_<stance>``, epoch 25, wordNgrams 2,
``loss="ova"`` (one-vs-all: labels are independent, as a paragraph carries
several; with softmax, a paragraph with one theme and a stance would split the
probability and rarely pass threshold 0.5), lr 0.5 (as fastText's multi-label
tutorial; at the default lr 0.1 the model hardly learns the themes on these
1,797 paragraphs: training-set recall 0.62 against 0.96 at 0.5). One model is one pass over each
text, the cheapest fastText that yields themes and stance, so it is the strict
baseline. ``--fasttext-setup two`` adds two models (themes, ova, with
``__label__no_theme`` for paragraphs with no theme; stance, softmax, k=1) and
times both predicts together.

Articles: real documents built at run time (seed articles; the corpus's
InSight Crime articles; its UNGDC speeches and Wikipedia pages, rows grouped by
``doc``), cycled to N. Nothing is written to disk except the fastText training
file in a temporary folder that is deleted.

Targets (issue 15): ``tag_paragraphs`` ≥ 0.5 × fastText paragraphs/s and
``tag_many`` ≥ 0.35 × (``tag_many`` includes segmentation, which fastText does
not do: ``themetag.segment`` on the same articles is timed too, to say how
much of ``tag_many`` it is).

Run (``pip install fasttext`` first; the full default run took about 10 min
with the pre-refactor code on a quiet machine: tag_many ~6 min, tag_paragraphs
~4 min, fastText seconds; with the post-refactor code, about 2 min):

    python benchmarks/throughput.py --articles 1000                # quick check
    python benchmarks/throughput.py --json /tmp/throughput.json    # 10,000 articles
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench  # noqa: E402

TARGETS = {"tag_paragraphs": 0.5, "tag_many": 0.35}


def clean(text: str) -> str:
    """fastText reads one example per line: no newlines inside a text."""
    return text.replace("\r", " ").replace("\n", " ")


def train_fasttext(examples, setup: str, args, workdir: Path):
    """Train the fastText model(s); return ({name: model}, seconds, description)."""
    import fasttext

    common = dict(epoch=args.epoch, wordNgrams=args.word_ngrams, lr=args.lr, thread=args.threads, verbose=0, seed=0)
    models = {}
    start = time.perf_counter()
    if setup == "one":
        path = workdir / "train_one.txt"
        with path.open("w", encoding="utf-8") as fh:
            for e in examples:
                labels = [f"__label__{t}" for t in e.themes] + [f"__label__stance_{e.stance}"]
                fh.write(" ".join(labels) + " " + clean(e.text) + "\n")
        models["one"] = fasttext.train_supervised(input=str(path), loss="ova", **common)
    else:
        themes_path, stance_path = workdir / "train_themes.txt", workdir / "train_stance.txt"
        with themes_path.open("w", encoding="utf-8") as ft, stance_path.open("w", encoding="utf-8") as fs:
            for e in examples:
                labels = [f"__label__{t}" for t in e.themes] or ["__label__no_theme"]
                ft.write(" ".join(labels) + " " + clean(e.text) + "\n")
                fs.write(f"__label__{e.stance} " + clean(e.text) + "\n")
        models["themes"] = fasttext.train_supervised(input=str(themes_path), loss="ova", **common)
        models["stance"] = fasttext.train_supervised(input=str(stance_path), **common)
    for p in workdir.iterdir():
        p.unlink()
    return models, time.perf_counter() - start


def predict_fasttext(models: dict, texts: list[str]) -> None:
    if "one" in models:
        models["one"].predict(texts, k=-1, threshold=0.5)
    else:
        models["themes"].predict(texts, k=-1, threshold=0.5)
        models["stance"].predict(texts, k=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000, help="number of articles (default 10,000)")
    parser.add_argument("--batch", type=int, default=256, help="paragraphs per tag_paragraphs call (default 256)")
    parser.add_argument("--warmup", type=int, default=20, help="articles tagged before timing (default 20)")
    parser.add_argument(
        "--corpus",
        default=str(_bench.DEFAULT_CORPUS),
        help="corpus folder (default ../shared/corpus from the repo root)",
    )
    parser.add_argument(
        "--labels", default=str(_bench.REPO / "labels"), help="label folder fastText trains on (default labels/)"
    )
    parser.add_argument("--model", default=None, help="themetag model directory (default: the shipped model)")
    parser.add_argument(
        "--fasttext-setup",
        choices=["one", "two", "both", "none"],
        default="one",
        help="one model (themes + stance labels, ova), two models (themes ova + stance softmax), both, or none (default one)",
    )
    parser.add_argument("--epoch", type=int, default=25)
    parser.add_argument("--word-ngrams", type=int, default=2)
    parser.add_argument(
        "--lr", type=float, default=0.5, help="fastText learning rate (default 0.5, as fastText's multi-label tutorial)"
    )
    parser.add_argument("--threads", type=int, default=None, help="fastText training threads (default os.cpu_count())")
    parser.add_argument("--json", metavar="PATH", help="save the results as JSON")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="interleaved rounds of every measurement, each from a freshly loaded model; medians are reported (default 3)",
    )
    parser.add_argument(
        "--numpy-too",
        action="store_true",
        help="also time tag_paragraphs with the NumPy featurizer (the reference), where the C one is built",
    )
    args = parser.parse_args()
    import os

    args.threads = args.threads or os.cpu_count() or 1

    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    env = _bench.environment(["fasttext"])
    from themetag import features

    # Which featurizer runs: the C one only if it was built from this source and imported (features.py checks).
    env["themetag_featurizer"] = "C" if features._featurize is not None else "NumPy"
    _bench.print_environment(env)

    import numpy  # noqa: F401  (imported by themetag anyway; its version is in env)

    import themetag

    # ---- articles and their paragraphs (untimed)
    docs = _bench.load_documents(args.corpus)
    doc_segments = [themetag.segment(text) for _, text in docs]
    doc_paragraphs = [[p.text for p in seg] for seg in doc_segments]
    doc_content = [sum(p.kind == "content" for p in seg) for seg in doc_segments]
    del doc_segments
    order = list(_bench.cycle_indices(args.articles, len(docs)))
    articles = [docs[i][1] for i in order]
    paragraphs = [t for i in order for t in doc_paragraphs[i]]
    n_par = len(paragraphs)
    n_content = sum(doc_content[i] for i in order)
    n_chars = sum(len(a) for a in articles)
    print(
        f"articles: {args.articles:,} cycled from {len(docs)} real documents; {n_par:,} paragraphs (segmenter), "
        f"{n_content:,} of them content ({n_content / max(n_par, 1):.0%}); {n_chars / 1e6:.1f} M characters"
    )

    # ---- fastText models, trained once (untimed)
    setups = {"one": ["one"], "two": ["two"], "both": ["one", "two"], "none": []}[args.fasttext_setup]
    fasttext_models, fasttext_info = {}, {}
    if setups:
        try:
            import fasttext  # noqa: F401
        except ImportError:
            raise SystemExit(
                "fasttext is not installed: pip install fasttext (or fasttext-wheel), or pass --fasttext-setup none"
            ) from None
        from themetag.labels import load_labels

        examples = load_labels(args.labels, corpus_dir=args.corpus).content()
        for setup in setups:
            with tempfile.TemporaryDirectory(prefix="themetag-bench-") as tmp:
                fasttext_models[setup], train_s = train_fasttext(examples, setup, args, Path(tmp))
            fasttext_info[setup] = {
                "train_seconds": train_s,
                "train_examples": len(examples),
                "labels": sorted({l for m in fasttext_models[setup].values() for l in m.get_labels()}),
            }
    clean_paragraphs = [clean(t) for t in paragraphs]

    def timed(label: str, work) -> dict:
        gc.collect()
        _bench.progress(label)
        cpu0 = time.process_time()
        start = time.perf_counter()
        work()
        return {"seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu0}

    def one_round(k: int) -> dict:
        """Every measurement once, from a freshly loaded model and empty stem caches, as a new process would start."""
        features._cached_stem.cache_clear()
        features._cached_char_ngrams.cache_clear()
        found = {}
        start = time.perf_counter()
        tagger = themetag.load(args.model)
        found["load_seconds"] = time.perf_counter() - start
        for _ in tagger.tag_many(iter(articles[: args.warmup] or articles[:1])):
            pass
        tagger.tag_paragraphs(paragraphs[: args.batch])
        seen = [0]

        def tag_many():
            for article in tagger.tag_many(iter(articles)):
                seen[0] += len(article.paragraphs)

        found["tag_many"] = timed(f"round {k}: tag_many on {args.articles:,} articles ...", tag_many)
        if seen[0] != n_par:
            print(f"warning: tag_many returned {seen[0]:,} paragraphs, the segmenter made {n_par:,}", file=sys.stderr)

        def tag_paragraphs():
            for lo in range(0, n_par, args.batch):
                tagger.tag_paragraphs(paragraphs[lo : lo + args.batch])

        found["tag_paragraphs"] = timed(
            f"round {k}: tag_paragraphs on {n_par:,} paragraphs in batches of {args.batch} ...", tag_paragraphs
        )
        if args.numpy_too and features._featurize is not None:
            compiled, features._featurize = features._featurize, None
            try:
                found["tag_paragraphs_numpy_featurizer"] = timed(
                    f"round {k}: tag_paragraphs, NumPy featurizer ...", tag_paragraphs
                )
            finally:
                features._featurize = compiled
        found["segment"] = timed(
            f"round {k}: segment on {args.articles:,} articles ...", lambda: [themetag.segment(a) for a in articles]
        )
        for setup, models in fasttext_models.items():
            predict_fasttext(models, clean_paragraphs[:1000])
            found[f"fasttext_{setup}"] = timed(
                f"round {k}: fastText ({setup}) predict on {n_par:,} paragraphs ...",
                lambda: predict_fasttext(models, clean_paragraphs),
            )
        return found

    rounds = [one_round(k) for k in range(1, args.rounds + 1)]

    def median(what: str, key: str = "seconds") -> float:
        return statistics.median(r[what][key] for r in rounds)

    labels = {
        "segment": "themetag segment (part of tag_many)",
        "tag_many": "themetag tag_many",
        "tag_paragraphs": f"themetag tag_paragraphs (batch {args.batch})",
        "tag_paragraphs_numpy_featurizer": f"themetag tag_paragraphs, NumPy featurizer (batch {args.batch})",
        "fasttext_one": "fastText predict (1 model: themes+stance, ova)",
        "fasttext_two": "fastText predict (2 models: themes ova, stance softmax)",
    }
    rows, results = (
        [],
        {"rounds": rounds, "themetag_load_seconds": statistics.median(r["load_seconds"] for r in rounds)},
    )
    for what, label in labels.items():
        if what not in rounds[0]:
            continue
        seconds = median(what)
        per_article = args.articles / seconds if what in ("segment", "tag_many") else None
        rows.append(
            [
                label,
                args.articles if per_article else None,
                n_par,
                seconds,
                n_par / seconds,
                per_article,
                median(what, "cpu_seconds"),
            ]
        )
        results[what] = {
            "seconds": seconds,
            "cpu_seconds": median(what, "cpu_seconds"),
            "paragraphs_per_second": n_par / seconds,
            "seconds_by_round": [r[what]["seconds"] for r in rounds],
        }
    results["segment"]["share_of_tag_many"] = results["segment"]["seconds"] / results["tag_many"]["seconds"]
    results["fasttext"] = {
        setup: {**results.pop(f"fasttext_{setup}"), **fasttext_info[setup]} for setup in fasttext_models
    }

    print()
    print(f"medians of {args.rounds} interleaved rounds (each from a freshly loaded model):")
    print(_bench.table(["what", "articles", "paragraphs", "seconds", "paragraphs/s", "articles/s", "CPU s"], rows))
    print("(wall-clock; CPU s = process CPU time, all threads: far below seconds means the machine was busy)")
    print(f"\nthemetag model load: {results['themetag_load_seconds']:.2f}s (not in the timings)")
    ratios = {}
    for setup in fasttext_models:
        for what, _target in TARGETS.items():
            # Each round's ratio is taken within the round (the same minute of a noisy machine); the verdict is their median.
            by_round = [r[f"fasttext_{setup}"]["seconds"] / r[what]["seconds"] for r in rounds]
            ratios[f"{what}/fasttext_{setup}"] = statistics.median(by_round)
            ratios[f"{what}/fasttext_{setup}_by_round"] = by_round
        verdicts = [
            f"{what} {ratios[f'{what}/fasttext_{setup}']:.3f} (rounds: {', '.join(f'{x:.3f}' for x in ratios[f'{what}/fasttext_{setup}_by_round'])}; "
            f"target >= {target}: {'MET' if ratios[f'{what}/fasttext_{setup}'] >= target else 'NOT MET'})"
            for what, target in TARGETS.items()
        ]
        print(
            f"ratio themetag/fastText ({setup} model{'s' if setup == 'two' else ''}), median of rounds: "
            + "; ".join(verdicts)
        )
    segment_s, tag_many_s = results["segment"]["seconds"], results["tag_many"]["seconds"]
    print(
        f"segmentation is {segment_s / tag_many_s:.0%} of tag_many's time ({segment_s / n_par * 1e6:.0f} us a paragraph)"
    )

    _bench.save_json(
        args.json,
        {
            "benchmark": "throughput",
            "targets": {f"{what} paragraphs/s / fastText paragraphs/s": target for what, target in TARGETS.items()},
            "environment": env,
            "environment_at_end": {"loadavg_1_5_15": _bench._loadavg()},
            "articles": args.articles,
            "documents": len(docs),
            "paragraphs": n_par,
            "content_paragraphs_by_segmenter": n_content,
            "characters": n_chars,
            "fasttext_params": {
                "epoch": args.epoch,
                "wordNgrams": args.word_ngrams,
                "lr": args.lr,
                "threads": args.threads,
            },
            "rounds_count": args.rounds,
            **results,
            "ratios": ratios,
        },
    )


if __name__ == "__main__":
    main()
