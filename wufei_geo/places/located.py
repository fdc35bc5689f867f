"""Places placed on the map's geography: :func:`locate_places` gives each live place a display point
(its own point; its area's representative point; else at its town seat, spread like town-only sites
by :mod:`wufei_geo.locate`; a district-only place gets none — never an invented point) and a
geometry (its area where it has one, else the display point), plus the flags ``stale`` (status not
confirmed within the period, :mod:`wufei_geo.freshness`) and ``pending`` (a 待核实 claim waits)."""
from __future__ import annotations

import datetime as dt
import json

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import shape

from wufei_geo import freshness, locate
from wufei_geo.crs import WGS84_CRS
from wufei_geo.places.vocab import PLACE_COLUMNS


def area_geometry(text: object):  # -> shapely geometry | None
    """The stored GeoJSON outline as a shapely geometry (None when absent or unreadable)."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        geom = shape(json.loads(text))
    except (ValueError, TypeError, AttributeError, KeyError):
        return None
    return None if geom.is_empty else geom


def locate_places(places: pd.DataFrame, zones: gpd.GeoDataFrame, towns: pd.DataFrame,
                  today: dt.date | None = None, months: int = freshness.DEFAULT_CONFIRMATION_MONTHS,
                  occupied: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """The live places with ``display_lon, display_lat, display_precision, has_area, stale, pending``
    and a geometry (area, else display point; None when nothing better than the district is known).
    ``occupied``: points already drawn (the sites' ``display_lon``/``display_lat``) that places
    placed by their town are spread around, so a place's marker never hides a site's."""
    if places is None or not len(places):
        empty = pd.DataFrame(columns=[*PLACE_COLUMNS, "display_lon", "display_lat", "display_precision",
                                      "has_area", "stale", "pending"])
        return gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs=WGS84_CRS), crs=WGS84_CRS)
    df = places.reset_index(drop=True).copy()
    areas = [area_geometry(a) for a in df["area"]]
    probe = df.rename(columns={"place_id": "site_id"})[["site_id", "town_code", "lon", "lat", "precision"]].copy()
    for i, geom in enumerate(areas):
        if geom is not None and pd.isna(probe.at[i, "lon"]):
            point = geom.representative_point()
            probe.at[i, "lon"], probe.at[i, "lat"] = point.x, point.y
    extra = 0
    if occupied is not None and len(occupied):
        pts = occupied[["display_lon", "display_lat"]].dropna()
        extra = len(pts)
        probe = pd.concat([probe, pd.DataFrame({"site_id": [f"\x00{i}" for i in range(extra)], "town_code": None,
                                                 "lon": pts["display_lon"].to_numpy(), "lat": pts["display_lat"].to_numpy(),
                                                 "precision": "exact"})], ignore_index=True)
    placed = locate.locate_sites(probe, zones, towns).iloc[: len(df)].reset_index(drop=True)
    df["display_lon"] = placed["display_lon"].to_numpy()
    df["display_lat"] = placed["display_lat"].to_numpy()
    df["display_precision"] = placed["display_precision"].to_numpy()
    df["has_area"] = [g is not None for g in areas]
    today = today or dt.date.today()
    df["stale"] = freshness.stale_flags(df, today, months).to_numpy()
    df["pending"] = df["claim_status"].notna().to_numpy()
    geoms = [a if a is not None else p for a, p in zip(areas, placed.geometry, strict=True)]
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(np.array(geoms, dtype=object), crs=WGS84_CRS),
                            crs=WGS84_CRS)
