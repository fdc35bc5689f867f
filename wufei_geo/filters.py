"""The one filter every page applies to the site list (category, status, town, year, text).

Pure pandas: the UI builds a :class:`Filters` from its widgets and calls :func:`apply_filters`.
An empty selection means "no restriction" for that facet.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

# Sentinel used in town/year selections for rows whose value is not known (null).
UNKNOWN: str = "__unknown__"

SEARCH_COLUMNS: tuple[str, ...] = (
    "site_id",
    "project_id",
    "name_zh",
    "name_en",
    "village",
    "address",
    "department",
    "implementer",
    "data_note",
)


@dataclass(frozen=True)
class Filters:
    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    towns: tuple[str, ...] = ()  # town codes; UNKNOWN selects sites without a town
    years: tuple[str, ...] = ()  # target years as text ("2025"); UNKNOWN selects null years
    search: str = ""

    def is_empty(self) -> bool:
        return not (self.categories or self.statuses or self.towns or self.years or self.search.strip())


def year_key(value: object) -> str:
    """A target year as the text used by filters: 2025, 2025.0 and "2025" all → "2025"; null → UNKNOWN."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return UNKNOWN
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or UNKNOWN


def _keyed(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), None).map(lambda v: UNKNOWN if v in (None, "") else str(v))


def filter_mask(sites: pd.DataFrame, filters: Filters) -> pd.Series:
    """Boolean mask over ``sites`` (index-aligned) of the rows that pass ``filters``."""
    mask = pd.Series(True, index=sites.index)
    if filters.categories:
        mask &= sites["category"].isin(filters.categories)
    if filters.statuses:
        mask &= sites["status"].isin(filters.statuses)
    if filters.towns:
        mask &= _keyed(sites["town_code"]).isin(filters.towns)
    if filters.years:
        mask &= sites["target_year"].map(year_key).isin(filters.years)
    needle = filters.search.strip().casefold()
    if needle:
        hit = pd.Series(False, index=sites.index)
        for col in SEARCH_COLUMNS:
            if col in sites.columns:
                text = sites[col].astype(object).where(sites[col].notna(), "").astype(str).str.casefold()
                hit |= text.str.contains(needle, regex=False)
        mask &= hit
    return mask


def apply_filters(sites: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The rows of ``sites`` that pass ``filters`` (same columns and type, e.g. a GeoDataFrame)."""
    return sites[filter_mask(sites, filters)]


def filters_text(filters: Filters, lang: str = "zh") -> str | None:
    """The filter in force, in words, for a briefing or workbook (None when nothing is filtered)."""
    from wufei_geo.i18n import category_label, status_label, t

    parts = []
    if filters.categories:
        parts.append(t("filter.category", lang) + ": " + ", ".join(category_label(c, lang) for c in filters.categories))
    if filters.statuses:
        parts.append(t("filter.status", lang) + ": " + ", ".join(status_label(s, lang) for s in filters.statuses))
    if filters.towns:
        parts.append(t("filter.town", lang) + ": " + ", ".join(filters.towns))
    if filters.years:
        parts.append(t("filter.year", lang) + ": " + ", ".join(filters.years))
    if filters.search.strip():
        parts.append(t("filter.search", lang) + ": " + filters.search.strip())
    return "; ".join(parts) or None
