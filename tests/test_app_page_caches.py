"""What the pages cache per data version and parameters still follows every choice: the capacity
chart (a cached Vega-Lite spec) follows what counts and the language; the 街镇 page's town map
(cached component arguments) follows the chosen town, the measure and the language; a choice made
again is served the same arguments."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.apptest_helpers import PAGES, app_store, open_page


def _town_map(at) -> dict:
    [component] = [c for c in at.get("component_instance") if c.proto.component_name.endswith("st_folium")]
    return json.loads(component.proto.json_args)


def _chart(at) -> dict:
    [chart] = at.get("vega_lite_chart")
    return json.loads(chart.proto.spec)


def test_the_town_map_follows_the_town_the_measure_and_the_language(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch):
    store = app_store(tmp_path, monkeypatch)
    try:
        at = open_page(PAGES["towns"], "zh")
        first = _town_map(at)
        assert "夏阳街道" in first["script"] and first["height"] == 420 and first["returned_objects"] == []
        town = at.selectbox(key="analysis_town")
        town.set_value("310118105").run()  # 赵巷镇
        other = _town_map(at)
        assert other["script"] != first["script"]
        at.selectbox(key="analysis_town").set_value("310118001").run()  # back: the cached arguments
        assert _town_map(at) == first
        at.selectbox(key="analysis_town_measure").set_value("wet_waste_tpd").run()
        assert _town_map(at)["script"] != first["script"]
        at.selectbox(key="analysis_town_measure").set_value("site_count").run()
        assert _town_map(at) == first
        at.session_state["lang"] = "en"
        at.run()
        assert "Xiayang Subdistrict" in _town_map(at)["script"]
    finally:
        store.close()


def test_the_capacity_chart_follows_what_counts_and_the_language(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    app_store(tmp_path, monkeypatch).close()
    at = open_page(PAGES["capacity"], "zh")
    spec = _chart(at)
    assert spec["height"] == 320 and "年份未知" in json.dumps(spec, ensure_ascii=False)
    at.radio(key="analysis_counts_toward").set_value("centralised").run()
    centralised = _chart(at)
    assert centralised != spec
    at.radio(key="analysis_counts_toward").set_value("all").run()
    assert _chart(at) == spec
    at.session_state["lang"] = "en"
    at.run()
    assert "year unknown" in json.dumps(_chart(at))
