"""English and pinyin names of Chinese places -> GB/T 2260 divisions, or why not.

English-language sources (en.wikipedia's twin-town lists) name Chinese places by
toneless pinyin ("Suzhou", "Xi'an"), by conventional exonyms ("Harbin", "Ürümqi",
"Macau"), with level words ("Jilin City", "Guangdong Province", "Donghai County"),
with ethnic qualifiers of autonomous divisions ("Dali Bai", "Guangxi Zhuang
Autonomous Region") and with the containing city ("Chaoyang (Beijing)",
"Hangzhou – Xiaoshan", "Suzhou, Jiangsu"). Toneless pinyin loses most of what
tells places apart, so this lookup answers with a ``Match`` that is *resolved*,
*ambiguous* (several divisions fit equally well: Suzhou is 苏州市 in Jiangsu and
宿州市 in Anhui) or *unresolved*, and never guesses between candidates.

The only preference applied is by level: a province before a prefecture before
anything smaller (the English lists name cities; "Chaoyang" alone is the
prefecture-level city in Liaoning, not one of the districts called Chaoyang).
Counties, county-level cities and districts rank alike, so "Rongcheng" (荣成市,
容城县, 榕城区) stays ambiguous.

Keys fold case, diacritics, spaces, hyphens and apostrophes ("Xi'an" = "Xian" =
"XI AN"). When the written name has an apostrophe it must also fall on the same
syllable boundary as the division's pinyin: "Xi'an" is 西安 only, never 献县 (whose
one-character stem reads xiàn); "Xian" may be either, and the prefecture 西安市
ranks first. The table's pinyin column sometimes reads a polyphonic character
the everyday way (长治 zhǎng, 闵行 xíng), so the place-name readings of such
characters are indexed as well.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from youcheng.resolve.china import Division, Divisions, divisions, stem
from youcheng.resolve.fold import latin_key
from youcheng.resolve.names import fold_key, strip_tones

Status = Literal["resolved", "ambiguous", "unresolved"]
Predicate = Callable[[Division], bool]

# Conventional English names that are neither pinyin nor in data/cn_names_en.csv
# (which the Division.name_en property reads). Postal romanisations still found in
# older twin-town lists are included; each maps to the GB/T 2260 code it means.
EXONYMS: dict[str, str] = {
    "Harbin": "230100",       # 哈尔滨市, pinyin Ha'erbin
    "Qiqihar": "230200",      # 齐齐哈尔市, pinyin Qiqiha'er
    "Hulunbuir": "150700",    # 呼伦贝尔市, pinyin Hulunbei'er
    "Ulanqab": "150900",      # 乌兰察布市, pinyin Wulanchabu
    "Karamay": "650200",      # 克拉玛依市, pinyin Kelamayi
    "Kashgar": "653101",      # 喀什市 (the city; Kashgar Prefecture is 喀什地区)
    "Shangri-La": "533401",   # 香格里拉市, pinyin Xianggelila
    "Urumchi": "650100",      # 乌鲁木齐市
    "Peking": "110000",       # 北京市, postal romanisation
    "Nanking": "320100",      # 南京市, postal romanisation
    "Canton": "440100",       # 广州市, postal romanisation
    "Tientsin": "120000",     # 天津市, postal romanisation
    "Tsingtao": "370200",     # 青岛市, postal romanisation
    "Amoy": "350200",         # 厦门市, Hokkien
    "Chungking": "500000",    # 重庆市, postal romanisation
    "Macao": "820000",        # 澳门特别行政区, the other English spelling
    "Shaanxi": "610000",      # 陕西省: the spelling that tells it from Shanxi 山西省
}
# Pinyin keys a division is NOT known by in English: 陕西 reads shǎn xī, but "Shanxi" is 山西.
_NOT_CALLED: dict[str, str] = {"610000": "shanxi"}
# A qualifier naming the country is no containing place: "Shanghai, China".
_COUNTRY_KEYS = frozenset({"china", "prc", "peoplesrepublicofchina", "mainlandchina"})

_APOSTROPHES = "'’ʼ`´‘"
# Polyphonic characters of place names and their readings (toneless): pypinyin, which
# made the table's pinyin column, often picks the everyday reading instead of the
# place-name one (长治 zhǎng, 闵行 xíng, 珲春 huī, 漯河 tà, 盐都 dōu).
_ALT_READINGS: dict[str, tuple[str, ...]] = {
    "长": ("chang", "zhang"), "朝": ("chao", "zhao"), "珲": ("hun", "hui"), "行": ("hang", "xing"),
    "都": ("du", "dou"), "漯": ("luo", "ta"), "乐": ("le", "yue"), "重": ("chong", "zhong"),
    "会": ("hui", "kuai"), "单": ("shan", "dan"), "番": ("pan", "fan"), "蔚": ("yu", "wei"),
    "莘": ("shen", "xin"), "荥": ("xing", "ying"), "尉": ("yu", "wei"), "枞": ("zong", "cong"),
    "解": ("xie", "jie"), "阿": ("a", "e"), "柏": ("bai", "bo"), "泌": ("bi", "mi"),
    "铅": ("yan", "qian"), "六": ("lu", "liu"), "厦": ("xia", "sha"), "蚌": ("beng", "bang"),
    "盖": ("gai", "ge"), "涡": ("guo", "wo"), "筠": ("jun", "yun"), "犍": ("qian", "jian"),
    "歙": ("she", "xi"), "莎": ("sha", "suo"), "覃": ("tan", "qin"), "濮": ("pu",),
}
_RANK = {"province": 0, "prefecture": 1}
_BELOW_TABLE = re.compile(
    r"\b(subdistrict|sub-district|town|township|village|free[- ]trade zone|zone|new area|"
    r"development area|industrial park|port|street|community)$", re.IGNORECASE)


def _syllable_key(text: str) -> str:
    """Like ``latin_key`` but keeping apostrophes (all spellings as ``'``): "Xi'an" -> "xi'an"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join("'" if c in _APOSTROPHES else c for c in decomposed.casefold()
                   if (c.isalnum() and not unicodedata.combining(c)) or c in _APOSTROPHES)


