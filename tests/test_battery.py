"""Hostile inputs against the real command line: nothing the user made is lost, nothing ends in a traceback.

Each case builds small files in a temporary folder, runs ``python -m themetag ...`` there (under a memory
limit and a timeout, so a case that would hang or eat memory fails instead), and checks:

* the exit code the README documents (0 ok, 1 some input or output failed, 2 usage);
* no "Traceback" and no "internal error" on stderr (an internal error would be a bug reported politely);
* the error names the input (file, and line where there is one);
* every file that existed before the run has the same bytes after it.

Interrupts between the two renames of a model swap, and two trains racing for one folder, are injected in
``tests/test_store.py``, where they can be timed exactly.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
from conftest import REPO, copy_seed_labels

MEMORY_LIMIT = 3 << 30  # address space, bytes: Python, NumPy and the model need well under 1 GiB


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every regular file's bytes (folders and special files by kind), to compare before and after a run."""
    out: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        if path.is_symlink():
            out[key] = f"link to {os.readlink(path)}"
        elif path.is_file():
            out[key] = path.read_bytes() if path.stat().st_size < 50_000_000 else f"{path.stat().st_size} bytes"
        elif path.is_dir():
            out[key] = "folder"
        else:
            out[key] = "special"
    return out


@dataclass
class Case:
    """Files to make, a command line (a list, or a shell string), and what must come out."""

    make: Callable[[Path], None]
    args: list[str] | str
    code: int
    stderr_has: list[str] = field(default_factory=list)
    stdout_has: list[str] = field(default_factory=list)
    may_create: tuple[str, ...] = ()  # new files the run may leave (outputs that were asked for)


def seed(name: str = "002_b13f9584dabc5cc1.txt") -> bytes:
    return (REPO / "seeds" / name).read_bytes()


def article(folder: Path, name: str = "good.txt") -> None:
    (folder / name).write_bytes(seed())


def labels(folder: Path) -> None:
    copy_seed_labels(folder / "L")


def in_order(*steps: Callable[[Path], None]) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        for step in steps:
            step(folder)

    return make


def write(name: str, data: bytes | str) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))

    return make


def model_copy(edit: Callable[[dict], None]) -> Callable[[Path], None]:
    """The shipped model with its settings edited and the hash rewritten, as a forger who knows the format would."""

    def make(folder: Path) -> None:
        from themetag.model import content_hash
        from themetag.store import read_arrays

        target = folder / "hostile"
        shutil.copytree(REPO / "src" / "themetag" / "models" / "default", target)
        meta = json.loads((target / "metadata.json").read_text())
        edit(meta)
        meta["model"]["sha256"] = content_hash(meta["model"], read_arrays(target / "model.npz"))
        (target / "metadata.json").write_text(json.dumps(meta))

    return make


def _set_ngrams(meta: dict) -> None:
    meta["model"]["features"]["word_ngrams"] = [1, 3000]


def _nan_threshold(meta: dict) -> None:
    meta["model"]["theme_thresholds"]["militarization"] = float("nan")


LS_EXPORT_WITH_SURROGATE = (
    '[{"id": 1, "data": {"text": "army \\ud800"}, "annotations": [{"result": '
    '[{"from_name": "stance", "to_name": "text", "type": "choices", "value": {"choices": ["neutral"]}}]}]}]'
)
DOCCANO_SHARED_IDS = '{"id": 1, "text": "First.", "label": ["stance:neutral"]}\n{"id": 1, "text": "Second.", "label": ["stance:favor"]}\n'
SCHEMA = (REPO / "labels" / "schema.json").read_text()

