"""Name keys: one comparable form per written name, whatever the script or case.

Pages mix Traditional and Simplified script (武漢/武汉) and users type either,
or Latin letters in any case. ``fold_key`` is the single definition of "the
same name" used both when names are indexed and when queries are looked up.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache


@lru_cache(maxsize=1)
def _t2s() -> object:
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=65536)
def to_simplified(text: str) -> str:
    """Simplified-script form of ``text`` (OpenCC t2s); Latin text is unchanged."""
    if text.isascii():
        return text
    return str(_t2s().convert(text))  # type: ignore[attr-defined]


def fold_key(text: str) -> str:
    """Comparable key: NFKC, Simplified script, case-folded, spaces and dots removed."""
    normal = unicodedata.normalize("NFKC", text).strip()
    normal = to_simplified(normal).casefold()
    return "".join(ch for ch in normal if not ch.isspace() and ch not in "·・.'’-‐")
