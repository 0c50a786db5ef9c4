"""Web page: time to a rendered map in headless Chromium, and what the browser had to fetch.

Usage: python benchmarks/bench_web.py [--db registry.db] [--runs 3] [--timeout 180]

Uses Playwright (a test dependency of the web page) driving Debian's Chromium at
``/usr/bin/chromium`` (``apt-get install chromium``); it never downloads a browser.
Builds the seed registry unless ``--db`` names one (e.g. the 1,000,000-partnership
registry that ``bench_build.py --keep`` leaves), serves it with ``youcheng serve``
on a free port of 127.0.0.1, opens the page in a fresh browser context each run and
waits for ``#app[data-ready="1"]`` (set once the map, list and charts are drawn).

Prints, per run: seconds to the rendered map, requests and bytes the page fetched,
how many relationship lines the map drew, and the browser's JavaScript heap.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=180, help="seconds to wait for one page")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if db is None:
            from youcheng import Registry

            db = Path(tmp) / "registry.db"
            Registry.build(None, db)
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "youcheng", "serve", "--db", str(db),
                                   "--host", "127.0.0.1", "--port", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}/"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(base + "api/summary", timeout=5).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("youcheng serve did not start")
                    time.sleep(0.2)
            print(f"registry: {db}")
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                try:
                    for run in range(args.runs):
                        print(f"run {run + 1}: " + describe(measure(browser, base, args.timeout)))
                finally:
                    browser.close()
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def measure(browser: Any, base: str, timeout: float) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    fetched = {"requests": 0, "bytes": 0}

    def on_response(response: Any) -> None:
        fetched["requests"] += 1
        try:
            fetched["bytes"] += len(response.body())
        except Exception:  # noqa: BLE001 - redirects and aborted requests have no body
            pass

    page.on("response", on_response)
    start = time.perf_counter()
    page.goto(base)
    page.wait_for_selector('#app[data-ready="1"]', timeout=timeout * 1000)
    elapsed = time.perf_counter() - start
    result: dict[str, Any] = {"seconds": elapsed, **fetched}
    result["map"] = page.eval_on_selector("#map", "e => Object.assign({}, e.dataset)")
    result["count"] = page.locator("#count").text_content()
    result["heap_mb"] = page.evaluate("() => performance.memory ? performance.memory.usedJSHeapSize / 1e6 : null")
    context.close()
    return result


def describe(r: dict[str, Any]) -> str:
    heap = f", JS heap {r['heap_mb']:.0f} MB" if r.get("heap_mb") else ""
    return (f"rendered in {r['seconds']:.2f} s; {r['requests']} requests, {r['bytes'] / 1e6:.1f} MB fetched; "
            f"map {r['map']}; count {r['count']!r}{heap}")


if __name__ == "__main__":
    main()
