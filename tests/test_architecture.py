"""The layout stays readable: no import circles, each step importable alone, a Tagger that travels."""

from __future__ import annotations

import ast
import pickle
import subprocess
import sys
from pathlib import Path

import themetag

PACKAGE = Path(themetag.__file__).parent


def _internal_imports(path: Path) -> set[str]:
    """The themetag modules a module imports, at any depth in its code, except under ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return  # for type checkers only: never imported at run time
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("themetag."):
            found.add(node.module.split(".")[1])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {p.stem: p for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__")}
    return {name: _internal_imports(path) & set(modules) for name, path in modules.items()}


def test_no_module_imports_one_that_imports_it_back():
    graph = _graph()
    assert {"schema", "io", "output", "evaluation", "workflow", "card"} <= set(graph)
    # Depth-first search for a cycle, naming it if found.
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        path.append(name)
        for imported in sorted(graph[name]):
            if state.get(imported) == 1:
                cycle = path[path.index(imported) :] + [imported]
                raise AssertionError("import circle: " + " -> ".join(cycle))
            if imported not in state:
                visit(imported)
        path.pop()
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)


#: The modules from the bottom floor up: a module imports only modules on lower floors (an import under
#: ``if TYPE_CHECKING:`` is for type checkers, never run, and does not count). Reading a floor's modules needs only
#: the floors below it.
FLOORS = [
    {"_version", "errors", "language"},  # no themetag imports
    {"io", "segmentation", "features"},  # files → articles; article → paragraphs; paragraph → features
    {"schema", "config", "report"},  # label schema; training settings; CV tables
    {"store", "metrics"},  # the model folder; scores
    {"model", "labels", "card"},  # vectors → scores; labeled paragraphs; the model card
    {"tagger", "training"},  # scores → tags; labels → a fitted model
    {"output", "evaluation", "interop", "collection", "agreement"},  # tags → files; grouped CV; annotation tools;
    # pictures; agreement between annotators
    {"cluster", "estimates", "review", "workflow", "prelabel"},  # Dask; shares with intervals; suggestions; a
    # whole run; LLM pre-labels
    {"cli"},  # wraps the library
]


def test_every_import_points_down_the_floors():
    graph = _graph()
    floor = {name: level for level, names in enumerate(FLOORS) for name in names}
    assert set(floor) == set(graph), f"give each module a floor: {sorted(set(graph) ^ set(floor))}"
    upward = sorted(
        f"{name} (floor {floor[name]}) imports {other} (floor {floor[other]})"
        for name, imported in graph.items()
        for other in imported
        if floor[other] >= floor[name]
    )
    assert not upward, "imports that point up or sideways:\n" + "\n".join(upward)


def test_the_cycle_check_finds_a_cycle(tmp_path):
    (tmp_path / "a.py").write_text("from .b import x\n")
    (tmp_path / "b.py").write_text("def f():\n    from .a import y\nif TYPE_CHECKING:\n    from .c import z\n")
    assert _internal_imports(tmp_path / "a.py") == {"b"}
    assert _internal_imports(tmp_path / "b.py") == {"a"}  # a lazy import counts; a TYPE_CHECKING one does not


def _modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(m for m in sys.modules if m.startswith(('themetag', 'sklearn', 'scipy')))))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_each_step_imports_only_what_it_needs():
    model = _modules_after("import themetag.model")
    assert "themetag.labels" not in model and "themetag.segmentation" not in model
    assert model <= {
        "themetag",
        "themetag._version",
        "themetag._featurize",
        "themetag.errors",
        "themetag.features",
        "themetag.model",
        "themetag.schema",
    }
    assert _modules_after("import themetag") == {"themetag", "themetag._version", "themetag.errors"}
    settings = _modules_after("import themetag; themetag.TrainConfig(seed=1)")
    assert not any(m.startswith(("sklearn", "scipy", "themetag.training")) for m in settings)
    tagging = _modules_after("import themetag; themetag.tag('The army moved in.')")
    assert not any(m.startswith(("sklearn", "scipy", "themetag.training", "themetag.labels")) for m in tagging)


def test_a_tagger_pickles_and_tags_identically_after():
    tagger = themetag.load()
    texts = [
        "The army eradicated 20,000 hectares of coca.",
        "Farmers switched to cacao and coffee.",
        "",
        "Ñandú über café",
    ]
    before = [t.to_dict() for t in tagger.tag_paragraphs(texts, explain=3)]
    copy = pickle.loads(pickle.dumps(tagger))
    assert [t.to_dict() for t in copy.tag_paragraphs(texts, explain=3)] == before
    article = (Path(__file__).parent.parent / "seeds" / "002_b13f9584dabc5cc1.txt").read_text(encoding="utf-8")
    assert copy.tag(article).to_dict() == tagger.tag(article).to_dict()
    # The word caches that tagging filled are rebuilt on arrival, not shipped: a used tagger pickles as a fresh one.
    assert len(pickle.dumps(copy)) == len(pickle.dumps(themetag.load(tagger.path)))


def test_public_names_are_listed_and_resolve():
    for name in themetag.__all__:
        assert getattr(themetag, name) is not None
    assert {"train", "evaluate", "TrainConfig", "CVReport"} <= set(dir(themetag))


def test_every_training_setting_is_described_once_where_it_is_declared():
    from dataclasses import fields

    from themetag.config import TrainConfig, config_text, setting_doc

    text = " ".join(line.lstrip("# ") for line in config_text().splitlines())
    for setting in fields(TrainConfig):
        assert setting.metadata.get("doc"), f"TrainConfig.{setting.name} has no description"
        assert setting_doc(setting.name) in text  # what init-config writes above it


def test_the_version_and_the_model_format_change_together():
    """CHANGELOG.md's entry for this version names the model format this version writes: a change of format
    without a new version (and its entry) fails here."""
    import re

    from conftest import REPO

    from themetag.store import FORMAT_VERSION

    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    entries = re.findall(r"^## \[(\d+\.\d+\.\d+)\][^\n]*\n+Model format: (\d+)", changelog, re.MULTILINE)
    assert entries, "CHANGELOG.md has no released entries with their model format"
    assert entries[0] == (themetag.__version__, str(FORMAT_VERSION)), (
        f"the newest entry is {entries[0]}; this is themetag {themetag.__version__} writing format {FORMAT_VERSION}"
    )
    formats = [int(f) for _, f in entries]
    assert formats == sorted(formats, reverse=True) and len(set(v for v, _ in entries)) == len(entries)


def _public_without_docstring() -> list[str]:
    """Public functions, classes and methods (names without a leading underscore, defined in themetag) whose
    documentation, inherited ones included, is empty."""
    import importlib
    import inspect
    import pkgutil

    missing = []
    for info in pkgutil.iter_modules(themetag.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"themetag.{info.name}")
        for name, value in vars(module).items():
            if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(value) or inspect.isclass(value):
                if not inspect.getdoc(value):
                    missing.append(f"{info.name}.{name}")
            if inspect.isclass(value):
                for attribute, member in vars(value).items():
                    if attribute.startswith("_"):
                        continue
                    function = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
                    function = function.fget if isinstance(function, property) else function
                    if inspect.isfunction(function) and not inspect.getdoc(getattr(value, attribute)):
                        missing.append(f"{info.name}.{name}.{attribute}")
    return sorted(missing)


def test_every_public_name_has_a_docstring():
    missing = _public_without_docstring()
    assert not missing, f"{len(missing)} public names without a docstring:\n" + "\n".join(missing)


def test_a_config_with_an_llm_source_weight_reads_back():
    from themetag.config import TrainConfig, config_text, parse_config

    config = TrainConfig(source_weights={"llm:llama3.2": 0.5, "my_outlet": 3.0})
    assert parse_config(config_text(config)) == config  # "llm:llama3.2" is quoted: a bare TOML key cannot hold ':'
