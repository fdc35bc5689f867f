"""Bulk updates of sites from a spreadsheet (CSV in UTF-8/GBK, or XLSX) with the export's columns.

Only the editable columns matter — ``status``, ``operating_capacity_value`` +
``operating_capacity_unit``, ``commissioned``, ``lon``/``lat`` + ``datum``, ``note``, ``insist`` — plus
``site_id`` (required) and ``version`` (optional: the version the row was exported at, so an
edit made meanwhile by someone else is reported instead of overwritten).  Other columns are
ignored, so an export can be edited and sent back as is.  An empty cell means "no change".

This module only reads cells; every rule about the values is the store's one validator
(:mod:`wufei_geo.site_rules`, through ``Store.check_update``/``update_sites``).

:func:`plan_import` is the dry run: per row what would change, and every error with its row
(spreadsheet numbering: the header is row 1) and column.  :func:`apply_import` applies all rows
in ONE store transaction (``Store.update_sites``) or none, audited as the importing user.
"""
from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from wufei_geo import i18n, model

EDITABLE_COLUMNS = (
    "status",
    "operating_capacity_value",
    "operating_capacity_unit",
    "commissioned",
    "lon",
    "lat",
    "datum",
    "note",
    "insist",
    "confirm",
)
TEMPLATE_COLUMNS = ("site_id", "version", "name_zh", *EDITABLE_COLUMNS)
# Files larger than this are refused before they are read (a whole-district export is < 1 MB;
# 100,000 sites are ~30 MB).
MAX_FILE_BYTES = 64 * 1024 * 1024
# Issue 15 (size bombs): bounds checked while reading, before a table is built.  A whole-district
# update is < 100 rows of 11 columns; an export sent back has ~45 columns.
MAX_ROWS = 100_000
MAX_COLUMNS = 100
MAX_CELLS = 2_000_000
MAX_CELL_CHARS = 20_000
MAX_XLSX_MEMBERS = 64
MAX_XLSX_UNCOMPRESSED = 64 * 1024 * 1024  # all parts of the workbook unpacked (zip headers)


def _msg(key: str, lang: str, **fmt: Any) -> str:
    return i18n.t(f"import.{key}", lang, **fmt)


class ImportFileError(ValueError):
    """The file as a whole cannot be used (encoding, format, columns)."""


@dataclass(frozen=True)
class RowError:
    row: int | None  # spreadsheet row (header = 1); None for the whole file
    column: str | None
    message: str
    site_id: str | None = None

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(self.column)
        return f"{', '.join(where)}: {self.message}" if where else self.message


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass
class RowPlan:
    row: int
    site_id: str
    expected_version: int
    changes: dict[str, Any]  # as Store.update_site takes them
    note: str | None
    diffs: list[FieldChange]
    insist: bool = False  # the row's insist cell: keep an implausible value (with a note)
    confirm: bool = False  # issue 12: the row's confirm cell said yes and the row changes nothing else
    proposal: bool = False  # the store will keep it as 待核实 (awaiting a planner's confirmation)
    rules: list[str] = field(default_factory=list)  # plausibility rules it breaks (insisted on)


@dataclass
class ImportReport:
    rows: list[RowPlan] = field(default_factory=list)  # rows that would change something
    errors: list[RowError] = field(default_factory=list)
    rows_read: int = 0
    applied: bool = False
    results: list[dict[str, Any]] = field(default_factory=list)  # sites after the update

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def n_changes(self) -> int:
        return sum(len(r.diffs) for r in self.rows)

    def changes_frame(self) -> pd.DataFrame:
        """One line per changed field: row, site_id, field, old, new, note — and a ``note`` line per
        row that carries one (the note goes into the audit: the dry run shows it; issue 15)."""
        records = []
        for r in self.rows:
            records += [{"row": r.row, "site_id": r.site_id, "field": d.field, "old": d.old, "new": d.new, "note": r.note}
                        for d in r.diffs]
            if r.note:
                records.append({"row": r.row, "site_id": r.site_id, "field": "note", "old": None, "new": r.note, "note": r.note})
        return pd.DataFrame(records, columns=["row", "site_id", "field", "old", "new", "note"])

    def errors_frame(self) -> pd.DataFrame:
        records = [{"row": e.row, "column": e.column, "site_id": e.site_id, "message": e.message} for e in self.errors]
        return pd.DataFrame(records, columns=["row", "column", "site_id", "message"])

    def summary_lines(self) -> list[str]:
        """Every field each row would change, its note included (issue 15), then the errors;
        control characters shown as \\uXXXX (the lines go to a terminal)."""
        lines = []
        for r in self.rows:
            lines += [f"row {r.row} {r.site_id}: {d.field}: {_show(d.old)} → {_show(d.new)}{' (待核实)' if r.proposal else ''}"
                      for d in r.diffs]
            if r.note:
                lines.append(f"row {r.row} {r.site_id}: note: {r.note}")
        lines += [str(e) for e in self.errors]
        return [_terminal_safe(line) for line in lines]


