"""The planner's map as a ``folium.Map``: sites by category, towns, district, service links.

Knows nothing of Streamlit.  Built for scale (issue 7): sites are sent column-wise, one compact
payload per category (:func:`site_payloads`: quantised delta-coded coordinates, one small integer
for status/flags/size, names in the map's language only, popup texts deduplicated into shared
tables), decoded into markers and their tooltips/popups in the browser by one small JS renderer
(:class:`SiteRenderer`; :func:`decode_sites` is its Python twin for tests); vector layers use
canvas (``prefer_canvas``) and sites are clustered above :data:`CLUSTER_THRESHOLD`.

Safety: every text from a user or a data file is (1) serialised into the page with ``<``, ``>``,
``&`` as ``\\u003c`` ``\\u003e`` ``\\u0026`` (so no raw markup and no ``</script>`` ever appears
in the HTML) and (2) HTML-escaped by the renderer's ``esc()`` before it is put into a tooltip or
popup.  Marker HTML contains only constants (glyph, colour, size).

Coordinates are WGS-84.  With the AMap basemap (tiles in GCJ-02) every overlay is shifted to
GCJ-02 via :func:`wufei_geo.crs.from_wgs84` — and only then.
"""
from __future__ import annotations

import html
import json
import re
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import folium
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from wufei_geo import i18n, model
from wufei_geo.i18n import t

BASEMAPS: tuple[str, ...] = ("none", "osm", "amap", "tianditu")
CHOROPLETH_MEASURES: tuple[str, ...] = ("site_count", "wet_waste_tpd", "capacity_per_10k")
CLUSTER_THRESHOLD = 2000  # more mapped sites than this → marker clustering
COORD_DECIMALS = 6
MIN_ZOOM, MAX_ZOOM = 0, 19  # always in the L.map options (the cluster plugin needs maxZoom)
ZONE_SIMPLIFY_DEG = 0.0002  # ≈ 20 m; town zones are approximate or coarse anyway
# Leaflet and its cluster plugin ship inside the package (wufei_geo/assets/leaflet, BSD-2 and MIT)
# so the map works with no network: pass ``asset_base`` to build_map to load them from there.
ASSET_DIR = Path(__file__).resolve().parent / "assets" / "leaflet"
CDN_ASSETS: dict[str, str] = {
    "leaflet.js": "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js",
    "leaflet.css": "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.css",
    "leaflet.markercluster.js": "https://cdn.jsdelivr.net/npm/leaflet.markercluster@1.5.3/dist/leaflet.markercluster.js",
    "MarkerCluster.css": "https://cdn.jsdelivr.net/npm/leaflet.markercluster@1.5.3/dist/MarkerCluster.css",
    "MarkerCluster.Default.css": "https://cdn.jsdelivr.net/npm/leaflet.markercluster@1.5.3/dist/MarkerCluster.Default.css",
}
# folium's asset names → our file; assets folium adds that this map never uses are dropped.
_ASSET_FILES = {
    "leaflet": "leaflet.js",
    "leaflet_css": "leaflet.css",
    "markerclusterjs": "leaflet.markercluster.js",
    "markerclustercss": "MarkerCluster.css",
    "markerclusterdefaultcss": "MarkerCluster.Default.css",
}
DEFAULT_CENTER = (31.15394, 121.11408)
DISTRICT_ZOOM = 10.5  # Qingpu district seat (GeoNames 1797798)

STATUS_COLOURS: dict[str, str] = {
    "planned": "#4a78c2",
    "under_construction": "#e8950c",
    "commissioning": "#8e44ad",
    "operating": "#238b45",
    "suspended": "#7f7f7f",
    "cancelled": "#3b3b3b",
    "decommissioned": "#a0522d",
}
UNKNOWN_COLOUR = "#b0b0b0"
# One glyph per category: a character in Chinese, letters in English (see the legend).
CATEGORY_GLYPHS: dict[str, tuple[str, str]] = {
    "transfer_station": ("转", "T"),
    "wet_waste": ("湿", "W"),
    "construction_waste": ("建", "C"),
    "sludge": ("泥", "S"),
    "pv": ("光", "PV"),
    "hazardous_waste": ("危", "H"),
    "recyclables_hub": ("回", "R"),
    "compression_station": ("压", "P"),
    "medical_waste": ("医", "M"),
    "bulky_waste": ("大", "B"),
    "dump_remediation": ("堆", "D"),
}
CHOROPLETH_PALETTE = ("#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c")
MARKER_MIN_PX, MARKER_MAX_PX = 18, 34

# Popup rows, in order: (message key of the label, how to get the text from a row).
POPUP_FIELDS: tuple[str, ...] = (
    "field.site_id",
    "field.project_id",
    "field.wet_waste_mode",
    "field.town",
    "field.village",
    "field.address",
    "field.served_towns",
    "field.capacity",
    "field.capacity_norm",
    "field.operating_capacity",
    "field.target_year",
    "field.target_status",
    "field.commissioned",
    "field.department",
    "field.implementer",
    "field.status_as_of",
    "field.status_source",
    "field.precision",
    "field.location_source",
    "field.source_ref",
    "field.data_note",
    "field.last_change",
)

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


