"""The web page in a real browser: Playwright driving Debian's headless Chromium.

Only ``/usr/bin/chromium`` is used (``apt-get install chromium fonts-wqy-zenhei``,
done by ``.ci/run``); Playwright's own browser download is never run. Without
Chromium these tests skip on a developer machine and fail in CI (``CI`` set).
"""

from __future__ import annotations

import csv
import io
import os
import re
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

from youcheng.export import FIELDS  # noqa: E402

from .conftest import served  # noqa: E402
from .expected import JAPAN_ROWS, SEED_LIST_PAGES, SEED_RELATIONSHIPS, SEED_ROWS, WUHAN_ROWS  # noqa: E402


@pytest.fixture(scope="module")
def server(seed_db: Path) -> Iterator[str]:
    """The app on a free loopback port, in a thread, for the whole module."""
    with served(seed_db) as url:
        yield url


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
    expect(page.locator("#count")).to_have_text(f"{SEED_RELATIONSHIPS} 对友城关系")
    assert _total(page) == SEED_RELATIONSHIPS
    expect(page.locator("#map")).to_have_attribute("data-drawn", "1")
    state = _map(page)  # lines count place pairs; the partnerships add up to the total
    assert int(state["shown"]) + int(state["leftOut"]) + int(state["unplaced"]) == SEED_RELATIONSHIPS
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
    expect(partners).to_have_count(WUHAN_ROWS)
    expect(page.locator("#place-partners")).to_contain_text("匹茲堡")
    expect(partners.first.locator("td.src")).to_contain_text("中华人民共和国友好城市列表.md:")
    expect(page.locator("#place-names")).to_contain_text("武汉市")
    assert "place=" in page.url


def test_search_enter_filters_by_text(page: Page, server: str) -> None:
    _open(page, server)
    page.locator("#search").fill("武汉")
    expect(page.locator("#suggestions li[data-id]").first).to_be_visible()
    page.locator("#search").press("Enter")
    expect(page.locator("#count")).to_have_attribute("data-total", str(WUHAN_ROWS))
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
    expect(page.locator("#count")).to_have_text(f"{SEED_RELATIONSHIPS} partnerships")
    page.locator("#f-country").select_option("JP")
    expect(page.locator("#count")).to_have_text(f"{JAPAN_ROWS} partnerships (of {SEED_RELATIONSHIPS})")
    expect(page.locator("#list tbody tr")).to_have_count(JAPAN_ROWS)
    countries = page.locator("#list tbody tr td:nth-child(3)").all_inner_texts()
    assert set(countries) == {"Japan"}
    state = _map(page)
    assert int(state["lines"]) + int(state["unplaced"]) == JAPAN_ROWS
    assert "country=JP" in page.url
    page.locator("#f-from").fill("1990")
    page.locator("#f-from").press("Enter")
    page.locator("#f-to").fill("1999")
    page.locator("#f-to").press("Tab")
    expect(page.locator("#count")).not_to_have_attribute("data-total", str(JAPAN_ROWS))
    assert 0 < _total(page) < JAPAN_ROWS and "from=1990" in page.url and "to=1999" in page.url


def test_shared_url_restores_the_view(page: Page, server: str) -> None:
    _open(page, server, "?country=JP&level=prefecture&lang=en")
    expect(page.locator("#f-country")).to_have_value("JP")
    expect(page.locator("#f-level")).to_have_value("prefecture")
    assert 0 < _total(page) < JAPAN_ROWS
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
    assert rows[0] == list(FIELDS) and len(rows) == 1 + JAPAN_ROWS
    formats = page.locator("#downloads a").evaluate_all("els => els.map(e => e.dataset.format)")
    assert formats == ["csv", "jsonl", "geojson", "graphml", "datapackage"]


def test_language_toggle(page: Page, server: str) -> None:
    _open(page, server, "?lang=zh")
    expect(page.locator(".tagline")).to_have_text("中华人民共和国友好城市关系登记册")
    page.locator("#lang").click()
    expect(page.locator(".tagline")).to_have_text("A registry of the PRC's sister-city relationships")
    expect(page.locator("#count")).to_have_text(f"{SEED_RELATIONSHIPS} partnerships")
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
    assert (int(state["shown"]) + int(state["leftOut"]) + int(state["unplaced"]) == int(state["relationships"])
            == SEED_RELATIONSHIPS)
    api = page.evaluate("fetch('api/lines?limit=3000').then(r => r.json())")
    assert int(state["lines"]) == len(api["items"]) and int(state["unplaced"]) == api["unplaced_partnerships"]
    note = f"All {state['lines']} place pairs drawn ({state['shown']} of {SEED_RELATIONSHIPS} partnerships)."
    expect(page.locator("#map-status")).to_contain_text(note)
    page.locator("#lang").click()
    expect(page.locator("#map-status")).to_contain_text(
        f"（{SEED_RELATIONSHIPS} 对友城关系中的 {state['shown']} 对）")


