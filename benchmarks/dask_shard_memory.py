"""Dask memory per worker on one big JSON Lines shard: read in pieces (``tag_files``' default) or whole.

A shard of N real articles (cycled, see _bench.py; written to a temporary folder, removed at the end) is tagged
at paragraph level by a fresh 2-worker ``distributed.LocalCluster`` into partitioned Parquet, as
``themetag predict --scheduler`` does. Each shard size runs twice: with the shard cut into pieces of about
``--piece-mb`` MB (the default), and read whole by one task (``bytes_per_partition`` larger than the file, as
before pieces existed). Peak memory per worker is ``ru_maxrss`` of each worker process at the end; the claim is
that with pieces it does not grow with the shard.

Run (``pip install '.[dask]'``): ``python benchmarks/dask_shard_memory.py`` (~3 min on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench  # noqa: E402


def peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(shard: Path, out: Path, piece_bytes: int, workers: int) -> tuple[float, list[float], int, int]:
    """(seconds, peak RSS MiB of each worker, rows written, partitions) of one tagging of the shard."""
    import dask
    import pandas as pd
    from distributed import Client, LocalCluster

    from themetag import cluster

    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as lc,
        Client(lc) as client,
    ):
        start = time.perf_counter()
        results = cluster.tag_files([str(shard)], level="paragraph", bytes_per_partition=piece_bytes)
        dask.compute(results.to_parquet(out, compute=False, write_index=False))
        seconds = time.perf_counter() - start
        peaks = list(client.run(peak_rss_mib).values())
    return seconds, peaks, len(pd.read_parquet(out, columns=["id"])), results.npartitions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="4000,16000", help="shard sizes in articles, comma-separated")
    parser.add_argument("--piece-mb", type=float, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--corpus", default=str(_bench.DEFAULT_CORPUS))
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    env = _bench.environment(["dask", "distributed", "pandas", "pyarrow"])
    _bench.print_environment(env)

    docs = _bench.load_documents(args.corpus)
    sizes = [int(s) for s in args.sizes.split(",")]
    table, runs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            shard = Path(tmp) / f"shard{n}.jsonl"
            with shard.open("w", encoding="utf-8") as fh:
                for k, i in enumerate(_bench.cycle_indices(n, len(docs))):
                    fh.write(json.dumps({"id": f"d{k}", "outlet": docs[i][0].split("_")[0], "text": docs[i][1]}) + "\n")
            mb = shard.stat().st_size / 1e6
            for how, piece in (("pieces", int(args.piece_mb * 1e6)), ("whole", shard.stat().st_size + 1)):
                seconds, peaks, rows, parts = run(shard, Path(tmp) / f"out{n}{how}", piece, args.workers)
                table.append(
                    [
                        n,
                        f"{mb:.0f}",
                        how,
                        parts,
                        rows,
                        f"{seconds:.1f}",
                        f"{n / seconds:.0f}",
                        ", ".join(f"{p:.0f}" for p in peaks),
                    ]
                )
                runs.append(
                    {
                        "articles": n,
                        "shard_mb": mb,
                        "read": how,
                        "partitions": parts,
                        "rows": rows,
                        "seconds": seconds,
                        "worker_peak_rss_mib": peaks,
                    }
                )
    print()
    print(
        _bench.table(
            [
                "articles",
                "shard MB",
                "read",
                "partitions",
                "paragraph rows",
                "seconds",
                "articles/s",
                "peak RSS MiB per worker",
            ],
            table,
        )
    )
    print(f"{args.workers} workers on {os.cpu_count()} cores")
    _bench.save_json(args.json, {"benchmark": "dask_shard_memory", "environment": env, "runs": runs})


if __name__ == "__main__":
    main()
