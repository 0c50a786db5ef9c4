"""query_places.search answers exactly as the single SQL statement it replaced (issue #16).

The statement is kept here as the oracle: every candidate of the query's grams, each of its
names checked and scored, ranked in SQL. ``search`` now reads the names that are or begin with
the key by key range and the rest of the candidates best first, a limit at a time; these tests
compare the two on random queries (one and two characters, longer, Latin, mixed, none found)
and limits over three registries: the seed, a synthetic one whose names do not repeat (the
shape of issue #16), and a hand-made one full of ties, names too long for their class and
places with the same name.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from youcheng import Registry
from youcheng.database import SCHEMA_VERSION, connect_readonly
from youcheng.model import PlaceHit
from youcheng.query_places import _like_prefix, _probe_grams, search
from youcheng.resolve.fold import search_key
from youcheng.store._side import write_grams

from .conftest import load_script

ORACLE = """
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
ORDER BY m.score / 1000000, n DESC, p.name
LIMIT ?
"""


def oracle(conn: sqlite3.Connection, text: str, limit: int) -> list[PlaceHit]:
    """search() as it was before issue #16, ties in the order that statement gave them."""
    key = search_key(text)
    grams = _probe_grams(key)
    rows = conn.execute(ORACLE.format(marks=", ".join("?" * len(grams))),
                        [*grams, len(grams), key, _like_prefix(key), key, limit]).fetchall()
    return [PlaceHit(*r) for r in rows]


LIMITS = (1, 2, 3, 7, 20, 100, 10_000, -1)


def queries(conn: sqlite3.Connection, seed: int, n: int) -> list[str]:
    """Parts of the registry's names as written and as keyed (1 to 6 characters), two parts of
    different names run together (Latin and Chinese mixed), whole names, and text no name holds."""
    rng = random.Random(seed)
    rows = [(str(r[0]), str(r[1])) for r in conn.execute("SELECT name, key FROM place_names ORDER BY key, place_id, name")]
    texts = []
    for _ in range(n):
        name, key = rng.choice(rows)
        source = rng.choice([name, key])
        size = rng.choice([1, 1, 2, 2, 2, 2, 3, 4, 6])
        at = rng.randrange(max(1, len(source) - size + 1))
        texts.append(source[at:at + size])
    for _ in range(n // 10):
        (a, _), (b, _) = rng.sample(rows, 2)
        texts.append(a[:2] + b[-2:])
        texts.append(rng.choice(rows)[0])
    texts += ["zqxj", "鑫鑫鑫鑫", "qq", "犇", "x", "a", "市", "an", "er", "ste", "Köln", "KOLN", "ＷＵ", "巴 县",
              "san", "saint", "城市", "9", "wuhan武汉"]
    return [t for t in texts if search_key(t)]


def compare(conn: sqlite3.Connection, texts: list[str], seed: int) -> tuple[int, int]:
    """Assert search() == oracle for each text at a few limits; (queries with hits, with more hits
    than the smallest limit asked), so each test can show it covered what it means to."""
    rng = random.Random(seed)
    found = crowded = 0
    for text in texts:
        everything = oracle(conn, text, -1)
        found += bool(everything)
        for limit in {rng.choice(LIMITS[:5]), rng.choice(LIMITS), 20}:
            assert search(conn, text, limit) == oracle(conn, text, limit), (text, limit)
        crowded += len(everything) > 20
        assert search(conn, text, -1) == everything, text
    return found, crowded


@pytest.fixture(scope="module")
def seed_conn(seed_db: Path) -> Iterator[sqlite3.Connection]:
    conn = connect_readonly(seed_db)
    yield conn
    conn.close()


def test_the_seed_registry_answers_as_the_oracle(seed_conn: sqlite3.Connection) -> None:
    found, crowded = compare(seed_conn, queries(seed_conn, 1, 400), 1)
    assert found > 300 and crowded > 30


@pytest.fixture(scope="module")
def distinct_conn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    """A registry of invented places whose names do not repeat (bench_build.py's distinct shape)."""
    synth = load_script("synth", "benchmarks")
    folder = tmp_path_factory.mktemp("distinct")
    page = folder / "distinct.md"
    synth.write_page(page, 4000, 300, 3, shape=synth.Shape(invented=1.0, fresh=1.0, cn_places=4000, even=True))
    Registry.build([page], folder / "distinct.db")
    conn = connect_readonly(folder / "distinct.db")
    yield conn
    conn.close()


def test_a_registry_of_distinct_names_answers_as_the_oracle(distinct_conn: sqlite3.Connection) -> None:
    found, crowded = compare(distinct_conn, queries(distinct_conn, 2, 300), 2)
    assert found > 250 and crowded > 100
    # Two-character queries whose gram has thousands of places, the case of issue #16.
    common = [str(r[0]) for r in distinct_conn.execute(
        "SELECT gram FROM name_grams WHERE length(gram) = 2 GROUP BY gram ORDER BY COUNT(*) DESC LIMIT 10")]
    assert compare(distinct_conn, common, 3)[1] == 10


def _made_registry(path: Path, seed: int) -> None:
    """Places named from a few syllables, so that grams have many places: some share a name and
    partnerships (ranked by id, as the oracle ranks them), some have one name in two scripts (the
    same score: the first in index order is the one matched), some have no partnerships; and
    some have names over a thousand characters long or beginning with a code point above
    1,000,000, whose score spills into the next class (thousands times the key's length plus the
    first code point), often with the most partnerships, so that they come first among the
    candidates but rank after them."""
    rng = random.Random(seed)
    syllables = ["巴", "县", "阿", "纳", "市", "斯", "特", "拉", "an", "ber", "g", "sa", "o", "巴县", "县巴"]
    tables, _, indexes = resources.files("youcheng").joinpath("schema.sql").read_text("utf-8").partition("-- @indexes")
    conn = sqlite3.connect(path)
    conn.executescript(tables)
    conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))

    def add(place_id: str, name: str, names: set[str], n: int) -> None:
        conn.execute("INSERT INTO places (id, side, name, country, partnerships) VALUES (?, ?, ?, ?, ?)",
                     (place_id, rng.choice(["cn", "foreign"]), name, rng.choice(["CN", "JP", None]), n))
        for other in names:
            if key := search_key(other):
                conn.execute("INSERT OR IGNORE INTO place_names VALUES (?, ?, ?, 'written')", (key, place_id, other))

    shared = ["".join(rng.choices(syllables, k=rng.randint(1, 3))) for _ in range(40)]
    for number in range(1500):
        name = rng.choice(shared) if rng.random() < 0.3 else "".join(rng.choices(syllables, k=rng.randint(1, 5)))
        names = {name}
        if rng.random() < 0.3:
            names.add(name.replace("县", "縣").replace("纳", "納"))
        if rng.random() < 0.3:
            names.add("".join(rng.choices(syllables, k=rng.randint(2, 6))))
        n = rng.choice([0, 1, 1, 1, 2, 3, 10]) if rng.random() < 0.95 else rng.randint(20, 500)
        if rng.random() < 0.05:
            names = {"ber" * rng.randint(334, 400) + name}
            if rng.random() < 0.5:  # a short name that only contains "ber" beats the long prefix
                names.add(rng.choice(syllables[:8]) + "ber")
            n = rng.choice([0, 600])
        elif rng.random() < 0.03:
            name = chr(rng.choice([0xF4240, 0x10FFFD, 0x100000])) + name
            names, n = {name}, rng.choice([0, 600])
        add(f"t:{rng.randrange(10**6):06d}:{number}", name, names, n)
    # "berberber": more places with a long name that begins with it than a limit of 20, all
    # ranked after those with a short name that only contains it; and places with both, whose
    # short name is the best.
    for number in range(30):
        add(f"u:{number}", f"long{number}", {"ber" * 340 + f"x{number}"}, 0)
        add(f"v:{number}", f"short{number}", {f"巴berberber{number}"}, 5)
    for number in range(10):
        add(f"w:{number}", f"both{number}", {"ber" * 360 + f"y{number}", f"阿berberber{number}"}, 700)
    write_grams(conn)  # as a build makes them, with each place's rank
    conn.executescript(indexes.partition("\n")[2])  # after the marker line
    conn.commit()
    conn.close()


