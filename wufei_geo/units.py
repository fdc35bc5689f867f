"""Capacities as the plan writes them, and their normalised values.

The plan writes capacities in many spellings: ``500kg/d``, ``300 吨/天``, ``600t/d``,
``20000t/a``, ``50 万吨``/年, ``242kWp``, ``169.4KW``, ``2.369MW``, ``20 万只 / 年``.  We keep the
value and unit as written and add a normalised value in one unit per kind:

========  ==========================================================  =====================
norm      accepted spellings (case and spaces ignored, ／ = /)          factor
========  ==========================================================  =====================
t/d       t/d, t/day, 吨/日, 吨/天, 吨每天, 吨每日                        1
t/d       kg/d, 千克/日, 千克/天, 公斤/日, 公斤/天                         1/1000
t/yr      t/a, t/yr, t/y, 吨/年, 吨/a                                     1
t/yr      万t/a, 万吨/年, 万吨/a                                          10,000
kW        kW, kWp, 千瓦                                                  1
kW        MW, MWp, 兆瓦                                                  1000
items/yr  只/年, 个/年                                                   1
items/yr  万只/年, 万个/年                                               10,000
count     个, 座, 处, 辆, 台, 只                                         1
========  ==========================================================  =====================

``normalise(value, unit, category)`` also checks that the unit fits the category
(``model.NORM_UNIT``): 500 kg/d of PV is refused.
"""
from __future__ import annotations

import math
import re
from typing import Final

from wufei_geo.model import CATEGORIES, NORM_UNIT


class UnitError(ValueError):
    """A capacity that cannot be read or does not fit its category (the message says why)."""


# spelling (after _canon) → (normalised unit, factor)
_UNITS: Final[dict[str, tuple[str, float]]] = {}


def _add(norm: str, factor: float, *spellings: str) -> None:
    for s in spellings:
        _UNITS[_canon(s)] = (norm, factor)


def _canon(unit: str) -> str:
    """Case-folded, without spaces; full-width slash → '/'; 'per' words kept as written."""
    text = str(unit).replace("／", "/").replace("∕", "/")
    return re.sub(r"\s+", "", text).casefold()


_add("t/d", 1.0, "t/d", "t/day", "吨/日", "吨/天", "吨每天", "吨每日", "吨/d")
_add("t/d", 0.001, "kg/d", "kg/day", "千克/日", "千克/天", "公斤/日", "公斤/天")
_add("t/yr", 1.0, "t/a", "t/yr", "t/y", "t/year", "吨/年", "吨/a")
_add("t/yr", 10_000.0, "万t/a", "万t/yr", "万吨/年", "万吨/a")
_add("kW", 1.0, "kW", "kWp", "千瓦")  # casefold makes KW, kw, KWp the same
_add("kW", 1000.0, "MW", "MWp", "兆瓦")
_add("items/yr", 1.0, "只/年", "个/年", "items/yr")
_add("items/yr", 10_000.0, "万只/年", "万个/年")
_add("count", 1.0, "个", "座", "处", "辆", "台", "只", "count")

#: Every normalised unit this module produces.
NORM_UNITS: Final = tuple(dict.fromkeys(norm for norm, _ in _UNITS.values()))
#: Normalised units that count things (drums per year, vehicles): allowed as a *secondary*
#: capacity component of any category (E.5's 20万只/年 of drums beside its t/a components).
COUNT_UNITS: Final = frozenset({"items/yr", "count"})

_FULLWIDTH: Final = str.maketrans("０１２３４５６７８９．，－＋", "0123456789.,-+")
_NUMBER = re.compile(r"^\s*([+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(.*?)\s*$")


def parse_value(value: object) -> float:
    """A capacity value as a finite, non-negative float ('1,479.6' and full-width digits accepted)."""
    if isinstance(value, bool):
        raise UnitError(f"capacity value {value!r} is not a number")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = str(value).strip().translate(_FULLWIDTH)
        if not text:
            raise UnitError("capacity value is empty")
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            raise UnitError(f"capacity value {value!r} is not a number") from None
    if math.isnan(number) or math.isinf(number):
        raise UnitError(f"capacity value {value!r} is not a finite number")
    if number < 0:
        raise UnitError(f"capacity value {value!r} is negative")
    return number


