"""Shared fixtures: database URLs (SQLite file, PostgreSQL schema), a store over both, users.

PostgreSQL tests need ``WUFEI_TEST_PG_URL`` (``eval "$(bash .ci/start-postgres.sh)"``); without
it they are skipped — except under CI (env ``CI`` set), where a missing server is a failure.
Each PostgreSQL test gets its own fresh schema, dropped afterwards.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from wufei_geo import auth
from wufei_geo.config import Settings
from wufei_geo.store import Store

TEST_PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _fast_bcrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """bcrypt's minimum cost in tests (the production cost is auth.BCRYPT_ROUNDS = 12)."""
    monkeypatch.setattr(auth, "BCRYPT_ROUNDS", 4)


@pytest.fixture(autouse=True)
def _page_errors_fail_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    """A page that fails shows the error page (app_pages.common.error_page) and, in tests, is
    re-raised too, so ``at.exception`` still catches it (tests of the error page itself unset it)."""
    monkeypatch.setenv("WUFEI_RAISE_PAGE_ERRORS", "1")


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    return f"sqlite:///{tmp_path / 'wufei.sqlite'}"


@contextlib.contextmanager
def fresh_pg_schema() -> Iterator[str]:
    """The URL of a fresh, empty schema of the test PostgreSQL, dropped afterwards (skips without
    one; fails under CI, where .ci/run starts it)."""
    base = os.environ.get("WUFEI_TEST_PG_URL", "").strip()
    if not base:
        if os.environ.get("CI"):
            pytest.fail("WUFEI_TEST_PG_URL is not set under CI: run .ci/start-postgres.sh")
        pytest.skip("no PostgreSQL (set WUFEI_TEST_PG_URL, see .ci/start-postgres.sh)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_pg_schema() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh empty database URL, once per backend."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return request.getfixturevalue(name)


class FakeClock:
    """A settable UTC clock for the store (``store.clock = clock``)."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """An empty, migrated store (no seed) on SQLite and on PostgreSQL."""
    s = Store.open(db_url, seed=False, settings=Settings(db_url=db_url))
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def make_user(store: Store) -> Callable[..., auth.Actor]:
    """``make_user(role, town_code=None, name=None, password=TEST_PASSWORD) -> Actor`` (logged in)."""

    def make(role: str, town_code: str | None = None, name: str | None = None, password: str = TEST_PASSWORD) -> auth.Actor:
        name = name or f"{role}-{uuid.uuid4().hex[:6]}"
        auth.create_user(store, name, role, town_code, password)
        return auth.authenticate(store, name, password)

    return make


@pytest.fixture
def admin(make_user: Callable[..., auth.Actor]) -> auth.Actor:
    return make_user("admin", name="admin")


@pytest.fixture
def planner(make_user: Callable[..., auth.Actor]) -> auth.Actor:
    return make_user("planner", name="planner")


@pytest.fixture
def official(make_user: Callable[..., auth.Actor]) -> auth.Actor:
    """A town official of 夏阳街道 (310118001)."""
    return make_user("town_official", town_code="310118001", name="xiayang")


def site_record(site_id: str, **overrides: Any) -> dict[str, Any]:
    """A minimal seed record in the shape of ``facilities.load_seed_sites()`` (test data, not the plan)."""
    record: dict[str, Any] = {
        "site_id": site_id,
        "project_id": site_id.split("-")[0],
        "name_zh": f"测试站点 {site_id}",
        "name_en": f"Test site {site_id}",
        "category": "wet_waste",
        "wet_waste_mode": "on_site",
        "town_code": "310118001",
        "capacity_value": 500.0,
        "capacity_unit": "kg/d",
        "capacity_norm": 0.5,
        "capacity_norm_unit": "t/d",
        "capacity_components": [
            {"label": None, "value": 500.0, "unit": "kg/d", "norm": 0.5, "norm_unit": "t/d", "source_ref": "test"}
        ],
        "target_year": 2025,
        "target_status": "operating",
        "status": "planned",
        "status_as_of": "2022-10-28",
        "status_source": "plan",
        "precision": "town",
        "source_ref": "test",
        "retired": False,
    }
    record.update(overrides)
    return record


@pytest.fixture(name="site_record")
def _site_record_fixture() -> Callable[..., dict[str, Any]]:
    """The :func:`site_record` builder, as a fixture."""
    return site_record


# --- no deprecation warnings (issue 16) --------------------------------------------------------
# Python's own DeprecationWarning/FutureWarning from wufei_geo and app_pages are errors through
# pytest's `filterwarnings` (pyproject.toml).  Streamlit reports its deprecations (e.g. a removed
# `use_container_width`) through its logger instead, into the server log: a test during which
# Streamlit logs one fails.
class _StreamlitDeprecations(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture(autouse=True)
def _no_streamlit_deprecations() -> Iterator[None]:
    handler = _StreamlitDeprecations()
    logger = logging.getLogger("streamlit.deprecation_util")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    if handler.messages:
        pytest.fail("Streamlit deprecation warning(s):\n" + "\n".join(handler.messages), pytrace=False)
