"""WGS-84 ⇄ GCJ-02 ⇄ BD-09 against published reference pairs, round trips, distances.

The reference table in ../shared/reference/geodata-notes.md is (lat, lon); our API is (lon, lat).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS

from wufei_geo import crs

# (name, wgs_lat, wgs_lon, gcj_lat, gcj_lon) — copied from geodata-notes.md
WGS_GCJ = [
    ("Shanghai", 31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    ("Shenzhen", 22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    ("Beijing", 39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
    ("Jinshan", 30.6107779, 121.0917077, 30.608604331756705, 121.09626935575027),
]
JINSHAN_BD = (30.61484572185035, 121.10271732371203)  # (lat, lon) of Jinshan's GCJ-02 in BD-09
BD_WGS = [
    ((29.199786, 120.019809), (29.196131605295484, 120.00877901149691)),
    ((29.210504, 120.036455), (29.206795749156136, 120.0253853970846)),
]
QINGPU_BOX = dict(lon=(120.85, 121.33), lat=(30.97, 31.30))


@pytest.mark.parametrize("name,wlat,wlon,glat,glon", WGS_GCJ)
def test_wgs84_to_gcj02_matches_published_pairs(name, wlat, wlon, glat, glon):
    lon, lat = crs.from_wgs84(wlon, wlat, "gcj02")
    assert lon == pytest.approx(glon, abs=1e-6)
    assert lat == pytest.approx(glat, abs=1e-6)


@pytest.mark.parametrize("name,wlat,wlon,glat,glon", WGS_GCJ)
def test_gcj02_to_wgs84_inverts_published_pairs(name, wlat, wlon, glat, glon):
    lon, lat = crs.to_wgs84(glon, glat, "gcj02")
    assert lon == pytest.approx(wlon, abs=1e-6)
    assert lat == pytest.approx(wlat, abs=1e-6)


def test_gcj02_to_bd09_reference():
    _, _, _, glat, glon = WGS_GCJ[3]
    lon, lat = crs.convert(crs.to_wgs84(glon, glat, "gcj02")[0], crs.to_wgs84(glon, glat, "gcj02")[1], "wgs84", "bd09")
    assert lon == pytest.approx(JINSHAN_BD[1], abs=1e-6)
    assert lat == pytest.approx(JINSHAN_BD[0], abs=1e-6)
    # and straight from WGS-84
    wlon, wlat = WGS_GCJ[3][2], WGS_GCJ[3][1]
    assert crs.from_wgs84(wlon, wlat, "bd09") == pytest.approx((JINSHAN_BD[1], JINSHAN_BD[0]), abs=1e-6)


@pytest.mark.parametrize("bd,wgs", BD_WGS)
def test_bd09_to_wgs84_published_pairs_come_from_a_variant_formula(bd, wgs):
    """The two BD-09 → WGS-84 pairs of geodata-notes.md are eviltransform's test values.

    eviltransform computes BD-09 with sin(y·π) where Baidu's published formula (and the
    Jinshan GCJ-02 → BD-09 pair above, which we match to 1e-6°) uses sin(y·3000π/180), and
    inverts GCJ-02 in one step.  So they cannot agree to 1e-6° with the standard formula; we
    check that we land within the size of that variant's difference (< 45 m) and that our
    inverse is exact for our forward transform.
    """
    lon, lat = crs.to_wgs84(bd[1], bd[0], "bd09")
    assert crs.distance_m(lon, lat, wgs[1], wgs[0]) < 45.0
    back = crs.from_wgs84(lon, lat, "bd09")
    assert back == pytest.approx((bd[1], bd[0]), abs=1e-8)


def test_vectorised_equals_scalar_and_keeps_shape():
    wlon = np.array([r[2] for r in WGS_GCJ])
    wlat = np.array([r[1] for r in WGS_GCJ])
    glon, glat = crs.from_wgs84(wlon, wlat, "gcj02")
    assert isinstance(glon, np.ndarray) and glon.shape == (4,)
    np.testing.assert_allclose(glon, [r[4] for r in WGS_GCJ], atol=1e-6)
    np.testing.assert_allclose(glat, [r[3] for r in WGS_GCJ], atol=1e-6)
    grid_lon, grid_lat = np.meshgrid(np.linspace(121.0, 121.2, 3), np.linspace(31.0, 31.2, 4))
    out_lon, out_lat = crs.to_wgs84(grid_lon, grid_lat, "bd09")
    assert out_lon.shape == (4, 3) and out_lat.shape == (4, 3)
    assert out_lon[1, 2] == pytest.approx(crs.to_wgs84(grid_lon[1, 2], grid_lat[1, 2], "bd09")[0], abs=1e-12)


def test_scalar_input_gives_floats():
    lon, lat = crs.to_wgs84(121.1, 31.1, "gcj02")
    assert type(lon) is float and type(lat) is float


@pytest.mark.parametrize("datum", ["gcj02", "bd09", "wgs84"])
def test_identity_outside_china(datum):
    assert crs.from_wgs84(0.0, 0.0, datum) == (0.0, 0.0)
    assert crs.to_wgs84(2.35, 48.85, datum) == (2.35, 48.85)


def test_wgs84_is_identity_and_unknown_datum_refused():
    assert crs.to_wgs84(121.1, 31.1, "wgs84") == (121.1, 31.1)
    with pytest.raises(ValueError, match="datum"):
        crs.to_wgs84(121.1, 31.1, "utm")


def test_offset_in_qingpu_is_about_half_a_kilometre():
    lon, lat = crs.from_wgs84(121.11408, 31.15394, "gcj02")
    d = crs.distance_m(121.11408, 31.15394, lon, lat)
    assert 400 < d < 700


@settings(max_examples=200, deadline=None)
@given(
    lon=st.floats(*QINGPU_BOX["lon"]),
    lat=st.floats(*QINGPU_BOX["lat"]),
    datum=st.sampled_from(["gcj02", "bd09"]),
)
def test_round_trip_under_a_metre_in_the_district(lon, lat, datum):
    back_lon, back_lat = crs.to_wgs84(*crs.from_wgs84(lon, lat, datum), datum)
    assert crs.distance_m(lon, lat, back_lon, back_lat) < 1.0


def test_round_trip_array_in_the_district():
    rng = np.random.default_rng(7)
    lon = rng.uniform(*QINGPU_BOX["lon"], 5000)
    lat = rng.uniform(*QINGPU_BOX["lat"], 5000)
    for datum in ("gcj02", "bd09"):
        blon, blat = crs.to_wgs84(*crs.from_wgs84(lon, lat, datum), datum)
        assert np.max(crs.distance_m(lon, lat, blon, blat)) < 0.01


def test_distance_and_metric_crs():
    # one minute of latitude at 31°N is ~1848 m on the WGS-84 ellipsoid
    assert crs.distance_m(121.1, 31.0, 121.1, 31.0 + 1 / 60) == pytest.approx(1848, abs=3)
    d = crs.distance_m([121.1, 121.1], [31.0, 31.0], [121.1, 121.2], [31.1, 31.0])
    assert d.shape == (2,) and d[1] == pytest.approx(9540, rel=0.01)
    metric = CRS.from_user_input(crs.METRIC_CRS)
    assert metric.axis_info[0].unit_name == "metre"
    assert "CM 120E" in metric.name  # EPSG:4549; EPSG:4547 is CM 114E
