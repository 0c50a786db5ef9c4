"""The city-page Markdown reader (``wikimd-city``) pinned on the shipped zh-Wikipedia sections.

Counts per file are those of ``data/sources/zhwiki/SOURCES.md``; single records are
pinned from each layout (HTML table, transposed table, pipe tables with captions,
raw MediaWiki table, bullet lists, prose), then synthetic pages cover the layouts
the shipped files lack, broken input and a small fuzz test.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from youcheng.errors import ParseError, SourceError
from youcheng.model import Anomaly, Link, PartialDate, RawPartnership
from youcheng.sources import format_of, read_page
from youcheng.sources.base import sniff_head
from youcheng.sources.citymd import SOURCE_FORMAT
from youcheng.sources.citymd_cells import tier_of

from .conftest import write_page

DATA = Path(str(resources.files("youcheng.data"))) / "sources"
ZHWIKI = DATA / "zhwiki"
SOURCE = "<!-- source: MASangys/wikipedia.zh Page/{title}.md commit 0 (CC BY-SA) -->\n"


def _read(path: Path, fmt: str | None = None) -> tuple[list[RawPartnership], list[Anomaly]]:
    items = list(read_page(path, fmt=fmt))
    return ([i for i in items if isinstance(i, RawPartnership)],
            [i for i in items if isinstance(i, Anomaly)])


def _page(title: str) -> tuple[list[RawPartnership], list[Anomaly]]:
    return _read(ZHWIKI / f"{title}.md")


def _at(records: list[RawPartnership], line: int, partner: str | None = None) -> RawPartnership:
    [found] = [r for r in records if r.line == line and (partner is None or r.partner_name == partner)]
    return found


def _synthetic(tmp_path: Path, title: str, body: str) -> tuple[list[RawPartnership], list[Anomaly]]:
    return _read(write_page(tmp_path, SOURCE.format(title=title) + body, f"{title}.md"))


# file -> (dated pairs, undated pairs, tiers, anomaly kinds): SOURCES.md's counts.
EXPECTED = {
    "武汉市": (28, 0, {"sister": 28}, {"unread_line": 1, "skipped_row": 1}),
    "广州市": (76, 0, {"sister": 38, "exchange": 38}, {}),
    "成都市": (1, 0, {"sister": 1}, {}),
    "西安市": (34, 0, {"sister": 34}, {}),
    "哈尔滨市": (38, 0, {"sister": 38}, {}),
    "南宁市": (0, 0, {}, {"no_partner_named": 1}),
    "苏州市": (0, 48, {"domestic": 5, "sister": 43}, {}),
    "石家庄市": (0, 0, {}, {"no_partner_named": 1}),
    # 2002-06-50 is dated in SOURCES.md (it has a year) but no day exists: no date, one anomaly.
    "合肥市": (23, 1, {"sister": 12, "exchange": 12}, {"invalid_date": 1}),
    "郑州市": (12, 0, {"sister": 12}, {}),
    "贵阳市": (4, 0, {"sister": 4}, {}),
    "西宁市": (0, 2, {"sister": 2}, {}),
    "乌鲁木齐市": (34, 0, {"domestic": 22, "sister": 8, "intent": 4}, {}),
    "洛阳市": (9, 0, {"sister": 9}, {"no_partner": 1}),
    "扬州市": (0, 29, {"sister": 29}, {}),
}
PROVINCES = {"武汉市": "湖北省", "广州市": "广东省", "成都市": "四川省", "西安市": "陕西省",
             "哈尔滨市": "黑龙江省", "苏州市": "江苏省", "合肥市": "安徽省", "郑州市": "河南省",
             "贵阳市": "贵州省", "西宁市": "青海省", "乌鲁木齐市": "新疆维吾尔自治区",
             "洛阳市": "河南省", "扬州市": "江苏省"}


@pytest.mark.parametrize("title", sorted(EXPECTED))
def test_every_shipped_section_gives_its_pairs(title: str) -> None:
    dated, undated, tiers, kinds = EXPECTED[title]
    records, anomalies = _page(title)
    assert sum(1 for r in records if r.date) == dated
    assert sum(1 for r in records if not r.date) == undated
    assert Counter(r.tier for r in records) == tiers
    assert Counter(a.kind for a in anomalies) == kinds
    assert {r.cn_name for r in records} <= {title}
    assert {r.section for r in records} <= {PROVINCES.get(title)}
    assert all(r.source == f"{title}.md" for r in records)


def test_totals_match_sources_md() -> None:
    counts = [len(_page(title)[0]) for title in EXPECTED]
    assert sum(counts) == 260 + 79


# -- layouts of the shipped files --------------------------------------------------------------


def test_html_table_partner_link_and_suffix() -> None:
    records, _ = _page("武汉市")
    r = _at(records, 27)
    assert (r.cn_name, r.partner_name, r.partner_links) == ("武汉市", "匹兹堡市", (Link("匹兹堡", "匹兹堡"),))
    assert r.country_text is None  # the converter dropped the flag templates: not invented
    assert (r.date, r.date_text) == (PartialDate(1982, 9, 8), "1982年9月8日")
    assert r.extra == (("signing_place", "武汉市"),) and r.tier == "sister" and r.cn_line == 2
    assert _at(records, 90).partner_links == (Link("清州市", "清州"),)  # a red link's URL -> its title
    assert _at(records, 104).note == "基督城"


def test_intro_prose_names_are_reported_not_read() -> None:
    _, anomalies = _page("武汉市")
    [prose] = [a for a in anomalies if a.kind == "unread_line"]
    assert prose.line == 4 and "圣路易斯市、哥伦布市、旧金山" in prose.message and prose.severity == "info"


def test_partner_header_names_the_exchange_tier() -> None:
    records, _ = _page("广州市")
    assert (_at(records, 16).partner_name, _at(records, 16).tier) == ("福岡市", "sister")
    r = _at(records, 218)
    assert (r.partner_name, r.tier, r.date) == ("萨尔瓦多", "exchange", PartialDate(1996, 4, 6))


def test_prose_only_section_gives_its_one_named_pair() -> None:
    [r], anomalies = _page("成都市")
    assert (r.partner_name, r.partner_links, r.country_text) == ("蒙彼利埃", (Link("蒙彼利埃", "蒙彼利埃"),), "法国")
    assert (r.date, r.date_text, r.tier, r.line) == (PartialDate(1979), "1979年", "sister", 4)
    assert anomalies == []


def test_raw_mediawiki_table_on_one_line() -> None:
    records, _ = _page("西安市")
    assert {r.line for r in records} == {7}
    kansas = _at(records, 7, "堪薩斯城")
    assert kansas.partner_links == (Link("密蘇里州", "密蘇里州"), Link("堪薩斯城", "堪薩斯城 (密蘇里州)"))
    assert kansas.extra == (("region", "密蘇里州"),)
    cusco = _at(records, 7, "庫斯科")
    assert (cusco.date, cusco.date_text) == (PartialDate(1997), "1997年?")
    assert _at(records, 7, "格罗宁根").date == PartialDate(2011, 11)


def test_linked_countries_and_extra_columns() -> None:
    records, _ = _page("哈尔滨市")
    r = _at(records, 17)
    assert (r.partner_name, r.country_text, r.country_link) == ("新潟市", "日本", "日本")
    assert r.extra == (("signing_place", "新潟"), ("signatory", "文敏生"))
    assert _at(records, 234).date == PartialDate(2012)
    assert _at(records, 213).country_text is None  # empty country cell


@pytest.mark.parametrize("title", ["南宁市", "石家庄市"])
def test_section_naming_no_partner_is_one_anomaly(title: str) -> None:
    records, [anomaly] = _page(title)
    assert records == [] and anomaly.kind == "no_partner_named" and anomaly.line == 2


def test_domestic_bullets_name_the_other_chinese_city() -> None:
    records, _ = _page("苏州市")
    r = _at(records, 6)
    assert (r.cn_name, r.partner_name, r.tier) == ("苏州市", "温州市", "domestic")
    assert r.partner_links == (Link("浙江省", "浙江省"), Link("温州市", "温州市"))
    assert (_at(records, 16).partner_name, _at(records, 16).tier) == ("威尼斯", "sister")


def test_transposed_tables_and_the_invalid_date() -> None:
    records, [bad] = _page("合肥市")
    r = _at(records, 42)
    assert (r.partner_name, r.country_text, r.date, r.tier) == ("久留米市", "日本", PartialDate(1980, 5, 20), "sister")
    wonju = _at(records, 48)
    assert (wonju.partner_name, wonju.date, wonju.date_text) == ("原州", None, "2002-06-50")
    assert (bad.kind, bad.line) == ("invalid_date", 48)
    r = _at(records, 127)
    assert (r.partner_name, r.country_text, r.tier) == ("大田", "韓國", "exchange")
    assert _at(records, 134).country_text == "德国"  # the header's stray ']' dropped


def test_transposed_column_without_a_city_keeps_the_pair() -> None:
    records, [anomaly] = _page("洛阳市")
    r = _at(records, 49)
    assert (r.partner_name, r.country_text, r.date) == (None, "美国", PartialDate(1997, 10, 21))
    assert (anomaly.kind, anomaly.line) == ("no_partner", 49)
    assert _at(records, 40).date == PartialDate(2010, 4, 10)  # footnote [36] stripped


def test_traditional_headers_and_region_in_parentheses() -> None:
    records, _ = _page("郑州市")
    r = _at(records, 15)
    assert (r.partner_name, r.partner_link, r.date) == ("埼玉市", "埼玉市", PartialDate(1981, 10, 21))
    assert r.partner_links[0] == Link("埼玉縣", "埼玉縣")
    assert _at(records, 70).partner_name == "莫吉廖夫"


def test_bullets_with_dates_in_parentheses() -> None:
    records, _ = _page("贵阳市")
    assert [(r.partner_name, r.date) for r in records] == [
        ("惠庭市", PartialDate(1986)), ("北帕默斯顿", PartialDate(1992, 8, 17)),
        ("沃思堡", PartialDate(2011, 10, 17)), ("米斯郡", PartialDate(2014, 10, 3))]


def test_bullet_with_a_region_before_the_city() -> None:
    records, _ = _page("西宁市")
    assert _at(records, 4).partner_links == (Link("乌德穆尔特共和国", "乌德穆尔特共和国"),
                                             Link("伊热夫斯克市", "伊热夫斯克"))


def test_pipe_tables_take_their_tier_from_the_caption_after_them() -> None:
    records, _ = _page("乌鲁木齐市")
    r = _at(records, 17)
    assert (r.partner_name, r.tier, r.date) == ("宣武区", "domestic", PartialDate(1992, 12, 10))
    r = _at(records, 33)
    assert (r.partner_name, r.country_text, r.country_link) == ("白沙瓦市", "巴基斯坦伊斯兰共和国", "巴基斯坦")
    assert r.tier == "sister"
    r = _at(records, 39)
    assert (r.partner_name, r.country_text, r.extra) == ("犹他州奥勒姆市", "美国", (("name_en", "Orem, Utah"),))
    r = _at(records, 46)
    assert (r.partner_name, r.tier, r.note) == ("马什哈德市", "intent", "备忘录")
    assert _at(records, 16).date == PartialDate(1992)


def test_bullets_with_english_names() -> None:
    records, _ = _page("扬州市")
    r = _at(records, 6)
    assert (r.partner_name, r.partner_links, r.extra) == (
        "美因河畔奥芬巴赫市", (Link("美因河畔奥芬巴赫", "美因河畔奥芬巴赫"),), (("name_en", "Offenbach am Main"),))
    r = _at(records, 14)
    assert (r.partner_name, r.partner_links, r.extra) == ("西港市", (), (("name_en", "Westport, Connecticut"),))


# -- layouts the shipped files lack -------------------------------------------------------------


def test_two_pairs_per_row_lists_in_cells_and_rowspan(tmp_path: Path) -> None:
    body = """## 友好城市
