"""The model folder: its format, how it is read and checked, and how it is written without ever losing one.

A model is a folder::

    model.npz        the fitted numbers: vocabularies, IDF weights, regression weights
                     (NumPy arrays, read with allow_pickle=False)
    metadata.json    format version; versions of themetag and its libraries; schema; the
                     model's settings (label names, thresholds, array shapes, SHA-256);
                     label-data hash; training parameters; cross-validation metrics
    README.md        the model card

Reading (:func:`read_model_folder`) checks the format version and the files and
returns the metadata and the arrays; :meth:`themetag.model.Model.load` checks
the arrays against the settings, the schema and the content hash. Nothing in a
model folder is executed. :meth:`themetag.model.Model.save` and
:meth:`themetag.tagger.Tagger.save` write through :func:`save_model_folder`.

A model folder is replaced only by a complete new one, and only if it is a
model folder: a folder holding anything but model files (a thesis, say) is
refused, never deleted. While a folder ``OUT`` is written:

* ``.OUT.lock`` (beside it) is locked, so a second ``train`` to the same
  ``OUT`` stops at once instead of racing the first;
* the new model is written into ``.OUT.new-XXXX`` (beside it);
* the swap puts the new folder at ``OUT`` in one step where the system can
  (Linux ``renameat2(RENAME_EXCHANGE)``): at every instant ``OUT`` holds the
  old model or the new one. Elsewhere it is two renames with the old model
  parked at ``.OUT.old-XXXX``; an exception between them (Ctrl-C included)
  renames it back. After any exception the replaced model is where it was
  promised (``OUT.previous`` with ``keep_previous``) and no temporary folder is
  left; a run killed outright is repaired by the next write to ``OUT``
  (:func:`recover`).
"""

from __future__ import annotations

import errno
import io
import json
import os
import platform
import shutil
import tempfile
import zipfile
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, TypeVar

import numpy as np

from .errors import ModelError, OutputError
from .schema import Schema

if TYPE_CHECKING:
    from .model import Model

T = TypeVar("T")

ARRAYS_FILE = "model.npz"
METADATA_FILE = "metadata.json"
CARD_FILE = "README.md"
#: The only files a model folder holds.
MODEL_FILES = frozenset({METADATA_FILE, ARRAYS_FILE, CARD_FILE})

#: The largest metadata.json read (the shipped model's is ~0.1 MB).
MAX_METADATA_BYTES = 50_000_000
#: 1: a joblib pickle (themetag 0.1.0, before 2026-11-23); 2: model.npz + settings in metadata.json.
FORMAT_VERSION = 2
_MAX_ARRAYS_BYTES = 1 << 30  # a model larger than this (uncompressed) is not one we made


def _absolute(path: Path) -> Path:
    """``path`` made absolute without resolving links, so "." and "models/" have a name to put siblings beside."""
    return Path(os.path.abspath(path))


def previous_path(target: Path) -> Path:
    """Where a replaced model is kept (``keep_previous``): ``OUT.previous``."""
    return target.with_name(target.name + ".previous")


def is_model_folder(path: Path) -> bool:
    """What ``train`` wrote, and so may replace: a folder holding the model files and nothing else (metadata.json and
    model.npz; README.md, the card, if written), whose metadata.json declares a format version and the content hash
    of the model's arrays.

    Anything less (a folder of notes with a metadata.json of its own, say) is not a model: never moved or deleted.
    """
    if path.is_symlink() or not path.is_dir():
        return False
    try:
        names = {p.name for p in path.iterdir()}
        if not {METADATA_FILE, ARRAYS_FILE} <= names <= MODEL_FILES or not all(
            (path / name).is_file() and not (path / name).is_symlink() for name in names
        ):
            return False
        with open(path / METADATA_FILE, "rb") as handle:
            metadata = json.loads(handle.read(50_000_000))
    except (OSError, ValueError, RecursionError):
        return False
    if not isinstance(metadata, dict):
        return False
    version, model = metadata.get("format_version"), metadata.get("model")
    digest = model.get("sha256") if isinstance(model, dict) else None
    return (
        isinstance(version, int)
        and not isinstance(version, bool)
        and isinstance(digest, str)
        and len(digest) == 64
        and all(c in "0123456789abcdef" for c in digest)
    )


