"""The read layer shared by the CLI and the API."""

from __future__ import annotations

from pathlib import Path

import pytest

from youcheng import NotFound, Registry, UsageError, query
from youcheng.query import Filters, select_records

from .expected import (SEED_BY_COUNTRY, SEED_BY_SECTION, SEED_FIRST_YEAR, SEED_PROVINCE_LEVEL_ROWS,
                       SEED_RELATIONSHIPS, WUHAN_ROWS, seed_rows)


def test_partners_of_chinese_place(registry: Registry) -> None:
    records = registry.partners("洛陽市")
    assert [(r.partner_name, r.country, r.date) for r in records] == [
        ("岡山市", "JP", "1981-04-06"), ("圖爾", "FR", "1982-12-12"), ("普洛夫迪夫", "BG", "1994-08-01"),
        ("拉克羅斯", "US", "1997-10-21"), ("陶裏亞蒂", "RU", "2000-04-25")]


def test_partners_of_accepts_other_script(registry: Registry) -> None:
    assert [r.id for r in registry.partners("洛阳市")] == [r.id for r in registry.partners("洛陽市")]


def test_partners_of_foreign_place_gives_chinese_side(registry: Registry) -> None:
    assert sorted(r.cn_name for r in registry.partners("比什凱克")) == ["烏魯木齊市", "銀川市"]


def test_partners_of_unknown_place_raises(registry: Registry) -> None:
    with pytest.raises(NotFound, match=f"this registry holds {SEED_RELATIONSHIPS} relationships"):
        registry.partners("不存在市")


def test_search_two_character_chinese(registry: Registry) -> None:
    hits = registry.search("武汉")
    assert hits[0].name == "武漢市" and hits[0].partnerships == WUHAN_ROWS


def test_search_single_character_and_case(registry: Registry) -> None:
    assert "東京" in [h.name for h in registry.search("东", limit=100)]


def test_search_empty_text_is_usage_error(registry: Registry) -> None:
    with pytest.raises(UsageError):
        registry.search("  ")


def test_stats_by_country_year_province(registry: Registry) -> None:
    by_country = {row.key: row.count for row in registry.stats("country")}
    assert by_country == SEED_BY_COUNTRY
    years = [row.key for row in registry.stats("year") if row.key]
    assert years == sorted(years) and years[0] == SEED_FIRST_YEAR
    assert {row.key: row.count for row in registry.stats("province")}["河南省"] == SEED_BY_SECTION["河南"]
    assert {row.key: row.count for row in registry.stats("level")}["province"] == SEED_PROVINCE_LEVEL_ROWS


def test_stats_rejects_unknown_dimension(registry: Registry) -> None:
    with pytest.raises(UsageError, match="cannot group by"):
        registry.stats("colour")


def test_select_records_filters_combine(registry: Registry) -> None:
    total, page = select_records(registry.conn, Filters(country="jp", year_from=1990, year_to=1999),
                                 limit=5)
    assert total == seed_rows(country="JP", years=range(1990, 2000)) and len(page) == 5
    assert all(r.country == "JP" and r.date and "1990" <= r.date[:4] <= "1999" for r in page)


@pytest.mark.parametrize(("limit", "offset"), [(-1, 0), (10**9, 0), (5, -3)])
def test_select_records_rejects_bad_paging(registry: Registry, limit: int, offset: int) -> None:
    with pytest.raises(UsageError):
        select_records(registry.conn, Filters(), limit=limit, offset=offset)


@pytest.mark.parametrize("name", ["武汉", "武漢", "武漢市", "wuhan", "Wuhan", "ＷＵＨＡＮ", "匹兹堡", "匹茲堡", "cn:420100"])
def test_place_ids_the_same_in_any_script(registry: Registry, name: str) -> None:
    from youcheng.query_places import place_ids

    assert place_ids(registry.conn, name) == place_ids(registry.conn, "武汉市" if "匹" not in name else "匹兹堡") != []


def test_a_simplified_name_is_looked_up_without_loading_opencc(seed_db: Path) -> None:
    import subprocess
    import sys

    def run(name: str) -> list[str]:
        code = ("import sys; from pathlib import Path; from youcheng import Registry\n"
                f"reg = Registry.open(Path({str(seed_db)!r}))\n"
                f"print(sorted(r.partner_name or '' for r in reg.partners({name!r})))\n"
                "print('opencc' in sys.modules)")
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True).stdout.splitlines()

    simplified, traditional = run("武汉市"), run("武漢市")
    assert simplified[0] == traditional[0] and "匹茲堡" in simplified[0]
    assert (simplified[1], traditional[1]) == ("False", "True")


def test_each_anomaly_streams_what_anomalies_lists(seed_db: Path) -> None:
    """``check`` prints from the cursor (issue #16): the same anomalies in the same order, read
    by walking the (source, line) index, with no sort before the first row."""
    from youcheng.database import connect_readonly

    conn = connect_readonly(seed_db)
    try:
        assert list(query.each_anomaly(conn)) == query.anomalies(conn)
        plan = " ".join(str(tuple(r)) for r in conn.execute("EXPLAIN QUERY PLAN " + query._ANOMALIES_SQL))
        assert "anomalies_source_line" in plan and "TEMP B-TREE" not in plan
    finally:
        conn.close()
