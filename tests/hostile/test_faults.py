"""Faults: SIGKILL in the middle of a bulk import and of a restore; a read-only database; a full
disk; PostgreSQL restarted during use.  The database must be as before or as after — never
between — and a refused write must say so clearly.
"""
from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from wufei_geo import auth
from wufei_geo.config import Settings
from wufei_geo.errors import WufeiError
from wufei_geo.io import backup
from wufei_geo.store import Store

from .fault_child import FIXED, PASSWORD
from .helpers import data_hash
from .results import record

REPO = Path(__file__).resolve().parents[2]
N_SITES = 1200
KILLS = 4


def _make_db(folder: Path) -> tuple[str, Path]:
    """A SQLite database with N_SITES test sites and an admin (fixed clock: reproducible)."""
    from conftest import site_record

    path = folder / "db.sqlite"
    url = f"sqlite:///{path}"
    store = Store.open(url, seed=False, settings=Settings(db_url=url), clock=lambda: FIXED)
    store.seed([site_record(f"K.{i:05d}") for i in range(N_SITES)])
    auth.create_user(store, "admin", "admin", None, PASSWORD)
    backup.installation_secret(store)  # every copy shares one installation secret (kept by restores)
    store.close()
    return url, path


def _copy_db(src: Path, dst_folder: Path) -> tuple[str, Path]:
    dst_folder.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(src)
    dst = dst_folder / "db.sqlite"
    with sqlite3.connect(dst) as out:
        con.backup(out)
    con.close()
    return f"sqlite:///{dst}", dst


def _state(url: str) -> tuple[str, str]:
    """(integrity_check result, data hash) of a SQLite database after a crash."""
    path = sa.engine.make_url(url).database
    con = sqlite3.connect(path)
    integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
    con.close()
    store = Store(sa.create_engine(url), Settings(db_url=url))
    try:
        return integrity, data_hash(store, ("sites", "audit", "zones", "meta", "users"))
    finally:
        store.close()


def _run_child(args: list[str], kill_after: float | None) -> str:
    proc = subprocess.Popen([sys.executable, "-m", "tests.hostile.fault_child", *args], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO / "tests") + os.pathsep + os.environ.get("PYTHONPATH", "")})
    line = proc.stdout.readline()
    assert line.startswith("READY"), (line, proc.stderr.read())
    if kill_after is None:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, (out, err)
        return "completed"
    time.sleep(kill_after)  # where the kill lands is random on purpose; nothing is timed or asserted on it
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    return "killed" if proc.returncode == -signal.SIGKILL else "finished before the kill"


def _kill_trials(tmp_path: Path, name: str, base: Path, args_for, reference_time: float) -> None:
    before_url, _ = _copy_db(base, tmp_path / f"{name}-before")
    before = _state(before_url)
    after_url, after_path = _copy_db(base, tmp_path / f"{name}-after")
    _run_child(args_for(after_url), None)
    after = _state(after_url)
    assert before[1] != after[1] and after[0] == "ok"
    rng = random.Random(8)
    landed = {"before": 0, "after": 0}
    for i in range(KILLS):
        url, _ = _copy_db(base, tmp_path / f"{name}-kill{i}")
        how = _run_child(args_for(url), rng.uniform(0.05, reference_time))
        integrity, digest = _state(url)
        assert integrity == "ok"
        assert digest in (before[1], after[1]), f"kill {i} ({how}) left the database between before and after"
        landed["before" if digest == before[1] else "after"] += 1
        record("faults", f"sigkill-{name}-{i + 1}", f"subprocess {name}", "fault_survived",
               f"{how}; database {'unchanged' if digest == before[1] else 'fully updated'}; integrity ok",
               updates_lost=0, partial_writes=0)


