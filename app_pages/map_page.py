"""地图 / Map: every facility by town, with the same filtered set in a table below.

The page script is ``app_pages/pages/map.py``, which only calls :func:`render`: a page script is
executed anew on every run, and its cached functions would be wrapped again each time (Streamlit
reads each decorated function's source to key its cache: ~10 ms per run on the shared machine);
this module is imported once.

The map holds every site the filters may show: it is built by :func:`wufei_geo.mapview.build_map`
from the whole catalog once per (data version, basemap, language, shading) and what
``st_folium`` would derive from it (the rendered page, its Leaflet script, header, asset links)
is derived once too — :func:`_map_component`, through :mod:`app_pages.folium_adapter` (the one
user of streamlit-folium's private names).  A filter (the one set the table and the exports
use too) reaches the open map as a small message (:func:`wufei_geo.mapview.message.map_message`:
a bit per site, the shading and legend of the shown sites, the selection) that the map applies
in place, before the rest of the page is drawn again.  What does not depend on the filter is
computed once per (data version, language) and sliced by it: every site's popup texts
(:func:`_site_texts`) and the display table (:func:`_full_table`).  The map reports clicks only:
panning and zooming never rerun the page; the map writes its view into the address itself
(``view=lat,lng,zoom``), and a link with a view opens there.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from app_pages import folium_adapter, memo, places_map
from app_pages.common import (
    catalog_and_version,
    catalog_version,
    filter_choices,
    filter_labels,
    filtered_sites,
    folded,
    keep_across_language,
    lang,
    leaflet_asset_base,
    show_table,
    sidebar_filters,
    tr,
)
from wufei_geo import i18n, mapview
from wufei_geo.config import load_settings
from wufei_geo.mapview import message as map_message
from wufei_geo.mapview import tiles
from wufei_geo.mdtext import md_literal
from wufei_geo.values import is_unknown, number_text


def _ids_key(site_ids: tuple[str, ...]) -> str:
    """A short digest of the filtered site ids, used as the cache key in their place.

    Streamlit hashes a tuple argument element by element on every call; for 10,000 ids that
    cost more than the whole cached rerun.  The filtered frame itself travels as ``_sites`` (a
    leading underscore: not hashed)."""
    return hashlib.blake2b(json.dumps(site_ids, ensure_ascii=False).encode("utf-8"), digest_size=16).hexdigest()


# --- the view in the URL -------------------------------------------------------------------
# The filters, the shading, the basemap and the selected site live in the URL's query, so a
# copied link opens the same view.  The URL is read when it carries a view this page did not
# write itself (a link opened, or typed); otherwise the page writes its state to it.
URL_LISTS = {"cat": "flt_category", "status": "flt_status", "town": "flt_town", "year": "flt_year",
             **places_map.URL_LISTS}
URL_ONE = {"q": "flt_search", "shade": "map_choropleth", "base": "map_basemap", "site": "map_selected",
           **places_map.URL_ONE}
URL_SIG_KEY = "map_url_sig"
# the map's view, written into the address by the map itself (folium_runtime.js), never by a rerun
URL_VIEW = "view"


def _url_sig(params: dict[str, str]) -> str:
    return json.dumps(sorted((k, v) for k, v in params.items() if k != URL_VIEW), ensure_ascii=False)


def _url_view() -> dict[str, Any]:
    """``{center, zoom}`` of the address's ``view=lat,lng,zoom`` ({} when absent or malformed)."""
    try:
        lat, lng, zoom = (float(v) for v in st.query_params.get(URL_VIEW, "").split(","))
    except ValueError:
        return {}
    if not (-90 <= lat <= 90 and -180 <= lng <= 180 and 0 <= zoom <= mapview.MAX_ZOOM):
        return {}
    return {"center": (lat, lng), "zoom": zoom}


