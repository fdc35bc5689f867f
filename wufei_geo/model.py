"""The domain vocabulary: categories, statuses, precisions and the site schema.

Every other module takes its names from here, so the words of the plan map to one
code name each (see docs/ and ../shared/DESIGN.md).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from wufei_geo import vocabulary as _vocab

PLAN_DATE: Final = "2022-10-28"  # 青府发〔2022〕53号, signed 2022-10-28
DISTRICT_CODE: Final = "310118"

# --- the fixed vocabularies: views of the records in wufei_geo/vocabulary.py (one definition each) --
# categories (plan term → code name), each with its normalised capacity unit (DESIGN: t/d for wet
# waste, transfer, sludge; t/yr for construction and hazardous waste; kW for PV; categories whose
# plan rows give no capacity still get a unit so an official's figure can be validated)
CATEGORIES: Final[Sequence[str]] = _vocab.Codes(_vocab.CATEGORY_RECORDS)
NORM_UNIT: Final[Mapping[str, str]] = _vocab.Field(_vocab.CATEGORY_RECORDS, lambda c: c.norm_unit)
WET_WASTE_MODES: Final = tuple(_vocab.WET_WASTE_MODE_RECORDS)
STATUSES: Final[tuple[str, ...]] = tuple(_vocab.STATUS_RECORDS)
# Forward order of the normal lifecycle; moving to a lower rank is "backwards".
LIFECYCLE_RANK: Final[dict[str, int]] = {s.code: s.rank for s in _vocab.STATUS_RECORDS.values() if s.rank is not None}
# Moving into one of these needs a note (as does any backwards move).
NOTE_REQUIRED_STATUSES: Final = frozenset(s.code for s in _vocab.STATUS_RECORDS.values() if s.needs_note)
# location precision, best first
PRECISIONS: Final[tuple[str, ...]] = tuple(_vocab.PRECISION_RECORDS)
APPROXIMATE_PRECISIONS: Final = frozenset(p.code for p in _vocab.PRECISION_RECORDS.values() if p.approximate)

DATUMS: Final = ("wgs84", "gcj02", "bd09")

# --- identifiers (issue 15) ---------------------------------------------------
# Site ids and target ids reach markdown, HTML and file names: ASCII letters and digits, then
# letters, digits, ".", "_" or "-" (the plan's "E.12-3"), at most 64 — nothing markdown or HTML
# could read as markup.  Checked at every entry (add_site, seed, restore, facilities check).
IDENTIFIER_PATTERN: Final = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"

# --- notes (issue 15) ---------------------------------------------------------
# The one cap on a note (the audit is append-only): the 更新 form, the CLI, bulk import, retire.
MAX_NOTE_CHARS: Final = 10_000

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
    # issue 23: what indicators #58, #49, #47 read (null = unknown until entered)
    "online_monitoring",  # 在线监管: yes | no
    "online_monitoring_since",  # ISO date the monitoring went online
    "pollution_insurance",  # 环境污染责任保险 (hazardous-waste operators): yes | no
    "investment_yuan",  # 投资 in 元
    "retired",
    "version",
)
