"""The one place that uses streamlit-folium's private names (issue 17).

The map page does not use the public :func:`streamlit_folium.st_folium` (measured 2026-11-29 on
the shared, heavily loaded 2-core machine, the plan's 38 sites): ``st_folium`` renders the whole
folium page and the map again on *every* rerun — 235 ms per call (best of 7), on top of the
map's build, against ~0 ms for this module's cached arguments — and re-sends the ~54 kB script
each time; and its component key is a hash of the map's script, so every new map (another filter)
gets a new key and the browser throws the map's iframe away and loads Leaflet and the map again
(``bench/results.md`` figure 9).  ``feature_group_to_add`` would avoid the reload only for layers
built as folium FeatureGroups, still rendering the whole map per rerun.  This module therefore:

- :func:`component_args` — what ``st_folium`` would send to its component for a map, computed
  once (the page caches it).  It mirrors ``st_folium`` (0.27); ``tests/test_folium_adapter.py``
  holds it against the keyword arguments ``st_folium`` itself passes to the component for the
  same map, so an upgrade of streamlit-folium breaks that test, not the page;
- :func:`live_args` — the same map sent so that the browser keeps one Leaflet map and only
  replaces what is drawn on it: the first render runs the map's script as ``st_folium`` would;
  a later map (another filter, a saved edit, another language) travels in the component's
  ``feature_group`` argument (which streamlit-folium evaluates in the open map without reloading
  it) and replaces every layer, control, map event handler and legend the previous one added;
- :func:`show` — streamlit-folium's component with such arguments.

Nothing outside this module imports ``streamlit_folium``'s private names.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from typing import Any

import folium
import streamlit as st
import streamlit_folium

from wufei_geo import mapview

# What the component returns and its defaults: the subset of st_folium's ``_defaults`` asked for.
_DEFAULTS = ("last_clicked", "last_object_clicked", "last_object_clicked_count", "last_object_clicked_tooltip",
             "last_object_clicked_popup", "all_drawings", "last_active_drawing", "bounds", "zoom",
             "last_circle_radius", "last_circle_polygon", "selected_layers", "selected_tags", "last_geocoder_result")


def component_args(m: folium.Map, key: str, returned_objects: Iterable[str]) -> dict[str, Any]:
    """The arguments ``st_folium(m, key=key, returned_objects=returned_objects, …)`` sends, for one map.

    Only the map's own render fills what is read here (st_folium also renders the whole page
    first, a string as large as the map's data that it never uses).  Renders ``m``, renaming its
    elements as st_folium does; build the map for this call and do not share it.
    """
    returned = list(returned_objects)
    m.render()
    html = streamlit_folium._get_html(m)
    header = streamlit_folium._get_header(m)
    script = streamlit_folium._get_map_string(m)
    (south, west), (north, east) = m.get_bounds()
    css_links: list[str] = []
    js_links: list[str] = []
    for element in mapview._walk(m):
        css_links.extend(href for _, href in getattr(element, "default_css", None) or [])
        js_links.extend(src for _, src in getattr(element, "default_js", None) or [])
    defaults: dict[str, Any] = dict.fromkeys(_DEFAULTS)
    defaults["last_object_clicked_count"] = None
    defaults["zoom"] = m.options.get("zoom")
    defaults["bounds"] = {"_southWest": {"lat": south, "lng": west}, "_northEast": {"lat": north, "lng": east}}
    return {
        "script": script,
        "header": header,
        "html": html,
        "id": streamlit_folium.get_full_id(m),
        "key": streamlit_folium.generate_js_hash(script, key, False),
        "default": {k: v for k, v in defaults.items() if k in returned},
        "css_links": list(dict.fromkeys(css_links)),
        "js_links": list(dict.fromkeys(js_links)),
    }


# Run by the first render (prefixed to the map's script) and by every later map (the
# ``feature_group`` argument): ``__wfShow(token, html, draw)`` draws a map into the one Leaflet map
# of the iframe.  While ``draw`` runs, ``L.map`` answers the existing map, and every layer added to
# the map, control added, and map event handler registered is recorded; the next map removes them
# first.  The legend and other HTML of the map live in ``#wf_html`` and are replaced with it.
_RUNTIME_JS = """
if (!window.__wfShow) {
  window.__wfShow = function (token, html, draw) {
    if (window.__wfToken === token) return;
    var M = window.map, added = window.__wfAdded || {layers: [], controls: [], events: []};
    if (M) {
      added.controls.forEach(function (c) { try { c.remove(); } catch (e) {} });
      added.layers.forEach(function (l) { try { M.removeLayer(l); } catch (e) {} });
      added.events.forEach(function (a) { try { M.off.apply(M, a); } catch (e) {} });
    }
    var box = document.getElementById('wf_html');
    if (box && html !== null) box.innerHTML = html;
    var now = {layers: [], controls: [], events: []}, own = false;
    var P = L.Map.prototype, C = L.Control.prototype;
    var orig = {map: L.map, add: P.addLayer, on: P.on, ctl: C.addTo};
    // What the map does for itself is not the drawing's and is never undone: what its constructor
    // adds (zoom control, zoom animation, the handlers' events) at the first render, and its
    // renderers (one per pane, created on first use, shared by every later drawing) with their
    // view events — a renderer that lost them stays drawn at the old zoom.
    L.map = M ? function () { return M; } : function () {
      own = true;
      try { return orig.map.apply(this, arguments); } finally { own = false; }
    };
    P.addLayer = function (l) { if (!own && !(l instanceof L.Renderer)) now.layers.push(l); return orig.add.apply(this, arguments); };
    P.on = function (types, fn, context) {
      var ctx = typeof types === 'object' ? fn : context;
      if (!own && !(ctx instanceof L.Renderer)) now.events.push(Array.prototype.slice.call(arguments));
      return orig.on.apply(this, arguments);
    };
    C.addTo = function () { if (!own) now.controls.push(this); return orig.ctl.apply(this, arguments); };
    try { draw(); } finally {
      L.map = orig.map; P.addLayer = orig.add; P.on = orig.on; C.addTo = orig.ctl;
    }
    window.__wfAdded = now;
    window.__wfToken = token;
  };
}
"""


def live_args(args: dict[str, Any], key: str) -> dict[str, Any]:
    """``args`` of :func:`component_args` as one long-lived map in the browser (see the module doc).

    The component key is ``key`` (fixed), so the iframe and its Leaflet map stay when the map
    changes; the map's script is the first render's, prefixed with the runtime above, and every
    render also carries the map in ``feature_group`` — evaluated by streamlit-folium only when it
    differs from the last one, and a no-op when it is the map already shown (same token).
    """
    token = hashlib.blake2b((args["script"] + args["html"]).encode("utf-8"), digest_size=12).hexdigest()
    html = json.dumps(args["html"], ensure_ascii=False).replace("</", "<\\/")
    # the map's own script creates ``map_div`` (a global at the first render; inside the function
    # at a later one, where L.map answers the open map); the frontend appends
    # ``window.map = map_div`` to the first render's script.
    first = (_RUNTIME_JS + "var map_div;\n__wfShow(" + json.dumps(token) + ", null, function () {\n"
             + args["script"].replace("var map_div = L.map(", "map_div = L.map(", 1) + "\n});\n")
    later = _RUNTIME_JS + "__wfShow(" + json.dumps(token) + ", " + html + ", function () {\n" + args["script"] + "\n});\n"
    return {**args, "key": key, "script": first, "html": '<div id="wf_html">' + args["html"] + "</div>", "feature_group": later}


def show(args: dict[str, Any], *, key: str, returned_objects: Iterable[str], height: int, center: Any, zoom: Any,
         on_change: Callable[[], None] | None = None) -> dict | None:
    """streamlit-folium's component with ``args`` (of :func:`component_args` or :func:`live_args`):
    what ``st_folium(m, key=key, returned_objects=…, height=height, use_container_width=True,
    zoom=zoom, center=center)`` sends, without re-rendering the map."""
    hash_key = args["key"]

    def _on_change() -> None:
        st.session_state[key] = st.session_state.get(hash_key, {})
        if on_change is not None:
            on_change()

    return streamlit_folium._component_func(
        script=args["script"],
        header=args["header"],
        html=args["html"],
        id=args["id"],
        key=hash_key,
        height=height,
        width=None,
        returned_objects=list(returned_objects),
        default=args["default"],
        zoom=zoom,
        center=center,
        feature_group=args.get("feature_group"),
        return_on_hover=False,
        layer_control=None,
        pixelated=False,
        css_links=args["css_links"],
        js_links=args["js_links"],
        on_change=_on_change,
        wrap_longitude=False,
    )
