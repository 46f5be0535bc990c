"""Build the adjudicated label files from the two annotations and the third reading.

Inputs: labels/annotations/{A,B}/*.jsonl (independent annotations, keyed by
paragraph) and labels/annotations/adjudication.jsonl (the third reader's
decision, the rule that decided it and why, for every paragraph where A and
B differ). Where A and B agree, their label stands.

Outputs (the label files training reads):
  labels/seeds.jsonl               text records for the seed articles
  labels/corpus/<source>.jsonl     corpus records: id + text hash, no text

    python scripts/build_labels.py --corpus ../shared/corpus
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from themetag.schema import text_hash
from themetag.segmentation import segment

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "labels"
CORPUS_FILES = {"ungdc": "ungdc.jsonl", "wikipedia": "wikipedia.jsonl", "ic": "insightcrime_articles.jsonl"}
OUTPUT_NAMES = {"ungdc": "ungdc", "wikipedia": "wikipedia", "ic": "insightcrime"}


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]


def final_labels() -> dict[str, tuple[str, dict]]:
    """key → (source, {kind, themes, stance})."""
    first = {}
    for f in sorted((LABELS / "annotations" / "A").glob("*.jsonl")):
        for r in read_jsonl(f):
            first[r["key"]] = (f.stem.split("_")[0], r)
    second = {r["key"]: r for f in sorted((LABELS / "annotations" / "B").glob("*.jsonl")) for r in read_jsonl(f)}
    decided = {r["key"]: r for r in read_jsonl(LABELS / "annotations" / "adjudication.jsonl")}
    out = {}
    for key, (source, a) in first.items():
        b = second[key]
        same = (a["kind"], sorted(a["themes"]), a["stance"]) == (b["kind"], sorted(b["themes"]), b["stance"])
        if not same and key not in decided:
            raise SystemExit(f"{key}: annotators disagree and there is no adjudication")
        chosen = a if same else decided[key]
        out[key] = (source, {"kind": chosen["kind"], "themes": sorted(chosen["themes"]), "stance": chosen["stance"]})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    args = parser.parse_args()
    corpus = Path(args.corpus)
    labels = final_labels()

    seed_texts = {}
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        for p in segment(path.read_text(encoding="utf-8")):
            seed_texts[f"{path.stem}#{p.index}"] = (path.stem, p.index, p.text)
    rows = {}
    for fname in CORPUS_FILES.values():
        for r in read_jsonl(corpus / fname):
            rows[r["id"]] = (fname, r)

    outputs: dict[str, list[dict]] = {"seeds": []}
    for key, (source, lab) in labels.items():
        if source == "seeds":
            doc, para, text = seed_texts[key]
            outputs["seeds"].append({"doc": doc, "para": para, "text": text, **lab})
            continue
        row_id, _, para = key.partition("#") if source == "ic" else (key, "", "")
        fname, row = rows[row_id]
        if para:
            text = segment(row["text"])[int(para)].text
            record = {"corpus": fname, "id": row_id, "para": int(para), "text_sha256": text_hash(text)}
        else:
            record = {"corpus": fname, "id": row_id, "para": None, "text_sha256": text_hash(row["text"])}
        outputs.setdefault(OUTPUT_NAMES[source], []).append({**record, **lab})

    (LABELS / "corpus").mkdir(exist_ok=True)
    for name, records in outputs.items():
        target = LABELS / "seeds.jsonl" if name == "seeds" else LABELS / "corpus" / f"{name}.jsonl"
        records.sort(key=lambda r: (r.get("doc") or r["id"], r["para"] if r["para"] is not None else -1))
        target.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        print(f"{target.relative_to(ROOT)}: {len(records)} records")


if __name__ == "__main__":
    main()
