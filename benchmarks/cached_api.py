"""A sketch for issue #5, not the product: ``youcheng.api`` behind a response cache.

Usage: python benchmarks/cached_api.py --db registry.db --port 8001

The registry never changes between builds, so the bytes of a GET response are a
function of the build and the URL. This wraps the real FastAPI app in a plain
ASGI layer that answers a URL it has answered before from memory: the first
request runs FastAPI, pydantic and SQLite as usual, every later one is a
dictionary lookup and two ``send`` calls. ``bench_api.py --server cached`` loads
it exactly like ``youcheng serve``, to show what caching alone is worth on this
machine before anyone builds it into youcheng/api.py (where it would also need a
size bound, invalidation when the build token changes, and If-None-Match).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
                   Awaitable[None]]


class ResponseCache:
    """Remember whole 200 responses to GET requests, keyed by path and query string."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.cache: dict[tuple[str, bytes], tuple[int, list[Any], bytes]] = {}

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope["query_string"])
        hit = self.cache.get(key)
        if hit is None:
            messages: list[Message] = []

            async def capture(message: Message) -> None:
                messages.append(message)

            await self.app(scope, receive, capture)
            start = messages[0]
            body = b"".join(m.get("body", b"") for m in messages[1:])
            hit = (start["status"], list(start.get("headers", [])), body)
            if start["status"] == 200:
                self.cache[key] = hit
        status, headers, body = hit
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    import uvicorn

    from youcheng.api import create_app

    uvicorn.run(ResponseCache(create_app(args.db)), host=args.host, port=args.port,  # type: ignore[arg-type]
                log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
