"""The inbox: what waits for each user (the core's list), the CLI's `inbox`, and the app's list at
the top of every page with a button that opens the form."""
from __future__ import annotations

import io
import json
import sys

import pytest

from tests.apptest_helpers import PAGES, TOWN, app_store, log_in, open_page
from wufei_geo import auth, cli, inbox

ZHAOXIANG_SITE = "E.12-1"  # 中步村, 5 t/d by design


@pytest.fixture
def store(tmp_path, monkeypatch):
    s = app_store(tmp_path, monkeypatch)
    yield s
    s.close()


def _actor(store, name):
    return auth.authenticate(store, name, "correct horse battery")


def _insist(store):
    """The 赵巷 official insists on an implausible capacity (50 t/d at a 5 t/d site): 待核实."""
    official = _actor(store, "zhaoxiang")
    site = store.get_site(ZHAOXIANG_SITE)
    after = store.update_site(official, ZHAOXIANG_SITE, {"status": "operating", "operating_capacity_value": "50",
                                                         "operating_capacity_unit": "t/d"},
                              site["version"], "新设备已扩容 <b>", insist=True)
    return after["proposal"]["id"]


def test_planner_and_official_see_what_waits_for_them(store):
    planner = _actor(store, "planner1")
    before = inbox.inbox(store, planner)
    kinds = {i.kind for i in before}
    # the 国清 plant's existing capacity (keeps 今日运行 unknown), the markets' design capacities,
    # undated sites (one counted item: filled in bulk), stale statuses
    assert {"missing_baseline", "missing_design", "undated_sites", "stale_statuses"} <= kinds
    assert next(i for i in before if i.kind == "missing_baseline").site_id == "E.11-1"
    assert "proposal_pending" not in kinds
    pid = _insist(store)
    items = inbox.inbox(store, planner)
    pending = [i for i in items if i.kind == "proposal_pending"]
    assert [(i.proposal_id, i.site_id, i.form, i.note) for i in pending] == [(pid, ZHAOXIANG_SITE, "proposal",
                                                                              "新设备已扩容 <b>")]
    assert inbox.headline(items, "zh").startswith("1 条待核实")
    official = _actor(store, "zhaoxiang")
    mine = inbox.inbox(store, official)
    assert [i.kind for i in mine if i.proposal_id] == ["proposal_waiting"]
    assert all(i.site_id is None or store.get_site(i.site_id)["town_code"] == TOWN for i in mine)
    store.reject_proposal(planner, pid, "设计能力仅 5 吨/日，请核对铭牌")
    mine = inbox.inbox(store, official)
    rejected = [i for i in mine if i.kind == "proposal_rejected"]
    assert rejected and rejected[0].note == "设计能力仅 5 吨/日，请核对铭牌"  # the planner's note, whole
    assert "proposal_pending" not in {i.kind for i in inbox.inbox(store, planner)}


def test_the_open_round_in_both_inboxes(store):
    planner = _actor(store, "planner1")
    rnd = store.open_round(planner, "2026 冬季核实")
    item = next(i for i in inbox.inbox(store, planner) if i.kind == "round_progress")
    assert item.params["answered"] == 0 and item.params["total"] == len(store.round_sites(rnd["id"]))
    official = _actor(store, "zhaoxiang")
    todo = next(i for i in inbox.inbox(store, official) if i.kind == "round_todo")
    assert todo.count == len(store.round_sites(rnd["id"], TOWN))


def test_another_source_is_one_provider(store, monkeypatch):
    monkeypatch.setattr(inbox, "PROVIDERS", list(inbox.PROVIDERS))
    inbox.register(lambda _store, actor, _ctx: [inbox.InboxItem("register_value", site_id=None, form="bulk")]
                   if actor.role == "planner" else [])
    assert "register_value" in {i.kind for i in inbox.inbox(store, _actor(store, "planner1"))}


def test_cli_inbox_json(store, monkeypatch, capsys):
    _insist(store)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert cli.main(["inbox", "--user", "planner1", "--json", "--lang", "en"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["role"] == "planner" and out["total"] >= 1
    first = out["items"][0]
    assert first["kind"] == "proposal_pending" and first["text"].startswith("待核实 #")
    assert cli.main(["inbox", "--user", "zhaoxiang"]) == 0
    assert "等待规划人员核实" in capsys.readouterr().out
    assert cli.main(["inbox", "--user", "nobody"]) == 1


def test_the_inbox_is_on_top_of_every_page_and_opens_the_form(store):
    pid = _insist(store)
    at = log_in(open_page(PAGES["update"]), "planner1")
    at.switch_page(PAGES["map"]).run()
    assert not at.exception, at.exception
    top = at.warning[0].value
    assert "1 条待核实" in top
    at.button(key="inbox_open_0").click().run()  # the 待核实 item: the first one
    assert not at.exception, at.exception
    assert at.session_state["proposal_pick"] == pid and at.selectbox(key="proposal_pick").value == pid
    # the 更新 page's title in the navigation carries the count (checked through the page's own list)
    assert inbox.total(inbox.inbox(store, _actor(store, "planner1"))) >= 1


def test_place_claims_and_register_values_wait_in_the_inbox(store):
    from wufei_geo.places.store import place_book
    from wufei_geo.register import reporting

    planner = _actor(store, "planner1")
    official = _actor(store, "zhaoxiang")
    place_book(store).add(official, {"place_id": "ZX-B1", "name_zh": "赵巷零浪费街区", "place_type": "zero_waste_block",
                                     "town_code": TOWN, "status": "built", "status_source": "镇验收"})
    claims = [i for i in inbox.inbox(store, planner) if i.kind == "place_claims"]
    assert [(i.count, i.form) for i in claims] == [(1, "places")]
    assert not [i for i in inbox.inbox(store, official) if i.kind == "place_claims"]

    auth.create_user(store, "lvhua", "department", None, "correct horse battery", department="区绿化市容局")
    dept = _actor(store, "lvhua")
    store.open_round(planner, "全区确认")
    owed = [i for i in inbox.inbox(store, dept) if i.kind == "register_owed"]
    assert len(owed) == 1 and owed[0].form == "indicators" and "26" in owed[0].params["ids"].split("、")
    before = owed[0].count
    reporting.report_value(store, dept, "26", 2025, 40, "年报")
    after = [i for i in inbox.inbox(store, dept) if i.kind == "register_owed"]
    assert after[0].count == before - 1 and "26" not in after[0].params["ids"].split("、")
    # a department account has no sites: the open round asks nothing of it
    assert not [i for i in inbox.inbox(store, dept) if i.kind in ("round_todo", "undated_site")]
    assert inbox.item_text(after[0], "en").startswith(f"{after[0].count} indicator(s) of your department")
