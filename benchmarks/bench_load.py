"""Load test of ``youcheng serve``: many concurrent connections of mixed queries, zero errors.

Usage: python benchmarks/bench_load.py [--connections 64] [--duration 10] [--client auto|wrk|httpx]
                                        [--db registry.db] [--json]

Builds a fresh seed registry in a temporary directory (unless ``--db`` names one),
starts ``youcheng serve`` on a free port of 127.0.0.1 (the only address it ever
sends to), and drives ``--connections`` concurrent keep-alive connections for
``--duration`` seconds through a mix of every kind of request the web page and
API clients make: filtered and paged partnerships, place pages, typeahead in
several scripts, stats, the data-quality report, small exports, revalidations
with ``If-None-Match`` (304), the page and its static files. It uses ``wrk`` with
a Lua script when ``wrk`` is installed (``apt-get install wrk``), else an asyncio
client on httpx. Then it stops the server and prints requests, requests/s,
latency, and the errors: responses other than 2xx/3xx, and connection errors
(connect, read, write, timeout). Exits 1 if there was any error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import HOST, free_port, get_json, stop, wait_until_up  # noqa: E402

# HOST is never anything else: load tests here stay on the loopback interface.


@dataclass
class Result:
    client: str
    connections: int
    duration: float
    requests: int = 0
    errors_status: int = 0  # responses other than 2xx/3xx
    errors_socket: int = 0  # connect, read, write and timeout errors
    statuses: dict[str, int] = field(default_factory=dict)
    latency_ms: dict[str, float] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return self.errors_status + self.errors_socket

    def summary(self) -> str:
        lat = ", ".join(f"{k} {v:.1f} ms" for k, v in self.latency_ms.items())
        return (f"{self.client}: {self.connections} connections, {self.duration:.1f} s: "
                f"{self.requests} requests ({self.requests / self.duration:.0f}/s), latency {lat}; "
                f"statuses {dict(sorted(self.statuses.items()))}; "
                f"errors: {self.errors_status} non-2xx/3xx, {self.errors_socket} connection")


def youcheng_cmd() -> list[str]:
    return [sys.executable, "-m", "youcheng"]


def build_seed(db: Path) -> None:
    subprocess.run([*youcheng_cmd(), "build", "--db", str(db)], check=True, stdout=subprocess.DEVNULL)


class Server:
    """``youcheng serve`` on a free loopback port, stopped (by its own pid) on exit."""

    def __init__(self, db: Path) -> None:
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        # The access log goes to a file: a pipe nobody reads would fill and stall the server.
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [*youcheng_cmd(), "serve", "--db", str(db), "--host", HOST, "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=self.log)

    def __enter__(self) -> Server:
        try:
            wait_until_up(self.base + "/api/summary", self.proc, 60, self.log)
        except SystemExit:
            self.log.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        stop(self.proc)
        self.log.close()


def request_mix(base: str) -> list[tuple[str, dict[str, str]]]:
    """(path, headers) of the mixed queries, discovered from the running server's data."""
    q = urllib.parse.quote
    hits = get_json(f"{base}/api/search?q={q('市')}&limit=20")
    assert isinstance(hits, dict)
    ids = [h["id"] for h in hits["items"]]
    mix: list[tuple[str, dict[str, str]]] = []
    for path in [
        "/api/partnerships", "/api/partnerships?limit=20&offset=40", "/api/partnerships?country=JP",
        "/api/partnerships?country=US&year_from=1980&year_to=2000", f"/api/partnerships?place={q('洛阳市')}",
        f"/api/partnerships?place={q('Wuhan')}", f"/api/partnerships?province={q('河南')}&level=prefecture",
        f"/api/partnerships?q={q('东京')}", "/api/partnerships?limit=1000",
        f"/api/search?q={q('武汉')}", f"/api/search?q={q('武漢')}", "/api/search?q=pitts",
        f"/api/search?q={q('东')}&limit=20", f"/api/search?q={q('不存在的地方')}",
        "/api/stats", "/api/stats?country=JP", f"/api/stats?province={q('湖北')}", "/api/stats?year_from=2000",
        "/api/anomalies", "/api/summary",
        "/api/export/csv?country=FR", "/api/export/geojson?country=JP", "/api/export/jsonl?year_from=2010",
        "/", "/static/app.js", "/static/app.css",
        *[f"/api/places/{q(i, safe=':')}" for i in ids[:10]],
        *[f"/api/partnerships?place={q(i, safe=':')}&limit=50" for i in ids[10:15]],
    ]:
        mix.append((path, {}))
    # Revalidations: the ETag a client already holds gives 304 Not Modified.
    for path in ("/api/stats", "/api/partnerships?country=JP", f"/api/search?q={q('武汉')}"):
        with urllib.request.urlopen(base + path, timeout=10) as response:
            mix.append((path, {"If-None-Match": response.headers["ETag"]}))
    return mix


