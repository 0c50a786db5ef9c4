"""Open-data exports: JSON Lines, CSV, GeoJSON, GraphML and a Frictionless Data Package.

Columns are the fields of ``model.Record`` in order, so every format carries
the same facts, including provenance (source, line). All but the data package
are text; the data package is a zip, written by ``write_datapackage``.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, BinaryIO, TextIO

from youcheng.errors import UsageError
from youcheng.model import Record
from youcheng.vocabulary import ExportFormat, values

if TYPE_CHECKING:
    from youcheng.relationships import Relationship

FORMATS = values(ExportFormat)
FIELDS = tuple(f.name for f in dataclasses.fields(Record))


def record_dict(record: Record) -> dict[str, object]:
    """A record as a plain JSON-ready dict with the export field names."""
    return dataclasses.asdict(record)


def write_records(records: Iterable[Record], out: TextIO, fmt: str, *, bom: bool = False) -> int:
    """Write ``records`` to ``out`` in a text ``fmt``; returns how many were written.

    ``bom`` puts a UTF-8 byte-order mark before CSV so Excel opens Chinese text
    correctly.
    """
    writer = _TEXT_WRITERS.get(fmt)  # a plain "csv" finds ExportFormat.csv: a member is its string
    if writer is not None:
        return writer(records, out, bom)
    if fmt == ExportFormat.datapackage:
        raise UsageError("the datapackage format is a zip file: write it to a file with --output")
    raise UsageError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")


def _write_jsonl(records: Iterable[Record], out: TextIO) -> int:
    count = 0
    for record in records:
        out.write(json.dumps(record_dict(record), ensure_ascii=False) + "\n")
        count += 1
    return count


def _write_csv(records: Iterable[Record], out: TextIO, bom: bool) -> int:
    return write_csv_table(map(_csv_row, records), FIELDS, out, bom)


def _csv_row(record: Record) -> dict[str, object]:
    row = record_dict(record)
    row["partner_links"] = "|".join(record.partner_links)
    row["country_inferred"] = "true" if record.country_inferred else "false"
    row["extra"] = json.dumps(record.extra, ensure_ascii=False) if record.extra else None
    return row


def write_csv_table(rows: Iterable[dict[str, object]], fields: Sequence[str], out: TextIO, bom: bool) -> int:
    """A header of ``fields`` and a CSV row of each dict (None as an empty cell); returns how many rows."""
    import csv  # here, not at import: queries that print JSON load this module

    if bom:
        out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(fields)
    count = 0
    for row in rows:
        writer.writerow("" if row[f] is None else row[f] for f in fields)
        count += 1
    return count


# --- GeoJSON, GraphML and Frictionless Data Package (issue #4) --------------------------
#
# These read records through ``record_dict`` and ``.get`` so that they work with
# whatever resolution fields (coordinates, codes, English names) a build has;
# a field a build lacks is simply null in the output.

MEDIA_TYPES: dict[str, str] = {
    ExportFormat.jsonl: "application/x-ndjson; charset=utf-8",
    ExportFormat.csv: "text/csv; charset=utf-8",
    ExportFormat.geojson: "application/geo+json",
    ExportFormat.graphml: "application/graphml+xml; charset=utf-8",
    ExportFormat.datapackage: "application/zip",
}
FILE_NAMES: dict[str, str] = {
    ExportFormat.jsonl: "youcheng.jsonl", ExportFormat.csv: "youcheng.csv", ExportFormat.geojson: "youcheng.geojson",
    ExportFormat.graphml: "youcheng.graphml", ExportFormat.datapackage: "youcheng-datapackage.zip",
}
DATAPACKAGE_CSV = "partnerships.csv"

_CN_PLACE = {"name": "cn_name", "name_simplified": "cn_name_simplified", "name_pinyin": "cn_pinyin",
             "name_en": "cn_name_en", "code": "cn_code", "level": "cn_level",
             "province": "cn_province"}
_PARTNER_PLACE = {"name": "partner_name", "name_simplified": "partner_name_simplified",
                  "name_en": "partner_name_en", "country": "country", "kind": "partner_kind",
                  "geonames_id": "partner_geonames_id", "subdivision": "partner_subdivision"}


def _point(row: dict[str, object], side: str) -> list[float] | None:
    """``[lon, lat]`` of one side of a record (RFC 7946 order), or None when unknown."""
    lat, lon = row.get(f"{side}_lat"), row.get(f"{side}_lon")
    if isinstance(lat, (int, float)) and isinstance(lon, (int, float)):
        return [float(lon), float(lat)]
    return None


def _places(row: dict[str, object]) -> list[tuple[str, dict[str, object], list[float] | None]]:
    """The one or two places a record joins: (id, properties, [lon, lat] or None)."""
    out: list[tuple[str, dict[str, object], list[float] | None]] = []
    cn_props: dict[str, object] = {"side": "cn", "country": "CN",
                                   **{k: row.get(v) for k, v in _CN_PLACE.items()}}
    if cn_props["province"] is None:
        cn_props["province"] = row.get("province")
    out.append((str(row["cn_id"]), cn_props, _point(row, "cn")))
    if row.get("partner_id"):
        props: dict[str, object] = {"side": "foreign", **{k: row.get(v) for k, v in _PARTNER_PLACE.items()}}
        out.append((str(row["partner_id"]), props, _point(row, "partner")))
    return out


def write_geojson(records: Iterable[Record], out: TextIO) -> int:
    """Write an RFC 7946 FeatureCollection; returns how many relationships were written.

    Each relationship is a Feature with a LineString from the Chinese place to
    the partner, and each place a Feature with a Point, both ``[lon, lat]``.
    A relationship or place whose coordinates are unknown keeps ``"geometry":
    null`` (RFC 7946 section 3.2) so the file still holds every record; its
    ``feature`` property says which kind of feature it is.
    """
    places: dict[str, tuple[dict[str, object], list[float] | None, int]] = {}
    separator = ""
    out.write('{"type": "FeatureCollection", "features": [\n')

    def feature(fid: str, geometry: dict[str, object] | None, props: dict[str, object]) -> None:
        nonlocal separator
        out.write(separator + json.dumps({"type": "Feature", "id": fid, "geometry": geometry,
                                          "properties": props}, ensure_ascii=False))
        separator = ",\n"

    count = 0
    for record in records:
        row = record_dict(record)
        a, b = _point(row, "cn"), _point(row, "partner")
        feature(str(row["id"]), {"type": "LineString", "coordinates": [a, b]} if a and b else None,
                {"feature": "partnership", **row})
        count += 1
        for place_id, props, point in _places(row):
            seen = places.get(place_id)
            places[place_id] = (seen[0] if seen else props, point or (seen[1] if seen else None),
                                (seen[2] if seen else 0) + 1)
    for place_id, (props, point, n) in places.items():
        feature(place_id, {"type": "Point", "coordinates": point} if point else None,
                {"feature": "place", "id": place_id, **props, "partnerships": n})
    out.write("\n]}\n")
    return count


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NODE_KEYS: tuple[tuple[str, str], ...] = (
    ("label", "string"), ("side", "string"), ("country", "string"), ("name_simplified", "string"),
    ("name_pinyin", "string"), ("name_en", "string"), ("code", "string"), ("level", "string"),
    ("province", "string"), ("kind", "string"), ("subdivision", "string"),
    ("geonames_id", "long"), ("latitude", "double"), ("longitude", "double"),
    ("partnerships", "int"),
)
_EDGE_KEYS: tuple[tuple[str, str], ...] = (
    ("date", "string"), ("year", "int"), ("country", "string"), ("note", "string"),
    ("source", "string"), ("line", "int"),
)


def _xml(value: object) -> str:
    from xml.sax.saxutils import escape  # here, not at import: it loads urllib and http.client

    return escape(_XML_INVALID.sub("", str(value)))


def write_graphml(records: Iterable[Record], out: TextIO) -> int:
    """Write a GraphML graph (opens in Gephi, yEd, networkx); returns how many edges.

    Nodes are places (``label`` is the name as written; ``latitude`` and
    ``longitude`` when known, for Gephi's Geo Layout), edges are relationships
    with their date and source line. A relationship whose partner is only a
    country has no partner node, so it has no edge; the CSV still holds it.
    """
    from xml.sax.saxutils import quoteattr

    nodes: dict[str, dict[str, object]] = {}
    edges: list[dict[str, object]] = []
    for record in records:
        row = record_dict(record)
        for place_id, props, point in _places(row):
            node = nodes.setdefault(place_id, {"partnerships": 0})
            node.update({("label" if k == "name" else k): v for k, v in props.items()
                         if v is not None and k not in node})
            if point and "latitude" not in node:
                node["longitude"], node["latitude"] = point
            node["partnerships"] = int(str(node["partnerships"])) + 1
        if row.get("partner_id"):
            date = row.get("date")
            edges.append({"id": row["id"], "source_node": row["cn_id"], "target_node": row["partner_id"],
                          "date": date, "year": int(str(date)[:4]) if date else None,
                          "country": row.get("country"), "note": row.get("note"),
                          "source": row["source"], "line": row["line"]})
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n'
              '<graphml xmlns="http://graphml.graphdrawing.org/xmlns"'
              ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
              ' xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns'
              ' http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n')
    for domain, keys in (("node", _NODE_KEYS), ("edge", _EDGE_KEYS)):
        for name, kind in keys:
            out.write(f'  <key id="{domain[0]}_{name}" for="{domain}" attr.name="{name}"'
                      f' attr.type="{kind}"/>\n')
    out.write('  <graph id="youcheng" edgedefault="undirected">\n')
    for place_id, node in nodes.items():
        out.write(f"    <node id={quoteattr(_XML_INVALID.sub('', place_id))}>")
        out.write("".join(f'<data key="n_{name}">{_xml(node[name])}</data>'
                          for name, _ in _NODE_KEYS if node.get(name) is not None))
        out.write("</node>\n")
    for edge in edges:
        out.write(f"    <edge id={quoteattr(_XML_INVALID.sub('', str(edge['id'])))}"
                  f" source={quoteattr(str(edge['source_node']))}"
                  f" target={quoteattr(str(edge['target_node']))}>")
        out.write("".join(f'<data key="e_{name}">{_xml(edge[name])}</data>'
                          for name, _ in _EDGE_KEYS if edge.get(name) is not None))
        out.write("</edge>\n")
    out.write("  </graph>\n</graphml>\n")
    return len(edges)


# ``write_records``' dispatch: each text format's writer, (records, out, bom) -> how many it wrote.
# The data package is a zip, written as bytes by ``write_datapackage``.
_TEXT_WRITERS: dict[str, Callable[[Iterable[Record], TextIO, bool], int]] = {
    ExportFormat.jsonl: lambda records, out, bom: _write_jsonl(records, out),
    ExportFormat.csv: _write_csv,
    ExportFormat.geojson: lambda records, out, bom: write_geojson(records, out),
    ExportFormat.graphml: lambda records, out, bom: write_graphml(records, out),
}
TEXT_FORMATS = tuple(str(f) for f in _TEXT_WRITERS)


_DESCRIPTIONS: dict[str, str] = {
    "id": "Stable id: the same relationship gets the same id on every rebuild.",
    "source": "File name of the page the record was read from.",
    "line": "1-based line of the page holding the partner.",
    "section": "Section of the page (a province in the seed page).",
    "cn_name": "The Chinese place as written.",
    "partner_name": "The partner as written; empty when the row names only a country.",
    "partner_link": "Wiki page title the most specific partner link points to.",
    "country_text": "The partner's country as written.",
    "country": "The partner's country, ISO 3166-1 alpha-2.",
    "date": "Date the relationship was established, ISO 8601 at its own precision (YYYY, YYYY-MM or YYYY-MM-DD).",
    "date_precision": "day, month or year.",
    "note": "Remarks from the page.",
    "cn_link": "Wiki page title of the Chinese place's link.",
    "cn_id": "Id of the Chinese place.",
    "partner_id": "Id of the partner place.",
    "partner_links": "Every partner link target, outermost first, joined with |.",
    "country_inferred": "true when the page gives no country and it was inferred.",
    "date_text": "The date as written.",
    "province": "The Chinese place's province.",
    "cn_province": "The Chinese place's province.",
    "cn_code": "GB/T 2260 code of the Chinese place.",
    "cn_level": "province, prefecture, county or district.",
    "cn_lat": "Latitude of the Chinese place (WGS 84).",
    "cn_lon": "Longitude of the Chinese place (WGS 84).",
    "partner_lat": "Latitude of the partner (WGS 84).",
    "partner_lon": "Longitude of the partner (WGS 84).",
    "partner_geonames_id": "GeoNames id of the partner.",
    "partner_subdivision": "ISO 3166-2 code of the partner region.",
    "tier": "sister (友好城市/姐妹城市/友好省州), exchange (友好交流/友好合作城市), intent (意向书/备忘录) "
            "or domestic (both sides in China), as the source states it.",
    "relationship_id": "The relationship this record (one source's statement) attests: relationships.csv's id.",
    "status": "The relationship's status: active, suspended or ended.",
    "extra": "The source's other columns as a JSON object: signing_place (签字地点), signatory "
             "(中方签字人), the name as the source wrote it in English (cn_name_en, partner_name_en)...",
}


def _table_type(annotation: object) -> str:
    """Table Schema type of a Record field from its annotation (``str | None`` -> string)."""
    text = str(annotation)
    if "dict" in text:
        return "object"  # JSON text in the CSV
    if "list" in text:
        return "string"
    for python, frictionless in (("bool", "boolean"), ("int", "integer"), ("float", "number")):
        if re.search(rf"\b{python}\b", text):
            return frictionless
    return "string"


def table_schema() -> dict[str, object]:
    """Frictionless Table Schema of the CSV export, derived from ``model.Record``."""
    fields: list[dict[str, object]] = []
    for f in dataclasses.fields(Record):
        field: dict[str, object] = {"name": f.name, "type": _table_type(f.type)}
        if f.name in _DESCRIPTIONS:
            field["description"] = _DESCRIPTIONS[f.name]
        if field["type"] == "boolean":
            field["trueValues"], field["falseValues"] = ["true"], ["false"]
        if f.name in ("id", "source", "line", "cn_name", "cn_id"):
            field["constraints"] = {"required": True, **({"unique": True} if f.name == "id" else {})}
        fields.append(field)
    return {"fields": fields, "primaryKey": ["id"], "missingValues": [""]}


def datapackage_descriptor(relationships: bool = False) -> dict[str, object]:
    """``datapackage.json``: the package's licence, origin and the CSV's schema; with
    ``relationships``, the relationships table too, which each record's relationship_id references."""
    from youcheng import __version__

    resources = [_resource("partnerships", DATAPACKAGE_CSV, table_schema())]
    if relationships:
        from youcheng.relationship_export import RELATIONSHIPS_CSV, relationships_schema

        schema = resources[0]["schema"]
        assert isinstance(schema, dict)
        schema["foreignKeys"] = [{"fields": "relationship_id",
                                  "reference": {"resource": "relationships", "fields": "id"}}]
        resources.append(_resource("relationships", RELATIONSHIPS_CSV, relationships_schema()))

    return {
        "profile": "tabular-data-package",
        "name": "youcheng",
        "title": "友城 youcheng: the PRC's sister-city relationships",
        "version": __version__,
        "licenses": [{"name": "CC-BY-SA-3.0", "title": "Creative Commons Attribution-ShareAlike 3.0",
                      "path": "https://creativecommons.org/licenses/by-sa/3.0/"}],
        "sources": [{"title": "zh.wikipedia.org contributors, 中华人民共和国友好城市列表",
                     "path": "https://zh.wikipedia.org/wiki/中华人民共和国友好城市列表"}],
        "resources": resources,
    }


def _resource(name: str, path: str, schema: dict[str, object]) -> dict[str, object]:
    return {"name": name, "path": path, "profile": "tabular-data-resource", "format": "csv",
            "mediatype": "text/csv", "encoding": "utf-8",
            "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "header": True}, "schema": schema}


def write_datapackage(records: Iterable[Record], out: BinaryIO,
                      relationships: Callable[[set[str]], Iterable[Relationship]] | None = None) -> int:
    """Write a zipped Frictionless Data Package: ``datapackage.json`` + ``partnerships.csv``
    and, given ``relationships`` (the relationships of a set of ids), ``relationships.csv`` with
    every relationship the records attest, so the foreign key holds.

    A zip because a data package is several files and a download is one; Frictionless
    tools open the zip as it is. Entries carry a fixed timestamp so the same
    records give the same bytes. Returns how many records were written.
    """
    import zipfile

    text = io.StringIO()
    attested: set[str] = set()

    def noted(rows: Iterable[Record]) -> Iterator[Record]:
        for record in rows:
            attested.add(record.relationship_id)
            yield record

    count = _write_csv(noted(records), text, bom=False)
    files = [(DATAPACKAGE_CSV, text.getvalue())]
    if relationships is not None:
        from youcheng.relationship_export import RELATIONSHIPS_CSV, write_relationships_csv

        table = io.StringIO()
        write_relationships_csv(relationships(attested), table)
        files.append((RELATIONSHIPS_CSV, table.getvalue()))
    descriptor = datapackage_descriptor(relationships is not None)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in (("datapackage.json", json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n"),
                           *files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data.encode("utf-8"))
    return count
