"""THE validator for site changes: every field rule and every plausibility rule, in one place.

Every entry point that changes a site's values goes through here — the 更新 form and the CLI
(through :meth:`wufei_geo.store.Store.update_site`), bulk import (which only reads cells and then
asks the store's dry run), restore (:func:`wufei_geo.io.backup_rules.check_site_row` checks each
restored site row with these rules) and the seed files' checker (commissioning dates,
:mod:`wufei_geo.facilities`).  Nothing else re-implements a rule.

Two kinds of rules:

* **Field rules** (hard): a value that cannot be stored at all — an unknown status, a capacity
  that is not a number, a unit that does not fit the category (MW for wet waste), a date that is
  not a date, in the future or before 1949, a point outside the district, a status change that
  needs a note.  They raise :class:`~wufei_geo.errors.ValidationError` and nobody can insist.
* **Plausibility rules** (soft): values that can be true but usually are typing mistakes —
  operating capacity above the design capacity, a jump of more than an order of magnitude over
  the previous value, a commissioning date before a plan project could exist, a town official
  moving a site out of their own town's zone.  :func:`plausibility` lists them as
  :class:`Violation`; the store refuses with :class:`~wufei_geo.errors.ImplausibleEdit` unless
  the user insists with a note (an official's insisted edit becomes a 待核实 proposal).

Every refusal carries a stable rule key (``exc.rule``) and its parameters (``exc.params``),
listed in :data:`RULES`, and no text: the catalogue's ``rule.<key>`` words it in each language
(:func:`wufei_geo.i18n.error_text`; ``str(exc)`` is English / Chinese for logs).

Floors of the commissioning date (documented decision):

* :data:`EARLIEST_DATE` 1949-01-01 for every site (hard; the rule the store always had).
* :data:`PLAN_PERIOD_START` 2021-01-01 for the plan's projects (``project_id`` ``E.<n>``): the
  plan's construction period is "2021 年 1 月至 2025 年 12 月" (青府发〔2022〕53号, 一、（三）; the
  baseline year is 2020).  Not the plan's signing date 2022-10-28: E.8's sludge plant went into
  operation in 2021-12 and E.9's closures were due in 2021, both inside the period but before
  the signing.  Soft, because an upgrade of an existing plant (E.11) may carry the existing
  plant's older date — a planner confirms it.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wufei_geo.errors import ValidationError
from wufei_geo.model import DATUMS, LIFECYCLE_RANK, NORM_UNIT, NOTE_REQUIRED_STATUSES, STATUSES
from wufei_geo.site_rule_keys import RULES  # noqa: F401  (the registry of rule keys, read as site_rules.RULES)

EDITABLE_FIELDS = frozenset(
    {"status", "operating_capacity_value", "operating_capacity_unit", "commissioned", "location", "note",
     "expected_commissioning", "served_villages", "baseline_capacity_value", "baseline_capacity_unit",
     *("online_monitoring", "online_monitoring_since", "pollution_insurance", "investment_yuan")}  # issue 23
)
EXPECTED_YEARS = (2000, 2100)  # an expected commissioning year outside this range is a typo
VILLAGE_NAME_MAX = 64
EARLIEST_DATE = dt.date(1949, 1, 1)
PLAN_PERIOD_START = dt.date(2021, 1, 1)
# More than this factor between the previous and the new operating capacity is a "jump".
JUMP_FACTOR = 10.0
# A location closer than this to the stored one is "no change" (GCJ-02 round trips are sub-metre).
SAME_PLACE_M = 1.0
_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_DATETIME_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T]00:00(?::00(?:\.0+)?)?$")  # Excel dates read as text
_PLAN_PROJECT_RE = re.compile(r"^E\.\d+$")



def refuse(rule: str, **params: Any) -> ValidationError:
    """A field-rule refusal (raise the result): its rule key and parameters only; the catalogue's
    ``rule.<rule>`` words it in each language (tests/test_refusal_keys.py checks every rule)."""
    return ValidationError(rule=rule, key=f"rule.{rule}", **params)


@dataclass(frozen=True)
class Violation:
    """One broken plausibility rule: its key and parameters; worded by the catalogue's
    ``rule.<rule>`` (``message``: English / Chinese, for logs and the audit)."""

    rule: str
    params: dict[str, Any] = field(default_factory=dict)

    def refusal(self) -> ValidationError:
        """The violation as a keyed refusal (how :class:`~wufei_geo.errors.ImplausibleEdit` words it)."""
        return refuse(self.rule, **self.params)

    @property
    def message(self) -> str:
        return str(self.refusal())

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "message": self.message, "params": self.params}


# --- the note rule (the one place it lives) -------------------------------------------------
def note_required(old_status: Any, new_status: Any) -> bool:
    """A note is needed when moving into suspended/cancelled/decommissioned, or backwards."""
    if old_status == new_status or new_status is None:
        return False
    backwards = (
        old_status in LIFECYCLE_RANK and new_status in LIFECYCLE_RANK
        and LIFECYCLE_RANK[new_status] < LIFECYCLE_RANK[old_status]
    )
    return new_status in NOTE_REQUIRED_STATUSES or backwards


def check_note(old_status: Any, new_status: Any, note: str | None) -> None:
    if note_required(old_status, new_status) and not note:
        backwards = new_status not in NOTE_REQUIRED_STATUSES
        raise ValidationError(
            rule="note_required", key="error.note_required_backwards" if backwards else "error.note_required",
            field="note", old=old_status, new=new_status, old_status=old_status, new_status=new_status,
        )


def check_notes(site: Mapping[str, Any], changed: Mapping[str, Any], note: str | None) -> None:
    """The notes an edit's changed values need: a status change that needs one (:func:`check_note`),
    and a capacity before the project (E.11), which is a figure from a source the note names."""
    if any(k.startswith("baseline_capacity") for k in changed) and not note:
        raise ValidationError(rule="baseline_note_required", key="error.baseline_note_required", field="note")
    if "status" in changed:
        check_note(site["status"], changed["status"], note)


# --- field rules -----------------------------------------------------------------------------
def parse_number(value: Any, what: str = "capacity", field_name: str = "operating_capacity_value") -> float:
    """A finite number ≥ 0 from a number or text ("1,200" and " 5 " are fine; the ambiguous "1,5"
    and "1_0" are refused — :func:`wufei_geo.units.parse_decimal`)."""
    from wufei_geo.units import parse_decimal

    if isinstance(value, bool) or value is None:
        raise refuse("capacity_not_number", field=field_name, value=value)
    try:
        number = parse_decimal(value) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise refuse("capacity_not_number", field=field_name, value=value) from None
    if not math.isfinite(number) or number < 0:
        raise refuse("capacity_not_number", field=field_name, value=value)
    return number


def parse_status(value: Any) -> str:
    if value not in STATUSES:
        raise refuse("unknown_status", field="status", value=value)
    return str(value)


def parse_capacity(category: Any, value: Any, unit: Any) -> dict[str, Any]:
    """Operating capacity columns (value, unit, normalised value) for a site of ``category``.

    ``value`` None and no unit clears the capacity.
    """
    from wufei_geo import units

    if value is None and unit in (None, ""):
        return {"operating_capacity_value": None, "operating_capacity_unit": None, "operating_capacity_norm": None}
    number = parse_number(value)
    if not isinstance(unit, str) or not unit.strip():
        raise refuse("capacity_unit_missing", field="operating_capacity_unit")
    unit = unit.strip()
    try:
        units.unit_info(unit)
    except units.UnitError:
        raise refuse("unknown_unit", field="operating_capacity_unit", unit=unit) from None
    try:
        norm = units.normalise(number, unit, str(category))
    except units.UnitError:
        raise refuse("unit_category_mismatch", field="operating_capacity_unit", unit=unit, category=category,
                     expected_unit=NORM_UNIT.get(str(category))) from None
    if not math.isfinite(norm):  # e.g. 1e308 万吨/年: finite as typed, infinite once normalised
        raise refuse("capacity_too_large", field="operating_capacity_value", value=value, unit=unit)
    return {"operating_capacity_value": number, "operating_capacity_unit": unit, "operating_capacity_norm": float(norm)}


def parse_design_capacity(category: Any, value: Any, unit: Any) -> dict[str, Any]:
    """Design capacity columns (``capacity_value/unit/norm/norm_unit``), same unit rules."""
    cols = parse_capacity(category, value, unit)
    if cols["operating_capacity_value"] is None:
        raise refuse("capacity_not_number", field="capacity_value", value=None)
    return {
        "capacity_value": cols["operating_capacity_value"],
        "capacity_unit": cols["operating_capacity_unit"],
        "capacity_norm": cols["operating_capacity_norm"],
        "capacity_norm_unit": NORM_UNIT[str(category)],
    }


def date_first_day(text: str) -> dt.date:
    """The first day a stored (possibly partial) date can mean: "2021-12" → 2021-12-01."""
    m = _DATE_RE.match(text)
    if not m:
        raise ValueError(text)
    return dt.date(int(m[1]), int(m[2] or 1), int(m[3] or 1))


def parse_date(value: Any, today: dt.date) -> str | None:
    """A commissioning date as stored: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (None clears it).

    Refused: other formats, days that do not exist, before :data:`EARLIEST_DATE`, after ``today``.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        text = value.isoformat()
    elif isinstance(value, str):
        text = value.strip()
        m = _DATETIME_RE.match(text)
        if m:
            text = m[1]
    else:
        raise refuse("date_format", field="commissioned", value=value)
    m = _DATE_RE.match(text)
    if not m:
        raise refuse("date_format", field="commissioned", value=text)
    year, month, day = int(m[1]), m[2], m[3]
    try:
        first_day = dt.date(year, int(month or 1), int(day or 1))
    except ValueError:
        raise refuse("date_format", field="commissioned", value=text) from None
    # one spelling per date: 2021-1-5 is stored as 2021-01-05
    text = f"{year:04d}" + (f"-{int(month):02d}" if month else "") + (f"-{int(day):02d}" if day else "")
    if first_day < EARLIEST_DATE:
        raise refuse("commissioned_too_early", field="commissioned", value=text, floor=EARLIEST_DATE.isoformat())
    if first_day > today:
        raise refuse("commissioned_in_future", field="commissioned", value=text, today=today.isoformat())
    return text


