"""Every check-then-write flow with parallel writers, on SQLite and PostgreSQL (READ COMMITTED):
the outcome is one of the serial outcomes, and an audit row exists exactly for each change that
happened (``wufei_geo.store.atomic``)."""
# race() runs its calls to the end before the loop moves on: a loop variable a lambda reads is the current one
# ruff: noqa: B023
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tests.racing import race
from wufei_geo import db
from wufei_geo.errors import StaleVersion, ValidationError, WufeiError

REPEATS = 6  # each race is run this many times: a window of a few milliseconds is not hit every time


def ok(results: list[Any]) -> list[Any]:
    return [r for r in results if not isinstance(r, WufeiError)]


def audit_rows(store, action: str, site_id: str | None = None) -> list[dict[str, Any]]:
    a = db.audit
    q = sa.select(a).where(a.c.action == action).order_by(a.c.id)
    if site_id is not None:
        q = q.where(a.c.site_id == site_id)
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def test_a_proposal_confirmed_and_rejected_at_once_is_decided_once(store, make_user, official, site_record):
    first, second = make_user("planner", name="planner-a"), make_user("planner", name="planner-b")
    store.seed([site_record(f"Q.{i}") for i in range(REPEATS)])
    for i in range(REPEATS):
        sid = f"Q.{i}"
        site = store.update_site(official, sid, {"operating_capacity_value": 40, "operating_capacity_unit": "t/d"},
                                 1, note="the new line runs", insist=True)
        pid = site["proposal"]["id"]
        confirm, reject = (first, second) if i % 2 else (second, first)
        results = race(lambda: store.confirm_proposal(confirm, pid),
                       lambda: store.reject_proposal(reject, pid, "not what we saw"))
        assert len(ok(results)) == 1, results
        loser = next(r for r in results if isinstance(r, WufeiError))
        assert isinstance(loser, ValidationError) and loser.rule == "proposal_decided", loser
        status = store.proposals(status=None, site_id=sid)[0]["status"]
        stored = store.get_site(sid)
        if status == "confirmed":
            assert stored["operating_capacity_norm"] == 40.0 and stored["version"] == 2
            assert len(audit_rows(store, "confirm_proposal", sid)) > 0
            assert audit_rows(store, "reject_proposal", sid) == []
        else:
            assert status == "rejected"
            assert stored["operating_capacity_norm"] is None and stored["version"] == 1
            assert audit_rows(store, "confirm_proposal", sid) == []
            assert len(audit_rows(store, "reject_proposal", sid)) == 1


def test_two_officials_insisting_at_once_make_one_proposal(store, make_user, site_record):
    officials = [make_user("town_official", town_code="310118001", name=f"xiayang-{k}") for k in range(3)]
    store.seed([site_record(f"R.{i}") for i in range(REPEATS)])
    for i in range(REPEATS):
        sid = f"R.{i}"
        results = race(*[
            (lambda o=o, k=k: store.update_site(o, sid, {"operating_capacity_value": 30 + k, "operating_capacity_unit": "t/d"},
                                                1, note="measured", insist=True))
            for k, o in enumerate(officials)])
        assert len(ok(results)) == 1, results
        assert len(store.proposals(site_id=sid)) == 1
        assert len({r["site_version"] for r in audit_rows(store, "propose", sid)}) == 1


def test_design_capacity_set_during_an_edit_reports_only_what_happened(store, planner, make_user, site_record):
    editor = make_user("planner", name="editor")
    store.seed([site_record(f"D.{i}") for i in range(REPEATS)])
    for i in range(REPEATS):
        sid = f"D.{i}"
        results = race(
            lambda: store.set_design_capacity(planner, sid, 2 + i, "t/d", "批复文件", expected_version=1),
            lambda: store.update_site(editor, sid, {"commissioned": "2023-05-01"}, 1),
        )
        done = ok(results)
        assert len(done) == 1, results  # both started from version 1: one of them is stale
        assert all(isinstance(r, StaleVersion) for r in results if isinstance(r, WufeiError))
        stored = store.get_site(sid)
        assert stored["version"] == 2
        design_rows = audit_rows(store, "set_design_capacity", sid)
        edit_rows = audit_rows(store, "update", sid)
        if stored["capacity_norm"] == 2.0 + i:
            assert design_rows and not edit_rows and stored["commissioned"] is None
        else:
            assert edit_rows and not design_rows and stored["commissioned"] == "2023-05-01"


