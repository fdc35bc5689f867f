"""What only a browser shows of the places (issue 24): the seeded education bases drawn on the map
as their own layer, in their towns, with their own legend, in Chinese and in English.
Screenshots: tests/_artifacts/places-map-zh.png, places-map-en.png."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import shapely

from wufei_geo import geodata

from .harness import map_frame, running_app, wait_until

# The place markers (folium DivIcons) with their Leaflet position and tooltip text.
_PLACES_JS = """() => {
  const out = [], map = window.map || Object.values(window).find(v => window.L && v instanceof L.Map);
  if (!map) return out;
  map.eachLayer(l => {
    if (l instanceof L.Marker && l.options.icon && l.options.icon.options.className === 'wf-place-icon') {
      const ll = l.getLatLng(), tip = l.getTooltip();
      out.push({lat: ll.lat, lon: ll.lng, name: tip ? String(tip.getContent()) : ''});
    }
  });
  return out;
}"""


@pytest.fixture(scope="module")
def app() -> Any:
    from .conftest import _require_chromium

    _require_chromium()
    with running_app() as server:
        yield server


def _places(page: Any) -> list[dict]:
    frame = map_frame(page)
    return frame.evaluate(_PLACES_JS)


@pytest.mark.browser
def test_seeded_education_bases_show_in_their_towns_in_both_languages(app: Any, page: Any, artifacts_dir: Path) -> None:
    zones = geodata.load_default_zones().set_index("town_code")
    expected = {"朱家角古镇无废教育基地": "310118102", "练塘古镇无废教育基地": "310118103",
                "燕龙基公司无废教育基地": "310118109"}
    page.goto(app.url + "/map?ptype=education_base")
    places = wait_until(page, lambda: len(_places(page)) == 3 and _places(page), 120, "three place markers")
    by_name = {p["name"]: p for p in places}
    assert set(by_name) == set(expected)  # 国家会展中心: district only, no invented point
    for name, code in expected.items():
        p = by_name[name]
        assert zones.loc[code].geometry.buffer(0.002).contains(shapely.Point(p["lon"], p["lat"])), name
    legend = page.frames[-1]
    texts = " ".join(f.evaluate("() => document.body.innerText") for f in page.frames if "streamlit_folium" in f.url)
    assert "场所图例" in texts and "无废教育基地" in texts
    # listed under the map, in a folded table (opened here); 国家会展中心 is district-only
    assert "场所（4）" in page.inner_text("[data-testid='stMain']")
    page.locator("[data-testid='stExpander'] summary").filter(has_text="场所（4）").click()
    wait_until(page, lambda: "1 个场所只知属于青浦区" in page.inner_text("[data-testid='stMain']"), 60,
               "the opened places table")
    page.screenshot(path=str(artifacts_dir / "places-map-zh.png"), full_page=False)

    page.locator("[data-testid='stSidebar'] label", has_text="English").click()
    wait_until(page, lambda: "Places legend" in " ".join(
        f.evaluate("() => document.body.innerText") for f in page.frames if "streamlit_folium" in f.url),
        120, "the English legend")
    names = {p["name"] for p in wait_until(page, lambda: len(_places(page)) == 3 and _places(page), 60, "markers")}
    assert "Zhujiajiao ancient town zero-waste education base" in names
    assert legend is not None
    page.screenshot(path=str(artifacts_dir / "places-map-en.png"), full_page=False)
