"""The project's closed sets of words, each listed once: tiers, statuses, levels, formats,
statistics dimensions, name origins and anomaly kinds.

Every other module imports its list of allowed values from here: the CLI's options and the
API's parameters take these enums (so ``--help`` and ``/openapi.json`` list the same values),
the exports dispatch on them, and ``model``'s tuples are derived from them. Adding a value is
one line here. A ``StrEnum`` member is its string (``Tier.sister == "sister"``, formatted as
``sister``), so stored values, JSON and command lines hold plain words.

What cannot import Python is checked against these by ``tests/test_vocabulary.py``: the web
page's lists, and the kinds the readers and the resolver pass to their anomaly calls.
"""

from __future__ import annotations

from enum import StrEnum


def values(words: type[StrEnum]) -> tuple[str, ...]:
    """The plain strings of an enum, in its order: for membership tests, messages and choices."""
    return tuple(member.value for member in words)


def or_list(words: type[StrEnum]) -> str:
    """``a, b, c or d``: the values of an enum in a sentence (help texts, messages)."""
    *head, last = values(words)
    return f"{', '.join(head)} or {last}" if head else last


class Tier(StrEnum):
    """What kind of relationship a source states; statistics count ``sister`` unless asked otherwise."""

    sister = "sister"  # 友好城市 / 姐妹城市 / 友好省州
    exchange = "exchange"  # 友好交流城市 / 友好合作(交流)城市
    intent = "intent"  # 意向书 / 备忘录: a letter of intent or a memorandum
    domestic = "domestic"  # both sides in China


class TierFilter(StrEnum):
    """A tier filter (``--tier``, ``?tier=``): one tier, or ``all`` of them."""

    sister = Tier.sister
    exchange = Tier.exchange
    intent = Tier.intent
    domestic = Tier.domestic
    all = "all"


class Status(StrEnum):
    """A relationship's status (data/relationship_status.csv, rows a page strikes through)."""

    active = "active"  # where no source says otherwise
    suspended = "suspended"
    ended = "ended"


class Level(StrEnum):
    """The administrative level of a Chinese place (GB/T 2260)."""

    province = "province"  # 省级: provinces, autonomous regions, municipalities
    prefecture = "prefecture"  # 地级
    county = "county"  # 县级: counties, banners, county-level cities
    district = "district"  # 市辖区


# Levels from the widest to the narrowest, as listed: where one name fits places at several
# levels, a reader takes the widest (吉林 the province before the city).
LEVEL_RANK: dict[str, int] = {level.value: rank for rank, level in enumerate(Level)}


class StatDimension(StrEnum):
    """What ``stats`` and ``/api/stats`` count relationships by."""

    country = "country"  # the partner's, ISO 3166-1 alpha-2
    year = "year"  # signed
    province = "province"  # the Chinese side's
    level = "level"  # the Chinese side's (``Level``)


class ExportFormat(StrEnum):
    """File formats of ``youcheng export`` and ``/api/export/{fmt}``."""

    jsonl = "jsonl"
    csv = "csv"
    geojson = "geojson"
    graphml = "graphml"
    datapackage = "datapackage"  # a zip: datapackage.json and the CSV tables


class OutputFormat(StrEnum):
    """How a query command prints its answer (``--format``)."""

    table = "table"
    tsv = "tsv"
    json = "json"


class RenderFormat(StrEnum):
    """The markup ``youcheng render`` writes a province's table in."""

    wikitext = "wikitext"
    markdown = "markdown"


class SourceFormatName(StrEnum):
    """The built-in source formats' names (third-party formats add theirs through entry points)."""

    wikimd = "wikimd"  # the national list page in Markdown (the seed)
    wikimd_city = "wikimd-city"  # a city page's sister-city section in Markdown
    wikitext = "wikitext"  # raw MediaWiki sections
    enwiki_csv = "enwiki-csv"  # en-Wikipedia's twin-town lists as one CSV


class NameOrigin(StrEnum):
    """Where a place's name comes from, as stored (place_names.kind) and served (/api/places)."""

    written = "written"  # in the source, as text or link
    converted = "converted"  # to Simplified script by OpenCC
    romanised = "romanised"  # by pypinyin
    gazetteer = "gazetteer"  # GeoNames, GB/T 2260 and its English names, ISO 3166-2


class AnomalyKind(StrEnum):
    """What an anomaly says about its line; ``description`` says it in words (``youcheng check``)."""

    description: str

    def __new__(cls, value: str, description: str) -> AnomalyKind:
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member

    # Reading: a line or row the reader could not take as it stands.
    damaged_line = "damaged_line", "a line with invalid UTF-8 or NUL bytes, or a row or table too broken to read"
    unclosed_table = "unclosed_table", "an HTML table never closed; closed where the next one or a heading starts"
    nested_table = "nested_table", "a table inside a table; its rows are read as the outer table's"
    unknown_header = "unknown_header", "a table whose header names no partner column (or none youcheng knows)"
    extra_cells = "extra_cells", "a row with more cells than its table's header"
    unread_line = "unread_line", "text outside any row (prose, stray cells) that was not read as a relationship"
    skipped_row = "skipped_row", "a row that states no relationship (empty, a repeated header, outside China)"
    placeholder = "placeholder", "an empty placeholder row, not a relationship"
    no_partner = "no_partner", "a row that names the Chinese place, a date or a country, but no partner"
    no_partner_place = "no_partner_place", "a row that names the partner's country but no place in it"
    no_partner_named = "no_partner_named", "a section or page that names no partner in a table or list"
    invalid_date = "invalid_date", "a date that cannot be (month 13, 30 February, a year out of range)"
    unreadable_date = "unreadable_date", "a date cell or remark holding more or other than a date"
    unlinked_text = "unlinked_text", "plain text beside the partner's links, kept in its name"
    # Resolving: which place or country a row means.
    ambiguous_cn_place = "ambiguous_cn_place", "a Chinese name several GB/T 2260 divisions fit: listed, not guessed"
    unresolved_cn_place = "unresolved_cn_place", "a Chinese place that matches no GB/T 2260 division"
    unresolved_partner = "unresolved_partner", "a partner that matches no gazetteer city, region or curated place"
    unknown_country = "unknown_country", "a country as written that is no ISO 3166 country name"
    country_conflict = "country_conflict", "a partner listed under a country the gazetteer knows it nowhere in"
    duplicate_pair = "duplicate_pair", "a pair a source states again (one statement)"
    spelling_variants = "spelling_variants", "one place written several ways across the sources"


def anomaly_description(kind: str) -> str | None:
    """What an anomaly kind means; None for a kind youcheng does not know (a plug-in format's)."""
    return next((member.description for member in AnomalyKind if member == kind), None)


__all__ = ["AnomalyKind", "ExportFormat", "LEVEL_RANK", "Level", "NameOrigin", "OutputFormat", "RenderFormat",
           "SourceFormatName", "StatDimension", "Status", "Tier", "TierFilter", "anomaly_description",
           "or_list", "values"]
