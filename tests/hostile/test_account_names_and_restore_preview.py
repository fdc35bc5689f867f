"""Round three (issue 27), accounts: a restore preview names every account it changes (an existing
official re-bound to another town, promoted, given another password); user names with combining
marks are refused (``admiń`` beside ``admin``)."""
from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from wufei_geo import auth
from wufei_geo.errors import ValidationError
from wufei_geo.io import backup

from .helpers import HUAXIN, data_hash, run_cli
from .results import record
from .test_restore_untrusted import _edit_table, _members, _write


def _rebind(rows):
    for r in rows:
        if r["name"] == "xiayang":
            r["town_code"] = HUAXIN  # the 夏阳 official would edit 华新's sites
    return rows


def _promote(rows):
    for r in rows:
        if r["name"] == "huaxin":
            r["role"] = "admin"
            r["town_code"] = None
    return rows


@pytest.mark.parametrize(("case", "edit", "shown"), [
    ("restore-rebinds-town", _rebind, ("account xiayang changes: town 310118001 → " + HUAXIN,
                                       "账户 xiayang 变更：街镇 310118001 → " + HUAXIN)),
    ("restore-promotes-official", _promote, ("account huaxin changes: role town_official → admin",
                                             "账户 huaxin 变更：角色 town_official → admin")),
])
def test_restore_preview_names_every_changed_account(env, tmp_path: Path, monkeypatch, capsys, case, edit, shown) -> None:
    good = tmp_path / "good.zip"
    backup.backup(env, good)
    members = _members(good)
    _edit_table(members, "users", edit)
    bad = _write(members, tmp_path / "bad.zip")
    before = data_hash(env)
    preview = backup.preview(env, bad)
    shown_en, shown_zh = shown
    assert preview.new_accounts == [] and any(line.startswith(shown_en) for line in preview.lines("en")), preview.lines()
    assert any(line.startswith(shown_zh) for line in preview.lines("zh")), preview.lines("zh")
    code, out, err = run_cli(monkeypatch, capsys, "restore", str(bad), "--yes")
    assert code == 1 and shown_zh in out + err  # the command line speaks the run's language
    assert data_hash(env) == before
    record("restore", case, "backup.preview / cli:restore", "refused", f"preview: {shown}; refused unsigned")


@pytest.mark.parametrize("name", ["admiń", "admin\u0301", "ádmin", "a\u0308dmin"])
def test_user_names_with_combining_marks_are_refused(env, name: str) -> None:
    before = data_hash(env)
    with pytest.raises(ValidationError) as exc:
        auth.create_user(env, name, "planner", None, "a long enough password")
    assert exc.value.key == "error.name_marks"
    assert data_hash(env) == before
    shown = unicodedata.normalize("NFC", name).encode("unicode_escape").decode()
    record("text", f"user-marks-{shown}", "auth.create_user(name)", "refused", str(exc.value))
