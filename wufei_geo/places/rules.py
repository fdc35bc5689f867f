"""THE rules of places: who may do what (:func:`may_place`, the ONE permission function, made to
move into ``wufei_geo/permissions.py``'s ``may(actor, action, thing)`` at merge), and every field
rule of a place (:func:`parse_fields`), used by the store for the form, the CLI, the bulk import
and the seed alike."""
from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from typing import Any

from wufei_geo import auth, permissions, site_rules
from wufei_geo.errors import PermissionDenied, ValidationError
from wufei_geo.model import DATUMS, IDENTIFIER_PATTERN, PRECISIONS
from wufei_geo.places.vocab import COUNTED_STATUSES, PLACE_STATUS, PLACE_TYPE
from wufei_geo.store.values import check_text

MAX_NAME_CHARS = 200
MAX_TEXT_CHARS = 2_000
MAX_AREA_CHARS = 200_000  # GeoJSON text of one outline
PLACE_ACTIONS = ("add", "update", "confirm", "set_counted_status", "decide_claim", "import", "retire")
# each place action is one action of the permission owner
_PERMISSION = {"add": "edit_place", "update": "edit_place", "confirm": "edit_place",
               "set_counted_status": "set_counted_place_status", "decide_claim": "decide_place_claim",
               "import": "administer", "retire": "administer"}


# --------------------------------------------------------------------------- THE permission rule
def may_place(who: Any, action: str, place: Mapping[str, Any] | None = None) -> bool:
    """Whether ``who`` (a live session row or Actor: ``role``, ``town_code``, ``name``) may do
    ``action`` to ``place`` (a place dict; for ``add``/``update`` the town before AND after count:
    the store asks once per town).  The roles' rights are :mod:`wufei_geo.permissions`' actions:

    * ``add``, ``update``, ``confirm`` (``edit_place``): planners and administrators in any town; a
      town official only in their own town (a place with no town is the district's: not an official's).
    * ``set_counted_status`` (已建成 / 已命名 — the step that counts toward a target): planners and
      administrators; an official's such change becomes a 待核实 claim instead.
    * ``decide_claim`` (approve or reject a claim): planners and administrators, never the claimant.
    * ``import`` (bulk import) and ``retire``: administrators.
    """
    if action not in PLACE_ACTIONS:
        raise ValueError(f"unknown place action {action!r}")
    if action == "decide_claim" and place is not None and place.get("claim_by") == getattr(who, "name", None):
        return False
    return permissions.may(who, _PERMISSION[action], place)


def require_place(who: Any, action: str, place: Mapping[str, Any] | None = None) -> None:
    """:func:`may_place` or a keyed refusal."""
    if may_place(who, action, place):
        return
    params = {"name": getattr(who, "name", None), "role": getattr(who, "role", None),
              "place_id": (place or {}).get("place_id"), "town": getattr(who, "town_code", None),
              "place_town": (place or {}).get("town_code")}
    if _PERMISSION[action] == "edit_place" and permissions.town_scope(who) is not None:
        raise PermissionDenied(key="error.place_other_town", params=params, rule="place_other_town")
    if action == "decide_claim" and place is not None and place.get("claim_by") == getattr(who, "name", None):
        raise PermissionDenied(key="error.place_own_claim", params=params, rule="own_claim")
    raise PermissionDenied(key="error.place_role", params=params, rule="place_role")


# --------------------------------------------------------------------------- field rules
def refuse(rule: str, field: str, *, key: str | None = None, **params: Any) -> ValidationError:
    """A field rule's refusal (raise the result): its rule key, the field and parameters only; the
    catalogue's ``place_rule.<rule>`` (or ``key``, for a rule worded two ways) words it."""
    return ValidationError(rule=rule, key=key or f"place_rule.{rule}", field=field, **params)


def _text(field: str, value: Any, limit: int = MAX_TEXT_CHARS) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if not isinstance(value, str):
        value = str(value)
    value = value.strip()
    if not value:
        return None
    check_text(field, value, controls=True)
    if len(value) > limit:
        raise refuse("text_too_long", field, limit=limit)
    return value


def check_place_id(value: Any) -> str:
    pid = value.strip() if isinstance(value, str) else ""
    if not re.fullmatch(IDENTIFIER_PATTERN, pid):
        raise refuse("place_id", "place_id", value=value)
    return pid


def parse_date(field: str, value: Any, today: dt.date) -> str | None:
    """A status date (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, not in the future) — the sites' date rule."""
    try:
        return site_rules.parse_date(value, today)
    except ValidationError as exc:
        raise refuse("date_format", field, value=value) from exc


