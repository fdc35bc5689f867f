"""街镇 / Towns: a scorecard per town, a choropleth of a scorecard measure, the town's sites,
and an INDICATIVE wet-waste generation estimate with editable (session-only) parameters.

Presents :func:`wufei_geo.analysis.town_scorecards`; computes nothing itself.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st

from app_pages import cached, folium_adapter, memo, places_map
from app_pages.common import (
    catalog_version,
    filtered_sites,
    get_catalog,
    keep_across_language,
    lang,
    leaflet_asset_base,
    show_table,
    sidebar_filters,
    tr,
)
from app_pages.common import (
    settings as common_settings,
)
from app_pages.downloads import download, offer_report_downloads
from app_pages.forms import confirmed_text
from wufei_geo import analysis, mapview
from wufei_geo.analysis import fmt_number, fmt_share
from wufei_geo.config import GenerationParameters
from wufei_geo.data_texts import localise
from wufei_geo.filters import filters_text
from wufei_geo.i18n import category_label, status_label, unit_label
from wufei_geo.mdtext import md_literal
from wufei_geo.places.vocab import status_label as place_status_label
from wufei_geo.reports.choropleth import scorecard_choropleth
from wufei_geo.reports.texts import achieved_text, registered_text, target_label, unit_text


def render() -> None:
    L = lang()
    catalog = get_catalog()
    flt = sidebar_filters(catalog)
    st.title(tr("analysis.towns.title"))
    settings = common_settings()
    params = _parameters(settings.generation)
    cards = cached.town_scorecards(params, settings.status_confirmation_months)  # once per data version
    # the town figures of the sites passing the sidebar filters: the core's, as on the map
    figures = cached.town_figures(flt, params, settings.status_confirmation_months)
    st.caption(analysis.indicative_caveat(L))
    _overview(cards, settings.status_confirmation_months, L)
    card = _town_map(catalog, cards, figures, flt, params, settings.status_confirmation_months, L)
    st.subheader(f"{md_literal(_name(card, L))} — {tr(f'analysis.state.{card.state}')}")
    _targets(card, L)
    places_map.town_places(catalog, card.town_code, L)  # issue 24: the town's places
    _generation(card, L)
    _sites(card, L)
    _figures(figures, flt, L)
    _gaps(cached.town_gaps(params, settings.status_confirmation_months), L)
    report = cached.capacity_report(st.session_state.get("analysis_counts_toward", "all"),
                                    settings.status_confirmation_months)
    # the workbook and the one briefing (the PDF with the map, drawing the filtered sites)
    shown = filtered_sites(catalog, flt)
    offer_report_downloads("towns_dl", report, cards, shown, lang=L, params=params,
                           figures=figures, filters_text=filters_text(flt, L),
                           confirmation_months=settings.status_confirmation_months, zones=catalog.zones,
                           district=catalog.district, register=cached.register_assessment)


def _gaps(gaps: Any, L: str) -> None:
    """The town gap table (the core's): sortable (numbers stay numbers, unknown shows 未知), and as CSV."""
    from wufei_geo.io.tabular import people_csv
    from wufei_geo.reports.texts import TOWN_GAP_COLUMNS, town_gap_rows

    st.subheader(tr("workbook.sheet.town_gaps"))
    frame = memo.derived(gaps, "gaps", lambda: pd.DataFrame(town_gap_rows(gaps, L),
                                                            columns=[tr(f"workbook.col.{c}") for c in TOWN_GAP_COLUMNS]), L)
    show_table(cached.table(gaps, "gaps", lambda: frame, L))
    st.caption(tr("gaps.caption"))
    download(tr("gaps.download"), lambda: people_csv(frame), "wufei-town-gaps.csv", key="towns_gaps_csv")


def _source_label(field: str, value: str) -> str:
    """The source of a shipped default from the catalogue (both languages); a configured one as written."""
    shipped = getattr(GenerationParameters(), field)
    return tr(f"params.{field}") if value == shipped else value


def _parameters(defaults: GenerationParameters) -> GenerationParameters:
    """The generation estimate's parameters, editable for this session (shared with the 湿垃圾能力 page)."""
    with st.expander(tr("analysis.towns.params")):
        per_capita = st.number_input(
            tr("analysis.towns.per_capita"), min_value=0.0, max_value=10.0, step=0.05,
            value=float(defaults.per_capita_kg_day), key="analysis_per_capita",
        )
        st.caption(tr("analysis.towns.source", source=md_literal(_source_label("per_capita_source", defaults.per_capita_source))))
        wet_share = st.number_input(
            tr("analysis.towns.wet_share"), min_value=0.0, max_value=1.0, step=0.01,
            value=float(defaults.wet_share), key="analysis_wet_share",
        )
        st.caption(tr("analysis.towns.source", source=md_literal(_source_label("wet_share_source", defaults.wet_share_source))))
    params = replace(defaults, per_capita_kg_day=float(per_capita), wet_share=float(wet_share))
    st.session_state["analysis_params"] = params
    return params


def _name(card: analysis.TownScorecard, L: str) -> str:
    return card.name_en if L == "en" else card.name_zh


def _overview(cards: list[analysis.TownScorecard], months: int, L: str) -> None:
    show_table(cached.table(cards, "overview", lambda: _overview_table(cards, L), L))
    st.caption(tr("freshness.towns_caption", months=months))


def _overview_table(cards: list[analysis.TownScorecard], L: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                tr("analysis.col.town"): _name(c, L),
                tr("analysis.col.state"): tr(f"analysis.state.{c.state}"),
                tr("analysis.col.met"): c.counts["met"],
                tr("analysis.col.in_progress"): c.counts["in_progress"],
                tr("analysis.col.not_started"): c.counts["not_started"],
                tr("analysis.col.sites"): len(c.sites),
                tr("analysis.col.population"): c.population,
                # no population figure: its note (e.g. "not found") is no use to a reader — 未知
                tr("analysis.col.population_note"): localise(c.population_note, L) if c.population is not None and c.population_note
                else tr("common.unknown"),
                tr("analysis.col.generation"): c.generation.generation_tpd if c.generation else None,
                # issue 12: how fresh the town's statuses are (analysis.freshness, the configured period)
                tr("freshness.col_confirmed"): c.freshness.get("confirmed"),
                tr("freshness.col_stale"): c.freshness.get("stale"),
                tr("freshness.col_last"): confirmed_text(c.freshness.get("last_confirmed_at")),
            }
            for c in cards
        ]
    )


