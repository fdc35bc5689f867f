"""Authorization from the outside: a 夏阳 official tries to change a 华新 site through every path.

Each attempt is refused by the core (not only hidden by the UI) and the database is unchanged.
Brute force meets the lock-out; an expired session cannot write.
"""
from __future__ import annotations

import dataclasses

import pytest

from wufei_geo import auth
from wufei_geo.errors import AccountLocked, BatchRefused, NotAuthenticated, PermissionDenied
from wufei_geo.io import bulk_import

from .helpers import HUAXIN, PASSWORD, csv_bytes, data_hash, login, run_cli
from .results import record

CHANGE = {"status": "under_construction"}


def test_forged_site_id_through_update_site(env) -> None:
    official = login(env, "xiayang")
    before = data_hash(env)
    with pytest.raises(PermissionDenied) as exc:
        env.update_site(official, "H.2", CHANGE, 1)
    with pytest.raises(PermissionDenied):
        env.check_update(official, "H.2", CHANGE, 1)
    with pytest.raises(BatchRefused):  # a batch with one own and one foreign site: none applied
        env.update_sites(official, [("H.1", CHANGE, 1, None), ("H.2", CHANGE, 1, None)])
    assert data_hash(env) == before
    record("authz", "forged-site-id", "store.update_site / update_sites", "refused", str(exc.value))


def test_tampered_actor_object(env) -> None:
    """Session-state tampering: the actor kept by the UI is edited (town, role, name, token)."""
    official = login(env, "xiayang")
    before = data_hash(env)
    forged = dataclasses.replace(official, town_code=HUAXIN, role="admin", name="huaxin")
    with pytest.raises(PermissionDenied):  # role and town come from the database, not the object
        env.update_site(forged, "H.2", CHANGE, 1)
    stolen_id = dataclasses.replace(official, token="guessed-token", user_id=2, name="admin", role="admin")
    with pytest.raises(NotAuthenticated):
        env.update_site(stolen_id, "H.2", CHANGE, 1)
    with pytest.raises(NotAuthenticated):
        env.update_site(None, "H.2", CHANGE, 1)
    with pytest.raises(PermissionDenied):  # admin-only paths refuse a town official
        env.add_site(official, {"site_id": "X.1", "name_zh": "x", "category": "pv"})
    assert data_hash(env) == before
    record("authz", "tampered-actor", "store (role/town/token edited in session state)", "refused",
           "role and town are read from the database by session token")


def test_cli_with_another_user_or_wrong_password(env, monkeypatch, capsys) -> None:
    before = data_hash(env, ("sites", "audit", "zones", "meta"))
    code, _, err = run_cli(monkeypatch, capsys, "status", "set", "H.2", "operating", "--user", "xiayang",
                           "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 1 and HUAXIN in err
    code, _, err = run_cli(monkeypatch, capsys, "status", "set", "H.2", "operating", "--user", "huaxin",
                           "--password-stdin", stdin="not the password\n")
    assert code == 1 and "密码" in err  # the locale's language (C: Chinese, the default)
    code, _, err = run_cli(monkeypatch, capsys, "import-sites", "/dev/null", "--user", "huaxin", stdin="x\n")
    assert code == 1
    assert data_hash(env, ("sites", "audit", "zones", "meta")) == before
    record("authz", "cli-other-town", "cli:status set --user xiayang (H.2 in 华新)", "refused", err.strip()[:200])
    record("authz", "cli-wrong-password", "cli:status set --user huaxin (wrong password)", "refused", "wrong user name or password")


def test_spreadsheet_with_another_towns_site(env) -> None:
    official = login(env, "xiayang")
    data = csv_bytes([{"site_id": "H.1", "version": 1, "status": "under_construction"},
                      {"site_id": "H.2", "version": 1, "status": "under_construction"}])
    before = data_hash(env)
    report = bulk_import.apply_import(env, official, data, "mixed.csv", "en")
    assert not report.applied and any(e.site_id == "H.2" for e in report.errors)
    assert data_hash(env) == before
    record("authz", "import-other-town", "bulk_import (own + foreign site)", "refused", str(report.errors[0]))


def test_brute_force_meets_the_lock_out(env, clock) -> None:
    env.clock = clock
    attempts = [f"guess-{i:04d}" for i in range(30)]
    locked_at = None
    for i, guess in enumerate(attempts):
        try:
            auth.authenticate(env, "huaxin", guess)
        except AccountLocked:
            locked_at = i + 1
            break
        except NotAuthenticated:
            continue
    assert locked_at == env.settings.lockout_attempts
    with pytest.raises(AccountLocked):  # even the right password while locked
        auth.authenticate(env, "huaxin", PASSWORD)
    clock.advance(minutes=env.settings.lockout_minutes + 1)
    assert auth.authenticate(env, "huaxin", PASSWORD).name == "huaxin"
    record("authz", "brute-force", "auth.authenticate", "refused",
           f"locked after {locked_at} wrong passwords; right password refused while locked")


def test_expired_session_cannot_write(env, clock) -> None:
    env.clock = clock
    official = login(env, "xiayang")
    before = data_hash(env)
    clock.advance(minutes=env.settings.session_idle_minutes + 1)
    with pytest.raises(NotAuthenticated):
        env.update_site(official, "H.1", CHANGE, 1)
    with pytest.raises(NotAuthenticated):
        auth.resume(env, official.token)
    auth.logout(env, official)
    assert data_hash(env) == before
    record("authz", "expired-session", "store.update_site", "refused", "session expired, please log in again")
