"""How fresh a status is (issue 12): the one rule for "confirmed within the period" and "stale".

A site's status is confirmed when a person confirmed it (``status_confirmed_at``: every edit, a
confirmation "unchanged", the plan's date for seed rows) within ``months`` before ``today``;
otherwise it is stale.  The period is ``Settings.status_confirmation_months`` — the same one the
forecast (:mod:`wufei_geo.analysis`) trusts expected dates by.  Used by the analysis (re-exported
there), the catalog's ``stale`` flag and the per-town freshness; imports no other wufei_geo module.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

DEFAULT_CONFIRMATION_MONTHS = 12


def _text(value: Any) -> str | None:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _months_before(today: dt.date, months: int) -> dt.date:
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    day = min(today.day, 28)
    return dt.date(year, month + 1, day)


def status_confirmed(row: Mapping[str, Any], today: dt.date, months: int = DEFAULT_CONFIRMATION_MONTHS) -> bool:
    """Whether a person confirmed the site's status within ``months`` before ``today``
    (``status_confirmed_at``; a missing confirmation is not a confirmation)."""
    when = _text(row.get("status_confirmed_at"))
    if when is None:
        return False
    try:
        day = dt.date.fromisoformat(when[:10])
    except ValueError:
        return False
    return day >= _months_before(today, months)


def stale_flags(sites: pd.DataFrame, today: dt.date | None = None,
                months: int = DEFAULT_CONFIRMATION_MONTHS) -> pd.Series:
    """True where a site's status was not confirmed within ``months`` before ``today``."""
    today = today or dt.date.today()
    # one column, not every row as a dict: 100,000 sites took seconds per call (issue 27)
    column = sites["status_confirmed_at"].tolist() if "status_confirmed_at" in sites.columns else [None] * len(sites)
    return pd.Series([not status_confirmed({"status_confirmed_at": v}, today, months) for v in column],
                     index=sites.index, dtype=bool)


def freshness(sites: pd.DataFrame, today: dt.date | None = None,
              months: int = DEFAULT_CONFIRMATION_MONTHS) -> dict[str, Any]:
    """``{sites, confirmed, stale, last_confirmed_at}`` of the live (not retired) sites given:
    confirmed = status confirmed within the period, stale = the others, last_confirmed_at = the
    latest confirmation (ISO text as stored; None when there is none)."""
    live = sites
    if "retired" in live.columns:
        live = live[~live["retired"].fillna(False).astype(bool)]
    stale = stale_flags(live, today, months) if len(live) else pd.Series([], dtype=bool)
    column = live["status_confirmed_at"] if "status_confirmed_at" in live.columns else []
    stamps = [w for w in (_text(v) for v in column) if w]
    return {"sites": int(len(live)), "confirmed": int((~stale).sum()), "stale": int(stale.sum()),
            "last_confirmed_at": max(stamps) if stamps else None}


# A site nobody pursues any more is never overdue.
_NOT_PURSUED = frozenset({"cancelled"})


def overdue_mask(sites: pd.DataFrame, today: dt.date | None = None) -> pd.Series:
    """True where the target year has passed and the site has not reached its target state.

    A target year counts as passed once that calendar year is over (2025 → from 2026-01-01).
    Cancelled sites are not flagged: nobody is pursuing them any more.
    """
    year = (today or dt.date.today()).year
    target_year = pd.to_numeric(sites["target_year"], errors="coerce")
    target_status = sites["target_status"].fillna("operating")
    return (
        target_year.notna()
        & (target_year < year)
        & (sites["status"] != target_status)
        & ~sites["status"].isin(_NOT_PURSUED)
    ).astype(bool)