def test_design_capacity_without_expected_version_applies_on_top_of_an_edit(store, planner, make_user, site_record):
    """No version given: both succeed, one after the other, and each audit row describes a change seen."""
    editor = make_user("planner", name="editor")
    store.seed([site_record(f"E.9{i}") for i in range(REPEATS)])
    for i in range(REPEATS):
        sid = f"E.9{i}"
        results = race(lambda: store.set_design_capacity(planner, sid, 3, "t/d", "批复文件"),
                       lambda: store.update_site(editor, sid, {"commissioned": "2023-05-01"}, 1))
        design = results[0]
        assert not isinstance(design, WufeiError)
        stored = store.get_site(sid)
        assert stored["capacity_norm"] == 3.0
        rows = audit_rows(store, "set_design_capacity", sid)
        assert [r["site_version"] for r in rows] == [design["version"]] * len(rows)
        assert stored["version"] == 1 + len(ok(results))


def test_baseline_capacity_set_during_an_edit_reports_only_what_happened(store, planner, make_user, site_record):
    editor = make_user("planner", name="editor")
    store.seed([site_record(f"B.{i}", existing_facility=True) for i in range(REPEATS)])
    for i in range(REPEATS):
        sid = f"B.{i}"
        results = race(
            lambda: store.update_site(planner, sid, {"baseline_capacity_value": 1 + i, "baseline_capacity_unit": "t/d"},
                                      1, note="2020 年统计"),
            lambda: store.update_site(editor, sid, {"commissioned": "2023-05-01"}, 1),
        )
        assert len(ok(results)) == 1, results
        stored = store.get_site(sid)
        rows = audit_rows(store, "update", sid)
        assert stored["version"] == 2 and {r["site_version"] for r in rows} == {2}
        fields = {r["field"] for r in rows}
        assert fields == ({"baseline_capacity_value", "baseline_capacity_unit", "baseline_capacity_norm"} & fields
                          if stored["baseline_capacity_norm"] else {"commissioned"})


def test_planners_opening_rounds_at_once_leave_one_open(store, make_user):
    planners = [make_user("planner", name=f"opener-{k}") for k in range(4)]
    for i in range(REPEATS):
        results = race(*[(lambda p=p: store.open_round(p, f"第 {i} 轮 {p.name}")) for p in planners])
        opened = ok(results)
        assert len(opened) == 1, results
        assert all(isinstance(r, ValidationError) and r.rule == "round_open" for r in results if r not in opened)
        assert [r["id"] for r in store.rounds("open")] == [opened[0]["id"]]
        assert len(audit_rows(store, "open_round")) == i + 1
        closed = race(*[(lambda p=p: store.close_round(p, opened[0]["id"])) for p in planners])
        assert len(ok(closed)) == 1, closed
        assert store.rounds("open") == []
        assert len(audit_rows(store, "close_round")) == i + 1


def test_confirmations_during_edits_are_audited_once_each(store, make_user, site_record):
    officials = [make_user("town_official", town_code="310118001", name=f"xy-{k}") for k in range(3)]
    planner = make_user("planner", name="round-planner")
    store.seed([site_record(f"C.{i}") for i in range(REPEATS)])
    rnd = store.open_round(planner, "确认轮次")
    for i in range(REPEATS):
        sid = f"C.{i}"
        results = race(*[(lambda o=o: store.confirm_site(o, sid, 1)) for o in officials[:2]],
                       lambda: store.update_site(officials[2], sid, {"status": "under_construction"}, 1))
        confirmed = [r for r in results[:2] if not isinstance(r, WufeiError)]
        assert all(isinstance(r, StaleVersion) for r in results if isinstance(r, WufeiError)), results
        assert len(audit_rows(store, "confirm", sid)) == len(confirmed)
        edited = not isinstance(results[2], WufeiError)
        assert len(audit_rows(store, "update", sid)) == (1 if edited else 0)
        answers = [a for a in store.round_answers(rnd["id"]) if a["site_id"] == sid]
        assert len(answers) == len(ok(results))


def test_confirmations_racing_a_round_close_answer_only_an_open_round(store, make_user, site_record):
    official = make_user("town_official", town_code="310118001", name="xy-close")
    planner = make_user("planner", name="closer")
    store.seed([site_record(f"K.{i}") for i in range(REPEATS)])
    for i in range(REPEATS):
        rnd = store.open_round(planner, f"轮次 {i}")
        results = race(lambda: store.confirm_site(official, f"K.{i}", 1), lambda: store.close_round(planner, rnd["id"]))
        assert ok(results) == results
        answers = store.round_answers(rnd["id"])
        closed_at = store.get_round(rnd["id"])["closed_at"]
        assert all(a["answered_at"] <= closed_at for a in answers)
        assert len(answers) <= 1
