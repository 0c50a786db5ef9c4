"""Read pages for a build: in a second process when they are large, so parsing overlaps storing.

A build spends about as long parsing a page as it spends resolving and storing
what the parser found. On a machine with two cores and a large page, a forked
child process parses the pages and streams compact tuples through a pipe while
the build process resolves and writes; the build process turns the tuples back
into the same ``RawPartnership`` and ``Anomaly`` values in the same order, so
the registry is the one a single process would have built, byte for byte.

The child is forked before the build opens its database, holds no file of the
build, and exits when the build stops reading from it (or dies). Small pages,
platforms without ``fork`` and ``YOUCHENG_BUILD_PROCESSES=1`` read in-process.
"""

from __future__ import annotations

import hashlib
import marshal
import multiprocessing
import os
import pickle
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import Any

from youcheng import config
from youcheng.model import Anomaly, Link, PartialDate, RawPartnership
from youcheng.sources import read_page

Item = RawPartnership | Anomaly
# Called with (source name, bytes read so far, total bytes of that page).
Progress = Callable[[str, int, int], None]

# Below this many bytes in all, forking costs more than it saves.
PARALLEL_MIN_BYTES = 8 * 1024 * 1024
_BATCH = 2000
_RAW, _ANOMALY, _PROGRESS, _END = 0, 1, 2, 3
_ERROR = b"E"


class PageReader:
    """The items of each page in order, and each page's checksum once it is read.

    Use as a context manager around the whole build::

        with PageReader(paths, progress) as reader:
            for path in paths:
                for item in reader.items(path): ...
                sha256, lines = reader.checksum(path)
    """

    def __init__(self, paths: Sequence[Path], progress: Progress | None = None) -> None:
        self.paths = list(paths)
        self.progress = progress
        self._conn: Connection | None = None
        self._child: multiprocessing.process.BaseProcess | None = None
        self._checksums: dict[Path, tuple[str, int]] = {}
        self._links: dict[tuple[tuple[str, str], ...], tuple[Link, ...]] = {}
        self._dates: dict[tuple[int, int | None, int | None], PartialDate] = {}

    @property
    def parallel(self) -> bool:
        """Whether a child process parses the pages."""
        return self._conn is not None

    def __enter__(self) -> PageReader:
        if _use_child(self.paths):
            self._start_child()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop the child, if any (it may still be parsing when the build failed)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._child is not None:
            if self._child.is_alive():
                self._child.kill()
            self._child.join()
            self._child = None

    def items(self, path: Path) -> Iterator[Item]:
        """Records and anomalies of ``path``; pages must be read in the order given."""
        total = path.stat().st_size if path.exists() else 0
        progress = self.progress
        on_bytes = (lambda done: progress(path.name, done, total)) if progress else None
        if self._conn is None:
            yield from read_page(path, progress=on_bytes)
            return
        while True:
            message = self._receive()
            for entry in message:
                tag = entry[0]
                if tag == _RAW:
                    yield self._raw(entry)
                elif tag == _ANOMALY:
                    yield Anomaly(*entry[1:])
                elif tag == _PROGRESS:
                    if on_bytes is not None:
                        on_bytes(entry[1])
                else:
                    self._checksums[path] = (entry[1], entry[2])
                    return

    def checksum(self, path: Path) -> tuple[str, int]:
        """SHA-256 and newline count of a page that has been read."""
        if path in self._checksums:
            return self._checksums.pop(path)
        return file_checksum(path)

    # -- the child ---------------------------------------------------------------------

    def _start_child(self) -> None:
        context = multiprocessing.get_context("fork")
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(target=_parse_pages, args=(self.paths, sender, receiver),
                                name="youcheng-parse", daemon=True)
        with warnings.catch_warnings():
            # Python 3.12+ warns about fork in a threaded process (a progress bar's
            # thread). The child only parses and writes to its pipe: it takes no
            # lock another thread could hold.
            warnings.simplefilter("ignore", DeprecationWarning)
            child.start()
        sender.close()
        self._conn, self._child = receiver, child

    def _receive(self) -> list[Any]:
        assert self._conn is not None
        try:
            data = self._conn.recv_bytes()
        except EOFError:
            raise RuntimeError("the page-parsing process stopped without a word") from None
        if data.startswith(_ERROR):
            raise pickle.loads(data[len(_ERROR):])
        message: list[Any] = marshal.loads(data)
        return message

    def _raw(self, entry: tuple[Any, ...]) -> RawPartnership:
        (_, source, line, section, cn_name, cn_links, partner_name, partner_links, country_text,
         country_link, date, date_text, note, cn_line) = entry
        return RawPartnership(source, line, section, cn_name, self._link_tuple(cn_links),
                              partner_name, self._link_tuple(partner_links), country_text,
                              country_link, self._date(date) if date else None, date_text, note,
                              cn_line)

    def _link_tuple(self, pairs: tuple[tuple[str, str], ...]) -> tuple[Link, ...]:
        links = self._links.get(pairs)
        if links is None:
            if len(self._links) >= 1 << 16:
                self._links.clear()
            links = self._links[pairs] = tuple(Link(text, target) for text, target in pairs)
        return links

    def _date(self, parts: tuple[int, int | None, int | None]) -> PartialDate:
        date = self._dates.get(parts)
        if date is None:
            date = self._dates[parts] = PartialDate(*parts)
        return date


