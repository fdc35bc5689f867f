"""The district outline (datum), the gazetteer, assign_towns and in_district."""
from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from wufei_geo import crs, geodata
from wufei_geo.paths import GEODATA_DIR

SOURCES = GEODATA_DIR / "sources"
# A copy of shared/reference/towns.csv (source and hash in tests/fixtures/reference/README.md).
REFERENCE_TOWNS = Path(__file__).resolve().parent / "fixtures" / "reference" / "towns.csv"


def _metric_centroid(geom: shapely.Geometry, src_crs: str = "EPSG:4326") -> shapely.Point:
    return gpd.GeoSeries([geom], crs=src_crs).to_crs(crs.METRIC_CRS).centroid.iloc[0]


def test_district_is_one_wgs84_polygon_of_the_right_size():
    d = geodata.load_district()
    assert len(d) == 1 and d.crs.equals("EPSG:4326")
    g = d.geometry.iloc[0]
    assert g.geom_type == "Polygon" and g.is_valid
    area = d.to_crs(crs.METRIC_CRS).area.iloc[0] / 1e6
    assert 660 < area < 680  # published figures: 667.8–676 km²
    assert d.loc[0, "code"] == "310118"


def test_district_simplification_kept_the_area_within_half_a_percent():
    raw = gpd.read_file(SOURCES / "amap_310118_gcj02.geojson").geometry.iloc[0]
    raw_wgs = shapely.transform(raw, lambda xy: np.column_stack(crs.to_wgs84(xy[:, 0], xy[:, 1], "gcj02")))
    full = gpd.GeoSeries([raw_wgs], crs="EPSG:4326").to_crs(crs.METRIC_CRS).area.iloc[0]
    ours = geodata.load_district().to_crs(crs.METRIC_CRS).area.iloc[0]
    assert abs(ours / full - 1) < 0.005
    assert shapely.get_num_coordinates(geodata.load_district().geometry.iloc[0]) < 1000


def test_datum_converted_outline_matches_the_cgcs2000_outline_and_raw_does_not():
    """The AMap outline is GCJ-02 although it declares EPSG:4326; converted, it lines up."""
    raw_fc = json.loads((SOURCES / "amap_310118_gcj02.geojson").read_text("utf-8"))
    raw = shapely.geometry.shape(raw_fc)
    reference = gpd.read_file(SOURCES / "fastgeocn_310118_cgcs2000.geojson")
    assert reference.crs.to_epsg() == 4490
    assert shapely.get_num_coordinates(reference.geometry.iloc[0]) == 79
    ref_c = _metric_centroid(reference.geometry.iloc[0], "EPSG:4490")
    raw_c = _metric_centroid(raw)
    ours_c = _metric_centroid(geodata.load_district().geometry.iloc[0])
    assert ours_c.distance(ref_c) < 150
    assert raw_c.distance(ref_c) > 300  # the ~500 m GCJ-02 shift


def test_gazetteer_has_the_eleven_towns_with_reference_seats():
    g = geodata.load_gazetteer()
    ref = pd.read_csv(REFERENCE_TOWNS, dtype={"code": str})
    assert list(g.town_code) == list(ref.code)
    assert g.town_code.str.fullmatch(r"310118\d{3}").all()
    np.testing.assert_allclose(g.seat_lon, ref.seat_lon, atol=1e-9)
    np.testing.assert_allclose(g.seat_lat, ref.seat_lat, atol=1e-9)
    assert set(g.kind) == {"subdistrict", "town"}
    assert g.area_note.notna().all() and g.population_note.notna().all()
    assert geodata.in_district(g.seat_lon, g.seat_lat).all()


def test_gazetteer_keeps_notes_and_unknowns():
    g = geodata.load_gazetteer().set_index("town_code")
    zx = g.loc["310118105"]  # 赵巷镇: no published area or population
    assert zx.area_derived and "derived" in zx.area_note
    assert pd.isna(zx.population)
    assert pd.isna(g.loc["310118110", "population"])  # 白鹤镇: not found
    assert not g.drop(index="310118105").area_derived.any()
    assert g.loc["310118106", "population"] == 211590 and "2021" in g.loc["310118106", "population_note"]
    # the remainder makes the areas add up to the outline
    district_area = geodata.load_district().to_crs(crs.METRIC_CRS).area.iloc[0] / 1e6
    assert g.area_km2.sum() == pytest.approx(district_area, abs=0.02)


def test_district_seat():
    assert geodata.district_seat() == (121.11408, 31.15394)
    assert geodata.in_district(*geodata.district_seat())


def test_loads_are_copies():
    z = geodata.load_default_zones()
    z.loc[0, "town_code"] = "bogus"
    g = geodata.load_gazetteer()
    g.loc[:, "name_zh"] = "bogus"
    assert geodata.load_default_zones().loc[0, "town_code"] == "310118001"
    assert geodata.load_gazetteer().loc[0, "name_zh"] == "夏阳街道"


