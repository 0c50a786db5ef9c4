"""REST API and web page: FastAPI over the same ``query`` functions as the CLI.

::

    GET /                          the web page (youcheng/web/), which talks only to /api
    GET /api/partnerships          filtered, paged records: one source's statement each (kept for old clients)
    GET /api/relationships         filtered, paged relationships with their attestations (youcheng partners)
    GET /api/relationships/{id}    one relationship, every source that attests it, its conflicts
    GET /api/conflicts             the relationships whose sources disagree (youcheng check)
    GET /api/places/{id}           one place, its names and its partnerships
    GET /api/search?q=             typeahead over both sides  (youcheng search)
    GET /api/stats                 counts by country, year, province, level (youcheng stats)
    GET /api/lines                 map lines: relationships aggregated by pair, heaviest first
    GET /api/anomalies             the data-quality report    (youcheng check)
    GET /api/summary               counts and build metadata
    GET /api/export/{format}       csv, jsonl, geojson, graphml, datapackage (youcheng export)
    GET /openapi.json, /docs       the documentation of all of the above

The registry is opened read-only, a connection lent to each request, and
reopened when a build replaces the file. Since the file never changes between
builds, a GET response's bytes are a function of the build and the URL (and the
Origin header, for CORS): ``api_http.ResponseCache`` keeps successful ``/api`` responses
in memory (bounded, least recently used first out, emptied by a rebuild), so a
repeated question costs a dictionary lookup instead of FastAPI, SQLite and JSON. Responses carry an ``ETag`` derived
from the build and the request, so a client revalidates with ``If-None-Match``
and gets ``304`` until the next build. Errors are JSON ``{"error": message}``:
NotFound is 404, UsageError and bad parameters 422, a missing registry 503;
they are never cached.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import os
import re
import sqlite3
import threading
from urllib.parse import quote, unquote
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any, Literal, MutableMapping

import anyio.to_thread
import orjson
from fastapi import Depends, FastAPI, Path as PathParam, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from youcheng import __version__, query, relationships
from youcheng.errors import NotFound, StoreError, UsageError, YouchengError
from youcheng.export import FILE_NAMES, MEDIA_TYPES, write_datapackage
from youcheng.registry import export_text
from youcheng.model import SourceRow
from youcheng.resolve.china import divisions
from youcheng.resolve.fold import search_key
from youcheng.search import search_answer, summary_with_coverage
from youcheng.database import connect_readonly
from youcheng.validate import BadParameter, nearest, unknown_parameters
from youcheng.vocabulary import ExportFormat, Level, StatDimension, Status, TierFilter
from youcheng.api_models import (ERROR_RESPONSES, NOT_FOUND_RESPONSES, ErrorBody, MapLinesPage, PartnershipPage, PlaceDetail,
                                  QualityReport, RelationshipPage, SearchResult, Stats)
from youcheng.api_http import (SECURITY_HEADERS, CachingFastAPI, ResponseCache, Revalidation,
                               SecurityHeaders)

WEB_DIR = Path(__file__).parent / "web"
PAGE_LIMIT = 1000
QUERY_THREADS = 2  # worker threads per process for endpoints (see _lifespan)
CACHE_BYTES = 64 * 1024 * 1024  # per process: the seed's every distinct answer fits many times over


class _Database:
    """Read-only connections to one registry file, lent one per request, renewed after a rebuild.

    A build renames a new file over the old one; the stamp (inode, mtime, size)
    tells that it happened, so the next request opens the new file and the
    ETags change with it. A request holds its connection alone from its
    dependency to the end of its endpoint, whichever threads they run in.
    """

    IDLE = 32  # connections kept for reuse; more are opened under load and closed after

    def __init__(self, path: Path) -> None:
        self.path = path
        self._idle: list[tuple[str, sqlite3.Connection]] = []
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

    def acquire(self) -> tuple[str, sqlite3.Connection]:
        """A connection to the current build, and that build's token; give it back with ``release``."""
        token = self.refresh()
        stale = []
        with self._lock:
            while self._idle:
                held = self._idle.pop()
                if held[0] == token:
                    break
                stale.append(held[1])
            else:
                held = None
        for conn in stale:
            conn.close()
        return held or (token, connect_readonly(self.path))

    def release(self, held: tuple[str, sqlite3.Connection]) -> None:
        """Keep a connection for the next request, unless its build is gone or enough are idle."""
        with self._lock:
            if held[0] == self.token and len(self._idle) < self.IDLE:
                self._idle.append(held)
                return
        held[1].close()


