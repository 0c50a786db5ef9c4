"""The one read layer: every question the CLI, the API and the web page ask.

Functions take an open read-only connection and return ``model`` dataclasses.
Place names are matched through the ``place_names`` table, so whatever names
the resolution stage indexes (scripts, pinyin, English) work in every query.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import sqlite3
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from dataclasses import fields as _dataclass_fields
from typing import Any

from youcheng.errors import NotFound, UsageError
from youcheng.model import STATUSES, TIERS, Anomaly, Place, PlaceHit, Record, SourceRow, StatRow, UnplacedPlace
from youcheng.resolve.fold import search_key, search_key_as_written
from youcheng.resolve.names import fold_key

STAT_DIMENSIONS = ("country", "year", "province", "level")
_STAT_COLUMNS = {"country": "country", "year": "year", "province": "province", "level": "cn_level"}
LEVELS = ("province", "prefecture", "county", "district")
MAX_LIMIT = 10_000
ALL_TIERS = "all"  # as a tier filter: every tier (statistics otherwise count sister only)

# Record field -> SQL expression; p = partnerships, c = Chinese place, f = foreign place.
_RECORD_SQL: dict[str, str] = {
    "id": "p.id", "source": "p.source", "line": "p.line", "section": "p.section",
    "cn_name": "p.cn_name", "partner_name": "p.partner_name", "partner_link": "p.partner_link",
    "country_text": "p.country_text", "country": "p.country", "date": "p.date",
    "date_precision": "p.date_precision", "note": "p.note", "cn_link": "p.cn_link",
    "cn_id": "p.cn_id", "partner_links": "p.partner_links", "date_text": "p.date_text",
    "cn_code": "c.code", "cn_name_simplified": "p.cn_name_simplified", "cn_pinyin": "c.name_pinyin",
    "cn_name_en": "c.name_en", "cn_level": "p.cn_level", "cn_province": "p.province",
    "cn_lat": "c.lat", "cn_lon": "c.lon", "partner_id": "p.partner_id",
    "partner_name_simplified": "p.partner_name_simplified", "partner_name_en": "f.name_en",
    "partner_kind": "f.kind", "partner_geonames_id": "f.geonames_id",
    "partner_subdivision": "f.subdivision", "partner_lat": "f.lat", "partner_lon": "f.lon",
    "partner_parent_id": "f.parent_id", "country_inferred": "p.country_inferred",
    "country_method": "p.country_method", "resolution": "f.resolution",
    "tier": "p.tier", "extra": "p.extra", "relationship_id": "p.relationship_id", "status": "r.status",
}
_FIELDS = tuple(f.name for f in dataclasses.fields(Record))
assert set(_RECORD_SQL) == set(_FIELDS), "every Record field needs an SQL expression"
_SELECT = ("SELECT " + ", ".join(_RECORD_SQL[f] for f in _FIELDS) +
           " FROM partnerships p JOIN places c ON c.id = p.cn_id LEFT JOIN places f ON f.id = p.partner_id"
           " JOIN relationships r ON r.id = p.relationship_id")


# Source order; rows from one line (a district and its city) keep the order they were read in.
_SOURCE_ORDER = "p.source, p.line, p.rowid"


@dataclass(frozen=True)
class Filters:
    """Which partnerships to return; every field is optional and they combine with AND."""

    place: str | None = None
    country: str | None = None
    province: str | None = None
    level: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    q: str | None = None
    tier: str | None = None  # one of model.TIERS; None or "all": every tier
    status: str | None = None  # one of model.STATUSES: the relationship's; None: every status


def place_ids(conn: sqlite3.Connection, name: str) -> list[str]:
    """Ids of the places called ``name`` in any indexed script, or with that id.

    Names already in Simplified script (or Latin letters) are looked up as written
    first: their key is the same, and a one-shot command then never loads OpenCC.
    """
    written = search_key_as_written(name)
    ids = _ids_for_key(conn, written, name)
    if ids or written.isascii():
        return ids
    key = search_key(name)
    return _ids_for_key(conn, key, name) if key != written else ids


def _ids_for_key(conn: sqlite3.Connection, key: str, name: str) -> list[str]:
    rows = conn.execute(
        "SELECT DISTINCT place_id FROM place_names WHERE key = ? "
        "UNION SELECT id FROM places WHERE id = ?", (key, name.strip()),
    ).fetchall()
    return [r[0] for r in rows]


def partners_of(conn: sqlite3.Connection, name: str, limit: int | None = None) -> list[Record]:
    """Relationships of the place ``name``: its partners, whichever side it is on.

    Ordered by Chinese place, then date. ``limit`` keeps the first so many (the
    API's place page); ``count_records(conn, Filters(place=name))`` tells how many
    there are in all. Raises NotFound when no place has that name, so callers can
    suggest a search.
    """
    where, params = _places_clause(known_place_ids(conn, name))
    sql = f"{_SELECT} WHERE {where} ORDER BY p.cn_name, p.date IS NULL, p.date, p.line, p.rowid"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return list(_records(conn, sql, params))


def select_records(conn: sqlite3.Connection, filters: Filters, limit: int | None = None,
                   offset: int = 0) -> tuple[int, list[Record]]:
    """Total count and one page of the relationships matching ``filters``."""
    if limit is not None and not 0 <= limit <= MAX_LIMIT:
        raise UsageError(f"limit must be between 0 and {MAX_LIMIT}, got {limit}")
    if offset < 0:
        raise UsageError(f"offset must not be negative, got {offset}")
    # filters resolved to SQL once, for the count and the page; the count is of records (rows)
    plan = _CountPlan.make(conn, filters, relationships=False)
    total, where, params = _count(conn, plan), plan.where, plan.params
    if limit is None:
        return total, list(_records(conn, f"{_SELECT} {where} ORDER BY {_SOURCE_ORDER}", params))
    # Choose the page's rows first, then join the places for those rows only: a place with
    # thousands of partnerships would otherwise join all of them to keep 100.
    page = f"SELECT p.rowid FROM partnerships p {where} ORDER BY {_SOURCE_ORDER} LIMIT ? OFFSET ?"
    sql = f"{_SELECT} WHERE p.rowid IN ({page}) ORDER BY {_SOURCE_ORDER}"
    return total, list(_records(conn, sql, [*params, limit, offset]))


def count_records(conn: sqlite3.Connection, filters: Filters | None = None) -> int:
    """How many records (attestations) match ``filters``, from the precomputed counts when they can tell."""
    return _count(conn, _CountPlan.make(conn, filters or Filters(), relationships=False))


def count_relationships(conn: sqlite3.Connection, filters: Filters | None = None) -> int:
    """How many relationships (pairs of places, whatever the number of sources) match ``filters``."""
    return _count(conn, _CountPlan.make(conn, filters or Filters()))


def _count(conn: sqlite3.Connection, plan: _CountPlan) -> int:
    if plan.unfiltered:
        return int(conn.execute(
            f"SELECT COALESCE(SUM({plan.unit}), 0) FROM stat_counts WHERE dimension = 'country'" + plan.tier_clause,
            plan.tier_params).fetchone()[0])
    return int(conn.execute(f"SELECT COALESCE({plan.count}, 0) FROM {plan.table} p {plan.where}",
                            plan.params).fetchone()[0])


def _countable(f: Filters) -> bool:
    """Whether only the four stats dimensions filter, which ``partnership_counts`` holds."""
    return not f.place and not f.q and not f.status


def _has_counts(conn: sqlite3.Connection) -> bool:
    """Whether the build wrote the precomputed counts (registries from before it did not)."""
    return _layout(conn).has_counts


def _partnership_columns(conn: sqlite3.Connection) -> frozenset[str]:
    return _layout(conn).columns


@dataclass(frozen=True)
class _Layout:
    """What one registry file holds, fixed for as long as it is open."""

    has_counts: bool
    columns: frozenset[str]  # of the partnerships table
    build: tuple[str, str]  # (file, build time): names the build across connections


_LAYOUTS: weakref.WeakKeyDictionary[sqlite3.Connection, _Layout] = weakref.WeakKeyDictionary()


def _layout(conn: sqlite3.Connection) -> _Layout:
    """What this registry's schema has, read once per connection: a registry never changes
    while it is open (a rebuild is a new file), and asking SQLite on every request cost
    more than the statistics themselves."""
    try:
        layout = _LAYOUTS.get(conn)
    except TypeError:  # a plain sqlite3.Connection (not from connect_readonly) cannot be remembered
        return _read_layout(conn)
    if layout is None:
        layout = _LAYOUTS[conn] = _read_layout(conn)
    return layout


def _read_layout(conn: sqlite3.Connection) -> _Layout:
    has_counts = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'stat_counts'").fetchone() is not None
    built = conn.execute("SELECT value FROM meta WHERE key = 'built_at'").fetchone()
    return _Layout(has_counts, frozenset(str(r[1]) for r in conn.execute("PRAGMA table_info(partnerships)")),
                   (str(conn.execute("PRAGMA database_list").fetchone()[2]), str(built[0] if built else "")))


def iter_records(conn: sqlite3.Connection, filters: Filters | None = None) -> Iterator[Record]:
    """Every matching relationship in source order, streamed (for exports)."""
    where, params = _where(conn, filters or Filters())
    yield from _records(conn, f"{_SELECT} {where} ORDER BY {_SOURCE_ORDER}", params)


def known_place_ids(conn: sqlite3.Connection, name: str) -> list[str]:
    """``place_ids``, or NotFound saying what the registry covers and which names are near."""
    ids = place_ids(conn, name)
    if not ids:
        from youcheng.search import no_match_message

        raise NotFound(no_match_message(conn, name, f"no place is called {name!r} in this registry"))
    return ids


def _where(conn: sqlite3.Connection, f: Filters, table: str = "partnerships") -> tuple[str, list[object]]:
    """The WHERE clause of ``f`` over ``table`` (``partnerships`` or ``relationships``) as ``p``."""
    from youcheng.validate import check_filters

    check_filters(conn, f)
    clauses: list[str] = []
    params: list[object] = []
    if f.place:
        clause, ids = _places_clause(known_place_ids(conn, f.place))
        clauses.append(clause)
        params += ids
    if f.country:
        clauses.append("p.country = ?")
        params.append(f.country.upper())
    if f.province:
        names = province_names(conn, f.province)
        clauses.append(f"p.province IN ({', '.join('?' * len(names)) or 'NULL'})")
        params += names
    if f.level:
        clauses.append("p.cn_level = ?")
        params.append(f.level)
    if f.year_from is not None:
        clauses.append("p.year >= ?")
        params.append(f.year_from)
    if f.year_to is not None:
        clauses.append("p.year <= ?")
        params.append(f.year_to)
    if f.q:  # text that folds to nothing (only marks or spaces) matches nothing
        hits = search(conn, f.q, limit=MAX_LIMIT) if search_key(f.q) else []
        clause, ids = _places_clause([hit.id for hit in hits])
        clauses.append(clause)
        params += ids
    if f.tier and f.tier != ALL_TIERS:
        clauses.append("p.tier = ?")
        params.append(check_tier(f.tier))
    if f.status:  # a record's status is its relationship's
        clauses.append("p.status = ?" if table == "relationships" else
                       "p.relationship_id IN (SELECT id FROM relationships WHERE status = ?)")
        params.append(check_status(f.status))
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def check_status(status: str) -> str:
    """``status`` if it is one of ``model.STATUSES``; UsageError naming them otherwise."""
    if status not in STATUSES:
        raise UsageError(f"unknown status {status!r}; choose one of {', '.join(STATUSES)}")
    return status


def check_tier(tier: str) -> str:
    """``tier`` if it is one of ``model.TIERS`` (or ``all``); UsageError naming them otherwise."""
    if tier not in TIERS and tier != ALL_TIERS:
        raise UsageError(f"unknown tier {tier!r}; choose one of {', '.join(TIERS)} or {ALL_TIERS}")
    return tier


def _places_clause(ids: list[str]) -> tuple[str, list[object]]:
    """SQL (and its parameters) for the relationships of any of the places ``ids``, on either side."""
    marks = ", ".join("?" * len(ids)) or "NULL"
    return f"(p.cn_id IN ({marks}) OR p.partner_id IN ({marks}))", [*ids, *ids]


def search(conn: sqlite3.Connection, text: str, limit: int = 20) -> list[PlaceHit]:
    """Places whose name contains ``text`` in any indexed script, best matches first.

    Works for one- and two-character Chinese queries: candidates come from the
    ``name_grams`` index and are then checked for the whole substring.
    """
    key = search_key(text)
    if not key:
        raise UsageError("search text is empty")
    marks = ", ".join("?" * len(grams := _probe_grams(key)))
    rows = conn.execute(
        f"""
        WITH candidates AS (
            SELECT place_id FROM name_grams WHERE gram IN ({marks})
            GROUP BY place_id HAVING COUNT(*) = ?
        ), matches AS (
            -- The name shown as matched is the best: whole, else the shortest prefix, else the
            -- shortest containing the text (SQLite takes a bare column from the row of the MIN).
            SELECT n.place_id, n.name AS matched,
                   MIN((CASE WHEN n.key = ? THEN 0 WHEN n.key LIKE ? ESCAPE '\\' THEN 1 ELSE 2 END) * 1000000
                       + length(n.key) * 1000 + unicode(n.name)) AS score
            FROM place_names n JOIN candidates c ON c.place_id = n.place_id
            WHERE instr(n.key, ?) > 0
            GROUP BY n.place_id
        )
        SELECT p.id, p.side, p.name, m.matched, p.country, p.partnerships AS n
        FROM matches m JOIN places p ON p.id = m.place_id
        ORDER BY m.score / 1000000, n DESC, p.name
        LIMIT ?
        """,
        [*grams, len(grams), key, _like_prefix(key), key, limit],
    ).fetchall()
    return [PlaceHit(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


_PROBE_GRAMS = 4


def _probe_grams(key: str) -> list[str]:
    """The grams whose places are candidates for ``key``: the key itself when one character
    long, else at most ``_PROBE_GRAMS`` of its two-character grams, spread over it. Every
    candidate is checked for the whole key, so fewer grams only mean more candidates; a long
    Latin key has twenty common grams (ai, nt, de…), each of tens of thousands of rows at a
    million partnerships, and their intersection cost more than checking what four leave."""
    if len(key) == 1:
        return [key]
    grams = [key[i:i + 2] for i in range(len(key) - 1)]
    if len(grams) > _PROBE_GRAMS:  # the first, the last and evenly between
        grams = [grams[round(i * (len(grams) - 1) / (_PROBE_GRAMS - 1))] for i in range(_PROBE_GRAMS)]
    return sorted(set(grams))


def _like_prefix(key: str) -> str:
    return key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def stats(conn: sqlite3.Connection, by: str, tier: str | None = "sister") -> list[StatRow]:
    """Counts of relationships grouped by ``country``, ``year``, ``province`` or ``level``.

    Counts ``sister`` relationships unless another ``tier`` is asked for (None: every tier):
    an exchange or a memorandum of intent is not a sister city.
    """
    return breakdown(conn, by, Filters(tier=tier))


def stats_filters(f: Filters) -> Filters:
    """The filters statistics use: ``sister`` relationships unless a tier is named (``all``: every tier)."""
    return f if f.tier else dataclasses.replace(f, tier="sister")


@functools.lru_cache(maxsize=512)
def _country_label(code: str) -> str | None:
    from youcheng.resolve.countries import country_name_zh

    return country_name_zh(code)


def anomalies(conn: sqlite3.Connection, limit: int | None = None, offset: int = 0) -> list[Anomaly]:
    """Everything the build could not read, or only partly, in source and line order.

    ``limit`` and ``offset`` page through them (a million-row page has a hundred
    thousand); ``count_anomalies`` tells how many there are.
    """
    rows = conn.execute(
        "SELECT source, line, kind, severity, message, text FROM anomalies ORDER BY source, line, id"
        " LIMIT ? OFFSET ?", (-1 if limit is None else limit, offset)).fetchall()
    return [Anomaly(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


def count_anomalies(conn: sqlite3.Connection) -> int:
    """How many anomalies the build reported."""
    return int(conn.execute("SELECT COUNT(*) FROM anomalies").fetchone()[0])


def resolution_counts(conn: sqlite3.Connection) -> dict[str, dict[str, int]]:
    """How each side of the relationships was resolved: method -> number of records."""
    partner = conn.execute(
        "SELECT COALESCE(f.resolution, 'no place named'), COUNT(*) FROM partnerships p"
        " LEFT JOIN places f ON f.id = p.partner_id GROUP BY 1 ORDER BY 2 DESC").fetchall()
    chinese = conn.execute(
        "SELECT c.resolution, COUNT(*) FROM partnerships p JOIN places c ON c.id = p.cn_id"
        " GROUP BY 1 ORDER BY 2 DESC").fetchall()
    country = conn.execute(
        "SELECT COALESCE(country_method, 'none'), COUNT(*) FROM partnerships GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall()
    coordinates = conn.execute(
        "SELECT CASE WHEN f.lat IS NULL THEN 'without' ELSE 'with' END, COUNT(*) FROM partnerships p"
        " JOIN places f ON f.id = p.partner_id GROUP BY 1").fetchall()
    return {"partner": dict(partner), "chinese": dict(chinese), "country": dict(country),
            "partner_coordinates": dict(coordinates)}


def summary(conn: sqlite3.Connection) -> dict[str, object]:
    """Counts and build metadata, for ``check`` and the API's front page."""
    def one(sql: str) -> object:
        return conn.execute(sql).fetchone()[0]

    if _has_counts(conn):
        # Every key's records count; a key whose relationships all took another key's values
        # (n = 0) still holds records, but names no country of a relationship.
        partnerships, relationships, countries = conn.execute(
            "SELECT COALESCE(SUM(records), 0), COALESCE(SUM(n), 0), COUNT(DISTINCT CASE WHEN n > 0 THEN key END)"
            " FROM stat_counts WHERE dimension = 'country'").fetchone()
    else:
        partnerships, countries = conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT country) FROM partnerships").fetchone()
        relationships = partnerships
    return {
        "partnerships": partnerships,
        "relationships": relationships,
        "places": one("SELECT COUNT(*) FROM places"),
        "countries": countries,
        "sources": [dict(zip(("name", "format", "sha256", "lines", "bytes"), r)) for r in
                    conn.execute("SELECT name, format, sha256, lines, bytes FROM sources ORDER BY id")],
        "anomalies": one("SELECT COUNT(*) FROM anomalies"),
        **{k: v for k, v in conn.execute("SELECT key, value FROM meta")},
    }


