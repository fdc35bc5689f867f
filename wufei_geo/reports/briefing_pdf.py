"""The one-page PDF briefing: exactly one A4 portrait page, Chinese or English.

Drawn as a single matplotlib figure and written with matplotlib's own PDF backend: a map of the
district (towns shaded by a chosen scorecard measure, sites coloured by status), the 600 t/d
wet-waste chart, the district targets table and a town summary.  One figure of fixed A4 size
can only ever be one page, the map is drawn by geopandas on the same axes machinery, and
matplotlib is a long-maintained library the geo stack already builds on — no browser, no
HTML-to-PDF engine.

This module only PRESENTS the analysis core's figures (issue 11: one owner for every number):
the answer sentence, the table of the sites that block it and both tables are
:mod:`wufei_geo.reports.texts`' (the same as the capacity page and the CLI); the chart is
:mod:`wufei_geo.reports.chart`'s (the one capacity chart, drawn here with matplotlib); the town
summary is :func:`analysis.report_figures` written by :func:`analysis.fmt_measure` (as the
workbook, the 街镇 page and ``towns --json``); the map's values, classes, legend labels and
colours are :func:`analysis.town_shading`'s, the status colours :mod:`wufei_geo.palette`'s.
Unknown is written unknown (未知 / "≥ …（n 个站点能力未知）"), never 0.

At volume: the head is bounded (at most :data:`BLOCKER_ROWS` blocking sites, the rest counted), the
sites the map cannot draw are counted under it with the largest named (:func:`unlocated_note`),
town labels are measured and placed clear of each other inside the district.  100,000 sites: ~92 s
and ~1 GB peak on the development box (most of it the analysis).

Chinese text needs a CJK font.  The module looks for one installed on the machine
(Debian: ``fonts-wqy-microhei``; also Noto/Source Han Sans CJK) and refuses with
:class:`BriefingFontError` — a clear message naming the package — instead of drawing boxes.
"""
from __future__ import annotations

import datetime as dt
import io
import textwrap
import warnings
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot users in this process
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from wufei_geo.analysis import (  # noqa: E402
    DEFAULT_CONFIRMATION_MONTHS,
    TOWN_MEASURES,
    TargetProgress,
    TownFigures,
    TownScorecard,
    indicative_caveat,
    report_figures,
    town_shading,
    wet_waste_progress,
)
from wufei_geo.config import GenerationParameters  # noqa: E402
from wufei_geo.crs import WGS84_CRS  # noqa: E402
from wufei_geo.errors import WufeiError  # noqa: E402
from wufei_geo.i18n import status_label, t  # noqa: E402
from wufei_geo.model import DEFAULT_BRIEFING_MEASURE  # noqa: E402
from wufei_geo.palette import STATUS_COLOURS  # noqa: E402  (one palette for map and charts)
from wufei_geo.reports.chart import draw_wet_waste_chart  # noqa: E402
from wufei_geo.reports.texts import (  # noqa: E402
    Table,
    answer_sentence,
    blockers_table,
    targets_table,
    towns_table,
)

A4_INCHES = (8.27, 11.69)
DEFAULT_MEASURE = DEFAULT_BRIEFING_MEASURE
# Fonts that cover Chinese, best first (family names as fontconfig/matplotlib report them).
CJK_FONTS = (
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
)
FONT_PACKAGE = "fonts-wqy-microhei"


class BriefingFontError(WufeiError, RuntimeError):
    """No font on this machine can draw Chinese: the briefing would show boxes (``briefing.no_font``)."""


def no_font() -> BriefingFontError:
    return BriefingFontError(key="briefing.no_font", params={"package": FONT_PACKAGE})


def cjk_font() -> str | None:
    """The family name of an installed CJK font, or None."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FONTS:
        if family in names:
            return family
    return None


def _style(font: str) -> dict[str, Any]:
    return {
        "font.family": "sans-serif",
        "font.sans-serif": [font, "DejaVu Sans"],
        "font.size": 6.5,
        "axes.unicode_minus": False,
        "pdf.fonttype": 42,  # TrueType: the text stays text (searchable, copyable) in the PDF
        "axes.titlesize": 8,
        "axes.titleweight": "bold",
        "axes.titlelocation": "left",
    }


# --------------------------------------------------------------------------- parts
# The town summary shows these town figures (and the map's measure when it is another one).
SUMMARY_MEASURES: tuple[str, ...] = ("site_count", "wet_waste_tpd", "wet_waste_operating_tpd", "generation_tpd")


def summary_measures(measure: str) -> tuple[str, ...]:
    """The town figures the PDF's town summary shows for a map shaded by ``measure``."""
    return SUMMARY_MEASURES if measure in SUMMARY_MEASURES else (*SUMMARY_MEASURES, measure)