def test_map_groups_by_province_and_country_when_pairs_do_not_fit(page: Page, server: str) -> None:
    # The seed's pairs all fit in the page's limit; ask the API as if the page allowed 20 lines.
    page.route("**/api/lines?*", lambda route: route.continue_(
        url=route.request.url.replace("limit=3000", "limit=20")))
    _open(page, server, "?lang=en")
    state = _map(page)
    assert state["group"] == "region" and state["lines"] == "20"
    assert int(state["leftOut"]) > 0
    assert int(state["shown"]) + int(state["leftOut"]) + int(state["unplaced"]) == SEED_RELATIONSHIPS
    expect(page.locator("#map-status")).to_contain_text(
        f"Grouped by Chinese province and partner country: showing 20 of {20 + int(state['linesLeftOut'])} lines "
        f"({int(state['shown']):,} of {SEED_RELATIONSHIPS} partnerships)")
    page.locator("#lang").click()
    expect(page.locator("#map-status")).to_contain_text("按中方省份与外方国家汇总：显示")


def test_list_pages_through_the_api(page: Page, server: str) -> None:
    _open(page, server, "?lang=en")
    expect(page.locator("#pageinfo")).to_have_text(f"page 1/{SEED_LIST_PAGES}")
    first = page.locator("#list tbody tr").first.get_attribute("data-id")
    with page.expect_response(lambda r: "/api/partnerships" in r.url and "offset=50" in r.url):
        page.locator("#next").click()
    expect(page.locator("#pageinfo")).to_have_text(f"page 2/{SEED_LIST_PAGES}")
    expect(page.locator("#list tbody tr").first).not_to_have_attribute("data-id", first or "")
    assert "page=2" in page.url
    page.goto(server + f"?lang=en&page={SEED_LIST_PAGES}")
    expect(page.locator("#app")).to_have_attribute("data-ready", "1", timeout=20_000)
    expect(page.locator("#list tbody tr")).to_have_count(SEED_ROWS - (SEED_LIST_PAGES - 1) * 50)


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
    expect(items).to_have_count(WUHAN_ROWS)
    expect(items.nth(1).locator(".rel-sources li")).to_have_count(1)
    expect(items.nth(1)).to_contain_text("中华人民共和国友好城市列表.md:")
    expect(items.first.locator(".rel-sources li")).to_have_count(2)
    expect(items.first).to_contain_text("2 source(s)")
    expect(items.first.locator(".rel-conflict")).to_contain_text(
        "The sources disagree (date): 1982-09-08 (武汉市.md:27) ≠ 1982-09-17 (中华人民共和国友好城市列表.md:592)")


def test_place_page_of_a_small_place_has_no_note(page: Page, server: str) -> None:
    _open(page, server, "?lang=en&place=cn%3A420100")
    expect(page.locator("#place-sub")).to_contain_text(f"{WUHAN_ROWS} partnerships")
    expect(page.locator("#place-sub")).not_to_contain_text("first")


def _chart_labels(page: Page, chart: str) -> list[str]:
    """The category labels an ECharts chart draws on its axes (the canvas holds no text to read)."""
    labels: list[str] = page.evaluate(
        """sel => { const o = echarts.getInstanceByDom(document.querySelector(sel)).getOption();
                    return [...o.xAxis, ...o.yAxis].flatMap(a => (a.data || []).map(String)); }""", chart)
    return labels


