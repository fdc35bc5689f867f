"""The towns shaded by a town figure (the 街镇 page's map): folium, offline (no tile layer);
values, classes, labels and colours are :func:`analysis.town_shading`'s; unknown is grey and
labelled unknown, never 0; tooltips are escaped text."""
from __future__ import annotations

from collections.abc import Sequence
from html import escape

import folium
import pandas as pd

from wufei_geo.analysis import TOWN_MEASURES, TownFigures, town_shading
from wufei_geo.i18n import t
from wufei_geo.mapview.geometry import label_anchor


def _name_label(m: folium.Map, geometry: object, name: str) -> None:
    """The town's name at a point well inside its zone (the same anchor as the facility map's)."""
    anchor = label_anchor(geometry)
    if anchor is None:
        return
    folium.Marker(
        (anchor[1], anchor[0]),
        icon=folium.DivIcon(
            html=('<div class="wf-town-name" style="position:absolute;transform:translate(-50%,-50%);'
                  'white-space:nowrap;font:11px/1.2 sans-serif;background:rgba(255,255,255,.7);padding:0 3px;'
                  f'pointer-events:none">{escape(name)}</div>'),
            icon_size=(0, 0),
        ),
        interactive=False,
    ).add_to(m)


def scorecard_choropleth(
    zones: pd.DataFrame,
    figures: Sequence[TownFigures],
    measure: str,
    *,
    lang: str = "zh",
    selected_town: str | None = None,
) -> folium.Map:
    """Town zones shaded by a town figure (:data:`analysis.TOWN_MEASURES`): values, class breaks,
    labels and colours from :func:`analysis.town_shading`; unknown is grey and labelled unknown,
    never 0.  Offline: no tile layer.  Tooltips are escaped text."""
    if measure not in TOWN_MEASURES:
        raise ValueError(f"unknown scorecard measure {measure!r}; expected one of {TOWN_MEASURES}")
    scale, shades = town_shading(figures, measure, lang)
    m = folium.Map(location=(31.15, 121.12), zoom_start=10, tiles=None, prefer_canvas=True)
    m.get_root().header.add_child(folium.Element(f"<style>#{m.get_name()}{{background:#f3f1ea}}</style>"))
    label = scale.title
    bounds = []
    for row in zones.to_dict("records"):
        code = str(row.get("town_code"))
        shade = shades.get(code) or {"text": t("common.unknown", lang), "fill": scale.unknown_colour}
        name = row.get("name_en") if lang == "en" else row.get("name_zh")
        approx = row.get("boundary_quality") == "approximate"
        tip = f"<b>{escape(str(name or code))}</b><br>{escape(label)}: {escape(shade['text'])}"
        if approx:
            tip += f"<br><small>{escape(t('common.approximate_extent', lang))}</small>"
        colour = shade["fill"]
        selected = code == selected_town
        folium.GeoJson(
            row["geometry"].__geo_interface__,
            name=str(code),
            style_function=lambda _f, c=colour, sel=selected, ap=approx: {
                "fillColor": c,
                "color": "#D55E00" if sel else "#555",
                "weight": 3 if sel else 1,
                "dashArray": "5 4" if ap else None,
                "fillOpacity": 0.75,
            },
            tooltip=folium.Tooltip(tip),
        ).add_to(m)
        minx, miny, maxx, maxy = row["geometry"].bounds
        bounds += [(miny, minx), (maxy, maxx)]
        _name_label(m, row["geometry"], str(name or code))
    if bounds:
        m.fit_bounds([[min(b[0] for b in bounds), min(b[1] for b in bounds)],
                      [max(b[0] for b in bounds), max(b[1] for b in bounds)]])
    legend = "".join(
        f'<div><span style="display:inline-block;width:14px;height:10px;margin-right:4px;background:{c}"></span>'
        f"{escape(lab)}</div>"
        for lab, c in zip(scale.labels, scale.colours, strict=False)
    ) + (f'<div><span style="display:inline-block;width:14px;height:10px;margin-right:4px;'
         f'background:{scale.unknown_colour}"></span>{escape(scale.unknown_label)}</div>')
    m.get_root().html.add_child(folium.Element(
        '<div class="wf-town-legend" style="position:absolute;z-index:9999;bottom:12px;left:10px;'
        'background:rgba(255,255,255,.92);padding:4px 8px;font:12px/1.4 sans-serif">'
        f"<b>{escape(label)}</b>{legend}</div>"
    ))
    return m
