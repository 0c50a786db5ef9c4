from __future__ import annotations

import csv
from importlib import resources

import pycountry
import pytest

from youcheng.resolve.countries import country_code


@pytest.mark.parametrize(("text", "code"), [
    ("美國", "US"), ("美国", "US"), ("日本", "JP"), ("韓國", "KR"), ("吉爾吉斯斯坦", "KG"),
    ("阿爾及利亞大", "DZ"), ("象牙海岸", "CI"), ("蘇丹", "SD"), ("剛果", "CG"), ("爱尔蘭", "IE"),
])
def test_country_code_reads_any_script(text: str, code: str) -> None:
    assert country_code(text) == code


def test_country_code_unknown_is_none() -> None:
    assert country_code("亞特蘭提斯") is None and country_code(None) is None


def test_country_aliases_name_real_codes_with_sources() -> None:
    text = resources.files("youcheng.data").joinpath("country_aliases.csv").read_text("utf-8")
    for row in csv.DictReader(text.splitlines()):
        assert pycountry.countries.get(alpha_2=row["alpha2"]) is not None, row
        assert row["source"].startswith(("manual: ", "http")), row


def test_every_seed_country_text_has_a_code(seed_records: list) -> None:  # type: ignore[type-arg]
    missing = {r.country_text for r in seed_records if r.country_text and country_code(r.country_text) is None}
    assert missing == set()
