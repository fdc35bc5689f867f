"""湿垃圾能力 / Wet-waste capacity: the 600 t/d goal by status and year, and the other targets.

Presents :func:`wufei_geo.analysis.capacity_report`; computes nothing itself.
"""
from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app_pages import cached, memo
from app_pages.common import get_catalog, keep_across_language, lang, show_table, tr
from app_pages.common import settings as common_settings
from app_pages.downloads import offer_report_downloads
from wufei_geo import analysis
from wufei_geo.analysis import fmt_number, fmt_share
from wufei_geo.data_texts import localise
from wufei_geo.i18n import status_label, wet_waste_mode_label
from wufei_geo.mdtext import md_literal
from wufei_geo.model import DEFAULT_BRIEFING_MEASURE as DEFAULT_MEASURE
from wufei_geo.reports.texts import (
    achieved_text,
    answer_sentence,
    blockers_table,
    existing_line,
    forecast_text,
    headline_text,
    marked_share,
    reached_year_text,
    registered_line,
    registered_text,
    target_label,
    unit_text,
)


def render() -> None:
    L = lang()
    catalog = get_catalog()
    st.title(tr("analysis.title"))
    top = st.container()  # the five-second answer, filled once the report is known

    keep_across_language("analysis_counts_toward")
    counts_toward = st.radio(
        tr("analysis.counts_toward"),
        analysis.COUNTS_TOWARD,
        format_func=lambda c: tr(f"analysis.counts.{c}"),
        horizontal=True,
        key="analysis_counts_toward",
    )
    settings = common_settings()
    months = settings.status_confirmation_months
    report = cached.capacity_report(counts_toward, months)  # once per data version and parameters
    wet = analysis.wet_waste_progress(report)

    if wet is None:
        st.warning(tr("analysis.report.no_wet_target"))
    else:
        unit = unit_text(wet.unit, L)
        with top:
            _answer(wet, L)
        _wet_headline(wet, unit, months, L)
        _progress_chart(counts_toward, months, L)
        _wet_tables(wet, unit, L)
    _other_targets(report, wet, L)
    _downloads(report, catalog, settings, months, L)


def _answer(wet: Any, L: str) -> None:
    """The first sentence (are we on track for 600 t/d?) and the sites that block the answer."""
    st.markdown("**" + md_literal(memo.derived(wet, "answer", lambda: answer_sentence(wet, L), L)) + "**")
    frame = cached.table(wet, "blockers", lambda: _blockers(wet, L), L)
    if len(frame):
        st.caption(tr("answer.title"))
        show_table(frame)


def _blockers(wet: Any, L: str) -> pd.DataFrame:
    table = blockers_table(wet, L)
    return pd.DataFrame(table.rows, columns=table.header)


def _wet_headline(wet: Any, unit: str, months: int, L: str) -> None:
    """The wet-waste goal: tiles, the headline, what counts (the blocking sites are above)."""
    c1, c2, c3, c4 = st.columns(4)
    # every figure written by the core's one formatter ("≥ 80 吨/日（1 个站点能力未知）", 未知 …)
    # (tiles: the short form, "≥"/未知 still say it; the full text with the count is just below;
    # a share resting on a total with unknown parts is marked as a lower bound)
    c1.metric(tr("analysis.metric.operating_today"), achieved_text(wet, L, short=True),
              marked_share(wet.share, wet.achieved_lower_bound, L),
              delta_color="off", delta_arrow="off", help=achieved_text(wet, L))
    c2.metric(tr("analysis.metric.after_projects"), registered_text(wet, L, short=True),
              marked_share(wet.registered_share, wet.registered_lower_bound, L), delta_color="off",
              delta_arrow="off", help=registered_text(wet, L))
    c3.metric(tr("analysis.col.goal"), f"{fmt_number(wet.target)} {unit}", str(wet.target_year or ""),
              delta_color="off", delta_arrow="off")
    c4.metric(tr("analysis.col.year_reached"), reached_year_text(wet, L))
    st.markdown("**" + md_literal(headline_text(wet, L)) + "**")
    if wet.existing_capacity["value"] != 0 or wet.existing_capacity["unknown_sites"]:
        st.write(md_literal(existing_line(wet, L)))
    st.write(md_literal(registered_line(wet, L)))
    if wet.forecast_state != "cannot_tell":  # cannot tell: the sentence and the table above say why
        st.write(md_literal(forecast_text(wet, L)))
    if wet.note:
        st.caption(f"{md_literal(wet.source_ref)} · {md_literal(localise(wet.note, L))}")
    st.caption(tr("analysis.forecast_rule", months=months))
    st.caption(tr("freshness.behind", n=len(wet.stale_sites), total=len(wet.sites), months=months))


def _progress_chart(counts_toward: str, months: int, L: str) -> None:
    # cumulative capacity by year, stacked by status, with the goal line: the one chart of every output
    # (reports.chart.wet_waste_chart_altair, built once per data version and parameters: cached.py)
    st.subheader(tr("analysis.chart_title"))
    st.vega_lite_chart(cached.capacity_chart(counts_toward, months, L, height=320), width="stretch")


