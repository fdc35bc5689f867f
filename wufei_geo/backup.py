"""Backup and restore: one portable file holding everything, restorable on SQLite or PostgreSQL.

The file is a zip::

    manifest.json          format, format version, schema revision, creation time, backend,
                           and per table: member name, columns, row count, sha256
    tables/<table>.jsonl   one JSON object per row, ordered by primary key
    signature.json         HMAC-SHA256 of manifest.json with this installation's secret

Tables: ``sites``, ``users`` (bcrypt hashes, never passwords), ``audit``, ``zones``,
``proposals`` (待核实 edits) and ``meta``.  Sessions are not kept: a restore logs everybody out.  Times are ISO 8601 in UTC,
so the file does not depend on the database it came from.

:func:`restore` validates the whole file first (manifest, schema revision, checksums, row
counts, columns, every value — each site row with the same rules as an edit,
:func:`wufei_geo.site_rules.check_site_row`) and then replaces the data in ONE transaction: either the
database afterwards holds exactly the backup, or it is unchanged.

Trust (issue 15): a checksum proves only that a file is whole, not who made it — a hand-edited
backup with recomputed checksums could add an administrator or rewrite the audit.  So every
backup is signed with a per-installation secret (32 random bytes, created on first use and kept
in the ``meta`` table under ``installation_secret``; it is never written into a backup and a
restore keeps the current one).  A backup that is unsigned, signed by another installation or
changed after signing is restored only when the administrator explicitly accepts it
(``accept_unsigned``: CLI ``--accept-unsigned``, a checkbox on the 数据 page).  Whatever the
signature, every value is validated with the rules of live input, and the restore preview lists
the accounts and roles the backup brings.  Bounds: at most ``MAX_MEMBERS`` zip members and
``MAX_UNCOMPRESSED_BYTES`` unpacked, checked from the zip headers and again while reading.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
import re
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from wufei_geo import db, site_rules
from wufei_geo.errors import ValidationError
from wufei_geo.model import IDENTIFIER_PATTERN

FORMAT = "wufei-geo-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "signature.json"
SECRET_KEY = "installation_secret"  # meta key of the signing secret (never backed up)
MAX_MEMBERS = 16
MAX_UNCOMPRESSED_BYTES = 128 * 1024 * 1024  # the whole backup unpacked (README: memory bound)
# Order matters for restore: parents before children (sessions → users FK is cleared first).
BACKUP_TABLES: tuple[sa.Table, ...] = (db.users, db.sites, db.zones, db.proposals, db.update_rounds, db.round_answers,
                                        db.audit, db.meta)
PROPOSAL_STATUSES = ("pending", "confirmed", "rejected")
# Audit actions by which a person accepted a value past a plausibility rule (see Store).
_ACCEPT_ACTIONS = ("confirm_proposal", "override")


class BackupError(ValidationError):
    """The backup file cannot be restored (not a backup, damaged, other schema, bad values).

    A ValueError as before; a site value the rules refuse carries the rule's key (``rule``).
    """


@dataclass(frozen=True)
class RestoreSummary:
    counts: dict[str, int]
    schema_revision: str
    created_at: str


@dataclass(frozen=True)
class RestorePreview:
    """What a restore would bring, for the administrator to read before confirming."""

    counts: dict[str, int]
    created_at: str
    trust: str  # "signed" (by this installation) | "unsigned" | "foreign" | "modified"
    accounts: list[dict[str, Any]]  # name, role, town_code, disabled — of the backup
    new_accounts: list[str]  # in the backup, not in the database now
    audit_rows_differing: int  # current audit rows (same id) the backup has otherwise or not at all

    @property
    def trusted(self) -> bool:
        return self.trust == "signed"

    def lines(self) -> list[str]:
        trust = {
            "signed": "signed by this installation",
            "unsigned": "NOT SIGNED: it may have been edited by hand / 未签名",
            "foreign": "signed by ANOTHER installation / 由其他安装签名",
            "modified": "CHANGED AFTER SIGNING: its signature does not match / 签名不符",
        }[self.trust]
        out = [f"backup of {self.created_at}: " + ", ".join(f"{k} {v}" for k, v in self.counts.items()),
               f"signature: {trust}"]
        out.append("accounts it brings: " + ", ".join(
            f"{a['name']} ({a['role']}{' ' + a['town_code'] if a['town_code'] else ''}{', disabled' if a['disabled'] else ''})"
            for a in self.accounts) if self.accounts else "accounts it brings: none")
        if self.new_accounts:
            out.append("accounts not in the database now: " + ", ".join(self.new_accounts))
        if self.audit_rows_differing:
            out.append(f"audit: {self.audit_rows_differing} current audit row(s) differ from or are missing in the backup")
        return out


# --- the installation's secret and signatures -------------------------------------------
def installation_secret(store: Any) -> bytes:
    """This installation's signing secret, created on first use (kept in ``meta``)."""
    engine = _engine(store)

    def current() -> str | None:
        with engine.connect() as conn:
            return conn.execute(sa.select(db.meta.c.value).where(db.meta.c.key == SECRET_KEY)).scalar()

    value = current()
    if value is None:
        try:
            with engine.connect().execution_options(**{db.WRITE_OPTION: True}) as conn, conn.begin():
                if conn.execute(sa.select(db.meta.c.key).where(db.meta.c.key == SECRET_KEY)).first() is None:
                    conn.execute(sa.insert(db.meta).values(key=SECRET_KEY, value=secrets.token_hex(32)))
        except sa.exc.IntegrityError:  # another process created it at the same moment
            pass
        value = current()
    return bytes.fromhex(str(value))