# Visible text of the page that is not a data value: a value from the registry (a name as written,
# a file name, a note, the build's messages) sits in an element marked translate="no".
UI_TEXT = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const e = n.parentElement, text = n.nodeValue.trim();
    if (!text || e.closest('[translate="no"], script, style')) continue;
    if (e.tagName !== "OPTION" && !e.checkVisibility()) continue;
    out.push(text);
  }
  return out;
}"""
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
# Code words of the data that the page must translate in Chinese mode.
CODE_WORDS = re.compile(r"\b(written|converted|romanised|gazetteer|gbt2260|subdivision|curated|parent|unresolved|"
                        r"province|prefecture|county|district|city|region|sister|exchange|intent|domestic|"
                        r"warning|info|error|[a-z]+_[a-z_]+)\b")


def _untranslated(page: Page, lang: str) -> list[str]:
    texts: list[str] = page.evaluate(UI_TEXT)
    if lang == "en":
        return [t for t in texts if CJK.search(t)]
    return [t for t in texts if CODE_WORDS.search(t)]


def _walk_in(page: Page, server: str, lang: str) -> None:
    """Search, open a place, read the charts and the data quality view; every stop is checked."""
    _open(page, server, f"?lang={lang}")
    expect(page.locator("#cov-provinces tbody tr").first).to_be_visible()
    assert _untranslated(page, lang) == []
    page.locator("#search").fill("Wuhan")
    expect(page.locator("#suggestions li[data-id]").first).to_be_visible()
    assert _untranslated(page, lang) == []
    page.locator("#suggestions li[data-id]").first.click()
    expect(page.locator("#place-banner")).to_be_visible()
    expect(page.locator("#count")).to_have_attribute("data-total", str(WUHAN_ROWS))
    expect(page.locator("#place-names span[data-origin]").first).to_be_visible()
    assert _untranslated(page, lang) == []
    page.locator("#search").fill("Atlantis")  # a search with no hit
    expect(page.locator("#suggestions li.nohit")).to_be_visible()
    assert _untranslated(page, lang) == []
    page.locator("#search").press("Escape")
    for chart in ("#chart-years", "#chart-countries", "#chart-provinces"):
        labels = _chart_labels(page, chart)
        assert labels and not [x for x in labels if (CJK.search(x) if lang == "en" else CODE_WORDS.search(x))]
    page.locator('.nav a[data-view="quality"]').click()
    expect(page.locator("#anomalies tbody tr").first).to_be_visible()
    expect(page.locator("#unplaced tbody tr").first).to_be_visible()
    assert _untranslated(page, lang) == []


def test_english_mode_shows_no_untranslated_ui_text(page: Page, server: str) -> None:
    _walk_in(page, server, "en")
    # The provinces are named in English, in the filter and on the chart.
    stats = page.evaluate("fetch('api/stats').then(r => r.json())")
    hubei = next(p["count"] for p in stats["province"] if p["key"] == "湖北省")
    assert f"Hubei ({hubei})" in page.locator("#f-province option").all_inner_texts()


def test_chinese_mode_shows_no_code_words(page: Page, server: str) -> None:
    _walk_in(page, server, "zh")
    kinds = page.locator("#anomalies tbody td[data-code]").evaluate_all("els => els.map(e => e.textContent)")
    assert kinds and not [k for k in kinds if re.search(r"[a-z]", k)]


def test_the_english_check_catches_an_untranslated_label(page: Page, server: str) -> None:
    """The walk's check is not vacuous: a Chinese label outside the data is reported."""
    _open(page, server, "?lang=en")
    assert _untranslated(page, "en") == []
    page.evaluate("document.querySelector('.tagline').textContent = '友好城市'")
    assert _untranslated(page, "en") == ["友好城市"]


def test_opening_a_place_narrows_list_charts_and_downloads(page: Page, server: str) -> None:
    _open(page, server, "?lang=en")
    expect(page.locator("#place-banner")).to_be_hidden()
    page.locator("#search").fill("武汉")
    page.locator("#suggestions li[data-id]").first.click()
    banner = page.locator("#place-banner")
    expect(banner).to_contain_text("Showing 武漢市 · Wuhan")
    expect(page.locator("#count")).to_have_text(f"{WUHAN_ROWS} partnerships (of {SEED_RELATIONSHIPS})")
    expect(page.locator("#list tbody tr")).to_have_count(WUHAN_ROWS)
    assert set(page.locator("#list tbody tr td:first-child button").all_inner_texts()) == {"Wuhan (武漢市)"}
    expect(page.locator('#downloads a[data-format="csv"]')).to_have_attribute(
        "href", "api/export/csv?place=cn%3A420100&tier=sister")
    assert _chart_labels(page, "#chart-provinces") == ["Hubei"]
    bars = page.evaluate("echarts.getInstanceByDom(document.querySelector('#chart-countries'))"
                         ".getOption().series[0].data.map(d => d.value)")
    assert sum(bars) == WUHAN_ROWS
    assert "place=cn%3A420100" in page.url
    # The back button widens the view again, forward narrows it; the banner's link goes back too.
    page.go_back()
    expect(page.locator("#count")).to_have_text(f"{SEED_RELATIONSHIPS} partnerships")
    expect(banner).to_be_hidden()
    expect(page.locator("#place")).to_be_hidden()
    page.go_forward()
    expect(page.locator("#count")).to_have_text(f"{WUHAN_ROWS} partnerships (of {SEED_RELATIONSHIPS})")
    expect(page.locator("#place-name")).to_contain_text("武漢市")
    page.locator("#place-back").click()
    expect(page.locator("#count")).to_have_text(f"{SEED_RELATIONSHIPS} partnerships")
    expect(banner).to_be_hidden()
    assert "place=" not in page.url
    expect(page.locator("#list tbody tr")).to_have_count(50)


