"""Turn raw rows into stored partnerships: stable ids, resolved places, countries.

Identity rules live here so that better resolvers can change *which* place a
row means without touching the parser or the store. Findings about the data
(unresolved names, spelling variants, contradicting countries, listed-twice
pairs) come out as anomalies with the row's line, like parser anomalies.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from youcheng._memo import NAME_CACHE, paying_cache
from youcheng.model import Anomaly, Link, Place, PlaceBatch, PlaceName, RawPartnership, Spelling
from youcheng.relationships import relationship_id
from youcheng.resolve.china import Division, divisions
from youcheng.resolve.countries import country_code
from youcheng.resolve.fold import NameForms, name_forms
from youcheng.resolve.gazetteer import (ForeignPlace, alternate_names, cities_elsewhere, may_be_known,
                                        resolve_foreign)
from youcheng.resolve.names import fold_key, to_simplified
from youcheng.vocabulary import AnomalyKind

# (id, country, cn_id, partner_id, country_inferred, country_method, cn_name_simplified,
#  partner_name_simplified, cn_level, province, relationship_id): see RecordResolver.resolve_fields.
ResolvedFields = tuple[str, str | None, str, str | None, bool, str | None, str, str | None,
                       str | None, str | None, str]
# Plans kept per generation (_PlanCache): two generations hold the distinct ways a
# million-row page writes its partners (74,000 keys of links, name and country for 44,000
# places), and a page of names that never repeat holds no more than two generations.
_PLAN_CACHE = 1 << 16
# Names whose forms (fold.NameForms) the build process keeps from the parsing process: as
# many as the parsing process remembers having sent (pipeline), both forgetting all at once.
FORMS_KEPT = 1 << 14
# A name's forms as they cross between the processes: the name, then NameForms' fields.
SentForms = tuple[str, str, str, str, str]
_T = TypeVar("_T")


class _PlanCache(dict[tuple[object, ...], _T]):
    """What rows with the same names mean, remembered in bounded memory: the dict itself is
    the young generation (a row's look-up is one ``dict.get``); once it is full its plans
    become the old generation, the oldest being dropped. A plan met again in the old one
    moves back (``revive``), so the plans a page keeps using stay while those of names
    written once pass through."""

    def __init__(self) -> None:
        super().__init__()
        self._old: dict[tuple[object, ...], _T] = {}

    def revive(self, key: tuple[object, ...]) -> _T | None:
        """The plan for ``key`` in the old generation, moved back to the young one; else None."""
        plan = self._old.pop(key, None)
        return None if plan is None else self.put(key, plan)

    def known(self, key: tuple[object, ...]) -> bool:
        return key in self or key in self._old

    def put(self, key: tuple[object, ...], plan: _T) -> _T:
        if len(self) >= _PLAN_CACHE:
            self._old = dict(self)
            self.clear()
        self[key] = plan
        return plan


@dataclass(eq=False, slots=True)  # slots: the plan caches hold hundreds of thousands
class _Plan:
    """What rows with the same names mean: the place, the names to index, the method to count."""

    place: Place
    names: list[str]  # the names tried, for the unresolved-partner report
    add_names: list[tuple[str | None, str]]  # (name, where it comes from: model.NAME_ORIGINS); emptied once handed
    counted: str
    simplified: str  # the row's own name in Simplified script, as stored with the row
    handed: bool = False  # the place, its names and this spelling handed over (take_places)
    known: bool = True  # some table has a key of a name tried (gazetteer.may_be_known)
    parent: _Plan | None = None  # a district's parent place (東京都 of 東京都新宿區)


def _identity(raw: RawPartnership, partner_link: str | None) -> str:
    """What identifies a row on its page (see ``RowIds``), as one string."""
    return "\x1f".join((raw.source, raw.cn_name, raw.partner_name or "", partner_link or "",
                        raw.country_text or ""))


def _hashed_id(identity: str, occurrence: int) -> str:
    return hashlib.sha1(f"{identity}\x1f{occurrence}".encode()).hexdigest()[:16]


class RowIds:
    """Stable ids of rows in page order: the same row gets the same id on every rebuild.

    An id is built from what identifies the relationship on its page (source, both
    names, partner link, country text) and not from the line number or date, so
    edits elsewhere on the page or a corrected date keep it; a pair the page lists
    again gets its occurrence counted in.

    Apart from ``RecordResolver`` because an id depends on nothing but the rows
    before it: a build's parsing process assigns them, which halves the work
    left to the process that resolves and stores.
    """

    def __init__(self) -> None:
        # Compact for million-row pages: 64-bit hashes of the row identities.
        self._seen_once: set[int] = set()
        self._occurrences: dict[int, int] = {}  # only identities seen more than once

    def next(self, raw: RawPartnership) -> str:
        """The id of ``raw``, the next row of its page."""
        links = raw.partner_links
        identity = _identity(raw, links[-1].target if links else None)
        key = hash(identity)
        if key in self._seen_once:  # how many times this identity came before
            occurrence = self._occurrences.get(key, 1)
            self._occurrences[key] = occurrence + 1
        else:
            self._seen_once.add(key)
            occurrence = 0
        return _hashed_id(identity, occurrence)


class RecordResolver:
    """Assigns ids, places and countries to raw rows, one page after another.

    Keeps one ``Place`` per identity so that 烏蘭巴托 and 烏蘭巴托市 (the same
    GeoNames city) become one place while 南方省 in Cameroon and in Sri Lanka
    stay two.
    """

    def __init__(self) -> None:
        self.methods: Counter[str] = Counter()
        # Per-row state, kept compact for million-row pages: 64-bit hashes of each
        # (Chinese place, partner, source), and the ids' count of repeated rows.
        self._pairs: dict[int, int] = {}  # pair hash -> line first listed
        self._findings: list[Anomaly] = []
        # Places, names and spellings not handed over yet (take_places): the store writes
        # them as they come, so that no build holds every place (issue #16).
        self._news = PlaceBatch([], [], [])
        # A place that gazetteers know, as first met: every row naming it takes its country,
        # kind and resolution from it, whichever names it is written with. Bounded by the
        # gazetteers; a place no source knows is one name and one id, and is not kept.
        self._known: dict[str, Place] = {}
        # What a row's names resolve to, worked out once per distinct spelling.
        self._cn_plans: _PlanCache[_Plan] = _PlanCache()
        self._partner_plans: _PlanCache[_Plan] = _PlanCache()
        self._domestic_plans: _PlanCache[_Plan | None] = _PlanCache()
        # The forms of names the rows write, as a parsing process worked them out (learn_forms).
        self._forms: dict[str, NameForms] = {}

    def resolve_fields(self, raw: RawPartnership, pid: str, partner_known: bool | None = None) -> ResolvedFields:
        """The row's places and country, registering the places it names, as the tuple
        ``store`` stores after the row's ``raw_columns``; ``pid`` is the row's id from a ``RowIds``,
        ``partner_known`` the row's ``partner_may_be_known`` if worked out already."""
        stated = country_code(raw.country_text)
        cn, cn_simplified = self._chinese_place(raw)
        partner, partner_simplified, country, method = None, None, stated, "page" if stated else None
        if raw.partner_name:
            partner, partner_simplified = (self._domestic_partner(raw) if raw.tier == "domestic" else None) \
                or self._partner_place(raw, stated, partner_known)
            if stated is None and partner.country:
                country, method = partner.country, f"inferred:{partner.resolution}"
        if raw.country_text and stated is None:
            self._finding(raw, AnomalyKind.unknown_country, "warning",
                          f"country {raw.country_text!r} is not an ISO 3166 country name")
        partner_id = partner.id if partner else None
        self._check_pair(raw, cn.id, partner_id, country)
        # Matched only when both sides resolved: an unresolved statement is its own relationship.
        matched = cn.resolution != "unresolved" and partner is not None and partner.resolution != "unresolved"
        return (pid, country, cn.id, partner_id,
                method is not None and method.startswith("inferred"), method,
                cn_simplified, partner_simplified, cn.kind, cn.province,
                relationship_id(cn.id, partner_id, matched, pid))

    def learn_forms(self, sent: Sequence[SentForms]) -> None:
        """Keep the forms of names that rows to come write (``row_forms``), worked out by a
        build's parsing process: converting and keying a name costs more than resolving it.
        Names without them are converted here, and keyed by the store."""
        forms = self._forms
        for name, *rest in sent:
            if len(forms) >= FORMS_KEPT:
                forms.clear()
            forms[name] = NameForms._make(rest)

    def take_findings(self) -> list[Anomaly]:
        """The findings about rows resolved since the last call: handed over as they come, so
        a page with millions of doubtful rows is not held in memory until its end."""
        found, self._findings = self._findings, []
        return found

    def take_places(self) -> PlaceBatch:
        """The places met, names learnt and spellings seen since the last call, for the store."""
        news, self._news = self._news, PlaceBatch([], [], [])
        return news

    # -- Chinese side --------------------------------------------------------------------

    def _chinese_place(self, raw: RawPartnership) -> tuple[Place, str]:
        """The row's Chinese place and its name as written, in Simplified script."""
        code = _stated_code(raw.extra) if raw.extra else None
        key = (raw.cn_links, raw.cn_name, raw.section, code)
        plan = self._cn_plans.get(key) or self._cn_plans.revive(key)
        if plan is None:
            plan = self._cn_plans.put(key, self._plan_chinese_place(raw, code))
        place = plan.place
        self.methods[plan.counted] += 1
        if place.resolution == "unresolved":
            self._finding(raw, AnomalyKind.unresolved_cn_place, "warning",
                          f"Chinese place {raw.cn_name!r} matches no GB/T 2260 division",
                          line=raw.cn_line)
        return self._add(plan, raw, spelled=False), plan.simplified

    def _plan_chinese_place(self, raw: RawPartnership, code: str | None = None) -> _Plan:
        """The place a row's Chinese side means and the names to index for it.

        Depends only on the row's Chinese names, section and the GB/T 2260 code its
        source states (``extra["cn_code"]``, e.g. a reader that resolved an English
        name within its own context), so it is worked out once per distinct place as
        written and reused for every row.
        """
        names = _cn_names(raw)
        simplified = self._simplified(raw.cn_name)
        stated = divisions().by_code.get(code) if code else None
        division, method = (stated, "gbt2260") if stated else divisions().resolve(names, raw.section)
        if division is None:
            place = Place(f"cn:?{self._fold(raw.cn_name)}", "cn", raw.cn_name, raw.cn_link, "CN",
                          name_simplified=simplified, resolution="unresolved")
            return _Plan(place, [], _written(raw.cn_name, raw.cn_link), f"cn:{method}", simplified)
        place = _division_place(division, raw.cn_name, raw.cn_link, method)
        return _Plan(place, [], [*_written(raw.cn_name, raw.cn_link), *_division_names(division)], f"cn:{method}",
                     simplified)

    # -- a Chinese partner (tier domestic) -----------------------------------------------

    def _domestic_partner(self, raw: RawPartnership) -> tuple[Place, str] | None:
        """A domestic partner as the GB/T 2260 division it is (江苏省南京市 -> cn:320100), so that
        the pair stated on both cities' pages is one relationship; None if no division matches
        (then it is looked up like a foreign partner)."""
        key = (raw.partner_links, raw.partner_name)
        if self._domestic_plans.known(key):
            plan = self._domestic_plans.get(key) or self._domestic_plans.revive(key)
        else:
            plan = self._domestic_plans.put(key, self._plan_domestic_partner(raw))
        if plan is None:
            return None
        self.methods[plan.counted] += 1
        return self._add(plan, raw, spelled=False), plan.simplified

    def _plan_domestic_partner(self, raw: RawPartnership) -> _Plan | None:
        assert raw.partner_name is not None
        written = [*(_own_names(raw.partner_links[-1]) if raw.partner_links else []), raw.partner_name]
        for name in dict.fromkeys(written):
            province, rest = divisions().split_province(name)
            division, method = divisions().resolve([rest, name] if province else [name], province)
            if division is not None:
                place = _division_place(division, raw.partner_name, raw.partner_link, method)
                return _Plan(place, [], [*_written(raw.partner_name, raw.partner_link), *_division_names(division)],
                             f"domestic:{method}", self._simplified(raw.partner_name))
        return None

    # -- foreign side ----------------------------------------------------------------------

    def _partner_place(self, raw: RawPartnership, country: str | None,
                       known: bool | None = None) -> tuple[Place, str]:
        """The row's partner and its name as written, in Simplified script."""
        key = (raw.partner_links, raw.partner_name, country)
        plan = self._partner_plans.get(key) or self._partner_plans.revive(key)
        if plan is None:
            plan = self._partner_plans.put(key, self._plan_partner_place(raw, country, known))
        if plan.parent is not None:
            self._add(plan.parent, raw, written=raw.partner_links[0].text)
        self.methods[plan.counted] += 1
        if plan.place.resolution == "unresolved":
            self._report_unresolved(raw, plan.names, country, plan.known)
        return self._add(plan, raw), plan.simplified

    def _plan_partner_place(self, raw: RawPartnership, country: str | None, known: bool | None = None) -> _Plan:
        """The place a partner means, and for a partner written under a bigger place
        (東京都新宿區) its parent's plan too: depends only on its links, name and country."""
        assert raw.partner_name is not None
        names = partner_names(raw)
        if known is None:
            known = partner_may_be_known(raw)
        simplified = self._simplified(raw.partner_name)
        found = resolve_foreign(names, country) if known else None
        parent_plan = self._plan_parent_place(raw, country) if len(raw.partner_links) > 1 else None
        parent = parent_plan.place if parent_plan else None
        if found is None and parent is not None:
            found = ForeignPlace(
                f"{parent.id}/{fold_key(raw.partner_links[-1].text)}", None,
                parent.country or "", "district", "parent", None, None, parent.lat, parent.lon)
        if found is None:
            ident = self._fold(raw.partner_link or raw.partner_name)
            place = Place(f"x:{(country or 'xx').lower()}:{ident}", "foreign", raw.partner_name,
                          raw.partner_link, country, name_simplified=simplified, resolution="unresolved")
            return _Plan(place, names, _written(raw.partner_name, raw.partner_link), "foreign:unresolved",
                         simplified, parent=parent_plan, known=known)
        kind = "district" if found.kind == "city" and parent and found.id != parent.id else found.kind
        place = Place(
            found.id, "foreign", raw.partner_name, raw.partner_link, found.country,
            name_simplified=simplified, name_en=found.name_en, kind=kind,
            subdivision=found.subdivision, geonames_id=found.geonames_id, lat=found.lat, lon=found.lon,
            parent_id=parent.id if parent and parent.id != found.id else None, resolution=found.method,
        )
        own = _own_names(raw.partner_links[-1]) if raw.partner_links else []
        return _Plan(place, names, [*_written(raw.partner_name, raw.partner_link, *own), *_gazetteer(found)],
                     f"foreign:{found.method}", simplified, parent=parent_plan)

    def _plan_parent_place(self, raw: RawPartnership, country: str | None) -> _Plan | None:
        first = raw.partner_links[0]
        found = resolve_foreign(_own_names(first), country)
        if found is None:
            return None
        simplified = to_simplified(first.text)
        place = Place(found.id, "foreign", first.text, first.target, found.country,
                      name_simplified=simplified, name_en=found.name_en,
                      kind=found.kind, subdivision=found.subdivision, geonames_id=found.geonames_id,
                      lat=found.lat, lon=found.lon, resolution=found.method)
        return _Plan(place, [], [*_written(first.text, first.target), *_gazetteer(found)], "", simplified)

    def _report_unresolved(self, raw: RawPartnership, names: list[str], country: str | None,
                           known: bool) -> None:
        # A name no table knows is no city elsewhere either.
        elsewhere = cities_elsewhere(names, country) if country and known else []
        if elsewhere:
            self._finding(raw, AnomalyKind.country_conflict, "warning",
                          f"{raw.partner_name} is listed under {raw.country_text} ({country}) but the "
                          f"gazetteer knows it only in {', '.join(elsewhere)}")
        else:
            self._finding(raw, AnomalyKind.unresolved_partner, "warning",
                          f"partner {raw.partner_name!r} ({country or 'country unknown'}) matches no "
                          "gazetteer city, subdivision or curated place")

    # -- bookkeeping -------------------------------------------------------------------------

    def _add(self, plan: _Plan, raw: RawPartnership, spelled: bool = True,
             written: str | None = None) -> Place:
        """The plan's place as rows name it; the first row of a plan hands the place, its
        names and how the row spells it over to the store (``take_places``)."""
        place = plan.place
        if not plan.handed:  # every later row of the plan brings the same
            self._hand_over(plan, raw, (written or raw.partner_name) if spelled else None)
            plan.handed = True
        if place.resolution in _NAMED_BY_THEIR_ID:
            return place
        return self._known.setdefault(place.id, place)

    def _hand_over(self, plan: _Plan, raw: RawPartnership, written: str | None) -> None:
        place = plan.place
        news = self._news
        news.places.append(place)
        names = news.names
        # Each name once (a page's link target is mostly its text): the first origin wins anyway.
        seen: set[str] = set()
        for name, origin in plan.add_names:
            if name and name not in seen:
                seen.add(name)
                names.append(self._place_name(place.id, name, origin))
        plan.add_names = []  # handed over: the plan cache need not hold them (GeoNames' dozens a city)
        if place.side == "cn" and place.name_simplified:
            names.append(PlaceName(place.id, place.name_simplified, "gazetteer"))
        if place.name_en:
            names.append(PlaceName(place.id, place.name_en, "gazetteer"))
        if written and place.side == "foreign":
            news.spellings.append(Spelling(place.id, written, raw.source, raw.line))

    def _place_name(self, place_id: str, name: str, origin: str) -> PlaceName:
        """A name of a place as written, with its Simplified form: keyed already if its forms
        are known (``learn_forms``)."""
        forms = self._forms.get(name)
        if forms is None:
            return PlaceName(place_id, name, origin, True)
        return PlaceName(place_id, name, origin, True, forms.key, forms.simplified, forms.simplified_key)

    def _simplified(self, name: str) -> str:
        forms = self._forms.get(name)
        return to_simplified(name) if forms is None else forms.simplified

    def _fold(self, name: str) -> str:
        forms = self._forms.get(name)
        return fold_key(name) if forms is None else forms.fold

    def _check_pair(self, raw: RawPartnership, cn_id: str, partner_id: str | None,
                    country: str | None) -> None:
        if partner_id is None:
            return
        key = hash((cn_id, partner_id, raw.source))
        line = self._pairs.get(key)
        if line is not None:
            self._finding(raw, AnomalyKind.duplicate_pair, "warning",
                          f"{raw.cn_name} – {raw.partner_name} is listed again (first at {raw.source}:{line})")
        else:
            self._pairs[key] = raw.line

    def _finding(self, raw: RawPartnership, kind: str, severity: str, message: str,
                 line: int | None = None) -> None:
        self._findings.append(Anomaly(raw.source, line or raw.line, kind, severity,  # type: ignore[arg-type]
                                      message, raw.partner_name or raw.cn_name))


# Resolutions whose place is the same whichever plan meets it: an unresolved place's id is
# its name, a district's is its parent's and its own name.
_NAMED_BY_THEIR_ID = frozenset(("unresolved", "parent"))


def partner_names(raw: RawPartnership) -> list[str]:
    """The names a row's partner is looked up by: its last link's target and text, then the
    name as written."""
    return _partner_names(raw.partner_links, raw.partner_name)


def _partner_names(links: tuple[Link, ...], name: str | None) -> list[str]:
    own = _own_names(links[-1]) if links else []
    return list(dict.fromkeys([*own, name or ""]))


def partner_may_be_known(raw: RawPartnership) -> bool:
    """Whether any table could know the row's partner (``gazetteer.may_be_known`` of its
    names). A page's parsing process works it out beside the row, where it costs the build
    nothing (``pipeline``): a page of names no table knows is half resolved before it arrives."""
    return raw.partner_name is not None and _names_may_be_known(raw.partner_links, raw.partner_name)


@paying_cache(NAME_CACHE)  # a page's rows mostly name the partners of rows before them
def _names_may_be_known(links: tuple[Link, ...], name: str) -> bool:
    return any(map(may_be_known, _partner_names(links, name)))


def row_names(raw: RawPartnership) -> list[str]:
    """The names a row writes that the resolver converts, folds or hands over as written: the
    Chinese place's and the partner's, each as text and as link target."""
    return list(dict.fromkeys(n for n in (raw.cn_name, raw.cn_link, raw.partner_name, raw.partner_link) if n))


def row_forms(raw: RawPartnership, sent: set[str]) -> list[SentForms] | None:
    """The forms of the names ``raw`` writes that are not in ``sent``, for ``learn_forms``
    (None if none), and those names added to ``sent``, which holds at most ``FORMS_KEPT``
    (emptied when full, as ``learn_forms`` empties its own)."""
    fresh: list[SentForms] | None = None
    for name in row_names(raw):
        if name not in sent:
            if len(sent) >= FORMS_KEPT:
                sent.clear()
            sent.add(name)
            if fresh is None:
                fresh = []
            fresh.append((name, *name_forms(name)))
    return fresh


def spelling_findings(groups: Iterable[tuple[str, str, list[Spelling]]]) -> Iterator[Anomaly]:
    """A ``spelling_variants`` finding for each place written more than one way: ``groups``
    holds (place id, the name to show, its spellings, each with where it is first written)."""
    for place_id, shown, spellings in groups:
        written = "、".join(sorted(s.written for s in spellings))
        first = min(spellings, key=lambda s: (s.source, s.line))
        yield Anomaly(first.source, first.line, AnomalyKind.spelling_variants, "info",
                      f"{shown} ({place_id}) is written {len(spellings)} ways: {written}", written)


def _division_place(division: Division, written: str, link: str | None, method: str) -> Place:
    """The place of a GB/T 2260 division, as a row writes and links it."""
    province = divisions().by_code[division.province_code]
    return Place(
        f"cn:{division.code}", "cn", written, link, "CN",
        name_simplified=division.name, name_pinyin=division.pinyin, name_en=division.name_en,
        kind=division.level, code=division.code, province=province.name,
        lat=division.lat, lon=division.lon,
        parent_id=f"cn:{division.parent_code}" if division.parent_code else None,
        resolution=method,
    )


def _stated_code(extra: tuple[tuple[str, str], ...]) -> str | None:
    """The GB/T 2260 code a source states for the Chinese side, if any."""
    for key, value in extra:
        if key == "cn_code":
            return value
    return None


def _own_names(link: Link) -> list[str]:
    return list(dict.fromkeys(n for n in (link.target, link.text) if n))


def _cn_names(raw: RawPartnership) -> list[str]:
    """Names to try for the Chinese side, most specific first (the last link's target)."""
    names = [link.target.split(" (")[0] for link in reversed(raw.cn_links[-1:])]
    names += [raw.cn_links[-1].text] if raw.cn_links else []
    names.append(raw.cn_name)
    return list(dict.fromkeys(n for n in names if n))


def _written(*names: str | None) -> list[tuple[str | None, str]]:
    """Names as the source writes them (text and link targets)."""
    return [(name, "written") for name in names]


def _gazetteer(found: ForeignPlace) -> list[tuple[str | None, str]]:
    """A resolved foreign place's names from GeoNames: its English name and, for a city,
    its alternate names (Cologne, Colonia and 科隆 for Köln), so each finds it."""
    names: list[tuple[str | None, str]] = [(found.name_en, "gazetteer")]
    if found.geonames_id is not None:
        names += [(name, "gazetteer") for name in alternate_names(found.geonames_id)]
    return names


def _division_names(d: Division) -> list[tuple[str | None, str]]:
    """A Chinese division's names from GB/T 2260 (official name and stem), its pinyin and
    English name, each labelled with where it comes from."""
    return [(d.name, "gazetteer"), (d.stem, "gazetteer"), (d.stem_romanized(), "romanised"),
            (d.name_en, d.name_en_origin)]


__all__ = ["FORMS_KEPT", "RecordResolver", "ResolvedFields", "RowIds", "SentForms", "partner_may_be_known",
           "partner_names", "row_forms", "row_names", "spelling_findings"]
