"""CLI start-up: ``youcheng partners 武汉`` on a built registry against ``python -c pass``.

Usage: python benchmarks/bench_cli.py [--db registry.db] [--runs 30]

Builds the seed registry unless ``--db`` names one. Runs every command ``--runs``
times in turn (interleaved, so a busy moment of the machine hits them all alike),
output to /dev/null as a pipe would take it, and prints the median and the
fastest run of each, and each command's ratio to ``python -c pass`` run by the
same interpreter. For reference it also times the Typer CLI itself
(``python -m youcheng.cli``), which the ``youcheng`` command bypasses for queries.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="registry to query (default: build the seed)")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--place", default="武汉")
    args = parser.parse_args()
    script = Path(sys.executable).parent / "youcheng"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "youcheng"]
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if db is None:
            from youcheng import Registry

            db = Path(tmp) / "registry.db"
            Registry.build(None, db)
        query = ["partners", args.place, "--db", str(db)]
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            f"youcheng partners {args.place} (table)": command + query,
            f"youcheng partners {args.place} --format json": command + query + ["--format", "json"],
            f"python -m youcheng.cli partners {args.place} (Typer, for reference)":
                [sys.executable, "-m", "youcheng.cli", *query],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for name, cmd in commands.items():  # once each to warm the file cache
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(args.runs):
            for name, cmd in commands.items():
                start = time.perf_counter()
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                times[name].append(time.perf_counter() - start)
    base_median = statistics.median(times["python -c pass"])
    base_min = min(times["python -c pass"])
    print(f"registry: {db}; {args.runs} runs each, interleaved")
    for name, values in times.items():
        median, fastest = statistics.median(values), min(values)
        print(f"{name:58} median {median * 1000:6.1f} ms ({median / base_median:4.1f}x)   "
              f"fastest {fastest * 1000:6.1f} ms ({fastest / base_min:4.1f}x)")
    print("target: youcheng partners within 3x python -c pass")


if __name__ == "__main__":
    main()
