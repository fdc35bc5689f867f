"""Findings of a walkthrough of the running app as its three users, each pinned by a test:
raw codes and English leftovers in the Chinese UI, misleading delta arrows, None shown to users."""
from __future__ import annotations

import pytest

from tests.apptest_helpers import PAGES, TOWN, app_store, form_key, log_in, open_page
from wufei_geo import i18n
from wufei_geo.store import Store


@pytest.fixture()
def store(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Store:
    s = app_store(tmp_path, monkeypatch, users=[("zhaoxiang", "town_official", TOWN)], name="qa.sqlite")
    yield s
    s.close()


def test_audit_values_are_labels_not_codes() -> None:
    assert i18n.audit_field_label("operating_capacity_unit", "zh") == "单位"
    assert i18n.audit_value_label("operating_capacity_unit", "t/d", "zh") == "吨/日"
    assert i18n.audit_value_label("status", "under_construction", "zh") == "在建"
    assert i18n.audit_value_label("precision", "exact", "en") == i18n.precision_label("exact", "en")
    assert i18n.audit_value_label("location_source", "official", "zh") == "街镇/管理人员录入"
    assert i18n.audit_value_label("status_source", "official: 张三", "zh") == "街镇/管理人员录入: 张三"
    assert i18n.audit_value_label("lat", None, "zh") == ""
    assert i18n.audit_value_label("commissioned", "2023-05", "zh") == "2023-05"
    change = {"at_local": "2026-01-02 09:00", "user_name": "zx", "field": "status",
              "old_value": "planned", "new_value": "operating"}
    assert i18n.last_change_label(change, "zh") == "2026-01-02 09:00 · zx · 状态: 规划中 → 已运行"
    assert i18n.last_change_label(change, "en") == "2026-01-02 09:00 · zx · Status: Planned → Operating"
    assert i18n.last_change_label(None, "zh") == ""


# --- 更新: an official's edit, read back in Chinese ---------------------------------------------

def test_update_page_shows_history_and_last_change_in_chinese(store: Store) -> None:
    at = log_in(open_page(PAGES["update"]), "zhaoxiang")
    site_id = at.selectbox(key="update_pick").value
    at.selectbox(key=form_key(at, "upd_status_")).set_value("under_construction")
    at.text_input(key=form_key(at, "upd_cap_")).input("4.5")
    at.selectbox(key=form_key(at, "upd_unit_")).set_value("t/d")
    at.text_area(key=form_key(at, "upd_note_")).input("开工")
    at.button(key=form_key(at, "upd_save_")).click().run()
    assert not at.exception, at.exception
    frame = store.sites_frame()
    assert frame.loc[frame["site_id"] == site_id, "status"].iloc[0] == "under_construction"

    listing = at.dataframe[0].value
    last = listing.loc[listing["站点编号"] == site_id, "最近修改"].iloc[0]
    assert "状态: 规划中 → 在建" in last
    assert "status" not in last and "planned" not in last

    history = at.dataframe[1].value
    by_field = dict(zip(history["字段"], history["新值"], strict=False))
    assert by_field["单位"] == "吨/日"  # not the raw code t/d
    assert by_field["状态"] == "在建"
    assert "operating_capacity_unit" not in set(history["字段"])

    current = at.table[0].value
    assert str(current.loc["状态来源", "当前值"]).replace("\\", "") == "街镇/管理人员录入: zhaoxiang"


# --- 湿垃圾能力: shares and the target year are not "changes" --------------------------------

def test_capacity_metrics_carry_no_delta_arrows(store: Store) -> None:
    at = open_page(PAGES["capacity"])
    metrics = {m.label: m for m in at.metric}
    assert metrics["目标值"].delta == "2025"
    for metric in at.metric:
        # an arrow beside "2025" or a share reads as a rise since last time
        assert metric.proto.direction == metric.proto.NONE, metric.label


# --- 街镇: no None where a figure is not tracked, no English-only label -------------------------

def test_towns_page_counts_c2_blocks_and_shows_a_chinese_source_label(store: Store) -> None:
    at = open_page(PAGES["towns"])  # the first town: 夏阳街道; C.2 is counted from places (issue 24)
    targets = at.dataframe[1].value
    blocks = targets[targets["内容"].str.contains("零浪费”街区")]  # C.2, named by its words (no raw target id)
    assert len(blocks) == 1
    assert set(blocks["已达成"]) == {"0 个街区"} and set(blocks["状态"]) == {"未启动"}
    captions = [c.value for c in at.caption]
    assert any(c.startswith("人口口径（数据来源原文）：") for c in captions), captions
    overview = at.dataframe[0].value
    no_population = overview[overview["人口"].isna()]
    assert len(no_population) and set(no_population["人口口径"]) == {"未知"}
