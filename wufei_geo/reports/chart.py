"""THE capacity chart: cumulative wet-waste capacity per year — from the plan's start to the later of
the target year and the latest expected date, then one bar for capacity whose year is unknown —
stacked by status over the existing capacity of upgraded plants, with the goal line (600 t/d).
A bar with an unknown part is labelled "≥ …" (or 未知 when nothing of it is known), never 0.

One definition, :func:`capacity_chart` — which statuses are stacked in which order, their labels
and colours (:mod:`wufei_geo.palette`), the totals over the bars, the goal line and its label, the
axis and its ticks — and two renderers that only draw it: :func:`draw_wet_waste_chart` (the PDF
briefing: matplotlib axes) and :func:`wet_waste_chart_altair` (the capacity page: an Altair chart
with tooltips).
The numbers are the analysis core's (``TargetProgress.projection``)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wufei_geo.analysis import TargetProgress, fmt_number
from wufei_geo.i18n import status_label, t
from wufei_geo.palette import STATUS_COLOURS  # one palette for map and charts
from wufei_geo.reports.texts import unit_text

if TYPE_CHECKING:
    import altair as alt
    import matplotlib.pyplot as plt

# Stack order of the chart (bottom first); the legend lists them top first, as stacked.
CHART_STATUSES: tuple[str, ...] = ("operating", "commissioning", "under_construction", "planned")
GOAL_COLOUR = "#D55E00"
EXISTING_COLOUR = "#9E9E9E"  # the existing plants' baseline, under the stack


@dataclass(frozen=True)
class Series:
    """One status of the stack: its label, colour and cumulative amount per year."""

    status: str
    label: str
    colour: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class CapacityChart:
    """What the chart shows, in the reader's language: every renderer draws exactly this."""

    title: str
    unit: str  # the value axis' title
    year_title: str
    status_title: str
    years: tuple[str, ...]  # the bars' labels: the years, then 年份未知 (the undated bar)
    series: tuple[Series, ...]  # stacked bottom first (the existing plants first)
    totals: tuple[float | int, ...]  # cumulative per year (the undated bar: what it adds)
    total_texts: tuple[str, ...]  # the label over each bar: "405", "≥ 5", 未知
    ticks: tuple[float, ...]  # the value axis, from 0 to its top
    goal: float | None
    goal_label: str

    @property
    def top(self) -> float:
        return self.ticks[-1]

    def rows(self) -> list[dict[str, Any]]:
        """The stack as a long table: year, status label, stack order, colour, value."""
        return [
            {"year": year, "status": s.label, "order": i, "colour": s.colour, "value": s.values[k]}
            for k, year in enumerate(self.years)
            for i, s in enumerate(self.series)
        ]


def _nice_step(raw: float) -> float:
    """1, 2, 2.5 or 5 × 10^k, at least ``raw`` (axis ticks people can read)."""
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if factor * power >= raw:
            return factor * power
    return 10 * power


def capacity_chart(item: TargetProgress, lang: str = "zh") -> CapacityChart:
    """The chart of a capacity target (the 600 t/d goal): the one definition every output draws."""
    unit = unit_text(item.unit, lang)
    points = item.projection
    peak = max([float(p["cumulative"]) for p in points] + [float(item.target or 0)] + [1.0])
    step = _nice_step(peak * 1.08 / 4)
    top = step * math.ceil(peak * 1.08 / step)
    series = [Series(status, status_label(status, lang), STATUS_COLOURS[status],
                     tuple(float(p["by_status"].get(status, 0) or 0) for p in points))
              for status in CHART_STATUSES]
    if any(p.get("existing") or p.get("existing") is None for p in points if not p.get("undated")):
        series.insert(0, Series("existing", t("chart.existing", lang), EXISTING_COLOUR,
                                tuple(float(p.get("existing") or 0) for p in points)))
    return CapacityChart(
        title=t("analysis.chart_title", lang),
        unit=unit,
        year_title=t("analysis.year", lang),
        status_title=t("field.status", lang),
        years=tuple(t("chart.unknown_year", lang) if p.get("undated") else str(p["year"]) for p in points),
        series=tuple(series),
        totals=tuple(p["cumulative"] for p in points),
        total_texts=tuple(_total_text(p, lang) for p in points),
        ticks=tuple(step * k for k in range(int(round(top / step)) + 1)),
        goal=None if item.target is None else float(item.target),
        goal_label=t("analysis.target_line", lang, target=fmt_number(item.target), unit=unit),
    )


