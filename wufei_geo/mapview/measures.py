"""Per town: display names, the choropleth measures and their colour bins."""
from __future__ import annotations

import numpy as np
import pandas as pd

from wufei_geo.mapview.style import CHOROPLETH_PALETTE
from wufei_geo.mapview.values import _isnull

CHOROPLETH_MEASURES: tuple[str, ...] = ("site_count", "wet_waste_tpd", "capacity_per_10k")


def town_names(zones: pd.DataFrame | None, towns: pd.DataFrame | None, lang: str) -> dict[str, str]:
    """town_code → display name (zones first, gazetteer fills gaps)."""
    col = "name_en" if lang == "en" else "name_zh"
    names: dict[str, str] = {}
    if towns is not None and len(towns):
        code_col = "code" if "code" in towns.columns else "town_code"
        for code, zh, en in zip(towns[code_col], towns["name_zh"], towns.get("name_en", towns["name_zh"]), strict=False):
            names[str(code)] = str(en if lang == "en" and not _isnull(en) else zh)
    if zones is not None and len(zones):
        for code, name, zh in zip(zones["town_code"], zones.get(col, zones["name_zh"]), zones["name_zh"], strict=False):
            names[str(code)] = str(zh if _isnull(name) else name)
    return names


def town_measures(
    sites: pd.DataFrame, zones: pd.DataFrame, towns: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per zone: ``site_count``, ``wet_waste_tpd``, ``capacity_per_10k`` (NaN = unknown).

    ``wet_waste_tpd`` is the sum of known wet-waste ``capacity_norm`` (t/d); NaN when the town has
    wet-waste sites but none with a known capacity, 0 when it has none.  ``capacity_per_10k`` is
    ``wet_waste_tpd`` per 10,000 residents where the gazetteer knows the population, else NaN —
    never 0 for an unknown.
    """
    codes = zones["town_code"].astype(str)
    out = pd.DataFrame({"town_code": codes.to_numpy()})
    s_town = sites["town_code"].astype(object).where(sites["town_code"].notna(), None).map(
        lambda v: None if v is None else str(v)
    )
    out["site_count"] = out["town_code"].map(s_town.value_counts()).fillna(0).astype(int)
    wet = sites[sites["category"] == "wet_waste"]
    wet_town = s_town[wet.index]
    cap = pd.to_numeric(wet["capacity_norm"], errors="coerce")
    known_sum = cap.groupby(wet_town).sum(min_count=1)
    n_wet = wet_town.value_counts()
    wet_tpd = out["town_code"].map(known_sum)
    has_wet = out["town_code"].map(n_wet).fillna(0) > 0
    out["wet_waste_tpd"] = wet_tpd.where(has_wet, 0.0).astype(float)
    pop = pd.Series(np.nan, index=out.index)
    if towns is not None and len(towns) and "population" in towns.columns:
        code_col = "code" if "code" in towns.columns else "town_code"
        pops = pd.to_numeric(towns["population"], errors="coerce")
        pops.index = towns[code_col].astype(str)
        pop = out["town_code"].map(pops)
    out["population"] = pop.astype(float)
    per = out["wet_waste_tpd"] / (out["population"] / 10_000)
    out["capacity_per_10k"] = per.where(out["population"] > 0)
    return out


def _bins(values: pd.Series, k: int = len(CHOROPLETH_PALETTE)) -> list[float]:
    known = values.dropna()
    if known.empty:
        return []
    lo, hi = float(known.min()), float(known.max())
    if hi <= lo:
        return [lo, hi]
    return [lo + (hi - lo) * i / k for i in range(k + 1)]


def _bin_colour(value: float, edges: list[float]) -> str:
    if len(edges) < 3:
        return CHOROPLETH_PALETTE[-1]
    for i in range(len(edges) - 1):
        if value <= edges[i + 1]:
            return CHOROPLETH_PALETTE[i]
    return CHOROPLETH_PALETTE[-1]
