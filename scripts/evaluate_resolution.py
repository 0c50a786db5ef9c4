"""Resolution quality on the seed: coverage and correctness against a hand-checked reference.

Usage: python scripts/evaluate_resolution.py [--db registry.db] [--verbose]

Measures, over the seed's records:
* partners with a country, partners with coordinates, Chinese places with a GB/T 2260 code;
* for partners placed by a library (gazetteer or subdivision, not the curated file), the
  distance from the hand-checked reference point (tests/fixtures/seed_partners_reference.csv);
  a city more than 50 km off, or a region more than 300 km off, counts as wrong.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "tests" / "fixtures" / "seed_partners_reference.csv"
TOLERANCE_KM = {"city": 50.0, "district": 50.0, "region": 300.0}


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def reference_by_line(path: Path = REFERENCE) -> dict[int, dict[str, str]]:
    """Reference rows keyed by every seed line they cover."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {int(line): row for row in csv.DictReader(handle) for line in row["lines"].split()}


@dataclass
class Report:
    records: int = 0
    partners: int = 0
    with_country: int = 0
    country_matches_reference: int = 0
    with_coordinates: int = 0
    cn_with_code: int = 0
    checked: int = 0
    wrong: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        pct = lambda n, d: f"{n}/{d} = {100 * n / d:.1f}%" if d else "n/a"  # noqa: E731
        return [
            f"records: {self.records}, naming a partner place: {self.partners}",
            f"records with a country: {pct(self.with_country, self.records)}",
            f"partner country equals the reference: {pct(self.country_matches_reference, self.partners)}",
            f"partners with coordinates: {pct(self.with_coordinates, self.partners)}",
            f"Chinese places with a GB/T 2260 code: {pct(self.cn_with_code, self.records)}",
            f"library-placed partners within tolerance of the reference: "
            f"{pct(self.checked - len(self.wrong), self.checked)}",
        ]


def evaluate(records: list[object], reference: dict[int, dict[str, str]]) -> Report:
    """Compare records (youcheng.Record) with the reference."""
    report = Report(records=len(records))
    for r in records:
        report.with_country += bool(getattr(r, "country"))
        report.cn_with_code += bool(getattr(r, "cn_code"))
        if not getattr(r, "partner_name"):
            continue
        report.partners += 1
        ref = reference.get(getattr(r, "line"))
        if ref and ref["country"] == getattr(r, "country"):
            report.country_matches_reference += 1
        lat, lon = getattr(r, "partner_lat"), getattr(r, "partner_lon")
        if lat is None or lon is None:
            continue
        report.with_coordinates += 1
        if getattr(r, "resolution") in ("gazetteer", "subdivision") and ref and ref["lat"] and ref["lon"]:
            report.checked += 1
            kind = ref["kind"] or "city"
            km = haversine_km(lat, lon, float(ref["lat"]), float(ref["lon"]))
            if km > TOLERANCE_KM.get(kind, 50.0):
                report.wrong.append(f"line {getattr(r, 'line')}: {getattr(r, 'partner_name')} -> "
                                    f"{getattr(r, 'partner_name_en')} ({getattr(r, 'partner_id')}) is "
                                    f"{km:.0f} km from the reference {ref['name_en']}")
    return report


def main() -> int:
    sys.path.insert(0, str(ROOT / "scripts"))
    from _seed import seed_records

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="registry to evaluate (default: build the seed afresh)")
    parser.add_argument("--verbose", action="store_true", help="list every wrongly placed partner")
    args = parser.parse_args()
    records = seed_records(args.db)
    report = evaluate(records, reference_by_line())
    print("\n".join(report.lines()))
    for line in report.wrong if args.verbose else report.wrong[:20]:
        print("  " + line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
