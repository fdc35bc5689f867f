"""Round two (issue 15): accounts under attack — parallel guessing, timing, look-alike names."""
from __future__ import annotations

import statistics
import threading
import time

import pytest

from wufei_geo import auth
from wufei_geo.config import Settings
from wufei_geo.errors import AccountLocked, NotAuthenticated, ValidationError
from wufei_geo.store import Store

from .helpers import PASSWORD
from .results import record

PARALLEL = 24


def _count_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the passwords really checked against a stored hash (verify_password calls)."""
    calls: list[int] = []
    real = auth.verify_password

    def counting(password: str, password_hash: str) -> bool:
        calls.append(1)
        return real(password, password_hash)

    monkeypatch.setattr(auth, "verify_password", counting)
    return calls


def _guess_in_parallel(store: Store, name: str, n: int) -> list[BaseException | None]:
    barrier = threading.Barrier(n)
    outcomes: list[BaseException | None] = [None] * n

    def one(i: int) -> None:
        barrier.wait()
        try:
            auth.authenticate(store, name, f"wrong guess {i:04d}")
        except Exception as exc:  # noqa: BLE001 — recorded and asserted below
            outcomes[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


@pytest.mark.parametrize("backend", ["sqlite_url", pytest.param("pg_url", marks=pytest.mark.postgres)])
def test_parallel_wrong_passwords_check_at_most_the_limit(backend: str, request: pytest.FixtureRequest,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    url = request.getfixturevalue(backend)
    monkeypatch.setattr(auth, "BCRYPT_ROUNDS", 6)  # slow enough that unlocked attempts would overlap
    store = Store.open(url, seed=False, settings=Settings(db_url=url))
    try:
        auth.create_user(store, "target", "planner", None, PASSWORD)
        checks = _count_checks(monkeypatch)
        outcomes = _guess_in_parallel(store, "target", PARALLEL)
        limit = store.settings.lockout_attempts
        assert all(isinstance(o, NotAuthenticated) for o in outcomes), outcomes
        assert len(checks) <= limit, f"{len(checks)} passwords checked, the limit is {limit}"
        assert sum(isinstance(o, AccountLocked) for o in outcomes) >= PARALLEL - limit + 1
        with pytest.raises(AccountLocked):  # even the right password now
            auth.authenticate(store, "target", PASSWORD)
        (row,) = [u for u in auth.list_users(store) if u["name"] == "target"]
        assert row["locked_until"] is not None
    finally:
        store.close()
    where = "PostgreSQL" if backend == "pg_url" else "SQLite"
    record("accounts", "parallel-guessing", f"auth.authenticate × {PARALLEL} threads ({where})", "refused",
           f"{len(checks)} of {PARALLEL} passwords checked (limit {limit}); account locked")


def test_unknown_name_takes_as_long_as_a_wrong_password(env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "BCRYPT_ROUNDS", 9)  # ~30 ms per check: well above timer noise
    auth.set_password(env, "xiayang", PASSWORD)  # re-hashed at this cost, as real hashes are
    env.settings = Settings(db_url=str(env.engine.url), lockout_attempts=10_000)

    def timed(name: str) -> float:
        t0 = time.perf_counter()
        with pytest.raises(NotAuthenticated):
            auth.authenticate(env, name, "not the password")
        return time.perf_counter() - t0

    # The property behind equal timing, independent of the machine's load: both paths check
    # exactly one bcrypt hash, of the same cost.
    checked: list[bytes] = []
    real_checkpw = auth.bcrypt.checkpw
    monkeypatch.setattr(auth.bcrypt, "checkpw", lambda pw, hashed: checked.append(hashed[:7]) or real_checkpw(pw, hashed))
    timed("nobody-here")  # (also makes the dummy hash once)
    timed("xiayang")
    assert len(checked) == 2 and checked[0] == checked[1], checked  # e.g. b"$2b$09$" twice

    # The timing itself, robust on a busy machine: interleaved pairs (alternating which goes
    # first), the median of the per-pair ratios — a load spike moves one pair, not the median.
    ratios, unknown_ms, wrong_ms = [], [], []
    for i in range(15):
        order = ("nobody-here", "xiayang") if i % 2 else ("xiayang", "nobody-here")
        took = {name: timed(name) for name in order}
        ratios.append(took["nobody-here"] / took["xiayang"])
        unknown_ms.append(took["nobody-here"] * 1000)
        wrong_ms.append(took["xiayang"] * 1000)
    ratio = statistics.median(ratios)
    assert 0.5 < ratio < 2.0, (f"median ratio {ratio:.2f}: unknown name {statistics.median(unknown_ms):.1f} ms vs "
                               f"wrong password {statistics.median(wrong_ms):.1f} ms")
    record("accounts", "login-timing", "auth.authenticate (unknown name vs wrong password)", "refused",
           f"one bcrypt check of equal cost on both paths; median time ratio unknown/wrong over 15 interleaved "
           f"pairs = {ratio:.2f}")


LOOKALIKES = [
    ("case", "Admin", "admin"),
    ("upper", "ADMIN", "admin"),
    ("fullwidth", "ａｄｍｉｎ", "admin"),  # NFKC → admin
    ("cyrillic-a", "\u0430dmin", None),  # Cyrillic а + Latin dmin: mixed scripts
    ("all-cyrillic", "\u0430\u0441\u0435", "ace"),  # Cyrillic асе looks like Latin ace
    ("greek-o", "r\u03bfot", None),  # Greek ο in Latin root
]


@pytest.mark.parametrize(("case", "name", "existing"), LOOKALIKES, ids=[c[0] for c in LOOKALIKES])
def test_look_alike_user_names_are_refused(env, case: str, name: str, existing: str | None, monkeypatch, capsys) -> None:
    from .helpers import run_cli

    if existing and existing != "admin":
        auth.create_user(env, existing, "planner", None, PASSWORD)
    before = [u["name"] for u in auth.list_users(env)]
    with pytest.raises(ValidationError) as exc:
        auth.create_user(env, name, "planner", None, PASSWORD)
    code, _, err = run_cli(monkeypatch, capsys, "users", "add", name, "--role", "planner", "--password-stdin",
                           stdin=PASSWORD + "\n")
    assert code != 0 and "Traceback" not in err
    assert [u["name"] for u in auth.list_users(env)] == before
    record("text", f"user-{case}", "auth.create_user(name) / cli:users add", "refused", str(exc.value))


def test_nfkc_name_is_stored_normalised_and_logs_in(env) -> None:
    auth.create_user(env, "ｗａｎｇ", "planner", None, PASSWORD)
    assert "wang" in [u["name"] for u in auth.list_users(env)]
    assert auth.authenticate(env, "ｗａｎｇ", PASSWORD).name == "wang"
    assert auth.authenticate(env, "wang", PASSWORD).name == "wang"
    record("text", "user-nfkc", "auth.create_user(name) + authenticate", "accepted_correctly",
           "full-width ｗａｎｇ stored and logged in as wang")
