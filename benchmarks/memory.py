"""Memory when streaming: peak RSS of tagging N articles through ``Tagger.tag_many``, for two N.

For each N (default 10,000 and 100,000), in a fresh subprocess:

1. build the article source (412 real documents held in memory: seed articles,
   the corpus's InSight Crime articles, its UNGDC speeches and Wikipedia pages
   with rows grouped by ``doc``), load the model, ``gc.collect()``;
2. baseline: RSS now (VmRSS) and ``getrusage(RUSAGE_SELF).ru_maxrss`` so far;
3. reset the kernel's peak mark (``/proc/self/clear_refs``, where allowed) so
   the tagging peak is seen apart from any loading peak;
4. stream: a generator of N article texts (cycling through the documents) into
   ``tag_many``, consuming its iterator and keeping nothing but counters;
5. at the end: ``ru_maxrss`` — after the reset, the peak since the baseline
   (the *tagging peak*); the *process peak* is max(ru_maxrss at the baseline,
   tagging peak), what ru_maxrss would read without the reset — and the
   current RSS; RSS is also sampled every tenth of the run, to show its trend.

Why the reset: loading a model can peak above the steady RSS (the
pre-refactor joblib model: ~20 MB), and then ru_maxrss at the end is the
loading peak for any N, hiding a growth of up to that much while tagging.

Read the RSS trend too: a cache filled by new text grows during the first
pass through the 412 documents and then stops (the post-refactor code at
e8a3b65 grew ~65 MiB over the first ~400 articles, then stayed flat), so the
smaller N should be well past one pass (the default 10,000 is).

SciPy (which scoring imports after 5,000 paragraphs) is imported before the
baseline in every child, so the one-time import is not read as growth.

Claim: flat — the peak at the larger N is within a few MB of the peak at the
smaller N (``--tolerance-mb``, default 5; judged on the tagging peak where the
reset is supported, else on the process peak). Printed: both peaks, the
differences, and the verdict.

Caveat: articles repeat every 412 documents, so a cache keyed on text or on
words (e.g. a stemmer cache) fills within the first pass and stops growing;
the benchmark sees growth per article, not growth with vocabulary.

Run (progress goes to stderr; with the pre-refactor code, ~29 articles/s, the
quick check took 6.5 min and the default sizes would take about 65 min):

    python benchmarks/memory.py --sizes 1000,10000                 # quick check
    python benchmarks/memory.py --json /tmp/memory.json            # 10,000 and 100,000
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


def child(n: int, corpus: str, model: str | None) -> None:
    import themetag

    docs = _bench.load_documents(corpus)
    start = time.perf_counter()
    tagger = themetag.load(model)
    load_s = time.perf_counter() - start
    # Scoring switches to SciPy's sparse product once a process has scored 5,000 paragraphs (features.SparseRows.dot):
    # a one-time import of ~11 MiB that a run of 1,000 articles would reach and one of 100 would not. Imported
    # before the baseline, so every N pays it and the comparison sees growth with articles, not that step.
    try:
        import scipy.sparse  # noqa: F401
    except ImportError:
        pass
    gc.collect()
    baseline = _bench.proc_status_mb()
    maxrss_after_load = _bench.maxrss_mb()
    reset = _bench.reset_peak_rss()

    samples = []
    step = max(1, n // 10)
    paragraphs = 0
    articles = 0
    start = time.perf_counter()
    for article in tagger.tag_many(_bench.iter_articles(n, docs)):
        articles += 1
        paragraphs += len(article.paragraphs)
        if articles % step == 0:
            rss = _bench.proc_status_mb().get("VmRSS")
            samples.append([articles, rss])
            elapsed = time.perf_counter() - start
            _bench.progress(
                f"  N={n:,}: {articles:,} articles, {elapsed:.0f}s, RSS {rss:.1f} MiB, "
                f"{articles / elapsed:.1f} articles/s"
            )
    del article
    seconds = time.perf_counter() - start
    end = _bench.proc_status_mb()
    maxrss_end = _bench.maxrss_mb()
    print(
        json.dumps(
            {
                "articles": articles,
                "paragraphs": paragraphs,
                "seconds": seconds,
                "load_seconds": load_s,
                "baseline_rss_mb": baseline.get("VmRSS"),
                "maxrss_after_load_mb": maxrss_after_load,
                "maxrss_end_mb": maxrss_end,
                # After the reset, ru_maxrss (like VmHWM) is the peak since the baseline: the tagging peak.
                "tagging_peak_mb": maxrss_end if reset else None,
                # What ru_maxrss would say at the end without the reset: the peak of the whole process.
                "process_peak_mb": max(maxrss_after_load, maxrss_end),
                "vmhwm_end_mb": end.get("VmHWM"),
                "rss_end_mb": end.get("VmRSS"),
                "peak_reset_supported": reset,
                "rss_samples_mb": samples,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="10000,100000",
        help="comma-separated article counts, each in a fresh process (default 10000,100000)",
    )
    parser.add_argument(
        "--corpus",
        default=str(_bench.DEFAULT_CORPUS),
        help="corpus folder (default ../shared/corpus from the repo root)",
    )
    parser.add_argument("--model", default=None, help="themetag model directory (default: the shipped model)")
    parser.add_argument(
        "--tolerance-mb", type=float, default=5.0, help="'flat' means the peaks differ by at most this (default 5 MiB)"
    )
    parser.add_argument("--json", metavar="PATH", help="save the results as JSON")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child is not None:
        child(args.child, args.corpus, args.model)
        return

    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    env = _bench.environment()
    _bench.print_environment(env)
    print("RSS in MiB; each N in a fresh process")
    results = []
    for n in sizes:
        _bench.progress(f"N={n:,}: starting a fresh process ...")
        cmd = [str(Path(__file__).resolve()), "--child", str(n), "--corpus", args.corpus]
        if args.model:
            cmd += ["--model", args.model]
        results.append(_bench.run_child(cmd))

    print()
    print(
        _bench.table(
            [
                "articles",
                "paragraphs",
                "baseline RSS",
                "load peak",
                "tagging peak",
                "tagging peak - baseline",
                "process peak",
                "RSS at end",
                "seconds",
                "articles/s",
            ],
            [
                [
                    r["articles"],
                    r["paragraphs"],
                    r["baseline_rss_mb"],
                    r["maxrss_after_load_mb"],
                    r["tagging_peak_mb"],
                    None if r["tagging_peak_mb"] is None else r["tagging_peak_mb"] - r["baseline_rss_mb"],
                    r["process_peak_mb"],
                    r["rss_end_mb"],
                    r["seconds"],
                    r["articles"] / r["seconds"],
                ]
                for r in results
            ],
        )
    )
    print(
        "baseline RSS: VmRSS after loading the model and the article source. load peak: ru_maxrss then.\n"
        "tagging peak: ru_maxrss at the end, the kernel's peak mark having been reset to the baseline\n"
        "(/proc/self/clear_refs) so a higher loading peak cannot hide it. process peak: max(load peak, tagging peak),\n"
        "what ru_maxrss reads at the end without the reset."
    )
    for r in results:
        trend = ", ".join(f"{a:,}: {m:.1f}" for a, m in r["rss_samples_mb"])
        print(f"RSS trend N={r['articles']:,}: {trend}")
    verdict = None
    if len(results) >= 2:
        small, large = results[0], results[-1]
        diff = large["process_peak_mb"] - small["process_peak_mb"]
        tag_diff = (
            large["tagging_peak_mb"] - small["tagging_peak_mb"]
            if large["tagging_peak_mb"] is not None and small["tagging_peak_mb"] is not None
            else None
        )
        judged = tag_diff if tag_diff is not None else diff
        verdict = abs(judged) <= args.tolerance_mb
        print(
            f"\npeak at N={large['articles']:,} minus peak at N={small['articles']:,}: "
            + (f"tagging peak {tag_diff:+.1f} MiB, " if tag_diff is not None else "")
            + f"process peak {diff:+.1f} MiB; "
            + f"flat within {args.tolerance_mb:g} MiB ({'tagging' if tag_diff is not None else 'process'} peak): "
            + ("MET" if verdict else "NOT MET")
        )

    _bench.save_json(
        args.json,
        {
            "benchmark": "memory",
            "target": f"peak RSS at the largest N within {args.tolerance_mb} MiB of the peak at the smallest N",
            "environment": env,
            "sizes": sizes,
            "results": results,
            "target_met": verdict,
        },
    )


if __name__ == "__main__":
    main()
