"""The one message catalogue: Chinese (default) and English.

Every label the UI shows comes from here, so the English toggle switches every label,
unit, status and category name at once.  The texts live in gettext ``.po`` files, one per
language (``wufei_geo/locale/<lang>/LC_MESSAGES/wufei_geo.po``, read at run time with Babel —
see ``wufei_geo/i18n_catalog.py``); keys are dotted by page (``capacity.title``).

``MESSAGES[key] = (zh, en)`` is the merged view.  Entries still written as Python (the marked
section at the END of this file) overlay the .po files until they are folded in with
``python -m wufei_geo.i18n_catalog fold wufei_geo/i18n.py --strip``.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Final

from wufei_geo import i18n_catalog, vocabulary

LANGS: Final = ("zh", "en")
DEFAULT_LANG: Final = "zh"

MESSAGES: dict[str, tuple[str, str]] = dict(i18n_catalog.pairs())


class _LabelTable(Mapping[str, tuple[str, str]]):
    """code → (zh, en) of a vocabulary (wufei_geo/vocabulary.py), read live from the records and
    the catalogue: a registered record with its two texts is labelled at once."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix

    def _codes(self) -> list[str]:
        return [c for c in vocabulary.VOCABULARIES[self._prefix] if f"{self._prefix}.{c}" in MESSAGES]

    def __getitem__(self, code: str) -> tuple[str, str]:
        if code not in vocabulary.VOCABULARIES[self._prefix]:
            raise KeyError(code)
        return MESSAGES[f"{self._prefix}.{code}"]

    def __iter__(self) -> Iterator[str]:
        return iter(self._codes())

    def __len__(self) -> int:
        return len(self._codes())


def _table(prefix: str) -> Mapping[str, tuple[str, str]]:
    return _LabelTable(prefix)


# --- vocabulary: categories, wet-waste modes, statuses, precisions, units (from the catalogue) --
CATEGORY_LABELS: Final[Mapping[str, tuple[str, str]]] = _table("category")
WET_WASTE_MODE_LABELS: Final[Mapping[str, tuple[str, str]]] = _table("wet_waste_mode")
STATUS_LABELS: Final[Mapping[str, tuple[str, str]]] = _table("status")
PRECISION_LABELS: Final[Mapping[str, tuple[str, str]]] = _table("precision")
# Units as written in the plan and the normalised ones (model.NORM_UNIT).
UNIT_LABELS: Final[dict[str, tuple[str, str]]] = {
    key[len("unit."):]: pair for key, pair in MESSAGES.items() if key.startswith("unit.")
}
# The plan writes some units in another case ("KW"): they are shown as the catalogue writes them.
_UNIT_LABELS_FOLDED: Final[dict[str, tuple[str, str]]] = {k.casefold(): v for k, v in UNIT_LABELS.items()}


def t(key: str, lang: str = DEFAULT_LANG, **fmt: object) -> str:
    """The message ``key`` in ``lang``; unknown keys come back as the key (visible, not a crash)."""
    pair = MESSAGES.get(key)
    text = key if pair is None else pair[1 if lang == "en" else 0]
    return text.format(**fmt) if fmt else text


def _pick(table: dict[str, tuple[str, str]], code: object, lang: str) -> str:
    if code is None or (isinstance(code, float) and code != code):
        return t("common.unknown", lang)
    pair = table.get(str(code))
    if pair is None:
        return str(code)
    return pair[1 if lang == "en" else 0]


def status_label(code: object, lang: str = DEFAULT_LANG) -> str:
    """Status code → 已运行 / Operating; null → 未知 / unknown."""
    return _pick(STATUS_LABELS, code, lang)


def category_label(code: object, lang: str = DEFAULT_LANG) -> str:
    """Category code → 湿垃圾处理 / Wet-waste treatment."""
    return _pick(CATEGORY_LABELS, code, lang)


def precision_label(code: object, lang: str = DEFAULT_LANG) -> str:
    """Location precision code → 街镇驻地（近似） / town seat (approximate)."""
    return _pick(PRECISION_LABELS, code, lang)


def wet_waste_mode_label(code: object, lang: str = DEFAULT_LANG) -> str:
    return _pick(WET_WASTE_MODE_LABELS, code, lang)


