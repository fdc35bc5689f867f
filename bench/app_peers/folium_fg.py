"""Peer: the fastest idiomatic st_folium — a constant base map, the filtered points in a
FeatureGroup sent with ``feature_group_to_add`` (the open map swaps the group, no iframe reload),
and ``returned_objects=[]`` (the map reports nothing: no rerun from the map)."""
from __future__ import annotations

import folium
from streamlit_folium import st_folium

from bench.app_peers._data import colour, filtered

sites = filtered()
m = folium.Map(location=(31.15, 121.11), zoom_start=11, tiles=None)
fg = folium.FeatureGroup(name="sites")
features = [
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
     "properties": {"site_id": r.site_id, "name": r.name, "category": r.category, "status": r.status}}
    for r in sites.itertuples(index=False)
]
folium.GeoJson(
    {"type": "FeatureCollection", "features": features},
    marker=folium.CircleMarker(radius=7, fill=True, fill_opacity=0.9, weight=1),
    style_function=lambda f: {"fillColor": colour(f["properties"]["status"]), "color": "#333333"},
    popup=folium.GeoJsonPopup(fields=["site_id", "name", "category", "status"]),
).add_to(fg)
st_folium(m, feature_group_to_add=fg, key="map", height=600, use_container_width=True, returned_objects=[])
