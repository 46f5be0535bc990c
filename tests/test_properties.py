"""Property tests: segmentation, label loading and tagging fail only with a ThemetagError, and keep their invariants.

Hypothesis runs under the "ci" profile of conftest.py (derandomized: the same examples on every run);
``HYPOTHESIS_PROFILE=dev`` explores new examples each run.
"""

from __future__ import annotations

import json
import tempfile
import time
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from themetag.errors import InputError, LabelError, ThemetagError
from themetag.labels import load_labels
from themetag.segmentation import _BULLET, _CONTINUATION_STARTS, MAX_ARTICLE_CHARS, Paragraph, normalize_text, segment

KINDS = {"content", "heading", "boilerplate"}
FORMATS = ("auto", "text", "html")


def quick(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# --------------------------------------------------------------------------- strategies

# Pieces of news text and of everything that breaks naive text handling: right-to-left scripts, emoji
# (with skin tones and joiners), invisible characters, control characters, NUL, NEL, line separators.
WORDS = [
    "The",
    "army",
    "moved",
    "in.",
    "coca",
    "the",
    "of",
    "and",
    "farmers",
    "Peru",
    "Ministry",
    "Defence",
    "SHARE",
    "Related",
    "Tweet",
    "By",
    "Copyright",
    "donate",
    "Photo:",
    "SEE ALSO:",
    "2024-01-05",
    "March 3, 2021",
    "drug-",
    "policy",
    "e.g.",
    "U.S.",
    "(",
    ")",
    "[15]",
    ".",
    ",",
    ";",
    ":",
    "!",
    "?",
    "…",
    "...",
    "%",
    "”",
    "“",
    "‘",
    "’",
    "»",
    "«",
    "•",
    "-",
    "–",
    "—",
    "*",
    "+",
    "1.",
    "2)",
    "10.",
    "·",
    "שלום",
    "עולם.",
    "مرحبا",
    "بالعالم",
    "\u200f",
    "\u202e",
    "Ünïcödé",
    "naïve",
    "東京",
    "😀",
    "👍🏽",
    "👨‍👩‍👧",
    "\u200b",
    "\u00ad",
    "\ufeff",
    "\u2060",
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",
    "\x9f",
    "\ufffd",
    "e\u0301",
    "<p>",
    "</p>",
    "<div>",
    "<br>",
    "&amp;",
    "&nbsp;",
    "http://example.com/a?b=c",
]
SEPARATORS = [
    " ",
    " ",
    " ",
    "  ",
    "\t",
    "\n",
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    "\r\n\r\n",
    "\n \n",
    "\n\t\n",
    "\u00a0",
    "\u3000",
    "\u2028",
    "\u2029",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x1f",
    "\x85",
    "",
]
articles = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=80).map(
    lambda pairs: "".join(w + s for w, s in pairs)
)
# Arbitrary Unicode (no lone surrogates: those are not text; see the explicit cases below).
any_text = st.one_of(
    st.text(),
    st.text(st.characters(codec="utf-8", categories=["L", "M", "N", "P", "S", "Z", "Cc", "Cf"])),
    articles,
    # a very long line among short ones
    st.tuples(
        articles, st.sampled_from(["x" * 5000, "word " * 2000, "-" * 3000, "The " * 1500 + "end."]), articles
    ).map(lambda t: "\n".join(t)),
)

