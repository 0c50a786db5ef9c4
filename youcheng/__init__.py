"""youcheng (友城): the PRC's sister-city relationships as a linked, queryable registry.

This module only re-exports the public API; see README.md for the tour.
"""

from __future__ import annotations

__version__ = "0.1.0"

from youcheng.errors import (  # noqa: E402
    NotFound,
    ParseError,
    SourceError,
    StoreError,
    TooLarge,
    UsageError,
    YouchengError,
)
from youcheng.model import Anomaly, PlaceHit, Record, StatRow  # noqa: E402
from youcheng.registry import Registry  # noqa: E402

__all__ = [
    "Anomaly",
    "NotFound",
    "ParseError",
    "PlaceHit",
    "Record",
    "Registry",
    "SourceError",
    "StatRow",
    "StoreError",
    "TooLarge",
    "UsageError",
    "YouchengError",
    "__version__",
]
