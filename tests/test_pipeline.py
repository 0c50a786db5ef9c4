"""Reading pages in a second process: the same rows in the same order as reading in-process."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from youcheng import config, pipeline
from youcheng.build import build_registry
from youcheng.errors import ParseError, SourceError
from youcheng.model import Anomaly, PlaceBatch, RawPartnership
from youcheng.pipeline import PageReader
from youcheng.resolve.fold import search_key
from youcheng.resolve.names import to_simplified
from youcheng.resolve.records import RecordResolver, RowIds
from youcheng.sources import read_page

from .conftest import write_page


@pytest.fixture()
def always_parallel(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Fork the parsing process whatever the page size (normally only past 8 MiB) and on a
    machine of one core too; the list fills with each child's pid, so a test can check one ran."""
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(pipeline.os, "cpu_count", lambda: 2)
    started: list[int] = []
    start = PageReader._start_child

    def recording(self: PageReader) -> None:
        start(self)
        assert self._child is not None and self._child.pid is not None
        started.append(self._child.pid)

    monkeypatch.setattr(PageReader, "_start_child", recording)
    return started


def _unkeyed(items: list[object]) -> list[object]:
    """``items`` with the names' forms left out, as a build reading in-process hands them over."""
    return [PlaceBatch(i.places, [n._replace(key=None, simplified=None, simplified_key=None) for n in i.names],
                       i.spellings) if isinstance(i, PlaceBatch) else i for i in items]


def _read(paths: list[Path]) -> tuple[bool, list[object], list[tuple[str, int]], pipeline.Resolution]:
    with PageReader(paths) as reader:
        items: list[object] = []
        sums = []
        for path in paths:
            for rows, anomalies, places in reader.batches(path):
                items.extend(rows)
                items.extend(anomalies)
                items.append(places)
            sums.append(reader.checksum(path))
        return reader.parallel, items, sums, reader.resolution()


