"""Build a registry: sources -> parse -> resolve -> store, in one streaming pass.

Pages are read line by line and rows are written in batches, so memory grows
with the number of distinct places, not with the size of the pages.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from youcheng import __version__, config
from youcheng.errors import SourceError
from youcheng.model import Anomaly, RawPartnership, SourceInfo
from youcheng.resolve.records import RecordResolver
from youcheng.sources import read_page, wikimd
from youcheng.store import RegistryWriter

# Called with (source name, bytes read so far, total bytes of that page).
BuildProgress = Callable[[str, int, int], None]
_ANOMALY_BATCH = 1000


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
    resolver = RecordResolver()
    with RegistryWriter(target, __version__) as writer:
        for path in paths:
            info = _build_page(path, writer, resolver, report, progress)
            writer.finish_source(info, wikimd.FORMAT)
            report.sources.append(info)
        findings = list(resolver.findings())
        writer.add_anomalies(findings)
        report.anomalies.update(a.kind for a in findings)
        writer.add_places(resolver.places.values())
        report.places = len(resolver.places)
        report.resolution = resolver.methods
        writer.commit()
    return report


def _build_page(path: Path, writer: RegistryWriter, resolver: RecordResolver,
                report: BuildReport, progress: BuildProgress | None) -> SourceInfo:
    total = path.stat().st_size if path.exists() else 0
    on_bytes = (lambda done: progress(path.name, done, total)) if progress else None
    pending: list[Anomaly] = []
    for item in read_page(path, progress=on_bytes):
        if isinstance(item, RawPartnership):
            writer.add_partnership(resolver.resolve(item))
            report.partnerships += 1
        else:
            pending.append(item)
            report.anomalies[item.kind] += 1
            if len(pending) >= _ANOMALY_BATCH:
                writer.add_anomalies(pending)
                pending.clear()
    writer.add_anomalies(pending)
    digest, line_count = _checksum(path)
    return SourceInfo(path.name, digest, line_count, total)


def _checksum(path: Path) -> tuple[str, int]:
    sha = hashlib.sha256()
    newlines = 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            sha.update(chunk)
            newlines += chunk.count(b"\n")
    return sha.hexdigest(), newlines
