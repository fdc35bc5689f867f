"""What every change of a site by a person shares: who may edit it (``check_may_edit``), the
version the change started from (``check_version``), the optimistic-locked write
(``write_site``) and the time stamp of a status confirmation (``confirmed_at``)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from wufei_geo import db
from wufei_geo.errors import PermissionDenied, ValidationError
from wufei_geo.store import audit


def check_may_edit(who: Any, site: Mapping[str, Any]) -> None:
    """The edit permission (town officials: own town's sites; planners and administrators: any)."""
    if who.role == "town_official":
        if site["town_code"] is None or site["town_code"] != who.town_code:
            raise PermissionDenied(
                key="error.other_town" if site["town_code"] is not None else "error.other_town_none",
                params={"name": who.name, "town": who.town_code, "site_id": site["site_id"],
                        "site_town": site["town_code"]},
            )
    elif who.role not in ("admin", "planner"):
        raise PermissionDenied(key="error.role_may_not_edit", params={"role": who.role})


def check_version(conn: Connection, site: Mapping[str, Any], expected_version: Any, started: str) -> None:
    """The change started from the stored version (``started``: what started, for the message)."""
    if isinstance(expected_version, bool) or not isinstance(expected_version, int):
        raise ValidationError(f"expected_version must be the integer version the {started} started from")
    if site["version"] != expected_version:
        raise audit.stale_error(conn, site["site_id"], expected_version, site["version"])


def write_site(conn: Connection, site_id: str, expected_version: int, values: Mapping[str, Any]) -> None:
    """``UPDATE sites ... WHERE version = expected``; StaleVersion when another write came first."""
    res = conn.execute(
        sa.update(db.sites).where(db.sites.c.site_id == site_id, db.sites.c.version == expected_version).values(**values)
    )
    if res.rowcount != 1:
        current = conn.execute(sa.select(db.sites.c.version).where(db.sites.c.site_id == site_id)).scalar()
        raise audit.stale_error(conn, site_id, expected_version, current)


def confirmed_at(now: dt.datetime) -> str:
    """A status confirmation's time as stored (UTC, seconds)."""
    return now.astimezone(dt.UTC).isoformat(timespec="seconds")


def require_planner(who: Any, doing_en: str, doing_zh: str, rule: str) -> None:
    """Only a planner or an administrator may do this (``doing_*``: what, for the message)."""
    if who.role not in ("planner", "admin"):
        raise PermissionDenied(f"only a planner or an administrator may {doing_en} (you are {who.role}) "
                               f"/ 仅规划人员或管理员可{doing_zh}", rule, role=who.role)