def test_a_place_and_a_filter_narrow_together(page: Page, server: str) -> None:
    _open(page, server, "?lang=en&place=cn%3A420100&country=US")
    expect(page.locator("#place-banner")).to_be_visible()
    rows = page.locator("#list tbody tr")
    expect(rows.first).to_be_visible()
    assert 0 < rows.count() < WUHAN_ROWS
    assert set(page.locator("#list tbody tr td:nth-child(3)").all_inner_texts()) == {"United States"}
    page.locator("#f-reset").click()
    expect(page.locator("#count")).to_have_text(f"{SEED_RELATIONSHIPS} partnerships")
    expect(page.locator("#place-banner")).to_be_hidden()


@pytest.mark.parametrize("how", ["search", "shared link"])
def test_on_a_phone_the_place_is_the_first_thing_seen(browser: Browser, server: str, how: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    pg = context.new_page()
    if how == "search":
        _open(pg, server, "?lang=en")
        pg.locator("#search").fill("武汉")
        pg.locator("#suggestions li[data-id]").first.click()
    else:
        _open(pg, server, "?lang=en&place=cn%3A420100")
    expect(pg.locator("#place-name")).to_contain_text("武漢市")
    for sel in ("#place-banner", "#place-name", "#place-facts"):
        expect(pg.locator(sel)).to_be_in_viewport()
    # The panel comes before the map on a narrow screen.
    place_top, map_top = pg.evaluate("['#place', '#map'].map(s => document.querySelector(s).getBoundingClientRect().top)")
    overflow = pg.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    context.close()
    assert place_top < map_top and overflow <= 0


def test_coverage_panel_says_what_the_registry_was_built_from(page: Page, server: str) -> None:
    _open(page, server, "?lang=en")
    sources = page.evaluate("fetch('api/sources').then(r => r.json())")
    every = page.evaluate("fetch('api/stats?tier=all').then(r => r.json())")
    panel = page.locator("#coverage")
    expect(panel).to_contain_text(f"The registry holds {every['total']} relationships (every kind) "
                                  f"from {len(sources)} source files: zh-Wikipedia's national list")
    expect(page.locator("#cov-sources tbody tr")).to_have_count(len({s["format"] for s in sources}))
    row = page.locator('#cov-sources tbody tr[data-format="wikimd"]')
    expect(row).to_contain_text(str(sources[0]["records"]))
    provinces = page.locator("#cov-provinces tbody tr")
    expect(provinces).to_have_count(len(every["province"]))
    hubei = next(p for p in every["province"] if p["key"] == "湖北省")
    expect(provinces.filter(has_text="Hubei")).to_contain_text(str(hubei["count"]))


def test_a_search_with_no_hit_says_what_the_registry_covers(page: Page, server: str) -> None:
    _open(page, server, "?lang=en")
    page.locator("#search").fill("Atlantis")
    nohit = page.locator("#suggestions li.nohit")
    expect(nohit).to_contain_text("No place name contains “Atlantis”.")
    expect(nohit).to_contain_text(
        f"The registry holds {SEED_RELATIONSHIPS} relationships from zh-Wikipedia's national list")
    expect(nohit.locator('a[href="#coverage"]')).to_be_visible()
    page.locator("#search").press("Enter")  # filter by the text: nothing matches, and the list says why
    expect(page.locator("#count")).to_have_attribute("data-total", "0")
    expect(page.locator("#list tbody tr.empty")).to_contain_text(
        f"No relationship matches. The registry holds {SEED_RELATIONSHIPS}")


def test_names_are_labelled_by_where_they_come_from(page: Page, server: str) -> None:
    """An API that tells no origin (every name "written", as older builds said): the page derives it."""
    import json

    def untold(route: Any) -> None:
        body = route.fetch().json()
        body["names"] = [{"name": n["name"], "kind": "simplified" if n["name"] == body["name_simplified"]
                          and n["name"] != body["name"] else "written"} for n in body["names"]]
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route("**/api/places/*", untold)
    _open(page, server, "?lang=en&place=cn%3A420100")
    detail = page.evaluate("fetch('api/places/cn%3A420100').then(r => r.json())")
    spelled = {n for r in detail["partnerships"] for n in (r["cn_name"], r["cn_link"]) if n}
    chips = page.locator("#place-names span[data-origin]")
    expect(chips.first).to_be_visible()
    origins = dict(chips.evaluate_all("els => els.map(e => [e.firstChild.textContent, e.dataset.origin])"))
    # "written" only for what a record of this place spells; the resolver's names say what they are.
    assert {n for n, o in origins.items() if o == "written"} == spelled & set(origins)
    assert origins["Wuhan"] == "english_cn" and origins["wǔ hàn shì"] == "romanised"
    assert origins[detail["name_simplified"]] in ("converted", "written")
    assert set(origins) - spelled - {"Wuhan", "wǔ hàn shì", detail["name_simplified"]}  # e.g. 武汉
    assert {o for n, o in origins.items() if n not in spelled | {"Wuhan", "wǔ hàn shì"}} <= {"converted", "other"}
    expect(chips.filter(has_text="Wuhan")).to_contain_text("English name (GB/T 2260 or pinyin)")


@pytest.mark.parametrize("field", ["origin", "kind"])
def test_names_use_the_api_origin_when_it_is_given(page: Page, server: str, field: str) -> None:
    """The API may tell each name's origin, in its own field or as the name's kind: the page shows it."""
    import json

    told = {"武汉市": "converted", "wǔ hàn shì": "romanised", "Wuhan": "gazetteer"}

    def with_origin(route: Any) -> None:
        body = route.fetch().json()
        body["names"] = [dict(n, **{field: told.get(n["name"], "written")}) for n in body["names"]]
        body["names"].append({"name": "wǔ hàn shì", "kind": "romanised", field: "romanised"})
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route("**/api/places/*", with_origin)
    _open(page, server, "?lang=zh&place=cn%3A420100")
    chips = page.locator("#place-names span[data-origin]")
    expect(chips.first).to_be_visible()
    origins = dict(chips.evaluate_all("els => els.map(e => [e.firstChild.textContent, e.dataset.origin])"))
    assert {n: o for n, o in origins.items() if n in told} == told
    assert {o for n, o in origins.items() if n not in told} == {"written"}
    expect(chips.filter(has_text="Wuhan").locator("small")).to_have_text("地名词典")


def test_a_refused_search_shows_the_apis_words_with_the_coverage(browser: Browser, server: str) -> None:
    """When the API answers a search with an error that names the nearest names, the page shows it.

    Its own context: Chromium logs the 422 on the console, which the ``page`` fixture counts as a fault.
    """
    import json

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.route("**/api/search?*", lambda route: route.fulfill(
        status=422, content_type="application/json",
        body=json.dumps({"error": "nothing is called 'Kolnn'; nearest: Köln"})))
    _open(page, server, "?lang=en")
    page.locator("#search").fill("Kolnn")
    nohit = page.locator("#suggestions li.nohit")
    expect(nohit).to_contain_text("No place name contains “Kolnn”.")
    expect(nohit).to_contain_text("nearest: Köln")
    expect(nohit).to_contain_text(f"The registry holds {SEED_RELATIONSHIPS} relationships")
    context.close()


def test_a_place_with_none_of_the_chosen_kind_offers_every_kind(page: Page, server: str) -> None:
    _open(page, server, "?lang=en&place=cn%3A420100&tier=exchange")  # the seed lists sister cities only
    empty = page.locator("#list tbody tr.empty")
    expect(empty).to_contain_text(f"None of this place's {WUHAN_ROWS} relationships is of the chosen kind.")
    empty.locator("button[data-tier]").click()
    expect(page.locator("#list tbody tr")).to_have_count(WUHAN_ROWS)
    expect(page.locator("#f-tier")).to_have_value("all")
    assert "tier=all" in page.url


def test_the_status_filter_narrows_the_list_and_the_downloads(page: Page, server: str) -> None:
    """Issue #14: a filter by status beside the one by tier (the seed's relationships are all active)."""
    _open(page, server, "?lang=en")
    everything = _total(page)
    options = page.locator("#f-status option")
    expect(options).to_have_text(["All", "Active", "Suspended", "Ended"])
    page.select_option("#f-status", "active")
    expect(page.locator("#count")).to_have_attribute("data-total", str(everything))
    assert "status=active" in page.url
    page.select_option("#f-status", "suspended")
    expect(page.locator("#count")).to_have_attribute("data-total", "0")
    assert all("status=suspended" in (a.get_attribute("href") or "")
               for a in page.locator("#downloads a").all())
    page.locator("#f-reset").click()
    expect(page.locator("#f-status")).to_have_value("")
    expect(page.locator("#count")).to_have_attribute("data-total", str(everything))
