"""City pages' sister-city sections in the 2019 Markdown conversion of zh-Wikipedia.

A city article (武汉市, 合肥市 …) lists its partners in one section, and every page
lays it out its own way: HTML tables with any of a dozen header spellings, tables
transposed (countries across the top), pandoc pipe tables whose caption comes
after them, bullet lists with the date in parentheses, a MediaWiki table the
converter left raw on one line, or prose alone. The rows name only the partner:
the Chinese side is the page's subject (``SourceContext.subject``), and the
province the resolver needs as its hint is looked up from the subject here.

The file is read whole (a section is small; the build's size limits still apply),
cut into blocks (headings, tables, bullets, prose) and each block read with the
section's tier. Anything that looks like a row gives a record or an anomaly.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from youcheng.dates import InvalidDate, looks_like_date, parse_date
from youcheng.errors import ParseError
from youcheng.model import Anomaly, Link, PartialDate, RawPartnership, Tier
from youcheng.resolve.china import divisions, stem
from youcheng.resolve.countries import country_code as _country_code
from youcheng.resolve.names import fold_key, to_simplified
from youcheng.sources._markup import Segment, html_segments, markdown_segments, plain_text
from youcheng.sources._reader import Line, ProgressCallback
from youcheng.sources.base import Item, SourceContext

FORMAT = "wikimd-city"

# A sister-city section's heading names one of these (checked in Simplified script).
_SECTION_WORDS = ("友好城市", "姐妹城市", "姊妹城市", "友城", "友好交流", "友好合作", "国际关系",
                  "国际交流", "对外交流", "对外关系", "对外友好", "国际友好", "友好省", "友好关系")
_SOURCE_LINE = re.compile(r"^\s*<!--.*-->\s*$")
# Footnote marks: \[216\] (Markdown-escaped), [36] in HTML cells, <sup>…</sup>.
_FOOTNOTE = re.compile(r"\\\[[^\[\]\\\n]{1,16}\\\]|\[(?:\d{1,4}|[注註]\s*\d{1,3})\](?!\()"
                       r"|<sup\b[^<>]*>[^<]{0,40}</sup>", re.I)
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~<>\"'])")
_SPACES = re.compile(r"\s+")
_WIKI_URL = re.compile(r"^https?://zh\.(?:m\.)?wikipedia\.org/(?:wiki|zh(?:-[a-z]+)?)/(?P<t>[^?#]+)$")
_MARKUP_ONLY = re.compile(r"^(?:</?(?:center|div|span|p|br|small|big|font|hr)\b[^<>]*>\s*)+$"
                          r"|^\{\{[^{}]*\}\}$|^-{3,}$|^<!--.*-->$", re.I)
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+(?P<text>.*)$")
_PIPE_RULE = re.compile(r"^[\s|:\-]+$")
_HTML_TAG = re.compile(r"<(?P<close>/?)(?P<tag>table|tr|td|th|caption)\b(?P<attrs>[^<>]*)>", re.I)
_SPAN = re.compile(r"(rowspan|colspan)\s*=\s*\"?(\d{1,3})", re.I)
_ATTRS = re.compile(r"^\s*(?:\w+=\"[^\"|]*\"\s*)+\|(?!\|)")  # style="…" | cell text
_LEAD_SKIP = re.compile(r"(?:\s|<[^<>]*>)*")
_PAREN = re.compile(r"([（()）])")
_SEPARATOR = re.compile(r"\s*(?:[、，,；;/]|和|及|与|與)\s*")
_LATIN_TAIL = re.compile(r"^(?P<name>.*?[^\x00-\x7f])\s+(?P<en>[A-Za-z][\x20-\x7e]*)$")
_SUBJECT_SUFFIX = re.compile(r"(?:的)?(?:国际)?(?:友好城市|姐妹城市)(?:或姐妹城市)?(?:列表)?$")
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


def _heading(stripped: str) -> tuple[int, str] | None:
    """(level, plain title) of an ATX heading, else None (string operations: no backtracking)."""
    level = len(stripped) - len(stripped.lstrip("#"))
    if not 1 <= level <= 6 or stripped[level:level + 1] not in (" ", "\t"):
        return None
    title = stripped[level:].strip().rstrip("#").strip()
    return level, plain_text(markdown_segments(_FOOTNOTE.sub("", title)))


def _is_section_title(title: str) -> bool:
    """A heading's words, not a sentence made a heading (此列表列出…的友好城市。)."""
    simple = to_simplified(title)
    return (len(simple) <= 30 and not re.search(r"[。，；：:;,]", simple)
            and any(word in simple for word in _SECTION_WORDS))


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


