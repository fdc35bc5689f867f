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
        # planned for 2023, not done by 2024-06: overdue; no expected date, so in no year (issue 11: it
        # used to be projected to "this year", a year that came only from today's date)
        site(site_id="B", category="wet_waste", capacity_norm=300.0, target_year=2023),
        site(site_id="C", category="wet_waste", capacity_norm=150.0, target_year=2026),
        site(site_id="D", category="wet_waste", capacity_norm=50.0, target_year=None),
    )
    (wet,) = analysis.capacity_report(sites, [WET_600], today=TODAY)
    cumulative = {p["year"]: p["cumulative"] for p in wet.projection}
    # the plan's start to the target year, then the bar of capacity whose year is unknown (B, C, D)
    assert cumulative == {2021: 0, 2022: 200, 2023: 200, 2024: 200, 2025: 200, None: 500}
    assert wet.projection[-2]["by_status"] == {"planned": 0, "under_construction": 0, "commissioning": 0,
                                               "operating": 200}
    assert wet.projection[-1]["undated"] and wet.projection[-1]["by_status"]["planned"] == 500
    assert wet.reached_year is None and wet.forecast_state == "cannot_tell" and wet.reached_by_target_year is None
    assert wet.forecast_basis == ["B", "C", "D"]
    assert wet.overdue_sites == ["B"]
    assert wet.undated_sites == ["B", "C", "D"]
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
    # K1 closed by 2021 (its status date); K2 has no expected date: when both are closed cannot be told
    # (issue 11: was 2024, "this year", from today's date alone)
    assert closures.reached_year is None and closures.forecast_state == "cannot_tell"
    assert closures.forecast_basis == ["K2"]

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
    # issue 11: unknown, not 0 (M1 is 华新's only wet site and its capacity is unknown)
    assert hx.generation.capacity_registered_tpd is None and hx.generation.unknown_capacity_sites == 1
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
        {"town_code": HUAXIN, "name_zh": "华新镇", "name_en": "Huaxin", "population": 212000, "population_note": "x"},
        {"town_code": ZHAOXIANG, "name_zh": "赵巷镇", "name_en": "Zhaoxiang", "population": None, "population_note": None},
    ])
    cards = analysis.town_scorecards(sites, [], towns, today=TODAY)
    table = analysis.town_measures(analysis.town_figures(sites, towns, scorecards=cards)).set_index("town_code")
    assert table.loc[HUAXIN, "wet_waste_tpd"] == 80
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


# --------------------------------------------------------------------------- part 2: shipped data
@pytest.fixture()
def shipped(tmp_path, monkeypatch):
    """A fresh SQLite store seeded from facilities/ and the catalog everyone reads."""
    from wufei_geo.catalog import load_catalog
    from wufei_geo.store import Store

    monkeypatch.setenv("WUFEI_DB_URL", str(tmp_path / "wufei.sqlite"))
    store = Store.open()
    yield store, load_catalog
    store.close()


def _district(store, load_catalog, **kw):
    cat = load_catalog(store)
    return {r.id: r for r in analysis.capacity_report(cat.sites, cat.targets, today=TODAY, **kw)}, cat


def test_shipped_wet_waste_by_status_and_unknown(shipped) -> None:
    store, load_catalog = shipped
    report, _ = _district(store, load_catalog)
    wet = report["D-wet-waste-capacity"]
    # 附表3: E.11 扩建湿垃圾处理能力 600 t/d (centralised) + E.12 on-site 5 (中步村) + 80 (嵩山村及西郊)
    # + 10 (徐姚村) + 0.5 (毛家角村 500 kg/d) + 5 (张巷村) = 100.5 → 700.5 t/d, all 规划中 (the plan states
    # no status).  E.13's six markets and E.39's canteen units give no capacity → 7 unknown.
    assert wet.by_status == {"planned": 700.5, "under_construction": 0, "commissioning": 0, "operating": 0,
                             "suspended": 0, "cancelled": 0, "decommissioned": 0}
    assert wet.by_mode["centralised"]["planned"] == 600 and wet.by_mode["on_site"]["planned"] == 100.5
    assert wet.unknown_capacity_sites["count"] == 7
    assert sorted(wet.unknown_capacity_sites["ids"]) == [f"E.13-{i}" for i in range(1, 7)] + ["E.39-1"]
    # operating today: nothing but the existing 国清 plant upgraded by E.11, whose capacity is not known
    # (issue 11: was 0) — after the plan's projects: 700.5 t/d and 7 unknown
    assert wet.achieved is None and wet.achieved_unknown_sites == ["E.11-1"]
    assert wet.existing_capacity == {"value": None, "unknown_sites": ["E.11-1"], "complete": False}
    assert wet.registered == 700.5 and wet.target == 600
    # no status confirmed since the plan date (2022-10-28, > 12 months before 2024-06-01) and no expected
    # dates: the forecast cannot tell (issue 11: was 2025, the target year, taken as a date)
    assert wet.reached_year is None and wet.forecast_state == "cannot_tell" and wet.reached_by_target_year is None
    assert "E.11-1" in wet.forecast_basis and len(wet.forecast_basis) == len(wet.sites)
    # every year: unknown (the 国清 plant existed at an unknown capacity) — a lower bound, never 0
    assert [p["cumulative"] for p in wet.projection] == [0, 0, 0, 0, 0, 100.5]
    assert all(p["lower_bound"] and "E.11-1" in p["unknown_sites"] for p in wet.projection)
    assert [p["existing"] for p in wet.projection[:-1]] == [None] * 5
    assert wet.overdue_sites == ["E.39-1"]  # E.39 实施年限 2023, still planned on 2024-06-01
    assert len(wet.sites) == 1 + 5 + 6 + 1  # E.11, E.12 ×5, E.13 ×6, E.39

    central, _ = _district(store, load_catalog, counts_toward="centralised")
    onsite, _ = _district(store, load_catalog, counts_toward="on_site")
    assert central["D-wet-waste-capacity"].registered == 600
    assert central["D-wet-waste-capacity"].unknown_capacity_sites["count"] == 0
    assert onsite["D-wet-waste-capacity"].registered == 100.5
    # 100.5 < 600, but six markets and E.39 have unknown capacity: whether on-site alone gets there is unknown
    assert onsite["D-wet-waste-capacity"].reached_year is None
    assert onsite["D-wet-waste-capacity"].forecast_state == "cannot_tell"


