"""The CLI's text output: how relationships, search hits and sources look in a terminal,
as a table, tab-separated lines or JSON.

Apart from ``cli.py`` so that a command imports only the printing it does, and so that the
layouts are tested without running Typer.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any
from unicodedata import category, east_asian_width

from youcheng.model import SourceRow
from youcheng.vocabulary import OutputFormat

if TYPE_CHECKING:
    from youcheng.relationships import Relationship


def partners_json(relationships: Sequence[Relationship]) -> str:
    """Relationships as an indented JSON array, each with its attestations and conflicts."""
    return json.dumps([asdict(r) for r in relationships], ensure_ascii=False, indent=2)


# One line per relationship; with --sources, one more per attestation, its first cell indented.
PARTNER_COLUMNS = ("cn_name", "partner_name", "country", "tier", "status", "date", "sources", "note", "id")


def default_format() -> str:
    """``table`` for a person at a terminal, ``tsv`` for a pipe or a file.

    Scripts get one line per record with no box drawing to strip.
    """
    return OutputFormat.table if sys.stdout.isatty() else OutputFormat.tsv


def conflict_note(r: Relationship) -> str:
    """The conflicts of a relationship in a few words: 'sources disagree: date 1982-09-08 ≠ 1982-09-17'."""
    if not r.conflicts:
        return ""
    return "sources disagree: " + "; ".join(
        f"{c.field} " + " ≠ ".join(dict.fromkeys(v.value for v in c.values)) for c in r.conflicts)


def conflict_lines(relationships: Sequence[Relationship]) -> list[str]:
    """``youcheng check``'s lines for conflicts: one per disagreeing value, at its source and line."""
    out = []
    for r in relationships:
        for c in r.conflicts:
            others = " ≠ ".join(f"{v.value} ({v.source}:{v.line})" for v in c.values)
            first = c.values[0]
            out.append(f"{first.source}:{first.line}\twarning\tconflict_{c.field}\t{r.cn_name} – "
                       f"{r.partner_name or '—'} ({r.id}): {others}")
    return out


def _rows(relationships: Sequence[Relationship], sources: bool) -> list[tuple[object, ...]]:
    """The cells of ``PARTNER_COLUMNS`` for each relationship and, with ``sources``, each attestation."""
    rows: list[tuple[object, ...]] = []
    for r in relationships:
        rows.append((r.cn_name, r.partner_name, r.country, r.tier, r.status, r.date, r.sources,
                     conflict_note(r), r.id))
        if sources:
            rows += [(f"  {a.source}:{a.line}", a.partner_name, a.country_text or a.country, a.tier, None,
                      a.date_text or a.date, None, a.note, a.id) for a in r.attestations]
    return rows


def partners_tsv(relationships: Sequence[Relationship], sources: bool = False) -> str:
    """A header line and one tab-separated line per relationship (and attestation, with ``sources``);
    tabs and newlines in values become spaces."""
    def cell(value: object) -> str:
        return "" if value is None else str(value).replace("\t", " ").replace("\r", " ").replace("\n", " ")

    lines = ["\t".join(PARTNER_COLUMNS)]
    lines += ["\t".join(cell(value) for value in row) for row in _rows(relationships, sources)]
    return "\n".join(lines) + "\n"


def print_partners(name: str, relationships: Sequence[Relationship], fmt: str | None = None,
                   sources: bool = False) -> None:
    """Write a place's relationships to standard output as ``table``, ``tsv`` or ``json``."""
    fmt = fmt or default_format()
    if fmt == OutputFormat.json:
        sys.stdout.write(partners_json(relationships) + "\n")
    elif fmt == OutputFormat.tsv:
        sys.stdout.write(partners_tsv(relationships, sources))
    else:
        sys.stdout.write(partners_table(name, relationships, terminal_width(), sources))


def terminal_width() -> int:
    """Columns of the terminal: ``COLUMNS`` if set, else the terminal's own, else 80.

    What ``shutil.get_terminal_size`` answers, without importing ``shutil`` (and its
    bz2 and lzma modules: about 4 ms, a tenth of Python's own start-up).
    """
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):  # no stdout, not a terminal, or replaced by a StringIO
        return 80


TABLE_HEADERS = ("中方 Chinese place", "伙伴 Partner", "国家", "类 Tier", "状态 Status", "日期 Date", "备注 Note",
                 "来源 Sources")