def sources(conn: sqlite3.Connection) -> list[SourceRow]:
    """The files the registry was built from, in build order."""
    names = [f.name for f in dataclasses.fields(SourceRow)]
    return [SourceRow(*row) for row in conn.execute(
        f"SELECT {', '.join(names)} FROM sources ORDER BY id")]


def province_names(conn: sqlite3.Connection, text: str) -> list[str]:
    """Stored province names that ``text`` means: 河南, 河南省 and 河南省 all give 河南省."""
    key = fold_key(text)
    stored = [row.key for row in stats(conn, "province") if row.key is not None]
    exact = [p for p in stored if fold_key(p) == key]
    return exact or ([p for p in stored if fold_key(p).startswith(key)] if len(key) >= 2 else [])


def _records(conn: sqlite3.Connection, sql: str, params: Sequence[object]) -> Iterator[Record]:
    """The ``Record`` of each row ``sql`` selects with ``_SELECT``'s columns, streamed."""
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: the connection's sqlite3.Row costs more per row
    new = object.__new__
    for row in cursor.execute(sql, params):
        values = dict(zip(_FIELDS, row))
        values["partner_links"] = json.loads(values["partner_links"])
        values["country_inferred"] = bool(values["country_inferred"])
        extra = values["extra"]
        values["extra"] = json.loads(extra) if extra else {}
        # The values come from our own schema, so skip the frozen __init__, which sets
        # 36 fields one by one through object.__setattr__: about half the time per row.
        record: Record = new(Record)
        record.__dict__.update(values)
        yield record