def _view_from_url(choices: dict[str, list[str]]) -> None:
    """Session state from the URL's query (values not among ``choices`` are ignored)."""
    params = st.query_params.to_dict()
    if not params or _url_sig(params) == st.session_state.get(URL_SIG_KEY):
        return
    for name, key in URL_LISTS.items():
        wanted = [v for v in params.get(name, "").split(",") if v]
        st.session_state[key] = [v for v in wanted if v in choices[key]]
    for name, key in URL_ONE.items():
        value = params.get(name)
        if key in ("flt_search", "flt_place_search"):
            st.session_state[key] = value or ""
        elif key == "map_selected":
            st.session_state[key] = value or None
            # a link that names a site: the map centres on it and opens its popup, once
            st.session_state["map_focus"] = bool(value)
        elif value in choices[key]:
            st.session_state[key] = value
        else:
            st.session_state.pop(key, None)


def _view_to_url() -> None:
    params: dict[str, str] = {}
    for name, key in URL_LISTS.items():
        if st.session_state.get(key):
            params[name] = ",".join(str(v) for v in st.session_state[key])
    if st.query_params.get(URL_VIEW):  # the map's own, kept as it wrote it
        params[URL_VIEW] = st.query_params[URL_VIEW]
    defaults = {"map_choropleth": "none", "map_basemap": "none"}
    for name, key in URL_ONE.items():
        value = st.session_state.get(key)
        if value not in (None, "", defaults.get(key)):
            params[name] = str(value)
    if params != st.query_params.to_dict():
        st.query_params.from_dict(params)
    st.session_state[URL_SIG_KEY] = _url_sig(params)


def _controls(catalog: Any, token: str, L: str) -> tuple[pd.DataFrame, str, str]:
    """The view from the URL, the sidebar filters, the basemap and shading choices: (shown, basemap, shading)."""
    basemaps = tiles.available_basemaps(token)
    choro_options = ["none", *mapview.CHOROPLETH_MEASURES]
    _view_from_url({**filter_choices(catalog), "map_basemap": basemaps, "map_choropleth": choro_options,
                    **places_map.choices()})
    keep_across_language("map_basemap", "map_choropleth")
    shown = filtered_sites(catalog, sidebar_filters(catalog))
    # one row of two (a horizontal container: one block on every rerun where columns sent three)
    row = st.container(horizontal=True)
    basemap = row.selectbox(tr("map.basemap"), basemaps, format_func=lambda b: i18n.t(f"basemap.{b}", L),
                              key="map_basemap", placeholder=tr("common.choose"))
    choropleth = row.selectbox(tr("map.choropleth"), choro_options, format_func=lambda c: i18n.t(f"choropleth.{c}", L),
                                 key="map_choropleth", placeholder=tr("common.choose"))
    if tiles.basemap_datum(basemap) == "gcj02":
        st.caption(tr("map.basemap_amap_note"))
    return shown, basemap, choropleth


MAP_KEY = "map"
# How often an open map asks whether the data changed (issue 18: another user's saved edit shows
# within 10 s without a reload).  The check is one cheap query (Store.data_version); the page —
# and with it the map — reruns only when the answer differs from the data this page shows.
LIVE_CHECK_S = 4
# clicks only: a reported centre or zoom would rerun the page on every pan and zoom
MAP_RETURNED = ("last_active_drawing", "last_object_clicked")


def _map_component(catalog: Any, version: str, basemap: str, lang: str, choropleth: str, token: str,
                   places_key: str, places: pd.DataFrame | None) -> tuple[dict[str, Any], list[str]]:
    """(the component arguments of the map of every site and of the filtered places
    (``places_key``: their ids' digest), the site ids in its drawing order), computed once per
    (data version, basemap, language, shading, places) (:mod:`app_pages.folium_adapter`).

    The catalog of ``version`` and the places are read only on a miss.  The component key depends
    only on the basemap (the page header differs by basemap): another language, shading or a saved
    edit redraws the open Leaflet map in place instead of reloading the map's iframe
    (``folium_adapter.live_args``); a filter is a message to it (:func:`_message`).
    """
    def build() -> tuple[dict[str, Any], list[str]]:
        m = _build_map(catalog, version, catalog.sites, basemap, lang, choropleth, token, places)
        order = map_message.site_order(m)
        args = folium_adapter.component_args(m, MAP_KEY, MAP_RETURNED)
        return folium_adapter.live_args(args, key=f"{MAP_KEY}-{basemap}"), order
    return memo.once("map", (version, basemap, lang, choropleth, token, places_key), build, 16)


