"""One target of the plan against the registered sites (:class:`TargetProgress`), in named steps:
read the target, the rows of its sites, the totals and the state, the projection and the
forecast, the wet-waste split by mode; and the district report (:func:`capacity_report`)."""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from wufei_geo.analysis.forecast import forecast_outlook, placement
from wufei_geo.analysis.measures import SiteMeasure, site_measure
from wufei_geo.analysis.projection import PLAN_START, projection
from wufei_geo.analysis.quantities import Quantity
from wufei_geo.analysis.sites import (
    UNDER_WAY,
    baseline_capacity,
    matching_sites,
    operating_today_capacity,
    overdue_flags,
    served_villages,
    site_capacity,
)
from wufei_geo.analysis.values import code_of, float_of, plain_number, targets_list, text_of, year_of
from wufei_geo.freshness import DEFAULT_CONFIRMATION_MONTHS, stale_flags
from wufei_geo.model import COUNTS_TOWARD, STATUSES

# The plan's years (the chart runs on to the latest expected date: ``projection.projection_years``).
YEARS: tuple[int, ...] = tuple(range(PLAN_START, 2026))
STATES: tuple[str, ...] = ("met", "in_progress", "not_started", "untracked", "no_target", "unmeasured")


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
    # issue 24: the places behind a place_count target (C.2), approved ones in ``places_counted``
    places: list[str] = field(default_factory=list)
    places_counted: list[str] = field(default_factory=list)
    # a total with unknown parts is a lower bound ("≥"): said in a field, not only in the text
    achieved_lower_bound: bool = False
    registered_lower_bound: bool = False

    @property
    def achieved_quantity(self) -> Quantity:
        return Quantity(self.achieved, tuple(self.achieved_unknown_sites))

    @property
    def registered_quantity(self) -> Quantity:
        return Quantity(self.registered, tuple(self.unknown_capacity_sites["ids"]))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)



def value_of(rows: list[dict[str, Any]], measure: str) -> float:
    """What ``rows`` add up to under the named measure (the record's :meth:`SiteMeasure.total`)."""
    return site_measure(measure).total(rows)


# --------------------------------------------------------------------------- the steps of one target
@dataclass(frozen=True)
class _Target:
    """What one row of the targets file asks, read once."""

    row: Mapping[str, Any]
    measure: str
    how: SiteMeasure  # the measure's record
    value: float | None
    year: int | None
    state: str  # the target state: operating (decommissioned for closures)
    pursued: frozenset[str]
    counted: str  # the counts_toward that applies to this target


def _read_target(target: Mapping[str, Any], counts_toward: str) -> _Target:
    measure = text_of(target.get("measure")) or ""
    try:
        how = site_measure(measure)
    except ValueError:
        raise ValueError(f"target {target.get('target_id')}: unknown measure {measure!r}") from None
    applies_mode = target.get("category") == "wet_waste" and how.reads_capacity and not text_of(
        target.get("wet_waste_mode")
    )
    return _Target(
        row=target,
        measure=measure,
        how=how,
        value=float_of(target.get("target_value")),
        year=year_of(target.get("target_year")),
        state=how.target_status,
        pursued=frozenset(how.pursued),
        counted=counts_toward if applies_mode else "all",
    )


