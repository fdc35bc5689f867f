"""Concurrent conflicting edits on SQLite and PostgreSQL: accepted edits are all there, none lost."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from wufei_geo import auth, db
from wufei_geo.errors import StaleVersion

THREADS = 8
EDITS = 50


def _run_threads(target, n):
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def wrapper(i):
        try:
            barrier.wait()
            target(i)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=wrapper, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_conflicting_edits_of_one_site(store, site_record):
    store.seed([site_record("C.1")])
    auth.create_user(store, "editor", "planner", None, "editor password")
    actors = [auth.authenticate(store, "editor", "editor password") for _ in range(THREADS)]
    initial = store.get_site("C.1")["version"]
    accepted: list[tuple[int, str]] = []  # (version after, commissioned date)
    stale: list[int] = []
    lock = threading.Lock()
    base = dt.date(2000, 1, 1)

    def editor(i: int) -> None:
        for k in range(EDITS):
            date = (base + dt.timedelta(days=i * EDITS + k)).isoformat()  # unique per attempt
            version = store.get_site("C.1")["version"]
            try:
                after = store.update_site(actors[i], "C.1", {"commissioned": date}, version)
            except StaleVersion:
                with lock:
                    stale.append(i)
                continue
            with lock:
                accepted.append((after["version"], date))

    _run_threads(editor, THREADS)

    final = store.get_site("C.1")
    assert len(accepted) + len(stale) == THREADS * EDITS
    assert len(accepted) > 0
    assert final["version"] - initial == len(accepted)
    assert sorted(v for v, _ in accepted) == list(range(initial + 1, final["version"] + 1))
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(db.audit.c.site_version, db.audit.c.new_value, db.audit.c.old_value)
            .where(db.audit.c.site_id == "C.1", db.audit.c.action == "update")
            .order_by(db.audit.c.site_version)
        ).all()
    assert sorted((v, d) for v, d, _ in rows) == sorted(accepted)  # every accepted edit audited, once
    # each edit's "old" is exactly the previous accepted edit's "new": no edit was lost in between
    assert [old for _, _, old in rows][1:] == [new for _, new, _ in rows][:-1]
    assert final["commissioned"] == max(accepted)[1]


def test_parallel_edits_of_different_sites_all_land(store, site_record):
    store.seed([site_record(f"P.{i}") for i in range(THREADS)])
    auth.create_user(store, "bulk", "admin", None, "bulk password")
    actor = auth.authenticate(store, "bulk", "bulk password")
    per_thread = 20

    def editor(i: int) -> None:
        sid = f"P.{i}"
        for k in range(per_thread):
            version = store.get_site(sid)["version"]
            store.update_site(actor, sid, {"commissioned": f"{2000 + k}-01-0{1 + i % 9}"}, version)

    _run_threads(editor, THREADS)
    for i in range(THREADS):
        assert store.get_site(f"P.{i}")["version"] == 1 + per_thread
    assert len([r for r in store.history() if r["action"] == "update"]) == THREADS * per_thread


def _locked_sqlite_store(sqlite_url, monkeypatch, site_record):
    from wufei_geo.config import Settings
    from wufei_geo.store import Store

    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 20)  # give up waiting quickly: exercise the retries
    s = Store.open(sqlite_url, seed=False, settings=Settings(db_url=sqlite_url))
    s.seed([site_record("L.1")])
    auth.create_user(s, "locker", "planner", None, "locker password")
    return s, auth.authenticate(s, "locker", "locker password")


def test_sqlite_locked_database_is_retried_and_applied_once(sqlite_url, monkeypatch, site_record):
    import sqlite3

    s, actor = _locked_sqlite_store(sqlite_url, monkeypatch, site_record)
    other = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock ...
    timer = threading.Timer(0.3, lambda: other.execute("COMMIT"))  # ... for a while
    timer.start()
    after = s.update_site(actor, "L.1", {"status": "under_construction"}, 1)
    timer.join()
    other.close()
    assert after["version"] == 2
    assert [r["field"] for r in s.history("L.1")] == ["status"]
    s.close()


def test_sqlite_lock_that_never_clears_gives_store_busy_and_writes_nothing(sqlite_url, monkeypatch, site_record):
    import sqlite3

    from wufei_geo.errors import StoreBusy
    from wufei_geo.store import session as store_session

    s, actor = _locked_sqlite_store(sqlite_url, monkeypatch, site_record)
    monkeypatch.setattr(store_session, "MAX_WRITE_ATTEMPTS", 3)
    before = s.content_hash()
    other = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreBusy):
        s.update_site(actor, "L.1", {"status": "under_construction"}, 1)
    other.execute("ROLLBACK")
    other.close()
    assert s.content_hash() == before
    s.close()


def test_look_alike_user_names_created_at_once_make_one_account(store):
    """"Inspector", "inspector", "INSPECTOR", "ｉｎｓｐｅｃｔｏｒ" … name one account (auth.name_key); created
    concurrently, exactly one is accepted and the others are refused as existing — on PostgreSQL too,
    where two READ COMMITTED transactions would otherwise both find no clash."""
    from wufei_geo.errors import ValidationError

    spellings = ["Inspector", "inspector", "INSPECTOR", "ｉｎｓｐｅｃｔｏｒ", "InSpEcToR", "inspectoR"]
    outcome: dict[tuple[int, int], str] = {}
    lock = threading.Lock()

    def create(i: int) -> None:
        for round_ in range(3):  # a few rounds: the race is narrow
            name = f"{spellings[i]}{round_}"
            try:
                auth.create_user(store, name, "planner", None, "inspector password")
                result = "created"
            except ValidationError as exc:
                assert exc.key == "error.user_exists", exc
                result = "exists"
            with lock:
                outcome[(i, round_)] = result

    _run_threads(create, len(spellings))
    for round_ in range(3):
        created = [i for i in range(len(spellings)) if outcome[(i, round_)] == "created"]
        assert len(created) == 1, (round_, outcome)
    keys = [auth.name_key(u["name"]) for u in auth.list_users(store)]
    assert len(keys) == len(set(keys)) == 3
