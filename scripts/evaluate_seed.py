"""Precision and recall of the seed export against the hand-checked gold extraction.

Usage: python scripts/evaluate_seed.py [--db registry.db]

The gold file tests/fixtures/seed_gold.tsv was extracted and checked by hand,
independently of the parser. A record counts as correct only when every compared
field matches exactly.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "fixtures" / "seed_gold.tsv"
FIELDS = ("section", "line", "cn_name", "partner_name", "partner_link", "country_text", "date", "note")


def gold_rows(path: Path = GOLD) -> list[tuple[str, ...]]:
    """The gold rows as comparable tuples (empty string for a missing value)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [tuple(row[f] or "" for f in FIELDS) for row in csv.DictReader(handle, delimiter="\t")]


def record_rows(records: list[object]) -> list[tuple[str, ...]]:
    """Export records as the same comparable tuples."""
    return [tuple("" if getattr(r, f) is None else str(getattr(r, f)) for f in FIELDS) for r in records]


def evaluate(mine: list[tuple[str, ...]], gold: list[tuple[str, ...]]) -> tuple[float, float, list[str]]:
    """(precision, recall, differences) comparing the two lists as multisets."""
    remaining = list(gold)
    hits = 0
    extra = []
    for row in mine:
        if row in remaining:
            remaining.remove(row)
            hits += 1
        else:
            extra.append("only in export: " + " | ".join(row))
    missing = ["only in gold:   " + " | ".join(row) for row in remaining]
    precision = hits / len(mine) if mine else 0.0
    recall = hits / len(gold) if gold else 0.0
    return precision, recall, extra + missing


def main() -> int:
    sys.path.insert(0, str(ROOT / "scripts"))
    from _seed import seed_records

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="registry to evaluate (default: build the seed afresh)")
    args = parser.parse_args()
    mine = record_rows(seed_records(args.db))
    precision, recall, diffs = evaluate(mine, gold_rows())
    print(f"records: {len(mine)} exported, {len(gold_rows())} in gold")
    print(f"precision: {precision:.4f}  recall: {recall:.4f}")
    for line in diffs:
        print(line)
    return 0 if precision >= 0.99 and recall >= 0.99 else 1


if __name__ == "__main__":
    raise SystemExit(main())
