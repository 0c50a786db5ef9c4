"""The API's response cache: what it answers from memory, what it never keeps, and when it forgets.

A hit is told from a miss by counting calls into the query layer, so "the second
answer came from the cache" is observed, not assumed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from youcheng import query
from youcheng.api import (MapLinesPage, PartnershipPage, PlaceDetail, QualityReport, SearchResult, Stats,
                          create_app)
from youcheng.api_http import CACHE_CONTROL
from youcheng import config
from youcheng.registry import Registry
from tests.test_api import tiny_registry
from tests.expected import SEED_ROWS


@pytest.fixture()
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often each of a few query functions ran (wrapped, still answering)."""
    counts: dict[str, int] = {}

    def counted(name: str) -> Callable[..., object]:
        real = getattr(query, name)

        def wrapper(*args: object, **kwargs: object) -> object:
            counts[name] = counts.get(name, 0) + 1
            return real(*args, **kwargs)
        return wrapper

    for name in ("summary", "search", "place", "select_records"):
        monkeypatch.setattr(query, name, counted(name))
    return counts


@pytest.fixture()
def client(seed_db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(seed_db)) as c:
        yield c


def test_a_hit_has_the_bytes_and_headers_of_the_miss(client: TestClient, calls: dict[str, int]) -> None:
    for headers in ({}, {"Origin": "https://example.org"}):
        miss = client.get("/api/search?q=%E6%AD%A6%E6%B1%89&limit=3", headers=headers)
        hit = client.get("/api/search?q=%E6%AD%A6%E6%B1%89&limit=3", headers=headers)
        assert miss.status_code == hit.status_code == 200
        assert hit.content == miss.content and hit.headers.multi_items() == miss.headers.multi_items()
        assert miss.headers["etag"] and miss.headers["cache-control"] == CACHE_CONTROL
        assert miss.headers["x-frame-options"] == "DENY" and miss.headers["content-type"] == "application/json"
    # The CORS headers follow each request's Origin, which is part of the key: one entry each.
    assert calls["search"] == 2
    assert "access-control-allow-origin" not in client.get("/api/search?q=%E6%AD%A6%E6%B1%89&limit=3").headers
    assert client.get("/api/search?q=%E6%AD%A6%E6%B1%89&limit=3", headers={"Origin": "https://a.example"}
                      ).headers["access-control-allow-origin"] == "*"


def test_the_key_is_the_url_as_sent(client: TestClient, calls: dict[str, int]) -> None:
    """Two spellings of one question are two entries, and each gets its own right answer."""
    a = client.get("/api/search?q=%E5%B8%82&limit=1")
    b = client.get("/api/search?limit=1&q=%E5%B8%82")
    c = client.get("/api/search?q=%E5%B8%82&limit=2")
    assert calls["search"] == 3
    assert a.json() == b.json() and len(c.json()["items"]) == 2 and a.headers["etag"] != b.headers["etag"]


def test_if_none_match_gets_304_from_a_miss_and_from_a_hit(client: TestClient, calls: dict[str, int]) -> None:
    etag = client.get("/api/summary").headers["etag"]
    for header in (etag, f'"other", {etag}', f"W/{etag}"):
        response = client.get("/api/summary", headers={"If-None-Match": header})
        assert (response.status_code, response.content, response.headers["etag"]) == (304, b"", etag)
        assert response.headers["cache-control"] == CACHE_CONTROL
        assert response.headers["x-content-type-options"] == "nosniff"
    assert client.get("/api/summary", headers={"If-None-Match": '"stale"'}).status_code == 200
    assert calls["summary"] == 1
    # Revalidating a URL nobody asked for yet: 304 without running the query either.
    other = client.get("/api/search", params={"q": "東京"})
    again = client.get("/api/search", params={"q": "東京"}, headers={"If-None-Match": other.headers["etag"]})
    assert again.status_code == 304


def test_a_rebuild_empties_the_cache(tmp_path: Path, calls: dict[str, int]) -> None:
    db = tiny_registry(tmp_path / "r.db")
    app = create_app(db)
    with TestClient(app) as c:
        before = c.get("/api/summary")
        assert c.get("/api/summary").content == before.content and calls["summary"] == 1
        Registry.build([config.seed_path()], db)  # the seed, renamed over the tiny registry
        after = c.get("/api/summary")
        assert (before.json()["partnerships"], after.json()["partnerships"]) == (2, SEED_ROWS)
        assert calls["summary"] == 2 and len(app.state.response_cache) == 1
        assert after.headers["etag"] != before.headers["etag"]
        stale = c.get("/api/summary", headers={"If-None-Match": before.headers["etag"]})
        assert stale.status_code == 200 and stale.json()["partnerships"] == SEED_ROWS


