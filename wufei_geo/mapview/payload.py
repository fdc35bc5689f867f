"""The site payload: per-site texts (:class:`SiteTexts`), the compact column-wise encoding per
category layer (:func:`site_payloads`) and its Python decoder (:func:`decode_sites`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wufei_geo import i18n, model
from wufei_geo.data_texts import localise
from wufei_geo.mapview.geometry import mapped_sites, to_display_datum
from wufei_geo.mapview.style import MARKER_BADGES, MARKER_MAX_PX, MARKER_MIN_PX
from wufei_geo.values import is_unknown, number_text

# Popup rows, in order: (message key of the label, how to get the text from a row).
POPUP_FIELDS: tuple[str, ...] = (
    "field.site_id",
    "field.project_id",
    "field.wet_waste_mode",
    "field.town",
    "field.village",
    "field.address",
    "field.served_towns",
    "field.capacity",
    "field.capacity_norm",
    "field.operating_capacity",
    "field.target_year",
    "field.target_status",
    "field.commissioned",
    "field.department",
    "field.implementer",
    "field.status_as_of",
    "field.status_source",
    "field.precision",
    "field.location_source",
    "field.source_ref",
    "field.data_note",
    "field.last_change",
)


def marker_sizes(sites: pd.DataFrame) -> pd.Series:
    """Marker diameter in px: sqrt-scaled by ``capacity_norm`` relative to the largest of its category.

    Sites of unknown capacity get the smallest size (their popup says 未知)."""
    cap = pd.to_numeric(sites.get("capacity_norm"), errors="coerce") if len(sites) else pd.Series(dtype=float)
    if len(sites) == 0:
        return pd.Series(dtype=int)
    top = cap.groupby(sites["category"]).transform("max")
    share = (cap / top).where((top > 0) & cap.notna() & (cap >= 0), 0.0).clip(0, 1)
    size = MARKER_MIN_PX + (MARKER_MAX_PX - MARKER_MIN_PX) * np.sqrt(share)
    return size.round().astype(int)


# --- site payload ----------------------------------------------------------------
# Sites travel to the browser column-wise, one payload per category layer, decoded into markers by
# the SiteRenderer's JS (``R.decode``):
#   x0, y0  base of the quantised coordinates (integers of 10^-SITE_COORD_DECIMALS degree)
#   x       longitudes, sorted ascending and delta-encoded (the first relative to x0)
#   y       latitudes as offsets from y0
#   c       status + flags + size in one small integer (see _codes)
#   n       the site's name in the map's language (the other language's name if it has none);
#           when it begins with the site's town name (a popup text, sent anyway) that part is
#           left out and flag bit 5 of c says so
#   ip, i   site ids: a shared prefix plus integers when every id is "<prefix><digits>", else strings
#   g       index of the site's row in the renderer's table G of distinct low-cardinality popup
#           texts (omitted when there is only one)
#   f       {popup field index: per-site refs} for the high-cardinality popup fields
# A popup text ref is 0 for unknown, -1 for a row that does not apply, k > 0 for string S[k-1];
# in the normalised-capacity column -2 means "the same text as the capacity" (the usual case).
SITE_COORD_DECIMALS = 5  # ≈ 1 m: finer than any location precision the catalog records
LOW_CARDINALITY = 64  # popup fields with at most this many distinct texts share the G table
_REF_UNKNOWN, _REF_NOT_APPLICABLE, _REF_SAME_AS_CAPACITY = 0, -1, -2
_ID_RE = re.compile(r"^(.*?)([1-9][0-9]{0,14}|0)$")


class StringTable:
    """A string table: each distinct text stored once; ``ref`` is its index + 1 (0 = unknown)."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self._index: dict[str, int] = {}

    def ref(self, value: object) -> int:
        if value is _NOT_APPLICABLE:
            return _REF_NOT_APPLICABLE
        if is_unknown(value):
            return _REF_UNKNOWN
        text = str(value)
        idx = self._index.get(text)
        if idx is None:
            idx = self._index[text] = len(self.items)
            self.items.append(text)
        return idx + 1

    def refs(self, values: list[object]) -> np.ndarray:
        """``[self.ref(v) for v in values]`` with one ``ref`` per distinct value, not per value.

        Distinct values are found by hashing, where 1 == 1.0 == True; so this shortcut is only
        taken when every distinct value is text (the usual case), else each value is ref'd."""
        codes, uniques = pd.factorize(np.asarray(values + [None], dtype=object)[: len(values)])
        if not all(u.__class__ is str or u is _NOT_APPLICABLE for u in uniques):
            return np.asarray([self.ref(v) for v in values], dtype=np.int32)
        lut = np.asarray([self.ref(u) for u in uniques] + [_REF_UNKNOWN], dtype=np.int32)
        return lut[codes]  # code -1 (None, NaN) → the last entry: unknown


