"""Round two (issue 15): imports read what the user meant, and no file inflates a reader.

Mixed encodings are refused naming the line; ambiguous numbers are refused; a note has one cap
everywhere; the dry run shows every field, the note included.  Size bombs (XLSX rows, a forged
sheet dimension, a wide row, a sheet that unpacks to a gigabyte, a 10-million-character cell;
CSV rows and cells; a zipped Shapefile that unpacks to a gigabyte; a GeoJSON of a million
vertices) are refused before the table or geometry is built.
"""
from __future__ import annotations

import time

import pytest

from bench import bombs
from wufei_geo import auth, model
from wufei_geo.boundaries import BoundaryImportError
from wufei_geo.errors import ValidationError
from wufei_geo.io import bulk_import

from .helpers import PASSWORD, csv_bytes, data_hash, login, run_cli
from .results import record


def test_mixed_encoding_is_refused_naming_the_line(env) -> None:
    official = login(env, "xiayang")
    good = "site_id,version,status,note\nH.1,1,suspended,设备检修\nH.3,1,under_construction,开工\n".encode()
    mixed = good.replace("开工".encode(), "开工".encode("gbk"))  # line 3 in GBK, the rest UTF-8
    before = data_hash(env)
    report = bulk_import.plan_import(env, official, mixed, "mixed.csv", "en")
    (error,) = report.errors
    assert error.row is None and "3" in error.message and "mixed" in error.message
    assert data_hash(env) == before
    # a whole-GBK file is still read as GBK
    report = bulk_import.plan_import(env, official, good.decode().encode("gbk"), "gbk.csv", "en")
    assert report.ok and report.rows[0].note == "设备检修"
    record("files", "csv-mixed-encoding", "bulk_import (CSV)", "refused", error.message)


@pytest.mark.parametrize(("text", "ok"), [("1,5", False), ("1_0", False), ("1,50", False), ("1.5.2", False),
                                          ("1,500", True), ("1500", True), ("-0.5", False), ("1e3", True)])
def test_ambiguous_numbers_are_refused(env, text: str, ok: bool) -> None:
    # a design capacity that 1,500 t/d fits (else the plausibility rules refuse it, not the parser)
    version = env.set_design_capacity(login(env, "admin"), "H.1", "5000", "t/d", "test: a large design", 1)["version"]
    official = login(env, "xiayang")
    data = csv_bytes([{"site_id": "H.1", "version": version, "operating_capacity_value": text,
                       "operating_capacity_unit": "t/d"}])
    report = bulk_import.plan_import(env, official, data, "n.csv", "en")
    assert report.ok is ok, report.errors
    if ok:
        from wufei_geo.units import parse_decimal

        assert parse_decimal(str(report.rows[0].changes["operating_capacity_value"])) == float(text.replace(",", ""))
    else:
        with pytest.raises(ValidationError):  # the store's own rule, for every other path
            env.update_site(official, "H.1", {"operating_capacity_value": text, "operating_capacity_unit": "t/d"}, version)
        record("values", f"number-{text}", "bulk_import / store.update_site(capacity)", "refused",
               str(report.errors[0]) if report.errors else "")


