"""Records that travel between the stages: parse -> resolve -> store -> query.

They are frozen dataclasses so a stage cannot change what an earlier one saw;
a later stage makes a new record with ``dataclasses.replace``. ``Link`` is a named
tuple, as immutable: a build hashes tuples of links several times per row, and a
tuple's hash is computed in C where a dataclass's is a Python call per link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from youcheng import vocabulary

DatePrecision = Literal["day", "month", "year"]
Severity = Literal["error", "warning", "info"]
# A tier as the readers write it (see vocabulary.Tier for what each means): a Literal of the
# same words in its order (tests/test_vocabulary.py), not the enum, because a large build sends
# each row out of its page-parsing process with marshal (pipeline._Encoder), which refuses an
# enum member; rows must hold the plain word until that encoder converts it.
Tier = Literal["sister", "exchange", "intent", "domestic"]
TIERS = vocabulary.values(vocabulary.Tier)
STATUSES = vocabulary.values(vocabulary.Status)


class Link(NamedTuple):
    """A wiki link as the page shows it (``text``) and where it points (``target``)."""

    text: str
    target: str


@dataclass(frozen=True)
class PartialDate:
    """A date at the precision the source gives: ``1979-03-14``, ``2013-12`` or ``1986``."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> DatePrecision:
        if self.day is not None:
            return "day"
        if self.month is not None:
            return "month"
        return "year"

    def iso(self) -> str:
        """ISO 8601 at the date's own precision, never padded with invented parts."""
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"


class RawPartnership(NamedTuple):
    """One relationship exactly as a source page states it, before resolution.

    ``line`` is 1-based and points at the partner (the partner's ``<td>`` in HTML
    tables, the row in pipe tables) so a reader can check the record by eye.

    A named tuple, immutable like the frozen records here: a build makes one per row in
    the parser and again in the build process (``pipeline``), and a tuple is built in C
    where a frozen dataclass sets each field through ``object.__setattr__``.
    """

    source: str
    line: int
    section: str
    cn_name: str
    cn_links: tuple[Link, ...]
    partner_name: str | None
    partner_links: tuple[Link, ...]
    country_text: str | None
    country_link: str | None
    date: PartialDate | None
    date_text: str | None
    note: str | None
    cn_line: int
    tier: Tier = "sister"
    # Columns a source gives beyond these, as (name, value): 签字地点 -> signing place,
    # 中方签字人 -> signatory, the English names of a CSV row...
    extra: tuple[tuple[str, str], ...] = ()

    @property
    def cn_link(self) -> str | None:
        """Target of the most specific Chinese-side link (the last one)."""
        return self.cn_links[-1].target if self.cn_links else None

    @property
    def partner_link(self) -> str | None:
        """Target of the most specific partner link (``新宿區`` in 東京都新宿區)."""
        return self.partner_links[-1].target if self.partner_links else None


@dataclass(frozen=True, slots=True)  # slots: a noisy page makes millions
class Anomaly:
    """A row or line that was skipped or only partly understood, with where it is."""

    source: str
    line: int
    kind: str
    severity: Severity
    message: str
    text: str = ""


@dataclass(frozen=True)
class Partnership:
    """A stored relationship: the raw facts plus identity and resolved fields.

    ``extra`` holds fields added by the resolution stage; the export writes them
    as columns after the core fields.
    """

    id: str
    raw: RawPartnership
    country: str | None
    cn_id: str
    partner_id: str | None
    extra: dict[str, object] = field(default_factory=dict)


class AttestationRow(NamedTuple):
    """One attestation as the ``partnerships`` table stores it: the one definition of that row.

    Its first fields are what the source states (``store.raw_columns``), the rest what
    resolution adds (``resolve.records.ResolvedFields``, from ``id`` on). The store's
    column list is ``AttestationRow._fields``; a build inserts these tuples as they are.
    """

    source: str
    line: int
    section: str
    cn_name: str
    cn_link: str | None
    cn_line: int
    partner_name: str | None
    partner_link: str | None
    partner_links: str  # JSON array of every partner link target, outermost first
    country_text: str | None
    date: str | None  # ISO 8601 at its precision
    date_precision: str | None
    date_text: str | None
    year: int | None
    note: str | None
    tier: str
    extra: str | None  # JSON object of the source's other columns
    id: str
    country: str | None
    cn_id: str
    partner_id: str | None
    country_inferred: bool
    country_method: str | None
    cn_name_simplified: str
    partner_name_simplified: str | None
    cn_level: str | None
    province: str | None
    relationship_id: str


# Where the resolved fields start in an AttestationRow: what precedes is read off the page.
RESOLVED_FROM = AttestationRow._fields.index("id")


@dataclass(frozen=True)
class SourceInfo:
    """A page that went into a build: its name, checksum and size, what it gave, where it is from."""

    name: str
    sha256: str
    lines: int
    bytes: int
    format: str = ""
    records: int = 0
    anomalies: int = 0
    origin: str | None = None
    snapshot: str | None = None
    licence: str | None = None
    attribution: str | None = None