def _message(catalog: Any, version: str, order: list[str], shown: pd.DataFrame, ids_key: str, basemap: str, lang: str,
             choropleth: str, selected: str | None, focus: bool, search: str = "") -> str:
    """The open map's message for the shown sites (``ids_key``: their digest), as the script that
    applies it."""
    def build() -> str:
        msg = map_message.map_message(order, shown, catalog.zones, catalog.towns, lang=lang, basemap=basemap,
                                      choropleth=None if choropleth == "none" else choropleth,
                                      selected=selected, focus=focus)
        spec = {"options": _option_masks(catalog, version, order, lang),
                "search": map_message.search_mask(order, catalog.sites, search)}
        # the map applies the message; the app's runtime then follows the sidebar's chips itself
        return ("WufeiMap.apply(window.map, " + mapview.safe_json(msg) + ");\n"
                "if (window.__wfWatchFilters) __wfWatchFilters(" + mapview.safe_json(spec) + ");")
    return memo.once("map_message", (version, ids_key, basemap, lang, choropleth, selected, focus, search), build, 64)


def _option_masks(catalog: Any, version: str, order: list[str], lang: str) -> dict:
    """Per sidebar option, the sites it lets through (``map_message.option_masks``), once per
    data version and language."""
    return memo.once("option_masks", (version, lang),
                     lambda: map_message.option_masks(order, catalog.sites, filter_labels(catalog, lang)), 4)


def _show_map(args: dict[str, Any], *, height: int, center: Any, zoom: Any) -> dict | None:
    return folium_adapter.show(args, key=MAP_KEY, returned_objects=MAP_RETURNED, height=height, center=center, zoom=zoom)


def _site_texts(catalog: Any, version: str, lang: str) -> mapview.SiteTexts:
    """Every located site's popup texts in ``lang``, once per data version: a filter change then
    only slices them (the costly part of building a map)."""
    return memo.once("site_texts", (version, lang), lambda: mapview.site_texts(
        catalog.sites, lang, mapview.town_names(catalog.zones, catalog.towns, lang)), 4)


def _build_map(cat: Any, version: str, sites: pd.DataFrame, basemap: str, lang: str, choropleth: str, token: str,
               places: pd.DataFrame | None = None):
    return mapview.build_map(
        sites,
        cat.zones,
        cat.district,
        basemap=basemap,
        lang=lang,
        choropleth=None if choropleth == "none" else choropleth,
        towns=cat.towns,
        tianditu_token=token,
        asset_base=leaflet_asset_base(),
        texts=_site_texts(cat, version, lang),
        places=places,
    )


def _full_table(catalog: Any, version: str, lang: str) -> pd.DataFrame:
    """The display table of every site, once per (data version, language); a filter picks rows.
    Shared: callers must not modify it."""
    return memo.once("site_table", (version, lang), lambda: _build_full_table(catalog, lang), 4)