def unit_label(unit: object, lang: str = DEFAULT_LANG) -> str:
    """Unit → 吨/日 / t/d.  Units not in the catalogue are shown as written."""
    if unit is None or (isinstance(unit, float) and unit != unit) or unit == "":
        return ""
    pair = UNIT_LABELS.get(str(unit)) or _UNIT_LABELS_FOLDED.get(str(unit).strip().casefold())
    return str(unit) if pair is None else pair[1 if lang == "en" else 0]


# audit field → message key of its label
AUDIT_FIELD_KEYS: dict[str, str] = {
    "status": "field.status",
    "operating_capacity_value": "field.operating_capacity",
    "operating_capacity_unit": "update.capacity_unit",
    "operating_capacity_norm": "field.capacity_norm",
    "capacity_value": "field.capacity",
    "capacity_unit": "update.capacity_unit",
    "commissioned": "field.commissioned",
    "lon": "field.lon",
    "lat": "field.lat",
    "precision": "field.precision",
    "location_source": "field.location_source",
    "status_source": "field.status_source",
    "status_as_of": "field.status_as_of",
    "expected_commissioning": "field.expected_commissioning",
    "served_villages": "field.served_villages",
}


def audit_field_label(field: object, lang: str = DEFAULT_LANG) -> str:
    """An audit row's field name as the user reads it (``operating_capacity_unit`` → 单位);
    fields without a label are shown as stored."""
    if field is None or field == "":
        return ""
    key = AUDIT_FIELD_KEYS.get(str(field))
    return t(key, lang) if key and key in MESSAGES else str(field)


def audit_value_label(field: object, value: object, lang: str = DEFAULT_LANG) -> str:
    """An audit row's old/new value in ``lang``: status, precision and unit codes get their
    labels, the store's ``official`` source marker a phrase; empty stays empty; anything else
    (numbers, dates, free text) is shown as stored."""
    if value is None or (isinstance(value, float) and value != value) or value == "":
        return ""
    f = str(field or "")
    if f == "status":
        return status_label(value, lang)
    if f == "precision":
        return precision_label(value, lang)
    if f.endswith("_unit"):
        return unit_label(value, lang) or str(value)
    if f in ("location_source", "status_source"):
        text = str(value)
        if text == "official":
            return t("source.official", lang)
        if text.startswith("official: "):
            return f"{t('source.official', lang)}: {text[len('official: '):]}"
        return text
    return str(value)


def last_change_label(change: dict | None, lang: str = DEFAULT_LANG) -> str:
    """A site's latest audit row (``Store.last_changes()``) as one line: when · who · field: old → new."""
    if not change:
        return ""
    parts = [str(change.get("at_local") or change.get("at") or ""), str(change.get("user_name") or "")]
    field = change.get("field")
    if field:
        old = audit_value_label(field, change.get("old_value"), lang) or "—"
        new = audit_value_label(field, change.get("new_value"), lang) or "—"
        parts.append(f"{audit_field_label(field, lang)}: {old} → {new}")
    return " · ".join(p for p in parts if p)


# --- refusals of the core (errors.WufeiError carries key + params) ----------------------------
_STATUS_PARAMS = frozenset({"status", "old_status", "new_status"})


def error_text(exc: BaseException, lang: str = DEFAULT_LANG) -> str:
    """A refusal in ``lang``: keyed errors from the catalogue (status and role codes in their
    parameters shown as words); a batch lists each refused edit; legacy plain-text refusals
    and foreign exceptions as written."""
    key = getattr(exc, "key", None)
    rule = getattr(exc, "rule", None)
    if (not key or key not in MESSAGES) and rule and f"rule.{rule}" in MESSAGES:
        key = f"rule.{rule}"  # a site rule's refusal (wufei_geo.site_rules) worded from its key
    if not key or key not in MESSAGES:
        return _one_language(str(exc), lang)
    params = worded_params(getattr(exc, "params", {}) or {}, lang)
    for name, value in params.items():
        if name in _STATUS_PARAMS:
            params[name] = status_label(value, lang)
        elif name == "role" and f"role.{value}" in MESSAGES:
            params[name] = t(f"role.{value}", lang)
        elif name == "action" and f"permission.{value}" in MESSAGES:  # wufei_geo.permissions.ACTIONS
            params[name] = t(f"permission.{value}", lang)
    changes = getattr(exc, "changes", None)
    if key == "error.stale" and changes:  # who changed what, in the reader's words
        params["detail"] = "; ".join(last_change_label(c, lang) for c in changes)
    items = getattr(exc, "errors", None)
    if key == "error.batch" and items:
        params["detail"] = "; ".join(f"#{i + 1} {sid}: {error_text(e, lang)}" for i, sid, e in items)
    try:
        return t(key, lang, **params)
    except (KeyError, IndexError, ValueError):
        return _one_language(str(exc), lang)


