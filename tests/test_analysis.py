"""analysis: every number of capacity vs targets and the town scorecards.

Part 1 uses small frames built here (rules one at a time); part 2 uses the shipped data
(facilities/ seeded into a fresh store) with the expected numbers derived by hand from the
plan (青府发〔2022〕53号 附表3) in the comments; part 3 changes a status through
``Store.update_site`` and sees the totals, the year and the scorecard move.
"""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from wufei_geo import analysis
from wufei_geo.config import GenerationParameters
from wufei_geo.model import SITE_COLUMNS, STATUSES

TODAY = dt.date(2024, 6, 1)
ZHAOXIANG, HUAXIN, CHONGGU, ZHUJIAJIAO, XUJING = "310118105", "310118107", "310118109", "310118102", "310118106"


def site(**kw: object) -> dict:
    row = {c: None for c in SITE_COLUMNS}
    row.update(status="planned", target_status="operating", retired=False, version=1)
    row.update(kw)
    return row


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(SITE_COLUMNS))


def target(**kw: object) -> dict:
    row = {"level": "district", "town_code": None, "wet_waste_mode": None, "project_ids": "", "target_year": 2025}
    row.update(kw)
    return row


WET_600 = target(target_id="T-wet", category="wet_waste", measure="capacity", target_value=600, unit="t/d")


def by_id(report: list[analysis.TargetProgress], tid: str) -> analysis.TargetProgress:
    return next(r for r in report if r.id == tid)


# --------------------------------------------------------------------------- part 1: rules
def test_capacity_by_status_unknown_never_zero_and_halted_separate() -> None:
    sites = frame(
        site(site_id="A", category="wet_waste", wet_waste_mode="centralised", capacity_norm=400.0, target_year=2025),
        site(site_id="B", category="wet_waste", wet_waste_mode="on_site", capacity_norm=5.0, status="under_construction",
             target_year=2025),
        site(site_id="C", category="wet_waste", wet_waste_mode="on_site", capacity_norm=None, target_year=2025),
        site(site_id="D", category="wet_waste", wet_waste_mode="on_site", capacity_norm=7.0, status="suspended",
             target_year=2025),
        site(site_id="E", category="wet_waste", wet_waste_mode="on_site", capacity_norm=9.0, status="cancelled",
             target_year=2025),
        site(site_id="P", category="pv", capacity_norm=100.0),
    )
    (wet,) = analysis.capacity_report(sites, [WET_600], today=TODAY)
    assert wet.by_status["planned"] == 400
    assert wet.by_status["under_construction"] == 5
    assert wet.by_status["suspended"] == 7 and wet.by_status["cancelled"] == 9
    assert wet.registered == 405  # 400 + 5; suspended/cancelled do not count
    assert wet.achieved == 0 and wet.gap == 600
    assert wet.unknown_capacity_sites == {"count": 1, "ids": ["C"]}
    assert wet.sites == ["A", "B", "C", "D", "E"]
    assert wet.state == "in_progress"  # B is under construction
    assert wet.by_mode["centralised"]["planned"] == 400 and wet.by_mode["on_site"]["under_construction"] == 5
    assert set(wet.by_status) == set(STATUSES)


def test_operating_capacity_wins_for_operating_sites_only() -> None:
    sites = frame(
        site(site_id="A", category="wet_waste", capacity_norm=600.0, operating_capacity_norm=450.0,
             status="operating", commissioned="2023-04"),
        site(site_id="B", category="wet_waste", capacity_norm=80.0, operating_capacity_norm=60.0, status="planned"),
    )
    (wet,) = analysis.capacity_report(sites, [WET_600], today=TODAY)
    assert wet.by_status["operating"] == 450 and wet.by_status["planned"] == 80
    assert wet.achieved == 450 and wet.share == 0.75


def test_counts_toward_chooses_the_wet_waste_sites() -> None:
    sites = frame(
        site(site_id="A", category="wet_waste", wet_waste_mode="centralised", capacity_norm=600.0),
        site(site_id="B", category="wet_waste", wet_waste_mode="on_site", capacity_norm=5.0),
        site(site_id="C", category="wet_waste", wet_waste_mode="on_site"),
    )
    all_ = analysis.capacity_report(sites, [WET_600], today=TODAY)[0]
    central = analysis.capacity_report(sites, [WET_600], counts_toward="centralised", today=TODAY)[0]
    onsite = analysis.capacity_report(sites, [WET_600], counts_toward="on_site", today=TODAY)[0]
    assert (all_.registered, central.registered, onsite.registered) == (605, 600, 5)
    assert (all_.unknown_capacity_sites["count"], central.unknown_capacity_sites["count"],
            onsite.unknown_capacity_sites["count"]) == (1, 0, 1)
    assert central.counts_toward == "centralised" and central.sites == ["A"]
    with pytest.raises(ValueError, match="counts_toward"):
        analysis.capacity_report(sites, [WET_600], counts_toward="some")


