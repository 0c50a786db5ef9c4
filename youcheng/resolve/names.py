"""Name keys: one comparable form per written name, whatever the script or case.

Pages mix Traditional and Simplified script (武漢/武汉) and users type either,
or Latin letters in any case. ``fold_key`` is the single definition of "the
same name" used both when names are indexed and when queries are looked up.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from youcheng._memo import NAME_CACHE, paying_cache


@lru_cache(maxsize=1)
def _t2s() -> object:
    import opencc

    return opencc.OpenCC("t2s")


@paying_cache(NAME_CACHE)
def to_simplified(text: str) -> str:
    """Simplified-script form of ``text`` (OpenCC t2s); Latin text is unchanged."""
    if text.isascii():
        return text
    return str(_t2s().convert(text))  # type: ignore[attr-defined]


@paying_cache(NAME_CACHE)
def fold_key(text: str) -> str:
    """Comparable key: NFKC, Simplified script, case-folded, spaces and dots removed.

    Cached because a build folds the same few thousand place names on every row.
    """
    return _fold(to_simplified(unicodedata.normalize("NFKC", text).strip()))


def fold_key_given(text: str, simplified: str) -> str:
    """``fold_key(text)`` when ``to_simplified(text)`` is known already: without converting the
    script again for text in normal form (NFKC, no surrounding space), the usual case."""
    return _fold(simplified) if unicodedata.normalize("NFKC", text).strip() == text else fold_key(text)


def fold_key_as_written(text: str) -> str:
    """``fold_key`` without the change of script: the same key for text already in Simplified
    script or Latin letters, without loading OpenCC's dictionaries (a third of a one-shot
    query's own time), so a lookup can try it first."""
    return _fold(unicodedata.normalize("NFKC", text).strip())


# What a key leaves out: every character str.isspace() calls space (tests/test_names.py checks
# the list against it) and the dots, apostrophes and hyphens names are written with or without.
_WHITESPACE = "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) \
    + "\u2028\u2029\u202f\u205f\u3000"
_DROPPED = str.maketrans("", "", _WHITESPACE + "·・.'’-‐")


def _fold(normal: str) -> str:
    return normal.casefold().translate(_DROPPED)


@lru_cache(maxsize=1)
def _pinyin_overrides() -> dict[str, list[str]]:
    import csv
    from importlib import resources

    text = resources.files("youcheng.data").joinpath("pinyin_overrides.csv").read_text("utf-8")
    return {row["name"]: row["pinyin"].split() for row in csv.DictReader(text.splitlines())}


def pinyin_syllables(simplified: str, *, tones: bool) -> list[str]:
    """Pinyin syllables of a Simplified Chinese name, one per character.

    pypinyin reads Simplified only, so callers pass ``to_simplified`` output.
    Curated readings of polyphonic place names (``data/pinyin_overrides.csv``,
    e.g. 单县 shàn) win over pypinyin's guess: the longest matching prefix is
    replaced syllable for syllable.
    """
    from pypinyin import Style, lazy_pinyin

    syllables = list(lazy_pinyin(simplified, style=Style.TONE if tones else Style.NORMAL,
                                 errors="default"))
    overrides = _pinyin_overrides()
    for length in range(min(len(simplified), 6), 1, -1):
        reading = overrides.get(simplified[:length])
        if reading and len(syllables) >= length:
            if not tones:
                reading = [strip_tones(s) for s in reading]
            syllables[:length] = reading
            break
    return syllables


def strip_tones(syllable: str) -> str:
    """Pinyin without tone marks: wǔ -> wu."""
    decomposed = unicodedata.normalize("NFD", syllable)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def romanize(simplified: str) -> str:
    """Capitalised toneless pinyin as used for English names: 洛阳 -> Luoyang."""
    joined = "".join(pinyin_syllables(simplified, tones=False))
    return joined[:1].upper() + joined[1:]
