"""Every per-town figure (:class:`TownFigures`): the map, the 街镇 page, the briefings, the
workbook and ``towns --json`` show these, computed once for the sites the caller passes
(already filtered), as Quantities, and written by :func:`fmt_measure`."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from wufei_geo.analysis.generation import generation_estimate
from wufei_geo.analysis.quantities import Quantity, fmt_quantity, quantity
from wufei_geo.analysis.sites import live_sites, operating_today_capacity, pursued_statuses, site_capacity
from wufei_geo.analysis.values import code_of, codes_of, float_of, plain_number, text_of
from wufei_geo.config import GenerationParameters
from wufei_geo.i18n import t
from wufei_geo.model import TOWN_MEASURES

if TYPE_CHECKING:
    from wufei_geo.analysis.scorecards import TownScorecard

# The measures the facility map offers for shading (the same figures, filtered like the map).
# Registered capacity and, beside it, what operates today: the map can show what runs now.
MAP_MEASURES: tuple[str, ...] = ("site_count", "wet_waste_tpd", "wet_waste_operating_tpd", "capacity_per_10k")
MEASURE_UNITS: dict[str, str] = {
    "site_count": "sites",
    "wet_waste_tpd": "t/d",
    "wet_waste_operating_tpd": "t/d",
    "capacity_per_10k": "t/d per 10k",
    "generation_tpd": "t/d",
    "capacity_vs_generation": "share",
    "targets_met_share": "share",
}
COUNT_MEASURES = frozenset({"site_count"})


@dataclass
class TownFigures:
    """One town's figures (``values``: measure → :class:`Quantity`)."""

    town_code: str
    name_zh: str
    name_en: str
    values: dict[str, Quantity]

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "town_code": self.town_code,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "measures": {m: {**q.to_dict(), "text": fmt_measure(q, m, lang)} for m, q in self.values.items()},
        }


def measure_unit_text(measure: str, lang: str = "zh") -> str:
    unit = MEASURE_UNITS[measure]
    return "" if unit == "share" else t(f"figures.unit.{unit}", lang)


def fmt_measure(q: Quantity | None, measure: str, lang: str = "zh", *, label: bool = False) -> str:
    """A town figure as every view writes it (:func:`fmt_quantity` with the measure's unit).

    ``label``: as the map writes it on the town itself — the number alone, without the unit (the
    legend's title carries it) or the count of unknown sites ("≥" and "未知" still say it; the
    zone's tooltip has the full text): a long label would cover the next towns' names."""
    share = MEASURE_UNITS[measure] == "share"
    if label:
        return fmt_quantity(q, "", lang, share=share, short=True)
    return fmt_quantity(q, measure_unit_text(measure, lang), lang, share=share)


def _ratio(num: Quantity, den: float | None) -> Quantity:
    if den is None or den <= 0:
        return Quantity(None)
    if num.value is None:
        return Quantity(None, num.unknown_sites)
    return Quantity(plain_number(round(float(num.value) / den, 6)), num.unknown_sites)


def _town_rows(towns: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for town in towns.to_dict("records"):
        code = code_of(town.get("town_code")) or ""
        out.append({**town, "code_of": code})
    return out


def town_figures(
    sites: pd.DataFrame,
    towns: pd.DataFrame,
    *,
    params: GenerationParameters | None = None,
    scorecards: Sequence[TownScorecard] | None = None,
) -> list[TownFigures]:
    """Per town of ``towns`` (gazetteer or zones: ``code``/``town_code``, ``name_zh``,
    ``name_en``, optional ``population``), every measure of :data:`TOWN_MEASURES` for ``sites``:

    * ``site_count`` — live sites in the town (every status);
    * ``wet_waste_tpd`` — wet-waste capacity registered (planned → operating; suspended and
      cancelled never count), after the plan's projects (:func:`site_capacity`);
    * ``wet_waste_operating_tpd`` — wet-waste capacity operating today
      (:func:`operating_today_capacity`, existing facilities at their baseline);
    * ``capacity_per_10k`` — ``wet_waste_tpd`` per 10,000 residents (unknown without a population);
    * ``generation_tpd`` / ``capacity_vs_generation`` — the INDICATIVE estimate and the
      registered capacity over it;
    * ``targets_met_share`` — share of the town's tracked targets met (from ``scorecards``,
      which judge targets on all sites; unknown without them).
    """
    params = params or GenerationParameters()
    live = live_sites(sites)
    town_col = codes_of(live["town_code"]) if len(live) else pd.Series([], dtype=object)
    cards = {c.town_code: c for c in scorecards or ()}
    pursued = set(pursued_statuses("capacity"))
    out: list[TownFigures] = []
    for town in _town_rows(towns):
        code = town["code_of"]
        mine = live[town_col == code] if len(live) else live
        wet = mine[mine["category"] == "wet_waste"].to_dict("records") if len(mine) else []
        registered = quantity((r["site_id"], site_capacity(r)) for r in wet if r["status"] in pursued)
        operating = quantity(
            (r["site_id"], cap) for r in wet for counts, cap in [operating_today_capacity(r)] if counts
        )
        population = float_of(town.get("population"))
        gen = generation_estimate(population, None, params)
        generation = Quantity(None) if gen is None else Quantity(gen.generation_tpd)
        card = cards.get(code)
        met_share = Quantity(None)
        if card is not None:
            tracked = [tp for tp in card.targets if tp.state not in ("untracked", "unmeasured")]
            if tracked:
                met_share = Quantity(plain_number(round(card.counts["met"] / len(tracked), 6)))
        values = {
            "site_count": Quantity(len(mine)),
            "wet_waste_tpd": registered,
            "wet_waste_operating_tpd": operating,
            "capacity_per_10k": _ratio(registered, None if population is None else population / 10_000),
            "generation_tpd": generation,
            "capacity_vs_generation": _ratio(registered, None if gen is None else gen.generation_tpd),
            "targets_met_share": met_share,
        }
        out.append(TownFigures(code, text_of(town.get("name_zh")) or code, text_of(town.get("name_en")) or code, values))
    return out


def town_measures(figures: Sequence[TownFigures]) -> pd.DataFrame:
    """The figures as a table: one row per town, the known value of each measure (NaN when
    unknown) and ``<measure>_unknown`` (how many sites' parts are unknown)."""
    rows = []
    for f in figures:
        row: dict[str, Any] = {"town_code": f.town_code, "name_zh": f.name_zh, "name_en": f.name_en}
        for m in TOWN_MEASURES:
            q = f.values[m]
            row[m] = float("nan") if q.value is None else float(q.value)
            row[f"{m}_unknown"] = len(q.unknown_sites)
        rows.append(row)
    cols = ["town_code", "name_zh", "name_en", *[c for m in TOWN_MEASURES for c in (m, f"{m}_unknown")]]
    return pd.DataFrame(rows, columns=cols)