def _terminal_safe(text: str) -> str:
    import unicodedata

    return "".join(f"\\u{ord(ch):04x}" if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text)


def _show(value: Any) -> str:
    return "∅" if value is None else str(value)


# --- reading ------------------------------------------------------------------
def decode_csv(data: bytes, lang: str = "zh") -> str:
    """UTF-8 (with or without BOM) first, then GBK/GB18030; anything else is refused.

    A file that is UTF-8 except for some lines is refused naming them (issue 15: a stray byte
    used to turn a UTF-8 file into GB18030 mojibake, silently stored).
    """
    if b"\x00" in data:  # UTF-16/32 or a binary file
        raise ImportFileError(_msg("encoding", lang))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    utf8_lines, bad_lines = 0, []
    for n, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8_lines += 1
        except UnicodeDecodeError:
            bad_lines.append(n)
    if utf8_lines:  # real UTF-8 text next to lines that are not: the file is mixed
        shown = ", ".join(map(str, bad_lines[:10])) + (" …" if len(bad_lines) > 10 else "")
        raise ImportFileError(_msg("mixed_encoding", lang, lines=shown))
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise ImportFileError(_msg("encoding", lang)) from None


def check_size(size: int, lang: str = "zh") -> None:
    """Refuse a file larger than :data:`MAX_FILE_BYTES` (ImportFileError)."""
    if size > MAX_FILE_BYTES:
        raise ImportFileError(_msg("too_big", lang, size=size / 2**20, limit=MAX_FILE_BYTES / 2**20))


def read_file(path: Any, lang: str = "zh") -> bytes:
    """The bytes of an update file, refused by its size before anything is read."""
    from pathlib import Path

    path = Path(path)
    check_size(path.stat().st_size, lang)
    return path.read_bytes()


def _too_big(what: str, lang: str, **fmt: Any) -> ImportFileError:
    return ImportFileError(_msg(f"limit_{what}", lang, **fmt))


def _bounded_rows(rows: Any, lang: str) -> list[list[str]]:
    """Rows (lists of cell texts) taken one at a time, refusing once any bound is passed."""
    out: list[list[str]] = []
    cells = 0
    for row in rows:
        cells_here = ["" if v is None else str(v) for v in row]
        while cells_here and cells_here[-1] == "":
            cells_here.pop()
        if len(out) >= MAX_ROWS + 1:  # + the header
            raise _too_big("rows", lang, limit=MAX_ROWS)
        if len(cells_here) > MAX_COLUMNS:
            raise _too_big("columns", lang, n=len(cells_here), limit=MAX_COLUMNS)
        cells += len(cells_here)
        if cells > MAX_CELLS:
            raise _too_big("cells", lang, limit=MAX_CELLS)
        long = next((v for v in cells_here if len(v) > MAX_CELL_CHARS), None)
        if long is not None:
            raise _too_big("cell", lang, row=len(out) + 1, n=len(long), limit=MAX_CELL_CHARS)
        out.append(cells_here)
    return out


