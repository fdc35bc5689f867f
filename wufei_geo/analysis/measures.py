"""How a facility target counts its sites: one record per measure of ``targets.csv``.

A measure is a record, not a string (docs/design/register.md).  Each record owns everything the
analysis needs to know about it — the status a site must reach, how site rows add up (in total,
by status, in the forecast), which of a site's values it reads and when it is measured at all —
so :mod:`~wufei_geo.analysis.progress`, :mod:`~wufei_geo.analysis.forecast` and
:mod:`~wufei_geo.analysis.sites` ask the record instead of comparing names.  Adding a measure is
adding a record to :data:`SITE_MEASURES` (and its name to ``model.MEASURES``).

A *row* is a matching site as a target sees it (``progress._site_row``): ``capacity``,
``village_key``, ``village_keys`` (None = not filled in), ``status``, ``site_id`` …  A forecast
*part* is ``{e, l, amount, keys, fact}`` (``forecast._forecast_parts``).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wufei_geo.analysis.quantities import Quantity, quantity
from wufei_geo.analysis.values import plain_number
from wufei_geo.model import MEASURES, STATUSES

Row = dict[str, Any]

# A village counted once at its most advanced status.
_VILLAGE_RANK = {s: i for i, s in enumerate(("cancelled", "suspended", "planned", "under_construction",
                                             "commissioning", "operating", "decommissioned"))}


@dataclass(frozen=True)
class SiteMeasure:
    """A measure that counts sites: each matching row is one (``site_count``, ``closure_count``)."""

    name: str
    target_status: str = "operating"
    # this measure's rows have a capacity / a baseline (the wet-waste mode split applies)
    reads_capacity: bool = False
    # False: no sites in this tool (``untracked``: the target is shown as not tracked here)
    tracked: bool = True
    # a town target matches the sites that serve the town (``served_towns``), not the sites in it
    town_by_served: bool = False
    # counts places, not sites (C.2 零浪费街区): the catalog attaches the count to the target row
    # (``place_counts``, wufei_geo.places.measures.attach_place_counts)
    counts_places: bool = False

    @property
    def reads_served_villages(self) -> bool:
        """The rows need the sites' ``served_villages``."""
        return False

    @property
    def pursued(self) -> tuple[str, ...]:
        """The statuses of a site on its way to (or in) the target state."""
        return ("planned", "under_construction", "commissioning", self.target_status)

    def total(self, rows: Sequence[Row]) -> float:
        """What ``rows`` add up to."""
        return float(len(rows))

    def by_status(self, rows: Sequence[Row]) -> dict[str, float | int]:
        return {s: plain_number(self.total([r for r in rows if r["status"] == s])) for s in STATUSES}

    def measured(self, rows: Sequence[Row]) -> bool:
        """Whether the rows tell anything at all (False: 未测量)."""
        return True

    def quantities(self, rows: Sequence[Row], achieved: Sequence[Row], pursued: Sequence[Row]) -> tuple[Quantity, Quantity, Quantity]:
        """(achieved today, registered after the projects, the existing facilities' part of today)."""
        return Quantity(plain_number(self.total(achieved))), Quantity(plain_number(self.total(pursued))), Quantity(0)

    def forecast_part(self, r: Row, reasons: dict[str, list[str]]) -> list[dict[str, Any]]:
        """The forecast's parts of one row (and why it is uncertain, into ``reasons``)."""
        return [{"e": r["earliest"], "l": r["latest"], "amount": 1.0, "keys": None, "fact": r["fact"]}]

    def forecast_total(self, parts: Sequence[dict[str, Any]]) -> float:
        return float(sum(p["amount"] for p in parts if p["amount"] is not None))


@dataclass(frozen=True)
class CapacityMeasure(SiteMeasure):
    """The sum of the sites' normalised capacity; an existing facility is there at its baseline."""

    reads_capacity: bool = True

    def total(self, rows: Sequence[Row]) -> float:
        return float(sum(r["capacity"] for r in rows if r["capacity"] is not None))

    def quantities(self, rows: Sequence[Row], achieved: Sequence[Row], pursued: Sequence[Row]) -> tuple[Quantity, Quantity, Quantity]:
        today_q = quantity((r["site_id"], r["today"][1]) for r in rows if r["today"][0])
        existing = quantity((r["site_id"], r["baseline"][1]) for r in rows if r["baseline"] is not None)
        return today_q, quantity((r["site_id"], r["capacity"]) for r in pursued), existing

    def forecast_part(self, r: Row, reasons: dict[str, list[str]]) -> list[dict[str, Any]]:
        parts = []
        amount = r["capacity"]
        base = r.get("baseline")
        if base is not None:  # an existing facility: there already, at its baseline
            _, cap = base
            parts.append({"e": -math.inf, "l": -math.inf, "amount": cap, "keys": None, "fact": True})
            if cap is None:
                reasons.setdefault(r["site_id"], []).append("unknown_existing_capacity")
            elif amount is not None:
                amount = max(amount - cap, 0.0)
        if amount is None:
            reasons.setdefault(r["site_id"], []).append("unknown_capacity")
        parts.append({"e": r["earliest"], "l": r["latest"], "amount": amount, "keys": None, "fact": r["fact"]})
        return parts


