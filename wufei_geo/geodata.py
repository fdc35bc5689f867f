"""The bundled geographic base: district outline, towns gazetteer, default (approximate) town zones.

Files live in ``geodata/`` (how each was made: ``geodata/README.md``).  Loads are cached;
the functions hand out copies so a caller's edits never leak into the cache.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray

from wufei_geo.crs import METRIC_CRS, WGS84_CRS, to_wgs84_frame
from wufei_geo.paths import GEODATA_DIR

DISTRICT_FILE = GEODATA_DIR / "district.geojson"
TOWNS_FILE = GEODATA_DIR / "towns.csv"
TOWN_CODE = "town_code"  # the gazetteer's (and the zones') town-code column
ZONES_FILE = GEODATA_DIR / "town_zones.geojson"


@lru_cache(maxsize=1)
def _district() -> gpd.GeoDataFrame:
    gdf = to_wgs84_frame(gpd.read_file(DISTRICT_FILE), DISTRICT_FILE.name)  # the CRS rule: at entry (crs.py)
    gdf["code"] = gdf["code"].astype(str)
    return gdf


@lru_cache(maxsize=1)
def _gazetteer() -> pd.DataFrame:
    df = pd.read_csv(
        TOWNS_FILE,
        dtype={"town_code": str, "geonames_id": str, "kind": str, "name_zh": str, "name_en": str},
        keep_default_na=True,
    ).rename(columns={"code": TOWN_CODE})  # the one name of the town-code column, from the moment it is read
    df["area_derived"] = df["area_derived"].astype(str).str.lower().eq("true")
    for col in ("population", "villages", "residents_committees"):
        df[col] = df[col].astype("Int64")
    return df


@lru_cache(maxsize=1)
def _zones() -> gpd.GeoDataFrame:
    gdf = to_wgs84_frame(gpd.read_file(ZONES_FILE), ZONES_FILE.name)
    gdf["town_code"] = gdf["town_code"].astype(str)
    gdf["area_derived"] = gdf["area_derived"].astype(bool)
    return gdf


def load_district() -> gpd.GeoDataFrame:
    """Qingpu's outline (``crs.WGS84_CRS``, one row; properties include the district seat and population)."""
    return _district().copy()


def load_gazetteer() -> pd.DataFrame:
    """The 11 towns/subdistricts keyed by ``town_code`` with seats (WGS-84), areas, populations and
    the note of each figure (figures are of mixed vintage and kind; 赵巷镇's area is ``area_derived``)."""
    return _gazetteer().copy()


def load_default_zones() -> gpd.GeoDataFrame:
    """The approximate town zones (示意范围): ``town_code, name_zh, name_en, boundary_quality="approximate",
    area_km2, area_ref_km2, area_derived, method, geometry`` in ``crs.WGS84_CRS``."""
    return _zones().copy()


def district_seat() -> tuple[float, float]:
    """(lon, lat) of the district seat (GeoNames 1797798 "Qingpu"), WGS-84."""
    row = _district().iloc[0]
    return float(row["seat_lon"]), float(row["seat_lat"])


def town_seats() -> dict[str, tuple[float, float]]:
    """town_code → (lon, lat) of the town seat, WGS-84."""
    g = _gazetteer()
    return {c: (float(x), float(y)) for c, x, y in zip(g.town_code, g.seat_lon, g.seat_lat, strict=False)}


def assign_towns(lon: ArrayLike, lat: ArrayLike, zones: gpd.GeoDataFrame | None = None) -> NDArray[np.object_]:
    """Town code of the zone containing each WGS-84 point (None outside every zone, or for NaN input).

    ``zones`` defaults to the approximate zones; pass official ones (``Store.zones()``) when
    imported.  A point on a zone's edge belongs to it (``intersects``); where zones share an edge
    (or overlap) the zone listed first wins.

    Fast and exact (issue 7): the zones are rasterised once per zone set onto a fine lon/lat grid
    (:class:`_ZoneGrid`, cached).  A point in a cell that no zone edge comes near takes the cell's
    zone by integer arithmetic alone; only points in cells that an edge crosses are tested exactly
    with ``shapely.intersects_xy`` against the few zones whose edges cross that cell.
    """
    if zones is None:
        zones = _zones()
    zones = to_wgs84_frame(zones, "the town zones")
    x = np.asarray(lon, dtype=float).ravel()
    y = np.asarray(lat, dtype=float).ravel()
    out = np.full(x.shape, None, dtype=object)
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any() or len(zones) == 0:
        return out
    grid = _zone_grid(zones)
    idx = np.full(x.shape, -1, dtype=np.int64)
    idx[ok] = grid.lookup(x[ok], y[ok])
    codes = np.append(zones["town_code"].astype(str).to_numpy(dtype=object), None)
    return codes[idx]  # index -1 → the trailing None


