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

    Works for one- and two-character Chinese queries: candidates come from the
    ``name_grams`` index and are then checked for the whole substring.
    """
    key = search_key(text)
    if not key:
        raise UsageError("search text is empty")
    marks = ", ".join("?" * len(grams := _probe_grams(key)))
    rows = conn.execute(
        f"""
        WITH candidates AS (
            SELECT place_id FROM name_grams WHERE gram IN ({marks})
            GROUP BY place_id HAVING COUNT(*) = ?
        ), matches AS (
            -- The name shown as matched is the best: whole, else the shortest prefix, else the
            -- shortest containing the text (SQLite takes a bare column from the row of the MIN).
            SELECT n.place_id, n.name AS matched,
                   MIN((CASE WHEN n.key = ? THEN 0 WHEN n.key LIKE ? ESCAPE '\\' THEN 1 ELSE 2 END) * 1000000
                       + length(n.key) * 1000 + unicode(n.name)) AS score
            FROM place_names n JOIN candidates c ON c.place_id = n.place_id
            WHERE instr(n.key, ?) > 0
            GROUP BY n.place_id
        )
        SELECT p.id, p.side, p.name, m.matched, p.country, p.partnerships AS n
        FROM matches m JOIN places p ON p.id = m.place_id
        ORDER BY m.score / 1000000, n DESC, p.name
        LIMIT ?
        """,
        [*grams, len(grams), key, _like_prefix(key), key, limit],
    ).fetchall()
    return [PlaceHit(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


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
