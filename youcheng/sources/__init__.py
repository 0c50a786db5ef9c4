"""Source page formats: one module per format, one entry point to read a page.

``read_page`` picks the format and streams its records and anomalies; a second
format later is a second module registered here, not a branch in ``wikimd``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from youcheng import config
from youcheng.errors import SourceError
from youcheng.model import Anomaly, RawPartnership
from youcheng.sources import wikimd
from youcheng.sources._reader import ProgressCallback, read_lines

__all__ = ["read_page"]


def read_page(
    path: Path, name: str | None = None, progress: ProgressCallback | None = None,
    fast: bool = True,
) -> Iterator[RawPartnership | Anomaly]:
    """Stream the records and anomalies of one page, reading it line by line.

    Raises SourceError (or ParseError, TooLarge) when the file cannot be read as
    a page at all; damage within a page comes out as anomalies instead.
    ``fast=False`` reads every line through the general state machine: slower,
    the same items (tests/test_fastpath.py holds the two together).
    """
    source = name or path.name
    try:
        source.encode("utf-8")
    except UnicodeEncodeError as exc:
        # Records cite their page by name, so the name must be text.
        raise SourceError(f"{source!r}: the file name is not valid UTF-8; rename the file") from exc
    lines = read_lines(
        path,
        max_page_bytes=config.get_int("max_page_bytes"),
        max_line_chars=config.get_int("max_line_chars"),
        progress=progress,
        blocks=fast,
    )
    return wikimd.parse_lines(lines, source, fast)
