"""What the AppTest page tests share: the app and page paths, a fresh store with users, opening a
page, logging in through the app's own form, reading element texts and the versioned form keys.

Not a test module (no ``test_`` prefix); imported as ``tests.apptest_helpers``.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from wufei_geo import auth
from wufei_geo.store import Store

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "app.py")
PAGES = {name: f"app_pages/pages/{name}.py" for name in ("map", "capacity", "towns", "update", "data", "indicators")}
UPDATE_PAGE = PAGES["update"]
TOWN = "310118105"  # 赵巷镇: five sites in the plan's seed
PASSWORD = "correct horse battery"
# environment settings a developer's shell may carry that would change what a test sees
SETTINGS_ENV = ("WUFEI_CONFIG", "WUFEI_SESSION_IDLE_MINUTES", "WUFEI_LOCKOUT_ATTEMPTS", "WUFEI_LOCKOUT_MINUTES",
                "WUFEI_STATUS_CONFIRMATION_MONTHS")
# a town official of 赵巷镇 and a planner
OFFICIAL_AND_PLANNER = (("zhaoxiang", "town_official", TOWN), ("planner1", "planner", None))


def app_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
              users: Iterable[tuple[str, str, str | None]] = OFFICIAL_AND_PLANNER, name: str = "wufei.sqlite") -> Store:
    """A fresh SQLite store (seeded from facilities/) that the app uses too (``WUFEI_DB_URL``), with
    ``users`` (name, role, town) all having :data:`PASSWORD`; bcrypt at its cheapest for speed."""
    monkeypatch.setattr(auth, "BCRYPT_ROUNDS", 4)
    url = f"sqlite:///{tmp_path / name}"
    monkeypatch.setenv("WUFEI_DB_URL", url)
    for var in SETTINGS_ENV:
        monkeypatch.delenv(var, raising=False)
    store = Store.open(url)
    for user, role, town in users:
        auth.create_user(store, user, role, town, PASSWORD)
    return store


def open_page(page: str, lang: str | None = None, timeout: int = 120) -> AppTest:
    """The app run once, then switched to ``page`` (a path of :data:`PAGES`), without an exception."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    if lang is not None:
        at.session_state["lang"] = lang
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def log_in(at: AppTest, name: str, password: str = PASSWORD) -> AppTest:
    """Log in through the app's one log-in form (app_pages/login.py) on the page ``at`` shows."""
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password)
    [submit] = [b for b in at.button if b.label in ("登录", "Log in")]
    submit.click()
    at.run()
    assert not at.exception, at.exception
    return at


def texts(elements) -> str:
    """Element bodies as the reader sees them (the pages backslash-escape markdown in dynamic text)."""
    return "\n".join(str(e.value) for e in elements).replace("\\", "")


def form_key(at: AppTest, prefix: str) -> str:
    """The one widget key starting with ``prefix`` (the 更新 form's keys carry the site and version)."""
    widgets = [*at.selectbox, *at.button, *at.text_input, *at.text_area, *at.radio]
    keys = sorted({w.key for w in widgets if w.key and str(w.key).startswith(prefix)})
    assert len(keys) == 1, keys
    return keys[0]
