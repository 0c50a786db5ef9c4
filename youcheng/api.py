"""REST API and web page: FastAPI over the same ``query`` functions as the CLI.

::

    GET /                          the web page (youcheng/web/), which talks only to /api
    GET /api/partnerships          filtered, paged records   (youcheng partners / export)
    GET /api/places/{id}           one place, its names and its partnerships
    GET /api/search?q=             typeahead over both sides  (youcheng search)
    GET /api/stats                 counts by country, year, province, level (youcheng stats)
    GET /api/anomalies             the data-quality report    (youcheng check)
    GET /api/summary               counts and build metadata
    GET /api/export/{format}       csv, jsonl, geojson, graphml, datapackage (youcheng export)
    GET /openapi.json, /docs       the documentation of all of the above

The registry is opened read-only, one connection per worker thread, and reopened
when a build replaces the file. Responses carry an ``ETag`` derived from the
build and the request, so a client revalidates with ``If-None-Match`` and gets
``304`` until the next build. Errors are JSON ``{"error": message}``: NotFound
is 404, UsageError and bad parameters 422, a missing registry 503.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import sqlite3
import threading
from urllib.parse import quote, unquote
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, Literal, MutableMapping, get_args

from fastapi import Depends, FastAPI, Path as PathParam, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from youcheng import __version__, query
from youcheng.errors import NotFound, StoreError, UsageError, YouchengError
from youcheng.export import FILE_NAMES, FORMATS, MEDIA_TYPES, write_datapackage, write_records
from youcheng.model import Anomaly, PlaceHit, Record, StatRow, UnplacedPlace
from youcheng.resolve.names import fold_key
from youcheng.store import connect_readonly

WEB_DIR = Path(__file__).parent / "web"
PAGE_LIMIT = 1000
CACHE_CONTROL = "public, max-age=300"

# The page loads only its own files and talks only to its own API: no script, style
# sheet, font, frame or connection from elsewhere, and no inline script. Inline style
# *attributes* are allowed (the page's legend and ECharts' tooltips set them);
# style-src-elem keeps <style>/<link> elements to the app's own files.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "style-src-elem 'self'",
    "img-src 'self' data:", "connect-src 'self'", "font-src 'self'", "manifest-src 'self'",
    "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
])
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]

ExportFormat = Literal["jsonl", "csv", "geojson", "graphml", "datapackage"]
Level = Literal["province", "prefecture", "county", "district"]
assert set(FORMATS) == set(get_args(ExportFormat)), "ExportFormat must list export.FORMATS"


class ErrorBody(BaseModel):
    """Every error response: what went wrong and what to try."""

    error: str = Field(examples=["no place has the id 'cn:999999'; find ids with 'youcheng search'"])


class PartnershipPage(BaseModel):
    """One page of the relationships matching the filters, and how many match in all."""

    total: int = Field(description="How many relationships match the filters.")
    limit: int
    offset: int
    items: list[Record] = Field(description="The records, in source order, with the export fields.")


class PlaceName(BaseModel):
    """One name a place is known by and what kind of name it is."""

    name: str
    kind: str = Field(description="written, simplified, pinyin, en, link, short…")


class PlaceDetail(BaseModel):
    """A place with every name it is known by, its codes, coordinates and partnerships."""

    id: str
    side: Literal["cn", "foreign"]
    name: str
    name_simplified: str | None = None
    name_pinyin: str | None = None
    name_en: str | None = None
    link: str | None = None
    country: str | None = None
    kind: str | None = None
    code: str | None = Field(None, description="GB/T 2260 code for Chinese places.")
    province: str | None = None
    subdivision: str | None = Field(None, description="ISO 3166-2 code of a foreign region.")
    geonames_id: int | None = None
    lat: float | None = None
    lon: float | None = None
    parent_id: str | None = None
    resolution: str | None = Field(None, description="How the place's identity was decided.")
    names: list[PlaceName]
    partnerships: list[Record]


class SearchResult(BaseModel):
    """Places whose names contain the query, best matches first."""

    q: str
    items: list[PlaceHit]


class Stats(BaseModel):
    """Relationship counts under the filters, by each dimension (null key: unknown)."""

    total: int
    country: list[StatRow]
    year: list[StatRow]
    province: list[StatRow]
    level: list[StatRow]


class QualityReport(BaseModel):
    """What the build could not read, and the places the map cannot draw."""

    total: int = Field(description="How many anomalies.")
    items: list[Anomaly]
    unplaced: list[UnplacedPlace] = Field(description="Places without coordinates.")


_ERRORS: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not Modified: the `If-None-Match` ETag is current; no body."},
    422: {"model": ErrorBody, "description": "A parameter cannot be used."},
    503: {"model": ErrorBody, "description": "The registry is missing or unreadable."},
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such place."}, **_ERRORS}


class _Database:
    """Read-only connections to one registry file, one per thread, renewed after a rebuild.

    A build renames a new file over the old one; the stamp (inode, mtime, size)
    tells that it happened, so the next request opens the new file and the
    ETags change with it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self.token = ""
        self.refresh()

    def refresh(self) -> str:
        """Check the file; return the current build token (changes when the file is rebuilt)."""
        try:
            st = os.stat(self.path)
        except OSError as exc:
            raise StoreError(f"no registry at {self.path}: run 'youcheng build' first") from exc
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    conn = connect_readonly(self.path)
                    try:
                        built = conn.execute("SELECT value FROM meta WHERE key = 'built_at'").fetchone()
                    finally:
                        conn.close()
                    raw = f"{__version__}|{built[0] if built else ''}|{stamp}"
                    self.token = hashlib.sha256(raw.encode()).hexdigest()[:16]
                    self._stamp = stamp
        return self.token

    def connection(self) -> sqlite3.Connection:
        """This thread's connection to the current build."""
        token = self.refresh()
        held: tuple[str, sqlite3.Connection] | None = getattr(self._local, "held", None)
        if held is None or held[0] != token:
            if held is not None:
                held[1].close()
            held = (token, connect_readonly(self.path))
            self._local.held = held
        return held[1]


