"""Read a page as numbered text lines, safely, whatever bytes it holds.

Pages come from wiki dumps and users' disks: they can be binary, truncated,
mis-encoded or enormous. This reader streams them line by line (a
million-partnership page never sits in memory whole), enforces the configured
limits with a clear error, and turns damage it can survive (a bad byte, a NUL)
into a per-line problem the parser reports as an anomaly instead of failing.
"""

from __future__ import annotations

import io
import stat
from collections.abc import Callable, Generator, Iterator
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


@dataclass(frozen=True)
class Block:
    """Whole lines of clean text from line ``number`` on, each ending in a newline.

    Clean means valid UTF-8 with no NUL, carriage return or byte-order mark and no
    line over the limit: every line of it is exactly the ``Line`` the line-by-line
    reader gives, with no problem. The parser reads common rows of a block with
    one regex each instead of line by line (``wikimd._PageParser.feed_block``).
    """

    number: int
    text: str


ProgressCallback = Callable[[int], None]
_PROGRESS_EVERY = 2048
_BLOCK_BYTES = 1 << 20
_BOM = "\ufeff".encode()


def read_lines(
    path: Path,
    *,
    max_page_bytes: int,
    max_line_chars: int,
    progress: ProgressCallback | None = None,
    blocks: bool = True,
) -> Iterator[Line | Block]:
    """Yield the lines of ``path`` decoded as UTF-8, runs of clean lines as one ``Block``.

    Raises SourceError for a missing, empty, binary or non-regular file and
    TooLarge past the limits; invalid UTF-8 or NUL bytes inside an otherwise
    textual page are replaced and reported on their line. ``progress`` is called
    now and then with the number of bytes read so far, for progress bars.
    ``blocks=False`` yields every line as a ``Line`` (the reference the blocks
    are tested against).
    """
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise SourceError(f"{path} is not a regular file: save the page to a file first")
        handle = path.open("rb")
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    size = info.st_size
    if size > max_page_bytes:
        handle.close()
        raise _page_too_large(str(path), f"is {size:,} bytes", max_page_bytes)
    with handle:
        head = _sniff(handle, max_page_bytes)
        if not head:
            raise SourceError(f"{path} is empty: expected a sister-city list page")
        if _looks_binary(head):
            raise SourceError(f"{path} is a binary file, not a text page")
        handle.seek(0)
        if blocks:
            yield from _blocks(handle, str(path), max_page_bytes, max_line_chars, progress)
        else:
            yield from _lines(handle, str(path), max_page_bytes, max_line_chars, progress)
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


def _blocks(
    handle: BinaryIO, name: str, max_page_bytes: int, max_line_chars: int,
    progress: ProgressCallback | None,
) -> Iterator[Line | Block]:
    """Read about 1 MiB of whole lines at a time: a clean run becomes one ``Block``, and
    anything else (damage, a limit, the file's first bytes) goes through ``_lines``."""
    byte_cap = max_line_chars * 4 + 2
    number = 0
    total = 0
    while chunk := handle.read(_BLOCK_BYTES):
        if not chunk.endswith(b"\n"):
            chunk += handle.readline(byte_cap)  # bounded: a longer line is an error below
        text = _clean_text(chunk, max_line_chars) if number and total + len(chunk) <= max_page_bytes \
            else None
        if text is None:
            number, total = yield from _lines(io.BytesIO(chunk), name, max_page_bytes, max_line_chars,
                                              progress, number, total)
            continue
        yield Block(number + 1, text)
        number += text.count("\n")
        total += len(chunk)
        if progress is not None:
            progress(total)


def _clean_text(chunk: bytes, max_line_chars: int) -> str | None:
    """``chunk`` decoded when every line of it is clean (see ``Block``), else None."""
    if not chunk.endswith(b"\n") or b"\x00" in chunk or b"\r" in chunk or chunk.startswith(_BOM):
        return None
    try:
        text = chunk.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(text) > max_line_chars and max(map(len, text.split("\n"))) > max_line_chars:
        return None
    return text


def _lines(
    handle: BinaryIO, name: str, max_page_bytes: int, max_line_chars: int,
    progress: ProgressCallback | None, number: int = 0, total: int = 0,
) -> Generator[Line, None, tuple[int, int]]:
    """Lines one by one from line ``number`` + 1, ``total`` bytes into the page;
    returns the (line number, bytes) reached."""
    # UTF-8 needs at most 4 bytes a character; read a little past the limit to detect it.
    byte_cap = max_line_chars * 4 + 2
    while True:
        raw = handle.readline(byte_cap)
        if not raw:
            return number, total
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
