"""Write docs/cli.md, the command-line reference, from the program's own help texts.

    python scripts/cli_reference.py [--check]

``--check`` writes nothing and exits 1 when docs/cli.md is not current (tests/test_docs.py does the same).
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from themetag.cli import reference  # noqa: E402
from themetag.io import write_text  # noqa: E402

TARGET = REPO / "docs" / "cli.md"

if __name__ == "__main__":
    text = reference()
    if "--check" in sys.argv[1:]:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        sys.exit(0 if current == text else f"{TARGET} is not current: run python scripts/cli_reference.py")
    write_text(text, TARGET)
    print(f"wrote {TARGET}")