# HTML tag soup from a small alphabet: unbalanced, unclosed, dropped subtrees, furniture attributes, odd markup.
TAGS = [
    "p",
    "div",
    "span",
    "a",
    "h1",
    "h2",
    "h3",
    "li",
    "ul",
    "ol",
    "br",
    "hr",
    "img",
    "figure",
    "figcaption",
    "script",
    "style",
    "nav",
    "footer",
    "header",
    "aside",
    "section",
    "article",
    "main",
    "table",
    "tr",
    "td",
    "blockquote",
    "pre",
    "body",
    "html",
    "head",
    "title",
    "form",
    "button",
    "svg",
    "b",
    "i",
    "em",
]
ATTRS = [
    "",
    ' class="share-buttons"',
    ' id="main"',
    ' class="related-posts"',
    ' role="navigation"',
    ' href="/x?a=1&b=2"',
    ' class="byline"',
    " data-x",
    " class='caption'",
    ' style="color:red"',
    ' class="',
    " id=unterminated",
]
MARKUP = [
    "<!DOCTYPE html>",
    "<!-- comment -->",
    "<!--",
    "-->",
    "<![CDATA[raw]]>",
    "<![if !supportLists]>",
    "<![endif]>",
    "<![foo[ bar ]]>",
    "<![",
    "<![ x",
    "<!x>",
    "<?xml version='1.0'?>",
    "<",
    ">",
    "</",
    "&",
    "&amp;",
    "&nbsp;",
    "&#0;",
    "&#12;",
    "&#x85;",
    "&#xD800;",
    "&#1114112;",
    "&bogus;",
    "&#",
    "<p/>",
    "<br/>",
    "</br>",
    "<<p>>",
]
_html_piece = st.one_of(
    st.builds(lambda t, a: f"<{t}{a}>", st.sampled_from(TAGS), st.sampled_from(ATTRS)),
    st.builds(lambda t: f"</{t}>", st.sampled_from(TAGS)),
    st.sampled_from(MARKUP),
    st.sampled_from(WORDS),
    st.sampled_from(SEPARATORS),
    st.text(max_size=8),
)
html_soup = st.lists(_html_piece, max_size=120).map("".join)


# --------------------------------------------------------------------------- segmentation


def segment_or_error(text: str, fmt: str) -> list[Paragraph] | None:
    """segment(), or None where it refused the input with a ThemetagError (any other exception fails the test)."""
    try:
        return segment(text, format=fmt)
    except ThemetagError:
        return None


def check_paragraphs(paragraphs: list[Paragraph]) -> None:
    assert isinstance(paragraphs, list)
    assert [p.index for p in paragraphs] == list(range(len(paragraphs)))
    for p in paragraphs:
        assert isinstance(p, Paragraph)
        assert p.kind in KINDS
        assert isinstance(p.text, str) and p.text and p.text == p.text.strip()
        # No control characters survive but the newline between a paragraph and its bullets.
        assert not any(unicodedata.category(c) == "Cc" for c in p.text.replace("\n", "")), p.text


@quick(200)
@given(any_text, st.sampled_from(FORMATS))
@example("", "text")
@example("\r\n\r\n \t \x00\u200b", "auto")
@example("שלום עולם.\n\nمرحبا بالعالم.", "text")
@example("a\x0bb\x0cc\x85d\x1ce\x1ff", "text")
def test_segment_returns_paragraphs_or_a_themetag_error(text, fmt):
    paragraphs = segment_or_error(text, fmt)
    if paragraphs is not None:
        check_paragraphs(paragraphs)
        assert segment_or_error(text, fmt) == paragraphs  # deterministic


def _strip_wordless(word: str) -> str:
    """What normalize_text removes from inside a word: zero-width and soft-hyphen characters, other controls."""
    return "".join(
        c for c in word if c not in "\u200b\u200c\u200d\u2060\ufeff\u00ad" and unicodedata.category(c) != "Cc"
    )


@quick(150)
@given(any_text)
@example("word\x0bword\x0cword\x1cword\x1fword\x85word\u2028word\u2029word\r\nword\rword")
@example("a \u200b b\x00c")
def test_normalize_text_keeps_every_word(text):
    """Whitespace of any kind (control characters included) still separates words; nothing else does.

    Each word loses only its invisible and control characters; a word of nothing else disappears.
    """
    normal = normalize_text(text)
    assert normal.split() == [w for w in map(_strip_wordless, text.split()) if w]
    assert {c for c in normal if c.isspace()} <= {" ", "\n"}
    assert not any(unicodedata.category(c) == "Cc" for c in normal.replace("\n", ""))
    assert normalize_text(normal) == normal


_OPENERS = ("(", "“", "‘", "[")


