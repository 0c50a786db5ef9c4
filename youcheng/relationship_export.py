"""Exports of relationships (``youcheng export --relationships``, the Data Package's second table).

One line, row or feature per relationship with its attestations, beside the record exports
of ``export.py`` (one per attestation, each with its ``relationship_id``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from typing import TextIO

from youcheng.errors import UsageError
from youcheng.relationships import Relationship
from youcheng.vocabulary import ExportFormat

RELATIONSHIP_FORMATS = tuple(str(f) for f in (ExportFormat.jsonl, ExportFormat.csv, ExportFormat.geojson))
RELATIONSHIP_FIELDS = tuple(f.name for f in dataclasses.fields(Relationship))
RELATIONSHIPS_CSV = "relationships.csv"
_JSON_FIELDS = ("conflicts", "attestations")  # JSON text in a CSV cell
_DESCRIPTIONS: dict[str, str] = {
    "id": "Stable id: a hash of the two place ids ('s…' for a statement whose places are not both resolved).",
    "cn_id": "Id of the Chinese place.",
    "cn_name": "The Chinese place as the chosen attestation writes it.",
    "partner_id": "Id of the partner place.",
    "partner_name": "The partner as the chosen attestation writes it.",
    "matched": "true when both places are resolved (attestations of the same pair are merged); false for a "
               "statement of its own.",
    "tier": "The tier of the chosen attestation (most precise date, then source authority).",
    "status": "active, suspended or ended.",
    "status_source": "Where the status comes from (a citation), or that no source says otherwise.",
    "date": "The chosen date, ISO 8601 at its own precision.",
    "country": "The partner's country, ISO 3166-1 alpha-2.",
    "sources": "How many distinct sources attest the relationship.",
    "conflicts": "JSON list of {field, values: [{value, source, line}]} where the attestations disagree.",
    "attestations": "JSON list of the attestations: {id, source, line, date, date_text, country_text, note...}.",
}


def relationship_dict(r: Relationship) -> dict[str, object]:
    """A relationship as a plain JSON-ready dict (attestations and conflicts nested)."""
    return dataclasses.asdict(r)


def write_relationships(relationships: Iterable[Relationship], out: TextIO, fmt: str, *, bom: bool = False,
                        points: Mapping[str, tuple[float, float]] | None = None) -> int:
    """Write one line (jsonl), row (csv) or feature (geojson) per relationship; returns how many.

    ``points`` gives each place id's (lat, lon) for GeoJSON's LineStrings.
    """
    if fmt == ExportFormat.jsonl:
        count = 0
        for r in relationships:
            out.write(json.dumps(relationship_dict(r), ensure_ascii=False) + "\n")
            count += 1
        return count
    if fmt == ExportFormat.csv:
        return write_relationships_csv(relationships, out, bom)
    if fmt == ExportFormat.geojson:
        return _write_geojson(relationships, out, points or {})
    raise UsageError(f"relationships export as {', '.join(RELATIONSHIP_FORMATS)}, not {fmt!r}")


def write_relationships_csv(relationships: Iterable[Relationship], out: TextIO, bom: bool = False) -> int:
    """One CSV row per relationship; its conflicts and attestations are JSON in their cells."""
    from youcheng.export import write_csv_table

    return write_csv_table(map(_csv_row, relationships), RELATIONSHIP_FIELDS, out, bom)


def _csv_row(r: Relationship) -> dict[str, object]:
    row = relationship_dict(r)
    for name in _JSON_FIELDS:
        row[name] = json.dumps(row[name], ensure_ascii=False)
    row["matched"] = "true" if r.matched else "false"
    return row


def _write_geojson(relationships: Iterable[Relationship], out: TextIO,
                   points: Mapping[str, tuple[float, float]]) -> int:
    """An RFC 7946 FeatureCollection: a LineString per relationship, ``null`` geometry where a place
    has no coordinates (so every relationship is there)."""
    out.write('{"type": "FeatureCollection", "features": [\n')
    count = 0
    for r in relationships:
        a, b = points.get(r.cn_id), points.get(r.partner_id or "")
        geometry = {"type": "LineString", "coordinates": [[a[1], a[0]], [b[1], b[0]]]} if a and b else None
        out.write((",\n" if count else "") + json.dumps(
            {"type": "Feature", "id": r.id, "geometry": geometry, "properties": relationship_dict(r)},
            ensure_ascii=False))
        count += 1
    out.write("\n]}\n")
    return count


def relationships_schema() -> dict[str, object]:
    """Frictionless Table Schema of ``relationships.csv``, derived from ``Relationship``."""
    from youcheng.export import _table_type

    fields: list[dict[str, object]] = []
    for f in dataclasses.fields(Relationship):
        kind = "string" if f.name in _JSON_FIELDS else _table_type(f.type)
        field: dict[str, object] = {"name": f.name, "type": kind}
        if f.name in _DESCRIPTIONS:
            field["description"] = _DESCRIPTIONS[f.name]
        if kind == "boolean":
            field["trueValues"], field["falseValues"] = ["true"], ["false"]
        if f.name == "id":
            field["constraints"] = {"required": True, "unique": True}
        fields.append(field)
    return {"fields": fields, "primaryKey": ["id"], "missingValues": [""]}


__all__ = ["RELATIONSHIPS_CSV", "RELATIONSHIP_FIELDS", "RELATIONSHIP_FORMATS", "relationship_dict",
           "relationships_schema", "write_relationships", "write_relationships_csv"]
