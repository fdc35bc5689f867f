"""The 更新 page's places section (issue 24): town officials add and update the places of their town
(a 已建成 / 已命名 they enter becomes a 待核实 claim), planners and administrators any place, and
approve or reject the claims.  Everything goes to the core (:mod:`wufei_geo.places.store`) through
:func:`app_pages.login.act`; the rights and rules are the core's — a form here never hides a town
it would refuse, so the refusal is the core's."""
from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app_pages import login
from app_pages.common import show_table, tr
from app_pages.forms import flash
from wufei_geo import i18n, permissions
from wufei_geo.mdtext import md_literal
from wufei_geo.model import DATUMS, PRECISIONS
from wufei_geo.places.store import place_book
from wufei_geo.places.vocab import PLACE_STATUSES, PLACE_TYPES, status_label, type_label

_NONE = ""


def _name(row: dict[str, Any], L: str) -> str:
    en = row.get("name_en")
    return str(en if L == "en" and isinstance(en, str) and en else row.get("name_zh") or row.get("place_id"))


def render_section(store: Any, actor: Any, town_names: dict[str, str], L: str) -> None:
    """The section, in an expander (open while claims wait for a planner)."""
    book = place_book(store)
    places = book.frame()
    own_town = permissions.town_scope(actor)
    mine = places if own_town is None else places[places["town_code"] == own_town]
    claims = book.pending_claims()
    planner = permissions.may(actor, "decide_place_claim")
    with st.expander(tr("places.update.header", n=len(mine)), expanded=bool(planner and claims)):
        st.caption(tr("places.update.help"))
        _list(mine, town_names, L)
        _add_form(store, town_names, actor, L)
        if len(mine):
            _edit_form(store, mine, town_names, L)
        if planner:
            _claims(store, claims, town_names, L)


def _list(places: pd.DataFrame, town_names: dict[str, str], L: str) -> None:
    if not len(places):
        st.info(tr("places.update.none"))
        return
    show_table(pd.DataFrame({
        tr("places.field.id"): places["place_id"].to_numpy(),
        tr("field.name"): [_name(r, L) for r in places.to_dict("records")],
        tr("places.field.type"): [type_label(c, L) for c in places["place_type"]],
        tr("places.field.town"): [None if not isinstance(c, str) else town_names.get(c, c) for c in places["town_code"]],
        tr("places.field.status"): [status_label(s, L) + (" · " + tr("places.map.claim", status=status_label(c, L))
                                                          if isinstance(c, str) else "")
                                    for s, c in zip(places["status"], places["claim_status"], strict=True)],
        tr("places.field.status_source"): places["status_source"].to_numpy(),
    }))


def _location(lon: str, lat: str, datum: str) -> dict[str, Any]:
    return {"location": (lon, lat, datum)} if (lon or "").strip() or (lat or "").strip() else {}


def _add_form(store: Any, town_names: dict[str, str], actor: Any, L: str) -> None:
    towns = list(town_names)
    with st.form("pl_add", clear_on_submit=False):
        st.markdown("**" + md_literal(tr("places.update.add")) + "**")
        c1, c2 = st.columns(2)
        pid = c1.text_input(tr("places.field.id"), key="pl_add_id")
        ptype = c2.selectbox(tr("places.field.type"), [p.code for p in PLACE_TYPES],
                             format_func=lambda c: type_label(c, L), key="pl_add_type", placeholder=tr("common.choose"))
        name_zh = c1.text_input(tr("places.field.name_zh"), key="pl_add_name_zh")
        name_en = c2.text_input(tr("places.field.name_en"), key="pl_add_name_en")
        default = towns.index(actor.town_code) if actor.town_code in towns else 0
        town = c1.selectbox(tr("places.field.town"), towns, index=default, format_func=lambda c: town_names.get(c, c),
                            key="pl_add_town", placeholder=tr("common.choose"))
        status = c2.selectbox(tr("places.field.status"), [s.code for s in PLACE_STATUSES if s.code != "withdrawn"],
                              index=1, format_func=lambda s: status_label(s, L), key="pl_add_status", placeholder=tr("common.choose"))
        source = c1.text_input(tr("places.field.status_source"), key="pl_add_source")
        as_of = c2.text_input(tr("places.field.status_as_of"), key="pl_add_as_of", placeholder="YYYY-MM-DD")
        address = c1.text_input(tr("places.field.address"), key="pl_add_address")
        unit = c2.text_input(tr("places.field.unit"), key="pl_add_unit")
        lon = c1.text_input(tr("places.field.lon"), key="pl_add_lon")
        lat = c2.text_input(tr("places.field.lat"), key="pl_add_lat")
        datum = c1.selectbox(tr("places.field.datum"), list(DATUMS), key="pl_add_datum", placeholder=tr("common.choose"))
        note = c2.text_input(tr("places.field.note"), key="pl_add_note")
        if not st.form_submit_button(tr("places.update.add_button")):
            return
    record = {"place_id": pid.strip(), "name_zh": name_zh, "name_en": name_en, "place_type": ptype, "town_code": town,
              "status": status, "status_source": source, "status_as_of": as_of or None, "address": address,
              "responsible_unit": unit, **_location(lon, lat, datum)}
    login.act(store, lambda who: place_book(store).add(who, record, note or None),
              done=lambda p: flash(md_literal(tr("places.update.saved", place_id=p["place_id"]))))