def _only_model_files(path: Path) -> bool:
    """A folder a killed run left: nothing in it but (some of) the model files."""
    try:
        return path.is_dir() and not path.is_symlink() and {p.name for p in path.iterdir()} <= MODEL_FILES
    except OSError:
        return False


def check_model_target(target: Path, *, replace: bool, keep_previous: bool) -> None:
    """Refuse, before any work, an output folder that is not ours to write, with what to do instead."""
    where = str(target)
    target = _absolute(target)
    if target.exists() or target.is_symlink():
        if not replace:
            raise OutputError(
                f"exists; pass --force to replace it (the old model is kept as {previous_path(target).name})",
                path=where,
            )
        if not is_model_folder(target):
            what = "a file" if target.is_file() else "a folder that is not a themetag model"
            raise OutputError(f"is {what}; it is not replaced. Choose another output folder", path=where)
    existing = target.parent
    while not existing.exists() and existing != existing.parent:  # the model's parent folders are created
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"{str(existing)!r} is a file, so no folder can be made in it", path=where)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"folder {str(existing)!r} is not writable", path=where)
    backup = previous_path(target)
    if keep_previous and (backup.exists() or backup.is_symlink()) and not is_model_folder(backup):
        raise OutputError(
            f"{backup.name} exists and is not a themetag model, so the old model cannot be kept there; move it away",
            path=where,
        )


_HELD: set[str] = set()  # lock files this process holds


