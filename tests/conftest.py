"""Shared fixtures: the seed registry built once per session, a CLI runner."""

from __future__ import annotations

import importlib.util
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pytest
from typer.testing import CliRunner

from youcheng import Registry, config
from youcheng.model import Anomaly, RawPartnership
from youcheng.sources import read_page

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", help="run tests marked slow (make soak)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with make soak")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the user's real registry: point the default at a temp dir."""
    monkeypatch.setenv("YOUCHENG_DB", str(tmp_path_factory.mktemp("home") / "registry.db"))


@pytest.fixture(scope="session")
def seed_items() -> list[RawPartnership | Anomaly]:
    return list(read_page(config.seed_path()))


@pytest.fixture(scope="session")
def seed_records(seed_items: list[RawPartnership | Anomaly]) -> list[RawPartnership]:
    return [i for i in seed_items if isinstance(i, RawPartnership)]


@pytest.fixture(scope="session")
def seed_anomalies(seed_items: list[RawPartnership | Anomaly]) -> list[Anomaly]:
    return [i for i in seed_items if isinstance(i, Anomaly)]


@pytest.fixture(scope="session")
def seed_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("seed") / "seed.db"
    Registry.build([config.seed_path()], db)
    return db


@pytest.fixture()
def registry(seed_db: Path) -> Iterator[Registry]:
    with Registry.open(seed_db) as reg:
        yield reg


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


@contextmanager
def served(db: Path) -> Iterator[str]:
    """The app on ``db`` at a free loopback port, in a thread: its base URL, with a slash."""
    import uvicorn

    from youcheng.api import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def write_page(tmp_path: Path, text: str, name: str = "page.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_script(name: str, folder: str = "scripts") -> ModuleType:
    """Import ``scripts/<name>.py`` (or ``<folder>/<name>.py``, such as ``benchmarks/synth.py``)
    so tests measure with the same code the scripts run."""
    scripts = Path(__file__).resolve().parent.parent / folder
    spec = importlib.util.spec_from_file_location(name, scripts / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