def _capacity_text(value: object, unit: object, lang: str) -> str | None:
    if is_unknown(value):
        return None
    try:
        number = number_text(value, "compact")
    except (TypeError, ValueError):
        number = str(value)
    label = i18n.unit_label(unit, lang)
    return f"{number} {label}".strip()


_NOT_APPLICABLE = object()  # a popup row that does not apply to this category (not shown)


def _col(frame: pd.DataFrame, name: str) -> list[object]:
    if name not in frame.columns:
        return [None] * len(frame)
    return [None if is_unknown(v) else v for v in frame[name].tolist()]


def _precision_col(frame: pd.DataFrame) -> list[object]:
    return [d if d is not None else p for d, p in zip(_col(frame, "display_precision"), _col(frame, "precision"), strict=False)]


def _popup_columns(frame: pd.DataFrame, lang: str, names: dict[str, str]) -> list[list[object]]:
    """The texts of every :data:`POPUP_FIELDS` row for every site, column by column."""
    cats = frame["category"].astype(str).tolist()

    def town(code: object) -> object:
        return None if code is None else names.get(str(code), str(code))

    def served(value: object, cat: str) -> object:
        if value is None:
            return None if cat == "transfer_station" else _NOT_APPLICABLE
        return "、".join(str(town(c.strip())) for c in str(value).split(";") if c.strip())

    def year(value: object) -> object:
        if value is None:
            return None
        try:
            return str(int(float(value)))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return str(value)

    def caps(value_col: str, unit_col: str) -> list[object]:
        return [_capacity_text(v, u, lang) for v, u in zip(_col(frame, value_col), _col(frame, unit_col), strict=False)]

    modes = [
        (_NOT_APPLICABLE if cat != "wet_waste" else None) if m is None else i18n.wet_waste_mode_label(m, lang)
        for m, cat in zip(_col(frame, "wet_waste_mode"), cats, strict=False)
    ]
    return [
        [str(v) for v in frame["site_id"].tolist()],
        _col(frame, "project_id"),
        modes,
        [town(c) for c in _col(frame, "town_code")],
        _col(frame, "village"),
        _col(frame, "address"),
        [served(v, c) for v, c in zip(_col(frame, "served_towns"), cats, strict=False)],
        caps("capacity_value", "capacity_unit"),
        caps("capacity_norm", "capacity_norm_unit"),
        caps("operating_capacity_value", "operating_capacity_unit"),
        [year(v) for v in _col(frame, "target_year")],
        [None if v is None else i18n.status_label(v, lang) for v in _col(frame, "target_status")],
        _col(frame, "commissioned"),
        _col(frame, "department"),
        _col(frame, "implementer"),
        _col(frame, "status_as_of"),
        [localise(i18n.audit_value_label("status_source", v, lang) or v, lang) for v in _col(frame, "status_source")],
        [None if v is None else i18n.precision_label(v, lang) for v in _precision_col(frame)],
        [localise(i18n.audit_value_label("location_source", v, lang) or v, lang)
         for v in _col(frame, "location_source")],
        _col(frame, "source_ref"),
        [localise(v, lang) for v in _col(frame, "data_note")],
        _col(frame, "last_change"),
    ]


CAPACITY_FIELD = POPUP_FIELDS.index("field.capacity")
_CAPACITY_NORM_FIELD = POPUP_FIELDS.index("field.capacity_norm")


