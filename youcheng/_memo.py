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


def short_text_cache(maxsize: int, limit: int = SHORT_CHARS,
                     size: Callable[[Any], int] = len) -> Callable[[Callable[[K], T]], Callable[[K], T]]:
    """Decorate a one-argument function: arguments of ``size`` up to ``limit`` are cached."""
    def decorate(fn: Callable[[K], T]) -> Callable[[K], T]:
        cached = functools.lru_cache(maxsize=maxsize)(fn)

        @functools.wraps(fn)
        def call(key: K) -> T:
            return cached(key) if size(key) <= limit else fn(key)
        return call
    return decorate
