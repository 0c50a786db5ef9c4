"""Finding places in the registry: by a name in any script, by part of a name, by id.

Part of the read layer (``query.py`` filters by these and re-exports ``search`` and
``place``). Place names are matched through the ``place_names`` table, so whatever
names the resolution stage indexes (scripts, pinyin, English) work in every query;
part of a name is found through the ``name_grams`` index, also for one- and
two-character Chinese text.
"""

from __future__ import annotations

import sqlite3
from dataclasses import fields as _dataclass_fields
from typing import Any

from youcheng.errors import NotFound, UsageError
from youcheng.model import Place, PlaceHit
from youcheng.resolve.fold import search_key, search_key_as_written


def place_ids(conn: sqlite3.Connection, name: str) -> list[str]:
    """Ids of the places called ``name`` in any indexed script, or with that id.

    Names already in Simplified script (or Latin letters) are looked up as written
    first: their key is the same, and a one-shot command then never loads OpenCC.
    """
    written = search_key_as_written(name)
    ids = _ids_for_key(conn, written, name)
    if ids or written.isascii():
        return ids
    key = search_key(name)
    return _ids_for_key(conn, key, name) if key != written else ids


def _ids_for_key(conn: sqlite3.Connection, key: str, name: str) -> list[str]:
    rows = conn.execute(
        "SELECT DISTINCT place_id FROM place_names WHERE key = ? "
        "UNION SELECT id FROM places WHERE id = ?", (key, name.strip()),
    ).fetchall()
    return [r[0] for r in rows]


def known_place_ids(conn: sqlite3.Connection, name: str) -> list[str]:
    """``place_ids``, or NotFound saying what the registry covers and which names are near."""
    ids = place_ids(conn, name)
    if not ids:
        from youcheng.search import no_match_message

        raise NotFound(no_match_message(conn, name, f"no place is called {name!r} in this registry"))
    return ids


def search(conn: sqlite3.Connection, text: str, limit: int = 20) -> list[PlaceHit]:
    """Places whose name contains ``text`` in any indexed script, best matches first.

    Ranked by the best of a place's matching names (``_Hit``): the whole key, then a prefix,
    then the key anywhere; within each by partnerships (most first), name and id. Works for
    one- and two-character Chinese queries. A negative ``limit`` means no limit, as in SQL.

    When ``limit`` leaves out some of the candidates (the places that have the query's grams),
    the places with a name that is or begins with the key come first, from ``place_names`` by
    key range (its primary key); only if they do not fill ``limit`` are the others read, from
    ``name_grams`` in rank order (partnerships, name, id), ``limit`` at a time, and only the names of
    those returned are read. Issue #16: a two-character gram of thousands of places took 30 ms
    when every candidate's names were read and ranked (``benchmarks/bench_search.py``), which
    remains the way when every candidate is returned anyway (``_every_match``).
    """
    key = search_key(text)
    if not key:
        raise UsageError("search text is empty")
    if limit == 0:
        return []
    want = limit if limit > 0 else None
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: no sqlite3.Row for each of thousands of rows
    grams = _probe_grams(key)
    if want is None or not all(_more_than(cursor, gram, want) for gram in grams):
        return _every_match(cursor, key, grams, limit)
    scoring = [key, _like_prefix(key)]
    end = _prefix_end(key)
    below, bounds = ("AND n.key < ?", [key, end]) if end is not None else ("", [key])
    # Every name that is the key or begins with it, in index order: one range of keys (LIKE also
    # takes capitals for small letters, but search_key has folded every key's case).
    head: dict[str, _Hit] = {}
    _best(cursor.execute(
        f"""
        SELECT {_HIT_COLUMNS} FROM place_names n JOIN places p ON p.id = n.place_id
        WHERE n.key >= ? {below} AND n.key LIKE ? ESCAPE '\\' AND instr(n.key, ?) > 0
        ORDER BY n.key, n.place_id, n.name
        """,
        [*scoring, *bounds, scoring[1], key]).fetchall(), head)
    # Such a name scores below 2,000,000, and so beats every name that only contains the key,
    # unless its key is about a thousand characters long (the length is in the score): a place
    # with none below has all its names scored.
    head.update(_scored(cursor, scoring, key, [i for i, hit in head.items() if hit.score >= 2_000_000]))
    hits = sorted(head.values(), key=_Hit.order)
    first = sum(hit.rank < 2 for hit in hits)  # ranked before every other match
    if first >= want:
        return [hit.place_hit() for hit in hits[:want]]
    # Every other match only contains the key: rank 2, or more if every one of its names is so
    # long (or begins with a code point so high) that the score passes the next million.
    params: list[str | int] = [key]
    if len(key) <= 2:  # the key is the gram: its places, in their rank's order (the index's)
        candidates = "SELECT c.place_id AS id FROM name_grams c WHERE c.gram = ? ORDER BY c.rank"
    else:  # the grams only narrow the candidates down: each is checked for the whole key
        marks = ", ".join("?" * len(grams))
        candidates = (
            f"SELECT c.place_id AS id FROM (SELECT place_id, MIN(rank) AS rank FROM name_grams"
            f" WHERE gram IN ({marks}) GROUP BY place_id HAVING COUNT(*) = ?) c"
            " WHERE EXISTS (SELECT 1 FROM place_names n WHERE n.place_id = c.place_id AND instr(n.key, ?) > 0)"
            " ORDER BY c.rank")
        params = [*grams, len(grams), key]
    needed = want - first
    offset, size = 0, needed + len(head)  # those of ``head`` among the candidates are passed over
    while True:
        # The next ``size`` candidates by partnerships and name, each with its matching names.
        rows = cursor.execute(
            f"""
            WITH batch AS ({candidates} LIMIT ? OFFSET ?)
            SELECT {_HIT_COLUMNS}, (SELECT COUNT(*) FROM batch)
            FROM batch b JOIN places p ON p.id = b.id JOIN place_names n ON n.place_id = p.id
            WHERE instr(n.key, ?) > 0
            ORDER BY p.id, n.key, n.name
            """,
            [*params, size, offset, *scoring, key]).fetchall()
        found: dict[str, _Hit] = {}
        _best([row for row in rows if row[0] not in head], found)
        hits += found.values()
        if not rows or rows[0][7] < size:  # no candidate left
            break
        needed -= sum(hit.rank == 2 for hit in found.values())
        if needed <= 0:  # the best of the rest rank 2: none of those after them comes earlier
            break
        offset, size = offset + size, size * 4
    return [hit.place_hit() for hit in sorted(hits, key=_Hit.order)[:want]]


