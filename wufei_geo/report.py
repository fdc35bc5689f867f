"""The Excel workbook, the one-page HTML briefing and the scorecard choropleth of
"is Qingpu on track?".

All only present what :mod:`wufei_geo.analysis` computed.  The HTML briefing is
self-contained (inline CSS and SVG, no script, no network) and sized for A4; every text
that comes from data or a user is escaped.
"""
from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

import folium
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from wufei_geo.analysis import (
    DEFAULT_CONFIRMATION_MONTHS,
    INDICATIVE_CAVEAT_EN,
    INDICATIVE_CAVEAT_ZH,
    TOWN_MEASURES,
    TargetProgress,
    TownFigures,
    TownScorecard,
    fmt_measure,
    fmt_number,
    fmt_quantity,
    fmt_share,
    town_figures,
    town_shading,
    wet_waste_progress,
)
from wufei_geo.config import GenerationParameters
from wufei_geo.data_texts import localise
from wufei_geo.i18n import (
    MESSAGES,
    category_label,
    precision_label,
    status_label,
    t,
    unit_label,
    wet_waste_mode_label,
)
from wufei_geo.model import SITE_COLUMNS, STATUSES
from wufei_geo.palette import STATUS_COLOURS  # one palette for map and charts

# Stack order of the chart (bottom first).
CHART_STATUSES: tuple[str, ...] = ("operating", "commissioning", "under_construction", "planned")


def target_label(item: TargetProgress, lang: str) -> str:
    text = item.description_en if lang == "en" else item.description_zh
    return text or f"{category_label(item.category, lang)} · {t('analysis.measure.' + item.measure, lang)}"


def unit_text(unit: str, lang: str) -> str:
    """Capacity units from the catalogue; the targets' count units (sites, villages …) from ours."""
    key = f"analysis.unit.{unit}"
    if key in MESSAGES:
        return t(key, lang)
    return unit_label(unit, lang) or unit


def _what(item: TargetProgress) -> str:
    return "villages" if item.measure == "served_village_count" else "capacity"


def achieved_text(item: TargetProgress, lang: str, short: bool = False) -> str:
    """What a target has achieved (operating today), written by the one formatter; 未测量 for an
    unmeasured target, — for an untracked one."""
    if item.measure == "untracked":
        return "—"
    if not item.measured:
        return t("analysis.state.unmeasured", lang)
    return fmt_quantity(item.achieved_quantity, unit_text(item.unit, lang), lang, what=_what(item), short=short)


def registered_text(item: TargetProgress, lang: str, short: bool = False) -> str:
    if item.measure == "untracked":
        return "—"
    if not item.measured:
        return t("analysis.state.unmeasured", lang)
    return fmt_quantity(item.registered_quantity, unit_text(item.unit, lang), lang, what=_what(item), short=short)


def forecast_text(item: TargetProgress, lang: str, months: int | None = None) -> str:
    """The forecast in words: reached / expected in a year, not reachable with the registered
    sites, or cannot tell (naming the sites it depends on and why)."""
    state = item.forecast_state
    if state == "untracked":
        return t("analysis.state.untracked", lang)
    if state == "unmeasured":
        return t("analysis.forecast.unmeasured", lang)
    if state == "not_reachable":
        return t("analysis.not_reached", lang, gap=fmt_number(item.registered_gap), unit=unit_text(item.unit, lang))
    if state == "cannot_tell":
        parts = []
        for sid in item.forecast_basis:
            why = "、" if lang != "en" else ", "
            reasons = why.join(t(f"analysis.forecast.reason.{r}", lang) for r in item.forecast_reasons.get(sid, []))
            parts.append(f"{sid}（{reasons}）" if lang != "en" else f"{sid} ({reasons})")
        sep = "；" if lang != "en" else "; "
        return t("analysis.forecast.cannot_tell", lang, n=len(item.forecast_basis), sites=sep.join(parts))
    year = item.reached_year
    if item.target_year is not None and year is not None and year > item.target_year:
        key = "analysis.forecast.reached_late" if state == "reached" else "analysis.year_reached_late"
        return t(key, lang, year=year, target_year=item.target_year)
    return t("analysis.forecast.reached" if state == "reached" else "analysis.year_reached", lang, year=year)