def _build_full_table(cat: Any, lang: str) -> pd.DataFrame:
    sites = cat.sites
    names = mapview.town_names(cat.zones, cat.towns, lang)
    name_col, other_col = ("name_en", "name_zh") if lang == "en" else ("name_zh", "name_en")
    name = sites[name_col].where(sites[name_col].notna() & (sites[name_col].astype(str) != ""), sites[other_col])
    cap = [
        None if is_unknown(v) else f"{number_text(v, 'compact')} {i18n.unit_label(u, lang)}".strip()
        for v, u in zip(pd.to_numeric(sites["capacity_value"], errors="coerce"), sites["capacity_unit"], strict=False)
    ]
    precision = sites["display_precision"].where(sites["display_precision"].notna(), sites["precision"])
    return pd.DataFrame(
        index=sites.index,
        data={
            i18n.t("field.site_id", lang): sites["site_id"].astype(str).to_numpy(),
            i18n.t("field.name", lang): name.to_numpy(),
            i18n.t("field.category", lang): [i18n.category_label(c, lang) for c in sites["category"]],
            i18n.t("field.town", lang): [
                None if pd.isna(c) else names.get(str(c), str(c)) for c in sites["town_code"]
            ],
            i18n.t("field.status", lang): [i18n.status_label(s, lang) for s in sites["status"]],
            i18n.t("field.capacity", lang): cap,
            i18n.t("field.target_year", lang): pd.to_numeric(sites["target_year"], errors="coerce").astype("Int64").to_numpy(),
            i18n.t("field.precision", lang): [i18n.precision_label(p, lang) for p in precision],
            i18n.t("field.overdue", lang): sites["overdue"].fillna(False).astype(bool).to_numpy(),
        },
    )


