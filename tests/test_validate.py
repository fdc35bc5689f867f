"""``wufei-geo validate``: clean on the shipped data; each broken copy is named by file, row, field.

The broken fixtures are copies of facilities/ made in tmp_path with exactly one defect each, so
they cannot drift from the real files.
"""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from wufei_geo import cli, facilities
from wufei_geo.paths import FACILITIES_DIR


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _line(rows: list[dict[str, str]], key: str, value: str) -> int:
    """Line number in the file of the row whose ``key`` is ``value`` (header = line 1)."""
    return next(i for i, r in enumerate(rows) if r[key] == value) + 2


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "facilities"
    shutil.copytree(FACILITIES_DIR, folder)
    return folder


def _edit(folder: Path, file: str, key: str, value: str, field: str, new: str) -> int:
    header, rows = _rows(folder / file)
    line = _line(rows, key, value)
    rows[line - 2][field] = new
    _write(folder / file, header, rows)
    return line


def _validate(capsys, folder: Path) -> tuple[int, list[str]]:
    code = cli.main(["validate", "--dir", str(folder)])
    out = capsys.readouterr().out
    return code, [line for line in out.splitlines() if line.strip()]


def test_shipped_data_passes(capsys):
    code = cli.main(["validate"])
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    assert len(out) == 1 and out[0].startswith("OK ")
    assert "38 sites" in out[0] and "40 targets" in out[0]


# The six defects the brief names: each copy has one, and validate names file, row and field.
def test_negative_capacity(data, capsys):
    line = _edit(data, "capacities.csv", "site_id", "E.12-1", "value", "-5")
    code, out = _validate(capsys, data)
    assert code == 1
    assert out == [f"capacities.csv:{line}: value: capacity value '-5' is negative"]


def test_unknown_unit(data, capsys):
    line = _edit(data, "capacities.csv", "site_id", "E.12-3", "unit", "t/h")
    code, out = _validate(capsys, data)
    assert code == 1
    assert len(out) == 1 and out[0].startswith(f"capacities.csv:{line}: unit: unknown capacity unit 't/h'")


def test_unknown_town(data, capsys):
    line = _edit(data, "sites.csv", "site_id", "E.12-1", "town_code", "310118999")
    code, out = _validate(capsys, data)
    assert code == 1
    assert out == [f"sites.csv:{line}: town_code: unknown town code '310118999' (not in the towns gazetteer)"]


def test_duplicate_site_id(data, capsys):
    header, rows = _rows(data / "sites.csv")
    first = _line(rows, "site_id", "E.40-1")
    rows.append(dict(rows[first - 2]))
    _write(data / "sites.csv", header, rows)
    code, out = _validate(capsys, data)
    assert code == 1
    dup_line = len(rows) + 1
    assert out == [f"sites.csv:{dup_line}: site_id: duplicate site_id E.40-1 (first on line {first})"]


def test_point_outside_the_district(data, capsys):
    # 121.50, 31.24 is the Bund in Huangpu, ~35 km east of Qingpu
    line = _edit(data, "sites.csv", "site_id", "E.12-3", "src_lon", "121.50")
    code, out = _validate(capsys, data)
    assert code == 1
    assert len(out) == 1
    assert out[0].startswith(f"sites.csv:{line}: src_lon: point (121.5, 31.239126) gcj02")
    assert out[0].endswith("lies outside the district")


@pytest.mark.parametrize("file,key,value", [("capacities.csv", "site_id", "E.8-1"), ("sites.csv", "site_id", "E.44-1"),
                                            ("targets.csv", "target_id", "D-pv-capacity")])
def test_missing_source_ref(data, capsys, file, key, value):
    line = _edit(data, file, key, value, "source_ref", "")
    code, out = _validate(capsys, data)
    assert code == 1
    assert out == [f"{file}:{line}: source_ref: required, but empty"]


