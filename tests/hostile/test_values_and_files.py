"""Capacities, units and coordinates gone wrong; malformed, wrongly-encoded and huge files.

Every refusal is checked to leave the database unchanged (hash of every table); the legitimate
variants (GBK, UTF-8 with BOM, GCJ-02, kg/d) are checked to be read right.
"""
from __future__ import annotations

import io
import json
import pathlib
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest

from wufei_geo import crs, geodata, i18n
from wufei_geo.boundaries import BoundaryImportError
from wufei_geo.errors import ValidationError
from wufei_geo.io import bulk_import
from wufei_geo.io.geofiles import read_boundaries

from .corpus import BOUNDARY_CASES, CAPACITY_CASES, COORD_CASES, SPREADSHEET_CASES, Case
from .helpers import PASSWORD, csv_bytes, data_hash, login, run_cli
from .results import record

BIG = 200 * 1024 * 1024


def _site_for(case: Case) -> str:
    return "H.4" if case.id == "cap-huge-overflow" else "H.1"


# --- capacities and units ------------------------------------------------------------------------
@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CAPACITY_CASES])
def test_capacity_through_update_site(env, case: Case) -> None:
    official = login(env, "xiayang")
    value, unit = case.value
    sid = _site_for(case)
    before = data_hash(env)
    changes = {"operating_capacity_value": value, "operating_capacity_unit": unit}
    if case.expect == "refused":
        with pytest.raises(ValidationError) as exc:
            env.update_site(official, sid, changes, 1)
        assert data_hash(env) == before
        record("values", case.id, "store.update_site(capacity)", "refused", str(exc.value))
        return
    site = env.update_site(official, sid, changes, 1)
    assert site["operating_capacity_norm"] == pytest.approx(0.5) and site["operating_capacity_unit"] == "kg/d"
    record("values", case.id, "store.update_site(capacity)", "accepted_correctly", "500 kg/d stored as 0.5 t/d")


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CAPACITY_CASES])
def test_capacity_through_bulk_import(env, case: Case) -> None:
    admin = login(env, "admin")
    value, unit = case.value
    sid = _site_for(case)
    data = csv_bytes([{"site_id": sid, "version": 1, "operating_capacity_value": str(value),
                       "operating_capacity_unit": unit}])
    before = data_hash(env)
    report = bulk_import.apply_import(env, admin, data, "cap.csv", "en")
    if case.expect == "refused":
        assert not report.applied and report.errors
        assert data_hash(env) == before
        record("values", case.id, "bulk_import(capacity)", "refused", str(report.errors[0]))
        return
    assert report.applied, report.errors
    assert env.get_site(sid)["operating_capacity_norm"] == pytest.approx(0.5)
    record("values", case.id, "bulk_import(capacity)", "accepted_correctly")


# --- coordinates -------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in COORD_CASES])
def test_location_through_update_site(env, case: Case) -> None:
    official = login(env, "xiayang")
    before = data_hash(env)
    if case.expect == "refused":
        with pytest.raises(ValidationError) as exc:
            env.update_site(official, "H.1", {"location": case.value}, 1)
        assert data_hash(env) == before
        record("values", case.id, "store.update_site(location)", "refused", str(exc.value))
        return
    lon, lat, datum = case.value
    site = env.update_site(official, "H.1", {"location": case.value}, 1)
    wlon, wlat = crs.to_wgs84(lon, lat, datum)
    assert crs.distance_m(site["lon"], site["lat"], wlon, wlat) < 0.05
    assert crs.distance_m(site["lon"], site["lat"], lon, lat) > 300  # really shifted from the GCJ-02 numbers
    assert site["precision"] == "exact" and site["location_source"] == "official"
    record("values", case.id, "store.update_site(location)", "accepted_correctly", "GCJ-02 converted to WGS-84")


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in COORD_CASES])
def test_location_through_bulk_import(env, case: Case) -> None:
    admin = login(env, "admin")
    lon, lat, datum = case.value
    data = csv_bytes([{"site_id": "H.1", "version": 1, "lon": str(lon), "lat": str(lat), "datum": datum}])
    before = data_hash(env)
    report = bulk_import.apply_import(env, admin, data, "xy.csv", "en")
    if case.expect == "refused":
        assert not report.applied and report.errors
        assert data_hash(env) == before
        record("values", case.id, "bulk_import(lon/lat/datum)", "refused", str(report.errors[0]))
        return
    assert report.applied, report.errors
    site = env.get_site("H.1")
    assert crs.distance_m(site["lon"], site["lat"], *crs.to_wgs84(lon, lat, datum)) < 0.05
    record("values", case.id, "bulk_import(lon/lat/datum)", "accepted_correctly")


