"""Exports: schema, encodings, datum, GeoPackage layers and descriptions, read back by GDAL."""
from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely

from wufei_geo import crs
from wufei_geo.io import exports, layers
from wufei_geo.model import SITE_COLUMNS

REPO = Path(__file__).resolve().parent.parent

E5_COMPONENTS = [
    {"label": "HW22 含铜蚀刻液", "value": 20000, "unit": "t/a", "norm": 20000, "norm_unit": "t/yr", "source_ref": "附表3 E.5"},
    {"label": "废有机溶剂", "value": 18000, "unit": "t/a", "norm": 18000, "norm_unit": "t/yr", "source_ref": "附表3 E.5"},
    {"label": "废包装桶", "value": 20, "unit": "万只/年", "norm": 200000, "norm_unit": "items/yr", "source_ref": "附表3 E.5"},
]


def _site(site_id: str, **values: object) -> dict:
    row = {c: None for c in SITE_COLUMNS}
    row.update(site_id=site_id, project_id=site_id.split("-")[0], status="planned", version=1, retired=False,
               capacity_components="[]", source_ref=f"附表3 {site_id.split('-')[0]}")
    row.update(values)
    return row


@pytest.fixture
def catalog() -> SimpleNamespace:
    """A small catalog-shaped object: three sites (one exact, one at a town seat, one unplaced)."""
    rows = [
        _site("E.5-1", name_zh="巨浪危废项目", category="hazardous_waste", capacity_value=20000.0, capacity_unit="t/a",
              capacity_norm=20000.0, capacity_norm_unit="t/yr", capacity_components=json.dumps(E5_COMPONENTS, ensure_ascii=False),
              precision="district"),
        _site("E.12-2", name_zh="<img src=x onerror=alert(1)> 嵩山村", category="wet_waste", wet_waste_mode="on_site",
              town_code="310118107", capacity_value=80.0, capacity_unit="t/d", capacity_norm=80.0, capacity_norm_unit="t/d",
              lon=121.2316, lat=31.2236, precision="address", target_year=2025),
        _site("E.42-1", name_zh="光伏项目", category="pv", precision="unknown"),
    ]
    frame = pd.DataFrame(rows)
    frame["display_lon"] = [121.124, 121.2316, None]
    frame["display_lat"] = [31.150, 31.2236, None]
    frame["display_precision"] = ["district", "address", "unknown"]
    frame["overdue"] = [False, True, False]
    frame["last_change"] = [None, "2025-01-02 张三", None]
    geometry = [shapely.Point(x, y) if pd.notna(x) else None for x, y in zip(frame["display_lon"], frame["display_lat"], strict=False)]
    sites = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
    zones = gpd.GeoDataFrame(
        {"town_code": ["310118001", "310118107"], "name_zh": ["夏阳街道", "华新镇"], "name_en": ["Xiayang", "Huaxin"],
         "boundary_quality": ["approximate", "approximate"], "area_km2": [55.1, 49.0]},
        geometry=[shapely.box(121.05, 31.10, 121.15, 31.20), shapely.box(121.15, 31.20, 121.25, 31.28)],
        crs="EPSG:4326",
    )
    district = gpd.GeoDataFrame({"name_zh": ["青浦区"]}, geometry=[shapely.box(121.0, 31.0, 121.3, 31.3)], crs="EPSG:4326")
    return SimpleNamespace(sites=sites, zones=zones, district=district)


def test_csv_is_utf8_bom_with_schema_datum_and_nulls(catalog):
    data = exports.export_bytes(catalog, "csv", "sites")
    assert data.startswith("\ufeff".encode("utf-8"))
    table = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(table.columns[: len(SITE_COLUMNS)]) == list(SITE_COLUMNS)
    assert {"display_lon", "display_lat", "display_precision", "datum"} <= set(table.columns)
    assert set(table["datum"]) == {"wgs84"}
    e12 = table.set_index("site_id").loc["E.12-2"]
    assert e12["name_zh"] == "<img src=x onerror=alert(1)> 嵩山村"  # data, not HTML: kept verbatim
    assert float(e12["capacity_norm"]) == 80.0 and e12["capacity_norm_unit"] == "t/d"
    assert float(e12["lon"]) == 121.2316
    unplaced = table.set_index("site_id").loc["E.42-1"]
    assert unplaced["capacity_value"] == "" and unplaced["lon"] == "" and unplaced["display_lon"] == ""
    assert len(json.loads(table.set_index("site_id").loc["E.5-1", "capacity_components"])) == 3


