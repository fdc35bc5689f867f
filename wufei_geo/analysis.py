"""Every number of "is Qingpu on track?": capacity and counts against the plan's targets,
and the town scorecards.

The pages, the CLI and the exports only present what this module computes, so the same
question always gets the same number.  Inputs follow the catalog contract
(docs/architecture.md): ``sites`` has ``model.SITE_COLUMNS`` (extra columns are ignored),
``targets`` are the rows of ``facilities/targets.csv``, ``towns`` is the gazetteer.

Rules (the why):

* A target counts the sites of its category (and wet-waste mode), restricted to its plan
  items (``project_ids``) when given, and to its town for town-level targets (``served``
  targets count the sites whose ``served_towns`` include the town).
* Capacity of an operating site is the capacity an official reported in operation
  (``operating_capacity_norm``) when set, else the plan's capacity (``capacity_norm``).
  A site whose capacity is unknown is never counted as zero: every total is a
  :class:`Quantity` — the known sum and the sites of unknown capacity — written the same way
  everywhere by :func:`fmt_quantity` ("≥ 80 吨/日（1 个站点能力未知）"; "未知" when nothing is known).
* *Operating today* (``achieved`` of a capacity target) is the capacity of operating sites plus,
  for a site whose project upgrades a facility that already operates (``existing_facility``,
  E.11) and is not finished yet, that facility's capacity before the project
  (``baseline_capacity_norm``; unknown → the total says so).  *After the plan's projects*
  (``registered``) counts such a site at its capacity after the project (``capacity_norm``).
* A target is *achieved* by sites in the target state (``operating``; ``decommissioned``
  for closures).  *Registered* is everything still pursued: planned, under construction,
  commissioning, in the target state.  Suspended and cancelled sites are reported
  separately and count toward neither.
* The forecast (:func:`_forecast`) places each pursued site in a year only from dates people
  gave: the actual commissioning date of a site in the target state (else the year of its
  status date, by which it was there), or the expected date (``expected_commissioning``) of a
  site not there yet — and only when its status was confirmed within
  ``Settings.status_confirmation_months`` and the expected date has not passed.  Every other
  pursued site (no expected date, date passed, status not confirmed) may arrive in any year from
  now on, or never; a site of unknown capacity may bring any amount.  ``reached_year`` is the
  year the target is reached when these uncertainties cannot change it, else null with
  ``forecast_basis`` naming the sites it depends on.  Today's date never supplies a year: it
  only says which dates have passed and which confirmations are recent.
* The villages target (``served_village_count``) counts the distinct villages in the
  ``served_villages`` lists of operating wet-waste facilities (镇域范围内集中处置); until any
  facility has that list the target is *unmeasured* (未测量), never "5 of 50".
"""
from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from wufei_geo.config import GenerationParameters
from wufei_geo.freshness import (  # the staleness rule (issue 12; the catalog uses it too)
    DEFAULT_CONFIRMATION_MONTHS,
    freshness,
    stale_flags,
    status_confirmed,
)
from wufei_geo.i18n import t
from wufei_geo.model import COUNTS_TOWARD, MEASURES, STATUSES, TOWN_MEASURES

YEARS: tuple[int, ...] = tuple(range(2021, 2027))
STATES: tuple[str, ...] = ("met", "in_progress", "not_started", "untracked", "no_target", "unmeasured")
FORECAST_STATES: tuple[str, ...] = ("reached", "expected", "not_reachable", "cannot_tell", "untracked", "unmeasured")
# Statuses before the target state: the project is not finished (an existing facility still runs as before).
_NOT_YET: frozenset[str] = frozenset({"planned", "under_construction", "commissioning"})
# Statuses shown on their own, never counted toward a target.
HALTED_STATUSES: tuple[str, ...] = ("suspended", "cancelled")
# Statuses of work under way (beyond "planned") for the in_progress state.
_UNDER_WAY = frozenset({"under_construction", "commissioning", "operating", "decommissioned"})

INDICATIVE_CAVEAT_ZH = (
    "示意估算：人口 × 人均清运量 × 湿垃圾占比。各街镇人口口径与年份不一（户籍/常住，2008–2021年），"
    "人均清运量为全区2020年值，湿垃圾占比为上海全市值，仅供参考。"
)
INDICATIVE_CAVEAT_EN = (
    "Indicative estimate: population × per-capita collection × wet share. Town population figures "
    "are of mixed kinds and years (registered/permanent, 2008–2021); the per-capita rate is "
    "district-wide (2020) and the wet share Shanghai-wide. Not a measurement."
)


# --------------------------------------------------------------------------- helpers
def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, str) and not value.strip()


def _text(value: Any) -> str | None:
    return None if _blank(value) else str(value).strip()


def _code(value: Any) -> str | None:
    """A town code as text, whatever the reader made of it (310118105, 310118105.0, '310118105')."""
    if _blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text


def _codes(series: pd.Series) -> pd.Series:
    return series.map(lambda v: _code(v) or "")


def _float(value: Any) -> float | None:
    if _blank(value):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) or math.isinf(out) else out


def _year(value: Any) -> int | None:
    """The year of an int, '2025', '2021-12' or '2021-12-31' (None when unknown)."""
    if _blank(value):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.year
    text = str(value).strip()
    try:
        return int(float(text)) if len(text) <= 6 and "-" not in text else int(text[:4])
    except ValueError:
        return None


def _ids(value: Any) -> list[str]:
    if _blank(value):
        return []
    if isinstance(value, (list, tuple, set)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value).replace(",", ";").split(";") if part.strip()]


def _num(value: float) -> float | int:
    """Round sums for display/JSON (5 + 80 + 10 + 0.5 + 5 must print as 100.5)."""
    rounded = round(float(value), 6)
    return int(rounded) if rounded.is_integer() else rounded


def _target_status(measure: str) -> str:
    return "decommissioned" if measure == "closure_count" else "operating"


def _pursued_statuses(measure: str) -> tuple[str, ...]:
    return ("planned", "under_construction", "commissioning", _target_status(measure))


