"""Precomputed statistics (schema.sql partnership_counts, stat_counts) agree with counting rows.

The build writes the counts once; the read layer answers unfiltered and dimension-filtered
statistics from them. Each case is checked against the same question asked of a copy of the
registry without those tables, where query.py counts the partnerships themselves.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from youcheng import UsageError, query
from youcheng.query import STAT_DIMENSIONS, Filters
from youcheng.database import connect_readonly

from .expected import SEED_RELATIONSHIPS, SEED_ROWS

FILTERS = [
    Filters(),
    Filters(country="JP"),
    Filters(country="jp", year_from=1990),
    Filters(province="河南"),
    Filters(level="prefecture", year_to=1995),
    Filters(year_from=1980, year_to=1989),
    Filters(country="AQ"),  # an ISO code no relationship names: matches nothing
    Filters(place="洛陽市"),  # not in the counts: counted from partnerships either way
    Filters(q="武汉", country="JP"),
]


@pytest.fixture(scope="module")
def without_counts(seed_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed registry as a build from before the precomputed counts would have left it."""
    copy = tmp_path_factory.mktemp("old") / "registry.db"
    shutil.copy(seed_db, copy)
    with sqlite3.connect(copy) as conn:
        conn.execute("DROP TABLE partnership_counts")
        conn.execute("DROP TABLE stat_counts")
    return copy


@pytest.fixture()
def both(seed_db: Path, without_counts: Path) -> Iterator[tuple[sqlite3.Connection, sqlite3.Connection]]:
    new, old = connect_readonly(seed_db), connect_readonly(without_counts)
    yield new, old
    new.close()
    old.close()


def test_build_writes_counts_for_every_partnership(seed_db: Path) -> None:
    conn = connect_readonly(seed_db)
    assert tuple(conn.execute("SELECT SUM(n), SUM(records) FROM partnership_counts").fetchone()) == (
        SEED_RELATIONSHIPS, SEED_ROWS)
    for dimension in STAT_DIMENSIONS:
        assert conn.execute("SELECT SUM(n) FROM stat_counts WHERE dimension = ?",
                            (dimension,)).fetchone()[0] == SEED_RELATIONSHIPS
    # Unknown values are counted too, under NULL, not dropped.
    assert conn.execute("SELECT COUNT(*) FROM stat_counts WHERE key IS NULL").fetchone()[0] >= 1


@pytest.mark.parametrize("filters", FILTERS, ids=repr)
@pytest.mark.parametrize("by", STAT_DIMENSIONS)
def test_breakdown_matches_counting_rows(both: tuple[sqlite3.Connection, sqlite3.Connection],
                                         by: str, filters: Filters) -> None:
    new, old = both
    assert query.breakdown(new, by, filters) == query.breakdown(old, by, filters)


@pytest.mark.parametrize("filters", FILTERS, ids=repr)
def test_count_matches_counting_rows(both: tuple[sqlite3.Connection, sqlite3.Connection],
                                     filters: Filters) -> None:
    new, old = both
    total = query.count_records(new, filters)
    assert total == query.count_records(old, filters)
    assert total == len(query.select_records(old, filters, limit=query.MAX_LIMIT)[1])


def test_summary_matches_counting_rows(both: tuple[sqlite3.Connection, sqlite3.Connection]) -> None:
    new, old = both
    assert query.summary(new) == query.summary(old)
    assert query.summary(new)["partnerships"] == SEED_ROWS


def test_stats_orders_years_and_counts(both: tuple[sqlite3.Connection, sqlite3.Connection]) -> None:
    new, _ = both
    years = [row.key for row in query.stats(new, "year")]
    assert years[-1] is None or years == sorted(years)
    known = [int(k) for k in years if k is not None]
    assert known == sorted(known)
    counts = [row.count for row in query.stats(new, "country") if row.key is not None]
    assert counts == sorted(counts, reverse=True)


def test_unknown_dimension_is_usage_error(both: tuple[sqlite3.Connection, sqlite3.Connection]) -> None:
    with pytest.raises(UsageError, match="cannot group by"):
        query.stats(both[0], "city")


@pytest.mark.parametrize("filters", FILTERS, ids=repr)
def test_breakdowns_at_once_equal_one_at_a_time(both: tuple[sqlite3.Connection, sqlite3.Connection],
                                                filters: Filters) -> None:
    for conn in both:
        total, by_dimension = query.breakdowns(conn, filters)
        assert total == query.count_relationships(conn, filters)
        assert by_dimension == {by: query.breakdown(conn, by, filters) for by in STAT_DIMENSIONS}


def _counted_and_grouped(db: Path) -> tuple[list[object], list[object]]:
    conn = sqlite3.connect(db)
    counted = sorted(conn.execute("SELECT country, year, province, cn_level, records FROM partnership_counts"),
                     key=repr)
    grouped = sorted(conn.execute("SELECT country, year, province, cn_level, COUNT(*) FROM partnerships"
                                  " GROUP BY country, year, province, cn_level"), key=repr)
    # n counts relationships by their chosen values.
    relationships = sorted(conn.execute("SELECT country, year, province, cn_level, n FROM partnership_counts"
                                        " WHERE n > 0"), key=repr)
    assert relationships == sorted(conn.execute("SELECT country, year, province, cn_level, COUNT(*) FROM"
                                                " relationships GROUP BY country, year, province, cn_level"),
                                   key=repr)
    conn.close()
    return counted, grouped


def test_counts_kept_while_loading_equal_grouping_the_rows(seed_db: Path, tmp_path: Path) -> None:
    """Both ways rows reach the writer (rows from the build, Partnerships one by one) are counted."""
    from tests.test_web_lines import lines_registry

    counted, grouped = _counted_and_grouped(seed_db)
    assert counted == grouped and len(counted) > 100
    counted, grouped = _counted_and_grouped(lines_registry(tmp_path / "lines.db"))
    assert counted == grouped and len(counted) > 3
