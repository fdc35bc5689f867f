"""Coordinates for display: the basemap's datum (GCJ-02 for AMap, only then), located sites."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from wufei_geo.crs import from_wgs84
from wufei_geo.mapview.tiles import basemap_datum


def to_display_datum(lon: np.ndarray, lat: np.ndarray, basemap: str) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 → the datum of the basemap's tiles (the registry's ``datum``: GCJ-02 for AMap; unchanged otherwise)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    datum = basemap_datum(basemap)
    if datum == "wgs84" or lon.size == 0:
        return lon, lat
    out_lon, out_lat = from_wgs84(lon, lat, datum)  # the crs module owns the datum formulas
    return np.asarray(out_lon, dtype=float), np.asarray(out_lat, dtype=float)


def geom_for_display(geom: Any, basemap: str, decimals: int = 5, simplify: float = 0.0) -> Any:
    if geom is None or geom.is_empty:
        return geom
    if simplify:
        geom = geom.simplify(simplify, preserve_topology=True)

    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = to_display_datum(xy[:, 0], xy[:, 1], basemap)
        return np.round(np.column_stack([x, y]), decimals)

    return shapely.transform(geom, fn)


def feature_collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def mapped_sites(sites: pd.DataFrame) -> pd.DataFrame:
    """The sites that have a marker point (``display_lon``/``display_lat`` known)."""
    if len(sites) == 0:
        return sites
    ok = pd.to_numeric(sites["display_lon"], errors="coerce").notna() & pd.to_numeric(
        sites["display_lat"], errors="coerce"
    ).notna()
    return sites[ok]


def label_anchor(geom: Any) -> tuple[float, float] | None:
    """(lon, lat) where a zone's label goes: the point of its largest part farthest from the edge
    (the pole of inaccessibility), so the label sits well inside the zone whatever its shape —
    a centroid can fall outside a bent zone.  Computed on a locally equal-scaled plane."""
    if geom is None or geom.is_empty:
        return None
    parts = list(getattr(geom, "geoms", [geom]))
    part = max((g for g in parts if g.geom_type == "Polygon"), key=lambda g: g.area, default=None)
    if part is None:
        return None
    k = float(np.cos(np.radians(part.centroid.y)))
    scaled = shapely.transform(part, lambda xy: np.column_stack([xy[:, 0] * k, xy[:, 1]]))
    from shapely.ops import polylabel

    p = polylabel(scaled, tolerance=1e-4)
    return float(p.x / k), float(p.y)
