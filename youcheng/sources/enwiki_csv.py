"""en.wikipedia's twin-town lists as one CSV: ``city1,country1,city2,country2`` (format ``enwiki-csv``).

The Hekman/twincities project scraped the English Wikipedia's "List of twin towns
and sister cities in <country>" pages into rows of two cities and their countries;
the first pair is the city whose list entry it is, the second its partner. This
reader keeps the rows with a place of the People's Republic of China on either
side and turns each into a ``RawPartnership`` whose Chinese side is a GB/T 2260
division named in Chinese (上海市), so that it meets the zh-Wikipedia sources'
records for the same city.

Decisions, and why:

* Chinese side: a country written China, People's Republic of China, PRC or
  Mainland China, and also Hong Kong or Macau, which are special administrative
  regions of the PRC that GB/T 2260 (and the seed page, with 澳門) list as
  province-level divisions. Taiwan and "Republic of China" are not: their rows
  are partnerships of cities the PRC does not administer, outside this registry.
* Tier: the lists are of twin towns and sister cities, so a row is ``sister``;
  both sides in China is ``domestic``. The lists give no dates, so none is set.
* The English name is resolved by ``youcheng.resolve.china_en``; a name that
  fits several divisions equally well (Suzhou: 苏州市 or 宿州市) is an
  ``ambiguous_cn_place`` anomaly listing them, one that fits none an
  ``unresolved_cn_place`` anomaly: never a guess, never silently dropped.
* One pair, one statement: the same partnership is often listed on both
  countries' pages (Shanghai–Osaka from China's and Osaka–Shanghai from Japan's,
  spelt with or without diacritics or a ", Japan"). It is emitted once, at its
  first line; every repeat is an info ``duplicate_pair`` anomaly pointing there.
  A repeat whose Chinese name is ambiguous ("Suzhou") but whose pair is stated
  elsewhere with a name that is not ("Suzhou, Jiangsu") is such a repeat, not an
  ambiguity. The file is read twice to know this before the first record.
* Rows naming no Chinese place are out of scope: one info ``skipped_row``
  anomaly at the header line counts them instead of one anomaly each.
* Each line is parsed as CSV on its own (no place name holds a line break), so
  a stray quote damages one row and not the rest of the file.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from youcheng.errors import ParseError
from youcheng.model import Anomaly, RawPartnership, Tier
from youcheng.resolve.china import Division, divisions
from youcheng.resolve.china_en import Match, english_names
from youcheng.resolve.fold import latin_key
from youcheng.resolve.countries import country_code
from youcheng.sources._reader import ProgressCallback
from youcheng.sources.base import Item, SourceContext
from youcheng.vocabulary import AnomalyKind, SourceFormatName

FORMAT = SourceFormatName.enwiki_csv.value
# city1 / country_a / "Country 2": a city or country column and the side it is on.
_COLUMN = re.compile(r"(?P<kind>city|town|country)[ _-]?(?P<side>[12ab])", re.IGNORECASE)
_PLAIN_COLUMN = re.compile(r"[A-Za-z][A-Za-z0-9 _-]{0,39}")
_CHINESE_CODES = frozenset({"CN", "HK", "MO"})
# Names of the PRC and its SARs that the country table may lack (it has no "Macau").
_CHINA_NAMES = {latin_key(name): code for name, code in (
    ("China", "CN"), ("People's Republic of China", "CN"), ("PRC", "CN"), ("P.R. China", "CN"),
    ("Mainland China", "CN"), ("Hong Kong", "HK"), ("Hong Kong SAR", "HK"), ("Macau", "MO"),
    ("Macao", "MO"), ("Macau SAR", "MO"), ("Macao SAR", "MO"))}
# Generic words in a partner's parentheses that name its kind, not a containing place.
_KIND_WORDS = frozenset(latin_key(w) for w in (
    "district", "city", "county", "municipality", "town", "village", "region", "province",
    "prefecture", "state", "department", "communauté", "commune", "intercommunality",
    "rural gmina", "urban gmina", "gmina", "borough", "parish", "microregion"))
# lat1, lng_2, "elevation b": a column about one side (letters only after a separator).
_SIDED_COLUMN = re.compile(r"(?P<base>.+?)(?:[ _-]?(?P<side>[12])|[ _-](?P<side2>[ab]))", re.IGNORECASE)
_SPLIT_PLACE = re.compile(r"(?P<a>.+?)\s*\((?P<b>[^()]+)\)|(?P<c>.+?)\s+[–—-]\s+(?P<d>.+)")


@dataclass(frozen=True)
class _Columns:
    """Where a file's header puts each side's city and country, and its other columns."""

    cells: tuple[str, ...]
    city: tuple[int, int]
    country: tuple[int, int]
    sides: tuple[str, str]  # the side marks as written: "1", "2"


def header_columns(cells: list[str]) -> _Columns | None:
    """The columns of a header naming two cities and two countries, else None.

    Any other column must look like a column name (lat1, lng2, source): a line of
    prose or Markdown with commas in it is not a header.
    """
    found: dict[tuple[str, str], int] = {}
    for index, cell in enumerate(cells):
        name = cell.strip()
        match = _COLUMN.fullmatch(name)
        if match:
            kind = "country" if match["kind"].casefold() == "country" else "city"
            key = (kind, match["side"].casefold())
            if key in found:
                return None
            found[key] = index
        elif not _PLAIN_COLUMN.fullmatch(name):
            return None
    sides = sorted({side for _, side in found})
    if len(sides) != 2 or len(found) != 4:
        return None
    return _Columns(tuple(c.strip() for c in cells),
                    (found[("city", sides[0])], found[("city", sides[1])]),
                    (found[("country", sides[0])], found[("country", sides[1])]),
                    (sides[0], sides[1]))


def _cells(text: str) -> list[str] | None:
    """The CSV cells of one line, or None when its quoting is broken."""
    try:
        return next(csv.reader([text], strict=True), [])
    except csv.Error:
        return None


def _country(text: str) -> str | None:
    """ISO code of a country as written, also of "England, United Kingdom" (its last part)."""
    code = _CHINA_NAMES.get(latin_key(text)) or country_code(text)
    if code is None and "," in text:
        code = country_code(text.rpartition(",")[2])
    return code


def _place(city: str, country: str) -> tuple[str, str]:
    """City and country with a country suffix moved out of the city: "Varna, Bulgaria"."""
    city, country = city.strip(), country.strip()
    place, comma, tail = city.rpartition(",")
    if comma and place.strip() and tail.strip():
        code = _country(tail.strip())
        if code and (not country or code == _country(country)
                     or latin_key(tail) == latin_key(country)):
            return place.strip(), country or tail.strip()
    return city, country


def partner_key(name: str) -> tuple[str, str]:
    """What makes two spellings of a partner the same: the place's folded name and the
    containing place or region that qualifies it, if any ("Gangdong (Seoul)" and
    "Seoul – Gangdong" are ("gangdong", "seoul"), "Ōsaka" is ("osaka", ""), and the
    kind word of "Siegen-Wittgenstein (district)" is no qualifier)."""
    text = name.strip()
    found = _SPLIT_PLACE.fullmatch(text)
    if found and found["a"]:
        place, container = found["a"], found["b"]
    elif found:
        place, container = found["d"], found["c"]
    else:
        place, comma, container = text.partition(",")
        if not comma:
            place, container = text, ""
    outer = latin_key(container)
    return latin_key(place), "" if outer in _KIND_WORDS else outer


def _same_qualifier(a: str, b: str) -> bool:
    """Qualifiers of one partner as two pages write them: "Bayside" = "Bayside, Victoria",
    "Alsergrund (Vienna)" = "Vienna 9 – Alsergrund"; not "Córdoba, Bolívar" = "Córdoba, Nariño"."""
    return not a or not b or a.startswith(b) or b.startswith(a)


@dataclass(frozen=True)
class _Row:
    """A kept row: its Chinese side's match and its partner, ready to become a record."""

    line: int
    text: str
    cn_written: str
    match: Match
    partner: str
    partner_country: str
    partner_match: Match | None  # domestic rows: the partner is a Chinese place too
    listed_in: str
    others: tuple[tuple[str, str], ...]

    @property
    def domestic(self) -> bool:
        return self.partner_match is not None

    def keys(self, code: str) -> set[tuple[str, str]]:
        """The pair as both cities' pages state it (a domestic pair in either order), by the
        partner's name without and with its qualifier ("Washington, D.C." = "Washington D.C.");
        the qualifier and country are compared apart, see ``_stated``."""
        other = self.partner_match.division if self.partner_match else None
        if other is not None:
            return {(min(code, other.code), max(code, other.code))}
        return {(code, partner_key(self.partner)[0]), (code, latin_key(self.partner))}

    @property
    def qualifier(self) -> str:
        return "" if self.domestic else partner_key(self.partner)[1]


