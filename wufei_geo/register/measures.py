"""How a register entry's value at a date is obtained: one record per measure kind
(docs/design/register.md → What a measure is).

* computed from sites — :class:`SiteTargetMeasure` (a facility target's measure of
  ``analysis.measures``), :class:`SiteShareMeasure` (share of sites with an attribute),
  :class:`SiteSumMeasure` (sum of a site attribute);
* counted from places — :class:`PlaceCountMeasure`, through an injected counter;
* reported — :class:`ReportedMeasure`, the latest value entered for a year up to the date.

Each record has ``kind`` and ``value(ctx, entry) -> Reading``.  ``ctx`` is the assessment's
:class:`~wufei_geo.register.assess.Context` (the sites as they were, the reported values, the
place counter, the facility targets' progress).  Adding a measure = one record here and its name
in :data:`INDICATOR_MEASURES` (or a target's measure in :func:`target_measure`)."""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from wufei_geo.register.entries import Entry

# count(place_type, town_code or None, as_of) -> the number of approved places, or None (unknown)
PlaceCounter = Callable[[str, "str | None", dt.date], "int | None"]
_place_counter: PlaceCounter | None = None


def set_place_counter(counter: PlaceCounter | None) -> None:
    """Wire the places' count in (the ``places`` branch does this at merge); None: 未测量."""
    global _place_counter
    _place_counter = counter


def place_counter() -> PlaceCounter | None:
    return _place_counter


@dataclass(frozen=True)
class Reading:
    """What a measure says at a date.  ``measured=False`` is 未测量 (``value`` None, never 0).

    ``complete=False``: ``value`` is the known part only (a lower bound); ``upper`` is the most the
    unknown parts could make it (None: no bound).  ``verdict`` is set by a measure that decides
    met / not met itself (a facility target's progress)."""

    measured: bool = False
    value: float | None = None
    text: str | None = None
    year: int | None = None
    complete: bool = True
    upper: float | None = None
    verdict: bool | None = None
    detail: dict[str, Any] = field(default_factory=dict)


class Context(Protocol):
    as_of: dt.date

    def sites(self) -> Any: ...  # the sites as they were at as_of (pandas.DataFrame)

    def values(self, entry_id: str) -> list[dict[str, Any]]: ...  # accepted, year ≤ as_of.year

    def progress(self, entry: Entry) -> Any: ...  # TargetProgress at as_of

    def count_places(self, place_type: str, town_code: str | None) -> int | None: ...


@dataclass(frozen=True)
class ReportedMeasure:
    """A value for a year, entered with its source (table ``indicator_values``)."""

    kind: str = "reported"
    name: str = "reported"

    def value(self, ctx: Context, entry: Entry) -> Reading:
        values = ctx.values(entry.id)
        if not values:
            return Reading()
        latest = max(values, key=lambda v: (v["year"], v["id"]))
        return Reading(measured=True, value=latest["value"], text=latest.get("text"), year=latest["year"],
                       detail={"value_id": latest["id"], "source": latest.get("source")})


@dataclass(frozen=True)
class SiteTargetMeasure:
    """A facility target's own measure (``analysis.measures``) on the sites as they were."""

    name: str
    kind: str = "sites"

    def value(self, ctx: Context, entry: Entry) -> Reading:
        tp = ctx.progress(entry)
        if tp.state in ("untracked", "unmeasured"):
            return Reading()
        verdict: bool | None = tp.state == "met"
        if not verdict and tp.achieved_unknown_sites:
            verdict = None  # a site of unknown capacity could still make it
        return Reading(measured=verdict is not None, value=tp.achieved, year=ctx.as_of.year,
                       complete=not tp.achieved_unknown_sites, verdict=verdict,
                       detail={"unknown_sites": list(tp.achieved_unknown_sites), "sites": list(tp.sites)})


def _yes(value: Any) -> bool | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip().lower()
    return {"yes": True, "no": False}.get(text)


@dataclass(frozen=True)
class SiteShareMeasure:
    """The share (%) of operating sites of ``categories`` whose ``attribute`` is yes; a site not
    filled in is unknown: the share is then known only between bounds."""

    attribute: str
    categories: tuple[str, ...]
    kind: str = "sites"

    @property
    def name(self) -> str:
        return f"share:{self.attribute}"

    def value(self, ctx: Context, entry: Entry) -> Reading:
        sites = ctx.sites()
        counted = sites[(sites["status"] == "operating") & sites["category"].isin(self.categories)]
        if not len(counted):
            return Reading(detail={"sites": 0})
        answers = [_yes(v) for v in counted.get(self.attribute, [None] * len(counted))]
        yes = sum(1 for a in answers if a is True)
        unknown = [sid for sid, a in zip(counted["site_id"], answers, strict=True) if a is None]
        n = len(answers)
        if len(unknown) == n:
            return Reading(detail={"sites": n, "unknown_sites": unknown})
        return Reading(measured=True, value=round(100.0 * yes / n, 4), year=ctx.as_of.year,
                       complete=not unknown, upper=round(100.0 * (yes + len(unknown)) / n, 4),
                       detail={"sites": n, "yes": yes, "unknown_sites": unknown})


