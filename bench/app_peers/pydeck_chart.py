"""Peer: st.pydeck_chart, one ScatterplotLayer coloured by status with a tooltip, no basemap."""
from __future__ import annotations

import pydeck as pdk
import streamlit as st

from bench.app_peers._data import colour, filtered

sites = filtered().copy()
sites["color"] = [[int(colour(s).lstrip("#")[i:i + 2], 16) for i in (0, 2, 4)] for s in sites["status"]]
layer = pdk.Layer("ScatterplotLayer", sites, get_position=["lon", "lat"], get_fill_color="color",
                  get_radius=150, radius_min_pixels=5, pickable=True)
st.pydeck_chart(pdk.Deck(layers=[layer], map_style=None, initial_view_state=pdk.ViewState(latitude=31.15, longitude=121.11, zoom=10),
                         tooltip={"html": "<b>{name}</b><br>{category} · {status}"}), height=600)
