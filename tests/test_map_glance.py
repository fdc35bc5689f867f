"""Issue 13 (a map a planner can read at a glance), the parts that need no browser: marker
badges from one table (absent column = not drawn), rounded shading classes with units, label
anchors inside their zones, a metric-only scale, and no invented points for sites whose town is
unknown — on the map and in exports (``--placeholder-points`` restores them)."""
from __future__ import annotations

import json

import pandas as pd
import pytest
import shapely
from test_mapview import make_district, make_towns, make_zones, render, sample_sites, site_layer_data

from wufei_geo import cli, geodata, mapview
from wufei_geo.io import layers
from wufei_geo.mapview.geometry import label_anchor
from wufei_geo.mapview.legend import class_label
from wufei_geo.mapview.payload import badge_mask
from wufei_geo.mapview.style import MARKER_BADGES
from wufei_geo.mapview.values import display_number


def _legend(html: str) -> str:
    start = html.index('class="wf-legend"')
    return html[start:html.index("</details>", start)]


def _all_sites(m) -> list[dict]:
    return [s for sites in site_layer_data(m).values() for s in sites]


def test_badges_come_from_the_boolean_columns_that_exist():
    sites = sample_sites()
    # only `overdue` exists: stale/pending are not drawn, nor in the legend
    m = mapview.build_map(sites, make_zones(), make_district(), towns=make_towns())
    html = render(m)
    by_id = {s["site_id"]: s for s in _all_sites(m)}
    assert by_id["T-2"]["badges"] == ["overdue"] and by_id["T-1"]["badges"] == []
    legend = _legend(html)
    assert "逾期（目标年份已过）" in legend and "待核实" not in legend and "信息久未更新" not in legend
    assert "wf-overdue" not in html  # no ring over the status colour

    sites = sites.assign(stale=[True, False, None, False, False], pending=[False, False, True, True, False])
    m = mapview.build_map(sites, make_zones(), make_district(), towns=make_towns(), lang="en")
    by_id = {s["site_id"]: s for s in _all_sites(m)}
    assert by_id["T-1"]["badges"] == ["stale"]
    assert by_id["T-3"]["badges"] == ["pending"] and by_id["T-4"]["badges"] == ["pending"]
    assert by_id["T-2"]["badges"] == ["overdue"]
    legend = _legend(render(m))
    assert "awaiting confirmation" in legend and "not updated for a long time" in legend
    # the mask follows the table's order
    mask = badge_mask(pd.DataFrame({"overdue": [True, False], "pending": [True, None]}))
    pending_bit = 1 << [b.column for b in MARKER_BADGES].index("pending")
    assert mask.tolist() == [1 | pending_bit, 0]


def test_shading_classes_are_rounded_with_units():
    assert [display_number(v) for v in (0.754717, 1.50943, 33.962, 125.4, 1234.6, 0)] == [
        "0.75", "1.5", "34", "125", "1,235", "0"]
    assert class_label(0.754717, 1.50943, "吨/日") == "0.75 – 1.5 吨/日"
    sites = sample_sites()
    html = render(mapview.build_map(sites, make_zones(), make_district(), towns=make_towns(), choropleth="wet_waste_tpd"))
    assert "0.754717" not in html
    assert "吨/日 <span class=\"wf-n\">" in html  # each class row carries the unit, then its towns


def test_town_labels_sit_at_an_anchor_inside_their_zone():
    zones = geodata.load_default_zones()
    for code, geom in zip(zones["town_code"], zones.geometry, strict=False):
        lon, lat = label_anchor(geom)
        assert geom.contains(shapely.Point(lon, lat)), code
    # a bent zone: the centroid falls outside, the anchor does not
    bent = shapely.Polygon([(0, 0), (3, 0), (3, 1), (1, 1), (1, 3), (0, 3)])
    assert not bent.contains(bent.centroid)
    assert bent.contains(shapely.Point(label_anchor(bent)))


def test_scale_is_metric_only_and_labels_are_one_layer():
    html = render(mapview.build_map(sample_sites(), make_zones(), make_district(), towns=make_towns()))
    assert "imperial: false" in html and "L.control.scale()" not in html
    assert "wfCode" in html and "permanent: true" in html


@pytest.fixture()
def cli_env(sqlite_url, monkeypatch):
    monkeypatch.setenv("WUFEI_DB_URL", sqlite_url)
    monkeypatch.delenv("WUFEI_PLACEHOLDER_POINTS", raising=False)
    monkeypatch.delenv("WUFEI_CONFIG", raising=False)
    return sqlite_url


def test_exports_give_unlocated_sites_no_geometry_unless_placeholder_points(cli_env, tmp_path, capsys):
    out = tmp_path / "sites.geojson"
    assert cli.main(["export", "--format", "geojson", "-o", str(out)]) == 0
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    no_town = [f for f in features if f["properties"]["town_code"] is None and f["properties"]["lon"] is None]
    assert no_town, "the seed has sites whose town is not known"
    for f in no_town:
        assert f["geometry"] is None and f["properties"]["display_lon"] is None
        assert f["properties"]["precision"] in ("district", "unknown")  # says why
    assert all(f["geometry"] is not None for f in features if f["properties"]["town_code"] is not None)

    out2 = tmp_path / "sites-placeholder.geojson"
    assert cli.main(["export", "--format", "geojson", "--placeholder-points", "-o", str(out2)]) == 0
    features2 = {f["properties"]["site_id"]: f for f in json.loads(out2.read_text(encoding="utf-8"))["features"]}
    placed = [features2[f["properties"]["site_id"]] for f in no_town if f["properties"]["precision"] == "district"]
    assert placed and all(f["geometry"] is not None for f in placed)
    assert all(f["properties"]["display_precision"] == "district" for f in placed)
    capsys.readouterr()


def test_sites_layer_without_points_has_null_geometry():
    sites = sample_sites()
    layer = layers.sites_layer(sites)
    row = layer[layer["site_id"] == "T-5"].iloc[0]
    assert row.geometry is None and pd.isna(row["display_lon"])
