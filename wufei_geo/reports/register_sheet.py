"""The workbook's register sheet (issue 23): one row per register entry as the assessment sees it,
in the words of :mod:`wufei_geo.register.texts` (headers are column codes the workbook labels)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wufei_geo.register.texts import area_label, kind_label, latest_text, status_label, target_text

HEADER = ("register_id", "register_kind", "register_area", "register_name", "register_unit",
          "register_departments", "register_baseline", "register_latest_value", "register_latest_year",
          "register_latest_text", "register_target", "register_rule", "register_status", "register_source_ref")


def register_rows(assessments: Sequence[Any], lang: str = "zh") -> tuple[list[str], list[list[Any]]]:
    rows = []
    for a in assessments:
        e, r = a.entry, a.reading
        rows.append([e.id, kind_label(e.kind, lang), area_label(e.area, lang), e.name(lang), e.unit_of_values,
                     "、".join(e.departments), e.baseline_text or "", r.value if r.measured else None,
                     r.year if r.measured else None, latest_text(a, lang), target_text(e, lang), e.rule,
                     status_label(a.status, lang), e.source_ref])
    return list(HEADER), rows
