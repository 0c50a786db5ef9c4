"""Inline markup shared by the converted-wiki page formats.

The zh-Wikipedia Markdown conversion writes links two ways: Markdown
``[text](../Page/Title.md "wikilink")`` in prose and pipe tables, and HTML
``<a href="../Page/Title.md" title="wikilink">text</a>`` inside HTML tables.
Both become a sequence of ``Segment`` values (plain text or a link) so the
format modules can read a cell the same way whichever markup it came in.
"""

from __future__ import annotations

import html
import re
import urllib.parse
from typing import NamedTuple

from youcheng._memo import short_text_cache
from youcheng.model import Link

# [text](target "title") where target may hold backslash-escaped or balanced parens.
_MD_LINK = re.compile(
    r"\[(?P<text>(?:[^\[\]]|\[[^\[\]]*\])*)\]"
    r"\((?P<target>(?:\\.|[^()\\\s]|\((?:\\.|[^()\\])*\))*)(?:\s+\"(?P<title>[^\"]*)\")?\s*\)"
)
# Every pattern here runs in time linear in the cell: no quantified run can cross
# a '<', so a hostile million-character line of '<a href="' or '<' cannot make
# the regex engine backtrack quadratically (tests/test_limits.py pins that).
_HTML_LINK_OPEN = re.compile(r"<a\s[^<>]*>")
_HTML_HREF = re.compile(r"href=\"(?P<target>[^\"]*)\"")
_HTML_LINK_CLOSE = "</a>"
_TAG = re.compile(r"<[^<>]+>")
_BACKSLASH_ESCAPE = re.compile(r"\\(.)")
# A decimal character reference of 8+ digits is past U+10FFFF, which
# html.unescape turns into U+FFFD anyway; with 4,300+ digits it would instead
# raise ValueError (Python's limit on int() of long digit strings).
_HUGE_CHARREF = re.compile(r"&#0*+[0-9]{8,};?")
# Cells and link targets repeat all over a long page (the same partner, the same
# date), so short ones are split once and remembered (youcheng._memo).
_CACHE_SIZE = 1 << 15


class Segment(NamedTuple):
    """A run of plain text, or a link when ``link`` is set.

    A named tuple (immutable, hashed in C): a partner cell's segments are the key
    its reading is remembered by (wikimd_cells._partner_cell), hashed once per row.
    """

    text: str
    link: Link | None = None


@short_text_cache(_CACHE_SIZE)
def page_title(target: str) -> str:
    """Turn a link target into the wiki page title it names.

    ``../Page/南陽市_\\(日本\\).md`` -> ``南陽市 (日本)``; a leading ``:`` (an
    interwiki-style escape the converter left in) is dropped. Targets that are
    not wiki pages (full URLs) are returned unquoted but otherwise as they are.
    """
    title = _BACKSLASH_ESCAPE.sub(r"\1", target.strip())
    title = urllib.parse.unquote(title)
    if title.startswith("../Page/"):
        title = title[len("../Page/"):]
        if title.endswith(".md"):
            title = title[:-3]
        title = title.replace("_", " ")
    return title.lstrip(":").strip()


def markdown_segments(text: str) -> list[Segment]:
    """Split Markdown inline text into plain and link segments, in order.

    Every link ends with ``)``, so nothing after the text's last ``)`` can be part
    of one: the links up to there are found once per distinct prefix (a partner's
    links repeat on every row, its date after them does not), and only the plain
    run at the end is worked out per call.
    """
    cut = text.rfind(")") + 1
    prefix = text[:cut]
    links, tail = _markdown_links(prefix)
    out = list(links)
    _add_plain(out, tail + text[cut:], False)
    return out


@short_text_cache(_CACHE_SIZE)
def _markdown_links(text: str) -> tuple[tuple[Segment, ...], str]:
    """The segments of ``text`` up to its last link's end, and the raw text after it."""
    out: list[Segment] = []
    pos = 0
    for match in _MD_LINK.finditer(text):
        _add_plain(out, text[pos:match.start()], False)
        shown = _BACKSLASH_ESCAPE.sub(r"\1", match["text"])
        out.append(Segment(shown, Link(shown, page_title(_unescape(match["target"])))))
        pos = match.end()
    return tuple(out), text[pos:]


def html_segments(fragment: str) -> list[Segment]:
    """Split an HTML cell's inner markup into plain and link segments, in order.

    A link is ``<a ... href="target" ...>text</a>``, text running to the first
    ``</a>``. Scanned by hand rather than with one regex because a lazy
    ``<a ...>(.*?)</a>`` rescans the rest of the cell from every unclosed ``<a``.
    """
    return list(_html_segments(fragment))


@short_text_cache(_CACHE_SIZE)
def _html_segments(fragment: str) -> tuple[Segment, ...]:
    out: list[Segment] = []
    pos = 0
    search_from = 0
    close = -1
    while (opening := _HTML_LINK_OPEN.search(fragment, search_from)) is not None:
        if close < opening.end():
            close = fragment.find(_HTML_LINK_CLOSE, opening.end())
            if close < 0:
                break
        href = _HTML_HREF.search(opening.group())
        if href is None:
            search_from = opening.end()
            continue
        _add_plain(out, fragment[pos:opening.start()], True)
        shown = _plain_html(fragment[opening.end():close])
        out.append(Segment(shown, Link(shown, page_title(_unescape(href["target"])))))
        pos = search_from = close + len(_HTML_LINK_CLOSE)
    _add_plain(out, fragment[pos:], True)
    return tuple(out)


def _unescape(text: str) -> str:
    """``html.unescape`` that cannot raise on a hostile character reference."""
    return html.unescape(_HUGE_CHARREF.sub("\ufffd", text))


def _add_plain(out: list[Segment], raw: str, is_html: bool) -> None:
    plain = _plain_html(raw) if is_html else _unescape(_TAG.sub("", raw))
    if plain.strip():
        out.append(Segment(plain))


def _plain_html(fragment: str) -> str:
    return _unescape(_TAG.sub("", fragment)).strip()


def plain_text(segments: list[Segment]) -> str:
    """The text a reader sees, links and plain runs joined without separators."""
    return "".join(seg.text for seg in segments).strip()


_PAREN = re.compile(r"[（(]([^（）()]*)[）)]")


def split_parentheticals(text: str) -> tuple[str, list[str]]:
    """Remove full- or half-width parenthesised remarks and return (rest, remarks).

    Used on the plain text after a partner link, where the page puts the date
    ``（1981年4月6日）`` and notes such as ``（友好協約書）``. Short texts (a date
    recurs on many rows) are split once.
    """
    rest, remarks = _split_parentheticals(text)
    return rest, list(remarks)


@short_text_cache(_CACHE_SIZE)
def _split_parentheticals(text: str) -> tuple[str, tuple[str, ...]]:
    remarks = [m.group(1).strip() for m in _PAREN.finditer(text)]
    return _PAREN.sub("", text).strip(), tuple(r for r in remarks if r)
