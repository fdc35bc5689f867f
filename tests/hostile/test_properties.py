"""Property-based tests (hypothesis, bounded): datum round trips, capacity normalisation, spreading."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wufei_geo import crs, geodata, locate, units
from wufei_geo.crs import METRIC_CRS

from .results import record

DISTRICT = geodata.load_district()
X0, Y0, X1, Y1 = DISTRICT.total_bounds
INSIDE = st.tuples(st.floats(X0, X1), st.floats(Y0, Y1)).filter(lambda p: bool(geodata.in_district(p[0], p[1])))
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])


@FAST
@given(INSIDE, st.sampled_from(["gcj02", "bd09"]))
def test_datum_round_trip_under_a_metre(point, datum) -> None:
    lon, lat = point
    x, y = crs.from_wgs84(lon, lat, datum)
    assert crs.distance_m(lon, lat, x, y) > 100  # the offset is real here
    back = crs.to_wgs84(x, y, datum)
    assert crs.distance_m(lon, lat, *back) < 1.0
    gx, gy = crs.convert(lon, lat, "wgs84", "gcj02")
    bx, by = crs.convert(gx, gy, "gcj02", "bd09")
    assert crs.distance_m(lon, lat, *crs.convert(bx, by, "bd09", "wgs84")) < 1.0


def test_datum_round_trip_recorded() -> None:
    test_datum_round_trip_under_a_metre()
    record("properties", "datum-round-trip", "crs WGS-84⇄GCJ-02⇄BD-09", "property_held", "60 points inside the district, < 1 m")


SPELLINGS = [("t/d", "t/d", 1.0), ("kg/d", "t/d", 0.001), ("吨/日", "t/d", 1.0), ("万吨/年", "t/yr", 1e4),
             ("t/a", "t/yr", 1.0), ("MW", "kW", 1000.0), ("kWp", "kW", 1.0), ("兆瓦", "kW", 1000.0)]


@FAST
@given(st.floats(0, 1e9, allow_nan=False), st.sampled_from(SPELLINGS))
def test_capacity_is_value_times_factor(value, spelling) -> None:
    unit, norm_unit, factor = spelling
    got, got_unit = units.parse_capacity(value, unit)
    assert got_unit == norm_unit and math.isclose(got, value * factor, rel_tol=1e-9, abs_tol=1e-9)


@FAST
@given(st.one_of(st.just(float("nan")), st.just(float("inf")), st.just(float("-inf")),
                 st.floats(max_value=-1e-9, allow_nan=False, allow_infinity=False)), st.sampled_from(SPELLINGS))
def test_capacity_refuses_nan_inf_negative(value, spelling) -> None:
    with pytest.raises(units.UnitError):
        units.parse_capacity(value, spelling[0])


def test_capacity_properties_recorded() -> None:
    test_capacity_is_value_times_factor()
    test_capacity_refuses_nan_inf_negative()
    record("properties", "capacity-normalisation", "units.parse_capacity", "property_held",
           "value × factor for 8 spellings; NaN/±Inf/negative refused")


ZONES = geodata.load_default_zones()
TOWNS = geodata.load_gazetteer()


@settings(max_examples=12, deadline=None)
@given(st.sampled_from(list(ZONES["town_code"].astype(str))), st.integers(1, 25))
def test_spreading_stays_in_its_zone(town, n) -> None:
    sites = pd.DataFrame({"site_id": [f"S.{i}" for i in range(n)], "town_code": town,
                          "lon": np.nan, "lat": np.nan, "precision": "town"})
    out = locate.locate_sites(sites, ZONES, TOWNS)
    zone = ZONES.to_crs(METRIC_CRS).set_index(ZONES["town_code"].astype(str)).geometry[town]
    pts = out.to_crs(METRIC_CRS).geometry
    assert pts.notna().all() and len(out) == n
    assert all(zone.contains(p) for p in pts)
    coords = np.array([(p.x, p.y) for p in pts])
    if n > 1:
        d = np.hypot(*(coords[:, None, :] - coords[None, :, :]).transpose(2, 0, 1))
        assert d[~np.eye(n, dtype=bool)].min() > 1.0  # markers do not sit on each other


def test_spreading_recorded() -> None:
    test_spreading_stays_in_its_zone()
    record("properties", "spreading-in-zone", "locate.locate_sites", "property_held", "1–25 sites per town, all inside their zone")
