"""Geo files (GeoJSON, GeoPackage, zipped Shapefile, through pyogrio/GDAL): official boundary files
read safely, GeoJSON and GeoPackage exports written.

Reading (issue 15): an uploaded file must never make GDAL fetch a URL or read another local file,
and must not inflate beyond the bounds below (checked before GDAL sees the data, from the zip's
headers and a bounded streaming extraction; vertices are counted before the geometry is built).
The CRS rule (``crs.py``) applies at the point of entry: :func:`read_geofile` returns the frame
with the CRS the file declares, and :func:`wufei_geo.boundaries.zones_from_frame` decides what a
file without one means.
"""
from __future__ import annotations

import json
import re
import sqlite3
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from wufei_geo.boundaries import MAX_VERTICES_PER_TOWN, finding, refusal, zones_from_frame
from wufei_geo.crs import WGS84_CRS
from wufei_geo.io.formats import boundary_format
from wufei_geo.io.layers import DATUM_NOTE, FIELD_DESCRIPTIONS, GPKG_LAYER, LAYER_DESCRIPTIONS, fields_table
from wufei_geo.io.tabular import plain_table

MAX_FILE_BYTES = 32 * 1024 * 1024  # refused before reading (11 towns, even finely drawn, are a few MB)
MAX_ZIP_MEMBERS = 32
MAX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024  # all members of a zipped Shapefile together
MAX_FEATURES = 2_000
MAX_VERTICES_TOTAL = 1_000_000
_SHP_MAGIC = b"\x00\x00\x27\x0a"  # file code 9994
_SQLITE_MAGIC = b"SQLite format 3\x00"
# A CRS a GeoJSON may name: an EPSG/OGC URN or EPSG:n — never a link, a URL or a GDAL path.
_SAFE_CRS_NAME = re.compile(r"^(urn:ogc:def:crs:(EPSG|OGC):[0-9.]*:[A-Za-z0-9]+|EPSG:\d+|OGC:CRS84)$", re.IGNORECASE)
_REFERENCE = re.compile(r"(^|[^A-Za-z])(/vsi[a-z0-9_]+/|[a-z][a-z0-9+.-]*://)", re.IGNORECASE)
_GDAL_OPTIONS = {
    # /vsicurl/ (and so every remote path GDAL might build) refuses all names: no request is made.
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".wufei-no-remote-files",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "GDAL_HTTP_MAX_RETRY": "0",
    "PROJ_NETWORK": "OFF",
}


def _lock_down_gdal() -> None:
    """Belt and braces behind the checks in :func:`_read`: GDAL/PROJ configured not to go remote."""
    pyogrio.set_gdal_config_options(_GDAL_OPTIONS)
    try:
        import pyproj.network

        pyproj.network.set_network_enabled(False)
    except (ImportError, AttributeError):  # pragma: no cover - older pyproj
        pass


def _count_vertices(coords: object) -> int:
    """Positions in a GeoJSON ``coordinates`` value (nested lists), without building geometry."""
    total, stack = 0, [coords]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            if item and not isinstance(item[0], list):
                total += 1
            else:
                stack.extend(item)
    return total


def _geojson_checks(raw: object, problems: list) -> tuple[dict | None, object]:
    """(the GeoJSON with its ``crs`` member removed, the CRS it declares or None) — or problems."""
    if not isinstance(raw, dict) or raw.get("type") not in ("FeatureCollection", "Feature"):
        problems.append(finding("not_geojson"))
        return None, None
    declared = None
    crs_member = raw.get("crs")
    if crs_member is not None:
        name = crs_member.get("properties", {}).get("name") if isinstance(crs_member, dict) else None
        if not (isinstance(crs_member, dict) and crs_member.get("type") == "name" and isinstance(name, str)
                and _SAFE_CRS_NAME.match(name.strip())):
            problems.append(finding("crs_not_a_name"))
            return None, None
        from pyproj import CRS

        try:
            declared = CRS.from_user_input(name.strip())
        except Exception as exc:  # pyproj raises CRSError and friends
            problems.append(finding("unknown_crs", name=repr(name), error=str(exc)))
            return None, None
    features = raw.get("features") if raw.get("type") == "FeatureCollection" else [raw]
    if not isinstance(features, list):
        problems.append(finding("features_not_list"))
        return None, None
    if len(features) > MAX_FEATURES:
        problems.append(finding("too_many_features", n=len(features), most=MAX_FEATURES))
        return None, None
    counts = [_count_vertices((f.get("geometry") or {}).get("coordinates")) if isinstance(f, dict)
              and isinstance(f.get("geometry"), dict) else 0 for f in features]
    _vertex_problems(counts, problems)
    if problems:
        return None, None
    clean = {k: v for k, v in raw.items() if k != "crs"}
    return clean, declared


