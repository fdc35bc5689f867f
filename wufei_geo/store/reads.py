"""Reads of the sites: the frame everyone reads (``sites_frame``), one site (``get_site``), the
cache key (``data_version``) and the hash of every data table (``content_hash``); ``site_row`` /
``stored_site`` for the writers."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from wufei_geo import db
from wufei_geo.errors import NotFound
from wufei_geo.model import SITE_COLUMNS
from wufei_geo.store.atomic import for_write
from wufei_geo.store.session import Session
from wufei_geo.store.values import hashable

_FLOAT_COLUMNS = ("capacity_value", "capacity_norm", "operating_capacity_value", "operating_capacity_norm",
                  "baseline_capacity_value", "baseline_capacity_norm", "lon", "lat", "investment_yuan")


def site_row(conn: Connection, site_id: str) -> Mapping[str, Any] | None:
    """The stored row of a site, or None; in a write transaction the row stays locked until it
    ends (:func:`wufei_geo.store.atomic.for_write`): what a writer checked is what it changes."""
    return conn.execute(for_write(conn, sa.select(db.sites).where(db.sites.c.site_id == site_id))).mappings().first()


def stored_site(conn: Connection, site_id: str) -> dict[str, Any]:
    """A site as stored now (after a write in the same transaction)."""
    return dict(conn.execute(sa.select(db.sites).where(db.sites.c.site_id == site_id)).mappings().one())



def _scalar(column: Any) -> Any:
    return sa.select(column).scalar_subquery()


_DATA_VERSION = sa.select(
    _scalar(sa.func.count(db.sites.c.site_id)), _scalar(sa.func.coalesce(sa.func.sum(db.sites.c.version), 0)),
    _scalar(sa.func.coalesce(sa.func.max(db.audit.c.id), 0)), _scalar(sa.func.count(db.zones.c.town_code)),
    _scalar(sa.func.count(db.places.c.place_id)), _scalar(sa.func.coalesce(sa.func.sum(db.places.c.version), 0)),
)

class Reads(Session):
    """Reading the sites."""

    def sites_frame(self, include_retired: bool = False) -> pd.DataFrame:
        """All sites in ``SITE_COLUMNS`` order (capacity_components as JSON text; unknown = null)."""
        q = sa.select(*[db.sites.c[c] for c in SITE_COLUMNS]).order_by(db.sites.c.site_id)
        if not include_retired:
            q = q.where(db.sites.c.retired == sa.false())
        rows = self.read(lambda c: c.execute(q).all())
        frame = pd.DataFrame([tuple(r) for r in rows], columns=list(SITE_COLUMNS))
        for col in _FLOAT_COLUMNS:
            frame[col] = pd.to_numeric(frame[col]).astype("float64")
        for col in ("target_year", "version"):
            frame[col] = pd.array(frame[col].tolist(), dtype="Int64")
        frame["retired"] = frame["retired"].astype(bool)
        return frame

    def get_site(self, site_id: str) -> dict[str, Any]:
        """One site as a dict of ``SITE_COLUMNS`` (+ ``updated_at``); NotFound if unknown."""
        row = self.read(lambda c: site_row(c, site_id))
        if row is None:
            raise NotFound(key="error.no_site", params={"site_id": site_id})
        return dict(row)

    def data_version(self) -> str:
        """A cheap key that changes whenever sites, zones or the audit change (for caches)."""

        # one statement (every page run asks): sites, their versions, the audit, zones, places
        return ":".join(str(v) for v in self.read(lambda conn: conn.execute(_DATA_VERSION).one()))

    def content_hash(self) -> str:
        """SHA-256 over every data table's rows (ordered by key): equal hashes, equal data."""
        h = hashlib.sha256()

        def work(conn: Connection) -> None:
            for table in db.DATA_TABLES:
                h.update(f"\n#{table.name}\n".encode())
                order = list(table.primary_key.columns)
                for row in conn.execute(sa.select(table).order_by(*order)):
                    h.update(json.dumps([hashable(v) for v in row], ensure_ascii=False).encode("utf-8"))
                    h.update(b"\n")

        self.read(work)
        return h.hexdigest()
