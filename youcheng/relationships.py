"""Relationships: one pair of places and every source that attests it (issue #14).

A row of ``partnerships`` is one source's statement, an *attestation*. The sources overlap
(the national list, city and province pages, the en-wiki CSV name many pairs again), so a
build ends by deriving ``relationships``: one row per (Chinese place, partner place), with
the values of its most trustworthy attestation and a list of where the attestations disagree.

Matching: two attestations are one relationship when the resolver gave both the same
Chinese place id and the same partner place id. A statement whose Chinese place or partner
is unresolved (or that names only a country) is a relationship of its own, never merged on
a guess. The id is a hash of the two place ids, so it is the same on every rebuild whatever
the order of the sources (place ids depend on a row's own names only, never on the rows
read before it).

The rule that picks a relationship's values (``rank``): the attestation with the most
precise date first (day, then month, then year, then none); among equals the more
authoritative source (``AUTHORITY``); then source name and line, so the choice never
depends on the order of the build. Its tier and date are the relationship's; the country
is the first stated or inferred one in that order. Every other value stays in the
attestations and, where it disagrees, in ``conflicts``. A date agreeing at a lower
precision (1982 against 1982-09-08) is no conflict.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields

from youcheng.model import STATUSES
from youcheng.vocabulary import SourceFormatName, Status

# Source authority by format, most authoritative first; the one place this rank is written.
# A zh-Wikipedia article's own section on a place (a city or province page, Markdown or
# wikitext) is closer to the signing than the national list, which copies them; the
# en-wiki CSV is scraped from English lists that rarely give dates.
AUTHORITY: dict[str, int] = {SourceFormatName.wikimd_city: 1, SourceFormatName.wikitext: 1,
                             SourceFormatName.wikimd: 2, SourceFormatName.enwiki_csv: 3}
_UNRANKED = 9  # a format of a plug-in: after every built-in one
_PRECISION = {"day": 0, "month": 1, "year": 2}
DEFAULT_STATUS_SOURCE = "default: no source in youcheng/data/relationship_status.csv says otherwise"
# The note a reader gives a row the page strikes through (<s>, <del>): the page's editors
# mark a relationship no longer in force so. Without a curated row it makes the relationship
# suspended (not ended: the page does not say which), citing the struck lines.
STRUCK_NOTE = "struck through on the page"
# The stats key of a partnership_counts row: (country, year, province, cn_level, tier).
CountKey = tuple[str | None, int | None, str | None, str | None, str]


def relationship_id(cn_id: str, partner_id: str | None, matched: bool, attestation_id: str) -> str:
    """The stable id of the relationship an attestation belongs to.

    Matched: a hash of the two place ids; for two Chinese places (a domestic pair) in either
    order, so 乌鲁木齐–南京 on 乌鲁木齐's page and 南京–乌鲁木齐 on 南京's are one relationship.
    Unmatched: ``s`` and a hash of the attestation's own id (itself stable), so it stays a
    relationship of its own.
    """
    import hashlib  # builds only: a query's process never loads OpenSSL's hashes for it

    if matched and partner_id is not None:
        if partner_id.startswith("cn:") and partner_id < cn_id:
            cn_id, partner_id = partner_id, cn_id
        return hashlib.sha1(f"{cn_id}\x1f{partner_id}".encode()).hexdigest()[:16]
    return "s" + hashlib.sha1(f"statement\x1f{attestation_id}".encode()).hexdigest()[:15]


@dataclass(frozen=True)
class Attestation:
    """One source's statement of a relationship, as the API and exports give it."""

    id: str
    source: str
    line: int
    format: str
    tier: str
    cn_name: str
    partner_name: str | None
    country: str | None
    country_text: str | None
    date: str | None
    date_precision: str | None
    date_text: str | None
    year: int | None
    note: str | None
    province: str | None = None
    cn_level: str | None = None


def rank(a: Attestation) -> tuple[int, int, str, int]:
    """Sort key of the rule that chooses a relationship's values (module docstring)."""
    return (_PRECISION.get(a.date_precision or "", 3), AUTHORITY.get(a.format, _UNRANKED), a.source, a.line)