def _targets_list(targets: Iterable[Mapping[str, Any]] | pd.DataFrame) -> list[dict[str, Any]]:
    if isinstance(targets, pd.DataFrame):
        return targets.to_dict("records")
    return [dict(t) for t in targets]


def site_capacity(row: Mapping[str, Any]) -> float | None:
    """Normalised capacity of a site: the capacity in operation when an official set it on an
    operating site, else the plan's capacity; None when unknown (never 0)."""
    if row.get("status") == "operating":
        operating = _float(row.get("operating_capacity_norm"))
        if operating is not None:
            return operating
    return _float(row.get("capacity_norm"))


def baseline_capacity(row: Mapping[str, Any]) -> tuple[bool, float | None]:
    """(counts, capacity) of the facility a site's project upgrades, toward *operating today*:
    counts while the project is not finished (planned, under construction, commissioning) and
    the site is an existing facility; capacity None = unknown."""
    existing = row.get("existing_facility")
    if _blank(existing) or not bool(existing) or row.get("status") not in _NOT_YET:
        return False, None
    return True, _float(row.get("baseline_capacity_norm"))


def operating_today_capacity(row: Mapping[str, Any]) -> tuple[bool, float | None]:
    """(counts, capacity) of a site toward *operating today*: an operating site at its capacity
    (:func:`site_capacity`), an unfinished upgrade of an existing facility at its baseline."""
    if row.get("status") == "operating":
        return True, site_capacity(row)
    return baseline_capacity(row)


# --------------------------------------------------------------------------- quantities
@dataclass(frozen=True)
class Quantity:
    """A total and what it does not know: ``value`` is the sum of the known parts (None when
    there are parts and none is known), ``unknown_sites`` the sites whose part is unknown.
    No parts at all is a true 0."""

    value: float | int | None
    unknown_sites: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return self.value is not None and not self.unknown_sites

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "unknown_sites": list(self.unknown_sites), "complete": self.complete}


def quantity(parts: Iterable[tuple[str, float | None]]) -> Quantity:
    """The :class:`Quantity` of ``(site_id, value or None)`` parts."""
    known: list[float] = []
    unknown: list[str] = []
    for sid, value in parts:
        if value is None:
            unknown.append(str(sid))
        else:
            known.append(float(value))
    if unknown and not known:
        return Quantity(None, tuple(unknown))
    return Quantity(_num(sum(known)), tuple(unknown))


def fmt_number(value: Any) -> str:
    """1234.5 → '1,234.5'; None → '—' (unknown is never shown as 0)."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    number = float(value)
    if number.is_integer():
        return f"{int(number):,}"
    return f"{number:,.2f}".rstrip("0").rstrip(".")


def fmt_share(value: float | None) -> str:
    if value is None:
        return "—"
    pct = value * 100
    return f"{pct:.1f}%" if pct >= 1 or pct == 0 else f"{pct:.2f}%"


def fmt_quantity(q: Quantity | None, unit: str = "", lang: str = "zh", *, share: bool = False,
                 what: str = "capacity", short: bool = False) -> str:
    """THE way a total is written (pages, briefing, workbook, CLI):
    ``80 吨/日`` · ``≥ 80 吨/日（1 个站点能力未知）`` · ``未知（2 个站点能力未知）`` · ``未知``.
    ``share``: the value is a fraction, written as a percentage.  ``what``: ``capacity`` or
    ``villages`` (which part is unknown).  ``short``: without the count of unknown sites (a metric
    tile; "≥" and "未知" still say it), the full text shown next to it."""
    unknown_word = t("common.unknown", lang)
    if q is None:
        return unknown_word
    n = len(q.unknown_sites)
    suffix = t(f"figures.unknown_suffix.{what}", lang, n=n) if n and not short else ""
    if q.value is None:
        return unknown_word + suffix
    body = fmt_share(float(q.value)) if share else f"{fmt_number(q.value)} {unit}".strip()
    return ("≥ " + body + suffix) if n else body


def overdue_flags(sites: pd.DataFrame, today: dt.date | None = None) -> pd.Series:
    """The catalog's overdue rule (target year over, target state not reached), for ``today``."""
    from wufei_geo.catalog import overdue_mask

    if sites.empty:
        return pd.Series([], dtype=bool, index=sites.index)
    return overdue_mask(sites, today)


# --------------------------------------------------------------------------- results
@dataclass
class TargetProgress:
    """One target of the plan against the registered sites.

    ``achieved`` / ``registered`` are the known parts of :class:`Quantity` totals (None when
    nothing is known, or for an untracked / unmeasured target); ``achieved_unknown_sites`` and
    ``unknown_capacity_sites`` name what they do not know.  ``existing_capacity`` is the part of
    ``achieved`` that existing facilities bring before their project is finished."""

    id: str
    level: str
    town_code: str | None
    category: str
    wet_waste_mode: str | None
    measure: str
    target: float | None
    unit: str
    target_year: int | None
    description_zh: str
    description_en: str
    source_ref: str
    note: str
    counts_toward: str
    target_status: str
    by_status: dict[str, float | int]
    achieved: float | int | None
    registered: float | int | None
    gap: float | int | None
    share: float | None
    registered_gap: float | int | None
    registered_share: float | None
    unknown_capacity_sites: dict[str, Any]
    achieved_unknown_sites: list[str]
    existing_capacity: dict[str, Any]
    measured: bool
    sites: list[str]
    site_rows: list[dict[str, Any]]
    projection: list[dict[str, Any]]
    reached_year: int | None
    forecast_state: str
    forecast_basis: list[str]
    forecast_reasons: dict[str, list[str]]
    reached_by_target_year: bool | None
    undated_sites: list[str]
    overdue: bool
    overdue_sites: list[str]
    state: str
    by_mode: dict[str, dict[str, float | int]] = field(default_factory=dict)
    # issue 12: the sites behind this figure whose status was not confirmed within the period
    stale_sites: list[str] = field(default_factory=list)

    @property
    def achieved_quantity(self) -> Quantity:
        return Quantity(self.achieved, tuple(self.achieved_unknown_sites))

    @property
    def registered_quantity(self) -> Quantity:
        return Quantity(self.registered, tuple(self.unknown_capacity_sites["ids"]))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class GenerationEstimate:
    """INDICATIVE wet-waste generation of a town (t/d) against the capacity located there."""

    population: int
    population_note: str
    per_capita_kg_day: float
    per_capita_source: str
    wet_share: float
    wet_share_source: str
    generation_tpd: float
    capacity_operating_tpd: float | int | None
    capacity_registered_tpd: float | int | None
    unknown_capacity_sites: int
    coverage_registered: float | None
    indicative: bool = True
    caveat_zh: str = INDICATIVE_CAVEAT_ZH
    caveat_en: str = INDICATIVE_CAVEAT_EN

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TownScorecard:
    town_code: str
    name_zh: str
    name_en: str
    state: str
    counts: dict[str, int]
    targets: list[TargetProgress]
    sites: list[str]
    site_rows: list[dict[str, Any]]
    sites_by_status: dict[str, int]
    wet_waste_by_status: dict[str, float | int]
    wet_waste_unknown_capacity_sites: list[str]
    wet_waste_tpd: dict[str, Any]  # Quantity.to_dict(): registered (after the plan's projects)
    wet_waste_operating_tpd: dict[str, Any]  # Quantity.to_dict(): operating today
    population: int | None
    population_note: str | None
    area_km2: float | None
    generation: GenerationEstimate | None
    # issue 12: {sites, confirmed, stale, last_confirmed_at} of the town's live sites (see freshness)
    freshness: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["targets"] = [t.to_dict() for t in self.targets]
        return out