def _two_lines(text: str) -> str:
    """'≥ 80 吨/日（1 个站点能力未知）' → the value and its caveat on two lines (a map label)."""
    for sep in ("（", " ("):
        if sep in text:
            head, tail = text.split(sep, 1)
            return f"{head}\n{sep.strip()}{tail}"
    return text


def _draw_map(ax: plt.Axes, zones: Any, district: Any, sites: pd.DataFrame, figures: Sequence[TownFigures],
              measure: str, lang: str) -> None:
    scale, shades = town_shading(figures, measure, lang)  # values, classes, colours: the core's
    z = zones.to_crs(WGS84_CRS).copy()
    unknown = {"text": scale.unknown_label, "fill": scale.unknown_colour}
    z["shade_"] = [shades.get(str(c), unknown) for c in z["town_code"]]
    approx = "boundary_quality" in z.columns and (z["boundary_quality"] == "approximate").any()
    z.plot(ax=ax, color=[s["fill"] for s in z["shade_"]], edgecolor="#555555", linewidth=0.5,
           linestyle="--" if approx else "-", rasterized=True)
    if district is not None and len(district):
        district.to_crs(WGS84_CRS).boundary.plot(ax=ax, color="#222222", linewidth=0.9, rasterized=True)
    ax.set_axis_off()
    ax.set_aspect(1 / 0.856)  # 1/cos(31.15°): degrees look square at Qingpu's latitude
    _town_labels(ax, z, district, lang)
    pts = sites.dropna(subset=["display_lon", "display_lat"]) if "display_lon" in sites.columns else sites.iloc[0:0]
    for status in STATUS_COLOURS:
        sub = pts[pts["status"] == status]
        if len(sub):
            ax.scatter(sub["display_lon"], sub["display_lat"], s=9, c=STATUS_COLOURS[status],
                       edgecolors="white", linewidths=0.3, zorder=3, rasterized=True)
    ax.set_title(t("briefing.map_title", lang, measure=scale.title))
    # the town classes (the core's labels and colours) and unknown, then the site statuses shown
    classes = [Patch(facecolor=c, edgecolor="#555555", linewidth=0.3, label=lab)
               for lab, c in zip(scale.labels, scale.colours, strict=False)]
    classes.append(Patch(facecolor=scale.unknown_colour, edgecolor="#555555", linewidth=0.3,
                         label=scale.unknown_label))
    if approx:
        classes.append(Patch(facecolor="white", edgecolor="#555555", linestyle="--",
                             label=t("common.approximate_extent", lang)))
    legend = ax.legend(handles=classes, loc="upper right", fontsize=4.8, frameon=False, handlelength=1,
                       borderaxespad=0, title=scale.title, title_fontsize=5)
    ax.add_artist(legend)
    note = unlocated_note(sites, pts, lang)
    if note:
        ax.text(0.0, 0.0, _fill(note, 110), transform=ax.transAxes, fontsize=4.8, color="#B00020", va="top")
    present = [s for s in STATUS_COLOURS if (pts["status"] == s).any()]
    handles = [Line2D([], [], marker="o", linestyle="", markersize=3.5, markerfacecolor=STATUS_COLOURS[s],
                      markeredgecolor="white", markeredgewidth=0.3, label=status_label(s, lang)) for s in present]
    if handles:
        ax.legend(handles=handles, loc="lower left", fontsize=4.8, frameon=False, handlelength=1,
                  borderaxespad=0, title=t("field.status", lang), title_fontsize=5)


UNLOCATED_LISTED = 3  # the largest sites not drawn, named under the map


