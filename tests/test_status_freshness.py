"""Issue 12: confirming a status unchanged (core, CLI, import), staleness with a fixed today,
per-town freshness, and the update round lifecycle.  SQLite and PostgreSQL through ``store``."""
from __future__ import annotations

import datetime as dt
import io
import json
import sys

import pandas as pd
import pytest
from conftest import TEST_PASSWORD

from wufei_geo import analysis, catalog, cli
from wufei_geo.config import Settings
from wufei_geo.errors import BatchRefused, PermissionDenied, StaleVersion, ValidationError
from wufei_geo.io import backup, bulk_import
from wufei_geo.model import MAX_NOTE_CHARS
from wufei_geo.store import Store

XIAYANG, XUJING = "310118001", "310118102"


@pytest.fixture
def sites(store, site_record, clock):
    """Three 夏阳 sites (one compression station), one 徐泾 site; store clock 2026-03-02."""
    store.clock = clock
    plan = {"status_confirmed_at": "2022-10-28", "status_confirmed_by": "plan"}  # as facilities.py seeds them
    store.seed([
        site_record("X.1", **plan), site_record("X.2", **plan),
        site_record("X.3", category="compression_station", wet_waste_mode=None, capacity_unit="t/d", capacity_value=None,
                    capacity_norm=None, capacity_norm_unit=None, capacity_components=[], **plan),
        site_record("J.1", town_code=XUJING, **plan),
    ])
    return store


def _snapshot(store):
    return store.sites_frame().to_json(), len(store.history()), store.round_answers(1) if store.rounds() else []


def test_confirm_sets_only_the_confirmation_and_is_audited(sites, official):
    before = sites.get_site("X.1")
    after = sites.confirm_site(official, "X.1", before["version"], note="巡查 <b>")
    assert after["status_confirmed_by"] == "xiayang"
    assert after["status_confirmed_at"].startswith("2026-03-02")
    assert after["version"] == before["version"]  # nothing else moves
    for key in ("status", "status_as_of", "status_source", "operating_capacity_value", "updated_at"):
        assert after[key] == before[key]
    (row,) = sites.history(site_id="X.1")
    assert (row["action"], row["user_name"], row["note"]) == ("confirm", "xiayang", "巡查 <b>")
    assert "X.1" not in sites.last_changes()  # a confirmation is not a change of values


def test_confirm_permissions_and_refusals_write_nothing(sites, official, planner, make_user):
    other = make_user("town_official", town_code=XUJING, name="xujing")
    before = sites.sites_frame().to_json(), len(sites.history())
    with pytest.raises(PermissionDenied):
        sites.confirm_site(official, "J.1", 1)
    with pytest.raises(PermissionDenied):
        sites.confirm_site(other, "X.1", 1)
    with pytest.raises(StaleVersion):
        sites.confirm_site(official, "X.1", 7)
    with pytest.raises(ValidationError):
        sites.confirm_site(official, "X.1", 1, note="bad\x00")
    with pytest.raises(ValidationError):  # the one note cap of every path, confirmations included
        sites.confirm_site(official, "X.1", 1, note="x" * (MAX_NOTE_CHARS + 1))
    with pytest.raises(BatchRefused):  # all or nothing
        sites.confirm_sites(official, [("X.1", 1), ("J.1", 1)])
    assert (sites.sites_frame().to_json(), len(sites.history())) == before
    assert sites.confirm_site(planner, "J.1", 1)["status_confirmed_by"] == "planner"  # planners: any site
    assert sites.confirm_site(other, "J.1", 1)["status_confirmed_by"] == "xujing"


def test_staleness_with_a_fixed_today(sites, official):
    sites.confirm_site(official, "X.1", 1)  # 2026-03-02
    frame = sites.sites_frame()
    stale = dict(zip(frame["site_id"], analysis.stale_flags(frame, dt.date(2026, 6, 1), 12), strict=True))
    assert stale == {"X.1": False, "X.2": True, "X.3": True, "J.1": True}  # the plan's 2022-10-28 is old
    assert bool(analysis.stale_flags(frame, dt.date(2027, 3, 3), 12)[frame["site_id"] == "X.1"].iloc[0])  # a year on
    assert not analysis.stale_flags(frame, dt.date(2026, 6, 1), 60).any()  # 2022-10-28 is within 60 months
    assert analysis.freshness(frame[frame["town_code"] == XIAYANG], dt.date(2026, 6, 1), 12) == {
        "sites": 3, "confirmed": 1, "stale": 2, "last_confirmed_at": "2026-03-02T01:00:00+00:00"}
    cat = catalog.load_catalog(sites, dt.date(2026, 6, 1))
    assert not dict(zip(cat.sites["site_id"], cat.sites["stale"], strict=True))["X.1"]
    assert cat.sites["stale"].dtype == bool


