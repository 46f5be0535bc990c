"""The segmenter's shortcuts give exactly what the plain rules give.

segmentation.py skips work where it cannot change the result: a furniture pattern is not searched when the
paragraph lacks every word its matches contain. These tests check the facts each shortcut rests on.
"""

from __future__ import annotations

import random
import re

from themetag import segmentation
from themetag.segmentation import FURNITURE_PATTERNS, furniture_kind

# --------------------------------------------------------------------------- furniture: words every match contains

# Text that matches, or nearly matches, the patterns searched on the lower-cased paragraph, and filler.
_MATCHING = [
    "donate",
    "donation",
    "make a donation",
    "support our work",
    "support independent journalism",
    "become a member",
    "become a patron",
    "become a supporter",
    "become a subscriber",
    "in order to do so, we need",
    "sign up for our newsletter",
    "subscribe to the weekly newsletter",
    "subscribe",
    "subscribe now",
    "copy and distribute",
    "all rights reserved",
    "©",
    "© 2024",
    "copyright",
    "creative commons",
    "republish",
    "republished",
    "reprinted with permission",
    "originally appeared in",
    "first published on",
    "first appeared at",
    "non-commercial purposes",
    "photo:",
    "photos /",
    "top photo |",
    "file photo:",
    "image credit:",
    "video:",
    "credit:",
    "source:",
    "picture:",
    "graphic:",
    "illustration:",
    "(photo ap)",
    "(map)",
    "(chart: x)",
    "(credit)",
    "getty images",
    "ap photo",
    "afp photo",
    "reuters/",
    "shutterstock",
    "photo by",
    "image by",
    "photo courtesy of",
    "image courtesy of",
]
_FILLER = ["", " ", "the army moved in.", "x", ":", "(", ")", "/", "|", "\n", "-", "a", "our", "we need", "é", "’"]


def _lower_case_patterns():
    return {name: FURNITURE_PATTERNS[name] for name in segmentation._ON_LOWER_CASE}


def test_every_lower_case_pattern_has_its_words():
    assert set(segmentation._WORDS_IN_MATCHES_PAST_START) == segmentation._ON_LOWER_CASE


def test_a_match_past_the_start_contains_one_of_the_words():
    rng = random.Random(0)
    texts = list(_MATCHING)
    for _ in range(20_000):
        pieces = [rng.choice(_MATCHING if rng.random() < 0.4 else _FILLER) for _ in range(rng.randint(1, 6))]
        texts.append(rng.choice(["", " "]).join(pieces))
    found = 0
    for name, pattern in _lower_case_patterns().items():
        words = segmentation._WORDS_IN_MATCHES_PAST_START[name]
        for text in texts:
            if pattern.search(text) and not pattern.match(text):
                found += 1
                assert any(w in text for w in words), (name, text)
    assert found > 1000  # the texts do exercise matches past the start


def _starts_every_branch_at_the_beginning(pattern: re.Pattern[str]) -> bool:
    from re import _constants as c  # the parser's view of the pattern: which items open each branch
    from re import _parser

    items = list(_parser.parse(pattern.pattern, pattern.flags))
    if items[0][0] is c.BRANCH:
        return all(list(branch)[0] == (c.AT, c.AT_BEGINNING) for branch in items[0][1][1])
    return items[0] == (c.AT, c.AT_BEGINNING)


def test_patterns_not_on_lower_case_match_at_the_start_or_nowhere():
    # So _furniture_kind tries them with pattern.match.
    others = {name: p for name, p in FURNITURE_PATTERNS.items() if name not in segmentation._ON_LOWER_CASE}
    for name, pattern in others.items():
        assert not pattern.flags & re.MULTILINE, name
        assert _starts_every_branch_at_the_beginning(pattern), name
    rng = random.Random(4)
    pieces = (
        _MATCHING
        + _FILLER
        + [
            "share",
            "tweet",
            "by jane doe",
            "By",
            "Jane Doe / 12 May 2020",
            "SEE ALSO:",
            "related",
            "home",
            "Page 2 of 3",
            "John Smith is a journalist",
            "5 March 2020",
            "leave a comment",
            "3 comments",
        ]
    )
    texts = [
        rng.choice(["", " ", "\n"]).join(rng.choice(pieces) for _ in range(rng.randint(1, 5))) for _ in range(5_000)
    ]
    for name, pattern in others.items():
        assert sum(bool(pattern.search(t)) for t in texts) > 10, name
        for text in texts:
            assert bool(pattern.search(text)) == bool(pattern.match(text)), (name, text)
    assert not _starts_every_branch_at_the_beginning(FURNITURE_PATTERNS["reuse"])  # (the check can fail)


