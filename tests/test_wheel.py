"""Issue #15: a regular install (``pip install .``, the wheel, the sdist) has every file
youcheng reads at run time.

``make run`` and ``make test`` install youcheng editable, so they read ``youcheng/data``,
``youcheng/web`` and ``youcheng/schema.sql`` straight from the work tree and cannot notice a
file the package metadata leaves out (a wheel without ``data/gazetteer_zh.tsv.gz`` crashed
on ``youcheng build``). Here the sdist and the wheels are built as a user gets them, from a
clean copy of the checkout: setuptools would reuse the ``build/`` and ``*.egg-info`` folders
of earlier builds, so a stale copy of a file could hide its absence from the package data.
The wheel is pure Python (``py3-none-any``): a source install needs no C compiler.

- ``test_dists_hold_every_package_file``: every file git tracks under ``youcheng/`` is in the
  wheel and in the sdist, the wheel built from the sdist holds the same files, and no build
  artefact (bytecode, extension module: a few are planted in the copies) is in either.
- ``test_installed_wheel_runs``: the wheel, installed with its dependencies into a new
  virtual environment, builds, queries, exports and serves from a directory outside the
  work tree.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from .expected import SEED_ROWS

REPO = Path(__file__).resolve().parents[1]
BIN = "Scripts" if os.name == "nt" else "bin"

# Never package data: what builds and imports leave beside the sources.
ARTEFACT_SUFFIXES = (".pyc", ".pyo", ".so", ".pyd", ".c")
# What a walk of a checkout without git skips: git's ignored folders and files (.gitignore).
IGNORED = (".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
           ".mypy_cache", ".hypothesis", "*.db", ".*.building", "*.so", "*.pyc", "*.c")

# A PEP 517 front end's call of setuptools' backend: ``python -c HOOK build_wheel OUTDIR``
# prints the built file's name last.
HOOK = "import sys; from setuptools import build_meta as b; print(getattr(b, sys.argv[1])(sys.argv[2]))"


@dataclass(frozen=True)
class Dists:
    wheel: Path  # built from the checkout, as ``pip install .`` does
    sdist: Path
    sdist_wheel: Path  # built from the unpacked sdist, as ``python -m build`` does


def _git(*args: str) -> list[str] | None:
    """The NUL-separated output of ``git args`` in the repository, or None without git."""
    if shutil.which("git") is None:
        return None
    result = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, check=False)
    if result.returncode != 0:  # not a git checkout (an unpacked sdist, a copied tree)
        return None
    return [name for name in result.stdout.decode("utf-8").split("\0") if name]


def _walk(top: Path) -> Iterator[str]:
    """Files under ``top`` (relative to the repository, POSIX), skipping what git ignores."""
    for path in sorted(top.rglob("*")):
        parts = path.relative_to(REPO).parts
        if path.is_file() and not any(Path(part).match(p) for part in parts for p in IGNORED):
            yield path.relative_to(REPO).as_posix()


def package_files() -> set[str]:
    """Every file of the package folder that the checkout holds: what the package must ship."""
    tracked = _git("ls-files", "-z", "--", "youcheng")
    names = tracked if tracked is not None else list(_walk(REPO / "youcheng"))
    # A tracked file deleted in the work tree (not yet committed) is not there to ship.
    return {name for name in names if (REPO / name).is_file() and not name.endswith(ARTEFACT_SUFFIXES)}


def copy_checkout(target: Path) -> Path:
    """A clean copy of the checkout: tracked and new files, none that git ignores."""
    names = _git("ls-files", "-z", "--cached", "--others", "--exclude-standard")
    if names is None:
        shutil.copytree(REPO, target, ignore=shutil.ignore_patterns(*IGNORED))
        return target
    for name in names:
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def run(cmd: Sequence[str | Path], cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``; fail the test with its output unless it exits 0."""
    result = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
                            text=True, encoding="utf-8", timeout=timeout, check=False)
    assert result.returncode == 0, (
        f"{' '.join(map(str, cmd))} exited {result.returncode}\n"
        f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}")
    return result


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without what would point Python at the work tree."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")}
    env.update(extra)
    return env


