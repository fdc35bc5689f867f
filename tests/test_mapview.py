"""The map builder: layers, markers, legend, escaping, GCJ-02 shift, choropleth, filters, messages."""
from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod
from shapely.geometry import Point, box

from wufei_geo import i18n, mapview, model
from wufei_geo.filters import UNKNOWN, Filters, apply_filters

GEOD = Geod(ellps="WGS84")
XSS_IMG = "<img src=x onerror=alert(1)>"
XSS_SCRIPT = '"><script>alert(1)</script>'


# --- small contract-following test data (catalog.Catalog shapes) ---------------
def make_zones() -> gpd.GeoDataFrame:
    """Two made-up rectangular test zones (not real boundaries) with the zone contract's columns."""
    return gpd.GeoDataFrame(
        {
            "town_code": ["310118001", "310118102"],
            "name_zh": ["夏阳街道", "朱家角镇"],
            "name_en": ["Xiayang Subdistrict", "Zhujiajiao Town"],
            "boundary_quality": ["approximate", "approximate"],
            "area_km2": [np.nan, np.nan],
        },
        geometry=[box(121.09, 31.13, 121.14, 31.17), box(121.02, 31.08, 121.09, 31.13)],
        crs="EPSG:4326",
    )


def make_district() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"code": ["310118"]}, geometry=[box(121.02, 31.08, 121.14, 31.17)], crs="EPSG:4326")


def make_towns() -> pd.DataFrame:
    # seats and populations as in shared/reference/towns.csv
    return pd.DataFrame(
        {
            "town_code": ["310118001", "310118102"],  # the gazetteer's column (geodata.TOWN_CODE)
            "name_zh": ["夏阳街道", "朱家角镇"],
            "name_en": ["Xiayang Subdistrict", "Zhujiajiao Town"],
            "seat_lon": [121.11588, 121.05696],
            "seat_lat": [31.14967, 31.10757],
            "population": [75966, np.nan],
        }
    )


def make_sites(rows: list[dict]) -> gpd.GeoDataFrame:
    base = {c: None for c in model.SITE_COLUMNS}
    base.update(display_lon=None, display_lat=None, display_precision=None, overdue=False, last_change=None)
    records = []
    for r in rows:
        rec = dict(base)
        rec.update(r)
        records.append(rec)
    frame = pd.DataFrame.from_records(records)
    geom = [
        None if pd.isna(x) or pd.isna(y) else Point(x, y)
        for x, y in zip(pd.to_numeric(frame["display_lon"]), pd.to_numeric(frame["display_lat"]), strict=False)
    ]
    return gpd.GeoDataFrame(frame, geometry=geom, crs="EPSG:4326")


def sample_sites() -> gpd.GeoDataFrame:
    return make_sites(
        [
            dict(site_id="T-1", project_id="T.1", name_zh="测试湿垃圾站甲", name_en="Test wet site A", category="wet_waste",
                 town_code="310118001", capacity_value=5, capacity_unit="t/d", capacity_norm=5.0, capacity_norm_unit="t/d",
                 status="operating", target_year=2025, display_lon=121.11, display_lat=31.15, display_precision="exact",
                 precision="exact", department="测试部门", implementer="测试主体"),
            dict(site_id="T-2", project_id="T.1", name_zh="测试湿垃圾站乙", name_en="Test wet site B", category="wet_waste",
                 town_code="310118102", capacity_value=500, capacity_unit="kg/d", capacity_norm=0.5, capacity_norm_unit="t/d",
                 status="planned", target_year=2025, display_lon=121.05, display_lat=31.10, display_precision="town",
                 precision="town", overdue=True),
            dict(site_id="T-3", project_id="T.2", name_zh="测试转运站", name_en="Test transfer station",
                 category="transfer_station", town_code="310118102", served_towns="310118001;310118102",
                 status="under_construction", target_year=2022, display_lon=121.06, display_lat=31.11,
                 display_precision="village", precision="village"),
            dict(site_id="T-4", project_id="T.3", name_zh="测试光伏", name_en="Test PV", category="pv", town_code="310118001",
                 capacity_value=242, capacity_unit="kWp", capacity_norm=242.0, capacity_norm_unit="kW",
                 status="planned", target_year=2022, display_lon=121.12, display_lat=31.16, display_precision="address",
                 precision="address"),
            dict(site_id="T-5", project_id="T.4", name_zh="无位置站点", category="pv", status="planned", target_year=None,
                 precision="unknown", display_precision="unknown"),
        ]
    )


