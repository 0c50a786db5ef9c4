"""The raw wikitext reader, pinned on the harvested zh-Wikipedia sections (line numbers are the files')."""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import youcheng
from youcheng.errors import SourceError
from youcheng.model import Anomaly, Link, PartialDate, RawPartnership
from youcheng.resolve.countries import country_code
from youcheng.sources import detect, read_page
from youcheng.sources.base import sniff_head
from youcheng.sources.wikitext import SOURCE_FORMAT

from .conftest import load_script, write_page

DATA = Path(youcheng.__file__).parent / "data" / "sources"
WIKITEXT = DATA / "zhwiki-wikitext"

# Per file: records by tier and anomalies by kind, established by reading each section.
COUNTS: dict[str, tuple[dict[str, int], dict[str, int]]] = {
    "南京市": ({"domestic": 11, "exchange": 45, "sister": 17}, {}),
    "南通市": ({"sister": 8}, {}),
    "厦门市": ({"domestic": 33, "exchange": 15, "sister": 21}, {}),
    "大连市友好城市": ({"exchange": 25, "sister": 9}, {}),
    "天津市": ({}, {"no_partner_named": 1}),
    "宁波市": ({"exchange": 42, "sister": 14}, {"unread_line": 1}),
    "常州市": ({"sister": 28}, {}),
    "广州市": ({"exchange": 36, "sister": 38}, {"unread_line": 1}),
    "徐州市": ({"domestic": 14, "sister": 37}, {}),
    "成都市": ({}, {"no_partner_named": 1}),
    "无锡市": ({"sister": 27}, {"unreadable_date": 1}),
    "杭州市": ({"exchange": 46, "sister": 32}, {}),
    "济南市": ({"sister": 24}, {"damaged_line": 1}),
    "海口市": ({"exchange": 17, "sister": 9}, {"no_partner_named": 1}),
    "深圳市": ({"sister": 19}, {"unread_line": 1}),
    "温州市": ({"domestic": 7, "exchange": 7, "sister": 4}, {}),
    "珠海市": ({"sister": 13}, {}),
    "福州市": ({"sister": 9}, {"unread_line": 2}),
    "绍兴市": ({"sister": 2}, {}),
    "西安市": ({"sister": 34}, {}),
    "重庆市": ({"sister": 28}, {}),
    "长沙市": ({"sister": 23}, {}),
    "青岛市": ({}, {"no_partner_named": 1}),
}


def _read(path: Path) -> tuple[list[RawPartnership], list[Anomaly]]:
    items = list(read_page(path))
    return ([i for i in items if isinstance(i, RawPartnership)],
            [i for i in items if isinstance(i, Anomaly)])


def _file(name: str) -> Path:
    """A section file the package ships: a missing one fails the test, never skips it."""
    path = WIKITEXT / f"{name}.wikitext"
    assert path.is_file(), f"{path} is missing: the package ships every section file the tests read"
    return path


def _at(name: str, line: int) -> RawPartnership:
    [record] = [r for r in _read(_file(name))[0] if r.line == line]
    return record


def _brief(r: RawPartnership) -> tuple[object, ...]:
    return (r.cn_name, r.partner_name, r.country_text, r.date, r.tier)


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_counts_per_file(name: str) -> None:
    records, anomalies = _read(_file(name))
    tiers, kinds = COUNTS[name]
    assert dict(Counter(r.tier for r in records)) == tiers
    assert dict(Counter(a.kind for a in anomalies)) == kinds
    assert all(r.source == f"{name}.wikitext" for r in records)


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_every_country_text_resolves(name: str) -> None:
    """Flag codes ({{GER}}, {{JAP}}, {{flagicon|Russia}}) come out as names country_code knows."""
    for record in _read(_file(name))[0]:
        if record.country_text is not None:
            assert country_code(record.country_text), (record.line, record.country_text)
        elif record.tier != "domestic":
            pytest.fail(f"{name}:{record.line} has no country")


