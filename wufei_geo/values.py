"""The small value rules, each written once: whether a value is unknown, and how a number is
written (with the unknown text).  Every module that asks either question imports it from here
(analysis, mapview, locate, io exports, the store's audit text, the pages).

Unknown: None, pandas' NA and NaT, numpy's NaT, a NaN of any float type, and text that is empty
or only spaces.  A list, tuple, set or dict is a value (even when empty).

Numbers have three written forms, for three readers (each caller names the one it shows):

* ``reading`` — a figure for people (pages, reports, CLI): thousands grouped, at most two
  decimals (``1,234.5``);
* ``compact`` — a value in the map's tooltips and tables: whole numbers from 1,000 grouped
  (``12,000``), others in their shortest form (``0.5``, ``37.78``);
* ``stored`` — the audit's text of a stored number: a whole number without a decimal point,
  other numbers exactly (``repr``), so the audit can be read back.
"""
from __future__ import annotations

import math
from typing import Any, Literal

import pandas as pd

NumberStyle = Literal["reading", "compact", "stored"]
UNKNOWN_KEY = "common.unknown"  # 未知 / unknown
NO_VALUE = "—"  # a figure that has no value (a cell of a figure table, not a stored value)


def is_unknown(value: Any) -> bool:
    """Whether ``value`` is unknown (see the module docstring): THE test, everywhere."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, bool | int | list | tuple | set | dict):
        return False
    try:
        return bool(pd.isna(value))  # numpy NaT, float32 NaN, Decimal NaN …
    except (TypeError, ValueError):  # an array-like: a value
        return False


def unknown_text(lang: str) -> str:
    """未知 / unknown."""
    from wufei_geo import i18n

    return i18n.t(UNKNOWN_KEY, lang)


def number_text(value: Any, style: NumberStyle = "reading", unknown: str = NO_VALUE) -> str:
    """``value`` written in ``style``; ``unknown`` when it is unknown (pass ``unknown_text(lang)``
    where a stored value is shown)."""
    if is_unknown(value):
        return unknown
    number = float(value)
    if style == "stored":
        return str(int(number)) if number.is_integer() else repr(value)
    if style == "compact":
        return f"{number:,.0f}" if number.is_integer() and abs(number) >= 1000 else f"{number:g}"
    if number.is_integer():
        return f"{int(number):,}"
    return f"{number:,.2f}".rstrip("0").rstrip(".")