@contextmanager
def output_lock(target: Path) -> Iterator[None]:
    """Hold ``.OUT.lock`` beside ``target`` (creating its parent folders) for the block; another holder makes this raise at once."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, the rest still holds
        yield
        return
    target = _absolute(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)  # a model's parent folders are created, as before
    except OSError as exc:
        raise OutputError(f"cannot create its folder: {exc.strerror}", path=str(target)) from None
    lock_path = target.with_name(f".{target.name}.lock")
    key = str(lock_path.resolve())
    if key in _HELD:  # this process holds it already (train holds it while save writes): flock would refuse us
        yield
        return
    try:
        handle = open(lock_path, "a")
    except OSError as exc:
        raise OutputError(f"cannot create the lock file {lock_path.name}: {exc.strerror}", path=str(target)) from None
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise OutputError(
                "another themetag run is writing this model folder; wait for it to finish", path=str(target)
            ) from None
        _HELD.add(key)
        try:
            yield
        finally:
            _HELD.discard(key)
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def recover(target: Path) -> list[str]:
    """Repair what a killed run left beside ``target`` (call with the lock held); returns what was done.

    A model parked at ``.OUT.old-*`` while ``OUT`` is missing goes back to
    ``OUT``; one parked while ``OUT`` holds the new model is the replaced model,
    kept as ``OUT.previous`` if that is free. A complete model in
    ``.OUT.new-*`` older than the one at ``OUT`` is a replaced model too (a run
    killed just after the one-step swap); any other ``.OUT.new-*`` folder
    holding only model files is an unfinished or undelivered write, and is
    removed, as are ``.OUT.previous.trash-*`` folders. Anything else is left alone.
    """
    done = []
    backup = previous_path(target)

    def keep_as_previous(folder: Path, why: str) -> None:
        if not backup.exists():
            os.rename(folder, backup)
            done.append(f"kept {why} as {backup.name}")

    for old in sorted(target.parent.glob(f".{target.name}.old-*")):
        if not is_model_folder(old):
            continue
        if not target.exists():
            os.rename(old, target)
            done.append(f"restored the model an interrupted run had moved to {old.name}")
        else:
            keep_as_previous(old, "the model an interrupted run replaced")
    for new in sorted(target.parent.glob(f".{target.name}.new-*")):
        if not _only_model_files(new):
            continue
        if is_model_folder(new) and is_model_folder(target) and _mtime(new) < _mtime(target):
            keep_as_previous(new, "the model an interrupted run replaced")
            if new.exists():
                continue  # OUT.previous is taken: leave it for the user
        else:
            shutil.rmtree(new, ignore_errors=True)
            done.append(f"removed {new.name}, left by an interrupted run")
    for trash in target.parent.glob(f".{backup.name}.trash-*"):
        if _only_model_files(trash):
            shutil.rmtree(trash, ignore_errors=True)
    return done


def _mtime(folder: Path) -> float:
    return (folder / METADATA_FILE).stat().st_mtime


def _unused_name(path: Path, what: str) -> Path:
    """A fresh hidden sibling name ``.NAME.what-XXXX`` (made and removed, so nothing else takes it meanwhile)."""
    name = Path(tempfile.mkdtemp(prefix=f".{path.name}.{what}-", dir=path.parent))
    os.rmdir(name)
    return name


def write_model_folder(target: Path, write: Callable[[Path], None], *, keep_previous: bool = False) -> list[str]:
    """Write a model folder with ``write(folder)`` and swap it in at ``target``; returns what recovery did.

    The old model at ``target`` (refused if ``target`` holds anything else)
    is kept as ``OUT.previous`` with ``keep_previous`` (replacing an older
    model there, never anything else), else deleted once the new one is in.
    An exception at any point (Ctrl-C included) leaves a model at ``target``
    and, with ``keep_previous``, the replaced one at ``OUT.previous``.
    """
    target = _absolute(target)
    check_model_target(target, replace=True, keep_previous=keep_previous)  # before the lock file is made
    with output_lock(target):
        notes = recover(target)
        check_model_target(target, replace=True, keep_previous=keep_previous)  # what recovery left
        try:
            tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
        except OSError as exc:
            raise OutputError(f"cannot write beside it: {exc.strerror or exc}", path=str(target)) from None
        try:
            tmp.chmod(0o755)  # mkdtemp makes it private; a model folder is for reading by anyone
            write(tmp)
            _fsync_folder(tmp)
        except OSError as exc:  # a full disk, say
            shutil.rmtree(tmp, ignore_errors=True)
            raise OutputError(
                f"cannot write the model: {exc.strerror or exc}; nothing at this path was changed", path=str(target)
            ) from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        new_inode = os.stat(tmp).st_ino  # the exchange swaps names, not folders: the inode says which is which
        parked = _unused_name(target, "old")
        try:
            if _swap_in(tmp, target, parked):
                _keep_or_drop(parked, target, keep_previous)
        except BaseException:
            _tidy_after_interrupt(tmp, parked, target, new_inode, keep_previous)
            raise
        _fsync_folder(target.parent)
    return notes


def _swap_in(new: Path, target: Path, parked: Path) -> bool:
    """Put the folder ``new`` at ``target``; True when a replaced model was moved to ``parked``."""
    if not target.exists():
        os.rename(new, target)
        return False
    if _exchange(new, target):
        os.rename(new, parked)  # ``new`` now names the old model
        return True
    os.rename(target, parked)
    try:
        os.rename(new, target)
    except BaseException:
        if not target.exists():  # Ctrl-C or an error between the two renames: the old model goes back first
            os.rename(parked, target)
        raise
    return True


def _keep_or_drop(parked: Path, target: Path, keep_previous: bool) -> None:
    if not keep_previous:
        shutil.rmtree(parked)
        return
    backup = previous_path(target)
    if backup.exists():  # an older model (checked before): set it aside, then put the replaced one in its place
        trash = _unused_name(backup, "trash")
        os.rename(backup, trash)
        os.rename(parked, backup)
        shutil.rmtree(trash)
    else:
        os.rename(parked, backup)


def _tidy_after_interrupt(tmp: Path, parked: Path, target: Path, new_inode: int, keep_previous: bool) -> None:
    """After an exception during the swap: a model at ``target``, the replaced one kept as promised, no debris."""
    if not target.exists() and parked.exists():
        os.rename(parked, target)
    if tmp.exists():
        if os.stat(tmp).st_ino == new_inode:
            shutil.rmtree(tmp, ignore_errors=True)  # the new model never went in
        elif not parked.exists():
            os.rename(tmp, parked)  # interrupted just after the exchange: ``tmp`` names the old model
    backup = previous_path(target)
    if parked.exists() and target.exists():
        if keep_previous:
            if is_model_folder(backup):
                shutil.rmtree(backup)  # the older model this run was replacing anyway
            if not backup.exists():
                os.rename(parked, backup)
        else:
            shutil.rmtree(parked, ignore_errors=True)
    for trash in target.parent.glob(f".{backup.name}.trash-*"):
        if _only_model_files(trash):
            shutil.rmtree(trash, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):
        return False  # a file system or kernel without it: two renames instead
    raise OSError(code, os.strerror(code), str(b))


def _fsync_folder(path: Path) -> None:
    """Make renames inside ``path`` durable (best effort: not every system can open a folder)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_new_folder(target: str | os.PathLike, write: Callable[[Path], T]) -> T:
    """Create the folder ``target``, which must not exist, whole or not at all; returns what ``write`` returns.

    ``write`` fills a temporary sibling (``.NAME.new-XXXX``, with the permissions the umask allows); its files are
    then synced and one rename puts it in place. Anything raised on the way (Ctrl-C included) removes the
    temporary folder and leaves ``target`` absent. For outputs that are folders (``predict --scheduler``'s
    Parquet parts); a model folder, which may replace another, is :func:`write_model_folder`'s.
    """
    target = _absolute(Path(target))
    if target.exists():
        raise OutputError(f"{target} exists; name a new folder (nothing is replaced)")
    try:
        folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    except OSError as exc:
        raise OutputError(f"cannot write here: {exc.strerror or exc}", path=str(target)) from None
    try:
        umask = os.umask(0)
        os.umask(umask)
        folder.chmod(0o777 & ~umask)  # mkdtemp makes it private; the output is for whoever the umask allows
        result = write(folder)
        for file in folder.iterdir():
            if file.is_file():
                with open(file, "rb") as handle:
                    os.fsync(handle.fileno())
        _fsync_folder(folder)
        os.rename(folder, target)  # fails if a folder with files appeared there meanwhile: nothing is replaced
        _fsync_folder(target.parent)
        return result
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def missing_model_hint(target: Path) -> str:
    """For a model folder that is not there: where an interrupted run may have left it."""
    parked = sorted(target.parent.glob(f".{target.name}.old-*")) if target.parent.is_dir() else []
    parked = [p for p in parked if is_model_folder(p)]
    if parked:
        return (
            f"; an interrupted training left the previous model in {parked[0]} (training to {target} again restores it)"
        )
    return ""


