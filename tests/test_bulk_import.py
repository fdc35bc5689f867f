"""Bulk updates from spreadsheets: round trip, GBK, per-row errors, all-or-nothing, audit, CLI."""
from __future__ import annotations

import io
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import TEST_PASSWORD, site_record

from wufei_geo import auth
from wufei_geo.cli import main
from wufei_geo.config import Settings
from wufei_geo.io import bulk_import, excel, geofiles, layers, tabular
from wufei_geo.store import Store

XIAYANG, HUAXIN = "310118001", "310118107"
INSIDE = (121.124, 31.150)  # near the district seat, WGS-84
OUTSIDE = (121.47, 31.23)  # central Shanghai (黄浦), not Qingpu
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "imports"


def _seed(store: Store) -> None:
    store.seed([
        site_record("E.12-1"),
        site_record("E.12-2", town_code=HUAXIN),
        site_record("E.12-3", lon=121.13, lat=31.16, precision="exact"),
    ])


def _csv(rows: list[dict], encoding: str = "utf-8") -> bytes:
    return pd.DataFrame(rows).to_csv(index=False).encode(encoding)


def _export_csv(store: Store, datum: str = "wgs84") -> bytes:
    return tabular.to_csv_bytes("sites", layers.sites_layer(store.sites_frame(), datum))


def _sqlite_bytes(store: Store) -> bytes:
    path = Path(store.engine.url.database)
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


