"""Markup, SQL, huge, control, RTL, emoji and rare-CJK text in every text field and entry point.

"literal" cases must be stored byte for byte and only ever shown as text; "refused" cases must
be refused with a clear message and leave the database exactly as it was (hash of all tables).
"""
from __future__ import annotations

import io
import json
import unicodedata

import openpyxl
import pandas as pd
import pytest

from wufei_geo import auth, mapview
from wufei_geo.catalog import load_catalog
from wufei_geo.errors import ValidationError
from wufei_geo.io import bulk_import, excel, layers, tabular

from .corpus import TEXT_CASES, Case
from .helpers import PASSWORD, XIAYANG, csv_bytes, data_hash, login, run_cli
from .results import record


def _cases(entry: str) -> list:
    return [pytest.param(c, id=c.id) for c in TEXT_CASES if entry in c.entries]


def _expect(case: Case, entry: str) -> str:
    return case.notes.get(entry, case.expect)


def _no_raw_controls(text: str) -> bool:
    return not any(unicodedata.category(ch) == "Cc" and ch not in "\n" for ch in text)


# --- notes ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", _cases("store.update_site(note)"))
def test_note_through_update_site(env, case: Case) -> None:
    entry = "store.update_site(note)"
    official = login(env, "xiayang")
    before = data_hash(env)
    if _expect(case, entry) == "refused":
        with pytest.raises(ValidationError) as exc:
            env.update_site(official, "H.1", {}, 1, note=case.value)
        assert str(exc.value)
        assert data_hash(env) == before
        record("text", case.id, entry, "refused", str(exc.value))
        return
    site = env.update_site(official, "H.1", {}, 1, note=case.value)
    assert site["version"] == 2
    (row,) = env.history(site_id="H.1")
    assert row["note"] == case.value.strip() and row["user_name"] == "xiayang"
    record("text", case.id, entry, "stored_literally")


@pytest.mark.parametrize("case", _cases("cli:status set --note"))
def test_note_through_cli(env, monkeypatch, capsys, case: Case) -> None:
    entry = "cli:status set --note"
    before = data_hash(env)
    code, out, err = run_cli(monkeypatch, capsys, "status", "set", "H.1", "planned", "--user", "xiayang",
                             "--note", case.value, "--password-stdin", stdin=PASSWORD + "\n")
    if _expect(case, entry) == "refused":
        assert code == 1 and err.startswith(("error:", "错误:")), (code, out, err)
        assert _no_raw_controls(err)
        assert data_hash(env) == before  # sessions aside: the CLI's own log-in/log-out is not data
        assert env.history(site_id="H.1") == [] and env.get_site("H.1")["version"] == 1
        record("text", case.id, entry, "refused", err.strip())
        return
    assert code == 0, err
    (row,) = env.history(site_id="H.1")
    assert row["note"] == case.value.strip()
    # the history printed to a terminal: no raw control characters (escape sequences are shown as \uXXXX)
    code, out, err = run_cli(monkeypatch, capsys, "history", "H.1")
    assert code == 0 and _no_raw_controls(out)
    record("text", case.id, entry, "stored_literally")
    record("text", case.id, "cli:history (terminal)", "rendered_safely")


@pytest.mark.parametrize("case", _cases("bulk_import(note column)"))
def test_note_through_bulk_import(env, case: Case) -> None:
    entry = "bulk_import(note column)"
    official = login(env, "xiayang")
    try:
        data = csv_bytes([{"site_id": "H.1", "version": 1, "status": "suspended", "note": case.value}])
    except UnicodeEncodeError:  # a lone surrogate cannot be written as UTF-8: send the raw bytes
        data = ("site_id,version,status,note\nH.1,1,suspended," + case.value + "\n").encode("utf-8", "surrogatepass")
    before = data_hash(env)
    report = bulk_import.apply_import(env, official, data, "update.csv", "en")
    if _expect(case, entry) == "refused":
        assert not report.applied and report.errors, report
        assert data_hash(env) == before
        record("text", case.id, entry, "refused", str(report.errors[0]))
        return
    assert report.applied, report.errors
    (row,) = env.history(site_id="H.1")
    assert row["note"] == case.value.strip() and row["new_value"] == "suspended"
    record("text", case.id, entry, "stored_literally")


