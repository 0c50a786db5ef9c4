"""Parser for zh-Wikipedia list pages converted to Markdown (the seed's format).

The page is a list of ``## `` sections (one per province in the seed), each
holding HTML tables or pipe tables:

* HTML tables whose rowspans the converter flattened: a row with three filled
  cells is ``[Chinese place, partner, date]``; the rows after it,
  ``[partner, date, (empty)]``, continue that Chinese place. A table with a
  header row (澳門's 國家/城市/締結日期) is read by its column names instead,
  and its Chinese place is the section itself.
* Pipe tables: ``| 〖[洛陽市](…)〗- | | <small>[日本](…)[岡山市](…)（1981年4月6日） |``;
  a blank first column continues the previous Chinese place, the first link of
  the partner cell is the country, and empty ``| <small>`` rows are placeholders.

Every row that is skipped or only partly understood is yielded as an
``Anomaly`` with its line number, so nothing is dropped silently. This module is
the state machine over the lines; what one cell says is read in ``wikimd_cells.py``.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from youcheng._memo import short_text_cache
from youcheng.dates import InvalidDate, looks_like_date, parse_date
from youcheng.errors import ParseError
from youcheng.model import Anomaly, RawPartnership, Severity
from youcheng.sources._markup import (
    Segment,
    html_segments,
    markdown_segments,
    plain_text,
)
from youcheng import config
from youcheng.sources._reader import Block, Line, ProgressCallback, read_lines
from youcheng.sources.base import SourceContext
from youcheng.sources.wikimd_cells import (
    _ChinesePlace,
    _PartnerCell,
    _pipe_cells,
    _read_chinese_place,
    _read_partner,
    _roles,
)
from youcheng.vocabulary import AnomalyKind, SourceFormatName

FORMAT = SourceFormatName.wikimd.value

Item = RawPartnership | Anomaly

_HEADING_MARK = re.compile(r"(#{1,6})\s")
# [^<>]* rather than [^>]*: a run of unclosed "<td <td ..." must not be rescanned
# from every "<" (linear time on hostile lines; see tests/test_limits.py).
_HTML_TAG = re.compile(r"<(/?)(table|thead|tbody|tr|td|th)\b[^<>]*>", re.I)
_PIPE_SEPARATOR = re.compile(r"^\s*:?-+:?\s*$")
_SPACE = re.compile(r"\s*")
_SMALL = re.compile(r"</?small>", re.I)
# The fast path (``_PageParser.feed_block``): a whole headerless-table row as the
# seed and its converter write it, five lines or so, in one match. A cell holds
# text, <p> and wiki links only, so no table tag can hide in it; any other row
# falls back to the line-by-line state machine, which reads it the same way.
_FAST_CELL = r'<td>((?:[^<>\n]|<(?:/?p|/a|a href="[^"<>\n]*" title="wikilink")>)*)</td>\n'
_FAST_HTML_ROW = re.compile(r'<tr(?: class="[^"<>\n]*")?>\n((?:' + _FAST_CELL + r')+)</tr>\n')
_FAST_TD = re.compile(_FAST_CELL)


@dataclass
class _Cell:
    line: int
    is_header: bool
    # Pieces of the cell's markup, joined once: a cell left open over many lines
    # would otherwise be copied again for every line appended (quadratic time).
    parts: list[str] = field(default_factory=list)

    @property
    def markup(self) -> str:
        if len(self.parts) > 1:
            self.parts[:] = ["".join(self.parts)]
        return self.parts[0] if self.parts else ""

    @property
    def segments(self) -> list[Segment]:
        return list(_cell_view(self.markup)[0])

    @property
    def text(self) -> str:
        return _cell_view(self.markup)[1]

    @property
    def has_link(self) -> bool:
        return _cell_view(self.markup)[2]


# Cells repeat all over a long page (the same partner, the same date): short
# ones are read once and remembered, like _markup's segments.
@short_text_cache(1 << 15)
def _cell_view(markup: str) -> tuple[tuple[Segment, ...], str, bool]:
    """(segments, plain text, whether it holds a link) of an HTML cell's markup."""
    segments = html_segments(markup)
    return tuple(segments), plain_text(segments), any(s.link for s in segments)


