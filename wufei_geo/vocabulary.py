"""The plan's fixed vocabularies as records, one definition each: categories, statuses, location
precisions and wet-waste modes.

A record carries everything the app needs to know about its code: its label key (the text, in
both languages, is the catalogue's ``<kind>.<code>``), a category's normalised capacity unit and
map glyph, a status's colour, lifecycle rank and whether moving into it needs a note, a
precision's approximateness.  ``model``'s names (CATEGORIES, NORM_UNIT, STATUSES, …), the
palette's STATUS_COLOURS and the map's CATEGORY_GLYPHS are views of these records, live: a
category added to :data:`CATEGORY_RECORDS` (:func:`register_category`) is drawn, exported,
filtered and labelled with no other change (tests/test_vocabulary.py adds one).

Adding a category: one :class:`Category` line below, its two texts ``category.<code>`` in the
catalogues (zh, en), and its sites in ``facilities/``.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar


@dataclass(frozen=True)
class Category:
    """A facility category of the plan (附表3/4)."""

    code: str
    norm_unit: str  # the normalised capacity unit (units.py converts into it)
    glyph_zh: str  # the marker's glyph in Chinese (one character)
    glyph_en: str  # … in English (letters)

    @property
    def label_key(self) -> str:
        return f"category.{self.code}"

    def glyph(self, lang: str) -> str:
        return self.glyph_en if lang == "en" else self.glyph_zh


@dataclass(frozen=True)
class Status:
    """A site's status; ``rank``: its place in the forward lifecycle (None: outside it);
    ``needs_note``: moving into it needs a note (as does any backwards move)."""

    code: str
    colour: str  # the one colour of the status (map markers, charts; colour-blind-safe, Okabe–Ito)
    rank: int | None
    needs_note: bool = False

    @property
    def label_key(self) -> str:
        return f"status.{self.code}"


@dataclass(frozen=True)
class Precision:
    """How well a site's location is known, best first; ``approximate``: drawn as approximate."""

    code: str
    approximate: bool = False

    @property
    def label_key(self) -> str:
        return f"precision.{self.code}"


@dataclass(frozen=True)
class WetWasteMode:
    code: str

    @property
    def label_key(self) -> str:
        return f"wet_waste_mode.{self.code}"


CATEGORY_RECORDS: dict[str, Category] = {c.code: c for c in (
    Category("transfer_station", "t/d", "转", "T"),  # 转运站
    Category("wet_waste", "t/d", "湿", "W"),  # 湿垃圾处理 (集中 centralised / 就地 on-site)
    Category("construction_waste", "t/yr", "建", "C"),  # 建筑垃圾资源化
    Category("sludge", "t/d", "泥", "S"),  # 污泥处置
    Category("pv", "kW", "光", "PV"),  # 光伏
    Category("hazardous_waste", "t/yr", "危", "H"),  # 危险废物
    Category("recyclables_hub", "t/d", "回", "R"),  # 两网融合中转站
    Category("compression_station", "t/d", "压", "P"),  # 压缩站
    Category("medical_waste", "t/d", "医", "M"),  # 医疗废物
    Category("bulky_waste", "t/yr", "大", "B"),  # 大件垃圾
    Category("dump_remediation", "count", "堆", "D"),  # 非正规堆放点整治
)}

STATUS_RECORDS: dict[str, Status] = {s.code: s for s in (
    Status("planned", "#0072B2", 0),  # 规划中
    Status("under_construction", "#E69F00", 1),  # 在建
    Status("commissioning", "#56B4E9", 2),  # 试运行
    Status("operating", "#009E73", 3),  # 已运行
    Status("suspended", "#CC79A7", None, needs_note=True),  # 暂停
    Status("cancelled", "#3B3B3B", None, needs_note=True),  # 取消
    Status("decommissioned", "#A0522D", 4, needs_note=True),  # 已关停 (E.9 closes six compression stations)
)}

PRECISION_RECORDS: dict[str, Precision] = {p.code: p for p in (
    Precision("exact"),
    Precision("address"),
    Precision("village", approximate=True),
    Precision("town", approximate=True),
    Precision("district", approximate=True),
    Precision("unknown"),
)}

WET_WASTE_MODE_RECORDS: dict[str, WetWasteMode] = {m.code: m for m in (WetWasteMode("centralised"), WetWasteMode("on_site"))}

# every vocabulary by the prefix of its catalogue keys
VOCABULARIES: dict[str, dict[str, Any]] = {
    "category": CATEGORY_RECORDS,
    "status": STATUS_RECORDS,
    "precision": PRECISION_RECORDS,
    "wet_waste_mode": WET_WASTE_MODE_RECORDS,
}

R = TypeVar("R")


class Codes(Sequence[str]):
    """The codes of a record table in their order, read live (a registered record is in it)."""

    def __init__(self, records: Mapping[str, Any]) -> None:
        self._records = records

    def __getitem__(self, index: Any) -> Any:
        return tuple(self._records)[index]

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[str]:
        return iter(tuple(self._records))

    def __contains__(self, code: object) -> bool:
        return code in self._records

    def __repr__(self) -> str:
        return repr(tuple(self._records))


class Field(Mapping[str, Any], Generic[R]):
    """code → one field of each record (``NORM_UNIT``, ``STATUS_COLOURS`` …), read live."""

    def __init__(self, records: Mapping[str, R], read: Any) -> None:
        self._records, self._read = records, read

    def __getitem__(self, code: str) -> Any:
        return self._read(self._records[code])

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[str]:
        return iter(tuple(self._records))

    def __repr__(self) -> str:
        return repr(dict(self))


def register_category(category: Category) -> None:
    """Add a category (its texts ``category.<code>`` come from the catalogue)."""
    CATEGORY_RECORDS[category.code] = category
