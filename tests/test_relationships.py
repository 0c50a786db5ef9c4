"""Relationships and attestations (issue #14): one relationship per pair of places, every
source that attests it, the rule that picks its values, conflicts and statuses."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from youcheng import Registry, config, query
from youcheng.build import build_registry
from youcheng.catalog import default_sources
from youcheng.relationships import (Attestation, Choice, apply_statuses, conflicts, dates_agree, read_statuses,
                                    relationship_id, select_relationships)

from .expected import SEED_RELATIONSHIPS, SEED_ROWS, WUHAN_ROWS

WUHAN_PAGE = config.data_dir() / "sources" / "zhwiki" / "武汉市.md"  # the package's copy of shared/sources/zhwiki
WUHAN = "cn:420100"


@pytest.fixture(scope="module")
def wuhan_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert WUHAN_PAGE.is_file(), f"{WUHAN_PAGE} is missing: the package ships it (data/sources/zhwiki)"
    db = tmp_path_factory.mktemp("wuhan") / "wuhan.db"
    Registry.build([config.seed_path(), WUHAN_PAGE], db)
    return db


@pytest.fixture(scope="module")
def default_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("default") / "default.db"
    build_registry(None, db)
    return db


def _att(source: str, line: int, date: str | None, precision: str | None, fmt: str = "wikitext",
         country: str | None = "US", tier: str = "sister") -> Attestation:
    year = int(date[:4]) if date else None
    return Attestation(f"{source}:{line}", source, line, fmt, tier, "武汉市", "匹兹堡", country, None, date,
                       precision, date, year, None)


def test_wuhan_pittsburgh_is_one_relationship_with_two_attestations_and_a_date_conflict(wuhan_db: Path) -> None:
    with sqlite3.connect(wuhan_db) as conn:
        rows = conn.execute(
            "SELECT DISTINCT r.id, r.attestations, r.date, r.conflicts FROM relationships r"
            " JOIN partnerships p ON p.relationship_id = r.id"
            " WHERE r.cn_id = ? AND p.partner_name LIKE '%匹%堡%'", (WUHAN,)).fetchall()
        assert len(rows) == 1
        rid, attestations, date, found = rows[0]
        assert attestations == 2
        dates = sorted(r[0] for r in conn.execute(
            "SELECT date FROM partnerships WHERE relationship_id = ?", (rid,)))
        assert dates == ["1982-09-08", "1982-09-17"]
        assert date == "1982-09-08"  # both are day-precise: the city page outranks the national list
        assert '"field": "date"' in found and "1982-09-17" in found and "1982-09-08" in found


def test_wuhan_counts_distinct_partners_not_rows(wuhan_db: Path) -> None:
    with sqlite3.connect(wuhan_db) as conn:
        relationships = conn.execute("SELECT COUNT(*) FROM relationships WHERE cn_id = ?", (WUHAN,)).fetchone()[0]
        rows = conn.execute("SELECT COUNT(*) FROM partnerships WHERE cn_id = ?", (WUHAN,)).fetchone()[0]
        partners = conn.execute(
            "SELECT COUNT(DISTINCT partner_id) FROM partnerships WHERE cn_id = ? AND partner_id IS NOT NULL"
            " AND relationship_id NOT LIKE 's%'", (WUHAN,)).fetchone()[0]
        unmatched = conn.execute("SELECT COUNT(*) FROM partnerships WHERE cn_id = ? AND relationship_id LIKE 's%'",
                                 (WUHAN,)).fetchone()[0]
    assert rows > relationships == partners + unmatched


def test_every_attestation_belongs_to_exactly_one_relationship(default_db: Path) -> None:
    with sqlite3.connect(default_db) as conn:
        orphans = conn.execute("SELECT COUNT(*) FROM partnerships p WHERE NOT EXISTS"
                               " (SELECT 1 FROM relationships r WHERE r.id = p.relationship_id)").fetchone()[0]
        total, attested = conn.execute("SELECT COUNT(*), SUM(attestations) FROM relationships").fetchone()
        rows = conn.execute("SELECT COUNT(*) FROM partnerships").fetchone()[0]
        distinct = conn.execute("SELECT COUNT(DISTINCT id) FROM relationships").fetchone()[0]
        # A relationship's attestations name its places (a domestic pair in either order).
        mixed = conn.execute("SELECT COUNT(*) FROM partnerships p JOIN relationships r ON r.id = p.relationship_id"
                             " WHERE NOT (p.cn_id = r.cn_id AND p.partner_id IS r.partner_id"
                             " OR p.cn_id = r.partner_id AND p.partner_id = r.cn_id)").fetchone()[0]
        unmatched_shared = conn.execute("SELECT COUNT(*) FROM relationships WHERE NOT matched AND attestations > 1"
                                        ).fetchone()[0]
    assert orphans == 0 and mixed == 0 and unmatched_shared == 0
    assert attested == rows and distinct == total < rows


def test_rebuilding_in_another_order_gives_the_same_ids(default_db: Path, tmp_path: Path) -> None:
    other = tmp_path / "reversed.db"
    build_registry(list(reversed(default_sources())), other)
    query = "SELECT id, cn_id, partner_id, relationship_id FROM partnerships ORDER BY id"
    rel_query = "SELECT id, cn_id, partner_id, tier, date, country, conflicts, status FROM relationships ORDER BY id"
    with sqlite3.connect(default_db) as a, sqlite3.connect(other) as b:
        assert a.execute(query).fetchall() == b.execute(query).fetchall()
        assert a.execute(rel_query).fetchall() == b.execute(rel_query).fetchall()


def test_the_id_is_a_hash_of_the_two_places_and_unmatched_statements_stay_apart() -> None:
    assert relationship_id("cn:420100", "gn:5206379", True, "a") == relationship_id("cn:420100", "gn:5206379",
                                                                                 True, "b")
    assert relationship_id("cn:420100", "x:us:foo", False, "a") != relationship_id("cn:420100", "x:us:foo",
                                                                                  False, "b")
    assert relationship_id("cn:420100", None, True, "a").startswith("s")


def test_a_date_agreeing_at_a_lower_precision_is_no_conflict() -> None:
    assert dates_agree("1982", "1982-09-08") and dates_agree("1982-09", "1982-09-08")
    assert not dates_agree("1982-09-17", "1982-09-08") and not dates_agree("1983", "1982-09-08")
    same = [_att("a.wikitext", 1, "1982-09-08", "day"), _att("b.md", 2, "1982", "year", "wikimd"),
            _att("c.csv", 3, None, None, "enwiki-csv")]
    assert conflicts(same) == []
    choice = Choice.of(same)
    assert choice.chosen.date == "1982-09-08"


def test_the_rule_most_precise_date_then_authority_then_source_line() -> None:
    national = _att("list.md", 5, "1982-09-17", "day", "wikimd")
    city = _att("city.wikitext", 9, "1982-09-08", "day", "wikitext")
    vague = _att("other.wikitext", 1, "1982", "year", "wikitext")
    assert Choice.of([national, vague, city]).chosen is city
    assert Choice.of([vague, national]).chosen is national  # a day beats a year, whatever the source
    found = conflicts([national, city])
    assert found == [{"field": "date", "values": [{"value": "1982-09-08", "source": "city.wikitext", "line": 9},
                                                  {"value": "1982-09-17", "source": "list.md", "line": 5}]}]


def test_country_and_tier_disagreements_are_conflicts_and_country_falls_back() -> None:
    first = _att("a.wikitext", 1, "1990", "year", country=None, tier="exchange")
    second = _att("b.md", 2, None, None, "wikimd", country="JP")
    third = _att("c.csv", 3, None, None, "enwiki-csv", country="KR")
    choice = Choice.of([third, second, first])
    assert choice.chosen is first and choice.country == "JP"
    fields = {c["field"]: c["values"] for c in choice.conflicts}
    assert set(fields) == {"country", "tier"}
    assert [v["value"] for v in fields["tier"]] == ["exchange", "sister", "sister"]  # type: ignore[index]


def test_statistics_count_relationships(default_db: Path) -> None:
    with sqlite3.connect(default_db) as conn:
        counted = conn.execute("SELECT SUM(n) FROM stat_counts WHERE dimension = 'country'").fetchone()[0]
        by_tier = dict(conn.execute("SELECT tier, SUM(n) FROM stat_counts WHERE dimension = 'year' GROUP BY tier"))
        relationships = conn.execute("SELECT COUNT(*) FROM relationships").fetchone()[0]
        tiers = dict(conn.execute("SELECT tier, COUNT(*) FROM relationships GROUP BY tier"))
        combos = conn.execute("SELECT SUM(n), MIN(n), SUM(records) FROM partnership_counts").fetchone()
        rows = conn.execute("SELECT COUNT(*) FROM partnerships").fetchone()[0]
    assert counted == relationships and by_tier == tiers
    assert combos == (relationships, 0, rows) and relationships < rows  # a key may keep rows but no relationship


def test_the_seed_alone_still_counts_its_records(seed_db: Path) -> None:
    with sqlite3.connect(seed_db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM partnerships").fetchone()[0] == SEED_ROWS
        relationships = conn.execute("SELECT COUNT(*) FROM relationships").fetchone()[0]
        counted = conn.execute("SELECT SUM(n) FROM stat_counts WHERE dimension = 'country'").fetchone()[0]
    assert counted == relationships == SEED_RELATIONSHIPS


# --- status ---------------------------------------------------------------------------------


def test_every_curated_status_has_a_source_and_names_a_relationship(default_db: Path) -> None:
    rows = read_statuses()
    assert rows and all(r.source for r in rows)
    with sqlite3.connect(default_db) as conn:
        for r in rows:
            found = conn.execute("SELECT status, status_source FROM relationships WHERE cn_id = ? AND partner_id = ?",
                                 (r.cn_id, r.partner_id)).fetchall()
            assert found == [(r.current, r.source)], (r.cn_name, r.partner_name)


def test_nanjing_nagoya_is_suspended_and_luoyang_okayama_active_again(default_db: Path) -> None:
    with sqlite3.connect(default_db) as conn:
        nagoya = conn.execute("SELECT status, status_since, status_until FROM relationships"
                              " WHERE cn_id = 'cn:320100' AND partner_id = 'gn:1856057'").fetchone()
        okayama = conn.execute("SELECT status, status_since, status_until FROM relationships"
                               " WHERE cn_id = 'cn:410300' AND partner_id = 'gn:1854383'").fetchone()
        defaults = conn.execute("SELECT COUNT(*) FROM relationships WHERE status_source IS NULL"
                                " AND status != 'active'").fetchone()[0]
    assert nagoya == ("suspended", "2012-02", None)
    assert okayama == ("active", "2003-04", "2006-03")
    assert defaults == 0


def test_a_status_row_needs_a_source_and_a_known_status() -> None:
    header = "cn_id,partner_id,cn_name,partner_name,status,since,until,note,source\n"
    with pytest.raises(ValueError, match="line 2"):
        read_statuses(header + "cn:1,gn:2,甲,乙,suspended,2012,,,\n")
    with pytest.raises(ValueError, match="line 2"):
        read_statuses(header + "cn:1,gn:2,甲,乙,frozen,2012,,,somewhere\n")


def test_a_status_applies_to_matched_relationships_only() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE relationships (cn_id, partner_id, matched, status DEFAULT 'active', status_since,"
                 " status_until, status_note, status_source)")
    conn.executemany("INSERT INTO relationships (cn_id, partner_id, matched) VALUES (?, ?, ?)",
                     [("cn:1", "gn:2", 1), ("cn:1", "gn:2", 0), ("cn:1", "gn:3", 1)])
    header = "cn_id,partner_id,cn_name,partner_name,status,since,until,note,source\n"
    apply_statuses(conn, read_statuses(header + "cn:1,gn:2,甲,乙,ended,2001,,,a newspaper\n"))
    assert conn.execute("SELECT status, status_source FROM relationships ORDER BY rowid").fetchall() == [
        ("ended", "a newspaper"), ("active", None), ("active", None)]


# --- surfaces -------------------------------------------------------------------------------


def test_check_lists_the_date_conflict(wuhan_db: Path) -> None:
    from typer.testing import CliRunner

    from youcheng.cli import app

    result = CliRunner().invoke(app, ["check", "--db", str(wuhan_db)])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert any(line.endswith(" relationships, 5 whose sources disagree") for line in lines[:2])
    pittsburgh = [line for line in lines if "conflict_date" in line and "匹兹堡" in line]
    assert len(pittsburgh) == 1
    assert "1982-09-08 (武汉市.md:27) ≠ 1982-09-17 (中华人民共和国友好城市列表.md:592)" in pittsburgh[0]


def test_the_api_serves_relationships_their_attestations_and_conflicts(wuhan_db: Path) -> None:
    from fastapi.testclient import TestClient

    from youcheng.api import create_app

    with TestClient(create_app(wuhan_db)) as client:
        page = client.get("/api/relationships", params={"place": "武汉", "limit": 1000}).json()
        assert page["total"] == len(page["items"]) == 28
        [pittsburgh] = [r for r in page["items"] if r["partner_id"] == "gn:5206379"]
        assert pittsburgh["date"] == "1982-09-08" and pittsburgh["sources"] == 2
        assert [a["date_text"] for a in pittsburgh["attestations"]] == ["1982年9月8日", "1982年9月17日"]
        assert {"source", "line", "date", "date_text", "country_text", "note"} <= set(pittsburgh["attestations"][0])
        one = client.get(f"/api/relationships/{pittsburgh['id']}").json()
        assert one == pittsburgh
        assert client.get("/api/relationships/nope").status_code == 404
        conflicts = client.get("/api/conflicts").json()
        assert conflicts["total"] == 5 and pittsburgh["id"] in {r["id"] for r in conflicts["items"]}
        records = client.get("/api/partnerships", params={"place": "武汉", "limit": 1000}).json()
        # The seed's rows of 武漢市 and the 28 of 武汉市.md (tests/test_citymd.py: EXPECTED).
        assert records["total"] == WUHAN_ROWS + 28 and {r["relationship_id"] for r in records["items"]} == {
            r["id"] for r in page["items"]}
        assert client.get("/api/relationships", params={"status": "frozen"}).status_code == 422
        japan = client.get("/api/relationships", params={"country": "JP", "year_from": 1979, "year_to": 1979}).json()
        assert japan["total"] >= 1 and all(r["country"] == "JP" and r["date"].startswith("1979")
                                           for r in japan["items"])


def test_statuses_filter_relationships(default_db: Path) -> None:
    with Registry.open(default_db) as reg:
        total, suspended = reg.relationships(status="suspended")
        assert total == len(suspended) >= 2
        assert {"gn:1856057"} <= {r.partner_id for r in suspended}
        assert reg.relationship(suspended[0].id) == suspended[0]
        assert reg.conflicts() and all(r.conflicts for r in reg.conflicts())
        active, _ = reg.relationships(status="active", limit=0)
        everything, _ = reg.relationships(limit=0)
        assert active + total == everything == len(reg.relationships(limit=None)[1])


def test_a_struck_through_row_makes_its_relationship_suspended_citing_the_line(default_db: Path) -> None:
    with sqlite3.connect(default_db) as conn:
        rows = conn.execute("SELECT r.status, r.status_source FROM relationships r JOIN partnerships p"
                            " ON p.relationship_id = r.id WHERE p.note LIKE '%struck through on the page%'"
                            " AND p.cn_name = '廣東省'").fetchall()
    assert rows and all(status == "suspended" and source.endswith("(struck through on the page)")
                        and "广东省友好城市或姐妹城市列表.wikitext:" in source for status, source in rows)


def test_exports_keep_one_line_per_record_and_one_per_relationship(wuhan_db: Path) -> None:
    import io
    import json

    with Registry.open(wuhan_db) as reg:
        records = io.StringIO()
        assert reg.export(records, "jsonl") == 380
        lines = [json.loads(line) for line in records.getvalue().splitlines()]
        assert all({"relationship_id", "tier", "status"} <= set(line) for line in lines)
        rels = io.StringIO()
        count = reg.export(rels, "jsonl", relationships=True)
        found = [json.loads(line) for line in rels.getvalue().splitlines()]
        assert count == len(found) == len({line["relationship_id"] for line in lines})
        assert sum(len(r["attestations"]) for r in found) == 380
        pittsburgh = [r for r in found if r["partner_id"] == "gn:5206379"]
        assert len(pittsburgh) == 1 and [c["field"] for c in pittsburgh[0]["conflicts"]] == ["date"]
        table = io.StringIO()
        assert reg.export(table, "csv", relationships=True) == count
        geo = io.StringIO()
        assert reg.export(geo, "geojson", relationships=True) == count
        features = json.loads(geo.getvalue())["features"]
        [line] = [f for f in features if f["id"] == pittsburgh[0]["id"]]
        assert line["geometry"]["type"] == "LineString" and len(line["properties"]["attestations"]) == 2


def test_render_writes_the_province_table_with_a_ref_per_source(wuhan_db: Path) -> None:
    from youcheng.errors import UsageError
    from youcheng.render import chinese_date, render
    from youcheng.database import connect_readonly

    assert (chinese_date("1982-09-08"), chinese_date("1982-09"), chinese_date("1982")) == (
        "1982年9月8日", "1982年9月", "1982年")
    conn = connect_readonly(wuhan_db)
    try:
        text = render(conn, "湖北", "wikitext")
        total, found = select_relationships(conn, query.Filters(province="湖北", tier="sister"), limit=None)
        assert text.startswith("== 湖北省 ==\n{| class=\"wikitable\"") and "<references />" in text
        assert text.count("<ref>") == sum(len(r.attestations) for r in found)
        assert text.count("\n|-\n") == total
        [pittsburgh] = [line for line in text.splitlines() if "匹兹堡" in line and line.startswith("| 美国")]
        assert "（1982年9月8日）" in pittsburgh and pittsburgh.count("<ref>") == 2
        assert "武汉市.md, line 27" in pittsburgh and "中华人民共和国友好城市列表.md, line 592" in pittsburgh
        assert "the sources disagree: date: 1982-09-08 (武汉市.md:27), 1982-09-17" in pittsburgh
        markdown = render(conn, "湖北", "markdown")
        assert markdown.startswith("## 湖北省") and markdown.count("[^") == 2 * text.count("<ref>")
        with pytest.raises(UsageError, match="no province"):
            render(conn, "不存在", "wikitext")
        with pytest.raises(UsageError, match="render format"):
            render(conn, "湖北", "html")
    finally:
        conn.close()


def test_diff_lists_added_removed_and_changed_relationships(wuhan_db: Path, seed_db: Path) -> None:
    from youcheng.diff import diff
    from youcheng.database import connect_readonly

    old, new = connect_readonly(seed_db), connect_readonly(wuhan_db)
    try:
        forward, backward = diff(old, new), diff(new, old)
    finally:
        old.close()
        new.close()
    assert forward.removed == [] and backward.added == []
    assert [a[0] for a in forward.added] == [r[0] for r in backward.removed] and len(forward.added) > 0
    [pittsburgh] = [c for c in forward.changed if c.partner_name and "匹兹堡" in c.partner_name]
    assert pittsburgh.fields["date"] == ("1982-09-17", "1982-09-08")
    assert pittsburgh.fields["sources"] == (None, "武汉市.md:27")
    assert any(line.startswith("~ ") and "date: 1982-09-17 → 1982-09-08" in line for line in forward.lines())
    with sqlite3.connect(seed_db) as same:
        assert diff(same, same).lines() == []


def test_render_and_diff_commands(wuhan_db: Path, seed_db: Path) -> None:
    from typer.testing import CliRunner

    from youcheng.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["render", "--province", "湖北", "--format", "markdown", "--db", str(wuhan_db)])
    assert result.exit_code == 0 and result.stdout.startswith("## 湖北省")
    bad = runner.invoke(app, ["render", "--province", "火星", "--db", str(wuhan_db)])
    assert bad.exit_code == 2 and bad.stderr.startswith("Error: no province")
    changed = runner.invoke(app, ["diff", str(seed_db), str(wuhan_db)])
    assert changed.exit_code == 0 and changed.stderr.endswith(" changed\n")
    assert any(line.startswith("+ ") for line in changed.stdout.splitlines())
    missing = runner.invoke(app, ["diff", str(seed_db), str(seed_db.parent / "none.db")])
    assert missing.exit_code == 1 and "Traceback" not in missing.output


def test_the_status_filter_narrows_records_statistics_and_relationships_alike(default_db: Path) -> None:
    """``status`` is one of the filters every surface takes: a record has its relationship's status."""
    with Registry.open(default_db) as reg:
        suspended = query.Filters(status="suspended", tier=query.ALL_TIERS)
        records = list(reg.records(suspended))
        ids = {r.relationship_id for r in records}
        total, rels = reg.relationships(suspended, limit=None)
        assert records and ids == {r.id for r in rels} and total == len(rels) >= 2
        assert all(r.status == "suspended" for r in records)
        assert sum(row.count for row in reg.stats("country", query.ALL_TIERS, suspended)) == total
        active = query.Filters(status="active", tier=query.ALL_TIERS)
        everything = query.Filters(tier=query.ALL_TIERS)
        assert reg.count(active) + reg.count(suspended) == reg.count(everything)
        with pytest.raises(Exception, match="status"):
            reg.count(query.Filters(status="frozen"))


