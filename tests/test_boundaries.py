"""Official boundary import: GeoJSON / zipped Shapefile / GeoPackage in any CRS, and every refusal."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from wufei_geo import crs, geodata, i18n
from wufei_geo.boundaries import BoundaryImportError
from wufei_geo.io.geofiles import read_boundaries


def official_style(code_digits: int = 9) -> gpd.GeoDataFrame:
    """What a district office might send: the zones in CGCS2000 metres with its own field names."""
    z = geodata.load_default_zones().to_crs(crs.METRIC_CRS)
    code = z.town_code if code_digits == 9 else z.town_code + "000"
    return gpd.GeoDataFrame({"XZDM": code, "XZMC": z.name_zh, "NOTE": "test"}, geometry=z.geometry.values,
                            crs=crs.METRIC_CRS)


def write_zip_shapefile(gdf: gpd.GeoDataFrame, path: Path, drop_prj: bool = False) -> Path:
    folder = path.parent / (path.stem + "_shp")
    folder.mkdir()
    gdf.to_file(folder / "towns.shp", encoding="utf-8")
    with zipfile.ZipFile(path, "w") as zf:
        for f in sorted(folder.iterdir()):
            if drop_prj and f.suffix == ".prj":
                continue
            zf.write(f, f.name)
    return path


def refusal(path, **kw) -> BoundaryImportError:
    with pytest.raises(BoundaryImportError) as info:
        read_boundaries(path, **kw)
    assert isinstance(info.value, ValueError)
    return info.value


def check_result(out: gpd.GeoDataFrame):
    zones = geodata.load_default_zones()
    assert out.crs.equals("EPSG:4326")
    assert list(out.town_code) == list(zones.town_code)
    assert set(out.boundary_quality) == {"official"}
    for a, b in zip(out.geometry, zones.geometry, strict=False):
        assert a.is_valid and a.symmetric_difference(b).area < 1e-9  # same polygons, back in degrees
    # area computed in the metric CRS, not copied
    for got, ref in zip(out.area_km2, zones.to_crs(crs.METRIC_CRS).area / 1e6, strict=False):
        assert got == pytest.approx(ref, abs=0.01)


# --- success -------------------------------------------------------------------------------------
def test_geojson_in_a_projected_crs(tmp_path):
    path = tmp_path / "towns.geojson"
    official_style().to_file(path, driver="GeoJSON")
    assert "crs" in json.loads(path.read_text("utf-8"))  # declared
    out = read_boundaries(path)
    check_result(out)
    assert out.source_feature.iloc[0] == "feature 1 (XZDM=310118001)"
    assert set(out.source) == {"towns.geojson"}


def test_zipped_shapefile_by_12_digit_codes(tmp_path):
    path = write_zip_shapefile(official_style(code_digits=12), tmp_path / "towns.zip")
    out = read_boundaries(path, code_field="XZDM")
    check_result(out)


def test_geopackage_matched_by_name(tmp_path):
    path = tmp_path / "towns.gpkg"
    official_style().to_crs("EPSG:4490").to_file(path, driver="GPKG")
    out = read_boundaries(path, name_field="XZMC")
    check_result(out)
    assert "XZMC=夏阳街道" in out.source_feature.iloc[0]


def test_names_without_suffix_english_names_and_split_towns(tmp_path):
    gdf = official_style().to_crs("EPSG:4326")
    gdf["XZMC"] = [n.removesuffix("街道").removesuffix("镇") for n in gdf.XZMC]
    gdf.loc[3, "XZMC"] = "Zhujiajiao Town"
    gdf.loc[4, "XZMC"] = "liantang"
    # 金泽镇 arrives as two features: they are merged
    jinze = gdf.geometry.iloc[5]
    cut = shapely.box(*jinze.bounds).centroid.x
    x0, y0, x1, y1 = jinze.bounds
    west = jinze.intersection(shapely.box(x0, y0, cut, y1))
    east = jinze.intersection(shapely.box(cut, y0, x1, y1))
    gdf.loc[5, "geometry"] = west
    extra = gdf.iloc[[5]].copy()
    extra["geometry"] = [east]
    gdf = gpd.GeoDataFrame(pd.concat([gdf, extra]).drop(columns="XZDM"), crs="EPSG:4326")
    path = tmp_path / "names.geojson"
    gdf.to_file(path, driver="GeoJSON")  # WGS-84 GeoJSON without a crs member is fine (RFC 7946)
    out = read_boundaries(path)
    assert list(out.town_code) == list(geodata.load_default_zones().town_code)
    jz = out.set_index("town_code").loc["310118104"]
    assert jz.source_feature.count("feature") == 2
    assert jz.geometry.area == pytest.approx(jinze.area, rel=1e-6)


# --- refusals ------------------------------------------------------------------------------------
def test_missing_town_and_unknown_name_are_both_named(tmp_path):
    gdf = official_style()
    gdf = gdf[gdf.XZDM != "310118105"].copy()  # 赵巷镇 missing
    gdf.loc[gdf.index[0], "XZMC"] = "松江区某镇"
    path = tmp_path / "bad.gpkg"
    gdf.to_file(path, driver="GPKG")
    err = refusal(path, name_field="XZMC")
    msg = str(err)
    assert "missing town: 310118105 赵巷镇" in msg
    assert "松江区某镇" in msg
    assert "missing town: 310118001" in msg  # the renamed one is now missing too
    assert len(err.problems) == 3


def test_empty_and_invalid_polygons(tmp_path):
    gdf = official_style()
    gdf.loc[1, "geometry"] = shapely.Polygon()
    x, y = gdf.geometry.iloc[2].representative_point().coords[0]
    gdf.loc[2, "geometry"] = shapely.Polygon([(x, y), (x + 500, y + 500), (x + 500, y), (x, y + 500)])  # bow-tie
    path = tmp_path / "broken.gpkg"
    gdf.to_file(path, driver="GPKG")
    err = refusal(path)
    keyed = {(p.key, p.params["n"]): p for p in err.problems}
    assert ("problem.boundary.empty_geometry", 2) in keyed
    invalid = keyed[("problem.boundary.invalid_polygon", 3)]
    assert "Self-intersection" in invalid.params["reason"]
    assert i18n.error_text(invalid, "zh").startswith("要素 3") and "多边形无效" in i18n.error_text(invalid, "zh")
    assert i18n.error_text(invalid, "en").startswith("feature 3") and "invalid polygon" in i18n.error_text(invalid, "en")


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_no_crs_shapefile_and_geopackage(tmp_path):
    shp = write_zip_shapefile(official_style(), tmp_path / "noprj.zip", drop_prj=True)
    assert "coordinate reference system" in str(refusal(shp))
    gpkg = tmp_path / "nocrs.gpkg"
    official_style().set_crs(None, allow_override=True).to_file(gpkg, driver="GPKG")
    assert "coordinate reference system" in str(refusal(gpkg))


def test_zip_without_shp(tmp_path):
    path = tmp_path / "nothing.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "boundaries to follow")
    assert "no .shp" in str(refusal(path))


def test_projected_numbers_in_a_geojson_without_crs(tmp_path):
    path = tmp_path / "metres.geojson"
    official_style().to_file(path, driver="GeoJSON")
    data = json.loads(path.read_text("utf-8"))
    del data["crs"]
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    err = refusal(path)
    assert "projected metres" in str(err) and len(err.problems) == 1


def test_shifted_outside_the_district(tmp_path):
    gdf = official_style()
    gdf["geometry"] = gdf.translate(0, 30_000)  # 30 km north: Jiading/Taicang
    path = tmp_path / "shifted.geojson"
    gdf.to_file(path, driver="GeoJSON")
    err = refusal(path)
    assert len(err.problems) == 11
    assert {p.key for p in err.problems} == {"problem.boundary.outside_outline"}
    assert all("inside the Qingpu district outline" in i18n.error_text(p, "en") for p in err.problems)
    assert all("青浦区界" in i18n.error_text(p, "zh") for p in err.problems)


def test_wrong_field_unreadable_and_unsupported(tmp_path):
    path = tmp_path / "towns.gpkg"
    official_style().to_file(path, driver="GPKG")
    assert "'BM' not found" in str(refusal(path, code_field="BM"))
    codes_as_names = refusal(path, name_field="XZDM")
    assert len(codes_as_names.problems) == 22  # 11 unknown names + 11 missing towns
    bad = tmp_path / "garbage.geojson"
    bad.write_bytes("{not json 青浦".encode("gbk"))
    assert "GeoJSON" in str(refusal(bad))
    csv = tmp_path / "towns.csv"
    csv.write_text("a,b\n", "utf-8")
    assert "unsupported file type" in str(refusal(csv))
    assert "not found" in str(refusal(tmp_path / "missing.geojson"))


def test_no_field_identifies_the_towns(tmp_path):
    gdf = official_style()[["NOTE", "geometry"]]
    path = tmp_path / "anon.gpkg"
    gdf.to_file(path, driver="GPKG")
    assert "no field holds town codes or names" in str(refusal(path))


# --- the command ---------------------------------------------------------------------------------
def test_import_boundaries_command_stores_and_refuses_without_change(tmp_path, monkeypatch, capsys):
    from wufei_geo.cli import main
    from wufei_geo.store import Store

    db_path = tmp_path / "cli.sqlite"
    monkeypatch.setenv("WUFEI_DB_URL", str(db_path))
    good = tmp_path / "towns.gpkg"
    official_style().to_file(good, driver="GPKG")

    assert main(["import-boundaries", str(good), "--dry-run"]) == 0
    assert "dry run" in capsys.readouterr().out
    assert not db_path.exists() or Store.open(f"sqlite:///{db_path}", seed=False).zones() is None

    assert main(["import-boundaries", str(good), "--code-field", "XZDM"]) == 0
    out = capsys.readouterr().out
    assert "310118105 赵巷镇" in out and "feature 7 (XZDM=310118105)" in out and "stored 11" in out
    store = Store.open(f"sqlite:///{db_path}", seed=False)
    stored = store.zones()
    assert list(stored.town_code) == sorted(geodata.load_default_zones().town_code)
    assert set(stored.boundary_quality) == {"official"}

    bad = official_style()
    bad = bad[bad.XZDM != "310118110"]
    bad_path = tmp_path / "bad.gpkg"
    bad.to_file(bad_path, driver="GPKG")
    assert main(["import-boundaries", str(bad_path)]) == 1
    err = capsys.readouterr().err
    assert "缺少街镇：310118110 白鹤镇" in err and "nothing was changed" in err  # in the run's language
    after = Store.open(f"sqlite:///{db_path}", seed=False).zones()
    assert after.drop(columns="geometry").equals(stored.drop(columns="geometry"))
