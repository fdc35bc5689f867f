"""Streamlit entry point: page set-up, language toggle, navigation.  No domain logic here.

Every page has its own URL path (/map, /capacity, /towns, /update, /data).  Streamlit serves
its default page at the root only, so the default here is a hidden page that opens /map with
the same query (a copied link to the root still opens the map).  Page icons are Streamlit's
built-in Material icons: they render without any emoji font."""
from __future__ import annotations

import streamlit as st

from app_pages import inbox_panel, login
from app_pages.common import get_store, language_switched, tr
from wufei_geo import auth
from wufei_geo.config import load_settings

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

# With WUFEI_PUBLIC_READ=false nothing is shown before a login (editing always needs one).
public_read = load_settings().public_read
if not public_read and not auth.can_read(public_read, login.current_actor(get_store())):
    st.title(tr("app.title"))
    st.info(tr("login.read_needed"))
    login.login_form(get_store())
    st.stop()

# what waits for the logged-in user: its count after 更新 in the navigation, the list on top of every page
waiting = inbox_panel.inbox_items(get_store(), login.current_actor(get_store()))
map_page = st.Page("app_pages/pages/map.py", title=tr("page.map"), icon=":material/map:", url_path="map")


def _open_map() -> None:
    st.switch_page(map_page, query_params=st.query_params.to_dict())


pages = [
    st.Page(_open_map, title=tr("page.map"), url_path="home", default=True, visibility="hidden"),
    map_page,
    st.Page("app_pages/pages/capacity.py", title=tr("page.capacity"), icon=":material/bar_chart:", url_path="capacity"),
    st.Page("app_pages/pages/towns.py", title=tr("page.towns"), icon=":material/location_city:", url_path="towns"),
    st.Page("app_pages/pages/update.py", title=tr("page.update") + inbox_panel.nav_suffix(waiting),
            icon=":material/edit_note:", url_path="update"),
    st.Page("app_pages/pages/data.py", title=tr("page.data"), icon=":material/database:", url_path="data"),
]
current = st.navigation(pages)
inbox_panel.show_inbox(waiting)
current.run()