# --- small pure helpers --------------------------------------------------------
def _isnull(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _fmt_num(value: object) -> str:
    v = float(value)  # type: ignore[arg-type]
    return f"{v:,.0f}" if v.is_integer() and abs(v) >= 1000 else f"{v:g}"


_JINJA_OPENER = re.compile(r"\{(?=[{%#])")


def safe_json(data: object) -> str:
    """JSON for embedding in a ``<script>``: compact UTF-8, and no raw ``<``, ``>``, ``&``."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
    # folium compiles the rendered script of an element as a Jinja template once more, so a
    # "{{ … }}" / "{% … %}" / "{# … #}" in user text would be evaluated on the server (template
    # injection: "{{7*7}}" became "49").  Those openers can only occur inside JSON strings (JSON
    # objects never start with "{{", "{%" or "{#"), where "\u007b" is the same character.
    return _JINJA_OPENER.sub(r"\\u007b", text)


def to_display_datum(lon: np.ndarray, lat: np.ndarray, basemap: str) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 → the datum of the basemap's tiles (GCJ-02 for AMap; unchanged otherwise)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if basemap != "amap" or lon.size == 0:
        return lon, lat
    from wufei_geo.crs import from_wgs84  # the crs module owns the datum formulas

    out_lon, out_lat = from_wgs84(lon, lat, "gcj02")
    return np.asarray(out_lon, dtype=float), np.asarray(out_lat, dtype=float)


def _geom_for_display(geom: Any, basemap: str, decimals: int = 5, simplify: float = 0.0) -> Any:
    if geom is None or geom.is_empty:
        return geom
    if simplify:
        geom = geom.simplify(simplify, preserve_topology=True)

    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = to_display_datum(xy[:, 0], xy[:, 1], basemap)
        return np.round(np.column_stack([x, y]), decimals)

    return shapely.transform(geom, fn)


def _feature_collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def mapped_sites(sites: pd.DataFrame) -> pd.DataFrame:
    """The sites that have a marker point (``display_lon``/``display_lat`` known)."""
    if len(sites) == 0:
        return sites
    ok = pd.to_numeric(sites["display_lon"], errors="coerce").notna() & pd.to_numeric(
        sites["display_lat"], errors="coerce"
    ).notna()
    return sites[ok]


def marker_sizes(sites: pd.DataFrame) -> pd.Series:
    """Marker diameter in px: sqrt-scaled by ``capacity_norm`` relative to the largest of its category.

    Sites of unknown capacity get the smallest size (their popup says 未知)."""
    cap = pd.to_numeric(sites.get("capacity_norm"), errors="coerce") if len(sites) else pd.Series(dtype=float)
    if len(sites) == 0:
        return pd.Series(dtype=int)
    top = cap.groupby(sites["category"]).transform("max")
    share = (cap / top).where((top > 0) & cap.notna() & (cap >= 0), 0.0).clip(0, 1)
    size = MARKER_MIN_PX + (MARKER_MAX_PX - MARKER_MIN_PX) * np.sqrt(share)
    return size.round().astype(int)


def town_names(zones: pd.DataFrame | None, towns: pd.DataFrame | None, lang: str) -> dict[str, str]:
    """town_code → display name (zones first, gazetteer fills gaps)."""
    col = "name_en" if lang == "en" else "name_zh"
    names: dict[str, str] = {}
    if towns is not None and len(towns):
        code_col = "code" if "code" in towns.columns else "town_code"
        for code, zh, en in zip(towns[code_col], towns["name_zh"], towns.get("name_en", towns["name_zh"])):
            names[str(code)] = str(en if lang == "en" and not _isnull(en) else zh)
    if zones is not None and len(zones):
        for code, name, zh in zip(zones["town_code"], zones.get(col, zones["name_zh"]), zones["name_zh"]):
            names[str(code)] = str(zh if _isnull(name) else name)
    return names


def town_measures(
    sites: pd.DataFrame, zones: pd.DataFrame, towns: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per zone: ``site_count``, ``wet_waste_tpd``, ``capacity_per_10k`` (NaN = unknown).

    ``wet_waste_tpd`` is the sum of known wet-waste ``capacity_norm`` (t/d); NaN when the town has
    wet-waste sites but none with a known capacity, 0 when it has none.  ``capacity_per_10k`` is
    ``wet_waste_tpd`` per 10,000 residents where the gazetteer knows the population, else NaN —
    never 0 for an unknown.
    """
    codes = zones["town_code"].astype(str)
    out = pd.DataFrame({"town_code": codes.to_numpy()})
    s_town = sites["town_code"].astype(object).where(sites["town_code"].notna(), None).map(
        lambda v: None if v is None else str(v)
    )
    out["site_count"] = out["town_code"].map(s_town.value_counts()).fillna(0).astype(int)
    wet = sites[sites["category"] == "wet_waste"]
    wet_town = s_town[wet.index]
    cap = pd.to_numeric(wet["capacity_norm"], errors="coerce")
    known_sum = cap.groupby(wet_town).sum(min_count=1)
    n_wet = wet_town.value_counts()
    wet_tpd = out["town_code"].map(known_sum)
    has_wet = out["town_code"].map(n_wet).fillna(0) > 0
    out["wet_waste_tpd"] = wet_tpd.where(has_wet, 0.0).astype(float)
    pop = pd.Series(np.nan, index=out.index)
    if towns is not None and len(towns) and "population" in towns.columns:
        code_col = "code" if "code" in towns.columns else "town_code"
        pops = pd.to_numeric(towns["population"], errors="coerce")
        pops.index = towns[code_col].astype(str)
        pop = out["town_code"].map(pops)
    out["population"] = pop.astype(float)
    per = out["wet_waste_tpd"] / (out["population"] / 10_000)
    out["capacity_per_10k"] = per.where(out["population"] > 0)
    return out


def _bins(values: pd.Series, k: int = len(CHOROPLETH_PALETTE)) -> list[float]:
    known = values.dropna()
    if known.empty:
        return []
    lo, hi = float(known.min()), float(known.max())
    if hi <= lo:
        return [lo, hi]
    return [lo + (hi - lo) * i / k for i in range(k + 1)]


def _bin_colour(value: float, edges: list[float]) -> str:
    if len(edges) < 3:
        return CHOROPLETH_PALETTE[-1]
    for i in range(len(edges) - 1):
        if value <= edges[i + 1]:
            return CHOROPLETH_PALETTE[i]
    return CHOROPLETH_PALETTE[-1]


# --- folium elements ---------------------------------------------------------------
class SiteRenderer(MacroElement):
    """One JS object per map: the string table, labels and the tooltip/popup/marker builders."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
        .wf-site{background:none;border:none}
        .wf-m{box-sizing:border-box;display:flex;align-items:center;justify-content:center;
          border-radius:50%;border:2px solid;color:#fff;font:bold 11px/1 sans-serif;
          box-shadow:0 0 2px rgba(0,0,0,.5)}
        .wf-m.wf-approx{border-style:dashed;background:rgba(255,255,255,.85)!important;}
        .wf-m.wf-overdue{box-shadow:0 0 0 3px #d7191c}
        .wf-m.wf-sel{outline:3px solid #00bcd4;outline-offset:2px}
        .wf-pop table{border-collapse:collapse;font-size:12px}
        .wf-pop th{text-align:left;padding:1px 6px 1px 0;color:#555;font-weight:normal;white-space:nowrap;vertical-align:top}
        .wf-pop td{padding:1px 0}
        .wf-unk{color:#999;font-style:italic}
        .wf-zone-label{background:rgba(255,255,255,.7);border:none;box-shadow:none;font-size:11px;padding:0 3px;text-align:center}
        .wf-zone-label:before{display:none}
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function(){
          var R = {{ this.config }};
          function esc(v){ return String(v).replace(/[&<>"']/g, function(c){
            return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]; }); }
          function val(v){ return v === null ? '<span class="wf-unk">' + esc(R.unknown) + '</span>' : esc(v); }
          R.esc = esc;
          // popup text j of site p in layer payload D: undefined = row not applicable, null = unknown
          function fv(D, p, j){
            if (j === 0) return p.site_id;
            var ref, k = R.low[j];
            if (k !== undefined) ref = R.G[D.g ? D.g[p.i] : 0][k];
            else { var col = D.f[j]; ref = col ? col[p.i] : 0; }
            if (ref === -2) return fv(D, p, R.capField);  // normalised capacity: same text as the capacity
            return ref === -1 ? undefined : (ref === 0 ? null : R.S[ref - 1]);
          }
          R.decode = function(D){
            var feats = [], X = D.x0, n = D.x.length, sc = {{ this.scale }};
            for (var i = 0; i < n; i++) {
              X += D.x[i];
              var c = D.c[i];
              feats.push({type: 'Feature', geometry: {type: 'Point', coordinates: [X / sc, (D.y0 + D.y[i]) / sc]},
                properties: {site_id: D.ip !== undefined ? D.ip + D.i[i] : D.i[i], n: D.n[i], s: (c & 7) - 1,
                             a: c & 8 ? 1 : 0, o: c & 16 ? 1 : 0, r: {{ this.min_px }} + (c >> 6), i: i}});
              if (c & 32) feats[i].properties.n = fv(D, feats[i].properties, R.townField) + D.n[i];
            }
            return {type: 'FeatureCollection', features: feats};
          };
          R.tip = function(cat, p, D){
            var st = p.s >= 0 ? R.st[p.s] : null;
            return '<b>' + esc(p.n) + '</b><br>' + esc(R.cat[cat]) + ' · ' + val(fv(D, p, R.capField)) +
                   '<br>' + val(st ? st[0] : null);
          };
          R.pop = function(cat, p, D){
            var st = p.s >= 0 ? R.st[p.s] : null;
            var h = '<div class="wf-pop"><b>' + esc(p.n) + '</b>';
            h += '<table><tr><th>' + esc(R.lab.category) + '</th><td>' + esc(R.cat[cat]) + '</td></tr>' +
                 '<tr><th>' + esc(R.lab.status) + '</th><td>' + val(st ? st[0] : null) + '</td></tr>';
            for (var j = 0; j < R.fields.length; j++) {
              var v = fv(D, p, j);
              if (v === undefined) continue;
              h += '<tr><th>' + esc(R.fields[j]) + '</th><td>' + val(v) + '</td></tr>';
            }
            if (p.o) h += '<tr><th>' + esc(R.lab.overdue) + '</th><td>' + esc(R.lab.yes) + '</td></tr>';
            return h + '</table></div>';
          };
          R.point = function(cat){
            return function(f, ll){
              var p = f.properties, st = p.s >= 0 ? R.st[p.s] : null;
              var col = st ? st[1] : R.unknownColour, d = p.r || {{ this.min_px }};
              var cls = 'wf-m' + (p.a ? ' wf-approx' : '') + (p.o ? ' wf-overdue' : '');
              var icon = L.divIcon({className: 'wf-site wf-cat-' + cat, iconSize: [d, d],
                html: '<div class="' + cls + '" style="width:' + d + 'px;height:' + d + 'px;border-color:' +
                      col + ';background:' + col + ';' + (p.a ? 'color:' + col : '') + '">' + R.glyph[cat] + '</div>'});
              return L.marker(ll, {icon: icon, keyboard: false, riseOnHover: true});
            };
          };
          R.opts = function(cat, D){
            return {pointToLayer: R.point(cat), onEachFeature: function(f, layer){
              layer.bindTooltip(function(){ return R.tip(cat, f.properties, D); }, {direction: 'top'});
              layer.bindPopup(function(){ return R.pop(cat, f.properties, D); }, {maxWidth: 380});
            }};
          };
          R.zoneTip = function(p){
            var h = '<b>' + esc(p.name) + '</b>';
            if (p.approx) h += '<br>' + esc(R.approx);
            if (p.mlabel !== undefined) h += '<br>' + esc(p.mlabel) + ': ' + val(p.mtext === undefined ? null : p.mtext);
            return h;
          };
          return R;
        })();
        {% endmacro %}
        """
    )

    def __init__(self, config: dict) -> None:
        super().__init__()
        self._name = "WfSiteRenderer"
        self.config = safe_json(config)
        self.data = config
        self.min_px = MARKER_MIN_PX
        self.scale = 10**SITE_COORD_DECIMALS


