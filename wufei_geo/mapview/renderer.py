"""The folium elements that put sites and overlays into the page.

Their browser side lives in a package asset, ``wufei_geo/assets/wufei/site_renderer.js`` (the
global ``WufeiMap``); the elements here only call into it with per-map JSON."""
from __future__ import annotations

import functools
import json
import re

import folium
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from wufei_geo.mapview.escape import safe_json
from wufei_geo.mapview.payload import SITE_COORD_DECIMALS, decode_sites
from wufei_geo.mapview.style import BADGE_PX, MARKER_MIN_PX
from wufei_geo.mapview.tiles import ASSET_DIR, CDN_ASSETS

# The browser-side renderer (see the module docstring of the asset).
RENDERER_ASSET = "wufei/site_renderer.js"
RENDERER_ASSET_NAME = "wufei_site_renderer"
# Above the cluster threshold, sites of a layer within one grid cell of this many screen pixels
# are drawn as one group (a ring of their status colours with their count), below this zoom.
CLUSTER_CELL_PX = 60
CLUSTER_OFF_ZOOM = 17


@functools.lru_cache(maxsize=1)
def renderer_js() -> str:
    """The text of the renderer asset, checked to be safe to inline into a page's ``<script>``."""
    text = (ASSET_DIR / RENDERER_ASSET).read_text(encoding="utf-8")
    # inlined into a <script> that folium renders through Jinja: no tag end, no template opener
    if re.search(r"</script|\{[{%#]", text, flags=re.IGNORECASE):
        raise ValueError(f"{RENDERER_ASSET} cannot be inlined: it contains '</script' or a Jinja opener")
    return text


class SiteRenderer(JSCSSMixin, MacroElement):
    """One renderer per map: the string table, labels and colours (JSON) handed to the browser-side
    renderer in :data:`RENDERER_ASSET` (``WufeiMap.renderer``), which draws the sites and builds their
    tooltips and popups.

    The JS is a package asset (``wufei_geo/assets/wufei/site_renderer.js``), loaded like Leaflet:
    inlined into a standalone page (no network needed), or — after :func:`use_local_assets` — a
    ``<script src>`` served by the app (streamlit-folium loads ``default_js`` itself and would not
    run a script inlined in the header)."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
        .wf-pop table{border-collapse:collapse;font-size:12px}
        .wf-pop th{text-align:left;padding:1px 6px 1px 0;color:#555;font-weight:normal;white-space:nowrap;vertical-align:top}
        .wf-pop td{padding:1px 0}
        .wf-unk{color:#999;font-style:italic}
        .wf-zone-label{background:rgba(255,255,255,.7);border:none;box-shadow:none;font-size:11px;padding:0 3px;text-align:center}
        .wf-zone-label:before{display:none}
        .wf-zone-label.wf-compact{font-size:10px;line-height:1.2}
        .wf-zone-label.wf-compact br{display:none}
        .wf-zone-label.wf-compact small:before{content:" "}
        .wf-same{margin-top:4px;border-top:1px solid #ddd;padding-top:3px;font-size:12px}
        .wf-same ul{margin:2px 0 0 14px;padding:0}
        .wf-stack{font-size:12px;line-height:1.35}
        .wf-stack ul{margin:3px 0 0 16px;padding:0}
        .wf-stack li{margin:2px 0}
        .wf-stack-back{display:block;font-size:12px;margin-bottom:3px}
        </style>
        {% if this.inline_js %}<script>{{ this.inline_js }}</script>{% endif %}
        {% endmacro %}
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = WufeiMap.renderer({{ this.config }});
        {% endmacro %}
        """
    )

    def __init__(self, config: dict) -> None:
        super().__init__()
        self._name = "WfSiteRenderer"
        self.data = {
            **config,
            "scale": 10**SITE_COORD_DECIMALS,
            "minPx": MARKER_MIN_PX,
            "badgePx": BADGE_PX,
            "cellPx": CLUSTER_CELL_PX,
            "clusterOffZoom": CLUSTER_OFF_ZOOM,
        }
        self.config = safe_json(self.data)
        self.inline_js = renderer_js()
        self.default_js: list[tuple[str, str]] = []
        # (folium asset name, path under ASSET_DIR): what use_local_assets links instead of inlining
        self.package_js = [(RENDERER_ASSET_NAME, RENDERER_ASSET)]


