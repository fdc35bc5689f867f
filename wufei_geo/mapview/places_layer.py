"""Places on the map (issue 24): their own layer beside the sites' (the site renderer is not
touched) — a marker per place (its type's glyph, its status's colour; a dashed outline when
placed only by its town), its area drawn as a polygon where it has one, a popup, and their own
legend box.  Every text a person typed is escaped here (names, sources, notes).

:func:`filter_places` is the pure filter (type, status, search) the map page applies."""
from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

import folium
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement, Template

from wufei_geo import auth
from wufei_geo.i18n import precision_label, t
from wufei_geo.mapview.escape import safe_json
from wufei_geo.mapview.geometry import geom_for_display, to_display_datum
from wufei_geo.places.located import area_geometry
from wufei_geo.places.vocab import PLACE_STATUS, PLACE_STATUSES, PLACE_TYPE, glyph, status_label, type_label

LAYER_NAME_KEY = "places.map.layer"


def filter_places(places: pd.DataFrame | None, types: Iterable[str] = (), statuses: Iterable[str] = (),
                  query: str = "") -> pd.DataFrame:
    """The places of the chosen ``types`` and ``statuses`` (empty = all) whose id, names, address
    or responsible unit contain ``query`` (case-insensitive)."""
    if places is None or not len(places):
        return pd.DataFrame() if places is None else places
    keep = pd.Series(True, index=places.index)
    types, statuses = list(types), list(statuses)
    if types:
        keep &= places["place_type"].isin(types)
    if statuses:
        keep &= places["status"].isin(statuses)
    q = (query or "").strip().lower()
    if q:
        text = places[["place_id", "name_zh", "name_en", "address", "responsible_unit"]].fillna("").astype(str)
        keep &= text.apply(lambda col: col.str.lower().str.contains(q, regex=False)).any(axis=1)
    return places[keep]


def _esc(text: Any) -> str:
    """HTML-escaped, and no brace left that a template engine could read (folium renders twice)."""
    return html.escape(str(text)).replace("{", "&#123;").replace("}", "&#125;")


def _name(row: dict[str, Any], lang: str) -> str:
    en, zh = row.get("name_en"), row.get("name_zh")
    return str(en if lang == "en" and isinstance(en, str) and en else zh or row.get("place_id"))


def popup_html(row: dict[str, Any], lang: str, towns: dict[str, str]) -> str:
    """The popup of one place: every value escaped."""
    e = _esc

    def line(key: str, value: Any) -> str:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
            value = t("common.unknown", lang)
        return f"<div><b>{e(t(key, lang))}</b>: {e(str(value))}</div>"

    status = status_label(row.get("status"), lang)
    if row.get("claim_status"):
        status += " · " + t("places.map.claim", lang, status=status_label(row["claim_status"], lang))
    town = towns.get(str(row.get("town_code")), row.get("town_code")) if row.get("town_code") else None
    parts = [
        f"<div style='font-weight:bold'>{e(_name(row, lang))}</div>",
        line("places.field.type", type_label(row.get("place_type"), lang)),
        line("places.field.status", status),
        line("places.field.status_as_of", row.get("status_as_of")),
        line("places.field.status_source", row.get("status_source")),
        line("places.field.town", town),
        line("places.field.precision", precision_label(row.get("display_precision") or row.get("precision"), lang)),
        line("places.field.unit", row.get("responsible_unit")),
        line("places.field.source_ref", row.get("source_ref")),
        f"<div style='color:#666'>{e(str(row.get('place_id')))}</div>",
    ]
    if row.get("stale"):
        parts.insert(3, f"<div style='color:#b35806'>{e(t('places.map.stale', lang))}</div>")
    return "<div class='wf-place-popup' style='min-width:220px'>" + "".join(parts) + "</div>"


def _marker_html(row: dict[str, Any], lang: str) -> str:
    code = row.get("place_type")
    status = PLACE_STATUS.get(str(row.get("status")))
    fill = status.colour if status else "#b0b0b0"
    outline = PLACE_TYPE[code].colour if code in PLACE_TYPE else "#444"
    dashed = "dashed" if row.get("display_precision") in ("town", "district", "village") else "solid"
    pending = "box-shadow:0 0 0 2px #fff,0 0 0 4px #e6550d;" if row.get("claim_status") else ""
    return (f"<div class='wf-place' style='width:22px;height:22px;border-radius:5px;background:{fill};"
            f"border:3px {dashed} {outline};color:#fff;font:bold 11px/22px sans-serif;text-align:center;"
            f"{pending}'>{html.escape(glyph(code, lang))}</div>")


