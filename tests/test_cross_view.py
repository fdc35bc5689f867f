"""Issue 11 — one number everywhere: for every town × every town measure × several status/category
filters, the value behind the map's shading, the 街镇 page (AppTest), the workbook, the briefing
and ``towns --json`` are identical (unknown equals unknown), and the issue's examples agree:

* 赵巷镇 was 5 t/d on the map's shading and 13 t/d on the 街镇 page (the map summed the plan's
  capacity, the page the capacity an official reported in operation);
* 徐泾镇 was 0 on one view and 未知 on the other (its only wet-waste site has no known capacity);
* 华新镇 showed 80 t/d with a site of unknown capacity, without saying so;
* after a site was cancelled, the map (every status) and the 街镇 page (pursued only) disagreed.
"""
from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from wufei_geo import analysis, auth, mapview
from wufei_geo.analysis import report_figures
from wufei_geo.config import GenerationParameters
from wufei_geo.filters import Filters, apply_filters
from wufei_geo.i18n import t
from wufei_geo.reports import briefing_pdf

APP = str(Path(__file__).resolve().parent.parent / "app.py")
ZHAOXIANG, XUJING, HUAXIN, CHONGGU = "310118105", "310118106", "310118107", "310118109"
FILTERS = [
    Filters(),
    Filters(statuses=("operating",)),
    Filters(categories=("wet_waste",)),
    Filters(categories=("wet_waste",), statuses=("planned", "cancelled")),
    Filters(statuses=("cancelled",)),
]


@pytest.fixture()
def edited(tmp_path, monkeypatch):
    """The shipped data with the issue's edits: 赵巷's 中步村 site (plan 5 t/d) operating at 13 t/d as
    its official reported; 重固's 徐姚村 site (10 t/d) cancelled."""
    from wufei_geo.catalog import load_catalog
    from wufei_geo.store import Store

    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    monkeypatch.setenv("WUFEI_DB_URL", url)
    store = Store.open(url)
    auth.create_user(store, "planner-x", "planner", None, "correct horse battery")
    actor = auth.authenticate(store, "planner-x", "correct horse battery")
    site = store.get_site("E.12-1")
    store.update_site(actor, "E.12-1", {"status": "operating", "operating_capacity_value": 13,
                                        "operating_capacity_unit": "t/d"}, site["version"],
                      note="13 t/d as the town reported (above the plan's 5 t/d)", insist=True)
    site = store.get_site("E.12-3")
    store.update_site(actor, "E.12-3", {"status": "cancelled"}, site["version"], note="withdrawn by the town")
    catalog = load_catalog(store)
    yield catalog, tmp_path
    store.close()


def _core(catalog, flt: Filters) -> dict[str, dict[str, tuple]]:
    cards = analysis.town_scorecards(catalog.sites, catalog.targets, catalog.towns, GenerationParameters())
    figures = report_figures(apply_filters(catalog.sites, flt), cards, GenerationParameters())
    return {f.town_code: {m: (f.values[m].value, analysis.fmt_measure(f.values[m], m, "zh"))
                          for m in analysis.TOWN_MEASURES} for f in figures}


def _map(catalog, flt: Filters) -> dict[str, dict[str, tuple]]:
    out: dict[str, dict[str, tuple]] = {}
    shown = apply_filters(catalog.sites, flt)
    for measure in mapview.CHOROPLETH_MEASURES:
        m = mapview.build_map(shown, catalog.zones, catalog.district, towns=catalog.towns, choropleth=measure)
        zones = next(c for c in m._children.values() if isinstance(c, mapview.SafeGeoJson) and c.kind == "zones")
        for f in zones.data["features"]:
            p = f["properties"]
            out.setdefault(p["code"], {})[measure] = (p["mvalue"], p["mtext"])
    return out


def _cli_args(flt: Filters) -> list[str]:
    args = []
    for c in flt.categories:
        args += ["--category", c]
    for s in flt.statuses:
        args += ["--status", s]
    return args


def _json(flt: Filters, capsys) -> dict[str, dict[str, tuple]]:
    from wufei_geo.cli import main

    assert main(["towns", "--json", *_cli_args(flt)]) == 0
    towns = json.loads(capsys.readouterr().out)
    return {tw["town_code"]: {m: (v["value"], v["text"]) for m, v in tw["figures"].items()} for tw in towns}


def _workbook(flt: Filters, tmp_path) -> dict[str, dict[str, tuple]]:
    from wufei_geo.cli import main

    path = tmp_path / "book.xlsx"
    assert main(["report", "-o", str(path), *_cli_args(flt)]) == 0
    wb = load_workbook(path)
    ws = wb["街镇评分卡"]
    # headers for people; the last sheet maps each (sheet, header) to its schema name
    fields = {(r[0], r[1]): r[2] for r in wb.worksheets[-1].iter_rows(min_row=2, values_only=True)}
    header = [fields.get((ws.title, c.value), c.value) for c in ws[1]]
    out = {}
    for row in ws.iter_rows(min_row=2, values_only=True):
        rec = dict(zip(header, row, strict=False))
        out[str(rec["town_code"])] = {m: (rec[m], rec[f"{m}_text"]) for m in analysis.TOWN_MEASURES}
    return out


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _fragments(path) -> list[tuple[float, float, str]]:
    """(x, y, text) of every text fragment of the PDF's page, in drawing order (pypdf)."""
    import pypdf

    out: list[tuple[float, float, str]] = []

    def visit(text, cm, tm, _font, _size):
        if text.strip():
            out.append((tm[4] * cm[0] + tm[5] * cm[2] + cm[4], tm[4] * cm[1] + tm[5] * cm[3] + cm[5], text))

    pypdf.PdfReader(str(path)).pages[0].extract_text(visitor_text=visit)
    return out


