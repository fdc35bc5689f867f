"""The backup archive (a zip): the format, values ⇄ JSON, writing, and reading within bounds.

The file::

    manifest.json          format, format version, schema revision, creation time, backend,
                           and per table: member name, columns, row count, sha256
    tables/<table>.jsonl   one JSON object per row, ordered by primary key
    signature.json         HMAC-SHA256 of manifest.json (see :mod:`wufei_geo.io.backup`)

Times are ISO 8601 in UTC, so the file does not depend on the database it came from.  Bounds:
at most ``MAX_MEMBERS`` zip members and ``MAX_UNCOMPRESSED_BYTES`` unpacked, checked from the zip
headers and again while reading.  Reading here checks the archive's shape (manifest, schema
revision, checksums, row counts, columns, value types); the rules of live input are
:mod:`wufei_geo.io.backup_rules`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa

from wufei_geo import db
from wufei_geo.errors import ValidationError

FORMAT = "wufei-geo-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "signature.json"
SECRET_KEY = "installation_secret"  # meta key of the signing secret (never backed up)
MAX_MEMBERS = 16
MAX_UNCOMPRESSED_BYTES = 128 * 1024 * 1024  # the whole backup unpacked (README: memory bound)
# Order matters for restore: parents before children (sessions → users FK is cleared first).
BACKUP_TABLES: tuple[sa.Table, ...] = (db.users, db.sites, db.zones, db.proposals, db.update_rounds, db.round_answers,
                                        db.indicator_values, db.indicator_judgements,  # issue 23: the register
                                        db.places, db.place_audit,  # issue 24: places and their history
                                        db.audit, db.meta)
Rows = dict[str, list[dict[str, Any]]]


class BackupError(ValidationError):
    """The backup file cannot be restored (not a backup, damaged, other schema, bad values).

    A ValueError as before; its text is the catalogue's ``backup.error.<what>`` (``key`` and
    ``params``); a site value the rules refuse carries the rule's key (``rule``).
    """




# --- values ⇄ JSON ------------------------------------------------------------------
def kind(column: sa.Column) -> str:
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


def to_json(value: Any, kind: str) -> Any:
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


def _from_json(value: Any, kind: str, where: dict[str, Any]) -> Any:
    """The column's value as Python, or a refusal naming ``where`` (table, line, column) and the
    kind expected (``datetime`` with its zone, ``bool``, ``int``, ``float``, ``text``)."""
    if value is None:
        return None
    ok = False
    try:
        if kind == "datetime":
            parsed = dt.datetime.fromisoformat(value)
            ok, value = parsed.tzinfo is not None, parsed
        elif kind == "bool":
            ok = isinstance(value, bool)
        elif kind == "int":
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif kind == "float":
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            value = float(value) if ok else value
        else:
            ok = isinstance(value, str)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise BackupError(key="backup.error.bad_value", params={**where, "value": value, "kind": kind})
    return value


def pk_order(table: sa.Table) -> list[sa.Column]:
    return list(table.primary_key.columns)


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int]) -> bytes:
    """A member's bytes, refusing once the whole archive passes ``MAX_UNCOMPRESSED_BYTES``
    (counted while inflating: a header that lies about the size does not help)."""
    out = bytearray()
    with zf.open(info) as fh:
        while chunk := fh.read(1 << 20):
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise BackupError(key="backup.error.too_large", params={"limit": MAX_UNCOMPRESSED_BYTES // 2**20})
            out += chunk
    return bytes(out)


def no_constants(name: str) -> float:
    raise ValueError(f"{name} is not a number a backup may hold")




# --- writing ---------------------------------------------------------------------------------
def table_lines(conn: sa.Connection, table: sa.Table, skip: Any = None) -> list[str]:
    """The table's rows as JSON lines, ordered by primary key (``skip(row)``: rows left out)."""
    kinds = {c.name: kind(c) for c in table.columns}
    lines = []
    for row in conn.execute(sa.select(table).order_by(*pk_order(table))).mappings():
        if skip is not None and skip(row):
            continue
        record = {name: to_json(row[name], kinds[name]) for name in kinds}
        lines.append(json.dumps(record, ensure_ascii=False, sort_keys=True, allow_nan=False))
    return lines


def table_member(table: sa.Table, lines: list[str]) -> tuple[str, bytes, dict[str, Any]]:
    """(member name, its bytes, its manifest entry) of a table's JSON lines."""
    data = ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8")
    member = f"tables/{table.name}.jsonl"
    entry = {"file": member, "columns": [c.name for c in table.columns], "rows": len(lines),
             "sha256": hashlib.sha256(data).hexdigest()}
    return member, data, entry


def manifest_for(tables: dict[str, Any], backend: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_revision": db.head_revision(),
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "source_backend": backend,
        "tables": tables,
    }


