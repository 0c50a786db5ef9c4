"""The embedded sources: which files ship with youcheng, their format, date and licence.

``data/sources/catalog.csv`` lists each folder of shipped sources once (folder, file
pattern, format, snapshot, licence, attribution, origin), so the default build, the
``sources`` command and the attribution read one table. A file's own
``<!-- source: … -->`` line, where it has one, names its exact page and commit.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from youcheng import config
from youcheng.sources.base import SourceFile
from youcheng.vocabulary import SourceFormatName

SEED_FOLDER = "seed"


@dataclass(frozen=True)
class CatalogEntry:
    """One folder of embedded sources and what is known of all its files."""

    folder: str
    pattern: str
    format: str
    snapshot: str
    licence: str
    attribution: str
    origin: str

    def files(self) -> list[Path]:
        """The folder's files in name order (a stable build order)."""
        return sorted(p for p in (config.data_dir() / self.folder).glob(self.pattern)
                      if p.name != "SOURCES.md")  # the folder's description, not a source


@lru_cache(maxsize=1)
def catalog() -> tuple[CatalogEntry, ...]:
    """Every folder of ``data/sources/catalog.csv``, in build order."""
    path = config.data_dir() / "sources" / "catalog.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return tuple(CatalogEntry(**row) for row in csv.DictReader(handle))


def default_sources() -> list[SourceFile]:
    """What ``youcheng build`` reads with no argument: the seed page and every shipped source.

    The seed keeps its file name (records have always cited it so); other files are
    cited as ``<folder>/<file>`` (``zhwiki/武汉市.md``), unique across folders. A page
    shipped both as raw wikitext and as the 2019 Markdown conversion is read from the
    wikitext only: the conversion dropped its flag templates, so its countries are empty.
    """
    found: list[SourceFile] = []
    wikitext_titles = {p.stem for entry in catalog() if entry.format == SourceFormatName.wikitext
                       for p in entry.files()}
    for entry in catalog():
        for path in entry.files():
            if entry.folder == SEED_FOLDER:
                name = path.name
            else:
                if entry.format == SourceFormatName.wikimd_city and path.stem in wikitext_titles:
                    continue
                name = f"{Path(entry.folder).name}/{path.name}"
            found.append(SourceFile(path, name, entry.format))
    return found


def entry_for(path: Path) -> CatalogEntry | None:
    """The catalog entry of an embedded file, None for a file of the user's."""
    try:
        resolved = path.resolve()
    except OSError:
        return None
    for entry in catalog():
        folder = (config.data_dir() / entry.folder).resolve()
        if resolved.parent == folder and resolved.match(entry.pattern) and path.name != "SOURCES.md":
            return entry
    return None