def _flat(text: str) -> str:
    return "".join(text.split())


def _pdf(flt: Filters, tmp_path, names: dict[str, str], measure: str) -> tuple[dict[str, str], str]:
    """The PDF briefing (``report -o x.pdf``): per town, the text of its row of the town summary
    (whitespace removed; cells in drawing order), and all the page's text (for the map's labels)."""
    from wufei_geo.cli import main

    path = tmp_path / "brief.pdf"
    assert main(["report", "-o", str(path), "--measure", measure, *_cli_args(flt)]) == 0
    frags = _fragments(path)
    # the town names in the summary's first column (the map's labels carry a value on the same text)
    rows = {code: y for x, y, text in frags for code, name in names.items() if text.strip() == name and x < 80}
    assert set(rows) == set(names), rows
    top, bottom = max(rows.values()) + 5, min(rows.values()) - 12
    cells: dict[str, list[str]] = {code: [] for code in rows}
    for _x, y, text in frags:
        if bottom <= y <= top:
            cells[min(rows, key=lambda c: abs(rows[c] - y))].append(text)
    return {code: _flat("".join(parts)) for code, parts in cells.items()}, _flat("".join(f[2] for f in frags))


def _page(flt: Filters) -> dict[str, dict[str, str]]:
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["lang"] = "zh"
    at.run()
    at.switch_page("app_pages/pages/towns.py").run()
    assert not at.exception, at.exception
    if flt.categories:
        at.multiselect(key="flt_category").set_value(list(flt.categories)).run()
    if flt.statuses:
        at.multiselect(key="flt_status").set_value(list(flt.statuses)).run()
    assert not at.exception, at.exception
    code = t("export.col.town_code", "zh")  # the page labels its code column (never a raw name)
    table = next(d.value for d in at.dataframe if code in d.value.columns)
    cols = {m: t(f"analysis.measure.{m}", "zh") for m in analysis.TOWN_MEASURES}
    return {str(r[code]): {m: r[c] for m, c in cols.items()} for _, r in table.iterrows()}


def test_the_issue_examples_agree_in_the_core(edited) -> None:
    catalog, _ = edited
    core = _core(catalog, Filters())
    # 赵巷: 13 t/d operating (the official's figure, not the plan's 5) + the 赵巷 market of unknown capacity
    assert core[ZHAOXIANG]["wet_waste_tpd"] == (13, "≥ 13 吨/日（1 个站点能力未知）")
    assert core[ZHAOXIANG]["wet_waste_operating_tpd"] == (13, "13 吨/日")
    # 徐泾: only the 徐泾 market, capacity unknown → 未知, never 0
    assert core[XUJING]["wet_waste_tpd"] == (None, "未知（1 个站点能力未知）")
    # 华新: 80 t/d (嵩山村 + 西郊) and the 华新 market of unknown capacity — said so
    assert core[HUAXIN]["wet_waste_tpd"] == (80, "≥ 80 吨/日（1 个站点能力未知）")
    # 重固 after 徐姚村 (10 t/d) was cancelled: 毛家角村 0.5 t/d + the 重固 market (unknown)
    assert core[CHONGGU]["wet_waste_tpd"] == (0.5, "≥ 0.5 吨/日（1 个站点能力未知）")
    # a site of the cancelled-only filter has no registered capacity: a true 0, not unknown
    cancelled = _core(catalog, Filters(statuses=("cancelled",)))
    assert cancelled[CHONGGU]["wet_waste_tpd"] == (0, "0 吨/日") and cancelled[CHONGGU]["site_count"][0] == 1


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: "+".join(f.categories + f.statuses) or "all")
def test_every_view_shows_the_same_town_figures(edited, capsys, flt) -> None:
    catalog, tmp_path = edited
    core = _core(catalog, flt)
    names = {f.town_code: f.name_zh for f in report_figures(catalog.sites, analysis.town_scorecards(
        catalog.sites, catalog.targets, catalog.towns))}
    shading = _map(catalog, flt)
    printed = _json(flt, capsys)
    book = _workbook(flt, tmp_path)
    pdf_measure = "capacity_vs_generation" if flt.statuses else "wet_waste_tpd"
    pdf_rows, pdf_text = _pdf(flt, tmp_path, names, pdf_measure)
    page = _page(flt)
    assert set(core) == set(printed) == set(book) == set(page) == set(shading) and len(core) == 11
    for code, measures in core.items():
        for m, (value, text) in measures.items():
            where = (code, m)
            assert printed[code][m] == (value, text), where
            assert book[code][m] == (value, text), where
            assert page[code][m] == text, where
            if m in mapview.CHOROPLETH_MEASURES:
                assert shading[code][m] == (value, text), where
    # the PDF briefing: each town's summary row is the scorecard and the core's texts of the measures
    # it shows; the map's label of each town is the core's shading text of the chosen measure
    cards = {c.town_code: c for c in analysis.town_scorecards(catalog.sites, catalog.targets, catalog.towns)}
    _, shades = analysis.town_shading(report_figures(apply_filters(catalog.sites, flt), list(cards.values())),
                                      pdf_measure, "zh")
    for code, measures in core.items():
        card = cards[code]
        row = [card.name_zh, t(f"analysis.state.{card.state}", "zh"), card.counts["met"], card.counts["in_progress"],
               card.counts["not_started"], *(measures[m][1] for m in briefing_pdf.summary_measures(pdf_measure))]
        assert pdf_rows[code] == _flat("".join(map(str, row))), code
        assert shades[code]["text"] == measures[pdf_measure][1]
        # the label: the name and the value (its caveat is in the legend and the summary row)
        assert _flat(card.name_zh + briefing_pdf.label_value(shades[code]["text"])) in pdf_text, code
