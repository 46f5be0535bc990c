"""Dask against one process, end to end: ``themetag predict FILE.jsonl --out tags.parquet`` beside ``themetag
predict FILE.jsonl --scheduler local --out tags/`` on one JSON Lines file of 20,000 articles, wall time and
whether the two outputs are the same table.

The articles are real text (the 412 documents of _bench.py: seeds, InSight Crime articles, UNGDC speeches,
Wikipedia pages, shuffled once and cycled, so each text appears ~49 times) under distinct ids (``a00000``, ...),
with corpus-like fields: title (the document's name), date (a day of 2020 by position), url (made from the id),
author (on two rows in three). The file is written to a temporary folder and removed at the end.

Both runs are the command line in a fresh process, as a user runs it: the wall time includes starting Python,
loading the model and, for Dask, starting the ``LocalCluster`` (one single-threaded worker process per core)
and sending the model to each worker. One process runs with ``--no-template`` (Dask does not apply the
collection template), so both do the same work. CPU seconds (user + system of the command and of the worker
processes it started) show the work apart from what else the machine runs. The outputs are compared with pyarrow after sorting by id:
schema (types, no pandas metadata) and every value.

Run (``pip install '.[dask]'``): ``python benchmarks/dask_vs_one_process.py`` (~8 min on 2 quiet cores;
``--articles 2000`` for a quick check).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench  # noqa: E402


def run(args: list[str]) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the command and the processes it started and waited for, stderr) of one
    command, which must succeed."""
    import resource

    def cpu() -> float:
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        return used.ru_utime + used.ru_stime

    start, spent = time.perf_counter(), cpu()
    done = subprocess.run(args, capture_output=True, text=True)
    seconds, spent = time.perf_counter() - start, cpu() - spent
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return seconds, spent, done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--corpus", default=str(_bench.DEFAULT_CORPUS))
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    env = _bench.environment(["dask", "distributed", "pandas", "pyarrow"])
    _bench.print_environment(env)

    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    themetag = str(Path(sys.executable).with_name("themetag"))
    docs = _bench.load_documents(args.corpus)
    with tempfile.TemporaryDirectory(prefix="themetag-bench-") as tmp:
        shard = Path(tmp) / "articles.jsonl"
        with shard.open("w", encoding="utf-8") as fh:
            for k, i in enumerate(_bench.cycle_indices(args.articles, len(docs))):
                name, text = docs[i]
                row = {
                    "id": f"a{k:05d}",
                    "text": text,
                    "title": name,
                    "date": f"2020-{k % 12 + 1:02d}-{k % 28 + 1:02d}",
                    "url": f"https://example.org/articles/a{k:05d}",
                }
                if k % 3:
                    row["author"] = f"Author {k % 17}"
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        mb = shard.stat().st_size / 1e6
        _bench.progress(f"{args.articles:,} articles, {mb:.1f} MB; one process ...")
        one_s, one_cpu, _ = run(
            [themetag, "predict", str(shard), "--no-template", "--no-progress", "--out", str(Path(tmp) / "one.parquet")]
        )
        _bench.progress(f"one process: {one_s:.1f} s; Dask ...")
        dask_s, dask_cpu, said = run(
            [themetag, "predict", str(shard), "--scheduler", "local", "--no-progress", "--out", str(Path(tmp) / "dask")]
        )
        found = re.search(r"\((\d+) partitions, (\d+) workers\)", said)
        partitions, workers = (int(found[1]), int(found[2])) if found else (None, None)
        one = pq.read_table(Path(tmp) / "one.parquet").sort_by("id")
        many = ds.dataset(Path(tmp) / "dask", format="parquet").to_table().sort_by("id")
        same = one.schema.equals(many.schema, check_metadata=True) and one.equals(many)
        differ = (
            {}
            if same
            else {
                name: sum(x != y for x, y in zip(one[name].to_pylist(), many[name].to_pylist()))
                for name in one.column_names
                if name in many.column_names and not one[name].equals(many[name])
            }
        )
        if not same:
            print(
                f"not the same table: rows {one.num_rows} vs {many.num_rows}; schemas equal: {one.schema.equals(many.schema, check_metadata=True)}; "
                f"values differ in {differ or 'no column'}"
            )
        stray = [line for line in said.splitlines() if not line.startswith("wrote ")]
    print()
    print(
        _bench.table(
            ["how", "processes", "articles", "wall s", "articles/s", "CPU s (all processes)"],
            [
                ["one process (--no-template)", 1, args.articles, one_s, args.articles / one_s, one_cpu],
                [
                    f"--scheduler local ({partitions} partitions)",
                    workers,
                    args.articles,
                    dask_s,
                    args.articles / dask_s,
                    dask_cpu,
                ],
            ],
        )
    )
    print(
        f"speed-up {one_s / dask_s:.2f}x on {os.cpu_count()} cores; shard {mb:.1f} MB; same Parquet table: {same}; "
        f"other lines on Dask's stderr: {len(stray)}"
    )
    _bench.save_json(
        args.json,
        {
            "benchmark": "dask_vs_one_process",
            "environment": env,
            "articles": args.articles,
            "shard_mb": mb,
            "one_process_seconds": one_s,
            "dask_seconds": dask_s,
            "one_process_cpu_seconds": one_cpu,
            "dask_cpu_seconds": dask_cpu,
            "workers": workers,
            "partitions": partitions,
            "identical": same,
            "columns_that_differ": differ,
            "dask_stderr_other_lines": stray,
            "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        },
    )


if __name__ == "__main__":
    main()
