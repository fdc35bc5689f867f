"""Round two (issue 15): spreadsheet formulas in CSV meant for people (exports, update template)."""
from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from wufei_geo.catalog import load_catalog
from wufei_geo.io import bulk_import, excel, geofiles, layers, tabular

from .helpers import PASSWORD
from .results import record

PAYLOADS = {
    "csv-formula-eq": '=HYPERLINK("http://evil.example","点击")',
    "csv-formula-plus": "+cmd|' /C calc'!A0",
    "csv-formula-minus": "-2+3+cmd|' /C calc'!A0",
    "csv-formula-at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "csv-formula-tab": "\t=1+1",
    "csv-formula-cr": "\r=1+1",
}


@pytest.mark.parametrize("case", sorted(PAYLOADS))
def test_formula_cells_are_neutralised_in_csv_and_text_in_xlsx(env, case: str) -> None:
    from wufei_geo import auth

    admin = auth.authenticate(env, "admin", PASSWORD)
    value = PAYLOADS[case]
    env.add_site(admin, {"site_id": "H.9", "name_zh": value, "category": "pv", "town_code": "310118001"})
    catalog = load_catalog(env)
    layer = layers.sites_layer(catalog.sites)
    stored = env.get_site("H.9")["name_zh"]
    # the sites export
    text = tabular.to_csv_bytes("sites", layer).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    (cell,) = [r["name_zh"] for r in rows if r["site_id"] == "H.9"]
    assert cell == "'" + stored and not cell.startswith(tabular.FORMULA_STARTS)
    # the update template officials open in Excel
    tpl = csv.DictReader(io.StringIO(bulk_import.template_csv(env.sites_frame()).decode("utf-8-sig"), newline=""))
    assert [r["name_zh"] for r in tpl if r["site_id"] == "H.9"] == ["'" + stored]
    # numbers stay numbers (a negative number is not a formula)
    assert tabular.neutralise_formula("-3.5") == "-3.5" and tabular.neutralise_formula(-3.5) == -3.5
    # XLSX: the exact text, as a text cell (never a formula)
    for data in (excel.to_xlsx_bytes("sites", layer), bulk_import.template_xlsx(env.sites_frame())):
        sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
        # (XML turns a CR into LF: still the text, still a string cell)
        cells = [c for row in sheet.iter_rows(min_row=2) for c in row if c.value == stored.replace("\r", "\n")]
        assert cells and all(c.data_type == "s" for c in cells)
    # machine-readable: GeoJSON keeps the text verbatim
    assert stored in geofiles.to_geojson_bytes("sites", layer, "wgs84").decode("utf-8") or \
        stored.replace("\t", "\\t").replace("\r", "\\r").replace('"', '\\"') in geofiles.to_geojson_bytes("sites", layer, "wgs84").decode("utf-8")
    record("text", case, "CSV export + update template (name_zh)", "rendered_safely",
           "prefixed with ' in CSV; XLSX text cell; GeoJSON verbatim")
