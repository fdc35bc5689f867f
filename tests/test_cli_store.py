"""The users / status / history commands, run through the real CLI parser (SQLite)."""
from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from wufei_geo import cli
from wufei_geo.config import Settings
from wufei_geo.store import Store

PW = "town official pw"


@pytest.fixture
def env(sqlite_url, monkeypatch, site_record):
    monkeypatch.setenv("WUFEI_DB_URL", sqlite_url)
    s = Store.open(sqlite_url, seed=False, settings=Settings(db_url=sqlite_url))
    s.seed([site_record("T.1"), site_record("T.2", town_code="310118102")])
    yield s
    s.close()


def run(monkeypatch, capsys, *argv, stdin=""):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_users_add_list_disable(env, monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, "users", "add", "xiayang", "--role", "town_official",
                       "--town", "310118001", "--password-stdin", stdin=PW + "\n")
    assert code == 0 and "xiayang" in out
    code, _, err = run(monkeypatch, capsys, "users", "add", "shorty", "--role", "planner", stdin="short\n")
    assert code == 1 and "8" in err
    code, out, _ = run(monkeypatch, capsys, "users", "list", "--json")
    (user,) = json.loads(out)
    assert user["name"] == "xiayang" and user["town_code"] == "310118001" and "password_hash" not in user
    assert run(monkeypatch, capsys, "users", "disable", "xiayang")[0] == 0
    code, _, err = run(monkeypatch, capsys, "status", "set", "T.1", "under_construction", "--user", "xiayang",
                       "--password-stdin", stdin=PW + "\n")
    assert code == 1 and "已停用" in err  # in the locale's language (C locale: Chinese, the default)
    code, _, err = run(monkeypatch, capsys, "users", "disable", "nobody")
    assert code == 1 and "nobody" in err


def test_status_set_and_history(env, monkeypatch, capsys):
    run(monkeypatch, capsys, "users", "add", "xiayang", "--role", "town_official", "--town", "310118001",
        stdin=PW + "\n")
    code, out, _ = run(monkeypatch, capsys, "status", "set", "T.1", "under_construction", "--user", "xiayang",
                       "--note", "开工 <b>", stdin=PW + "\n")
    assert code == 0 and "planned → under_construction (version 2)" in out
    # another town's site: refused by the core, exit 1, nothing written
    sites_before, audit_before = env.sites_frame(), env.history()
    code, _, err = run(monkeypatch, capsys, "status", "set", "T.2", "operating", "--user", "xiayang", stdin=PW + "\n")
    assert code == 1 and "310118102" in err
    # a stale --expect-version: refused, says who changed what
    code, _, err = run(monkeypatch, capsys, "status", "set", "T.1", "operating", "--user", "xiayang",
                       "--expect-version", "1", stdin=PW + "\n")
    assert code == 1 and "xiayang" in err and "现为版本 2" in err and "规划中 → 在建" in err
    # a note is required to suspend
    code, _, err = run(monkeypatch, capsys, "status", "set", "T.1", "suspended", "--user", "xiayang", stdin=PW + "\n")
    assert code == 1 and "须填写说明" in err
    # a wrong password
    code, _, err = run(monkeypatch, capsys, "status", "set", "T.1", "operating", "--user", "xiayang", stdin="wrong\n")
    assert code == 1 and "密码" in err
    # none of the refusals touched a site or the audit
    assert env.sites_frame().equals(sites_before) and env.history() == audit_before
    assert env.get_site("T.1")["version"] == 2 and env.get_site("T.2")["version"] == 1
    code, out, _ = run(monkeypatch, capsys, "history", "T.1", "--json")
    rows = json.loads(out)
    assert [(r["field"], r["old_value"], r["new_value"], r["user_name"]) for r in rows] == [
        ("status", "planned", "under_construction", "xiayang")]
    assert rows[0]["note"] == "开工 <b>" and rows[0]["at_local"]
    code, out, _ = run(monkeypatch, capsys, "history", "T.1")
    assert code == 0 and "status: planned → under_construction" in out and "开工" in out
    code, _, err = run(monkeypatch, capsys, "history", "NOPE")
    assert code == 1 and "NOPE" in err


def test_history_hides_terminal_escapes(env, monkeypatch, capsys):
    run(monkeypatch, capsys, "users", "add", "boss", "--role", "planner", stdin=PW + "\n")
    run(monkeypatch, capsys, "status", "set", "T.1", "under_construction", "--user", "boss",
        "--note", "ok\x1b[31mred", stdin=PW + "\n")
    code, out, _ = run(monkeypatch, capsys, "history", "T.1")
    assert "\x1b" not in out and "\\u001b" in out


def test_entry_point_with_piped_password(env, sqlite_url):
    proc = subprocess.run(
        [sys.executable, "-m", "wufei_geo", "users", "add", "piped", "--role", "admin"],
        input=PW + "\n", capture_output=True, text=True, timeout=120,
        env={**__import__("os").environ, "WUFEI_DB_URL": sqlite_url},
    )
    assert proc.returncode == 0, proc.stderr
    from wufei_geo import auth

    assert auth.authenticate(env, "piped", PW).role == "admin"
