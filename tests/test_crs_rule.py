"""The one CRS rule (crs.py, issue 17): a CRS is assigned once where data enters and never assumed
later — a frame without a CRS is refused everywhere past that point, never given EPSG:4326."""
from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from wufei_geo import boundaries, crs, geodata, locate
from wufei_geo.io.geofiles import read_geofile

REPO = Path(__file__).resolve().parent.parent


def _naive_zones() -> gpd.GeoDataFrame:
    z = geodata.load_default_zones()
    return gpd.GeoDataFrame(z.drop(columns="geometry"), geometry=list(z.geometry))  # no CRS


def test_frames_without_a_crs_are_refused_not_assumed_wgs84():
    naive = _naive_zones()
    assert naive.crs is None
    with pytest.raises(ValueError, match="no CRS"):
        crs.to_wgs84_frame(naive)
    with pytest.raises(ValueError, match="no CRS"):
        crs.to_metric_frame(naive)
    with pytest.raises(ValueError, match="no CRS"):
        geodata.assign_towns([121.1], [31.15], naive)
    with pytest.raises(ValueError, match="no CRS"):
        boundaries.check_whole(naive)
    sites = gpd.pd.DataFrame({"site_id": ["X.1"], "town_code": [naive.town_code.iloc[0]], "precision": ["town"]})
    with pytest.raises(ValueError, match="no CRS"):
        locate.locate_sites(sites, naive, geodata.load_gazetteer())


def test_a_frame_with_a_crs_is_converted_once(tmp_path):
    metric = geodata.load_default_zones().to_crs(crs.METRIC_CRS)
    assert crs.to_wgs84_frame(metric).crs.equals(crs.WGS84_CRS)
    wgs = geodata.load_default_zones()
    assert crs.to_wgs84_frame(wgs) is wgs  # already there: not converted again
    assert geodata.load_district().crs.equals(crs.WGS84_CRS)


def test_the_geojson_default_is_assigned_at_entry(tmp_path):
    path = tmp_path / "towns.geojson"
    doc = json.loads(geodata.load_default_zones()[["town_code", "geometry"]].to_json())
    doc.pop("crs", None)
    path.write_text(json.dumps(doc), "utf-8")
    problems: list = []
    gdf = read_geofile(path, problems)
    assert problems == [] and gdf.crs.equals(crs.WGS84_CRS)  # RFC 7946: a GeoJSON without "crs" is WGS-84
    projected = json.loads(geodata.load_default_zones().to_crs(crs.METRIC_CRS)[["town_code", "geometry"]].to_json())
    projected.pop("crs", None)
    path.write_text(json.dumps(projected), "utf-8")
    gdf = read_geofile(path, problems)
    assert problems[0].key == "problem.boundary.geojson_projected" and "declares no CRS" in str(problems[0])  # never guessed: refused


def test_the_crs_literals_are_named_once():
    pattern = re.compile(r"EPSG:(4326|4549)|to_crs\((4326|4549)\)")
    owners = {Path("wufei_geo/crs.py")}
    found = []
    for folder in ("wufei_geo", "app_pages", "bench"):
        for path in sorted((REPO / folder).rglob("*.py")):
            rel = path.relative_to(REPO)
            if rel in owners:
                continue
            code = "\n".join(line for line in path.read_text("utf-8").splitlines() if not line.lstrip().startswith("#"))
            found += [f"{rel}: {m.group(0)}" for m in pattern.finditer(code)
                      if "urn:ogc" not in code[max(0, m.start() - 20):m.start()]]
    assert found == []


def test_shapely_geometry_survives_the_rule():
    g = gpd.GeoSeries([shapely.Point(121.1, 31.15)], crs=crs.WGS84_CRS)
    assert crs.to_metric_frame(gpd.GeoDataFrame(geometry=g)).crs.to_epsg() == 4549