reached_text = forecast_text


def reached_year_text(item: TargetProgress, lang: str) -> str:
    """The reached-year cell of a table: the year, or why there is none."""
    if item.reached_year is not None:
        return str(item.reached_year)
    return t(f"analysis.forecast.short.{item.forecast_state}", lang)


# --------------------------------------------------------------------------- SVG chart
def _nice_step(raw: float) -> float:
    """1, 2, 2.5 or 5 × 10^k, at least ``raw`` (axis ticks people can read)."""
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if factor * power >= raw:
            return factor * power
    return 10 * power


def wet_waste_chart_svg(item: TargetProgress, lang: str = "zh", width: int = 640, height: int = 250) -> str:
    """Stacked bars of cumulative capacity per year (2021–2026) by status, with the goal line."""
    left, right, top, bottom = 56, 150, 24, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    years = [p["year"] for p in item.projection]
    peak = max([float(p["cumulative"]) for p in item.projection] + [float(item.target or 0)] + [1.0])
    step = _nice_step(peak * 1.08 / 4)
    y_max = step * math.ceil(peak * 1.08 / step)
    band = plot_w / max(len(years), 1)
    bar_w = band * 0.6

    def y_of(value: float) -> float:
        return top + plot_h - plot_h * value / y_max

    unit = unit_text(item.unit, lang)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(t("analysis.chart_title", lang))}" '
        'font-family="sans-serif" font-size="11">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#333"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#333"/>',
    ]
    for k in range(int(round(y_max / step)) + 1):
        value = step * k
        y = y_of(value)
        parts.append(f'<line x1="{left - 4}" y1="{y:.1f}" x2="{left}" y2="{y:.1f}" stroke="#333"/>')
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(fmt_number(round(value)))}</text>'
        )
    parts.append(
        f'<text x="12" y="{top + plot_h / 2:.1f}" transform="rotate(-90 12 {top + plot_h / 2:.1f})" '
        f'text-anchor="middle">{escape(unit)}</text>'
    )
    for i, point in enumerate(item.projection):
        x = left + band * i + (band - bar_w) / 2
        base = 0.0
        for status in CHART_STATUSES:
            value = float(point["by_status"].get(status, 0) or 0)
            if value <= 0:
                continue
            y_top, y_bottom = y_of(base + value), y_of(base)
            parts.append(
                f'<rect x="{x:.1f}" y="{y_top:.1f}" width="{bar_w:.1f}" height="{y_bottom - y_top:.1f}" '
                f'fill="{STATUS_COLOURS[status]}"><title>{escape(str(point["year"]))} '
                f'{escape(status_label(status, lang))}: {escape(fmt_number(value))} {escape(unit)}</title></rect>'
            )
            base += value
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{y_of(base) - 3:.1f}" text-anchor="middle">'
            f"{escape(fmt_number(point['cumulative']))}</text>"
        )
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle">{int(point["year"])}</text>'
        )
    if item.target is not None:
        y = y_of(float(item.target))
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#D55E00" '
            'stroke-width="2" stroke-dasharray="6 3"/>'
        )
        label = t("analysis.target_line", lang, target=fmt_number(item.target), unit=unit)
        parts.append(f'<text x="{left + 4}" y="{y - 5:.1f}" fill="#D55E00">{escape(label)}</text>')
    legend_y = top
    for status in reversed(CHART_STATUSES):
        parts.append(
            f'<rect x="{left + plot_w + 8}" y="{legend_y}" width="10" height="10" fill="{STATUS_COLOURS[status]}"/>'
        )
        parts.append(
            f'<text x="{left + plot_w + 22}" y="{legend_y + 9}">{escape(status_label(status, lang))}</text>'
        )
        legend_y += 16
    parts.append("</svg>")
    return "".join(parts)


