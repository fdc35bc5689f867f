"""更新 / Update: town officials keep their own sites true; planners and administrators all sites.

The page only collects what the user typed and hands it to the core: ``Store.update_site``
checks the session, the rights (a town official: own town only), the values (capacity unit
against the category, dates, district bounds, notes) and the version the form was opened
with.  Every refusal is shown as the core's message and nothing is written.

Session state used here (none of it trusted by the core):
``update_site_id`` — the site being edited; ``update_opened`` — {site_id: version the form was
opened with}; ``update_click`` — the last point clicked on the small map; ``update_flash``.
"""
from __future__ import annotations

import math
from typing import Any

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from app_pages import login, update_rounds
from app_pages.common import err, get_catalog, get_store, keep_across_language, lang, leaflet_asset_base, tr
from wufei_geo import analysis, i18n, mapview, site_rules
from wufei_geo.data_texts import localise
from wufei_geo.errors import ImplausibleEdit, NotAuthenticated, StaleVersion, WufeiError
from wufei_geo.mdtext import md_literal
from wufei_geo.model import DATUMS, MAX_NOTE_CHARS, NORM_UNIT, STATUSES

SITE_KEY = "update_site_id"
OPENED_KEY = "update_opened"
CLICK_KEY = "update_click"
FLASH_KEY = "update_flash"
# {"site_id", "version", "rules"}: the last edit the core found implausible (offers "insist with a note")
INSIST_KEY = "update_insist_offer"
# Units offered in the form; the core decides whether one fits the site's category.
UNIT_CHOICES = ("t/d", "kg/d", "t/yr", "万吨/年", "kW", "MW", "count")
_UNIT_KIND = {"t/d": "t/d", "kg/d": "t/d", "t/yr": "t/yr", "万吨/年": "t/yr", "kW": "kW", "MW": "kW", "count": "count"}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value == ""


def _text(value: Any) -> str:
    """A stored value as plain text (unknown → 未知)."""
    if _blank(value):
        return tr("common.unknown")
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _amount(value: Any, unit: Any) -> str:
    """A capacity with its unit label; an unknown value is 未知 alone (not "未知 吨/日")."""
    if _blank(value):
        return tr("common.unknown")
    return f"{_text(value)} {i18n.unit_label(unit, lang())}".strip()


def _source_text(field: str, value: Any) -> str:
    """A status/location source; the store's ``official`` marker in the UI language."""
    return tr("common.unknown") if _blank(value) else str(localise(i18n.audit_value_label(field, value, lang()), lang()))


def _name(row: Any, L: str) -> str:
    name_en, name_zh = row.get("name_en"), row.get("name_zh")
    if L == "en" and not _blank(name_en):
        return str(name_en)
    return str(name_zh) if not _blank(name_zh) else str(row.get("site_id"))


def needs_note(old: str | None, new: str) -> bool:
    """What the core requires (shown before submit): the core's own rule, site_rules.note_required."""
    return site_rules.note_required(old, new)


def rule_text(rule: str | None, params: dict[str, Any], fallback: str, town_names: dict[str, str] | None = None) -> str:
    """A refusal worded from its rule key and parameters in the UI language (the core's text if no wording)."""
    p = dict(params)
    unit = i18n.unit_label(p.get("unit"), lang()) or p.get("unit") or ""
    p["unit"] = unit
    if p.get("expected_unit"):
        p["expected_unit"] = i18n.unit_label(p["expected_unit"], lang()) or p["expected_unit"]
    if rule == "capacity_jump":
        p["design_text"] = tr("common.unknown") if p.get("design") is None else f"{p['design']:g} {unit}"
    if rule == "outside_own_zone":
        p["town"] = (town_names or {}).get(str(p.get("town_code")), str(p.get("town_code")))
    key = f"rule.{rule}"
    if rule and key in i18n.MESSAGES:
        try:
            return tr(key, **p)
        except (KeyError, ValueError, TypeError):
            pass
    return fallback


