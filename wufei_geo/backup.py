"""Backup and restore: one portable file holding everything, restorable on SQLite or PostgreSQL.

The file is a zip::

    manifest.json          format, format version, schema revision, creation time, backend,
                           and per table: member name, columns, row count, sha256
    tables/<table>.jsonl   one JSON object per row, ordered by primary key

Tables: ``sites``, ``users`` (bcrypt hashes, never passwords), ``audit``, ``zones``,
``proposals`` (待核实 edits) and ``meta``.  Sessions are not kept: a restore logs everybody out.  Times are ISO 8601 in UTC,
so the file does not depend on the database it came from.

:func:`restore` validates the whole file first (manifest, schema revision, checksums, row
counts, columns, every value — each site row with the same rules as an edit,
:func:`wufei_geo.site_rules.check_site_row`) and then replaces the data in ONE transaction: either the
database afterwards holds exactly the backup, or it is unchanged.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from wufei_geo import db, site_rules
from wufei_geo.errors import ValidationError

FORMAT = "wufei-geo-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
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
    members: dict[str, bytes] = {}
    tables: dict[str, Any] = {}
    with engine.connect() as conn, conn.begin():  # one consistent snapshot
        for table in BACKUP_TABLES:
            kinds = {c.name: _kind(c) for c in table.columns}
            lines = []
            for row in conn.execute(sa.select(table).order_by(*_pk_order(table))).mappings():
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
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
        for member, data in members.items():
            zf.writestr(member, data)
    return manifest


# --- restore ----------------------------------------------------------------------------
def read_backup(path: str | Path | IO[bytes]) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """Validate a backup file completely and return its manifest and rows (as Python values).

    Raises :class:`BackupError` naming the first problem; touches no database.
    """
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupError(f"不是有效的备份文件（不是 zip）。 / Not a backup file (not a zip): {exc}") from exc
    with zf:
        try:
            manifest = json.loads(zf.read(MANIFEST).decode("utf-8"))
        except KeyError as exc:
            raise BackupError("备份文件缺少 manifest.json。 / The backup has no manifest.json.") from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BackupError(f"manifest.json 已损坏。 / manifest.json is damaged: {exc}") from exc
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
                data = zf.read(entry["file"])
            except (KeyError, TypeError) as exc:
                raise BackupError(f"备份缺少 {table.name} 的数据文件。 / The backup lacks the data of {table.name}.") from exc
            if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
                raise BackupError(f"{table.name} 的校验和不符：文件已损坏。 / Checksum mismatch for {table.name}: the file is damaged.")
            kinds = {c.name: _kind(c) for c in table.columns}
            unknown = set(entry.get("columns") or []) - set(kinds)
            if unknown:
                raise BackupError(f"{table.name} 含未知列：{', '.join(sorted(unknown))} / unknown columns in {table.name}")
            parsed = []
            for n, line in enumerate(data.decode("utf-8").splitlines(), start=1):
                where = f"{table.name} line {n}"
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
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
    return manifest, rows


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


def restore(store: Any, path: str | Path | IO[bytes], actor: Any = None) -> RestoreSummary:
    """Replace the database's data with the backup's, all or nothing.

    ``actor=None`` is the local command line; from the app only an administrator may restore.
    The file is validated completely before the database is touched.  The audit is replaced by
    the backup's too (it is part of "everything"), and one ``restore`` entry is appended saying
    who restored which backup.  Everybody is logged out (sessions are not in backups).
    """
    who = _admin_name(store, actor)
    manifest, rows = read_backup(path)
    today = store.today() if hasattr(store, "today") else dt.datetime.now(dt.UTC).date()
    check_values(rows, today)
    engine = _engine(store)
    with engine.connect().execution_options(**{db.WRITE_OPTION: True}) as conn:
        with conn.begin():
            conn.execute(sa.delete(db.sessions))
            for table in reversed(BACKUP_TABLES):
                conn.execute(sa.delete(table))
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
                    new_value=f"backup of {manifest.get('created_at')}", note=counts,
                )
            )
    return RestoreSummary(
        counts={name: len(r) for name, r in rows.items()},
        schema_revision=str(manifest["schema_revision"]),
        created_at=str(manifest.get("created_at")),
    )
