"""The rules of live input, applied to every value of a backup before it is restored: each site row
with the same rules as an edit (:func:`check_site_row`, built on :mod:`wufei_geo.site_rules`), accounts, audit and
meta texts, proposals, and the zones as a whole (``boundaries.check_whole``)."""
from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import shape

from wufei_geo import auth, boundaries, site_rules
from wufei_geo.crs import WGS84_CRS
from wufei_geo.errors import Finding, ValidationError
from wufei_geo.io.archive import SECRET_KEY, BackupError, Rows, no_constants
from wufei_geo.model import CATEGORIES, IDENTIFIER_PATTERN, PRECISIONS, STATUSES, WET_WASTE_MODES
from wufei_geo.permissions import ROLES
from wufei_geo.store import check_text

PROPOSAL_STATUSES = ("pending", "confirmed", "rejected")
# Audit actions by which a person accepted a value past a plausibility rule (see Store).
_ACCEPT_ACTIONS = ("confirm_proposal", "override")
_BCRYPT_RE = re.compile(r"^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$")
_IDENT_RE = re.compile(rf"^{IDENTIFIER_PATTERN}$")


def raise_on_problems(rows: Rows) -> None:
    """Every problem of the rows of a backup, checked with the store's own rules (the same
    functions live input goes through: ``store.check_text``, ``auth.check_name``,
    ``auth.check_town_code``, ``site_rules.parse_location``/``parse_capacity``, the model's
    vocabularies; zones with ``boundaries.check_whole``): :class:`BackupError` listing (the first
    20 of) every problem, with the first refusal's rule key."""
    problems, rules = _row_problems(rows)
    if problems:  # the first 20, each worded in the reader's language (the key's detail: i18n.item_lines)
        raise BackupError(None, rules[0] if rules else None, key="backup.error.values",
                          params={"n": len(problems), "problems": problems[:20]})


def problem(name: str, **params: Any) -> Finding:
    """A value of a backup that breaks a rule of live input: catalogue key ``problem.backup.<name>``
    (``where``: the table, line and row it is in, as the backup names them)."""
    return Finding(key=f"problem.backup.{name}", params=params)


class _Findings:
    """Problems and the rule keys of the refusals among them, in order."""

    def __init__(self) -> None:
        self.problems: list[Finding] = []
        self.rules: list[str] = []

    def check(self, where: str, fn: Any, *args: Any, **kw: Any) -> Any:
        """``fn(*args)``, its refusal recorded (None then)."""
        try:
            return fn(*args, **kw)
        except (ValidationError, ValueError, TypeError) as exc:
            self.problems.append(problem("refused", where=where, refusal=exc))
            if getattr(exc, "rule", None):
                self.rules.append(exc.rule)
            return None

    def finite(self, where: str, row: dict[str, Any]) -> None:
        for k, v in row.items():
            if isinstance(v, float) and not math.isfinite(v):
                self.problems.append(problem("not_finite", where=where, field=k))


def _row_problems(rows: Rows) -> tuple[list[Finding], list[str]]:
    """(problems, the rule keys of the refusals among them, in order)."""
    found = _Findings()
    for n, r in enumerate(rows.get("sites", []), start=1):
        _site_problems(found, f"sites line {n} ({r.get('site_id')!r})", r)
    _user_problems(found, rows.get("users", []))
    _audit_and_meta_problems(found, rows.get("audit", []), rows.get("meta", []))
    if rows.get("zones"):
        found.problems += _zone_problems(rows["zones"])
    return found.problems, found.rules


def _site_problems(found: _Findings, where: str, r: dict[str, Any]) -> None:
    problems = found.problems
    found.finite(where, r)
    if not isinstance(r.get("site_id"), str) or not _IDENT_RE.match(r["site_id"]):
        problems.append(problem("bad_site_id", where=where, pattern=IDENTIFIER_PATTERN))
    for k, v in r.items():
        if isinstance(v, str):
            found.check(f"{where} {k}", check_text, k, v, controls=True)
    for k, allowed in (("status", STATUSES), ("category", CATEGORIES), ("precision", PRECISIONS)):
        if r.get(k) not in allowed:
            problems.append(problem("unknown_value", where=where, field=k, value=repr(r.get(k))))
            found.rules.append(f"unknown_{k}")
    if r.get("wet_waste_mode") not in (None, *WET_WASTE_MODES):
        problems.append(problem("unknown_value", where=where, field="wet_waste_mode", value=repr(r.get("wet_waste_mode"))))
    if r.get("town_code") is not None:
        found.check(where, auth.check_town_code, r["town_code"])
    if (r.get("lon") is None) != (r.get("lat") is None):
        problems.append(problem("lon_lat_together", where=where))
    elif r.get("lon") is not None and all(math.isfinite(float(r[k])) for k in ("lon", "lat")):
        found.check(where, site_rules.parse_location, (r["lon"], r["lat"], "wgs84"))
    if r.get("operating_capacity_value") is not None and r.get("category") in CATEGORIES:
        found.check(where, site_rules.parse_capacity, r.get("category"), r["operating_capacity_value"],
                    r.get("operating_capacity_unit"))
    for k in ("capacity_value", "capacity_norm", "operating_capacity_norm"):
        if isinstance(r.get(k), float) and r[k] < 0:
            problems.append(problem("negative", where=where, field=k))
    if not isinstance(r.get("version"), int) or r["version"] < 1:
        problems.append(problem("bad_version", where=where))


