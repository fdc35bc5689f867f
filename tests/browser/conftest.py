"""Fixtures of the real-browser tests: the running app and a headless chromium page.

Without Debian chromium the tests skip and say why — unless ``CI`` is set, where a missing
browser is a failure (CI installs it).
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from .harness import ARTIFACTS_DIR, CHROMIUM, block_external, chromium_available, launch_browser


def _require_chromium() -> None:
    if chromium_available():
        return
    message = f"Debian chromium not found at {CHROMIUM}"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI is set: the browser tests must run)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = launch_browser(pw)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.wufei_failed = report.failed


@pytest.fixture()
def page(browser: Any, request: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    context.set_default_timeout(30_000)
    block_external(context)
    pg = context.new_page()
    try:
        yield pg
    finally:
        if getattr(request.node, "wufei_failed", False):  # keep what the browser showed
            ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
            try:
                pg.screenshot(path=str(ARTIFACTS_DIR / f"{request.node.name}-failure.png"), full_page=True)
            except Exception:
                pass
        context.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Any:
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR


@pytest.fixture(scope="module")
def catalog(app: Any) -> Any:
    """What the module's running app (its ``app`` fixture) shows: the catalog of its database."""
    from wufei_geo.catalog import load_catalog
    from wufei_geo.store import Store

    store = Store.open(app.db_url, seed=False)
    try:
        return load_catalog(store)
    finally:
        store.close()
