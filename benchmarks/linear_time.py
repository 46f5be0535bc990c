"""Linear time: each input path's time at a size n and at 10 n; the claim is a ratio of times <= 12.

A quadratic path takes ~100 times as long for 10 times the input; a linear one ~10 (a little more when the
larger input no longer fits in the CPU's caches). Paths, each on real text (``_bench``: seeds and corpus):

* ``segment``: ``themetag.segment`` on one article that is a single block of n lines (two real sentences a
  line, no two lines alike, no blank line between them: the case that was quadratic, joined line by line);
* ``suggest``: ``review.suggest(tagger, articles, n=50)`` on n near-duplicate articles: the 412 real documents
  cycled, each copy with its first paragraph changed (``(copy k)`` appended), so paragraphs repeat across
  copies nearly word for word (it kept every candidate and compared each with every pick: 50,000 such
  articles took 295 s, 20,000 took 29 s);
* ``doccano import``: ``read_doccano`` on one example carrying n labels (the schema's themes repeated and one
  stance, as a collaborative export merges annotators' labels; deduplicating them was quadratic: one example
  with 1,000,000 labels was killed at 200 s);
* ``Label Studio import``: ``read_label_studio`` on n tasks (one annotation each) of one article without a
  ``para`` (each missing ``para`` was the max of those before it: quadratic);
* ``predict``: ``Tagger.tag_many`` on n small articles (one real paragraph each).

Each path is run once at the small size to warm up (imports, word caches), then timed best of ``--repeats``
(3) at each size, wall time (``time.perf_counter``); CPU seconds (``time.process_time``) are printed beside.
Inputs are built before timing; the import paths read a file written to a temporary folder (under the 20 MB
input limit at 10 n). The machine's other load is printed: rerun on a quiet machine when a ratio is near 12.

Run (about 2 minutes on 2 cores):

    python benchmarks/linear_time.py
    python benchmarks/linear_time.py --only suggest,doccano --json /tmp/linear_time.json
    python benchmarks/linear_time.py --scale 0.5          # every size halved, for a quick look
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench  # noqa: E402

TARGET_RATIO = 12.0
#: Small size n of each path (10 n is the large one).
SIZES = {"segment": 4_000, "suggest": 300, "doccano": 100_000, "label_studio": 8_000, "predict": 1_500}
PATHS = tuple(SIZES)


def sentences(docs) -> list[str]:
    """Real sentences of the corpus, one a line, in a fixed order."""
    out = []
    for paragraph in _bench.real_paragraphs(docs):
        out += [s.strip() for s in re.split(r"(?<=[.!?])\s+", paragraph.replace("\n", " ")) if len(s.strip()) > 20]
    return out


def timed(run, repeats: int) -> tuple[float, float]:
    """Best wall and CPU seconds of ``run()`` over ``repeats`` runs."""
    wall = cpu = float("inf")
    for _ in range(repeats):
        gc.collect()
        w, c = time.perf_counter(), time.process_time()
        run()
        wall, cpu = min(wall, time.perf_counter() - w), min(cpu, time.process_time() - c)
    return wall, cpu


def build(path: str, n: int, ctx: dict):
    """A function running the path on an input of size n (built here, before any timing)."""
    import themetag
    from themetag import interop, review

    if path == "segment":
        lines = ctx["sentences"]
        size = len(lines)  # line i: sentences i and i + 1 + i // size (cycled): two real sentences, no two lines alike
        article = "\n".join(f"{lines[i % size]} {lines[(i + 1 + i // size) % size]}" for i in range(n))
        return lambda: themetag.segment(article)
    if path == "suggest":
        docs = ctx["docs"]

        def articles():
            for k in range(n):
                name, text = docs[k % len(docs)]
                first, sep, rest = text.partition("\n\n")
                yield f"{name}#{k}", f"{first} (copy {k // len(docs)}){sep}{rest}"

        return lambda: review.suggest(ctx["tagger"], articles(), n=50)
    folder = Path(ctx["tmp"])
    schema = ctx["tagger"].schema
    if path == "doccano":
        labels = [schema.themes[i % len(schema.themes)] for i in range(n - 1)] + ["stance:" + schema.stances[0]]
        file = folder / f"doccano_{n}.jsonl"
        file.write_text(
            json.dumps({"id": 1, "text": "Troops burned coca fields near the river.", "label": labels}) + "\n"
        )

        def run():
            records = interop.read_doccano(file, schema)
            assert len(records) == 1 and records[0]["themes"] == list(schema.themes)

        return run
    if path == "label_studio":
        stance = schema.stances[0]
        tasks = [
            {
                "id": i,
                "data": {"text": f"Paragraph {i} of the article.", "doc": "a"},
                "annotations": [
                    {
                        "result": [
                            {
                                "from_name": "stance",
                                "to_name": "text",
                                "type": "choices",
                                "value": {"choices": [stance]},
                            }
                        ]
                    }
                ],
            }
            for i in range(n)
        ]
        file = folder / f"label_studio_{n}.json"
        file.write_text(json.dumps(tasks, separators=(",", ":")))
        del tasks

        def run():
            records = interop.read_label_studio(file, schema)
            assert len(records) == n and records[-1]["para"] == n - 1

        return run
    if path == "predict":
        paragraphs = ctx["paragraphs"]
        articles = [(f"a{i}", paragraphs[i % len(paragraphs)]) for i in range(n)]
        return lambda: sum(1 for _ in ctx["tagger"].tag_many(articles))
    raise ValueError(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", default=",".join(PATHS), help=f"comma-separated paths (default all: {','.join(PATHS)})"
    )
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every small size by this (default 1)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per size; the best counts (default 3)")
    parser.add_argument(
        "--corpus",
        default=str(_bench.DEFAULT_CORPUS),
        help="corpus folder (default ../shared/corpus from the repo root)",
    )
    parser.add_argument("--model", default=None, help="themetag model directory (default: the shipped model)")
    parser.add_argument("--json", metavar="PATH", help="save the results as JSON")
    args = parser.parse_args()
    chosen = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(chosen) - set(PATHS)
    if unknown:
        parser.error(f"unknown path(s) {', '.join(sorted(unknown))}; choose from {', '.join(PATHS)}")

    info = _bench.environment()
    _bench.print_environment(info)
    import themetag

    docs = _bench.load_documents(args.corpus)
    with tempfile.TemporaryDirectory() as tmp:
        ctx = {
            "docs": docs,
            "tagger": themetag.load(args.model),
            "tmp": tmp,
            "sentences": sentences(docs),
            "paragraphs": _bench.corpus_paragraph_rows(args.corpus),
        }
        rows, results = [], []
        for path in chosen:
            n = max(1, round(SIZES[path] * args.scale))
            small, large = build(path, n, ctx), build(path, 10 * n, ctx)
            small()  # warm-up
            _bench.progress(f"{path}: n={n:,} and {10 * n:,}")
            (ws, cs), (wl, cl) = timed(small, args.repeats), timed(large, args.repeats)
            del small, large
            ratio = wl / ws
            results.append(
                {
                    "path": path,
                    "n": n,
                    "n10": 10 * n,
                    "seconds": [ws, wl],
                    "cpu_seconds": [cs, cl],
                    "ratio": ratio,
                    "cpu_ratio": cl / cs if cs else None,
                    "met": ratio <= TARGET_RATIO,
                }
            )
            rows.append(
                [path, n, ws, 10 * n, wl, ratio, cl / cs if cs else None, "yes" if ratio <= TARGET_RATIO else "NO"]
            )
    print()
    print(
        _bench.table(["path", "n", "s at n", "10 n", "s at 10 n", "ratio", "CPU ratio", f"<= {TARGET_RATIO:g}"], rows)
    )
    print(
        f"\ncores: {info['cpu_count']}; target: time at 10 n <= {TARGET_RATIO:g} x time at n (best of {args.repeats} each)"
    )
    _bench.save_json(
        args.json, {"environment": info, "target_ratio": TARGET_RATIO, "repeats": args.repeats, "results": results}
    )
    if not all(r["met"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
