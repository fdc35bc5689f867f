"""Accounts: bcrypt storage, policy, lock-out, sessions with idle expiry (SQLite + PostgreSQL)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from wufei_geo import auth, db
from wufei_geo.errors import AccountLocked, NotAuthenticated, NotFound, PermissionDenied, ValidationError

PASSWORD = "s3cret-枸杞-passphrase"


def all_text(store) -> str:
    """Every value of every table, as one string."""
    parts = []
    with store.engine.connect() as conn:
        for table in db.DATA_TABLES:
            for row in conn.execute(sa.select(table)):
                parts.extend(str(v) for v in row)
    return "\n".join(parts)


def test_no_default_account(store):
    assert auth.list_users(store) == []
    with pytest.raises(NotAuthenticated):
        auth.authenticate(store, "admin", "admin")


def test_password_is_stored_as_bcrypt_never_plaintext(store):
    auth.create_user(store, "zhang", "planner", None, PASSWORD)
    with store.engine.connect() as conn:
        stored = conn.execute(sa.select(db.users.c.password_hash)).scalar()
    assert stored.startswith("$2b$")
    assert PASSWORD not in all_text(store)
    actor = auth.authenticate(store, "zhang", PASSWORD)
    assert actor.token not in all_text(store)  # session tokens are stored hashed too
    assert actor.token not in repr(actor)
    assert "password_hash" not in auth.list_users(store)[0]


def test_long_passphrase_keeps_all_its_characters(store):
    long_pw = "x" * 80 + "A"
    auth.create_user(store, "li", "planner", None, long_pw)
    with pytest.raises(NotAuthenticated):
        auth.authenticate(store, "li", "x" * 80 + "B")  # differs after byte 72
    assert auth.authenticate(store, "li", long_pw).name == "li"


@pytest.mark.parametrize(
    "name, role, town, password",
    [
        ("a", "planner", None, "short"),  # < 8 characters
        ("", "planner", None, PASSWORD),
        ("x" * 65, "planner", None, PASSWORD),
        ("bad\x00name", "planner", None, PASSWORD),
        ("rtl\u202ename", "planner", None, PASSWORD),
        ("wang", "superuser", None, PASSWORD),
        ("wang", "town_official", None, PASSWORD),  # needs a town
        ("wang", "town_official", "310118999", PASSWORD),  # no such town
        ("wang", "planner", "310118001", PASSWORD),  # planners are not bound to a town
    ],
)
def test_create_user_refusals(store, name, role, town, password):
    digest = store.content_hash()
    with pytest.raises(ValidationError):
        auth.create_user(store, name, role, town, password)
    assert store.content_hash() == digest


def test_duplicate_user_and_app_creation_is_admin_only(store, admin, planner):
    before = store.content_hash()
    with pytest.raises(ValidationError):
        auth.create_user(store, "admin", "planner", None, PASSWORD)
    with pytest.raises(PermissionDenied):
        auth.create_user(store, "zhao", "planner", None, PASSWORD, actor=planner)
    assert store.content_hash() == before
    auth.create_user(store, "zhao", "town_official", "310118105", PASSWORD, actor=admin)
    (row,) = [u for u in auth.list_users(store) if u["name"] == "zhao"]
    assert row["role"] == "town_official" and row["town_code"] == "310118105"
    assert any(r["action"] == "user_add" and r["user_name"] == "admin" for r in store.history())


def test_lockout_after_five_failures_and_unlock_after_the_period(store, clock):
    store.clock = clock
    auth.create_user(store, "chen", "planner", None, PASSWORD)
    assert store.settings.lockout_attempts == 5 and store.settings.lockout_minutes == 15
    for _ in range(4):
        with pytest.raises(NotAuthenticated) as info:
            auth.authenticate(store, "chen", "wrong password")
        assert not isinstance(info.value, AccountLocked)
    with pytest.raises(AccountLocked) as info:
        auth.authenticate(store, "chen", "wrong password")
    # 2026-03-02 01:00 UTC + 15 min = 09:15 in Shanghai
    assert "2026-03-02 09:15" in str(info.value) and "Asia/Shanghai" in str(info.value)
    # even the right password is refused while locked
    clock.advance(minutes=14)
    with pytest.raises(AccountLocked):
        auth.authenticate(store, "chen", PASSWORD)
    clock.advance(minutes=2)
    assert auth.authenticate(store, "chen", PASSWORD).name == "chen"


def test_success_resets_the_failure_count(store):
    auth.create_user(store, "sun", "planner", None, PASSWORD)
    for _ in range(4):
        with pytest.raises(NotAuthenticated):
            auth.authenticate(store, "sun", "nope nope")
    auth.authenticate(store, "sun", PASSWORD)
    for _ in range(4):
        with pytest.raises(NotAuthenticated):
            auth.authenticate(store, "sun", "nope nope")
    assert auth.authenticate(store, "sun", PASSWORD).name == "sun"


def test_session_idle_expiry(store, clock):
    store.clock = clock
    auth.create_user(store, "zhou", "planner", None, PASSWORD)
    actor = auth.authenticate(store, "zhou", PASSWORD)
    idle = store.settings.session_idle_minutes
    clock.advance(minutes=idle - 1)
    assert auth.resume(store, actor.token).name == "zhou"  # activity refreshes the idle timer
    clock.advance(minutes=idle - 1)
    assert auth.resume(store, actor.token).name == "zhou"
    clock.advance(minutes=idle + 1)
    with pytest.raises(NotAuthenticated, match="expired"):
        auth.resume(store, actor.token)


def test_a_resume_writes_the_idle_timer_at_most_once_a_minute(store, clock):
    store.clock = clock
    auth.create_user(store, "zheng", "planner", None, PASSWORD)
    actor = auth.authenticate(store, "zheng", PASSWORD)

    def last_seen():
        with store.engine.connect() as conn:
            return conn.execute(sa.select(db.sessions.c.last_seen_at)).scalar_one()

    signed_in = last_seen()
    clock.advance(minutes=0.5)
    assert auth.resume(store, actor.token).name == "zheng"
    assert last_seen() == signed_in  # a page's every rerun resumes: no write for each
    clock.advance(minutes=0.6)
    auth.resume(store, actor.token)
    assert last_seen() > signed_in
    idle = store.settings.session_idle_minutes
    clock.advance(minutes=idle + 0.1)
    with pytest.raises(NotAuthenticated, match="expired"):
        auth.resume(store, actor.token)


def test_logout_disable_and_set_password_end_sessions(store):
    auth.create_user(store, "wu", "planner", None, PASSWORD)
    a1 = auth.authenticate(store, "wu", PASSWORD)
    auth.logout(store, a1)
    with pytest.raises(NotAuthenticated):
        auth.resume(store, a1.token)
    a2 = auth.authenticate(store, "wu", PASSWORD)
    auth.set_password(store, "wu", "a new password")
    with pytest.raises(NotAuthenticated):
        auth.resume(store, a2.token)
    with pytest.raises(NotAuthenticated):
        auth.authenticate(store, "wu", PASSWORD)
    auth.authenticate(store, "wu", "a new password")
    auth.disable_user(store, "wu")
    with pytest.raises(NotAuthenticated, match="disabled"):
        auth.authenticate(store, "wu", "a new password")
    with pytest.raises(NotFound):
        auth.disable_user(store, "nobody")


def test_unknown_token_is_refused(store):
    with pytest.raises(NotAuthenticated):
        auth.resume(store, "not-a-token")
    with pytest.raises(NotAuthenticated):
        auth.resume(store, "")


def test_a_name_no_account_can_have_is_a_wrong_login_on_both_databases(store):
    # A NUL in the name used to reach the query (PostgreSQL raises DataError on it).
    for name in ("ad\x00min", "x" * 500, "\u202eadmin"):
        with pytest.raises(NotAuthenticated, match="(?i)wrong user name or password") as info:
            auth.authenticate(store, name, "whatever-password")
        assert info.value.key == "error.wrong_login"


def test_session_ends_at_its_absolute_lifetime_however_active(store, clock):
    store.clock = clock
    auth.create_user(store, "qian", "planner", None, PASSWORD)
    actor = auth.authenticate(store, "qian", PASSWORD)
    step = store.settings.session_idle_minutes - 1
    used = 0
    while used + step < store.settings.session_max_hours * 60:  # active all the time: the idle timer never runs out
        clock.advance(minutes=step)
        used += step
        assert auth.resume(store, actor.token).name == "qian"
    clock.advance(minutes=step)
    with pytest.raises(NotAuthenticated) as exc:
        auth.resume(store, actor.token)
    assert exc.value.key == "error.session_too_old" and exc.value.params == {"hours": store.settings.session_max_hours}
    assert auth.authenticate(store, "qian", PASSWORD).name == "qian"  # a new log-in starts a new lifetime


def test_session_lifetime_is_a_setting(monkeypatch):
    from wufei_geo.config import load_settings

    monkeypatch.setenv("WUFEI_SESSION_MAX_HOURS", "2")
    assert load_settings().session_max_hours == 2