def refusal_text(exc: BaseException, town_names: dict[str, str] | None = None) -> str:
    """A refusal in the UI language: a plausibility rule worded here, everything else by its key."""
    rule = getattr(exc, "rule", None)
    if rule and f"rule.{rule}" in i18n.MESSAGES:
        return rule_text(rule, getattr(exc, "params", {}), err(exc), town_names)
    return err(exc)


def _proposal_changes(p: dict[str, Any], L: str) -> str:
    parts = []
    for k, v in p["new_values"].items():
        if k in ("precision", "location_source", "operating_capacity_norm"):
            continue
        old = i18n.audit_value_label(k, p["old_values"].get(k), L) or "—"
        new = i18n.audit_value_label(k, v, L) or "—"
        parts.append(f"{i18n.audit_field_label(k, L)}: {old} → {new}")
    return "; ".join(parts)


def unit_options(category: str, current: Any) -> list[str]:
    """Units that fit the category first (the core still validates), the site's own unit on top."""
    fits = [u for u in UNIT_CHOICES if _UNIT_KIND[u] == NORM_UNIT.get(category)]
    others = [u for u in UNIT_CHOICES if u not in fits]
    options = fits + others
    if not _blank(current) and str(current) not in options:
        options.insert(0, str(current))
    elif not _blank(current):
        options.remove(str(current))
        options.insert(0, str(current))
    return options


def _parse_number(raw: str, label: str) -> float | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return float(raw.replace(",", ""))
    except ValueError:
        raise ValueError(tr("update.bad_number", field=label, value=raw)) from None


# --- page ------------------------------------------------------------------------------------

L = lang()
st.title(tr("update.title"))
store = get_store()

actor = login.current_actor(store)
if actor is None:
    login.login_form(store)
    st.stop()

catalog = get_catalog()
town_names = mapview.town_names(catalog.zones, catalog.towns, L)
login.user_bar(store, actor, town_names.get(actor.town_code) if actor.town_code else None)

flash = st.session_state.pop(FLASH_KEY, None)
if flash:
    kind, message = flash
    (st.success if kind == "ok" else st.error)(message)
    if kind == "ok":
        st.toast(message)  # the banner is at the top; the save button may be far below

# --- issue 12: the open update round (officials: what it asks of their town; planners: progress)
current_round = store.current_round()
round_todo = update_rounds.round_banner(store, actor, current_round, town_names)
if actor.role in ("planner", "admin"):
    with st.expander(tr("round.header"), expanded=current_round is not None):
        update_rounds.planner_rounds(store, actor, catalog, current_round, town_names)

# --- the list: own town's sites (all for planners/admins), overdue first ----------------------
sites = catalog.sites
if actor.role == "town_official":
    sites = sites[sites["town_code"].astype("string") == str(actor.town_code)]
sites = sites.assign(_overdue=sites["overdue"].fillna(False).astype(bool)).sort_values(
    ["_overdue", "site_id"], ascending=[False, True], kind="stable"
)
if "stale" not in sites:
    sites = sites.assign(stale=False)
st.subheader(tr("update.my_sites") if actor.role == "town_official" else tr("update.all_sites"))
st.caption(tr("update.count", n=len(sites), overdue=int(sites["_overdue"].sum())) + " "
           + tr("update.stale_count", n=int(sites["stale"].fillna(False).astype(bool).sum()),
                months=store.settings.status_confirmation_months))
site_ids = [str(s) for s in sites["site_id"]]
last_changes = store.last_changes() if site_ids else {}
if site_ids:
    st.dataframe(
        pd.DataFrame(
            {
                tr("field.site_id"): site_ids,
                tr("field.name"): [_name(r, L) for r in sites.to_dict("records")],
                tr("field.category"): [i18n.category_label(c, L) for c in sites["category"]],
                tr("field.town"): ["" if _blank(c) else town_names.get(str(c), str(c)) for c in sites["town_code"]],
                tr("field.status"): [i18n.status_label(s, L) for s in sites["status"]],
                tr("field.overdue"): sites["_overdue"].to_numpy(),
                tr("field.pending"): (sites["pending"].fillna(False).astype(bool).to_numpy() if "pending" in sites
                                      else [False] * len(site_ids)),
                tr("field.last_change"): [i18n.last_change_label(last_changes.get(sid), L) for sid in site_ids],
                tr("field.status_confirmed"): [update_rounds.confirmed_text(v) for v in sites["status_confirmed_at"]],
                tr("field.stale"): sites["stale"].fillna(False).astype(bool).to_numpy(),
                tr("field.round_todo"): [sid in round_todo for sid in site_ids],
            }
        ),
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * len(site_ids), 320),
    )
