"""The export schema: the sites, town zones and district outline as the frames every export format
writes, every field's description (the single source of ``docs/schema.md``; a test keeps them in
step) and the tables for people (labelled headers, words for codes).

Coordinates are WGS-84 by default; ``datum="gcj02"`` shifts them for use with AMap/Tencent tools,
and every file says which datum it carries.
"""
from __future__ import annotations

import json
import math
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from wufei_geo import i18n
from wufei_geo.crs import METRIC_CRS, WGS84_CRS, from_wgs84
from wufei_geo.data_texts import localise
from wufei_geo.errors import ValidationError
from wufei_geo.io import place_layer
from wufei_geo.io.tabular import plain_table
from wufei_geo.model import DISTRICT_CODE, EXPORT_DATUMS, EXPORT_LAYERS, SITE_COLUMNS
from wufei_geo.places import vocab as place_vocab
from wufei_geo.values import is_unknown

# Layer names inside a GeoPackage (zones are called town_zones there).
GPKG_LAYER = {"sites": "sites", "zones": "town_zones", "district": "district", "places": "places"}

# Marker position and how precise it is, after the site columns.
# capacity_all: every capacity component in words (issue 11: E.5's three components travel in every
# file, readable in a spreadsheet, not only as the JSON of capacity_components).
SITE_EXTRA_COLUMNS = ("capacity_all", "display_lon", "display_lat", "display_precision", "overdue", "last_change",
                      "datum")
SITE_EXPORT_COLUMNS: tuple[str, ...] = tuple(SITE_COLUMNS) + SITE_EXTRA_COLUMNS
ZONE_EXPORT_COLUMNS = ("town_code", "name_zh", "name_en", "boundary_quality", "area_km2", "datum")
_FLOAT_COLUMNS = (
    "capacity_value", "capacity_norm", "operating_capacity_value", "operating_capacity_norm",
    "baseline_capacity_value", "baseline_capacity_norm", "lon", "lat", "display_lon", "display_lat",
)
_INT_COLUMNS = ("target_year", "version")
_BOOL_COLUMNS = ("retired", "existing_facility", "overdue")

DATUM_NOTE = {
    "wgs84": f"Coordinates are WGS-84 ({WGS84_CRS}), longitude/latitude in degrees.",
    "gcj02": (
        "Coordinates are GCJ-02 (the Chinese 'Mars' datum used by AMap/Tencent), NOT WGS-84: "
        "they are shifted about 500 m from true WGS-84 positions. The declared CRS is "
        f"{WGS84_CRS}/CRS84 only because GCJ-02 has no EPSG code; do not overlay on WGS-84 data."
    ),
}

