"""Service links: a line from each transfer station to the seat of every town it serves."""
from __future__ import annotations

import numpy as np
import pandas as pd

from wufei_geo.i18n import t
from wufei_geo.mapview.geometry import mapped_sites, to_display_datum
from wufei_geo.values import is_unknown

COORD_DECIMALS = 6


def service_links(
    sites: pd.DataFrame,
    towns: pd.DataFrame | None,
    zones: pd.DataFrame | None,
    names: dict[str, str],
    lang: str = "zh",
    basemap: str = "none",
) -> list[dict]:
    """LineString features from each transfer station with ``served_towns`` to the served towns' seats.

    Seats come from the gazetteer (``seat_lon``/``seat_lat``); a town missing there falls back to
    a point inside its zone.  Stations without a display point draw no link."""
    seats: dict[str, tuple[float, float]] = {}
    if zones is not None and len(zones):
        for code, geom in zip(zones["town_code"], zones.geometry, strict=False):
            if geom is not None and not geom.is_empty:
                p = geom.representative_point()
                seats[str(code)] = (p.x, p.y)
    if towns is not None and len(towns) and {"seat_lon", "seat_lat"} <= set(towns.columns):
        code_col = "town_code"  # the gazetteer's column, named when it is read (geodata.TOWN_CODE)
        for code, x, y in zip(towns[code_col], towns["seat_lon"], towns["seat_lat"], strict=False):
            if not (is_unknown(x) or is_unknown(y)):
                seats[str(code)] = (float(x), float(y))
    stations = mapped_sites(sites)
    if len(stations) == 0 or "served_towns" not in stations.columns:
        return []
    stations = stations[(stations["category"] == "transfer_station") & stations["served_towns"].notna()]
    name_col = "name_en" if lang == "en" else "name_zh"
    out = []
    for row in stations.itertuples(index=False):
        station_name = getattr(row, name_col, None)
        if is_unknown(station_name):
            station_name = row.name_zh
        for code in (c.strip() for c in str(row.served_towns).split(";")):
            if not code or code not in seats:
                continue
            xs = np.array([float(row.display_lon), seats[code][0]])
            ys = np.array([float(row.display_lat), seats[code][1]])
            xs, ys = to_display_datum(xs, ys, basemap)
            out.append(
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "LineString",
                        "coordinates": [[round(float(x), COORD_DECIMALS), round(float(y), COORD_DECIMALS)] for x, y in zip(xs, ys, strict=False)],
                    },
                    "properties": {
                        "label": t("map.served_by", lang, station=station_name, town=names.get(code, code)),
                        "site_id": str(row.site_id),  # the map hides the link with its station
                    },
                }
            )
    return out
