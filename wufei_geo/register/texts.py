"""The register's sentences every output shares (CLI, 指标 page, assessment PDF, workbook): the
summary lines, an entry's latest value, its 2020 value and its target, status words."""
from __future__ import annotations

import datetime as dt
from typing import Any

from wufei_geo.analysis.quantities import fmt_number
from wufei_geo.i18n import MESSAGES, t
from wufei_geo.register.entries import Entry
from wufei_geo.register.readings import reading_text
from wufei_geo.register.rules import rule

KIND_KEYS = {k: f"register.kind.{k}" for k in ("required", "optional", "self_selected", "facility")}
AREA_KEYS = {a: f"register.area.{a}" for a in ("source_reduction", "utilisation", "disposal", "support", "public",
                                              "facility")}


def status_label(status: str, lang: str = "zh") -> str:
    return t(f"register.status.{status}", lang)


def kind_label(kind: str, lang: str = "zh") -> str:
    return t(KIND_KEYS[kind], lang)


def area_label(area: str, lang: str = "zh") -> str:
    return t(AREA_KEYS[area], lang)


def summary_lines(counts: dict[str, dict[str, int]], lang: str = "zh", as_of: dt.date | None = None) -> list[str]:
    """"62 项指标：已达标 n，未达标 n，未测量 n，待判断 n", then the same for the facility targets."""
    lines = []
    if as_of is not None:
        lines.append(t("register.summary.as_of", lang, date=as_of.isoformat()))
    for source, key in (("indicator", "register.summary.indicators"), ("target", "register.summary.targets")):
        c = counts.get(source)
        if c and c["total"]:
            lines.append(t(key, lang, **c))
    return lines


def value_unit(entry: Entry, lang: str = "zh") -> str:
    """The unit of the entry's values in ``lang`` (the plan's Chinese units get an English label);
    empty when the plan gives none."""
    unit = entry.unit_of_values
    if unit in ("", "—"):
        return ""
    key = f"register.unit.{unit}"
    return t(key, lang) if key in MESSAGES else unit


def _unit(entry: Entry, lang: str) -> str:
    unit = value_unit(entry, lang)
    return f" {unit}" if unit else ""


def latest_text(assessment: Any, lang: str = "zh") -> str:
    """The value the assessment read: 未测量 when none (never 0); "≥ …" when sites are unknown."""
    r, e = assessment.reading, assessment.entry
    if not r.measured:
        return t("register.status.unmeasured", lang)
    if r.text is not None and r.value is None:
        shown = r.text
    else:
        shown = fmt_number(r.value) + _unit(e, lang)
    if not r.complete:
        shown = t("register.lower_bound", lang, value=shown, n=len(r.detail.get("unknown_sites", [])))
    return f"{shown} ({r.year})" if r.year is not None and e.source == "indicator" else shown


def baseline_text(entry: Entry, lang: str = "zh") -> str:
    if entry.source != "indicator":
        return "—"
    return entry.baseline_text or "—"


def target_text(entry: Entry, lang: str = "zh") -> str:
    """The target as the plan writes it, with its rule when it is words."""
    text = entry.target_text + ("" if entry.target_value is None or entry.source != "indicator" else "")
    if entry.source == "target":
        text = f"{fmt_number(entry.target_value)} {entry.unit}"
    how = rule(entry.rule)
    if entry.target_value is None or how.judgement:
        text += f"（{how.text_zh}）" if lang == "zh" else f" ({how.text_en})"
    return text


def reading_of(entry: Entry, lang: str = "zh") -> str | None:
    """How the plan's row is read, when it needs a reading (facilities/NOTES.md)."""
    return reading_text(entry.reading, lang) if entry.reading else (entry.note or None)
