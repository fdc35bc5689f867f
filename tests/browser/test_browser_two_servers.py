"""Two app servers, one PostgreSQL (docs/deploy.md): two ``streamlit run app.py`` processes share
one database (``WUFEI_DB_URL``), as N app servers behind a reverse proxy do.  What one server
does, the other sees: a saved edit reaches a map open on the other within 10 s, a round opened
on one is the open round on the other, a lock-out earned on one holds on the other, and
sessions ended on one (an administrator disabling the account) are ended on both.

Needs ``WUFEI_TEST_PG_URL`` (skipped without it, a failure under CI, like every PostgreSQL test).
"""
from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import fresh_pg_schema
from wufei_geo import auth
from wufei_geo.mapview.style import STATUS_COLOURS
from wufei_geo.store import Store

from .harness import (
    block_external,
    choose,
    hex_to_rgb,
    map_frame,
    marker_count,
    open_from_sidebar,
    running_app,
    site_colours,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.postgres]

TOWN = "310118105"  # 赵巷镇
PASSWORD = "browser test password"
EDITOR, LEAVER, LOCKED = "zx-editor", "zx-leaver", "zx-locked"
OPENER, SECOND = "planner-a", "planner-b"
LIVE_LIMIT_S = 10.0


@pytest.fixture(scope="module")
def pg_schema_url() -> Iterator[str]:
    """A fresh schema of the test PostgreSQL for this module (both servers use it)."""
    with fresh_pg_schema() as url:
        yield url


@pytest.fixture(scope="module")
def servers(pg_schema_url: str) -> Iterator[tuple[Any, Any]]:
    from .conftest import _require_chromium

    _require_chromium()
    store = Store.open(pg_schema_url)
    for name in (EDITOR, LEAVER, LOCKED):
        auth.create_user(store, name, "town_official", TOWN, PASSWORD)
    for name in (OPENER, SECOND):
        auth.create_user(store, name, "planner", None, PASSWORD)
    store.close()
    env = {"WUFEI_LOCKOUT_ATTEMPTS": "2"}  # two wrong passwords lock: fewer clicks
    with running_app(db_url=pg_schema_url, env=env) as first, running_app(db_url=pg_schema_url, env=env) as second:
        assert first.port != second.port
        yield first, second


def _context(browser: Any) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    context.set_default_timeout(30_000)
    block_external(context)
    return context, context.new_page()


def _login_form(page: Any, server: Any) -> None:
    page.goto(server.url)
    open_from_sidebar(page, "更新", page.get_by_label("用户名"))


def _submit_login(page: Any, name: str, password: str = PASSWORD) -> None:
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def _log_in(page: Any, server: Any, name: str) -> None:
    _login_form(page, server)
    _submit_login(page, name)
    page.get_by_text(f"已登录：{name}").first.wait_for(timeout=60_000)


def test_an_edit_saved_on_one_server_reaches_a_map_open_on_the_other(servers: Any, browser: Any) -> None:
    first, second = servers
    viewer_ctx, viewer = _context(browser)
    editor_ctx, editor = _context(browser)
    try:
        viewer.goto(f"{second.url}/map")
        map_frame(viewer)
        n = wait_until(viewer, lambda: marker_count(viewer) or None, what="the map on the second server")

        _log_in(editor, first, EDITOR)
        heading = editor.locator("h3").filter(has_text=re.compile(r" · ")).first
        heading.wait_for(timeout=30_000)
        site_id = heading.inner_text().split(" · ")[0].strip()
        store = Store.open(first.db_url, seed=False)
        try:
            before = store.get_site(site_id)
        finally:
            store.close()
        target, target_zh = ("commissioning", "试运行") if before["status"] != "commissioning" else ("operating", "已运行")
        want = hex_to_rgb(STATUS_COLOURS[target])
        assert site_colours(viewer).get(site_id) != want

        status_box = editor.locator("[data-testid='stMain'] [data-testid='stSelectbox']").filter(
            has=editor.get_by_text("状态", exact=True)).first
        choose(editor, status_box, editor.get_by_role("option", name=target_zh, exact=True))
        editor.get_by_role("button", name="保存").click()
        editor.get_by_text(f"已保存 {site_id}").first.wait_for(timeout=60_000)
        saved_at = time.monotonic()

        def recoloured() -> bool | None:
            try:
                return site_colours(viewer).get(site_id) == want or None
            except LookupError:  # the map iframe is being replaced by the rerun
                return None

        wait_until(viewer, recoloured, timeout_s=LIVE_LIMIT_S + 5, what="the edit on the other server's map")
        took = time.monotonic() - saved_at
        assert took <= LIVE_LIMIT_S, f"the edit reached the other server's map after {took:.1f} s"
        assert marker_count(viewer) == n
    finally:
        editor_ctx.close()
        viewer_ctx.close()