def test_table_with_ioc_flags_strike_and_dates() -> None:
    """南京: {{JPN}}/{{GER}} country column, a struck-through partner with a note in the date cell."""
    r = _at("南京市", 8)
    assert _brief(r) == ("南京市", "名古屋", "Japan", PartialDate(1978, 12, 21), "sister")
    assert r.country_link == "{{JPN}}" and r.date_text == "1978年12月21日"
    assert r.note == "struck through on the page；2012年2月21日暂停官方交往"
    assert r.section == "江苏省" and r.cn_line == 1
    assert _brief(_at("南京市", 24)) == ("南京市", "莱比锡", "Germany", PartialDate(1988, 5, 21), "sister")
    assert _at("南京市", 24).partner_links == (Link("莱比锡", "萊比錫"),)


def test_domestic_table_and_district_in_parentheses() -> None:
    """南京: the 国内友好城市 table is domestic; （秦淮区） names the Chinese side of the row."""
    r = _at("南京市", 79)
    assert _brief(r) == ("南京市", "乌鲁木齐", None, PartialDate(1984, 4, 5), "domestic")
    assert r.extra == (("类型", "友好城市"),)
    r = _at("南京市", 252)
    assert _brief(r) == ("秦淮区", "阿塔迈拉", "Mexico", None, "exchange")
    assert r.partner_links == (Link("阿塔迈拉", "阿爾塔米拉 (塔毛利帕斯州)"),)
    assert _at("南京市", 300).partner_name == "穆拉派夏"  # {{le|穆拉特帕夏|Muratpaşa|穆拉派夏}}


def test_rowspan_signing_place_and_parenthesised_country() -> None:
    """厦门: a rowspan="2" 签字地点 cell fills the row below; （英国 威尔士） gives country and region."""
    r = _at("厦门市", 78)
    assert _brief(r) == ("厦门市", "考纳斯市", "立陶宛", PartialDate(2001, 3, 11), "sister")
    assert ("signing_place", "厦门市") in r.extra
    assert ("flag", "{{flagicon|Lithuania}}") in r.extra
    r = _at("厦门市", 50)
    assert r.country_text == "英国" and r.partner_links == (Link("威尔士", "威尔士"), Link("加的夫市", "加的夫"))
    assert ("region", "威尔士") in r.extra and ("signing_place", "厦门市") in r.extra
    assert _at("厦门市", 58).partner_name == "宿务市"  # broken -{ markup: the link's title
    r = _at("厦门市", 178)
    assert _brief(r) == ("厦门市", "阿比让", "科特迪瓦", PartialDate(2022), "exchange")
    assert r.date_text == "2022年 月 日"


def test_headerless_grid_of_domestic_partners() -> None:
    """厦门: a table with no header, one partner per cell, after '与如下国内城市结成友好城市关系'."""
    records = [r for r in _read(_file("厦门市"))[0] if r.tier == "domestic"]
    assert len(records) == 33
    r = _at("厦门市", 8)
    assert _brief(r) == ("厦门市", "上海市普陀区", None, None, "domestic")
    assert r.partner_links == (Link("上海市", "上海市"), Link("普陀区", "普陀区 (上海市)"))


def test_subpage_subject_and_sections() -> None:
    """大连市友好城市: the subject loses its 友好城市 suffix; 友好合作关系城市 is the exchange tier."""
    records, _ = _read(_file("大连市友好城市"))
    assert {r.cn_name for r in records} == {"大连市"} and {r.section for r in records} == {"辽宁省"}
    r = _at("大连市友好城市", 23)
    assert _brief(r) == ("大连市", "格拉斯哥", "英国", PartialDate(1987, 10, 27), "sister")
    assert r.country_link == "英国" and ("flag", "{{flagicon|Scotland}}") in r.extra
    r = _at("大连市友好城市", 91)
    assert _brief(r) == ("大连市", "東京都大田區", "日本", PartialDate(2009, 10, 28), "exchange")
    assert r.partner_links == (Link("東京都", "東京都"), Link("大田區", "大田區"))
    assert not any(r.line in (7, 35, 42) for r in records)  # rows commented out with <!-- -->


def test_startdate_template() -> None:
    r = _at("重庆市", 13)
    assert _brief(r) == ("重庆市", "图卢兹市", "France", PartialDate(1982, 12, 10), "sister")
    assert r.date_text == "1982年12月10日" and r.section == "重庆市"
    assert _at("重庆市", 113).date == PartialDate(2018)


