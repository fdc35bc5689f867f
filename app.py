"""Streamlit entry point: page set-up, language toggle, navigation.  No domain logic here."""
from __future__ import annotations

import streamlit as st

from app_pages import login
from app_pages.common import get_store, tr
from wufei_geo import auth
from wufei_geo.config import load_settings

st.set_page_config(page_title="青浦区无废城市设施地图 · Qingpu zero-waste map", page_icon="♻", layout="wide")

if "lang" not in st.session_state:
    st.session_state["lang"] = "zh"
st.sidebar.radio(
    "语言 / Language",
    ["zh", "en"],
    format_func=lambda code: "中文" if code == "zh" else "English",
    key="lang",
    horizontal=True,
)
st.sidebar.caption(tr("app.title"))

# With WUFEI_PUBLIC_READ=false nothing is shown before a login (editing always needs one).
public_read = load_settings().public_read
if not public_read and not auth.can_read(public_read, login.current_actor(get_store())):
    st.title(tr("app.title"))
    st.info(tr("login.read_needed"))
    login.login_form(get_store())
    st.stop()

pages = [
    st.Page("app_pages/map.py", title=tr("page.map"), icon="🗺️", url_path="map", default=True),
    st.Page("app_pages/capacity.py", title=tr("page.capacity"), icon="📊", url_path="capacity"),
    st.Page("app_pages/towns.py", title=tr("page.towns"), icon="🏘️", url_path="towns"),
    st.Page("app_pages/update.py", title=tr("page.update"), icon="✏️", url_path="update"),
    st.Page("app_pages/data.py", title=tr("page.data"), icon="💾", url_path="data"),
]
st.navigation(pages).run()