def _user_problems(found: _Findings, users: list[dict[str, Any]]) -> None:
    problems = found.problems
    keys: dict[str, str] = {}
    for n, r in enumerate(users, start=1):
        where = f"users line {n} ({r.get('name')!r})"
        name = found.check(where, auth.check_name, r.get("name"))
        if name is not None and name != r.get("name"):
            problems.append(problem("name_not_normal", where=where))
        if name is not None:
            key = auth.name_key(name)
            if key in keys:
                problems.append(problem("same_account", where=where, other=repr(keys[key])))
            keys[key] = name
        role = ROLES.get(r.get("role"))
        if role is None:
            problems.append(problem("unknown_value", where=where, field="role", value=repr(r.get("role"))))
        elif role.town_bound:
            found.check(where, auth.check_town_code, r.get("town_code"))
        elif r.get("town_code") is not None:
            problems.append(problem("role_without_town", where=where, role=r["role"]))
        if not isinstance(r.get("password_hash"), str) or not _BCRYPT_RE.match(r["password_hash"]):
            problems.append(problem("not_bcrypt", where=where))
        if (r.get("failed_logins") or 0) < 0:
            problems.append(problem("negative", where=where, field="failed_logins"))


def _audit_and_meta_problems(found: _Findings, audit: list[dict[str, Any]], meta: list[dict[str, Any]]) -> None:
    for n, r in enumerate(audit, start=1):
        where = f"audit line {n}"
        for k in ("user_name", "action", "field", "site_id", "town_code"):
            if isinstance(r.get(k), str):
                found.check(f"{where} {k}", check_text, k, r[k], controls=True)
        for k in ("old_value", "new_value", "note"):
            if isinstance(r.get(k), str):
                found.check(f"{where} {k}", check_text, k, r[k])
    for n, r in enumerate(meta, start=1):
        if r.get("key") == SECRET_KEY:
            found.problems.append(problem("secret", where=f"meta line {n}"))
        for k in ("key", "value"):
            if isinstance(r.get(k), str):
                found.check(f"meta line {n} {k}", check_text, k, r[k], controls=True)


def _zone_problems(zone_rows: list[dict[str, Any]]) -> list[Finding]:
    problems: list[Finding] = []
    geoms, codes = [], []
    for n, r in enumerate(zone_rows, start=1):
        try:
            g = shape(json.loads(r["geometry"], parse_constant=no_constants))
        except Exception as exc:  # noqa: BLE001 — malformed GeoJSON of any kind
            problems.append(problem("zone_unreadable", where=f"zones line {n}", error=str(exc)))
            continue
        if g.is_empty or g.geom_type not in ("Polygon", "MultiPolygon") or not g.is_valid \
                or not np.isfinite(shapely.get_coordinates(g)).all():
            problems.append(problem("zone_invalid", where=f"zones line {n}"))
            continue
        geoms.append(g)
        codes.append(r.get("town_code"))
    if problems:
        return problems
    whole, _warnings = boundaries.check_whole(gpd.GeoDataFrame({"town_code": codes}, geometry=geoms, crs=WGS84_CRS))
    return [problem("zones", refusal=p) for p in whole]