def dates_agree(a: str, b: str) -> bool:
    """Whether two ISO dates at their precisions can be the same day (1982 and 1982-09-08 can)."""
    return a.startswith(b) or b.startswith(a)


def conflicts(attestations: Sequence[Attestation]) -> list[dict[str, object]]:
    """Where attestations disagree on the date, country or tier: each field with every source's value."""
    out: list[dict[str, object]] = []
    ordered = sorted(attestations, key=rank)
    dated = [a for a in ordered if a.date]
    if any(not dates_agree(x.date or "", y.date or "") for i, x in enumerate(dated) for y in dated[i + 1:]):
        out.append(_conflict("date", [(a, a.date) for a in dated]))
    for name in ("country", "tier"):
        stated = [(a, getattr(a, name)) for a in ordered if getattr(a, name)]
        if len({value for _, value in stated}) > 1:
            out.append(_conflict(name, stated))
    return out


def _conflict(name: str, values: list[tuple[Attestation, object]]) -> dict[str, object]:
    return {"field": name, "values": [{"value": value, "source": a.source, "line": a.line}
                                      for a, value in values]}


@dataclass(frozen=True)
class Choice:
    """A relationship's values under the rule, from its attestations."""

    chosen: Attestation
    country: str | None
    conflicts: list[dict[str, object]]

    @staticmethod
    def of(attestations: Sequence[Attestation]) -> Choice:
        ordered = sorted(attestations, key=rank)
        country = next((a.country for a in ordered if a.country), None)
        return Choice(ordered[0], country, conflicts(ordered))

    def count_key(self) -> CountKey:
        c = self.chosen
        return (self.country, c.year, c.province, c.cn_level, c.tier)


# --- At the end of a build (store.RegistryWriter.commit) ---------------------------------

_ATTESTATION_COLUMNS = ("p.id, p.source, p.line, s.format, p.tier, p.cn_name, p.partner_name, p.country,"
                        " p.country_text, p.date, p.date_precision, p.date_text, p.year, p.note,"
                        " p.province, p.cn_level")
# One row per relationship, in one grouped pass over the relationship index. Its values are
# those of any attestation, and one source: right for the relationships with one attestation
# (most), and replaced for the others by the rule (``_reconcile``).
_DERIVE_SQL = """
INSERT INTO relationships (id, cn_id, partner_id, matched, tier, country, date, date_precision, year,
                           province, cn_level, attestations, sources, chosen)
SELECT relationship_id, cn_id, partner_id, substr(relationship_id, 1, 1) != 's', tier, country, date,
       date_precision, year, province, cn_level, COUNT(*), 1, id
FROM partnerships GROUP BY relationship_id
"""


def derive(conn: sqlite3.Connection, indexes: Iterable[str],
           struck: Iterable[tuple[str, str, int]] = ()) -> Counter[CountKey]:
    """Fill ``relationships`` from ``partnerships`` (indexed by relationship_id already), create
    the table's ``indexes`` and apply the curated statuses, then suspend the relationships of
    ``struck`` rows (relationship id, source, line: noted by the writer as rows arrived, since
    searching a million notes afterwards took 3 s) that no curated row names.

    Returns what the statistics counted per attestation must change by to count
    relationships instead: per stats key, minus each attestation of a relationship with
    several, plus the relationship once.
    """
    conn.execute("BEGIN")
    conn.execute(_DERIVE_SQL)
    delta = _reconcile(conn)
    conn.execute("COMMIT")
    for statement in indexes:
        conn.execute(statement)
    conn.execute("BEGIN")
    apply_statuses(conn, read_statuses())
    _struck_through(conn, struck)
    conn.execute("COMMIT")
    return delta


def _struck_through(conn: sqlite3.Connection, struck: Iterable[tuple[str, str, int]]) -> None:
    """Relationships a page strikes through, where no curated row says otherwise: suspended."""
    where: dict[str, list[str]] = {}
    for rid, source, line in sorted(struck):
        where.setdefault(rid, []).append(f"{source}:{line}")
    conn.executemany("UPDATE relationships SET status = 'suspended', status_source = ? WHERE id = ?"
                     " AND status_source IS NULL",
                     [(f"{'; '.join(lines)} ({STRUCK_NOTE})", rid) for rid, lines in where.items()])