def _key(segments: list[Segment]) -> str:
    """A header cell as compared: Simplified, no spaces (国 家 -> 国家)."""
    return _SPACES.sub("", to_simplified(_text(segments)))


def _role(key: str) -> str | None:
    """What a column holds, from its header (None: unknown, kept in ``extra``)."""
    if not key:
        return None
    if re.search(r"时间|日期|年份", key):
        return "date"
    for role, pattern in (("signatory", r"签字人|签署人"), ("signing_place", r"地点|签署地|签约地"),
                          ("note", r"备注|说明|注释"), ("skip", r"^(?:序号?|编号|no\.?|#)$"),
                          ("cn", r"中方|区县|县区|县市"), ("country", r"国家|国别|^国$"),
                          ("partner", r"城市|友城|名称|地区|省州|姐妹|姊妹"),
                          ("date", r"^(?:缔结|结好|签约|建立|签字)$")):
        if re.search(pattern, key, re.I):
            return role
    return None


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
                out.problems.append(("invalid_date", str(exc)))
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


@dataclass
class _Cell:
    line: int
    raw: str
    html: bool
    head: bool = False

    def segments(self) -> list[Segment]:
        return _segments(self.raw, self.html)

    def items(self) -> list[list[Segment]]:
        """The partners a cell lists: one per ``<li>``, else split on separators."""
        if self.html and "<li" in self.raw.lower():
            parts = re.split(r"<li\b[^<>]*>", self.raw, flags=re.I)[1:]
            return [p for part in parts for p in _split_partners(_segments(part, True))]
        return _split_partners(self.segments())


@dataclass
class _Section:
    level: int
    title: str
    line: int
    tier: Tier
    leaf: bool = True
    has_rows: bool = False
    items: int = 0


@dataclass
class _Block:
    kind: str  # html | pipe | wiki | bullet | prose | anomaly
    section: _Section
    lines: list[Line]
    caption: str | None = None
    anomaly: Anomaly | None = None
    closed: bool = True