def make_venv(path: Path) -> Path:
    """A new virtual environment with pip (seeing none of this one's packages); its python."""
    run([sys.executable, "-m", "venv", path], cwd=path.parent, env=clean_env())
    return path / BIN / ("python.exe" if os.name == "nt" else "python")


def setuptools_requirement() -> str:
    """The setuptools of pyproject.toml's build requirements (its only one: pure Python)."""
    with open(REPO / "pyproject.toml", "rb") as f:
        requires: list[str] = tomllib.load(f)["build-system"]["requires"]
    return next(r for r in requires if r.startswith("setuptools"))


def build(python: Path, hook: str, source: Path, outdir: Path) -> Path:
    """Call setuptools' PEP 517 ``hook`` in ``source``; the built file."""
    result = run([python, "-c", HOOK, hook, outdir], cwd=source,
                 env=clean_env())
    return outdir / result.stdout.strip().splitlines()[-1]


def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as zf:
        return {name for name in zf.namelist() if not name.endswith("/")}


def sdist_names(sdist: Path) -> set[str]:
    """The sdist's files, without its top folder (``youcheng-0.1.0/``)."""
    with tarfile.open(sdist) as tf:
        return {m.name.split("/", 1)[1] for m in tf.getmembers() if m.isfile() and "/" in m.name}


def artefacts(names: set[str]) -> list[str]:
    return sorted(n for n in names if "__pycache__/" in n or n.endswith(ARTEFACT_SUFFIXES))


def plant_artefacts(checkout: Path) -> Path:
    """What imports and ``make install`` leave in a developer's package folder, to be left out."""
    for name in ("youcheng/data/__pycache__/planted.cpython-311.pyc",
                 "youcheng/data/sources/planted.cpython-311-x86_64-linux-gnu.so",
                 "youcheng/web/vendor/__pycache__/planted.cpython-311.pyc",
                 "youcheng/planted.cpython-311-x86_64-linux-gnu.so"):
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        (checkout / name).write_bytes(b"not package data")
    return checkout


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    """The wheel of a clean copy of the checkout, its sdist, and the wheel of that sdist."""
    tmp = tmp_path_factory.mktemp("dists")
    builder = make_venv(tmp / "builder")
    run([builder, "-m", "pip", "install", "--quiet", setuptools_requirement()], cwd=tmp, env=clean_env())
    out = tmp / "out"
    out.mkdir()
    # Separate copies: one build's egg-info (its SOURCES.txt) must not feed the other.
    wheel = build(builder, "build_wheel", plant_artefacts(copy_checkout(tmp / "checkout-wheel")), out)
    sdist = build(builder, "build_sdist", plant_artefacts(copy_checkout(tmp / "checkout-sdist")), out)
    with tarfile.open(sdist) as tf:
        if hasattr(tarfile, "data_filter"):  # Python 3.11.4 and later
            tf.extractall(tmp / "unpacked", filter="data")
        else:
            tf.extractall(tmp / "unpacked")
    (unpacked,) = (tmp / "unpacked").iterdir()
    (out / "from-sdist").mkdir()
    sdist_wheel = build(builder, "build_wheel", unpacked, out / "from-sdist")
    return Dists(wheel, sdist, sdist_wheel)


