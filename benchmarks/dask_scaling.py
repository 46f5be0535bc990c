"""Dask scaling: articles/s of one process (``Tagger.tag_many``) beside a 2-worker ``distributed.LocalCluster``
(``themetag.cluster.tag_frame``) on the same real articles, and each worker's peak memory.

Both tag the same N articles (default 4,000; real documents cycled, see _bench.py), held in memory as a pandas
DataFrame split into ``--partitions`` parts (default 8). The cluster is started, and the model loaded on each
worker by a warm-up, before timing; the time is that of computing the results DataFrame back on the client.
Peak memory per worker is ``ru_maxrss`` of each worker process at the end.

Run (``pip install '.[dask]'``): ``python benchmarks/dask_scaling.py`` (~1 min on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench  # noqa: E402


def peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=4_000)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--corpus", default=str(_bench.DEFAULT_CORPUS))
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    env = _bench.environment(["dask", "distributed", "pandas"])
    _bench.print_environment(env)

    import dask.dataframe as dd
    import pandas as pd
    from distributed import Client, LocalCluster

    import themetag
    from themetag import cluster

    docs = _bench.load_documents(args.corpus)
    rows = [{"id": f"d{k}", "text": docs[i][1]} for k, i in enumerate(_bench.cycle_indices(args.articles, len(docs)))]
    tagger = themetag.load()
    for _ in tagger.tag_many(rows[:50]):
        pass
    start = time.perf_counter()
    local = cluster.rows_frame(
        tagger.tag_many(rows, errors="yield"), cluster.columns(tagger, "article"), ids=[r["id"] for r in rows]
    )
    one_s = time.perf_counter() - start

    frame = dd.from_pandas(pd.DataFrame(rows), npartitions=args.partitions)
    with (
        LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None) as lc,
        Client(lc) as client,
    ):
        cluster.tag_frame(
            dd.from_pandas(pd.DataFrame(rows[: args.workers * 4]), npartitions=args.workers * 2)
        ).compute()  # load the model on each worker
        start = time.perf_counter()
        result = cluster.tag_frame(frame).compute()
        dask_s = time.perf_counter() - start
        peaks = client.run(peak_rss_mib)
    same = result.reset_index(drop=True).equals(local)
    table = [
        [
            "1 process (tag_many)",
            1,
            args.articles,
            one_s,
            args.articles / one_s,
            f"{peak_rss_mib():.0f} (this process)",
        ],
        [
            f"LocalCluster, {args.workers} worker processes",
            args.workers,
            args.articles,
            dask_s,
            args.articles / dask_s,
            ", ".join(f"{v:.0f}" for v in peaks.values()),
        ],
    ]
    print()
    print(_bench.table(["what", "processes", "articles", "seconds", "articles/s", "peak RSS MiB per worker"], table))
    print(f"speed-up {one_s / dask_s:.2f}x on {os.cpu_count()} cores; results identical to one process: {same}")
    _bench.save_json(
        args.json,
        {
            "benchmark": "dask_scaling",
            "environment": env,
            "articles": args.articles,
            "partitions": args.partitions,
            "one_process_seconds": one_s,
            "dask_seconds": dask_s,
            "workers": args.workers,
            "worker_peak_rss_mib": list(peaks.values()),
            "identical": same,
        },
    )


if __name__ == "__main__":
    main()