def partners_table(name: str, relationships: Sequence[Relationship], width: int = 80,
                   sources: bool = False) -> str:
    """A place's relationships boxed in the style of Rich's default table, fitted to ``width`` cells.

    Laid out here rather than by Rich because importing and rendering Rich's table
    costs about 60 ms, several times what the query itself takes (issue #5's start-up
    target; ``benchmarks/bench_cli.py``). Cell widths come from
    ``unicodedata`` (East Asian wide characters take two cells). When the table is
    wider than ``width``, the widest text columns are cut and end in "…" (never below
    4 cells, so a very narrow terminal wraps the lines; the number of sources is never
    cut); ``-f tsv`` and ``-f json`` always give the whole text. With ``sources``, each
    relationship is followed by its attestations (source:line, as written).
    """
    rows = [[_one_line("" if row[i] is None else str(row[i])) for i in (0, 1, 2, 3, 4, 5, 7, 6)]
            for row in _rows(relationships, sources)]
    for row in rows:
        row[1] = row[1] or "—"
    widths = [max([cell_width(h)] + [cell_width(row[i]) for row in rows]) for i, h in enumerate(TABLE_HEADERS)]
    right = len(widths) - 1  # the number of sources: aligned right, and only its header may be cut
    least = [4] * len(widths)
    least[right] = max([4] + [len(row[right]) for row in rows])
    least[5] = max([4] + [cell_width(row[5]) for row in rows if row[5][:1].isdigit()])  # ISO dates stay whole
    _fit(widths, width - 3 * len(widths) - 1, least)

    def line(cells: Sequence[str], bar: str) -> str:
        padded = [_pad(c, w, i == right) for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return bar + " " + f" {bar} ".join(padded) + " " + bar

    def rule(left: str, fill: str, mid: str, end: str) -> str:
        return left + mid.join(fill * (w + 2) for w in widths) + end

    total = sum(widths) + 3 * len(widths) + 1
    count = f": {len(relationships)} relationship(s)"
    title = _cut(_one_line(name), max(total - cell_width(count), 1)) + count
    out = [" " * max((total - cell_width(title)) // 2, 0) + title, rule("┏", "━", "┳", "┓"),
           line(TABLE_HEADERS, "┃"), rule("┡", "━", "╇", "┩")]
    out += [line(row, "│") for row in rows]
    out.append(rule("└", "─", "┴", "┘"))
    return "\n".join(out) + "\n"


def cell_width(text: str) -> int:
    """Terminal cells ``text`` takes: two for East Asian wide characters, none for combining marks."""
    if text.isascii():
        return len(text)
    return sum(_char_width(c) for c in text)


def _char_width(char: str) -> int:
    if char.isascii():
        return 1
    return 0 if category(char) in ("Mn", "Me", "Cf") else 2 if east_asian_width(char) in ("W", "F") else 1


def _one_line(value: str) -> str:
    """``value`` with every control, line or paragraph separator as a space: it must not move
    the cursor, start a new line or reach the terminal as an escape sequence."""
    return value if value.isprintable() else "".join(c if c.isprintable() else " " for c in value)


def _fit(widths: list[int], room: int, least: list[int]) -> None:
    """Narrow the widest columns until they fit in ``room``, none below its ``least`` width."""
    while sum(widths) > room:
        shrinkable = sorted((w, i) for i, w in enumerate(widths) if w > least[i])
        if not shrinkable:
            return
        widest, column = shrinkable[-1]
        # Straight down to the next widest column (or as far as needed), not one cell a turn.
        floor = max(shrinkable[-2][0] if len(shrinkable) > 1 else 0, least[column])
        widths[column] = max(widest - (sum(widths) - room), floor) if widest > floor else widest - 1


def _cut(text: str, width: int) -> str:
    """``text`` if it fits in ``width`` cells, else its start and "…" (one pass over the text)."""
    if cell_width(text) <= width:
        return text
    used = 0
    for end, char in enumerate(text):
        used += _char_width(char)
        if used > width - 1:
            return text[:end] + "…"
    return text


def _pad(text: str, width: int, right: bool) -> str:
    text = _cut(text, width)
    space = " " * (width - cell_width(text))
    return space + text if right else text + space


SEARCH_COLUMNS = ("name", "side", "country", "partnerships", "id", "matched")


def print_search(answer: dict[str, Any], fmt: str | None = None) -> int:
    """A search answer (``search.search_answer``) on standard output; the exit code: 0 with hits,
    1 without (then the nearest names and the coverage go to standard error, or into the JSON).

    No ``fmt``: one plain tab-separated line per place; ``tsv`` adds a header line and every
    column; ``table`` boxes them; ``json`` is ``/api/search``'s body.
    """
    hits = answer["items"]
    if fmt == OutputFormat.json:
        from dataclasses import asdict

        sys.stdout.write(json.dumps({**answer, "items": [asdict(h) for h in hits]}, ensure_ascii=False,
                                    indent=2) + "\n")
    elif fmt in (OutputFormat.tsv, OutputFormat.table) and hits:
        rows = [[_one_line(str(v)) if v is not None else "" for v in
                 (h.name, h.side, h.country, h.partnerships, h.id, h.matched)] for h in hits]
        if fmt == OutputFormat.tsv:
            sys.stdout.write("\n".join("\t".join(r) for r in [list(SEARCH_COLUMNS), *rows]) + "\n")
        else:
            _rich_table(SEARCH_COLUMNS, rows, f"{answer['q']}: {len(hits)} place(s)")
    for hit in hits if fmt is None else ():
        side = "CN" if hit.side == "cn" else (hit.country or "??")
        sys.stdout.write(f"{hit.name}\t{side}\t{hit.partnerships} partnership(s)\t{hit.id}\n")
    if not hits and fmt != OutputFormat.json:
        sys.stdout.flush()
        sys.stderr.write(f"{answer.get('message')}\n")
    return 0 if hits else 1


def _rich_table(columns: Sequence[str], rows: list[list[str]], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*columns, title=title)
    for row in rows:
        table.add_row(*row)
    Console(width=max(terminal_width(), 100)).print(table)


SOURCE_COLUMNS = ("name", "format", "records", "anomalies", "snapshot", "licence")


def print_sources(rows: Sequence[SourceRow], fmt: str | None = None) -> None:
    """The sources of a registry as ``table`` (default), ``tsv`` or ``json``, on standard output."""
    if fmt == OutputFormat.json:
        from dataclasses import asdict

        sys.stdout.write(json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=2) + "\n")
        return
    if fmt == OutputFormat.tsv:
        sys.stdout.write("\t".join(SOURCE_COLUMNS) + "\n")
        for row in rows:
            sys.stdout.write("\t".join("" if getattr(row, c) is None else str(getattr(row, c))
                                       for c in SOURCE_COLUMNS) + "\n")
        return
    _rich_table(("source", "format", "records", "skipped", "snapshot", "licence"),
                [[row.name, row.format, f"{row.records:,}", f"{row.anomalies:,}", row.snapshot or "",
                  row.licence or ""] for row in rows],
                f"{len(rows)} source(s), {sum(r.records for r in rows):,} records")