# --- Read functions for the REST API and the web page (issue #4) ------------------------


def place(conn: sqlite3.Connection, place_id: str) -> Place:
    """The place with id ``place_id`` and every name it is known by (``/api/places/{id}``).

    Reads whichever ``places`` columns the build filled, so places from a build
    without resolution fields still come back, with those fields null.
    Raises NotFound when no place has that id.
    """
    cursor = conn.execute("SELECT * FROM places WHERE id = ?", (place_id,))
    row = cursor.fetchone()
    if row is None:
        raise NotFound(f"no place has the id {place_id!r}; find ids with 'youcheng search' or /api/search")
    known = {f.name for f in _dataclass_fields(Place)}
    values = {d[0]: v for d, v in zip(cursor.description, row) if d[0] in known}
    names = tuple((str(r[0]), str(r[1])) for r in conn.execute(
        "SELECT name, kind FROM place_names WHERE place_id = ? ORDER BY kind, name", (place_id,)))
    return Place(**{**values, "names": names})


def breakdown(conn: sqlite3.Connection, by: str, filters: Filters | None = None) -> list[StatRow]:
    """Counts by ``country``, ``year``, ``province`` or ``level`` over the matching relationships.

    Filtered like ``select_records``, so the web page's charts follow its filters.
    Unfiltered counts are one read of ``stat_counts``; filters on the stats
    dimensions sum ``partnership_counts``; only a place or text filter groups the
    partnerships themselves. A dimension the build has no column for gives no rows.
    """
    if by not in STAT_DIMENSIONS:
        raise UsageError(f"cannot group by {by!r}; choose one of {', '.join(STAT_DIMENSIONS)}")
    return _grouped(conn, by, _CountPlan.make(conn, filters or Filters()))


