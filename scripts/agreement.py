"""Inter-annotator agreement of the two independent annotations in labels/annotations/{A,B}.

Prints Markdown tables: Cohen's kappa per theme, for stance and for kind,
per source and overall, with the raw agreement and counts. Themes and stance
are compared on paragraphs both annotators called content.

    python scripts/agreement.py > /tmp/agreement.md
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

from sklearn.metrics import cohen_kappa_score

ROOT = Path(__file__).resolve().parent.parent
ANNOTATIONS = ROOT / "labels" / "annotations"
THEMES = ("militarization", "development", "corruption", "civilian_defense")


def load(annotator: str) -> dict[str, tuple[str, dict]]:
    out = {}
    for f in sorted((ANNOTATIONS / annotator).glob("*.jsonl")):
        source = f.stem.split("_")[0]
        for line in f.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            out[record["key"]] = (source, record)
    return out


def kappa(a: list, b: list) -> str:
    if not a:
        return "–"
    if len(set(a) | set(b)) < 2:
        return "n/a (one value)"
    return f"{cohen_kappa_score(a, b):.2f}"


def main() -> None:
    first, second = load("A"), load("B")
    if set(first) != set(second):
        sys.exit("annotators labeled different paragraphs")
    by_source: dict[str, list[tuple[dict, dict]]] = defaultdict(list)
    for key, (source, a) in first.items():
        by_source[source].append((a, second[key][1]))
    by_source["all"] = [pair for s in list(by_source) for pair in by_source[s]]
    rows = []
    for source, pairs in by_source.items():
        content = [(a, b) for a, b in pairs if a["kind"] == b["kind"] == "content"]
        cells = {
            "kind": kappa([a["kind"] for a, _ in pairs], [b["kind"] for _, b in pairs]),
            "stance": kappa([a["stance"] for a, _ in content], [b["stance"] for _, b in content]),
        }
        for t in THEMES:
            cells[t] = kappa([t in a["themes"] for a, _ in content], [t in b["themes"] for _, b in content])
        exact = sum(
            (a["kind"], sorted(a["themes"]), a["stance"]) == (b["kind"], sorted(b["themes"]), b["stance"])
            for a, b in pairs
        )
        rows.append((source, len(pairs), len(content), exact, cells))
    print(
        "| source | paragraphs | both content | identical labels | kind κ | stance κ | "
        + " | ".join(f"{t} κ" for t in THEMES)
        + " |"
    )
    print("|---" * (6 + len(THEMES)) + "|")
    for source, n, nc, exact, c in rows:
        print(
            f"| {source} | {n} | {nc} | {exact} ({exact / n:.0%}) | {c['kind']} | {c['stance']} | "
            + " | ".join(c[t] for t in THEMES)
            + " |"
        )


if __name__ == "__main__":
    main()
