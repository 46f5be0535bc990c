"""Training memory and time: in proportion to the label text, and refused past ``max_label_chars`` before it is spent.

Each case runs ``themetag train --labels DIR --out MODEL --no-evaluate`` in a fresh process and reads its peak RSS
and CPU time (``wait4``'s rusage) and its wall time:

* the project's labels (``labels/``, 2,370 paragraphs, 1.36 million characters; the corpus they name is read from
  ``--corpus``);
* labels of random words (issue 29's hostile input: every word new, nearly every character n-gram rare) at two
  sizes ten times apart (``--sizes``, paragraphs of ``--chars`` characters each; written to a temporary folder at
  run time, never to the repository);
* labels just past the default ``max_label_chars`` (25 million characters), which must be refused.

Claims (docs/performance.md): on random text, peak memory grows by at most ~45 bytes a character of label text
(so the default limit keeps a run near 1.3 GB) and time about in proportion (ratio ≤ 12 for 10× the text);
the refused case exits with a one-line error in under 30 s and 300 MB.

    python benchmarks/training_memory.py                      # ~30-40 min on 2 cores (27 CPU min: the 23 MB run)
    python benchmarks/training_memory.py --sizes 20,200       # ~5 min
    python benchmarks/training_memory.py --threads 1          # BLAS/OpenMP pools of one thread in the children
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench  # noqa: E402

THEMES = ["militarization", "development", "corruption", "civilian_defense"]
DEFAULT_LIMIT = 25_000_000  # themetag.config.MAX_LABEL_CHARS (not imported: the driver stays small)


def noise_labels(folder: Path, paragraphs: int, chars: int, *, seed: int = 0, distinct: bool = True) -> int:
    """A label folder of random-word paragraphs (every 10th a heading or boilerplate); returns its characters.

    ``distinct=False`` repeats 50 texts under other names (for the refused case: as large, quicker to write)."""
    folder.mkdir(parents=True)
    shutil.copy(_bench.REPO / "labels" / "schema.json", folder / "schema.json")
    rng = random.Random(seed)
    pool: list[str] = []
    total = 0
    with open(folder / "noise.jsonl", "w", encoding="utf-8") as out:
        for i in range(paragraphs):
            if distinct or len(pool) < 50:
                words, size = [], 0
                while size < chars:
                    words.append("".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 12))))
                    size += len(words[-1]) + 1
                pool.append(" ".join(words))
            text = pool[-1] if distinct else pool[i % len(pool)]
            kind = "content" if i % 10 else rng.choice(["heading", "boilerplate"])
            content = kind == "content"
            record = {
                "doc": f"d{i // 5}",
                "para": i % 5,
                "text": text,
                "kind": kind,
                "themes": [t for t in THEMES if rng.random() < 0.3] if content else [],
                "stance": rng.choice(["favor", "against", "neutral"]) if content else None,
            }
            out.write(json.dumps(record) + "\n")
            total += len(text)
            if distinct:
                pool.clear()
    return total


def train(labels: Path, out: Path, corpus: Path, threads: int | None) -> dict:
    """One ``themetag train --no-evaluate`` in a fresh process: exit code, wall and CPU seconds, peak RSS, stderr tail."""
    env = dict(os.environ)
    if threads:
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = str(threads)
    command = [sys.executable, "-m", "themetag", "train", "--labels", str(labels), "--out", str(out), "--no-evaluate"]
    if corpus.is_dir():
        command += ["--corpus", str(corpus)]
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=_bench.REPO)
        _, status, usage = os.wait4(child.pid, 0)
        err.seek(0)
        tail = err.read()[-400:]
    return {
        "exit": os.waitstatus_to_exitcode(status),
        "wall_s": time.perf_counter() - start,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024,
        "stderr_tail": tail.strip().splitlines()[-1] if tail.strip() else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="200,2000", help="noise label sets: paragraphs, two sizes (default 200,2000)"
    )
    parser.add_argument("--chars", type=int, default=11_500, help="characters of a noise paragraph (default 11,500)")
    parser.add_argument("--corpus", default=str(_bench.DEFAULT_CORPUS), help="the corpus the project's labels name")
    parser.add_argument("--threads", type=int, default=None, help="OMP/OpenBLAS/MKL threads in the children")
    parser.add_argument("--skip-real", action="store_true", help="leave out the project's labels")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    env = _bench.environment(["scipy", "threadpoolctl"])
    env["threads"] = args.threads
    _bench.print_environment(env)
    sizes = [int(s) for s in args.sizes.split(",")]
    rows, results = [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cases = [] if args.skip_real else [("project labels", _bench.REPO / "labels", 1_356_230)]
        for n in sizes:
            folder = tmp / f"noise{n}"
            cases.append((f"random words, {n:,} paragraphs", folder, noise_labels(folder, n, args.chars, seed=n)))
        refused = tmp / "refused"
        past = DEFAULT_LIMIT // 11_500 + 100
        cases.append(
            (
                f"random words, {past:,} paragraphs (past the limit)",
                refused,
                noise_labels(refused, past, 11_500, distinct=False),
            )
        )
        for name, folder, chars in cases:
            _bench.progress(f"training: {name} ({chars / 1e6:.2f} M characters)")
            found = train(folder, tmp / "model", Path(args.corpus), args.threads)
            shutil.rmtree(tmp / "model", ignore_errors=True)
            found.update(case=name, chars=chars, peak_mb_per_mb_text=found["peak_mb"] / (chars / 1e6))
            results.append(found)
            rows.append([name, chars / 1e6, found["exit"], found["wall_s"], found["cpu_s"], found["peak_mb"]])
    print(_bench.table(["case", "M chars", "exit", "wall s", "CPU s", "peak MB"], rows))
    noise = [r for r in results if r["case"].startswith("random") and "past" not in r["case"]]
    verdict = {}
    if len(noise) == 2:
        small, large = noise
        extra = (large["peak_mb"] - small["peak_mb"]) * 2**20 / (large["chars"] - small["chars"])
        time_ratio = large["cpu_s"] / small["cpu_s"]
        verdict.update(bytes_per_char=extra, cpu_ratio=time_ratio, size_ratio=large["chars"] / small["chars"])
        print(
            f"random words: {extra:.1f} bytes of peak RSS a character between the two sizes; CPU time ×{time_ratio:.1f}"
            f" for ×{large['chars'] / small['chars']:.1f} the text"
        )
    last = results[-1]
    print(
        f"past the limit: exit {last['exit']} in {last['wall_s']:.1f} s, {last['peak_mb']:.0f} MB: {last['stderr_tail']}"
    )
    verdict["refused_ok"] = last["exit"] == 1 and last["wall_s"] < 30 and last["peak_mb"] < 300
    verdict["proportional_ok"] = (
        bool(noise) and verdict.get("bytes_per_char", 1e9) <= 45 and verdict.get("cpu_ratio", 1e9) <= 12
    )
    print("claim (≤ 45 bytes a character, time ratio ≤ 12, refusal under 30 s and 300 MB):",
          "MET" if verdict["refused_ok"] and verdict["proportional_ok"] else "NOT MET")  # fmt: skip
    _bench.save_json(args.json, {"environment": env, "results": results, "verdict": verdict})


if __name__ == "__main__":
    main()
