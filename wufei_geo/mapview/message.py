"""The page's message to an open map: which of its sites the filter shows, the selection, the
emphasis, the shading and the legend of the shown sites — a few hundred bytes where a new map
would be the whole payload.

The app draws one map of every site it may show (:func:`~wufei_geo.mapview.build.build_map` of
the whole catalog) and, for each filter, sends this message; the renderer asset applies it in
the open map (``WufeiMap.apply``: ``R.apply`` in ``site_renderer.js``) without redrawing
anything else.  The filter rule itself stays the core's (:func:`wufei_geo.filters.apply_filters`):
the message carries its outcome, a bit per site in the map's drawing order (:func:`site_order`).
"""
from __future__ import annotations

import base64

import folium
import numpy as np
import pandas as pd

from wufei_geo.filters import Filters, apply_filters
from wufei_geo.mapview.build import shade_properties, zone_shading, zones_approximate
from wufei_geo.mapview.emphasis import badge_plan
from wufei_geo.mapview.geometry import mapped_sites
from wufei_geo.mapview.legend import legend_html
from wufei_geo.mapview.renderer import site_layers


def site_order(m: folium.Map) -> list[str]:
    """The site ids of a built map in the renderer's order: layer by layer, row by row."""
    out: list[str] = []
    for layer in site_layers(m):
        prefix = layer.payload.get("ip")
        out.extend(str(i) if prefix is None else f"{prefix}{i}" for i in layer.payload["i"])
    return out


def shown_mask(order: list[str], shown_ids: set[str]) -> str:
    """Base64 of the bit set over ``order`` (bit k of byte k // 8, least significant first)."""
    bits = np.fromiter((s in shown_ids for s in order), dtype=bool, count=len(order))
    return base64.b64encode(np.packbits(bits, bitorder="little").tobytes()).decode("ascii")


def map_message(
    order: list[str],
    shown: pd.DataFrame,
    zones: pd.DataFrame | None,
    towns: pd.DataFrame | None,
    *,
    lang: str,
    basemap: str,
    choropleth: str | None,
    selected: str | None = None,
    focus: bool = False,
) -> dict:
    """The message for the sites ``shown`` (the filtered catalog rows) on a map of ``order``.

    ``selected`` is marked; with ``focus`` the map centres on it and opens its popup (a link named
    it).  ``zones`` carries the shading of the shown sites when ``choropleth`` is set."""
    lang = "en" if lang == "en" else "zh"
    located = mapped_sites(shown)
    msg: dict = {
        "mask": shown_mask(order, set(located["site_id"].astype(str))),
        "badges": badge_plan(located).drawn_bits,
        "select": selected,
        "focus": bool(focus and selected),
        "zones": None,
    }
    choro_info = None
    if zones is not None and len(zones) and choropleth:
        shades, choro_info = zone_shading(shown, zones, towns, lang, choropleth)
        if shades is not None and choro_info is not None:
            msg["zones"] = {str(c): shade_properties(str(c), lang, shades, choro_info) for c in zones["town_code"]}
    msg["legend"] = legend_html(lang, located, choro_info, basemap, approx_zones=zones_approximate(zones))
    return msg


# the sidebar's multiselects and the Filters field each one sets
_WIDGET_FIELDS = {"flt_category": "categories", "flt_status": "statuses", "flt_town": "towns", "flt_year": "years"}


def option_masks(order: list[str], sites: pd.DataFrame, labels: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Per filter widget, per option (by the label its chip shows): the bit set over ``order`` of
    the sites that option alone lets through — by the core's rule (:func:`apply_filters`), so
    the map can combine chips the user just picked before the page reruns (OR within a widget,
    AND across widgets).  ``labels``: widget key → {option code: label}."""
    located = mapped_sites(sites)
    out: dict[str, dict[str, str]] = {}
    for key, options in labels.items():
        field_name = _WIDGET_FIELDS[key]
        out[key] = {
            label: shown_mask(order, set(apply_filters(located, Filters(**{field_name: (code,)}))["site_id"].astype(str)))
            for code, label in options.items()
        }
    return out


def search_mask(order: list[str], sites: pd.DataFrame, search: str) -> str | None:
    """The bit set of the sites the search text lets through (None: no search)."""
    if not search.strip():
        return None
    return shown_mask(order, set(apply_filters(mapped_sites(sites), Filters(search=search))["site_id"].astype(str)))
