"""The sites as they were at the end of a day (issue 23): today's sites with every person's
audited change made after that day undone, newest first.

Undone: ``update``, ``confirm_proposal``, ``set_design_capacity`` (the field's ``old_value``
goes back), ``retire`` (the site was not yet retired) and ``add_site`` (the site did not exist
yet).  Not undone: the seed (``seed_add``, ``reseed``: the plan's own data, whenever it was
loaded).  A site whose ``commissioned`` date lies after the day was not operating then: it is
read as ``under_construction``.  The result depends on the audit and the day only — the same
answer whenever it is computed."""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa

from wufei_geo import db
from wufei_geo.model import SITE_COLUMNS
from wufei_geo.site_rules import date_first_day

if TYPE_CHECKING:
    from wufei_geo.store import Store

SHANGHAI = ZoneInfo("Asia/Shanghai")
UNDONE_ACTIONS = ("update", "confirm_proposal", "set_design_capacity", "retire")
_FLOATS = frozenset(c.name for c in db.sites.columns if isinstance(c.type, sa.Float))
_INTS = frozenset({"target_year", "version"})


def end_of_day(day: dt.date) -> dt.datetime:
    """The first instant after ``day`` in Qingpu, in UTC."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), SHANGHAI).astimezone(dt.UTC)


def _parse(field: str, text: str | None) -> Any:
    if text is None:
        return None
    if field in _FLOATS:
        return float(text)
    if field in _INTS:
        return int(text)
    if field in ("retired", "existing_facility"):
        return text == "true"
    return text


def _commissioned_after(value: Any, day: dt.date) -> bool:
    if not isinstance(value, str) or not value.strip():
        return False
    try:
        return date_first_day(value.strip()) > day
    except ValueError:
        return False


def sites_as_of(store: Store, day: dt.date) -> pd.DataFrame:
    """The live (not retired) sites as they were at the end of ``day``, in ``SITE_COLUMNS``."""
    frame = store.sites_frame(include_retired=True)
    cut = end_of_day(day)
    a = db.audit
    q = (sa.select(a.c.site_id, a.c.action, a.c.field, a.c.old_value)
         .where(a.c.at >= cut, a.c.site_id.isnot(None), a.c.action.in_((*UNDONE_ACTIONS, "add_site")))
         .order_by(a.c.id.desc()))
    rows = store.read(lambda c: c.execute(q).all())
    records = {r["site_id"]: r for r in frame.to_dict("records")}
    added_later: set[str] = set()
    for site_id, action, field, old in rows:
        rec = records.get(site_id)
        if rec is None:
            continue
        if action == "add_site":
            added_later.add(site_id)
        elif field in rec and field in SITE_COLUMNS:
            rec[field] = _parse(field, old)
    out = []
    for sid, rec in records.items():
        if sid in added_later or rec.get("retired"):
            continue
        if rec.get("status") == "operating" and _commissioned_after(rec.get("commissioned"), day):
            rec["status"] = "under_construction"
        out.append(rec)
    result = pd.DataFrame(out, columns=list(SITE_COLUMNS))
    for col in _FLOATS & set(SITE_COLUMNS):
        result[col] = pd.to_numeric(result[col]).astype("float64")
    result["retired"] = result["retired"].astype(bool)
    return result
