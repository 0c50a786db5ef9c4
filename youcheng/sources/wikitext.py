"""zh-Wikipedia sister-city sections in raw wikitext, read with ``wikitextparser``.

Live Wikipedia (and the chinapedia dumps) hold pages as MediaWiki markup, not the
Markdown the other readers take: partners sit in wiki tables (``{|`` … ``|}``, with
``rowspan``/``colspan``), in bullet lists, behind flag templates (``{{JPN}}``,
``{{flagicon|Japan}}``, ``[[File:Flag of Japan.svg]]``) and date templates
(``{{startdate|1982|12|10}}``). MediaWiki's grammar is context-sensitive, so the
structure (sections, tables with their spans, lists, templates, links, tags) comes
from a kept library rather than regexes of our own; the format only decides what
the pieces mean. This module walks the page (sections, tables, lists, the rows it
emits and what it leaves unread); ``wikitext_tables.py`` reads a table's header rows
and ``wikitext_cells.py`` what one cell or bullet says. Offsets the library reports
are mapped back to file lines, so every record cites the line holding its partner.

The Chinese side is the page's subject (``大连市友好城市`` -> 大连市), a district a row
names (``（秦淮区）``), a heading names (``徐州新沂市友好城市``) or a table's 中国城市
column; ``section`` is the subject's province, the resolver's hint.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import wikitextparser as wtp

from youcheng.errors import ParseError
from youcheng.model import Link, RawPartnership, Tier
from youcheng.resolve.china import divisions
from youcheng.resolve.countries import country_code
from youcheng.resolve.names import fold_key, to_simplified
from youcheng.sources._reader import ProgressCallback
from youcheng.sources.base import Item, SourceContext
from youcheng.sources.wikitext_cells import (
    _NAMESPACE,
    _clean,
    _country,
    _country_of,
    _Fields,
    _link_country,
    _name,
    _read_country,
    _read_date,
    _read_fragment,
    _render,
    _Subject,
    _target,
    _tier,
    _tokens,
)
from youcheng.sources.wikitext_tables import _Column, _columns, _groups, _is_header, _transposed
from youcheng.vocabulary import AnomalyKind, SourceFormatName

FORMAT = SourceFormatName.wikitext.value

# The title may hold "=" inside a <ref>'s template (== 友好城市<ref>{{cite|url=…}}</ref> ==).
_HEADING_LINE = re.compile(r"^(={1,6})(?!=)[^\n]*?[^=\s\n][^\n]*?\1[ \t]*$", re.M)
_WIKI_MARKUP = re.compile(r"\[\[[^\[\]\n]+\]\]|\{\{[^{}\n]+\}\}|^\{\|", re.M)
# Markdown conversions of the same pages (citymd, wikimd) link as [x](../Page/x.md "wikilink").
_MARKDOWN_LINK = re.compile(r"\]\([^()\s]*\.md\b|\"wikilink\"\)")
_APPENDIX = re.compile(r"^\s*(参见|参阅|参考|来源|资料来源|注释|注解|脚注|外部链|外部连|相关条目|延伸阅读|"
                       r"扩展阅读|see also|references|external links|notes)", re.I)
_NOT_PARTNERS = {"友好城市", "姐妹城市", "姊妹城市", "友城", "欧洲", "亚洲", "非洲", "美洲", "北美洲",
                 "南美洲", "大洋洲", "中华人民共和国", "中国"}


# -- the page -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Heading:
    start: int
    end: int  # where the next heading of the same or a higher level starts
    level: int
    title: str
    line: int


@dataclass(frozen=True)
class _Where:
    """Where a row or bullet stands: its headings (innermost first), list label, Chinese side."""

    headings: tuple[_Heading, ...]
    label: str
    cn: tuple[str, tuple[Link, ...], int] | None


_LAYOUT = re.compile(r"\n[ \t]*[*#]|\{\|")
_Cn = tuple[str, tuple[Link, ...], int]


class _Page:
    """One file: its text with comments and citations blanked, parsed once, and what it yields."""

    def __init__(self, context: SourceContext, progress: ProgressCallback | None) -> None:
        self.context = context
        self.subject = _Subject(context.subject)
        self.out: list[tuple[int, int, Item]] = []
        self.hits: list[int] = []  # offsets of the rows and bullets that gave a record or anomaly
        texts: list[str] = []
        for line in context.lines(progress):
            if line.problem:
                self._anomaly(line.number, AnomalyKind.damaged_line, line.problem, line.text)
            texts.append(line.text)
        self.text = "\n".join(texts)
        self.starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        try:
            self.blank, unclosed_comments = _blank(self.text)
            # MediaWiki closes a table left open at the end of the page; the library drops it.
            # Closing it there keeps every offset before it, so its rows are still read.
            unclosed = len(re.findall(r"^[ \t]*\{\|", self.blank, re.M)) - \
                len(re.findall(r"^[ \t]*\|\}", self.blank, re.M))
            self.doc = wtp.parse(self.blank + "\n|}" * max(unclosed, 0))
            self.tables = list(self.doc.get_tables(recursive=True))
            self.lists = list(self.doc.get_lists())
            self.headings = self._headings()
        except Exception as exc:  # the library's own failure on damaged markup: report, not a traceback
            raise ParseError(f"{context.path}: wikitextparser cannot read this page: {exc}") from exc
        for offset in unclosed_comments:
            # MediaWiki hides everything after a comment that is never closed, and so does this
            # reader; what it hides is said, never dropped in silence.
            at = self._line(offset)
            self._anomaly(at, AnomalyKind.damaged_line,
                          f"a comment (<!--) opened on line {at} is never closed: the rest of the page, to "
                          f"line {len(self.starts)}, is hidden as MediaWiki hides it", self._text_of(at))
        self.labels: list[tuple[int, str]] = []
        spans = [tuple(t.span) for t in self.tables] + [tuple(x.span) for x in self.lists]
        spans += [(h.start, self.text.find("\n", h.start) % (len(self.text) + 1)) for h in self.headings]
        self.structures: list[tuple[int, int]] = sorted((int(s), int(e)) for s, e in spans)

    # -- helpers ------------------------------------------------------------------------------

    def _line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def _first(self, offset: int) -> int:
        """A cell's own offset: the library's cell spans start at the newline before its ``|``."""
        while offset < len(self.text) and self.text[offset] in "\r\n":
            offset += 1
        return offset

    def _anomaly(self, line: int, kind: str, message: str, text: str = "", severity: str = "warning") -> None:
        self.out.append((line, len(self.out), self.context.anomaly(line, kind, message, text, severity)))

    def _text_of(self, line: int) -> str:
        start = self.starts[line - 1] if 0 < line <= len(self.starts) else 0
        end = self.text.find("\n", start)
        return self.text[start:end if end >= 0 else None]

    def _headings(self) -> list[_Heading]:
        found = [(int(s.span[0]), int(s.level), _render(_tokens(str(s.title))).strip())
                 for s in self.doc.sections if s.title is not None]
        out = []
        for i, (start, level, title) in enumerate(found):
            end = next((s for s, lv, _ in found[i + 1:] if lv <= level), len(self.blank))
            out.append(_Heading(start, end, level, title, self._line(start)))
        return out

    def _where(self, offset: int) -> _Where | None:
        chain = sorted((h for h in self.headings if h.start <= offset < h.end), key=lambda h: -h.level)
        if any(_APPENDIX.match(to_simplified(h.title)) for h in chain):
            return None
        inner = chain[0].start if chain else 0
        label = next((t for o, t in reversed(self.labels) if inner <= o < offset), "")
        cn: _Cn | None = None
        for text, line in [(label, 0), *((h.title, h.line) for h in chain)]:
            named = self.subject.named_in(text) if text else None
            if named is not None:
                cn = (named.name, (), line or self._line(offset))
                break
        return _Where(tuple(chain), label, cn)

    def _lead(self, start: int) -> str:
        """The last line of prose right before a table or list (``与如下国内城市结成…``)."""
        prev = max((e for s, e in self.structures if e <= start), default=0)
        lines = [x.strip() for x in _render(_tokens(self.blank[prev:start])).splitlines() if x.strip()]
        return lines[-1] if lines else ""

    # -- reading ------------------------------------------------------------------------------

    def read(self) -> Iterator[Item]:
        if self.subject.ambiguous:
            names = "、".join(f"{d.name} ({d.code}, {divisions().by_code[d.province_code].name})"
                             for d in self.subject.ambiguous)
            self._anomaly(1, AnomalyKind.ambiguous_cn_place, f"page subject {self.subject.name!r} names several "
                          f"Chinese places: {names}; records carry no province", self._text_of(1))
        for lst in self.lists:
            if lst.pattern == "[:;]":
                for offset, text in self._list_lines(lst):
                    if text.startswith(";"):
                        self.labels.append((offset, _render(_tokens(text.lstrip(";"))).strip()))
        self.labels.sort()
        for table in self.tables:
            self._table(table)
        for lst in self.lists:
            where, lead = self._where(int(lst.span[0])), self._lead(int(lst.span[0]))
            if lst.pattern != "[:;]" and where is not None:
                self._bullets([x for x in self._list_lines(lst) if x[1][:1] in "*#"], where, lead)
        self._empty_sections()
        self._prose()
        for _, _, item in sorted(self.out, key=lambda o: (o[0], o[1])):
            yield item

    @staticmethod
    def _list_lines(lst: wtp.WikiList) -> Iterator[tuple[int, str]]:
        """Each line of a list with its offset: MediaWiki lists are one item per line."""
        base, string, pos = int(lst.span[0]), str(lst.string), 0
        for line in string.splitlines(keepends=True):
            if line.strip():
                yield base + pos, line.strip()
            pos += len(line)

    def _bullets(self, lines: list[tuple[int, str]], where: _Where, lead: str) -> None:
        """A list's items; an item that names only a country, with items below it, is their country."""
        countries: dict[int, _Fields] = {}
        for i, (offset, text) in enumerate(lines):
            level = len(text) - len(text.lstrip("*#"))
            countries = {k: v for k, v in countries.items() if k < level}
            fields = _read_fragment(text.lstrip("*#"), self.subject)
            below = i + 1 < len(lines) and len(lines[i + 1][1]) - len(lines[i + 1][1].lstrip("*#")) > level
            if below and (fields.name is None and fields.flags or fields.name and _country(fields.name)
                          and len(fields.links) <= 1):
                link = fields.links[0].target if fields.links else None
                fields.country = (_country(fields.name) or fields.name, link) if fields.name else None
                countries[level] = fields
                continue
            if countries and fields.country is None and not fields.flags:
                label = countries[max(countries)]
                fields.country, fields.flags = label.country, label.flags
            self._bullet(offset, text.lstrip("*#"), fields, where, lead)

    def _bullet(self, offset: int, markup: str, fields: _Fields, where: _Where, lead: str) -> None:
        line = self._line(offset)
        if not markup.strip():
            return
        prose = fields.name is not None and (len(fields.name) > 25 or bool(re.search(r"[。，！？]", fields.name)))
        if fields.name is None or prose or not (fields.links or fields.flags):
            self.hits.append(offset)
            kind = AnomalyKind.no_partner if fields.flags and not prose else AnomalyKind.skipped_row
            why = ("reads as a sentence, not a partner" if prose else "names a country but no place"
                   if fields.flags else "has no link or flag to read a partner from")
            self._anomaly(line, kind, f"list item {why}", self._text_of(line))
            return
        self._emit(offset, fields, where, [lead])

    def _table(self, table: wtp.Table) -> None:
        start = int(table.span[0])
        where = self._where(start)
        if where is None:
            return
        line = self._line(start)
        try:
            rows: list[list[wtp.Cell]] = table.cells(span=True)
        except Exception as exc:  # a table too damaged for the library to lay out
            self._anomaly(line, AnomalyKind.damaged_line, f"table cannot be laid out: {exc}", self._text_of(line))
            return
        if any(_LAYOUT.search(str(c.value)) for row in rows for c in row if c is not None):
            return  # a layout table around lists (read as lists) or other tables
        if int(table.span[1]) > len(self.blank):
            self._anomaly(line, AnomalyKind.damaged_line, "table opened here is never closed with |}",
                          self._text_of(line))
        labels = [_render(_tokens(str(table.caption))).strip()] if table.caption else []
        rows = _transposed(rows) or rows
        lead, width = self._lead(start), max((len(r) for r in rows), default=0)
        groups: list[list[_Column]] | None = None
        carried: dict[str, _Cn] = {}
        seen: set[tuple[int, int]] = set()
        r = 0
        while r < len(rows):
            if _is_header(rows[r]):
                block = []
                while r < len(rows) and _is_header(rows[r]):
                    block.append(rows[r])
                    r += 1
                columns = _columns(block, width)
                known = max(len(b) for b in block)
                for column in columns:
                    if column.indices[0] >= known:
                        column.role, column.label = None, ""
                groups = _groups(columns) or None
                if groups is None:
                    at = self._line(int(block[0][0].span[0]))
                    self._anomaly(at, AnomalyKind.unknown_header, "table header names no partner column; "
                                  "rows read by what their cells hold", self._text_of(at))
                continue
            if groups is None:
                self._loose_row(rows[r], where, [*labels, lead], carried)
            else:
                self._headed_row(rows[r], groups, where, [*labels, lead], seen)
            r += 1

    def _headed_row(self, row: list[wtp.Cell], groups: list[list[_Column]], where: _Where,
                    labels: list[str], seen: set[tuple[int, int]]) -> None:
        """One row under a header: each group of columns is one relationship.

        ``seen`` holds the spans of cells met on earlier rows: a ``rowspan`` copy is
        not the row's own content (an empty row under a spanned cell says nothing).
        """
        own = {c.span for c in row if c is not None} - seen
        seen.update(own)
        for group in groups:
            values: list[tuple[_Column, str, wtp.Cell | None]] = []
            for column in group:
                cells = list({c.span: c for c in (row[j] for j in column.indices if j < len(row))
                              if c is not None}.values())
                values.append((column, " ".join(str(c.value) for c in cells), cells[0] if cells else None))
            if not any(m.strip() and c is not None and c.span in own for _, m, c in values):
                continue
            partner = next(v for v in values if v[0].role == "partner")
            markup = partner[1] if partner[1].strip(" \t\n-–—－/") else ""
            if not markup:  # a placeholder partner: the region column names the partner
                markup = next((m for c, m, _ in values if c.role == "region" and m.strip(" \t\n-–—/")), "")
            anchor = partner[2] or next(c for _, m, c in values if m.strip() and c is not None)
            offset = self._first(int(anchor.span[0]))
            if not markup:
                self.hits.append(offset)
                self._anomaly(self._line(offset), AnomalyKind.skipped_row,
                              f"row has no partner in its {partner[0].label or 'partner'} column",
                              self._text_of(self._line(offset)))
                continue
            fields = _read_fragment(markup, self.subject)
            country = date = None
            cn: _Cn | None = None
            regions: list[Link] = []
            extra: list[tuple[str, str]] = []
            for column, text, cell in values:
                role, plain = column.role, _name(_render(_tokens(text))) or ""
                if column is partner[0] or not text.strip() or role == "index" or text == markup:
                    continue
                if role is None and plain and self.subject.is_own(plain):
                    role = "cn"  # a column of the subject's own districts, whatever its header says
                if role == "country":
                    country = _read_country(text)
                elif role == "date":
                    date = _read_date(text)
                elif role == "cn" and cell is not None:
                    place = _read_fragment(text, self.subject, "cn")
                    cn = (place.name or plain, tuple(place.links), self._line(self._first(int(cell.span[0]))))
                    fields.notes.extend(place.notes)
                elif role == "region":
                    regions.extend(_read_fragment(text, self.subject, "region").links)
                    extra.append(("region", plain))
                elif role == "note":
                    fields.notes.append(plain)
                elif plain:
                    if not column.label:
                        self._anomaly(self._line(offset), AnomalyKind.extra_cells,
                                      f"cell beyond the header kept: {plain!r}",
                                      self._text_of(self._line(offset)), "info")
                    extra.append((role if role in ("signing_place", "signatory") else
                                  column.label or f"column {column.indices[0] + 1}", plain))
            self._emit(offset, fields, where, [*(c.label for c in group if c.role == "partner"), *labels],
                       country=country, date=date, cn=cn, regions=regions, extra=extra)

    def _loose_row(self, row: list[wtp.Cell], where: _Where, labels: list[str], carried: dict[str, _Cn]) -> None:
        """A row of a table without a header: each cell is told apart by what it holds."""
        kinds: list[tuple[str, _Fields, int]] = []
        for cell in {c.span: c for c in row if c is not None}.values():
            markup = str(cell.value)
            if not markup.strip():
                continue
            fields, offset = _read_fragment(markup, self.subject), self._first(int(cell.span[0]))
            if fields.name is None:
                kind = "date" if fields.date_text else "country" if fields.flags else "empty"
            elif not fields.flags and self.subject.is_own(fields.name):
                kind = "cn"
                carried["cn"] = (fields.name, tuple(fields.links), self._line(offset))
            elif len(fields.links) <= 1 and not fields.flags and not fields.date_text and _country(fields.name):
                kind = "country"
            else:
                kind = "partner"
            kinds.append((kind, fields, offset))
        partners = [k for k in kinds if k[0] == "partner"] or [k for k in kinds if k[0] == "country"][:1]
        others = [k for k in kinds if k[0] in ("date", "country") and k not in partners]
        if not partners:
            if any(k[0] != "empty" for k in kinds):
                offset = kinds[0][2]
                self.hits.append(offset)
                kind = AnomalyKind.no_partner if any(k[0] == "cn" for k in kinds) else AnomalyKind.skipped_row
                self._anomaly(self._line(offset), kind, "row names no partner", self._text_of(self._line(offset)))
            return
        if len(partners) > 1 and others:
            self.hits.append(partners[0][2])
            self._anomaly(self._line(partners[0][2]), AnomalyKind.skipped_row,
                          f"cannot tell which of {len(partners)} cells is the partner (no header row)",
                          self._text_of(self._line(partners[0][2])))
            return
        date = next((f for k, f, _ in others if k == "date"), None)
        country = next((f for k, f, _ in others if k == "country"), None)
        for _, fields, offset in partners:
            self._emit(offset, fields, where, labels, country=country, date=date, cn=carried.get("cn"))

    def _emit(self, offset: int, fields: _Fields, where: _Where, labels: list[str], *,
              country: _Fields | None = None, date: _Fields | None = None, cn: _Cn | None = None,
              regions: list[Link] | None = None, extra: list[tuple[str, str]] | None = None) -> None:
        line = self._line(offset)
        self.hits.append(offset)
        text = self._text_of(line)
        for kind, severity, message in fields.problems + (date.problems if date else []):
            self._anomaly(line, kind, message, text, severity)
        if fields.name is None:
            self._anomaly(line, AnomalyKind.no_partner, "row names no partner place", text)
            return
        use = country if country is not None and (country.country or country.flags) else fields
        country_text, country_link, country_extra = _country_of(use)
        dated = date if date is not None and date.date_text is not None else fields
        cn_name, cn_links, cn_line = cn or (fields.cn and (*fields.cn, line)) or where.cn or self._own()
        # The row's notes (…缔结为友好交流城市) first, then the table's own labels (a generic
        # 友好城市 header yields to a 国内… caption), the prose before it, the list label and
        # the headings, innermost first; 国内 in a note or the table's labels wins.
        local = [t for t in map(_tier, labels[:-1]) if t]
        links = (regions or []) + fields.regions + fields.links
        if country_code(country_text) == "CN" or country_text is None and links and \
                any(fold_key(links[0].target) == d.name for d in divisions().provinces):
            tier: Tier = "domestic"
        else:
            outer = [t for t in map(_tier, [labels[-1], where.label, *(h.title for h in where.headings)]) if t]
            noted = [t for t in map(_tier, fields.notes + (date.notes if date else [])) if t]
            tier = "domestic" if "domestic" in noted + local else \
                (noted + [t for t in local if t != "sister"] + local + outer + ["sister"])[0]
        notes = list(dict.fromkeys(fields.notes + (date.notes if date else [])))
        kept = fields.extra + country_extra + (use.extra if use is country else [])
        kept += [("region", r.text) for r in fields.regions] + (extra or [])
        self.out.append((line, len(self.out), RawPartnership(
            self.context.name, line, self.subject.section, cn_name, cn_links, fields.name,
            tuple(dict.fromkeys(links)), country_text, country_link,
            dated.date, dated.date_text, "；".join(n for n in notes if n) or None, cn_line, tier,
            tuple((k, v) for k, v in dict.fromkeys(kept) if v))))

    def _own(self) -> _Cn:
        subject = self.subject
        target = subject.name if subject.name != subject.title else subject.title
        return subject.name, (Link(subject.name, target),), 1

    # -- what was not read ----------------------------------------------------------------------

    def _empty_sections(self) -> None:
        """One ``no_partner_named`` for each section (outermost) with no row or bullet."""
        hits = sorted(self.hits)
        recorded = any(isinstance(item, RawPartnership) for _, _, item in self.out)
        if not hits and all(_APPENDIX.match(to_simplified(h.title)) for h in self.headings):
            # No section to report on (none, or only notes and references): the page itself.
            self._anomaly(1, AnomalyKind.no_partner_named, "page names no partner in a table or list",
                          self.text[:200])
        self.reported: list[_Heading] = []
        for h in self.headings:
            if _APPENDIX.match(to_simplified(h.title)) or any(r.start <= h.start < r.end for r in self.reported):
                continue
            i = bisect.bisect_left(hits, h.start)
            if i < len(hits) and hits[i] < h.end:
                continue
            self.reported.append(h)
            why = f"section {h.title!r} names no partner in a table or list"
            linked = [w for w in self.doc.wikilinks if h.start <= w.span[0] < h.end
                      and not _NAMESPACE.match(str(w.title))]
            if linked:
                why += f"; {len(linked)} links stand in running prose, not read as partners"
            lists = [str(t.name).strip() for t in self.doc.templates if h.start <= t.span[0] < h.end
                     and re.search(r"友好|友城|姐妹|城市", str(t.name))]
            if lists:
                why += f"; the list may be in template {{{{{lists[0]}}}}}, which this text does not hold"
            self._anomaly(h.line, AnomalyKind.no_partner_named, why, self._text_of(h.line),
                          "info" if recorded else "warning")

    def _prose(self) -> None:
        """An ``unread_line`` (info) for prose lines that link places beside the read rows."""
        if not self.hits or not self.headings:
            return
        found: dict[int, list[str]] = {}
        for link in self.doc.wikilinks:
            start, title = int(link.span[0]), str(link.title).strip()
            if start < self.headings[0].start or _NAMESPACE.match(title) or \
                    any(s <= start < e for s, e in self.structures) or \
                    any(r.start <= start < r.end for r in self.reported) or self._where(start) is None:
                continue
            text = _clean(str(link.text)) if link.text is not None else title
            if to_simplified(text) in _NOT_PARTNERS or _link_country(Link(text, _target(title))):
                continue
            found.setdefault(self._line(start), []).append(text)
        for line, names in found.items():
            self._anomaly(line, AnomalyKind.unread_line, f"prose not read as rows; it links {'、'.join(names)}, "
                          "partners named only in running text are not recorded", self._text_of(line), "info")


