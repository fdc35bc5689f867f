"""Places on the map (issue 24): their own layer beside the sites' (the site renderer is not
touched) — a marker per place (its type's glyph, its status's colour; a dashed outline when
placed only by its town), its area drawn as a polygon where it has one, a popup, and their own
legend box.  Every text a person typed is escaped here (names, sources, notes).

:func:`filter_places` is the pure filter (type, status, search) the map page applies."""
from __future__ import annotations

import html
import json
from collections.abc import Iterable
from typing import Any

import folium
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement, Template

from wufei_geo import auth
from wufei_geo.i18n import precision_label, t
from wufei_geo.mapview.geometry import _geom_for_display, to_display_datum
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
    return (f"<div class='wf-place' style='width:26px;height:26px;border-radius:5px;background:{fill};"
            f"border:3px {dashed} {outline};color:#fff;font:bold 12px/26px sans-serif;text-align:center;"
            f"{pending}'>{html.escape(glyph(code, lang))}</div>")


def add_places(m: folium.Map, places: pd.DataFrame | None, lang: str, basemap: str = "none") -> None:
    """The places layer and its legend on ``m`` (located places: ``display_lon``/``display_lat``,
    ``area``); a place with no display point and no area is not drawn (no invented point)."""
    if places is None:
        return
    group = folium.FeatureGroup(name=t(LAYER_NAME_KEY, lang, n=len(places)), show=True)
    towns = auth.town_names(lang)
    shown = 0
    for row in places.to_dict("records"):
        area = area_geometry(row.get("area"))
        popup = popup_html(row, lang, towns)
        tip = _esc(_name(row, lang))
        code = row.get("place_type")
        colour = PLACE_TYPE[code].colour if code in PLACE_TYPE else "#444"
        if area is not None:
            shape = _geom_for_display(area, basemap, decimals=6)
            folium.GeoJson(
                json.loads(json.dumps(shapely.geometry.mapping(shape))),
                style_function=lambda _f, c=colour: {"color": c, "weight": 2, "fillColor": c, "fillOpacity": 0.18},
                tooltip=folium.Tooltip(tip), popup=folium.Popup(popup, parse_html=False, max_width=320),
            ).add_to(group)
        x, y = row.get("display_lon"), row.get("display_lat")
        if x is None or y is None or not (np.isfinite(x) and np.isfinite(y)):
            shown += area is not None
            continue
        dx, dy = to_display_datum(np.array([x]), np.array([y]), basemap)
        folium.Marker(
            location=(round(float(dy[0]), 6), round(float(dx[0]), 6)),
            icon=folium.DivIcon(html=_marker_html(row, lang), icon_size=(32, 32), icon_anchor=(16, 16),
                                class_name="wf-place-icon"),
            tooltip=folium.Tooltip(tip), popup=folium.Popup(popup, parse_html=False, max_width=320),
        ).add_to(group)
        shown += 1
    group.add_to(m)
    present = [c for c in PLACE_TYPE if c in set(places["place_type"])] if len(places) else []
    m.add_child(PlacesLegend(legend_html(lang, present)))


def legend_html(lang: str, types: Iterable[str]) -> str:
    """The places' own legend: the types shown (glyph) and every status (colour)."""
    e = html.escape
    rows = [f"<i>{e(t('places.legend.types', lang))}</i>"]
    for code in types:
        rows.append(f"<div><span style='display:inline-block;min-width:22px;font-weight:bold;"
                    f"color:{PLACE_TYPE[code].colour}'>{e(glyph(code, lang))}</span>{e(type_label(code, lang))}</div>")
    rows.append(f"<i>{e(t('places.legend.statuses', lang))}</i>")
    for s in PLACE_STATUSES:
        rows.append(f"<div><span style='display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:6px;"
                    f"background:{s.colour}'></span>{e(status_label(s.code, lang))}</div>")
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
        from wufei_geo.mapview.escape import safe_json

        self.body_json = safe_json(body)