# field → (zh, en).  docs/schema.md documents the same fields; a test keeps them in step.
FIELD_DESCRIPTIONS: dict[str, dict[str, tuple[str, str]]] = {
    "sites": {
        "site_id": ("站点编号，如 E.12-3", "Site id, e.g. E.12-3 (plan item + running number)"),
        "project_id": ("规划附表3项目编号，如 E.12", "Plan item of 附表3, e.g. E.12"),
        "name_zh": ("站点名称（中文）", "Site name (Chinese)"),
        "name_en": ("站点名称（英文）", "Site name (English)"),
        "category": ("设施类别代码", "Facility category code (see model.CATEGORIES)"),
        "wet_waste_mode": ("湿垃圾处理方式：centralised 集中 / on_site 就地", "Wet-waste mode: centralised | on_site (wet_waste only)"),
        "town_code": ("街镇统计代码（9位），未知为空", "Town statistical code (9 digits); empty when unknown"),
        "village": ("村（按规划原文）", "Village as the plan gives it"),
        "address": ("地址（按规划或来源）", "Address as the plan or source gives it"),
        "served_towns": ("服务街镇代码，分号分隔", "Towns served, ';'-separated codes"),
        "served_villages": ("湿垃圾在本设施集中处置的行政村（JSON 列表），空 = 未测量", "Villages whose wet waste the facility treats (JSON list); empty = not yet measured"),
        "capacity_value": ("规划能力数值（主要组成，按原文）", "Planned capacity value, primary component, as written"),
        "capacity_unit": ("规划能力单位（按原文，如 kg/d）", "Planned capacity unit as written, e.g. kg/d, MW"),
        "capacity_norm": ("规划能力标准化数值", "Planned capacity, normalised"),
        "capacity_norm_unit": ("标准化单位：t/d、t/yr、kW、count", "Normalised unit: t/d, t/yr, kW, count, items/yr"),
        "capacity_components": ("全部能力组成（JSON 列表：label, value, unit, norm, norm_unit, source_ref）", "All capacity components (JSON list of label, value, unit, norm, norm_unit, source_ref)"),
        "operating_capacity_value": ("运行能力数值（街镇填报）", "Capacity in operation, value as entered by an official"),
        "operating_capacity_unit": ("运行能力单位", "Capacity in operation, unit as entered"),
        "operating_capacity_norm": ("运行能力标准化数值", "Capacity in operation, normalised (capacity_norm_unit)"),
        "existing_facility": ("规划项目改造的是已运行的现有设施（如 E.11 国清）", "The plan's project upgrades a facility that already operates (e.g. E.11 国清)"),
        "baseline_capacity_value": ("现有设施项目前的能力数值，未知为空", "Capacity of the existing facility before the project, as written; empty when unknown"),
        "baseline_capacity_unit": ("项目前能力单位", "Unit of the capacity before the project"),
        "baseline_capacity_norm": ("项目前能力标准化数值", "Capacity before the project, normalised (capacity_norm_unit)"),
        "target_year": ("目标年份", "Target year"),
        "target_status": ("目标状态：operating，关停类为 decommissioned", "Target state: operating, or decommissioned for closures"),
        "commissioned": ("投运日期（ISO 日期或年月）", "Commissioning date (ISO date or year-month)"),
        "expected_commissioning": ("预计达到目标状态的日期（街镇/规划人员填写）", "Expected date of reaching the target state (set by officials/planners)"),
        "department": ("责任主体", "Responsible department (责任主体)"),
        "implementer": ("实施主体", "Implementing entity (实施主体)"),
        "status": ("状态代码", "Status code (planned, under_construction, commissioning, operating, suspended, cancelled, decommissioned)"),
        "status_as_of": ("状态日期", "Date the status was last stated"),
        "status_source": ("状态来源", "Source of the status"),
        "status_confirmed_at": ("状态最近确认时间（每次修改即确认；种子数据为规划日期）", "When the status was last confirmed (every edit confirms; seed: the plan date)"),
        "status_confirmed_by": ("状态确认人（种子数据为规划）", "Who confirmed the status (seed: the plan)"),
        "lon": ("记录的经度（见 datum），未知为空", "Stored longitude (in the file's datum); empty when not known"),
        "lat": ("记录的纬度（见 datum），未知为空", "Stored latitude (in the file's datum); empty when not known"),
        "precision": ("位置精度：exact/address/village/town/district/unknown；district 与 unknown 的站点镇不明，没有几何（不在地图上编造位置）", "Location precision: exact, address, village, town, district, unknown; district and unknown sites have no known town and no geometry (no made-up map point)"),
        "location_source": ("位置来源", "Source of the location"),
        "source_ref": ("规划出处（表与行）", "Source in the plan (table and row)"),
        "online_monitoring": ("在线监管：yes 已接入 / no 未接入，空 = 未知（指标 #58）", "Online monitoring: yes | no; empty = unknown (indicator #58)"),
        "online_monitoring_since": ("在线监管接入日期（ISO），空 = 未知", "Date online monitoring started (ISO); empty = unknown"),
        "pollution_insurance": ("环境污染责任保险（危险废物经营单位）：yes / no，空 = 未知（指标 #49）", "Pollution liability insurance (hazardous-waste operators): yes | no; empty = unknown (indicator #49)"),
        "investment_yuan": ("投资（元），空 = 未知（指标 #47）", "Investment in yuan; empty = unknown (indicator #47)"),
        "data_note": ("数据说明", "Data note"),
        "retired": ("已退役（不再显示）", "Retired (no longer shown)"),
        "version": ("记录版本号（批量更新时用于冲突检查）", "Record version (used by bulk updates to detect conflicting edits)"),
        "capacity_all": ("全部能力组成（文字，分号分隔）", "Every capacity component in words, ';'-separated (E.5 has three)"),
        "display_lon": ("地图标记经度（见 datum）", "Longitude of the map marker (in the file's datum)"),
        "display_lat": ("地图标记纬度（见 datum）", "Latitude of the map marker (in the file's datum)"),
        "display_precision": ("地图标记的实际精度（如村级站点显示于镇政府驻地则为 town）", "Precision of the marker as shown (a village site without a coordinate is shown at town precision)"),
        "overdue": ("目标年份已过而未达到目标状态", "Target year passed without reaching the target state"),
        "last_change": ("最近一次修改", "Last change (when, who, what)"),
        "datum": ("本文件坐标基准：wgs84 或 gcj02", "Datum of this file's coordinates: wgs84 or gcj02"),
    },
    "zones": {
        "town_code": ("街镇统计代码（9位）", "Town statistical code (9 digits)"),
        "name_zh": ("街镇名称", "Town name (Chinese)"),
        "name_en": ("街镇名称（英文）", "Town name (English)"),
        "boundary_quality": ("边界质量：approximate 示意范围 / official 官方", "Boundary quality: approximate (示意范围) or official"),
        "area_km2": ("面积（平方公里，米制坐标系计算）", "Area in km², measured in the metric CRS (CGCS2000 3° GK CM 120°E)"),
        "datum": ("本文件坐标基准：wgs84 或 gcj02", "Datum of this file's coordinates: wgs84 or gcj02"),
    },
    "district": {
        "district_code": ("区代码", "District code"),
        "name_zh": ("区名称", "District name (Chinese)"),
        "name_en": ("区名称（英文）", "District name (English)"),
        "area_km2": ("面积（平方公里，米制坐标系计算）", "Area in km², measured in the metric CRS (CGCS2000 3° GK CM 120°E)"),
        "datum": ("本文件坐标基准：wgs84 或 gcj02", "Datum of this file's coordinates: wgs84 or gcj02"),
    },
}

