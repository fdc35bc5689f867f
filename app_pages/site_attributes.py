"""The 更新 page's issue-23 section: the site attributes indicators #58, #49 and #47 read — online
monitoring (+ since when), pollution liability insurance (hazardous-waste operators) and
investment (元).  Unknown until entered; the core's validator (``site_rules``) and rights decide."""
from __future__ import annotations

from typing import Any

import streamlit as st

from app_pages import login
from app_pages.common import keep_across_language, tr
from app_pages.forms import flash
from wufei_geo.mdtext import md_literal

ANSWERS = ("unknown", "yes", "no")


def _answer(value: Any) -> str:
    return value if value in ("yes", "no") else "unknown"


def site_attributes(store: Any, site: dict[str, Any], version: int, opened_key: str) -> None:
    """An expander with the three attributes; saves only what changed, as one edit of the site."""
    site_id, k = str(site["site_id"]), f"{site['site_id']}_{version}"
    hazardous = site.get("category") == "hazardous_waste"
    keep_across_language(f"upd_attr_mon_{k}", f"upd_attr_ins_{k}")
    with st.expander(tr("siteattr.title")):
        st.caption(tr("siteattr.help"))
        monitoring = st.radio(tr("siteattr.online_monitoring"), ANSWERS, horizontal=True, key=f"upd_attr_mon_{k}",
                              index=ANSWERS.index(_answer(site.get("online_monitoring"))),
                              format_func=lambda a: tr(f"siteattr.answer.{a}"))
        since = st.text_input(tr("siteattr.since"), value=site.get("online_monitoring_since") or "",
                              key=f"upd_attr_since_{k}")
        insurance = None
        if hazardous:
            insurance = st.radio(tr("siteattr.insurance"), ANSWERS, horizontal=True, key=f"upd_attr_ins_{k}",
                                 index=ANSWERS.index(_answer(site.get("pollution_insurance"))),
                                 format_func=lambda a: tr(f"siteattr.answer.{a}"))
        stored = site.get("investment_yuan")
        investment = st.text_input(tr("siteattr.investment"), key=f"upd_attr_inv_{k}",
                                   value="" if stored is None or stored != stored else f"{float(stored):g}")
        if not st.button(tr("siteattr.save"), key=f"upd_attr_save_{k}"):
            return
        changes: dict[str, Any] = {}
        if monitoring != _answer(site.get("online_monitoring")):
            changes["online_monitoring"] = None if monitoring == "unknown" else monitoring
        if since.strip() != (site.get("online_monitoring_since") or ""):
            changes["online_monitoring_since"] = since.strip() or None
        if hazardous and insurance != _answer(site.get("pollution_insurance")):
            changes["pollution_insurance"] = None if insurance == "unknown" else insurance
        before = "" if stored is None or stored != stored else f"{float(stored):g}"
        if investment.strip() != before:
            changes["investment_yuan"] = investment.strip() or None
        if not changes:
            st.info(tr("siteattr.nothing"))
            return

        def saved(result: dict[str, Any]) -> None:
            st.session_state[opened_key][site_id] = int(result["version"])
            flash(tr("siteattr.saved", site_id=md_literal(site_id)))

        login.act(store, lambda actor: store.update_site(actor, site_id, changes, version, None), done=saved)
