"""Bulk import of places (administrators): a CSV (UTF-8/GBK) or XLSX with one place per row, read
with the sites' bounded reader (:func:`wufei_geo.io.bulk_import.read_table`: the same file, row,
column and cell limits), dry run first.

Columns (an export of the places layer can be edited and sent back): ``place_id`` (required; a new
id adds a place), ``name_zh``, ``name_en``, ``place_type`` (code or name), ``town`` or ``town_code``
(code or name), ``address``, ``lon`` + ``lat`` (+ ``datum``: wgs84, gcj02, bd09; default wgs84),
``area`` (GeoJSON polygon, WGS-84), ``precision``, ``location_source``, ``status`` (code or name),
``status_as_of``, ``status_source``, ``responsible_unit``, ``data_note``, ``note``, ``version``.
An empty cell means "no change".  A row with an address and a town but no coordinates is placed
in its town (precision ``town``): nothing geocodes an address here, so no point is invented.

Every rule is the store's (:meth:`wufei_geo.places.store.PlaceBook.apply_batch`): permission,
fields, notes — all rows in one transaction, or none.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wufei_geo import i18n
from wufei_geo.errors import WufeiError
from wufei_geo.io.bulk_import import read_table
from wufei_geo.io.tabular import ImportFileError
from wufei_geo.places.store import place_book
from wufei_geo.places.vocab import PLACE_STATUSES, PLACE_TYPES

TEXT_COLUMNS = ("name_zh", "name_en", "address", "precision", "location_source", "status_as_of", "status_source",
                "responsible_unit", "data_note", "area")
KNOWN_COLUMNS = frozenset({"place_id", "place_type", "town", "town_code", "lon", "lat", "datum", "status", "note",
                           "version", *TEXT_COLUMNS})


@dataclass
class PlaceImportReport:
    """What an import did (or, in a dry run, would do): one line per row, every refusal with its row."""

    dry_run: bool
    rows: list[dict[str, Any]] = field(default_factory=list)  # {row, place_id, action}
    errors: list[dict[str, Any]] = field(default_factory=list)  # {row, place_id, message}

    @property
    def ok(self) -> bool:
        return not self.errors


def _aliases(records: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for r in records:
        out[r.code] = r.code
        for lang in ("zh", "en"):
            out[i18n.t(r.label_key, lang).strip().lower()] = r.code
    return out


def _items(frame: Any, lang: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows as store items, and the rows that cannot even be read as one."""
    if "place_id" not in frame.columns:
        raise ImportFileError(key="places.import.no_id")
    types, statuses = _aliases(PLACE_TYPES), _aliases(PLACE_STATUSES)
    items, errors = [], []
    for i, raw in enumerate(frame.to_dict("records"), start=2):
        pid = raw.get("place_id", "").strip()
        changes: dict[str, Any] = {k: raw[k] for k in TEXT_COLUMNS if raw.get(k)}
        if raw.get("place_type"):
            changes["place_type"] = types.get(raw["place_type"].strip().lower(), raw["place_type"])
        if raw.get("status"):
            changes["status"] = statuses.get(raw["status"].strip().lower(), raw["status"])
        town = raw.get("town_code") or raw.get("town")
        if town:
            changes["town_code"] = town
        if raw.get("lon") or raw.get("lat"):
            changes["location"] = (raw.get("lon"), raw.get("lat"), (raw.get("datum") or "wgs84").strip().lower())
        version = None
        if raw.get("version"):
            try:
                version = int(float(raw["version"]))
            except ValueError:
                errors.append({"row": i, "place_id": pid, "message": f"version {raw['version']!r} is not a number"})
                continue
        items.append({"row": i, "place_id": pid, "changes": changes, "version": version,
                      "note": raw.get("note") or None})
    return items, errors


def import_places(store: Any, actor: Any, data: bytes, filename: str = "", lang: str = "zh", *,
                  apply: bool = False) -> PlaceImportReport:
    """Read the file and run it through the store: a dry run unless ``apply`` (then all or nothing).
    File problems raise :class:`ImportFileError`; refusals of the whole import (not an
    administrator) raise the store's refusal."""
    frame = read_table(data, filename)
    items, unreadable = _items(frame, lang)
    report = PlaceImportReport(dry_run=not apply, errors=list(unreadable))
    book = place_book(store)
    existing = set(book.frame(include_retired=True)["place_id"])
    results = book.apply_batch(actor, items, dry_run=not apply or bool(unreadable))
    for (row, _result, exc), item in zip(results, items, strict=True):
        if isinstance(exc, WufeiError):
            report.errors.append({"row": row, "place_id": item["place_id"], "message": i18n.error_text(exc, lang)})
        else:
            report.rows.append({"row": row, "place_id": item["place_id"],
                                "action": "update" if item["place_id"] in existing else "add"})
    report.errors.sort(key=lambda e: e["row"])
    return report
