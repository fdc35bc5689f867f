"""The map itself: :func:`build_map` puts the basemap, zones, district, links and site layers together."""
from __future__ import annotations

from typing import Any

import folium
import numpy as np
import pandas as pd
import shapely
from branca.element import Element

from wufei_geo import analysis, i18n, model
from wufei_geo.i18n import t
from wufei_geo.mapview.emphasis import DETAIL_ZOOM, badge_plan
from wufei_geo.mapview.geometry import (
    feature_collection,
    geom_for_display,
    label_anchor,
    mapped_sites,
    to_display_datum,
)
from wufei_geo.mapview.legend import Legend, legend_html
from wufei_geo.mapview.links import service_links
from wufei_geo.mapview.measures import CHOROPLETH_MEASURES, town_figures, town_names
from wufei_geo.mapview.payload import (
    CAPACITY_FIELD,
    POPUP_FIELDS,
    SITE_COORD_DECIMALS,
    SiteTexts,
    StringTable,
    site_payloads,
)
from wufei_geo.mapview.places_layer import add_places
from wufei_geo.mapview.renderer import (
    FitDistrict,
    MetricScale,
    SafeGeoJson,
    SiteLayer,
    SiteRenderer,
    ZoneLabels,
)
from wufei_geo.mapview.style import CATEGORY_GLYPHS, MARKER_BADGES, STATUS_COLOURS, UNKNOWN_COLOUR
from wufei_geo.mapview.tiles import BASEMAP_REGISTRY, BASEMAPS, TILES, use_local_assets
from wufei_geo.values import is_unknown

CLUSTER_THRESHOLD = 2000  # more mapped sites than this → marker clustering
MIN_ZOOM, MAX_ZOOM = 0, 19  # always in the L.map options (the cluster plugin needs maxZoom)
ZONE_SIMPLIFY_DEG = 0.0002  # ≈ 20 m; town zones are approximate or coarse anyway
DEFAULT_CENTER = (31.15394, 121.11408)
DISTRICT_ZOOM = 10.5  # Qingpu district seat (GeoNames 1797798)
# the opening view puts the district this far right of / below the map's centre (legend room)
LEGEND_ROOM_PX = (60, 40)
FOCUS_ZOOM = 14  # a site a link names is shown at least this close


def _zone_label(row: Any, lang: str) -> str:
    name = row.name_en if lang == "en" and not is_unknown(getattr(row, "name_en", None)) else row.name_zh
    return str(name)


def build_map(
    sites: pd.DataFrame,
    zones: pd.DataFrame | None,
    district: pd.DataFrame | None,
    *,
    basemap: str = "none",
    lang: str = "zh",
    choropleth: str | None = None,
    towns: pd.DataFrame | None = None,
    tianditu_token: str = "",
    selected_site: str | None = None,
    asset_base: str | None = None,
    texts: SiteTexts | None = None,
    places: pd.DataFrame | None = None,
) -> folium.Map:
    """The facility map of ``sites`` (already filtered) over the town zones and district outline.

    ``sites`` follows the catalog contract (``SITE_COLUMNS`` + ``display_lon``, ``display_lat``,
    ``display_precision``, ``overdue``, ``last_change``); sites without a display point are left off
    the map.  ``basemap`` is one of :data:`BASEMAPS`; ``"tianditu"`` needs ``tianditu_token``.
    ``choropleth`` is None or one of :data:`CHOROPLETH_MEASURES`.  ``asset_base``: see
    :func:`use_local_assets` (None keeps folium's CDN links).  ``texts``: the :func:`site_texts` of
    these sites or of a superset (e.g. the whole catalog, computed once), so a filtered map does
    not recompute every site's popup texts; ignored when its language differs.
    """
    _check_arguments(basemap, tianditu_token, choropleth)
    lang = "en" if lang == "en" else "zh"
    m = _base_map(basemap, lang, tianditu_token.strip())
    names = town_names(zones, towns, lang)
    strings = StringTable()
    payloads, popup_tables = site_payloads(sites, lang, basemap, strings, names, texts=texts)
    zone_layer, zone_labels, choro_info = _zone_layer(sites, zones, towns, basemap, lang, choropleth)
    renderer = _site_renderer(strings, popup_tables, lang, badge_plan(mapped_sites(sites)).drawn_bits)
    m.add_child(renderer)
    rname = renderer.get_name()
    fit = None
    if district is not None and len(district):
        fit = _add_district(m, district, basemap, lang)
    if zone_layer is not None:
        zone_layer.options_js = zone_layer.options_js.replace("{renderer}", rname)
        zone_layer.add_to(m)
        if zone_labels:
            m.add_child(ZoneLabels(zone_labels, renderer))
    links = service_links(sites, towns, zones, names, lang, basemap)
    if links:
        SafeGeoJson(feature_collection(links), t("map.service_links", lang), f"WufeiMap.linkOptions({rname})",
                    kind="links").add_to(m)
    _add_site_layers(m, payloads, renderer, lang)
    if selected_site is not None:
        _add_selection(m, sites, selected_site, basemap)
    m.add_child(Legend(legend_html(lang, mapped_sites(sites), choro_info, basemap, approx_zones=zones_approximate(zones))))
    m.add_child(MetricScale())
    add_places(m, places, lang, basemap)  # issue 24: places are their own layer (None: none drawn)
    folium.LayerControl(collapsed=True).add_to(m)
    if fit is not None:  # after the zones and the legend: it keeps the legend off them
        m.add_child(FitDistrict(fit, renderer))
    if asset_base is not None:
        use_local_assets(m, asset_base)
    return m


