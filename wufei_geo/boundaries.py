"""Official town boundaries: read a file, match the 11 towns, reproject, validate.

Accepted: GeoJSON, a zipped Shapefile (``.zip`` with one ``.shp`` and its ``.prj``) or a
GeoPackage, in any CRS **that the file declares** (a GeoJSON without a ``crs`` member is
WGS-84 by RFC 7946, and is refused if its numbers are clearly projected metres).  Towns are
matched by code (9-digit, or a 12-digit code starting with it) or by name (Chinese or English,
with or without 街道/镇 / Subdistrict/Town).  Either everything is right, or one
:class:`BoundaryImportError` names every problem.  Pure: no database here.
"""
from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from shapely.validation import explain_validity

from wufei_geo.crs import METRIC_CRS

MAX_FILE_BYTES = 64 * 1024 * 1024  # refused before reading (11 towns, even finely drawn, are a few MB)
MIN_SHARE_INSIDE = 0.5  # share of a zone's area that must lie in the district outline …
DISTRICT_BUFFER_M = 1000.0  # … buffered by this much
SUFFIXES_ZH = ("街道办事处", "街道", "镇")
SUFFIXES_EN = ("subdistrict", "town", "street", "jiedao", "zhen")


class BoundaryImportError(ValueError):
    """A boundary file was refused; ``problems`` lists every reason (also joined in the message)."""

    def __init__(self, path: str | Path, problems: list[str]):
        self.path = str(path)
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"boundary file {Path(path).name} refused ({len(self.problems)} problem(s)):\n{lines}")


