"""The embedded default registry: every shipped source, every province (issue #13's bar)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from youcheng import Registry, config
from youcheng.catalog import catalog, default_sources

from .expected import SEED_ROWS


@pytest.fixture(scope="module")
def default_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("default") / "default.db"
    Registry.build(None, db)
    return db


def test_every_catalogued_file_is_a_source(default_db: Path) -> None:
    with Registry.open(default_db) as reg:
        built = {s.name: s for s in reg.sources()}
    assert set(built) == {s.name for s in default_sources()}
    # Every catalogued format but the city Markdown, whose pages all ship as wikitext too.
    assert {s.format for s in built.values()} >= {e.format for e in catalog()} - {"wikimd-city"}
    assert all(s.licence and s.licence.startswith("CC BY") for s in built.values())
    # Nothing silently dropped: a source gives records or says why not.
    assert all(s.records or s.anomalies for s in built.values())


def test_the_seed_gives_its_records_unchanged(default_db: Path, seed_db: Path) -> None:
    query = ("SELECT id, line, cn_name, partner_name, country, date, note FROM partnerships"
             " WHERE source = ? ORDER BY line, id")
    name = config.seed_path().name
    with sqlite3.connect(default_db) as a, sqlite3.connect(seed_db) as b:
        assert a.execute(query, (name,)).fetchall() == b.execute(query, (name,)).fetchall()
        assert len(a.execute(query, (name,)).fetchall()) == SEED_ROWS


def test_coverage_of_every_province(default_db: Path) -> None:
    with sqlite3.connect(default_db) as conn:
        distinct = conn.execute("SELECT COUNT(*) FROM (SELECT DISTINCT cn_id, partner_id FROM partnerships"
                                " WHERE tier = 'sister' AND partner_id IS NOT NULL)").fetchone()[0]
        provinces = {r[0] for r in conn.execute("SELECT DISTINCT province FROM partnerships"
                                                " WHERE tier = 'sister' AND province IS NOT NULL")}
    assert distinct >= 1500
    mainland = {p for p in provinces if p not in ("香港特别行政区", "澳门特别行政区", "台湾省")}
    assert len(mainland) == 31, sorted(provinces)


def test_shanghai_has_at_least_fifty_partners(default_db: Path) -> None:
    with Registry.open(default_db) as reg:
        records = reg.partners("上海")
    assert len({r.partner_id for r in records if r.cn_name_simplified.startswith("上海")}) >= 50


def test_every_tier_is_present(default_db: Path) -> None:
    with sqlite3.connect(default_db) as conn:
        tiers = {r[0] for r in conn.execute("SELECT DISTINCT tier FROM partnerships")}
    assert {"sister", "exchange", "domestic"} <= tiers <= {"sister", "exchange", "intent", "domestic"}