_REF_TEMPLATES = re.compile(r"^(reftag|efn|r|sfn|refn|notetag|参|註|注|ref label|cite.*|citation)$", re.I)


def _blank(text: str) -> tuple[str, list[int]]:
    """``text`` with comments, citations and reference templates replaced by spaces, and the
    offsets of the comments never closed (each runs to the end of the text).

    Offsets and newlines stay where they were, so the library's spans in the
    blanked text are still the file's; a commented-out row is not read as a row.
    """
    parsed = wtp.parse(text)
    unclosed = [int(c.span[0]) for c in parsed.comments if not str(c.string).endswith("-->")]
    spans = [c.span for c in parsed.comments]
    spans += [t.span for t in parsed.get_tags() if str(t.name).lower() in ("ref", "references")]
    spans += [t.span for t in parsed.templates if _REF_TEMPLATES.match(str(t.name).strip())]
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars), unclosed


class WikitextFormat:
    """Raw MediaWiki markup of a zh-Wikipedia section or list page."""

    name = FORMAT
    description = ("zh-Wikipedia sections in raw wikitext ('== 友好城市 ==' headings, wiki tables, "
                   "bullet lists, flag templates), read with wikitextparser")

    def sniff(self, head: str, path: Path) -> bool:
        """A MediaWiki heading line and wiki markup, and none of the Markdown conversions' links."""
        return bool(_HEADING_LINE.search(head) and _WIKI_MARKUP.search(head)
                    and not _MARKDOWN_LINK.search(head))

    def read(self, context: SourceContext, progress: ProgressCallback | None = None,
             fast: bool = True) -> Iterator[Item]:
        yield from _Page(context, progress).read()


SOURCE_FORMAT = WikitextFormat()

__all__ = ["FORMAT", "SOURCE_FORMAT", "WikitextFormat"]
