"""The README runs as written: every ``youcheng`` and ``curl`` line of its shell blocks and
every Python block, in order, as a new user would type them from the checkout's folder.

The commands run in a fresh folder that holds only a link to the checkout's ``youcheng``
folder (the README's example files are its data files), with ``YOUCHENG_DB`` pointing into
it, so nothing they write lands in the checkout or the user's registry. The curl lines go
to the registry they built, served on a free loopback port; curl is called with
``--fail-with-body``, so an error status fails the line. Lines that cannot run here are
listed in ``NOT_RUN`` with the reason, and the test fails if the README changes them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import served

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
# The command lines not run, by their start, and why.
NOT_RUN = {
    "youcheng fetch": "needs the internet (zh.wikipedia.org); tests/test_fetch.py runs it against a fake wiki",
    "youcheng serve": "serves until stopped; the test serves the registry itself for the curl lines",
}
DOCUMENTED_URL = "http://127.0.0.1:8000"


def blocks(language: str) -> list[str]:
    """The README's fenced blocks in ``language``, in order."""
    text = README.read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)


def command_lines(program: str) -> list[str]:
    """Every line of the shell blocks that runs ``program``."""
    return [line for block in blocks("sh") for line in block.splitlines() if line.startswith(program + " ")]


def run(line: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``line`` as bash runs it (its trailing comment too), failing if any part of a pipe fails."""
    prelude = "set -o pipefail; curl() { command curl --fail-with-body --silent --show-error \"$@\"; }\n"
    return subprocess.run(["bash", "-c", prelude + line], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("readme")
    (folder / "youcheng").symlink_to(ROOT / "youcheng", target_is_directory=True)
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "YOUCHENG_DB": str(folder / "registry.db"), "PATH": bin_dir + os.pathsep + os.environ["PATH"],
           "COLUMNS": "120"}
    return folder, env


def test_the_readme_shows_the_commands_it_should() -> None:
    lines = command_lines("youcheng")
    assert len(lines) >= 20 and len(command_lines("curl")) >= 3 and blocks("python")
    skipped = {start for start in NOT_RUN if any(line.startswith(start + " ") for line in lines)}
    assert skipped == set(NOT_RUN), "NOT_RUN lists a line the README no longer has"
    for line in command_lines("curl"):
        assert DOCUMENTED_URL in line and line.isascii() or "--data-urlencode" in line, line


def test_every_youcheng_line_and_python_block_runs(workdir: tuple[Path, dict[str, str]]) -> None:
    folder, env = workdir
    assert shutil.which("youcheng", path=env["PATH"])
    failures = []
    for line in command_lines("youcheng"):
        if any(line.startswith(start + " ") for start in NOT_RUN):
            continue
        done = run(line, folder, env)
        if done.returncode != 0 or "Traceback" in done.stderr:
            failures.append(f"{line}\n  exit {done.returncode}: {done.stderr.strip()[:400]}")
    for code in blocks("python"):
        done = subprocess.run([sys.executable, "-c", code], cwd=folder, env=env, capture_output=True,
                              text=True, timeout=300)
        if done.returncode != 0:
            failures.append(f"python block\n  exit {done.returncode}: {done.stderr.strip()[-600:]}")
    assert failures == [], "\n".join(failures)
    assert (folder / "youcheng.csv").stat().st_size > 0 and (folder / "youcheng.zip").stat().st_size > 0
    assert (folder / "other.db").is_file()


def test_every_curl_line_runs_against_a_served_registry(workdir: tuple[Path, dict[str, str]],
                                                       seed_db: Path) -> None:
    folder, env = workdir
    failures = []
    with served(seed_db) as url:
        for line in command_lines("curl"):
            done = run(line.replace(DOCUMENTED_URL, url.rstrip("/")), folder, env)
            if done.returncode != 0 or not done.stdout.strip() and "-O" not in line:
                failures.append(f"{line}\n  exit {done.returncode}: {done.stdout[:300]} {done.stderr[:300]}")
    assert failures == [], "\n".join(failures)
    assert (folder / "youcheng.geojson").stat().st_size > 0
