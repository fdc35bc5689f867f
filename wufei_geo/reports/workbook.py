"""The Excel workbook of "is Qingpu on track?": the targets (district and town), the wet-waste
capacity by status and by year, the town scorecards with the town figures, the sites and the
parameters; headers as labels and codes as words in the reader's language, with a last sheet
mapping every header to its stable field name.  Data text is never a formula."""
from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from wufei_geo.analysis import (
    TOWN_MEASURES,
    TargetProgress,
    TownFigures,
    TownScorecard,
    fmt_measure,
    indicative_caveat,
    report_figures,
    wet_waste_progress,
)
from wufei_geo.analysis.gaps import town_gaps
from wufei_geo.config import GenerationParameters
from wufei_geo.data_texts import localise
from wufei_geo.i18n import (
    MESSAGES,
    category_label,
    precision_label,
    status_label,
    t,
    wet_waste_mode_label,
)
from wufei_geo.model import SITE_COLUMNS, STATUSES
from wufei_geo.reports.chart import CHART_STATUSES
from wufei_geo.reports.texts import (
    TOWN_GAP_COLUMNS,
    achieved_text,
    forecast_text,
    registered_text,
    target_label,
    town_gap_rows,
    unit_text,
)


def _safe(value: Any) -> Any:
    if isinstance(value, (list, tuple, set)):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return value.item()
    return value


