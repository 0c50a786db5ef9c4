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

    Scripts get one line per record with no box drawing to strip, and a query
    whose output is piped does not pay for importing Rich (a third of the start-up).
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
    """A Rich table of a place's partnerships, on standard output."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{name}: {len(records)} partnership(s)")
    for column in ("中方 Chinese place", "伙伴 Partner", "国家", "日期 Date", "备注 Note", "行 Line"):
        table.add_column(column)
    for r in records:
        table.add_row(r.cn_name, r.partner_name or "—", r.country or r.country_text or "",
                      r.date or "", r.note or "", str(r.line))
    Console().print(table)
