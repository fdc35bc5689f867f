"""Bulk updates of sites from a spreadsheet (CSV in UTF-8/GBK, or XLSX) with the export's columns.

Only the editable columns matter — ``status``, ``operating_capacity_value`` +
``operating_capacity_unit``, ``commissioned``, ``lon``/``lat`` + ``datum``, ``note``, ``insist``,
``confirm``, ``expected_commissioning``, ``served_villages`` (names split on ; , 、), and for planners
``baseline_capacity_value`` + ``baseline_capacity_unit`` (the note names the source) — plus
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
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from wufei_geo import i18n, model
from wufei_geo.errors import BatchRefused, ImplausibleEdit, StaleVersion, WufeiError
from wufei_geo.io.excel import schema_columns, text_cells_only, xlsx_rows
from wufei_geo.io.formats import FORMATS
from wufei_geo.io.tabular import ImportFileError, check_size, csv_rows, decode_csv, msg, people_csv

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
    # the data the forecast and the villages target depend on (any editor of the site), and the
    # capacity an upgraded facility had before its project (planners, with a source note)
    "expected_commissioning",
    "served_villages",
    "baseline_capacity_value",
    "baseline_capacity_unit",
)
TEMPLATE_COLUMNS = ("site_id", "version", "name_zh", *EDITABLE_COLUMNS)
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
    return "".join(f"\\u{ord(ch):04x}" if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text)


def _show(value: Any) -> str:
    return "∅" if value is None else str(value)


# --- reading ------------------------------------------------------------------
def read_file(path: Any) -> bytes:
    """The bytes of an update file, refused by its size before anything is read."""
    path = Path(path)
    check_size(path.stat().st_size)
    return path.read_bytes()


def read_table(data: bytes, filename: str = "") -> pd.DataFrame:
    """The file as a table of strings (empty cells → ""), column names stripped.

    Bounded (issue 15): the file's size first, an XLSX's unpacked size from its zip headers, then
    rows, columns, cells and cell length while the rows are streamed — a refusal comes before
    the table is built."""
    check_size(len(data))
    if not data.strip():
        raise ImportFileError(key="import.empty")
    is_xlsx = filename.lower().endswith(FORMATS["xlsx"].suffixes) or data[:4] == b"PK\x03\x04"
    try:
        rows = xlsx_rows(data) if is_xlsx else csv_rows(decode_csv(data))
    except ImportFileError:
        raise
    except Exception as exc:  # csv, openpyxl and zipfile each raise their own types
        raise ImportFileError(key="import.unreadable", params={"error": str(exc)}) from exc
    rows = [r for r in rows if any(v.strip() for v in r)] if rows else []
    if not rows:
        raise ImportFileError(key="import.empty")
    header = [_header_code(str(c).strip().lstrip("\ufeff")) for c in rows[0]]
    width = len(header)
    body = [r[:width] + [""] * (width - len(r)) for r in rows[1:]]
    frame = pd.DataFrame(body, columns=header, dtype=object)
    if is_xlsx:  # a workbook exported for people: its header sheet maps the labels back to schema names
        names = schema_columns(data)
        if names:
            frame.columns = [names.get(c, c) for c in frame.columns]
    return frame.fillna("").astype(str).apply(lambda s: s.str.strip())


def _header_code(header: str) -> str:
    """A header as its column code: "状态 (status)" (the update workbook's) → "status"; others as they are."""
    match = _HEADER_CODE.match(header)
    return match.group(1) if match else header


def check_columns(frame: pd.DataFrame) -> None:
    columns = ", ".join(frame.columns) or "—"
    # two "status" columns (a copied column, a header typed twice): which one is meant is a guess,
    # and reading rows would silently keep only one of them
    twice = list(dict.fromkeys(c for c in frame.columns[frame.columns.duplicated()] if c in TEMPLATE_COLUMNS))
    if twice:
        raise ImportFileError(key="import.duplicate_columns", params={"columns": ", ".join(twice)})
    if "site_id" not in frame.columns:
        raise ImportFileError(key="import.no_site_id", params={"columns": columns})
    if not any(c in frame.columns for c in EDITABLE_COLUMNS if c not in ("datum", "note", "insist")):  # confirm counts
        raise ImportFileError(key="import.no_editable", params={"editable": ", ".join(EDITABLE_COLUMNS), "columns": columns})
    if ("lon" in frame.columns) != ("lat" in frame.columns):
        raise ImportFileError(key="import.latlon_pair")


# --- reading cells (the rules are the store's: wufei_geo.site_rules) ----------------------------
_TRUE = frozenset({"1", "y", "yes", "true", "x", "是", "坚持", "确认"})
# the confirm column (issue 12): yes → confirm the site's status unchanged; empty/no → nothing
CONFIRM_TRUE = frozenset({"1", "y", "yes", "true", "x", "✓", "是", "确认", "确认无变化", "无变化", "confirmed"})
CONFIRM_FALSE = frozenset({"", "0", "n", "no", "false", "否", "不"})
# headers of the per-town update workbook read as their column code: "状态 (status)" → status
_HEADER_CODE = re.compile(r"^.*[(（]\s*([a-z_]+)\s*[)）]$")


def _status_aliases() -> dict[str, str]:
    aliases = {code: code for code in model.STATUSES}
    for code, labels in i18n.STATUS_LABELS.items():
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
    check_columns(frame)
    frame = frame.loc[:, ~frame.columns.duplicated()]  # repeats of columns this import does not read
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
            _errors.append(RowError(_row, column, msg(key, lang, **fmt), sid))

        site_id = _row_site(raw, row, cols, seen, sites, err)
        if site_id is None:  # wholly empty lines are skipped; the others have their error
            report.errors.extend(errors)
            continue
        expected = _row_version(raw, sites[site_id], site_id, err)
        changes = _row_changes(raw, site_id, statuses, err)
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


def _row_site(raw: dict[str, Any], row: int, cols: set[str], seen: dict[str, int], sites: dict[str, dict[str, Any]],
              err: Any) -> str | None:
    """The row's site id when it names a known site for the first time; else None (and an error
    unless the row is wholly empty)."""
    site_id = raw.get("site_id", "")
    if not site_id:
        if any(raw.get(c) for c in cols if c != "site_id"):
            err("site_id", "blank_id")
        return None
    if site_id in seen:
        err("site_id", "duplicate_id", site_id, site_id=site_id, first=seen[site_id])
        return None
    seen[site_id] = row
    if site_id not in sites:
        err("site_id", "unknown_site", site_id, site_id=site_id)
        return None
    return site_id


def _row_version(raw: dict[str, Any], site: dict[str, Any], site_id: str, err: Any) -> int:
    """The version the row was exported at (its cell), else the site's current one."""
    expected = int(site.get("version") or 1)
    if raw.get("version"):
        try:
            expected = int(float(raw["version"]))
        except ValueError:
            err("version", "bad_version", site_id, value=raw["version"])
    return expected


def _row_changes(raw: dict[str, Any], site_id: str, statuses: dict[str, str], err: Any) -> dict[str, Any]:
    """The row's cells as the changes ``Store.update_site`` takes (values are read by the store)."""
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
    for column in ("expected_commissioning", "served_villages"):
        if raw.get(column):
            changes[column] = raw[column]
    value_text, unit_text = raw.get("baseline_capacity_value", ""), raw.get("baseline_capacity_unit", "")
    if value_text or unit_text:
        changes["baseline_capacity_value"] = value_text or None
        changes["baseline_capacity_unit"] = unit_text or None
    lon_text, lat_text = raw.get("lon", ""), raw.get("lat", "")
    if lon_text or lat_text:
        datum = (raw.get("datum") or "").strip().lower()
        if not (lon_text and lat_text):
            err("lat" if lon_text else "lon", "half_location", site_id)
        elif not datum:
            err("datum", "datum_missing", site_id)
        else:
            changes["location"] = (lon_text, lat_text, datum)
    return changes


_ERROR_COLUMN = {"StaleVersion": "version", "PermissionDenied": "site_id", "NotFound": "site_id"}


def _error_column(exc: Exception) -> str | None:
    field_name = getattr(exc, "params", {}).get("field")
    if field_name:
        return "lon" if field_name == "location" else str(field_name)
    return _ERROR_COLUMN.get(type(exc).__name__)


def _refusal(exc: Exception, lang: str) -> str:
    rules = getattr(exc, "rules", None) or ([exc.rule] if getattr(exc, "rule", None) else [])
    key = f" [{', '.join(rules)}]" if rules else ""  # the rule keys, as the CLI prints them
    text = msg("refused", lang, error=i18n.error_text(exc, lang)) + key
    if isinstance(exc, ImplausibleEdit):
        text += " " + msg("insist_hint", lang)
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
    for column in ("expected_commissioning", "served_villages"):
        if column in new:
            out.append(FieldChange(column, site.get(column), new[column]))
    if any(k.startswith("baseline_capacity") for k in new):
        old = site.get("baseline_capacity_value")
        old_text = None if old is None else f"{old} {site.get('baseline_capacity_unit') or ''}".strip()
        value = new.get("baseline_capacity_value", _show(old))
        unit = new.get("baseline_capacity_unit", site.get("baseline_capacity_unit"))
        out.append(FieldChange("baseline_capacity", old_text, f"{value} {unit or ''}".strip()))
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
    try:
        frame = read_table(data, filename)
        sites = _current_sites(store)
        report = plan_rows(frame, sites, actor, lang)
    except ImportFileError as exc:
        return ImportReport(errors=[RowError(None, None, i18n.error_text(exc, lang))])
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
            report.errors.append(RowError(plan.row, "version", msg(
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
                                          msg("confirm_unchanged", lang, status=i18n.status_label(site.get("status"), lang)))]
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
            report.errors.append(RowError(None, None, msg("refused", lang, error=i18n.error_text(exc, lang))))
        return report
    except WufeiError as exc:
        report.errors.append(RowError(None, None, msg("refused", lang, error=i18n.error_text(exc, lang))))
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
    """CSV template, UTF-8 with BOM (Excel-friendly), formulas neutralised (``tabular.people_csv``)."""
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
            ("expected_commissioning", "预计投运日期 YYYY-MM-DD、YYYY-MM 或 YYYY / expected commissioning date"),
            ("served_villages", "服务行政村，用 ；、, 分隔（仅湿垃圾设施）/ served villages, separated by ; , 、"),
            ("baseline_capacity_value, baseline_capacity_unit",
             "改造前现有能力及单位（仅规划人员；说明中注明来源）/ capacity before the upgrade and its unit "
             "(planners only; name the source in the note)"),
            ("lon, lat, datum", "坐标及坐标系 wgs84 / gcj02 / bd09"),
            ("note", "说明（暂停、取消、关停或状态回退时必填）/ note (required for suspend, cancel, close or a backwards move)"),
            ("confirm", "填 是/yes：确认状态无变化（其他列留空或不变）/ yes: confirm the status unchanged"),
            ("insist", "填 是/yes：坚持提交不合常理的数值（须填说明；街镇人员的修改将作为待核实）/ yes: keep an implausible "
                       "value (needs a note; a town official's edit becomes 待核实, awaiting confirmation)"),
            ("", "空白单元格 = 不修改 / an empty cell = no change"),
        ]
        pd.DataFrame(help_rows, columns=["column", "meaning"]).to_excel(writer, sheet_name="help", index=False)
        for sheet in writer.sheets.values():
            text_cells_only(sheet)
    return buf.getvalue()
