"""Official town boundaries: match the 11 towns, reproject, validate — the rules, not the files.

The file is read by :func:`wufei_geo.io.geofiles.read_boundaries` (GeoJSON, zipped Shapefile or
GeoPackage, its CRS assigned there by the rule of ``crs.py``); :func:`zones_from_frame` takes the
frame from there.  Towns are matched by code (9-digit, or a 12-digit code starting with it) or by
name (Chinese or English, with or without 街道/镇 / Subdistrict/Town).  Either everything is right,
or one :class:`BoundaryImportError` names every problem.  :func:`check_whole` judges 11 zones
together (also for stored and restored zones).  Pure: no database, no files here.
"""
from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.validation import explain_validity

from wufei_geo import crs, geodata
from wufei_geo.crs import METRIC_CRS, WGS84_CRS
from wufei_geo.errors import Finding, ValidationError

MIN_SHARE_INSIDE = 0.5  # share of a zone's area that must lie in the district outline …
DISTRICT_BUFFER_M = 1000.0  # … buffered by this much
SUFFIXES_ZH = ("街道办事处", "街道", "镇")
SUFFIXES_EN = ("subdistrict", "town", "street", "jiedao", "zhen")


class BoundaryImportError(ValidationError):
    """A boundary file was refused (key ``error.boundary_refused``); ``problems`` lists every reason
    and ``warnings`` the warnings, each a :class:`~wufei_geo.errors.Finding` worded from the catalogue
    (the key's ``detail``: ``i18n.item_lines``).  Made by :func:`refusal`."""


def refusal(path: str | Path, problems: list[Finding], warnings: list[Finding] | None = None) -> BoundaryImportError:
    """The refusal of the boundary file ``path`` naming every problem (and warning)."""
    return BoundaryImportError(key="error.boundary_refused", params={"file": Path(path).name, "n": len(problems)},
                               path=str(path), problems=list(problems), warnings=list(warnings or []))


def finding(name: str, **params: object) -> Finding:
    """A problem or warning of a boundary file: catalogue key ``problem.boundary.<name>``."""
    return Finding(key=f"problem.boundary.{name}", params=params)


MAX_VERTICES_PER_TOWN = 250_000  # the finest official town outline we know has ~20,000


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
                  codes: dict[str, str], names: dict[str, str], problems: list[Finding]) -> tuple[str, str] | None:
    fields = [c for c in gdf.columns if c != gdf.geometry.name]
    for given, how in ((code_field, "code"), (name_field, "name")):
        if given is not None:
            if given not in fields:
                problems.append(finding("field_not_found", field=given, fields=", ".join(map(str, fields)) or "—"))
                return None
            return given, how
    best: tuple[int, int, str, str] | None = None
    for f in fields:
        for rank, how in ((1, "code"), (0, "name")):
            hits = sum(_match_value(v, how, codes, names) is not None for v in gdf[f])
            if hits and (best is None or (hits, rank) > best[:2]):
                best = (hits, rank, f, how)
    if best is None:
        problems.append(finding("no_town_field", fields=", ".join(map(str, fields)) or "—"))
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

    def move(xy: np.ndarray) -> np.ndarray:
        lon, lat = crs.to_wgs84(xy[:, 0], xy[:, 1], datum)
        return np.column_stack([np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)])

    return shapely.transform(geom, move)


def detect_datum_shift(zones_wgs: gpd.GeoDataFrame, district_wgs: gpd.GeoDataFrame) -> tuple[str | None, float]:
    """(``"gcj02"``/``"bd09"`` when the towns fit the district clearly better after undoing that
    datum's offset, else None; the offset in metres).  The Chinese map datums move Qingpu by
    roughly 500 m (GCJ-02) and 1 km (BD-09): a file drawn on AMap/Baidu tiles carries them."""
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
    lon, lat = crs.to_wgs84(c.x, c.y, best)
    return best, float(crs.distance_m(c.x, c.y, lon, lat))