def test_period_comes_from_the_settings(sites, official, db_url):
    s = Store.open(db_url, seed=False, settings=Settings(db_url=db_url, status_confirmation_months=60),
                   clock=sites.clock)
    cat = catalog.load_catalog(s, dt.date(2026, 6, 1))
    assert not cat.sites["stale"].any()  # 2022-10-28 is within 60 months
    s.close()


def test_towns_scorecards_carry_freshness(sites, official):
    sites.confirm_site(official, "X.2", 1)
    cat = catalog.load_catalog(sites, dt.date(2026, 6, 1))
    cards = analysis.town_scorecards(cat.sites, cat.targets, cat.towns, today=dt.date(2026, 6, 1), confirmation_months=12)
    by = {c.town_code: c.to_dict()["freshness"] for c in cards}
    assert by[XIAYANG] == {"sites": 3, "confirmed": 1, "stale": 2, "last_confirmed_at": "2026-03-02T01:00:00+00:00"}
    assert by[XUJING] == {"sites": 1, "confirmed": 0, "stale": 1, "last_confirmed_at": "2022-10-28"}


# --- rounds -----------------------------------------------------------------------------------
def test_round_lifecycle(sites, official, planner, make_user, clock):
    other = make_user("town_official", town_code=XUJING, name="xujing")
    with pytest.raises(PermissionDenied):
        sites.open_round(official, "2026 春季核实")
    assert sites.rounds() == []
    rnd = sites.open_round(planner, "2026 春季核实", "2026-03-31", [XIAYANG, XUJING], ["wet_waste"])
    assert rnd["status"] == "open" and rnd["towns"] == [XIAYANG, XUJING] and rnd["categories"] == ["wet_waste"]
    with pytest.raises(ValidationError):
        sites.open_round(planner, "second")  # one open round at a time
    progress = {p["town_code"]: p for p in sites.round_progress(rnd["id"])}
    assert (progress[XIAYANG]["answered"], progress[XIAYANG]["total"]) == (0, 2)  # X.3 is a compression station: not in scope
    # partial answers: a confirmation and an edit in 夏阳; 徐泾 silent
    clock.advance(minutes=10)
    sites.confirm_site(official, "X.1", 1)
    clock.advance(minutes=10)
    sites.update_site(official, "X.2", {"status": "under_construction"}, 1)
    sites.confirm_site(official, "X.3", 1)  # out of scope: not an answer
    progress = {p["town_code"]: p for p in sites.round_progress(rnd["id"])}
    assert (progress[XIAYANG]["answered"], progress[XIAYANG]["total"]) == (2, 2)
    assert progress[XIAYANG]["last_answer_by"] == "xiayang"
    assert progress[XIAYANG]["last_answer_at_local"] == "2026-03-02 09:20"
    assert (progress[XUJING]["answered"], progress[XUJING]["total"], progress[XUJING]["last_answer_at"]) == (0, 1, None)
    todo = sites.round_sites(rnd["id"], XUJING)
    assert list(todo.loc[~todo["answered"], "site_id"]) == ["J.1"]
    answers = sites.round_answers(rnd["id"])
    assert [(a["site_id"], a["answer"], a["answered_by"]) for a in answers] == [
        ("X.1", "confirm", "xiayang"), ("X.2", "update", "xiayang")]
    with pytest.raises(PermissionDenied):
        sites.close_round(other, rnd["id"])
    closed = sites.close_round(planner, rnd["id"])
    assert closed["status"] == "closed" and closed["closed_by"] == "planner"
    sites.confirm_site(other, "J.1", 1)  # after the close: kept as a confirmation, not an answer
    assert len(sites.round_answers(rnd["id"])) == 2
    assert sites.current_round() is None
    actions = [h["action"] for h in sites.history()]
    assert "open_round" in actions and "close_round" in actions