# --------------------------------------------------------------------------- HTML briefing
_CSS = """
@page { size: A4; margin: 11mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif;
       font-size: 8.6pt; color: #111; margin: 0; line-height: 1.3; }
h1 { font-size: 13pt; margin: 0 0 2pt 0; }
h2 { font-size: 10pt; margin: 7pt 0 3pt 0; border-bottom: 1px solid #999; }
p { margin: 2pt 0; }
.meta, .note { color: #444; font-size: 7.6pt; }
.headline { font-size: 10pt; font-weight: bold; }
.warn { color: #B00020; }
table { border-collapse: collapse; width: 100%; page-break-inside: auto; }
tr { page-break-inside: avoid; }
th, td { border: 1px solid #bbb; padding: 1.5pt 3pt; text-align: left; vertical-align: top; }
th { background: #eee; }
td.num { text-align: right; white-space: nowrap; }
.chart { margin: 2pt 0; }
"""


def _row(cells: Sequence[tuple[str, bool]], header: bool = False) -> str:
    tag = "th" if header else "td"
    out = []
    for text, num in cells:
        attr = ' class="num"' if num and not header else ""
        out.append(f"<{tag}{attr}>{escape(text)}</{tag}>")
    return "<tr>" + "".join(out) + "</tr>"


def _headline_html(wet: TargetProgress | None, lang: str) -> str:
    if wet is None:
        return f"<p>{escape(t('analysis.report.no_wet_target', lang))}</p>"
    lines = [
        f'<p class="headline">{escape(headline_text(wet, lang))}</p>',
        f"<p>{escape(registered_line(wet, lang))}</p>",
    ]
    if wet.existing_capacity["value"] != 0 or wet.existing_capacity["unknown_sites"]:
        lines.append(f"<p>{escape(existing_line(wet, lang))}</p>")
    if wet.unknown_capacity_sites["count"]:
        lines.append(
            f'<p class="warn">{escape(t("analysis.unknown_capacity", lang, n=wet.unknown_capacity_sites["count"]))}'
            f" ({escape(', '.join(wet.unknown_capacity_sites['ids']))})</p>"
        )
    lines.append(f"<p>{escape(forecast_text(wet, lang))}</p>")
    if wet.overdue_sites:
        lines.append(
            f'<p class="warn">{escape(t("analysis.overdue_sites", lang, n=len(wet.overdue_sites), ids=", ".join(wet.overdue_sites)))}</p>'
        )
    return "".join(lines)


def headline_text(wet: TargetProgress, lang: str) -> str:
    """Operating today against the goal: '今日运行 ≥ 80 吨/日（1 个站点能力未知）；目标 600 吨/日（≥ 13.3%）'."""
    share = fmt_share(wet.share)
    if wet.share is not None and wet.achieved_unknown_sites:
        share = "≥ " + share
    return t("analysis.headline_today", lang, achieved=achieved_text(wet, lang), target=fmt_number(wet.target),
             unit=unit_text(wet.unit, lang), share=share)


def registered_line(wet: TargetProgress, lang: str) -> str:
    share = fmt_share(wet.registered_share)
    if wet.registered_share is not None and wet.unknown_capacity_sites["ids"]:
        share = "≥ " + share
    return t("analysis.registered_after", lang, registered=registered_text(wet, lang), share=share)


def existing_line(wet: TargetProgress, lang: str) -> str:
    from wufei_geo.analysis import Quantity

    q = Quantity(wet.existing_capacity["value"], tuple(wet.existing_capacity["unknown_sites"]))
    return t("analysis.existing_part", lang, value=fmt_quantity(q, unit_text(wet.unit, lang), lang),
             ids=", ".join(wet.existing_capacity["unknown_sites"]) or "—")


def _status_table_html(wet: TargetProgress, lang: str) -> str:
    unit = unit_text(wet.unit, lang)
    head = [(t("field.status", lang), False), (t("analysis.counts.all", lang) + f" ({unit})", True)]
    modes = list(wet.by_mode)
    head += [(t("analysis.counts." + m, lang), True) for m in modes]
    rows = [_row(head, header=True)]
    for status in STATUSES:
        if status == "decommissioned":
            continue
        cells = [(status_label(status, lang), False), (fmt_number(wet.by_status.get(status)), True)]
        cells += [(fmt_number(wet.by_mode[m].get(status)), True) for m in modes]
        rows.append(_row(cells))
    return "<table>" + "".join(rows) + "</table>"