class SafeGeoJson(JSCSSMixin, folium.map.Layer):
    """A GeoJSON overlay whose data goes through :func:`safe_json` and whose options are our own JS.

    ``options_js`` is trusted code from this module only (never data).  With ``cluster`` the
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


class SiteLayer(JSCSSMixin, folium.map.Layer):
    """The markers of one category, sent as a compact column-wise payload (see :func:`site_payloads`)
    and decoded in the browser by the renderer ``renderer_name``; clustered with ``cluster``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = {% if this.cluster %}L.markerClusterGroup({chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 50}){% else %}L.featureGroup(){% endif %};
        (function(R, D){ {{ this.get_name() }}.addLayer(L.geoJSON(R.decode(D), R.opts({{ this.category_json }}, D))); })({{ this.renderer.get_name() }}, {{ this.data_json }});
        {% endmacro %}
        """
    )

    def __init__(self, payload: dict, category: str, name: str, renderer: "SiteRenderer", *, cluster: bool) -> None:
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "SiteLayer"
        self.payload = payload
        self.data_json = safe_json(payload)
        self.category = category
        self.category_json = json.dumps(category)
        self.renderer = renderer
        self._config = renderer.data
        self.cluster = cluster
        self.kind = f"sites:{category}"
        if cluster:
            # Declared as the element's assets (not raw <script> tags) so that both a standalone
            # page and streamlit-folium (which loads `default_js` itself) get the plugin.
            self.default_js = [("markerclusterjs", CDN_ASSETS["leaflet.markercluster.js"])]
            self.default_css = [
                ("markerclustercss", CDN_ASSETS["MarkerCluster.css"]),
                ("markerclusterdefaultcss", CDN_ASSETS["MarkerCluster.Default.css"]),
            ]

    def sites(self) -> list[dict]:
        """This layer's sites as the browser decodes them (see :func:`decode_sites`)."""
        return decode_sites(self.payload, self._config)