def _xlsx_rows(data: bytes, lang: str) -> list[list[str]]:
    """The first sheet's rows, streamed (openpyxl read-only, dimensions ignored), after the zip's
    headers show it unpacks to at most MAX_XLSX_UNCOMPRESSED."""
    import zipfile

    import openpyxl

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
        if len(infos) > MAX_XLSX_MEMBERS:
            raise _too_big("members", lang, n=len(infos), limit=MAX_XLSX_MEMBERS)
        unpacked = sum(i.file_size for i in infos)
        if unpacked > MAX_XLSX_UNCOMPRESSED:
            raise _too_big("unpacked", lang, size=unpacked / 2**20, limit=MAX_XLSX_UNCOMPRESSED / 2**20)
        # count rows and cells in the sheets' XML as it inflates (C-speed), before openpyxl parses it
        for info in infos:
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                rows = cells = 0
                tail = b""
                with zf.open(info) as fh:
                    while chunk := fh.read(1 << 20):
                        buf = tail + chunk
                        rows += buf.count(b"<row") - tail.count(b"<row")
                        cells += buf.count(b"<c ") + buf.count(b"<c>") - tail.count(b"<c ") - tail.count(b"<c>")
                        tail = buf[-8:]
                        if rows > MAX_ROWS + 1:
                            raise _too_big("rows", lang, limit=MAX_ROWS)
                        if cells > MAX_CELLS:
                            raise _too_big("cells", lang, limit=MAX_CELLS)
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # a forged <dimension> must not pad every row to XFD1048576
        return _bounded_rows(sheet.iter_rows(values_only=True), lang)
    finally:
        book.close()


def _csv_rows(text: str, lang: str) -> list[list[str]]:
    import csv

    old = csv.field_size_limit()
    csv.field_size_limit(MAX_CELL_CHARS + 1)
    try:
        return _bounded_rows(csv.reader(io.StringIO(text, newline=""), strict=True), lang)
    except csv.Error as exc:
        if "field larger" in str(exc):
            raise _too_big("cell", lang, row="?", n=MAX_CELL_CHARS + 1, limit=MAX_CELL_CHARS) from None
        raise
    finally:
        csv.field_size_limit(old)


def read_table(data: bytes, filename: str = "", lang: str = "zh") -> pd.DataFrame:
    """The file as a table of strings (empty cells → ""), column names stripped.

    Bounded (issue 15): the file's size first, an XLSX's unpacked size from its zip headers, then
    rows, columns, cells and cell length while the rows are streamed — a refusal comes before
    the table is built."""
    check_size(len(data), lang)
    if not data.strip():
        raise ImportFileError(_msg("empty", lang))
    is_xlsx = filename.lower().endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04"
    try:
        rows = _xlsx_rows(data, lang) if is_xlsx else _csv_rows(decode_csv(data, lang), lang)
    except ImportFileError:
        raise
    except Exception as exc:  # csv, openpyxl and zipfile each raise their own types
        raise ImportFileError(_msg("unreadable", lang, error=exc)) from exc
    rows = [r for r in rows if any(v.strip() for v in r)] if rows else []
    if not rows:
        raise ImportFileError(_msg("empty", lang))
    header = [_header_code(str(c).strip().lstrip("\ufeff")) for c in rows[0]]
    width = len(header)
    body = [r[:width] + [""] * (width - len(r)) for r in rows[1:]]
    frame = pd.DataFrame(body, columns=header, dtype=object)
    if is_xlsx:  # a workbook exported for people: its header sheet maps the labels back to schema names
        from wufei_geo.exports import schema_columns

        names = schema_columns(data)
        if names:
            frame.columns = [names.get(c, c) for c in frame.columns]
    return frame.fillna("").astype(str).apply(lambda s: s.str.strip())


def _header_code(header: str) -> str:
    """A header as its column code: "状态 (status)" (the update workbook's) → "status"; others as they are."""
    match = _HEADER_CODE.match(header)
    return match.group(1) if match else header


def check_columns(frame: pd.DataFrame, lang: str = "zh") -> None:
    columns = ", ".join(frame.columns) or "—"
    if "site_id" not in frame.columns:
        raise ImportFileError(_msg("no_site_id", lang, columns=columns))
    if not any(c in frame.columns for c in EDITABLE_COLUMNS if c not in ("datum", "note", "insist")):  # confirm counts
        raise ImportFileError(_msg("no_editable", lang, editable=", ".join(EDITABLE_COLUMNS), columns=columns))
    if ("lon" in frame.columns) != ("lat" in frame.columns):
        raise ImportFileError(_msg("latlon_pair", lang))


