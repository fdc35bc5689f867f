"""What blocks the answer to "are we on track?": the sites whose missing data keeps a target's
total or forecast unknown, what each lacks and who can supply it.

One :class:`Blocker` per site, built from what the target already knows
(``TargetProgress.forecast_reasons``, ``achieved_unknown_sites``, ``unknown_capacity_sites``):

* ``expected_date`` — no expected commissioning date (or it has passed: ``expected_date_passed``);
* ``status_confirmation`` — the status was not confirmed within the period;
* ``capacity`` — the design capacity is unknown; ``existing_capacity`` — the capacity of the
  facility an upgrade replaces (it keeps *operating today* unknown);
* ``served_villages`` — the villages a facility serves are not filled in.

Who can fix it: a site's town official for its dates, status and villages; the district planners
for capacities (design and baseline are planner-only) and for every field of a district-level site
(no town).  Largest capacity first: the plant that decides the answer heads the list."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from wufei_geo.analysis.progress import TargetProgress

MISSING_KINDS: tuple[str, ...] = ("existing_capacity", "capacity", "expected_date", "expected_date_passed",
                                  "status_confirmation", "served_villages")
FIXERS: tuple[str, ...] = ("town", "district")  # the site's town official, the district planners

_FROM_REASON = {
    "no_expected_date": "expected_date",
    "expected_date_passed": "expected_date_passed",
    "status_unconfirmed": "status_confirmation",
    "unknown_capacity": "capacity",
    "unknown_existing_capacity": "existing_capacity",
    "no_served_villages": "served_villages",
    "no_date": "expected_date",
}
_PLANNERS_ONLY = frozenset({"capacity", "existing_capacity"})


@dataclass(frozen=True)
class Blocker:
    """One site that keeps the answer open: what it lacks and who can supply it."""

    site_id: str
    name_zh: str | None
    name_en: str | None
    town_code: str | None
    department: str | None
    capacity: float | None
    missing: tuple[str, ...]
    fixers: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fixers(missing: tuple[str, ...], town_code: str | None) -> tuple[str, ...]:
    roles = {"district" if (kind in _PLANNERS_ONLY or not town_code) else "town" for kind in missing}
    return tuple(r for r in FIXERS if r in roles)


def blockers(item: TargetProgress) -> list[Blocker]:
    """The sites that keep ``item``'s total today, its total after the projects or its forecast
    unknown — each once, largest capacity first."""
    missing: dict[str, set[str]] = {}
    if item.forecast_state == "cannot_tell":
        for sid in item.forecast_basis:
            for reason in item.forecast_reasons.get(sid, []):
                missing.setdefault(sid, set()).add(_FROM_REASON.get(reason, reason))
    rows = {r["site_id"]: r for r in item.site_rows}
    for sid in item.achieved_unknown_sites:
        row = rows.get(sid, {})
        missing.setdefault(sid, set()).add("capacity" if row.get("status") == "operating" else "existing_capacity")
    for sid in item.unknown_capacity_sites.get("ids", []):
        missing.setdefault(sid, set()).add("capacity")
    out = []
    for sid, kinds in missing.items():
        row = rows.get(sid, {})
        ordered = tuple(k for k in MISSING_KINDS if k in kinds)
        out.append(Blocker(site_id=sid, name_zh=row.get("name_zh"), name_en=row.get("name_en"),
                           town_code=row.get("town_code"), department=row.get("department"),
                           capacity=row.get("capacity"), missing=ordered,
                           fixers=_fixers(ordered, row.get("town_code"))))
    out.sort(key=lambda b: (-(b.capacity or 0.0), b.capacity is None, b.site_id))
    return out


def missing_counts(items: list[Blocker]) -> dict[str, int]:
    """How many sites lack each kind of data (the kinds in :data:`MISSING_KINDS` order)."""
    return {kind: n for kind in MISSING_KINDS if (n := sum(kind in b.missing for b in items))}
