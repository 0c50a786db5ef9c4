"""REST API against Datasette on the same registry, loaded by the same tool (wrk).

Usage: python benchmarks/bench_api.py [--db registry.db] [--duration 10] [--connections 32]
                                       [--datasette datasette] [--wrk wrk]

Needs ``wrk`` (``apt-get install wrk``) and Datasette (``pip install datasette``,
best in its own virtualenv; pass its executable with ``--datasette``). Installs
nothing itself. Builds the seed registry unless ``--db`` names one, starts
``youcheng serve`` and ``datasette serve --immutable`` on free ports of 127.0.0.1
only, loads each with ``wrk`` for ``--duration`` seconds per query, then stops both.

The three queries of issue #5, each made equivalent by running on Datasette the
SQL that youcheng's query layer runs for the same request (captured with
sqlite3's trace callback, parameters inlined):

* a place's partnerships: ``/api/partnerships?place=武漢市&limit=100`` (youcheng also
  counts the total; Datasette runs only the page query);
* a two-character Chinese search: ``/api/search?q=武汉&limit=10``;
* counts by country: ``/api/stats`` (youcheng answers every dimension and the total;
  Datasette runs only the by-country query).

Where the two differ, youcheng does more work. Prints requests/s and latency
percentiles for each server and the ratio, measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server for {url} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {seconds:.0f} s")


def captured_sql(db: Path) -> dict[str, str]:
    """The SQL youcheng's query layer runs for each benchmark request, with values inlined."""
    from youcheng import query
    from youcheng.store import connect_readonly

    conn = connect_readonly(db)
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    query.select_records(conn, query.Filters(place="武漢市"), 100, 0)
    place = seen[-1]
    query.search(conn, "武汉", 10)
    search = seen[-1]
    query.breakdown(conn, "country", query.Filters())
    by_country = seen[-1]
    conn.close()
    return {"place": place, "search": search, "stats": by_country}


def run_wrk(wrk: str, url: str, seconds: int, connections: int, threads: int) -> dict[str, float]:
    """Requests/s and latency percentiles (ms) from one wrk run."""
    out = subprocess.run([wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
                          "--timeout", "10s", url], capture_output=True, text=True, check=True,
                         timeout=seconds + 60).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    for pct in ("50", "90", "99"):
        match = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if match:
            value, unit = float(match.group(1)), match.group(2)
            result[f"p{pct}"] = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["non2xx"] = float(errors.group(1)) if errors else 0.0
    return result


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="registry to serve (default: build the seed)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per query and server")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--datasette", default=os.environ.get("DATASETTE", "datasette"))
    parser.add_argument("--wrk", default="wrk")
    parser.add_argument("--server", choices=("serve", "cached"), default="serve",
                        help="serve: youcheng serve; cached: the same app behind the response "
                             "cache sketched in benchmarks/cached_api.py")
    args = parser.parse_args()
    for tool in (args.wrk, args.datasette):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found: apt-get install wrk; pip install datasette (see README)")
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if db is None:
            from youcheng import Registry

            db = Path(tmp) / "registry.db"
            Registry.build(None, db)
        sql = captured_sql(db)
        ours_port, theirs_port = free_port(), free_port()
        serve = ([sys.executable, "-m", "youcheng", "serve"] if args.server == "serve"
                 else [sys.executable, str(Path(__file__).with_name("cached_api.py"))])
        ours = subprocess.Popen([*serve, "--db", str(db), "--host", "127.0.0.1", "--port", str(ours_port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        theirs = subprocess.Popen([args.datasette, "serve", "--immutable", str(db), "-h", "127.0.0.1",
                                   "-p", str(theirs_port), "--setting", "sql_time_limit_ms", "10000"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base_ours = f"http://127.0.0.1:{ours_port}"
            base_theirs = f"http://127.0.0.1:{theirs_port}/{db.stem}.json?_shape=array&sql="
            wait_until_up(base_ours + "/api/summary", ours)
            wait_until_up(base_theirs + urllib.parse.quote("select 1"), theirs)
            cases = [
                ("a place's partnerships (武漢市)",
                 base_ours + "/api/partnerships?place=" + urllib.parse.quote("武漢市") + "&limit=100",
                 base_theirs + urllib.parse.quote(sql["place"])),
                ("two-character search (武汉)",
                 base_ours + "/api/search?q=" + urllib.parse.quote("武汉") + "&limit=10",
                 base_theirs + urllib.parse.quote(sql["search"])),
                ("counts by country", base_ours + "/api/stats", base_theirs + urllib.parse.quote(sql["stats"])),
            ]
            print(f"youcheng server: {args.server}; registry: {db}; wrk -t{args.threads} -c{args.connections} -d{args.duration}s, "
                  f"127.0.0.1, {os.cpu_count()} cores shared by servers and wrk")
            print(f"{'query':34} {'youcheng req/s':>14} {'p50 ms':>7} {'p99 ms':>7}   "
                  f"{'datasette req/s':>15} {'p50 ms':>7} {'p99 ms':>7}   {'ratio':>6}")
            for name, url_ours, url_theirs in cases:
                for url in (url_ours, url_theirs):  # both must answer 200 before they are timed
                    with urllib.request.urlopen(url, timeout=30) as response:
                        assert response.status == 200, url
                a = run_wrk(args.wrk, url_ours, args.duration, args.connections, args.threads)
                b = run_wrk(args.wrk, url_theirs, args.duration, args.connections, args.threads)
                print(f"{name:34} {a['rps']:14.0f} {a.get('p50', 0):7.1f} {a.get('p99', 0):7.1f}   "
                      f"{b['rps']:15.0f} {b.get('p50', 0):7.1f} {b.get('p99', 0):7.1f}   "
                      f"{a['rps'] / b['rps']:5.1f}x"
                      + (f"  (non-2xx: {a['non2xx']:.0f} / {b['non2xx']:.0f})"
                         if a["non2xx"] or b["non2xx"] else ""))
            print("targets: youcheng >= 10x Datasette on each; youcheng p99 <= 15 ms at 32 connections")
        finally:
            stop(ours)
            stop(theirs)


if __name__ == "__main__":
    main()
