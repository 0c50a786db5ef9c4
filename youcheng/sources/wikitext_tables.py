"""How the ``wikitext`` format reads a wiki table's header rows.

A zh-Wikipedia table names its columns in one or more header rows (``colspan`` over
several cells, Traditional or Simplified, Chinese or English), sometimes down its first
column instead (a table laid out sideways), and sometimes lists two relationships per
row. This module turns the header cells into logical columns with a role each and the
columns into one record's worth each; ``wikitext.py`` reads the rows under them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import wikitextparser as wtp

from youcheng.resolve.names import to_simplified
from youcheng.sources.wikitext_cells import _DATE, _render, _tokens

_ROLES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((role, re.compile(pattern, re.I)) for role, pattern in (
    ("signatory", r"^(中方|本方|我方)?(签字人|签署人|签约人)$|signator"),
    ("signing_place", r"签字地点|签约地点|签署地点|签字地|signing place"),
    ("date", r"时间|日期|年份|年月|^(缔结|结好|签约|签订|结交|缔约)$|date|year|since"),
    ("extra", r"签"),
    ("note", r"备注|附注|说明|^notes?$|remarks?"),
    ("index", r"^(序号?|编号|no\.?|#|\d+)$"),
    ("cn", r"己方|中方|我方|本方|^中国(?!家)|结对|^(地级市|县级市|区县|县区|市县)$|chinese"),
    ("country", r"国家|国别|国名|所在国|所属国|country|nation"),
    ("region", r"(一级|上级|所属|所在)(行政区|省|州|地区)|^region|^state|^province"),
    ("partner", r"城市|地区|行政区|省|州|县|郡|友城|名称|伙伴|姐妹|友好|city|partner|town|place"),
))


def _role(header: str) -> str | None:
    """What a column holds, from its header text (Traditional or Simplified, Chinese or English)."""
    text = re.sub(r"\s+", "", to_simplified(header))
    return next((role for role, pattern in _ROLES if pattern.search(text)), None) if text else None


@dataclass
class _Column:
    """A logical column: adjacent cells under one header cell (``colspan`` in the header)."""

    indices: list[int]
    role: str | None
    label: str  # the header texts, top to bottom


def _columns(headers: list[list[wtp.Cell]], width: int) -> list[_Column]:
    columns: list[_Column] = []
    last: tuple[tuple[int, int], ...] | None = None
    for j in range(width):
        cells = [row[j] for row in headers if j < len(row) and row[j] is not None]
        key = tuple(c.span for c in cells)
        if key == last and columns:
            columns[-1].indices.append(j)
            continue
        last = key
        texts = list(dict.fromkeys(_render(_tokens(str(c.value))).strip() for c in cells))
        role = next((r for r in map(_role, reversed(texts)) if r is not None), None)
        columns.append(_Column([j], role, " ".join(t for t in texts if t)))
    return columns


def _groups(columns: list[_Column]) -> list[list[_Column]]:
    """Columns split into one record's worth each: a repeated role starts the next record."""
    groups: list[list[_Column]] = [[]]
    for column in columns:
        roles = {c.role for c in groups[-1]}
        if column.role in ("partner", "country", "date", "cn") and column.role in roles:
            groups.append([])
        groups[-1].append(column)
    return [g for g in groups if any(c.role == "partner" for c in g)]


def _transposed(rows: list[list[wtp.Cell]]) -> list[list[wtp.Cell]] | None:
    """A table laid out sideways (``! 城市 | a || b`` rows) as header row plus one row per column."""
    rows = [r for r in rows if r and r[0] is not None]
    if len(rows) < 2 or any(r[0] is None or not r[0].is_header or len(r) < 2 or
                            any(c is not None and c.is_header for c in r[1:]) for r in rows):
        return None
    roles = [_role(_render(_tokens(str(r[0].value)))) for r in rows]
    if "partner" not in roles:
        return None
    width = max(len(r) for r in rows)
    return [[r[0] for r in rows]] + [[r[j] if j < len(r) else None for r in rows] for j in range(1, width)]


def _is_header(row: list[wtp.Cell]) -> bool:
    """A header row: all ``!`` cells, or ``! a || b`` (only the first cell is ``!``) naming columns."""
    row = [c for c in row if c is not None]
    if not row:
        return False
    if row[0].is_header and all(c.is_header for c in row):
        return True
    values = [str(c.value).strip() for c in row]
    if any("[[" in v or "{{" in v or _DATE.search(v) for v in values):
        return False
    named = [v for v in values if v and _role(v) not in (None, "index")]
    return len(named) >= 2 and 2 * len(named) >= len([v for v in values if v])
