"""The inbox at the top of every page and its count in the navigation: what waits for the logged-in
user (:func:`wufei_geo.inbox.inbox` — the core owns the list), each item with a button that opens
the form resolving it (the 更新 page on the site or the 待核实 proposal; the 数据 page's bulk import)."""
from __future__ import annotations

from typing import Any

import streamlit as st

from app_pages import memo
from app_pages.common import catalog_version, get_catalog, lang, tr
from wufei_geo import inbox
from wufei_geo.mdtext import md_literal

# Set by an inbox button, read by the 更新 page: which form to open first ("proposal" | "site").
FOCUS_KEY = "inbox_focus"
SHOWN = 8  # items listed at the top of a page; the rest are counted
UPDATE_PAGE = "app_pages/pages/update.py"
DATA_PAGE = "app_pages/pages/data.py"
INDICATORS_PAGE = "app_pages/pages/indicators.py"


def inbox_items(store: Any, actor: Any) -> list[inbox.InboxItem]:
    """The actor's items (none without a login), computed once per data version, account and day:
    every page shows them on every rerun (a filter click, a pan of the map's page)."""
    if actor is None:
        return []
    who = (actor.name, actor.role, getattr(actor, "town_code", None), getattr(actor, "department", None))
    # the version changes with every write the items read (sites, the audit of proposals, rounds and
    # register values, places); today with the day (stale statuses, recent rejections)
    def build() -> tuple[inbox.InboxItem, ...]:
        catalog = get_catalog()
        return tuple(inbox.inbox(store, actor, sites=catalog.sites, targets=catalog.targets))

    return list(memo.once("inbox", (catalog_version(), who, store.today()), build, 256))


def nav_suffix(items: list[inbox.InboxItem]) -> str:
    """'（3）' after the 更新 page's name in the navigation (nothing when nothing waits)."""
    return f"（{len(items)}）" if lang() != "en" and items else (f" ({len(items)})" if items else "")


def _open(item: inbox.InboxItem) -> None:
    if item.form in ("bulk",):
        st.switch_page(DATA_PAGE)
    if item.form == "indicators":
        st.switch_page(INDICATORS_PAGE)
    if item.site_id:
        st.session_state["update_site_id"] = item.site_id
        st.session_state["update_pick"] = item.site_id
    if item.form == "proposal" and item.proposal_id is not None:
        st.session_state["proposal_pick"] = item.proposal_id
    st.session_state[FOCUS_KEY] = item.form if item.form in ("proposal", "places") else "site"
    st.switch_page(UPDATE_PAGE)


def show_inbox(items: list[inbox.InboxItem]) -> None:
    """The headline ('待办：1 条待核实 · …') and the items, each with its button."""
    if not items:
        return
    L = lang()
    with st.container(key="inbox"):
        st.warning(tr("inbox.title") + ": " + md_literal(inbox.headline(items, L)), icon=":material/inbox:")
        with st.expander(tr("inbox.nav", n=len(items)), expanded=False):
            for i, item in enumerate(items[:SHOWN]):
                text, button = st.columns([6, 1])
                line = md_literal(inbox.item_text(item, L))
                if item.note:
                    line += " — " + md_literal(tr("inbox.note", note=item.note))
                text.markdown(line)
                if button.button(tr("inbox.open"), key=f"inbox_open_{i}"):
                    _open(item)
            if len(items) > SHOWN:
                st.caption(tr("inbox.more", n=len(items) - SHOWN))
