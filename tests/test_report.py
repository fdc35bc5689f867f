"""report: the Excel workbook, the capacity chart's definition, the report files by suffix (the
HTML briefing is retired: one briefing, the PDF) and the scorecard choropleth."""
from __future__ import annotations

import datetime as dt
import os
from html import escape
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from shapely.geometry import box

from wufei_geo import analysis
from wufei_geo.config import GenerationParameters
from wufei_geo.model import SITE_COLUMNS
from wufei_geo.palette import UNKNOWN_COLOUR
from wufei_geo.reports import chart, choropleth, downloads

TODAY = dt.date(2024, 6, 1)
HOSTILE = '<img src=x onerror=alert(1)>"><script>alert(1)</script>'
HUAXIN, ZHAOXIANG = "310118107", "310118105"


def _site(**kw: object) -> dict:
    row = {c: None for c in SITE_COLUMNS}
    row.update(status="planned", target_status="operating", retired=False, version=1, target_year=2025)
    row.update(kw)
    return row


@pytest.fixture()
def data() -> tuple[list[analysis.TargetProgress], list[analysis.TownScorecard], pd.DataFrame, pd.DataFrame]:
    sites = pd.DataFrame(
        [
            _site(site_id="E.11-1", project_id="E.11", name_zh="国清综合处理厂", category="wet_waste",
                  wet_waste_mode="centralised", capacity_norm=600.0, capacity_norm_unit="t/d",
                  # expected mid-2025, status confirmed a month before TODAY: placed in 2025 by the forecast
                  expected_commissioning="2025-06", status_confirmed_at="2024-05-01"),
            _site(site_id="E.12-2", project_id="E.12", name_zh=HOSTILE, category="wet_waste", wet_waste_mode="on_site",
                  town_code=HUAXIN, village="嵩山村", capacity_norm=80.0, capacity_norm_unit="t/d",
                  status="operating", commissioned="2023-03", data_note="=HYPERLINK(\"http://x\")"),
            _site(site_id="E.13-1", project_id="E.13", name_zh="华新菜场", category="wet_waste",
                  wet_waste_mode="on_site", town_code=HUAXIN),
            _site(site_id="E.40-1", project_id="E.40", name_zh="区政府大院光伏", category="pv", capacity_norm=242.0,
                  capacity_norm_unit="kW", target_year=2022),
        ],
        columns=list(SITE_COLUMNS),
    )
    targets = [
        {"target_id": "D-wet", "level": "district", "category": "wet_waste", "measure": "capacity",
         "target_value": 600, "unit": "t/d", "target_year": 2025, "description_zh": "湿垃圾总处理能力",
         "description_en": "Total wet-waste treatment capacity", "source_ref": "正文"},
        {"target_id": "D-pv", "level": "district", "category": "pv", "measure": "capacity",
         "target_value": 300000, "unit": "kW", "target_year": 2025, "description_zh": HOSTILE,
         "description_en": HOSTILE, "source_ref": "正文"},
        {"target_id": "T-hx", "level": "town", "town_code": HUAXIN, "category": "wet_waste",
         "wet_waste_mode": "on_site", "measure": "site_count", "target_value": 2, "unit": "sites",
         "target_year": 2025, "project_ids": "E.12;E.13", "description_zh": "华新就地处置", "description_en": "x"},
    ]
    towns = pd.DataFrame([
        {"town_code": HUAXIN, "name_zh": "华新镇", "name_en": "Huaxin Town", "population": 212000,
         "population_note": "2021-06 permanent residents"},
        {"town_code": ZHAOXIANG, "name_zh": "赵巷镇", "name_en": HOSTILE, "population": None,
         "population_note": None},
    ])
    rep = analysis.capacity_report(sites, targets, today=TODAY)
    cards = analysis.town_scorecards(sites, targets, towns, GenerationParameters(), today=TODAY)
    zones = pd.DataFrame([
        {"town_code": HUAXIN, "name_zh": "华新镇", "name_en": "Huaxin", "boundary_quality": "approximate",
         "geometry": box(121.18, 31.20, 121.26, 31.28)},
        {"town_code": ZHAOXIANG, "name_zh": HOSTILE, "name_en": HOSTILE, "boundary_quality": "approximate",
         "geometry": box(121.16, 31.12, 121.22, 31.18)},
    ])
    return rep, cards, sites, zones


def _schema_headers(wb, sheet: str) -> list[str]:
    """The sheet's headers as schema names, through the workbook's header map (its last sheet)."""
    names = {(r[0], r[1]): r[2] for r in wb[wb.sheetnames[-1]].iter_rows(min_row=2, values_only=True)}
    return [names.get((sheet, c.value), c.value) for c in wb[sheet][1]]


