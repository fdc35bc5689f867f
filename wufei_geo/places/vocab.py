"""What a place is (issue 24): its types and statuses as records, and the place schema.

A *place* (场所) is a mapped thing that is not a facility: a 无废城市细胞 (cell, with the plan's
subtypes), a 零浪费街区 (C.2), a 无废教育基地, a showcase (示范点) or a 无废水乡镇.  Each type and
each status is ONE record carrying its label keys (zh/en texts live in the catalogue), its map
glyph and its colour, so the map, the legend, the forms and the exports read the same record
(the ``vocab`` branch turns site categories/statuses into such records; these follow that idea).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from wufei_geo import db


@dataclass(frozen=True)
class PlaceType:
    code: str
    label_key: str  # catalogue key of the name (zh/en)
    glyph: tuple[str, str]  # (zh, en) marker glyph
    colour: str  # outline / area colour on the map
    group: str  # cell | block | education | showcase | water_town
    source_ref: str  # where the plan names the type


@dataclass(frozen=True)
class PlaceStatus:
    code: str
    label_key: str
    colour: str  # marker fill
    rank: int | None  # lifecycle order; None = off the lifecycle (withdrawn)
    counts: bool  # the step that counts toward a target (approved by a planner)
    needs_note: bool = False  # moving into it needs a note


_CELL = "附表1 #38; 正文 三、（三）3"
PLACE_TYPES: Final[tuple[PlaceType, ...]] = (
    PlaceType("cell_government", "place_type.cell_government", ("机", "G"), "#6a3d9a", "cell", _CELL),
    PlaceType("cell_enterprise", "place_type.cell_enterprise", ("企", "E"), "#6a3d9a", "cell", _CELL),
    PlaceType("cell_restaurant", "place_type.cell_restaurant", ("饭", "R"), "#6a3d9a", "cell", _CELL),
    PlaceType("cell_mall", "place_type.cell_mall", ("商", "M"), "#6a3d9a", "cell", _CELL),
    PlaceType("cell_market", "place_type.cell_market", ("市", "K"), "#6a3d9a", "cell", _CELL),
    PlaceType("cell_community", "place_type.cell_community", ("社", "C"), "#6a3d9a", "cell", _CELL),
    PlaceType("cell_village", "place_type.cell_village", ("村", "V"), "#6a3d9a", "cell", _CELL),
    PlaceType("cell_scenic", "place_type.cell_scenic", ("景", "S"), "#6a3d9a", "cell", "正文 三、（三）3"),
    PlaceType("cell_school", "place_type.cell_school", ("校", "Sc"), "#6a3d9a", "cell", "正文 三、（三）3"),
    PlaceType("cell_hospital", "place_type.cell_hospital", ("院", "H"), "#6a3d9a", "cell", "正文 三、（三）3"),
    PlaceType("zero_waste_block", "place_type.zero_waste_block", ("街", "B"), "#d95f02", "block", "附表2 C.2"),
    PlaceType("education_base", "place_type.education_base", ("教", "Ed"), "#1b9e77", "education", "附表1 #46; A.4"),
    PlaceType("showcase", "place_type.showcase", ("示", "Sh"), "#e7298a", "showcase", "附表1 #44, #45"),
    PlaceType("water_town", "place_type.water_town", ("乡", "WT"), "#1f78b4", "water_town", "附表1 #43"),
)
PLACE_TYPE: Final[dict[str, PlaceType]] = {p.code: p for p in PLACE_TYPES}
CELL_TYPES: Final[tuple[str, ...]] = tuple(p.code for p in PLACE_TYPES if p.group == "cell")
# The seven cell kinds 附表1 #38 names (the text adds 景点、学校、医院).
INDICATOR_38_TYPES: Final[tuple[str, ...]] = CELL_TYPES[:7]

PLACE_STATUSES: Final[tuple[PlaceStatus, ...]] = (
    PlaceStatus("planned", "place_status.planned", "#0072B2", 0, False),  # 规划中: named in the plan
    PlaceStatus("creating", "place_status.creating", "#E69F00", 1, False),  # 创建中
    PlaceStatus("built", "place_status.built", "#009E73", 2, True),  # 已建成 (planner-approved)
    PlaceStatus("named", "place_status.named", "#005a32", 3, True),  # 已命名/通过验收
    PlaceStatus("withdrawn", "place_status.withdrawn", "#3B3B3B", None, False, needs_note=True),  # 已撤销
)
PLACE_STATUS: Final[dict[str, PlaceStatus]] = {s.code: s for s in PLACE_STATUSES}
COUNTED_STATUSES: Final[frozenset[str]] = frozenset(s.code for s in PLACE_STATUSES if s.counts)

# The place schema (database and export column order): the columns of ``db.places``.
PLACE_COLUMNS: Final[tuple[str, ...]] = tuple(c.name for c in db.places.columns if c.name != "updated_at")
# What a person may set on a place (add or update).
EDITABLE_FIELDS: Final[tuple[str, ...]] = (
    "name_zh", "name_en", "place_type", "town_code", "address", "location", "area", "precision",
    "location_source", "status", "status_as_of", "status_source", "responsible_unit", "data_note",
)


def type_label(code: object, lang: str = "zh") -> str:
    """A place type's name in ``lang`` (the code itself when unknown)."""
    from wufei_geo import i18n

    record = PLACE_TYPE.get(str(code))
    return i18n.t(record.label_key, lang) if record else i18n.t("common.unknown", lang) if code is None else str(code)


def status_label(code: object, lang: str = "zh") -> str:
    """A place status's name in ``lang``."""
    from wufei_geo import i18n

    record = PLACE_STATUS.get(str(code))
    return i18n.t(record.label_key, lang) if record else i18n.t("common.unknown", lang) if code is None else str(code)


def glyph(code: object, lang: str = "zh") -> str:
    record = PLACE_TYPE.get(str(code))
    return "?" if record is None else record.glyph[1 if lang == "en" else 0]