class Legend(MacroElement):
    """A fixed legend box (bottom-left); its text comes from the message catalogue."""

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <div id="{{ this.get_name() }}" class="wf-legend" style="position:absolute;z-index:9999;bottom:52px;left:10px;
          background:rgba(255,255,255,.92);padding:6px 9px;border-radius:4px;box-shadow:0 0 4px rgba(0,0,0,.3);
          font:12px/1.45 sans-serif;max-height:60%;overflow:auto">{{ this.body }}</div>
        {% endmacro %}
        """
    )

    def __init__(self, body: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.body = body


def _legend_html(lang: str, categories: Iterable[str], choropleth: dict | None, basemap: str) -> str:
    e = html.escape
    swatch = (
        '<span style="display:inline-block;width:14px;height:14px;border-radius:50%;vertical-align:middle;'
        'margin-right:4px;{style}"></span>'
    )
    # A <details> box, folded by default so it never hides the district's west; one click opens it.
    rows = [
        f"<details><summary style='cursor:pointer'><b>{e(t('legend.title', lang))}</b></summary>",
        f"<div><i>{e(t('legend.categories', lang))}</i></div>",
    ]
    for cat in categories:
        glyph = CATEGORY_GLYPHS[cat][1 if lang == "en" else 0]
        rows.append(
            f'<div><span style="display:inline-block;min-width:22px;font-weight:bold">{e(glyph)}</span>'
            f"{e(i18n.category_label(cat, lang))}</div>"
        )
    rows.append(f"<div><i>{e(t('legend.statuses', lang))}</i></div>")
    for status in model.STATUSES:
        rows.append(
            "<div>" + swatch.format(style=f"background:{STATUS_COLOURS[status]}") + e(i18n.status_label(status, lang)) + "</div>"
        )
    rows.append(f"<div><i>{e(t('legend.precision', lang))}</i></div>")
    rows.append("<div>" + swatch.format(style="background:#555;border:2px solid #555") + e(t("legend.precise", lang)) + "</div>")
    rows.append(
        "<div>" + swatch.format(style="background:#fff;border:2px dashed #555") + e(t("legend.approximate", lang)) + "</div>"
    )
    rows.append(
        "<div>" + swatch.format(style="background:#555;box-shadow:0 0 0 3px #d7191c") + e(t("legend.overdue", lang)) + "</div>"
    )
    rows.append(f"<div>{e(t('legend.size', lang))}</div>")
    rows.append(f"<div>{e(t('legend.approx_zone', lang))}</div>")
    if choropleth:
        rows.append(f"<div><i>{e(choropleth['label'])}</i></div>")
        edges = choropleth["edges"]
        for i in range(len(edges) - 1):
            rows.append(
                '<div><span style="display:inline-block;width:14px;height:10px;margin-right:4px;'
                f'background:{CHOROPLETH_PALETTE[i]}"></span>{e(_fmt_num(edges[i]))} – {e(_fmt_num(edges[i + 1]))}</div>'
            )
        rows.append(
            '<div><span style="display:inline-block;width:14px;height:10px;margin-right:4px;'
            f'background:{UNKNOWN_COLOUR}"></span>{e(t("legend.unknown_value", lang))}</div>'
        )
    if basemap == "amap":
        rows.append(f"<div style='max-width:220px'>{e(t('map.basemap_amap_note', lang))}</div>")
    rows.append("</details>")
    return "".join(rows)


# --- site payload ----------------------------------------------------------------
# Sites travel to the browser column-wise, one payload per category layer, decoded into markers by
# the SiteRenderer's JS (``R.decode``):
#   x0, y0  base of the quantised coordinates (integers of 10^-SITE_COORD_DECIMALS degree)
#   x       longitudes, sorted ascending and delta-encoded (the first relative to x0)
#   y       latitudes as offsets from y0
#   c       status + flags + size in one small integer (see _site_code)
#   n       the site's name in the map's language (the other language's name if it has none);
#           when it begins with the site's town name (a popup text, sent anyway) that part is
#           left out and flag bit 5 of c says so
#   ip, i   site ids: a shared prefix plus integers when every id is "<prefix><digits>", else strings
#   g       index of the site's row in the renderer's table G of distinct low-cardinality popup
#           texts (omitted when there is only one)
#   f       {popup field index: per-site refs} for the high-cardinality popup fields
# A popup text ref is 0 for unknown, -1 for a row that does not apply, k > 0 for string S[k-1];
# in the normalised-capacity column -2 means "the same text as the capacity" (the usual case).
SITE_COORD_DECIMALS = 5  # ≈ 1 m: finer than any location precision the catalog records
LOW_CARDINALITY = 64  # popup fields with at most this many distinct texts share the G table
_REF_UNKNOWN, _REF_NOT_APPLICABLE, _REF_SAME_AS_CAPACITY = 0, -1, -2
_ID_RE = re.compile(r"^(.*?)([1-9][0-9]{0,14}|0)$")


class _Strings:
    """A string table: each distinct text stored once; ``ref`` is its index + 1 (0 = unknown)."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self._index: dict[str, int] = {}

    def ref(self, value: object) -> int:
        if value is _NOT_APPLICABLE:
            return _REF_NOT_APPLICABLE
        if _isnull(value):
            return _REF_UNKNOWN
        text = str(value)
        idx = self._index.get(text)
        if idx is None:
            idx = self._index[text] = len(self.items)
            self.items.append(text)
        return idx + 1

    def refs(self, values: list[object]) -> np.ndarray:
        """``[self.ref(v) for v in values]`` with one ``ref`` per distinct value, not per value.

        Distinct values are found by hashing, where 1 == 1.0 == True; so this shortcut is only
        taken when every distinct value is text (the usual case), else each value is ref'd."""
        codes, uniques = pd.factorize(np.asarray(values + [None], dtype=object)[: len(values)])
        if not all(u.__class__ is str or u is _NOT_APPLICABLE for u in uniques):
            return np.asarray([self.ref(v) for v in values], dtype=np.int32)
        lut = np.asarray([self.ref(u) for u in uniques] + [_REF_UNKNOWN], dtype=np.int32)
        return lut[codes]  # code -1 (None, NaN) → the last entry: unknown


