"""Scale: build a large registry and query it, against a floor measured in the same run.

Usage: python benchmarks/bench_build.py [--partnerships 1000000] [--places N] [--seed 1]
                                         [--cache DIR] [--queries 2000] [--rounds 1]
                                         [--shape repeating|distinct ...] [--baseline-tree DIR]

Each step runs for each shape of data (``SHAPES``: by default both, one after the other):

1. Generates the page with ``benchmarks/synth.py`` (kept in ``--cache``, reused
   when the same parameters ask for it again).
2. Times the *floor*: a minimal program that only reads the page, runs one regex
   pass over it and inserts one row per link into an indexed SQLite table. No
   real build can be faster than that; ours should stay within 5x of it. The
   floor runs before and after the build, and the ratio uses their mean.
3. Times ``youcheng build`` (``python -m youcheng build``) on the same page, each in a
   fresh process, and reads every child's peak memory (``ru_maxrss`` from ``wait4``).
   ``--rounds N`` alternates N builds with N + 1 floors and prints each ratio and their median.
   ``--baseline-tree DIR`` (a checkout of an earlier commit with its own ``.venv``, e.g.
   ``git worktree add /tmp/before <commit>`` and ``make install`` there) builds the same page
   with that code after each of ours, between the same floors, and prints ours / theirs.
4. Opens the built registry through ``youcheng.query`` and times two-character
   searches and place lookups: ``partners_of`` (every record of the place, what
   ``youcheng partners`` prints) and ``select_records`` with ``limit=100`` (the first
   page, what the API and the web page ask for): median and p99.

Prints ours, the baseline and the ratio; targets from issue #5 alongside.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._common import percentile  # noqa: E402

# The floor: read, one regex pass, insert into an indexed table. Nothing else.
FLOOR = r"""
import re, sqlite3, sys
LINK = re.compile(r'title="wikilink">([^<]*)</a>|\[([^\]]*)\]\(')
conn = sqlite3.connect(sys.argv[2], isolation_level=None)
conn.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                   "CREATE TABLE links (line INTEGER, name TEXT);"
                   "CREATE INDEX links_name ON links (name);")
conn.execute("BEGIN")
rows = []
with open(sys.argv[1], encoding="utf-8") as page:
    for number, line in enumerate(page, 1):
        for m in LINK.finditer(line):
            rows.append((number, m[1] or m[2]))
        if len(rows) >= 10000:
            conn.executemany("INSERT INTO links VALUES (?, ?)", rows)
            rows.clear()