def test_shipped_other_targets(shipped) -> None:
    store, load_catalog = shipped
    report, _ = _district(store, load_catalog)
    pv = report["D-pv-capacity"]
    # E.40 242 kWp + E.41 169.4 KW + E.42 2.369 MW (= 2369 kW) + E.43 22.8 KW + E.44 1479.6 KW = 4282.8 kW
    # against 300 MW = 300,000 kW: 4282.8 / 300000 = 1.4276 %, gap 295,717.2 kW
    assert pv.registered == 4282.8 and pv.target == 300000 and pv.unit == "kW"
    assert pv.registered_share == pytest.approx(0.014276, abs=1e-6)
    assert pv.registered_gap == pytest.approx(295717.2)
    assert pv.achieved == 0 and pv.gap == 300000 and pv.reached_year is None
    assert pv.forecast_state == "not_reachable" and pv.forecast_basis == []  # every PV capacity is known
    # E.21: 50 万吨/年 = 500,000 t/yr, 实施年限 2021 → overdue; no expected date → cannot tell
    # (issue 11: was 2024, "this year")
    cw = report["D-construction-waste-capacity"]
    assert cw.registered == 500000 and cw.overdue_sites == ["E.21-1"] and cw.reached_year is None
    assert cw.forecast_state == "cannot_tell" and cw.forecast_basis == ["E.21-1"]
    # E.8 sludge phase 1 300 t/d, in formal production since end-2021 (facility-facts.md) → met in 2021
    sludge = report["D-sludge-capacity"]
    assert sludge.by_status["operating"] == 300 and sludge.state == "met" and sludge.reached_year == 2021
    assert sludge.forecast_state == "reached" and sludge.forecast_basis == []
    # E.9: six stations to close by 2021, none recorded closed → overdue, not started
    closures = report["D-compression-closures"]
    assert closures.by_status["planned"] == 6 and closures.achieved == 0
    assert closures.overdue and closures.state == "not_started"
    assert report["D-recyclables-hubs"].registered == 3  # E.15: 赵巷, 徐泾, 金泽
    # ≥ 50 villages whose wet waste is treated within their town: no facility lists the villages it serves
    # yet → not yet measured (issue 11: was "5 of 50", the villages that host an E.12 site)
    villages = report["D-wet-waste-villages"]
    assert villages.measure == "served_village_count" and not villages.measured
    assert villages.state == "unmeasured" and villages.registered is None and villages.achieved is None
    assert villages.forecast_state == "unmeasured" and villages.reached_year is None
    assert report["D-market-wet-waste"].registered == 6  # E.13's six markets