TOWN_MAP_KEY = "analysis_town_map"


def _town_map_component(flt: Any, params: Any, months: int, measure: str, lang: str, town: str | None,
                        zones: Any, figures: Any) -> dict[str, Any]:
    """The town map's component arguments (:mod:`app_pages.folium_adapter`), once per data version,
    filters, parameters, measure, language and chosen town: the figures and zones of that data are
    read only on a miss.  Building the folium map and rendering it through st_folium on every run
    cost more than the rest of the page."""
    asset_base = leaflet_asset_base()

    def build() -> dict[str, Any]:
        m = mapview.use_local_assets(scorecard_choropleth(zones, figures, measure, lang=lang, selected_town=town),
                                     asset_base)
        return folium_adapter.component_args(m, TOWN_MAP_KEY, ())
    return memo.once("town_map", (catalog_version(), flt, params, months, dt.date.today(), measure, lang, town,
                                  asset_base), build, 32)


def _town_map(catalog: Any, cards: list[analysis.TownScorecard], figures: Any, flt: Any, params: Any, months: int,
              L: str) -> analysis.TownScorecard:
    """The choropleth of a chosen measure with the chosen town; returns that town's scorecard."""
    keep_across_language("analysis_town_measure", "analysis_town")
    measure = st.selectbox(
        tr("analysis.towns.measure"), analysis.TOWN_MEASURES,
        format_func=lambda m: tr(f"analysis.measure.{m}"), key="analysis_town_measure",
        placeholder=tr("common.choose"),
    )
    codes = [c.town_code for c in cards]
    town = st.selectbox(
        tr("analysis.towns.choose"), codes,
        format_func=lambda code: next(_name(c, L) for c in cards if c.town_code == code), key="analysis_town",
        placeholder=tr("common.choose"),
    )
    args = _town_map_component(flt, params, months, measure, L, town, catalog.zones, figures)
    # what st_folium(m, key=TOWN_MAP_KEY, height=420, use_container_width=True, returned_objects=[]) sends
    folium_adapter.show(args, key=TOWN_MAP_KEY, returned_objects=(), height=420, center=None, zoom=None)
    if (catalog.zones.get("boundary_quality") == "approximate").any():
        st.caption(tr("analysis.towns.choropleth_approx") + " · " + tr("analysis.towns.unknown_area"))
    if filters_text(flt, L):  # the shading is of the filtered sites, like the map's
        st.caption(tr("analysis.report.filters", filters=md_literal(filters_text(flt, L))))
    return next(c for c in cards if c.town_code == town)


