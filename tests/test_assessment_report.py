"""``wufei-geo report --assessment``: the register's assessment as a PDF in both languages — the
summary lines, then the entries not met / not measured / awaiting judgement by department."""
from __future__ import annotations

import datetime as dt
import io
import sys

import pytest

from tests.conftest import TEST_PASSWORD
from wufei_geo import auth, cli
from wufei_geo.config import Settings
from wufei_geo.register import reporting
from wufei_geo.register.assess import assess
from wufei_geo.reports.assessment_pdf import _lines
from wufei_geo.reports.briefing_pdf import cjk_font
from wufei_geo.store import Store


def test_lines_list_what_is_owed_by_department(store, make_user):
    planner = make_user("planner")
    reporting.report_value(store, planner, "26", 2025, 40, "年报")
    rows = assess(store)
    zh = [text for _kind, text in _lines(rows, "zh", dt.date(2025, 12, 31), dt.date(2026, 3, 1))]
    assert "62 项指标：已达标 0，未达标 2，未测量 43，待判断 17" in zh  # #26 and #43 (0 of 1 无废水乡镇)
    i = zh.index("未达标（41 项），按责任部门")  # 2 indicators, 39 targets (no sites or places in this store)
    assert zh[i + 1] == "区绿化市容局（1）" and zh[i + 2].startswith("26  生活垃圾回收利用率 — 40 % (2025) / 45")
    assert any(line.startswith("区生态环境局（") for line in zh)
    en = [text for _kind, text in _lines(rows, "en", dt.date(2025, 12, 31), dt.date(2026, 3, 1))]
    assert "62 indicators: met 0, not met 2, not measured 43, needs judgement 17" in en
    assert "No department named in the plan (1)" in en  # #11


@pytest.mark.skipif(cjk_font() is None, reason="no CJK font on this machine")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_cli_writes_the_assessment_pdf(sqlite_url, monkeypatch, capsys, tmp_path, lang):
    monkeypatch.setenv("WUFEI_DB_URL", sqlite_url)
    Store.open(sqlite_url, seed=False, settings=Settings(db_url=sqlite_url)).close()
    out = tmp_path / f"a-{lang}.pdf"
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert cli.main(["--lang", lang, "report", "--assessment", "-o", str(out), "--as-of", "2025-12-31"]) == 0
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 5000
    assert auth  # the module is imported for the fixtures' bcrypt speed-up
    assert TEST_PASSWORD


def test_workbook_has_a_register_sheet(store, make_user):
    import openpyxl
    import pandas as pd

    from wufei_geo.reports.workbook import workbook_bytes

    planner = make_user("planner")
    reporting.report_value(store, planner, "27", 2025, 210, "年报")
    data = workbook_bytes([], [], pd.DataFrame(columns=["site_id"]), lang="en", register=assess(store))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["Register (assessment)"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:4] == ("No.", "Kind", "Area", "Indicator or target") and len(rows) == 103
    row27 = next(r for r in rows if r[0] == "27")
    assert (row27[7], row27[8], row27[12].lower()) == (210, 2025, "met")
    assert next(r for r in rows if r[0] == "26")[7] is None  # never 0