def unlocated_note(sites: pd.DataFrame, drawn: pd.DataFrame, lang: str) -> str | None:
    """How many sites the map does not draw (no location, not even a town) and the largest of them
    by capacity — they still count in every total."""
    from wufei_geo.reports.texts import unit_text

    missing = sites.drop(index=drawn.index, errors="ignore")
    if not len(missing):
        return None
    cap = pd.to_numeric(missing.get("capacity_norm", pd.Series(index=missing.index, dtype=float)), errors="coerce")
    unit = missing.get("capacity_norm_unit", pd.Series(index=missing.index, dtype=object)).astype("string")
    # one scale for ranking: tonnes a day (t/yr ÷ 365); other units (kW, counts) after every mass
    rank = cap.where(unit == "t/d", cap / 365).where(unit.isin(["t/d", "t/yr"]), -1 / (1 + cap))
    largest = missing.assign(_cap=cap, _rank=rank).dropna(subset=["_cap"]).nlargest(UNLOCATED_LISTED, "_rank")
    name_col = "name_en" if lang == "en" else "name_zh"
    names = [f"{r.get(name_col) or r.get('name_zh') or r['site_id']} {_num_text(r['_cap'])} "
             f"{unit_text(str(r.get('capacity_norm_unit') or ''), lang)}".strip()
             for r in largest.to_dict("records")]
    sep = ", " if lang == "en" else "、"
    return t("briefing.unlocated", lang, n=len(missing), largest=sep.join(names) or "—")


def _num_text(value: float) -> str:
    from wufei_geo.analysis import fmt_number

    return fmt_number(value)


def label_value(text: str) -> str:
    """A shaded value without its caveat ('≥ 80 吨/日（1 个站点能力未知）' → '≥ 80 吨/日'): the
    legend and the town summary below carry the caveat; the label stays two lines."""
    for sep in ("（", " ("):
        if sep in text:
            return text.split(sep, 1)[0]
    return text


def _candidates(geom: Any, anchor: Any, n: int = 9) -> list[tuple[float, float]]:
    """Points inside a town's zone, nearest to its anchor first: where its label may go."""
    import numpy as np
    import shapely

    minx, miny, maxx, maxy = geom.bounds
    xs, ys = np.meshgrid(np.linspace(minx, maxx, n + 2)[1:-1], np.linspace(miny, maxy, n + 2)[1:-1])
    inside = shapely.contains_xy(geom, xs.ravel(), ys.ravel())
    pts = [(anchor.x, anchor.y)] + [(float(x), float(y)) for x, y in zip(xs.ravel()[inside], ys.ravel()[inside],
                                                                        strict=True)]
    return sorted(pts, key=lambda p: (p[0] - anchor.x) ** 2 + ((p[1] - anchor.y) * 1.17) ** 2)


def _town_labels(ax: plt.Axes, zones: Any, district: Any, lang: str) -> None:
    """Each town's name and value, at the spot nearest its anchor where the label overlaps no other
    label and lies inside the district (in both languages: measured, not guessed)."""
    from shapely.geometry import box
    from shapely.ops import unary_union

    ax.apply_aspect()
    renderer = ax.figure.canvas.get_renderer()
    to_data = ax.transData.inverted()
    outline = unary_union(list(district.to_crs(WGS84_CRS).geometry)) if district is not None and len(district) \
        else unary_union(list(zones.geometry))
    placed: list[Any] = []
    # the largest towns first: they have the most room to give way
    for row in sorted(zones.itertuples(), key=lambda r: -r.geometry.area):
        name = getattr(row, "name_en" if lang == "en" else "name_zh", None) or row.town_code
        anchor = row.geometry.representative_point()
        label = ax.annotate(f"{name}\n{label_value(row.shade_['text'])}", (anchor.x, anchor.y), ha="center", va="center",
                            fontsize=4.6, color="#111111", linespacing=1.05, zorder=5,
                            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.6})
        best = None  # (hard cost, soft cost, point, box)
        # a smaller type only when no spot at the usual size is clear of other labels and the edge
        for size in (4.6, 4.1, 3.7):
            label.set_fontsize(size)
            for x, y in _candidates(row.geometry, anchor, 13):
                label.xy = (x, y)
                (x0, y0), (x1, y1) = to_data.transform(label.get_window_extent(renderer).get_points())
                rect = box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
                hard = sum(rect.intersection(p).area for p in placed) + rect.difference(outline).area
                soft = rect.difference(row.geometry).area
                if best is None or (hard, soft) < (best[0], best[1]):
                    best = (hard, soft, (x, y), rect, size)
                if hard < 1e-12 and soft < 1e-12:
                    break
            if best is not None and best[0] < 1e-12:
                break
        assert best is not None
        label.set_fontsize(best[4])
        label.xy = best[2]
        placed.append(best[3])


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _fill(text: str, chars: int) -> str:
    """Lines of at most ``chars`` Latin characters (a CJK character counts two)."""
    if not _cjk(text):
        return textwrap.fill(text, chars, break_on_hyphens=False) or text
    lines, line, used = [], "", 0
    for ch in text:
        w = 2 if _cjk(ch) or ch in "（）：；，。、“”" else 1
        if used + w > chars and line:
            lines.append(line)
            line, used = "", 0
        line += ch
        used += w
    lines.append(line)
    return "\n".join(lines)