def _reconcile(conn: sqlite3.Connection) -> Counter[CountKey]:
    """Choose the values of every relationship attested more than once and list its conflicts."""
    delta: Counter[CountKey] = Counter()
    rows = conn.execute(
        f"SELECT r.rowid, {_ATTESTATION_COLUMNS} FROM relationships r"
        " JOIN partnerships p ON p.relationship_id = r.id JOIN sources s ON s.id = p.source_id"
        " WHERE r.attestations > 1 ORDER BY r.rowid")
    updates: list[tuple[object, ...]] = []
    group: list[Attestation] = []
    current = None
    for row in rows:
        if row[0] != current and group:
            updates.append(_update(current, group, delta))
            group = []
        current = row[0]
        group.append(Attestation(*row[1:]))
    if group:
        updates.append(_update(current, group, delta))
    conn.executemany("UPDATE relationships SET tier = ?, country = ?, date = ?, date_precision = ?, year = ?,"
                     " chosen = ?, conflicts = ?, sources = ? WHERE rowid = ?", updates)
    return Counter({key: n for key, n in delta.items() if n})  # without the keys that cancel out


def _update(rowid: object, group: list[Attestation], delta: Counter[CountKey]) -> tuple[object, ...]:
    choice = Choice.of(group)
    for a in group:
        delta[(a.country, a.year, a.province, a.cn_level, a.tier)] -= 1
    delta[choice.count_key()] += 1
    c = choice.chosen
    found = json.dumps(choice.conflicts, ensure_ascii=False) if choice.conflicts else None
    return (c.tier, choice.country, c.date, c.date_precision, c.year, c.id, found, len({a.source for a in group}),
            rowid)


@dataclass(frozen=True)
class StatusRow:
    """One row of data/relationship_status.csv: a status a source reports for a pair of places."""

    cn_id: str
    partner_id: str
    cn_name: str
    partner_name: str
    status: str
    since: str | None
    until: str | None
    note: str | None
    source: str

    @property
    def current(self) -> str:
        """The status now: a suspension that ended (``until``) is active again."""
        return Status.active.value if self.until else self.status


def read_statuses(text: str | None = None) -> list[StatusRow]:
    """The curated statuses (``text``: a CSV of the same columns instead of the shipped file)."""
    import csv  # builds only, as below: not imported by every query
    from importlib import resources

    if text is None:
        text = resources.files("youcheng.data").joinpath("relationship_status.csv").read_text("utf-8")
    out = []
    for number, row in enumerate(csv.DictReader(text.splitlines()), start=2):
        values = {k: (v.strip() or None) for k, v in row.items()}
        if values.get("status") not in STATUSES or not values.get("source") \
                or not values.get("cn_id") or not values.get("partner_id"):
            raise ValueError(f"relationship_status.csv line {number}: needs cn_id, partner_id, a source "
                             f"and a status of {', '.join(STATUSES)}")
        out.append(StatusRow(**values))  # type: ignore[arg-type]
    return out


def apply_statuses(conn: sqlite3.Connection, rows: Iterable[StatusRow]) -> None:
    """Set the status of each matched relationship a curated row names (and its citation)."""
    conn.executemany(
        "UPDATE relationships SET status = ?, status_since = ?, status_until = ?, status_note = ?,"
        " status_source = ? WHERE cn_id = ? AND partner_id = ? AND matched",
        [(r.current, r.since, r.until, r.note, r.source, r.cn_id, r.partner_id) for r in rows])


# --- Reading (the CLI, the Python API and the REST API) --------------------------------------


@dataclass(frozen=True)
class ConflictValue:
    """One source's value of a field the attestations disagree on."""

    value: str
    source: str
    line: int


@dataclass(frozen=True)
class Conflict:
    """A field (date, country or tier) on which a relationship's attestations disagree."""

    field: str
    values: list[ConflictValue]