LAYER_DESCRIPTIONS = {
    "sites": "Qingpu zero-waste plan (青府发〔2022〕53号) facility sites; geometry = map marker.",
    "zones": "Qingpu town zones (街镇); boundary_quality says whether approximate (示意范围) or official.",
    "district": "Qingpu District (青浦区) outline.",
    "places": place_layer.LAYER_DESCRIPTION,  # issue 24
}
FIELD_DESCRIPTIONS["places"] = place_layer.FIELD_DESCRIPTIONS


class ExportError(ValidationError):
    """A request the exporter cannot satisfy (unknown layer, format or datum): ``export.error.<what>``."""


class CatalogLike(Protocol):
    sites: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame
    district: gpd.GeoDataFrame
    # and, optionally, ``places`` (issue 24; a catalog without it exports an empty places layer)


# --- coordinate handling ------------------------------------------------------
def check_datum(datum: str) -> str:
    if datum not in EXPORT_DATUMS:
        raise ExportError(key="export.error.datum", params={"datum": datum, "choices": ", ".join(EXPORT_DATUMS)})
    return datum


def _shift_xy(lon: Any, lat: Any, datum: str) -> tuple[np.ndarray, np.ndarray]:
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if datum == "wgs84" or lon.size == 0:
        return lon, lat
    ok = np.isfinite(lon) & np.isfinite(lat)
    out_lon, out_lat = lon.copy(), lat.copy()
    if ok.any():
        x, y = from_wgs84(lon[ok], lat[ok], datum)
        out_lon[ok], out_lat[ok] = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return out_lon, out_lat


def _shift_geometry(geoms: gpd.GeoSeries, datum: str) -> gpd.GeoSeries:
    if datum == "wgs84":
        return geoms

    def shift(coords: np.ndarray) -> np.ndarray:
        x, y = _shift_xy(coords[:, 0], coords[:, 1], datum)
        return np.column_stack([x, y])

    return gpd.GeoSeries(shapely.transform(geoms.values, shift), index=geoms.index, crs=WGS84_CRS)


