from __future__ import annotations

import pytest

from youcheng.dates import InvalidDate, looks_like_date, parse_date
from youcheng.model import PartialDate


@pytest.mark.parametrize(("text", "iso", "precision"), [
    ("1979年3月14日", "1979-03-14", "day"),
    ("（2013年12月）", "2013-12", "month"),
    ("1986年", "1986", "year"),
    ("2002-06-05", "2002-06-05", "day"),
    ("1994", "1994", "year"),
])
def test_parse_date_keeps_precision(text: str, iso: str, precision: str) -> None:
    date = parse_date(text)
    assert date is not None and (date.iso(), date.precision) == (iso, precision)


def test_parse_date_returns_none_without_date() -> None:
    assert parse_date("友好協約書") is None
    assert not looks_like_date("友好協約書")


@pytest.mark.parametrize("text", ["9999年99月99日", "2002-06-50", "1990年2月30日", "1200年"])
def test_parse_date_rejects_impossible_dates(text: str) -> None:
    assert looks_like_date(text)
    with pytest.raises(InvalidDate):
        parse_date(text)


def test_partial_date_iso_never_invents_parts() -> None:
    assert PartialDate(2013, 12).iso() == "2013-12"
    assert PartialDate(1986).iso() == "1986"
