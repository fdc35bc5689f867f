"""XLSX (the Excel family): workbooks read within bounds, the export workbooks (for people in their
language, or with schema names for machines), and the per-town update workbook (issue 12).

Every workbook written here holds data, never formulas (:func:`text_cells_only`).
"""
from __future__ import annotations

import io
import zipfile
from typing import Any

import geopandas as gpd
import openpyxl
import pandas as pd
from openpyxl.styles import Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation

from wufei_geo import i18n, model
from wufei_geo.io.layers import DATUM_NOTE, GPKG_LAYER, fields_table, people_table
from wufei_geo.io.tabular import MAX_CELLS, MAX_ROWS, bounded_rows, plain_table, too_big

MAX_XLSX_MEMBERS = 64
MAX_XLSX_UNCOMPRESSED = 64 * 1024 * 1024  # all parts of the workbook unpacked (zip headers)


def xlsx_rows(data: bytes) -> list[list[str]]:
    """The first sheet's rows, streamed (openpyxl read-only, dimensions ignored), after the zip's
    headers show it unpacks to at most MAX_XLSX_UNCOMPRESSED."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
        _check_zip_headers(infos)
        # count rows and cells in the sheets' XML as it inflates (C-speed), before openpyxl parses it
        for info in infos:
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                _count_sheet_xml(zf, info)
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # a forged <dimension> must not pad every row to XFD1048576
        return bounded_rows(sheet.iter_rows(values_only=True))
    finally:
        book.close()


def _check_zip_headers(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_XLSX_MEMBERS:
        raise too_big("members", n=len(infos), limit=MAX_XLSX_MEMBERS)
    unpacked = sum(i.file_size for i in infos)
    if unpacked > MAX_XLSX_UNCOMPRESSED:
        raise too_big("unpacked", size=unpacked / 2**20, limit=MAX_XLSX_UNCOMPRESSED / 2**20)


def _count_sheet_xml(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Refuse a sheet whose XML holds more rows or cells than the bounds, counted while it inflates."""
    rows = cells = 0
    tail = b""
    with zf.open(info) as fh:
        while chunk := fh.read(1 << 20):
            buf = tail + chunk
            rows += buf.count(b"<row") - tail.count(b"<row")
            cells += buf.count(b"<c ") + buf.count(b"<c>") - tail.count(b"<c ") - tail.count(b"<c>")
            tail = buf[-8:]
            if rows > MAX_ROWS + 1:
                raise too_big("rows", limit=MAX_ROWS)
            if cells > MAX_CELLS:
                raise too_big("cells", limit=MAX_CELLS)


def schema_columns(data: bytes) -> dict[str, str] | None:
    """header → schema name from an exported workbook's header sheet, or None when it has none
    (bulk import reads people's workbooks back with it).  Only that sheet is read, within the same
    bounds as any table (:func:`wufei_geo.io.tabular.bounded_rows`): another sheet is never
    expanded, and a header sheet that passes a bound is no header sheet."""
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - not a workbook we made: no map
        return None
    try:
        for lang in ("zh", "en"):
            name = i18n.t("export.sheet.headers", lang)
            if name not in book.sheetnames:
                continue
            sheet = book[name]
            sheet.reset_dimensions()
            try:
                rows = bounded_rows(sheet.iter_rows(max_row=200, values_only=True))
            except Exception:  # noqa: BLE001 - past a bound: not our header sheet
                return None
            pairs = [r[:2] for r in rows[1:] if len(r) >= 2]
            return dict(pairs) if pairs else None
        return None
    finally:
        book.close()


XLSX_CHUNK_ROWS = 2_000  # rows converted at a time by the streamed export writer


def to_xlsx_bytes(layer: str, gdf: gpd.GeoDataFrame, lang: str | None = None) -> bytes:
    """XLSX for people (``lang`` zh/en): the layer's table with labelled headers and words for codes,
    and a second sheet mapping each header to its stable schema name (with its description).
    ``lang=None`` keeps the schema names and a ``fields`` sheet (for machines).

    Written with openpyxl's write-only workbook, :data:`XLSX_CHUNK_ROWS` rows converted at a time:
    memory is the table plus the finished file, not a cell object per value (issue 27: 2.6 GB for
    100,000 sites)."""
    if lang in ("zh", "en"):
        table, mapping = people_table(layer, gdf, lang)
        return _streamed_workbook([(i18n.t(f"export.sheet.{layer}", lang), table),
                                   (i18n.t("export.sheet.headers", lang), mapping)], freeze=True)
    table = plain_table(gdf)
    datum = str(table["datum"].iloc[0]) if len(table) else "wgs84"
    fields = fields_table()
    fields = fields[fields["layer"] == GPKG_LAYER[layer]]
    note = pd.DataFrame([{"layer": "", "field": "datum", "description_zh": "", "description_en": DATUM_NOTE.get(datum, "")}])
    return _streamed_workbook([(layer, table), ("fields", pd.concat([fields, note], ignore_index=True))], freeze=False)


