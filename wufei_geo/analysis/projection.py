"""The chart's projection of a target: the amount in each year from the plan's start to the later of
the target year and the latest expected date, and one more bar for what has no year yet.

Each point is a dict (``TargetProgress.projection``, the ``capacity --json`` field, the chart):

* ``year`` — the year, or None for the bar of amounts whose year is unknown (``undated``: True);
* ``cumulative`` — the known total of that bar (for a year: everything there by its end; for the
  undated bar: what the undated projects add);
* ``by_status`` — the stack by status of the sites placed there; ``existing`` — the part that
  upgraded facilities bring before their project is finished (their baseline, in every year they
  existed: from the plan's start until the project's year);
* ``lower_bound`` — True when some part is unknown (``unknown_sites`` names them): the total is then
  "at least", never a confident figure, and a view writes it so (≥ … or 未知).

A site is placed in a year only by dates people gave (see :mod:`wufei_geo.analysis.forecast`)."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from wufei_geo.analysis.measures import AnySiteMeasure, SiteMeasure, VillageMeasure

PLAN_START = 2021  # the plan covers 2021–2025 (青府发〔2022〕53号)


def projection_years(rows: Iterable[dict[str, Any]], target_year: int | None) -> tuple[int, ...]:
    """From the plan's start to the later of the target year and the latest year a site is placed
    in or expected in."""
    last = target_year or PLAN_START
    for r in rows:
        for year in (r.get("year"), r.get("expected_year")):
            if year is not None:
                last = max(last, int(year))
    return tuple(range(PLAN_START, max(last, PLAN_START) + 1))


def _amounts(rows: Sequence[dict[str, Any]], how: SiteMeasure, statuses: Sequence[str],
             minus_existing: bool) -> tuple[float, dict[str, float], list[str]]:
    """(known total, known total by status, sites of unknown amount) of ``rows``."""
    by_status = {s: 0.0 for s in statuses}
    unknown: list[str] = []
    if isinstance(how, VillageMeasure):  # distinct villages: rows do not simply add up
        for s in statuses:
            by_status[s] = how.total([r for r in rows if r["status"] == s])
        return how.total(list(rows)), by_status, unknown
    for r in rows:
        if how.reads_capacity:
            amount = r["capacity"]
            if minus_existing and r.get("existing") is not None:
                has, base = r["existing"]
                if has:
                    amount = None if (amount is None or base is None) else max(amount - base, 0.0)
        else:
            amount = 1.0
        if amount is None:
            unknown.append(r["site_id"])
            continue
        if r["status"] in by_status:
            by_status[r["status"]] += amount
    total = sum(by_status.values())
    if isinstance(how, AnySiteMeasure):
        total = how.total(list(rows))
    return total, by_status, unknown


def _existing(rows: Sequence[dict[str, Any]], year: int) -> tuple[float, list[str]]:
    """What upgraded facilities bring in ``year`` before their project is there (their baseline)."""
    value, unknown = 0.0, []
    for r in rows:
        has, base = r.get("existing") or (False, None)
        if not has or (r["year"] is not None and r["year"] <= year):
            continue
        if base is None:
            unknown.append(r["site_id"])
        else:
            value += base
    return value, unknown


def projection(rows: Sequence[dict[str, Any]], how: SiteMeasure, statuses: Sequence[str],
               target_year: int | None) -> list[dict[str, Any]]:
    """The points of the chart (see the module docstring) for the pursued ``rows`` of a target
    measured by ``how`` (its record says how rows add up, e.g. distinct villages)."""
    from wufei_geo.analysis.values import plain_number

    points = []
    for year in projection_years(rows, target_year):
        upto = [r for r in rows if r["year"] is not None and r["year"] <= year]
        total, by_status, unknown = _amounts(upto, how, statuses, minus_existing=False)
        existing, ex_unknown = _existing(rows, year) if how.reads_capacity else (0.0, [])
        points.append({
            "year": year, "undated": False,
            "cumulative": plain_number(total + existing),
            "by_status": {s: plain_number(v) for s, v in by_status.items()},
            # unknown stays unknown: None when the baseline of every upgraded facility is unknown
            "existing": None if ex_unknown and not existing else plain_number(existing),
            "lower_bound": bool(unknown or ex_unknown),
            "unknown_sites": sorted(set(unknown) | set(ex_unknown)),
        })
    undated = [r for r in rows if r["year"] is None]
    total, by_status, unknown = _amounts(undated, how, statuses, minus_existing=True)
    points.append({
        "year": None, "undated": True,
        "cumulative": plain_number(total),
        "by_status": {s: plain_number(v) for s, v in by_status.items()},
        "existing": 0,
        "lower_bound": bool(unknown),
        "unknown_sites": sorted(set(unknown)),
    })
    return points
