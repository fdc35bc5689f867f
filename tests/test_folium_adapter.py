"""The map page's adapter to streamlit-folium (issue 17) against ``st_folium`` itself.

``app_pages/folium_adapter.py`` is the only user of streamlit-folium's private names.  Here the
arguments it computes for a map are held against the keyword arguments the public ``st_folium``
passes to the component for the same map (captured by replacing ``_component_func``), so an
upgrade of streamlit-folium that changes what the component receives breaks this test, not
the page.  No browser, no Streamlit server.
"""
from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import streamlit_folium

from app_pages import folium_adapter
from wufei_geo import mapview

RETURNED = ("last_active_drawing", "last_object_clicked", "center", "zoom")


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from wufei_geo.catalog import load_catalog
    from wufei_geo.store import Store

    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('adapter') / 'a.sqlite'}")
    try:
        return load_catalog(store)
    finally:
        store.close()


def _map(catalog: Any, **kw: Any) -> Any:
    return mapview.build_map(catalog.sites, catalog.zones, catalog.district, towns=catalog.towns,
                             asset_base="/component/leaflet_assets", **kw)


def _st_folium_kwargs(m: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def capture(**kwargs: Any) -> None:
        seen.update(kwargs)

    monkeypatch.setattr(streamlit_folium, "_component_func", capture)
    streamlit_folium.st_folium(m, key="map", returned_objects=list(RETURNED), height=600, use_container_width=True)
    return seen


@pytest.mark.parametrize("kw", [{}, {"lang": "en", "choropleth": "site_count"}, {"basemap": "osm"}])
def test_the_adapter_sends_what_st_folium_sends(catalog: Any, monkeypatch: pytest.MonkeyPatch, kw: dict) -> None:
    m = _map(catalog, **kw)
    twin = copy.deepcopy(m)  # same element ids: the two renders must agree byte for byte
    ours = folium_adapter.component_args(m, "map", RETURNED)
    theirs = _st_folium_kwargs(twin, monkeypatch)
    assert theirs, "st_folium no longer calls _component_func"
    for name in ("script", "header", "html", "id", "key", "default", "css_links", "js_links"):
        assert ours[name] == theirs[name], name
    assert "window.map" not in ours["script"]  # the frontend adds it; a map script that did would differ
    # every argument st_folium sends is one the adapter's show() sends (names only; values above)
    sent: dict[str, Any] = {}
    monkeypatch.setattr(streamlit_folium, "_component_func", lambda **k: sent.update(k))
    folium_adapter.show(ours, key="map", returned_objects=RETURNED, height=600, center=None, zoom=None)
    assert set(sent) == set(theirs)
    for name in ("height", "width", "returned_objects", "zoom", "center", "feature_group", "return_on_hover",
                 "layer_control", "pixelated", "wrap_longitude"):
        assert sent[name] == theirs[name], name


def test_live_args_keep_one_map_and_carry_the_next_one_whole(catalog: Any) -> None:
    sites = catalog.sites
    a = folium_adapter.component_args(_map(catalog), "map", RETURNED)
    few = sites[sites["category"] == "wet_waste"]
    b = folium_adapter.component_args(mapview.build_map(few, catalog.zones, catalog.district, towns=catalog.towns,
                                                        asset_base="/component/leaflet_assets"), "map", RETURNED)
    la, lb = folium_adapter.live_args(a, key="map-none"), folium_adapter.live_args(b, key="map-none")
    assert la["key"] == lb["key"] == "map-none"  # the same component: the iframe stays
    # the first render creates map_div as a global (the frontend appends window.map = map_div)
    assert "var map_div;" in la["script"] and "map_div = L.map(" in la["script"]
    # each carries its whole map (script and legend HTML) for the in-place redraw, under its own token
    assert a["script"] in la["feature_group"] and b["script"] in lb["feature_group"]
    assert json.dumps(b["html"], ensure_ascii=False).replace("</", "<\\/") in lb["feature_group"]
    assert la["feature_group"] != lb["feature_group"]
    assert la["html"] == '<div id="wf_html">' + a["html"] + "</div>"
    for name in ("header", "css_links", "default", "id"):
        assert la[name] == a[name]
    # the renderer rides in the first render's script (one sequential fetch fewer), Leaflet stays a link
    assert [link for link in a["js_links"] if "site_renderer" not in link] == la["js_links"]
    assert len(la["js_links"]) == len(a["js_links"]) - 1
    assert la["script"].index("global.WufeiMap = {") < la["script"].index("map_div = L.map(")


def test_a_rewrite_of_folium_output_that_finds_nothing_fails_loudly(catalog: Any) -> None:
    args = folium_adapter.component_args(_map(catalog), "map", RETURNED)
    changed = {**args, "script": args["script"].replace("var map_div = L.map(", "let map_div = L.map(")}
    with pytest.raises(ValueError, match="map_div"):
        folium_adapter.live_args(changed, key="map-none")


def test_a_message_rides_after_the_map_it_follows(catalog: Any) -> None:
    live = folium_adapter.live_args(folium_adapter.component_args(_map(catalog), "map", RETURNED), key="map-none")
    sent = folium_adapter.with_message(live, "WufeiMap.apply(window.map, {});")
    assert sent["feature_group"].startswith(live["feature_group"])
    assert sent["feature_group"].rstrip().endswith("WufeiMap.apply(window.map, {});")
    assert sent["script"] == live["script"] and sent["key"] == live["key"]
    # the runtime is the asset, not a copy in Python
    assert folium_adapter.runtime_js() in live["script"]
    assert folium_adapter.RUNTIME_JS_PATH.name == "folium_runtime.js"


def test_a_map_already_shown_is_not_sent_again(catalog: Any) -> None:
    live = folium_adapter.live_args(folium_adapter.component_args(_map(catalog), "map", RETURNED), key="map-none")
    slim = folium_adapter.already_shown(live)
    assert slim["script"] == "" and slim["html"] == "" and live["token"] in slim["feature_group"]
    assert len(slim["feature_group"]) < 100 < len(live["feature_group"])
    assert {k: v for k, v in slim.items() if k not in ("script", "html", "feature_group")} == \
        {k: v for k, v in live.items() if k not in ("script", "html", "feature_group")}