def test_projection_year_reached_and_overdue_sites() -> None:
    sites = frame(
        # operating since 2022: counted from its commissioning year
        site(site_id="A", category="wet_waste", capacity_norm=200.0, status="operating", commissioned="2022-12-01",
             target_year=2022),
        # planned for 2023, not done by 2024-06: overdue, projected to 2024 at the earliest
        site(site_id="B", category="wet_waste", capacity_norm=300.0, target_year=2023),
        site(site_id="C", category="wet_waste", capacity_norm=150.0, target_year=2026),
        site(site_id="D", category="wet_waste", capacity_norm=50.0, target_year=None),
    )
    (wet,) = analysis.capacity_report(sites, [WET_600], today=TODAY)
    cumulative = {p["year"]: p["cumulative"] for p in wet.projection}
    assert cumulative == {2021: 0, 2022: 200, 2023: 200, 2024: 500, 2025: 500, 2026: 650}
    assert wet.projection[-1]["by_status"] == {"planned": 450, "under_construction": 0, "commissioning": 0,
                                               "operating": 200}
    assert wet.year_reached == 2026 and wet.reached_by_target_year is False
    assert wet.overdue_sites == ["B"]
    assert wet.undated_sites == ["D"]
    # year passed, goal not met → the target itself is overdue once 2025 is over
    assert not wet.overdue
    (later,) = analysis.capacity_report(sites, [WET_600], today=dt.date(2026, 1, 2))
    assert later.overdue and later.overdue_sites == ["B"]


def test_count_measures_villages_closures_and_served() -> None:
    sites = frame(
        site(site_id="V1", project_id="E.12", category="wet_waste", wet_waste_mode="on_site", village="中步村",
             town_code=ZHAOXIANG, status="operating", commissioned="2023"),
        site(site_id="V2", project_id="E.12", category="wet_waste", wet_waste_mode="on_site", village="中步村",
             town_code=ZHAOXIANG),
        site(site_id="V3", project_id="E.12", category="wet_waste", wet_waste_mode="on_site", village="徐姚村",
             town_code=CHONGGU),
        site(site_id="M1", project_id="E.13", category="wet_waste", wet_waste_mode="on_site", town_code=HUAXIN),
        site(site_id="K1", project_id="E.9", category="compression_station", town_code=ZHAOXIANG,
             target_status="decommissioned", status="decommissioned", target_year=2021, status_as_of="2021-11-30"),
        site(site_id="K2", project_id="E.9", category="compression_station", town_code=HUAXIN,
             target_status="decommissioned", target_year=2021),
        site(site_id="Q", project_id="E.10", category="transfer_station", served_towns=f"{ZHUJIAJIAO};310118103",
             target_year=2022),
    )
    targets = [
        target(target_id="villages", category="wet_waste", wet_waste_mode="on_site", measure="village_count",
               target_value=50, unit="villages"),
        target(target_id="closures", category="compression_station", measure="closure_count", target_value=2,
               unit="sites", project_ids="E.9", target_year=2021),
        target(target_id="zx-close", level="town", town_code=ZHAOXIANG, category="compression_station",
               measure="closure_count", target_value=1, unit="sites", project_ids="E.9", target_year=2021),
        target(target_id="hx-close", level="town", town_code=int(HUAXIN), category="compression_station",
               measure="closure_count", target_value=1, unit="sites", project_ids="E.9", target_year=2021),
        target(target_id="zjj-served", level="town", town_code=float(ZHUJIAJIAO), category="transfer_station",
               measure="served", target_value=1, unit="town", project_ids="E.10", target_year=2022),
        target(target_id="zx-blocks", level="town", town_code=ZHAOXIANG, category="zero_waste_block",
               measure="untracked", target_value=2, unit="blocks"),
    ]
    report = analysis.capacity_report(sites, targets, today=TODAY)
    assert [r.id for r in report] == ["villages", "closures"]  # town-level targets are in the scorecards
    villages = by_id(report, "villages")
    # 中步村 counted once, at its most advanced status (operating); 徐姚村 planned; market M1 has no village
    assert villages.by_status["operating"] == 1 and villages.by_status["planned"] == 1
    assert villages.achieved == 1 and villages.registered == 2 and villages.gap == 49
    closures = by_id(report, "closures")
    assert closures.achieved == 1 and closures.registered == 2 and closures.state == "in_progress"
    assert closures.overdue and closures.overdue_sites == ["K2"]
    assert closures.year_reached == 2024  # K1 in 2021, K2 overdue → this year at the earliest

    towns = pd.DataFrame([
        {"town_code": ZHAOXIANG, "name_zh": "赵巷镇", "name_en": "Zhaoxiang Town", "population": None,
         "population_note": "not found"},
        {"town_code": HUAXIN, "name_zh": "华新镇", "name_en": "Huaxin Town", "population": 212000,
         "population_note": "2021-06 permanent residents (gb1.cn)"},
        {"town_code": ZHUJIAJIAO, "name_zh": "朱家角镇", "name_en": "Zhujiajiao Town", "population": 95536,
         "population_note": "2017 (en.wikipedia)"},
        {"town_code": XUJING, "name_zh": "徐泾镇", "name_en": "Xujing Town", "population": 211590,
         "population_note": "2021"},
    ])
    cards = {c.town_code: c for c in analysis.town_scorecards(sites, targets, towns, today=TODAY)}
    zx, hx, zjj, xj = cards[ZHAOXIANG], cards[HUAXIN], cards[ZHUJIAJIAO], cards[XUJING]
    assert [t.id for t in zx.targets] == ["zx-close", "zx-blocks"]
    assert zx.targets[0].state == "met" and zx.targets[1].state == "untracked"
    assert zx.state == "met" and zx.counts == {"met": 1, "in_progress": 0, "not_started": 0, "untracked": 1}
    assert hx.targets[0].state == "not_started" and hx.targets[0].overdue and hx.state == "not_started"
    assert zjj.targets[0].state == "not_started" and zjj.targets[0].sites == ["Q"]
    assert xj.state == "no_target" and xj.sites == []
    assert sorted(zx.sites) == ["K1", "V1", "V2"]
    assert zx.generation is None  # population unknown: no estimate, never 0
    # 华新 212,000 × 1.1 kg × 0.348 / 1000 = 81.1536 t/d; its only wet site (M1) has unknown capacity
    assert hx.generation is not None and hx.generation.generation_tpd == pytest.approx(81.154, abs=1e-3)
    assert hx.generation.capacity_registered_tpd == 0 and hx.generation.unknown_capacity_sites == 1
    assert hx.generation.indicative and "mixed" in hx.generation.caveat_en
    assert hx.population_note == "2021-06 permanent residents (gb1.cn)"


