"""What a city page's cell, list item or sentence says: the text readers of format ``wikimd-city``.

``citymd.py`` cuts the section into blocks and ``citymd_tables.py`` lays a table out as
rows of cells; the pieces here read the inline text in any of them the same way: a
cell's links and plain runs without footnotes or escapes, one or several partners in
it, what a partner's parentheses hold (a date, a region, an English name, a note), the
partners a prose sentence names (``…同法国[蒙彼利埃]结为姐妹城市``), country names in
their formal spellings, and the tier a heading or note names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from youcheng.dates import InvalidDate, looks_like_date, parse_date
from youcheng.model import Link, PartialDate, Tier
from youcheng.resolve.china import divisions, stem
from youcheng.resolve.countries import country_code as _country_code
from youcheng.resolve.names import fold_key, to_simplified
from youcheng.sources._markup import Segment, html_segments, markdown_segments
from youcheng.vocabulary import AnomalyKind

# Footnote marks: \[216\] (Markdown-escaped), [36] in HTML cells, <sup>…</sup>.
_FOOTNOTE = re.compile(r"\\\[[^\[\]\\\n]{1,16}\\\]|\[(?:\d{1,4}|[注註]\s*\d{1,3})\](?!\()"
                       r"|<sup\b[^<>]*>[^<]{0,40}</sup>", re.I)
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~<>\"'])")
_SPACES = re.compile(r"\s+")
_WIKI_URL = re.compile(r"^https?://zh\.(?:m\.)?wikipedia\.org/(?:wiki|zh(?:-[a-z]+)?)/(?P<t>[^?#]+)$")
_PAREN = re.compile(r"([（()）])")
_SEPARATOR = re.compile(r"\s*(?:[、，,；;/]|和|及|与|與)\s*")
_LATIN_TAIL = re.compile(r"^(?P<name>.*?[^\x00-\x7f])\s+(?P<en>[A-Za-z][\x20-\x7e]*)$")
# Prose: "1979年成都同法国[蒙彼利埃](…)结为[姐妹城市](…)".
_CLAUSE = re.compile(r"[，。；！？;]")
_CONNECT = re.compile(r"[同与和與跟]")
_VERB = re.compile(r"结为|结成|缔结|建立|结好|确立")
_RELATION = re.compile(r"友好城市|姐妹城市|姊妹城市|友城|友好关系|友好交流|友好合作|友好省")
_PROSE_DATE = re.compile(r"\d{4}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?")
_FORMAL = re.compile(r"(?:伊斯兰|联邦|民主|人民|社会主义|合众)*(?:共和国|王国|联邦|大公国|公国)$")
_AS_OF = re.compile(r"截至|截止|至今|目前")


def tier_of(text: str) -> Tier | None:
    """The tier a heading, caption, header or note names, None when it names none.

    A heading naming both (国际友好城市及友好交流城市) is a mixed list: ``sister``.
    """
    t = to_simplified(text)
    if re.search(r"意向|备忘录", t):
        return "intent"
    if re.search(r"国内|境内|省内|区内", t):
        return "domestic"
    sister = re.search(r"友好城市|姐妹城市|姊妹城市|友城|友好省|友好州|友好县|友好关系", t)
    if re.search(r"交流|合作", t) and not sister:
        return "exchange"
    return "sister" if sister else None


def _squash(text: str) -> str:
    """Whitespace runs as one space; U+FFFD (a damaged byte, reported on its line) dropped."""
    return _SPACES.sub(" ", text.replace("\ufffd", ""))


def _segments(raw: str, is_html: bool) -> list[Segment]:
    """A cell's segments with footnotes, escapes and stray brackets gone, wiki URLs as titles."""
    raw = _FOOTNOTE.sub("", raw)
    out: list[Segment] = []
    for seg in html_segments(raw) if is_html else markdown_segments(raw):
        if seg.link is not None:
            found = _WIKI_URL.match(seg.link.target)
            target = found["t"].replace("_", " ") if found else seg.link.target
            out.append(Segment(_squash(seg.text).strip(), Link(_squash(seg.text).strip(), target)))
            continue
        text = _squash(_ESCAPE.sub(r"\1", seg.text))
        if text.strip(" []"):
            out.append(Segment(text))
    return out


def _text(segments: list[Segment]) -> str:
    return "".join(s.text for s in segments).strip()


def country_code(text: str | None) -> str | None:
    """``countries.country_code``, also for a formal name the table lacks (吉尔吉斯斯坦共和国)."""
    found = _country_code(text)
    if found is None and text:
        short = _FORMAL.sub("", text)
        found = _country_code(short) if short and short != text else None
    return found


def _is_province(link: Link) -> bool:
    table = divisions()
    return any(d.level == "province" for name in (link.target, link.text)
               for d in table.by_key.get(fold_key(name), []))


@dataclass
class _Partner:
    """A partner cell or bullet read: name and links, and what its parentheses said."""

    name: str | None
    links: tuple[Link, ...]
    country: str | None = None
    country_link: str | None = None
    date: PartialDate | None = None
    date_text: str | None = None
    notes: list[str] = field(default_factory=list)
    extra: list[tuple[str, str]] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (kind, message)
    domestic: bool = False


