"""The segmenter's shortcuts give exactly what the plain rules give.

segmentation.py skips work where it cannot change the result: a furniture pattern is not searched when the
paragraph lacks every word its matches contain. These tests check the facts each shortcut rests on.
"""

from __future__ import annotations

import random

from themetag import segmentation
from themetag.segmentation import FURNITURE_PATTERNS, furniture_kind

# --------------------------------------------------------------------------- furniture: words every match contains

# Text that matches, or nearly matches, the patterns searched on the lower-cased paragraph, and filler.
_MATCHING = [
    "donate", "donation", "make a donation", "support our work", "support independent journalism",
    "become a member", "become a patron", "become a supporter", "become a subscriber", "in order to do so, we need",
    "sign up for our newsletter", "subscribe to the weekly newsletter", "subscribe", "subscribe now",
    "copy and distribute", "all rights reserved", "©", "© 2024", "copyright", "creative commons", "republish",
    "republished", "reprinted with permission", "originally appeared in", "first published on", "first appeared at",
    "non-commercial purposes", "photo:", "photos /", "top photo |", "file photo:", "image credit:", "video:",
    "credit:", "source:", "picture:", "graphic:", "illustration:", "(photo ap)", "(map)", "(chart: x)",
    "(credit)", "getty images", "ap photo", "afp photo", "reuters/", "shutterstock", "photo by", "image by",
    "photo courtesy of", "image courtesy of",
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


def test_furniture_kind_of_the_examples():
    kinds = {text: furniture_kind(text) for text in _MATCHING}
    assert kinds["photo by"] == "caption" and kinds["© 2024"] == "reuse" and kinds["subscribe now"] == "newsletter"
    assert furniture_kind("The army moved in, reprinted with permission.") == "reuse"
    assert furniture_kind("The army moved in. Photo by the ministry.") == "caption"
    assert furniture_kind("The army moved in. Please donate.") == "donation"
    assert furniture_kind("The army moved in and published its report.") is None
