"""PostgreSQL restarted during use: the store reconnects (pool_pre_ping) and an edit in flight is
either saved or reported as not saved — never silently lost.

Uses a throwaway cluster of its own (``.ci/start-postgres.sh`` with ``WUFEI_PG_BASE``), so the
shared test cluster other tests use is never restarted.  Skipped where PostgreSQL 15 is not
installed, unless ``CI`` is set.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from wufei_geo import auth
from wufei_geo.config import Settings
from wufei_geo.errors import StoreUnavailable
from wufei_geo.store import Store

from .helpers import PASSWORD, XIAYANG
from .results import record

REPO = Path(__file__).resolve().parents[2]
PGBIN = Path(os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin"))
pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _as_pg(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["runuser", "-u", "postgres", "--", *cmd], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    if not (PGBIN / "pg_ctl").exists() or shutil.which("runuser") is None or os.geteuid() != 0:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL 15 (and root for runuser) needed under CI")
        pytest.skip("no local PostgreSQL 15 to restart")
    base = Path(f"/tmp/wufei-pg-hostile-{os.getpid()}")
    env = {**os.environ, "WUFEI_PG_BASE": str(base)}
    out = subprocess.run(["bash", str(REPO / ".ci" / "start-postgres.sh")], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    url = out.stdout.strip().split("=", 1)[1]
    try:
        yield url, base / "data"
    finally:
        _as_pg(str(PGBIN / "pg_ctl"), "-D", str(base / "data"), "-m", "immediate", "stop")
        shutil.rmtree(base, ignore_errors=True)


def test_restart_during_use(cluster, monkeypatch) -> None:
    url, data = cluster
    from conftest import site_record

    store = Store.open(url, seed=False, settings=Settings(db_url=url))
    try:
        store.seed([site_record("P.1"), site_record("P.2")])
        auth.create_user(store, "pg-official", "town_official", XIAYANG, PASSWORD)
        actor = auth.authenticate(store, "pg-official", PASSWORD)
        store.update_site(actor, "P.1", {"status": "under_construction"}, 1)  # the pool now holds a connection

        restart = _as_pg(str(PGBIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "restart",
                         "-l", str(data.parent / "server.log"))
        assert restart.returncode == 0, restart.stderr

        saved, reported = [], []
        for sid in ("P.1", "P.2"):  # the first edits after the restart meet the dead pooled connection
            version = store.get_site(sid)["version"]
            try:
                store.update_site(actor, sid, {"status": "commissioning" if sid == "P.1" else "under_construction"}, version)
                saved.append(sid)
            except StoreUnavailable as exc:
                reported.append((sid, str(exc)))
        # every edit the store confirmed is in the database; every other one was reported
        fresh = Store(store.engine, store.settings)
        lost = 0
        for sid in saved:
            lost += fresh.get_site(sid)["status"] == "planned"
        assert lost == 0 and len(saved) + len(reported) == 2
        assert store.get_site("P.1")["status"] in ("commissioning", "under_construction")
    finally:
        store.close()
    record("faults", "postgres-restart", "store.update_site (PostgreSQL, pool_pre_ping)", "fault_survived",
           f"{len(saved)} edit(s) saved after the restart, {len(reported)} reported as not saved", updates_lost=lost,
           partial_writes=0)
