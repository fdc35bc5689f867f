"""What every peer app shares: the located sites of the database in ``WUFEI_DB_URL`` and the
sidebar category filter (same widget, same labels as the real app's)."""
from __future__ import annotations

import os

import pandas as pd
import streamlit as st

from wufei_geo import i18n
from wufei_geo.mapview.style import STATUS_COLOURS, UNKNOWN_COLOUR


@st.cache_resource(show_spinner=False)
def located_sites(url: str) -> pd.DataFrame:
    from wufei_geo.catalog import load_catalog
    from wufei_geo.store import Store

    store = Store.open(url, seed=False)
    try:
        sites = load_catalog(store).sites
    finally:
        store.close()
    loc = sites[sites["display_lon"].notna() & sites["display_lat"].notna()]
    return pd.DataFrame({
        "site_id": loc["site_id"].astype(str).to_numpy(),
        "name": loc["name_zh"].astype(str).to_numpy(),
        "category": loc["category"].astype(str).to_numpy(),
        "status": loc["status"].astype(str).to_numpy(),
        "lon": loc["display_lon"].astype(float).round(5).to_numpy(),
        "lat": loc["display_lat"].astype(float).round(5).to_numpy(),
    })


def colour(status: str) -> str:
    return STATUS_COLOURS.get(status, UNKNOWN_COLOUR)


def filtered() -> pd.DataFrame:
    """The page set-up, the sidebar category filter and the sites it lets through."""
    st.set_page_config(layout="wide")
    sites = located_sites(os.environ["WUFEI_DB_URL"])
    cats = [c for c in i18n.CATEGORY_LABELS if c in set(sites["category"])]
    with st.sidebar:
        chosen = st.multiselect("类别", cats, format_func=lambda c: i18n.category_label(c, "zh"), key="flt_category")
    return sites[sites["category"].isin(chosen)] if chosen else sites