def _capacity_text(value: object, unit: object, lang: str) -> str | None:
    if _isnull(value):
        return None
    try:
        number = _fmt_num(value)
    except (TypeError, ValueError):
        number = str(value)
    label = i18n.unit_label(unit, lang)
    return f"{number} {label}".strip()


_NOT_APPLICABLE = object()  # a popup row that does not apply to this category (not shown)


def _col(frame: pd.DataFrame, name: str) -> list[object]:
    if name not in frame.columns:
        return [None] * len(frame)
    return [None if _isnull(v) else v for v in frame[name].tolist()]


def _precision_col(frame: pd.DataFrame) -> list[object]:
    return [d if d is not None else p for d, p in zip(_col(frame, "display_precision"), _col(frame, "precision"))]


def _popup_columns(frame: pd.DataFrame, lang: str, names: dict[str, str]) -> list[list[object]]:
    """The texts of every :data:`POPUP_FIELDS` row for every site, column by column."""
    cats = frame["category"].astype(str).tolist()

    def town(code: object) -> object:
        return None if code is None else names.get(str(code), str(code))

    def served(value: object, cat: str) -> object:
        if value is None:
            return None if cat == "transfer_station" else _NOT_APPLICABLE
        return "、".join(str(town(c.strip())) for c in str(value).split(";") if c.strip())

    def year(value: object) -> object:
        if value is None:
            return None
        try:
            return str(int(float(value)))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return str(value)

    def caps(value_col: str, unit_col: str) -> list[object]:
        return [_capacity_text(v, u, lang) for v, u in zip(_col(frame, value_col), _col(frame, unit_col))]

    modes = [
        (_NOT_APPLICABLE if cat != "wet_waste" else None) if m is None else i18n.wet_waste_mode_label(m, lang)
        for m, cat in zip(_col(frame, "wet_waste_mode"), cats)
    ]
    return [
        [str(v) for v in frame["site_id"].tolist()],
        _col(frame, "project_id"),
        modes,
        [town(c) for c in _col(frame, "town_code")],
        _col(frame, "village"),
        _col(frame, "address"),
        [served(v, c) for v, c in zip(_col(frame, "served_towns"), cats)],
        caps("capacity_value", "capacity_unit"),
        caps("capacity_norm", "capacity_norm_unit"),
        caps("operating_capacity_value", "operating_capacity_unit"),
        [year(v) for v in _col(frame, "target_year")],
        [None if v is None else i18n.status_label(v, lang) for v in _col(frame, "target_status")],
        _col(frame, "commissioned"),
        _col(frame, "department"),
        _col(frame, "implementer"),
        _col(frame, "status_as_of"),
        _col(frame, "status_source"),
        [None if v is None else i18n.precision_label(v, lang) for v in _precision_col(frame)],
        _col(frame, "location_source"),
        _col(frame, "source_ref"),
        _col(frame, "data_note"),
        _col(frame, "last_change"),
    ]


_CAPACITY_FIELD = POPUP_FIELDS.index("field.capacity")
_CAPACITY_NORM_FIELD = POPUP_FIELDS.index("field.capacity_norm")


def _site_code(status: int, approx: bool, overdue: bool, town_prefix: bool, size_px: int) -> int:
    """status index + 1 (0 unknown) in bits 0-2, approximate location bit 3, overdue bit 4, name
    begins with the town name bit 5, the marker size above MARKER_MIN_PX from bit 6 on."""
    return status + 1 + 8 * int(approx) + 16 * int(overdue) + 32 * int(town_prefix) + 64 * (size_px - MARKER_MIN_PX)


def _site_ids(ids: list[str]) -> dict[str, object]:
    matches = [_ID_RE.match(s) for s in ids]
    if ids and all(matches):
        prefixes = {m.group(1) for m in matches}  # type: ignore[union-attr]
        if len(prefixes) == 1:
            return {"ip": prefixes.pop(), "i": [int(m.group(2)) for m in matches]}  # type: ignore[union-attr]
    return {"i": ids}


@dataclass(frozen=True)
class SiteTexts:
    """The per-site texts of the site payload in one language, computed once for a set of sites.

    The costly part of :func:`site_payloads` is turning every site's popup fields into texts
    (labels, formatted capacities, town names) — it depends on the sites and the language only,
    not on the filter, the basemap or the marker sizes.  The app computes it once for the whole
    catalog (:func:`site_texts`) and hands it to :func:`build_map`, so a filter change only
    slices it.  ``refs`` are refs into ``strings`` (see the payload notes above), one row per
    popup field, one column per site, in the order of ``site_ids``.
    """

    lang: str
    site_ids: pd.Index  # str, one per site (located sites only)
    refs: np.ndarray  # int32 (len(POPUP_FIELDS), n)
    strings: tuple[str, ...]
    short_names: np.ndarray  # object: the name without a leading town name, or None
    elide: np.ndarray  # bool: the name began with the town name (left out of short_names)
    status: np.ndarray  # int: index in model.STATUSES, -1 unknown
    approx: np.ndarray  # bool: approximate location
    overdue: np.ndarray  # bool


