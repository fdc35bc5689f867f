"""Plausibility where a site has nothing of its own to compare with (two soft rules of
:mod:`wufei_geo.site_rules`' list, kept here because they need the plan's data and the district's
totals, which the field-level validator does not read):

* ``capacity_above_bound`` — a site with no design capacity and no previous operating capacity
  (the six market sites of E.13, E.39 …) gets an operating capacity above the largest facility of
  its category and mode in the plan (``facilities/capacities.csv``: wet waste on site 80 t/d,
  附表3 E.12 嵩山村及西郊国际农产品批发市场; centralised 600 t/d, E.11 …).  Categories the plan
  gives no capacity for have no bound (nothing cited to compare with).
* ``headline_share`` — an edit that moves the district's *operating today* capacity of its
  category (the headline "今日运行 … 吨/日") by more than :data:`HEADLINE_SHARE` of the larger of that
  headline and the plan's district goal, made by a town official (form, CLI or bulk import): it
  becomes 待核实 when insisted on, and takes effect when a planner confirms it.  A planner's or
  administrator's own edit is that confirmation (documented decision: the plan's own milestones —
  E.11's 600 t/d, E.21's 500,000 t/yr going into operation — move a headline by 100 %, and the
  people who decide on 待核实 need not confirm themselves); their typos are still caught by
  ``capacity_above_bound`` / ``capacity_above_design`` / ``capacity_jump``.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from wufei_geo.analysis.sites import operating_today_capacity
from wufei_geo.model import NORM_UNIT
from wufei_geo.site_rules import Violation, design_norm

# An edit may move a district headline by at most this share of max(headline, goal) without a
# planner's confirmation (the market-site typo moved 305 → 5,305 t/d against a 600 t/d goal).
HEADLINE_SHARE = 0.5

# The site columns the headline needs (a store reads only these for the category's sites).
HEADLINE_COLUMNS = ("site_id", "status", "operating_capacity_norm", "capacity_norm", "existing_facility",
                    "baseline_capacity_norm")


@dataclass(frozen=True)
class Bound:
    """The largest capacity of one category (and wet-waste mode) in the plan, with its source."""

    category: str
    mode: str | None
    value: float
    unit: str
    site_id: str
    source_ref: str


@functools.lru_cache(maxsize=1)
def category_bounds() -> dict[tuple[str, str | None], Bound]:
    """``(category, wet_waste_mode or None) → Bound`` from the seed's capacity components; a
    category's ``(category, None)`` entry is its largest over every mode."""
    from wufei_geo.facilities import load_seed_sites

    out: dict[tuple[str, str | None], Bound] = {}
    for rec in load_seed_sites(check=False):
        category, unit = rec["category"], NORM_UNIT.get(str(rec["category"]))
        for comp in rec.get("capacity_components") or []:
            if comp.get("norm") is None or comp.get("norm_unit") != unit:
                continue
            value = float(comp["norm"])
            keys = {(category, None)} | ({(category, rec.get("wet_waste_mode"))} if rec.get("wet_waste_mode") else set())
            for key in keys:
                if key not in out or value > out[key].value:
                    out[key] = Bound(category, key[1], value, str(unit), rec["site_id"],
                                     str(comp.get("source_ref") or rec.get("source_ref") or ""))
    return out


def bound_for(site: Mapping[str, Any]) -> Bound | None:
    bounds = category_bounds()
    category = str(site.get("category"))
    return bounds.get((category, site.get("wet_waste_mode"))) or bounds.get((category, None))


def _previous(site: Mapping[str, Any]) -> float | None:
    try:
        old = float(site.get("operating_capacity_norm"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return old if old > 0 else None


def capacity_above_bound(site: Mapping[str, Any], norm: float | None) -> Violation | None:
    """Rule ``capacity_above_bound`` (see the module docstring)."""
    if norm is None or design_norm(site) is not None or _previous(site) is not None:
        return None  # capacity_above_design / capacity_jump compare with the site's own figures
    bound = bound_for(site)
    if bound is None or norm <= bound.value * (1 + 1e-9):
        return None
    return Violation("capacity_above_bound", {"field": "operating_capacity_value", "value": norm, "bound": bound.value,
                                              "unit": bound.unit, "bound_site": bound.site_id,
                                              "source_ref": bound.source_ref})


@functools.lru_cache(maxsize=1)
def _district_goals() -> dict[str, float]:
    from wufei_geo.facilities import load_targets

    return {t["category"]: float(t["target_value"]) for t in load_targets()
            if t["level"] == "district" and t["measure"] == "capacity" and not t.get("wet_waste_mode")}


def _today(row: Mapping[str, Any]) -> float:
    counts, value = operating_today_capacity(row)
    return float(value) if counts and value is not None else 0.0


def headline_share(site: Mapping[str, Any], changed: Mapping[str, Any],
                   category_sites: Iterable[Mapping[str, Any]]) -> Violation | None:
    """Rule ``headline_share``: ``category_sites`` are the live sites of the site's category as
    stored (the site among them), ``changed`` the edit's new column values."""
    if not {"status", "operating_capacity_norm", "baseline_capacity_norm"} & set(changed):
        return None
    before_total = sum(_today(r) for r in category_sites)
    delta = _today({**site, **changed}) - _today(site)
    goal = _district_goals().get(str(site.get("category")))
    reference = max(before_total, goal or 0.0)
    if reference <= 0 or abs(delta) <= HEADLINE_SHARE * reference:
        return None
    unit = NORM_UNIT.get(str(site.get("category")), "")
    after_total = before_total + delta
    share = round(100 * abs(delta) / reference, 1)
    limit = round(100 * HEADLINE_SHARE)
    field = "operating_capacity_value" if "operating_capacity_norm" in changed else "status"
    return Violation("headline_share", {"field": field, "before": before_total, "after": after_total, "unit": unit,
                                        "share": share, "limit": limit, "reference": reference})
