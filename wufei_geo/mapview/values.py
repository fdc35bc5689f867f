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


def display_number(value: float) -> str:
    """A number as a reader takes it in: at most 2 significant digits below 100 (0.754717 → 0.75,
    1.50943 → 1.5, 33.96 → 34), whole numbers from 100 on (1,234).  For labels, not for data."""
    v = float(value)
    if v == 0 or not math.isfinite(v):
        return _fmt_num(v) if math.isfinite(v) else str(v)
    if abs(v) >= 100:
        return _fmt_num(round(v))
    digits = 1 - int(math.floor(math.log10(abs(v))))
    return _fmt_num(round(v, digits))
