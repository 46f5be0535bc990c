"""Shared helpers for the benchmark scripts: real-text articles, machine facts, tables, JSON, RSS.

Not a benchmark itself. Standard library only at import time (cold_start.py
imports it, and must not pay for numpy or themetag before it measures them).

Articles are built at run time from real text and never written to disk:

* ``seeds/*.txt`` — the five seed articles, whole;
* ``<corpus>/insightcrime_articles.jsonl`` — 38 whole InSight Crime articles (row ``text``);
* ``<corpus>/ungdc.jsonl`` — 242 UN General Debate speeches: each row is one paragraph,
  rows are grouped by their ``doc`` field (in file order) and joined with blank lines;
* ``<corpus>/wikipedia.jsonl`` — 127 Wikipedia pages: likewise, rows grouped by ``doc``.

That is 412 documents; a benchmark of N articles cycles through them in a
fixed shuffled order (seed 0), so any prefix mixes the four sources.
"""

from __future__ import annotations

import json
import os
import platform
import random
import re
import resource
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Iterator, Sequence

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
DEFAULT_CORPUS = (REPO / ".." / "shared" / "corpus").resolve()
SHUFFLE_SEED = 0

# Corpus files whose rows are paragraphs of a larger document, grouped by "doc".
PARAGRAPH_FILES = ("ungdc.jsonl", "wikipedia.jsonl")
# Corpus files whose rows are whole articles.
ARTICLE_FILES = ("insightcrime_articles.jsonl",)


# --------------------------------------------------------------------------- real text


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_documents(corpus: str | os.PathLike, seeds: str | os.PathLike = SEEDS) -> list[tuple[str, str]]:
    """(id, text) of every whole real document: seed articles, corpus articles, corpus speeches/pages.

    Raises SystemExit with a clear message when the corpus folder is missing.
    """
    corpus = Path(corpus)
    if not corpus.is_dir():
        raise SystemExit(f"corpus folder {corpus} not found; pass --corpus DIR (see /work/shared/corpus/README.md)")
    docs: list[tuple[str, str]] = []
    for path in sorted(Path(seeds).glob("*.txt")):
        docs.append((f"seeds/{path.stem}", path.read_text(encoding="utf-8")))
    for name in ARTICLE_FILES:
        for row in _read_jsonl(corpus / name):
            docs.append((row["id"], row["text"]))
    for name in PARAGRAPH_FILES:
        grouped: dict[str, list[str]] = {}
        for row in _read_jsonl(corpus / name):
            grouped.setdefault(row.get("doc", row["id"]), []).append(row["text"].strip())
        for doc, paragraphs in grouped.items():
            docs.append((doc, "\n\n".join(p for p in paragraphs if p)))
    if not docs:
        raise SystemExit(f"no documents found in {corpus} or {seeds}")
    rng = random.Random(SHUFFLE_SEED)
    rng.shuffle(docs)
    return docs


def cycle_indices(n: int, n_docs: int) -> Iterator[int]:
    """Indices of the documents making up N articles: 0, 1, ..., n_docs-1, 0, 1, ..."""
    for i in range(n):
        yield i % n_docs


def iter_articles(n: int, docs: Sequence[tuple[str, str]]) -> Iterator[str]:
    """N article texts, cycling through the documents (a generator: nothing is kept)."""
    for i in cycle_indices(n, len(docs)):
        yield docs[i][1]


def real_paragraphs(docs: Sequence[tuple[str, str]]) -> list[str]:
    """Every blank-line-separated block of every document, stripped, in document order."""
    out: list[str] = []
    for _, text in docs:
        for block in re.split(r"\n[^\S\n]*\n", text.replace("\r\n", "\n")):
            block = block.strip()
            if block:
                out.append(block)
    return out


#: Corpus rows longer than this are whitespace-padded tables, not paragraphs (4 Wikipedia rows, 25-154 KB).
MAX_PARAGRAPH_CHARS = 20_000


def corpus_paragraph_rows(corpus: str | os.PathLike, max_chars: int = MAX_PARAGRAPH_CHARS) -> list[str]:
    """The corpus rows that are single paragraphs (UNGDC speeches, Wikipedia pages), shuffled (seed 0).

    Rows over ``max_chars`` are left out (tables). Joined with blank lines,
    nearly all the rest segment as content, unlike whole articles, whose
    end-of-article furniture ("Related", comment prompts) makes the segmenter
    mark everything after it as boilerplate.
    """
    corpus = Path(corpus)
    if not corpus.is_dir():
        raise SystemExit(f"corpus folder {corpus} not found; pass --corpus DIR (see /work/shared/corpus/README.md)")
    out = [row["text"].strip() for name in PARAGRAPH_FILES for row in _read_jsonl(corpus / name)]
    out = [p for p in out if p and len(p) <= max_chars]
    random.Random(SHUFFLE_SEED).shuffle(out)
    return out


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _first_sentence(text: str, max_chars: int = 400) -> str:
    sentence = _SENTENCE_END.split(text.strip(), maxsplit=1)[0]
    if len(sentence) > max_chars:
        sentence = sentence[:max_chars].rsplit(" ", 1)[0]
    return sentence