# --- reading cells (the rules are the store's: wufei_geo.site_rules) ----------------------------
_TRUE = frozenset({"1", "y", "yes", "true", "x", "是", "坚持", "确认"})
# the confirm column (issue 12): yes → confirm the site's status unchanged; empty/no → nothing
CONFIRM_TRUE = frozenset({"1", "y", "yes", "true", "x", "✓", "是", "确认", "确认无变化", "无变化", "confirmed"})
CONFIRM_FALSE = frozenset({"", "0", "n", "no", "false", "否", "不"})
# headers of the per-town update workbook read as their column code: "状态 (status)" → status
_HEADER_CODE = re.compile(r"^.*[(（]\s*([a-z_]+)\s*[)）]$")


def _status_aliases() -> dict[str, str]:
    aliases = {code: code for code in model.STATUSES}
    try:
        from wufei_geo.i18n import STATUS_LABELS
    except ImportError:  # the catalogue is optional here: codes always work
        STATUS_LABELS = {}
    for code, labels in STATUS_LABELS.items():
        for label in labels:
            aliases[label.strip().lower()] = code
    return aliases


def _current_sites(store: Any) -> dict[str, dict[str, Any]]:
    try:
        frame = store.sites_frame(include_retired=True)
    except TypeError:
        frame = store.sites_frame()
    frame = frame.astype(object).where(pd.notna(frame), None)
    return {str(r["site_id"]): r for r in frame.to_dict("records")}


def plan_rows(
    frame: pd.DataFrame,
    sites: dict[str, dict[str, Any]],
    actor: Any = None,
    lang: str = "zh",
    today: dt.date | None = None,
) -> ImportReport:
    """Read every row's cells into an edit as ``Store.update_site`` takes it; nothing is validated
    here beyond reading (which site, which version, which status a label names, which datum):
    every value rule is the store's (:mod:`wufei_geo.site_rules`), asked by :func:`plan_import`.
    ``actor`` and ``today`` are not used (kept for callers)."""
    check_columns(frame, lang)
    statuses = _status_aliases()
    report = ImportReport(rows_read=len(frame))
    seen: dict[str, int] = {}
    cols = set(frame.columns)

    for i, raw in enumerate(frame.to_dict("records")):
        row = i + 2  # the header is row 1
        errors: list[RowError] = []

        def err(
            column: str | None, key: str, sid: str | None = None,
            _row: int = row, _errors: list[RowError] = errors, **fmt: Any,
        ) -> None:
            _errors.append(RowError(_row, column, _msg(key, lang, **fmt), sid))

        site_id = raw.get("site_id", "")
        if not site_id:
            if any(raw.get(c) for c in cols if c != "site_id"):
                err("site_id", "blank_id")
                report.errors.extend(errors)
            continue  # wholly empty lines are skipped
        if site_id in seen:
            err("site_id", "duplicate_id", site_id, site_id=site_id, first=seen[site_id])
            report.errors.extend(errors)
            continue
        seen[site_id] = row
        site = sites.get(site_id)
        if site is None:
            err("site_id", "unknown_site", site_id, site_id=site_id)
            report.errors.extend(errors)
            continue

        expected = int(site.get("version") or 1)
        if raw.get("version"):
            try:
                expected = int(float(raw["version"]))
            except ValueError:
                err("version", "bad_version", site_id, value=raw["version"])

        changes: dict[str, Any] = {}
        if raw.get("status"):
            code = statuses.get(raw["status"].strip().lower()) or statuses.get(raw["status"])
            if code is None:
                err("status", "unknown_status", site_id, value=raw["status"], allowed=", ".join(model.STATUSES))
            else:
                changes["status"] = code
        value_text, unit_text = raw.get("operating_capacity_value", ""), raw.get("operating_capacity_unit", "")
        if value_text or unit_text:  # the value is read by the store (which accepts "1,200")
            changes["operating_capacity_value"] = value_text or None
            changes["operating_capacity_unit"] = unit_text or None
        if raw.get("commissioned"):
            changes["commissioned"] = raw["commissioned"]
        lon_text, lat_text = raw.get("lon", ""), raw.get("lat", "")
        if lon_text or lat_text:
            datum = (raw.get("datum") or "").strip().lower()
            if not (lon_text and lat_text):
                err("lat" if lon_text else "lon", "half_location", site_id)
            elif not datum:
                err("datum", "datum_missing", site_id)
            else:
                changes["location"] = (lon_text, lat_text, datum)
        insist = (raw.get("insist") or "").strip().lower() in _TRUE
        confirm_text = (raw.get("confirm") or "").strip().lower()
        confirm = confirm_text in CONFIRM_TRUE
        if not confirm and confirm_text not in CONFIRM_FALSE:
            err("confirm", "bad_confirm", site_id, value=raw.get("confirm"))
        report.errors.extend(errors)
        if (changes or confirm) and not errors:
            report.rows.append(RowPlan(row, site_id, expected, changes, raw.get("note") or None, [], insist=insist,
                                       confirm=confirm))
    return report