def test_generation_estimate_uses_the_parameters() -> None:
    params = GenerationParameters(per_capita_kg_day=1.0, wet_share=0.5)
    est = analysis.generation_estimate(100_000, "2020 census", params, capacity_registered_tpd=25.0)
    assert est is not None
    assert est.generation_tpd == 50.0  # 100,000 × 1.0 kg × 0.5 = 50 t/d
    assert est.coverage_registered == 0.5 and est.population_note == "2020 census"
    assert analysis.generation_estimate(None, None, params) is None
    assert analysis.generation_estimate(float("nan"), None, params) is None


def test_town_measures_keep_unknown_as_none() -> None:
    sites = frame(site(site_id="W", category="wet_waste", town_code=HUAXIN, capacity_norm=80.0))
    towns = pd.DataFrame([
        {"code": HUAXIN, "name_zh": "华新镇", "name_en": "Huaxin", "population": 212000, "population_note": "x"},
        {"code": ZHAOXIANG, "name_zh": "赵巷镇", "name_en": "Zhaoxiang", "population": None, "population_note": None},
    ])
    table = analysis.town_measures(analysis.town_scorecards(sites, [], towns, today=TODAY)).set_index("town_code")
    assert table.loc[HUAXIN, "wet_waste_registered_tpd"] == 80
    assert table.loc[HUAXIN, "generation_tpd"] == pytest.approx(81.154, abs=1e-3)
    assert pd.isna(table.loc[ZHAOXIANG, "generation_tpd"])
    assert pd.isna(table.loc[ZHAOXIANG, "targets_met_share"])  # no target: unknown, not 0 %


def test_retired_sites_do_not_count_and_json_round_trips() -> None:
    sites = frame(
        site(site_id="A", category="wet_waste", capacity_norm=100.0),
        site(site_id="R", category="wet_waste", capacity_norm=900.0, retired=True),
    )
    (wet,) = analysis.capacity_report(sites, [WET_600], today=TODAY)
    assert wet.registered == 100 and wet.sites == ["A"]
    data = json.loads(json.dumps(wet.to_dict()))
    for key in ("id", "category", "target", "unit", "by_status", "unknown_capacity_sites", "sites"):
        assert key in data
    assert data["by_status"]["planned"] == 100