def worded_params(params: Mapping[str, object], lang: str) -> dict[str, object]:
    """A refusal's parameters as its text in ``lang`` takes them: a parameter that is itself a
    refusal worded in ``lang``; the language-dependent parameters the rule texts name derived from
    the stored ones — ``design_text`` (``design`` with its ``unit``, or unknown) and ``town`` (the
    name of ``town_code``)."""
    out = {name: nested_text(v, lang) if is_nested_refusal(v) else v for name, v in params.items()}
    if "problems" in params and "detail" not in out and isinstance(params["problems"], (list, tuple)):
        out["detail"] = "\n".join(f"  - {line}" for line in item_lines(
            params["problems"], params.get("warnings") or [], lang))
    if "design" in out and "design_text" not in out:
        design = out["design"]
        number = design if not isinstance(design, (int, float)) else f"{float(design):g}"
        out["design_text"] = t("common.unknown", lang) if design is None else f"{number} {out.get('unit') or ''}".strip()
    if out.get("town_code") and "town" not in out:
        out["town"] = _town_name(str(out["town_code"]), lang)
    return out


def _town_name(code: str, lang: str) -> str:
    try:
        from wufei_geo import geodata  # lazy: the gazetteer is read only when a refusal names a town

        gaz = geodata.load_gazetteer()
        names = dict(zip(gaz[geodata.TOWN_CODE].astype(str), gaz["name_en" if lang == "en" else "name_zh"], strict=True))
    except Exception:  # noqa: BLE001 — a refusal is worded even without the geodata
        return code
    return str(names.get(code, code))


def is_nested_refusal(value: object) -> bool:
    """Whether a refusal's parameter is itself a refusal (or a non-empty list of them, some items
    perhaps still plain texts)."""
    return isinstance(value, BaseException) or (isinstance(value, (list, tuple)) and bool(value)
                                                and any(isinstance(v, BaseException) for v in value)
                                                and all(isinstance(v, (BaseException, str)) for v in value))


def nested_text(value: BaseException | list[BaseException] | tuple[BaseException, ...], lang: str) -> str:
    """A refusal's parameter that is itself a refusal (the site rule behind a refused backup row),
    or a list of them, in ``lang``."""
    if isinstance(value, BaseException):
        return error_text(value, lang)
    out = ""
    for text in (item_text(v, lang) for v in value):  # sentences follow each other, phrases take "; "
        out += ("" if not out or out.endswith("。") else " " if out.endswith(".") else "; ") + text
    return out


def item_text(item: object, lang: str) -> str:
    """One problem item (an ``errors.Finding`` or any refusal) in ``lang``; a plain text as written."""
    return error_text(item, lang) if isinstance(item, BaseException) else _one_language(str(item), lang)


def item_lines(problems: list | tuple, warnings: list | tuple = (), lang: str = DEFAULT_LANG) -> list[str]:
    """Problems, then warnings marked as such, one line each in ``lang`` (a page's list, the CLI, a log)."""
    return ([item_text(p, lang) for p in problems]
            + [t("problem.warning", lang, text=item_text(w, lang)) for w in warnings])


def _one_language(message: str, lang: str) -> str:
    """A text written "English / 中文" (a database failure, a foreign exception's text) in
    ``lang``: the Chinese part for zh, the English part for en; other text as written."""
    english, sep, chinese = message.rpartition(" / ")
    if not sep or not any("\u4e00" <= ch <= "\u9fff" for ch in chinese):
        return message
    return chinese if lang == "zh" else english


# === legacy entries awaiting fold =================================================================
# New entries from parallel branches go here, one marked section per issue, as plain
# ``"key": ("中文", "English"),`` lines; ``python -m wufei_geo.i18n_catalog fold wufei_geo/i18n.py
# --strip`` moves them into the .po files.  They overlay the catalogue until then.
MESSAGES.update({
})
