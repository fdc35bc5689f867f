"""The seed places: ``facilities/places.csv`` (what the plan names, with cited towns; see
``facilities/NOTES.md``) read as records, and :func:`validate_seed` — every row through the same
field rules as a person's add (no invented point: a precision only with what supports it)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd

from wufei_geo.errors import ValidationError
from wufei_geo.paths import FACILITIES_DIR
from wufei_geo.places import rules

SEED_FILE = "places.csv"
SEED_COLUMNS = ("place_id", "name_zh", "name_en", "place_type", "town_code", "address", "lon", "lat", "precision",
                "location_source", "status", "status_as_of", "status_source", "responsible_unit", "source_ref",
                "data_note")


def load_seed_places(facilities_dir: Path | str = FACILITIES_DIR) -> list[dict[str, Any]]:
    """The rows of ``places.csv`` as dicts (empty cells → None, lon/lat as floats WGS-84)."""
    frame = pd.read_csv(Path(facilities_dir) / SEED_FILE, dtype=str, keep_default_na=False)
    out = []
    for rec in frame.to_dict("records"):
        row: dict[str, Any] = {k: (v.strip() or None) if isinstance(v, str) else v for k, v in rec.items()}
        for k in ("lon", "lat"):
            row[k] = float(row[k]) if row.get(k) else None
        out.append(row)
    return out


def validate_seed(facilities_dir: Path | str = FACILITIES_DIR) -> list[str]:
    """Problems of ``places.csv`` as ``places.csv:ROW: field: message`` (row 1 = header)."""
    problems: list[str] = []
    frame = pd.read_csv(Path(facilities_dir) / SEED_FILE, dtype=str, keep_default_na=False)
    missing = [c for c in SEED_COLUMNS if c not in frame.columns]
    if missing:
        return [f"{SEED_FILE}:1: missing columns {', '.join(missing)}"]
    seen: set[str] = set()
    today = dt.date.today()
    for i, rec in enumerate(load_seed_places(facilities_dir), start=2):
        where = f"{SEED_FILE}:{i}"
        try:
            pid = rules.check_place_id(rec.get("place_id"))
            if pid in seen:
                problems.append(f"{where}: place_id: duplicate {pid}")
            seen.add(pid)
            fields = {k: rec.get(k) for k in ("name_zh", "name_en", "place_type", "town_code", "address", "precision",
                                               "location_source", "status", "status_as_of", "status_source",
                                               "responsible_unit", "data_note")}
            if rec.get("lon") is not None or rec.get("lat") is not None:
                fields["location"] = (rec.get("lon"), rec.get("lat"), "wgs84")
            cols = rules.parse_fields(fields, today)
            rules.check_whole({**cols, "lon": cols.get("lon"), "area": None})
            if not rec.get("source_ref"):
                problems.append(f"{where}: source_ref: every seed place names where the plan names it")
            if not rec.get("location_source"):
                problems.append(f"{where}: location_source: say where the town/location comes from (or why none)")
            if rec.get("precision") in ("exact", "address") and rec.get("lon") is None:
                problems.append(f"{where}: precision: exact/address without a point")
        except ValidationError as exc:
            problems.append(f"{where}: {getattr(exc, 'field', None) or '?'}: {exc}")
    return problems
