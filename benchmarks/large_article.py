"""Large article: peak RSS and wall time of ``Tagger.tag`` on one ~1 MB and one ~10 MB article.

For each size (default 1 and 10 MB; 1 MB = 10^6 bytes of UTF-8), in a fresh subprocess:

1. load the model, ``gc.collect()``: RSS after model load (``model RSS``);
2. build one article of at least that many UTF-8 bytes by concatenating real
   paragraphs with a blank line between them: ``--pool paragraphs`` (default),
   the corpus rows that are single paragraphs (977 UNGDC and Wikipedia
   paragraphs, ~0.9 MB; the 4 rows over 20,000 characters, whitespace-padded
   tables, are left out); ``--pool all``, every blank-line block of every
   document, seed and InSight Crime articles included, whose end-of-article
   furniture makes the segmenter mark almost everything after the first
   article as boilerplate (it measures the segmenter more than the models).
   The segmenter also marks a paragraph that repeats an earlier one as
   boilerplate, so past the first pass through the pool each paragraph gets
   the first sentence of another one appended (``_bench.distinct_paragraphs``:
   real sentences only, no two paragraphs alike); with the default pool nearly
   every paragraph is then content, so the models run on the whole article.
   ``--verbatim`` cycles the paragraphs unchanged instead (a 10 MB article is
   then ~90% boilerplate). ``gc.collect()``: RSS now is the *baseline* (model +
   article string);
3. reset the kernel's peak-RSS mark to the baseline (``/proc/self/clear_refs``)
   so the loading peak cannot hide the tagging peak;
4. time ``tagger.tag(article)`` (the result is kept until the peak is read);
5. peak = ``getrusage(RUSAGE_SELF).ru_maxrss`` (after the reset: the peak since
   the baseline).

Reported: article bytes / characters / paragraphs, seconds, model RSS,
baseline RSS, peak RSS, extra = peak − baseline (what tagging added) and
k = extra / article bytes, also k_total = (peak − model RSS) / article bytes
(the article string included). The lead will write the documented bound
(peak extra RSS ≤ k × article size) from these numbers.

Run (about 2 minutes with the pre-refactor code):

    python benchmarks/large_article.py                      # 1 MB and 10 MB
    python benchmarks/large_article.py --sizes-mb 1,5,10 --json /tmp/large_article.json
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench  # noqa: E402

MIB = 1024 * 1024


def child(size_mb: float, corpus: str, model: str | None, pool: str, verbatim: bool) -> None:
    import themetag

    paragraphs = (
        _bench.corpus_paragraph_rows(corpus)
        if pool == "paragraphs"
        else _bench.real_paragraphs(_bench.load_documents(corpus))
    )
    start = time.perf_counter()
    tagger = themetag.load(model)
    load_s = time.perf_counter() - start
    gc.collect()
    model_rss = _bench.proc_status_mb().get("VmRSS")
    maxrss_after_load = _bench.maxrss_mb()

    text, n_joined = _bench.build_large_article(int(size_mb * 1_000_000), paragraphs, distinct=not verbatim)
    del paragraphs
    n_bytes = len(text.encode("utf-8"))
    str_bytes = sys.getsizeof(text)
    gc.collect()
    baseline = _bench.proc_status_mb().get("VmRSS")
    reset = _bench.reset_peak_rss()

    _bench.progress(f"  {size_mb:g} MB: tagging {n_bytes:,} bytes, {n_joined:,} real paragraphs joined ...")
    start = time.perf_counter()
    result = tagger.tag(text)
    seconds = time.perf_counter() - start
    peak = _bench.maxrss_mb()
    end = _bench.proc_status_mb()
    counts = getattr(result, "counts", None) or {}
    print(
        json.dumps(
            {
                "size_mb": size_mb,
                "pool": pool,
                "verbatim": verbatim,
                "article_bytes": n_bytes,
                "article_chars": len(text),
                "article_str_bytes": str_bytes,
                "paragraphs_joined": n_joined,
                "paragraphs": len(result.paragraphs),
                "content_paragraphs": counts.get("content"),
                "seconds": seconds,
                "load_seconds": load_s,
                "model_rss_mb": model_rss,
                "maxrss_after_load_mb": maxrss_after_load,
                "baseline_rss_mb": baseline,
                "peak_rss_mb": peak,
                "peak_reset_supported": reset,
                "process_peak_mb": max(peak, maxrss_after_load),
                "rss_end_mb": end.get("VmRSS"),
                "extra_mb": peak - baseline,
                "k": (peak - baseline) * MIB / n_bytes,
                "k_total": (peak - model_rss) * MIB / n_bytes,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes-mb", default="1,10", help="comma-separated article sizes in MB of UTF-8 (default 1,10)"
    )
    parser.add_argument(
        "--corpus",
        default=str(_bench.DEFAULT_CORPUS),
        help="corpus folder (default ../shared/corpus from the repo root)",
    )
    parser.add_argument("--model", default=None, help="themetag model directory (default: the shipped model)")
    parser.add_argument(
        "--pool",
        choices=["paragraphs", "all"],
        default="paragraphs",
        help="paragraphs: corpus paragraph rows, nearly all content (default); all: every block of every document",
    )
    parser.add_argument(
        "--verbatim", action="store_true", help="cycle the paragraphs unchanged (repeats become boilerplate)"
    )
    parser.add_argument("--json", metavar="PATH", help="save the results as JSON")
    parser.add_argument("--child", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child is not None:
        child(args.child, args.corpus, args.model, args.pool, args.verbatim)
        return

    sizes = [float(s) for s in args.sizes_mb.split(",") if s.strip()]
    env = _bench.environment()
    _bench.print_environment(env)
    print(
        f"pool: {args.pool}; paragraphs {'cycled verbatim' if args.verbatim else 'made distinct past the first pass'}"
    )
    results = []
    for size in sizes:
        _bench.progress(f"{size:g} MB: starting a fresh process ...")
        cmd = [str(Path(__file__).resolve()), "--child", str(size), "--corpus", args.corpus, "--pool", args.pool]
        if args.verbatim:
            cmd.append("--verbatim")
        if args.model:
            cmd += ["--model", args.model]
        results.append(_bench.run_child(cmd))

    print()
    print(
        _bench.table(
            [
                "article MB",
                "chars",
                "paragraphs",
                "content",
                "seconds",
                "model RSS",
                "baseline RSS",
                "peak RSS",
                "extra",
                "k",
                "k_total",
            ],
            [
                [
                    r["article_bytes"] / 1e6,
                    r["article_chars"],
                    r["paragraphs"],
                    r["content_paragraphs"],
                    r["seconds"],
                    r["model_rss_mb"],
                    r["baseline_rss_mb"],
                    r["peak_rss_mb"],
                    r["extra_mb"],
                    r["k"],
                    r["k_total"],
                ]
                for r in results
            ],
        )
    )
    print(
        "RSS in MiB. model RSS: after model load. baseline RSS: model + the article string (built after the load).\n"
        "peak RSS: ru_maxrss after tag(), the peak mark having been reset to the baseline. extra = peak - baseline.\n"
        "k = extra / article bytes; k_total = (peak - model RSS) / article bytes (article string included)."
    )
    if any(not r["peak_reset_supported"] for r in results):
        print("note: /proc/self/clear_refs was not writable: peaks include the loading peak")

    _bench.save_json(
        args.json,
        {
            "benchmark": "large_article",
            "target": "report peak extra RSS and k = extra / article bytes; the documented bound is the lead's",
            "environment": env,
            "pool": args.pool,
            "verbatim": args.verbatim,
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
