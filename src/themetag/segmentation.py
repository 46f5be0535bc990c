"""Article text (plain or HTML) → paragraphs, each marked content, heading or boilerplate.

The unit rules are those of ``labels/GUIDE.md``: blank-line blocks; one
paragraph per line where a text has no blank lines; a line that stops
mid-sentence joins the next; a short unpunctuated line before prose is a
heading; a bulleted list stays with the paragraph that introduces it.

Page furniture is recognised by *kinds* of text (share rows, donation
appeals, re-use notices, teasers, bylines and datelines, captions,
navigation, pagination) and by position (everything after an
end-of-article marker such as a comment prompt or a "Related" block), never
by the exact strings of particular articles.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import asdict, dataclass
from html.parser import HTMLParser
from typing import Iterable, Iterator, Literal

from .errors import InputError

Kind = Literal["content", "heading", "boilerplate"]

#: Largest article accepted, in characters. Larger inputs are refused whole
#: rather than half-processed.
MAX_ARTICLE_CHARS = 20_000_000
#: Most paragraphs an article may have (found before segmenting: at most its non-blank lines, or for a web page
#: its block tags). A news article has dozens; each paragraph costs about 2 KB while it is tagged, so this bounds
#: one article's memory near 200 MB. ``segment(..., max_paragraphs=)`` and ``predict --max-paragraphs`` raise it.
MAX_ARTICLE_PARAGRAPHS = 100_000

_BLOCK_TAG = re.compile(r"<(?:p|li|div|br|h[1-6]|tr|td|blockquote|pre|section|article)\b", re.IGNORECASE)
_NON_BLANK_LINE = re.compile(r"^[^\S\n]*\S", re.MULTILINE)


def _paragraphs_at_most(text: str, stop: int, html: bool = True) -> int:
    """An upper bound of the paragraphs ``text`` can split into (counting stops past ``stop``): its non-blank
    lines, and (``html``: it may be read as a web page) its block tags, for a page on one line."""
    if text.count("\n") < stop and (not html or text.count("<") < stop):
        return 0  # cannot reach the limit: not worth counting
    found = 0
    tags = _BLOCK_TAG.finditer(text) if html else ()
    for found, _ in enumerate(itertools.chain(_NON_BLANK_LINE.finditer(text), tags), 1):
        if found > stop:
            break
    return found


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of an article: its 0-based position, text and kind."""

    index: int
    text: str
    kind: Kind

    def to_dict(self) -> dict:
        """The paragraph as a plain dict: ``{"index", "text", "kind"}``."""
        return asdict(self)


#: Units of at most this many words can be a site's furniture remembered by text: kinds people labeled
#: (:attr:`themetag.model.Model.kind_memory`) and lines recurring across a collection (:func:`collection_template`).
TEMPLATE_MAX_WORDS = 12
_NUMBER = re.compile(r"\d+")


def template_key(text: str) -> str | None:
    """A short unit's text as furniture is recognised by: words lower-cased, spaces collapsed, numbers as 0
    ("Listen to this article (4 min)" and "(12 min)" are one line of a site's template); None for a unit of
    more than :data:`TEMPLATE_MAX_WORDS` words, which is never taken for furniture by its text alone.

    >>> template_key("Listen to this  article (4 min)")
    'listen to this article (0 min)'
    """
    words = text.split()
    if not words or len(words) > TEMPLATE_MAX_WORDS:
        return None
    return _NUMBER.sub("0", " ".join(words).lower())


#: A line is the collection's furniture when it recurs in at least this share of its articles ...
TEMPLATE_SHARE = 0.2
#: ... and in at least this many of them; a collection of fewer articles has no template.
TEMPLATE_MIN_ARTICLES = 20


def collection_template(
    texts, *, min_share: float = TEMPLATE_SHARE, min_articles: int = TEMPLATE_MIN_ARTICLES
) -> frozenset[str]:
    """The lines a collection repeats across its articles: a site's share row, newsletter prompt or "Related"
    header, as boilerplate removers find a site's template. Returns the :func:`template_key` of every short unit
    found in at least ``min_share`` of the articles (and ``min_articles`` of them); empty for a smaller collection.

    Pass it to :meth:`themetag.Tagger.tag_many` (``template=``) to set those units aside as boilerplate. Memory
    holds one count per distinct short line.
    """
    counts: dict[str, int] = {}
    articles = 0
    for text in texts:
        try:
            units = segment(text)
        except (InputError, MemoryError):
            continue  # too long or costly to segment: tagging refuses it too, with the reason
        articles += 1
        for key in {template_key(p.text) for p in units} - {None}:
            counts[key] = counts.get(key, 0) + 1
    if articles < min_articles:
        return frozenset()
    needed = max(min_articles, min_share * articles)
    return frozenset(key for key, count in counts.items() if count >= needed)


#: How an input is cut into paragraphs: an ``article`` by the rules below; a ``paragraph`` is one content
#: paragraph whole (a tweet, a survey answer, a pre-split paragraph); ``line``: each non-blank line is one.
UNITS = ("article", "paragraph", "line")


