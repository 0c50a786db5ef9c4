"""Country text as written on a page -> ISO 3166-1 alpha-2.

Uses pycountry's zh_CN, zh_TW and zh_HK translations, folded to Simplified
through OpenCC because pages mix scripts (美國/美国), plus the curated
``data/country_aliases.csv`` for short names and typos pycountry lacks.
"""

from __future__ import annotations

import csv
import gettext
from functools import lru_cache
from importlib import resources

from youcheng.resolve.names import fold_key

_LOCALES = ("zh_CN", "zh_TW", "zh_HK")


@lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    """Folded country name -> alpha-2; built once per process."""
    import pycountry

    table: dict[str, str] = {}
    for locale in _LOCALES:
        translation = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[locale])
        for country in pycountry.countries:
            for attr in ("name", "common_name", "official_name"):
                english = getattr(country, attr, None)
                if english:
                    table.setdefault(fold_key(translation.gettext(english)), country.alpha_2)
                    table.setdefault(fold_key(english), country.alpha_2)
        for country in pycountry.countries:
            table.setdefault(country.alpha_2.casefold(), country.alpha_2)
    for row in _aliases():
        table[fold_key(row["alias"])] = row["alpha2"]
    return table


def _aliases() -> list[dict[str, str]]:
    text = resources.files("youcheng.data").joinpath("country_aliases.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def country_code(text: str | None) -> str | None:
    """Return the ISO alpha-2 code a country name means, or None if unknown."""
    if not text:
        return None
    return _table().get(fold_key(text))


def country_name_zh(code: str) -> str | None:
    """Simplified Chinese short name of an ISO alpha-2 code, for display."""
    import pycountry

    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return None
    translation = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"])
    return translation.gettext(getattr(country, "common_name", None) or country.name)


def country_name_en(code: str) -> str | None:
    """English short name of an ISO alpha-2 code."""
    import pycountry

    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return None
    return str(getattr(country, "common_name", None) or country.name)
