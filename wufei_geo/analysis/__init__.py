"""Every number of "is Qingpu on track?": capacity and counts against the plan's targets,
and the town scorecards.

The pages, the CLI and the exports only present what this package computes, so the same
question always gets the same number.  One module per responsibility:

* ``values`` — reading codes, numbers, years and dates of site/target rows; rounding sums;
* ``quantities`` — :class:`Quantity` and THE formatters (:func:`fmt_quantity`, :func:`fmt_number`,
  :func:`fmt_share`);
* ``sites`` — a site's capacity (operating, after the projects, the baseline of an upgrade), the
  sites that count toward a target, the overdue rule;
* ``forecast`` — the placement of a site in time and the year a target is reached;
* ``projection`` — the chart's amounts per year (to the latest expected date) and of unknown year;
* ``answer`` — the sites that block the answer, what they lack and who can supply it;
* ``progress`` — one target against the sites (:class:`TargetProgress`, in named steps) and the
  district report (:func:`capacity_report`, :func:`wet_waste_progress`);
* ``generation`` — the INDICATIVE wet-waste generation estimate;
* ``figures`` — every per-town figure (:func:`town_figures`, :func:`fmt_measure`);
* ``shading`` — class breaks, labels and colours of a town shading (:func:`town_shading`);
* ``scorecards`` — the town scorecards (:func:`town_scorecards`, :func:`report_figures`).

The public API is this package's: ``from wufei_geo import analysis; analysis.<name>``.

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
* The forecast (``forecast.forecast_outlook``) places each pursued site in a year only from dates people
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

from wufei_geo.analysis.answer import MISSING_KINDS, Blocker, blockers, missing_counts
from wufei_geo.analysis.figures import (
    MAP_MEASURES,
    MEASURE_UNITS,
    TownFigures,
    fmt_measure,
    measure_unit_text,
    town_figures,
    town_measures,
)
from wufei_geo.analysis.generation import (
    INDICATIVE_CAVEAT_EN,
    INDICATIVE_CAVEAT_ZH,
    GenerationEstimate,
    generation_estimate,
    indicative_caveat,
)
from wufei_geo.analysis.progress import (
    STATES,
    YEARS,
    TargetProgress,
    capacity_report,
    wet_waste_progress,
)
from wufei_geo.analysis.quantities import Quantity, fmt_number, fmt_quantity, fmt_share, quantity
from wufei_geo.analysis.scorecards import TownScorecard, report_figures, town_scorecards
from wufei_geo.analysis.shading import ChoroplethScale, choropleth_scale, nice_breaks, town_shading
from wufei_geo.analysis.sites import (
    baseline_capacity,
    matching_sites,
    operating_today_capacity,
    overdue_flags,
    served_villages,
    site_capacity,
)
from wufei_geo.freshness import (  # the staleness rule (issue 12; the catalog uses it too)
    DEFAULT_CONFIRMATION_MONTHS,
    freshness,
    stale_flags,
    status_confirmed,
)
from wufei_geo.model import COUNTS_TOWARD, TOWN_MEASURES

__all__ = [
    "MISSING_KINDS", "Blocker", "blockers", "missing_counts",
    "COUNTS_TOWARD", "DEFAULT_CONFIRMATION_MONTHS", "INDICATIVE_CAVEAT_EN",
    "INDICATIVE_CAVEAT_ZH", "MAP_MEASURES", "MEASURE_UNITS", "STATES", "TOWN_MEASURES", "YEARS", "ChoroplethScale",
    "GenerationEstimate", "Quantity", "TargetProgress", "TownFigures", "TownScorecard", "baseline_capacity",
    "capacity_report", "choropleth_scale", "fmt_measure", "fmt_number", "fmt_quantity", "fmt_share", "freshness",
    "generation_estimate", "indicative_caveat", "matching_sites", "measure_unit_text", "nice_breaks", "operating_today_capacity",
    "overdue_flags", "quantity", "report_figures", "served_villages", "site_capacity", "stale_flags",
    "status_confirmed", "town_figures", "town_measures", "town_scorecards", "town_shading", "wet_waste_progress",
]
