"""Statistics on a built registry: precomputed counts against grouping the partnerships;
and folded search (Koln for Köln, OITA for Ōita) against search as stored.

Usage: python benchmarks/bench_queries.py --db registry.db [--samples 200] [--seed 1] [--search-only]

``/api/stats`` and ``youcheng stats`` ask for counts by country, year, province and
level (and the total) under the page's filters. The build writes those counts once
(schema.sql ``partnership_counts`` and ``stat_counts``); ``query.breakdown`` reads
them. The baseline, timed in the same run on the same connection, is what the
read layer did before: one ``GROUP BY`` over the partnerships per dimension plus a
``COUNT(*)``. Prints median and p99 per filter kind, and the ratio of medians.
For the 1,000,000-partnership registry of ``bench_build.py --keep``:

    python benchmarks/bench_queries.py --db /tmp/youcheng-bench/synth-1000000-40000-1.db
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
from youcheng import query  # noqa: E402
from youcheng.query import STAT_DIMENSIONS, Filters  # noqa: E402
from youcheng.database import connect_readonly  # noqa: E402


def precomputed(conn: sqlite3.Connection, filters: Filters) -> list[object]:
    """What /api/stats asks the read layer for: the total and the four breakdowns, in one call."""
    total, by_dimension = query.breakdowns(conn, filters)
    return [total, *(by_dimension[by] for by in STAT_DIMENSIONS)]


def folded_spellings(conn: sqlite3.Connection, rng: random.Random, n: int) -> list[tuple[str, str]]:
    """(as typed, as stored) pairs: indexed Latin names with diacritics, retyped without them and
    in another case (Köln -> KOLN, São Paulo -> sao paulo), and 2-character prefixes of those."""
    import unicodedata

    names = [str(r[0]) for r in conn.execute(
        "SELECT name FROM place_names WHERE name GLOB '*[À-ɏ]*' AND length(name) BETWEEN 3 AND 30 LIMIT 20000")]
    pairs = []
    for name in rng.sample(names, min(n, len(names))):
        plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
        typed = rng.choice([plain.upper(), plain.lower(), plain[:2]])
        pairs.append((typed, name if len(typed) > 2 else name[:2]))
    return pairs


def time_searches(conn: sqlite3.Connection, pairs: list[tuple[str, str]]) -> None:
    """p50 / p99 of each folded search and of the same search typed as stored, in turn."""
    ours: list[float] = []
    base: list[float] = []
    found = 0
    for typed, stored in pairs:
        for text, times in ((typed, ours), (stored, base)):
            start = time.perf_counter()
            hits = query.search(conn, text)
            times.append((time.perf_counter() - start) * 1000)
            found += bool(hits) and text is typed
    if not ours:
        print("folded search: the registry has no Latin name with diacritics")
        return
    short = sum(len(t) <= 2 for t, _ in pairs)
    print(f"\nfolded search: {len(pairs)} spellings ({short} of 2 characters), each typed without its "
          f"diacritics and in another case, then as stored; {found} of the folded found something")
    p50, b50 = statistics.median(ours), statistics.median(base)
    print(f"{'search':18} {'folded p50 / p99 (ms)':>28} {'as stored p50 / p99 (ms)':>26} {'ratio p50':>10}")
    print(f"{'any script':18} {p50:12.2f} / {percentile(ours, 0.99):9.2f} "
          f"{b50:13.2f} / {percentile(base, 0.99):9.2f} {b50 / p50:9.2f}x")


def grouped_from_rows(conn: sqlite3.Connection, filters: Filters) -> list[object]:
    """The baseline: the same calls taking the read layer's path for registries without the counts."""
    has_counts = query._has_counts
    query._has_counts = lambda conn: False
    try:
        return precomputed(conn, filters)
    finally:
        query._has_counts = has_counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--samples", type=int, default=200, help="filters of each kind")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--search-only", action="store_true", help="only the folded-search row")
    args = parser.parse_args()
    conn = connect_readonly(args.db)
    rng = random.Random(args.seed)
    if args.search_only:
        time_searches(conn, folded_spellings(conn, rng, args.samples))
        return
    keys = {by: [row.key for row in query.stats(conn, by) if row.key is not None] for by in STAT_DIMENSIONS}
    years = [int(y) for y in keys["year"]]
    kinds: dict[str, Callable[[], Filters]] = {
        "no filter": Filters,
        "country": lambda: Filters(country=rng.choice(keys["country"])),
        "province": lambda: Filters(province=rng.choice(keys["province"])),
        "level + country": lambda: Filters(level=rng.choice(keys["level"]), country=rng.choice(keys["country"])),
        "decade": lambda: (lambda y: Filters(year_from=y, year_to=y + 9))(rng.choice(years)),
    }
    total = sum(row.count for row in query.stats(conn, "country"))
    print(f"registry: {args.db} ({total:,} partnerships); {args.samples} filters of each kind, "
          "both ways in turn on the same connection")
    print(f"{'filters':18} {'precomputed p50 / p99 (ms)':>28} {'GROUP BY p50 / p99 (ms)':>26} {'ratio p50':>10}")
    for kind, make in kinds.items():
        ours: list[float] = []
        base: list[float] = []
        for _ in range(args.samples if kind != "no filter" else min(args.samples, 20)):
            filters = make()
            answers = []
            for fn, times in ((precomputed, ours), (grouped_from_rows, base)):
                start = time.perf_counter()
                answers.append(fn(conn, filters))
                times.append((time.perf_counter() - start) * 1000)
            assert answers[0] == answers[1], f"the two ways disagree under {filters}"
        p50, b50 = statistics.median(ours), statistics.median(base)
        print(f"{kind:18} {p50:12.2f} / {percentile(ours, 0.99):9.2f} "
              f"{b50:13.2f} / {percentile(base, 0.99):9.2f} {b50 / p50:9.1f}x")
    time_searches(conn, folded_spellings(conn, rng, args.samples))


if __name__ == "__main__":
    main()
