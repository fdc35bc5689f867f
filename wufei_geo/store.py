"""The store: live state of the sites, accounts, audit and official zones, in one database.

``Store.open(url)`` migrates the schema (Alembic) and seeds the plan's sites from
``facilities.load_seed_sites()``.  Reads return plain frames/dicts.  Every site edit — the
app, the CLI, bulk import, any future API — goes through :meth:`Store.update_site`: it checks
the actor's session and rights, validates the values, and writes in ONE transaction an
optimistic-locked ``UPDATE ... WHERE version = :expected`` plus one audit row per changed
field.  A refusal raises an :mod:`wufei_geo.errors` exception and writes nothing.

Write transactions that meet a locked SQLite database (or a PostgreSQL serialisation failure)
are retried with a bounded, jittered backoff; a retry can never apply an edit twice because
the version it was checked against has moved on.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import random
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from wufei_geo import auth, db, site_rules
from wufei_geo.auth import SHANGHAI, Actor
from wufei_geo.config import Settings, load_settings
from wufei_geo.errors import (
    BatchRefused,
    ImplausibleEdit,
    NotFound,
    PermissionDenied,
    StaleVersion,
    StoreBusy,
    StoreUnavailable,
    ValidationError,
    WufeiError,
)
from wufei_geo.model import (
    CATEGORIES,
    IDENTIFIER_PATTERN,
    MAX_NOTE_CHARS,
    PRECISIONS,
    SITE_COLUMNS,
    STATUSES,
    WET_WASTE_MODES,
)

T = TypeVar("T")

EDITABLE_FIELDS = site_rules.EDITABLE_FIELDS
# Fields an edit writes besides the changed ones: every edit confirms the site's status (issue 11).
_CONFIRMATION_FIELDS = ("status_as_of", "status_source", "status_confirmed_at", "status_confirmed_by")
# Audit actions that record a person's decision: the seed never overwrites their fields.
USER_ACTIONS = frozenset({"update", "add_site", "retire", "confirm_proposal", "set_design_capacity", "confirm"})
# Audit actions that record no change of a site's values (not a site's "last change").
NO_CHANGE_ACTIONS = ("propose", "reject_proposal", "override", "confirm")
# Round statuses (issue 12) and what an answer in a round can be.
ROUND_STATUSES = ("open", "closed")
ROUND_ANSWERS = ("confirm", "update", "propose")
# Audit actions by which a person accepted a value past a plausibility rule (restore honours them).
ACCEPT_ACTIONS = ("confirm_proposal", "override")
SEED_USER = "seed"
MAX_WRITE_ATTEMPTS = 10
_SEED_FIELDS = tuple(c for c in SITE_COLUMNS if c not in ("site_id", "version"))


def check_text(label: str, value: str, *, controls: bool = False) -> str:
    """Refuse text PostgreSQL cannot store: NUL and lone UTF-16 surrogates (hostile-input fix: a NUL
    in a note reached PostgreSQL as a raw DataError).  With ``controls`` every other control
    character except tab/newline is refused too (site fields: they end up in XLSX exports, which
    cannot hold them).  Notes keep other control characters: every display escapes them."""
    bad = sorted({ch for ch in value if ch == "\x00" or unicodedata.category(ch) == "Cs"
                  or (controls and unicodedata.category(ch) == "Cc" and ch not in "\t\n\r")})
    if bad:
        raise ValidationError(
            key="error.control_chars", params={"label": label, "chars": ", ".join(f"U+{ord(ch):04X}" for ch in bad)}
        )
    return value


def check_note(note: str) -> str:
    """A note: text PostgreSQL can store (:func:`check_text`) of at most ``MAX_NOTE_CHARS``
    characters — the same cap on every path (issue 15: a 10-million-character note reached the
    append-only audit)."""
    check_text("the note", note)
    if len(note) > MAX_NOTE_CHARS:
        raise ValidationError(f"the note has {len(note):,} characters; at most {MAX_NOTE_CHARS:,} / 说明过长（最多 {MAX_NOTE_CHARS} 字）")
    return note


def failure_message(exc: BaseException) -> str | None:
    """One line for an expected failure (issue 15: database locked or read-only, disk full,
    duplicate rows, refusals, unreadable files), or None for a bug (which keeps its traceback).
    Database errors are named by kind only: their text carries the SQL parameters, which may
    hold password hashes."""
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(exc, WufeiError):
        return str(exc)
    if isinstance(exc, IntegrityError):
        return ("the database refused the change: a row with the same key already exists or a rule of the "
                "schema is broken; nothing was saved / 数据重复或违反约束，未保存")
    if isinstance(exc, DBAPIError):
        if _is_transient(exc):
            return "the database is locked by another program; nothing was saved, try again / 数据库被占用，未保存"
        key = _storage_refusal(exc)
        if key:
            from wufei_geo import i18n

            return f"{i18n.t(key, 'en')} / {i18n.t(key, 'zh')}"  # both languages, split by the caller
        return (
            f"the database could not be used ({type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__}); "
            "check WUFEI_DB_URL and the database server / 无法使用数据库")
    if isinstance(exc, SQLAlchemyError):
        return f"the database could not be used ({type(exc).__name__}) / 无法使用数据库"
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        return f"{exc.strerror or type(exc).__name__}{where} / 文件读写失败"
    return None


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _fmt(value: Any) -> str | None:
    """A stored value as audit text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _clean(value: Any) -> Any:
    """None for NaN/NaT/pandas NA; numpy scalars to Python."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


class _Retry(Exception):
    """Raised inside a write transaction to roll it back and run it again."""


def _is_transient(exc: DBAPIError) -> bool:
    text = str(exc.orig if exc.orig is not None else exc).lower()
    if "database is locked" in text or "database is busy" in text or "database table is locked" in text:
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return sqlstate in ("40001", "40P01")  # serialization_failure, deadlock_detected


def _storage_refusal(exc: DBAPIError) -> str | None:
    """The message key for a write the database refused as a whole, else None.

    Hostile-input fix: a read-only database file or a full disk used to surface as a raw
    SQLAlchemy OperationalError (a traceback in the CLI, an exception page in the app).
    """
    text = str(exc.orig if exc.orig is not None else exc).lower()
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if "readonly database" in text or "read-only" in text or sqlstate == "25006":
        return "error.db_read_only"
    if "disk is full" in text or "database or disk is full" in text or sqlstate in ("53100", "53200"):
        return "error.db_full"
    if exc.connection_invalidated or (sqlstate or "").startswith(("08", "57P")):
        return "error.db_lost"
    return None


class Store:
    """The database behind the map; see the module docstring."""

    def __init__(self, engine: Engine, settings: Settings | None = None, clock: Callable[[], dt.datetime] | None = None):
        self.engine = engine
        self.settings = settings or load_settings()
        self.clock = clock or _utcnow

    # --- opening -----------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        seed: bool = True,
        settings: Settings | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> Store:
        """Connect, migrate to the head revision, and seed the plan's sites.

        The seed runs on the first start and again whenever the seed files changed (their hash
        is kept in ``meta``); it never overwrites a field a person changed (see :meth:`seed`).
        """
        settings = settings or load_settings()
        engine = db.make_engine(url or settings.db_url)
        db.migrate(engine)
        store = cls(engine, settings, clock)
        if seed:
            store.seed_from_files()
        return store

    def close(self) -> None:
        self.engine.dispose()

    def now(self) -> dt.datetime:
        """Aware UTC now (from the injectable clock)."""
        now = self.clock()
        if now.tzinfo is None:
            raise ValueError("the store clock must return aware datetimes")
        return now.astimezone(dt.UTC)

    def today(self) -> dt.date:
        """Today's date in Qingpu (Asia/Shanghai)."""
        return self.now().astimezone(SHANGHAI).date()

    # --- transactions ------------------------------------------------------------------------

    def run_write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work(conn)`` in one write transaction, retrying (bounded) while the database is busy.

        ``work`` must be safe to run again from scratch: the transaction of a failed attempt is
        rolled back entirely.  A WufeiError raised by ``work`` rolls back and propagates.
        """
        delay = 0.02
        for attempt in range(MAX_WRITE_ATTEMPTS):
            try:
                with self.engine.connect().execution_options(**{db.WRITE_OPTION: True}) as conn:
                    with conn.begin():
                        return work(conn)
            except (_Retry, DBAPIError) as exc:
                if isinstance(exc, DBAPIError) and not _is_transient(exc):
                    refusal = _storage_refusal(exc)
                    if refusal is not None:
                        raise StoreUnavailable(key=refusal) from exc
                    raise
                if attempt == MAX_WRITE_ATTEMPTS - 1:
                    raise StoreBusy(key="error.db_busy") from exc
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 1.0)
        raise AssertionError("unreachable")

    def read(self, work: Callable[[Connection], T]) -> T:
        with self.engine.connect() as conn:
            return work(conn)

    # --- seeding -------------------------------------------------------------------------------

    def seed_from_files(self) -> dict[str, int] | None:
        """Seed from ``facilities.load_seed_sites()`` when the seed changed since the last run."""
        try:
            from wufei_geo import facilities
        except ModuleNotFoundError as exc:
            if exc.name != "wufei_geo.facilities":
                raise
            return None
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
        rows = [self._seed_row(r) for r in records]
        ids = [r["site_id"] for r in rows]
        if len(set(ids)) != len(ids):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            raise ValidationError(f"duplicate site ids in the seed: {', '.join(dup)}")

        def work(conn: Connection) -> dict[str, int]:
            now = self.now()
            existing = {r["site_id"]: dict(r) for r in conn.execute(sa.select(db.sites)).mappings()}
            first_start = not existing
            protected = self._protected_fields(conn)
            counts = {"added": 0, "updated": 0, "unchanged": 0}
            for row in rows:
                sid = row["site_id"]
                old = existing.get(sid)
                if old is None:
                    conn.execute(sa.insert(db.sites).values(**row, version=1, updated_at=now))
                    if not first_start:
                        self._audit(conn, now, SEED_USER, sid, row.get("town_code"), "seed_add", None, None, None, None, 1)
                    counts["added"] += 1
                    continue
                claimed = protected.get(sid, set())
                if "*" in claimed:
                    counts["unchanged"] += 1
                    continue
                changed = {
                    f: row[f] for f in _SEED_FIELDS if f in row and f not in claimed and not _same(old.get(f), row[f])
                }
                if not changed:
                    counts["unchanged"] += 1
                    continue
                version = old["version"] + 1
                res = conn.execute(
                    sa.update(db.sites)
                    .where(db.sites.c.site_id == sid, db.sites.c.version == old["version"])
                    .values(**changed, version=version, updated_at=now)
                )
                if res.rowcount != 1:  # changed under us (PostgreSQL): start the transaction again
                    raise _Retry(sid)
                for f, new in changed.items():
                    self._audit(conn, now, SEED_USER, sid, changed.get("town_code", old.get("town_code")),
                                "reseed", f, _fmt(old.get(f)), _fmt(new), None, version)
                counts["updated"] += 1
            if seed_hash is not None:
                self._set_meta(conn, "seed_hash", seed_hash)
            return counts

        try:
            return self.run_write(work)
        except IntegrityError:  # another process seeded the same rows at the same moment
            return self.run_write(work)

    @staticmethod
    def _set_meta(conn: Connection, key: str, value: str) -> None:
        if conn.execute(sa.select(db.meta.c.key).where(db.meta.c.key == key)).first():
            conn.execute(sa.update(db.meta).where(db.meta.c.key == key).values(value=value))
        else:
            conn.execute(sa.insert(db.meta).values(key=key, value=value))

    @staticmethod
    def _protected_fields(conn: Connection) -> dict[str, set[str]]:
        a = db.audit
        out: dict[str, set[str]] = {}
        q = sa.select(a.c.site_id, a.c.field, a.c.action).where(
            a.c.site_id.isnot(None), a.c.action.in_(sorted(USER_ACTIONS))
        ).distinct()
        for sid, field, action in conn.execute(q):
            claimed = out.setdefault(sid, set())
            if action == "add_site":
                claimed.add("*")
            if field:
                claimed.add(field)
            if action in ("update", "confirm_proposal"):
                claimed.update(_CONFIRMATION_FIELDS)
            if action == "confirm":  # a person confirmed the status unchanged (issue 12)
                claimed.update(("status_confirmed_at", "status_confirmed_by"))
            if action == "set_design_capacity":
                claimed.update({"capacity_value", "capacity_unit", "capacity_norm", "capacity_norm_unit", "capacity_components"})
        return out

    @staticmethod
    def _seed_row(record: Mapping[str, Any]) -> dict[str, Any]:
        if not record.get("site_id"):
            raise ValidationError("seed record without site_id")
        row: dict[str, Any] = {}
        for col in SITE_COLUMNS:
            if col == "version" or col not in record:
                continue
            value = record[col]
            if col == "capacity_components":
                if value is None or (isinstance(value, float) and math.isnan(value)):
                    value = []
                value = value if isinstance(value, str) else json.dumps(
                    [{k: _clean(v) for k, v in comp.items()} for comp in value], ensure_ascii=False
                )
            else:
                value = _clean(value)
            if col in ("retired", "existing_facility"):
                value = bool(value)
            if col == "served_villages" and isinstance(value, (list, tuple)):
                value = json.dumps([str(v) for v in value], ensure_ascii=False)
            if col == "target_year" and value is not None:
                value = int(value)
            row[col] = value
        row["site_id"] = str(row["site_id"])
        return row

    # --- reads ---------------------------------------------------------------------------------

    def sites_frame(self, include_retired: bool = False) -> pd.DataFrame:
        """All sites in ``SITE_COLUMNS`` order (capacity_components as JSON text; unknown = null)."""
        q = sa.select(*[db.sites.c[c] for c in SITE_COLUMNS]).order_by(db.sites.c.site_id)
        if not include_retired:
            q = q.where(db.sites.c.retired == sa.false())
        rows = self.read(lambda c: c.execute(q).all())
        frame = pd.DataFrame([tuple(r) for r in rows], columns=list(SITE_COLUMNS))
        for col in ("capacity_value", "capacity_norm", "operating_capacity_value", "operating_capacity_norm",
                    "baseline_capacity_value", "baseline_capacity_norm", "lon", "lat"):
            frame[col] = pd.to_numeric(frame[col]).astype("float64")
        for col in ("target_year", "version"):
            frame[col] = pd.array(frame[col].tolist(), dtype="Int64")
        frame["retired"] = frame["retired"].astype(bool)
        return frame

    def get_site(self, site_id: str) -> dict[str, Any]:
        """One site as a dict of ``SITE_COLUMNS`` (+ ``updated_at``); NotFound if unknown."""
        row = self.read(lambda c: c.execute(sa.select(db.sites).where(db.sites.c.site_id == site_id)).mappings().first())
        if row is None:
            raise NotFound(key="error.no_site", params={"site_id": site_id})
        return dict(row)

    def _audit_dict(self, row: Mapping[str, Any]) -> dict[str, Any]:
        d = dict(row)
        d["at_local"] = auth.shanghai_time(d["at"]) if d.get("at") else None
        return d

    def history(self, site_id: str | None = None, town_code: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Audit rows, newest first, optionally for one site and/or one town (``at`` UTC, ``at_local`` Shanghai)."""
        a = db.audit
        q = sa.select(a).order_by(a.c.id.desc())
        if site_id is not None:
            q = q.where(a.c.site_id == site_id)
        if town_code is not None:
            q = q.where(a.c.town_code == town_code)
        if limit is not None:
            q = q.limit(int(limit))
        return [self._audit_dict(r) for r in self.read(lambda c: c.execute(q).mappings().all())]

    def last_changes(self) -> dict[str, dict[str, Any]]:
        """The latest change of each site that has one: an audit row dict (status row preferred)
        plus ``changes`` — every field of that same edit as ``{field, old_value, new_value}``."""
        a = db.audit
        latest = (
            sa.select(a.c.site_id, sa.func.max(a.c.id).label("mid"))
            .where(a.c.site_id.isnot(None), a.c.action.notin_(NO_CHANGE_ACTIONS))
            .group_by(a.c.site_id)
            .subquery()
        )
        b = a.alias("b")
        q = (
            sa.select(a)
            .join(latest, latest.c.site_id == a.c.site_id)
            .join(b, b.c.id == latest.c.mid)
            .where(sa.or_(a.c.id == latest.c.mid, sa.and_(a.c.site_version.isnot(None), a.c.site_version == b.c.site_version)),
                   a.c.action.notin_(NO_CHANGE_ACTIONS))
            .order_by(a.c.id)
        )
        out: dict[str, dict[str, Any]] = {}
        for row in self.read(lambda c: c.execute(q).mappings().all()):
            d = self._audit_dict(row)
            entry = out.get(d["site_id"])
            change = {"field": d["field"], "old_value": d["old_value"], "new_value": d["new_value"]}
            if entry is None:
                d["changes"] = [change]
                out[d["site_id"]] = d
            else:
                entry["changes"].append(change)
                if d["field"] == "status":
                    changes = entry["changes"]
                    entry.update(d)
                    entry["changes"] = changes
        return out

    def data_version(self) -> str:
        """A cheap key that changes whenever sites, zones or the audit change (for caches)."""

        def work(conn: Connection) -> str:
            n, total = conn.execute(sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(db.sites.c.version), 0))).one()
            last = conn.execute(sa.select(sa.func.coalesce(sa.func.max(db.audit.c.id), 0))).scalar()
            zones = conn.execute(sa.select(sa.func.count()).select_from(db.zones)).scalar()
            return f"{n}:{total}:{last}:{zones}"

        return self.read(work)

    def content_hash(self) -> str:
        """SHA-256 over every data table's rows (ordered by key): equal hashes, equal data."""
        h = hashlib.sha256()

        def work(conn: Connection) -> None:
            for table in db.DATA_TABLES:
                h.update(f"\n#{table.name}\n".encode())
                order = list(table.primary_key.columns)
                for row in conn.execute(sa.select(table).order_by(*order)):
                    h.update(json.dumps([_hashable(v) for v in row], ensure_ascii=False).encode("utf-8"))
                    h.update(b"\n")

        self.read(work)
        return h.hexdigest()

    # --- zones ---------------------------------------------------------------------------------

    def zones(self) -> Any:
        """Official town zones (GeoDataFrame, EPSG:4326) when imported, else None."""
        import geopandas as gpd
        from shapely.geometry import shape

        rows = self.read(lambda c: c.execute(sa.select(db.zones).order_by(db.zones.c.town_code)).mappings().all())
        if not rows:
            return None
        data = [{k: v for k, v in r.items() if k != "geometry"} for r in rows]
        geoms = [shape(json.loads(r["geometry"])) for r in rows]
        return gpd.GeoDataFrame(data, geometry=geoms, crs="EPSG:4326")

    def replace_zones(self, actor: Actor | None, zones: Any, source: str | None = None,
                      accept_warnings: bool = False) -> None:
        """Replace all town zones at once (administrator, or ``actor=None`` = local command line).

        ``zones``: a GeoDataFrame with ``town_code`` and polygon geometry for every one of the
        11 towns (other columns optional).  Areas are recomputed in ``crs.METRIC_CRS``.  One audit row
        per town.  The zones are checked as a whole (``boundaries.check_whole``): problems refuse,
        warnings refuse unless ``accept_warnings`` (the administrator confirmed them).
        """
        import geopandas as gpd
        from shapely.geometry import mapping

        if not isinstance(zones, gpd.GeoDataFrame) or "town_code" not in zones.columns:
            raise ValidationError("zones must be a GeoDataFrame with a town_code column")
        if zones.crs is None:
            raise ValidationError(key="error.zones_no_crs")
        gdf = zones.to_crs("EPSG:4326")
        codes = [str(c) for c in gdf["town_code"]]
        problems = []
        if len(set(codes)) != len(codes):
            problems.append("duplicate town codes: " + ", ".join(sorted({c for c in codes if codes.count(c) > 1})))
        known = auth.known_town_codes()
        if known is not None:
            missing, unknown = sorted(known - set(codes)), sorted(set(codes) - known)
            if missing:
                problems.append("missing towns: " + ", ".join(missing))
            if unknown:
                problems.append("unknown town codes: " + ", ".join(unknown))
        elif len(set(codes)) != 11:
            problems.append(f"expected 11 towns, got {len(set(codes))}")
        for code, geom in zip(codes, gdf.geometry, strict=False):
            if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon") or not geom.is_valid:
                problems.append(f"{code}: missing, empty, invalid or non-polygon geometry")
        if problems:
            raise ValidationError(key="error.zones_refused", params={"problems": "; ".join(problems)})
        # the zones as a whole (issue 15): seats, areas, overlaps, cover, datum shift, vertices —
        # problems refuse; warnings only with the administrator's explicit confirmation
        from wufei_geo import boundaries

        whole, warnings = boundaries.check_whole(gdf)
        if whole:
            raise ValidationError(key="error.zones_refused", params={"problems": "; ".join(whole)})
        if warnings and not accept_warnings:
            raise ValidationError("zones need confirmation of these warnings (accept them explicitly): "
                                  + "; ".join(warnings) + " / 请先确认以上警告")
        from wufei_geo.crs import METRIC_CRS

        areas = gdf.to_crs(METRIC_CRS).area / 1e6
        source = source or (str(gdf["source"].iloc[0]) if "source" in gdf.columns else None)

        def col(name: str, i: int) -> Any:
            return _clean(gdf[name].iloc[i]) if name in gdf.columns else None

        def work(conn: Connection) -> None:
            now = self.now()
            by = auth.require_admin(conn, actor, now, self.settings)
            old = {r["town_code"]: r for r in conn.execute(sa.select(db.zones)).mappings()}
            conn.execute(sa.delete(db.zones))
            for i, code in enumerate(codes):
                quality = col("boundary_quality", i) or "official"
                area = round(float(areas.iloc[i]), 3)
                conn.execute(
                    sa.insert(db.zones).values(
                        town_code=code, name_zh=col("name_zh", i), name_en=col("name_en", i),
                        boundary_quality=quality, area_km2=area,
                        geometry=json.dumps(mapping(gdf.geometry.iloc[i])), source=source, imported_at=now,
                    )
                )
                prev = old.get(code)
                self._audit(
                    conn, now, by, None, code, "replace_zones", "boundary",
                    f"{prev['boundary_quality']} {prev['area_km2']} km²" if prev else None,
                    f"{quality} {area} km²", source, None,
                )

        self.run_write(work)

    # --- site edits ----------------------------------------------------------------------------

    @staticmethod
    def _audit(conn: Connection, at: dt.datetime, user: str, site_id: str | None, town: str | None,
               action: str, field: str | None, old: str | None, new: str | None, note: str | None,
               site_version: int | None) -> None:
        conn.execute(
            sa.insert(db.audit).values(
                at=at, user_name=user, site_id=site_id, town_code=town, action=action, field=field,
                old_value=old, new_value=new, note=note, site_version=site_version,
            )
        )

    def _stale(self, conn: Connection, site_id: str, expected: int, current: int) -> StaleVersion:
        a = db.audit
        rows = conn.execute(
            sa.select(a).where(a.c.site_id == site_id, a.c.site_version > expected).order_by(a.c.id)
        ).mappings().all()
        changes = [self._audit_dict(r) for r in rows]
        parts = [
            f"{c['at_local']} {c['user_name']}: {c['field'] or c['action']} {c['old_value']} → {c['new_value']}"
            for c in changes
        ]
        detail = "; ".join(parts) if parts else "no recorded details"
        return StaleVersion(
            expected_version=expected, current_version=current, changes=changes, key="error.stale",
            params={"site_id": site_id, "expected": expected, "current": current, "detail": detail},
        )

    # Field rules live in wufei_geo.site_rules (the one validator); these names stay for callers.
    def _validate_changes(self, site: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
        """New column values for the changes (not yet compared with the stored ones)."""
        return site_rules.validate_changes(site, changes, self.today())

    _validate_location = staticmethod(site_rules.parse_location)

    def _own_zone(self, conn: Connection, town_code: str | None) -> tuple[Any, str | None]:
        """The polygon of ``town_code``'s current zone (official boundary if imported, else the
        approximate zone) and its quality; (None, None) when there is none."""
        if not town_code:
            return None, None
        from shapely.geometry import shape

        row = conn.execute(sa.select(db.zones.c.geometry, db.zones.c.boundary_quality)
                           .where(db.zones.c.town_code == town_code)).first()
        if row is not None:
            return shape(json.loads(row[0])), row[1]
        if conn.execute(sa.select(sa.func.count()).select_from(db.zones)).scalar():
            return None, None  # official zones imported, but none for this code
        from wufei_geo import geodata

        zones = geodata.load_default_zones()
        hit = zones[zones["town_code"].astype(str) == str(town_code)]
        if not len(hit):
            return None, None
        quality = str(hit["boundary_quality"].iloc[0]) if "boundary_quality" in hit.columns else "approximate"
        return hit.geometry.iloc[0], quality

    def _apply_update(self, conn: Connection, actor: Actor | None, site_id: str, changes: Mapping[str, Any],
                      expected_version: Any, note: str | None, write: bool, insist: bool = False) -> dict[str, Any]:
        now = self.now()
        who = auth.check_actor(conn, actor, now, self.settings)
        site = conn.execute(sa.select(db.sites).where(db.sites.c.site_id == site_id)).mappings().first()
        if site is None:
            raise NotFound(key="error.no_site", params={"site_id": site_id})
        self._check_may_edit(who, site)
        if site["retired"]:
            raise ValidationError(key="error.site_retired", params={"site_id": site_id})
        if isinstance(expected_version, bool) or not isinstance(expected_version, int):
            raise ValidationError("expected_version must be the integer version the edit started from")
        if site["version"] != expected_version:
            raise self._stale(conn, site_id, expected_version, site["version"])
        if not isinstance(changes, Mapping):
            raise ValidationError("changes must be a mapping of field → value")
        changes = dict(changes)
        if "note" in changes:
            extra = changes.pop("note")
            if note not in (None, "") and extra not in (None, "") and extra != note:
                raise ValidationError("two different notes given")
            note = note if note not in (None, "") else extra
        if note is not None and not isinstance(note, str):
            raise ValidationError("the note must be text")
        if note is not None:
            check_note(note)
        note = note.strip() if note and note.strip() else None
        new = self._validate_changes(site, changes)
        changed = site_rules.changed_values(site, new)
        if any(k.startswith("baseline_capacity") for k in changed):
            # the capacity an existing facility had before its project (E.11): a planner's figure from a source
            if who.role not in ("admin", "planner"):
                raise PermissionDenied("only planners and administrators set a facility's capacity before its project "
                                       "/ 仅规划人员或管理员可填写项目前能力")
            if not note:
                raise ValidationError("a note naming the source of the capacity before the project is required "
                                      "/ 须在说明中注明项目前能力的来源")
        if "status" in changed:
            site_rules.check_note(site["status"], changed["status"], note)
        if not changed and not note:
            raise ValidationError("nothing to change / 没有修改", "nothing_to_change")
        official = who.role == "town_official"
        zone, quality = self._own_zone(conn, who.town_code) if official and ("lon" in changed or "lat" in changed) else (None, None)
        violations = site_rules.plausibility(site, changed, own_zone=zone, own_town=who.town_code if official else None,
                                             zone_quality=quality)
        if violations:
            if not insist:
                raise ImplausibleEdit(site_rules.implausible_message(violations), violations)
            if not note:
                raise ValidationError(
                    "insisting on an implausible edit needs a note saying why the value is right / 坚持提交须填写说明",
                    "note_required_to_insist", field="note", rules=[v.rule for v in violations],
                )
        plan = [{"field": k, "old_value": _fmt(site[k]), "new_value": _fmt(v)} for k, v in _audit_order(changed)]
        if violations and official:
            pending = conn.execute(sa.select(db.proposals.c.id).where(
                db.proposals.c.site_id == site_id, db.proposals.c.status == "pending")).first()
            if pending is not None:
                raise ValidationError(
                    f"site {site_id} already has an edit awaiting confirmation (proposal #{pending[0]}) / 该站点已有待核实的修改",
                    "proposal_pending", proposal_id=pending[0],
                )
            if not write:
                return {"site_id": site_id, "changes": plan, "note": note, "version": expected_version,
                        "proposal": True, "rules": [v.rule for v in violations]}
            proposal = self._propose(conn, now, who.name, site, changes, changed, violations, note)
            self._record_answer(conn, now, who.name, site, "propose")
            auth.touch(conn, who.session_id, now)
            out = dict(site)
            out["proposal"] = proposal
            return out
        if not write:
            return {"site_id": site_id, "changes": plan, "note": note, "version": expected_version,
                    "proposal": False, "rules": [v.rule for v in violations]}
        version = expected_version + 1
        # Every edit confirms the site's status as it now stands (issue 11: the forecast trusts
        # only statuses confirmed within settings.status_confirmation_months).
        values = dict(changed, status_as_of=self.today().isoformat(), status_source=f"official: {who.name}",
                      status_confirmed_at=now.astimezone(dt.UTC).isoformat(timespec="seconds"),
                      status_confirmed_by=who.name, updated_at=now, version=version)
        res = conn.execute(
            sa.update(db.sites).where(db.sites.c.site_id == site_id, db.sites.c.version == expected_version).values(**values)
        )
        if res.rowcount != 1:
            current = conn.execute(sa.select(db.sites.c.version).where(db.sites.c.site_id == site_id)).scalar()
            raise self._stale(conn, site_id, expected_version, current)
        town = site["town_code"]
        for item in plan:
            self._audit(conn, now, who.name, site_id, town, "update", item["field"], item["old_value"], item["new_value"], note, version)
        if not plan:
            self._audit(conn, now, who.name, site_id, town, "note", None, None, None, note, version)
        for v in violations:  # a planner's/administrator's insisted edit: the rule it overrode is on record
            self._audit(conn, now, who.name, site_id, town, "override", v.rule, None, v.message, note, version)
        self._record_answer(conn, now, who.name, site, "update")
        auth.touch(conn, who.session_id, now)
        return dict(conn.execute(sa.select(db.sites).where(db.sites.c.site_id == site_id)).mappings().one())

    def update_site(self, actor: Actor | None, site_id: str, changes: Mapping[str, Any], expected_version: int,
                    note: str | None = None, insist: bool = False) -> dict[str, Any]:
        """THE write path for site edits; returns the site as stored afterwards.

        ``changes`` may hold ``status``, ``operating_capacity_value`` + ``operating_capacity_unit``
        (normalised for the site's category), ``commissioned`` (ISO date, not in the future),
        ``location`` = ``(lon, lat, datum)``, ``expected_commissioning`` (YYYY[-MM[-DD]]),
        ``served_villages`` (wet-waste sites: names, list or text split on 、;,), the capacity an
        existing facility had before its project ``baseline_capacity_value`` + ``_unit`` (planners
        and admins, with a note naming the source) and ``note``; every rule is :mod:`wufei_geo.site_rules`'.
        Every edit confirms the status (``status_confirmed_at``/``_by``).
        Refusals (NotAuthenticated, PermissionDenied, ValidationError, StaleVersion, NotFound)
        write nothing.  An edit that breaks a plausibility rule raises ImplausibleEdit unless
        ``insist`` (with a note): then a town official's edit is stored as a 待核实 proposal — the
        site is returned unchanged with ``"proposal"`` set — and a planner's or administrator's is
        applied with an ``override`` audit row per rule.
        """
        return self.run_write(
            lambda conn: self._apply_update(conn, actor, site_id, changes, expected_version, note, True, insist))

    def check_update(self, actor: Actor | None, site_id: str, changes: Mapping[str, Any], expected_version: int,
                     note: str | None = None, insist: bool = False) -> dict[str, Any]:
        """Dry run of :meth:`update_site`: the same checks, nothing written; returns the planned
        ``{site_id, changes: [{field, old_value, new_value}], note, version, proposal, rules}`` or
        raises (``proposal`` True: the edit would be stored as 待核实)."""
        return self.read(
            lambda conn: self._apply_update(conn, actor, site_id, changes, expected_version, note, False, insist))

    def update_sites(self, actor: Actor | None, items: Sequence[tuple[Any, ...]],
                     confirms: Sequence[tuple[Any, ...]] = ()) -> list[dict[str, Any]]:
        """Several edits in ONE transaction: all are applied, or none (BatchRefused lists every refusal).

        Each item is ``(site_id, changes, expected_version, note)`` or with a fifth ``insist``.
        ``confirms`` (issue 12): confirmations "unchanged" ``(site_id, expected_version, note)`` in the
        same transaction (as :meth:`confirm_site`); their refusals are numbered after the items'.
        """

        def work(conn: Connection) -> list[dict[str, Any]]:
            done, errors = [], []
            for i, item in enumerate(items):
                site_id, changes, expected, note = item[:4]
                insist = bool(item[4]) if len(item) > 4 else False
                try:
                    done.append(self._apply_update(conn, actor, site_id, changes, expected, note, True, insist))
                except WufeiError as exc:
                    errors.append((i, site_id, exc))
            for j, item in enumerate(confirms):
                site_id, expected = item[0], item[1]
                try:
                    done.append(self._apply_confirm(conn, actor, site_id, expected, item[2] if len(item) > 2 else None, True))
                except WufeiError as exc:
                    errors.append((len(items) + j, site_id, exc))
            if errors:
                msg = "; ".join(f"#{i + 1} {sid}: {exc}" for i, sid, exc in errors)
                raise BatchRefused(None, errors, key="error.batch",
                                   params={"n": len(errors), "total": len(items) + len(confirms), "detail": msg})
            return done

        return self.run_write(work)

    # --- confirming a status unchanged (issue 12) ---------------------------------------------------

    def _apply_confirm(self, conn: Connection, actor: Actor | None, site_id: str, expected_version: Any,
                       note: str | None, write: bool) -> dict[str, Any]:
        now = self.now()
        who = auth.check_actor(conn, actor, now, self.settings)
        site = conn.execute(sa.select(db.sites).where(db.sites.c.site_id == site_id)).mappings().first()
        if site is None:
            raise NotFound(f"no site {site_id!r} / 无此站点")
        self._check_may_edit(who, site)
        if site["retired"]:
            raise ValidationError(f"site {site_id} is retired and cannot be confirmed / 站点已撤销")
        if isinstance(expected_version, bool) or not isinstance(expected_version, int):
            raise ValidationError("expected_version must be the integer version the confirmation started from")
        if site["version"] != expected_version:
            raise self._stale(conn, site_id, expected_version, site["version"])
        if note is not None and not isinstance(note, str):
            raise ValidationError("the note must be text")
        if note is not None:
            check_text("the note", note)
        note = note.strip() if note and note.strip() else None
        at = now.astimezone(dt.UTC).isoformat(timespec="seconds")
        if not write:
            return {"site_id": site_id, "confirm": True, "status": site["status"], "note": note,
                    "version": expected_version, "changes": []}
        # the version does not move: a confirmation changes no value (nobody's open form goes stale)
        res = conn.execute(
            sa.update(db.sites).where(db.sites.c.site_id == site_id, db.sites.c.version == expected_version)
            .values(status_confirmed_at=at, status_confirmed_by=who.name)
        )
        if res.rowcount != 1:
            current = conn.execute(sa.select(db.sites.c.version).where(db.sites.c.site_id == site_id)).scalar()
            raise self._stale(conn, site_id, expected_version, current)
        self._audit(conn, now, who.name, site_id, site["town_code"], "confirm", "status", _fmt(site["status"]),
                    _fmt(site["status"]), note, expected_version)
        self._record_answer(conn, now, who.name, site, "confirm")
        auth.touch(conn, who.session_id, now)
        return dict(conn.execute(sa.select(db.sites).where(db.sites.c.site_id == site_id)).mappings().one())

    @staticmethod
    def _check_may_edit(who: Any, site: Mapping[str, Any]) -> None:
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

    def confirm_site(self, actor: Actor | None, site_id: str, expected_version: int,
                     note: str | None = None) -> dict[str, Any]:
        """Confirm a site's status unchanged (issue 12): sets ``status_confirmed_at``/``_by`` and
        nothing else (the version stays), audited as ``confirm``; counts as an answer to an open
        update round covering the site.  The same permissions as an edit; refusals write nothing.
        Returns the site as stored afterwards."""
        return self.run_write(lambda conn: self._apply_confirm(conn, actor, site_id, expected_version, note, True))

    def check_confirm(self, actor: Actor | None, site_id: str, expected_version: int,
                      note: str | None = None) -> dict[str, Any]:
        """Dry run of :meth:`confirm_site` (the same checks, nothing written)."""
        return self.read(lambda conn: self._apply_confirm(conn, actor, site_id, expected_version, note, False))

    def confirm_sites(self, actor: Actor | None, items: Sequence[tuple[Any, ...]]) -> list[dict[str, Any]]:
        """Several confirmations ``(site_id, expected_version[, note])`` in ONE transaction: all or none."""

        def work(conn: Connection) -> list[dict[str, Any]]:
            done, errors = [], []
            for i, item in enumerate(items):
                site_id, expected = item[0], item[1]
                note = item[2] if len(item) > 2 else None
                try:
                    done.append(self._apply_confirm(conn, actor, site_id, expected, note, True))
                except WufeiError as exc:
                    errors.append((i, site_id, exc))
            if errors:
                msg = "; ".join(f"#{i + 1} {sid}: {exc}" for i, sid, exc in errors)
                raise BatchRefused(f"{len(errors)} of {len(items)} confirmations refused, nothing saved: {msg}", errors)
            return done

        return self.run_write(work)

    # --- update rounds (issue 12) ----------------------------------------------------------------

    @staticmethod
    def _round_dict(row: Mapping[str, Any]) -> dict[str, Any]:
        d = dict(row)
        d["towns"] = json.loads(d["towns"] or "[]")
        d["categories"] = json.loads(d["categories"] or "[]")
        d["opened_at_local"] = auth.shanghai_time(d["opened_at"]) if d.get("opened_at") else None
        d["closed_at_local"] = auth.shanghai_time(d["closed_at"]) if d.get("closed_at") else None
        return d

    @staticmethod
    def _in_scope(rnd: Mapping[str, Any], town_code: Any, category: Any) -> bool:
        towns, cats = rnd["towns"], rnd["categories"]
        if town_code in (None, ""):
            return False  # a site of no town belongs to no town's answer list
        return (not towns or str(town_code) in towns) and (not cats or category in cats)

    def _record_answer(self, conn: Connection, now: dt.datetime, who: str, site: Mapping[str, Any], answer: str) -> None:
        """Keep a confirmation or edit as an answer to every open round whose scope has the site."""
        for row in conn.execute(sa.select(db.update_rounds).where(db.update_rounds.c.status == "open")).mappings():
            rnd = self._round_dict(row)
            if self._in_scope(rnd, site["town_code"], site["category"]):
                conn.execute(sa.insert(db.round_answers).values(
                    round_id=rnd["id"], site_id=site["site_id"], town_code=site["town_code"], answer=answer,
                    answered_by=who, answered_at=now))

    def open_round(self, actor: Actor | None, title: str, deadline: Any = None, towns: Iterable[str] | None = None,
                   categories: Iterable[str] | None = None) -> dict[str, Any]:
        """A planner or administrator opens an update round: each official of a town in scope is asked
        to confirm or correct the town's sites of the categories in scope (``None``/empty = all).
        One round is open at a time.  Audited as ``open_round``."""
        if not isinstance(title, str) or not title.strip():
            raise ValidationError("a round needs a title / 请填写轮次标题", "round_title", field="title")
        check_text("the title", title, controls=True)
        title = title.strip()
        if len(title) > 200:
            raise ValidationError("the title is too long (200 characters at most) / 标题过长", "round_title")
        if deadline in (None, ""):
            deadline_text = None
        else:
            try:
                deadline_text = (deadline if isinstance(deadline, dt.date) else dt.date.fromisoformat(str(deadline).strip())).isoformat()
            except ValueError:
                raise ValidationError(f"the deadline is not a date (YYYY-MM-DD): {deadline!r} / 截止日期格式应为 YYYY-MM-DD",
                                      "round_deadline", field="deadline") from None
        town_list = sorted({auth.check_town_code(str(t)) for t in (towns or [])})
        cat_list = [c for c in CATEGORIES if c in set(categories or [])]
        unknown = sorted(set(categories or []) - set(CATEGORIES))
        if unknown:
            raise ValidationError(f"unknown categories: {', '.join(map(str, unknown))}", "round_category")

        def work(conn: Connection) -> dict[str, Any]:
            now = self.now()
            who = auth.check_actor(conn, actor, now, self.settings)
            if who.role not in ("planner", "admin"):
                raise PermissionDenied(f"only a planner or an administrator may open an update round (you are {who.role}) "
                                       f"/ 仅规划人员或管理员可发起更新轮次", "round_role", role=who.role)
            if deadline_text is not None and deadline_text < self.today().isoformat():
                raise ValidationError("the deadline has already passed / 截止日期已过", "round_deadline", field="deadline")
            current = conn.execute(sa.select(db.update_rounds.c.id).where(db.update_rounds.c.status == "open")).first()
            if current is not None:
                raise ValidationError(f"round #{current[0]} is still open; close it first / 已有进行中的轮次，请先结束",
                                      "round_open", round_id=current[0])
            rid = conn.execute(sa.insert(db.update_rounds).values(
                title=title, deadline=deadline_text, towns=json.dumps(town_list), categories=json.dumps(cat_list),
                status="open", opened_by=who.name, opened_at=now).returning(db.update_rounds.c.id)).scalar_one()
            self._audit(conn, now, who.name, None, None, "open_round", None, None, f"#{rid} {title}", None, None)
            auth.touch(conn, who.session_id, now)
            return self._round_dict(conn.execute(sa.select(db.update_rounds).where(db.update_rounds.c.id == rid)).mappings().one())

        return self.run_write(work)

    def close_round(self, actor: Actor | None, round_id: int) -> dict[str, Any]:
        """A planner or administrator closes an open round (its answers are kept).  Audited as ``close_round``."""
        if isinstance(round_id, bool) or not isinstance(round_id, int):
            raise ValidationError("round id must be a whole number", "round_id")

        def work(conn: Connection) -> dict[str, Any]:
            now = self.now()
            who = auth.check_actor(conn, actor, now, self.settings)
            if who.role not in ("planner", "admin"):
                raise PermissionDenied(f"only a planner or an administrator may close an update round (you are {who.role}) "
                                       f"/ 仅规划人员或管理员可结束更新轮次", "round_role", role=who.role)
            row = conn.execute(sa.select(db.update_rounds).where(db.update_rounds.c.id == round_id)).mappings().first()
            if row is None:
                raise NotFound(f"no round #{round_id} / 无此轮次", "no_round", round_id=round_id)
            if row["status"] != "open":
                raise ValidationError(f"round #{round_id} is already closed / 轮次已结束", "round_closed", round_id=round_id)
            conn.execute(sa.update(db.update_rounds).where(db.update_rounds.c.id == round_id)
                         .values(status="closed", closed_by=who.name, closed_at=now))
            self._audit(conn, now, who.name, None, None, "close_round", None, None, f"#{round_id} {row['title']}", None, None)
            auth.touch(conn, who.session_id, now)
            return self._round_dict(conn.execute(sa.select(db.update_rounds).where(db.update_rounds.c.id == round_id)).mappings().one())

        return self.run_write(work)

    def rounds(self, status: str | None = None) -> list[dict[str, Any]]:
        """Update rounds, newest first (``towns``/``categories`` decoded; empty = all)."""
        r = db.update_rounds
        q = sa.select(r).order_by(r.c.id.desc())
        if status is not None:
            q = q.where(r.c.status == status)
        return [self._round_dict(row) for row in self.read(lambda c: c.execute(q).mappings().all())]

    def current_round(self) -> dict[str, Any] | None:
        """The open round, if any."""
        found = self.rounds("open")
        return found[0] if found else None

    def get_round(self, round_id: int) -> dict[str, Any]:
        row = self.read(lambda c: c.execute(sa.select(db.update_rounds).where(db.update_rounds.c.id == round_id)).mappings().first())
        if row is None:
            raise NotFound(f"no round #{round_id} / 无此轮次", "no_round", round_id=round_id)
        return self._round_dict(row)

    def round_answers(self, round_id: int) -> list[dict[str, Any]]:
        """Every answer of a round, oldest first (who answered what, when)."""
        a = db.round_answers
        rows = self.read(lambda c: c.execute(sa.select(a).where(a.c.round_id == round_id).order_by(a.c.id)).mappings().all())
        out = []
        for row in rows:
            d = dict(row)
            d["answered_at_local"] = auth.shanghai_time(d["answered_at"])
            out.append(d)
        return out

    def round_sites(self, round_id: int, town_code: str | None = None) -> pd.DataFrame:
        """The live sites in a round's scope (optionally of one town), with ``answered`` (bool)."""
        rnd = self.get_round(round_id)
        sites = self.sites_frame()
        mask = [self._in_scope(rnd, t, c) for t, c in zip(sites["town_code"], sites["category"], strict=True)]
        sites = sites[pd.Series(mask, index=sites.index, dtype=bool)]
        if town_code is not None:
            sites = sites[sites["town_code"].astype("string") == str(town_code)]
        answered = {a["site_id"] for a in self.round_answers(round_id)}
        return sites.assign(answered=sites["site_id"].astype(str).isin(answered).astype(bool)).reset_index(drop=True)

    def round_progress(self, round_id: int) -> list[dict[str, Any]]:
        """Per town in the round's scope: ``{town_code, total, answered, last_answer_at, last_answer_at_local,
        last_answer_by}`` — answered = sites with at least one answer (town order: by code)."""
        rnd = self.get_round(round_id)
        sites = self.round_sites(round_id)
        answers = self.round_answers(round_id)
        codes = rnd["towns"] or sorted({str(c) for c in sites["town_code"].dropna()} | {str(a["town_code"]) for a in answers if a["town_code"]})
        out = []
        for code in codes:
            mine = sites[sites["town_code"].astype("string") == code]
            last = [a for a in answers if a["town_code"] == code]
            out.append({
                "town_code": code, "total": int(len(mine)), "answered": int(mine["answered"].sum()),
                "last_answer_at": last[-1]["answered_at"] if last else None,
                "last_answer_at_local": last[-1]["answered_at_local"] if last else None,
                "last_answer_by": last[-1]["answered_by"] if last else None,
            })
        return out

    # --- 待核实 proposals and design capacities ------------------------------------------------------

    def _propose(self, conn: Connection, now: dt.datetime, who: str, site: Mapping[str, Any], changes: Mapping[str, Any],
                 changed: Mapping[str, Any], violations: list[site_rules.Violation], note: str) -> dict[str, Any]:
        """Store an official's insisted, implausible edit as a pending proposal (the site is untouched)."""
        raw = {k: (list(v) if isinstance(v, tuple) else v) for k, v in changes.items() if k != "note"}
        pid = conn.execute(
            sa.insert(db.proposals).values(
                site_id=site["site_id"], town_code=site["town_code"],
                changes=json.dumps(raw, ensure_ascii=False, default=str),
                new_values=json.dumps(dict(changed), ensure_ascii=False, default=str),
                old_values=json.dumps({k: _clean(site[k]) for k in changed}, ensure_ascii=False, default=str),
                rules=json.dumps([v.as_dict() for v in violations], ensure_ascii=False, default=str),
                note=note, base_version=site["version"], status="pending", proposed_by=who, proposed_at=now,
            ).returning(db.proposals.c.id)
        ).scalar_one()
        for k, v in _audit_order(changed):
            self._audit(conn, now, who, site["site_id"], site["town_code"], "propose", k, _fmt(site[k]), _fmt(v),
                        note, None)
        return self._proposal_dict(conn.execute(sa.select(db.proposals).where(db.proposals.c.id == pid)).mappings().one())

    @staticmethod
    def _proposal_dict(row: Mapping[str, Any]) -> dict[str, Any]:
        d = dict(row)
        for key in ("changes", "new_values", "old_values", "rules"):
            d[key] = json.loads(d[key]) if d.get(key) else ({} if key != "rules" else [])
        d["rule_keys"] = [r.get("rule") for r in d["rules"]]
        d["proposed_at_local"] = auth.shanghai_time(d["proposed_at"]) if d.get("proposed_at") else None
        d["decided_at_local"] = auth.shanghai_time(d["decided_at"]) if d.get("decided_at") else None
        return d

    def proposals(self, status: str | None = "pending", site_id: str | None = None,
                  town_code: str | None = None) -> list[dict[str, Any]]:
        """Proposals (default: the pending ones), oldest first; JSON columns decoded."""
        p = db.proposals
        q = sa.select(p).order_by(p.c.id)
        if status is not None:
            q = q.where(p.c.status == status)
        if site_id is not None:
            q = q.where(p.c.site_id == site_id)
        if town_code is not None:
            q = q.where(p.c.town_code == town_code)
        return [self._proposal_dict(r) for r in self.read(lambda c: c.execute(q).mappings().all())]

    def pending_site_ids(self) -> set[str]:
        """Sites with an edit awaiting confirmation (the catalog's ``pending`` flag)."""
        p = db.proposals
        q = sa.select(p.c.site_id).where(p.c.status == "pending").distinct()
        return {str(r[0]) for r in self.read(lambda c: c.execute(q).all())}

    def _decide(self, conn: Connection, actor: Actor | None, proposal_id: Any) -> tuple[sa.Row, dict[str, Any]]:
        now = self.now()
        who = auth.check_actor(conn, actor, now, self.settings)
        if who.role not in ("planner", "admin"):
            raise PermissionDenied(f"only a planner or an administrator may confirm or reject a proposal (you are "
                                   f"{who.role}) / 仅规划人员或管理员可核实", "decide_role", role=who.role)
        if isinstance(proposal_id, bool) or not isinstance(proposal_id, int):
            raise ValidationError("proposal id must be a whole number", "proposal_id", value=proposal_id)
        row = conn.execute(sa.select(db.proposals).where(db.proposals.c.id == proposal_id)).mappings().first()
        if row is None:
            raise NotFound(f"no proposal #{proposal_id} / 无此待核实修改", "no_proposal", proposal_id=proposal_id)
        if row["status"] != "pending":
            raise ValidationError(f"proposal #{proposal_id} is already {row['status']} / 已处理",
                                  "proposal_decided", proposal_id=proposal_id, status=row["status"])
        if row["proposed_by"] == who.name:
            raise PermissionDenied(f"{who.name} proposed #{proposal_id} and cannot decide on it / 不能核实自己提交的修改",
                                   "own_proposal", proposal_id=proposal_id)
        return who, self._proposal_dict(row)

    def confirm_proposal(self, actor: Actor | None, proposal_id: int, note: str | None = None) -> dict[str, Any]:
        """A planner or administrator (not the proposer) confirms a 待核实 edit: it is applied to the
        site and audited (``confirm_proposal`` rows, by the confirmer).  Refused when a field it
        changes was changed since it was proposed (reject it, the official proposes again).
        Returns the site as stored afterwards."""
        if note is not None:
            if not isinstance(note, str):
                raise ValidationError("the note must be text")
            check_note(note)
        note = note.strip() if note and note.strip() else None

        def work(conn: Connection) -> dict[str, Any]:
            now = self.now()
            who, prop = self._decide(conn, actor, proposal_id)
            site = conn.execute(sa.select(db.sites).where(db.sites.c.site_id == prop["site_id"])).mappings().first()
            if site is None or site["retired"]:
                raise NotFound(f"site {prop['site_id']} no longer exists / 站点已不存在", "no_site", site_id=prop["site_id"])
            changes = dict(prop["changes"])
            if isinstance(changes.get("location"), list):
                changes["location"] = tuple(changes["location"])
            new = site_rules.validate_changes(site, changes, self.today())  # the field rules, again, today
            moved = [k for k, old in prop["old_values"].items() if not site_rules.same_value(_clean(site[k]), old)]
            if moved:
                raise ValidationError(
                    f"proposal #{proposal_id} is out of date: {', '.join(moved)} changed since it was proposed; reject it "
                    f"/ 待核实修改已过时，请驳回", "proposal_outdated", proposal_id=proposal_id, fields=moved,
                )
            changed = site_rules.changed_values(site, new)
            version = site["version"] + 1
            values = dict(changed, updated_at=now, version=version)
            if changed:
                values.update(status_as_of=self.today().isoformat(), status_source=f"official: {prop['proposed_by']}")
            res = conn.execute(sa.update(db.sites).where(db.sites.c.site_id == site["site_id"],
                                                        db.sites.c.version == site["version"]).values(**values))
            if res.rowcount != 1:
                raise _Retry(site["site_id"])
            why = f"#{proposal_id} {prop['proposed_by']}: {prop['note']}" + (f" | {note}" if note else "")
            for k, v in _audit_order(changed):
                self._audit(conn, now, who.name, site["site_id"], site["town_code"], "confirm_proposal", k,
                            _fmt(site[k]), _fmt(v), why, version)
            for rule in prop["rule_keys"]:
                self._audit(conn, now, who.name, site["site_id"], site["town_code"], "confirm_proposal", "rule",
                            None, rule, why, version)
            conn.execute(sa.update(db.proposals).where(db.proposals.c.id == proposal_id, db.proposals.c.status == "pending")
                         .values(status="confirmed", decided_by=who.name, decided_at=now, decision_note=note))
            auth.touch(conn, who.session_id, now)
            return dict(conn.execute(sa.select(db.sites).where(db.sites.c.site_id == site["site_id"])).mappings().one())

        return self.run_write(work)

    def reject_proposal(self, actor: Actor | None, proposal_id: int, note: str) -> dict[str, Any]:
        """A planner or administrator (not the proposer) rejects a 待核实 edit, saying why (note
        required); the site is untouched.  Returns the proposal."""
        if not isinstance(note, str) or not note.strip():
            raise ValidationError("a note is required to reject a proposal / 驳回须填写说明", "note_required", field="note")
        check_note(note)

        def work(conn: Connection) -> dict[str, Any]:
            now = self.now()
            who, prop = self._decide(conn, actor, proposal_id)
            conn.execute(sa.update(db.proposals).where(db.proposals.c.id == proposal_id, db.proposals.c.status == "pending")
                         .values(status="rejected", decided_by=who.name, decided_at=now, decision_note=note.strip()))
            self._audit(conn, now, who.name, prop["site_id"], prop["town_code"], "reject_proposal", None, None,
                        f"#{proposal_id}", note.strip(), None)
            auth.touch(conn, who.session_id, now)
            return self._proposal_dict(
                conn.execute(sa.select(db.proposals).where(db.proposals.c.id == proposal_id)).mappings().one())

        return self.run_write(work)

    def set_design_capacity(self, actor: Actor | None, site_id: str, value: Any, unit: Any, note: str,
                            expected_version: int | None = None) -> dict[str, Any]:
        """A planner or administrator sets a site's design capacity (the primary component) with a
        source note (required), audited as ``set_design_capacity``; the seed never overwrites it.
        The plausibility rules compare operating capacities against this value."""
        if not isinstance(note, str) or not note.strip():
            raise ValidationError("a source note is required for a design capacity / 设计能力须注明来源",
                                  "note_required", field="note")
        check_note(note)

        def work(conn: Connection) -> dict[str, Any]:
            now = self.now()
            who = auth.check_actor(conn, actor, now, self.settings)
            if who.role not in ("planner", "admin"):
                raise PermissionDenied(f"only a planner or an administrator may set a design capacity (you are {who.role}) "
                                       f"/ 仅规划人员或管理员可设定设计能力", "design_role", role=who.role)
            site = conn.execute(sa.select(db.sites).where(db.sites.c.site_id == site_id)).mappings().first()
            if site is None:
                raise NotFound(f"no site {site_id!r} / 无此站点")
            if site["retired"]:
                raise ValidationError(f"site {site_id} is retired and cannot be edited / 站点已撤销", "retired")
            if expected_version is not None and site["version"] != expected_version:
                raise self._stale(conn, site_id, expected_version, site["version"])
            cols = site_rules.parse_design_capacity(site["category"], value, unit)
            try:
                comps = json.loads(site["capacity_components"] or "[]")
            except (TypeError, ValueError):
                comps = []
            first = {"label": None, "value": cols["capacity_value"], "unit": cols["capacity_unit"],
                     "norm": cols["capacity_norm"], "norm_unit": cols["capacity_norm_unit"], "source_ref": note.strip()}
            if comps and isinstance(comps[0], dict):
                first["label"] = comps[0].get("label")
                comps[0] = first
            else:
                comps = [first]
            changed = {k: v for k, v in cols.items() if not site_rules.same_value(site[k], v)}
            if not changed:
                raise ValidationError("nothing to change / 没有修改", "nothing_to_change")
            version = site["version"] + 1
            conn.execute(sa.update(db.sites).where(db.sites.c.site_id == site_id, db.sites.c.version == site["version"])
                         .values(**cols, capacity_components=json.dumps(comps, ensure_ascii=False), version=version,
                                 updated_at=now))
            for k in ("capacity_value", "capacity_unit", "capacity_norm"):
                if k in changed:
                    self._audit(conn, now, who.name, site_id, site["town_code"], "set_design_capacity", k,
                                _fmt(site[k]), _fmt(cols[k]), note.strip(), version)
            auth.touch(conn, who.session_id, now)
            return dict(conn.execute(sa.select(db.sites).where(db.sites.c.site_id == site_id)).mappings().one())

        return self.run_write(work)

    # --- administrators --------------------------------------------------------------------------

    def add_site(self, actor: Actor | None, record: Mapping[str, Any], note: str | None = None) -> dict[str, Any]:
        """Add a site not in the plan (administrator only; ``actor=None`` = local command line).

        ``record`` holds SITE_COLUMNS keys (site_id, name_zh, category required); coordinates
        either as WGS-84 ``lon``/``lat`` or as ``location=(lon, lat, datum)``.
        """
        record = dict(record)
        unknown = sorted(set(record) - set(SITE_COLUMNS) - {"location"})
        if unknown:
            raise ValidationError(f"unknown fields: {', '.join(unknown)}")
        for key in ("site_id", "name_zh", "category"):
            if not isinstance(record.get(key), str) or not record[key].strip():
                raise ValidationError(f"{key} is required")
        for key, value in record.items():
            if isinstance(value, str):
                check_text(key, value, controls=True)
        if isinstance(note, str):
            check_note(note)
        sid = record["site_id"].strip()
        if not re.fullmatch(IDENTIFIER_PATTERN, sid):  # it reaches markdown and HTML (issue 15)
            raise ValidationError(f"site_id {sid!r} must be 1–64 ASCII letters, digits, '.', '_' or '-', "
                                  "starting with a letter or digit (e.g. X.1) / 站点编号格式不符")
        if record["category"] not in CATEGORIES:
            raise ValidationError(f"unknown category {record['category']!r}")
        # the same field rules as an edit (site_rules): a site added here must pass a restore too
        if any(record.get(k) not in (None, "") for k in ("operating_capacity_value", "operating_capacity_unit")):
            record.update(site_rules.parse_capacity(record["category"], record.get("operating_capacity_value"),
                                                    record.get("operating_capacity_unit")))
        if any(record.get(k) not in (None, "") for k in ("capacity_value", "capacity_unit")):
            record.update(site_rules.parse_design_capacity(record["category"], record.get("capacity_value"),
                                                           record.get("capacity_unit")))
        if record.get("commissioned") not in (None, ""):
            record["commissioned"] = site_rules.parse_date(record["commissioned"], self.today())
        record.setdefault("status", "planned")
        if record["status"] not in STATUSES:
            raise ValidationError(f"unknown status {record['status']!r}")
        if record.get("wet_waste_mode") not in (None, *WET_WASTE_MODES):
            raise ValidationError(f"unknown wet-waste mode {record['wet_waste_mode']!r}")
        if record.get("town_code") not in (None, ""):
            record["town_code"] = auth.check_town_code(record["town_code"])
        if "location" in record:
            record.update(self._validate_location(record.pop("location")))
        elif record.get("lon") is not None or record.get("lat") is not None:
            loc = self._validate_location((record.get("lon"), record.get("lat"), "wgs84"))
            record.update({k: v for k, v in loc.items() if k in ("lon", "lat")})
            record.setdefault("precision", "exact")
        record.setdefault("precision", "unknown")
        if record["precision"] not in PRECISIONS:
            raise ValidationError(f"unknown precision {record['precision']!r}")
        record["site_id"] = sid
        row = self._seed_row(record)
        row.setdefault("retired", False)

        def work(conn: Connection) -> dict[str, Any]:
            now = self.now()
            by = auth.require_admin(conn, actor, now, self.settings)
            if conn.execute(sa.select(db.sites.c.site_id).where(db.sites.c.site_id == sid)).first():
                raise ValidationError(key="error.site_exists", params={"site_id": sid})
            row.setdefault("status_as_of", self.today().isoformat())
            row.setdefault("status_source", f"official: {by}")
            row.setdefault("status_confirmed_at", now.astimezone(dt.UTC).isoformat(timespec="seconds"))
            row.setdefault("status_confirmed_by", by)
            conn.execute(sa.insert(db.sites).values(**row, version=1, updated_at=now))
            self._audit(conn, now, by, sid, row.get("town_code"), "add_site", None, None, row.get("name_zh"), note, 1)
            return dict(conn.execute(sa.select(db.sites).where(db.sites.c.site_id == sid)).mappings().one())

        return self.run_write(work)

    def retire_site(self, actor: Actor | None, site_id: str, note: str) -> dict[str, Any]:
        """Retire a site (kept, hidden from the map; administrator only, note required)."""
        if not isinstance(note, str) or not note.strip():
            raise ValidationError(key="error.retire_note")
        check_note(note)

        def work(conn: Connection) -> dict[str, Any]:
            now = self.now()
            by = auth.require_admin(conn, actor, now, self.settings)
            site = conn.execute(sa.select(db.sites).where(db.sites.c.site_id == site_id)).mappings().first()
            if site is None:
                raise NotFound(key="error.no_site", params={"site_id": site_id})
            if site["retired"]:
                raise ValidationError(key="error.already_retired", params={"site_id": site_id})
            version = site["version"] + 1
            res = conn.execute(
                sa.update(db.sites).where(db.sites.c.site_id == site_id, db.sites.c.version == site["version"])
                .values(retired=True, version=version, updated_at=now)
            )
            if res.rowcount != 1:
                raise self._stale(conn, site_id, site["version"], site["version"] + 1)
            self._audit(conn, now, by, site_id, site["town_code"], "retire", "retired", "false", "true", note.strip(), version)
            return dict(conn.execute(sa.select(db.sites).where(db.sites.c.site_id == site_id)).mappings().one())

        return self.run_write(work)


_same = site_rules.same_value


_AUDIT_ORDER = ("status", "operating_capacity_value", "operating_capacity_unit", "operating_capacity_norm",
                "commissioned", "expected_commissioning", "served_villages", "baseline_capacity_value",
                "baseline_capacity_unit", "baseline_capacity_norm", "lon", "lat", "precision", "location_source")


def _audit_order(changed: Mapping[str, Any]) -> list[tuple[str, Any]]:
    return sorted(changed.items(), key=lambda kv: _AUDIT_ORDER.index(kv[0]) if kv[0] in _AUDIT_ORDER else 99)


def _hashable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return value
