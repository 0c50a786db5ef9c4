"""Build a registry: sources -> parse -> resolve -> store, in one streaming pass.

Pages are read line by line and rows are written in batches, so memory grows
with the number of distinct places, not with the size of the pages. Large pages
are parsed in a second process while this one resolves and stores (pipeline.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from youcheng import __version__, config
from youcheng.errors import SourceError
from youcheng.model import SourceInfo
from youcheng.pipeline import PageReader
from youcheng.sources import wikimd
from youcheng.store import RegistryWriter

# Called with (source name, bytes read so far, total bytes of that page).
BuildProgress = Callable[[str, int, int], None]


@dataclass
class BuildReport:
    """What a build did: where it wrote, what it read, how many of each thing."""

    db: Path
    sources: list[SourceInfo] = field(default_factory=list)
    partnerships: int = 0
    places: int = 0
    anomalies: Counter[str] = field(default_factory=Counter)
    resolution: Counter[str] = field(default_factory=Counter)


def build_registry(pages: Sequence[Path] | None = None, db: Path | None = None,
                   progress: BuildProgress | None = None) -> BuildReport:
    """Build the registry at ``db`` from ``pages`` (default: the embedded seed page).

    The previous registry is replaced only when every page has been read:
    a page that cannot be read raises SourceError and leaves it untouched.
    """
    paths = list(pages) if pages else [config.seed_path()]
    target = db or config.default_db_path()
    names = [p.name for p in paths]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SourceError(f"two pages share the file name {duplicates[0]!r}; "
                          "source names must be unique because records cite them")
    report = BuildReport(target)
    # The reader may fork a parsing process: it does so before the database is opened.
    with PageReader(paths, progress) as reader, RegistryWriter(target, __version__) as writer:
        for path in paths:
            info = _build_page(path, reader, writer, report)
            writer.finish_source(info, wikimd.FORMAT)
            report.sources.append(info)
        resolution = reader.resolution()
        writer.add_anomalies(resolution.findings)
        report.anomalies.update(a.kind for a in resolution.findings)
        writer.add_places(resolution.places)
        report.places = len(resolution.places)
        report.resolution = resolution.methods
        writer.commit()
    return report


def _build_page(path: Path, reader: PageReader, writer: RegistryWriter,
                report: BuildReport) -> SourceInfo:
    total = path.stat().st_size if path.exists() else 0
    for rows, anomalies in reader.batches(path):
        writer.add_partnership_rows(path.name, rows)
        report.partnerships += len(rows)
        writer.add_anomalies(anomalies)
        report.anomalies.update(a.kind for a in anomalies)
    digest, line_count = reader.checksum(path)
    return SourceInfo(path.name, digest, line_count, total)