# --- values -------------------------------------------------------------------
def capacity_all_text(value: Any) -> str | None:
    """Every capacity component in words: '含铜蚀刻液（HW22）处理规模 20000 t/a; …' (None when none)."""
    parts = []
    for comp in _components(value):
        number = comp.get("value")
        if isinstance(number, float) and number.is_integer():
            number = int(number)
        label = comp.get("label") or ""
        parts.append(f"{label} {'' if number is None else number} {comp.get('unit') or ''}".strip())
    return "; ".join(parts) or None


def _components(value: Any) -> list[dict[str, Any]]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        return json.loads(value) if value.strip() else []
    return list(value)



# --- layers as frames -----------------------------------------------------------
def sites_layer(sites: pd.DataFrame, datum: str = "wgs84") -> gpd.GeoDataFrame:
    """The sites in the export schema: every ``SITE_COLUMNS`` field, the marker, the datum.

    ``lon``/``lat`` are the stored location (null when not known); ``display_lon``/
    ``display_lat`` and the geometry are where the marker sits.  Both are in ``datum``.
    ``capacity_components`` is JSON text here (a JSON array in GeoJSON).
    """
    check_datum(datum)
    frame = pd.DataFrame(index=sites.index)
    for col in SITE_COLUMNS:
        frame[col] = sites[col] if col in sites.columns else None
    for col in ("display_lon", "display_lat", "display_precision", "overdue", "last_change"):
        frame[col] = sites[col] if col in sites.columns else None
    if "display_lon" not in sites.columns and "lon" in sites.columns:
        frame["display_lon"], frame["display_lat"] = sites["lon"], sites["lat"]
        frame["display_precision"] = sites.get("precision")
    frame["capacity_all"] = [capacity_all_text(v) for v in frame["capacity_components"]]
    frame["capacity_components"] = [
        json.dumps(_components(v), ensure_ascii=False) for v in frame["capacity_components"]
    ]
    lon, lat = _shift_xy(pd.to_numeric(frame["lon"], errors="coerce"), pd.to_numeric(frame["lat"], errors="coerce"), datum)
    frame["lon"], frame["lat"] = lon, lat
    dlon, dlat = _shift_xy(
        pd.to_numeric(frame["display_lon"], errors="coerce"), pd.to_numeric(frame["display_lat"], errors="coerce"), datum
    )
    frame["display_lon"], frame["display_lat"] = dlon, dlat
    frame["datum"] = datum
    for col in _FLOAT_COLUMNS:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    for col in _INT_COLUMNS:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    for col in _BOOL_COLUMNS:
        frame[col] = frame[col].astype("boolean")
    ok = np.isfinite(dlon) & np.isfinite(dlat)
    geometry = [shapely.Point(x, y) if good else None for x, y, good in zip(dlon, dlat, ok, strict=False)]
    out = gpd.GeoDataFrame(frame[list(SITE_EXPORT_COLUMNS)], geometry=geometry, crs=WGS84_CRS)
    return out.reset_index(drop=True)


def zones_layer(zones: gpd.GeoDataFrame, datum: str = "wgs84") -> gpd.GeoDataFrame:
    """Town zones: ``town_code, name_zh, name_en, boundary_quality, area_km2, datum`` + polygon."""
    check_datum(datum)
    zones = zones.to_crs(WGS84_CRS)
    frame = pd.DataFrame({c: zones[c] if c in zones.columns else None for c in ZONE_EXPORT_COLUMNS[:-1]})
    frame["datum"] = datum
    return gpd.GeoDataFrame(frame, geometry=_shift_geometry(zones.geometry, datum).values, crs=WGS84_CRS).reset_index(drop=True)


