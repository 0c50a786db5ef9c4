"""Memoizing functions of short texts: a long page repeats the same cells, dates and links.

Short arguments are remembered in a bounded LRU cache; long ones (rare, and costly
to keep) are computed every time. Results are shared between callers, so the
functions wrapped here return values nobody changes (tuples, frozen records).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

K = TypeVar("K")
T = TypeVar("T")

SHORT_CHARS = 512
# The size of the caches of the name functions beneath the resolver's plans (folding,
# variants, gazetteer look-ups): a plan is worked out once per distinct way a page writes a
# place (``resolve/records.py``), so these serve the repeats within a plan and between a few
# plans. Small, so that a page of names written once passes through them in bounded memory
# (a million distinct names filled caches of 1 << 16 to 1 << 18 with 250 MB, issue #16).
NAME_CACHE = 1 << 14


# How a cache finds out it does not pay: every _PROBE calls it looks at its hit rate; below
# _WORTH it is left aside for the next _ASIDE calls (the function is called directly), then
# tried again. A page of cells, dates and names that never repeat (issue #16) then costs the
# function alone, not also a miss, a hash of a new key and an eviction each time (~1 us).
_PROBE = 1 << 11
_ASIDE = 1 << 14
_WORTH = 0.25


def short_text_cache(maxsize: int, limit: int = SHORT_CHARS,
                     size: Callable[[Any], int] = len) -> Callable[[Callable[[K], T]], Callable[[K], T]]:
    """Decorate a one-argument function: arguments of ``size`` up to ``limit`` are cached,
    while the cache pays (a quarter of the calls or more are hits; see ``_PROBE``)."""
    def decorate(fn: Callable[[K], T]) -> Callable[[K], T]:
        cache = _PayingCache(fn, maxsize)
        cached = cache.cached

        @functools.wraps(fn)
        def call(key: K) -> T:
            cache.left -= 1  # inline, not a method: this runs several times a row
            if not cache.left:
                cache.next_period()
            return cached(key) if cache.used and size(key) <= limit else fn(key)
        call.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
        return call
    return decorate


def paying_cache(maxsize: int) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """``functools.lru_cache(maxsize)`` while it pays (see ``_PROBE``), for functions of names."""
    def decorate(fn: Callable[..., T]) -> Callable[..., T]:
        cache = _PayingCache(fn, maxsize)
        cached = cache.cached

        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> T:
            cache.left -= 1
            if not cache.left:
                cache.next_period()
            return cached(*args, **kwargs) if cache.used else fn(*args, **kwargs)
        call.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
        return call
    return decorate


class _PayingCache:
    """An LRU cache of a function, and whether to use it in the current period of calls."""

    __slots__ = ("cached", "left", "used", "_hits", "_misses")

    def __init__(self, fn: Callable[..., Any], maxsize: int) -> None:
        self.cached = functools.lru_cache(maxsize=maxsize)(fn)
        self.left, self.used, self._hits, self._misses = _PROBE, True, 0, 0

    def next_period(self) -> None:
        info = self.cached.cache_info()
        if self.used:
            hits, misses = info.hits - self._hits, info.misses - self._misses
            self.used = hits >= _WORTH * (hits + misses)
            self.left = _PROBE if self.used else _ASIDE
        else:
            self.used, self.left = True, _PROBE
        self._hits, self._misses = info.hits, info.misses
