"""Place search on a built registry: ``query_places.search`` against the single SQL statement
it replaced (issue #16), timed in turn on the same connection, and their answers compared.

Usage: python benchmarks/bench_search.py --db registry.db [--queries 2000] [--seed 1] [--common 50]

The two-character queries are sampled as ``bench_build.py``'s ``time_queries`` samples them
(every two-Chinese-character substring of every place's display name, so common grams come up
as often as they occur), with the same seed and the same 50 warm-up searches. ``--common N``
adds the N grams with the most places, each searched once: the worst cases. Prints p50 / p99 /
max of each way and stops with an error if any answer differs.

    python benchmarks/bench_search.py --db /tmp/youcheng-bench/synth-1000000-40000-1.db
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._common import percentile  # noqa: E402
from youcheng.database import connect_readonly  # noqa: E402
from youcheng.model import PlaceHit  # noqa: E402
from youcheng.query_places import _every_match, _probe_grams, search  # noqa: E402
from youcheng.resolve.fold import search_key  # noqa: E402


def single_statement(conn: sqlite3.Connection, text: str, limit: int = 20) -> list[PlaceHit]:
    """The search before issue #16, for any limit: every candidate's names checked and ranked in
    one statement (``search`` still takes it when the limit leaves no candidate out)."""
    key = search_key(text)
    cursor = conn.cursor()
    cursor.row_factory = None
    return _every_match(cursor, key, _probe_grams(key), limit)


def sampled_queries(conn: sqlite3.Connection, n: int, seed: int) -> tuple[list[str], list[str]]:
    """(warm-up, timed) two-character queries, drawn as bench_build.time_queries draws them."""
    rng = random.Random(seed)
    names = [r[0] for r in conn.execute("SELECT name FROM places ORDER BY id")]
    grams = [name[i:i + 2] for name in names for i in range(len(name) - 1)
             if all("\u4e00" <= ch <= "\u9fff" for ch in name[i:i + 2])]
    searches = rng.sample(grams, min(n, len(grams)))
    return searches[:50], searches


def common_grams(conn: sqlite3.Connection, n: int) -> list[str]:
    """The n two-Chinese-character grams with the most places."""
    rows = conn.execute(
        "SELECT gram, COUNT(*) AS c FROM name_grams WHERE length(gram) = 2 AND gram >= '\u4e00' "
        "AND gram < '\u9fff\u9fff' GROUP BY gram ORDER BY c DESC LIMIT ?", (n,)).fetchall()
    return [str(r[0]) for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--common", type=int, default=0, help="also the N grams with the most places")
    parser.add_argument("--new-only", action="store_true", help="time only query_places.search")
    args = parser.parse_args()
    conn = connect_readonly(args.db)
    warm, queries = sampled_queries(conn, args.queries, args.seed)
    queries += common_grams(conn, args.common)
    ways: dict[str, Callable[[sqlite3.Connection, str, int], list[PlaceHit]]] = {"search": search}
    if not args.new_only:
        ways["single statement"] = single_statement
    for text in warm:
        for fn in ways.values():
            fn(conn, text, args.limit)
    times: dict[str, list[float]] = {way: [] for way in ways}
    for text in queries:
        answers = []
        for way, fn in ways.items():
            start = time.perf_counter()
            answers.append(fn(conn, text, args.limit))
            times[way].append((time.perf_counter() - start) * 1000)
        if any(a != answers[0] for a in answers):
            sys.exit(f"the answers for {text!r} differ:\n" + "\n".join(map(str, answers)))
    print(f"registry: {args.db}; {len(queries)} two-character searches (limit {args.limit}, seed {args.seed}, "
          f"{args.common} most common grams), each way in turn on the same connection; answers equal")
    for way, values in times.items():
        print(f"{way:17} p50 {statistics.median(values):6.2f} ms, p99 {percentile(values, 0.99):6.2f} ms, "
              f"max {max(values):6.2f} ms")


if __name__ == "__main__":
    main()