else:
    st.info(tr("update.no_sites"))

names = {str(r["site_id"]): _name(r, L) for r in catalog.sites.to_dict("records")}
# issue 12: confirm unchanged, one by one or all shown; the town's update workbook
if site_ids:
    update_rounds.confirm_list(store, actor, sites, names, round_todo)
with st.expander(tr("workbook.header")):
    update_rounds.workbook_download(store, actor, catalog, current_round, town_names)


def _pick_changed() -> None:
    st.session_state[SITE_KEY] = st.session_state["update_pick"]
    st.session_state.pop(CLICK_KEY, None)


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
site: dict[str, Any] | None = None
if site_id:
    try:
        site = store.get_site(str(site_id))
    except WufeiError as exc:
        st.error(tr("update.refused", error=md_literal(err(exc))))
        site = None

if site is not None:
    site_id = str(site["site_id"])
    opened: dict[str, int] = st.session_state.setdefault(OPENED_KEY, {})
    if site_id not in opened:
        opened[site_id] = int(site["version"])
    version = opened[site_id]
    if actor.role == "town_official" and site.get("town_code") != actor.town_code:
        st.warning(tr("update.not_yours"))

    st.subheader(f"{md_literal(site_id)} · {md_literal(_name(site, L))}")
    for pending in store.proposals(site_id=site_id):
        st.warning(tr("update.pending_here", id=pending["id"], who=md_literal(pending["proposed_by"]),
                      at=pending["proposed_at_local"], changes=md_literal(_proposal_changes(pending, L))))
    with st.expander(tr("update.current", version=site["version"]), expanded=False):
        # st.table renders its cells as markdown: every value is escaped (a user name reaches
        # the status source, e.g. "official: **x**"), so each shows as the literal text.
        st.table(
            pd.DataFrame(
                {
                    "field": [
                        tr("field.category"), tr("field.town"), tr("field.status"), tr("field.status_as_of"),
                        tr("field.status_source"), tr("field.capacity"), tr("field.operating_capacity"),
                        tr("field.commissioned"), tr("field.target_year"), tr("field.lon"), tr("field.lat"),
                        tr("field.precision"), tr("field.location_source"), tr("field.source_ref"),
                    ],
                    "value": [md_literal(v) for v in (
                        i18n.category_label(site.get("category"), L),
                        town_names.get(str(site.get("town_code")), _text(site.get("town_code"))),
                        i18n.status_label(site.get("status"), L),
                        _text(site.get("status_as_of")),
                        _source_text("status_source", site.get("status_source")),
                        _amount(site.get("capacity_value"), site.get("capacity_unit")),
                        _amount(site.get("operating_capacity_value"), site.get("operating_capacity_unit")),
                        _text(site.get("commissioned")),
                        _text(site.get("target_year")),
                        _text(site.get("lon")),
                        _text(site.get("lat")),
                        i18n.precision_label(site.get("precision"), L),
                        _source_text("location_source", site.get("location_source")),
                        _text(site.get("source_ref")),
                    )],
                }
            ).set_index("field")
        )

    # --- issue 12: the status still holds → one click (the core checks the rights and the version)
    st.caption(tr("confirm.last", at=md_literal(update_rounds.confirmed_text(site.get("status_confirmed_at"))))
               + ("" if _blank(site.get("status_confirmed_by")) else f" · {md_literal(site.get('status_confirmed_by'))}"))
    if st.button(tr("confirm.site_button"), key=f"upd_confirm_{site_id}_{version}"):
        try:
            fresh = login.current_actor(store)
            if fresh is None:
                raise NotAuthenticated(st.session_state.get(login.NOTICE_KEY, "not logged in / 未登录"))
            store.confirm_site(fresh, site_id, version)
        except NotAuthenticated as exc:
            login.session_lost(exc)
            st.rerun()
        except WufeiError as exc:
            st.error(tr("update.refused", error=md_literal(err(exc))))
        else:
            st.session_state[FLASH_KEY] = ("ok", tr("confirm.site_done", site_id=md_literal(site_id)))
            st.rerun()

    # --- the form (widget keys carry the opened version: a reload redraws them from the store)
    k = f"{site_id}_{version}"
    st.markdown(f"**{tr('update.form')}**")
    current_status = site.get("status")
    # option widgets start from session state (not index=): a language switch can then re-assign
    # them (common.keep_across_language) and the form keeps what the user chose
    st.session_state.setdefault(f"upd_status_{k}", current_status if current_status in STATUSES else STATUSES[0])
    keep_across_language(f"upd_status_{k}", f"upd_unit_{k}", f"upd_locmode_{k}", f"upd_datum_{k}")
    status = st.selectbox(
        tr("update.status"),
        list(STATUSES),
        format_func=lambda s: i18n.status_label(s, L),
        key=f"upd_status_{k}",
        placeholder=tr("common.choose"),
    )
    c1, c2 = st.columns([2, 1])
    cap_default = "" if _blank(site.get("operating_capacity_value")) else f"{site['operating_capacity_value']:g}"
    cap_raw = c1.text_input(tr("update.capacity_value"), value=cap_default, key=f"upd_cap_{k}")
    unit_now = site.get("operating_capacity_unit")
    units = unit_options(str(site.get("category")), unit_now if not _blank(unit_now) else None)
    cap_unit = c2.selectbox(tr("update.capacity_unit"), units, format_func=lambda u: i18n.unit_label(u, L) or u, key=f"upd_unit_{k}", placeholder=tr("common.choose"))
    commissioned = st.text_input(
        tr("update.commissioned"), value="" if _blank(site.get("commissioned")) else str(site["commissioned"]), key=f"upd_comm_{k}"
    )
    # issue 11: the forecast uses the expected date; the villages target the villages a facility serves
    expected_now = "" if _blank(site.get("expected_commissioning")) else str(site["expected_commissioning"])
    expected = st.text_input(tr("update.expected_commissioning"), value=expected_now, key=f"upd_expected_{k}",
                             help=tr("update.expected_help"))
    villages_now = ""
    if site.get("category") == "wet_waste":
        villages_now = "、".join(analysis.served_villages(site.get("served_villages")) or [])
        villages = st.text_input(tr("update.served_villages"), value=villages_now, key=f"upd_villages_{k}",
                                 help=tr("update.served_villages_help"))
    else:
        villages = ""
    # the capacity an existing facility had before its project (E.11): planners/admins, with a source note
    base_raw, base_default, base_unit = "", "", ""
    if bool(site.get("existing_facility")) and actor.role in ("admin", "planner"):
        b1, b2 = st.columns([2, 1])
        base_default = "" if _blank(site.get("baseline_capacity_value")) else f"{site['baseline_capacity_value']:g}"
        base_raw = b1.text_input(tr("update.baseline_capacity"), value=base_default, key=f"upd_base_{k}",
                                 help=tr("update.baseline_help"))
        base_now = site.get("baseline_capacity_unit")
        base_unit = b2.selectbox(tr("update.capacity_unit"),
                                 unit_options(str(site.get("category")), base_now if not _blank(base_now) else None),
                                 format_func=lambda u: i18n.unit_label(u, L) or u, placeholder=tr("common.choose"), key=f"upd_baseunit_{k}")

    loc_mode = st.radio(
        tr("update.location_mode"), ["keep", "map", "typed"], format_func=lambda m: tr(f"loc.{m}"),
        horizontal=True, key=f"upd_locmode_{k}",
    )
    location: tuple[float, float, str] | None = None
    location_error: str | None = None
    if loc_mode == "typed":
        d1, d2, d3 = st.columns([2, 1, 1])
        datum = d1.selectbox(tr("update.datum"), list(DATUMS), format_func=lambda d: tr(f"datum.{d}"), key=f"upd_datum_{k}", placeholder=tr("common.choose"))
        lon_raw = d2.text_input(tr("update.lon"), key=f"upd_lon_{k}")
        lat_raw = d3.text_input(tr("update.lat"), key=f"upd_lat_{k}")
        try:
            lon_v, lat_v = _parse_number(lon_raw, tr("update.lon")), _parse_number(lat_raw, tr("update.lat"))
            if lon_v is not None and lat_v is not None:
                location = (lon_v, lat_v, datum)
        except ValueError as exc:
            location_error = str(exc)
    elif loc_mode == "map":
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
        if len(here) and not _blank(here["display_lat"].iloc[0]) and not _blank(here["display_lon"].iloc[0]):
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
        if clicked:
            st.write(tr("update.map_clicked", lon=f"{clicked[0]:.6f}", lat=f"{clicked[1]:.6f}"))
            location = (float(clicked[0]), float(clicked[1]), "wgs84")
        else:
            st.caption(tr("update.map_none"))
    if loc_mode != "keep":
        st.caption(tr("update.location_rule"))

    st.caption(tr("update.note_rule"))
    if needs_note(current_status, status):
        st.warning(
            tr("update.note_needed", old=i18n.status_label(current_status, L), new=i18n.status_label(status, L))
        )
    note = st.text_area(tr("update.note"), key=f"upd_note_{k}", max_chars=MAX_NOTE_CHARS)
    offer = st.session_state.get(INSIST_KEY)
    insist = False
    if offer and offer.get("site_id") == site_id and offer.get("version") == version:
        insist = st.checkbox(tr("update.insist"), key=f"upd_insist_{k}")
        st.caption(tr("update.insist_help"))

    if st.button(tr("update.save"), type="primary", key=f"upd_save_{k}"):
        changes: dict[str, Any] = {}
        if status != current_status:
            changes["status"] = status
        if cap_raw.strip() and (cap_raw.strip() != cap_default or cap_unit != (unit_now or "")):
            changes["operating_capacity_value"] = cap_raw.strip()  # the core parses and validates
            changes["operating_capacity_unit"] = cap_unit
        if commissioned.strip() and commissioned.strip() != ("" if _blank(site.get("commissioned")) else str(site["commissioned"])):
            changes["commissioned"] = commissioned.strip()
        if expected.strip() != expected_now:
            changes["expected_commissioning"] = expected.strip() or None
        if base_raw.strip() and base_raw.strip() != base_default:
            changes["baseline_capacity_value"] = base_raw.strip()  # the core parses, checks role and source note
            changes["baseline_capacity_unit"] = base_unit
        if villages.strip() != villages_now:
            changes["served_villages"] = villages.strip() or None  # the core splits and validates
        if location is not None:
            changes["location"] = location
        if location_error:
            st.error(tr("update.refused", error=md_literal(location_error)))
        elif not changes and not note.strip():
            st.info(tr("update.nothing"))
        else:
            try:
                fresh = login.current_actor(store)
                if fresh is None:
                    raise NotAuthenticated(st.session_state.get(login.NOTICE_KEY, "not logged in / 未登录"))
                saved = store.update_site(fresh, site_id, changes, version, note or None, insist=insist)
            except ImplausibleEdit as exc:
                st.session_state[INSIST_KEY] = {"site_id": site_id, "version": version, "rules": exc.rules}
                lines = [rule_text(v.rule, v.params, v.message, town_names) for v in exc.violations]
                st.session_state[FLASH_KEY] = (
                    "error", tr("update.implausible", rules=", ".join(exc.rules)) + "\n\n" + "\n\n".join(md_literal(t) for t in lines)
                    + "\n\n" + tr("update.rule_design", design=md_literal(_amount(site.get("capacity_value"), site.get("capacity_unit"))))
                    + "\n\n" + tr("update.insist_help"),
                )
                st.rerun()
            except StaleVersion as exc:
                opened[site_id] = int(exc.current_version) if exc.current_version is not None else int(store.get_site(site_id)["version"])
                rows = [
                    tr("update.stale_row", at=md_literal(c.get("at_local") or ""), user=md_literal(c.get("user_name") or ""),
                       field=md_literal(c.get("field") or c.get("action") or ""), old=md_literal(_text(c.get("old_value"))),
                       new=md_literal(_text(c.get("new_value"))))
                    for c in exc.changes
                ]
                st.session_state[FLASH_KEY] = ("error", tr("update.stale") + "\n\n" + "\n\n".join(rows))
                st.rerun()
            except NotAuthenticated as exc:
                login.session_lost(exc)
                st.rerun()
            except WufeiError as exc:
                params = getattr(exc, "params", {})
                st.error(tr("update.refused", error=md_literal(refusal_text(exc, town_names))))
            else:
                st.session_state.pop(INSIST_KEY, None)
                st.session_state.pop(CLICK_KEY, None)
                if saved.get("proposal"):
                    # the site's version did not move: empty the form by hand (its widget keys stay)
                    for key in [key for key in st.session_state if str(key).startswith("upd_") and str(key).endswith(f"_{k}")]:
                        del st.session_state[key]
                    st.session_state[FLASH_KEY] = ("ok", tr("update.proposed", id=saved["proposal"]["id"], site_id=md_literal(site_id)))
                else:
                    opened[site_id] = int(saved["version"])
                    st.session_state[FLASH_KEY] = ("ok", tr("update.saved", site_id=md_literal(site_id), version=saved["version"]))
                st.rerun()

    # --- planners and administrators: the design capacity, with its source
    if actor.role in ("planner", "admin"):
        with st.expander(tr("update.design")):
            e1, e2 = st.columns([2, 1])
            design_raw = e1.text_input(tr("update.design_value"), key=f"upd_designval_{k}")
            design_unit = e2.selectbox(tr("update.capacity_unit"), unit_options(str(site.get("category")), site.get("capacity_unit")),
                                       format_func=lambda u: i18n.unit_label(u, L) or u, placeholder=tr("common.choose"), key=f"upd_design_unit_{k}")
            design_note = st.text_input(tr("update.design_source"), key=f"upd_design_note_{k}")
            if st.button(tr("update.design_submit"), key=f"upd_design_save_{k}"):
                try:
                    fresh = login.current_actor(store)
                    if fresh is None:
                        raise NotAuthenticated(st.session_state.get(login.NOTICE_KEY, "not logged in / 未登录"))
                    saved = store.set_design_capacity(fresh, site_id, design_raw, design_unit, design_note, version)
                except NotAuthenticated as exc:
                    login.session_lost(exc)
                    st.rerun()
                except WufeiError as exc:
                    st.error(tr("update.refused", error=md_literal(err(exc))))
                else:
                    opened[site_id] = int(saved["version"])
                    st.session_state[FLASH_KEY] = ("ok", tr("update.design_saved", site_id=md_literal(site_id)))
                    st.rerun()

