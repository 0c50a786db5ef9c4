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
from dataclasses import dataclass

from youcheng.model import Link

# [text](target "title") where target may hold backslash-escaped or balanced parens.
_MD_LINK = re.compile(
    r"\[(?P<text>(?:[^\[\]]|\[[^\[\]]*\])*)\]"
    r"\((?P<target>(?:\\.|[^()\\\s]|\((?:\\.|[^()\\])*\))*)(?:\s+\"(?P<title>[^\"]*)\")?\s*\)"
)
_HTML_LINK = re.compile(r"<a\s[^>]*?href=\"(?P<target>[^\"]*)\"[^>]*>(?P<text>.*?)</a>", re.S)
_TAG = re.compile(r"<[^>]+>")
_BACKSLASH_ESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True)
class Segment:
    """A run of plain text, or a link when ``link`` is set."""

    text: str
    link: Link | None = None


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
    """Split Markdown inline text into plain and link segments, in order."""
    return _segments(text, _MD_LINK, lambda m: _BACKSLASH_ESCAPE.sub(r"\1", m["text"]))


def html_segments(fragment: str) -> list[Segment]:
    """Split an HTML cell's inner markup into plain and link segments, in order."""
    return _segments(fragment, _HTML_LINK, lambda m: _plain_html(m["text"]))


def _segments(text: str, pattern: re.Pattern[str], link_text: object) -> list[Segment]:
    out: list[Segment] = []
    pos = 0
    for match in pattern.finditer(text):
        _add_plain(out, text[pos:match.start()], pattern is _HTML_LINK)
        shown = link_text(match)  # type: ignore[operator]
        out.append(Segment(shown, Link(shown, page_title(html.unescape(match["target"])))))
        pos = match.end()
    _add_plain(out, text[pos:], pattern is _HTML_LINK)
    return out


def _add_plain(out: list[Segment], raw: str, is_html: bool) -> None:
    plain = _plain_html(raw) if is_html else html.unescape(_TAG.sub("", raw))
    if plain.strip():
        out.append(Segment(plain))


def _plain_html(fragment: str) -> str:
    return html.unescape(_TAG.sub("", fragment)).strip()


def plain_text(segments: list[Segment]) -> str:
    """The text a reader sees, links and plain runs joined without separators."""
    return "".join(seg.text for seg in segments).strip()


_PAREN = re.compile(r"[（(]([^（）()]*)[）)]")


def split_parentheticals(text: str) -> tuple[str, list[str]]:
    """Remove full- or half-width parenthesised remarks and return (rest, remarks).

    Used on the plain text after a partner link, where the page puts the date
    ``（1981年4月6日）`` and notes such as ``（友好協約書）``.
    """
    remarks = [m.group(1).strip() for m in _PAREN.finditer(text)]
    return _PAREN.sub("", text).strip(), [r for r in remarks if r]
