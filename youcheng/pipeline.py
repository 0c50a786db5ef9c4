"""Read pages for a build: in a second process when they are large, so parsing overlaps the rest.

A build's work per row is parsing the page, resolving the row's places and
storing it. On a machine with two cores and a large page, a forked child
process parses the pages and streams compact tuples through a pipe while the
build process resolves each row and inserts it as the plain tuple SQLite
stores (``store.raw_columns`` and the resolved fields); the build process turns
the child's tuples back into the same ``RawPartnership`` and ``Anomaly`` values
in the same order, so the registry is the one a single process builds, byte for
byte. (Parsing
costs about as much as resolving and storing together, which is why the line
between the two processes is drawn there.)

The child is forked before the build opens its database, holds no file of the
build, and exits when the build stops reading from it (or dies). Small pages,
platforms without ``fork`` and ``YOUCHENG_BUILD_PROCESSES=1`` read in-process.
"""

from __future__ import annotations

import gc
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
from typing import Any, NamedTuple

from youcheng import config
from youcheng.errors import SourceError
from youcheng.model import Anomaly, AttestationRow, Link, PartialDate, PlaceBatch, RawPartnership
from youcheng.resolve.records import RecordResolver, RowIds, partner_may_be_known, row_forms
from youcheng.sources import read_page
from youcheng.sources.base import SourceFile
from youcheng.store import DateColumns, StatedColumns, date_columns, link_columns, raw_columns, raw_columns_of

# Called with (source name, bytes read so far, total bytes of that page).
Progress = Callable[[str, int, int], None]
# What crosses the pipe, as marshal takes it: (_ITEMS, [wire items], bytes read, *new link
# lists) or (_END, sha256, newlines). A row's wire item is its RawPartnership's fields with the
# links as numbers (see _Encoder), the date as (year, month, day), then the row's id, whether a
# table may know its partner and the forms of the names it writes that were not sent before.
Event = tuple[Any, ...]
Item = RawPartnership | Anomaly
_WIRE = RawPartnership._fields
_CN_LINKS, _PARTNER_LINKS, _DATE = (_WIRE.index(name) for name in ("cn_links", "partner_links", "date"))
_ROW_ID = len(_WIRE)  # where the wire item holds the row's id
_KNOWN = _ROW_ID + 1  # ... and whether a table may know its partner (records.partner_may_be_known)
_FORMS = _KNOWN + 1  # ... and, if none may know it, the forms of its names not sent before (records.row_forms)

# Below this many bytes in all, forking costs more than it saves.
PARALLEL_MIN_BYTES = 8 * 1024 * 1024
_BATCH = 2000
_PIPE_BYTES = 1 << 20
_INTERNED_LINKS = 1 << 17
_ITEMS, _END = 0, 1
_RAW, _ANOMALY = 0, 1
_ERROR = b"E"


class Batch(NamedTuple):
    """A run of a page's rows, ready to store: the rows, the anomalies of the page and the
    resolver's findings about those rows, and what the resolver learnt about places."""

    rows: list[AttestationRow]
    anomalies: list[Anomaly]
    places: PlaceBatch


@dataclass
class Resolution:
    """What the resolver has left once every page is read: its last findings and places,
    and how rows resolved."""

    findings: list[Anomaly]
    places: PlaceBatch
    methods: Counter[str]