def site_texts(sites: pd.DataFrame, lang: str, names: dict[str, str]) -> SiteTexts:
    """The :class:`SiteTexts` of the located ``sites`` in ``lang`` (``names``: :func:`town_names`)."""
    lang = "en" if lang == "en" else "zh"
    located = mapped_sites(sites)
    status_index = {s: i for i, s in enumerate(model.STATUSES)}
    statuses = [status_index.get(s, -1) for s in located["status"].tolist()]
    approx = [p in model.APPROXIMATE_PRECISIONS for p in _precision_col(located)]
    overdue = [o is not None and bool(o) for o in _col(located, "overdue")]
    name_col, other_col = ("name_en", "name_zh") if lang == "en" else ("name_zh", "name_en")
    display_names = [n if n is not None else o for n, o in zip(_col(located, name_col), _col(located, other_col))]

    columns = _popup_columns(located, lang, names)
    town_col = columns[POPUP_FIELDS.index("field.town")]
    elide = [
        n is not None and t is not None and len(str(n)) > len(t) and str(n).startswith(t)
        for n, t in zip(display_names, town_col)
    ]
    short_names = [
        None if n is None else (str(n)[len(t):] if e else str(n))  # type: ignore[arg-type]
        for n, t, e in zip(display_names, town_col, elide)
    ]
    strings = _Strings()
    n = len(located)
    refs = np.zeros((len(POPUP_FIELDS), n), dtype=np.int32)
    for j, col in enumerate(columns):
        refs[j] = strings.refs(col)
    norm, cap = refs[_CAPACITY_NORM_FIELD], refs[_CAPACITY_FIELD]
    refs[_CAPACITY_NORM_FIELD] = np.where((norm == cap) & (norm > 0), _REF_SAME_AS_CAPACITY, norm)
    return SiteTexts(
        lang=lang,
        site_ids=pd.Index(columns[0], dtype=object),
        refs=refs,
        strings=tuple(strings.items),
        short_names=np.asarray(short_names + [None], dtype=object)[:n],
        elide=np.asarray(elide, dtype=bool),
        status=np.asarray(statuses, dtype=np.int64),
        approx=np.asarray(approx, dtype=bool),
        overdue=np.asarray(overdue, dtype=bool),
    )


def _first_seen_groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct rows of ``keys`` in order of first appearance, each row's index among them)."""
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    order = np.argsort(first, kind="stable")  # unique's sorted order → first-appearance order
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return keys[np.sort(first)], rank[inverse]


def site_payloads(
    sites: pd.DataFrame,
    lang: str,
    basemap: str,
    strings: _Strings,
    names: dict[str, str],
    texts: SiteTexts | None = None,
) -> tuple[dict[str, dict], dict[str, object]]:
    """(category → compact column-wise payload, shared popup tables) of the located ``sites``.

    The shared part holds ``G`` (the distinct rows of low-cardinality popup texts, as refs) and
    ``low`` (popup field index → position in a G row); texts go into ``strings``.  ``texts``:
    precomputed :func:`site_texts` of these sites or of any superset of them, in ``lang``
    (computed here when None); only the texts these sites use are sent."""
    located = mapped_sites(sites)
    shared: dict[str, object] = {"G": [], "low": {}}
    if len(located) == 0:
        return {}, shared
    located = located.reset_index(drop=True)
    lang = "en" if lang == "en" else "zh"
    if texts is not None and texts.lang == lang and texts.site_ids.is_unique:
        rows_in_texts = texts.site_ids.get_indexer(pd.Index(located["site_id"].astype(str).tolist(), dtype=object))
    if texts is None or texts.lang != lang or not texts.site_ids.is_unique or (rows_in_texts < 0).any():
        # none given, or not for these sites (another language; data changed since it was made)
        texts = site_texts(located, lang, names)
        rows_in_texts = np.arange(len(located))
    lon, lat = to_display_datum(
        pd.to_numeric(located["display_lon"]).to_numpy(), pd.to_numeric(located["display_lat"]).to_numpy(), basemap
    )
    scale = 10**SITE_COORD_DECIMALS
    qx = np.round(lon * scale).astype(np.int64)
    qy = np.round(lat * scale).astype(np.int64)
    sizes = marker_sizes(located).to_numpy().astype(np.int64)

    # this subset's refs, renumbered into ``strings`` (only the texts it uses travel)
    refs = texts.refs[:, rows_in_texts]
    used = np.unique(refs[refs > 0])
    lut = np.zeros(len(texts.strings) + 1, dtype=np.int32)
    for u in used.tolist():
        lut[u] = strings.ref(texts.strings[u - 1])
    refs = np.where(refs > 0, lut[np.clip(refs, 0, None)], refs)

    codes = (
        texts.status[rows_in_texts]
        + 1
        + 8 * texts.approx[rows_in_texts]
        + 16 * texts.overdue[rows_in_texts]
        + 32 * texts.elide[rows_in_texts]
        + 64 * (sizes - MARKER_MIN_PX)
    )
    short_names = texts.short_names[rows_in_texts]
    site_ids = texts.site_ids.to_numpy()[rows_in_texts]

    low = [j for j in range(1, len(refs)) if len(np.unique(refs[j])) <= LOW_CARDINALITY]
    high = [j for j in range(1, len(refs)) if j not in low]
    shared["low"] = {str(j): k for k, j in enumerate(low)}
    if low:
        distinct, group = _first_seen_groups(refs[low].T)
        shared["G"] = distinct.tolist()
    else:
        shared["G"], group = [[]], np.zeros(len(located), dtype=np.int64)

    cats = located["category"].astype(str).to_numpy()
    out: dict[str, dict] = {}
    for cat in model.CATEGORIES:
        idx = np.flatnonzero(cats == cat)
        if len(idx) == 0:
            continue
        idx = idx[np.lexsort((qy[idx], qx[idx]))]
        xs, ys = qx[idx], qy[idx]
        payload: dict[str, object] = {
            "x0": int(xs[0]),
            "y0": int(ys.min()),
            "x": np.diff(xs, prepend=xs[0]).tolist(),
            "y": (ys - ys.min()).tolist(),
            "c": codes[idx].tolist(),
            "n": short_names[idx].tolist(),
        }
        payload.update(_site_ids(site_ids[idx].tolist()))
        if len(shared["G"]) > 1:  # type: ignore[arg-type]
            payload["g"] = group[idx].tolist()
        fields = {}
        for j in high:
            col = refs[j, idx]
            if col.any():  # a column of unknowns only is left out (read as unknown)
                fields[str(j)] = col.tolist()
        payload["f"] = fields
        out[cat] = payload
    return out, shared


