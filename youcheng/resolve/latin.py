"""How a partner name written in Latin script is read: whether it is Latin at all, the kind
words it may carry ("Aichi Prefecture", "Osaka-shi", "Arras (communauté)"), its qualifier
("Bayside, Victoria", "Haeundae (Busan)") and the keys to look it up by.

Text only: ``gazetteer`` looks the keys up in its tables; ``scripts/make_gazetteer.py``
writes those tables with the same words, so a name is keyed alike on both sides.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from youcheng._memo import NAME_CACHE, paying_cache
from youcheng.resolve.fold import latin_key

_WORDS = re.compile(r"[\s\-‐–]+")
# Trailing words that name a first-level region's kind, in English and as romanised local
# names write them (Gyeonggi-do, Aichi-ken, Moskovskaya oblast', Seoul-teukbyeolsi).
REGION_WORDS = frozenset((
    "province", "prefecture", "state", "region", "oblast", "krai", "kray", "governorate",
    "department", "voivodeship", "territory", "canton", "county", "provincia", "respublika",
    "republic", "do", "ken", "teukbyeolsi", "gwangyeoksi", "teukbyeoljachido", "teukbyeoljachisi"))
# Trailing words a city's name may carry or not (Quebec City, Changwon-si, Osaka-shi).
CITY_WORDS = frozenset(("city", "shi", "si", "municipality"))
# Words in a partner's parentheses that say what it is, not where: "Arras (communauté)".
_KIND_WORDS = frozenset((
    "city", "town", "village", "municipality", "commune", "communaute", "intercommunality",
    "district", "borough", "parish", "gmina", "microregion", *REGION_WORDS))
_LEADING = re.compile(r"^(?:city|town|shire|borough|municipality|county|district) of\s+", re.IGNORECASE)
_SAINTS = {"st": "saint", "ste": "sainte", "mt": "mount", "ft": "fort",
           "saint": "st", "sainte": "ste", "mount": "mt", "fort": "ft"}
# "Haeundae (Busan)": a name and, in parentheses, what it lies in or what it is.
QUALIFIED_NAME = re.compile(r"(?P<base>[^()]+?)\s*\((?P<qualifier>[^()]+)\)")


@paying_cache(NAME_CACHE)
def is_latin(text: str) -> bool:
    """Whether ``text`` has letters and all of them are Latin (no CJK, Cyrillic, kana...);
    modifier letters such as the Hawaiian ʻokina (Haʻikū) do not count."""
    if text.isascii():
        return any(c.isalpha() for c in text)
    latin = False
    for c in text:
        if c.isalpha() and unicodedata.category(c) != "Lm":
            if not unicodedata.name(c, "").startswith("LATIN"):
                return False  # the first other letter settles it (a CJK name's first)
            latin = True
    return latin


def strip_words(text: str, words: frozenset[str]) -> str | None:
    """``text`` without its trailing ``words`` ("Aichi Prefecture" -> "Aichi"); None if it has none."""
    parts = [p for p in _WORDS.split(text.strip()) if p]
    kept = len(parts)
    while kept > 1 and latin_key(parts[kept - 1]) in words:
        kept -= 1
    return " ".join(parts[:kept]) if kept < len(parts) else None


@dataclass(frozen=True)
class LatinName:
    """How a Latin-script partner name is looked up."""

    keys: tuple[str, ...]  # city keys, most literal first
    region_keys: tuple[str, ...]
    base: str  # the name without its qualifier
    qualifier: str | None  # the containing place after a comma or in parentheses
    parenthesised: bool  # "Haeundae (Busan)": a district of the qualifier
    region_first: bool  # "Aichi Prefecture", "Siegen-Wittgenstein (district)"


@paying_cache(NAME_CACHE)
def latin_name(name: str) -> LatinName:
    """Split "Bayside, Victoria" / "Gangdong (Seoul)" into the place and its qualifier, and
    list the keys to try: as written, without the qualifier, with St. = Saint, without
    a kind word (City, -shi for cities; Prefecture, Province, -do for regions)."""
    full = " ".join(name.split())
    match = QUALIFIED_NAME.fullmatch(full)
    if match:
        base, qualifier = match["base"], match["qualifier"].strip()
    else:
        base, _, rest = full.partition(",")
        qualifier = rest.split(",")[0].strip() or None
    kind = qualifier is not None and latin_key(qualifier) in _KIND_WORDS
    region_first = (kind and latin_key(qualifier or "") in REGION_WORDS) or bool(
        strip_words(base, REGION_WORDS))
    base = _LEADING.sub("", base.strip()) or base.strip()
    words = base.split()
    forms = [full, base]
    if words and latin_key(words[0]) in _SAINTS:
        forms.append(" ".join([_SAINTS[latin_key(words[0])], *words[1:]]))
    city = [*forms, *(s for s in map(lambda f: strip_words(f, CITY_WORDS), forms) if s)]
    region = [*forms, *(s for s in map(lambda f: strip_words(f, REGION_WORDS), forms) if s)]
    return LatinName(
        tuple(dict.fromkeys(k for k in map(latin_key, city) if k)),
        tuple(dict.fromkeys(k for k in map(latin_key, region) if k)),
        base, None if kind else qualifier, bool(match) and not kind, region_first)