async def _filters(  # async: no I/O, so FastAPI need not send it to a worker thread
    place: Annotated[str | None, Query(
        description="A place on either side: its name in any script (洛陽市, 洛阳市, Luoyang) or its id.",
        max_length=200)] = None,
    country: Annotated[str | None, Query(
        description="The partner's country, ISO 3166-1 alpha-2 (JP, us). Anything else is a 422 that "
                    "names the code meant (Japan: JP) and the registry's countries.", max_length=60)] = None,
    province: Annotated[str | None, Query(
        description="The Chinese side's province, e.g. 河南 or 河南省. A name no province of the "
                    "registry has is a 422 listing them.", max_length=50)] = None,
    level: Annotated[Level | None, Query(description="The Chinese side's level.")] = None,
    year_from: Annotated[int | None, Query(
        description="Signed in or after this year; after year_to is a 422 (an empty range).", ge=1, le=9999)] = None,
    year_to: Annotated[int | None, Query(description="Signed in or before this year.", ge=1, le=9999)] = None,
    q: Annotated[str | None, Query(
        description="Free text: relationships of the places whose names contain it, any script.",
        max_length=200)] = None,
    tier: Annotated[TierFilter | None, Query(
        description="The kind of relationship: sister (友好城市/姐妹城市/友好省州), exchange "
                    "(友好交流/友好合作城市), intent (意向书/备忘录), domestic (both sides in China), or "
                    "all. Default: every tier for lists and exports; sister for /api/stats.")] = None,
    status: Annotated[Status | None, Query(
        description="The relationship's status: active (where no source says otherwise), suspended or ended "
                    "(data/relationship_status.csv, rows a page strikes through). A record has its "
                    "relationship's.")] = None,
) -> query.Filters:
    # Values that cannot match (year_from after year_to, an unknown province or country) are
    # checked with the registry at hand by query (validate.check_filters): a 422 naming them.
    # The query layer takes plain strings, as from the CLI and Python.
    return query.Filters(place=place or None, country=country, province=province or None,
                         level=level.value if level else None, year_from=year_from, year_to=year_to,
                         q=(q or "").strip() or None, tier=tier.value if tier else None,
                         status=status.value if status else None)


FiltersDep = Annotated[query.Filters, Depends(_filters)]


async def _known_parameters(request: Request) -> None:
    """A query parameter the endpoint does not take (``?contry=JP``) is a 422 naming it and the
    ones it might have meant: dropped silently, it would answer a question nobody asked."""
    route = request.scope.get("route")
    if isinstance(route, APIRoute) and request.url.path.startswith("/api/"):
        unknown_parameters(request.query_params.keys(), _parameters(route))


_ROUTE_PARAMETERS: dict[int, tuple[str, ...]] = {}


def _parameters(route: APIRoute) -> tuple[str, ...]:
    """The query parameter names a route takes, its dependencies' included (once per route)."""
    known = _ROUTE_PARAMETERS.get(id(route))
    if known is None:
        names: list[str] = []
        pending = [route.dependant]
        while pending:
            dependant = pending.pop()
            names += [param.alias for param in dependant.query_params]
            pending += dependant.dependencies
        known = _ROUTE_PARAMETERS[id(route)] = tuple(dict.fromkeys(names))
    return known


async def _connection(request: Request) -> AsyncIterator[sqlite3.Connection]:
    """A connection for this request alone (async: lent without a trip to a worker thread)."""
    database: _Database = request.app.state.database
    held = database.acquire()
    # The response cache files the answer under this build only: a rebuild between the
    # cache's look-up and this line must not put the new build's bytes under the old key.
    request.state.build_token = held[0]
    try:
        yield held[1]
    finally:
        database.release(held)


def _json(content: Any) -> Response:
    """JSON encoded once, by orjson, straight from the query layer's dataclasses.

    Returning a Response makes FastAPI skip validating and re-serialising through the
    route's ``response_model``, which stays declared for /openapi.json (the tests
    check that every body still validates against it).
    """
    return Response(orjson.dumps(content), media_type="application/json")


