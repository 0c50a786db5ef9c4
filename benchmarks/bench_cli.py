"""CLI start-up: ``youcheng partners 武汉`` on a built registry against ``python -c pass``.

Usage: python benchmarks/bench_cli.py [--db registry.db] [--runs 30]

Builds the seed registry unless ``--db`` names one. Runs every command ``--runs``
times in turn (interleaved, so a busy moment of the machine hits them all alike)
and prints the median and the fastest run of each, and each command's ratio to
``python -c pass`` run by the same interpreter. ``youcheng partners`` prints a boxed
table on a terminal and tab-separated lines to a pipe, so it is timed both ways:
with its output piped (to /dev/null) and on a pseudo-terminal (read and thrown
away). ``youcheng`` is the Typer app of ``youcheng/cli.py`` for every command line; for
reference it also times ``youcheng --version``, the app with no query: what Python,
youcheng's package and Typer cost before a command runs.
"""

from __future__ import annotations

import argparse
import os
import pty
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
    # As `make install` and a regular pip install do: the commands start from bytecode.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "youcheng")], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if db is None:
            from youcheng import Registry, config

            db = Path(tmp) / "registry.db"
            Registry.build([config.seed_path()], db)
        query = ["partners", args.place, "--db", str(db)]
        commands: dict[str, tuple[list[str], bool]] = {  # name -> (command, on a terminal)
            "python -c pass": ([sys.executable, "-c", "pass"], False),
            "python -c pass (terminal)": ([sys.executable, "-c", "pass"], True),
            f"youcheng partners {args.place} (piped: tsv)": (command + query, False),
            f"youcheng partners {args.place} --format json": (command + query + ["--format", "json"], False),
            f"youcheng partners {args.place} (terminal: table)": (command + query, True),
            "youcheng --version (no query)": (command + ["--version"], False),
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for cmd, terminal in commands.values():  # once each to warm the file cache
            run(cmd, terminal)
        for _ in range(args.runs):
            for name, (cmd, terminal) in commands.items():
                times[name].append(run(cmd, terminal))
    print(f"registry: {db}; {args.runs} runs each, interleaved")
    for name, values in times.items():
        baseline = times["python -c pass (terminal)" if "terminal" in name else "python -c pass"]
        base_median, base_min = statistics.median(baseline), min(baseline)
        median, fastest = statistics.median(values), min(values)
        print(f"{name:58} median {median * 1000:6.1f} ms ({median / base_median:4.1f}x)   "
              f"fastest {fastest * 1000:6.1f} ms ({fastest / base_min:4.1f}x)")
    print("target: youcheng partners within 3x python -c pass")


def run(cmd: list[str], terminal: bool) -> float:
    """Seconds from start to exit; output to /dev/null, or to a pseudo-terminal that is drained."""
    start = time.perf_counter()
    if not terminal:
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - start
    leader, follower = pty.openpty()
    with subprocess.Popen(cmd, stdout=follower, stderr=subprocess.DEVNULL) as proc:
        os.close(follower)
        while True:
            try:
                if not os.read(leader, 1 << 16):
                    break
            except OSError:  # the terminal is gone once the command exits
                break
        code = proc.wait()
    elapsed = time.perf_counter() - start
    os.close(leader)
    if code:
        raise subprocess.CalledProcessError(code, cmd)
    return elapsed


if __name__ == "__main__":
    main()