def district_layer(district: gpd.GeoDataFrame, datum: str = "wgs84") -> gpd.GeoDataFrame:
    """The district outline with its code, names and area (measured in the metric CRS (CGCS2000 3° GK CM 120°E))."""
    check_datum(datum)
    district = district.to_crs(WGS84_CRS)
    area = district.geometry.to_crs(METRIC_CRS).area / 1e6
    frame = pd.DataFrame(
        {
            "district_code": district["district_code"] if "district_code" in district else DISTRICT_CODE,
            "name_zh": district["name_zh"] if "name_zh" in district else "青浦区",
            "name_en": district["name_en"] if "name_en" in district else "Qingpu District",
            "area_km2": area.round(3).values,
        },
        index=district.index,
    )
    frame["datum"] = datum
    return gpd.GeoDataFrame(frame, geometry=_shift_geometry(district.geometry, datum).values, crs=WGS84_CRS).reset_index(drop=True)


def layer_frame(catalog: CatalogLike, layer: str, datum: str = "wgs84", sites: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """One export layer; ``sites`` (e.g. the map's filtered set) replaces ``catalog.sites``."""
    if layer == "sites":
        return sites_layer(catalog.sites if sites is None else sites, datum)
    if layer == "zones":
        return zones_layer(catalog.zones, datum)
    if layer == "district":
        return district_layer(catalog.district, datum)
    if layer == "places":
        return place_layer.places_layer(getattr(catalog, "places", None), check_datum(datum))
    raise ExportError(key="export.error.layer", params={"layer": layer, "choices": ", ".join(EXPORT_LAYERS)})


def fields_table() -> pd.DataFrame:
    """Every exported field with its description (the ``fields`` table of a GeoPackage, a sheet of XLSX)."""
    rows = [
        {"layer": GPKG_LAYER[layer], "field": field, "description_zh": zh, "description_en": en}
        for layer, fields in FIELD_DESCRIPTIONS.items()
        for field, (zh, en) in fields.items()
    ]
    return pd.DataFrame(rows)


_WORD_COLUMNS = {
    "status": "status", "target_status": "status", "category": "category", "precision": "precision",
    "display_precision": "precision", "wet_waste_mode": "wet_waste_mode",
}


_missing = is_unknown  # the one "is unknown" rule (wufei_geo/values.py)


def header_label(field: str, lang: str) -> str:
    """A column's header for people (``status`` → 状态); the schema name when it has no label."""
    key = f"export.col.{field}"
    return i18n.t(key, lang) if key in i18n.MESSAGES else field


def people_table(layer: str, gdf: gpd.GeoDataFrame, lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The layer's table for people in ``lang``: headers as labels, status/category/precision/mode
    and yes/no as words, data notes in the reader's language; and the header → schema-name map
    (label, field, description)."""
    table = plain_table(gdf).copy()
    labels = {
        "status": i18n.status_label, "category": i18n.category_label, "precision": i18n.precision_label,
        "wet_waste_mode": i18n.wet_waste_mode_label,
    }
    if layer == "places":  # issue 24: a place's type and status are the places' own words
        labels = {**labels, "status": place_vocab.status_label}
        if "place_type" in table.columns:
            table["place_type"] = [None if _missing(v) else place_vocab.type_label(v, lang) for v in table["place_type"]]
    for column in table.columns:
        kind = _WORD_COLUMNS.get(column)
        if kind:
            table[column] = [None if _missing(v) else labels[kind](v, lang) for v in table[column]]
        elif column in ("retired", "overdue"):
            table[column] = [None if _missing(v) else i18n.t("common.yes" if v else "common.no", lang)
                             for v in table[column]]
        elif column == "boundary_quality":
            table[column] = [i18n.t("common.approximate_extent", lang) if v == "approximate" else
                             i18n.t("boundary.official", lang) if v == "official" else v for v in table[column]]
        elif column in ("status_source", "location_source"):
            table[column] = [localise(i18n.audit_value_label(column, v, lang) or v, lang) for v in table[column]]
        elif column == "data_note":
            table[column] = [localise(v, lang) for v in table[column]]
    descriptions = FIELD_DESCRIPTIONS.get(layer, {})
    mapping = pd.DataFrame({
        i18n.t("export.headers.label", lang): [header_label(c, lang) for c in table.columns],
        i18n.t("export.headers.field", lang): list(table.columns),
        i18n.t("export.headers.description", lang): [
            descriptions.get(c, ("", ""))[1 if lang == "en" else 0] for c in table.columns],
    })
    table.columns = [header_label(c, lang) for c in table.columns]
    return table, mapping