def test_an_answer_from_a_newer_build_is_not_kept_under_the_old_key(seed_db: Path) -> None:
    """A rebuild between the cache's look-up and the endpoint's connection: label it, don't keep it."""
    app = create_app(seed_db)
    database = app.state.database
    real = database.acquire
    database.acquire = lambda: ("newer", real()[1])
    with TestClient(app) as c:
        response = c.get("/api/summary")
        assert response.status_code == 200 and response.headers["etag"].startswith('"newer-')
        assert len(app.state.response_cache) == 0
        database.acquire = real
        assert not c.get("/api/summary").headers["etag"].startswith('"newer-')
        assert len(app.state.response_cache) == 1


def test_the_bound_is_respected_least_recently_used_first(seed_db: Path, calls: dict[str, int]) -> None:
    app = create_app(seed_db, cache_bytes=160_000)
    cache = app.state.response_cache
    with TestClient(app) as c:
        c.get("/api/places/nope")  # warm the error path; not kept
        first = c.get("/api/partnerships", params={"limit": 5}).content
        for limit in range(6, 40):
            c.get("/api/partnerships", params={"limit": 5, "offset": limit})
            c.get("/api/partnerships", params={"limit": 5})  # keep the first one recent
            assert 0 < cache.size <= 160_000
        assert 3 < len(cache) < 34  # some entries were dropped, many kept
        ran = calls["select_records"]
        assert c.get("/api/partnerships", params={"limit": 5}).content == first
        assert calls["select_records"] == ran  # still there: it was used recently
        c.get("/api/partnerships", params={"limit": 5, "offset": 6})
        assert calls["select_records"] == ran + 1  # the oldest were the ones dropped


def test_an_answer_larger_than_a_sixteenth_of_the_budget_is_served_whole_not_kept(seed_db: Path) -> None:
    app = create_app(seed_db, cache_bytes=160_000)
    with TestClient(app) as c:
        body = c.get("/api/export/jsonl").content
        assert len(body) > 10_000 and len(body.splitlines()) == SEED_ROWS
        assert len(app.state.response_cache) == 0 and c.get("/api/export/jsonl").content == body


def test_cache_off_still_revalidates(seed_db: Path, calls: dict[str, int]) -> None:
    app = create_app(seed_db, cache_bytes=0)
    with TestClient(app) as c:
        etag = c.get("/api/summary").headers["etag"]
        assert c.get("/api/summary").headers["etag"] == etag and calls["summary"] == 2
        assert c.get("/api/summary", headers={"If-None-Match": etag}).status_code == 304
    assert len(app.state.response_cache) == 0


@pytest.mark.parametrize(("url", "status"), [
    ("/api/places/nope", 404), ("/api/search?q=", 422), ("/api/nothing", 404)])
def test_errors_are_not_kept(client: TestClient, url: str, status: int) -> None:
    cache = client.app.state.response_cache  # type: ignore[attr-defined]
    held = len(cache)
    for _ in range(2):
        response = client.get(url)
        assert response.status_code == status and response.headers["cache-control"] == "no-store"
        assert "etag" not in response.headers
    assert len(cache) == held