def _wet_tables(wet: Any, unit: str, L: str) -> None:
    st.subheader(tr("analysis.by_status"))
    show_table(cached.table(wet, "by_status", lambda: _by_status(wet, L), L))
    st.caption(tr("analysis.halted"))

    st.subheader(tr("analysis.sites"))
    show_table(cached.table(wet, "sites", lambda: _site_table(wet, unit, L), L))


def _by_status(wet: Any, L: str) -> pd.DataFrame:
    status_rows = []
    for s in ("operating", "commissioning", "under_construction", "planned", "suspended", "cancelled"):
        row = {tr("field.status"): status_label(s, L), tr("analysis.counts.all"): wet.by_status.get(s)}
        for mode, values in wet.by_mode.items():
            row[wet_waste_mode_label(mode, L)] = values.get(s)
        status_rows.append(row)
    return pd.DataFrame(status_rows)


def _site_table(wet: Any, unit: str, L: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                tr("field.site_id"): r["site_id"],
                tr("field.name"): (r["name_en"] if L == "en" else r["name_zh"]) or r["name_zh"],
                tr("field.wet_waste_mode"): wet_waste_mode_label(r["wet_waste_mode"], L),
                tr("field.status"): status_label(r["status"], L),
                tr("analysis.col.capacity"): fmt_number(r["capacity"]) if r["capacity"] is not None
                else tr("common.unknown"),
                tr("analysis.col.unit"): unit if r["capacity"] is not None else None,
                tr("field.status_as_of"): r["status_as_of"],
                tr("analysis.col.status_confirmed_at"): r["status_confirmed_at"],
                tr("field.target_year"): r["target_year"],
                tr("analysis.col.expected_commissioning"): r["expected_commissioning"] or None,
                tr("analysis.col.year_counted"): None if r["year"] is None else str(r["year"]),
                tr("analysis.col.overdue"): tr("common.yes" if r["overdue"] else "common.no"),
            }
            for r in wet.site_rows
        ]
    )


def _other_targets(report: Any, wet: Any, L: str) -> None:
    st.subheader(tr("analysis.other_targets"))
    for overdue, line in memo.derived(report, "target_lines", lambda: _target_lines(report, wet, L), L):
        (st.error if overdue else st.markdown)(line)
    show_table(cached.table(report, "targets", lambda: _targets_table(report, L), L))


def _target_lines(report: Any, wet: Any, L: str) -> list[tuple[bool, str]]:
    """(overdue, the line) of every target but the wet-waste goal."""
    lines = []
    for item in (item for item in report if item is not wet):
        unit = unit_text(item.unit, L)
        state = tr(f"analysis.state.{item.state}") + (" · " + tr("analysis.target_overdue") if item.overdue else "")
        lines.append((item.overdue,
                      f"**{md_literal(target_label(item, L))}** — {tr('analysis.col.goal')} {fmt_number(item.target)} {unit}"
                      f" ({item.target_year or '—'}) · {tr('analysis.col.achieved')} {achieved_text(item, L)}"
                      f" ({fmt_share(item.share)}) · {tr('analysis.col.registered')} {registered_text(item, L)}"
                      f" ({fmt_share(item.registered_share)}) · {tr('analysis.col.gap')} {fmt_number(item.gap)} · {state}"
                      f" · {tr('analysis.col.forecast')}: {md_literal(forecast_text(item, L))}"))
    return lines


def _targets_table(report: Any, L: str) -> pd.DataFrame:
    return pd.DataFrame(
            [
                {
                    tr("analysis.col.description"): target_label(item, L),
                    tr("analysis.col.goal"): item.target,
                    tr("analysis.col.unit"): unit_text(item.unit, L),
                    tr("analysis.col.year"): item.target_year,
                    tr("analysis.col.achieved"): achieved_text(item, L),
                    tr("analysis.col.registered"): registered_text(item, L),
                    tr("analysis.col.gap"): fmt_number(item.gap),
                    tr("analysis.col.registered_share"): fmt_share(item.registered_share),
                    tr("analysis.col.year_reached"): reached_year_text(item, L),
                    tr("analysis.col.state"): tr(f"analysis.state.{item.state}"),
                    tr("analysis.col.overdue"): tr("common.yes" if item.overdue else "common.no"),
                    tr("freshness.col_stale"): f"{len(item.stale_sites)} / {len(item.sites)}",
                    tr("analysis.col.source"): item.source_ref,
                }
                for item in report
            ]
        )


def _downloads(report: Any, catalog: Any, settings: Any, months: int, L: str) -> None:
    """The workbook and the one briefing (the PDF with the map): each built when its button is clicked."""
    params = st.session_state.get("analysis_params") or settings.generation
    cards = cached.town_scorecards(params, months)
    # what shades the towns on the briefing's map (bound when the buttons are drawn)
    brief_measure = st.selectbox(
        tr("briefing.measure"), analysis.TOWN_MEASURES, format_func=lambda m: tr(f"analysis.measure.{m}"),
        index=analysis.TOWN_MEASURES.index(DEFAULT_MEASURE), key="capacity_brief_measure",
        placeholder=tr("common.choose"),
    )
    offer_report_downloads("capacity_dl", report, cards, catalog.sites, lang=L, params=params,
                           confirmation_months=months, zones=catalog.zones, district=catalog.district,
                           measure=brief_measure, register=cached.register_assessment)