def file_checksum(path: Path) -> tuple[str, int]:
    """SHA-256 and newline count of a file, read in 1 MiB chunks."""
    sha = hashlib.sha256()
    newlines = 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            sha.update(chunk)
            newlines += chunk.count(b"\n")
    return sha.hexdigest(), newlines


def _use_child(paths: Sequence[Path]) -> bool:
    if config.get_int("build_processes") < 2 or (os.cpu_count() or 1) < 2:
        return False
    if not sys.platform.startswith("linux"):  # fork is unsafe on macOS, absent on Windows
        return False
    size = sum(p.stat().st_size for p in paths if p.is_file())
    return size >= PARALLEL_MIN_BYTES


def _encode(item: Item) -> tuple[Any, ...]:
    """A tuple of plain values for ``marshal``: several times faster than pickling dataclasses."""
    if isinstance(item, Anomaly):
        return (_ANOMALY, item.source, item.line, item.kind, item.severity, item.message, item.text)
    date = item.date
    return (_RAW, item.source, item.line, item.section, item.cn_name,
            tuple((link.text, link.target) for link in item.cn_links), item.partner_name,
            tuple((link.text, link.target) for link in item.partner_links), item.country_text,
            item.country_link, (date.year, date.month, date.day) if date else None,
            item.date_text, item.note, item.cn_line)


def _parse_pages(paths: list[Path], sender: Connection, receiver: Connection) -> None:
    """Child process: parse every page, send batches of encoded items, then each checksum."""
    receiver.close()
    batch: list[tuple[Any, ...]] = []
    try:
        for path in paths:
            def on_bytes(done: int) -> None:
                batch.append((_PROGRESS, done))

            for item in read_page(path, progress=on_bytes):
                batch.append(_encode(item))
                if len(batch) >= _BATCH:
                    sender.send_bytes(marshal.dumps(batch))
                    batch.clear()
            batch.append((_END, *file_checksum(path)))
            sender.send_bytes(marshal.dumps(batch))
            batch.clear()
    except (BrokenPipeError, ConnectionResetError):
        return  # the build stopped reading: nothing left to do
    except BaseException as exc:  # noqa: BLE001 - every failure goes to the build process
        if batch:
            try:
                sender.send_bytes(marshal.dumps(batch))
            except OSError:
                return
        try:
            payload = pickle.dumps(exc)
        except Exception:  # noqa: BLE001
            payload = pickle.dumps(RuntimeError(f"page parsing failed: {exc!r}"))
        try:
            sender.send_bytes(_ERROR + payload)
        except OSError:
            return
    finally:
        sender.close()
