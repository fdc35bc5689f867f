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

from wufei_geo import auth, db
from wufei_geo.auth import SHANGHAI, Actor
from wufei_geo.config import Settings, load_settings
from wufei_geo.errors import (
    BatchRefused,
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
    DATUMS,
    IDENTIFIER_PATTERN,
    LIFECYCLE_RANK,
    MAX_NOTE_CHARS,
    NOTE_REQUIRED_STATUSES,
    PRECISIONS,
    SITE_COLUMNS,
    STATUSES,
    WET_WASTE_MODES,
)

T = TypeVar("T")

EDITABLE_FIELDS = frozenset(
    {"status", "operating_capacity_value", "operating_capacity_unit", "commissioned", "location", "note"}
)
# Audit actions that record a person's decision: the seed never overwrites their fields.
USER_ACTIONS = frozenset({"update", "add_site", "retire"})
SEED_USER = "seed"
MAX_WRITE_ATTEMPTS = 10
_SEED_FIELDS = tuple(c for c in SITE_COLUMNS if c not in ("site_id", "version"))
_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def check_text(label: str, value: str, *, controls: bool = False) -> str:
    """Refuse text PostgreSQL cannot store: NUL and lone UTF-16 surrogates (hostile-input fix: a NUL
    in a note reached PostgreSQL as a raw DataError).  With ``controls`` every other control
    character except tab/newline is refused too (site fields: they end up in XLSX exports, which
    cannot hold them).  Notes keep other control characters: every display escapes them."""
    bad = sorted({ch for ch in value if ch == "\x00" or unicodedata.category(ch) == "Cs"
                  or (controls and unicodedata.category(ch) == "Cc" and ch not in "\t\n\r")})
    if bad:
        raise ValidationError(
            f"{label} contains control characters: {', '.join(f'U+{ord(ch):04X}' for ch in bad)} / 含有控制字符"
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
    """A user-facing message for a write the database refused as a whole, else None.

    Hostile-input fix: a read-only database file or a full disk used to surface as a raw
    SQLAlchemy OperationalError (a traceback in the CLI, an exception page in the app).
    """
    text = str(exc.orig if exc.orig is not None else exc).lower()
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if "readonly database" in text or "read-only" in text or sqlstate == "25006":
        return "the database is read-only; nothing was saved / 数据库为只读，未保存"
    if "disk is full" in text or "database or disk is full" in text or sqlstate in ("53100", "53200"):
        return "the database disk is full; nothing was saved / 数据库磁盘已满，未保存"
    if exc.connection_invalidated or (sqlstate or "").startswith(("08", "57P")):
        return ("the connection to the database was lost; the edit was not confirmed — reload to see "
                "whether it was saved / 数据库连接中断，修改未确认，请刷新查看是否已保存")
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
                        raise StoreUnavailable(refusal) from exc
                    raise
                if attempt == MAX_WRITE_ATTEMPTS - 1:
                    raise StoreBusy("the database is busy; nothing was saved, please try again / 数据库繁忙，未保存，请重试") from exc
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
            if action == "update":
                claimed.update({"status_as_of", "status_source"})
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
            if col == "retired":
                value = bool(value)
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
        for col in ("capacity_value", "capacity_norm", "operating_capacity_value", "operating_capacity_norm", "lon", "lat"):
            frame[col] = pd.to_numeric(frame[col]).astype("float64")
        for col in ("target_year", "version"):
            frame[col] = pd.array(frame[col].tolist(), dtype="Int64")
        frame["retired"] = frame["retired"].astype(bool)
        return frame

    def get_site(self, site_id: str) -> dict[str, Any]:
        """One site as a dict of ``SITE_COLUMNS`` (+ ``updated_at``); NotFound if unknown."""
        row = self.read(lambda c: c.execute(sa.select(db.sites).where(db.sites.c.site_id == site_id)).mappings().first())
        if row is None:
            raise NotFound(f"no site {site_id!r} / 无此站点")
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
            .where(a.c.site_id.isnot(None))
            .group_by(a.c.site_id)
            .subquery()
        )
        b = a.alias("b")
        q = (
            sa.select(a)
            .join(latest, latest.c.site_id == a.c.site_id)
            .join(b, b.c.id == latest.c.mid)
            .where(sa.or_(a.c.id == latest.c.mid, sa.and_(a.c.site_version.isnot(None), a.c.site_version == b.c.site_version)))
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
            raise ValidationError("the zones have no CRS / 边界缺少坐标系")
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
            raise ValidationError("zones refused: " + "; ".join(problems))
        # the zones as a whole (issue 15): seats, areas, overlaps, cover, datum shift, vertices —
        # problems refuse; warnings only with the administrator's explicit confirmation
        from wufei_geo import boundaries

        whole, warnings = boundaries.check_whole(gdf)
        if whole:
            raise ValidationError("zones refused: " + "; ".join(whole))
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
            f"site {site_id} was changed meanwhile (you started from version {expected}, it is now "
            f"version {current}): {detail}. Reload and try again. / 站点已被他人修改，请刷新后重试。",
            expected_version=expected, current_version=current, changes=changes,
        )

    def _validate_changes(self, site: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
        """New column values for the changes (not yet compared with the stored ones)."""
        unknown = sorted(set(changes) - EDITABLE_FIELDS)
        if unknown:
            raise ValidationError(f"fields not editable here: {', '.join(unknown)}")
        new: dict[str, Any] = {}
        if "status" in changes:
            status = changes["status"]
            if status not in STATUSES:
                raise ValidationError(f"unknown status {status!r}; one of {', '.join(STATUSES)}")
            new["status"] = status
        if "operating_capacity_value" in changes or "operating_capacity_unit" in changes:
            new.update(self._validate_capacity(site, changes.get("operating_capacity_value"), changes.get("operating_capacity_unit")))
        if "commissioned" in changes:
            new["commissioned"] = self._validate_date(changes["commissioned"])
        if "location" in changes:
            new.update(self._validate_location(changes["location"]))
        return new

    @staticmethod
    def _validate_capacity(site: Mapping[str, Any], value: Any, unit: Any) -> dict[str, Any]:
        if value is None and unit in (None, ""):
            return {"operating_capacity_value": None, "operating_capacity_unit": None, "operating_capacity_norm": None}
        if isinstance(value, bool):
            raise ValidationError("capacity must be a number")
        try:
            from wufei_geo.units import parse_decimal  # "1,5" and "1_0" are refused, not 15 and 10

            number = parse_decimal(value) if isinstance(value, str) else float(value)
        except (TypeError, ValueError):
            raise ValidationError(f"capacity {value!r} is not a number / 能力须为数字") from None
        if not math.isfinite(number) or number < 0:
            raise ValidationError(f"capacity must be a finite number ≥ 0, not {value!r}")
        if not isinstance(unit, str) or not unit.strip():
            raise ValidationError("a capacity needs its unit / 能力须注明单位")
        from wufei_geo import units

        try:
            norm = units.normalise(number, unit.strip(), site["category"])
        except units.UnitError as exc:
            raise ValidationError(str(exc)) from None
        if not math.isfinite(norm):  # e.g. 1e308 万吨/年: finite as typed, infinite once normalised
            raise ValidationError(f"capacity {value!r} {unit.strip()} is too large / 能力数值过大")
        return {"operating_capacity_value": number, "operating_capacity_unit": unit.strip(), "operating_capacity_norm": float(norm)}

    def _validate_date(self, value: Any) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            text = value.isoformat()
        elif isinstance(value, str):
            text = value.strip()
        else:
            raise ValidationError(f"commissioning date {value!r} is not a date")
        m = _DATE_RE.match(text)
        if not m:
            raise ValidationError(f"commissioning date {text!r}: use YYYY-MM-DD (or YYYY-MM) / 日期格式应为 YYYY-MM-DD")
        year, month, day = int(m[1]), int(m[2] or 1), int(m[3] or 1)
        try:
            first_day = dt.date(year, month, day)
        except ValueError:
            raise ValidationError(f"commissioning date {text!r} does not exist") from None
        if year < 1949:
            raise ValidationError(f"commissioning date {text!r} is implausibly early")
        if first_day > self.today():
            raise ValidationError(f"commissioning date {text!r} is in the future / 投运日期不能晚于今天")
        return text

    @staticmethod
    def _validate_location(location: Any) -> dict[str, Any]:
        if not isinstance(location, (tuple, list)) or len(location) != 3:
            raise ValidationError("location must be (lon, lat, datum)")
        lon, lat, datum = location
        if datum not in DATUMS:
            raise ValidationError(f"unknown datum {datum!r}; one of {', '.join(DATUMS)}")
        try:
            lon, lat = float(lon), float(lat)
        except (TypeError, ValueError):
            raise ValidationError("longitude and latitude must be numbers") from None
        if not (math.isfinite(lon) and math.isfinite(lat)) or not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValidationError(f"({lon}, {lat}) is not a longitude/latitude pair")
        import numpy as np

        if datum != "wgs84":
            from wufei_geo import crs

            lon, lat = (float(np.asarray(v).ravel()[0]) for v in crs.to_wgs84(lon, lat, datum))
        from wufei_geo import geodata

        inside = bool(np.asarray(geodata.in_district(np.array([lon]), np.array([lat]))).ravel()[0])
        if not inside:
            raise ValidationError(
                f"({lon:.6f}, {lat:.6f}) WGS-84 is outside Qingpu District (check the datum and the lon/lat order) / 坐标不在青浦区内"
            )
        return {"lon": round(lon, 7), "lat": round(lat, 7), "precision": "exact", "location_source": "official"}

    def _apply_update(self, conn: Connection, actor: Actor | None, site_id: str, changes: Mapping[str, Any],
                      expected_version: Any, note: str | None, write: bool) -> dict[str, Any]:
        now = self.now()
        who = auth.check_actor(conn, actor, now, self.settings)
        site = conn.execute(sa.select(db.sites).where(db.sites.c.site_id == site_id)).mappings().first()
        if site is None:
            raise NotFound(f"no site {site_id!r} / 无此站点")
        if who.role == "town_official":
            if site["town_code"] is None or site["town_code"] != who.town_code:
                raise PermissionDenied(
                    f"{who.name} may only edit sites of town {who.town_code}; site {site_id} is "
                    f"{'not assigned to a town' if site['town_code'] is None else 'in town ' + site['town_code']} / 只能修改本街镇的站点"
                )
        elif who.role not in ("admin", "planner"):
            raise PermissionDenied(f"role {who.role!r} may not edit sites")
        if site["retired"]:
            raise ValidationError(f"site {site_id} is retired and cannot be edited / 站点已撤销")
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
        changed = {k: v for k, v in new.items() if not _same(site[k], v)}
        if "status" in changed:
            old_s, new_s = site["status"], changed["status"]
            backwards = old_s in LIFECYCLE_RANK and new_s in LIFECYCLE_RANK and LIFECYCLE_RANK[new_s] < LIFECYCLE_RANK[old_s]
            if (new_s in NOTE_REQUIRED_STATUSES or backwards) and not note:
                why = "backwards" if backwards else f"to {new_s}"
                raise ValidationError(f"a note is required when moving {why} ({old_s} → {new_s}) / 此状态变更须填写说明")
        if not changed and not note:
            raise ValidationError("nothing to change / 没有修改")
        plan = [{"field": k, "old_value": _fmt(site[k]), "new_value": _fmt(v)} for k, v in _audit_order(changed)]
        if not write:
            return {"site_id": site_id, "changes": plan, "note": note, "version": expected_version}
        version = expected_version + 1
        values = dict(changed, status_as_of=self.today().isoformat(), status_source=f"official: {who.name}",
                      updated_at=now, version=version)
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
        auth.touch(conn, who.session_id, now)
        return dict(conn.execute(sa.select(db.sites).where(db.sites.c.site_id == site_id)).mappings().one())

    def update_site(self, actor: Actor | None, site_id: str, changes: Mapping[str, Any], expected_version: int,
                    note: str | None = None) -> dict[str, Any]:
        """THE write path for site edits; returns the site as stored afterwards.

        ``changes`` may hold ``status``, ``operating_capacity_value`` + ``operating_capacity_unit``
        (normalised for the site's category), ``commissioned`` (ISO date, not in the future),
        ``location`` = ``(lon, lat, datum)`` and ``note``.  Refusals (NotAuthenticated,
        PermissionDenied, ValidationError, StaleVersion, NotFound) write nothing.
        """
        return self.run_write(lambda conn: self._apply_update(conn, actor, site_id, changes, expected_version, note, True))

    def check_update(self, actor: Actor | None, site_id: str, changes: Mapping[str, Any], expected_version: int,
                     note: str | None = None) -> dict[str, Any]:
        """Dry run of :meth:`update_site`: the same checks, nothing written; returns the planned
        ``{site_id, changes: [{field, old_value, new_value}], note, version}`` or raises."""
        return self.read(lambda conn: self._apply_update(conn, actor, site_id, changes, expected_version, note, False))

    def update_sites(self, actor: Actor | None,
                     items: Sequence[tuple[str, Mapping[str, Any], int, str | None]]) -> list[dict[str, Any]]:
        """Several edits in ONE transaction: all are applied, or none (BatchRefused lists every refusal)."""

        def work(conn: Connection) -> list[dict[str, Any]]:
            done, errors = [], []
            for i, (site_id, changes, expected, note) in enumerate(items):
                try:
                    done.append(self._apply_update(conn, actor, site_id, changes, expected, note, True))
                except WufeiError as exc:
                    errors.append((i, site_id, exc))
            if errors:
                msg = "; ".join(f"#{i + 1} {sid}: {exc}" for i, sid, exc in errors)
                raise BatchRefused(f"{len(errors)} of {len(items)} edits refused, nothing saved: {msg}", errors)
            return done

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
                raise ValidationError(f"site {sid} already exists")
            row.setdefault("status_as_of", self.today().isoformat())
            row.setdefault("status_source", f"official: {by}")
            conn.execute(sa.insert(db.sites).values(**row, version=1, updated_at=now))
            self._audit(conn, now, by, sid, row.get("town_code"), "add_site", None, None, row.get("name_zh"), note, 1)
            return dict(conn.execute(sa.select(db.sites).where(db.sites.c.site_id == sid)).mappings().one())

        return self.run_write(work)

    def retire_site(self, actor: Actor | None, site_id: str, note: str) -> dict[str, Any]:
        """Retire a site (kept, hidden from the map; administrator only, note required)."""
        if not isinstance(note, str) or not note.strip():
            raise ValidationError("a note is required to retire a site / 撤销站点须填写说明")
        check_note(note)

        def work(conn: Connection) -> dict[str, Any]:
            now = self.now()
            by = auth.require_admin(conn, actor, now, self.settings)
            site = conn.execute(sa.select(db.sites).where(db.sites.c.site_id == site_id)).mappings().first()
            if site is None:
                raise NotFound(f"no site {site_id!r} / 无此站点")
            if site["retired"]:
                raise ValidationError(f"site {site_id} is already retired")
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


def _same(old: Any, new: Any) -> bool:
    if old is None or new is None:
        return old is None and new is None
    if isinstance(old, float) or isinstance(new, float):
        try:
            return float(old) == float(new)
        except (TypeError, ValueError):
            return False
    return old == new


_AUDIT_ORDER = ("status", "operating_capacity_value", "operating_capacity_unit", "operating_capacity_norm",
                "commissioned", "lon", "lat", "precision", "location_source")


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
