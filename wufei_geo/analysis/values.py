"""Reading the values of site and target rows as the analysis needs them (the readers may give
``310118105.0`` for a code, ``'2025-06'`` for a date, NaN for nothing), and rounding sums."""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from wufei_geo.values import is_unknown  # the one "is unknown" rule (wufei_geo/values.py)


def text_of(value: Any) -> str | None:
    return None if is_unknown(value) else str(value).strip()


def code_of(value: Any) -> str | None:
    """A town code as text, whatever the reader made of it (310118105, 310118105.0, '310118105')."""
    if is_unknown(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text


def codes_of(series: pd.Series) -> pd.Series:
    return series.map(lambda v: code_of(v) or "")


def float_of(value: Any) -> float | None:
    if is_unknown(value):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) or math.isinf(out) else out


def year_of(value: Any) -> int | None:
    """The year of an int, '2025', '2021-12' or '2021-12-31' (None when unknown)."""
    if is_unknown(value):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.year
    text = str(value).strip()
    try:
        return int(float(text)) if len(text) <= 6 and "-" not in text else int(text[:4])
    except ValueError:
        return None


def ids_of(value: Any) -> list[str]:
    if is_unknown(value):
        return []
    if isinstance(value, (list, tuple, set)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value).replace(",", ";").split(";") if part.strip()]


def plain_number(value: float) -> float | int:
    """Round sums for display/JSON (5 + 80 + 10 + 0.5 + 5 must print as 100.5)."""
    rounded = round(float(value), 6)
    return int(rounded) if rounded.is_integer() else rounded




def targets_list(targets: Iterable[Mapping[str, Any]] | pd.DataFrame) -> list[dict[str, Any]]:
    if isinstance(targets, pd.DataFrame):
        return targets.to_dict("records")
    return [dict(t) for t in targets]


def date_end(value: Any) -> dt.date | None:
    """The last day of a (partial) date: '2025' → 2025-12-31, '2025-06' → 2025-06-30."""
    if is_unknown(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        parts = [int(p) for p in text[:10].split("-")]
        if len(parts) == 1:
            return dt.date(parts[0], 12, 31)
        if len(parts) == 2:
            nxt = dt.date(parts[0] + (parts[1] == 12), parts[1] % 12 + 1, 1)
            return nxt - dt.timedelta(days=1)
        return dt.date(parts[0], parts[1], parts[2])
    except (ValueError, IndexError):
        return None

