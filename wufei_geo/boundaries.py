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

MAX_FILE_BYTES = 32 * 1024 * 1024  # refused before reading (11 towns, even finely drawn, are a few MB)
MIN_SHARE_INSIDE = 0.5  # share of a zone's area that must lie in the district outline …
DISTRICT_BUFFER_M = 1000.0  # … buffered by this much
SUFFIXES_ZH = ("街道办事处", "街道", "镇")
SUFFIXES_EN = ("subdistrict", "town", "street", "jiedao", "zhen")


class BoundaryImportError(ValueError):
    """A boundary file was refused; ``problems`` lists every reason (also joined in the message)."""

    def __init__(self, path: str | Path, problems: list[str], warnings: list[str] | None = None):
        self.path = str(path)
        self.problems = list(problems)
        self.warnings = list(warnings or [])
        lines = "\n".join(f"  - {p}" for p in self.problems)
        more = "\n".join(f"  - (warning) {w}" for w in self.warnings)
        super().__init__(f"boundary file {Path(path).name} refused ({len(self.problems)} problem(s)):\n{lines}"
                         + (f"\n{more}" if more else ""))


# --- reading -------------------------------------------------------------------------------------
# --- reading safely -------------------------------------------------------------------------------
# Issue 15: an uploaded file must never make GDAL fetch a URL or read another local file, and must
# not inflate beyond these bounds (checked before GDAL sees the data, from the zip's headers and a
# bounded streaming extraction; vertices are counted before the geometry is built).
MAX_ZIP_MEMBERS = 32
MAX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024  # all members of a zipped Shapefile together
MAX_FEATURES = 2_000
MAX_VERTICES_PER_TOWN = 250_000  # the finest official town outline we know has ~20,000
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
    import pyogrio

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


def _geojson_checks(raw: object, problems: list[str]) -> tuple[dict | None, object]:
    """(the GeoJSON with its ``crs`` member removed, the CRS it declares or None) — or problems."""
    if not isinstance(raw, dict) or raw.get("type") not in ("FeatureCollection", "Feature"):
        problems.append("not a GeoJSON FeatureCollection")
        return None, None
    declared = None
    crs_member = raw.get("crs")
    if crs_member is not None:
        name = crs_member.get("properties", {}).get("name") if isinstance(crs_member, dict) else None
        if not (isinstance(crs_member, dict) and crs_member.get("type") == "name" and isinstance(name, str)
                and _SAFE_CRS_NAME.match(name.strip())):
            problems.append("the GeoJSON's \"crs\" member must name an EPSG/OGC CRS (e.g. urn:ogc:def:crs:EPSG::4547); "
                            "links, URLs and file paths are not followed / 坐标系只能以 EPSG 名称声明，不跟随链接")
            return None, None
        from pyproj import CRS

        try:
            declared = CRS.from_user_input(name.strip())
        except Exception as exc:  # pyproj raises CRSError and friends
            problems.append(f"unknown CRS {name!r} in the GeoJSON: {exc}")
            return None, None
    features = raw.get("features") if raw.get("type") == "FeatureCollection" else [raw]
    if not isinstance(features, list):
        problems.append("the GeoJSON's \"features\" member is not a list")
        return None, None
    if len(features) > MAX_FEATURES:
        problems.append(f"the file has {len(features)} features; at most {MAX_FEATURES} are read (11 towns expected)")
        return None, None
    counts = [_count_vertices((f.get("geometry") or {}).get("coordinates")) if isinstance(f, dict)
              and isinstance(f.get("geometry"), dict) else 0 for f in features]
    _vertex_problems(counts, problems)
    if problems:
        return None, None
    clean = {k: v for k, v in raw.items() if k != "crs"}
    return clean, declared


