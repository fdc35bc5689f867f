"""Seeding: the plan's sites from ``facilities.load_seed_sites()`` on the first start and whenever
the seed files change, never overwriting a field a person changed (``protected_fields``); a seed
record as a ``sites`` row (``seed_row``, also used by ``add_site``); the ``meta`` table."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from wufei_geo import db, facilities, site_rules
from wufei_geo.errors import ValidationError
from wufei_geo.model import SITE_COLUMNS
from wufei_geo.store import audit
from wufei_geo.store.session import Retry, Session
from wufei_geo.store.values import clean

SEED_USER = "seed"
SEED_FIELDS = tuple(c for c in SITE_COLUMNS if c not in ("site_id", "version"))
# Fields an edit writes besides the changed ones: every edit confirms the site's status (issue 11).
CONFIRMATION_FIELDS = ("status_as_of", "status_source", "status_confirmed_at", "status_confirmed_by")
_DESIGN_FIELDS = ("capacity_value", "capacity_unit", "capacity_norm", "capacity_norm_unit", "capacity_components")


def set_meta(conn: Connection, key: str, value: str) -> None:
    if conn.execute(sa.select(db.meta.c.key).where(db.meta.c.key == key)).first():
        conn.execute(sa.update(db.meta).where(db.meta.c.key == key).values(value=value))
    else:
        conn.execute(sa.insert(db.meta).values(key=key, value=value))


def protected_fields(conn: Connection) -> dict[str, set[str]]:
    """Per site, the fields a person's audited action claimed (``"*"``: a site a person added)."""
    a = db.audit
    out: dict[str, set[str]] = {}
    q = sa.select(a.c.site_id, a.c.field, a.c.action).where(
        a.c.site_id.isnot(None), a.c.action.in_(sorted(audit.USER_ACTIONS))
    ).distinct()
    for sid, field, action in conn.execute(q):
        claimed = out.setdefault(sid, set())
        if action == "add_site":
            claimed.add("*")
        if field:
            claimed.add(field)
        if action in ("update", "confirm_proposal"):
            claimed.update(CONFIRMATION_FIELDS)
        if action == "confirm":  # a person confirmed the status unchanged (issue 12)
            claimed.update(("status_confirmed_at", "status_confirmed_by"))
        if action == "set_design_capacity":
            claimed.update(_DESIGN_FIELDS)
    return out


def _seed_value(col: str, value: Any) -> Any:
    if col == "capacity_components":
        if value is None or (isinstance(value, float) and math.isnan(value)):
            value = []
        return value if isinstance(value, str) else json.dumps(
            [{k: clean(v) for k, v in comp.items()} for comp in value], ensure_ascii=False
        )
    value = clean(value)
    if col in ("retired", "existing_facility"):
        value = bool(value)
    if col == "served_villages" and isinstance(value, (list, tuple)):
        value = json.dumps([str(v) for v in value], ensure_ascii=False)
    if col == "target_year" and value is not None:
        value = int(value)
    return value


def seed_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """A seed record (or an added site) as the values of a ``sites`` row."""
    if not record.get("site_id"):
        raise ValidationError(key="error.seed_no_site_id")
    row = {col: _seed_value(col, record[col]) for col in SITE_COLUMNS if col != "version" and col in record}
    row["site_id"] = str(row["site_id"])
    return row


def _seed_site(conn: Connection, now: dt.datetime, row: dict[str, Any], old: Mapping[str, Any] | None,
               claimed: set[str], first_start: bool) -> str:
    """Add or refresh one seed site; returns ``added``, ``updated`` or ``unchanged``."""
    sid = row["site_id"]
    if old is None:
        conn.execute(sa.insert(db.sites).values(**row, version=1, updated_at=now))
        if not first_start:
            audit.record(conn, now, SEED_USER, sid, row.get("town_code"), "seed_add", None, None, None, None, 1)
        return "added"
    if "*" in claimed:
        return "unchanged"
    changed = {
        f: row[f] for f in SEED_FIELDS
        if f in row and f not in claimed and not site_rules.same_value(old.get(f), row[f])
    }
    if not changed:
        return "unchanged"
    version = old["version"] + 1
    res = conn.execute(
        sa.update(db.sites)
        .where(db.sites.c.site_id == sid, db.sites.c.version == old["version"])
        .values(**changed, version=version, updated_at=now)
    )
    if res.rowcount != 1:  # changed under us (PostgreSQL): start the transaction again
        raise Retry(sid)
    for f, new in changed.items():
        audit.record(conn, now, SEED_USER, sid, changed.get("town_code", old.get("town_code")),
                     "reseed", f, audit.fmt(old.get(f)), audit.fmt(new), None, version)
    return "updated"


class Seeding(Session):
    """Seeding the plan's sites."""

    def seed_from_files(self) -> dict[str, int] | None:
        """Seed from ``facilities.load_seed_sites()`` when the seed changed since the last run."""
        records = facilities.load_seed_sites()
        digest = hashlib.sha256(
            json.dumps(records, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
        ).hexdigest()
        if self._meta("seed_hash") == digest:
            return None
        return self.seed(records, seed_hash=digest)

    def _meta(self, key: str) -> str | None:
        return self.read(lambda c: c.execute(sa.select(db.meta.c.value).where(db.meta.c.key == key)).scalar())

    def seed(self, records: Iterable[Mapping[str, Any]], seed_hash: str | None = None) -> dict[str, int]:
        """Add the plan's new sites; refresh seed fields of known sites unless a person changed them.

        A field is a person's once an audited user action (update, add_site, retire) touched it;
        a status change also claims ``status_as_of``/``status_source``.  On an empty table the
        rows are simply inserted; later additions and refreshes are audited as the seed.
        Returns counts ``{"added", "updated", "unchanged"}``.
        """
        rows = [seed_row(r) for r in records]
        ids = [r["site_id"] for r in rows]
        if len(set(ids)) != len(ids):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            raise ValidationError(key="error.seed_duplicate_ids", params={"names": ", ".join(dup)})

        def work(conn: Connection) -> dict[str, int]:
            now = self.now()
            existing = {r["site_id"]: dict(r) for r in conn.execute(sa.select(db.sites)).mappings()}
            protected = protected_fields(conn)
            counts = {"added": 0, "updated": 0, "unchanged": 0}
            for row in rows:
                sid = row["site_id"]
                outcome = _seed_site(conn, now, row, existing.get(sid), protected.get(sid, set()), not existing)
                counts[outcome] += 1
            if seed_hash is not None:
                set_meta(conn, "seed_hash", seed_hash)
            return counts

        try:
            return self.run_write(work)
        except IntegrityError:  # another process seeded the same rows at the same moment
            return self.run_write(work)