def _vertex_problems(counts: list[int], problems: list) -> None:
    total = sum(counts)
    worst = max(counts, default=0)
    if worst > MAX_VERTICES_PER_TOWN:
        i = counts.index(worst)
        problems.append(finding("feature_vertices", n=i + 1, vertices=worst, most=MAX_VERTICES_PER_TOWN))
    if total > MAX_VERTICES_TOTAL:
        problems.append(finding("file_vertices", vertices=total, most=MAX_VERTICES_TOTAL))



def _safe_member(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return not (name.startswith(("/", "\\")) or ".." in parts or ":" in name or _REFERENCE.search(name))


def _extract_shapefile(path: Path, into: Path, problems: list) -> Path | None:
    """The zip's one Shapefile extracted to ``into`` (bounded, streaming) (its .prj, if any, beside it)."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            if len(infos) > MAX_ZIP_MEMBERS:
                problems.append(finding("zip_members", n=len(infos), most=MAX_ZIP_MEMBERS))
                return None
            declared_size = sum(i.file_size for i in infos)
            if declared_size > MAX_UNCOMPRESSED_BYTES:
                problems.append(finding("zip_too_large", mb=declared_size / 2**20, limit=MAX_UNCOMPRESSED_BYTES / 2**20))
                return None
            bad = [i.filename for i in infos if not _safe_member(i.filename)]
            if bad:
                problems.append(finding("zip_paths", paths=", ".join(bad[:5])))
                return None
            shps = [i for i in infos if i.filename.lower().endswith(".shp")]
            if len(shps) != 1:
                problems.append(finding("zip_no_shp") if not shps
                                else finding("zip_several_shp", files=", ".join(i.filename for i in shps)))
                return None
            stem = shps[0].filename[:-4].lower()
            wanted = [i for i in infos if i.filename.lower().rsplit(".", 1)[0] == stem
                      and i.filename.lower().rsplit(".", 1)[-1] in ("shp", "shx", "dbf", "prj", "cpg")]
            budget = MAX_UNCOMPRESSED_BYTES
            out_shp = None
            for info in wanted:
                ext = info.filename.lower().rsplit(".", 1)[-1]
                target = into / f"upload.{ext}"
                with zf.open(info) as src, target.open("wb") as dst:
                    while chunk := src.read(min(1 << 20, budget + 1)):
                        budget -= len(chunk)
                        if budget < 0:  # the headers lied about the size
                            problems.append(finding("zip_larger", limit=MAX_UNCOMPRESSED_BYTES / 2**20))
                            return None
                        dst.write(chunk)
                if ext == "shp":
                    out_shp = target
                    with target.open("rb") as fh:
                        if fh.read(4) != _SHP_MAGIC:
                            problems.append(finding("not_shapefile", file=info.filename))
                            return None
                elif ext == "prj":
                    text = target.read_text("utf-8", errors="replace").strip()
                    if not re.match(r"^[A-Z_]+\[", text) or _REFERENCE.search(text):
                        problems.append(finding("not_wkt", file=info.filename))
                        return None
            return out_shp
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as exc:
        problems.append(finding("not_zip", error=str(exc)))
        return None


def _gpkg_checks(path: Path, problems: list) -> None:
    """A GeoPackage is a SQLite file; refuse virtual tables other than the R-tree spatial index
    (GDAL's VirtualOGR module, for one, reads other files)."""
    with path.open("rb") as fh:
        if fh.read(16) != _SQLITE_MAGIC:
            problems.append(finding("not_gpkg"))
            return
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        try:
            rows = conn.execute("SELECT name, sql FROM sqlite_master").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        problems.append(finding("gpkg_unreadable", error=str(exc)))
        return
    virtual = [n for n, sql in rows if sql and re.match(r"\s*CREATE\s+VIRTUAL\s+TABLE", sql, re.IGNORECASE)
               and not re.search(r"\bUSING\s+rtree\s*\(", sql, re.IGNORECASE)]  # rtree: the spatial index
    if virtual:
        problems.append(finding("gpkg_virtual", tables=", ".join(virtual[:5])))


def read_geofile(path: Path, problems: list) -> gpd.GeoDataFrame | None:
    """Read a boundary file safely, its CRS assigned here, once (the rule of ``crs.py``): the CRS the
    file declares; for a GeoJSON without a ``crs`` member WGS-84, as RFC 7946 defines it (refused if
    its numbers are plainly projected metres); a Shapefile without .prj or a GeoPackage layer without
    an SRS is refused, never guessed.  Problems are appended, never raised: None when the file could
    not be read; a frame (possibly without a CRS) when only its CRS is wrong, so that matching can
    still name the other problems."""
    fmt = _check_file(path, problems)
    if fmt is None:
        return None
    _lock_down_gdal()
    with tempfile.TemporaryDirectory(prefix="wufei-boundary-") as tmp:
        source, declared_crs = _checked_source(path, fmt.name, Path(tmp), problems)
        if source is None:
            return None
        gdf = _read_source(source, fmt.name, problems)
    if gdf is None:
        return None
    if fmt.name != "geojson":
        _vertex_problems([int(shapely.get_num_coordinates(g)) if g is not None else 0 for g in gdf.geometry], problems)
        if problems:
            return None
    if len(gdf) == 0:
        problems.append(finding("no_features"))
        return None
    return _assign_crs(gdf, fmt.name, declared_crs, problems)


def _check_file(path: Path, problems: list) -> Any:
    """The file's boundary format (``formats.boundary_format``) once it exists and is small enough."""
    if not path.is_file():
        problems.append(finding("file_not_found", path=str(path)))
        return None
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        problems.append(finding("file_too_large", mb=size / 2**20, limit=MAX_FILE_BYTES / 2**20))
        return None
    fmt = boundary_format(path)
    if fmt is None:
        suffix = path.suffix.lower()
        problems.append(finding("unsupported_type", suffix=suffix or "—"))
    return fmt


def _checked_source(path: Path, fmt: str, tmp: Path, problems: list) -> tuple[Path | None, Any]:
    """(the file GDAL may read — a checked copy or extraction in ``tmp``, or the file itself; the CRS a
    GeoJSON's ``crs`` member declares or None)."""
    if fmt == "geojson":
        try:
            raw = json.loads(path.read_text("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            problems.append(finding("geojson_unreadable", error=str(exc)))
            return None, None
        clean, declared_crs = _geojson_checks(raw, problems)
        if clean is None:
            return None, None
        source = tmp / "upload.geojson"  # the checked JSON, without its crs member
        source.write_text(json.dumps(clean), "utf-8")
        return source, declared_crs
    if fmt == "shapefile":
        return _extract_shapefile(path, tmp, problems), None
    _gpkg_checks(path, problems)
    return (None if problems else path), None


def _read_source(source: Path, fmt: str, problems: list) -> gpd.GeoDataFrame | None:
    try:
        if fmt == "gpkg":
            layers = [name for name, gtype in pyogrio.list_layers(source) if gtype]
            if len(layers) != 1:
                problems.append(finding("gpkg_layers", n=len(layers), layers=", ".join(layers)))
                return None
        info = pyogrio.read_info(source)
        if info.get("features", 0) > MAX_FEATURES:
            problems.append(finding("too_many_features_read", n=info["features"], most=MAX_FEATURES))
            return None
        return gpd.read_file(source)
    except Exception as exc:  # pyogrio/GDAL errors have many types; report the text
        problems.append(finding("unreadable", error=str(exc)))
        return None


def _assign_crs(gdf: gpd.GeoDataFrame, fmt: str, declared_crs: Any, problems: list) -> gpd.GeoDataFrame:
    """The frame with the CRS it has by declaration (see :func:`read_geofile`); problems appended."""
    if declared_crs is not None:
        gdf = gdf.set_crs(declared_crs, allow_override=True)
    if fmt == "geojson" and declared_crs is None:
        if _looks_projected(gdf):
            x0, y0, _, _ = gdf.total_bounds
            problems.append(finding("geojson_projected", x=x0, y=y0))
        else:
            gdf = gdf.set_crs(WGS84_CRS, allow_override=True)
    elif gdf.crs is None:
        problems.append(finding("no_crs"))
    elif gdf.crs.is_geographic and _looks_projected(gdf):
        problems.append(finding("degrees_out_of_range", crs=gdf.crs.to_string()))
    return gdf


def _looks_projected(gdf: gpd.GeoDataFrame) -> bool:
    x0, y0, x1, y1 = gdf.total_bounds
    return not (-180 <= x0 <= 180 and -180 <= x1 <= 180 and -90 <= y0 <= 90 and -90 <= y1 <= 90)


# --- official boundary files ---------------------------------------------------------------------
def read_boundaries(
    path: str | Path,
    code_field: str | None = None,
    name_field: str | None = None,
    *,
    gazetteer: pd.DataFrame | None = None,
    district: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Read, match, reproject and validate an official town boundary file (GeoJSON, zipped
    Shapefile or GeoPackage: the ``boundaries`` rows of ``formats.FORMATS``).

    Returns one row per town in gazetteer order: ``town_code, name_zh, name_en,
    boundary_quality="official", area_km2`` (in ``crs.METRIC_CRS``), ``source_feature`` (which
    feature(s) matched, for the import report), ``source`` (the file name) and the geometry
    (``crs.WGS84_CRS``; several features of one town are merged).  Raises
    :class:`~wufei_geo.boundaries.BoundaryImportError` naming every problem (the file as a whole
    too: ``boundaries.check_whole``).  Warnings that do not refuse the file are in
    ``out.attrs["warnings"]``: the administrator must confirm them
    (``replace_zones(..., accept_warnings=True)``).
    """
    if code_field is not None and name_field is not None:
        raise ValueError("give code_field or name_field, not both")
    path = Path(path)
    problems: list = []
    gdf = read_geofile(path, problems)
    if gdf is None:
        raise refusal(path, problems)
    return zones_from_frame(gdf, path, problems, code_field, name_field, gazetteer=gazetteer, district=district)


def read_boundary_upload(
    data: bytes, filename: str, code_field: str | None = None, name_field: str | None = None
) -> gpd.GeoDataFrame:
    """Read an uploaded official boundary file with :func:`read_boundaries`.

    The bytes are written to a temporary file with the upload's suffix (GeoJSON, zipped
    Shapefile or GeoPackage are told apart by it).  Raises ``BoundaryImportError``
    naming every problem; touches no database.
    """
    name = Path(filename or "upload").name
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        return read_boundaries(path, code_field=code_field or None, name_field=name_field or None)


def boundary_report(new_zones: Any, current_zones: Any) -> pd.DataFrame:
    """Matching report: each town, the feature(s) it matched, its area in the file and now."""
    current = dict(zip(current_zones["town_code"].astype(str), current_zones["area_km2"], strict=False))
    quality = dict(zip(current_zones["town_code"].astype(str), current_zones["boundary_quality"], strict=False))
    return pd.DataFrame(
        {
            "town_code": new_zones["town_code"].astype(str),
            "name_zh": new_zones["name_zh"],
            "matched": new_zones["source_feature"] if "source_feature" in new_zones else None,
            "area_km2_new": new_zones["area_km2"].round(2),
            "area_km2_current": [current.get(c) for c in new_zones["town_code"].astype(str)],
            "current_quality": [quality.get(c) for c in new_zones["town_code"].astype(str)],
        }
    )


# --- writing ---------------------------------------------------------------------------------------
# JSON-list text columns: arrays in GeoJSON.
_JSON_COLUMNS = ("capacity_components", "served_villages")


def _clean(value: Any) -> Any:
    """A plain Python value for JSON/XLSX: NaN/NA/NaT → None, numpy scalars → Python."""
    if value is None:
        return None
    if isinstance(value, (list, dict)):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value



def to_geojson_bytes(layer: str, gdf: gpd.GeoDataFrame, datum: str) -> bytes:
    """GeoJSON with top-level ``name``, ``datum``, ``datum_note`` and ``crs`` members."""
    features = []
    for row, geom in zip(plain_table(gdf).to_dict("records"), gdf.geometry, strict=False):
        props = {k: _clean(v) for k, v in row.items()}
        for col in _JSON_COLUMNS:
            if col in props and isinstance(props[col], str):
                props[col] = json.loads(props[col])
        features.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": None if geom is None or geom.is_empty else shapely.geometry.mapping(geom),
            }
        )
    doc = {
        "type": "FeatureCollection",
        "name": GPKG_LAYER[layer],
        "datum": datum,
        "datum_note": DATUM_NOTE[datum],
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": features,
    }
    return json.dumps(doc, ensure_ascii=False, allow_nan=False).encode("utf-8")


def _sql_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def write_gpkg(path: str | Path, layers: Mapping[str, gpd.GeoDataFrame], datum: str) -> Path:
    """A GeoPackage with the given layers, a ``fields`` table and field descriptions.

    Field descriptions go into the standard ``gpkg_data_columns`` table (GeoPackage schema
    extension; GDAL shows them as field comments); the layer description states the datum.
    """
    path = Path(path)
    if path.exists():
        path.unlink()
    for i, (layer, gdf) in enumerate(layers.items()):
        gdf.to_file(
            path,
            layer=GPKG_LAYER[layer],
            driver="GPKG",
            engine="pyogrio",
            layer_options={"DESCRIPTION": f"{LAYER_DESCRIPTIONS[layer]} {DATUM_NOTE[datum]}", "IDENTIFIER": GPKG_LAYER[layer]},
            # GeoPackage 1.2 so older GDAL (Debian's 3.6) reads it without warnings.
            dataset_options={"VERSION": "1.2"} if i == 0 else None,
        )
    fields = fields_table()
    fields = fields[fields["layer"].isin([GPKG_LAYER[k] for k in layers])]
    pyogrio.write_dataframe(fields, path, layer="fields", driver="GPKG", layer_options={"DESCRIPTION": "Field descriptions of every layer"})
    with sqlite3.connect(path) as con:
        con.execute(
            """CREATE TABLE IF NOT EXISTS gpkg_data_columns (
                table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT,
                description TEXT, mime_type TEXT, constraint_name TEXT,
                CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
                CONSTRAINT gdc_tn UNIQUE (table_name, name))"""
        )
        con.execute(
            "INSERT OR REPLACE INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) "
            "VALUES ('gpkg_data_columns', NULL, 'gpkg_schema', 'http://www.geopackage.org/spec/#extension_schema', 'read-write')"
        )
        for layer in layers:
            table = GPKG_LAYER[layer]
            present = {r[1] for r in con.execute(f"PRAGMA table_info({_sql_ident(table)})")}
            for field, (zh, en) in FIELD_DESCRIPTIONS[layer].items():
                if field in present:
                    con.execute(
                        "INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, title, description) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (table, field, field, zh, en),
                    )
    return path


def layer_geojson(layers: dict[str, gpd.GeoDataFrame], datum: str, lang: str | None = None) -> bytes:
    """The export writer of ``formats.FORMATS["geojson"]`` (one layer)."""
    ((layer, gdf),) = layers.items()
    return to_geojson_bytes(layer, gdf, datum)


def layers_gpkg(layers: dict[str, gpd.GeoDataFrame], datum: str, lang: str | None = None) -> bytes:
    """The export writer of ``formats.FORMATS["gpkg"]`` (every layer given, in one file)."""
    with tempfile.TemporaryDirectory() as tmp:
        return write_gpkg(Path(tmp) / "export.gpkg", layers, datum).read_bytes()