# Town scorecards from 附表3 (E.9 closures, E.10 served towns, E.12 villages, E.13 markets, E.15 hubs)
# and 附表2 C.2 (two zero-waste blocks per town: counted from approved places since issue 24 — none
# on a fresh store).  Nothing is under way in the plan, so every town target is not_started; the
# numbers below are the site targets, C.2 comes on top in every town.
#   town: (tracked targets, sites located in the town)
EXPECTED_TOWNS = {
    "310118001": (0, 1),  # 夏阳: E.40 PV at the district government compound
    "310118002": (0, 0),  # 盈浦
    "310118003": (0, 0),  # 香花桥
    "310118102": (3, 2),  # 朱家角: E.12 张巷村, E.13 朱家角菜场, E.10 served | sites E.12-5, E.13-6
    "310118103": (1, 0),  # 练塘: E.10 served
    "310118104": (3, 2),  # 金泽: E.15, E.9, E.10 served | sites E.9-6, E.15-3
    "310118105": (4, 5),  # 赵巷: E.12 中步村, E.13, E.15, E.9 | E.9-1, E.12-1, E.13-2, E.15-1, E.43-1
    "310118106": (3, 3),  # 徐泾: E.13 徐泾菜市场, E.15, E.9 | E.9-2, E.13-5, E.15-2
    "310118107": (3, 4),  # 华新: E.12 嵩山村, E.13, E.9 | E.9-3, E.12-2, E.13-1, E.44-1
    "310118109": (3, 4),  # 重固: E.12 徐姚村+毛家角村, E.13, E.9 | E.9-4, E.12-3, E.12-4, E.13-3
    "310118110": (1, 1),  # 白鹤: E.9 | E.9-5
}


def test_shipped_town_scorecards(shipped) -> None:
    store, load_catalog = shipped
    cat = load_catalog(store)
    cards = {c.town_code: c for c in analysis.town_scorecards(cat.sites, cat.targets, cat.towns,
                                                              GenerationParameters(), today=TODAY)}
    assert set(cards) == set(EXPECTED_TOWNS)
    for code, (tracked, n_sites) in EXPECTED_TOWNS.items():
        card = cards[code]
        assert card.counts == {"met": 0, "in_progress": 0, "not_started": tracked + 1, "untracked": 0}, code
        assert card.state == "not_started", code
        assert len(card.sites) == n_sites, (code, card.sites)
    # 重固: two villages planned (徐姚村 10 t/d, 毛家角村 0.5 t/d) → 10.5 t/d located there
    chonggu = cards["310118109"]
    villages = next(t for t in chonggu.targets if t.measure == "village_count")
    assert villages.target == 2 and villages.registered == 2 and villages.achieved == 0
    assert chonggu.wet_waste_by_status["planned"] == 10.5
    # 重固 77,000 (undated) × 1.1 × 0.348 / 1000 = 29.4756 t/d — indicative
    assert chonggu.generation.generation_tpd == pytest.approx(29.476, abs=1e-3)
    assert chonggu.generation.capacity_registered_tpd == 10.5
    # 华新 212,000 × 1.1 × 0.348 / 1000 = 81.1536 t/d against 80 t/d (嵩山村 + 西郊) + 1 market unknown
    huaxin = cards["310118107"].generation
    assert huaxin.generation_tpd == pytest.approx(81.154, abs=1e-3)
    assert huaxin.capacity_registered_tpd == 80 and huaxin.unknown_capacity_sites == 1
    # 赵巷 and 白鹤: population not found → no estimate
    assert cards["310118105"].generation is None and cards["310118110"].generation is None
    # E.9 closures were due in 2021: overdue in every one of the six towns
    overdue_closures = [c.town_code for c in cards.values() for t in c.targets
                        if t.measure == "closure_count" and t.overdue]
    assert sorted(overdue_closures) == ["310118104", "310118105", "310118106", "310118107", "310118109",
                                        "310118110"]