@dataclass(frozen=True)
class SiteSumMeasure:
    """The sum of a site attribute over the sites not cancelled, divided by ``scale`` (元 → 亿元);
    a site not filled in makes the sum a lower bound."""

    attribute: str
    scale: float = 1.0
    kind: str = "sites"

    @property
    def name(self) -> str:
        return f"sum:{self.attribute}"

    def value(self, ctx: Context, entry: Entry) -> Reading:
        sites = ctx.sites()
        counted = sites[sites["status"] != "cancelled"]
        raw = list(counted.get(self.attribute, [None] * len(counted)))
        known = [float(v) for v in raw if v is not None and not (isinstance(v, float) and math.isnan(v))]
        unknown = [sid for sid, v in zip(counted["site_id"], raw, strict=True)
                   if v is None or (isinstance(v, float) and math.isnan(v))]
        if not known:
            return Reading(detail={"sites": len(raw), "unknown_sites": unknown})
        return Reading(measured=True, value=round(sum(known) / self.scale, 6), year=ctx.as_of.year,
                       complete=not unknown, upper=None if unknown else round(sum(known) / self.scale, 6),
                       detail={"sites": len(raw), "unknown_sites": unknown})


@dataclass(frozen=True)
class PlaceCountMeasure:
    """The number of approved places of a type (in the entry's town): the places' own count,
    injected (:func:`set_place_counter`); without one the entry is 未测量."""

    place_type: str
    kind: str = "places"
    # more types counted together (附表1 #38: every kind of 无废城市细胞); default: ``place_type`` alone
    also: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"places:{self.place_type}"

    def value(self, ctx: Context, entry: Entry) -> Reading:
        counts = [ctx.count_places(t, entry.town_code) for t in (self.place_type, *self.also)]
        if any(c is None for c in counts):
            return Reading()
        return Reading(measured=True, value=float(sum(counts)), year=ctx.as_of.year)


def _cell_types() -> tuple[str, ...]:
    from wufei_geo.places.vocab import INDICATOR_38_TYPES

    return tuple(INDICATOR_38_TYPES)  # the seven kinds #38 names (机关 … 村镇)


_CELL_TYPES = _cell_types()
Measure = ReportedMeasure | SiteTargetMeasure | SiteShareMeasure | SiteSumMeasure | PlaceCountMeasure
# the main utilisation/disposal facilities (#58; facilities/NOTES.md → reading from_sites)
MAIN_FACILITIES = ("wet_waste", "construction_waste", "sludge", "hazardous_waste", "medical_waste", "bulky_waste")
INDICATOR_MEASURES: dict[str, Measure] = {
    "reported": ReportedMeasure(),
    "online_monitoring_share": SiteShareMeasure("online_monitoring", MAIN_FACILITIES),
    "insurance_share": SiteShareMeasure("pollution_insurance", ("hazardous_waste",)),
    "investment_total": SiteSumMeasure("investment_yuan", scale=1e8),
    # counted from the approved places (wufei_geo.places): #43 无废水乡镇, #38 the 无废城市细胞 of the kinds it names
    "water_towns": PlaceCountMeasure("water_town"),
    "cells": PlaceCountMeasure(_CELL_TYPES[0], also=_CELL_TYPES[1:]),
}
# C.2 (附表2): the zero-waste blocks are places, counted per town.
PLACE_TARGETS: dict[str, str] = {"C.2": "zero_waste_block"}


def indicator_measure(name: str) -> Measure:
    try:
        return INDICATOR_MEASURES[name]
    except KeyError:
        raise ValueError(f"unknown indicator measure {name!r}") from None


def target_measure(row: Mapping[str, Any]) -> Measure:
    """A facility target's measure: counted from places for C.2, else its site measure."""
    place_type = PLACE_TARGETS.get(str(row.get("project_ids") or ""))
    if place_type is not None:
        return PlaceCountMeasure(place_type)
    return SiteTargetMeasure(str(row["measure"]))
