"""The 指标 page (AppTest): the summary lines in both languages, the filters, one entry's detail,
and entering a value as a department account — refused for another department's indicator."""
from __future__ import annotations

from tests.apptest_helpers import PASSWORD, app_store, log_in, open_page, texts
from wufei_geo import auth
from wufei_geo.register import reporting

PAGE = "app_pages/pages/indicators.py"
LVHUA = "区绿化市容局"


def _store(tmp_path, monkeypatch):
    store = app_store(tmp_path, monkeypatch)
    auth.create_user(store, "lvhua", "department", None, PASSWORD, department=LVHUA)
    return store


def test_summary_lines_and_filters_in_chinese(tmp_path, monkeypatch):
    _store(tmp_path, monkeypatch)
    at = open_page(PAGE)
    body = texts(at.markdown)
    assert "62 项指标：已达标 0，未达标 1，未测量 44，待判断 17" in body
    assert "40 项设施目标：" in body
    at.selectbox(key="reg_status").set_value("judgement").run()
    assert not at.exception
    assert "显示 17 项" in texts(at.caption)
    at.selectbox(key="reg_entry").set_value("35").run()
    assert "制定（需规划人员判断）" in texts(at.markdown)


def test_summary_in_english_and_a_reading_shown(tmp_path, monkeypatch):
    _store(tmp_path, monkeypatch)
    at = open_page(PAGE, lang="en")
    body = texts(at.markdown)
    assert "62 indicators: met 0, not met 1, not measured 44, needs judgement 17" in body
    assert "40 facility targets:" in body
    at.selectbox(key="reg_entry").set_value("23").run()
    assert "5608" in texts(at.info) and "reduction" in texts(at.info)


def test_department_reports_its_own_indicator_and_is_refused_another(tmp_path, monkeypatch):
    store = _store(tmp_path, monkeypatch)
    at = open_page(PAGE)
    log_in(at, "lvhua")
    at.selectbox(key="reg_entry").set_value("27").run()
    at.text_input(key="reg_value_27_v").input("210")
    at.text_input(key="reg_source_27").input("区绿化市容局 2025 年报")
    [submit] = [b for b in at.button if b.label == "提交"]
    submit.click().run()
    assert not at.exception
    assert [(v["entry_id"], v["value"], v["entered_by"]) for v in reporting.values(store)] == [("27", 210, "lvhua")]
    assert "62 项指标：已达标 1" in texts(at.markdown)
    at.selectbox(key="reg_entry").set_value("17").run()
    at.text_input(key="reg_value_17_v").input("96")
    at.text_input(key="reg_source_17").input("年报")
    [submit] = [b for b in at.button if b.label == "提交"]
    submit.click().run()
    assert not at.exception
    assert "不能填报指标 17" in texts(at.error)
    assert [v["entry_id"] for v in reporting.values(store, status=None)] == ["27"]
    # the bulk section offers the department's own workbook
    assert at.selectbox(key=f"reg_bulk_department_{LVHUA}").value == LVHUA


def test_update_page_edits_the_site_attributes_the_indicators_read(tmp_path, monkeypatch):
    from tests.apptest_helpers import UPDATE_PAGE

    store = _store(tmp_path, monkeypatch)
    at = log_in(open_page(UPDATE_PAGE), "planner1")
    at.selectbox(key="update_pick").set_value("E.1-1").run()
    assert not at.exception
    site = store.get_site("E.1-1")
    k = f"E.1-1_{site['version']}"
    at.radio(key=f"upd_attr_mon_{k}").set_value("yes")
    at.radio(key=f"upd_attr_ins_{k}").set_value("no")
    at.text_input(key=f"upd_attr_inv_{k}").input("250000000")
    at.button(key=f"upd_attr_save_{k}").click().run()
    assert not at.exception
    site = store.get_site("E.1-1")
    assert (site["online_monitoring"], site["pollution_insurance"], site["investment_yuan"]) == ("yes", "no", 2.5e8)
    # not a hazardous-waste site: no insurance question
    at.selectbox(key="update_pick").set_value("E.8-1").run()
    k8 = f"E.8-1_{store.get_site('E.8-1')['version']}"
    assert f"upd_attr_mon_{k8}" in [r.key for r in at.radio]
    assert f"upd_attr_ins_{k8}" not in [r.key for r in at.radio]