def _vertex_problems(counts: list[int], problems: list[str]) -> None:
    total = sum(counts)
    worst = max(counts, default=0)
    if worst > MAX_VERTICES_PER_TOWN:
        i = counts.index(worst)
        problems.append(f"feature {i + 1} has {worst:,} vertices; at most {MAX_VERTICES_PER_TOWN:,} per feature "
                        "(simplify the outline) / 顶点过多")
    if total > MAX_VERTICES_TOTAL:
        problems.append(f"the file has {total:,} vertices; at most {MAX_VERTICES_TOTAL:,} in all / 顶点过多")


def _safe_member(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return not (name.startswith(("/", "\\")) or ".." in parts or ":" in name or _REFERENCE.search(name))


def _extract_shapefile(path: Path, into: Path, problems: list[str]) -> tuple[Path | None, bool]:
    """The zip's one Shapefile extracted to ``into`` (bounded, streaming) and whether it has a .prj."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            if len(infos) > MAX_ZIP_MEMBERS:
                problems.append(f"the zip holds {len(infos)} files; at most {MAX_ZIP_MEMBERS} are read")
                return None, False
            declared_size = sum(i.file_size for i in infos)
            if declared_size > MAX_UNCOMPRESSED_BYTES:
                problems.append(f"the zip unpacks to {declared_size / 2**20:.0f} MB; the limit is "
                                f"{MAX_UNCOMPRESSED_BYTES / 2**20:.0f} MB; nothing was unpacked / 解压后过大")
                return None, False
            bad = [i.filename for i in infos if not _safe_member(i.filename)]
            if bad:
                problems.append(f"the zip holds paths that point outside it or elsewhere: {', '.join(bad[:5])}")
                return None, False
            shps = [i for i in infos if i.filename.lower().endswith(".shp")]
            if len(shps) != 1:
                problems.append("the zip holds no .shp file (a zipped Shapefile is expected)" if not shps
                                else f"the zip holds several .shp files ({', '.join(i.filename for i in shps)}); send one per file")
                return None, False
            stem = shps[0].filename[:-4].lower()
            wanted = [i for i in infos if i.filename.lower().rsplit(".", 1)[0] == stem
                      and i.filename.lower().rsplit(".", 1)[-1] in ("shp", "shx", "dbf", "prj", "cpg")]
            budget = MAX_UNCOMPRESSED_BYTES
            out_shp = None
            declared = False
            for info in wanted:
                ext = info.filename.lower().rsplit(".", 1)[-1]
                target = into / f"upload.{ext}"
                with zf.open(info) as src, target.open("wb") as dst:
                    while chunk := src.read(min(1 << 20, budget + 1)):
                        budget -= len(chunk)
                        if budget < 0:  # the headers lied about the size
                            problems.append(f"the zip unpacks to more than {MAX_UNCOMPRESSED_BYTES / 2**20:.0f} MB / 解压后过大")
                            return None, False
                        dst.write(chunk)
                if ext == "shp":
                    out_shp = target
                    with target.open("rb") as fh:
                        if fh.read(4) != _SHP_MAGIC:
                            problems.append(f"{info.filename} is not a Shapefile (wrong file signature)")
                            return None, False
                elif ext == "prj":
                    declared = True
                    text = target.read_text("utf-8", errors="replace").strip()
                    if not re.match(r"^[A-Z_]+\[", text) or _REFERENCE.search(text):
                        problems.append(f"{info.filename} is not a WKT coordinate system definition")
                        return None, False
            return out_shp, declared
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as exc:
        problems.append(f"not a valid .zip file ({exc})")
        return None, False


def _gpkg_checks(path: Path, problems: list[str]) -> None:
    """A GeoPackage is a SQLite file; refuse virtual tables other than the R-tree spatial index
    (GDAL's VirtualOGR module, for one, reads other files)."""
    import sqlite3

    with path.open("rb") as fh:
        if fh.read(16) != _SQLITE_MAGIC:
            problems.append("not a GeoPackage (no SQLite signature)")
            return
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        try:
            rows = conn.execute("SELECT name, sql FROM sqlite_master").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        problems.append(f"not a readable GeoPackage: {exc}")
        return
    virtual = [n for n, sql in rows if sql and re.match(r"\s*CREATE\s+VIRTUAL\s+TABLE", sql, re.IGNORECASE)
               and not re.search(r"\bUSING\s+rtree\s*\(", sql, re.IGNORECASE)]  # rtree: the spatial index
    if virtual:
        problems.append(f"the GeoPackage holds virtual tables ({', '.join(virtual[:5])}), which may read other files; refused")


def _read(path: Path, problems: list[str]) -> tuple[gpd.GeoDataFrame | None, bool]:
    """Read the file; returns (frame, crs_declared).  Problems are appended, never raised."""
    import tempfile

    suffix = path.suffix.lower()
    if not path.is_file():
        problems.append(f"file not found: {path}")
        return None, False
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        problems.append(f"the file is too large ({size / 2**20:.0f} MB; the limit is {MAX_FILE_BYTES / 2**20:.0f} MB); it was not read")
        return None, False
    if suffix not in (".geojson", ".json", ".zip", ".gpkg"):
        problems.append(f"unsupported file type {suffix or '(none)'}: use .geojson, .zip (Shapefile) or .gpkg")
        return None, False
    _lock_down_gdal()
    with tempfile.TemporaryDirectory(prefix="wufei-boundary-") as tmp:
        declared_crs = None
        if suffix in (".geojson", ".json"):
            try:
                raw = json.loads(path.read_text("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
                problems.append(f"not a readable GeoJSON (UTF-8 JSON expected): {exc}")
                return None, False
            clean, declared_crs = _geojson_checks(raw, problems)
            if clean is None:
                return None, False
            declared = declared_crs is not None
            source = Path(tmp) / "upload.geojson"  # the checked JSON, without its crs member
            source.write_text(json.dumps(clean), "utf-8")
        elif suffix == ".zip":
            shp, declared = _extract_shapefile(path, Path(tmp), problems)
            if shp is None:
                return None, False
            source = shp
        else:
            _gpkg_checks(path, problems)
            if problems:
                return None, False
            declared = True  # checked below from the layer's SRS
            source = path
        try:
            import pyogrio

            if suffix == ".gpkg":
                layers = [name for name, gtype in pyogrio.list_layers(source) if gtype]
                if len(layers) != 1:
                    problems.append(f"the GeoPackage has {len(layers)} geometry layers ({', '.join(layers)}); one expected")
                    return None, False
            info = pyogrio.read_info(source)
            if info.get("features", 0) > MAX_FEATURES:
                problems.append(f"the file has {info['features']} features; at most {MAX_FEATURES} are read")
                return None, False
            gdf = gpd.read_file(source)
        except Exception as exc:  # pyogrio/GDAL errors have many types; report the text
            problems.append(f"cannot read the file: {exc}")
            return None, False
    if suffix != ".geojson" and suffix != ".json":
        _vertex_problems([int(shapely.get_num_coordinates(g)) if g is not None else 0 for g in gdf.geometry], problems)
        if problems:
            return None, False
    if declared_crs is not None:
        gdf = gdf.set_crs(declared_crs, allow_override=True)
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


# --- the file as a whole (issue 15) --------------------------------------------------------------
# Each town's area against the reference (geodata/towns.csv, mixed vintage): outside the wide range
# refuses, outside the narrow one is a warning the administrator must confirm.
AREA_RATIO_REFUSE = (0.5, 2.0)
AREA_RATIO_WARN = (0.8, 1.25)
OVERLAP_WARN_KM2 = 0.05  # two towns overlapping more than this: a warning …
OVERLAP_REFUSE_SHARE = 0.05  # … more than this share of the smaller town: refused
COVER_REFUSE = 0.90  # share of the district the towns together must cover (refused below)
COVER_WARN = 0.98  # (warning below)
OUTSIDE_WARN = 0.02  # share of the towns' union lying outside the district (+ buffer): warning above
SHIFT_GAIN = 0.02  # a datum is named when undoing it fits the district better by this much (IoU)
SEATS_OUTSIDE_REFUSE = 3  # this many towns whose seat lies outside their polygon: codes mixed up


def _iou(a: shapely.Geometry, b: shapely.Geometry) -> float:
    union = a.union(b).area
    return a.intersection(b).area / union if union > 0 else 0.0


def _shift_to_wgs84(geom: shapely.Geometry, datum: str) -> shapely.Geometry:
    """``geom`` read as if its coordinates were ``datum``, moved to WGS-84."""
    import numpy as np

    from wufei_geo import crs

    def move(xy: np.ndarray) -> np.ndarray:
        lon, lat = crs.to_wgs84(xy[:, 0], xy[:, 1], datum)
        return np.column_stack([np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)])

    return shapely.transform(geom, move)


def detect_datum_shift(zones_wgs: gpd.GeoDataFrame, district_wgs: gpd.GeoDataFrame) -> tuple[str | None, float]:
    """(``"gcj02"``/``"bd09"`` when the towns fit the district clearly better after undoing that
    datum's offset, else None; the offset in metres).  The Chinese map datums move Qingpu by
    roughly 500 m (GCJ-02) and 1 km (BD-09): a file drawn on AMap/Baidu tiles carries them."""
    from wufei_geo import crs as crs_mod

    union = shapely.union_all(zones_wgs.geometry.values)
    outline = district_wgs.geometry.iloc[0]
    base = _iou(union, outline)
    best, best_gain = None, SHIFT_GAIN
    for datum in ("gcj02", "bd09"):
        gain = _iou(_shift_to_wgs84(union, datum), outline) - base
        if gain > best_gain:
            best, best_gain = datum, gain
    if best is None:
        return None, 0.0
    c = union.centroid
    lon, lat = crs_mod.to_wgs84(c.x, c.y, best)
    return best, float(crs_mod.distance_m(c.x, c.y, lon, lat))


def check_whole(zones: gpd.GeoDataFrame, gazetteer: pd.DataFrame | None = None,
                district: gpd.GeoDataFrame | None = None) -> tuple[list[str], list[str]]:
    """(problems, warnings) of 11 town zones taken together: seats, areas, overlaps, cover of the
    district, datum shift, vertices.  Problems refuse the file; warnings need the administrator's
    confirmation.  ``zones``: ``town_code`` + polygon geometry, any declared CRS."""
    from wufei_geo import geodata

    gazetteer = gazetteer if gazetteer is not None else geodata.load_gazetteer()
    district = district if district is not None else geodata.load_district()
    problems: list[str] = []
    warnings: list[str] = []
    wgs = zones.to_crs("EPSG:4326")
    codes = [str(c) for c in wgs["town_code"]]
    geoms = list(wgs.geometry)
    names = dict(zip(gazetteer.town_code.astype(str), gazetteer.name_zh, strict=False))
    label = {c: f"{c} {names.get(c, '')}".strip() for c in codes}
    if any(g is None or g.is_empty or not g.is_valid for g in geoms):
        return ["empty or invalid polygons (see the problems above)"], []
    # vertices
    for c, g in zip(codes, geoms, strict=False):
        n = int(shapely.get_num_coordinates(g))
        if n > MAX_VERTICES_PER_TOWN:
            problems.append(f"{label[c]}: {n:,} vertices; at most {MAX_VERTICES_PER_TOWN:,} per town (simplify the outline) / 顶点过多")
    # datum shift
    datum, metres = detect_datum_shift(wgs, district.to_crs("EPSG:4326"))
    if datum:
        name = {"gcj02": "GCJ-02 (AMap/Tencent, 火星坐标)", "bd09": "BD-09 (Baidu)"}[datum]
        problems.append(f"the towns are shifted by about {metres:.0f} m against the district outline, as by the "
                        f"{name} offset: convert the file to WGS-84 or declare its real CRS / 边界疑似 {datum.upper()} 偏移")
    # seats
    seats = geodata.town_seats()
    owner: dict[str, str | None] = {}
    for code, (lon, lat) in seats.items():
        pt = shapely.Point(lon, lat)
        owner[code] = next((c for c, g in zip(codes, geoms, strict=False) if g.covers(pt)), None)
    outside = [c for c in codes if c in seats and owner.get(c) != c]
    seat_lines = [f"{label[c]}: its seat ({seats[c][0]:.4f}, {seats[c][1]:.4f}) lies "
                  + (f"in the polygon of {label[owner[c]]}" if owner.get(c) else "outside every town")
                  for c in outside]
    if len(outside) >= SEATS_OUTSIDE_REFUSE:
        problems.append(f"{len(outside)} towns do not contain their own seat — codes or names look mixed up: "
                        + "; ".join(seat_lines) + " / 街镇编码与边界不对应")
    else:
        warnings += [line + " (check the code) / 街镇驻地不在其边界内" for line in seat_lines]
    # areas
    metric = wgs.to_crs(METRIC_CRS)
    areas = dict(zip(codes, (metric.area / 1e6).tolist(), strict=False))
    refs = dict(zip(gazetteer.town_code.astype(str), pd.to_numeric(gazetteer.area_km2, errors="coerce"), strict=False))
    for c in codes:
        ref = refs.get(c)
        if ref is None or not ref > 0:
            continue
        ratio = areas[c] / ref
        text = f"{label[c]}: {areas[c]:.2f} km², the reference area is {ref:.2f} km² (×{ratio:.2f})"
        if not AREA_RATIO_REFUSE[0] <= ratio <= AREA_RATIO_REFUSE[1]:
            problems.append(text + " / 面积与参考值相差过大")
        elif not AREA_RATIO_WARN[0] <= ratio <= AREA_RATIO_WARN[1]:
            warnings.append(text + " / 面积与参考值差异较大")
    # overlaps
    mgeoms = list(metric.geometry)
    tree = shapely.STRtree(mgeoms)
    for i, j in zip(*tree.query(mgeoms, predicate="intersects"), strict=False):
        if i >= j:
            continue
        km2 = mgeoms[i].intersection(mgeoms[j]).area / 1e6
        if km2 <= OVERLAP_WARN_KM2:
            continue
        share = km2 / max(min(areas[codes[i]], areas[codes[j]]), 1e-9)
        text = f"{label[codes[i]]} and {label[codes[j]]} overlap by {km2:.2f} km² ({share:.0%} of the smaller)"
        (problems if share > OVERLAP_REFUSE_SHARE else warnings).append(text + " / 边界重叠")
    # cover of the district
    outline = district.to_crs(METRIC_CRS).geometry.iloc[0]
    union = shapely.union_all(mgeoms)
    cover = union.intersection(outline).area / outline.area if outline.area else 0.0
    if cover < COVER_REFUSE:
        problems.append(f"the towns together cover {cover:.0%} of the district; at least {COVER_REFUSE:.0%} expected / 未覆盖全区")
    elif cover < COVER_WARN:
        warnings.append(f"the towns together cover {cover:.1%} of the district (gaps) / 边界间有空隙")
    outside_share = union.difference(outline.buffer(DISTRICT_BUFFER_M)).area / union.area if union.area else 0.0
    if outside_share > OUTSIDE_WARN:
        warnings.append(f"{outside_share:.1%} of the towns' area lies outside the district outline (+{DISTRICT_BUFFER_M / 1000:g} km) / 部分边界超出区界")
    return problems, warnings


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
    naming every problem (the file as a whole too: :func:`check_whole`).  Warnings that do not
    refuse the file are in ``out.attrs["warnings"]``: the administrator must confirm them
    (``replace_zones(..., accept_warnings=True)``).
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
    whole, warnings = check_whole(out, gazetteer, district)
    if whole:
        raise BoundaryImportError(path, whole, warnings)
    out.insert(4, "area_km2", (metric.area / 1e6).round(3).to_numpy())
    out.attrs["warnings"] = warnings  # to be confirmed by the administrator before storing
    return out
