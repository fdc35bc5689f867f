"""UI helpers every page uses: language, messages, the store, the catalog, the sidebar filters.

Thin: the work is in the core (``wufei_geo``); this module only wires it to Streamlit and
caches it.  The store is cached per database URL (so tests with different databases do not
share one), the catalog per the store's ``data_version()`` (so an edit shows up at once).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from wufei_geo import i18n
from wufei_geo.config import load_settings
from wufei_geo.filters import UNKNOWN, Filters, apply_filters, year_key

if TYPE_CHECKING:
    from wufei_geo.catalog import Catalog

_FILTER_KEYS = ("flt_category", "flt_status", "flt_town", "flt_year", "flt_search")


_last_lang = i18n.DEFAULT_LANG


def lang() -> str:
    """The UI language: ``"zh"`` (default) or ``"en"`` (sidebar toggle in app.py).

    Outside a script run (AppTest formats widget values with the pages' ``format_func`` in its
    own thread, where session state does not exist) it answers the language of the last run."""
    global _last_lang
    if get_script_run_ctx(suppress_warning=True) is None:
        return _last_lang
    value = st.session_state.get("lang", i18n.DEFAULT_LANG)
    _last_lang = "en" if value == "en" else "zh"
    return _last_lang


def tr(key: str, **fmt: Any) -> str:
    """The message ``key`` in the current language."""
    return i18n.t(key, lang(), **fmt)


@st.cache_resource(show_spinner=False)
def _open_store(url: str) -> Any:
    from wufei_geo.store import Store

    return Store.open(url)


def get_store() -> Any:
    """The shared :class:`wufei_geo.store.Store` for the configured database URL."""
    return _open_store(load_settings().db_url)


@st.cache_resource(show_spinner=False, max_entries=4)
def _catalog(url: str, version: str) -> Catalog:
    # ``version`` is only the cache key: a new data version loads a fresh catalog.
    from wufei_geo.catalog import load_catalog

    return load_catalog(_open_store(url))


def catalog_version() -> str:
    """The key of the current data (database URL + the store's data version)."""
    url = load_settings().db_url
    return f"{url}|{get_store().data_version()}"


def catalog_and_version() -> tuple[Catalog, str]:
    """(:func:`get_catalog`, :func:`catalog_version`) from one read of the data version, so the
    two always agree and a rerun asks the database once instead of twice."""
    url = load_settings().db_url
    data_version = get_store().data_version()
    catalog = _catalog(url, data_version)
    show_catalog_warnings(catalog)
    return catalog, f"{url}|{data_version}"


def show_catalog_warnings(catalog: Catalog) -> None:
    """Say what the catalog could not use as stored (issue 15: pages degrade, never fail)."""
    for text in getattr(catalog, "warnings", ()):
        from app_pages.login import md

        st.warning(tr("catalog.degraded", detail=md(text)))


def get_catalog() -> Catalog:
    """The located catalog of the current data; rebuilt only when the data version changes.

    Shared between sessions: callers must not modify it in place (copy first)."""
    url = load_settings().db_url
    catalog = _catalog(url, get_store().data_version())
    show_catalog_warnings(catalog)
    return catalog


@st.cache_resource(show_spinner=False)
def leaflet_asset_base() -> str:
    """URL prefix under which the app serves the bundled Leaflet files (no CDN, works offline).

    Streamlit serves the folder of a declared component at ``/component/<name>/``; declaring
    the asset folder as one is how the files reach the map's iframe without a top-level
    ``static/`` folder.  The component itself is never drawn.
    """
    import streamlit.components.v1 as components

    from wufei_geo.mapview import ASSET_DIR

    component = components.declare_component("leaflet_assets", path=str(ASSET_DIR))
    return f"/component/{component.name}"


def _persist_filter_widgets() -> None:
    # Streamlit drops a widget's state on pages where it is not drawn; re-assigning keeps the
    # filters when the user moves between pages.
    for key in _FILTER_KEYS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def _clear_filters() -> None:
    for key in _FILTER_KEYS:
        st.session_state[key] = "" if key == "flt_search" else []


def sidebar_filters(catalog: Catalog) -> Filters:
    """Draw the filter widgets in the sidebar and return the chosen :class:`Filters`.

    Options are codes; ``format_func`` closes over the language (not session state) so a
    label can be computed outside a script run too (AppTest does)."""
    _persist_filter_widgets()
    L = lang()
    sites = catalog.sites
    town_names = {
        str(c): (en if L == "en" and isinstance(en, str) and en else zh)
        for c, zh, en in zip(catalog.zones["town_code"], catalog.zones["name_zh"], catalog.zones["name_en"], strict=False)
    }
    town_options = list(town_names) + [UNKNOWN]
    # distinct values first: a Python call per site would cost more than the rest of the page
    years = sorted({year_key(v) for v in sites["target_year"].dropna().unique()} - {UNKNOWN})
    if sites["target_year"].isna().any():
        years.append(UNKNOWN)
    present = set(sites["category"].dropna().unique())
    categories = [c for c in i18n.CATEGORY_LABELS if c in present]
    statuses = list(i18n.STATUS_LABELS)

    with st.sidebar:
        st.subheader(tr("filter.header"))
        cat = st.multiselect(
            tr("filter.category"), categories, format_func=lambda c: i18n.category_label(c, L), key="flt_category"
        )
        status = st.multiselect(
            tr("filter.status"), statuses, format_func=lambda s: i18n.status_label(s, L), key="flt_status"
        )
        town = st.multiselect(
            tr("filter.town"),
            town_options,
            format_func=lambda c: i18n.t("filter.no_town", L) if c == UNKNOWN else town_names.get(c, c),
            key="flt_town",
        )
        year = st.multiselect(
            tr("filter.year"), years, format_func=lambda y: i18n.t("filter.no_year", L) if y == UNKNOWN else y, key="flt_year"
        )
        search = st.text_input(tr("filter.search"), key="flt_search")
        st.button(tr("filter.reset"), on_click=_clear_filters, key="flt_reset")
    return Filters(
        categories=tuple(cat or ()),
        statuses=tuple(status or ()),
        towns=tuple(town or ()),
        years=tuple(year or ()),
        search=search or "",
    )


def filtered_sites(catalog: Catalog, filters: Filters) -> Any:
    """The catalog's sites that pass ``filters`` (the core's :func:`wufei_geo.filters.apply_filters`)."""
    return apply_filters(catalog.sites, filters)
