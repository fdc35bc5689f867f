"""THE validator of a reported register value (issue 23): field rules (refused outright) and
plausibility rules (an :class:`~wufei_geo.errors.ImplausibleEdit`, which may be insisted on with
a note — a department's insisted value then waits as 待核实 for a planner), each with a stable
rule key.  Used by the store's writes of values (CLI, app, bulk import)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from wufei_geo.errors import ValidationError
from wufei_geo.register.entries import Entry
from wufei_geo.site_rules import Violation

# The plan's construction period begins in 2021 (一、（三））: a value is for a year of it or after it.
FIRST_YEAR = 2021
# A value more than this factor above or below the previous one is "an order of magnitude" jump.
JUMP_FACTOR = 10.0
GRADES = ("A", "B", "C", "D")
MAX_SOURCE_CHARS = 500

RULES: dict[str, str] = {
    # field rules
    "value_year": "a year of the plan period (2021 on) and not in the future",
    "value_not_number": "a value must be a finite number",
    "value_negative": "a count, a quantity or money is never negative",
    "value_percent": "a % value lies between 0 and 100",
    "value_grade": "a grade is one of A, B, C, D",
    "value_source": "a value needs its source",
    # plausibility rules
    "value_jump": "a value more than 10× above (or below) the previous value or the 2020 value",
}


@dataclass(frozen=True)
class CheckedValue:
    year: int
    value: float | None
    text: str | None
    source: str


def _refuse(rule: str, **params: Any) -> ValidationError:
    return ValidationError(None, rule, key=f"error.{rule}", **params)


def check_value(entry: Entry, year: Any, value: Any, source: Any, this_year: int) -> CheckedValue:
    """The value as stored, or a refusal naming its rule (``value_*``)."""
    try:
        y = int(str(year).strip())
    except (TypeError, ValueError):
        raise _refuse("value_year", year=year, first=FIRST_YEAR, last=this_year) from None
    if not FIRST_YEAR <= y <= this_year:
        raise _refuse("value_year", year=y, first=FIRST_YEAR, last=this_year)
    src = source.strip() if isinstance(source, str) else ""
    if not src:
        raise _refuse("value_source", entry=entry.id)
    if len(src) > MAX_SOURCE_CHARS or any(ch == "\x00" or (ord(ch) < 32 and ch not in "\t") for ch in src):
        raise _refuse("value_source", entry=entry.id)
    if entry.unit_of_values == "等级":
        grade = str(value or "").strip().upper()
        if grade not in GRADES:
            raise _refuse("value_grade", value=value, allowed=", ".join(GRADES))
        return CheckedValue(y, None, grade, src)
    from wufei_geo.units import parse_decimal

    try:
        number = parse_decimal(value) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise _refuse("value_not_number", value=value) from None
    if isinstance(value, bool) or not math.isfinite(number):
        raise _refuse("value_not_number", value=value)
    if entry.unit_of_values == "%" and not 0 <= number <= 100:
        raise _refuse("value_percent", value=number)
    if number < 0 and entry.unit_of_values not in ("—", ""):
        raise _refuse("value_negative", value=number, unit=entry.unit_of_values)
    return CheckedValue(y, number, None, src)


def plausibility(entry: Entry, checked: CheckedValue, previous: float | None) -> list[Violation]:
    """The plausibility rules a checked value breaks: an order-of-magnitude jump from the previous
    accepted value (or, without one, the 2020 value when it is in the same unit)."""
    new = checked.value
    before = previous
    if before is None and entry.unit_of_values == entry.unit:
        before = entry.baseline_value
    if new is None or before is None or before <= 0 or new <= 0:
        return []
    factor = max(new / before, before / new)
    if factor > JUMP_FACTOR:
        return [Violation("value_jump", {"value": new, "previous": before, "factor": round(factor, 1)})]
    return []
