"""The HTTP layer in front of the API's routes: the response cache, ETags and security headers.

A registry file never changes between builds, so a GET answer is a function of the build
and the URL: ``ResponseCache`` keeps whole answers of one build in memory, ``Revalidation``
labels them with an ETag of the build and answers ``If-None-Match`` with 304, and
``SecurityHeaders`` adds the page's content security policy. ``api.py`` holds the routes;
these are plain ASGI pieces around them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cachetools import LRUCache
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from youcheng.errors import StoreError

if TYPE_CHECKING:
    from youcheng.api import _Database

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

Headers = list[tuple[bytes, bytes]]
Key = tuple[bytes, bytes, bytes | None]


@dataclass(frozen=True, slots=True)
class _Answer:
    """A whole 200 response as the client got it: every header and the body."""

    etag: bytes
    headers: Headers
    body: bytes
    size: int


class ResponseCache:
    """Whole GET answers of one build, least recently used out first, bounded in bytes.

    The key is the path as the client sent it, the raw query string and the Origin
    header (the CORS headers of the answer depend on it), unnormalised: two spellings
    of one question are two entries, never one entry for two questions. The size of an
    entry is its key, headers and body plus a fixed allowance for Python's objects. An
    answer over a sixteenth of the budget (a large export) is not kept, so one
    download cannot flush everything else.
    """

    OVERHEAD = 512

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.max_entry = max_bytes // 16
        self.token = ""
        self._entries: LRUCache[Key, _Answer] = LRUCache(max(max_bytes, 1), getsizeof=lambda a: a.size)

    def get(self, token: str, key: Key) -> _Answer | None:
        """The answer for ``key`` under build ``token``; a new token empties the cache first."""
        if token != self.token:
            self._entries.clear()
            self.token = token
        return self._entries.get(key)

    def put(self, token: str, key: Key, headers: Headers, body: bytes) -> None:
        """Keep an answer if it belongs to the current build and fits."""
        size = (len(key[0]) + len(key[1]) + len(key[2] or b"") + len(body)
                + sum(len(k) + len(v) for k, v in headers) + self.OVERHEAD)
        if token == self.token and size <= self.max_entry:
            etag = next((v for k, v in headers if k == b"etag"), b"")
            self._entries[key] = _Answer(etag, headers, body, size)

    @property
    def size(self) -> int:
        """Bytes held, as counted against ``max_bytes``."""
        return int(self._entries.currsize)

    def __len__(self) -> int:
        return len(self._entries)


def _header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of a request header, as Starlette's ``Headers.get`` reads it."""
    return next((value for key, value in scope["headers"] if key == name), None)


def _revalidated(scope: Scope, etag: bytes) -> bool:
    """Whether an If-None-Match header lists ``etag`` (weak comparison, as RFC 9110 asks)."""
    return any(name == b"if-none-match" and any(tag.strip().removeprefix(b"W/") == etag for tag in value.split(b","))
               for name, value in scope["headers"])


def _api_request(scope: Scope, methods: tuple[str, ...]) -> bool:
    """Whether ``scope`` is an HTTP request under /api/ with one of ``methods``."""
    return scope["type"] == "http" and scope["method"] in methods and str(scope["path"]).startswith("/api/")


def _url_key(scope: Scope) -> tuple[bytes, bytes]:
    """The request's path (as sent) and query string: what names an answer."""
    return scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape"), scope["query_string"]


# The build token _ResponseCache checked, handed to Revalidation in the request's state,
# so one request stats the registry file once before its endpoint runs.
_CHECKED_TOKEN = "checked_build_token"


