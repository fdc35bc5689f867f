"""Capacities as the plan writes them → normalised values; refusals of what cannot be read."""
from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wufei_geo import units
from wufei_geo.model import CATEGORIES, NORM_UNIT
from wufei_geo.units import UnitError, normalise, parse_capacity

# Every capacity of 附表3, spelled as the plan spells it, with the value worked out by hand.
PLAN_SPELLINGS = [
    ("20000", "t/a", 20000.0, "t/yr"),  # E.5 含铜蚀刻液（HW22）处理规模至 20000t/a
    ("18000", "t/a", 18000.0, "t/yr"),  # E.5 废有机溶剂 18000t/a
    ("20", "万只 / 年", 200000.0, "items/yr"),  # E.5 废包装桶 20 万只 / 年 (spaces as in the plan)
    ("300", "吨/天", 300.0, "t/d"),  # E.8 一期设计规模 300 吨/天
    ("600", "t/d", 600.0, "t/d"),  # E.11 600t/d
    ("5", "t/d", 5.0, "t/d"),  # E.12 中步村 5t/d
    ("500", "kg/d", 0.5, "t/d"),  # E.12 毛家角村 500kg/d = 0.5 t/d
    ("50", "万吨/年", 500000.0, "t/yr"),  # E.21 年设计处理建筑垃圾 50 万吨
    ("242", "kWp", 242.0, "kW"),  # E.40 242kWp
    ("169.4", "KW", 169.4, "kW"),  # E.41 169.4KW (capital K)
    ("2.369", "MW", 2369.0, "kW"),  # E.42 2.369MW
    ("22.8", "KW", 22.8, "kW"),  # E.43
    ("1479.6", "KW", 1479.6, "kW"),  # E.44
    ("600", "吨/日", 600.0, "t/d"),  # 正文 600 吨/日
    ("300", "兆瓦", 300000.0, "kW"),  # 正文 300 兆瓦
]


@pytest.mark.parametrize("value,unit,norm,norm_unit", PLAN_SPELLINGS)
def test_parse_capacity_reads_every_plan_spelling(value, unit, norm, norm_unit):
    assert parse_capacity(value, unit) == (norm, norm_unit)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("500kg/d", (0.5, "t/d")),
        ("2.369MW", (2369.0, "kW")),
        ("20 万只 / 年", (200000.0, "items/yr")),
        ("169.4KW", (169.4, "kW")),
        ("242kWp", (242.0, "kW")),
        ("300 吨/天", (300.0, "t/d")),
        ("20000t/a", (20000.0, "t/yr")),
        ("５００ 吨／日", (500.0, "t/d")),  # full-width digits and slash
        ("1,479.6 kW", (1479.6, "kW")),
    ],
)
def test_parse_capacity_of_whole_text(text, expected):
    assert parse_capacity(text) == expected


@pytest.mark.parametrize("unit", ["kw", "KW", "kW", "KWp", "kwp", " kW ", "千瓦"])
def test_kilowatt_spellings_are_one_unit(unit):
    assert parse_capacity(1, unit) == (1.0, "kW")


@pytest.mark.parametrize("unit", ["t/d", "T/D", "吨/日", "吨/天", "吨 / 天", "吨每天", "t/day"])
def test_tonnes_per_day_spellings(unit):
    assert parse_capacity(7, unit) == (7.0, "t/d")


def test_megawatt_has_no_binary_noise():
    # 2.369 * 1000 is 2369.0000000000005 in binary floating point
    assert parse_capacity("2.369", "MW")[0] == 2369.0


def test_normalise_in_the_category_unit():
    assert normalise(500, "kg/d", "wet_waste") == 0.5
    assert normalise("2.369", "MW", "pv") == 2369.0
    assert normalise(50, "万吨/年", "construction_waste") == 500000.0
    assert normalise(20000, "t/a", "hazardous_waste") == 20000.0
    assert normalise(300, "吨/天", "sludge") == 300.0


@pytest.mark.parametrize(
    "value,unit,category,fragment",
    [
        (500, "kg/d", "pv", "does not fit category 'pv'"),
        (2.369, "MW", "wet_waste", "does not fit category 'wet_waste'"),
        (20, "万只/年", "hazardous_waste", "does not fit"),  # drums: a secondary component only
        (5, "t/d", "construction_waste", "t/yr"),
        (5, "吨/小时", "wet_waste", "unknown capacity unit '吨/小时'"),
        (5, "", "wet_waste", "unit is empty"),
        (5, "t/d", "incinerator", "unknown category 'incinerator'"),
        (-5, "t/d", "wet_waste", "negative"),
        ("-5", "t/d", "wet_waste", "negative"),
        (float("nan"), "t/d", "wet_waste", "not a finite number"),
        ("nan", "t/d", "wet_waste", "not a finite number"),
        (float("inf"), "kW", "pv", "not a finite number"),
        ("inf", "kW", "pv", "not a finite number"),
        ("abc", "t/d", "wet_waste", "not a number"),
        ("", "t/d", "wet_waste", "empty"),
        (True, "t/d", "wet_waste", "not a number"),
    ],
)
def test_normalise_refuses_with_a_clear_message(value, unit, category, fragment):
    with pytest.raises(UnitError) as info:
        normalise(value, unit, category)
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)


def test_whole_text_without_a_unit_is_refused():
    with pytest.raises(UnitError, match="number followed by a unit"):
        parse_capacity("500")
    with pytest.raises(UnitError):
        parse_capacity("kg/d")


def test_counts_fit_only_as_secondary_components():
    assert not units.fits_category("items/yr", "hazardous_waste")
    assert units.fits_category("items/yr", "hazardous_waste", primary=False)
    assert not units.fits_category("kW", "wet_waste", primary=False)
    assert not units.fits_category("t/d", "no_such_category")


def test_every_category_has_a_unit_that_normalises_to_it():
    produced = set(units.NORM_UNITS)
    for category in CATEGORIES:
        assert NORM_UNIT[category] in produced, category


@given(st.floats(min_value=0, max_value=1e7, allow_nan=False, allow_infinity=False))
def test_factors_are_consistent(x):
    assert math.isclose(parse_capacity(x, "kg/d")[0] * 1000, x, rel_tol=1e-9, abs_tol=1e-6)
    assert math.isclose(parse_capacity(x, "MW")[0], x * 1000, rel_tol=1e-9, abs_tol=1e-6)
    assert math.isclose(parse_capacity(x, "万吨/年")[0], x * 10000, rel_tol=1e-9, abs_tol=1e-6)
    assert parse_capacity(x, "t/d")[0] == pytest.approx(x, rel=1e-9, abs=1e-9)


def test_a_value_that_overflows_once_converted_is_refused():
    # 1e308 is a finite float, 1e308 MW in kW is not.
    with pytest.raises(units.UnitError, match="too large"):
        units.parse_capacity(1e308, "MW")