def write_archive(path: str | Path | IO[bytes], manifest_bytes: bytes, signature: dict[str, str],
                  members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(MANIFEST, manifest_bytes)
        zf.writestr(SIGNATURE, json.dumps(signature))
        for member, data in members.items():
            zf.writestr(member, data)


# --- reading ---------------------------------------------------------------------------------
def read_archive(path: str | Path | IO[bytes], tables: tuple[sa.Table, ...] = BACKUP_TABLES) -> tuple[dict[str, Any], Rows, bytes, bytes | None]:
    """(manifest, rows of ``tables``, the manifest's bytes, the signature member or None), the
    archive's shape checked (not yet the rules of live input)."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupError(key="backup.error.not_zip", params={"error": str(exc)}) from exc
    with zf:
        infos = {i.filename: i for i in zf.infolist()}
        _check_headers(infos)
        budget = [MAX_UNCOMPRESSED_BYTES]

        def member(name: str) -> bytes:
            if name not in infos:
                raise KeyError(name)
            return _read_member(zf, infos[name], budget)

        manifest_bytes, manifest = _read_manifest(member)
        signature = member(SIGNATURE) if SIGNATURE in infos else None
        listed = _check_manifest(manifest, tables)
        rows: Rows = {}
        for table in tables:
            rows[table.name] = _read_table(member, table, listed[table.name])
    return manifest, rows, manifest_bytes, signature


def _check_headers(infos: dict[str, zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_MEMBERS:
        raise BackupError(key="backup.error.too_many_members", params={"n": len(infos), "limit": MAX_MEMBERS})
    declared = sum(i.file_size for i in infos.values())
    if declared > MAX_UNCOMPRESSED_BYTES:
        raise BackupError(key="backup.error.too_large_declared",
                          params={"size": declared / 2**20, "limit": MAX_UNCOMPRESSED_BYTES // 2**20})


def _read_manifest(member: Any) -> tuple[bytes, Any]:
    try:
        manifest_bytes = member(MANIFEST)
        return manifest_bytes, json.loads(manifest_bytes.decode("utf-8"), parse_constant=no_constants)
    except KeyError as exc:
        raise BackupError(key="backup.error.no_manifest") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise BackupError(key="backup.error.manifest_damaged", params={"error": str(exc)}) from exc


def _check_manifest(manifest: Any, tables: tuple[sa.Table, ...]) -> dict[str, Any]:
    """The manifest's table list, once format, version, schema revision and tables are right."""
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(key="backup.error.not_ours")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(key="backup.error.format_version", params={"version": manifest.get("format_version")})
    head = db.head_revision()
    if manifest.get("schema_revision") != head:
        raise BackupError(key="backup.error.schema", params={"revision": manifest.get("schema_revision"), "head": head})
    listed = manifest.get("tables")
    if not isinstance(listed, dict):
        raise BackupError(key="backup.error.no_tables")
    missing = [t.name for t in tables if t.name not in listed]
    if missing:
        raise BackupError(key="backup.error.missing_tables", params={"tables": ", ".join(missing)})
    return listed


def _read_table(member: Any, table: sa.Table, entry: Any) -> list[dict[str, Any]]:
    """A table's rows as Python values: member present, checksum, columns, types, required, count."""
    try:
        data = member(entry["file"])
    except (KeyError, TypeError) as exc:
        raise BackupError(key="backup.error.missing_data", params={"table": table.name}) from exc
    if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
        raise BackupError(key="backup.error.checksum", params={"table": table.name})
    kinds = {c.name: kind(c) for c in table.columns}
    unknown = set(entry.get("columns") or []) - set(kinds)
    if unknown:
        raise BackupError(key="backup.error.unknown_columns", params={"table": table.name, "columns": ", ".join(sorted(unknown))})
    parsed = []
    for n, line in enumerate(data.decode("utf-8", errors="strict").splitlines(), start=1):
        where = {"table": table.name, "line": n}
        try:
            record = json.loads(line, parse_constant=no_constants)
        except ValueError as exc:
            raise BackupError(key="backup.error.bad_line", params={**where, "error": str(exc)}) from exc
        if not isinstance(record, dict) or set(record) - set(kinds):
            raise BackupError(key="backup.error.unexpected_fields", params=where)
        parsed.append({k: _from_json(record.get(k), kinds[k], {**where, "column": k}) for k in kinds if k in record})
        for column in table.columns:
            if not column.nullable and column.server_default is None and parsed[-1].get(column.name) is None:
                raise BackupError(key="backup.error.required", params={**where, "column": column.name})
    if len(parsed) != entry.get("rows"):
        raise BackupError(key="backup.error.row_count", params={"table": table.name, "rows": len(parsed),
                                                                 "listed": entry.get("rows")})
    return parsed
