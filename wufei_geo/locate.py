"""Where each site's marker goes, and how precise that placement is.

* A stored coordinate (``lon``/``lat``, WGS-84) is used as is, with the stored precision.
* A site with a town but no coordinate goes to the town seat (``display_precision="town"``,
  even if the site was described to the village: what is *shown* is the town seat).
* A site without a town is known only to the district (``display_precision="district"``) or
  not at all (``"unknown"``, precision unknown or missing).  Neither gets a marker (null
  geometry): a point at the district seat would be an invented place.  Only with
  ``placeholder_points=True`` (the ``--placeholder-points`` option, the old drawing) are the
  district-level ones spread around the district seat.
* Several markers at one seat are spread deterministically (sorted by ``site_id``) on rings of
  about 350 m, 700 m, … around the seat, keeping every marker inside its zone and at least
  ``MIN_GAP_M`` from every other marker, so none hide each other.
* When a town's markers do not all fit (hundreds of town-only sites, or a zone already covered
  by located sites), placement degrades instead of failing: the town's sites become one counted
  marker at the seat (``STACK_COLUMN``).  The cost is bounded whatever the data holds.

All measuring is done in ``crs.METRIC_CRS``; output is in ``crs.WGS84_CRS``.  Zones without a CRS
are refused, never assumed WGS-84 (the CRS rule of ``crs.py``).
"""
from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from wufei_geo.crs import METRIC_CRS, WGS84_CRS, to_metric_frame
from wufei_geo.model import PRECISIONS
from wufei_geo.values import is_unknown

RING_STEP_M = 350.0  # radius step between rings of spread markers
RING_SPACING_M = 300.0  # arc spacing of positions on a ring
MIN_GAP_M = 150.0  # no two spread markers closer than this
EDGE_MARGIN_M = 100.0  # keep spread markers this far inside their zone
MAX_RINGS = 60
# How many sites share a marker: 1 for a site's own marker; N for each of the N sites of a town
# whose markers could not all be spread (too many for the zone, or the zone already full of
# located sites): they are then drawn as ONE counted marker at the town's anchor, and the
# frame's ``attrs["stacked"]`` maps the town code ("" = district) to that count.
STACK_COLUMN = "stack_size"

_TO_M = Transformer.from_crs(WGS84_CRS, METRIC_CRS, always_xy=True)
_TO_DEG = Transformer.from_crs(METRIC_CRS, WGS84_CRS, always_xy=True)


_is_blank = is_unknown  # the one "is unknown" rule (wufei_geo/values.py)


def _candidates(anchor: tuple[float, float]) -> np.ndarray:
    """Anchor first, then rings of positions around it (deterministic order), as an (n, 2) array.

    Positions of one anchor are at least ``MIN_GAP_M`` apart from each other (arc spacing ≥
    ``RING_SPACING_M``, rings ``RING_STEP_M`` apart), so only other markers need checking; there
    are at most about 13,000 of them (``MAX_RINGS``): the cost of a town is bounded whatever it holds."""
    xs, ys = [np.array([anchor[0]])], [np.array([anchor[1]])]
    for ring in range(1, MAX_RINGS + 1):
        r = ring * RING_STEP_M
        n = max(6, int(2 * math.pi * r / RING_SPACING_M))
        a = ring * 0.5 + 2 * math.pi * np.arange(n) / n  # rotate successive rings so they do not line up
        xs.append(anchor[0] + r * np.cos(a))
        ys.append(anchor[1] + r * np.sin(a))
    return np.column_stack([np.concatenate(xs), np.concatenate(ys)])


