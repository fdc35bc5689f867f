"""Streamlit entry point: page set-up, language toggle, navigation.  No domain logic here.

Every page has its own URL path (/capacity, /towns, /update, /data, /indicators), listed once in
app_pages/registry.py.  The first listed page, the map, is the default, served at the root: the
address a user opens draws the map in one run.  Its own path (/map, the address of earlier links)
is a hidden page that moves to the root with the same query.  (The map was at /map before; there
Streamlit's frontend first looks for its server under /map/_stcore/ and retries at the root after
a fixed 100 ms, ~130 ms of every load: figure 9.)  Page icons are Streamlit's built-in Material
icons: they render without any emoji font."""
from __future__ import annotations

import streamlit as st

from app_pages import inbox_panel, login, registry
from app_pages.common import error_page, get_store, language_switched, settings, tr
from wufei_geo import auth

st.set_page_config(page_title="青浦区无废城市设施地图 · Qingpu zero-waste map", page_icon=":material/recycling:", layout="wide")

if "lang" not in st.session_state:
    st.session_state["lang"] = "zh"
st.sidebar.radio(
    "语言 / Language",
    ["zh", "en"],
    format_func=lambda code: "中文" if code == "zh" else "English",
    key="lang",
    horizontal=True,
    on_change=language_switched,  # pages keep their state (selection, filters, form values)
)
st.sidebar.caption(tr("app.title"))


def _guard() -> None:
    """With WUFEI_PUBLIC_READ=false nothing is shown before a login (editing always needs one)."""
    public_read = settings().public_read
    if not public_read and not auth.can_read(public_read, login.current_actor(get_store())):
        st.title(tr("app.title"))
        st.info(tr("login.read_needed"))
        login.login_form(get_store())
        st.stop()


def _open_default() -> None:
    st.switch_page(default_page, query_params=st.query_params.to_dict())


# No traceback ever reaches a visitor: whatever a page raises becomes the one error page (both
# languages, a reference), the details go to the server log (common.error_page).  Streamlit's own
# stop/rerun signals are BaseExceptions and pass through.
try:
    _guard()
    # what waits for the logged-in user: its count beside its page in the navigation, the list on
    # top of every page
    waiting = inbox_panel.inbox_items(get_store(), login.current_actor(get_store()))
    # every page comes from the one page list (app_pages/registry.py); the first is the default
    # the default page is served at the root; its own path would only be reserved (Streamlit
    # answers it with "page not found"), so that path is a hidden page moving to the root
    page_list = [st.Page(p.path, title=tr(p.title_key) + (inbox_panel.nav_suffix(waiting) if p.inbox else ""),
                         icon=p.icon, url_path=p.name if i else "home", default=i == 0)
                 for i, p in enumerate(registry.PAGES)]
    default_page = page_list[0]
    current = st.navigation([*page_list, st.Page(_open_default, title=default_page.title,
                                                 url_path=registry.PAGES[0].name, visibility="hidden")])
    inbox_panel.show_inbox(waiting)
    current.run()
except Exception as exc:  # noqa: BLE001
    error_page(exc)
