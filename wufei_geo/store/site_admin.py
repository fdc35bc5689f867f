"""Changes only planners and administrators make: a site's design capacity with its source
(``set_design_capacity``), and adding or retiring a site (``add_site``, ``retire_site``:
administrators, or ``actor=None`` = the local command line)."""
from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from wufei_geo import auth, db, permissions, site_rules
from wufei_geo.auth import Actor
from wufei_geo.errors import NotFound, ValidationError
from wufei_geo.model import (
    CATEGORIES,
    IDENTIFIER_PATTERN,
    PRECISIONS,
    SITE_COLUMNS,
    STATUSES,
    WET_WASTE_MODES,
)
from wufei_geo.store import audit
from wufei_geo.store.atomic import guarded_update
from wufei_geo.store.editing import confirmed_at
from wufei_geo.store.reads import site_row, stored_site
from wufei_geo.store.seeding import seed_row
from wufei_geo.store.session import Session
from wufei_geo.store.values import check_note, check_text


def _design_components(site: Mapping[str, Any], cols: Mapping[str, Any], source: str) -> list[Any]:
    """The site's capacity components with the primary one replaced by the new design capacity."""
    try:
        comps = json.loads(site["capacity_components"] or "[]")
    except (TypeError, ValueError):
        comps = []
    first = {"label": None, "value": cols["capacity_value"], "unit": cols["capacity_unit"],
             "norm": cols["capacity_norm"], "norm_unit": cols["capacity_norm_unit"], "source_ref": source}
    if comps and isinstance(comps[0], dict):
        first["label"] = comps[0].get("label")
        comps[0] = first
    else:
        comps = [first]
    return comps


def _check_new_record(record: Mapping[str, Any], note: str | None) -> str:
    """The fields every added site needs, text PostgreSQL can store; returns the site id."""
    unknown = sorted(set(record) - set(SITE_COLUMNS) - {"location"})
    if unknown:
        raise ValidationError(key="error.unknown_fields", params={"names": ", ".join(unknown)})
    for key in ("site_id", "name_zh", "category"):
        if not isinstance(record.get(key), str) or not record[key].strip():
            raise ValidationError(key="error.field_required", params={"field": key})
    for key, value in record.items():
        if isinstance(value, str):
            check_text(key, value, controls=True)
    if isinstance(note, str):
        check_note(note)
    sid = record["site_id"].strip()
    if not re.fullmatch(IDENTIFIER_PATTERN, sid):  # it reaches markdown and HTML (issue 15)
        raise ValidationError(key="error.site_id_format", params={"site_id": sid})
    if record["category"] not in CATEGORIES:
        raise ValidationError(rule="unknown_category", key="rule.unknown_category", value=record["category"])
    return sid


def _parse_new_record(record: dict[str, Any], today: dt.date) -> None:
    """The same field rules as an edit (site_rules), in place: a site added here must pass a restore too."""
    if any(record.get(k) not in (None, "") for k in ("operating_capacity_value", "operating_capacity_unit")):
        record.update(site_rules.parse_capacity(record["category"], record.get("operating_capacity_value"),
                                                record.get("operating_capacity_unit")))
    if any(record.get(k) not in (None, "") for k in ("capacity_value", "capacity_unit")):
        record.update(site_rules.parse_design_capacity(record["category"], record.get("capacity_value"),
                                                       record.get("capacity_unit")))
    if record.get("commissioned") not in (None, ""):
        record["commissioned"] = site_rules.parse_date(record["commissioned"], today)
    record.setdefault("status", "planned")
    if record["status"] not in STATUSES:
        raise ValidationError(rule="unknown_status", key="rule.unknown_status", value=record["status"])
    if record.get("wet_waste_mode") not in (None, *WET_WASTE_MODES):
        raise ValidationError(key="error.unknown_wet_waste_mode", params={"value": record["wet_waste_mode"]})
    if record.get("town_code") not in (None, ""):
        record["town_code"] = auth.check_town_code(record["town_code"])
    if "location" in record:
        record.update(site_rules.parse_location(record.pop("location")))
    elif record.get("lon") is not None or record.get("lat") is not None:
        loc = site_rules.parse_location((record.get("lon"), record.get("lat"), "wgs84"))
        record.update({k: v for k, v in loc.items() if k in ("lon", "lat")})
        record.setdefault("precision", "exact")
    record.setdefault("precision", "unknown")
    if record["precision"] not in PRECISIONS:
        raise ValidationError(rule="unknown_precision", key="rule.unknown_precision", value=record["precision"])


