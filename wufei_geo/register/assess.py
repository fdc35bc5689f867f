"""The assessment (终期评估) at a date: the status of every register entry — met, not met, not
measured (未测量) or needs judgement (待判断) — from the sites as they were that day, the reported
values for a year up to it and the planners' judgements (docs/design/register.md)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import pandas as pd

from wufei_geo.register import reporting
from wufei_geo.register.entries import Entry, load_register
from wufei_geo.register.history import sites_as_of
from wufei_geo.register.measures import PlaceCounter, Reading, place_counter
from wufei_geo.register.rules import rule

if TYPE_CHECKING:
    from wufei_geo.store import Store

PLAN_DEADLINE = dt.date(2025, 12, 31)
STATUSES: tuple[str, ...] = ("met", "not_met", "unmeasured", "judgement")


@dataclass
class Context:
    """What the measures read for one assessment date (each part read once)."""

    store: Store
    as_of: dt.date
    counter: PlaceCounter | None = None
    _values: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @cached_property
    def _sites(self) -> pd.DataFrame:
        return sites_as_of(self.store, self.as_of)

    def sites(self) -> pd.DataFrame:
        return self._sites

    @cached_property
    def _all_values(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for v in reporting.values(self.store):
            if v["year"] <= self.as_of.year:
                out.setdefault(v["entry_id"], []).append(v)
        return out

    def values(self, entry_id: str) -> list[dict[str, Any]]:
        return self._all_values.get(entry_id, [])

    def progress(self, entry: Entry) -> Any:
        from wufei_geo.analysis.progress import target_progress

        return target_progress(entry.extra["row"], self._sites, "all", self.as_of)

    def count_places(self, place_type: str, town_code: str | None) -> int | None:
        counter = self.counter or place_counter()
        return None if counter is None else counter(place_type, town_code, self.as_of)

    @cached_property
    def judgements(self) -> dict[str, dict[str, Any]]:
        """The latest judgement of each entry that speaks for a date up to ``as_of``."""
        out: dict[str, dict[str, Any]] = {}
        for j in reporting.judgements(self.store):
            if j["as_of"] <= self.as_of.isoformat():
                prev = out.get(j["entry_id"])
                if prev is None or (j["as_of"], j["id"]) > (prev["as_of"], prev["id"]):
                    out[j["entry_id"]] = j
        return out


@dataclass(frozen=True)
class Assessment:
    entry: Entry
    status: str
    reading: Reading
    judgement: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The CLI's JSON object of an entry (issue 23 → CLI)."""
        e, r = self.entry, self.reading
        latest = None
        if r.measured:
            latest = {"value": r.value, "text": r.text, "year": r.year, "complete": r.complete,
                      "source": r.detail.get("source")}
        return {
            "id": e.id, "source": e.source, "area": e.area, "name_zh": e.name_zh, "name_en": e.name_en,
            "unit": e.unit, "kind": e.kind, "measure": e.measure.kind, "departments": list(e.departments),
            "town_code": e.town_code,
            "baseline": {"value": e.baseline_value, "year": e.baseline_year, "text": e.baseline_text},
            "target": {"value": e.target_value, "year": e.target_year, "text": e.target_text, "rule": e.rule},
            "latest": latest, "status": self.status,
            "judgement": None if self.judgement is None else {
                k: self.judgement[k] for k in ("verdict", "as_of", "note", "judged_by")},
            "reading_note": e.reading,
        }


def _judged(entry: Entry, reading: Reading, judgement: dict[str, Any] | None) -> Assessment:
    if judgement is None:
        return Assessment(entry, "judgement", reading)
    return Assessment(entry, "met" if judgement["verdict"] == "met" else "not_met", reading, judgement)


def assess_entry(entry: Entry, ctx: Context) -> Assessment:
    """One entry's status at ``ctx.as_of`` (see the module docstring and the design note)."""
    reading = entry.measure.value(ctx, entry)
    how = rule(entry.rule)
    judgement = ctx.judgements.get(entry.id)
    if how.judgement:
        return _judged(entry, reading, judgement)
    if not reading.measured:
        return Assessment(entry, "unmeasured", reading)
    if reading.verdict is not None:
        return Assessment(entry, "met" if reading.verdict else "not_met", reading)
    if entry.rule == "equals_text":
        return Assessment(entry, "met" if (reading.text or "") == entry.target_text else "not_met", reading)
    assert reading.value is not None
    met = how.compare(reading.value, entry.target_value, entry.baseline_value)
    if met is None:  # nothing to compare with (no baseline): a planner decides
        return _judged(entry, reading, judgement)
    if reading.complete or met:
        return Assessment(entry, "met" if met else "not_met", reading)
    if reading.upper is not None and how.compare(reading.upper, entry.target_value, entry.baseline_value) is False:
        return Assessment(entry, "not_met", reading)
    return Assessment(entry, "unmeasured", reading)


def assess(store: Store, as_of: dt.date = PLAN_DEADLINE, entries: Iterable[Entry] | None = None,
           counter: PlaceCounter | None = None) -> list[Assessment]:
    """Every entry (default: the whole register) as of the end of ``as_of``."""
    if counter is None and place_counter() is None:  # the places' own count, as of the date
        from wufei_geo.places.measures import place_counter as places_counter
        from wufei_geo.places.store import place_book

        counter = places_counter(place_book(store).frame())
    ctx = Context(store, as_of, counter)
    return [assess_entry(e, ctx) for e in (load_register() if entries is None else entries)]


def summary(assessments: Iterable[Assessment]) -> dict[str, dict[str, int]]:
    """Counts by status of the indicators and of the facility targets."""
    out = {"indicator": dict.fromkeys(STATUSES, 0), "target": dict.fromkeys(STATUSES, 0)}
    for a in assessments:
        out[a.entry.source][a.status] += 1
    return {k: {"total": sum(v.values()), **v} for k, v in out.items()}