# --------------------------------------------------------------------------- selection
def _live(sites: pd.DataFrame) -> pd.DataFrame:
    if "retired" in sites.columns:
        retired = sites["retired"].fillna(False).astype(bool)
        sites = sites[~retired]
    return sites


def matching_sites(
    sites: pd.DataFrame, target: Mapping[str, Any], counts_toward: str = "all"
) -> pd.DataFrame:
    """The sites that count toward ``target`` (see the module docstring)."""
    if counts_toward not in COUNTS_TOWARD:
        raise ValueError(f"counts_toward must be one of {', '.join(COUNTS_TOWARD)}, not {counts_toward!r}")
    sites = _live(sites)
    mask = sites["category"] == target.get("category")
    mode = _text(target.get("wet_waste_mode"))
    if mode:
        mask &= sites["wet_waste_mode"] == mode
    elif (
        target.get("category") == "wet_waste"
        and target.get("measure") == "capacity"
        and counts_toward != "all"
    ):
        mask &= sites["wet_waste_mode"] == counts_toward
    projects = _ids(target.get("project_ids"))
    if projects:
        mask &= sites["project_id"].isin(projects)
    if _text(target.get("level")) == "town":
        town = _code(target.get("town_code"))
        if target.get("measure") == "served":
            mask &= sites["served_towns"].map(lambda v: town in [_code(x) for x in _ids(v)])
        else:
            mask &= _codes(sites["town_code"]) == (town or "")
    return sites[mask.fillna(False).astype(bool)]


# --------------------------------------------------------------------------- one target
def _date_end(value: Any) -> dt.date | None:
    """The last day of a (partial) date: '2025' → 2025-12-31, '2025-06' → 2025-06-30."""
    if _blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        parts = [int(p) for p in text[:10].split("-")]
        if len(parts) == 1:
            return dt.date(parts[0], 12, 31)
        if len(parts) == 2:
            nxt = dt.date(parts[0] + (parts[1] == 12), parts[1] % 12 + 1, 1)
            return nxt - dt.timedelta(days=1)
        return dt.date(parts[0], parts[1], parts[2])
    except (ValueError, IndexError):
        return None


def _placement(row: Mapping[str, Any], target_state: str, today: dt.date, months: int) -> tuple[float, float, list[str]]:
    """(earliest, latest) year a pursued site reaches the target state, and why it is uncertain.

    In the target state: by its commissioning year (a fact), else by the year of its status date
    (it was there then; it may have been earlier).  Not yet there: its expected year, when the
    status is recently confirmed and the expected date has not passed; otherwise any year from
    this one on, or never (latest = inf)."""
    inf = math.inf
    if row["status"] == target_state:
        year = _year(row.get("commissioned")) if target_state == "operating" else None
        if year is not None:
            return year, year, []
        year = _year(row.get("status_as_of"))
        return (-inf, year, []) if year is not None else (-inf, inf, ["no_date"])
    reasons = []
    if not status_confirmed(row, today, months):
        reasons.append("status_unconfirmed")
    expected = _date_end(row.get("expected_commissioning"))
    if expected is None:
        reasons.append("no_expected_date")
    elif expected < today:
        reasons.append("expected_date_passed")
    if reasons:
        return today.year, inf, reasons
    assert expected is not None
    return expected.year, expected.year, []


