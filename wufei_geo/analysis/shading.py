"""How a town figure shades a map: round class breaks, their labels and colours
(:class:`ChoroplethScale`: "none" its own class, edges that say which side they belong to), and
per town the value, text, class and fill (:func:`town_shading`)."""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from wufei_geo.analysis.figures import (
    COUNT_MEASURES,
    MEASURE_UNITS,
    TownFigures,
    fmt_measure,
    measure_unit_text,
)
from wufei_geo.analysis.quantities import fmt_number
from wufei_geo.i18n import t
from wufei_geo.model import TOWN_MEASURES

_NICE = (1.0, 2.0, 5.0)


def _nice_at_least(x: float) -> float:
    if x <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(x))
    for factor in (*_NICE, 10.0):
        if factor * power >= x - 1e-12:
            return factor * power
    return 10 * power


def _nice_nearest(x: float) -> float:
    power = 10 ** math.floor(math.log10(x))
    candidates = [f * power for f in (*_NICE, 10.0)]
    return min(candidates, key=lambda c: abs(math.log(c) - math.log(x)))


def nice_breaks(values: Iterable[float], max_classes: int = 5, integer: bool = False) -> list[float]:
    """Round, human class breaks from 0: 1-2-5 × 10^k values near the quantiles of the positive
    values, the last one at or above the largest (e.g. 0, 5, 10, 50, 100).  [0] when no value
    is positive (one class: 0)."""
    positive = sorted(v for v in values if v is not None and math.isfinite(v) and v > 0)
    if not positive:
        return [0.0]
    top = _nice_at_least(positive[-1])
    if integer:
        top = max(top, 1.0)
    inner: list[float] = []
    for k in range(1, max_classes):
        q = positive[min(len(positive) - 1, int(round(k / max_classes * (len(positive) - 1))))]
        b = _nice_nearest(q)
        if integer and b < 1:
            continue
        if 0 < b < top and b not in inner:
            inner.append(b)
    breaks = [0.0, *sorted(inner), top]
    while len(breaks) - 1 > max_classes:
        breaks.pop(-2)
    return breaks


def _break_text(value: float, measure: str) -> str:
    if MEASURE_UNITS[measure] == "share":
        return f"{value * 100:g}%"
    return fmt_number(value)


@dataclass
class ChoroplethScale:
    """Classes of a town shading that do not overlap and say which side an edge belongs to.

    Class 0 holds the value 0 alone — no site / no facility, its own pale colour, never the
    lowest shade; with ``breaks`` b0 = 0 < b1 < …, class i ≥ 1 holds the values in
    (b_(i-1), b_i], labelled "> b_(i-1) – b_i" (counts: "b_(i-1)+1 – b_i").  Unknown is grey
    and no class.  ``labels`` and ``colours`` per class (units in the labels); ``counts``: towns
    per class of the figures the scale was made from, ``unknown_count`` the towns unknown."""

    measure: str
    title: str
    breaks: list[float]
    labels: list[str]
    colours: list[str]
    unknown_colour: str
    unknown_label: str
    counts: list[int] = field(default_factory=list)
    unknown_count: int = 0

    def class_of(self, value: float | None) -> int | None:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        if value <= 1e-12:
            return 0
        for i in range(len(self.breaks) - 1):
            if value <= self.breaks[i + 1] + 1e-9:
                return i + 1
        return max(len(self.breaks) - 1, 0)

    def colour_of(self, value: float | None) -> str:
        k = self.class_of(value)
        return self.unknown_colour if k is None else self.colours[k]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# what a town with the value 0 has: no site at all, or no (wet-waste) facility; other measures say "0"
_ZERO_KEYS = {"site_count": "analysis.shading.no_sites", "wet_waste_tpd": "analysis.shading.no_facility",
              "wet_waste_operating_tpd": "analysis.shading.none_operating",
              "capacity_per_10k": "analysis.shading.no_facility", "capacity_vs_generation": "analysis.shading.no_facility"}


def choropleth_scale(figures: Sequence[TownFigures], measure: str, lang: str = "zh") -> ChoroplethScale:
    """The class breaks, labels and colours of ``measure`` over ``figures`` (shares in %)."""
    from wufei_geo.palette import CHOROPLETH_PALETTE, NO_FACILITY_COLOUR, UNKNOWN_COLOUR

    if measure not in TOWN_MEASURES:
        raise ValueError(f"unknown town measure {measure!r}; expected one of {TOWN_MEASURES}")
    share = MEASURE_UNITS[measure] == "share"
    scale = 100.0 if share else 1.0
    values = [float(f.values[measure].value) * scale for f in figures if f.values[measure].value is not None]
    # the palette's lightest shade is too close to "none" to tell apart: the classes use the others
    shades = CHOROPLETH_PALETTE[1:]
    breaks = [b / scale for b in nice_breaks(values, len(shades), integer=measure in COUNT_MEASURES)]
    unit = measure_unit_text(measure, lang)
    zero = t(_ZERO_KEYS[measure], lang) if measure in _ZERO_KEYS else f"{_break_text(0.0, measure)} {unit}".strip()
    labels, colours = [zero], [NO_FACILITY_COLOUR]
    n = len(breaks) - 1
    for i in range(n):
        lo, hi = breaks[i], breaks[i + 1]
        if measure in COUNT_MEASURES:
            text = _break_text(hi, measure) if hi <= lo + 1 else f"{_break_text(lo + 1, measure)} – {_break_text(hi, measure)}"
        else:
            text = f"> {_break_text(lo, measure)} – {_break_text(hi, measure)}"
        labels.append(f"{text} {unit}".strip())
    step = (len(shades) - 1) / max(n - 1, 1)
    colours += [shades[round(i * step)] for i in range(n)]
    out = ChoroplethScale(
        measure=measure,
        title=t(f"analysis.measure.{measure}", lang),
        breaks=breaks,
        labels=labels,
        colours=colours,
        unknown_colour=UNKNOWN_COLOUR,
        unknown_label=t("common.unknown", lang),
    )
    out.counts = [0] * len(labels)
    for f in figures:
        v = f.values[measure].value
        k = out.class_of(None if v is None else float(v))
        if k is None:
            out.unknown_count += 1
        else:
            out.counts[k] += 1
    return out


def town_shading(
    figures: Sequence[TownFigures], measure: str, lang: str = "zh"
) -> tuple[ChoroplethScale, dict[str, dict[str, Any]]]:
    """The scale and, per town code, what a map shows: ``value`` (the known value behind the
    shade; None = unknown), ``text`` (:func:`fmt_measure`), ``label`` (its short form on the map), ``class`` and ``fill``."""
    scale = choropleth_scale(figures, measure, lang)
    shades = {}
    for f in figures:
        q = f.values[measure]
        shades[f.town_code] = {
            "value": q.value,
            "unknown_sites": list(q.unknown_sites),
            "text": fmt_measure(q, measure, lang),
            "label": fmt_measure(q, measure, lang, label=True),
            "class": scale.class_of(None if q.value is None else float(q.value)),
            "fill": scale.colour_of(None if q.value is None else float(q.value)),
        }
    return scale, shades