class Unchanged:
    """Asserts the database is the same afterwards: content hash, and on SQLite the file bytes."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __enter__(self) -> Unchanged:
        self.hash = self.store.content_hash()
        self.bytes = _sqlite_bytes(self.store) if self.store.engine.dialect.name == "sqlite" else None
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.store.content_hash() == self.hash
        if self.bytes is not None:
            assert _sqlite_bytes(self.store) == self.bytes


@pytest.mark.parametrize("datum", ["wgs84", "gcj02"])
def test_export_then_import_reports_no_changes(store, admin, datum):
    _seed(store)
    store.update_site(admin, "E.12-1", {"operating_capacity_value": 450, "operating_capacity_unit": "kg/d",
                                        "commissioned": "2024-05", "status": "operating"}, 1)
    report = bulk_import.plan_import(store, admin, _export_csv(store, datum), "sites.csv")
    assert report.errors == [] and report.rows == [] and report.rows_read == 3
    xlsx = excel.to_xlsx_bytes("sites", layers.sites_layer(store.sites_frame(), datum))
    report = bulk_import.plan_import(store, admin, xlsx, "sites.xlsx")
    assert report.errors == [] and report.rows == []
    # the workbook for people (Chinese headers, statuses as words) reads back through its header sheet
    for lang in ("zh", "en"):
        xlsx = excel.to_xlsx_bytes("sites", layers.sites_layer(store.sites_frame(), datum), lang)
        report = bulk_import.plan_import(store, admin, xlsx, "sites.xlsx")
        assert report.errors == [] and report.rows == [], (lang, report.errors)


def test_gbk_csv_with_chinese_labels_imports_and_is_audited_as_the_importer(store, official):
    _seed(store)
    data = _csv([
        {"site_id": "E.12-1", "status": "在建", "operating_capacity_value": "", "operating_capacity_unit": "",
         "lon": INSIDE[0], "lat": INSIDE[1], "datum": "wgs84", "note": "已开工，镇政府报送"},
    ], encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # really GBK
    report = bulk_import.plan_import(store, official, data, "更新.csv")
    assert report.errors == []
    assert [(d.field, d.new) for d in report.rows[0].diffs] == [
        ("status", "under_construction"), ("location", "121.124000, 31.150000 (wgs84)")]
    applied = bulk_import.apply_import(store, official, data, "更新.csv")
    assert applied.applied and applied.errors == []
    site = store.get_site("E.12-1")
    assert site["status"] == "under_construction" and site["version"] == 2
    assert (site["lon"], site["lat"], site["precision"]) == (INSIDE[0], INSIDE[1], "exact")
    history = store.history("E.12-1")
    assert {h["user_name"] for h in history} == {"xiayang"}
    assert {h["note"] for h in history} == {"已开工，镇政府报送"}
    # the same file again: nothing left to change (and the version column was absent)
    assert bulk_import.plan_import(store, official, data, "更新.csv").rows == []


def test_gcj02_coordinates_are_converted(store, admin):
    _seed(store)
    from wufei_geo import crs

    glon, glat = crs.from_wgs84(*INSIDE, "gcj02")
    data = _csv([{"site_id": "E.12-2", "lon": glon, "lat": glat, "datum": "gcj02"}])
    assert bulk_import.apply_import(store, admin, data, "x.csv").applied
    site = store.get_site("E.12-2")
    assert crs.distance_m(site["lon"], site["lat"], *INSIDE) < 1.0


BROKEN = {
    "wrong-columns": (_csv([{"编号": "E.12-1", "状态": "在建"}]), None, None, "site_id"),
    "no-editable-column": (_csv([{"site_id": "E.12-1", "name_zh": "x"}]), None, None, "status"),
    "bad-encoding": (b"site_id,status\nE.12-1,\xff\xfe\xff\n", None, None, "UTF-8"),
    "utf16": ("site_id,status\nE.12-1,在建\n".encode("utf-16"), None, None, "UTF-8"),
    "unknown-site": (_csv([{"site_id": "E.99-9", "status": "operating"}]), 2, "site_id", "E.99-9"),
    "negative-capacity": (_csv([{"site_id": "E.12-1", "operating_capacity_value": -5, "operating_capacity_unit": "t/d"}]),
                          2, "operating_capacity_value", "-5"),
    "unknown-unit": (_csv([{"site_id": "E.12-1", "operating_capacity_value": 5, "operating_capacity_unit": "bananas"}]),
                     2, "operating_capacity_unit", "bananas"),
    "unknown-status": (_csv([{"site_id": "E.12-1", "status": "finished"}]), 2, "status", "finished"),
    "outside-district": (_csv([{"site_id": "E.12-1", "lon": OUTSIDE[0], "lat": OUTSIDE[1], "datum": "wgs84"}]), 2, "lon", "outside"),
    "no-datum": (_csv([{"site_id": "E.12-1", "lon": INSIDE[0], "lat": INSIDE[1]}]), 2, "datum", "datum"),
    "future-date": (_csv([{"site_id": "E.12-1", "commissioned": "2999-01-01"}]), 2, "commissioned", "2999"),
    "note-required": (_csv([{"site_id": "E.12-1", "status": "cancelled"}]), 2, "note", "note"),
    "duplicate-row": (_csv([{"site_id": "E.12-1", "status": "operating"}, {"site_id": "E.12-1", "status": "planned"}]),
                      3, "site_id", "row 2"),
    "stale-version": (_csv([{"site_id": "E.12-1", "version": 7, "status": "operating"}]), 2, "version", "version 7"),
    "not-a-workbook": (b"PK\x03\x04 this is not really a zip", None, None, ""),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_file_gives_clear_message_and_changes_nothing(store, admin, name):
    _seed(store)
    data, row, column, needle = BROKEN[name]
    with Unchanged(store):
        dry = bulk_import.plan_import(store, admin, data, "update.csv", lang="en")
        applied = bulk_import.apply_import(store, admin, data, "update.csv", lang="en")
    for report in (dry, applied):
        assert not report.ok and not report.applied
        error = report.errors[0]
        assert (error.row, error.column) == (row, column), error
        assert needle in error.message, error.message


def test_one_bad_row_means_no_row_is_applied(store, official):
    """Row 2 is fine for the 夏阳 official; row 3 is another town's site: the store refuses, nothing saved."""
    _seed(store)
    data = _csv([{"site_id": "E.12-1", "status": "under_construction"}, {"site_id": "E.12-2", "status": "under_construction"}])
    with Unchanged(store):
        report = bulk_import.apply_import(store, official, data, "x.csv", lang="en")
    assert not report.applied
    assert [(e.row, e.column, e.site_id) for e in report.errors] == [(3, "site_id", "E.12-2")]
    assert "310118001" in report.errors[0].message  # the store says which town the official may edit


def test_not_logged_in_is_refused(store):
    _seed(store)
    with Unchanged(store):
        report = bulk_import.apply_import(store, None, _csv([{"site_id": "E.12-1", "status": "operating"}]), "x.csv")
    assert not report.applied and "未登录" in report.errors[0].message


def test_templates_have_the_editable_columns_and_round_trip(store, admin):
    _seed(store)
    empty = pd.read_csv(io.BytesIO(bulk_import.template_csv()), encoding="utf-8-sig")
    assert list(empty.columns) == list(bulk_import.TEMPLATE_COLUMNS)
    filled = bulk_import.template_csv(store.sites_frame())
    report = bulk_import.plan_import(store, admin, filled, "template.csv")
    assert report.ok and report.rows == [] and report.rows_read == 3
    wb = openpyxl.load_workbook(io.BytesIO(bulk_import.template_xlsx(store.sites_frame())))
    assert [c.value for c in wb["sites"][1]] == list(bulk_import.TEMPLATE_COLUMNS)
    assert "help" in wb.sheetnames


