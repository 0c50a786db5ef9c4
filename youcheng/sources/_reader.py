"""Read a page as numbered text lines, safely, whatever bytes it holds.

Pages come from wiki dumps and users' disks: they can be binary, truncated,
mis-encoded or enormous. This reader streams them line by line (a
million-partnership page never sits in memory whole), enforces the configured
limits with a clear error, and turns damage it can survive (a bad byte, a NUL)
into a per-line problem the parser reports as an anomaly instead of failing.
"""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from youcheng.errors import SourceError, TooLarge

_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class Line:
    """One line of a page: 1-based number, decoded text, and what was wrong with it."""

    number: int
    text: str
    problem: str | None = None


ProgressCallback = Callable[[int], None]
_PROGRESS_EVERY = 2048


def read_lines(
    path: Path,
    *,
    max_page_bytes: int,
    max_line_chars: int,
    progress: ProgressCallback | None = None,
) -> Iterator[Line]:
    """Yield the lines of ``path`` decoded as UTF-8.

    Raises SourceError for a missing, empty, binary or non-regular file and
    TooLarge past the limits; invalid UTF-8 or NUL bytes inside an otherwise
    textual page are replaced and reported on their line. ``progress`` is called
    now and then with the number of bytes read so far, for progress bars.
    """
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise SourceError(f"{path.name} is not a regular file: save the page to a file first")
        handle = path.open("rb")
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    size = info.st_size
    if size > max_page_bytes:
        handle.close()
        raise _page_too_large(path.name, f"is {size:,} bytes", max_page_bytes)
    with handle:
        head = _sniff(handle, max_page_bytes)
        if not head:
            raise SourceError(f"{path.name} is empty: expected a sister-city list page")
        if _looks_binary(head):
            raise SourceError(f"{path.name} is a binary file, not a text page")
        handle.seek(0)
        yield from _lines(handle, path.name, max_page_bytes, max_line_chars, progress)
        if progress is not None:
            progress(size)


def _page_too_large(name: str, what: str, limit: int) -> TooLarge:
    return TooLarge(f"{name} {what}, over the page limit of {limit:,} "
                    "(raise YOUCHENG_MAX_PAGE_BYTES to allow it)")


def _sniff(handle: BinaryIO, max_page_bytes: int) -> bytes:
    """The first bytes after any leading whitespace (b"" for a blank page).

    Skips the whitespace rather than sniffing a fixed prefix, so a page that
    starts with many blank lines is neither called empty nor judged by blanks.
    """
    skipped = 0
    while skipped <= max_page_bytes:
        chunk = handle.read(1 << 16)
        if not chunk:
            return b""
        text = chunk.lstrip()
        skipped += len(chunk) - len(text)
        if text:
            return (text + handle.read(_SNIFF_BYTES))[:_SNIFF_BYTES]
    return b""


def _lines(
    handle: BinaryIO, name: str, max_page_bytes: int, max_line_chars: int,
    progress: ProgressCallback | None,
) -> Iterator[Line]:
    # UTF-8 needs at most 4 bytes a character; read a little past the limit to detect it.
    byte_cap = max_line_chars * 4 + 2
    number = 0
    total = 0
    while True:
        raw = handle.readline(byte_cap)
        if not raw:
            return
        number += 1
        total += len(raw)
        # The size was checked before reading; check again in case the file grows.
        if total > max_page_bytes:
            raise _page_too_large(name, f"grew past {max_page_bytes:,} bytes while read",
                                  max_page_bytes)
        if progress is not None and number % _PROGRESS_EVERY == 0:
            progress(total)
        if len(raw) >= byte_cap and not raw.endswith(b"\n"):
            raise _line_too_long(name, number, max_line_chars)
        problem: list[str] = []
        if b"\x00" in raw:
            raw = raw.replace(b"\x00", b"")
            problem.append("NUL bytes removed")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("utf-8", errors="replace")
            problem.append("invalid UTF-8 replaced with U+FFFD")
        text = text.rstrip("\r\n")
        if number == 1:
            text = text.removeprefix("\ufeff")  # a byte-order mark is not content
        if len(text) > max_line_chars:
            raise _line_too_long(name, number, max_line_chars)
        yield Line(number, text, "; ".join(problem) or None)


def _line_too_long(name: str, number: int, limit: int) -> TooLarge:
    return TooLarge(f"{name}: line {number} is longer than the limit of {limit:,} "
                    "characters (raise YOUCHENG_MAX_LINE_CHARS to allow it)")


_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r\x0c")


def _looks_binary(head: bytes) -> bool:
    """A page is binary when over 5% of its first bytes are control characters or
    undecodable: a few stray NULs in a text page are damage to report, not binary."""
    controls = sum(head.count(bytes([b])) for b in _CONTROL)
    undecodable = head.decode("utf-8", errors="replace").count("\ufffd")
    return (controls + undecodable) * 20 > len(head)
