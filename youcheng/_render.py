"""Text output shared by the Typer CLI and the fast entry point (``__main__``).

One definition of how records look in a terminal, so both paths print the same.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from youcheng.model import Record


def partners_json(records: Sequence[Record]) -> str:
    """Records as an indented JSON array with the export fields."""
    from youcheng.export import record_dict

    return json.dumps([record_dict(r) for r in records], ensure_ascii=False, indent=2)


PARTNER_COLUMNS = ("cn_name", "partner_name", "country", "date", "note", "line")


def default_format() -> str:
    """``table`` for a person at a terminal, ``tsv`` for a pipe or a file.

    Scripts get one line per record with no box drawing to strip.
    """
    return "table" if sys.stdout.isatty() else "tsv"


def partners_tsv(records: Sequence[Record]) -> str:
    """A header line and one tab-separated line per record; tabs and newlines in values become spaces."""
    def cell(value: object) -> str:
        return "" if value is None else str(value).replace("\t", " ").replace("\r", " ").replace("\n", " ")

    lines = ["\t".join(PARTNER_COLUMNS)]
    lines += ["\t".join(cell(getattr(r, column)) for column in PARTNER_COLUMNS) for r in records]
    return "\n".join(lines) + "\n"


def print_partners(name: str, records: Sequence[Record], fmt: str | None = None) -> None:
    """Write a place's partnerships to standard output as ``table``, ``tsv`` or ``json``."""
    fmt = fmt or default_format()
    if fmt == "json":
        sys.stdout.write(partners_json(records) + "\n")
    elif fmt == "tsv":
        sys.stdout.write(partners_tsv(records))
    else:
        print_partners_table(name, records)


def print_partners_table(name: str, records: Sequence[Record]) -> None:
    """A boxed table of a place's partnerships, on standard output."""
    import shutil

    sys.stdout.write(partners_table(name, records, shutil.get_terminal_size().columns))


TABLE_HEADERS = ("中方 Chinese place", "伙伴 Partner", "国家", "日期 Date", "备注 Note", "行 Line")


def partners_table(name: str, records: Sequence[Record], width: int = 80) -> str:
    """A place's partnerships boxed in the style of Rich's default table, at most ``width`` cells wide.

    Laid out here rather than by Rich because importing and rendering Rich's table
    costs about 60 ms, more than the rest of ``youcheng partners`` together
    (issue #5's start-up target; ``benchmarks/bench_cli.py``). Cell widths come from
    ``unicodedata`` (East Asian wide characters take two cells). When the table is
    wider than ``width``, the widest columns are cut and end in "…"; ``-f tsv`` and
    ``-f json`` always give the whole text.
    """
    rows = [[_one_line(value) for value in (r.cn_name, r.partner_name or "—", r.country or r.country_text or "",
                                           r.date or "", r.note or "", str(r.line))] for r in records]
    widths = [max([cell_width(h)] + [cell_width(row[i]) for row in rows]) for i, h in enumerate(TABLE_HEADERS)]
    _fit(widths, width - 3 * len(widths) - 1)
    right = len(widths) - 1  # the line number, aligned right

    def line(cells: Sequence[str], bar: str) -> str:
        padded = [_pad(c, w, i == right) for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return bar + " " + f" {bar} ".join(padded) + " " + bar

    def rule(left: str, fill: str, mid: str, end: str) -> str:
        return left + mid.join(fill * (w + 2) for w in widths) + end

    total = sum(widths) + 3 * len(widths) + 1
    title = _cut(f"{name}: {len(records)} partnership(s)", total)
    out = [" " * ((total - cell_width(title)) // 2) + title, rule("┏", "━", "┳", "┓"),
           line(TABLE_HEADERS, "┃"), rule("┡", "━", "╇", "┩")]
    out += [line(row, "│") for row in rows]
    out.append(rule("└", "─", "┴", "┘"))
    return "\n".join(out) + "\n"


def cell_width(text: str) -> int:
    """Terminal cells ``text`` takes: two for East Asian wide characters, none for combining marks."""
    if text.isascii():
        return len(text)
    from unicodedata import category, east_asian_width

    return sum(0 if category(c) in ("Mn", "Me", "Cf") else 2 if east_asian_width(c) in ("W", "F") else 1
               for c in text)


def _one_line(value: str) -> str:
    return " ".join(value.split()) if any(c in value for c in "\t\r\n") else value


def _fit(widths: list[int], room: int) -> None:
    """Narrow the widest columns, never below 4 cells, until they fit in ``room``."""
    while sum(widths) > room:
        widest = max(range(len(widths)), key=widths.__getitem__)
        if widths[widest] <= 4:
            return
        widths[widest] -= 1


def _cut(text: str, width: int) -> str:
    """``text`` if it fits in ``width`` cells, else its start and "…"."""
    if cell_width(text) <= width:
        return text
    while text and cell_width(text) > width - 1:
        text = text[:-1]
    return text + "…"


def _pad(text: str, width: int, right: bool) -> str:
    text = _cut(text, width)
    space = " " * (width - cell_width(text))
    return space + text if right else text + space