def parse_lines(lines: Iterable[Line | Block], source: str, fast: bool = True) -> Iterator[Item]:
    """Yield the relationships and anomalies of one page, in page order.

    Raises ParseError at the end when the page had no table at all: it is then
    not a page of this format, and saying so beats returning an empty registry.
    ``fast=False`` reads blocks line by line too: the reference for the fast path.
    """
    parser = _PageParser(source)
    for line in lines:
        if isinstance(line, Block):
            if fast:
                yield from parser.feed_block(line.number, line.text)
            else:
                for offset, text in enumerate(line.text.split("\n")[:-1]):
                    yield from parser.feed(line.number + offset, text)
            continue
        if line.problem:
            yield parser.anomaly(line.number, AnomalyKind.damaged_line, "warning", line.problem, line.text)
        yield from parser.feed(line.number, line.text)
    yield from parser.close()
    if parser.tables_seen == 0:
        raise ParseError(
            f"{source}: not a sister-city list page: no HTML or pipe table found "
            "(expected '## ' sections holding tables of partners)"
        )


class _PageParser:
    """Line-driven state machine: section, open HTML table, current Chinese place."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.section = ""
        self.tables_seen = 0
        self.cn: _ChinesePlace | None = None
        # HTML table state
        self.in_html = False
        self.header: list[str] | None = None
        self.row: list[_Cell] | None = None
        self.cell: _Cell | None = None
        self.row_line = 0
        self.table_line = 0
        # pipe table state
        self.in_pipe = False
        self.pipe_roles: dict[int, str] | None = None

    def anomaly(self, line: int, kind: str, severity: Severity, message: str, text: str = "") -> Anomaly:
        """``kind`` as a plain ``str``, as ``SourceContext.anomaly`` keeps it (``marshal`` takes no enum)."""
        return Anomaly(self.source, line, str(kind), severity, message, text.strip()[:500])

    # -- dispatch -----------------------------------------------------------------

    def feed(self, number: int, text: str) -> Iterator[Item]:
        """Read one line. A loop over positions, not recursion or slicing: one line
        may close a table and open the next many times over (``</table><table>``
        repeated), and recursing or copying the rest of the line once per table
        would overflow the stack or take quadratic time on a hostile line."""
        start: int | None = 0
        while start is not None:
            start = yield from self._feed_once(number, text, start)

    def feed_block(self, number: int, text: str) -> Iterator[Item]:
        """Read a ``Block`` of whole lines from line ``number``: a common HTML-table row
        with one regex (``_FAST_HTML_ROW``), a pipe-table line straight to the pipe-row
        reader, and anything else line by line through ``feed``. Each shortcut is taken
        only in a state where ``feed`` would do the same, so the items are the same."""
        pos, end = 0, len(text)
        html_row = _FAST_HTML_ROW.match
        while pos < end:
            if self.in_html:
                if self.row is None and self.cell is None and (row := html_row(text, pos)) is not None:
                    cells = row.group(1)
                    yield from self._fast_html_row(number, cells)
                    number += cells.count("\n") + 2
                    pos = row.end()
                    continue
            elif text.startswith("|", pos):
                # What _feed_once does with a line starting with "|" outside an HTML table.
                nl = text.index("\n", pos)
                yield from self._pipe_line(number, text[pos:nl].rstrip())
                number += 1
                pos = nl + 1
                continue
            nl = text.index("\n", pos)
            yield from self.feed(number, text[pos:nl])
            number += 1
            pos = nl + 1

    def _fast_html_row(self, number: int, cells: str) -> Iterator[Item]:
        """A row matched by ``_FAST_HTML_ROW`` at line ``number``: the cells the tag
        scanner would collect (one per line after the ``<tr>``), then the row's end."""
        row = []
        for line, cell in enumerate(_FAST_TD.finditer(cells), number + 1):
            row.append(_Cell(line, False, [cell.group(1)]))
        self.row, self.row_line = row, number
        yield from self._finish_row()

    def _feed_once(self, number: int, text: str, start: int) -> Generator[Item, None, int | None]:
        """Read ``text`` from ``start``; return where to go on after a closing ``</table>``."""
        at = _skip_space(text, start)
        first = text[at:at + 1]
        heading = _heading(text[at:].rstrip()) if first == "#" else None
        if self.in_html and (first == "|" or heading):
            # Markdown never sits inside an HTML table: its </table> is missing.
            # Close it here so one lost tag does not swallow the rest of the page.
            yield from self._finish_row()
            yield self.anomaly(self.table_line, AnomalyKind.unclosed_table, "warning",
                               f"HTML table not closed before line {number}; closed there")
            self.in_html = False
        if self.in_html:
            return (yield from self._html_line(number, text, start))
        if first == "|":
            yield from self._pipe_line(number, text[at:].rstrip())
            return None
        self.in_pipe = False
        if not first or text.startswith("[Category:", at):
            return None
        if heading:
            level, title = heading
            if level <= 2:
                self.section = title
            self.cn = None
            return None
        opening = _HTML_TAG.match(text, at)
        if opening and opening.group(2).lower() == "table" and not opening.group(1):
            self._open_html_table(number)
            return (yield from self._html_line(number, text, opening.end()))
        if self.section:
            yield self.anomaly(number, AnomalyKind.unread_line, "info",
                               "line outside any table was not read as a relationship", text[at:])
        return None

    def close(self) -> Iterator[Item]:
        if self.in_html:
            yield from self._finish_row()
            yield self.anomaly(self.table_line, AnomalyKind.unclosed_table, "warning",
                               "HTML table not closed by the end of the page")
            self.in_html = False

    # -- HTML tables ------------------------------------------------------------------

    def _open_html_table(self, number: int) -> None:
        self.in_html = True
        self.table_line = number
        self.tables_seen += 1
        self.header = None
        self.row = None
        self.cell = None
        self.cn = None

    def _html_line(self, number: int, text: str, start: int) -> Generator[Item, None, int | None]:
        """Read a line inside an HTML table from ``start``; return where the text after
        its ``</table>`` begins, if there is any."""
        pos = start
        outside: list[str] = []
        for tag in _HTML_TAG.finditer(text, start):
            (self.cell.parts if self.cell is not None else outside).append(text[pos:tag.start()])
            pos = tag.end()
            closing, name = tag.group(1) == "/", tag.group(2).lower()
            if name in ("td", "th"):
                if closing:
                    self._close_cell()
                else:
                    self._close_cell()
                    if self.row is None:
                        self.row, self.row_line = [], number
                    self.cell = _Cell(number, name == "th")
            elif name == "tr":
                yield from self._finish_row()
                if not closing:
                    self.row, self.row_line = [], number
            elif name == "table" and closing:
                yield from self._finish_row()
                self.in_html = False
                self.cn = None
                yield from self._outside_cells(number, outside)
                return pos if _skip_space(text, pos) < len(text) else None
            elif name == "table":
                yield self.anomaly(number, AnomalyKind.nested_table, "warning",
                                   "a table inside a table; its rows are read as the outer table's")
        if self.cell is not None:
            self.cell.parts.append(text[pos:] + "\n")
        else:
            outside.append(text[pos:])
        yield from self._outside_cells(number, outside)
        return None

    def _outside_cells(self, number: int, outside: list[str]) -> Iterator[Item]:
        pieces = [piece.strip() for piece in outside if piece.strip()]
        if pieces:
            yield self.anomaly(number, AnomalyKind.unread_line, "info",
                               "text inside a table but outside any cell", " ".join(pieces))

    def _close_cell(self) -> None:
        if self.cell is not None and self.row is not None:
            self.row.append(self.cell)
        self.cell = None

    def _finish_row(self) -> Iterator[Item]:
        self._close_cell()
        row, self.row = self.row, None
        if not row:
            return
        if all(c.is_header for c in row):
            self.header = [c.text for c in row]
            return
        if self.header is not None:
            yield from self._headed_row(row)
        else:
            yield from self._flattened_row(row)

    def _headed_row(self, row: list[_Cell]) -> Iterator[Item]:
        """A row of a table with a header: columns by name, Chinese place = section."""
        assert self.header is not None
        roles = _roles(self.header)
        cells = {role: row[i] for i, role in roles.items() if i < len(row)}
        partner = cells.get("partner")
        if partner is None or not partner.text:
            yield self._skipped_row(row, "row has no partner in its 城市 column")
            return
        country = cells.get("country")
        date = cells.get("date")
        cn = _ChinesePlace(self.section, (), partner.line)
        yield from self._record(
            cn, partner.line, _read_partner(partner.segments),
            date_cell=date.text if date else "",
            country_segments=country.segments if country else [],
            text=partner.markup,
        )

    def _flattened_row(self, row: list[_Cell]) -> Iterator[Item]:
        """A headerless row: [Chinese place, partner, date] or [partner, date, empty]."""
        texts = [c.text for c in row] + ["", "", ""]
        has_links = [c.has_link for c in row] + [False, False, False]
        if texts[0] and texts[1] and has_links[1] and not looks_like_date(texts[1]):
            segments = row[0].segments
            self.cn = _ChinesePlace(plain_text(segments),
                                    tuple(s.link for s in segments if s.link), row[0].line)
            partner_cell, date_text, extra = row[1], texts[2], texts[3:]
        elif texts[0]:
            partner_cell, date_text, extra = row[0], texts[1], texts[2:]
        else:
            yield self._skipped_row(row, "row has an empty first cell; expected a place")
            return
        if any(extra):
            yield self.anomaly(partner_cell.line, AnomalyKind.extra_cells, "warning",
                               "row has more filled cells than [place, partner, date]; extra ignored",
                               " | ".join(texts))
        if self.cn is None:
            yield self._skipped_row(row, "partner row with no Chinese place before it in the table")
            return
        yield from self._record(self.cn, partner_cell.line, _read_partner(partner_cell.segments),
                                date_cell=date_text, country_segments=[], text=partner_cell.markup)

    def _skipped_row(self, row: list[_Cell], why: str) -> Anomaly:
        line = row[0].line if row else self.row_line
        return self.anomaly(line, AnomalyKind.skipped_row, "warning", why,
                            " | ".join(c.text for c in row))

    # -- pipe tables ------------------------------------------------------------------

    def _pipe_line(self, number: int, stripped: str) -> Iterator[Item]:
        cells = _pipe_cells(stripped)
        if not self.in_pipe:
            self.in_pipe = True
            self.tables_seen += 1
            self.cn = None
            self.pipe_roles = None
            cell_segments = [markdown_segments(c) for c in cells]
            # A first line holding links is a row whose header line went missing:
            # read it as a row rather than lose it as a header.
            is_row = any(seg.link for cell in cell_segments for seg in cell)
            if not is_row and (not any(cells) or not any(_PIPE_SEPARATOR.match(c) for c in cells)):
                header = [plain_text(cell) for cell in cell_segments]
                if any(header):
                    self.pipe_roles = _roles(header)
                    if not self.pipe_roles:
                        yield self.anomaly(number, AnomalyKind.unknown_header, "warning",
                                           "pipe table header names no known column", stripped)
                return
        if cells and all(_PIPE_SEPARATOR.match(c) for c in cells if c):
            return
        if self.pipe_roles:
            yield from self._headed_pipe_row(number, cells, stripped)
            return
        cn_cell = cells[0] if cells else ""
        partner_markup = _SMALL.sub("", " ".join(cells[1:])).strip()
        if cn_cell:
            self.cn = _read_chinese_place(cn_cell, number)
        if not partner_markup:
            if cn_cell:
                yield self.anomaly(number, AnomalyKind.no_partner, "warning",
                                   "Chinese place listed with no partner", stripped)
            else:
                yield self.anomaly(number, AnomalyKind.placeholder, "info",
                                   "empty placeholder row, not a relationship", stripped)
            return
        if self.cn is None:
            yield self.anomaly(number, AnomalyKind.skipped_row, "warning",
                               "partner row with no Chinese place before it in the table", stripped)
            return
        segments = markdown_segments(partner_markup)
        if not any(seg.link for seg in segments):
            yield self.anomaly(number, AnomalyKind.skipped_row, "warning",
                               "partner cell has no links; expected [country][place]（date）", stripped)
            return
        country: list[Segment] = []
        if segments and segments[0].link is not None:
            country, segments = segments[:1], segments[1:]
        yield from self._record(self.cn, number, _read_partner(segments), date_cell="",
                                country_segments=country, text=stripped)

    def _headed_pipe_row(self, number: int, cells: list[str], text: str) -> Iterator[Item]:
        assert self.pipe_roles is not None
        by_role = {role: cells[i] for i, role in self.pipe_roles.items() if i < len(cells)}
        partner = markdown_segments(by_role.get("partner", ""))
        if not plain_text(partner):
            yield self.anomaly(number, AnomalyKind.skipped_row, "warning", "row has no partner", text)
            return
        cn = _ChinesePlace(self.section, (), number)
        yield from self._record(cn, number, _read_partner(partner),
                                date_cell=plain_text(markdown_segments(by_role.get("date", ""))),
                                country_segments=markdown_segments(by_role.get("country", "")),
                                text=text)

    # -- records ----------------------------------------------------------------------

    def _record(self, cn: _ChinesePlace, line: int, partner: _PartnerCell, *, date_cell: str,
                country_segments: list[Segment], text: str) -> Iterator[Item]:
        date, date_text = partner.date, partner.date_text
        if date_cell:
            date_text = date_cell
            try:
                date = parse_date(date_cell)
            except InvalidDate as exc:
                date = None
                yield self.anomaly(line, AnomalyKind.invalid_date, "warning", str(exc), text)
            else:
                if date is None:
                    yield self.anomaly(line, AnomalyKind.unreadable_date, "warning",
                                       f"date cell {date_cell!r} is not a date", text)
        for kind, severity, message in partner.problems:
            yield self.anomaly(line, kind, severity, message, text)
        country_text = plain_text(country_segments) or None
        country_link = next((s.link.target for s in country_segments if s.link), None)
        if partner.name is None:
            yield self.anomaly(line, AnomalyKind.no_partner_place, "warning",
                               f"row names a country ({country_text}) but no place", text)
        yield RawPartnership(
            self.source, line, self.section, cn.name, cn.links, partner.name, partner.links,
            country_text, country_link, date, date_text, partner.note, cn.line,
        )