def place_features(places: pd.DataFrame, lang: str, basemap: str = "none") -> list[dict[str, Any]]:
    """What the layer draws, per place: ``{id, lat, lon, icon, tip, popup, area}`` (area: GeoJSON of its
    outline in the basemap's datum, or None; lat/lon None when it has no display point).  Every
    text is escaped HTML; a place with neither a point nor an area is left out (no invented point)."""
    towns = auth.town_names(lang)
    out = []
    for row in places.to_dict("records"):
        area = area_geometry(row.get("area"))
        x, y = row.get("display_lon"), row.get("display_lat")
        has_point = x is not None and y is not None and bool(np.isfinite(x) and np.isfinite(y))
        if area is None and not has_point:
            continue
        code = row.get("place_type")
        item: dict[str, Any] = {"id": str(row.get("place_id")), "lat": None, "lon": None,
                                "icon": _marker_html(row, lang), "tip": _esc(_name(row, lang)),
                                "popup": popup_html(row, lang, towns), "area": None,
                                "colour": PLACE_TYPE[code].colour if code in PLACE_TYPE else "#444"}
        if has_point:
            dx, dy = to_display_datum(np.array([x]), np.array([y]), basemap)
            item["lat"], item["lon"] = round(float(dy[0]), 6), round(float(dx[0]), 6)
        if area is not None:
            item["area"] = shapely.geometry.mapping(geom_for_display(area, basemap, decimals=6))
        out.append(item)
    return out


def add_places(m: folium.Map, places: pd.DataFrame | None, lang: str, basemap: str = "none") -> None:
    """The places layer (its own entry in the layer control) and its legend on ``m``."""
    if places is None:
        return
    features = place_features(places, lang, basemap) if len(places) else []
    group = folium.FeatureGroup(name=t(LAYER_NAME_KEY, lang, n=len(features)), show=True)
    group.add_child(PlaceMarkers(features))
    group.add_to(m)
    present = [c for c in PLACE_TYPE if c in set(places["place_type"])] if len(places) else []
    statuses = places["status"].value_counts().to_dict() if len(places) else {}
    m.add_child(PlacesLegend(legend_html(lang, present, statuses)))


class PlaceMarkers(MacroElement):
    """The places drawn into their feature group with plain Leaflet (no jQuery: the app serves
    Leaflet only): a divIcon marker per point, a polygon per area, popups and tooltips of the
    escaped HTML built above; the data travels as :func:`safe_json`."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (group, items) {
            items.forEach(function (p) {
                if (p.area) {
                    L.geoJSON(p.area, {style: {color: p.colour, weight: 2, fillColor: p.colour, fillOpacity: 0.18}})
                        .bindPopup(p.popup, {maxWidth: 320}).bindTooltip(p.tip).addTo(group);
                }
                if (p.lat !== null) {
                    var icon = L.divIcon({html: p.icon, className: 'wf-place-icon', iconSize: [28, 28], iconAnchor: [14, 30]});
                    var mk = L.marker([p.lat, p.lon], {icon: icon, placeId: p.id});
                    mk.bindPopup(p.popup, {maxWidth: 320}).bindTooltip(p.tip).addTo(group);
                }
            });
        })({{ this._parent.get_name() }}, {{ this.items_json }});
        {% endmacro %}
    """)

    def __init__(self, features: list[dict[str, Any]]) -> None:
        super().__init__()
        self._name = "PlaceMarkers"
        self.items_json = safe_json(features)


def legend_html(lang: str, types: Iterable[str], statuses: Mapping[str, int] | None = None) -> str:
    """The places' own legend: the types shown (glyph) and the statuses on the map (colour, with
    their counts; ``statuses`` None: every status, without counts)."""
    e = html.escape
    rows = [f"<i>{e(t('places.legend.types', lang))}</i>"]
    for code in types:
        rows.append(f"<div><span style='display:inline-block;min-width:22px;font-weight:bold;"
                    f"color:{PLACE_TYPE[code].colour}'>{e(glyph(code, lang))}</span>{e(type_label(code, lang))}</div>")
    rows.append(f"<i>{e(t('places.legend.statuses', lang))}</i>")
    for s in PLACE_STATUSES:
        if statuses is not None and not statuses.get(s.code):
            continue  # the legend explains what is on the map
        count = f" {int(statuses[s.code])}" if statuses is not None else ""
        rows.append(f"<div><span style='display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:6px;"
                    f"background:{s.colour}'></span>{e(status_label(s.code, lang))}{count}</div>")
    rows.append(f"<div style='max-width:180px'>{e(t('places.legend.outline', lang))}</div>")
    return (f"<details open><summary>{e(t('places.legend.title', lang))}</summary>"
            f"<div class='wf-place-legend'>{''.join(rows)}</div></details>")


class PlacesLegend(MacroElement):
    """A Leaflet control (bottom left) holding the places' legend (HTML built and escaped above)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var c = L.control({position: 'bottomleft'});
            c.onAdd = function () {
                var d = L.DomUtil.create('div', 'wf-places-legend');
                d.style.cssText = 'background:rgba(255,255,255,.92);padding:6px 8px;font:12px sans-serif;'
                    + 'border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3)';
                d.innerHTML = {{ this.body_json }};
                L.DomEvent.disableClickPropagation(d);
                return d;
            };
            c.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
    """)

    def __init__(self, body: str) -> None:
        super().__init__()
        self._name = "PlacesLegend"
        self.body_json = safe_json(body)