# --------------------------------------------------------------------------- reading


def default_model_path() -> Path:
    """The model shipped inside the package."""
    return Path(str(resources.files("themetag") / "models" / "default"))


def read_model_folder(path: str | os.PathLike | None = None) -> tuple[dict, dict[str, np.ndarray], Path]:
    """(metadata, arrays, folder) of a model folder (``None``: the shipped model), its format version checked.

    Nothing in the folder is executed: ``model.npz`` is read as plain arrays (no pickle). A folder that is not a
    model of this format raises ModelError saying what to do.
    """
    from .io import read_bounded

    directory = default_model_path() if path is None else Path(path)
    if not directory.is_dir():
        hint = missing_model_hint(directory) if not directory.exists() else ""
        raise ModelError(
            f"{directory}: not a model directory (expected a folder with {ARRAYS_FILE} and {METADATA_FILE}){hint}"
        )
    meta_file = directory / METADATA_FILE
    if not meta_file.exists():
        raise ModelError(f"{directory}: not a themetag model: {METADATA_FILE} is missing")
    raw, _ = read_bounded(meta_file, ModelError, limit=MAX_METADATA_BYTES)
    try:
        metadata = json.loads(raw.decode("utf-8"))
        if not isinstance(metadata, dict):
            raise ValueError("not a JSON object")
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ModelError(f"{meta_file}: unreadable metadata ({type(exc).__name__}: {str(exc)[:200]})") from None
    check_format(directory, metadata)
    model_file = directory / ARRAYS_FILE
    if not model_file.is_file():
        raise ModelError(f"{directory}: not a themetag model: {ARRAYS_FILE} is missing")
    absent = [key for key in ("schema", "model") if not isinstance(metadata.get(key), dict)]
    if absent:  # checked before the arrays are read: a folder that is no model costs nothing more
        raise ModelError(
            f"{meta_file}: not themetag model metadata (no {' or '.join(map(repr, absent))} object); "
            "retrain it with `themetag train`"
        )
    return metadata, read_arrays(model_file), directory