<table>
<tr><th>国家</th><th>城市</th><th>结好时间</th><th>国家</th><th>城市</th><th>结好时间</th></tr>
<tr><td rowspan="2">日本</td><td><a href="../Page/大阪市.md">大阪市</a></td><td>1980年</td>
<td>法国</td><td><ul><li><a href="../Page/里昂.md">里昂</a></li><li>南特</li></ul></td><td>1990年5月</td></tr>
<tr><td>京都市</td><td>1981-02-03</td><td></td><td></td><td></td></tr>
</table>
"""
    records, anomalies = _synthetic(tmp_path, "武汉市", body)
    assert [(r.partner_name, r.country_text, r.date) for r in records] == [
        ("大阪市", "日本", PartialDate(1980)), ("里昂", "法国", PartialDate(1990, 5)),
        ("南特", "法国", PartialDate(1990, 5)), ("京都市", "日本", PartialDate(1981, 2, 3))]
    assert anomalies == []


def test_unknown_header_kept_in_extra_and_cn_column(tmp_path: Path) -> None:
    body = """### 友好交流城市
| 中方城市 | 友好城市 | 国家 | 日期 | 领域 |
| --- | --- | --- | --- | --- |
| [江汉区](../Page/江汉区.md "wikilink") | [某城](../Page/某城.md "wikilink") | 德国 | 2001年1月1日 | 教育 |
"""
    [r], anomalies = _synthetic(tmp_path, "武汉市", body)
    assert (r.cn_name, r.cn_links, r.partner_name, r.tier) == ("江汉区", (Link("江汉区", "江汉区"),), "某城", "exchange")
    assert r.extra == (("领域", "教育"),) and r.section == "湖北省"
    assert [(a.kind, a.severity) for a in anomalies] == [("unknown_header", "info")]


def test_notes_tell_the_intent_tier(tmp_path: Path) -> None:
    body = """## 友好城市
