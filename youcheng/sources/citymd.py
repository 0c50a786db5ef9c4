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
section's tier. Anything that looks like a row gives a record or an anomaly. This
module cuts the blocks and turns them into records; ``citymd_tables.py`` lays a
table out as rows of cells and ``citymd_cells.py`` reads what a cell, list item or
sentence says.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from youcheng.dates import InvalidDate, parse_date
from youcheng.errors import ParseError
from youcheng.model import Anomaly, RawPartnership, Tier
from youcheng.resolve.china import divisions, stem
from youcheng.resolve.names import fold_key, to_simplified
from youcheng.sources._markup import Segment, markdown_segments, plain_text
from youcheng.sources._reader import Line, ProgressCallback
from youcheng.sources.base import Item, SourceContext
from youcheng.sources.citymd_cells import (
    _FOOTNOTE,
    _partner,
    _Partner,
    _prose_partners,
    _segments,
    _split_partners,
    _text,
    tier_of,
)
from youcheng.sources.citymd_tables import (
    _Cell,
    _guess_roles,
    _html_rows,
    _key,
    _pipe_ruled,
    _pipe_rows,
    _role,
    _wiki_rows,
)
from youcheng.vocabulary import LEVEL_RANK, AnomalyKind, SourceFormatName

FORMAT = SourceFormatName.wikimd_city.value

# A sister-city section's heading names one of these (checked in Simplified script).
_SECTION_WORDS = ("友好城市", "姐妹城市", "姊妹城市", "友城", "友好交流", "友好合作", "国际关系",
                  "国际交流", "对外交流", "对外关系", "对外友好", "国际友好", "友好省", "友好关系")
_SOURCE_LINE = re.compile(r"^\s*<!--.*-->\s*$")
_MARKUP_ONLY = re.compile(r"^(?:</?(?:center|div|span|p|br|small|big|font|hr)\b[^<>]*>\s*)+$"
                          r"|^\{\{[^{}]*\}\}$|^-{3,}$|^<!--.*-->$", re.I)
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+(?P<text>.*)$")
_SUBJECT_SUFFIX = re.compile(r"(?:的)?(?:国际)?(?:友好城市|姐妹城市)(?:或姐妹城市)?(?:列表)?$")


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
        return self.ctx.anomaly(line.number, AnomalyKind.damaged_line, line.problem or "", line.text)

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
                        line.number, AnomalyKind.unread_line, f"heading {title!r} ends the sister-city section: "
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
            yield self.ctx.anomaly(1, AnomalyKind.ambiguous_cn_place, self.subject_problem, self.subject)
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
                yield self.ctx.anomaly(sec.line, AnomalyKind.no_partner_named,
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
                yield self.ctx.anomaly(first.number, AnomalyKind.damaged_line,
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
            yield self.ctx.anomaly(line.number, AnomalyKind.skipped_row, "empty list item", line.text, "info")
        elif len(written) > 60 or re.search(r"[，。；]", written.split("（")[0]):
            yield self.ctx.anomaly(line.number, AnomalyKind.unread_line,
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
            yield self.ctx.anomaly(line.number, AnomalyKind.unread_line, f"prose names {names}; the section's "
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
            yield self.ctx.anomaly(first.number, AnomalyKind.skipped_row, "table has no rows", first.text)
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
            yield self.ctx.anomaly(first.number, AnomalyKind.unknown_header, "table has no header: columns "
                                   "guessed from their content", first.text, "info")
        else:
            rows = rows[1:]
            partner_key = next((k for k, r in zip(keys, roles) if r == "partner"), "")
            head_tier = tier_of(partner_key)
            base = base or (head_tier if head_tier in ("exchange", "intent", "domestic") else None)
            for key, role in zip(keys, roles):
                if role is None and key:
                    yield self.ctx.anomaly(header[0].line, AnomalyKind.unknown_header,
                                           f"column {key!r} kept in extra", key, "info")
        tier = base or sec.tier
        for row in rows:
            if header is not None and len(row) > len(header):
                yield self.ctx.anomaly(row[0].line, AnomalyKind.extra_cells,
                                       f"row has {len(row)} cells, the header {len(header)}",
                                       " | ".join(c.raw for c in row))
            texts = [_text(c.segments()) for c in row]
            if not any(texts):
                yield self.ctx.anomaly(row[0].line, AnomalyKind.skipped_row, "empty row", "", "info")
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
                yield self.ctx.anomaly(line.number, AnomalyKind.no_partner, "row gives a country or date but no "
                                       "partner; kept with no partner name", line.text)
                items = [[]]
            else:
                yield self.ctx.anomaly(line.number, AnomalyKind.skipped_row, "row has no partner", line.text)
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
                yield self.ctx.anomaly(line.number, AnomalyKind.invalid_date, str(exc), raw)
            else:
                if date is None:
                    yield self.ctx.anomaly(line.number, AnomalyKind.unreadable_date,
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
        best = min(LEVEL_RANK[d.level] for d in exact)
        provinces = {d.province_code for d in exact if LEVEL_RANK[d.level] == best}
        if len(provinces) == 1:
            return table.by_code[provinces.pop()].name, None, name
        names = "、".join(f"{table.by_code[c].name}{d.name} ({d.code})" for d in exact
                         for c in [d.province_code] if LEVEL_RANK[d.level] == best)
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

__all__ = ["FORMAT", "SOURCE_FORMAT", "CityPageFormat"]
