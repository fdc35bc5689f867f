"""Register values in bulk: the department workbook lists the department's indicators; a filled-in
workbook (or CSV) is checked row by row as a single value would be, and written all or nothing —
a department's row for another department's indicator refuses the whole file."""
from __future__ import annotations

import io

import openpyxl
import pytest

from tests.conftest import TEST_PASSWORD
from wufei_geo import auth
from wufei_geo.io.value_import import apply_values, department_workbook, plan_values
from wufei_geo.register import reporting

LVHUA = "区绿化市容局"


@pytest.fixture
def dept(store, clock):
    store.clock = clock
    auth.create_user(store, "lvhua", "department", None, TEST_PASSWORD, department=LVHUA)
    return auth.authenticate(store, "lvhua", TEST_PASSWORD)


def _filled(values: dict[str, tuple[str, str]]) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(department_workbook(LVHUA)))
    ws = wb.active
    for row in ws.iter_rows(min_row=2):
        if row[0].value in values:
            row[6].value, row[7].value = values[row[0].value]
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_workbook_lists_the_departments_reported_indicators():
    ws = openpyxl.load_workbook(io.BytesIO(department_workbook(LVHUA))).active
    assert ws["A1"].value == "编号 (entry_id)" and ws["G1"].value == "数值 (value)"
    assert [r[0].value for r in ws.iter_rows(min_row=2)] == ["12", "13", "25", "26", "27", "33"]


def test_import_dry_run_then_apply_all(store, dept):
    data = _filled({"26": ("41.2", "2025 年报"), "27": ("210", "2025 年报")})
    plan = plan_values(store, dept, data, "lvhua.xlsx")
    assert [r.error for r in plan.rows] == [None, None] and reporting.values(store) == []
    result = apply_values(store, dept, data, "lvhua.xlsx")
    assert result.applied
    assert sorted((v["entry_id"], v["value"]) for v in reporting.values(store)) == [("26", 41.2), ("27", 210)]


def test_a_row_of_another_department_refuses_the_whole_file(store, dept):
    csv = ("编号 (entry_id),年份 (year),数值 (value),来源 (source)\n"
           "27,2025,210,年报\n17,2025,96,年报\n").encode()
    plan = plan_values(store, dept, csv, "values.csv")
    assert plan.rows[0].error is None and "17" in plan.rows[1].error and "区生态环境局" in plan.rows[1].error
    result = apply_values(store, dept, csv, "values.csv")
    assert not result.applied and result.rows[1].error
    assert reporting.values(store, status=None) == []  # nothing written, not even row 27
