"""Figure 4: assigning points to towns — ``geodata.assign_towns`` (vectorised) vs a per-point
shapely loop (``Point`` + ``zone.contains`` for each zone in turn), the loop timed on a sample and
scaled linearly to the full count.  Both answers are compared on the sample: a fast wrong answer
would not count."""
from __future__ import annotations

from typing import Any

import numpy as np
from shapely.geometry import Point

from bench.core import Figure, Goal, best_time, fmt_n, fmt_ratio, fmt_s
from bench.synthetic import SEED, sample_points


def loop_assign(lon: np.ndarray, lat: np.ndarray, zones: Any) -> list[str | None]:
    """The per-point baseline: for each point, the first zone whose polygon contains it."""
    geoms = list(zones.geometry)
    codes = [str(c) for c in zones["town_code"]]
    out: list[str | None] = []
    for x, y in zip(lon, lat, strict=False):
        p = Point(x, y)
        for code, g in zip(codes, geoms, strict=False):
            if g.contains(p):
                out.append(code)
                break
        else:
            out.append(None)
    return out


def measure(n_points: int, loop_sample: int, *, repeats: int) -> dict[str, Any]:
    from wufei_geo import geodata

    zones = geodata.load_default_zones()
    rng = np.random.default_rng(SEED + 4)
    lon, lat = sample_points(n_points, rng)
    vec_s, codes = best_time(lambda: geodata.assign_towns(lon, lat, zones), repeats)
    k = min(loop_sample, n_points)
    loop_s, loop_codes = best_time(lambda: loop_assign(lon[:k], lat[:k], zones), 1)
    vec_sample = [None if c is None else str(c) for c in codes[:k]]
    disagree = sum(a != b for a, b in zip(vec_sample, loop_codes, strict=False))
    return {
        "n_points": n_points,
        "zones": len(zones),
        "vectorised_s": vec_s,
        "loop_sample": k,
        "loop_sample_s": loop_s,
        "loop_scaled_s": loop_s * n_points / k,
        "disagreements": disagree,
        "unassigned": int(sum(c is None for c in codes)),
    }


def figure(raw: dict[str, Any]) -> Figure:
    ratio = raw["loop_scaled_s"] / raw["vectorised_s"] if raw["vectorised_s"] else None
    fig = Figure(
        key="4 assign",
        title=f"4. Assigning {fmt_n(raw['n_points'])} points to towns",
        columns=["points", "zones", "assign_towns (vectorised)", "per-point loop (scaled)", "speed-up", "loop sample", "disagreements on sample", "outside every zone"],
        rows=[
            [
                fmt_n(raw["n_points"]),
                str(raw["zones"]),
                fmt_s(raw["vectorised_s"]),
                fmt_s(raw["loop_scaled_s"]),
                fmt_ratio(ratio),
                f"{fmt_n(raw['loop_sample'])} pts in {fmt_s(raw['loop_sample_s'])}",
                str(raw["disagreements"]),
                fmt_n(raw["unassigned"]),
            ]
        ],
        raw=raw,
    )
    fig.goals.append(
        Goal(
            f"{fmt_n(raw['n_points'])} point-to-town assignments ≥ 50× faster than the loop",
            fmt_ratio(ratio),
            None if ratio is None or raw["n_points"] < 1_000_000 else (ratio >= 50 and raw["disagreements"] == 0),
        )
    )
    fig.notes.append(
        "points uniform inside the district outline (fixed seed); default (approximate) town zones; "
        "the loop is timed once on the first points and scaled linearly to the full count; "
        "the goal counts only at 1,000,000 points and only if both methods agree on the sample."
    )
    return fig