def test_status_in_the_api_and_the_cli(default_db: Path) -> None:
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from youcheng.api import create_app
    from youcheng.cli import app

    client = TestClient(create_app(default_db))
    records = client.get("/api/partnerships", params={"status": "suspended"}).json()
    assert records["total"] >= 2 and {r["status"] for r in records["items"]} == {"suspended"}
    stats = client.get("/api/stats", params={"status": "suspended", "tier": "all"}).json()
    assert stats["total"] == client.get("/api/relationships", params={"status": "suspended"}).json()["total"]
    refused = client.get("/api/partnerships", params={"status": "frozen"})
    assert refused.status_code == 422 and refused.json()["parameter"] == "status"
    runner = CliRunner()
    counted = runner.invoke(app, ["stats", "--by", "country", "--status", "suspended", "--tier", "all",
                                  "--db", str(default_db)])
    assert counted.exit_code == 0 and sum(int(line.split("\t")[1]) for line in counted.stdout.splitlines()) \
        == stats["total"]
    bad = runner.invoke(app, ["stats", "--status", "frozen", "--db", str(default_db)])
    assert bad.exit_code == 2


def test_a_domestic_pair_stated_on_both_cities_pages_is_one_relationship(default_db: Path) -> None:
    """沈阳市's page names 厦门市 and 厦门市's names 沈阳市: one relationship, two attestations."""
    with sqlite3.connect(default_db) as conn:
        rows = conn.execute(
            "SELECT p.relationship_id, p.cn_id, p.partner_id, p.source FROM partnerships p"
            " WHERE p.tier = 'domestic' AND p.cn_name IN ('沈阳市', '厦门市')"
            " AND p.partner_name IN ('沈阳市', '厦门市', '辽宁省沈阳市', '福建省厦门市')").fetchall()
        resolved = conn.execute("SELECT COUNT(*), SUM(partner_id LIKE 'cn:%') FROM partnerships"
                                " WHERE tier = 'domestic'").fetchone()
    assert len(rows) == 2 and len({r[0] for r in rows}) == 1 and len({r[3] for r in rows}) == 2
    assert {rows[0][1], rows[0][2]} == {rows[1][1], rows[1][2]} == {"cn:210100", "cn:350200"}
    # The domestic partners are GB/T 2260 divisions, as the Chinese side is (江苏省南京市 -> cn:320100).
    assert resolved[1] >= 0.95 * resolved[0]