def test_geojson_states_datum_and_crs_and_carries_all_components(catalog):
    doc = json.loads(exports.export_bytes(catalog, "geojson", "sites"))
    assert doc["datum"] == "wgs84"
    assert doc["crs"]["properties"]["name"].endswith("CRS84")
    by_id = {f["properties"]["site_id"]: f for f in doc["features"]}
    assert [c["label"] for c in by_id["E.5-1"]["properties"]["capacity_components"]] == [c["label"] for c in E5_COMPONENTS]
    assert by_id["E.42-1"]["geometry"] is None  # unknown place: no invented point
    assert by_id["E.42-1"]["properties"]["capacity_norm"] is None
    assert by_id["E.12-2"]["geometry"]["coordinates"] == pytest.approx([121.2316, 31.2236])
    zones = json.loads(exports.export_bytes(catalog, "geojson", "zones"))
    assert set(zones["features"][0]["properties"]) == {"town_code", "name_zh", "name_en", "boundary_quality", "area_km2", "datum"}


def test_gcj02_shifts_every_coordinate_by_the_offset(catalog):
    wgs = json.loads(exports.export_bytes(catalog, "geojson", "sites"))
    gcj = json.loads(exports.export_bytes(catalog, "geojson", "sites", datum="gcj02"))
    assert gcj["datum"] == "gcj02" and "GCJ-02" in gcj["datum_note"]
    for a, b in zip(wgs["features"], gcj["features"], strict=False):
        if a["geometry"] is None:
            assert b["geometry"] is None
            continue
        (x1, y1), (x2, y2) = a["geometry"]["coordinates"], b["geometry"]["coordinates"]
        assert 300 < crs.distance_m(x1, y1, x2, y2) < 700
    e12 = next(f["properties"] for f in gcj["features"] if f["properties"]["site_id"] == "E.12-2")
    assert 300 < crs.distance_m(121.2316, 31.2236, e12["lon"], e12["lat"]) < 700
    back = crs.to_wgs84(e12["lon"], e12["lat"], "gcj02")
    assert crs.distance_m(121.2316, 31.2236, *back) < 1.0
    z_wgs = shapely.geometry.shape(json.loads(exports.export_bytes(catalog, "geojson", "zones"))["features"][0]["geometry"])
    z_gcj = shapely.geometry.shape(json.loads(exports.export_bytes(catalog, "geojson", "zones", datum="gcj02"))["features"][0]["geometry"])
    (x1, y1), (x2, y2) = z_wgs.exterior.coords[0], z_gcj.exterior.coords[0]
    assert 300 < crs.distance_m(x1, y1, x2, y2) < 700
    csv = pd.read_csv(io.BytesIO(exports.export_bytes(catalog, "csv", "zones", datum="gcj02")), encoding="utf-8-sig")
    assert set(csv["datum"]) == {"gcj02"}


def test_xlsx_has_table_and_field_descriptions(catalog):
    wb = openpyxl.load_workbook(io.BytesIO(exports.export_bytes(catalog, "xlsx", "sites")))
    assert wb.sheetnames == ["sites", "fields"]
    header = [c.value for c in wb["sites"][1]]
    assert header[: len(SITE_COLUMNS)] == list(SITE_COLUMNS)
    ids = [r[0] for r in wb["sites"].iter_rows(min_row=2, values_only=True)]
    assert ids == ["E.5-1", "E.12-2", "E.42-1"]
    described = {r[1] for r in wb["fields"].iter_rows(min_row=2, values_only=True)}
    assert set(header) <= described


def test_gpkg_has_three_layers_fields_table_and_descriptions(catalog, tmp_path):
    path = exports.write_export(tmp_path / "all.gpkg", catalog, "gpkg", layer=None, datum="gcj02")
    layers = dict(pyogrio.list_layers(path))
    assert {"sites", "town_zones", "district", "fields"} <= set(layers)
    sites = gpd.read_file(path, layer="sites")
    assert sites.crs.to_epsg() == 4326 and len(sites) == 3 and set(sites["datum"]) == {"gcj02"}
    info = pyogrio.read_info(path, layer="town_zones")
    assert "GCJ-02" in info["layer_metadata"]["DESCRIPTION"]
    with sqlite3.connect(path) as con:
        described = {(t, c) for t, c in con.execute("SELECT table_name, column_name FROM gpkg_data_columns")}
        ext = con.execute("SELECT extension_name FROM gpkg_extensions WHERE table_name='gpkg_data_columns'").fetchone()
    assert ("sites", "capacity_norm") in described and ("town_zones", "boundary_quality") in described
    assert ext == ("gpkg_schema",)
    fields = pyogrio.read_dataframe(path, layer="fields")
    assert set(fields.columns) >= {"layer", "field", "description_zh", "description_en"}


