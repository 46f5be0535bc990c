"""The examples in docstrings, the README and docs/ run, and give what they show.

Module docstrings are run with :mod:`doctest` from the installed package (so the
same test works for an editable and a plain install). README examples: ``>>>``
sessions are doctests, other ``python`` blocks must run, ``console`` blocks are
run in a shell and must print what they show, and every ``themetag`` command
line in a ``bash`` block must name a command and options that exist.
"""

from __future__ import annotations

import doctest
import importlib
import os
import pkgutil
import re
import shlex
import subprocess
import sys

import pytest
from conftest import REPO
from typer.testing import CliRunner

import themetag
from themetag.cli import app

#: The pages whose examples run: the README and the documentation beside it (the generated CLI reference aside).
PAGES = [REPO / "README.md", *sorted(p for p in (REPO / "docs").glob("*.md") if p.name != "cli.md")]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
BLOCKS = [(lang, body) for page in PAGES for lang, body in FENCE.findall(page.read_text(encoding="utf-8"))]

MODULES = sorted(m.name for m in pkgutil.iter_modules(themetag.__path__) if m.name != "__main__")


@pytest.mark.parametrize("name", MODULES)
def test_module_docstring_examples(name, monkeypatch):
    monkeypatch.chdir(REPO)  # some examples read the project's seeds and labels
    module = importlib.import_module(f"themetag.{name}")
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, module.__name__):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0


def test_every_module_is_covered_and_the_headline_example_has_content():
    assert {"segmentation", "tagger", "schema", "io", "output"} <= set(MODULES)
    kinds = [p.kind for p in themetag.segment("Title\n\nThe army moved in.\n\nSHARE")]
    assert kinds == ["heading", "content", "boilerplate"]


PY_SESSIONS = [body for lang, body in BLOCKS if lang == "python" and ">>>" in body]
PY_SCRIPTS = [body for lang, body in BLOCKS if lang == "python" and ">>>" not in body]
CONSOLE = [body for lang, body in BLOCKS if lang == "console"]
BASH_COMMANDS = [
    line.split("#")[0].strip()
    for lang, body in BLOCKS
    if lang == "bash"
    for line in body.splitlines()
    if line.startswith("themetag ")
]


def test_readme_has_examples_of_each_kind():
    assert PY_SESSIONS and PY_SCRIPTS and CONSOLE and BASH_COMMANDS


@pytest.mark.parametrize("session", PY_SESSIONS, ids=lambda s: s.splitlines()[1][:40])
def test_readme_python_session(session, monkeypatch):
    monkeypatch.chdir(REPO)
    test = doctest.DocTestParser().get_doctest(session, {}, "README", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


@pytest.mark.parametrize("script", PY_SCRIPTS, ids=lambda s: s.splitlines()[-1][:40])
def test_readme_python_block_runs(script, monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    exec(compile(script, "README.md", "exec"), {"__name__": "readme"})
    assert capsys.readouterr().out  # the block prints what it shows


def _console_examples(body: str) -> list[tuple[str, str]]:
    examples: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            examples.append((line[2:], []))
        elif examples:
            examples[-1][1].append(line)
    return [(command, "\n".join(output) + "\n") for command, output in examples]


CONSOLE_EXAMPLES = [example for body in CONSOLE for example in _console_examples(body)]


def _run_on_a_terminal(command: str) -> tuple[int, str]:
    """Run a shell command with its standard output on a pseudo-terminal, as a reader of the README would."""
    import pty

    env = dict(
        os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""), COLUMNS="200"
    )
    controller, terminal = pty.openpty()
    with subprocess.Popen(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=subprocess.DEVNULL,
    ) as process:
        os.close(terminal)
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed: the command is done
                break
            if not chunk:
                break
            chunks.append(chunk)
        code = process.wait(timeout=120)
    os.close(controller)
    return code, b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
@pytest.mark.parametrize("command, expected", CONSOLE_EXAMPLES, ids=[c for c, _ in CONSOLE_EXAMPLES])
def test_readme_console_example(command, expected):
    code, output = _run_on_a_terminal(command)
    assert code == 0
    assert output == expected


@pytest.mark.parametrize("line", BASH_COMMANDS)
def test_readme_command_lines_name_real_commands_and_options(line):
    words = shlex.split(line)
    command = words[1]
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0, f"{command}: {result.output}"
    for option in (w.split("=")[0] for w in words[2:] if w.startswith("--")):
        assert option in result.output, f"README names {option} for `themetag {command}`, which has no such option"


def test_the_cli_reference_is_current():
    from themetag.cli import reference

    written = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert written == reference(), "docs/cli.md is not current: run python scripts/cli_reference.py"


def test_every_relative_link_of_the_pages_resolves():
    link = re.compile(r"\]\(([^)\s]+)\)")
    broken = []
    for page in PAGES:
        for target in link.findall(page.read_text(encoding="utf-8")):
            if target.startswith(("http://", "https://", "#", "mailto:")):
                continue
            if not (page.parent / target.split("#")[0]).exists():
                broken.append(f"{page.relative_to(REPO)}: {target}")
    assert not broken, "links to nothing:\n" + "\n".join(broken)
