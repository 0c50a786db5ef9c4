"""What a registry covers: the figures issue #13 asks for, measured on a built registry.

Usage: python scripts/coverage_report.py [--db PATH]   (default: build the embedded default in a temp dir)

Prints rows by tier, the distinct sister pairs (Chinese place, partner place), the mainland
provinces with and without sister relationships, Shanghai's partners, and for each source
format the share of partners that resolved to a place.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
from pathlib import Path

# The 31 mainland provincial-level divisions (GB/T 2260 two-digit prefixes), Hong Kong, Macau and
# Taiwan left out: their relationships are not counted by the official total either.
MAINLAND_PREFIXES = ("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
                     "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62",
                     "63", "64", "65")


def report(conn: sqlite3.Connection) -> list[str]:
    def one(sql: str, *params: object) -> int:
        return int(conn.execute(sql, params).fetchone()[0])

    lines = [f"partnerships (rows, every source): {one('SELECT count(*) FROM partnerships'):,}"]
    for tier, count in conn.execute("SELECT tier, count(*) FROM partnerships GROUP BY tier ORDER BY 2 DESC"):
        lines.append(f"  {tier}: {count:,}")
    pairs = ("SELECT count(*) FROM (SELECT DISTINCT p.cn_id, coalesce(p.partner_id, p.id) FROM partnerships p"
             " LEFT JOIN places f ON f.id = p.partner_id WHERE p.tier = 'sister' {})")

    def rels(where: str) -> int:
        return one(f"SELECT count(*) FROM relationships WHERE {where}")

    sister, inactive = "tier = 'sister'", "status != 'active'"
    lines.append(f"relationships (pairs of places, issue #14): {rels('1'):,}; sister {rels(sister):,}, "
                 f"of which both places resolved {rels(sister + ' AND matched'):,}; attested by several "
                 f"sources {rels('sources > 1'):,}; with conflicts {rels('conflicts IS NOT NULL'):,}; "
                 f"not active {rels(inactive):,}")
    resolved = one(pairs.format("AND f.resolution IS NOT NULL AND f.resolution != 'unresolved'"))
    lines.append(f"distinct sister pairs (Chinese place, partner): {one(pairs.format('')):,}, "
                 f"of which both sides resolved: {resolved:,}")
    with_sister = {row[0][:2] for row in conn.execute(
        "SELECT DISTINCT c.code FROM partnerships p JOIN places c ON c.id = p.cn_id"
        " WHERE p.tier = 'sister' AND c.code IS NOT NULL")}
    missing = [p for p in MAINLAND_PREFIXES if p not in with_sister]
    lines.append(f"mainland provinces with sister relationships: {31 - len(missing)} of 31"
                 + (f" (none for {', '.join(missing)})" if missing else ""))
    lines.append("Shanghai's distinct partners: " + str(one(
        "SELECT count(DISTINCT coalesce(p.partner_id, p.partner_name)) FROM partnerships p"
        " JOIN places c ON c.id = p.cn_id WHERE c.code LIKE '31%'")))
    lines.append("partners resolved to a place, by format:")
    for fmt, total, resolved in conn.execute(
            "SELECT s.format, count(*), sum(f.resolution IS NOT NULL AND f.resolution != 'unresolved')"
            " FROM partnerships p JOIN sources s ON s.id = p.source_id LEFT JOIN places f ON f.id = p.partner_id"
            " GROUP BY s.format ORDER BY 2 DESC"):
        lines.append(f"  {fmt}: {resolved:,} of {total:,} ({100 * resolved / total:.1f}%)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if db is None:
            from youcheng import Registry

            db = Path(tmp) / "registry.db"
            Registry.build(None, db)
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            print("\n".join(report(conn)))


if __name__ == "__main__":
    main()
