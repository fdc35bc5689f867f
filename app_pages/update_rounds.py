"""更新 page, issue 12 parts: the open update round, confirming statuses unchanged, the town workbook.

Thin: every decision is the core's — ``Store.confirm_site``/``confirm_sites`` (rights, versions,
audit), ``Store.open_round``/``close_round``/``round_progress``, the stale flag of the catalog
(``analysis.stale_flags`` with ``Settings.status_confirmation_months``) and
``excel.town_workbook`` (built when its download is clicked).  Imported by ``app_pages/pages/update.py`` (not a page of its own).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from app_pages import login
from app_pages.common import keep_across_language, lang, show_table, tr
from app_pages.downloads import download
from app_pages.forms import confirmed_text, flash
from wufei_geo import i18n, permissions
from wufei_geo.io import excel
from wufei_geo.mdtext import md_literal
from wufei_geo.model import CATEGORIES

SEEN_KEY = "confirm_seen"  # {site_id: version the list showed}


def round_todo(store: Any, rnd: dict[str, Any] | None, town_code: str | None) -> set[str]:
    """Sites of ``town_code`` the open round still asks about (none without a round)."""
    if rnd is None or not town_code:
        return set()
    sites = store.round_sites(rnd["id"], town_code)
    return {str(s) for s in sites.loc[~sites["answered"], "site_id"]}


def round_banner(store: Any, actor: Any, rnd: dict[str, Any] | None, town_names: dict[str, str]) -> set[str]:
    """An official's view of the open round: what it asks, by when, and how many of the town's sites
    are still to confirm.  Returns those site ids."""
    if rnd is None or permissions.town_scope(actor) is None:
        return set()
    if rnd["towns"] and actor.town_code not in rnd["towns"]:
        return set()
    sites = store.round_sites(rnd["id"], actor.town_code)
    todo = {str(s) for s in sites.loc[~sites["answered"], "site_id"]}
    cats = "、".join(i18n.category_label(c, lang()) for c in rnd["categories"]) or tr("round.all_categories")
    text = tr("round.banner", title=md_literal(rnd["title"]), deadline=md_literal(rnd["deadline"] or "—"), categories=md_literal(cats),
              todo=len(todo), total=len(sites))
    (st.warning if todo else st.success)(text)
    return todo


def confirm_list(store: Any, actor: Any, sites: pd.DataFrame, names: dict[str, str], todo: set[str]) -> None:
    """A "confirm unchanged" button per shown site and one for all shown (one transaction)."""
    L = lang()
    if not len(sites):
        return
    st.markdown(f"**{tr('confirm.header')}**")
    st.caption(tr("confirm.help"))
    only = st.checkbox(tr("confirm.only_todo"), key="confirm_only_todo", value=bool(todo))
    shown = sites
    if only:
        mask = sites["site_id"].astype(str).isin(todo) | sites["stale"].fillna(False).astype(bool)
        shown = sites[mask.to_numpy()]
    if not len(shown):
        st.caption(tr("confirm.none_left"))
        return
    # the version each row showed on the previous run: a click confirms what the user saw (a site
    # changed meanwhile is refused by the core, with who changed what)
    seen: dict[str, int] = st.session_state.setdefault(SEEN_KEY, {})
    before = dict(seen)
    for rec in shown.to_dict("records"):
        seen[str(rec["site_id"])] = int(rec["version"])

    def shown_version(rec: dict[str, Any]) -> int:
        return before.get(str(rec["site_id"]), int(rec["version"]))

    if len(shown) <= 60:
        for rec in shown.to_dict("records"):
            sid = str(rec["site_id"])
            c1, c2 = st.columns([5, 1.4])
            flags = []
            if sid in todo:
                flags.append(tr("confirm.flag_round"))
            if bool(rec.get("stale")):
                flags.append(tr("confirm.flag_stale"))
            c1.markdown(f"{md_literal(sid)} · {md_literal(names.get(sid, sid))} · {md_literal(i18n.status_label(rec.get('status'), L))} · "
                        + tr("confirm.last", at=md_literal(confirmed_text(rec.get("status_confirmed_at"))))
                        + (" · **" + " · ".join(flags) + "**" if flags else ""))
            if c2.button(tr("confirm.button"), key=f"confirm_{sid}"):
                _do_confirm(store, [(sid, shown_version(rec))])
    else:
        st.caption(tr("confirm.too_many", n=len(shown)))
    if st.button(tr("confirm.all", n=len(shown)), key="confirm_all"):
        _do_confirm(store, [(str(r["site_id"]), shown_version(r)) for r in shown.to_dict("records")])


def _do_confirm(store: Any, items: list[tuple[str, int]]) -> None:
    def confirm(actor: Any) -> None:
        if len(items) == 1:
            store.confirm_site(actor, items[0][0], items[0][1])
        else:
            store.confirm_sites(actor, items)

    ids = ", ".join(sid for sid, _ in items)
    login.act(store, confirm, done=lambda _: flash(tr("confirm.done", n=len(items), sites=md_literal(ids))))


def workbook_download(store: Any, actor: Any, catalog: Any, rnd: dict[str, Any] | None, town_names: dict[str, str]) -> None:
    """The town's update workbook: officials their own town, planners and administrators any town."""
    town = permissions.town_scope(actor)
    if town is None:
        # the towns, then the district-level sites (no town: the planners' to keep)
        codes = [str(c) for c in catalog.zones["town_code"]] + [excel.DISTRICT]
        names = {**town_names, excel.DISTRICT: tr("round.district_sites")}
        keep_across_language("workbook_town")
        town = st.selectbox(tr("workbook.town"), codes, format_func=lambda c: names.get(c, c), key="workbook_town",
                            placeholder=tr("common.choose"))
    if not town:
        return
    name = tr("round.district_sites") if town == excel.DISTRICT else town_names.get(str(town), str(town))
    sites = catalog.sites
    months = store.settings.status_confirmation_months
    download(tr("workbook.download", town=md_literal(name)),
             lambda: excel.town_workbook(sites, str(town), name, rnd, months,
                                         sites["stale"] if "stale" in sites else None),
             f"wufei-update-{town}.xlsx", key="workbook_download")
    st.caption(tr("workbook.help"))


