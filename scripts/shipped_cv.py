"""Re-run the shipped model's grouped cross-validation from the labels and check it against its metadata.

Same labels (checked by fingerprint) and the training settings stored in the
model → the same numbers. With ``--write``, adds what the stored summary lacks
(``fold_scores``, per fold) to ``metadata.json``'s ``cv``, but only when every
number it already has is reproduced; the model's arrays and settings (and so
its SHA-256) are untouched. About 3 minutes on 2 cores.

    python scripts/shipped_cv.py [--write]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import themetag
from themetag.io import write_text
from themetag.store import METADATA_FILE
from themetag.training import TrainConfig

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


def differences(stored, fresh, path="cv") -> list[str]:
    """Where the stored summary's numbers differ from the fresh run's (keys only the fresh run has are not differences)."""
    if isinstance(stored, dict):
        return [
            d
            for k, v in stored.items()
            for d in (differences(v, fresh.get(k), f"{path}.{k}") if k in fresh else [f"{path}.{k}: not reproduced"])
        ]
    if isinstance(stored, float) and isinstance(fresh, (int, float)):
        return [] if math.isclose(stored, fresh, abs_tol=1e-9) else [f"{path}: stored {stored}, now {fresh}"]
    return [] if stored == fresh else [f"{path}: stored {stored!r}, now {fresh!r}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="add the missing numbers to the shipped metadata.json")
    args = parser.parse_args()
    shipped = themetag.load()
    labels = themetag.load_labels(ROOT / "labels", corpus_dir=CORPUS, articles_dir=ROOT / "seeds")
    if labels.fingerprint() != shipped.metadata["labels"]["sha256"]:
        print("the labels differ from those the shipped model was trained on: retrain it instead", file=sys.stderr)
        return 1
    config = TrainConfig.from_dict(shipped.metadata["training"])
    fresh = json.loads(
        json.dumps(
            themetag.evaluate(ROOT / "labels", corpus_dir=CORPUS, articles_dir=ROOT / "seeds", config=config).summary(),
            default=float,
        )
    )
    stored = shipped.metadata["cv"]
    # Leave-one-source-out and the learning curve are separate runs (evaluate --loso/--curve): not re-run here.
    problems = differences(
        {k: v for k, v in stored.items() if k not in ("leave_one_source_out", "learning_curve")}, fresh
    )
    for line in problems:
        print(line)
    if problems:
        return 1
    print(f"reproduced: {len(stored)} stored entries; fold scores {json.dumps(fresh['fold_scores'])}")
    if args.write:
        path = shipped.path / METADATA_FILE
        metadata = json.loads(path.read_text(encoding="utf-8"))
        metadata["cv"] = {**metadata["cv"], **{k: v for k, v in fresh.items() if k not in metadata["cv"]}}
        write_text(json.dumps(metadata, indent=2) + "\n", path)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
