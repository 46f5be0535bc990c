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


@pytest.mark.parametrize("text, unit", [("a\n\n" * 2_000_000, "article"), ("army\n" * 1_000_000, "line"),
                                        ("<html><body>" + "<p>army</p>" * 300_000 + "</body></html>", "article")])
def test_an_article_past_the_paragraph_limit_is_refused_before_memory_is_spent(tmp_path, text, unit):
    path = tmp_path / "big.html" if text.startswith("<html>") else tmp_path / "big.txt"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "themetag", "predict", "--unit", unit, str(path)], capture_output=True,
                          text=True, timeout=120, preexec_fn=_limited)
    assert done.returncode == 1, done.stderr[-500:]
    assert f"may have more than {MAX_ARTICLE_PARAGRAPHS:,} paragraphs" in done.stderr and "--max-paragraphs" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_limit_counts_what_could_be_paragraphs_and_can_be_raised():
    text = "army\n\n" * 30 + "\n\n\n" * 1000  # blank lines are no paragraphs
    assert len(segment(text, max_paragraphs=30)) == 30
    with pytest.raises(InputError, match="more than 29 paragraphs"):
        segment(text, max_paragraphs=29)
    assert len(segment("one long paragraph\n" * 50, unit="paragraph", max_paragraphs=1)) == 1  # one, whatever its lines
    tagger = themetag.load()
    tagger.max_paragraphs = 5
    with pytest.raises(InputError, match="more than 5 paragraphs"):
        tagger.tag("army\n\n" * 6)
    assert [type(t).__name__ for t in tagger.tag_many(["army\n\n" * 6, "army"], errors="yield")] == ["InputError", "ArticleTags"]


@pytest.mark.parametrize("damage, message", [("encrypt", "is encrypted in the zip"), ("corrupt", "cannot unpack all.jsonl from the zip")])
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
    result = CliRunner().invoke(app, ["import-labels", "--from", "doccano", str(path), "--out", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 1 and message in result.output and "internal error" not in result.output