def test_page_reader_in_child_gives_the_rows_read_in_process(always_parallel: list[int], tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    second = write_page(tmp_path, config.seed_path().read_text(encoding="utf-8").replace("市", "縣"))
    paths = [config.seed_path(), second]
    parallel, items, sums, resolution = _read(paths)
    monkeypatch.setenv("YOUCHENG_BUILD_PROCESSES", "1")
    in_process = _read(paths)
    assert parallel and not in_process[0]
    # The parsing process sends the forms of the names rows write (records.row_forms), so the
    # names arrive keyed; read in-process they are keyed by the store, to the same keys.
    keyed = [n for i in items if isinstance(i, PlaceBatch) for n in i.names if n.key is not None]
    assert keyed and all(n.key == search_key(n.name) for n in keyed)
    assert all(n.simplified == to_simplified(n.name) for n in keyed)
    assert (_unkeyed(items), sums, resolution) == in_process[1:]
    assert all(n.key is None for i in in_process[1] if isinstance(i, PlaceBatch) for n in i.names)
    assert sums == [pipeline.file_checksum(path) for path in paths]
    anomalies = [i for i in items if isinstance(i, Anomaly)]
    # Each batch's anomalies: the page's own, then the resolver's findings about its rows.
    expected: list[Anomaly] = []
    resolver, ids = RecordResolver(), RowIds()
    for path in paths:
        for item in read_page(path):
            if isinstance(item, Anomaly):
                expected.append(item)
            else:
                resolver.resolve_fields(item, ids.next(item))
                expected += resolver.take_findings()
    assert sorted(anomalies, key=repr) == sorted(expected, key=repr)
    rows = [i for path in paths for i in read_page(path) if isinstance(i, RawPartnership)]
    batches = [i for i in items if isinstance(i, PlaceBatch)]
    assert len(items) - len(anomalies) - len(batches) == len(rows)
    # Places are handed over as the rows naming them are read, not at the end.
    assert batches[0].places and batches[0].names and not resolution.places.places


def test_page_reader_small_pages_stay_in_process() -> None:
    parallel, items, _, _ = _read([config.seed_path()])
    rows = [i for i in items if not isinstance(i, (Anomaly, PlaceBatch))]
    assert not parallel and len(rows) == len([i for i in read_page(config.seed_path())
                                              if isinstance(i, RawPartnership)])


def test_page_reader_one_process_when_configured(always_parallel: list[int],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YOUCHENG_BUILD_PROCESSES", "1")
    parallel, _, _, _ = _read([config.seed_path()])
    assert not parallel


def test_page_reader_passes_on_the_parse_error(always_parallel: list[int], tmp_path: Path) -> None:
    page = write_page(tmp_path, "hello\nworld\n", name="notes.txt")
    with pytest.raises(ParseError) as in_child, PageReader([page]) as reader:
        list(reader.batches(page))
    with pytest.raises(ParseError) as in_process:
        list(read_page(page))
    assert str(in_child.value) == str(in_process.value) and len(always_parallel) == 1


def test_page_reader_passes_on_a_missing_file(always_parallel: list[int], tmp_path: Path) -> None:
    missing = tmp_path / "nope.md"
    with pytest.raises(SourceError, match="cannot read"), PageReader([config.seed_path(), missing]) as reader:
        assert list(reader.batches(config.seed_path()))
        list(reader.batches(missing))
    assert len(always_parallel) == 1


def test_page_reader_stops_its_child_when_left_early(always_parallel: list[int], tmp_path: Path) -> None:
    # Many batches: the child is still parsing, or blocked on the full pipe, when the build stops.
    page = write_page(tmp_path, config.seed_path().read_text(encoding="utf-8") * 40)
    with PageReader([page]) as reader:
        next(reader.batches(page))
        child = reader._child
        assert child is not None and child.is_alive()
    assert not child.is_alive()


def test_build_with_child_reader_is_identical(always_parallel: list[int], tmp_path: Path, seed_db: Path) -> None:
    build_registry([config.seed_path()], tmp_path / "parallel.db")
    assert len(always_parallel) == 1  # a parsing child ran: not the in-process build compared with itself

    def content(db: Path) -> list[object]:
        conn = sqlite3.connect(db)
        rows = [(table, sorted(conn.execute(f"SELECT * FROM {table}"), key=repr))
                for table in ("sources", "places", "place_names", "name_grams", "partnerships", "anomalies")]
        conn.close()
        return rows

    assert content(tmp_path / "parallel.db") == content(seed_db)


def test_page_reader_turns_the_collector_off_while_open(tmp_path: Path) -> None:
    """The build runs without the cycle collector, and only while it runs."""
    import gc

    assert gc.isenabled()
    with pytest.raises(SourceError), PageReader([tmp_path / "missing.md"]) as reader:
        assert not gc.isenabled()
        list(reader.batches(tmp_path / "missing.md"))
    assert gc.isenabled()


def test_every_gc_call_is_in_the_pipeline() -> None:
    """Speed-ups stay in one room (issue #19): the collector policy is pipeline.py's alone."""
    package = Path(pipeline.__file__).parent
    calls = sorted(str(path.relative_to(package)) for path in package.rglob("*.py")
                   if re.search(r"\bgc\.|\bimport gc\b", path.read_text(encoding="utf-8")))
    assert calls == ["pipeline.py"]


def test_page_reader_leaves_a_collector_that_was_off_off(tmp_path: Path) -> None:
    import gc

    gc.disable()
    try:
        with PageReader([config.seed_path()]) as reader:
            list(reader.batches(config.seed_path()))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_page_reader_that_cannot_start_restores_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from youcheng.errors import UsageError

    monkeypatch.setenv("YOUCHENG_BUILD_PROCESSES", "two")
    with pytest.raises(UsageError), PageReader([config.seed_path()]):
        pass
    assert gc.isenabled()


def test_a_child_that_dies_is_a_one_line_error(always_parallel: list[int], tmp_path: Path) -> None:
    """A parsing child killed mid-build (the OOM killer, say) is a SourceError the CLI prints in
    one line, not a traceback."""
    import os
    import signal

    page = write_page(tmp_path, config.seed_path().read_text(encoding="utf-8") * 40)
    with pytest.raises(SourceError, match="stopped without a word"), PageReader([page]) as reader:
        batches = reader.batches(page)
        next(batches)
        os.kill(always_parallel[0], signal.SIGKILL)
        list(batches)


def test_an_impossible_date_is_a_parse_error() -> None:
    from youcheng.dates import InvalidDate, parse_date

    with pytest.raises(ParseError) as found:
        parse_date("1990年13月")
    assert isinstance(found.value, InvalidDate) and isinstance(found.value, ValueError)
