"""The only module that writes SQL: builds a registry file atomically (``database.py`` reads one).

A build writes a brand-new database next to the target under a temporary
name, and ``os.replace`` moves it over the old one only once it is complete
and checked. A build killed at any moment therefore leaves the previous
registry intact; readers that have the old file open keep reading it. A killed
build cannot delete its temporary file, so the next build does (each build
holds a lock on its own, which the system drops when the process dies).
"""

from __future__ import annotations

import json
import operator
import os
import sqlite3
import sys
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, cast

from youcheng.database import SCHEMA_VERSION, name_grams
from youcheng.errors import StoreError
from youcheng.model import (Anomaly, AttestationRow, Link, PartialDate, Partnership, Place, PlaceBatch, PlaceName,
                            RawPartnership, SourceInfo, Spelling)
from youcheng.relationships import STRUCK_NOTE, CountKey

if sys.platform != "win32":
    import fcntl
if TYPE_CHECKING:  # queries import this module: they need no resolver
    from youcheng.resolve.records import ResolvedFields

_BATCH = 5000
# A file being built is not yet anyone's registry: no journal, no syncing until it is done.
# Sorts for the indexes spill to temporary files (the OS's cache, not the build's memory):
# in memory they held a million-row build's peak at 994 MiB, on file 944 MiB, no slower.
# 32 MiB of cache for each of the two connections (the build's and the side file's), whose
# sorts run at the same time at the end of a build.
_WRITE_PRAGMAS = ("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE;"
                  "PRAGMA cache_size=-32768;")


def schema_sql() -> tuple[str, str]:
    """The schema file split into (tables, indexes) at its ``@indexes`` marker."""
    from importlib import resources  # builds only: queries import this module too

    text = resources.files("youcheng").joinpath("schema.sql").read_text("utf-8")
    tables, _, indexes = text.partition("-- @indexes")
    return tables, indexes.partition("\n")[2]


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
_COUNTS_SQL = tuple(
    f"INSERT INTO stat_counts (dimension, tier, key, n, records) SELECT '{dimension}', tier, {column},"
    f" SUM(n), SUM(records)"
    f" FROM partnership_counts GROUP BY {column}, tier"
    for dimension, column in (("country", "country"), ("year", "year"),
                              ("province", "province"), ("level", "cn_level")))


# Written into a side file (``_SideBuild``): places, names and spellings are staged there as
# the resolver hands them over, and at the end a second thread makes these tables of them
# while the build's own connection indexes the partnerships; they are then copied in whole.
_SIDE_TABLES = ("places", "place_names", "name_grams", "partnership_counts", "stat_counts")
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
_OWN_TABLES = ("meta", "sources", "partnerships", "anomalies", "relationships")  # every other table of schema.sql


def _split_indexes(script: str) -> tuple[list[str], list[str], list[str]]:
    """schema.sql's index statements as (on the partnerships and anomalies, on _SIDE_TABLES,
    on relationships: created once ``relationships.derive`` has filled it)."""
    own: list[str] = []
    side: list[str] = []
    derived: list[str] = []
    code = "\n".join(line.partition("--")[0] for line in script.splitlines())  # no comments
    for statement in code.split(";"):
        words = statement.split()
        if "ON" in words:
            table = words[words.index("ON") + 1]
            (side if table in _SIDE_TABLES else derived if table == "relationships" else own).append(
                statement.strip())
    return own, side, derived


# The partnership columns, in AttestationRow's order (the one definition of the row);
# source_id is added on insert.
_ROW_COLUMNS = AttestationRow._fields
_INSERT_PARTNERSHIP = f"INSERT INTO partnerships (source_id, {', '.join(_ROW_COLUMNS)}) VALUES ("
# The columns partnership_counts groups by, read from a row.
_COUNTED_COLUMNS = operator.attrgetter("country", "year", "province", "cn_level", "tier")
# The place ids of a row, counted into places.partnerships.
_CN_ID = operator.attrgetter("cn_id")
_PARTNER_ID = operator.attrgetter("partner_id")
# The columns read off the page, before the resolved ones (ResolvedFields).
StatedColumns = tuple[str, int, str, str, str | None, int, str | None, str | None, str, str | None,
                      str | None, str | None, str | None, int | None, str | None, str, str | None]
# partner_links as JSON, by the links' targets: a few thousand distinct lists on a long page.
_links_json: dict[tuple[str, ...], str] = {}
DateColumns = tuple[str | None, str | None, int | None]
_NO_DATE: DateColumns = (None, None, None)