class PageReader:
    """The stored rows and anomalies of each page in order, its checksum, then the places.

    Parses in a child process (``parallel``) or in this one; resolves here.

    Use as a context manager around the whole build::

        with PageReader(paths, progress) as reader:
            for path in paths:
                for batch in reader.batches(path): ...
                sha256, lines = reader.checksum(path)
            resolution = reader.resolution()
    """

    def __init__(self, paths: Sequence[Path | SourceFile], progress: Progress | None = None) -> None:
        self.sources = [SourceFile.of(p) for p in paths]
        self.paths = [s.path for s in self.sources]
        self._names = {s.path: s.name for s in self.sources}
        self.progress = progress
        self._conn: Connection | None = None
        self._child: multiprocessing.process.BaseProcess | None = None
        self._local: Iterator[Event] | None = None
        self._checksums: dict[Path, tuple[str, int]] = {}
        self._resolver = RecordResolver()
        self._ids = RowIds()  # in this process; a parsing child sends each row's id with it
        # A link list with its stored columns (store.link_columns), by the child's number for
        # it (_link_table) or, past the numbered ones, by its text.
        self._links: dict[tuple[tuple[str, str], ...], _LinkEntry] = {}
        self._link_table: list[_LinkEntry] = []
        self._collector_was_on: bool | None = None
        self._dates: dict[tuple[int, int | None, int | None], tuple[PartialDate, DateColumns]] = {}

    @property
    def parallel(self) -> bool:
        """Whether a child process parses the pages."""
        return self._conn is not None

    def __enter__(self) -> PageReader:
        # A build allocates millions of short-lived objects and keeps a few hundred
        # thousand (caches, places). Reference counting frees nearly all of it, and the
        # cycle collector would mostly re-walk what is kept: at a million rows its
        # collections took 3-4 s in each process. It is off while the reader is open (and
        # in the child it forks); whatever cycles a build makes are collected once it is
        # back on (benchmarks/check_cycles.py counts them).
        self._collector_was_on = gc.isenabled()
        gc.disable()
        try:
            if _use_child(self.paths):
                self._start_child()
            else:
                self._local = _parsed(self.sources)
        except BaseException:  # e.g. a bad YOUCHENG_BUILD_PROCESSES: no __exit__ will run
            self.close()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop the child, if any (it may still be parsing when the build failed)."""
        # Drop the resolver's and the links' caches (millions of objects at a million rows)
        # before the collector is back on: its first collection would otherwise walk all
        # of them once more, about a second.
        self._resolver, self._ids = RecordResolver(), RowIds()
        self._links, self._link_table, self._dates = {}, [], {}
        if self._collector_was_on:
            gc.enable()
        self._collector_was_on = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._child is not None:
            if self._child.is_alive():
                self._child.kill()
            self._child.join()
            self._child = None

    def batches(self, path: Path) -> Iterator[Batch]:
        """Rows and anomalies of ``path`` in page order; pages must be read in the order given.

        Each row is resolved here, in the build process, as it arrives.
        """
        total = path.stat().st_size if path.exists() else 0
        resolve = self._resolver.resolve_fields
        while True:
            event = self._next()
            if event[0] == _ITEMS:
                _, items, done, *new_links = event
                for pairs in new_links:
                    self._link_table.append(_new_link_entry(pairs))
                if self.progress is not None:
                    self.progress(self._names.get(path, path.name), done, total)
                rows: list[AttestationRow] = []
                anomalies: list[Anomaly] = []
                row = AttestationRow._make
                if self._conn is None:
                    for item in items:
                        if isinstance(item, Anomaly):
                            anomalies.append(item)
                        else:
                            rows.append(row(raw_columns(item) + resolve(item, self._ids.next(item))))
                else:
                    # The child sent each row with its id (see _Encoder).
                    learn_forms = self._resolver.learn_forms
                    for kind, entry in items:
                        if kind == _RAW:
                            if entry[_FORMS]:
                                learn_forms(entry[_FORMS])
                            raw, stated = self._decode(entry)
                            rows.append(row(stated + resolve(raw, entry[_ROW_ID], entry[_KNOWN])))
                        else:
                            anomalies.append(Anomaly(*entry))
                anomalies += self._resolver.take_findings()
                yield Batch(rows, anomalies, self._resolver.take_places())
            else:
                self._checksums[path] = (event[1], event[2])
                return

    def checksum(self, path: Path) -> tuple[str, int]:
        """SHA-256 and newline count of a page that has been read."""
        return self._checksums.pop(path)

    def resolution(self) -> Resolution:
        """The places and findings of every page; call after the last page is read."""
        resolver = self._resolver
        return Resolution(resolver.take_findings(), resolver.take_places(), resolver.methods)

    def _next(self) -> Event:
        if self._local is not None:
            return next(self._local)
        return self._receive()

    # -- the child ---------------------------------------------------------------------

    def _start_child(self) -> None:
        context = multiprocessing.get_context("fork")
        receiver, sender = context.Pipe(duplex=False)
        _widen(sender)
        child = context.Process(target=_parse_in_child, args=(self.sources, sender, receiver),
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
            raise SourceError("the page-parsing process stopped without a word (killed, or out of memory?); "
                              "YOUCHENG_BUILD_PROCESSES=1 parses in the build's own process") from None
        if data.startswith(_ERROR):
            raise pickle.loads(data[len(_ERROR):])
        event: Event = marshal.loads(data)
        return event

    def _decode(self, entry: list[Any]) -> tuple[RawPartnership, StatedColumns]:
        """The child's wire item as the row it was and that row's ``store.raw_columns``: the
        columns derived from links and dates are remembered per link list and date."""
        cn_links, cn_link, _ = self._link_entry(entry[_CN_LINKS])
        partner_links, partner_link, links_json = self._link_entry(entry[_PARTNER_LINKS])
        date = entry[_DATE]
        day, day_columns = self._date(date) if date else _UNDATED
        entry[_CN_LINKS], entry[_PARTNER_LINKS], entry[_DATE] = cn_links, partner_links, day
        raw = RawPartnership._make(entry[:_ROW_ID])
        return raw, raw_columns_of(raw, cn_link, partner_link, links_json, day_columns)

    def _link_entry(self, ref: int | tuple[tuple[str, str], ...]) -> _LinkEntry:
        if type(ref) is int:
            return self._link_table[ref]
        assert isinstance(ref, tuple)
        entry = self._links.get(ref)
        if entry is None:
            if len(self._links) >= 1 << 16:
                self._links.clear()
            entry = self._links[ref] = _new_link_entry(ref)
        return entry

    def _date(self, parts: tuple[int, int | None, int | None]) -> tuple[PartialDate, DateColumns]:
        known = self._dates.get(parts)
        if known is None:
            date = PartialDate(*parts)
            known = self._dates[parts] = (date, date_columns(date))
        return known


# A link list, the target of its last link and its JSON, as store.link_columns gives them.
_LinkEntry = tuple[tuple[Link, ...], str | None, str]
_UNDATED: tuple[None, DateColumns] = (None, date_columns(None))


def _new_link_entry(pairs: tuple[tuple[str, str], ...]) -> _LinkEntry:
    links = tuple(Link(text, target) for text, target in pairs)
    return (links, *link_columns(links))


def collector_off_until_exit() -> None:
    """Leave the cycle collector off in a process that ends with its build.

    The page reader turns the collector off while it reads and back on after, when it
    would walk every cache the build filled once more, and Python collects once more at
    exit: 1-2 s at a million rows. Here it stays off, and what the build left is frozen
    out of the last collection. Every ``gc`` call of youcheng is in this module.
    """
    import atexit

    gc.disable()
    atexit.register(gc.freeze)


def file_checksum(path: Path) -> tuple[str, int]:
    """SHA-256 and newline count of a file, read in 1 MiB chunks."""
    sha = hashlib.sha256()
    newlines = 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            sha.update(chunk)
            newlines += chunk.count(b"\n")
    return sha.hexdigest(), newlines


def _widen(conn: Connection) -> None:
    """Let the pipe hold a few batches (1 MiB, not Linux's default 64 KiB).

    With the default, every batch crosses in several 64 KiB turns, each waiting for
    the other process to be scheduled: on a busy machine the two processes then
    run in lockstep instead of side by side. Best effort: the size is a tuning.
    """
    try:
        import fcntl

        fcntl.fcntl(conn.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass


def _use_child(paths: Sequence[Path]) -> bool:
    if config.get_int("build_processes") < 2 or (os.cpu_count() or 1) < 2:
        return False
    if not sys.platform.startswith("linux"):  # fork is unsafe on macOS, absent on Windows
        return False
    size = sum(p.stat().st_size for p in paths if p.is_file())
    return size >= PARALLEL_MIN_BYTES


def _parsed(sources: list[SourceFile]) -> Iterator[Event]:
    """Parse every page: batches of items with the bytes read so far, then each checksum."""
    for path, name, fmt in sources:
        done = [0]

        def on_bytes(count: int) -> None:
            done[0] = count

        items: list[Item] = []
        for item in read_page(path, name, progress=on_bytes, fmt=fmt):
            items.append(item)
            if len(items) >= _BATCH:
                yield (_ITEMS, items, done[0])
                items = []
        yield (_ITEMS, items, done[0])
        yield (_END, *file_checksum(path))


class _Encoder:
    """Items as tuples of plain values for ``marshal``: several times faster than pickling.

    A row's links go as a number once the build process has been sent them (in
    the event's tail): a page names a few thousand distinct link lists, and
    decoding the same text again on every row cost more than the row's resolution.
    """

    def __init__(self) -> None:
        self.ids = RowIds()
        self.forms_sent: set[str] = set()  # names whose forms the build process has (records.row_forms)
        self.numbers: dict[tuple[Link, ...], int] = {}
        self.new: list[tuple[tuple[str, str], ...]] = []

    def event(self, items: list[Item], done: int) -> Event:
        encoded = [self.item(item) for item in items]
        event = (_ITEMS, encoded, done, *self.new)
        self.new.clear()
        return event

    def item(self, item: Item) -> tuple[int, list[Any]]:
        if isinstance(item, Anomaly):
            return (_ANOMALY, [item.source, item.line, item.kind, item.severity, item.message, item.text])
        entry: list[Any] = list(item)
        date = item.date
        numbers = self.numbers
        cn_ref = numbers.get(item.cn_links)
        partner_ref = numbers.get(item.partner_links)
        entry[_CN_LINKS] = self._number(item.cn_links) if cn_ref is None else cn_ref
        entry[_PARTNER_LINKS] = self._number(item.partner_links) if partner_ref is None else partner_ref
        entry[_DATE] = (date.year, date.month, date.day) if date else None
        # The row's id depends on the rows before it alone, whether a table may know its
        # partner and its names' forms on its names alone, so they are made here, which evens
        # out the two processes (the build process resolves and inserts).
        entry.append(self.ids.next(item))
        known = partner_may_be_known(item)
        entry.append(known)
        # A partner no table knows is mostly written once (a harvest of noisy pages): the
        # forms of its row's names are then most of what it costs the build process. A known
        # partner's plan is worked out once and kept: its forms are not worth sending.
        entry.append(None if known else row_forms(item, self.forms_sent))
        return (_RAW, entry)

    def _number(self, links: tuple[Link, ...]) -> int | tuple[tuple[str, str], ...]:
        """A link list not numbered yet: numbered (and sent once), or sent as text when
        the numbers are used up."""
        pairs = tuple((link.text, link.target) for link in links)
        if len(self.numbers) < _INTERNED_LINKS:
            self.numbers[links] = len(self.numbers)
            self.new.append(pairs)
            return len(self.numbers) - 1
        return pairs


def _parse_in_child(sources: list[SourceFile], sender: Connection, receiver: Connection) -> None:
    """Child process: parse every page and send each event down the pipe."""
    receiver.close()
    try:
        encoder = _Encoder()
        for event in _parsed(sources):
            if event[0] == _ITEMS:
                event = encoder.event(event[1], event[2])
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
