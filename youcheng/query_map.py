"""The map's question: relationships aggregated into lines between places or regions.

Part of the read layer: ``query.py`` re-exports ``map_lines``, ``MapLine`` and the
limits the API states. The lines are counted with ``query``'s counting plan, the same one the
statistics use; ``query`` imports this module, so this one imports ``query`` where
it is called rather than at the top.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from youcheng.errors import UsageError

if TYPE_CHECKING:
    from youcheng.query import Filters


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
    from youcheng.query import Filters, _count, _CountPlan

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
    from youcheng.query import _country_label
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
    from youcheng.query import _layout

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
