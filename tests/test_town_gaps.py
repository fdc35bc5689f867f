"""The town gap table: the core's rows (unknown stays unknown), the 街镇 page and the workbook."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from wufei_geo import analysis
from wufei_geo.analysis.gaps import town_gaps
from wufei_geo.catalog import load_catalog
from wufei_geo.reports.texts import TOWN_GAP_COLUMNS, town_gap_rows
from wufei_geo.reports.workbook import workbook_bytes
from wufei_geo.store import Store

XUJING, HUAXIN = "310118106", "310118107"


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('gaps') / 'w.sqlite'}")
    catalog = load_catalog(store)
    cards = analysis.town_scorecards(catalog.sites, catalog.targets, catalog.towns)
    yield catalog, cards
    store.close()


def test_unknown_stays_unknown_and_bounds_are_said(shipped):
    catalog, cards = shipped
    gaps = {g.town_code: g for g in town_gaps(catalog.sites, cards)}
    assert len(gaps) == 11
    xujing = gaps[XUJING]  # only the 徐泾 market, of unknown capacity
    assert xujing.registered_tpd is None and xujing.registered_unknown_sites == ("E.13-5",)
    assert xujing.gap_tpd is None  # not "generation − 0"
    huaxin = gaps[HUAXIN]  # 80 t/d known + the 华新 market unknown: the gap is at most generation − 80
    assert huaxin.registered_tpd == 80 and huaxin.gap_upper_bound
    card = next(c for c in cards if c.town_code == HUAXIN)
    assert huaxin.gap_tpd == pytest.approx(max(card.generation.generation_tpd - 80, 0), abs=0.01)
    assert "wet_waste" in huaxin.types_present and "wet_waste" not in huaxin.types_missing
    assert set(huaxin.undated_sites) <= set(catalog.sites["site_id"])
    rows = {r[0]: r for r in town_gap_rows(gaps.values(), "zh")}
    assert rows["徐泾镇"][TOWN_GAP_COLUMNS.index("gap_registered_tpd")] is None  # shown 未知, sorted as missing


def test_the_workbook_has_the_town_gap_sheet(shipped):
    catalog, cards = shipped
    report = analysis.capacity_report(catalog.sites, catalog.targets)
    wb = load_workbook(io.BytesIO(workbook_bytes(report, cards, catalog.sites, lang="zh")))
    ws = wb["街镇缺口"]
    header = [c.value for c in ws[1]]
    assert header[0] == "街镇" and "缺口（吨/日，示意）" in header and "缺少的设施类别" in header
    assert ws.max_row == 12
