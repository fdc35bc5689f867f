"""Form helpers of the 更新 page (app_pages/pages/update.py) and its round sections (app_pages/update_rounds.py).

The flash — a message shown at the top of the page after the rerun a save ends with —, the texts
of stored values and refusals, the unit choices, the history table.  No rule lives here: the core
validates every value (``needs_note`` only asks the core's own rule before submit).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from app_pages.common import err, lang, tr
from wufei_geo import i18n, site_rules, values
from wufei_geo.data_texts import localise
from wufei_geo.model import NORM_UNIT

FLASH_KEY = "update_flash"


def flash(message: str, kind: str = "ok") -> None:
    """Show ``message`` (already escaped) after a rerun, and rerun now."""
    st.session_state[FLASH_KEY] = (kind, message)
    st.rerun()


def show_flash() -> None:
    """The message of the last save, if any: a banner at the top (and a toast for a success: the
    save button may be far below)."""
    held = st.session_state.pop(FLASH_KEY, None)
    if held:
        kind, message = held
        (st.success if kind == "ok" else st.error)(message)
        if kind == "ok":
            st.toast(message)


blank = values.is_unknown  # the core's one "is unknown" rule


def value_text(value: Any) -> str:
    """A stored value as plain text (unknown → 未知)."""
    if isinstance(value, float) or blank(value):
        return values.number_text(value, "compact", unknown=tr("common.unknown"))
    return str(value)


def amount_text(value: Any, unit: Any) -> str:
    """A capacity with its unit label; an unknown value is 未知 alone (not "未知 吨/日")."""
    if blank(value):
        return tr("common.unknown")
    return f"{value_text(value)} {i18n.unit_label(unit, lang())}".strip()


def confirmed_text(value: Any) -> str:
    """A stored confirmation time (ISO date or UTC timestamp) as Shanghai local text."""
    if blank(value):
        return tr("common.unknown")
    text = str(value)
    if len(text) > 10:
        try:
            from wufei_geo.auth import shanghai_time

            return shanghai_time(dt.datetime.fromisoformat(text))
        except ValueError:
            return text
    return text


# --- the 更新 form's texts and choices ------------------------------------------------------------
# Units offered in the form; the core decides whether one fits the site's category.
UNIT_CHOICES = ("t/d", "kg/d", "t/yr", "万吨/年", "kW", "MW", "count")
_UNIT_KIND = {"t/d": "t/d", "kg/d": "t/d", "t/yr": "t/yr", "万吨/年": "t/yr", "kW": "kW", "MW": "kW", "count": "count"}


def source_text(field: str, value: Any) -> str:
    """A status/location source; the store's ``official`` marker in the UI language."""
    return tr("common.unknown") if blank(value) else str(localise(i18n.audit_value_label(field, value, lang()), lang()))


def site_name(row: Any, L: str) -> str:
    """A site's name in language ``L`` (the Chinese name, else its id, when there is none)."""
    name_en, name_zh = row.get("name_en"), row.get("name_zh")
    if L == "en" and not blank(name_en):
        return str(name_en)
    return str(name_zh) if not blank(name_zh) else str(row.get("site_id"))


def needs_note(old: str | None, new: str) -> bool:
    """What the core requires (shown before submit): the core's own rule, site_rules.note_required."""
    return site_rules.note_required(old, new)


def rule_text(rule: str | None, params: dict[str, Any], fallback: str, town_names: dict[str, str] | None = None) -> str:
    """A refusal worded from its rule key and parameters in the UI language (the core's text if no wording)."""
    p = dict(params)
    unit = i18n.unit_label(p.get("unit"), lang()) or p.get("unit") or ""
    p["unit"] = unit
    if p.get("expected_unit"):
        p["expected_unit"] = i18n.unit_label(p["expected_unit"], lang()) or p["expected_unit"]
    if rule == "capacity_jump":
        p["design_text"] = tr("common.unknown") if p.get("design") is None else f"{p['design']:g} {unit}"
    if rule == "outside_own_zone":
        p["town"] = (town_names or {}).get(str(p.get("town_code")), str(p.get("town_code")))
    key = f"rule.{rule}"
    if rule and key in i18n.MESSAGES:
        try:
            return tr(key, **p)
        except (KeyError, ValueError, TypeError):
            pass
    return fallback


