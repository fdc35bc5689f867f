"""数据 Data: exports of the filtered sites, bulk updates from spreadsheets, official boundaries, backup.

Thin: exports, bulk import, boundary reading and backup are core functions
(``wufei_geo.io``: ``exports``, ``bulk_import``, ``geofiles``, ``backup``); the store enforces every
permission again.  User text is shown only through Streamlit's text APIs (no HTML).
"""
from __future__ import annotations

import datetime as dt
import html
import io
from functools import partial
from typing import Any

import streamlit as st

from app_pages import common, login, places_import
from app_pages.common import (
    err,
    get_catalog,
    get_store,
    keep_across_language,
    lang,
    leaflet_asset_base,
    show_table,
    sidebar_filters,
    tr,
)
from app_pages.downloads import download
from app_pages.forms import import_changes_frame, import_errors_frame
from wufei_geo import i18n, mapview, permissions
from wufei_geo.errors import NotAuthenticated
from wufei_geo.io import bulk_import, exports, geofiles
from wufei_geo.io.formats import EXPORT_FORMATS, FORMATS
from wufei_geo.mdtext import md_literal


# --- sections ---------------------------------------------------------------------------------
def _exports(catalog: Any, sites: Any) -> None:
    st.subheader(tr("data.export"))
    st.write(tr("data.export_count", shown=len(sites), total=len(catalog.sites)))
    keep_across_language("data_datum")
    datum = st.radio(
        tr("data.datum"), exports.EXPORT_DATUMS, horizontal=True, key="data_datum",
        format_func=lambda d: tr(f"data.datum_{d}"),
    )
    stamp = dt.date.today().strftime("%Y%m%d")
    cols = st.columns(len(EXPORT_FORMATS))
    for col, fmt in zip(cols, EXPORT_FORMATS, strict=True):
        spec = FORMATS[fmt]
        # built when clicked (app_pages.downloads): everything the export needs is bound now
        build = partial(exports.export_bytes, catalog, fmt, None if spec.all_layers else "sites", datum, sites=sites,
                        lang=lang() if spec.for_people else None)
        download(tr(f"data.download_{fmt}"), build, f"qingpu-sites-{stamp}-{datum}{spec.suffix}", key=f"data_dl_{fmt}",
                 where=col)
    download(tr("data.download_zones"), partial(exports.export_bytes, catalog, "geojson", "zones", datum),
             f"qingpu-town-zones-{datum}.geojson", key="data_dl_zones")
    if not catalog.zones_are_official:
        st.caption(tr("data.zones_approximate"))


def _templates(sites: Any) -> None:
    cols = st.columns(2)
    download(tr("data.template_csv"), partial(bulk_import.template_csv, sites), "wufei-update-template.csv",
             key="data_tpl_csv", where=cols[0])
    download(tr("data.template_xlsx"), partial(bulk_import.template_xlsx, sites), "wufei-update-template.xlsx",
             key="data_tpl_xlsx", where=cols[1])


def _show_report(report: bulk_import.ImportReport) -> None:
    if report.errors:
        st.error(tr("data.import_errors", n=len(report.errors)))
        show_table(import_errors_frame(report))
    elif report.rows:
        st.success(tr("data.import_changes", n=report.n_changes, sites=len(report.rows), rows=report.rows_read))
        show_table(import_changes_frame(report, lang()))
        proposed = [r.site_id for r in report.rows if getattr(r, "proposal", False)]
        if proposed:  # issue 11: insisted, implausible rows of a town official wait for a planner
            st.warning(tr("data.import_proposals", n=len(proposed), sites=md_literal(", ".join(proposed))))
    else:
        st.info(tr("data.import_nothing", rows=report.rows_read))


def _bulk_update(actor: Any, sites: Any) -> None:
    st.subheader(tr("data.bulk"))
    st.caption(tr("data.bulk_help"))
    _templates(sites)
    if actor is None:
        login.login_form(get_store())
        return
    upload = common.file_uploader(tr("data.upload"), ["csv", "xlsx"], key="data_upload")
    if upload is None:
        return
    data, name = upload.getvalue(), upload.name
    store = get_store()
    report = bulk_import.plan_import(store, actor, data, name, lang())
    st.write(tr("data.dry_run"))
    _show_report(report)
    if report.ok and report.rows and st.button(tr("data.apply", n=report.n_changes), key="data_apply", type="primary"):
        result = login.act(store, lambda fresh: bulk_import.apply_import(store, fresh, data, name, lang()))
        if result is None:
            return
        if result.applied:
            st.success(tr("data.applied", n=result.n_changes, sites=len(result.rows)))
            proposed = [r.site_id for r in result.rows if getattr(r, "proposal", False)]
            if proposed:
                st.warning(tr("data.import_proposals", n=len(proposed), sites=md_literal(", ".join(proposed))))
        else:
            _show_report(result)


