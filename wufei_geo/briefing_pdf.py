"""The one-page PDF briefing: exactly one A4 portrait page, Chinese or English.

Drawn as a single matplotlib figure and written with matplotlib's own PDF backend: a map of the
district (towns shaded by a chosen scorecard measure, sites coloured by status), the 600 t/d
wet-waste chart, the district targets table and a town summary.  One figure of fixed A4 size
can only ever be one page, the map is drawn by geopandas on the same axes machinery, and
matplotlib is a long-maintained library the geo stack already builds on — no browser, no
HTML-to-PDF engine.

Every number comes from :mod:`wufei_geo.analysis` (the ``TargetProgress`` list and the
``TownScorecard`` list the caller computed) and is formatted with :mod:`wufei_geo.report`'s
formatters; nothing is recomputed here.  Colours: status colours and the choropleth palette
from :mod:`wufei_geo.mapview.style` (the same as the interactive map).

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
from matplotlib.patches import Patch  # noqa: E402

from wufei_geo.analysis import (  # noqa: E402
    INDICATIVE_CAVEAT_EN,
    INDICATIVE_CAVEAT_ZH,
    TOWN_MEASURES,
    TargetProgress,
    TownScorecard,
    town_measures,
    wet_waste_progress,
)
from wufei_geo.i18n import status_label, t  # noqa: E402
from wufei_geo.mapview.style import CHOROPLETH_PALETTE, STATUS_COLOURS, UNKNOWN_COLOUR  # noqa: E402
from wufei_geo.report import CHART_STATUSES, fmt_number, fmt_share, reached_text, target_label, unit_text  # noqa: E402

A4_INCHES = (8.27, 11.69)
DEFAULT_MEASURE = "wet_waste_registered_tpd"
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


class BriefingFontError(RuntimeError):
    """No font on this machine can draw Chinese: the briefing would show boxes."""

    key = "briefing.no_font"

    def __init__(self) -> None:
        super().__init__(
            f"No Chinese (CJK) font found: install {FONT_PACKAGE} (Debian/Ubuntu: apt-get install "
            f"{FONT_PACKAGE}) or Noto Sans CJK SC, then try again. / 未找到中文字体：请安装 {FONT_PACKAGE}。"
        )
        self.params = {"package": FONT_PACKAGE}


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
def _draw_map(ax: plt.Axes, zones: Any, district: Any, sites: pd.DataFrame, cards: Sequence[TownScorecard],
              measure: str, lang: str) -> None:
    table = town_measures(cards).set_index("town_code")
    values = pd.to_numeric(table[measure], errors="coerce")
    known = values.dropna()
    lo, hi = (min(0.0, float(known.min())), float(known.max())) if len(known) else (0.0, 0.0)

    def fill(value: float) -> str:
        if value != value:
            return UNKNOWN_COLOUR
        if hi <= lo:
            return CHOROPLETH_PALETTE[0]
        k = min(int((value - lo) / (hi - lo) * len(CHOROPLETH_PALETTE)), len(CHOROPLETH_PALETTE) - 1)
        return CHOROPLETH_PALETTE[k]

    z = zones.to_crs("EPSG:4326").copy()
    z["value_"] = [float(values.get(str(c), float("nan"))) for c in z["town_code"]]
    z["fill_"] = [fill(v) for v in z["value_"]]
    approx = "boundary_quality" in z.columns and (z["boundary_quality"] == "approximate").any()
    z.plot(ax=ax, color=z["fill_"], edgecolor="#555555", linewidth=0.5,
           linestyle="--" if approx else "-", rasterized=True)
    if district is not None and len(district):
        district.to_crs("EPSG:4326").boundary.plot(ax=ax, color="#222222", linewidth=0.9, rasterized=True)
    for row in z.itertuples():
        name = getattr(row, "name_en" if lang == "en" else "name_zh", None) or row.town_code
        shown = t("common.unknown", lang) if row.value_ != row.value_ else fmt_number(round(row.value_, 1))
        p = row.geometry.representative_point()
        ax.annotate(f"{name}\n{shown}", (p.x, p.y), ha="center", va="center", fontsize=5,
                    color="#111111", bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.6})
    pts = sites.dropna(subset=["display_lon", "display_lat"]) if "display_lon" in sites.columns else sites.iloc[0:0]
    for status in STATUS_COLOURS:
        sub = pts[pts["status"] == status]
        if len(sub):
            ax.scatter(sub["display_lon"], sub["display_lat"], s=9, c=STATUS_COLOURS[status],
                       edgecolors="white", linewidths=0.3, zorder=3, rasterized=True)
    ax.set_axis_off()
    ax.set_aspect(1 / 0.856)  # 1/cos(31.15°): degrees look square at Qingpu's latitude
    ax.set_title(t("briefing.map_title", lang, measure=t(f"analysis.measure.{measure}", lang)))
    present = [s for s in STATUS_COLOURS if (pts["status"] == s).any()]
    handles = [Patch(color=STATUS_COLOURS[s], label=status_label(s, lang)) for s in present]
    if approx:
        handles.append(Patch(facecolor="white", edgecolor="#555555", linestyle="--",
                             label=t("common.approximate_extent", lang)))
    if handles:
        ax.legend(handles=handles, loc="lower left", fontsize=5, frameon=False, handlelength=1, borderaxespad=0)


def _draw_chart(ax: plt.Axes, wet: TargetProgress, lang: str) -> None:
    unit = unit_text(wet.unit, lang)
    years = [int(p["year"]) for p in wet.projection]
    base = [0.0] * len(years)
    for status in CHART_STATUSES:
        heights = [float(p["by_status"].get(status, 0) or 0) for p in wet.projection]
        ax.bar(years, heights, bottom=base, color=STATUS_COLOURS[status], width=0.6,
               label=status_label(status, lang))
        base = [b + h for b, h in zip(base, heights, strict=True)]
    for x, p in zip(years, wet.projection, strict=True):
        ax.text(x, float(p["cumulative"]), fmt_number(p["cumulative"]), ha="center", va="bottom", fontsize=5.5)
    if wet.target is not None:
        ax.axhline(float(wet.target), color="#D55E00", linestyle="--", linewidth=1.2)
        ax.text(years[0] - 0.4 if years else 0, float(wet.target),
                t("analysis.target_line", lang, target=fmt_number(wet.target), unit=unit),
                color="#D55E00", va="bottom", fontsize=6)
    ax.set_xticks(years)
    ax.set_ylabel(unit)
    top = max([float(wet.target or 0)] + [float(p["cumulative"]) for p in wet.projection] + [1.0])
    ax.set_ylim(0, top * 1.15)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(t("analysis.chart_title", lang))
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], fontsize=5, frameon=False, loc="upper left")


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _table(ax: plt.Axes, header: list[str], rows: list[list[str]], widths: list[float], title: str,
           numeric: set[int]) -> None:
    ax.set_axis_off()
    ax.set_title(title)
    if not rows:
        ax.text(0, 1, t("common.none", "zh"), va="top")
        return
    # long headers wrap onto a second line (about 150 characters fit across the full width)
    header = [textwrap.fill(h, max(6, int(w * (75 if _cjk(h) else 150)))) for h, w in zip(header, widths, strict=True)]
    tbl = ax.table(cellText=rows, colLabels=header, colWidths=widths, loc="upper left", cellLoc="left")
    tbl.auto_set_font_size(False)
    tbl.set_fontsize(5.6)
    unit = 1.0 / (len(rows) + 2)
    for (r, c), cell in tbl.get_celld().items():
        cell.set_height(2 * unit if r == 0 else unit)
        cell.set_linewidth(0.3)
        cell.set_edgecolor("#bbbbbb")
        if r == 0:
            cell.set_facecolor("#eeeeee")
            cell.get_text().set_fontweight("bold")
        if c in numeric:
            cell.get_text().set_ha("right")
            cell._loc = "right"
        cell.PAD = 0.02


def _targets_rows(items: Sequence[TargetProgress], lang: str) -> list[list[str]]:
    rows = []
    for item in items:
        state = t("analysis.state." + item.state, lang)
        if item.overdue:
            state += " · " + t("analysis.target_overdue", lang)
        rows.append([
            _clip(target_label(item, lang), 34 if lang == "zh" else 52),
            f"{fmt_number(item.target)} {unit_text(item.unit, lang)}",
            fmt_number(item.achieved),
            fmt_number(item.registered),
            fmt_share(item.registered_share),
            "—" if item.year_reached is None else str(item.year_reached),
            state,
        ])
    return rows


def _towns_rows(cards: Sequence[TownScorecard], lang: str) -> list[list[str]]:
    table = town_measures(cards).set_index("town_code")
    rows = []
    for card in cards:
        gen = card.generation
        rows.append([
            card.name_en if lang == "en" else card.name_zh,
            t("analysis.state." + card.state, lang),
            str(card.counts["met"]),
            str(card.counts["in_progress"]),
            str(card.counts["not_started"]),
            str(len(card.sites)),
            fmt_number(round(float(table.loc[card.town_code, "wet_waste_registered_tpd"]), 1)),
            fmt_number(gen.generation_tpd) if gen else t("common.unknown", lang),
        ])
    return rows


# --------------------------------------------------------------------------- the page
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
) -> plt.Figure:
    """The briefing as one A4 portrait matplotlib figure (raises BriefingFontError without a CJK font)."""
    if measure not in TOWN_MEASURES:
        raise ValueError(f"unknown measure {measure!r}; one of {', '.join(TOWN_MEASURES)}")
    font = cjk_font()
    if font is None:
        raise BriefingFontError()
    generated = generated or dt.date.today()
    wet = wet_waste_progress(report)
    district_items = [item for item in report if item.level == "district" and item is not wet]
    with plt.rc_context(_style(font)):
        fig = plt.figure(figsize=A4_INCHES)
        fig.text(0.05, 0.972, t("analysis.report.title", lang), fontsize=12, fontweight="bold", va="top")
        fig.text(0.05, 0.952, t("analysis.report.generated", lang, date=generated.isoformat()), fontsize=6,
                 color="#444444", va="top")
        y = 0.937
        if wet is None:
            fig.text(0.05, y, t("analysis.report.no_wet_target", lang), fontsize=8, va="top")
        else:
            unit = unit_text(wet.unit, lang)
            fig.text(0.05, y, t("analysis.headline", lang, achieved=fmt_number(wet.achieved),
                                target=fmt_number(wet.target), unit=unit, share=fmt_share(wet.share)),
                     fontsize=9, fontweight="bold", va="top")
            line2 = t("analysis.registered", lang, registered=fmt_number(wet.registered), unit=unit,
                      share=fmt_share(wet.registered_share))
            line3 = reached_text(wet, lang)
            if wet.unknown_capacity_sites["count"]:
                line3 += "  ·  " + t("analysis.unknown_capacity", lang, n=wet.unknown_capacity_sites["count"])
            fig.text(0.05, y - 0.016, line2, fontsize=6.5, va="top")
            fig.text(0.05, y - 0.028, line3, fontsize=6.5, va="top")
        ax_map = fig.add_axes((0.03, 0.545, 0.50, 0.35))
        _draw_map(ax_map, zones, district, sites, scorecards, measure, lang)
        ax_chart = fig.add_axes((0.60, 0.59, 0.37, 0.28))
        if wet is not None:
            _draw_chart(ax_chart, wet, lang)
        else:
            ax_chart.set_axis_off()
        ax_t = fig.add_axes((0.05, 0.36, 0.90, 0.165))
        _table(
            ax_t,
            [t("analysis.col.description", lang), t("analysis.col.goal", lang), t("analysis.col.achieved", lang),
             t("analysis.col.registered", lang), t("analysis.col.registered_share", lang),
             t("analysis.col.year_reached", lang), t("analysis.col.state", lang)],
            _targets_rows(([wet] if wet is not None else []) + district_items, lang),
            [0.31, 0.12, 0.07, 0.08, 0.08, 0.09, 0.25],
            t("briefing.targets_title", lang),
            {1, 2, 3, 4, 5},
        )
        ax_w = fig.add_axes((0.05, 0.085, 0.90, 0.235))
        _table(
            ax_w,
            [t("analysis.col.town", lang), t("analysis.col.state", lang), t("analysis.col.met", lang),
             t("analysis.col.in_progress", lang), t("analysis.col.not_started", lang),
             t("analysis.col.sites", lang), t("analysis.col.wet_capacity", lang),
             t("analysis.col.generation", lang)],
            _towns_rows(scorecards, lang),
            [0.20, 0.12, 0.08, 0.08, 0.08, 0.08, 0.20, 0.16],
            t("briefing.towns_title", lang),
            {2, 3, 4, 5, 6, 7},
        )
        caveat = INDICATIVE_CAVEAT_EN if lang == "en" else INDICATIVE_CAVEAT_ZH
        fig.text(0.05, 0.06, textwrap.fill(caveat, 95 if lang == "zh" else 175), fontsize=5.2, color="#444444",
                 va="top")
        fig.text(0.05, 0.025, t("briefing.footer", lang), fontsize=5, color="#666666", va="top")
    return fig


def briefing_pdf(
    report: Sequence[TargetProgress],
    scorecards: Sequence[TownScorecard],
    zones: Any,
    sites: pd.DataFrame,
    *,
    district: Any = None,
    lang: str = "zh",
    measure: str = DEFAULT_MEASURE,
    generated: dt.date | None = None,
) -> bytes:
    """The briefing as the bytes of a one-page A4 PDF."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = briefing_figure(report, scorecards, zones, sites, district=district, lang=lang, measure=measure,
                              generated=generated)
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
        raise BriefingFontError()
    return buf.getvalue()
