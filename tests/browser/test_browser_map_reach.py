"""The map in headless Chromium as a planner meets it in the first minute: every site of a stack
can be reached, a link that names a site shows it, a drag reruns nothing, and a filter reaches
the open map as a message (the map holds every site and is not drawn again).
"""
from __future__ import annotations

from typing import Any

import pytest

from wufei_geo.store import Store

from .harness import map_frame, marker_count, running_app, shown_counts, site_markers, sqlite_url, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ZHAOXIANG = "310118105"  # 赵巷镇: its sites are drawn at its seat


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from .conftest import _require_chromium

    _require_chromium()
    url = sqlite_url(tmp_path_factory.mktemp("browser-map-reach"))
    Store.open(url).close()  # seeded before the app starts, so the tests read what it shows
    with running_app(db_url=url) as server:
        yield server


def _applied(frame: Any) -> int:
    """How many messages of the page the open map has applied (0 before the first)."""
    return int(frame.evaluate("(window.WufeiMap && WufeiMap.current && WufeiMap.current.applied) || 0"))


def _popup_text(frame: Any) -> str:
    return frame.evaluate("(document.querySelector('.leaflet-popup') || {}).innerText || ''")


def test_every_site_of_the_stack_at_zhaoxiangs_seat_can_be_reached(app: Any, page: Any, catalog: Any,
                                                                   artifacts_dir: Any) -> None:
    sites = catalog.sites
    town_sites = sites[(sites["town_code"] == ZHAOXIANG) & sites["display_lon"].notna()]
    expected = set(town_sites["site_id"].astype(str))
    assert len(expected) >= 5  # the plan's five sites of 赵巷镇, at its seat
    page.goto(f"{app.url}/map")
    frame = map_frame(page)
    wait_until(page, lambda: _applied(frame), what="the page's first message applied")
    markers = {m["site_id"]: m for m in site_markers(frame)}
    # the stack: the site drawn on top of the others at the seat
    piles = wait_until(page, lambda: frame.evaluate(
        "WufeiMap.current.piles.map(p => p.members.map(m => String(m.layer.siteId(m.i))))"), what="stacks")
    pile = next(p for p in piles if expected <= set(p))
    top = markers[pile[-1]]
    box = frame.locator(".leaflet-container").first
    box.hover(position={"x": top["x"], "y": top["y"]})
    tip = wait_until(page, lambda: frame.evaluate("(document.querySelector('.leaflet-tooltip-top') || {}).innerText"),
                     what="the stack's tooltip")
    assert f"此处有 {len(pile)} 个站点" in tip, tip
    box.click(position={"x": top["x"], "y": top["y"]})
    entries = wait_until(page, lambda: frame.evaluate(
        "[...document.querySelectorAll('.wf-stack-entry')].map(a => a.dataset.site)"), what="the stack's list")
    assert sorted(entries) == sorted(pile)
    page.screenshot(path=str(artifacts_dir / "map-stack-open-zh.png"), full_page=False)
    for site_id in entries:
        frame.locator(f".wf-stack-entry[data-site='{site_id}']").click()
        text = wait_until(page, lambda sid=site_id: t if sid in (t := _popup_text(frame)) else None,
                          what=f"the popup of {site_id}")
        name = sites.loc[sites["site_id"] == site_id, "name_zh"].iloc[0]
        assert name in text
        frame.locator(".wf-stack-back").click()  # back to the list
        wait_until(page, lambda: frame.evaluate("document.querySelectorAll('.wf-stack-entry').length") == len(pile),
                   what="the stack's list again")


def test_a_link_naming_a_site_centres_on_it_marks_it_and_opens_its_popup(app: Any, page: Any, catalog: Any) -> None:
    sites = catalog.sites
    site = sites[(sites["site_id"] == "E.12-2") & sites["display_lon"].notna()].iloc[0]
    page.goto(f"{app.url}/map?site=E.12-2")
    frame = map_frame(page)
    wait_until(page, lambda: "E.12-2" in _popup_text(frame), what="the site's popup open")
    # centred across, and down the map as far as its popup needs to be seen whole
    off = frame.evaluate(f"""(() => {{
      const m = window.map, p = m.latLngToContainerPoint([{site['display_lat']}, {site['display_lon']}]), s = m.getSize();
      const c = m.getContainer().getBoundingClientRect(), pop = document.querySelector('.leaflet-popup').getBoundingClientRect();
      return {{dx: p.x - s.x / 2, y: p.y, h: s.y, zoom: m.getZoom(), popTop: pop.top - c.top,
               selected: WufeiMap.current._selected ?
                 String(WufeiMap.current._selected.layer.siteId(WufeiMap.current._selected.i)) : null}};
    }})()""")
    assert abs(off["dx"]) <= 3, off
    assert off["h"] / 2 - 3 <= off["y"] < off["h"] - 20 and off["popTop"] >= 0, off
    assert off["zoom"] >= 14, off  # close enough to see the site among its neighbours
    assert off["selected"] == "E.12-2", off  # marked (a ring around it)
    assert any(ln.startswith("已选中") and "E.12-2" in ln for ln in page.inner_text("body").splitlines())


