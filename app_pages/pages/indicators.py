"""指标 / Indicators: the plan's whole scorecard — 附表1's 62 indicators and the facility targets —
assessed at a date (default the plan's deadline), filterable; one entry's detail (chart, sources,
history, town map); entering a value and a planner's judgement.

Presents :mod:`wufei_geo.register`; computes nothing itself (the statuses, the texts and the
permissions are the core's)."""
from __future__ import annotations

import datetime as dt
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from app_pages.common import (
    catalog_and_version,
    file_uploader,
    get_store,
    keep_across_language,
    lang,
    show_table,
    tr,
)
from app_pages.downloads import download
from app_pages.login import act, current_actor, login_form, user_bar
from wufei_geo import mapview
from wufei_geo.departments import department_label, departments
from wufei_geo.io.value_import import apply_values, department_workbook, plan_values
from wufei_geo.mdtext import md_literal
from wufei_geo.register import reporting
from wufei_geo.register.assess import PLAN_DEADLINE, STATUSES, Assessment, assess, summary
from wufei_geo.register.entries import AREAS, KINDS
from wufei_geo.register.texts import (
    area_label,
    baseline_text,
    kind_label,
    latest_text,
    reading_of,
    status_label,
    summary_lines,
    target_text,
    value_unit,
)

ALL = "__all__"
FLASH_KEY = "reg_flash"


@st.cache_data(show_spinner=False, max_entries=8)
def _assessment(version: str, as_of: dt.date) -> list[Assessment]:
    # ``version`` is only the cache key: any write (a value, a judgement, a site edit) audits.
    return assess(get_store(), as_of)


def _filters(L: str) -> dict[str, str]:
    keep_across_language("reg_area", "reg_kind", "reg_department", "reg_status")
    c1, c2, c3, c4 = st.columns(4)
    area = c1.selectbox(tr("register.page.area"), [ALL, *AREAS], key="reg_area", placeholder=tr("common.choose"),
                        format_func=lambda a: tr("register.page.all") if a == ALL else area_label(a, L))
    kind = c2.selectbox(tr("register.page.kind"), [ALL, *KINDS], key="reg_kind", placeholder=tr("common.choose"),
                        format_func=lambda k: tr("register.page.all") if k == ALL else kind_label(k, L))
    dept = c3.selectbox(tr("register.page.department"), [ALL, *departments()], key="reg_department", placeholder=tr("common.choose"),
                        format_func=lambda d: tr("register.page.all") if d == ALL else department_label(d, L))
    status = c4.selectbox(tr("register.page.status"), [ALL, *STATUSES], key="reg_status", placeholder=tr("common.choose"),
                          format_func=lambda s: tr("register.page.all") if s == ALL else status_label(s, L))
    return {"area": area, "kind": kind, "department": dept, "status": status}


def _keep(a: Assessment, f: dict[str, str]) -> bool:
    e = a.entry
    return ((f["area"] == ALL or e.area == f["area"]) and (f["kind"] == ALL or e.kind == f["kind"])
            and (f["department"] == ALL or f["department"] in e.departments)
            and (f["status"] == ALL or a.status == f["status"]))


def _table(rows: list[Assessment], L: str) -> None:
    frame = pd.DataFrame([{
        tr("register.col.id"): a.entry.id,
        tr("register.col.name"): a.entry.name(L),
        tr("register.col.kind"): kind_label(a.entry.kind, L),
        tr("register.col.department"): ("; " if L == "en" else "、").join(department_label(d, L) for d in a.entry.departments) or "—",
        tr("register.col.baseline"): baseline_text(a.entry, L),
        tr("register.col.latest"): latest_text(a, L),
        tr("register.col.target"): target_text(a.entry, L),
        tr("register.col.status"): status_label(a.status, L),
    } for a in rows])
    st.caption(tr("register.page.shown", n=len(rows)))
    show_table(frame)