def check_whole(zones: gpd.GeoDataFrame, gazetteer: pd.DataFrame | None = None,
                district: gpd.GeoDataFrame | None = None) -> tuple[list[Finding], list[Finding]]:
    """(problems, warnings) of 11 town zones taken together: seats, areas, overlaps, cover of the
    district, datum shift, vertices.  Problems refuse the file; warnings need the administrator's
    confirmation.  ``zones``: ``town_code`` + polygon geometry, any CRS (a CRS it must have:
    ``crs.to_wgs84_frame``)."""
    gazetteer = gazetteer if gazetteer is not None else geodata.load_gazetteer()
    district = district if district is not None else geodata.load_district()
    problems: list[Finding] = []
    warnings: list[Finding] = []
    wgs = crs.to_wgs84_frame(zones, "the town zones")
    codes = [str(c) for c in wgs["town_code"]]
    geoms = list(wgs.geometry)
    names = dict(zip(gazetteer.town_code.astype(str), gazetteer.name_zh, strict=False))
    label = {c: f"{c} {names.get(c, '')}".strip() for c in codes}
    if any(g is None or g.is_empty or not g.is_valid for g in geoms):
        return [finding("invalid_polygons")], []
    for c, g in zip(codes, geoms, strict=False):
        n = int(shapely.get_num_coordinates(g))
        if n > MAX_VERTICES_PER_TOWN:
            problems.append(finding("town_vertices", town=label[c], n=n, most=MAX_VERTICES_PER_TOWN))
    problems += _datum_shift_problems(wgs, district)
    _seat_findings(codes, geoms, label, problems, warnings)
    metric = wgs.to_crs(METRIC_CRS)
    areas = dict(zip(codes, (metric.area / 1e6).tolist(), strict=False))
    _area_findings(codes, areas, gazetteer, label, problems, warnings)
    _overlap_findings(codes, list(metric.geometry), areas, label, problems, warnings)
    _cover_findings(list(metric.geometry), district, problems, warnings)
    return problems, warnings


def _datum_shift_problems(wgs: gpd.GeoDataFrame, district: gpd.GeoDataFrame) -> list[Finding]:
    datum, metres = detect_datum_shift(wgs, crs.to_wgs84_frame(district, "the district outline"))
    if not datum:
        return []
    name = {"gcj02": "GCJ-02 (AMap/Tencent, 火星坐标)", "bd09": "BD-09 (Baidu)"}[datum]
    return [finding("datum_shift", metres=metres, datum=name, datum_code=datum.upper())]


def _seat_findings(codes: list[str], geoms: list[shapely.Geometry], label: dict[str, str],
                   problems: list[Finding], warnings: list[Finding]) -> None:
    """Towns whose seat lies outside their polygon: a warning each; many: the codes are mixed up."""
    seats = geodata.town_seats()
    owner: dict[str, str | None] = {}
    for code, (lon, lat) in seats.items():
        pt = shapely.Point(lon, lat)
        owner[code] = next((c for c, g in zip(codes, geoms, strict=False) if g.covers(pt)), None)
    outside = [c for c in codes if c in seats and owner.get(c) != c]
    seat_lines = [finding("seat_in_other", town=label[c], lon=seats[c][0], lat=seats[c][1], other=label[owner[c]])
                  if owner.get(c) else finding("seat_outside", town=label[c], lon=seats[c][0], lat=seats[c][1])
                  for c in outside]
    if len(outside) >= SEATS_OUTSIDE_REFUSE:
        problems.append(finding("seats_mixed", n=len(outside), seats=seat_lines))
    else:
        warnings += [finding("seat_warning", seat=line) for line in seat_lines]


def _area_findings(codes: list[str], areas: dict[str, float], gazetteer: pd.DataFrame, label: dict[str, str],
                   problems: list[Finding], warnings: list[Finding]) -> None:
    """Each town's area against the gazetteer's reference area."""
    refs = dict(zip(gazetteer.town_code.astype(str), pd.to_numeric(gazetteer.area_km2, errors="coerce"), strict=False))
    for c in codes:
        ref = refs.get(c)
        if ref is None or not ref > 0:
            continue
        ratio = areas[c] / ref
        if not AREA_RATIO_REFUSE[0] <= ratio <= AREA_RATIO_REFUSE[1]:
            problems.append(finding("area_refused", town=label[c], area=areas[c], ref=float(ref), ratio=ratio))
        elif not AREA_RATIO_WARN[0] <= ratio <= AREA_RATIO_WARN[1]:
            warnings.append(finding("area_warning", town=label[c], area=areas[c], ref=float(ref), ratio=ratio))