@pytest.fixture(scope="module")
def made_conn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    path = tmp_path_factory.mktemp("made") / "made.db"
    _made_registry(path, 4)
    conn = connect_readonly(path)
    yield conn
    conn.close()


def test_ties_and_long_names_rank_as_the_oracle_ranks_them(made_conn: sqlite3.Connection) -> None:
    found, crowded = compare(made_conn, queries(made_conn, 5, 300), 5)
    for text in ["巴县", "县", "巴", "ber", "berber", "berberber", "an", "县巴", "g", "b", "be"]:
        for limit in LIMITS:
            assert search(made_conn, text, limit) == oracle(made_conn, text, limit), (text, limit)
    assert found > 250 and crowded > 100
    # The cases exist: places of one name and partnerships, and matches past the contains class.
    assert made_conn.execute("SELECT COUNT(*) FROM (SELECT 1 FROM places GROUP BY name, partnerships "
                             "HAVING COUNT(*) > 1)").fetchone()[0] > 20
    assert made_conn.execute("SELECT COUNT(*) FROM (SELECT 1 FROM place_names GROUP BY place_id, key "
                             "HAVING COUNT(*) > 1)").fetchone()[0] > 50
    spilled = [h for h in oracle(made_conn, "巴", -1) if len(h.matched) > 1000 or ord(h.matched[0]) >= 1_000_000]
    assert len(spilled) > 20 and {h.partnerships for h in spilled} == {0, 600}


def test_limit_zero_and_negative(made_conn: sqlite3.Connection) -> None:
    assert search(made_conn, "巴", 0) == [] == oracle(made_conn, "巴", 0)
    assert search(made_conn, "巴", -5) == oracle(made_conn, "巴", -1)