# --- site names (administrator) → map HTML, exports ---------------------------------------------
@pytest.mark.parametrize("case", _cases("store.add_site(name_zh)→map HTML"))
def test_site_name_through_add_site_map_and_exports(env, case: Case) -> None:
    admin = login(env, "admin")
    before = data_hash(env)
    record_in = {"site_id": "H.9", "name_zh": case.value, "name_en": case.value, "category": "wet_waste",
                 "wet_waste_mode": "on_site", "town_code": XIAYANG, "precision": "town"}
    if _expect(case, "store.add_site(name_zh)→map HTML") == "refused":
        with pytest.raises(ValidationError) as exc:
            env.add_site(admin, record_in, note="hostile test")
        assert data_hash(env) == before
        record("text", case.id, "store.add_site(name_zh)→map HTML", "refused", str(exc.value))
        record("text", case.id, "exports CSV/XLSX(name_zh)", "refused", "never stored")
        return
    env.add_site(admin, record_in, note="hostile test")
    assert env.get_site("H.9")["name_zh"] == case.value.strip() or env.get_site("H.9")["name_zh"] == case.value

    catalog = load_catalog(env)
    site = catalog.sites[catalog.sites["site_id"] == "H.9"]
    html = mapview.build_map(catalog.sites, catalog.zones, catalog.district, towns=catalog.towns).get_root().render()
    stored = env.get_site("H.9")["name_zh"]
    if any(ch in stored for ch in "<>&"):
        assert stored not in html  # never raw in the page: only inside the escaped JSON string table
    assert mapview.safe_json(stored)[1:-1] in html
    assert len(site) == 1
    record("text", case.id, "store.add_site(name_zh)→map HTML", "rendered_safely")

    layer = layers.sites_layer(catalog.sites)
    back = pd.read_csv(io.BytesIO(tabular.to_csv_bytes("sites", layer)), dtype=str, keep_default_na=False)
    # CSV is for people: a text a spreadsheet would run gets a leading ' (issue 15, OWASP rule)
    assert back.loc[back["site_id"] == "H.9", "name_zh"].item() == tabular.neutralise_formula(stored)
    book = openpyxl.load_workbook(io.BytesIO(excel.to_xlsx_bytes("sites", layer)))
    sheet = book["sites"]
    header = [c.value for c in sheet[1]]
    col = header.index("name_zh") + 1
    cells = [sheet.cell(row=r, column=col) for r in range(2, sheet.max_row + 1)]
    (cell,) = [c for c, sid in zip(cells, [sheet.cell(row=r, column=header.index("site_id") + 1).value
                                          for r in range(2, sheet.max_row + 1)], strict=False) if sid == "H.9"]
    assert cell.data_type == "s" and cell.value == stored  # text, never a formula
    record("text", case.id, "exports CSV/XLSX(name_zh)", "rendered_safely")


# --- user names -------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", _cases("auth.create_user(name)"))
def test_user_name_through_create_user(env, case: Case) -> None:
    entry = "auth.create_user(name)"
    before = data_hash(env)
    if _expect(case, entry) == "refused":
        with pytest.raises(ValidationError) as exc:
            auth.create_user(env, case.value, "planner", None, PASSWORD)
        assert data_hash(env) == before
        record("text", case.id, entry, "refused", str(exc.value))
        return
    auth.create_user(env, case.value, "planner", None, PASSWORD)
    assert case.value.strip() in [u["name"] for u in auth.list_users(env)]
    actor = auth.authenticate(env, case.value, PASSWORD)
    assert actor.name == case.value.strip()
    record("text", case.id, entry, "stored_literally")


@pytest.mark.parametrize("case", _cases("cli:users add NAME"))
def test_user_name_through_cli(env, monkeypatch, capsys, case: Case) -> None:
    entry = "cli:users add NAME"
    before = data_hash(env)
    code, out, err = run_cli(monkeypatch, capsys, "users", "add", case.value, "--role", "planner",
                             "--password-stdin", stdin=PASSWORD + "\n")
    if _expect(case, entry) == "refused":
        assert code == 1 and err.startswith(("error:", "错误:"))
        assert _no_raw_controls(err)
        assert data_hash(env) == before
        record("text", case.id, entry, "refused", err.strip())
        return
    assert code == 0, err
    code, out, err = run_cli(monkeypatch, capsys, "users", "list", "--json")
    assert case.value.strip() in [u["name"] for u in json.loads(out)]
    record("text", case.id, entry, "stored_literally")