def _check_arguments(basemap: str, tianditu_token: str, choropleth: str | None) -> None:
    if basemap not in BASEMAPS:
        raise ValueError(f"unknown basemap {basemap!r}; expected one of {BASEMAPS}")
    if BASEMAP_REGISTRY[basemap].needs_token and not tianditu_token.strip():
        raise ValueError(f"the {basemap} basemap needs a token (settings: tianditu_token / WUFEI_TIANDITU_TOKEN)")
    if choropleth is not None and choropleth not in CHOROPLETH_MEASURES:
        raise ValueError(f"unknown choropleth measure {choropleth!r}; expected one of {CHOROPLETH_MEASURES}")


def _base_map(basemap: str, lang: str, token: str) -> folium.Map:
    """The Leaflet map with the basemap's tile layers (and its label layer), or a plain background."""
    m = folium.Map(
        location=DEFAULT_CENTER,
        zoom_start=11,
        tiles=None,
        prefer_canvas=True,
        control_scale=False,  # MetricScale below: metres only
        max_zoom=MAX_ZOOM,
    )
    # folium hands max_zoom only to the tile layer it creates; with no tile layer (basemap "none")
    # L.map would have no maxZoom and the cluster plugin throws "Map has no maxZoom specified".
    m.options["max_zoom"] = MAX_ZOOM
    m.options["min_zoom"] = MIN_ZOOM
    m.options["zoom_snap"] = 0.25
    if basemap == "none":
        m.get_root().header.add_child(
            Element(f"<style>#{m.get_name()}{{background:#f3f1ea}}</style>"), name="wf_nobasemap"
        )
        return m
    spec = TILES[basemap]
    attr = t(f"attr.{basemap}", lang)
    name = t(f"basemap.{basemap}", lang)
    layers = [(spec["tiles"], name, False)] + ([(spec["labels"], name + " labels", True)] if spec.get("labels") else [])
    for tiles, layer_name, overlay in layers:
        folium.TileLayer(
            tiles=tiles.replace("{token}", token),
            attr=attr,
            name=layer_name,
            subdomains=spec.get("subdomains", "abc"),
            max_zoom=spec["max_zoom"],
            overlay=overlay,
            control=False,
        ).add_to(m)
    return m


