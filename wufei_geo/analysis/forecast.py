"""The forecast: in which year each pursued site reaches the target state (only from dates people
gave), and the year a target is reached when these uncertainties cannot change it."""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from wufei_geo.analysis.values import date_end, year_of
from wufei_geo.freshness import status_confirmed

if TYPE_CHECKING:
    from wufei_geo.analysis.measures import SiteMeasure


def placement(row: Mapping[str, Any], target_state: str, today: dt.date, months: int) -> tuple[float, float, list[str]]:
    """(earliest, latest) year a pursued site reaches the target state, and why it is uncertain.

    In the target state: by its commissioning year (a fact), else by the year of its status date
    (it was there then; it may have been earlier).  Not yet there: its expected year, when the
    status is recently confirmed and the expected date has not passed; otherwise any year from
    this one on, or never (latest = inf)."""
    inf = math.inf
    if row["status"] == target_state:
        year = year_of(row.get("commissioned")) if target_state == "operating" else None
        if year is not None:
            return year, year, []
        year = year_of(row.get("status_as_of"))
        return (-inf, year, []) if year is not None else (-inf, inf, ["no_date"])
    reasons = []
    if not status_confirmed(row, today, months):
        reasons.append("status_unconfirmed")
    expected = date_end(row.get("expected_commissioning"))
    if expected is None:
        reasons.append("no_expected_date")
    elif expected < today:
        reasons.append("expected_date_passed")
    if reasons:
        return today.year, inf, reasons
    assert expected is not None
    return expected.year, expected.year, []


def _forecast_parts(rows: list[dict[str, Any]], how: SiteMeasure) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """The parts of a forecast (earliest year ``e``, latest year ``l``, ``amount``: None = unknown,
    village ``keys``, ``fact``: in the target state) and why each site is uncertain."""
    reasons: dict[str, list[str]] = {}
    parts: list[dict[str, Any]] = []
    for r in rows:
        if r["earliest"] is None:
            continue
        if r["reasons"]:
            reasons.setdefault(r["site_id"], []).extend(r["reasons"])
        parts.extend(how.forecast_part(r, reasons))
    return parts, reasons


def _total(selected: list[dict[str, Any]], how: SiteMeasure, upper: bool) -> float:
    """What ``selected`` parts add up to (``upper``: a part of unknown amount may bring anything)."""
    if upper and any(p["amount"] is None for p in selected):
        return math.inf
    return how.forecast_total(selected)


def forecast_outlook(
    rows: list[dict[str, Any]], how: SiteMeasure, target_value: float | None
) -> tuple[int | None, str, list[str], dict[str, list[str]]]:
    """(reached_year, forecast_state, forecast_basis, reasons per site) — see the package docstring.

    Each part has an earliest and a latest year and an amount (None = unknown, any amount).
    L(y) counts the parts certainly there by y, U(y) the parts possibly there (infinite when a
    part of unknown amount may be).  The target is reached in Y when L(Y) ≥ target and
    U(Y - 1) < target; never with the registered sites when U(∞) < target."""
    parts, reasons = _forecast_parts(rows, how)

    def lower(y: float) -> float:
        return _total([p for p in parts if p["l"] <= y], how, False)

    def upper(y: float) -> float:
        return _total([p for p in parts if p["e"] <= y], how, True)

    basis = [sid for sid in dict.fromkeys(r["site_id"] for r in rows) if sid in reasons]
    if target_value is None:
        return None, "cannot_tell", basis, reasons
    years = sorted({p["l"] for p in parts if math.isfinite(p["l"])})
    for y in years:
        if lower(y) >= target_value:
            if upper(y - 1) < target_value:
                # reached: the sites in the target state alone get there; expected: expected dates do
                facts = _total([p for p in parts if p["fact"] and p["l"] <= y], how, False)
                state = "reached" if facts >= target_value else "expected"
                return int(y), state, [], reasons
            return None, "cannot_tell", basis, reasons
    if upper(math.inf) < target_value:
        return None, "not_reachable", [], reasons
    return None, "cannot_tell", basis, reasons
