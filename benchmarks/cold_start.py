"""Cold start: wall time of one `themetag predict` command beside `python -c "import sklearn"`.

Measures, as fresh subprocesses run from the repository root, interleaved
(predict, import sklearn, import themetag, predict, ...), after one warm-up
run of each (so .pyc files exist and the page cache is warm):

* ``themetag predict seeds/002_b13f9584dabc5cc1.txt`` — the installed console
  script found next to ``sys.executable``;
* ``python -c "import sklearn"`` — the reference;
* ``python -c "import themetag"`` — the import alone.

Reports median and min of each (wall-clock; the median CPU seconds of the
subprocess beside it, to show a busy machine), the ratio predict / import sklearn (medians;
also of mins), and the top 10 imports by cumulative time of
``python -X importtime -m themetag predict seeds/002_...`` (the median of
``--importtime-runs`` runs for each module), so the next engineer sees what costs.

Target: themetag predict ≤ 0.5 × import sklearn (median wall time).

Run (about 1 minute with the pre-refactor code):

    python benchmarks/cold_start.py                  # 7 runs each after 1 warm-up
    python benchmarks/cold_start.py --runs 15 --json /tmp/cold_start.json

Exits 1 if a command fails (e.g. the shipped model cannot be loaded), printing its stderr.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench  # noqa: E402

ARTICLE = "seeds/002_b13f9584dabc5cc1.txt"
TARGET_RATIO = 0.5


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system of the child) of one run."""
    cpu0 = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=_bench.REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    cpu = _children_cpu() - cpu0
    if proc.returncode != 0:
        print(f"command failed (exit {proc.returncode}): {' '.join(cmd)}\n{proc.stderr.strip()}", file=sys.stderr)
        raise SystemExit(1)
    return elapsed, cpu


def importtime(article: str, runs: int) -> tuple[list[dict], float]:
    """Top imports by cumulative time of `python -X importtime -m themetag predict ARTICLE`.

    Returns (rows sorted by median cumulative µs, median total wall seconds).
    """
    per_module: dict[str, dict[str, list[int]]] = {}
    walls = []
    for _ in range(runs):
        cmd = [sys.executable, "-X", "importtime", "-m", "themetag", "predict", article]
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=_bench.REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        walls.append(time.perf_counter() - start)
        if proc.returncode != 0:
            print(
                f"command failed (exit {proc.returncode}): {' '.join(cmd)}\n{proc.stderr.strip()[-2000:]}",
                file=sys.stderr,
            )
            raise SystemExit(1)
        for line in proc.stderr.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            parts = line.split(":", 1)[1].split("|", 2)
            if len(parts) != 3:
                continue
            try:
                self_us, cumulative_us = int(parts[0]), int(parts[1])
            except ValueError:
                continue
            name = parts[2]
            entry = per_module.setdefault(name.strip(), {"self": [], "cumulative": []})
            entry["self"].append(int(self_us))
            entry["cumulative"].append(int(cumulative_us))
    rows = [
        {
            "module": name,
            "cumulative_ms": statistics.median(v["cumulative"]) / 1000,
            "self_ms": statistics.median(v["self"]) / 1000,
        }
        for name, v in per_module.items()
    ]
    rows.sort(key=lambda r: -r["cumulative_ms"])
    return rows, statistics.median(walls)


def top_self(rows: list[dict], n: int) -> list[dict]:
    return sorted(rows, key=lambda r: -r["self_ms"])[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each command (default 7)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs of each command first (default 1)")
    parser.add_argument(
        "--article", default=ARTICLE, help=f"article to predict, relative to the repo root (default {ARTICLE})"
    )
    parser.add_argument(
        "--importtime-runs", type=int, default=3, help="runs of -X importtime to take medians over (default 3)"
    )
    parser.add_argument("--top", type=int, default=10, help="imports to list (default 10)")
    parser.add_argument("--json", metavar="PATH", help="save the results as JSON")
    args = parser.parse_args()

    console = Path(sys.executable).parent / "themetag"
    if not console.exists():
        raise SystemExit(
            f"no themetag console script next to {sys.executable}; install themetag into this environment (pip install -e .)"
        )
    commands = {
        "themetag predict": [str(console), "predict", args.article],
        "import sklearn": [sys.executable, "-c", "import sklearn"],
        "import themetag": [sys.executable, "-c", "import themetag"],
    }
    env = _bench.environment()
    _bench.print_environment(env)
    print(f"article: {args.article}; {args.warmup} warm-up + {args.runs} timed runs of each, interleaved")

    for _ in range(args.warmup):
        for cmd in commands.values():
            timed(cmd)
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpu_times: dict[str, list[float]] = {name: [] for name in commands}
    for i in range(args.runs):
        for name, cmd in commands.items():
            wall, cpu = timed(cmd)
            times[name].append(wall)
            cpu_times[name].append(cpu)
        _bench.progress(f"run {i + 1}/{args.runs}: " + ", ".join(f"{n} {t[-1]:.3f}s" for n, t in times.items()))

    stats = {name: _bench.summary(t) for name, t in times.items()}
    cpu_stats = {name: _bench.summary(t) for name, t in cpu_times.items()}
    ref = stats["import sklearn"]
    print()
    print(
        _bench.table(
            ["command", "median s", "min s", "max s", "× import sklearn (median)", "median CPU s"],
            [
                [name, s["median"], s["min"], s["max"], s["median"] / ref["median"], cpu_stats[name]["median"]]
                for name, s in stats.items()
            ],
        )
    )
    print("(wall-clock; CPU = user + system seconds of the subprocess: far below wall means the machine was busy)")
    ratio = stats["themetag predict"]["median"] / ref["median"]
    ratio_min = stats["themetag predict"]["min"] / ref["min"]
    verdict = "MET" if ratio <= TARGET_RATIO else "NOT MET"
    print(
        f"\nratio themetag predict / import sklearn: {ratio:.2f} (medians), {ratio_min:.2f} (mins); "
        f"target <= {TARGET_RATIO}: {verdict}"
    )

    rows, wall = importtime(args.article, args.importtime_runs)
    print(
        f"\npython -X importtime -m themetag predict {args.article}: top {args.top} imports by cumulative time "
        f"(median of {args.importtime_runs} runs; wall {wall:.2f}s with -X importtime)"
    )
    top = rows[: args.top]
    print(
        _bench.table(
            ["module", "cumulative ms", "self ms"], [[r["module"], r["cumulative_ms"], r["self_ms"]] for r in top]
        )
    )

    _bench.save_json(
        args.json,
        {
            "benchmark": "cold_start",
            "target": f"themetag predict median <= {TARGET_RATIO} x import sklearn median",
            "environment": env,
            "article": args.article,
            "runs": args.runs,
            "warmup": args.warmup,
            "seconds": stats,
            "cpu_seconds": cpu_stats,
            "ratio_median": ratio,
            "ratio_min": ratio_min,
            "target_met": ratio <= TARGET_RATIO,
            "importtime_top": top,
            "importtime_top_self": top_self(rows, args.top),
            "importtime_wall_seconds": wall,
        },
    )


if __name__ == "__main__":
    main()
