"""Basemap tile specs and the Leaflet assets: CDN links, or the copies shipped in the package."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import folium

from wufei_geo.paths import ASSETS_DIR

BASEMAPS: tuple[str, ...] = ("none", "osm", "amap", "tianditu")


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


TILES: dict[str, dict[str, Any]] = {
    "osm": {
        "tiles": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "max_zoom": 19,
    },
    "amap": {
        "tiles": "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
        "subdomains": "1234",
        "max_zoom": 18,
    },
    "tianditu": {
        "tiles": "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
        "&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={token}",
        "labels": "https://t{s}.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
        "&LAYER=cva&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={token}",
        "subdomains": "01234567",
        "max_zoom": 18,
    },
}


def _walk(element: Any) -> Iterable[Any]:
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


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
    for element in _walk(m):
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