def _zone_layer(sites: pd.DataFrame, zones: pd.DataFrame | None, towns: pd.DataFrame | None, basemap: str, lang: str,
                choropleth: str | None) -> tuple[SafeGeoJson | None, list[dict], dict | None]:
    """(the zones layer, the zone labels at their anchors, the choropleth's legend info) — None/[]/None without zones."""
    if zones is None or not len(zones):
        return None, [], None
    layer_name = t("map.zones_approx" if zones_approximate(zones) else "map.zones", lang)
    shades, choro_info = zone_shading(sites, zones, towns, lang, choropleth)
    feats, labels = [], []
    for row in zones.itertuples(index=False):
        geom = geom_for_display(row.geometry, basemap, simplify=ZONE_SIMPLIFY_DEG)
        if geom is None or geom.is_empty:
            continue
        props = _zone_properties(row, lang, shades, choro_info)
        anchor = label_anchor(geom)
        if anchor is not None:
            label = {"code": props["code"], "lng": round(anchor[0], 6), "lat": round(anchor[1], 6), "name": props["name"]}
            if "mshort" in props:
                label["sub"] = props["mshort"]
            labels.append(label)
        feats.append({"type": "Feature", "geometry": shapely.geometry.mapping(geom), "properties": props})
    # the labels are their own layer at fixed anchors (ZoneLabels); the zone itself has a hover tooltip
    zone_opts = "WufeiMap.zoneOptions({renderer})"  # style and hover tooltip (renderer asset)
    return SafeGeoJson(feature_collection(feats), layer_name, zone_opts, kind="zones"), labels, choro_info


def zones_approximate(zones: pd.DataFrame | None) -> bool:
    """Whether any zone's boundary is approximate (the legend then explains the dashed outline)."""
    return bool(zones is not None and "boundary_quality" in zones and (zones["boundary_quality"] == "approximate").any())


def zone_shading(sites: pd.DataFrame, zones: pd.DataFrame, towns: pd.DataFrame | None, lang: str,
                 choropleth: str | None) -> tuple[dict[str, dict] | None, dict | None]:
    """(town code → shade, the legend's shading info) of ``sites`` — (None, None) unshaded.

    Values, classes, labels and colours are the analysis core's (one owner, issue 11)."""
    if not choropleth:
        return None, None
    scale, shades = analysis.town_shading(town_figures(sites, zones, towns), choropleth, lang)
    choro_info = {"label": t(f"choropleth.{choropleth}", lang), "labels": scale.labels,
                  "colours": scale.colours, "unknown_colour": scale.unknown_colour,
                  "counts": scale.counts, "unknown_count": scale.unknown_count}
    return shades, choro_info


def shade_properties(code: str, lang: str, shades: dict[str, dict], choro_info: dict) -> dict[str, object]:
    """The properties a shaded zone carries (fill, texts, value) for town ``code``."""
    unknown = t("common.unknown", lang)
    shade = shades.get(code) or {"value": None, "text": unknown, "label": unknown, "fill": UNKNOWN_COLOUR}
    return {"mlabel": choro_info["label"], "fill": shade["fill"], "mtext": shade["text"],
            "mshort": shade["label"], "mvalue": shade["value"]}


def _zone_properties(row: Any, lang: str, shades: dict[str, dict] | None, choro_info: dict | None) -> dict[str, object]:
    approx = getattr(row, "boundary_quality", None) == "approximate"
    props: dict[str, object] = {"name": _zone_label(row, lang), "approx": approx, "code": str(row.town_code)}
    if shades is not None and choro_info is not None:
        props.update(shade_properties(str(row.town_code), lang, shades, choro_info))
    return props


def _site_renderer(strings: StringTable, popup_tables: dict, lang: str, badge_on: int) -> SiteRenderer:
    """The renderer asset's per-map configuration: string table, labels, colours, badges."""
    return SiteRenderer(
        {
            "S": strings.items,
            "G": popup_tables["G"],
            "low": popup_tables["low"],
            "capField": CAPACITY_FIELD,
            "townField": POPUP_FIELDS.index("field.town"),
            "st": [[i18n.status_label(s, lang), STATUS_COLOURS[s]] for s in model.STATUSES],
            "cat": {c: i18n.category_label(c, lang) for c in model.CATEGORIES},
            "glyph": {c: g[1 if lang == "en" else 0] for c, g in CATEGORY_GLYPHS.items()},
            "fields": [t(k, lang) for k in POPUP_FIELDS],
            "lab": {
                "category": t("field.category", lang),
                "status": t("field.status", lang),
                "overdue": t("field.overdue", lang),
                "yes": t("common.yes", lang),
                "same": t("map.same_place", lang),
                "stack": t("map.stack.tip", lang),
                "stackList": t("map.stack.list", lang),
                "stackBack": t("map.stack.back", lang),
            },
            "detailZoom": DETAIL_ZOOM,
            "badgeOn": badge_on,  # the badges drawn (emphasis.badge_plan); the others are in the legend
            "focusZoom": FOCUS_ZOOM,
            # [column, glyph, label, fill, text colour, corner] of each marker badge, in bit order
            # (style.MARKER_BADGES)
            "badges": [[b.column, b.glyph, t(b.label_key, lang), b.colour, b.text_colour, b.corner] for b in MARKER_BADGES],
            "unknown": t("common.unknown", lang),
            "unknownColour": UNKNOWN_COLOUR,
            "approx": t("common.approximate_extent", lang),
        }
    )


