"""The register's entries: the 62 indicators of 附表1 (``facilities/indicators.csv``) and the
facility targets (``facilities/targets.csv``) read into one record, :class:`Entry`."""
from __future__ import annotations

import csv
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wufei_geo.departments import department_key
from wufei_geo.facilities import load_targets
from wufei_geo.paths import FACILITIES_DIR
from wufei_geo.register.measures import Measure, indicator_measure, target_measure
from wufei_geo.register.rules import rule

INDICATORS_FILE = "indicators.csv"
INDICATOR_COLUMNS: tuple[str, ...] = (
    "number", "area", "area_zh", "class2_zh", "name_zh", "name_en", "unit", "kind", "baseline_year",
    "baseline_value", "baseline_text", "target_year", "target_value", "target_text", "target_rule",
    "departments", "measure", "value_unit", "reading", "source_ref",
)
# 附表1's kinds (★ 必选, 可选, * 自选) and the facility targets'.
KINDS: tuple[str, ...] = ("required", "optional", "self_selected", "facility")
# 附表1's 一级指标 in the plan's order, and the facility targets' area.
AREAS: tuple[str, ...] = ("source_reduction", "utilisation", "disposal", "support", "public", "facility")
# The plan's construction period ends on this date (一、（三）): the default assessment date.
PLAN_END_YEAR = 2025


@dataclass(frozen=True)
class Entry:
    """One thing the plan measures: a measure, a goal, a deadline, an owner."""

    id: str
    source: str  # indicator | target
    area: str
    kind: str
    name_zh: str
    name_en: str
    unit: str
    measure: Measure
    rule: str
    target_value: float | None
    target_text: str
    target_year: int | None
    baseline_value: float | None = None
    baseline_text: str | None = None
    baseline_year: int | None = None
    departments: tuple[str, ...] = ()
    area_zh: str = ""
    class2_zh: str = ""
    value_unit: str = ""
    reading: str | None = None
    source_ref: str = ""
    level: str | None = None
    town_code: str | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def unit_of_values(self) -> str:
        """The unit a reported value is written in (``value_unit``, else the plan's unit)."""
        return self.value_unit or self.unit

    @property
    def needs_judgement(self) -> bool:
        return rule(self.rule).judgement

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_zh

    def owned_by(self, department: str | None) -> bool:
        key = department_key(department or "")
        return bool(key) and any(department_key(d) == key for d in self.departments)


def _num(text: str) -> float | None:
    return float(text) if text.strip() else None


def read_indicators(facilities_dir: Path | str = FACILITIES_DIR) -> list[Entry]:
    """The 62 rows of 附表1, in the plan's order."""
    path = Path(facilities_dir) / INDICATORS_FILE
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for row in rows:
        missing = [c for c in INDICATOR_COLUMNS if c not in row]
        if missing:
            raise ValueError(f"{path}: missing columns {missing}")
        cells = {k: (v or "").strip() for k, v in row.items()}
        rule(cells["target_rule"])  # an unknown rule is refused at reading
        out.append(Entry(
            id=cells["number"], source="indicator", area=cells["area"], kind=cells["kind"],
            name_zh=cells["name_zh"], name_en=cells["name_en"], unit=cells["unit"],
            measure=indicator_measure(cells["measure"]), rule=cells["target_rule"],
            target_value=_num(cells["target_value"]), target_text=cells["target_text"],
            target_year=int(cells["target_year"]), baseline_value=_num(cells["baseline_value"]),
            baseline_text=cells["baseline_text"], baseline_year=int(cells["baseline_year"]),
            departments=tuple(d for d in (department_key(x) for x in cells["departments"].split(";")) if d),
            area_zh=cells["area_zh"], class2_zh=cells["class2_zh"], value_unit=cells["value_unit"],
            reading=cells["reading"] or None, source_ref=cells["source_ref"],
        ))
    return out


def target_entries(facilities_dir: Path | str = FACILITIES_DIR) -> list[Entry]:
    """The facility targets (district and town) as entries, in the file's order."""
    out = []
    for t in load_targets(facilities_dir):
        value = t["target_value"]
        out.append(Entry(
            id=t["target_id"], source="target", area="facility", kind="facility",
            name_zh=t["description_zh"] or "", name_en=t["description_en"] or "", unit=t["unit"] or "",
            measure=target_measure(t), rule="at_least", target_value=value,
            target_text=f"{value:g}", target_year=t["target_year"], source_ref=t["source_ref"] or "",
            level=t["level"], town_code=t["town_code"], note=t["note"] or "", extra={"row": t},
        ))
    return out


@functools.lru_cache(maxsize=4)
def _register(facilities_dir: str) -> tuple[Entry, ...]:
    return (*read_indicators(facilities_dir), *target_entries(facilities_dir))


def load_register(facilities_dir: Path | str = FACILITIES_DIR) -> list[Entry]:
    """Every entry: the 62 indicators, then the facility targets."""
    return list(_register(str(facilities_dir)))


def entry_by_id(entry_id: str, facilities_dir: Path | str = FACILITIES_DIR) -> Entry:
    """The entry of an id (plan number or target id); KeyError when there is none."""
    for e in _register(str(facilities_dir)):
        if e.id == str(entry_id).strip():
            return e
    raise KeyError(entry_id)


def check_indicators(facilities_dir: Path | str = FACILITIES_DIR) -> list[str]:
    """Problems of ``indicators.csv`` as ``file:row: field: message`` lines (empty: fine): the 62
    numbers in order, known kinds, rules and measures, a number where a rule compares one, the
    departments (only #11 has none, see NOTES), every reading written in NOTES.md."""
    from wufei_geo.register.readings import readings

    path = Path(facilities_dir) / INDICATORS_FILE
    try:
        entries = read_indicators(facilities_dir)
    except (OSError, ValueError, KeyError) as exc:
        return [f"{path}: {exc}"]
    problems = []
    notes = readings(facilities_dir)

    def add(line: int, field_name: str, message: str) -> None:
        problems.append(f"{INDICATORS_FILE}:{line}: {field_name}: {message}")

    if [e.id for e in entries] != [str(n) for n in range(1, 63)]:
        add(1, "number", "the rows must be 附表1's numbers 1–62 in order")
    for line, e in enumerate(entries, start=2):
        if e.kind not in KINDS[:3]:
            add(line, "kind", f"{e.kind!r} is not required, optional or self_selected")
        if e.area not in AREAS[:5]:
            add(line, "area", f"unknown area {e.area!r}")
        if e.rule in ("at_least", "greater_than") and e.target_value is None:
            add(line, "target_value", f"the rule {e.rule} needs a number")
        if e.rule.endswith("baseline") and e.baseline_value is None:
            add(line, "baseline_value", f"the rule {e.rule} compares with the 2020 value, which is empty")
        if not e.departments and e.id != "11":
            add(line, "departments", "empty (only #11 names no department in the plan)")
        if e.reading and e.reading not in notes:
            add(line, "reading", f"facilities/NOTES.md has no '#### reading: {e.reading}'")
    return problems