def _chart(a: Assessment, values: list[dict[str, Any]], L: str) -> None:
    """2020 → the values by year → the 2025 target line."""
    e = a.entry
    points = []
    if e.baseline_value is not None and e.baseline_year is not None:
        points.append({"year": e.baseline_year, "value": e.baseline_value, "what": tr("register.chart.baseline")})
    points += [{"year": v["year"], "value": v["value"], "what": tr("register.chart.reported")}
               for v in values if v["value"] is not None]
    if a.reading.measured and a.reading.value is not None and e.measure.kind != "reported":
        points.append({"year": a.reading.year, "value": a.reading.value, "what": tr("register.chart.computed")})
    if not points:
        st.info(tr("register.chart.none"))
        return
    data = pd.DataFrame(points)
    x = alt.X("year:O", title=tr("register.chart.year"))
    y = alt.Y("value:Q", title=value_unit(e, L) or tr("register.chart.value"))
    layers = [alt.Chart(data).mark_line(color="#90a4ae").encode(x=x, y=y),
              alt.Chart(data).mark_point(filled=True, size=80).encode(
                  x=x, y=y, color=alt.Color("what:N", title=None), tooltip=["year:O", "value:Q", "what:N"])]
    goal = e.target_value if e.target_value is not None else (e.baseline_value if e.rule.endswith("baseline") else None)
    if goal is not None:
        rule_frame = pd.DataFrame({"value": [goal], "label": [f"{e.target_year}: {target_text(e, L)}"]})
        layers.append(alt.Chart(rule_frame).mark_rule(strokeDash=[6, 4], color="#c0392b").encode(y="value:Q"))
        layers.append(alt.Chart(rule_frame).mark_text(align="left", dx=4, dy=-6, color="#c0392b")
                      .encode(y="value:Q", text="label:N"))
    st.altair_chart(alt.layer(*layers).properties(height=260), width="stretch")


def _town_map(a: Assessment, rows: list[Assessment], catalog: Any, L: str) -> None:
    """The town entries of the same kind (e.g. C.2's 11 towns), each town coloured by its status."""
    e = a.entry
    project = (e.extra.get("row") or {}).get("project_ids") or e.measure.kind
    same = {r.entry.town_code: r.status for r in rows
            if r.entry.town_code and ((r.entry.extra.get("row") or {}).get("project_ids") or r.entry.measure.kind) == project}
    zones = catalog.zones
    if zones is None or not len(zones):
        return
    colours = {"met": "#2e7d32", "not_met": "#c62828", "unmeasured": "#9e9e9e", "judgement": "#f9a825"}
    features = []
    for row, geom in zip(zones.to_dict("records"), zones.geometry, strict=True):
        status = same.get(str(row["town_code"]))
        features.append({"type": "Feature", "geometry": geom.__geo_interface__, "properties": {
            "name": row.get("name_en") if L == "en" else row.get("name_zh"),
            "status": status_label(status, L) if status else "—",
            "fill": colours.get(status or "", "#eeeeee"),
            "stroke": 3 if str(row["town_code"]) == e.town_code else 0.5}})
    chart = (alt.Chart(alt.Data(values=features)).mark_geoshape(stroke="#333")
             .encode(color=alt.Color("properties.fill:N", scale=None), strokeWidth=alt.StrokeWidth("properties.stroke:Q", scale=None),
                     tooltip=[alt.Tooltip("properties.name:N", title=tr("register.col.town")),
                              alt.Tooltip("properties.status:N", title=tr("register.col.status"))])
             .project("mercator").properties(height=320))
    st.caption(tr("register.page.town_map"))
    st.altair_chart(chart, width="stretch")