def _add_district(m: folium.Map, district: pd.DataFrame, basemap: str, lang: str) -> list[list[float]]:
    """The district outline, and the opening view that holds the whole district (a first guess
    for a ~900×600 px map; the browser fits it to the map's real size: its bounds are returned)."""
    d_feats = []
    for geom in district.geometry:
        g = geom_for_display(geom, basemap, simplify=ZONE_SIMPLIFY_DEG)
        if g is not None and not g.is_empty:
            d_feats.append({"type": "Feature", "geometry": shapely.geometry.mapping(g), "properties": {}})
    SafeGeoJson(feature_collection(d_feats), t("map.district", lang), "WufeiMap.districtOptions()",
                kind="district").add_to(m)
    minx, miny, maxx, maxy = shapely.bounds(shapely.union_all([f for f in district.geometry])).tolist()
    blon, blat = to_display_datum(np.array([minx, maxx]), np.array([miny, maxy]), basemap)
    # The first guess holds the whole district in a ~900×600 px map, a little right of and below
    # centre so the legend (top-left) has the empty north-west beside it.  The browser then fits
    # it once per map (FitDistrict), not on every redraw: Leaflet's fitBounds on every rerun gave
    # another opening zoom after each (10.5 on a first load, 11 after a language switch).
    px_per_deg = 256 * 2**DISTRICT_ZOOM / 360
    # (north-south: ~1.17 px per px of longitude at 31°N in Web Mercator)
    m.location = [
        float(blat.mean()) + LEGEND_ROOM_PX[1] / px_per_deg / 1.17,
        float(blon.mean()) - LEGEND_ROOM_PX[0] / px_per_deg,
    ]
    m.options["zoom"] = DISTRICT_ZOOM
    return [[float(blat.min()), float(blon.min())], [float(blat.max()), float(blon.max())]]


def _add_site_layers(m: folium.Map, payloads: dict[str, dict], renderer: SiteRenderer, lang: str) -> None:
    """One layer per category, grouped (colour-keeping grid groups) above :data:`CLUSTER_THRESHOLD` sites."""
    cluster = sum(len(p["x"]) for p in payloads.values()) > CLUSTER_THRESHOLD
    for cat in model.CATEGORIES:
        payload = payloads.get(cat)
        if not payload:
            continue
        glyph = CATEGORY_GLYPHS[cat][1 if lang == "en" else 0]
        m.add_child(
            SiteLayer(payload, cat, f"{glyph} {i18n.category_label(cat, lang)} ({len(payload['x'])})", renderer, cluster=cluster)
        )


def _add_selection(m: folium.Map, sites: pd.DataFrame, selected_site: str, basemap: str) -> None:
    """A ring around the selected site (when it is on the map)."""
    located = mapped_sites(sites)
    hit = located[located["site_id"].astype(str) == str(selected_site)]
    if not len(hit):
        return
    lon_sel, lat_sel = to_display_datum(
        pd.to_numeric(hit["display_lon"]).to_numpy()[:1], pd.to_numeric(hit["display_lat"]).to_numpy()[:1], basemap
    )
    folium.CircleMarker(
        location=(round(float(lat_sel[0]), SITE_COORD_DECIMALS), round(float(lon_sel[0]), SITE_COORD_DECIMALS)),
        radius=22,
        color="#00bcd4",
        weight=4,
        fill=False,
        interactive=False,
    ).add_to(m)
