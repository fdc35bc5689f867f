"""How sites look on the map: status colours, category glyphs, the choropleth palette, marker sizes.

Shared by the renderer, the legend, the payload and the choropleth, so none of them owns it.
"""
from __future__ import annotations

STATUS_COLOURS: dict[str, str] = {
    "planned": "#4a78c2",
    "under_construction": "#e8950c",
    "commissioning": "#8e44ad",
    "operating": "#238b45",
    "suspended": "#7f7f7f",
    "cancelled": "#3b3b3b",
    "decommissioned": "#a0522d",
}
UNKNOWN_COLOUR = "#b0b0b0"
# One glyph per category: a character in Chinese, letters in English (see the legend).
CATEGORY_GLYPHS: dict[str, tuple[str, str]] = {
    "transfer_station": ("转", "T"),
    "wet_waste": ("湿", "W"),
    "construction_waste": ("建", "C"),
    "sludge": ("泥", "S"),
    "pv": ("光", "PV"),
    "hazardous_waste": ("危", "H"),
    "recyclables_hub": ("回", "R"),
    "compression_station": ("压", "P"),
    "medical_waste": ("医", "M"),
    "bulky_waste": ("大", "B"),
    "dump_remediation": ("堆", "D"),
}
CHOROPLETH_PALETTE = ("#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c")
MARKER_MIN_PX, MARKER_MAX_PX = 18, 34