def _boundaries(catalog: Any) -> None:
    st.subheader(tr("data.boundaries"))
    st.caption(tr("data.boundaries_help"))
    upload = common.file_uploader(tr("data.boundary_upload"), ["geojson", "json", "zip", "gpkg"], key="data_boundary_upload")
    cols = st.columns(2)
    code_field = cols[0].text_input(tr("data.code_field"), key="data_code_field").strip()
    name_field = cols[1].text_input(tr("data.name_field"), key="data_name_field").strip()
    if upload is None:
        return
    if code_field and name_field:
        st.error(tr("data.one_field"))
        return
    from wufei_geo.boundaries import BoundaryImportError

    try:
        zones = geofiles.read_boundary_upload(upload.getvalue(), upload.name, code_field or None, name_field or None)
    except BoundaryImportError as exc:
        st.error(tr("data.boundary_refused"))
        st.code("\n".join(i18n.item_lines(exc.problems, exc.warnings, lang())), language=None)
        return
    st.success(tr("data.boundary_ok", n=len(zones)))
    report = geofiles.boundary_report(zones, catalog.zones)
    quality_col = report["current_quality"].map(
        lambda q: tr("common.approximate_extent") if q == "approximate" else tr("boundary.official")
        if q == "official" else tr("common.unknown"))
    report = report.assign(current_quality=quality_col, matched=report["matched"].fillna("—"))
    show_table(report.rename(columns={c: tr(f"boundary.col.{c}") for c in report.columns}))
    _preview_map(zones, catalog.zones)
    warnings = list(zones.attrs.get("warnings", []))
    accepted = True
    if warnings:
        st.warning(tr("data.boundary_warnings", n=len(warnings)))
        st.code("\n".join(i18n.item_text(w, lang()) for w in warnings), language=None)
        accepted = st.checkbox(tr("data.boundary_accept_warnings"), key="data_boundary_accept")
    if st.button(tr("data.boundary_confirm"), key="data_boundary_confirm", type="primary", disabled=not accepted):
        login.act(get_store(), lambda fresh: get_store().replace_zones(fresh, zones, source=upload.name,
                                                                        accept_warnings=bool(warnings) and accepted),
                  done=lambda _: st.success(tr("data.boundary_done")), refused=_show_error)


def _preview_map(new_zones: Any, current_zones: Any) -> None:
    """The file's towns (solid) over the current zones (dashed), side by side in one map."""
    import folium
    from streamlit_folium import st_folium

    bounds = new_zones.total_bounds
    m = folium.Map(tiles=None, prefer_canvas=True)
    m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    def _escaped(zones: Any) -> str:
        # names may come from the uploaded file: escape before they reach tooltip HTML
        out = zones[["town_code", "name_zh", "geometry"]].copy()
        for col in ("town_code", "name_zh"):
            out[col] = out[col].map(lambda v: html.escape(str(v)) if v is not None else "")
        return out.to_json()

    folium.GeoJson(
        _escaped(current_zones), name=tr("data.current_zones"),
        style_function=lambda f: {"color": "#888888", "weight": 1, "dashArray": "4 4", "fillOpacity": 0.05},
    ).add_to(m)
    folium.GeoJson(
        _escaped(new_zones), name=tr("data.new_zones"),
        style_function=lambda f: {"color": "#1f6feb", "weight": 2, "fillOpacity": 0.15},
        tooltip=folium.GeoJsonTooltip(fields=["town_code", "name_zh"]),
    ).add_to(m)
    folium.LayerControl().add_to(m)
    mapview.use_local_assets(m, leaflet_asset_base())
    st_folium(m, key="data_boundary_preview", height=420, returned_objects=[], use_container_width=True)


def _backup() -> None:
    from wufei_geo.io import backup

    st.subheader(tr("data.backup"))
    if st.button(tr("data.backup_make"), key="data_backup_make"):
        buf = io.BytesIO()

        def keep(_: Any) -> None:
            st.session_state["data_backup_bytes"] = buf.getvalue()

        login.act(get_store(), lambda fresh: backup.backup(get_store(), buf, actor=fresh), done=keep, refused=_show_error)
    if st.session_state.get("data_backup_bytes"):
        # made by the button above (the administrator's own action, checked by the core), kept for this session
        held = st.session_state["data_backup_bytes"]
        download(tr("data.backup_download"), lambda: held, f"wufei-backup-{dt.datetime.now():%Y%m%d-%H%M}.zip",
                 key="data_backup_dl")
    st.write(tr("data.restore"))
    upload = common.file_uploader(tr("data.restore_upload"), ["zip"], key="data_restore_upload")
    if upload is None:
        return
    try:
        preview = backup.preview(get_store(), io.BytesIO(upload.getvalue()))
    except backup.BackupError as exc:
        st.error(md_literal(err(exc)))
        return
    # what the backup brings (accounts and roles, signature, audit) as literal text, never markdown
    st.code("\n".join(preview.lines(lang())), language=None)
    accept_unsigned = False
    if not preview.trusted:
        st.warning(tr("data.restore_unsigned"))
        accept_unsigned = st.checkbox(tr("data.restore_accept_unsigned"), key="data_restore_accept_unsigned")
    sure = st.checkbox(tr("data.restore_confirm"), key="data_restore_sure")
    if st.button(tr("data.restore_go"), key="data_restore_go", disabled=not sure or not (preview.trusted or accept_unsigned),
                 type="primary"):
        summary = login.act(get_store(), lambda fresh: backup.restore(get_store(), io.BytesIO(upload.getvalue()), actor=fresh,
                                                                      accept_unsigned=accept_unsigned),
                            refused=_show_error)
        if summary is not None:
            login.session_lost(NotAuthenticated(tr("data.restored_login_again")))  # sessions are not in backups
            st.success(tr("data.restored", counts=("，" if lang() == "zh" else ", ").join(common.table_count(k, v) for k, v in summary.counts.items())))


def _show_error(exc: BaseException) -> None:
    st.error(md_literal(err(exc)))


# --- the page -----------------------------------------------------------------------------------
def render() -> None:
    st.title(tr("page.data"))
    catalog = get_catalog()
    filters = sidebar_filters(catalog)
    shown = common.filtered_sites(catalog, filters)
    # exports are public; writing needs a log-in (the form is shown in the bulk-update section)
    actor = login.current_actor(get_store())

    _exports(catalog, shown)
    st.divider()
    _bulk_update(actor, shown)
    if permissions.may(actor, "administer"):
        st.divider()
        _boundaries(catalog)
        places_import.render_section(actor)  # issue 24: places, all rows or none
        st.divider()
        _backup()


render()