def split_quantity(text: str) -> tuple[float, str]:
    """``'500kg/d'`` → ``(500.0, 'kg/d')``; ``'20 万只 / 年'`` → ``(20.0, '万只 / 年')``."""
    match = _NUMBER.match(str(text).translate(_FULLWIDTH))
    if not match or not match.group(2):
        raise UnitError(f"cannot read {text!r} as a number followed by a unit")
    return parse_value(match.group(1)), match.group(2)


def unit_info(unit: str) -> tuple[str, float]:
    """``(normalised unit, factor)`` of a unit as written; ``UnitError`` when unknown."""
    if unit is None or not str(unit).strip():
        raise UnitError("capacity unit is empty")
    try:
        return _UNITS[_canon(unit)]
    except KeyError:
        known = ", ".join(sorted({s for s in _UNITS}))
        raise UnitError(f"unknown capacity unit {unit!r} (known: {known})") from None


def parse_capacity(value: object, unit: str | None = None) -> tuple[float, str]:
    """The normalised ``(value, unit)`` of a capacity as written.

    ``parse_capacity(500, "kg/d") == (0.5, "t/d")``; with ``unit`` omitted, ``value`` is the whole
    text: ``parse_capacity("2.369MW") == (2369.0, "kW")``.
    """
    if unit is None:
        number, unit = split_quantity(str(value))
    else:
        number = parse_value(value)
    norm_unit, factor = unit_info(unit)
    norm = number * factor
    if math.isinf(norm):  # finite as written, overflowing once converted (1e308 MW)
        raise UnitError(f"capacity {value!r} {unit} is too large")
    # round away binary noise (2.369 × 1000 = 2369.0000000000005) without losing real digits
    return float(round(norm, 9)), norm_unit


def fits_category(norm_unit: str, category: str, *, primary: bool = True) -> bool:
    """Whether a normalised unit is a capacity of ``category``.

    The primary component must be in the category's ``model.NORM_UNIT``; further components
    may also be counts (``COUNT_UNITS``), as E.5's drums per year.
    """
    expected = NORM_UNIT.get(category)
    if expected is None:
        return False
    return norm_unit == expected or (not primary and norm_unit in COUNT_UNITS)


def normalise(value: object, unit: str, category: str) -> float:
    """``value`` in ``unit`` expressed in the category's normalised unit (``model.NORM_UNIT``).

    ``normalise(500, "kg/d", "wet_waste") == 0.5``; ``normalise(2.369, "MW", "pv") == 2369.0``.
    Raises ``UnitError`` for an unknown category or unit, a unit of the wrong kind for the
    category, or a value that is not a finite non-negative number.
    """
    if category not in CATEGORIES:
        raise UnitError(f"unknown category {category!r} (expected one of {', '.join(CATEGORIES)})")
    norm, norm_unit = parse_capacity(value, unit)
    if not fits_category(norm_unit, category):
        raise UnitError(
            f"unit {unit!r} ({norm_unit}) does not fit category {category!r}, "
            f"whose capacities are in {NORM_UNIT[category]}"
        )
    return norm


# --- numbers as typed (issue 15) ---------------------------------------------------------
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def parse_decimal(text: str) -> float:
    """A finite number written plainly (``12``, ``-0.5``, ``1e3``) or with thousands commas in
    groups of three (``1,500``).  ``ValueError`` for anything else — notably ``1,5`` (a decimal
    comma or a missing digit?), ``1_0`` (Python's digit separator) and ``inf``/``nan``."""
    t = text.strip()
    if _PLAIN.match(t):
        value = float(t)
    elif _GROUPED.match(t):
        value = float(t.replace(",", ""))
    else:
        raise ValueError(f"{text!r} is not an unambiguous number")
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is too large")
    return value