def _forecast(
    rows: list[dict[str, Any]], measure: str, target_value: float | None, today: dt.date
) -> tuple[int | None, str, list[str], dict[str, list[str]]]:
    """(reached_year, forecast_state, forecast_basis, reasons per site) — see the module docstring.

    Each part has an earliest and a latest year and an amount (None = unknown, any amount).
    L(y) counts the parts certainly there by y, U(y) the parts possibly there (infinite when a
    part of unknown amount may be).  The target is reached in Y when L(Y) ≥ target and
    U(Y - 1) < target; never with the registered sites when U(∞) < target."""
    inf = math.inf
    reasons: dict[str, list[str]] = {}
    parts: list[dict[str, Any]] = []
    for r in rows:
        if r["earliest"] is None:
            continue
        if r["reasons"]:
            reasons.setdefault(r["site_id"], []).extend(r["reasons"])
        if measure == "capacity":
            amount = r["capacity"]
            base = r.get("baseline")
            if base is not None:  # an existing facility: there already, at its baseline
                counts, cap = base
                parts.append({"e": -inf, "l": -inf, "amount": cap, "keys": None, "fact": True})
                if cap is None:
                    reasons.setdefault(r["site_id"], []).append("unknown_existing_capacity")
                elif amount is not None:
                    amount = max(amount - cap, 0.0)
            if amount is None:
                reasons.setdefault(r["site_id"], []).append("unknown_capacity")
            parts.append({"e": r["earliest"], "l": r["latest"], "amount": amount, "keys": None, "fact": r["fact"]})
        elif measure in ("village_count", "served_village_count"):
            keys = r["village_keys"] if measure == "served_village_count" else (
                [r["village_key"]] if r["village_key"] else [])
            if keys is None:
                reasons.setdefault(r["site_id"], []).append("no_served_villages")
            parts.append({"e": r["earliest"], "l": r["latest"], "amount": None if keys is None else 0.0,
                          "keys": keys, "fact": r["fact"]})
        else:
            parts.append({"e": r["earliest"], "l": r["latest"], "amount": 1.0, "keys": None, "fact": r["fact"]})

    def total(selected: list[dict[str, Any]], upper: bool) -> float:
        if upper and any(p["amount"] is None for p in selected):
            return inf
        if measure in ("village_count", "served_village_count"):
            return float(len({k for p in selected if p["keys"] for k in p["keys"]}))
        if measure == "served":
            return 1.0 if selected else 0.0
        return float(sum(p["amount"] for p in selected if p["amount"] is not None))

    def lower(y: float) -> float:
        return total([p for p in parts if p["l"] <= y], False)

    def upper(y: float) -> float:
        return total([p for p in parts if p["e"] <= y], True)

    basis = [sid for sid in dict.fromkeys(r["site_id"] for r in rows) if sid in reasons]
    if target_value is None:
        return None, "cannot_tell", basis, reasons
    years = sorted({p["l"] for p in parts if math.isfinite(p["l"])})
    for y in years:
        if lower(y) >= target_value:
            if upper(y - 1) < target_value:
                # reached: the sites in the target state alone get there; expected: expected dates do
                facts = total([p for p in parts if p["fact"] and p["l"] <= y], False)
                state = "reached" if facts >= target_value else "expected"
                return int(y), state, [], reasons
            return None, "cannot_tell", basis, reasons
    if upper(inf) < target_value:
        return None, "not_reachable", [], reasons
    return None, "cannot_tell", basis, reasons


def _value_of(rows: list[dict[str, Any]], measure: str) -> float:
    if measure == "capacity":
        return float(sum(r["capacity"] for r in rows if r["capacity"] is not None))
    if measure == "village_count":
        return float(len({r["village_key"] for r in rows if r["village_key"]}))
    if measure == "served_village_count":
        return float(len({k for r in rows if r["village_keys"] for k in r["village_keys"]}))
    if measure == "served":
        return 1.0 if rows else 0.0
    return float(len(rows))


def _by_status(rows: list[dict[str, Any]], measure: str) -> dict[str, float | int]:
    if measure in ("village_count", "served_village_count"):
        # each village once, at its most advanced status
        rank = {s: i for i, s in enumerate(("cancelled", "suspended", "planned", "under_construction",
                                            "commissioning", "operating", "decommissioned"))}
        best: dict[str, str] = {}
        for r in rows:
            keys = [r["village_key"]] if measure == "village_count" else (r["village_keys"] or [])
            for key in keys:
                if key and (key not in best or rank[r["status"]] > rank[best[key]]):
                    best[key] = r["status"]
        return {s: sum(1 for v in best.values() if v == s) for s in STATUSES}
    return {s: _num(_value_of([r for r in rows if r["status"] == s], measure)) for s in STATUSES}


def served_villages(value: Any) -> list[str] | None:
    """The ``served_villages`` of a site as a list (None = not filled in)."""
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    if _blank(value):
        return None
    try:
        data = json.loads(str(value))
    except ValueError:
        return [part.strip() for part in str(value).split(";") if part.strip()]
    return [str(v) for v in data] if isinstance(data, list) else None