def _targets_table_html(report: Sequence[TargetProgress], lang: str) -> str:
    head = [
        (t("analysis.col.description", lang), False),
        (t("analysis.col.goal", lang), True),
        (t("analysis.col.achieved", lang), True),
        (t("analysis.col.registered", lang), True),
        (t("analysis.col.registered_share", lang), True),
        (t("analysis.col.year_reached", lang), True),
        (t("analysis.col.state", lang), False),
    ]
    rows = [_row(head, header=True)]
    for item in report:
        unit = unit_text(item.unit, lang)
        state = t("analysis.state." + item.state, lang)
        if item.overdue:
            state += " · " + t("analysis.target_overdue", lang)
        label = target_label(item, lang)
        rows.append(
            _row(
                [
                    (label, False),
                    (f"{fmt_number(item.target)} {unit}", True),
                    (achieved_text(item, lang), True),
                    (registered_text(item, lang), True),
                    (fmt_share(item.registered_share), True),
                    (reached_year_text(item, lang), True),
                    (state, False),
                ]
            )
        )
    return "<table>" + "".join(rows) + "</table>"


def _towns_table_html(cards: Sequence[TownScorecard], figures: Sequence[TownFigures], lang: str) -> str:
    head = [
        (t("analysis.col.town", lang), False),
        (t("analysis.col.state", lang), False),
        (t("analysis.col.met", lang), True),
        (t("analysis.col.in_progress", lang), True),
        (t("analysis.col.not_started", lang), True),
        *[(t(f"analysis.measure.{m}", lang), True) for m in TOWN_MEASURES],
    ]
    rows = [_row(head, header=True)]
    by_code = {f.town_code: f for f in figures}
    for card in cards:
        fig = by_code.get(card.town_code)
        rows.append(
            _row(
                [
                    (card.name_en if lang == "en" else card.name_zh, False),
                    (t("analysis.state." + card.state, lang), False),
                    (str(card.counts["met"]), True),
                    (str(card.counts["in_progress"]), True),
                    (str(card.counts["not_started"]), True),
                    *[(fmt_measure(fig.values[m] if fig else None, m, lang), True) for m in TOWN_MEASURES],
                ]
            )
        )
    return "<table>" + "".join(rows) + "</table>"


def _towns_frame(cards: Sequence[TownScorecard]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"code": c.town_code, "name_zh": c.name_zh, "name_en": c.name_en, "population": c.population} for c in cards],
        columns=["code", "name_zh", "name_en", "population"],
    )


def report_figures(
    sites: pd.DataFrame | None,
    scorecards: Sequence[TownScorecard],
    params: GenerationParameters | None = None,
) -> list[TownFigures]:
    """The town figures of ``sites`` (the analysis core's), for the towns of ``scorecards``."""
    if sites is None:
        sites = pd.DataFrame(columns=list(SITE_COLUMNS))
    return town_figures(sites, _towns_frame(scorecards), params=params, scorecards=scorecards)