def _spread(anchor: tuple[float, float], count: int, area: shapely.Geometry | None,
            located: shapely.STRtree | None, spread: list[tuple[float, float]],
            inner: shapely.Geometry | None = None) -> list[tuple[float, float]] | None:
    """``count`` positions around ``anchor`` inside ``area`` (``EDGE_MARGIN_M`` in where the zone
    allows) and ``MIN_GAP_M`` from every located and already spread marker; None when they do not
    all fit (the caller then stacks the town's sites into one counted marker)."""
    cands = _candidates(anchor)
    if count > len(cands):
        return None
    keep = np.ones(len(cands), dtype=bool)
    if area is not None and not area.is_empty:
        inner = area.buffer(-EDGE_MARGIN_M) if inner is None else inner
        if inner.is_empty or not inner.contains(shapely.Point(anchor)):
            inner = area
        shapely.prepare(inner)
        keep[1:] = shapely.contains_xy(inner, cands[1:, 0], cands[1:, 1])  # the anchor itself may sit anywhere
    cands = cands[keep]
    if located is not None and len(cands):
        hit = located.query(shapely.points(cands), predicate="dwithin", distance=MIN_GAP_M * (1 - 1e-9))[0]
        cands = np.delete(cands, np.unique(hit), axis=0)
    if spread and len(cands):
        pts = np.asarray(spread, dtype=float)
        near = np.zeros(len(cands), dtype=bool)
        for start in range(0, len(pts), 512):  # bounded memory: 512 markers at a time
            chunk = pts[start:start + 512]
            d = np.hypot(cands[:, None, 0] - chunk[None, :, 0], cands[:, None, 1] - chunk[None, :, 1])
            near |= (d < MIN_GAP_M).any(axis=1)
        cands = cands[~near]
    if len(cands) < count:
        return None
    return [(float(x), float(y)) for x, y in cands[:count]]


def locate_sites(
    sites: pd.DataFrame,
    zones: gpd.GeoDataFrame,
    gazetteer: pd.DataFrame,
    district_seat: tuple[float, float] | None = None,
    district: gpd.GeoDataFrame | None = None,
    *,
    placeholder_points: bool = False,
) -> gpd.GeoDataFrame:
    """Add ``display_lon, display_lat, display_precision`` and a Point geometry (``crs.WGS84_CRS``).

    ``sites`` needs ``site_id, town_code, lon, lat, precision`` (lon/lat WGS-84, may be null);
    ``zones`` the town zones in use (approximate or official; ``town_code`` + geometry);
    ``gazetteer`` the towns with ``town_code, seat_lon, seat_lat``.  ``district_seat`` and
    ``district`` default to the bundled ones.  The input frame is not modified.
    ``placeholder_points``: also place district-level sites (no town, no coordinate) at made-up
    points around the district seat; by default they have no point.
    """
    if district_seat is None or district is None:
        from wufei_geo import geodata

        district_seat = district_seat or geodata.district_seat()
        district = district if district is not None else geodata.load_district()

    df = sites.copy()
    n = len(df)
    lon = pd.to_numeric(_column(df, "lon", np.nan), errors="coerce").to_numpy(float)
    lat = pd.to_numeric(_column(df, "lat", np.nan), errors="coerce").to_numpy(float)
    prec = [None if _is_blank(p) else str(p) for p in _column(df, "precision", None)]
    towns = [None if _is_blank(t) else str(t) for t in _column(df, "town_code", None)]
    ids = [str(s) for s in df["site_id"]]

    disp_x, disp_y = np.full(n, np.nan), np.full(n, np.nan)
    disp_p = np.full(n, None, dtype=object)
    has_xy = np.isfinite(lon) & np.isfinite(lat)
    disp_x[has_xy], disp_y[has_xy] = lon[has_xy], lat[has_xy]
    for i in np.flatnonzero(has_xy):
        disp_p[i] = prec[i] if prec[i] in PRECISIONS else "unknown"

    seats = {str(c): (float(x), float(y)) for c, x, y in zip(gazetteer["town_code"], gazetteer["seat_lon"],
                                                             gazetteer["seat_lat"], strict=False)}
    groups = _anchor_groups(np.flatnonzero(~has_xy), towns, prec, seats, placeholder_points, disp_p)
    located = None
    if has_xy.any():
        ex, ey = _TO_M.transform(lon[has_xy], lat[has_xy])
        located = shapely.STRtree(shapely.points(np.atleast_1d(ex), np.atleast_1d(ey)))
    spread: list[tuple[float, float]] = []
    stack = np.ones(n, dtype=np.int64)
    stacked: dict[str, int] = {}
    zone_geom_m, district_m, inners = _metric_areas(zones, district)
    for key in sorted(groups, key=lambda k: (k == "", k)):  # towns by code, district last
        members = sorted(groups[key], key=lambda i: ids[i])
        if key:
            area = zone_geom_m.get(key, district_m)
            anchor = _TO_M.transform(*seats[key])
            if area is not None and not area.contains(shapely.Point(anchor)):
                anchor = area.point_on_surface().coords[0]  # official zone that misses the seat
        else:
            area, anchor = district_m, _TO_M.transform(*district_seat)
        inner = None
        if area is not None and not area.is_empty:
            if key not in inners:
                shrunk = area.buffer(-EDGE_MARGIN_M)
                shapely.prepare(shrunk)  # before it is shared (preparing is not thread-safe)
                inners[key] = shrunk
            inner = inners[key]
        spots = _spread(tuple(anchor), len(members), area, located, spread, inner)
        if spots is None:  # they do not fit: one counted marker at the anchor (see STACK_COLUMN)
            spots = [tuple(anchor)] * len(members)
            stack[members] = len(members)
            stacked[key] = len(members)
        else:
            spread.extend(spots)
        xs, ys = _TO_DEG.transform([p[0] for p in spots], [p[1] for p in spots])
        for i, x, y in zip(members, np.atleast_1d(xs), np.atleast_1d(ys), strict=False):
            disp_x[i], disp_y[i], disp_p[i] = x, y, "town" if key else "district"

    df["display_lon"] = disp_x
    df["display_lat"] = disp_y
    df["display_precision"] = disp_p
    df[STACK_COLUMN] = stack
    shown = np.isfinite(disp_x) & np.isfinite(disp_y)
    geom = np.full(n, None, dtype=object)
    geom[shown] = shapely.points(disp_x[shown], disp_y[shown])
    out = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geom, index=df.index, crs=WGS84_CRS), crs=WGS84_CRS)
    out.attrs["stacked"] = stacked
    return out


