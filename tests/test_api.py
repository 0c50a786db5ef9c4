"""REST API: every endpoint on the seed registry, bad parameters, errors, caching, OpenAPI."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from youcheng.api import create_app, get
from youcheng.export import FIELDS
from youcheng.model import Link, PartialDate, Partnership, Place, RawPartnership, SourceInfo
from youcheng.store import RegistryWriter

from .expected import (JAPAN_ROWS, LUOYANG_ROWS, SEED_ANOMALIES, SEED_BY_SECTION, SEED_PROVINCE_LEVEL_ROWS,
                       SEED_RELATIONSHIPS, SEED_ROWS, WUHAN_ROWS)


@pytest.fixture(scope="module")
def client(seed_db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(seed_db)) as c:
        yield c


def tiny_registry(path: Path) -> Path:
    """Three places (two with coordinates) and two relationships, written directly."""
    places = [
        Place("cn:1", "cn", "甲市", country="CN", names=(("甲市", "written"), ("Jiashi", "en")),
              name_en="Jiashi", code="110000", province="甲省", lat=30.0, lon=120.0),
        Place("gn:2", "foreign", "乙城", country="US", names=(("乙城", "written"),), lat=40.0, lon=-75.0),
        Place("gn:3", "foreign", "丙城", country="FR", names=(("丙城", "written"),)),
    ]

    def raw(line: int, partner: str, country: str) -> RawPartnership:
        return RawPartnership("tiny.md", line, "甲省", "甲市", (Link("甲市", "甲市"),), partner,
                              (Link(partner, partner),), country, None, PartialDate(1990 + line, 5, 1),
                              f"{1990 + line}年5月1日", None, line)

    with RegistryWriter(path, "test") as writer:
        writer.add_source(SourceInfo("tiny.md", "0" * 64, 10, 100), "wikimd")
        writer.add_partnership(Partnership("p1", raw(1, "乙城", "美國"), "US", "cn:1", "gn:2",
                                           {"cn_level": "prefecture", "province": "甲省"}))
        writer.add_partnership(Partnership("p2", raw(2, "丙城", "法國"), "FR", "cn:1", "gn:3",
                                           {"cn_level": "prefecture", "province": "甲省"}))
        writer.add_places(places)
        writer.commit()
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tiny_registry(tmp_path_factory.mktemp("tiny") / "tiny.db")
    with TestClient(create_app(db)) as c:
        yield c


# --- /api/partnerships ---------------------------------------------------------------

def test_partnerships_returns_total_and_export_fields(client: TestClient) -> None:
    body = client.get("/api/partnerships", params={"limit": 2}).json()
    assert (body["total"], body["limit"], body["offset"], len(body["items"])) == (SEED_ROWS, 2, 0, 2)
    assert list(body["items"][0]) == list(FIELDS)
    assert {k: body["items"][0][k] for k in ("cn_name", "partner_name", "country", "date", "line")} == {
        "cn_name": "北京市", "partner_name": "東京", "country": "JP", "date": "1979-03-14", "line": 9}


def test_partnerships_place_matches_either_side_in_any_script(client: TestClient) -> None:
    simplified = client.get("/api/partnerships", params={"place": "洛阳市"}).json()
    traditional = client.get("/api/partnerships", params={"place": "洛陽市"}).json()
    assert simplified["total"] == traditional["total"] == LUOYANG_ROWS
    foreign = client.get("/api/partnerships", params={"place": "比什凱克"}).json()
    assert sorted(r["cn_name"] for r in foreign["items"]) == ["烏魯木齊市", "銀川市"]


def test_partnerships_place_accepts_an_id(client: TestClient) -> None:
    by_name = client.get("/api/partnerships", params={"place": "洛陽市"}).json()
    place_id = by_name["items"][0]["cn_id"]
    assert client.get("/api/partnerships", params={"place": place_id}).json()["total"] == LUOYANG_ROWS


def test_partnerships_filters_combine(client: TestClient) -> None:
    body = client.get("/api/partnerships", params={
        "country": "jp", "year_from": 1990, "year_to": 1999, "limit": 1000}).json()
    assert body["total"] == len(body["items"]) > 0
    assert all(r["country"] == "JP" and "1990" <= r["date"][:4] <= "1999" for r in body["items"])


def test_partnerships_province_level_and_text(client: TestClient) -> None:
    henan = client.get("/api/partnerships", params={"province": "河南"}).json()
    assert henan["total"] == SEED_BY_SECTION["河南"]
    province_level = client.get("/api/partnerships", params={"level": "province"}).json()
    assert province_level["total"] == SEED_PROVINCE_LEVEL_ROWS
    text = client.get("/api/partnerships", params={"q": "武汉"}).json()
    assert text["total"] == WUHAN_ROWS


def test_partnerships_pages_do_not_overlap(client: TestClient) -> None:
    first = client.get("/api/partnerships", params={"limit": 10}).json()["items"]
    second = client.get("/api/partnerships", params={"limit": 10, "offset": 10}).json()["items"]
    assert len(first) == len(second) == 10 and not {r["id"] for r in first} & {r["id"] for r in second}


def test_partnerships_unknown_place_is_404_saying_what_the_registry_covers(client: TestClient) -> None:
    response = client.get("/api/partnerships", params={"place": "不存在市"})
    assert response.status_code == 404
    error = response.json()["error"]
    assert error.startswith("no place is called '不存在市' in this registry")
    assert f"{SEED_RELATIONSHIPS} relationships ({SEED_ROWS} statements) from 1 source(s)" in error
    assert "2019" in error and "CC BY-SA 3.0" in error


@pytest.mark.parametrize(("params", "message"), [
    ({"limit": 1001}, "limit: Input should be less than or equal to 1000"),
    ({"limit": -1}, "limit: Input should be greater than or equal to 0"),
    ({"offset": -5}, "offset: Input should be greater than or equal to 0"),
    ({"limit": "ten"}, "limit: Input should be a valid integer, unable to parse string as an integer"),
    ({"country": "JPN"}, "country: 'JPN' is not an ISO 3166-1 alpha-2 country code; did you mean JP"),
    ({"level": "city"}, "level: Input should be 'province', 'prefecture', 'county' or 'district'"),
    ({"year_from": "1990s"}, "year_from: Input should be a valid integer, unable to parse string as an integer"),
])
def test_partnerships_bad_parameters_are_422_json(client: TestClient, params: dict[str, object],
                                                  message: str) -> None:
    response = client.get("/api/partnerships", params=params)
    body = response.json()
    assert response.status_code == 422 and body["error"].startswith(message)
    assert body["parameter"] == next(iter(params))
    assert response.headers["cache-control"] == "no-store" and "etag" not in response.headers


# --- /api/places/{id} ------------------------------------------------------------------

def test_place_has_names_codes_and_partnerships(client: TestClient) -> None:
    hit = client.get("/api/search", params={"q": "武汉"}).json()["items"][0]
    body = client.get(f"/api/places/{hit['id']}").json()
    assert (body["id"], body["side"], body["name"], body["country"]) == (hit["id"], "cn", "武漢市", "CN")
    assert {"武漢市", "武汉市"} <= {n["name"] for n in body["names"]}
    assert all(set(n) == {"name", "kind"} for n in body["names"])
    assert len(body["partnerships"]) == WUHAN_ROWS and all(
        r["cn_id"] == hit["id"] and r["source"] and r["line"] > 0 for r in body["partnerships"])
    assert {"code", "lat", "lon", "name_pinyin", "name_en", "province", "resolution"} <= set(body)


def test_place_lists_at_most_limit_partnerships_and_their_total(client: TestClient) -> None:
    whole = client.get("/api/places/cn:420100").json()
    assert whole["partnerships_total"] == len(whole["partnerships"]) == WUHAN_ROWS
    first = client.get("/api/places/cn:420100", params={"limit": 3}).json()
    assert first["partnerships_total"] == WUHAN_ROWS
    assert first["partnerships"] == whole["partnerships"][:3]
    # counted, counted (a full page), and taken from the page's length
    for limit in (WUHAN_ROWS - 1, WUHAN_ROWS, WUHAN_ROWS + 1):
        assert client.get("/api/places/cn:420100", params={"limit": limit}).json()["partnerships_total"] == WUHAN_ROWS
    assert client.get("/api/places/cn:420100", params={"limit": 0}).json()["partnerships"] == []
    for bad in (-1, 1001, "x"):
        assert client.get("/api/places/cn:420100", params={"limit": bad}).status_code == 422


def test_place_unknown_id_is_404_json(client: TestClient) -> None:
    response = client.get("/api/places/cn:nope")
    assert response.status_code == 404
    assert response.json() == {
        "error": "no place has the id 'cn:nope'; find ids with 'youcheng search' or /api/search"}


def test_place_of_a_tiny_registry_has_coordinates(tiny: TestClient) -> None:
    body = tiny.get("/api/places/cn:1").json()
    assert (body["lat"], body["lon"], body["code"], body["name_en"]) == (30.0, 120.0, "110000", "Jiashi")
    assert [r["partner_id"] for r in body["partnerships"]] == ["gn:2", "gn:3"]


# --- /api/search ---------------------------------------------------------------------

@pytest.mark.parametrize("text", ["武汉", "武漢", "武汉市"])
def test_search_two_characters_any_script(client: TestClient, text: str) -> None:
    items = client.get("/api/search", params={"q": text}).json()["items"]
    assert items[0]["name"] == "武漢市" and items[0]["side"] == "cn" and items[0]["partnerships"] == WUHAN_ROWS


def test_search_finds_foreign_side(client: TestClient) -> None:
    items = client.get("/api/search", params={"q": "东京"}).json()["items"]
    assert "東京" in [i["name"] for i in items]
    assert any(i["side"] == "foreign" and i["country"] == "JP" for i in items)


def test_search_prefix_of_a_latin_name(tiny: TestClient) -> None:
    body = tiny.get("/api/search", params={"q": "jia"}).json()
    assert body == {"q": "jia", "items": [{"id": "cn:1", "side": "cn", "name": "甲市", "matched": "Jiashi",
                                           "country": "CN", "partnerships": 2}], "nearest": [], "message": None}


def test_search_limit_is_respected(client: TestClient) -> None:
    assert len(client.get("/api/search", params={"q": "市", "limit": 3}).json()["items"]) == 3


@pytest.mark.parametrize(("params", "message"), [
    ({}, "q: Field required"),
    ({"q": ""}, "q: String should have at least 1 character"),
    ({"q": "武汉", "limit": 0}, "limit: Input should be greater than or equal to 1"),
])
def test_search_bad_parameters_are_422_json(client: TestClient, params: dict[str, object], message: str) -> None:
    response = client.get("/api/search", params=params)
    assert (response.status_code, response.json()["error"]) == (422, message)


# --- /api/stats, /api/anomalies, /api/summary ------------------------------------------

def test_stats_counts_by_every_dimension(client: TestClient) -> None:
    body = client.get("/api/stats").json()
    assert body["total"] == SEED_RELATIONSHIPS
    for dim in ("country", "year", "province", "level"):
        assert sum(row["count"] for row in body[dim]) == SEED_RELATIONSHIPS
    assert {"key": "JP", "label": "日本", "count": JAPAN_ROWS} in body["country"]
    years = [row["key"] for row in body["year"] if row["key"]]
    assert years == sorted(years)


def test_stats_follow_the_filters(client: TestClient) -> None:
    body = client.get("/api/stats", params={"country": "JP"}).json()
    assert body["total"] == JAPAN_ROWS and body["country"] == [{"key": "JP", "label": "日本", "count": JAPAN_ROWS}]
    assert sum(row["count"] for row in body["province"]) == JAPAN_ROWS


def test_stats_bad_filter_is_422(client: TestClient) -> None:
    response = client.get("/api/stats", params={"year_to": 0})
    assert response.status_code == 422 and response.json()["error"] == \
        "year_to: Input should be greater than or equal to 1"


def test_anomalies_lists_what_the_build_could_not_read(client: TestClient, seed_db: Path) -> None:
    body = client.get("/api/anomalies").json()
    assert body["total"] == len(body["items"]) > 0
    assert set(body["items"][0]) == {"source", "line", "kind", "severity", "message", "text"}
    placeholder = [a for a in body["items"] if a["kind"] == "placeholder"]
    assert placeholder and all(a["line"] > 0 for a in placeholder)
    assert all(set(u) == {"id", "side", "name", "country", "resolution", "partnerships"}
               for u in body["unplaced"])


def test_anomalies_page_through_with_limit_and_offset(client: TestClient) -> None:
    whole = client.get("/api/anomalies").json()
    assert (whole["limit"], whole["offset"]) == (1000, 0) and whole["total"] == len(whole["items"]) == SEED_ANOMALIES
    page = client.get("/api/anomalies", params={"limit": 4, "offset": 10}).json()
    assert page["total"] == SEED_ANOMALIES and page["items"] == whole["items"][10:14]
    assert page["unplaced_total"] == whole["unplaced_total"] >= len(whole["unplaced"])
    assert page["unplaced"] == whole["unplaced"][:4]
    assert client.get("/api/anomalies", params={"offset": 100}).json()["items"] == []
    for params in ({"limit": -1}, {"limit": 10_001}, {"offset": -1}):
        assert client.get("/api/anomalies", params=params).status_code == 422


def test_anomalies_unplaced_lists_places_without_coordinates(tiny: TestClient) -> None:
    assert tiny.get("/api/anomalies").json()["unplaced"] == [
        {"id": "gn:3", "side": "foreign", "name": "丙城", "country": "FR", "resolution": None, "partnerships": 1}]


def test_summary_counts(client: TestClient) -> None:
    body = client.get("/api/summary").json()
    assert body["partnerships"] == SEED_ROWS and body["schema_version"]


# --- downloads -------------------------------------------------------------------------

def test_export_csv_follows_filters(client: TestClient) -> None:
    response = client.get("/api/export/csv", params={"country": "JP"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="youcheng.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    assert len(rows) == JAPAN_ROWS and {r["country"] for r in rows} == {"JP"}


def test_export_csv_bom(client: TestClient) -> None:
    assert client.get("/api/export/csv", params={"bom": "true"}).content.startswith("\ufeff".encode())


def test_export_jsonl_has_every_record(client: TestClient) -> None:
    lines = client.get("/api/export/jsonl").text.splitlines()
    assert len(lines) == SEED_ROWS and list(json.loads(lines[0])) == list(FIELDS)


def test_export_geojson_is_a_feature_collection(client: TestClient) -> None:
    response = client.get("/api/export/geojson", params={"place": "洛陽市"})
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    kinds = [f["properties"]["feature"] for f in body["features"]]
    assert kinds.count("partnership") == 5 and kinds.count("place") == 6


def test_export_geojson_of_tiny_registry_has_lines_and_points(tiny: TestClient) -> None:
    features = tiny.get("/api/export/geojson").json()["features"]
    by_id = {f["id"]: f for f in features}
    assert by_id["p1"]["geometry"] == {"type": "LineString", "coordinates": [[120.0, 30.0], [-75.0, 40.0]]}
    assert by_id["p2"]["geometry"] is None
    assert by_id["cn:1"]["geometry"] == {"type": "Point", "coordinates": [120.0, 30.0]}
    assert by_id["cn:1"]["properties"]["partnerships"] == 2
    assert by_id["gn:3"]["geometry"] is None


def test_export_graphml_parses(client: TestClient) -> None:
    import xml.etree.ElementTree as ET

    response = client.get("/api/export/graphml", params={"country": "FR"})
    root = ET.fromstring(response.content)
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    edges = root.findall(".//g:edge", ns)
    assert edges and len(root.findall(".//g:node", ns)) > len(edges) / 2


def test_export_datapackage_zip(client: TestClient) -> None:
    response = client.get("/api/export/datapackage", params={"country": "JP"})
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.namelist() == ["datapackage.json", "partnerships.csv", "relationships.csv"]
    descriptor = json.loads(archive.read("datapackage.json"))
    fields = descriptor["resources"][0]["schema"]["fields"]
    assert [f["name"] for f in fields] == list(FIELDS)
    rows = list(csv.reader(io.StringIO(archive.read("partnerships.csv").decode("utf-8"))))
    assert rows[0] == list(FIELDS) and len(rows) == 1 + JAPAN_ROWS
    # Both tables, and the foreign key from each record to its relationship holds.
    assert descriptor["resources"][0]["schema"]["foreignKeys"] == [
        {"fields": "relationship_id", "reference": {"resource": "relationships", "fields": "id"}}]
    related = list(csv.DictReader(io.StringIO(archive.read("relationships.csv").decode("utf-8"))))
    assert {r["id"] for r in related} == {row[FIELDS.index("relationship_id")] for row in rows[1:]}


def test_export_unknown_format_is_422(client: TestClient) -> None:
    response = client.get("/api/export/xlsx")
    assert response.status_code == 422
    assert response.json() == {
        "error": "fmt: Input should be 'jsonl', 'csv', 'geojson', 'graphml' or 'datapackage'",
        "parameter": "fmt", "accepted": ["jsonl", "csv", "geojson", "graphml", "datapackage"], "nearest": []}


# --- errors, caching, documentation, the page --------------------------------------------

def test_unknown_path_is_404_json(client: TestClient) -> None:
    response = client.get("/api/nothing")
    assert (response.status_code, response.json()) == (404, {"error": "no such page: /api/nothing"})


def test_wrong_method_is_405_json(client: TestClient) -> None:
    response = client.post("/api/stats")
    assert (response.status_code, response.json()) == (405, {"error": "Method Not Allowed"})


def test_responses_carry_etag_and_revalidate_to_304(client: TestClient) -> None:
    first = client.get("/api/stats", params={"country": "JP"})
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, max-age=300"
    again = client.get("/api/stats", params={"country": "JP"}, headers={"If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    other = client.get("/api/stats", params={"country": "US"})
    assert other.headers["etag"] != etag


def test_etag_changes_when_the_registry_is_rebuilt(tmp_path: Path) -> None:
    db = tiny_registry(tmp_path / "r.db")
    with TestClient(create_app(db)) as c:
        before = c.get("/api/stats").headers["etag"]
        tiny_registry(db)
        after = c.get("/api/stats")
    assert after.status_code == 200 and after.headers["etag"] != before


def test_missing_registry_is_503_json(tmp_path: Path) -> None:
    db = tiny_registry(tmp_path / "r.db")
    with TestClient(create_app(db)) as c:
        db.unlink()
        response = c.get("/api/stats")
    assert response.status_code == 503
    assert response.json() == {"error": f"no registry at {db}: run 'youcheng build' first"}


def test_create_app_rejects_a_non_registry(tmp_path: Path) -> None:
    from youcheng.errors import StoreError

    (tmp_path / "x.db").write_text("not sqlite")
    with pytest.raises(StoreError, match="is not a youcheng registry"):
        create_app(tmp_path / "x.db")


def test_openapi_documents_parameters_models_and_errors(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    assert set(paths) == {"/api/partnerships", "/api/places/{place_id}", "/api/search", "/api/stats",
                          "/api/anomalies", "/api/summary", "/api/export/{fmt}", "/api/lines", "/api/sources",
                          "/api/relationships", "/api/relationships/{relationship_id}", "/api/conflicts"}
    params = {p["name"]: p for p in paths["/api/partnerships"]["get"]["parameters"]}
    assert set(params) == {"place", "country", "province", "level", "year_from", "year_to", "q", "tier", "status",
                           "limit", "offset"}
    assert all(p.get("description") for p in params.values())
    for path, item in paths.items():
        responses = item["get"]["responses"]
        assert responses["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
        assert "200" in responses
    assert "404" in paths["/api/places/{place_id}"]["get"]["responses"]
    record = spec["components"]["schemas"]["Record"]["properties"]
    assert list(record) == list(FIELDS)
    # /api/partnerships keeps its shape for old clients, and says so; relationships take the same filters.
    assert "old clients" in paths["/api/partnerships"]["get"]["description"]
    rel_params = {p["name"] for p in paths["/api/relationships"]["get"]["parameters"]}
    assert rel_params == set(params) | {"status"}
    assert "404" in paths["/api/relationships/{relationship_id}"]["get"]["responses"]
    relationship = spec["components"]["schemas"]["Relationship"]["properties"]
    assert {"tier", "status", "date", "conflicts", "attestations"} <= set(relationship)


def test_docs_pages_needing_a_cdn_are_off(client: TestClient) -> None:
    assert client.get("/docs").status_code == client.get("/redoc").status_code == 404


def test_page_and_static_files_are_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "static/app.js" in page.text
    for path in ("/static/app.js", "/static/app.css", "/static/vendor/echarts.min.js",
                 "/static/vendor/topojson-client.min.js", "/static/vendor/countries-110m.json"):
        assert client.get(path).status_code == 200, path


def test_get_sends_one_request_in_process(seed_db: Path) -> None:
    status, body = get(create_app(seed_db), "/api/search?q=武汉&limit=1")
    assert status == 200 and json.loads(body)["items"][0]["name"] == "武漢市"
    assert get(create_app(seed_db), "/api/places/nope")[0] == 404
