"""Issue 11 (validation): the same site rules through bulk import, the CLI and restore.

Bulk import only reads cells and asks the store (``Store.check_update``); the differences it had
from the store before it did (listed in ``test_bulk_import_and_store_now_agree``) are pinned here.
Restore checks every restored site row and proposal with the same rules
(``io.backup_rules.check_site_row``).  SQLite and PostgreSQL through the ``store`` fixture.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from conftest import TEST_PASSWORD, FakeClock

from wufei_geo import analysis, auth, cli
from wufei_geo.config import Settings
from wufei_geo.errors import ValidationError
from wufei_geo.io import backup, bulk_import
from wufei_geo.store import Store

IN_XIAYANG = ("121.124", "31.15")
IN_XUJING = ("121.27122", "31.17612")
WET_600 = {"target_id": "T-wet", "level": "district", "town_code": None, "wet_waste_mode": None, "project_ids": "",
           "target_year": 2025, "category": "wet_waste", "measure": "capacity", "target_value": 600, "unit": "t/d"}


def _csv(rows: list[dict]) -> bytes:
    return pd.DataFrame(rows).to_csv(index=False).encode("utf-8")


def _wet(store: Store) -> float | None:
    (wet,) = analysis.capacity_report(store.sites_frame(), [WET_600], today=dt.date(2026, 3, 2))
    return wet.achieved


@pytest.fixture
def five(store, site_record, planner, clock):
    """E.12-1 (夏阳): 5 t/d design, operating 5 t/d; E.12-2: design unknown, operating 2 t/d; store clock 2026-03-02."""
    store.clock = clock
    store.seed([
        site_record("E.12-1", capacity_value=5.0, capacity_unit="t/d", capacity_norm=5.0, capacity_components=[]),
        site_record("E.12-2", capacity_value=None, capacity_unit=None, capacity_norm=None, capacity_components=[]),
    ])
    for sid, value in (("E.12-1", 5), ("E.12-2", 2)):
        store.update_site(planner, sid, {"status": "operating", "operating_capacity_value": value,
                                         "operating_capacity_unit": "t/d"}, 1)
    return store


# --- bulk import ---------------------------------------------------------------------------------
RULE_ROWS = [
    # (cells, column the error is reported in, text the error holds)
    ({"site_id": "E.12-1", "operating_capacity_value": "5000", "operating_capacity_unit": "t/d"},
     "operating_capacity_value", "design capacity 5 t/d"),
    ({"site_id": "E.12-1", "operating_capacity_value": "5", "operating_capacity_unit": "MW"},
     "operating_capacity_unit", "does not fit"),
    ({"site_id": "E.12-1", "commissioned": "2026-06"}, "commissioned", "in the future"),
    ({"site_id": "E.12-1", "commissioned": "2019-05"}, "commissioned", "commissioned_before_site"),
    ({"site_id": "E.12-2", "operating_capacity_value": "30", "operating_capacity_unit": "t/d"},
     "operating_capacity_value", "capacity_jump"),
    ({"site_id": "E.12-1", "lon": IN_XUJING[0], "lat": IN_XUJING[1], "datum": "wgs84"}, "lon", "outside_own_zone"),
]


@pytest.mark.parametrize("cells, column, needle", RULE_ROWS,
                         ids=["above-design", "unit", "future", "before-site", "jump", "other-town"])
def test_bulk_import_refuses_each_rule_in_its_column(five, official, cells, column, needle):
    before = five.content_hash()
    report = bulk_import.apply_import(five, official, _csv([cells]), "u.csv", "en")
    assert not report.applied and len(report.errors) == 1, report.summary_lines()
    (error,) = report.errors
    assert (error.row, error.column, error.site_id) == (2, column, cells["site_id"])
    assert needle in error.message
    assert five.content_hash() == before


def test_bulk_import_insist_column_makes_a_proposal_and_totals_wait(five, official, planner):
    cells = {"site_id": "E.12-1", "operating_capacity_value": "5000", "operating_capacity_unit": "t/d", "insist": "是"}
    report = bulk_import.apply_import(five, official, _csv([cells]), "u.csv", "en")
    assert not report.applied and "note" in report.errors[0].message  # insisting needs a note
    cells["note"] = "镇里复核过"
    plan = bulk_import.plan_import(five, official, _csv([cells]), "u.csv", "en")
    assert plan.ok and plan.rows[0].proposal and "(待核实)" in plan.summary_lines()[0]
    report = bulk_import.apply_import(five, official, _csv([cells]), "u.csv", "en")
    assert report.applied and report.results[0]["proposal"]["rule_keys"] == ["capacity_above_design", "capacity_jump", "headline_share"]
    assert _wet(five) == 7.0 and five.get_site("E.12-1")["operating_capacity_norm"] == 5.0
    five.confirm_proposal(planner, report.results[0]["proposal"]["id"])
    assert _wet(five) == 5002.0


def test_bulk_import_and_store_now_agree(five, official, planner):
    """The differences bulk import had from the store before it asked the store (issue 11):

    1. the future-date check used the machine's date, not the store's (Asia/Shanghai, injectable) clock;
    2. bulk import had no 1949 floor (the store refused "1900" afterwards, with no column);
    3. "1,200" was a number to bulk import but not to the store (the form refused it);
    4. Excel's date text "2021-12-01 00:00:00" was read by bulk import, refused by the store;
    5. a point within 1 m of the stored one was no move for bulk import but a change for the store;
    6. a capacity that overflows once normalised (1e308 万吨/年) passed bulk import's own check.
    """
    five.clock = FakeClock(dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC))
    # 1. the store's today decides (2026-03-02 here, whatever the machine's date)
    report = bulk_import.plan_import(five, official, _csv([{"site_id": "E.12-1", "commissioned": "2026-04"}]), "u.csv", "en")
    assert report.errors and report.errors[0].column == "commissioned"
    five.clock = FakeClock(dt.datetime(2027, 3, 2, 1, 0, tzinfo=dt.UTC))
    later = auth.authenticate(five, "xiayang", TEST_PASSWORD)  # a year on: a new session
    assert bulk_import.plan_import(five, later, _csv([{"site_id": "E.12-1", "commissioned": "2026-04"}]), "u.csv").ok
    five.clock = FakeClock(dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC))
    official = auth.authenticate(five, "xiayang", TEST_PASSWORD)
    planner = auth.authenticate(five, "planner", TEST_PASSWORD)
    # 2. the floor, in its column
    report = bulk_import.plan_import(five, official, _csv([{"site_id": "E.12-1", "commissioned": "1900"}]), "u.csv", "en")
    assert report.errors[0].column == "commissioned" and "early" in report.errors[0].message
    # 3. thousands separators: the same for the store (form, CLI) and the import — "1,200" is 1200
    #    everywhere, and the ambiguous "1,2" (a decimal comma?) is refused everywhere (issue 15)
    v = five.get_site("E.12-2")["version"]
    assert five.check_update(planner, "E.12-2", {"operating_capacity_value": "1,200", "operating_capacity_unit": "kg/d"}, v)
    plan = bulk_import.plan_import(five, planner, _csv([{"site_id": "E.12-2", "operating_capacity_value": "1,200",
                                                         "operating_capacity_unit": "kg/d"}]), "u.csv")
    assert plan.ok and plan.rows[0].changes["operating_capacity_value"] == "1,200"
    with pytest.raises(ValidationError):
        five.check_update(planner, "E.12-2", {"operating_capacity_value": "1,2", "operating_capacity_unit": "t/d"}, v)
    plan = bulk_import.plan_import(five, planner, _csv([{"site_id": "E.12-2", "operating_capacity_value": "1,2",
                                                         "operating_capacity_unit": "t/d"}]), "u.csv")
    assert not plan.ok
    # 4. Excel date text: the store reads it too
    assert five.check_update(official, "E.12-1", {"commissioned": "2021-12-01 00:00:00"},
                             five.get_site("E.12-1")["version"])["changes"][0]["new_value"] == "2021-12-01"
    # 5. within a metre is no move, for every entry point
    site = five.update_site(official, "E.12-1", {"location": (*IN_XIAYANG, "wgs84")}, five.get_site("E.12-1")["version"])
    with pytest.raises(Exception) as exc:
        five.update_site(official, "E.12-1", {"location": (site["lon"] + 0.000002, site["lat"], "wgs84")}, site["version"])
    assert exc.value.rule == "nothing_to_change"
    # 6. overflow once normalised: refused in its column by the import
    report = bulk_import.plan_import(five, planner, _csv([{"site_id": "E.12-2", "operating_capacity_value": "1e308",
                                                           "operating_capacity_unit": "万吨/年"}]), "u.csv", "en")
    assert report.errors and report.errors[0].column == "operating_capacity_unit"


# --- restore ---------------------------------------------------------------------------------------
def _tampered(path: Path, out: Path, site_id: str, **values) -> Path:
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    lines = []
    for line in members["tables/sites.jsonl"].decode().splitlines():
        row = json.loads(line)
        if row["site_id"] == site_id:
            row.update(values)
        lines.append(json.dumps(row, ensure_ascii=False, sort_keys=True))
    data = ("\n".join(lines) + "\n").encode()
    members["tables/sites.jsonl"] = data
    manifest = json.loads(members["manifest.json"])
    manifest["tables"]["sites"]["sha256"] = hashlib.sha256(data).hexdigest()
    members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(out, "w") as zf:
        for n, d in members.items():
            zf.writestr(n, d)
    return out


@pytest.mark.parametrize("values, rule", [
    ({"operating_capacity_value": 5000.0, "operating_capacity_norm": 5000.0}, "capacity_above_design"),
    ({"operating_capacity_unit": "MW", "operating_capacity_norm": 5000.0}, "unit_category_mismatch"),
    ({"commissioned": "2026-09"}, "commissioned_in_future"),
    ({"commissioned": "2019-05"}, "commissioned_before_site"),
    ({"commissioned": "1900"}, "commissioned_too_early"),
    ({"lon": 121.5, "lat": 31.2}, "outside_district"),
    ({"status": "finished"}, "unknown_status"),
], ids=["above-design", "unit", "future", "before-site", "too-early", "outside", "status"])
def test_restore_checks_site_values_with_the_same_rules(five, tmp_path, values, rule):
    good = tmp_path / "good.zip"
    backup.backup(five, good)
    before = five.content_hash()
    bad = _tampered(good, tmp_path / "bad.zip", "E.12-1", **values)
    with pytest.raises(backup.BackupError) as exc:
        backup.restore(five, bad, accept_unsigned=True)  # hand-edited on purpose: the rules, not the signature
    assert exc.value.rule == rule and "E.12-1" in str(exc.value)
    assert five.content_hash() == before


def test_restore_carries_proposals_and_accepted_values(five, official, planner, tmp_path):
    """A confirmed 5000 t/d passes restore (the backup's audit shows the planner accepted it); a
    pending proposal comes back pending and still counts in no total.  (The jump rule is about an
    edit — previous vs new value — so a restored row, which has no previous value, is not checked for it.)"""
    v = five.get_site("E.12-1")["version"]
    first = five.update_site(official, "E.12-1", {"operating_capacity_value": 5000, "operating_capacity_unit": "t/d"},
                             v, "复核过", insist=True)["proposal"]
    five.confirm_proposal(planner, first["id"])
    pending = five.update_site(official, "E.12-2", {"operating_capacity_value": 300, "operating_capacity_unit": "t/d"},
                               five.get_site("E.12-2")["version"], "新线投产", insist=True)["proposal"]
    path = tmp_path / "b.zip"
    manifest = backup.backup(five, path)
    assert manifest["tables"]["proposals"]["rows"] == 2
    total = _wet(five)
    five.reject_proposal(planner, pending["id"], "moved on")  # the database moves on …
    summary = backup.restore(five, path, accept_unsigned=True)  # … and comes back
    assert summary.counts["proposals"] == 2
    assert [p["id"] for p in five.proposals()] == [pending["id"]] and five.pending_site_ids() == {"E.12-2"}
    assert five.get_site("E.12-1")["operating_capacity_norm"] == 5000.0 and _wet(five) == total == 5002.0


def test_restore_refuses_a_damaged_proposal(five, official, tmp_path):
    five.update_site(official, "E.12-1", {"commissioned": "2019"}, five.get_site("E.12-1")["version"], "老厂", insist=True)
    good = tmp_path / "good.zip"
    backup.backup(five, good)
    with zipfile.ZipFile(good) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    row = json.loads(members["tables/proposals.jsonl"])
    row["changes"] = json.dumps({"commissioned": "2099"})
    data = (json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n").encode()
    members["tables/proposals.jsonl"] = data
    manifest = json.loads(members["manifest.json"])
    manifest["tables"]["proposals"]["sha256"] = hashlib.sha256(data).hexdigest()
    members["manifest.json"] = json.dumps(manifest).encode()
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        for n, d in members.items():
            zf.writestr(n, d)
    with pytest.raises(backup.BackupError) as exc:
        backup.restore(five, bad, accept_unsigned=True)
    assert exc.value.rule == "commissioned_in_future"


# --- the command line ---------------------------------------------------------------------------------
@pytest.fixture
def cli_env(sqlite_url, monkeypatch, site_record):
    monkeypatch.setenv("WUFEI_DB_URL", sqlite_url)
    s = Store.open(sqlite_url, seed=False, settings=Settings(db_url=sqlite_url))
    s.seed([
        site_record("E.99-1", capacity_value=5.0, capacity_unit="t/d", capacity_norm=5.0, capacity_components=[]),
        site_record("E.99-2", capacity_value=None, capacity_unit=None, capacity_norm=None, capacity_components=[]),
    ])
    auth.create_user(s, "xiayang", "town_official", "310118001", TEST_PASSWORD)
    auth.create_user(s, "planner", "planner", None, TEST_PASSWORD)
    planner = auth.authenticate(s, "planner", TEST_PASSWORD)
    s.update_site(planner, "E.99-2", {"operating_capacity_value": 2, "operating_capacity_unit": "t/d"}, 1)
    yield s
    s.close()


def run(monkeypatch, capsys, *argv):
    monkeypatch.setattr(sys, "stdin", io.StringIO(TEST_PASSWORD + "\n"))
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("args, rule", [
    (["--operating-capacity", "5000", "--unit", "t/d"], "capacity_above_design"),
    (["--operating-capacity", "5", "--unit", "MW"], "unit_category_mismatch"),
    (["--commissioned", "2099-01"], "commissioned_in_future"),
    (["--commissioned", "2020-12"], "commissioned_before_site"),
    (["--lon", IN_XUJING[0], "--lat", IN_XUJING[1]], "outside_own_zone"),
], ids=["above-design", "unit", "future", "before-site", "other-town"])
def test_cli_edit_refuses_each_rule_with_its_key(cli_env, monkeypatch, capsys, args, rule):
    code, _, err = run(monkeypatch, capsys, "edit", "E.99-1", *args, "--user", "xiayang", "--password-stdin")
    assert code == 1 and f" [{rule}]: " in err
    assert cli_env.get_site("E.99-1")["version"] == 1


def test_cli_jump_insist_list_confirm_reject_and_design(cli_env, monkeypatch, capsys):
    code, _, err = run(monkeypatch, capsys, "edit", "E.99-2", "--operating-capacity", "30", "--unit", "t/d",
                       "--user", "xiayang", "--password-stdin")
    assert code == 1 and "[capacity_jump]" in err and "--insist" in err
    code, out, _ = run(monkeypatch, capsys, "edit", "E.99-2", "--operating-capacity", "30", "--unit", "t/d",
                       "--insist", "--note", "新线投产", "--user", "xiayang", "--password-stdin")
    assert code == 0 and "待核实 proposal #1" in out and cli_env.get_site("E.99-2")["operating_capacity_norm"] == 2.0
    code, out, _ = run(monkeypatch, capsys, "proposals", "list")
    assert code == 0 and "#1  pending  E.99-2" in out and "capacity_jump" in out and "新线投产" in out
    code, out, _ = run(monkeypatch, capsys, "proposals", "list", "--json")
    assert json.loads(out)[0]["new_values"]["operating_capacity_norm"] == 30.0
    code, _, err = run(monkeypatch, capsys, "proposals", "confirm", "1", "--user", "xiayang", "--password-stdin")
    assert code == 1 and "[decide_role]" in err
    code, out, _ = run(monkeypatch, capsys, "proposals", "confirm", "1", "--note", "核实", "--user", "planner",
                       "--password-stdin")
    assert code == 0 and cli_env.get_site("E.99-2")["operating_capacity_norm"] == 30.0
    # reject path
    run(monkeypatch, capsys, "edit", "E.99-1", "--commissioned", "2019", "--insist", "--note", "老厂",
        "--user", "xiayang", "--password-stdin")
    code, out, _ = run(monkeypatch, capsys, "proposals", "reject", "2", "--note", "不是老厂", "--user", "planner",
                       "--password-stdin")
    assert code == 0 and cli_env.proposals(status="rejected")[0]["id"] == 2 and cli_env.get_site("E.99-1")["commissioned"] is None
    # design capacity: planners only, with a source
    code, _, err = run(monkeypatch, capsys, "design-capacity", "E.99-2", "40", "t/d", "--note", "台账",
                       "--user", "xiayang", "--password-stdin")
    assert code == 1 and "[design_role]" in err
    code, out, _ = run(monkeypatch, capsys, "design-capacity", "E.99-2", "40", "t/d", "--note", "台账",
                       "--user", "planner", "--password-stdin")
    assert code == 0 and "design capacity 40 t/d" in out and cli_env.get_site("E.99-2")["capacity_norm"] == 40.0