def _expected_words(text: str) -> list[tuple[str, bool]]:
    """The words the text segmenter must keep, in order, each with whether it starts a line.

    By design it works on ``normalize_text(text)``, line by line (lines stripped, empty ones dropped),
    and rewrites a list marker at the start of a line ("-", "*", "1.", "2)" ...) as "•".
    """
    words: list[tuple[str, bool]] = []
    for line in normalize_text(text).split("\n"):
        line = line.strip()
        if line:
            line_words = _BULLET.sub("• ", line, count=1).split()
            words += [(w, i == 0) for i, w in enumerate(line_words)]
    return words


@quick(200)
@given(any_text)
@example(
    "Only through cooperation involving government bodies,\ncivil society actors,\nand partners can Peru\nrestore peace."
)
@example("It emerged that businesses could not pay, MVS Noticias\nreported\n.\nNext sentence here.")
@example("Steps:\n- one\n2) two\n\n* three\nThe end (\nsee above).")
@example("drug-\npolicy reform.\n\nTitle\n\nThe army moved in.\n\nSHARE")
def test_text_segmentation_keeps_every_word_in_order(text):
    """In text mode no word is lost, added or reordered.

    Precisely: the words of the paragraphs (str.split of their joined texts) are the words of
    ``_expected_words(text)`` in order, where a paragraph word may be two or more of them glued
    together only at a line break at which the segmenter joins lines without a space: before a line
    that starts with closing punctuation (``_CONTINUATION_STARTS``: ``. , ; : ! ? ) ] ’ ” %``) or after one that
    ends with an opening bracket or quote. (A hyphen at a line end is kept: "drug-" "policy" stay two words.)
    """
    paragraphs = segment_or_error(text, "text")
    assert paragraphs is not None  # text mode refuses only inputs over the size limit
    check_paragraphs(paragraphs)
    got = " ".join(p.text for p in paragraphs).split()
    expected = _expected_words(text)
    i = 0
    for word in got:
        assert i < len(expected), f"extra word {word!r}"
        piece = expected[i][0]
        i += 1
        while piece != word:
            assert word.startswith(piece) and i < len(expected), (
                f"{word!r} is not made of the input's words at {piece!r}"
            )
            nxt, starts_line = expected[i]
            i += 1
            assert starts_line and (nxt[:1] in _CONTINUATION_STARTS or piece.endswith(_OPENERS)), (
                f"{piece!r} and {nxt!r} glued"
            )
            piece += nxt
    assert i == len(expected), f"lost words {[w for w, _ in expected[i:]]!r}"


@quick(250)
@given(html_soup, st.sampled_from(("auto", "html")))
@example("<div>" * 50 + "<p>deep</p>" + "</span>" * 50, "html")
@example("<p>a</p><![foo[ bar ]]><p>b</p><![ x", "html")
@example("<html><body><p>One.<p>Two.<li>three<script>x</script></body>", "auto")
def test_html_tag_soup(html, fmt):
    paragraphs = segment_or_error(html, fmt)
    if paragraphs is not None:
        check_paragraphs(paragraphs)
        assert segment_or_error(html, fmt) == paragraphs


def test_html_drops_script_text_even_in_soup():
    html = "<p>Kept.</p><script><p>raw script</p><div>raw script</script><p>Also kept.</p>"
    assert [p.text for p in segment(html, format="html")] == ["Kept.", "Also kept."]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("text", ["\ud800", "a \udfff b.", "<p>\udbff\udc00x</p><p>y</p>"])
def test_lone_surrogates(text, fmt):
    paragraphs = segment_or_error(text, fmt)
    if paragraphs is not None:
        check_paragraphs(paragraphs)


def test_not_str_or_bad_format_is_an_input_error():
    with pytest.raises(InputError, match="decode bytes first"):
        segment(b"The army moved in.")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="format must be"):
        segment("x", format="pdf")  # type: ignore[arg-type]


# ------------------------------------------------------------------ large and deep inputs (explicit cases)

TEN_MB = 10_000_000


