"""The 指标 page in headless Chromium: the summary lines in both languages; a department account
logs in on the page and reports a value through its form — the summary line moves by one and
the value is stored as that account's; the page is photographed in both languages.

The app runs as ``streamlit run app.py`` on a free port with a fresh SQLite database; every wait
is on the app's state and bounded."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wufei_geo import auth
from wufei_geo.register import reporting
from wufei_geo.store import Store

from .harness import running_app, sqlite_url, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DEPT, PASSWORD, LVHUA = "lvhua", "browser test password", "区绿化市容局"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from .conftest import _require_chromium

    _require_chromium()
    url = sqlite_url(tmp_path_factory.mktemp("browser-indicators-db"))
    store = Store.open(url)
    auth.create_user(store, DEPT, "department", None, PASSWORD, department=LVHUA)
    store.close()
    with running_app(db_url=url) as server:
        yield server


def _values(app: Any) -> list[dict[str, Any]]:
    store = Store.open(app.db_url, seed=False)
    try:
        return reporting.values(store)
    finally:
        store.close()


def test_department_reports_a_value_on_the_page(app: Any, page: Any, artifacts_dir: Path) -> None:
    page.goto(app.url + "/indicators")
    page.get_by_text("62 项指标：已达标 0，未达标 1，未测量 44，待判断 17").first.wait_for(timeout=90_000)
    page.get_by_text("40 项设施目标：").first.wait_for(timeout=30_000)
    page.screenshot(path=str(artifacts_dir / "indicators-zh.png"), full_page=False)

    # pick #27 and log in on the page
    picker = page.locator("[data-testid='stSelectbox']").filter(has=page.get_by_text("查看一项", exact=True)).first
    picker.click()
    page.keyboard.type("27 ")
    page.keyboard.press("Enter")
    page.locator("h3", has_text="27 · 再生资源回收量").first.wait_for(timeout=60_000)
    page.get_by_label("用户名").fill(DEPT)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_text(f"已登录：{DEPT}").first.wait_for(timeout=60_000)

    page.get_by_label("数值 (吨/日)").fill("210")
    page.get_by_label("来源").fill("区绿化市容局 2025 年报")
    page.get_by_role("button", name="提交").click()
    wait_until(page, lambda: len(_values(app)) == 1, what="the value to be stored")
    page.get_by_text("62 项指标：已达标 1，未达标 1，未测量 43，待判断 17").first.wait_for(timeout=60_000)
    [value] = _values(app)
    assert (value["entry_id"], value["value"], value["entered_by"]) == ("27", 210, DEPT)

    page.get_by_text("English", exact=True).first.click()
    page.get_by_text("62 indicators: met 1, not met 1, not measured 43, needs judgement 17").first.wait_for(
        timeout=60_000)
    page.get_by_text("Reported values and their sources").first.wait_for(timeout=60_000)
    wait_until(page, lambda: page.get_by_text("填报数值与来源").count() == 0, what="the rerun in English to finish")
    page.screenshot(path=str(artifacts_dir / "indicators-en.png"), full_page=False)
