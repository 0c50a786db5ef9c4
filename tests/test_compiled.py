"""The compiled modules (setup.py, mypyc) build exactly the registry their Python sources build.

``make test`` runs the whole suite on the compiled modules, which is what an install
uses; this file checks that they are in use and current, and that a build on the
Python sources (``YOUCHENG_PURE_PYTHON=1``, in a process of its own) writes the same
rows in every table, for the seed, a page whose every row is broken in its own way,
the zh-Wikipedia city pages the package ships, and a synthetic page in both table formats.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from youcheng import config, pipeline
from youcheng._compiled import compiled_modules
from youcheng.build import build_registry
from youcheng.errors import ParseError
from youcheng.sources import read_page

from .conftest import write_page
from .test_pipeline import BROKEN_PAGE

ROOT = Path(__file__).resolve().parent.parent
# The zh-Wikipedia city sections the package ships (a copy of shared/sources/zhwiki): always there.
CITY_PAGES = config.data_dir() / "sources" / "zhwiki"
_TABLES = ("sources", "places", "place_names", "name_grams", "partnerships", "anomalies",
           "partnership_counts", "stat_counts")


def _compiled_list() -> list[str]:
    """setup.py's COMPILED, as module names."""
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "COMPILED":
            paths: list[str] = ast.literal_eval(node.value)
            return [p.removesuffix(".py").replace("/", ".") for p in paths]
    raise AssertionError("setup.py has no COMPILED list")


def test_the_compiled_modules_are_in_use() -> None:
    """Else every other test here would test the Python sources twice."""
    if config.get("pure_python") == "1":
        pytest.skip("YOUCHENG_PURE_PYTHON=1: this run tests the Python sources")
    for name in _compiled_list():
        importlib.import_module(name)
    missing = sorted(set(_compiled_list()) - set(compiled_modules()))
    assert not missing, (f"{missing} run from their .py files: the install could not compile them "
                         "(a C compiler and Python headers are needed; see setup.py)")


def test_the_compiled_modules_are_not_older_than_their_sources() -> None:
    """A source edited after `pip install -e .` is shadowed by its old compiled module."""
    stale = []
    for name in _compiled_list():
        source = ROOT / (name.replace(".", "/") + ".py")
        built = list(source.parent.glob(source.stem + ".*.so")) + list(source.parent.glob(source.stem + ".*.pyd"))
        stale += [str(b.relative_to(ROOT)) for b in built if b.stat().st_mtime < source.stat().st_mtime]
    assert not stale, f"{stale} predate their sources: run `make install` (or pip install -e .) again"


def _list_pages(folder: Path) -> list[Path]:
    """The pages in ``folder`` that are list pages (the others hold prose or lists)."""
    pages = []
    for page in sorted(folder.glob("*.md")):
        try:
            list(read_page(page))
        except ParseError:
            continue
        pages.append(page)
    return pages


def _content(db: Path) -> dict[str, str]:
    conn = sqlite3.connect(db)
    digests = {}
    for table in _TABLES:
        rows = sorted(repr(row) for row in conn.execute(f"SELECT * FROM {table}"))
        digests[table] = f"{len(rows)} {hashlib.sha256(chr(10).join(rows).encode()).hexdigest()}"
    conn.close()
    return digests


_PURE_BUILD = """
import sys
from pathlib import Path
from youcheng import pipeline
from youcheng._compiled import compiled_modules
from youcheng.build import build_registry
from youcheng.errors import ParseError
from youcheng.sources import read_page
if sys.argv[1] == "parallel":
    pipeline.PARALLEL_MIN_BYTES = 0
build_registry([Path(p) for p in sys.argv[3:]], Path(sys.argv[2]))
assert not compiled_modules(), compiled_modules()
"""


@pytest.mark.parametrize("mode", ["in-process", "parallel"])
def test_python_sources_build_the_same_registry(mode: str, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    synth = ROOT / "benchmarks" / "synth.py"
    generated = tmp_path / "synth.md"
    subprocess.run([sys.executable, str(synth), "--partnerships", "3000", "--places", "300",
                    "-o", str(generated)], check=True, capture_output=True)
    pages = [config.seed_path(), write_page(tmp_path, BROKEN_PAGE, "broken.md"), generated,
             *_list_pages(CITY_PAGES)]
    assert len(pages) > 8, "the shipped city pages are missing"
    if mode == "parallel":
        monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 0)
    build_registry(pages, tmp_path / "compiled.db")
    env = {**os.environ, "YOUCHENG_PURE_PYTHON": "1"}
    subprocess.run([sys.executable, "-c", _PURE_BUILD, mode, str(tmp_path / "pure.db"), *map(str, pages)],
                   env=env, check=True, capture_output=True)
    compiled, pure = _content(tmp_path / "compiled.db"), _content(tmp_path / "pure.db")
    assert compiled == pure
    assert int(compiled["partnerships"].split()[0]) > 3000 and int(compiled["anomalies"].split()[0]) > 0
