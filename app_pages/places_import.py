"""The 数据 page's place import (issue 24; administrators): a CSV or XLSX of places, a dry run of
every row through the core (:mod:`wufei_geo.io.place_import`), then apply — all rows or none."""
from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app_pages import common, login
from app_pages.common import get_store, lang, show_table, tr
from wufei_geo.io import place_import


def render_section(actor: Any) -> None:
    with st.expander(tr("places.import.header")):
        st.caption(tr("places.import.help"))
        upload = common.file_uploader(tr("places.import.upload"), ["csv", "xlsx"], key="places_upload")
        if upload is None:
            return
        data, name, store = upload.getvalue(), upload.name, get_store()
        # a file that cannot be read is a keyed refusal of the core: act() shows it
        report = login.act(store, lambda who: place_import.import_places(store, who, data, name, lang()))
        if report is None:
            return
        _show(report)
        if report.ok and report.rows and st.button(tr("places.import.apply", n=len(report.rows)), key="places_apply",
                                                   type="primary"):
            done = login.act(store, lambda who: place_import.import_places(store, who, data, name, lang(), apply=True))
            if done is not None and done.ok:
                st.success(tr("places.import.applied", n=len(done.rows)))
            elif done is not None:
                _show(done)


def _show(report: place_import.PlaceImportReport) -> None:
    if report.errors:
        st.error(tr("places.import.errors", n=len(report.errors)))
        show_table(pd.DataFrame({tr("places.import.row"): [e["row"] for e in report.errors],
                                 tr("places.field.id"): [e["place_id"] for e in report.errors],
                                 tr("places.import.problem"): [e["message"] for e in report.errors]}))
    elif report.rows:
        st.write(tr("places.import.dry_run", n=len(report.rows)))
        show_table(pd.DataFrame({tr("places.import.row"): [r["row"] for r in report.rows],
                                 tr("places.field.id"): [r["place_id"] for r in report.rows],
                                 tr("places.import.action"): [tr(f"places.import.{r['action']}") for r in report.rows]}))
