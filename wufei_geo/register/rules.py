"""How a target reads its measure: the comparison rules of ``indicators.csv`` (``target_rule``).

Each rule is a record: whether it needs a planner's judgement, and otherwise how a value compares
with the target number or the 2020 value.  A rule that cannot compare (no value, no baseline)
answers None, never False (docs/design/register.md → How unknown propagates)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Compare = Callable[[float, float | None, float | None], bool | None]


@dataclass(frozen=True)
class Rule:
    """``compare(value, target, baseline)`` → met (True/False) or None when it cannot tell."""

    name: str
    judgement: bool
    compare: Compare
    text_zh: str
    text_en: str


def _at_least(v: float, target: float | None, _b: float | None) -> bool | None:
    return None if target is None else v >= target


def _greater(v: float, target: float | None, _b: float | None) -> bool | None:
    return None if target is None else v > target


def _not_above(v: float, _t: float | None, base: float | None) -> bool | None:
    return None if base is None else v <= base


def _not_below(v: float, _t: float | None, base: float | None) -> bool | None:
    return None if base is None else v >= base


def _below(v: float, _t: float | None, base: float | None) -> bool | None:
    return None if base is None else v < base


def _never(_v: float, _t: float | None, _b: float | None) -> bool | None:
    return None


RULES: dict[str, Rule] = {
    r.name: r
    for r in (
        Rule("at_least", False, _at_least, "≥ 目标值", "≥ the target"),
        Rule("greater_than", False, _greater, "> 目标值", "> the target"),
        Rule("not_above_baseline", False, _not_above, "≤ 2020 年值", "≤ the 2020 value"),
        Rule("not_below_baseline", False, _not_below, "≥ 2020 年值", "≥ the 2020 value"),
        Rule("below_baseline", False, _below, "< 2020 年值", "< the 2020 value"),
        # a grade: the reported text equals the target text (compared in assess, not as a number)
        Rule("equals_text", False, _never, "等于目标等级", "equals the target grade"),
        Rule("judgement", True, _never, "需规划人员判断", "a planner's judgement"),
    )
}


def rule(name: str) -> Rule:
    try:
        return RULES[name]
    except KeyError:
        raise ValueError(f"unknown target rule {name!r}") from None
