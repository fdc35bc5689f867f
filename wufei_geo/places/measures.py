"""The counts of places that targets and indicators read (pure: frames in, numbers out).

* :func:`count_places` — THE count: places of some types (and a town), by status; ``achieved`` =
  the planner-approved ones (已建成 / 已命名: ``COUNTED_STATUSES``), ``registered`` = every place
  still pursued (not withdrawn), the ids behind each.
* :func:`place_target_counts` — the measure ``place_count`` of ``facilities/targets.csv`` (C.2: two
  已建成 零浪费街区 per town): the target row names the place type in ``category``.  Kept apart so
  the register's measure records can take it over as one measure.
* :func:`cells_by_type_and_town` (附表1 #38) and :func:`water_towns` (#43) for the register.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd

from wufei_geo.places.vocab import CELL_TYPES, COUNTED_STATUSES, PLACE_STATUSES

PLACE_MEASURE = "place_count"


def _live(places: pd.DataFrame | None) -> pd.DataFrame:
    if places is None or not len(places):
        return pd.DataFrame(columns=["place_id", "place_type", "town_code", "status", "retired"])
    if "retired" in places.columns:
        places = places[~places["retired"].fillna(False).astype(bool)]
    return places


def count_places(places: pd.DataFrame | None, types: Iterable[str], town_code: str | None = None) -> dict[str, Any]:
    """``{achieved, registered, by_status, ids, achieved_ids, pending_claims}`` of the live places of
    ``types`` (in ``town_code`` when given)."""
    live = _live(places)
    types = set(types)
    part = live[live["place_type"].isin(types)]
    if town_code is not None:
        part = part[part["town_code"].astype(str) == str(town_code)]
    statuses = part["status"].tolist()
    ids = [str(i) for i in part["place_id"]]
    achieved_ids = [i for i, s in zip(ids, statuses, strict=True) if s in COUNTED_STATUSES]
    claims = part["claim_status"].notna() if "claim_status" in part.columns else pd.Series(False, index=part.index)
    return {
        "achieved": len(achieved_ids),
        "registered": sum(1 for s in statuses if s != "withdrawn"),
        "by_status": {s.code: statuses.count(s.code) for s in PLACE_STATUSES},
        "ids": ids,
        "achieved_ids": achieved_ids,
        "pending_claims": [i for i, c in zip(ids, claims.tolist(), strict=True) if c],
    }


def place_target_counts(target: Mapping[str, Any], places: pd.DataFrame | None) -> dict[str, Any]:
    """The count behind one ``place_count`` target: its place type (``category``) in its town
    (``town_code``; none for a district target)."""
    town = target.get("town_code")
    town = None if town is None or (isinstance(town, float) and pd.isna(town)) or str(town) == "" else str(town)
    return count_places(places, [str(target.get("category") or "")], town)


def attach_place_counts(targets: Iterable[Mapping[str, Any]], places: pd.DataFrame | None) -> list[dict[str, Any]]:
    """The targets with each ``place_count`` target's count in ``place_counts`` (what
    ``analysis.progress`` reads — so the analysis stays a function of the catalog alone)."""
    out = []
    for t in targets:
        t = dict(t)
        if t.get("measure") == PLACE_MEASURE:
            t["place_counts"] = place_target_counts(t, places)
        out.append(t)
    return out


def cells_by_type_and_town(places: pd.DataFrame | None, *, counted_only: bool = True) -> pd.DataFrame:
    """附表1 #38: 无废城市细胞 per cell type and town (rows: town code, "" for none; columns: cell
    types; approved cells only unless ``counted_only=False``)."""
    live = _live(places)
    part = live[live["place_type"].isin(CELL_TYPES)]
    if counted_only:
        part = part[part["status"].isin(COUNTED_STATUSES)]
    towns = part["town_code"].fillna("").astype(str)
    table = pd.crosstab(towns, part["place_type"]) if len(part) else pd.DataFrame(index=pd.Index([], dtype=str))
    return table.reindex(columns=list(CELL_TYPES), fill_value=0).astype(int)


def water_towns(places: pd.DataFrame | None) -> dict[str, Any]:
    """附表1 #43 (建设"无废水乡镇"个数, goal 1): the approved 无废水乡镇."""
    return count_places(places, ["water_town"])


def status_on(place: Mapping[str, Any], as_of: dt.date) -> str | None:
    """The status a place had in the record at the end of ``as_of``: the last entry of its status
    log written (``at``) on or before that day (None: not yet recorded then)."""
    try:
        log = json.loads(place.get("status_log") or "[]")
    except (TypeError, ValueError):
        log = []
    day = as_of.isoformat()
    written = [e for e in log if isinstance(e, dict) and str(e.get("at") or "")[:10] <= day]
    if written:
        return str(written[-1].get("status"))
    if not log:  # a place without a log (seeded): its status from the date it states
        stated = str(place.get("status_as_of") or "")
        return str(place.get("status")) if stated and stated[:10] <= day else None
    return None


def place_counter(places: pd.DataFrame | None) -> Callable[[str, str | None, dt.date], int]:
    """The register's count of places (``register.measures.PlaceCounter``): the places of a type
    (in a town) whose status at the end of the date was an approved one (已建成 / 已命名)."""
    live = _live(places)
    records = live.to_dict("records") if len(live) else []

    def count(place_type: str, town_code: str | None, as_of: dt.date) -> int:
        return sum(1 for p in records if p.get("place_type") == place_type
                   and (town_code is None or str(p.get("town_code")) == str(town_code))
                   and status_on(p, as_of) in COUNTED_STATUSES)

    return count