class _Reader:
    """Both passes over one file; the first only learns which pairs are stated resolved."""

    def __init__(self, context: SourceContext) -> None:
        self.context = context
        self.names = english_names()
        self.columns: _Columns | None = None
        self.header_line = 1
        self.skipped = 0
        self.taiwan = 0
        self.first_skipped = 0
        # (division code, partner key) -> [(first line, partner country code, qualifier)]
        self.pairs: dict[tuple[str, str], list[tuple[int, str | None, str]]] = {}

    def rows(self, progress: ProgressCallback | None, counting: bool) -> Iterator[_Row | Anomaly]:
        """Kept rows and the anomalies of the others, in file order (the header checked)."""
        self.columns = None
        for line in self.context.lines(progress):
            if line.problem:
                yield self.context.anomaly(line.number, AnomalyKind.damaged_line, line.problem, line.text)
            if not line.text.strip():
                continue
            cells = _cells(line.text)
            if self.columns is None:
                self.columns = header_columns(cells or [])
                if self.columns is None:
                    raise ParseError(f"{self.context.path}: line {line.number} is not a header naming "
                                     "two city and two country columns (city1,country1,city2,country2)")
                self.header_line = line.number
                continue
            if cells is None:
                yield self.context.anomaly(line.number, AnomalyKind.damaged_line,
                                           "the row's quoting is broken: not read", line.text)
                continue
            width = len(self.columns.cells)
            if len(cells) != width:
                kind = AnomalyKind.extra_cells if len(cells) > width else AnomalyKind.damaged_line
                yield self.context.anomaly(line.number, kind, f"the row has {len(cells)} cells, the "
                                           f"header {width}: not read", line.text)
                continue
            if tuple(c.strip() for c in cells) == self.columns.cells:
                yield self.context.anomaly(line.number, AnomalyKind.skipped_row, "the header repeated",
                                           line.text, severity="info")
                continue
            row = self._row(line.number, line.text, cells, counting)
            if row is not None:
                yield row

    def _row(self, number: int, text: str, cells: list[str], counting: bool) -> _Row | None:
        assert self.columns is not None
        cols = self.columns
        sides = [_place(cells[cols.city[i]], cells[cols.country[i]]) for i in (0, 1)]
        chinese = [_country(country) in _CHINESE_CODES for _, country in sides]
        if not any(chinese):
            if counting:
                self.skipped += 1
                self.first_skipped = self.first_skipped or number
                self.taiwan += any(_country(c) == "TW" for _, c in sides)
            return None
        cn = 0 if chinese[0] else 1
        if all(chinese) and self._match(*sides[0]).status != "resolved" \
                and self._match(*sides[1]).status == "resolved":
            cn = 1  # domestic: the side that resolves is the one recorded as Chinese
        other = 1 - cn
        suffix = {cols.sides[cn]: "cn_", cols.sides[other]: "partner_"}
        named = set(cols.city) | set(cols.country)
        others = []
        for index, column in enumerate(cols.cells):
            if index in named or not cells[index].strip():
                continue
            sided = _SIDED_COLUMN.fullmatch(column)
            side = (sided["side"] or sided["side2"]).casefold() if sided else ""
            base = sided["base"] if sided and side in suffix else column
            others.append((suffix.get(side, "") + base, cells[index].strip()))
        return _Row(number, text, sides[cn][0], self._match(*sides[cn]),
                    sides[other][0], sides[other][1],
                    self._match(*sides[other]) if all(chinese) else None,
                    cells[cols.country[0]].strip(), tuple(others))

    def _match(self, city: str, country: str) -> Match:
        """The Chinese side's division; a place outside the SAR its row names is no match."""
        found = self.names.match(city)
        code = _country(country)
        if found.division is not None and code in ("HK", "MO"):
            sar = {"HK": "810000", "MO": "820000"}[code]
            if found.division.province_code != sar:
                return Match("unresolved", reason=f"{city!r} is not a place of {country}")
        return found

    def learn(self) -> None:
        """First pass: the pairs stated with a resolved Chinese side, and where first."""
        for item in self.rows(None, counting=True):
            if isinstance(item, _Row) and item.match.division is not None and item.partner:
                code = item.match.division.code
                if self._first(item, code) is None:
                    country = _country(item.partner_country)
                    for key in item.keys(code):
                        self.pairs.setdefault(key, []).append((item.line, country, item.qualifier))

    def _first(self, row: _Row, code: str) -> int | None:
        """The first line stating the row's pair with the Chinese side ``code``, if any."""
        country = _country(row.partner_country)
        lines = [line for key in row.keys(code)
                 if (line := _stated(self.pairs.get(key, []), country, row.qualifier)) is not None]
        return min(lines, default=None)

    def read(self, progress: ProgressCallback | None) -> Iterator[Item]:
        self.learn()
        if self.skipped:
            tw = f", {self.taiwan} of them in Taiwan" if self.taiwan else ""
            yield self.context.anomaly(
                self.header_line, AnomalyKind.skipped_row, f"{self.skipped} rows name no place of the People's "
                f"Republic of China{tw}: outside this registry, not read (first at line "
                f"{self.first_skipped})",
                severity="info")
        # Repeats of statements that resolve to no division: (written name, partner key) -> line.
        unresolved: dict[tuple[str, str], int] = {}
        for item in self.rows(progress, counting=False):
            if isinstance(item, Anomaly):
                yield item
            else:
                yield self._item(item, unresolved)

    def _item(self, row: _Row, unresolved: dict[tuple[str, str], int]) -> Item:
        ctx = self.context
        if not row.partner:
            return ctx.anomaly(row.line, AnomalyKind.no_partner, f"{row.cn_written!r} has no partner city",
                               row.text)
        division = row.match.division
        if division is not None:
            first = self._first(row, division.code)
            if first is not None and first != row.line:
                return self._repeat(row, first, division.name)
            return self._record(row, division)
        merged = [(c, line) for c in row.match.candidates
                  if (line := self._first(row, c.code)) is not None]
        if len(merged) == 1:
            return self._repeat(row, merged[0][1], merged[0][0].name)
        seen = (latin_key(row.cn_written), "|".join(partner_key(row.partner)))
        if seen in unresolved:
            return self._repeat(row, unresolved[seen], row.cn_written)
        unresolved[seen] = row.line
        partner = f"{row.partner} ({row.partner_country or 'country not given'})"
        if row.match.status == "ambiguous":
            return ctx.anomaly(row.line, AnomalyKind.ambiguous_cn_place,
                               f"{row.cn_written!r} (partner {partner}) could be any of "
                               f"{row.match.describe()}: not guessed", row.text)
        return ctx.anomaly(row.line, AnomalyKind.unresolved_cn_place,
                           f"{row.match.reason} (partner {partner})", row.text)

    def _repeat(self, row: _Row, first: int, cn_name: str) -> Anomaly:
        return self.context.anomaly(
            row.line, AnomalyKind.duplicate_pair, f"{cn_name} – {row.partner} repeats the pair of line "
            f"{first} (listed again, as from the other city's page): one statement", row.text,
            severity="info")

    def _record(self, row: _Row, division: Division) -> RawPartnership:
        table = divisions()
        extra: list[tuple[str, str]] = [("cn_name_en", row.cn_written), ("cn_code", division.code)]
        tier: Tier = "sister"
        if row.partner_match is not None:
            tier = "domestic"
            if row.partner_match.division is not None:
                extra.append(("partner_cn_name", row.partner_match.division.name))
        extra.append(("listed_in", row.listed_in))
        extra.extend(row.others)
        return RawPartnership(
            source=self.context.name, line=row.line,
            section=table.by_code[division.province_code].name, cn_name=division.name, cn_links=(),
            partner_name=row.partner, partner_links=(), country_text=row.partner_country or None,
            country_link=None, date=None, date_text=None, note=None, cn_line=row.line, tier=tier,
            extra=tuple(extra))


