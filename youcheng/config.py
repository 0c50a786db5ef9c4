"""Settings: the only module that reads environment variables.

Each setting is a ``Setting(name, default, help)`` in ``SETTINGS``; the
environment variable is ``YOUCHENG_`` + the upper-cased name, and CLI options
override it. README's "Settings" section lists the same table.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from youcheng.errors import UsageError


@dataclass(frozen=True)
class Setting:
    """One configurable value, its default and what it is for."""

    name: str
    default: str
    help: str

    @property
    def env(self) -> str:
        return "YOUCHENG_" + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("db", "", "Path of the registry database (default: <user data dir>/youcheng/registry.db)."),
    Setting("max_page_bytes", str(2 * 1024**3), "Largest page a build reads, in bytes."),
    Setting("max_line_chars", str(1_000_000), "Longest line a build reads, in characters."),
    Setting("build_processes", "2", "Processes a build of large pages uses: 2 parses in a second "
            "process while the first resolves and stores; 1 does everything in one."),
)
_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> str:
    """Value of a setting: environment variable if set, else its default."""
    setting = _BY_NAME[name]
    return os.environ.get(setting.env, setting.default)


def get_int(name: str) -> int:
    """Integer value of a setting, with a clear error when the variable is not a number."""
    raw = get(name)
    try:
        value = int(raw)
    except ValueError as exc:
        raise UsageError(f"{_BY_NAME[name].env}={raw!r} is not a whole number") from exc
    if value <= 0:
        raise UsageError(f"{_BY_NAME[name].env} must be positive, got {value}")
    return value


def default_db_path() -> Path:
    """Registry path: ``YOUCHENG_DB`` or the platform's user data directory."""
    configured = get("db")
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("youcheng", appauthor=False)) / "registry.db"


def seed_path() -> Path:
    """The embedded default page shipped inside the package (CC BY-SA, see data/README.md)."""
    return Path(__file__).parent / "data" / "seed" / "中华人民共和国友好城市列表.md"


def data_dir() -> Path:
    """The package's data folder (shipped in the wheel; see data/README.md)."""
    return Path(__file__).parent / "data"
