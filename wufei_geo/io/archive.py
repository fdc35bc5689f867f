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

    A ValueError as before; a site value the rules refuse carries the rule's key (``rule``).
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
                raise BackupError(f"备份解压后超过 {MAX_UNCOMPRESSED_BYTES // 2**20} MB，未读取。 / The backup unpacks to "
                                  f"more than {MAX_UNCOMPRESSED_BYTES // 2**20} MB; refused.")
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
        raise BackupError(f"不是有效的备份文件（不是 zip）。 / Not a backup file (not a zip): {exc}") from exc
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
        raise BackupError(f"备份含 {len(infos)} 个文件（最多 {MAX_MEMBERS}）。 / The backup holds {len(infos)} members; at most {MAX_MEMBERS}.")
    declared = sum(i.file_size for i in infos.values())
    if declared > MAX_UNCOMPRESSED_BYTES:
        raise BackupError(f"备份解压后为 {declared / 2**20:.0f} MB，超过 {MAX_UNCOMPRESSED_BYTES // 2**20} MB。 / The backup "
                          f"unpacks to {declared / 2**20:.0f} MB; the limit is {MAX_UNCOMPRESSED_BYTES // 2**20} MB.")


def _read_manifest(member: Any) -> tuple[bytes, Any]:
    try:
        manifest_bytes = member(MANIFEST)
        return manifest_bytes, json.loads(manifest_bytes.decode("utf-8"), parse_constant=no_constants)
    except KeyError as exc:
        raise BackupError("备份文件缺少 manifest.json。 / The backup has no manifest.json.") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise BackupError(f"manifest.json 已损坏。 / manifest.json is damaged: {exc}") from exc


def _check_manifest(manifest: Any, tables: tuple[sa.Table, ...]) -> dict[str, Any]:
    """The manifest's table list, once format, version, schema revision and tables are right."""
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
    missing = [t.name for t in tables if t.name not in listed]
    if missing:
        raise BackupError(f"备份缺少表：{', '.join(missing)} / The backup lacks tables: {', '.join(missing)}")
    return listed


def _read_table(member: Any, table: sa.Table, entry: Any) -> list[dict[str, Any]]:
    """A table's rows as Python values: member present, checksum, columns, types, required, count."""
    try:
        data = member(entry["file"])
    except (KeyError, TypeError) as exc:
        raise BackupError(f"备份缺少 {table.name} 的数据文件。 / The backup lacks the data of {table.name}.") from exc
    if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
        raise BackupError(f"{table.name} 的校验和不符：文件已损坏。 / Checksum mismatch for {table.name}: the file is damaged.")
    kinds = {c.name: kind(c) for c in table.columns}
    unknown = set(entry.get("columns") or []) - set(kinds)
    if unknown:
        raise BackupError(f"{table.name} 含未知列：{', '.join(sorted(unknown))} / unknown columns in {table.name}")
    parsed = []
    for n, line in enumerate(data.decode("utf-8", errors="strict").splitlines(), start=1):
        where = f"{table.name} line {n}"
        try:
            record = json.loads(line, parse_constant=no_constants)
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
    return parsed