class _ResponseCache:
    """ASGI middleware in front of the whole app: GET /api/ answers replayed from memory.

    A hit costs a stat of the registry file (a rebuild must be seen at once) and a
    dictionary look-up, and skips FastAPI's middleware, routing, validation, SQLite
    and JSON. A miss runs the app, forwards every message as it comes and keeps a copy
    when the answer is a complete 200 computed on the build the key was looked up
    under (the endpoint's connection records its build in the request state). A
    request whose If-None-Match names the kept answer's ETag goes to the app, which
    answers 304; HEAD and other methods, errors and oversized answers pass through.
    """

    def __init__(self, app: ASGIApp, database: _Database, cache: ResponseCache) -> None:
        self.app = app
        self.database = database
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _api_request(scope, ("GET",)):
            await self.app(scope, receive, send)
            return
        try:
            token = self.database.refresh()
        except StoreError:  # the app answers 503
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})[_CHECKED_TOKEN] = token
        key: Key = (*_url_key(scope), _header(scope, b"origin"))
        cached = self.cache.get(token, key)
        if cached is not None and not _revalidated(scope, cached.etag):
            await send({"type": "http.response.start", "status": 200, "headers": list(cached.headers)})
            await send({"type": "http.response.body", "body": cached.body})
            return

        keep = self.cache.max_entry > 0
        headers: Headers = []
        chunks: list[bytes] = []
        held = 0

        async def forward(message: Message) -> None:
            nonlocal keep, headers, held
            if message["type"] == "http.response.start":
                built = scope.get("state", {}).get("build_token", token)
                keep = keep and message["status"] == 200 and built == token
                headers = list(message.get("headers", ()))
            elif message["type"] == "http.response.body" and keep:
                chunk = message.get("body", b"")
                held += len(chunk)
                keep = held <= self.cache.max_entry
                chunks.append(chunk)
                if keep and not message.get("more_body", False):
                    self.cache.put(token, key, headers, b"".join(chunks))
            else:
                keep = False
            if not keep:
                chunks.clear()
            await send(message)

        await self.app(scope, receive, forward)


class CachingFastAPI(FastAPI):
    """FastAPI with ``_ResponseCache`` in front of its whole middleware stack.

    Added with ``add_middleware`` it would sit inside FastAPI's own error,
    telemetry and body-limit layers, which cost more per request than a hit.
    """

    def build_middleware_stack(self) -> ASGIApp:
        return _ResponseCache(super().build_middleware_stack(), self.state.database, self.state.response_cache)


def _etag(token: str, key: tuple[bytes, bytes]) -> bytes:
    """The ETag of a URL under a build: the build token and a digest of the path and query."""
    return b'"%s-%s"' % (token.encode(), hashlib.sha256(key[0] + b"?" + key[1]).hexdigest()[:16].encode())


class Revalidation:
    """ASGI middleware for GET and HEAD under /api/: ETag, 304 and Cache-Control.

    The ETag names the build the endpoint read (a rebuild while it ran labels the
    answer with the new build); errors get ``Cache-Control: no-store``.
    """

    def __init__(self, app: ASGIApp, database: _Database) -> None:
        self.app = app
        self.database = database

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _api_request(scope, ("GET", "HEAD")):
            await self.app(scope, receive, send)
            return
        try:
            token = scope.get("state", {}).get(_CHECKED_TOKEN) or self.database.refresh()
        except StoreError as exc:
            response = JSONResponse({"error": str(exc)}, status_code=503, headers={"Cache-Control": "no-store"})
            await response(scope, receive, send)
            return
        key = _url_key(scope)
        etag = _etag(token, key)
        if _revalidated(scope, etag):
            await send({"type": "http.response.start", "status": 304,
                        "headers": [(b"etag", etag), (b"cache-control", CACHE_CONTROL.encode())]})
            await send({"type": "http.response.body", "body": b""})
            return

        async def label(message: Message) -> None:
            if message["type"] == "http.response.start":
                built = scope.get("state", {}).get("build_token", token)
                tag = etag if built == token else _etag(built, key)
                added = [(b"etag", tag), (b"cache-control", CACHE_CONTROL.encode())] if message["status"] == 200 \
                    else [(b"cache-control", b"no-store")]
                replaced = {name for name, _ in added}
                message["headers"] = [(k, v) for k, v in message.get("headers", ()) if k.lower() not in replaced] + added
            await send(message)

        await self.app(scope, receive, label)


class SecurityHeaders:
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