def planner_rounds(store: Any, actor: Any, catalog: Any, rnd: dict[str, Any] | None, town_names: dict[str, str]) -> None:
    """Planners and administrators: open a round, follow its progress per town, close it."""
    if not permissions.may(actor, "manage_rounds"):
        return
    L = lang()
    if rnd is not None:
        cats = "、".join(i18n.category_label(c, L) for c in rnd["categories"]) or tr("round.all_categories")
        st.markdown(tr("round.open_now", id=rnd["id"], title=md_literal(rnd["title"]), deadline=md_literal(rnd["deadline"] or "—"),
                       categories=md_literal(cats), by=md_literal(rnd["opened_by"]), at=rnd["opened_at_local"]))
        progress = store.round_progress(rnd["id"])
        # st.table (an HTML table, at most 11 rows): its cells are markdown, so every text is escaped
        st.table(
            pd.DataFrame({
                tr("round.col_town"): [md_literal(tr("round.district_sites") if p["town_code"] == excel.DISTRICT
                                                  else town_names.get(p["town_code"], p["town_code"])) for p in progress],
                tr("round.col_answered"): [p["answered"] for p in progress],
                tr("round.col_total"): [p["total"] for p in progress],
                tr("round.col_progress"): [f"{p['answered']} / {p['total']}" for p in progress],
                tr("round.col_last"): [md_literal(f"{p['last_answer_at_local']} · {p['last_answer_by']}") if p["last_answer_at"]
                                       else "—" for p in progress],
            }).set_index(tr("round.col_town"))
        )
        answers = store.round_answers(rnd["id"])
        if answers:
            with st.expander(tr("round.answers", n=len(answers))):
                show_table(pd.DataFrame({
                    tr("round.col_at"): [a["answered_at_local"] for a in reversed(answers)],
                    tr("round.col_by"): [a["answered_by"] for a in reversed(answers)],
                    tr("round.col_town"): [town_names.get(str(a["town_code"]), str(a["town_code"])) if a["town_code"]
                                           else tr("round.district_sites") for a in reversed(answers)],
                    tr("round.col_site"): [a["site_id"] for a in reversed(answers)],
                    tr("round.col_answer"): [tr(f"round.answer.{a['answer']}") for a in reversed(answers)],
                }))
        if st.button(tr("round.close"), key="round_close"):
            login.act(store, lambda actor: store.close_round(actor, rnd["id"]),
                      done=lambda _: flash(tr("round.closed", id=rnd["id"])))
    else:
        st.caption(tr("round.none"))
        with st.form("round_open_form"):
            title = st.text_input(tr("round.title"), key="round_title")
            deadline = st.date_input(tr("round.deadline"), value=store.today() + dt.timedelta(days=30), key="round_deadline")
            codes = [str(c) for c in catalog.zones["town_code"]]
            towns = st.multiselect(tr("round.towns"), codes, format_func=lambda c: town_names.get(c, c), key="round_towns", placeholder=tr("common.all"), select_all=False)
            cats = st.multiselect(tr("round.categories"), list(CATEGORIES), format_func=lambda c: i18n.category_label(c, L),
                                  key="round_categories", placeholder=tr("common.all"), select_all=False)
            submitted = st.form_submit_button(tr("round.open"), type="primary")
        if submitted:
            login.act(store, lambda actor: store.open_round(actor, title, deadline, towns, cats),
                      done=lambda opened: flash(tr("round.opened", id=opened["id"], title=md_literal(opened["title"]))))
    past = [r for r in store.rounds() if r["status"] == "closed"]
    if past:
        with st.expander(tr("round.past", n=len(past))):
            show_table(pd.DataFrame({
                tr("round.col_id"): [r["id"] for r in past],
                tr("round.title"): [r["title"] for r in past],
                tr("round.deadline"): [r["deadline"] or "—" for r in past],
                tr("round.col_opened"): [f"{r['opened_at_local']} · {r['opened_by']}" for r in past],
                tr("round.col_closed"): [f"{r['closed_at_local']} · {r['closed_by']}" for r in past],
                tr("round.col_answers"): [len(store.round_answers(r["id"])) for r in past],
            }))
