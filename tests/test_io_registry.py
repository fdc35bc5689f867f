"""One registry each for file formats (``io/formats.py``) and basemaps (``mapview/tiles.py``): every
row is complete — a writer that exists for an export format, a MIME type, labels in the catalogue —
so adding a format or a basemap is a row there plus its catalogue keys (issue 17)."""
from __future__ import annotations

import inspect

import pytest

from wufei_geo import i18n, model
from wufei_geo.io import formats
from wufei_geo.mapview import tiles


@pytest.mark.parametrize("name", formats.EXPORT_FORMATS)
def test_every_export_format_has_a_writer_a_mime_type_and_a_download_label(name):
    writer = formats.writer(name)
    assert list(inspect.signature(writer).parameters)[:2] == ["layers", "datum"]
    assert formats.MIME[name] == formats.FORMATS[name].mime and "/" in formats.MIME[name]
    for lang in ("zh", "en"):
        assert i18n.t(f"data.download_{name}", lang) != f"data.download_{name}"


def test_the_registry_names_the_files_each_reader_takes():
    assert set(formats.EXPORT_FORMATS) == {"csv", "xlsx", "geojson", "gpkg"}
    assert {s for f in formats.FORMATS.values() if f.boundaries for s in f.suffixes} == {".geojson", ".json", ".gpkg", ".zip"}
    assert formats.boundary_format("Towns.GeoJSON").name == "geojson"
    assert formats.boundary_format("towns.zip").name == "shapefile"
    assert formats.boundary_format("towns.kml") is None
    with pytest.raises(KeyError):
        formats.writer("shapefile")  # read, never written


def test_export_layers_and_datums_stay_in_the_model():
    assert not hasattr(model, "EXPORT_FORMATS")  # one owner: io/formats.py
    assert model.EXPORT_LAYERS == ("sites", "zones", "district", "places")


@pytest.mark.parametrize("name", tiles.BASEMAPS)
def test_every_basemap_has_its_labels_and_a_datum(name):
    spec = tiles.BASEMAP_REGISTRY[name]
    assert spec.datum in model.DATUMS
    for lang in ("zh", "en"):
        assert i18n.t(f"basemap.{name}", lang) != f"basemap.{name}"
        assert i18n.t(f"attr.{name}", lang) != f"attr.{name}"
    assert (name in tiles.TILES) == (spec.tiles is not None)


def test_a_basemap_needing_a_token_is_offered_only_with_one():
    assert "tianditu" not in tiles.available_basemaps("")
    assert tiles.available_basemaps("key") == list(tiles.BASEMAPS)
    assert tiles.basemap_datum("amap") == "gcj02" and tiles.basemap_datum("osm") == "wgs84"