@dataclass(frozen=True)
class SourceRow:
    """A source of a built registry as ``youcheng sources`` and ``/api/sources`` list it."""

    name: str
    format: str
    records: int
    anomalies: int
    lines: int
    bytes: int
    sha256: str
    snapshot: str | None
    licence: str | None
    attribution: str | None
    origin: str | None


# Where a place's name comes from (vocabulary.NameOrigin).
NAME_ORIGINS = vocabulary.values(vocabulary.NameOrigin)


@dataclass(frozen=True, slots=True)  # slots: a build's plan caches hold many
class Place:
    """A place on either side of a relationship, with every name it is known by.

    ``names`` pairs each name with where it comes from (one of ``NAME_ORIGINS``); the
    store indexes them all so a query in any script finds it.
    """

    id: str
    side: Literal["cn", "foreign"]
    name: str
    link: str | None = None
    country: str | None = None
    names: tuple[tuple[str, str], ...] = ()
    name_simplified: str | None = None
    name_pinyin: str | None = None
    name_en: str | None = None
    kind: str | None = None
    code: str | None = None
    province: str | None = None
    subdivision: str | None = None
    geonames_id: int | None = None
    lat: float | None = None
    lon: float | None = None
    parent_id: str | None = None
    resolution: str | None = None


class PlaceName(NamedTuple):
    """One name of a place and where it comes from (one of ``NAME_ORIGINS``), as the resolver
    hands it to the store; with ``converted``, its Simplified form is a name too (origin
    "converted"). Its search key and Simplified form come along when worked out already (a
    build's parsing process works them out for the names its rows write: ``fold.NameForms``);
    else the store works them out beside the build rather than in the resolver's loop."""

    place_id: str
    name: str
    origin: str
    converted: bool = False
    key: str | None = None  # search_key(name)
    simplified: str | None = None  # to_simplified(name), given with key when converted
    simplified_key: str | None = None  # search_key(simplified)


class Spelling(NamedTuple):
    """How a row writes a foreign place, and where first: a place written two ways or more is
    a ``spelling_variants`` finding at the end of the build."""

    place_id: str
    written: str
    source: str
    line: int


class PlaceBatch(NamedTuple):
    """What the resolver learnt about places since it last handed them over: places met for
    the first time (their ``names`` empty), names, spellings. Repeats are allowed, the first
    of each wins; the store writes them as they come, so no build holds every place."""

    places: list[Place]
    names: list[PlaceName]
    spellings: list[Spelling]


@dataclass(slots=True)
class Record:
    """One relationship as exported and returned by queries (the export fields).

    Field order is the column order of ``youcheng export --format csv``. The one record here
    that is not frozen: it is what a query hands back (nothing downstream of it changes it),
    and a query builds thousands at a time, where a frozen dataclass's ``__init__`` (each of
    its 40 fields set through ``object.__setattr__``) cost 4 us a record against 0.4 us.
    """

    id: str
    source: str
    line: int
    section: str
    cn_name: str
    partner_name: str | None
    partner_link: str | None
    country_text: str | None
    country: str | None
    date: str | None
    date_precision: str | None
    note: str | None
    cn_link: str | None
    cn_id: str
    partner_links: list[str]
    date_text: str | None
    cn_code: str | None
    cn_name_simplified: str
    cn_pinyin: str | None
    cn_name_en: str | None
    cn_level: str | None
    cn_province: str | None
    cn_lat: float | None
    cn_lon: float | None
    partner_id: str | None
    partner_name_simplified: str | None
    partner_name_en: str | None
    partner_kind: str | None
    partner_geonames_id: int | None
    partner_subdivision: str | None
    partner_lat: float | None
    partner_lon: float | None
    partner_parent_id: str | None
    country_inferred: bool
    country_method: str | None
    resolution: str | None
    tier: str
    extra: dict[str, str]
    relationship_id: str  # the relationship this record (one source's statement) attests
    status: str  # that relationship's status: active, suspended or ended


@dataclass(frozen=True)
class PlaceHit:
    """A search result: a place, the name that matched, and how many partnerships it has."""

    id: str
    side: str
    name: str
    matched: str
    country: str | None
    partnerships: int


@dataclass(frozen=True)
class StatRow:
    """One bar of a ``stats`` breakdown: the group key, its label and its count."""

    key: str | None
    label: str | None
    count: int


@dataclass(frozen=True)
class UnplacedPlace:
    """A place the map cannot draw (no coordinates), with how far resolution got.

    The web page's data-quality view lists these beside the anomalies, so a
    reader sees which names still need a gazetteer entry.
    """

    id: str
    side: str
    name: str
    country: str | None
    resolution: str | None
    partnerships: int
