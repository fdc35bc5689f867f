"""The map's legend box; every text from the message catalogue, HTML-escaped."""
from __future__ import annotations

import html
from collections.abc import Iterable

from branca.element import MacroElement
from folium.template import Template

from wufei_geo import i18n, model
from wufei_geo.i18n import t
from wufei_geo.mapview.style import CATEGORY_GLYPHS, STATUS_COLOURS, UNKNOWN_COLOUR


class Legend(MacroElement):
    """A fixed legend box (bottom-left); its text comes from the message catalogue."""

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <div id="{{ this.get_name() }}" class="wf-legend" style="position:absolute;z-index:9999;bottom:52px;left:10px;
          background:rgba(255,255,255,.92);padding:6px 9px;border-radius:4px;box-shadow:0 0 4px rgba(0,0,0,.3);
          font:12px/1.45 sans-serif;max-height:60%;overflow:auto">{{ this.body }}</div>
        {% endmacro %}
        """
    )

    def __init__(self, body: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.body = body


def _legend_html(lang: str, categories: Iterable[str], choropleth: dict | None, basemap: str) -> str:
    e = html.escape
    swatch = (
        '<span style="display:inline-block;width:14px;height:14px;border-radius:50%;vertical-align:middle;'
        'margin-right:4px;{style}"></span>'
    )
    # A <details> box, folded by default so it never hides the district's west; one click opens it.
    rows = [
        f"<details><summary style='cursor:pointer'><b>{e(t('legend.title', lang))}</b></summary>",
        f"<div><i>{e(t('legend.categories', lang))}</i></div>",
    ]
    for cat in categories:
        glyph = CATEGORY_GLYPHS[cat][1 if lang == "en" else 0]
        rows.append(
            f'<div><span style="display:inline-block;min-width:22px;font-weight:bold">{e(glyph)}</span>'
            f"{e(i18n.category_label(cat, lang))}</div>"
        )
    rows.append(f"<div><i>{e(t('legend.statuses', lang))}</i></div>")
    for status in model.STATUSES:
        rows.append(
            "<div>" + swatch.format(style=f"background:{STATUS_COLOURS[status]}") + e(i18n.status_label(status, lang)) + "</div>"
        )
    rows.append(f"<div><i>{e(t('legend.precision', lang))}</i></div>")
    rows.append("<div>" + swatch.format(style="background:#555;border:2px solid #555") + e(t("legend.precise", lang)) + "</div>")
    rows.append(
        "<div>" + swatch.format(style="background:#fff;border:2px dashed #555") + e(t("legend.approximate", lang)) + "</div>"
    )
    rows.append(
        "<div>" + swatch.format(style="background:#555;box-shadow:0 0 0 3px #d7191c") + e(t("legend.overdue", lang)) + "</div>"
    )
    rows.append(f"<div>{e(t('legend.size', lang))}</div>")
    rows.append(f"<div>{e(t('legend.approx_zone', lang))}</div>")
    if choropleth:
        # the class labels (rounded breaks with units) and colours come from the analysis core
        rows.append(f"<div><i>{e(choropleth['label'])}</i></div>")
        for label, colour in zip(choropleth["labels"], choropleth["colours"], strict=False):
            rows.append(
                '<div><span style="display:inline-block;width:14px;height:10px;margin-right:4px;'
                f'background:{colour}"></span>{e(label)}</div>'
            )
        rows.append(
            '<div><span style="display:inline-block;width:14px;height:10px;margin-right:4px;'
            f'background:{UNKNOWN_COLOUR}"></span>{e(t("legend.unknown_value", lang))}</div>'
        )
    if basemap == "amap":
        rows.append(f"<div style='max-width:220px'>{e(t('map.basemap_amap_note', lang))}</div>")
    rows.append("</details>")
    return "".join(rows)
