"""Map lines (``query.map_lines``, ``/api/lines``): relationships aggregated by pair, with honest totals.

A small registry written directly, with every case the map has to count rather than
draw: a partner without coordinates, a Chinese place without coordinates, a
relationship that names only a country, and a country whose places span the
antimeridian.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from youcheng import query, query_map
from youcheng.api import create_app
from youcheng.errors import UsageError
from youcheng.model import Link, PartialDate, Partnership, Place, RawPartnership, SourceInfo
from youcheng.database import connect_readonly
from youcheng.store import RegistryWriter

PLACES = [
    Place("cn:1", "cn", "甲市", country="CN", names=(("甲市", "written"),), province="甲省", lat=30.0, lon=120.0),
    Place("cn:2", "cn", "乙市", country="CN", names=(("乙市", "written"),), province="甲省", lat=32.0, lon=122.0),
    Place("cn:3", "cn", "丙市", country="CN", names=(("丙市", "written"),), province="乙省"),  # no coordinates
    Place("gn:10", "foreign", "X城", country="US", names=(("X城", "written"),), name_en="Xton", lat=40.0, lon=-75.0),
    Place("gn:11", "foreign", "Y城", country="US", names=(("Y城", "written"),), lat=34.0, lon=-118.0),
    Place("gn:12", "foreign", "Z城", country="FR", names=(("Z城", "written"),)),  # no coordinates
    Place("gn:13", "foreign", "W城", country="JP", names=(("W城", "written"),), lat=35.0, lon=139.0),
    Place("gn:14", "foreign", "斐东", country="FJ", names=(("斐东", "written"),), lat=-17.0, lon=179.0),
    Place("gn:15", "foreign", "斐西", country="FJ", names=(("斐西", "written"),), lat=-17.0, lon=-179.0),
]
_PROVINCE = {p.id: p.province for p in PLACES if p.side == "cn"}
_NAME = {p.id: p.name for p in PLACES}
# (Chinese place, partner place or None for a country-only row, country, year)
ROWS = [
    ("cn:1", "gn:10", "US", 1990), ("cn:1", "gn:10", "US", 1985), ("cn:1", "gn:10", "US", 2000),
    ("cn:1", "gn:11", "US", 1995),
    ("cn:2", "gn:10", "US", 1992), ("cn:2", "gn:10", "US", 1993),
    ("cn:2", "gn:12", "FR", 1996),          # partner has no coordinates
    ("cn:3", "gn:13", "JP", 1980),          # Chinese place has no coordinates
    ("cn:1", None, "KR", 2001),             # only a country
    ("cn:2", "gn:14", "FJ", 2005), ("cn:2", "gn:15", "FJ", 2006),
]
# The map counts relationships: a pair the page lists several times is one, dated by its
# first line (same precision, same source: relationships.rank), so 11 rows are 8 relationships.
RELATIONSHIPS = 8


def lines_registry(path: Path) -> Path:
    with RegistryWriter(path, "test") as writer:
        writer.add_source(SourceInfo("lines.md", "0" * 64, 100, 1000), "wikimd")
        for line, (cn, partner, country, year) in enumerate(ROWS, start=1):
            partner_name = _NAME[partner] if partner else None
            raw = RawPartnership("lines.md", line, _PROVINCE[cn] or "", _NAME[cn], (Link(_NAME[cn], _NAME[cn]),),
                                 partner_name, (Link(partner_name, partner_name),) if partner_name else (),
                                 country, None, PartialDate(year), str(year), None, line)
            writer.add_partnership(Partnership(f"p{line}", raw, country, cn, partner,
                                               {"cn_level": "prefecture", "province": _PROVINCE[cn]}))
        writer.add_places(PLACES)
        writer.commit()
    return path


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return lines_registry(tmp_path_factory.mktemp("lines") / "lines.db")


@pytest.fixture()
def conn(db: Path) -> Iterator[sqlite3.Connection]:
    c = connect_readonly(db)
    yield c
    c.close()


def _balanced(found: query_map.MapLines) -> None:
    """Every relationship is shown, left out or unplaced, exactly once."""
    assert found.shown_partnerships == sum(line.partnerships for line in found.lines)
    assert found.relationships == found.shown_partnerships + found.left_out_partnerships + found.unplaced_partnerships
    assert found.pairs == len(found.lines) + found.left_out_pairs + found.unplaced_pairs


def test_place_pairs_count_every_relationship_and_what_cannot_be_drawn(conn: sqlite3.Connection) -> None:
    found = query.map_lines(conn, group="place")
    assert found.group == "place"
    assert [(line.cn_id, line.partner_id, line.partnerships, line.first_year) for line in found.lines] == [
        ("cn:1", "gn:10", 1, 1990), ("cn:2", "gn:10", 1, 1992), ("cn:1", "gn:11", 1, 1995),
        ("cn:2", "gn:14", 1, 2005), ("cn:2", "gn:15", 1, 2006)]
    assert (found.relationships, found.pairs) == (RELATIONSHIPS, 8)
    # cn:2-gn:12 (partner unplaced), cn:3-gn:13 (Chinese place unplaced), cn:1-KR (no partner place)
    assert (found.unplaced_pairs, found.unplaced_partnerships) == (3, 3)
    assert (found.left_out_pairs, found.left_out_partnerships) == (0, 0)
    first = found.lines[0]
    assert (first.cn_name, first.partner_name, first.partner_name_en, first.country) == ("甲市", "X城", "Xton", "US")
    assert (first.cn_lat, first.cn_lon, first.partner_lat, first.partner_lon) == (30.0, 120.0, 40.0, -75.0)
    assert first.cn_province == "甲省"
    _balanced(found)


def test_the_limit_keeps_the_heaviest_and_counts_the_rest(conn: sqlite3.Connection) -> None:
    found = query.map_lines(conn, limit=2, group="place")
    assert [(line.cn_id, line.partner_id) for line in found.lines] == [("cn:1", "gn:10"), ("cn:2", "gn:10")]
    assert (found.left_out_pairs, found.left_out_partnerships) == (3, 3)
    assert (found.unplaced_pairs, found.unplaced_partnerships) == (3, 3)
    _balanced(found)


def test_filters_apply_as_in_every_other_query(conn: sqlite3.Connection) -> None:
    for filters in (query.Filters(country="us"), query.Filters(year_from=1990, year_to=1999),
                    query.Filters(province="甲省"), query.Filters(place="X城"), query.Filters(q="斐"),
                    query.Filters(country="FR")):
        found = query.map_lines(conn, filters, group="place")
        _, records = query.select_records(conn, filters)
        assert found.relationships == query.count_relationships(conn, filters), filters
        drawable = {r.relationship_id for r in records
                    if None not in (r.cn_lat, r.cn_lon, r.partner_lat, r.partner_lon)}
        assert found.shown_partnerships == len(drawable), filters
        _balanced(found)
    us = query.map_lines(conn, query.Filters(country="US", year_from=1990), group="place")
    assert [(line.cn_id, line.partner_id, line.partnerships, line.first_year) for line in us.lines] == [
        ("cn:1", "gn:10", 1, 1990), ("cn:2", "gn:10", 1, 1992), ("cn:1", "gn:11", 1, 1995)]
    nothing = query.map_lines(conn, query.Filters(country="DE"))
    assert (nothing.lines, nothing.relationships, nothing.pairs) == ([], 0, 0)


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine)."""
    (p1, l1), (p2, l2) = (tuple(math.radians(v) for v in x) for x in (a, b))
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin((l2 - l1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def test_regions_join_province_and_country_centres(conn: sqlite3.Connection) -> None:
    found = query.map_lines(conn, group="region")
    assert found.group == "region"
    got = {(line.cn_name, line.country): line for line in found.lines}
    assert {k: v.partnerships for k, v in got.items()} == {("甲省", "US"): 3, ("甲省", "FJ"): 2}
    us = got[("甲省", "US")]
    assert us.cn_id is None and us.partner_id is None and us.first_year == 1990
    assert us.cn_lat == pytest.approx(31.0, abs=0.05) and us.cn_lon == pytest.approx(121.0, abs=0.05)
    # The mean of two points on the sphere is the midpoint of the great circle between them
    # (to the 4 decimals, about 10 m, that centres are rounded to).
    centre = (us.partner_lat, us.partner_lon)
    assert _km(centre, (40.0, -75.0)) == pytest.approx(_km(centre, (34.0, -118.0)), abs=0.05)
    assert _km(centre, (40.0, -75.0)) * 2 == pytest.approx(_km((40.0, -75.0), (34.0, -118.0)), abs=0.05)
    fiji = got[("甲省", "FJ")]
    assert abs(fiji.partner_lon) > 179.9 and fiji.partner_lat == pytest.approx(-17.0, abs=0.05)
    # 甲省-FR (no French place has coordinates), 乙省-JP (no 乙省 place has), 甲省-KR (no Korean place)
    assert (found.pairs, found.unplaced_pairs, found.unplaced_partnerships) == (5, 3, 3)
    _balanced(found)
    # A place filter cannot use the build's precomputed counts: the rows themselves are grouped.
    one = query.map_lines(conn, query.Filters(place="甲市"), group="region")
    assert [(line.cn_name, line.country, line.partnerships) for line in one.lines] == [("甲省", "US", 2)]
    assert (one.relationships, one.unplaced_partnerships) == (3, 1)
    _balanced(one)


def test_auto_draws_place_pairs_when_they_fit_and_regions_when_not(conn: sqlite3.Connection) -> None:
    assert query.map_lines(conn).group == "place"
    assert query.map_lines(conn, limit=8).group == "place"  # all 8 pairs fit
    crowded = query.map_lines(conn, limit=7)
    assert crowded.group == "region" and crowded.relationships == RELATIONSHIPS
    _balanced(crowded)


@pytest.mark.parametrize(("limit", "group"), [(0, "auto"), (query.LINE_LIMIT + 1, "auto"), (10, "city")])
def test_bad_arguments_are_usage_errors(conn: sqlite3.Connection, limit: int, group: str) -> None:
    with pytest.raises(UsageError):
        query.map_lines(conn, limit=limit, group=group)


def test_place_pairs_of_too_many_relationships_ask_for_a_filter(conn: sqlite3.Connection,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(query_map, "PLACE_LINES_MAX_ROWS", RELATIONSHIPS - 1)
    with pytest.raises(UsageError, match=f"{RELATIONSHIPS} relationships match: too many"):
        query.map_lines(conn, group="place")
    assert query.map_lines(conn, query.Filters(country="US"), group="place").group == "place"  # filtered: fits
    assert query.map_lines(conn, group="region").relationships == RELATIONSHIPS
    assert query.map_lines(conn, limit=7).group == "region"  # auto never asks for too many


# --- /api/lines ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(db)) as c:
        yield c


def test_api_lines_returns_the_aggregate_and_its_totals(client: TestClient) -> None:
    body = client.get("/api/lines", params={"group": "place", "limit": 2}).json()
    assert {k: v for k, v in body.items() if k != "items"} == {
        "group": "place", "limit": 2, "relationships": RELATIONSHIPS, "pairs": 8, "shown_partnerships": 2,
        "left_out_pairs": 3, "left_out_partnerships": 3, "unplaced_pairs": 3, "unplaced_partnerships": 3}
    assert [(i["cn_id"], i["partner_id"], i["partnerships"]) for i in body["items"]] == [
        ("cn:1", "gn:10", 1), ("cn:2", "gn:10", 1)]


def test_api_lines_takes_the_common_filters(client: TestClient) -> None:
    body = client.get("/api/lines", params={"country": "us", "year_from": 1990}).json()
    assert body["group"] == "place" and body["relationships"] == 3 and len(body["items"]) == 3
    region = client.get("/api/lines", params={"group": "region", "province": "甲省"}).json()
    assert [(i["cn_province"], i["country"]) for i in region["items"]] == [("甲省", "US"), ("甲省", "FJ")]
    assert region["items"][0]["partner_name_en"] == "United States"


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": query.LINE_LIMIT + 1}, {"group": "city"},
                                    {"country": "USA"}])
def test_api_lines_rejects_bad_parameters(client: TestClient, params: dict[str, object]) -> None:
    response = client.get("/api/lines", params=params)
    assert response.status_code == 422 and "error" in response.json()


def test_api_lines_refuses_place_pairs_of_too_many_relationships(client: TestClient,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(query_map, "PLACE_LINES_MAX_ROWS", 5)
    response = client.get("/api/lines", params={"group": "place", "year_from": 1900})
    assert response.status_code == 422 and "add a filter, or group by region" in response.json()["error"]


def test_api_lines_is_documented(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/lines"]["get"]
    assert operation["summary"] and operation["description"]
    described = {p["name"]: p.get("description") for p in operation["parameters"]}
    assert {"group", "limit", "country", "province", "place", "q"} <= set(described)
    assert all(described.values())
