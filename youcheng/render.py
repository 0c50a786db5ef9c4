"""``youcheng render``: a province's relationships as a table in the list page's layout.

The round trip of issue #14: an editor updates 中华人民共和国友好城市列表 from the registry.
Each Chinese place's partners are listed under it (one cell spanning their rows, as on the
list page: the partner's country, the partner and the date in brackets), each with a
``<ref>`` per source that attests it (source file, line, where the file comes from). A
relationship whose sources disagree carries a comment naming every value, and a suspended
or ended one is struck through with its status and citation, so nothing is decided silently.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from itertools import groupby

from youcheng.errors import UsageError
from youcheng.relationships import Attestation, Relationship, select_relationships
from youcheng.vocabulary import RenderFormat, Status, Tier, values


def chinese_date(iso: str | None) -> str:
    """An ISO date at its precision as the list page writes it: 1982年9月8日, 1982年9月, 1982年."""
    if not iso:
        return "日期不详"
    parts = [int(p) for p in iso.split("-")]
    return "".join(f"{value}{unit}" for value, unit in zip(parts, "年月日"))


def _country(code: str | None) -> str:
    from youcheng.resolve.countries import country_name_zh

    return (country_name_zh(code) if code else None) or code or ""


def render(conn: sqlite3.Connection, province: str, fmt: str = RenderFormat.wikitext.value,
           tier: str | None = Tier.sister.value) -> str:
    """The relationships of a province's places (``tier``: sister unless told; ``all`` for every tier)
    as a ``wikitext`` or ``markdown`` table with a reference per source."""
    from youcheng import query

    if fmt not in values(RenderFormat):
        raise UsageError(f"unknown render format {fmt!r}; choose one of {', '.join(values(RenderFormat))}")
    names = query.province_names(conn, province)
    if not names:
        raise UsageError(f"no province is called {province!r} in this registry")
    _, found = select_relationships(conn, query.Filters(province=province, tier=tier), limit=None)
    found.sort(key=lambda r: (r.cn_name, r.date is None, r.date or "", r.partner_name or ""))
    origins = dict(conn.execute("SELECT name, COALESCE(origin, name) FROM sources").fetchall())
    title = "、".join(names)
    return (_wikitext if fmt == RenderFormat.wikitext else _markdown)(title, found, origins)


def _partner(r: Relationship, link: bool = False) -> str:
    name = (f"[[{r.partner_name}]]" if link else r.partner_name) if r.partner_name else "（只写国家）"
    text = f"{_country(r.country)} {name}（{chinese_date(r.date)}）"
    if r.status != Status.active:
        return f"<s>{text}</s>（{r.status}: {r.status_source}）"
    return text


def _reference(a: Attestation, origins: dict[str, str]) -> str:
    written = f"{a.partner_name or ''} {a.date_text or ''}".strip()
    return f"{a.source}, line {a.line}: {written} ({origins.get(a.source, a.source)})"


def _disagreement(r: Relationship) -> str:
    return "; ".join(f"{c.field}: " + ", ".join(f"{v.value} ({v.source}:{v.line})" for v in c.values)
                     for c in r.conflicts)


def _wikitext(title: str, found: Sequence[Relationship], origins: dict[str, str]) -> str:
    out = [f"== {title} ==", '{| class="wikitable"', "! 中方城市 !! 外方城市（结好时间）"]
    for cn_name, group in groupby(found, key=lambda r: r.cn_name):
        rows = list(group)
        for i, r in enumerate(rows):
            out.append("|-")
            if i == 0:
                span = f'rowspan="{len(rows)}" | ' if len(rows) > 1 else ""
                out.append(f"| {span}[[{cn_name}]]")
            refs = "".join(f"<ref>{_reference(a, origins)}</ref>" for a in r.attestations)
            note = f"<!-- youcheng: the sources disagree: {_disagreement(r)} -->" if r.conflicts else ""
            out.append(f"| {_partner(r, link=True)}{refs}{note}")
    out += ["|}", "", "== 参考资料 ==", "<references />", ""]
    return "\n".join(out)


def _markdown(title: str, found: Sequence[Relationship], origins: dict[str, str]) -> str:
    out = [f"## {title}", "", "| 中方城市 | 外方城市（结好时间） |", "| ---: | --- |"]
    notes: list[str] = []
    for cn_name, group in groupby(found, key=lambda r: r.cn_name):
        for i, r in enumerate(group):
            refs = ""
            for a in r.attestations:
                notes.append(f"[^{len(notes) + 1}]: {_reference(a, origins)}")
                refs += f"[^{len(notes)}]"
            disagree = f" ⚠ sources disagree: {_disagreement(r)}" if r.conflicts else ""
            cell = f"{_partner(r)}{refs}{disagree}".replace("|", "\\|")
            out.append(f"| {'〖' + cn_name + '〗' if i == 0 else ''} | {cell} |")
    return "\n".join([*out, "", *notes, ""])


__all__ = ["chinese_date", "render"]