def _column(df: pd.DataFrame, name: str, missing: object) -> pd.Series:
    """``df[name]``, or a column of ``missing`` when the frame has none."""
    return df[name] if name in df.columns else pd.Series([missing] * len(df), index=df.index)


def _anchor_groups(unplaced: np.ndarray, towns: list[str | None], prec: list[str | None], seats: dict,
                   placeholder_points: bool, disp_p: np.ndarray) -> dict[str, list[int]]:
    """The sites without a coordinate grouped by where they are anchored (town code; "" = district
    level); those that get no marker have their ``disp_p`` set here."""
    groups: dict[str, list[int]] = {}
    for i in unplaced:
        t = towns[i]
        if t is not None and t in seats:
            groups.setdefault(t, []).append(i)
        elif prec[i] in (None, "unknown"):
            disp_p[i] = "unknown"  # nothing known: no marker
        elif not placeholder_points:
            disp_p[i] = "district"  # somewhere in the district: no marker (no invented place)
        else:
            groups.setdefault("", []).append(i)  # district level
    return groups


# What placement derives from zones that carry a content digest (``attrs["digest"]``, set by the
# catalog for stored zones): their metric geometry and inner buffers, computed once per content
# (issue 27: with the finest accepted boundary file they cost seconds on every load).
_DERIVED: dict[str, tuple[dict, Any, dict]] = {}


def _metric_areas(zones: gpd.GeoDataFrame | None, district: gpd.GeoDataFrame | None) -> tuple[dict, Any, dict]:
    """(town code → its zone in metres, the district in metres or None, a memo of inner buffers by
    town code); kept per zones digest and district."""
    digest = zones.attrs.get("digest") if zones is not None else None
    if digest and district is not None and len(district):
        import hashlib

        key = digest + hashlib.sha256(shapely.to_wkb(district.geometry.iloc[0])).hexdigest()
        if key not in _DERIVED:
            if len(_DERIVED) > 2:
                _DERIVED.clear()
            _DERIVED[key] = (*_compute_metric_areas(zones, district), {})
        return _DERIVED[key]
    return (*_compute_metric_areas(zones, district), {})


def _compute_metric_areas(zones: gpd.GeoDataFrame | None, district: gpd.GeoDataFrame | None) -> tuple[dict, Any]:
    zone_geom_m: dict[str, Any] = {}
    if zones is not None and len(zones):
        zm = to_metric_frame(zones, "the town zones")
        for code, g in zip(zm["town_code"].astype(str), zm.geometry, strict=False):
            zone_geom_m[code] = g if code not in zone_geom_m else zone_geom_m[code].union(g)
    district_m = to_metric_frame(district, "the district outline").geometry.iloc[0] if district is not None and len(district) else None
    return zone_geom_m, district_m