# --- reading -------------------------------------------------------------------------------------
def _read(path: Path, problems: list[str]) -> tuple[gpd.GeoDataFrame | None, bool]:
    """Read the file; returns (frame, crs_declared).  Problems are appended, never raised."""
    suffix = path.suffix.lower()
    if not path.is_file():
        problems.append(f"file not found: {path}")
        return None, False
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        problems.append(f"the file is too large ({size / 2**20:.0f} MB; the limit is {MAX_FILE_BYTES / 2**20:.0f} MB); it was not read")
        return None, False
    if suffix in (".geojson", ".json"):
        try:
            raw = json.loads(path.read_text("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            problems.append(f"not a readable GeoJSON (UTF-8 JSON expected): {exc}")
            return None, False
        declared = isinstance(raw, dict) and raw.get("crs") is not None
        source = str(path)
    elif suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                names = [n for n in zf.namelist() if not n.endswith("/")]
        except zipfile.BadZipFile:
            problems.append("not a valid .zip file")
            return None, False
        shps = [n for n in names if n.lower().endswith(".shp")]
        if len(shps) != 1:
            problems.append("the zip holds no .shp file (a zipped Shapefile is expected)" if not shps
                            else f"the zip holds several .shp files ({', '.join(shps)}); send one per file")
            return None, False
        shp = shps[0]
        stem = shp[:-4].lower()
        declared = any(n.lower() == stem + ".prj" for n in names)
        source = f"/vsizip/{path}/{shp}"
    elif suffix == ".gpkg":
        declared = True  # checked below from the layer's SRS
        source = str(path)
    else:
        problems.append(f"unsupported file type {suffix or '(none)'}: use .geojson, .zip (Shapefile) or .gpkg")
        return None, False
    try:
        if suffix == ".gpkg":
            import pyogrio

            layers = [name for name, gtype in pyogrio.list_layers(source) if gtype]
            if len(layers) != 1:
                problems.append(f"the GeoPackage has {len(layers)} geometry layers ({', '.join(layers)}); one expected")
                return None, False
        gdf = gpd.read_file(source)
    except Exception as exc:  # pyogrio/GDAL errors have many types; report the text
        problems.append(f"cannot read the file: {exc}")
        return None, False
    if gdf.crs is None:
        declared = False
    return gdf, declared


def _looks_projected(gdf: gpd.GeoDataFrame) -> bool:
    x0, y0, x1, y1 = gdf.total_bounds
    return not (-180 <= x0 <= 180 and -180 <= x1 <= 180 and -90 <= y0 <= 90 and -90 <= y1 <= 90)


# --- matching ------------------------------------------------------------------------------------
def _norm_name(value: object) -> str:
    s = re.sub(r"[\s\-_'’]", "", str(value)).lower()
    for suf in SUFFIXES_ZH + SUFFIXES_EN:
        if s.endswith(suf) and len(s) > len(suf):
            return s[: -len(suf)]
    return s


def _norm_code(value: object) -> str:
    s = str(value).strip()
    if re.fullmatch(r"\d+\.0+", s):  # a code read as a float
        s = s.split(".")[0]
    return s


def _matchers(gazetteer: pd.DataFrame) -> tuple[dict[str, str], dict[str, str]]:
    codes: dict[str, str] = {}
    names: dict[str, str] = {}
    for code, zh, en in zip(gazetteer.town_code.astype(str), gazetteer.name_zh, gazetteer.name_en, strict=False):
        codes[code] = code
        for n in (zh, en):
            names[_norm_name(n)] = code
    return codes, names


def _match_value(value: object, how: str, codes: dict[str, str], names: dict[str, str]) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if how == "code":
        c = _norm_code(value)
        if len(c) == 12 and c[:9] in codes:
            return c[:9]
        return codes.get(c)
    return names.get(_norm_name(value))


def _choose_field(gdf: gpd.GeoDataFrame, code_field: str | None, name_field: str | None,
                  codes: dict[str, str], names: dict[str, str], problems: list[str]) -> tuple[str, str] | None:
    fields = [c for c in gdf.columns if c != gdf.geometry.name]
    for given, how in ((code_field, "code"), (name_field, "name")):
        if given is not None:
            if given not in fields:
                problems.append(f"field {given!r} not found; the file has: {', '.join(map(str, fields)) or '(none)'}")
                return None
            return given, how
    best: tuple[int, int, str, str] | None = None
    for f in fields:
        for rank, how in ((1, "code"), (0, "name")):
            hits = sum(_match_value(v, how, codes, names) is not None for v in gdf[f])
            if hits and (best is None or (hits, rank) > best[:2]):
                best = (hits, rank, f, how)
    if best is None:
        problems.append("no field holds town codes or names (looked at: "
                        f"{', '.join(map(str, fields)) or 'no fields'}); use --code-field or --name-field")
        return None
    return best[2], best[3]


# --- the public function -------------------------------------------------------------------------
def read_boundaries(
    path: str | Path,
    code_field: str | None = None,
    name_field: str | None = None,
    *,
    gazetteer: pd.DataFrame | None = None,
    district: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Read, match, reproject and validate an official town boundary file.

    Returns one row per town in gazetteer order: ``town_code, name_zh, name_en,
    boundary_quality="official", area_km2`` (in ``crs.METRIC_CRS``), ``source_feature`` (which
    feature(s) matched, for the import report), ``source`` (the file name) and the geometry
    (EPSG:4326; several features of one town are merged).  Raises :class:`BoundaryImportError`
    naming every problem.
    """
    if gazetteer is None or district is None:
        from wufei_geo import geodata

        gazetteer = gazetteer if gazetteer is not None else geodata.load_gazetteer()
        district = district if district is not None else geodata.load_district()
    if code_field is not None and name_field is not None:
        raise ValueError("give code_field or name_field, not both")
    path = Path(path)
    problems: list[str] = []
    gdf, declared = _read(path, problems)
    if gdf is None:
        raise BoundaryImportError(path, problems)
    if len(gdf) == 0:
        raise BoundaryImportError(path, ["the file has no features"])

    if path.suffix.lower() in (".geojson", ".json") and not declared:
        if _looks_projected(gdf):
            x0, y0, _, _ = gdf.total_bounds
            problems.append(
                f"the GeoJSON declares no CRS, so it must be WGS-84 longitude/latitude, but its numbers look like "
                f"projected metres (e.g. x={x0:.0f}, y={y0:.0f}); add a \"crs\" member or export as WGS-84"
            )
        else:
            gdf = gdf.set_crs("EPSG:4326", allow_override=True)
    elif not declared:
        problems.append("no coordinate reference system declared (a Shapefile needs its .prj; "
                        "a GeoPackage layer needs an SRS); we will not guess it")
    elif gdf.crs.is_geographic and _looks_projected(gdf):
        problems.append(f"the file declares {gdf.crs.to_string()} (degrees) but its numbers are out of range for degrees")

    codes, names = _matchers(gazetteer)
    chosen = _choose_field(gdf, code_field, name_field, codes, names, problems)
    matched: dict[str, list[int]] = {}
    if chosen is not None:
        field, how = chosen
        for i, value in enumerate(gdf[field]):
            code = _match_value(value, how, codes, names)
            if code is None:
                problems.append(f"feature {i + 1}: {field}={value!r} is not a town of Qingpu ({how} not recognised)")
            else:
                matched.setdefault(code, []).append(i)
        for code, zh in zip(gazetteer.town_code.astype(str), gazetteer.name_zh, strict=False):
            if code not in matched:
                problems.append(f"missing town: {code} {zh}")

    for i, geom in enumerate(gdf.geometry):
        label = f"feature {i + 1}" + (f" ({gdf[chosen[0]].iloc[i]})" if chosen else "")
        if geom is None or geom.is_empty:
            problems.append(f"{label}: empty geometry")
        elif geom.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(f"{label}: {geom.geom_type}, a polygon is expected")
        elif not geom.is_valid:
            problems.append(f"{label}: invalid polygon ({explain_validity(geom)})")

    if problems:
        raise BoundaryImportError(path, problems)

    field = chosen[0]  # type: ignore[index]
    wgs = gdf.to_crs("EPSG:4326")
    rows, geoms = [], []
    for code, zh, en in zip(gazetteer.town_code.astype(str), gazetteer.name_zh, gazetteer.name_en, strict=False):
        idx = matched[code]
        geom = shapely.force_2d(shapely.union_all(wgs.geometry.iloc[idx].values))
        rows.append({
            "town_code": code, "name_zh": zh, "name_en": en, "boundary_quality": "official",
            "source_feature": "; ".join(f"feature {i + 1} ({field}={gdf[field].iloc[i]})" for i in idx),
            "source": path.name,
        })
        geoms.append(geom)
    out = gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")

    # where are they? (catches a wrong CRS, or a file of another district)
    outline = district.to_crs(METRIC_CRS).geometry.iloc[0].buffer(DISTRICT_BUFFER_M)
    metric = out.to_crs(METRIC_CRS)
    for r, g in zip(out.itertuples(), metric.geometry, strict=False):
        if not g.is_valid:
            problems.append(f"{r.town_code} {r.name_zh}: polygon invalid after reprojection/merging "
                            f"({explain_validity(g)})")
            continue
        share = g.intersection(outline).area / g.area if g.area > 0 else 0.0
        if share < MIN_SHARE_INSIDE:
            problems.append(f"{r.town_code} {r.name_zh}: only {share:.0%} lies inside the Qingpu district outline "
                            f"(+{DISTRICT_BUFFER_M / 1000:g} km); wrong CRS, shifted (GCJ-02?) or another area")
    if problems:
        raise BoundaryImportError(path, problems)
    out.insert(4, "area_km2", (metric.area / 1e6).round(3).to_numpy())
    return out
