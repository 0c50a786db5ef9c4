"""What one partner name costs the resolver, by shape (issue #16): no page, no SQLite.

Usage: python benchmarks/bench_names.py [--names 20000] [--seed 1]

Resolves rows whose partners are (a) invented names no gazetteer knows, each written once,
(b) real gazetteer names, each written once, (c) a few hundred real names recurring, through
``RecordResolver.resolve_fields`` as a build does, and prints microseconds per row for each,
with a baseline measured in the same run: the same rows through a dict lookup of the name
(what "one failed lookup" costs). The target of issue #16: an unresolvable name costs about
one failed lookup more than a recurring one, not a walk over every resolver.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.synth import _counter_name, _gazetteer_names, _invented  # noqa: E402
from youcheng.model import Link, RawPartnership  # noqa: E402
from youcheng.resolve.records import RecordResolver, RowIds  # noqa: E402


def rows(names: list[str], cn: list[str]) -> list[RawPartnership]:
    return [RawPartnership("bench.md", i + 1, "河南", c, (Link(c, c),), name, (Link(name, name),),
                           None, None, None, None, None, i + 1)
            for i, (name, c) in enumerate(zip(names, cn))]


def per_row(batch: list[RawPartnership]) -> float:
    """Microseconds per row through a fresh resolver (the gazetteers loaded already)."""
    resolver, ids = RecordResolver(), RowIds()
    start = time.perf_counter()
    for raw in batch:
        resolver.resolve_fields(raw, ids.next(raw))
    return (time.perf_counter() - start) / len(batch) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cn = [rng.choice(("洛陽市", "鄭州市", "開封市", "安陽市")) for _ in range(args.names)]
    invented = [_counter_name(i) + _invented(rng)[:2] + "市" for i in range(args.names)]
    real = [name for name, _ in _gazetteer_names(rng)][:args.names]
    recurring = [rng.choice(real[:300]) for _ in range(args.names)]
    per_row(rows(recurring[:2000], cn))  # load the gazetteers and OpenCC once
    table = {name: name for name in real}
    start = time.perf_counter()
    for name in invented:
        table.get(name)
    lookup = (time.perf_counter() - start) / len(invented) * 1e6
    print(f"baseline, one failed dict lookup: {lookup:.2f} us a row")
    results = {}
    for label, names in (("recurring real names", recurring), ("distinct real names", real),
                         ("distinct unresolvable names", invented)):
        results[label] = per_row(rows(names, cn))
        print(f"{label} ({len(names):,} rows): {results[label]:.1f} us a row")
    extra = results["distinct unresolvable names"] - results["recurring real names"]
    print(f"an unresolvable name costs {extra:.1f} us more than a recurring one "
          f"({extra / max(lookup, 1e-3):.0f} failed lookups)")


if __name__ == "__main__":
    main()
