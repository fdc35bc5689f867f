"""Marker placement: stored coordinates as is, town/district seats spread inside their zone."""
from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from wufei_geo import crs, geodata, locate

YINGPU, XUJING, XIAYANG = "310118002", "310118106", "310118001"


def _site(site_id, town=None, lon=None, lat=None, precision="town"):
    return dict(site_id=site_id, town_code=town, lon=lon, lat=lat, precision=precision)


@pytest.fixture(scope="module")
def zones():
    return geodata.load_default_zones()


@pytest.fixture(scope="module")
def gaz():
    return geodata.load_gazetteer()


def _crowd():
    rows = [_site(f"E.1-{i}", YINGPU) for i in range(9)]  # the smallest zone, close to two other seats
    rows += [_site(f"E.2-{i}", XIAYANG, precision="village") for i in range(6)]
    rows += [_site(f"E.3-{i}", None, precision="district") for i in range(8)]  # district seat, 450 m from 夏阳
    rows += [_site("E.4-1", XUJING, 121.2713, 31.1761, "exact")]  # an exact site next to the 徐泾 seat
    rows += [_site(f"E.4-{i}", XUJING) for i in range(2, 5)]
    return pd.DataFrame(rows)


def test_stored_coordinates_are_used_as_is(zones, gaz):
    df = pd.DataFrame([_site("A", XUJING, 121.25, 31.18, "exact"), _site("B", None, 121.2, 31.2, "address"),
                       _site("C", XUJING, 121.26, 31.17, "village")])
    out = locate.locate_sites(df, zones, gaz)
    assert out.crs.equals("EPSG:4326")
    assert out.display_lon.tolist() == [121.25, 121.2, 121.26]
    assert out.display_lat.tolist() == [31.18, 31.2, 31.17]
    assert out.display_precision.tolist() == ["exact", "address", "village"]
    assert out.geometry.iloc[0].equals(shapely.Point(121.25, 31.18))


def test_single_site_goes_to_its_town_seat_at_town_precision(zones, gaz):
    df = pd.DataFrame([_site("A", XUJING, precision="village")])
    out = locate.locate_sites(df, zones, gaz)
    seat = gaz.set_index("town_code").loc[XUJING]
    assert (out.display_lon[0], out.display_lat[0]) == pytest.approx((seat.seat_lon, seat.seat_lat))
    assert out.display_precision[0] == "town"  # described to the village, shown at the town seat


def test_district_level_and_unknown(zones, gaz):
    df = pd.DataFrame([_site("A", None, precision="district"), _site("B", None, precision="unknown"),
                       _site("C", None, precision=None)])
    # by default a site known only to the district gets no invented point
    out = locate.locate_sites(df, zones, gaz)
    assert out.display_precision.tolist() == ["district", "unknown", "unknown"]
    assert out.geometry.isna().all() and np.isnan(out.display_lon).all()
    # --placeholder-points: the old drawing at the district seat
    out = locate.locate_sites(df, zones, gaz, placeholder_points=True)
    assert (out.display_lon[0], out.display_lat[0]) == pytest.approx(geodata.district_seat())
    assert out.display_precision.tolist() == ["district", "unknown", "unknown"]
    assert out.geometry.iloc[1] is None and out.geometry.iloc[2] is None
    assert np.isnan(out.display_lon[1])


def test_unknown_precision_with_a_town_goes_to_the_seat(zones, gaz):
    out = locate.locate_sites(pd.DataFrame([_site("A", XUJING, precision="unknown")]), zones, gaz)
    assert out.display_precision[0] == "town" and out.geometry.iloc[0] is not None


def test_spread_markers_never_overlap_and_stay_in_their_zone(zones, gaz):
    df = _crowd()
    out = locate.locate_sites(df, zones, gaz, placeholder_points=True)
    assert out.geometry.notna().all()
    m = out.to_crs(crs.METRIC_CRS)
    for (i, a), (j, b) in itertools.combinations(enumerate(m.geometry), 2):
        assert a.distance(b) > 100, (out.site_id[i], out.site_id[j])
    by_code = dict(zip(zones.town_code, zones.geometry, strict=False))
    for r in out.itertuples():
        if r.display_precision == "town":
            assert by_code[r.town_code].contains(r.geometry), r.site_id
        if r.display_precision == "district":
            assert geodata.in_district(r.display_lon, r.display_lat)
    # assign_towns agrees with the town of every town-precision marker
    town_rows = out[out.display_precision == "town"]
    assert list(geodata.assign_towns(town_rows.display_lon, town_rows.display_lat, zones)) == list(town_rows.town_code)
    # spread markers stay near their seat (rings of ~350 m)
    seats = geodata.town_seats()
    for r in town_rows.itertuples():
        assert crs.distance_m(*seats[r.town_code], r.display_lon, r.display_lat) < 1500


def test_spreading_is_deterministic_and_independent_of_row_order(zones, gaz):
    df = _crowd()
    a = locate.locate_sites(df, zones, gaz).set_index("site_id")
    shuffled = df.sample(frac=1, random_state=3).reset_index(drop=True)
    b = locate.locate_sites(shuffled, zones, gaz).set_index("site_id").loc[a.index]
    np.testing.assert_array_equal(a.display_lon.to_numpy(), b.display_lon.to_numpy())
    np.testing.assert_array_equal(a.display_lat.to_numpy(), b.display_lat.to_numpy())
    # the first site by id sits on the seat itself
    seat = geodata.town_seats()[YINGPU]
    assert (a.loc["E.1-0", "display_lon"], a.loc["E.1-0", "display_lat"]) == pytest.approx(seat)


def test_official_zone_that_misses_the_seat_gets_its_markers_inside(zones, gaz):
    # an "official" 徐泾 zone (a 1.5 km disc elsewhere) that does not contain the GeoNames seat
    zm = zones.to_crs(crs.METRIC_CRS)
    disc = gpd.GeoSeries([shapely.Point(geodata.town_seats()["310118105"])], crs="EPSG:4326")
    disc = disc.to_crs(crs.METRIC_CRS).buffer(1500).iloc[0]
    zm.loc[zm.town_code == XUJING, "geometry"] = disc
    shifted = zm.to_crs("EPSG:4326")
    xujing = shifted.set_index("town_code").geometry[XUJING]
    assert not xujing.contains(shapely.Point(geodata.town_seats()[XUJING]))
    out = locate.locate_sites(pd.DataFrame([_site(f"S{i}", XUJING) for i in range(4)]), shifted, gaz)
    assert all(xujing.contains(p) for p in out.geometry)


def test_input_is_not_modified_and_columns_are_kept(zones, gaz):
    df = _crowd()
    df["name_zh"] = "<b>x</b>"
    before = df.copy()
    out = locate.locate_sites(df, zones, gaz)
    pd.testing.assert_frame_equal(df, before)
    assert {"display_lon", "display_lat", "display_precision", "name_zh"} <= set(out.columns)
    assert isinstance(out, gpd.GeoDataFrame)
    assert list(out.index) == list(df.index)
