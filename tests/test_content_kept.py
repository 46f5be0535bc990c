"""Content is never silently set aside: the cases that lost it, texts that are already paragraphs, metadata.

Every text here is real published text: the seed articles, the corpus's InSight Crime
articles, and lines taken from them.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import CORPUS, REPO, needs_corpus
from typer.testing import CliRunner

import themetag
from themetag.cli import app
from themetag.evaluation import segmentation_scores

runner = CliRunner()
SEEDS = sorted((REPO / "seeds").glob("*.txt"))


def run(*args, input=None):
    result = runner.invoke(app, list(map(str, args)), input=input)
    assert "Traceback" not in result.output
    return result


def corpus_articles() -> dict[str, dict]:
    rows = (
        json.loads(line)
        for line in (CORPUS / "insightcrime_articles.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    )
    return {row["id"]: row for row in rows}


# Saved as a .txt with the headline, a blank line and the body, these once came out with no content
# (a headline taken as content made the "SHARE" row near the top look like the article's end).
LOST_THEIR_CONTENT = [
    "insightcrime/port-antwerp-belgium-cocaine-europe",
    "insightcrime/panama-money-laundering-habit",
    "insightcrime/contador-patron-cocaine-colombia",
]


@needs_corpus
@pytest.mark.parametrize("article_id", LOST_THEIR_CONTENT)
def test_headline_blank_line_body_keeps_the_body(article_id, tmp_path):
    row = corpus_articles()[article_id]
    path = tmp_path / "article.txt"
    path.write_text(row["title"] + "\n\n" + row["text"], encoding="utf-8")
    result = run("predict", "--format", "jsonl", "--paragraphs", path)
    assert result.exit_code == 0 and "Warning" not in result.stderr, result.stderr
    kinds = [json.loads(line)["kind"] for line in result.stdout.splitlines()]
    body_kinds = [p.kind for p in themetag.segment(row["text"])]
    assert kinds[0] == "heading" and kinds[1:] == body_kinds  # the headline is a heading; the body as on its own
    assert kinds.count("content") >= 10


@needs_corpus
def test_no_insight_crime_article_loses_content_to_its_headline():
    for article_id, row in corpus_articles().items():
        with_title = [p.kind for p in themetag.segment(row["title"] + "\n\n" + row["text"])]
        assert with_title[1:] == [p.kind for p in themetag.segment(row["text"])], article_id


def test_share_row_at_the_end_leaves_the_article_above_it():
    paragraphs = themetag.segment("Title\n\nThe army moved in.\n\nSHARE")
    assert [(p.kind, p.text) for p in paragraphs] == [
        ("heading", "Title"),
        ("content", "The army moved in."),
        ("boilerplate", "SHARE"),
    ]


def short_lines() -> list[str]:
    """Real short texts without closing punctuation: the seed articles' headings and short lines."""
    lines = []
    for seed in SEEDS:
        for p in themetag.segment(seed.read_text(encoding="utf-8")):
            if p.kind != "content" and 2 <= len(p.text.split()) <= 12 and "\n" not in p.text:
                lines.append(p.text)
    assert len(lines) >= 40
    return lines


def test_short_texts_one_per_jsonl_line_with_the_paragraph_unit_are_all_tagged(tmp_path):
    texts = short_lines()
    path = tmp_path / "posts.jsonl"
    path.write_text(
        "".join(json.dumps({"id": f"p{i}", "text": t}) + "\n" for i, t in enumerate(texts)), encoding="utf-8"
    )
    result = run("predict", "--unit", "paragraph", "--format", "jsonl", path)
    assert result.exit_code == 0 and "Warning" not in result.stderr, result.stderr
    articles = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(articles) == len(texts)
    untagged = [a for a in articles if a["counts"]["content"] != 1 or a["paragraphs"][0]["stance"] is None]
    assert untagged == []
    assert [a["paragraphs"][0]["text"] for a in articles] == texts  # each text whole, as given


def test_a_text_with_nothing_else_is_content_even_as_an_article():
    # A short unpunctuated text alone is the text, not a page's frame: kept, not dropped as a heading.
    # (Text that matches a furniture pattern, "SEE ALSO: ...", is still set aside, with a warning.)
    from themetag.segmentation import furniture_kind

    texts = [t for t in short_lines() if furniture_kind(t) is None]
    assert len(texts) >= 20
    for text in texts:
        tags = themetag.tag(text)
        assert tags.counts["content"] == 1 and tags.warning is None, text
    assert themetag.tag("SEE ALSO: Coverage of the Shining Path").warning == "no_content"


def test_one_text_per_line_of_a_txt_file(tmp_path):
    texts = short_lines()[:15]
    path = tmp_path / "answers.txt"
    path.write_text("\n".join(texts) + "\n", encoding="utf-8")
    result = run("segment", "--unit", "line", path)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert (
        result.exit_code == 0 and [r["text"] for r in records] == texts and {r["kind"] for r in records} == {"content"}
    )