def _progress(
    target: Mapping[str, Any],
    sites: pd.DataFrame,
    counts_toward: str,
    today: dt.date,
    confirmation_months: int = DEFAULT_CONFIRMATION_MONTHS,
) -> TargetProgress:
    measure = _text(target.get("measure")) or ""
    if measure not in MEASURES:
        raise ValueError(f"target {target.get('target_id')}: unknown measure {measure!r}")
    target_value = _float(target.get("target_value"))
    target_year = _year(target.get("target_year"))
    target_state = _target_status(measure)
    pursued = set(_pursued_statuses(measure))
    this_year = today.year
    applies_mode = target.get("category") == "wet_waste" and measure == "capacity" and not _text(
        target.get("wet_waste_mode")
    )
    counted = counts_toward if applies_mode else "all"

    matched = pd.DataFrame() if measure == "untracked" else matching_sites(sites, target, counted)
    overdue = overdue_flags(matched, today) if len(matched) else pd.Series([], dtype=bool)
    rows: list[dict[str, Any]] = []
    for (_, site), late in zip(matched.iterrows(), overdue.tolist(), strict=False):
        rec = site.to_dict()
        capacity = site_capacity(rec) if measure == "capacity" else None
        village = _text(rec.get("village"))
        town = _code(rec.get("town_code")) or ""
        served = served_villages(rec.get("served_villages")) if measure == "served_village_count" else None
        is_pursued = rec["status"] in pursued
        earliest = latest = None
        why: list[str] = []
        if is_pursued and measure != "untracked":
            earliest, latest, why = _placement(rec, target_state, today, confirmation_months)
        rows.append(
            {
                "site_id": rec["site_id"],
                "project_id": _text(rec.get("project_id")),
                "name_zh": _text(rec.get("name_zh")),
                "name_en": _text(rec.get("name_en")),
                "town_code": _code(rec.get("town_code")),
                "wet_waste_mode": _text(rec.get("wet_waste_mode")),
                "village": village,
                "village_key": f"{town}/{village}" if village else None,
                "village_keys": None if served is None else [f"{town}/{v}" for v in served],
                "status": rec["status"],
                "status_as_of": _text(rec.get("status_as_of")),
                "status_source": _text(rec.get("status_source")),
                "status_confirmed_at": _text(rec.get("status_confirmed_at")),
                "commissioned": _text(rec.get("commissioned")),
                "expected_commissioning": _text(rec.get("expected_commissioning")),
                "target_year": _year(rec.get("target_year")),
                "capacity": capacity,
                "capacity_unit": _text(rec.get("capacity_norm_unit")),
                "baseline": baseline_capacity(rec) if measure == "capacity" and baseline_capacity(rec)[0] else None,
                "today": operating_today_capacity(rec) if measure == "capacity" else (False, None),
                "earliest": earliest,
                "latest": latest,
                "reasons": why,
                "fact": rec["status"] == target_state,
                # the year the site is counted in (None: not placed by a trustworthy date)
                "year": int(latest) if latest is not None and math.isfinite(latest)
                and (earliest == latest or rec["status"] == target_state) else None,
                "overdue": bool(late),
            }
        )

    site_ids = [r["site_id"] for r in rows]
    pursued_rows = [r for r in rows if r["status"] in pursued]
    achieved_rows = [r for r in rows if r["status"] == target_state]
    measured = True
    if measure == "served_village_count":
        measured = any(r["village_keys"] is not None for r in rows)
    achieved_unknown: list[str] = []
    existing = Quantity(0)
    if measure == "untracked" or not measured:
        achieved = registered = gap = registered_gap = None
        share = registered_share = None
        by_status: dict[str, float | int] = {}
        state = "untracked" if measure == "untracked" else "unmeasured"
        unknown: list[str] = []
    else:
        if measure == "capacity":
            today_q = quantity((r["site_id"], r["today"][1]) for r in rows if r["today"][0])
            existing = quantity((r["site_id"], r["baseline"][1]) for r in rows if r["baseline"] is not None)
            reg_q = quantity((r["site_id"], r["capacity"]) for r in pursued_rows)
        elif measure == "served_village_count":
            def _villages(selected: list[dict[str, Any]]) -> Quantity:
                unknown_ids = tuple(r["site_id"] for r in selected if r["village_keys"] is None)
                known = [r for r in selected if r["village_keys"] is not None]
                if unknown_ids and not known:
                    return Quantity(None, unknown_ids)
                return Quantity(_num(_value_of(known, measure)), unknown_ids)
            today_q, reg_q = _villages(achieved_rows), _villages(pursued_rows)
        else:
            today_q = Quantity(_num(_value_of(achieved_rows, measure)))
            reg_q = Quantity(_num(_value_of(pursued_rows, measure)))
        achieved, achieved_unknown = today_q.value, list(today_q.unknown_sites)
        registered, unknown = reg_q.value, list(reg_q.unknown_sites)
        by_status = _by_status(rows, measure)
        if target_value is None:
            gap = registered_gap = share = registered_share = None
        else:
            gap = None if achieved is None else _num(max(target_value - achieved, 0.0))
            registered_gap = None if registered is None else _num(max(target_value - registered, 0.0))
            share = round(achieved / target_value, 6) if target_value and achieved is not None else None
            registered_share = (round(registered / target_value, 6)
                                if target_value and registered is not None else None)
        if (target_value is not None and achieved is not None and achieved >= target_value
                and (achieved > 0 or target_value == 0)):
            state = "met"
        elif any(r["status"] in _UNDER_WAY for r in rows):
            state = "in_progress"
        else:
            state = "not_started"

    projection: list[dict[str, Any]] = []
    reached_year: int | None = None
    undated: list[str] = []
    basis: list[str] = []
    reasons: dict[str, list[str]] = {}
    if measure == "untracked":
        forecast_state = "untracked"
    elif not measured:
        forecast_state = "unmeasured"
    else:
        # the chart: only sites placed in a year by dates people gave (never today's date)
        dated = [r for r in pursued_rows if r["year"] is not None]
        undated = [r["site_id"] for r in pursued_rows if r["year"] is None]
        for year in YEARS:
            upto = [r for r in dated if r["year"] <= year]
            projection.append(
                {
                    "year": year,
                    "cumulative": _num(_value_of(upto, measure)),
                    "by_status": {
                        s: _num(_value_of([r for r in upto if r["status"] == s], measure))
                        for s in _pursued_statuses(measure)
                    },
                }
            )
        reached_year, forecast_state, basis, reasons = _forecast(pursued_rows, measure, target_value, today)
    reached_by = None
    if reached_year is not None and target_year is not None:
        reached_by = reached_year <= target_year
    elif forecast_state == "not_reachable":
        reached_by = False

    by_mode: dict[str, dict[str, float | int]] = {}
    if target.get("category") == "wet_waste" and measure == "capacity":
        everything = matching_sites(sites, target, "all")
        for mode in ("centralised", "on_site"):
            part = everything[everything["wet_waste_mode"] == mode]
            caps = [
                {"status": s["status"], "capacity": site_capacity(s)}
                for s in part.to_dict("records")
            ]
            by_mode[mode] = {s: _num(_value_of([c for c in caps if c["status"] == s], "capacity"))
                             for s in STATUSES}

    target_overdue = (
        measure != "untracked" and measured and target_year is not None and target_year < this_year and state != "met"
    )
    hidden = {"village_key", "village_keys", "baseline", "today", "earliest", "latest", "reasons", "fact"}
    stale = stale_flags(matched, today, confirmation_months) if len(matched) else pd.Series([], dtype=bool)
    return TargetProgress(
        stale_sites=[str(sid) for sid, old in zip(matched.get("site_id", []), stale.tolist(), strict=False) if old],
        id=str(target.get("target_id")),
        level=_text(target.get("level")) or "district",
        town_code=_code(target.get("town_code")),
        category=_text(target.get("category")) or "",
        wet_waste_mode=_text(target.get("wet_waste_mode")),
        measure=measure,
        target=None if target_value is None else _num(target_value),
        unit=_text(target.get("unit")) or "",
        target_year=target_year,
        description_zh=_text(target.get("description_zh")) or "",
        description_en=_text(target.get("description_en")) or "",
        source_ref=_text(target.get("source_ref")) or "",
        note=_text(target.get("note")) or "",
        counts_toward=counted,
        target_status=target_state,
        by_status=by_status,
        achieved=achieved,
        registered=registered,
        gap=gap,
        share=share,
        registered_gap=registered_gap,
        registered_share=registered_share,
        unknown_capacity_sites={"count": len(unknown), "ids": unknown},
        achieved_unknown_sites=achieved_unknown,
        existing_capacity=existing.to_dict(),
        measured=measured,
        sites=site_ids,
        site_rows=[{k: v for k, v in r.items() if k not in hidden} for r in rows],
        projection=projection,
        reached_year=reached_year,
        forecast_state=forecast_state,
        forecast_basis=basis,
        forecast_reasons={sid: sorted(set(v)) for sid, v in reasons.items()},
        reached_by_target_year=reached_by,
        undated_sites=undated,
        overdue=target_overdue,
        overdue_sites=[r["site_id"] for r in rows if r["overdue"]],
        state=state,
        by_mode=by_mode,
    )