def distinct_paragraphs(paragraphs: Sequence[str]) -> Iterator[str]:
    """The paragraphs verbatim, then again and again, each time made distinct from every earlier one.

    The segmenter marks a paragraph that repeats an earlier one of the same
    article as boilerplate, so cycling ~1 MB of paragraphs into a 10 MB article
    would make 90% of it boilerplate that the models never see. On pass k >= 1,
    paragraph j is followed (in the same paragraph) by the first sentence of
    paragraph j + k: still only real sentences, ~15% longer on average, and no
    two paragraphs alike (a candidate equal to an earlier one is skipped).
    """
    n = len(paragraphs)
    firsts = [_first_sentence(p) for p in paragraphs]
    seen: set[str] = set()
    for k in range(n):
        for j, p in enumerate(paragraphs):
            text = p if k == 0 else f"{p} {firsts[(j + k) % n]}"
            key = " ".join(text.lower().split())
            if key in seen:
                continue
            seen.add(key)
            yield text


def build_large_article(target_bytes: int, paragraphs: Sequence[str], *, distinct: bool = True) -> tuple[str, int]:
    """One article of at least ``target_bytes`` UTF-8 bytes: the paragraphs cycled, blank lines between.

    ``distinct``: use :func:`distinct_paragraphs` so that no paragraph repeats.
    Returns (text, number of paragraphs joined).
    """
    source = distinct_paragraphs(paragraphs) if distinct else (paragraphs[i % len(paragraphs)] for i in range(10**9))
    parts: list[str] = []
    size = 0
    for p in source:
        if size >= target_bytes:
            break
        parts.append(p)
        size += len(p.encode("utf-8")) + 2
    return "\n\n".join(parts), len(parts)


# --------------------------------------------------------------------------- machine facts


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _git_state(directory: Path) -> dict:
    try:
        top = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "--show-toplevel"], capture_output=True, text=True, timeout=10
        )
        if top.returncode != 0:
            return {"git": None}
        head = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        )
        dirty = subprocess.run(
            # From the repository's top: run from inside src/themetag, "-- src" would name a folder that is not there.
            ["git", "-C", top.stdout.strip(), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return {"git": head.stdout.strip(), "src_modified": bool(dirty.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"git": None}


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def themetag_location() -> Path | None:
    """Where ``import themetag`` would come from, without importing it."""
    import importlib.util

    spec = importlib.util.find_spec("themetag")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).resolve().parent


def environment(extra_packages: Sequence[str] = ()) -> dict:
    """Machine and software facts printed with every result (no heavy imports)."""
    location = themetag_location()
    info = {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "platform": platform.platform(),
        "numpy": _version("numpy"),
        "scikit-learn": _version("scikit-learn"),
        "themetag": _version("themetag"),
        "themetag_path": str(location) if location else None,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "loadavg_1_5_15": _loadavg(),
    }
    for name in extra_packages:
        info[name] = _version(name)
    if location is not None:
        state = _git_state(location)
        info["themetag_git"] = state.get("git")
        if state.get("git"):
            info["themetag_src_modified"] = state.get("src_modified")
    return info


def print_environment(info: dict) -> None:
    keys = [
        "cpu_count",
        "python",
        "numpy",
        "scikit-learn",
        "themetag",
        "themetag_path",
        "themetag_git",
        "themetag_src_modified",
    ]
    keys += [k for k in info if k not in keys and k not in ("python_executable", "platform", "time")]
    print("machine: " + ", ".join(f"{k}={info[k]}" for k in keys if k in info))
    print(
        f"python: {info['python_executable']} ({info['platform']}); load average at start {info.get('loadavg_1_5_15')}"
    )


# --------------------------------------------------------------------------- output


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table, columns left-aligned, numbers right-aligned."""
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in cells)) if cells else len(str(h)) for i, h in enumerate(headers)]
    numeric = [all(isinstance(row[i], (int, float)) for row in rows) if rows else False for i in range(len(headers))]

    def line(values):
        return "  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)).rstrip()

    out = [line([str(h) for h in headers]), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    return "\n".join(out)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 1:
            return f"{value:.2f}"
        return f"{value:.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "-" if value is None else str(value)


def save_json(path: str | os.PathLike | None, data: dict) -> None:
    if not path:
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    print(f"results written to {path}")


def summary(values: Sequence[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": list(values)}


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- memory (Linux)


def maxrss_mb() -> float:
    """``getrusage(RUSAGE_SELF).ru_maxrss`` in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def proc_status_mb() -> dict:
    """VmRSS (current) and VmHWM (peak since start or since the last reset) in MiB, from /proc/self/status."""
    out = {}
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return out


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark to the current RSS (``echo 5 > /proc/self/clear_refs``).

    After it, VmHWM is the peak since this call, so a tagging peak is not hidden
    by a higher peak while loading. Returns False where not supported.
    """
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def run_child(args: Sequence[str], *, timeout: float | None = None) -> dict:
    """Run ``python THIS_SCRIPT --child ...`` in a fresh process; its last stdout line is JSON."""
    proc = subprocess.run([sys.executable, *args], stdout=subprocess.PIPE, stderr=None, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise SystemExit(f"child {' '.join(args)} failed with exit code {proc.returncode}")
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if not lines:
        raise SystemExit(f"child {' '.join(args)} printed no result")
    return json.loads(lines[-1])