def test_assign_towns_matches_shapely_on_a_sample_of_a_million_points():
    zones = geodata.load_default_zones()
    x0, y0, x1, y1 = zones.total_bounds
    rng = np.random.default_rng(42)
    lon = rng.uniform(x0 - 0.02, x1 + 0.02, 1_000_000)
    lat = rng.uniform(y0 - 0.02, y1 + 0.02, 1_000_000)
    codes = geodata.assign_towns(lon, lat, zones)
    assert codes.shape == (1_000_000,)
    inside = np.array([c is not None for c in codes])
    assert 0.3 < inside.mean() < 0.9
    sample = rng.choice(len(lon), 2000, replace=False)
    for i in sample:
        p = shapely.Point(lon[i], lat[i])
        expected = [c for c, g in zip(zones.town_code, zones.geometry, strict=False) if g.contains(p)]
        assert codes[i] == (expected[0] if expected else None)


def test_assign_towns_seats_nan_and_outside():
    g = geodata.load_gazetteer()
    assert list(geodata.assign_towns(g.seat_lon, g.seat_lat)) == list(g.town_code)
    out = geodata.assign_towns([np.nan, 0.0, 121.5], [31.1, 0.0, 31.2])
    assert list(out) == [None, None, None]
    assert geodata.assign_towns([], []).shape == (0,)


def test_assign_towns_uses_the_zones_it_is_given():
    zones = geodata.load_default_zones()
    metric = zones.to_crs(crs.METRIC_CRS)  # any CRS is accepted
    g = geodata.load_gazetteer()
    assert list(geodata.assign_towns(g.seat_lon, g.seat_lat, metric)) == list(g.town_code)
    only_one = zones[zones.town_code == "310118106"]
    assert list(geodata.assign_towns(g.seat_lon, g.seat_lat, only_one)).count("310118106") == 1


def test_in_district_with_buffer():
    seat_lon, seat_lat = geodata.district_seat()
    far = (121.5, 31.2)  # Pudong, outside
    res = geodata.in_district([seat_lon, far[0], np.nan], [seat_lat, far[1], 0.0])
    assert res.tolist() == [True, False, False]
    # a point 500 m outside the outline: out, but within a 1 km buffer
    d = geodata.load_district().to_crs(crs.METRIC_CRS).geometry.iloc[0]
    xy = shapely.get_coordinates(d)
    east = xy[xy[:, 0].argmax()]
    outside = shapely.Point(east[0] + 500, east[1])  # 500 m east of the easternmost vertex
    assert d.distance(outside) == pytest.approx(500)
    q = gpd.GeoSeries([outside], crs=crs.METRIC_CRS).to_crs("EPSG:4326").iloc[0]
    assert not geodata.in_district(q.x, q.y)
    assert geodata.in_district(q.x, q.y, buffer_m=1000)


def _exact_first_zone(lon: np.ndarray, lat: np.ndarray, zones) -> list:
    """The reference answer: the first zone (in order) whose polygon intersects the point."""
    out = []
    for x, y in zip(lon, lat, strict=False):
        hit = [c for c, g in zip(zones.town_code, zones.geometry, strict=False) if shapely.intersects_xy(g, x, y)]
        out.append(hit[0] if hit else None)
    return out


def test_assign_towns_is_exact_on_and_near_zone_edges():
    # Points on the edges themselves (vertices and edge midpoints, shared edges included) and
    # jittered by 1e-9° to 1e-4° around them: the grid shortcut must give the exact answer.
    zones = geodata.load_default_zones()
    coords = shapely.get_coordinates(shapely.boundary(np.asarray(zones.geometry.values)))
    rng = np.random.default_rng(7)
    pick = coords[rng.choice(len(coords), 1500, replace=False)]
    mids = (coords[:-1] + coords[1:]) / 2
    mids = mids[rng.choice(len(mids), 1500, replace=False)]
    scale = 10.0 ** rng.integers(-9, -3, size=(3000, 1))
    jitter = np.concatenate([pick, mids]) + rng.normal(size=(3000, 2)) * scale
    pts = np.concatenate([pick, mids, jitter])
    got = list(geodata.assign_towns(pts[:, 0], pts[:, 1], zones))
    assert got == _exact_first_zone(pts[:, 0], pts[:, 1], zones)
    assert got.count(None) < len(got)  # the edge cases include points inside zones


def test_assign_towns_holes_overlaps_and_multipolygons_first_zone_wins():
    # made-up zones: A has a hole, B overlaps A and fills the hole, C is two separate squares
    a = shapely.Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], holes=[[(1, 1), (2, 1), (2, 2), (1, 2)]])
    b = shapely.box(1, 1, 6, 2)
    c = shapely.MultiPolygon([shapely.box(7, 0, 8, 1), shapely.box(7, 3, 8, 4)])
    zones = gpd.GeoDataFrame({"town_code": ["A", "B", "C"]}, geometry=[a, b, c], crs="EPSG:4326")
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(-1, 9, 20_000), rng.uniform(-1, 5, 20_000)
    lon = np.r_[lon, 1.5, 3.0, 1.0, 4.0, 7.5, 7.5, 7.5, 9.5]
    lat = np.r_[lat, 1.5, 1.5, 1.5, 1.5, 0.5, 3.5, 2.0, 0.5]
    got = list(geodata.assign_towns(lon, lat, zones))
    assert got[-8:] == ["B", "A", "A", "A", "C", "C", None, None]
    assert got == _exact_first_zone(lon, lat, zones)
    assert {"A", "B", "C", None} == set(got)
