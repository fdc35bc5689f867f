"""The one-page HTML briefing: self-contained (inline CSS and SVG, no script, no network), sized
for A4; every text that comes from data or a user is escaped.  It only presents what the analysis
computed, with the shared texts (:mod:`.texts`) and the shared chart (:mod:`.chart`)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

import pandas as pd

from wufei_geo.analysis import (
    DEFAULT_CONFIRMATION_MONTHS,
    TOWN_MEASURES,
    TargetProgress,
    TownFigures,
    TownScorecard,
    fmt_number,
    fmt_share,
    indicative_caveat,
    report_figures,
    wet_waste_progress,
)
from wufei_geo.config import GenerationParameters
from wufei_geo.i18n import status_label, t
from wufei_geo.model import STATUSES
from wufei_geo.reports.chart import wet_waste_chart_svg
from wufei_geo.reports.texts import Table, headline_lines, targets_table, towns_table, unit_text

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


def _table_html(table: Table) -> str:
    head = "".join(f"<th>{escape(text)}</th>" for text in table.header)
    rows = [f"<tr>{head}</tr>"]
    for row in table.rows:
        cells = "".join(
            f'<td class="num">{escape(text)}</td>' if i in table.numeric else f"<td>{escape(text)}</td>"
            for i, text in enumerate(row)
        )
        rows.append(f"<tr>{cells}</tr>")
    return "<table>" + "".join(rows) + "</table>"


_LINE_CLASS = {"headline": ' class="headline"', "text": "", "warn": ' class="warn"'}


def _headline_html(wet: TargetProgress | None, lang: str) -> str:
    if wet is None:
        return f"<p>{escape(t('analysis.report.no_wet_target', lang))}</p>"
    return "".join(f"<p{_LINE_CLASS[kind]}>{escape(text)}</p>" for text, kind in headline_lines(wet, lang))


def _status_table(wet: TargetProgress, lang: str) -> Table:
    """The wet-waste capacity by status (all, and by mode)."""
    unit = unit_text(wet.unit, lang)
    modes = list(wet.by_mode)
    header = [t("field.status", lang), t("analysis.counts.all", lang) + f" ({unit})",
              *[t("analysis.counts." + m, lang) for m in modes]]
    rows = [
        [status_label(status, lang), fmt_number(wet.by_status.get(status)),
         *[fmt_number(wet.by_mode[m].get(status)) for m in modes]]
        for status in STATUSES
        if status != "decommissioned"
    ]
    return Table(header, rows, frozenset(range(1, 2 + len(modes))))


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
    caveat = indicative_caveat(lang)
    body = [
        f"<h1>{escape(t('analysis.report.title', lang))}</h1>",
        f'<p class="meta">{escape(t("analysis.report.generated", lang, date=generated.isoformat()))}</p>',
        f"<h2>{escape(t('analysis.title', lang))}</h2>",
        _headline_html(wet, lang),
    ]
    if wet is not None:
        body.append(f'<div class="chart">{wet_waste_chart_svg(wet, lang)}</div>')
        body.append(f'<p class="note">{escape(t("analysis.forecast_rule", lang, months=confirmation_months))}</p>')
        body.append(_table_html(_status_table(wet, lang)))
    body.append(f"<h2>{escape(t('analysis.other_targets', lang))}</h2>")
    body.append(_table_html(targets_table(others, lang)))
    body.append(f"<h2>{escape(t('analysis.towns.title', lang))}</h2>")
    if filters_text:
        body.append(f'<p class="note">{escape(t("analysis.report.filters", lang, filters=filters_text))}</p>')
    body.append(_table_html(towns_table(scorecards, figures, TOWN_MEASURES, lang)))
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

