"""Forgiving search: case, accents, width, scripts and exonyms find the same place, on every surface.

Built from the embedded default (every source), where the en-wiki CSV's Latin names and the
GeoNames alternate names of resolved partners are indexed beside the Chinese ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from youcheng import Registry
from youcheng.api import create_app
from youcheng.cli import app
from youcheng.resolve.fold import latin_key, search_key

KOELN, OITA, WUHAN, LUOYANG = "gn:2886242", "gn:1854487", "cn:420100", "cn:410300"
# (spelling, the place it must find first): scripts, accents, width, case, exonyms, endonyms.
SPELLINGS = [
    ("Koln", KOELN), ("Köln", KOELN), ("KÖLN", KOELN), ("köln", KOELN), ("Cologne", KOELN),
    ("Keulen", KOELN), ("科隆", KOELN),
    ("Oita", OITA), ("oita", OITA), ("Ōita", OITA), ("Ooita", OITA), ("OITA", OITA), ("おおいた", OITA),
    ("大分市", OITA),
    ("Sao Paulo", "gn:3448439"), ("São Paulo", "gn:3448439"), ("SAO PAULO", "gn:3448439"),
    ("Wuhan", WUHAN), ("武汉", WUHAN), ("武漢", WUHAN), ("wǔhàn", WUHAN), ("ＷＵＨＡＮ", WUHAN),
    ("Luoyang", LUOYANG), ("洛陽", LUOYANG), ("洛阳市", LUOYANG),
    ("Moscow", "gn:524901"), ("Москва", "gn:524901"), ("Moskva", "gn:524901"),
    ("Seoul", "gn:1835848"), ("서울", "gn:1835848"),
    ("Osaka", "gn:1853909"), ("Ōsaka", "gn:1853909"), ("Oosaka", "gn:1853909"),
    ("Kiev", "gn:703448"), ("Kyiv", "gn:703448"),
    ("Zürich", "gn:2657896"), ("Zurich", "gn:2657896"), ("Montréal", "gn:6077243"), ("Montreal", "gn:6077243"),
    ("Kraków", "gn:3094802"), ("Krakow", "gn:3094802"), ("Malmö", "gn:2692969"), ("Malmo", "gn:2692969"),
    ("Łódź", "gn:3093133"), ("Lodz", "gn:3093133"),
    ("Sankt-Peterburg", "gn:498817"), ("Санкт-Петербург", "gn:498817"), ("Saint Petersburg", "gn:498817"),
    ("Hà Nội", "gn:1581130"), ("Ha Noi", "gn:1581130"), ("Hanoi", "gn:1581130"),
    ("Αθήνα", "gn:264371"), ("Athens", "gn:264371"), ("ながさき", "gn:1856177"), ("부산", "gn:1838524"),
    ("Pittsburgh", "gn:5206379"), ("匹兹堡", "gn:5206379"), ("匹茲堡", "gn:5206379"),
]


@pytest.fixture(scope="module")
def default_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("default") / "default.db"
    Registry.build(None, db)
    return db


@pytest.fixture(scope="module")
def client(default_db: Path) -> TestClient:
    return TestClient(create_app(default_db))


def test_enough_spellings_are_covered() -> None:
    assert len(SPELLINGS) >= 30 and len({place for _, place in SPELLINGS}) >= 20


@pytest.mark.parametrize(("text", "place_id"), SPELLINGS)
def test_every_spelling_finds_its_place_first(default_db: Path, text: str, place_id: str) -> None:
    with Registry.open(default_db) as reg:
        hits = reg.search(text, 5)
    assert hits and hits[0].id == place_id, [(h.id, h.name, h.matched) for h in hits]


@pytest.mark.parametrize(("text", "place_id"), [("Koln", KOELN), ("Cologne", KOELN), ("Oita", OITA),
                                                ("Ooita", OITA), ("Sao Paulo", "gn:3448439")])
def test_partners_and_the_place_filter_take_the_same_spellings(default_db: Path, client: TestClient,
                                                               text: str, place_id: str) -> None:
    with Registry.open(default_db) as reg:
        records = reg.partners(text)
    assert records and all(place_id in (r.partner_id, r.cn_id) for r in records)
    body = client.get("/api/partnerships", params={"place": text}).json()
    assert body["total"] == len(records)
    assert client.get("/api/search", params={"q": text}).json()["items"][0]["id"] == place_id


@pytest.mark.parametrize("text", ["Koln", "Cologne", "Oita", "oita"])
def test_cli_search_json_finds_the_place(default_db: Path, text: str) -> None:
    result = CliRunner().invoke(app, ["search", text, "--format", "json", "--db", str(default_db)])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["q"] == text and answer["items"][0]["name"] in ("科隆", "大分市")


def test_fast_path_search_prints_what_typer_prints(default_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from youcheng.__main__ import main

    for fmt in ("json", "tsv"):
        with pytest.raises(SystemExit) as done:
            main(["search", "Cologne", "-f", fmt, "--db", str(default_db)])
        assert done.value.code == 0
        fast = capsys.readouterr().out
        typer = CliRunner().invoke(app, ["search", "Cologne", "-f", fmt, "--db", str(default_db)]).stdout
        assert fast == typer and "科隆" in fast


def test_no_hit_offers_the_nearest_names_and_the_coverage(default_db: Path, client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "Kolnn"}).json()
    assert body["items"] == [] and any("科隆" in name for name in body["nearest"])
    assert "relationships (" in body["message"] and "wikitext" in body["message"]
    result = CliRunner().invoke(app, ["search", "Kolnn", "--db", str(default_db)])
    assert result.exit_code == 1 and "did you mean" in result.stderr and "科隆" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_place_names_say_where_they_come_from(client: TestClient) -> None:
    koeln = {n["name"]: n["kind"] for n in client.get(f"/api/places/{KOELN}").json()["names"]}
    assert koeln["科隆"] == "written" and koeln["Cologne"] == "gazetteer" and koeln["Köln"] in ("written", "gazetteer")
    wuhan = {n["name"]: n["kind"] for n in client.get(f"/api/places/{WUHAN}").json()["names"]}
    assert wuhan["武漢市"] == "written" and wuhan["武汉市"] in ("converted", "gazetteer")
    assert wuhan["Wuhan"] in ("romanised", "gazetteer")
    kinds = {n["kind"] for place in (KOELN, WUHAN, LUOYANG, OITA)
             for n in client.get(f"/api/places/{place}").json()["names"]}
    assert kinds <= {"written", "converted", "romanised", "gazetteer"} and {"written", "gazetteer"} <= kinds


def test_one_folding_for_index_and_query() -> None:
    assert latin_key("São Paulo") == "saopaulo"  # the gazetteer files' key, unchanged
    assert search_key("São Paulo") == search_key("SAO-PAULO") == "saopaulo"
    assert search_key("Ōita") == search_key("Ooita") == search_key("おおいた") == "oita"
    assert search_key("武漢市") == "武汉市" and search_key("Ｋöｌｎ") == "koln"
    assert search_key("東京都 Shinjuku") == "东京都shinjuku"
