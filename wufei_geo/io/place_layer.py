"""The ``places`` export layer (issue 24): the located places in the export schema — every place
column, where the marker sits, the datum — with the place's AREA as geometry where it has one
(else the marker point; none for a district-only place).  :mod:`wufei_geo.io.layers` adds it to
the layers every format writes (GeoJSON, CSV, XLSX, and the GeoPackage's ``places`` layer)."""
from __future__ import annotations

import json
import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from wufei_geo.crs import WGS84_CRS, from_wgs84
from wufei_geo.places.located import area_geometry
from wufei_geo.places.vocab import PLACE_COLUMNS

PLACE_EXTRA_COLUMNS = ("display_lon", "display_lat", "display_precision", "stale", "datum")
PLACE_EXPORT_COLUMNS: tuple[str, ...] = tuple(PLACE_COLUMNS) + PLACE_EXTRA_COLUMNS
LAYER_DESCRIPTION = ("Qingpu zero-waste places (无废城市细胞, 零浪费街区, 教育基地, 示范点, 无废水乡镇); "
                     "geometry = the place's area where known, else its map marker.")

FIELD_DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "place_id": ("场所编号，如 PL-EDU-1", "Place id, e.g. PL-EDU-1"),
    "name_zh": ("场所名称（中文）", "Place name (Chinese)"),
    "name_en": ("场所名称（英文）", "Place name (English)"),
    "place_type": ("场所类型代码（无废细胞各类、zero_waste_block 零浪费街区、education_base 教育基地、showcase 示范点、"
                   "water_town 无废水乡镇）", "Place type code (cell_*, zero_waste_block, education_base, showcase, "
                   "water_town)"),
    "town_code": ("街镇统计代码（9位），未知为空", "Town statistical code (9 digits); empty when unknown"),
    "address": ("地址（如有）", "Address as given"),
    "lon": ("存储的经度（未知为空）", "Stored longitude (empty when not known)"),
    "lat": ("存储的纬度（未知为空）", "Stored latitude (empty when not known)"),
    "area": ("范围（GeoJSON 面，WGS-84），无则为空", "Outline as GeoJSON (WGS-84); empty when none"),
    "precision": ("位置精度：exact/address/village/town/district/unknown", "Location precision"),
    "location_source": ("位置来源", "Where the location comes from"),
    "status": ("状态：planned 规划中、creating 创建中、built 已建成、named 已命名/通过验收、withdrawn 已撤销",
               "Status: planned, creating, built, named, withdrawn"),
    "status_as_of": ("达到当前状态的日期", "Date the current status was reached"),
    "status_source": ("当前状态的来源或证明材料", "Source or evidence of the current status"),
    "status_log": ("状态记录（JSON：每个状态的日期、来源、填报人、核准人）",
                   "Status log (JSON: every status with its date, source, who, approver)"),
    "status_confirmed_at": ("最近一次确认状态的时间（UTC）", "When the status was last confirmed (UTC)"),
    "status_confirmed_by": ("确认人", "Who confirmed it"),
    "approved_by": ("核准已建成/已命名的规划人员", "The planner who approved the counted status"),
    "approved_at": ("核准时间（UTC）", "When it was approved (UTC)"),
    "claim_status": ("待核实：街镇申报、待规划人员核准的状态", "待核实: a status an official claims, awaiting a planner"),
    "claim_source": ("申报的来源或证明材料", "Source or evidence of the claim"),
    "claim_as_of": ("申报状态的日期", "Date of the claimed status"),
    "claim_note": ("申报说明", "The claim's note"),
    "claim_by": ("申报人", "Who claimed it"),
    "claim_at": ("申报时间（UTC）", "When it was claimed (UTC)"),
    "responsible_unit": ("责任单位", "Responsible unit"),
    "source_ref": ("规划出处", "Where the plan names it"),
    "data_note": ("数据说明", "Note on the data"),
    "retired": ("是否已删除", "Retired (hidden)"),
    "version": ("版本号（每次修改加 1）", "Version (+1 on every change)"),
    "display_lon": ("地图标记经度", "Marker longitude"),
    "display_lat": ("地图标记纬度", "Marker latitude"),
    "display_precision": ("地图标记的精度", "Precision of the marker position"),
    "stale": ("状态超过确认周期未确认", "Status not confirmed within the period"),
    "datum": ("坐标系：wgs84 或 gcj02", "Datum of the coordinates: wgs84 or gcj02"),
}


def _shift(lon: Any, lat: Any, datum: str) -> tuple[np.ndarray, np.ndarray]:
    x = pd.to_numeric(pd.Series(lon), errors="coerce").to_numpy(float)
    y = pd.to_numeric(pd.Series(lat), errors="coerce").to_numpy(float)
    if datum == "wgs84" or not len(x):
        return x, y
    ok = np.isfinite(x) & np.isfinite(y)
    out_x, out_y = x.copy(), y.copy()
    if ok.any():
        sx, sy = from_wgs84(x[ok], y[ok], datum)
        out_x[ok], out_y[ok] = sx, sy
    return out_x, out_y


def _shift_geom(geom: Any, datum: str) -> Any:
    if geom is None or datum == "wgs84":
        return geom

    def move(coords: np.ndarray) -> np.ndarray:
        x, y = from_wgs84(coords[:, 0], coords[:, 1], datum)
        return np.column_stack([x, y])

    return shapely.transform(geom, move)


def places_layer(places: pd.DataFrame | None, datum: str = "wgs84") -> gpd.GeoDataFrame:
    """The places (located: :func:`wufei_geo.places.located.locate_places`) in the export schema."""
    if places is None:
        places = pd.DataFrame(columns=list(PLACE_EXPORT_COLUMNS))
    places = places.reset_index(drop=True)
    frame = pd.DataFrame({c: places[c] if c in places.columns else None for c in PLACE_EXPORT_COLUMNS[:-1]},
                         index=places.index)
    frame["lon"], frame["lat"] = _shift(frame["lon"], frame["lat"], datum)
    frame["display_lon"], frame["display_lat"] = _shift(frame["display_lon"], frame["display_lat"], datum)
    frame["datum"] = datum
    frame["version"] = pd.to_numeric(frame["version"], errors="coerce").astype("Int64")
    for col in ("retired", "stale"):
        frame[col] = frame[col].astype("boolean")
    geoms = []
    for area, x, y in zip(frame["area"], frame["display_lon"], frame["display_lat"], strict=True):
        outline = _shift_geom(area_geometry(area), datum)
        geoms.append(outline if outline is not None else
                     shapely.Point(x, y) if math.isfinite(x) and math.isfinite(y) else None)
    frame["area"] = [json.dumps(shapely.geometry.mapping(g), ensure_ascii=False) if a is not None and g is not None
                     else None for a, g in zip(frame["area"], geoms, strict=True)]
    return gpd.GeoDataFrame(frame[list(PLACE_EXPORT_COLUMNS)], geometry=gpd.GeoSeries(geoms, crs=WGS84_CRS),
                            crs=WGS84_CRS)


def records(table: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """The layer's rows as JSON-able dicts (``places --json``)."""
    out = []
    for row in pd.DataFrame(table.drop(columns="geometry")).to_dict("records"):
        clean = {}
        for k, v in row.items():
            if v is None or v is pd.NA or (isinstance(v, float) and not math.isfinite(v)):
                clean[k] = None
            elif hasattr(v, "item"):
                clean[k] = v.item()
            else:
                clean[k] = v
        out.append(clean)
    return out