Conn = Annotated[sqlite3.Connection, Depends(_connection)]


def _province_en(name: str | None) -> str | None:
    """The English name of a stored province (江苏省 -> Jiangsu), for the page's English mode."""
    found = divisions().province_of_section(name) if name else None
    return found.name_en if found else None


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run endpoints on a few worker threads, not anyio's default forty.

    A query holds the GIL except for short waits inside SQLite, and each time it
    wants the GIL back it queues behind every other busy thread's switch interval:
    with 32 requests in flight on forty threads an answer that takes 2 ms alone took
    10 ms. A few threads still let a long export run beside short questions.
    """
    anyio.to_thread.current_default_thread_limiter().total_tokens = QUERY_THREADS
    yield


def create_app(db: Path | str | None = None, *, cache_bytes: int = CACHE_BYTES) -> FastAPI:
    """The ASGI app serving the registry at ``db`` (default as in ``Registry.open``).

    With no ``db`` and no default registry yet, builds one from the embedded
    seed first, like the CLI. Raises StoreError when ``db`` is not a registry.
    ``cache_bytes`` bounds the response cache (0 turns it off; ETags and 304s stay).
    """
    from youcheng.registry import Registry

    with Registry.open(db) as reg:
        path = reg.path
    database = _Database(path)

    app = CachingFastAPI(
        lifespan=_lifespan,
        dependencies=[Depends(_known_parameters)],
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
    app.state.response_cache = ResponseCache(cache_bytes)

    @app.exception_handler(YouchengError)
    async def _youcheng_error(request: Request, exc: YouchengError) -> JSONResponse:
        status = 404 if isinstance(exc, NotFound) else 422 if isinstance(exc, UsageError) else \
            503 if isinstance(exc, StoreError) else 400
        body: dict[str, Any] = {"error": str(exc)}
        if isinstance(exc, BadParameter):
            body.update(parameter=exc.parameter, accepted=exc.accepted, nearest=exc.nearest)
        return JSONResponse(body, status_code=status)

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
        body: dict[str, Any] = {}
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path"))
            problems.append(f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg")))
            if where and not body:  # the first parameter named, with its choices if it has a few
                accepted = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
                body = {"parameter": where, "accepted": accepted,
                        "nearest": nearest(str(err.get("input")), accepted) if accepted else []}
        return JSONResponse({"error": "; ".join(problems), **body}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if exc.status_code != 404 else f"no such page: {request.url.path}"
        return JSONResponse({"error": str(message)}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.get("/api/partnerships", response_model=PartnershipPage, responses=ERROR_RESPONSES,
             summary="Records (one source's statement each) matching the filters, a page at a time",
             description="The attestations, one per source row, in the shape this endpoint always had "
                         "(old clients keep working), each with its relationship_id and status. "
                         "/api/relationships gives one item per relationship instead.")
    def partnerships(
        conn: Conn, filters: FiltersDep,
        limit: Annotated[int, Query(description=f"Records per page (at most {PAGE_LIMIT}).",
                                    ge=0, le=PAGE_LIMIT)] = 100,
        offset: Annotated[int, Query(description="Records to skip.", ge=0, le=10_000_000)] = 0,
    ) -> Response:
        total, items = query.select_records(conn, filters, limit, offset)
        return _json({"total": total, "limit": limit, "offset": offset, "items": items})

    @app.get("/api/relationships", response_model=RelationshipPage, responses=ERROR_RESPONSES,
             summary="Relationships matching the filters, each with every source that attests it")
    def relationships_page(
        conn: Conn, filters: FiltersDep,
        limit: Annotated[int, Query(description=f"Relationships per page (at most {PAGE_LIMIT}).",
                                    ge=0, le=PAGE_LIMIT)] = 100,
        offset: Annotated[int, Query(description="Relationships to skip.", ge=0, le=10_000_000)] = 0,
    ) -> Response:
        total, items = relationships.select_relationships(conn, filters, None, limit, offset)
        return _json({"total": total, "limit": limit, "offset": offset, "items": items})

    @app.get("/api/relationships/{relationship_id}", response_model=relationships.Relationship,
             responses={404: {"model": ErrorBody, "description": "No such relationship."}, **ERROR_RESPONSES},
             summary="One relationship: every source that attests it, and its conflicts")
    def relationship(conn: Conn, relationship_id: Annotated[str, PathParam(
            description="A relationship id (from /api/relationships or a record's relationship_id).",
            max_length=200)]) -> Response:
        return _json(relationships.relationship(conn, relationship_id))

    @app.get("/api/conflicts", response_model=RelationshipPage, responses=ERROR_RESPONSES,
             summary="Relationships whose sources disagree on the date, country or tier")
    def conflicts(
        conn: Conn,
        limit: Annotated[int, Query(description=f"Relationships per page (at most {PAGE_LIMIT}).",
                                    ge=0, le=PAGE_LIMIT)] = 100,
        offset: Annotated[int, Query(description="Relationships to skip.", ge=0, le=10_000_000)] = 0,
    ) -> Response:
        total, items = relationships.conflicted(conn, limit, offset)
        return _json({"total": total, "limit": limit, "offset": offset, "items": items})

    @app.get("/api/places/{place_id}", response_model=PlaceDetail, responses=NOT_FOUND_RESPONSES,
             summary="One place: its names in every script, codes, coordinates and partnerships")
    def place(conn: Conn, place_id: Annotated[str, PathParam(
            description="A place id, e.g. cn:410300 (ids come from /api/search and the records).",
            max_length=200)],
            limit: Annotated[int, Query(description=f"Most relationships to include (at most {PAGE_LIMIT}).",
                                        ge=0, le=PAGE_LIMIT)] = PAGE_LIMIT) -> Response:
        found = query.place(conn, place_id)
        detail = {k: getattr(found, k) for k in PlaceDetail.model_fields
                  if k not in ("names", "partnerships", "partnerships_total")}
        detail["names"] = [{"name": n, "kind": k} for n, k in found.names]
        items = detail["partnerships"] = query.partners_of(conn, place_id, limit)
        # A page shorter than the limit holds them all: no second look-up and count.
        detail["partnerships_total"] = len(items) if len(items) < limit else \
            query.count_records(conn, query.Filters(place=place_id))
        return _json(detail)

    @app.get("/api/search", response_model=SearchResult, responses=ERROR_RESPONSES,
             summary="Typeahead: places whose names contain q, on either side, in any script")
    def search(
        conn: Conn,
        q: Annotated[str, Query(description="Part of a name: 武汉, 武漢, wuh, Pitts…",
                                min_length=1, max_length=100)],
        limit: Annotated[int, Query(description="Most suggestions.", ge=1, le=100)] = 10,
    ) -> Response:
        # Only spaces or dots are schema-valid, and nothing matches them.
        if not search_key(q):
            return _json({"q": q, "items": [], "nearest": [], "message": None})
        return _json(search_answer(conn, q, limit))

    @app.get("/api/stats", response_model=Stats, responses=ERROR_RESPONSES,
             summary="Counts by country, year, province and level, under the filters (sister relationships unless tier is given)")
    def stats(conn: Conn, filters: FiltersDep) -> Response:
        total, dims = query.breakdowns(conn, query.stats_filters(filters))
        provinces = [{"key": r.key, "label": r.label, "count": r.count, "name_en": _province_en(r.key)}
                     for r in dims[StatDimension.province]]
        return _json({"total": total, **dims, StatDimension.province.value: provinces})

    @app.get("/api/lines", response_model=MapLinesPage, responses=ERROR_RESPONSES,
             summary="Map lines: the matching relationships aggregated by pair, heaviest first",
             description=(
                 "What the web page's map draws, so it never loads every record: relationships under the "
                 "filters grouped by Chinese place and partner place (`group=place`) or by Chinese province "
                 "and partner country (`group=region`, each end at the mean position of that side's "
                 "places), at most `limit` lines, with the totals of what is left out or has no "
                 "coordinates. `auto` gives place pairs when they all fit in `limit`, else regions."))
    def lines(
        conn: Conn, filters: FiltersDep,
        group: Annotated[Literal["auto", "place", "region"], Query(
            description="How to aggregate: auto, place (place pairs) or region (province to country). "
                        f"place needs filters that match at most {query.PLACE_LINES_MAX_ROWS:,} relationships "
                        "(422 otherwise); auto never asks for more.")] = "auto",
        limit: Annotated[int, Query(description=f"Most lines (at most {query.LINE_LIMIT}).",
                                    ge=1, le=query.LINE_LIMIT)] = 2000,
    ) -> Response:
        found = query.map_lines(conn, filters, limit, group)
        given = {"limit": limit, "items": found.lines}
        return _json({k: given[k] if k in given else getattr(found, k) for k in MapLinesPage.model_fields})

    @app.get("/api/anomalies", response_model=QualityReport, responses=ERROR_RESPONSES,
             summary="The data-quality report: what the build could not read, what cannot be mapped")
    def anomalies(
        conn: Conn,
        limit: Annotated[int, Query(description=f"Most anomalies, and most unplaced places, to list (at most "
                                                f"{query.MAX_LIMIT}).", ge=0, le=query.MAX_LIMIT)] = PAGE_LIMIT,
        offset: Annotated[int, Query(description="Anomalies to skip.", ge=0, le=10_000_000)] = 0,
    ) -> Response:
        return _json({"total": query.count_anomalies(conn), "limit": limit, "offset": offset,
                      "items": query.anomalies(conn, limit, offset),
                      "unplaced_total": query.count_unplaced(conn), "unplaced": query.unplaced(conn, limit)})

    @app.get("/api/summary", response_model=dict[str, Any], responses=ERROR_RESPONSES,
             summary="Counts, build metadata and coverage",
             description="`partnerships`, `places`, `countries`, `anomalies`, the build's `meta` values, "
                         "`sources` (every file with its format, records, snapshot date and licence) and "
                         "`coverage`: the sources grouped by format (`formats`: files, relationships, "
                         "snapshot dates, licences) and relationships of every tier per Chinese province "
                         "(`provinces`), so an empty answer can be read against what the registry holds.")
    def summary(conn: Conn) -> Response:
        return _json(summary_with_coverage(conn))

    @app.get("/api/sources", response_model=list[SourceRow], responses=ERROR_RESPONSES,
             summary="What the registry was built from",
             description="Every source file of the build, in build order: its format, how many "
                         "relationships it gave and how many rows it could not read (anomalies), the "
                         "date of its text, its licence and attribution, and where it was taken from.")
    def sources(conn: Conn) -> Response:
        return _json(query.sources(conn))

    @app.get("/api/export/{fmt}", response_class=Response, responses={
        200: {"description": "The file, as an attachment.",
              "content": {MEDIA_TYPES[f].split(";")[0]: {} for f in ExportFormat}}, **ERROR_RESPONSES},
        summary="Download the matching relationships as CSV, JSONL, GeoJSON, GraphML or a Data Package")
    def export(
        conn: Conn, filters: FiltersDep,
        fmt: Annotated[ExportFormat, PathParam(description="File format.")],
        bom: Annotated[bool, Query(description="Start CSV with a UTF-8 BOM, for Excel.")] = False,
    ) -> Response:
        # One item per record; a datapackage holds the relationships they attest too. One item per
        # relationship: /api/relationships, or youcheng export --relationships.
        if fmt is ExportFormat.datapackage:
            binary = io.BytesIO()
            write_datapackage(query.iter_records(conn, filters), binary,
                              lambda ids: relationships.relationships_by_id(conn, ids))
            body = binary.getvalue()
        else:
            text = io.StringIO(newline="")
            export_text(conn, text, fmt, bom=bom, filters=filters)
            body = text.getvalue().encode("utf-8")
        return Response(body, media_type=MEDIA_TYPES[fmt],
                        headers={"Content-Disposition": f'attachment; filename="{FILE_NAMES[fmt]}"'})

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")
    # Outermost last: every response, a 304 or 503 from the revalidation middleware
    # included, gets the CORS and security headers. The response cache is in front of all
    # of these (see CachingFastAPI), so it keeps and replays the headers they added.
    app.add_middleware(Revalidation, database=database)
    # CORS: the API is public, read-only open data without cookies or credentials, so any
    # origin may read it with GET/HEAD and revalidate with If-None-Match. Nothing else.
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "HEAD"],
                       allow_headers=["If-None-Match"], allow_credentials=False,
                       expose_headers=["ETag", "Content-Disposition"], max_age=600)
    app.add_middleware(SecurityHeaders)
    return app


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
