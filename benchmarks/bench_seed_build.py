"""Cold builds of the embedded sources, in a fresh process each time (issue #3's "under about two seconds").

Usage: python benchmarks/bench_seed_build.py [--runs 5]

Prints the median wall time of `youcheng build SEED` (the seed page alone) and of
`youcheng build` (the embedded default: the seed, every city section and the en-wiki CSV;
issue #13), each in a new process with a new database so every lookup table is loaded from
disk, next to `python -c pass` measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _median_seconds(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from youcheng import config

    with tempfile.TemporaryDirectory() as tmp:
        build = [sys.executable, "-m", "youcheng.cli", "build", "--db", str(Path(tmp) / "registry.db")]
        baseline = _median_seconds([sys.executable, "-c", "pass"], args.runs)
        seed = _median_seconds([*build, str(config.seed_path())], args.runs)
        default = _median_seconds(build, args.runs)
    print(f"python -c pass: {baseline * 1000:.0f} ms")
    print(f"youcheng build SEED (the seed page alone, cold process): {seed * 1000:.0f} ms  "
          f"({seed / baseline:.1f}x python start; target: under ~2000 ms)")
    print(f"youcheng build (every embedded source, cold process): {default * 1000:.0f} ms  "
          f"({default / baseline:.1f}x python start)")

if __name__ == "__main__":
    main()
