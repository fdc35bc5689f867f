"""Figures 1 and 2: map build time and HTML bytes (ours vs naive folium), and bytes per site vs
the essential bytes of a site.

"Build" is everything between a site frame and the HTML a browser receives: constructing the
``folium.Map`` *and* ``m.get_root().render()`` (folium defers most work to rendering, so timing
the constructor alone would flatter the naive baseline and ours alike).
"""
from __future__ import annotations

import html
import json
import math
import time
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from bench.core import Figure, Goal, best_time, fmt_bytes, fmt_n, fmt_ratio, fmt_s
from bench.synthetic import synthetic_sites

# Centre of the district for the naive map (it frames the same area as ours).
_CENTRE = (31.13, 121.08)


def naive_map(sites: pd.DataFrame) -> folium.Map:
    """The baseline people write first: one ``folium.Marker`` with an HTML popup and a tooltip per site."""
    m = folium.Map(location=_CENTRE, zoom_start=11, tiles=None)
    located = sites[sites["display_lon"].notna() & sites["display_lat"].notna()]
    for row in located.itertuples(index=False):
        cap = "未知" if pd.isna(row.capacity_norm) else f"{row.capacity_norm:g} {row.capacity_norm_unit}"
        popup = (
            f"<b>{html.escape(str(row.name_zh))}</b><br>"
            f"编号：{html.escape(str(row.site_id))}<br>"
            f"类别：{html.escape(str(row.category))}<br>"
            f"状态：{html.escape(str(row.status))}<br>"
            f"能力：{html.escape(cap)}<br>"
            f"位置精度：{html.escape(str(row.display_precision))}"
        )
        folium.Marker(
            [row.display_lat, row.display_lon],
            popup=folium.Popup(popup, max_width=300),
            tooltip=html.escape(str(row.name_zh)),
        ).add_to(m)
    return m