def segment(
    text: str,
    *,
    format: Literal["auto", "text", "html"] = "auto",
    unit: str = "article",
    max_paragraphs: int = MAX_ARTICLE_PARAGRAPHS,
) -> list[Paragraph]:
    """Split an article into paragraphs and mark each as content, heading or boilerplate.

    ``format="auto"`` treats the input as HTML when it looks like a web page
    (a doctype, ``<html>``, or several block tags such as ``<p>``).

    >>> [(p.kind, p.text) for p in segment("Title\\n\\nThe army moved in.\\n\\nSHARE")]
    [('heading', 'Title'), ('content', 'The army moved in.'), ('boilerplate', 'SHARE')]

    Texts that are already paragraphs skip the article rules: ``unit="paragraph"``
    keeps the whole text as one content paragraph, ``unit="line"`` each line.

    >>> [(p.kind, p.text) for p in segment("Coca growers block the road\\nSHARE", unit="line")]
    [('content', 'Coca growers block the road'), ('content', 'SHARE')]
    """
    if not isinstance(text, str):
        raise InputError(f"segment() takes the article as str, got {type(text).__name__}; decode bytes first")
    if format not in ("auto", "text", "html"):
        raise InputError(f"format must be 'auto', 'text' or 'html', got {format!r}")
    if unit not in UNITS:
        raise InputError(f"unit must be one of {', '.join(map(repr, UNITS))}, got {unit!r}")
    if len(text) > MAX_ARTICLE_CHARS:
        raise InputError(
            f"article is {len(text):,} characters; the limit is {MAX_ARTICLE_CHARS:,}. Split it into smaller files"
        )
    if unit == "paragraph":
        whole = normalize_text(text).strip()
        return [Paragraph(0, whole, "content")] if whole else []
    is_html = unit == "article" and (format == "html" or (format == "auto" and looks_like_html(text)))
    # Counted on the normalized text, whose line breaks are the ones the units are cut at (a form feed is one).
    plain = None if is_html else normalize_text(text)
    if _paragraphs_at_most(text if is_html else plain, max_paragraphs, html=is_html) > max_paragraphs:
        raise InputError(
            f"article may have more than {max_paragraphs:,} paragraphs (non-blank lines or block tags), the limit for one "
            "article: split it, give it a line a paragraph (--unit line, which streams), or raise the limit "
            "(--max-paragraphs)"
        )
    if unit == "line":
        return list(_lines(plain))
    units = _html_units(text) if is_html else _text_units(plain)
    kinds = _classify(units)
    return [Paragraph(i, u.text, k) for i, (u, k) in enumerate(zip(units, kinds))]


_LINE = re.compile(r"[^\n]+")


def iter_segments(
    text: str, *, unit: str = "article", max_paragraphs: int = MAX_ARTICLE_PARAGRAPHS
) -> Iterable[Paragraph]:
    """:func:`segment`'s paragraphs, except that lines (``unit="line"``) come as they are read
    (:func:`segment_lines`, no paragraph limit): what a caller that reads the paragraphs once should use."""
    return segment_lines(text) if unit == "line" else segment(text, unit=unit, max_paragraphs=max_paragraphs)


def segment_lines(text: str) -> Iterator[Paragraph]:
    """``segment(text, unit="line")`` as an iterator: each non-blank line one content paragraph, made as it is read,
    so that memory holds the text and one line however many lines it has (no paragraph limit; the character limit
    holds).

    >>> [p.text for p in segment_lines("Coca growers block the road\\n\\n  SHARE ")]
    ['Coca growers block the road', 'SHARE']
    """
    if not isinstance(text, str):
        raise InputError(f"segment_lines() takes the text as str, got {type(text).__name__}; decode bytes first")
    if len(text) > MAX_ARTICLE_CHARS:
        raise InputError(
            f"text is {len(text):,} characters; the limit is {MAX_ARTICLE_CHARS:,}. Split it into smaller files"
        )
    return _lines(normalize_text(text))


def _lines(normalized: str) -> Iterator[Paragraph]:
    index = 0
    for match in _LINE.finditer(normalized):
        line = match.group().strip()
        if line:
            yield Paragraph(index, line, "content")
            index += 1


# --------------------------------------------------------------------------- text normalisation

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# Control characters that separate words are whitespace: those that break lines in str.splitlines()
# (vertical tab, form feed, the file/group/record separators, NEL) become line breaks, the unit separator a space.
_INVISIBLE.update(dict.fromkeys(map(ord, "\x0b\x0c\x1c\x1d\x1e\x85"), "\n"))
_INVISIBLE[ord("\x1f")] = " "
_INVISIBLE_CHARS = tuple((chr(code), replacement or "") for code, replacement in _INVISIBLE.items())
# The other control characters (Unicode category Cc is U+0000-U+001F and U+007F-U+009F) carry no words.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]+")
# Every whitespace character except the line break and the plain space (str.isspace; re's \s is the same).
_OTHER_SPACES = (
    "\t",
    "\x0b",
    "\x0c",
    "\r",
    "\x1c",
    "\x1d",
    "\x1e",
    "\x1f",
    "\x85",
    "\xa0",
    "\u1680",
    *map(chr, range(0x2000, 0x200B)),
    "\u2028",
    "\u2029",
    "\u202f",
    "\u205f",
    "\u3000",
)
# Two or more plain spaces. Once every other space is a plain one, collapsing these runs makes each run of
# spaces one space. (A single plain space is left as it is: rewriting it costs time, a long text has millions.)
_SPACE_RUN = re.compile("  +")


def normalize_text(text: str) -> str:
    """Unify line endings and spaces: CRLF/CR → LF, NBSP and other spaces → ' ', zero-width removed.

    Control characters are dropped, except those that separate words, which become line breaks or spaces.
    """
    # Most texts need nothing but their runs of spaces collapsed: every character to replace, drop or unify
    # (CR, line and paragraph separators, control, zero-width, odd space, tab) is unprintable, and
    # str.isprintable scans in C where translate and the regexes cost 20 µs a paragraph.
    if not text.replace("\n", "").isprintable():
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
        # Replacing the few characters present is faster than translate's pass over every character.
        for char, replacement in _INVISIBLE_CHARS:
            if char in text:
                text = text.replace(char, replacement)
        for char in _OTHER_SPACES:
            if char in text:
                text = text.replace(char, " ")
        # Control characters are unprintable: a text printable now has none (most often its odd spaces were
        # no-break spaces). Removing them after the spaces became plain ones is the same: the two sets are apart.
        if not text.replace("\n", "").isprintable():
            text = _CONTROL.sub("", text)
    # Every space is a plain one now: a text printable from the start has no other (all other spaces are
    # unprintable; tests check this over all of Unicode), and the others were replaced above.
    return _SPACE_RUN.sub(" ", text) if "  " in text else text


