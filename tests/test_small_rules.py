"""The small rules, each written once (issue 28): whether a value is unknown, how a number is
written, the gazetteer's town-code column, and the commissioning-date rule that the seed checker
and an edit share."""
from __future__ import annotations

import ast
import csv
import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wufei_geo import facilities, geodata, site_rules
from wufei_geo.errors import ValidationError
from wufei_geo.paths import FACILITIES_DIR
from wufei_geo.values import is_unknown, number_text

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("value", [None, float("nan"), np.float32("nan"), pd.NA, pd.NaT, np.datetime64("NaT"), "", "  "])
def test_unknown(value) -> None:
    assert is_unknown(value)


@pytest.mark.parametrize("value", [0, 0.0, False, "0", "x", [], {}, (), np.float64(1.5), dt.date(2025, 1, 1)])
def test_known(value) -> None:
    assert not is_unknown(value)


def test_every_module_asks_the_one_rule() -> None:
    """The five old answers are names of the one rule now."""
    from app_pages import forms
    from wufei_geo import locate
    from wufei_geo.analysis import values as analysis_values
    from wufei_geo.io import layers
    from wufei_geo.mapview import values as mapview_values

    for answer in (analysis_values.is_unknown, locate._is_blank, forms.blank, layers._missing):
        assert answer is is_unknown
    assert not hasattr(mapview_values, "_isnull")  # the map's modules import the rule from its owner


@pytest.mark.parametrize(("value", "style", "text"), [
    (1234.5, "reading", "1,234.5"), (1234.0, "reading", "1,234"), (0.125, "reading", "0.12"), (None, "reading", "—"),
    (12000.0, "compact", "12,000"), (37.78, "compact", "37.78"), (0.5, "compact", "0.5"), (1234.5, "compact", "1234.5"),
    (12.0, "stored", "12"), (0.1, "stored", "0.1"), (float("nan"), "compact", "—"),
])
def test_number_forms(value, style, text) -> None:
    assert number_text(value, style) == text


def test_the_gazetteer_names_its_town_code_column_when_read() -> None:
    gaz = geodata.load_gazetteer()
    assert geodata.TOWN_CODE in gaz.columns and "code" not in gaz.columns
    guess = '"code" if "code" in'
    for path in [*(ROOT / "wufei_geo").rglob("*.py"), *(ROOT / "app_pages").rglob("*.py")]:
        assert guess not in path.read_text(encoding="utf-8"), path


# --- one date rule -------------------------------------------------------------------------------
TODAY = dt.date(2026, 6, 1)


@pytest.mark.parametrize(("text", "accepted"), [("2023-1", True), ("2023-01-05", True), ("2023", True),
                                                 ("1900", False), ("2023-13", False), ("23-01", False)])
def test_the_seed_checker_and_an_edit_agree_on_a_commissioning_date(tmp_path: Path, text: str, accepted: bool) -> None:
    try:
        site_rules.parse_date(text, TODAY)
        edit_accepts = True
    except ValidationError:
        edit_accepts = False
    folder = tmp_path / "facilities"
    shutil.copytree(FACILITIES_DIR, folder)
    with (folder / "sites.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header, rows = list(reader.fieldnames or []), list(reader)
    rows[0]["commissioned"] = text
    with (folder / "sites.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    problems = [p for p in facilities.validate(folder) if p.field == "commissioned"]
    assert edit_accepts is accepted
    assert (not problems) is accepted, problems


def test_no_second_date_pattern_in_the_seed_checker() -> None:
    tree = ast.parse((ROOT / "wufei_geo" / "facilities.py").read_text(encoding="utf-8"))
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert "_PARTIAL_DATE" not in names