# --- spreadsheets ------------------------------------------------------------------------------------
NOTE = "暂停：设备检修（𪚥）"
GOOD_ROWS = [{"site_id": "H.1", "version": 1, "status": "suspended", "note": NOTE}]


def _xlsx(rows: list[dict]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    if rows:
        ws.append(list(rows[0]))
        for r in rows:
            ws.append(list(r.values()))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _spreadsheet(case: str, tmp: Path) -> tuple[bytes | Path, str, str]:
    """(data or a path, file name, expectation)."""
    text = csv_bytes(GOOD_ROWS).decode("utf-8")
    if case == "csv-empty":
        return b"", "empty.csv", "refused"
    if case == "csv-header-only":
        return b"site_id,status,note\n", "header.csv", "nothing"
    if case == "csv-truncated-quote":
        return text.encode("utf-8")[:-8].replace(b"suspended,", b'suspended,"'), "cut.csv", "refused"
    if case == "csv-binary":
        return bytes(range(1, 256)) * 40, "random.csv", "refused"
    if case == "csv-utf16":
        return text.encode("utf-16"), "utf16.csv", "refused"
    if case == "csv-no-site-id":
        return b"id,status\nH.1,operating\n", "noid.csv", "refused"
    if case == "csv-gbk":
        return text.replace("（𪚥）", "").encode("gbk"), "gbk.csv", "accepted"
    if case == "csv-utf8-bom":
        return text.encode("utf-8-sig"), "bom.csv", "accepted"
    if case == "csv-utf8":
        return text.encode("utf-8"), "plain.csv", "accepted"
    if case == "xlsx-truncated":
        return _xlsx(GOOD_ROWS)[:700], "cut.xlsx", "refused"
    if case == "xlsx-not-a-zip":
        return b"PK\x03\x04 this is not really a zip file", "fake.xlsx", "refused"
    if case == "xlsx-csv-renamed":
        return text.encode("utf-8"), "renamed.xlsx", "refused"
    if case == "xlsx-empty-sheet":
        return _xlsx([]), "empty.xlsx", "refused"
    if case == "csv-200mb":
        path = tmp / "huge.csv"
        with path.open("wb") as fh:
            fh.write(text.encode("utf-8"))
            fh.truncate(BIG)  # sparse: 200 MB on paper, almost nothing on disk
        return path, "huge.csv", "refused"
    raise KeyError(case)


@pytest.mark.parametrize("case", SPREADSHEET_CASES)
def test_spreadsheet_files(env, tmp_path, monkeypatch, capsys, case: str) -> None:
    admin = login(env, "admin")
    data, name, expect = _spreadsheet(case, tmp_path)
    before = data_hash(env)
    if isinstance(data, Path):  # the 200 MB file: refused by its size, before it is read
        real_read = pathlib.Path.read_bytes

        def guarded(self: Path) -> bytes:
            assert self != data, "the importer read the whole 200 MB file"
            return real_read(self)

        monkeypatch.setattr(pathlib.Path, "read_bytes", guarded)
        code, out, err = run_cli(monkeypatch, capsys, "import-sites", str(data), "--user", "admin", "--apply",
                                 "--lang", "en", stdin=PASSWORD + "\n")
        assert code == 1 and "MB" in err, (code, out, err)
        assert data_hash(env) == before
        assert env.history(site_id="H.1") == []
        record("files", case, "cli:import-sites", "refused", err.strip().splitlines()[-1])
        with pytest.raises(bulk_import.ImportFileError):
            bulk_import.read_file(data)
        record("files", case, "bulk_import.read_file", "refused", "size checked before reading")
        return
    report = bulk_import.apply_import(env, admin, data, name, "en")
    if expect == "refused":
        assert not report.applied and report.errors and str(report.errors[0]).strip()
        assert data_hash(env) == before
        record("files", case, "bulk_import.apply_import", "refused", str(report.errors[0]))
    elif expect == "nothing":
        assert not report.applied and not report.rows and not report.errors
        assert data_hash(env) == before
        record("files", case, "bulk_import.apply_import", "refused", "no rows: nothing to change, nothing written")
    else:
        assert report.applied, report.errors
        (row,) = env.history(site_id="H.1")
        assert row["new_value"] == "suspended" and row["note"] == (NOTE if "gbk" not in case else "暂停：设备检修")
        record("files", case, "bulk_import.apply_import", "accepted_correctly", "Chinese note read exactly")


# --- boundary files ------------------------------------------------------------------------------------
def _zones_metric() -> gpd.GeoDataFrame:
    z = geodata.load_default_zones().to_crs(crs.METRIC_CRS)
    return gpd.GeoDataFrame({"XZDM": z.town_code, "XZMC": z.name_zh}, geometry=z.geometry.values, crs=crs.METRIC_CRS)


def _zip_shapefile(tmp: Path, drop_prj: bool = False) -> Path:
    folder = tmp / "shp"
    folder.mkdir()
    _zones_metric().to_file(folder / "towns.shp", encoding="utf-8")
    path = tmp / "towns.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for f in sorted(folder.iterdir()):
            if not (drop_prj and f.suffix == ".prj"):
                zf.write(f, f.name)
    return path


def _boundary_file(case: str, tmp: Path) -> Path:
    wgs = _zones_metric().to_crs("EPSG:4326")
    good = wgs.to_json()
    path = tmp / f"{case}.geojson"
    if case == "geojson-empty":
        path.write_bytes(b"")
    elif case == "geojson-malformed":
        path.write_text("{\"type\": \"FeatureCollection\", \"features\": [,]}", "utf-8")
    elif case == "geojson-truncated":
        path.write_text(good[: len(good) // 2], "utf-8")
    elif case == "geojson-no-features":
        path.write_text('{"type": "FeatureCollection", "features": []}', "utf-8")
    elif case == "geojson-projected-no-crs":
        metric = json.loads(_zones_metric().to_json())
        metric.pop("crs", None)
        path.write_text(json.dumps(metric), "utf-8")
    elif case == "geojson-points":
        pts = wgs.copy()
        pts["geometry"] = pts.geometry.representative_point()
        path.write_text(pts.to_json(), "utf-8")
    elif case == "geojson-bowtie":
        bad = wgs.copy()
        x0, y0, x1, y1 = bad.geometry.iloc[0].bounds
        from shapely.geometry import Polygon

        bad.loc[bad.index[0], "geometry"] = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])
        path.write_text(bad.to_json(), "utf-8")
    elif case == "geojson-elsewhere":
        moved = wgs.copy()
        moved["geometry"] = moved.geometry.translate(xoff=-5.0, yoff=8.5)  # near Beijing
        path.write_text(moved.to_json(), "utf-8")
    elif case == "geojson-gbk":
        path.write_bytes(json.dumps(json.loads(good), ensure_ascii=False).encode("gbk"))
    elif case == "shp-zip-no-prj":
        return _zip_shapefile(tmp, drop_prj=True)
    elif case == "shp-zip-no-shp":
        path = tmp / "noshp.zip"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("readme.txt", "no shapefile here")
    elif case == "shp-zip-truncated":
        whole = _zip_shapefile(tmp).read_bytes()
        path = tmp / "cut.zip"
        path.write_bytes(whole[: len(whole) // 3])
    elif case == "geojson-200mb":
        with path.open("wb") as fh:
            fh.write(good.encode("utf-8"))
            fh.truncate(BIG)
    else:
        raise KeyError(case)
    return path


@pytest.mark.parametrize("case", BOUNDARY_CASES)
def test_boundary_files(env, tmp_path, monkeypatch, capsys, case: str) -> None:
    path = _boundary_file(case, tmp_path)
    before = data_hash(env)
    if case == "geojson-200mb":
        def no_read(*a: object, **k: object) -> object:
            raise AssertionError("the 200 MB boundary file was read")

        monkeypatch.setattr(pathlib.Path, "read_text", no_read)
        monkeypatch.setattr(gpd, "read_file", no_read)
    with pytest.raises(BoundaryImportError) as exc:
        read_boundaries(path)
    problems = exc.value.problems  # keyed items, each worded in both languages
    assert problems and all(p.key and i18n.item_text(p, "zh").strip() and i18n.item_text(p, "en").strip() for p in problems)
    record("files", case, "geofiles.read_boundaries", "refused", str(problems[0]))
    code, out, err = run_cli(monkeypatch, capsys, "import-boundaries", str(path))
    assert code == 1 and "nothing was changed" in err
    assert data_hash(env) == before and env.zones() is None
    record("files", case, "cli:import-boundaries", "refused", err.strip().splitlines()[0])