def test_furniture_kind_of_the_examples():
    kinds = {text: furniture_kind(text) for text in _MATCHING}
    assert kinds["photo by"] == "caption" and kinds["© 2024"] == "reuse" and kinds["subscribe now"] == "newsletter"
    assert furniture_kind("The army moved in, reprinted with permission.") == "reuse"
    assert furniture_kind("The army moved in. Photo by the ministry.") == "caption"
    assert furniture_kind("The army moved in. Please donate.") == "donation"
    assert furniture_kind("The army moved in and published its report.") is None


# --------------------------------------------------------------------------- normalisation: spaces

_ALL_CHARACTERS = "".join(map(chr, range(0x110000)))


def test_other_spaces_are_every_space_but_line_break_and_plain_space():
    spaces = [c for c in _ALL_CHARACTERS if c.isspace()]
    assert re.findall(r"\s", _ALL_CHARACTERS) == spaces  # re's \s is str.isspace
    assert sorted(segmentation._OTHER_SPACES) == sorted(set(spaces) - {"\n", " "})


def test_every_other_space_is_unprintable():
    # So a text printable apart from its line breaks has plain spaces only, and normalising it just
    # collapses runs of them.
    assert not any(c.isprintable() for c in segmentation._OTHER_SPACES)
    assert "".join(segmentation._OTHER_SPACES).isspace()


def test_every_character_normalize_text_changes_is_unprintable():
    # So a text printable apart from its line breaks is left as it is, but for runs of spaces.
    changed = "\r\u2028\u2029" + "".join(map(chr, segmentation._INVISIBLE)) + "".join(segmentation._OTHER_SPACES)
    controls = [c for c in _ALL_CHARACTERS if segmentation._CONTROL.fullmatch(c)]
    assert not any(c.isprintable() for c in [*changed, *controls])


_REFERENCE_SPACES = re.compile(r"[^\S\n ][^\S\n]*| [^\S\n]+")  # a run of spaces that is not one plain space


