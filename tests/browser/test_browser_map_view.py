"""Issue 13 in headless Chromium: a map a planner can read at a glance.

Town labels stay on their zones through reruns (filter, shading, language); markers are the
sites with a known town or better, the panel under the map lists the rest; the legend is open,
needs no scrolling and covers no zone at the opening zoom; the scale is metric; a copied URL
reopens the same subset and shading; ``/map`` opens the map; a language switch on 更新 keeps the
form and it still saves.
"""
from __future__ import annotations

import math
import re
from typing import Any

import pytest
import shapely

from wufei_geo import auth
from wufei_geo.store import Store

from .harness import (
    choose,
    label_leaders,
    legend_state,
    map_frame,
    map_view_state,
    marker_count,
    open_from_sidebar,
    running_app,
    script_idle,
    shown_counts,
    sqlite_url,
    steady,
    wait_until,
    zone_labels,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TOWN = "310118105"  # 赵巷镇
OFFICIAL, PASSWORD = "zhaoxiang13", "browser test password"
LABEL_TOLERANCE_PX = 3
_SHADE_LINE = re.compile(r"\n((≥ )?[\d.,]+|未知|unknown)$")  # a shaded label's second line
LEADER_MIN_PX = 8  # site_renderer.js LEADER_MIN: a label this far from its anchor has a leader line


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from .conftest import _require_chromium

    _require_chromium()
    url = sqlite_url(tmp_path_factory.mktemp("browser-map-view"))
    store = Store.open(url)
    auth.create_user(store, OFFICIAL, "town_official", TOWN, PASSWORD)
    store.close()
    with running_app(db_url=url) as server:
        yield server


def _settled(page: Any) -> tuple[int, int, int, int] | None:
    shown, total, unmapped = shown_counts(page)
    n = marker_count(page)
    return (shown, total, unmapped, n) if n == shown - unmapped else None


def _assert_labels_on_their_zones(page: Any, catalog: Any, when: str) -> list[dict]:
    script_idle(page)  # the rerun has ended and the labels stay where they are: a drifted label would stay drifted
    labels = steady(page, lambda: zone_labels(page), what="the town labels to stay put")
    zones = {str(c): g for c, g in zip(catalog.zones["town_code"], catalog.zones.geometry, strict=False)}
    assert sorted(lb["code"] for lb in labels) == sorted(zones), when
    for lb in labels:
        # where the renderer put it: the anchor, or moved clear of the sites (see the test below)
        assert abs(lb["dx"] - lb["ox"]) <= LABEL_TOLERANCE_PX and abs(lb["dy"] - lb["oy"]) <= LABEL_TOLERANCE_PX, (when, lb)
        # in its own zone, or (no clear spot there) another zone of the district: never outside it
        assert lb["zone"] is not None, (when, lb)
        assert lb["inside"], (when, lb)  # the label box is inside the map
        assert zones[lb["code"]].contains(shapely.Point(lb["lng"], lb["lat"])), (when, lb)  # anchor in its zone
    # every name can be read: no label on another, none under the drawn sites
    assert [lb["text"] for lb in labels if lb["labels"]] == [], (when, [(lb["text"], lb["box"]) for lb in labels])
    assert [lb["text"] for lb in labels if lb["sites"]] == [], (when, [(lb["text"], lb["box"]) for lb in labels])
    # nor under a place marker, a legend or a control of the map
    assert [(lb["text"], lb["over"]) for lb in labels if lb["over"]] == [], when
    # a label moved away from its anchor is tied to it by a leader line
    leaders = label_leaders(page)
    for lb in labels:
        b = lb["box"]
        ax, ay = (b["x0"] + b["x1"]) / 2 - lb["dx"], (b["y0"] + b["y1"]) / 2 - lb["dy"]  # the anchor
        gap = math.hypot(ax - min(max(ax, b["x0"]), b["x1"]), ay - min(max(ay, b["y0"]), b["y1"]))
        if gap > LEADER_MIN_PX + LABEL_TOLERANCE_PX:
            assert any(math.hypot(ln["x0"] - ax, ln["y0"] - ay) <= LABEL_TOLERANCE_PX for ln in leaders), (when, lb, leaders)
    # … and that line crosses no other town's name: "Chonggu Town ≥ 10.5", moved into 赵巷镇, was
    # tied back across "Zhaoxiang Town"; nor does a label sit on another's anchor, where its line starts
    crossed = [(lb["text"], ln) for ln in leaders for lb in labels
               if not _ends_on(ln, lb["box"]) and _segment_meets_box(ln, lb["box"])]
    assert crossed == [], (when, crossed, [(lb["text"], lb["box"]) for lb in labels])
    return labels


def _ends_on(line: dict, box: dict) -> bool:
    """Whether the leader line ends on the edge of ``box`` (the label it ties to its anchor)."""
    x, y = line["x1"], line["y1"]
    return box["x0"] - LABEL_TOLERANCE_PX <= x <= box["x1"] + LABEL_TOLERANCE_PX \
        and box["y0"] - LABEL_TOLERANCE_PX <= y <= box["y1"] + LABEL_TOLERANCE_PX


def _segment_meets_box(line: dict, box: dict) -> bool:
    """Whether the segment (x0, y0)–(x1, y1) passes through ``box`` shrunk by a pixel (a line that
    grazes a box's rounded edge does not hide a letter)."""
    inner = shapely.box(box["x0"] + 1, box["y0"] + 1, box["x1"] - 1, box["y1"] - 1)
    return bool(inner.intersects(shapely.LineString([(line["x0"], line["y0"]), (line["x1"], line["y1"])])))


def _shown_choice(box: Any, multi: bool) -> str:
    """What a multiselect shows as chosen (its chips' text) or a select box (its input's value)."""
    if multi:
        return box.inner_text()
    return box.evaluate("el => [...el.querySelectorAll('input')].map(i => i.value).join('\\n')")


def _pick(page: Any, label: str, option: str, multi: bool) -> None:
    """Choose ``option`` in the sidebar multiselect / main select box ``label``, once the page's
    script is idle, until the box shows it (a choice that lands while the page reruns is lost)."""
    kind = "stMultiSelect" if multi else "stSelectbox"
    scope = "[data-testid='stSidebar']" if multi else "[data-testid='stMain']"
    box = page.locator(f"{scope} [data-testid='{kind}']").filter(has_text=label).first
    for _attempt in range(3):
        script_idle(page)
        if multi:
            box.locator("input").click()
            box.locator("input").fill(option)
            page.get_by_role("option", name=option, exact=True).click(timeout=20_000)
            page.keyboard.press("Escape")
        else:
            choose(page, box, page.get_by_role("option", name=option, exact=True))
        try:
            wait_until(page, lambda: option in _shown_choice(box, multi), timeout_s=20, what=f"{option} chosen in {label}")
            return
        except TimeoutError:
            continue
    raise AssertionError(f"could not choose {option!r} in {label!r}")


def test_labels_stay_on_their_zones_through_filter_shading_and_language(app: Any, page: Any, catalog: Any, artifacts_dir: Any) -> None:
    page.goto(app.url)
    map_frame(page)
    wait_until(page, lambda: _settled(page), what="markers = site count")
    _assert_labels_on_their_zones(page, catalog, "opening map")

    wet = int((catalog.sites["category"] == "wet_waste").sum())
    _pick(page, "类别", "湿垃圾处理", multi=True)
    wait_until(page, lambda: shown_counts(page)[0] == wet and _settled(page), what="the filtered map")
    _assert_labels_on_their_zones(page, catalog, "after a filter change")

    _pick(page, "街镇分级着色", "湿垃圾处理能力·已登记（吨/日）", multi=False)
    wait_until(page, lambda: all(_SHADE_LINE.search(lb["text"]) for lb in zone_labels(page)), what="the shaded map")
    labels = _assert_labels_on_their_zones(page, catalog, "after a shading change")
    assert any(re.search(r"\n(≥ )?\d", lb["text"]) for lb in labels)
    # the label is the number alone: the unit is the legend's, the unknown sites the zone tooltip's
    assert not [lb["text"] for lb in labels if "吨/日" in lb["text"] or "站点" in lb["text"]], labels

    page.locator("[data-testid='stSidebar'] label", has_text="English").click()
    wait_until(page, lambda: "Showing" in page.inner_text("body") and _settled(page), what="the English map")
    wait_until(page, lambda: any("Town" in lb["text"] for lb in zone_labels(page)), what="English labels")
    _assert_labels_on_their_zones(page, catalog, "after a language change")
    # the language switch kept the filter and the shading
    assert shown_counts(page)[0] == wet
    assert all(_SHADE_LINE.search(lb["text"]) for lb in zone_labels(page))
    page.screenshot(path=str(artifacts_dir / "map-labels-en.png"), full_page=False)


def test_town_labels_are_not_covered_by_sites_or_each_other_at_the_opening_view(app: Any, page: Any, catalog: Any,
                                                                              artifacts_dir: Any) -> None:
    """At the opening zoom the north-east towns' sites sit on their labels' anchors (华新, 赵巷, 徐泾, 重固
    were half hidden), and the English names are wider than 赵巷's and 重固's zones: a covered label
    moves to a clear spot whose centre is in its own zone — or, where it has none, elsewhere in the
    district, never outside it (where "Chonggu Town" once went) — tied to its anchor by a leader
    line when moved far, so every town name can be read — in both languages, shaded or not."""
    page.goto(f"{app.url}/map")
    map_frame(page)
    wait_until(page, lambda: _settled(page), what="markers = site count")
    labels = _assert_labels_on_their_zones(page, catalog, "opening map")
    assert any(lb["ox"] or lb["oy"] for lb in labels)  # some had to move: the test is about something
    page.screenshot(path=str(artifacts_dir / "map-labels-clear-zh.png"), full_page=False)

    page.locator("[data-testid='stSidebar'] label", has_text="English").click()
    wait_until(page, lambda: any("Town" in lb["text"] for lb in zone_labels(page)), what="English labels")
    wait_until(page, lambda: _settled(page), what="the English map")
    _assert_labels_on_their_zones(page, catalog, "opening map, English")
    # the opening view, untouched, is fitted again beside the wider English legend, as the map
    # opens in English: the legend once covered the district's north-west, pushing its labels out
    legend = legend_state(page)
    assert legend["vertexInBox"] == 0 and legend["boxInZone"] == 0, legend
    page.screenshot(path=str(artifacts_dir / "map-labels-clear-en.png"), full_page=False)

    _pick(page, "Town shading", "wet-waste capacity per 10,000 residents (t/d)", multi=False)
    wait_until(page, lambda: all(_SHADE_LINE.search(lb["text"]) for lb in zone_labels(page)), what="the shaded map")
    _assert_labels_on_their_zones(page, catalog, "opening map, English, shaded per 10,000 residents")
    page.screenshot(path=str(artifacts_dir / "map-labels-clear-en-shaded.png"), full_page=False)

    # the map opened afresh in English, fitted to the English legend (the README's English view,
    # where a place marker once hid "Chonggu Town" and the legend part of "Xianghuaqiao Subdistrict")
    open_from_sidebar(page, "Towns", page.locator("h1", has_text="Town scorecards"))
    open_from_sidebar(page, "Map", page.locator("h1", has_text="Facility map"))
    map_frame(page)
    wait_until(page, lambda: _settled(page), what="the English map opened afresh")
    wait_until(page, lambda: any("Town" in lb["text"] for lb in zone_labels(page)), what="English labels")
    _assert_labels_on_their_zones(page, catalog, "the map opened afresh in English")
    page.screenshot(path=str(artifacts_dir / "map-labels-clear-en-afresh.png"), full_page=False)

    # shaded by registered capacity: "Chonggu Town ≥ 10.5" has no room in its small town
    per_resident = sorted(lb["text"] for lb in zone_labels(page))
    _pick(page, "Town shading", "wet-waste capacity, registered (t/d)", multi=False)
    wait_until(page, lambda: (lambda ls: all(_SHADE_LINE.search(t) for t in ls) and ls != per_resident)(
        sorted(lb["text"] for lb in zone_labels(page))), what="the map shaded by registered capacity")
    _assert_labels_on_their_zones(page, catalog, "opened in English, shaded by registered capacity")
    page.screenshot(path=str(artifacts_dir / "map-labels-clear-en-registered.png"), full_page=False)

    # a view the planner chose is kept through a language switch: only the untouched opening view
    # is fitted again to the legend in the other language
    zoom = map_view_state(page)["zoom"]
    map_frame(page).locator(".leaflet-control-zoom-in").click()
    chosen = wait_until(page, lambda: (lambda v: v["zoom"] if v["zoom"] > zoom else None)(map_view_state(page)), what="zoomed in")
    page.locator("[data-testid='stSidebar'] label", has_text="中文").click()
    wait_until(page, lambda: any("镇" in lb["text"] for lb in zone_labels(page)), what="Chinese labels")
    script_idle(page)
    assert steady(page, lambda: map_view_state(page)["zoom"], what="the redrawn map at rest") == chosen


def test_the_map_follows_zoom_after_being_redrawn_in_place(app: Any, page: Any, catalog: Any, artifacts_dir: Any) -> None:
    """A filter, shading or language change redraws the open map in place.  That redraw once took
    away, with the previous drawing's event handlers, the map's own: its zoom control vanished and
    after a zoom the town zones and the district stayed drawn at the old scale, under sites and
    labels at the new one.  Nor may a redraw leave the previous drawing's renderers behind (each
    a full-map canvas drawn again on every move)."""
    page.goto(f"{app.url}/map")
    map_frame(page)
    wait_until(page, lambda: _settled(page), what="the opening map")
    opening = steady(page, lambda: map_view_state(page), what="the opening map at rest")
    _pick(page, "类别", "湿垃圾处理", multi=True)  # redrawn in place: another filter …
    wet = int((catalog.sites["category"] == "wet_waste").sum())
    wait_until(page, lambda: shown_counts(page)[0] == wet and _settled(page), what="the filtered map")
    page.locator("[data-testid='stSidebar'] label", has_text="English").click()  # … another language
    wait_until(page, lambda: any("Town" in lb["text"] for lb in zone_labels(page)), what="English labels")
    # the language's rerun has ended and its drawing has settled before the user zooms
    script_idle(page)
    before = steady(page, lambda: map_view_state(page), what="the redrawn map at rest")
    assert before["zoomControl"], before
    assert before["renderers"] and all(z == before["zoom"] for z in before["renderers"]), before
    assert len(before["renderers"]) == len(opening["renderers"]), (opening, before)

    def drawn_at_new_zoom(z: float) -> dict | None:
        v = map_view_state(page)
        return v if v["zoom"] > z and v["renderers"] and all(r == v["zoom"] for r in v["renderers"]) else None

    frame = map_frame(page)
    zoom = before["zoom"]
    for step in (1, 2):  # each click zooms in from where the map is (the zoom control is the map's own)
        frame.locator(".leaflet-control-zoom-in").click()
        # the next click waits for this zoom to end, as a user sees it end: Leaflet ignores a zoom
        # asked for during its 250 ms zoom animation (getZoom() already answers the new zoom then)
        after = wait_until(page, lambda z=zoom: drawn_at_new_zoom(z), timeout_s=20,
                           what=f"zoom-in click {step} taken and every renderer drawn at the new zoom")
        zoom = after["zoom"]
    assert zoom >= before["zoom"] + 2, (before, after)
    assert after["zoomControl"], after
    page.screenshot(path=str(artifacts_dir / "map-zoomed-after-redraw.png"), full_page=False)


def test_markers_are_the_located_sites_and_the_panel_lists_the_rest(app: Any, page: Any, catalog: Any) -> None:
    page.goto(f"{app.url}/map")
    map_frame(page)
    shown, total, unmapped, n = wait_until(page, lambda: _settled(page), what="markers = site count")
    sites = catalog.sites
    located = sites["display_lon"].notna()
    known_town = sites["town_code"].notna() | sites["lon"].notna()
    assert (located == known_town).all()  # a marker exactly for the sites with a known town or better
    assert n == int(located.sum()) > 0 and total == shown == len(sites)
    rest = int((~located).sum())
    assert unmapped == rest > 0
    assert f"位置未知的站点 ({rest})" in page.inner_text("[data-testid='stMain']")

    legend = legend_state(page)
    assert legend["rings"] > 0 and legend["open"] and not legend["scrolls"], legend
    assert legend["vertexInBox"] == 0 and legend["boxInZone"] == 0, legend  # covers no zone
    assert legend["scale"] and all(re.fullmatch(r"\d+ k?m", s.strip()) for s in legend["scale"]), legend["scale"]


def test_a_copied_url_reopens_the_same_subset_and_shading(app: Any, browser: Any, page: Any, catalog: Any) -> None:
    page.goto(f"{app.url}/map")
    map_frame(page)
    wait_until(page, lambda: _settled(page), what="the opening map")
    _pick(page, "类别", "湿垃圾处理", multi=True)
    _pick(page, "状态", "规划中", multi=True)
    sites = catalog.sites
    expected = int(((sites["category"] == "wet_waste") & (sites["status"] == "planned")).sum())
    assert expected > 0
    wait_until(page, lambda: shown_counts(page)[0] == expected and _settled(page), what="the filtered map")
    _pick(page, "街镇分级着色", "站点数", multi=False)
    url = wait_until(page, lambda: "shade=site_count" in page.url and page.url, what="the view in the URL")
    assert "cat=wet_waste" in url and "status=planned" in url

    other = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    try:
        colleague = other.new_page()
        colleague.goto(url)
        map_frame(colleague)
        shown, total, _unmapped, _n = wait_until(colleague, lambda: _settled(colleague), what="the copied view")
        assert (shown, total) == (expected, len(sites))
        # the same shading: every town label carries its site count, the legend its classes
        labels = wait_until(colleague, lambda: (lambda ls: ls if all(re.search(r"\n\d+$", lb["text"]) for lb in ls) else None)(
            zone_labels(colleague)), what="labels with site counts")
        chosen = sites[(sites["category"] == "wet_waste") & (sites["status"] == "planned")]
        counted = sum(int(lb["text"].rsplit("\n", 1)[1]) for lb in labels)
        assert counted == int(chosen["town_code"].notna().sum()) > 0, (counted, labels)
        legend = map_frame(colleague).evaluate("document.querySelector('.wf-legend').innerText")
        assert "站点数" in legend and re.search(r"\d+ – \d+ 个", legend), legend
    finally:
        other.close()


def test_map_path_opens_the_map(app: Any, page: Any) -> None:
    page.goto(f"{app.url}/map")
    page.locator("h1", has_text="设施地图").wait_for(timeout=60_000)
    map_frame(page)
    assert "page not found" not in page.inner_text("body").lower()
    for path, title in (("towns", "街镇"), ("update", "更新站点信息")):
        page.goto(f"{app.url}/{path}")
        page.locator("h1", has_text=title).first.wait_for(timeout=60_000)


def test_a_language_switch_on_update_keeps_the_form_and_it_saves(app: Any, page: Any) -> None:
    page.goto(f"{app.url}/update")
    page.get_by_label("用户名").fill(OFFICIAL)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_text(f"已登录：{OFFICIAL}").wait_for(timeout=60_000)

    store = Store.open(app.db_url, seed=False)
    try:
        own = sorted(str(s) for s in store.sites_frame().query("town_code == @TOWN")["site_id"])
    finally:
        store.close()
    site_id = own[1]  # not the one the page opens with
    pick = page.locator("[data-testid='stMain'] [data-testid='stSelectbox']").filter(has_text="选择站点").first
    choose(page, pick, page.get_by_role("option", name=re.compile(rf"^{re.escape(site_id)} · ")))
    page.locator("h3", has_text=f"{site_id} · ").wait_for(timeout=30_000)
    store = Store.open(app.db_url, seed=False)
    try:
        before = store.get_site(site_id)
    finally:
        store.close()
    target, target_zh = ("commissioning", "试运行") if before["status"] != "commissioning" else ("operating", "已运行")
    status_box = page.locator("[data-testid='stMain'] [data-testid='stSelectbox']").filter(
        has=page.get_by_text("状态", exact=True)
    ).first
    choose(page, status_box, page.get_by_role("option", name=target_zh, exact=True))
    script_idle(page)  # the rerun the choice causes has ended

    page.locator("[data-testid='stSidebar'] label", has_text="English").click()
    page.locator("h1", has_text="Update sites").wait_for(timeout=60_000)
    page.locator("h3", has_text=f"{site_id} · ").wait_for(timeout=30_000)  # the same site
    body = page.inner_text("body")
    assert "no site" not in body.lower() and "没有站点" not in body
    # the status chosen before the switch is still chosen: saving now writes it (had the form
    # fallen back to the stored status, the page would answer "nothing to save")
    page.get_by_role("button", name="Save").click()
    page.get_by_text(f"Saved {site_id}").first.wait_for(timeout=60_000)

    store = Store.open(app.db_url, seed=False)
    try:
        after = store.get_site(site_id)
    finally:
        store.close()
    assert after["status"] == target and after["version"] == before["version"] + 1


def test_selecting_a_site_in_the_panel_selects_it(app: Any, page: Any, catalog: Any) -> None:
    page.goto(f"{app.url}/map")
    map_frame(page)
    wait_until(page, lambda: _settled(page), what="the opening map")
    sites = catalog.sites
    first = sites[sites["display_lon"].isna()].iloc[0]  # the panel lists them in the table's order
    # the panel is folded: its grid is built (and its JavaScript loaded) when it is opened
    assert page.locator("[data-testid='stMain'] [data-testid='stDataFrame']").count() == 0
    page.locator("[data-testid='stExpander'] summary").filter(has_text="位置未知的站点").click()
    panel = page.locator("[data-testid='stMain'] [data-testid='stDataFrame']").first
    panel.wait_for(timeout=60_000)
    panel.scroll_into_view_if_needed()
    box = panel.bounding_box()
    assert box is not None
    # the first data row's selection cell (header row ~35 px, rows ~35 px)
    page.mouse.click(box["x"] + 15, box["y"] + 35 + 17)
    line = wait_until(
        page, lambda: next((ln for ln in page.inner_text("body").splitlines() if ln.startswith("已选中")), None),
        what="the selection line",
    )
    assert str(first["site_id"]) in line
    wait_until(page, lambda: f"site={first['site_id']}" in page.url, what="the selected site in the URL")


def _same_place_map(tmp_path: Any) -> Any:
    """A standalone page (assets linked from the package, as the app links them) of two sites
    stored at the same point."""
    import pandas as pd

    from wufei_geo import mapview, model

    base = {c: None for c in ("site_id", "project_id", "name_zh", "name_en", "category", "town_code", "status", "precision")}
    rows = [
        {**base, "site_id": "S-1", "project_id": "S", "name_zh": "甲站", "category": "wet_waste", "town_code": "310118001",
         "status": "planned", "precision": "exact", "display_lon": 121.11, "display_lat": 31.15, "display_precision": "exact"},
        {**base, "site_id": "S-2", "project_id": "S", "name_zh": "乙站", "category": "transfer_station", "town_code": "310118001",
         "status": "operating", "precision": "exact", "display_lon": 121.11, "display_lat": 31.15, "display_precision": "exact"},
    ]
    frame = pd.DataFrame([{**{c: None for c in model.SITE_COLUMNS}, "overdue": False, "last_change": None, **r} for r in rows])
    m = mapview.build_map(frame, None, None, asset_base=mapview.ASSET_DIR.as_uri())
    html_path = tmp_path / "same-place.html"
    m.save(str(html_path))
    return html_path


def test_sites_at_one_place_share_a_popup_listing_them(browser: Any, tmp_path: Any) -> None:
    """Two sites stored at the same point: clicking the marker lists both (a stack); each entry
    opens a popup that names the other."""
    from .harness import block_external, click_site, site_markers, steady

    html_path = _same_place_map(tmp_path)
    context = browser.new_context(viewport={"width": 900, "height": 700})
    block_external(context)
    try:
        pg = context.new_page()
        pg.goto(html_path.as_uri())
        pg.wait_for_function("() => window.WufeiMap && document.querySelector('.leaflet-container')", timeout=30_000)
        markers = wait_until(pg, lambda: len(site_markers(pg)) == 2 and site_markers(pg), what="two site markers")
        click_site(pg, markers[-1])
        entries = pg.locator(".wf-stack-entry")
        entries.first.wait_for(timeout=10_000)
        assert sorted(entries.all_inner_texts()) == ["乙站 (S-2)", "甲站 (S-1)"]
        entries.first.click()
        popup = pg.locator(".leaflet-popup").filter(has=pg.locator("table")).first
        popup.wait_for(timeout=10_000)
        text = popup.inner_text()
        assert "同一位置还有 1 个站点" in text
        assert ("甲站" in text) and ("乙站" in text)
        # hovering the marker shows its tooltip (built on demand by the renderer); the popup
        # may have panned the map, so the marker is found again
        pg.mouse.move(0, 0)
        box = pg.locator(".leaflet-container").first.bounding_box()
        marker = steady(pg, lambda: site_markers(pg), what="the markers to stop moving")[0]
        pg.mouse.move(box["x"] + marker["x"], box["y"] + marker["y"])
        tip = pg.locator(".leaflet-tooltip").first
        tip.wait_for(timeout=10_000)
        assert ("甲站" in tip.inner_text()) or ("乙站" in tip.inner_text())
    finally:
        context.close()


def _recording_abort(refused: list[str]) -> Any:
    """A route handler that refuses the request and notes its address in ``refused``."""
    def handler(route: Any) -> None:
        refused.append(route.request.url)
        route.abort()
    return handler


def test_the_sites_are_drawn_by_the_renderer_asset(browser: Any, tmp_path: Any) -> None:
    """The map's JS is the package file wufei_geo/assets/wufei/site_renderer.js: linked from the
    page, it draws the sites; with that one file refused, no site is drawn."""
    from .harness import block_external, site_markers

    html_path = _same_place_map(tmp_path)
    assert "wufei/site_renderer.js" in html_path.read_text(encoding="utf-8")
    for refuse in (False, True):
        context = browser.new_context(viewport={"width": 900, "height": 700})
        block_external(context)
        refused: list[str] = []
        if refuse:
            context.route("**/wufei/site_renderer.js", _recording_abort(refused))
        try:
            pg = context.new_page()
            pg.goto(html_path.as_uri())
            pg.wait_for_function("() => window.L && document.querySelector('.leaflet-container')", timeout=30_000)
            if refuse:
                # every script of the page has run or failed: the page's load event has fired
                pg.wait_for_load_state("load")
                assert refused, "the renderer asset was never requested"
                assert pg.evaluate("typeof window.WufeiMap") == "undefined"
                assert site_markers(pg) == []
            else:
                wait_until(pg, lambda pg=pg: len(site_markers(pg)) == 2, what="two site markers")
                assert pg.evaluate("typeof window.WufeiMap.renderer") == "function"
        finally:
            context.close()