def partnership_row(item: Partnership) -> AttestationRow:
    """The row stored for a partnership made by hand (tests, plug-ins), not by the resolver."""
    extra = item.extra
    resolved: ResolvedFields = (
        item.id, item.country, item.cn_id, item.partner_id, bool(extra.get("country_inferred")),
        cast("str | None", extra.get("country_method")),
        cast(str, extra.get("cn_name_simplified") or item.raw.cn_name),
        cast("str | None", extra.get("partner_name_simplified")), cast("str | None", extra.get("cn_level")),
        cast("str | None", extra.get("province")),
        cast(str, extra.get("relationship_id") or _relationship_id(item)))
    return AttestationRow._make(raw_columns(item.raw) + resolved)


def _relationship_id(item: Partnership) -> str:
    """The relationship of a partnership made by hand (not by the resolver): matched when it names a partner place."""
    from youcheng.relationships import relationship_id

    return relationship_id(item.cn_id, item.partner_id, item.partner_id is not None, item.id)


def raw_columns(raw: RawPartnership) -> StatedColumns:
    """The stored columns that depend on ``raw`` alone; a ``partnership_row`` is these
    followed by the row's ``ResolvedFields``."""
    partner_link, links = link_columns(raw.partner_links)
    return raw_columns_of(raw, raw.cn_link, partner_link, links, date_columns(raw.date))


def raw_columns_of(raw: RawPartnership, cn_link: str | None, partner_link: str | None,
                   partner_links: str, date: DateColumns) -> StatedColumns:
    """``raw_columns`` with its derived parts worked out already (by ``link_columns`` and
    ``date_columns``): a build remembers them for each distinct link list and date."""
    day, precision, year = date
    return (raw.source, raw.line, raw.section, raw.cn_name, cn_link, raw.cn_line, raw.partner_name,
            partner_link, partner_links, raw.country_text, day, precision, raw.date_text, year, raw.note,
            raw.tier, extra_json(raw.extra))


def extra_json(extra: tuple[tuple[str, str], ...]) -> str | None:
    """A row's extra columns as the JSON object stored in ``partnerships.extra`` (None if none)."""
    return json.dumps(dict(extra), ensure_ascii=False) if extra else None


def link_columns(links: tuple[Link, ...]) -> tuple[str | None, str]:
    """A partner's stored link columns: the last link's target and every target as JSON."""
    targets = tuple([link.target for link in links])
    text = _links_json.get(targets)
    if text is None:
        if len(_links_json) >= 1 << 16:
            _links_json.clear()
        text = _links_json[targets] = json.dumps(list(targets), ensure_ascii=False)
    return (targets[-1] if targets else None), text


def date_columns(date: PartialDate | None) -> DateColumns:
    """A date's stored columns: ISO text at its precision, the precision, the year."""
    if date is None:
        return _NO_DATE
    return date.iso(), date.precision, date.year


