"""Which marker states are drawn and which are summarised: emphasis that carries information.

A state that most of the shown sites share (every site past its target year once the plan
period is over) says nothing when drawn on every marker and hides the category glyph; it is
counted once in the legend instead (``legend.summary.<column>``).  The states that remain are
drawn as badges (:data:`~wufei_geo.mapview.style.MARKER_BADGES`) — below :data:`DETAIL_ZOOM` at
most one per site, the first that applies in the table's order (the renderer asset applies it).
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from wufei_geo.mapview.style import MARKER_BADGES, MarkerBadge

SUMMARY_SHARE = 0.5  # a state on more than this share of the shown sites is summarised, not drawn
DETAIL_ZOOM = 13  # from this zoom on, every drawn state of a site is shown


@dataclass(frozen=True)
class BadgePlan:
    drawn_bits: int  # bit k: MARKER_BADGES[k] is drawn
    drawn: tuple[tuple[MarkerBadge, int], ...]  # (badge, sites carrying it), drawn on the markers
    summarised: tuple[tuple[MarkerBadge, int], ...]  # (badge, sites carrying it), legend line only


def _flag(sites: pd.DataFrame, column: str) -> pd.Series:
    col = sites[column]
    return col.astype(object).where(col.notna(), False).astype(bool)


def badge_plan(located: pd.DataFrame) -> BadgePlan:
    """The plan for the located shown sites ``located``: which states are drawn, which summarised."""
    bits, drawn, summarised = 0, [], []
    total = len(located)
    for k, badge in enumerate(MARKER_BADGES):
        if badge.column not in located.columns or not total:
            continue
        n = int(_flag(located, badge.column).sum())
        if not n:
            continue
        if n > SUMMARY_SHARE * total:
            summarised.append((badge, n))
        else:
            bits |= 1 << k
            drawn.append((badge, n))
    return BadgePlan(bits, tuple(drawn), tuple(summarised))