def decode_sites(payload: dict, config: dict) -> list[dict]:
    """The sites of one layer payload as the browser decodes them (for tests and callers):
    ``site_id, lon, lat, name, status, approx, overdue, size`` and ``fields`` (popup field key →
    text, None for unknown; rows that do not apply are left out)."""
    scale = 10**SITE_COORD_DECIMALS
    out = []
    x = payload["x0"]
    ids = payload["i"]
    for i, dx in enumerate(payload["x"]):
        x += dx
        code = payload["c"][i]
        site_id = f"{payload['ip']}{ids[i]}" if "ip" in payload else ids[i]
        g = config["G"][payload["g"][i]] if "g" in payload else (config["G"][0] if config["G"] else [])
        fields: dict[str, str | None] = {}
        for j, key in enumerate(POPUP_FIELDS):
            if j == 0:
                fields[key] = site_id
                continue
            if str(j) in config["low"]:
                ref = g[config["low"][str(j)]]
            else:
                col = payload["f"].get(str(j))
                ref = col[i] if col is not None else _REF_UNKNOWN
            if ref == _REF_SAME_AS_CAPACITY:
                ref = payload["f"][str(_CAPACITY_FIELD)][i] if str(_CAPACITY_FIELD) in payload["f"] else (
                    g[config["low"][str(_CAPACITY_FIELD)]]
                )
            if ref == _REF_NOT_APPLICABLE:
                continue
            fields[key] = None if ref == _REF_UNKNOWN else config["S"][ref - 1]
        out.append(
            {
                "site_id": site_id,
                "lon": round(x / scale, SITE_COORD_DECIMALS),
                "lat": round((payload["y0"] + payload["y"][i]) / scale, SITE_COORD_DECIMALS),
                "name": (fields["field.town"] if code & 32 else "") + payload["n"][i]
                if payload["n"][i] is not None
                else None,
                "status": None if code & 7 == 0 else model.STATUSES[(code & 7) - 1],
                "approx": bool(code & 8),
                "overdue": bool(code & 16),
                "size": MARKER_MIN_PX + (code >> 6),
                "fields": fields,
            }
        )
    return out


# --- the map ---------------------------------------------------------------------
def _zone_label(row: Any, lang: str) -> str:
    name = row.name_en if lang == "en" and not _isnull(getattr(row, "name_en", None)) else row.name_zh
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
    if basemap not in BASEMAPS:
        raise ValueError(f"unknown basemap {basemap!r}; expected one of {BASEMAPS}")
    if basemap == "tianditu" and not tianditu_token.strip():
        raise ValueError("the 天地图 basemap needs a token (settings: tianditu_token / WUFEI_TIANDITU_TOKEN)")
    if choropleth is not None and choropleth not in CHOROPLETH_MEASURES:
        raise ValueError(f"unknown choropleth measure {choropleth!r}; expected one of {CHOROPLETH_MEASURES}")
    lang = "en" if lang == "en" else "zh"

    m = folium.Map(
        location=DEFAULT_CENTER,
        zoom_start=11,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
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
    else:
        spec = TILES[basemap]
        attr = t(f"attr.{basemap}", lang)
        token = tianditu_token.strip()
        folium.TileLayer(
            tiles=spec["tiles"].replace("{token}", token),
            attr=attr,
            name=t(f"basemap.{basemap}", lang),
            subdomains=spec.get("subdomains", "abc"),
            max_zoom=spec["max_zoom"],
            overlay=False,
            control=False,
        ).add_to(m)
        if basemap == "tianditu":
            folium.TileLayer(
                tiles=spec["labels"].replace("{token}", token),
                attr=attr,
                name=t("basemap.tianditu", lang) + " labels",
                subdomains=spec["subdomains"],
                max_zoom=spec["max_zoom"],
                overlay=True,
                control=False,
            ).add_to(m)

    names = town_names(zones, towns, lang)
    strings = _Strings()
    payloads, popup_tables = site_payloads(sites, lang, basemap, strings, names, texts=texts)

    choro_info: dict | None = None
    zone_layer_name = t("map.zones", lang)
    if zones is not None and len(zones):
        approx_any = (zones.get("boundary_quality") == "approximate").any() if "boundary_quality" in zones else False
        if approx_any:
            zone_layer_name = t("map.zones_approx", lang)
        measures = town_measures(sites, zones, towns) if choropleth else None
        edges: list[float] = []
        if measures is not None:
            edges = _bins(measures[choropleth])
            choro_info = {"label": t(f"choropleth.{choropleth}", lang), "edges": edges}
        zone_feats = []
        for i, row in enumerate(zones.itertuples(index=False)):
            geom = _geom_for_display(row.geometry, basemap, simplify=ZONE_SIMPLIFY_DEG)
            if geom is None or geom.is_empty:
                continue
            approx = getattr(row, "boundary_quality", None) == "approximate"
            props: dict[str, object] = {"name": _zone_label(row, lang), "approx": approx, "code": str(row.town_code)}
            if measures is not None:
                value = measures[choropleth].iloc[i]
                props["mlabel"] = choro_info["label"]  # type: ignore[index]
                if pd.isna(value):
                    props["fill"] = UNKNOWN_COLOUR
                    props["mtext"] = t("common.unknown", lang)
                else:
                    props["fill"] = _bin_colour(float(value), edges)
                    props["mtext"] = _fmt_num(round(float(value), 2))
            zone_feats.append({"type": "Feature", "geometry": shapely.geometry.mapping(geom), "properties": props})
        zone_opts = (
            "{style: function(f){ var p = f.properties; return {color: '#555', weight: 1.2, "
            "dashArray: p.approx ? '5 4' : null, fill: true, fillColor: p.fill || '#ffffff', "
            "fillOpacity: p.fill ? 0.6 : 0.05}; },"
            " onEachFeature: function(f, layer){ var R = " + "{renderer}" + ";"
            " layer.bindTooltip(R.esc(f.properties.name) + (f.properties.approx ? '<br><small>' + R.esc(R.approx) + '</small>' : '')"
            " + (f.properties.mlabel !== undefined ? '<br><small>' + R.esc(f.properties.mtext) + '</small>' : ''),"
            " {permanent: true, direction: 'center', className: 'wf-zone-label'}); }}"
        )
        zone_layer = SafeGeoJson(_feature_collection(zone_feats), zone_layer_name, zone_opts, kind="zones")
    else:
        zone_layer = None

    renderer = SiteRenderer(
        {
            "S": strings.items,
            "G": popup_tables["G"],
            "low": popup_tables["low"],
            "capField": _CAPACITY_FIELD,
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
            },
            "unknown": t("common.unknown", lang),
            "unknownColour": UNKNOWN_COLOUR,
            "approx": t("common.approximate_extent", lang),
        }
    )
    m.add_child(renderer)
    rname = renderer.get_name()

    if district is not None and len(district):
        d_feats = []
        for geom in district.geometry:
            g = _geom_for_display(geom, basemap, simplify=ZONE_SIMPLIFY_DEG)
            if g is not None and not g.is_empty:
                d_feats.append({"type": "Feature", "geometry": shapely.geometry.mapping(g), "properties": {}})
        SafeGeoJson(
            _feature_collection(d_feats),
            t("map.district", lang),
            "{style: function(){ return {color: '#333', weight: 2.5, fill: false}; }, interactive: false}",
            kind="district",
        ).add_to(m)
        minx, miny, maxx, maxy = shapely.bounds(shapely.union_all([f for f in district.geometry])).tolist()
        blon, blat = to_display_datum(np.array([minx, maxx]), np.array([miny, maxy]), basemap)
        m.fit_bounds([[float(blat[0]), float(blon[0])], [float(blat[1]), float(blon[1])]])
        # streamlit-folium may size its frame after fitBounds ran, so the initial view is the
        # district's centre at a zoom that holds the whole district in a ~900×550 px map.
        m.location = [float(blat.mean()), float(blon.mean())]
        m.options["zoom"] = DISTRICT_ZOOM

    if zone_layer is not None:
        zone_layer.options_js = zone_layer.options_js.replace("{renderer}", rname)
        zone_layer.add_to(m)

    links = service_links(sites, towns, zones, names, lang, basemap)
    if links:
        SafeGeoJson(
            _feature_collection(links),
            t("map.service_links", lang),
            "{style: function(){ return {color: '#e8950c', weight: 2, dashArray: '6 4', opacity: 0.9}; },"
            " onEachFeature: function(f, layer){ layer.bindTooltip(" + rname + ".esc(f.properties.label)); }}",
            kind="links",
        ).add_to(m)

    n_mapped = sum(len(p["x"]) for p in payloads.values())
    cluster = n_mapped > CLUSTER_THRESHOLD
    for cat in model.CATEGORIES:
        payload = payloads.get(cat)
        if not payload:
            continue
        glyph = CATEGORY_GLYPHS[cat][1 if lang == "en" else 0]
        m.add_child(
            SiteLayer(payload, cat, f"{glyph} {i18n.category_label(cat, lang)} ({len(payload['x'])})", renderer, cluster=cluster)
        )

    if selected_site is not None:
        located = mapped_sites(sites)
        hit = located[located["site_id"].astype(str) == str(selected_site)]
        if len(hit):
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

    m.add_child(Legend(_legend_html(lang, [c for c in model.CATEGORIES if c in payloads], choro_info, basemap)))
    folium.LayerControl(collapsed=True).add_to(m)
    if asset_base is not None:
        use_local_assets(m, asset_base)
    return m