_HTML_SNIFF = re.compile(r"<!doctype html|<html[\s>]|<body[\s>]", re.IGNORECASE)
_HTML_BLOCK_TAG = re.compile(r"<(p|h[1-6]|li|div|article|section|br)[\s/>]", re.IGNORECASE)


def looks_like_html(text: str) -> bool:
    """Whether ``text`` is a web page (what ``format="auto"`` decides by), judged by its first 5,000 characters.

    It is when they hold a doctype, ``<html>`` or ``<body>`` tag, or at least two block tags (``<p>``, ``<div>``...).
    """
    head = text[:5000]
    if "<" not in head:  # (both patterns need one: most plain texts have none, and are told at once)
        return False
    return bool(_HTML_SNIFF.search(head)) or len(_HTML_BLOCK_TAG.findall(head)) >= 2


# --------------------------------------------------------------------------- units


@dataclass
class _Unit:
    """A paragraph before classification, with what the splitter learnt about it.

    ``text`` is never empty, and its words are parted by exactly one plain space or one line break, with none at
    either end. Both splitters build it so: the text one from stripped lines of normalised text (whose only spaces
    are single plain ones), joined directly, by one space or by a line break; the HTML one from each block's words
    joined by one space. _classify counts words and makes keys by that.
    """

    text: str
    heading_like: bool = False  # short unpunctuated line standing on its own
    tag: str = ""  # HTML element it came from
    furniture_hint: bool = False  # HTML class/id/element says page furniture
    has_bullets: bool = False


# The guide's closing punctuation, plus the ellipsis and reference brackets ("...[15]").
_CLOSERS = (".", "!", "?", ":", '"', "”", ")", "…", "]", "»")
_BULLET = re.compile(r"^\s*(?:[•◦▪▫●○■□‣⁃∙·*+\-–—]|\d{1,3}[.)])\s+")
# A line that starts with one of these continues the one before it (``line[:1] in _CONTINUATION_STARTS``).
_CONTINUATION_STARTS = frozenset(".,;:!?)]’”%")
_FUNCTION_WORDS = frozenset(
    "a an the of in on at to for from by with and or but nor as than that which who whom whose "
    "its their his her our your into onto upon about over under between among against during "
    "via per is are was were be been has have had will would can could should may might must".split()
)
_TEASER_LABEL = re.compile(r"^(?:see also|related|read (?:more|also)|more on|further reading):?$", re.IGNORECASE)


def _ends_sentence(line: str) -> bool:
    return line.rstrip().endswith(_CLOSERS)


def _continues(line: str) -> bool:
    """A line that can only be the rest of the line before it."""
    return line[:1] in _CONTINUATION_STARTS or line[:1].islower()


def _mid_phrase(text: str) -> bool:
    """Text that stops where no sentence or title could: after a comma, a dash or a function word."""
    if text.rstrip().endswith((",", ";", "-", "–", "—", "(", "“", "/", "&")):
        return True
    # (The last word, found without splitting all the text into words: a paragraph's text grows line by line.)
    return text.rsplit(None, 1)[-1].lower().strip("\"'“”‘’") in _FUNCTION_WORDS


def _is_caps_label(line: str) -> bool:
    """An ALL-CAPS line of one to four words (a section tag, a SHARE button), given a line of a block.

    The lines of a block are stripped lines of normalised text, whose words are parted by single plain spaces:
    up to three spaces is up to four words. (Case first: most lines fail there, at one call.)
    """
    return line.upper() == line and line.count(" ") <= 3 and any(map(str.isalpha, line))


def _is_label_line(line: str) -> bool:
    """ "SEE ALSO:" or "Name:" on a line of its own, its value on the next line."""
    return bool(_TEASER_LABEL.match(line)) or (line.endswith(":") and len(line.split()) <= 4)


def _could_be_heading(line: str, *, strict: bool) -> bool:
    """A short line with no closing punctuation that could title what follows.

    ``strict`` (a line with more lines in its block) also asks for title case,
    because web text broken around links is full of short unpunctuated lines.
    """
    words = line.split()
    if not words or len(words) > 16 or len(line) > 120 or _ends_sentence(line) or _mid_phrase(line):
        return False
    if not (line[0].isupper() or line[0].isdigit()):
        return False
    if not strict:
        return True
    content_words = [w for w in words if len(w) >= 4 and w.lower() not in _FUNCTION_WORDS and w[0].isalpha()]
    return len(content_words) >= 2 and all(w[0].isupper() for w in content_words)


def _is_wrapped_block(lines: list[str]) -> bool:
    """A hard-wrapped paragraph: three or more lines of near-equal width, at most ~100 columns."""
    if len(lines) < 3 or any(_BULLET.match(l) for l in lines):
        return False
    width = max(len(l) for l in lines)
    if not 40 <= width <= 100 or any(len(l) < 0.7 * width for l in lines[:-1]):
        return False
    # Wrapping breaks lines mid-sentence; lines that each end a sentence are one paragraph per line.
    return sum(not _ends_sentence(l) for l in lines[:-1]) * 2 >= len(lines) - 1


def _join(left: str, right: str) -> str:
    if right[:1] in _CONTINUATION_STARTS or left.endswith(("(", "“", "‘", "[")):
        return left + right
    return left + " " + right


