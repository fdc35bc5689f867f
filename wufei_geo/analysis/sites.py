"""Which sites count, and for how much: the capacity of a site (operating, after the plan's
projects, the facility an upgrade replaces), the sites that count toward a target, the
statuses of a target, the catalog's overdue rule."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import pandas as pd

from wufei_geo.analysis.measures import site_measure
from wufei_geo.analysis.values import code_of, codes_of, float_of, ids_of, is_unknown, text_of
from wufei_geo.model import COUNTS_TOWARD

# Statuses before the target state: the project is not finished (an existing facility still runs as before).
_NOT_YET: frozenset[str] = frozenset({"planned", "under_construction", "commissioning"})
# Statuses of work under way (beyond "planned") for the in_progress state.
UNDER_WAY = frozenset({"under_construction", "commissioning", "operating", "decommissioned"})


def pursued_statuses(measure: str) -> tuple[str, ...]:
    """The statuses of a site on its way to the measure's target state (the record's)."""
    return site_measure(measure).pursued


def site_capacity(row: Mapping[str, Any]) -> float | None:
    """Normalised capacity of a site: the capacity in operation when an official set it on an
    operating site, else the plan's capacity; None when unknown (never 0)."""
    if row.get("status") == "operating":
        operating = float_of(row.get("operating_capacity_norm"))
        if operating is not None:
            return operating
    return float_of(row.get("capacity_norm"))


def baseline_capacity(row: Mapping[str, Any]) -> tuple[bool, float | None]:
    """(counts, capacity) of the facility a site's project upgrades, toward *operating today*:
    counts while the project is not finished (planned, under construction, commissioning) and
    the site is an existing facility; capacity None = unknown."""
    existing = row.get("existing_facility")
    if is_unknown(existing) or not bool(existing) or row.get("status") not in _NOT_YET:
        return False, None
    return True, float_of(row.get("baseline_capacity_norm"))


def operating_today_capacity(row: Mapping[str, Any]) -> tuple[bool, float | None]:
    """(counts, capacity) of a site toward *operating today*: an operating site at its capacity
    (:func:`site_capacity`), an unfinished upgrade of an existing facility at its baseline."""
    if row.get("status") == "operating":
        return True, site_capacity(row)
    return baseline_capacity(row)


def overdue_flags(sites: pd.DataFrame, today: dt.date | None = None) -> pd.Series:
    """The catalog's overdue rule (target year over, target state not reached), for ``today``."""
    from wufei_geo.freshness import overdue_mask

    if sites.empty:
        return pd.Series([], dtype=bool, index=sites.index)
    return overdue_mask(sites, today)


# --------------------------------------------------------------------------- selection
def live_sites(sites: pd.DataFrame) -> pd.DataFrame:
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
    sites = live_sites(sites)
    mask = sites["category"] == target.get("category")
    mode = text_of(target.get("wet_waste_mode"))
    if mode:
        mask &= sites["wet_waste_mode"] == mode
    elif (
        target.get("category") == "wet_waste"
        and site_measure(str(target.get("measure"))).reads_capacity
        and counts_toward != "all"
    ):
        mask &= sites["wet_waste_mode"] == counts_toward
    projects = ids_of(target.get("project_ids"))
    if projects:
        mask &= sites["project_id"].isin(projects)
    if text_of(target.get("level")) == "town":
        town = code_of(target.get("town_code"))
        if site_measure(str(target.get("measure"))).town_by_served:
            mask &= sites["served_towns"].map(lambda v: town in [code_of(x) for x in ids_of(v)])
        else:
            mask &= codes_of(sites["town_code"]) == (town or "")
    return sites[mask.fillna(False).astype(bool)]


def served_villages(value: Any) -> list[str] | None:
    """The ``served_villages`` of a site as a list (None = not filled in)."""
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    if is_unknown(value):
        return None
    try:
        data = json.loads(str(value))
    except ValueError:
        return [part.strip() for part in str(value).split(";") if part.strip()]
    return [str(v) for v in data] if isinstance(data, list) else None