def _site_ids(ids: list[str]) -> dict[str, object]:
    matches = [_ID_RE.match(s) for s in ids]
    if ids and all(matches):
        prefixes = {m.group(1) for m in matches}  # type: ignore[union-attr]
        if len(prefixes) == 1:
            return {"ip": prefixes.pop(), "i": [int(m.group(2)) for m in matches]}  # type: ignore[union-attr]
    return {"i": ids}


@dataclass(frozen=True)
class SiteTexts:
    """The per-site texts of the site payload in one language, computed once for a set of sites.

    The costly part of :func:`site_payloads` is turning every site's popup fields into texts
    (labels, formatted capacities, town names) — it depends on the sites and the language only,
    not on the filter, the basemap or the marker sizes.  The app computes it once for the whole
    catalog (:func:`site_texts`) and hands it to :func:`build_map`, so a filter change only
    slices it.  ``refs`` are refs into ``strings`` (see the payload notes above), one row per
    popup field, one column per site, in the order of ``site_ids``.
    """

    lang: str
    site_ids: pd.Index  # str, one per site (located sites only)
    refs: np.ndarray  # int32 (len(POPUP_FIELDS), n)
    strings: tuple[str, ...]
    short_names: np.ndarray  # object: the name without a leading town name, or None
    elide: np.ndarray  # bool: the name began with the town name (left out of short_names)
    status: np.ndarray  # int: index in model.STATUSES, -1 unknown
    approx: np.ndarray  # bool: approximate location
    overdue: np.ndarray  # bool
    # bit k set: the site's MARKER_BADGES[k].column is true (a column absent from the frame: 0)
    badges: np.ndarray | None = None  # int


def badge_mask(frame: pd.DataFrame) -> np.ndarray:
    """Per row, the bit mask of :data:`MARKER_BADGES` whose boolean column is true (absent column: 0)."""
    mask = np.zeros(len(frame), dtype=np.int64)
    for k, badge in enumerate(MARKER_BADGES):
        if badge.column in frame.columns:
            on = frame[badge.column].astype(object).where(frame[badge.column].notna(), False).astype(bool).to_numpy()
            mask |= on.astype(np.int64) << k
    return mask


def site_texts(sites: pd.DataFrame, lang: str, names: dict[str, str]) -> SiteTexts:
    """The :class:`SiteTexts` of the located ``sites`` in ``lang`` (``names``: :func:`town_names`)."""
    lang = "en" if lang == "en" else "zh"
    located = mapped_sites(sites)
    status_index = {s: i for i, s in enumerate(model.STATUSES)}
    statuses = [status_index.get(s, -1) for s in located["status"].tolist()]
    approx = [p in model.APPROXIMATE_PRECISIONS for p in _precision_col(located)]
    overdue = [o is not None and bool(o) for o in _col(located, "overdue")]
    name_col, other_col = ("name_en", "name_zh") if lang == "en" else ("name_zh", "name_en")
    display_names = [n if n is not None else o for n, o in zip(_col(located, name_col), _col(located, other_col), strict=False)]

    columns = _popup_columns(located, lang, names)
    town_col = columns[POPUP_FIELDS.index("field.town")]
    elide = [
        n is not None and t is not None and len(str(n)) > len(t) and str(n).startswith(t)
        for n, t in zip(display_names, town_col, strict=False)
    ]
    short_names = [
        None if n is None else (str(n)[len(t):] if e else str(n))  # type: ignore[arg-type]
        for n, t, e in zip(display_names, town_col, elide, strict=False)
    ]
    strings = StringTable()
    n = len(located)
    refs = np.zeros((len(POPUP_FIELDS), n), dtype=np.int32)
    for j, col in enumerate(columns):
        refs[j] = strings.refs(col)
    norm, cap = refs[_CAPACITY_NORM_FIELD], refs[CAPACITY_FIELD]
    refs[_CAPACITY_NORM_FIELD] = np.where((norm == cap) & (norm > 0), _REF_SAME_AS_CAPACITY, norm)
    return SiteTexts(
        lang=lang,
        site_ids=pd.Index(columns[0], dtype=object),
        refs=refs,
        strings=tuple(strings.items),
        short_names=np.asarray(short_names + [None], dtype=object)[:n],
        elide=np.asarray(elide, dtype=bool),
        status=np.asarray(statuses, dtype=np.int64),
        approx=np.asarray(approx, dtype=bool),
        overdue=np.asarray(overdue, dtype=bool),
        badges=badge_mask(located),
    )


