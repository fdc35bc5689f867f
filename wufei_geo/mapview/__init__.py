"""The planner's map as a ``folium.Map``: sites by category, towns, district, service links.

Knows nothing of Streamlit.  Built for scale (issue 7): sites are sent column-wise, one compact
payload per category (:func:`site_payloads`: quantised delta-coded coordinates, one small integer
for status/flags/size, names in the map's language only, popup texts deduplicated into shared
tables).  The browser side is a package asset, ``wufei_geo/assets/wufei/site_renderer.js``
(``WufeiMap``; inlined into a standalone page, linked from the app via ``asset_base``): it decodes
the payloads into typed arrays and draws every site on one canvas (issue 18: no DOM element and
no Leaflet object per site), with the tooltip and popup of a site built only when the pointer
reaches it; :func:`decode_sites` is its Python twin for tests.  Above :data:`CLUSTER_THRESHOLD`
the sites of each category are grouped on a screen grid per zoom, a group drawn as a ring of its
sites' status colours around their count (a click zooms in; below ``CLUSTER_OFF_ZOOM`` only).
Zones, district and links are canvas vector layers (``prefer_canvas``).

Safety: every text from a user or a data file is (1) serialised into the page with ``<``, ``>``,
``&`` as ``\\u003c`` ``\\u003e`` ``\\u0026`` (so no raw markup and no ``</script>`` ever appears
in the HTML) and (2) HTML-escaped by the renderer's ``esc()`` before it is put into a tooltip or
popup.  Marker HTML contains only constants (glyph, colour, size).

Coordinates are WGS-84.  With the AMap basemap (tiles in GCJ-02) every overlay is shifted to
GCJ-02 via :func:`wufei_geo.crs.from_wgs84` — and only then.

Modules, each owning one thing:

- :mod:`.build` — :func:`build_map` (and :data:`~.build.CLUSTER_THRESHOLD`: to change the threshold,
  set it on ``wufei_geo.mapview.build``; the name re-exported here is a copy)
- :mod:`.payload` — popup fields, :class:`SiteTexts`, the column-wise site payload and its decoder
- :mod:`.renderer` — the folium elements that call into the renderer asset with per-map JSON
- :mod:`.legend` — the legend box
- :mod:`.measures` — town names, choropleth measures and bins
- :mod:`.links` — transfer station → served town lines
- :mod:`.tiles` — basemap tile specs, Leaflet assets (CDN or :data:`ASSET_DIR`)
- :mod:`.geometry` — display datum (GCJ-02 for AMap), located sites
- :mod:`.style` — colours, glyphs, palette, marker sizes, and the one table of marker states
  (``MARKER_BADGES``: overdue / stale / pending badges; the outline for location precision)
- :mod:`.escape` — :func:`safe_json`
- :mod:`.values` — null test and number formatting
"""
from __future__ import annotations

from wufei_geo.mapview.build import (
    CLUSTER_THRESHOLD,
    DEFAULT_CENTER,
    DISTRICT_ZOOM,
    MAX_ZOOM,
    MIN_ZOOM,
    ZONE_SIMPLIFY_DEG,
    build_map,
)
from wufei_geo.mapview.escape import safe_json
from wufei_geo.mapview.geometry import label_anchor, mapped_sites, to_display_datum
from wufei_geo.mapview.legend import Legend
from wufei_geo.mapview.links import COORD_DECIMALS, service_links
from wufei_geo.mapview.measures import CHOROPLETH_MEASURES, town_measures, town_names
from wufei_geo.mapview.payload import (
    LOW_CARDINALITY,
    POPUP_FIELDS,
    SITE_COORD_DECIMALS,
    SiteTexts,
    decode_sites,
    marker_sizes,
    site_payloads,
    site_texts,
)
from wufei_geo.mapview.renderer import (
    MetricScale,
    SafeGeoJson,
    SiteLayer,
    SiteRenderer,
    ZoneLabels,
    site_layers,
)
from wufei_geo.mapview.style import (
    CATEGORY_GLYPHS,
    CHOROPLETH_PALETTE,
    MARKER_BADGES,
    MARKER_MAX_PX,
    MARKER_MIN_PX,
    STATUS_COLOURS,
    UNKNOWN_COLOUR,
)
from wufei_geo.mapview.tiles import ASSET_DIR, BASEMAPS, CDN_ASSETS, TILES, use_local_assets, walk_elements

__all__ = [
    "ASSET_DIR",
    "BASEMAPS",
    "CATEGORY_GLYPHS",
    "CDN_ASSETS",
    "CHOROPLETH_MEASURES",
    "CHOROPLETH_PALETTE",
    "CLUSTER_THRESHOLD",
    "COORD_DECIMALS",
    "DEFAULT_CENTER",
    "DISTRICT_ZOOM",
    "LOW_CARDINALITY",
    "Legend",
    "MARKER_BADGES",
    "MARKER_MAX_PX",
    "MARKER_MIN_PX",
    "MAX_ZOOM",
    "MIN_ZOOM",
    "MetricScale",
    "POPUP_FIELDS",
    "SITE_COORD_DECIMALS",
    "STATUS_COLOURS",
    "SafeGeoJson",
    "SiteLayer",
    "SiteRenderer",
    "SiteTexts",
    "TILES",
    "UNKNOWN_COLOUR",
    "ZONE_SIMPLIFY_DEG",
    "ZoneLabels",
    "walk_elements",
    "build_map",
    "decode_sites",
    "label_anchor",
    "mapped_sites",
    "marker_sizes",
    "safe_json",
    "service_links",
    "site_layers",
    "site_payloads",
    "site_texts",
    "to_display_datum",
    "town_measures",
    "town_names",
    "use_local_assets",
]