# --- 待核实: edits awaiting confirmation (planners and administrators decide) ----------------------
st.divider()
st.subheader(tr("update.proposals"))
pending_all = store.proposals(town_code=actor.town_code if actor.role == "town_official" else None)
if not pending_all:
    st.caption(tr("update.proposals_none"))
else:
    st.dataframe(
        pd.DataFrame({
            tr("proposal.col_id"): [p["id"] for p in pending_all],
            tr("proposal.col_site"): [f"{p['site_id']} · {names.get(p['site_id'], p['site_id'])}" for p in pending_all],
            tr("proposal.col_by"): [p["proposed_by"] for p in pending_all],
            tr("proposal.col_at"): [p["proposed_at_local"] for p in pending_all],
            tr("proposal.col_changes"): [_proposal_changes(p, L) for p in pending_all],
            tr("proposal.col_rules"): ["; ".join(rule_text(r.get("rule"), r.get("params") or {}, r.get("message", ""), town_names)
                                                 for r in p["rules"]) for p in pending_all],
            tr("proposal.col_note"): [p["note"] for p in pending_all],
        }),
        hide_index=True, width="stretch",
    )
    if actor.role in ("planner", "admin"):
        ids = [p["id"] for p in pending_all]
        pick = st.selectbox(tr("update.proposal_pick"), ids, placeholder=tr("common.choose"), key="proposal_pick",
                            format_func=lambda i: next(f"#{p['id']} · {p['site_id']} · {p['proposed_by']}" for p in pending_all if p["id"] == i))
        decision_note = st.text_input(tr("update.proposal_decision_note"), key="proposal_note")
        b1, b2 = st.columns(2)
        confirm = b1.button(tr("update.proposal_confirm"), key="proposal_confirm", type="primary")
        reject = b2.button(tr("update.proposal_reject"), key="proposal_reject")
        if confirm or reject:
            try:
                fresh = login.current_actor(store)
                if fresh is None:
                    raise NotAuthenticated(st.session_state.get(login.NOTICE_KEY, "not logged in / 未登录"))
                if confirm:
                    done = store.confirm_proposal(fresh, int(pick), decision_note or None)
                    message = tr("update.proposal_confirmed", id=pick, site_id=md_literal(done["site_id"]))
                else:
                    store.reject_proposal(fresh, int(pick), decision_note)
                    message = tr("update.proposal_rejected", id=pick)
            except NotAuthenticated as exc:
                login.session_lost(exc)
                st.rerun()
            except WufeiError as exc:
                st.error(tr("update.refused", error=md_literal(err(exc))))
            else:
                st.session_state[FLASH_KEY] = ("ok", message)
                st.rerun()