def _filters(
    place: Annotated[str | None, Query(
        description="A place on either side: its name in any script (洛陽市, 洛阳市, Luoyang) or its id.",
        max_length=200)] = None,
    country: Annotated[str | None, Query(
        description="The partner's country, ISO 3166-1 alpha-2 (JP, us).", pattern="^[A-Za-z]{2}$")] = None,
    province: Annotated[str | None, Query(
        description="The Chinese side's province, e.g. 河南 or 河南省.", max_length=50)] = None,
    level: Annotated[Level | None, Query(description="The Chinese side's level.")] = None,
    year_from: Annotated[int | None, Query(description="Signed in or after this year.", ge=1, le=9999)] = None,
    year_to: Annotated[int | None, Query(description="Signed in or before this year.", ge=1, le=9999)] = None,
    q: Annotated[str | None, Query(
        description="Free text: relationships of the places whose names contain it, any script.",
        max_length=200)] = None,
) -> query.Filters:
    # year_from after year_to is a valid, empty range: no records (a 200), not an error,
    # since the OpenAPI schema cannot say that one parameter must not exceed another.
    return query.Filters(place=place or None, country=country, province=province or None, level=level,
                         year_from=year_from, year_to=year_to, q=(q or "").strip() or None)


FiltersDep = Annotated[query.Filters, Depends(_filters)]


def _connection(request: Request) -> sqlite3.Connection:
    database: _Database = request.app.state.database
    return database.connection()


Conn = Annotated[sqlite3.Connection, Depends(_connection)]


