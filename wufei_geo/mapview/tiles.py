"""Basemap tile specs and the Leaflet assets: CDN links, or the copies shipped in the package."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import folium

from wufei_geo.paths import ASSETS_DIR


# --- THE registry of basemaps: adding one is a row here plus ``basemap.<name>`` and ``attr.<name>`` in
# the message catalogue.
@dataclass(frozen=True)
class Basemap:
    name: str
    tiles: str | None = None  # URL template; None: no tiles (a plain background)
    datum: str = "wgs84"  # the datum the tiles are drawn in: overlays are shifted to it (AMap: GCJ-02)
    max_zoom: int = 18
    subdomains: str | None = None
    labels: str | None = None  # a second tile layer of labels over the first
    needs_token: bool = False  # ``{token}`` in the URLs: offered only when the token is set (tianditu_token)


BASEMAP_REGISTRY: dict[str, Basemap] = {b.name: b for b in (
    Basemap("none"),
    Basemap("osm", "https://tile.openstreetmap.org/{z}/{x}/{y}.png", max_zoom=19),
    Basemap("amap", "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
            datum="gcj02", subdomains="1234"),
    Basemap("tianditu",
            "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
            "&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={token}",
            labels="https://t{s}.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
            "&LAYER=cva&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={token}",
            subdomains="01234567", needs_token=True),
)}
BASEMAPS: tuple[str, ...] = tuple(BASEMAP_REGISTRY)


def available_basemaps(token: str = "") -> list[str]:
    """The basemaps a user may choose: all, except those needing a token when none is set."""
    return [b.name for b in BASEMAP_REGISTRY.values() if not b.needs_token or token.strip()]


def basemap_datum(name: str) -> str:
    """The datum a basemap's tiles are drawn in (overlays are shifted to it)."""
    return BASEMAP_REGISTRY[name].datum


# Leaflet and its cluster plugin ship inside the package (wufei_geo/assets/leaflet, BSD-2 and MIT),
# beside the map's own renderer (wufei_geo/assets/wufei), so the map works with no network: pass
# ``asset_base`` to build_map to load them from there (the URL prefix serving ASSET_DIR).
ASSET_DIR = ASSETS_DIR
CDN_ASSETS: dict[str, str] = {
    "leaflet.js": "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js",
    "leaflet.css": "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.css",
    "leaflet.markercluster.js": "https://cdn.jsdelivr.net/npm/leaflet.markercluster@1.5.3/dist/leaflet.markercluster.js",
    "MarkerCluster.css": "https://cdn.jsdelivr.net/npm/leaflet.markercluster@1.5.3/dist/MarkerCluster.css",
    "MarkerCluster.Default.css": "https://cdn.jsdelivr.net/npm/leaflet.markercluster@1.5.3/dist/MarkerCluster.Default.css",
}
# folium's asset names → our file; assets folium adds that this map never uses are dropped.
_ASSET_FILES = {
    "leaflet": "leaflet/leaflet.js",
    "leaflet_css": "leaflet/leaflet.css",
    "markerclusterjs": "leaflet/leaflet.markercluster.js",
    "markerclustercss": "leaflet/MarkerCluster.css",
    "markerclusterdefaultcss": "leaflet/MarkerCluster.Default.css",
}


# The tile specs as build_map reads them (derived from the registry).
TILES: dict[str, dict[str, Any]] = {
    b.name: {k: v for k, v in (("tiles", b.tiles), ("labels", b.labels), ("subdomains", b.subdomains),
                               ("max_zoom", b.max_zoom)) if v is not None}
    for b in BASEMAP_REGISTRY.values() if b.tiles
}


def walk_elements(element: Any) -> Iterable[Any]:
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from walk_elements(child)


def use_local_assets(m: folium.Map, asset_base: str) -> folium.Map:
    """Load Leaflet, the cluster plugin and the map's renderer from ``asset_base`` instead of public
    CDNs (or, for the renderer, instead of inlining it).

    ``asset_base`` is a URL prefix under which the files of :data:`ASSET_DIR` are served (the app
    serves them itself; a standalone page can use ``ASSET_DIR.as_uri()``).  Assets folium declares
    by default that this map does not use (jQuery, Bootstrap, awesome-markers, Font Awesome) are
    dropped, so the map needs no network at all.  An element with ``package_js`` (name, path under
    :data:`ASSET_DIR`) gets those files as ``<script src>`` links and stops inlining them.
    """
    base = asset_base.rstrip("/")
    for element in walk_elements(m):
        package_js = getattr(element, "package_js", None)
        if package_js:
            element.default_js = [(name, f"{base}/{path}") for name, path in package_js]
            element.inline_js = ""
            continue
        for attr in ("default_js", "default_css"):
            assets = getattr(element, attr, None)
            if assets:
                setattr(
                    element,
                    attr,
                    [(name, f"{base}/{_ASSET_FILES[name]}") for name, _ in assets if name in _ASSET_FILES],
                )
    return m
