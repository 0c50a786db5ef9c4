"""The one folding of names for lookups: the same key however a name is typed.

``fold_key`` (``resolve/names.py``) makes Traditional and Simplified one name and
ignores case, width and spacing; ``latin_key`` makes Köln, Koln and KÖLN one Latin
name; ``search_key`` combines them for the registry's name index (``place_names``),
so a search forgives what people leave out: Koln = Köln, Sao Paulo = São Paulo,
Oita = Ōita = Ooita = おおいた. Chinese characters stay as they are (their
pinyin is indexed as a name of its own), every other script becomes Latin letters
through anyascii, where Unicode decomposition is not enough (kana, Hangul, Cyrillic).
The index is built and queried with this one function, so both sides always agree.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from youcheng._memo import NAME_CACHE, paying_cache
from youcheng.resolve.names import fold_key, fold_key_as_written, fold_key_given, to_simplified

# Letters NFKD does not decompose to a base letter (latin_key).
_LATIN_LETTERS = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae",
                                "œ": "oe", "ı": "i", "ħ": "h", "ŀ": "l", "ŧ": "t", "ŋ": "n"})
# Chinese characters (CJK ideographs and their extensions), kept as they are in search keys.
_HAN_RUNS = re.compile("([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+)")
# A doubled vowel is how romanisations write a long one (Ooita, Oosaka for Ōita, Ōsaka);
# pinyin never doubles a vowel within a syllable.
_VOWEL_RUNS = re.compile(r"([aeiouy])\1+")


@paying_cache(NAME_CACHE)
def latin_key(text: str) -> str:
    """Key of a Latin-script name: case-folded, no diacritics (NFKD), letters and digits only.

    Köln, Koln and KÖLN are ``koln``; São Paulo and Sao-Paulo are ``saopaulo``.
    scripts/make_gazetteer.py keys ``data/gazetteer_en.tsv.gz`` with it, so the
    two must stay one function.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LATIN_LETTERS))
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


@paying_cache(NAME_CACHE)
def search_key(text: str) -> str:
    """The indexed form of a name or a query: ``fold_key``, then every run of other than
    Chinese characters in Latin letters without diacritics or doubled vowels."""
    return _latinise(fold_key(text))


def search_key_given(text: str, simplified: str) -> str:
    """``search_key(text)`` when ``to_simplified(text)`` is known already (``fold_key_given``)."""
    return _latinise(fold_key_given(text, simplified))


class NameForms(NamedTuple):
    """A name's forms that a build stores and looks it up by, worked out together from one
    conversion of script (``name_forms``): a build's parsing process works them out for the
    names its rows write, so that the build process neither converts nor keys them again."""

    simplified: str  # to_simplified(name)
    fold: str  # fold_key(name)
    key: str  # search_key(name)
    simplified_key: str  # search_key(simplified): the key of the Simplified form as a name of its own


def name_forms(name: str) -> NameForms:
    """Every form of ``NameForms`` of ``name``."""
    simplified = to_simplified(name)
    fold = fold_key_given(name, simplified)
    key = _latinise(fold)
    return NameForms(simplified, fold, key, key if simplified == name else search_key(simplified))


def search_key_as_written(text: str) -> str:
    """``search_key`` without the change of script (no OpenCC), for a first, cheap lookup."""
    return _latinise(fold_key_as_written(text))


def _latinise(key: str) -> str:
    if not key or _HAN_RUNS.fullmatch(key):
        return key
    parts = _HAN_RUNS.split(key)  # odd parts are the Chinese runs
    return "".join(part if i % 2 else _latin_run(part) for i, part in enumerate(parts))


@paying_cache(NAME_CACHE)
def _latin_run(text: str) -> str:
    if not text.isascii():
        from anyascii import anyascii

        text = anyascii(text.translate(_LATIN_LETTERS))
    return _VOWEL_RUNS.sub(r"\1", latin_key(text))


__all__ = ["NameForms", "latin_key", "name_forms", "search_key", "search_key_as_written", "search_key_given"]
