"""Turn raw rows into stored partnerships: stable ids, places, country codes.

Identity rules live here so that a better resolver (GeoNames, GB/T 2260) can
change *which* place a row means without touching the parser or the store.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import replace

from youcheng.model import Partnership, Place, RawPartnership
from youcheng.resolve.countries import country_code
from youcheng.resolve.names import fold_key, to_simplified


def partnership_id(raw: RawPartnership, occurrence: int) -> str:
    """Stable id of a relationship: the same row gets the same id on every rebuild.

    Built from what identifies the relationship on its page (source, both names,
    partner link, country text) and not from the line number or date, so edits
    elsewhere on the page or a corrected date keep the id. ``occurrence`` tells
    apart a pair a page lists twice.
    """
    parts = (raw.source, raw.cn_name, raw.partner_name or "", raw.partner_link or "",
             raw.country_text or "", str(occurrence))
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


class RecordResolver:
    """Assigns ids and places to raw rows, one page after another.

    Keeps one ``Place`` per identity so that 烏蘭巴托 and 烏蘭巴托市 linking the
    same page become one place; counts occurrences for the ids.
    """

    def __init__(self) -> None:
        self.places: dict[str, Place] = {}
        self._occurrences: Counter[bytes] = Counter()

    def resolve(self, raw: RawPartnership) -> Partnership:
        """Return the stored form of ``raw`` and register the places it names."""
        key = hashlib.blake2b(
            "\x1f".join((raw.source, raw.cn_name, raw.partner_name or "", raw.partner_link or "",
                         raw.country_text or "")).encode("utf-8"), digest_size=8).digest()
        occurrence = self._occurrences[key]
        self._occurrences[key] += 1
        country = country_code(raw.country_text)
        cn_id = self._chinese_place(raw)
        partner_id = self._partner_place(raw, country) if raw.partner_name else None
        return Partnership(partnership_id(raw, occurrence), raw, country, cn_id, partner_id,
                           {"province": raw.section})

    def _chinese_place(self, raw: RawPartnership) -> str:
        ident = fold_key(raw.cn_link or raw.cn_name)
        place_id = f"cn:{ident}"
        self._add(Place(place_id, "cn", raw.cn_name, raw.cn_link, "CN",
                        province=raw.section, resolution="link"),
                  [raw.cn_name, raw.cn_link])
        return place_id

    def _partner_place(self, raw: RawPartnership, country: str | None) -> str:
        assert raw.partner_name is not None
        ident = fold_key(raw.partner_link or raw.partner_name)
        place_id = f"{(country or 'xx').lower()}:{ident}"
        self._add(Place(place_id, "foreign", raw.partner_name, raw.partner_link, country,
                        resolution="link"),
                  [raw.partner_name, raw.partner_link])
        return place_id

    def _add(self, place: Place, names: list[str | None]) -> None:
        existing = self.places.get(place.id)
        known = dict(existing.names) if existing else {}
        for name in names:
            if name and name not in known:
                known[name] = "written"
            if name:
                simple = to_simplified(name)
                known.setdefault(simple, "simplified")
        merged = existing or place
        self.places[place.id] = replace(merged, names=tuple(known.items()))
