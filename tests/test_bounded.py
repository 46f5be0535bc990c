"""Memory in proportion, bounded before it is spent: an article past the paragraph limit is refused before
segmentation, under a memory limit, and the limit can be raised."""

from __future__ import annotations

import resource
import subprocess
import sys

import pytest

import themetag
from themetag.errors import InputError
from themetag.segmentation import MAX_ARTICLE_PARAGRAPHS, segment

MEMORY_LIMIT = 1_500_000_000  # bytes of address space: ~6 KB a paragraph would have needed 12 GB for 2M


def _limited():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


@pytest.mark.parametrize(
    "text, unit",
    [
        ("a\n\n" * 2_000_000, "article"),
        ("<html><body>" + "<p>army</p>" * 300_000 + "</body></html>", "article"),
    ],
)
def test_an_article_past_the_paragraph_limit_is_refused_before_memory_is_spent(tmp_path, text, unit):
    path = tmp_path / "big.html" if text.startswith("<html>") else tmp_path / "big.txt"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "themetag", "predict", "--unit", unit, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limited,
    )
    assert done.returncode == 1, done.stderr[-500:]
    assert (
        f"may have more than {MAX_ARTICLE_PARAGRAPHS:,} paragraphs" in done.stderr and "--max-paragraphs" in done.stderr
    )
    assert "Traceback" not in done.stderr


