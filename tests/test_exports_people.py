"""Excel for people: Chinese (or English) headers, statuses and categories as words, and a second
sheet mapping every header to its stable schema name; CSV keeps the schema names."""
from __future__ import annotations

import io

import openpyxl
import pandas as pd

from wufei_geo.io import excel, layers, tabular
from wufei_geo.model import SITE_COLUMNS


def _sites() -> pd.DataFrame:
    from wufei_geo import facilities

    frame = pd.DataFrame(facilities.load_seed_sites()[:5])
    frame["version"] = 1
    return frame


def test_xlsx_in_chinese_has_labels_words_and_a_header_map():
    layer = layers.sites_layer(_sites())
    wb = openpyxl.load_workbook(io.BytesIO(excel.to_xlsx_bytes("sites", layer, "zh")))
    assert wb.sheetnames == ["站点", "表头对照"]
    header = [c.value for c in wb["站点"][1]]
    assert header[:3] == ["站点编号", "规划项目", "名称（中文）"] and "状态" in header and "类别" in header
    assert not [h for h in header if h in SITE_COLUMNS]  # no schema name as a header
    rows = list(wb["站点"].iter_rows(min_row=2, values_only=True))
    status = {r[header.index("状态")] for r in rows}
    assert status <= {"规划中", "在建", "试运行", "已运行", "暂停", "取消", "已关停"}
    assert {r[header.index("类别")] for r in rows} <= {"转运站", "湿垃圾处理", "建筑垃圾资源化", "污泥处置", "光伏",
                                                       "危险废物", "两网融合中转站", "压缩站", "医疗废物", "大件垃圾",
                                                       "非正规堆放点整治"}
    mapping = {r[0]: r[1] for r in wb["表头对照"].iter_rows(min_row=2, values_only=True)}
    assert mapping["状态"] == "status" and mapping["站点编号"] == "site_id"
    assert set(mapping) == set(header)


def test_xlsx_in_english_and_csv_keeps_schema_names():
    layer = layers.sites_layer(_sites())
    wb = openpyxl.load_workbook(io.BytesIO(excel.to_xlsx_bytes("sites", layer, "en")))
    assert wb.sheetnames == ["Sites", "Headers"]
    header = [c.value for c in wb["Sites"][1]]
    assert "Status" in header and "status" not in header
    csv_header = tabular.to_csv_bytes("sites", layer).decode("utf-8-sig").splitlines()[0].split(",")
    assert csv_header[: len(SITE_COLUMNS)] == list(SITE_COLUMNS)