def _existing_secret(store: Any) -> bytes | None:
    """The secret if this installation has one (reading never creates it)."""
    with _engine(store).connect() as conn:
        value = conn.execute(sa.select(db.meta.c.value).where(db.meta.c.key == SECRET_KEY)).scalar()
    return bytes.fromhex(str(value)) if value else None


def _key_id(secret: bytes) -> str:
    return hashlib.sha256(b"wufei-geo key id" + secret).hexdigest()[:16]


def _mac(secret: bytes, manifest_bytes: bytes) -> str:
    return hmac.new(secret, manifest_bytes, hashlib.sha256).hexdigest()


def _trust(secret: bytes | None, manifest_bytes: bytes, signature: bytes | None) -> str:
    if signature is None:
        return "unsigned"
    try:
        sig = json.loads(signature.decode("utf-8"))
        key_id, mac = str(sig["key_id"]), str(sig["hmac_sha256"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return "unsigned"
    if secret is None or key_id != _key_id(secret):
        return "foreign"
    return "signed" if hmac.compare_digest(mac, _mac(secret, manifest_bytes)) else "modified"


def _engine(store_or_engine: Any) -> Engine:
    if isinstance(store_or_engine, Engine):
        return store_or_engine
    engine = getattr(store_or_engine, "engine", None)
    if not isinstance(engine, Engine):
        raise TypeError("backup/restore need a Store (with .engine) or a SQLAlchemy Engine")
    return engine


def _admin_name(store: Any, actor: Any) -> str:
    """The audit name of the administrator doing this; ``actor=None`` is the local command line.

    From the app only an administrator's live session passes (checked against the database).
    """
    from wufei_geo import auth

    if actor is None:
        return auth.local_actor_name()
    return store.run_write(lambda conn: auth.require_admin(conn, actor, store.now(), store.settings))


# --- values ⇄ JSON ------------------------------------------------------------------
def _kind(column: sa.Column) -> str:
    t = column.type
    if isinstance(t, db.UTCDateTime):
        return "datetime"
    if isinstance(t, sa.Boolean):
        return "bool"
    if isinstance(t, sa.Integer):
        return "int"
    if isinstance(t, sa.Float):
        return "float"
    return "text"


def _to_json(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return value.astimezone(dt.UTC).isoformat()
    if kind == "bool":
        return bool(value)
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    return str(value)


def _from_json(value: Any, kind: str, where: str) -> Any:
    if value is None:
        return None
    try:
        if kind == "datetime":
            parsed = dt.datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise ValueError("time without a zone")
            return parsed
        if kind == "bool":
            if not isinstance(value, bool):
                raise ValueError("not true/false")
            return value
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError("not a whole number")
            return value
        if kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError("not a number")
            return float(value)
        if not isinstance(value, str):
            raise ValueError("not text")
        return value
    except (TypeError, ValueError) as exc:
        raise BackupError(f"{where}: bad value {value!r} ({exc})") from exc


def _pk_order(table: sa.Table) -> list[sa.Column]:
    return list(table.primary_key.columns)


# --- backup --------------------------------------------------------------------------
def backup(store: Any, path: str | Path | IO[bytes], actor: Any = None) -> dict[str, Any]:
    """Write the whole database to ``path`` (a file name or a binary file object); returns the manifest."""
    if actor is not None:
        _admin_name(store, actor)
    engine = _engine(store)
    secret = installation_secret(store)
    members: dict[str, bytes] = {}
    tables: dict[str, Any] = {}
    with engine.connect() as conn, conn.begin():  # one consistent snapshot
        for table in BACKUP_TABLES:
            kinds = {c.name: _kind(c) for c in table.columns}
            lines = []
            for row in conn.execute(sa.select(table).order_by(*_pk_order(table))).mappings():
                if table is db.meta and row["key"] == SECRET_KEY:
                    continue  # the signing secret stays with the installation
                record = {name: _to_json(row[name], kinds[name]) for name in kinds}
                lines.append(json.dumps(record, ensure_ascii=False, sort_keys=True, allow_nan=False))
            data = ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8")
            member = f"tables/{table.name}.jsonl"
            members[member] = data
            tables[table.name] = {
                "file": member,
                "columns": list(kinds),
                "rows": len(lines),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        backend = conn.dialect.name
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_revision": db.head_revision(),
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "source_backend": backend,
        "tables": tables,
    }
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
    signature = {"alg": "HMAC-SHA256", "key_id": _key_id(secret), "hmac_sha256": _mac(secret, manifest_bytes)}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(MANIFEST, manifest_bytes)
        zf.writestr(SIGNATURE, json.dumps(signature))
        for member, data in members.items():
            zf.writestr(member, data)
    return manifest


# --- restore ----------------------------------------------------------------------------
def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int]) -> bytes:
    """A member's bytes, refusing once the whole archive passes ``MAX_UNCOMPRESSED_BYTES``
    (counted while inflating: a header that lies about the size does not help)."""
    out = bytearray()
    with zf.open(info) as fh:
        while chunk := fh.read(1 << 20):
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise BackupError(f"备份解压后超过 {MAX_UNCOMPRESSED_BYTES // 2**20} MB，未读取。 / The backup unpacks to "
                                  f"more than {MAX_UNCOMPRESSED_BYTES // 2**20} MB; refused.")
            out += chunk
    return bytes(out)


def _no_constants(name: str) -> float:
    raise ValueError(f"{name} is not a number a backup may hold")


def _read_archive(path: str | Path | IO[bytes]) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]], bytes, bytes | None]:
    """(manifest, rows, the manifest's bytes, the signature member or None), all validated."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupError(f"不是有效的备份文件（不是 zip）。 / Not a backup file (not a zip): {exc}") from exc
    with zf:
        infos = {i.filename: i for i in zf.infolist()}
        if len(infos) > MAX_MEMBERS:
            raise BackupError(f"备份含 {len(infos)} 个文件（最多 {MAX_MEMBERS}）。 / The backup holds {len(infos)} members; at most {MAX_MEMBERS}.")
        declared = sum(i.file_size for i in infos.values())
        if declared > MAX_UNCOMPRESSED_BYTES:
            raise BackupError(f"备份解压后为 {declared / 2**20:.0f} MB，超过 {MAX_UNCOMPRESSED_BYTES // 2**20} MB。 / The backup "
                              f"unpacks to {declared / 2**20:.0f} MB; the limit is {MAX_UNCOMPRESSED_BYTES // 2**20} MB.")
        budget = [MAX_UNCOMPRESSED_BYTES]

        def member(name: str) -> bytes:
            if name not in infos:
                raise KeyError(name)
            return _read_member(zf, infos[name], budget)

        try:
            manifest_bytes = member(MANIFEST)
            manifest = json.loads(manifest_bytes.decode("utf-8"), parse_constant=_no_constants)
        except KeyError as exc:
            raise BackupError("备份文件缺少 manifest.json。 / The backup has no manifest.json.") from exc
        except (UnicodeDecodeError, ValueError) as exc:
            raise BackupError(f"manifest.json 已损坏。 / manifest.json is damaged: {exc}") from exc
        signature = member(SIGNATURE) if SIGNATURE in infos else None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise BackupError("不是 wufei-geo 备份文件。 / Not a wufei-geo backup.")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise BackupError(f"不支持的备份格式版本 {manifest.get('format_version')!r}。 / Unsupported backup format version.")
        head = db.head_revision()
        if manifest.get("schema_revision") != head:
            raise BackupError(
                f"备份的数据库结构版本为 {manifest.get('schema_revision')!r}，本程序为 {head!r}：无法恢复。"
                f" / The backup's schema revision {manifest.get('schema_revision')!r} differs from this program's {head!r}."
            )
        listed = manifest.get("tables")
        if not isinstance(listed, dict):
            raise BackupError("manifest.json 缺少表清单。 / manifest.json lists no tables.")
        missing = [t.name for t in BACKUP_TABLES if t.name not in listed]
        if missing:
            raise BackupError(f"备份缺少表：{', '.join(missing)} / The backup lacks tables: {', '.join(missing)}")
        rows: dict[str, list[dict[str, Any]]] = {}
        for table in BACKUP_TABLES:
            entry = listed[table.name]
            try:
                data = member(entry["file"])
            except (KeyError, TypeError) as exc:
                raise BackupError(f"备份缺少 {table.name} 的数据文件。 / The backup lacks the data of {table.name}.") from exc
            if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
                raise BackupError(f"{table.name} 的校验和不符：文件已损坏。 / Checksum mismatch for {table.name}: the file is damaged.")
            kinds = {c.name: _kind(c) for c in table.columns}
            unknown = set(entry.get("columns") or []) - set(kinds)
            if unknown:
                raise BackupError(f"{table.name} 含未知列：{', '.join(sorted(unknown))} / unknown columns in {table.name}")
            parsed = []
            for n, line in enumerate(data.decode("utf-8", errors="strict").splitlines(), start=1):
                where = f"{table.name} line {n}"
                try:
                    record = json.loads(line, parse_constant=_no_constants)
                except ValueError as exc:
                    raise BackupError(f"{where}: {exc}") from exc
                if not isinstance(record, dict) or set(record) - set(kinds):
                    raise BackupError(f"{where}: unexpected fields")
                parsed.append({k: _from_json(record.get(k), kinds[k], f"{where} {k}") for k in kinds if k in record})
                for column in table.columns:
                    if not column.nullable and column.server_default is None and parsed[-1].get(column.name) is None:
                        raise BackupError(f"{where}: {column.name} is required")
            if len(parsed) != entry.get("rows"):
                raise BackupError(
                    f"{table.name}: 行数 {len(parsed)} 与清单 {entry.get('rows')} 不符。 / row count differs from the manifest."
                )
            rows[table.name] = parsed
    problems, rules = _row_problems(rows)
    if problems:
        shown = "; ".join(problems[:20]) + (f"; … ({len(problems)} in all)" if len(problems) > 20 else "")
        raise BackupError(f"备份中有 {len(problems)} 个值不符合录入规则，未恢复。 / {len(problems)} value(s) in the backup "
                          f"break the rules of live input; nothing restored: {shown}", rules[0] if rules else None)
    return manifest, rows, manifest_bytes, signature


def read_backup(path: str | Path | IO[bytes]) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """Validate a backup file completely and return its manifest and rows (as Python values).

    Raises :class:`BackupError` naming the problem(s); touches no database.  Does not judge
    the signature (that needs the installation's secret: :func:`preview`, :func:`restore`).
    """
    manifest, rows, _, _ = _read_archive(path)
    return manifest, rows


# --- the rules of live input, applied to every restored value ---------------------------
_BCRYPT_RE = re.compile(r"^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$")
_IDENT_RE = re.compile(rf"^{IDENTIFIER_PATTERN}$")


def validate_rows(rows: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Every problem of the rows of a backup, checked with the store's own rules (the same
    functions live input goes through: ``store.check_text``, ``auth.check_name``,
    ``auth.check_town_code``, ``site_rules.parse_location``/``parse_capacity``, the model's
    vocabularies; zones with ``boundaries.check_whole``)."""
    return _row_problems(rows)[0]


def _row_problems(rows: dict[str, list[dict[str, Any]]]) -> tuple[list[str], list[str]]:
    """(problems, the rule keys of the refusals among them, in order)."""
    from wufei_geo import auth
    from wufei_geo.errors import ValidationError
    from wufei_geo.model import CATEGORIES, PRECISIONS, ROLES, STATUSES, WET_WASTE_MODES
    from wufei_geo.store import check_text

    problems: list[str] = []
    rules: list[str] = []

    def check(where: str, fn: Any, *args: Any, **kw: Any) -> Any:
        try:
            return fn(*args, **kw)
        except (ValidationError, ValueError, TypeError) as exc:
            problems.append(f"{where}: {exc}")
            if getattr(exc, "rule", None):
                rules.append(exc.rule)
            return None

    def finite(where: str, row: dict[str, Any]) -> None:
        for k, v in row.items():
            if isinstance(v, float) and not math.isfinite(v):
                problems.append(f"{where}: {k} is not a finite number")

    for n, r in enumerate(rows.get("sites", []), start=1):
        where = f"sites line {n} ({r.get('site_id')!r})"
        finite(where, r)
        if not isinstance(r.get("site_id"), str) or not _IDENT_RE.match(r["site_id"]):
            problems.append(f"{where}: site_id must match {IDENTIFIER_PATTERN}")
        for k, v in r.items():
            if isinstance(v, str):
                check(f"{where} {k}", check_text, k, v, controls=True)
        for k, allowed in (("status", STATUSES), ("category", CATEGORIES), ("precision", PRECISIONS)):
            if r.get(k) not in allowed:
                problems.append(f"{where}: unknown {k} {r.get(k)!r}")
                rules.append(f"unknown_{k}")
        if r.get("wet_waste_mode") not in (None, *WET_WASTE_MODES):
            problems.append(f"{where}: unknown wet_waste_mode {r.get('wet_waste_mode')!r}")
        if r.get("town_code") is not None:
            check(where, auth.check_town_code, r["town_code"])
        if (r.get("lon") is None) != (r.get("lat") is None):
            problems.append(f"{where}: lon and lat must be given together")
        elif r.get("lon") is not None and all(math.isfinite(float(r[k])) for k in ("lon", "lat")):
            check(where, site_rules.parse_location, (r["lon"], r["lat"], "wgs84"))
        if r.get("operating_capacity_value") is not None and r.get("category") in CATEGORIES:
            check(where, site_rules.parse_capacity, r.get("category"), r["operating_capacity_value"], r.get("operating_capacity_unit"))
        for k in ("capacity_value", "capacity_norm", "operating_capacity_norm"):
            if isinstance(r.get(k), float) and r[k] < 0:
                problems.append(f"{where}: {k} is negative")
        if not isinstance(r.get("version"), int) or r["version"] < 1:
            problems.append(f"{where}: version must be a whole number ≥ 1")
    keys: dict[str, str] = {}
    for n, r in enumerate(rows.get("users", []), start=1):
        where = f"users line {n} ({r.get('name')!r})"
        name = check(where, auth.check_name, r.get("name"))
        if name is not None and name != r.get("name"):
            problems.append(f"{where}: the name is not in its normal form")
        if name is not None:
            key = auth.name_key(name)
            if key in keys:
                problems.append(f"{where}: the same account as {keys[key]!r} (names are unique regardless of case)")
            keys[key] = name
        if r.get("role") not in ROLES:
            problems.append(f"{where}: unknown role {r.get('role')!r}")
        elif r["role"] == "town_official":
            check(where, auth.check_town_code, r.get("town_code"))
        elif r.get("town_code") is not None:
            problems.append(f"{where}: role {r['role']} has no town")
        if not isinstance(r.get("password_hash"), str) or not _BCRYPT_RE.match(r["password_hash"]):
            problems.append(f"{where}: password_hash is not a bcrypt hash")
        if (r.get("failed_logins") or 0) < 0:
            problems.append(f"{where}: failed_logins is negative")
    for n, r in enumerate(rows.get("audit", []), start=1):
        where = f"audit line {n}"
        for k in ("user_name", "action", "field", "site_id", "town_code"):
            if isinstance(r.get(k), str):
                check(f"{where} {k}", check_text, k, r[k], controls=True)
        for k in ("old_value", "new_value", "note"):
            if isinstance(r.get(k), str):
                check(f"{where} {k}", check_text, k, r[k])
    for n, r in enumerate(rows.get("meta", []), start=1):
        if r.get("key") == SECRET_KEY:
            problems.append(f"meta line {n}: a backup cannot carry an installation secret")
        for k in ("key", "value"):
            if isinstance(r.get(k), str):
                check(f"meta line {n} {k}", check_text, k, r[k], controls=True)
    if rows.get("zones"):
        problems += _zone_problems(rows["zones"])
    return problems, rules


def _zone_problems(zone_rows: list[dict[str, Any]]) -> list[str]:
    import geopandas as gpd
    import numpy as np
    import shapely
    from shapely.geometry import shape

    from wufei_geo import boundaries

    problems, geoms, codes = [], [], []
    for n, r in enumerate(zone_rows, start=1):
        try:
            g = shape(json.loads(r["geometry"], parse_constant=_no_constants))
        except Exception as exc:  # noqa: BLE001 — malformed GeoJSON of any kind
            problems.append(f"zones line {n}: unreadable geometry ({exc})")
            continue
        if g.is_empty or g.geom_type not in ("Polygon", "MultiPolygon") or not g.is_valid \
                or not np.isfinite(shapely.get_coordinates(g)).all():
            problems.append(f"zones line {n}: empty, invalid or non-polygon geometry")
            continue
        geoms.append(g)
        codes.append(r.get("town_code"))
    if problems:
        return problems
    whole, _warnings = boundaries.check_whole(gpd.GeoDataFrame({"town_code": codes}, geometry=geoms, crs="EPSG:4326"))
    return [f"zones: {p}" for p in whole]


# --- preview and restore -----------------------------------------------------------------
def preview(store: Any, path: str | Path | IO[bytes]) -> RestorePreview:
    """Validate ``path`` completely and say what restoring it would bring (accounts and roles,
    the signature, the audit); touches nothing.  Raises :class:`BackupError`."""
    manifest, rows, manifest_bytes, signature = _read_archive(path)
    if hasattr(path, "seek"):
        path.seek(0)
    trust = _trust(_existing_secret(store), manifest_bytes, signature)
    engine = _engine(store)
    with engine.connect() as conn:
        current_names = {n for (n,) in conn.execute(sa.select(db.users.c.name))}
        kinds = {c.name: _kind(c) for c in db.audit.columns}
        backup_audit = {r["id"]: {k: _to_json(r.get(k), kinds[k]) for k in kinds} for r in rows["audit"]}
        differing = 0
        for row in conn.execute(sa.select(db.audit)).mappings():
            mine = {k: _to_json(row[k], kinds[k]) for k in kinds}
            if backup_audit.get(row["id"]) != mine:
                differing += 1
    accounts = [{"name": r["name"], "role": r["role"], "town_code": r.get("town_code"), "disabled": bool(r.get("disabled"))}
                for r in rows["users"]]
    return RestorePreview(
        counts={t.name: len(rows[t.name]) for t in BACKUP_TABLES},
        created_at=str(manifest.get("created_at")),
        trust=trust,
        accounts=accounts,
        new_accounts=sorted(a["name"] for a in accounts if a["name"] not in current_names),
        audit_rows_differing=differing,
    )


def _reset_sequences(conn: Connection) -> None:
    """PostgreSQL: serial ids continue after the restored ones."""
    if conn.dialect.name != "postgresql":
        return
    for table in BACKUP_TABLES + (db.sessions,):
        for column in table.primary_key.columns:
            if isinstance(column.type, sa.Integer) and column.autoincrement in (True, "auto"):
                conn.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                        f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"
                    )
                )