def test_text_given_a_line_a_paragraph_streams_in_flat_memory(tmp_path):
    # 100,000 lines held as tagged paragraphs took about 1.2 KB each, and failed under this limit; streamed, memory
    # holds the text and one block of lines. Every line still comes out, and the summary counts them all.
    path = tmp_path / "lines.txt"
    path.write_text("Troops burned coca fields.\n" * 100_000, encoding="utf-8")
    limit = 300_000_000

    def limited():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    rows = subprocess.run(
        [sys.executable, "-m", "themetag", "predict", "--unit", "line", "--paragraphs", "-f", "csv", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limited,
    )
    assert rows.returncode == 0, rows.stderr[-500:]
    lines = rows.stdout.splitlines()
    assert len(lines) == 100_001 and lines[-1].split(",")[7] == "99999"
    article = subprocess.run(
        [sys.executable, "-m", "themetag", "predict", "--unit", "line", "-f", "csv", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limited,
    )
    assert article.returncode == 0, article.stderr[-500:]
    row = dict(zip(*[r.split(",") for r in article.stdout.splitlines()]))
    assert row["content_paragraphs"] == "100000" and row["dominant_themes"] == "militarization"


def test_a_streamed_article_is_the_article_held_whole(monkeypatch):
    import io
    import json

    from themetag import tagger as tagging
    from themetag.output import json_pieces, make_writer

    texts = [p.read_text(encoding="utf-8") for p in sorted((__import__("conftest").REPO / "seeds").glob("*.txt"))]
    text = "\n".join(texts * 3)
    tagger = themetag.load()
    held = tagger.tag(text, unit="line", explain=2)
    monkeypatch.setattr(tagging, "STREAM_LINES", 40)
    monkeypatch.setattr(tagging, "STREAM_BLOCK", 33)  # blocks that do not divide the lines
    streamed = tagger.tag(text, unit="line", explain=2)
    assert isinstance(held.paragraphs, list) and isinstance(streamed.paragraphs, tagging.StreamedParagraphs)
    assert streamed.summary_dict() == held.summary_dict() and len(streamed.paragraphs) == len(held.paragraphs) > 100
    assert list(streamed.paragraphs) == held.paragraphs
    assert streamed.paragraphs[-1] == held.paragraphs[-1] and streamed.paragraphs[7:90:9] == held.paragraphs[7:90:9]
    with pytest.raises(IndexError):
        streamed.paragraphs[len(held.paragraphs)]
    for indent in (None, 2):
        assert "".join(json_pieces(streamed, indent)) == json.dumps(held.to_dict(), ensure_ascii=False, indent=indent)
    for fmt in ("jsonl", "json", "csv", "table"):
        for paragraphs in (False, True):
            written = []
            for article in (held, streamed):
                out = io.StringIO()
                writer = make_writer(fmt, out, paragraphs=paragraphs, explain=True)
                writer.write(article)
                writer.close()
                written.append(out.getvalue())
            assert written[0] == written[1], (fmt, paragraphs)


def test_long_texts_of_lines_are_held_one_at_a_time_and_compare_as_lists():
    tagger = themetag.load()
    read = 0

    def texts():
        nonlocal read
        for k in range(5):
            read += 1
            yield f"t{k}", "Troops burned coca fields.\n" * 10_001

    first = next(tagger.tag_many(texts(), unit="line"))
    assert read == 1  # a long text ends the batch: given out before the next is read
    again = tagger.tag("Troops burned coca fields.\n" * 10_001, unit="line", id="t0")
    assert first == again and first.paragraphs == list(again.paragraphs) and first.paragraphs != []
    assert first.paragraphs.index(first.paragraphs[9_000]) == 9_000 and first.paragraphs.count(first.paragraphs[3]) == 1
    with pytest.raises(TypeError):
        first.paragraphs["0"]
    assert isinstance(tagger.tag_article_paragraphs("army\n" * 10_001, unit="line"), list)


def test_an_article_held_whole_is_written_in_one_piece():
    # So an interrupt leaves the article or none of it, never half (a JSON array to stdout stays valid).
    import io

    from themetag.output import make_writer

    class Counted(io.StringIO):
        writes = 0

        def write(self, text):
            Counted.writes += 1
            return super().write(text)

    article = themetag.load().tag("Troops burned coca fields.\n\nFarmers planted cacao.")
    for fmt in ("jsonl", "json"):
        out = Counted()
        Counted.writes = 0
        make_writer(fmt, out).write(article)
        assert Counted.writes == 1, fmt


def test_an_article_that_exhausts_memory_is_named_and_the_others_are_tagged(tmp_path):
    # A tag of a million attributes (4 MB) takes ~200 times its size to parse: out of memory, that article is the
    # one named, and the next file is still tagged (the whole run ended, naming none).
    (tmp_path / "bomb.html").write_text("<html><body><p " + "a=b " * 1_000_000 + ">x</p>", encoding="utf-8")
    (tmp_path / "good.txt").write_text("Troops burned coca fields in the valley.", encoding="utf-8")
    limit = 700_000_000

    def limited():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    done = subprocess.run(
        [sys.executable, "-m", "themetag", "predict", "bomb.html", "good.txt", "-f", "csv"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        preexec_fn=limited,
        env={**__import__("os").environ, "OPENBLAS_NUM_THREADS": "1"},
    )
    assert done.returncode == 1 and "bomb.html: out of memory while segmenting it" in done.stderr, done.stderr[-300:]
    assert "good,good.txt" in done.stdout and "Traceback" not in done.stderr


def test_the_limit_counts_what_could_be_paragraphs_and_can_be_raised():
    text = "army\n\n" * 30 + "\n\n\n" * 1000  # blank lines are no paragraphs
    assert len(segment(text, max_paragraphs=30)) == 30
    with pytest.raises(InputError, match="more than 29 paragraphs"):
        segment(text, max_paragraphs=29)
    assert len(segment("one long paragraph\n" * 50, unit="paragraph", max_paragraphs=1)) == 1  # one, whatever its lines
    # Line breaks are counted as the units are cut: a form feed is one.
    with pytest.raises(InputError, match="more than 29 paragraphs"):
        segment("army\x0c" * 30, unit="line", max_paragraphs=29)
    tagger = themetag.load()
    tagger.max_paragraphs = 5
    with pytest.raises(InputError, match="more than 5 paragraphs"):
        tagger.tag("army\n\n" * 6)
    assert [type(t).__name__ for t in tagger.tag_many(["army\n\n" * 6, "army"], errors="yield")] == [
        "InputError",
        "ArticleTags",
    ]


@pytest.mark.parametrize(
    "damage, message", [("encrypt", "is encrypted in the zip"), ("corrupt", "cannot unpack all.jsonl from the zip")]
)
def test_a_damaged_doccano_zip_is_one_line_not_an_internal_error(tmp_path, damage, message):
    import io
    import zipfile

    from typer.testing import CliRunner

    from themetag.cli import app

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("all.jsonl", '{"text": "The army moved into the valley.", "label": ["militarization"]}\n' * 50)
    data = bytearray(buffer.getvalue())
    if damage == "encrypt":  # the encryption flag, in the local header and the central directory
        data[data.find(b"PK\x03\x04") + 6] |= 1
        data[data.find(b"PK\x01\x02") + 8] |= 1
    else:
        data[60:80] = bytes(20)
    path = tmp_path / "export.zip"
    path.write_bytes(bytes(data))
    result = CliRunner().invoke(
        app, ["import-labels", "--from", "doccano", str(path), "--out", str(tmp_path / "out.jsonl")]
    )
    assert result.exit_code == 1 and message in result.output and "internal error" not in result.output


def test_a_vocabulary_is_chosen_as_scikit_learn_chooses_it_and_in_bounded_memory():
    from functools import partial

    sklearn_text = pytest.importorskip("sklearn.feature_extraction.text")
    import random

    from themetag.features import bounded_vocabulary, char_terms

    analyzer = partial(char_terms, ngrams=(3, 5))
    texts = [p.read_text(encoding="utf-8") for p in sorted((__import__("conftest").REPO / "seeds").glob("*.txt"))]
    paragraphs = [p for t in texts for p in t.split("\n\n") if p.strip()]
    for max_features, min_df in ((2000, 2), (None, 1), (500, 3)):
        theirs = sklearn_text.TfidfVectorizer(analyzer=analyzer, min_df=min_df, max_features=max_features).fit(
            paragraphs
        )
        assert (
            bounded_vocabulary(paragraphs, analyzer, min_df=min_df, max_features=max_features)
            == theirs.get_feature_names_out().tolist()
        )
    # Random text: every n-gram new. With room for 20,000 terms the count is pruned, never larger than that and one
    # text's terms, and a term in every text still comes out.
    noise = random.Random(3)
    texts = ["common " + "".join(noise.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(2000)) for _ in range(200)]
    kept = bounded_vocabulary(texts, analyzer, min_df=2, max_features=None, max_counted=20_000)
    assert {"comm", "common"[:5]} <= set(kept) and len(kept) < 20_000