def _site_row(rec: dict[str, Any], late: bool, tgt: _Target, today: dt.date, months: int) -> dict[str, Any]:
    """One matching site as the target sees it: its amount, villages, placement in time."""
    how = tgt.how
    village = text_of(rec.get("village"))
    town = code_of(rec.get("town_code")) or ""
    served = served_villages(rec.get("served_villages")) if how.reads_served_villages else None
    earliest = latest = None
    why: list[str] = []
    if rec["status"] in tgt.pursued and how.tracked:
        earliest, latest, why = placement(rec, tgt.state, today, months)
    baseline = baseline_capacity(rec) if how.reads_capacity else (False, None)
    existing = rec.get("existing_facility")
    upgraded = how.reads_capacity and not (existing is None or existing != existing) and bool(existing)
    expected = text_of(rec.get("expected_commissioning"))
    return {
        "site_id": rec["site_id"],
        "project_id": text_of(rec.get("project_id")),
        "name_zh": text_of(rec.get("name_zh")),
        "name_en": text_of(rec.get("name_en")),
        "town_code": code_of(rec.get("town_code")),
        "department": text_of(rec.get("department")),
        "wet_waste_mode": text_of(rec.get("wet_waste_mode")),
        "village": village,
        "village_key": f"{town}/{village}" if village else None,
        "village_keys": None if served is None else [f"{town}/{v}" for v in served],
        "status": rec["status"],
        "status_as_of": text_of(rec.get("status_as_of")),
        "status_source": text_of(rec.get("status_source")),
        "status_confirmed_at": text_of(rec.get("status_confirmed_at")),
        "commissioned": text_of(rec.get("commissioned")),
        "expected_commissioning": text_of(rec.get("expected_commissioning")),
        "target_year": year_of(rec.get("target_year")),
        "capacity": site_capacity(rec) if how.reads_capacity else None,
        "capacity_unit": text_of(rec.get("capacity_norm_unit")),
        "baseline": baseline if baseline[0] else None,
        "existing": (True, float_of(rec.get("baseline_capacity_norm"))) if upgraded else None,
        "expected_year": year_of(expected[:4]) if expected else None,
        "today": operating_today_capacity(rec) if how.reads_capacity else (False, None),
        "earliest": earliest,
        "latest": latest,
        "reasons": why,
        "fact": rec["status"] == tgt.state,
        # the year the site is counted in (None: not placed by a trustworthy date)
        "year": int(latest) if latest is not None and math.isfinite(latest)
        and (earliest == latest or rec["status"] == tgt.state) else None,
        "overdue": bool(late),
    }


# The site columns a target's row reads (_site_row, placement, status_confirmed, the capacities).
_ROW_COLUMNS = ("site_id", "project_id", "name_zh", "name_en", "category", "town_code", "department",
                "wet_waste_mode", "village", "served_villages", "status", "status_as_of", "status_source",
                "status_confirmed_at", "commissioned", "expected_commissioning", "target_year", "capacity_norm",
                "capacity_norm_unit", "operating_capacity_norm", "existing_facility", "baseline_capacity_norm")

# Row keys the analysis needs but a TargetProgress does not show.
_HIDDEN = frozenset({"village_key", "village_keys", "baseline", "today", "earliest", "latest", "reasons", "fact",
                     "existing", "expected_year"})


