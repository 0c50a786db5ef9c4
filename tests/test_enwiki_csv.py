"""The en.wikipedia twin-town CSV (format ``enwiki-csv``) and the English-name lookup behind it.

Line numbers are the package copy's (data/sources/enwiki-twincities/twin_cities_raw.csv,
header = line 1); records and anomalies are pinned from reading that file.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from youcheng import Registry, config
from youcheng.errors import ParseError, SourceError
from youcheng.model import Anomaly, RawPartnership
from youcheng.resolve.china_en import english_names
from youcheng.resolve.fold import latin_key
from youcheng.sources import format_of, formats, read_page
from youcheng.sources.base import sniff_head
from youcheng.sources.enwiki_csv import SOURCE_FORMAT, header_columns, partner_key

CSV = config.data_dir() / "sources" / "enwiki-twincities" / "twin_cities_raw.csv"
HEADER = "city1,country1,city2,country2\n"
Items = list[RawPartnership | Anomaly]


@pytest.fixture(scope="module")
def items() -> Items:
    return list(read_page(CSV))


@pytest.fixture(scope="module")
def records(items: Items) -> list[RawPartnership]:
    return [i for i in items if isinstance(i, RawPartnership)]


@pytest.fixture(scope="module")
def anomalies(items: Items) -> list[Anomaly]:
    return [i for i in items if isinstance(i, Anomaly)]


def _at(found: Items, line: int) -> RawPartnership | Anomaly:
    [item] = [i for i in found if i.line == line]
    return item


def _read(tmp_path: Path, text: str) -> Items:
    path = tmp_path / "pairs.csv"
    path.write_text(text, encoding="utf-8")
    return list(read_page(path))


def _fields(r: RawPartnership | Anomaly) -> tuple[object, ...]:
    assert isinstance(r, RawPartnership)
    return (r.section, r.cn_name, r.partner_name, r.country_text, r.date, r.tier)


# -- the real file -------------------------------------------------------------------

def test_counts_of_the_real_file(items: Items, records: list[RawPartnership],
                                 anomalies: list[Anomaly]) -> None:
    assert len(records) == 1773
    assert Counter(r.tier for r in records) == {"sister": 1773}
    assert Counter(a.kind for a in anomalies) == {
        "duplicate_pair": 95, "ambiguous_cn_place": 43, "unresolved_cn_place": 5, "skipped_row": 1}
    # Every one of the 1,916 rows naming China is a record or one anomaly.
    rows = [i for i in items if not (isinstance(i, Anomaly) and i.kind == "skipped_row")]
    assert len(rows) == len({i.line for i in rows}) == 1916
    assert [i.line for i in items] == sorted(i.line for i in items)
    assert len({r.cn_name for r in records}) == 396


def test_rows_without_china_are_counted_once(anomalies: list[Anomaly]) -> None:
    [summary] = [a for a in anomalies if a.kind == "skipped_row"]
    assert (summary.line, summary.severity) == (1, "info")
    assert summary.message.startswith("24198 rows name no place of the People's Republic of China, "
                                      "239 of them in Taiwan")


def test_china_in_the_first_column(items: Items) -> None:
    r = _at(items, 18)
    assert _fields(r) == ("甘肃省", "兰州市", "Fier", "Albania", None, "sister")
    assert isinstance(r, RawPartnership)
    assert (r.cn_links, r.partner_links, r.cn_line, r.date_text) == ((), (), 18, None)
    assert r.extra == (("cn_name_en", "Lanzhou"), ("cn_code", "620100"), ("listed_in", "Albania"))


def test_china_in_the_second_column(items: Items) -> None:
    r = _at(items, 210)
    assert _fields(r) == ("上海市", "上海市", "Rosario", "Argentina", None, "sister")
    assert isinstance(r, RawPartnership) and ("listed_in", "Argentina") in r.extra


def test_district_of_a_municipality_and_a_partner_district(items: Items) -> None:
    r = _at(items, 10944)  # Berlin – Mitte,Germany,Chaoyang (Beijing),China
    assert _fields(r) == ("北京市", "朝阳区", "Berlin – Mitte", "Germany", None, "sister")
    assert isinstance(r, RawPartnership) and ("cn_name_en", "Chaoyang (Beijing)") in r.extra


@pytest.mark.parametrize(("line", "cn_name", "section", "partner"), [
    (5036, "苏州市", "江苏省", "Esbjerg"),           # "Suzhou, Jiangsu"
    (5425, "宿州市", "安徽省", "Padang"),            # "Suzhou, Anhui"
    (5057, "吴江区", "江苏省", "Bourgoin-Jallieu"),  # Suzhou – Wujiang
    (4783, "澳门特别行政区", "澳门特别行政区", "Coimbra"),
    (4959, "上海市", "上海市", "Osaka"),
    (4618, "海拉尔区", "内蒙古自治区", "Chita"),     # Hulunbuir – Hailar
])
def test_english_names_become_divisions(items: Items, line: int, cn_name: str, section: str,
                                        partner: str) -> None:
    r = _at(items, line)
    assert isinstance(r, RawPartnership)
    assert (r.cn_name, r.section, r.partner_name) == (cn_name, section, partner)


def test_ambiguous_name_lists_candidates_and_is_not_guessed(items: Items) -> None:
    a = _at(items, 4425)  # Fuzhou,China,Georgetown,Guyana
    assert isinstance(a, Anomaly)
    assert (a.kind, a.severity) == ("ambiguous_cn_place", "warning")
    assert "福州市 (福建省, 350100)" in a.message and "抚州市 (江西省, 361000)" in a.message


def test_unknown_name_is_an_anomaly(items: Items) -> None:
    a = _at(items, 25913)  # Tianjin Free-Trade Zone
    assert isinstance(a, Anomaly) and a.kind == "unresolved_cn_place"
    assert "zone" in a.message and "Greenville" in a.message


def test_pair_from_both_pages_is_one_statement(items: Items) -> None:
    first, repeat = _at(items, 5043), _at(items, 505)  # "Suzhou, Jiangsu"–Logan and Logan–Suzhou
    assert isinstance(first, RawPartnership) and first.cn_name == "苏州市"
    assert isinstance(repeat, Anomaly) and (repeat.kind, repeat.severity) == ("duplicate_pair", "info")
    assert "line 5043" in repeat.message
    # Spelt differently on the two pages: "Ipswich" stays two (England and Australia),
    # "Gangdong (Seoul)" = "Seoul – Gangdong", "Washington D.C." = "Washington, D.C.".
    assert isinstance(_at(items, 25667), Anomaly)


def test_shanghai_has_many_partners(records: list[RawPartnership]) -> None:
    partners = {r.partner_name for r in records if r.cn_name == "上海市"}
    assert len(partners) >= 60


def test_the_build_resolves_the_chinese_side(tmp_path: Path) -> None:
    rows = [HEADER.strip(), "Shanghai,China,Osaka,Japan", "Lyon,France,Guangzhou,China",
            "Chaoyang (Changchun),China,Yangcheon (Seoul),South Korea", "Xi'an,China,Edinburgh,Scotland"]
    path = tmp_path / "pairs.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    Registry.build([path], tmp_path / "r.db")
    with Registry.open(tmp_path / "r.db") as reg:
        found = {r.cn_name: r.cn_id for name in ("上海", "广州", "朝阳区", "西安")
                 for r in reg.partners(name)}
    assert found == {"上海市": "cn:310000", "广州市": "cn:440100", "朝阳区": "cn:220104",
                     "西安市": "cn:610100"}


# -- layouts and damage -----------------------------------------------------------------

def test_domestic_pair_in_both_orders_is_one_record(tmp_path: Path) -> None:
    found = _read(tmp_path, HEADER + "Suzhou – Wujiang,China,Xi'an,China\n"
                  "Xi'an,China,Wujiang (Suzhou),China\n")
    r, repeat = found
    assert _fields(r) == ("江苏省", "吴江区", "Xi'an", "China", None, "domestic")
    assert isinstance(r, RawPartnership) and ("partner_cn_name", "西安市") in r.extra
    assert isinstance(repeat, Anomaly) and repeat.kind == "duplicate_pair"


def test_hong_kong_and_macau_as_countries_taiwan_not(tmp_path: Path) -> None:
    found = _read(tmp_path, HEADER + "Hong Kong,Hong Kong,Sydney,Australia\n"
                  "Macau,Macau,Lisbon,Portugal\nTaipei,Taiwan,Sendai,Japan\n"
                  "Kowloon,Hong Kong,Perth,Australia\n")
    seen = [(i.line, i.cn_name if isinstance(i, RawPartnership) else i.kind) for i in found]
    assert seen == [(1, "skipped_row"), (2, "香港特别行政区"), (3, "澳门特别行政区"),
                    (5, "unresolved_cn_place")]


def test_country_suffix_moves_out_of_the_city(tmp_path: Path) -> None:
    found = _read(tmp_path, HEADER + 'Ningbo,China,"Varna, Bulgaria",\n'
                  '"Kusatsu, Shiga",Japan,"Shanghai, China",China\n')
    assert _fields(found[0]) == ("浙江省", "宁波市", "Varna", "Bulgaria", None, "sister")
    assert _fields(found[1]) == ("上海市", "上海市", "Kusatsu, Shiga", "Japan", None, "sister")


def test_other_columns_are_kept_by_side(tmp_path: Path) -> None:
    found = _read(tmp_path, "city1,country1,lat1,lng1,city2,country2,lat2,lng2\n"
                  "Aachen,Germany,50.77,6.08,Ningbo,China,29.86,121.62\n")
    [r] = found
    assert isinstance(r, RawPartnership) and r.partner_name == "Aachen"
    assert r.extra[-4:] == (("partner_lat", "50.77"), ("partner_lng", "6.08"), ("cn_lat", "29.86"),
                            ("cn_lng", "121.62"))


def test_damaged_rows_are_anomalies(tmp_path: Path) -> None:
    path = tmp_path / "pairs.csv"
    path.write_bytes((HEADER + "Shanghai,China,Osaka\nShanghai,China,Osaka,Japan,x\n"
                      'Shanghai,China,"Os"aka,Japan\nShanghai,China,,Japan\n' + HEADER
                      + "\n").encode() + b"Wuhan,China,Bordeaux\xff,France\n")
    found = list(read_page(path))
    assert [(i.line, i.kind if isinstance(i, Anomaly) else "record") for i in found] == [
        (2, "damaged_line"), (3, "extra_cells"), (4, "damaged_line"), (5, "no_partner"),
        (6, "skipped_row"), (8, "damaged_line"), (8, "record")]


def test_truncated_file_reports_its_last_row(tmp_path: Path) -> None:
    found = _read(tmp_path, HEADER + "Shanghai,China,Osaka,Japan\nWuhan,China,Bord")
    assert [(i.line, type(i).__name__) for i in found] == [(2, "RawPartnership"), (3, "Anomaly")]


@pytest.mark.parametrize("text", ["", "\n\n  \n"])
def test_empty_file_is_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(SourceError):
        _read(tmp_path, text)


def test_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pairs.csv"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(SourceError):
        list(read_page(path))


def test_file_without_header_is_refused_when_forced(tmp_path: Path) -> None:
    path = tmp_path / "pairs.csv"
    path.write_text("Shanghai,China,Osaka,Japan\n", encoding="utf-8")
    with pytest.raises(ParseError):
        list(read_page(path, fmt="enwiki-csv"))


# -- sniff ------------------------------------------------------------------------------

def test_sniff_claims_only_the_csv() -> None:
    assert format_of(CSV) == "enwiki-csv"
    others = [config.seed_path(), *sorted((config.data_dir() / "sources").rglob("*.wikitext")),
              *sorted((config.data_dir() / "sources").rglob("*.md")),
              *sorted(config.data_dir().glob("*.csv")), config.data_dir() / "sources" / "catalog.csv"]
    assert len(others) > 10
    for path in others:
        assert not SOURCE_FORMAT.sniff(sniff_head(path), path), path
    head = sniff_head(CSV)
    assert [f.name for f in formats() if f.sniff(head, CSV)] == ["enwiki-csv"]


@pytest.mark.parametrize(("header", "claimed"), [
    ("city1,country1,city2,country2", True),
    ("city1,country1,lat1,lng1,city2,country2,lat2,lng2", True),
    ("City A,Country A,City B,Country B", True),
    ("country2,city2,country1,city1", True),
    ("city1,country1,city2", False),
    ("city1,city1,city2,country2", False),
    ("city1,country1,city2,country2,the partner's page (en)", False),
    ("| city1 | country1 | city2 | country2 |", False),
    ("## city1,country1,city2,country2", False),
    ("code,name,pinyin,lat,lon,source", False),
])
def test_sniff_headers(header: str, claimed: bool) -> None:
    assert SOURCE_FORMAT.sniff(header + "\nShanghai,China,Osaka,Japan", Path("x.csv")) is claimed


def test_header_columns_in_any_order() -> None:
    cols = header_columns(["country2", "city2", "country1", "city1"])
    assert cols is not None and (cols.city, cols.country) == ((3, 1), (2, 0))


# -- the English-name lookup ---------------------------------------------------------------

@pytest.mark.parametrize(("written", "code"), [
    ("Xi'an", "610100"), ("Xian", "610100"), ("XI AN", "610100"), ("Chaoyang", "211300"),
    ("Chaoyang (Beijing)", "110105"), ("Jilin City", "220200"), ("Jilin", "220000"),
    ("Guangdong Province", "440000"), ("Dali Bai", "532900"), ("Dali City", "532901"),
    ("Guangxi Zhuang Autonomous Region", "450000"), ("Harbin – Daoli", "230102"),
    ("Changzhi", "140400"), ("Minhang (Shanghai)", "310112"), ("Ürümqi", "650100"),
    ("Urumqi", "650100"), ("Shaanxi", "610000"), ("Shanxi", "140000"), ("Macao", "820000"),
    ("Laiwu (Jinan)", "371200"), ("Pudong (Shanghai)", "310115"), ("蘇州市", "320500"),
    ("Shanghai, China", "310000"), ("Enshi (city)", "422801"), ("Tang County", "130627"),
])
def test_resolved_english_names(written: str, code: str) -> None:
    found = english_names().match(written)
    assert found.status == "resolved" and found.division is not None
    assert found.division.code == code


@pytest.mark.parametrize(("written", "codes"), [
    ("Suzhou", {"320500", "341300"}), ("Taizhou", {"321200", "331000"}),
    ("Fuzhou", {"350100", "361000"}), ("Rongcheng", {"130629", "371082", "445202"}),
])
def test_ambiguous_english_names(written: str, codes: set[str]) -> None:
    found = english_names().match(written)
    assert found.status == "ambiguous" and found.division is None
    assert {d.code for d in found.candidates} == codes


@pytest.mark.parametrize("written", ["Xihanggang Subdistrict (Chengdu)", "Hangu (Tianjin)",
                                     "Atlantis", "", "China", "Bai"])
def test_unresolved_english_names(written: str) -> None:
    found = english_names().match(written)
    assert found.status == "unresolved" and found.reason


def test_partner_keys() -> None:
    assert partner_key("Gangdong (Seoul)") == partner_key("Seoul – Gangdong") == ("gangdong", "seoul")
    assert partner_key("Ōsaka") == ("osaka", "")
    assert partner_key("Siegen-Wittgenstein (district)") == ("siegenwittgenstein", "")
    assert latin_key("Xi'an") == latin_key("XIAN")


# -- fuzz -------------------------------------------------------------------------------

_SAMPLE = CSV.read_bytes().split(b"\n")[:1] + [
    line for line in CSV.read_bytes().split(b"\n")[1:] if b"China" in line][:60]
_JUNK = [b",", b'"', b"\n", b"\x00", b"\xff", b"China", b" (", b")", b" \xe2\x80\x93 ", b"\r",
         b"city1,country1,city2,country2", b"Taiwan", b"Hong Kong", b"\xef\xbb\xbf"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.data())
def test_fuzzed_files_drop_nothing_silently(tmp_path: Path, data: st.DataObject) -> None:
    lines = list(_SAMPLE)
    for _ in range(data.draw(st.integers(0, 8))):
        index = data.draw(st.integers(0, len(lines) - 1))
        line = lines[index]
        at = data.draw(st.integers(0, len(line)))
        action = data.draw(st.sampled_from(["insert", "cut", "drop", "double"]))
        if action == "insert":
            lines[index] = line[:at] + data.draw(st.sampled_from(_JUNK)) + line[at:]
        elif action == "cut":
            lines[index] = line[:at]
        elif action == "drop" and len(lines) > 1:
            del lines[index]
        else:
            lines.insert(index, line)
    path = tmp_path / "fuzzed.csv"
    path.write_bytes(b"\n".join(lines))
    try:
        found = list(read_page(path))
    except SourceError:
        return
    raw = path.read_bytes().decode("utf-8", errors="replace").split("\n")
    lines_seen = [(n, t) for n, t in enumerate(raw, 1) if t.replace("\x00", "").strip()]
    header = lines_seen[0][0]
    data_lines = {n for n, _ in lines_seen} - {header}
    summary = [i for i in found if isinstance(i, Anomaly) and i.kind == "skipped_row"
               and "rows name no place" in i.message]
    skipped = int(summary[0].message.split()[0]) if summary else 0
    assert all(i.line == header for i in summary)
    # A damaged line (NUL bytes, invalid UTF-8) is reported as such whatever its row then says:
    # a row read, reported, or counted in the summary of rows outside China (found by the fuzz
    # test: a NUL before a row whose partner has no country was both, and counted once here).
    damaged_bytes = ("NUL bytes removed", "invalid UTF-8 replaced with U+FFFD")  # sources/_reader.py's
    covered = {i.line for i in found if i not in summary
               and not (isinstance(i, Anomaly) and i.kind == "damaged_line" and i.message.startswith(damaged_bytes))}
    assert covered <= data_lines | {header}
    assert len(data_lines - covered) == skipped


def test_a_damaged_row_outside_china_is_reported_and_counted(tmp_path: Path) -> None:
    """Found by the fuzz test: a NUL before a row whose partner has no country. The damaged
    bytes are one anomaly of the line; the row, naming no place of the PRC, is counted in the
    summary of rows not read, like any other such row."""
    path = tmp_path / "nul.csv"
    path.write_bytes(b"\n".join([_SAMPLE[0], b"\x00Perth,Australia,Chengdu,"]))
    found = [i for i in read_page(path) if isinstance(i, Anomaly)]
    assert [(a.line, a.kind) for a in found] == [(1, "skipped_row"), (2, "damaged_line")]
    assert found[0].message.startswith("1 rows name no place") and found[1].message == "NUL bytes removed"
