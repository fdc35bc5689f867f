"""The report files: written by suffix (``.xlsx`` workbook, ``.pdf`` briefing) for the CLI, and
the downloads the pages offer.  There is one briefing — the one-page PDF with the map; the HTML
briefing (two printed pages without a map) is retired."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

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
from wufei_geo.io.formats import MIME
from wufei_geo.reports.workbook import workbook_bytes

# kind → (suffixes, MIME type, file name stem, label key)
KINDS: dict[str, tuple[tuple[str, ...], str, str, str]] = {
    "xlsx": ((".xlsx",), MIME["xlsx"],
             "wufei-qingpu", "analysis.report.download_xlsx"),
    "pdf": ((".pdf",), MIME["pdf"], "wufei-qingpu-briefing", "analysis.report.download_pdf"),
}


def report_bytes(
    kind: str,
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
    register: Sequence[Any] | Callable[[], Sequence[Any]] | None = None,
    zones: Any = None,
    district: Any = None,
    measure: str | None = None,
) -> bytes:
    """The workbook (``xlsx``) or the one-page PDF briefing (``pdf``: needs the town ``zones``; the map
    draws ``sites``) as bytes; the town figures are ``figures``, else those of ``sites``;
    ``register``: the assessment's rows for the workbook's register sheet (or the function that
    gives them, called only when the workbook is built)."""
    if figures is None:
        figures = report_figures(sites, scorecards, params)
    if kind == "xlsx":
        if callable(register):
            register = register()
        return workbook_bytes(report, scorecards, sites, lang=lang, params=params, figures=figures,
                              filters_text=filters_text, register=register)
    from wufei_geo.model import DEFAULT_BRIEFING_MEASURE
    from wufei_geo.reports.briefing_pdf import briefing_pdf

    return briefing_pdf(report, scorecards, zones, sites, district=district, lang=lang,
                        measure=measure or DEFAULT_BRIEFING_MEASURE, generated=generated, params=params,
                        figures=figures, filters_text=filters_text, confirmation_months=confirmation_months)


def write_report(path: str | Path, report: Sequence[TargetProgress], scorecards: Sequence[TownScorecard],
                 sites: pd.DataFrame, **options: Any) -> Path:
    """Write ``.xlsx`` or ``.pdf`` by the file's suffix (``options`` as :func:`report_bytes`);
    anything else is refused."""
    path = Path(path)
    suffix = path.suffix.lower()
    kind = next((k for k, (suffixes, *_rest) in KINDS.items() if suffix in suffixes), None)
    if kind is None:
        raise ValueError(f"unsupported report format {suffix or '(none)'!r}: use .xlsx or .pdf")
    path.write_bytes(report_bytes(kind, report, scorecards, sites, **options))
    return path


def downloads(report: Sequence[TargetProgress], scorecards: Sequence[TownScorecard], sites: pd.DataFrame, *,
              lang: str = "zh", generated: dt.date | None = None,
              **options: Any) -> list[tuple[str, str, Callable[[], bytes], str]]:
    """(label, file name, builder, MIME type) of the two downloads the pages offer (the workbook and
    the PDF briefing) (``options`` as
    :func:`report_bytes`).  Nothing is built here: a page's button calls the builder when clicked."""
    generated = generated or dt.date.today()
    stamp = generated.strftime("%Y%m%d")
    return [
        (t(label, lang), f"{stem}-{stamp}{suffixes[0]}",
         partial(report_bytes, kind, report, scorecards, sites, lang=lang, generated=generated, **options), mime)
        for kind, (suffixes, mime, stem, label) in KINDS.items()
    ]