class _ZoneGrid:
    """The zones rasterised on a regular lon/lat grid of cell centres, for exact point lookups.

    ``label`` holds, per cell, the index of the first zone containing the whole cell, -1 for a
    cell outside every zone, or -2 for a *mixed* cell: one within reach of some zone's edge.  A
    mixed cell keeps the zones whose edges come near it (tested exactly per point) and the first
    zone that contains the whole cell though its edge is far (``far``), which answers when none
    of the near zones contains the point.

    Why the grid is in degrees and not a metric CRS: the zones' edges are straight lines in
    lon/lat (that is how shapely tests them), so a lon/lat grid classifies cells against the very
    same polygons without a transform of every point.
    """

    MAX_SIDE = 2048  # cells along the longer side of the zones' extent

    def __init__(self, geoms: list[shapely.Geometry]) -> None:
        self.geoms = geoms
        for g in geoms:
            shapely.prepare(g)
        x0, y0, x1, y1 = shapely.total_bounds(np.asarray(geoms, dtype=object))
        step = max(x1 - x0, y1 - y0, 1e-9) / self.MAX_SIDE
        self.dx = self.dy = step
        # two spare cells on every side so every edge and its reach lie inside the grid
        self.x0, self.y0 = x0 - 2 * step, y0 - 2 * step
        self.nx = int(np.ceil((x1 - self.x0) / step)) + 3
        self.ny = int(np.ceil((y1 - self.y0) / step)) + 3
        n_cells = self.nx * self.ny
        label = np.full(n_cells, -1, dtype=np.int32)
        near_cells: list[NDArray[np.int64]] = []
        insides: list[NDArray[np.bool_]] = []
        for g in geoms:
            insides.append(self._centres_inside(g))
            near_cells.append(self._near_edge(g))
        # first zone wins: paint in reverse order
        for j in range(len(geoms) - 1, -1, -1):
            label[insides[j]] = j
        mixed = np.unique(np.concatenate(near_cells)) if near_cells else np.zeros(0, dtype=np.int64)
        far = np.full(mixed.shape, -1, dtype=np.int32)
        for j in range(len(geoms) - 1, -1, -1):
            whole = insides[j][mixed] & ~np.isin(mixed, near_cells[j], assume_unique=False)
            far[whole] = j
        label[mixed] = -2
        # (mixed cell position, zone) pairs, sorted by cell then zone
        pos = np.concatenate([np.searchsorted(mixed, c) for c in near_cells])
        zone = np.concatenate([np.full(len(c), j, dtype=np.int64) for j, c in enumerate(near_cells)])
        order = np.lexsort((zone, pos))
        self.pair_zone = zone[order]
        self.pair_ptr = np.searchsorted(pos[order], np.arange(len(mixed) + 1))
        self.label, self.mixed, self.far = label, mixed, far

    # --- building -------------------------------------------------------------------------
    def _edges(self, g: shapely.Geometry) -> NDArray[np.float64]:
        rings = shapely.get_rings(shapely.get_parts(g))
        segs = []
        for ring in rings:
            c = shapely.get_coordinates(ring)
            segs.append(np.column_stack([c[:-1], c[1:]]))
        return np.concatenate(segs) if segs else np.zeros((0, 4))

    def _centres_inside(self, g: shapely.Geometry) -> NDArray[np.bool_]:
        """Whether each cell centre lies inside ``g`` (even-odd scanlines over all its rings)."""
        e = self._edges(g)
        e = e[e[:, 1] != e[:, 3]]  # horizontal edges cross no scanline
        ya, yb = np.minimum(e[:, 1], e[:, 3]), np.maximum(e[:, 1], e[:, 3])
        # rows whose centre y satisfies ya <= yc < yb (half-open: a shared vertex counts once)
        r0 = np.clip(np.ceil((ya - self.y0) / self.dy - 0.5), 0, self.ny).astype(np.int64)
        r1 = np.clip(np.ceil((yb - self.y0) / self.dy - 0.5), 0, self.ny).astype(np.int64)
        counts = np.maximum(r1 - r0, 0)
        edge = np.repeat(np.arange(len(e)), counts)
        rows = np.repeat(r0, counts) + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
        yc = self.y0 + (rows + 0.5) * self.dy
        x1, y1, x2, y2 = e[edge, 0], e[edge, 1], e[edge, 2], e[edge, 3]
        xc = x1 + (yc - y1) * (x2 - x1) / (y2 - y1)
        # the crossing toggles every cell whose centre lies to its right
        col = np.clip(np.floor((xc - self.x0) / self.dx - 0.5).astype(np.int64) + 1, 0, self.nx)
        toggles = np.zeros((self.ny, self.nx + 1), dtype=np.int32)
        np.add.at(toggles, (rows, col), 1)
        return (np.cumsum(toggles, axis=1)[:, : self.nx] % 2 == 1).ravel()

    def _near_edge(self, g: shapely.Geometry) -> NDArray[np.int64]:
        """Cells within reach of ``g``'s edges: the cells of points every half cell along each
        edge and their 8 neighbours (a cell an edge touches, even at a corner, is among them)."""
        boundary = shapely.segmentize(shapely.boundary(g), min(self.dx, self.dy) / 2)
        c = shapely.get_coordinates(boundary)
        ix = np.floor((c[:, 0] - self.x0) / self.dx).astype(np.int64)
        iy = np.floor((c[:, 1] - self.y0) / self.dy).astype(np.int64)
        cells = []
        for ox in (-1, 0, 1):
            for oy in (-1, 0, 1):
                jx, jy = np.clip(ix + ox, 0, self.nx - 1), np.clip(iy + oy, 0, self.ny - 1)
                cells.append(jy * self.nx + jx)
        return np.unique(np.concatenate(cells))

    # --- lookup ---------------------------------------------------------------------------
    def lookup(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.int64]:
        """Index of the first zone containing each (finite) point, -1 for none."""
        fx = np.floor((x - self.x0) / self.dx)
        fy = np.floor((y - self.y0) / self.dy)
        inside = (fx >= 0) & (fx < self.nx) & (fy >= 0) & (fy < self.ny)  # outside the grid: no zone
        res = np.full(x.shape, -1, dtype=np.int64)
        cell = fy[inside].astype(np.int64) * self.nx + fx[inside].astype(np.int64)
        lab = self.label[cell].astype(np.int64)
        sub = lab.copy()
        mixed_at = np.flatnonzero(lab == -2)
        if len(mixed_at):
            where = np.flatnonzero(inside)[mixed_at]
            m = np.searchsorted(self.mixed, cell[mixed_at])
            far = self.far[m].astype(np.int64)
            start, stop = self.pair_ptr[m], self.pair_ptr[m + 1]
            counts = stop - start
            pt = np.repeat(np.arange(len(m)), counts)
            k = np.repeat(start, counts) + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
            zone = self.pair_zone[k]
            keep = (far[pt] < 0) | (zone < far[pt])  # a zone after `far` can never be the first
            pt, zone = pt[keep], zone[keep]
            hit = np.zeros(len(pt), dtype=bool)
            for j in np.unique(zone):
                sel = np.flatnonzero(zone == j)
                hit[sel] = shapely.intersects_xy(self.geoms[j], x[where[pt[sel]]], y[where[pt[sel]]])
            first = far.copy()
            # pairs are in zone order within a point, so the first hit of a point is its smallest zone
            hp, hz = pt[hit], zone[hit]
            if len(hp):
                lead = np.r_[True, hp[1:] != hp[:-1]]
                first[hp[lead]] = hz[lead]
            sub[mixed_at] = first
        res[inside] = sub
        return res


_GRID_CACHE: dict[bytes, _ZoneGrid] = {}


def _zone_grid(zones: gpd.GeoDataFrame) -> _ZoneGrid:
    """The cached grid of these zone geometries (WGS-84), built on first use."""
    geoms = [g if g is not None else shapely.Polygon() for g in zones.geometry]
    key = hashlib.sha1(b"".join(shapely.to_wkb(np.asarray(geoms, dtype=object)))).digest()
    grid = _GRID_CACHE.get(key)
    if grid is None:
        if len(_GRID_CACHE) >= 8:
            _GRID_CACHE.pop(next(iter(_GRID_CACHE)))
        grid = _GRID_CACHE[key] = _ZoneGrid(geoms)
    return grid


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
    geom = _district().geometry
    if buffer_m:
        geom = geom.to_crs(METRIC_CRS).buffer(buffer_m).to_crs(WGS84_CRS)
    g = geom.iloc[0]
    shapely.prepare(g)
    return g
