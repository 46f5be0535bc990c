"""A model folder is never lost: refusal of folders that are not models, the swap, interrupts, recovery, the lock."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

import themetag
from themetag import store
from themetag.errors import OutputError
from themetag.store import is_model_folder, output_lock, previous_path, recover, write_model_folder


@pytest.fixture(scope="module")
def tagger():
    return themetag.load()


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


FAKE_METADATA = '{"format_version": 2, "model": {"sha256": "%s"}, "marker": "%%s"}' % ("0" * 64)


def fake_model(folder: Path, marker: str) -> Path:
    """A folder that passes for a model (the store looks at file names, format_version and the declared hash only)."""
    folder.mkdir()
    writer(marker)(folder)
    return folder


def writer(marker: str):
    def write(folder: Path) -> None:
        (folder / "metadata.json").write_text(FAKE_METADATA % marker)
        (folder / "model.npz").write_bytes(marker.encode())
        (folder / "README.md").write_text(marker)

    return write


def siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if p.name != folder.name)


def test_save_replaces_a_model_and_keeps_the_previous_one(tagger, tmp_path):
    target = tmp_path / "m"
    tagger.save(target)
    first = files(target)
    tagger.save(target, keep_previous=True)
    assert files(previous_path(target)) == first and is_model_folder(target)
    assert themetag.load(target).tag("Troops burned coca fields.").paragraphs
    assert siblings(target) == [".m.lock", "m.previous"]  # no temporary folder left


@pytest.mark.parametrize("make", ["folder_with_thesis", "file", "symlink_to_model"])
def test_a_path_that_is_not_a_model_folder_is_refused_untouched(tagger, tmp_path, make):
    target = tmp_path / "d"
    if make == "folder_with_thesis":
        target.mkdir()
        (target / "thesis.txt").write_text("four years of work")
    elif make == "file":
        target.write_text("notes")
    else:
        tagger.save(tmp_path / "real")
        target.symlink_to(tmp_path / "real")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    with pytest.raises(OutputError, match="not a themetag model|is a file"):
        tagger.save(target, keep_previous=True)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_an_unrelated_previous_folder_is_never_deleted(tagger, tmp_path):
    target = tmp_path / "m"
    tagger.save(target)
    mine = previous_path(target)
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="m.previous exists and is not a themetag model"):
        tagger.save(target, keep_previous=True)
    assert (mine / "notes.txt").read_text() == "mine" and is_model_folder(target)


@pytest.mark.parametrize("keep_previous", [True, False], ids=["keep_previous", "no_previous"])
@pytest.mark.parametrize("exchange", [True, False], ids=["one_step_swap", "two_renames"])
@pytest.mark.parametrize("k", range(1, 5))
def test_ctrl_c_at_any_rename_leaves_the_old_or_new_model_and_keeps_the_previous(
    tmp_path, monkeypatch, exchange, keep_previous, k
):
    """Ctrl-C injected at the k-th rename of a replacement (with an older OUT.previous there too)."""
    target = fake_model(tmp_path / "m", "old")
    fake_model(tmp_path / "m.previous", "older")
    if not exchange:
        monkeypatch.setattr(store, "_exchange", lambda a, b: False)
    real_rename, calls = os.rename, []

    def rename(src, dst):
        calls.append(1)
        if len(calls) == k:
            raise KeyboardInterrupt
        real_rename(src, dst)

    monkeypatch.setattr(store.os, "rename", rename)
    try:
        write_model_folder(target, writer("new"), keep_previous=keep_previous)
    except KeyboardInterrupt:
        pass
    now = (target / "model.npz").read_bytes()
    assert now in (b"old", b"new")
    if now == b"new" and keep_previous:
        assert (previous_path(target) / "model.npz").read_bytes() == b"old"  # the replaced model is kept, as promised
    left = [p.name for p in tmp_path.iterdir() if p.name.startswith(".m") and p.name != ".m.lock"]
    assert not left, left


def test_a_run_killed_between_the_renames_is_repaired_by_the_next(tmp_path, monkeypatch):
    # What SIGKILL between the two renames leaves: the old model parked, the new one complete, no OUT.
    target = tmp_path / "m"
    fake_model(tmp_path / ".m.old-abc123", "old")
    fake_model(tmp_path / ".m.new-def456", "new")
    assert "interrupted training left the previous model" in str(
        pytest.raises(themetag.ModelError, themetag.load, target).value
    )
    with output_lock(target):
        done = recover(target)
    assert (target / "model.npz").read_bytes() == b"old" and len(done) == 2
    assert siblings(target) == [".m.lock"]


def test_recovery_leaves_what_it_did_not_make(tmp_path):
    target = fake_model(tmp_path / "m", "old")
    odd = tmp_path / ".m.new-zzz"
    odd.mkdir()
    (odd / "thesis.txt").write_text("mine")
    with output_lock(target):
        assert recover(target) == []
    assert (odd / "thesis.txt").read_text() == "mine"


def test_a_second_writer_of_the_same_folder_stops_at_once(tmp_path):
    target = tmp_path / "m"
    code = (
        "import sys, themetag.store as s, pathlib\n"
        "try:\n    s.write_model_folder(pathlib.Path(sys.argv[1]), lambda f: None)\n"
        "except Exception as e:\n    print(type(e).__name__, e)\n"
    )
    import subprocess
    import sys

    with output_lock(target):
        found = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True, text=True, timeout=60)
    assert "another themetag run is writing" in found.stdout
    assert not target.exists()


def test_train_refuses_a_bad_output_before_training(tmp_path, seed_labels):
    target = tmp_path / "d"
    target.mkdir()
    (target / "thesis.txt").write_text("mine")
    with pytest.raises(OutputError, match="not a themetag model"):
        themetag.train(seed_labels, out=target, evaluate=False)
    assert files(target) == {"thesis.txt": b"mine"}


def test_save_creates_missing_parent_folders(tagger, tmp_path):
    tagger.save(tmp_path / "a" / "b" / "m")
    assert is_model_folder(tmp_path / "a" / "b" / "m")
    shutil.rmtree(tmp_path / "a")


@pytest.mark.parametrize(
    "what", ["notes with a metadata.json", "a model folder with a file of the user's", "no declared hash"]
)
def test_a_folder_that_is_not_what_train_wrote_is_never_moved_or_deleted(tagger, tmp_path, what):
    target = tmp_path / "out"
    if what == "notes with a metadata.json":
        target.mkdir()
        (target / "README.md").write_text("my notes")
        (target / "metadata.json").write_text('{"format_version": 1}')
    elif what == "a model folder with a file of the user's":
        tagger.save(target)
        (target / "thesis.tex").write_text("chapter 1")
    else:
        tagger.save(target)
        metadata = json.loads((target / "metadata.json").read_text())
        del metadata["model"]["sha256"]
        (target / "metadata.json").write_text(json.dumps(metadata))
    before = files(target)
    for _ in range(2):
        with pytest.raises(OutputError, match="not a themetag model"):
            tagger.save(target, keep_previous=True)
    assert files(target) == before and not (tmp_path / "out.previous").exists()


def test_a_new_output_folder_appears_whole_or_not_at_all(tmp_path):
    from themetag.errors import OutputError
    from themetag.store import write_new_folder

    def fill(folder):
        (folder / "part.0.parquet").write_bytes(b"one")
        return 1

    assert write_new_folder(tmp_path / "out", fill) == 1
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["part.0.parquet"]
    with pytest.raises(OutputError, match="exists; name a new folder"):
        write_new_folder(tmp_path / "out", fill)

    def interrupted(folder):
        (folder / "part.0.parquet").write_bytes(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_new_folder(tmp_path / "other", interrupted)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary folder left, no "other"