def render(m) -> str:
    return m.get_root().render()


def site_layer_data(m) -> dict[str, list[dict]]:
    """category → the layer's sites as the browser decodes its compact payload."""
    return {layer.kind.split(":", 1)[1]: layer.sites() for layer in mapview.site_layers(m)}


def all_coords(m) -> np.ndarray:
    """Every overlay coordinate of the map's GeoJSON layers (sites, zones, district, links)."""
    pts: list[tuple[float, float]] = []

    def walk(c):
        if isinstance(c[0], (int, float)):
            pts.append((c[0], c[1]))
        else:
            for x in c:
                walk(x)

    for child in m._children.values():
        if isinstance(child, mapview.SafeGeoJson):
            for f in child.data["features"]:
                walk(f["geometry"]["coordinates"])
        if isinstance(child, mapview.SiteLayer):
            pts.extend((s["lon"], s["lat"]) for s in child.sites())
    return np.array(pts)


# --- layers, markers, legend ------------------------------------------------------
def test_one_layer_per_category_with_its_name_and_all_mapped_sites():
    sites = sample_sites()
    m = mapview.build_map(sites, make_zones(), make_district(), towns=make_towns())
    data = site_layer_data(m)
    assert set(data) == {"wet_waste", "transfer_station", "pv"}
    names = {layer.kind: layer.layer_name for layer in mapview.site_layers(m)}
    assert "湿垃圾处理 (2)" in names["sites:wet_waste"]
    assert "转运站 (1)" in names["sites:transfer_station"]
    assert "光伏 (1)" in names["sites:pv"]  # T-5 has no location: not on the map
    html = render(m)
    # decoded sites equal the located sites (4 of 5), each layer's payload is in the page
    assert sorted(s["site_id"] for v in data.values() for s in v) == ["T-1", "T-2", "T-3", "T-4"]
    assert html.count('.sites("') == 3  # one decoded layer per category (WufeiMap.renderer(…).sites)
    for layer in mapview.site_layers(m):
        assert layer.data_json in html
    # the other overlays are there and every layer is in the layer control
    layer_names = [c.layer_name for c in m._children.values() if isinstance(c, mapview.SafeGeoJson)]
    assert "青浦区界" in layer_names and "街镇范围（示意范围）" in layer_names and "转运服务关系" in layer_names
    assert "L.control.layers" in html


def test_marker_count_follows_filtered_sites():
    sites = sample_sites()
    for flt, expected in [
        (Filters(categories=("wet_waste",)), 2),
        (Filters(statuses=("planned",)), 2),  # T-2, T-4 (T-5 planned but unlocated)
        (Filters(towns=("310118102",)), 2),
        (Filters(search="转运"), 1),
    ]:
        m = mapview.build_map(apply_filters(sites, flt), make_zones(), make_district())
        assert sum(len(v) for v in site_layer_data(m).values()) == expected


def test_legend_lists_categories_statuses_and_precision_in_both_languages():
    sites = sample_sites()
    html_zh = render(mapview.build_map(sites, make_zones(), make_district()))
    assert 'class="wf-legend"' in html_zh
    for text in ("图例", "湿垃圾处理", "转运站", "已运行", "规划中", "已关停", "位置精度", "逾期"):
        assert text in html_zh
    html_en = render(mapview.build_map(sites, make_zones(), make_district(), lang="en"))
    for text in ("Legend", "Wet-waste treatment", "Operating", "Location precision", "approximate"):
        assert text in html_en