class SafeGeoJson(JSCSSMixin, folium.map.Layer):
    """A GeoJSON overlay whose data goes through :func:`safe_json` and whose options are our own JS.

    ``options_js`` is a trusted JS expression from this package only (never data): a call into
    the renderer asset, e.g. ``WufeiMap.zoneOptions(WfSiteRenderer_…)``.  With ``cluster`` the
    features go into a ``L.markerClusterGroup``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = {% if this.cluster %}L.markerClusterGroup({chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 50}){% else %}L.featureGroup(){% endif %};
        {{ this.get_name() }}.addLayer(L.geoJSON({{ this.data_json }}, {{ this.options_js }}));
        {% endmacro %}
        """
    )

    def __init__(
        self,
        data: dict,
        name: str,
        options_js: str,
        *,
        cluster: bool = False,
        show: bool = True,
        control: bool = True,
        kind: str = "",
    ) -> None:
        super().__init__(name=name, overlay=True, control=control, show=show)
        self._name = "SafeGeoJson"
        self.data = data
        self.data_json = safe_json(data)
        self.options_js = options_js
        self.cluster = cluster
        self.kind = kind
        if cluster:
            # Declared as the element's assets (not raw <script> tags) so that both a standalone
            # page and streamlit-folium (which loads `default_js` itself) get the plugin.
            self.default_js = [("markerclusterjs", CDN_ASSETS["leaflet.markercluster.js"])]
            self.default_css = [
                ("markerclustercss", CDN_ASSETS["MarkerCluster.css"]),
                ("markerclusterdefaultcss", CDN_ASSETS["MarkerCluster.Default.css"]),
            ]


class SiteLayer(folium.map.Layer):
    """The sites of one category, sent as a compact column-wise payload (see :func:`site_payloads`)
    and drawn on a canvas by the renderer ``renderer_name`` (``R.sites``); grouped on a screen grid
    with ``cluster``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = {{ this.renderer.get_name() }}.sites({{ this.category_json }}, {{ this.options_json }}, {{ this.data_json }});
        {% endmacro %}
        """
    )

    def __init__(self, payload: dict, category: str, name: str, renderer: SiteRenderer, *, cluster: bool) -> None:
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "SiteLayer"
        self.payload = payload
        self.data_json = safe_json(payload)
        self.category = category
        self.category_json = json.dumps(category)
        self.renderer = renderer
        self._config = renderer.data
        self.cluster = cluster
        self.options_json = json.dumps({"cluster": cluster}, separators=(",", ":"))
        self.kind = f"sites:{category}"

    def sites(self) -> list[dict]:
        """This layer's sites as the browser decodes them (see :func:`decode_sites`)."""
        return decode_sites(self.payload, self._config)


def site_layers(m: folium.Map) -> list[SiteLayer]:
    """The site layers of a map built by :func:`build_map` (one per category), for tests and callers."""
    return [c for c in m._children.values() if isinstance(c, SiteLayer)]


class ZoneLabels(MacroElement):
    """Each town's name (and shading value) as a permanent label at a fixed anchor inside its zone.

    Why labels drifted (issue 13): a ``direction: 'center'`` tooltip is placed at its anchor minus
    half its measured size, measured once when it is added.  When streamlit-folium runs a new
    map's script before Leaflet's stylesheet applies (a rerun: filter, shading, language), the
    label is still a block element as wide as the map, so it was shifted left by about half the
    map's width and stayed there (markers have a fixed icon size and were not affected).  Here the
    label's box is made independent of the stylesheet (inline ``position:absolute;
    white-space:nowrap``), every label is re-laid out once the page has loaded and after every
    view change, and the anchors are computed on the server
    (:func:`wufei_geo.mapview.geometry.label_anchor`: a point well inside the zone) instead of
    Leaflet's polygon centre.  Where the sites drawn at the current zoom (or another town's label)
    cover a label at its anchor, the renderer moves it to the nearest clear spot that is not in
    another town's zone (``clearSpot`` in ``site_renderer.js``), after every drawing of the sites.
    ``labels``: ``[{code, lat, lng, name, sub}]``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = WufeiMap.zoneLabels({{ this.renderer.get_name() }}, {{ this.data_json }}, {{ this._parent.get_name() }}, L.layerGroup());
        {% endmacro %}
        """
    )

    def __init__(self, labels: list[dict], renderer: SiteRenderer) -> None:
        super().__init__()
        self._name = "ZoneLabels"
        self.labels = labels
        self.data_json = safe_json(labels)
        self.renderer = renderer


class MetricScale(MacroElement):
    """A scale bar in metres/kilometres only (Leaflet's default also shows miles)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false, position: 'bottomleft'}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


class FitDistrict(MacroElement):
    """The opening view: the district as large as the map allows with the legend beside it, not
    over it (``WufeiMap.fitDistrict``: measured in the browser, once per map — a later drawing
    keeps the user's view).  ``bounds``: ``[[south, west], [north, east]]``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        WufeiMap.fitDistrict({{ this.renderer.get_name() }}, {{ this._parent.get_name() }}, {{ this.bounds_json }});
        {% endmacro %}
        """
    )

    def __init__(self, bounds: list[list[float]], renderer: SiteRenderer) -> None:
        super().__init__()
        self._name = "FitDistrict"
        self.bounds_json = json.dumps(bounds)
        self.renderer = renderer
