"""How sites look on the map: status colours, category glyphs, the choropleth palette, marker sizes.

Shared by the renderer, the legend, the payload and the choropleth, so none of them owns it.
"""
from __future__ import annotations

# One palette for the map and the charts: owned by wufei_geo.palette (issue 11).
from wufei_geo.palette import CHOROPLETH_PALETTE, STATUS_COLOURS, UNKNOWN_COLOUR  # noqa: E402,F401

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
MARKER_MIN_PX, MARKER_MAX_PX = 18, 34
