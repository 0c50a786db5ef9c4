"""docs/architecture.md names every module of the package, and names none that is gone."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAP = ROOT / "docs" / "architecture.md"


def test_the_architecture_map_names_every_module() -> None:
    text = MAP.read_text(encoding="utf-8")
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "youcheng").rglob("*.py")
               if "__pycache__" not in p.parts and p.parent.name != "data"}
    named = set(re.findall(r"`(youcheng/[\w/]+\.py)`", text))
    assert not modules - named, f"not in docs/architecture.md: {sorted(modules - named)}"
    assert not named - modules, f"docs/architecture.md names modules that do not exist: {sorted(named - modules)}"
    assert "## How to add a format" in text
