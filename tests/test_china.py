"""Chinese places -> GB/T 2260 divisions (examples from the resolution issue)."""

from __future__ import annotations

import pytest

from youcheng.resolve.china import divisions, stem


@pytest.mark.parametrize(("names", "section", "code", "level"), [
    (["武漢市"], "湖北", "420100", "prefecture"),
    (["芷江侗族自治縣"], "湖南", "431228", "county"),
    (["東城區", "東城區"], "北京", "110101", "district"),
    (["西雙版納傣族自治州", "西雙版納州"], "雲南", "532800", "prefecture"),
    (["澳門"], "澳門", "820000", "province"),
    (["寧夏區"], "寧夏", "640000", "province"),
    (["新疆自治區"], "新疆", "650000", "province"),
    (["內蒙古"], "內蒙古自治区", "150000", "province"),
    (["溮河區", "信陽市溮河區"], "河南", "411502", "district"),
    (["涼州區", "武威市涼州區"], "甘肅", "620602", "district"),
    (["海拉爾市"], "內蒙古自治区", "150702", "district"),
    (["濟源市"], "河南", "419001", "county"),
])
def test_resolve_chinese_place(names: list[str], section: str, code: str, level: str) -> None:
    division, method = divisions().resolve(names, section)
    assert division is not None and (division.code, division.level, method) == (code, level, "gbt2260")


def test_resolve_uses_section_to_tell_namesakes_apart() -> None:
    beijing, _ = divisions().resolve(["通州區"], "北京")
    jiangsu, _ = divisions().resolve(["通州區"], "江蘇")
    assert beijing is not None and jiangsu is not None
    assert (beijing.code, jiangsu.code) == ("110112", "320612")


def test_resolve_unknown_name_is_unresolved() -> None:
    assert divisions().resolve(["火星市"], "河南") == (None, "unresolved")


@pytest.mark.parametrize(("name", "expected"), [
    ("芷江侗族自治县", "芷江"), ("新疆维吾尔自治区", "新疆"), ("西双版纳傣族自治州", "西双版纳"),
    ("武汉市", "武汉"), ("宁夏回族自治区", "宁夏"), ("東城區", "东城"),
])
def test_stem_drops_suffix_and_ethnic_qualifier(name: str, expected: str) -> None:
    assert stem(name) == expected


def test_division_names_and_pinyin() -> None:
    wuhan = divisions().by_code["420100"]
    assert (wuhan.name, wuhan.pinyin, wuhan.name_en) == ("武汉市", "wǔ hàn shì", "Wuhan")
    assert divisions().by_code["820000"].name_en == "Macau"
    assert divisions().by_code["110101"].name_en == "Dongcheng District"
    assert divisions().by_code["371722"].pinyin == "shàn xiàn"  # curated override: 单县