# --------------------------------------------------------------------------- public API
def capacity_report(
    sites: pd.DataFrame,
    targets: Iterable[Mapping[str, Any]] | pd.DataFrame,
    *,
    counts_toward: str = "all",
    today: dt.date | None = None,
    confirmation_months: int = DEFAULT_CONFIRMATION_MONTHS,
) -> list[TargetProgress]:
    """Every district-level target against the registered sites, in the targets file's order.

    ``counts_toward`` chooses which wet-waste sites count toward a wet-waste capacity target
    that names no mode: ``all`` (default, the plan's 湿垃圾总处理能力), ``centralised`` or
    ``on_site``.
    """
    if counts_toward not in COUNTS_TOWARD:
        raise ValueError(f"counts_toward must be one of {', '.join(COUNTS_TOWARD)}, not {counts_toward!r}")
    today = today or dt.date.today()
    return [
        _progress(tgt, sites, counts_toward, today, confirmation_months)
        for tgt in _targets_list(targets)
        if (_text(tgt.get("level")) or "district") == "district"
    ]


def wet_waste_progress(report: Sequence[TargetProgress]) -> TargetProgress | None:
    """The headline target: the district's wet-waste treatment capacity (600 t/d)."""
    for item in report:
        if item.category == "wet_waste" and item.measure == "capacity" and item.level == "district":
            return item
    return None


def generation_estimate(
    population: Any,
    population_note: str | None,
    params: GenerationParameters,
    capacity_operating_tpd: float | None = 0.0,
    capacity_registered_tpd: float | None = 0.0,
    unknown_capacity_sites: int = 0,
) -> GenerationEstimate | None:
    """population × per-capita (kg/person/day) × wet share → t/d; None when population is unknown."""
    pop = _float(population)
    if pop is None or pop <= 0:
        return None
    generation = pop * params.per_capita_kg_day * params.wet_share / 1000.0
    return GenerationEstimate(
        population=int(pop),
        population_note=population_note or "",
        per_capita_kg_day=params.per_capita_kg_day,
        per_capita_source=params.per_capita_source,
        wet_share=params.wet_share,
        wet_share_source=params.wet_share_source,
        generation_tpd=round(generation, 3),
        capacity_operating_tpd=None if capacity_operating_tpd is None else _num(capacity_operating_tpd),
        capacity_registered_tpd=None if capacity_registered_tpd is None else _num(capacity_registered_tpd),
        unknown_capacity_sites=unknown_capacity_sites,
        coverage_registered=round(capacity_registered_tpd / generation, 4)
        if generation and capacity_registered_tpd is not None else None,
    )


def _town_state(progress: Sequence[TargetProgress]) -> str:
    tracked = [p.state for p in progress if p.state not in ("untracked", "unmeasured")]
    if not tracked:
        return "no_target"
    if all(s == "met" for s in tracked):
        return "met"
    if all(s == "not_started" for s in tracked):
        return "not_started"
    return "in_progress"


def town_scorecards(
    sites: pd.DataFrame,
    targets: Iterable[Mapping[str, Any]] | pd.DataFrame,
    towns: pd.DataFrame,
    params: GenerationParameters | None = None,
    *,
    today: dt.date | None = None,
    confirmation_months: int = DEFAULT_CONFIRMATION_MONTHS,
) -> list[TownScorecard]:
    """One scorecard per town of the gazetteer (in its order): the town-level targets, the
    town's sites, and where population is known an INDICATIVE wet-waste generation estimate."""
    params = params or GenerationParameters()
    today = today or dt.date.today()
    town_targets = [t for t in _targets_list(targets) if _text(t.get("level")) == "town"]
    live = _live(sites)
    overdue = overdue_flags(live, today) if len(live) else pd.Series([], dtype=bool)
    live = live.assign(_overdue=overdue.values) if len(live) else live.assign(_overdue=[])
    town_col = _codes(live["town_code"])
    figures = {f.town_code: f for f in town_figures(sites, towns, params=params)}
    cards: list[TownScorecard] = []
    for town in towns.to_dict("records"):
        code = _code(town.get("code", town.get("town_code"))) or ""
        progress = [
            _progress(tgt, sites, "all", today, confirmation_months)
            for tgt in town_targets
            if _code(tgt.get("town_code")) == code
        ]
        mine = live[town_col == code]
        wet = [
            {"site_id": r["site_id"], "status": r["status"], "capacity": site_capacity(r)}
            for r in mine[mine["category"] == "wet_waste"].to_dict("records")
        ]
        wet_by_status = {s: _num(_value_of([w for w in wet if w["status"] == s], "capacity")) for s in STATUSES}
        registered = figures[code].values["wet_waste_tpd"]
        operating = figures[code].values["wet_waste_operating_tpd"]
        wet_unknown = list(registered.unknown_sites)
        counts = {s: sum(1 for p in progress if p.state == s) for s in STATES[:4]}
        cards.append(
            TownScorecard(
                town_code=code,
                name_zh=_text(town.get("name_zh")) or code,
                name_en=_text(town.get("name_en")) or code,
                state=_town_state(progress),
                counts=counts,
                targets=progress,
                sites=mine["site_id"].tolist(),
                site_rows=[
                    {
                        "site_id": r["site_id"],
                        "project_id": _text(r.get("project_id")),
                        "name_zh": _text(r.get("name_zh")),
                        "name_en": _text(r.get("name_en")),
                        "category": r["category"],
                        "status": r["status"],
                        "status_as_of": _text(r.get("status_as_of")),
                        "capacity": site_capacity(r),
                        "capacity_unit": _text(r.get("capacity_norm_unit")),
                        "target_year": _year(r.get("target_year")),
                        "overdue": bool(r["_overdue"]),
                    }
                    for r in mine.to_dict("records")
                ],
                sites_by_status={s: int((mine["status"] == s).sum()) for s in STATUSES},
                wet_waste_by_status=wet_by_status,
                wet_waste_unknown_capacity_sites=wet_unknown,
                wet_waste_tpd=registered.to_dict(),
                wet_waste_operating_tpd=operating.to_dict(),
                population=None if _float(town.get("population")) is None else int(_float(town.get("population"))),
                population_note=_text(town.get("population_note")),
                area_km2=_float(town.get("area_km2")),
                generation=generation_estimate(
                    town.get("population"),
                    _text(town.get("population_note")),
                    params,
                    capacity_operating_tpd=operating.value,
                    capacity_registered_tpd=registered.value,
                    unknown_capacity_sites=len(wet_unknown),
                ),
                freshness=freshness(mine, today, confirmation_months),
            )
        )
    return cards