def breakdowns(conn: sqlite3.Connection, filters: Filters | None = None) -> tuple[int, dict[str, list[StatRow]]]:
    """The number of matching relationships and their counts by every dimension (``/api/stats``).

    The same answers as ``count_records`` and ``breakdown`` for each dimension, with the
    filters resolved to SQL once rather than five times.
    """
    plan = _CountPlan.make(conn, filters or Filters())
    by_dimension = {by: _grouped(conn, by, plan) for by in STAT_DIMENSIONS}
    return sum(row.count for row in by_dimension["country"]), by_dimension


@dataclass(frozen=True)
class _CountPlan:
    """Where the counts under some filters come from, decided once per question."""

    unfiltered: bool  # one read of stat_counts per dimension (a tier filter aside)
    table: str
    count: str
    where: str
    params: list[object]
    tier_clause: str = ""  # the tier filter on stat_counts, for unfiltered plans
    tier_params: tuple[str, ...] = ()
    unit: str = "n"  # the counts tables' column: n (relationships) or records (partnerships rows)
    rows: str = "relationships"  # the table of one row per counted thing, with the filter columns

    @staticmethod
    def make(conn: sqlite3.Connection, f: Filters, relationships: bool = True) -> _CountPlan:
        """Counts of relationships (statistics, the map) or, ``relationships=False``, of records
        (the pages of /api/partnerships). ``relationships`` has the partnerships' filter columns."""
        counts = _has_counts(conn)
        unit, rows = ("n", "relationships") if relationships else ("records", "partnerships")
        table, count = (("partnership_counts", f"SUM(p.{unit})") if counts and _countable(f)
                        else (rows, "COUNT(*)"))
        where, params = _where(conn, f, rows)
        unfiltered = counts and dataclasses.replace(f, tier=None) == Filters()
        tier = (check_tier(f.tier),) if f.tier and f.tier != ALL_TIERS else ()
        return _CountPlan(unfiltered, table, count, where, params, " AND tier = ?" if tier else "", tier,
                          unit, rows)


