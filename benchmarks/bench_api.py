"""REST API against Datasette on the same registry, loaded by the same tool (wrk).

Usage: python benchmarks/bench_api.py [--db registry.db] [--duration 8] [--connections 32]
                                       [--workers N] [--datasette datasette] [--wrk wrk]

Needs ``wrk`` (``apt-get install wrk``) and Datasette (``pip install datasette``, best in
its own virtualenv; pass its executable with ``--datasette``). Installs nothing itself.
Builds the seed registry unless ``--db`` names one, then starts three servers on free
ports of 127.0.0.1 only: Datasette (``serve --immutable``, one process: it has no
workers option), ``youcheng serve`` (one process) and ``youcheng serve --workers N``
(default: one per core). Each query is loaded on all of them in turn, for
``--duration`` seconds each, with ``wrk --latency``; then all three are stopped.

The three queries of issue #5. Datasette runs the SQL that youcheng's endpoint runs
for the same request (captured in-process with sqlite3's trace callback, values
inlined), joined into one statement that returns the same data (for the search, the
one statement that ranks every candidate); before timing, both answers are compared
(ids, totals, counts) and the run stops if they differ:

* a place's partnerships, ``/api/partnerships?place=武漢市&limit=100``: the total and
  the first page (youcheng also resolves the name to place ids; Datasette is given
  the ids);
* a two-character Chinese search, ``/api/search?q=武汉&limit=10``;
* counts, ``/api/stats?tier=sister`` (the default tier, named): the total and the counts
  by country, year, province and level (youcheng reads them from the table the build precomputes, and so does
  Datasette's statement).

Two kinds of load on youcheng: **warm**, the same URL again and again (answered by the
response cache after the first request), and **miss**, where every request spells the
same URL anew, some of its letters and digits written as %XX escapes (``UNIQUE_URLS``:
the API answers 422 to a parameter it does not take, and the cache keys on the URL as
sent), so every request runs FastAPI, SQLite and JSON encoding and then fills the cache.
Datasette has no response cache: the same URL again is the same work, so it is loaded
with the plain URL. A last row per query loads a one-line ASGI app that returns
``{}`` under the same uvicorn (uvloop, httptools, no access log): the most any Python
server does here at that moment, to read the latency percentiles against. Prints
requests/s and latency percentiles, and each ratio to Datasette measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._common import free_port, get_json, stop, wait_until_up  # noqa: E402

# Every request a new URL for the same question. The API answers 422 to a parameter it does not
# take, but its response cache keys on the URL as sent (api_http.ResponseCache: two spellings of
# one question are two entries): request k writes some letters and digits of the path and query
# as %XX escapes, and some escapes' hex digits in lower case, as the bits of k say. The server
# decodes every spelling to the same path and parameters: the same answer and the same work,
# never from the cache. ``spelled`` below is the same function in Python, for the checks.
# Each of wrk's threads gets its own id (up to 16); k = 16 n + id - 1 for its n-th request.
UNIQUE_URLS = """
local threads = 0
function setup(thread) threads = threads + 1; thread:set("id", threads) end
local n = 0
function request()
  local k = n * 16 + id - 1
  n = n + 1
  local path, out, bit, i = wrk.path, {}, 0, 1
  while i <= #path do
    local c = path:sub(i, i)
    if c == "%" then
      out[#out + 1] = c
      for j = i + 1, i + 2 do
        local h = path:sub(j, j)
        if h:match("%a") then
          if math.floor(k / 2 ^ bit) % 2 == 1 then h = h:lower() end
          bit = bit + 1
        end
        out[#out + 1] = h
      end
      i = i + 3
    else
      if i > 1 and c:match("%w") then
        if math.floor(k / 2 ^ bit) % 2 == 1 then c = string.format("%%%02X", c:byte()) end
        bit = bit + 1
      end
      out[#out + 1] = c
      i = i + 1
    end
  end
  return wrk.format(nil, table.concat(out))
end
"""


def spelled(path: str, k: int) -> str:
    """``path`` as UNIQUE_URLS spells request ``k`` (the same steps, in Python)."""
    out: list[str] = []
    bit = i = 0
    while i < len(path):
        if path[i] == "%":
            out.append("%")
            for h in path[i + 1:i + 3]:
                if h.isalpha():
                    h = h.lower() if k >> bit & 1 else h
                    bit += 1
                out.append(h)
            i += 3
        else:
            c = path[i]
            if i > 0 and c.isascii() and c.isalnum():
                c = f"%{ord(c):02X}" if k >> bit & 1 else c
                bit += 1
            out.append(c)
            i += 1
    return "".join(out)


# The least any Python ASGI server here can do per request: the machine's floor, for reading p99.
FLOOR_APP = """
async def app(scope, receive, send):
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b"{}"})
"""

CASES = {  # name: youcheng path (the counts name their default tier: more letters to spell)
    "place": "/api/partnerships?place=" + urllib.parse.quote("武漢市") + "&limit=100",
    "search": "/api/search?q=" + urllib.parse.quote("武汉") + "&limit=10",
    "stats": "/api/stats?tier=sister",
}
# Spellings each case must have at least, so that no run repeats a URL: wrk sends a few
# thousand requests a second, thread id its n-th as k = 16 n + id - 1.
SPELLINGS = 2 ** 18
TITLES = {"place": "a place's partnerships (武漢市)", "search": "two-character search (武汉)",
          "stats": "counts (/api/stats)"}


def traced_sql(db: Path, path: str) -> list[str]:
    """The data statements youcheng's endpoint runs for ``path``, values inlined.

    Left out: the check that the precomputed table exists, name-to-id look-ups and
    a page of zero rows (work that Datasette is spared, not work it would repeat).
    """
    from youcheng import api

    seen: list[str] = []
    real = api.connect_readonly

    def tracing(db_path: Path) -> Any:
        conn = real(db_path)
        conn.set_trace_callback(seen.append)
        return conn

    api.connect_readonly = tracing  # type: ignore[assignment]
    try:
        app = api.create_app(db, cache_bytes=0)
        seen.clear()
        status, _ = api.get(app, urllib.parse.unquote(path))
    finally:
        api.connect_readonly = real
    assert status == 200, path
    return [" ".join(s.split()) for s in seen
            if s.lstrip().upper().startswith(("SELECT", "WITH")) and "sqlite_master" not in s
            and "FROM place_names WHERE key =" not in s and not s.rstrip().endswith("LIMIT 0 OFFSET 0")
            and "FROM meta" not in s]


def datasette_sql(db: Path) -> dict[str, str]:
    """One statement per case that returns what youcheng's answer holds."""
    place = traced_sql(db, CASES["place"])
    assert len(place) == 2 and "COUNT(" in place[0].upper(), place
    search = every_match_sql(db, CASES["search"])
    dims = traced_sql(db, CASES["stats"])
    assert len(dims) == 4, dims  # one per dimension; the total is the sum of the first
    union = [f"SELECT 'total' AS dimension, NULL AS key, (SELECT SUM(n) FROM ({dims[0]})) AS n"]
    for name, sql in zip(("country", "year", "province", "level"), dims):
        union.append(f"SELECT '{name}', * FROM ({sql})")
    return {"place": f"SELECT ({place[0]}) AS total, page.* FROM ({place[1]}) AS page",
            "search": search, "stats": " UNION ALL ".join(union)}


def every_match_sql(db: Path, path: str) -> str:
    """The one statement that answers the search ``path`` asks for, values inlined: what youcheng
    runs when the limit leaves no candidate out (as for 武汉 on the seed); otherwise it reads the
    best candidates in a few smaller statements (query_places.search, issue #16)."""
    from youcheng.database import connect_readonly
    from youcheng.query_places import _every_match, _probe_grams
    from youcheng.resolve.fold import search_key

    params = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    key = search_key(params["q"][0])
    seen: list[str] = []
    conn = connect_readonly(db)
    conn.set_trace_callback(seen.append)
    _every_match(conn.cursor(), key, _probe_grams(key), int(params["limit"][0]))
    conn.close()
    return " ".join(seen[-1].split())


def datasette_version(datasette: str) -> str:
    """Datasette's version and whether its uvicorn will use uvloop and httptools."""
    python = Path(shutil.which(datasette) or datasette).with_name("python")
    probe = ("import datasette.version as v, importlib.util as u; print(v.__version__, "
             "'with uvloop+httptools' if u.find_spec('uvloop') and u.find_spec('httptools') else "
             "'with asyncio+h11')")
    out = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, timeout=60)
    return out.stdout.strip() or "(version unknown)"


