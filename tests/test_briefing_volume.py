"""The PDF briefing on ordinary and large data: more overdue sites than the seed, sites it cannot
draw, town labels that never overlap and stay in the district, a file other readers read cleanly,
and 100,000 sites."""
from __future__ import annotations

import io
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

pypdf = pytest.importorskip("pypdf")

from matplotlib.text import Annotation  # noqa: E402
from shapely.geometry import box  # noqa: E402
from shapely.ops import unary_union  # noqa: E402

from wufei_geo import analysis  # noqa: E402
from wufei_geo.catalog import load_catalog  # noqa: E402
from wufei_geo.crs import WGS84_CRS  # noqa: E402
from wufei_geo.reports import briefing_pdf  # noqa: E402
from wufei_geo.store import Store  # noqa: E402


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    if briefing_pdf.cjk_font() is None:
        pytest.skip(f"no CJK font (install {briefing_pdf.FONT_PACKAGE})")
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('vol') / 'w.sqlite'}")
    yield load_catalog(store)
    store.close()


def _pdf(catalog, sites, lang):
    report = analysis.capacity_report(sites, catalog.targets)
    cards = analysis.town_scorecards(sites, catalog.targets, catalog.towns)
    data = briefing_pdf.briefing_pdf(report, cards, catalog.zones, sites, district=catalog.district, lang=lang)
    return data, report


def _text(data: bytes) -> str:
    return "".join(pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text().split())


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sixty_more_overdue_sites_still_make_one_page(catalog, lang):
    # the seed's wet-waste site repeated 60 times: planned for 2023, no expected date — all overdue
    extra = pd.concat([catalog.sites[catalog.sites["site_id"] == "E.12-1"]] * 60, ignore_index=True)
    extra["site_id"] = [f"E.12-{100 + i}" for i in range(60)]
    extra["target_year"] = 2023
    sites = pd.concat([catalog.sites, extra], ignore_index=True)
    data, report = _pdf(catalog, sites, lang)
    pdf = pypdf.PdfReader(io.BytesIO(data))
    assert len(pdf.pages) == 1
    wet = analysis.wet_waste_progress(report)
    assert len(wet.overdue_sites) >= 60
    more = len(analysis.blockers(wet)) - (briefing_pdf.BLOCKER_ROWS - 1)
    assert (f"另有{more}个站点" if lang == "zh" else f"{more}moresite(s)") in _text(data)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_map_says_which_sites_it_does_not_draw(catalog, lang):
    data, _ = _pdf(catalog, catalog.sites, lang)
    undrawn = int(catalog.sites["display_lon"].isna().sum())
    assert undrawn == 16  # the district-level sites: no town, no point
    text = _text(data)
    if lang == "zh":
        assert f"地图未画出{undrawn}个站点" in text and "国清综合处理厂（湿垃圾）600吨/日" in text
    else:
        assert f"{undrawn}sitesarenotdrawn" in text and "Guoqing" in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_town_labels_never_overlap_and_stay_inside_the_district(catalog, lang):
    report = analysis.capacity_report(catalog.sites, catalog.targets)
    cards = analysis.town_scorecards(catalog.sites, catalog.targets, catalog.towns)
    fig = briefing_pdf.briefing_figure(report, cards, catalog.zones, catalog.sites, district=catalog.district,
                                       lang=lang)
    try:
        ax = max(fig.axes, key=lambda a: sum(isinstance(t, Annotation) for t in a.texts))
        labels = [t for t in ax.texts if isinstance(t, Annotation)]
        assert len(labels) == 11
        renderer = fig.canvas.get_renderer()
        to_data = ax.transData.inverted()
        rects = []
        for label in labels:
            (x0, y0), (x1, y1) = to_data.transform(label.get_window_extent(renderer).get_points())
            rects.append(box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
            assert label.get_text().count("\n") == 1  # name and value: two lines, never a third
        for i, a in enumerate(rects):
            for b in rects[i + 1:]:
                assert a.intersection(b).area == pytest.approx(0, abs=1e-12)
        outline = unary_union(list(catalog.district.to_crs(WGS84_CRS).geometry))
        for rect in rects:
            assert rect.difference(outline).area / rect.area < 0.02  # inside (a hair of the box's padding)
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_other_readers_read_the_file_without_font_warnings(catalog, lang, tmp_path):
    data, _ = _pdf(catalog, catalog.sites, lang)
    path = tmp_path / "brief.pdf"
    path.write_bytes(data)
    done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "Mismatch" not in done.stderr and "Error" not in done.stderr
    assert ("600" in done.stdout) and ("吨/日" in done.stdout if lang == "zh" else "t/d" in done.stdout)


@pytest.mark.slow
def test_one_hundred_thousand_sites_finish(catalog):
    n = 100_000
    base = catalog.sites
    sites = pd.concat([base] * (n // len(base) + 1), ignore_index=True).iloc[:n].copy()
    sites["site_id"] = [f"S{i}" for i in range(n)]
    rng = np.random.default_rng(1)
    located = sites["display_lon"].notna()  # the town-placed ones spread over the district
    sites.loc[located, "display_lon"] = 121.0 + rng.random(int(located.sum())) * 0.12
    sites.loc[located, "display_lat"] = 31.08 + rng.random(int(located.sum())) * 0.1
    data, _ = _pdf(catalog, sites, "zh")
    assert len(pypdf.PdfReader(io.BytesIO(data)).pages) == 1
    assert f"地图未画出{int((~located).sum())}个站点" in _text(data)  # what it cannot draw, counted
