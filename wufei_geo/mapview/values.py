"""How the map writes a number for a label; whether a value is unknown and the plain written
form are the core's one rule each (wufei_geo/values.py: ``is_unknown``, ``number_text``)."""
from __future__ import annotations

import math

from wufei_geo.values import number_text


def display_number(value: float) -> str:
    """A number as a reader takes it in: at most 2 significant digits below 100 (0.754717 → 0.75,
    1.50943 → 1.5, 33.96 → 34), whole numbers from 100 on (1,234).  For labels, not for data."""
    v = float(value)
    if v == 0 or not math.isfinite(v):
        return number_text(v, "compact") if math.isfinite(v) else str(v)
    if abs(v) >= 100:
        return number_text(round(v), "compact")
    digits = 1 - int(math.floor(math.log10(abs(v))))
    return number_text(round(v, digits), "compact")