_ERROR_COLUMN = {"StaleVersion": "version", "PermissionDenied": "site_id", "NotFound": "site_id"}


def _error_column(exc: Exception) -> str | None:
    field_name = getattr(exc, "params", {}).get("field")
    if field_name:
        return "lon" if field_name == "location" else str(field_name)
    return _ERROR_COLUMN.get(type(exc).__name__)


def _refusal(exc: Exception, lang: str) -> str:
    from wufei_geo import i18n
    from wufei_geo.errors import ImplausibleEdit

    rules = getattr(exc, "rules", None) or ([exc.rule] if getattr(exc, "rule", None) else [])
    key = f" [{', '.join(rules)}]" if rules else ""  # the rule keys, as the CLI prints them
    text = _msg("refused", lang, error=i18n.error_text(exc, lang)) + key
    if isinstance(exc, ImplausibleEdit):
        text += " " + _msg("insist_hint", lang)
    return text


def _diffs(site: dict[str, Any], changes: list[dict[str, Any]]) -> list[FieldChange]:
    """The store's planned column changes as the lines a person reads: capacity value and unit as
    one, longitude and latitude as one location."""
    new = {c["field"]: c["new_value"] for c in changes}
    out = []
    if "status" in new:
        out.append(FieldChange("status", site.get("status"), new["status"]))
    if any(k.startswith("operating_capacity") for k in new):
        old = site.get("operating_capacity_value")
        old_text = None if old is None else f"{old} {site.get('operating_capacity_unit') or ''}".strip()
        value = new.get("operating_capacity_value", _show(old))
        unit = new.get("operating_capacity_unit", site.get("operating_capacity_unit"))
        out.append(FieldChange("operating_capacity", old_text, f"{value} {unit or ''}".strip()))
    if "commissioned" in new:
        out.append(FieldChange("commissioned", site.get("commissioned"), new["commissioned"]))
    if "lon" in new or "lat" in new:
        old_lon, old_lat = site.get("lon"), site.get("lat")
        old = None if old_lon is None else f"{float(old_lon):.6f}, {float(old_lat):.6f} (wgs84)"
        lon, lat = float(new.get("lon", old_lon)), float(new.get("lat", old_lat))
        out.append(FieldChange("location", old, f"{lon:.6f}, {lat:.6f} (wgs84)"))
    return out


def plan_import(store: Any, actor: Any, data: bytes, filename: str = "", lang: str = "zh") -> ImportReport:
    """The dry run: what each row would change and every error.  Writes nothing.

    Each row read is put to the store's own dry run (``Store.check_update``), so every rule —
    values, plausibility, permissions, the login, the version — is exactly that of a real edit.
    A row that changes nothing (an export sent back as it is) is skipped; a row that breaks a
    plausibility rule is an error unless its ``insist`` cell says yes and it has a note (a town
    official's row then becomes a 待核实 proposal).
    """
    from wufei_geo.errors import StaleVersion, WufeiError

    try:
        frame = read_table(data, filename, lang)
        sites = _current_sites(store)
        report = plan_rows(frame, sites, actor, lang)
    except ImportFileError as exc:
        return ImportReport(errors=[RowError(None, None, str(exc))])
    accepted = []
    for plan in report.rows:
        try:
            if plan.changes:
                try:
                    checked = store.check_update(actor, plan.site_id, plan.changes, plan.expected_version, plan.note,
                                                 plan.insist)
                except WufeiError as exc:
                    if not (plan.confirm and getattr(exc, "rule", None) == "nothing_to_change"):
                        raise
                    plan.changes = {}  # the row repeats the current values: a confirmation
            if not plan.changes:
                checked = store.check_confirm(actor, plan.site_id, plan.expected_version, plan.note)
        except StaleVersion as exc:
            report.errors.append(RowError(plan.row, "version", _msg(
                "stale", lang, site_id=plan.site_id, expected=plan.expected_version, current=exc.current_version,
            ), plan.site_id))
        except WufeiError as exc:
            if getattr(exc, "rule", None) == "nothing_to_change":
                continue
            report.errors.append(RowError(plan.row, _error_column(exc), _refusal(exc, lang), plan.site_id))
        else:
            if checked.get("confirm"):
                plan.changes, plan.insist = {}, False
                site = sites[plan.site_id]
                plan.diffs = [FieldChange("confirm", site.get("status_confirmed_at"),
                                          _msg("confirm_unchanged", lang, status=i18n.status_label(site.get("status"), lang)))]
                accepted.append(plan)
                continue
            if not checked["changes"]:
                continue  # a note alone is not an edit of a file import
            plan.confirm = False  # the edit itself confirms the status
            plan.diffs = _diffs(sites[plan.site_id], checked["changes"])
            plan.proposal = bool(checked.get("proposal"))
            plan.rules = list(checked.get("rules") or [])
            accepted.append(plan)
    report.rows = accepted
    report.errors.sort(key=lambda e: (e.row is not None, e.row or 0))
    return report


