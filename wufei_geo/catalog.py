"""The located view every reader uses: live sites from the store, placed on the map's geography.

``load_catalog(store)`` joins the store's sites with the geodata (district, towns, zones —
the official boundaries when imported, else the approximate default), places each site
(:mod:`wufei_geo.locate`), and adds the derived flags the map, analysis and exports share
(``overdue``, ``last_change``, ``pending``, ``stale``).  It is the one place that does this join.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from wufei_geo import facilities, freshness, geodata, locate
from wufei_geo.crs import WGS84_CRS
from wufei_geo.errors import Finding
from wufei_geo.freshness import overdue_mask  # the overdue rule (read here as catalog.overdue_mask too)
from wufei_geo.model import PRECISIONS
from wufei_geo.places.located import locate_places
from wufei_geo.places.measures import attach_place_counts
from wufei_geo.places.store import place_book

if TYPE_CHECKING:
    from wufei_geo.store import Store

# Sites that are not expected to reach their target state any more.


@dataclass(frozen=True)
class Catalog:
    sites: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame
    district: gpd.GeoDataFrame
    towns: pd.DataFrame
    targets: list[dict[str, Any]]
    # What could not be used as stored (issue 15: the catalog degrades, it never raises): e.g.
    # official zones that fail the whole-file checks, so the approximate zones are used instead.
    warnings: tuple[Finding, ...] = ()  # worded in the reader's language: i18n.item_text
    # issue 24: the live places, located (wufei_geo.places.located); their counts are in ``targets``
    places: gpd.GeoDataFrame | None = None

    @property
    def zones_are_official(self) -> bool:
        return bool((self.zones["boundary_quality"] == "official").all())


def _last_change_text(change: dict[str, Any] | None) -> str | None:
    if not change:
        return None
    at = change.get("at_local") or change.get("at")
    parts = [str(at) if at else "", str(change.get("user_name") or "")]
    field = change.get("field")
    if field:
        parts.append(f"{field}: {change.get('old_value')} → {change.get('new_value')}")
    return " · ".join(p for p in parts if p) or None


def current_zones(store: Store) -> gpd.GeoDataFrame:
    """The official town boundaries when an administrator imported them and they are usable, else
    the approximate default (see :func:`usable_zones` for why a stored set is not used)."""
    return usable_zones(store)[0]


# content digest of the stored zones → (the zones, their problems): parsed, validated and (unless the
# import already did) checked as a whole once per content and process, not on every load (issue 27:
# the finest accepted boundary file made every catalog load take minutes)
_ZONES_READ: dict[str, tuple[gpd.GeoDataFrame | None, list[Finding]]] = {}


def _stored_zone_problems(store: Store) -> tuple[gpd.GeoDataFrame | None, list[Finding]]:
    """The stored official zones and what makes them unusable ([] when usable).  Never raises:
    the rows are parsed one by one (no Infinity/NaN, valid non-empty polygons), then checked as a
    whole (:func:`wufei_geo.boundaries.check_whole`) unless the store recorded that it checked
    exactly these zones when they were imported.  The result is kept per content digest."""
    import sqlalchemy as sa

    from wufei_geo import boundaries, db

    def _read(conn: Any) -> tuple[list[Any], str | None]:
        rows = conn.execute(sa.select(db.zones).order_by(db.zones.c.town_code)).mappings().all()
        checked = conn.execute(sa.select(db.meta.c.value).where(db.meta.c.key == boundaries.CHECKED_ZONES_META_KEY)).scalar()
        return rows, checked

    try:
        rows, checked = store.read(_read)
    except Exception as exc:  # noqa: BLE001 — an unreadable table degrades like a bad one
        return None, [f"the stored zones cannot be read ({type(exc).__name__})"]
    if not rows:
        return None, []
    digest = boundaries.stored_zones_digest([(r["town_code"], r["geometry"]) for r in rows])
    key = f"{digest}|{checked == digest}"
    if key not in _ZONES_READ:
        if len(_ZONES_READ) > 4:
            _ZONES_READ.clear()
        zones, problems = _parse_zones(rows)
        if zones is not None and not problems:
            zones.attrs["digest"] = digest  # locate keeps what it derives from these zones under it
            problems = [] if checked == digest else _whole_problems(zones)
        _ZONES_READ[key] = (zones, problems)
    return _ZONES_READ[key]


def _parse_zones(rows: list[Any]) -> tuple[gpd.GeoDataFrame | None, list[str]]:
    import json

    import shapely
    from shapely.geometry import shape

    problems: list[Finding] = []
    data, geoms = [], []

    def _no_constants(name: str) -> float:
        raise ValueError(f"{name} is not a coordinate")

    for r in rows:
        code = str(r["town_code"])
        try:
            geom = shape(json.loads(r["geometry"], parse_constant=_no_constants))
        except Exception as exc:  # noqa: BLE001 — any malformed text
            problems.append(Finding(key="problem.zones.unreadable", params={"code": code, "error": str(exc)}))
            continue
        coords = shapely.get_coordinates(geom)
        if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon") or not geom.is_valid \
                or not np.isfinite(coords).all():
            problems.append(Finding(key="problem.zones.stored_invalid", params={"code": code}))
            continue
        data.append({k: v for k, v in r.items() if k != "geometry"})
        geoms.append(geom)
    if problems:
        return None, problems
    return gpd.GeoDataFrame(data, geometry=geoms, crs=WGS84_CRS), []


def _whole_problems(zones: gpd.GeoDataFrame) -> list[Finding]:
    from wufei_geo import boundaries

    known = set(geodata.load_gazetteer().town_code.astype(str))
    missing = known - set(zones.town_code.astype(str))
    if missing:
        return [Finding(key="problem.zones.missing_towns", params={"codes": ", ".join(sorted(missing))})]
    try:
        return boundaries.check_whole(zones)[0]
    except Exception as exc:  # noqa: BLE001
        return [Finding(key="problem.zones.uncheckable", params={"error": f"{type(exc).__name__}: {exc}"})]


def _fallback_warning(problems: list[Finding]) -> Finding:
    """The stored zones are unusable: the first three problems and how many in all."""
    return Finding(key="problem.catalog.zones_unusable", params={"problems": list(problems[:3]), "n": len(problems)})


def usable_zones(store: Store) -> tuple[gpd.GeoDataFrame, list[Finding]]:
    """(zones to place sites with, warnings): the official zones when stored and usable, else the
    approximate default with a warning naming the problems."""
    zones, problems = _stored_zone_problems(store)
    if zones is not None and not problems:
        return zones.copy(), []  # the parsed zones are kept per content: readers get their own frame
    if problems:
        return geodata.load_default_zones(), [_fallback_warning(problems)]
    return geodata.load_default_zones(), []


def _sane_values(sites: pd.DataFrame) -> tuple[pd.DataFrame, list[Finding]]:
    """Stored values no validated path writes (infinite or out-of-range coordinates, non-finite
    capacities) become unknown (null), with a warning naming the sites."""
    sites = sites.copy()
    warnings = []
    lon = pd.to_numeric(sites.get("lon"), errors="coerce")
    lat = pd.to_numeric(sites.get("lat"), errors="coerce")
    bad = (lon.notna() | lat.notna()) & ~(np.isfinite(lon) & np.isfinite(lat) & lon.between(-180, 180) & lat.between(-90, 90))
    if bad.any():
        sites.loc[bad, ["lon", "lat"]] = None
        sites.loc[bad & ~sites["precision"].isin(list(PRECISIONS)), "precision"] = "unknown"
        warnings.append(Finding(key="problem.catalog.bad_coordinates",
                                params={"sites": ", ".join(map(str, sites.loc[bad, "site_id"]))}))
    for col in ("operating_capacity_value", "operating_capacity_norm", "capacity_value", "capacity_norm"):
        if col in sites:
            num = pd.to_numeric(sites[col], errors="coerce")
            nonfinite = sites[col].notna() & ~np.isfinite(num.fillna(0.0))
            if nonfinite.any():
                sites.loc[nonfinite, col] = None
                warnings.append(Finding(key="problem.catalog.non_finite",
                                        params={"column": col, "sites": ", ".join(map(str, sites.loc[nonfinite, "site_id"]))}))
    if "precision" in sites:
        odd = sites["precision"].notna() & ~sites["precision"].isin(list(PRECISIONS))
        if odd.any():
            sites.loc[odd, "precision"] = "unknown"
    return sites, warnings


def _stack_warnings(stacked: dict[str, int], towns: pd.DataFrame) -> list[Finding]:
    """Say which towns' sites are drawn as one counted marker (``locate.STACK_COLUMN``); the town is
    named in the reader's language (``i18n.worded_params`` derives ``town`` from ``town_code``)."""
    return [Finding(key="problem.catalog.stacked_town", params={"count": count, "town_code": code}) if code
            else Finding(key="problem.catalog.stacked_district", params={"count": count})
            for code, count in sorted(stacked.items())]


