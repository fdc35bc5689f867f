"""What every change of a site by a person shares: the version the change started from
(``check_version``), the optimistic-locked write (``write_site``) and the time stamp of a status
confirmation (``confirmed_at``).  Who may change it is asked of :mod:`wufei_geo.permissions`."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from wufei_geo import db
from wufei_geo.errors import ValidationError
from wufei_geo.store import audit


def check_version(conn: Connection, site: Mapping[str, Any], expected_version: Any, started: str) -> None:
    """The change started from the stored version (``started``: what started, for the message)."""
    if isinstance(expected_version, bool) or not isinstance(expected_version, int):
        raise ValidationError(key="error.bad_version", params={"started": started})
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
