"""Filling in the data the answer needs, in bulk: expected commissioning dates, served villages and
(planners) the capacity before an upgrade — through `wufei-geo edit`, the bulk import and the round
workbook, all through the one validator; rounds that include the district-level sites."""
from __future__ import annotations

import io
import json
import sys

import openpyxl
import pytest

from wufei_geo import cli
from wufei_geo.io import bulk_import, excel
from wufei_geo.store import Store
from wufei_geo.store.rounds import DISTRICT

PW = "correct horse battery"


@pytest.fixture
def shipped(sqlite_url, monkeypatch):
    monkeypatch.setenv("WUFEI_DB_URL", sqlite_url)
    store = Store.open(sqlite_url)
    yield store
    store.close()


def run(monkeypatch, capsys, *argv, stdin=""):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _user(monkeypatch, capsys, name, role, town=None):
    extra = ["--town", town] if town else []
    assert run(monkeypatch, capsys, "users", "add", name, "--role", role, *extra, "--password-stdin",
               stdin=PW + "\n")[0] == 0


def test_edit_expected_date_and_baseline_then_the_projection_runs_on(shipped, monkeypatch, capsys):
    _user(monkeypatch, capsys, "planner1", "planner")
    code, _, err = run(monkeypatch, capsys, "edit", "E.11-1", "--baseline-capacity", "400", "--unit", "t/d",
                       "--note", "区绿化市容局年报", "--user", "planner1", "--password-stdin", stdin=PW + "\n")
    assert code == 0, err
    code, _, err = run(monkeypatch, capsys, "edit", "E.11-1", "--expected-commissioning", "2029-03",
                       "--user", "planner1", "--password-stdin", stdin=PW + "\n")
    assert code == 0, err
    assert shipped.get_site("E.11-1")["expected_commissioning"] == "2029-03"
    code, out, _ = run(monkeypatch, capsys, "capacity", "--json")
    wet = json.loads(out)[0]
    years = [p["year"] for p in wet["projection"]]
    assert years == [*range(2021, 2030), None]  # to the expected year, then the bar of unknown year
    by_year = {p["year"]: p for p in wet["projection"]}
    # the existing plant's baseline is in every year before its project, the project's 600 from 2029
    assert all(by_year[y]["existing"] == 400 and by_year[y]["cumulative"] == 400 for y in range(2021, 2029))
    assert by_year[2029]["cumulative"] == 600 and by_year[2029]["existing"] == 0
    assert not by_year[2028]["lower_bound"] and by_year[None]["lower_bound"]  # 7 market sites: unknown
    assert wet["achieved"] == 400 and not wet["achieved_lower_bound"] and wet["registered_lower_bound"]
    assert wet["answer"].startswith("今日运行 400 吨/日")


def test_only_planners_set_the_capacity_before_an_upgrade(shipped, monkeypatch, capsys):
    _user(monkeypatch, capsys, "xujing", "town_official", "310118106")
    code, _, err = run(monkeypatch, capsys, "edit", "E.13-5", "--served-villages", "新丰村；徐泾村",
                       "--expected-commissioning", "2029", "--user", "xujing", "--password-stdin", stdin=PW + "\n")
    assert code == 0, err
    site = shipped.get_site("E.13-5")
    assert json.loads(site["served_villages"]) == ["新丰村", "徐泾村"] and site["expected_commissioning"] == "2029"
    code, _, err = run(monkeypatch, capsys, "edit", "E.11-1", "--baseline-capacity", "400", "--unit", "t/d",
                       "--note", "x", "--user", "xujing", "--password-stdin", stdin=PW + "\n")
    assert code == 1 and shipped.get_site("E.11-1")["baseline_capacity_value"] is None
    code, _, err = run(monkeypatch, capsys, "edit", "E.13-5", "--expected-commissioning", "2029-13",
                       "--user", "xujing", "--password-stdin", stdin=PW + "\n")
    assert code == 1 and "bad_expected_date" in err  # the one validator's rule