def _first_seen_groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct rows of ``keys`` in order of first appearance, each row's index among them)."""
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    order = np.argsort(first, kind="stable")  # unique's sorted order → first-appearance order
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return keys[np.sort(first)], rank[inverse]


def site_payloads(
    sites: pd.DataFrame,
    lang: str,
    basemap: str,
    strings: StringTable,
    names: dict[str, str],
    texts: SiteTexts | None = None,
) -> tuple[dict[str, dict], dict[str, object]]:
    """(category → compact column-wise payload, shared popup tables) of the located ``sites``.

    The shared part holds ``G`` (the distinct rows of low-cardinality popup texts, as refs) and
    ``low`` (popup field index → position in a G row); texts go into ``strings``.  ``texts``:
    precomputed :func:`site_texts` of these sites or of any superset of them, in ``lang``
    (computed here when None); only the texts these sites use are sent."""
    located = mapped_sites(sites)
    shared: dict[str, object] = {"G": [], "low": {}}
    if len(located) == 0:
        return {}, shared
    located = located.reset_index(drop=True)
    texts, rows_in_texts = _texts_of(located, "en" if lang == "en" else "zh", names, texts)
    lon, lat = to_display_datum(
        pd.to_numeric(located["display_lon"]).to_numpy(), pd.to_numeric(located["display_lat"]).to_numpy(), basemap
    )
    scale = 10**SITE_COORD_DECIMALS
    columns = {
        "qx": np.round(lon * scale).astype(np.int64),
        "qy": np.round(lat * scale).astype(np.int64),
        "codes": _codes(texts, rows_in_texts, marker_sizes(located).to_numpy().astype(np.int64)),
        "names": texts.short_names[rows_in_texts],
        "ids": texts.site_ids.to_numpy()[rows_in_texts],
        "badges": texts.badges[rows_in_texts] if texts.badges is not None else badge_mask(located),
    }
    refs = _renumbered_refs(texts, rows_in_texts, strings)
    low = [j for j in range(1, len(refs)) if len(np.unique(refs[j])) <= LOW_CARDINALITY]
    high = [j for j in range(1, len(refs)) if j not in low]
    shared["low"] = {str(j): k for k, j in enumerate(low)}
    if low:
        distinct, group = _first_seen_groups(refs[low].T)
        shared["G"] = distinct.tolist()
    else:
        shared["G"], group = [[]], np.zeros(len(located), dtype=np.int64)
    grouped = len(shared["G"]) > 1  # type: ignore[arg-type]
    cats = located["category"].astype(str).to_numpy()
    out: dict[str, dict] = {}
    for cat in model.CATEGORIES:
        idx = np.flatnonzero(cats == cat)
        if len(idx):
            idx = idx[np.lexsort((columns["qy"][idx], columns["qx"][idx]))]
            out[cat] = _layer_payload(idx, columns, refs, high, group if grouped else None)
    return out, shared


def _texts_of(located: pd.DataFrame, lang: str, names: dict[str, str],
              texts: SiteTexts | None) -> tuple[SiteTexts, np.ndarray]:
    """(the texts to use, each located site's row in them): ``texts`` when it covers these sites in
    ``lang``, else computed for them (another language; data changed since it was made)."""
    if texts is not None and texts.lang == lang and texts.site_ids.is_unique:
        rows = texts.site_ids.get_indexer(pd.Index(located["site_id"].astype(str).tolist(), dtype=object))
        if not (rows < 0).any():
            return texts, rows
    return site_texts(located, lang, names), np.arange(len(located))


def _renumbered_refs(texts: SiteTexts, rows: np.ndarray, strings: StringTable) -> np.ndarray:
    """This subset's refs, renumbered into ``strings`` (only the texts it uses travel)."""
    refs = texts.refs[:, rows]
    used = np.unique(refs[refs > 0])
    lut = np.zeros(len(texts.strings) + 1, dtype=np.int32)
    for u in used.tolist():
        lut[u] = strings.ref(texts.strings[u - 1])
    return np.where(refs > 0, lut[np.clip(refs, 0, None)], refs)