LUA = r"""
-- Generated by benchmarks/bench_load.py: cycle through the mixed requests, a different
-- starting point per connection.
local requests = {}
local paths = %(paths)s
local etags = %(etags)s
-- In init, not at load time: only then does wrk.format know the Host header.
init = function(args)
  for i, path in ipairs(paths) do
    local headers = {}
    if etags[i] ~= "" then headers["If-None-Match"] = etags[i] end
    requests[i] = wrk.format("GET", path, headers)
  end
end
local counter = 0
setup = function(thread) thread:set("offset", counter * 7); counter = counter + 1 end
local n = 0
request = function()
  n = n + 1
  return requests[((n + (offset or 0)) %% #requests) + 1]
end
"""


def lua_list(items: list[str]) -> str:
    return "{" + ", ".join(json.dumps(s) for s in items) + "}"  # JSON strings are Lua strings here


def run_wrk(wrk: str, base: str, mix: list[tuple[str, dict[str, str]]], connections: int,
            duration: float) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as script:
        script.write(LUA % {"paths": lua_list([p for p, _ in mix]),
                            "etags": lua_list([h.get("If-None-Match", "") for _, h in mix])})
    try:
        threads = max(1, min(os.cpu_count() or 1, connections))
        out = subprocess.run(
            [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "--timeout", "10s", "--latency",
             "-s", script.name, base + "/"],
            check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(script.name)
    result = Result("wrk", connections, duration)
    result.requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result.errors_status = int(bad.group(1)) if bad else 0
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    result.errors_socket = sum(int(g) for g in sock.groups()) if sock else 0
    result.statuses = {"2xx/3xx": result.requests - result.errors_status}
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    for pct, value, unit in re.findall(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M):
        result.latency_ms[f"p{pct}"] = float(value) * units[unit]
    return result


async def _run_httpx(base: str, mix: list[tuple[str, dict[str, str]]], connections: int,
                     duration: float) -> Result:
    import httpx

    result = Result("httpx", connections, duration)
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    deadline = time.monotonic() + duration
    # Idle connections expire on the client before uvicorn closes them (after 5 s): with
    # both at 5 s (httpx's default), a request can go out on a connection the server is
    # closing at that moment, a keep-alive race that is the client's to avoid.
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections,
                          keepalive_expiry=2.0)

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:
        async def worker(start: int) -> None:
            i = start
            while time.monotonic() < deadline:
                path, headers = mix[i % len(mix)]
                i += 1
                began = time.perf_counter()
                try:
                    response = await client.get(path, headers=headers)
                    await response.aread()
                except httpx.HTTPError as exc:
                    statuses[type(exc).__name__] += 1
                    result.errors_socket += 1
                    continue
                latencies.append((time.perf_counter() - began) * 1000)
                statuses[str(response.status_code)] += 1
                if not 200 <= response.status_code < 400:
                    result.errors_status += 1

        await asyncio.gather(*(worker(7 * n) for n in range(connections)))
    result.requests = sum(statuses.values())
    result.statuses = dict(statuses)
    latencies.sort()
    for pct in (50, 90, 99):
        if latencies:
            result.latency_ms[f"p{pct}"] = latencies[min(len(latencies) - 1, len(latencies) * pct // 100)]
    return result


def run(connections: int = 64, duration: float = 10.0, client: str = "auto",
        db: Path | None = None) -> Result:
    """Build (unless ``db``), serve, load, stop; the result."""
    wrk = shutil.which("wrk") if client in ("auto", "wrk") else None
    if client == "wrk" and wrk is None:
        raise SystemExit("wrk is not installed (apt-get install wrk); use --client httpx")
    with tempfile.TemporaryDirectory(prefix="youcheng-load-") as tmp:
        if db is None:
            db = Path(tmp) / "registry.db"
            build_seed(db)
        with Server(db) as server:
            mix = request_mix(server.base)
            if wrk is not None:
                return run_wrk(wrk, server.base, mix, connections, duration)
            return asyncio.run(_run_httpx(server.base, mix, connections, duration))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds")
    parser.add_argument("--client", choices=("auto", "wrk", "httpx"), default="auto")
    parser.add_argument("--db", type=Path, help="registry to serve (default: a freshly built seed registry)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    result = run(args.connections, args.duration, args.client, args.db)
    print(json.dumps({**asdict(result), "errors": result.errors}) if args.json else result.summary())
    sys.exit(1 if result.errors else 0)


if __name__ == "__main__":
    main()