def apply_import(store: Any, actor: Any, data: bytes, filename: str = "", lang: str = "zh") -> ImportReport:
    """Apply every row in one transaction, or — on any error in any row — nothing."""
    from wufei_geo.errors import BatchRefused, WufeiError

    report = plan_import(store, actor, data, filename, lang)
    if not report.ok or not report.rows:
        return report
    edits = [r for r in report.rows if not r.confirm]
    confirms = [r for r in report.rows if r.confirm]
    batch = [(r.site_id, r.changes, r.expected_version, r.note, r.insist) for r in edits]
    ordered = edits + confirms  # the store numbers the refusals in this order
    try:
        if confirms:
            report.results = list(store.update_sites(actor, batch, [(r.site_id, r.expected_version, r.note) for r in confirms]))
        else:
            report.results = list(store.update_sites(actor, batch))
    except BatchRefused as exc:
        for index, site_id, error in exc.errors:
            row = ordered[index].row if 0 <= index < len(ordered) else None
            report.errors.append(RowError(row, _error_column(error), _refusal(error, lang), site_id))
        if not exc.errors:
            report.errors.append(RowError(None, None, _msg("refused", lang, error=i18n.error_text(exc, lang))))
        return report
    except WufeiError as exc:
        report.errors.append(RowError(None, None, _msg("refused", lang, error=i18n.error_text(exc, lang))))
        return report
    report.applied = True
    return report


# --- template ---------------------------------------------------------------------
def template_frame(sites: pd.DataFrame | None = None) -> pd.DataFrame:
    """The columns an update file needs; with ``sites``, one row per site (ids, versions, names)."""
    if sites is None or not len(sites):
        return pd.DataFrame(columns=list(TEMPLATE_COLUMNS))
    out = pd.DataFrame({c: "" for c in TEMPLATE_COLUMNS}, index=range(len(sites)))
    out["site_id"] = list(sites["site_id"])
    out["version"] = [("" if pd.isna(v) else str(int(v))) for v in sites["version"]] if "version" in sites else ""
    out["name_zh"] = list(sites["name_zh"]) if "name_zh" in sites else ""
    return out


def template_csv(sites: pd.DataFrame | None = None) -> bytes:
    """CSV template, UTF-8 with BOM (Excel-friendly), formulas neutralised (``exports.people_csv``)."""
    from wufei_geo.exports import people_csv

    return people_csv(template_frame(sites))


def template_xlsx(sites: pd.DataFrame | None = None) -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        template_frame(sites).to_excel(writer, sheet_name="sites", index=False)
        help_rows = [
            ("site_id", "必填：站点编号 / required: site id"),
            ("version", "导出时的版本号，用于冲突检查 / version at export, detects conflicting edits"),
            ("status", ", ".join(model.STATUSES)),
            ("operating_capacity_value", "运行能力数值 ≥ 0 / capacity in operation"),
            ("operating_capacity_unit", "如 t/d、kW / e.g. t/d, kW"),
            ("commissioned", "YYYY-MM-DD, YYYY-MM 或 YYYY"),
            ("lon, lat, datum", "坐标及坐标系 wgs84 / gcj02 / bd09"),
            ("note", "说明（暂停、取消、关停或状态回退时必填）/ note (required for suspend, cancel, close or a backwards move)"),
            ("confirm", "填 是/yes：确认状态无变化（其他列留空或不变）/ yes: confirm the status unchanged"),
            ("insist", "填 是/yes：坚持提交不合常理的数值（须填说明；街镇人员的修改将作为待核实）/ yes: keep an implausible "
                       "value (needs a note; a town official's edit becomes 待核实, awaiting confirmation)"),
            ("", "空白单元格 = 不修改 / an empty cell = no change"),
        ]
        pd.DataFrame(help_rows, columns=["column", "meaning"]).to_excel(writer, sheet_name="help", index=False)
        from wufei_geo.exports import text_cells_only

        for sheet in writer.sheets.values():
            text_cells_only(sheet)
    return buf.getvalue()