def test_marker_properties_carry_size_status_precision_and_overdue():
    data = site_layer_data(mapview.build_map(sample_sites(), make_zones(), make_district()))
    wet = {s["site_id"]: s for s in data["wet_waste"]}
    assert wet["T-1"]["size"] == mapview.MARKER_MAX_PX  # the largest wet-waste site
    assert mapview.MARKER_MIN_PX < wet["T-2"]["size"] < mapview.MARKER_MAX_PX  # 0.5 of 5 t/d → sqrt-scaled
    assert not wet["T-1"]["approx"] and wet["T-2"]["approx"]  # town-seat placement is drawn hollow/dashed
    assert wet["T-2"]["overdue"] and not wet["T-1"]["overdue"]
    assert wet["T-1"]["status"] == "operating" and wet["T-2"]["status"] == "planned"
    assert (wet["T-1"]["lon"], wet["T-1"]["lat"]) == (121.11, 31.15)


def test_tooltip_and_popup_texts_are_in_the_string_table():
    m = mapview.build_map(sample_sites(), make_zones(), make_district())
    renderer = next(c for c in m._children.values() if isinstance(c, mapview.SiteRenderer))
    config = json.loads(renderer.config)
    wet = {s["site_id"]: s for s in site_layer_data(m)["wet_waste"]}
    p = wet["T-1"]
    assert p["name"] == "测试湿垃圾站甲"
    fields = p["fields"]
    assert fields["field.capacity"] == "5 吨/日" and "5 吨/日" in config["S"]
    assert fields["field.capacity_norm"] == "5 吨/日"  # sent as "same as the capacity"
    assert fields["field.site_id"] == "T-1"
    assert fields["field.project_id"] == "T.1"
    assert fields["field.department"] == "测试部门"
    assert fields["field.implementer"] == "测试主体"
    assert fields["field.target_year"] == "2025"
    assert fields["field.precision"] == "精确位置"
    assert fields["field.town"] == "夏阳街道"
    assert "field.status_source" not in fields or fields["field.status_source"] is None  # unknown stays unknown
    assert config["fields"][mapview.POPUP_FIELDS.index("field.department")] == "责任主体"
    assert wet["T-2"]["fields"]["field.capacity"] == "500 千克/日"
    assert wet["T-2"]["fields"]["field.capacity_norm"] == "0.5 吨/日"
    # rows that do not apply are left out: served towns only for transfer stations
    assert "field.served_towns" not in fields
    (station,) = site_layer_data(m)["transfer_station"]
    assert station["fields"]["field.served_towns"] == "夏阳街道、朱家角镇"
    assert "field.wet_waste_mode" not in station["fields"] and fields["field.wet_waste_mode"] is None


# --- safety ------------------------------------------------------------------------
@pytest.mark.parametrize("payload", [XSS_IMG, XSS_SCRIPT])
def test_markup_in_name_and_note_renders_as_text(payload):
    sites = make_sites(
        [dict(site_id="X-1", name_zh=payload, name_en=payload, category="wet_waste", status="planned",
              data_note="note " + payload, address=payload, display_lon=121.11, display_lat=31.15,
              display_precision="exact")]
    )
    zones = make_zones()
    zones.loc[0, "name_zh"] = payload
    html = render(mapview.build_map(sites, zones, make_district(), choropleth="site_count"))
    assert "<img src=x onerror" not in html
    assert "<script>alert(1)" not in html
    # the payload reaches the page only in its JSON-escaped form, which the renderer HTML-escapes
    assert mapview.safe_json(payload).strip('"') in html
    assert "\\u003c" in mapview.safe_json(payload)
    assert "function esc(v)" in html and "esc(p.n)" in html


