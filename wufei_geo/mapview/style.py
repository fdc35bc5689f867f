"""How sites look on the map: status colours, category glyphs, the choropleth palette, marker sizes.

Shared by the renderer, the legend, the payload and the choropleth, so none of them owns it.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# One palette for the map and the charts: owned by wufei_geo.palette (issue 11).
from wufei_geo.palette import CHOROPLETH_PALETTE, STATUS_COLOURS, UNKNOWN_COLOUR  # noqa: E402,F401
from wufei_geo.vocabulary import CATEGORY_RECORDS, Field

# One glyph per category: a character in Chinese, letters in English (see the legend); each is
# part of its category's record (wufei_geo/vocabulary.py).
CATEGORY_GLYPHS: Mapping[str, tuple[str, str]] = Field(CATEGORY_RECORDS, lambda c: (c.glyph_zh, c.glyph_en))
MARKER_MIN_PX, MARKER_MAX_PX = 18, 34


# --- marker states --------------------------------------------------------------------------
# The one owner of how a site's secondary states look.  The fill is always the status colour;
# a state is a small badge in one corner of the marker (or, for location precision, the
# outline), so the status stays readable.  The renderer's CSS, the payload's badge bits and the
# legend rows are all generated from these tables.
@dataclass(frozen=True)
class MarkerBadge:
    """A boolean column of the catalog's site frame drawn as a small badge on the marker.

    A column that is absent from the frame is simply not drawn (no badge, no legend row)."""

    column: str  # the boolean column in the catalog's site frame
    label_key: str  # message key: legend row and popup line
    glyph: str  # plain text in the badge (renders without an emoji font)
    colour: str  # badge fill
    text_colour: str
    corner: str  # "tr", "tl", "br", "bl"


MARKER_BADGES: tuple[MarkerBadge, ...] = (
    MarkerBadge("overdue", "legend.badge.overdue", "!", "#d7191c", "#ffffff", "tr"),
    MarkerBadge("stale", "legend.badge.stale", "…", "#555555", "#ffffff", "br"),
    MarkerBadge("pending", "legend.badge.pending", "?", "#ffd400", "#222222", "tl"),
)
BADGE_PX = 11
# Location precision is the outline: a solid white rim for a located site, a dashed dark line
# just outside the fill for an approximate one (the fill keeps the status colour either way).
OUTLINE_PRECISE = "2px solid #ffffff"
MARKER_RING = "0 0 0 1px rgba(0,0,0,.55)"  # a thin dark ring so white outlines show on light maps
APPROX_CSS = "border:1px solid rgba(255,255,255,.8);box-shadow:none;outline:1.5px dashed #222;outline-offset:1px"