@dataclass(frozen=True)
class AnySiteMeasure(SiteMeasure):
    """1 when any site matches (``served``: a town served by a transfer station)."""

    def total(self, rows: Sequence[Row]) -> float:
        return 1.0 if rows else 0.0

    def forecast_total(self, parts: Sequence[dict[str, Any]]) -> float:
        return 1.0 if parts else 0.0


@dataclass(frozen=True)
class VillageMeasure(SiteMeasure):
    """Distinct villages: the village a site is in (``village_count``) or, with ``served``, the
    villages listed in its ``served_villages`` (``served_village_count``; 未测量 until a site lists them)."""

    served: bool = False

    @property
    def reads_served_villages(self) -> bool:
        return self.served

    def keys(self, r: Row) -> list[str] | None:
        if self.served:
            return r["village_keys"]
        return [r["village_key"]] if r["village_key"] else []

    def total(self, rows: Sequence[Row]) -> float:
        return float(len({k for r in rows for k in (self.keys(r) or []) if k}))

    def by_status(self, rows: Sequence[Row]) -> dict[str, float | int]:
        best: dict[str, str] = {}
        for r in rows:
            for key in self.keys(r) or []:
                if key and (key not in best or _VILLAGE_RANK[r["status"]] > _VILLAGE_RANK[best[key]]):
                    best[key] = r["status"]
        return {s: sum(1 for v in best.values() if v == s) for s in STATUSES}

    def measured(self, rows: Sequence[Row]) -> bool:
        return not self.served or any(r["village_keys"] is not None for r in rows)

    def _villages(self, selected: Sequence[Row]) -> Quantity:
        if not self.served:
            return Quantity(plain_number(self.total(selected)))
        unknown_ids = tuple(r["site_id"] for r in selected if r["village_keys"] is None)
        known = [r for r in selected if r["village_keys"] is not None]
        if unknown_ids and not known:
            return Quantity(None, unknown_ids)
        return Quantity(plain_number(self.total(known)), unknown_ids)

    def quantities(self, rows: Sequence[Row], achieved: Sequence[Row], pursued: Sequence[Row]) -> tuple[Quantity, Quantity, Quantity]:
        return self._villages(achieved), self._villages(pursued), Quantity(0)

    def forecast_part(self, r: Row, reasons: dict[str, list[str]]) -> list[dict[str, Any]]:
        keys = self.keys(r)
        if keys is None:
            reasons.setdefault(r["site_id"], []).append("no_served_villages")
        return [{"e": r["earliest"], "l": r["latest"], "amount": None if keys is None else 0.0,
                 "keys": keys, "fact": r["fact"]}]

    def forecast_total(self, parts: Sequence[dict[str, Any]]) -> float:
        return float(len({k for p in parts if p["keys"] for k in p["keys"]}))


SITE_MEASURES: dict[str, SiteMeasure] = {
    m.name: m
    for m in (
        CapacityMeasure("capacity"),
        SiteMeasure("site_count"),
        SiteMeasure("closure_count", target_status="decommissioned"),
        VillageMeasure("village_count"),
        AnySiteMeasure("served", town_by_served=True),
        SiteMeasure("untracked", tracked=False),
        VillageMeasure("served_village_count", served=True),
        SiteMeasure("place_count", counts_places=True),
    )
}
assert tuple(SITE_MEASURES) == MEASURES, "model.MEASURES and SITE_MEASURES must name the same measures"


def site_measure(name: str) -> SiteMeasure:
    """The record of a measure name of ``targets.csv`` (ValueError for an unknown name)."""
    try:
        return SITE_MEASURES[name]
    except KeyError:
        raise ValueError(f"unknown measure {name!r}") from None
