"""The map's legend box; every text from the message catalogue, HTML-escaped.

Open by default where the map is wide enough to hold it beside the district (top-left: at the
opening zoom the district's north-west is empty — its northern arm is east, its western body
south of the box), folded on narrow maps; two compact columns, so it never needs scrolling."""
from __future__ import annotations

import html

import pandas as pd
from branca.element import MacroElement
from folium.template import Template

from wufei_geo import i18n, model
from wufei_geo.i18n import t
from wufei_geo.mapview.emphasis import badge_plan
from wufei_geo.mapview.style import (
    APPROX_CSS,
    CATEGORY_GLYPHS,
    MARKER_RING,
    OUTLINE_PRECISE,
    STATUS_COLOURS,
    UNKNOWN_COLOUR,
)
from wufei_geo.mapview.tiles import basemap_datum
from wufei_geo.mapview.values import display_number

LEGEND_OPEN_MIN_PX = 900  # a map narrower than this starts with the legend folded


class Legend(MacroElement):
    """A fixed legend box (top-left, beside the zoom buttons); its text comes from the message catalogue."""

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <div id="{{ this.get_name() }}" class="wf-legend" style="position:absolute;z-index:9999;top:10px;left:50px;
          background:rgba(255,255,255,.94);padding:5px 8px;border-radius:4px;box-shadow:0 0 4px rgba(0,0,0,.3);
          font:11px/1.35 sans-serif;max-width:390px">{{ this.body }}</div>
        <style>.wf-legend summary{cursor:pointer;font-weight:bold}
        .wf-legend .wf-lg{display:grid;grid-template-columns:auto auto;column-gap:12px;margin-top:3px}
        .wf-legend i{color:#444;display:block;margin-top:2px}
        .wf-legend .wf-sw{display:inline-block;width:12px;height:12px;border-radius:50%;vertical-align:middle;margin-right:4px;box-sizing:border-box}
        .wf-legend .wf-bx{display:inline-block;width:14px;height:10px;margin-right:4px;vertical-align:middle}
        .wf-legend .wf-n{color:#666}
        .wf-legend .wf-summary{margin-top:3px;color:#444}
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        WufeiMap.foldLegend({{ this.get_name()|tojson }}, {{ this._parent.get_name()|tojson }}, {{ this.open_min_px }});
        {% endmacro %}
        """
    )

    def __init__(self, body: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.body = body
        self.open_min_px = LEGEND_OPEN_MIN_PX


def class_label(lo: float, hi: float, unit: str) -> str:
    """A shading class as a reader takes it in: ``0.75 – 1.5 吨/日`` (rounded for display only)."""
    return f"{display_number(lo)} – {display_number(hi)} {unit}".strip()


def legend_html(
    lang: str,
    located: pd.DataFrame,
    choropleth: dict | None,
    basemap: str,
    *,
    approx_zones: bool = True,
) -> str:
    """The legend of the located sites ``located`` as drawn: only what is on the map, with counts.

    Categories and statuses that occur (with their numbers of sites), the outlines that occur,
    the badges drawn and a line for each state summarised instead (:mod:`.emphasis`), the
    shading classes and their "no facility" / unknown swatches."""
    e = html.escape
    n = len(located)

    def row(swatch: str, text: str, count: int | None = None) -> str:
        tail = "" if count is None else f' <span class="wf-n">{count}</span>'
        return f"<div>{swatch}{e(text)}{tail}</div>"

    def dot(style: str) -> str:
        return f'<span class="wf-sw" style="{style}"></span>'

    cats = located["category"].astype(str).value_counts() if n else pd.Series(dtype=int)
    left = [f"<i>{e(t('legend.categories', lang))}</i>"]
    for cat in model.CATEGORIES:
        if cats.get(cat, 0):
            glyph = CATEGORY_GLYPHS[cat][1 if lang == "en" else 0]
            left.append(
                f'<div><span style="display:inline-block;min-width:20px;font-weight:bold">{e(glyph)}</span>'
                f'{e(i18n.category_label(cat, lang))} <span class="wf-n">{int(cats[cat])}</span></div>'
            )
    statuses = located["status"].value_counts(dropna=False) if n else pd.Series(dtype=int)
    left.append(f"<i>{e(t('legend.statuses', lang))}</i>")
    for status in model.STATUSES:
        if statuses.get(status, 0):
            left.append(row(dot(f"background:{STATUS_COLOURS[status]}"), i18n.status_label(status, lang), int(statuses[status])))
    unknown_status = n - int(sum(statuses.get(s, 0) for s in model.STATUSES))
    if unknown_status:
        left.append(row(dot(f"background:{UNKNOWN_COLOUR}"), t("common.unknown", lang), unknown_status))

    right = [f"<i>{e(t('legend.marker', lang))}</i>"]
    grey = STATUS_COLOURS["operating"]
    precision = located["display_precision"].where(located["display_precision"].notna(), located["precision"]) if n else []
    approx = int(sum(p in model.APPROXIMATE_PRECISIONS for p in precision))
    if n - approx:
        right.append(row(dot(f"background:{grey};border:{OUTLINE_PRECISE};box-shadow:{MARKER_RING}"),
                         t("legend.outline.precise", lang), n - approx))
    if approx:
        right.append(row(dot(f"background:{grey};{APPROX_CSS};margin-left:2px;margin-right:6px"),
                         t("legend.outline.approx", lang), approx))
    plan = badge_plan(located)
    for b, count in plan.drawn:
        badge = (
            f'<span class="wf-sw" style="background:{b.colour};color:{b.text_colour};font:bold 9px/12px sans-serif;'
            f'text-align:center">{e(b.glyph)}</span>'
        )
        right.append(row(badge, t(b.label_key, lang), count))
    right.append(f"<div>{e(t('legend.size_short', lang))}</div>")
    if approx_zones:
        right.append(f"<div>{e(t('legend.approx_zone', lang))}</div>")
    if choropleth:
        right.append(f"<i>{e(choropleth['label'])}</i>")
        # the classes (rounded breaks with units, "none" its own class) and colours come from the
        # analysis core; a class no town falls in is left out, each row says how many towns it holds
        counts = choropleth.get("counts") or [1] * len(choropleth["labels"])
        for label, colour, count in zip(choropleth["labels"], choropleth["colours"], counts, strict=False):
            if count:
                right.append(row(f'<span class="wf-bx" style="background:{colour};outline:1px solid #ccc"></span>',
                                 label, count))
        if choropleth.get("unknown_count", 1):
            right.append(row(f'<span class="wf-bx" style="background:{UNKNOWN_COLOUR}"></span>',
                             t("legend.unknown_value", lang), choropleth.get("unknown_count")))
    if basemap_datum(basemap) == "gcj02":
        right.append(f"<div style='max-width:150px'>{e(t('map.basemap_amap_note', lang))}</div>")
    # the states most shown sites share: counted here, not drawn on every marker
    summary = "".join(
        f"<div class='wf-summary'>{e(t('legend.summary.' + b.column, lang, n=count))}</div>" for b, count in plan.summarised
    )
    return (
        f"<details open><summary>{e(t('legend.title', lang))}</summary><div class='wf-lg'>"
        f"<div>{''.join(left)}</div><div>{''.join(right)}</div></div>{summary}</details>"
    )
