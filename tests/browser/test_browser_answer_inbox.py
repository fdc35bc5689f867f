"""The five-second answer and the inbox in headless Chromium.

* The capacity page opens with the core's one sentence — on the seed, and after a planner entered
  the 国清 plant's existing capacity (400 t/d) and two expected dates — in both languages.
* A planner sees "1 条待核实" at the top of the map page right after an official insisted on an
  implausible value; the inbox item opens the proposal's decision form.

Every wait is on the app's state (a text or an element), never on time."""
from __future__ import annotations

import re
from typing import Any

import pytest

from wufei_geo import analysis, auth
from wufei_geo.catalog import load_catalog
from wufei_geo.reports.texts import answer_sentence
from wufei_geo.store import Store

from .harness import open_from_sidebar, running_app, sqlite_url, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OFFICIAL, PLANNER, PASSWORD = "zhaoxiang", "planner1", "browser test password"
TOWN = "310118105"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from .conftest import _require_chromium

    _require_chromium()
    url = sqlite_url(tmp_path_factory.mktemp("browser-answer-db"))
    store = Store.open(url)
    auth.create_user(store, OFFICIAL, "town_official", TOWN, PASSWORD)
    auth.create_user(store, PLANNER, "planner", None, PASSWORD)
    store.close()
    with running_app(db_url=url) as server:
        yield server


def _sentence(app: Any, lang: str) -> str:
    store = Store.open(app.db_url, seed=False)
    try:
        catalog = load_catalog(store)
        wet = analysis.wet_waste_progress(analysis.capacity_report(catalog.sites, catalog.targets))
        return answer_sentence(wet, lang)
    finally:
        store.close()


def _first_sentence(page: Any, app: Any, lang: str) -> str:
    page.goto(app.url + "/capacity")
    if lang == "en":
        page.locator("[data-testid='stSidebar'] label", has_text="English").click()
    title = "Wet-waste capacity" if lang == "en" else "湿垃圾"
    page.locator("h1", has_text=title).first.wait_for(timeout=90_000)
    first = page.locator("[data-testid='stMain'] [data-testid='stMarkdown'] strong").first
    first.wait_for(timeout=60_000)
    return " ".join(first.inner_text().split())


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_capacity_page_opens_with_the_answer_on_the_seed(app: Any, page: Any, lang: str) -> None:
    expected = _sentence(app, lang)
    shown = _first_sentence(page, app, lang)
    assert shown == " ".join(expected.split())
    assert shown.startswith("今日运行能力未知" if lang == "zh" else "What runs today is unknown")
    # then the sites that block it: a compact table, the 国清 plant first
    table = page.locator("[data-testid='stMain'] [data-testid='stDataFrame']").first
    table.wait_for(timeout=30_000)


@pytest.fixture(scope="module")
def entered(app: Any) -> None:
    """A planner enters the 国清 plant's existing capacity (400 t/d, with its source) and two
    expected dates (the plant in 2029, 中步村 in 2028) — the same core the form and the CLI use."""
    store = Store.open(app.db_url, seed=False)
    try:
        planner = auth.authenticate(store, PLANNER, PASSWORD)
        site = store.get_site("E.11-1")
        store.update_site(planner, "E.11-1", {"baseline_capacity_value": "400", "baseline_capacity_unit": "t/d",
                                              "expected_commissioning": "2029-06"}, site["version"],
                          "区绿化市容局年报")
        site = store.get_site("E.12-1")
        store.update_site(planner, "E.12-1", {"expected_commissioning": "2028-03"}, site["version"], None)
        auth.logout(store, planner)
    finally:
        store.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_answer_after_a_baseline_and_two_expected_dates(app: Any, page: Any, entered: None, lang: str) -> None:
    expected = _sentence(app, lang)
    assert expected.startswith("今日运行 400 吨/日" if lang == "zh" else "400 t/d runs today")
    wait_until(page, lambda: _first_sentence(page, app, lang) == " ".join(expected.split()),
               timeout_s=120, what="the page's first sentence to be the core's")


def test_a_planner_sees_the_proposal_on_top_of_the_map_and_opens_its_form(app: Any, page: Any) -> None:
    store = Store.open(app.db_url, seed=False)
    try:
        official = auth.authenticate(store, OFFICIAL, PASSWORD)
        # E.12-1 is 赵巷's 5 t/d village facility: 50 t/d is implausible; the official insists
        sid = "E.12-1"
        site = store.get_site(sid)
        after = store.update_site(official, sid, {"status": "operating", "operating_capacity_value": "50",
                                                  "operating_capacity_unit": "t/d"}, site["version"],
                                  "扩容后铭牌 50 吨/日", insist=True)
        pid = after["proposal"]["id"]
        auth.logout(store, official)
    finally:
        store.close()
    page.goto(app.url)
    open_from_sidebar(page, "更新", page.get_by_label("用户名"))
    page.get_by_label("用户名").fill(PLANNER)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_text(f"已登录：{PLANNER}").wait_for(timeout=60_000)
    # the count after 更新 in the navigation
    nav = page.locator("[data-testid='stSidebarNav'] a", has_text="更新").first
    wait_until(page, lambda: re.search(r"更新（\d+）", nav.inner_text()) is not None, what="the count in the navigation")
    open_from_sidebar(page, "地图", page.get_by_text("1 条待核实").first)
    top = page.locator("[data-testid='stMain'] [data-testid='stAlert']").first
    assert "1 条待核实" in top.inner_text()
    box = top.bounding_box()
    assert box is not None and box["y"] < 300  # at the top of the page, not thousands of pixels down
    page.locator("[data-testid='stMain'] [data-testid='stExpander'] summary", has_text="待办").first.click()
    page.locator("[data-testid='stMain'] .st-key-inbox_open_0 button").first.click()
    # the 更新 page with the proposal's decision form first, on this proposal
    page.locator("h1", has_text="更新").first.wait_for(timeout=60_000)
    main = page.locator("[data-testid='stMain']")
    page.locator("h2, h3", has_text="待核实修改").first.wait_for(timeout=60_000)
    # the decision form's pick shows this proposal (the value is the combobox input's)
    pick = main.locator("input[role='combobox'][aria-label='待核实修改']").first
    wait_until(page, lambda: pick.input_value().startswith(f"#{pid} · {sid}"), what="the proposal chosen in its form")
    # the decision form comes first: its heading is above the site list's
    heading = page.locator("h2, h3", has_text="待核实修改").first
    sites = page.locator("h2, h3", has_text="全部站点").first
    assert heading.bounding_box()["y"] < sites.bounding_box()["y"]