class _Reader:
    """One file: cut into blocks, then each block read into records and anomalies."""

    def __init__(self, context: SourceContext, lines: list[Line]) -> None:
        self.ctx = context
        self.lines = lines
        self.section, self.subject_problem, self.subject = _province_of(context.subject)
        self.top_line = 0
        self.damage_reported: set[int] = set()  # line numbers given a damaged_line anomaly

    # -- blocks ------------------------------------------------------------------------

    def _damaged(self, line: Line, section: _Section | None) -> _Block:
        """The damaged_line anomaly of a line with invalid UTF-8 or NUL bytes, as a block."""
        holder = section or _Section(0, "", line.number, "sister")
        return _Block("anomaly", holder, [line], anomaly=self._damage(line))

    def _damage(self, line: Line) -> Anomaly:
        self.damage_reported.add(line.number)
        return self.ctx.anomaly(line.number, "damaged_line", line.problem or "", line.text)

    def blocks(self) -> Iterator[_Block | _Section]:
        lines, i, sections = self.lines, 0, list[_Section]()
        while i < len(lines) and (not lines[i].text.strip() or _SOURCE_LINE.match(lines[i].text)):
            i += 1
        first = _heading(lines[i].text.strip()) if i < len(lines) else None
        if first is None or not _is_section_title(first[1]):
            raise ParseError(f"{self.ctx.path}: does not open with a sister-city section heading "
                             "(## 友好城市 …); not a city-page section")
        self.top_line = lines[i].number
        # Damaged bytes are reported wherever they are, also in lines no section reads.
        unread = [line for line in lines[:i] if line.problem]
        yield from (self._damaged(line, None) for line in unread)
        prev: _Block | None = None
        while i < len(lines):
            line = lines[i]
            text = line.text.strip()
            if line.problem:
                yield self._damaged(line, sections[-1] if sections else None)
            heading = _heading(text)
            if heading is not None:
                level, title = heading
                while sections and sections[-1].level >= level:
                    sections.pop()
                if not sections and line.number != self.top_line and not _is_section_title(title):
                    outside = _Section(level, title, line.number, "sister")
                    yield _Block("anomaly", outside, [line], anomaly=self.ctx.anomaly(
                        line.number, "unread_line", f"heading {title!r} ends the sister-city section: "
                        f"its {len(lines) - i} lines are not read", line.text, "info"))
                    yield from (self._damaged(rest, outside) for rest in lines[i + 1:] if rest.problem)
                    return
                if sections:
                    sections[-1].leaf = False
                tier = tier_of(title) or (sections[-1].tier if sections else "sister")
                sections.append(_Section(level, title, line.number, tier))
                yield sections[-1]
                prev, i = None, i + 1
                continue
            sec = sections[-1]
            start = i
            if not text or _MARKUP_ONLY.match(text):
                i += 1
                continue
            block: _Block
            if "<table" in text.lower():
                end, closed = self._table_end(i, True)
                block, i = _Block("html", sec, lines[i:end + 1], closed=closed), end + 1
            elif "{|" in text:
                end, closed = self._table_end(i, False)
                before = line.text[:line.text.index("{|")]
                if before.strip():
                    yield _Block("prose", sec, [Line(line.number, before)])
                block = _Block("wiki", sec, [Line(line.number, line.text[len(before):]), *lines[i + 1:end + 1]],
                               closed=closed)
                i = end + 1
            elif text.startswith("|"):
                while i < len(lines) and lines[i].text.strip().startswith("|"):
                    i += 1
                block = _Block("pipe", sec, lines[start:i])
                j = i
                while j < len(lines) and not lines[j].text.strip():
                    j += 1
                if j < len(lines) and _is_caption(lines[j].text):
                    yield from (self._damaged(skipped, sec) for skipped in lines[i:j + 1] if skipped.problem)
                    block.caption, i = lines[j].text.strip(), j + 1
            elif _BULLET.match(line.text):
                block, i = _Block("bullet", sec, [line]), i + 1
            else:
                block, i = _Block("prose", sec, [line]), i + 1
            if block.kind in ("html", "pipe", "wiki") and block.caption is None and prev is not None \
                    and prev.kind == "prose" and _is_caption(prev.lines[0].text):
                block.caption, prev.kind = prev.lines[0].text.strip(), "caption"
            if block.kind not in ("prose",):
                sec.has_rows = True
            prev = block
            yield block

    def _table_end(self, i: int, html: bool) -> tuple[int, bool]:
        """The index of a table's last line, and whether it closes (a heading ends it unclosed)."""
        depth = 0
        for j in range(i, len(self.lines)):
            text = self.lines[j].text
            if j > i and _heading(text.strip()) is not None:
                return j - 1, False
            if html and j > i and text.lstrip().startswith("|"):
                return j - 1, False  # a pipe table's row: the HTML table above was never closed
            if html:
                low = text.lower()
                depth += low.count("<table") - low.count("</table")
                if depth <= 0:
                    return j, True
            elif "|}" in (text[text.index("{|"):] if j == i else text):
                return j, True
        return len(self.lines) - 1, False

    # -- reading -----------------------------------------------------------------------

    def read(self) -> Iterator[Item]:
        if self.subject_problem is not None:
            yield self.ctx.anomaly(1, "ambiguous_cn_place", self.subject_problem, self.subject)
        pending: list[_Block] = []
        open_sections: list[_Section] = []
        for block in self.blocks():
            if isinstance(block, _Section):
                yield from self._flush(pending, open_sections, block.level)
                open_sections.append(block)
            else:
                pending.append(block)
        yield from self._flush(pending, open_sections, 0)

    def _flush(self, pending: list[_Block], sections: list[_Section], level: int) -> Iterator[Item]:
        """Read the blocks seen so far (prose needs to know whether its section has rows),
        and close the sections a heading of ``level`` ends."""
        for block in pending:
            for item in self._block(block):
                block.section.items += 1
                yield item
        pending.clear()
        while sections and sections[-1].level >= level:
            sec = sections.pop()
            if sec.leaf and sec.items == 0:
                yield self.ctx.anomaly(sec.line, "no_partner_named",
                                       f"section {sec.title!r} names no partner", sec.title)

    def _block(self, block: _Block) -> Iterator[Item]:
        # Lines a table or list consumed whole are checked for damage here.
        yield from (self._damage(line) for line in block.lines
                    if line.problem and line.number not in self.damage_reported)
        if block.anomaly is not None:
            yield block.anomaly
        elif block.kind == "bullet":
            yield from self._bullet(block)
        elif block.kind == "prose":
            yield from self._prose(block)
        elif block.kind in ("html", "pipe", "wiki"):
            first = block.lines[0]
            if not block.closed:
                yield self.ctx.anomaly(first.number, "damaged_line",
                                       "table never closed (truncated?); its rows are read as far as "
                                       "they go", first.text)
            rows = (_html_rows(block.lines) if block.kind == "html" else
                    _pipe_rows(block.lines) if block.kind == "pipe" else _wiki_rows(block.lines))
            caption = block.caption
            if block.kind != "pipe" and rows and rows[0] and rows[0][0].line < 0:
                caption = caption or rows.pop(0)[0].raw  # <caption> / |+ come as a row of line -1
            headless = block.kind == "pipe" and not _pipe_ruled(block.lines)
            yield from self._grid(rows, caption, block.section, first, headless)

    def _bullet(self, block: _Block) -> Iterator[Item]:
        line = block.lines[0]
        found = _BULLET.match(line.text)
        assert found is not None
        segments = _segments(found["text"], False)
        written = _text(segments)
        if not written:
            yield self.ctx.anomaly(line.number, "skipped_row", "empty list item", line.text, "info")
        elif len(written) > 60 or re.search(r"[，。；]", written.split("（")[0]):
            yield self.ctx.anomaly(line.number, "unread_line",
                                   "list item is a sentence, not a partner", line.text)
        else:
            for part in _split_partners(segments):
                yield from self._record(line, _partner(part), block.section.tier, raw=line.text)

    def _prose(self, block: _Block) -> Iterator[Item]:
        line = block.lines[0]
        found = list(_prose_partners(_FOOTNOTE.sub("", line.text), self.subject))
        if not found:
            return
        if block.section.has_rows:
            names = "、".join(link.text for link, *_ in found)
            yield self.ctx.anomaly(line.number, "unread_line", f"prose names {names}; the section's "
                                   "table or list is read instead", line.text, "info")
            return
        for link, country, date, date_text, tier in found:
            partner = _Partner(link.text, (link,), country, None, date, date_text)
            yield from self._record(line, partner, tier or block.section.tier, raw=line.text)

    # -- tables ------------------------------------------------------------------------

    def _grid(self, rows: list[list[_Cell]], caption: str | None, sec: _Section,
              first: Line, headless: bool = False) -> Iterator[Item]:
        """Records of a table; ``headless``: its first row is a row even if it reads like a header."""
        rows = [r for r in rows if r]
        if not rows:
            yield self.ctx.anomaly(first.number, "skipped_row", "table has no rows", first.text)
            return
        base = tier_of(caption) if caption else None
        keys = [_key(c.segments()) for c in rows[0]]
        roles = [_role(k) for k in keys]
        # Transposed: the first column holds short labels (国家 / 城市 / 缔结), the header row a country each.
        labels = [_role(k) if len(k) <= 8 else None for k in (_key(r[0].segments()) for r in rows)]
        if "partner" not in roles and labels[0] in ("country", "partner", "date") \
                and "partner" in labels[1:] and len(rows[0]) > 1:
            yield from self._transposed(rows, labels, base or sec.tier)
            return
        header = rows[0] if not headless and ("partner" in roles or all(c.head for c in rows[0])) else None
        if header is None:
            yield self.ctx.anomaly(first.number, "unknown_header", "table has no header: columns "
                                   "guessed from their content", first.text, "info")
        else:
            rows = rows[1:]
            partner_key = next((k for k, r in zip(keys, roles) if r == "partner"), "")
            head_tier = tier_of(partner_key)
            base = base or (head_tier if head_tier in ("exchange", "intent", "domestic") else None)
            for key, role in zip(keys, roles):
                if role is None and key:
                    yield self.ctx.anomaly(header[0].line, "unknown_header",
                                           f"column {key!r} kept in extra", key, "info")
        tier = base or sec.tier
        for row in rows:
            if header is not None and len(row) > len(header):
                yield self.ctx.anomaly(row[0].line, "extra_cells",
                                       f"row has {len(row)} cells, the header {len(header)}",
                                       " | ".join(c.raw for c in row))
            texts = [_text(c.segments()) for c in row]
            if not any(texts):
                yield self.ctx.anomaly(row[0].line, "skipped_row", "empty row", "", "info")
                continue
            if all(c.head for c in row) and any(_role(_key(c.segments())) == "partner" for c in row):
                continue  # the header repeated mid-table
            cols = _guess_roles(texts) if header is None else roles
            yield from self._groups(row, cols, [k if header else f"column {n + 1}"
                                                for n, k in enumerate(keys)], tier)

    def _groups(self, row: list[_Cell], roles: list[str | None], keys: list[str],
                tier: Tier) -> Iterator[Item]:
        """A row read as one or more pairs: a role met again starts the next (两对一行)."""
        group: dict[str, _Cell] = {}
        extra: list[tuple[str, str]] = []
        seen: set[str | None] = set()
        for n, cell in enumerate(row):
            role = roles[n] if n < len(roles) else None
            if role in seen and role not in (None, "skip"):
                yield from self._pair(group, extra, tier, row[0].line)
                group, extra, seen = {}, [], set()
            seen.add(role)
            value = _text(cell.segments())
            if not value or role == "skip":
                continue
            if role is None or role in ("signing_place", "signatory"):
                extra.append((role or (keys[n] if n < len(keys) else f"column {n + 1}"), value))
            else:
                group[role] = cell
        yield from self._pair(group, extra, tier, row[0].line)

    def _transposed(self, rows: list[list[_Cell]], labels: list[str | None], tier: Tier) -> Iterator[Item]:
        """Countries across the header row, cities under them, dates below (合肥市, 洛阳市)."""
        for col in range(1, max(len(r) for r in rows)):
            group: dict[str, _Cell] = {}
            extra: list[tuple[str, str]] = []
            for row, label in zip(rows, labels):
                if col >= len(row) or not _text(row[col].segments()):
                    continue
                if label in ("partner", "country", "date", "note", "cn"):
                    group[label] = row[col]
                elif label != "skip":
                    extra.append((label or _text(row[0].segments()) or "row", _text(row[col].segments())))
            if group:
                yield from self._pair(group, extra, tier, rows[0][min(col, len(rows[0]) - 1)].line)

    def _pair(self, group: dict[str, _Cell], extra: list[tuple[str, str]], tier: Tier,
              row_line: int) -> Iterator[Item]:
        if not group and not extra:
            return
        cells = list(group.values())
        at = group.get("partner") or group.get("date") or group.get("country") or (cells[0] if cells else None)
        partner_cell = group.get("partner")
        items = partner_cell.items() if partner_cell else []
        line = Line(at.line if at else row_line, " | ".join(c.raw.strip() for c in cells) or repr(extra))
        if not items:
            if "date" in group or "country" in group:
                yield self.ctx.anomaly(line.number, "no_partner", "row gives a country or date but no "
                                       "partner; kept with no partner name", line.text)
                items = [[]]
            else:
                yield self.ctx.anomaly(line.number, "skipped_row", "row has no partner", line.text)
                return
        cn = group.get("cn")
        for segments in items:
            yield from self._record(line, _partner(segments), tier, raw=line.text,
                                    country=group["country"].segments() if "country" in group else [],
                                    date_cell=_text(group["date"].segments()) if "date" in group else "",
                                    note=_text(group["note"].segments()) if "note" in group else "",
                                    cn=cn.segments() if cn else [], cn_line=cn.line if cn else 0,
                                    extra=extra)

    # -- records -----------------------------------------------------------------------

    def _record(self, line: Line, partner: _Partner, tier: Tier, *, raw: str,
                country: list[Segment] | None = None, date_cell: str = "", note: str = "",
                cn: list[Segment] | None = None, cn_line: int = 0,
                extra: list[tuple[str, str]] | None = None) -> Iterator[Item]:
        date, date_text = partner.date, partner.date_text
        if date_cell:
            date_text = date_cell
            try:
                date = parse_date(date_cell)
            except InvalidDate as exc:
                date = None
                yield self.ctx.anomaly(line.number, "invalid_date", str(exc), raw)
            else:
                if date is None:
                    yield self.ctx.anomaly(line.number, "unreadable_date",
                                           f"date {date_cell!r} is not a date", raw)
        for kind, message in partner.problems:
            yield self.ctx.anomaly(line.number, kind, message, raw)
        country_text = _text(country or []) or partner.country
        country_link = next((s.link.target for s in country or [] if s.link), None)
        notes = [note] if note else []
        notes += partner.notes
        note_tier = tier_of("；".join(notes)) if notes else None
        if partner.domestic or tier == "domestic":
            tier = "domestic"
        elif note_tier in ("intent", "exchange"):
            tier = note_tier
        cn_name = _text(cn or []) or self.subject
        yield RawPartnership(
            self.ctx.name, line.number, self.section, cn_name,
            tuple(s.link for s in cn or [] if s.link), partner.name, partner.links,
            country_text or None, country_link if country else partner.country_link, date,
            date_text, "；".join(notes) or None, cn_line or self.top_line, tier,
            tuple([*(extra or []), *partner.extra]))


