"""The one exception hierarchy of youcheng.

Every error the library raises on purpose derives from ``YouchengError`` so that
the CLI and the API can catch one class and show its message::

    YouchengError
    ├── SourceError          a page cannot be read as a sister-city list
    │   ├── ParseError       it is text, but not a page of a known format
    │   └── TooLarge         it exceeds the configured size or line limits
    ├── StoreError           the registry database is missing, locked or corrupt
    ├── NotFound             a place, record or format that does not exist
    └── UsageError           an argument that cannot be used (bad filter, bad format)
"""

from __future__ import annotations


class YouchengError(Exception):
    """Base of all youcheng errors; its message is what users see."""


class SourceError(YouchengError):
    """Raised when a source page cannot be read (missing, binary, not UTF-8)."""


class ParseError(SourceError):
    """Raised when a file is text but not a page of a format we can read."""


class TooLarge(SourceError):
    """Raised when a page exceeds the configured page-size or line-length limit."""


class StoreError(YouchengError):
    """Raised when the registry database cannot be opened, built or read."""


class NotFound(YouchengError):
    """Raised when a requested place, record or export format does not exist."""


class UsageError(YouchengError):
    """Raised when an argument cannot be used, e.g. an unknown ``--by`` value."""
