"""The report files: written by suffix (``.xlsx`` workbook, ``.html`` briefing) for the CLI, and
the downloads the pages offer."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from wufei_geo.analysis import (
    DEFAULT_CONFIRMATION_MONTHS,
    TargetProgress,
    TownFigures,
    TownScorecard,
    report_figures,
)
from wufei_geo.config import GenerationParameters
from wufei_geo.i18n import t
from wufei_geo.reports.briefing_html import briefing_html
from wufei_geo.reports.workbook import workbook_bytes


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

