"""Per town: display names and the choropleth figures — the figures and their classes come from
:mod:`wufei_geo.analysis` (one owner for every number, issue 11); the map only renders them."""
from __future__ import annotations

import pandas as pd

from wufei_geo import analysis
from wufei_geo.values import is_unknown

CHOROPLETH_MEASURES: tuple[str, ...] = analysis.MAP_MEASURES


def town_names(zones: pd.DataFrame | None, towns: pd.DataFrame | None, lang: str) -> dict[str, str]:
    """town_code → display name (zones first, gazetteer fills gaps)."""
    col = "name_en" if lang == "en" else "name_zh"
    names: dict[str, str] = {}
    if towns is not None and len(towns):
        code_col = "town_code"  # the gazetteer's column, named when it is read (geodata.TOWN_CODE)
        for code, zh, en in zip(towns[code_col], towns["name_zh"], towns.get("name_en", towns["name_zh"]), strict=False):
            names[str(code)] = str(en if lang == "en" and not is_unknown(en) else zh)
    if zones is not None and len(zones):
        for code, name, zh in zip(zones["town_code"], zones.get(col, zones["name_zh"]), zones["name_zh"], strict=False):
            names[str(code)] = str(zh if is_unknown(name) else name)
    return names


def zone_towns(zones: pd.DataFrame, towns: pd.DataFrame | None = None) -> pd.DataFrame:
    """The zones as a town table for :func:`analysis.town_figures` (population from the gazetteer)."""
    table = pd.DataFrame({
        "town_code": zones["town_code"].astype(str).to_numpy(),
        "name_zh": zones["name_zh"].to_numpy() if "name_zh" in zones else zones["town_code"].astype(str).to_numpy(),
        "name_en": zones["name_en"].to_numpy() if "name_en" in zones else zones["town_code"].astype(str).to_numpy(),
    })
    pop = pd.Series([None] * len(table), dtype=object)
    if towns is not None and len(towns) and "population" in towns.columns:
        code_col = "town_code"  # the gazetteer's column, named when it is read (geodata.TOWN_CODE)
        pops = pd.to_numeric(towns["population"], errors="coerce")
        pops.index = towns[code_col].astype(str)
        pop = table["town_code"].map(pops)
    table["population"] = pop
    return table


def town_figures(sites: pd.DataFrame, zones: pd.DataFrame, towns: pd.DataFrame | None = None) -> list[analysis.TownFigures]:
    """The analysis core's figures of ``sites`` (as filtered for the map), one per zone."""
    return analysis.town_figures(sites, zone_towns(zones, towns))


def town_measures(
    sites: pd.DataFrame, zones: pd.DataFrame, towns: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per zone: the core's figures as a table (NaN = unknown, ``<measure>_unknown`` = sites of
    unknown capacity in it); see :func:`analysis.town_figures`."""
    return analysis.town_measures(town_figures(sites, zones, towns))
