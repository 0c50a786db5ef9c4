"""What the seed registry must hold, in one place, counted from the hand-checked fixtures.

Tests compare youcheng's answers on the seed page with these figures instead of literals,
so a change of the seed or of the gold files moves every expectation at once, and no
expectation is ever taken from the code under test: this module reads only
``fixtures/seed_gold.tsv`` (the page's rows), ``fixtures/seed_partners_reference.csv``
(who each partner is) and ``fixtures/seed_counts.toml`` (what neither says), never youcheng.
"""

from __future__ import annotations

import csv
import math
import tomllib
from collections import Counter
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
GOLD = FIXTURES / "seed_gold.tsv"
REFERENCE = FIXTURES / "seed_partners_reference.csv"
COUNTS = FIXTURES / "seed_counts.toml"

Row = dict[str, str]


def _gold() -> list[Row]:
    with GOLD.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _reference_by_line() -> dict[str, Row]:
    """The reference's partner of each page line (a row names every line it stands for)."""
    with REFERENCE.open(encoding="utf-8", newline="") as handle:
        return {line: row for row in csv.DictReader(handle) for line in row["lines"].split()}


GOLD_ROWS = _gold()
_REFERENCE = _reference_by_line()
_COUNTS = tomllib.loads(COUNTS.read_text(encoding="utf-8"))
_COUNTRY_ONLY: dict[str, str] = _COUNTS["country_only_rows"]

# Every gold row is a partner of the reference or a row that names a country only.
_LINES = {r["line"] for r in GOLD_ROWS}
if _LINES != set(_REFERENCE) | set(_COUNTRY_ONLY):
    raise AssertionError(f"{GOLD.name}, {REFERENCE.name} and {COUNTS.name} disagree on the lines "
                         f"{sorted(_LINES ^ (set(_REFERENCE) | set(_COUNTRY_ONLY)))}")


def _country(row: Row) -> str:
    """The partner country of a gold row (ISO 3166-1 alpha-2)."""
    partner = _REFERENCE.get(row["line"])
    return partner["country"] if partner else _COUNTRY_ONLY[row["line"]]


def _partner(row: Row) -> tuple[str, ...]:
    """The partner place of a gold row: its GeoNames id; for a place GeoNames lacks, its country
    and English name (the two regions called 南方省 are Cameroon's and Sri Lanka's); for a row
    that names no place, its country."""
    partner = _REFERENCE.get(row["line"])
    if partner is None:
        return (_COUNTRY_ONLY[row["line"]],)
    return (partner["geonames_id"],) if partner["geonames_id"] else (partner["country"], partner["name_en"])


def seed_rows(*, country: str | None = None, years: range | None = None) -> int:
    """Gold rows of one partner country, dated within ``years``: what a filtered query must count."""
    return sum(1 for r in GOLD_ROWS if (country is None or _country(r) == country)
               and (years is None or (r["date"] != "" and int(r["date"][:4]) in years)))


#: Records (statements, "partnerships") the seed gives: one per gold row.
SEED_ROWS = len(GOLD_ROWS)
#: Relationships: distinct pairs of a Chinese place and a partner.
SEED_RELATIONSHIPS = len({(r["cn_name"], _partner(r)) for r in GOLD_ROWS})
#: Rows per section of the page (a section is a province: 河南 holds the rows of 河南省).
SEED_BY_SECTION = Counter(r["section"] for r in GOLD_ROWS)
#: Rows per Chinese place, as the page writes it (武漢市, 洛陽市).
SEED_BY_CN_NAME = Counter(r["cn_name"] for r in GOLD_ROWS)
#: Rows per partner country.
SEED_BY_COUNTRY = Counter(_country(r) for r in GOLD_ROWS)
SEED_COUNTRIES = len(SEED_BY_COUNTRY)
#: Rows per year of their date; undated rows are not counted.
SEED_BY_YEAR = Counter(r["date"][:4] for r in GOLD_ROWS if r["date"])
SEED_FIRST_YEAR = min(SEED_BY_YEAR)
#: Places: the Chinese ones and the partner places (a row naming only a country names none).
SEED_PLACES = len(SEED_BY_CN_NAME) + len({_partner(r) for r in GOLD_ROWS if r["line"] in _REFERENCE})
#: Rows whose Chinese place is a province-level division.
SEED_PROVINCE_LEVEL_ROWS = sum(SEED_BY_CN_NAME[name] for name in _COUNTS["places"]["province_level"])

_ANOMALIES: dict[str, dict[str, list[int]]] = _COUNTS["anomalies"]
#: The page's anomalies as sorted (kind, line) pairs: those reading the page finds, and all of them.
SEED_PAGE_ANOMALY_LINES = sorted((kind, line) for kind, lines in _ANOMALIES["page"].items() for line in lines)
SEED_ANOMALY_LINES = sorted((kind, line) for group in _ANOMALIES.values()
                            for kind, lines in group.items() for line in lines)
SEED_PAGE_ANOMALIES = len(SEED_PAGE_ANOMALY_LINES)
#: The seed's own anomaly count (``youcheng sources``): the page's and the findings about its
#: rows, handed over with each batch; spelling variants are about the whole build.
SEED_SOURCE_ANOMALIES = SEED_PAGE_ANOMALIES + sum(
    len(lines) for kind, lines in _ANOMALIES["resolution"].items() if kind != "spelling_variants")
SEED_ANOMALIES = len(SEED_ANOMALY_LINES)

#: Places the tests single out.
WUHAN_ROWS = SEED_BY_CN_NAME["武漢市"]
LUOYANG_ROWS = SEED_BY_CN_NAME["洛陽市"]
JAPAN_ROWS = SEED_BY_COUNTRY["JP"]
#: Pages of the web page's list (50 rows a page).
SEED_LIST_PAGES = math.ceil(SEED_ROWS / 50)