# --- official boundaries (uploaded on the 数据 page) ------------------------------------
def read_boundary_upload(
    data: bytes, filename: str, code_field: str | None = None, name_field: str | None = None
) -> Any:
    """Read an uploaded official boundary file with :func:`wufei_geo.boundaries.read_boundaries`.

    The bytes are written to a temporary file with the upload's suffix (GeoJSON, zipped
    Shapefile or GeoPackage are told apart by it).  Raises ``boundaries.BoundaryImportError``
    naming every problem; touches no database.
    """
    import tempfile
    from pathlib import Path

    from wufei_geo import boundaries

    name = Path(filename or "upload").name
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        return boundaries.read_boundaries(path, code_field=code_field or None, name_field=name_field or None)


def boundary_report(new_zones: Any, current_zones: Any) -> pd.DataFrame:
    """Matching report: each town, the feature(s) it matched, its area in the file and now."""
    current = dict(zip(current_zones["town_code"].astype(str), current_zones["area_km2"], strict=False))
    quality = dict(zip(current_zones["town_code"].astype(str), current_zones["boundary_quality"], strict=False))
    return pd.DataFrame(
        {
            "town_code": new_zones["town_code"].astype(str),
            "name_zh": new_zones["name_zh"],
            "matched": new_zones["source_feature"] if "source_feature" in new_zones else None,
            "area_km2_new": new_zones["area_km2"].round(2),
            "area_km2_current": [current.get(c) for c in new_zones["town_code"].astype(str)],
            "current_quality": [quality.get(c) for c in new_zones["town_code"].astype(str)],
        }
    )


# --- the per-town update workbook (issue 12) ----------------------------------------------------
# (header, column code, editable): the header carries the code in brackets, so the import reads
# the workbook as it comes back ("状态 (status)" → status).  Locked columns identify the row.
WORKBOOK_SHEET = "站点 sites"
WORKBOOK_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("站点编号", "site_id", False),
    ("版本", "version", False),
    ("名称", "name_zh", False),
    ("类别", "category", False),
    ("状态", "status", True),
    ("运行能力", "operating_capacity_value", True),
    ("能力单位", "operating_capacity_unit", True),
    ("投运日期", "commissioned", True),
    ("状态最近确认", "status_confirmed_at", False),
    ("确认无变化", "confirm", True),
    ("说明", "note", True),
)
CONFIRM_CHOICES = ("是", "")


