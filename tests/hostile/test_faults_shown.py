"""Faults named, reads kept (issue 27): a database that cannot be written still reads, a write says
why it was refused, and whatever a page raises reaches a visitor as the one error page — both
languages, a reference, no traceback — with the traceback in the server log.

The read-only file is simulated honestly for a process running as root (which ignores file
permissions): the database is opened through SQLite's URI ``?mode=ro``, so SQLite itself refuses
every write — including the connect-time ``PRAGMA journal_mode = WAL`` on a file whose journal is
not WAL yet, which used to make every read fail."""
from __future__ import annotations

import io
import logging
import sqlite3
import sys

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from tests.apptest_helpers import PAGES, app_store, log_in, open_page
from wufei_geo import catalog, cli, db
from wufei_geo.errors import StoreUnavailable
from wufei_geo.store import Store

from .results import record


@pytest.fixture
def read_only_url(tmp_path, monkeypatch) -> str:
    """A seeded database (journal DELETE, as a copy or an older file has) opened read-only."""
    store = app_store(tmp_path, monkeypatch, users=[("zhaoxiang", "town_official", "310118105")])
    store.close()
    raw = sqlite3.connect(tmp_path / "wufei.sqlite")
    raw.execute("PRAGMA journal_mode = DELETE")
    raw.close()
    url = f"sqlite:///file:{tmp_path / 'wufei.sqlite'}?mode=ro&uri=true"
    monkeypatch.setenv("WUFEI_DB_URL", url)
    return url


def test_a_read_only_database_still_reads_and_names_a_refused_write(read_only_url):
    store = Store.open(read_only_url)
    with store.engine.connect() as conn:  # the WAL switch was refused, not the connection
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"
    sites = store.sites_frame()
    assert len(sites) > 30
    assert len(catalog.load_catalog(store).sites) == len(sites)
    site = sites.iloc[0]
    with pytest.raises(StoreUnavailable) as refused:  # the store's one write path
        store.run_write(lambda c: c.execute(sa.update(db.sites).where(db.sites.c.site_id == site["site_id"])
                                            .values(version=db.sites.c.version + 1)))
    assert refused.value.key == "error.db_read_only"
    assert store.get_site(site["site_id"])["version"] == site["version"]
    record("faults", "db-read-only", "store (reads, catalog; a write)", "fault_survived",
           f"{len(sites)} sites read; the write refused: {refused.value}")


def test_the_cli_reads_a_read_only_database_and_names_a_refused_write(read_only_url, capsys, monkeypatch):
    assert cli.main(["--lang", "en", "sites"]) == 0
    assert "E.1" in capsys.readouterr().out
    code = cli.main(["--lang", "en", "validate"])
    assert code in (0, 1)
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough password\n"))
    code = cli.main(["--lang", "en", "users", "add", "someone", "--role", "planner", "--password-stdin"])
    out = capsys.readouterr()
    assert code != 0 and "Traceback" not in out.err
    assert "read-only" in (out.out + out.err).lower(), out
    record("faults", "db-read-only", "cli:sites / cli:users add", "fault_survived",
           "sites listed; users add refused: " + (out.out + out.err).strip().splitlines()[-1])


def test_the_pages_read_a_read_only_database(read_only_url):
    for name in ("map", "capacity", "towns", "update", "data"):
        at = open_page(PAGES[name], "zh")
        assert not at.exception, (name, at.exception)
    at = open_page(PAGES["update"], "en")
    log_in(at, "zhaoxiang")  # a log-in writes a session: refused with its cause, not a traceback
    assert not at.exception
    shown = " ".join(str(e.value) for e in [*at.error, *at.warning]).lower().replace("\\", "")
    assert "read-only" in shown, shown
    record("faults", "db-read-only", "app: every page (visitor), log-in", "fault_survived",
           "every page rendered; the log-in refused: " + shown[:120])


def _error_page_texts(at) -> str:
    return "\n".join(str(e.value) for e in [*at.error, *at.markdown, *at.warning, *at.info]).replace("\\", "")


@pytest.mark.parametrize("fault", ["bug", "database"])
def test_a_failing_page_shows_the_error_page_and_logs_the_details(tmp_path, monkeypatch, caplog, fault):
    app_store(tmp_path, monkeypatch, users=[])
    monkeypatch.delenv("WUFEI_RAISE_PAGE_ERRORS")

    def broken(*_a, **_k):
        if fault == "bug":
            raise RuntimeError("secret detail 7f3a of a bug")
        raise OperationalError("SELECT secret FROM sites", {}, Exception("attempt to write a readonly database"))

    monkeypatch.setattr(catalog, "load_catalog", broken)
    server_log = logging.getLogger("wufei_geo.app")  # Streamlit's logger: it does not propagate
    server_log.addHandler(caplog.handler)
    try:
        at = open_page(PAGES["map"], "en")
    finally:
        server_log.removeHandler(caplog.handler)
    assert not at.exception  # no traceback element
    shown = _error_page_texts(at)
    assert "This page cannot be shown right now" in shown and "页面暂时无法显示" in shown
    assert "secret" not in shown and "Traceback" not in shown
    if fault == "database":
        assert "read-only" in shown and "只读" in shown, shown
    ref = shown.split("reference `")[1][:8]
    logged = caplog.text
    assert ref in logged and "secret" in logged  # the details are in the server log
    record("faults", f"page-{fault}", "app: map page (error page)", "fault_survived",
           f"one error page in both languages, reference {ref} in the server log, no traceback shown")


def test_an_unreadable_database_is_named_on_the_error_page(tmp_path, monkeypatch):
    """Nothing at the configured URL can be read: the page says so, in both languages."""
    app_store(tmp_path, monkeypatch, users=[])
    monkeypatch.delenv("WUFEI_RAISE_PAGE_ERRORS")
    from wufei_geo.store import reads

    def down(self):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("database or disk is full"))

    monkeypatch.setattr(reads.Reads, "data_version", down)
    at = open_page(PAGES["capacity"], "zh")
    assert not at.exception
    shown = _error_page_texts(at)
    assert "页面暂时无法显示" in shown and "full" in shown, shown
    record("faults", "db-full-read", "app: capacity page (error page)", "fault_survived",
           "the error page names the full disk in both languages, no traceback")