def essential_bytes(sites: pd.DataFrame) -> int:
    """UTF-8 bytes of the compact JSON array ``[lon, lat, category, status, capacity, name]`` of
    every located site, coordinates to 1e-5° (≈1 m): the floor any map encoding must pay."""
    located = sites[sites["display_lon"].notna() & sites["display_lat"].notna()]
    total = 0
    for lon, lat, cat, status, cap, name in zip(
        located["display_lon"],
        located["display_lat"],
        located["category"],
        located["status"],
        located["capacity_norm"],
        located["name_zh"], strict=False,
    ):
        rec = [round(float(lon), 5), round(float(lat), 5), cat, status, None if pd.isna(cap) else float(cap), name]
        total += len(json.dumps(rec, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    return total


def n_located(sites: pd.DataFrame) -> int:
    return int((sites["display_lon"].notna() & sites["display_lat"].notna()).sum())


def geography() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """(zones, district) as the app passes them to ``build_map``."""
    from wufei_geo import geodata

    return geodata.load_default_zones(), geodata.load_district()


def ours_available() -> str | None:
    """None when ``mapview.build_map`` and the geodata it needs import; else why not."""
    try:
        from wufei_geo import mapview  # noqa: F401

        geography()
    except Exception as exc:  # noqa: BLE001 - any failure means the figure cannot be measured
        return f"{type(exc).__name__}: {exc}"
    return None


def _render(m: folium.Map) -> int:
    return len(m.get_root().render().encode("utf-8"))


def measure(ns: list[int], *, repeats: int, naive_max: int) -> dict[str, Any]:
    """Build + render time and HTML bytes for each N, ours and naive (naive up to ``naive_max``)."""
    why_not = ours_available()
    out: dict[str, Any] = {"ours_error": why_not, "sizes": {}}
    if why_not is None:
        from wufei_geo import mapview

        zones, district = geography()
    for n in ns:
        sites = synthetic_sites(n)
        row: dict[str, Any] = {"n": n, "markers": n_located(sites), "essential": essential_bytes(sites)}
        reps = repeats if n <= 10_000 else 1
        if why_not is None:
            t, size = best_time(
                lambda sites=sites: _render(mapview.build_map(sites, zones, district, basemap="none", lang="zh")), reps
            )
            row["ours_s"], row["ours_bytes"] = t, size
        if n <= naive_max:
            t0 = time.perf_counter()
            t, size = best_time(lambda sites=sites: _render(naive_map(sites)), 1 if n >= 10_000 else reps)
            row["naive_s"], row["naive_bytes"] = t, size
            row["naive_wall_s"] = time.perf_counter() - t0
        out["sizes"][n] = row
    return out


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def figure_build(raw: dict[str, Any]) -> Figure:
    fig = Figure(
        key="1 build",
        title="1. Map build time and HTML bytes — ours vs naive per-marker folium",
        columns=["sites", "markers", "ours build+render", "naive build+render", "speed-up", "ours HTML", "naive HTML", "smaller by"],
        raw=raw,
    )
    if raw["ours_error"]:
        fig.notes.append(f"wufei_geo.mapview.build_map could not be measured: {raw['ours_error']}")
    sizes = raw["sizes"]
    for n, r in sizes.items():
        fig.rows.append(
            [
                fmt_n(n),
                fmt_n(r["markers"]),
                fmt_s(r.get("ours_s")),
                fmt_s(r.get("naive_s")),
                fmt_ratio(_ratio(r.get("naive_s"), r.get("ours_s"))),
                fmt_bytes(r.get("ours_bytes")),
                fmt_bytes(r.get("naive_bytes")),
                fmt_ratio(_ratio(r.get("naive_bytes"), r.get("ours_bytes"))),
            ]
        )
    r10 = sizes.get(10_000)
    if r10:
        speed = _ratio(r10.get("naive_s"), r10.get("ours_s"))
        small = _ratio(r10.get("naive_bytes"), r10.get("ours_bytes"))
        fig.goals.append(Goal("10,000 sites: build ≥ 30× faster than naive", fmt_ratio(speed), None if speed is None else speed >= 30))
        fig.goals.append(Goal("10,000 sites: HTML ≥ 10× smaller than naive", fmt_ratio(small), None if small is None else small >= 10))
    r100 = sizes.get(100_000)
    if r10 and r100 and r10.get("ours_s") and r100.get("ours_s"):
        growth_t = r100["ours_s"] / r10["ours_s"]
        growth_b = r100["ours_bytes"] / r10["ours_bytes"]
        n_ratio = 100_000 / 10_000
        fig.goals.append(
            Goal(
                "10,000 → 100,000 sites: build time grows no worse than linearly (≤ 10×)",
                f"{growth_t:.2f}× for 10× the sites",
                growth_t <= n_ratio,
            )
        )
        fig.goals.append(
            Goal(
                "10,000 → 100,000 sites: HTML grows no worse than linearly (≤ 10×)",
                f"{growth_b:.2f}× for 10× the sites",
                growth_b <= n_ratio,
            )
        )
    fig.notes.append(
        "build+render = constructing the folium.Map plus m.get_root().render(), best of 3 up to 10,000 "
        "sites (1 repeat for the naive map at 10,000 and for 100,000); HTML bytes are UTF-8; basemap 'none' "
        "for ours, tiles=None for the naive map; the naive baseline is not run above 10,000 sites."
    )
    return fig


def figure_bytes(raw: dict[str, Any]) -> Figure:
    fig = Figure(
        key="2 bytes/site",
        title="2. HTML bytes per site vs the essential bytes of a site",
        columns=["sites", "essential B/site", "ours B/site", "ours ÷ essential", "ours marginal B/site", "naive B/site", "naive ÷ essential"],
        raw=raw,
    )
    sizes = raw["sizes"]
    ns = sorted(sizes)
    smallest = sizes[ns[0]] if ns else None
    for n in ns:
        r = sizes[n]
        k = max(r["markers"], 1)
        ess = r["essential"] / k
        ours = r["ours_bytes"] / k if r.get("ours_bytes") else None
        naive = r["naive_bytes"] / k if r.get("naive_bytes") else None
        marginal = None
        if ours is not None and smallest is not None and n != ns[0] and smallest.get("ours_bytes"):
            marginal = (r["ours_bytes"] - smallest["ours_bytes"]) / max(r["markers"] - smallest["markers"], 1)
        r["essential_per_site"], r["ours_per_site"], r["ours_marginal_per_site"] = ess, ours, marginal
        fig.rows.append(
            [
                fmt_n(n),
                f"{ess:.1f}",
                "—" if ours is None else f"{ours:.1f}",
                fmt_ratio(_ratio(ours, ess)),
                "—" if marginal is None else f"{marginal:.1f}",
                "—" if naive is None else f"{naive:.1f}",
                fmt_ratio(_ratio(naive, ess)),
            ]
        )
    r10 = sizes.get(10_000)
    if r10:
        ratio = _ratio(r10.get("ours_per_site"), r10.get("essential_per_site"))
        fig.goals.append(
            Goal(
                "10,000 sites: HTML per site ≤ 3× the essential bytes",
                fmt_ratio(ratio) + ("" if ratio is None else f" ({r10['ours_per_site']:.0f} B vs {r10['essential_per_site']:.0f} B)"),
                None if ratio is None or math.isnan(ratio) else ratio <= 3,
            )
        )
    fig.notes.append(
        "essential bytes = UTF-8 length of the compact JSON array [lon, lat, category, status, capacity, name_zh] "
        "per located site, coordinates rounded to 1e-5°. Per-site figures divide the whole page (fixed parts "
        "included: zones, district, scripts) by the number of markers; 'marginal' is the growth in bytes per "
        "added marker relative to the smallest N."
    )
    return fig
