"""The words and tables every output shares (the capacity page, the CLI, the HTML and PDF
briefings, the workbook): each written once here, with the analysis core's formatters, so the
same figure reads the same everywhere (issue 11)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from wufei_geo.analysis import (
    Blocker,
    Quantity,
    TargetProgress,
    TownFigures,
    TownScorecard,
    blockers,
    fmt_measure,
    fmt_number,
    fmt_quantity,
    fmt_share,
    missing_counts,
)
from wufei_geo.analysis.gaps import TownGap
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


# --------------------------------------------------------------------------- the five-second answer
def marked_share(share: float | None, lower_bound: bool, lang: str) -> str:
    """A share of the goal; one that rests on a total with unknown parts is marked as a lower bound."""
    if share is None:
        return "—"
    text = fmt_share(share)
    return t("answer.share_lower_bound", lang, share=text) if lower_bound else text


def _site_name(b: Blocker, lang: str) -> str:
    return (b.name_en if lang == "en" else b.name_zh) or b.name_zh or b.site_id


def _sep(lang: str) -> str:
    return ", " if lang == "en" else "、"


def _today_clause(wet: TargetProgress, found: Sequence[Blocker], lang: str) -> str:
    unit = unit_text(wet.unit, lang)
    if wet.achieved is None:
        why = [b for b in found if b.site_id in wet.achieved_unknown_sites]
        sites = _sep(lang).join(f"{_site_name(b, lang)}（{b.site_id}）" if lang != "en"
                                else f"{_site_name(b, lang)} ({b.site_id})" for b in why[:2])
        what = t("answer.kind." + (why[0].missing[0] if why else "capacity"), lang)
        return t("answer.today.unknown", lang, sites=sites or ", ".join(wet.achieved_unknown_sites), what=what)
    value = f"{fmt_number(wet.achieved)} {unit}"
    if wet.achieved_lower_bound:
        return t("answer.today.partial", lang, value=value, n=len(wet.achieved_unknown_sites),
                 share=marked_share(wet.share, True, lang))
    return t("answer.today.known", lang, value=value, share=marked_share(wet.share, False, lang))


def _when_clause(wet: TargetProgress, found: Sequence[Blocker], lang: str) -> str:
    state = wet.forecast_state
    if state in ("reached", "expected") and wet.reached_year is not None:
        if wet.target_year is not None and wet.reached_year > wet.target_year:
            return t("answer.when.late", lang, year=wet.reached_year, target_year=wet.target_year)
        return t("answer.when.reached" if state == "reached" else "answer.when.expected", lang,
                 year=wet.reached_year)
    if state == "not_reachable":
        return t("answer.when.not_reachable", lang, gap=fmt_number(wet.registered_gap),
                 unit=unit_text(wet.unit, lang))
    counts = missing_counts(list(found))
    missing = _sep(lang).join(t("answer.missing." + kind, lang, n=n) for kind, n in counts.items())
    return t("answer.when.cannot_tell", lang, missing=missing or "—")


def answer_sentence(wet: TargetProgress, lang: str) -> str:
    """THE first sentence of the capacity page, the briefing and ``wufei-geo capacity``: what runs
    today (or why that is unknown), what the plan's projects add, when the goal is reached (or what
    exactly is missing to tell)."""
    found = blockers(wet)
    registered = registered_text(wet, lang)
    plan = t("answer.plan", lang, registered=registered, target=fmt_number(wet.target),
             unit=unit_text(wet.unit, lang), share=marked_share(wet.registered_share, wet.registered_lower_bound,
                                                                lang))
    text = t("answer.sentence", lang, today=_today_clause(wet, found, lang), plan=plan,
             when=_when_clause(wet, found, lang))
    return text[:1].upper() + text[1:]


def _town_names(lang: str) -> dict[str, str]:
    from wufei_geo.geodata import TOWN_CODE, load_gazetteer

    gaz = load_gazetteer()
    return dict(zip(gaz[TOWN_CODE].astype(str), gaz["name_en" if lang == "en" else "name_zh"], strict=True))


def fixer_text(b: Blocker, lang: str, towns: dict[str, str] | None = None) -> str:
    """Who can supply what a blocking site lacks: its town's official, the district planners."""
    if towns is None and "town" in b.fixers:
        towns = _town_names(lang)
    parts = []
    for who in b.fixers:
        if who == "town":
            town = (towns or {}).get(b.town_code or "", b.town_code or "")
            parts.append(t("answer.fixer.town_official", lang, town=town))
        else:
            dept = f"（{b.department}）" if b.department and lang != "en" else (
                f" ({b.department})" if b.department else "")
            parts.append(t("answer.fixer.planner", lang) + dept)
    return ("; " if lang == "en" else "；").join(parts)


def blockers_table(wet: TargetProgress, lang: str, towns: dict[str, str] | None = None,
                   limit: int | None = None) -> Table:
    """The sites that block the answer: site, what is missing, who can fix it (largest first).
    ``limit``: at most that many rows, the rest counted in a last row (the printed page)."""
    found = blockers(wet)
    if towns is None:
        towns = _town_names(lang)
    header = [t("answer.col.site", lang), t("answer.col.missing", lang), t("answer.col.fixer", lang)]
    shown = found if limit is None or len(found) <= limit else found[: max(limit - 1, 0)]
    rows = [[f"{b.site_id} {_site_name(b, lang)}",
             _sep(lang).join(t("answer.kind." + k, lang) for k in b.missing),
             fixer_text(b, lang, towns)] for b in shown]
    if len(shown) < len(found):
        rows.append([t("answer.more_sites", lang, n=len(found) - len(shown)), "", ""])
    return Table(header, rows, frozenset())


# --------------------------------------------------------------------------- the town gap table
# Its columns (stable names: the workbook's schema; headers are t("workbook.col.<name>")).
TOWN_GAP_COLUMNS: tuple[str, ...] = (
    "town", "gap_registered_tpd", "gap_registered_unknown", "gap_operating_tpd", "gap_generation_tpd", "gap_tpd",
    "gap_types_present", "gap_types_missing", "gap_undated_count", "gap_undated_sites",
)
TOWN_GAP_NUMERIC = frozenset({"gap_registered_tpd", "gap_registered_unknown", "gap_operating_tpd",
                              "gap_generation_tpd", "gap_tpd", "gap_undated_count"})


def town_gap_rows(gaps: Sequence[TownGap], lang: str) -> list[list[object]]:
    """The town gap table's rows in :data:`TOWN_GAP_COLUMNS` order: numbers stay numbers (sortable),
    an unknown stays None (written 未知 by every view), a lower/upper bound is said in the next column
    (the count of sites of unknown capacity) and in the gap's own note."""
    sep = ", " if lang == "en" else "、"
    rows: list[list[object]] = []
    for g in gaps:
        rows.append([
            g.name_en if lang == "en" else g.name_zh,
            g.registered_tpd,
            len(g.registered_unknown_sites),
            None if g.operating_unknown_sites and not g.operating_tpd else g.operating_tpd,
            g.generation_tpd,
            g.gap_tpd,
            sep.join(category_label(c, lang) for c in g.types_present) or "—",
            sep.join(category_label(c, lang) for c in g.types_missing) or "—",
            len(g.undated_sites),
            ", ".join(g.undated_sites) or "—",
        ])
    return rows