| 城市 | 时间 | 备注 |
|---|---|---|
| [甲](../Page/甲.md "wikilink") | 2001年 | 签订意向书 |
| [乙](../Page/乙.md "wikilink") | 2002年 | |
"""
    records, _ = _synthetic(tmp_path, "郑州市", body)
    assert [(r.partner_name, r.tier, r.note) for r in records] == [("甲", "intent", "签订意向书"), ("乙", "sister", None)]


def test_multiline_raw_wiki_table_and_headerless_html(tmp_path: Path) -> None:
    body = """## 友好城市
{| class="wikitable"
! 國家 !! 城市 !! 日期
|-
| 日本 || [奈良市](../Page/奈良市.md "wikilink") || 1974年2月1日
|-
| 美國
| [波士顿](../Page/波士顿.md "wikilink")
| 1980年
|}
<table><tr><td>加拿大</td><td><a href="../Page/多伦多.md">多伦多</a></td><td>1985年</td></tr></table>
"""
    records, anomalies = _synthetic(tmp_path, "西安市", body)
    assert [(r.line, r.partner_name, r.country_text, r.date) for r in records] == [
        (6, "奈良市", "日本", PartialDate(1974, 2, 1)), (9, "波士顿", "美國", PartialDate(1980)),
        (12, "多伦多", "加拿大", PartialDate(1985))]
    assert [a.kind for a in anomalies] == ["unknown_header"]  # the headerless table, columns guessed


def test_exchange_heading_and_prose_only_partners(tmp_path: Path) -> None:
    body = """## 友好城市

