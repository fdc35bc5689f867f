"""Every number of "is Qingpu on track?": capacity and counts against the plan's targets,
and the town scorecards.

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
  A site whose capacity is unknown is never counted as zero: it is listed in
  ``unknown_capacity_sites``.
* A target is *achieved* by sites in the target state (``operating``; ``decommissioned``
  for closures).  *Registered* is everything still pursued: planned, under construction,
  commissioning, in the target state.  Suspended and cancelled sites are reported
  separately and count toward neither.
* The pipeline projection puts each pursued site in a year: the commissioning year when it
  is already in the target state (else the year of its status date), otherwise its target
  year.  A site whose target year has passed without reaching the target state is overdue;
  it is projected to the current year at the earliest (it can no longer arrive in the past).
  Pursued sites without any year are listed as ``undated`` and left out of the projection.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from wufei_geo.config import GenerationParameters
from wufei_geo.model import COUNTS_TOWARD, MEASURES, STATUSES

YEARS: tuple[int, ...] = tuple(range(2021, 2027))
STATES: tuple[str, ...] = ("met", "in_progress", "not_started", "untracked", "no_target")
# Statuses shown on their own, never counted toward a target.
HALTED_STATUSES: tuple[str, ...] = ("suspended", "cancelled")
# Statuses of work under way (beyond "planned") for the in_progress state.
_UNDER_WAY = frozenset({"under_construction", "commissioning", "operating", "decommissioned"})

INDICATIVE_CAVEAT_ZH = (
    "示意估算：人口 × 人均清运量 × 湿垃圾占比。各街镇人口口径与年份不一（户籍/常住，2008–2021年），"
    "人均清运量为全区2020年值，湿垃圾占比为上海全市值，仅供参考。"
)
INDICATIVE_CAVEAT_EN = (
    "Indicative estimate: population × per-capita collection × wet share. Town population figures "
    "are of mixed kinds and years (registered/permanent, 2008–2021); the per-capita rate is "
    "district-wide (2020) and the wet share Shanghai-wide. Not a measurement."
)


# --------------------------------------------------------------------------- helpers
def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, str) and not value.strip()


def _text(value: Any) -> str | None:
    return None if _blank(value) else str(value).strip()


def _code(value: Any) -> str | None:
    """A town code as text, whatever the reader made of it (310118105, 310118105.0, '310118105')."""
    if _blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text


def _codes(series: pd.Series) -> pd.Series:
    return series.map(lambda v: _code(v) or "")


def _float(value: Any) -> float | None:
    if _blank(value):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) or math.isinf(out) else out


def _year(value: Any) -> int | None:
    """The year of an int, '2025', '2021-12' or '2021-12-31' (None when unknown)."""
    if _blank(value):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.year
    text = str(value).strip()
    try:
        return int(float(text)) if len(text) <= 6 and "-" not in text else int(text[:4])
    except ValueError:
        return None


def _ids(value: Any) -> list[str]:
    if _blank(value):
        return []
    if isinstance(value, (list, tuple, set)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value).replace(",", ";").split(";") if part.strip()]


def _num(value: float) -> float | int:
    """Round sums for display/JSON (5 + 80 + 10 + 0.5 + 5 must print as 100.5)."""
    rounded = round(float(value), 6)
    return int(rounded) if rounded.is_integer() else rounded


def _target_status(measure: str) -> str:
    return "decommissioned" if measure == "closure_count" else "operating"


def _pursued_statuses(measure: str) -> tuple[str, ...]:
    return ("planned", "under_construction", "commissioning", _target_status(measure))


def _targets_list(targets: Iterable[Mapping[str, Any]] | pd.DataFrame) -> list[dict[str, Any]]:
    if isinstance(targets, pd.DataFrame):
        return targets.to_dict("records")
    return [dict(t) for t in targets]


def site_capacity(row: Mapping[str, Any]) -> float | None:
    """Normalised capacity of a site: the capacity in operation when an official set it on an
    operating site, else the plan's capacity; None when unknown (never 0)."""
    if row.get("status") == "operating":
        operating = _float(row.get("operating_capacity_norm"))
        if operating is not None:
            return operating
    return _float(row.get("capacity_norm"))


def overdue_flags(sites: pd.DataFrame, today: dt.date | None = None) -> pd.Series:
    """The catalog's overdue rule (target year over, target state not reached), for ``today``."""
    from wufei_geo.catalog import overdue_mask

    if sites.empty:
        return pd.Series([], dtype=bool, index=sites.index)
    return overdue_mask(sites, today)


