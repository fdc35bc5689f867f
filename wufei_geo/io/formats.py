"""THE registry of file formats: adding one is a row here (plus its writer or reader in its family
module) and its labels in the message catalogue (``data.download_<name>``).  Bulk updates are
CSV or XLSX (``bulk_import.read_table`` tells them apart by the XLSX row's suffixes), official
boundaries the rows marked ``boundaries``, backups the ``backup`` row.

Standard library only: the CLI builds its ``--format`` choices from this at start-up.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Final


@dataclass(frozen=True)
class Format:
    name: str
    suffixes: tuple[str, ...]  # the first is the one a written file gets
    mime: str
    family: str  # the module of wufei_geo.io that reads and writes it
    writer: str | None = None  # export writer in that module: (layers, datum, lang) -> bytes
    all_layers: bool = False  # an export holds every layer (a GeoPackage), not one
    for_people: bool = False  # an export in the reader's language (labelled headers, words for codes)
    boundaries: bool = False  # official town boundaries may come in it (``boundary_format``)

    @property
    def suffix(self) -> str:
        return self.suffixes[0]

    @property
    def export(self) -> bool:
        return self.writer is not None


# Order: the order of the download buttons on the 数据 page.
FORMATS: Final[dict[str, Format]] = {f.name: f for f in (
    Format("csv", (".csv",), "text/csv", "tabular", writer="layer_csv"),
    Format("xlsx", (".xlsx", ".xlsm"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "excel",
           writer="layer_xlsx", for_people=True),
    Format("geojson", (".geojson", ".json"), "application/geo+json", "geofiles", writer="layer_geojson", boundaries=True),
    Format("gpkg", (".gpkg",), "application/geopackage+sqlite3", "geofiles", writer="layers_gpkg", all_layers=True,
           boundaries=True),
    Format("shapefile", (".zip",), "application/zip", "geofiles", boundaries=True),
    Format("backup", (".zip",), "application/zip", "archive"),
)}

EXPORT_FORMATS: Final[tuple[str, ...]] = tuple(n for n, f in FORMATS.items() if f.export)
# every file the app hands out, by suffix: the formats above plus backups and the briefings
MIME: Final[dict[str, str]] = {**{n: f.mime for n, f in FORMATS.items()}, "zip": "application/zip",
                               "html": "text/html", "pdf": "application/pdf"}


def boundary_format(filename: str | PurePath) -> Format | None:
    """The boundary format a file's suffix names, or None."""
    suffix = PurePath(filename).suffix.lower()
    return next((f for f in FORMATS.values() if f.boundaries and suffix in f.suffixes), None)


def writer(name: str) -> Callable[..., Any]:
    """The export writer of a format: ``(layers: {layer: GeoDataFrame}, datum, lang) -> bytes``."""
    fmt = FORMATS[name]
    if fmt.writer is None:
        raise KeyError(f"{name} is not an export format")
    module = importlib.import_module(f"wufei_geo.io.{fmt.family}")
    return getattr(module, fmt.writer)
