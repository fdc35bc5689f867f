"""Coordinate systems: WGS-84 ⇄ GCJ-02 ⇄ BD-09, the metric CRS, distances.

AMap (高德) and Tencent publish GCJ-02 coordinates and Baidu BD-09; around Qingpu both sit
about 500 m from WGS-84.  We store WGS-84 and convert at the edges.  The GCJ-02 forward
transform is the published closed formula (Krasovsky ellipsoid); it has no closed inverse,
so GCJ-02 → WGS-84 is solved by fixed-point iteration.  BD-09 is a rotation/offset of GCJ-02
(Baidu's published constants, x_pi = 3000·π/180).

Every function takes ``(lon, lat)`` in that order, as scalars or numpy arrays (broadcast),
and returns the same shape (Python floats for scalar input).  Outside China the offsets
are the identity by convention.

THE CRS RULE (one for every module): a CRS is assigned once, where data enters, and never
assumed afterwards.

- Where data enters, the reader sets the CRS the data has *by declaration*: a boundary file's
  declared CRS (``io.geofiles.read_geofile``; a GeoJSON without a ``crs`` member is WGS-84 because
  RFC 7946 defines it so — refused if its numbers are plainly projected metres; a Shapefile
  without .prj or a GeoPackage layer without an SRS is refused, never guessed); our own stores
  (the database's zones, ``geodata/*.geojson``, site coordinates) hold WGS-84 by their schema and
  build their frames with ``crs=WGS84_CRS``.  The reader then converts to :data:`WGS84_CRS`.
- Past that point a GeoDataFrame without a CRS is a programming error: :func:`to_wgs84_frame` and
  :func:`to_metric_frame` refuse it (``ValueError``); nothing calls ``set_crs`` to "fix" it.
- Measure (areas, distances, buffers) in :data:`METRIC_CRS`; store and draw in :data:`WGS84_CRS`.
  Both are named here only: every module uses these names, never the literals.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Final, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import Geod

from wufei_geo.model import DATUMS

if TYPE_CHECKING:
    import geopandas as gpd

# CGCS2000 / 3-degree Gauss-Kruger CM 120E, metres.  NB: that is EPSG:4549; EPSG:4547 (named in
# early design notes) is CM 114E, 7° west of Qingpu, where its scale error inflates areas by ~1.1 %.
METRIC_CRS: Final = "EPSG:4549"
# What we store, exchange and draw: longitude/latitude on WGS-84.
WGS84_CRS: Final = "EPSG:4326"

_A: Final = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE: Final = 0.00669342162296594323  # its first eccentricity squared
_X_PI: Final = np.pi * 3000.0 / 180.0
_GEOD: Final = Geod(ellps="WGS84")

Float = float | NDArray[np.float64]


def _arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64], bool]:
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    x, y = np.broadcast_arrays(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return x.astype(float, copy=True), y.astype(float, copy=True), scalar


def _out(x: NDArray[np.float64], y: NDArray[np.float64], scalar: bool) -> tuple[Float, Float]:
    if scalar:
        return float(x), float(y)
    return x, y


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """The rough bounding box in which the GCJ-02 offset applies (the published convention)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _delta(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """GCJ-02 offset (dlon, dlat) in degrees at WGS-84 point (lon, lat)."""
    x = lon - 105.0
    y = lat - 35.0
    pi = np.pi
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * pi)
    inside = in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def _wgs_to_gcj(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    dlon, dlat = _delta(lon, lat)
    return lon + dlon, lat + dlat


def _gcj_to_wgs(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Fixed-point inverse: find w with gcj(w) = g; converges to ~1e-9° in a few steps here."""
    wlon, wlat = lon.copy(), lat.copy()
    for _ in range(30):
        glon, glat = _wgs_to_gcj(wlon, wlat)
        elon, elat = glon - lon, glat - lat
        wlon -= elon
        wlat -= elat
        if np.all(np.abs(elon) < 1e-10) and np.all(np.abs(elat) < 1e-10):
            break
    return wlon, wlat


def _gcj_to_bd(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd_to_gcj(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The published approximate inverse, refined by fixed-point iteration on the forward map."""
    x, y = lon - 0.0065, lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    glon, glat = z * np.cos(theta), z * np.sin(theta)
    for _ in range(10):
        blon, blat = _gcj_to_bd(glon, glat)
        elon, elat = blon - lon, blat - lat
        glon -= elon
        glat -= elat
        if np.all(np.abs(elon) < 1e-10) and np.all(np.abs(elat) < 1e-10):
            break
    return glon, glat


def _check_datum(datum: str) -> str:
    d = str(datum).strip().lower().replace("-", "").replace("_", "")
    if d not in DATUMS:
        raise ValueError(f"unknown datum {datum!r}; expected one of {', '.join(DATUMS)}")
    return d


@overload
def to_wgs84(lon: float, lat: float, datum: str) -> tuple[float, float]: ...
@overload
def to_wgs84(lon: ArrayLike, lat: ArrayLike, datum: str) -> tuple[Float, Float]: ...
def to_wgs84(lon, lat, datum):  # type: ignore[no-untyped-def]
    """Convert ``(lon, lat)`` given in ``datum`` (one of ``model.DATUMS``) to WGS-84."""
    d = _check_datum(datum)
    x, y, scalar = _arrays(lon, lat)
    inside = in_china(x, y)
    if d == "bd09":
        gx, gy = _bd_to_gcj(x, y)
        x, y = np.where(inside, gx, x), np.where(inside, gy, y)
    if d in ("gcj02", "bd09"):
        wx, wy = _gcj_to_wgs(x, y)
        x, y = np.where(inside, wx, x), np.where(inside, wy, y)
    return _out(x, y, scalar)


@overload
def from_wgs84(lon: float, lat: float, datum: str) -> tuple[float, float]: ...
@overload
def from_wgs84(lon: ArrayLike, lat: ArrayLike, datum: str) -> tuple[Float, Float]: ...
def from_wgs84(lon, lat, datum):  # type: ignore[no-untyped-def]
    """Convert WGS-84 ``(lon, lat)`` to ``datum`` (e.g. to draw on AMap's GCJ-02 tiles)."""
    d = _check_datum(datum)
    x, y, scalar = _arrays(lon, lat)
    inside = in_china(x, y)
    if d in ("gcj02", "bd09"):
        x, y = _wgs_to_gcj(x, y)
    if d == "bd09":
        bx, by = _gcj_to_bd(x, y)
        x, y = np.where(inside, bx, x), np.where(inside, by, y)
    return _out(x, y, scalar)


def convert(lon: ArrayLike, lat: ArrayLike, src: str, dst: str) -> tuple[Float, Float]:
    """Convert between any two datums of ``model.DATUMS`` (via WGS-84)."""
    wlon, wlat = to_wgs84(lon, lat, src)
    return from_wgs84(wlon, wlat, dst)


def distance_m(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> Float:
    """Geodesic distance in metres on the WGS-84 ellipsoid between WGS-84 points (vectorised)."""
    a = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (lon1, lat1, lon2, lat2)))
    _, _, dist = _GEOD.inv(*(v.ravel() for v in a))
    dist = np.asarray(dist, dtype=float).reshape(a[0].shape)
    return float(dist) if dist.ndim == 0 else dist


def _require_crs(gdf: gpd.GeoDataFrame, what: str) -> None:
    if gdf.crs is None:
        raise ValueError(f"{what} has no CRS: a CRS is assigned where data enters, never assumed later (crs.py)")


def to_wgs84_frame(gdf: gpd.GeoDataFrame, what: str = "the data") -> gpd.GeoDataFrame:
    """``gdf`` in :data:`WGS84_CRS` (itself when already there); refuses a frame without a CRS."""
    _require_crs(gdf, what)
    return gdf if gdf.crs.equals(WGS84_CRS) else gdf.to_crs(WGS84_CRS)


def to_metric_frame(gdf: gpd.GeoDataFrame, what: str = "the data") -> gpd.GeoDataFrame:
    """``gdf`` in :data:`METRIC_CRS` for measuring; refuses a frame without a CRS."""
    _require_crs(gdf, what)
    return gdf.to_crs(METRIC_CRS)