# --------------------------------------------------------------------------- part 3: a status change
def test_status_change_moves_totals_year_and_scorecard(shipped) -> None:
    from wufei_geo import auth

    store, load_catalog = shipped
    auth.create_user(store, "planner-a", "planner", None, "correct horse battery")
    actor = auth.authenticate(store, "planner-a", "correct horse battery")

    before, _ = _district(store, load_catalog)
    assert before["D-wet-waste-capacity"].achieved is None  # the 国清 plant's existing capacity: unknown

    # E.11 (国清, 600 t/d) reported operating since mid-2023
    site = store.get_site("E.11-1")
    store.update_site(actor, "E.11-1", {"status": "operating", "commissioned": "2023-06-30"}, site["version"])
    after, cat = _district(store, load_catalog)
    wet = after["D-wet-waste-capacity"]
    assert wet.by_status["operating"] == 600 and wet.by_status["planned"] == 100.5
    assert wet.achieved == 600 and wet.gap == 0 and wet.state == "met"
    # commissioning year of the operating 600 t/d; nothing unconfirmed could have come earlier
    assert wet.reached_year == 2023 and wet.forecast_state == "reached" and wet.forecast_basis == []
    assert [p["cumulative"] for p in wet.projection[:-1]] == [0, 0, 600, 600, 600]

    # an official's figure for the capacity in operation replaces the plan's 600 t/d:
    # 450 (operating since 2023) + 100.5 planned for 2025 = 550.5 < 600 → the pipeline no longer reaches it
    site = store.get_site("E.11-1")
    store.update_site(actor, "E.11-1", {"operating_capacity_value": 450, "operating_capacity_unit": "t/d"},
                      site["version"])
    partial, _ = _district(store, load_catalog)
    wet = partial["D-wet-waste-capacity"]
    assert wet.achieved == 450 and wet.registered == 550.5 and wet.state == "in_progress"
    assert wet.reached_year is None and wet.registered_gap == 49.5
    assert wet.forecast_state == "cannot_tell"  # seven sites of unknown capacity could still close the gap

    # 赵巷 closes its compression station (E.9-1): its closure target is met, the town is in progress
    site = store.get_site("E.9-1")
    store.update_site(actor, "E.9-1", {"status": "decommissioned"}, site["version"],
                      note="closed, confirmed by the town")
    cat = load_catalog(store)
    cards = {c.town_code: c for c in analysis.town_scorecards(cat.sites, cat.targets, cat.towns, today=TODAY)}
    zhaoxiang = cards["310118105"]
    closure = next(t for t in zhaoxiang.targets if t.measure == "closure_count")
    assert closure.state == "met" and closure.achieved == 1 and not closure.overdue
    assert zhaoxiang.counts == {"met": 1, "in_progress": 0, "not_started": 4, "untracked": 0}  # C.2 counted
    assert zhaoxiang.state == "in_progress"
    district = {r.id: r for r in analysis.capacity_report(cat.sites, cat.targets, today=TODAY)}
    assert district["D-compression-closures"].achieved == 1
    assert district["D-compression-closures"].state == "in_progress"

    # a cancelled site leaves the totals and is reported separately
    site = store.get_site("E.12-2")
    store.update_site(actor, "E.12-2", {"status": "cancelled"}, site["version"], note="site withdrawn")
    cancelled, _ = _district(store, load_catalog)
    wet = cancelled["D-wet-waste-capacity"]
    assert wet.by_status["cancelled"] == 80 and wet.registered == 470.5  # 450 + 20.5
    assert wet.unknown_capacity_sites["count"] == 7


def test_cli_capacity_json_and_towns_match_analysis(shipped, capsys, tmp_path) -> None:
    from wufei_geo.cli import main

    store, load_catalog = shipped
    cat = load_catalog(store)
    assert main(["capacity", "--json", "--today", TODAY.isoformat()]) == 0
    printed = json.loads(capsys.readouterr().out)
    expected = [r.to_dict() for r in analysis.capacity_report(cat.sites, cat.targets, today=TODAY)]
    assert [p["id"] for p in printed] == [e["id"] for e in expected]
    for p, e in zip(printed, expected, strict=False):
        for key in ("id", "category", "target", "unit", "by_status", "unknown_capacity_sites", "sites"):
            assert p[key] == e[key], key
    wet = next(p for p in printed if p["id"] == "D-wet-waste-capacity")
    assert wet["by_status"]["planned"] == 700.5 and wet["unknown_capacity_sites"]["count"] == 7
    # issue 11: per target reached_year (null when it cannot be told) and forecast_basis (site ids)
    assert all("reached_year" in p and "forecast_basis" in p for p in printed)
    assert wet["reached_year"] is None and "E.11-1" in wet["forecast_basis"]
    sludge = next(p for p in printed if p["id"] == "D-sludge-capacity")
    assert sludge["reached_year"] == 2021 and sludge["forecast_basis"] == []

    assert main(["capacity", "--json", "--counts-toward", "centralised", "--today", "2024-06-01"]) == 0
    central = json.loads(capsys.readouterr().out)
    assert next(p for p in central if p["id"] == "D-wet-waste-capacity")["by_status"]["planned"] == 600

    assert main(["capacity", "--lang", "en", "--today", "2024-06-01"]) == 0
    text = capsys.readouterr().out
    assert "Operating today unknown (capacity of 1 site(s) unknown); goal 600 t/d" in text
    assert "(capacity of 7 site(s) unknown)" in text
    assert text.startswith("What runs today is unknown because the existing capacity of")  # the answer first
    assert "4,282.8" in text

    assert main(["towns", "--json", "--today", "2024-06-01"]) == 0
    towns = json.loads(capsys.readouterr().out)
    assert len(towns) == 11
    assert {t["town_code"]: len(t["sites"]) for t in towns} == {k: v[1] for k, v in EXPECTED_TOWNS.items()}

    assert main(["report", "-o", str(tmp_path / "book.xlsx"), "--today", "2024-06-01"]) == 0
    assert (tmp_path / "book.xlsx").stat().st_size > 1000
    assert main(["report", "-o", str(tmp_path / "brief.html")]) == 1  # one briefing: the PDF
    assert main(["report", "-o", str(tmp_path / "x.docx")]) == 1
