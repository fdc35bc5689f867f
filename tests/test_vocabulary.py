"""The fixed vocabularies as records (wufei_geo/vocabulary.py): every record has all its parts in
both languages, the old tables are views of the records, and a made-up category — one record,
its two texts and one site row, nothing else — is drawn, exported, filtered and labelled in both
languages."""
from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from wufei_geo import i18n, model, palette, units, vocabulary
from wufei_geo.filters import Filters, apply_filters
from wufei_geo.io import layers
from wufei_geo.mapview import style

HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")


def test_every_record_has_all_its_parts_in_both_languages() -> None:
    for prefix, records in vocabulary.VOCABULARIES.items():
        assert records, prefix
        for code, record in records.items():
            assert record.code == code and record.label_key == f"{prefix}.{code}"
            zh, en = i18n.MESSAGES[record.label_key]
            assert zh.strip() and en.strip() and zh != en, record
    for cat in vocabulary.CATEGORY_RECORDS.values():
        assert cat.norm_unit in units.NORM_UNITS, cat
        assert len(cat.glyph_zh) == 1 and cat.glyph_en.isascii() and cat.glyph_en.strip(), cat
    for status in vocabulary.STATUS_RECORDS.values():
        assert HEX.match(status.colour), status
    assert len({s.colour for s in vocabulary.STATUS_RECORDS.values()}) == len(vocabulary.STATUS_RECORDS)


def test_the_old_tables_are_views_of_the_records() -> None:
    assert tuple(model.CATEGORIES) == tuple(vocabulary.CATEGORY_RECORDS)
    assert dict(model.NORM_UNIT) == {c.code: c.norm_unit for c in vocabulary.CATEGORY_RECORDS.values()}
    assert dict(style.CATEGORY_GLYPHS) == {c.code: (c.glyph_zh, c.glyph_en) for c in vocabulary.CATEGORY_RECORDS.values()}
    assert palette.STATUS_COLOURS == {s.code: s.colour for s in vocabulary.STATUS_RECORDS.values()}
    assert model.STATUSES == tuple(vocabulary.STATUS_RECORDS)
    assert model.PRECISIONS == tuple(vocabulary.PRECISION_RECORDS)
    assert list(i18n.CATEGORY_LABELS) == list(model.CATEGORIES)


# --- a made-up category -------------------------------------------------------------------------
BIOGAS = vocabulary.Category("biogas_plant", "t/d", "沼", "BG")


@pytest.fixture()
def biogas(monkeypatch: pytest.MonkeyPatch) -> vocabulary.Category:
    """One record and its two texts (what adding a category to the plan's vocabulary is)."""
    monkeypatch.setitem(vocabulary.CATEGORY_RECORDS, BIOGAS.code, BIOGAS)
    monkeypatch.setitem(i18n.MESSAGES, BIOGAS.label_key, ("沼气站", "Biogas plant"))
    return BIOGAS


def _sites() -> gpd.GeoDataFrame:
    base = {c: None for c in model.SITE_COLUMNS}
    base.update(display_lon=None, display_lat=None, display_precision=None, overdue=False, last_change=None)
    rows = [
        {**base, "site_id": "X.1", "project_id": "X.1", "name_zh": "试验沼气站", "name_en": "Test biogas plant",
         "category": "biogas_plant", "town_code": "310118001", "status": "planned", "precision": "exact",
         "lon": 121.11, "lat": 31.15, "display_lon": 121.11, "display_lat": 31.15, "display_precision": "exact",
         "capacity_value": 50.0, "capacity_unit": "t/d", "capacity_norm": 50.0, "capacity_norm_unit": "t/d"},
        {**base, "site_id": "X.2", "project_id": "X.2", "name_zh": "试验湿垃圾站", "name_en": "Test wet site",
         "category": "wet_waste", "town_code": "310118001", "status": "operating", "precision": "exact",
         "lon": 121.12, "lat": 31.16, "display_lon": 121.12, "display_lat": 31.16, "display_precision": "exact"},
    ]
    frame = pd.DataFrame(rows)
    return gpd.GeoDataFrame(frame, geometry=[Point(r["display_lon"], r["display_lat"]) for r in rows], crs="EPSG:4326")


def test_a_made_up_category_is_labelled_in_both_languages(biogas) -> None:
    assert i18n.category_label("biogas_plant", "zh") == "沼气站"
    assert i18n.category_label("biogas_plant", "en") == "Biogas plant"
    assert "biogas_plant" in model.CATEGORIES and model.NORM_UNIT["biogas_plant"] == "t/d"
    assert units.normalise(500, "kg/d", "biogas_plant") == 0.5  # its capacities are validated too


def test_a_made_up_category_is_filtered(biogas) -> None:
    shown = apply_filters(_sites(), Filters(categories=("biogas_plant",)))
    assert list(shown["site_id"]) == ["X.1"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_made_up_category_is_drawn_with_its_glyph_and_legend(biogas, lang: str) -> None:
    from wufei_geo import mapview

    m = mapview.build_map(_sites(), None, None, lang=lang)
    layers_by_kind = {layer.kind: layer for layer in mapview.site_layers(m)}
    assert "sites:biogas_plant" in layers_by_kind
    assert [s["site_id"] for s in layers_by_kind["sites:biogas_plant"].sites()] == ["X.1"]
    html = m.get_root().render()
    label, glyph = ("沼气站", "沼") if lang == "zh" else ("Biogas plant", "BG")
    assert label in layers_by_kind["sites:biogas_plant"].layer_name
    assert label in html and f'"{glyph}"' in html


@pytest.mark.parametrize(("lang", "word"), [("zh", "沼气站"), ("en", "Biogas plant")])
def test_a_made_up_category_is_exported_with_its_label(biogas, lang: str, word: str) -> None:
    gdf = layers.sites_layer(_sites())
    assert "biogas_plant" in set(gdf["category"])
    table, _fields = layers.people_table("sites", gdf, lang)
    assert word in set(table[layers.header_label("category", lang)])