def _codes(texts: SiteTexts, rows: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Status, flags and marker size of each site in one small integer (decoded by the renderer asset):
    status index + 1 (0 unknown) in bits 0-2, approximate location bit 3, overdue bit 4, name begins
    with the town name bit 5, the marker size above MARKER_MIN_PX from bit 6 on."""
    return (
        texts.status[rows]
        + 1
        + 8 * texts.approx[rows]
        + 16 * texts.overdue[rows]
        + 32 * texts.elide[rows]
        + 64 * (sizes - MARKER_MIN_PX)
    )


def _layer_payload(idx: np.ndarray, columns: dict[str, np.ndarray], refs: np.ndarray, high: list[int],
                   group: np.ndarray | None) -> dict[str, object]:
    """One category's payload: the sites ``idx`` (sorted west to east), delta-coded coordinates."""
    xs, ys = columns["qx"][idx], columns["qy"][idx]
    payload: dict[str, object] = {
        "x0": int(xs[0]),
        "y0": int(ys.min()),
        "x": np.diff(xs, prepend=xs[0]).tolist(),
        "y": (ys - ys.min()).tolist(),
        "c": columns["codes"][idx].tolist(),
        "n": columns["names"][idx].tolist(),
    }
    payload.update(_site_ids(columns["ids"][idx].tolist()))
    badges = columns["badges"][idx]
    if badges.any():  # bit k: MARKER_BADGES[k] (left out when no site has a badge)
        payload["b"] = badges.tolist()
    if group is not None:
        payload["g"] = group[idx].tolist()
    fields = {}
    for j in high:
        col = refs[j, idx]
        if col.any():  # a column of unknowns only is left out (read as unknown)
            fields[str(j)] = col.tolist()
    payload["f"] = fields
    return payload


def decode_sites(payload: dict, config: dict) -> list[dict]:
    """The sites of one layer payload as the browser decodes them (for tests and callers):
    ``site_id, lon, lat, name, status, approx, overdue, badges`` (the columns of the
    :data:`MARKER_BADGES` drawn on it), ``size`` and ``fields`` (popup field key →
    text, None for unknown; rows that do not apply are left out)."""
    scale = 10**SITE_COORD_DECIMALS
    out = []
    x = payload["x0"]
    ids = payload["i"]
    for i, dx in enumerate(payload["x"]):
        x += dx
        code = payload["c"][i]
        site_id = f"{payload['ip']}{ids[i]}" if "ip" in payload else ids[i]
        g = config["G"][payload["g"][i]] if "g" in payload else (config["G"][0] if config["G"] else [])
        fields: dict[str, str | None] = {}
        for j, key in enumerate(POPUP_FIELDS):
            if j == 0:
                fields[key] = site_id
                continue
            if str(j) in config["low"]:
                ref = g[config["low"][str(j)]]
            else:
                col = payload["f"].get(str(j))
                ref = col[i] if col is not None else _REF_UNKNOWN
            if ref == _REF_SAME_AS_CAPACITY:
                ref = payload["f"][str(CAPACITY_FIELD)][i] if str(CAPACITY_FIELD) in payload["f"] else (
                    g[config["low"][str(CAPACITY_FIELD)]]
                )
            if ref == _REF_NOT_APPLICABLE:
                continue
            fields[key] = None if ref == _REF_UNKNOWN else config["S"][ref - 1]
        out.append(
            {
                "site_id": site_id,
                "lon": round(x / scale, SITE_COORD_DECIMALS),
                "lat": round((payload["y0"] + payload["y"][i]) / scale, SITE_COORD_DECIMALS),
                "name": (fields["field.town"] if code & 32 else "") + payload["n"][i]
                if payload["n"][i] is not None
                else None,
                "status": None if code & 7 == 0 else model.STATUSES[(code & 7) - 1],
                "approx": bool(code & 8),
                "overdue": bool(code & 16),
                "badges": [b.column for k, b in enumerate(MARKER_BADGES) if payload.get("b", [0] * (i + 1))[i] >> k & 1],
                "size": MARKER_MIN_PX + (code >> 6),
                "fields": fields,
            }
        )
    return out
