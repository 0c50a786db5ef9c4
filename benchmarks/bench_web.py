"""Web page: time to a rendered map in headless Chromium, and what the browser had to fetch.

Usage: python benchmarks/bench_web.py [--db registry.db] [--runs 3] [--timeout 180]
                                      [--query '?country=JP'] [--baseline-tree DIR]

Uses Playwright (a test dependency of the web page) driving Debian's Chromium at
``/usr/bin/chromium`` (``apt-get install chromium``); it never downloads a browser.
Builds the seed registry unless ``--db`` names one (e.g. the 1,000,000-partnership
registry that ``bench_build.py --keep`` leaves), serves it with ``youcheng serve``
on a free port of 127.0.0.1 and opens the page in a fresh browser context each run.

``--baseline-tree`` names a checkout of an earlier commit (``git worktree add
/tmp/yc-base <commit>``): its own ``youcheng serve`` serves the same registry beside
ours and the runs alternate between the two, so both see the same machine load;
the summary gives each one's medians, the ratio of the medians and the median of the
run-by-run ratios (each run of ours against the baseline run right after it).

Per run: seconds from navigation start to the first frame after the map's lines were
set (``#map[data-drawn="1"]``; a page without that mark draws its map in the same task
that sets ``data-ready``, so the ready time stands in) and to ``#app[data-ready="1"]``
(map, list and charts drawn); the requests and bytes the page fetched and its largest
response; how many lines the map drew and what its note said; the JavaScript heap.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._common import free_port, stop, wait_until_up  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Runs before the page's own scripts: notes when #app gets data-ready="1" and #map
# data-drawn="1", in milliseconds since navigation start, whichever page version it is.
TIMING = """
window.__yc = {};
new MutationObserver(() => {
  const app = document.getElementById("app"), map = document.getElementById("map");
  if (app && app.dataset.ready === "1" && window.__yc.ready === undefined) window.__yc.ready = performance.now();
  if (map && map.dataset.drawn === "1" && window.__yc.map === undefined) window.__yc.map = performance.now();
}).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-ready", "data-drawn"] });
"""


@contextmanager
def serve(db: Path, tree: Path) -> Iterator[str]:
    """``youcheng serve`` from the source tree ``tree`` on a free loopback port; yields its URL."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(tree)}
    server = subprocess.Popen([sys.executable, "-m", "youcheng", "serve", "--db", str(db), "--host", "127.0.0.1",
                               "--port", str(port)], cwd=tree, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/"
    try:
        wait_until_up(base + "api/summary", server, 120)  # opens the registry
        yield base
    finally:
        stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=180, help="seconds to wait for one page")
    parser.add_argument("--query", default="", help="URL query of the page to open, e.g. '?country=JP'")
    parser.add_argument("--baseline-tree", type=Path, help="a checkout of the commit to compare with")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if db is None:
            from youcheng import Registry, config

            db = Path(tmp) / "registry.db"
            Registry.build([config.seed_path()], db)
        trees = {"ours": ROOT}
        if args.baseline_tree:
            trees["baseline"] = args.baseline_tree.resolve()
        print(f"registry: {db}; page: /{args.query}")
        results: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
        with serve(db, trees["ours"]) as ours, \
                (serve(db, trees["baseline"]) if "baseline" in trees else nullcontext("")) as baseline:
            bases = {"ours": ours, "baseline": baseline}
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                try:
                    for run in range(args.runs):
                        for name in trees:
                            r = measure(browser, bases[name] + args.query, args.timeout)
                            results[name].append(r)
                            print(f"run {run + 1} {name}: {describe(r)}", flush=True)
                finally:
                    browser.close()
        summarize(results)


def measure(browser: Any, url: str, timeout: float) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.add_init_script(TIMING)
    fetched: dict[str, Any] = {"requests": 0, "bytes": 0, "largest": (0, "")}

    def on_response(response: Any) -> None:
        fetched["requests"] += 1
        try:
            size = len(response.body())
        except Exception:  # noqa: BLE001 - redirects and aborted requests have no body
            return
        fetched["bytes"] += size
        fetched["largest"] = max(fetched["largest"], (size, response.url.split("/", 3)[-1]))

    page.on("response", on_response)
    page.goto(url)
    page.wait_for_selector('#app[data-ready="1"]', timeout=timeout * 1000)
    timing = page.evaluate("() => window.__yc")
    result: dict[str, Any] = {"ready": timing["ready"] / 1000, **fetched}
    result["map_s"] = timing.get("map", timing["ready"]) / 1000
    result["map"] = page.eval_on_selector("#map", "e => Object.assign({}, e.dataset)")
    result["note"] = page.locator("#map-status").text_content()
    result["count"] = page.locator("#count").text_content()
    result["heap_mb"] = page.evaluate("() => performance.memory ? performance.memory.usedJSHeapSize / 1e6 : null")
    context.close()
    return result


def describe(r: dict[str, Any]) -> str:
    heap = f", JS heap {r['heap_mb']:.0f} MB" if r.get("heap_mb") else ""
    size, url = r["largest"]
    return (f"map {r['map_s']:.2f} s, ready {r['ready']:.2f} s; {r['requests']} requests, "
            f"{r['bytes'] / 1e6:.2f} MB (largest {size / 1e6:.2f} MB: {url}); {r['map'].get('lines')} lines; "
            f"count {r['count']!r}; note {r['note']!r}{heap}")


def summarize(results: dict[str, list[dict[str, Any]]]) -> None:
    def med(name: str, key: str) -> float:
        return float(statistics.median(r[key] for r in results[name]))

    print("\n| | time to map (median) | ready (median) | requests | fetched | largest response | lines |")
    print("|---|---|---|---|---|---|---|")
    for name, runs in results.items():
        print(f"| {name} | {med(name, 'map_s'):.2f} s | {med(name, 'ready'):.2f} s | {med(name, 'requests'):.0f} | "
              f"{med(name, 'bytes') / 1e6:.2f} MB | {max(r['largest'][0] for r in runs) / 1e6:.2f} MB | "
              f"{runs[-1]['map'].get('lines')} |")
    if "baseline" in results:
        # Each run of ours is paired with the baseline run right after it, under the same load.
        paired = sorted(o["map_s"] / b["map_s"] for o, b in zip(results["ours"], results["baseline"]))
        print(f"\nours / baseline: time to map {med('ours', 'map_s') / med('baseline', 'map_s'):.2f}x "
              f"(run by run: median {statistics.median(paired):.2f}x, {paired[0]:.2f}-{paired[-1]:.2f}x), "
              f"ready {med('ours', 'ready') / med('baseline', 'ready'):.2f}x, "
              f"bytes {med('ours', 'bytes') / med('baseline', 'bytes'):.3f}x")


if __name__ == "__main__":
    main()