def test_bullets_domestic_and_district_heading() -> None:
    """徐州: bullets under '; 国外' / '; 国内'; === 徐州新沂市友好城市 === names the Chinese side."""
    r = _at("徐州市", 13)
    assert _brief(r) == ("徐州市", "大丹德农市", "Australia", None, "sister")
    r = _at("徐州市", 48)
    assert _brief(r) == ("徐州市", "辽宁省抚顺市", "China", None, "domestic")
    assert r.partner_links == (Link("辽宁省", "辽宁省"), Link("抚顺市", "抚顺市"))
    r = _at("徐州市", 64)
    assert _brief(r) == ("新沂市", "亚历山德里亚", "Romania", None, "sister")
    assert r.cn_line == 62 and r.section == "江苏省"


def test_file_flags_and_dates_before_the_place() -> None:
    """温州: [[File:Flag_of_X.svg]], the date first, then country, region and city links."""
    r = _at("温州市", 5)
    assert _brief(r) == ("温州市", "黑森州吉森市", "德国", PartialDate(2004, 10), "sister")
    assert r.partner_links == (Link("黑森州", "黑森州"), Link("吉森", "吉森"))
    assert _brief(_at("温州市", 11)) == ("温州市", "宫城县石卷市", "日本", PartialDate(1984, 10), "exchange")
    assert _brief(_at("温州市", 23)) == ("温州市", "福建省厦门市", "China", None, "domestic")


def test_region_and_county_columns() -> None:
    """杭州: {{flag|X}}, an 一级行政区 column (a parent link), and a 结对区县 column (the Chinese side)."""
    r = _at("杭州市", 15)
    assert _brief(r) == ("杭州市", "岐阜", "Japan", PartialDate(1979, 2, 21), "sister")
    assert r.partner_links == (Link("岐阜县", "岐阜县"), Link("岐阜", "岐阜市")) and r.date_text == "1979.02.21"
    assert r.country_link == "{{flag|Japan}}"
    r = _at("杭州市", 175)
    assert _brief(r) == ("萧山市", "山梨市", "Japan", PartialDate(1993, 10, 14), "sister")
    assert r.cn_links == (Link("萧山市", "萧山市"),) and r.cn_line == 179 and r.note == "今杭州市萧山区"
    assert _brief(_at("杭州市", 199)) == ("杭州市", "向日", "Japan", PartialDate(1985, 9, 27), "exchange")


def test_chinese_named_flag_templates_and_exchange_tier() -> None:
    r = _at("海口市", 54)
    assert _brief(r) == ("海口市", "东海市", "韩国", PartialDate(2006, 4, 1), "exchange")
    assert r.country_link == "{{韩国}}"
    assert _brief(_at("海口市", 12)) == ("海口市", "達爾文市", "Australia", PartialDate(1990, 9, 5), "sister")


def test_bullets_with_dates_after_a_colon_or_in_parentheses() -> None:
    assert _brief(_at("无锡市", 12)) == ("无锡市", "明石市", "Japan", PartialDate(1981, 8, 29), "sister")
    assert _at("无锡市", 26).partner_links == ()  # unlinked 拜瑟克伦城市联合体, kept by its flag
    r = _at("济南市", 6)
    assert _brief(r) == ("济南市", "和歌山市", "日本", PartialDate(1983, 1, 14), "sister")
    assert ("flag", "[[File:Flag_of_Japan.svg|border]]") in r.extra
    r = _at("绍兴市", 3)
    assert _brief(r) == ("绍兴市", "吕贝克", "Germany", PartialDate(2003), "sister")
    assert r.extra == (("name_latin", "Lübeck"),)
    assert _brief(_at("南通市", 7)) == ("南通市", "特罗斯多夫市", "Germany", PartialDate(1997, 4, 8), "sister")


def test_two_relationships_per_row() -> None:
    """宁波: 国家 城市 结交时间 twice in one header: each row holds two partners."""
    records = [r for r in _read(_file("宁波市"))[0] if r.line in (15, 18)]
    assert [_brief(r) for r in records] == [
        ("宁波市", "长冈京市", "Japan", PartialDate(1983, 4), "sister"),
        ("宁波市", "亚琛", "Germany", PartialDate(1986, 10), "sister")]
    assert _brief(_at("宁波市", 83)) == ("宁波市", "巴塞罗那", "Spain", PartialDate(1995, 10), "exchange")