def load_catalog(store: Store, today: dt.date | None = None, *, placeholder_points: bool = False) -> Catalog:
    """Everything a reader needs, located and flagged, in one object.  Never fails because of what
    the store holds: unusable zones or values degrade to the approximate zones / unknown, and
    ``Catalog.warnings`` says so.  Sites known only to the district get no map point unless
    ``placeholder_points`` (see :func:`wufei_geo.locate.locate_sites`)."""
    zones, warnings = usable_zones(store)
    towns = geodata.load_gazetteer()
    raw, value_warnings = _sane_values(store.sites_frame())
    warnings += value_warnings
    try:
        sites = locate.locate_sites(raw, zones, towns, placeholder_points=placeholder_points)
    except Exception as exc:  # noqa: BLE001 — e.g. markers that cannot be spread inside a tiny zone
        warnings.append(_fallback_warning([Finding(key="problem.zones.cannot_place", params={"error": str(exc)})]))
        zones = geodata.load_default_zones()
        sites = locate.locate_sites(raw, zones, towns, placeholder_points=placeholder_points)
    warnings += _stack_warnings(sites.attrs.get("stacked", {}), towns)
    sites["overdue"] = overdue_mask(sites, today)
    # issue 12: status not confirmed within the configured period (the map badges it; colour stays)
    months = getattr(getattr(store, "settings", None), "status_confirmation_months", freshness.DEFAULT_CONFIRMATION_MONTHS)
    fresh_today = today or (store.today() if hasattr(store, "today") else dt.date.today())
    sites["stale"] = freshness.stale_flags(sites, fresh_today, months).to_numpy() if len(sites) else pd.Series([], dtype=bool)
    changes = store.last_changes()
    sites["last_change"] = [_last_change_text(changes.get(sid)) for sid in sites["site_id"]]
    # 待核实: an edit awaiting a planner's confirmation (its values are not in the site's columns,
    # so not in any total); the map can badge it, ``store.proposals(site_id=...)`` has the details.
    pending = store.pending_site_ids() if hasattr(store, "pending_site_ids") else set()
    sites["pending"] = sites["site_id"].astype(str).isin(pending).astype(bool)
    places = _located_places(store, zones, towns, fresh_today, months, sites)
    return Catalog(
        sites=sites,
        zones=zones,
        district=geodata.load_district(),
        towns=towns,
        targets=attach_place_counts(facilities.load_targets(), places),
        warnings=tuple(warnings),
        places=places,
    )


def _located_places(store: Store, zones: gpd.GeoDataFrame, towns: pd.DataFrame, today: dt.date,
                    months: int, sites: pd.DataFrame) -> gpd.GeoDataFrame | None:
    """The store's live places, located (None for a store without places, e.g. a test double)."""
    if not hasattr(store, "run_write"):
        return None
    return locate_places(place_book(store).frame(), zones, towns, today, months, occupied=sites)
