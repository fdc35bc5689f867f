"""AppTest: the 湿垃圾能力 and 街镇 pages run and show the numbers analysis computes."""
from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest_helpers import PAGES, open_page
from wufei_geo import analysis, i18n
from wufei_geo.analysis import fmt_number, fmt_share
from wufei_geo.reports.texts import (
    answer_sentence,
    blockers_table,
    reached_year_text,
    registered_text,
    target_label,
)


@pytest.fixture()
def catalog(tmp_path, monkeypatch):
    """Fresh seeded SQLite database; the catalog read straight from the core."""
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    monkeypatch.setenv("WUFEI_DB_URL", url)
    from wufei_geo.catalog import load_catalog
    from wufei_geo.store import Store

    return load_catalog(Store.open(url))


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [m.value for m in at.caption]
    parts += [w.value for w in at.warning] + [e.value for e in at.error] + [i.value for i in at.info]
    # as the reader sees it: markdown's backslash escapes (wufei_geo.mdtext.md_literal) removed
    return re.sub(r"\\(.)", r"\1", "\n".join(str(p) for p in parts))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_capacity_page_shows_the_analysis_numbers(catalog, lang):
    wet = analysis.wet_waste_progress(analysis.capacity_report(catalog.sites, catalog.targets))
    at = open_page(PAGES["capacity"], lang)
    text = _texts(at)
    unit = "吨/日" if lang == "zh" else "t/d"
    assert f"{fmt_number(wet.registered)} {unit}" in text  # 700.5 t/d registered
    # the five-second answer first, then the sites that block it (site, what is missing, who can fix it)
    assert text.startswith(answer_sentence(wet, lang)) or f"**{answer_sentence(wet, lang)}**" in text.split("\n")[0]
    blocking = at.dataframe[0].value
    assert list(blocking.columns) == blockers_table(wet, lang).header and len(blocking) == len(analysis.blockers(wet))
    assert blocking.iloc[0, 0].startswith("E.11-1")
    assert not at.warning  # no wall of reasons
    metrics = {m.label: m.value for m in at.metric}
    # issue 11: a total with unknown parts says so ("≥ 700.5 吨/日（7 个站点能力未知）"), and the
    # forecast names no year it cannot know (was: a bare "700.5" and a year from today's date)
    assert registered_text(wet, lang, short=True) in metrics.values()
    assert registered_text(wet, lang, short=True) == f"≥ {fmt_number(wet.registered)} {unit}"
    assert registered_text(wet, lang) in text  # the full text, with the count of unknown sites
    assert reached_year_text(wet, lang) in metrics.values()
    # contributing sites: one row per wet-waste site, with status and capacity
    sites_table = next(d.value for d in at.dataframe[1:] if len(d.value) == len(wet.sites))
    assert sorted(sites_table.iloc[:, 0]) == sorted(wet.sites)
    # the other targets are listed with the same registered share (PV: 4,282.8 of 300,000 kW)
    pv = next(r for r in analysis.capacity_report(catalog.sites, catalog.targets) if r.category == "pv")
    assert fmt_share(pv.registered_share) in text and fmt_number(pv.registered) in text
    assert {b.key for b in at.get("download_button")} == {"capacity_dl_xlsx", "capacity_dl_pdf"}


def test_capacity_page_choice_of_what_counts(catalog):
    at = open_page(PAGES["capacity"], "en")
    at.radio(key="analysis_counts_toward").set_value("centralised").run()
    assert not at.exception
    central = analysis.wet_waste_progress(
        analysis.capacity_report(catalog.sites, catalog.targets, counts_toward="centralised"))
    metrics = {m.label: m.value for m in at.metric}
    assert f"{fmt_number(central.registered)} t/d" in metrics.values()  # 600 t/d: E.11 only
    answer = answer_sentence(central, "en")
    assert answer in _texts(at) and "design capacity" not in answer  # E.11's capacity is known


def test_towns_page_shows_scorecards_and_follows_the_parameters(catalog):
    at = open_page(PAGES["towns"], "en")
    cards = analysis.town_scorecards(catalog.sites, catalog.targets, catalog.towns)
    overview = at.dataframe[0].value
    assert len(overview) == 11
    assert list(overview["Sites"]) == [len(c.sites) for c in cards]
    assert list(overview["Not started"]) == [c.counts["not_started"] for c in cards]
    # choose 华新: its targets and sites, and the indicative estimate 212,000 × 1.1 × 0.348 = 81.15 t/d
    at.selectbox(key="analysis_town").set_value("310118107").run()
    assert not at.exception
    huaxin = next(c for c in cards if c.town_code == "310118107")
    assert f"about {fmt_number(huaxin.generation.generation_tpd)} t/d" in _texts(at)
    tables = [d.value for d in at.dataframe]
    # the town's targets by their descriptions (raw target ids are no words for people)
    described = {target_label(x, "en") for x in huaxin.targets}
    assert any(len(t) == len(huaxin.targets) and set(t[i18n.t("analysis.col.description", "en")]) == described
               for t in tables)
    assert any(len(t) == len(huaxin.sites) and set(t.iloc[:, 0]) == set(huaxin.sites) for t in tables)
    # editing the wet share for the session changes the estimate: 212,000 × 1.1 × 0.5 / 1000 = 116.6 t/d
    at.number_input(key="analysis_wet_share").set_value(0.5).run()
    assert not at.exception
    assert "about 116.6 t/d" in _texts(at)
    # a town without population says so instead of showing 0
    at.selectbox(key="analysis_town").set_value("310118105").run()
    assert "Population not known: no estimate" in _texts(at)
    # every scorecard measure can shade the map
    for measure in analysis.TOWN_MEASURES:
        at.selectbox(key="analysis_town_measure").set_value(measure).run()
        assert not at.exception, measure
