"""What one cell of the national list page says: the cell readers of format ``wikimd``.

``wikimd.py`` is the page's line-driven state machine (sections, HTML and pipe tables,
which Chinese place a row continues); a cell's content is read here: a partner cell's
links, date and remarks, a Chinese-place cell (``〖[洛陽市](…)〗-``), a pipe row's cells
and a header row's column roles. Partner cells recur all over a long page, so their
reading is remembered (``_partner_cell``) and shared, hence immutable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from youcheng._memo import short_text_cache
from youcheng.dates import InvalidDate, looks_like_date, parse_date
from youcheng.model import Link, PartialDate, Severity
from youcheng.sources._markup import Segment, markdown_segments, plain_text, split_parentheticals
from youcheng.vocabulary import AnomalyKind

_PIPE_SPLIT = re.compile(r"(?<!\\)\|")

# Column names seen in headed tables, by the role the column plays.
_HEADER_ROLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("country", ("國家", "国家", "國別", "国别")),
    ("date", ("日期", "時間", "时间")),
    ("partner", ("城市", "友好城市", "姐妹城市")),
)


@dataclass
class _ChinesePlace:
    name: str
    links: tuple[Link, ...]
    line: int


class _PartnerCell(NamedTuple):
    """What a partner cell says once links, dates and remarks are told apart (shared by
    every row with the same cell, so immutable)."""

    name: str | None
    links: tuple[Link, ...]
    date: PartialDate | None
    date_text: str | None
    note: str | None  # the remarks that are not the date, joined with "；"
    problems: tuple[tuple[str, Severity, str], ...]


def _roles(header: list[str]) -> dict[int, str]:
    roles: dict[int, str] = {}
    for index, name in enumerate(header):
        for role, words in _HEADER_ROLES:
            if any(word in name for word in words) and role not in roles.values():
                roles[index] = role
                break
    return roles


def _pipe_cells(row: str) -> list[str]:
    inner = row.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [c.strip().replace("\\|", "|") for c in _PIPE_SPLIT.split(inner)]


def _read_chinese_place(cell: str, line: int) -> _ChinesePlace:
    inner = _cn_brackets(cell)
    if inner is None:
        inner = cell.rstrip("- ")
    segments = markdown_segments(inner)
    return _ChinesePlace(plain_text(segments), tuple(s.link for s in segments if s.link), line)


def _cn_brackets(cell: str) -> str | None:
    """The text inside ``〖...〗-`` (an optional dash after), or None when not bracketed.

    String operations, not the regex ``^\\s*〖(.*)〗\\s*-?\\s*$``, whose two
    ``\\s*`` around the dash backtrack quadratically over a long run of spaces.
    """
    text = cell.strip()
    if text.endswith("-"):
        text = text[:-1].rstrip()
    if len(text) >= 2 and text.startswith("〖") and text.endswith("〗"):
        return text[1:-1]
    return None


def _read_partner(segments: list[Segment]) -> _PartnerCell:
    """Split a partner cell into name (links and the text between), date and notes.

    Remembered by segments: the same partner with the same date recurs. The
    result is shared, so nothing may change it (``_record`` only reads it).
    """
    return _partner_cell(tuple(segments))


@short_text_cache(1 << 15, size=lambda segments: sum([len(s.text) for s in segments]))
def _partner_cell(segments: tuple[Segment, ...]) -> _PartnerCell:
    names: list[str] = []
    links: list[Link] = []
    notes: list[str] = []
    problems: list[tuple[str, Severity, str]] = []
    date: PartialDate | None = None
    date_text: str | None = None
    for seg in segments:
        if seg.link is not None:
            names.append(seg.text)
            links.append(seg.link)
            continue
        rest, remarks = split_parentheticals(seg.text)
        for remark in remarks:
            if looks_like_date(remark) and date_text is None:
                date_text = remark
                try:
                    date = parse_date(remark)
                except InvalidDate as exc:
                    problems.append((AnomalyKind.invalid_date, "warning", str(exc)))
            else:
                notes.append(remark)
        if rest:
            names.append(rest)
            if links:
                problems.append((AnomalyKind.unlinked_text, "info",
                                 f"plain text {rest!r} beside the partner's links kept in its name"))
    return _PartnerCell("".join(names).strip() or None, tuple(links), date, date_text,
                        "；".join(notes) or None, tuple(problems))