_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def _text_units(text: str) -> list[_Unit]:
    units: list[_Unit] = []
    for block in _BLANK_LINE.split(text):
        if "\n" not in block:  # (most blocks, where blank lines part the paragraphs)
            line = block.strip()
            if line:
                _add_line_units([line], units)
            continue
        lines = [l.strip() for l in block.split("\n") if l.strip()]
        if not lines:
            continue
        if _is_wrapped_block(lines):
            units.append(_Unit(" ".join(lines)))
        else:
            _add_line_units(lines, units)
    return units


def _add_list(bullets: str, units: list[_Unit]) -> None:
    """Add a run of bullets (each made "• ") to the paragraph before it, or as a paragraph of its own."""
    owner = units[-1] if units else None
    # A list belongs to the paragraph that introduces it, not to a heading.
    if owner is not None and (owner.has_bullets or (not owner.heading_like and not owner.tag)):
        owner.text += "\n" + bullets
        owner.has_bullets = True
    else:
        units.append(_Unit(bullets, has_bullets=True))


def _add_line_units(lines: list[str], units: list[_Unit]) -> None:
    """Apply the guide's one-paragraph-per-line rules to the lines of one block, adding its paragraphs to ``units``.

    The paragraph before a line is ``units[-1]``: the block's own last one, else the last one before the block.
    The lines are stripped and not empty, so a line ends a sentence when it ends with a closer (what
    _ends_sentence tells of any text, without its rstrip: this runs for every line of every article).
    """
    n = len(lines)
    strict = n > 1
    # What the rules ask of a line is asked once: each line is asked about as itself and as the next line.
    # (One more entry stands for "no next line": neither a bullet nor a marker.)
    bullet_at: list[re.Match[str] | None] = [_BULLET.match(line) for line in lines]
    bullet_at.append(None)
    # A marker: an ALL-CAPS label standing alone, not a capitalised word mid-sentence.
    marker_at = [_is_caps_label(line) and (i + 1 == n or not _continues(lines[i + 1])) for i, line in enumerate(lines)]
    marker_at.append(False)
    # A paragraph whose last line stopped mid-sentence, kept as its parts (joined once, when it closes: joining it
    # line by line would be quadratic in a block of many lines) and its last _TAIL characters, which are all the
    # rules look at (how it ends, its last word: a longer last word is no function word).
    open_parts: list[str] | None = None
    open_tail = ""
    close_after_next = False  # a teaser label takes exactly one line as its value
    list_end = 0  # lines before this index were taken with the list they belong to
    for i, line in enumerate(lines):
        if i < list_end:
            continue
        nxt = lines[i + 1] if i + 1 < n else None
        if bullet_at[i]:
            if open_parts is not None:
                units.append(_Unit("".join(open_parts)))
                open_parts = None
            # A run of bullets goes to one owner; joined once, so a long list stays linear.
            list_end = i + 1
            while bullet_at[list_end]:
                list_end += 1
            # Each item with its bullet made "• " (what _BULLET.sub("• ", item, count=1) gives: the match is at 0).
            _add_list("\n".join("• " + lines[j][bullet_at[j].end() :] for j in range(i, list_end)), units)
            continue
        if open_parts is None and units and line[:1] in _CONTINUATION_STARTS:
            # Punctuation left on its own line after a link closes the paragraph before it; a run of such lines
            # (never bullets: no bullet starts so) is joined at once, each glued on without a space (see _join).
            list_end = i + 1
            while list_end < n and lines[list_end][:1] in _CONTINUATION_STARTS:
                list_end += 1
            units[-1].text += "".join(lines[i:list_end])
            continue
        if open_parts is not None:
            glue = (
                "" if line[:1] in _CONTINUATION_STARTS or open_tail.endswith(("(", "“", "‘", "[")) else " "
            )  # as _join
            open_parts += (glue, line)
            open_tail = (open_tail + glue + line)[-_TAIL:]
            # "SEE ALSO" / ":" / "Title": the label's value is the next line that has words.
            if close_after_next:
                if not open_tail.endswith(":"):
                    close_after_next = False
                    units.append(_Unit("".join(open_parts)))
                    open_parts = None
                continue
        elif nxt is not None and not bullet_at[i + 1] and _is_label_line(line):
            open_parts, open_tail = [line], line[-_TAIL:]
            close_after_next = bool(_TEASER_LABEL.match(line))
            continue
        elif marker_at[i]:
            # A label such as "BRIEF" or "ANALYSIS": a heading if prose follows it, else furniture.
            units.append(_Unit(line, heading_like=not line.endswith(_CLOSERS)))
            continue
        elif line.endswith(_CLOSERS):
            units.append(_Unit(line))
            continue
        elif nxt is None or marker_at[i + 1] or bullet_at[i + 1]:
            units.append(_Unit(line, heading_like=_could_be_heading(line, strict=strict)))
            continue
        elif not _continues(nxt) and _could_be_heading(line, strict=True):
            units.append(_Unit(line, heading_like=True))
            continue
        else:
            open_parts, open_tail = [line], line[-_TAIL:]
        # (The open paragraph ends with this line: it ends a sentence when the line does.)
        if (
            line.endswith(_CLOSERS)
            or nxt is None
            or bullet_at[i + 1]
            or (marker_at[i + 1] and not _mid_phrase(open_tail))
        ):
            units.append(_Unit("".join(open_parts)))
            open_parts = None
    if open_parts is not None:
        units.append(_Unit("".join(open_parts)))


#: How much of an open paragraph's end the line rules read (its last characters; see _add_line_units).
_TAIL = 256


# --------------------------------------------------------------------------- HTML