def _more_than(cursor: sqlite3.Cursor, gram: str, count: int) -> bool:
    """Whether more than ``count`` places have ``gram`` (counting at most ``count`` + 1)."""
    return bool(cursor.execute("SELECT COUNT(*) > ? FROM (SELECT 1 FROM name_grams WHERE gram = ? LIMIT ?)",
                               (count, gram, count + 1)).fetchone()[0])


def _every_match(cursor: sqlite3.Cursor, key: str, grams: list[str], limit: int) -> list[PlaceHit]:
    """``search`` in one statement: every candidate's names checked and scored, and the places
    ranked, in SQL (the one way before issue #16). Quickest when the limit leaves none out."""
    marks = ", ".join("?" * len(grams))
    # The name shown as matched is the best: whole, else the shortest prefix, else the shortest
    # containing the text (SQLite takes a bare column from the row of the MIN). No comment in the
    # SQL: benchmarks/bench_api.py gives the statement to Datasette on one line.
    rows = cursor.execute(
        f"""
        WITH candidates AS (
            SELECT place_id FROM name_grams WHERE gram IN ({marks})
            GROUP BY place_id HAVING COUNT(*) = ?
        ), matches AS (
            SELECT n.place_id, n.name AS matched,
                   MIN((CASE WHEN n.key = ? THEN 0 WHEN n.key LIKE ? ESCAPE '\\' THEN 1 ELSE 2 END) * 1000000
                       + length(n.key) * 1000 + unicode(n.name)) AS score
            FROM place_names n JOIN candidates c ON c.place_id = n.place_id
            WHERE instr(n.key, ?) > 0
            GROUP BY n.place_id
        )
        SELECT p.id, p.side, p.name, m.matched, p.country, p.partnerships AS n
        FROM matches m JOIN places p ON p.id = m.place_id
        ORDER BY m.score / 1000000, n DESC, p.name, p.id
        LIMIT ?
        """,
        [*grams, len(grams), key, _like_prefix(key), key, limit],
    ).fetchall()
    return [PlaceHit(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


# A place and one of its names that contains the key, with the score that ranks it: the class
# (0 the whole key, 1 a prefix, 2 inside) * 1,000,000 + the key's length * 1000 + the name's
# first code point. A place's best name is its lowest score, and its rank the score's million.
_HIT_COLUMNS = """p.id, p.side, p.name, p.country, p.partnerships, n.name,
    (CASE WHEN n.key = ? THEN 0 WHEN n.key LIKE ? ESCAPE '\\' THEN 1 ELSE 2 END) * 1000000
    + length(n.key) * 1000 + unicode(n.name)"""
_BOUND = 500  # ids bound to one statement


class _Hit:
    """A place that matches, its best matching name and that name's score (``_HIT_COLUMNS``)."""

    __slots__ = ("row", "matched", "score")

    def __init__(self, row: tuple[Any, ...], matched: str, score: int) -> None:
        self.row, self.matched, self.score = row, matched, score

    @property
    def rank(self) -> int:
        return self.score // 1_000_000

    def order(self) -> tuple[int, int, str, str]:
        """Rank, then partnerships (most first), name and id."""
        return self.rank, -self.row[4], self.row[2], self.row[0]

    def place_hit(self) -> PlaceHit:
        r = self.row
        return PlaceHit(r[0], r[1], r[2], self.matched, r[3], r[4])


def _scored(cursor: sqlite3.Cursor, scoring: list[str], key: str, ids: list[str]) -> dict[str, _Hit]:
    """The places ``ids`` that have a name containing ``key``, each with its best one."""
    found: dict[str, _Hit] = {}
    for at in range(0, len(ids), _BOUND):
        chunk = ids[at:at + _BOUND]
        marks = ", ".join("?" * len(chunk))
        _best(cursor.execute(
            f"""
            SELECT {_HIT_COLUMNS} FROM places p JOIN place_names n ON n.place_id = p.id
            WHERE p.id IN ({marks}) AND instr(n.key, ?) > 0
            ORDER BY p.id, n.key, n.name
            """,
            [*scoring, *chunk, key]).fetchall(), found)
    return found


def _best(rows: list[tuple[Any, ...]], into: dict[str, _Hit]) -> None:
    """Each place's best name from ``_HIT_COLUMNS`` rows in (place, key, name) order: the lowest
    score, and of equal scores the first, as SQL's MIN() with a bare column had it."""
    for row in rows:
        score = row[6]
        if score is None:  # unicode('') is NULL, which MIN() passes over
            continue
        hit = into.get(row[0])
        if hit is None:
            into[row[0]] = _Hit(row[:5], row[5], score)
        elif score < hit.score:
            hit.matched, hit.score = row[5], score


def _prefix_end(key: str) -> str | None:
    """The least text above every text that begins with ``key`` (in code point order, as SQLite
    compares UTF-8 text), or None if ``key`` ends with the last code point."""
    after = ord(key[-1]) + 1
    if after > 0x10FFFF:
        return None
    return key[:-1] + chr(0xE000 if 0xD800 <= after <= 0xDFFF else after)


_PROBE_GRAMS = 4


def _probe_grams(key: str) -> list[str]:
    """The grams whose places are candidates for ``key``: the key itself when one character
    long, else at most ``_PROBE_GRAMS`` of its two-character grams, spread over it. Every
    candidate is checked for the whole key, so fewer grams only mean more candidates; a long
    Latin key has twenty common grams (ai, nt, de…), each of tens of thousands of rows at a
    million partnerships, and their intersection cost more than checking what four leave."""
    if len(key) == 1:
        return [key]
    grams = [key[i:i + 2] for i in range(len(key) - 1)]
    if len(grams) > _PROBE_GRAMS:  # the first, the last and evenly between
        grams = [grams[round(i * (len(grams) - 1) / (_PROBE_GRAMS - 1))] for i in range(_PROBE_GRAMS)]
    return sorted(set(grams))


def _like_prefix(key: str) -> str:
    return key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def place(conn: sqlite3.Connection, place_id: str) -> Place:
    """The place with id ``place_id`` and every name it is known by (``/api/places/{id}``).

    Reads whichever ``places`` columns the build filled, so places from a build
    without resolution fields still come back, with those fields null.
    Raises NotFound when no place has that id.
    """
    cursor = conn.execute("SELECT * FROM places WHERE id = ?", (place_id,))
    row = cursor.fetchone()
    if row is None:
        raise NotFound(f"no place has the id {place_id!r}; find ids with 'youcheng search' or /api/search")
    known = {f.name for f in _dataclass_fields(Place)}
    values = {d[0]: v for d, v in zip(cursor.description, row) if d[0] in known}
    names = tuple((str(r[0]), str(r[1])) for r in conn.execute(
        "SELECT name, kind FROM place_names WHERE place_id = ? ORDER BY kind, name", (place_id,)))
    return Place(**{**values, "names": names})