def briefing_html(
    report: Sequence[TargetProgress],
    scorecards: Sequence[TownScorecard],
    *,
    lang: str = "zh",
    params: GenerationParameters | None = None,
    generated: dt.date | None = None,
    sites: pd.DataFrame | None = None,
    figures: Sequence[TownFigures] | None = None,
    filters_text: str | None = None,
    confirmation_months: int = DEFAULT_CONFIRMATION_MONTHS,
) -> str:
    """A self-contained, printable (A4, 1–2 pages) HTML briefing.  The town figures are
    ``figures`` (the core's, for the filter in force, named by ``filters_text``), else those of
    ``sites``."""
    params = params or GenerationParameters()
    if figures is None:
        figures = report_figures(sites, scorecards, params)
    generated = generated or dt.date.today()
    wet = wet_waste_progress(report)
    others = [item for item in report if item is not wet]
    caveat = INDICATIVE_CAVEAT_EN if lang == "en" else INDICATIVE_CAVEAT_ZH
    body = [
        f"<h1>{escape(t('analysis.report.title', lang))}</h1>",
        f'<p class="meta">{escape(t("analysis.report.generated", lang, date=generated.isoformat()))}</p>',
        f"<h2>{escape(t('analysis.title', lang))}</h2>",
        _headline_html(wet, lang),
    ]
    if wet is not None:
        body.append(f'<div class="chart">{wet_waste_chart_svg(wet, lang)}</div>')
        body.append(f'<p class="note">{escape(t("analysis.forecast_rule", lang, months=confirmation_months))}</p>')
        body.append(_status_table_html(wet, lang))
    body.append(f"<h2>{escape(t('analysis.other_targets', lang))}</h2>")
    body.append(_targets_table_html(others, lang))
    body.append(f"<h2>{escape(t('analysis.towns.title', lang))}</h2>")
    if filters_text:
        body.append(f'<p class="note">{escape(t("analysis.report.filters", lang, filters=filters_text))}</p>')
    body.append(_towns_table_html(scorecards, figures, lang))
    body.append(
        f'<p class="note">{escape(caveat)} '
        f"{escape(t('analysis.towns.per_capita', lang))}: {escape(fmt_number(params.per_capita_kg_day))} "
        f"({escape(params.per_capita_source)}); {escape(t('analysis.towns.wet_share', lang))}: "
        f"{escape(fmt_share(params.wet_share))} ({escape(params.wet_share_source)})</p>"
    )
    title = escape(t("analysis.report.title", lang))
    html_lang = "en" if lang == "en" else "zh-CN"
    return (
        f'<!DOCTYPE html><html lang="{html_lang}"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{_CSS}</style></head><body>"
        + "".join(body)
        + "</body></html>"
    )


# --------------------------------------------------------------------------- Excel
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


def workbook_bytes(
    report: Sequence[TargetProgress],
    scorecards: Sequence[TownScorecard],
    sites: pd.DataFrame,
    *,
    lang: str = "zh",
    params: GenerationParameters | None = None,
    figures: Sequence[TownFigures] | None = None,
    filters_text: str | None = None,
) -> bytes:
    """xlsx: targets, wet waste by status (and by year), town scorecards with the town figures
    (``figures``, else those of ``sites``), sites, parameters."""
    params = params or GenerationParameters()
    if figures is None:
        figures = report_figures(sites, scorecards, params)
    wb = Workbook()
    wb.remove(wb.active)
    target_header = [
        "id", "level", "town_code", "category", "measure", t("analysis.col.description", lang),
        "target", "unit", "target_year", "achieved", "achieved_text", "achieved_unknown_sites", "registered",
        "registered_text", "gap", "share", "registered_gap", "registered_share", "reached_year", "forecast_state",
        "forecast_basis", "forecast_text", "state", "overdue", "unknown_capacity_count",
        "unknown_capacity_sites", "overdue_sites", "sites", "source_ref", "note",
    ]

    def target_row(item: TargetProgress) -> list[Any]:
        return [
            item.id, item.level, item.town_code, item.category, item.measure, target_label(item, lang),
            item.target, item.unit, item.target_year, item.achieved, achieved_text(item, lang),
            item.achieved_unknown_sites, item.registered, registered_text(item, lang), item.gap, item.share,
            item.registered_gap, item.registered_share, item.reached_year, item.forecast_state,
            item.forecast_basis, forecast_text(item, lang), item.state, item.overdue,
            item.unknown_capacity_sites["count"], item.unknown_capacity_sites["ids"], item.overdue_sites,
            item.sites, item.source_ref, item.note,
        ]

    town_targets = [tp for card in scorecards for tp in card.targets]
    _sheet(wb, t("analysis.report.sheet.targets", lang), target_header,
           [target_row(i) for i in list(report) + town_targets])

    wet = wet_waste_progress(report)
    wet_rows: list[list[Any]] = []
    if wet is not None:
        for status in STATUSES:
            wet_rows.append([
                status, status_label(status, lang), wet.by_status.get(status),
                *(wet.by_mode.get(m, {}).get(status) for m in ("centralised", "on_site")),
            ])
        wet_rows.append([])
        wet_rows.append([t("analysis.year", lang), t("analysis.cumulative", lang), *CHART_STATUSES])
        for point in wet.projection:
            wet_rows.append([point["year"], point["cumulative"], *(point["by_status"].get(s) for s in CHART_STATUSES)])
        wet_rows.append([])
        wet_rows.append(["unknown_capacity_sites", wet.unknown_capacity_sites["count"], wet.unknown_capacity_sites["ids"]])
        wet_rows.append(["existing_capacity", wet.existing_capacity["value"], wet.existing_capacity["unknown_sites"]])
        wet_rows.append(["reached_year", wet.reached_year, wet.forecast_state, wet.forecast_basis])
        wet_rows.append(["target", wet.target, wet.unit])
    _sheet(wb, t("analysis.report.sheet.wet", lang),
           ["status", t("field.status", lang), "all", "centralised", "on_site"], wet_rows)

    # the town figures: value (None = unknown), the sites of unknown part, the text every view shows
    by_code = {f.town_code: f for f in figures}
    town_rows = []
    for card in scorecards:
        fig = by_code.get(card.town_code)
        cells: list[Any] = []
        for m in TOWN_MEASURES:
            q = fig.values[m] if fig else None
            cells += [None if q is None else q.value, [] if q is None else list(q.unknown_sites), fmt_measure(q, m, lang)]
        town_rows.append([
            card.town_code, card.name_zh, card.name_en, card.state, card.counts["met"], card.counts["in_progress"],
            card.counts["not_started"], card.counts["untracked"], card.sites, *cells,
            card.population, card.population_note,
        ])
    _sheet(wb, t("analysis.report.sheet.towns", lang), [
        "town_code", "name_zh", "name_en", "state", "met", "in_progress", "not_started", "untracked", "sites",
        *[c for m in TOWN_MEASURES for c in (m, f"{m}_unknown_sites", f"{m}_text")],
        "population", "population_note",
    ], town_rows)

    columns = [c for c in SITE_COLUMNS if c in sites.columns] + [
        c for c in ("overdue", "last_change") if c in sites.columns
    ]
    frame = pd.DataFrame(sites[columns]) if len(columns) else pd.DataFrame()
    _sheet(wb, t("analysis.report.sheet.sites", lang), columns,
           [list(r) for r in frame.itertuples(index=False, name=None)])

    caveat = INDICATIVE_CAVEAT_EN if lang == "en" else INDICATIVE_CAVEAT_ZH
    _sheet(wb, t("analysis.report.sheet.params", lang), ["parameter", "value", "source"], [
        ["per_capita_kg_day", params.per_capita_kg_day, params.per_capita_source],
        ["wet_share", params.wet_share, params.wet_share_source],
        ["caveat", caveat, ""],
        ["town_figures_filters", filters_text or t("analysis.report.no_filters", lang), ""],
    ])
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