def _sheet(wb: Workbook, title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    ws = wb.create_sheet(title=title[:31])
    ws.append(list(header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([_safe(v) for v in row])
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            # Data text is never a formula: "=cmd|..." typed by someone stays text.
            if isinstance(cell.value, str) and cell.data_type == "f":
                cell.data_type = "s"
    ws.freeze_panes = "A2"
    for i, name in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(10, min(40, len(str(name)) + 4))


_TARGET_HEADER = [
    "id", "level", "town_code", "category", "measure", "description",
    "target", "unit", "target_year", "achieved", "achieved_text", "achieved_unknown_sites", "registered",
    "registered_text", "gap", "share", "registered_gap", "registered_share", "reached_year", "forecast_state",
    "forecast_basis", "forecast_text", "state", "overdue", "unknown_capacity_count",
    "unknown_capacity_sites", "overdue_sites", "sites", "source_ref", "note",
]


def _target_row(item: TargetProgress, lang: str) -> list[Any]:
    return [
        item.id, item.level, item.town_code, item.category, item.measure, target_label(item, lang),
        item.target, item.unit, item.target_year, item.achieved, achieved_text(item, lang),
        item.achieved_unknown_sites, item.registered, registered_text(item, lang), item.gap, item.share,
        item.registered_gap, item.registered_share, item.reached_year, item.forecast_state,
        item.forecast_basis, forecast_text(item, lang), item.state, item.overdue,
        item.unknown_capacity_sites["count"], item.unknown_capacity_sites["ids"], item.overdue_sites,
        item.sites, item.source_ref, item.note,
    ]


def _targets_sheet(wb: Workbook, report: Sequence[TargetProgress], scorecards: Sequence[TownScorecard],
                   lang: str) -> None:
    header = [t("analysis.col.description", lang) if h == "description" else h for h in _TARGET_HEADER]
    town_targets = [tp for card in scorecards for tp in card.targets]
    _sheet(wb, t("analysis.report.sheet.targets", lang), header,
           [_target_row(i, lang) for i in list(report) + town_targets])


def _wet_rows(wet: TargetProgress | None, lang: str) -> list[list[Any]]:
    """The wet-waste target: capacity by status (all, by mode), by year (the chart's), what is unknown."""
    if wet is None:
        return []
    rows: list[list[Any]] = [
        [status, status_label(status, lang), wet.by_status.get(status),
         *(wet.by_mode.get(m, {}).get(status) for m in ("centralised", "on_site"))]
        for status in STATUSES
    ]
    rows.append([])
    rows.append([t("analysis.year", lang), t("analysis.cumulative", lang), *CHART_STATUSES])
    for point in wet.projection:
        rows.append([point["year"], point["cumulative"], *(point["by_status"].get(s) for s in CHART_STATUSES)])
    rows.append([])
    rows.append(["unknown_capacity_sites", wet.unknown_capacity_sites["count"], wet.unknown_capacity_sites["ids"]])
    rows.append(["existing_capacity", wet.existing_capacity["value"], wet.existing_capacity["unknown_sites"]])
    rows.append(["reached_year", wet.reached_year, wet.forecast_state, wet.forecast_basis])
    rows.append(["target", wet.target, wet.unit])
    return rows


def _towns_sheet(wb: Workbook, scorecards: Sequence[TownScorecard], figures: Sequence[TownFigures],
                 lang: str) -> None:
    """The town figures: value (None = unknown), the sites of unknown part, the text every view shows."""
    by_code = {f.town_code: f for f in figures}
    rows = []
    for card in scorecards:
        fig = by_code.get(card.town_code)
        cells: list[Any] = []
        for m in TOWN_MEASURES:
            q = fig.values[m] if fig else None
            cells += [None if q is None else q.value, [] if q is None else list(q.unknown_sites), fmt_measure(q, m, lang)]
        rows.append([
            card.town_code, card.name_zh, card.name_en, card.state, card.counts["met"], card.counts["in_progress"],
            card.counts["not_started"], card.counts["untracked"], card.sites, *cells,
            card.population, card.population_note,
        ])
    _sheet(wb, t("analysis.report.sheet.towns", lang), [
        "town_code", "name_zh", "name_en", "state", "met", "in_progress", "not_started", "untracked", "sites",
        *[c for m in TOWN_MEASURES for c in (m, f"{m}_unknown_sites", f"{m}_text")],
        "population", "population_note",
    ], rows)


def _sites_sheet(wb: Workbook, sites: pd.DataFrame, lang: str) -> None:
    columns = [c for c in SITE_COLUMNS if c in sites.columns] + [
        c for c in ("overdue", "last_change") if c in sites.columns
    ]
    frame = pd.DataFrame(sites[columns]) if len(columns) else pd.DataFrame()
    _sheet(wb, t("analysis.report.sheet.sites", lang), columns,
           [list(r) for r in frame.itertuples(index=False, name=None)])


def _params_sheet(wb: Workbook, params: GenerationParameters, filters_text: str | None, lang: str) -> None:
    caveat = indicative_caveat(lang)
    _sheet(wb, t("analysis.report.sheet.params", lang), ["parameter", "value", "source"], [
        ["per_capita_kg_day", params.per_capita_kg_day, params.per_capita_source],
        ["wet_share", params.wet_share, params.wet_share_source],
        ["caveat", caveat, ""],
        ["town_figures_filters", filters_text or t("analysis.report.no_filters", lang), ""],
    ])


def workbook_bytes(
    report: Sequence[TargetProgress],
    scorecards: Sequence[TownScorecard],
    sites: pd.DataFrame,
    *,
    lang: str = "zh",
    params: GenerationParameters | None = None,
    figures: Sequence[TownFigures] | None = None,
    filters_text: str | None = None,
    register: Sequence[Any] | None = None,
) -> bytes:
    """xlsx: targets, wet waste by status (and by year), town scorecards with the town figures
    (``figures``, else those of ``sites``), sites, parameters; with ``register`` (the assessment's
    rows, issue 23) a register sheet after the targets."""
    params = params or GenerationParameters()
    if figures is None:
        figures = report_figures(sites, scorecards, params)
    wb = Workbook()
    wb.remove(wb.active)
    _targets_sheet(wb, report, scorecards, lang)
    if register is not None:
        from wufei_geo.reports.register_sheet import register_rows

        header, rows = register_rows(register, lang)
        _sheet(wb, t("workbook.sheet.register", lang), header, rows)
    _sheet(wb, t("analysis.report.sheet.wet", lang),
           ["status", t("field.status", lang), "all", "centralised", "on_site"],
           _wet_rows(wet_waste_progress(report), lang))
    _towns_sheet(wb, scorecards, figures, lang)
    _sheet(wb, t("workbook.sheet.town_gaps", lang), list(TOWN_GAP_COLUMNS),
           town_gap_rows(town_gaps(sites, scorecards), lang))
    _sites_sheet(wb, sites, lang)
    _params_sheet(wb, params, filters_text, lang)
    _for_people(wb, lang)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _column_label(name: str, lang: str) -> str:
    for key in (f"workbook.col.{name}", f"export.col.{name}"):
        if key in MESSAGES:
            return t(key, lang)
    for m in TOWN_MEASURES:  # the town figures' columns: <measure>, <measure>_unknown_sites, <measure>_text
        if name == m:
            return t(f"analysis.measure.{m}", lang)
        for suffix in ("unknown_sites", "text"):
            if name == f"{m}_{suffix}":
                return t(f"workbook.col.measure_{suffix}", lang, measure=t(f"analysis.measure.{m}", lang))
    return name


def _cell_words(column: str, value: Any, lang: str) -> Any:
    """A code cell of the workbook as a word for people (status, category, level, measure, state …)."""
    if not isinstance(value, str | bool) or value == "":
        return value
    if isinstance(value, bool):
        return t("common.yes" if value else "common.no", lang) if column in ("overdue", "retired") else value
    if column in ("status", "target_status") and value in STATUSES:
        return status_label(value, lang)
    if column == "category":
        return category_label(value, lang)
    if column in ("precision", "display_precision"):
        return precision_label(value, lang)
    if column == "wet_waste_mode":
        return wet_waste_mode_label(value, lang)
    if column == "level" and f"workbook.col.level.{value}" in MESSAGES:
        return t(f"workbook.col.level.{value}", lang)
    if column == "measure" and f"analysis.measure.{value}" in MESSAGES:
        return t(f"analysis.measure.{value}", lang)
    if column == "state" and f"analysis.state.{value}" in MESSAGES:
        return t(f"analysis.state.{value}", lang)
    if column in ("unit", "capacity_unit", "capacity_norm_unit", "operating_capacity_unit"):
        return unit_text(value, lang)
    if column in ("note", "data_note", "population_note", "location_source", "status_source"):
        return localise(value, lang)
    if column == "parameter" and f"workbook.col.{value}" in MESSAGES:
        return t(f"workbook.col.{value}", lang)
    return value


def _for_people(wb: Workbook, lang: str) -> None:
    """Headers as labels and codes as words in ``lang``, and a last sheet mapping every header to its
    stable schema name (sheet, header, field).  The wet-waste sheet's status rows get words too."""
    mapping: list[list[str]] = []
    for ws in list(wb.worksheets):
        names = [c.value for c in ws[1]]
        for col, name in enumerate(names, start=1):
            if not isinstance(name, str):
                continue
            for row in range(2, ws.max_row + 1):
                cell = ws.cell(row=row, column=col)
                cell.value = _cell_words(name, cell.value, lang)
                if isinstance(cell.value, str) and cell.data_type == "f":
                    cell.data_type = "s"
            label = _column_label(name, lang)
            ws.cell(row=1, column=col).value = label
            if label != name:
                mapping.append([ws.title, label, name])
        for row in ws.iter_rows(min_row=2):  # row labels and status codes inside the wet-waste sheet
            for cell in row:
                if isinstance(cell.value, str) and cell.value in STATUSES:
                    cell.value = status_label(cell.value, lang)
                elif isinstance(cell.value, str) and f"workbook.col.{cell.value}" in MESSAGES:
                    cell.value = t(f"workbook.col.{cell.value}", lang)
    _sheet(wb, t("workbook.sheet.headers", lang),
           [t("workbook.headers.sheet", lang), t("export.headers.label", lang), t("export.headers.field", lang)],
           mapping)