# --- history -------------------------------------------------------------------------------


def _history_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:

    return pd.DataFrame(
        {
            tr("hist.at"): [r.get("at_local") or "" for r in rows],
            tr("hist.user"): [r.get("user_name") or "" for r in rows],
            tr("hist.site"): [r.get("site_id") or "" for r in rows],
            tr("hist.action"): [i18n.t(f"action.{r.get('action')}", L) if f"action.{r.get('action')}" in i18n.MESSAGES else str(r.get("action")) for r in rows],
            tr("hist.field"): [i18n.audit_field_label(r.get("field"), L) for r in rows],
            tr("hist.old"): [i18n.audit_value_label(r.get("field"), r.get("old_value"), L) for r in rows],
            tr("hist.new"): [i18n.audit_value_label(r.get("field"), r.get("new_value"), L) for r in rows],
            tr("hist.note"): [r.get("note") or "" for r in rows],
        }
    )


st.divider()
st.subheader(tr("update.history"))
tab_site, tab_town = st.tabs([tr("update.history_site"), tr("update.history_town")])
with tab_site:
    rows = store.history(site_id=str(site_id)) if site is not None else []
    if rows:
        st.dataframe(_history_frame(rows), hide_index=True, width="stretch")
    else:
        st.caption(tr("update.history_empty"))
