"""Open-data exports: JSON Lines and CSV, one record per relationship.

Columns are the fields of ``model.Record`` in order, so every format carries
the same facts, including provenance (source, line).
"""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Iterable
from typing import TextIO

from youcheng.errors import UsageError
from youcheng.model import Record

FORMATS = ("jsonl", "csv")
FIELDS = tuple(f.name for f in dataclasses.fields(Record))


def record_dict(record: Record) -> dict[str, object]:
    """A record as a plain JSON-ready dict with the export field names."""
    return dataclasses.asdict(record)


def write_records(records: Iterable[Record], out: TextIO, fmt: str, *, bom: bool = False) -> int:
    """Write ``records`` to ``out`` in ``fmt``; returns how many were written.

    ``bom`` puts a UTF-8 byte-order mark before CSV so Excel opens Chinese text
    correctly.
    """
    if fmt == "jsonl":
        return _write_jsonl(records, out)
    if fmt == "csv":
        return _write_csv(records, out, bom)
    raise UsageError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")


def _write_jsonl(records: Iterable[Record], out: TextIO) -> int:
    count = 0
    for record in records:
        out.write(json.dumps(record_dict(record), ensure_ascii=False) + "\n")
        count += 1
    return count


def _write_csv(records: Iterable[Record], out: TextIO, bom: bool) -> int:
    if bom:
        out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FIELDS)
    count = 0
    for record in records:
        row = record_dict(record)
        row["partner_links"] = "|".join(record.partner_links)
        row["country_inferred"] = "true" if record.country_inferred else "false"
        writer.writerow("" if row[f] is None else row[f] for f in FIELDS)
        count += 1
    return count