def check_same_answers(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    """Stop the run unless both servers return the same data for each case."""
    a, b = ours["place"], theirs["place"]
    assert a["total"] == b[0]["total"] and [r["id"] for r in a["items"]] == [r["id"] for r in b], "place"
    a, b = ours["search"], theirs["search"]
    assert [(i["id"], i["partnerships"]) for i in a["items"]] == [(r["id"], r["n"]) for r in b], "search"
    a, b = ours["stats"], theirs["stats"]
    assert [r["n"] for r in b if r["dimension"] == "total"] == [a["total"]], "stats total"
    for dim in ("country", "year", "province", "level"):
        mine = [(r["key"], r["count"]) for r in a[dim]]
        assert mine == [(None if r["key"] is None else str(r["key"]), r["n"])
                        for r in b if r["dimension"] == dim], f"stats {dim}"


def run_wrk(wrk: str, url: str, seconds: int, connections: int, threads: int,
            script: Path | None = None) -> dict[str, float]:
    """Requests/s, latency percentiles (ms) and errors from one wrk run."""
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    out = subprocess.run([*command, *(["-s", str(script)] if script else []), url], capture_output=True,
                         text=True, check=True, timeout=seconds + 60).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    for pct in ("50", "90", "99"):
        match = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if match:
            value, unit = float(match.group(1)), match.group(2)
            result[f"p{pct}"] = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    result["errors"] = float(errors.group(1)) if errors else 0.0
    result["errors"] += sum(int(g) for g in socket_errors.groups()) if socket_errors else 0
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="registry to serve (default: build the seed)")
    parser.add_argument("--duration", type=int, default=8, help="seconds of load per query, kind and server")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                        help="processes of the second youcheng server (default: one per core)")
    parser.add_argument("--no-access-log", action="store_true",
                        help="serve youcheng without its access log (Datasette always logs each request)")
    parser.add_argument("--datasette", default=os.environ.get("DATASETTE", "datasette"))
    parser.add_argument("--wrk", default="wrk")
    args = parser.parse_args()
    for tool in (args.wrk, args.datasette):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found: apt-get install wrk; pip install datasette (see README)")
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if db is None:
            from youcheng import Registry, config

            db = Path(tmp) / "registry.db"
            Registry.build([config.seed_path()], db)
        sql = datasette_sql(db)
        script = Path(tmp) / "unique.lua"
        script.write_text(UNIQUE_URLS)
        (Path(tmp) / "floor_app.py").write_text(FLOOR_APP)
        ports = {"datasette": free_port(), "yc1": free_port(), "ycN": free_port(), "floor": free_port()}
        procs = {
            "datasette": subprocess.Popen(
                [args.datasette, "serve", "--immutable", str(db), "-h", "127.0.0.1", "-p", str(ports["datasette"]),
                 "--setting", "sql_time_limit_ms", "10000"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
            **{name: subprocess.Popen(
                [sys.executable, "-m", "youcheng", "serve", "--db", str(db), "--host", "127.0.0.1",
                 "--port", str(ports[name]), "--workers", str(workers),
                 *(["--no-access-log"] if args.no_access_log else [])],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for name, workers in (("yc1", 1), ("ycN", args.workers))},
            "floor": subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "floor_app:app", "--app-dir", tmp, "--host", "127.0.0.1",
                 "--port", str(ports["floor"]), "--no-access-log", "--log-level", "warning"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        }
        try:
            ds = f"http://127.0.0.1:{ports['datasette']}/{db.stem}.json?_shape=array&sql="
            urls = {case: {"datasette": ds + urllib.parse.quote(sql[case]),
                           **{name: f"http://127.0.0.1:{ports[name]}{path}" for name in ("yc1", "ycN")}}
                    for case, path in CASES.items()}
            wait_until_up(ds + urllib.parse.quote("select 1"), procs["datasette"])
            for name in ("yc1", "ycN"):
                wait_until_up(f"http://127.0.0.1:{ports[name]}/api/summary", procs[name])
            wait_until_up(f"http://127.0.0.1:{ports['floor']}/", procs["floor"])
            for case, path in CASES.items():  # enough spellings: each bit of k changes the URL
                bits = SPELLINGS.bit_length() - 1
                assert len({path} | {spelled(path, 1 << bit) for bit in range(bits)}) == bits + 1, case
            for name in ("yc1", "ycN"):
                ours = {case: get_json(u[name]) for case, u in urls.items()}
                check_same_answers(ours, {case: get_json(u["datasette"]) for case, u in urls.items()})
                base = f"http://127.0.0.1:{ports[name]}"
                for case, path in CASES.items():  # another spelling changes nothing else
                    for k in (1, 2, 12_345, SPELLINGS - 1):
                        assert get_json(base + spelled(path, k)) == ours[case], (case, k)
            load = os.getloadavg()
            print(f"registry: {db}; wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency, "
                  f"127.0.0.1, {os.cpu_count()} cores shared by the servers and wrk; load average before "
                  f"{load[0]:.1f}")
            print(f"Datasette {datasette_version(args.datasette)}: 1 process, access log on; youcheng: 1 process, "
                  f"and {args.workers} processes (--workers {args.workers}), access log "
                  + ("off" if args.no_access_log else "on"))
            header = f"{'query':34} {'server':26} {'req/s':>8} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'vs Datasette':>12}"
            print(header)
            for case in CASES:
                baseline = run_wrk(args.wrk, urls[case]["datasette"], args.duration, args.connections,
                                   args.threads)
                rows = [("Datasette (1 process)", baseline)]
                for name, label in (("yc1", "youcheng 1 process"), ("ycN", f"youcheng {args.workers} processes")):
                    rows.append((f"{label}, warm", run_wrk(args.wrk, urls[case][name], args.duration,
                                                           args.connections, args.threads)))
                    rows.append((f"{label}, miss", run_wrk(args.wrk, urls[case][name], args.duration,
                                                           args.connections, args.threads, script)))
                rows.append(("floor: constant ASGI app", run_wrk(
                    args.wrk, f"http://127.0.0.1:{ports['floor']}/", args.duration, args.connections, args.threads)))
                for label, r in rows:
                    print(f"{TITLES[case]:34} {label:26} {r['rps']:8.0f} {r.get('p50', 0):7.1f} "
                          f"{r.get('p90', 0):7.1f} {r.get('p99', 0):7.1f} {r['rps'] / baseline['rps']:11.1f}x"
                          + (f"  errors: {r['errors']:.0f}" if r["errors"] else ""))
            print(f"load average after: {os.getloadavg()[0]:.1f}")
            print("targets: youcheng >= 10x Datasette on each; youcheng p99 <= 15 ms at 32 connections")
        finally:
            for proc in procs.values():
                stop(proc, signal.SIGINT)


if __name__ == "__main__":
    main()
