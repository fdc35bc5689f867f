"""The town gap table: per town, the wet-waste capacity registered and operating, the INDICATIVE
generation, the gap between them, the facility types present and missing, and the sites lacking
an expected date — unknown kept unknown (None, with the sites it depends on).

*Missing* types are the categories the town's own targets ask for (its town-level targets) and,
for every town, wet-waste treatment (the district goal is met town by town: 镇域范围内集中处置),
that have no live site in the town."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from wufei_geo.analysis.scorecards import TownScorecard
from wufei_geo.analysis.sites import live_sites
from wufei_geo.analysis.values import codes_of, plain_number

_UNFINISHED = ("planned", "under_construction", "commissioning")


@dataclass(frozen=True)
class TownGap:
    town_code: str
    name_zh: str
    name_en: str
    registered_tpd: float | int | None  # the known part (lower bound when registered_unknown_sites)
    registered_unknown_sites: tuple[str, ...]
    operating_tpd: float | int | None
    operating_unknown_sites: tuple[str, ...]
    generation_tpd: float | None  # INDICATIVE; None without a population
    gap_tpd: float | int | None  # generation − registered (≥ 0); None when either is unknown
    gap_upper_bound: bool  # registered has unknown parts: the gap is at most this
    types_present: tuple[str, ...]
    types_missing: tuple[str, ...]
    undated_sites: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def town_gaps(sites: pd.DataFrame, cards: Sequence[TownScorecard]) -> list[TownGap]:
    """One :class:`TownGap` per scorecard (its order)."""
    live = live_sites(sites)
    towns = codes_of(live["town_code"]) if len(live) else pd.Series([], dtype=str)
    out = []
    for card in cards:
        mine = live[towns == card.town_code]
        present = tuple(sorted(set(mine["category"].dropna().astype(str))))
        wanted = {p.category for p in card.targets if p.category} | {"wet_waste"}
        expected = mine.get("expected_commissioning", pd.Series(index=mine.index, dtype=object))
        undated = mine[mine["status"].isin(_UNFINISHED) & (expected.isna() | (expected.astype("string").str.strip() == ""))]
        reg, op = card.wet_waste_tpd, card.wet_waste_operating_tpd
        generation = card.generation.generation_tpd if card.generation is not None else None
        gap = None
        if generation is not None and reg["value"] is not None:
            gap = plain_number(max(float(generation) - float(reg["value"]), 0.0))
        out.append(TownGap(
            town_code=card.town_code, name_zh=card.name_zh, name_en=card.name_en,
            registered_tpd=reg["value"], registered_unknown_sites=tuple(reg["unknown_sites"]),
            operating_tpd=op["value"], operating_unknown_sites=tuple(op["unknown_sites"]),
            generation_tpd=None if generation is None else round(float(generation), 2),
            gap_tpd=gap, gap_upper_bound=gap is not None and bool(reg["unknown_sites"]),
            types_present=present, types_missing=tuple(sorted(wanted - set(present))),
            undated_sites=tuple(str(s) for s in undated["site_id"]),
        ))
    return out
