"""A lower bound of a build, from two of its parts each alone, against the floor of the same run.

Issue #16 asks a build to take at most 5x the floor (``bench_build.py``: read the page, one
regex pass, insert into one indexed table). Two parts of a build are measured here, each on
its own in a child process, between two floors:

- **parsing alone**: ``sources.read_page`` over the page, every item made and dropped (the
  parser a build runs, in one process, nothing resolved or stored);
- **storing alone**: what a registry built from the page holds, written again: a fresh file
  with the build's pragmas and schema, every table's rows copied in from the registry in
  its own order, row by row (``WHERE true`` turns SQLite's page-for-page transfer off, so
  each record is made again as a build makes it), then the schema's indexes, ``ANALYZE``
  and ``PRAGMA quick_check`` as a build runs them. No Python per row, and the tables a build
  sorts before writing (``place_names``, ``name_grams``) arrive sorted already.

A build does both and more (resolving, handing rows between processes, making the grams).
On two cores the two parts can at best overlap entirely, so a build of that registry takes
at least (parsing + storing) / 2 of CPU-bound wall time, and at least the longer of the two
when neither can be split: both bounds are printed against the floor.

    python benchmarks/bench_lower_bound.py REGISTRY PAGE

REGISTRY is a registry built from PAGE (``bench_build.py --keep`` keeps one).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_build import FLOOR, run_child  # noqa: E402

# Parsing alone: the number of items read.
PARSE = r"""
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from youcheng.sources import read_page
count = 0
for count, _ in enumerate(read_page(Path(sys.argv[1])), 1):
    pass
print(count)
"""
# Storing alone: one step a line on stdout, "<seconds>\t<step>".
STORE = r"""
import sqlite3, sys, time
sys.path.insert(0, sys.argv[3])
from youcheng import store
source, target = sys.argv[1], sys.argv[2]
conn = sqlite3.connect(target, isolation_level=None)
conn.executescript(store.WRITE_PRAGMAS)
tables, indexes = store.schema_sql()
conn.executescript(tables)
conn.execute("ATTACH DATABASE ? AS registry", (source,))
def step(label, statements):
    start = time.perf_counter()
    for statement in statements:
        conn.execute(statement)
    print(f"{time.perf_counter() - start:.3f}\t{label}", flush=True)
names = [r[0] for r in conn.execute(
    "SELECT name FROM registry.sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rootpage")]
for name in names:
    rows = conn.execute(f"SELECT COUNT(*) FROM registry.{name}").fetchone()[0]
    step(f"rows of {name} ({rows:,})", ["BEGIN", f"INSERT INTO main.{name} SELECT * FROM registry.{name} WHERE true",
                                        "COMMIT"])
conn.execute("DETACH DATABASE registry")
own, side, derived = store._split_indexes(indexes)
step(f"indexes ({len(own) + len(side) + len(derived)})", own + side + derived)
step("ANALYZE", ["ANALYZE"])
step("quick_check", ["PRAGMA quick_check"])
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("registry", type=Path, help="a registry built from PAGE")
    parser.add_argument("page", type=Path, help="the page it was built from (the floor reads it)")
    args = parser.parse_args()
    if not args.registry.is_file() or not args.page.is_file():
        raise SystemExit("give a registry file and the page it was built from")
    with tempfile.TemporaryDirectory(dir=args.registry.parent) as tmp:
        before = run_child([sys.executable, "-c", FLOOR, str(args.page), str(Path(tmp) / "floor-0.db")])
        parsed = run_child([sys.executable, "-c", PARSE, str(args.page), str(ROOT)])
        stored = run_child([sys.executable, "-c", STORE, str(args.registry), str(Path(tmp) / "store.db"),
                            str(ROOT)])
        after = run_child([sys.executable, "-c", FLOOR, str(args.page), str(Path(tmp) / "floor-1.db")])
    floor = (before.wall + after.wall) / 2
    print(f"floor: {before.wall:.1f} s before, {after.wall:.1f} s after")
    for line in stored.out.splitlines():
        seconds, label = line.split("\t")
        print(f"  {float(seconds):7.1f} s  {label}")
    print(f"storing alone: {stored.wall:.1f} s wall, {stored.cpu:.1f} s CPU, "
          f"peak PSS {stored.peak_pss / 2**20:.0f} MiB; {stored.wall / floor:.2f}x the floor")
    print(f"parsing alone ({int(parsed.out):,} items): {parsed.wall:.1f} s wall, {parsed.cpu:.1f} s CPU; "
          f"{parsed.wall / floor:.2f}x the floor")
    both = parsed.wall + stored.wall
    print(f"a build of this registry on two cores, at least: {both / 2 / floor:.2f}x the floor (both parts "
          f"overlapping entirely), {max(parsed.wall, stored.wall) / floor:.2f}x (the longer part alone)")


if __name__ == "__main__":
    main()