def _split_partners(segments: list[Segment]) -> list[list[Segment]]:
    """[A]、[B] in one cell is two partners; [江苏省][南京市] is one."""
    parts: list[list[Segment]] = [[]]
    for i, seg in enumerate(segments):
        between = 0 < i < len(segments) - 1 and segments[i - 1].link and segments[i + 1].link
        if seg.link is None and between and _SEPARATOR.fullmatch(seg.text):
            parts.append([])
        else:
            parts[-1].append(seg)
    return [p for p in parts if p]


def _partner(segments: list[Segment]) -> _Partner:
    """Split a partner into its name (the text outside parentheses) and the parentheses:
    a date, a region (a linked place: 埼玉市（埼玉縣）), an English name, or a note."""
    name: list[Segment] = []
    groups: list[list[Segment]] = []
    depth = 0
    for seg in segments:
        if seg.link is not None:
            (groups[-1] if depth else name).append(seg)
            continue
        for piece in _PAREN.split(seg.text):
            if piece in ("（", "("):
                if depth:
                    groups[-1].append(Segment(piece))
                else:
                    groups.append([])
                depth += 1
            elif piece in ("）", ")"):
                depth = max(depth - 1, 0)
                if depth:
                    groups[-1].append(Segment(piece))
            elif piece:
                (groups[-1] if depth else name).append(Segment(piece))
    out = _Partner(None, ())
    lead = name[0] if name else None
    if lead is not None and any(s.text.strip() for s in name[1:]):
        if lead.link and (country_code(lead.link.text) or country_code(lead.link.target)):
            out.country, out.country_link, name = lead.text, lead.link.target, name[1:]
        elif lead.link and _is_province(lead.link):
            out.domestic, name = True, name[1:]
            out.links = (lead.link,)
    if name and name[0].link is None:  # 美国 犹他州奥勒姆市: a country written before the name
        first, _, rest = name[0].text.strip().partition(" ")
        if rest and out.country is None and country_code(first):
            out.country, name = first, [Segment(rest), *name[1:]]
    written = _text(name)
    tail = _LATIN_TAIL.match(written) if len(written) <= 200 else None
    if tail:
        written = tail["name"].strip()
        out.extra.append(("name_en", tail["en"].strip()))
    out.name = written or None
    out.links += tuple(s.link for s in name if s.link)
    for group in groups:
        text, links = _text(group), [s.link for s in group if s.link]
        if not text:
            continue
        if out.date_text is None and looks_like_date(text):
            out.date_text = text
            try:
                out.date = parse_date(text)
            except InvalidDate as exc:
                out.problems.append((AnomalyKind.invalid_date, str(exc)))
        elif links and (country_code(links[0].text) or country_code(links[0].target)):
            out.country = out.country or links[0].text
            out.country_link = out.country_link or links[0].target
        elif links:
            out.links = (*links, *out.links)
            out.extra.append(("region", text))
        elif re.search(r"[A-Za-z]", text) and not re.search(r"[\u3400-\u9fff]", text):
            out.extra.append(("name_en", text))
        else:
            out.notes.append(text)
    return out


def _prose_partners(text: str, subject: str) -> Iterator[tuple[Link, str | None, PartialDate | None,
                                                             str | None, Tier | None]]:
    """Partners prose names in a relation clause: "[年]…同|与 (国家) [X] 结为 友好城市"."""
    subject_stem = fold_key(stem(subject))
    for clause in _CLAUSE.split(text):
        if not _VERB.search(clause) or not _RELATION.search(clause):
            continue
        segments = _segments(clause, False)
        spans, pos = [], 0
        for seg in segments:
            spans.append((pos, pos + len(seg.text), seg))
            pos += len(seg.text)
        joined = "".join(s.text for s in segments)
        verb = next((m for m in _VERB.finditer(joined)
                     if any(a <= m.start() < b and s.link is None for a, b, s in spans)), None)
        if verb is None:
            continue
        connects = [m for a, b, s in spans if s.link is None and a < verb.start()
                    for m in _CONNECT.finditer(joined, a, min(b, verb.start()))]
        cut = connects[-1].end() if connects else 0
        links = [(a, s.link) for a, b, s in spans if s.link and cut <= a and b <= verb.start()]
        if not links and connects:
            links = [(a, s.link) for a, b, s in spans if s.link and b <= connects[-1].start()]
        links = [(a, link) for a, link in links if not _RELATION.search(to_simplified(link.text))
                 and fold_key(stem(link.text)) != subject_stem]
        if not links:
            continue
        before = joined[cut:links[0][0]].strip()
        country = before if country_code(before) else None
        head = joined[:connects[-1].start()] if connects else ""
        date: PartialDate | None = None
        date_text = None
        written = _PROSE_DATE.search(head)
        if written and not _AS_OF.search(head):
            try:
                date, date_text = parse_date(written.group()), written.group()
            except InvalidDate:
                pass  # prose: a year out of range is not a signing date
        tier = tier_of(clause[verb.start():])
        for _, link in links:
            if country_code(link.text) or country_code(link.target):
                country = link.text
                continue
            yield link, country, date, date_text, tier