def write_report(
    path: str | Path,
    report: Sequence[TargetProgress],
    scorecards: Sequence[TownScorecard],
    sites: pd.DataFrame,
    *,
    lang: str = "zh",
    params: GenerationParameters | None = None,
    generated: dt.date | None = None,
    figures: Sequence[TownFigures] | None = None,
    filters_text: str | None = None,
    confirmation_months: int = DEFAULT_CONFIRMATION_MONTHS,
) -> Path:
    """Write ``.xlsx`` or ``.html``/``.htm`` by the file's suffix; anything else is refused."""
    path = Path(path)
    suffix = path.suffix.lower()
    if figures is None:
        figures = report_figures(sites, scorecards, params)
    if suffix == ".xlsx":
        path.write_bytes(workbook_bytes(report, scorecards, sites, lang=lang, params=params, figures=figures,
                                        filters_text=filters_text))
    elif suffix in (".html", ".htm"):
        path.write_text(briefing_html(report, scorecards, lang=lang, params=params, generated=generated,
                                      figures=figures, filters_text=filters_text,
                                      confirmation_months=confirmation_months),
                        encoding="utf-8")
    else:
        raise ValueError(f"unsupported report format {suffix or '(none)'!r}: use .xlsx or .html")
    return path


def downloads(
    report: Sequence[TargetProgress],
    scorecards: Sequence[TownScorecard],
    sites: pd.DataFrame,
    *,
    lang: str = "zh",
    params: GenerationParameters | None = None,
    generated: dt.date | None = None,
    figures: Sequence[TownFigures] | None = None,
    filters_text: str | None = None,
    confirmation_months: int = DEFAULT_CONFIRMATION_MONTHS,
) -> list[tuple[str, str, bytes, str]]:
    """(label, file name, content, MIME type) of the two downloads the pages offer."""
    generated = generated or dt.date.today()
    if figures is None:
        figures = report_figures(sites, scorecards, params)
    stamp = generated.strftime("%Y%m%d")
    return [
        (
            t("analysis.report.download_xlsx", lang),
            f"wufei-qingpu-{stamp}.xlsx",
            workbook_bytes(report, scorecards, sites, lang=lang, params=params, figures=figures,
                           filters_text=filters_text),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            t("analysis.report.download_html", lang),
            f"wufei-qingpu-briefing-{stamp}.html",
            briefing_html(report, scorecards, lang=lang, params=params, generated=generated, figures=figures,
                          filters_text=filters_text, confirmation_months=confirmation_months).encode("utf-8"),
            "text/html",
        ),
    ]


