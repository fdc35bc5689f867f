"""The default (approximate) town zones form a partition of the district calibrated to the areas."""
from __future__ import annotations

import itertools

import pytest
import shapely

from wufei_geo import crs, geodata

TOWN_CODES = [
    "310118001", "310118002", "310118003", "310118102", "310118103", "310118104",
    "310118105", "310118106", "310118107", "310118109", "310118110",
]


@pytest.fixture(scope="module")
def zones():
    return geodata.load_default_zones()


@pytest.fixture(scope="module")
def zones_m(zones):
    return zones.to_crs(crs.METRIC_CRS)


def test_one_zone_per_town_with_the_fields(zones):
    assert zones.crs.equals("EPSG:4326")
    assert list(zones.town_code) == TOWN_CODES
    for col in ("town_code", "name_zh", "name_en", "boundary_quality", "area_km2", "area_ref_km2", "method"):
        assert col in zones.columns
    assert set(zones.boundary_quality) == {"approximate"}
    assert zones.method.str.contains("Approximate").all()
    assert zones.set_index("town_code").loc["310118105", "area_derived"]
    assert zones.area_derived.sum() == 1


def test_each_zone_is_a_single_valid_polygon_containing_its_seat(zones):
    seats = geodata.town_seats()
    for code, geom in zip(zones.town_code, zones.geometry, strict=False):
        assert geom.is_valid, code
        assert geom.geom_type == "Polygon", code
        assert geom.contains(shapely.Point(seats[code])), code


def test_areas_within_ten_percent_of_reference(zones, zones_m):
    measured = zones_m.area / 1e6
    for code, got, ref, stored in zip(zones.town_code, measured, zones.area_ref_km2, zones.area_km2, strict=False):
        assert got == pytest.approx(ref, rel=0.10), code
        assert stored == pytest.approx(got, abs=0.01), code


def test_partition_union_equals_district_and_no_overlaps(zones_m):
    district = geodata.load_district().to_crs(crs.METRIC_CRS).geometry.iloc[0]
    total = zones_m.area.sum()
    union = shapely.union_all(zones_m.geometry.values)
    assert total == pytest.approx(district.area, rel=0.005)
    assert union.area == pytest.approx(district.area, rel=0.005)
    assert union.symmetric_difference(district).area < 0.005 * district.area  # no gaps, no spill
    for (a_code, a), (b_code, b) in itertools.combinations(zip(zones_m.town_code, zones_m.geometry, strict=False), 2):
        assert a.intersection(b).area < 1.0, (a_code, b_code)  # m²: shared edges only


def test_neighbours_share_edges_exactly(zones_m):
    # coverage-simplified: the zones are a valid coverage (no slivers, no gaps between neighbours)
    assert shapely.coverage_is_valid(zones_m.geometry.values)


@pytest.mark.slow
def test_zones_are_reproducible_from_the_build_script(tmp_path, monkeypatch, capsys):
    import importlib.util

    from wufei_geo.paths import GEODATA_DIR

    spec = importlib.util.spec_from_file_location("geodata_build", GEODATA_DIR / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    monkeypatch.setattr(build, "ZONES", tmp_path / "town_zones.geojson")
    build.build_zones()
    assert (tmp_path / "town_zones.geojson").read_bytes() == (GEODATA_DIR / "town_zones.geojson").read_bytes()