@pytest.mark.parametrize("name", ["天津市", "成都市", "青岛市"])
def test_prose_sections_give_one_anomaly(name: str) -> None:
    records, anomalies = _read(_file(name))
    assert records == []
    [anomaly] = anomalies
    assert (anomaly.kind, anomaly.line, anomaly.severity) == ("no_partner_named", 2, "warning")
    if name == "青岛市":
        assert "{{青岛市的友好城市与友好合作城市}}" in anomaly.message


def test_problems_are_reported_on_their_lines() -> None:
    _, anomalies = _read(_file("无锡市"))
    assert [(a.line, a.kind) for a in anomalies] == [(34, "unreadable_date")]  # 2010年11年22日
    _, anomalies = _read(_file("济南市"))
    assert [(a.line, a.kind) for a in anomalies] == [(3, "damaged_line")]  # '{|' never closed
    _, anomalies = _read(_file("福州市"))
    assert [a.line for a in anomalies] == [4, 6] and "平泽市" in anomalies[0].message


def _bullet_lines(text: str) -> set[int]:
    text = re.sub(r"<!--.*?-->", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    lines = text.split("\n")
    out = set()
    for i, line in enumerate(lines):
        level = len(line) - len(line.lstrip("*#"))
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if level and not len(nxt) - len(nxt.lstrip("*#")) > level:
            out.add(i + 1)
    return out


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_no_bullet_is_dropped_silently(name: str) -> None:
    """Every list item yields a record or an anomaly on its own line."""
    path = _file(name)
    items = list(read_page(path))
    assert _bullet_lines(path.read_text("utf-8")) <= {i.line for i in items}


# -- sniffing -----------------------------------------------------------------------------------

def _all_sources() -> list[Path]:
    roots = [DATA, Path(youcheng.__file__).parent / "data" / "seed"]
    return sorted(p for root in roots for p in root.rglob("*")
                  if p.is_file() and p.suffix in (".wikitext", ".md", ".csv") and p.name != "SOURCES.md")


def test_sniff_claims_wikitext_only() -> None:
    paths = _all_sources()
    assert any(p.suffix == ".wikitext" for p in paths) and any(p.suffix == ".md" for p in paths)
    for path in paths:
        assert SOURCE_FORMAT.sniff(sniff_head(path), path) == (path.suffix == ".wikitext"), path
    for path in (p for p in paths if p.suffix == ".wikitext"):
        assert detect(path)[0].name == "wikitext"


def test_sniff_rejects_markdown_with_wiki_words(tmp_path: Path) -> None:
    md = write_page(tmp_path, "### 友好城市\n\n- [东京](../Page/东京.md \"wikilink\") {{JPN}}\n== x ==\n")
    assert not SOURCE_FORMAT.sniff(sniff_head(md), md)
    csv = write_page(tmp_path, "city1,country1,city2,country2\n== a ==,[[b]],c,d\n", "t.csv")
    assert not SOURCE_FORMAT.sniff(sniff_head(csv), csv)  # '== a ==,…' is no heading line
    page = write_page(tmp_path, "== 友好城市 ==\n* {{JPN}} [[京都]]\n", "page.txt")
    assert SOURCE_FORMAT.sniff(sniff_head(page), page)  # the content decides, not the file name


# -- bad and odd input ----------------------------------------------------------------------------

def _fixture(tmp_path: Path, text: str, name: str = "某市.wikitext") -> tuple[list[RawPartnership], list[Anomaly]]:
    path = write_page(tmp_path, text, name)
    items = list(read_page(path, fmt="wikitext"))
    return ([i for i in items if isinstance(i, RawPartnership)],
            [i for i in items if isinstance(i, Anomaly)])


def test_empty_and_binary_files_raise(tmp_path: Path) -> None:
    empty = write_page(tmp_path, "", "empty.wikitext")
    with pytest.raises(SourceError):
        list(read_page(empty, fmt="wikitext"))
    binary = tmp_path / "bin.wikitext"
    binary.write_bytes(b"\x00\x01\xff\xfe== x ==\x00" * 50)
    with pytest.raises(SourceError):
        list(read_page(binary, fmt="wikitext"))


def test_truncated_table_reads_its_rows(tmp_path: Path) -> None:
    records, anomalies = _fixture(tmp_path, "== 友好城市 ==\n{| class=\"wikitable\"\n! 国家 !! 城市 !! 结好时间\n"
                                  "|-\n| {{JPN}} || [[京都市|京都]] || 1979年5月\n|-\n| {{USA}} || [[纽约]]\n")
    assert [(r.line, r.partner_name, r.country_text, r.date) for r in records] == [
        (5, "京都", "Japan", PartialDate(1979, 5)), (7, "纽约", "United States", None)]
    assert [(a.line, a.kind) for a in anomalies] == [(2, "damaged_line")]


def test_empty_heading_and_unreadable_rows(tmp_path: Path) -> None:
    records, anomalies = _fixture(tmp_path, "== 友好城市 ==\n\n== 国内友好城市 ==\n* [[南京市]]（1990年）\n"
                                  "* 另有几个城市正在商谈\n{|\n! 国家 !! 城市 !! 时间\n|-\n| {{FRA}} || || 1990年\n"
                                  "|-\n| {{ITA}} || [[罗马]] || 1999年13月\n|}\n")
    assert [(r.line, r.partner_name, r.tier) for r in records] == [(4, "南京市", "domestic"), (11, "罗马", "domestic")]
    assert [(a.line, a.kind) for a in anomalies] == [
        (1, "no_partner_named"), (5, "skipped_row"), (9, "skipped_row"), (11, "invalid_date")]


def test_nested_country_list_and_transposed_table(tmp_path: Path) -> None:
    records, anomalies = _fixture(tmp_path, "== 友好城市 ==\n* {{flagicon|Japan}}[[日本]]\n** [[松江市]]（2004年9月24日）\n"
                                  "{|\n!国 家\n|{{flagicon|Denmark}}<br />[[丹麦]]||{{USA}}\n|-\n!城 市\n"
                                  "| [[奥尔堡]] || [[哥伦布]]\n|-\n!缔 结\n|1989-04-22||1988-11-17\n|}\n")
    assert [(r.line, r.partner_name, r.country_text, r.date) for r in records] == [
        (3, "松江市", "日本", PartialDate(2004, 9, 24)), (9, "奥尔堡", "丹麦", PartialDate(1989, 4, 22)),
        (9, "哥伦布", "United States", PartialDate(1988, 11, 17))]
    assert anomalies == []


def test_appendix_sections_are_not_partners(tmp_path: Path) -> None:
    records, anomalies = _fixture(tmp_path, "== 友好城市 ==\n* {{JPN}} [[京都]]\n== 参见 ==\n* [[友好城市列表]]\n"
                                  "== 外部連結 ==\n* [http://example.org 外事办]\n")
    assert [r.partner_name for r in records] == ["京都"] and anomalies == []


def test_province_list_reads_the_chinese_side_from_rows(tmp_path: Path) -> None:
    text = ("== 地市级 ==\n{| class=wikitable\n! rowspan=\"2\" | 中国城市\n! colspan=\"3\" | 姐妹城市\n"
            "! rowspan=\"2\" | 缔约日期\n|-\n! colspan=\"2\" | 国家\n! 城市\n|-\n!rowspan=\"2\"|[[绵阳市|绵阳市]]\n"
            "!1\n|{{CAN}}||[[金斯顿]]||1989年11月10日\n|-\n!2\n|{{JAP}}||[[庄原市|-{庄}-原市]]||1992年4月20日\n|}\n")
    records, anomalies = _fixture(tmp_path, text, "四川省友好城市或姐妹城市列表.wikitext")
    assert [(r.line, r.cn_name, r.cn_line, r.section, r.partner_name, r.country_text) for r in records] == [
        (12, "绵阳市", 10, "四川省", "金斯顿", "Canada"), (15, "绵阳市", 10, "四川省", "庄原市", "Japan")]
    assert anomalies == []


def test_ambiguous_subject(tmp_path: Path) -> None:
    records, anomalies = _fixture(tmp_path, "== 友好城市 ==\n* {{JPN}} [[京都]]\n", "鼓楼区.wikitext")
    assert [(r.cn_name, r.section) for r in records] == [("鼓楼区", "")]
    [anomaly] = anomalies
    assert anomaly.kind == "ambiguous_cn_place" and "福建省" in anomaly.message and "江苏省" in anomaly.message
    records, anomalies = _fixture(tmp_path, "== 友好城市 ==\n* {{JPN}} [[京都]]\n", "鼓楼区 (福州市).wikitext")
    assert [(r.cn_name, r.section) for r in records] == [("鼓楼区", "福建省")] and anomalies == []


_MARKUP = ["{|", "|}", "|-", "||", "!!", "[[", "]]", "{{", "}}", "<ref>", "<!--", "-->", "（", "）",
           "rowspan=\"3\"|", "colspan=2|", "\n*", "\n**", "\n;", "\n== x ==\n", "\n! a !! b\n", "年", "\x00"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(sorted(COUNTS)), edits=st.lists(
    st.tuples(st.floats(0, 1), st.integers(0, 120), st.sampled_from(_MARKUP + [""])), min_size=1, max_size=6))
def test_fuzz_mutated_sections(tmp_path: Path, name: str, edits: list[tuple[float, int, str]]) -> None:
    """Mutated real sections: no error but SourceError, and every item cites a line of the file."""
    text = _file(name).read_text("utf-8")
    for where, length, insert in edits:
        i = int(where * len(text))
        text = text[:i] + insert + text[i + length:]
    page = tmp_path / "mutated.wikitext"
    page.write_text(text, "utf-8")
    try:
        items = list(read_page(page, fmt="wikitext"))
    except SourceError:
        return
    assert items  # a page gives at least one record or anomaly, never nothing
    lines = text.count("\n") + 1
    assert all(1 <= i.line <= lines for i in items)


def test_registry_builds_from_wikitext(tmp_path: Path) -> None:
    from youcheng import Registry

    pages = [_file(n) for n in ("大连市友好城市", "徐州市", "杭州市", "南京市")]
    db = tmp_path / "wt.db"
    report = Registry.build(pages, db)
    assert report.partnerships == 34 + 51 + 78 + 73
    with sqlite3.connect(db) as conn:
        [(unresolved,)] = conn.execute("SELECT count(*) FROM partnerships WHERE cn_id LIKE 'cn:?%'")
    assert unresolved == 0
    registry = Registry.open(db)
    assert {r.cn_id for r in registry.partners("新沂市")} == {"cn:320381"}
    dalian = registry.partners("大连市")
    assert len(dalian) == 34 and {r.cn_province for r in dalian} == {"辽宁省"}


def test_the_sources_index_lists_every_section_file() -> None:
    """SOURCES.md's table (attribution: path and commit of every file) is current."""
    script = load_script("make_sources_index")
    index = script.FOLDER / "SOURCES.md"
    rows = script.table_rows()
    assert len(rows) == len(list(script.FOLDER.glob("*.wikitext"))) > 100
    assert script.render(index.read_text(encoding="utf-8"), rows) == index.read_text(encoding="utf-8"), \
        "SOURCES.md is out of date: run python scripts/make_sources_index.py"


def test_the_sources_index_refuses_a_file_without_its_source_line(tmp_path: Path) -> None:
    (tmp_path / "x.wikitext").write_text("== 友好城市 ==\n* [[大阪市]]\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="names no source"):
        load_script("make_sources_index").table_rows(tmp_path)


def test_a_comment_never_closed_is_reported(tmp_path: Path) -> None:
    """MediaWiki hides the rest of a page after an unclosed <!--; the reader does too, and says so."""
    records, anomalies = _fixture(tmp_path, "== 友好城市 ==\n* {{JPN}} [[京都]]\n<!-- 未完\n* {{USA}} [[波士顿]]\n",
                                  "洛阳市.wikitext")
    assert [r.partner_name for r in records] == ["京都"]
    assert [(a.kind, a.line) for a in anomalies] == [("damaged_line", 3)] and "never closed" in anomalies[0].message


def test_a_page_whose_sections_are_all_commented_out_still_says_so(tmp_path: Path) -> None:
    """Found by the fuzz test: the heading and the table's start inside a comment, the rows after
    it, only a references section left: one anomaly for the page, never nothing."""
    text = ("<!--\n== 友好城市 ==\n{| class=\"wikitable\"\n-->\n|-\n| 1 || [[日本]] || [[北九州]] || 1979-05-01\n"
            "|}\n== 参考资料 ==\n<references />\n")
    records, anomalies = _fixture(tmp_path, text, "大连市.wikitext")
    assert records == [] and [a.kind for a in anomalies] == ["no_partner_named"]
