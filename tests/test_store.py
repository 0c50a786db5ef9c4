"""Builds: stable ids, atomic replacement, read-only access."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from youcheng import Registry, SourceError, StoreError, config
from youcheng.database import connect_readonly

from .conftest import write_page
from .expected import SEED_ROWS


def _ids(db: Path) -> list[str]:
    with Registry.open(db) as reg:
        return [r.id for r in reg.records()]


def test_build_twice_gives_same_ids(tmp_path: Path) -> None:
    Registry.build([config.seed_path()], tmp_path / "a.db")
    Registry.build([config.seed_path()], tmp_path / "b.db")
    first, second = _ids(tmp_path / "a.db"), _ids(tmp_path / "b.db")
    assert first == second
    assert len(set(first)) == len(first) == SEED_ROWS


def test_build_ids_survive_line_shifts(tmp_path: Path, seed_db: Path) -> None:
    from youcheng import config

    text = config.seed_path().read_text(encoding="utf-8")
    shifted = write_page(tmp_path, "\n\n\n" + text, name=config.seed_path().name)
    Registry.build([shifted], tmp_path / "shifted.db")
    assert sorted(_ids(tmp_path / "shifted.db")) == sorted(_ids(seed_db))


def test_build_failure_leaves_previous_registry(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    Registry.build([config.seed_path()], db)
    before = db.read_bytes()
    bad = write_page(tmp_path, "no tables here\n")
    with pytest.raises(SourceError):
        Registry.build([bad], db)
    assert db.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".building")] == []


def test_build_rejects_two_pages_with_one_name(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = write_page(tmp_path / "a", "x")
    two = write_page(tmp_path / "b", "x")
    with pytest.raises(SourceError, match="share the file name"):
        Registry.build([one, two], tmp_path / "r.db")


def test_build_records_source_checksum(registry: Registry) -> None:
    [source] = registry.summary()["sources"]  # type: ignore[misc]
    assert source["name"] == "中华人民共和国友好城市列表.md"
    assert source["lines"] == 840 and len(source["sha256"]) == 64


def test_connect_readonly_refuses_writes(seed_db: Path) -> None:
    conn = connect_readonly(seed_db)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        conn.execute("DELETE FROM partnerships")


def test_connect_readonly_missing_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="run 'youcheng build'"):
        connect_readonly(tmp_path / "none.db")


def test_connect_readonly_rejects_non_registry(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match="not a youcheng registry"):
        connect_readonly(junk)


def test_registry_open_builds_default_from_seed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "fresh" / "registry.db"
    monkeypatch.setenv("YOUCHENG_DB", str(db))
    with Registry.open() as reg:  # every embedded source: the seed's pairs among them
        assert {"岡山市", "圖爾"} <= {r.partner_name for r in reg.partners("洛陽市")}
        assert len(reg.sources()) > 1
    assert db.is_file()


@pytest.mark.parametrize("table, column, good, bad", [
    ("partnerships", "date_precision", "month", "week"),
    ("partnerships", "tier", "exchange", "twin"),
    ("places", "side", "foreign", "abroad"),
    ("anomalies", "severity", "info", "fatal"),
])
def test_schema_checks_allowed_values(tmp_path: Path, table: str, column: str, good: str, bad: str) -> None:
    """The CHECKs are written with OR (cheaper to insert than IN); they must still refuse."""
    from youcheng.store import schema_sql

    conn = sqlite3.connect(tmp_path / "check.db")
    conn.executescript(schema_sql()[0])
    required = [row[1] for row in conn.execute(f"PRAGMA table_info({table})") if row[3]]
    valid = {"line": 1, "tier": "sister"}  # required columns that are CHECKed themselves
    row: dict[str, object] = {name: valid.get(name, "x") for name in [*required, column]}
    sql = f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})"
    conn.execute(sql, list({**row, column: good}.values()))
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
        conn.execute(sql, list({**row, column: bad}.values()))


def test_a_failure_writing_the_places_loses_nothing(tmp_path: Path) -> None:
    """The places are written by a second thread into a side file (store.SideBuild): its
    errors reach the build as a StoreError, the previous registry stays, no file is left."""
    from youcheng.model import Place
    from youcheng.store import RegistryWriter

    db = tmp_path / "r.db"
    Registry.build([config.seed_path()], db)
    before = db.read_bytes()
    writer = RegistryWriter(db, "test")
    writer.add_places([Place("x:1", "abroad", "某地")])  # refused by the CHECK on places.side
    with pytest.raises(StoreError, match="CHECK constraint failed"):
        writer.commit()
    assert db.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".building")] == []


def test_a_build_interrupted_while_writing_the_places_loses_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C in the build's thread while the side thread still writes: both files go."""
    from youcheng import store

    db = tmp_path / "r.db"
    Registry.build([config.seed_path()], db)
    before = db.read_bytes()
    started = store.SideBuild.start

    def start_then_interrupt(self: store.SideBuild) -> None:
        started(self)
        assert self.path.exists()
        raise KeyboardInterrupt

    monkeypatch.setattr(store.SideBuild, "start", start_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        Registry.build([config.seed_path()], db)
    assert db.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".building")] == []


def test_the_planner_statistics_are_those_of_a_whole_analyze(seed_db: Path, tmp_path: Path) -> None:
    """A build analyses its tables in two goes (store.RegistryWriter.commit), and every table
    of the schema in one of them: the statistics must be what one ANALYZE of the file gives."""
    import shutil

    from youcheng.store import _OWN_TABLES, SIDE_TABLES

    copy = tmp_path / "copy.db"
    shutil.copy(seed_db, copy)
    conn = sqlite3.connect(copy)
    tables = {name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
    assert tables == set(_OWN_TABLES) | set(SIDE_TABLES)
    built = sorted(conn.execute("SELECT * FROM sqlite_stat1"))
    conn.execute("DELETE FROM sqlite_stat1")
    conn.execute("ANALYZE")
    assert sorted(conn.execute("SELECT * FROM sqlite_stat1")) == built
    conn.close()


def test_the_registry_has_every_index_of_the_schema(seed_db: Path) -> None:
    """Indexes are created in three places (while rows arrive, at the end, in the side file
    and again for the copy): each of schema.sql's must be in the registry, once."""
    import re

    from youcheng.store import schema_sql

    named = re.findall(r"CREATE (?:UNIQUE )?INDEX (\w+)", "".join(schema_sql()))
    conn = sqlite3.connect(seed_db)
    built = [name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")]
    conn.close()
    assert sorted(built) == sorted(named) and len(named) == 20
