"""更新 / Update: town officials keep their own sites true; planners and administrators all sites.

The page only collects what the user typed and hands it to the core: ``Store.update_site``
checks the session, the rights (a town official: own town only), the values (capacity unit
against the category, dates, district bounds, notes) and the version the form was opened
with.  Every refusal is shown as the core's message and nothing is written.  Every write goes
through :func:`app_pages.login.act` (the one log-in check before a write).

Session state used here (none of it trusted by the core):
``update_site_id`` — the site being edited; ``update_opened`` — {site_id: version the form was
opened with}; ``update_click`` — the last point clicked on the small map; ``update_flash``.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from app_pages import inbox_panel, login, places_section, update_rounds
from app_pages.common import (
    get_catalog,
    get_store,
    keep_across_language,
    lang,
    leaflet_asset_base,
    show_table,
    tr,
)
from app_pages.forms import (
    amount_text,
    blank,
    confirmed_text,
    flash,
    history_frame,
    needs_note,
    parse_number,
    proposal_changes,
    refusal_text,
    rule_text,
    show_flash,
    site_name,
    source_text,
    unit_options,
    value_text,
)
from app_pages.site_attributes import site_attributes
from wufei_geo import analysis, i18n, mapview, permissions
from wufei_geo.errors import ImplausibleEdit, StaleVersion, WufeiError
from wufei_geo.mdtext import md_literal
from wufei_geo.model import DATUMS, MAX_NOTE_CHARS, STATUSES

SITE_KEY = "update_site_id"
OPENED_KEY = "update_opened"
CLICK_KEY = "update_click"
# {"site_id", "version", "rules"}: the last edit the core found implausible (offers "insist with a note")
INSIST_KEY = "update_insist_offer"


@dataclasses.dataclass
class _Page:
    """What every section of one run draws from."""

    store: Any
    actor: Any
    catalog: Any
    town_names: dict[str, str]
    names: dict[str, str]  # site id → name in the UI language
    L: str

    @property
    def planner(self) -> bool:
        """Oversees every town: opens rounds, sets design and baseline capacities (the core enforces each)."""
        return permissions.may(self.actor, "manage_rounds")

    @property
    def own_town(self) -> str | None:
        """The one town the actor keeps (None: every town)."""
        return permissions.town_scope(self.actor)


def render() -> None:
    L = lang()
    st.title(tr("update.title"))
    store = get_store()
    actor = login.require_actor(store)
    catalog = get_catalog()
    town_names = mapview.town_names(catalog.zones, catalog.towns, L)
    login.user_bar(store, actor, town_names.get(actor.town_code) if actor.town_code else None)
    show_flash()
    # opened from the inbox on a 待核实 proposal: its form first (the site's form is chosen below)
    focus = st.session_state.pop(inbox_panel.FOCUS_KEY, None)
    page = _Page(store, actor, catalog, town_names,
                 {str(r["site_id"]): site_name(r, L) for r in catalog.sites.to_dict("records")}, L)

    if focus == "proposal":
        _proposals(page)
    if focus == "places":  # opened from the inbox on a place's claim: the places first
        places_section.render_section(store, actor, town_names, L)
    # issue 12: the open update round (officials: what it asks of their town; planners: progress)
    current_round = store.current_round()
    round_todo = update_rounds.round_banner(store, actor, current_round, town_names)
    if page.planner:
        with st.expander(tr("round.header"), expanded=current_round is not None):
            update_rounds.planner_rounds(store, actor, catalog, current_round, town_names)
    sites = _site_list(page, round_todo)
    site_ids = [str(s) for s in sites["site_id"]]
    # issue 12: confirm unchanged, one by one or all shown; the town's update workbook
    if site_ids:
        update_rounds.confirm_list(store, actor, sites, page.names, round_todo)
    with st.expander(tr("workbook.header")):
        update_rounds.workbook_download(store, actor, catalog, current_round, town_names)
    site = _picked_site(page, site_ids)
    if site is not None:
        _site_section(page, site)
    if focus != "proposal":
        _proposals(page)
    if focus != "places":
        places_section.render_section(store, actor, town_names, L)  # issue 24: places of the town
    _history(page, site)
    if permissions.may(actor, "administer"):
        _admin(page)


# --- the list: own town's sites (all for planners/admins), overdue first ----------------------
def _site_list(page: _Page, round_todo: set[str]) -> pd.DataFrame:
    store, L, town_names = page.store, page.L, page.town_names
    sites = page.catalog.sites
    if page.own_town is not None:
        sites = sites[sites["town_code"].astype("string") == str(page.own_town)]
    sites = sites.assign(_overdue=sites["overdue"].fillna(False).astype(bool)).sort_values(
        ["_overdue", "site_id"], ascending=[False, True], kind="stable"
    )
    if "stale" not in sites:
        sites = sites.assign(stale=False)
    st.subheader(tr("update.my_sites") if page.own_town is not None else tr("update.all_sites"))
    st.caption(tr("update.count", n=len(sites), overdue=int(sites["_overdue"].sum())) + " "
               + tr("update.stale_count", n=int(sites["stale"].fillna(False).astype(bool).sum()),
                    months=store.settings.status_confirmation_months))
    site_ids = [str(s) for s in sites["site_id"]]
    if not site_ids:
        st.info(tr("update.no_sites"))
        return sites
    last_changes = store.last_changes()
    show_table(
        pd.DataFrame(
            {
                tr("field.site_id"): site_ids,
                tr("field.name"): [site_name(r, L) for r in sites.to_dict("records")],
                tr("field.category"): [i18n.category_label(c, L) for c in sites["category"]],
                tr("field.town"): [None if blank(c) else town_names.get(str(c), str(c)) for c in sites["town_code"]],
                tr("field.status"): [i18n.status_label(s, L) for s in sites["status"]],
                tr("field.overdue"): sites["_overdue"].to_numpy(),
                tr("field.pending"): (sites["pending"].fillna(False).astype(bool).to_numpy() if "pending" in sites
                                      else [False] * len(site_ids)),
                tr("field.last_change"): [i18n.last_change_label(last_changes.get(sid), L) or tr("common.none") for sid in site_ids],
                tr("field.status_confirmed"): [confirmed_text(v) for v in sites["status_confirmed_at"]],
                tr("field.stale"): sites["stale"].fillna(False).astype(bool).to_numpy(),
                tr("field.round_todo"): [sid in round_todo for sid in site_ids],
            }
        ),
        height=min(38 + 35 * len(site_ids), 320),
    )
    return sites


def _confirmer(name: str) -> str:
    """Who last confirmed a status: a user's name, or the plan itself (the seed's stamp)."""
    return tr("current.confirmer_plan") if str(name).split(" ", 1)[0] == "plan" else str(name)


def _pick_changed() -> None:
    st.session_state[SITE_KEY] = st.session_state["update_pick"]
    st.session_state.pop(CLICK_KEY, None)


def _picked_site(page: _Page, site_ids: list[str]) -> dict[str, Any] | None:
    """The site chosen in the pick list (the first one at first), read from the store."""
    names = page.names
    if site_ids:
        if st.session_state.get(SITE_KEY) is None:
            st.session_state[SITE_KEY] = site_ids[0]
        if st.session_state.get("update_pick") not in site_ids:
            chosen = st.session_state[SITE_KEY]
            st.session_state["update_pick"] = chosen if chosen in site_ids else site_ids[0]
        keep_across_language("update_pick")
        st.selectbox(
            tr("update.pick"),
            site_ids,
            format_func=lambda sid: f"{sid} · {names.get(sid, sid)}",
            key="update_pick",
            on_change=_pick_changed,
            placeholder=tr("common.choose"),
        )
    site_id = st.session_state.get(SITE_KEY)
    if not site_id:
        return None
    try:
        return page.store.get_site(str(site_id))
    except WufeiError as exc:
        login.show_refusal(exc)
        return None


# --- the picked site: what is stored, "still true", the form, the design capacity --------------
def _site_section(page: _Page, site: dict[str, Any]) -> None:
    site_id = str(site["site_id"])
    opened: dict[str, int] = st.session_state.setdefault(OPENED_KEY, {})
    if site_id not in opened:
        opened[site_id] = int(site["version"])
    version = opened[site_id]
    if not permissions.may(page.actor, "edit_site", site):
        st.warning(tr("update.not_yours"))
    _site_header(page, site)
    # issue 12: the status still holds → one click (the core checks the rights and the version)
    st.caption(tr("confirm.last", at=md_literal(confirmed_text(site.get("status_confirmed_at"))))
               + ("" if blank(site.get("status_confirmed_by")) else f" · {md_literal(_confirmer(site['status_confirmed_by']))}"))
    if st.button(tr("confirm.site_button"), key=f"upd_confirm_{site_id}_{version}"):
        login.act(page.store, lambda actor: page.store.confirm_site(actor, site_id, version),
                  done=lambda _: flash(tr("confirm.site_done", site_id=md_literal(site_id))))
    _edit_form(page, site, version)
    site_attributes(page.store, site, version, OPENED_KEY)  # issue 23: what indicators #47/#49/#58 read
    if page.planner:
        _design_capacity(page, site, version)


def _site_header(page: _Page, site: dict[str, Any]) -> None:
    site_id, L, town_names = str(site["site_id"]), page.L, page.town_names
    st.subheader(f"{md_literal(site_id)} · {md_literal(site_name(site, L))}")
    for pending in page.store.proposals(site_id=site_id):
        st.warning(tr("update.pending_here", id=pending["id"], who=md_literal(pending["proposed_by"]),
                      at=pending["proposed_at_local"], changes=md_literal(proposal_changes(pending, L))))
    with st.expander(tr("update.current", version=site["version"]), expanded=False):
        # st.table renders its cells as markdown: every value is escaped (a user name reaches
        # the status source, e.g. "official: **x**"), so each shows as the literal text.
        field_col, value_col = tr("current.col.field"), tr("current.col.value")
        st.table(
            pd.DataFrame(
                {
                    field_col: [
                        tr("field.category"), tr("field.town"), tr("field.status"), tr("field.status_as_of"),
                        tr("field.status_source"), tr("field.capacity"), tr("field.operating_capacity"),
                        tr("field.commissioned"), tr("field.target_year"), tr("field.lon"), tr("field.lat"),
                        tr("field.precision"), tr("field.location_source"), tr("field.source_ref"),
                        tr("field.expected_commissioning"), tr("field.served_villages"),
                        tr("current.baseline_capacity"),
                    ],
                    value_col: [md_literal(v) for v in (
                        i18n.category_label(site.get("category"), L),
                        town_names.get(str(site.get("town_code")), value_text(site.get("town_code"))),
                        i18n.status_label(site.get("status"), L),
                        value_text(site.get("status_as_of")),
                        source_text("status_source", site.get("status_source")),
                        amount_text(site.get("capacity_value"), site.get("capacity_unit")),
                        amount_text(site.get("operating_capacity_value"), site.get("operating_capacity_unit")),
                        value_text(site.get("commissioned")),
                        value_text(site.get("target_year")),
                        value_text(site.get("lon")),
                        value_text(site.get("lat")),
                        i18n.precision_label(site.get("precision"), L),
                        source_text("location_source", site.get("location_source")),
                        value_text(site.get("source_ref")),
                        value_text(site.get("expected_commissioning")),
                        "、".join(analysis.served_villages(site.get("served_villages")) or []) or tr("common.unknown"),
                        amount_text(site.get("baseline_capacity_value"), site.get("baseline_capacity_unit"))
                        if site.get("existing_facility") else "—",
                    )],
                }
            ).set_index(field_col)
        )


# --- the form (widget keys carry the opened version: a reload redraws them from the store) -------
def _edit_form(page: _Page, site: dict[str, Any], version: int) -> None:
    site_id = str(site["site_id"])
    k = f"{site_id}_{version}"
    st.markdown(f"**{tr('update.form')}**")
    typed = _value_fields(page, site, k)
    location, location_error = _location_fields(page, site_id, k, typed["loc_mode"])
    if typed["loc_mode"] != "keep":
        st.caption(tr("update.location_rule"))

    current_status = site.get("status")
    st.caption(tr("update.note_rule"))
    if needs_note(current_status, typed["status"]):
        st.warning(tr("update.note_needed", old=i18n.status_label(current_status, page.L),
                      new=i18n.status_label(typed["status"], page.L)))
    note = st.text_area(tr("update.note"), key=f"upd_note_{k}", max_chars=MAX_NOTE_CHARS)
    offer = st.session_state.get(INSIST_KEY)
    insist = False
    if offer and offer.get("site_id") == site_id and offer.get("version") == version:
        insist = st.checkbox(tr("update.insist"), key=f"upd_insist_{k}")
        st.caption(tr("update.insist_help"))
    if not st.button(tr("update.save"), type="primary", key=f"upd_save_{k}"):
        return
    changes = _changes(site, typed, location)
    if location_error:
        st.error(tr("update.refused", error=md_literal(location_error)))
    elif not changes and not note.strip():
        st.info(tr("update.nothing"))
    else:
        _save(page, site, version, changes, note or None, insist)


def _value_fields(page: _Page, site: dict[str, Any], k: str) -> dict[str, Any]:
    """Status, capacity, dates, served villages, the existing facility's capacity: what was typed
    and what the form started from (a value left as it was is no change)."""
    L = page.L
    current_status = site.get("status")
    # option widgets start from session state (not index=): a language switch can then re-assign
    # them (common.keep_across_language) and the form keeps what the user chose
    st.session_state.setdefault(f"upd_status_{k}", current_status if current_status in STATUSES else STATUSES[0])
    keep_across_language(f"upd_status_{k}", f"upd_unit_{k}", f"upd_locmode_{k}", f"upd_datum_{k}")
    v: dict[str, Any] = {}
    v["status"] = st.selectbox(tr("update.status"), list(STATUSES), format_func=lambda s: i18n.status_label(s, L),
                               key=f"upd_status_{k}", placeholder=tr("common.choose"))
    c1, c2 = st.columns([2, 1])
    v["cap_default"] = "" if blank(site.get("operating_capacity_value")) else f"{site['operating_capacity_value']:g}"
    v["cap_raw"] = c1.text_input(tr("update.capacity_value"), value=v["cap_default"], key=f"upd_cap_{k}")
    unit_now = site.get("operating_capacity_unit")
    v["unit_now"] = unit_now if not blank(unit_now) else None
    v["cap_unit"] = c2.selectbox(tr("update.capacity_unit"), unit_options(str(site.get("category")), v["unit_now"]),
                                 format_func=lambda u: i18n.unit_label(u, L) or u, key=f"upd_unit_{k}",
                                 placeholder=tr("common.choose"))
    v["commissioned_now"] = "" if blank(site.get("commissioned")) else str(site["commissioned"])
    v["commissioned"] = st.text_input(tr("update.commissioned"), value=v["commissioned_now"], key=f"upd_comm_{k}")
    # issue 11: the forecast uses the expected date; the villages target the villages a facility serves
    v["expected_now"] = "" if blank(site.get("expected_commissioning")) else str(site["expected_commissioning"])
    v["expected"] = st.text_input(tr("update.expected_commissioning"), value=v["expected_now"], key=f"upd_expected_{k}",
                                  help=tr("update.expected_help"))
    v["villages_now"], v["villages"] = "", ""
    if site.get("category") == "wet_waste":
        v["villages_now"] = "、".join(analysis.served_villages(site.get("served_villages")) or [])
        v["villages"] = st.text_input(tr("update.served_villages"), value=v["villages_now"], key=f"upd_villages_{k}",
                                      help=tr("update.served_villages_help"))
    # the capacity an existing facility had before its project (E.11): planners/admins, with a source note
    v["base_raw"], v["base_default"], v["base_unit"] = "", "", ""
    if bool(site.get("existing_facility")) and page.planner:
        b1, b2 = st.columns([2, 1])
        v["base_default"] = "" if blank(site.get("baseline_capacity_value")) else f"{site['baseline_capacity_value']:g}"
        v["base_raw"] = b1.text_input(tr("update.baseline_capacity"), value=v["base_default"], key=f"upd_base_{k}",
                                      help=tr("update.baseline_help"))
        base_now = site.get("baseline_capacity_unit")
        v["base_unit"] = b2.selectbox(tr("update.capacity_unit"),
                                      unit_options(str(site.get("category")), base_now if not blank(base_now) else None),
                                      format_func=lambda u: i18n.unit_label(u, L) or u, placeholder=tr("common.choose"),
                                      key=f"upd_baseunit_{k}")
    v["loc_mode"] = st.radio(tr("update.location_mode"), ["keep", "map", "typed"], format_func=lambda m: tr(f"loc.{m}"),
                             horizontal=True, key=f"upd_locmode_{k}")
    return v


def _changes(site: dict[str, Any], v: dict[str, Any], location: tuple[float, float, str] | None) -> dict[str, Any]:
    """What the form changes (the core parses and validates every value)."""
    changes: dict[str, Any] = {}
    if v["status"] != site.get("status"):
        changes["status"] = v["status"]
    cap_raw = v["cap_raw"].strip()
    if cap_raw and (cap_raw != v["cap_default"] or v["cap_unit"] != (v["unit_now"] or "")):
        changes["operating_capacity_value"] = cap_raw
        changes["operating_capacity_unit"] = v["cap_unit"]
    if v["commissioned"].strip() and v["commissioned"].strip() != v["commissioned_now"]:
        changes["commissioned"] = v["commissioned"].strip()
    if v["expected"].strip() != v["expected_now"]:
        changes["expected_commissioning"] = v["expected"].strip() or None
    if v["base_raw"].strip() and v["base_raw"].strip() != v["base_default"]:
        changes["baseline_capacity_value"] = v["base_raw"].strip()  # the core checks role and source note
        changes["baseline_capacity_unit"] = v["base_unit"]
    if v["villages"].strip() != v["villages_now"]:
        changes["served_villages"] = v["villages"].strip() or None  # the core splits and validates
    if location is not None:
        changes["location"] = location
    return changes


def _location_fields(page: _Page, site_id: str, k: str, mode: str) -> tuple[tuple[float, float, str] | None, str | None]:
    """(location, error): typed coordinates in a chosen datum, or a point clicked on a small map."""
    if mode == "typed":
        d1, d2, d3 = st.columns([2, 1, 1])
        datum = d1.selectbox(tr("update.datum"), list(DATUMS), format_func=lambda d: tr(f"datum.{d}"), key=f"upd_datum_{k}",
                             placeholder=tr("common.choose"))
        lon_raw = d2.text_input(tr("update.lon"), key=f"upd_lon_{k}")
        lat_raw = d3.text_input(tr("update.lat"), key=f"upd_lat_{k}")
        try:
            lon_v, lat_v = parse_number(lon_raw, tr("update.lon")), parse_number(lat_raw, tr("update.lat"))
        except ValueError as exc:
            return None, str(exc)
        return ((lon_v, lat_v, datum) if lon_v is not None and lat_v is not None else None), None
    if mode == "map":
        return _clicked_location(page, site_id), None
    return None, None


def _clicked_location(page: _Page, site_id: str) -> tuple[float, float, str] | None:
    catalog = page.catalog
    st.caption(tr("update.map_help"))
    small = folium.Map(location=list(mapview.DEFAULT_CENTER), zoom_start=11, tiles=None, control_scale=True)
    folium.GeoJson(
        catalog.district[["geometry"]].__geo_interface__, style_function=lambda _f: {"color": "#333", "weight": 2, "fill": False},
        interactive=False,
    ).add_to(small)
    folium.GeoJson(
        catalog.zones[["geometry"]].__geo_interface__,
        style_function=lambda _f: {"color": "#777", "weight": 1, "dashArray": "5 4", "fill": False},
        interactive=False,
    ).add_to(small)
    here = catalog.sites[catalog.sites["site_id"].astype(str) == site_id]
    if len(here) and not blank(here["display_lat"].iloc[0]) and not blank(here["display_lon"].iloc[0]):
        folium.CircleMarker(
            [float(here["display_lat"].iloc[0]), float(here["display_lon"].iloc[0])], radius=7,
            color="#1f78b4", fill=True, fill_opacity=0.6,
        ).add_to(small)
    clicked = st.session_state.get(CLICK_KEY)
    if clicked:
        folium.CircleMarker([clicked[1], clicked[0]], radius=6, color="#e31a1c", fill=True, fill_opacity=0.9).add_to(small)
    mapview.use_local_assets(small, leaflet_asset_base())  # no CDN: works offline
    out = st_folium(small, key=f"upd_map_{site_id}", returned_objects=["last_clicked"], height=360, use_container_width=True)
    last = (out or {}).get("last_clicked")
    if last and (clicked is None or (round(last["lng"], 7), round(last["lat"], 7)) != tuple(clicked)):
        st.session_state[CLICK_KEY] = (round(float(last["lng"]), 7), round(float(last["lat"]), 7))
        st.rerun()
    if not clicked:
        st.caption(tr("update.map_none"))
        return None
    st.write(tr("update.map_clicked", lon=f"{clicked[0]:.6f}", lat=f"{clicked[1]:.6f}"))
    return (float(clicked[0]), float(clicked[1]), "wgs84")


def _save(page: _Page, site: dict[str, Any], version: int, changes: dict[str, Any], note: str | None,
          insist: bool) -> None:
    """Hand the changes to the core; an implausible edit offers "insist with a note", a stale form
    says who changed what meanwhile."""
    site_id, store, town_names = str(site["site_id"]), page.store, page.town_names
    opened: dict[str, int] = st.session_state[OPENED_KEY]

    def refused(exc: WufeiError) -> None:
        if isinstance(exc, ImplausibleEdit):
            st.session_state[INSIST_KEY] = {"site_id": site_id, "version": version, "rules": exc.rules}
            lines = [rule_text(v.rule, v.params, v.message, town_names) for v in exc.violations]
            flash(tr("current.implausible", n=len(exc.rules)) + "\n\n" + "\n\n".join(md_literal(t) for t in lines)
                  + "\n\n" + tr("update.rule_design",
                                design=md_literal(amount_text(site.get("capacity_value"), site.get("capacity_unit"))))
                  + "\n\n" + tr("update.insist_help"), "error")
        elif isinstance(exc, StaleVersion):
            opened[site_id] = (int(exc.current_version) if exc.current_version is not None
                               else int(store.get_site(site_id)["version"]))
            rows = [
                tr("update.stale_row", at=md_literal(c.get("at_local") or ""), user=md_literal(c.get("user_name") or ""),
                   field=md_literal(c.get("field") or c.get("action") or ""), old=md_literal(value_text(c.get("old_value"))),
                   new=md_literal(value_text(c.get("new_value"))))
                for c in exc.changes
            ]
            flash(tr("update.stale") + "\n\n" + "\n\n".join(rows), "error")
        else:
            st.error(tr("update.refused", error=md_literal(refusal_text(exc, town_names))))

    def saved(result: dict[str, Any]) -> None:
        st.session_state.pop(INSIST_KEY, None)
        st.session_state.pop(CLICK_KEY, None)
        if result.get("proposal"):
            # the site's version did not move: empty the form by hand (its widget keys stay)
            k = f"{site_id}_{version}"
            for key in [key for key in st.session_state if str(key).startswith("upd_") and str(key).endswith(f"_{k}")]:
                del st.session_state[key]
            flash(tr("update.proposed", id=result["proposal"]["id"], site_id=md_literal(site_id)))
        else:
            opened[site_id] = int(result["version"])
            flash(tr("update.saved", site_id=md_literal(site_id), version=result["version"]))

    login.act(store, lambda actor: store.update_site(actor, site_id, changes, version, note, insist=insist),
              done=saved, refused=refused)


def _design_capacity(page: _Page, site: dict[str, Any], version: int) -> None:
    """Planners and administrators: the design capacity, with its source."""
    site_id, k, L, store = str(site["site_id"]), f"{site['site_id']}_{version}", page.L, page.store
    with st.expander(tr("update.design")):
        e1, e2 = st.columns([2, 1])
        design_raw = e1.text_input(tr("update.design_value"), key=f"upd_designval_{k}")
        design_unit = e2.selectbox(tr("update.capacity_unit"), unit_options(str(site.get("category")), site.get("capacity_unit")),
                                   format_func=lambda u: i18n.unit_label(u, L) or u, placeholder=tr("common.choose"),
                                   key=f"upd_design_unit_{k}")
        design_note = st.text_input(tr("update.design_source"), key=f"upd_design_note_{k}")
        if st.button(tr("update.design_submit"), key=f"upd_design_save_{k}"):

            def saved(result: dict[str, Any]) -> None:
                st.session_state[OPENED_KEY][site_id] = int(result["version"])
                flash(tr("update.design_saved", site_id=md_literal(site_id)))

            login.act(store, lambda actor: store.set_design_capacity(actor, site_id, design_raw, design_unit, design_note,
                                                                     version), done=saved)


# --- 待核实: edits awaiting confirmation (planners and administrators decide) ----------------------
def _proposals(page: _Page) -> None:
    store, L, names, town_names = page.store, page.L, page.names, page.town_names
    st.divider()
    st.subheader(tr("update.proposals"))
    pending_all = store.proposals(town_code=page.own_town)
    if not pending_all:
        st.caption(tr("update.proposals_none"))
        return
    show_table(
        pd.DataFrame({
            tr("proposal.col_id"): [p["id"] for p in pending_all],
            tr("proposal.col_site"): [f"{p['site_id']} · {names.get(p['site_id'], p['site_id'])}" for p in pending_all],
            tr("proposal.col_by"): [p["proposed_by"] for p in pending_all],
            tr("proposal.col_at"): [p["proposed_at_local"] for p in pending_all],
            tr("proposal.col_changes"): [proposal_changes(p, L) for p in pending_all],
            tr("proposal.col_rules"): ["; ".join(rule_text(r.get("rule"), r.get("params") or {}, r.get("message", ""), town_names)
                                                 for r in p["rules"]) for p in pending_all],
            tr("proposal.col_note"): [p["note"] for p in pending_all],
        }),
    )
    if not page.planner:
        return
    ids = [p["id"] for p in pending_all]
    pick = st.selectbox(tr("update.proposal_pick"), ids, placeholder=tr("common.choose"), key="proposal_pick",
                        format_func=lambda i: next(f"#{p['id']} · {p['site_id']} · {p['proposed_by']}" for p in pending_all if p["id"] == i))
    decision_note = st.text_input(tr("update.proposal_decision_note"), key="proposal_note")
    b1, b2 = st.columns(2)
    if b1.button(tr("update.proposal_confirm"), key="proposal_confirm", type="primary"):
        login.act(store, lambda a: store.confirm_proposal(a, int(pick), decision_note or None),
                  done=lambda done: flash(tr("update.proposal_confirmed", id=pick, site_id=md_literal(done["site_id"]))))
    if b2.button(tr("update.proposal_reject"), key="proposal_reject"):
        login.act(store, lambda a: store.reject_proposal(a, int(pick), decision_note),
                  done=lambda _: flash(tr("update.proposal_rejected", id=pick)))


# --- history -------------------------------------------------------------------------------
def _history(page: _Page, site: dict[str, Any] | None) -> None:
    store, L, town_names = page.store, page.L, page.town_names
    st.divider()
    st.subheader(tr("update.history"))
    tab_site, tab_town = st.tabs([tr("update.history_site"), tr("update.history_town")])
    with tab_site:
        rows = store.history(site_id=str(site["site_id"])) if site is not None else []
        if rows:
            show_table(history_frame(rows, L))
        else:
            st.caption(tr("update.history_empty"))
    with tab_town:
        if page.own_town is not None:
            town = page.own_town
        else:
            codes = [str(c) for c in page.catalog.zones["town_code"]]
            keep_across_language("update_hist_town")
            town = st.selectbox(tr("update.history_town_pick"), codes, format_func=lambda c: town_names.get(c, c),
                                key="update_hist_town", placeholder=tr("common.choose"))
        rows = store.history(town_code=town, limit=500) if town else []
        if rows:
            show_table(history_frame(rows, L))
        else:
            st.caption(tr("update.history_empty"))


# --- administrators: add and retire sites ---------------------------------------------------
def _admin(page: _Page) -> None:
    keep_across_language("add_category", "add_town", "add_status", "add_datum", "retire_pick")
    st.divider()
    st.subheader(tr("update.admin"))
    with st.expander(tr("update.add")):
        _add_site(page)
    with st.expander(tr("update.retire")):
        _retire_site(page)


def _add_site(page: _Page) -> None:
    store, L, town_names = page.store, page.L, page.town_names
    with st.form("update_add_site", clear_on_submit=False):
        new_id = st.text_input(tr("update.add_site_id"), key="add_site_id")
        new_zh = st.text_input(tr("update.add_name_zh"), key="add_name_zh")
        new_en = st.text_input(tr("update.add_name_en"), key="add_name_en")
        new_cat = st.selectbox(tr("field.category"), list(i18n.CATEGORY_LABELS), format_func=lambda c: i18n.category_label(c, L),
                               key="add_category", placeholder=tr("common.choose"))
        town_codes = [str(c) for c in page.catalog.zones["town_code"]]
        new_town = st.selectbox(tr("update.add_town"), town_codes, format_func=lambda c: town_names.get(c, c), key="add_town",
                                placeholder=tr("common.choose"))
        new_status = st.selectbox(tr("update.status"), list(STATUSES), format_func=lambda s: i18n.status_label(s, L),
                                  key="add_status", placeholder=tr("common.choose"))
        new_addr = st.text_input(tr("update.add_address"), key="add_address")
        a1, a2, a3 = st.columns([2, 1, 1])
        new_datum = a1.selectbox(tr("update.datum"), list(DATUMS), format_func=lambda d: tr(f"datum.{d}"), key="add_datum",
                                 placeholder=tr("common.choose"))
        new_lon = a2.text_input(tr("update.lon"), key="add_lon")
        new_lat = a3.text_input(tr("update.lat"), key="add_lat")
        new_note = st.text_area(tr("update.note"), key="add_note")
        add = st.form_submit_button(tr("update.add_submit"))
    if not add:
        return
    record: dict[str, Any] = {"site_id": new_id, "name_zh": new_zh, "category": new_cat, "town_code": new_town,
                              "status": new_status}
    if new_en.strip():
        record["name_en"] = new_en.strip()
    if new_addr.strip():
        record["address"] = new_addr.strip()
    try:
        lon_v, lat_v = parse_number(new_lon, tr("update.lon")), parse_number(new_lat, tr("update.lat"))
    except ValueError as exc:
        login.show_refusal(exc)
        return
    if lon_v is not None or lat_v is not None:
        record["location"] = (lon_v, lat_v, new_datum)
    login.act(store, lambda actor: store.add_site(actor, record, note=new_note or None),
              done=lambda added: flash(tr("update.added", site_id=md_literal(added["site_id"]))))


def _retire_site(page: _Page) -> None:
    store, names = page.store, page.names
    with st.form("update_retire_site"):
        all_ids = [str(s) for s in page.catalog.sites["site_id"]]
        retire_id = st.selectbox(tr("update.pick"), all_ids, format_func=lambda sid: f"{sid} · {names.get(sid, sid)}",
                                 key="retire_pick", placeholder=tr("common.choose"))
        retire_note = st.text_input(tr("update.retire_note"), key="retire_note")
        retire = st.form_submit_button(tr("update.retire_submit"))
    if retire:
        login.act(store, lambda actor: store.retire_site(actor, retire_id, retire_note),
                  done=lambda _: flash(tr("update.retired", site_id=md_literal(retire_id))))


render()