def create_app(db: Path | str | None = None) -> FastAPI:
    """The ASGI app serving the registry at ``db`` (default as in ``Registry.open``).

    With no ``db`` and no default registry yet, builds one from the embedded
    seed first, like the CLI. Raises StoreError when ``db`` is not a registry.
    """
    from youcheng.registry import Registry

    with Registry.open(db) as reg:
        path = reg.path
    database = _Database(path)

    app = FastAPI(
        title="youcheng 友城 API",
        version=__version__,
        docs_url=None,  # Swagger UI and ReDoc load from a CDN; the page must work offline
        redoc_url=None,
        description=(
            "The PRC's sister-city relationships, read-only. Every list takes the same filters; "
            "errors are JSON `{\"error\": message}` with a 4xx status. Responses carry an `ETag` "
            "(send `If-None-Match` to get `304`) and `Cache-Control`, since the data only change "
            "with a new build. Data: CC BY-SA 3.0, zh.wikipedia.org contributors."),
    )
    app.state.database = database

    @app.exception_handler(YouchengError)
    async def _youcheng_error(request: Request, exc: YouchengError) -> JSONResponse:
        status = 404 if isinstance(exc, NotFound) else 422 if isinstance(exc, UsageError) else \
            503 if isinstance(exc, StoreError) else 400
        return JSONResponse({"error": str(exc)}, status_code=status)

    @app.exception_handler(sqlite3.Error)
    async def _database_error(request: Request, exc: sqlite3.Error) -> JSONResponse:
        # The file changed under a reader (a rebuild) or cannot be read: try again later.
        return JSONResponse({"error": f"the registry cannot be read just now: {exc}"}, status_code=503,
                            headers={"Retry-After": "1"})

    @app.exception_handler(Exception)
    async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
        # A bug: JSON like every other error, and no traceback for the client.
        return JSONResponse({"error": "internal error"}, status_code=500,
                            headers={k.decode(): v.decode() for k, v in SECURITY_HEADERS})

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path"))
            problems.append(f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg")))
        return JSONResponse({"error": "; ".join(problems)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if exc.status_code != 404 else f"no such page: {request.url.path}"
        return JSONResponse({"error": str(message)}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.middleware("http")
    async def _caching(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        """ETag from the build and the URL; answer 304 without work when the client has it."""
        if request.method not in ("GET", "HEAD") or not request.url.path.startswith("/api/"):
            return await call_next(request)
        try:
            token = database.refresh()
        except StoreError as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        url = f"{request.url.path}?{request.url.query}"
        etag = '"' + token + "-" + hashlib.sha256(url.encode()).hexdigest()[:16] + '"'
        headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
        if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
            return Response(status_code=304, headers=headers)
        response = await call_next(request)
        if response.status_code == 200:
            response.headers.update(headers)
        else:
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/api/partnerships", response_model=PartnershipPage, responses=_ERRORS,
             summary="Relationships matching the filters, a page at a time")
    def partnerships(
        conn: Conn, filters: FiltersDep,
        limit: Annotated[int, Query(description=f"Records per page (at most {PAGE_LIMIT}).",
                                    ge=0, le=PAGE_LIMIT)] = 100,
        offset: Annotated[int, Query(description="Records to skip.", ge=0, le=10_000_000)] = 0,
    ) -> PartnershipPage:
        total, items = query.select_records(conn, filters, limit, offset)
        return PartnershipPage(total=total, limit=limit, offset=offset, items=items)

    @app.get("/api/places/{place_id}", response_model=PlaceDetail, responses=_NOT_FOUND,
             summary="One place: its names in every script, codes, coordinates and partnerships")
    def place(conn: Conn, place_id: Annotated[str, PathParam(
            description="A place id, e.g. cn:410300 (ids come from /api/search and the records).",
            max_length=200)]) -> PlaceDetail:
        found = query.place(conn, place_id)
        fields = {k: getattr(found, k) for k in PlaceDetail.model_fields if k not in ("names", "partnerships")}
        return PlaceDetail(**fields, names=[PlaceName(name=n, kind=k) for n, k in found.names],
                           partnerships=query.partners_of(conn, place_id))

    @app.get("/api/search", response_model=SearchResult, responses=_ERRORS,
             summary="Typeahead: places whose names contain q, on either side, in any script")
    def search(
        conn: Conn,
        q: Annotated[str, Query(description="Part of a name: 武汉, 武漢, wuh, Pitts…",
                                min_length=1, max_length=100)],
        limit: Annotated[int, Query(description="Most suggestions.", ge=1, le=100)] = 10,
    ) -> SearchResult:
        if not fold_key(q):  # only spaces or dots: schema-valid, and nothing matches it
            return SearchResult(q=q, items=[])
        return SearchResult(q=q, items=query.search(conn, q, limit))

    @app.get("/api/stats", response_model=Stats, responses=_ERRORS,
             summary="Counts by country, year, province and level, under the filters")
    def stats(conn: Conn, filters: FiltersDep) -> Stats:
        total, _ = query.select_records(conn, filters, limit=0)
        dims = {by: query.breakdown(conn, by, filters) for by in ("country", "year", "province", "level")}
        return Stats(total=total, **dims)

    @app.get("/api/anomalies", response_model=QualityReport, responses=_ERRORS,
             summary="The data-quality report: what the build could not read, what cannot be mapped")
    def anomalies(conn: Conn) -> QualityReport:
        items = query.anomalies(conn)
        return QualityReport(total=len(items), items=items, unplaced=query.unplaced(conn))

    @app.get("/api/summary", response_model=dict[str, Any], responses=_ERRORS,
             summary="Counts and build metadata")
    def summary(conn: Conn) -> dict[str, Any]:
        return query.summary(conn)

    @app.get("/api/export/{fmt}", response_class=Response, responses={
        200: {"description": "The file, as an attachment.",
              "content": {MEDIA_TYPES[f].split(";")[0]: {} for f in FORMATS}}, **_ERRORS},
        summary="Download the matching relationships as CSV, JSONL, GeoJSON, GraphML or a Data Package")
    def export(
        conn: Conn, filters: FiltersDep,
        fmt: Annotated[ExportFormat, PathParam(description="File format.")],
        bom: Annotated[bool, Query(description="Start CSV with a UTF-8 BOM, for Excel.")] = False,
    ) -> Response:
        records = query.iter_records(conn, filters)
        if fmt == "datapackage":
            binary = io.BytesIO()
            write_datapackage(records, binary)
            body = binary.getvalue()
        else:
            text = io.StringIO(newline="")
            write_records(records, text, fmt, bom=bom)
            body = text.getvalue().encode("utf-8")
        return Response(body, media_type=MEDIA_TYPES[fmt],
                        headers={"Content-Disposition": f'attachment; filename="{FILE_NAMES[fmt]}"'})

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")
    # Outermost last: every response, a 304 or 503 from the caching middleware included,
    # gets the CORS and security headers.
    # CORS: the API is public, read-only open data without cookies or credentials, so any
    # origin may read it with GET/HEAD and revalidate with If-None-Match. Nothing else.
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "HEAD"],
                       allow_headers=["If-None-Match"], allow_credentials=False,
                       expose_headers=["ETag", "Content-Disposition"], max_age=600)
    app.add_middleware(_SecurityHeaders)
    return app


class _SecurityHeaders:
    """ASGI middleware adding SECURITY_HEADERS to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", ())}
                message["headers"] = [*message.get("headers", ()),
                                      *(h for h in SECURITY_HEADERS if h[0] not in names)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def get(app: FastAPI, path: str) -> tuple[int, bytes]:
    """Send one GET request through the app in-process: ``youcheng serve --get PATH``.

    No server and no socket: a smoke test of the app on a registry, as
    datasette's ``serve --get`` does.
    """
    target, _, query_string = path.partition("?")
    raw_path = quote(target, safe="/%:@!$&'()*+,;=")
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": unquote(raw_path), "raw_path": raw_path.encode(), "root_path": "",
             "query_string": quote(query_string, safe="=&%+;/:,@").encode(),
             "headers": [(b"host", b"localhost")],
             "client": ("127.0.0.1", 0), "server": ("localhost", 80)}
    status = 500
    body = bytearray()
    requested = False

    async def run() -> None:
        done = asyncio.Event()

        async def receive() -> dict[str, Any]:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await done.wait()  # the client "disconnects" once the whole response has arrived
            return {"type": "http.disconnect"}

        async def send(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    done.set()

        await app(scope, receive, send)

    try:
        asyncio.run(run())
    except Exception as exc:  # the app already sent its 500 response; report it, don't crash
        return 500, bytes(body) or f"internal error: {exc!r}".encode()
    return status, bytes(body)