def _streamed_workbook(sheets: list[tuple[str, pd.DataFrame]], freeze: bool) -> bytes:
    """Sheets of plain values, every text a text cell (never a formula, see :func:`text_cells_only`)."""
    from openpyxl.cell import WriteOnlyCell

    book = openpyxl.Workbook(write_only=True)
    for title, frame in sheets:
        sheet = book.create_sheet(title)
        if freeze:
            sheet.freeze_panes = "A2"

        def cell(value: Any, sheet: Any = sheet) -> Any:
            if isinstance(value, str) and value.startswith("="):
                c = WriteOnlyCell(sheet, value=value)
                c.data_type = "s"
                return c
            return value

        sheet.append([cell(str(c)) for c in frame.columns])
        for start in range(0, len(frame), XLSX_CHUNK_ROWS):
            part = frame.iloc[start:start + XLSX_CHUNK_ROWS].astype(object)
            part = part.where(part.notna(), None)
            for row in part.itertuples(index=False, name=None):
                sheet.append([cell(v.item() if hasattr(v, "item") and not isinstance(v, str) else v) for v in row])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def text_cells_only(sheet: Any) -> None:
    """Keep text that starts with "=" a string cell (openpyxl would store it as a formula).

    Our tables hold data, never formulas: a site name like ``=HYPERLINK(...)`` must not run when
    the export is opened in Excel/WPS (spreadsheet formula injection; hostile-input fix).
    """
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"




def layer_xlsx(layers: dict[str, gpd.GeoDataFrame], datum: str, lang: str | None = None) -> bytes:
    """The export writer of ``formats.FORMATS["xlsx"]`` (one layer)."""
    ((layer, gdf),) = layers.items()
    return to_xlsx_bytes(layer, gdf, lang)


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
    ("预计投运日期", "expected_commissioning", True),
    ("服务行政村", "served_villages", True),
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
    Sent back as it is, ``bulk_import.plan_import`` reads it (the headers carry the column codes)."""
    live = _town_sites(sites, town_code)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = WORKBOOK_SHEET
    ws.append([workbook_header(label, code) for label, code, _ in WORKBOOK_COLUMNS])
    for rec in live.to_dict("records"):
        ws.append([_workbook_value(code, rec.get(code)) for _label, code, _edit in WORKBOOK_COLUMNS])
    text_cells_only(ws)
    _style_sites_sheet(ws, len(live))
    _add_dropdowns(ws, len(live))
    ws.freeze_panes = "C2"
    ws.protection.sheet = True  # no password: the lock keeps the ids from being typed over by mistake
    ws.protection.formatColumns = False  # widening a column stays possible
    info = wb.create_sheet("说明 instructions")
    for a, b in _instruction_lines(town_code, town_name, round_info, months, stale, live):
        info.append([a, b])
    info.column_dimensions["A"].width = 28
    info.column_dimensions["B"].width = 110
    info["A1"].font = Font(bold=True, size=13)
    text_cells_only(info)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


DISTRICT = "district"  # the workbook of the district-level sites (no town): the planners'


def _town_sites(sites: pd.DataFrame, town_code: str) -> pd.DataFrame:
    """The town's live (not retired) sites, by site id (:data:`DISTRICT`: the sites of no town)."""
    if town_code == DISTRICT:
        live = sites[sites["town_code"].isna() | (sites["town_code"].astype("string") == "")]
    else:
        live = sites[(sites["town_code"].astype("string") == str(town_code))]
    if "retired" in live.columns:
        live = live[~live["retired"].fillna(False).astype(bool)]
    return live.sort_values("site_id", kind="stable")


def _workbook_value(code: str, value: Any) -> Any:
    """A site's value as its workbook cell: labels for status and category, empty confirm and note."""
    if code == "status":
        value = i18n.status_label(value, "zh") if _cell(value) is not None else None
    elif code == "category":
        value = i18n.category_label(value, "zh") if _cell(value) is not None else None
    elif code == "version":
        value = None if _cell(value) is None else int(value)
    elif code in ("confirm", "note"):
        value = None
    elif code == "served_villages" and _cell(value) is not None:
        import json

        try:
            names = json.loads(str(value))
        except ValueError:
            names = [str(value)]
        value = "、".join(str(v) for v in names) if isinstance(names, list) else str(value)
    return _cell(value)


def _style_sites_sheet(ws: Any, n: int) -> None:
    """Bold headers, widths, the editable cells unlocked and yellow, the others grey."""
    editable, locked = PatternFill("solid", fgColor="FFF9E5"), PatternFill("solid", fgColor="E6E6E6")
    for j, (_label, _code, edit) in enumerate(WORKBOOK_COLUMNS, start=1):
        ws.cell(1, j).font = Font(bold=True)
        ws.column_dimensions[ws.cell(1, j).column_letter].width = 16 if j != 3 else 36
        for i in range(2, n + 2):
            if edit:
                ws.cell(i, j).protection = Protection(locked=False)
            ws.cell(i, j).fill = editable if edit else locked


def _add_dropdowns(ws: Any, n: int) -> None:
    """The status column's dropdown (Chinese labels) and the confirm column's (是 or empty)."""
    if not n:
        return
    letters = {code: ws.cell(1, j).column_letter for j, (_l, code, _e) in enumerate(WORKBOOK_COLUMNS, start=1)}
    statuses = DataValidation(type="list", formula1='"' + ",".join(i18n.status_label(s, "zh") for s in model.STATUSES) + '"',
                              allow_blank=True, showErrorMessage=True, errorTitle="状态", error="请从下拉列表中选择状态")
    statuses.add(f"{letters['status']}2:{letters['status']}{n + 1}")
    confirm = DataValidation(type="list", formula1='"' + ",".join(c for c in CONFIRM_CHOICES if c) + '"',
                             allow_blank=True, showErrorMessage=True, errorTitle="确认无变化", error="填“是”或留空")
    confirm.add(f"{letters['confirm']}2:{letters['confirm']}{n + 1}")
    ws.add_data_validation(statuses)
    ws.add_data_validation(confirm)


def _instruction_lines(town_code: str, town_name: str, round_info: dict[str, Any] | None, months: int | None,
                       stale: pd.Series | None, live: pd.DataFrame) -> list[tuple[str, str]]:
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
    return lines
