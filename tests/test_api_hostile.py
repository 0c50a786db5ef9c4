"""Hostile requests (issue #6): the server answers 4xx or a correct 200, never 5xx, never
writes, never serves a file from outside the package, and says what it allows.

In-process through the ASGI app for the parameters, and over real sockets against
``youcheng serve`` for what a client library would refuse to send (invalid
percent-encoding, raw NUL bytes, dot segments, oversized request lines).
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import io
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from fastapi.testclient import TestClient

from youcheng import Registry, config, query, query_map, query_places
from youcheng.api import WEB_DIR, create_app
from youcheng.api_http import CONTENT_SECURITY_POLICY

from .expected import SEED_ROWS

ROOT = Path(__file__).resolve().parent.parent

INJECTIONS = [
    "' OR '1'='1", "'; DROP TABLE partnerships; --", "\" OR 1=1 --", "1) OR (1=1", "x' UNION SELECT * FROM meta --",
    "%' OR 1=1 --", "_%", "\\", "cn:110000' --", "); ATTACH DATABASE '/tmp/x.db' AS x; --",
    "1; UPDATE meta SET value = 'pwned'", "' || (SELECT value FROM meta LIMIT 1) || '",
]
STRING_PARAMS = {
    "/api/partnerships": ["place", "province", "q"],
    "/api/stats": ["place", "province", "q"],
    "/api/export/csv": ["place", "province", "q"],
    "/api/search": ["q"],
}
NUMBER_PARAMS = {
    "/api/partnerships": ["limit", "offset", "year_from", "year_to"],
    "/api/stats": ["year_from", "year_to"],
    "/api/export/jsonl": ["year_from", "year_to"],
    "/api/search": ["limit"],
}
BAD_NUMBERS = ["-1", "-99999999999999999999", "99999999999999999999999999", "1e3", "1.5", "NaN", "inf", "",
               "ten", "0x10", "1__0", "\x00", "1\x00", "١٢", "' OR 1=1 --", "9" * 5000]


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seed registry of this module's own, so that 'it was not written' can be checked."""
    db = tmp_path_factory.mktemp("hostile") / "registry.db"
    Registry.build([config.seed_path()], db)
    return db


@pytest.fixture(scope="module")
def client(hostile_db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(hostile_db), raise_server_exceptions=False) as c:
        yield c


def assert_json_4xx_or_200(response: Any) -> None:
    assert response.status_code == 200 or 400 <= response.status_code < 500, (
        response.status_code, response.text[:300])
    if response.status_code != 200 or response.headers["content-type"].startswith("application/json"):
        assert isinstance(response.json(), dict)


# --- parameters ------------------------------------------------------------------------

@pytest.mark.parametrize("text", INJECTIONS)
@pytest.mark.parametrize(("path", "name"), [(p, n) for p, names in STRING_PARAMS.items() for n in names])
def test_sql_injection_in_text_parameters_is_just_text(client: TestClient, path: str, name: str,
                                                       text: str) -> None:
    response = client.get(path, params={name: text})
    assert_json_4xx_or_200(response)
    if path == "/api/partnerships" and name == "place":  # no place has that name: said, with what is near
        assert response.status_code == 404 and response.json()["error"].startswith("no place is called")
    elif path == "/api/partnerships" and name == "province":  # no province has it: a 422 listing them
        assert response.status_code == 422 and response.json()["parameter"] == "province"


@pytest.mark.parametrize("text", INJECTIONS)
def test_sql_injection_in_a_place_id_is_404(client: TestClient, text: str) -> None:
    response = client.get("/api/places/" + quote(text, safe=""))
    assert response.status_code == 404  # no such place; with a '/' in it, no such page
    assert response.json()["error"].startswith(("no place has the id", "no such page"))


