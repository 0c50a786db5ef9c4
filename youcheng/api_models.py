"""The REST API's response models and its documented error responses (OpenAPI).

Apart from the routes (``api.py``) so that what a client receives is read in one place,
as the OpenAPI document shows it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from youcheng import query, relationships
from youcheng.model import Anomaly, PlaceHit, Record, StatRow, UnplacedPlace
from youcheng.vocabulary import NameOrigin


class ErrorBody(BaseModel):
    """Every error response: what went wrong and what to try."""

    error: str = Field(examples=["no place has the id 'cn:999999'; find ids with 'youcheng search'"])
    parameter: str | None = Field(None, description=(
        "The query parameter that cannot be used (422): a misspelt name, or a value that no "
        "relationship could match."), examples=["country"])
    accepted: list[str] | None = Field(None, description="The values (or parameter names) it accepts.")
    nearest: list[str] | None = Field(None, description="The accepted values nearest to the one sent.",
                                      examples=[["JP"]])


class PartnershipPage(BaseModel):
    """One page of the records (attestations: one source's statement of a relationship each)
    matching the filters, and how many match in all. Kept in its shape for old clients, with
    ``relationship_id`` and ``status`` added; /api/relationships has one item per relationship."""

    total: int = Field(description="How many records match the filters.")
    limit: int
    offset: int
    items: list[Record] = Field(description="The records, in source order, with the export fields.")


class RelationshipPage(BaseModel):
    """One page of relationships (pairs of places, each with every source that attests it)."""

    total: int = Field(description="How many relationships match.")
    limit: int
    offset: int
    items: list[relationships.Relationship] = Field(description=(
        "The relationships, by id: the chosen tier, date and country, the status and where it comes "
        "from, the conflicts between sources and every attestation."))


class PlaceName(BaseModel):
    """One name a place is known by and what kind of name it is."""

    name: str
    kind: NameOrigin = Field(description=(
        "Where the name comes from: written (in the source), converted (to Simplified script by "
        "OpenCC), romanised (pypinyin), gazetteer (GeoNames, GB/T 2260 and its English names, ISO 3166-2)."))


class PlaceDetail(BaseModel):
    """A place with every name it is known by, its codes, coordinates and partnerships."""

    id: str
    side: Literal["cn", "foreign"]
    name: str
    name_simplified: str | None = None
    name_pinyin: str | None = None
    name_en: str | None = None
    link: str | None = None
    country: str | None = None
    kind: str | None = None
    code: str | None = Field(None, description="GB/T 2260 code for Chinese places.")
    province: str | None = None
    subdivision: str | None = Field(None, description="ISO 3166-2 code of a foreign region.")
    geonames_id: int | None = None
    lat: float | None = None
    lon: float | None = None
    parent_id: str | None = None
    resolution: str | None = Field(None, description="How the place's identity was decided.")
    names: list[PlaceName]
    partnerships: list[Record] = Field(description=(
        "The place's relationships, by Chinese place and date: the first `limit` of them. "
        "Page through all of them with /api/partnerships?place={id}."))
    partnerships_total: int = Field(description="How many relationships the place has in all.")


class SearchResult(BaseModel):
    """Places whose names contain the query, best matches first; when none does, the nearest
    names and what the registry covers, so an empty answer is not taken for "no such place"."""

    q: str
    items: list[PlaceHit]
    nearest: list[str] = Field([], description="With no item: the indexed names nearest to q (did you mean).")
    message: str | None = Field(None, description="With no item: what the registry covers (sources, dates).")


class ProvinceRow(BaseModel):
    """A province's count, with its English name so an English page need not show Chinese."""

    key: str | None
    label: str | None
    count: int
    name_en: str | None = Field(None, description="GB/T 2260 English or pinyin name: 湖北省 -> Hubei.")


class Stats(BaseModel):
    """Relationship counts under the filters, by each dimension (null key: unknown)."""

    total: int
    country: list[StatRow]
    year: list[StatRow]
    province: list[ProvinceRow]
    level: list[StatRow]


class QualityReport(BaseModel):
    """What the build could not read, and the places the map cannot draw."""

    total: int = Field(description="How many anomalies.")
    limit: int
    offset: int
    items: list[Anomaly] = Field(description="Anomalies in source and line order, from `offset`, at most `limit`.")
    unplaced_total: int = Field(description="How many places have no coordinates.")
    unplaced: list[UnplacedPlace] = Field(
        description="Places without coordinates, most relationships first: at most `limit`.")


class MapLinesPage(BaseModel):
    """The matching relationships as map lines, heaviest first, and what the lines leave out.

    ``relationships = shown_partnerships + left_out_partnerships + unplaced_partnerships``.
    """

    group: Literal["place", "region"] = Field(
        description="place: Chinese place to partner place; region: Chinese province to partner country.")
    limit: int
    relationships: int = Field(description="How many relationships match the filters.")
    pairs: int = Field(description="How many distinct pairs (lines) they make at this grouping.")
    shown_partnerships: int = Field(description="Relationships the returned lines carry.")
    left_out_pairs: int = Field(description="Drawable lines beyond the limit, not returned.")
    left_out_partnerships: int = Field(description="Relationships those left-out lines carry.")
    unplaced_pairs: int = Field(description="Pairs with an end that has no coordinates (or no place).")
    unplaced_partnerships: int = Field(description="Relationships that cannot be drawn for that reason.")
    items: list[query.MapLine] = Field(description="The lines, most relationships first.")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not Modified: the `If-None-Match` ETag is current; no body."},
    404: {"model": ErrorBody, "description": (
        "No place is called what `place` names; the message offers the nearest names and says what "
        "the registry covers.")},
    422: {"model": ErrorBody, "description": (
        "A parameter cannot be used: a misspelt name, a value outside its type, or a value no "
        "relationship could match (a country that is not an ISO 3166-1 code, a province the registry "
        "does not have, year_from after year_to). `parameter` names it; `accepted` and `nearest` "
        "list what it takes.")},
    503: {"model": ErrorBody, "description": "The registry is missing or unreadable."},
}
NOT_FOUND_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES, 404: {"model": ErrorBody, "description": "No such place."}}