_DROP_ELEMENTS = frozenset(
    "script style noscript template svg canvas iframe object embed nav header footer aside form "
    "button select option input textarea label head title menu dialog".split()
)
_BLOCK_ELEMENTS = frozenset("p h1 h2 h3 h4 h5 h6 li blockquote pre figcaption caption dd dt td th".split())
_BREAK_ELEMENTS = frozenset("div section article main ul ol table tr figure body html br hr".split())
_VOID_ELEMENTS = frozenset("area base br col embed hr img input link meta param source track wbr".split())
_FURNITURE_ATTR = re.compile(
    r"share|social|related|breadcrumb|\bnav|menu|footer|comment|donat|newsletter|subscribe|byline|"
    r"caption|credit|\btags?\b|pagination|pager|advert|\bads?\b|promo|sidebar|widget|cookie|author-bio",
    re.IGNORECASE,
)


class _BlockCollector(HTMLParser):
    """Collects the text of block elements; skips dropped subtrees."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str, bool]] = []  # (tag, text, furniture_hint)
        # Open elements: (tag, inside furniture: the element's or an ancestor's attributes say so).
        # Both lookups stay O(1) however deep the nesting; a page of 100,000 nested <div>s is linear.
        self._stack: list[tuple[str, bool]] = []
        self._open: dict[str, int] = {}  # how many elements of each tag are open
        self._drop_depth = 0
        self._buf: list[str] = []
        self._buf_tag = ""
        self._buf_hint = False

    def _flush(self) -> None:
        text = " ".join("".join(self._buf).split())
        if text:
            self.blocks.append((self._buf_tag or "p", text, self._buf_hint))
        self._buf = []
        self._buf_tag = ""

    def _in_furniture(self) -> bool:
        return bool(self._stack) and self._stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID_ELEMENTS:
            if tag in ("br", "hr"):
                self._buf.append(" ")
            return
        if self._drop_depth:
            self._drop_depth += 1
            return
        if tag in _DROP_ELEMENTS:
            self._drop_depth = 1
            return
        attr_text = " ".join(v or "" for k, v in attrs if k in ("class", "id", "role"))
        furniture = bool(_FURNITURE_ATTR.search(attr_text))
        if tag in _BLOCK_ELEMENTS or tag in _BREAK_ELEMENTS:
            self._flush()
            self._buf_tag = tag if tag in _BLOCK_ELEMENTS else ""
        self._stack.append((tag, furniture or self._in_furniture()))
        self._open[tag] = self._open.get(tag, 0) + 1
        self._buf_hint = self._in_furniture()

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID_ELEMENTS:
            return
        if self._drop_depth:
            self._drop_depth -= 1
            return
        if tag in _BLOCK_ELEMENTS or tag in _BREAK_ELEMENTS:
            self._buf_hint = self._in_furniture()
            self._flush()
        # Pop up to the matching element; tolerate unclosed children.
        if not self._open.get(tag):
            return
        while True:
            popped, _ = self._stack.pop()
            self._open[popped] -= 1
            if popped == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._drop_depth:
            if not self._buf:
                self._buf_hint = self._in_furniture()
            self._buf.append(data)

    def parse_marked_section(self, i: int, report: int = 1) -> int:
        # The standard library raises AssertionError on "<![" sections other than CDATA and MS Office
        # conditionals; HTML reads any of them as a bogus comment up to the next ">".
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:
            end = self.rawdata.find(">", i + 3)
            return -1 if end < 0 else end + 1

    def close(self) -> None:
        super().close()
        self._flush()


# A numeric character reference too long to name a character: the standard library converts its digits with int(),
# which refuses more than 4,300 of them (a ValueError that ended the whole run).
_LONG_CHARREF = re.compile(r"&#(?:[xX]([0-9a-fA-F]{8,})|([0-9]{8,}));?")


def _defused(html: str) -> str:
    """The page with every numeric character reference past the last code point (U+10FFFF: 7 significant digits)
    replaced by U+FFFD, which is what the HTML standard (and ``html.unescape``) makes of it."""
    if "&#" not in html:
        return html

    def replace(match: re.Match) -> str:
        digits = (match.group(1) or match.group(2)).lstrip("0")
        return "\ufffd" if len(digits) > 7 else match.group()

    return _LONG_CHARREF.sub(replace, html)


def _html_units(html: str) -> list[_Unit]:
    collector = _BlockCollector()
    collector.feed(_defused(normalize_text(html)))
    collector.close()
    units: list[_Unit] = []
    items: list[str] = []  # list items that extend units[-1], joined once (a long list stays linear)

    def add(unit: _Unit) -> None:
        if items:
            units[-1].text += "".join(items)
            items.clear()
        units.append(unit)

    for tag, text, hint in collector.blocks:
        if tag == "li":
            owner = units[-1] if units else None
            if owner is not None and (owner.tag == "p" or owner.has_bullets) and not owner.furniture_hint:
                items.append("\n• " + text)
                owner.has_bullets = True
            else:
                add(_Unit("• " + text, tag=tag, furniture_hint=hint, has_bullets=True))
            continue
        heading = tag in ("h1", "h2", "h3", "h4", "h5", "h6")
        add(_Unit(text, heading_like=heading, tag=tag, furniture_hint=hint or tag == "figcaption"))
    if items:
        units[-1].text += "".join(items)
    return units


# --------------------------------------------------------------------------- metadata

#: Where web pages state their metadata: <meta name|property|itemprop=…> keys, in order of preference.
_META_KEYS = {
    "title": ("og:title", "twitter:title", "dc.title", "headline"),
    "date": (
        "article:published_time",
        "datepublished",
        "date",
        "pubdate",
        "publishdate",
        "dc.date",
        "dc.date.issued",
        "sailthru.date",
        "og:updated_time",
    ),
    "author": ("author", "article:author", "dc.creator", "byl", "sailthru.author"),
    "url": ("og:url",),
}
_META_NAMES = {key: field for field, keys in _META_KEYS.items() for key in keys}

#: The metadata a page states and every output table has a column for: title, date, author, url.
METADATA_COLUMNS = tuple(_META_KEYS)
_METADATA_SCAN_CHARS = 500_000  # metadata lives in the <head>: never parse a whole huge page for it


class _MetadataCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: dict[str, tuple[int, str]] = {}  # field → (preference rank, value)
        self.title: list[str] = []
        self._in_title = False
        self.done = False

    def _offer(self, field: str, rank: int, value: str) -> None:
        value = " ".join(value.split())
        if value and (field not in self.found or rank < self.found[field][0]):
            self.found[field] = (rank, value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
            if key in _META_NAMES:
                field = _META_NAMES[key]
                self._offer(field, _META_KEYS[field].index(key), a.get("content", ""))
        elif tag == "link" and "canonical" in a.get("rel", "").lower().split():
            self._offer("url", -1, a.get("href", ""))
        elif tag == "title":
            self._in_title = True
        elif tag == "body":
            self.done = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "head":
            self.done = True

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)


def html_metadata(html: str) -> dict[str, str]:
    """Title, date, author and url that a web page states in its ``<head>`` (meta tags, ``<title>``, canonical link).

    >>> html_metadata('<html><head><title>Peru Sends Troops - Site</title>'
    ...               '<meta property="article:published_time" content="2020-03-18T10:00:00Z">'
    ...               '<meta name="author" content="Chris Dalby"></head><body><p>Text.</p></body></html>')
    {'date': '2020-03-18T10:00:00Z', 'author': 'Chris Dalby', 'title': 'Peru Sends Troops - Site'}
    """
    parser = _MetadataCollector()
    head = _defused(html[:_METADATA_SCAN_CHARS])
    # Feed in pieces so that parsing stops at the end of the <head>, however long the page.
    for start in range(0, len(head), 8192):
        try:
            parser.feed(head[start : start + 8192])
        except AssertionError:  # the standard library's parser gives up on some malformed markup
            break
        if parser.done:
            break
    found = {field: value for field, (_, value) in parser.found.items()}
    title = " ".join("".join(parser.title).split())
    if title and "title" not in found:
        found["title"] = title
    return found


# --------------------------------------------------------------------------- boilerplate

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = rf"(?:\d{{1,2}}\s+{_MONTH},?\s+\d{{4}}|{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})"

_ON_LOWER_CASE = frozenset({"donation", "newsletter", "reuse", "caption"})

#: Furniture recognised from the text of a short paragraph alone, by kind.
FURNITURE_PATTERNS: dict[str, re.Pattern[str]] = {
    # Patterns that scan the whole text are matched on the lower-cased text: twice as fast as IGNORECASE.
    name: re.compile(pattern) if name in _ON_LOWER_CASE else re.compile(pattern, re.IGNORECASE)
    for name, pattern in {
        "share": r"^(?=.*[a-z])(?:share|tweet|print|e-?mail|facebook|twitter|x|whatsapp|linkedin|telegram|reddit|"
        r"pinterest|copy link|icons?|on|this|article|story|page|via|[\W_])+$",
        "donation": r"\b(?:donate|make a donation|support (?:our|independent) (?:work|journalism)|"
        r"become a (?:member|patron|supporter|subscriber)|in order to do (?:so|that|this), we need)\b",
        "newsletter": r"\b(?:sign up for|subscribe to) (?:our|the) (?:\w+ )?newsletter\b|^subscribe\b",
        "feedback": r"^(?:was this (?:content|article|story|page|information) (?:helpful|useful)|"
        r"what (?:are|do) (?:your thoughts|you think)|leave a (?:comment|reply)|(?:\d+ )?comments?$|"
        r"post a comment|join the (?:conversation|discussion))",
        "reuse": r"copy and distribute|all rights reserved|^©|\bcopyright\b|creative commons|"
        r"\brepublish|reprinted with permission|(?:originally|first) (?:appeared|published) (?:in|on|at)\b|"
        r"non-commercial purposes",
        "teaser": r"^(?:see also|related(?: content| articles?| stories| posts| reading| coverage)?|"
        r"read (?:more|also|next)|more (?:on|from|about) (?:this|the|our)(?: \w+)?|further reading|"
        r"recommended(?: for you)?|you (?:may|might) also (?:like|be interested in)|most (?:read|popular))(?:\s*:|$)",
        "byline": r"^(?:by|written by|reporting by|words by|posted by|author:)\s+\S+(?:\s+\S+){0,5}$|"
        rf"^[A-Z][\w .,&-]{{0,40}}\s*/\s*{_DATE}",
        "date": rf"^(?:(?:updated|published|posted)(?: on)?:?\s*)?{_DATE}(?:\s*[,|·-]?\s*\d{{1,2}}:\d{{2}}\s*(?:am|pm)?)?$",
        "caption": r"^(?:(?:top|main|lead|featured|cover) )?(?:photo|image|picture|graphic|illustration|video|credit|source|file photo)s?"
        r"(?: credit)?\s*[:/|]|^\((?:photo|image|graphic|map|chart|credit)[^)]*\)$|\b(?:getty images|ap photo|afp photo|reuters/|"
        r"shutterstock)\b|(?:photo|image) (?:by|courtesy of)\b",
        "navigation": r"^(?:home|menu|search|skip to (?:main )?content|back to top|log ?in|sign ?in|sign up|"
        r"tags?|topics?|categories|filed under|prev(?:ious)?(?: next)?|next(?: page)?|older posts|newer posts|"
        r"page \d+(?: of \d+)?|load more|view all|[\d\s•|>»›/-]+|×|name|email|website|comment)$|"
        r"^home\s*[>/»›|]|^Home[A-Z][a-z]",
        "bio": r"^\W{0,2}[A-Z][\w'.-]*(?: [A-Z][\w'.-]*){1,3} is (?:a|an|the) (?:[\w.,-]+ ){0,5}"
        r"(?:journalist|researcher|reporter|writer|editor|fellow|analyst|professor|lecturer|director|author|"
        r"correspondent|candidate|student|scholar)\b",
    }.items()
}

# The patterns on the lower-cased text scan the whole paragraph, which costs microseconds per pattern, and
# almost no paragraph matches. A match of one either begins at the paragraph's start ("^" branches, without
# re.MULTILINE, match nowhere else; pattern.match tests the start at no cost) or contains one of these words,
# read off each of the pattern's other branches. Where none of the words appears, searching is skipped: exact.
_WORDS_IN_MATCHES_PAST_START = {
    "donation": ("donat", "support ", "become a ", "in order to do "),
    "newsletter": ("newsletter",),  # (its other branch is "^subscribe")
    "reuse": (
        "copy and distribute",
        "all rights reserved",
        "copyright",
        "creative commons",
        "republish",
        "reprinted with permission",
        "appeared",
        "published",
        "non-commercial purposes",
    ),  # and "^©"
    "caption": ("photo", "image", "reuters/", "shutterstock"),  # agency credits, "photo by"; the rest are "^"
}
# Patterns matched on the paragraph's first line only; of those, the ones that a line of many words does not match.
_FIRST_LINE_PATTERNS = frozenset({"teaser", "navigation", "byline", "date", "feedback"})
_SHORT_LINE_PATTERNS = frozenset({"teaser", "navigation", "date", "byline"})
_MAX_SHORT_LINE_WORDS = 14

# How _furniture_kind tries each pattern, in FURNITURE_PATTERNS' order (the first kind that matches is the one):
# (kind, pattern, the words of its matches past the start or None, on the first line only).
# Every pattern not on the lower-cased text begins each of its branches with "^" and none is re.MULTILINE, so
# it matches at the start of the text or nowhere: pattern.match is pattern.search there (tests check both facts).
_FURNITURE_PLAN = tuple(
    (name, pattern, _WORDS_IN_MATCHES_PAST_START.get(name), name in _FIRST_LINE_PATTERNS)
    for name, pattern in FURNITURE_PATTERNS.items()
)
# The plan for a paragraph whose first line is long: teaser labels and navigation words are short lines, not
# sentences that start alike, so those patterns are not tried there (a match would be passed over all the same).
_FURNITURE_PLAN_LONG_FIRST_LINE = tuple(step for step in _FURNITURE_PLAN if step[0] not in _SHORT_LINE_PATTERNS)
_ALL_WORDS_IN_MATCHES_PAST_START = tuple(word for words in _WORDS_IN_MATCHES_PAST_START.values() for word in words)

# Standing alone, these end the article: everything after them is furniture.
_RELATED_HEADER = re.compile(
    r"^(?:related(?: content| articles?| stories| posts| coverage)?|"
    r"you (?:may|might) also like|more (?:stories|articles)|recommended(?: for you)?|"
    r"most (?:read|popular)|tags|about the authors?)$",
    re.IGNORECASE,
)
_PAGINATION = re.compile(r"^(?:prev(?:ious)?\s*next|«?\s*prev(?:ious)?|next\s*»?|page \d+ of \d+)$", re.IGNORECASE)

# Furniture is short: a long paragraph that happens to say "copyright" is still prose.
_MAX_FURNITURE_WORDS = 70
_MAX_FURNITURE_CHARS = 3000  # 70 very long "words" (a pasted blob) are not furniture either


def furniture_kind(text: str) -> str | None:
    """The kind of page furniture a paragraph's text is, or None for article text.

    >>> furniture_kind("SEE ALSO: Coverage of the Shining Path")
    'teaser'
    >>> furniture_kind("The army eradicated 20,000 hectares of coca.") is None
    True
    """
    return _furniture_kind(text, text.lower(), len(text.split(None, _MAX_FURNITURE_WORDS)))


def _furniture_kind(text: str, lowered: str, n_words: int) -> str | None:
    """furniture_kind, given the text lower-cased and its number of words (or any number past the limit)."""
    if len(text) > _MAX_FURNITURE_CHARS or n_words > _MAX_FURNITURE_WORDS:
        return None
    if "\n" in text:
        first_line = text.split("\n", 1)[0].strip()
        first_line_words = len(first_line.split())
        # A menu: a short label over short items. Prose that ends in a stray one-letter bullet is not one.
        if first_line_words <= 8 and all(_is_navigation_item(l) for l in text.split("\n")[1:]):
            return "navigation"
    else:
        # The text is its first line: it has n_words words (the number itself, being within the limit).
        first_line = text.strip()
        first_line_words = n_words
    plan = _FURNITURE_PLAN_LONG_FIRST_LINE if first_line_words > _MAX_SHORT_LINE_WORDS else _FURNITURE_PLAN
    # Most paragraphs contain not one of the words that the lower-case patterns' matches past the start contain:
    # one look over all the words tells so, and spares looking for each pattern's own (a pattern can then only
    # match at the start).
    any_word_past_start = any(map(lowered.__contains__, _ALL_WORDS_IN_MATCHES_PAST_START))
    for name, pattern, words_past_start, on_first_line in plan:
        if words_past_start is not None:
            if not pattern.match(lowered) and not (
                any_word_past_start and any(w in lowered for w in words_past_start) and pattern.search(lowered)
            ):
                continue
        elif not pattern.match(first_line if on_first_line else text):
            continue
        return name
    return None


def _is_navigation_item(line: str) -> bool:
    item = line.lstrip("• ").strip()
    return len(item.split()) <= 2 and (item.isdigit() or len(item) <= 3)


#: A paragraph that ends a sentence and is at least this long is prose: the article, not its furniture.
_PROSE_WORDS = 15


def _prose_words(unit: _Unit, furniture: str | None, words: int) -> int:
    return words if furniture is None and words >= _PROSE_WORDS and _ends_sentence(unit.text) else 0


def _key_and_word_count(unit_text: str) -> tuple[str, int]:
    """A unit's text (or its lower-cased text) with its words joined by one space, and how many words it has.

    Exactly what ``" ".join(words), len(words)`` of ``unit_text.split()`` gives, without making the list of words:
    a unit's words are parted by one plain space or one line break and none stands at either end (see _Unit), so
    its key is the text with its line breaks made spaces, which has one word more than spaces.
    """
    key = unit_text.replace("\n", " ")
    return key, key.count(" ") + 1 if key else 0


def _is_title_line(text: str) -> bool:
    """The first line of a text that titles it: short, one line, title case; a question or exclamation allowed."""
    words = text.split()
    if "\n" in text or not words or len(words) > 16 or not text.rstrip().endswith(("?", "!")) and _ends_sentence(text):
        return False
    first = next((c for c in text if c.isalnum()), "")
    content_words = [w.strip("‘’“”\"'¿¡") for w in words]
    content_words = [w for w in content_words if len(w) >= 4 and w.lower() not in _FUNCTION_WORDS and w[:1].isalpha()]
    return first.isupper() and len(content_words) >= 2 and all(w[0].isupper() for w in content_words)


def _ends_open(text: str) -> bool:
    """Text cut off mid-sentence, as a line broken around a link is: "… when compared to", "El Salvador’s"."""
    tail = text.rstrip()
    if not tail or _ends_sentence(tail):
        return False
    possessive = tail.endswith(("’s", "'s")) or (tail.endswith("’") and "‘" not in tail)
    return possessive or _mid_phrase(tail)


def _classify(units: list[_Unit]) -> list[Kind]:
    kinds: list[Kind] = []
    furniture: list[str | None] = []
    prose: list[int] = []
    keys: list[str] = []  # the unit's text, case and spacing aside
    word_counts: list[int] = []
    for unit in units:
        # One lower-casing and one word count serve the furniture check, the prose count and the key. The
        # lower-cased text is spaced as the text is: lower() turns spaces into themselves and nothing else
        # into one (tests check this over all of Unicode).
        text = unit.text
        lowered = text.lower()
        key, n_words = _key_and_word_count(lowered)
        kind = _furniture_kind(text, lowered, n_words) or ("html" if unit.furniture_hint else None)
        furniture.append(kind)
        prose.append(_prose_words(unit, kind, n_words))
        keys.append(key)
        word_counts.append(n_words)
    # Prose still to come after a unit (all of it less what stood up to the unit): a share row with more of the
    # article after it than before is the one at the top of the page, not the one that closes the article.
    prose_total = sum(prose)
    prose_before = 0
    in_tail = False
    seen: set[str] = set()
    repeated: list[bool] = []  # the unit's text (case and spacing aside) stood earlier in the article
    content_so_far = 0  # kept as a count: rescanning the kinds for every unit made long inputs quadratic
    for i, unit in enumerate(units):
        key = keys[i]
        kind = furniture[i]
        is_repeat = key in seen
        repeated.append(is_repeat)
        seen.add(key)
        if in_tail or kind or (is_repeat and len(key) > 3):
            kinds.append("boilerplate")
        elif unit.heading_like or (i == 0 and len(units) > 1 and _is_title_line(unit.text)):
            kinds.append("heading")
        else:
            kinds.append("content")
        # A share row after the article has begun closes it (the one above the lead is the caption's).
        closing_share = (
            kind == "share" and content_so_far >= 2 and prose_before >= prose_total - prose_before - prose[i]
        )
        content_so_far += kinds[-1] == "content"
        prose_before += prose[i]
        # (Once in the tail, the article's end need not be looked for again. A "Related" header or a pagination
        # row has four words at most: each space in their matches is one of the patterns' own.)
        if not in_tail and (
            kind == "feedback"
            or closing_share
            or (
                word_counts[i] <= 4
                and (_RELATED_HEADER.match(unit.text.strip()) or _PAGINATION.match(unit.text.strip()))
            )
        ):
            in_tail = True
    # A line cut off mid-sentence (around a link) runs on into the next: neither is a heading.
    for i in range(len(units)):
        if (
            kinds[i] == "heading"
            and not units[i].tag
            and (_ends_open(units[i].text) or (i and kinds[i - 1] == "content" and _ends_open(units[i - 1].text)))
        ):
            kinds[i] = "content"
    # A heading stands before prose: one with no content before the next heading is furniture.
    following = None  # the first kind after i that is not boilerplate, as decided so far
    for i in range(len(kinds) - 1, -1, -1):
        if kinds[i] == "heading" and following != "content":
            kinds[i] = "boilerplate"
        if kinds[i] != "boilerplate":
            following = kinds[i]
    # Above the share buttons at the top of a page stands the lead photo's caption. A share row with no
    # content after it is at the article's end, not its top: what stands above it is the article.
    first_share = furniture.index("share") if "share" in furniture[:4] else None
    if first_share is not None and "content" in kinds[first_share + 1 :]:
        for i in range(first_share):
            if kinds[i] != "heading" and len(units[i].text.split()) <= 35:
                kinds[i] = "boilerplate"
    # A page title with the site's name ("Title - Site") before the title itself.
    headings = [i for i, k in enumerate(kinds[:8]) if k == "heading"]
    for i in headings:
        for j in headings:
            if (
                i != j
                and len(units[j].text) >= 12
                and units[j].text in units[i].text
                and units[i].text != units[j].text
            ):
                kinds[i] = "boilerplate"
    # Nothing left as content: what only position or shape set aside (not a furniture pattern) is kept,
    # because a short text with no closing punctuation (a tweet, an answer) is the text, not a page's frame.
    if "content" not in kinds:
        for i in range(len(units)):
            if not furniture[i] and not repeated[i]:
                kinds[i] = "content"
    return kinds
