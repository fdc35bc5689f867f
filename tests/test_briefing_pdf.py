"""The one-page PDF briefing, in both languages: exactly one A4 portrait page, the map present as
an image, the headline numbers in the text; rendered to PNG in tests/_artifacts/ to be looked at."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

pypdf = pytest.importorskip("pypdf")

from wufei_geo import analysis  # noqa: E402
from wufei_geo.analysis import fmt_number, report_figures  # noqa: E402
from wufei_geo.catalog import load_catalog  # noqa: E402
from wufei_geo.config import GenerationParameters  # noqa: E402
from wufei_geo.reports import briefing_pdf  # noqa: E402
from wufei_geo.reports.texts import (  # noqa: E402
    answer_sentence,
    blockers_table,
    forecast_text,
)
from wufei_geo.store import Store  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parent / "_artifacts"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    if briefing_pdf.cjk_font() is None:
        pytest.skip(f"no CJK font (install {briefing_pdf.FONT_PACKAGE})")
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('brief') / 'w.sqlite'}")
    catalog = load_catalog(store)
    report = analysis.capacity_report(catalog.sites, catalog.targets)
    cards = analysis.town_scorecards(catalog.sites, catalog.targets, catalog.towns, GenerationParameters())
    yield catalog, report, cards
    store.close()


@pytest.fixture(scope="module", params=["zh", "en"])
def briefing(request, inputs):
    catalog, report, cards = inputs
    data = briefing_pdf.briefing_pdf(report, cards, catalog.zones, catalog.sites, district=catalog.district,
                                     lang=request.param)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"briefing-{request.param}.pdf").write_bytes(data)
    try:
        import pypdfium2

        doc = pypdfium2.PdfDocument(data)
        doc[0].render(scale=1.5).to_pil().save(ARTIFACTS / f"briefing-{request.param}.png")
        doc.close()
    except ImportError:  # the PNG is for people; the checks below need only pypdf
        pass
    return request.param, data, report, report_figures(catalog.sites, cards)


def test_exactly_one_a4_portrait_page_with_the_map_image_and_headline_numbers(briefing):
    lang, data, report, figures = briefing
    pdf = pypdf.PdfReader(io.BytesIO(data))
    assert len(pdf.pages) == 1
    page = pdf.pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert abs(width - 595) < 2 and abs(height - 842) < 2  # A4 portrait in points
    assert len(page.images) >= 1  # the district map (rasterised)
    text = _flat(page.extract_text())
    wet = analysis.wet_waste_progress(report)
    # the head is the five-second answer and the table of the sites that block it: the core's texts,
    # the same as the capacity page's and the CLI's (not the wall of reasons that outgrew the page)
    assert _flat(answer_sentence(wet, lang)) in text
    table = blockers_table(wet, lang, limit=briefing_pdf.BLOCKER_ROWS)
    assert len(table.rows) == briefing_pdf.BLOCKER_ROWS and "E.11-1" in table.rows[0][0]
    for row in table.rows:
        assert _flat(row[0]) in text
    assert _flat(forecast_text(wet, lang)[:40]) not in text
    assert fmt_number(wet.target) in text  # 600
    # unknown is written unknown, never 0: 徐泾镇's only wet-waste site has no known capacity
    xujing = next(f for f in figures if f.town_code == "310118106")
    unknown = analysis.fmt_measure(xujing.values["wet_waste_tpd"], "wet_waste_tpd", lang)
    assert xujing.values["wet_waste_tpd"].value is None and unknown.startswith("未知" if lang == "zh" else "unknown")
    assert _flat(unknown) in text
    if lang == "zh":
        assert "青浦区" in text and "吨/日" in text and "朱家角镇" in text
        assert "Operating" not in text
    else:
        assert "Qingpu" in text and "t/d" in text and "Zhujiajiao" in text
        assert "已运行" not in text


def _flat(text: str) -> str:
    """The text without whitespace (pypdf splits wrapped cells and labels across lines)."""
    return "".join(text.split())


def test_a_missing_cjk_font_is_a_clear_refusal_not_boxes(inputs, monkeypatch):
    catalog, report, cards = inputs
    monkeypatch.setattr(briefing_pdf, "cjk_font", lambda: None)
    with pytest.raises(briefing_pdf.BriefingFontError, match=briefing_pdf.FONT_PACKAGE):
        briefing_pdf.briefing_pdf(report, cards, catalog.zones, catalog.sites, lang="zh")


def test_unknown_measure_refused(inputs):
    catalog, report, cards = inputs
    with pytest.raises(ValueError, match="measure"):
        briefing_pdf.briefing_figure(report, cards, catalog.zones, catalog.sites, measure="nope")