def _detail(a: Assessment, rows: list[Assessment], catalog: Any, L: str) -> None:
    e = a.entry
    st.subheader(f"{e.id} · {md_literal(e.name(L))}")
    owners = ("; " if L == "en" else "、").join(department_label(d, L) for d in e.departments) or "—"
    facts = [f"{tr('register.col.status')}: **{status_label(a.status, L)}**",
             f"{tr('register.col.kind')}: {kind_label(e.kind, L)}", f"{tr('register.page.area')}: {area_label(e.area, L)}",
             f"{tr('register.col.department')}: {md_literal(owners)}",
             f"{tr('register.col.baseline')}: {md_literal(baseline_text(e, L))}",
             f"{tr('register.col.latest')}: {md_literal(latest_text(a, L))}",
             f"{tr('register.col.target')}: {md_literal(target_text(e, L))}",
             f"{tr('register.col.source')}: {md_literal(e.source_ref)}"]
    st.markdown(" · ".join(facts))
    note = reading_of(e, L)
    if note:
        st.info(f"{tr('register.page.reading')}: {md_literal(note)}")
    if a.judgement:
        st.markdown(tr("register.page.judged", verdict=status_label("met" if a.judgement["verdict"] == "met" else "not_met", L),
                       who=md_literal(a.judgement["judged_by"]), note=md_literal(a.judgement["note"])))
    store = get_store()
    values = reporting.values(store, e.id, status=None)
    _chart(a, [v for v in values if v["status"] == "accepted"], L)
    if values:
        st.markdown(f"**{tr('register.page.sources')}**")
        show_table(pd.DataFrame([{tr("register.col.year"): v["year"],
                                  tr("register.col.value"): v["text"] if v["value"] is None else v["value"],
                                  tr("register.col.source"): v["source"], tr("register.col.by"): v["entered_by"],
                                  tr("register.col.state"): tr(f"register.value.{v['status']}"),
                                  tr("register.col.note"): v["note"] or ""} for v in values]))
    history = reporting.value_history(store, e.id)
    if history:
        st.markdown(f"**{tr('register.page.history')}**")
        show_table(pd.DataFrame([{tr("register.col.when"): h["at_local"], tr("register.col.by"): h["user_name"],
                                  tr("register.col.action"): tr(f"register.action.{h['action']}"),
                                  tr("register.col.value"): h["new_value"], tr("register.col.note"): h["note"] or ""}
                                 for h in history]))
    if e.town_code:
        _town_map(a, rows, catalog, L)
    _forms(a, L)


def _forms(a: Assessment, L: str) -> None:
    store = get_store()
    actor = current_actor(store)
    if actor is None:
        st.caption(tr("register.page.login_to_report"))
        login_form(store)
        return
    user_bar(store, actor)
    e = a.entry
    if e.measure.kind == "reported":
        with st.form(f"reg_value_{e.id}"):
            st.markdown(f"**{tr('register.form.title')}**")
            year = st.number_input(tr("register.col.year"), min_value=2021, max_value=2100, value=2025, step=1,
                                   key=f"reg_year_{e.id}")
            value = st.text_input(tr("register.col.value") + (f" ({value_unit(e, L)})" if value_unit(e, L) else ""),
                                  key=f"reg_value_{e.id}_v")
            source = st.text_input(tr("register.col.source"), key=f"reg_source_{e.id}")
            note = st.text_input(tr("register.col.note"), key=f"reg_note_{e.id}")
            insist = st.checkbox(tr("register.form.insist"), key=f"reg_insist_{e.id}")
            if st.form_submit_button(tr("register.form.submit")):
                act(store, lambda who: reporting.report_value(store, who, e.id, year, value, source, note, insist),
                    done=lambda row: _flash(tr("register.form.saved", status=tr(f"register.value.{row['status']}"))))
    if a.status == "judgement" or e.needs_judgement:
        with st.form(f"reg_judge_{e.id}"):
            st.markdown(f"**{tr('register.judge.title')}**")
            verdict = st.radio(tr("register.col.status"), ["met", "not_met"], format_func=lambda s: status_label(s, L),
                               horizontal=True)
            note = st.text_area(tr("register.col.note"))
            if st.form_submit_button(tr("register.judge.submit")):
                act(store, lambda who: reporting.judge(store, who, e.id, PLAN_DEADLINE, verdict, note),
                    done=lambda _row: _flash(tr("register.judge.saved")))