def _wrap(text: str, width: float) -> str:
    """Wrap ``text`` to a table column of ``width`` (fraction of the table's width; about 170
    Latin characters fit across the full width at the table's font size)."""
    chars = max(4, int(width * 170))
    head, sep, tail = text.partition("（") if "（" in text else text.partition(" (")
    if sep and len(_fill(text, chars).split("\n")) > 1:  # the caveat of a value on its own line(s)
        return _fill(head, chars) + "\n" + _fill(sep.strip() + tail, chars)
    return _fill(text, chars)


def _table(ax: plt.Axes, table: Table, widths: Sequence[float], title: str, lang: str) -> None:
    """A shared table (:mod:`.texts`) on ``ax``, wrapped to ``widths`` and in a type that fits."""
    ax.set_axis_off()
    ax.set_title(title)
    if not table.rows:
        ax.text(0, 1, t("common.none", lang), va="top")
        return
    widths = list(widths)
    header = [_wrap(h, w) for h, w in zip(table.header, widths, strict=True)]
    rows = [[_wrap(c, w) for c, w in zip(r, widths, strict=True)] for r in table.rows]
    lines = [max(c.count("\n") + 1 for c in r) for r in [header, *rows]]
    tbl = ax.table(cellText=rows, colLabels=header, colWidths=widths, loc="upper left", cellLoc="left")
    tbl.auto_set_font_size(False)
    # the rows must fit the space: a smaller type rather than text spilling over the cells
    height_pt = ax.get_position().height * ax.figure.get_figheight() * 72
    tbl.set_fontsize(max(4.0, min(5.6, height_pt / (sum(lines) * 1.3))))
    unit = 1.0 / max(sum(lines), 1)
    for (r, c), cell in tbl.get_celld().items():
        cell.set_height(lines[r] * unit)
        cell.set_linewidth(0.3)
        cell.set_edgecolor("#bbbbbb")
        if r == 0:
            cell.set_facecolor("#eeeeee")
            cell.get_text().set_fontweight("bold")
        if c in table.numeric:
            cell.get_text().set_ha("right")
            cell._loc = "right"
        cell.PAD = 0.02


_LINE_STYLE = {"headline": (8.5, "bold", "#111111"), "text": (6.5, "normal", "#111111"),
               "warn": (6.5, "normal", "#B00020"), "note": (5.2, "normal", "#444444")}


# The table of the sites that block the answer has at most this many rows on the page (the rest
# counted in its last row): the head's height is bounded whatever the data.
BLOCKER_ROWS = 6


# --------------------------------------------------------------------------- the page
def _draw_head(fig: plt.Figure, wet: TargetProgress | None, lang: str, generated: dt.date, months: int) -> float:
    """Title, date and the headline lines; returns where the next part may start (figure y)."""
    wrap = 160 if lang == "zh" else 150  # Latin characters per line across the page (CJK count two)
    fig.text(0.05, 0.975, t("analysis.report.title", lang), fontsize=12, fontweight="bold", va="top")
    fig.text(0.05, 0.957, t("analysis.report.generated", lang, date=generated.isoformat()), fontsize=6,
             color="#444444", va="top")
    y = 0.944
    if wet is None:
        fig.text(0.05, y, t("analysis.report.no_wet_target", lang), fontsize=8, va="top")
        return y
    size, weight, colour = _LINE_STYLE["headline"]
    size = 7.5
    body = _fill(answer_sentence(wet, lang), int(wrap * 6.5 / size))
    fig.text(0.05, y, body, fontsize=size, fontweight=weight, color=colour, va="top")
    y -= (body.count("\n") + 1) * size * 1.3 / 72 / A4_INCHES[1] + 0.004
    table = blockers_table(wet, lang, limit=BLOCKER_ROWS)
    if table.rows:
        y -= 0.016  # the table's title sits above its axes
        height = 0.012 * (len(table.rows) + 1) + 0.012
        _table(fig.add_axes((0.05, y - height, 0.90, height)), table, [0.46, 0.30, 0.24],
               t("answer.title", lang), lang)
        y -= height + 0.004
    size, weight, colour = _LINE_STYLE["note"]
    fig.text(0.05, y, _fill(t("analysis.forecast_rule", lang, months=months), int(wrap * 6.5 / size)),
             fontsize=size, color=colour, va="top")
    return y - 2 * size * 1.3 / 72 / A4_INCHES[1]


