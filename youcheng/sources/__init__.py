"""Source formats: one module per format, a registry of them, one entry point to read a file.

Every format is a module under ``youcheng/sources/`` exposing ``SOURCE_FORMAT``, an
object with a ``name``, a ``sniff`` and a ``read`` (``base.SourceFormat``). The
built-in ones are listed in ``BUILTIN_FORMATS``; other packages add theirs through
the ``youcheng.sources`` entry-point group, the way Datasette and sqlite-utils
take plugins::

    [project.entry-points."youcheng.sources"]
    myformat = "mypackage.myformat:SOURCE_FORMAT"

``read_page`` sniffs a file (or takes ``fmt``) and streams its records and anomalies.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from functools import lru_cache
from importlib.metadata import entry_points
from pathlib import Path

from youcheng.errors import ParseError, SourceError, UsageError
from youcheng.sources._reader import ProgressCallback
from youcheng.sources.base import Item, SourceContext, SourceFormat, sniff_head

__all__ = ["BUILTIN_FORMATS", "ENTRY_POINT_GROUP", "SourceContext", "SourceFormat", "detect",
           "format_names", "format_of", "formats", "get_format", "read_page"]

ENTRY_POINT_GROUP = "youcheng.sources"
# Built-in formats in the order they are sniffed: the strictest first, the seed's list
# page (which accepts any Markdown with province sections and tables) last.
BUILTIN_FORMATS: tuple[str, ...] = (
    "youcheng.sources.enwiki_csv",
    "youcheng.sources.wikitext",
    "youcheng.sources.citymd",
    "youcheng.sources.wikimd",
)


@lru_cache(maxsize=1)
def formats() -> tuple[SourceFormat, ...]:
    """Every registered format: the built-in ones, then the entry points', in sniffing order."""
    found: list[SourceFormat] = []
    for module_name in BUILTIN_FORMATS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue  # a built-in format not shipped in this version
        found.append(module.SOURCE_FORMAT)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        loaded = entry.load()
        if not isinstance(loaded, SourceFormat):
            raise SourceError(f"entry point {entry.name!r} ({entry.value}) of group "
                              f"{ENTRY_POINT_GROUP!r} is not a source format (needs name, sniff, read)")
        found.append(loaded)
    names = [f.name for f in found]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise SourceError(f"two source formats are named {repeated[0]!r}")
    return tuple(found)


def format_names() -> list[str]:
    """The registered formats' names, in sniffing order."""
    return [f.name for f in formats()]


def get_format(name: str) -> SourceFormat:
    """The format called ``name``; UsageError naming the known ones otherwise."""
    for fmt in formats():
        if fmt.name == name:
            return fmt
    raise UsageError(f"unknown source format {name!r}; known formats: {', '.join(format_names())}")


def detect(path: Path, name: str | None = None) -> tuple[SourceFormat, SourceContext]:
    """The format that reads ``path`` and the file's context.

    Raises SourceError when the file cannot be read, ParseError naming every format
    tried when none accepts it.
    """
    head = sniff_head(path)
    context = SourceContext.for_file(path, name, head)
    for fmt in formats():
        if fmt.sniff(head, path):
            return fmt, context
    raise ParseError(f"{context.path}: no source format reads this file (tried: "
                     f"{', '.join(format_names())}); pass --format NAME to read it as one of them")


def read_page(
    path: Path, name: str | None = None, progress: ProgressCallback | None = None,
    fast: bool = True, fmt: str | None = None,
) -> Iterator[Item]:
    """Stream the records and anomalies of one source file, reading it line by line.

    ``fmt`` names the format; by default the file's content picks it (``detect``).
    Raises SourceError (or ParseError, TooLarge) when the file cannot be read as a
    source at all; damage within it comes out as anomalies instead. ``fast=False``
    reads every line through the general state machine where a format has a faster
    path (the seed's; tests/test_fastpath.py holds the two together).
    """
    source = name or path.name
    try:
        source.encode("utf-8")
    except UnicodeEncodeError as exc:
        # Records cite their page by name, so the name must be text.
        raise SourceError(f"{source!r}: the file name is not valid UTF-8; rename the file") from exc
    if fmt is None:
        chosen, context = detect(path, source)
    else:
        chosen = get_format(fmt)
        context = SourceContext.for_file(path, source, sniff_head(path))
    return chosen.read(context, progress, fast)


def format_of(path: Path, fmt: str | None = None) -> str:
    """The name of the format that reads ``path`` (``fmt`` checked when given)."""
    return get_format(fmt).name if fmt is not None else detect(path)[0].name