@dataclass(frozen=True)
class Relationship:
    """A pair of places with every source that attests it (``/api/relationships``).

    ``tier``, ``date`` and ``country`` are those the rule chose (module docstring); the
    names are as the chosen attestation writes them. ``status_source`` cites where the
    status comes from, or says that no source says otherwise.
    """

    id: str
    cn_id: str
    cn_name: str
    partner_id: str | None
    partner_name: str | None
    matched: bool
    tier: str
    status: str
    status_source: str
    status_since: str | None
    status_until: str | None
    status_note: str | None
    date: str | None
    date_precision: str | None
    country: str | None
    province: str | None
    cn_level: str | None
    sources: int
    conflicts: list[Conflict]
    attestations: list[Attestation] = field(default_factory=list)


# Aliased p, as partnerships are in query.py: query._where's filters apply as they are (the
# relationships table has the partnerships' filter columns under the same names).
_RELATIONSHIP_SELECT = (
    "SELECT p.id, p.cn_id, c.cn_name, p.partner_id, c.partner_name, p.matched, p.tier, p.status,"
    " p.status_source, p.status_since, p.status_until, p.status_note, p.date, p.date_precision, p.country,"
    " p.province, p.cn_level, p.sources, p.conflicts FROM relationships p"
    " JOIN partnerships c ON c.id = p.chosen")
_ORDER = "ORDER BY p.id"
_RELATIONSHIP_FIELDS = tuple(f.name for f in fields(Relationship))


def _relationships(conn: sqlite3.Connection, sql: str, params: Sequence[object]) -> list[Relationship]:
    """The relationships ``sql`` (a ``_RELATIONSHIP_SELECT``) selects, each with its attestations."""
    cursor = conn.cursor()
    cursor.row_factory = None
    rows = cursor.execute(sql, params).fetchall()
    attested: dict[str, list[Attestation]] = {}
    ids = [r[0] for r in rows]
    for start in range(0, len(ids), 500):  # SQLite's limit on parameters
        chunk = ids[start:start + 500]
        found = conn.cursor()
        found.row_factory = None
        for row in found.execute(
                f"SELECT p.relationship_id, {_ATTESTATION_COLUMNS} FROM partnerships p"
                f" JOIN sources s ON s.id = p.source_id WHERE p.relationship_id IN ({', '.join('?' * len(chunk))})",
                chunk):
            attested.setdefault(row[0], []).append(Attestation(*row[1:]))
    out = []
    for r in rows:
        conflicts = [Conflict(c["field"], [ConflictValue(str(v["value"]), v["source"], v["line"])
                                           for v in c["values"]]) for c in json.loads(r[18] or "[]")]
        values = dict(zip(_RELATIONSHIP_FIELDS, r))
        values.update(matched=bool(r[5]), status_source=r[8] or DEFAULT_STATUS_SOURCE, conflicts=conflicts,
                      attestations=sorted(attested.get(r[0], []), key=rank))
        out.append(Relationship(**values))
    return out


def check_status(status: str | None) -> str | None:
    """``status`` if it is one of ``STATUSES`` (or None); UsageError naming them otherwise."""
    from youcheng import query

    return None if status is None else query.check_status(status)


def select_relationships(conn: sqlite3.Connection, filters: object | None = None, status: str | None = None,
                         limit: int | None = 100, offset: int = 0) -> tuple[int, list[Relationship]]:
    """The total and one page of the relationships matching ``filters`` (``query.Filters``,
    the same as for records, applied to the relationship's chosen values) and ``status``."""
    from youcheng import query
    from youcheng.errors import UsageError

    f = filters if isinstance(filters, query.Filters) else query.Filters()
    if limit is not None and not 0 <= limit <= query.MAX_LIMIT:
        raise UsageError(f"limit must be between 0 and {query.MAX_LIMIT}, got {limit}")
    if offset < 0:
        raise UsageError(f"offset must not be negative, got {offset}")
    where, params = query._where(conn, f, "relationships")  # the filter columns have the same names in both tables
    if check_status(status):
        where += (" AND " if where else "WHERE ") + "p.status = ?"
        params.append(status)
        total = int(conn.execute(f"SELECT COUNT(*) FROM relationships p {where}", params).fetchone()[0])
    else:
        total = query.count_relationships(conn, f)
    sql = f"{_RELATIONSHIP_SELECT} {where} {_ORDER}"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    return total, _relationships(conn, sql, params)


