"""The append-only audit: its actions, one row per changed field (``record``), values as audit
text (``fmt``), the refusal of a stale edit that names what changed since (``stale_error``), and
the reads ``history`` and ``last_changes``."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from wufei_geo import auth, db
from wufei_geo.errors import StaleVersion
from wufei_geo.store.session import Session
from wufei_geo.values import number_text

# Audit actions that record a person's decision: the seed never overwrites their fields.
USER_ACTIONS = frozenset({"update", "add_site", "retire", "confirm_proposal", "set_design_capacity", "confirm"})
# Audit actions that record no change of a site's values (not a site's "last change").
NO_CHANGE_ACTIONS = ("propose", "reject_proposal", "override", "confirm")

# The order of an edit's audit rows.
AUDIT_ORDER = ("status", "operating_capacity_value", "operating_capacity_unit", "operating_capacity_norm",
               "commissioned", "expected_commissioning", "served_villages", "baseline_capacity_value",
               "baseline_capacity_unit", "baseline_capacity_norm", "lon", "lat", "precision", "location_source")


def audit_order(changed: Mapping[str, Any]) -> list[tuple[str, Any]]:
    return sorted(changed.items(), key=lambda kv: AUDIT_ORDER.index(kv[0]) if kv[0] in AUDIT_ORDER else 99)


def fmt(value: Any) -> str | None:
    """A stored value as audit text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return number_text(value, "stored", unknown=repr(value))  # NaN stays "nan"
    return str(value)


def record(conn: Connection, at: dt.datetime, user: str, site_id: str | None, town: str | None,
           action: str, field: str | None, old: str | None, new: str | None, note: str | None,
           site_version: int | None) -> None:
    """Write one audit row."""
    conn.execute(
        sa.insert(db.audit).values(
            at=at, user_name=user, site_id=site_id, town_code=town, action=action, field=field,
            old_value=old, new_value=new, note=note, site_version=site_version,
        )
    )


def audit_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    d = dict(row)
    d["at_local"] = auth.shanghai_time(d["at"]) if d.get("at") else None
    return d


def stale_error(conn: Connection, site_id: str, expected: int, current: int) -> StaleVersion:
    """The refusal of an edit that started from an older version, naming every change since."""
    a = db.audit
    rows = conn.execute(
        sa.select(a).where(a.c.site_id == site_id, a.c.site_version > expected).order_by(a.c.id)
    ).mappings().all()
    changes = [audit_dict(r) for r in rows]
    parts = [
        f"{c['at_local']} {c['user_name']}: {c['field'] or c['action']} {c['old_value']} → {c['new_value']}"
        for c in changes
    ]
    detail = "; ".join(parts) if parts else "no recorded details"
    return StaleVersion(
        expected_version=expected, current_version=current, changes=changes, key="error.stale",
        params={"site_id": site_id, "expected": expected, "current": current, "detail": detail},
    )


def _last_change_query() -> sa.Select:
    """Every audit row of each site's latest change (the edit's rows share its site version)."""
    a = db.audit
    latest = (
        sa.select(a.c.site_id, sa.func.max(a.c.id).label("mid"))
        .where(a.c.site_id.isnot(None), a.c.action.notin_(NO_CHANGE_ACTIONS))
        .group_by(a.c.site_id)
        .subquery()
    )
    b = a.alias("b")
    return (
        sa.select(a)
        .join(latest, latest.c.site_id == a.c.site_id)
        .join(b, b.c.id == latest.c.mid)
        .where(sa.or_(a.c.id == latest.c.mid, sa.and_(a.c.site_version.isnot(None), a.c.site_version == b.c.site_version)),
               a.c.action.notin_(NO_CHANGE_ACTIONS))
        .order_by(a.c.id)
    )


class AuditReads(Session):
    """Reading the audit."""

    def history(self, site_id: str | None = None, town_code: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Audit rows, newest first, optionally for one site and/or one town (``at`` UTC, ``at_local`` Shanghai)."""
        a = db.audit
        q = sa.select(a).order_by(a.c.id.desc())
        if site_id is not None:
            q = q.where(a.c.site_id == site_id)
        if town_code is not None:
            q = q.where(a.c.town_code == town_code)
        if limit is not None:
            q = q.limit(int(limit))
        return [audit_dict(r) for r in self.read(lambda c: c.execute(q).mappings().all())]

    def last_changes(self) -> dict[str, dict[str, Any]]:
        """The latest change of each site that has one: an audit row dict (status row preferred)
        plus ``changes`` — every field of that same edit as ``{field, old_value, new_value}``."""
        q = _last_change_query()
        out: dict[str, dict[str, Any]] = {}
        for row in self.read(lambda c: c.execute(q).mappings().all()):
            d = audit_dict(row)
            entry = out.get(d["site_id"])
            change = {"field": d["field"], "old_value": d["old_value"], "new_value": d["new_value"]}
            if entry is None:
                d["changes"] = [change]
                out[d["site_id"]] = d
            else:
                entry["changes"].append(change)
                if d["field"] == "status":
                    changes = entry["changes"]
                    entry.update(d)
                    entry["changes"] = changes
        return out
