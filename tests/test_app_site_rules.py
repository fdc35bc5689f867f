"""AppTest of the 更新 page's plausibility rules and the 待核实 flow (issue 11, validation).

An official's implausible edit is refused with the rule and the design capacity, may be insisted on
with a note (then it is a 待核实 proposal: the site and every total unchanged), and a planner
confirms or rejects it on the same page.  Assertions read the database and the analysis core.
"""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest_helpers import PASSWORD, UPDATE_PAGE, app_store, form_key, log_in, open_page, texts
from wufei_geo import analysis, auth, facilities
from wufei_geo.store import Store

SITE = "E.12-1"  # 赵巷镇's 5 t/d village wet-waste site in the plan


@pytest.fixture()
def store(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Store:
    s = app_store(tmp_path, monkeypatch)
    yield s
    s.close()


def _open(name: str) -> AppTest:
    return log_in(open_page(UPDATE_PAGE), name)


def _pick(at: AppTest, site_id: str) -> None:
    at.selectbox(key="update_pick").set_value(site_id)
    at.run()
    assert at.session_state["update_site_id"] == site_id


def _save(at: AppTest) -> None:
    at.button(key=form_key(at, "upd_save_")).click()
    at.run()
    assert not at.exception, at.exception


def _capacity(at: AppTest, value: str, unit: str) -> None:
    at.text_input(key=form_key(at, "upd_cap_")).input(value)
    at.selectbox(key=form_key(at, "upd_unit_")).set_value(unit)
    at.run()


def _wet(store: Store) -> tuple[float, float]:
    """(operating, registered) district wet-waste capacity from the analysis core: the known part of
    what operates (E.11's existing capacity is unknown, so the headline itself is "unknown") and
    the registered total."""
    wet = analysis.wet_waste_progress(analysis.capacity_report(store.sites_frame(), facilities.load_targets()))
    return float(wet.by_status.get("operating") or 0.0), wet.registered


def test_official_insists_planner_confirms_totals_follow(store: Store) -> None:
    at = _open("zhaoxiang")
    _pick(at, SITE)
    before_site, before_totals = store.get_site(SITE), _wet(store)

    at.selectbox(key=form_key(at, "upd_status_")).set_value("operating")
    _capacity(at, "5000", "t/d")
    assert not [c for c in at.checkbox if str(c.key).startswith("upd_insist_")]  # no insisting before a refusal
    _save(at)
    errors = texts(at.error)
    # worded, never by its rule id
    assert "capacity_above_design" not in errors and "超过设计能力 5 吨/日" in errors and "设计能力：5 吨/日" in errors
    assert store.get_site(SITE)["version"] == before_site["version"] and store.proposals() == []

    # the refusal offers to insist; insisting needs a note
    (insist,) = [c for c in at.checkbox if str(c.key).startswith("upd_insist_")]
    insist.check()
    at.selectbox(key=form_key(at, "upd_status_")).set_value("operating")
    _capacity(at, "5000", "t/d")
    _save(at)
    assert "note_required_to_insist" in texts(at.error) or "坚持提交须填写说明" in texts(at.error)
    at.text_area(key=form_key(at, "upd_note_")).input("扩建后镇里报 5000")
    at.run()
    _save(at)
    assert "待核实" in texts(at.success)
    assert at.text_area(key=form_key(at, "upd_note_")).value == ""  # the form is emptied
    (proposal,) = store.proposals()
    assert proposal["proposed_by"] == "zhaoxiang" and proposal["rule_keys"] == ["capacity_above_design", "headline_share"]
    assert store.get_site(SITE)["version"] == before_site["version"]  # the site: untouched
    assert _wet(store) == before_totals  # every total: untouched
    assert "待核实" in texts(at.warning)  # the site shows it
    assert any(d.value.shape[1] == 7 and proposal["id"] in d.value.iloc[:, 0].tolist() for d in at.dataframe)
    assert not [b for b in at.button if b.key == "proposal_confirm"]  # officials cannot decide

    # the planner sees it, confirms it, and the totals change
    pt = _open("planner1")
    assert any(d.value.shape[1] == 7 and proposal["id"] in d.value.iloc[:, 0].tolist() for d in pt.dataframe)
    pt.selectbox(key="proposal_pick").set_value(proposal["id"])
    pt.text_input(key="proposal_note").input("电话核实：确为 5000")
    pt.run()
    pt.button(key="proposal_confirm").click()
    pt.run()
    assert not pt.exception, pt.exception
    assert f"#{proposal['id']}" in texts(pt.success)
    after = store.get_site(SITE)
    assert (after["status"], after["operating_capacity_norm"]) == ("operating", 5000.0)
    assert _wet(store)[0] == before_totals[0] + 5000.0
    assert store.proposals() == [] and store.proposals(status="confirmed")[0]["decided_by"] == "planner1"


def test_each_rule_is_refused_through_the_form(store: Store) -> None:
    planner = auth.authenticate(store, "planner1", PASSWORD)
    store.update_site(planner, "E.13-2", {"operating_capacity_value": 2, "operating_capacity_unit": "t/d"},
                      store.get_site("E.13-2")["version"])
    at = _open("zhaoxiang")
    _pick(at, SITE)
    version = store.get_site(SITE)["version"]

    _capacity(at, "5", "MW")  # a unit of the wrong kind for wet waste
    _save(at)
    assert "单位 兆瓦 与该站点类别不符（应为 吨/日）" in texts(at.error)
    assert not [c for c in at.checkbox if str(c.key).startswith("upd_insist_")]  # nobody can insist on that
    _capacity(at, "", "t/d")

    for date, needle in (("2099-01", "晚于今天"), ("2020-06", "早于规划建设期起点 2021-01-01")):
        at.text_input(key=form_key(at, "upd_comm_")).input(date)
        at.run()
        _save(at)
        assert needle in texts(at.error), date
    at.text_input(key=form_key(at, "upd_comm_")).input("")
    at.run()

    at.radio(key=form_key(at, "upd_locmode_")).set_value("typed")
    at.run()
    at.text_input(key=form_key(at, "upd_lon_")).input("121.27122")  # 徐泾镇
    at.text_input(key=form_key(at, "upd_lat_")).input("31.17612")
    at.run()
    _save(at)
    assert "outside_own_zone" not in texts(at.error) and "不在本街镇" in texts(at.error)
    assert store.get_site(SITE)["version"] == version and store.proposals() == []

    _pick(at, "E.13-2")  # design unknown, operating 2 t/d
    _capacity(at, "25", "t/d")
    _save(at)
    errors = texts(at.error)
    assert "capacity_jump" not in errors and "相差超过 10 倍" in errors and "设计能力：未知" in errors
    assert store.get_site("E.13-2")["operating_capacity_norm"] == 2.0


def test_planner_rejects_and_sets_a_design_capacity(store: Store) -> None:
    official = auth.authenticate(store, "zhaoxiang", PASSWORD)
    site = store.get_site(SITE)
    proposal = store.update_site(official, SITE, {"operating_capacity_value": 50, "operating_capacity_unit": "t/d"},
                                 site["version"], "insist", insist=True)["proposal"]
    pt = _open("planner1")
    pt.selectbox(key="proposal_pick").set_value(proposal["id"])
    pt.button(key="proposal_reject").click()
    pt.run()
    assert "驳回须填写说明" in texts(pt.error) and store.proposals()[0]["status"] == "pending"
    pt.text_input(key="proposal_note").input("50 是笔误")
    pt.run()
    pt.button(key="proposal_reject").click()
    pt.run()
    assert store.proposals(status="rejected")[0]["decision_note"] == "50 是笔误"
    assert store.get_site(SITE)["operating_capacity_norm"] is None

    _pick(pt, SITE)
    pt.text_input(key=form_key(pt, "upd_designval_")).input("8")
    pt.selectbox(key=form_key(pt, "upd_design_unit_")).set_value("t/d")
    pt.text_input(key=form_key(pt, "upd_design_note_")).input("镇政府 2026 年台账")
    pt.run()
    pt.button(key=form_key(pt, "upd_design_save_")).click()
    pt.run()
    assert not pt.exception, pt.exception
    assert store.get_site(SITE)["capacity_norm"] == 8.0
    assert store.history(site_id=SITE)[0]["action"] == "set_design_capacity"


def test_market_site_typo_is_worded_with_the_plans_bound_and_the_headline(tmp_path, monkeypatch) -> None:
    """E.13-5 (徐泾菜市场, no design capacity, no previous value) at 5000 t/d by its official: the page
    names the plan's largest on-site facility (80 t/d, 附表3 E.12) and the headline move, in Chinese."""
    store = app_store(tmp_path, monkeypatch, users=(("xujing", "town_official", "310118106"),))
    try:
        at = _open("xujing")
        _pick(at, "E.13-5")
        before_site, before_totals = store.get_site("E.13-5"), _wet(store)
        at.selectbox(key=form_key(at, "upd_status_")).set_value("operating")
        _capacity(at, "5000", "t/d")
        _save(at)
        errors = texts(at.error)
        assert "规划中同类最大设施的 80 吨/日（E.12-2，附表3 E.12）" in errors, errors
        assert "全区今日运行能力" in errors and "须规划人员确认" in errors, errors
        assert store.get_site("E.13-5")["version"] == before_site["version"] and _wet(store) == before_totals
    finally:
        store.close()
