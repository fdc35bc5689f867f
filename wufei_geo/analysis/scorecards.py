"""The town scorecards (:class:`TownScorecard`): a town's targets, its sites, its figures and,
where its population is known, the INDICATIVE generation estimate."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from wufei_geo.analysis.figures import TownFigures, town_figures
from wufei_geo.analysis.generation import GenerationEstimate, generation_estimate
from wufei_geo.analysis.progress import STATES, TargetProgress, target_progress, value_of
from wufei_geo.analysis.sites import live_sites, overdue_flags, site_capacity
from wufei_geo.analysis.values import (
    code_of,
    codes_of,
    float_of,
    plain_number,
    targets_list,
    text_of,
    year_of,
)
from wufei_geo.config import GenerationParameters
from wufei_geo.freshness import DEFAULT_CONFIRMATION_MONTHS, freshness
from wufei_geo.model import SITE_COLUMNS, STATUSES


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
    wet_waste_tpd: dict[str, Any]  # Quantity.to_dict(): registered (after the plan's projects)
    wet_waste_operating_tpd: dict[str, Any]  # Quantity.to_dict(): operating today
    population: int | None
    population_note: str | None
    area_km2: float | None
    generation: GenerationEstimate | None
    # issue 12: {sites, confirmed, stale, last_confirmed_at} of the town's live sites (see freshness)
    freshness: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["targets"] = [t.to_dict() for t in self.targets]
        return out



def _town_state(progress: Sequence[TargetProgress]) -> str:
    tracked = [p.state for p in progress if p.state not in ("untracked", "unmeasured")]
    if not tracked:
        return "no_target"
    if all(s == "met" for s in tracked):
        return "met"
    if all(s == "not_started" for s in tracked):
        return "not_started"
    return "in_progress"



_CARD_COLUMNS = ("site_id", "project_id", "name_zh", "name_en", "category", "status", "status_as_of",
                 "capacity_norm", "capacity_norm_unit", "operating_capacity_norm", "target_year", "_overdue")


def _town_site_row(r: Mapping[str, Any]) -> dict[str, Any]:
    """One of a town's sites as its scorecard lists it."""
    return {
        "site_id": r["site_id"],
        "project_id": text_of(r.get("project_id")),
        "name_zh": text_of(r.get("name_zh")),
        "name_en": text_of(r.get("name_en")),
        "category": r["category"],
        "status": r["status"],
        "status_as_of": text_of(r.get("status_as_of")),
        "capacity": site_capacity(r),
        "capacity_unit": text_of(r.get("capacity_norm_unit")),
        "target_year": year_of(r.get("target_year")),
        "overdue": bool(r["_overdue"]),
    }


def _scorecard(town: Mapping[str, Any], progress: list[TargetProgress], mine: pd.DataFrame, figures: TownFigures,
               params: GenerationParameters, today: dt.date, confirmation_months: int) -> TownScorecard:
    """One town's scorecard from its targets' progress, its live sites (``mine``) and its figures."""
    code = figures.town_code
    # only the columns read, as plain records (a town of 10,000 sites: not every column of every row)
    cols = [c for c in _CARD_COLUMNS if c in mine.columns]
    records = mine[cols].to_dict("records")
    wet = [
        {"site_id": r["site_id"], "status": r["status"], "capacity": site_capacity(r)}
        for r in records if r["category"] == "wet_waste"
    ]
    registered = figures.values["wet_waste_tpd"]
    operating = figures.values["wet_waste_operating_tpd"]
    wet_unknown = list(registered.unknown_sites)
    population = float_of(town.get("population"))
    return TownScorecard(
        town_code=code,
        name_zh=text_of(town.get("name_zh")) or code,
        name_en=text_of(town.get("name_en")) or code,
        state=_town_state(progress),
        counts={s: sum(1 for p in progress if p.state == s) for s in STATES[:4]},
        targets=progress,
        sites=mine["site_id"].tolist(),
        site_rows=[_town_site_row(r) for r in records],
        sites_by_status={s: int((mine["status"] == s).sum()) for s in STATUSES},
        wet_waste_by_status={s: plain_number(value_of([w for w in wet if w["status"] == s], "capacity")) for s in STATUSES},
        wet_waste_unknown_capacity_sites=wet_unknown,
        wet_waste_tpd=registered.to_dict(),
        wet_waste_operating_tpd=operating.to_dict(),
        population=None if population is None else int(population),
        population_note=text_of(town.get("population_note")),
        area_km2=float_of(town.get("area_km2")),
        generation=generation_estimate(
            town.get("population"),
            text_of(town.get("population_note")),
            params,
            capacity_operating_tpd=operating.value,
            capacity_registered_tpd=registered.value,
            unknown_capacity_sites=len(wet_unknown),
        ),
        freshness=freshness(mine, today, confirmation_months),
    )


def town_scorecards(
    sites: pd.DataFrame,
    targets: Iterable[Mapping[str, Any]] | pd.DataFrame,
    towns: pd.DataFrame,
    params: GenerationParameters | None = None,
    *,
    today: dt.date | None = None,
    confirmation_months: int = DEFAULT_CONFIRMATION_MONTHS,
) -> list[TownScorecard]:
    """One scorecard per town of the gazetteer (in its order): the town-level targets, the
    town's sites, and where population is known an INDICATIVE wet-waste generation estimate."""
    params = params or GenerationParameters()
    today = today or dt.date.today()
    town_targets = [t for t in targets_list(targets) if text_of(t.get("level")) == "town"]
    live = live_sites(sites)
    overdue = overdue_flags(live, today) if len(live) else pd.Series([], dtype=bool)
    live = live.assign(_overdue=overdue.values) if len(live) else live.assign(_overdue=[])
    town_col = codes_of(live["town_code"])
    figures = {f.town_code: f for f in town_figures(sites, towns, params=params)}
    cards: list[TownScorecard] = []
    for town in towns.to_dict("records"):
        code = code_of(town.get("town_code")) or ""
        progress = [
            target_progress(tgt, sites, "all", today, confirmation_months)
            for tgt in town_targets
            if code_of(tgt.get("town_code")) == code
        ]
        cards.append(_scorecard(town, progress, live[town_col == code], figures[code], params, today,
                                confirmation_months))
    return cards


def _towns_frame(cards: Sequence[TownScorecard]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"town_code": c.town_code, "name_zh": c.name_zh, "name_en": c.name_en, "population": c.population} for c in cards],
        columns=["town_code", "name_zh", "name_en", "population"],
    )


def report_figures(
    sites: pd.DataFrame | None,
    scorecards: Sequence[TownScorecard],
    params: GenerationParameters | None = None,
) -> list[TownFigures]:
    """The town figures of ``sites`` for the towns of ``scorecards`` (with their targets met): what
    the workbook, the briefings and the 街镇 page show next to the scorecards."""
    if sites is None:
        sites = pd.DataFrame(columns=list(SITE_COLUMNS))
    return town_figures(sites, _towns_frame(scorecards), params=params, scorecards=scorecards)