def test_unit_paragraph_in_the_api_and_a_bad_unit():
    text = short_lines()[0]
    [p] = themetag.load().tag(text, unit="paragraph").paragraphs
    assert (p.kind, p.text) == ("content", text) and p.themes is not None and p.stance
    with pytest.raises(themetag.InputError, match="unit must be one of"):
        themetag.segment(text, unit="sentence")
    assert run("predict", "--unit", "sentence", "-").exit_code == 2


def test_an_article_with_no_content_is_flagged_warned_and_counted(tmp_path):
    empty_page = tmp_path / "scripts_only.html"
    empty_page.write_text(
        "<html><head><script>var a = 1;</script><style>p {}</style></head><body><script>x()</script></body></html>"
    )
    good = tmp_path / "good.txt"
    good.write_text(SEEDS[0].read_text(encoding="utf-8"), encoding="utf-8")
    result = run("predict", "--format", "jsonl", empty_page, good)
    assert result.exit_code == 0  # a warning, not a failure: both inputs were processed
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert (first["id"], first["warning"], first["counts"]["content"]) == ("scripts_only", "no_content", 0)
    assert second["warning"] is None and second["counts"]["content"] > 0
    assert f"{empty_page}: no paragraph was kept as content" in result.stderr
    assert "1 of 2 articles may not be represented by their tags: 1 with no content paragraph" in result.stderr


def test_mostly_set_aside_is_flagged():
    tags = themetag.tag(SEEDS[2].read_text(encoding="utf-8"))  # a crawled page, mostly navigation and teasers
    assert tags.set_aside_share > 0.5 and tags.warning == "mostly_set_aside" and tags.counts["content"] > 0
    assert themetag.tag(SEEDS[0].read_text(encoding="utf-8")).warning is None


def test_metadata_from_jsonl_fields_and_html_head_reaches_every_format(tmp_path):
    body = SEEDS[0].read_text(encoding="utf-8")
    rows = tmp_path / "in.jsonl"
    rows.write_text(
        json.dumps(
            {
                "id": "a1",
                "text": body,
                "title": "T1",
                "date": "2020-03-18",
                "url": "https://example.org/a1",
                "tags": "x,y",
            }
        )
        + "\n"
    )
    page = tmp_path / "page.html"
    paragraphs = "".join(f"<p>{p.text}</p>" for p in themetag.segment(body) if p.kind == "content")
    page.write_text(
        '<html><head><title>Page title</title><meta property="article:published_time" content="2012-10-10">'
        f'<meta name="author" content="Geoffrey Ramsey"><link rel="canonical" href="https://example.org/p"></head><body>{paragraphs}</body></html>'
    )
    jsonl = [json.loads(line) for line in run("predict", "--format", "jsonl", rows, page).stdout.splitlines()]
    assert jsonl[0]["metadata"] == {"title": "T1", "date": "2020-03-18", "url": "https://example.org/a1", "tags": "x,y"}
    assert jsonl[1]["metadata"] == {
        "title": "Page title",
        "date": "2012-10-10",
        "author": "Geoffrey Ramsey",
        "url": "https://example.org/p",
    }
    table = list(csv.DictReader(io.StringIO(run("predict", "--format", "csv", rows, page).stdout)))
    assert [(r["id"], r["title"], r["date"], r["author"]) for r in table] == [
        ("a1", "T1", "2020-03-18", ""),
        ("page", "Page title", "2012-10-10", "Geoffrey Ramsey"),
    ]


def test_segmentation_report_on_the_seed_articles():
    labels = themetag.load_labels(
        REPO / "labels" / "seeds.jsonl", schema=themetag.Schema.load(REPO / "labels"), articles_dir=REPO / "seeds"
    )
    scores = segmentation_scores(labels.examples)
    overall = scores["overall"]
    assert overall["paragraphs"] == 215 and overall["articles"] == 5
    assert overall["content_recall"] == 1.0 and overall["content_accuracy"] >= 0.97
    wrong = [e for e in labels.examples if e.kind != e.rule_kind]
    assert len(scores["errors"]) == len(wrong)


@needs_corpus
def test_segmentation_meets_its_targets_on_every_labeled_article(tmp_path):
    result = run(
        "evaluate-segmentation",
        "--labels",
        REPO / "labels",
        "--corpus",
        CORPUS,
        "--articles",
        REPO / "seeds",
        "--output",
        tmp_path / "s.json",
    )
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "s.json").read_text())["overall"]["paragraphs"] == 1389
    labels = themetag.load_labels(REPO / "labels", corpus_dir=CORPUS, articles_dir=REPO / "seeds")
    overall = segmentation_scores(labels.examples)["overall"]
    assert overall["articles"] == 43 and overall["content_recall"] >= 0.99 and overall["content_accuracy"] >= 0.97
    assert "Articles that lost content: 0" in result.stdout


def test_keeping_a_text_with_no_prose_stays_linear():
    """20,000 title lines and nothing else: all kept as content, in linear time (the first version was quadratic: ~75 s)."""
    import time

    text = "\n\n".join(f"Title Number {i} Of The Collection" for i in range(20_000))
    start = time.perf_counter()
    kinds = [p.kind for p in themetag.segment(text)]
    elapsed = time.perf_counter() - start
    assert kinds == ["content"] * 20_000
    assert elapsed < 15, f"{elapsed:.1f} s"  # ~0.6 s
