"""What to say when a search or a place finds nothing: what the registry covers, and the
nearest names it does know ("did you mean"), so an empty answer is never mistaken for
"this place has no sister cities".

The nearest names are ranked by rapidfuzz over the search keys (``resolve/fold.py``) of
the places that share the most two-character grams with the query, so the work stays
bounded at a million places; the coverage comes from the ``sources`` table and the
precomputed counts.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from dataclasses import dataclass

from youcheng import query
from youcheng.model import StatRow
from youcheng.resolve.fold import search_key
from youcheng.database import name_grams

NEAREST = 5
_CANDIDATES = 400  # places sharing the most grams with the query, ranked by rapidfuzz
_CUTOFF = 60.0  # rapidfuzz WRatio (0-100) below which a name is not offered


@dataclass(frozen=True)
class SourceGroup:
    """The sources of one format, with the dates and licences of their text."""

    format: str
    files: int
    records: int
    snapshots: list[str]
    licences: list[str]


@dataclass(frozen=True)
class Coverage:
    """What a registry was built from and how its relationships spread over China."""

    partnerships: int  # the sources' statements (records); several may attest one relationship
    relationships: int
    sources: int
    formats: list[SourceGroup]
    provinces: list[StatRow]  # relationships (every tier) per Chinese province, most first

    def text(self) -> str:
        """One sentence for error messages: sources by format, date and licence."""
        parts = []
        for g in self.formats:
            dates = _span(g.snapshots)
            parts.append(f"{g.format}: {g.files} file(s), {g.records:,} statements"
                         + (f", text of {dates}" if dates else "")
                         + (f", {'/'.join(g.licences)}" if g.licences else ""))
        return (f"this registry holds {self.relationships:,} relationships ({self.partnerships:,} statements) "
                f"from {self.sources} source(s) "
                f"({'; '.join(parts)}) in {len(self.provinces)} provinces; "
                "'youcheng sources' and /api/summary list them")


def _span(dates: list[str]) -> str:
    return "" if not dates else dates[0] if len(dates) == 1 else f"{dates[0]}–{dates[-1]}"


def coverage(conn: sqlite3.Connection) -> Coverage:
    """The registry's sources grouped by format, and its relationships per province."""
    groups: dict[str, tuple[int, int, set[str], set[str]]] = {}
    for fmt, records, snapshot, licence in conn.execute(
            "SELECT format, records, snapshot, licence FROM sources ORDER BY id"):
        files, total, snapshots, licences = groups.get(fmt, (0, 0, set(), set()))
        groups[fmt] = (files + 1, total + (records or 0), snapshots | ({snapshot} if snapshot else set()),
                       licences | ({licence} if licence else set()))
    formats = [SourceGroup(fmt, files, records, sorted(snapshots), sorted(licences))
               for fmt, (files, records, snapshots, licences) in groups.items()]
    provinces = query.breakdown(conn, "province", query.Filters(tier=query.ALL_TIERS))
    relationships = conn.execute("SELECT count(*) FROM relationships").fetchone()[0]
    return Coverage(sum(g.records for g in formats), relationships, sum(g.files for g in formats), formats,
                    [row for row in provinces if row.key is not None])


def nearest_names(conn: sqlite3.Connection, text: str, limit: int = NEAREST) -> list[str]:
    """The indexed names closest to ``text`` (one per place, best first): "did you mean"."""
    from rapidfuzz import fuzz, process

    key = search_key(text)
    if not key:
        return []
    grams = sorted(name_grams(key)) if len(key) <= 2 else sorted(g for g in name_grams(key) if len(g) == 2)
    marks = ", ".join("?" * len(grams))
    rows = conn.execute(
        f"""
        WITH c AS (SELECT place_id FROM name_grams WHERE gram IN ({marks})
                   GROUP BY place_id ORDER BY COUNT(*) DESC LIMIT ?)
        SELECT n.key, n.name, n.place_id, p.name FROM place_names n JOIN c ON c.place_id = n.place_id
        JOIN places p ON p.id = n.place_id
        """, [*grams, _CANDIDATES]).fetchall()
    choices = {i: row[0] for i, row in enumerate(rows)}
    found = process.extract(key, choices, scorer=fuzz.WRatio, limit=limit * 8, score_cutoff=_CUTOFF)
    out: dict[str, str] = {}  # place id -> the name offered
    for _, _, i in found:
        near, name, place_id, display = rows[i]
        if place_id not in out and 2 * len(near) >= len(key):  # WRatio rates any short part of a key high
            out[place_id] = name if search_key(name) == search_key(display) else f"{name} ({display})"
        if len(out) >= limit:
            break
    return list(out.values())


def no_match_message(conn: sqlite3.Connection, text: str, what: str, nearest: list[str] | None = None) -> str:
    """``what`` (e.g. "no place name contains '大阪'") with the nearest names (``nearest_names``
    unless given) and the coverage, in one line."""
    nearest = nearest_names(conn, text) if nearest is None else nearest
    hint = f"; did you mean {', '.join(nearest)}?" if nearest else ""
    return f"{what}{hint} ({coverage(conn).text()})"


def search_answer(conn: sqlite3.Connection, text: str, limit: int = 20) -> dict[str, object]:
    """``/api/search``'s body (and ``youcheng search -f json``'s): ``q`` and the hits as ``items``;
    with no hit, also the ``nearest`` names and a ``message`` with what the registry covers."""
    items = query.search(conn, text, limit)
    if items:
        return {"q": text, "items": items, "nearest": [], "message": None}  # every key of SearchResult
    nearest = nearest_names(conn, text)
    return {"q": text, "items": [], "nearest": nearest,
            "message": no_match_message(conn, text, f"no place name contains {text!r}", nearest)}


def summary_with_coverage(conn: sqlite3.Connection) -> dict[str, object]:
    """``query.summary`` with every source's date and licence and the ``coverage`` (/api/summary)."""
    found = query.summary(conn)
    found["sources"] = [dataclasses.asdict(row) for row in query.sources(conn)]
    found["coverage"] = dataclasses.asdict(coverage(conn))
    return found


__all__ = ["Coverage", "SourceGroup", "coverage", "nearest_names", "no_match_message", "search_answer",
           "summary_with_coverage"]
