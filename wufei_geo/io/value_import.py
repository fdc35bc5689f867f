"""Register values in bulk (issue 23): the department workbook (XLSX: the department's reported
indicators with their 2020 value and target, a year / value / source to fill in) and the import
of such a file — CSV or XLSX, read with the bulk import's bounded reader — as a dry run
(:func:`plan_values`) and in ONE transaction (:func:`apply_values`, all or nothing).  Every row
goes through the same checks as a single value (``register.reporting``): the department rule,
the validator, the 待核实 step."""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import openpyxl
from openpyxl.styles import Font, PatternFill

from wufei_geo import auth, permissions
from wufei_geo.errors import BatchRefused, NotFound, WufeiError
from wufei_geo.i18n import error_text, nested_text, t
from wufei_geo.io.bulk_import import read_table
from wufei_geo.io.excel import text_cells_only, workbook_header
from wufei_geo.io.tabular import ImportFileError
from wufei_geo.register import reporting
from wufei_geo.register.entries import Entry, entry_by_id, load_register
from wufei_geo.register.permissions import may_report, require_may_report
from wufei_geo.register.value_rules import check_value, plausibility

# (label key, column code, filled in by the department)
COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("register.col.id", "entry_id", False),
    ("register.col.name", "name", False),
    ("register.col.unit", "unit", False),
    ("register.col.baseline", "baseline", False),
    ("register.col.target", "target", False),
    ("register.col.year", "year", True),
    ("register.col.value", "value", True),
    ("register.col.source", "source", True),
    ("register.col.note", "note", True),
    ("register.col.insist", "insist", True),
)
REQUIRED = ("entry_id", "year", "value", "source")
_YES = {"是", "yes", "y", "true", "1"}


def department_entries(department: str | None) -> list[Entry]:
    """The reported entries of a department (all reported entries for None)."""
    return [e for e in load_register() if e.measure.kind == "reported"
            and (department is None or may_report("department", department, e))]


def department_workbook(department: str | None, lang: str = "zh", year: int = 2025) -> bytes:
    """The workbook of a department's indicators: one row per indicator, ``year`` filled in."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "指标 indicators"
    ws.append([workbook_header(t(key, lang), code) for key, code, _ in COLUMNS])
    for e in department_entries(department):
        ws.append([e.id, e.name(lang), e.unit_of_values, e.baseline_text or "", e.target_text, str(year), "", "", "", ""])
    text_cells_only(ws)
    fill = PatternFill("solid", fgColor="FFF8E1")
    for col, (_key, _code, editable) in enumerate(COLUMNS, start=1):
        ws.cell(1, col).font = Font(bold=True)
        if editable:
            for row in range(2, ws.max_row + 1):
                ws.cell(row, col).fill = fill
    for letter, width in zip("ABCDEFGHIJ", (8, 48, 10, 10, 14, 8, 10, 30, 24, 8), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "C2"
    info = wb.create_sheet("说明 instructions")
    info.append([t("register.workbook.title", lang, department=department or t("register.page.all", lang))])
    info.append([t("register.workbook.help", lang)])
    info["A1"].font = Font(bold=True, size=13)
    text_cells_only(info)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@dataclass
class ValueRow:
    row: int  # line in the file (1 = header)
    item: dict[str, Any]
    error: str | None = None
    pending: bool = False


@dataclass
class ValueImport:
    rows: list[ValueRow] = field(default_factory=list)
    applied: bool = False

    @property
    def errors(self) -> list[ValueRow]:
        return [r for r in self.rows if r.error]


def read_values(data: bytes, filename: str = "", lang: str = "zh") -> list[ValueRow]:
    """The filled-in rows of a values file (rows without a value are skipped)."""
    frame = read_table(data, filename)
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ImportFileError(key="register.import.missing_columns", params={"columns": ", ".join(missing)})
    out = []
    for i, raw in enumerate(frame.to_dict("records"), start=2):
        if not str(raw.get("value", "")).strip():
            continue
        out.append(ValueRow(i, {
            "entry_id": str(raw.get("entry_id", "")).strip(), "year": str(raw.get("year", "")).strip(),
            "value": str(raw.get("value", "")).strip(), "source": str(raw.get("source", "")).strip(),
            "note": str(raw.get("note", "") or "").strip() or None,
            "insist": str(raw.get("insist", "") or "").strip().lower() in _YES,
        }))
    return out


def plan_values(store: Any, actor: Any, data: bytes, filename: str = "", lang: str = "zh") -> ValueImport:
    """The dry run: every row checked as the write would check it; nothing written."""
    rows = read_values(data, filename, lang)
    who = auth.resume(store, actor.token) if actor is not None else None
    if who is None:
        raise NotFound(key="error.not_logged_in")
    previous: dict[tuple[str, int], float | None] = {}
    for r in rows:
        try:
            entry = _entry(r.item["entry_id"])
            require_may_report(who, entry)
            checked = check_value(entry, r.item["year"], r.item["value"], r.item["source"], store.today().year)
            key = (entry.id, checked.year)
            if key not in previous:
                previous[key] = _previous(store, entry.id, checked.year)
            broken = plausibility(entry, checked, previous[key])
            if broken and not (r.item["insist"] and r.item["note"]):
                r.error = nested_text([v.refusal() for v in broken], lang)
            r.pending = bool(broken) and not permissions.may(who, "accept_implausible_value")
        except WufeiError as exc:
            r.error = error_text(exc, lang)
    return ValueImport(rows)


def apply_values(store: Any, actor: Any, data: bytes, filename: str = "", lang: str = "zh") -> ValueImport:
    """Write every row in ONE transaction, or none (the refusals are named per row)."""
    rows = read_values(data, filename, lang)
    try:
        written = reporting.report_values(store, actor, [r.item for r in rows])
    except BatchRefused as exc:
        for index, _entry_id, err in exc.errors:
            rows[index].error = error_text(err, lang)
        return ValueImport(rows, applied=False)
    for r, w in zip(rows, written, strict=True):
        r.pending = w["status"] == "pending"
    return ValueImport(rows, applied=True)


def _entry(entry_id: str) -> Entry:
    try:
        return entry_by_id(entry_id)
    except KeyError:
        raise NotFound(key="error.no_entry", params={"entry": entry_id}) from None


def _previous(store: Any, entry_id: str, year: int) -> float | None:
    return store.read(lambda conn: reporting.previous_value(conn, entry_id, year))