def _table(catalog: Any, version: str, shown: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The rows of ``shown`` (filtered rows of the catalog of ``version``, same index), in order."""
    return _full_table(catalog, version, lang).loc[shown.index].reset_index(drop=True)


def _react_once(state_key: str, picked: str | None, ids: tuple[str, ...], selected: str | None) -> None:
    """A click on the map or a pick in the panel selects that site, once per click."""
    if picked == st.session_state.get(state_key):
        return
    st.session_state[state_key] = picked
    if picked is not None and picked in ids and picked != selected:
        st.session_state["map_selected"] = picked
        _view_to_url()
        st.rerun()


def _map(args: dict[str, Any], ids: tuple[str, ...], selected: str | None, focus: bool, message: str) -> None:
    """The map; a clicked marker selects its site."""
    # The view of the address (a link, or the page opened again) is handed over once, when the map
    # is new in the browser, and kept as it was (the component moves the map only when it changes):
    # a map that is already showing keeps its own view.  A link that names a site centres on it.
    fresh = args["key"] not in st.session_state
    if fresh:
        st.session_state["map_view_start"] = {} if focus else _url_view()
    view = st.session_state.get("map_view_start", {})
    # the map the open iframe already shows is not sent again: only the message that follows it
    if not fresh and st.session_state.get("map_sent_token") == args["token"]:
        args = folium_adapter.already_shown(args)
    st.session_state["map_sent_token"] = args["token"]
    out = _show_map(folium_adapter.with_message(args, message), height=600, center=view.get("center"), zoom=view.get("zoom"))
    if not out:
        return
    drawing = out.get("last_active_drawing") or {}
    clicked = (drawing.get("properties") or {}).get("site_id") if isinstance(drawing, dict) else None
    if clicked:
        _react_once("map_clicked", clicked, ids, selected)


def _unlocated_panel(table_of: Callable[[], pd.DataFrame], shown: pd.DataFrame, unlocated: pd.DataFrame,
                     ids: tuple[str, ...], ids_key: str, selected: str | None, L: str) -> None:
    """Sites with no coordinate and no known town: not drawn at made-up points, listed here (folded:
    the panel, and ``table_of()``, are built when it is opened)."""
    box = folded(tr("map.unlocated.title", n=len(unlocated)), "map_unlocated_open")
    with box:
        if not box.open:
            return
        st.caption(tr("map.unlocated.help"))
        table = table_of()
        cols = [i18n.t(k, L) for k in ("field.name", "field.category", "field.status", "field.capacity")]
        panel = table.loc[[shown.index.get_loc(i) for i in unlocated.index], [i18n.t("field.site_id", L), *cols]]
        panel = panel.reset_index(drop=True)
        panel_ids = panel[i18n.t("field.site_id", L)].tolist()
        event = show_table(
            panel[cols], height=min(38 + 35 * len(panel), 520),
            on_select="rerun", selection_mode="single-row", key=f"map_unlocated_{ids_key}",
        )
        rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
        _react_once("map_unlocated_pick", panel_ids[rows[0]] if rows and rows[0] < len(panel_ids) else None,
                    ids, selected)


def _selected_line(shown: pd.DataFrame, selected: str, L: str) -> None:
    """The line naming the selected site."""
    row = shown[shown["site_id"].astype(str) == selected].iloc[0]
    label = row["name_en"] if L == "en" and isinstance(row["name_en"], str) and row["name_en"] else row["name_zh"]
    st.info(tr("map.selected", name=md_literal(str(label)), site_id=md_literal(selected)))


def _selected_first(table: pd.DataFrame, selected: str | None) -> pd.DataFrame:
    """The table with the selected site's row on top."""
    if selected is None:
        return table
    id_col = table.columns[0]
    return pd.concat([table[table[id_col] == selected], table[table[id_col] != selected]], ignore_index=True)


@st.fragment(run_every=LIVE_CHECK_S)
def _follow_saved_edits(shown_version: str) -> None:
    """Rerun the page when the data changed since it was drawn (a save in another session);
    otherwise do nothing: only this fragment runs, the map is neither rebuilt nor resent.  In the
    page's own run the version was just read (``shown_version``): the database is asked only
    when the fragment runs alone."""
    ctx = get_script_run_ctx()
    if ctx is None or not ctx.fragment_ids_this_run:
        return
    if catalog_version() != shown_version:
        st.rerun(scope="app")



def render() -> None:
    L = lang()
    catalog, version = catalog_and_version()
    st.title(tr("map.title"))
    token = load_settings().tianditu_token.strip()
    shown, basemap, choropleth = _controls(catalog, token, L)
    shown_places = places_map.place_filters(catalog, L)  # issue 24: places, their own layer
    ids = tuple(shown["site_id"].astype(str))
    ids_key = _ids_key(ids + tuple(f"place:{p}" for p in shown_places.get("place_id", [])))
    selected = st.session_state.get("map_selected")
    if selected is not None and selected not in ids:
        selected = None
    # The selection is marked in the open map by the message (a ring; no rebuild, so the popup the
    # user just opened stays), and shown in the table and the line above it.
    # a link's site is centred once, when its map is new in the browser: a URL read again later (a
    # rerun that raced the address) must not pull the map away from what the user is doing
    focus = (bool(st.session_state.pop("map_focus", False)) and selected is not None
             and f"{MAP_KEY}-{basemap}" not in st.session_state)
    places_key = _ids_key(tuple(str(p) for p in shown_places.get("place_id", [])))
    args, order = _map_component(catalog, version, basemap, L, choropleth, token, places_key, shown_places)
    script = _message(catalog, version, order, shown, ids_key, basemap, L, choropleth, selected, focus,
                      str(st.session_state.get("flt_search") or ""))
    # The panel of unlocated sites sits right under the map, not in a column beside it: the map keeps
    # the page's full width, so at the opening zoom the legend fits beside the district, not over it.
    _map(args, ids, selected, focus, script)
    unlocated = memo.derived(shown, "unlocated", lambda: shown.drop(index=mapview.mapped_sites(shown).index))
    # the tables are folded (common.folded): the map's frame is created before any data grid loads,
    # and a rerun builds a table only while it is open
    if len(unlocated):
        _unlocated_panel(lambda: _table(catalog, version, shown, L), shown, unlocated, ids, ids_key, selected, L)
    st.markdown(tr("map.count", shown=len(shown), total=len(catalog.sites)))
    if len(unlocated):
        st.caption(tr("map.no_location", n=len(unlocated)))
    if selected is not None:
        _selected_line(shown, selected, L)
    places_map.place_table(shown_places, L)  # above the sites' table, which stays the page's last
    box = folded(tr("map.table"), "map_table_open")
    with box:
        if box.open:
            show_table(_selected_first(_table(catalog, version, shown, L), selected))
    st.caption(tr("map.share_hint"))
    _view_to_url()
    _follow_saved_edits(version)

