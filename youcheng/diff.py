"""``youcheng diff OLD.db NEW.db``: the relationships added, removed and changed between two builds.

Relationship ids are the same on every build (a hash of the two place ids), so two builds
(two versions of a page, two snapshots) are compared id by id. A relationship changed when
its chosen tier, date, country or status, its conflicts or its attestations differ (by their
stable ids, so lines that merely moved on an edited page change nothing).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

# What is compared, as columns of relationships (r) and of its chosen attestation (c).
_COMPARED = ("tier", "date", "country", "status", "conflicts")
_SELECT = ("SELECT r.id, c.cn_name, c.partner_name, r.tier, r.date, r.country, r.status, r.conflicts"
           " FROM relationships r JOIN partnerships c ON c.id = r.chosen")


@dataclass(frozen=True)
class Change:
    """A relationship in both builds whose values or sources differ: field -> (old, new)."""

    id: str
    cn_name: str
    partner_name: str | None
    fields: dict[str, tuple[object, object]]


@dataclass
class RelationshipDiff:
    """What a new build has that the old had not, and the other way round."""

    added: list[tuple[str, str, str | None, str | None]] = field(default_factory=list)  # id, cn, partner, date
    removed: list[tuple[str, str, str | None, str | None]] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)

    def lines(self) -> list[str]:
        """One line each: ``+`` added, ``-`` removed, ``~`` changed with every field's old → new."""
        out = [f"+ {i}\t{cn} – {partner or '—'}\t{date or ''}" for i, cn, partner, date in self.added]
        out += [f"- {i}\t{cn} – {partner or '—'}\t{date or ''}" for i, cn, partner, date in self.removed]
        out += [f"~ {c.id}\t{c.cn_name} – {c.partner_name or '—'}\t" +
                "; ".join(f"{name}: {_show(old)} → {_show(new)}" for name, (old, new) in c.fields.items())
                for c in self.changed]
        return out


def _show(value: object) -> str:
    return "—" if value is None or value == [] else str(value)


def _read(conn: sqlite3.Connection) -> tuple[dict[str, tuple[object, ...]], dict[str, dict[str, str]]]:
    """Each relationship's compared values, and its attestations: id -> source:line."""
    try:
        rows = {str(row[0]): tuple(row) for row in conn.execute(_SELECT)}
        attested: dict[str, dict[str, str]] = {}
        for rid, aid, source, line in conn.execute("SELECT relationship_id, id, source, line FROM partnerships"):
            attested.setdefault(str(rid), {})[str(aid)] = f"{source}:{line}"
    except sqlite3.OperationalError as exc:
        from youcheng.errors import UsageError

        raise UsageError(f"not a registry with relationships (rebuild it with 'youcheng build'): {exc}") from exc
    return rows, attested


def diff(old: sqlite3.Connection, new: sqlite3.Connection) -> RelationshipDiff:
    """The relationships added, removed and changed from the registry ``old`` to ``new``, by id."""
    (before, old_sources), (after, new_sources) = _read(old), _read(new)
    result = RelationshipDiff()
    for rid in sorted(after.keys() - before.keys()):
        row = after[rid]
        result.added.append((rid, str(row[1]), row[2], row[4]))  # type: ignore[arg-type]
    for rid in sorted(before.keys() - after.keys()):
        row = before[rid]
        result.removed.append((rid, str(row[1]), row[2], row[4]))  # type: ignore[arg-type]
    for rid in sorted(before.keys() & after.keys()):
        a, b = before[rid], after[rid]
        fields: dict[str, tuple[object, object]] = {}
        for i, name in enumerate(_COMPARED, start=3):
            if a[i] != b[i]:
                fields[name] = (_decoded(a[i]), _decoded(b[i])) if name == "conflicts" else (a[i], b[i])
        was, now = old_sources.get(rid, {}), new_sources.get(rid, {})
        if was.keys() != now.keys():
            fields["sources"] = (", ".join(sorted(was[k] for k in was.keys() - now.keys())) or None,
                                 ", ".join(sorted(now[k] for k in now.keys() - was.keys())) or None)
        if fields:
            result.changed.append(Change(rid, str(b[1]), b[2], fields))  # type: ignore[arg-type]
    return result


def _decoded(conflicts: object) -> object:
    """Conflicts as 'field: value, value' text, for a line of the diff."""
    if not conflicts:
        return None
    return "; ".join(f"{c['field']}: " + ", ".join(str(v["value"]) for v in c["values"])
                     for c in json.loads(str(conflicts)))


__all__ = ["Change", "RelationshipDiff", "diff"]