def _reference_normalize(text: str) -> str:
    """normalize_text as the rules say it, one pass per rule, without shortcuts."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = text.translate(segmentation._INVISIBLE)
    return _REFERENCE_SPACES.sub(" ", segmentation._CONTROL.sub("", text))


_ODD = [
    *segmentation._OTHER_SPACES,
    "\n",
    "\r\n",
    " ",
    "  ",
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",
    "\x9f",
    "\u200b",
    "\u00ad",
    "\ufeff",
    "\u2060",
    "\u200e",
    "\ue000",
    "\ufffd",
    "a",
    "Word",
    ".",
    "é",
    "東",
]


def test_normalize_text_as_the_rules_say():
    rng = random.Random(1)
    texts = [c * n for c in _ODD for n in (1, 2, 3)]
    texts += ["".join(rng.choice(_ODD) for _ in range(rng.randint(0, 30))) for _ in range(20_000)]
    texts += ["".join(rng.choice(_ODD[-6:] + [" ", "\n"]) for _ in range(rng.randint(0, 30))) for _ in range(5_000)]
    for text in texts:
        assert segmentation.normalize_text(text) == _reference_normalize(text), repr(text)


# --------------------------------------------------------------------------- classification: words of the lower-cased text


def test_lower_casing_keeps_spaces_spaces_and_the_rest_not():
    # So text.lower().split() has as many words as text.split(), and _classify splits each paragraph once.
    for c in _ALL_CHARACTERS:
        lowered = c.lower()
        assert lowered and all(x.isspace() == c.isspace() for x in lowered), hex(ord(c))
    assert "ΟΔΟΣ ΟΔΟΣ".lower().split() == ["οδος", "οδος"]  # (a final sigma lower-cases by context)


def test_furniture_kind_counts_words_as_before():
    seventy = " ".join(["share"] * 70)
    assert furniture_kind(seventy) == "share" and furniture_kind(seventy + " share") is None
    assert furniture_kind(seventy + "\u00a0") == "share"  # (trailing space is no word)


# Pieces of text and HTML with every kind of space, bullets, closing punctuation and entities that decode to spaces.
_UNIT_PIECES = [
    "",
    " ",
    "  ",
    "\n",
    "\n\n",
    "\n \n",
    "\r\n",
    "\t",
    "\u00a0",
    "\u3000",
    "\u2028",
    "\u2029",
    "\x0b",
    "\x1f",
    "\x00",
    "\u200b",
    "a",
    "Word",
    "é",
    "東",
    ".",
    ",",
    "ς",
    "SHARE",
    "SEE ALSO:",
    "Name:",
    "(",
    "“",
    "- ",
    "• ",
    "1. ",
    "2) ",
    "*",
    "the",
    "of",
    "army",
    "The army moved in.",
    "<p>",
    "</p>",
    "<li>",
    "<br>",
    "<h2>",
    "<div class='share'>",
    "&nbsp;",
    "&#9;",
    "&#10;",
    "&#x2028;",
    "&#160;&#160;",
]
_UNIT_SPACING = re.compile(r"\S+(?:[ \n]\S+)*")  # words parted by one plain space or line break, none at the ends


def _unit_texts(text: str) -> list[str]:
    units = segmentation._html_units(text) + segmentation._text_units(segmentation.normalize_text(text))
    return [u.text for u in units]


def test_unit_texts_are_spaced_as_the_classifier_assumes():
    # _classify counts words and makes keys from this spacing (see _Unit), without splitting.
    rng = random.Random(3)
    texts = ["".join(rng.choice(_UNIT_PIECES) for _ in range(rng.randint(0, 30))) for _ in range(20_000)]
    checked = 0
    for text in texts:
        for unit_text in _unit_texts(text):
            assert _UNIT_SPACING.fullmatch(unit_text), (repr(text), repr(unit_text))
            checked += 1
    assert checked > 50_000


def test_key_and_word_count_as_a_split_gives_them():
    rng = random.Random(2)
    texts = ["".join(rng.choice(_UNIT_PIECES) for _ in range(rng.randint(0, 30))) for _ in range(5_000)]
    unit_texts = [t for text in texts for t in _unit_texts(text)]
    for text in unit_texts + [t.lower() for t in unit_texts]:
        words = text.split()
        assert segmentation._key_and_word_count(text) == (" ".join(words), len(words)), repr(text)


# --------------------------------------------------------------------------- units: a block of one line


def test_an_article_end_header_has_four_words_at_most():
    # So _classify looks for "Related" headers and pagination rows on units of four words or fewer only.
    pieces = [
        "related",
        "content",
        "articles",
        "stories",
        "posts",
        "coverage",
        "you",
        "may",
        "might",
        "also",
        "like",
        "more",
        "recommended",
        "for",
        "most",
        "read",
        "popular",
        "tags",
        "about",
        "the",
        "authors",
        "prev",
        "previous",
        "next",
        "«",
        "»",
        "page",
        "1",
        "12",
        "of",
        "3",
        "RELATED",
        "Page",
        "Next",
    ]
    rng = random.Random(5)
    texts = [
        rng.choice([" ", "", "\n"]).join(rng.choice(pieces) for _ in range(rng.randint(1, 6))) for _ in range(100_000)
    ]
    found = 0
    for text in texts:
        if segmentation._RELATED_HEADER.match(text) or segmentation._PAGINATION.match(text):
            found += 1
            assert len(text.split()) <= 4, text
    assert found > 100