def _is_caption(text: str) -> bool:
    """A short line naming its table (pandoc writes a pipe table's caption after it)."""
    plain = _text(_segments(text.strip(), False))
    return (0 < len(plain) <= 60 and not re.search(r"[。，；]", plain) and not _heading(text.strip())
            and not _BULLET.match(text) and not text.lstrip().startswith("|")  # a row is no caption
            and bool(re.search(r"(?:表|览|列表|城市|名单)$|^(?:Table)?:", plain) or tier_of(plain)))


def _guess_roles(texts: list[str]) -> list[str | None]:
    roles: list[str | None] = []
    for text in texts:
        if "date" not in roles and text and looks_like_date(text):
            roles.append("date")
        elif "country" not in roles and country_code(text):
            roles.append("country")
        elif "partner" not in roles and text and not text.isdigit():
            roles.append("partner")
        else:
            roles.append("skip" if text.isdigit() else None)
    return roles


def _html_rows(lines: list[Line]) -> list[list[_Cell]]:
    """The table's rows of cells, rowspan and colspan spread out, each cell with its line.

    Tags are found by one linear scan; a cell runs to its closing tag or the next cell.
    A ``<caption>`` comes back as a first row whose one cell has line -1.
    """
    text = "\n".join(line.text for line in lines)
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line.text) + 1)

    def cell_at(start: int, end: int, head: bool) -> _Cell:
        content = text[start:end]
        lead = _LEAD_SKIP.match(content)
        at = start + (lead.end() if lead else 0)
        return _Cell(lines[bisect.bisect_right(starts, at) - 1].number, content, True, head)

    rows: list[list[_Cell]] = []
    caption: list[_Cell] = []
    spans: dict[int, tuple[int, _Cell]] = {}  # column -> (rows still to fill, cell)
    row: list[_Cell] | None = None
    cell: tuple[int, str, str] | None = None  # (content start, tag, attributes)
    depth = 0
    for tag in _HTML_TAG.finditer(text):
        name, closing = tag["tag"].lower(), bool(tag["close"])
        if name == "table":
            depth += -1 if closing else 1
        if depth > 1 or (name == "table" and closing and depth > 0):
            continue  # a table inside a cell: part of that cell's text
        if cell is not None:
            made = cell_at(cell[0], tag.start(), cell[1] == "th")
            if cell[1] == "caption":
                caption = [_Cell(-1, _text(made.segments()), False)]
            else:
                row = [] if row is None else row
                span = {k.lower(): int(v) for k, v in _SPAN.findall(cell[2])}
                for _ in range(min(max(span.get("colspan", 1), 1), 50)):
                    while len(row) in spans:
                        row.append(_take_span(spans, len(row)))
                    if span.get("rowspan", 1) > 1:
                        spans[len(row)] = (min(span["rowspan"], 500) - 1, made)
                    row.append(made)
            cell = None
        if name == "tr" and row is not None:
            while len(row) in spans:
                row.append(_take_span(spans, len(row)))
            rows.append(row)
            row = None
        if closing:
            continue
        if name == "tr":
            row = []
        elif name in ("td", "th", "caption"):
            cell = (tag.end(), name, tag["attrs"])
    if cell is not None:  # truncated inside a cell
        row = (row or []) + [cell_at(cell[0], len(text), cell[1] == "th")]
    if row:
        rows.append(row)
    return [caption, *rows] if caption else rows