@pytest.mark.parametrize("value", BAD_NUMBERS)
@pytest.mark.parametrize(("path", "name"), [(p, n) for p, names in NUMBER_PARAMS.items() for n in names])
def test_bad_numbers_are_422_naming_the_parameter(client: TestClient, path: str, name: str, value: str) -> None:
    response = client.get(path, params={"q": "市", name: value} if path == "/api/search" else {name: value})
    assert response.status_code == 422, (value, response.text[:200])
    assert response.json()["error"].startswith(f"{name}: ")
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(("path", "params"), [
    ("/api/partnerships", {"limit": 1000, "offset": 10_000_000}),
    ("/api/partnerships", {"year_from": 1, "year_to": 9999, "limit": 0}),
    ("/api/search", {"q": "   "}),
    ("/api/search", {"q": "%"}),
    ("/api/search", {"q": "_"}),
    ("/api/search", {"q": "\x00"}),
    ("/api/partnerships", {"q": "\ud7ff\uffff\U0010ffff"}),
])
def test_edge_values_are_a_correct_200(client: TestClient, path: str, params: dict[str, object]) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text[:300]
    assert response.json().get("items", []) == []  # an empty page or search


@pytest.mark.parametrize(("path", "params", "status", "parameter"), [
    ("/api/partnerships", {"year_from": 9999, "year_to": 1}, 422, "year_from"),
    ("/api/stats", {"year_from": 2000, "year_to": 1990}, 422, "year_from"),
    ("/api/stats", {"place": "' OR 1=1 --"}, 404, None),
    ("/api/partnerships", {"place": "\x00", "q": "\x00"}, 404, None),
    ("/api/partnerships", {"province": "\x00"}, 422, "province"),
])
def test_values_that_cannot_match_are_said_so(client: TestClient, path: str, params: dict[str, object],
                                              status: int, parameter: str | None) -> None:
    response = client.get(path, params=params)
    assert response.status_code == status, response.text[:300]
    assert response.json().get("parameter") == parameter


@pytest.mark.parametrize(("path", "name"), [
    ("/api/partnerships", "place"), ("/api/partnerships", "province"), ("/api/partnerships", "q"),
    ("/api/stats", "q"), ("/api/search", "q"), ("/api/export/csv", "place"),
])
def test_ten_kilobyte_parameters_are_422(client: TestClient, path: str, name: str) -> None:
    for text in ("x" * 10_240, "武" * 3_414, "%" * 10_240):
        response = client.get(path, params={name: text})
        assert response.status_code == 422 and response.json()["error"].startswith(f"{name}: String should have")


def test_ten_kilobyte_place_id_is_422(client: TestClient) -> None:
    response = client.get("/api/places/" + "x" * 10_240)
    assert response.status_code == 422 and response.json()["error"].startswith("place_id: ")


def test_repeated_parameters_are_harmless_and_unknown_ones_a_422(client: TestClient) -> None:
    response = client.get("/api/partnerships?country=JP&country=US&limit=1&limit=2")
    assert response.status_code == 200 and response.json()["total"] > 0
    response = client.get("/api/partnerships?country=JP&evil=1;DROP")
    assert response.status_code == 422 and response.json()["parameter"] == "evil"


# --- static files ------------------------------------------------------------------------

