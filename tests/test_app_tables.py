"""Every table of every page writes a missing value as 未知 / unknown, never Streamlit's "None".

The data rule is that unknown stays null and is *shown as unknown*; Streamlit's grid writes an
English "None" for a null cell unless it is given a placeholder.  The 街镇 page showed "None" for
赵巷镇's population and estimate (its population is not in the gazetteer).  The pages show their
tables through ``app_pages.common.show_table``; this checks the tables the pages really draw,
logged in as a planner so that the 更新 page shows its lists too."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from tests.apptest_helpers import PAGES, REPO, app_store, log_in, open_page

UNKNOWN = {"zh": "未知", "en": "unknown"}


def test_no_page_calls_st_dataframe_itself() -> None:
    direct = [f"{p.relative_to(REPO)}:{n}" for p in sorted((REPO / "app_pages").rglob("*.py")) if p.name != "common.py"
              for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
              if re.search(r"\bst\.(dataframe|data_editor)\(", line)]
    assert direct == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_table_on_every_page_writes_missing_values_as_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    lang: str) -> None:
    app_store(tmp_path, monkeypatch).close()
    seen = 0
    for name, page in PAGES.items():
        at = open_page(page, lang)
        if name in ("update", "data"):
            log_in(at, "planner1")
            at.switch_page(page).run()
            assert not at.exception, at.exception
        for frame in at.dataframe:
            assert frame.proto.placeholder == UNKNOWN[lang], (name, list(frame.value.columns))
            # a blank text is no answer either: an unknown value is null (written 未知), a "no" is a word
            assert not _blank_cells(frame.value), (name, _blank_cells(frame.value))
            seen += 1
    assert seen >= 6  # the map's, capacity's, towns' and 更新's tables at least


def _blank_cells(frame: pd.DataFrame) -> list[tuple[str, int]]:
    """(column, row) of every cell holding an empty or blank text."""
    return [(str(col), i) for col in frame.columns for i, v in enumerate(frame[col])
            if isinstance(v, str) and not v.strip()]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_unlocated_sites_panel_writes_an_unknown_capacity_as_unknown(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch,
                                                                          lang: str) -> None:
    """The map's panel of sites without a location (on the seed: the district-level sites, among
    them planned projects whose capacity the plan does not give) had blank capacity cells."""
    app_store(tmp_path, monkeypatch).close()
    at = open_page(PAGES["map"], lang)
    # the panel and the sites' table are folded until opened (their grids are built then)
    at.session_state["map_unlocated_open"] = True
    at.session_state["map_table_open"] = True
    at.run()
    assert not at.exception, at.exception
    capacity = {"zh": "设计能力", "en": "Capacity"}[lang]
    panel = at.dataframe[0]  # right under the map
    assert list(panel.value.columns) == {"zh": ["名称", "类别", "状态", capacity],
                                         "en": ["Name", "Category", "Status", capacity]}[lang]
    cells = panel.value[capacity].tolist()
    assert any(pd.isna(v) for v in cells) and any(isinstance(v, str) and v for v in cells), cells
    assert panel.proto.placeholder == UNKNOWN[lang] and not _blank_cells(panel.value)
    # the sites' table: a site without a town has its town unknown, not blank
    sites = at.dataframe[-1].value
    town = {"zh": "街镇", "en": "Town"}[lang]
    assert sites[town].isna().any() and not _blank_cells(sites)


def test_the_towns_overview_has_a_missing_population_that_shows_as_unknown(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The case found: 赵巷镇 has no population, so no estimate either — null cells, shown 未知."""
    app_store(tmp_path, monkeypatch).close()
    at = open_page(PAGES["towns"], "zh")
    overview = at.dataframe[0]
    rows = overview.value.set_index(overview.value.columns[0])
    zhaoxiang = rows.loc["赵巷镇"]
    assert pd.isna(zhaoxiang["人口"]), zhaoxiang
    assert overview.proto.placeholder == "未知"
