"""Partners written in Latin script (en.wikipedia's twin-town lists): resolve/gazetteer.py's
``find_latin`` over data/gazetteer_en.tsv.gz and data/subdivisions_en.csv."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from youcheng import Registry, config
from youcheng.resolve.fold import latin_key
from youcheng.resolve.gazetteer import resolve_foreign
from youcheng.resolve.latin import is_latin

CSV = config.data_dir() / "sources" / "enwiki-twincities" / "twin_cities_raw.csv"


@pytest.mark.parametrize(("written", "key"), [
    ("Köln", "koln"), ("KÖLN", "koln"), ("São Paulo", "saopaulo"), ("Sao-Paulo", "saopaulo"),
    ("Łódź", "lodz"), ("Ōita", "oita"), ("Xi'an", "xian"), ("Ærø", "aero"),
])
def test_latin_key_folds_case_diacritics_and_punctuation(written: str, key: str) -> None:
    assert latin_key(written) == key


@pytest.mark.parametrize(("text", "latin"), [
    ("Köln", True), ("Haʻikū", True), ("科隆", False), ("Москва", False), ("大阪 Osaka", False), ("1982", False),
])
def test_is_latin(text: str, latin: bool) -> None:
    assert is_latin(text) is latin


# (written, the row's country, the place's id, its kind)
CITIES = [
    ("Köln", "DE", "gn:2886242", "city"),
    ("Koln", "DE", "gn:2886242", "city"),
    ("Cologne", "DE", "gn:2886242", "city"),  # an exonym: a GeoNames alternate name
    ("Cologne", None, "gn:2886242", "city"),
    ("Munich", "DE", "gn:2867714", "city"),
    ("Osaka", "JP", "gn:1853909", "city"),
    ("Ōita", "JP", "gn:1854487", "city"),
    ("Oita", "JP", "gn:1854487", "city"),
    ("São Paulo", "BR", "gn:3448439", "city"),
    ("Sao Paulo", "BR", "gn:3448439", "city"),
    ("Łódź", "PL", "gn:3093133", "city"),
    ("Lodz", "PL", "gn:3093133", "city"),
    ("St. Petersburg", "RU", "gn:498817", "city"),  # St. = Saint
    ("Saint Petersburg", "RU", "gn:498817", "city"),
    ("Changwon-si", "KR", "gn:1846326", "city"),  # -si: a city's kind word
    ("Quebec City", "CA", "gn:6325494", "city"),
    ("Pittsburgh", "US", "gn:5206379", "city"),
    ("Portland (Oregon)", "US", "gn:5746545", "city"),
    ("Kolpino (Saint Petersburg)", "RU", "gn:546105", "city"),  # a town of the city, in GeoNames
]


@pytest.mark.parametrize(("written", "country", "place_id", "kind"), CITIES)
def test_latin_city_names(written: str, country: str | None, place_id: str, kind: str) -> None:
    found = resolve_foreign([written], country)
    assert found is not None and (found.id, found.kind) == (place_id, kind)
    assert found.method == "gazetteer" and found.lat is not None and found.lon is not None


@pytest.mark.parametrize(("written", "country", "code"), [
    ("Gyeonggi Province", "KR", "KR-41"), ("Aichi Prefecture", "JP", "JP-23"), ("Bavaria", "DE", "DE-BY"),
])
def test_latin_region_names(written: str, country: str, code: str) -> None:
    found = resolve_foreign([written], country)
    assert found is not None and (found.kind, found.subdivision, found.id) == ("region", code, f"iso:{code}")


@pytest.mark.parametrize(("written", "parent"), [
    ("Gangdong (Seoul)", "gn:1835848"),  # GeoNames' Gangdong is a town 150 km away: not it
    ("Dongdaemun (Seoul)", "gn:1835848"),
    ("Haeundae (Busan)", "gn:1838524"),
])
def test_a_district_of_a_named_city_is_placed_in_that_city(written: str, parent: str) -> None:
    found = resolve_foreign([written], "KR")
    assert found is not None and found.kind == "district" and found.method == "parent"
    assert found.id == f"{parent}/{latin_key(written.split(' (')[0])}"


@pytest.mark.parametrize(("written", "country"), [("Xyzzyville", "US"), ("Qwrtplk", None)])
def test_unknown_latin_names_stay_unresolved(written: str, country: str | None) -> None:
    assert resolve_foreign([written], country) is None


def test_the_country_decides_between_namesakes() -> None:
    """Victoria is a city in Canada, the US, Malta...: the row's country decides, not population."""
    found = resolve_foreign(["Victoria"], "CA")
    assert found is not None and found.country == "CA"


def test_chinese_names_resolve_as_before() -> None:
    """Latin lookups come last: a name any Chinese source knows is not looked up in Latin script."""
    found = resolve_foreign(["科隆"], "DE")
    assert found is not None and found.id == "gn:2886242" and found.method == "gazetteer"


def test_the_en_wiki_partners_resolve(tmp_path: Path) -> None:
    """The en-wiki CSV's partners are English names: nine in ten of them resolve to a place."""
    db = tmp_path / "csv.db"
    Registry.build([CSV], db)
    with sqlite3.connect(db) as conn:
        rows = dict(conn.execute(
            "SELECT coalesce(pl.resolution, 'none'), count(*) FROM partnerships p"
            " LEFT JOIN places pl ON pl.id = p.partner_id GROUP BY 1").fetchall())
    total = sum(rows.values())
    assert total > 1700
    assert rows.get("unresolved", 0) < total / 10, rows