@pytest.mark.parametrize("shape, fmt", [("words", "auto"), ("one-word", "text")])
def test_a_single_10mb_line_is_one_paragraph(shape, fmt):
    line = "word " * (TEN_MB // 5) if shape == "words" else "a" * TEN_MB
    start = time.perf_counter()
    paragraphs = segment(line, format=fmt)
    elapsed = time.perf_counter() - start
    assert [(p.index, p.text) for p in paragraphs] == [(0, line.strip())]
    assert elapsed < 15, f"{elapsed:.1f} s for one 10 MB line"  # about 1 s on a laptop (it was 4-8 s)


def test_a_2mb_html_paragraph():
    html = "<html><body><p>" + "word " * 400_000 + "</p></body></html>"
    paragraphs = segment(html, format="auto")
    assert len(paragraphs) == 1 and len(paragraphs[0].text) == 2_000_000 - 1


def test_input_over_the_limit_is_refused_whole():
    with pytest.raises(InputError, match="the limit is 20,000,000"):
        segment("a" * (MAX_ARTICLE_CHARS + 1))
    with pytest.raises(InputError, match="Split it into smaller files"):
        segment("<p>x</p>" * (MAX_ARTICLE_CHARS // 8 + 1), format="html")


DEEP_HTML = {
    "nested": lambda n: "<div>" * n + "<p>Deep text.</p>" + "</div>" * n,
    "unmatched-end-tags": lambda n: "<div>" * n + "Deep text." + "</span>" * n,
    "unclosed-furniture": lambda n: "<div class='share'>" + "<div>" * n + "Deep text.",
    "dropped": lambda n: "<script>" + "<div>" * n + "</script><p>After.</p>",
    "list": lambda n: "<ul>" + "<li>item " * n + "</ul>",
}


@pytest.mark.parametrize(
    "shape, depth",
    [("nested", 100_000), ("dropped", 100_000)]
    + [(shape, 10_000) for shape in ("unmatched-end-tags", "unclosed-furniture", "list")]
    + [
        pytest.param(shape, 100_000, marks=pytest.mark.slow)
        for shape in ("unmatched-end-tags", "unclosed-furniture", "list")
    ],
)
def test_deeply_nested_html_is_linear(shape, depth):
    """100,000 nested elements: paragraphs in linear time (it was quadratic: minutes), no RecursionError."""
    html = DEEP_HTML[shape](depth)
    start = time.perf_counter()
    paragraphs = segment(html, format="html", max_paragraphs=10**7)  # the time of segmenting, not the limit's
    elapsed = time.perf_counter() - start
    assert paragraphs, "deep HTML gave no paragraphs"
    check_paragraphs(paragraphs)
    assert elapsed < 15, f"{elapsed:.1f} s for {depth:,} elements"  # 100,000: 1-3 s (the standard parser's pace)


def test_deeply_nested_text_is_just_text():
    paragraphs = segment("<div>" * 100_000, format="text")
    assert len(paragraphs) == 1


# --------------------------------------------------------------------------- label loading

SCHEMA = {
    "themes": {"militarization": {"cues": ["army"]}, "development": {}, "corruption": {}},
    "stances": {"favor": {}, "against": {}, "neutral": {}},
}
THEMES = list(SCHEMA["themes"])
STANCES = list(SCHEMA["stances"])
LINE_ENDINGS = ["\n", "\r\n"]

non_blank = st.text(min_size=1).filter(lambda s: s.strip())


@st.composite
def valid_record(draw, para: int) -> dict:
    kind = draw(st.sampled_from(sorted(KINDS)))
    content = kind == "content"
    return {
        "doc": draw(st.one_of(st.sampled_from(["a1", "004_9d925814d48bd87e"]), non_blank)),
        "para": para,
        "text": draw(
            st.one_of(non_blank, st.sampled_from(["The army moved in.", "line\u2028separator", "nel\x85here"]))
        ),
        "kind": kind,
        "themes": draw(st.lists(st.sampled_from(THEMES), unique=True)) if content else [],
        "stance": draw(st.sampled_from(STANCES)) if content else None,
    }


@st.composite
def valid_lines(draw) -> list[str]:
    """Valid label lines, some written with raw non-ASCII (U+2028, NEL, emoji ...) as editors save them."""
    n = draw(st.integers(0, 8))
    return [json.dumps(draw(valid_record(para)), ensure_ascii=draw(st.booleans())) for para in range(n)]


JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text()
)
json_values = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


def _blank_to_loader(line: str) -> bool:
    return not line.lstrip("\ufeff").strip()


def _utf8_or_none(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _with(field: str, values: st.SearchStrategy) -> st.SearchStrategy[str]:
    """A valid record with one field given a wrong value, as a JSON line."""
    return st.builds(lambda rec, v: json.dumps({**rec, field: v}), valid_record(100), values)


WRONG_FIELD_LINES = st.one_of(
    _with(
        "doc", st.one_of(st.just(""), st.booleans(), st.none(), st.lists(st.text(), max_size=2))
    ),  # an integer doc is read as its digits
    _with(
        "para",
        st.one_of(
            st.integers(max_value=-1),
            st.booleans(),
            st.text(),
            st.just(1.5),
            st.just(2.0),
            st.lists(st.integers(), max_size=2),
        ),
    ),
    _with("text", st.one_of(st.sampled_from(["", " ", "\n\t", "\u3000"]), st.integers(), st.none(), st.just(["a"]))),
    _with(
        "kind",
        st.one_of(
            st.text().filter(lambda k: k not in KINDS),
            st.none(),
            st.integers(),
            st.just(["content"]),
            st.just({"k": 1}),
        ),
    ),
    _with(
        "themes",
        st.one_of(
            st.text(), st.none(), st.just({"militarization": 1}), st.lists(st.integers(), min_size=1, max_size=2)
        ),
    ),
    _with("themes", st.lists(st.text().filter(lambda t: t not in THEMES), min_size=1, max_size=2)),  # unknown theme
    _with("themes", st.sampled_from(THEMES).map(lambda t: [t, t])),  # listed twice
    # (a content record with no themes and no stance is not malformed: it is still to label, and is counted)
    st.builds(
        lambda rec, s: json.dumps({**rec, "kind": "content", "themes": [THEMES[0]], "stance": s}),
        valid_record(100),
        st.one_of(st.text().filter(lambda s: s not in STANCES), st.none(), st.integers()),
    ),
    st.builds(
        lambda rec, s: json.dumps({**rec, "kind": "heading", "themes": [], "stance": s}),
        valid_record(100),
        st.sampled_from(STANCES),
    ),
    # doc, para, kind and themes may be left out (defaults); text may not, nor a content paragraph's stance
    st.builds(lambda rec: json.dumps({f: v for f, v in rec.items() if f != "text"}), valid_record(100)),
    st.builds(
        lambda rec: json.dumps(
            {f: v for f, v in {**rec, "kind": "content", "themes": [THEMES[0]]}.items() if f != "stance"}
        ),
        valid_record(100),
    ),
    st.builds(
        lambda rec, t: json.dumps({**rec, "text": t}), valid_record(100), st.sampled_from(["\ud800", "a\udfffb"])
    ),  # lone surrogate escapes
    st.builds(lambda rec, d: json.dumps({**rec, "doc": d}), valid_record(100), st.just("doc\udc80")),
)

# A malformed line: (bytes to write, description). Each is non-blank and can never be a valid record.
malformed_lines = st.one_of(
    st.binary(min_size=1, max_size=40)
    .filter(lambda b: b"\n" not in b and b"\r" not in b)
    .filter(lambda b: _utf8_or_none(b) is None or not _blank_to_loader(_utf8_or_none(b))),
    st.text(min_size=1, max_size=40)
    .filter(lambda s: "\n" not in s and "\r" not in s and not _blank_to_loader(s))
    .map(str.encode),
    st.builds(
        lambda rec, cut: json.dumps(rec)[: max(1, int(len(json.dumps(rec)) * cut))],
        valid_record(100),
        st.floats(0, 0.99),
    ).map(str.encode),
    json_values.filter(lambda v: not isinstance(v, dict)).map(lambda v: json.dumps(v, ensure_ascii=False).encode()),
    WRONG_FIELD_LINES.map(str.encode),
    st.sampled_from(
        [
            "[" * 100_000,
            '{"a": ' * 50_000,
            "1" * 5000,
            '{"doc": "a", "para": ' + "9" * 5000 + "}",
            "NaN",
            "-Infinity",
            "\ufeff{}",
        ]
    ).map(str.encode),
)


def _write_labels(directory: Path, lines: list[bytes], ending: str, name: str = "labels.jsonl") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "schema.json").write_text(json.dumps(SCHEMA), encoding="utf-8")
    path = directory / name
    path.write_bytes(ending.encode().join(lines) + ending.encode())
    return path


@quick(120)
@given(valid_lines(), malformed_lines, st.integers(0, 8), st.sampled_from(LINE_ENDINGS))
@example(
    ['{"doc": "a", "para": 0, "text": "x\u2028y", "kind": "content", "themes": [], "stance": "neutral"}'],
    b"[1, 2]",
    1,
    "\n",
)
def test_a_malformed_line_is_a_label_error_naming_file_and_line(valid, bad, position, ending):
    position = min(position, len(valid))
    lines = [line.encode("utf-8") for line in valid]
    lines.insert(position, bad)
    with tempfile.TemporaryDirectory() as tmp:
        path = _write_labels(Path(tmp) / "labels", lines, ending)
        with pytest.raises(LabelError) as info:
            load_labels(path.parent)
    lineno = position + 1
    assert info.value.path == str(path) and info.value.line == lineno
    assert str(info.value).startswith(f"{path}:{lineno}: "), str(info.value)


@quick(60)
@given(valid_lines(), st.sampled_from(LINE_ENDINGS), st.booleans())
def test_valid_label_files_round_trip(valid, ending, bom):
    records = [json.loads(line) for line in valid]
    with tempfile.TemporaryDirectory() as tmp:
        lines = [line.encode("utf-8") for line in valid]
        if bom and lines:
            lines[0] = "\ufeff".encode() + lines[0]
        path = _write_labels(Path(tmp) / "labels", lines, ending)
        if not records:
            return
        labels = load_labels(path.parent)
    assert [(e.doc, e.para, e.text, e.kind, sorted(e.themes), e.stance) for e in labels.examples] == [
        (r["doc"], r["para"], r["text"], r["kind"], sorted(r["themes"]), r["stance"]) for r in records
    ]
    assert [e.line for e in labels.examples] == list(range(1, len(records) + 1))
    assert all(e.source == str(path) for e in labels.examples)
    assert [tuple(t for t in e.themes) for e in labels.examples] == [
        tuple(t for t in THEMES if t in r["themes"]) for r in records
    ]


# --------------------------------------------------------------------------- tagging


@pytest.fixture(scope="module")
def tagger():
    import themetag

    return themetag.load()


def _tag_or_error(tagger, text: str):
    try:
        return tagger.tag(text)
    except ThemetagError:
        return None


@quick(25)
@given(st.one_of(any_text, html_soup))
@example("")
@example("The army eradicated coca in the valley.\n\nFarmers protested against the eradication.")
@example("\ud800 lone surrogate \udfff.")
def test_tag_any_text(tagger, text):
    from themetag import ArticleTags

    tags = _tag_or_error(tagger, text)
    if tags is None:
        return
    assert isinstance(tags, ArticleTags)
    d = tags.to_dict()
    json.dumps(d, allow_nan=False)
    assert _tag_or_error(tagger, text).to_dict() == d  # deterministic
    assert [p["index"] for p in d["paragraphs"]] == list(range(len(d["paragraphs"])))
    assert all(p["kind"] in KINDS for p in d["paragraphs"])


@quick(25)
@given(st.lists(st.one_of(st.text(max_size=200), st.sampled_from(WORDS), articles), max_size=6))
@example([])
@example(["", " ", "\x00", "The army eradicated coca."])
@example(["\ud800"])
def test_tag_paragraphs_any_texts(tagger, texts):
    try:
        tags = tagger.tag_paragraphs(texts)
    except ThemetagError:
        return
    assert [t.text for t in tags] == texts
    dicts = [t.to_dict() for t in tags]
    json.dumps(dicts, allow_nan=False)
    assert all(d["kind"] in KINDS for d in dicts)
    assert [t.to_dict() for t in tagger.tag_paragraphs(texts)] == dicts  # deterministic