# More defects, one per copy: (file, key column, key, field, new value, problem field, message fragment)
MORE = [
    ("capacities.csv", "site_id", "E.12-4", "value", "nan", "value", "not a finite number"),
    ("capacities.csv", "site_id", "E.12-4", "value", "0", "value", "0 is not a capacity"),
    ("capacities.csv", "site_id", "E.12-4", "norm", "500", "norm", "500 ≠ 500 kg/d = 0.5 t/d"),
    ("capacities.csv", "site_id", "E.12-4", "norm_unit", "kg/d", "norm_unit", "normalises to t/d"),
    ("capacities.csv", "site_id", "E.12-5", "unit", "kW", "unit",
     "does not fit the primary (first) component of a wet_waste site"),
    ("capacities.csv", "site_id", "E.8-1", "site_id", "E.8-9", "site_id", "capacity for unknown site 'E.8-9'"),
    ("sites.csv", "site_id", "E.6-1", "category", "incinerator", "category", "unknown value 'incinerator'"),
    ("sites.csv", "site_id", "E.6-1", "status", "done", "status", "unknown value 'done'"),
    ("sites.csv", "site_id", "E.6-1", "precision", "street", "precision", "unknown value 'street'"),
    ("sites.csv", "site_id", "E.6-1", "project_id", "E.99", "project_id", "unknown project 'E.99'"),
    ("sites.csv", "site_id", "E.6-1", "target_year", "2022-2025", "target_year", "is not a year"),
    ("sites.csv", "site_id", "E.6-1", "target_year", "2024", "target_year", "differs from the end of E.6's 实施年限"),
    ("sites.csv", "site_id", "E.6-1", "status_as_of", "28/10/2022", "status_as_of", "not an ISO date"),
    ("sites.csv", "site_id", "E.10-1", "served_towns", "310118102;310118108", "served_towns", "'310118108'"),
    ("sites.csv", "site_id", "E.12-3", "src_datum", "wgs-84", "src_datum", "unknown datum 'wgs-84'"),
    ("sites.csv", "site_id", "E.12-3", "src_lat", "", "src_lat", "give both src_lon and src_lat"),
    ("sites.csv", "site_id", "E.44-1", "precision", "exact", "precision", "needs src_lon/src_lat"),
    ("sites.csv", "site_id", "E.13-4", "precision", "town", "precision", "'town' precision needs a town_code"),
    ("sites.csv", "site_id", "E.11-1", "wet_waste_mode", "", "wet_waste_mode", "required for wet_waste"),
    ("sites.csv", "site_id", "E.6-1", "name_zh", "", "name_zh", "required, but empty"),
    ("targets.csv", "target_id", "D-pv-capacity", "project_ids", "E.46", "project_ids", "unknown project 'E.46'"),
    ("targets.csv", "target_id", "310118001-C.2-blocks", "project_ids", "C.9", "project_ids",
     "unknown plan item 'C.9'"),
    ("targets.csv", "target_id", "310118105-E.15-hubs", "town_code", "310118101", "town_code", "unknown town code"),
    ("targets.csv", "target_id", "D-pv-capacity", "unit", "MW", "unit", "a pv capacity target is in kW"),
    ("targets.csv", "target_id", "D-pv-capacity", "measure", "power", "measure", "unknown value 'power'"),
    ("targets.csv", "target_id", "D-pv-capacity", "target_value", "-1", "target_value", "not a positive target"),
    ("projects.csv", "project_id", "E.7", "period", "ongoing", "period", "names no year"),
]


@pytest.mark.parametrize("file,key,value,field,new,problem_field,fragment", MORE)
def test_each_defect_is_named(data, file, key, value, field, new, problem_field, fragment):
    line = _edit(data, file, key, value, field, new)
    problems = facilities.validate(data)
    # every problem is on the edited row (a defect may show in two fields, e.g. a 0 value and its norm)
    assert {(p.file, p.row) for p in problems} == {(file, line)}, problems
    assert any(p.field == problem_field and fragment in p.message for p in problems), problems


def test_missing_and_unknown_columns(data):
    header, rows = _rows(data / "capacities.csv")
    header = [h if h != "source_ref" else "source" for h in header]
    for r in rows:
        r["source"] = r.pop("source_ref")
    _write(data / "capacities.csv", header, rows)
    (p,) = facilities.validate(data)
    assert (p.file, p.row) == ("capacities.csv", 1)
    assert "missing column(s) source_ref" in p.message and "unknown column(s) source" in p.message


def test_missing_file(data):
    (data / "targets.csv").unlink()
    (p,) = facilities.validate(data)
    assert (p.file, p.row, p.message) == ("targets.csv", 0, "file not found")


def test_gbk_file_is_named_with_a_hint(data):
    text = (data / "sites.csv").read_text(encoding="utf-8")
    (data / "sites.csv").write_bytes(text.encode("gbk", errors="replace"))
    problems = facilities.validate(data)
    assert [(p.file, p.row) for p in problems][:1] == [("sites.csv", 0)]
    assert "GBK" in problems[0].message and "UTF-8" in problems[0].message


def test_utf8_bom_is_accepted(data):
    raw = (data / "sites.csv").read_bytes()
    (data / "sites.csv").write_bytes(b"\xef\xbb\xbf" + raw)
    assert facilities.validate(data) == []


def test_ragged_row(data):
    path = data / "capacities.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] += ",extra"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (p,) = facilities.validate(data)
    assert (p.file, p.row) == ("capacities.csv", 2) and "8 cells where the header has 7" in p.message


def test_markup_is_data_not_a_problem(data):
    # hostile text in a free-text field is stored as text (escaping is the map's job)
    _edit(data, "sites.csv", "site_id", "E.6-1", "name_en", "<script>alert(1)</script>")
    assert facilities.validate(data) == []
    site = next(s for s in facilities.load_seed_sites(data) if s["site_id"] == "E.6-1")
    assert site["name_en"] == "<script>alert(1)</script>"


def test_loading_broken_data_refuses_with_every_problem(data):
    _edit(data, "capacities.csv", "site_id", "E.12-1", "value", "-5")
    _edit(data, "sites.csv", "site_id", "E.12-1", "town_code", "310118999")
    with pytest.raises(facilities.SeedDataError) as info:
        facilities.load_seed_sites(data)
    assert len(info.value.problems) == 2
    assert isinstance(info.value, ValueError)
    assert "sites.csv:" in str(info.value) and "capacities.csv:" in str(info.value)


def test_problem_text():
    assert str(facilities.Problem("sites.csv", 3, "town_code", "unknown")) == "sites.csv:3: town_code: unknown"