# English names of the 55 ethnic minorities, as they qualify autonomous divisions
# ("Dali Bai", "Qiannan Buyei and Miao"): dropped only when the rest of the name
# then matches an autonomous (自治) division.
ETHNIC_WORDS = frozenset(latin_key(w) for w in (
    "Achang Bai Blang Bonan Bouyei Buyei Dai Daur De'ang Derung Dong Dongxiang Evenki Gaoshan "
    "Gelao Gin Hani Hezhen Hui Jing Jingpo Jino Kazak Kazakh Kirgiz Korean Kyrgyz Lahu Lhoba "
    "Li Lisu Manchu Maonan Miao Monba Mongol Mongolian Mulao Naxi Nu Oroqen Pumi Qiang "
    "Russian Salar She Sui Tajik Tatar Tibetan Tu Tujia Uighur Uygur Uyghur Uzbek Va Wa Xibe "
    "Yao Yi Yugur Zhuang and").split())


def _ends(*suffixes: str) -> Predicate:
    return lambda d: d.name.endswith(suffixes)


def _level(*levels: str) -> Predicate:
    return lambda d: d.level in levels


def _both(a: Predicate, b: Predicate) -> Predicate:
    return lambda d: a(d) and b(d)


def _autonomous(d: Division) -> bool:
    return "自治" in d.name


# Level words a written name may end in, longest first, and what each allows.
_LEVEL_WORDS: tuple[tuple[str, Predicate], ...] = (
    ("special administrative region", _ends("特别行政区")),
    ("autonomous region", _both(_autonomous, _level("province"))),
    ("autonomous prefecture", _both(_autonomous, _level("prefecture"))),
    ("autonomous county", _both(_autonomous, _ends("县"))),
    ("autonomous banner", _both(_autonomous, _ends("旗"))),
    ("prefecture-level city", _both(_level("prefecture"), _ends("市"))),
    ("county-level city", _both(_level("county"), _ends("市"))),
    ("municipality", _both(_level("province"), _ends("市"))),
    ("province", _ends("省")),
    ("prefecture", _level("prefecture")),
    ("league", _ends("盟")),
    ("banner", _ends("旗")),
    ("county", _ends("县", "旗")),
    ("district", _ends("区")),
    ("city", _ends("市")),
    ("sar", _ends("特别行政区")),
)