### 友好交流城市

2005年，本市与美国[丹佛](../Page/丹佛.md "wikilink")建立友好交流关系。
"""
    [r], anomalies = _synthetic(tmp_path, "贵阳市", body)
    # The year is in another clause than the relation: not taken as its date.
    assert (r.partner_name, r.country_text, r.date, r.tier, r.line) == ("丹佛", "美国", None, "exchange", 6)
    assert anomalies == []


def test_ambiguous_subject_is_reported(tmp_path: Path) -> None:
    records, anomalies = _synthetic(tmp_path, "朝阳区", "## 友好城市\n\n  - [某市](../Page/某市.md \"wikilink\")\n")
    assert [a.kind for a in anomalies] == ["ambiguous_cn_place"]
    assert "北京市" in anomalies[0].message and "吉林省" in anomalies[0].message
    assert [(r.cn_name, r.section) for r in records] == [("朝阳区", "")]


def test_heading_that_ends_the_section_is_reported(tmp_path: Path) -> None:
    body = "## 友好城市\n\n  - [甲市](../Page/甲市.md \"wikilink\")\n\n## 教育\n\n学校很多。\n"
    records, [anomaly] = _synthetic(tmp_path, "合肥市", body)
    assert [r.partner_name for r in records] == ["甲市"]
    assert (anomaly.kind, anomaly.line, anomaly.severity) == ("unread_line", 6, "info")


def test_empty_subsection_and_sentence_bullet(tmp_path: Path) -> None:
    body = "## 友好城市\n\n### 友好交流城市\n\n### 友好城市\n\n  - 本市与很多城市有交往，交流频繁，成果显著，而且还在不断扩大之中。\n"
    records, anomalies = _synthetic(tmp_path, "合肥市", body)
    assert records == []
    assert [(a.kind, a.line) for a in anomalies] == [("no_partner_named", 4), ("unread_line", 8)]


@pytest.mark.parametrize(("text", "tier"), [
    ("友好城市", "sister"), ("友好交流城市", "exchange"), ("友好合作关系城市", "exchange"),
    ("國際友好城市及友好交流城市", "sister"), ("乌鲁木齐市缔结国内友好城市一览表", "domestic"),
    ("签订友好关系意向及备忘录的城市", "intent"), ("中国大陆境内友好城市", "domestic"), ("城市", None)])
def test_tier_of(text: str, tier: str | None) -> None:
    assert tier_of(text) == tier


# -- bad input -----------------------------------------------------------------------------------


def test_truncated_table_reads_its_rows_and_says_so(tmp_path: Path) -> None:
    body = "## 友好城市\n<table>\n<tr><th>城市</th><th>日期</th></tr>\n<tr><td>甲市</td><td>1999年</td></tr>\n<tr><td>乙"
    records, anomalies = _synthetic(tmp_path, "合肥市", body)
    assert [r.partner_name for r in records] == ["甲市", "乙"]
    assert ("damaged_line", 3) in [(a.kind, a.line) for a in anomalies]


def test_empty_and_binary_files_raise_source_errors(tmp_path: Path) -> None:
    empty = write_page(tmp_path, "", "empty.md")
    with pytest.raises(SourceError):
        _read(empty, "wikimd-city")
    binary = tmp_path / "binary.md"
    binary.write_bytes(b"\x00\x01\x02\xff" * 100)
    with pytest.raises(SourceError):
        _read(binary, "wikimd-city")


@pytest.mark.parametrize("text", ["<!-- source: x Page/武汉市.md -->\n", "## 北京\n\n正文\n", "学校很多。\n"])
def test_a_file_that_is_no_city_section_is_a_parse_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(ParseError):
        _read(write_page(tmp_path, text, "武汉市.md"), "wikimd-city")


def test_damaged_bytes_are_reported_on_their_line(tmp_path: Path) -> None:
    path = tmp_path / "合肥市.md"
    path.write_bytes("## 友好城市\n\n  - [甲市](../Page/甲市.md)\xff\n".encode("utf-8").replace(b"\xc3\xbf", b"\xff"))
    records, anomalies = _read(path)
    assert [r.partner_name for r in records] == ["甲市"]
    assert [(a.kind, a.line) for a in anomalies] == [("damaged_line", 3)]


# -- sniffing ------------------------------------------------------------------------------------


def test_sniff_claims_the_city_sections_only() -> None:
    claimed = {p.relative_to(DATA.parent).as_posix() for p in DATA.parent.rglob("*")
               if p.is_file() and p.suffix in (".md", ".wikitext", ".csv")
               and SOURCE_FORMAT.sniff(sniff_head(p), p)}
    assert claimed == {f"sources/zhwiki/{title}.md" for title in EXPECTED}


@pytest.mark.parametrize("title", sorted(EXPECTED))
def test_registry_picks_this_format(title: str) -> None:
    assert format_of(ZHWIKI / f"{title}.md") == "wikimd-city"


@pytest.mark.parametrize(("head", "claimed"), [
    ("<!-- source: x -->\n## 友好城市\n", True), ("### 國際友城\n", True), ("## 国际关系\n### 友好城市\n", True),
    ("此列表列出友好城市。\n\n## 北京\n<table>", False), ("== 友好城市 ==\n* [[东京]]\n", False),
    ("<!-- source: x -->\n=== 友好城市 ===\n{{flag|日本}}", False), ("city,country\n东京,日本\n", False),
    ("## 历史\n## 友好城市\n", False), ("#友好城市\n", False)])
def test_sniff_cases(head: str, claimed: bool) -> None:
    assert SOURCE_FORMAT.sniff(head, Path("x.md")) is claimed


# -- fuzz and end to end ------------------------------------------------------------------------

_TEXTS = {title: (ZHWIKI / f"{title}.md").read_text("utf-8") for title in EXPECTED}
_STRAY = ["<table>", "</table>", "<tr>", "<td>", "</td>", "|", "（", "）", "[", "](", "\\[1\\]", "{|", "|}",
          "|-", "||", "## ", "### 友好交流城市\n", "  - ", "2002-06-50", "9999年99月99日", "\n", "<li>",
          "<!--", "\x00", "\ufeff", "\r"]
_INLINE = ["（", "）", "(", ")", "[", "]", "](", "\\[1\\]", "2002-06-50", "9999年99月99日", "、", "，", "<a href=",
           "</a>", "|", "美国", "[日本](../Page/日本.md)", "（1999年）", "（Test）"]
_BULLET_PAGES = ["扬州市", "苏州市", "贵阳市", "西宁市"]


def _read_text(title: str, text: str) -> list[RawPartnership | Anomaly]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{title}.md"
        path.write_text(text, encoding="utf-8")
        return list(read_page(path, fmt="wikimd-city"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(_TEXTS)), st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(_STRAY),
                                                          st.integers(0, 12)), max_size=8))
def test_fuzz_mutated_sections_never_crash(title: str, edits: list[tuple[int, str, int]]) -> None:
    text = _TEXTS[title]
    for pos, stray, cut in edits:
        at = pos % (len(text) + 1)
        text = text[:at] + stray + text[at + cut:]
    try:
        items = _read_text(title, text)
    except SourceError:
        return
    lines = text.replace("\r", "\n").count("\n") + 1
    assert all(1 <= i.line <= lines for i in items)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_BULLET_PAGES), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6),
                                                          st.sampled_from(_INLINE)), max_size=6))
def test_fuzz_damaged_bullets_are_never_dropped(title: str, edits: list[tuple[int, int, str]]) -> None:
    lines = _TEXTS[title].split("\n")
    bullets = [n for n, line in enumerate(lines) if line.startswith("  - ")]
    for which, pos, stray in edits:
        n = bullets[which % len(bullets)]
        at = 4 + pos % (len(lines[n]) - 3)
        lines[n] = lines[n][:at] + stray + lines[n][at:]
    items = _read_text(title, "\n".join(lines))
    seen = {i.line for i in items}
    assert [n + 1 for n in bullets if n + 1 not in seen] == []


def test_build_resolves_every_chinese_side(tmp_path: Path) -> None:
    import sqlite3

    from youcheng import Registry

    report = Registry.build(sorted(ZHWIKI.glob("*市.md")), tmp_path / "city.db")
    assert report.partnerships == 339
    with sqlite3.connect(tmp_path / "city.db") as db:
        unresolved = db.execute("select count(*) from partnerships where cn_id like 'cn:?%'").fetchone()[0]
        tiers = dict(db.execute("select tier, count(*) from partnerships group by tier").fetchall())
    assert unresolved == 0
    assert tiers == {"sister": 258, "exchange": 50, "domestic": 27, "intent": 4}


def test_unclosed_table_stops_at_the_next_heading(tmp_path: Path) -> None:
    body = ("## 友好城市\n### 友好城市\n<table>\n<tr><th>城市</th></tr>\n<tr><td>甲市</td></tr>\n"
            "### 友好交流城市\n  - [乙市](../Page/乙市.md \"wikilink\")\n")
    records, anomalies = _synthetic(tmp_path, "合肥市", body)
    assert [(r.partner_name, r.tier) for r in records] == [("甲市", "sister"), ("乙市", "exchange")]
    assert [(a.kind, a.line) for a in anomalies] == [("damaged_line", 4)]


@pytest.mark.parametrize("head", ["## 此列表列出中華人民共和國的[友好城市](../Page/友好城市.md)。\n\n## 北京\n<table>",
                                  "## 友好城市\n\n## 北京\n<table>\n"])
def test_sniff_leaves_the_list_page_to_wikimd(head: str) -> None:
    assert SOURCE_FORMAT.sniff(head, Path("x.md")) is False


def test_subject_with_a_list_suffix_finds_its_province(tmp_path: Path) -> None:
    [r], _ = _synthetic(tmp_path, "大连市友好城市", "## 友好城市\n\n  - [北九州市](../Page/北九州市.md \"wikilink\")\n")
    assert (r.cn_name, r.section) == ("大连市", "辽宁省")
