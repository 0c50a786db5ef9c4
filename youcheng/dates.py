"""Dates as list pages write them: 1979年3月14日, 2013年12月, 1986年, 2002-06-05.

Sources give dates at different precisions; we keep the precision instead of
inventing a day or month, so ``2013年12月`` stays ``2013-12``.
"""

from __future__ import annotations

import datetime as _dt
import re

from youcheng._memo import short_text_cache
from youcheng.errors import ParseError
from youcheng.model import PartialDate

_CJK_DATE = re.compile(
    r"(?P<y>\d{3,4})\s*年(?:\s*(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*日)?)?"
)
_ISO_DATE = re.compile(r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{1,2})(?:-(?P<d>\d{1,2}))?(?!\d)")
# Twinning began in the 20th century; a year outside this range is a typo.
_PLAUSIBLE_YEARS = (1900, 2100)
_YEAR_ONLY = re.compile(r"^\s*(?P<y>1[89]\d\d|20\d\d)\s*$")


class InvalidDate(ParseError, ValueError):
    """Raised when text looks like a date but names no real day (9999年99月99日)."""


# A long page repeats the same date texts (a million-row page: 28,000 of them, every day
# of 75 years): short ones are remembered.
_CACHED_CHARS = 64


@short_text_cache(1 << 15, _CACHED_CHARS)
def looks_like_date(text: str) -> bool:
    """Whether ``text`` is shaped like a date, valid or not (decides what a cell is)."""
    return bool(_CJK_DATE.search(text) or _ISO_DATE.search(text) or _YEAR_ONLY.match(text))


@short_text_cache(1 << 15, _CACHED_CHARS)
def parse_date(text: str) -> PartialDate | None:
    """Return the first date in ``text`` at its precision, or None when there is none.

    Raises InvalidDate when the text is date-shaped but impossible, so the caller
    can report the row instead of silently dropping the date.
    """
    match = _CJK_DATE.search(text) or _ISO_DATE.search(text) or _YEAR_ONLY.match(text)
    if match is None:
        return None
    year = int(match["y"])
    month = int(match["m"]) if match.groupdict().get("m") else None
    day = int(match["d"]) if match.groupdict().get("d") else None
    _validate(year, month, day, text)
    return PartialDate(year, month, day)


def _validate(year: int, month: int | None, day: int | None, text: str) -> None:
    if not _PLAUSIBLE_YEARS[0] <= year <= _PLAUSIBLE_YEARS[1]:
        raise InvalidDate(f"year {year} outside {_PLAUSIBLE_YEARS[0]}-{_PLAUSIBLE_YEARS[1]} in {text!r}")
    if month is not None and not 1 <= month <= 12:
        raise InvalidDate(f"month {month} out of range in {text!r}")
    if month is not None and day is not None:
        try:
            _dt.date(year, month, day)
        except ValueError as exc:
            raise InvalidDate(f"no such day in {text!r}: {exc}") from exc