def _take_span(spans: dict[int, tuple[int, _Cell]], col: int) -> _Cell:
    left, cell = spans.pop(col)
    if left > 1:
        spans[col] = (left - 1, cell)
    return cell


def _pipe_ruled(lines: list[Line]) -> bool:
    """Whether a pipe table's second line is its header rule (| -- |)."""
    return len(lines) > 1 and bool(_PIPE_RULE.match(lines[1].text.strip()))


def _pipe_rows(lines: list[Line]) -> list[list[_Cell]]:
    """A pipe table's cells; the first row is its header only when a rule line (| -- |) follows it:
    rows cut off from their table by a stray blank line are rows, not a header."""
    rows: list[list[_Cell]] = []
    ruled = _pipe_ruled(lines)
    for line in lines:
        inner = line.text.strip()
        if _PIPE_RULE.match(inner):
            continue
        inner = inner[1:] if inner.startswith("|") else inner
        inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
        cells = re.split(r"(?<!\\)\|", inner)
        rows.append([_Cell(line.number, c.strip().replace("\\|", "|"), False, ruled and not rows) for c in cells])
    return rows


def _wiki_rows(lines: list[Line]) -> list[list[_Cell]]:
    """A MediaWiki table the converter left raw (on one line or many), ``\\!`` escapes and all."""
    rows: list[list[_Cell]] = []
    caption: list[_Cell] = []
    new_row = True
    for line in lines:
        body = line.text.replace("\\!", "!")
        opening = "{|" in body
        body = body[body.index("{|") + 2:] if opening else body
        for n, part in enumerate(re.split(r"\|-", body.split("|}")[0])):
            new_row = new_row or n > 0
            part = part.strip()
            if n == 0 and opening:  # the table's attributes, then maybe its header
                mark = re.search(r"(?:^|\s)(!|\|\+)\s", part)
                part = part[mark.start(1):] if mark else ""
            if part.startswith("|+"):
                caption = [_Cell(-1, part[2:].strip(), False)]
                continue
            if not part:
                continue
            head = part.startswith("!")
            cells = re.split(r"\|\||!!", part[1:] if part[0] in "!|" else part)
            made = [_Cell(line.number, _ATTRS.sub("", c, count=1).strip(), False, head) for c in cells]
            if new_row or not rows:
                rows.append(made)
            else:
                rows[-1].extend(made)  # a cell on a line of its own continues the row
            new_row = False
    return [caption, *rows] if caption else rows


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


