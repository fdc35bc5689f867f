"""Every download the pages offer, built on demand: ``st.download_button(data=<callable>)``.

Streamlit calls the builder only when the button is clicked (its deferred downloads), so a
rerun — every filter change, every click elsewhere on the page — no longer builds workbooks,
briefings and exports nobody asked for.  The builders are the core's; a builder runs outside
the page's script run, so everything it needs (language, filters, data) is bound when the
button is drawn.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from wufei_geo.io.formats import MIME
from wufei_geo.reports.downloads import downloads as report_files


def download(label: str, build: Callable[[], bytes | str], file_name: str, *, key: str, where: Any = None) -> None:
    """A download button whose content ``build()`` makes when it is clicked (MIME from the file's suffix)."""
    (where or st).download_button(label, data=build, file_name=file_name, mime=MIME[file_name.rsplit(".", 1)[-1]],
                                  key=key)


def offer_report_downloads(key_prefix: str, report: Sequence[Any], cards: Sequence[Any], sites: Any,
                           **options: Any) -> None:
    """The buttons of the core's report downloads (:func:`wufei_geo.reports.downloads.downloads`:
    the workbook and the PDF briefing), keys ``<key_prefix>_xlsx``, ``<key_prefix>_pdf``."""
    for label, name, build, _mime in report_files(report, cards, sites, **options):
        download(label, build, name, key=f"{key_prefix}_{name.rsplit('.', 1)[-1]}")
