"""The shipped facility data against numbers worked out BY HAND from the plan (附表3 etc.).

Each expected value below is derived in the comment next to it from the plan's own words, so a
mistranscribed capacity, a dropped site or a shifted id makes a test fail.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict

import pandas as pd
import pytest

from wufei_geo import analysis, crs, facilities, geodata
from wufei_geo.model import CATEGORIES, PLAN_DATE, PRECISIONS, SITE_COLUMNS

ZHAOXIANG, XUJING, HUAXIN, CHONGGU, BAIHE = "310118105", "310118106", "310118107", "310118109", "310118110"
ZHUJIAJIAO, LIANTANG, JINZE, XIAYANG = "310118102", "310118103", "310118104", "310118001"


@pytest.fixture(scope="module")
def sites():
    return facilities.load_seed_sites()


@pytest.fixture(scope="module")
def by_id(sites):
    return {s["site_id"]: s for s in sites}


@pytest.fixture(scope="module")
def targets():
    return {t["target_id"]: t for t in facilities.load_targets()}


def _sum(sites, *, category=None, project=None, mode=None, unit=None):
    """Sum of every capacity component (not only the primary) matching the filters."""
    total = 0.0
    for s in sites:
        if category and s["category"] != category or project and s["project_id"] != project:
            continue
        if mode and s["wet_waste_mode"] != mode:
            continue
        total += sum(c["norm"] for c in s["capacity_components"] if unit is None or c["norm_unit"] == unit)
    return round(total, 6)


# --------------------------------------------------------------------------- sites per item
def test_site_counts_per_plan_item(sites):
    counts = Counter(s["project_id"] for s in sites)
    assert counts == {
        # one site each: E.1–E.6 (E.7 is a programme), E.8, E.10, E.11, E.17, E.20, E.21, E.39, E.40–E.44
        **{f"E.{n}": 1 for n in (1, 2, 3, 4, 5, 6, 8, 10, 11, 17, 20, 21, 39, 40, 41, 42, 43, 44)},
        "E.9": 6,  # 在赵巷、徐泾、华新、重固、白鹤、金泽镇，关停小型湿垃圾压缩站 6 座
        "E.12": 5,  # 中步村 · 嵩山村+西郊市场 (one 80 t/d entry) · 徐姚村 · 毛家角村 · 张巷村
        "E.13": 6,  # 华新菜场、赵巷菜场、重固菜场、徐盈菜市场、徐泾菜市场、朱家角菜场
        "E.15": 3,  # 赵巷镇、徐泾镇、金泽镇等地新建 3 座
    }
    # 18 single sites + 6 + 5 + 6 + 3 = 38
    assert len(sites) == 38


def test_site_ids_are_project_and_running_number(sites):
    ids = [s["site_id"] for s in sites]
    assert len(set(ids)) == len(ids)
    per_project = defaultdict(list)
    for s in sites:
        project, n = s["site_id"].rsplit("-", 1)
        assert project == s["project_id"]
        per_project[project].append(int(n))
    for project, numbers in per_project.items():
        assert numbers == list(range(1, len(numbers) + 1)), project


def test_categories_per_plan_item(sites):
    expected = {
        **{f"E.{n}": "hazardous_waste" for n in (1, 2, 3, 4, 5)},
        "E.6": "medical_waste", "E.8": "sludge", "E.9": "compression_station", "E.10": "transfer_station",
        "E.11": "wet_waste", "E.12": "wet_waste", "E.13": "wet_waste", "E.39": "wet_waste",
        "E.15": "recyclables_hub", "E.17": "dump_remediation", "E.20": "bulky_waste",
        "E.21": "construction_waste", **{f"E.{n}": "pv" for n in range(40, 45)},
    }
    assert {s["project_id"]: s["category"] for s in sites} == expected
    modes = {s["project_id"]: s["wet_waste_mode"] for s in sites if s["category"] == "wet_waste"}
    assert modes == {"E.11": "centralised", "E.12": "on_site", "E.13": "on_site", "E.39": "on_site"}
    assert all(s["wet_waste_mode"] is None for s in sites if s["category"] != "wet_waste")


# --------------------------------------------------------------------------- capacities
def test_wet_waste_capacities(sites, by_id):
    # E.12: 5 t/d + 80 t/d + 10 t/d + 500 kg/d (= 0.5 t/d) + 5 t/d = 100.5 t/d
    assert _sum(sites, project="E.12") == 100.5
    assert [by_id[f"E.12-{n}"]["capacity_norm"] for n in range(1, 6)] == [5, 80, 10, 0.5, 5]
    # E.11: 扩建湿垃圾处理能力 600t/d
    assert _sum(sites, project="E.11") == 600
    # E.13 markets and E.39 canteens: the plan gives no capacity → nothing (unknown, not 0)
    assert _sum(sites, project="E.13") == 0 and _sum(sites, project="E.39") == 0
    # all wet waste: 600 (centralised) + 100.5 (on-site) = 700.5 t/d
    assert _sum(sites, category="wet_waste", mode="centralised") == 600
    assert _sum(sites, category="wet_waste", mode="on_site") == 100.5
    assert _sum(sites, category="wet_waste") == 700.5


def test_pv_capacity(sites):
    # E.40 242 kWp + E.41 169.4 KW + E.42 2.369 MW (= 2369 kW) + E.43 22.8 KW + E.44 1479.6 KW = 4282.8 kW
    assert _sum(sites, category="pv") == 4282.8
    assert {s["project_id"]: s["capacity_norm"] for s in sites if s["category"] == "pv"} == {
        "E.40": 242, "E.41": 169.4, "E.42": 2369, "E.43": 22.8, "E.44": 1479.6,
    }


def test_other_capacities(sites, by_id):
    # E.8 一期设计规模 300 吨/天
    assert _sum(sites, category="sludge") == 300
    # E.21 年设计处理建筑垃圾 50 万吨 = 500,000 t/yr
    assert _sum(sites, category="construction_waste") == 500000
    # E.5: 20000 t/a (HW22) + 18000 t/a (solvents) = 38000 t/yr; drums 20 万只/年 = 200,000 items/yr
    assert _sum(sites, category="hazardous_waste", unit="t/yr") == 38000
    assert _sum(sites, category="hazardous_waste", unit="items/yr") == 200000
    e5 = by_id["E.5-1"]
    assert [(c["value"], c["unit"], c["norm"], c["norm_unit"]) for c in e5["capacity_components"]] == [
        (20000, "t/a", 20000, "t/yr"),
        (18000, "t/a", 18000, "t/yr"),
        (20, "万只/年", 200000, "items/yr"),
    ]
    # the primary component is the first one
    assert (e5["capacity_value"], e5["capacity_unit"], e5["capacity_norm"], e5["capacity_norm_unit"]) == (
        20000, "t/a", 20000, "t/yr",
    )


def test_values_and_units_as_written(by_id):
    written = {
        "E.12-4": (500, "kg/d"), "E.8-1": (300, "吨/天"), "E.11-1": (600, "t/d"), "E.21-1": (50, "万吨/年"),
        "E.40-1": (242, "kWp"), "E.41-1": (169.4, "KW"), "E.42-1": (2.369, "MW"), "E.44-1": (1479.6, "KW"),
    }
    for site_id, (value, unit) in written.items():
        assert (by_id[site_id]["capacity_value"], by_id[site_id]["capacity_unit"]) == (value, unit), site_id


def test_sites_without_a_plan_capacity_have_none(sites):
    # the plan gives no capacity for these: unknown (None and no components), never 0
    no_capacity = {s["site_id"] for s in sites if not s["capacity_components"]}
    assert no_capacity == {
        "E.1-1", "E.2-1", "E.3-1", "E.4-1", "E.6-1", "E.10-1", "E.17-1", "E.20-1", "E.39-1",
        *(f"E.9-{n}" for n in range(1, 7)), *(f"E.13-{n}" for n in range(1, 7)), *(f"E.15-{n}" for n in range(1, 4)),
    }
    for s in sites:
        if s["site_id"] in no_capacity:
            assert s["capacity_value"] is s["capacity_norm"] is s["capacity_unit"] is None
        else:
            assert s["capacity_norm"] > 0


# --------------------------------------------------------------------------- places
def test_towns_from_the_plan_and_the_cited_sources(by_id):
    towns = {sid: s["town_code"] for sid, s in by_id.items()}
    # E.12: 赵巷镇中步村, 华新镇嵩山村…, 重固徐姚村, 毛家角村 (重固), 朱家角张巷村
    assert [towns[f"E.12-{n}"] for n in range(1, 6)] == [ZHAOXIANG, HUAXIN, CHONGGU, CHONGGU, ZHUJIAJIAO]
    # E.13 in the plan's order: 华新, 赵巷, 重固, 徐盈 (town NOT confirmed → None), 徐泾, 朱家角
    assert [towns[f"E.13-{n}"] for n in range(1, 7)] == [HUAXIN, ZHAOXIANG, CHONGGU, None, XUJING, ZHUJIAJIAO]
    # E.9: 赵巷、徐泾、华新、重固、白鹤、金泽; E.15: 赵巷、徐泾、金泽
    assert [towns[f"E.9-{n}"] for n in range(1, 7)] == [ZHAOXIANG, XUJING, HUAXIN, CHONGGU, BAIHE, JINZE]
    assert [towns[f"E.15-{n}"] for n in range(1, 4)] == [ZHAOXIANG, XUJING, JINZE]
    # E.40 区政府大院 → 夏阳街道; E.43 赵巷镇业辉路; E.44 华新镇华志路1688号
    assert (towns["E.40-1"], towns["E.43-1"], towns["E.44-1"]) == (XIAYANG, ZHAOXIANG, HUAXIN)
    # not found: E.8 (张江园区, town not stated), E.42 (好丽友), E.10, E.11, E.21 …
    for sid in ("E.8-1", "E.42-1", "E.41-1", "E.10-1", "E.11-1", "E.21-1", "E.39-1"):
        assert towns[sid] is None, sid
    # E.10 serves 朱家角, 练塘, 金泽
    assert by_id["E.10-1"]["served_towns"] == f"{ZHUJIAJIAO};{LIANTANG};{JINZE}"


def test_precision_follows_what_is_known(sites, by_id):
    assert {s["precision"] for s in sites} <= set(PRECISIONS)
    assert by_id["E.12-2"]["precision"] == "address"
    assert by_id["E.12-3"]["precision"] == "village"
    assert by_id["E.44-1"]["precision"] == "town" and by_id["E.44-1"]["address"] == "青浦区华新镇华志路1688号"
    assert by_id["E.13-4"]["precision"] == "district"
    assert by_id["E.42-1"]["precision"] == "district"
    for s in sites:
        has_point = s["lon"] is not None
        assert has_point == (s["precision"] in {"exact", "address", "village"}), s["site_id"]
        if s["precision"] == "town":
            assert s["town_code"], s["site_id"]
        if s["town_code"] or has_point:
            assert s["location_source"], s["site_id"]


def test_source_coordinates_are_converted_to_wgs84(by_id):
    # sources give GCJ-02-style points (datum not stated); the record holds WGS-84
    for sid, (glon, glat) in {"E.12-2": (121.236599, 31.221591), "E.12-3": (121.15804, 31.239126)}.items():
        s = by_id[sid]
        wlon, wlat = crs.to_wgs84(glon, glat, "gcj02")
        assert s["lon"] == pytest.approx(wlon, abs=1e-6) and s["lat"] == pytest.approx(wlat, abs=1e-6)
        shift = crs.distance_m(glon, glat, s["lon"], s["lat"])
        assert 300 < shift < 800, (sid, shift)  # the GCJ-02 offset here is about half a kilometre
        assert geodata.in_district(s["lon"], s["lat"])[()]


# --------------------------------------------------------------------------- status and schema
def test_status_is_the_plans_except_e8(sites, by_id):
    e8 = by_id["E.8-1"]
    assert (e8["status"], e8["commissioned"]) == ("operating", "2021-12")
    assert "刘庄泉" in e8["status_source"] and "环境卫生工程" in e8["status_source"]
    for s in sites:
        assert s["status_as_of"] == PLAN_DATE
        if s["site_id"] != "E.8-1":
            assert s["status"] == "planned" and s["status_source"] == "plan (青府发〔2022〕53号)", s["site_id"]
            assert s["commissioned"] is None


def test_target_state_and_years(sites, by_id):
    for s in sites:
        expected = "decommissioned" if s["project_id"] == "E.9" else "operating"
        assert s["target_status"] == expected, s["site_id"]
    # 实施年限 end years: E.9 2021, E.21 2021, E.8/E.10/E.40–E.44 2022, E.6 2022-2025 → 2025
    assert by_id["E.9-1"]["target_year"] == 2021 and by_id["E.21-1"]["target_year"] == 2021
    assert by_id["E.6-1"]["target_year"] == 2025 and by_id["E.17-1"]["target_year"] == 2023
    projects = {p["project_id"]: p for p in facilities.load_projects()}
    for s in sites:
        assert str(s["target_year"]) == projects[s["project_id"]]["period"][-4:], s["site_id"]
        assert s["source_ref"] == f"附表3 {s['project_id']}"


def test_records_follow_the_site_schema(sites):
    keys = [c for c in SITE_COLUMNS if c != "version"]
    for s in sites:
        assert list(s) == keys
        assert isinstance(s["target_year"], int)
        assert s["category"] in CATEGORIES
        assert s["retired"] is False
        assert s["operating_capacity_value"] is None


def test_projects_list_all_45_items_and_which_are_mapped(sites):
    projects = facilities.load_projects()
    assert [p["project_id"] for p in projects] == [f"E.{n}" for n in range(1, 46)]
    assert {p["project_id"] for p in projects if p["mapped"]} == {s["project_id"] for s in sites}
    names = {p["project_id"]: p["name_zh"] for p in projects}
    # 附表4 shifts the PV ids; 附表3 wins
    assert "富欣针织" in names["E.41"] and "好丽友" in names["E.42"] and "业辉路" in names["E.43"]
    assert "艺畅" in names["E.44"]


# --------------------------------------------------------------------------- targets
def test_district_targets(targets):
    def value(tid):
        t = targets[tid]
        return t["target_value"], t["unit"], t["target_year"]

    assert value("D-wet-waste-capacity") == (600, "t/d", 2025)  # 湿垃圾总处理能力达到600吨/日
    assert value("D-wet-waste-villages") == (50, "villages", 2025)  # 50个以上行政村
    assert value("D-construction-waste-capacity") == (500000, "t/yr", 2025)  # 50万吨/年
    assert value("D-pv-capacity") == (300000, "kW", 2025)  # 300 兆瓦 = 300,000 kW
    assert value("D-recyclables-hubs") == (3, "sites", 2025)  # 3 座两网融合中转站
    assert value("D-compression-closures") == (6, "sites", 2021)  # 关停 6 座
    assert value("D-sludge-capacity") == (300, "t/d", 2022)  # 一期 300 吨/天
    assert targets["D-compression-closures"]["measure"] == "closure_count"
    # 镇域范围内集中处置: villages whose wet waste a facility treats, not villages hosting a site (issue 11)
    assert targets["D-wet-waste-villages"]["measure"] == "served_village_count"
    assert targets["D-wet-waste-villages"]["wet_waste_mode"] is None
    for t in targets.values():
        assert t["source_ref"]


def test_town_targets(targets):
    def towns(suffix):
        return {t["town_code"]: t["target_value"] for tid, t in targets.items() if tid.endswith(suffix)}

    assert towns("-E.12-villages") == {ZHAOXIANG: 1, HUAXIN: 1, CHONGGU: 2, ZHUJIAJIAO: 1}  # 5 villages
    assert towns("-E.13-markets") == {HUAXIN: 1, ZHAOXIANG: 1, CHONGGU: 1, XUJING: 1, ZHUJIAJIAO: 1}
    assert towns("-E.15-hubs") == {ZHAOXIANG: 1, XUJING: 1, JINZE: 1}
    assert towns("-E.9-closures") == {ZHAOXIANG: 1, XUJING: 1, HUAXIN: 1, CHONGGU: 1, BAIHE: 1, JINZE: 1}
    assert towns("-E.10-served") == {ZHUJIAJIAO: 1, LIANTANG: 1, JINZE: 1}
    blocks = [t for tid, t in targets.items() if tid.endswith("-C.2-blocks")]
    assert len(blocks) == 11 and {t["measure"] for t in blocks} == {"place_count"}  # issue 24: counted from approved places
    assert {t["category"] for t in blocks} == {"zero_waste_block"}
    assert {t["town_code"] for t in blocks} == set(geodata.load_gazetteer()["town_code"].astype(str))
    assert {t["target_value"] for t in blocks} == {2}  # 确保每个街镇创建2个“零浪费”街区


def test_every_named_target_is_matched_by_exactly_the_named_sites(sites, targets):
    """For the targets whose sites the plan names, the seed sites that count toward the target
    (the analysis rule) add up to the target: the data and the targets tell one story."""
    frame = pd.DataFrame(sites)
    for tid, t in targets.items():
        if t["measure"] in ("untracked", "place_count"):  # place_count: places, not sites
            continue
        matched = analysis.matching_sites(frame, t)
        assert len(matched), tid
        if t["project_ids"] and t["measure"] in ("site_count", "closure_count"):
            assert len(matched) == t["target_value"], tid
        if t["measure"] == "village_count" and t["level"] == "town":
            assert matched["village"].nunique() == t["target_value"], tid
        if t["measure"] == "served":
            assert list(matched["site_id"]) == ["E.10-1"], tid
    # capacity targets matched by the named items equal them exactly where the plan names the item
    sludge = analysis.matching_sites(frame, targets["D-sludge-capacity"])
    assert math.isclose(sludge["capacity_norm"].sum(), 300)
    construction = analysis.matching_sites(frame, targets["D-construction-waste-capacity"])
    assert math.isclose(construction["capacity_norm"].sum(), 500000)


def test_shipped_data_validates():
    assert facilities.validate() == []