def _overlap_findings(codes: list[str], mgeoms: list[shapely.Geometry], areas: dict[str, float],
                      label: dict[str, str], problems: list[Finding], warnings: list[Finding]) -> None:
    """Pairs of towns overlapping (metric geometries)."""
    tree = shapely.STRtree(mgeoms)
    for i, j in zip(*tree.query(mgeoms, predicate="intersects"), strict=False):
        if i >= j:
            continue
        km2 = mgeoms[i].intersection(mgeoms[j]).area / 1e6
        if km2 <= OVERLAP_WARN_KM2:
            continue
        share = km2 / max(min(areas[codes[i]], areas[codes[j]]), 1e-9)
        (problems if share > OVERLAP_REFUSE_SHARE else warnings).append(
            finding("overlap", a=label[codes[i]], b=label[codes[j]], km2=km2, share=share))


def _cover_findings(mgeoms: list[shapely.Geometry], district: gpd.GeoDataFrame,
                    problems: list[Finding], warnings: list[Finding]) -> None:
    """How much of the district the towns cover, and how much of them lies outside it."""
    outline = district.to_crs(METRIC_CRS).geometry.iloc[0]
    union = shapely.union_all(mgeoms)
    cover = union.intersection(outline).area / outline.area if outline.area else 0.0
    if cover < COVER_REFUSE:
        problems.append(finding("cover_refused", cover=cover, least=COVER_REFUSE))
    elif cover < COVER_WARN:
        warnings.append(finding("cover_gaps", cover=cover))
    outside_share = union.difference(outline.buffer(DISTRICT_BUFFER_M)).area / union.area if union.area else 0.0
    if outside_share > OUTSIDE_WARN:
        warnings.append(finding("outside_district", share=outside_share, km=DISTRICT_BUFFER_M / 1000))