def _province_of(subject: str) -> tuple[str, str | None, str]:
    """The province of the page's subject (the records' section), a problem when the subject
    names several places in different provinces (朝阳区), and the place's name as the page
    writes it (大连市 of a page titled 大连市友好城市)."""
    table = divisions()
    for name in dict.fromkeys((subject, _SUBJECT_SUFFIX.sub("", subject))):
        key = fold_key(name)
        found = table.by_key.get(key) or table.by_key.get(fold_key(stem(name)), [])
        if not found:
            continue
        exact = [d for d in found if fold_key(d.name) == key] or found
        rank = {"province": 0, "prefecture": 1, "county": 2, "district": 3}
        best = min(rank[d.level] for d in exact)
        provinces = {d.province_code for d in exact if rank[d.level] == best}
        if len(provinces) == 1:
            return table.by_code[provinces.pop()].name, None, name
        names = "、".join(f"{table.by_code[c].name}{d.name} ({d.code})" for d in exact
                         for c in [d.province_code] if rank[d.level] == best)
        return "", f"page subject {subject!r} names several places: {names}", name
    return "", None, subject


class CityPageFormat:
    """A city article's sister-city section, in the zh-Wikipedia Markdown conversion."""

    name = FORMAT
    description = ("a zh-Wikipedia city article's sister-city section converted to Markdown "
                   "('## 友好城市' …: tables, lists or prose; the Chinese side is the page's subject)")

    def sniff(self, head: str, path: Path) -> bool:
        """Markdown whose first heading is a sister-city section's; not wikitext, not the list page."""
        if head.count("[[") > head.count("]("):
            return False
        for raw in head.splitlines():
            text = raw.strip()
            if not text or _SOURCE_LINE.match(text):
                continue
            if len(text) > 2 and text[0] == "=" and text[-1] == "=":
                return False  # a wikitext heading: the wikitext format's
            heading = _heading(text)
            if heading is not None:
                return _is_section_title(heading[1]) and not self._has_province_sections(head)
        return False

    @staticmethod
    def _has_province_sections(head: str) -> bool:
        """Whether a heading names a province: the national list page's layout (wikimd's)."""
        table = divisions()
        headings = (_heading(line.strip()) for line in head.splitlines() if line.lstrip().startswith("#"))
        return any(h is not None and table.province_of_section(h[1]) is not None for h in headings)

    def read(self, context: SourceContext, progress: ProgressCallback | None = None,
             fast: bool = True) -> Iterator[Item]:
        return _Reader(context, list(context.lines(progress))).read()


SOURCE_FORMAT = CityPageFormat()

__all__ = ["FORMAT", "SOURCE_FORMAT", "CityPageFormat", "tier_of"]