conn.executemany("INSERT INTO links VALUES (?, ?)", rows)
conn.execute("COMMIT")
print(conn.execute("SELECT COUNT(*) FROM links").fetchone()[0])
"""


@dataclass
class Run:
    """One measured child process (and its own children)."""

    wall: float        # seconds
    cpu: float         # user + system seconds, the process and every child it waited for
    max_rss: int       # bytes: ru_maxrss, the largest single process of the tree
    peak_pss: int      # bytes: the largest sum of PSS over the tree, sampled every 200 ms
    out: str


def _tree_pss(pid: int) -> int:
    """Proportional set size of a process and its descendants (shared pages split fairly)."""
    total = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    stack.extend(int(c) for c in children.read().split())
        except (OSError, ValueError):
            continue
    return total


def run_child(cmd: list[str], cwd: Path | None = None) -> Run:
    """Run ``cmd`` to completion, measuring wall and CPU time and peak memory."""
    out_file, err_file = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=out_file, stderr=err_file, text=True, cwd=cwd)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        # Every 200 ms: reading smaps_rollup of a large process tree costs CPU, and the
        # build (two busy processes on two cores) would pay for more often.
        while not done.wait(0.2):
            peak[0] = max(peak[0], _tree_pss(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    out_file.seek(0)
    err_file.seek(0)
    out, err = out_file.read(), err_file.read()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err}")
    return Run(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, peak[0], out.strip())


# The shapes of data a build is measured on (issue #16), as benchmarks/synth.py's knobs:
# "repeating": partners drawn from a pool of real and invented names with skewed popularity,
# 90% resolvable (a real list page); "distinct": every partner an invented name written once,
# unresolvable, over 100,000 invented Chinese places of 10 rows each (a noisy harvest).
SHAPES = {
    "repeating": {},
    "distinct": {"invented": 1.0, "fresh": 1.0, "cn_places": 100_000, "even": True},
}


def _stem(args: argparse.Namespace, shape: str) -> str:
    base = f"synth-{args.partnerships}-{args.places}-{args.seed}"
    return base if shape == "repeating" else f"{base}-{shape}"


def page_for(args: argparse.Namespace, shape: str = "repeating") -> Path:
    """The synthetic page for these parameters and shape, generated once and cached."""
    args.cache.mkdir(parents=True, exist_ok=True)
    path = args.cache / f"{_stem(args, shape)}.md"
    if not path.exists():
        from benchmarks.synth import Shape, write_page

        start = time.perf_counter()
        size = write_page(path, args.partnerships, args.places, args.seed, shape=Shape(**SHAPES[shape]))
        print(f"generated {path.name}: {size / 1e6:.0f} MB in {time.perf_counter() - start:.0f} s")
    return path


def time_queries(db: Path, n: int, seed: int) -> dict[str, list[float]]:
    """Milliseconds of each two-character search and each place lookup, in random order."""
    from youcheng import query
    from youcheng.errors import NotFound
    from youcheng.database import connect_readonly

    rng = random.Random(seed)
    conn = connect_readonly(db)
    names = [r[0] for r in conn.execute("SELECT name FROM places ORDER BY id")]
    grams = [name[i:i + 2] for name in names for i in range(len(name) - 1)
             if all("\u4e00" <= ch <= "\u9fff" for ch in name[i:i + 2])]
    searches = rng.sample(grams, min(n, len(grams)))
    lookups = rng.sample(names, min(n, len(names)))
    for text in searches[:50]:  # warm the page cache the way a running server would be
        query.search(conn, text)
    kinds = ("search (2 characters)", "place lookup, every record (partners_of)",
             "place lookup, first 100 (select_records)")
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    jobs = [(kinds[0], t) for t in searches] + [(kind, t) for t in lookups for kind in kinds[1:]]
    rng.shuffle(jobs)
    for kind, text in jobs:
        start = time.perf_counter()
        if kind == kinds[0]:
            query.search(conn, text)
        elif kind == kinds[1]:
            try:
                query.partners_of(conn, text)
            except NotFound:
                pass
        else:
            query.select_records(conn, query.Filters(place=text), limit=100)
        times[kind].append((time.perf_counter() - start) * 1000)
    conn.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partnerships", type=int, default=1_000_000)
    parser.add_argument("--places", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "youcheng-bench")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=1,
                        help="builds to time, each between two floors (default 1)")
    parser.add_argument("--keep", action="store_true", help="keep the built registry in --cache")
    parser.add_argument("--queries-only", action="store_true",
                        help="skip the builds and time the queries on the registry --keep left")
    parser.add_argument("--baseline-tree", type=Path,
                        help="a checkout with its own .venv: its build runs after each of ours, compared")
    parser.add_argument("--shape", action="append", choices=sorted(SHAPES),
                        help="the data's shape, repeatable (default: repeating, then distinct)")
    args = parser.parse_args()
    args.places = args.places or max(1_000, args.partnerships // 25)
    for shape in args.shape or ["repeating", "distinct"]:
        print(f"== shape: {shape}")
        measure(args, shape)


def measure(args: argparse.Namespace, shape: str) -> None:
    """Floors and builds of one shape's page, then queries on the registry built."""
    page = page_for(args, shape)
    print(f"page: {page} ({page.stat().st_size / 1e6:.0f} MB, {args.partnerships:,} partnerships, "
          f"{args.places:,} foreign places)")
    if args.queries_only:
        report_queries(args.cache / f"{_stem(args, shape)}.db", args)
        return
    with tempfile.TemporaryDirectory(dir=args.cache) as tmp:
        # The floor runs before and after each build: this machine's speed drifts by 20% within
        # minutes, and the mean of the two is the fairest baseline for the run between them.
        # With --rounds N the builds and floors alternate (N builds, N + 1 floors).
        db = args.cache / f"{_stem(args, shape)}.db" if args.keep else Path(tmp) / "registry.db"
        floors = [run_child([sys.executable, "-c", FLOOR, str(page), str(Path(tmp) / "floor-0.db")])]
        builds: list[Run] = []
        baselines: list[Run] = []
        for round_ in range(1, args.rounds + 1):
            # `python -m youcheng` is the `youcheng` command: what a user runs.
            builds.append(run_child([sys.executable, "-m", "youcheng", "build", str(page), "--db", str(db)]))
            if args.baseline_tree:
                tree = args.baseline_tree.resolve()
                baselines.append(run_child([str(tree / ".venv" / "bin" / "python"), "-m", "youcheng", "build",
                                            str(page), "--db", str(Path(tmp) / "baseline.db")], cwd=tree))
            floors.append(run_child([sys.executable, "-c", FLOOR, str(page),
                                     str(Path(tmp) / f"floor-{round_}.db")]))
        print(f"floor (read + 1 regex pass + indexed insert of {int(floors[0].out):,} rows): "
              f"peak PSS {floors[0].peak_pss / 2**20:.0f} MiB (largest process {floors[0].max_rss / 2**20:.0f} MiB)")
        print(f"youcheng build: {builds[0].out}")
        ratios = []
        for number, (build, before, after) in enumerate(zip(builds, floors, floors[1:]), 1):
            floor_wall, floor_cpu = (before.wall + after.wall) / 2, (before.cpu + after.cpu) / 2
            ratios.append(build.wall / floor_wall)
            print(f"round {number}: floor before {before.wall:.1f} s, build {build.wall:.1f} s (cpu {build.cpu:.1f} s, "
                  f"peak PSS {build.peak_pss / 2**20:.0f} MiB), floor after {after.wall:.1f} s; "
                  f"build / floor (mean of before and after): wall {ratios[-1]:.2f}x "
                  f"({build.wall / before.wall:.2f}x against before, {build.wall / after.wall:.2f}x against after), "
                  f"cpu {build.cpu / floor_cpu:.2f}x")
        print(f"build / floor, wall: median {statistics.median(ratios):.2f}x, range {min(ratios):.2f}-"
              f"{max(ratios):.2f}x over {len(ratios)} round(s) (target <= 5x)")
        print(f"build peak memory: {max(b.peak_pss for b in builds) / 2**30:.2f} GiB (target <= 1 GiB)")
        for number, (build, baseline, before, after) in enumerate(zip(builds, baselines, floors, floors[1:]), 1):
            floor_wall = (before.wall + after.wall) / 2
            print(f"round {number}, baseline tree {args.baseline_tree}: {baseline.wall:.1f} s (cpu {baseline.cpu:.1f} s, "
                  f"peak PSS {baseline.peak_pss / 2**20:.0f} MiB, {baseline.wall / floor_wall:.2f}x the floor); "
                  f"ours / baseline: wall {build.wall / baseline.wall:.2f}x, cpu {build.cpu / baseline.cpu:.2f}x")
        report_queries(db, args)


def report_queries(db: Path, args: argparse.Namespace) -> None:
    times = time_queries(db, args.queries, args.seed)
    for kind, values in times.items():
        print(f"{kind}: n={len(values)}, median {statistics.median(values):.2f} ms, "
              f"p99 {percentile(values, 0.99):.2f} ms, max {max(values):.2f} ms (target p99 <= 20 ms)")


if __name__ == "__main__":
    main()