def parse_area(value: Any) -> str | None:
    """A place's outline as stored: GeoJSON (text or mapping; a Feature, Polygon or MultiPolygon),
    WGS-84, valid, inside Qingpu District (its representative point), coordinates to 7 decimals."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    import shapely
    from shapely.geometry import mapping, shape

    from wufei_geo import geodata

    try:
        if isinstance(value, str):
            if len(value) > MAX_AREA_CHARS:
                raise ValueError("too long")
            value = json.loads(value)
        if value.get("type") == "Feature":
            value = value.get("geometry")
        geom = shape(value)
    except Exception as exc:  # noqa: BLE001 — json, shapely and attribute errors alike
        raise refuse("area_format", "area", key="place_rule.area_not_geojson", error=str(exc)) from None
    coords = shapely.get_coordinates(geom)
    if (geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon") or not geom.is_valid
            or not len(coords) or not (abs(coords[:, 0]) <= 180).all() or not (abs(coords[:, 1]) <= 90).all()):
        raise refuse("area_format", "area")
    point = geom.representative_point()
    if not bool(geodata.in_district([point.x], [point.y])[0]):
        raise refuse("outside_district", "area")
    geom = shapely.set_precision(geom, 1e-7)
    return json.dumps(mapping(geom), ensure_ascii=False)


def note_required(old_status: Any, new_status: Any) -> bool:
    """Moving into withdrawn, or backwards in the lifecycle, needs a note (the sites' note rule)."""
    if old_status == new_status or new_status is None or old_status is None:
        return False
    new, old = PLACE_STATUS[new_status], PLACE_STATUS.get(old_status)
    backwards = old is not None and old.rank is not None and new.rank is not None and new.rank < old.rank
    return new.needs_note or backwards


def check_note(old_status: Any, new_status: Any, note: str | None) -> None:
    if note_required(old_status, new_status) and not (note and note.strip()):
        raise ValidationError(None, "note_required", key="error.note_required_backwards", field="note",
                              old_status=old_status, new_status=new_status)


def parse_fields(changes: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    """The columns of a place's add or update: each field of ``changes`` checked and normalised.
    ``location`` is ``(lon, lat, datum)`` (``None`` clears the point)."""
    from wufei_geo.places.vocab import EDITABLE_FIELDS

    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise refuse("unknown_field", unknown[0], fields=", ".join(unknown))
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if key in ("name_zh", "name_en"):
            out[key] = _text(key, value, MAX_NAME_CHARS)
        elif key == "place_type":
            if value not in PLACE_TYPE:
                raise refuse("place_type", key, value=value)
            out[key] = value
        elif key == "status":
            if value not in PLACE_STATUS:
                raise refuse("place_status", key, value=value)
            out[key] = value
        elif key == "town_code":
            out[key] = None if value in (None, "") else auth.town_code_from(value)
        elif key == "location":
            if value is None:
                out.update(lon=None, lat=None)
            else:
                if not isinstance(value, (tuple, list)) or len(value) != 3 or value[2] not in DATUMS:
                    raise refuse("location_format", "location")
                loc = site_rules.parse_location(tuple(value))
                out.update(lon=loc["lon"], lat=loc["lat"])
        elif key == "area":
            out[key] = parse_area(value)
        elif key == "precision":
            if value not in PRECISIONS:
                raise refuse("precision", key, value=value)
            out[key] = value
        elif key == "status_as_of":
            out[key] = parse_date(key, value, today)
        else:
            out[key] = _text(key, value)
    return out


def check_whole(place: Mapping[str, Any]) -> None:
    """Rules over the whole place after a change: a name and a type; a point or area only with a
    precision that says so, exact/address only with one (never an invented point)."""
    if not place.get("name_zh"):
        raise refuse("required", "name_zh")
    if place.get("place_type") not in PLACE_TYPE:
        raise refuse("place_type", "place_type", key="place_rule.place_type_required")
    if place.get("status") not in PLACE_STATUS:
        raise refuse("place_status", "status", key="place_rule.place_status_required")
    located = place.get("lon") is not None or place.get("area") is not None
    if place.get("precision") in ("exact", "address") and not located:
        raise refuse("precision_without_location", "precision")
    if place.get("precision") == "town" and not place.get("town_code"):
        raise refuse("precision_without_town", "precision")


def is_counted(status: Any) -> bool:
    return status in COUNTED_STATUSES