def _walk(element: Any) -> Iterable[Any]:
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def use_local_assets(m: folium.Map, asset_base: str) -> folium.Map:
    """Load Leaflet and the cluster plugin from ``asset_base`` instead of public CDNs.

    ``asset_base`` is a URL prefix under which the files of :data:`ASSET_DIR` are served (the app
    serves them itself; a standalone page can use ``ASSET_DIR.as_uri()``).  Assets folium declares
    by default that this map does not use (jQuery, Bootstrap, awesome-markers, Font Awesome) are
    dropped, so the map needs no network at all.
    """
    base = asset_base.rstrip("/")
    for element in _walk(m):
        for attr in ("default_js", "default_css"):
            assets = getattr(element, attr, None)
            if assets:
                setattr(
                    element,
                    attr,
                    [(name, f"{base}/{_ASSET_FILES[name]}") for name, _ in assets if name in _ASSET_FILES],
                )
    return m


def service_links(
    sites: pd.DataFrame,
    towns: pd.DataFrame | None,
    zones: pd.DataFrame | None,
    names: dict[str, str],
    lang: str = "zh",
    basemap: str = "none",
) -> list[dict]:
    """LineString features from each transfer station with ``served_towns`` to the served towns' seats.

    Seats come from the gazetteer (``seat_lon``/``seat_lat``); a town missing there falls back to
    a point inside its zone.  Stations without a display point draw no link."""
    seats: dict[str, tuple[float, float]] = {}
    if zones is not None and len(zones):
        for code, geom in zip(zones["town_code"], zones.geometry):
            if geom is not None and not geom.is_empty:
                p = geom.representative_point()
                seats[str(code)] = (p.x, p.y)
    if towns is not None and len(towns) and {"seat_lon", "seat_lat"} <= set(towns.columns):
        code_col = "code" if "code" in towns.columns else "town_code"
        for code, x, y in zip(towns[code_col], towns["seat_lon"], towns["seat_lat"]):
            if not (_isnull(x) or _isnull(y)):
                seats[str(code)] = (float(x), float(y))
    stations = mapped_sites(sites)
    if len(stations) == 0 or "served_towns" not in stations.columns:
        return []
    stations = stations[(stations["category"] == "transfer_station") & stations["served_towns"].notna()]
    name_col = "name_en" if lang == "en" else "name_zh"
    out = []
    for row in stations.itertuples(index=False):
        station_name = getattr(row, name_col, None)
        if _isnull(station_name):
            station_name = row.name_zh
        for code in (c.strip() for c in str(row.served_towns).split(";")):
            if not code or code not in seats:
                continue
            xs = np.array([float(row.display_lon), seats[code][0]])
            ys = np.array([float(row.display_lat), seats[code][1]])
            xs, ys = to_display_datum(xs, ys, basemap)
            out.append(
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "LineString",
                        "coordinates": [[round(float(x), COORD_DECIMALS), round(float(y), COORD_DECIMALS)] for x, y in zip(xs, ys)],
                    },
                    "properties": {
                        "label": t("map.served_by", lang, station=station_name, town=names.get(code, code)),
                    },
                }
            )
    return out


def site_layers(m: folium.Map) -> list[SiteLayer]:
    """The site layers of a map built by :func:`build_map` (one per category), for tests and callers."""
    return [c for c in m._children.values() if isinstance(c, SiteLayer)]
