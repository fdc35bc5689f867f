"""The INDICATIVE wet-waste generation of a town: population × per-capita collection × wet share,
against the capacity located there (never a measurement; the caveat says so)."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from wufei_geo.analysis.values import float_of, plain_number
from wufei_geo.config import GenerationParameters

INDICATIVE_CAVEAT_ZH = (
    "示意估算：人口 × 人均清运量 × 湿垃圾占比。各街镇人口口径与年份不一（户籍/常住，2008–2021年），"
    "人均清运量为全区2020年值，湿垃圾占比为上海全市值，仅供参考。"
)
INDICATIVE_CAVEAT_EN = (
    "Indicative estimate: population × per-capita collection × wet share. Town population figures "
    "are of mixed kinds and years (registered/permanent, 2008–2021); the per-capita rate is "
    "district-wide (2020) and the wet share Shanghai-wide. Not a measurement."
)


def indicative_caveat(lang: str = "zh") -> str:
    """The caveat every view shows next to the generation estimate, in ``lang``."""
    return INDICATIVE_CAVEAT_EN if lang == "en" else INDICATIVE_CAVEAT_ZH


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
    capacity_operating_tpd: float | int | None
    capacity_registered_tpd: float | int | None
    unknown_capacity_sites: int
    coverage_registered: float | None
    indicative: bool = True
    caveat_zh: str = INDICATIVE_CAVEAT_ZH
    caveat_en: str = INDICATIVE_CAVEAT_EN

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)



def generation_estimate(
    population: Any,
    population_note: str | None,
    params: GenerationParameters,
    capacity_operating_tpd: float | None = 0.0,
    capacity_registered_tpd: float | None = 0.0,
    unknown_capacity_sites: int = 0,
) -> GenerationEstimate | None:
    """population × per-capita (kg/person/day) × wet share → t/d; None when population is unknown."""
    pop = float_of(population)
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
        capacity_operating_tpd=None if capacity_operating_tpd is None else plain_number(capacity_operating_tpd),
        capacity_registered_tpd=None if capacity_registered_tpd is None else plain_number(capacity_registered_tpd),
        unknown_capacity_sites=unknown_capacity_sites,
        coverage_registered=round(capacity_registered_tpd / generation, 4)
        if generation and capacity_registered_tpd is not None else None,
    )

