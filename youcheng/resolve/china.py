"""Chinese places -> GB/T 2260 divisions: code, level, province, coordinates.

The code table is ``data/cn_divisions.csv``, derived from the cpca package's
adcodes table (see scripts/make_cn_divisions.py and README "Data"). Pages name
places loosely (寧夏區 for 宁夏回族自治区, 西雙版納州 for 西双版纳傣族自治州,
東城區 under the 北京 section), so matching works on Simplified keys, within
the section's province when the section names one, and accepts a written name
that is a prefix of the official one once its own suffix is dropped.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from youcheng.resolve.names import fold_key, strip_tones, to_simplified
from youcheng.vocabulary import LEVEL_RANK

_CACHE_SIZE = 1 << 16
_SUFFIX = re.compile(r"(特别行政区|自治区|自治州|自治县|自治旗|地区|省|市|县|区|盟|旗|州)$")


@dataclass(frozen=True)
class Division:
    """One GB/T 2260 division."""

    code: str
    name: str
    pinyin: str  # tone-marked, one syllable per character: "wǔ hàn shì"
    lat: float
    lon: float

    @property
    def level(self) -> str:
        """province (incl. municipalities and SARs), prefecture, district or county."""
        if self.code.endswith("0000"):
            return "province"
        if self.code.endswith("00"):
            return "prefecture"
        return "district" if self.name.endswith("区") else "county"

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"

    @property
    def parent_code(self) -> str | None:
        if self.level == "province":
            return None
        return self.province_code if self.code.endswith("00") else self.code[:4] + "00"

    @property
    def stem(self) -> str:
        """The name without its administrative suffix and ethnic qualifier: 芷江侗族自治县 -> 芷江."""
        return stem(self.name)

    def stem_romanized(self) -> str:
        """Toneless pinyin of the stem, from the precomputed pinyin column: 武汉市 -> Wuhan."""
        syllables = [strip_tones(s) for s in self.pinyin.split()[: len(self.stem)]]
        joined = "".join(syllables)
        return joined[:1].upper() + joined[1:]

    @property
    def name_en(self) -> str:
        """Conventional English name (data/cn_names_en.csv), else pinyin with a level word."""
        known = _english_names().get(self.code)
        if known:
            return known
        base = self.stem_romanized()
        if self.level == "district":
            return f"{base} District"
        if self.level == "county" and self.name.endswith(("县", "旗")):
            return f"{base} County"
        return base

    @property
    def name_en_origin(self) -> str:
        """Where ``name_en`` comes from: ``gazetteer`` (data/cn_names_en.csv) or ``romanised``."""
        return "gazetteer" if self.code in _english_names() else "romanised"


@lru_cache(maxsize=8192)
def stem(name: str) -> str:
    """Drop one administrative suffix and any ethnic-group qualifier before it.

    芷江侗族自治县 -> 芷江, 新疆维吾尔自治区 -> 新疆 (the 族 may be left out before 自治).
    """
    name = to_simplified(name)
    core = _SUFFIX.sub("", name) or name
    pattern = _ethnic_suffix() if "自治" in name else _ethnic_suffix_strict()
    shorter = pattern.sub("", core)
    return shorter if len(shorter) >= 2 else core


@lru_cache(maxsize=1)
def _ethnic_suffix() -> re.Pattern[str]:
    groups = sorted({g for name in _ethnic_groups() for g in (name, name.removesuffix("族"))},
                    key=len, reverse=True)
    return re.compile("(?:" + "|".join(map(re.escape, groups)) + ")+$")


@lru_cache(maxsize=1)
def _ethnic_suffix_strict() -> re.Pattern[str]:
    return re.compile("(?:" + "|".join(map(re.escape, _ethnic_groups())) + ")$")


@lru_cache(maxsize=1)
def _english_names() -> dict[str, str]:
    text = resources.files("youcheng.data").joinpath("cn_names_en.csv").read_text("utf-8")
    return {row["code"]: row["name_en"] for row in csv.DictReader(text.splitlines())}


@lru_cache(maxsize=1)
def _ethnic_groups() -> tuple[str, ...]:
    text = resources.files("youcheng.data").joinpath("cn_ethnic_groups.csv").read_text("utf-8")
    names = [row["name"] for row in csv.DictReader(text.splitlines())]
    return tuple(sorted(names, key=len, reverse=True))


class Divisions:
    """The division table with the lookups resolution needs; load once with ``divisions()``."""

    def __init__(self, rows: list[Division], aliases: dict[str, str]) -> None:
        self.by_code = {d.code: d for d in rows}
        self.by_key: dict[str, list[Division]] = {}
        for d in rows:
            # Table names are Simplified already: their folded key is the name itself.
            for key in {d.name, d.stem}:
                self.by_key.setdefault(key, []).append(d)
        for alias, code in aliases.items():
            self.by_key.setdefault(fold_key(alias), []).insert(0, self.by_code[code])
        self.provinces = [d for d in rows if d.level == "province"]
        # Answers are cached: a page repeats its sections and places on row after row.
        self._sections: dict[str, Division | None] = {}
        self._resolved: dict[tuple[tuple[str, ...], str], tuple[Division | None, str]] = {}

    def province_of_section(self, section: str) -> Division | None:
        """The province a page section names (北京 -> 北京市, 內蒙古自治区 -> 内蒙古自治区)."""
        if section not in self._sections:
            self._sections[section] = self._province_named(section)
        return self._sections[section]

    def _province_named(self, text: str) -> Division | None:
        key = fold_key(text)
        bare = fold_key(stem(text)) or key
        for d in self.provinces:
            if fold_key(d.name) == key or fold_key(d.name).startswith(bare) and len(bare) >= 2:
                return d
        return None

    def split_province(self, name: str) -> tuple[str, str]:
        """(province, the rest) of a name written under its province: 江苏省南京市 -> (江苏省, 南京市);
        ("", name) when it does not start with a province's name or stem."""
        key = fold_key(name)
        for d in self.provinces:
            for prefix in dict.fromkeys((fold_key(d.name), fold_key(d.stem))):
                if len(prefix) >= 2 and key.startswith(prefix) and len(key) > len(prefix) + 1:
                    return d.name, key[len(prefix):]
        return "", name

    def resolve(self, names: list[str], section: str) -> tuple[Division | None, str]:
        """The division the written ``names`` mean, and how it was decided.

        ``names`` go from most to least specific (a link target, the displayed
        name); the section's province disambiguates 東城區 or 通州區.
        """
        key = (tuple(names), section)
        found = self._resolved.get(key)
        if found is None:
            if len(self._resolved) >= _CACHE_SIZE:
                self._resolved.clear()
            found = self._resolved[key] = self._resolve(names, section)
        return found

    def _resolve(self, names: list[str], section: str) -> tuple[Division | None, str]:
        province = self.province_of_section(section)
        for name in names:
            found = self._lookup(name, province)
            if found:
                return found
        if province and any(fold_key(stem(n)) and fold_key(province.name).startswith(fold_key(stem(n)))
                            for n in names):
            return province, "section"
        return None, "unresolved"

    def _lookup(self, name: str, province: Division | None) -> tuple[Division, str] | None:
        key = fold_key(name)
        candidates = self.by_key.get(key, [])
        if not candidates:
            short = fold_key(stem(name))
            candidates = [d for d in self.by_key.get(short, [])] if len(short) >= 2 else []
            if not candidates and len(short) >= 2:
                candidates = [d for d in self.provinces if fold_key(d.name).startswith(short)]
        if province is not None:
            inside = [d for d in candidates if d.province_code == province.code]
            candidates = inside or ([] if len(candidates) > 1 else candidates)
        if not candidates:
            return None
        # Prefer the higher level: 吉林 is the province before the city, 海南 before a county.
        best = sorted(candidates, key=lambda d: (LEVEL_RANK[d.level], d.code))[0]
        return best, "gbt2260"


@lru_cache(maxsize=1)
def divisions() -> Divisions:
    """The GB/T 2260 table, loaded once per process."""
    data = resources.files("youcheng.data")
    rows = [Division(r["code"], r["name"], r["pinyin"], float(r["lat"]), float(r["lon"]))
            for r in csv.DictReader(data.joinpath("cn_divisions.csv").read_text("utf-8").splitlines())]
    aliases = {r["alias"]: r["code"]
               for r in csv.DictReader(data.joinpath("cn_aliases.csv").read_text("utf-8").splitlines())}
    return Divisions(rows, aliases)
