"""The words and tables every output shares (the capacity page, the CLI, the HTML and PDF
briefings, the workbook): each written once here, with the analysis core's formatters, so the
same figure reads the same everywhere (issue 11)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from wufei_geo.analysis import (
    Quantity,
    TargetProgress,
    TownFigures,
    TownScorecard,
    fmt_measure,
    fmt_number,
    fmt_quantity,
    fmt_share,
)
from wufei_geo.analysis.measures import site_measure
from wufei_geo.i18n import MESSAGES, category_label, t, unit_label


def target_label(item: TargetProgress, lang: str) -> str:
    text = item.description_en if lang == "en" else item.description_zh
    return text or f"{category_label(item.category, lang)} · {t('analysis.measure.' + item.measure, lang)}"


def unit_text(unit: str, lang: str) -> str:
    """Capacity units from the catalogue; the targets' count units (sites, villages …) from ours."""
    key = f"analysis.unit.{unit}"
    if key in MESSAGES:
        return t(key, lang)
    return unit_label(unit, lang) or unit


def _what(item: TargetProgress) -> str:
    return "villages" if site_measure(item.measure).reads_served_villages else "capacity"


def _total_text(item: TargetProgress, q: Quantity, lang: str, short: bool) -> str:
    """A target's total written by the one formatter; 未测量 for an unmeasured target, — for an
    untracked one."""
    if not site_measure(item.measure).tracked:
        return "—"
    if not item.measured:
        return t("analysis.state.unmeasured", lang)
    return fmt_quantity(q, unit_text(item.unit, lang), lang, what=_what(item), short=short)


def achieved_text(item: TargetProgress, lang: str, short: bool = False) -> str:
    """What a target has achieved (operating today)."""
    return _total_text(item, item.achieved_quantity, lang, short)


def registered_text(item: TargetProgress, lang: str, short: bool = False) -> str:
    """What a target will have after the plan's projects (everything still pursued)."""
    return _total_text(item, item.registered_quantity, lang, short)


def forecast_text(item: TargetProgress, lang: str) -> str:
    """The forecast in words: reached / expected in a year, not reachable with the registered
    sites, or cannot tell (naming the sites it depends on and why)."""
    state = item.forecast_state
    if state == "untracked":
        return t("analysis.state.untracked", lang)
    if state == "unmeasured":
        return t("analysis.forecast.unmeasured", lang)
    if state == "not_reachable":
        return t("analysis.not_reached", lang, gap=fmt_number(item.registered_gap), unit=unit_text(item.unit, lang))
    if state == "cannot_tell":
        parts = []
        for sid in item.forecast_basis:
            why = "、" if lang != "en" else ", "
            reasons = why.join(t(f"analysis.forecast.reason.{r}", lang) for r in item.forecast_reasons.get(sid, []))
            parts.append(f"{sid}（{reasons}）" if lang != "en" else f"{sid} ({reasons})")
        sep = "；" if lang != "en" else "; "
        return t("analysis.forecast.cannot_tell", lang, n=len(item.forecast_basis), sites=sep.join(parts))
    year = item.reached_year
    if item.target_year is not None and year is not None and year > item.target_year:
        key = "analysis.forecast.reached_late" if state == "reached" else "analysis.year_reached_late"
        return t(key, lang, year=year, target_year=item.target_year)
    return t("analysis.forecast.reached" if state == "reached" else "analysis.year_reached", lang, year=year)


def reached_year_text(item: TargetProgress, lang: str) -> str:
    """The reached-year cell of a table: the year, or why there is none."""
    if item.reached_year is not None:
        return str(item.reached_year)
    return t(f"analysis.forecast.short.{item.forecast_state}", lang)


def headline_text(wet: TargetProgress, lang: str) -> str:
    """Operating today against the goal: '今日运行 ≥ 80 吨/日（1 个站点能力未知）；目标 600 吨/日（≥ 13.3%）'."""
    share = fmt_share(wet.share)
    if wet.share is not None and wet.achieved_unknown_sites:
        share = "≥ " + share
    return t("analysis.headline_today", lang, achieved=achieved_text(wet, lang), target=fmt_number(wet.target),
             unit=unit_text(wet.unit, lang), share=share)


