"""Exports: the (filtered) sites, the town zones and the district outline as files.

Formats are those of the registry with a writer (:data:`wufei_geo.io.formats.EXPORT_FORMATS`:
CSV in UTF-8 with BOM so Excel shows Chinese, XLSX, GeoJSON, and a GeoPackage holding the layers
``sites``, ``town_zones``, ``district`` plus a ``fields`` table describing every field).  The
layers and their schema are :mod:`wufei_geo.io.layers` (documented in ``docs/schema.md``).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from wufei_geo.io import formats
from wufei_geo.io.layers import CatalogLike, ExportError, check_datum, layer_frame
from wufei_geo.model import EXPORT_DATUMS, EXPORT_LAYERS

# What an export takes: a format of the registry, a layer, a datum.
__all__ = ["EXPORT_DATUMS", "EXPORT_LAYERS", "ExportError", "export_bytes", "write_export"]


def export_bytes(
    catalog: CatalogLike,
    fmt: str,
    layer: str | None = "sites",
    datum: str = "wgs84",
    sites: pd.DataFrame | None = None,
    lang: str | None = None,
) -> bytes:
    """The export file's bytes (for downloads).  ``layer=None`` is only valid for a format that holds
    every layer (gpkg): all layers.  ``lang`` (zh/en) makes a format for people (XLSX: labelled
    headers, words for codes, a header map); the others always keep the schema names."""
    check_datum(datum)
    if fmt not in formats.EXPORT_FORMATS:
        raise ExportError(key="export.error.format", params={"format": fmt, "choices": ", ".join(formats.EXPORT_FORMATS)})
    spec = formats.FORMATS[fmt]
    if layer is None and not spec.all_layers:
        raise ExportError(key="export.error.one_layer", params={"format": fmt, "choices": ", ".join(EXPORT_LAYERS)})
    names = EXPORT_LAYERS if layer is None else (layer,)
    layers = {name: layer_frame(catalog, name, datum, sites) for name in names}
    return formats.writer(fmt)(layers, datum, lang if spec.for_people else None)


def write_export(
    path: str | Path,
    catalog: CatalogLike,
    fmt: str,
    layer: str | None = "sites",
    datum: str = "wgs84",
    sites: pd.DataFrame | None = None,
    lang: str | None = None,
) -> Path:
    """Write an export file; see :func:`export_bytes`."""
    data = export_bytes(catalog, fmt, layer, datum, sites, lang)
    path = Path(path)
    path.write_bytes(data)
    return path
