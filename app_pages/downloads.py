"""Every download the pages offer, built on demand: ``st.download_button(data=<callable>)``.

Streamlit calls the builder only when the button is clicked (its deferred downloads), so a
rerun — every filter change, every click elsewhere on the page — no longer builds workbooks,
briefings and exports nobody asked for.  The builders are the core's; a builder runs outside
the page's script run, so everything it needs (language, filters, data) is bound when the
button is drawn.
"""
from __future__ import annotations

import dataclasses
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
    from app_pages.cached import cached_file

    # the file is built once per data version and these options (the report and the scorecards are
    # themselves the data version's); a repeated download is served at once
    simple = tuple(sorted((k, v) for k, v in options.items()
                          if isinstance(v, (str, int, float, bool, type(None))) or dataclasses.is_dataclass(v)))
    for label, name, build, _mime in report_files(report, cards, sites, **options):
        kind = name.rsplit(".", 1)[-1]
        key = (key_prefix, kind, len(sites), simple)
        download(label, cached_file(key, build), name, key=f"{key_prefix}_{kind}")