def _open_rounds(page: Any) -> None:
    """Unfold the 更新轮次 expander (folded while no round is open) until its form shows."""
    page.locator("[data-testid='stExpander'] summary").filter(has_text="更新轮次").first.click()
    page.get_by_text("目前没有进行中的更新轮次").first.wait_for(timeout=30_000)


def test_a_round_opened_on_one_server_is_the_round_on_the_other(servers: Any, browser: Any) -> None:
    first, second = servers
    opener_ctx, opener = _context(browser)
    other_ctx, other = _context(browser)
    title, late = "两台服务器核实", "第二台服务器的轮次"
    try:
        _log_in(other, second, SECOND)  # the second planner's page shows no round and the form to open one
        _open_rounds(other)
        _log_in(opener, first, OPENER)
        _open_rounds(opener)
        opener.get_by_label("标题").fill(title)
        opener.get_by_role("button", name="发起更新轮次").click()
        opener.get_by_text(re.compile(f"已发起更新轮次 #\\d+「{title}」")).first.wait_for(timeout=60_000)

        # the second server still shows its form: opening another round there is refused
        other.get_by_label("标题").fill(late)
        other.get_by_role("button", name="发起更新轮次").click()
        other.get_by_text(re.compile(f"进行中：#\\d+「{title}」")).first.wait_for(timeout=60_000)
        store = Store.open(first.db_url, seed=False)
        try:
            assert [r["title"] for r in store.rounds("open")] == [title]
            assert late not in [r["title"] for r in store.rounds()]
        finally:
            store.close()
    finally:
        opener_ctx.close()
        other_ctx.close()


def test_a_lock_out_earned_on_one_server_holds_on_the_other(servers: Any, browser: Any) -> None:
    first, second = servers
    ctx_a, page_a = _context(browser)
    ctx_b, page_b = _context(browser)
    try:
        _login_form(page_a, first)
        _submit_login(page_a, LOCKED, "wrong password 1")
        page_a.get_by_text("用户名或密码错误。").first.wait_for(timeout=60_000)
        _submit_login(page_a, LOCKED, "wrong password 2")
        page_a.get_by_text(re.compile("账户已锁定至")).first.wait_for(timeout=60_000)

        _login_form(page_b, second)
        _submit_login(page_b, LOCKED)  # the right password, on the other server
        page_b.get_by_text(re.compile("账户已锁定至")).first.wait_for(timeout=60_000)
        assert page_b.get_by_text(f"已登录：{LOCKED}").count() == 0
    finally:
        ctx_a.close()
        ctx_b.close()


def test_sessions_ended_on_one_server_are_ended_on_both(servers: Any, browser: Any) -> None:
    """The official is logged in on both servers; the administrator disables the account (through
    the first server's database connection, as ``wufei-geo users disable`` does): the next page of
    either server asks for a log-in."""
    first, second = servers
    ctx_a, page_a = _context(browser)
    ctx_b, page_b = _context(browser)
    try:
        _log_in(page_a, first, LEAVER)
        _log_in(page_b, second, LEAVER)
        store = Store.open(first.db_url, seed=False)
        try:
            auth.disable_user(store, LEAVER)
        finally:
            store.close()
        for page in (page_a, page_b):
            open_from_sidebar(page, "地图", page.locator("[data-testid='stMain']"))
            open_from_sidebar(page, "更新", page.get_by_label("用户名"))  # the log-in form, not the 已登录 bar
            assert page.get_by_text(f"已登录：{LEAVER}").count() == 0
    finally:
        ctx_a.close()
        ctx_b.close()