def _targets(card: analysis.TownScorecard, L: str) -> None:
    st.markdown("**" + tr("analysis.towns.targets") + "**")
    if card.targets:
        show_table(cached.table(card, "targets", lambda: pd.DataFrame(
                [
                    {
                        tr("analysis.col.description"): target_label(item, L),
                        tr("analysis.col.goal"): item.target,
                        tr("analysis.col.unit"): unit_text(item.unit, L),
                        # a target this system does not track has no figures: "—", not None
                        tr("analysis.col.achieved"): achieved_text(item, L),
                        tr("analysis.col.registered"): registered_text(item, L),
                        tr("analysis.by_status"): ", ".join(
                            f"{(place_status_label if item.measure == 'place_count' else status_label)(s, L)} "
                            f"{fmt_number(v)}" for s, v in item.by_status.items() if v) or tr("common.none"),
                        tr("analysis.col.state"): tr(f"analysis.state.{item.state}"),
                        tr("analysis.col.overdue"): tr("common.yes" if item.overdue else "common.no"),
                        tr("analysis.col.source"): item.source_ref,
                    }
                    for item in card.targets
                ]
            ), L),
        )
    else:
        st.write(tr("analysis.state.no_target"))


def _generation(card: analysis.TownScorecard, L: str) -> None:
    st.markdown("**" + tr("analysis.towns.generation") + "**")
    gen = card.generation
    if gen is None:
        st.write(tr("analysis.towns.population_unknown"))
    else:
        st.write(tr("analysis.towns.generation_value", generation=fmt_number(gen.generation_tpd),
                    population=fmt_number(gen.population), per_capita=fmt_number(gen.per_capita_kg_day),
                    wet_share=fmt_share(gen.wet_share),
                    capacity=analysis.fmt_measure(analysis.Quantity(card.wet_waste_tpd["value"],
                                                                    tuple(card.wet_waste_tpd["unknown_sites"])),
                                                  "wet_waste_tpd", L)))
        st.caption(tr("analysis.towns.population_source", note=md_literal(localise(gen.population_note, L) or tr("common.unknown"))))
        if gen.unknown_capacity_sites:
            st.warning(tr("analysis.unknown_capacity", n=gen.unknown_capacity_sites))


def _sites(card: analysis.TownScorecard, L: str) -> None:
    st.markdown("**" + tr("analysis.towns.sites") + "**")
    if card.site_rows:
        show_table(cached.table(card, "sites", lambda: pd.DataFrame(
                [
                    {
                        tr("field.site_id"): r["site_id"],
                        tr("field.name"): (r["name_en"] if L == "en" else r["name_zh"]) or r["name_zh"],
                        tr("field.category"): category_label(r["category"], L),
                        tr("field.status"): status_label(r["status"], L),
                        tr("analysis.col.capacity"): fmt_number(r["capacity"]) if r["capacity"] is not None
                        else tr("common.unknown"),
                        tr("analysis.col.unit"): (unit_label(r["capacity_unit"], L) or r["capacity_unit"])
                        if r["capacity"] is not None else None,
                        tr("field.status_as_of"): r["status_as_of"],
                        tr("field.target_year"): r["target_year"],
                        tr("analysis.col.overdue"): tr("common.yes" if r["overdue"] else "common.no"),
                    }
                    for r in card.site_rows
                ]
            ), L),
        )
    else:
        st.write(tr("analysis.towns.no_sites"))


def _figures(figures: Any, flt: Any, L: str) -> None:
    st.markdown("**" + tr("analysis.towns.figures") + "**")
    st.caption(tr("analysis.towns.figures_note")
               + (" · " + tr("analysis.report.filters", filters=md_literal(filters_text(flt, L))) if filters_text(flt, L) else ""))
    show_table(
        cached.table(figures, "figures", lambda: pd.DataFrame(
            [
                {tr("export.col.town_code"): f.town_code, tr("analysis.col.town"): f.name_en if L == "en" else f.name_zh,
                 **{tr(f"analysis.measure.{m}"): analysis.fmt_measure(f.values[m], m, L) for m in analysis.TOWN_MEASURES}}
                for f in figures
            ]
        ), L),
        key="towns_figures",
    )