@dataclass(frozen=True)
class Match:
    """What an English name means: one division, several equally good ones, or none (``reason``)."""

    status: Status
    division: Division | None = None
    candidates: tuple[Division, ...] = ()
    reason: str = ""

    def describe(self) -> str:
        """The candidates with their provinces, for an anomaly message: 苏州市 (江苏省, 320500)."""
        table = divisions()
        parts = []
        for d in self.candidates:
            province = table.by_code[d.province_code].name
            parts.append(f"{d.name} ({province}, {d.code})" if d.level != "province"
                         else f"{d.name} ({d.code})")
        return "、".join(parts)


class EnglishNames:
    """The division table indexed by folded romanised and English names; use ``english_names()``."""

    def __init__(self, table: Divisions) -> None:
        self.table = table
        self._by_key: dict[str, list[Division]] = {}
        self._syllables: dict[str, str] = {}
        for d in table.by_code.values():
            if len(d.name) < 2:
                continue  # 500200 县: the table's placeholder for 重庆市's counties
            self._syllables[d.code] = _apostrophe_form(d)
            for key in self._keys_of(d) - {_NOT_CALLED.get(d.code, "")}:
                self._add(self._by_key, key, d)
        for name, code in EXONYMS.items():
            self._add(self._by_key, latin_key(name), table.by_code[code])
        self._cache: dict[str, Match] = {}

    @staticmethod
    def _add(index: dict[str, list[Division]], key: str, d: Division) -> None:
        entries = index.setdefault(key, [])
        if d not in entries:
            entries.append(d)

    @staticmethod
    def _keys_of(d: Division) -> set[str]:
        keys = {latin_key(d.name_en), *_readings(d.stem, d.pinyin)}
        for word in (" District", " County"):
            if d.name_en.endswith(word):
                keys.add(latin_key(d.name_en.removesuffix(word)))
        if d.name.endswith("新区") and len(d.stem) >= 3:
            # 滨海新区 is "Binhai (New Area)", 浦东新区 "Pudong": the stem keeps the 新.
            syllables = [strip_tones(s) for s in d.pinyin.split()[: len(d.stem) - 1]]
            keys.add(latin_key("".join(syllables)))
        return {k for k in keys if k}

    def match(self, written: str) -> Match:
        """The division ``written`` names (cached: a list repeats its cities on many rows)."""
        found = self._cache.get(written)
        if found is None:
            found = self._cache[written] = self._match(written.strip())
        return found

    def _match(self, written: str) -> Match:
        if not written:
            return Match("unresolved", reason="the name is empty")
        place, comma, qualifier = written.rpartition(",")
        if comma and place.strip() and latin_key(qualifier) in _COUNTRY_KEYS:
            written = place.strip()
        written = re.sub(r"\s*\(([^()]+)\)$", _level_in_parentheses, written)
        nested = _split_nested(written)
        if nested is None:
            candidates, reason = self._candidates(written)
            return _decide(candidates, reason or f"{written!r} matches no GB/T 2260 division")
        child, parent = nested
        parents, _ = self._candidates(parent)
        if not parents:
            return Match("unresolved", reason=f"{parent!r} (the place containing {child!r}) "
                                              "matches no GB/T 2260 division")
        children, reason = self._candidates(child)
        inside = [d for d in children if any(_within(d, p) for p in parents)]
        if not inside:
            # The table predates some mergers (莱芜市 became 莱芜区 of 济南 in 2019):
            # accept a unique match in the containing place's province.
            provinces = {p.province_code for p in parents}
            inside = [d for d in children if d.province_code in provinces and d not in parents]
        if not inside:
            return Match("unresolved", reason=reason or f"{child!r} matches no GB/T 2260 division "
                                                        f"within {parent!r}")
        return _decide(inside, "")

    def _candidates(self, written: str) -> tuple[list[Division], str]:
        """Every division the name (without a containing place) may mean, unranked, and a
        reason when there is none for a known cause."""
        if any("\u4e00" <= c <= "\u9fff" for c in written):
            key = fold_key(written)
            return list(self.table.by_key.get(key) or self.table.by_key.get(fold_key(stem(key)), [])), ""
        full = latin_key(written)
        if full in self._by_key:
            return self._syllable_filter(written, list(self._by_key[full])), ""
        if _BELOW_TABLE.search(written):
            return [], (f"{written!r} names a subdistrict, town or zone: GB/T 2260 lists "
                        "divisions down to counties and districts only")
        words = written.split()
        allowed: list[Predicate] = []
        changed = True
        while changed and len(words) > 1:
            changed = False
            tail = " ".join(words).casefold()
            for level_word, predicate in _LEVEL_WORDS:
                if tail.endswith(" " + level_word):
                    words = words[: len(words) - len(level_word.split())]
                    allowed.append(predicate)
                    changed = True
                    break
        core = list(words)
        while len(core) > 1 and latin_key(core[-1]) in ETHNIC_WORDS:
            core.pop()
        if len(core) < len(words):
            found = self._lookup(" ".join(core), [*allowed, _autonomous])
            if found:
                return found, ""
        return self._lookup(" ".join(words), allowed), ""

    def _lookup(self, base: str, allowed: list[Predicate]) -> list[Division]:
        found = self._syllable_filter(base, list(self._by_key.get(latin_key(base), [])))
        return [d for d in found if all(p(d) for p in allowed)]

    def _syllable_filter(self, written: str, found: list[Division]) -> list[Division]:
        """With an apostrophe written, keep the divisions whose pinyin breaks there too."""
        if not any(c in _APOSTROPHES for c in written):
            return found
        wanted = _syllable_key(written)
        kept = [d for d in found if self._syllables[d.code] == wanted]
        return kept or found


