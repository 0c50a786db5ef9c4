"""What every source format provides: a name, a ``sniff`` and a ``read``.

A format is one module under ``youcheng/sources/`` holding one ``SourceFormat``
object. ``youcheng.sources`` keeps the registry (built-in formats by name, and
third-party ones through the ``youcheng.sources`` entry-point group); a build
asks it which format reads a file and then calls that format's ``read``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Protocol, runtime_checkable

from youcheng import config
from youcheng.model import Anomaly, RawPartnership
from youcheng.sources._reader import Block, Line, ProgressCallback, read_lines

Item = RawPartnership | Anomaly

# How many characters of a file a format's ``sniff`` is shown.
SNIFF_CHARS = 16384
# ``<!-- source: REPO PATH commit SHA (licence) -->``: the first line of a harvested section.
_SOURCE_COMMENT = re.compile(r"<!--\s*source:\s*(?P<text>.*?)\s*-->")
_TITLE_IN_PATH = re.compile(r"(?:^|/)(?P<title>[^/\s]+?)\.(?:md|wikitext|txt)\b")


class SourceFile(NamedTuple):
    """A file to build from: where it is, the name its records cite, its format (None: sniffed)."""

    path: Path
    name: str
    format: str | None = None

    @classmethod
    def of(cls, item: Path | SourceFile) -> SourceFile:
        """``item`` as a SourceFile: a bare path is cited by its file name, its format sniffed."""
        return item if isinstance(item, SourceFile) else cls(item, item.name)


@dataclass(frozen=True)
class SourceContext:
    """What a format knows about the file it reads besides its text.

    ``name`` is what every record and anomaly cites as its source; ``subject`` is
    the title of the page the file was taken from (from its ``<!-- source: … -->``
    line, else the file name without its extension): a city page's rows name
    their partners only, the Chinese side is the page's subject.
    """

    path: Path
    name: str
    subject: str
    origin: str | None = None  # the ``<!-- source: … -->`` text, when the file has one

    @classmethod
    def for_file(cls, path: Path, name: str | None = None, head: str = "") -> SourceContext:
        """The context of ``path``; ``head`` is its first characters (see ``sniff_head``)."""
        origin = source_comment(head)
        subject = path.stem
        if origin:
            found = _TITLE_IN_PATH.search(origin)
            if found:
                subject = found.group("title")
        return cls(path, name or path.name, subject, origin)

    def lines(self, progress: ProgressCallback | None = None) -> Iterator[Line]:
        """The file's lines with the build's limits applied, damage reported on ``Line.problem``.

        Raises SourceError / TooLarge as every format's read does for an unreadable file.
        """
        for item in read_lines(self.path, max_page_bytes=config.get_int("max_page_bytes"),
                               max_line_chars=config.get_int("max_line_chars"),
                               progress=progress, blocks=False):
            assert not isinstance(item, Block)
            yield item

    def anomaly(self, line: int, kind: str, message: str, text: str = "",
                severity: str = "warning") -> Anomaly:
        """An anomaly of this source (``kind``: a ``vocabulary.AnomalyKind``, or a plug-in format's own).

        The kind is kept as a plain ``str``: a large build sends anomalies out of its page-parsing
        process with ``marshal``, which refuses a ``str`` subclass such as an enum member.
        """
        return Anomaly(self.name, line, str(kind), severity, message, text[:500])  # type: ignore[arg-type]


@runtime_checkable
class SourceFormat(Protocol):
    """One source format: registered by ``name``, chosen by ``sniff``, read by ``read``."""

    name: str
    description: str

    def sniff(self, head: str, path: Path) -> bool:
        """Whether a file whose first ``SNIFF_CHARS`` characters are ``head`` is of this format.

        Cheap and strict: a wrong yes would read another format's file as this one.
        """
        ...

    def read(self, context: SourceContext, progress: ProgressCallback | None = None,
             fast: bool = True) -> Iterator[Item]:
        """The relationships and anomalies the file states, in file order.

        Raises SourceError (or ParseError, TooLarge) when the file cannot be read
        at all; damage within it comes out as anomalies, never silently dropped.
        """
        ...


def sniff_head(path: Path) -> str:
    """The first non-blank lines of ``path``, about ``SNIFF_CHARS`` characters of them.

    Read through the build's line reader, so a missing, empty, binary or oversized
    file raises the same SourceError here as it would while being read.
    """
    parts: list[str] = []
    size = 0
    lines = read_lines(path, max_page_bytes=config.get_int("max_page_bytes"),
                       max_line_chars=config.get_int("max_line_chars"), blocks=False)
    try:
        for line in lines:
            assert not isinstance(line, Block)
            if not line.text.strip():
                continue
            parts.append(line.text)
            size += len(line.text) + 1
            if size >= SNIFF_CHARS:
                break
    finally:
        close = getattr(lines, "close", None)
        if close is not None:
            close()
    return "\n".join(parts)[:SNIFF_CHARS]


def source_comment(head: str) -> str | None:
    """The text of a ``<!-- source: … -->`` line among the first lines of ``head``."""
    for line in head.splitlines()[:5]:
        found = _SOURCE_COMMENT.search(line)
        if found:
            return found.group("text")
    return None




__all__ = ["Item", "SNIFF_CHARS", "SourceContext", "SourceFile", "SourceFormat", "sniff_head", "source_comment"]
