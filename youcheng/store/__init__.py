"""The only package that writes SQL: builds a registry file atomically (``database.py`` reads one).

A build writes a brand-new database next to the target under a temporary
name, and ``os.replace`` moves it over the old one only once it is complete
and checked. A build killed at any moment therefore leaves the previous
registry intact; readers that have the old file open keep reading it. A killed
build cannot delete its temporary file, so the next build does (each build
holds a lock on its own, which the system drops when the process dies).

This module writes the partnerships, anomalies and relationships and finishes the file;
``_side.py`` makes the places, their names, search grams and statistics in a side file at the
same time; ``_files.py`` claims, cleans up and syncs the files of a build.
"""

from __future__ import annotations

import json
import operator
import os
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, cast

from youcheng.database import SCHEMA_VERSION
from youcheng.errors import StoreError
from youcheng.model import (Anomaly, AttestationRow, Link, PartialDate, Partnership, Place, PlaceBatch, PlaceName,
                            RawPartnership, SourceInfo, Spelling)
from youcheng.relationships import STRUCK_NOTE, CountKey
from youcheng.store._files import WRITE_PRAGMAS, claim_temporary, fsync, remove_dead_builds
from youcheng.store._side import COUNTS_SQL, SIDE_TABLES, SideBuild

if TYPE_CHECKING:  # queries import this module: they need no resolver
    from youcheng.resolve.records import ResolvedFields


def schema_sql() -> tuple[str, str]:
    """The schema file split into (tables, indexes) at its ``@indexes`` marker."""
    from importlib import resources  # builds only: queries import this module too

    text = resources.files("youcheng").joinpath("schema.sql").read_text("utf-8")
    tables, _, indexes = text.partition("-- @indexes")
    return tables, indexes.partition("\n")[2]


_OWN_TABLES = ("meta", "sources", "partnerships", "anomalies", "relationships")  # every other table of schema.sql


def _split_indexes(script: str) -> tuple[list[str], list[str], list[str]]:
    """schema.sql's index statements as (on the partnerships and anomalies, on SIDE_TABLES,
    on relationships: created once ``relationships.derive`` has filled it)."""
    own: list[str] = []
    side: list[str] = []
    derived: list[str] = []
    code = "\n".join(line.partition("--")[0] for line in script.splitlines())  # no comments
    for statement in code.split(";"):
        words = statement.split()
        if "ON" in words:
            table = words[words.index("ON") + 1]
            (side if table in SIDE_TABLES else derived if table == "relationships" else own).append(
                statement.strip())
    return own, side, derived


# The partnership columns, in AttestationRow's order (the one definition of the row);
# source_id is added on insert.
_ROW_COLUMNS = AttestationRow._fields
_INSERT_PARTNERSHIP = f"INSERT INTO partnerships (source_id, {', '.join(_ROW_COLUMNS)}) VALUES ("
# The columns partnership_counts groups by, read from a row.
_COUNTED_COLUMNS = operator.attrgetter("country", "year", "province", "cn_level", "tier")
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
            remove_dead_builds(path)
            self.tmp, self._lock_fd = claim_temporary(path)
        except OSError as exc:
            raise StoreError(f"cannot create a registry in {path.parent}: {exc.strerror or exc}") from exc
        self.conn = sqlite3.connect(self.tmp, isolation_level=None)
        self.conn.executescript(WRITE_PRAGMAS)
        self._tables, indexes = schema_sql()
        self._indexes, self._side_indexes, self._derived_indexes = _split_indexes(indexes)
        self.conn.executescript(self._tables)
        self.conn.execute("BEGIN")
        self._source_ids: dict[str, int] = {}
        self._counts: Counter[CountKey] = Counter()
        self._struck: list[tuple[str, str, int]] = []  # rows a page strikes through (relationships.derive)
        self.places_written = 0  # known once committed
        try:
            self._side = SideBuild(self.path, self._tables, self._side_indexes, self._counts)
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
        beside the partnerships' indexes (``SideBuild``)."""
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
            for table in SIDE_TABLES:
                # Same schema, empty target: SQLite's transfer optimization copies the
                # table's and its indexes' records as they are, without re-sorting.
                self.conn.execute(f"INSERT INTO main.{table} SELECT * FROM side.{table}")
            self.conn.execute("COMMIT")
            self.conn.execute("DETACH DATABASE side")
            self._side.close()
            if delta:
                _count_relationships(self.conn, delta)
            for table in SIDE_TABLES:
                self.conn.execute(f"ANALYZE main.{table}")
            check = self.conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise StoreError(f"the new registry failed its integrity check: {check}")
            self.conn.execute("PRAGMA journal_mode=DELETE")
            self.conn.close()
            fsync(self.tmp)
            os.replace(self.tmp, self.path)
            self._unlock()
            fsync(self.path.parent)
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
    for statement in COUNTS_SQL:
        conn.execute(statement)
    conn.execute("COMMIT")


