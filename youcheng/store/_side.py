"""The side file of a build: the places, names and spellings the resolver hands over are
staged there as they come, and at the end a second thread makes the registry's tables of
places, their names, search grams and statistics of them (``SideBuild``), while the build's
own connection indexes the partnerships; ``store.RegistryWriter`` then copies them in."""

from __future__ import annotations

import operator
import os
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from youcheng.database import name_grams
from youcheng.model import AttestationRow, PlaceBatch, Spelling
from youcheng.relationships import CountKey
from youcheng.store._files import WRITE_PRAGMAS, claim_temporary

_BATCH = 5000
# The place ids of a row, counted into places.partnerships.
_CN_ID = operator.attrgetter("cn_id")
_PARTNER_ID = operator.attrgetter("partner_id")

# Each place's rank in search (schema.sql name_grams): by partnerships (most first), name, id.
_RANK_SQL = """
INSERT INTO place_rank SELECT id, row_number() OVER (ORDER BY partnerships DESC, name, id) FROM places
"""
# name_grams() in SQL: every 1- and 2-character substring of every place_names key, with the
# place's rank.
_GRAMS_SQL = """
WITH RECURSIVE pos(key, place_rank, place_id, i) AS (
    SELECT DISTINCT n.key, r.rank, n.place_id, 1 FROM place_names n JOIN place_rank r ON r.id = n.place_id
    UNION ALL
    SELECT key, place_rank, place_id, i + 1 FROM pos WHERE i < length(key)
)
INSERT OR IGNORE INTO name_grams (gram, rank, place_id)
SELECT gram, place_rank, place_id FROM (
    SELECT substr(key, i, 1) AS gram, place_rank, place_id FROM pos
    UNION ALL
    SELECT substr(key, i, 2), place_rank, place_id FROM pos WHERE i < length(key)
)
ORDER BY gram, place_rank
"""


# The precomputed statistics (schema.sql partnership_counts, stat_counts). The writer counts
# the combinations as rows arrive (grouping a million rows afterwards took 8 s); stat_counts
# is summed from those counts.
COUNTS_SQL = tuple(
    f"INSERT INTO stat_counts (dimension, tier, key, n, records) SELECT '{dimension}', tier, {column},"
    f" SUM(n), SUM(records)"
    f" FROM partnership_counts GROUP BY {column}, tier"
    for dimension, column in (("country", "country"), ("year", "year"),
                              ("province", "province"), ("level", "cn_level")))


# Written into a side file (``SideBuild``): places, names and spellings are staged there as
# the resolver hands them over, and at the end a second thread makes these tables of them
# while the build's own connection indexes the partnerships; they are then copied in whole.
SIDE_TABLES = ("places", "place_names", "name_grams", "partnership_counts", "stat_counts")
_PLACE_COLUMNS = ("id", "side", "name", "name_simplified", "name_pinyin", "name_en", "link", "country", "kind",
                  "code", "province", "subdivision", "geonames_id", "lat", "lon", "parent_id", "resolution")
