"""Parse and resolve pages for a build: in a second process when they are large.

A build's work per row is parsing the page, resolving the row's places and
storing it. On a machine with two cores and a large page, a forked child
process parses and resolves, and streams each row as the exact tuple the
registry stores (``store.partnership_row``) through a pipe, while the build
process only inserts those tuples into SQLite; once every page is read the
child sends the places and findings its resolver gathered. Both processes run
the same code (``_produce``) over the same pages in the same order, so the
registry is the one a single process builds, byte for byte.

The child is forked before the build opens its database, holds no file of the
build, and exits when the build stops reading from it (or dies). Small pages,
platforms without ``fork`` and ``YOUCHENG_BUILD_PROCESSES=1`` run ``_produce``
in-process instead.
"""

from __future__ import annotations

import hashlib
import marshal
import multiprocessing
import os
import pickle
import sys
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import Any

from youcheng import config
from youcheng.model import Anomaly, Place, RawPartnership
from youcheng.sources import read_page

# Called with (source name, bytes read so far, total bytes of that page).
Progress = Callable[[str, int, int], None]
# One partnership as store.RegistryWriter.add_partnership_rows inserts it.
Row = tuple[Any, ...]
Event = tuple[Any, ...]

# Below this many bytes in all, forking costs more than it saves.
PARALLEL_MIN_BYTES = 8 * 1024 * 1024
_BATCH = 2000
_ROWS, _END, _RESOLVED = 0, 1, 2
_ERROR = b"E"
_PICKLED = b"P"


@dataclass
class Resolution:
    """What the resolver gathered over every page: findings, places and how rows resolved."""

    findings: list[Anomaly]
    places: list[Place]
    methods: Counter[str]


class PageReader:
    """The stored rows and anomalies of each page in order, its checksum, then the places.

    Use as a context manager around the whole build::

        with PageReader(paths, progress) as reader:
            for path in paths:
                for rows, anomalies in reader.batches(path): ...
                sha256, lines = reader.checksum(path)
            resolution = reader.resolution()
    """

    def __init__(self, paths: Sequence[Path], progress: Progress | None = None) -> None:
        self.paths = list(paths)
        self.progress = progress
        self._conn: Connection | None = None
        self._child: multiprocessing.process.BaseProcess | None = None
        self._local: Iterator[Event] | None = None
        self._checksums: dict[Path, tuple[str, int]] = {}

    @property
    def parallel(self) -> bool:
        """Whether a child process parses and resolves the pages."""
        return self._conn is not None

    def __enter__(self) -> PageReader:
        if _use_child(self.paths):
            self._start_child()
        else:
            self._local = _produce(self.paths)
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

    def batches(self, path: Path) -> Iterator[tuple[list[Row], list[Anomaly]]]:
        """Rows and anomalies of ``path`` in page order; pages must be read in the order given."""
        total = path.stat().st_size if path.exists() else 0
        while True:
            event = self._next()
            if event[0] == _ROWS:
                _, rows, anomalies, done = event
                if self.progress is not None:
                    self.progress(path.name, done, total)
                yield rows, [Anomaly(*a) for a in anomalies]
            elif event[0] == _END:
                self._checksums[path] = (event[1], event[2])
                return
            else:
                raise RuntimeError("the page reader ran out of pages before the build did")

    def checksum(self, path: Path) -> tuple[str, int]:
        """SHA-256 and newline count of a page that has been read."""
        return self._checksums.pop(path)

    def resolution(self) -> Resolution:
        """The places and findings of every page; call after the last page is read."""
        event = self._next()
        if event[0] != _RESOLVED:
            raise RuntimeError("the page reader has pages left")
        resolution: Resolution = event[1]
        return resolution

    def _next(self) -> Event:
        if self._local is not None:
            return next(self._local)
        return self._receive()

    # -- the child ---------------------------------------------------------------------

    def _start_child(self) -> None:
        context = multiprocessing.get_context("fork")
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(target=_produce_in_child, args=(self.paths, sender, receiver),
                                name="youcheng-parse", daemon=True)
        with warnings.catch_warnings():
            # Python 3.12+ warns about fork in a threaded process (a progress bar's
            # thread). The child only parses and writes to its pipe: it takes no
            # lock another thread could hold.
            warnings.simplefilter("ignore", DeprecationWarning)
            child.start()
        sender.close()
        self._conn, self._child = receiver, child

    def _receive(self) -> Event:
        assert self._conn is not None
        try:
            data = self._conn.recv_bytes()
        except EOFError:
            raise RuntimeError("the page-parsing process stopped without a word") from None
        if data.startswith(_ERROR):
            raise pickle.loads(data[len(_ERROR):])
        if data.startswith(_PICKLED):
            event: Event = pickle.loads(data[len(_PICKLED):])
            return event
        event = marshal.loads(data)
        return event


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


def _produce(paths: list[Path]) -> Iterator[Event]:
    """Parse and resolve every page: batches of rows and anomaly tuples, each page's
    checksum, then the resolver's places and findings. Plain values only, so the
    child can send them with ``marshal`` (several times faster than pickling)."""
    from youcheng.resolve.records import RecordResolver
    from youcheng.store import partnership_row

    resolver = RecordResolver()
    resolve = resolver.resolve
    for path in paths:
        done = [0]

        def on_bytes(count: int) -> None:
            done[0] = count

        rows: list[Row] = []
        anomalies: list[tuple[Any, ...]] = []
        for item in read_page(path, progress=on_bytes):
            if type(item) is RawPartnership:
                rows.append(partnership_row(resolve(item)))
            else:
                assert isinstance(item, Anomaly)
                anomalies.append((item.source, item.line, item.kind, item.severity, item.message,
                                  item.text))
            if len(rows) + len(anomalies) >= _BATCH:
                yield (_ROWS, rows, anomalies, done[0])
                rows, anomalies = [], []
        yield (_ROWS, rows, anomalies, done[0])
        yield (_END, *file_checksum(path))
    yield (_RESOLVED, Resolution(list(resolver.findings()), list(resolver.places.values()),
                                 resolver.methods))


def _produce_in_child(paths: list[Path], sender: Connection, receiver: Connection) -> None:
    """Child process: run ``_produce`` and send each event down the pipe."""
    receiver.close()
    try:
        for event in _produce(paths):
            if event[0] == _RESOLVED:
                sender.send_bytes(_PICKLED + pickle.dumps(event, pickle.HIGHEST_PROTOCOL))
            else:
                sender.send_bytes(marshal.dumps(event))
    except (BrokenPipeError, ConnectionResetError):
        return  # the build stopped reading: nothing left to do
    except BaseException as exc:  # noqa: BLE001 - every failure goes to the build process
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
