"""Regenerate youcheng/data/cn_divisions.csv from the cpca package's adcodes table.

Usage: python scripts/make_cn_divisions.py [path/to/cpca/resources]

Without an argument it downloads the cpca wheel (MIT licence) with pip into a
temporary folder. cpca ships GB/T 2260 codes (as 12-digit adcodes) with a
coordinate for every province, prefecture and county; we keep the 6-digit code,
the Simplified name, its tone-marked pinyin (pypinyin plus data/pinyin_overrides.csv)
and the coordinate. We ship a CSV instead of depending on
cpca because cpca pulls pandas and loads slowly; a CSV of 3,500 rows loads in
milliseconds and is diffable when the table is refreshed.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

CPCA_VERSION = "0.5.5"
DATA = Path(__file__).resolve().parent.parent / "youcheng" / "data"
OUT = DATA / "cn_divisions.csv"
ETHNIC_OUT = DATA / "cn_ethnic_groups.csv"


def _download() -> tuple[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        f"cpca=={CPCA_VERSION}", "-d", tmp], check=True)
        [wheel] = Path(tmp).glob("cpca-*.whl")
        with zipfile.ZipFile(wheel) as archive:
            return (archive.read("cpca/resources/adcodes.csv").decode("utf-8"),
                    archive.read("cpca/resources/56_nations.csv").decode("utf-8"))


def main() -> None:
    if len(sys.argv) > 1:
        folder = Path(sys.argv[1])
        text = (folder / "adcodes.csv").read_text("utf-8")
        nations = (folder / "56_nations.csv").read_text("utf-8")
    else:
        text, nations = _download()
    rows = []
    for row in csv.DictReader(text.splitlines()):
        code = row["adcode"][:6]
        if not row["latitude"] or row["name"] == "市辖区":
            continue  # "urban districts" placeholders: no place of their own
        rows.append((code, row["name"], f"{float(row['latitude']):.4f}", f"{float(row['longitude']):.4f}"))
    rows.sort()
    sys.path.insert(0, str(DATA.parent.parent))
    from youcheng.resolve.names import pinyin_syllables

    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["code", "name", "pinyin", "lat", "lon", "source"])
        for code, name, lat, lon in rows:
            # Pinyin is precomputed so that builds need not load pypinyin's dictionaries.
            pinyin = " ".join(pinyin_syllables(name, tones=True))
            writer.writerow([code, name, pinyin, lat, lon, f"cpca {CPCA_VERSION} adcodes.csv"])
    print(f"wrote {len(rows)} divisions to {OUT}")
    groups = sorted({line.strip() for line in nations.splitlines() if line.strip()}, key=lambda g: (-len(g), g))
    with ETHNIC_OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["name", "source"])
        for group in groups:
            writer.writerow([group, f"cpca {CPCA_VERSION} 56_nations.csv"])
    print(f"wrote {len(groups)} ethnic group names to {ETHNIC_OUT}")


if __name__ == "__main__":
    main()