def _skip_space(text: str, pos: int) -> int:
    """The position of the first non-space character of ``text`` from ``pos`` on."""
    match = _SPACE.match(text, pos)
    return match.end() if match else pos


def _heading(stripped: str) -> tuple[int, str] | None:
    """(level, title) of an ATX heading line such as ``## 北京 ##``, else None.

    String operations rather than the regex ``^(#{1,6})\\s+(.*?)\\s*#*\\s*$``,
    which backtracks cubically over a long run of spaces inside the title.
    """
    mark = _HEADING_MARK.match(stripped)
    if mark is None:
        return None
    level = len(mark.group(1))
    return level, stripped[level:].strip().rstrip("#").rstrip()



_SECTION_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
_TABLE_MARK = re.compile(r"<table|<tr\b|^\s*\|.*\|", re.I | re.M)


class ListPageFormat:
    """The seed's format: the national list page, one section per province, tables of pairs."""

    name = FORMAT
    description = ("zh-Wikipedia's list page (中华人民共和国友好城市列表) converted to Markdown: "
                   "'## <province>' sections holding HTML or pipe tables")

    def sniff(self, head: str, path: Path) -> bool:
        """Markdown with a section named after a province and a table."""
        from youcheng.resolve.china import divisions

        if not _TABLE_MARK.search(head):
            return False
        table = divisions()
        return any(table.province_of_section(_plain_heading(m.group(1))) is not None
                   for m in _SECTION_HEADING.finditer(head))

    def read(self, context: SourceContext, progress: ProgressCallback | None = None,
             fast: bool = True) -> Iterator[Item]:
        lines = read_lines(context.path, max_page_bytes=config.get_int("max_page_bytes"),
                           max_line_chars=config.get_int("max_line_chars"),
                           progress=progress, blocks=fast)
        return parse_lines(lines, context.name, fast)


def _plain_heading(text: str) -> str:
    return plain_text(list(markdown_segments(text)))


SOURCE_FORMAT = ListPageFormat()
