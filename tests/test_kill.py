"""Builds that are killed, and readers during rebuilds (issue #6).

A build writes a temporary file and renames it over the registry only when it
is complete, so ``kill -9`` at any moment leaves either the previous registry
or the complete new one, never a mix; the next build removes the temporary file
a killed one left. Readers keep answering while a rebuild replaces the file:
an open connection keeps reading the file it opened, a new one sees the new.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from youcheng import Registry, config
from youcheng.api import create_app, get
from youcheng.cli import app
from youcheng.store import RegistryWriter

from .expected import SEED_ROWS

BUILD = [sys.executable, "-c", "from youcheng.cli import app; app()", "build"]


def write_big_page(path: Path, copies: int) -> Path:
    """The seed page repeated ``copies`` times, its places renamed in each copy (洛陽市 -> 洛陽市2)."""
    seed = config.seed_path().read_text(encoding="utf-8")
    with path.open("w", encoding="utf-8") as out:
        for k in range(copies):
            out.write((seed.replace("市", f"市{k}") if k else seed) + "\n")
    return path


@dataclass(frozen=True)
class Built:
    """What a complete registry built from one page holds."""

    sha256: str
    partnerships: int


def _built(db: Path) -> Built:
    """Check the registry file is whole, and say what it holds."""
    conn = sqlite3.connect(db.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        [(sha256,)] = conn.execute("SELECT sha256 FROM sources").fetchall()
        count = conn.execute("SELECT COUNT(*) FROM partnerships").fetchone()[0]
        assert dict(conn.execute("SELECT key, value FROM meta"))["schema_version"]
    finally:
        conn.close()
    return Built(sha256, count)


def _temporaries(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".building"))


def _writing(directory: Path, left: set[str]) -> bool:
    """Whether a build has written to a temporary file not in ``left``."""
    for name in set(_temporaries(directory)) - left:
        try:
            if (directory / name).stat().st_size > 0:
                return True
        except FileNotFoundError:
            pass
    return False


def _kill_build(page: Path, db: Path, delay: float | None) -> bool:
    """Start ``youcheng build page`` and kill -9 it after ``delay`` seconds, or (None)
    as soon as it has started writing its temporary file. True if it was killed."""
    left = set(_temporaries(db.parent))  # by builds killed before: not this one's
    proc = subprocess.Popen([*BUILD, str(page), "--db", str(db)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if delay is None:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline and not _writing(db.parent, left):
            time.sleep(0.01)
    else:
        time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    return proc.wait() == -signal.SIGKILL


Pages = dict[str, tuple[Path, Built]]


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Pages:
    """Two pages and what complete registries built from them hold."""
    root = tmp_path_factory.mktemp("pages")
    out = {}
    for name, copies in (("small", 1), ("big", 4)):
        page = write_big_page(root / f"{name}.md", copies)
        Registry.build([page], root / f"{name}.db")
        out[name] = (page, _built(root / f"{name}.db"))
    assert out["big"][1].partnerships == 4 * out["small"][1].partnerships == 4 * SEED_ROWS
    return out


@pytest.fixture(scope="module")
def build_seconds(pages: Pages, tmp_path_factory: pytest.TempPathFactory) -> float:
    """How long a whole ``youcheng build`` of the big page takes, start-up included."""
    started = time.monotonic()
    subprocess.run([*BUILD, str(pages["big"][0]), "--db", str(tmp_path_factory.mktemp("t") / "t.db")],
                   check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def test_build_killed_while_writing_leaves_previous_registry(
        tmp_path: Path, pages: Pages) -> None:
    (small, small_built), (big, big_built) = pages["small"], pages["big"]
    db = tmp_path / "registry.db"
    Registry.build([small], db)
    assert _kill_build(big, db, delay=None)
    assert _built(db) == small_built
    # A killed build cannot clean up after itself: its file and its side file (store.SideBuild) stay.
    assert len(_temporaries(tmp_path)) in (1, 2)
    with Registry.open(db) as reg:
        assert [r.partner_name for r in reg.partners("洛陽市")][:2] == ["岡山市", "圖爾"]
    Registry.build([big], db)
    assert _built(db) == big_built
    assert _temporaries(tmp_path) == []


def test_build_keeps_temporary_file_of_running_build(tmp_path: Path) -> None:
    db = tmp_path / "registry.db"
    running = RegistryWriter(db, "test")
    try:
        other = RegistryWriter(db, "test")
        assert running.tmp.exists() and other.tmp.exists() and running.tmp != other.tmp
        other.abort()
    finally:
        running.abort()
    assert _temporaries(tmp_path) == []


def _kill_at_random_moments(db: Path, pages: Pages, kills: int, full: float,
                            rng: random.Random) -> list[str]:
    """Rebuild alternately from each page, killing each build at a random moment
    (in the first ``1.1 * full`` seconds, or once it has started writing)."""
    state = {built: name for name, (_, built) in pages.items()}
    current = state[_built(db)]
    outcomes = []
    for _ in range(kills):
        target = "big" if current == "small" else "small"
        delay = None if rng.random() < 0.3 else rng.uniform(0, full * 1.1)
        killed = _kill_build(pages[target][0], db, delay)
        now = state[_built(db)]  # whole, and one of the two pages
        assert now in (current, target)
        assert killed or now == target
        outcomes.append(f"{'killed' if killed else 'finished'}:{'new' if now == target else 'old'}")
        current = now
    return outcomes


def test_build_killed_at_random_moments(tmp_path: Path, pages: Pages, build_seconds: float) -> None:
    db = tmp_path / "registry.db"
    Registry.build([pages["small"][0]], db)
    _kill_at_random_moments(db, pages, kills=1, full=build_seconds, rng=random.Random())
    Registry.build([pages["small"][0]], db)
    assert _built(db) == pages["small"][1]
    assert _temporaries(tmp_path) == []


@pytest.mark.slow
def test_build_killed_at_random_moments_soak(tmp_path: Path, pages: Pages, build_seconds: float) -> None:
    db = tmp_path / "registry.db"
    Registry.build([pages["small"][0]], db)
    outcomes = _kill_at_random_moments(db, pages, kills=40, full=build_seconds, rng=random.Random())
    print("kill outcomes:", dict(sorted((o, outcomes.count(o)) for o in set(outcomes))))
    assert outcomes.count("killed:old") >= 10
    Registry.build([pages["big"][0]], db)
    assert _built(db) == pages["big"][1]
    assert _temporaries(tmp_path) == []


# -- readers during rebuilds ------------------------------------------------------------

Answer = tuple[int, str, int]


def _answer(reg: Registry) -> Answer:
    summary = reg.summary()
    [source] = summary["sources"]  # type: ignore[misc]
    return summary["partnerships"], source["sha256"], len(reg.partners("洛陽市"))  # type: ignore[return-value]


def read_until(db: str, stop_file: str, kind: str, ready_file: str) -> tuple[list[Answer], list[str]]:
    """Query the registry again and again until ``stop_file`` exists (or ten minutes).

    ``kind`` is ``kept`` (one connection opened at the start and kept), ``reopen``
    (``Registry.open`` anew for every answer) or ``api`` (``GET /api/summary``
    through the app ``youcheng serve`` runs). Creates ``ready_file`` after its
    first answer. Returns the answers and the errors met.
    """
    answers: list[Answer] = []
    errors: list[str] = []
    kept = Registry.open(db) if kind == "kept" else None
    server = create_app(db) if kind == "api" else None
    give_up = time.monotonic() + 600
    while not Path(stop_file).exists() and time.monotonic() < give_up:
        try:
            if kept is not None:
                answers.append(_answer(kept))
            elif server is not None:
                status, body = get(server, "/api/summary")
                assert status == 200, body[:200]
                summary = json.loads(body)
                answers.append((summary["partnerships"], summary["sources"][0]["sha256"], -1))
            else:
                with Registry.open(db) as reg:
                    answers.append(_answer(reg))
        except Exception as exc:  # noqa: BLE001 - every failure is a finding
            errors.append(f"{kind}: {type(exc).__name__}: {exc}")
        Path(ready_file).touch()
    if kept is not None:
        kept.close()
    return answers, errors


READERS = ("kept", "reopen", "reopen", "api")


def _rebuild_under_readers(tmp_path: Path, pages: Pages, rebuilds: int,
                           processes: bool) -> None:
    """Rebuild the registry from alternate pages while four readers query it.

    One reader keeps the connection it opened before the first rebuild, two open
    the registry anew for every answer, one asks the REST API (see ``read_until``).
    """
    db = tmp_path / "registry.db"
    Registry.build([pages["small"][0]], db)
    with Registry.open(db) as reg:
        first = _answer(reg)
    stop = tmp_path / "stop"
    order = ["big", "small"] * rebuilds
    results: list[tuple[list[Answer], list[str]]] = []
    if processes:
        pool = multiprocessing.get_context("spawn").Pool(len(READERS))
        pending = [pool.apply_async(read_until, (str(db), str(stop), kind, str(tmp_path / f"ready{i}")))
                   for i, kind in enumerate(READERS)]
    else:
        threads = [threading.Thread(target=lambda i=i, k=kind: results.append(
                       read_until(str(db), str(stop), k, str(tmp_path / f"ready{i}"))))
                   for i, kind in enumerate(READERS)]
        for thread in threads:
            thread.start()
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("ready*"))) < len(READERS) and time.monotonic() < deadline:
        time.sleep(0.05)
    # Otherwise a reader could start after the rebuilds: nothing would be read during one.
    if len(list(tmp_path.glob("ready*"))) < len(READERS):
        stop.touch()  # the readers that run stop
        pytest.fail("the readers did not all answer within 120 s")
    for name in order:
        Registry.build([pages[name][0]], db)
        with Registry.open(db) as reg:  # a reader that opens after the rename sees the new data
            assert _answer(reg)[:2] == (pages[name][1].partnerships, pages[name][1].sha256)
        time.sleep(0.1)
    stop.touch()
    if processes:
        results = [p.get(timeout=600) for p in pending]
        pool.close()
        pool.join()
    else:
        for thread in threads:
            thread.join()
    versions = {(b.partnerships, b.sha256) for _, b in pages.values()}
    assert len(results) == len(READERS)
    for answers, errors in results:
        assert errors == []
        assert answers and {a[:2] for a in answers} <= versions  # old or new, never a mix
    # The long-lived reader kept the registry it opened, whole, through every rebuild.
    assert any(set(answers) == {first} for answers, _ in results)
    # Readers that reopen, and the API, saw both versions.
    assert sum({a[:2] for a in answers} == versions for answers, _ in results) == 3
    status, body = get(create_app(db), "/api/summary")
    assert status == 200
    assert json.loads(body)["partnerships"] == pages[order[-1]][1].partnerships


def test_readers_keep_answering_during_rebuilds(tmp_path: Path,
                                                pages: Pages) -> None:
    _rebuild_under_readers(tmp_path, pages, rebuilds=1, processes=False)


@pytest.mark.slow
def test_reader_processes_keep_answering_during_rebuilds_soak(
        tmp_path: Path, pages: Pages) -> None:
    _rebuild_under_readers(tmp_path, pages, rebuilds=10, processes=True)


def test_build_that_cannot_rename_fails_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "registry.db").mkdir()
    result = CliRunner().invoke(app, ["build", "--db", str(tmp_path / "registry.db")])
    assert (result.exit_code, result.stderr) == (
        1, f"Error: could not write the registry {tmp_path / 'registry.db'}: Is a directory\n")
    assert _temporaries(tmp_path) == []
