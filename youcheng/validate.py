"""No silent answers: filter values that cannot match are errors that say why.

A country that is not an ISO 3166-1 code, a province or level that does not exist,
a year range that ends before it starts, a misspelt parameter: each would otherwise
give an empty (or an unfiltered) answer that looks like a real one. ``check_filters``
runs before every filtered query (CLI, API, Python), ``unknown_parameters`` guards the
API's query strings; both raise ``BadParameter``, which names the parameter and the
accepted values or the nearest ones.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from youcheng.errors import UsageError
from youcheng.model import STATUSES
from youcheng.vocabulary import Level, StatDimension, TierFilter, values

_LEVELS = values(Level)

_SHOWN = 12  # accepted values listed in a message; the rest are counted


class BadParameter(UsageError):
    """A parameter whose value (or name) cannot be used: which one, what it accepts, what is near."""

    def __init__(self, parameter: str, message: str, accepted: Sequence[str] = (),
                 nearest: Sequence[str] = ()) -> None:
        listed = ", ".join(accepted[:_SHOWN]) + (f" … ({len(accepted)} in all)" if len(accepted) > _SHOWN else "")
        hint = f"; did you mean {', '.join(nearest)}?" if nearest else ""
        super().__init__(f"{parameter}: {message}{hint}" + (f" (accepted: {listed})" if accepted else ""))
        self.parameter = parameter
        self.accepted = list(accepted)
        self.nearest = list(nearest)


def nearest(text: str, choices: Iterable[str], limit: int = 3, cutoff: float = 60.0) -> list[str]:
    """The choices closest to ``text`` by rapidfuzz's WRatio, best first."""
    from rapidfuzz import fuzz, process

    options = list(dict.fromkeys(choices))
    return [str(c[0]) for c in process.extract(text, options, scorer=fuzz.WRatio, limit=limit,
                                               score_cutoff=cutoff)]


def check_filters(conn: sqlite3.Connection, f: object) -> None:
    """Raise ``BadParameter`` for a filter of ``f`` (a ``query.Filters``) that no relationship
    could ever match; a valid filter that happens to match nothing is left alone."""
    from youcheng import query

    assert isinstance(f, query.Filters)
    if f.year_from is not None and f.year_to is not None and f.year_from > f.year_to:
        raise BadParameter("year_from", f"{f.year_from} is after year_to {f.year_to}: the range is empty; "
                           "swap them or leave one out")
    if f.country:
        check_country(conn, f.country)
    if f.level and f.level not in _LEVELS:
        raise BadParameter("level", f"unknown level {f.level!r}", _LEVELS, nearest(f.level, _LEVELS))
    if f.province and not query.province_names(conn, f.province):
        provinces = [r.key for r in query.breakdown(conn, StatDimension.province, query.Filters(tier=TierFilter.all))
                     if r.key is not None]
        raise BadParameter("province", f"no province of this registry is called {f.province!r}", provinces,
                           nearest(f.province, provinces))
    if f.tier:
        query.check_tier(f.tier)
    if f.status and f.status not in STATUSES:
        raise BadParameter("status", f"unknown status {f.status!r}", STATUSES, nearest(f.status, STATUSES))


def check_country(conn: sqlite3.Connection, code: str) -> None:
    """An ISO 3166-1 alpha-2 code, or ``BadParameter`` with the code a name means (Japan: JP)."""
    from youcheng import query

    held = [r.key for r in query.breakdown(conn, StatDimension.country, query.Filters(tier=TierFilter.all))
            if r.key is not None]
    if code.upper() in held:
        return
    import pycountry

    if len(code) == 2 and pycountry.countries.get(alpha_2=code.upper()) is not None:
        return  # a country no relationship names: a true, empty answer
    from youcheng.resolve.countries import country_code

    meant = country_code(code)  # a name: 日本, Japan
    raise BadParameter("country", f"{code!r} is not an ISO 3166-1 alpha-2 country code", held,
                       [meant] if meant else nearest(code.upper(), held, cutoff=50.0))


def unknown_parameters(given: Iterable[str], known: Sequence[str]) -> None:
    """``BadParameter`` for the first name in ``given`` that is not in ``known`` (``?contry=JP``),
    with the names it might have meant: a misspelt filter must not be dropped silently."""
    for name in given:
        if name not in known:
            raise BadParameter(name, "unknown parameter; it would be ignored", sorted(known),
                               nearest(name, known, cutoff=70.0))


__all__ = ["BadParameter", "check_country", "check_filters", "nearest", "unknown_parameters"]
