"""AppTest of the 数据 page: filtered exports, bulk update (dry run → confirm), boundaries and backup for admins."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest_helpers import PAGES, PASSWORD, app_store, log_in, open_page
from wufei_geo import auth, geodata
from wufei_geo.store import Store

PAGE = PAGES["data"]


@pytest.fixture()
def store(tmp_path, monkeypatch):
    s = app_store(tmp_path, monkeypatch, users=[("admin", "admin", None)], name="app.sqlite")
    yield s
    s.close()


def _data(store: Store) -> tuple:
    """Sites, audit and zones (sessions change on every page view: their idle timer)."""
    return (store.sites_frame(include_retired=True).to_json(), json.dumps(store.history(), default=str), store.zones() is None)


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.error] + [s.value for s in at.success] + [i.value for i in at.info]
    return "\n".join(str(p) for p in parts)


def test_exports_follow_the_map_filters(store):
    sites = store.sites_frame()
    total, wet = len(sites), int((sites["category"] == "wet_waste").sum())
    assert 0 < wet < total
    at = open_page(PAGE, "zh")
    assert f"导出与地图相同筛选条件下的 {total} / {total} 个站点。" in _texts(at)
    labels = [b.label for b in at.get("download_button")]
    for label in ("下载 CSV", "下载 Excel", "下载 GeoJSON", "下载 GeoPackage（站点、街镇、区界）", "下载模板（CSV）"):
        assert label in labels
    at.multiselect(key="flt_category").set_value(["wet_waste"]).run()
    assert f"导出与地图相同筛选条件下的 {wet} / {total} 个站点。" in _texts(at)
    # anonymous: templates yes, upload and admin sections no
    assert not [u for u in at.get("file_uploader")]
    assert "备份与恢复（管理员）" not in [s.value for s in at.subheader]


def test_official_bulk_update_dry_run_then_confirm(store):
    sites = store.sites_frame()
    site = sites[sites["town_code"].notna() & (sites["status"] == "planned")].iloc[0]
    town = site["town_code"]
    other = sites[sites["town_code"].notna() & (sites["town_code"] != town)].iloc[0]
    auth.create_user(store, "official", "town_official", town, PASSWORD)
    at = log_in(open_page(PAGE, "zh"), "official")
    uploader = at.get("file_uploader")[0]

    # another town's site: refused in the dry run, nothing changes
    before = _data(store)
    bad = pd.DataFrame([{"site_id": other["site_id"], "status": "under_construction"}]).to_csv(index=False).encode("gbk")
    uploader.set_value(("bad.csv", bad, "text/csv"))
    at.run()
    assert not at.exception
    assert any("1 处错误" in e.value for e in at.error)
    assert not [b for b in at.button if b.key == "data_apply"]
    assert _data(store) == before
    problems = at.dataframe[-1].value  # in the UI language: no "row"/"message" headers
    assert list(problems.columns) == ["行", "列", "站点", "问题"] and problems.iloc[0]["行"] == "2", problems

    good = pd.DataFrame([{"site_id": site["site_id"], "status": "在建"}]).to_csv(index=False).encode("gbk")
    at.get("file_uploader")[0].set_value(("good.csv", good, "text/csv"))
    at.run()
    assert any("共 1 项修改" in s.value for s in at.success)
    # the dry run's changes as the history writes them: Chinese headers, field and status labels
    changes = at.dataframe[-1].value
    assert list(changes.columns) == ["行", "站点", "字段", "原值", "新值", "说明"], changes
    assert changes.iloc[0][["字段", "原值", "新值", "说明"]].tolist() == ["状态", "规划中", "在建", "无"], changes
    assert at.dataframe[-1].proto.placeholder == "未知"
    assert store.get_site(site["site_id"])["status"] == "planned"  # the dry run wrote nothing
    at.button(key="data_apply").click().run()
    assert not at.exception, at.exception
    assert any("已保存" in s.value for s in at.success)
    assert store.get_site(site["site_id"])["status"] == "under_construction"
    assert store.history(site["site_id"])[0]["user_name"] == "official"
    # officials see no admin sections
    assert "官方街镇边界（管理员）" not in [s.value for s in at.subheader]


def _projected_geojson_without_crs() -> bytes:
    zones = geodata.load_default_zones().to_crs("EPSG:4549")
    doc = json.loads(zones[["town_code", "name_zh", "geometry"]].to_json())
    doc.pop("crs", None)
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def test_admin_boundaries_refused_then_accepted_and_backup(store):
    at = log_in(open_page(PAGE, "zh"), "admin")
    subheaders = [s.value for s in at.subheader]
    assert "官方街镇边界（管理员）" in subheaders and "备份与恢复（管理员）" in subheaders

    before = _data(store)
    boundary = at.file_uploader(key="data_boundary_upload")
    boundary.set_value(("towns.geojson", _projected_geojson_without_crs(), "application/geo+json"))
    at.run()
    assert not at.exception, at.exception
    assert any("未通过检查" in e.value for e in at.error)
    assert any("投影坐标" in c.value for c in at.code)  # the file's problem, in the reader's language
    assert not any("projected metres" in c.value for c in at.code)
    assert _data(store) == before

    official = geodata.load_default_zones()[["town_code", "name_zh", "geometry"]]
    at.file_uploader(key="data_boundary_upload").set_value(
        ("official.geojson", official.to_json().encode("utf-8"), "application/geo+json"))
    at.run()
    assert not at.exception, at.exception
    assert any("已匹配 11 个街镇" in s.value for s in at.success)
    at.button(key="data_boundary_confirm").click().run()
    assert not at.exception, at.exception
    zones = store.zones()
    assert zones is not None and len(zones) == 11 and set(zones["boundary_quality"]) == {"official"}

    at.button(key="data_backup_make").click().run()
    assert not at.exception, at.exception
    assert "下载备份文件" in [b.label for b in at.get("download_button")]
    at.file_uploader(key="data_restore_upload").set_value(("not-a-backup.zip", b"hello", "application/zip"))
    at.run()
    assert any("zip" in e.value for e in at.error)
    assert store.zones() is not None


def test_page_runs_in_english(store):
    at = open_page(PAGE, "en")
    assert any("sites that pass the map's filters" in m.value for m in at.markdown)
