"""AppTest: every page runs; on the map page each filter gives the right table count."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app_pages import registry

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = [p.path for p in registry.PAGES]


@pytest.fixture()
def db_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    monkeypatch.setenv("WUFEI_DB_URL", url)
    return url


@pytest.fixture()
def sites(db_url) -> pd.DataFrame:
    """The seeded, located sites, read straight from the core (not through the UI or filters.py)."""
    from wufei_geo.catalog import load_catalog
    from wufei_geo.store import Store

    return load_catalog(Store.open(db_url)).sites


def _app(lang: str = "zh", *, tables_open: bool = True) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["lang"] = lang
    if tables_open:  # the map page's tables are folded until opened (see the test below)
        at.session_state["map_table_open"] = True
    at.run()
    assert not at.exception, at.exception
    return at


def _rows(at: AppTest) -> int:
    return len(at.dataframe[-1].value)


def _count_line(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "个站点" in m.value or " sites" in m.value)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_runs(db_url, lang):
    at = _app(lang)
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)


def test_map_page_shows_all_sites_then_each_filter_narrows_the_table(db_url, sites):
    total = len(sites)
    assert total > 0
    at = _app()
    assert _rows(at) == total
    assert _count_line(at) == f"显示 {total} / {total} 个站点"

    # category
    cat = sites["category"].value_counts().index[0]
    at.multiselect(key="flt_category").select(cat).run()
    expected = int((sites["category"] == cat).sum())
    assert expected < total and _rows(at) == expected
    assert _count_line(at) == f"显示 {expected} / {total} 个站点"
    at.multiselect(key="flt_category").unselect(cat).run()
    assert _rows(at) == total

    # status
    status = sites["status"].value_counts().index[-1]
    at.multiselect(key="flt_status").select(status).run()
    assert _rows(at) == int((sites["status"] == status).sum())
    at.multiselect(key="flt_status").unselect(status).run()

    # town
    town = str(sites["town_code"].dropna().astype(str).value_counts().index[0])
    at.multiselect(key="flt_town").select(town).run()
    expected = int((sites["town_code"].astype(str) == town).sum())
    assert 0 < expected < total and _rows(at) == expected
    at.multiselect(key="flt_town").unselect(town).run()

    # target year
    years = pd.to_numeric(sites["target_year"], errors="coerce")
    year = int(years.dropna().value_counts().index[0])
    at.multiselect(key="flt_year").select(str(year)).run()
    expected = int((years == year).sum())
    assert 0 < expected < total and _rows(at) == expected
    at.multiselect(key="flt_year").unselect(str(year)).run()
    assert _rows(at) == total

    # free-text search (a word of one site's Chinese name)
    needle = "光伏"
    at.text_input(key="flt_search").input(needle).run()
    hit = (
        sites[["site_id", "project_id", "name_zh", "name_en", "village", "address", "department", "implementer", "data_note"]]
        .fillna("")
        .astype(str)
        .apply(lambda col: col.str.contains(needle, regex=False))
        .any(axis=1)
    )
    expected = int(hit.sum())
    assert 0 < expected < total and _rows(at) == expected

    # combined: search + category that excludes all of them → 0 rows, and the page still runs
    other = next(c for c in sites["category"].unique() if c != "pv")
    at.multiselect(key="flt_category").select(other).run()
    assert not at.exception
    both = sites["category"].eq(other) & hit
    assert _rows(at) == int(both.sum())


def test_language_toggle_switches_labels(db_url, sites):
    at = _app("en")
    total = len(sites)
    assert _count_line(at) == f"Showing {total} / {total} sites"
    assert "Site id" in at.dataframe[-1].value.columns


def test_an_edit_shows_on_the_next_rerun_under_the_same_filter(db_url, sites):
    """The table and count are cached per data version: an edit must not be hidden by the cache."""
    from wufei_geo import auth
    from wufei_geo.store import Store

    at = _app("en")
    at.multiselect(key="flt_status").select("operating").run()
    operating = int((sites["status"] == "operating").sum())
    assert _rows(at) == operating
    site_id = str(sites.loc[sites["status"] != "operating", "site_id"].iloc[0])

    store = Store.open(db_url)
    auth.create_user(store, "planner-a", "planner", None, "correct horse battery")
    actor = auth.authenticate(store, "planner-a", "correct horse battery")
    store.update_site(actor, site_id, {"status": "operating"}, store.get_site(site_id)["version"])

    at.run()
    assert not at.exception, at.exception
    assert _rows(at) == operating + 1
    assert site_id in set(at.dataframe[-1].value["Site id"])
    assert _count_line(at) == f"Showing {operating + 1} / {len(sites)} sites"


def test_the_selected_site_is_the_first_row_of_the_filtered_table(db_url, sites):
    at = _app("en")
    last = str(sites["site_id"].iloc[-1])
    at.session_state["map_selected"] = last
    at.run()
    table = at.dataframe[-1].value
    assert len(table) == len(sites) and table["Site id"].iloc[0] == last
    assert sorted(table["Site id"]) == sorted(sites["site_id"].astype(str))


def test_the_tables_are_built_only_when_opened_and_stay_open_through_a_filter(db_url, sites):
    """The map page's tables are lazy expanders: no data grid (and none of its JavaScript) before a
    user opens one; an opened panel stays open when its label changes (its count, the language)."""
    at = _app(tables_open=False)
    assert len(at.dataframe) == 0
    labels = [e.label for e in at.expander]
    unlocated = int(sites["display_lon"].isna().sum())
    assert f"位置未知的站点 ({unlocated})" in labels and "站点列表" in labels
    at.session_state["map_unlocated_open"] = True
    at.run()
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == unlocated
    # a filter changes the panel's count (its label): it stays open
    cat = sites.loc[sites["display_lon"].isna(), "category"].value_counts().index[0]
    at.multiselect(key="flt_category").select(cat).run()
    expected = int(((sites["category"] == cat) & sites["display_lon"].isna()).sum())
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == expected
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception, at.exception
    assert len(at.dataframe) == 1 and any(e.label.startswith("Sites with unknown location") for e in at.expander)