# --------------------------------------------------------------------------- town figures
# Every per-town figure the map, the 街镇 page, the briefing, the workbook and ``towns --json``
# show: computed here once, for the sites the caller passes (already filtered), as Quantities.
# The measures the facility map offers for shading (the same figures, filtered like the map).
MAP_MEASURES: tuple[str, ...] = ("site_count", "wet_waste_tpd", "capacity_per_10k")
MEASURE_UNITS: dict[str, str] = {
    "site_count": "sites",
    "wet_waste_tpd": "t/d",
    "wet_waste_operating_tpd": "t/d",
    "capacity_per_10k": "t/d per 10k",
    "generation_tpd": "t/d",
    "capacity_vs_generation": "share",
    "targets_met_share": "share",
}
_COUNT_MEASURES = frozenset({"site_count"})


@dataclass
class TownFigures:
    """One town's figures (``values``: measure → :class:`Quantity`)."""

    town_code: str
    name_zh: str
    name_en: str
    values: dict[str, Quantity]

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "town_code": self.town_code,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "measures": {m: {**q.to_dict(), "text": fmt_measure(q, m, lang)} for m, q in self.values.items()},
        }


def measure_unit_text(measure: str, lang: str = "zh") -> str:
    unit = MEASURE_UNITS[measure]
    return "" if unit == "share" else t(f"figures.unit.{unit}", lang)


def fmt_measure(q: Quantity | None, measure: str, lang: str = "zh") -> str:
    """A town figure as every view writes it (:func:`fmt_quantity` with the measure's unit)."""
    return fmt_quantity(q, measure_unit_text(measure, lang), lang, share=MEASURE_UNITS[measure] == "share")


def _ratio(num: Quantity, den: float | None, scale: float = 1.0) -> Quantity:
    if den is None or den <= 0:
        return Quantity(None)
    if num.value is None:
        return Quantity(None, num.unknown_sites)
    return Quantity(_num(round(float(num.value) / den * scale, 6)), num.unknown_sites)


def _town_rows(towns: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for town in towns.to_dict("records"):
        code = _code(town.get("code", town.get("town_code"))) or ""
        out.append({**town, "_code": code})
    return out


def town_figures(
    sites: pd.DataFrame,
    towns: pd.DataFrame,
    *,
    params: GenerationParameters | None = None,
    scorecards: Sequence[TownScorecard] | None = None,
) -> list[TownFigures]:
    """Per town of ``towns`` (gazetteer or zones: ``code``/``town_code``, ``name_zh``,
    ``name_en``, optional ``population``), every measure of :data:`TOWN_MEASURES` for ``sites``:

    * ``site_count`` — live sites in the town (every status);
    * ``wet_waste_tpd`` — wet-waste capacity registered (planned → operating; suspended and
      cancelled never count), after the plan's projects (:func:`site_capacity`);
    * ``wet_waste_operating_tpd`` — wet-waste capacity operating today
      (:func:`operating_today_capacity`, existing facilities at their baseline);
    * ``capacity_per_10k`` — ``wet_waste_tpd`` per 10,000 residents (unknown without a population);
    * ``generation_tpd`` / ``capacity_vs_generation`` — the INDICATIVE estimate and the
      registered capacity over it;
    * ``targets_met_share`` — share of the town's tracked targets met (from ``scorecards``,
      which judge targets on all sites; unknown without them).
    """
    params = params or GenerationParameters()
    live = _live(sites)
    town_col = _codes(live["town_code"]) if len(live) else pd.Series([], dtype=object)
    cards = {c.town_code: c for c in scorecards or ()}
    pursued = set(_pursued_statuses("capacity"))
    out: list[TownFigures] = []
    for town in _town_rows(towns):
        code = town["_code"]
        mine = live[town_col == code] if len(live) else live
        wet = mine[mine["category"] == "wet_waste"].to_dict("records") if len(mine) else []
        registered = quantity((r["site_id"], site_capacity(r)) for r in wet if r["status"] in pursued)
        operating = quantity(
            (r["site_id"], cap) for r in wet for counts, cap in [operating_today_capacity(r)] if counts
        )
        population = _float(town.get("population"))
        gen = generation_estimate(population, None, params)
        generation = Quantity(None) if gen is None else Quantity(gen.generation_tpd)
        card = cards.get(code)
        met_share = Quantity(None)
        if card is not None:
            tracked = [tp for tp in card.targets if tp.state not in ("untracked", "unmeasured")]
            if tracked:
                met_share = Quantity(_num(round(card.counts["met"] / len(tracked), 6)))
        values = {
            "site_count": Quantity(len(mine)),
            "wet_waste_tpd": registered,
            "wet_waste_operating_tpd": operating,
            "capacity_per_10k": _ratio(registered, None if population is None else population / 10_000),
            "generation_tpd": generation,
            "capacity_vs_generation": _ratio(registered, None if gen is None else gen.generation_tpd),
            "targets_met_share": met_share,
        }
        out.append(TownFigures(code, _text(town.get("name_zh")) or code, _text(town.get("name_en")) or code, values))
    return out


def town_measures(figures: Sequence[TownFigures]) -> pd.DataFrame:
    """The figures as a table: one row per town, the known value of each measure (NaN when
    unknown) and ``<measure>_unknown`` (how many sites' parts are unknown)."""
    rows = []
    for f in figures:
        row: dict[str, Any] = {"town_code": f.town_code, "name_zh": f.name_zh, "name_en": f.name_en}
        for m in TOWN_MEASURES:
            q = f.values[m]
            row[m] = float("nan") if q.value is None else float(q.value)
            row[f"{m}_unknown"] = len(q.unknown_sites)
        rows.append(row)
    cols = ["town_code", "name_zh", "name_en", *[c for m in TOWN_MEASURES for c in (m, f"{m}_unknown")]]
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------- class breaks
_NICE = (1.0, 2.0, 5.0)


def _nice_at_least(x: float) -> float:
    if x <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(x))
    for factor in (*_NICE, 10.0):
        if factor * power >= x - 1e-12:
            return factor * power
    return 10 * power