def test_workbook_has_the_numbers(data, tmp_path: Path) -> None:
    rep, cards, sites, _ = data
    path = downloads.write_report(tmp_path / "r.xlsx", rep, cards, sites, lang="en")
    wb = load_workbook(path)
    assert wb.sheetnames == ["Targets", "Wet waste by status", "Town scorecards", "Town gaps", "Sites", "Estimate parameters",
                             "Headers"]
    targets = {row[0]: row for row in wb["Targets"].iter_rows(min_row=2, values_only=True)}
    header = _schema_headers(wb, "Targets")
    assert [c.value for c in wb["Targets"][1]][:3] == ["Id", "Level", "Town code"]  # labels for people
    wet = dict(zip(header, targets["D-wet"], strict=False))
    assert wet["target"] == 600 and wet["achieved"] == 80 and wet["registered"] == 680
    assert wet["unknown_capacity_count"] == 1 and wet["unknown_capacity_sites"] == "E.13-1"
    assert wet["level"] == "district" and wet["state"] != "not_started"  # words, not codes
    assert dict(zip(header, targets["D-pv"], strict=False))["registered"] == 242
    assert "T-hx" in targets  # town targets are listed too
    by_status = {row[0]: row for row in wb["Wet waste by status"].iter_rows(min_row=2, max_row=8, values_only=True)}
    assert by_status["Operating"][2:5] == (80, 0, 80) and by_status["Planned"][2:5] == (600, 600, 0)
    town_header = _schema_headers(wb, "Town scorecards")
    towns = {row[0]: dict(zip(town_header, row, strict=False))
             for row in wb["Town scorecards"].iter_rows(min_row=2, values_only=True)}
    assert towns[HUAXIN]["generation_tpd"] == pytest.approx(81.154, abs=1e-3)  # 212,000 × 1.1 × 0.348 / 1000
    assert towns[ZHAOXIANG]["generation_tpd"] is None
    # 华新: 80 t/d (E.12-2) and a market of unknown capacity — said the same way as on every page
    assert towns[HUAXIN]["wet_waste_tpd"] == 80 and towns[HUAXIN]["wet_waste_tpd_unknown_sites"] == "E.13-1"
    assert towns[HUAXIN]["wet_waste_tpd_text"] == "≥ 80 t/d (capacity of 1 site(s) unknown)"
    assert wet["reached_year"] is None and wet["forecast_state"] == "cannot_tell"
    assert wet["forecast_basis"] == "E.13-1"  # a market of unknown capacity could close the gap in 2024
    # a formula typed into a note stays text
    sites_ws = wb["Sites"]
    note_col = _schema_headers(wb, "Sites").index("data_note") + 1
    cell = next(sites_ws.cell(row=r, column=note_col) for r in range(2, sites_ws.max_row + 1)
                if sites_ws.cell(row=r, column=note_col).value)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_workbook_in_chinese_has_chinese_headers_and_words(data, tmp_path: Path) -> None:
    rep, cards, sites, _ = data
    wb = load_workbook(downloads.write_report(tmp_path / "r.xlsx", rep, cards, sites, lang="zh"))
    assert wb.sheetnames[-1] == "表头对照"
    targets = wb[wb.sheetnames[0]]
    header = [c.value for c in targets[1]]
    assert header[:3] == ["编号", "层级", "街镇代码"]
    assert not [h for h in header if isinstance(h, str) and h.isascii() and "_" in h]
    levels = {r[1] for r in targets.iter_rows(min_row=2, values_only=True)}
    assert levels <= {"区级", "街镇级"}
    status_rows = {r[0] for r in wb[wb.sheetnames[1]].iter_rows(min_row=2, max_row=8, values_only=True)}
    assert "已运行" in status_rows and "operating" not in status_rows


def test_unsupported_suffix_is_refused(data, tmp_path: Path) -> None:
    rep, cards, sites, _ = data
    # one briefing: the HTML briefing is retired
    with pytest.raises(ValueError, match="xlsx or .pdf"):
        downloads.write_report(tmp_path / "r.html", rep, cards, sites)
    assert not (tmp_path / "r.html").exists()


def test_chart_has_a_bar_per_status_and_the_goal_line(data) -> None:
    rep, _, _, _ = data
    drawn = chart.capacity_chart(analysis.wet_waste_progress(rep), "en")
    assert [s.status for s in drawn.series][-4:] == list(chart.CHART_STATUSES) and drawn.goal_label == "goal 600 t/d"
    # 2023: 80 operating; 2025: + 600 planned → the 2025 label reads 680; then the bar of unknown year
    labels = dict(zip(drawn.years, drawn.total_texts, strict=True))
    assert labels["2023"] == "80" and labels["2025"] == "680" and drawn.years[-1] == "year unknown"


def test_scorecard_choropleth_escapes_and_marks_unknown(data) -> None:
    _, cards, sites, zones = data
    figures = analysis.report_figures(sites, cards)
    m = choropleth.scorecard_choropleth(zones, figures, "generation_tpd", lang="en")
    html = m.get_root().render()
    assert "<img src=x onerror" not in html
    assert "unknown" in html and UNKNOWN_COLOUR in html
    # the map names its towns: every zone's name on it, escaped
    names = [str(n) for n in zones["name_en"]]
    assert html.count('wf-town-name') == len(zones)
    assert all(escape(n) in html for n in names)
    with pytest.raises(ValueError):
        choropleth.scorecard_choropleth(zones, figures, "nonsense")


def _chromium_or_skip() -> str:
    path = "/usr/bin/chromium"
    if not os.path.exists(path):
        if os.environ.get("CI"):
            pytest.fail("/usr/bin/chromium is missing in CI")
        pytest.skip("Debian chromium not installed")
    return path


