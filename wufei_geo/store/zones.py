"""Town zones in the database: the official boundaries when imported (``zones``,
``replace_zones`` — checked as a whole set first) and a town's current zone for the plausibility
rule of an official's move (``own_zone``: official if imported, else the approximate one)."""
from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import sqlalchemy as sa
from shapely.geometry import mapping, shape
from sqlalchemy.engine import Connection

from wufei_geo import auth, boundaries, db, geodata
from wufei_geo.auth import Actor
from wufei_geo.crs import METRIC_CRS, WGS84_CRS
from wufei_geo.errors import Finding, ValidationError
from wufei_geo.store import audit
from wufei_geo.store.session import Session
from wufei_geo.store.values import clean


def own_zone(conn: Connection, town_code: str | None) -> tuple[Any, str | None]:
    """The polygon of ``town_code``'s current zone (official boundary if imported, else the
    approximate zone) and its quality; (None, None) when there is none."""
    if not town_code:
        return None, None
    row = conn.execute(sa.select(db.zones.c.geometry, db.zones.c.boundary_quality)
                       .where(db.zones.c.town_code == town_code)).first()
    if row is not None:
        return shape(json.loads(row[0])), row[1]
    if conn.execute(sa.select(sa.func.count()).select_from(db.zones)).scalar():
        return None, None  # official zones imported, but none for this code
    zones = geodata.load_default_zones()
    hit = zones[zones["town_code"].astype(str) == str(town_code)]
    if not len(hit):
        return None, None
    quality = str(hit["boundary_quality"].iloc[0]) if "boundary_quality" in hit.columns else "approximate"
    return hit.geometry.iloc[0], quality


def _zone_set_problems(codes: list[str], gdf: gpd.GeoDataFrame) -> list[Finding]:
    """Every town once, no unknown codes, a valid polygon each."""
    problems: list[Finding] = []
    if len(set(codes)) != len(codes):
        problems.append(Finding(key="problem.zones.duplicate_codes",
                                params={"codes": ", ".join(sorted({c for c in codes if codes.count(c) > 1}))}))
    known = auth.known_town_codes()
    if known is not None:
        missing, unknown = sorted(known - set(codes)), sorted(set(codes) - known)
        if missing:
            problems.append(Finding(key="problem.zones.missing_towns", params={"codes": ", ".join(missing)}))
        if unknown:
            problems.append(Finding(key="problem.zones.unknown_codes", params={"codes": ", ".join(unknown)}))
    elif len(set(codes)) != 11:
        problems.append(Finding(key="problem.zones.count", params={"n": len(set(codes))}))
    for code, geom in zip(codes, gdf.geometry, strict=False):
        if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon") or not geom.is_valid:
            problems.append(Finding(key="problem.zones.bad_geometry", params={"code": code}))
    return problems


def _checked_zones(zones: Any, accept_warnings: bool) -> gpd.GeoDataFrame:
    """The zones in WGS-84 (``WGS84_CRS``) once every check passed; ValidationError naming every problem."""
    if not isinstance(zones, gpd.GeoDataFrame) or "town_code" not in zones.columns:
        raise ValidationError(key="error.zones_frame")
    if zones.crs is None:
        raise ValidationError(key="error.zones_no_crs")
    gdf = zones.to_crs(WGS84_CRS)
    problems = _zone_set_problems([str(c) for c in gdf["town_code"]], gdf)
    if problems:
        raise ValidationError(key="error.zones_refused", params={"problems": problems})
    # the zones as a whole (issue 15): seats, areas, overlaps, cover, datum shift, vertices —
    # problems refuse; warnings only with the administrator's explicit confirmation
    whole, warnings = boundaries.check_whole(gdf)
    if whole:
        raise ValidationError(key="error.zones_refused", params={"problems": whole})  # worded per reader
    if warnings and not accept_warnings:
        raise ValidationError(key="error.zones_warnings", params={"warnings": warnings})
    return gdf


class Zones(Session):
    """The official town zones."""

    def zones(self) -> Any:
        """Official town zones (GeoDataFrame, WGS-84) when imported, else None."""
        rows = self.read(lambda c: c.execute(sa.select(db.zones).order_by(db.zones.c.town_code)).mappings().all())
        if not rows:
            return None
        data = [{k: v for k, v in r.items() if k != "geometry"} for r in rows]
        geoms = [shape(json.loads(r["geometry"])) for r in rows]
        return gpd.GeoDataFrame(data, geometry=geoms, crs=WGS84_CRS)

    def replace_zones(self, actor: Actor | None, zones: Any, source: str | None = None,
                      accept_warnings: bool = False) -> None:
        """Replace all town zones at once (administrator, or ``actor=None`` = local command line).

        ``zones``: a GeoDataFrame with ``town_code`` and polygon geometry for every one of the
        11 towns (other columns optional).  Areas are recomputed in ``crs.METRIC_CRS``.  One audit row
        per town.  The zones are checked as a whole (``boundaries.check_whole``): problems refuse,
        warnings refuse unless ``accept_warnings`` (the administrator confirmed them).
        """
        gdf = _checked_zones(zones, accept_warnings)
        codes = [str(c) for c in gdf["town_code"]]
        areas = gdf.to_crs(METRIC_CRS).area / 1e6
        source = source or (str(gdf["source"].iloc[0]) if "source" in gdf.columns else None)

        def col(name: str, i: int) -> Any:
            return clean(gdf[name].iloc[i]) if name in gdf.columns else None

        texts = [json.dumps(mapping(g)) for g in gdf.geometry]

        def work(conn: Connection) -> None:
            now = self.now()
            by = auth.require_admin(conn, actor, now, self.settings)
            old = {r["town_code"]: r for r in conn.execute(sa.select(db.zones)).mappings()}
            conn.execute(sa.delete(db.zones))
            # checked as a whole above: readers need not check them again (issue 27)
            conn.execute(sa.delete(db.meta).where(db.meta.c.key == boundaries.CHECKED_ZONES_META_KEY))
            conn.execute(sa.insert(db.meta).values(key=boundaries.CHECKED_ZONES_META_KEY,
                                                   value=boundaries.stored_zones_digest(list(zip(codes, texts, strict=True)))))
            for i, code in enumerate(codes):
                quality = col("boundary_quality", i) or "official"
                area = round(float(areas.iloc[i]), 3)
                conn.execute(
                    sa.insert(db.zones).values(
                        town_code=code, name_zh=col("name_zh", i), name_en=col("name_en", i),
                        boundary_quality=quality, area_km2=area,
                        geometry=texts[i], source=source, imported_at=now,
                    )
                )
                prev = old.get(code)
                audit.record(
                    conn, now, by, None, code, "replace_zones", "boundary",
                    f"{prev['boundary_quality']} {prev['area_km2']} km²" if prev else None,
                    f"{quality} {area} km²", source, None,
                )

        self.run_write(work)
