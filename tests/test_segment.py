"""Segmentation: every input format of the guide's unit rules, and furniture recognition."""

from __future__ import annotations

import pytest

from themetag import InputError, segment
from themetag.segmentation import MAX_ARTICLE_CHARS, furniture_kind


def texts(paragraphs):
    return [p.text for p in paragraphs]


def kinds(paragraphs):
    return [p.kind for p in paragraphs]


def test_blank_line_blocks_are_paragraphs():
    ps = segment("The army moved in.\n\nFarmers planted cacao.\n\n\n\nOfficials took bribes.")
    assert texts(ps) == ["The army moved in.", "Farmers planted cacao.", "Officials took bribes."]
    assert [p.index for p in ps] == [0, 1, 2]
    assert kinds(ps) == ["content"] * 3


def test_one_paragraph_per_line_without_blank_lines():
    ps = segment("The army moved in.\nFarmers planted cacao.\nOfficials took bribes.")
    assert texts(ps) == ["The army moved in.", "Farmers planted cacao.", "Officials took bribes."]


def test_line_stopping_mid_sentence_joins_the_next():
    ps = segment(
        "Only through cooperation involving government bodies,\ncivil society actors,\nand partners can Peru\nrestore peace.\nA new paragraph."
    )
    assert texts(ps) == [
        "Only through cooperation involving government bodies, civil society actors, and partners can Peru restore peace.",
        "A new paragraph.",
    ]


def test_hard_wrapped_block_is_joined_even_where_a_line_ends_a_sentence():
    block = (
        "The government declared a state of emergency in the valley and sent\n"
        "troops to the region. The decision was criticised by farmers who grow\n"
        "coca and who fear that forced eradication will destroy their income and\n"
        "push them into poverty."
    )
    ps = segment(block + "\n\nSecond paragraph.")
    assert texts(ps)[0] == " ".join(block.split("\n"))
    assert len(ps) == 2


def test_link_split_lines_and_stray_punctuation_rejoin():
    ps = segment("It emerged that businesses could not pay, MVS Noticias\nreported\n.\nNext sentence here.")
    assert texts(ps) == ["It emerged that businesses could not pay, MVS Noticias reported.", "Next sentence here."]


def test_heading_before_prose():
    ps = segment("Role of the Peruvian Army\nThe army eradicates coca in the valley.")
    assert kinds(ps) == ["heading", "content"]


def test_heading_with_no_prose_after_it_is_furniture():
    ps = segment("The army eradicates coca.\n\nInvestigations\n\nPrev Next")
    assert kinds(ps) == ["content", "boilerplate", "boilerplate"]


@pytest.mark.parametrize("sep", ["\n", "\n\n"])
def test_bullet_list_belongs_to_its_introducing_paragraph(sep):
    text = f"The army undertakes several initiatives, including:{sep}  • Surveillance missions.\n  • Joint operations.{sep}Next paragraph."
    ps = segment(text)
    assert texts(ps) == [
        "The army undertakes several initiatives, including:\n• Surveillance missions.\n• Joint operations.",
        "Next paragraph.",
    ]


def test_dash_and_numbered_bullets():
    ps = segment("Causes include:\n- poverty\n2) corruption")
    assert texts(ps) == ["Causes include:\n• poverty\n• corruption"]


def test_crlf_and_non_breaking_spaces():
    ps = segment("Title Line Here\r\n\r\nThe\u00a0army moved\u00a0in.\r\nFarmers planted.\r\n")
    assert texts(ps) == ["Title Line Here", "The army moved in.", "Farmers planted."]
    assert kinds(ps) == ["heading", "content", "content"]


def test_zero_width_and_control_characters_are_dropped():
    ps = segment("The\u200b army\x07 moved in.")
    assert texts(ps) == ["The army moved in."]


HTML_PAGE = """<!doctype html><html><head><title>Page</title><style>p {color: red}</style></head>
<body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
<header><p>Site header text.</p></header>
<h1>Peru Sends Troops</h1>
<p class="byline">By Jane Doe</p>
<p>The government sent <b>troops</b> to the   valley.</p>
<p>Officials listed three goals:</p>
<ul><li>Eradicate coca.</li><li>Arrest traffickers.</li></ul>
<figure><img src="x.jpg"><figcaption>Soldiers in the VRAEM.</figcaption></figure>
<script>var x = "<p>not text</p>";</script>
<h2>Analysis</h2>
<p>Militarization is rarely viable.</p>
<div class="share-buttons"><p>Share on Facebook</p></div>
<footer><p>Copyright 2024</p></footer>
</body></html>"""


def test_html_page_blocks_headings_lists_and_dropped_elements():
    ps = segment(HTML_PAGE)
    assert [(p.kind, p.text) for p in ps] == [
        ("heading", "Peru Sends Troops"),
        ("boilerplate", "By Jane Doe"),
        ("content", "The government sent troops to the valley."),
        ("content", "Officials listed three goals:\n• Eradicate coca.\n• Arrest traffickers."),
        ("boilerplate", "Soldiers in the VRAEM."),
        ("heading", "Analysis"),
        ("content", "Militarization is rarely viable."),
        ("boilerplate", "Share on Facebook"),
    ]


def test_html_fragment_is_detected_and_entities_decoded():
    ps = segment("<p>Coca &amp; cacao.</p><p>Second&nbsp;one.</p>")
    assert texts(ps) == ["Coca & cacao.", "Second one."]


def test_format_text_keeps_tags_as_text():
    assert texts(segment("<p>a</p><p>b</p>", format="text")) == ["<p>a</p><p>b</p>"]