def _draw_foot(fig: plt.Figure, lang: str) -> None:
    caveat = indicative_caveat(lang)
    fig.text(0.05, 0.06, textwrap.fill(caveat, 95 if lang == "zh" else 175), fontsize=5.2, color="#444444",
             va="top")
    fig.text(0.05, 0.025, t("briefing.footer", lang), fontsize=5, color="#666666", va="top")


def briefing_figure(
    report: Sequence[TargetProgress],
    scorecards: Sequence[TownScorecard],
    zones: Any,
    sites: pd.DataFrame,
    *,
    district: Any = None,
    lang: str = "zh",
    measure: str = DEFAULT_MEASURE,
    generated: dt.date | None = None,
    params: GenerationParameters | None = None,
    figures: Sequence[TownFigures] | None = None,
    filters_text: str | None = None,
    confirmation_months: int = DEFAULT_CONFIRMATION_MONTHS,
) -> plt.Figure:
    """The briefing as one A4 portrait matplotlib figure (raises BriefingFontError without a CJK font).

    ``sites``: the sites drawn on the map (the filtered ones when a filter is in force); the town
    figures are ``figures`` (the core's, for the filter named by ``filters_text``), else those of
    ``sites`` (:func:`analysis.report_figures`, as the workbook)."""
    if measure not in TOWN_MEASURES:
        raise ValueError(f"unknown measure {measure!r}; one of {', '.join(TOWN_MEASURES)}")
    font = cjk_font()
    if font is None:
        raise no_font()
    generated = generated or dt.date.today()
    if figures is None:
        figures = report_figures(sites, scorecards, params or GenerationParameters())
    wet = wet_waste_progress(report)
    district_items = [item for item in report if item.level == "district" and item is not wet]
    measures = summary_measures(measure)
    with plt.rc_context(_style(font)):
        fig = plt.figure(figsize=A4_INCHES)
        top = min(_draw_head(fig, wet, lang, generated, confirmation_months) - 0.012, 0.86)
        _draw_map(fig.add_axes((0.02, top - 0.34, 0.52, 0.34)), zones, district, sites, figures, measure, lang)
        ax_chart = fig.add_axes((0.61, top - 0.29, 0.36, 0.26))
        if wet is not None:
            draw_wet_waste_chart(ax_chart, wet, lang)
        else:
            ax_chart.set_axis_off()
        top -= 0.385
        _table(fig.add_axes((0.05, top - 0.15, 0.90, 0.15)),
               targets_table(([wet] if wet is not None else []) + district_items, lang),
               [0.30, 0.10, 0.14, 0.14, 0.07, 0.09, 0.16], t("briefing.targets_title", lang), lang)
        top -= 0.18
        if filters_text:
            fig.text(0.05, top + 0.012, t("analysis.report.filters", lang, filters=filters_text), fontsize=5.5,
                     color="#444444", va="bottom")
        n = len(measures)
        _table(fig.add_axes((0.05, 0.085, 0.90, top - 0.085)), towns_table(scorecards, figures, measures, lang),
               [0.12, 0.10, 0.05, 0.05, 0.05, *[0.07 if m == "site_count" else 0.56 / (n - 1) for m in measures]],
               t("briefing.towns_title", lang), lang)
        _draw_foot(fig, lang)
    return fig


def briefing_pdf(
    report: Sequence[TargetProgress],
    scorecards: Sequence[TownScorecard],
    zones: Any,
    sites: pd.DataFrame,
    *,
    lang: str = "zh",
    **options: Any,
) -> bytes:
    """The briefing as the bytes of a one-page A4 PDF (``options`` as :func:`briefing_figure`:
    ``district``, ``measure``, ``generated``, ``params``, ``figures``, ``filters_text``,
    ``confirmation_months``)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = briefing_figure(report, scorecards, zones, sites, lang=lang, **options)
        font = cjk_font() or "DejaVu Sans"
        buf = io.BytesIO()
        try:
            with plt.rc_context(_style(font)), PdfPages(buf, metadata={
                "Title": t("analysis.report.title", lang), "Creator": "wufei-geo", "Producer": "matplotlib",
            }) as pdf:
                pdf.savefig(fig, dpi=200)
        finally:
            plt.close(fig)
    missing = [str(w.message) for w in caught if "missing from" in str(w.message).lower()]
    if missing:  # a glyph the font lacks would print as a box: refuse rather than hand out boxes
        raise no_font()
    return buf.getvalue()
