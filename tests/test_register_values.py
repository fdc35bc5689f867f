"""Reported register values: a fresh database says 未测量 (never 0), a value moves exactly its
entry, the department rule is enforced in the core and the CLI, values are validated, an
implausible value waits as 待核实 for a planner, judgements decide qualitative targets."""
from __future__ import annotations

import datetime as dt
import io
import json
import sys

import pytest

from tests.conftest import TEST_PASSWORD
from wufei_geo import auth, cli
from wufei_geo.config import Settings
from wufei_geo.errors import ImplausibleEdit, NotFound, PermissionDenied, ValidationError
from wufei_geo.register import reporting
from wufei_geo.register.assess import assess, summary
from wufei_geo.register.entries import entry_by_id
from wufei_geo.register.permissions import department_may_report, departments
from wufei_geo.store import Store

LVHUA = "区绿化市容局"


@pytest.fixture
def dept(store, clock):
    store.clock = clock  # 2026-03-02
    auth.create_user(store, "lvhua", "department", None, TEST_PASSWORD, department=LVHUA)
    return auth.authenticate(store, "lvhua", TEST_PASSWORD)


def _by_id(store):
    return {a.entry.id: a for a in assess(store)}


def test_fresh_database_every_reported_entry_unmeasured_never_zero(store):
    rows = _by_id(store)
    reported = [a for a in rows.values() if a.entry.measure.kind == "reported"]
    assert len(reported) == 57  # 62 less #47/#49/#58 (sites) and #38/#43 (places)
    for a in reported:
        d = a.to_dict()
        assert d["latest"] is None
        assert a.status in ("unmeasured", "judgement")
        assert a.reading.value is None
    assert summary(rows.values())["indicator"] == {"total": 62, "met": 0, "not_met": 1, "unmeasured": 44,  # #43: 0 of 1 无废水乡镇 (places)
                                                   "judgement": 17}


def test_entering_a_value_moves_exactly_that_entry(store, dept):
    before = {k: a.to_dict() for k, a in _by_id(store).items()}
    reporting.report_value(store, dept, "27", 2025, "210", "区绿化市容局 2025 年报")
    after = {k: a.to_dict() for k, a in _by_id(store).items()}
    changed = [k for k in before if before[k] != after[k]]
    assert changed == ["27"]
    assert after["27"]["latest"]["value"] == 210 and after["27"]["status"] == "met"
    # a later, lower value for the same year replaces it; a value for 2026 does not count at 2025-12-31
    reporting.report_value(store, dept, "27", 2025, 200, "更正")
    reporting.report_value(store, dept, "27", 2026, 300, "2026 年报")
    a = _by_id(store)["27"]
    assert (a.reading.value, a.reading.year, a.status) == (200, 2025, "not_met")
    hist = reporting.value_history(store, "27")
    assert [h["user_name"] for h in hist] == ["lvhua"] * 3 and hist[0]["action"] == "report_value"


def test_department_rule_in_the_core(store, dept, make_user):
    assert LVHUA in departments()
    assert department_may_report(LVHUA, entry_by_id("26"))
    assert department_may_report(LVHUA, entry_by_id("25"))  # shared with 区建设管理委
    assert not department_may_report(LVHUA, entry_by_id("17"))
    assert not department_may_report(LVHUA, entry_by_id("11"))  # no department in the plan
    with pytest.raises(PermissionDenied) as exc:
        reporting.report_value(store, dept, "17", 2025, 96, "年报")
    assert exc.value.key == "error.other_department"
    official = make_user("town_official", town_code="310118001")
    with pytest.raises(PermissionDenied):
        reporting.report_value(store, official, "27", 2025, 200, "x")
    planner = make_user("planner")
    reporting.report_value(store, planner, "17", 2025, 96, "年报")  # a planner reports any entry
    assert [v["entry_id"] for v in reporting.values(store)] == ["17"]
    # a department account edits no site
    assert dept.department == LVHUA


def test_department_accounts_need_a_known_department(store):
    with pytest.raises(ValidationError) as exc:
        auth.create_user(store, "x1", "department", None, TEST_PASSWORD)
    assert exc.value.key == "error.department_required"
    with pytest.raises(ValidationError) as exc:
        auth.create_user(store, "x2", "department", None, TEST_PASSWORD, department="区不存在局")
    assert exc.value.key == "error.unknown_department"
    with pytest.raises(ValidationError):
        auth.create_user(store, "x3", "planner", None, TEST_PASSWORD, department=LVHUA)
    user = auth.create_user(store, "x4", "department", None, TEST_PASSWORD, department=" 区绿化市容局 ")
    assert user["department"] == LVHUA


@pytest.mark.parametrize(("entry", "year", "value", "source", "rule"), [
    ("26", 2025, 101, "s", "value_percent"),
    ("26", 2025, -1, "s", "value_percent"),
    ("27", 2025, -5, "s", "value_negative"),
    ("27", 2019, 5, "s", "value_year"),
    ("27", 2027, 5, "s", "value_year"),  # the store's clock is in 2026
    ("27", 2025, "abc", "s", "value_not_number"),
    ("27", 2025, "nan", "s", "value_not_number"),
    ("27", 2025, 5, "  ", "value_source"),
])
def test_values_are_validated_and_a_refusal_writes_nothing(store, dept, entry, year, value, source, rule):
    with pytest.raises(ValidationError) as exc:
        reporting.report_value(store, dept, entry, year, value, source)
    assert exc.value.rule == rule
    assert reporting.values(store, status=None) == []


