"""Issue 12 in headless Chromium: an official logs in, sees the open update round, confirms two
sites unchanged and changes one; the planner's progress table then shows 3 answered for that town.

The app runs as ``streamlit run app.py`` on a free port with a fresh SQLite database; every wait
is bounded."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from wufei_geo import auth
from wufei_geo.store import Store

from .harness import choose, open_from_sidebar, running_app, script_idle, sqlite_url, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TOWN, TOWN_NAME = "310118105", "赵巷镇"
OFFICIAL, PLANNER, PASSWORD = "zhaoxiang", "planner1", "browser test password"
TITLE = "2026 春季核实"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The app on a fresh database with a town official, a planner and an open round for 赵巷镇."""
    from .conftest import _require_chromium

    _require_chromium()
    url = sqlite_url(tmp_path_factory.mktemp("browser-rounds-db"))
    store = Store.open(url)
    auth.create_user(store, OFFICIAL, "town_official", TOWN, PASSWORD)
    auth.create_user(store, PLANNER, "planner", None, PASSWORD)
    planner = auth.authenticate(store, PLANNER, PASSWORD)
    store.open_round(planner, TITLE, None, [TOWN])
    auth.logout(store, planner)
    store.close()
    with running_app(db_url=url) as server:
        yield server


def _answers(app: Any) -> list[dict[str, Any]]:
    store = Store.open(app.db_url, seed=False)
    try:
        return store.round_answers(store.current_round()["id"])
    finally:
        store.close()


def _login_on_update(page: Any, app: Any, name: str) -> None:
    page.goto(app.url)
    open_from_sidebar(page, "更新", page.get_by_label("用户名"))
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_text(f"已登录：{name}").wait_for(timeout=60_000)


def test_official_answers_the_round_and_the_planner_sees_it(app: Any, page: Any, browser: Any,
                                                             artifacts_dir: Path) -> None:
    _login_on_update(page, app, OFFICIAL)
    banner = page.get_by_text(re.compile(f"更新轮次「{TITLE}」进行中"))
    banner.first.wait_for(timeout=30_000)
    assert re.search(r"本街镇 \d+ 个站点中还有 \d+ 个待确认", banner.first.inner_text())

    # change one: the picked site's status, through the form
    heading = page.locator("h3", has_text=re.compile(r"^E\.\d+-\d+ · ")).first
    heading.wait_for(timeout=30_000)
    changed = heading.inner_text().split(" · ", 1)[0].strip()
    status_box = page.locator("[data-testid='stMain'] [data-testid='stSelectbox']").filter(
        has=page.get_by_text("状态", exact=True)).first
    option = page.get_by_role("option", name="已运行", exact=True)
    choose(page, status_box, option)  # a click lost to a rerun opens the list again
    script_idle(page)  # a click while the page reruns is lost
    page.get_by_role("button", name="保存").click()
    page.get_by_text(f"已保存 {changed}").first.wait_for(timeout=60_000)
    wait_until(page, lambda: len(_answers(app)) == 1, what="the edit to count as an answer")

    # confirm two: the per-site buttons of the list (only the sites still to confirm are shown)
    for n in (2, 3):
        script_idle(page)  # a click while the page reruns is lost
        page.get_by_role("button", name="确认无变化", exact=True).first.click()
        wait_until(page, lambda n=n: len(_answers(app)) == n, what=f"{n} answers")
        page.get_by_text("已确认 1 个站点无变化").first.wait_for(timeout=60_000)
    answers = _answers(app)
    assert [a["answer"] for a in answers] == ["update", "confirm", "confirm"]
    assert len({a["site_id"] for a in answers}) == 3 and answers[0]["site_id"] == changed
    assert {a["answered_by"] for a in answers} == {OFFICIAL}
    page.screenshot(path=str(artifacts_dir / "round-official.png"), full_page=False)

    # the planner, in another browser session: the progress table says 3 answered for 赵巷镇
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    try:
        from .harness import block_external

        block_external(context)
        planner_page = context.new_page()
        _login_on_update(planner_page, app, PLANNER)
        table = planner_page.locator("[data-testid='stTable']").filter(has_text=TOWN_NAME).first
        table.wait_for(timeout=30_000)
        row = table.locator("tr", has_text=TOWN_NAME).first
        cells = [c.strip() for c in row.locator("th, td").all_inner_texts()]
        assert cells[0] == TOWN_NAME and cells[1] == "3", cells
        assert cells[3] == f"3 / {cells[2]}" and OFFICIAL in cells[4], cells
        planner_page.screenshot(path=str(artifacts_dir / "round-planner-progress.png"), full_page=False)
    finally:
        context.close()
