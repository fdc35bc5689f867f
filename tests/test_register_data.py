"""The register's data: every row of 附表1 with the plan's values, compared with a hand-written
expectation; the readings of inconsistent rows exist in both languages; the 40 facility targets
are entries of the same register."""
from __future__ import annotations

import csv
import re

import pytest

from wufei_geo.paths import FACILITIES_DIR
from wufei_geo.register.entries import load_register, read_indicators
from wufei_geo.register.readings import reading_text
from wufei_geo.register.rules import RULES

PLAN = "/work/shared/seed/qingpu-zero-waste-plan-2022.md"

# (number, name_zh, unit, kind, baseline_text, target_text, rule, departments) — typed from 附表1
EXPECTED = {
    "1": ("一般工业固体废物产生强度", "吨/万元", "required", "0.04", "不增加", "not_above_baseline", ("区生态环境局",)),
    "3": ("通过清洁生产审核评估工业企业占比", "%", "required", "100", "100", "at_least", ("区生态环境局", "区经委")),
    "5": ("开展生态工业园区建设、循环化改造、绿色园区建设的工业园区数量", "个", "optional", "1", "≥2", "at_least", ("区经委",)),
    "6": ("城市重点行业工业企业碳排放强度降低幅度", "—", "optional", "—", "完成市下达目标", "judgement", ("区发改委", "区生态环境局")),
    "7": ("朱家角工业园区规上企业清洁生产覆盖率", "%", "self_selected", "12", "100", "at_least", ("区经委",)),
    "11": ("生活垃圾清运量", "kg/(人日)", "required", "1.1", "低增长", "judgement", ()),
    "14": ("快递行业绿色认证包装产品采购覆盖率", "%", "self_selected", "—", "100", "at_least", ("上海市青浦邮政管理局", "各快递企业")),
    "17": ("一般工业固体废物综合利用率", "%", "required", "95", "不降低", "not_below_baseline", ("区生态环境局",)),
    "19": ("资源循环利用项目用地占本区域产业用地(工业、仓储)比重", "%", "self_selected", "核算中", "进一步提升", "judgement", ("区发改委", "区规资局", "区经委")),
    "20": ("主要农作物秸秆综合利用率", "%", "required", "≥98", "不降低", "not_below_baseline", ("区农业农村委",)),
    "23": ("化肥施用量降低率", "%", "optional", "5608吨", "9", "at_least", ("区农业农村委",)),
    "25": ("建筑垃圾资源化利用率", "%", "required", "90", "不降低", "not_below_baseline", ("区绿化市容局", "区建设管理委")),
    "27": ("再生资源回收量", "吨/日", "optional", "129", "205", "at_least", ("区绿化市容局",)),
    "29": ("工业危险废物填埋处置量下降幅度", "%", "required", "873吨", "下降", "below_baseline", ("区生态环境局",)),
    "32": ("一般工业固体废物贮存处置量下降幅度", "%", "required", "1.17万吨", "下降", "below_baseline", ("区生态环境局",)),
    "35": ("“无废城市”建设地方性法规、政策性文件及有关规划制定", "—", "required", "—", "制定", "judgement", ("生态文明建设领导小组办公室",)),
    "37": ("“无废城市”建设成效纳入政绩考核情况", "—", "optional", "—", "纳入", "judgement", ("生态文明建设领导小组办公室",)),
    "38": ("开展“无废城市细胞”建设的单位数量（机关、企事业单位、饭店、商场、集贸市场、社区、村镇）", "个", "optional", "—", "一批", "judgement", ("“无废城市”建设工作专班",)),
    "44": ("建设“无废进博”示范", "个", "self_selected", "—", "建成", "judgement", ("“无废城市”建设工作专班",)),
    "47": ("“无废城市”建设项目投资总额", "亿元", "required", "—", "≥12", "at_least", ("“无废城市”建设工作专班",)),
    "48": ("纳入企业环境信用评价范围的固体废物相关企业数量", "个", "optional", "110", "应纳尽纳", "judgement", ("区生态环境局",)),
    "49": ("危险废物经营单位环境污染责任保险覆盖率", "%", "optional", "0", "100", "at_least", ("区生态环境局",)),
    "50": ("“无废城市”绿色贷款量", "亿元", "optional", "—", ">0", "greater_than", ("区发改委", "区财政局")),
    "53": ("固体废物管理信息化监管情况", "—", "required", "—", "逐步完善", "judgement", ("区生态环境局",)),
    "54": ("危险废物规范化管理评估等级", "等级", "optional", "A", "A", "equals_text", ("区生态环境局",)),
    "55": ("固体废物环境污染刑事案件立案率", "%", "required", "100", "100", "at_least", ("公安分局", "区生态环境局")),
    "58": ("主要固体废物利用处置设施在线监管覆盖率", "%", "self_selected", "50", "100", "at_least", ("区生态环境局",)),
    "62": ("公众对“无废城市”建设成效的满意程度", "%", "required", "—", "90", "at_least", ("“无废城市”建设工作专班",)),
}


def test_every_plan_row_in_order_with_its_counts_by_kind() -> None:
    entries = read_indicators()
    assert [e.id for e in entries] == [str(n) for n in range(1, 63)]
    kinds = [e.kind for e in entries]
    assert (kinds.count("required"), kinds.count("optional"), kinds.count("self_selected")) == (23, 25, 14)
    assert all(e.baseline_year == 2020 and e.target_year == 2025 and e.source_ref == f"附表1 #{e.id}" for e in entries)


