"""Shared by the evaluation scripts: the records of a registry, or of a fresh seed build."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def seed_records(db: Path | None) -> list[object]:
    """Every record of ``db``; without one, of a registry built afresh from the seed."""
    sys.path.insert(0, str(ROOT))
    from youcheng import Registry, config

    with tempfile.TemporaryDirectory() as tmp:
        path = db or Path(tmp) / "seed.db"
        if db is None:
            Registry.build([config.seed_path()], path)
        with Registry.open(path) as reg:
            return list(reg.records())
