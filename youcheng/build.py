"""Build a registry: sources -> parse -> resolve -> store, in one streaming pass.

Pages are read line by line and rows are written in batches, so memory grows
with the number of distinct places, not with the size of the pages. Large pages
are parsed in a second process while this one resolves and stores (pipeline.py).
Each file's format is decided before anything is written (``youcheng.sources``),
so a file no format reads fails the build at once and the old registry stays.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from youcheng import __version__
from youcheng.catalog import default_sources, entry_for
from youcheng.errors import SourceError
from youcheng.model import SourceInfo
from youcheng.pipeline import PageReader
from youcheng.resolve.records import spelling_findings
from youcheng.sources import detect, get_format
from youcheng.sources.base import SourceFile, sniff_head, source_comment
from youcheng.store import RegistryWriter

# Called with (source name, bytes read so far, total bytes of that page).
BuildProgress = Callable[[str, int, int], None]
_LICENCE = re.compile(r"CC[ -]BY(?:[ -]SA)?(?:[ -]\d\.\d)?", re.I)


@dataclass
class BuildReport:
    """What a build did: where it wrote, what it read, how many of each thing."""

    db: Path
    sources: list[SourceInfo] = field(default_factory=list)
    partnerships: int = 0
    places: int = 0
    anomalies: Counter[str] = field(default_factory=Counter)
    resolution: Counter[str] = field(default_factory=Counter)


def build_registry(pages: Sequence[Path | SourceFile] | None = None, db: Path | None = None,
                   progress: BuildProgress | None = None, *, fmt: str | None = None,
                   allow_empty: bool = False) -> BuildReport:
    """Build the registry at ``db`` from ``pages`` (default: every embedded source).

    ``fmt`` reads every page as that format instead of sniffing each. The previous
    registry is replaced only when every page has been read: a page that cannot be
    read raises SourceError and leaves it untouched. So does a page that gives no
    record and no anomaly, or a build that would hold no relationship at all, unless
    ``allow_empty``: a registry is never replaced by less without being asked.
    """
    from youcheng import config

    given = [SourceFile.of(p) for p in pages] if pages else default_sources()
    names = [s.name for s in given]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SourceError(f"two pages share the file name {duplicates[0]!r}; "
                          "source names must be unique because records cite them")
    sources = _planned(given, fmt)
    target = db or config.default_db_path()
    report = BuildReport(target)
    # The reader may fork a parsing process: it does so before the database is opened.
    with PageReader(sources, progress) as reader, RegistryWriter(target, __version__) as writer:
        for source in sources:
            info = _build_page(source, reader, writer, report)
            if not allow_empty and info.records == 0 and info.anomalies == 0:
                raise SourceError(f"{source.path}: read as {info.format}, it gave no relationship and "
                                  "no anomaly; the registry was left as it was (--allow-empty builds anyway)")
            writer.finish_source(info, info.format)
            report.sources.append(info)
        if not allow_empty and report.partnerships == 0:
            raise SourceError("the sources gave no relationship at all; the registry was left as it "
                              "was (--allow-empty builds an empty one)")
        resolution = reader.resolution()
        reader.close()  # its caches are not needed any more: their memory serves the indexes
        writer.add_place_batch(resolution.places)
        findings = [*resolution.findings, *spelling_findings(writer.spellings())]
        writer.add_anomalies(findings)
        report.anomalies.update(a.kind for a in findings)
        report.resolution = resolution.methods
        writer.commit()
        report.places = writer.places_written
    return report


def _planned(pages: Sequence[Path | SourceFile], fmt: str | None) -> list[SourceFile]:
    """Each page with its format decided: ``fmt`` if given, else the one its content shows.

    Raises SourceError / ParseError for the first page that cannot be read or that no
    format accepts, before the build opens anything.
    """
    planned = []
    for page in pages:
        source = SourceFile.of(page)
        if source.format is not None:
            chosen = get_format(source.format).name
        elif fmt is not None:
            chosen = get_format(fmt).name
            sniff_head(source.path)  # the same errors for a missing or binary file
        else:
            chosen = detect(source.path, source.name)[0].name
        planned.append(source._replace(format=chosen))
    return planned


def _build_page(source: SourceFile, reader: PageReader, writer: RegistryWriter,
                report: BuildReport) -> SourceInfo:
    path = source.path
    total = path.stat().st_size if path.exists() else 0
    records = anomalies = 0
    for rows, found, places in reader.batches(path):
        writer.add_partnership_rows(source.name, rows)
        writer.add_place_batch(places)
        records += len(rows)
        writer.add_anomalies(found)
        anomalies += len(found)
        report.anomalies.update(a.kind for a in found)
    report.partnerships += records
    digest, line_count = reader.checksum(path)
    origin, snapshot, licence, attribution = _provenance(path)
    return SourceInfo(source.name, digest, line_count, total, source.format or "", records, anomalies,
                      origin, snapshot, licence, attribution)


def _provenance(path: Path) -> tuple[str | None, str | None, str | None, str | None]:
    """Where a file is from, its date, licence and attribution: the catalog's for an
    embedded file, refined by the file's own ``<!-- source: … -->`` line."""
    entry = entry_for(path)
    try:
        comment = source_comment(sniff_head(path))
    except SourceError:
        comment = None
    licence = _LICENCE.search(comment) if comment else None
    if entry is None:
        return comment, None, licence.group(0) if licence else None, None
    return (comment or entry.origin, entry.snapshot, licence.group(0) if licence else entry.licence,
            entry.attribution)
