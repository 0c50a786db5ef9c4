"""The web page in a real browser: Playwright driving Debian's headless Chromium.

Only ``/usr/bin/chromium`` is used (``apt-get install chromium fonts-wqy-zenhei``,
done by ``.ci/run``); Playwright's own browser download is never run. Without
Chromium these tests skip on a developer machine and fail in CI (``CI`` set).
"""

from __future__ import annotations

import csv
import io
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip("Debian's chromium is not installed (apt-get install chromium fonts-wqy-zenhei)",
                allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

from youcheng.api import create_app  # noqa: E402
from youcheng.export import FIELDS  # noqa: E402


@pytest.fixture(scope="module")
def server(seed_db: Path) -> Iterator[str]:
    """The app on a free loopback port, in a thread, for the whole module."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(seed_db), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True,
                                  locale="zh-CN")
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield pg
    context.close()
    assert errors == [], errors


def _open(page: Page, server: str, query: str = "") -> None:
    page.goto(server + query)
    expect(page.locator("#app")).to_have_attribute("data-ready", "1", timeout=20_000)


def _total(page: Page) -> int:
    return int(page.locator("#count").get_attribute("data-total") or "-1")


def _map(page: Page) -> dict[str, Any]:
    data: dict[str, Any] = page.eval_on_selector("#map", "e => Object.assign({}, e.dataset)")
    return data


def test_page_loads_with_list_map_and_charts(page: Page, server: str) -> None:
    _open(page, server, "?lang=zh")
    expect(page.locator("#count")).to_have_text("352 对友城关系")
    assert _total(page) == 352
    expect(page.locator("#map")).to_have_attribute("data-drawn", "1")
    state = _map(page)  # lines count place pairs; the partnerships add up to the total
    assert int(state["shown"]) + int(state["leftOut"]) + int(state["unplaced"]) == 352
    expect(page.locator("#map-status")).not_to_be_empty()
    expect(page.locator("#list tbody tr")).to_have_count(50)
    for chart in ("#chart-years", "#chart-countries", "#chart-provinces"):
        expect(page.locator(f"{chart} canvas")).to_have_count(1)
    assert page.locator("#f-country option").count() > 50


def test_search_wuhan_shows_its_partners(page: Page, server: str) -> None:
    _open(page, server)
    page.locator("#search").fill("武汉")
    option = page.locator("#suggestions li[data-id]").first
    expect(option).to_contain_text("武漢市")
    option.click()
    panel = page.locator("#place")
    expect(panel).to_be_visible()
    expect(page.locator("#place-name")).to_contain_text("武漢市")
    partners = page.locator("#place-partners tbody tr")
    expect(partners).to_have_count(11)
    expect(page.locator("#place-partners")).to_contain_text("匹茲堡")
    expect(partners.first.locator("td.src")).to_contain_text("中华人民共和国友好城市列表.md:")
    expect(page.locator("#place-names")).to_contain_text("武汉市")
    assert "place=" in page.url


def test_search_enter_filters_by_text(page: Page, server: str) -> None:
    _open(page, server)
    page.locator("#search").fill("武汉")
    expect(page.locator("#suggestions li[data-id]").first).to_be_visible()
    page.locator("#search").press("Enter")
    expect(page.locator("#count")).to_have_attribute("data-total", "11")
    assert "q=%E6%AD%A6%E6%B1%89" in page.url


def test_click_place_in_list_highlights_it_on_the_map(page: Page, server: str) -> None:
    _open(page, server)
    first = page.locator("#list tbody tr").first.locator("button.place-link").first
    name = first.inner_text()
    first.click()
    expect(page.locator("#place-name")).to_contain_text(name.split(" (")[0])
    expect(page.locator("#map")).not_to_have_attribute("data-selected", "")
    state = _map(page)
    place_id = state["selected"]
    assert int(state["highlighted"]) > 0 and int(state["highlightedLines"]) <= int(state["highlighted"])
    highlighted_rows = page.locator("#list tbody tr.hl")
    assert highlighted_rows.count() > 0
    expect(page.locator("#map-status")).to_contain_text(state["highlighted"])
    assert f"place={place_id.replace(':', '%3A')}" in page.url


def test_filter_changes_counts_list_and_charts(page: Page, server: str) -> None:
    _open(page, server, "?lang=en")
    expect(page.locator("#count")).to_have_text("352 partnerships")
    page.locator("#f-country").select_option("JP")
    expect(page.locator("#count")).to_have_text("47 partnerships (of 352)")
    expect(page.locator("#list tbody tr")).to_have_count(47)
    countries = page.locator("#list tbody tr td:nth-child(3)").all_inner_texts()
    assert set(countries) == {"Japan"}
    state = _map(page)
    assert int(state["lines"]) + int(state["unplaced"]) == 47
    assert "country=JP" in page.url
    page.locator("#f-from").fill("1990")
    page.locator("#f-from").press("Enter")
    page.locator("#f-to").fill("1999")
    page.locator("#f-to").press("Tab")
    expect(page.locator("#count")).not_to_have_attribute("data-total", "47")
    assert 0 < _total(page) < 47 and "from=1990" in page.url and "to=1999" in page.url


def test_shared_url_restores_the_view(page: Page, server: str) -> None:
    _open(page, server, "?country=JP&level=prefecture&lang=en")
    expect(page.locator("#f-country")).to_have_value("JP")
    expect(page.locator("#f-level")).to_have_value("prefecture")
    assert 0 < _total(page) < 47
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_download_csv_for_the_current_filter(page: Page, server: str) -> None:
    _open(page, server, "?country=JP")
    link = page.locator('#downloads a[data-format="csv"]')
    # The page shows sister cities unless another kind is chosen, and downloads what it shows.
    expect(link).to_have_attribute("href", "api/export/csv?country=JP&tier=sister")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "youcheng.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text("utf-8"))))
    assert rows[0] == list(FIELDS) and len(rows) == 48
    formats = page.locator("#downloads a").evaluate_all("els => els.map(e => e.dataset.format)")
    assert formats == ["csv", "jsonl", "geojson", "graphml", "datapackage"]


def test_language_toggle(page: Page, server: str) -> None:
    _open(page, server, "?lang=zh")
    expect(page.locator(".tagline")).to_have_text("中华人民共和国友好城市关系登记册")
    page.locator("#lang").click()
    expect(page.locator(".tagline")).to_have_text("A registry of the PRC's sister-city relationships")
    expect(page.locator("#count")).to_have_text("352 partnerships")
    assert "lang=en" in page.url


def test_data_quality_page_lists_anomalies_and_unplaced_names(page: Page, server: str) -> None:
    _open(page, server, "?lang=en")
    page.locator('.nav a[data-view="quality"]').click()
    expect(page.locator("#view-quality")).to_be_visible()
    expect(page.locator("#anomalies tbody tr").first).to_be_visible()
    total = page.evaluate("fetch('api/anomalies').then(r => r.json()).then(b => [b.total, b.unplaced.length])")
    expect(page.locator("#anomalies tbody tr")).to_have_count(total[0])
    expect(page.locator("#unplaced tbody tr")).to_have_count(total[1])
    assert "view=quality" in page.url


def test_page_fits_a_phone_screen(browser: Browser, server: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    pg = context.new_page()
    _open(pg, server)
    overflow = pg.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    context.close()
    assert overflow <= 0


def test_map_draws_from_api_lines_and_says_how_much_it_shows(page: Page, server: str) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    _open(page, server, "?lang=en")
    lines = [u for u in requests if "/api/lines?" in u]
    assert lines and all("limit=" in u for u in lines)
    # Nothing fetches records in bulk: the list asks for one page of 50.
    records = [u for u in requests if "/api/partnerships" in u]
    assert records and all("limit=50" in u for u in records)
    expect(page.locator("#map")).to_have_attribute("data-drawn", "1")  # set a frame after data-ready
    state = _map(page)
    assert state["group"] == "place"
    assert int(state["shown"]) + int(state["leftOut"]) + int(state["unplaced"]) == int(state["relationships"]) == 352
    api = page.evaluate("fetch('api/lines?limit=3000').then(r => r.json())")
    assert int(state["lines"]) == len(api["items"]) and int(state["unplaced"]) == api["unplaced_partnerships"]
    note = f"All {state['lines']} place pairs drawn ({state['shown']} of 352 partnerships)."
    expect(page.locator("#map-status")).to_contain_text(note)
    page.locator("#lang").click()
    expect(page.locator("#map-status")).to_contain_text(f"（352 对友城关系中的 {state['shown']} 对）")


def test_map_groups_by_province_and_country_when_pairs_do_not_fit(page: Page, server: str) -> None:
    # The seed's pairs all fit in the page's limit; ask the API as if the page allowed 20 lines.
    page.route("**/api/lines?*", lambda route: route.continue_(
        url=route.request.url.replace("limit=3000", "limit=20")))
    _open(page, server, "?lang=en")
    state = _map(page)
    assert state["group"] == "region" and state["lines"] == "20"
    assert int(state["leftOut"]) > 0
    assert int(state["shown"]) + int(state["leftOut"]) + int(state["unplaced"]) == 352
    expect(page.locator("#map-status")).to_contain_text(
        f"Grouped by Chinese province and partner country: showing 20 of {20 + int(state['linesLeftOut'])} lines "
        f"({int(state['shown']):,} of 352 partnerships)")
    page.locator("#lang").click()
    expect(page.locator("#map-status")).to_contain_text("按中方省份与外方国家汇总：显示")


def test_list_pages_through_the_api(page: Page, server: str) -> None:
    _open(page, server, "?lang=en")
    expect(page.locator("#pageinfo")).to_have_text("page 1/8")
    first = page.locator("#list tbody tr").first.get_attribute("data-id")
    with page.expect_response(lambda r: "/api/partnerships" in r.url and "offset=50" in r.url):
        page.locator("#next").click()
    expect(page.locator("#pageinfo")).to_have_text("page 2/8")
    expect(page.locator("#list tbody tr").first).not_to_have_attribute("data-id", first or "")
    assert "page=2" in page.url
    page.goto(server + "?lang=en&page=8")
    expect(page.locator("#app")).to_have_attribute("data-ready", "1", timeout=20_000)
    expect(page.locator("#list tbody tr")).to_have_count(352 - 7 * 50)


def test_data_quality_page_draws_a_bounded_table_and_says_so(page: Page, server: str) -> None:
    """A million-row build has 100,000 anomalies: the page shows the first 1,000 and the total."""
    import json

    item = {"source": "big.md", "line": 1, "kind": "unparsed", "severity": "warning", "message": "m", "text": "t"}
    body = {"total": 104_119, "limit": 1000, "offset": 0, "items": [dict(item, line=i) for i in range(1, 1001)],
            "unplaced_total": 0, "unplaced": []}
    page.route("**/api/anomalies?limit=1000", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(body)))
    _open(page, server, "?lang=en&view=quality")
    expect(page.locator("#anomalies tbody tr")).to_have_count(1000)
    expect(page.locator("#q-anomalies-more")).to_have_text(
        "Showing the first 1,000 of 104,119 (the full report: api/anomalies, or youcheng check).")
    expect(page.locator("#q-unplaced-more")).to_be_hidden()
    expect(page.locator("#q-summary")).to_contain_text("104,119 anomalies")


def test_place_page_of_a_busy_place_says_the_table_is_the_first_part(page: Page, server: str) -> None:
    """The API lists at most 1,000 of a place's partnerships; the page says so and gives the total."""
    import json

    def first_three_of_many(route: Any) -> None:
        body = route.fetch().json()
        body["partnerships_total"] = 4106
        body["partnerships"] = body["partnerships"][:3]
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route("**/api/places/*", first_three_of_many)
    _open(page, server, "?lang=en&place=cn%3A420100")
    expect(page.locator("#place-sub")).to_contain_text("4,106 partnerships")
    expect(page.locator("#place-sub")).to_contain_text("The table lists the first 3")
    expect(page.locator("#place-partners tbody tr")).to_have_count(3)


def test_place_page_lists_each_relationship_with_its_sources_and_conflicts(page: Page, server: str) -> None:
    """Issue #14: a relationship shows every source (file:line) and where the sources disagree."""
    import json

    def with_a_second_source(route: Any) -> None:
        body = route.fetch().json()
        first = body["items"][0]
        first["attestations"].append({**first["attestations"][0], "source": "武汉市.md", "line": 27,
                                      "date_text": "1982年9月8日"})
        first["sources"] = 2
        first["conflicts"] = [{"field": "date", "values": [
            {"value": "1982-09-08", "source": "武汉市.md", "line": 27},
            {"value": "1982-09-17", "source": "中华人民共和国友好城市列表.md", "line": 592}]}]
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route("**/api/relationships?*", with_a_second_source)
    _open(page, server, "?lang=en&place=cn%3A420100")
    items = page.locator("#place-relationships > li")
    expect(items).to_have_count(11)
    expect(items.nth(1).locator(".rel-sources li")).to_have_count(1)
    expect(items.nth(1)).to_contain_text("中华人民共和国友好城市列表.md:")
    expect(items.first.locator(".rel-sources li")).to_have_count(2)
    expect(items.first).to_contain_text("2 source(s)")
    expect(items.first.locator(".rel-conflict")).to_contain_text(
        "The sources disagree: date 1982-09-08 (武汉市.md:27) ≠ 1982-09-17 (中华人民共和国友好城市列表.md:592)")


def test_place_page_of_a_small_place_has_no_note(page: Page, server: str) -> None:
    _open(page, server, "?lang=en&place=cn%3A420100")
    expect(page.locator("#place-sub")).to_contain_text("11 partnerships")
    expect(page.locator("#place-sub")).not_to_contain_text("first")
