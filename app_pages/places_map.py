"""The map page's places (issue 24): their filters in the sidebar (type, status, search — kept in
the URL with the site filters: ``ptype``, ``pstatus``, ``pq``) and the list of the shown places
under the map, with those placed nowhere (district only) named.  The layer itself is drawn by the
core (:mod:`wufei_geo.mapview.places_layer`)."""
from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app_pages import memo
from app_pages.common import folded, keep_across_language, show_table, tr
from wufei_geo import auth, i18n
from wufei_geo.mapview.places_layer import filter_places
from wufei_geo.places.vocab import PLACE_STATUSES, PLACE_TYPES, status_label, type_label

URL_LISTS = {"ptype": "flt_place_type", "pstatus": "flt_place_status"}
URL_ONE = {"pq": "flt_place_search"}


def choices() -> dict[str, list[str]]:
    """The valid values of the places' URL filters."""
    return {"flt_place_type": [p.code for p in PLACE_TYPES], "flt_place_status": [s.code for s in PLACE_STATUSES]}


def place_filters(catalog: Any, L: str) -> pd.DataFrame:
    """The places' sidebar filters; returns the places they keep (an empty frame when none)."""
    keep_across_language("flt_place_type", "flt_place_status")
    opts = choices()
    with st.sidebar:
        st.subheader(tr("places.filter.header"))
        types = st.multiselect(tr("places.filter.type"), opts["flt_place_type"], format_func=lambda c: type_label(c, L),
                               key="flt_place_type", placeholder=tr("common.all"), select_all=False)
        statuses = st.multiselect(tr("places.filter.status"), opts["flt_place_status"],
                                  format_func=lambda s: status_label(s, L), key="flt_place_status",
                                  placeholder=tr("common.all"), select_all=False)
        query = st.text_input(tr("places.filter.search"), key="flt_place_search")
    places = getattr(catalog, "places", None)
    if places is None:
        return pd.DataFrame()
    # once per catalog's places and choice: a rerun of the map page does not filter them again
    chosen = (tuple(types or ()), tuple(statuses or ()), query or "")
    return memo.derived(places, "shown_places", lambda: filter_places(places, *chosen), *chosen)


def place_table(shown: pd.DataFrame, L: str) -> None:
    """The shown places as a table; those with no point and no area say so."""
    if not len(shown):
        return
    box = folded(tr("places.table.title", n=len(shown)), "map_places_open")  # built when opened
    with box:
        if box.open:
            _places_grid(shown, L)


def _places_grid(shown: pd.DataFrame, L: str) -> None:
    towns = auth.town_names(L)
    name = shown["name_en"].where(shown["name_en"].notna(), shown["name_zh"]) if L == "en" else shown["name_zh"]
    located = shown["display_lon"].notna() | shown["has_area"].fillna(False).astype(bool)
    show_table(pd.DataFrame({
        i18n.t("places.field.id", L): shown["place_id"].to_numpy(),
        i18n.t("field.name", L): name.to_numpy(),
        i18n.t("places.field.type", L): [type_label(c, L) for c in shown["place_type"]],
        i18n.t("places.field.town", L): [None if pd.isna(c) else towns.get(str(c), str(c)) for c in shown["town_code"]],
        i18n.t("places.field.status", L): [status_label(s, L) + (" · " + i18n.t("places.map.claim", L, status=status_label(c, L))
                                                                  if isinstance(c, str) else "")
                                           for s, c in zip(shown["status"], shown["claim_status"], strict=True)],
        i18n.t("places.field.precision", L): [i18n.precision_label(p, L) for p in shown["precision"]],
        i18n.t("places.field.on_map", L): [i18n.t("common.yes" if v else "common.no", L) for v in located],
    }))
    if (~located).any():
        st.caption(tr("places.table.unlocated", n=int((~located).sum())))


def _town_place_lines(places: Any, town_code: str, L: str) -> list[str]:
    from wufei_geo.mdtext import md_literal

    lines = []
    for row in places[places["town_code"] == town_code].to_dict("records"):
        name = row["name_en"] if L == "en" and isinstance(row.get("name_en"), str) and row["name_en"] else row["name_zh"]
        claim = (" · " + i18n.t("places.map.claim", L, status=status_label(row["claim_status"], L))
                 if isinstance(row.get("claim_status"), str) else "")
        lines.append("- " + md_literal(f"{name} — {type_label(row['place_type'], L)} — "
                                       f"{status_label(row['status'], L)}{claim} ({row['place_id']})"))
    return lines


def town_places(catalog: Any, town_code: str | None, L: str) -> None:
    """The 街镇 page's list of one town's places (what exists, at which status), as escaped lines
    (built once per catalog, town and language)."""
    places = getattr(catalog, "places", None)
    if places is None or town_code is None:
        return
    lines = memo.derived(catalog, "town_places", lambda: _town_place_lines(places, town_code, L), town_code, L)
    st.markdown("**" + tr("places.town.title", n=len(lines)) + "**")
    if not lines:
        st.caption(tr("places.town.none"))
    for line in lines:
        st.markdown(line)