def check_format(directory: Path, metadata: dict) -> None:
    """Refuse a model of another format version, saying what to do (upgrade, or retrain)."""
    found = metadata.get("format_version")
    if found == FORMAT_VERSION:
        return
    made_with = metadata.get("versions")
    made_by = made_with.get("themetag") if isinstance(made_with, dict) else None
    made_by = made_by if isinstance(made_by, str) else "an unknown themetag"
    if isinstance(found, int) and found > FORMAT_VERSION:
        advice = "upgrade themetag, or retrain the model with this one"
    elif found == 1:
        advice = "format 1 stored the model as a pickle, which can run code when loaded, so it is not read; retrain it"
    else:
        advice = "retrain it"
    raise ModelError(
        f"{directory}: model format {found!r} (made by themetag {made_by}); this themetag reads format {FORMAT_VERSION}: "
        f"{advice} with `themetag train --labels DIR --out {directory}`"
    )


def shipped_schema() -> Schema:
    """The shipped model's label schema, read from its metadata.json (the model's arrays are not loaded)."""
    from .io import read_bounded

    raw, _ = read_bounded(default_model_path() / METADATA_FILE, ModelError, limit=MAX_METADATA_BYTES)
    return Schema.from_dict(json.loads(raw)["schema"])


def write_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """An .npz that ``np.load`` reads, written byte-for-byte reproducibly (fixed zip timestamps, sorted names)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            archive.writestr(info, buffer.getvalue())


def read_arrays(path: Path) -> dict[str, np.ndarray]:
    """Arrays from an .npz, refusing anything that would need pickle (object arrays)."""
    try:
        with zipfile.ZipFile(path) as archive:
            if sum(i.file_size for i in archive.infolist()) > _MAX_ARRAYS_BYTES:
                raise ModelError(f"{path}: larger than any themetag model ({_MAX_ARRAYS_BYTES >> 20} MiB uncompressed)")
        with np.load(path, allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except ModelError:
        raise
    except Exception as exc:  # truncated zip, foreign file, object arrays: each fails its own way
        raise ModelError(f"{path}: not a themetag model array file ({type(exc).__name__}: {exc})") from None


# --------------------------------------------------------------------------- writing


def _json_default(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def versions() -> dict:
    """Versions of what made a model; read from package metadata, so nothing heavy is imported."""
    from importlib import metadata

    from ._version import __version__

    found = {"themetag": __version__, "python": platform.python_version()}
    for package in ("numpy", "scikit-learn", "snowballstemmer"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found


def build_metadata(
    model: "Model", *, labels: dict, cv_summary: dict | None, languages: list[str] | None = None
) -> dict:
    """metadata.json of a model: format, versions, schema, what it was trained on (its labels and their languages,
    :func:`themetag.language.main_languages`), settings, CV summary."""
    settings, _ = model.to_data()
    return {
        "format_version": FORMAT_VERSION,
        "versions": versions(),
        "schema": model.schema.to_dict(),
        "labels": labels,
        "languages": list(languages or []),
        "training": model.training,
        "model": settings,
        "cv": cv_summary,
    }


def save_model_folder(
    target: Path, metadata: dict, arrays: dict[str, np.ndarray], *, card: str | None = None, keep_previous: bool = False
) -> Path:
    """Write a model folder (metadata.json, model.npz, the card) through :func:`write_model_folder`: a model already
    at ``target`` is replaced only once the new one is complete."""
    text = (
        json.dumps(metadata, indent=2, default=_json_default) + "\n"
    )  # key order kept: the schema's order is the output's

    def write(folder: Path) -> None:
        write_arrays(folder / ARRAYS_FILE, arrays)
        (folder / METADATA_FILE).write_text(text, encoding="utf-8")
        if card is not None:
            (folder / CARD_FILE).write_text(card, encoding="utf-8")

    write_model_folder(target, write, keep_previous=keep_previous)
    return target