def _nice_nearest(x: float) -> float:
    power = 10 ** math.floor(math.log10(x))
    candidates = [f * power for f in (*_NICE, 10.0)]
    return min(candidates, key=lambda c: abs(math.log(c) - math.log(x)))


def nice_breaks(values: Iterable[float], max_classes: int = 5, integer: bool = False) -> list[float]:
    """Round, human class breaks from 0: 1-2-5 × 10^k values near the quantiles of the positive
    values, the last one at or above the largest (e.g. 0, 5, 10, 50, 100).  [0] when no value
    is positive (one class: 0)."""
    positive = sorted(v for v in values if v is not None and math.isfinite(v) and v > 0)
    if not positive:
        return [0.0]
    top = _nice_at_least(positive[-1])
    if integer:
        top = max(top, 1.0)
    inner: list[float] = []
    for k in range(1, max_classes):
        q = positive[min(len(positive) - 1, int(round(k / max_classes * (len(positive) - 1))))]
        b = _nice_nearest(q)
        if integer and b < 1:
            continue
        if 0 < b < top and b not in inner:
            inner.append(b)
    breaks = [0.0, *sorted(inner), top]
    while len(breaks) - 1 > max_classes:
        breaks.pop(-2)
    return breaks


def _break_text(value: float, measure: str) -> str:
    if MEASURE_UNITS[measure] == "share":
        return f"{value * 100:g}%"
    return fmt_number(value)


@dataclass
class ChoroplethScale:
    """Classes of a town shading: ``breaks`` b0 < b1 < …; class i holds values in (b_i, b_i+1]
    (the first also b0); ``labels`` with units, ``colours`` per class, grey for unknown."""

    measure: str
    title: str
    breaks: list[float]
    labels: list[str]
    colours: list[str]
    unknown_colour: str
    unknown_label: str

    def class_of(self, value: float | None) -> int | None:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        for i in range(len(self.breaks) - 1):
            if value <= self.breaks[i + 1] + 1e-9:
                return i
        return max(len(self.breaks) - 2, 0)

    def colour_of(self, value: float | None) -> str:
        k = self.class_of(value)
        return self.unknown_colour if k is None else self.colours[k]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def choropleth_scale(figures: Sequence[TownFigures], measure: str, lang: str = "zh") -> ChoroplethScale:
    """The class breaks, labels and colours of ``measure`` over ``figures`` (shares in %)."""
    from wufei_geo.palette import CHOROPLETH_PALETTE, UNKNOWN_COLOUR

    if measure not in TOWN_MEASURES:
        raise ValueError(f"unknown town measure {measure!r}; expected one of {TOWN_MEASURES}")
    share = MEASURE_UNITS[measure] == "share"
    scale = 100.0 if share else 1.0
    values = [float(f.values[measure].value) * scale for f in figures if f.values[measure].value is not None]
    breaks = [b / scale for b in nice_breaks(values, len(CHOROPLETH_PALETTE), integer=measure in _COUNT_MEASURES)]
    unit = measure_unit_text(measure, lang)
    labels: list[str] = []
    if len(breaks) == 1:
        labels = [f"{_break_text(0.0, measure)} {unit}".strip()]
        colours = [CHOROPLETH_PALETTE[0]]
    else:
        n = len(breaks) - 1
        for i in range(n):
            lo, hi = breaks[i], breaks[i + 1]
            if measure in _COUNT_MEASURES and i > 0:
                text = _break_text(hi, measure) if hi <= lo + 1 else f"{_break_text(lo + 1, measure)} – {_break_text(hi, measure)}"
            else:
                text = f"{_break_text(lo, measure)} – {_break_text(hi, measure)}"
            labels.append(f"{text} {unit}".strip())
        step = (len(CHOROPLETH_PALETTE) - 1) / max(n - 1, 1)
        colours = [CHOROPLETH_PALETTE[round(i * step)] for i in range(n)]
    return ChoroplethScale(
        measure=measure,
        title=t(f"analysis.measure.{measure}", lang),
        breaks=breaks,
        labels=labels,
        colours=colours,
        unknown_colour=UNKNOWN_COLOUR,
        unknown_label=t("common.unknown", lang),
    )


def town_shading(
    figures: Sequence[TownFigures], measure: str, lang: str = "zh"
) -> tuple[ChoroplethScale, dict[str, dict[str, Any]]]:
    """The scale and, per town code, what a map shows: ``value`` (the known value behind the
    shade; None = unknown), ``text`` (:func:`fmt_measure`), ``class`` and ``fill``."""
    scale = choropleth_scale(figures, measure, lang)
    shades = {}
    for f in figures:
        q = f.values[measure]
        shades[f.town_code] = {
            "value": q.value,
            "unknown_sites": list(q.unknown_sites),
            "text": fmt_measure(q, measure, lang),
            "class": scale.class_of(None if q.value is None else float(q.value)),
            "fill": scale.colour_of(None if q.value is None else float(q.value)),
        }
    return scale, shades