def parse_location(location: Any) -> dict[str, Any]:
    """WGS-84 columns for ``(lon, lat, datum)``; the point must lie in Qingpu District."""
    import numpy as np

    if not isinstance(location, (tuple, list)) or len(location) != 3:
        raise refuse("location_format", field="location")
    lon, lat, datum = location
    if datum not in DATUMS:
        raise refuse("location_format", field="datum", datum=datum)
    try:
        lon = float(lon.strip().replace(",", "")) if isinstance(lon, str) else float(lon)
        lat = float(lat.strip().replace(",", "")) if isinstance(lat, str) else float(lat)
    except (TypeError, ValueError, AttributeError):
        raise refuse("location_format", field="lon") from None
    if not (math.isfinite(lon) and math.isfinite(lat)) or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise refuse("location_format", field="lon")
    if datum != "wgs84":
        from wufei_geo import crs

        lon, lat = (float(np.asarray(v).ravel()[0]) for v in crs.to_wgs84(lon, lat, datum))
    from wufei_geo import geodata

    inside = bool(np.asarray(geodata.in_district(np.array([lon]), np.array([lat]))).ravel()[0])
    if not inside:
        raise refuse("outside_district", field="lon", lon=lon, lat=lat)
    return {"lon": round(lon, 7), "lat": round(lat, 7), "precision": "exact", "location_source": "official"}


