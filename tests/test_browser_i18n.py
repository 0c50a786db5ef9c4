"""The page's two languages name the same labels, and every code word it translates has both.

No browser needed: the labels are read from ``app.js``'s ``I18N`` table. The walk through the
page in each language is in ``test_browser.py``.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import youcheng
from youcheng.model import TIERS
from youcheng.resolve.china import divisions
from youcheng.vocabulary import AnomalyKind, values

SCRIPT = (Path(youcheng.__file__).parent / "web" / "app.js").read_text("utf-8")
KEY = re.compile(r'(?:^|[\s,{])"?([a-z][\w-]*)"?:\s*"')


def _labels(lang: str) -> set[str]:
    block = re.search(rf"\n    {lang}: {{\n(.*?)\n    }},", SCRIPT, re.S)
    assert block, lang
    return set(KEY.findall(block.group(1)))


def test_both_languages_have_the_same_labels() -> None:
    zh, en = _labels("zh"), _labels("en")
    assert len(zh) > 150
    assert zh - en == set() and en - zh == set()


def test_every_code_word_of_the_data_has_a_label(seed_db: Path) -> None:
    """Levels, tiers, resolution methods, anomaly kinds and severities shown on the page.

    Anomaly kinds are ``vocabulary.AnomalyKind`` (every kind the code emits is one:
    tests/test_vocabulary.py), and whatever kinds a build of the seed stored.
    """
    kinds = set(values(AnomalyKind))
    with sqlite3.connect(seed_db) as conn:
        stored = {row[0] for row in conn.execute("SELECT DISTINCT kind FROM anomalies")}
        methods = {row[0] for row in conn.execute("SELECT DISTINCT resolution FROM places") if row[0]}
    assert len(kinds) >= 15 and stored and methods
    labels = _labels("en")
    wanted = ({f"kind_{k}" for k in kinds | stored} | {f"tier_{t}" for t in TIERS}
              | {f"level_{x}" for x in ("province", "prefecture", "county", "district")}
              | {f"kind_{x}" for x in ("city", "region", "district")}
              | {f"res_{x}" for x in methods | {"gbt2260", "gazetteer", "subdivision", "curated", "parent", "unresolved"}}
              | {f"sev_{x}" for x in ("error", "warning", "info")}
              | {f"origin_{x}" for x in ("written", "converted", "romanised", "gazetteer")})
    assert wanted - labels == set()


def test_stats_name_every_province_in_english(seed_db: Path) -> None:
    """The page's English mode names provinces from /api/stats (陕西 Shaanxi, not 山西's Shanxi)."""
    from fastapi.testclient import TestClient

    from youcheng.api import create_app

    with TestClient(create_app(seed_db)) as client:
        rows = client.get("/api/stats", params={"tier": "all"}).json()["province"]
    names = {row["key"]: row["name_en"] for row in rows if row["key"]}
    assert len(names) >= 10 and all(names.values()), names
    assert names["湖北省"] == "Hubei" and len(set(names.values())) == len(names)
    provinces = divisions().provinces  # every province, the seed's or not, has a name of its own
    english = [d.name_en for d in provinces]
    assert len(provinces) >= 34 and len(set(english)) == len(english)
    assert divisions().province_of_section("陕西省").name_en == "Shaanxi"  # type: ignore[union-attr]
