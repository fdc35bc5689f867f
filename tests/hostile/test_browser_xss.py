"""Payload site names in the real app (headless Chromium): literal text in the map's tooltips and
popups, no injected element anywhere, and no dialog ever opens."""
from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from wufei_geo.config import Settings
from wufei_geo.store import Store

from .helpers import XIAYANG, _block_plan_seed
from .results import record

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAYLOADS = {
    "X.1": "<img src=x onerror=alert(1)>",
    "X.2": "<script>alert('x')</script>",
    "X.3": "\"'><svg onload=alert(1)>",
    "X.4": "{{7*7}}<b onmouseover=alert(1)>粗</b>",
}
POINTS = [(121.10, 31.15), (121.12, 31.16), (121.14, 31.14), (121.08, 31.13)]

_POPUPS_JS = """() => {
  const out = [];
  window.map.eachLayer(l => {
    if (!l.feature || !l.getPopup || !l.getPopup()) return;
    l.openTooltip && l.openTooltip();
    const tip = l.getTooltip && l.getTooltip() && l.getTooltip().getElement();
    l.openPopup();
    const pop = l.getPopup().getElement();
    out.push({id: l.feature.properties.site_id, popup: pop ? pop.innerText : null, tip: tip ? tip.innerText : null,
              injected: (pop ? pop.querySelectorAll('img,script,svg,b[onmouseover]').length : 0)
                      + (tip ? tip.querySelectorAll('img,script,svg').length : 0)});
    l.closePopup(); l.closeTooltip && l.closeTooltip();
  });
  return out;
}"""


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from browser.harness import chromium_available, running_app, sqlite_url

    if not chromium_available():
        if os.environ.get("CI"):
            pytest.fail("Debian chromium missing under CI")
        pytest.skip("Debian chromium not found")
    folder = tmp_path_factory.mktemp("xss-db")
    url = sqlite_url(folder)
    store = Store.open(url, seed=False, settings=Settings(db_url=url))
    _block_plan_seed(store)
    for (sid, name), (lon, lat) in zip(PAYLOADS.items(), POINTS, strict=False):
        store.add_site(None, {"site_id": sid, "name_zh": name, "name_en": name, "category": "wet_waste",
                              "wet_waste_mode": "on_site", "town_code": XIAYANG, "lon": lon, "lat": lat})
    store.close()
    with running_app(db_url=url) as server:
        yield server


def test_payload_names_are_literal_and_no_dialog_opens(app: Any) -> None:
    from browser import harness
    from playwright.sync_api import sync_playwright

    dialogs: list[str] = []
    with sync_playwright() as pw:
        browser = harness.launch_browser(pw)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
            context.set_default_timeout(30_000)
            guard = getattr(harness, "offline_cdn", None) or getattr(harness, "block_external", None)
            if guard is not None:
                guard(context)
            page = context.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(app.url)
            frame = harness.map_frame(page)
            found = harness.wait_until(page, lambda: (lambda r: r if len(r) == len(PAYLOADS) else None)(frame.evaluate(_POPUPS_JS)),
                                       what="a popup for every payload site")
            page.wait_for_timeout(1500)  # let any injected handler fire (it would open a dialog)
            for item in found:
                name = PAYLOADS[item["id"]]
                assert name in item["popup"], item
                assert item["tip"] is None or name in item["tip"], item
                assert item["injected"] == 0, item
            assert frame.locator("img[src='x'], svg[onload]").count() == 0
            assert page.locator("img[src='x'], svg[onload]").count() == 0
            main_text = page.inner_text("body")
            assert "49<" not in main_text  # the {{7*7}} payload was not evaluated anywhere
            assert dialogs == []
        finally:
            browser.close()
    for sid, name in PAYLOADS.items():
        record("browser", f"name {sid}", "map popup + tooltip (Chromium)", "rendered_safely",
               f"{name!r} shown as literal text; no element injected", dialogs=len(dialogs))
