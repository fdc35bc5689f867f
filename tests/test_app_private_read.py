"""WUFEI_PUBLIC_READ=false: the app shows nothing of the data before a login, then everything."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from wufei_geo import auth
from wufei_geo.store import Store

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PASSWORD = "correct horse battery"


@pytest.fixture()
def store(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Store:
    url = f"sqlite:///{tmp_path / 'wufei.sqlite'}"
    monkeypatch.setenv("WUFEI_DB_URL", url)
    monkeypatch.delenv("WUFEI_CONFIG", raising=False)
    s = Store.open(url)
    auth.create_user(s, "planner1", "planner", None, PASSWORD)
    yield s
    s.close()


def _page_text(at: AppTest) -> str:
    return "\n".join(str(e.value) for e in [*at.markdown, *at.info, *at.caption, *at.title])


def _site_table(at: AppTest) -> bool:
    """The map page's sites table is there (folded until opened: its expander)."""
    return any(e.label == "站点列表" for e in at.expander)


def test_can_read_is_public_by_default_and_needs_a_session_otherwise():
    assert auth.can_read(True, None)
    assert not auth.can_read(False, None)


def test_private_installation_shows_only_the_login_until_someone_logs_in(store, monkeypatch):
    monkeypatch.setenv("WUFEI_PUBLIC_READ", "false")
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    # no map, no table, no count line — only the login form
    assert len(at.dataframe) == 0 and not _site_table(at)
    assert "个站点" not in _page_text(at)
    assert at.text_input(key="login_name") is not None

    at.text_input(key="login_name").input("planner1")
    at.text_input(key="login_password").input("wrong password!!")
    at.get("form_submit_button")[0].click().run()
    assert len(at.dataframe) == 0 and not _site_table(at), "a wrong password must not open the map"

    at.text_input(key="login_name").input("planner1")
    at.text_input(key="login_password").input(PASSWORD)
    at.get("form_submit_button")[0].click().run()
    assert not at.exception, at.exception
    n_sites = len(store.sites_frame())
    assert f"{n_sites} / {n_sites}" in _page_text(at)  # the map page's count line
    assert _site_table(at)


def test_public_installation_shows_the_map_without_login(store, monkeypatch):
    monkeypatch.setenv("WUFEI_PUBLIC_READ", "true")
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    assert _site_table(at)