class RegistryWriter:
    """Writes one registry into a temporary file and renames it into place on success.

    Use as a context manager; leaving the block with an exception deletes the
    temporary file and leaves any existing registry untouched.
    """

    def __init__(self, path: Path, version: str) -> None:
        self.path = path
        self.version = version
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _remove_dead_builds(path)
            self.tmp, self._lock_fd = _claim_temporary(path)
        except OSError as exc:
            raise StoreError(f"cannot create a registry in {path.parent}: {exc.strerror or exc}") from exc
        self.conn = sqlite3.connect(self.tmp, isolation_level=None)
        self.conn.executescript(_WRITE_PRAGMAS)
        self._tables, indexes = schema_sql()
        self._indexes, self._side_indexes, self._derived_indexes = _split_indexes(indexes)
        self.conn.executescript(self._tables)
        self.conn.execute("BEGIN")
        self._source_ids: dict[str, int] = {}
        self._counts: Counter[CountKey] = Counter()
        self._struck: list[tuple[str, str, int]] = []  # rows a page strikes through (relationships.derive)
        self.places_written = 0  # known once committed
        try:
            self._side = _SideBuild(self.path, self._tables, self._side_indexes, self._counts)
        except BaseException:
            self.abort()
            raise

    def __enter__(self) -> RegistryWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is not None:
            self.abort()

    def add_source(self, info: SourceInfo, fmt: str) -> None:
        """Record a page that goes into this build."""
        cur = self.conn.execute(
            "INSERT INTO sources (name, format, sha256, lines, bytes) VALUES (?, ?, ?, ?, ?)",
            (info.name, fmt, info.sha256, info.lines, info.bytes),
        )
        assert cur.lastrowid is not None
        self._source_ids[info.name] = cur.lastrowid

    def source_id(self, name: str) -> int:
        """Row id of a source, creating a placeholder row until ``finish_source`` fills it."""
        if name not in self._source_ids:
            self.add_source(SourceInfo(name, "", 0, 0), "")
        return self._source_ids[name]

    def finish_source(self, info: SourceInfo, fmt: str) -> None:
        """Fill in a source's checksum, size, counts and origin once the page has been read."""
        self.conn.execute(
            "UPDATE sources SET format = ?, sha256 = ?, lines = ?, bytes = ?, records = ?, anomalies = ?,"
            " origin = ?, snapshot = ?, licence = ?, attribution = ? WHERE id = ?",
            (fmt, info.sha256, info.lines, info.bytes, info.records, info.anomalies, info.origin,
             info.snapshot, info.licence, info.attribution, self.source_id(info.name)),
        )

    def add_partnership(self, item: Partnership) -> None:
        """Insert one relationship (builds insert rows in batches with ``add_partnership_rows``)."""
        self.add_partnership_rows(item.raw.source, [partnership_row(item)])

    def add_partnership_rows(self, source: str, rows: list[AttestationRow]) -> None:
        """Insert the rows of one source (a build's batches, or ``partnership_row``'s)."""
        values = ", ".join([str(int(self.source_id(source)))] + ["?"] * len(_ROW_COLUMNS))
        # Handed to SQLite as plain tuples: it reads a tuple subclass's values through the
        # sequence protocol, 2-4 us a row more than the copy costs (benchmarks/README.md).
        self.conn.executemany(_INSERT_PARTNERSHIP + values + ")", map(tuple, rows))
        self._counts.update(map(_COUNTED_COLUMNS, rows))
        self._side.count_places(rows)
        self._struck.extend((row.relationship_id, source, row.line) for row in rows
                            if row.note and STRUCK_NOTE in row.note)

    def add_anomalies(self, anomalies: Iterable[Anomaly]) -> None:
        """Store what could not be read, with source and line."""
        self.conn.executemany(
            "INSERT INTO anomalies (source_id, source, line, kind, severity, message, text)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(self.source_id(a.source), a.source, a.line, a.kind, a.severity, a.message, a.text)
             for a in anomalies],
        )

    def add_place_batch(self, batch: PlaceBatch) -> None:
        """Store places with their names (and the search grams of those names), as the
        resolver hands them over: staged in the side file now, made into tables by ``commit``
        beside the partnerships' indexes (``_SideBuild``)."""
        self._side.stage(batch)

    def add_places(self, places: Iterable[Place]) -> None:
        """Store places made by hand (tests, plug-ins) with the names they carry."""
        given = list(places)
        self.add_place_batch(PlaceBatch(given, [PlaceName(p.id, name, origin) for p in given
                                                for name, origin in p.names], []))

    def spellings(self) -> Iterator[tuple[str, str, list[Spelling]]]:
        """Each foreign place written more than one way: (id, its English or first-written
        name, each spelling with where it is first written); call once every place is added."""
        return self._side.spellings()

    def commit(self) -> None:
        """Finish the file (indexes, stats, check) and atomically replace the registry."""
        from datetime import datetime, timezone

        try:
            meta = {
                "schema_version": SCHEMA_VERSION,
                "youcheng_version": self.version,
                "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            }
            self.conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
            self.conn.execute("COMMIT")
            # Two cores, each on its own file: a second thread makes the places, their
            # names and grams and the statistics in the side file from what is staged there
            # while this connection indexes the partnerships (SQLite lets go of the GIL while
            # it works); the side file's tables, indexes included, are then copied in page by page.
            self._side.start()
            for statement in self._indexes:
                self.conn.execute(statement)
            # One relationship per pair of places, from the partnerships' relationship index.
            from youcheng.relationships import derive

            delta = derive(self.conn, self._derived_indexes, self._struck)
            # The query planner's statistics of what is complete here, while the side
            # thread finishes; the side's tables are analysed once copied.
            for table in _OWN_TABLES:
                self.conn.execute(f"ANALYZE main.{table}")
            self.places_written = self._side.finish()
            for statement in self._side_indexes:  # on the empty tables: what the copy fills
                self.conn.execute(statement)
            self.conn.execute("ATTACH DATABASE ? AS side", (str(self._side.path),))
            self.conn.execute("BEGIN")
            for table in _SIDE_TABLES:
                # Same schema, empty target: SQLite's transfer optimization copies the
                # table's and its indexes' records as they are, without re-sorting.
                self.conn.execute(f"INSERT INTO main.{table} SELECT * FROM side.{table}")
            self.conn.execute("COMMIT")
            self.conn.execute("DETACH DATABASE side")
            self._side.close()
            if delta:
                _count_relationships(self.conn, delta)
            for table in _SIDE_TABLES:
                self.conn.execute(f"ANALYZE main.{table}")
            check = self.conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise StoreError(f"the new registry failed its integrity check: {check}")
            self.conn.execute("PRAGMA journal_mode=DELETE")
            self.conn.close()
            _fsync(self.tmp)
            os.replace(self.tmp, self.path)
            self._unlock()
            _fsync(self.path.parent)
        except sqlite3.Error as exc:
            self.abort()
            raise StoreError(f"could not write the registry {self.path}: {exc}") from exc
        except OSError as exc:  # e.g. the target is a directory, or the disk is full
            self.abort()
            raise StoreError(f"could not write the registry {self.path}: {exc.strerror or exc}") from exc
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        """Drop the temporary files; the previous registry stays as it was."""
        side = getattr(self, "_side", None)  # none yet if claiming its file failed
        if side is not None:
            side.close()
        try:
            self.conn.close()
        except sqlite3.Error:
            pass
        self.tmp.unlink(missing_ok=True)
        self._unlock()

    def _unlock(self) -> None:
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1


class _SideBuild:
    """The side file: what the resolver hands over is staged there during the build, and at
    its end a thread makes the tables of ``_SIDE_TABLES`` of it.

    Created with the build (its file claimed and locked like the build's own, so a build
    killed meanwhile leaves nothing another build would not clean up); ``start`` starts the
    thread; ``finish`` waits for it and raises what it raised; ``close`` stops it if need be
    and deletes the file.
    """

    def __init__(self, target: Path, tables: str, indexes: list[str], counts: Counter[CountKey]) -> None:
        self.path, self._lock_fd = _claim_temporary(target)
        self._indexes, self._counts = indexes, counts
        self._thread = threading.Thread(target=self._run, name="youcheng-side-build", daemon=True)
        self._closed = False
        self._error: BaseException | None = None
        self._place_count = 0
        self._place_counts: Counter[str | None] = Counter()
        try:
            self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._conn.executescript(_WRITE_PRAGMAS + tables + _STAGING)
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
        for statement in _COUNTS_SQL:
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


def _count_relationships(conn: sqlite3.Connection, delta: Counter[CountKey]) -> None:
    """Make the statistics, counted per partnership as rows arrived, count relationships too:
    ``n`` changes by ``delta`` (from ``relationships.derive``) per key, ``records`` stays the
    number of rows; then stat_counts is summed again. A key can end with ``n = 0``."""
    conn.execute("BEGIN")
    for (country, year, province, level, tier), n in delta.items():
        found = conn.execute(
            "UPDATE partnership_counts SET n = n + ? WHERE country IS ? AND year IS ? AND province IS ?"
            " AND cn_level IS ? AND tier = ?", (n, country, year, province, level, tier)).rowcount
        if not found:
            conn.execute("INSERT INTO partnership_counts (country, year, province, cn_level, tier, n, records)"
                         " VALUES (?, ?, ?, ?, ?, ?, 0)", (country, year, province, level, tier, n))
    conn.execute("DELETE FROM stat_counts")
    for statement in _COUNTS_SQL:
        conn.execute(statement)
    conn.execute("COMMIT")


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


def _claim_temporary(path: Path) -> tuple[Path, int]:
    """Create this build's temporary file next to ``path``, locked while the build runs.

    Returns the file and the descriptor holding the lock. Retries when another
    build's clean-up removed the file between its creation and its locking.
    """
    import tempfile

    while True:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".building", dir=path.parent)
        if sys.platform == "win32":
            return Path(tmp), fd
        fcntl.flock(fd, fcntl.LOCK_EX)
        if _same_file(tmp, fd):
            return Path(tmp), fd
        os.close(fd)


def _remove_dead_builds(path: Path) -> None:
    """Delete the temporary files of builds of ``path`` that were killed.

    A file whose lock can be taken belongs to no running build: the system
    drops a build's lock when its process dies, even by kill -9.
    """
    import glob

    if sys.platform == "win32":
        return
    for stale in path.parent.glob(glob.escape(f".{path.name}.") + "*.building"):
        try:
            fd = os.open(stale, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if _same_file(stale, fd):
                stale.unlink()
        except OSError:
            pass  # locked by a running build, or already gone
        finally:
            os.close(fd)


def _same_file(path: Path | str, fd: int) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except OSError:
        return False


def _fsync(path: Path) -> None:
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
