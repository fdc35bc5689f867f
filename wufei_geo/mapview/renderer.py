"""The folium elements that put sites and overlays into the page, and the browser-side JS renderer."""
from __future__ import annotations

import json

import folium
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from wufei_geo.mapview.escape import safe_json
from wufei_geo.mapview.payload import SITE_COORD_DECIMALS, decode_sites
from wufei_geo.mapview.style import MARKER_MIN_PX, marker_state_css
from wufei_geo.mapview.tiles import CDN_ASSETS


class SiteRenderer(MacroElement):
    """One JS object per map: the string table, labels and the tooltip/popup/marker builders."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
        .wf-site{background:none;border:none}
        .wf-m{box-sizing:border-box;display:flex;align-items:center;justify-content:center;
          border-radius:50%;color:#fff;font:bold 11px/1 sans-serif}
        {{ this.state_css }}
        .wf-m.wf-sel{outline:3px solid #00bcd4;outline-offset:2px}
        .wf-pop table{border-collapse:collapse;font-size:12px}
        .wf-pop th{text-align:left;padding:1px 6px 1px 0;color:#555;font-weight:normal;white-space:nowrap;vertical-align:top}
        .wf-pop td{padding:1px 0}
        .wf-unk{color:#999;font-style:italic}
        .wf-zone-label{background:rgba(255,255,255,.7);border:none;box-shadow:none;font-size:11px;padding:0 3px;text-align:center}
        .wf-zone-label:before{display:none}
        .wf-same{margin-top:4px;border-top:1px solid #ddd;padding-top:3px;font-size:12px}
        .wf-same ul{margin:2px 0 0 14px;padding:0}
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
                             a: c & 8 ? 1 : 0, o: c & 16 ? 1 : 0, b: D.b ? D.b[i] : 0, r: {{ this.min_px }} + (c >> 6), i: i}});
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
            for (var k = 0; k < R.badges.length; k++)
              if (p.b >> k & 1) h += '<tr><th>' + esc(R.badges[k][2]) + '</th><td>' + esc(R.lab.yes) + '</td></tr>';
            h += '</table>';
            // sites drawn at the same point share this popup: the others are listed below
            var same = R.at[p.key] || [];
            if (same.length > 1) {
              h += '<div class="wf-same"><b>' + esc(R.lab.same.replace('{n}', same.length - 1)) + '</b><ul>';
              for (var q = 0; q < same.length; q++) {
                var o = same[q], os = o[1].s >= 0 ? R.st[o[1].s] : null;
                if (o[1] === p) continue;
                h += '<li>' + esc(o[1].n) + ' (' + esc(o[1].site_id) + ') · ' + esc(R.cat[o[0]]) + ' · ' + val(os ? os[0] : null) + '</li>';
              }
              h += '</ul></div>';
            }
            return h + '</div>';
          };
          R.point = function(cat){
            return function(f, ll){
              var p = f.properties, st = p.s >= 0 ? R.st[p.s] : null;
              var col = st ? st[1] : R.unknownColour, d = p.r || {{ this.min_px }};
              var cls = 'wf-m' + (p.a ? ' wf-approx' : ''), badges = '';
              // the fill is always the status colour; other states are badges (style.MARKER_BADGES)
              for (var k = 0; k < R.badges.length; k++)
                if (p.b >> k & 1) badges += '<span class="wf-b wf-b-' + R.badges[k][0] + '">' + esc(R.badges[k][1]) + '</span>';
              var icon = L.divIcon({className: 'wf-site wf-cat-' + cat, iconSize: [d, d],
                html: '<div class="' + cls + '" style="width:' + d + 'px;height:' + d + 'px;background:' +
                      col + '">' + esc(R.glyph[cat]) + badges + '</div>'});
              return L.marker(ll, {icon: icon, keyboard: false, riseOnHover: true});
            };
          };
          R.at = {};  // "lon,lat" → [[category, properties, payload], …] of the sites drawn there
          R.opts = function(cat, D){
            return {pointToLayer: R.point(cat), onEachFeature: function(f, layer){
              var key = f.geometry.coordinates.join(',');
              f.properties.key = key;
              (R.at[key] = R.at[key] || []).push([cat, f.properties, D]);
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
        self.state_css = marker_state_css()


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
    Leaflet's polygon centre.  ``labels``: ``[{code, lat, lng, name, sub}]``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.layerGroup();
        (function(R, Z, map, G){
          // labels under the markers (marker pane: 600), above the zones (overlay pane: 400)
          if (!map.getPane('wfLabels')) { var pane = map.createPane('wfLabels'); pane.style.zIndex = 450; pane.style.pointerEvents = 'none'; }
          Z.forEach(function(z){
            var html = R.esc(z.name) + (z.sub !== undefined ? '<br><small>' + R.esc(z.sub) + '</small>' : '');
            var t = L.tooltip({permanent: true, direction: 'center', className: 'wf-zone-label', interactive: false,
                               opacity: 1, pane: 'wfLabels', wfCode: z.code}).setLatLng([z.lat, z.lng]).setContent(html);
            t.addTo(G);
          });
          function relayout(){
            G.eachLayer(function(t){
              var el = t.getElement();
              if (el) { el.style.position = 'absolute'; el.style.whiteSpace = 'nowrap'; }
              if (t._map) t.update();
            });
          }
          G.addTo(map);
          relayout();
          map.on('zoomend viewreset resize moveend', relayout);
          if (document.readyState !== 'complete') window.addEventListener('load', relayout);
          if (document.fonts && document.fonts.ready) document.fonts.ready.then(relayout);
          setTimeout(relayout, 500);
        })({{ this.renderer.get_name() }}, {{ this.data_json }}, {{ this._parent.get_name() }}, {{ this.get_name() }});
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