def _total_text(point: dict[str, Any], lang: str) -> str:
    """The label over a bar: the total; "≥ total" when a part is unknown; 未知 when nothing is known."""
    if not point.get("lower_bound"):
        return fmt_number(point["cumulative"])
    if not point["cumulative"]:
        return t("common.unknown", lang)
    return "≥ " + fmt_number(point["cumulative"])


# --------------------------------------------------------------------------- matplotlib (PDF briefing)
def draw_wet_waste_chart(ax: plt.Axes, item: TargetProgress, lang: str = "zh") -> None:
    """:func:`capacity_chart` drawn on matplotlib axes."""
    chart = capacity_chart(item, lang)
    years = list(range(len(chart.years)))
    base = [0.0] * len(years)
    for s in chart.series:
        ax.bar(years, s.values, bottom=base, color=s.colour, width=0.6, label=s.label)
        base = [b + h for b, h in zip(base, s.values, strict=True)]
    for x, total, text in zip(years, chart.totals, chart.total_texts, strict=True):
        ax.text(x, float(total), text, ha="center", va="bottom", fontsize=5.5)
    if chart.goal is not None:
        ax.axhline(chart.goal, color=GOAL_COLOUR, linestyle=(0, (6, 3)), linewidth=1.2)
        # under the line at the left: clear of the legend above it and of the later, taller bars
        ax.text(years[0] - 0.4 if years else 0, chart.goal, chart.goal_label, color=GOAL_COLOUR, va="top",
                fontsize=6)
    ax.set_xticks(years, [y.replace(" ", "\n") for y in chart.years], fontsize=5.5)
    ax.set_yticks(chart.ticks, [fmt_number(round(v)) for v in chart.ticks])
    ax.set_ylim(0, chart.top)
    ax.set_ylabel(chart.unit)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(chart.title)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], fontsize=5, frameon=True, facecolor="white", edgecolor="none",
              framealpha=0.9, loc="upper left")


# --------------------------------------------------------------------------- Altair (capacity page)
def wet_waste_chart_altair(item: TargetProgress, lang: str = "zh") -> alt.LayerChart:
    """:func:`capacity_chart` as an Altair chart (tooltips per bar part)."""
    import altair as alt
    import pandas as pd

    chart = capacity_chart(item, lang)
    data = pd.DataFrame(chart.rows(), columns=["year", "status", "order", "colour", "value"])
    y_scale = alt.Scale(domain=[0, chart.top])
    y_axis = alt.Axis(values=list(chart.ticks), format=",.0f")
    colour = alt.Scale(domain=[s.label for s in chart.series], range=[s.colour for s in chart.series])
    bars = alt.Chart(data).mark_bar().encode(
        x=alt.X("year:O", title=chart.year_title, axis=alt.Axis(labelAngle=0), sort=list(chart.years)),
        y=alt.Y("sum(value):Q", title=chart.unit, scale=y_scale, axis=y_axis),
        color=alt.Color("status:N", scale=colour, title=chart.status_title,
                        legend=alt.Legend(values=[s.label for s in reversed(chart.series)])),
        order=alt.Order("order:Q"),
        tooltip=["year", "status", alt.Tooltip("value:Q", format=",.1f")],
    )
    totals = pd.DataFrame({"year": list(chart.years),
                           "total": [float(v) for v in chart.totals],
                           "text": list(chart.total_texts)})
    layers: list[Any] = [
        bars,
        alt.Chart(totals).mark_text(dy=-6).encode(x=alt.X("year:O", sort=list(chart.years)), y=alt.Y("total:Q", scale=y_scale), text="text:N"),
    ]
    if chart.goal is not None:
        goal = pd.DataFrame({"goal": [chart.goal], "label": [chart.goal_label]})
        layers.append(alt.Chart(goal).mark_rule(color=GOAL_COLOUR, strokeDash=[6, 3], size=2).encode(y="goal:Q"))
        layers.append(alt.Chart(goal).mark_text(align="left", dx=4, dy=-6, color=GOAL_COLOUR).encode(
            y="goal:Q", text="label:N", x=alt.value(0)))
    return alt.layer(*layers)
