"""Export formats added for the web page and the API: GeoJSON, GraphML, Data Package."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import xml.etree.ElementTree as ET
import zipfile

import pytest

from youcheng import Registry, UsageError
from youcheng.export import FIELDS, FORMATS, datapackage_descriptor, table_schema, write_datapackage, write_records
from youcheng.model import Record

from .expected import SEED_ROWS

GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"


def _located(registry: Registry) -> list[Record]:
    """Two seed records given known coordinates, and one left without."""
    first, second, third = list(registry.partners("洛陽市"))[:3]
    return [dataclasses.replace(first, cn_lat=34.6, cn_lon=112.4, partner_lat=34.7, partner_lon=133.9),
            dataclasses.replace(second, cn_lat=34.6, cn_lon=112.4, partner_lat=47.4, partner_lon=0.7),
            dataclasses.replace(third, cn_lat=None, cn_lon=None, partner_lat=None, partner_lon=None)]


def test_formats_list() -> None:
    assert FORMATS == ("jsonl", "csv", "geojson", "graphml", "datapackage")


def test_write_geojson_lines_are_lon_lat_from_cn_to_partner(registry: Registry) -> None:
    out = io.StringIO()
    assert write_records(_located(registry), out, "geojson") == 3
    collection = json.loads(out.getvalue())
    lines = [f for f in collection["features"] if f["properties"]["feature"] == "partnership"]
    assert [f["geometry"] for f in lines] == [
        {"type": "LineString", "coordinates": [[112.4, 34.6], [133.9, 34.7]]},
        {"type": "LineString", "coordinates": [[112.4, 34.6], [0.7, 47.4]]},
        None]
    assert lines[0]["id"] == lines[0]["properties"]["id"]


def test_write_geojson_one_point_per_place(registry: Registry) -> None:
    out = io.StringIO()
    records = _located(registry)
    write_records(records, out, "geojson")
    places = [f for f in json.loads(out.getvalue())["features"] if f["properties"]["feature"] == "place"]
    assert [f["id"] for f in places] == [records[0].cn_id, records[0].partner_id, records[1].partner_id,
                                         records[2].partner_id]
    cn = places[0]
    assert cn["geometry"] == {"type": "Point", "coordinates": [112.4, 34.6]}
    assert (cn["properties"]["side"], cn["properties"]["partnerships"]) == ("cn", 3)
    assert places[-1]["geometry"] is None


def test_write_geojson_empty_is_valid() -> None:
    out = io.StringIO()
    assert write_records([], out, "geojson") == 0
    assert json.loads(out.getvalue()) == {"type": "FeatureCollection", "features": []}


def test_write_graphml_nodes_edges_and_coordinates(registry: Registry) -> None:
    out = io.StringIO()
    records = _located(registry)
    assert write_records(records, out, "graphml") == 3
    root = ET.fromstring(out.getvalue())
    nodes = {n.get("id"): {d.get("key"): d.text for d in n} for n in root.iter(f"{GRAPHML}node")}
    edges = list(root.iter(f"{GRAPHML}edge"))
    assert len(nodes) == 4 and len(edges) == 3
    cn = nodes[records[0].cn_id]
    assert (cn["n_label"], cn["n_latitude"], cn["n_longitude"], cn["n_partnerships"]) == ("洛陽市", "34.6", "112.4", "3")
    edge = {d.get("key"): d.text for d in edges[0]}
    assert (edges[0].get("source"), edges[0].get("target")) == (records[0].cn_id, records[0].partner_id)
    assert (edge["e_date"], edge["e_year"], edge["e_line"]) == (records[0].date, records[0].date[:4],
                                                                  str(records[0].line))


def test_write_graphml_escapes_markup(registry: Registry) -> None:
    record = dataclasses.replace(registry.partners("洛陽市")[0], partner_name="A & <B>", note='"x"\x01')
    out = io.StringIO()
    write_records([record], out, "graphml")
    root = ET.fromstring(out.getvalue())
    labels = [d.text for d in root.iter(f"{GRAPHML}data") if d.get("key") == "n_label"]
    assert "A & <B>" in labels
    assert [d.text for d in root.iter(f"{GRAPHML}data") if d.get("key") == "e_note"] == ['"x"']


def test_write_graphml_skips_country_only_rows(registry: Registry) -> None:
    record = dataclasses.replace(registry.partners("洛陽市")[0], partner_id=None, partner_name=None)
    out = io.StringIO()
    assert write_records([record], out, "graphml") == 0
    assert len(list(ET.fromstring(out.getvalue()).iter(f"{GRAPHML}node"))) == 1


def test_table_schema_types_follow_the_record() -> None:
    fields = {f["name"]: f for f in table_schema()["fields"]}  # type: ignore[union-attr, index]
    assert list(fields) == list(FIELDS)
    assert (fields["line"]["type"], fields["country_inferred"]["type"], fields["id"]["type"]) == (
        "integer", "boolean", "string")
    assert fields["partner_links"]["type"] == "string"
    assert fields["cn_lat"]["type"] == fields["partner_lon"]["type"] == "number"
    assert fields["id"]["constraints"] == {"required": True, "unique": True}


def test_datapackage_descriptor_names_licence_and_resource() -> None:
    descriptor = datapackage_descriptor()
    assert descriptor["licenses"][0]["name"] == "CC-BY-SA-3.0"  # type: ignore[index]
    resource = descriptor["resources"][0]  # type: ignore[index]
    assert (resource["path"], resource["format"], resource["encoding"]) == ("partnerships.csv", "csv", "utf-8")


def test_write_datapackage_zip_is_reproducible(registry: Registry) -> None:
    first, second = io.BytesIO(), io.BytesIO()
    assert write_datapackage(registry.records(), first) == SEED_ROWS
    write_datapackage(registry.records(), second)
    assert first.getvalue() == second.getvalue()
    archive = zipfile.ZipFile(first)
    rows = list(csv.DictReader(io.StringIO(archive.read("partnerships.csv").decode("utf-8"))))
    assert len(rows) == SEED_ROWS and rows[0]["country_inferred"] in ("true", "false")


def test_write_records_refuses_datapackage_as_text() -> None:
    with pytest.raises(UsageError, match="the datapackage format is a zip file: write it to a file with --output"):
        write_records([], io.StringIO(), "datapackage")


def test_write_records_unknown_format_lists_all() -> None:
    with pytest.raises(UsageError, match="choose one of jsonl, csv, geojson, graphml, datapackage"):
        write_records([], io.StringIO(), "xlsx")