def test_a_503_is_not_kept(seed_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = query.summary

    def broken(conn: sqlite3.Connection) -> dict[str, object]:
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr(query, "summary", broken)
    with TestClient(create_app(seed_db)) as c:
        assert c.get("/api/summary").status_code == 503
        monkeypatch.setattr(query, "summary", real)
        assert c.get("/api/summary").status_code == 200


def test_head_and_post_are_not_answered_from_the_cache(client: TestClient, calls: dict[str, int]) -> None:
    cache = client.app.state.response_cache  # type: ignore[attr-defined]
    assert client.get("/api/summary").status_code == 200
    held = len(cache)
    for method in ("HEAD", "POST"):
        response = client.request(method, "/api/summary")
        assert response.status_code == 405 and response.content in (b"", b'{"error":"Method Not Allowed"}')
        assert response.headers.get("cache-control", "no-store") == "no-store"
    assert client.post("/api/stats").status_code == 405 and len(cache) == held


def test_the_page_and_static_files_pass_through(client: TestClient) -> None:
    cache = client.app.state.response_cache  # type: ignore[attr-defined]
    held = len(cache)
    assert client.get("/").status_code == client.get("/static/app.js").status_code == 200
    assert client.get("/openapi.json").status_code == 200 and len(cache) == held


@pytest.mark.parametrize(("url", "model"), [
    ("/api/partnerships?limit=1000", PartnershipPage), ("/api/partnerships?place=%E6%AD%A6%E6%BC%A2%E5%B8%82", PartnershipPage),
    ("/api/search?q=%E5%B8%82&limit=100", SearchResult), ("/api/search?q=%20", SearchResult),
    ("/api/stats", Stats), ("/api/stats?country=JP", Stats), ("/api/anomalies", QualityReport),
    ("/api/anomalies?limit=3&offset=2", QualityReport), ("/api/lines", MapLinesPage),
    ("/api/lines?group=region&limit=5", MapLinesPage), ("/api/lines?group=place&country=JP", MapLinesPage),
])
def test_bodies_encoded_without_pydantic_still_match_the_declared_models(
        client: TestClient, url: str, model: type[PartnershipPage]) -> None:
    """The endpoints skip FastAPI's response validation; the documented schema must still hold exactly."""
    body = client.get(url).content
    assert model.model_validate_json(body).model_dump(mode="json") == json.loads(body)


def test_place_bodies_match_the_declared_model(client: TestClient) -> None:
    ids = [i["id"] for i in client.get("/api/search", params={"q": "市", "limit": 100}).json()["items"]]
    ids += [i["id"] for i in client.get("/api/search", params={"q": "e", "limit": 100}).json()["items"]]
    assert len({i.split(":")[0] for i in ids}) > 1
    adapter = TypeAdapter(PlaceDetail)
    for place_id in ids:
        body = client.get(f"/api/places/{place_id}").content
        assert adapter.validate_json(body).model_dump(mode="json") == json.loads(body), place_id


def _stopped(pid: int) -> bool:
    """Whether the process is stopped (state T in /proc/PID/stat, after the command's parentheses)."""
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "T"


def test_serve_with_two_workers_answers_from_two_processes(seed_db: Path) -> None:
    """``youcheng serve --workers 2``: a parent and two server processes, each answering the API.

    Each worker is shown to answer by stopping the other (SIGSTOP) for one request: the
    listening socket is shared, so only the running one can take the connection.
    """
    import os
    import signal
    import time
    import urllib.request

    from tests.test_api_hostile import serving

    with serving(seed_db, "--workers", "2", "--no-access-log") as (proc, port):
        # uvicorn spawns its workers with multiprocessing (beside a resource tracker).
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
            workers = [int(c) for c in children
                       if "spawn_main" in Path(f"/proc/{c}/cmdline").read_text(errors="replace")]
            if len(workers) == 2:
                break
            time.sleep(0.2)
        assert len(workers) == 2, children
        for other, alone in (workers, workers[::-1]):
            os.kill(other, signal.SIGSTOP)  # briefly: uvicorn restarts a worker silent for 5 s
            try:
                while not _stopped(other):
                    time.sleep(0.01)
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/summary", timeout=3) as response:
                    assert json.load(response)["partnerships"] == SEED_ROWS, alone
            finally:
                os.kill(other, signal.SIGCONT)


def test_endpoints_run_on_a_few_worker_threads(seed_db: Path) -> None:
    """Forty threads contending for the GIL made a 2 ms answer take 10 ms under load (see _lifespan)."""
    import anyio.to_thread

    from youcheng.api import QUERY_THREADS

    with TestClient(create_app(seed_db)) as client:
        assert client.portal is not None
        limit = client.portal.call(lambda: _tokens(anyio.to_thread.current_default_thread_limiter()))
        assert limit == QUERY_THREADS
        assert client.get("/api/stats").status_code == 200


async def _tokens(limiter: object) -> float:
    return float(limiter.total_tokens)  # type: ignore[attr-defined]


def test_a_miss_checks_the_registry_file_twice_and_a_hit_once(seed_db: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache's check is handed on to the ETag layer; the connection checks again just before it opens."""
    from youcheng.api import _Database

    checks: list[str] = []
    real = _Database.refresh

    def counted(self: _Database) -> str:
        checks.append(self.path.name)
        return real(self)

    monkeypatch.setattr(_Database, "refresh", counted)
    with TestClient(create_app(seed_db)) as client:
        checks.clear()
        assert client.get("/api/search", params={"q": "武汉"}).status_code == 200
        assert len(checks) == 2
        checks.clear()
        assert client.get("/api/search", params={"q": "武汉"}).status_code == 200
        assert len(checks) == 1