# --- a file's features → the 11 zones -----------------------------------------------------------
def zones_from_frame(
    gdf: gpd.GeoDataFrame,
    path: str | Path,
    problems: list[Finding],
    code_field: str | None = None,
    name_field: str | None = None,
    *,
    gazetteer: pd.DataFrame | None = None,
    district: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Match, reproject and validate the features read from ``path`` (with the ``problems`` found
    while reading it, e.g. its CRS); see :func:`wufei_geo.io.geofiles.read_boundaries`, which
    documents the result.  Raises :class:`BoundaryImportError` naming every problem."""
    gazetteer = gazetteer if gazetteer is not None else geodata.load_gazetteer()
    district = district if district is not None else geodata.load_district()
    path = Path(path)
    chosen, matched = _match_features(gdf, gazetteer, code_field, name_field, problems)
    _feature_geometry_problems(gdf, chosen, problems)
    if problems:
        raise refusal(path, problems)
    out = _merge_towns(gdf, chosen[0], matched, gazetteer, path.name)  # type: ignore[index]
    metric = out.to_crs(METRIC_CRS)
    _district_problems(out, metric, district, problems)
    if problems:
        raise refusal(path, problems)
    whole, warnings = check_whole(out, gazetteer, district)
    if whole:
        raise refusal(path, whole, warnings)
    out.insert(4, "area_km2", (metric.area / 1e6).round(3).to_numpy())
    out.attrs["warnings"] = warnings  # to be confirmed by the administrator before storing
    return out


def _match_features(gdf: gpd.GeoDataFrame, gazetteer: pd.DataFrame, code_field: str | None, name_field: str | None,
                    problems: list[Finding]) -> tuple[tuple[str, str] | None, dict[str, list[int]]]:
    """(the field and how it was read, town code → indices of its features); problems appended."""
    codes, names = _matchers(gazetteer)
    chosen = _choose_field(gdf, code_field, name_field, codes, names, problems)
    matched: dict[str, list[int]] = {}
    if chosen is None:
        return None, matched
    field, how = chosen
    for i, value in enumerate(gdf[field]):
        code = _match_value(value, how, codes, names)
        if code is None:
            problems.append(finding("unknown_code", n=i + 1, field=field, value=repr(value)) if how == "code"
                            else finding("unknown_name", n=i + 1, field=field, value=repr(value)))
        else:
            matched.setdefault(code, []).append(i)
    for code, zh in zip(gazetteer.town_code.astype(str), gazetteer.name_zh, strict=False):
        if code not in matched:
            problems.append(finding("missing_town", town=f"{code} {zh}"))
    return chosen, matched


def _feature_geometry_problems(gdf: gpd.GeoDataFrame, chosen: tuple[str, str] | None,
                               problems: list[Finding]) -> None:
    for i, geom in enumerate(gdf.geometry):
        value = f" ({gdf[chosen[0]].iloc[i]})" if chosen else ""
        if geom is None or geom.is_empty:
            problems.append(finding("empty_geometry", n=i + 1, value=value))
        elif geom.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(finding("not_polygon", n=i + 1, value=value, kind=geom.geom_type))
        elif not geom.is_valid:
            problems.append(finding("invalid_polygon", n=i + 1, value=value, reason=explain_validity(geom)))


def _merge_towns(gdf: gpd.GeoDataFrame, field: str, matched: dict[str, list[int]], gazetteer: pd.DataFrame,
                 source: str) -> gpd.GeoDataFrame:
    """One row per town in gazetteer order, its features merged, in WGS-84."""
    wgs = gdf.to_crs(WGS84_CRS)
    rows, geoms = [], []
    for code, zh, en in zip(gazetteer.town_code.astype(str), gazetteer.name_zh, gazetteer.name_en, strict=False):
        idx = matched[code]
        geom = shapely.force_2d(shapely.union_all(wgs.geometry.iloc[idx].values))
        rows.append({
            "town_code": code, "name_zh": zh, "name_en": en, "boundary_quality": "official",
            "source_feature": "; ".join(f"feature {i + 1} ({field}={gdf[field].iloc[i]})" for i in idx),
            "source": source,
        })
        geoms.append(geom)
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=WGS84_CRS)


def _district_problems(out: gpd.GeoDataFrame, metric: gpd.GeoDataFrame, district: gpd.GeoDataFrame,
                       problems: list[Finding]) -> None:
    """Where are they?  (Catches a wrong CRS, or a file of another district.)"""
    outline = district.to_crs(METRIC_CRS).geometry.iloc[0].buffer(DISTRICT_BUFFER_M)
    for r, g in zip(out.itertuples(), metric.geometry, strict=False):
        if not g.is_valid:
            problems.append(finding("invalid_after_merge", town=f"{r.town_code} {r.name_zh}",
                                    reason=explain_validity(g)))
            continue
        share = g.intersection(outline).area / g.area if g.area > 0 else 0.0
        if share < MIN_SHARE_INSIDE:
            problems.append(finding("outside_outline", town=f"{r.town_code} {r.name_zh}", share=share,
                                    km=DISTRICT_BUFFER_M / 1000))


# ---- stored zones checked once (issue 27) -----------------------------------------------------------
# The meta key under which the store keeps the digest of the zones it checked as a whole when they
# were imported (or restored, whose rules check them too): a reader whose stored zones have that
# digest does not check them again — with the finest accepted file that check took minutes per load.
CHECKED_ZONES_META_KEY = "zones_checked_digest"


def stored_zones_digest(rows: list[tuple[str, str]]) -> str:
    """SHA-256 over (town code, geometry text as stored) of every stored zone, in town-code order."""
    import hashlib

    h = hashlib.sha256()
    for code, geometry in sorted((str(c), str(g)) for c, g in rows):
        h.update(code.encode() + b"\0" + geometry.encode() + b"\0")
    return h.hexdigest()