class SiteAdmin(Session):
    """Design capacities; adding and retiring sites."""

    def set_design_capacity(self, actor: Actor | None, site_id: str, value: Any, unit: Any, note: str,
                            expected_version: int | None = None) -> dict[str, Any]:
        """A planner or administrator sets a site's design capacity (the primary component) with a
        source note (required), audited as ``set_design_capacity``; the seed never overwrites it.
        The plausibility rules compare operating capacities against this value."""
        if not isinstance(note, str) or not note.strip():
            raise ValidationError(rule="note_required", key="error.design_note", field="note")
        check_note(note)

        def work(conn: Connection) -> dict[str, Any]:
            now = self.now()
            who = auth.check_actor(conn, actor, now, self.settings)
            permissions.require(who, "set_design_capacity")
            site = site_row(conn, site_id)
            if site is None:
                raise NotFound(key="error.no_site", params={"site_id": site_id})
            if site["retired"]:
                raise ValidationError(rule="retired", key="error.site_retired", site_id=site_id)
            if expected_version is not None and site["version"] != expected_version:
                raise audit.stale_error(conn, site_id, expected_version, site["version"])
            cols = site_rules.parse_design_capacity(site["category"], value, unit)
            comps = _design_components(site, cols, note.strip())
            changed = {k: v for k, v in cols.items() if not site_rules.same_value(site[k], v)}
            if not changed:
                raise ValidationError(rule="nothing_to_change", key="rule.nothing_to_change")
            version = site["version"] + 1
            # the site row is locked since it was read (site_row); the version guard keeps the rule
            # local: no audit row below unless the site really changed
            guarded_update(conn, db.sites, sa.and_(db.sites.c.site_id == site_id, db.sites.c.version == site["version"]),
                           dict(cols, capacity_components=json.dumps(comps, ensure_ascii=False), version=version,
                                updated_at=now),
                           lambda: audit.stale_error(conn, site_id, site["version"], None))
            for k in ("capacity_value", "capacity_unit", "capacity_norm"):
                if k in changed:
                    audit.record(conn, now, who.name, site_id, site["town_code"], "set_design_capacity", k,
                                 audit.fmt(site[k]), audit.fmt(cols[k]), note.strip(), version)
            auth.touch(conn, who.session_id, now)
            return stored_site(conn, site_id)

        return self.run_write(work)

    def add_site(self, actor: Actor | None, record: Mapping[str, Any], note: str | None = None) -> dict[str, Any]:
        """Add a site not in the plan (administrator only; ``actor=None`` = local command line).

        ``record`` holds SITE_COLUMNS keys (site_id, name_zh, category required); coordinates
        either as WGS-84 ``lon``/``lat`` or as ``location=(lon, lat, datum)``.
        """
        record = dict(record)
        sid = _check_new_record(record, note)
        _parse_new_record(record, self.today())
        record["site_id"] = sid
        row = seed_row(record)
        row.setdefault("retired", False)

        def work(conn: Connection) -> dict[str, Any]:
            now = self.now()
            by = auth.require_admin(conn, actor, now, self.settings)
            if conn.execute(sa.select(db.sites.c.site_id).where(db.sites.c.site_id == sid)).first():
                raise ValidationError(key="error.site_exists", params={"site_id": sid})
            row.setdefault("status_as_of", self.today().isoformat())
            row.setdefault("status_source", f"official: {by}")
            row.setdefault("status_confirmed_at", confirmed_at(now))
            row.setdefault("status_confirmed_by", by)
            conn.execute(sa.insert(db.sites).values(**row, version=1, updated_at=now))
            audit.record(conn, now, by, sid, row.get("town_code"), "add_site", None, None, row.get("name_zh"), note, 1)
            return stored_site(conn, sid)

        return self.run_write(work)

    def retire_site(self, actor: Actor | None, site_id: str, note: str) -> dict[str, Any]:
        """Retire a site (kept, hidden from the map; administrator only, note required)."""
        if not isinstance(note, str) or not note.strip():
            raise ValidationError(key="error.retire_note")
        check_note(note)

        def work(conn: Connection) -> dict[str, Any]:
            now = self.now()
            by = auth.require_admin(conn, actor, now, self.settings)
            site = site_row(conn, site_id)
            if site is None:
                raise NotFound(key="error.no_site", params={"site_id": site_id})
            if site["retired"]:
                raise ValidationError(key="error.already_retired", params={"site_id": site_id})
            version = site["version"] + 1
            guarded_update(conn, db.sites, sa.and_(db.sites.c.site_id == site_id, db.sites.c.version == site["version"]),
                           {"retired": True, "version": version, "updated_at": now},
                           lambda: audit.stale_error(conn, site_id, site["version"], site["version"] + 1))
            audit.record(conn, now, by, site_id, site["town_code"], "retire", "retired", "false", "true", note.strip(), version)
            return stored_site(conn, site_id)

        return self.run_write(work)
