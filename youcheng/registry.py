"""``Registry``: the Python API, one object over one registry file.

The CLI and the REST API call these same methods (or the ``query`` functions
beneath them), so every answer is computed in one place.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, TextIO

from typing import TYPE_CHECKING

from youcheng import config, query, relationships
from youcheng.errors import NotFound
from youcheng.model import Anomaly, PlaceHit, Record, SourceRow, StatRow
from youcheng.relationships import Relationship
from youcheng.database import connect_readonly
from youcheng.vocabulary import ExportFormat, Tier

def export_text(conn: sqlite3.Connection, out: TextIO, fmt: str, *, bom: bool = False,
                filters: query.Filters | None = None, relationships: bool = False) -> int:
    """The text exports of the CLI, the API and ``Registry.export``: records, or relationships."""
    if relationships:
        from youcheng.relationship_export import write_relationships
        from youcheng.relationships import iter_relationships, place_points

        points = place_points(conn) if fmt == ExportFormat.geojson else None
        return write_relationships(iter_relationships(conn, filters), out, fmt, bom=bom, points=points)
    from youcheng.export import write_records  # not at import: queries never need it

    return write_records(query.iter_records(conn, filters), out, fmt, bom=bom)


if TYPE_CHECKING:
    from youcheng.build import BuildProgress, BuildReport


class Registry:
    """A built registry opened read-only.

    >>> reg = Registry.open()            # the default registry, built from the seed if missing
    >>> [r.partner_name for r in reg.partners("洛陽市")][:2]
    ['岡山市', '圖爾']
    """

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    @classmethod
    def open(cls, db: Path | str | None = None) -> Registry:
        """Open the registry at ``db`` (default: ``YOUCHENG_DB`` or the user data dir).

        With no ``db`` and no registry yet, builds one from the embedded seed page
        first, so the library works offline out of the box. Raises StoreError when
        an explicitly given ``db`` does not exist.
        """
        path = Path(db) if db is not None else config.default_db_path()
        if db is None and not path.exists():
            from youcheng.build import build_registry

            print(f"youcheng: no registry yet; building {path} from the embedded seed",
                  file=sys.stderr)
            build_registry(None, path)
        return cls(connect_readonly(path), path)

    @staticmethod
    def build(pages: Sequence[Path | str] | None = None, db: Path | str | None = None,
              progress: BuildProgress | None = None, *, fmt: str | None = None,
              allow_empty: bool = False) -> BuildReport:
        """Build (or atomically rebuild) a registry from source files; default: every embedded source.

        ``fmt`` names the source format of every file (default: recognised by content);
        ``allow_empty`` allows a build that gives nothing. Imported here so that opening
        a registry for queries never loads the resolution tables.
        """
        from youcheng.build import build_registry

        return build_registry([Path(p) for p in pages] if pages else None,
                              Path(db) if db is not None else None, progress, fmt=fmt,
                              allow_empty=allow_empty)

    def sources(self) -> list[SourceRow]:
        """The files the registry was built from, with their format, counts, date and licence."""
        return query.sources(self.conn)

    def partners(self, name: str) -> list[Record]:
        """The records (one source's statement each) of the place ``name``, whether it is the
        Chinese or the foreign side; ``relationships_of`` gives one per relationship.

        Raises NotFound, saying what the registry covers, when no place has that name or the
        place has no relationship of its own (a region known only as a partner's parent).
        """
        records = query.partners_of(self.conn, name)
        if not records:
            raise self._no_relationship(name)
        return records

    def _no_relationship(self, name: str) -> NotFound:
        from youcheng.search import coverage

        return NotFound(f"{name!r} names a place of this registry, but no relationship of its own "
                        f"(it is the region of a partner); {coverage(self.conn).text()}")

    def relationships_of(self, name: str) -> list[Relationship]:
        """The relationships of the place ``name`` (either side), each with every source that attests it.

        Raises NotFound, saying what the registry covers, when no place has that name or the
        place has no relationship of its own (a region known only as a partner's parent).
        """
        found = relationships.relationships_of(self.conn, name)
        if not found:
            raise self._no_relationship(name)
        return found

    def relationships(self, filters: query.Filters | None = None, status: str | None = None,
                      limit: int | None = 100, offset: int = 0) -> tuple[int, list[Relationship]]:
        """How many relationships match ``filters`` and ``status``, and a page of them (``limit=None``: all)."""
        return relationships.select_relationships(self.conn, filters, status, limit, offset)

    def relationship(self, relationship_id: str) -> Relationship:
        """One relationship by id, with its attestations and conflicts."""
        return relationships.relationship(self.conn, relationship_id)

    def conflicts(self) -> list[Relationship]:
        """Every relationship whose sources disagree on the date, country or tier."""
        return relationships.conflicted(self.conn)[1]

    def search(self, text: str, limit: int = 20) -> list[PlaceHit]:
        """Places whose names contain ``text`` (any script; two characters are enough)."""
        return query.search(self.conn, text, limit)

    def search_answer(self, text: str, limit: int = 20) -> dict[str, object]:
        """``search`` as ``/api/search`` answers it: the hits, or the nearest names and the coverage."""
        from youcheng.search import search_answer

        return search_answer(self.conn, text, limit)

    def stats(self, by: str, tier: str | None = Tier.sister.value,
              filters: query.Filters | None = None) -> list[StatRow]:
        """Relationship counts by ``country``, ``year``, ``province`` or ``level``
        (``sister`` relationships unless another ``tier`` is given; None: every tier),
        of the relationships ``filters`` match (their tier aside)."""
        if filters is None:
            return query.stats(self.conn, by, tier)
        return query.breakdown(self.conn, by, dataclasses.replace(filters, tier=tier))

    def count(self, filters: query.Filters | None = None) -> int:
        """How many relationships ``filters`` match; raises for a filter that cannot match."""
        return query.count_records(self.conn, filters)

    def records(self, filters: query.Filters | None = None) -> Iterator[Record]:
        """Every relationship (optionally filtered), in source order."""
        return query.iter_records(self.conn, filters)

    def anomalies(self) -> list[Anomaly]:
        """Rows the build skipped or only partly understood, with source and line."""
        return query.anomalies(self.conn)

    def each_anomaly(self) -> Iterator[Anomaly]:
        """The same as ``anomalies``, streamed: for a registry with millions of them."""
        return query.each_anomaly(self.conn)

    def resolution(self) -> dict[str, dict[str, int]]:
        """How partners, Chinese places and countries were resolved: method -> records."""
        return query.resolution_counts(self.conn)

    def summary(self) -> dict[str, object]:
        """Counts and build metadata."""
        return query.summary(self.conn)

    def export(self, out: TextIO, fmt: str = ExportFormat.jsonl.value, *, bom: bool = False,
               filters: query.Filters | None = None, relationships: bool = False) -> int:
        """Write every (matching) record to ``out`` in a text format; with ``relationships``, one
        line (jsonl), row (csv) or feature (geojson) per relationship with its attestations."""
        return export_text(self.conn, out, fmt, bom=bom, filters=filters, relationships=relationships)

    def write_datapackage(self, out: BinaryIO, filters: query.Filters | None = None) -> int:
        """The zipped Data Package: the (matching) records and the relationships they attest."""
        from youcheng.export import write_datapackage

        return write_datapackage(self.records(filters), out,
                                 lambda ids: relationships.relationships_by_id(self.conn, ids))

    def close(self) -> None:
        """Close the database connection."""
        self.conn.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