# --------------------------------------------------------------------------- results
@dataclass
class TargetProgress:
    """One target of the plan against the registered sites."""

    id: str
    level: str
    town_code: str | None
    category: str
    wet_waste_mode: str | None
    measure: str
    target: float | None
    unit: str
    target_year: int | None
    description_zh: str
    description_en: str
    source_ref: str
    note: str
    counts_toward: str
    target_status: str
    by_status: dict[str, float | int]
    achieved: float | int | None
    registered: float | int | None
    gap: float | int | None
    share: float | None
    registered_gap: float | int | None
    registered_share: float | None
    unknown_capacity_sites: dict[str, Any]
    sites: list[str]
    site_rows: list[dict[str, Any]]
    projection: list[dict[str, Any]]
    year_reached: int | None
    reached_by_target_year: bool | None
    undated_sites: list[str]
    overdue: bool
    overdue_sites: list[str]
    state: str
    by_mode: dict[str, dict[str, float | int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class GenerationEstimate:
    """INDICATIVE wet-waste generation of a town (t/d) against the capacity located there."""

    population: int
    population_note: str
    per_capita_kg_day: float
    per_capita_source: str
    wet_share: float
    wet_share_source: str
    generation_tpd: float
    capacity_operating_tpd: float | int
    capacity_registered_tpd: float | int
    unknown_capacity_sites: int
    coverage_registered: float | None
    indicative: bool = True
    caveat_zh: str = INDICATIVE_CAVEAT_ZH
    caveat_en: str = INDICATIVE_CAVEAT_EN

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TownScorecard:
    town_code: str
    name_zh: str
    name_en: str
    state: str
    counts: dict[str, int]
    targets: list[TargetProgress]
    sites: list[str]
    site_rows: list[dict[str, Any]]
    sites_by_status: dict[str, int]
    wet_waste_by_status: dict[str, float | int]
    wet_waste_unknown_capacity_sites: list[str]
    population: int | None
    population_note: str | None
    area_km2: float | None
    generation: GenerationEstimate | None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["targets"] = [t.to_dict() for t in self.targets]
        return out


# --------------------------------------------------------------------------- selection
def _live(sites: pd.DataFrame) -> pd.DataFrame:
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
    sites = _live(sites)
    mask = sites["category"] == target.get("category")
    mode = _text(target.get("wet_waste_mode"))
    if mode:
        mask &= sites["wet_waste_mode"] == mode
    elif (
        target.get("category") == "wet_waste"
        and target.get("measure") == "capacity"
        and counts_toward != "all"
    ):
        mask &= sites["wet_waste_mode"] == counts_toward
    projects = _ids(target.get("project_ids"))
    if projects:
        mask &= sites["project_id"].isin(projects)
    if _text(target.get("level")) == "town":
        town = _code(target.get("town_code"))
        if target.get("measure") == "served":
            mask &= sites["served_towns"].map(lambda v: town in [_code(x) for x in _ids(v)])
        else:
            mask &= _codes(sites["town_code"]) == (town or "")
    return sites[mask.fillna(False).astype(bool)]


# --------------------------------------------------------------------------- one target
def _site_year(row: Mapping[str, Any], target_state: str, this_year: int) -> int | None:
    if row["status"] == target_state:
        year = _year(row.get("commissioned")) if target_state == "operating" else None
        return year if year is not None else _year(row.get("status_as_of"))
    year = _year(row.get("target_year"))
    if year is None:
        return None
    return max(year, this_year)


def _value_of(rows: list[dict[str, Any]], measure: str) -> float:
    if measure == "capacity":
        return float(sum(r["capacity"] for r in rows if r["capacity"] is not None))
    if measure == "village_count":
        return float(len({r["village_key"] for r in rows if r["village_key"]}))
    if measure == "served":
        return 1.0 if rows else 0.0
    return float(len(rows))


def _by_status(rows: list[dict[str, Any]], measure: str) -> dict[str, float | int]:
    if measure == "village_count":
        # each village once, at its most advanced status
        rank = {s: i for i, s in enumerate(("cancelled", "suspended", "planned", "under_construction",
                                            "commissioning", "operating", "decommissioned"))}
        best: dict[str, str] = {}
        for r in rows:
            key = r["village_key"]
            if key and (key not in best or rank[r["status"]] > rank[best[key]]):
                best[key] = r["status"]
        return {s: sum(1 for v in best.values() if v == s) for s in STATUSES}
    return {s: _num(_value_of([r for r in rows if r["status"] == s], measure)) for s in STATUSES}


def _progress(
    target: Mapping[str, Any],
    sites: pd.DataFrame,
    counts_toward: str,
    today: dt.date,
) -> TargetProgress:
    measure = _text(target.get("measure")) or ""
    if measure not in MEASURES:
        raise ValueError(f"target {target.get('target_id')}: unknown measure {measure!r}")
    target_value = _float(target.get("target_value"))
    target_year = _year(target.get("target_year"))
    target_state = _target_status(measure)
    pursued = set(_pursued_statuses(measure))
    this_year = today.year
    applies_mode = target.get("category") == "wet_waste" and measure == "capacity" and not _text(
        target.get("wet_waste_mode")
    )
    counted = counts_toward if applies_mode else "all"

    matched = pd.DataFrame() if measure == "untracked" else matching_sites(sites, target, counted)
    overdue = overdue_flags(matched, today) if len(matched) else pd.Series([], dtype=bool)
    rows: list[dict[str, Any]] = []
    for (_, site), late in zip(matched.iterrows(), overdue.tolist(), strict=False):
        rec = site.to_dict()
        capacity = site_capacity(rec) if measure == "capacity" else None
        village = _text(rec.get("village"))
        rows.append(
            {
                "site_id": rec["site_id"],
                "project_id": _text(rec.get("project_id")),
                "name_zh": _text(rec.get("name_zh")),
                "name_en": _text(rec.get("name_en")),
                "town_code": _code(rec.get("town_code")),
                "wet_waste_mode": _text(rec.get("wet_waste_mode")),
                "village": village,
                "village_key": f"{_code(rec.get('town_code')) or ''}/{village}" if village else None,
                "status": rec["status"],
                "status_as_of": _text(rec.get("status_as_of")),
                "status_source": _text(rec.get("status_source")),
                "commissioned": _text(rec.get("commissioned")),
                "target_year": _year(rec.get("target_year")),
                "capacity": capacity,
                "capacity_unit": _text(rec.get("capacity_norm_unit")),
                "year": _site_year(rec, target_state, this_year) if rec["status"] in pursued else None,
                "overdue": bool(late),
            }
        )

    site_ids = [r["site_id"] for r in rows]
    pursued_rows = [r for r in rows if r["status"] in pursued]
    achieved_rows = [r for r in rows if r["status"] == target_state]
    if measure == "untracked":
        achieved = registered = gap = registered_gap = None
        share = registered_share = None
        by_status: dict[str, float | int] = {}
        state = "untracked"
    else:
        achieved = _num(_value_of(achieved_rows, measure))
        registered = _num(_value_of(pursued_rows, measure))
        by_status = _by_status(rows, measure)
        if target_value is None:
            gap = registered_gap = share = registered_share = None
        else:
            gap = _num(max(target_value - achieved, 0.0))
            registered_gap = _num(max(target_value - registered, 0.0))
            share = round(achieved / target_value, 6) if target_value else None
            registered_share = round(registered / target_value, 6) if target_value else None
        if target_value is not None and achieved >= target_value and (achieved > 0 or target_value == 0):
            state = "met"
        elif any(r["status"] in _UNDER_WAY for r in rows):
            state = "in_progress"
        else:
            state = "not_started"

    unknown = [
        r["site_id"]
        for r in rows
        if measure == "capacity" and r["capacity"] is None and r["status"] in pursued
    ]
    projection: list[dict[str, Any]] = []
    year_reached: int | None = None
    undated: list[str] = []
    if measure != "untracked":
        dated = [r for r in pursued_rows if r["year"] is not None]
        undated = [r["site_id"] for r in pursued_rows if r["year"] is None]
        for year in YEARS:
            upto = [r for r in dated if r["year"] <= year]
            projection.append(
                {
                    "year": year,
                    "cumulative": _num(_value_of(upto, measure)),
                    "by_status": {
                        s: _num(_value_of([r for r in upto if r["status"] == s], measure))
                        for s in _pursued_statuses(measure)
                    },
                }
            )
        if target_value is not None:
            for year in sorted({r["year"] for r in dated}):
                if _value_of([r for r in dated if r["year"] <= year], measure) >= target_value:
                    year_reached = year
                    break
    reached_by = None
    if year_reached is not None and target_year is not None:
        reached_by = year_reached <= target_year
    elif target_value is not None and measure != "untracked":
        reached_by = False

    by_mode: dict[str, dict[str, float | int]] = {}
    if target.get("category") == "wet_waste" and measure == "capacity":
        everything = matching_sites(sites, target, "all")
        for mode in ("centralised", "on_site"):
            part = everything[everything["wet_waste_mode"] == mode]
            caps = [
                {"status": s["status"], "capacity": site_capacity(s)}
                for s in part.to_dict("records")
            ]
            by_mode[mode] = {s: _num(_value_of([c for c in caps if c["status"] == s], "capacity"))
                             for s in STATUSES}

    target_overdue = (
        measure != "untracked" and target_year is not None and target_year < this_year and state != "met"
    )
    return TargetProgress(
        id=str(target.get("target_id")),
        level=_text(target.get("level")) or "district",
        town_code=_code(target.get("town_code")),
        category=_text(target.get("category")) or "",
        wet_waste_mode=_text(target.get("wet_waste_mode")),
        measure=measure,
        target=None if target_value is None else _num(target_value),
        unit=_text(target.get("unit")) or "",
        target_year=target_year,
        description_zh=_text(target.get("description_zh")) or "",
        description_en=_text(target.get("description_en")) or "",
        source_ref=_text(target.get("source_ref")) or "",
        note=_text(target.get("note")) or "",
        counts_toward=counted,
        target_status=target_state,
        by_status=by_status,
        achieved=achieved,
        registered=registered,
        gap=gap,
        share=share,
        registered_gap=registered_gap,
        registered_share=registered_share,
        unknown_capacity_sites={"count": len(unknown), "ids": unknown},
        sites=site_ids,
        site_rows=[{k: v for k, v in r.items() if k != "village_key"} for r in rows],
        projection=projection,
        year_reached=year_reached,
        reached_by_target_year=reached_by,
        undated_sites=undated,
        overdue=target_overdue,
        overdue_sites=[r["site_id"] for r in rows if r["overdue"]],
        state=state,
        by_mode=by_mode,
    )


# --------------------------------------------------------------------------- public API
def capacity_report(
    sites: pd.DataFrame,
    targets: Iterable[Mapping[str, Any]] | pd.DataFrame,
    *,
    counts_toward: str = "all",
    today: dt.date | None = None,
) -> list[TargetProgress]:
    """Every district-level target against the registered sites, in the targets file's order.

    ``counts_toward`` chooses which wet-waste sites count toward a wet-waste capacity target
    that names no mode: ``all`` (default, the plan's 湿垃圾总处理能力), ``centralised`` or
    ``on_site``.
    """
    if counts_toward not in COUNTS_TOWARD:
        raise ValueError(f"counts_toward must be one of {', '.join(COUNTS_TOWARD)}, not {counts_toward!r}")
    today = today or dt.date.today()
    return [
        _progress(t, sites, counts_toward, today)
        for t in _targets_list(targets)
        if (_text(t.get("level")) or "district") == "district"
    ]


def wet_waste_progress(report: Sequence[TargetProgress]) -> TargetProgress | None:
    """The headline target: the district's wet-waste treatment capacity (600 t/d)."""
    for item in report:
        if item.category == "wet_waste" and item.measure == "capacity" and item.level == "district":
            return item
    return None


def generation_estimate(
    population: Any,
    population_note: str | None,
    params: GenerationParameters,
    capacity_operating_tpd: float = 0.0,
    capacity_registered_tpd: float = 0.0,
    unknown_capacity_sites: int = 0,
) -> GenerationEstimate | None:
    """population × per-capita (kg/person/day) × wet share → t/d; None when population is unknown."""
    pop = _float(population)
    if pop is None or pop <= 0:
        return None
    generation = pop * params.per_capita_kg_day * params.wet_share / 1000.0
    return GenerationEstimate(
        population=int(pop),
        population_note=population_note or "",
        per_capita_kg_day=params.per_capita_kg_day,
        per_capita_source=params.per_capita_source,
        wet_share=params.wet_share,
        wet_share_source=params.wet_share_source,
        generation_tpd=round(generation, 3),
        capacity_operating_tpd=_num(capacity_operating_tpd),
        capacity_registered_tpd=_num(capacity_registered_tpd),
        unknown_capacity_sites=unknown_capacity_sites,
        coverage_registered=round(capacity_registered_tpd / generation, 4) if generation else None,
    )


def _town_state(progress: Sequence[TargetProgress]) -> str:
    tracked = [p.state for p in progress if p.state != "untracked"]
    if not tracked:
        return "no_target"
    if all(s == "met" for s in tracked):
        return "met"
    if all(s == "not_started" for s in tracked):
        return "not_started"
    return "in_progress"


def town_scorecards(
    sites: pd.DataFrame,
    targets: Iterable[Mapping[str, Any]] | pd.DataFrame,
    towns: pd.DataFrame,
    params: GenerationParameters | None = None,
    *,
    today: dt.date | None = None,
) -> list[TownScorecard]:
    """One scorecard per town of the gazetteer (in its order): the town-level targets, the
    town's sites, and where population is known an INDICATIVE wet-waste generation estimate."""
    params = params or GenerationParameters()
    today = today or dt.date.today()
    town_targets = [t for t in _targets_list(targets) if _text(t.get("level")) == "town"]
    live = _live(sites)
    overdue = overdue_flags(live, today) if len(live) else pd.Series([], dtype=bool)
    live = live.assign(_overdue=overdue.values) if len(live) else live.assign(_overdue=[])
    town_col = _codes(live["town_code"])
    cards: list[TownScorecard] = []
    for town in towns.to_dict("records"):
        code = _code(town.get("code", town.get("town_code"))) or ""
        progress = [
            _progress(t, sites, "all", today)
            for t in town_targets
            if _code(t.get("town_code")) == code
        ]
        mine = live[town_col == code]
        wet = [
            {"site_id": r["site_id"], "status": r["status"], "capacity": site_capacity(r)}
            for r in mine[mine["category"] == "wet_waste"].to_dict("records")
        ]
        wet_by_status = {s: _num(_value_of([w for w in wet if w["status"] == s], "capacity")) for s in STATUSES}
        wet_unknown = [w["site_id"] for w in wet if w["capacity"] is None and w["status"] not in HALTED_STATUSES]
        registered = sum(wet_by_status[s] for s in _pursued_statuses("capacity"))
        counts = {s: sum(1 for p in progress if p.state == s) for s in STATES[:4]}
        cards.append(
            TownScorecard(
                town_code=code,
                name_zh=_text(town.get("name_zh")) or code,
                name_en=_text(town.get("name_en")) or code,
                state=_town_state(progress),
                counts=counts,
                targets=progress,
                sites=mine["site_id"].tolist(),
                site_rows=[
                    {
                        "site_id": r["site_id"],
                        "project_id": _text(r.get("project_id")),
                        "name_zh": _text(r.get("name_zh")),
                        "name_en": _text(r.get("name_en")),
                        "category": r["category"],
                        "status": r["status"],
                        "status_as_of": _text(r.get("status_as_of")),
                        "capacity": site_capacity(r),
                        "capacity_unit": _text(r.get("capacity_norm_unit")),
                        "target_year": _year(r.get("target_year")),
                        "overdue": bool(r["_overdue"]),
                    }
                    for r in mine.to_dict("records")
                ],
                sites_by_status={s: int((mine["status"] == s).sum()) for s in STATUSES},
                wet_waste_by_status=wet_by_status,
                wet_waste_unknown_capacity_sites=wet_unknown,
                population=None if _float(town.get("population")) is None else int(_float(town.get("population"))),
                population_note=_text(town.get("population_note")),
                area_km2=_float(town.get("area_km2")),
                generation=generation_estimate(
                    town.get("population"),
                    _text(town.get("population_note")),
                    params,
                    capacity_operating_tpd=float(wet_by_status["operating"]),
                    capacity_registered_tpd=float(registered),
                    unknown_capacity_sites=len(wet_unknown),
                ),
            )
        )
    return cards


# Measures a choropleth of the scorecards can show (None where unknown, never 0).
TOWN_MEASURES: tuple[str, ...] = (
    "targets_met_share",
    "site_count",
    "wet_waste_registered_tpd",
    "wet_waste_operating_tpd",
    "generation_tpd",
    "capacity_vs_generation",
)


def town_measures(cards: Sequence[TownScorecard]) -> pd.DataFrame:
    """One row per town with the scorecard measures a choropleth can show."""
    rows = []
    for c in cards:
        tracked = [t for t in c.targets if t.state != "untracked"]
        gen = c.generation
        rows.append(
            {
                "town_code": c.town_code,
                "name_zh": c.name_zh,
                "name_en": c.name_en,
                "state": c.state,
                "targets_met_share": (c.counts["met"] / len(tracked)) if tracked else None,
                "site_count": len(c.sites),
                "wet_waste_registered_tpd": float(
                    sum(c.wet_waste_by_status[s] for s in _pursued_statuses("capacity"))
                ),
                "wet_waste_operating_tpd": float(c.wet_waste_by_status["operating"]),
                "generation_tpd": gen.generation_tpd if gen else None,
                "capacity_vs_generation": gen.coverage_registered if gen else None,
            }
        )
    return pd.DataFrame(rows, columns=["town_code", "name_zh", "name_en", "state", *TOWN_MEASURES])
