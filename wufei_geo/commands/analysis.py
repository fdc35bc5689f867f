"""``wufei-geo capacity``, ``wufei-geo towns`` and ``wufei-geo report``: the numbers of the
湿垃圾能力 and 街镇 pages, computed by :mod:`wufei_geo.analysis`, printed or exported."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import TYPE_CHECKING, Any

from wufei_geo.model import CATEGORIES, COUNTS_TOWARD, DEFAULT_BRIEFING_MEASURE, STATUSES, TOWN_MEASURES

if TYPE_CHECKING:
    from wufei_geo.filters import Filters

# Heavy modules (pandas, folium, openpyxl) are imported by the commands that run, not at
# start-up: `wufei-geo --help` stays fast (bench/fig_cli.py).


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {text!r}") from exc


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", choices=("zh", "en"), default=argparse.SUPPRESS)
    parser.add_argument("--today", type=_date, default=None)


def _filter_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--category", action="append", choices=CATEGORIES, default=[])
    parser.add_argument("--status", action="append", choices=STATUSES, default=[])


def _filters(args: argparse.Namespace) -> Filters:
    from wufei_geo.filters import Filters

    return Filters(categories=tuple(args.category or ()), statuses=tuple(args.status or ()))


def _months() -> int:
    from wufei_geo.config import load_settings

    return load_settings().status_confirmation_months


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("capacity")
    p.add_argument("--json", action="store_true")
    p.add_argument("--counts-toward", choices=COUNTS_TOWARD, default="all")
    _common(p)
    p.set_defaults(func=cmd_capacity)

    p = subparsers.add_parser("towns")
    p.add_argument("--json", action="store_true")
    _common(p)
    _filter_args(p)
    p.set_defaults(func=cmd_towns)

    p = subparsers.add_parser(
        "report",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--counts-toward", choices=COUNTS_TOWARD, default="all")
    p.add_argument("--measure", choices=TOWN_MEASURES, default=DEFAULT_BRIEFING_MEASURE)
    p.add_argument("--assessment", action="store_true")
    p.add_argument("--as-of", type=_date, default=None)
    _common(p)
    _filter_args(p)
    p.set_defaults(func=cmd_report)


def _catalog() -> Any:
    from wufei_geo.catalog import load_catalog
    from wufei_geo.store import Store

    return load_catalog(Store.open())


def _params() -> Any:
    from wufei_geo.config import load_settings

    return load_settings().generation


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def _status_line(by_status: dict[str, Any], lang: str) -> str:
    from wufei_geo.analysis import fmt_number
    from wufei_geo.i18n import status_label

    parts = [f"{status_label(s, lang)} {fmt_number(v)}" for s, v in by_status.items() if v]
    return ", ".join(parts) or "—"


def cmd_capacity(args: argparse.Namespace) -> int:
    from wufei_geo import analysis
    from wufei_geo.analysis import blockers, fmt_number
    from wufei_geo.analysis.measures import site_measure
    from wufei_geo.i18n import t
    from wufei_geo.reports.texts import (
        achieved_text,
        answer_sentence,
        blockers_table,
        existing_line,
        forecast_text,
        headline_text,
        reached_year_text,
        registered_line,
        registered_text,
        target_label,
        unit_text,
    )

    catalog = _catalog()
    report = analysis.capacity_report(catalog.sites, catalog.targets, counts_toward=args.counts_toward,
                                      today=args.today, confirmation_months=_months())
    wet = analysis.wet_waste_progress(report)
    if args.json:
        # each target with the sites that block its answer; the headline target with its sentence
        _print_json([{**item.to_dict(), "blockers": [b.to_dict() for b in blockers(item)],
                      **({"answer": answer_sentence(item, args.lang)} if item is wet else {})}
                     for item in report])
        return 0
    lang = args.lang
    if wet is not None:
        unit = unit_text(wet.unit, lang)
        print(answer_sentence(wet, lang))
        table = blockers_table(wet, lang)
        if table.rows:
            print("  " + t("answer.title", lang) + ":")
            for row in table.rows:
                print("    " + " | ".join(cell for cell in row if cell))
        print()
        print(t("analysis.title", lang))
        print("  " + t("analysis.counts_toward", lang) + ": " + t("analysis.counts." + wet.counts_toward, lang))
        print("  " + headline_text(wet, lang))
        if wet.existing_capacity["value"] != 0 or wet.existing_capacity["unknown_sites"]:
            print("  " + existing_line(wet, lang))
        print("  " + registered_line(wet, lang))
        print("  " + t("analysis.by_status", lang) + ": " + _status_line(wet.by_status, lang))
        for mode, values in wet.by_mode.items():
            print(f"    {t('analysis.counts.' + mode, lang)}: {_status_line(values, lang)}")
        if wet.unknown_capacity_sites["count"]:
            print("  " + t("analysis.unknown_capacity", lang, n=wet.unknown_capacity_sites["count"])
                  + ": " + ", ".join(wet.unknown_capacity_sites["ids"]))
        if wet.forecast_state != "cannot_tell":  # cannot tell: the sentence and the table say why
            print("  " + forecast_text(wet, lang))
        print("  " + " ".join(
            f"{t('chart.unknown_year', lang) if p['undated'] else p['year']}:"
            f"{'≥ ' if p['lower_bound'] else ''}{fmt_number(p['cumulative'])}" for p in wet.projection) + f" {unit}")
        if wet.overdue_sites:
            print("  " + t("analysis.overdue_sites", lang, n=len(wet.overdue_sites), ids=", ".join(wet.overdue_sites)))
        print()
    print(t("analysis.targets_table", lang))
    for item in report:
        unit = unit_text(item.unit, lang)
        state = t("analysis.state." + item.state, lang) + (
            " · " + t("analysis.target_overdue", lang) if item.overdue else "")
        print(f"  [{item.id}] {target_label(item, lang)}")
        print(f"      {t('analysis.col.goal', lang)} {fmt_number(item.target)} {unit} ({item.target_year or '—'}) · "
              f"{t('analysis.col.achieved', lang)} {achieved_text(item, lang)} · "
              f"{t('analysis.col.registered', lang)} {registered_text(item, lang)} · "
              f"{t('analysis.col.year_reached', lang)} {reached_year_text(item, lang)} · {state}")
        if site_measure(item.measure).tracked and item.measured:
            print(f"      {t('analysis.by_status', lang)}: {_status_line(item.by_status, lang)}")
        if item.forecast_state == "cannot_tell":
            print("      " + forecast_text(item, lang))
    return 0


def cmd_towns(args: argparse.Namespace) -> int:
    from wufei_geo import analysis
    from wufei_geo.analysis import fmt_number, report_figures
    from wufei_geo.analysis.measures import site_measure
    from wufei_geo.filters import apply_filters, filters_text
    from wufei_geo.i18n import t
    from wufei_geo.reports.texts import achieved_text, registered_text, target_label, unit_text

    catalog = _catalog()
    params = _params()
    cards = analysis.town_scorecards(catalog.sites, catalog.targets, catalog.towns, params, today=args.today,
                                     confirmation_months=_months())
    flt = _filters(args)
    figures = {f.town_code: f for f in report_figures(apply_filters(catalog.sites, flt), cards, params)}
    if args.json:
        # each scorecard (targets judged on all sites) with the town figures of the filtered sites
        _print_json([{**card.to_dict(), "figures": figures[card.town_code].to_dict(args.lang)["measures"],
                      "filters": {"categories": list(flt.categories), "statuses": list(flt.statuses)}}
                     for card in cards])
        return 0
    lang = args.lang
    if filters_text(flt, lang):
        print(t("analysis.report.filters", lang, filters=filters_text(flt, lang)))
    for card in cards:
        name = card.name_en if lang == "en" else card.name_zh
        print(f"{name} ({card.town_code}) — {t('analysis.state.' + card.state, lang)} · "
              f"{t('analysis.col.met', lang)} {card.counts['met']} · "
              f"{t('analysis.col.in_progress', lang)} {card.counts['in_progress']} · "
              f"{t('analysis.col.not_started', lang)} {card.counts['not_started']} · "
              f"{t('analysis.col.sites', lang)} {len(card.sites)}")
        fresh = card.freshness
        print("    " + t("freshness.line", lang, confirmed=fresh.get("confirmed"), sites=fresh.get("sites"),
                          stale=fresh.get("stale"), last=fresh.get("last_confirmed_at") or "—", months=_months()))
        fig = figures[card.town_code]
        print("    " + " · ".join(f"{t('analysis.measure.' + m, lang)} {analysis.fmt_measure(fig.values[m], m, lang)}"
                                  for m in analysis.TOWN_MEASURES))
        for item in card.targets:
            if not site_measure(item.measure).tracked:
                value = t("analysis.state.untracked", lang)
            else:
                value = (f"{achieved_text(item, lang)} / {fmt_number(item.target)} {unit_text(item.unit, lang)} · "
                         f"{t('analysis.col.registered', lang)} {registered_text(item, lang)} · "
                         f"{t('analysis.state.' + item.state, lang)}")
                if item.overdue:
                    value += " · " + t("analysis.target_overdue", lang)
            print(f"    [{item.id}] {target_label(item, lang)}: {value}")
        gen = card.generation
        if gen is None:
            print("    " + t("analysis.towns.generation", lang) + ": " + t("analysis.towns.population_unknown", lang))
        else:
            print("    " + t("analysis.towns.generation", lang) + ": " + t(
                "analysis.towns.generation_value", lang, generation=fmt_number(gen.generation_tpd),
                population=fmt_number(gen.population), per_capita=fmt_number(gen.per_capita_kg_day),
                wet_share=analysis.fmt_share(gen.wet_share),
                capacity=analysis.fmt_measure(fig.values["wet_waste_tpd"], "wet_waste_tpd", lang))
                + f" [{gen.population_note}]")
    print()
    print(analysis.indicative_caveat(lang))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    if args.assessment:
        from wufei_geo.commands.indicators import write_assessment

        return write_assessment(args)
    from wufei_geo import analysis
    from wufei_geo.analysis import report_figures
    from wufei_geo.filters import apply_filters, filters_text
    from wufei_geo.reports.downloads import write_report

    catalog = _catalog()
    params = _params()
    months = _months()
    report = analysis.capacity_report(catalog.sites, catalog.targets, counts_toward=args.counts_toward,
                                      today=args.today, confirmation_months=months)
    cards = analysis.town_scorecards(catalog.sites, catalog.targets, catalog.towns, params, today=args.today,
                                     confirmation_months=months)
    flt = _filters(args)
    shown = apply_filters(catalog.sites, flt)
    figures = report_figures(shown, cards, params)
    try:
        if str(args.output).lower().endswith(".pdf"):
            from pathlib import Path

            from wufei_geo.i18n import t
            from wufei_geo.reports.briefing_pdf import BriefingFontError, briefing_pdf

            try:
                # the map draws the filtered sites; the town figures are theirs (as the workbook's)
                data = briefing_pdf(report, cards, catalog.zones, shown, district=catalog.district,
                                    lang=args.lang, measure=args.measure, generated=args.today, params=params,
                                    figures=figures, filters_text=filters_text(flt, args.lang),
                                    confirmation_months=months)
            except BriefingFontError as exc:
                print(f"wufei-geo report: {t(exc.key, args.lang, **exc.params)}", file=sys.stderr)
                return 1
            path = Path(args.output)
            path.write_bytes(data)
        else:
            from wufei_geo.register.assess import PLAN_DEADLINE, assess
            from wufei_geo.store import Store

            path = write_report(args.output, report, cards, catalog.sites, lang=args.lang, params=params,
                                generated=args.today, figures=figures, filters_text=filters_text(flt, args.lang),
                                confirmation_months=months, register=assess(Store.open(), args.as_of or PLAN_DEADLINE))
    except (ValueError, OSError) as exc:
        print(f"wufei-geo report: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0