CASES = {
    # ------------------------------------------------------------------ data loss
    "import-labels --force with a lone surrogate keeps the old file": Case(
        in_order(write("export.json", LS_EXPORT_WITH_SURROGATE), write("mine.jsonl", "precious\n")),
        [
            "import-labels",
            "export.json",
            "--from",
            "label-studio",
            "--schema",
            str(REPO / "labels"),
            "--out",
            "mine.jsonl",
            "--force",
        ],
        1,
        ["export.json:1", "lone surrogate"],
    ),
    "export-tasks --force with a bad record keeps both old files": Case(
        in_order(
            write("in.jsonl", '{"text": "ok"}\n{"text": ""}\n'),
            write("tasks.json", "old tasks"),
            write("tasks.label_config.xml", "old config"),
        ),
        [
            "export-tasks",
            "in.jsonl",
            "--to",
            "label-studio",
            "--schema",
            str(REPO / "labels"),
            "--out",
            "tasks.json",
            "--force",
        ],
        1,
        ["in.jsonl:2"],
    ),
    "train --force into a folder that is not a model": Case(
        in_order(labels, write("d/thesis.txt", "four years")),
        ["train", "--labels", "L", "--out", "d", "--force", "--no-evaluate"],
        1,
        ["d: is a folder that is not a themetag model"],
    ),
    "train --force beside an unrelated OUT.previous": Case(
        in_order(labels, model_copy(lambda m: None), write("hostile.previous/notes.txt", "mine")),
        ["train", "--labels", "L", "--out", "hostile", "--force", "--no-evaluate"],
        1,
        ["hostile.previous exists and is not a themetag model"],
    ),
    "train --out . refuses the working folder": Case(
        labels,
        ["train", "--labels", "L", "--out", ".", "--force", "--no-evaluate"],
        1,
        [".: is a folder that is not a themetag model"],
    ),
    # ------------------------------------------------------------------ resource bounds
    "a 1 GB sparse file is refused before reading": Case(
        lambda f: os.truncate(write("x.txt", b"")(f) or f / "x.txt", 1 << 30),
        ["predict", "x.txt"],
        1,
        ["x.txt: 1,073,741,824 bytes is over"],
    ),
    "/dev/zero named z.txt is refused": Case(
        lambda f: (f / "z.txt").symlink_to("/dev/zero"), ["predict", "z.txt"], 1, ["z.txt: not a regular file"]
    ),
    "a FIFO named f.txt is refused without hanging": Case(
        lambda f: os.mkfifo(f / "f.txt"), ["predict", "f.txt"], 1, ["f.txt: not a regular file"]
    ),
    "a FIFO among the label files is refused without hanging": Case(
        in_order(labels, lambda f: os.mkfifo(f / "L" / "x.jsonl")),
        ["train", "--labels", "L", "--out", "m", "--no-evaluate"],
        1,
        ["x.jsonl: not a regular file"],
    ),
    "a 19 MB one-word article is tagged within the memory limit": Case(
        write("word.txt", b"x" * 19_000_000),
        ["predict", "word.txt", "-f", "jsonl"],
        0,
        stdout_has=['"id": "word"'],
    ),
    "a model asking for 3000-word n-grams is refused": Case(
        model_copy(_set_ngrams),
        ["predict", "--model", "hostile", "-"],
        1,
        ["word_ngrams must be [low, high]"],
    ),
    "a model with a NaN threshold is refused": Case(
        model_copy(_nan_threshold),
        ["predict", "--model", "hostile", "-"],
        1,
        ["threshold of theme 'militarization' must be a number"],
    ),
    # ------------------------------------------------------------------ what used to end in a traceback
    "standard output closed": Case(
        article, "python -m themetag predict good.txt >&-", 2, ["standard output is closed"]
    ),
    "standard input closed": Case(
        lambda f: None, "python -m themetag predict - <&-", 1, ["<stdin>: cannot read standard input"]
    ),
    "output to a full device": Case(
        article, "python -m themetag predict good.txt > /dev/full", 1, ["standard output: No space left on device"]
    ),
    "--output in a missing folder is refused before the work": Case(
        labels,
        ["evaluate-segmentation", "--labels", "L", "--output", "nodir/s.json"],
        1,
        ["nodir/s.json: folder 'nodir' does not exist"],
    ),
    "--predictions that is a folder is refused before cross-validation": Case(
        in_order(labels, write("out/keep.txt", "x")),
        ["evaluate", "--labels", "L", "--predictions", "out"],
        1,
        ["out: is a directory"],
    ),
    "--report that is a file is refused before cross-validation": Case(
        in_order(labels, write("rep", "x")),
        ["evaluate", "--labels", "L", "--report", "rep"],
        1,
        ["rep: exists and is not a folder"],
    ),
    "import-labels --out in a missing folder": Case(
        write("export.json", "[]"),
        [
            "import-labels",
            "export.json",
            "--from",
            "label-studio",
            "--schema",
            str(REPO / "labels"),
            "--out",
            "nodir/x.jsonl",
        ],
        1,
        ["nodir/x.jsonl: folder 'nodir' does not exist"],
    ),
    "a schema.json that is a folder": Case(
        in_order(write("in.jsonl", '{"text": "ok"}\n'), lambda f: (f / "s" / "schema.json").mkdir(parents=True)),
        ["export-tasks", "in.jsonl", "--to", "doccano", "--schema", "s", "--out", "t.jsonl"],
        1,
        ["schema.json: is a directory"],
    ),
    "a deeply nested schema.json": Case(
        in_order(write("in.jsonl", '{"text": "ok"}\n'), write("s/schema.json", "[" * 100_000)),
        ["export-tasks", "in.jsonl", "--to", "doccano", "--schema", "s", "--out", "t.jsonl"],
        1,
        ["schema.json: schema is not JSON themetag can read"],
    ),
    "a schema description that is not a string": Case(
        in_order(
            write("in.jsonl", '{"text": "ok"}\n'),
            write("s/schema.json", '{"themes": {"a": {"description": 5}}, "stances": ["neutral"]}'),
        ),
        ["export-tasks", "in.jsonl", "--to", "label-studio", "--schema", "s", "--out", "t.json"],
        1,
        ["the description of 'a' must be a string"],
    ),
    "malformed model metadata (versions a list)": Case(
        model_copy(lambda m: m.update(format_version=3, versions=["x"])),
        ["predict", "--model", "hostile", "-"],
        1,
        ["model format 3 (made by themetag an unknown themetag)"],
    ),
    "a cp1252 article among the labeled articles": Case(
        in_order(
            write("L/schema.json", SCHEMA),
            write(
                "L/x.jsonl",
                json.dumps(
                    {
                        "doc": "x",
                        "para": 0,
                        "text": "Caf\u00e9 owners protested against the troops in the square today.",
                        "kind": "content",
                        "themes": [],
                        "stance": "against",
                    }
                )
                + "\n",
            ),
            write("arts/x.txt", "Caf\xe9 owners protested against the troops in the square today.\n".encode("cp1252")),
        ),
        ["evaluate-segmentation", "--labels", "L", "--articles", "arts"],
        0,
        ["arts/x.txt: not valid UTF-8; read as Windows-1252"],
        ["content recall"],
    ),
    "a broken corpus line": Case(
        in_order(
            write("L/schema.json", SCHEMA),
            write(
                "L/c.jsonl",
                '{"corpus": "c.jsonl", "id": "a", "para": null, "text_sha256": "x", "kind": "content", "themes": [], "stance": "neutral"}\n',
            ),
            write("corpus/c.jsonl", '{"id": "a", "text": "ok"}\n{"id": "b", "text\n'),
        ),
        ["train", "--labels", "L", "--corpus", "corpus", "--out", "m", "--no-evaluate"],
        1,
        ["c.jsonl:2: corpus row: not valid JSON"],
    ),
    "JSON Lines with a lone surrogate and a deep line: the other lines are still tagged": Case(
        write(
            "a.jsonl",
            '{"id": "x", "text": "army \\ud800"}\n'
            + "[" * 100_000
            + "\n"
            + '{"id": "ok", "text": "The army eradicated coca."}\n',
        ),
        ["predict", "a.jsonl", "-f", "jsonl"],
        1,
        ["a.jsonl:1: holds a lone surrogate", "a.jsonl:2: not valid JSON we can read: nested too deeply"],
        ['"id": "ok"'],
    ),
    "CSV with --explain when the first paragraph is not content": Case(
        write("a.txt", "SHARE\n\nThe army eradicated coca in the valley, officials said on Monday.\n"),
        ["predict", "a.txt", "-f", "csv", "--explain", "2"],
        0,
        stdout_has=["explanation"],
    ),
    # ------------------------------------------------------------------ behaviour that surprised
    "an empty folder between two articles: both articles are tagged": Case(
        in_order(article, lambda f: article(f, "good2.txt"), lambda f: (f / "emptydir").mkdir()),
        ["predict", "good.txt", "emptydir", "good2.txt", "-f", "jsonl"],
        1,
        ["emptydir: directory has no"],
        ['"id": "good"', '"id": "good2"'],
    ),
    "a reader that stops early is a normal end": Case(
        in_order(article, lambda f: article(f, "good2.txt")),
        "set -o pipefail; python -m themetag predict good.txt good2.txt -f jsonl 2>/dev/null | head -1 > /dev/null",
        0,
    ),
    "UTF-16 text is read, with a warning": Case(
        write("u.txt", "The army eradicated coca.".encode("utf-16")),
        ["predict", "u.txt", "-f", "jsonl"],
        0,
        ["u.txt: read as UTF-16"],
    ),
    "an empty .jsonl is refused": Case(write("e.jsonl", ""), ["predict", "e.jsonl"], 1, ["e.jsonl: empty file"]),
    "a null id is refused in one line": Case(
        write("n.jsonl", '{"id": null, "text": "The army."}\n'),
        ["predict", "n.jsonl"],
        1,
        ['n.jsonl:1: "id" must be a string or an integer, not null'],
    ),
    "an object id is refused in one line": Case(
        write("n.jsonl", '{"id": {"a": 1}, "text": "The army."}\n'),
        ["predict", "n.jsonl"],
        1,
        ['n.jsonl:1: "id" must be a string or an integer, not an object'],
    ),
    "a 5000-digit id is named as such": Case(
        write("n.jsonl", '{"id": ' + "9" * 5000 + ', "text": "x"}\n'),
        ["predict", "n.jsonl"],
        1,
        ["n.jsonl:1: a number with more than 4,300 digits"],
    ),
    "doccano examples sharing an id without doc are refused": Case(
        write("d.jsonl", DOCCANO_SHARED_IDS),
        ["import-labels", "d.jsonl", "--from", "doccano", "--schema", str(REPO / "labels"), "--out", "out.jsonl"],
        1,
        ["d.jsonl:2: example 2 (id 1): id 1 was already used at line 1"],
        may_create=("out.jsonl",),
    ),
    "a NUL byte after 64 KiB is refused": Case(
        write("b.txt", b"a " * 40_000 + b"\x00"), ["predict", "b.txt"], 1, ["b.txt: looks like a binary file"]
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_case(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    case.make(tmp_path)
    before = snapshot(tmp_path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "THEMETAG_DEBUG": ""}
    if isinstance(case.args, str):
        command: list[str] | str = case.args.replace("python -m", f"{sys.executable} -m")
        shell = True
    else:
        command, shell = [sys.executable, "-m", "themetag", *case.args], False
    found = subprocess.run(
        command,
        shell=shell,
        executable="/bin/bash" if shell else None,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limits,
        env=env,
        stdin=subprocess.DEVNULL if not shell else None,
    )
    stderr = found.stderr
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr[-3000:]
    assert found.returncode == case.code, f"exit {found.returncode}, expected {case.code}\n{stderr[-2000:]}"
    for text in case.stderr_has:
        assert text in stderr, f"{text!r} not in stderr:\n{stderr[-2000:]}"
    for text in case.stdout_has:
        assert text in found.stdout, f"{text!r} not in stdout:\n{found.stdout[:2000]}"
    errors = [line for line in stderr.splitlines() if line.startswith("Error: ")]
    assert all(len(line) < 2000 for line in errors)  # one line each, not a dump
    after = snapshot(tmp_path)
    changed = [k for k in before if after.get(k) != before[k]]
    assert not changed, f"pre-existing files changed: {changed}"
    new = set(after) - set(before) - set(case.may_create)
    assert not {n for n in new if not n.startswith(".") and not n.endswith(".lock")}, (
        f"files left behind: {sorted(new)}"
    )


def test_inputs_that_ended_in_internal_errors_get_one_line(tmp_path):
    """Each of these once ended in 'internal error' (exit 3): now one line naming the file, exit 1 (or 2 for usage)."""
    import json as _json

    from typer.testing import CliRunner

    from themetag.cli import app

    def run(*args):
        result = CliRunner().invoke(app, [str(a) for a in args])
        assert "internal error" not in result.output and "Traceback" not in result.output
        return result

    task = {
        "id": 1,
        "data": {"text": "Troops burned coca.", "para": "9" * 5000},
        "annotations": [
            {
                "result": [
                    {"from_name": "stance", "to_name": "text", "type": "choices", "value": {"choices": ["neutral"]}}
                ]
            }
        ],
    }
    (tmp_path / "ls.json").write_text(_json.dumps([task]))
    result = run(
        "import-labels",
        tmp_path / "ls.json",
        "--from",
        "label-studio",
        "--schema",
        REPO / "labels",
        "--out",
        tmp_path / "o.jsonl",
    )
    assert result.exit_code == 1 and '"para" must be a paragraph index' in result.output and len(result.output) < 600
    (tmp_path / "S").mkdir()
    (tmp_path / "S" / "schema.json").write_text('{"themes": [{"a": 1}], "stances": ["favor", "neutral"]}')
    result = run(
        "import-labels",
        tmp_path / "ls.json",
        "--from",
        "label-studio",
        "--schema",
        tmp_path / "S",
        "--out",
        tmp_path / "o.jsonl",
    )
    assert result.exit_code == 1 and '"themes" lists names (strings)' in result.output
    (tmp_path / "deep.toml").write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n")
    result = run("evaluate", "--labels", REPO / "labels", "--config", tmp_path / "deep.toml")
    assert result.exit_code == 1 and "nested too deep" in result.output
    result = run(
        "predict", REPO / "seeds" / "002_b13f9584dabc5cc1.txt", "--scheduler", "not a url", "--out", tmp_path / "d"
    )
    assert result.exit_code == 1 and "not a scheduler address" in result.output


def test_predict_works_with_standard_error_closed():
    result = subprocess.run(
        [sys.executable, "-m", "themetag", "predict", str(REPO / "seeds" / "002_b13f9584dabc5cc1.txt")],
        capture_output=False,
        stdout=subprocess.PIPE,
        preexec_fn=lambda: os.close(2),
        timeout=120,
        text=True,
    )
    assert result.returncode == 0 and '"dominant_themes"' in result.stdout