# --- basemaps and the GCJ-02 shift -------------------------------------------------
def _shift_m(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    _, _, dist = GEOD.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    return np.asarray(dist)


def test_amap_shifts_every_overlay_by_the_gcj02_offset_and_others_do_not():
    sites = sample_sites()
    args = (sites, make_zones(), make_district())
    base = all_coords(mapview.build_map(*args, towns=make_towns()))
    osm = all_coords(mapview.build_map(*args, towns=make_towns(), basemap="osm"))
    tdt = all_coords(mapview.build_map(*args, towns=make_towns(), basemap="tianditu", tianditu_token="abc"))
    amap = all_coords(mapview.build_map(*args, towns=make_towns(), basemap="amap"))
    assert base.shape == osm.shape == tdt.shape == amap.shape and len(base) > 20
    assert np.array_equal(base, osm) and np.array_equal(base, tdt)
    d = _shift_m(base, amap)
    assert d.min() > 300 and d.max() < 700
    # sites in the unshifted maps sit exactly at their WGS-84 display points
    wet = {s["site_id"]: [s["lon"], s["lat"]] for s in site_layer_data(mapview.build_map(*args, basemap="osm"))["wet_waste"]}
    assert wet["T-1"] == [121.11, 31.15]


def _tiles(m) -> list[tuple[str, str]]:
    import folium

    return [(c.tiles, c.options["attribution"]) for c in m._children.values() if isinstance(c, folium.TileLayer)]


def test_basemap_tiles_and_attribution():
    args = (sample_sites(), make_zones(), make_district())
    m_none = mapview.build_map(*args)
    assert _tiles(m_none) == [] and "L.tileLayer" not in render(m_none)  # offline: no tile requests
    (osm,) = _tiles(mapview.build_map(*args, basemap="osm"))
    assert "tile.openstreetmap.org" in osm[0] and "OpenStreetMap" in osm[1]
    (amap,) = _tiles(mapview.build_map(*args, basemap="amap"))
    assert "autonavi.com" in amap[0] and "高德" in amap[1]
    tdt = _tiles(mapview.build_map(*args, basemap="tianditu", tianditu_token="tok123"))
    assert len(tdt) == 2  # base + labels
    assert all("tianditu.gov.cn" in u and u.endswith("tk=tok123") and "天地图" in a for u, a in tdt)
    with pytest.raises(ValueError, match="token"):
        mapview.build_map(*args, basemap="tianditu")
    with pytest.raises(ValueError):
        mapview.build_map(*args, basemap="google")


# --- towns, choropleth, service links ------------------------------------------------
def test_zones_are_labelled_approximate_and_named():
    m = mapview.build_map(sample_sites(), make_zones(), make_district())
    zones_layer = next(c for c in m._children.values() if isinstance(c, mapview.SafeGeoJson) and c.kind == "zones")
    props = [f["properties"] for f in zones_layer.data["features"]]
    assert [p["name"] for p in props] == ["夏阳街道", "朱家角镇"]
    assert all(p["approx"] for p in props)
    assert "示意范围" in render(m)
    official = make_zones()
    official["boundary_quality"] = "official"
    m2 = mapview.build_map(sample_sites(), official, make_district())
    z2 = next(c for c in m2._children.values() if isinstance(c, mapview.SafeGeoJson) and c.kind == "zones")
    assert z2.layer_name == "街镇范围" and not any(f["properties"]["approx"] for f in z2.data["features"])


def test_town_measures_unknown_population_is_unknown_not_zero():
    meas = mapview.town_measures(sample_sites(), make_zones(), make_towns()).set_index("town_code")
    assert meas.loc["310118001", "site_count"] == 2
    assert meas.loc["310118102", "site_count"] == 2
    assert meas.loc["310118001", "wet_waste_tpd"] == 5.0
    assert meas.loc["310118102", "wet_waste_tpd"] == 0.5
    assert meas.loc["310118001", "capacity_per_10k"] == pytest.approx(5.0 / 7.5966)
    assert pd.isna(meas.loc["310118102", "capacity_per_10k"])  # population not known
    # a town whose only wet-waste site has no known capacity: unknown, not 0
    s = make_sites([dict(site_id="U", category="wet_waste", town_code="310118001", status="planned")])
    assert pd.isna(mapview.town_measures(s, make_zones()).set_index("town_code").loc["310118001", "wet_waste_tpd"])


def test_choropleth_colours_known_towns_and_marks_unknown():
    m = mapview.build_map(sample_sites(), make_zones(), make_district(), towns=make_towns(), choropleth="capacity_per_10k")
    z = next(c for c in m._children.values() if isinstance(c, mapview.SafeGeoJson) and c.kind == "zones")
    props = {f["properties"]["code"]: f["properties"] for f in z.data["features"]}
    assert props["310118102"]["fill"] == mapview.UNKNOWN_COLOUR and props["310118102"]["mtext"] == "未知"
    assert props["310118001"]["fill"] in mapview.CHOROPLETH_PALETTE and props["310118001"]["mtext"] != "0"
    assert "每万人湿垃圾处理能力" in render(m)
    with pytest.raises(ValueError):
        mapview.build_map(sample_sites(), make_zones(), make_district(), choropleth="nonsense")


def test_service_links_from_transfer_station_to_served_town_seats():
    m = mapview.build_map(sample_sites(), make_zones(), make_district(), towns=make_towns())
    links = next(c for c in m._children.values() if isinstance(c, mapview.SafeGeoJson) and c.kind == "links")
    ends = sorted(tuple(f["geometry"]["coordinates"][1]) for f in links.data["features"])
    assert ends == [(121.05696, 31.10757), (121.11588, 31.14967)]
    starts = {tuple(f["geometry"]["coordinates"][0]) for f in links.data["features"]}
    assert starts == {(121.06, 31.11)}
    assert "测试转运站 服务 夏阳街道" in [f["properties"]["label"] for f in links.data["features"]]


def test_clustering_above_threshold(monkeypatch):
    monkeypatch.setattr(mapview.build, "CLUSTER_THRESHOLD", 2)
    # the renderer asset groups a layer's sites on a screen grid when the layer says so
    html = render(mapview.build_map(sample_sites(), make_zones(), make_district()))
    assert '{"cluster":true}' in html and '{"cluster":false}' not in html
    html_small = render(mapview.build_map(sample_sites().iloc[:1], make_zones(), make_district()))
    assert '{"cluster":true}' not in html_small and '{"cluster":false}' in html_small


def test_empty_selection_builds_a_map_without_site_layers():
    sites = sample_sites().iloc[0:0]
    m = mapview.build_map(sites, make_zones(), make_district())
    assert mapview.site_layers(m) == []
    assert 'class="wf-legend"' in render(m)


def test_selected_site_is_highlighted():
    import folium

    def rings(m):
        return [c.location for c in m._children.values() if isinstance(c, folium.CircleMarker)]

    assert rings(mapview.build_map(sample_sites(), make_zones(), make_district(), selected_site="T-1")) == [[31.15, 121.11]]
    assert rings(mapview.build_map(sample_sites(), make_zones(), make_district())) == []


# --- filters -------------------------------------------------------------------------
def test_filters_each_facet():
    s = sample_sites()
    assert len(apply_filters(s, Filters())) == 5
    assert set(apply_filters(s, Filters(categories=("pv",)))["site_id"]) == {"T-4", "T-5"}
    assert set(apply_filters(s, Filters(towns=(UNKNOWN,)))["site_id"]) == {"T-5"}
    assert set(apply_filters(s, Filters(years=("2022",)))["site_id"]) == {"T-3", "T-4"}
    assert set(apply_filters(s, Filters(years=(UNKNOWN,)))["site_id"]) == {"T-5"}
    assert set(apply_filters(s, Filters(search="WET SITE"))["site_id"]) == {"T-1", "T-2"}
    assert set(apply_filters(s, Filters(search="T.1", statuses=("planned",)))["site_id"]) == {"T-2"}
    assert isinstance(apply_filters(s, Filters(search="x")), gpd.GeoDataFrame)


# --- messages --------------------------------------------------------------------------
def test_message_catalogue_has_both_languages_for_vocabulary():
    for code in model.STATUSES:
        assert i18n.status_label(code, "zh") != code and i18n.status_label(code, "en") != code
    for code in model.CATEGORIES:
        assert i18n.category_label(code, "zh") != i18n.category_label(code, "en")
    for code in model.PRECISIONS:
        assert i18n.precision_label(code, "en")
    assert i18n.unit_label("t/d", "zh") == "吨/日" and i18n.unit_label("t/d", "en") == "t/d"
    assert i18n.unit_label("kW", "zh") == "千瓦" and i18n.unit_label("t/yr", "zh") == "吨/年"
    assert i18n.unit_label("furlongs", "zh") == "furlongs"
    # the plan writes 169.4 "KW" (附表3 E.41): shown as the catalogue's kW, not as written
    assert i18n.unit_label("KW", "zh") == "千瓦" and i18n.unit_label("KW", "en") == "kW"
    assert i18n.unit_label("万吨/年", "en") == "× 10,000 t/yr"
    assert i18n.t("map.count", "zh", shown=3, total=5) == "显示 3 / 5 个站点"
    assert i18n.t("map.count", "en", shown=3, total=5) == "Showing 3 / 5 sites"
    assert i18n.t("common.approximate_extent", "en") == "approximate extent"
    assert i18n.status_label(None, "zh") == "未知"
    for key, pair in i18n.MESSAGES.items():
        assert len(pair) == 2 and all(pair), key


def test_local_assets_replace_every_cdn_link(monkeypatch):
    # The app serves Leaflet itself: with asset_base no script or stylesheet may come from the
    # network, and every referenced file must exist in the package.
    monkeypatch.setattr(mapview.build, "CLUSTER_THRESHOLD", 2)  # the cluster plugin too
    m = mapview.build_map(sample_sites(), make_zones(), make_district(), asset_base="/assets")
    links = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', render(m))
    assert links, "the map must still load Leaflet"
    assert all(link.startswith("/assets/") for link in links), links
    for link in links:
        assert (mapview.ASSET_DIR / link.removeprefix("/assets/")).is_file(), link
    # Leaflet and the map's own renderer (drawing and grouping the sites: wufei_geo/assets/wufei)
    assert {"/assets/leaflet/leaflet.js", "/assets/wufei/site_renderer.js"} <= set(links)
    assert "WufeiMap = {" not in render(m)  # linked, not inlined


def _map_options(html: str) -> dict:
    """The options object folium passes to ``L.map`` (its JSON part)."""
    body = html[html.index("L.map(") :]
    start = body.index("...{") + 3
    depth = 0
    for i, ch in enumerate(body[start:], start):
        depth += ch == "{"
        depth -= ch == "}"
        if depth == 0:
            return json.loads(re.sub(r",\s*}", "}", body[start : i + 1]))
    raise AssertionError("no map options")


@pytest.mark.parametrize("basemap", ["none", "osm", "amap"])
def test_map_options_carry_max_zoom_with_or_without_tiles(basemap, monkeypatch):
    # The cluster plugin throws "Map has no maxZoom specified" unless L.map itself has maxZoom;
    # folium gives max_zoom only to a tile layer, and basemap "none" has none.
    monkeypatch.setattr(mapview.build, "CLUSTER_THRESHOLD", 2)
    html = render(mapview.build_map(sample_sites(), make_zones(), make_district(), basemap=basemap))
    assert '{"cluster":true}' in html
    opts = _map_options(html)
    assert opts["maxZoom"] == mapview.MAX_ZOOM and opts["minZoom"] == mapview.MIN_ZOOM


def test_names_beginning_with_the_town_name_round_trip():
    # the town part of a name is not sent twice; the decoded name is the whole name again
    sites = make_sites(
        [dict(site_id="N-1", name_zh="夏阳街道测试站", category="pv", status="planned", town_code="310118001",
              display_lon=121.11, display_lat=31.15),
         dict(site_id="N-2", name_zh="夏阳街道", category="pv", status="planned", town_code="310118001",
              display_lon=121.12, display_lat=31.15),
         dict(site_id="N-3", name_zh="朱家角镇测试站", category="pv", status=None, town_code="310118001",
              display_lon=121.13, display_lat=31.15)]
    )
    m = mapview.build_map(sites, make_zones(), make_district())
    (layer,) = mapview.site_layers(m)
    assert {s["site_id"]: s["name"] for s in layer.sites()} == {"N-1": "夏阳街道测试站", "N-2": "夏阳街道", "N-3": "朱家角镇测试站"}
    assert "测试站" in layer.payload["n"] and "夏阳街道测试站" not in layer.payload["n"]
    assert {s["site_id"]: s["status"] for s in layer.sites()}["N-3"] is None


# --- precomputed site texts (a filter change slices them) ---------------------------
def _renderer_strings(m) -> list[str]:
    (renderer,) = [c for c in m._children.values() if isinstance(c, mapview.SiteRenderer)]
    return renderer.data["S"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_map_from_precomputed_texts_of_the_whole_catalog_equals_the_map_built_from_scratch(lang):
    sites = sample_sites()
    names = mapview.town_names(make_zones(), make_towns(), lang)
    texts = mapview.site_texts(sites, lang, names)
    assert list(texts.site_ids) == ["T-1", "T-2", "T-3", "T-4"]  # located sites only
    for subset in (sites, sites[sites["category"] == "wet_waste"], sites[sites["site_id"] == "T-3"]):
        args = (subset, make_zones(), make_district())
        scratch = mapview.build_map(*args, towns=make_towns(), lang=lang)
        sliced = mapview.build_map(*args, towns=make_towns(), lang=lang, texts=texts)
        assert site_layer_data(sliced) == site_layer_data(scratch)
        # only the texts these sites use travel, not the whole catalog's
        assert sorted(_renderer_strings(sliced)) == sorted(_renderer_strings(scratch))


def test_precomputed_texts_of_another_language_or_other_sites_are_not_used():
    sites = sample_sites()
    en_texts = mapview.site_texts(sites, "en", mapview.town_names(make_zones(), make_towns(), "en"))
    m = mapview.build_map(sites, make_zones(), make_district(), towns=make_towns(), lang="zh", texts=en_texts)
    assert "测试湿垃圾站甲" in {s["name"] for s in site_layer_data(m)["wet_waste"]}

    zh_names = mapview.town_names(make_zones(), make_towns(), "zh")
    partial = mapview.site_texts(sites[sites["site_id"] != "T-4"], "zh", zh_names)  # T-4 added since
    m = mapview.build_map(sites, make_zones(), make_district(), towns=make_towns(), texts=partial)
    (pv,) = site_layer_data(m)["pv"]
    assert (pv["site_id"], pv["name"], pv["fields"]["field.capacity"]) == ("T-4", "测试光伏", "242 千瓦峰值")


def test_marker_size_stays_relative_to_the_largest_shown_site_with_precomputed_texts():
    sites = sample_sites()
    texts = mapview.site_texts(sites, "zh", mapview.town_names(make_zones(), make_towns(), "zh"))
    alone = sites[sites["site_id"] == "T-2"]  # 0.5 t/d: the largest wet-waste site once T-1 is filtered out
    m = mapview.build_map(alone, make_zones(), make_district(), texts=texts)
    (site,) = site_layer_data(m)["wet_waste"]
    assert site["size"] == mapview.MARKER_MAX_PX