def _readings(stem: str, pinyin: str) -> set[str]:
    """Folded toneless readings of a stem: the table's, and the other common readings of its
    polyphonic characters (the table reads 长治 zhǎng zhì and 朝阳市 zhāo yáng; English
    writes Changzhi and Chaoyang)."""
    syllables = [strip_tones(s).casefold() for s in pinyin.split()[: len(stem)]]
    options = [(syllable, *_ALT_READINGS.get(char, ())) for char, syllable in zip(stem, syllables)]
    keys = {""}
    for choices in options:
        keys = {k + c for k in keys for c in dict.fromkeys(choices)}
        if len(keys) > 16:
            break
    else:
        return keys
    return {"".join(syllables)}


def _apostrophe_form(d: Division) -> str:
    """The stem's toneless pinyin with the apostrophes standard spelling puts before a, o, e."""
    syllables = [strip_tones(s).casefold() for s in d.pinyin.split()[: len(d.stem)]]
    out = syllables[:1]
    for s in syllables[1:]:
        out.append("'" + s if s[:1] in "aoe" else s)
    return "".join(out)


def _level_in_parentheses(found: re.Match[str]) -> str:
    """ "Enshi (city)" -> "Enshi city"; any other parenthesis is kept."""
    inner = found.group(1).strip()
    return " " + inner if any(inner.casefold() == w for w, _ in _LEVEL_WORDS) else found.group(0)


def _split_nested(written: str) -> tuple[str, str] | None:
    """(place, containing place) of "Chaoyang (Beijing)", "Hangzhou – Xiaoshan", "Suzhou, Jiangsu"."""
    found = re.fullmatch(r"(.+?)\s*\(([^()]+)\)", written)
    if found:
        return found.group(1).strip(), found.group(2).strip()
    found = re.fullmatch(r"(.+?)\s+[–—-]\s+(.+)", written)
    if found:
        return found.group(2).strip(), found.group(1).strip()
    if "," in written:
        place, _, qualifier = written.rpartition(",")
        if place.strip() and qualifier.strip():
            return place.strip(), qualifier.strip()
    return None


def _within(d: Division, parent: Division) -> bool:
    if d.code == parent.code:
        return False
    if parent.level == "province":
        return d.province_code == parent.code
    return parent.level == "prefecture" and d.code[:4] == parent.code[:4]


def _decide(candidates: list[Division], reason: str) -> Match:
    unique = list(dict.fromkeys(candidates))
    if not unique:
        return Match("unresolved", reason=reason)
    best = min(_RANK.get(d.level, 2) for d in unique)
    top = tuple(sorted((d for d in unique if _RANK.get(d.level, 2) == best), key=lambda d: d.code))
    if len(top) == 1:
        return Match("resolved", top[0], top)
    return Match("ambiguous", None, top, reason="several divisions have this English name")


@lru_cache(maxsize=1)
def english_names() -> EnglishNames:
    """The English-name index of the GB/T 2260 table, built once per process."""
    return EnglishNames(divisions())


__all__ = ["ETHNIC_WORDS", "EXONYMS", "EnglishNames", "Match", "english_names"]