def _edit_form(store: Any, places: pd.DataFrame, town_names: dict[str, str], L: str) -> None:
    ids = list(places["place_id"])
    names = {r["place_id"]: _name(r, L) for r in places.to_dict("records")}
    pid = st.selectbox(tr("places.update.pick"), ids, format_func=lambda p: f"{p} · {names.get(p, '')}",
                       key="pl_edit_pick", placeholder=tr("common.choose"))
    place = place_book(store).get(pid)
    towns = list(town_names)
    with st.form("pl_edit"):
        st.markdown("**" + md_literal(tr("places.update.edit", place_id=pid)) + "**")
        c1, c2 = st.columns(2)
        codes = [s.code for s in PLACE_STATUSES]
        status = c1.selectbox(tr("places.field.status"), codes, index=codes.index(place["status"]),
                              format_func=lambda s: status_label(s, L), key=f"pl_edit_status_{pid}", placeholder=tr("common.choose"))
        town = c2.selectbox(tr("places.field.town"), [_NONE, *towns],
                            index=([_NONE, *towns].index(place["town_code"]) if place["town_code"] in towns else 0),
                            format_func=lambda c: town_names.get(c, tr("places.update.no_town")) if c else
                            tr("places.update.no_town"), key=f"pl_edit_town_{pid}", placeholder=tr("common.choose"))
        source = c1.text_input(tr("places.field.status_source"), key=f"pl_edit_source_{pid}")
        as_of = c2.text_input(tr("places.field.status_as_of"), key=f"pl_edit_as_of_{pid}", placeholder="YYYY-MM-DD")
        lon = c1.text_input(tr("places.field.lon"), key=f"pl_edit_lon_{pid}")
        lat = c2.text_input(tr("places.field.lat"), key=f"pl_edit_lat_{pid}")
        datum = c1.selectbox(tr("places.field.datum"), list(DATUMS), key=f"pl_edit_datum_{pid}", placeholder=tr("common.choose"))
        precision = c2.selectbox(tr("places.field.precision"), [_NONE, *PRECISIONS], key=f"pl_edit_precision_{pid}",
                                 format_func=lambda p: i18n.precision_label(p, L) if p else "—", placeholder=tr("common.choose"))
        note = st.text_input(tr("places.field.note"), key=f"pl_edit_note_{pid}")
        submitted = st.form_submit_button(tr("places.update.save_button"))
    _place_history(store, pid, L)
    if not submitted:
        return
    changes: dict[str, Any] = {}
    if status != place["status"]:
        changes["status"] = status
    if source.strip():
        changes["status_source"] = source
    if as_of.strip():
        changes["status_as_of"] = as_of
    if (town or None) != place["town_code"]:
        changes["town_code"] = town or None
    if precision:
        changes["precision"] = precision
    changes.update(_location(lon, lat, datum))
    login.act(store, lambda who: place_book(store).update(who, pid, changes, place["version"], note or None),
              done=lambda p: flash(md_literal(tr("places.update.saved", place_id=p["place_id"]))))


def _claims(store: Any, claims: list[dict[str, Any]], town_names: dict[str, str], L: str) -> None:
    st.markdown("**" + md_literal(tr("places.update.claims", n=len(claims))) + "**")
    for claim in claims:
        pid = claim["place_id"]
        with st.container(border=True):
            st.markdown(md_literal(tr(
                "places.update.claim_line", place_id=pid, name=_name(claim, L), by=claim["claim_by"] or "",
                town=town_names.get(claim["town_code"] or "", claim["town_code"] or "—"),
                old=status_label(claim["status"], L), new=status_label(claim["claim_status"], L),
                source=claim["claim_source"] or "—")))
            note = st.text_input(tr("places.field.note"), key=f"pl_claim_note_{pid}")
            c1, c2 = st.columns(2)
            if c1.button(tr("places.update.approve"), key=f"pl_approve_{pid}"):
                login.act(store, lambda who, p=pid, n=note: place_book(store).decide_claim(who, p, True, n or None),
                          done=lambda p: flash(md_literal(tr("places.update.approved", place_id=p["place_id"]))))
            if c2.button(tr("places.update.reject"), key=f"pl_reject_{pid}"):
                login.act(store, lambda who, p=pid, n=note: place_book(store).decide_claim(who, p, False, n or None),
                          done=lambda p: flash(md_literal(tr("places.update.rejected", place_id=p["place_id"]))))


def _place_history(store: Any, place_id: str, L: str) -> None:
    """Who changed what on the place (times in Asia/Shanghai)."""
    rows = place_book(store).history(place_id=place_id)
    if not rows:
        return
    st.caption(tr("places.update.history", place_id=place_id))
    show_table(pd.DataFrame({
        tr("places.history.at"): [r["at_local"] for r in rows],
        tr("places.history.who"): [r["user_name"] for r in rows],
        tr("places.history.action"): [r["action"] for r in rows],
        tr("places.history.change"): [f"{r['field']}: {r['old_value'] or '—'} → {r['new_value'] or '—'}" if r["field"]
                                      else (r["new_value"] or "") for r in rows],
        tr("places.field.note"): [r["note"] or "" for r in rows],
    }))