def registered_line(wet: TargetProgress, lang: str) -> str:
    share = fmt_share(wet.registered_share)
    if wet.registered_share is not None and wet.unknown_capacity_sites["ids"]:
        share = "≥ " + share
    return t("analysis.registered_after", lang, registered=registered_text(wet, lang), share=share)


def existing_line(wet: TargetProgress, lang: str) -> str:
    q = Quantity(wet.existing_capacity["value"], tuple(wet.existing_capacity["unknown_sites"]))
    return t("analysis.existing_part", lang, value=fmt_quantity(q, unit_text(wet.unit, lang), lang),
             ids=", ".join(wet.existing_capacity["unknown_sites"]) or "—")


def headline_lines(wet: TargetProgress, lang: str) -> list[tuple[str, str]]:
    """The lines under a briefing's title, as (text, kind): ``headline`` (today against the goal),
    ``text`` or ``warn`` (unknown capacities, overdue sites).  Both briefings draw these."""
    lines = [(headline_text(wet, lang), "headline"), (registered_line(wet, lang), "text")]
    if wet.existing_capacity["value"] != 0 or wet.existing_capacity["unknown_sites"]:
        lines.append((existing_line(wet, lang), "text"))
    if wet.unknown_capacity_sites["count"]:
        lines.append((t("analysis.unknown_capacity", lang, n=wet.unknown_capacity_sites["count"])
                      + " (" + ", ".join(wet.unknown_capacity_sites["ids"]) + ")", "warn"))
    lines.append((forecast_text(wet, lang), "text"))
    if wet.overdue_sites:
        lines.append((t("analysis.overdue_sites", lang, n=len(wet.overdue_sites), ids=", ".join(wet.overdue_sites)),
                      "warn"))
    return lines


# --------------------------------------------------------------------------- tables
@dataclass(frozen=True)
class Table:
    """A table as text: header, rows, and the columns of numbers (right-aligned)."""

    header: list[str]
    rows: list[list[str]]
    numeric: frozenset[int]


def targets_table(items: Sequence[TargetProgress], lang: str) -> Table:
    """The targets: goal, achieved, registered, share, year reached, state (unknown never 0)."""
    header = [t("analysis.col.description", lang), t("analysis.col.goal", lang), t("analysis.col.achieved", lang),
              t("analysis.col.registered", lang), t("analysis.col.registered_share", lang),
              t("analysis.col.year_reached", lang), t("analysis.col.state", lang)]
    rows = []
    for item in items:
        state = t("analysis.state." + item.state, lang)
        if item.overdue:
            state += " · " + t("analysis.target_overdue", lang)
        rows.append([
            target_label(item, lang),
            f"{fmt_number(item.target)} {unit_text(item.unit, lang)}",
            achieved_text(item, lang),
            registered_text(item, lang),
            fmt_share(item.registered_share),
            reached_year_text(item, lang),
            state,
        ])
    return Table(header, rows, frozenset({1, 2, 3, 4, 5}))


def towns_table(cards: Sequence[TownScorecard], figures: Sequence[TownFigures], measures: Sequence[str],
                lang: str) -> Table:
    """The town summary: the scorecard counts and the core's town figures (``measures``), written
    by :func:`analysis.fmt_measure`."""
    header = [t("analysis.col.town", lang), t("analysis.col.state", lang), t("analysis.col.met", lang),
              t("analysis.col.in_progress", lang), t("analysis.col.not_started", lang),
              *[t(f"analysis.measure.{m}", lang) for m in measures]]
    by_code = {f.town_code: f for f in figures}
    rows = []
    for card in cards:
        fig = by_code.get(card.town_code)
        rows.append([
            card.name_en if lang == "en" else card.name_zh,
            t("analysis.state." + card.state, lang),
            str(card.counts["met"]),
            str(card.counts["in_progress"]),
            str(card.counts["not_started"]),
            *[fmt_measure(fig.values[m] if fig else None, m, lang) for m in measures],
        ])
    return Table(header, rows, frozenset(range(2, 5 + len(measures))))