# --------------------------------------------------------------------------- choropleth
def scorecard_choropleth(
    zones: pd.DataFrame,
    scorecards: Sequence[TownScorecard],
    measure: str,
    *,
    lang: str = "zh",
    selected_town: str | None = None,
    figures: Sequence[TownFigures] | None = None,
) -> folium.Map:
    """Town zones shaded by a town figure (:data:`analysis.TOWN_MEASURES`): values, class breaks,
    labels and colours from :func:`analysis.town_shading`; unknown is grey and labelled unknown,
    never 0.  Offline: no tile layer.  Tooltips are escaped text."""
    if measure not in TOWN_MEASURES:
        raise ValueError(f"unknown scorecard measure {measure!r}; expected one of {TOWN_MEASURES}")
    if figures is None:
        raise ValueError("scorecard_choropleth needs the town figures (analysis.town_figures)")
    scale, shades = town_shading(figures, measure, lang)
    m = folium.Map(location=(31.15, 121.12), zoom_start=10, tiles=None, prefer_canvas=True)
    m.get_root().header.add_child(folium.Element(f"<style>#{m.get_name()}{{background:#f3f1ea}}</style>"))
    label = scale.title
    bounds = []
    for row in zones.to_dict("records"):
        code = str(row.get("town_code"))
        shade = shades.get(code) or {"text": t("common.unknown", lang), "fill": scale.unknown_colour}
        name = row.get("name_en") if lang == "en" else row.get("name_zh")
        approx = row.get("boundary_quality") == "approximate"
        tip = f"<b>{escape(str(name or code))}</b><br>{escape(label)}: {escape(shade['text'])}"
        if approx:
            tip += f"<br><small>{escape(t('common.approximate_extent', lang))}</small>"
        colour = shade["fill"]
        selected = code == selected_town
        folium.GeoJson(
            row["geometry"].__geo_interface__,
            name=str(code),
            style_function=lambda _f, c=colour, sel=selected, ap=approx: {
                "fillColor": c,
                "color": "#D55E00" if sel else "#555",
                "weight": 3 if sel else 1,
                "dashArray": "5 4" if ap else None,
                "fillOpacity": 0.75,
            },
            tooltip=folium.Tooltip(tip),
        ).add_to(m)
        minx, miny, maxx, maxy = row["geometry"].bounds
        bounds += [(miny, minx), (maxy, maxx)]
    if bounds:
        m.fit_bounds([[min(b[0] for b in bounds), min(b[1] for b in bounds)],
                      [max(b[0] for b in bounds), max(b[1] for b in bounds)]])
    legend = "".join(
        f'<div><span style="display:inline-block;width:14px;height:10px;margin-right:4px;background:{c}"></span>'
        f"{escape(lab)}</div>"
        for lab, c in zip(scale.labels, scale.colours, strict=False)
    ) + (f'<div><span style="display:inline-block;width:14px;height:10px;margin-right:4px;'
         f'background:{scale.unknown_colour}"></span>{escape(scale.unknown_label)}</div>')
    m.get_root().html.add_child(folium.Element(
        '<div class="wf-town-legend" style="position:absolute;z-index:9999;bottom:12px;left:10px;'
        'background:rgba(255,255,255,.92);padding:4px 8px;font:12px/1.4 sans-serif">'
        f"<b>{escape(label)}</b>{legend}</div>"
    ))
    return m
