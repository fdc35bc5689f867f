"""The adapter's runtime (``app_pages/folium_runtime.js``) on a small fixture page, no app: a
second map drawn into the open Leaflet map replaces the first map's layers, controls and events
but not the map's own; the same map again is a no-op; the view reaches the address."""
from __future__ import annotations

from typing import Any

import pytest

from app_pages import folium_adapter
from wufei_geo import mapview

pytestmark = [pytest.mark.browser]

_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="{base}/leaflet/leaflet.css"><script src="{base}/leaflet/leaflet.js"></script>
</head><body><div id="map_div" style="width:400px;height:300px"></div><div id="wf_html">first</div>
<script>{runtime}
var map_div;
__wfShow('one', null, function () {{
  map_div = L.map('map_div', {{center: [31.15, 121.1], zoom: 10}});
  L.marker([31.15, 121.1]).addTo(map_div);
  L.control.scale().addTo(map_div);
  map_div.on('click', function () {{ window.firstClicks = (window.firstClicks || 0) + 1; }});
}});
window.map = map_div;
</script></body></html>"""

_SECOND = """__wfShow('two', '<b>second</b>', function () {
  var m = L.map('map_div', {center: [0, 0], zoom: 3});
  L.circleMarker([31.2, 121.2]).addTo(m);
});
__wfFollowView();"""


def test_the_runtime_redraws_in_place_and_writes_the_view(browser: Any, tmp_path: Any) -> None:
    from .harness import block_external

    page_path = tmp_path / "runtime.html"
    page_path.write_text(_PAGE.format(base=mapview.ASSET_DIR.as_uri(), runtime=folium_adapter.runtime_js()),
                         encoding="utf-8")
    context = browser.new_context(viewport={"width": 600, "height": 400})
    block_external(context)
    try:
        pg = context.new_page()
        pg.goto(page_path.as_uri())
        pg.wait_for_function("() => window.map && window.__wfToken === 'one'")
        count = "() => { let n = 0; window.map.eachLayer(l => { if (l instanceof L.Marker) n++; }); return n; }"
        assert pg.evaluate(count) == 1
        pg.evaluate(f"() => {{ {_SECOND} }}")
        state = pg.evaluate("""() => {
          let markers = 0, circles = 0; window.map.eachLayer(l => { if (l instanceof L.CircleMarker) circles++;
                                                                    else if (l instanceof L.Marker) markers++; });
          window.map.fire('click', {latlng: window.map.getCenter()});
          return {token: window.__wfToken, markers, circles, html: document.getElementById('wf_html').innerHTML,
                  scale: !!document.querySelector('.leaflet-control-scale'),
                  zoomControl: !!document.querySelector('.leaflet-control-zoom'), clicks: window.firstClicks || 0,
                  zoom: window.map.getZoom()};
        }""")
        # the first map's marker, scale control and click handler are gone; the map's own zoom
        # control stays; the second drawing's L.map answered the open map (its view is not taken)
        assert state == {"token": "two", "markers": 0, "circles": 1, "html": "<b>second</b>", "scale": False,
                         "zoomControl": True, "clicks": 0, "zoom": 10}, state
        # the same map again: nothing is redrawn
        pg.evaluate("() => __wfShow('two', 'again', function () { throw new Error('drawn twice'); })")
        assert pg.evaluate("document.getElementById('wf_html').innerHTML") == "<b>second</b>"
        # a move reaches the address (here the page itself: its own parent) without anything else
        pg.evaluate("() => window.map.setView([31.2, 121.3], 11)")
        pg.wait_for_function("() => location.search.includes('view=31.20000')")
        assert "view=31.20000%2C121.30000%2C11" in pg.url
    finally:
        context.close()
