"""Parser tests pinned on the seed page's awkward rows (line numbers are the seed's)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from youcheng.errors import ParseError, SourceError
from youcheng.model import Anomaly, Link, PartialDate, RawPartnership
from youcheng.sources import read_page

from .conftest import write_page
from .expected import SEED_BY_SECTION, SEED_PAGE_ANOMALY_LINES, SEED_ROWS


def _at(records: list[RawPartnership], line: int) -> RawPartnership:
    [record] = [r for r in records if r.line == line]
    return record


def _parse(path: Path) -> tuple[list[RawPartnership], list[Anomaly]]:
    items = list(read_page(path))
    return ([i for i in items if isinstance(i, RawPartnership)],
            [i for i in items if isinstance(i, Anomaly)])


def test_parse_page_counts_every_section(seed_records: list[RawPartnership]) -> None:
    """Counts of the independent gold extraction (tests/fixtures/seed_gold.tsv)."""
    assert Counter(r.section for r in seed_records) == SEED_BY_SECTION
    assert len(seed_records) == SEED_ROWS


def test_parse_page_first_html_row_opens_chinese_place(seed_records: list[RawPartnership]) -> None:
    r = _at(seed_records, 9)
    assert (r.section, r.cn_name, r.partner_name, r.partner_link) == ("北京", "北京市", "東京", "東京")
    assert r.date == PartialDate(1979, 3, 14) and r.date.iso() == "1979-03-14"
    assert r.country_text is None


def test_parse_page_flattened_rowspan_continues_chinese_place(seed_records: list[RawPartnership]) -> None:
    r = _at(seed_records, 13)
    assert (r.cn_name, r.partner_name, r.date.iso() if r.date else None) == ("北京市", "紐約", "1980-02-25")
    assert r.cn_line == 8


def test_parse_page_html_cell_with_two_links(seed_records: list[RawPartnership]) -> None:
    r = [r for r in seed_records if r.partner_name == "東京都新宿區"][0]
    assert r.cn_name == "東城區" and r.cn_link == "東城區 (北京市)"
    assert r.partner_links == (Link("東京都", "東京都"), Link("新宿區", "新宿區"))
    assert r.partner_link == "新宿區"


def test_parse_page_link_text_differs_from_target(seed_records: list[RawPartnership]) -> None:
    elpaso = [r for r in seed_records if r.partner_name == "埃爾帕索"][0]
    assert elpaso.partner_link == "厄爾巴索" and elpaso.cn_name == "包头市"
    nanyang = [r for r in seed_records if r.partner_name == "南阳"][0]
    assert nanyang.partner_link == "南陽市 (日本)" and nanyang.cn_name == "南陽市"


def test_parse_page_drops_leading_colon_in_target(seed_records: list[RawPartnership]) -> None:
    r = [r for r in seed_records if r.partner_name == "普罗夫迪夫州"][0]
    assert r.partner_link == "普羅夫迪夫州"


def test_parse_page_macau_table_uses_header_and_section(seed_records: list[RawPartnership]) -> None:
    macau = [r for r in seed_records if r.section == "澳門"]
    assert [r.partner_name for r in macau] == [
        "里斯本", "波爾圖", "科英布拉", "林雪平", "普拉亞", "布魯塞爾", "峴港", "三藩市"]
    assert all(r.cn_name == "澳門" and r.date is None and r.country_text is None for r in macau)
    assert [r.note for r in macau][-3:] == ["友好協約書", "友好協議", "文化備忘錄"]
    assert macau[0].line == 218


def test_parse_page_pipe_row(seed_records: list[RawPartnership]) -> None:
    r = [r for r in seed_records if r.partner_name == "岡山市"][0]
    assert (r.section, r.cn_name, r.country_text, r.country_link) == ("河南", "洛陽市", "日本", "日本")
    assert r.date is not None and r.date.iso() == "1981-04-06"


def test_parse_page_pipe_blank_first_column_continues(seed_records: list[RawPartnership]) -> None:
    r = [r for r in seed_records if r.partner_name == "圖爾"][0]
    assert r.cn_name == "洛陽市" and r.cn_line == r.line - 1


def test_parse_page_chinese_cell_with_plain_text_and_link(seed_records: list[RawPartnership]) -> None:
    r = [r for r in seed_records if r.partner_name == "新見市"][0]
    assert r.cn_name == "信陽市溮河區" and r.cn_link == "溮河區"


def test_parse_page_chinese_cell_with_two_links(seed_records: list[RawPartnership]) -> None:
    r = [r for r in seed_records if r.partner_name == "鹿角市"][0]
    assert r.cn_name == "武威市涼州區" and [link.target for link in r.cn_links] == ["武威市", "涼州區"]


def test_parse_page_partner_with_three_links(seed_records: list[RawPartnership]) -> None:
    r = [r for r in seed_records if r.partner_name == "京畿道烏山市"][0]
    assert r.country_text == "韓國" and r.partner_link == "烏山市"


def test_parse_page_country_only_row_is_record_and_anomaly(
    seed_records: list[RawPartnership], seed_anomalies: list[Anomaly]
) -> None:
    r = _at(seed_records, 657)
    assert (r.cn_name, r.partner_name, r.partner_link, r.country_text) == ("岳陽市", None, None, "澳大利亞")
    assert r.date is not None and r.date.iso() == "1998-11-28"
    assert [(a.line, a.kind) for a in seed_anomalies if a.line == 657] == [(657, "no_partner_place")]


def test_parse_page_placeholder_rows_are_anomalies_not_records(
    seed_records: list[RawPartnership], seed_anomalies: list[Anomaly]
) -> None:
    assert not [r for r in seed_records if 748 <= r.line <= 756]
    placeholders = [a.line for a in seed_anomalies if a.kind == "placeholder"]
    assert placeholders == list(range(748, 757))


def test_parse_page_partial_dates(seed_records: list[RawPartnership]) -> None:
    year = [r for r in seed_records if r.partner_name == "惠庭市"][0]
    month = [r for r in seed_records if r.partner_name == "亨切什蒂"][0]
    assert (year.date.iso() if year.date else None, year.date.precision if year.date else None) == ("1986", "year")
    assert (month.date.iso() if month.date else None, month.date.precision if month.date else None) == ("2013-12", "month")


def test_parse_page_keeps_country_typo_as_written(seed_records: list[RawPartnership]) -> None:
    r = [r for r in seed_records if r.partner_name == "阿爾及爾省"][0]
    assert r.country_text == "阿爾及利亞大" and r.country_link == "阿爾及利亞"


def test_parse_page_link_with_escaped_parentheses(seed_records: list[RawPartnership]) -> None:
    r = [r for r in seed_records if r.partner_name == "中央 (大區)"][0]
    assert r.partner_link == "中央 (大區)" and r.note is None


def test_parse_page_seed_anomalies_are_exactly_known(seed_anomalies: list[Anomaly]) -> None:
    assert sorted((a.kind, a.line) for a in seed_anomalies) == SEED_PAGE_ANOMALY_LINES


def test_parse_page_rejects_text_without_tables(tmp_path: Path) -> None:
    page = write_page(tmp_path, "# 標題\n\n只是一段文字。\n")
    with pytest.raises(ParseError, match="no source format reads this file"):
        _parse(page)
    with pytest.raises(ParseError, match="not a sister-city list page"):
        list(read_page(page, fmt="wikimd"))  # read as the list page anyway: it says what is missing


def test_parse_page_rejects_empty_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="is empty"):
        _parse(write_page(tmp_path, ""))


def test_parse_page_rejects_binary_file(tmp_path: Path) -> None:
    page = tmp_path / "blob.bin"
    page.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(SourceError, match="binary file"):
        _parse(page)


def test_parse_page_reports_invalid_date(tmp_path: Path) -> None:
    page = write_page(tmp_path, "## 河南\n\n| | |\n|--:|---|\n"
                      "| 〖[洛陽市](../Page/洛陽市.md \"wikilink\")〗- | | <small>[日本](../Page/日本.md \"wikilink\")"
                      "[岡山市](../Page/岡山市.md \"wikilink\")（9999年99月99日） |\n")
    records, anomalies = _parse(page)
    assert [(r.partner_name, r.date, r.date_text) for r in records] == [("岡山市", None, "9999年99月99日")]
    assert [(a.line, a.kind) for a in anomalies] == [(5, "invalid_date")]


def test_parse_page_reports_invalid_utf8_line(tmp_path: Path) -> None:
    page = tmp_path / "bad.md"
    page.write_bytes("## 河南\n\n| | |\n|--:|---|\n".encode() + b"| \xff\xfe broken |\n")
    records, anomalies = _parse(page)
    assert records == []
    assert (5, "damaged_line") in [(a.line, a.kind) for a in anomalies]


def test_parse_page_html_row_without_chinese_place(tmp_path: Path) -> None:
    page = write_page(tmp_path, "## 北京\n<table>\n<tr>\n<td><p><a href=\"../Page/紐約.md\">紐約</a></p></td>\n"
                      "<td><p>1980年2月25日</p></td>\n<td></td>\n</tr>\n</table>\n")
    records, anomalies = _parse(page)
    assert records == []
    assert [(a.line, a.kind) for a in anomalies] == [(4, "skipped_row")]


def test_parse_page_reports_unread_prose_in_section(tmp_path: Path) -> None:
    page = write_page(tmp_path, "## 河南\n\n另見[鄭州市](../Page/鄭州市.md)。\n\n| | |\n|--:|---|\n"
                      "| 〖[鄭州市](../Page/鄭州市.md)〗- | | <small>[日本](../Page/日本.md)[浦和市](../Page/浦和市.md)（1981年10月21日） |\n")
    records, anomalies = _parse(page)
    assert len(records) == 1
    assert [(a.line, a.kind) for a in anomalies] == [(3, "unread_line")]