# What the side file receives during the build, in arrival order (rowid): repeats allowed,
# the first of each place, name and spelling wins. place_counts: attestations naming a place.
_STAGING = f"""
CREATE TABLE staged_places ({", ".join(_PLACE_COLUMNS)});
CREATE TABLE staged_names (place_id, name, kind, converted, key, simplified, simplified_key);
CREATE TABLE staged_spellings (place_id, written, source, line);
CREATE TABLE staged_counts (place_id, n);
"""
_PLACE_ROW = operator.attrgetter(*_PLACE_COLUMNS)
class SideBuild:
    """The side file: what the resolver hands over is staged there during the build, and at
    its end a thread makes the tables of ``SIDE_TABLES`` of it.

    Created with the build (its file claimed and locked like the build's own, so a build
    killed meanwhile leaves nothing another build would not clean up); ``start`` starts the
    thread; ``finish`` waits for it and raises what it raised; ``close`` stops it if need be
    and deletes the file.
    """

    def __init__(self, target: Path, tables: str, indexes: list[str], counts: Counter[CountKey]) -> None:
        self.path, self._lock_fd = claim_temporary(target)
        self._indexes, self._counts = indexes, counts
        self._thread = threading.Thread(target=self._run, name="youcheng-side-build", daemon=True)
        self._closed = False
        self._error: BaseException | None = None
        self._place_count = 0
        self._place_counts: Counter[str | None] = Counter()
        try:
            self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._conn.executescript(WRITE_PRAGMAS + tables + _STAGING)
            self._conn.execute("BEGIN")
        except BaseException:
            self.close()
            raise

    def stage(self, batch: PlaceBatch) -> None:
        """Keep what the resolver handed over, in order."""
        conn = self._conn
        if batch.places:
            conn.executemany(_STAGE_PLACE, map(_PLACE_ROW, batch.places))
        conn.executemany("INSERT INTO staged_names VALUES (?, ?, ?, ?, ?, ?, ?)", batch.names)
        conn.executemany("INSERT INTO staged_spellings VALUES (?, ?, ?, ?)", batch.spellings)

    def count_places(self, rows: list[AttestationRow]) -> None:
        """Count the attestations naming each place (``places.partnerships``): in memory for
        up to ``_COUNTED_PLACES`` places, then staged, so a page of a million places is not
        counted in a million-entry dict."""
        counts = self._place_counts
        counts.update(map(_CN_ID, rows))
        counts.update(map(_PARTNER_ID, rows))
        if len(counts) >= _COUNTED_PLACES:
            self._stage_counts()

    def _stage_counts(self) -> None:
        self._place_counts.pop(None, None)
        self._conn.executemany("INSERT INTO staged_counts VALUES (?, ?)", self._place_counts.items())
        self._place_counts.clear()

    def spellings(self) -> Iterator[tuple[str, str, list[Spelling]]]:
        """See ``RegistryWriter.spellings``."""
        group: list[Spelling] = []
        shown = ""
        for place_id, name, written, source, line in self._conn.execute(_SPELLINGS_SQL):
            if group and group[0].place_id != place_id:
                yield group[0].place_id, shown, group
                group = []
            if all(s.written != written for s in group):
                group.append(Spelling(place_id, written, source, line))
            shown = name
        if group:
            yield group[0].place_id, shown, group

    def start(self) -> None:
        self._stage_counts()
        self._conn.execute("COMMIT")
        self._thread.start()

    def finish(self) -> int:
        """Wait for the thread; the number of places written."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._place_count

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        conn = getattr(self, "_conn", None)
        if self._thread.is_alive() and conn is not None:
            try:
                conn.interrupt()  # stops the statement running; the thread then raises
            except sqlite3.ProgrammingError:
                pass  # closed already: the thread is ending
            self._thread.join()
        if conn is not None:
            conn.close()
        self.path.unlink(missing_ok=True)
        os.close(self._lock_fd)

    def _run(self) -> None:
        try:
            self._write(self._conn)
        except BaseException as exc:  # noqa: BLE001 - raised again in the build's thread by finish()
            self._error = exc

    def _write(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN")
        self._place_count = _insert_places(conn)
        conn.executemany("INSERT INTO partnership_counts (country, year, province, cn_level, tier, n, records)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?)", ((*key, n, n) for key, n in self._counts.items()))
        for table in ("staged_places", "staged_names", "staged_counts", "staged_spellings"):
            conn.execute(f"DROP TABLE {table}")
        conn.execute("COMMIT")
        for statement in self._indexes:
            conn.execute(statement)
        # Summed once partnership_counts has its covering indexes: each sum is then
        # a walk down one of them (0.2 s at a million rows) instead of a sort (1.5 s).
        for statement in COUNTS_SQL:
            conn.execute(statement)


_COUNTED_PLACES = 1 << 16
_STAGE_PLACE = f"INSERT INTO staged_places VALUES ({', '.join('?' * len(_PLACE_COLUMNS))})"
# Places written more than one way, in the order first written, each spelling where first
# written, with the name a finding shows (the English name, else the name first written).
_SPELLINGS_SQL = """
WITH several AS (
    SELECT place_id, MIN(rowid) AS first FROM staged_spellings GROUP BY place_id
    HAVING COUNT(DISTINCT written) > 1
), shown AS (
    SELECT id, coalesce(name_en, name) AS name FROM staged_places
    WHERE rowid IN (SELECT MIN(rowid) FROM staged_places WHERE id IN (SELECT place_id FROM several) GROUP BY id)
)
SELECT s.place_id, shown.name, s.written, s.source, s.line
FROM staged_spellings s JOIN several USING (place_id) JOIN shown ON shown.id = s.place_id
ORDER BY several.first, s.rowid
"""


def _insert_places(conn: sqlite3.Connection) -> int:
    """Places as first met, with how many attestations name each, all their names, and
    the search grams of those names, from what is staged; the number of places."""
    conn.execute("CREATE TABLE place_totals (place_id TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID")
    conn.execute("INSERT INTO place_totals SELECT place_id, SUM(n) FROM staged_counts GROUP BY place_id")
    columns = ", ".join(f"p.{c}" for c in _PLACE_COLUMNS)
    # A place met again is ignored (the first wins), one that breaks a CHECK is an error.
    places = conn.execute(
        f"INSERT INTO places SELECT {columns}, coalesce(t.n, 0) FROM staged_places p"
        " LEFT JOIN place_totals t ON t.place_id = p.id WHERE true ORDER BY p.rowid"
        " ON CONFLICT (id) DO NOTHING").rowcount
    conn.execute("DROP TABLE place_totals")
    # Each name keyed for search, the first of each name winning: the names that came keyed
    # (PlaceName.key) as they are, the others keyed here in batches (a million-row build has
    # millions of names); then all of them sorted into the index in one pass, appended in key
    # order, not inserted one by one at random places.
    conn.execute("CREATE TABLE keyed_names (arrival, key, place_id, name, kind)")
    names = conn.execute("SELECT rowid, place_id, name, kind, converted FROM staged_names WHERE key IS NULL")
    while chunk := names.fetchmany(_BATCH):
        conn.executemany("INSERT INTO keyed_names VALUES (?, ?, ?, ?, ?)", _keyed(chunk))
    conn.execute(_NAMES_SQL)
    conn.execute("DROP TABLE keyed_names")
    # SQLite's length() and substr() stop at a NUL: such keys' grams are made here.
    nul_grams = [(gram, place_id) for key, place_id in conn.execute(
        "SELECT key, place_id FROM place_names WHERE instr(CAST(key AS BLOB), x'00') > 0") for gram in name_grams(key)]
    write_grams(conn, nul_grams)
    return places


def write_grams(conn: sqlite3.Connection, extra: Iterable[tuple[str, str]] = ()) -> None:
    """Fill ``name_grams`` from ``places`` (with their counts) and ``place_names``: the grams of
    every name key, made by SQLite in one sorted pass (millions of rows appended in key order
    instead of inserted one by one from Python), and the ``extra`` (gram, place id) given."""
    conn.execute("CREATE TEMP TABLE place_rank (id TEXT PRIMARY KEY, rank INTEGER NOT NULL) WITHOUT ROWID")
    conn.execute(_RANK_SQL)
    conn.execute(_GRAMS_SQL)
    conn.executemany("INSERT OR IGNORE INTO name_grams SELECT ?, rank, id FROM place_rank WHERE id = ?", extra)
    conn.execute("DROP TABLE temp.place_rank")


# place_names from the staged names (key first), each followed by its Simplified form where
# asked for (PlaceName.converted), in the order they arrived (the first of a name wins): those
# staged with their key as they are, the others from keyed_names (_keyed). A name without a key
# is not searchable.
_NAMES_SQL = """
INSERT INTO place_names
SELECT key, place_id, name, kind FROM (
    SELECT key, place_id, name, kind, rowid * 2 AS arrival FROM staged_names WHERE key != ''
    UNION ALL
    SELECT simplified_key, place_id, simplified, 'converted', rowid * 2 + 1 FROM staged_names
    WHERE converted AND simplified != name AND simplified_key != ''
    UNION ALL
    SELECT key, place_id, name, kind, arrival FROM keyed_names
) WHERE true ORDER BY key, place_id, name, arrival ON CONFLICT DO NOTHING
"""


def _keyed(staged: list[tuple[int, str, str, str, int]]) -> Iterator[tuple[int, str, str, str, str]]:
    """Staged names without their key as ``keyed_names`` rows (the order of arrival first: a
    staged name's rowid times two, plus one for its Simplified form), as ``_NAMES_SQL`` reads them."""
    from youcheng.resolve.fold import search_key, search_key_given
    from youcheng.resolve.names import to_simplified

    for rowid, place_id, name, kind, converted in staged:
        simplified = to_simplified(name) if converted else None
        # The name's own key from the Simplified form just made: one conversion, not two.
        key = search_key(name) if simplified is None else search_key_given(name, simplified)
        if key:
            yield rowid * 2, key, place_id, name, kind
        if simplified is not None and simplified != name and (key := search_key(simplified)):
            yield rowid * 2 + 1, key, place_id, simplified, "converted"
