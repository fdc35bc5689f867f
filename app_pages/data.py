"""Temporary page, to be replaced by its owner (see docs/architecture.md)."""
import streamlit as st

from app_pages.common import tr

st.title(tr("page.data"))
st.write("此页面正在建设中 / under construction")
