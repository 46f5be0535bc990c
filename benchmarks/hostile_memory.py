"""Memory on the inputs that once took gigabytes: refused before the memory is spent, or in proportion when allowed.

Each case runs ``themetag predict`` in a fresh process and reads its peak RSS (``wait4``'s ``ru_maxrss``) and wall
time. The inputs (issue 29's): ``'a\\n\\n'`` × 2,000,000 (6 MB; it took 4.6 GB), ``'army\\n'`` × 1,000,000 with
``--unit line`` (5 MB; 2.4 GB), a web page of 300,000 ``<p>`` on one line, and the line file again with the
paragraph limit raised past it (``--max-paragraphs 2000000``), to show what a paragraph costs when it is tagged.

Claim: the refused cases stay under 200 MB and 10 s each (the limit is counted before segmenting); allowed, memory
grows about 1.2 KB a paragraph (README/docs/performance.md).

    python benchmarks/hostile_memory.py            # about a minute on 2 cores
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASES = [
    ("'a\\n\\n' x 2,000,000", "blank.txt", "a\n\n" * 2_000_000, []),
    ("'army\\n' x 1,000,000, --unit line", "lines.txt", "army\n" * 1_000_000, ["--unit", "line"]),
    ("300,000 <p> on one line", "page.html", "<html><body>" + "<p>army</p>" * 300_000 + "</body></html>", []),
    (
        "'army\\n' x 1,000,000, --unit line --max-paragraphs 2000000",
        "lines.txt",
        "army\n" * 1_000_000,
        ["--unit", "line", "--max-paragraphs", "2000000"],
    ),
]


def run(path: Path, options: list[str]) -> tuple[int, float, float]:
    """(exit code, seconds, peak RSS in MB) of `themetag predict` on one file, its output thrown away."""
    start = time.perf_counter()
    with open(os.devnull, "w") as sink:
        child = subprocess.Popen(
            [sys.executable, "-m", "themetag", "predict", *options, "--format", "csv", str(path)],
            stdout=sink,
            stderr=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(child.pid, 0)
    return os.waitstatus_to_exitcode(status), time.perf_counter() - start, usage.ru_maxrss / 1024


def main() -> None:
    print(f"{os.cpu_count()} cores; Python {sys.version.split()[0]}")
    print(f"{'input':<60} {'exit':>4} {'seconds':>8} {'peak MB':>8}")
    with tempfile.TemporaryDirectory() as folder:
        verdicts = []
        for name, file, text, options in CASES:
            path = Path(folder) / file
            path.write_text(text, encoding="utf-8")
            code, seconds, peak = run(path, options)
            print(f"{name:<60} {code:>4} {seconds:>8.1f} {peak:>8.0f}")
            if "--max-paragraphs" not in options:
                verdicts.append(code == 1 and peak < 200 and seconds < 10)
            else:
                print(f"{'':<60} {'':>4} {'':>8} {peak * 1024 / 1_000_000:>6.2f} KB a paragraph")
    print("claim (refused under 200 MB and 10 s each):", "MET" if all(verdicts) else "NOT MET")


if __name__ == "__main__":
    main()
