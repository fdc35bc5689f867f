"""The domain vocabulary: categories, statuses, precisions and the site schema.

Every other module takes its names from here, so the words of the plan map to one
code name each (see docs/ and ../shared/DESIGN.md).
"""
from __future__ import annotations

from typing import Final

PLAN_DATE: Final = "2022-10-28"  # 青府发〔2022〕53号, signed 2022-10-28
DISTRICT_CODE: Final = "310118"

# --- categories (plan term → code name) -------------------------------------
CATEGORIES: Final[tuple[str, ...]] = (
    "transfer_station",  # 转运站
    "wet_waste",  # 湿垃圾处理 (集中 centralised / 就地 on_site)
    "construction_waste",  # 建筑垃圾资源化
    "sludge",  # 污泥处置
    "pv",  # 光伏
    "hazardous_waste",  # 危险废物
    "recyclables_hub",  # 两网融合中转站
    "compression_station",  # 压缩站
    "medical_waste",  # 医疗废物
    "bulky_waste",  # 大件垃圾
    "dump_remediation",  # 非正规堆放点整治
)
WET_WASTE_MODES: Final = ("centralised", "on_site")

# Normalised capacity unit per category (DESIGN: t/d for wet waste, transfer, sludge;
# t/yr for construction and hazardous waste; kW for PV).  Categories whose plan rows
# give no capacity still get a unit so an official's figure can be validated.
NORM_UNIT: Final[dict[str, str]] = {
    "transfer_station": "t/d",
    "wet_waste": "t/d",
    "construction_waste": "t/yr",
    "sludge": "t/d",
    "pv": "kW",
    "hazardous_waste": "t/yr",
    "recyclables_hub": "t/d",
    "compression_station": "t/d",
    "medical_waste": "t/d",
    "bulky_waste": "t/yr",
    "dump_remediation": "count",
}

# --- statuses ----------------------------------------------------------------
STATUSES: Final[tuple[str, ...]] = (
    "planned",  # 规划中
    "under_construction",  # 在建
    "commissioning",  # 试运行
    "operating",  # 已运行
    "suspended",  # 暂停
    "cancelled",  # 取消
    "decommissioned",  # 已关停
)
# Forward order of the normal lifecycle; moving to a lower rank is "backwards".
LIFECYCLE_RANK: Final[dict[str, int]] = {
    "planned": 0,
    "under_construction": 1,
    "commissioning": 2,
    "operating": 3,
    "decommissioned": 4,
}
# Moving into one of these needs a note (as does any backwards move).
NOTE_REQUIRED_STATUSES: Final = frozenset({"suspended", "cancelled", "decommissioned"})

# --- location precision, best first -----------------------------------------
PRECISIONS: Final[tuple[str, ...]] = ("exact", "address", "village", "town", "district", "unknown")
APPROXIMATE_PRECISIONS: Final = frozenset({"village", "town", "district"})

DATUMS: Final = ("wgs84", "gcj02", "bd09")

# --- identifiers (issue 15) ---------------------------------------------------
# Site ids and target ids reach markdown, HTML and file names: ASCII letters and digits, then
# letters, digits, ".", "_" or "-" (the plan's "E.12-3"), at most 64 — nothing markdown or HTML
# could read as markup.  Checked at every entry (add_site, seed, restore, facilities check).
IDENTIFIER_PATTERN: Final = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"

# --- notes (issue 15) ---------------------------------------------------------
# The one cap on a note (the audit is append-only): the 更新 form, the CLI, bulk import, retire.
MAX_NOTE_CHARS: Final = 10_000

# --- roles -------------------------------------------------------------------
ROLES: Final = ("admin", "planner", "town_official")

# --- targets (facilities/targets.csv) -----------------------------------------
# How a target is measured (docs/architecture.md → Targets); computed by wufei_geo/analysis/.
MEASURES: Final[tuple[str, ...]] = (
    "capacity",
    "site_count",
    "closure_count",
    "village_count",
    "served",
    "untracked",
    "served_village_count",
    "place_count",  # places of the type in `category` (issue 24: C.2 零浪费街区; wufei_geo/places/measures.py)
)
# Every per-town figure (computed once in wufei_geo.analysis.town_figures).
TOWN_MEASURES: Final[tuple[str, ...]] = (
    "site_count",
    "wet_waste_tpd",
    "wet_waste_operating_tpd",
    "capacity_per_10k",
    "generation_tpd",
    "capacity_vs_generation",
    "targets_met_share",
)
# What shades the towns on the PDF briefing's map unless one is chosen (page, CLI, briefing_pdf).
DEFAULT_BRIEFING_MEASURE: Final = "wet_waste_tpd"
# Which wet-waste sites count toward the wet-waste capacity goal (all, or one WET_WASTE_MODES).
COUNTS_TOWARD: Final[tuple[str, ...]] = ("all", *WET_WASTE_MODES)

# --- exports (docs/schema.md) -------------------------------------------------------
EXPORT_LAYERS: Final[tuple[str, ...]] = ("sites", "zones", "district", "places")  # places: issue 24
EXPORT_DATUMS: Final[tuple[str, ...]] = ("wgs84", "gcj02")

# --- the stable site schema (exports, the store's frame, the map) ------------
# Documented in docs/schema.md.  Order matters: it is the column order of exports.
SITE_COLUMNS: Final[tuple[str, ...]] = (
    "site_id",  # e.g. "E.12-3"
    "project_id",  # plan item of 附表3, e.g. "E.12"
    "name_zh",
    "name_en",
    "category",
    "wet_waste_mode",  # centralised | on_site | null (wet_waste only)
    "town_code",  # 9-digit statistical code or null
    "village",  # as the plan gives it
    "address",  # as the plan/source gives it
    "served_towns",  # ";"-separated town codes (E.10)
    "served_villages",  # JSON list of the villages whose wet waste the site treats (issue 11; null = not yet measured)
    "capacity_value",  # primary component, as written in the plan
    "capacity_unit",  # as written, e.g. "kg/d", "MW", "万只/年"
    "capacity_norm",  # normalised value (see NORM_UNIT)
    "capacity_norm_unit",
    "capacity_components",  # JSON list of all components (E.5 has three)
    "operating_capacity_value",  # capacity in operation, entered by an official
    "operating_capacity_unit",
    "operating_capacity_norm",
    "existing_facility",  # the plan's project upgrades a facility that already operates (E.11)
    "baseline_capacity_value",  # its capacity before the project, as written (null = unknown)
    "baseline_capacity_unit",
    "baseline_capacity_norm",
    "target_year",
    "target_status",  # operating, or decommissioned for closures (E.9)
    "commissioned",  # ISO date or partial date ("2021-12")
    "expected_commissioning",  # when the site is expected to reach its target state (officials/planners)
    "department",  # 责任主体
    "implementer",  # 实施主体
    "status",
    "status_as_of",
    "status_source",
    "status_confirmed_at",  # when a person last confirmed the status (an edit confirms; seed: the plan date)
    "status_confirmed_by",  # who confirmed it
    "lon",  # WGS-84, stored location (null when not known)
    "lat",
    "precision",
    "location_source",
    "source_ref",  # table + row of the plan, e.g. "附表3 E.12"
    "data_note",
    "retired",
    "version",
)
