"""The one read layer: every question the CLI, the API and the web page ask.

Functions take an open read-only connection and return ``model`` dataclasses.
Place names are matched through the ``place_names`` table, so whatever names
the resolution stage indexes (scripts, pinyin, English) work in every query.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from youcheng.errors import NotFound, UsageError
from youcheng.model import Anomaly, PlaceHit, Record, StatRow
from youcheng.resolve.names import fold_key
from youcheng.store import name_grams

STAT_DIMENSIONS = ("country", "year", "province")
MAX_LIMIT = 10_000

_RECORD_COLUMNS = (
    "id, source, line, section, cn_name, partner_name, partner_link, country_text, country,"
    " date, date_precision, note, cn_link, cn_id, partner_id, partner_links,"
    " country_inferred, date_text, province"
)


@dataclass(frozen=True)
class Filters:
    """Which partnerships to return; every field is optional and they combine with AND."""

    place: str | None = None
    country: str | None = None
    province: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    q: str | None = None


def place_ids(conn: sqlite3.Connection, name: str) -> list[str]:
    """Ids of the places called ``name`` in any indexed script, or with that id."""
    key = fold_key(name)
    rows = conn.execute(
        "SELECT DISTINCT place_id FROM place_names WHERE key = ? "
        "UNION SELECT id FROM places WHERE id = ?", (key, name.strip()),
    ).fetchall()
    return [r[0] for r in rows]


def partners_of(conn: sqlite3.Connection, name: str) -> list[Record]:
    """Relationships of the place ``name``: its partners, whichever side it is on.

    Raises NotFound when no place has that name, so callers can suggest a search.
    """
    ids = place_ids(conn, name)
    if not ids:
        raise NotFound(f"no place is called {name!r}; try 'youcheng search {name}'")
    marks = ", ".join("?" * len(ids))
    rows = conn.execute(
        f"SELECT {_RECORD_COLUMNS} FROM partnerships WHERE cn_id IN ({marks})"
        f" OR partner_id IN ({marks}) ORDER BY cn_name, date IS NULL, date, line",
        ids + ids,
    ).fetchall()
    return [_record(r) for r in rows]


def select_records(conn: sqlite3.Connection, filters: Filters, limit: int | None = None,
                   offset: int = 0) -> tuple[int, list[Record]]:
    """Total count and one page of the relationships matching ``filters``."""
    if limit is not None and not 0 <= limit <= MAX_LIMIT:
        raise UsageError(f"limit must be between 0 and {MAX_LIMIT}, got {limit}")
    if offset < 0:
        raise UsageError(f"offset must not be negative, got {offset}")
    where, params = _where(conn, filters)
    total = conn.execute(f"SELECT COUNT(*) FROM partnerships {where}", params).fetchone()[0]
    sql = f"SELECT {_RECORD_COLUMNS} FROM partnerships {where} ORDER BY source, line"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params = [*params, limit, offset]
    return total, [_record(r) for r in conn.execute(sql, params)]


def iter_records(conn: sqlite3.Connection, filters: Filters | None = None) -> Iterator[Record]:
    """Every matching relationship in source order, streamed (for exports)."""
    where, params = _where(conn, filters or Filters())
    cursor = conn.execute(
        f"SELECT {_RECORD_COLUMNS} FROM partnerships {where} ORDER BY source, line", params)
    for row in cursor:
        yield _record(row)


def _where(conn: sqlite3.Connection, f: Filters) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if f.place:
        ids = place_ids(conn, f.place)
        marks = ", ".join("?" * len(ids)) or "NULL"
        clauses.append(f"(cn_id IN ({marks}) OR partner_id IN ({marks}))")
        params += ids + ids
    if f.country:
        clauses.append("country = ?")
        params.append(f.country.upper())
    if f.province:
        clauses.append("province = ?")
        params.append(f.province)
    if f.year_from is not None:
        clauses.append("year >= ?")
        params.append(f.year_from)
    if f.year_to is not None:
        clauses.append("year <= ?")
        params.append(f.year_to)
    if f.q:
        ids = [hit.id for hit in search(conn, f.q, limit=MAX_LIMIT)]
        marks = ", ".join("?" * len(ids)) or "NULL"
        clauses.append(f"(cn_id IN ({marks}) OR partner_id IN ({marks}))")
        params += ids + ids
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def search(conn: sqlite3.Connection, text: str, limit: int = 20) -> list[PlaceHit]:
    """Places whose name contains ``text`` in any indexed script, best matches first.

    Works for one- and two-character Chinese queries: candidates come from the
    ``name_grams`` index and are then checked for the whole substring.
    """
    key = fold_key(text)
    if not key:
        raise UsageError("search text is empty")
    grams = [key] if len(key) == 1 else sorted(g for g in name_grams(key) if len(g) == 2)
    marks = ", ".join("?" * len(grams))
    rows = conn.execute(
        f"""
        WITH candidates AS (
            SELECT place_id FROM name_grams WHERE gram IN ({marks})
            GROUP BY place_id HAVING COUNT(*) = ?
        ), matches AS (
            SELECT n.place_id, MIN(n.name) AS matched,
                   MIN(CASE WHEN n.key = ? THEN 0 WHEN n.key LIKE ? ESCAPE '\\' THEN 1 ELSE 2 END)
                       AS rank
            FROM place_names n JOIN candidates c ON c.place_id = n.place_id
            WHERE instr(n.key, ?) > 0
            GROUP BY n.place_id
        )
        SELECT p.id, p.side, p.name, m.matched, p.country,
               (SELECT COUNT(*) FROM partnerships WHERE cn_id = p.id)
             + (SELECT COUNT(*) FROM partnerships WHERE partner_id = p.id) AS n
        FROM matches m JOIN places p ON p.id = m.place_id
        ORDER BY m.rank, n DESC, p.name
        LIMIT ?
        """,
        [*grams, len(grams), key, _like_prefix(key), key, limit],
    ).fetchall()
    return [PlaceHit(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


def _like_prefix(key: str) -> str:
    return key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def stats(conn: sqlite3.Connection, by: str) -> list[StatRow]:
    """Counts of relationships grouped by ``country``, ``year`` or ``province``."""
    if by not in STAT_DIMENSIONS:
        raise UsageError(f"cannot group by {by!r}; choose one of {', '.join(STAT_DIMENSIONS)}")
    column = {"country": "country", "year": "year", "province": "province"}[by]
    rows = conn.execute(
        f"SELECT {column}, COUNT(*) FROM partnerships GROUP BY {column}"
        f" ORDER BY {column} IS NULL, {'year' if by == 'year' else 'COUNT(*) DESC'}, {column}"
    ).fetchall()
    out = []
    for key, count in rows:
        label = _country_label(key) if by == "country" and key else (None if key is None else str(key))
        out.append(StatRow(None if key is None else str(key), label, count))
    return out


def _country_label(code: str) -> str | None:
    from youcheng.resolve.countries import country_name_zh

    return country_name_zh(code)


def anomalies(conn: sqlite3.Connection) -> list[Anomaly]:
    """Everything the build could not read, or only partly, in source and line order."""
    rows = conn.execute(
        "SELECT source, line, kind, severity, message, text FROM anomalies ORDER BY source, line, id"
    ).fetchall()
    return [Anomaly(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


def summary(conn: sqlite3.Connection) -> dict[str, object]:
    """Counts and build metadata, for ``check`` and the API's front page."""
    def one(sql: str) -> object:
        return conn.execute(sql).fetchone()[0]

    return {
        "partnerships": one("SELECT COUNT(*) FROM partnerships"),
        "places": one("SELECT COUNT(*) FROM places"),
        "countries": one("SELECT COUNT(DISTINCT country) FROM partnerships WHERE country IS NOT NULL"),
        "sources": [dict(zip(("name", "format", "sha256", "lines", "bytes"), r)) for r in
                    conn.execute("SELECT name, format, sha256, lines, bytes FROM sources ORDER BY id")],
        "anomalies": one("SELECT COUNT(*) FROM anomalies"),
        **{k: v for k, v in conn.execute("SELECT key, value FROM meta")},
    }


def _record(row: sqlite3.Row | tuple[object, ...]) -> Record:
    values = list(row)
    values[15] = json.loads(str(values[15]))
    values[16] = bool(values[16])
    return Record(*values)