def test_shipped_gbk_fixture_reads(store, admin):
    """A file as a town office sends it: GBK, Chinese headers we ignore, our columns, a blank line."""
    _seed(store)
    data = (FIXTURES / "town_update_gbk.csv").read_bytes()
    report = bulk_import.plan_import(store, admin, data, "town_update_gbk.csv")
    assert report.errors == []
    assert [(r.site_id, [d.field for d in r.diffs]) for r in report.rows] == [
        ("E.12-1", ["status", "operating_capacity", "commissioned"]), ("E.12-2", ["status"])]


def test_cli_dry_run_then_apply(sqlite_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WUFEI_DB_URL", sqlite_url)
    store = Store.open(sqlite_url, seed=False, settings=Settings(db_url=sqlite_url))
    # ids outside the plan: the CLI's Store.open() also seeds the plan's own sites
    store.seed([site_record("X.1-1"), site_record("X.1-2", town_code=HUAXIN)])
    auth.create_user(store, "xiayang", "town_official", XIAYANG, TEST_PASSWORD)
    path = tmp_path / "u.csv"
    path.write_bytes(_csv([{"site_id": "X.1-1", "status": "under_construction"}]))
    monkeypatch.setattr(sys, "stdin", io.StringIO(TEST_PASSWORD + "\n"))
    assert main(["import-sites", str(path), "--user", "xiayang", "--password-stdin"]) == 0
    out = capsys.readouterr().out
    assert "X.1-1: status: planned → under_construction" in out and "dry run" in out
    assert store.get_site("X.1-1")["status"] == "planned"
    monkeypatch.setattr(sys, "stdin", io.StringIO(TEST_PASSWORD + "\n"))
    assert main(["import-sites", str(path), "--user", "xiayang", "--password-stdin", "--apply"]) == 0
    assert store.get_site("X.1-1")["status"] == "under_construction"
    path.write_bytes(_csv([{"site_id": "X.1-2", "status": "operating"}]))  # another town's site
    monkeypatch.setattr(sys, "stdin", io.StringIO(TEST_PASSWORD + "\n"))
    assert main(["import-sites", str(path), "--user", "xiayang", "--password-stdin", "--apply"]) == 1
    assert "nothing changed" in capsys.readouterr().err
    assert store.get_site("X.1-2")["status"] == "planned"
    store.close()


def _zones_zip_without_shp() -> bytes:
    buf = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("towns.dbf", b"not a shapefile")
        zf.writestr("towns.prj", b'GEOGCS["WGS 84"]')
    return buf.getvalue()


def _projected_geojson_without_crs() -> bytes:
    import json

    from wufei_geo import geodata

    doc = json.loads(geodata.load_default_zones().to_crs("EPSG:4549")[["town_code", "geometry"]].to_json())
    doc.pop("crs", None)
    return json.dumps(doc).encode("utf-8")


@pytest.mark.parametrize(
    "name, data, needle",
    [
        ("towns.zip", _zones_zip_without_shp(), ".shp"),
        ("towns.geojson", _projected_geojson_without_crs(), "projected metres"),
    ],
    ids=["zip-without-shp", "geojson-projected-no-crs"],
)
def test_broken_boundary_upload_is_refused_and_changes_nothing(store, name, data, needle):
    from wufei_geo.boundaries import BoundaryImportError

    _seed(store)
    with Unchanged(store):
        with pytest.raises(BoundaryImportError) as info:
            geofiles.read_boundary_upload(data, name)
    assert needle in str(info.value)


@pytest.mark.parametrize("lang, needle", [("en", "more than once in the file: status"), ("zh", "不止一次：status")])
def test_a_column_given_twice_is_refused_not_guessed(store, admin, lang, needle):
    """Two "status" columns that disagree (a copied column, a header typed twice): the import does not
    pick one; it names the column and changes nothing.  A repeated column it does not read is harmless."""
    _seed(store)
    twice = b"site_id,status,status\nE.12-1,operating,planned\n"
    with Unchanged(store):
        report = bulk_import.apply_import(store, admin, twice, "update.csv", lang=lang)
    assert not report.ok and not report.applied
    assert needle in report.errors[0].message, report.errors[0].message
    harmless = b"site_id,status,remark,remark\nE.12-1,under_construction,a,b\n"
    assert bulk_import.plan_import(store, admin, harmless, "update.csv", lang="en").ok