def _accepted_rules(audit_rows: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Per site, the plausibility rules a planner/admin accepted a value past (confirm or override)."""
    out: dict[str, set[str]] = {}
    for row in audit_rows:
        if row.get("action") not in _ACCEPT_ACTIONS or not row.get("site_id"):
            continue
        rule = row.get("field") if row.get("action") == "override" else (
            row.get("new_value") if row.get("field") == "rule" else None)
        if rule:
            out.setdefault(str(row["site_id"]), set()).add(str(rule))
    return out


def check_values(rows: dict[str, list[dict[str, Any]]], today: dt.date) -> None:
    """The restored values under the rules of an edit (:mod:`wufei_geo.site_rules`): every site row
    (field rules; the state rules unless the backup's audit shows a person accepted the value) and
    every proposal (known status and site, readable JSON, a pending one's values still valid)."""
    accepted = _accepted_rules(rows.get("audit", []))
    sites = {}
    for row in rows.get("sites", []):
        sid = str(row.get("site_id"))
        try:
            site_rules.check_site_row(row, today, accepted.get(sid, set()))
        except ValidationError as exc:
            raise BackupError(f"sites {sid}: {exc}", exc.rule, **exc.params) from exc
        sites[sid] = row
    for row in rows.get("proposals", []):
        where = f"proposals #{row.get('id')}"
        if row.get("status") not in PROPOSAL_STATUSES:
            raise BackupError(f"{where}: unknown status {row.get('status')!r}", "proposal_status")
        site = sites.get(str(row.get("site_id")))
        if site is None:
            raise BackupError(f"{where}: no site {row.get('site_id')!r} in the backup", "no_site")
        try:
            decoded = {k: json.loads(row[k]) for k in ("changes", "new_values", "old_values", "rules")}
        except (TypeError, ValueError) as exc:
            raise BackupError(f"{where}: damaged JSON ({exc})", "proposal_json") from exc
        if not isinstance(decoded["changes"], dict) or not isinstance(decoded["rules"], list):
            raise BackupError(f"{where}: damaged changes", "proposal_json")
        if row["status"] == "pending":
            changes = dict(decoded["changes"])
            if isinstance(changes.get("location"), list):
                changes["location"] = tuple(changes["location"])
            try:
                site_rules.validate_changes(site, changes, today)
            except ValidationError as exc:
                raise BackupError(f"{where}: {exc}", exc.rule, **exc.params) from exc


def restore(store: Any, path: str | Path | IO[bytes], actor: Any = None, accept_unsigned: bool = False) -> RestoreSummary:
    """Replace the database's data with the backup's, all or nothing.

    ``actor=None`` is the local command line; from the app only an administrator may restore.
    The file is validated completely before the database is touched.  The audit is replaced by
    the backup's too (it is part of "everything"), and one ``restore`` entry is appended saying
    who restored which backup.  Everybody is logged out (sessions are not in backups).
    """
    who = _admin_name(store, actor)
    manifest, rows, manifest_bytes, signature = _read_archive(path)
    trust = _trust(_existing_secret(store), manifest_bytes, signature)
    if trust != "signed" and not accept_unsigned:
        raise BackupError({
            "unsigned": "备份未签名（可能被手工修改），未恢复；确认来源后可明确接受。 / The backup is not signed (it may have been "
                        "edited by hand); nothing restored. Accept it explicitly only if you trust its origin.",
            "foreign": "备份由其他安装签名，未恢复；确认来源后可明确接受。 / The backup was signed by another installation; "
                       "nothing restored. Accept it explicitly only if you trust its origin.",
            "modified": "备份签名后被修改，未恢复。 / The backup was changed after it was signed; nothing restored. "
                        "Accept it explicitly only if you trust the change.",
        }[trust])
    today = store.today() if hasattr(store, "today") else dt.datetime.now(dt.UTC).date()
    check_values(rows, today)
    engine = _engine(store)
    try:
        return _replace_all(store, engine, who, manifest, rows, trust)
    except sa.exc.DBAPIError as exc:  # the transaction rolled back: the database is unchanged
        from wufei_geo.store import failure_message

        raise BackupError(f"未恢复，数据库未改变。 / Nothing restored, the database is unchanged: {failure_message(exc)}") from None


def _replace_all(store: Any, engine: Engine, who: str, manifest: dict[str, Any], rows: dict[str, list[dict[str, Any]]],
                 trust: str) -> RestoreSummary:
    with engine.connect().execution_options(**{db.WRITE_OPTION: True}) as conn:
        with conn.begin():
            conn.execute(sa.delete(db.sessions))
            for table in reversed(BACKUP_TABLES):
                if table is db.meta:  # the installation's secret stays
                    conn.execute(sa.delete(table).where(db.meta.c.key != SECRET_KEY))
                else:
                    conn.execute(sa.delete(table))
            if conn.execute(sa.select(db.meta.c.key).where(db.meta.c.key == SECRET_KEY)).first() is None:
                # first use, in the same transaction (a restore is all or nothing, this too)
                conn.execute(sa.insert(db.meta).values(key=SECRET_KEY, value=secrets.token_hex(32)))
            for table in BACKUP_TABLES:
                if rows[table.name]:
                    conn.execute(sa.insert(table), rows[table.name])
            _reset_sequences(conn)
            # The restore itself goes on the record, after the restored history.
            counts = ", ".join(f"{name} {len(r)}" for name, r in rows.items())
            conn.execute(
                sa.insert(db.audit).values(
                    at=store.now() if hasattr(store, "now") else dt.datetime.now(dt.UTC), user_name=who, site_id=None, town_code=None,
                    action="restore", field=None, old_value=None,
                    new_value=f"backup of {manifest.get('created_at')}" + ("" if trust == "signed" else f" ({trust}, accepted)"),
                    note=counts,
                )
            )
    return RestoreSummary(
        counts={name: len(r) for name, r in rows.items()},
        schema_revision=str(manifest["schema_revision"]),
        created_at=str(manifest.get("created_at")),
    )