def _accepted_rules(audit_rows: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Per site, the plausibility rules a planner/admin accepted a value past (confirm or override)."""
    out: dict[str, set[str]] = {}
    for row in audit_rows:
        if row.get("action") not in _ACCEPT_ACTIONS or not row.get("site_id"):
            continue
        rule = row.get("field") if row.get("action") == "override" else (
            row.get("new_value") if row.get("field") == "rule" else None)
        if rule:
            out.setdefault(str(row["site_id"]), set()).add(str(rule))
    return out


# --- a stored site row: the rules of an edit --------------------------------------------------
def check_site_row(row: Mapping[str, Any], today: dt.date, accepted: frozenset[str] | set[str] = frozenset()) -> None:
    """Refuse a stored site row the rules of an edit (:mod:`wufei_geo.site_rules`) could not have
    produced (restore checks each one).

    Field rules always; the plausibility rules on a stored value (:func:`capacity_above_design`,
    :func:`commissioned_before_site`) unless ``accepted`` names the rule
    (a planner/admin confirmed or overrode it: the backup's own audit says so).
    """
    sid = row.get("site_id")
    if row.get("category") not in CATEGORIES:
        raise site_rules.refuse("unknown_category", site_id=sid, value=row.get("category"))
    if row.get("status") is not None:
        site_rules.parse_status(row["status"])
    if row.get("precision") not in (None, *PRECISIONS):
        raise site_rules.refuse("unknown_precision", site_id=sid, value=row.get("precision"))
    value, unit, norm = row.get("operating_capacity_value"), row.get("operating_capacity_unit"), row.get("operating_capacity_norm")
    if value is not None or unit not in (None, "") or norm is not None:
        cols = site_rules.parse_capacity(row.get("category"), value, unit)
        if norm is None or not math.isclose(float(norm), cols["operating_capacity_norm"], rel_tol=1e-6, abs_tol=1e-9):
            raise site_rules.refuse("capacity_norm_mismatch", site_id=sid, field="operating_capacity_norm", value=value, unit=unit,
                         norm=norm)
        if "capacity_above_design" not in accepted:
            v = site_rules.capacity_above_design(row, cols["operating_capacity_norm"])
            if v is not None:
                raise site_rules.refuse(v.rule, site_id=sid, **v.params)
    if row.get("commissioned") is not None:
        text = site_rules.parse_date(row["commissioned"], today)
        if "commissioned_before_site" not in accepted:
            v = site_rules.commissioned_before_site(row, text)
            if v is not None:
                raise site_rules.refuse(v.rule, site_id=sid, **v.params)
    lon, lat = row.get("lon"), row.get("lat")
    if (lon is None) != (lat is None):
        raise site_rules.refuse("location_format", site_id=sid, field="lon")
    if lon is not None:
        site_rules.parse_location((lon, lat, "wgs84"))


def check_values(rows: Rows, today: dt.date) -> None:
    """The restored values under the rules of an edit (:mod:`wufei_geo.site_rules`): every site row
    (field rules; the state rules unless the backup's audit shows a person accepted the value) and
    every proposal (known status and site, readable JSON, a pending one's values still valid)."""
    accepted = _accepted_rules(rows.get("audit", []))
    _check_places(rows.get("places", []))
    sites = {}
    for row in rows.get("sites", []):
        sid = str(row.get("site_id"))
        try:
            check_site_row(row, today, accepted.get(sid, set()))
        except ValidationError as exc:
            raise BackupError(None, exc.rule, key="backup.error.site", params={**exc.params, "site_id": sid, "error": exc}) from exc
        sites[sid] = row
    for row in rows.get("proposals", []):
        where = {"proposal": row.get("id")}
        if row.get("status") not in PROPOSAL_STATUSES:
            raise BackupError(None, "proposal_status", key="backup.error.proposal_status",
                              params={**where, "value": row.get("status")})
        site = sites.get(str(row.get("site_id")))
        if site is None:
            raise BackupError(None, "no_site", key="backup.error.proposal_site", params={**where, "site_id": row.get("site_id")})
        try:
            decoded = {k: json.loads(row[k]) for k in ("changes", "new_values", "old_values", "rules")}
        except (TypeError, ValueError) as exc:
            raise BackupError(None, "proposal_json", key="backup.error.proposal_json", params={**where, "error": str(exc)}) from exc
        if not isinstance(decoded["changes"], dict) or not isinstance(decoded["rules"], list):
            raise BackupError(None, "proposal_json", key="backup.error.proposal_changes", params=where)
        if row["status"] == "pending":
            changes = dict(decoded["changes"])
            if isinstance(changes.get("location"), list):
                changes["location"] = tuple(changes["location"])
            try:
                site_rules.validate_changes(site, changes, today)
            except ValidationError as exc:
                raise BackupError(None, exc.rule, key="backup.error.proposal",
                                  params={**exc.params, **where, "error": exc}) from exc


def _check_places(places: list[dict[str, Any]]) -> None:
    """Every restored place has a known type and status (the rest of a place is text the app
    escapes wherever it shows it)."""
    from wufei_geo.places.vocab import PLACE_STATUS, PLACE_TYPE

    for row in places:
        if row.get("place_type") not in PLACE_TYPE:
            raise BackupError(None, "place_type", key="backup.error.place_type",
                              params={"place_id": row.get("place_id"), "value": row.get("place_type")})
        if row.get("status") not in PLACE_STATUS:
            raise BackupError(None, "place_status", key="backup.error.place_status",
                              params={"place_id": row.get("place_id"), "value": row.get("status")})