def refusal_text(exc: BaseException, town_names: dict[str, str] | None = None) -> str:
    """A refusal in the UI language: a plausibility rule worded here, everything else by its key."""
    rule = getattr(exc, "rule", None)
    if rule and f"rule.{rule}" in i18n.MESSAGES:
        return rule_text(rule, getattr(exc, "params", {}), err(exc), town_names)
    return err(exc)


def proposal_changes(p: dict[str, Any], L: str) -> str:
    """A 待核实 proposal's changes as "field: old → new; …"."""
    parts = []
    for k, v in p["new_values"].items():
        if k in ("precision", "location_source", "operating_capacity_norm"):
            continue
        old = i18n.audit_value_label(k, p["old_values"].get(k), L) or "—"
        new = i18n.audit_value_label(k, v, L) or "—"
        parts.append(f"{i18n.audit_field_label(k, L)}: {old} → {new}")
    return "; ".join(parts)


def unit_options(category: str, current: Any) -> list[str]:
    """Units that fit the category first (the core still validates), the site's own unit on top."""
    fits = [u for u in UNIT_CHOICES if _UNIT_KIND[u] == NORM_UNIT.get(category)]
    others = [u for u in UNIT_CHOICES if u not in fits]
    options = fits + others
    if not blank(current) and str(current) not in options:
        options.insert(0, str(current))
    elif not blank(current):
        options.remove(str(current))
        options.insert(0, str(current))
    return options


def parse_number(raw: str, label: str) -> float | None:
    """A typed coordinate (empty → None); ValueError with the UI's message when it is no number."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        return float(raw.replace(",", ""))
    except ValueError:
        raise ValueError(tr("update.bad_number", field=label, value=raw)) from None


def history_frame(rows: list[dict[str, Any]], L: str) -> pd.DataFrame:
    """Audit rows as the history table (st.dataframe: plain text, never markdown)."""
    return pd.DataFrame(
        {
            tr("hist.at"): [r.get("at_local") or "" for r in rows],
            tr("hist.user"): [r.get("user_name") or "" for r in rows],
            tr("hist.site"): [r.get("site_id") or "" for r in rows],
            tr("hist.action"): [i18n.t(f"action.{r.get('action')}", L) if f"action.{r.get('action')}" in i18n.MESSAGES
                                else str(r.get("action")) for r in rows],
            tr("hist.field"): [i18n.audit_field_label(r.get("field"), L) for r in rows],
            # an empty old or new value was unknown (null): None, which the table writes 未知
            tr("hist.old"): [i18n.audit_value_label(r.get("field"), r.get("old_value"), L) or None for r in rows],
            tr("hist.new"): [i18n.audit_value_label(r.get("field"), r.get("new_value"), L) or None for r in rows],
            tr("hist.note"): [r.get("note") or tr("common.none") for r in rows],
        }
    )


def import_changes_frame(report: Any, L: str) -> pd.DataFrame:
    """A dry run's changes (``ImportReport.changes_frame``) as the 数据 page shows them: headers,
    field names and coded values in the UI language, as the history table writes them (an empty
    old value was unknown: None, written 未知 by the table) — not the report's English column names."""
    frame = report.changes_frame()
    fields, olds, news = frame["field"].tolist(), frame["old"].tolist(), frame["new"].tolist()
    return pd.DataFrame(
        {
            tr("import.col.row"): [str(r) for r in frame["row"]],
            tr("hist.site"): frame["site_id"].astype(str).tolist(),
            tr("hist.field"): [i18n.audit_field_label(f, L) for f in fields],
            tr("hist.old"): [i18n.audit_value_label(f, v, L) or None for f, v in zip(fields, olds, strict=True)],
            tr("hist.new"): [i18n.audit_value_label(f, v, L) or None for f, v in zip(fields, news, strict=True)],
            tr("hist.note"): [n if isinstance(n, str) and n else tr("common.none") for n in frame["note"]],
        }
    )


def import_errors_frame(report: Any) -> pd.DataFrame:
    """A refused file's problems (``ImportReport.errors_frame``) with headers in the UI language;
    a problem of the whole file has no row ("—")."""
    frame = report.errors_frame()
    return pd.DataFrame(
        {
            tr("import.col.row"): ["—" if pd.isna(r) else str(int(r)) for r in frame["row"]],
            tr("import.col.column"): [c if isinstance(c, str) and c else "—" for c in frame["column"]],
            tr("hist.site"): [s if isinstance(s, str) and s else "—" for s in frame["site_id"]],
            tr("import.col.message"): frame["message"].astype(str).tolist(),
        }
    )
