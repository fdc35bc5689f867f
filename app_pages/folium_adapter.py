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

import functools
import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
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
    for element in mapview.walk_elements(m):
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


# The runtime that keeps one Leaflet map per iframe and writes its view into the address: a
# package asset beside this module (see its header).
RUNTIME_JS_PATH = Path(__file__).with_name("folium_runtime.js")


@functools.lru_cache(maxsize=1)
def runtime_js() -> str:
    return RUNTIME_JS_PATH.read_text(encoding="utf-8")


def _replace_once(text: str, old: str, new: str) -> str:
    """``text`` with its one ``old`` replaced; an error when folium's output no longer has it
    exactly once (an upgrade changed it: the page would break silently otherwise)."""
    if text.count(old) != 1:
        raise ValueError(f"folium's map script has {text.count(old)} occurrences of {old!r}, expected 1")
    return text.replace(old, new, 1)


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
    runtime = runtime_js()
    js_links, inlined = _inline_renderer(args["js_links"])
    first = (runtime + inlined + "var map_div;\n__wfShow(" + json.dumps(token) + ", null, function () {\n"
             + _replace_once(args["script"], "var map_div = L.map(", "map_div = L.map(") + "\n});\n")
    later = (runtime + "__wfShow(" + json.dumps(token) + ", " + html + ", function () {\n" + args["script"]
             + "\n});\n__wfFollowView();\n")
    return {**args, "key": key, "script": first, "html": '<div id="wf_html">' + args["html"] + "</div>", "feature_group": later,
            "token": token, "js_links": js_links}


def _inline_renderer(js_links: list[str]) -> tuple[list[str], str]:
    """(``js_links`` without the map's renderer asset, the renderer's script when it was linked).

    streamlit-folium loads the linked scripts one after the other before the map's script runs;
    the renderer (~46 kB) rides in the first render's script instead, after Leaflet: one fetch
    fewer on the way to the first drawing (the app's component files carry no validator, so the
    browser fetches them again on every load)."""
    from wufei_geo.mapview.renderer import RENDERER_ASSET, renderer_js

    kept = [link for link in js_links if not link.endswith("/" + RENDERER_ASSET)]
    return kept, ("" if len(kept) == len(js_links) else renderer_js() + "\n")


def already_shown(args: dict[str, Any]) -> dict[str, Any]:
    """``args`` of :func:`live_args` for a browser whose open map already shows this map (same
    component, same token): without the map itself (~2 × the map's script, re-sent and parsed on
    every rerun for nothing).  streamlit-folium reads ``script`` and ``html`` only when it creates
    the map, and a ``feature_group`` of the same token is a no-op; only what follows the map (the
    page's message, :func:`with_message`) still runs.  The caller must know the browser has the map:
    the component existed in this session and was last sent this token."""
    return {**args, "script": "", "html": "", "feature_group": "/* map " + args["token"] + " shown */\n"}


def with_message(args: dict[str, Any], script: str) -> dict[str, Any]:
    """``args`` of :func:`live_args` that also run ``script`` in the open map after it is drawn
    (e.g. the page's filter for the map, ``WufeiMap.apply(window.map, …)``).  streamlit-folium
    evaluates ``feature_group`` only when it changed: a new message costs its own bytes, the map
    it follows is a no-op when already shown."""
    return {**args, "feature_group": args["feature_group"] + script + "\n"}


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
