"""THE colours of the app (issue 11: one status palette for the map and the charts).

Colour-blind-safe (Okabe–Ito based): the map's markers and legend, the capacity page's chart,
the briefing's SVG chart and the town shadings all take their colours from here.
"""
from __future__ import annotations

from typing import Final

from wufei_geo.vocabulary import STATUS_RECORDS

# each status's colour is part of its record (wufei_geo/vocabulary.py)
STATUS_COLOURS: Final[dict[str, str]] = {s.code: s.colour for s in STATUS_RECORDS.values()}
# Town shading, light to dark (ColorBrewer Greens; the lightest is left for none); unknown is grey, never a class.
CHOROPLETH_PALETTE: Final[tuple[str, ...]] = ("#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c")
UNKNOWN_COLOUR: Final = "#b0b0b0"
# A town with no site / no facility (the value 0): its own class, lighter than every shade.
NO_FACILITY_COLOUR: Final = "#ffffff"
