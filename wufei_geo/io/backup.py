"""Backup and restore: one portable file holding everything, restorable on SQLite or PostgreSQL.

The file is a zip of JSON lines with a manifest (:mod:`wufei_geo.io.archive`), signed with
HMAC-SHA256 of manifest.json with this installation's secret (``signature.json``).

Tables: ``sites``, ``users`` (bcrypt hashes, never passwords), ``audit``, ``zones``,
``proposals`` (待核实 edits) and ``meta``.  Sessions are not kept: a restore logs everybody out.  Times are ISO 8601 in UTC,
so the file does not depend on the database it came from.

:func:`restore` validates the whole file first (manifest, schema revision, checksums, row
counts, columns, every value — each site row with the same rules as an edit,
:func:`wufei_geo.io.backup_rules.check_site_row`) and then replaces the data in ONE transaction: either the
database afterwards holds exactly the backup, or it is unchanged.

Trust (issue 15): a checksum proves only that a file is whole, not who made it — a hand-edited
backup with recomputed checksums could add an administrator or rewrite the audit.  So every
backup is signed with a per-installation secret (32 random bytes, created on first use, kept in a
file apart from the database — ``<database>.secret`` beside a SQLite file, or the
``signing_secret_file`` setting — and in the ``meta`` table under ``installation_secret``; it is
never written into a backup and a restore keeps the current one, so a restore after the database
was lost still verifies).  A backup that is unsigned, signed by another installation or
changed after signing is restored only when the administrator explicitly accepts it
(``accept_unsigned``: CLI ``--accept-unsigned``, a checkbox on the 数据 page).  Whatever the
signature, every value is validated with the rules of live input, and the restore preview lists
the accounts and roles the backup brings.  Bounds: ``archive.MAX_MEMBERS`` zip members and
``archive.MAX_UNCOMPRESSED_BYTES`` unpacked, checked from the zip headers and again while reading.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from wufei_geo import auth, db, i18n
from wufei_geo.io import archive, backup_rules
from wufei_geo.io.archive import BACKUP_TABLES, SECRET_KEY, BackupError, Rows
from wufei_geo.store.session import failure_refusal

_PREVIEW_VALUES = ("another", "locked")  # markers of _changed_accounts worded by BackupPreview.lines


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
    # accounts of the database now that the backup changes: {name, changes: [(what, now, after)]}
    # (what: role, town, disabled, password, lock-out) or removes (changes == [("removed", …)]);
    # ``lines`` words them (catalogue keys backup.preview.*)
    changed_accounts: tuple[dict[str, Any], ...] = ()

    @property
    def trusted(self) -> bool:
        return self.trust == "signed"

    def lines(self, lang: str = "en") -> list[str]:
        """What the restore would bring and change, one line each, worded in ``lang``."""
        def tr(key: str, **params: Any) -> str:
            return i18n.t(f"backup.preview.{key}", lang, **params)

        def value(v: object) -> str:  # the markers _changed_accounts stores, worded
            return tr(f"value.{v}") if isinstance(v, str) and v in _PREVIEW_VALUES else str(v)

        out = [tr("header", created_at=self.created_at, counts=", ".join(f"{k} {v}" for k, v in self.counts.items())),
               tr("signature", trust=tr(f"trust.{self.trust}"))]
        out.append(tr("accounts", accounts=", ".join(
            f"{a['name']} ({a['role']}{' ' + a['town_code'] if a['town_code'] else ''}"
            f"{tr('disabled_mark') if a['disabled'] else ''})" for a in self.accounts)
            if self.accounts else tr("none")))
        if self.new_accounts:
            out.append(tr("new_accounts", accounts=", ".join(self.new_accounts)))
        for acc in self.changed_accounts:
            out.append(tr("account_changes", name=acc["name"], changes="; ".join(
                f"{tr(f'what.{what}')} {value(now)} → {value(after)}" for what, now, after in acc["changes"])))
        if self.audit_rows_differing:
            out.append(tr("audit", n=self.audit_rows_differing))
        return out


# --- the installation's secret and signatures -------------------------------------------
def secret_file(store: Any) -> Path | None:
    """Where this installation keeps its signing secret: the ``signing_secret_file`` setting, else
    beside a SQLite database file (``<database>.secret``); None = only the database's ``meta``."""
    settings = getattr(store, "settings", None)
    configured = str(getattr(settings, "signing_secret_file", "") or "").strip()
    if configured:
        return Path(configured).expanduser()
    url = _engine(store).url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(str(url.database) + ".secret")
    return None