@pytest.mark.skipif(shutil.which("ogrinfo") is None and not os.environ.get("CI"), reason="gdal-bin (ogrinfo) not installed")
def test_ogrinfo_reads_every_layer_with_crs(catalog, tmp_path):
    path = exports.write_export(tmp_path / "all.gpkg", catalog, "gpkg", layer=None)
    out = subprocess.run(["ogrinfo", "-so", "-al", str(path)], capture_output=True, text=True, check=True).stdout
    for layer in ("sites", "town_zones", "district", "places", "fields"):
        assert f"Layer name: {layer}" in out
    assert out.count('ID["EPSG",4326]') == 4  # four spatial layers (places: issue 24), each with its CRS
    assert "Feature Count: 3" in out
    geojson = tmp_path / "sites.geojson"
    geojson.write_bytes(exports.export_bytes(catalog, "geojson", "sites"))
    out = subprocess.run(["ogrinfo", "-so", "-al", str(geojson)], capture_output=True, text=True, check=True).stdout
    assert "Feature Count: 3" in out and "WGS 84" in out


def test_schema_doc_lists_every_exported_field():
    doc = (REPO / "docs" / "schema.md").read_text(encoding="utf-8")
    for layer, fields in layers.FIELD_DESCRIPTIONS.items():
        for name in fields:
            assert f"`{name}`" in doc, (layer, name)
    assert set(layers.FIELD_DESCRIPTIONS["sites"]) == set(layers.SITE_EXPORT_COLUMNS)


def test_refuses_unknown_layer_format_and_datum(catalog):
    with pytest.raises(exports.ExportError, match="layer"):
        exports.export_bytes(catalog, "csv", "roads")
    with pytest.raises(exports.ExportError, match="format"):
        exports.export_bytes(catalog, "shp", "sites")
    with pytest.raises(exports.ExportError, match="datum"):
        exports.export_bytes(catalog, "csv", "sites", datum="bd09")
    with pytest.raises(exports.ExportError, match="one layer"):
        exports.export_bytes(catalog, "csv", None)


# --- the real data, through the CLI ------------------------------------------------------------
@pytest.fixture
def seeded(tmp_path, monkeypatch):
    from wufei_geo.config import Settings
    from wufei_geo.store import Store

    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("WUFEI_DB_URL", url)
    store = Store.open(url, settings=Settings(db_url=url))
    yield store
    store.close()


def test_cli_sites_json_and_gpkg_export_of_the_plan(seeded, tmp_path, capsys):
    from wufei_geo.cli import main

    assert main(["sites", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == len(seeded.sites_frame())
    e5 = [s for s in listed if s["project_id"] == "E.5"]
    assert e5 and len(e5[0]["capacity_components"]) == 3  # all three of the plan's E.5 components
    assert all(s["datum"] == "wgs84" for s in listed)
    assert main(["sites"]) == 0
    table = capsys.readouterr().out
    # for people: words, not the codes (wet_waste, planned)
    assert "E.5-1" in table and "规划中" in table and "planned" not in table and "wet_waste" not in table

    out = tmp_path / "all.gpkg"
    assert main(["export", "--format", "gpkg", "-o", str(out)]) == 0
    layers = dict(pyogrio.list_layers(out))
    assert {"sites", "town_zones", "district", "fields"} <= set(layers)
    assert len(gpd.read_file(out, layer="town_zones")) == 11
    assert len(gpd.read_file(out, layer="sites")) == len(listed)
    zones = tmp_path / "zones.geojson"
    assert main(["export", "--layer", "zones", "--format", "geojson", "--datum", "gcj02", "-o", str(zones)]) == 0
    doc = json.loads(zones.read_text(encoding="utf-8"))
    assert doc["datum"] == "gcj02" and len(doc["features"]) == 11
    assert set(doc["features"][0]["properties"]) >= {"town_code", "name_zh", "boundary_quality", "area_km2"}


def test_real_catalog_export_reimports_without_changes(seeded):
    from wufei_geo import auth
    from wufei_geo.catalog import load_catalog
    from wufei_geo.io import bulk_import

    auth.create_user(seeded, "admin", "admin", None, "correct horse battery")
    admin = auth.authenticate(seeded, "admin", "correct horse battery")
    catalog = load_catalog(seeded)
    for fmt, datum in (("csv", "gcj02"), ("xlsx", "wgs84")):
        data = exports.export_bytes(catalog, fmt, "sites", datum)
        report = bulk_import.plan_import(seeded, admin, data, f"sites.{fmt}")
        assert report.errors == [] and report.rows == [], report.summary_lines()[:5]
        assert report.rows_read == len(catalog.sites)