def test_one_note_cap_everywhere(env, monkeypatch, capsys) -> None:
    official = login(env, "xiayang")
    admin = login(env, "admin")
    long_note = "无" * (model.MAX_NOTE_CHARS + 1)
    before = data_hash(env)
    with pytest.raises(ValidationError):
        env.update_site(official, "H.1", {"status": "suspended"}, 1, note=long_note)
    with pytest.raises(ValidationError):
        env.retire_site(admin, "H.1", long_note)
    with pytest.raises(ValidationError):
        env.add_site(admin, {"site_id": "H.9", "name_zh": "新", "category": "pv"}, note=long_note)
    report = bulk_import.plan_import(env, official, csv_bytes([{"site_id": "H.1", "version": 1, "status": "suspended",
                                                                 "note": long_note}]), "n.csv", "en")
    assert not report.ok
    code, _, err = run_cli(monkeypatch, capsys, "status", "set", "H.1", "suspended", "--note", long_note,
                           "--user", "xiayang", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 1 and "Traceback" not in err
    assert data_hash(env) == before
    # exactly at the cap: accepted
    env.update_site(official, "H.1", {"status": "suspended"}, 1, note="无" * model.MAX_NOTE_CHARS)
    record("text", "note-over-cap", "store / bulk_import / cli:status set (note)", "refused",
           f"{model.MAX_NOTE_CHARS + 1:,} characters refused on every path; {model.MAX_NOTE_CHARS:,} accepted")


def test_dry_run_shows_the_note(env) -> None:
    official = login(env, "xiayang")
    data = csv_bytes([{"site_id": "H.1", "version": 1, "status": "suspended", "note": "检修\x1b[2J"}])
    report = bulk_import.plan_import(env, official, data, "n.csv", "en")
    lines = report.summary_lines()
    assert any("note: 检修\\u001b[2J" in line for line in lines), lines
    frame = report.changes_frame()
    assert "note" in set(frame["field"]) and "检修\x1b[2J" in set(frame["new"])
    record("text", "dry-run-note", "bulk_import dry run (CLI lines, 数据 page table)", "rendered_safely",
           "the note is a line of the dry run; control characters shown as \\uXXXX in the terminal")


BOMBS = {
    "xlsx-150k-rows": (bombs.xlsx_many_rows, "rows"),
    "xlsx-wide-row": (bombs.xlsx_wide_row, "columns"),
    "xlsx-unpacks-1GB": (bombs.xlsx_unpacked, "MB"),
    "xlsx-10M-char-cell": (bombs.xlsx_long_cell, "characters"),
    "csv-150k-rows": (bombs.csv_many_rows, "rows"),
    "csv-10M-char-note": (bombs.csv_long_note, "characters"),
}


@pytest.mark.parametrize("case", sorted(BOMBS))
def test_spreadsheet_bombs_are_refused_while_reading(env, case: str) -> None:
    build, word = BOMBS[case]
    data, name = build()
    official = login(env, "xiayang")
    before = data_hash(env)
    t0 = time.perf_counter()
    report = bulk_import.plan_import(env, official, data, name, "en")
    seconds = time.perf_counter() - t0
    (error,) = report.errors
    assert error.row is None and word in error.message, error.message
    with pytest.raises(bulk_import.ImportFileError):
        bulk_import.read_table(data, name)
    assert data_hash(env) == before
    record("files", case, "bulk_import dry run (数据 page, cli:import-sites)", "refused",
           f"{len(data) // 1024} KB file refused in {seconds:.1f} s: {error.message}")


def test_forged_dimension_reads_only_the_real_cells(env) -> None:
    data, name = bombs.xlsx_forged_dimension()
    frame = bulk_import.read_table(data, name)
    assert frame.shape == (2, 2)
    record("files", "xlsx-forged-dimension", "bulk_import.read_table", "accepted_correctly",
           "a sheet claiming A1:XFD1048576 read as its 3 real rows")


@pytest.mark.parametrize("case", ["shp-zip-unpacks-1GB", "geojson-1M-vertices"])
def test_boundary_bombs_are_refused_before_gdal(case: str, tmp_path) -> None:
    from wufei_geo.io.geofiles import read_boundaries

    data, name = bombs.zip_bomb_shapefile() if case.startswith("shp") else bombs.geojson_dense()
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(BoundaryImportError) as exc:
        read_boundaries(path)
    assert "MB" in str(exc.value) or "vertices" in str(exc.value)
    record("files", case, "geofiles.read_boundaries", "refused", f"{len(data) // 1024} KB file: {exc.value.problems[0]}")


def test_user_names_unchanged(env) -> None:
    assert auth.authenticate(env, "admin", PASSWORD).name == "admin"
