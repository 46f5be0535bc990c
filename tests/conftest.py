from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("THEMETAG_CORPUS", REPO.parent / "shared" / "corpus"))

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus folder {CORPUS} is absent")


@pytest.fixture
def repo() -> Path:
    return REPO


def copy_seed_labels(folder: Path) -> Path:
    """A labels folder holding the project's schema and the seed articles' labels (no corpus needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "labels" / "schema.json", folder)
    shutil.copy(REPO / "labels" / "seeds.jsonl", folder)
    return folder


@pytest.fixture(scope="session")
def seed_labels(tmp_path_factory) -> Path:
    return copy_seed_labels(tmp_path_factory.mktemp("seedlabels"))


# Hypothesis (tests/test_properties.py): the "ci" profile, the default, runs the same examples on every run
# and keeps no example database; HYPOTHESIS_PROFILE=dev explores new examples each run and remembers failures.
try:
    from hypothesis import settings as _hypothesis_settings
except ImportError:  # the test extra is not installed: test_properties.py fails to import, the rest runs
    pass
else:
    _hypothesis_settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
    _hypothesis_settings.register_profile("dev", deadline=None)
    _hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
