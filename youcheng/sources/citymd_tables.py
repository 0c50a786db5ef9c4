"""A city page's tables as rows of cells, whichever markup the converter left them in.

Format ``wikimd-city`` meets three table markups: HTML (``rowspan``/``colspan`` spread
out here), pandoc pipe tables (a header only above a rule line) and MediaWiki tables left
raw on one line or many. Each becomes the same rows of ``_Cell`` with their lines, and a
header's texts become column roles (or, with no header, roles guessed from the cells),
so ``citymd.py`` reads every table one way.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from youcheng.dates import looks_like_date
from youcheng.resolve.names import to_simplified
from youcheng.sources._markup import Segment
from youcheng.sources._reader import Line
from youcheng.sources.citymd_cells import _SPACES, _segments, _split_partners, _text, country_code

_PIPE_RULE = re.compile(r"^[\s|:\-]+$")
_HTML_TAG = re.compile(r"<(?P<close>/?)(?P<tag>table|tr|td|th|caption)\b(?P<attrs>[^<>]*)>", re.I)
_SPAN = re.compile(r"(rowspan|colspan)\s*=\s*\"?(\d{1,3})", re.I)
_ATTRS = re.compile(r"^\s*(?:\w+=\"[^\"|]*\"\s*)+\|(?!\|)")  # style="…" | cell text
_LEAD_SKIP = re.compile(r"(?:\s|<[^<>]*>)*")


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