def _site_rows(
    sites: pd.DataFrame, tgt: _Target, today: dt.date, months: int
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """The sites that count toward the target, and their rows (:func:`_site_row`)."""
    matched = pd.DataFrame() if not tgt.how.tracked or tgt.how.counts_places else matching_sites(sites, tgt.row, tgt.counted)
    overdue = overdue_flags(matched, today) if len(matched) else pd.Series([], dtype=bool)
    # only the columns a row reads, as plain records (not iterrows: 100,000 sites in seconds)
    records = matched[[c for c in _ROW_COLUMNS if c in matched.columns]].to_dict("records")
    rows = [_site_row(site, late, tgt, today, months)
            for site, late in zip(records, overdue.tolist(), strict=False)]
    return matched, rows


@dataclass
class _Totals:
    """Where a target stands today and after the plan's projects."""

    state: str
    achieved: float | int | None = None
    registered: float | int | None = None
    achieved_unknown: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    existing: Quantity = field(default_factory=lambda: Quantity(0))
    by_status: dict[str, float | int] = field(default_factory=dict)
    gap: float | int | None = None
    registered_gap: float | int | None = None
    share: float | None = None
    registered_share: float | None = None


def _quantities(rows: list[dict[str, Any]], tgt: _Target) -> tuple[Quantity, Quantity, Quantity]:
    """(achieved today, registered after the projects, the existing facilities' part of today)."""
    pursued_rows = [r for r in rows if r["status"] in tgt.pursued]
    achieved_rows = [r for r in rows if r["status"] == tgt.state]
    return tgt.how.quantities(rows, achieved_rows, pursued_rows)


def _state(rows: list[dict[str, Any]], target_value: float | None, achieved: float | int | None) -> str:
    if (target_value is not None and achieved is not None and achieved >= target_value
            and (achieved > 0 or target_value == 0)):
        return "met"
    if any(r["status"] in UNDER_WAY for r in rows):
        return "in_progress"
    return "not_started"


def _totals(rows: list[dict[str, Any]], tgt: _Target, measured: bool) -> _Totals:
    if not tgt.how.tracked or not measured:
        return _Totals(state="untracked" if not tgt.how.tracked else "unmeasured")
    if tgt.how.counts_places:
        return _place_totals(tgt)
    today_q, reg_q, existing = _quantities(rows, tgt)
    achieved, registered, goal = today_q.value, reg_q.value, tgt.value
    out = _Totals(
        state=_state(rows, goal, achieved),
        achieved=achieved,
        registered=registered,
        achieved_unknown=list(today_q.unknown_sites),
        unknown=list(reg_q.unknown_sites),
        existing=existing,
        by_status=tgt.how.by_status(rows),
    )
    if goal is not None:
        out.gap = None if achieved is None else plain_number(max(goal - achieved, 0.0))
        out.registered_gap = None if registered is None else plain_number(max(goal - registered, 0.0))
        out.share = round(achieved / goal, 6) if goal and achieved is not None else None
        out.registered_share = round(registered / goal, 6) if goal and registered is not None else None
    return out


@dataclass
class _Outlook:
    """The chart's projection and the forecast of a target."""

    state: str
    projection: list[dict[str, Any]] = field(default_factory=list)
    reached_year: int | None = None
    basis: list[str] = field(default_factory=list)
    reasons: dict[str, list[str]] = field(default_factory=dict)
    undated: list[str] = field(default_factory=list)


def _outlook(rows: list[dict[str, Any]], tgt: _Target, measured: bool) -> _Outlook:
    if not tgt.how.tracked:
        return _Outlook(state="untracked")
    if not measured:
        return _Outlook(state="unmeasured")
    if tgt.how.counts_places:
        return _place_outlook(tgt)
    pursued_rows = [r for r in rows if r["status"] in tgt.pursued]
    # the chart: sites placed in a year only by dates people gave (never today's date), the rest
    # in the bar of unknown year; the baseline of upgraded facilities in every year before theirs
    reached_year, state, basis, reasons = forecast_outlook(pursued_rows, tgt.how, tgt.value)
    return _Outlook(
        state=state,
        projection=projection(pursued_rows, tgt.how, tgt.how.pursued, tgt.year),
        reached_year=reached_year,
        basis=basis,
        reasons=reasons,
        undated=[r["site_id"] for r in pursued_rows if r["year"] is None],
    )


def _reached_by(outlook: _Outlook, target_year: int | None) -> bool | None:
    if outlook.reached_year is not None and target_year is not None:
        return outlook.reached_year <= target_year
    return False if outlook.state == "not_reachable" else None


def _by_mode(sites: pd.DataFrame, tgt: _Target) -> dict[str, dict[str, float | int]]:
    """A wet-waste capacity target's capacity by status, split by mode (centralised, on site)."""
    if tgt.row.get("category") != "wet_waste" or not tgt.how.reads_capacity:
        return {}
    everything = matching_sites(sites, tgt.row, "all")
    by_mode: dict[str, dict[str, float | int]] = {}
    for mode in ("centralised", "on_site"):
        part = everything[everything["wet_waste_mode"] == mode]
        caps = [{"status": s["status"], "capacity": site_capacity(s)} for s in part.to_dict("records")]
        by_mode[mode] = {s: plain_number(tgt.how.total([c for c in caps if c["status"] == s])) for s in STATUSES}
    return by_mode


def target_progress(
    target: Mapping[str, Any],
    sites: pd.DataFrame,
    counts_toward: str,
    today: dt.date,
    confirmation_months: int = DEFAULT_CONFIRMATION_MONTHS,
) -> TargetProgress:
    """One target against ``sites``: the named steps above, put together."""
    tgt = _read_target(target, counts_toward)
    matched, rows = _site_rows(sites, tgt, today, confirmation_months)
    measured = tgt.how.measured(rows)
    if tgt.how.counts_places:  # counted by the catalog (places.measures.attach_place_counts)
        measured = "place_counts" in target
    totals = _totals(rows, tgt, measured)
    outlook = _outlook(rows, tgt, measured)
    overdue = (tgt.how.tracked and measured and tgt.year is not None and tgt.year < today.year
               and totals.state != "met")
    stale = stale_flags(matched, today, confirmation_months) if len(matched) else pd.Series([], dtype=bool)
    return TargetProgress(
        achieved_lower_bound=bool(totals.achieved_unknown),
        registered_lower_bound=bool(totals.unknown),
        stale_sites=[str(sid) for sid, old in zip(matched.get("site_id", []), stale.tolist(), strict=False) if old],
        id=str(target.get("target_id")),
        level=text_of(target.get("level")) or "district",
        town_code=code_of(target.get("town_code")),
        category=text_of(target.get("category")) or "",
        wet_waste_mode=text_of(target.get("wet_waste_mode")),
        measure=tgt.measure,
        target=None if tgt.value is None else plain_number(tgt.value),
        unit=text_of(target.get("unit")) or "",
        target_year=tgt.year,
        description_zh=text_of(target.get("description_zh")) or "",
        description_en=text_of(target.get("description_en")) or "",
        source_ref=text_of(target.get("source_ref")) or "",
        note=text_of(target.get("note")) or "",
        counts_toward=tgt.counted,
        target_status=tgt.state,
        by_status=totals.by_status,
        achieved=totals.achieved,
        registered=totals.registered,
        gap=totals.gap,
        share=totals.share,
        registered_gap=totals.registered_gap,
        registered_share=totals.registered_share,
        unknown_capacity_sites={"count": len(totals.unknown), "ids": totals.unknown},
        achieved_unknown_sites=totals.achieved_unknown,
        existing_capacity=totals.existing.to_dict(),
        measured=measured,
        sites=[r["site_id"] for r in rows],
        site_rows=[{k: v for k, v in r.items() if k not in _HIDDEN} for r in rows],
        projection=outlook.projection,
        reached_year=outlook.reached_year,
        forecast_state=outlook.state,
        forecast_basis=outlook.basis,
        forecast_reasons={sid: sorted(set(v)) for sid, v in outlook.reasons.items()},
        reached_by_target_year=_reached_by(outlook, tgt.year),
        undated_sites=outlook.undated,
        overdue=overdue,
        overdue_sites=[r["site_id"] for r in rows if r["overdue"]],
        state=totals.state,
        by_mode=_by_mode(sites, tgt),
        places=list(target.get("place_counts", {}).get("ids", [])),
        places_counted=list(target.get("place_counts", {}).get("achieved_ids", [])),
    )


# --------------------------------------------------------------------------- issue 24: place counts
# A place_count target (C.2) counts places, not sites: the catalog attaches the count to the target
# row (``place_counts``, from wufei_geo.places.measures); these two turn it into totals and outlook.
def _place_totals(tgt: _Target) -> _Totals:
    counts = tgt.row["place_counts"]
    achieved, registered, goal = counts["achieved"], counts["registered"], tgt.value
    state = "met" if goal is not None and achieved >= goal else "in_progress" if registered else "not_started"
    out = _Totals(state=state, achieved=achieved, registered=registered, by_status=dict(counts["by_status"]))
    if goal:
        out.gap, out.registered_gap = plain_number(max(goal - achieved, 0.0)), plain_number(max(goal - registered, 0.0))
        out.share, out.registered_share = round(achieved / goal, 6), round(registered / goal, 6)
    return out


def _place_outlook(tgt: _Target) -> _Outlook:
    counts, goal = tgt.row["place_counts"], tgt.value
    if goal is not None and counts["achieved"] >= goal:
        return _Outlook(state="reached")
    if goal is not None and counts["registered"] < goal:
        return _Outlook(state="not_reachable")
    return _Outlook(state="cannot_tell")


# --------------------------------------------------------------------------- the district report
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
        target_progress(tgt, sites, counts_toward, today, confirmation_months)
        for tgt in targets_list(targets)
        if (text_of(tgt.get("level")) or "district") == "district"
    ]


def wet_waste_progress(report: Sequence[TargetProgress]) -> TargetProgress | None:
    """The headline target: the district's wet-waste treatment capacity (600 t/d)."""
    for item in report:
        if item.category == "wet_waste" and site_measure(item.measure).reads_capacity and item.level == "district":
            return item
    return None

