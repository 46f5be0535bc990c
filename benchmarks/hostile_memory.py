"""Memory on the inputs that once took gigabytes: refused before the memory is spent, streamed, or in proportion.

Each case runs ``themetag predict`` in a fresh process (CSV to /dev/null) and reads its peak RSS (``wait4``'s
``ru_maxrss``) and wall time. The inputs (issue 29's): ``'a\\n\\n'`` × 2,000,000 (6 MB; it took 4.6 GB) and a web
page of 300,000 ``<p>`` on one line, both past the paragraph limit of one article; ``'army\\n'`` × 1,000,000 with
``--unit line`` (5 MB; it took 2.4 GB), which streams, beside the same at 100,000 lines; and ``'a\\n\\n'`` ×
1,000,000 with the limit raised (``--max-paragraphs 2000000``), to show what a paragraph of an article held whole
costs.

Claims: the refused cases stay under 200 MB and 10 s each (the limit is counted before segmenting); the line file
streams (1,000,000 lines within 20 MB of 100,000, under 200 MB); an article held whole costs about 1.2 KB a
paragraph (docs/performance.md).

    python benchmarks/hostile_memory.py            # about two minutes on 2 cores
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASES = [
    ("'a\\n\\n' x 2,000,000", "blank.txt", "a\n\n" * 2_000_000, [], "refused"),
    (
        "300,000 <p> on one line",
        "page.html",
        "<html><body>" + "<p>army</p>" * 300_000 + "</body></html>",
        [],
        "refused",
    ),
    ("'army\\n' x 100,000, --unit line", "lines.txt", "army\n" * 100_000, ["--unit", "line"], "streams"),
    ("'army\\n' x 1,000,000, --unit line", "lines.txt", "army\n" * 1_000_000, ["--unit", "line"], "streams"),
    (
        "'a\\n\\n' x 1,000,000, --max-paragraphs 2000000",
        "blank.txt",
        "a\n\n" * 1_000_000,
        ["--max-paragraphs", "2000000"],
        "held",
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
    print(f"{os.cpu_count()} cores; Python {sys.version.split()[0]}; load average {os.getloadavg()[0]:.1f}")
    print(f"{'input':<60} {'exit':>4} {'seconds':>8} {'peak MB':>8}")
    refused, streamed = [], []
    with tempfile.TemporaryDirectory() as folder:
        for name, file, text, options, expected in CASES:
            path = Path(folder) / file
            path.write_text(text, encoding="utf-8")
            code, seconds, peak = run(path, options)
            print(f"{name:<60} {code:>4} {seconds:>8.1f} {peak:>8.0f}")
            if expected == "refused":
                refused.append(code == 1 and peak < 200 and seconds < 10)
            elif expected == "streams":
                streamed.append((code, peak))
            else:
                paragraphs = text.count("a")
                print(f"{'':<60} {'':>4} {'':>8} {peak * 1024 / paragraphs:>6.2f} KB a paragraph")
    print("claim (refused under 200 MB and 10 s each):", "MET" if all(refused) else "NOT MET")
    (small_code, small), (large_code, large) = streamed
    flat = small_code == large_code == 0 and large - small < 20 and large < 200
    print(
        f"claim (--unit line streams: 10x the lines within 20 MB, under 200 MB): {large - small:+.0f} MB,",
        "MET" if flat else "NOT MET",
    )


if __name__ == "__main__":
    main()