def test_a_grade_is_a_letter(store, make_user):
    planner = make_user("planner")
    with pytest.raises(ValidationError):
        reporting.report_value(store, planner, "54", 2025, "Z", "评估报告")
    reporting.report_value(store, planner, "54", 2025, "a", "评估报告")
    assert _by_id(store)["54"].status == "met"


def test_implausible_value_waits_as_pending_until_a_planner_confirms(store, dept, make_user):
    with pytest.raises(ImplausibleEdit) as exc:
        reporting.report_value(store, dept, "27", 2025, 2050, "年报")  # 2020: 129 t/d → ~16×
    assert exc.value.rules == ["value_jump"]
    row = reporting.report_value(store, dept, "27", 2025, 2050, "年报", note="含建筑垃圾", insist=True)
    assert row["status"] == "pending"
    assert _by_id(store)["27"].status == "unmeasured"  # not counted yet
    with pytest.raises(PermissionDenied):
        reporting.decide_value(store, dept, row["id"], True)  # not a planner (and its own)
    planner = make_user("planner")
    reporting.decide_value(store, planner, row["id"], True, "核实无误")
    assert _by_id(store)["27"].reading.value == 2050
    with pytest.raises(NotFound):
        reporting.decide_value(store, planner, row["id"], False)


def test_judgement_decides_a_qualitative_target_for_its_date(store, make_user, dept):
    planner = make_user("planner")
    assert _by_id(store)["35"].status == "judgement"
    with pytest.raises(ValidationError):
        reporting.judge(store, planner, "35", dt.date(2025, 12, 31), "met", "  ")
    with pytest.raises(PermissionDenied):
        reporting.judge(store, dept, "35", dt.date(2025, 12, 31), "met", "x")
    reporting.judge(store, planner, "35", dt.date(2025, 12, 31), "met", "已印发《青浦区无废城市建设实施方案》")
    assert _by_id(store)["35"].status == "met"
    assert assess(store, dt.date(2025, 6, 30))[34].status == "judgement"  # said for the deadline, not before


# --- CLI --------------------------------------------------------------------------------------
def _run(monkeypatch, capsys, *argv, stdin=""):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_lists_sets_and_refuses_another_departments_indicator(sqlite_url, monkeypatch, capsys):
    monkeypatch.setenv("WUFEI_DB_URL", sqlite_url)
    Store.open(sqlite_url, seed=False, settings=Settings(db_url=sqlite_url)).close()
    code, out, _ = _run(monkeypatch, capsys, "users", "add", "lvhua", "--role", "department",
                        "--department", LVHUA, stdin=TEST_PASSWORD + "\n")
    assert code == 0 and LVHUA in out
    code, out, _ = _run(monkeypatch, capsys, "indicators", "--json")
    rows = {r["id"]: r for r in json.loads(out)}
    assert len(rows) == 102 and rows["27"]["latest"] is None and rows["27"]["status"] == "unmeasured"
    assert rows["27"]["baseline"] == {"value": 129.0, "year": 2020, "text": "129"}
    assert rows["17"]["target"] == {"value": None, "year": 2025, "text": "不降低", "rule": "not_below_baseline"}
    assert set(rows["27"]) >= {"id", "name_zh", "unit", "kind", "departments", "baseline", "target", "latest", "status"}
    code, out, err = _run(monkeypatch, capsys, "--lang", "en", "indicators", "set", "17", "--year", "2025",
                          "--value", "96", "--source", "年报", "--user", "lvhua", "--password-stdin",
                          stdin=TEST_PASSWORD + "\n")
    assert code == 1 and "may not report indicator 17" in err
    code, out, _ = _run(monkeypatch, capsys, "indicators", "set", "27", "--year", "2025", "--value", "210",
                        "--source", "年报", "--user", "lvhua", "--password-stdin", stdin=TEST_PASSWORD + "\n")
    assert code == 0
    code, out, _ = _run(monkeypatch, capsys, "indicators", "--json", "--department", LVHUA, "--status", "met")
    assert [r["id"] for r in json.loads(out)] == ["27"]
    code, out, _ = _run(monkeypatch, capsys, "indicators")
    assert "62 项指标：已达标 1，未达标 1，未测量 43，待判断 17" in out  # #43: 0 of 1 无废水乡镇
    assert "40 项设施目标" in out


def test_values_and_judgements_survive_backup_and_restore(store, dept, make_user, tmp_path):
    from wufei_geo.io import backup

    planner = make_user("planner")
    reporting.report_value(store, dept, "27", 2025, 210, "年报")
    reporting.judge(store, planner, "35", dt.date(2025, 12, 31), "met", "已印发")
    path = tmp_path / "b.zip"
    backup.backup(store, path)
    url = f"sqlite:///{tmp_path / 'restored.sqlite'}"
    target = Store.open(url, seed=False, settings=Settings(db_url=url))
    try:
        backup.restore(target, path, accept_unsigned=True)
        by = _by_id(target)
        assert (by["27"].reading.value, by["27"].status, by["35"].status) == (210, "met", "met")
    finally:
        target.close()
