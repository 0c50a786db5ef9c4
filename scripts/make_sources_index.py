"""Rewrite the file table of data/sources/zhwiki-wikitext/SOURCES.md from the files themselves.

Each section file starts with ``<!-- source: <repository> <path> commit <sha> (…) -->``
(written by whoever harvested it); the table lists every file with that path and commit,
its first heading and its line count, so the attribution can never fall behind the files.
tests/test_wikitext.py checks the table is current.

Usage: python scripts/make_sources_index.py [--check]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

FOLDER = Path(__file__).resolve().parent.parent / "youcheng" / "data" / "sources" / "zhwiki-wikitext"
_SOURCE = re.compile(r"<!-- source: (?P<repo>\S+) (?P<path>.+?) commit (?P<commit>[0-9a-f]{40})")
_TABLE_HEAD = "| file | path in chinapedia/wikipedia.zh.mediawiki | commit | first heading | lines |"


def table_rows(folder: Path = FOLDER) -> list[str]:
    """One Markdown row a section file, sorted by file name."""
    rows = []
    for path in sorted(folder.glob("*.wikitext")):
        lines = path.read_text(encoding="utf-8").splitlines()
        match = _SOURCE.match(lines[0]) if lines else None
        if match is None:
            raise SystemExit(f"{path}: the first line names no source (<!-- source: REPO PATH commit SHA -->)")
        heading = next((line.strip() for line in lines[1:] if line.startswith("=")), "")
        heading = re.sub(r"<ref[^>]*>.*?</ref>|<ref[^>]*/>", "", heading).replace("|", "\\|")
        rows.append(f"| {path.name} | `{match['path']}` | `{match['commit']}` | `{heading}` | {len(lines) - 1} |")
    return rows


def render(text: str, rows: list[str]) -> str:
    """SOURCES.md with its file table replaced by ``rows`` (everything before the table kept)."""
    head, found, _ = text.partition(_TABLE_HEAD)
    if not found:
        raise SystemExit(f"SOURCES.md has no table starting with {_TABLE_HEAD!r}")
    return head + "\n".join([_TABLE_HEAD, "|---|---|---|---|---|", *rows]) + "\n"


def main() -> None:
    index = FOLDER / "SOURCES.md"
    current = index.read_text(encoding="utf-8")
    wanted = render(current, table_rows())
    if "--check" in sys.argv[1:]:
        sys.exit(0 if wanted == current else f"{index} is out of date: run python scripts/make_sources_index.py")
    index.write_text(wanted, encoding="utf-8")
    print(f"wrote {index} ({wanted.count(chr(10)) - current.partition(_TABLE_HEAD)[0].count(chr(10)) - 2} files)")


if __name__ == "__main__":
    main()