def workbook_header(label: str, code: str) -> str:
    return f"{label} ({code})"


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def town_workbook(sites: pd.DataFrame, town_code: str, town_name: str = "", round_info: dict[str, Any] | None = None,
                  months: int | None = None, stale: pd.Series | None = None) -> bytes:
    """The update workbook of one town (xlsx): its live sites with their current values and
    Chinese labels, a dropdown of the statuses (Chinese labels) and of the confirm column, the id
    columns locked (sheet protection; the editable cells unlocked), and an instructions sheet.
    Sent back as it is, :func:`plan_import` reads it (the headers carry the column codes)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    from wufei_geo.exports import text_cells_only

    live = sites[(sites["town_code"].astype("string") == str(town_code))]
    if "retired" in live.columns:
        live = live[~live["retired"].fillna(False).astype(bool)]
    live = live.sort_values("site_id", kind="stable")
    wb = Workbook()
    ws = wb.active
    ws.title = WORKBOOK_SHEET
    ws.append([workbook_header(label, code) for label, code, _ in WORKBOOK_COLUMNS])
    for rec in live.to_dict("records"):
        row = []
        for _label, code, _edit in WORKBOOK_COLUMNS:
            value = rec.get(code)
            if code == "status":
                value = i18n.status_label(value, "zh") if _cell(value) is not None else None
            elif code == "category":
                value = i18n.category_label(value, "zh") if _cell(value) is not None else None
            elif code == "version":
                value = None if _cell(value) is None else int(value)
            elif code in ("confirm", "note"):
                value = None
            row.append(_cell(value))
        ws.append(row)
    text_cells_only(ws)
    n = len(live)
    editable, locked = PatternFill("solid", fgColor="FFF9E5"), PatternFill("solid", fgColor="E6E6E6")
    for j, (_label, _code, edit) in enumerate(WORKBOOK_COLUMNS, start=1):
        ws.cell(1, j).font = Font(bold=True)
        ws.column_dimensions[ws.cell(1, j).column_letter].width = 16 if j != 3 else 36
        for i in range(2, n + 2):
            if edit:
                ws.cell(i, j).protection = Protection(locked=False)
            ws.cell(i, j).fill = editable if edit else locked
    letters = {code: ws.cell(1, j).column_letter for j, (_l, code, _e) in enumerate(WORKBOOK_COLUMNS, start=1)}
    if n:
        statuses = DataValidation(type="list", formula1='"' + ",".join(i18n.status_label(s, "zh") for s in model.STATUSES) + '"',
                                  allow_blank=True, showErrorMessage=True, errorTitle="状态", error="请从下拉列表中选择状态")
        statuses.add(f"{letters['status']}2:{letters['status']}{n + 1}")
        confirm = DataValidation(type="list", formula1='"' + ",".join(c for c in CONFIRM_CHOICES if c) + '"',
                                 allow_blank=True, showErrorMessage=True, errorTitle="确认无变化", error="填“是”或留空")
        confirm.add(f"{letters['confirm']}2:{letters['confirm']}{n + 1}")
        ws.add_data_validation(statuses)
        ws.add_data_validation(confirm)
    ws.freeze_panes = "C2"
    ws.protection.sheet = True  # no password: the lock keeps the ids from being typed over by mistake
    ws.protection.formatColumns = False  # widening a column stays possible

    info = wb.create_sheet("说明 instructions")
    title = f"{town_name or town_code}（{town_code}）站点更新表 / site update workbook"
    lines = [
        (title, ""),
        ("", ""),
    ]
    if round_info:
        lines.append(("更新轮次 / update round", f"#{round_info.get('id')} {round_info.get('title')}"))
        lines.append(("截止日期 / deadline", round_info.get("deadline") or "—"))
    if months is not None:
        n_stale = int(stale.reindex(live.index).fillna(False).sum()) if stale is not None else None
        lines.append(("确认有效期 / confirmation period", f"{months} 个月 / months"
                      + (f"；本表 {n_stale} 个站点已过期未确认 / {n_stale} sites stale" if n_stale is not None else "")))
    lines += [
        ("", ""),
        ("如何填写 / how to fill in", ""),
        ("1", "每行一个站点。灰色列（编号、版本、名称、类别、确认时间）已锁定，请勿修改。 / One row per site; the grey "
              "columns (id, version, name, category, last confirmation) are locked."),
        ("2", "状态有变化：在“状态”列的下拉列表中选择新状态；暂停、取消、关停或状态回退须在“说明”列写明原因。 / Status changed: "
              "pick it from the dropdown in the status column; suspending, cancelling, closing or a backwards move needs a note."),
        ("3", "状态无变化：在“确认无变化”列选“是”。 / Status unchanged: choose 是 (yes) in the confirm column."),
        ("4", "运行能力、能力单位、投运日期如有变化直接修改；其他单元格保持原样即视为不修改。 / Change capacity, unit or "
              "commissioning date where they changed; a cell left as it is changes nothing."),
        ("5", "填好后在系统“数据”页“批量更新”上传本文件，先预览（不保存），核对后再应用。 / Upload this file on the 数据 "
              "(Data) page under bulk update: the dry run shows every change before anything is saved."),
        ("", ""),
        ("状态 / statuses", "、".join(f"{i18n.status_label(s, 'zh')} = {s}" for s in model.STATUSES)),
    ]
    for a, b in lines:
        info.append([a, b])
    info.column_dimensions["A"].width = 28
    info.column_dimensions["B"].width = 110
    info["A1"].font = Font(bold=True, size=13)
    text_cells_only(info)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