def test_dists_hold_every_package_file(dists: Dists) -> None:
    expected = package_files()
    assert "youcheng/data/gazetteer_zh.tsv.gz" in expected and "youcheng/schema.sql" in expected
    wheel, sdist, sdist_wheel = wheel_names(dists.wheel), sdist_names(dists.sdist), wheel_names(dists.sdist_wheel)

    missing_from_wheel, missing_from_sdist = sorted(expected - wheel), sorted(expected - sdist)
    assert not missing_from_wheel, f"the wheel lacks files youcheng reads: {missing_from_wheel}"
    assert not missing_from_sdist, f"the sdist lacks files youcheng reads: {missing_from_sdist}"
    assert {"pyproject.toml", "README.md", "MANIFEST.in"} <= sdist
    assert dists.wheel.name.endswith("-py3-none-any.whl") and dists.sdist_wheel.name.endswith("-py3-none-any.whl")
    packaged = {"wheel": artefacts(wheel), "sdist": artefacts(sdist)}
    assert packaged == {"wheel": [], "sdist": []}, f"build artefacts packaged: {packaged}"
    # The wheel of the sdist (a PyPI install) is the wheel of the checkout (`pip install .`).
    package = {n for n in wheel if n.startswith("youcheng/")}
    from_sdist = {n for n in sdist_wheel if n.startswith("youcheng/")}
    assert sorted(package ^ from_sdist) == [], "the two wheels differ"
    # Nothing but the package and its metadata: no tests, no top-level modules.
    assert {n.split("/")[0] for n in wheel} == {"youcheng", dists.wheel.name.split("-py")[0] + ".dist-info"}


def test_installed_wheel_runs(dists: Dists, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    python = make_venv(venv)
    run([python, "-m", "pip", "install", "--quiet", dists.wheel], cwd=tmp_path, env=clean_env(), timeout=600)
    work = tmp_path / "work"  # cwd: nothing of the work tree on sys.path
    work.mkdir()
    env = clean_env()

    # The youcheng that runs is the wheel's, in the new environment, not the editable one.
    where = json.loads(run([python, "-c", "import json, sysconfig, youcheng; "
                            "print(json.dumps([youcheng.__file__, sysconfig.get_path('purelib')]))"],
                           cwd=work, env=env).stdout)
    module, purelib = Path(where[0]).resolve(), Path(where[1]).resolve()
    assert purelib.is_relative_to(venv.resolve()) and module.is_relative_to(purelib), where
    assert not module.is_relative_to(REPO), where

    youcheng = venv / BIN / "youcheng"
    db = work / "registry.db"
    built = run([youcheng, "build", "--db", db], cwd=work, env=env)
    assert db.is_file() and "partnerships" in built.stdout, built.stdout

    partners = run([youcheng, "partners", "武汉", "--db", db], cwd=work, env=env).stdout
    lines = partners.splitlines()
    assert len(lines) >= 5 and all("\t" in line for line in lines), partners  # piped: tab-separated
    # Pittsburgh: a foreign partner, resolved from the data, one relationship of several sources
    assert "匹兹堡" in partners or "匹茲堡" in partners, partners

    stats = json.loads(run([youcheng, "serve", "--get", "/api/stats?tier=all", "--db", db], cwd=work, env=env).stdout)
    assert stats["total"] > 300, stats
    summary = json.loads(run([youcheng, "serve", "--get", "/api/summary", "--db", db], cwd=work, env=env).stdout)
    assert summary["relationships"] == stats["total"] < summary["partnerships"], summary  # statistics count relationships

    geojson = json.loads(run([youcheng, "export", "--format", "geojson", "--db", db], cwd=work, env=env).stdout)
    assert geojson["type"] == "FeatureCollection"
    partnerships = [f for f in geojson["features"] if f["properties"]["feature"] == "partnership"]
    assert len(partnerships) == summary["partnerships"]  # the export: one feature per record
    # Coordinates on both sides come from the gazetteer and cn_divisions.csv.
    # (The seed's partners resolve; the en-wiki CSV's English names do not yet, so it is the seed's share.)
    seed = [f for f in partnerships if f["properties"]["source"] == "中华人民共和国友好城市列表.md"]
    lines_drawn = [f for f in seed if f["geometry"] and f["geometry"]["type"] == "LineString"]
    assert len(seed) == SEED_ROWS and len(lines_drawn) > 0.9 * len(seed), len(lines_drawn)

    # The web page and its vendored scripts (youcheng/web/) are served from the install.
    page = run([youcheng, "serve", "--get", "/", "--db", db], cwd=work, env=env).stdout
    assert "<html" in page.lower(), page[:500]
    script = run([youcheng, "serve", "--get", "/static/vendor/echarts.min.js", "--db", db], cwd=work, env=env)
    assert len(script.stdout) > 100_000