def validate_changes(site: Mapping[str, Any], changes: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    """New column values for ``changes`` (field rules only; not yet compared with the stored ones).

    ``changes`` may hold ``status``, ``operating_capacity_value`` + ``operating_capacity_unit``,
    ``commissioned`` and ``location`` = ``(lon, lat, datum)`` (``note`` is taken by the caller).
    """
    unknown = sorted(set(changes) - EDITABLE_FIELDS)
    if unknown:
        raise refuse("field_not_editable", fields=unknown, names=", ".join(unknown))
    new: dict[str, Any] = {}
    if "status" in changes:
        new["status"] = parse_status(changes["status"])
    if "operating_capacity_value" in changes or "operating_capacity_unit" in changes:
        new.update(parse_capacity(site.get("category"), changes.get("operating_capacity_value"),
                                  changes.get("operating_capacity_unit")))
    if "commissioned" in changes:
        new["commissioned"] = parse_date(changes["commissioned"], today)
    if "expected_commissioning" in changes:
        new["expected_commissioning"] = parse_expected(changes["expected_commissioning"])
    if "served_villages" in changes:
        new["served_villages"] = parse_villages(site, changes["served_villages"])
    if "baseline_capacity_value" in changes or "baseline_capacity_unit" in changes:
        if not site.get("existing_facility"):
            raise refuse("not_existing_facility", field="baseline_capacity_value", site_id=site.get("site_id"))
        cap = parse_capacity(site.get("category"), changes.get("baseline_capacity_value"),
                             changes.get("baseline_capacity_unit"))
        new.update({k.replace("operating_", "baseline_"): v for k, v in cap.items()})
    if "location" in changes:
        new.update(parse_location(changes["location"]))
    new.update(parse_indicator_attributes(site, changes, today))
    return new


# --- issue 23: the site attributes indicators #58, #49, #47 read -------------------------------
_YES_NO = {"yes": "yes", "y": "yes", "true": "yes", "1": "yes", "是": "yes", "有": "yes",
           "no": "no", "n": "no", "false": "no", "0": "no", "否": "no", "无": "no",
           "": None, "unknown": None, "未知": None}


def parse_yes_no(value: Any, field_name: str) -> str | None:
    """yes | no | None (unknown) from the words people write (是/否, yes/no, 未知)."""
    if value is None:
        return None
    key = str(value).strip().lower()
    if key not in _YES_NO:
        raise refuse("not_yes_no", field=field_name, value=value)
    return _YES_NO[key]


def parse_indicator_attributes(site: Mapping[str, Any], changes: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    """Online monitoring (+ since when), pollution liability insurance (hazardous-waste sites
    only) and investment in 元 (≥ 0); None clears a value back to unknown."""
    new: dict[str, Any] = {}
    if "online_monitoring" in changes:
        new["online_monitoring"] = parse_yes_no(changes["online_monitoring"], "online_monitoring")
    if "online_monitoring_since" in changes:
        new["online_monitoring_since"] = parse_date(changes["online_monitoring_since"], today)
    if "pollution_insurance" in changes:
        answer = parse_yes_no(changes["pollution_insurance"], "pollution_insurance")
        if answer is not None and site.get("category") != "hazardous_waste":
            raise refuse("insurance_not_hazardous", field="pollution_insurance", category=site.get("category"))
        new["pollution_insurance"] = answer
    if "investment_yuan" in changes:
        value = changes["investment_yuan"]
        new["investment_yuan"] = None if value in (None, "") else parse_number(value, "investment", "investment_yuan")
    return new


def parse_expected(value: Any) -> str | None:
    """An expected date of reaching the target state: YYYY, YYYY-MM or YYYY-MM-DD; a past date is
    allowed (it then shows as overdue and the forecast will not use it); empty clears it."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    text = value.isoformat() if isinstance(value, dt.date) else str(value).strip() if isinstance(value, (str, int)) else ""
    stamp = _DATETIME_RE.match(text)  # a spreadsheet's date cell read as text
    if stamp:
        text = stamp[1]
    m = _DATE_RE.match(text)
    if not m:
        raise refuse("bad_expected_date", field="expected_commissioning", value=str(value))
    try:
        dt.date(int(m[1]), int(m[2] or 1), int(m[3] or 1))
    except ValueError:
        raise refuse("bad_expected_date", field="expected_commissioning", value=text) from None
    if not EXPECTED_YEARS[0] <= int(m[1]) <= EXPECTED_YEARS[1]:
        raise refuse("bad_expected_date", field="expected_commissioning", value=text)
    return text


def parse_villages(site: Mapping[str, Any], value: Any) -> str | None:
    """The villages whose wet waste the site treats: a list of names (or text split on ; , 、 or new
    lines) → JSON list, de-duplicated in order; wet-waste sites only; None/empty clears it."""
    import json
    import unicodedata

    if value is None:
        return None
    if site.get("category") != "wet_waste":
        raise refuse("villages_not_wet_waste", field="served_villages")
    if isinstance(value, str):
        items = re.split(r"[;,，；、\n]+", value)
    elif isinstance(value, (list, tuple)):
        items = [v if isinstance(v, str) else str(v) for v in value]
    else:
        raise refuse("bad_villages", field="served_villages", max=VILLAGE_NAME_MAX)
    names: list[str] = []
    for item in items:
        name = item.strip()
        if not name:
            continue
        if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in name):
            raise refuse("control_characters", field="served_villages")
        if len(name) > VILLAGE_NAME_MAX:
            raise refuse("bad_villages", field="served_villages", max=VILLAGE_NAME_MAX)
        if name not in names:
            names.append(name)
    return json.dumps(names, ensure_ascii=False) if names else None


def same_value(old: Any, new: Any) -> bool:
    if old is None or new is None:
        return old is None and new is None
    if isinstance(old, float) or isinstance(new, float):
        try:
            return float(old) == float(new)
        except (TypeError, ValueError):
            return False
    return old == new


def changed_values(site: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """The columns of ``new`` that differ from ``site``; a point within :data:`SAME_PLACE_M` of the
    stored one is no move (an exported GCJ-02 point read back lands a fraction of a metre away)."""
    changed = {k: v for k, v in new.items() if not same_value(site.get(k), v)}
    if "lon" in new and site.get("lon") is not None and site.get("lat") is not None:
        from wufei_geo import crs

        near = float(crs.distance_m(float(site["lon"]), float(site["lat"]), new["lon"], new["lat"])) <= SAME_PLACE_M
        if near:  # also for an approximate point: sending an export back must not make it "exact"
            for key in ("lon", "lat", "precision", "location_source"):
                changed.pop(key, None)
    return changed


# --- plausibility rules ------------------------------------------------------------------------
def is_plan_project(site: Mapping[str, Any]) -> bool:
    return bool(_PLAN_PROJECT_RE.match(str(site.get("project_id") or "")))


def design_norm(site: Mapping[str, Any]) -> float | None:
    """The site's design capacity in the unit its operating capacities are normalised to, or None
    (unknown, or given in another unit) — what the capacity rules compare with."""
    design = site.get("capacity_norm")
    if design is None:
        return None
    try:
        design = float(design)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(design):
        return None
    unit = site.get("capacity_norm_unit")
    if unit not in (None, "") and unit != NORM_UNIT.get(str(site.get("category"))):
        return None  # the design figure is not in the unit operating capacities are normalised to
    return design


def capacity_above_design(site: Mapping[str, Any], norm: float | None) -> Violation | None:
    design = design_norm(site)
    if norm is None or design is None or norm <= design * (1 + 1e-9):
        return None
    unit = NORM_UNIT.get(str(site.get("category")), "")
    return Violation("capacity_above_design",
                     {"field": "operating_capacity_value", "value": norm, "design": design, "unit": unit})


def capacity_jump(site: Mapping[str, Any], norm: float | None) -> Violation | None:
    old = site.get("operating_capacity_norm")
    if norm is None or old is None or norm <= 0:
        return None
    old = float(old)
    if old <= 0 or not math.isfinite(old):
        return None
    factor = norm / old
    if 1 / JUMP_FACTOR <= factor <= JUMP_FACTOR:
        return None
    unit = NORM_UNIT.get(str(site.get("category")), "")
    # the text's design_text (the design with its unit, or unknown) is worded per language (i18n)
    return Violation("capacity_jump", {"field": "operating_capacity_value", "value": norm, "previous": old,
                                       "factor": round(factor, 6), "design": design_norm(site), "unit": unit})


def commissioned_before_site(site: Mapping[str, Any], commissioned: str | None) -> Violation | None:
    if not commissioned or not is_plan_project(site):
        return None
    try:
        first = date_first_day(commissioned)
    except ValueError:
        return None
    if first >= PLAN_PERIOD_START:
        return None
    return Violation("commissioned_before_site", {"field": "commissioned", "value": commissioned,
                                                  "floor": PLAN_PERIOD_START.isoformat(), "project_id": site.get("project_id")})


def outside_own_zone(lon: float, lat: float, town_code: str, zone: Any, quality: str | None) -> Violation | None:
    """``zone``: the official's town polygon (shapely), or None when there is none to test against."""
    if zone is None:
        return None
    import shapely

    if shapely.intersects_xy(zone, lon, lat):
        return None
    # the text's town (its name) is worded per language (i18n)
    return Violation("outside_own_zone", {"field": "lon", "lon": lon, "lat": lat, "town_code": town_code,
                                          "boundary_quality": quality})


def plausibility(site: Mapping[str, Any], changed: Mapping[str, Any], *, own_zone: Any = None,
                 own_town: str | None = None, zone_quality: str | None = None) -> list[Violation]:
    """The plausibility rules an edit (``changed`` columns, see :func:`changed_values`) breaks.

    ``own_zone`` is given for a town official: the polygon their town's sites must stay in.
    """
    out: list[Violation | None] = []
    if "operating_capacity_norm" in changed:
        norm = changed["operating_capacity_norm"]
        out += [capacity_above_design(site, norm), capacity_jump(site, norm)]
    if "commissioned" in changed:
        out.append(commissioned_before_site(site, changed["commissioned"]))
    if ("lon" in changed or "lat" in changed) and own_town:
        lon, lat = changed.get("lon", site.get("lon")), changed.get("lat", site.get("lat"))
        out.append(outside_own_zone(float(lon), float(lat), own_town, own_zone, zone_quality))
    return [v for v in out if v is not None]
