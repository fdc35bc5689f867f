"""The bundled geographic base: district outline, towns gazetteer, default (approximate) town zones.

Files live in ``geodata/`` (how each was made: ``geodata/README.md``).  Loads are cached;
the functions hand out copies so a caller's edits never leak into the cache.
"""
from __future__ import annotations

from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray

from wufei_geo.paths import GEODATA_DIR

DISTRICT_FILE = GEODATA_DIR / "district.geojson"
TOWNS_FILE = GEODATA_DIR / "towns.csv"
ZONES_FILE = GEODATA_DIR / "town_zones.geojson"

ZONE_COLUMNS = ("town_code", "name_zh", "name_en", "boundary_quality", "area_km2")


@lru_cache(maxsize=1)
def _district() -> gpd.GeoDataFrame:
    gdf = gpd.read_file(DISTRICT_FILE)
    gdf["code"] = gdf["code"].astype(str)
    return gdf


@lru_cache(maxsize=1)
def _gazetteer() -> pd.DataFrame:
    df = pd.read_csv(
        TOWNS_FILE,
        dtype={"town_code": str, "geonames_id": str, "kind": str, "name_zh": str, "name_en": str},
        keep_default_na=True,
    )
    df["area_derived"] = df["area_derived"].astype(str).str.lower().eq("true")
    for col in ("population", "villages", "residents_committees"):
        df[col] = df[col].astype("Int64")
    return df


@lru_cache(maxsize=1)
def _zones() -> gpd.GeoDataFrame:
    gdf = gpd.read_file(ZONES_FILE)
    gdf["town_code"] = gdf["town_code"].astype(str)
    gdf["area_derived"] = gdf["area_derived"].astype(bool)
    return gdf


def load_district() -> gpd.GeoDataFrame:
    """Qingpu's outline (EPSG:4326, one row; properties include the district seat and population)."""
    return _district().copy()


def load_gazetteer() -> pd.DataFrame:
    """The 11 towns/subdistricts keyed by ``town_code`` with seats (WGS-84), areas, populations and
    the note of each figure (figures are of mixed vintage and kind; 赵巷镇's area is ``area_derived``)."""
    return _gazetteer().copy()


def load_default_zones() -> gpd.GeoDataFrame:
    """The approximate town zones (示意范围): ``town_code, name_zh, name_en, boundary_quality="approximate",
    area_km2, area_ref_km2, area_derived, method, geometry`` in EPSG:4326."""
    return _zones().copy()


def district_seat() -> tuple[float, float]:
    """(lon, lat) of the district seat (GeoNames 1797798 "Qingpu"), WGS-84."""
    row = _district().iloc[0]
    return float(row["seat_lon"]), float(row["seat_lat"])


def town_seats() -> dict[str, tuple[float, float]]:
    """town_code → (lon, lat) of the town seat, WGS-84."""
    g = _gazetteer()
    return {c: (float(x), float(y)) for c, x, y in zip(g.town_code, g.seat_lon, g.seat_lat)}


def assign_towns(lon: ArrayLike, lat: ArrayLike, zones: gpd.GeoDataFrame | None = None) -> NDArray[np.object_]:
    """Town code of the zone containing each WGS-84 point (None outside every zone, or for NaN input).

    Vectorised: one STRtree query over all points; no Python loop per point.  ``zones`` defaults
    to the approximate zones; pass official ones (``Store.zones()``) when imported.  A point on a
    shared edge goes to the zone listed first.
    """
    if zones is None:
        zones = _zones()
    zones = zones.to_crs("EPSG:4326") if zones.crs is not None and not zones.crs.equals("EPSG:4326") else zones
    x = np.asarray(lon, dtype=float).ravel()
    y = np.asarray(lat, dtype=float).ravel()
    out = np.full(x.shape, None, dtype=object)
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any() or len(zones) == 0:
        return out
    points = shapely.points(x[ok], y[ok])
    tree = shapely.STRtree(np.asarray(zones.geometry.values))
    pt_idx, zone_idx = tree.query(points, predicate="intersects")
    codes = zones["town_code"].astype(str).to_numpy(dtype=object)
    found = np.full(points.shape, -1, dtype=np.int64)
    # a point on a shared edge matches two zones: keep the first in zone order
    order = np.lexsort((zone_idx, pt_idx))
    p, z = pt_idx[order], zone_idx[order]
    first = np.r_[True, p[1:] != p[:-1]] if len(p) else np.zeros(0, dtype=bool)
    found[p[first]] = z[first]
    sub = np.full(points.shape, None, dtype=object)
    hit = found >= 0
    sub[hit] = codes[found[hit]]
    out[ok] = sub
    return out


def in_district(lon: ArrayLike, lat: ArrayLike, buffer_m: float = 0.0) -> NDArray[np.bool_]:
    """Whether each WGS-84 point lies inside (or on) the district outline, optionally buffered."""
    geom = _district_geometry(float(buffer_m))
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    x, y = np.broadcast_arrays(x, y)
    res = np.zeros(x.shape, dtype=bool)
    ok = np.isfinite(x) & np.isfinite(y)
    res[ok] = shapely.intersects_xy(geom, x[ok], y[ok])
    return res


@lru_cache(maxsize=4)
def _district_geometry(buffer_m: float) -> shapely.Geometry:
    from wufei_geo.crs import METRIC_CRS

    geom = _district().geometry
    if buffer_m:
        geom = geom.to_crs(METRIC_CRS).buffer(buffer_m).to_crs("EPSG:4326")
    g = geom.iloc[0]
    shapely.prepare(g)
    return g