@pytest.mark.parametrize("number", sorted(EXPECTED, key=int))
def test_sample_rows_match_the_plan_as_typed_by_hand(number: str) -> None:
    e = {x.id: x for x in read_indicators()}[number]
    assert (e.name_zh, e.unit, e.kind, e.baseline_text, e.target_text, e.rule, e.departments) == EXPECTED[number]


def test_numbers_read_from_the_texts() -> None:
    by = {x.id: x for x in read_indicators()}
    assert (by["1"].baseline_value, by["1"].target_value) == (0.04, None)
    assert (by["5"].target_value, by["47"].target_value, by["50"].target_value) == (2, 12, 0)
    assert by["20"].baseline_value == 98  # ≥98 read as its floor
    assert by["23"].baseline_value is None and by["23"].target_value == 9 and by["23"].unit_of_values == "%"
    assert by["29"].baseline_value == 873 and by["29"].unit_of_values == "吨"
    assert by["32"].baseline_value == 1.17 and by["32"].unit_of_values == "万吨"
    assert by["27"].baseline_value == 129 and by["27"].target_value == 205


def _plan_rows() -> dict[str, list[str]]:
    """The rows of 附表1 as the plan's text has them (number → tab-separated cells)."""
    text = open(PLAN, encoding="utf-8").read()
    block = text[text.index("青浦区无废城市建设指标体系"):text.index("附表 2")]
    rows = {}
    for line in block.splitlines():
        m = re.match(r"^(\d{1,2})\t", line)
        if m:
            rows[m.group(1)] = [c.strip() for c in line.split("\t")]
    return rows


@pytest.mark.skipif(not __import__("os").path.exists(PLAN), reason="the plan's text is not on this machine")
def test_every_row_agrees_with_the_plan_text() -> None:
    """Name, 2020 and 2025 texts of every row as they stand in the plan (row 11 is shifted)."""
    plan = _plan_rows()
    assert sorted(plan, key=int) == [str(n) for n in range(1, 63)]
    for e in read_indicators():
        cells = [c for c in plan[e.id] if c]
        mark = {"required": "★", "self_selected": "*", "optional": ""}[e.kind]
        name = e.name_zh + mark
        assert name in cells or name.replace("*", "\\*") in cells, (e.id, cells)
        i = next(k for k, c in enumerate(cells) if c.rstrip("\\*★") == e.name_zh or c == name)
        assert cells[i + 2].replace(" ", "") == e.baseline_text.replace(" ", ""), e.id
        assert cells[i + 3].replace(" ", "") == e.target_text.replace(" ", ""), e.id
        depts = "".join(cells[i + 4:]).replace(" ", "").replace("、", ";")
        assert depts == ";".join(e.departments), e.id


def test_every_reading_key_is_written_in_both_languages() -> None:
    for e in read_indicators():
        if e.reading:
            assert reading_text(e.reading, "zh") and reading_text(e.reading, "en"), e.reading
    keys = {e.reading for e in read_indicators() if e.reading}
    assert {"row11", "tonnage_baseline_rate", "tonnage_baseline_fall", "floor_baseline"} <= keys


def test_word_targets_have_rules_and_judgement_words_need_a_planner() -> None:
    judged = {"低增长", "一批", "建成", "制定", "纳入", "建立", "逐步完善", "应纳尽纳", "完成市下达目标", "进一步提升"}
    for e in read_indicators():
        assert e.rule in RULES
        assert (e.target_text in judged) == RULES[e.rule].judgement, e.id


def test_the_forty_targets_join_the_register() -> None:
    entries = load_register()
    targets = [e for e in entries if e.source == "target"]
    with open(FACILITIES_DIR / "targets.csv", encoding="utf-8") as fh:
        ids = [r["target_id"] for r in csv.DictReader(fh)]
    assert [e.id for e in targets] == ids and len(ids) == 40
    c2 = [e for e in targets if e.id.endswith("C.2-blocks")]
    assert len(c2) == 11 and all(e.measure.kind == "places" for e in c2)
    assert len(entries) == 102 and len({e.id for e in entries}) == 102


def test_validate_checks_the_indicators_file(tmp_path) -> None:
    import shutil

    from wufei_geo.register.entries import check_indicators

    assert check_indicators() == []
    for name in ("indicators.csv", "NOTES.md"):
        shutil.copy(FACILITIES_DIR / name, tmp_path / name)
    text = (tmp_path / "indicators.csv").read_text(encoding="utf-8")
    broken = text.replace(",区农业农村委,reported,%,tonnage_baseline_rate,附表1 #23", ",,reported,%,tonnage_baseline_rate,附表1 #23")
    broken = broken.replace(",不增加,not_above_baseline,区生态环境局,reported,,,附表1 #1", ",不增加,not_above_baseline,区生态环境局,reported,,nowhere,附表1 #1")
    (tmp_path / "indicators.csv").write_text(broken, encoding="utf-8")
    problems = check_indicators(tmp_path)
    assert any(p.startswith("indicators.csv:24: departments") for p in problems), problems
    assert any(p.startswith("indicators.csv:2: reading") for p in problems), problems