def _bulk(L: str) -> None:
    """The department workbook (download) and its import (dry run, then all rows or none)."""
    store = get_store()
    actor = current_actor(store)
    st.subheader(tr("register.bulk.title"))
    own = actor.department if actor is not None and actor.department else None
    options = [ALL, *departments()]
    dept = st.selectbox(tr("register.page.department"), options, index=options.index(own) if own else 0,
                        key=f"reg_bulk_department_{own or ALL}", placeholder=tr("common.choose"), format_func=lambda d: tr("register.page.all") if d == ALL else department_label(d, L))
    chosen = None if dept == ALL else dept
    download(tr("register.bulk.download"), lambda: department_workbook(chosen, L),
             f"wufei-indicators-{chosen or 'all'}.xlsx", key="reg_bulk_xlsx")
    if actor is None:
        return
    upload = file_uploader(tr("register.bulk.upload"), ["xlsx", "csv"], key="reg_bulk_file")
    if upload is None:
        return
    data, name = upload.getvalue(), upload.name
    left, right = st.columns(2)
    result = None  # a file that cannot be read is a keyed refusal of the core: act() shows it
    if left.button(tr("register.bulk.dry_run"), key="reg_bulk_dry"):
        result = act(store, lambda who: plan_values(store, who, data, name, L))
    if right.button(tr("register.bulk.apply"), key="reg_bulk_apply", type="primary"):
        result = act(store, lambda who: apply_values(store, who, data, name, L))
    if result is None:
        return
    show_table(pd.DataFrame([{tr("register.bulk.row"): r.row, tr("register.col.id"): r.item["entry_id"],
                              tr("register.col.year"): r.item["year"], tr("register.col.value"): r.item["value"],
                              tr("register.bulk.result"): r.error or (tr("register.value.pending") if r.pending else "✓")}
                             for r in result.rows]))
    if result.errors:
        st.error(tr("register.bulk.refused", n=len(result.errors)))
    elif result.applied:
        st.success(tr("register.bulk.applied", n=len(result.rows)))
    else:
        st.info(tr("register.bulk.checked", n=len(result.rows)))


def _flash(message: str) -> None:
    """Say it after the rerun that shows the new figures."""
    st.session_state[FLASH_KEY] = message
    st.rerun()


def render() -> None:
    L = lang()
    st.title(tr("register.page.title"))
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash:
        st.success(flash)
    catalog, version = catalog_and_version()
    as_of = st.date_input(tr("register.page.as_of"), value=PLAN_DEADLINE, key="reg_as_of")
    rows = _assessment(version, as_of)
    for line in summary_lines(summary(rows), L)[:2]:
        st.markdown(f"#### {line}")
    filters = _filters(L)
    shown = [a for a in rows if _keep(a, filters)]
    _table(shown, L)
    if not shown:
        _bulk(L)
        return
    ids = [a.entry.id for a in shown]
    towns = mapview.town_names(catalog.zones, catalog.towns, L)
    # an indicator by its plan number; a facility target by its town and words (never its code)
    names = {a.entry.id: (f"#{a.entry.id} · " if a.entry.source == "indicator" else
                          f"{towns.get(str(a.entry.town_code), '')} · " if a.entry.town_code else "") + a.entry.name(L)
             for a in shown}
    keep_across_language("reg_entry")
    picked = st.selectbox(tr("register.page.pick"), ids, key="reg_entry", format_func=lambda i: names[i],
                          placeholder=tr("common.choose"))
    _detail(next(a for a in shown if a.entry.id == picked), rows, catalog, L)
    _bulk(L)


render()