WEB_FILES = {p.read_bytes() for p in WEB_DIR.rglob("*") if p.is_file()}
TRAVERSALS = [
    "/static/../api.py", "/static/../../pyproject.toml", "/static/..%2fapi.py", "/static/..%2f..%2fpyproject.toml",
    "/static/%2e%2e/api.py", "/static/%2e%2e%2f%2e%2e%2fpyproject.toml", "/static/vendor/../../api.py",
    "/static/vendor/..%2f..%2fapi.py", "/static/..%5capi.py", "/static/%2fetc%2fpasswd", "/static//etc/passwd",
    "/static/..%252fapi.py", "/static/%c0%ae%c0%ae/api.py", "/static/app.js%00.py", "/static/%00",
    "/static/", "/static/vendor", "/static/vendor/licenses/", "/static/" + "a" * 5000, "/static/" + "../" * 50,
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_static_traversal_serves_nothing_outside_the_web_folder(client: TestClient, path: str) -> None:
    response = client.get(path)  # httpx resolves plain dot segments itself: /static/../x is /x
    assert 400 <= response.status_code < 500 or response.content in WEB_FILES, (path, response.status_code)
    assert b"def create_app" not in response.content and b"root:" not in response.content
    assert b"[project]" not in response.content


def test_every_served_static_file_is_inside_the_web_folder(client: TestClient) -> None:
    for path in sorted(WEB_DIR.rglob("*")):
        if path.is_file():
            response = client.get("/static/" + path.relative_to(WEB_DIR).as_posix())
            assert response.status_code == 200 and response.content == path.read_bytes()


# --- never writes ------------------------------------------------------------------------

def _sweep(client: TestClient, registry: Registry) -> None:
    """Every API endpoint and every Registry query, with filters that reach every query path."""
    hit = client.get("/api/search", params={"q": "武汉"}).json()["items"][0]
    for url in ["/api/partnerships", "/api/partnerships?place=洛阳市&country=jp&province=河南&level=prefecture"
                "&year_from=1980&year_to=2020&q=京", f"/api/places/{hit['id']}", "/api/places/nope",
                f"/api/places/{hit['id']}?limit=1", "/api/search?q=x", "/api/stats?q=东京&province=湖北", "/api/anomalies", "/api/summary",
                "/api/lines", "/api/lines?group=place&country=jp", "/api/lines?group=region&q=京&province=河南",
                *[f"/api/export/{f}?country=FR" for f in ("csv", "jsonl", "geojson", "graphml", "datapackage")],
                "/api/relationships", "/api/relationships?place=洛阳市&country=jp&status=active&year_from=1980",
                "/api/relationships?q=京&province=河南", "/api/conflicts", "/api/relationships/nope",
                *[f"/api/relationships?place={t}&q={t}" for t in INJECTIONS],
                *[f"/api/partnerships?place={t}&q={t}" for t in INJECTIONS]]:
        assert client.get(url).status_code in (200, 404)
    registry.partners("洛陽市")
    registry.relationships_of("洛陽市")
    registry.relationships(query.Filters(country="JP"), "active")
    registry.conflicts()
    registry.search("東京")
    for by in query.STAT_DIMENSIONS:
        registry.stats(by)
    list(registry.records(query.Filters(country="JP")))
    registry.anomalies()
    list(registry.each_anomaly())
    registry.resolution()
    registry.summary()
    registry.sources()
    registry.stats("country", "all")
    assert client.get("/api/sources").status_code == 200
    assert client.get("/api/stats?tier=exchange").status_code == 200
    registry.export(io.StringIO(), "csv")


def test_every_query_function_runs_on_a_connection_that_cannot_write(
        hostile_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    modules = (query, query_places, query_map)  # query.py and the modules split from it
    public = {name: fn for module in modules for name, fn in vars(module).items()
              if inspect.isfunction(fn) and fn.__module__ == module.__name__ and not name.startswith("_")
              and next(iter(inspect.signature(fn).parameters), None) == "conn"}
    called: set[str] = set()

    def guarded(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(conn: sqlite3.Connection, *args: Any, **kwargs: Any) -> Any:
            for write in ("CREATE TABLE main.write_probe (x)", "UPDATE meta SET value = value",
                          "DELETE FROM partnerships", "INSERT INTO meta VALUES ('k', 'v')"):
                with pytest.raises(sqlite3.OperationalError, match="readonly"):
                    conn.execute(write)
            called.add(name)
            return fn(conn, *args, **kwargs)
        return wrapper

    for name, fn in public.items():
        for module in modules:  # where it is defined, and query where it is re-exported
            if getattr(module, name, None) is fn:
                monkeypatch.setattr(module, name, guarded(name, fn))
    before = file_digest(hostile_db)
    with TestClient(create_app(hostile_db)) as c, Registry.open(hostile_db) as registry:
        _sweep(c, registry)
    assert called == set(public), set(public) - called
    assert file_digest(hostile_db) == before


def test_the_server_runs_only_reading_statements(hostile_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every statement that reaches SQLite is a SELECT (or a read-only PRAGMA)."""
    statements: list[str] = []
    uris: list[str] = []
    real_connect = sqlite3.connect

    def tracing_connect(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = real_connect(database, *args, **kwargs)
        uris.append(str(database))
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(sqlite3, "connect", tracing_connect)
    with TestClient(create_app(hostile_db)) as c, Registry.open(hostile_db) as registry:
        _sweep(c, registry)
    assert uris and all(u.startswith("file:") and parse_qs(urlsplit(u).query)["mode"] == ["ro"]
                        for u in uris), uris
    verbs = {s.split(None, 1)[0].upper() for s in (s.strip() for s in statements) if s}
    assert verbs <= {"SELECT", "WITH", "PRAGMA"}, verbs
    # A PRAGMA that sets something may only tune this connection, never the file.
    settings = {s.split()[1].split("=")[0].lower() for s in statements
                if s.strip().upper().startswith("PRAGMA") and "=" in s}
    assert settings <= {"mmap_size", "cache_size", "temp_store", "query_only", "busy_timeout"}, settings


# The modules whose SQL the test below reads; a module query.py's SQL moves to belongs here.
SQL_MODULES = [ROOT / "youcheng" / name for name in ("query.py", "query_places.py", "query_map.py")]
# Every expression those modules interpolate into SQL, each checked by reading the code:
SQL_INTERPOLATIONS = {
    "marks",  # a list of "?" placeholders
    "', '.join('?' * len(names)) or 'NULL'",  # the same, inline
    "', '.join(names)",  # SourceRow's field names, the columns of sources
    "_SELECT",  # made of the fixed _RECORD_SQL table (checked below)
    "_SOURCE_ORDER",  # a constant ORDER BY list
    "where",  # from _where or _places_clause: constant clauses with placeholders
    "page",  # a sub-select made of where and _SOURCE_ORDER
    "column",  # from the fixed _STAT_COLUMNS, once by was checked against STAT_DIMENSIONS
    "order",  # "year" or "n DESC"
    "unit",  # "n" or "records"
    "table",  # _place_lines' table: plan.rows
    "first",  # a fixed MIN expression over plan.unit
    # A _CountPlan keeps the values above: unit, its rows (one of two table names), its table
    # and count (the precomputed counts with SUM(p.unit), or rows with COUNT(*)), its where,
    # and its tier_clause ("" or " AND tier = ?").
    "plan.unit", "plan.rows", "plan.table", "plan.count", "plan.where", "plan.tier_clause",
    # query_places.search: a constant column list with placeholders, "" or " AND n.key < ?", and
    # a constant select of name_grams with placeholders.
    "_HIT_COLUMNS", "below", "candidates",
    "int(mmap_size)",  # query.each_anomaly puts back the connection's own setting, an integer
}
# ... and every expression they interpolate into the text of an error message, never into SQL.
MESSAGE_INTERPOLATIONS = {
    "name", "by", "group", "limit", "offset", "place_id", "status", "tier", "matching",
    "MAX_LIMIT", "LINE_LIMIT", "PLACE_LINES_MAX_ROWS", "ALL_TIERS",
    "', '.join(STAT_DIMENSIONS)", "', '.join(LINE_GROUPS)", "', '.join(TIERS)", "', '.join(STATUSES)",
}


def test_query_sql_interpolates_only_fixed_text() -> None:
    """query.py builds SQL with f-strings only from placeholders and fixed names.

    The lists above are exact: a new interpolation fails this test until it is reviewed and
    added, and an entry the code no longer has fails it until it is removed, so the lists
    cannot go stale.
    """
    seen = set()
    for module in SQL_MODULES:
        for node in ast.walk(ast.parse(module.read_text("utf-8"))):
            if isinstance(node, ast.JoinedStr):
                seen |= {ast.unparse(part.value) for part in node.values if isinstance(part, ast.FormattedValue)}
    assert not SQL_INTERPOLATIONS & MESSAGE_INTERPOLATIONS
    allowed = SQL_INTERPOLATIONS | MESSAGE_INTERPOLATIONS
    assert not seen - allowed, f"interpolated but not reviewed: {sorted(seen - allowed)}"
    assert not allowed - seen, f"allowed but no longer interpolated (remove them): {sorted(allowed - seen)}"
    assert query._RECORD_SQL and all(v.replace(".", "").replace("_", "").isalnum()
                                     for v in query._RECORD_SQL.values())


@pytest.mark.parametrize("by", ["country; DROP TABLE partnerships", "year) --", "p.id", "1"])
def test_grouping_by_anything_but_a_dimension_is_refused(hostile_db: Path, by: str) -> None:
    from youcheng.errors import UsageError

    with Registry.open(hostile_db) as registry:
        with pytest.raises(UsageError):
            registry.stats(by)
        with pytest.raises(UsageError):
            query.breakdown(registry.conn, by)


def test_hostile_requests_leave_the_registry_unchanged(client: TestClient, hostile_db: Path) -> None:
    before = file_digest(hostile_db)
    for text in INJECTIONS:
        for path, names in STRING_PARAMS.items():
            for name in names:
                client.get(path, params={name: text})
    assert file_digest(hostile_db) == before
    with sqlite3.connect(hostile_db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM partnerships").fetchone()[0] == SEED_ROWS


# --- errors are JSON, declared, and never 5xx from a bad request ---------------------------

def test_an_unreadable_registry_is_503_json(hostile_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(conn: sqlite3.Connection) -> dict[str, object]:
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr(query, "summary", broken)
    with TestClient(create_app(hostile_db)) as c:
        response = c.get("/api/summary")
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    assert response.json()["error"].startswith("the registry cannot be read just now")


def test_a_bug_is_a_json_500_without_a_traceback(hostile_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def buggy(conn: sqlite3.Connection) -> dict[str, object]:
        raise KeyError("secret internals")

    monkeypatch.setattr(query, "summary", buggy)
    with TestClient(create_app(hostile_db), raise_server_exceptions=False) as c:
        response = c.get("/api/summary")
    assert (response.status_code, response.json()) == (500, {"error": "internal error"})
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/api/partnerships", "/api/places/cn:110000", "/", "/static/app.js"])
def test_writing_methods_are_refused(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path, content=b"x" * 1000)
    assert response.status_code == 405 and "error" in response.json()


# --- security headers and CORS ------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/static/app.js", "/api/stats", "/api/places/nope", "/nothing",
                                  "/api/partnerships?limit=-1", "/openapi.json"])
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"


def test_revalidation_304_carries_the_security_headers(client: TestClient) -> None:
    etag = client.get("/api/stats").headers["etag"]
    response = client.get("/api/stats", headers={"If-None-Match": etag})
    assert response.status_code == 304 and response.headers["x-content-type-options"] == "nosniff"


def test_the_policy_allows_only_the_apps_own_assets() -> None:
    directives = dict(d.split(None, 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"  # no inline script, no eval, no other host
    assert directives["connect-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    for value in directives.values():
        assert set(value.split()) <= {"'self'", "'none'", "'unsafe-inline'", "data:"}, value
    assert "'unsafe-inline'" not in directives["style-src-elem"]


def test_the_page_loads_nothing_from_elsewhere() -> None:
    """The page's own markup needs no inline script and names no other host."""
    html = (WEB_DIR / "index.html").read_text("utf-8")
    assert "<script>" not in html and "javascript:" not in html and " on" + "click=" not in html
    assert "http://" not in html and "https://" not in html and "//" not in html.replace("<!--", "")


def test_cors_lets_any_origin_read_the_api(client: TestClient) -> None:
    response = client.get("/api/stats", headers={"Origin": "https://example.org"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    assert {"etag", "content-disposition"} <= {
        h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")}


def test_cors_preflight_allows_get_and_revalidation_only(client: TestClient) -> None:
    ok = client.options("/api/partnerships", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "If-None-Match"})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "*"
    assert set(ok.headers["access-control-allow-methods"].replace(" ", "").split(",")) == {"GET", "HEAD"}
    for method, header in (("DELETE", ""), ("POST", ""), ("GET", "Authorization")):
        refused = client.options("/api/partnerships", headers={
            "Origin": "https://example.org", "Access-Control-Request-Method": method,
            **({"Access-Control-Request-Headers": header} if header else {})})
        assert refused.status_code == 400, (method, header)


# --- on the wire: what client libraries will not send ---------------------------------------

@contextmanager
def serving(db: Path, *options: str) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """``youcheng serve`` itself on a free port of 127.0.0.1, once it answers; stopped by its own pid."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    proc = subprocess.Popen([sys.executable, "-m", "youcheng", "serve", "--db", str(db),
                             "--host", "127.0.0.1", "--port", str(port), *options],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while raw(port, b"GET /api/summary HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")[0] != 200:
            assert proc.poll() is None and time.monotonic() < deadline, "youcheng serve did not start"
            time.sleep(0.1)
        yield proc, port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def server(hostile_db: Path) -> Iterator[int]:
    with serving(hostile_db) as (_, port):
        yield port


def raw(port: int, request: bytes) -> tuple[int | None, bytes]:
    """Send bytes as they are; the status (None if the server hung up silently) and the body.

    Reads until the server closes the connection (the requests ask it to), or the
    server stops sending for 5 s.
    """
    data = b""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            try:
                sock.sendall(request)
            except OSError:
                pass  # it refused the rest of an oversized request; read what it answered
            while chunk := sock.recv(65536):
                data += chunk
    except OSError:
        pass
    head, _, body = data.partition(b"\r\n\r\n")
    parts = head.split(b" ", 2)
    return (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None), body


def get(target: bytes, headers: bytes = b"") -> bytes:
    return b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + headers + b"\r\n"


@pytest.mark.parametrize(("request_bytes", "expected"), [
    (get(b"/api/search?q=%zz"), 200), (get(b"/api/search?q=%"), 200), (get(b"/api/search?q=%ff%fe"), 200),
    (get(b"/api/search?q=%E6%AD"), 200), (get(b"/api/search?q=%00"), 200),
    (get(b"/api/partnerships?place=%zz%&province=%%%&q=%c0%af"), 422),  # no such province (nor place)
    (get(b"/api/partnerships?limit=%zz"), 422), (get(b"/api/partnerships?limit=%00"), 422),
    (get(b"/api/partnerships?limit=-0x10"), 422), (get(b"/api/partnerships?offset=%2d1"), 422),
    (get(b"/api/partnerships?place=" + b"%41" * 3500), 422),
    (get(b"/api/places/%ff%fe"), 404), (get(b"/api/places/%00"), 404), (get(b"/api/places/%zz"), 404),
    (get(b"/api/export/%00"), 422), (get(b"/static/%00"), 404), (get(b"/static/%zz"), 404),
    (get(b"/api/stats", b"If-None-Match: " + b"\"x\", " * 2000 + b"\r\n"), 200),
    (get(b"/api/stats", b"Origin: null\r\n"), 200),
    (b"GET /api/stats HTTP/1.0\r\n\r\n", 200),
])
def test_malformed_requests_on_the_wire(server: int, request_bytes: bytes, expected: int) -> None:
    status, body = raw(server, request_bytes)
    assert status == expected, (status, body[:200])


@pytest.mark.parametrize("request_bytes", [
    get(b"/static/app.js\x00"), get(b"/api/search?q=\x00"), get(b"/api/search?q=a b"), get(b"/api/search?q=\xe6\xad\xa6"),
    get(b"/" + b"a" * 100_000), get(b"/api/stats", b"X-Big: " + b"a" * 100_000 + b"\r\n"),
    b"GET /api/stats HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,
    b"GET\r\n\r\n", b"BREW /api/stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", b"GET /api/stats HTTP/1.1\r\n\r\n",
    b"GET /api/stats HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    b"GET /api/stats HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
])
def test_broken_http_is_4xx_or_refused(server: int, request_bytes: bytes) -> None:
    status, body = raw(server, request_bytes)
    assert status is None or status < 500, (status, body[:200])


@pytest.mark.parametrize("target", [
    b"/static/../api.py", b"/static/../../pyproject.toml", b"/static/..%2f..%2fpyproject.toml",
    b"/static/%2e%2e/%2e%2e/pyproject.toml", b"/static/vendor/../../../youcheng/api.py", b"/static/..\\api.py",
    b"/static/..%5c..%5cpyproject.toml", b"/static//etc/passwd", b"/static/%2fetc%2fpasswd",
    b"/static/" + b"../" * 20 + b"etc/passwd", b"/static/" + b"%2e%2e%2f" * 20 + b"etc/passwd",
    b"/../../etc/passwd", b"//etc/passwd", b"http://127.0.0.1/static/../api.py", b"/static/./../api.py",
    b"/static/app.js/../../api.py", b"/static/%c0%ae%c0%ae/api.py",
])
def test_path_traversal_on_the_wire_serves_no_file_outside_the_package(server: int, target: bytes) -> None:
    status, body = raw(server, get(target))
    assert status is not None and 400 <= status < 500, (target, status)
    assert b"root:" not in body and b"def create_app" not in body and b"[project]" not in body


# --- load ------------------------------------------------------------------------------------

def test_64_concurrent_connections_of_mixed_queries_get_no_error(hostile_db: Path) -> None:
    """A short run of benchmarks/bench_load.py (the 10 s run and its figures: benchmarks/README.md)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "benchmarks" / "bench_load.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules["bench_load"] = bench
    spec.loader.exec_module(bench)
    result = bench.run(connections=64, duration=3.0, client="httpx", db=hostile_db)
    assert result.requests > 64 and result.errors == 0, result.summary()