# --- CLI --------------------------------------------------------------------------------------
def _run(monkeypatch, capsys, *argv, stdin=""):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_confirm_and_rounds(sqlite_url, monkeypatch, capsys, site_record):
    monkeypatch.setenv("WUFEI_DB_URL", sqlite_url)
    s = Store.open(sqlite_url, seed=False, settings=Settings(db_url=sqlite_url))
    s.seed([site_record("X.1"), site_record("J.1", town_code=XUJING)])
    _run(monkeypatch, capsys, "users", "add", "xiayang", "--role", "town_official", "--town", XIAYANG,
         stdin=TEST_PASSWORD + "\n")
    _run(monkeypatch, capsys, "users", "add", "plan", "--role", "planner", stdin=TEST_PASSWORD + "\n")
    code, out, _ = _run(monkeypatch, capsys, "rounds", "open", "春季", "--town", XIAYANG, "--user", "plan",
                        "--password-stdin", stdin=TEST_PASSWORD + "\n")
    assert code == 0 and "round #1 opened" in out
    code, out, _ = _run(monkeypatch, capsys, "status", "confirm", "X.1", "--user", "xiayang", "--note", "无变化",
                        "--password-stdin", stdin=TEST_PASSWORD + "\n")
    assert code == 0 and "confirmed unchanged by xiayang" in out
    assert s.get_site("X.1")["status_confirmed_by"] == "xiayang"
    n = len(s.history())
    code, _, err = _run(monkeypatch, capsys, "status", "confirm", "J.1", "--user", "xiayang",
                        stdin=TEST_PASSWORD + "\n")
    assert code == 1 and XUJING in err and len(s.history()) == n
    code, out, _ = _run(monkeypatch, capsys, "history", "X.1")
    assert "confirm" in out and "无变化" in out
    code, out, _ = _run(monkeypatch, capsys, "rounds", "progress", "--json")
    # (the command line's store also seeds the plan's own sites: 夏阳 has more than X.1)
    n_xiayang = int((s.sites_frame()["town_code"] == XIAYANG).sum())
    assert code == 0 and [(p["town_code"], p["answered"], p["total"]) for p in json.loads(out)] == [(XIAYANG, 1, n_xiayang)]
    code, out, _ = _run(monkeypatch, capsys, "rounds", "close", "1", "--user", "plan", stdin=TEST_PASSWORD + "\n")
    assert code == 0
    code, out, _ = _run(monkeypatch, capsys, "rounds", "list")
    assert "[closed] 春季" in out
    code, out, _ = _run(monkeypatch, capsys, "towns", "--json", "--today", "2026-06-01")
    cards = {c["town_code"]: c for c in json.loads(out)}
    fresh = cards[XIAYANG]["freshness"]
    assert fresh["sites"] == n_xiayang and fresh["confirmed"] == 1 and fresh["stale"] == n_xiayang - 1
    assert fresh["last_confirmed_at"].startswith(s.get_site("X.1")["status_confirmed_at"][:10])
    n_xujing = int((s.sites_frame()["town_code"] == XUJING).sum())
    assert cards[XUJING]["freshness"]["sites"] == n_xujing and cards[XUJING]["freshness"]["confirmed"] == 0
    s.close()


# --- bulk import ------------------------------------------------------------------------------
def _csv(rows):
    return pd.DataFrame(rows).to_csv(index=False).encode("utf-8")


def test_import_confirm_column(sites, official):
    data = _csv([{"site_id": "X.1", "status": "", "confirm": "是"},
                 {"site_id": "X.2", "status": "在建", "confirm": "yes"},  # an edit: confirms by itself
                 {"site_id": "X.3", "status": "", "confirm": ""}])
    plan = bulk_import.plan_import(sites, official, data, "u.csv")
    assert plan.ok, plan.errors
    assert [(r.site_id, r.confirm, [d.field for d in r.diffs]) for r in plan.rows] == [
        ("X.1", True, ["confirm"]), ("X.2", False, ["status"])]
    done = bulk_import.apply_import(sites, official, data, "u.csv")
    assert done.applied
    assert sites.get_site("X.1")["status_confirmed_by"] == "xiayang" and sites.get_site("X.1")["version"] == 1
    assert sites.get_site("X.2")["status"] == "under_construction"
    assert sites.get_site("X.3")["status_confirmed_by"] == "plan"
    bad = bulk_import.plan_import(sites, official, _csv([{"site_id": "X.1", "confirm": "maybe"}]), "u.csv")
    assert [e.column for e in bad.errors] == ["confirm"]
    n = len(sites.history())
    refused = bulk_import.apply_import(sites, official, _csv([{"site_id": "X.1", "confirm": "1"},
                                                              {"site_id": "J.1", "confirm": "1"}]), "u.csv")
    assert not refused.applied and [e.site_id for e in refused.errors] == ["J.1"] and len(sites.history()) == n


def test_rounds_and_answers_survive_backup_and_restore(sites, official, planner, tmp_path, db_url):

    rnd = sites.open_round(planner, "备份轮次", None, [XIAYANG])
    sites.confirm_site(official, "X.1", 1)
    path = tmp_path / "b.zip"
    backup.backup(sites, path)
    target_url = f"sqlite:///{tmp_path / 'restored.sqlite'}"
    target = Store.open(target_url, seed=False, settings=Settings(db_url=target_url))
    try:
        backup.restore(target, path, accept_unsigned=True)  # another installation: accepted explicitly
        assert [(r["id"], r["title"], r["status"]) for r in target.rounds()] == [(rnd["id"], "备份轮次", "open")]
        assert [(a["site_id"], a["answer"], a["answered_by"]) for a in target.round_answers(rnd["id"])] == [
            ("X.1", "confirm", "xiayang")]
        assert target.get_site("X.1")["status_confirmed_by"] == "xiayang"
    finally:
        target.close()


def test_cli_towns_text_says_how_fresh(sqlite_url, monkeypatch, capsys, site_record):
    monkeypatch.setenv("WUFEI_DB_URL", sqlite_url)
    Store.open(sqlite_url, seed=False, settings=Settings(db_url=sqlite_url)).close()
    code, out, _ = _run(monkeypatch, capsys, "towns", "--today", "2026-06-01")
    assert code == 0 and "状态确认：" in out and "个已过期" in out
