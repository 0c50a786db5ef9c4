"""Text output shared by the Typer CLI and the fast entry point (``__main__``).

One definition of how records look in a terminal, so both paths print the same.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from youcheng.model import Record


def partners_json(records: Sequence[Record]) -> str:
    """Records as an indented JSON array with the export fields."""
    from youcheng.export import record_dict

    return json.dumps([record_dict(r) for r in records], ensure_ascii=False, indent=2)


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