def test_unclosed_html_does_not_fail():
    ps = segment("<html><body><p>One paragraph<div><p>Two <b>bold")
    assert texts(ps) == ["One paragraph", "Two bold"]


@pytest.mark.parametrize(
    "text, kind",
    [
        ("SHARE", "share"),
        ("share icon icon icon", "share"),
        ("We want to sustain our database, but in order to do so, we need resources.", "donation"),
        ("DONATE", "donation"),
        ("Was this content helpful?", "feedback"),
        ("What are your thoughts? Click here to send us your comments.", "feedback"),
        ("We encourage readers to copy and distribute our work for non-commercial purposes.", "reuse"),
        ("© 2024 Some Newspaper. All rights reserved.", "reuse"),
        ("SEE ALSO: Coverage of the Shining Path", "teaser"),
        ("Related Content", "teaser"),
        ("Read more: Peru's coca boom", "teaser"),
        ("By Geoffrey Ramsey", "byline"),
        ("PERU / 10 OCT 2012 BY GEOFFREY RAMSEY EN", "byline"),
        ("3 MAR 2023", "date"),
        ("Published March 3, 2023", "date"),
        ("Photo: Reuters", "caption"),
        ("Top Image: AP photo of President Bukele", "caption"),
        ("Home > News > Peru", "navigation"),
        ("Prev Next", "navigation"),
        ("Tags", "navigation"),
        ("Jane Doe is a freelance journalist based in Lima.", "bio"),
    ],
)
def test_furniture_kinds(text, kind):
    assert furniture_kind(text) == kind


@pytest.mark.parametrize(
    "text",
    [
        "The army eradicated 20,000 hectares of coca.",
        "Donations of helicopters from the United States strengthened the police, officials said, in a long paragraph "
        "that goes on to discuss the many other consequences of the programme for farmers, for the police, for the "
        "courts and for the communities of the valley, which have long complained that no one asks them what they "
        "need, and who say that the copyright of their own story has been taken from them by the state and others.",
        "Related to this, the police arrested ten people.",
    ],
)
def test_prose_is_not_furniture(text):
    assert furniture_kind(text) is None


def test_everything_after_a_related_block_is_furniture():
    ps = segment("Body text one.\n\nRelated Content\n\nA long teaser paragraph about another article entirely.")
    assert kinds(ps) == ["content", "boilerplate", "boilerplate"]


def test_caption_above_top_share_row_and_tail_after_bottom_share_row():
    text = "Soldiers destroy coca in the valley\nSHARE\nFirst paragraph.\nSecond paragraph.\nSHARE\nColombia\nFeatured"
    # "Colombia" and "Featured" (tag links) join: neither ends a sentence nor titles prose.
    assert kinds(segment(text)) == ["boilerplate", "boilerplate", "content", "content", "boilerplate", "boilerplate"]


def test_repeated_title_at_the_foot_is_furniture():
    ps = segment("Peru Sends Troops to the Valley\n\nBody text.\n\nPeru Sends Troops to the Valley")
    assert kinds(ps) == ["heading", "content", "boilerplate"]


def test_page_title_with_site_name_before_the_title():
    ps = segment("Counter-Drug Efforts in Peru - Military Insight\n\nCounter-Drug Efforts in Peru\n\nBody.")
    assert kinds(ps) == ["boilerplate", "heading", "content"]


def test_empty_and_whitespace_give_no_paragraphs():
    assert segment("") == []
    assert segment(" \n\t\n ") == []


def test_bytes_are_refused_with_a_clear_error():
    with pytest.raises(InputError, match="takes the article as str, got bytes"):
        segment(b"text")  # type: ignore[arg-type]


def test_oversized_input_is_refused_whole():
    with pytest.raises(InputError, match="the limit is"):
        segment("a" * (MAX_ARTICLE_CHARS + 1))


def test_unknown_format_is_refused():
    with pytest.raises(InputError, match="format must be"):
        segment("x", format="pdf")  # type: ignore[arg-type]


def test_paragraph_to_dict():
    assert segment("One.")[0].to_dict() == {"index": 0, "text": "One.", "kind": "content"}


@pytest.mark.parametrize("line", ["army troops\n", "SEE ALSO:\n", ", and more\n", "army\x0c\n", "the\n(\n"])
def test_segmentation_time_is_linear_in_the_lines_of_a_block(line):
    """A block of many lines was joined line by line (quadratic: 800,000 lines took minutes); now each paragraph
    is joined once. Ten times the lines take about ten times as long; quadratic would be a hundred times, so the
    bound, 25 times (best of three, on a machine busy with other tests), tells them apart without flaking."""
    import time

    def seconds(n: int) -> float:
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            segment(line * n, max_paragraphs=10**7)  # the time of segmenting, not the limit's refusal
            best = min(best, time.perf_counter() - start)
        return best

    small, large = seconds(20_000), seconds(200_000)
    assert large < 10.0 and large < 25 * max(small, 0.01)


def test_a_character_reference_too_long_for_a_character_is_the_replacement_character():
    # Its digits once went to int(), which refuses more than 4,300: a ValueError ended the whole run.
    import html

    from themetag.segmentation import html_metadata

    refs = "x &#x0000041; &#65; &#0000000065; &#x110000; &#1114112;"
    page = f"<html><head><title>A &#{'9' * 5000}; B</title></head><body><p>army &#{'9' * 5000};</p><p>{refs}</p>"
    assert [p.text for p in segment(page)] == ["army \ufffd", html.unescape(refs)]
    assert html_metadata(page)["title"] == "A \ufffd B"