def _meta_secret(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return conn.execute(sa.select(db.meta.c.value).where(db.meta.c.key == SECRET_KEY)).scalar()


def _read_secret_file(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    try:
        if len(bytes.fromhex(text)) < 16:
            raise ValueError("too short")
    except ValueError:  # a damaged file is an error, never silently replaced
        raise BackupError(None, "secret_file", key="error.secret_file_damaged", params={"path": str(path)}) from None
    return text


def _write_secret_file(path: Path, value: str) -> str:
    """Create ``path`` holding ``value`` (mode 600) unless it exists; returns what the file holds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(value + "\n")
    try:
        os.link(tmp, path)  # atomic and exclusive: two first uses at once keep one secret
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return _read_secret_file(path) or value


def installation_secret(store: Any) -> bytes:
    """This installation's signing secret, created on first use: kept in :func:`secret_file` (an
    existing installation's secret in ``meta`` moves there) and in ``meta``."""
    engine = _engine(store)
    path = secret_file(store)
    if path is not None:
        held = _read_secret_file(path)
        if held is not None:
            return bytes.fromhex(held)
    value = _meta_secret(engine)
    if value is None:
        try:
            with engine.connect().execution_options(**{db.WRITE_OPTION: True}) as conn, conn.begin():
                if conn.execute(sa.select(db.meta.c.key).where(db.meta.c.key == SECRET_KEY)).first() is None:
                    conn.execute(sa.insert(db.meta).values(key=SECRET_KEY, value=secrets.token_hex(32)))
        except sa.exc.IntegrityError:  # another process created it at the same moment
            pass
        value = _meta_secret(engine)
    if path is not None:
        value = _write_secret_file(path, str(value))
    return bytes.fromhex(str(value))


def _existing_secret(store: Any) -> bytes | None:
    """The secret if this installation has one (reading never creates it)."""
    path = secret_file(store)
    held = _read_secret_file(path) if path is not None else None
    value = held or _meta_secret(_engine(store))
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
    if actor is None:
        return auth.local_actor_name()
    return store.run_write(lambda conn: auth.require_admin(conn, actor, store.now(), store.settings))


# --- backup --------------------------------------------------------------------------
def backup(store: Any, path: str | Path | IO[bytes], actor: Any = None) -> dict[str, Any]:
    """Write the whole database to ``path`` (a file name or a binary file object); returns the manifest."""
    if actor is not None:
        _admin_name(store, actor)
    engine = _engine(store)
    secret = installation_secret(store)
    members: dict[str, bytes] = {}
    tables: dict[str, Any] = {}
    # one consistent snapshot: SQLite's read transaction is one; PostgreSQL's default READ COMMITTED
    # gives every statement its own, so an edit committed between two tables' reads would be half in it
    snapshot = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    with engine.connect().execution_options(**snapshot) as conn, conn.begin():
        for table in BACKUP_TABLES:
            # the signing secret stays with the installation
            lines = archive.table_lines(conn, table, skip=(lambda row: row["key"] == SECRET_KEY) if table is db.meta else None)
            member, data, tables[table.name] = archive.table_member(table, lines)
            members[member] = data
        backend = conn.dialect.name
    manifest = archive.manifest_for(tables, backend)
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
    signature = {"alg": "HMAC-SHA256", "key_id": _key_id(secret), "hmac_sha256": _mac(secret, manifest_bytes)}
    archive.write_archive(path, manifest_bytes, signature, members)
    return manifest


# --- restore ----------------------------------------------------------------------------
def _read_archive(path: str | Path | IO[bytes]) -> tuple[dict[str, Any], Rows, bytes, bytes | None]:
    """(manifest, rows, the manifest's bytes, the signature member or None), all validated: the
    archive's shape (:func:`archive.read_archive`), then every value under the rules of live input."""
    manifest, rows, manifest_bytes, signature = archive.read_archive(path, BACKUP_TABLES)
    backup_rules.raise_on_problems(rows)
    return manifest, rows, manifest_bytes, signature


def read_backup(path: str | Path | IO[bytes]) -> tuple[dict[str, Any], Rows]:
    """Validate a backup file completely and return its manifest and rows (as Python values).

    Raises :class:`BackupError` naming the problem(s); touches no database.  Does not judge
    the signature (that needs the installation's secret: :func:`preview`, :func:`restore`).
    """
    manifest, rows, _, _ = _read_archive(path)
    return manifest, rows


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
        current_users = {r["name"]: dict(r) for r in conn.execute(sa.select(db.users)).mappings()}
        current_names = set(current_users)
        kinds = {c.name: archive.kind(c) for c in db.audit.columns}
        backup_audit = {r["id"]: {k: archive.to_json(r.get(k), kinds[k]) for k in kinds} for r in rows["audit"]}
        differing = 0
        for row in conn.execute(sa.select(db.audit)).mappings():
            mine = {k: archive.to_json(row[k], kinds[k]) for k in kinds}
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
        changed_accounts=_changed_accounts(current_users, rows["users"]),
    )


def _changed_accounts(current: dict[str, dict[str, Any]], restored: list[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    """Every account of the database now that the restore changes or removes, with what changes
    (an existing account re-bound to another town, given a role, another password, unlocked …)."""
    after = {r["name"]: r for r in restored}
    out = []
    for name in sorted(current):
        now = current[name]
        if name not in after:
            out.append({"name": name, "changes": [("removed", now["role"], "—")]})
            continue
        new = after[name]
        changes = [(label, now.get(key) or "—", new.get(key) or "—")
                   for key, label in (("role", "role"), ("town_code", "town"))
                   if (now.get(key) or None) != (new.get(key) or None)]
        if bool(now.get("disabled")) != bool(new.get("disabled")):
            changes.append(("disabled", bool(now.get("disabled")), bool(new.get("disabled"))))
        if now.get("password_hash") != new.get("password_hash"):
            changes.append(("password", "…", "another"))
        if (now.get("locked_until") is None) != (new.get("locked_until") is None):
            changes.append(("lock_out", "locked" if now.get("locked_until") else "—",
                            "locked" if new.get("locked_until") else "—"))
        if changes:
            out.append({"name": name, "changes": changes})
    return tuple(out)


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
        raise BackupError(key={"unsigned": "backup.error.unsigned", "foreign": "backup.error.foreign",
                               "modified": "backup.error.modified"}[trust])
    today = store.today() if hasattr(store, "today") else dt.datetime.now(dt.UTC).date()
    backup_rules.check_values(rows, today)
    engine = _engine(store)
    try:
        return _replace_all(store, engine, who, manifest, rows, trust)
    except sa.exc.DBAPIError as exc:  # the transaction rolled back: the database is unchanged
        raise BackupError(key="backup.error.not_restored", params={"error": failure_refusal(exc)}) from None


def _replace_all(store: Any, engine: Engine, who: str, manifest: dict[str, Any], rows: Rows,
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