with tab_town:
    if actor.role == "town_official":
        town = actor.town_code
    else:
        codes = [str(c) for c in catalog.zones["town_code"]]
        keep_across_language("update_hist_town")
        town = st.selectbox(tr("update.history_town_pick"), codes, format_func=lambda c: town_names.get(c, c), key="update_hist_town", placeholder=tr("common.choose"))
    rows = store.history(town_code=town, limit=500) if town else []
    if rows:
        st.dataframe(_history_frame(rows), hide_index=True, width="stretch")
    else:
        st.caption(tr("update.history_empty"))

# --- administrators: add and retire sites ---------------------------------------------------

if actor.role == "admin":
    keep_across_language("add_category", "add_town", "add_status", "add_datum", "retire_pick")
    st.divider()
    st.subheader(tr("update.admin"))
    with st.expander(tr("update.add")):
        with st.form("update_add_site", clear_on_submit=False):
            new_id = st.text_input(tr("update.add_site_id"), key="add_site_id")
            new_zh = st.text_input(tr("update.add_name_zh"), key="add_name_zh")
            new_en = st.text_input(tr("update.add_name_en"), key="add_name_en")
            new_cat = st.selectbox(tr("field.category"), list(i18n.CATEGORY_LABELS), format_func=lambda c: i18n.category_label(c, L), key="add_category", placeholder=tr("common.choose"))
            town_codes = [str(c) for c in catalog.zones["town_code"]]
            new_town = st.selectbox(tr("update.add_town"), town_codes, format_func=lambda c: town_names.get(c, c), key="add_town", placeholder=tr("common.choose"))
            new_status = st.selectbox(tr("update.status"), list(STATUSES), format_func=lambda s: i18n.status_label(s, L), key="add_status", placeholder=tr("common.choose"))
            new_addr = st.text_input(tr("update.add_address"), key="add_address")
            a1, a2, a3 = st.columns([2, 1, 1])
            new_datum = a1.selectbox(tr("update.datum"), list(DATUMS), format_func=lambda d: tr(f"datum.{d}"), key="add_datum", placeholder=tr("common.choose"))
            new_lon = a2.text_input(tr("update.lon"), key="add_lon")
            new_lat = a3.text_input(tr("update.lat"), key="add_lat")
            new_note = st.text_area(tr("update.note"), key="add_note")
            add = st.form_submit_button(tr("update.add_submit"))
        if add:
            record: dict[str, Any] = {
                "site_id": new_id, "name_zh": new_zh, "category": new_cat, "town_code": new_town, "status": new_status,
            }
            if new_en.strip():
                record["name_en"] = new_en.strip()
            if new_addr.strip():
                record["address"] = new_addr.strip()
            try:
                lon_v, lat_v = _parse_number(new_lon, tr("update.lon")), _parse_number(new_lat, tr("update.lat"))
                if lon_v is not None or lat_v is not None:
                    record["location"] = (lon_v, lat_v, new_datum)
                fresh = login.current_actor(store)
                if fresh is None:
                    raise NotAuthenticated(st.session_state.get(login.NOTICE_KEY, "not logged in / 未登录"))
                added = store.add_site(fresh, record, note=new_note or None)
            except NotAuthenticated as exc:
                login.session_lost(exc)
                st.rerun()
            except (WufeiError, ValueError) as exc:
                st.error(tr("update.refused", error=md_literal(err(exc))))
            else:
                st.session_state[FLASH_KEY] = ("ok", tr("update.added", site_id=md_literal(added["site_id"])))
                st.rerun()
    with st.expander(tr("update.retire")):
        with st.form("update_retire_site"):
            all_ids = [str(s) for s in catalog.sites["site_id"]]
            retire_id = st.selectbox(tr("update.pick"), all_ids, format_func=lambda sid: f"{sid} · {names.get(sid, sid)}", key="retire_pick", placeholder=tr("common.choose"))
            retire_note = st.text_input(tr("update.retire_note"), key="retire_note")
            retire = st.form_submit_button(tr("update.retire_submit"))
        if retire:
            try:
                fresh = login.current_actor(store)
                if fresh is None:
                    raise NotAuthenticated(st.session_state.get(login.NOTICE_KEY, "not logged in / 未登录"))
                store.retire_site(fresh, retire_id, retire_note)
            except NotAuthenticated as exc:
                login.session_lost(exc)
                st.rerun()
            except WufeiError as exc:
                st.error(tr("update.refused", error=md_literal(err(exc))))
            else:
                st.session_state[FLASH_KEY] = ("ok", tr("update.retired", site_id=md_literal(retire_id)))
                st.rerun()
