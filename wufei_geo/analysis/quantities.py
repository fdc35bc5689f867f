"""Totals that know what they do not know (:class:`Quantity`) and THE way every view writes a
number, a share and a total with unknown parts."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from wufei_geo.analysis.values import plain_number
from wufei_geo.i18n import t
from wufei_geo.values import number_text


@dataclass(frozen=True)
class Quantity:
    """A total and what it does not know: ``value`` is the sum of the known parts (None when
    there are parts and none is known), ``unknown_sites`` the sites whose part is unknown.
    No parts at all is a true 0."""

    value: float | int | None
    unknown_sites: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return self.value is not None and not self.unknown_sites

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "unknown_sites": list(self.unknown_sites), "complete": self.complete}


def quantity(parts: Iterable[tuple[str, float | None]]) -> Quantity:
    """The :class:`Quantity` of ``(site_id, value or None)`` parts."""
    known: list[float] = []
    unknown: list[str] = []
    for sid, value in parts:
        if value is None:
            unknown.append(str(sid))
        else:
            known.append(float(value))
    if unknown and not known:
        return Quantity(None, tuple(unknown))
    return Quantity(plain_number(sum(known)), tuple(unknown))


def fmt_number(value: Any) -> str:
    """1234.5 → '1,234.5'; None → '—' (unknown is never shown as 0): wufei_geo.values' reading form."""
    return number_text(value, "reading")


def fmt_share(value: float | None) -> str:
    if value is None:
        return "—"
    pct = value * 100
    return f"{pct:.1f}%" if pct >= 1 or pct == 0 else f"{pct:.2f}%"


def fmt_quantity(q: Quantity | None, unit: str = "", lang: str = "zh", *, share: bool = False,
                 what: str = "capacity", short: bool = False) -> str:
    """THE way a total is written (pages, briefing, workbook, CLI):
    ``80 吨/日`` · ``≥ 80 吨/日（1 个站点能力未知）`` · ``未知（2 个站点能力未知）`` · ``未知``.
    ``share``: the value is a fraction, written as a percentage.  ``what``: ``capacity`` or
    ``villages`` (which part is unknown).  ``short``: without the count of unknown sites (a metric
    tile; "≥" and "未知" still say it), the full text shown next to it."""
    unknown_word = t("common.unknown", lang)
    if q is None:
        return unknown_word
    n = len(q.unknown_sites)
    suffix = t(f"figures.unknown_suffix.{what}", lang, n=n) if n and not short else ""
    if q.value is None:
        return unknown_word + suffix
    body = fmt_share(float(q.value)) if share else f"{fmt_number(q.value)} {unit}".strip()
    return ("≥ " + body + suffix) if n else body