def _stated(entries: list[tuple[int, str | None, str]], country: str | None,
            qualifier: str) -> int | None:
    """The first line stating the pair with a compatible partner: the same country (an
    unknown one fits any) and the same or no qualifier."""
    for line, code, written in entries:
        if (code is None or country is None or code == country) and _same_qualifier(written, qualifier):
            return line
    return None


class EnwikiCsvFormat:
    """The twin-town CSV: a header naming two city and two country columns, one pair a row."""

    name = FORMAT
    description = ("en.wikipedia's twin-town lists as a CSV of city1,country1,city2,country2 "
                   "(Hekman/twincities); keeps the rows with a Chinese side")

    def sniff(self, head: str, path: Path) -> bool:
        """The first line is a CSV header naming two city and two country columns."""
        first = head.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
        if "," not in first or first.lstrip().startswith(("<", "#", "|", "{", "=")):
            return False
        cells = _cells(first)
        return cells is not None and header_columns(cells) is not None

    def read(self, context: SourceContext, progress: ProgressCallback | None = None,
             fast: bool = True) -> Iterator[Item]:
        return _Reader(context).read(progress)


SOURCE_FORMAT = EnwikiCsvFormat()

__all__ = ["FORMAT", "SOURCE_FORMAT", "EnwikiCsvFormat", "header_columns", "partner_key"]
