"""Small pure helpers: is a value unknown, and how a number is written."""
from __future__ import annotations

import math

import pandas as pd


def _isnull(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _fmt_num(value: object) -> str:
    v = float(value)  # type: ignore[arg-type]
    return f"{v:,.0f}" if v.is_integer() and abs(v) >= 1000 else f"{v:g}"
