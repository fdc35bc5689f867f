"""Issue 12: the per-town update workbook round trip — download, an official edits it with openpyxl
(a status chosen from the sheet's own dropdown, two rows confirmed), the dry run shows exactly
those changes, apply.  On the plan's own seed (SQLite)."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from wufei_geo import auth, i18n
from wufei_geo.config import Settings
from wufei_geo.io import bulk_import, excel
from wufei_geo.store import Store

TOWN = "310118105"  # 赵巷镇: five sites in the plan's seed
PW = "correct horse battery"


@pytest.fixture
def seeded(sqlite_url, clock):
    s = Store.open(sqlite_url, settings=Settings(db_url=sqlite_url), clock=clock)
    auth.create_user(s, "zhaoxiang", "town_official", TOWN, PW)
    auth.create_user(s, "other", "town_official", "310118107", PW)
    yield s
    s.close()


def _dropdown(ws, column_letter: str) -> list[str]:
    (dv,) = [dv for dv in ws.data_validations.dataValidation if column_letter + "2" in str(dv.sqref)]
    assert dv.type == "list"
    return dv.formula1.strip('"').split(",")


def test_workbook_round_trip(seeded):
    official = auth.authenticate(seeded, "zhaoxiang", PW)
    frame = seeded.sites_frame()
    mine = sorted(frame.loc[frame["town_code"] == TOWN, "site_id"])
    assert len(mine) >= 3
    data = excel.town_workbook(frame, TOWN, "赵巷镇", {"id": 1, "title": "春季核实", "deadline": "2026-03-31"}, 12)

    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    col = {bulk_import._header_code(h): i for i, h in enumerate(headers)}
    assert headers[col["status"]] == "状态 (status)"  # Chinese labels, the code for the import
    assert [ws.cell(i + 2, col["site_id"] + 1).value for i in range(len(mine))] == mine
    assert ws.protection.sheet
    assert ws.cell(2, col["site_id"] + 1).protection.locked and ws.cell(2, col["version"] + 1).protection.locked
    assert not ws.cell(2, col["status"] + 1).protection.locked and not ws.cell(2, col["confirm"] + 1).protection.locked
    assert "说明 instructions" in wb.sheetnames
    status_letter = ws.cell(1, col["status"] + 1).column_letter
    choices = _dropdown(ws, status_letter)
    assert choices == [i18n.status_label(s, "zh") for s in ("planned", "under_construction", "commissioning", "operating",
                                                             "suspended", "cancelled", "decommissioned")]
    assert ws.cell(2, col["status"] + 1).value in choices  # current status, as its label

    # the official: a new status for the first site (from the dropdown), "是" in confirm for the next two
    first, second, third = mine[:3]
    current = ws.cell(2, col["status"] + 1).value
    new_label = next(c for c in choices if c != current and c in ("在建", "试运行", "已运行"))
    ws.cell(2, col["status"] + 1).value = new_label
    confirm_choices = _dropdown(ws, ws.cell(1, col["confirm"] + 1).column_letter)
    ws.cell(3, col["confirm"] + 1).value = confirm_choices[0]
    ws.cell(4, col["confirm"] + 1).value = confirm_choices[0]
    out = io.BytesIO()
    wb.save(out)
    edited = out.getvalue()

    before = seeded.sites_frame().to_json(), len(seeded.history())
    plan = bulk_import.plan_import(seeded, official, edited, "zhaoxiang.xlsx")
    assert plan.ok, plan.errors
    lines = [(r.site_id, d.field, d.new) for r in plan.rows for d in r.diffs]
    status_code = next(s for s in i18n.STATUS_LABELS if i18n.status_label(s, "zh") == new_label)
    assert lines == [(first, "status", status_code),
                     (second, "confirm", "确认无变化（" + i18n.status_label(frame.set_index("site_id").loc[second, "status"], "zh") + "）"),
                     (third, "confirm", "确认无变化（" + i18n.status_label(frame.set_index("site_id").loc[third, "status"], "zh") + "）")]
    assert (seeded.sites_frame().to_json(), len(seeded.history())) == before  # a dry run writes nothing

    # another town's official: every row refused, nothing written
    refused = bulk_import.apply_import(seeded, auth.authenticate(seeded, "other", PW), edited, "x.xlsx")
    assert not refused.applied and refused.errors
    assert (seeded.sites_frame().to_json(), len(seeded.history())) == before

    done = bulk_import.apply_import(seeded, official, edited, "zhaoxiang.xlsx")
    assert done.applied, done.errors
    assert seeded.get_site(first)["status"] == status_code
    for sid in (second, third):
        site = seeded.get_site(sid)
        assert site["status_confirmed_by"] == "zhaoxiang" and site["version"] == frame.set_index("site_id").loc[sid, "version"]
    untouched = mine[3:]
    for sid in untouched:
        assert seeded.get_site(sid)["status_confirmed_by"] != "zhaoxiang"
    assert sorted(h["action"] for h in seeded.history() if h["user_name"] == "zhaoxiang") == ["confirm", "confirm", "update"]
