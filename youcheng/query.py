"""The one read layer: every question the CLI, the API and the web page ask.

Functions take an open read-only connection and return ``model`` dataclasses.
This module holds the filters, the counts and statistics, the records and the data
quality; finding places by name is ``query_places.py`` and the map's lines are
``query_map.py``, both re-exported here where the CLI, the API and the page call them.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import sqlite3
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from youcheng.errors import UsageError
from youcheng.model import STATUSES, TIERS, Anomaly, Record, SourceRow, StatRow, UnplacedPlace
from youcheng.query_map import LINE_LIMIT as LINE_LIMIT
from youcheng.query_map import PLACE_LINES_MAX_ROWS as PLACE_LINES_MAX_ROWS
from youcheng.query_map import MapLine as MapLine
from youcheng.query_map import map_lines as map_lines
from youcheng.query_places import known_place_ids
from youcheng.query_places import place as place
from youcheng.query_places import search as search
from youcheng.resolve.fold import search_key
from youcheng.resolve.names import fold_key
from youcheng.vocabulary import Level, StatDimension, Tier, TierFilter, values

STAT_DIMENSIONS = values(StatDimension)
# A dimension's column in partnerships and the counts tables.
_STAT_COLUMNS: dict[str, str] = {StatDimension.country: "country", StatDimension.year: "year",
                                 StatDimension.province: "province", StatDimension.level: "cn_level"}
LEVELS = values(Level)
MAX_LIMIT = 10_000
ALL_TIERS = TierFilter.all.value  # as a tier filter: every tier (statistics otherwise count sister only)

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
_LINKS, _INFERRED, _EXTRA = (_FIELDS.index(name) for name in ("partner_links", "country_inferred", "extra"))
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


def stats(conn: sqlite3.Connection, by: str, tier: str | None = Tier.sister.value) -> list[StatRow]:
    """Counts of relationships grouped by ``country``, ``year``, ``province`` or ``level``.

    Counts ``sister`` relationships unless another ``tier`` is asked for (None: every tier):
    an exchange or a memorandum of intent is not a sister city.
    """
    return breakdown(conn, by, Filters(tier=tier))


def stats_filters(f: Filters) -> Filters:
    """The filters statistics use: ``sister`` relationships unless a tier is named (``all``: every tier)."""
    return f if f.tier else dataclasses.replace(f, tier=Tier.sister.value)


@functools.lru_cache(maxsize=512)
def _country_label(code: str) -> str | None:
    from youcheng.resolve.countries import country_name_zh

    return country_name_zh(code)


# In source and line order: a walk along the (source, line) index, no sort.
_ANOMALIES_SQL = "SELECT source, line, kind, severity, message, text FROM anomalies ORDER BY source, line, id"


def anomalies(conn: sqlite3.Connection, limit: int | None = None, offset: int = 0) -> list[Anomaly]:
    """Everything the build could not read, or only partly, in source and line order.

    ``limit`` and ``offset`` page through them (a million-row page has a hundred
    thousand); ``count_anomalies`` tells how many there are.
    """
    rows = conn.execute(_ANOMALIES_SQL + " LIMIT ? OFFSET ?", (-1 if limit is None else limit, offset)).fetchall()
    return [Anomaly(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


def each_anomaly(conn: sqlite3.Connection) -> Iterator[Anomaly]:
    """Every anomaly in source and line order, read as it is printed: ``youcheng check`` starts
    at once on a registry of millions (the order is the (source, line) index's, no sort)."""
    cursor = conn.cursor()
    cursor.row_factory = None
    # Read through SQLite's page cache, not the memory map: a walk over millions of anomalies
    # would map the whole table into the process (1.1 GB resident for two million).
    mmap_size = conn.execute("PRAGMA mmap_size").fetchone()[0]
    conn.execute("PRAGMA mmap_size = 0")
    try:
        for row in cursor.execute(_ANOMALIES_SQL):
            yield Anomaly(*row)
    finally:
        conn.execute(f"PRAGMA mmap_size = {int(mmap_size)}")


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
    for row in cursor.execute(sql, params):
        values = list(row)  # in _FIELDS order: positional, the cheapest way into a dataclass
        values[_LINKS] = json.loads(values[_LINKS])
        values[_INFERRED] = bool(values[_INFERRED])
        extra = values[_EXTRA]
        values[_EXTRA] = json.loads(extra) if extra else {}
        yield Record(*values)


# --- Read functions for the REST API and the web page (issue #4) ------------------------


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
    order = "year" if by == StatDimension.year else "n DESC"
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
        label = _country_label(key) if by == StatDimension.country and key else (None if key is None else str(key))
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