def test_import_expected_dates_and_served_villages_dry_run_apply_audit(shipped, make_user_shipped):
    planner = make_user_shipped("planner")
    data = ("site_id,expected_commissioning,served_villages,baseline_capacity_value,baseline_capacity_unit,note\n"
            "E.12-1,2028-06,中步村、东庄村,,,\n"
            "E.12-2,2028,,,,\n"
            "E.12-3,,徐姚村,,,\n"
            "E.11-1,2029-12,,400,t/d,区绿化市容局年报\n").encode()
    dry = bulk_import.plan_import(shipped, planner, data, "update.csv")
    assert dry.ok, dry.errors
    changes = {(c.site_id, c.field): c.new for c in
               dry.changes_frame().itertuples(index=False) if c.field != "note"}
    assert changes[("E.12-1", "expected_commissioning")] == "2028-06"
    assert json.loads(changes[("E.12-1", "served_villages")]) == ["中步村", "东庄村"]
    assert changes[("E.12-2", "expected_commissioning")] == "2028"
    assert changes[("E.11-1", "baseline_capacity")] == "400 t/d"
    assert shipped.get_site("E.12-1")["expected_commissioning"] is None  # a dry run writes nothing
    done = bulk_import.apply_import(shipped, planner, data, "update.csv")
    assert done.applied
    assert shipped.get_site("E.12-2")["expected_commissioning"] == "2028"
    assert float(shipped.get_site("E.11-1")["baseline_capacity_norm"]) == 400
    fields = {(h["site_id"], h["field"]) for h in shipped.history() if h["user_name"] == planner.name}
    assert {("E.12-1", "expected_commissioning"), ("E.12-1", "served_villages"), ("E.12-2", "expected_commissioning"),
            ("E.12-3", "served_villages"), ("E.11-1", "baseline_capacity_value")} <= fields


def test_import_refuses_a_bad_expected_date_and_an_officials_baseline(shipped, make_user_shipped):
    official = make_user_shipped("town_official", town_code="310118105")
    data = (b"site_id,expected_commissioning,baseline_capacity_value,baseline_capacity_unit,note\n"
            b"E.12-1,2028-02-30,,,\n")
    report = bulk_import.plan_import(shipped, official, data, "u.csv")
    assert not report.ok and report.errors[0].column == "expected_commissioning"


def test_round_workbook_carries_expected_dates_and_villages_and_reads_back(shipped, make_user_shipped):
    planner = make_user_shipped("planner")
    book = excel.town_workbook(shipped.sites_frame(), "310118105", "赵巷镇")
    ws = openpyxl.load_workbook(io.BytesIO(book))[excel.WORKBOOK_SHEET]
    header = [c.value for c in ws[1]]
    col = {h.split("(")[-1].rstrip(")"): i for i, h in enumerate(header)}
    assert {"expected_commissioning", "served_villages"} <= set(col)
    row = next(r for r in ws.iter_rows(min_row=2) if r[col["site_id"]].value == "E.12-1")
    row[col["expected_commissioning"]].value = "2028-09"
    row[col["served_villages"]].value = "中步村"
    buf = io.BytesIO()
    ws.parent.save(buf)
    done = bulk_import.apply_import(shipped, planner, buf.getvalue(), "town.xlsx")
    assert done.applied, done.errors
    site = shipped.get_site("E.12-1")
    assert site["expected_commissioning"] == "2028-09" and json.loads(site["served_villages"]) == ["中步村"]
    # the district-level sites have a workbook too (the planners')
    district = openpyxl.load_workbook(io.BytesIO(excel.town_workbook(shipped.sites_frame(), excel.DISTRICT)))
    ids = [r[0].value for r in district[excel.WORKBOOK_SHEET].iter_rows(min_row=2)]
    assert "E.11-1" in ids and "E.21-1" in ids


def test_a_whole_district_round_counts_the_district_level_sites(shipped, make_user_shipped):
    planner = make_user_shipped("planner")
    rnd = shipped.open_round(planner, "2026 冬季核实")
    progress = {p["town_code"]: p for p in shipped.round_progress(rnd["id"])}
    district = progress[DISTRICT]
    no_town = shipped.sites_frame()["town_code"].isna().sum()
    assert district["assigned_to"] == "planner" and district["total"] == no_town and district["answered"] == 0
    shipped.confirm_site(planner, "E.11-1", shipped.get_site("E.11-1")["version"])
    progress = {p["town_code"]: p for p in shipped.round_progress(rnd["id"])}
    assert progress[DISTRICT]["answered"] == 1 and progress[DISTRICT]["last_answer_by"] == planner.name
    # a round of named towns leaves them out (the district's sites are no town's)
    shipped.close_round(planner, rnd["id"])
    some = shipped.open_round(planner, "赵巷", towns=["310118105"])
    assert DISTRICT not in {p["town_code"] for p in shipped.round_progress(some["id"])}


@pytest.fixture
def make_user_shipped(shipped):
    from wufei_geo import auth

    def make(role, town_code=None, name=None):
        name = name or f"{role}-user"
        auth.create_user(shipped, name, role, town_code, PW)
        return auth.authenticate(shipped, name, PW)

    return make