def _grouped(conn: sqlite3.Connection, by: str, plan: _CountPlan) -> list[StatRow]:
    column = _STAT_COLUMNS[by]
    order = "year" if by == "year" else "n DESC"
    if plan.unfiltered:
        rows = conn.execute(
            f"SELECT key AS {column}, SUM({plan.unit}) AS n FROM stat_counts WHERE dimension = ?{plan.tier_clause}"
            f" GROUP BY key HAVING n > 0 ORDER BY {column} IS NULL, {order}, {column}",
            (by, *plan.tier_params)).fetchall()
    elif column not in _partnership_columns(conn):
        return []
    else:
        rows = conn.execute(
            f"SELECT p.{column} AS {column}, {plan.count} AS n FROM {plan.table} p {plan.where}"
            f" GROUP BY p.{column} HAVING n > 0 ORDER BY {column} IS NULL, {order}, {column}",
            plan.params).fetchall()
    out = []
    for key, n in rows:
        label = _country_label(key) if by == "country" and key else (None if key is None else str(key))
        out.append(StatRow(None if key is None else str(key), label, n))
    return out


def unplaced(conn: sqlite3.Connection, limit: int = MAX_LIMIT) -> list[UnplacedPlace]:
    """Places without coordinates, most relationships first: what the map cannot draw."""
    rows = conn.execute(
        """
        SELECT pl.id, pl.side, pl.name, pl.country, pl.resolution, pl.partnerships AS n
        FROM places pl WHERE pl.lat IS NULL OR pl.lon IS NULL
        ORDER BY n DESC, pl.side, pl.name LIMIT ?
        """, (limit,)).fetchall()
    return [UnplacedPlace(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


def count_unplaced(conn: sqlite3.Connection) -> int:
    """How many places have no coordinates."""
    return int(conn.execute("SELECT COUNT(*) FROM places WHERE lat IS NULL OR lon IS NULL").fetchone()[0])


# --- Map lines: relationships aggregated by place pair (issue #5) -----------------------


LINE_LIMIT = 5000
LINE_GROUPS = ("auto", "place", "region")
# Grouping by place pair reads and groups every matching row (about 12 s for a million here);
# above this many matching relationships, ``group=place`` asks for a filter or ``region`` instead.
PLACE_LINES_MAX_ROWS = 100_000


@dataclass(frozen=True)
class MapLine:
    """One line on the map: every matching relationship between its two ends.

    At ``place`` grouping the ends are a Chinese place and a partner place (with ids);
    at ``region`` grouping they are a Chinese province and a partner country (no ids),
    each drawn at the mean position of the registry's places on that side.
    """

    cn_id: str | None
    cn_name: str
    cn_name_en: str | None
    cn_province: str | None
    cn_lat: float
    cn_lon: float
    partner_id: str | None
    partner_name: str | None
    partner_name_en: str | None
    country: str | None
    partner_lat: float
    partner_lon: float
    partnerships: int
    first_year: int | None


@dataclass(frozen=True)
class MapLines:
    """The heaviest lines under the filters, and what they leave out, for an honest map.

    ``relationships = shown_partnerships + left_out_partnerships + unplaced_partnerships``
    and ``pairs = len(lines) + left_out_pairs + unplaced_pairs``.
    """

    group: str
    lines: list[MapLine]
    relationships: int
    pairs: int
    shown_partnerships: int
    left_out_pairs: int
    left_out_partnerships: int
    unplaced_pairs: int
    unplaced_partnerships: int


def map_lines(conn: sqlite3.Connection, filters: Filters | None = None, limit: int = LINE_LIMIT,
              group: str = "auto") -> MapLines:
    """The map's lines: matching relationships aggregated by pair, heaviest ``limit`` first.

    The page never receives a million records: it gets at most ``limit`` lines and
    the totals of what they leave out. ``group`` is ``place`` (Chinese place to
    partner place), ``region`` (Chinese province to partner country, which counts
    every relationship that has both) or ``auto``: place pairs when they all fit
    in ``limit``, else regions, since the heaviest few thousand of hundreds of
    thousands of pairs would show a small, biased part of the world.
    """
    if group not in LINE_GROUPS:
        raise UsageError(f"cannot group lines by {group!r}; choose one of {', '.join(LINE_GROUPS)}")
    if not 1 <= limit <= LINE_LIMIT:
        raise UsageError(f"limit must be between 1 and {LINE_LIMIT}, got {limit}")
    plan = _CountPlan.make(conn, filters or Filters())
    where, params = plan.where, plan.params
    if group == "auto":
        # DISTINCT streams: SQLite stops at the first limit + 1 pairs instead of grouping them all.
        pairs = conn.execute(f"SELECT COUNT(*) FROM (SELECT DISTINCT p.cn_id, p.partner_id FROM {plan.rows} p"
                             f" {where} LIMIT ?)", [*params, limit + 1]).fetchone()[0]
        group = "place" if pairs <= limit else "region"
    if group == "place":
        matching = _count(conn, plan)
        if matching > PLACE_LINES_MAX_ROWS:
            raise UsageError(f"{matching:,} relationships match: too many to group by place pair (at most "
                             f"{PLACE_LINES_MAX_ROWS:,}); add a filter, or group by region")
        return _place_lines(conn, where, params, limit, plan.rows)
    # Province and country are stats dimensions: the build's precomputed counts answer without
    # reading a million partnerships, unless a place or text filter needs the rows themselves.
    # A counts row may hold no relationship (n = 0: its rows belong to relationships dated otherwise).
    first = "MIN(p.year)" if plan.table == plan.rows else f"MIN(CASE WHEN p.{plan.unit} > 0 THEN p.year END)"
    rows = conn.execute(f"SELECT p.province, p.country, {plan.count}, {first} FROM {plan.table} p {where}"
                        f" GROUP BY p.province, p.country HAVING {plan.count} > 0", params).fetchall()
    return _region_lines(conn, rows, limit)


def _place_lines(conn: sqlite3.Connection, where: str, params: list[object], limit: int,
                 table: str = "relationships") -> MapLines:
    """Place pairs; totals come from window functions over every pair in the same query."""
    rows = conn.execute(
        f"""
        WITH g AS (
            SELECT p.cn_id AS a, p.partner_id AS b, COUNT(*) AS n, MIN(p.year) AS y,
                   MIN(p.country) AS k, MIN(p.province) AS pr
            FROM {table} p {where} GROUP BY p.cn_id, p.partner_id
        ), d AS (
            SELECT g.*, c.name AS an, c.name_en AS ae, c.lat AS alat, c.lon AS alon,
                   f.name AS bn, f.name_en AS be, f.lat AS blat, f.lon AS blon,
                   (c.lat IS NOT NULL AND c.lon IS NOT NULL
                    AND f.lat IS NOT NULL AND f.lon IS NOT NULL) AS ok
            FROM g JOIN places c ON c.id = g.a LEFT JOIN places f ON f.id = g.b
        )
        SELECT a, an, ae, pr, alat, alon, b, bn, be, k, blat, blon, n, y, ok,
               COUNT(*) OVER w, SUM(n) OVER w, SUM(ok) OVER w, SUM(ok * n) OVER w
        FROM d WINDOW w AS ()
        ORDER BY ok DESC, n DESC, y IS NULL, y, a, b LIMIT ?
        """, [*params, limit]).fetchall()
    lines = [MapLine(*r[:14]) for r in rows if r[14]]
    pairs, relationships, placed_pairs, placed = (int(v) for v in rows[0][15:]) if rows else (0, 0, 0, 0)
    shown = sum(line.partnerships for line in lines)
    return MapLines("place", lines, relationships, pairs, shown, placed_pairs - len(lines), placed - shown,
                    pairs - placed_pairs, relationships - placed)


def _region_lines(conn: sqlite3.Connection, rows: list[tuple[Any, ...]], limit: int) -> MapLines:
    """Province-country pairs (``rows``: province, country, count, first year), drawn between
    the mean positions of each side's places; records are made only for the lines returned."""
    from youcheng.resolve.countries import country_name_en

    provinces, countries, names_en = _region_ends(conn)
    placed = sorted((r for r in rows if r[0] in provinces and r[1] in countries),
                    key=lambda r: (-r[2], r[3] is None, r[3] or 0, r[0], r[1]))
    labels = {k: (_country_label(k), country_name_en(k)) for k in {r[1] for r in placed[:limit]}}
    lines = [MapLine(None, province, names_en.get(province), province, *provinces[province], None,
                     *labels[country], country, *countries[country], n, year)
             for province, country, n, year in placed[:limit]]
    relationships = sum(r[2] for r in rows)
    drawable = sum(r[2] for r in placed)
    shown = sum(line.partnerships for line in lines)
    return MapLines("region", lines, relationships, len(rows), shown, len(placed) - len(lines),
                    drawable - shown, len(rows) - len(placed), relationships - drawable)


_REGION_ENDS: dict[tuple[str, str], tuple[dict[str, tuple[float, float]], dict[str, tuple[float, float]],
                                          dict[str, str]]] = {}


def _region_ends(conn: sqlite3.Connection) -> tuple[dict[str, tuple[float, float]],
                                                    dict[str, tuple[float, float]], dict[str, str]]:
    """Province centres, country centres and English province names, once per registry build.

    They depend only on the places table, which a build never changes afterwards, so
    they are kept by file and build time (a rebuild has a new build time).
    """
    key = _layout(conn).build
    found = _REGION_ENDS.get(key)
    if found is None:
        if len(_REGION_ENDS) >= 8:
            _REGION_ENDS.clear()
        found = _REGION_ENDS[key] = (
            _centres(conn, "SELECT province, lat, lon FROM places WHERE side = 'cn'"
                           " AND province IS NOT NULL AND lat IS NOT NULL AND lon IS NOT NULL"),
            _centres(conn, "SELECT country, lat, lon FROM places WHERE side = 'foreign'"
                           " AND country IS NOT NULL AND lat IS NOT NULL AND lon IS NOT NULL"),
            dict(conn.execute("SELECT province, name_en FROM places WHERE side = 'cn' AND kind = 'province'"
                              " AND province IS NOT NULL AND name_en IS NOT NULL").fetchall()))
    return found


def _centres(conn: sqlite3.Connection, sql: str) -> dict[str, tuple[float, float]]:
    """Mean position (lat, lon) of the points under each key, averaged as unit vectors.

    Averaging on the sphere keeps a country that spans the antimeridian (Fiji,
    Russia, the United States with Alaska) from landing on the other side of the earth.
    Rounded to 4 decimals (about 10 m), as the places' own coordinates are.
    """
    sums: dict[str, list[float]] = {}
    for key, lat, lon in conn.execute(sql):
        phi, lam = math.radians(lat), math.radians(lon)
        s = sums.setdefault(key, [0.0, 0.0, 0.0])
        s[0] += math.cos(phi) * math.cos(lam)
        s[1] += math.cos(phi) * math.sin(lam)
        s[2] += math.sin(phi)
    return {key: (round(math.degrees(math.atan2(z, math.hypot(x, y))), 4), round(math.degrees(math.atan2(y, x)), 4))
            for key, (x, y, z) in sums.items() if math.hypot(x, y, z) > 1e-9}