def iter_relationships(conn: sqlite3.Connection, filters: object | None = None, status: str | None = None,
                       batch: int = 1000) -> Iterator[Relationship]:
    """Every matching relationship by id, streamed a batch at a time (exports of a million)."""
    from youcheng import query

    f = filters if isinstance(filters, query.Filters) else query.Filters()
    where, params = query._where(conn, f, "relationships")
    if check_status(status):
        where += (" AND " if where else "WHERE ") + "p.status = ?"
        params.append(status)
    after = ""
    while True:
        clause = where + (" AND " if where else "WHERE ") + "p.id > ?"
        found = _relationships(conn, f"{_RELATIONSHIP_SELECT} {clause} {_ORDER} LIMIT ?", [*params, after, batch])
        yield from found
        if len(found) < batch:
            return
        after = found[-1].id


def relationships_by_id(conn: sqlite3.Connection, ids: Iterable[str], batch: int = 500) -> Iterator[Relationship]:
    """The relationships with these ids, by id (those of some exported records, for the Data Package)."""
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), batch):
        chunk = ordered[start:start + batch]
        yield from _relationships(conn, f"{_RELATIONSHIP_SELECT} WHERE p.id IN ({', '.join('?' * len(chunk))})"
                                        f" {_ORDER}", chunk)


def place_points(conn: sqlite3.Connection) -> dict[str, tuple[float, float]]:
    """(lat, lon) of every place with coordinates, for drawing relationships (GeoJSON)."""
    return {str(r[0]): (float(r[1]), float(r[2])) for r in conn.execute(
        "SELECT id, lat, lon FROM places WHERE lat IS NOT NULL AND lon IS NOT NULL")}


def relationship(conn: sqlite3.Connection, relationship_id: str) -> Relationship:
    """One relationship with its attestations; NotFound if no relationship has that id."""
    from youcheng.errors import NotFound

    found = _relationships(conn, f"{_RELATIONSHIP_SELECT} WHERE p.id = ?", [relationship_id])
    if not found:
        raise NotFound(f"no relationship has the id {relationship_id!r}; ids come from /api/relationships "
                       "and each record's relationship_id")
    return found[0]


def relationships_of(conn: sqlite3.Connection, name: str) -> list[Relationship]:
    """The relationships of the place called ``name`` (either side), by Chinese place, then date."""
    from youcheng import query_places
    from youcheng.errors import NotFound

    ids = query_places.known_place_ids(conn, name)  # NotFound names the nearest names and the coverage
    marks = ", ".join("?" * len(ids))
    found = _relationships(conn, f"{_RELATIONSHIP_SELECT} WHERE p.cn_id IN ({marks}) OR p.partner_id IN ({marks})",
                           [*ids, *ids])
    return sorted(found, key=lambda r: (r.cn_name, r.date is None, r.date or "", r.attestations[0].source,
                                        r.attestations[0].line))


def conflicted(conn: sqlite3.Connection, limit: int | None = None, offset: int = 0) -> tuple[int, list[Relationship]]:
    """The relationships whose attestations disagree (``youcheng check``, ``/api/conflicts``)."""
    total = int(conn.execute("SELECT COUNT(*) FROM relationships WHERE conflicts IS NOT NULL").fetchone()[0])
    sql = f"{_RELATIONSHIP_SELECT} WHERE p.conflicts IS NOT NULL {_ORDER} LIMIT ? OFFSET ?"
    return total, _relationships(conn, sql, [-1 if limit is None else limit, offset])


__all__ = ["AUTHORITY", "Attestation", "Choice", "Conflict", "ConflictValue", "Relationship", "STATUSES",
           "StatusRow", "apply_statuses", "check_status", "conflicted", "conflicts", "dates_agree", "derive",
           "iter_relationships", "place_points", "rank", "read_statuses", "relationship", "relationship_id", "relationships_by_id",
           "relationships_of",
           "select_relationships"]
