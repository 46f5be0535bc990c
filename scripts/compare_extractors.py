"""Does a maintained extractor tell content from page furniture better than themetag's rules?

On every labeled article (the seeds and the corpus's InSight Crime articles),
each paragraph unit of the segmenter becomes a ``<p>`` of a plain HTML page,
and each extractor decides which units are the article:

* themetag's rules (``themetag.segment``), as shipped;
* trafilatura (``extract``, default settings, and with ``favor_recall``);
* jusText (``justext``, English stop list; "good" paragraphs are content).

A unit counts as content for trafilatura when its (first) line is a line of
the extracted text. Scores are against the labeled kinds: content recall (content
kept), content precision, content-vs-other accuracy.

The labeled articles are crawled *text*, not HTML, so the page handed to the
extractors has no markup cues (classes, ids, link density); on real HTML they
see more. What this measures is their text-level judgement on the same units
the rules see. Needs ``pip install trafilatura lxml_html_clean`` and the corpus.

    python scripts/compare_extractors.py [--corpus ../shared/corpus]
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from themetag import load_labels  # noqa: E402


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def page(units: list[str]) -> str:
    body = "\n".join(f"<p>{html.escape(u).replace(chr(10), '<br>')}</p>" for u in units)
    return f"<!doctype html><html><head><title>article</title></head><body>\n{body}\n</body></html>"


def trafilatura_kept(units: list[str], **options) -> list[bool]:
    import trafilatura

    text = trafilatura.extract(page(units), include_comments=False, include_tables=False, **options) or ""
    # Whole lines, not substrings: "SHARE" must not count as kept because a sentence says "share".
    lines = {_norm(line) for line in text.split("\n")}
    return [bool(_norm(u)) and _norm(u.split("\n")[0]) in lines for u in units]


def justext_kept(units: list[str]) -> list[bool]:
    import justext

    paragraphs = justext.justext(page(units).encode("utf-8"), justext.get_stoplist("English"))
    good = {_norm(p.text) for p in paragraphs if p.class_type == "good"}
    return [_norm(u) in good for u in units]


def score(truth: list[bool], kept: list[bool]) -> dict:
    both = sum(t and k for t, k in zip(truth, kept))
    return {
        "content_recall": round(both / sum(truth), 4),
        "content_precision": round(both / sum(kept), 4) if sum(kept) else None,
        "content_accuracy": round(sum(t == k for t, k in zip(truth, kept)) / len(truth), 4),
        "content_lost": sum(t and not k for t, k in zip(truth, kept)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default=str(REPO.parent / "shared" / "corpus"))
    args = parser.parse_args()
    labels = load_labels(REPO / "labels", corpus_dir=args.corpus, articles_dir=REPO / "seeds")
    articles: dict[str, list] = {}
    for e in labels.examples:
        if e.rule_kind is not None:
            articles.setdefault(e.doc, []).append(e)
    truth, decisions = [], {"rules": [], "trafilatura": [], "trafilatura (favor_recall)": [], "justext": []}
    seconds = dict.fromkeys(decisions, 0.0)
    for _doc, examples in articles.items():
        examples.sort(key=lambda e: e.para)
        units = [e.text for e in examples]
        truth += [e.kind == "content" for e in examples]
        for name, decide in (
            ("rules", lambda: [e.rule_kind == "content" for e in examples]),
            ("trafilatura", lambda: trafilatura_kept(units)),
            ("trafilatura (favor_recall)", lambda: trafilatura_kept(units, favor_recall=True)),
            ("justext", lambda: justext_kept(units)),
        ):
            start = time.perf_counter()
            decisions[name] += decide()
            seconds[name] += time.perf_counter() - start
    print(f"{len(articles)} labeled articles, {len(truth)} paragraphs, {sum(truth)} content")
    print(f"{'extractor':<28}{'content recall':>15}{'content prec.':>14}{'content-vs-other':>18}{'content lost':>14}")
    results = {}
    for name, kept in decisions.items():
        s = results[name] = score(truth, kept)
        print(
            f"{name:<28}{s['content_recall']:>15.3f}{s['content_precision']:>14.3f}{s['content_accuracy']:>18.3f}{s['content_lost']:>14}"
        )
    print(json.dumps({"results": results, "seconds": {k: round(v, 2) for k, v in seconds.items()}}))


if __name__ == "__main__":
    main()