@pytest.mark.slow
def test_sigkill_during_bulk_import(tmp_path: Path) -> None:
    base_url, base = _make_db(tmp_path / "base")
    rows = [{"site_id": f"K.{i:05d}", "version": 1, "status": "under_construction",
             "operating_capacity_value": "300", "operating_capacity_unit": "kg/d"} for i in range(N_SITES)]
    csv = tmp_path / "big.csv"
    pd.DataFrame(rows).to_csv(csv, index=False)
    # measure one full run on a scratch copy to spread the kills over its length
    url, _ = _copy_db(base, tmp_path / "scratch")
    t0 = time.monotonic()
    _run_child(["import", url, str(csv)], None)
    reference = max(0.2, time.monotonic() - t0)
    _kill_trials(tmp_path, "bulk-import", base, lambda u: ["import", u, str(csv)], reference)


@pytest.mark.slow
def test_sigkill_during_restore(tmp_path: Path) -> None:
    base_url, base = _make_db(tmp_path / "base")
    # the backup: a different state (every site moved on), taken from a copy
    other_url, _ = _copy_db(base, tmp_path / "other")
    other = Store.open(other_url, seed=False, settings=Settings(db_url=other_url), clock=lambda: FIXED)
    admin = auth.authenticate(other, "admin", PASSWORD)
    other.update_sites(admin, [(f"K.{i:05d}", {"status": "under_construction"}, 1, None) for i in range(0, N_SITES, 3)])
    bak = tmp_path / "state.zip"
    backup.backup(other, bak)
    other.close()
    url, _ = _copy_db(base, tmp_path / "scratch")
    t0 = time.monotonic()
    _run_child(["restore", url, str(bak)], None)
    reference = max(0.2, time.monotonic() - t0)
    _kill_trials(tmp_path, "restore", base, lambda u: ["restore", u, str(bak)], reference)


# --- read-only database, full disk ------------------------------------------------------------------
def _small_store(tmp_path: Path) -> tuple[Store, str, Path]:
    from conftest import site_record

    path = tmp_path / "small.sqlite"
    url = f"sqlite:///{path}"
    store = Store.open(url, seed=False, settings=Settings(db_url=url))
    store.seed([site_record("R.1")])
    auth.create_user(store, "planner", "planner", None, PASSWORD)
    return store, url, path


def test_read_only_database_gives_a_clear_message(tmp_path: Path, monkeypatch) -> None:
    store, url, path = _small_store(tmp_path)
    actor = auth.authenticate(store, "planner", PASSWORD)
    store.close()
    before = _state(url)
    ro_url = f"sqlite:///file:{path}?mode=ro&uri=true"
    ro = Store(sa.create_engine(ro_url, connect_args={"uri": True}), Settings(db_url=url))
    with pytest.raises(WufeiError) as exc:
        ro.update_site(actor, "R.1", {"status": "under_construction"}, 1, note="只读")
    assert "read-only" in str(exc.value) or "只读" in str(exc.value)
    ro.close()
    assert _state(url) == before
    record("faults", "read-only-db", "store.update_site", "fault_survived", str(exc.value), updates_lost=0, partial_writes=0)


def test_full_disk_gives_a_clear_message(tmp_path: Path, monkeypatch) -> None:
    store, url, path = _small_store(tmp_path)
    actor = auth.authenticate(store, "planner", PASSWORD)
    before = data_hash(store)

    @sa.event.listens_for(store.engine, "connect")
    def _cap(dbapi_conn, _record) -> None:  # the "disk" is full: no page can be added
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    store.engine.dispose()
    with pytest.raises(WufeiError) as exc:
        store.update_site(actor, "R.1", {"status": "under_construction"}, 1, note="满" * 10_000)  # the cap (issue 15)
    assert "full" in str(exc.value) or "已满" in str(exc.value)
    assert data_hash(store) == before
    store.close()
    assert _state(url)[0] == "ok"
    record("faults", "disk-full", "store.update_site", "fault_survived", str(exc.value), updates_lost=0, partial_writes=0)
