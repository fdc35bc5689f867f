"""Every download the pages offer, built on demand: ``st.download_button(data=<callable>)``.

Streamlit calls the builder only when the button is clicked (its deferred downloads), so a
rerun — every filter change, every click elsewhere on the page — no longer builds workbooks,
briefings and exports nobody asked for.  The builders are the core's; a builder runs outside
the page's script run, so everything it needs (language, filters, data) is bound when the
button is drawn.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from wufei_geo import report as report_mod
from wufei_geo.i18n import t

MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
    "zip": "application/zip",
    "html": "text/html",
    "pdf": "application/pdf",
}


def download(label: str, build: Callable[[], bytes | str], file_name: str, *, key: str, where: Any = None) -> None:
    """A download button whose content ``build()`` makes when it is clicked (MIME from the file's suffix)."""
    (where or st).download_button(label, data=build, file_name=file_name, mime=MIME[file_name.rsplit(".", 1)[-1]],
                                  key=key)


def report_downloads(
    report: Sequence[Any],
    cards: Sequence[Any],
    sites: Any,
    *,
    lang: str,
    params: Any,
    figures: Sequence[Any] | None = None,
    filters_text: str | None = None,
    confirmation_months: int,
) -> list[tuple[str, str, Callable[[], bytes]]]:
    """(label, file name, builder) of the workbook and the HTML briefing (街镇 and 湿垃圾能力 pages):
    the same files as :func:`wufei_geo.report.downloads`, each built only when asked for."""
    generated = dt.date.today()
    stamp = generated.strftime("%Y%m%d")

    def town_figures() -> Sequence[Any]:  # as report.downloads: the figures of ``sites`` unless given
        return figures if figures is not None else report_mod.report_figures(sites, cards, params)

    def workbook() -> bytes:
        return report_mod.workbook_bytes(report, cards, sites, lang=lang, params=params, figures=town_figures(),
                                         filters_text=filters_text)

    def briefing() -> bytes:
        return report_mod.briefing_html(report, cards, lang=lang, params=params, generated=generated,
                                        figures=town_figures(), filters_text=filters_text,
                                        confirmation_months=confirmation_months).encode("utf-8")

    return [
        (t("analysis.report.download_xlsx", lang), f"wufei-qingpu-{stamp}.xlsx", workbook),
        (t("analysis.report.download_html", lang), f"wufei-qingpu-briefing-{stamp}.html", briefing),
    ]


def offer_report_downloads(key_prefix: str, *args: Any, **kwargs: Any) -> None:
    """The buttons of :func:`report_downloads` (keys ``<key_prefix>_xlsx``, ``<key_prefix>_html``)."""
    for label, name, build in report_downloads(*args, **kwargs):
        download(label, build, name, key=f"{key_prefix}_{name.rsplit('.', 1)[-1]}")
