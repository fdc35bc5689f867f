"""Peer: st.map of the points coloured by status (Streamlit's own map element)."""
from __future__ import annotations

import streamlit as st

from bench.app_peers._data import colour, filtered

sites = filtered().copy()
sites["color"] = [colour(s) for s in sites["status"]]
st.map(sites, latitude="lat", longitude="lon", color="color", size=150, height=600)