def _backmsgs(page: Any) -> list[tuple[str, str, bool]]:
    """Every message the page sends to the server from now on: (type, fragment id, is a full rerun)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    sent: list[tuple[str, str, bool]] = []

    def on_frame(payload: Any) -> None:
        if isinstance(payload, str):
            return
        msg = BackMsg.FromString(payload)
        kind = msg.WhichOneof("type") or ""
        fragment = msg.rerun_script.fragment_id if kind == "rerun_script" else ""
        sent.append((kind, fragment, kind == "rerun_script" and not fragment))

    page.on("websocket", lambda ws: ws.on("framesent", on_frame))
    return sent


def test_dragging_the_map_reruns_nothing_and_the_view_reaches_the_address(app: Any, page: Any) -> None:
    sent = _backmsgs(page)
    page.goto(f"{app.url}/map")
    frame = map_frame(page)
    wait_until(page, lambda: _applied(frame) and any(full for *_, full in sent), what="the first run")
    # the page has settled: its live-check fragment runs on its own (a rerun of the fragment only)
    wait_until(page, lambda: any(frag for _, frag, _ in sent), timeout_s=30, what="the live check's first run")
    before = len(sent)
    centre = frame.evaluate("[window.map.getCenter().lat, window.map.getCenter().lng]")
    box = frame.frame_element().bounding_box()
    x, y = box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.75
    page.mouse.move(x, y)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(x - 20 * k, y - 12 * k)
    page.mouse.up()
    # the map moved, and its view (once it came to rest) reached the address, without a rerun
    here = "[window.map.getCenter().lat.toFixed(5), window.map.getCenter().lng.toFixed(5)]"
    wait_until(page, lambda: (c := frame.evaluate(here)) != [f"{v:.5f}" for v in centre]
               and f"view={c[0]},{c[1]}," in page.url.replace("%2C", ","), what="the dragged view in the address")
    # wait until the live check has run again since the drag: the component's report of a move
    # (debounced by 250 ms) would have been sent before it
    wait_until(page, lambda: any(frag for _, frag, _ in sent[before:]), timeout_s=30, what="the live check after the drag")
    assert [m for m in sent[before:] if m[2]] == [], sent[before:]


def test_a_filter_reaches_the_open_map_as_a_message(app: Any, page: Any, catalog: Any) -> None:
    page.goto(f"{app.url}/map")
    frame = map_frame(page)
    wait_until(page, lambda: _applied(frame), what="the first message applied")
    token, applied = frame.evaluate("window.__wfToken"), _applied(frame)
    sites = catalog.sites
    wet = sites[sites["category"] == "wet_waste"]
    wet_mapped = int(wet["display_lon"].notna().sum())
    box = page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']").filter(has_text="类别")
    box.locator("input").click()
    box.locator("input").fill("湿垃圾处理")
    page.get_by_role("option", name="湿垃圾处理", exact=True).click(timeout=20_000)
    page.keyboard.press("Escape")
    wait_until(page, lambda: marker_count(page) == wet_mapped and shown_counts(page)[0] == len(wet),
               what="the filtered map and counts")
    # the same map (no new drawing of it): the message was applied to it
    assert map_frame(page) == frame
    assert frame.evaluate("window.__wfToken") == token
    wait_until(page, lambda: _applied(frame) > applied, what="the page's message after the rerun")
    # the map showed the filter's sites from the chip the user picked, before the rerun's message came
    assert frame.evaluate("window.__wfPreviews") >= 1
    assert frame.evaluate("window.__wfPreviewBefore") == applied
    drawn = {m["site_id"] for m in site_markers(frame)}
    assert drawn == set(wet.loc[wet["display_lon"].notna(), "site_id"].astype(str))
    # the legend lists what is on the map: one category, with its count
    legend = frame.evaluate("document.querySelector('.wf-legend').innerText")
    assert f"湿垃圾处理 {wet_mapped}" in legend and "光伏" not in legend, legend


# What the map's canvas layers had drawn, and how many category chips the sidebar showed, at the
# moment the click reached the page (a listener registered after the app's runtime: it runs in the
# same dispatch, after the runtime's, before Streamlit's own handlers draw the chip).
_AT_CLICK_JS = """() => document.addEventListener('click', (e) => {
  if (!e.target.closest('[role="option"], [data-tag] button')) return;
  const w = [...document.querySelectorAll('iframe')].map(f => f.contentWindow)
    .find(x => { try { return x.WufeiMap && x.WufeiMap.current; } catch (err) { return false; } });
  let drawn = 0;
  w.map.eachLayer(l => { if (typeof l.represented === 'number' && l.drawn) drawn += l.represented; });
  window.__atClick = {drawn: drawn, chips: document.querySelectorAll('.st-key-flt_category [data-tag]').length};
}, true)"""


def test_a_click_on_a_filter_option_redraws_the_map_before_the_chip_is_drawn(app: Any, page: Any,
                                                                            catalog: Any) -> None:
    page.goto(f"{app.url}/map")
    frame = map_frame(page)
    wait_until(page, lambda: _applied(frame), what="the first message applied")
    sites = catalog.sites
    located = sites["display_lon"].notna()
    wet_mapped = int((located & (sites["category"] == "wet_waste")).sum())
    assert 0 < wet_mapped < int(located.sum())
    page.evaluate(_AT_CLICK_JS)
    box = page.locator(".st-key-flt_category")
    box.locator("input").click()
    page.get_by_role("option", name="湿垃圾处理", exact=True).click(timeout=20_000)
    # when the click reached the page the map already showed exactly the option's sites, no chip yet
    assert page.evaluate("window.__atClick") == {"drawn": wet_mapped, "chips": 0}
    page.keyboard.press("Escape")
    wait_until(page, lambda: shown_counts(page)[0] == int((sites["category"] == "wet_waste").sum()),
               what="the rerun's counts")
    # the chip's remove button: every located site again, drawn before the chip goes
    page.evaluate("window.__atClick = null")
    box.get_by_role("button", name="Remove 湿垃圾处理").click()
    assert page.evaluate("window.__atClick") == {"drawn": int(located.sum()), "chips": 1}
    wait_until(page, lambda: shown_counts(page)[0] == len(sites), what="every site counted again")
    # the chips decide in the end: after the rerun the map shows what they say
    wait_until(page, lambda: marker_count(page) == int(located.sum()), what="every located site drawn")
