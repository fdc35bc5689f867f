"""Figure 9: the running app side by side with minimal Streamlit peers (issue 18).

Four apps read the same database (the plan's sites, seeded once before the first start) and
show the same located sites with the same sidebar filter (category, a multiselect labelled as in
the real app):

- ``wufei-geo``: the real ``app.py`` at its root (the map, its default page);
- ``st_folium + GeoJson``: ``bench/app_peers/folium_geojson.py`` (circle markers coloured by
  status with popups, the same map library as ours);
- ``st_folium feature_group_to_add``: ``bench/app_peers/folium_fg.py`` (the same points in a
  FeatureGroup swapped into the open map, ``returned_objects=[]``: st_folium's fastest idiom);
- ``st.pydeck_chart``: ``bench/app_peers/pydeck_chart.py`` (ScatterplotLayer, no basemap);
- ``st.map``: ``bench/app_peers/st_map.py`` (Streamlit's own map element).

Each is started with ``streamlit run`` and driven in headless Chromium (Playwright, no basemap
tiles; only requests that leave the machine are routed — answered from npm copies or empty, see
:class:`bench.fig_browser.Assets` — the apps' own files come from their servers with the browser's
cache on).  Every app is measured round by round (each does a thing once before any app does it
again, so load on the shared machine falls on all alike); medians and spreads:

- *cold start*: process start → every located point on screen (+2 frames);
- *warm load*: a new tab on the running server (caches warm) → every located point on screen
  (+2 frames), from the navigation start (``performance.now()``);
- *filter change*: the click on a category option (``mousedown``) → exactly the points of the
  new filter on screen (+2 frames); *first time* = a filter value never shown before in this
  session, *repeated* = one shown before; *page settled* = the later of that and the end of
  the rerun the click started;
- *full reruns after a drag*: full-page rerun requests sent after a drag of the map;
- *save-to-recolour* (wufei-geo only): a status saved through the store in another session →
  that marker's new colour on the open map (no reload).  The peers have no live update: a saved
  edit reaches them only at the user's next rerun, so "n/a".

"On screen": Leaflet — st_folium: the map in the component iframe holds exactly N point layers
carrying a GeoJSON feature (a cluster counts as its points); ours: its canvas site layers have
drawn N sites (``represented``, a group counts as its sites); deck.gl (st.pydeck_chart,
st.map) — an instanced WebGL draw call of exactly N instances has been issued (counted by
wrapping ``drawArraysInstanced``/``drawElementsInstanced`` before the page loads).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.core import Figure, Goal, fmt_ratio, fmt_s

REPO_ROOT = Path(__file__).resolve().parent.parent
OURS = "wufei-geo"
APPS: dict[str, tuple[str, str]] = {
    OURS: ("app.py", "/"),  # the map is the app's default page, at its root
    "st_folium + GeoJson": ("bench/app_peers/folium_geojson.py", "/"),
    "st_folium feature_group_to_add": ("bench/app_peers/folium_fg.py", "/"),
    "st.pydeck_chart": ("bench/app_peers/pydeck_chart.py", "/"),
    "st.map": ("bench/app_peers/st_map.py", "/"),
}
# (category, first time?) in order, from the unfiltered page and back to it (a second cycle starts
# where the first began); consecutive states differ in count
_STEPS = [("wet_waste", True), (None, False), ("compression_station", True), (None, False),
          ("pv", True), (None, False), ("wet_waste", False), (None, False), ("compression_station", False),
          (None, False)]

_INIT_JS = """(() => {
  window.__wfDraws = [];
  const wrap = (proto, name, idx) => {
    if (!proto || !proto[name]) return;
    const orig = proto[name];
    proto[name] = function () { window.__wfDraws.push([performance.now(), arguments[idx]]);
      if (window.__wfDraws.length > 2000) window.__wfDraws.splice(0, 1000); return orig.apply(this, arguments); };
  };
  if (typeof WebGL2RenderingContext !== 'undefined') {
    wrap(WebGL2RenderingContext.prototype, 'drawArraysInstanced', 3);
    wrap(WebGL2RenderingContext.prototype, 'drawElementsInstanced', 4);
  }
  if (window === window.top && window.WebSocket) {
    // the app's websocket: when a rerun request leaves and when each message arrives (with its size)
    window.__wfNet = [];
    const net = (kind, n) => { window.__wfNet.push([performance.now(), kind, n]);
      if (window.__wfNet.length > 4000) window.__wfNet.splice(0, 2000); };
    const WS = window.WebSocket, send = WS.prototype.send;
    WS.prototype.send = function () { net('send', 0); return send.apply(this, arguments); };
    const Wrapped = function (...a) {
      const w = new WS(...a);
      w.addEventListener('message', (e) => net('recv', e.data.byteLength ?? e.data.size ?? e.data.length ?? 0));
      return w;
    };
    Wrapped.prototype = WS.prototype; Object.setPrototypeOf(Wrapped, WS);
    window.WebSocket = Wrapped;
    // when each script run starts and ends (Streamlit's own data-test-script-state on the app)
    window.__wfRun = [];
    new MutationObserver((records) => records.forEach(r => {
      const v = r.target.getAttribute && r.target.getAttribute('data-test-script-state');
      if (v) window.__wfRun.push([performance.now(), v]);
    })).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-test-script-state']});
  } else if (window !== window.top) {
    // wufei-geo's map: when the open map has redrawn another map (its ``__wfShow``), on the top page's clock
    let show;
    Object.defineProperty(window, '__wfShow', {configurable: true, get() { return show; }, set(v) {
      show = function (token) {
        const fresh = window.__wfToken !== token, r = v.apply(this, arguments);
        if (fresh) try { window.top.__wfShown = performance.timeOrigin + performance.now() - window.top.performance.timeOrigin; } catch (e) {}
        return r;
      };
    }});
  }
})();"""
# Where one filter change's time went (on the page's clock, ms): the click, the first websocket
# send after it (the rerun request), the largest message received after that (the map's data), the
# moment wufei-geo's open map had redrawn (null for the peers).
_PHASES_JS = """([click, done]) => {
  const net = (window.__wfNet || []).filter(e => e[0] >= click && e[0] <= done);
  const send = net.find(e => e[1] === 'send');
  let big = null;
  for (const e of net) if (e[1] === 'recv' && send && e[0] >= send[0] && (!big || e[2] > big[2])) big = e;
  const shown = (typeof window.__wfShown === 'number' && window.__wfShown >= click && window.__wfShown <= done) ? window.__wfShown : null;
  return {send: send ? send[0] : null, data: big ? big[0] : null, bytes: big ? big[2] : null, shown: shown};
}"""

# How many points are on screen now: Leaflet in a same-origin component iframe (``leaflet()``), or
# deck.gl draws of exactly ``target`` instances since ``since`` (``deck()``).
_COUNTERS_JS = """
  const leaflet = () => {
    for (const f of document.querySelectorAll('iframe')) {
      let w = null; try { w = f.contentWindow; } catch (e) { continue; }
      if (!w || !w.L || !w.map || !(w.map instanceof w.L.Map)) continue;
      let n = 0;
      w.map.eachLayer(l => {
        if (w.L.MarkerCluster && l instanceof w.L.MarkerCluster) n += l.getChildCount();
        else if (l.feature && (l instanceof w.L.CircleMarker || l instanceof w.L.Marker)) n += 1;
        else if (typeof l.represented === 'number' && l.drawn) n += l.represented;  // wufei-geo's canvas layers
      });
      return n;
    }
    return null;
  };
  const deck = () => {
    const d = window.__wfDraws || [];
    for (let i = d.length - 1; i >= 0 && d[i][0] > since; i--) if (d[i][1] === target) return target;
    return null;
  };
  const onScreen = () => { let n = null; try { n = leaflet(); } catch (e) {} return n === target || deck() === target; };
"""
# true once exactly ``target`` points are on screen and then two frames painted
_COUNT_JS = """([target, since, timeoutMs]) => new Promise((resolve) => {""" + _COUNTERS_JS + """
  const start = performance.now();
  const tick = () => {
    if (onScreen()) { requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now()))); return; }
    if (performance.now() - start > timeoutMs) { resolve(null); return; }
    setTimeout(tick, 10);
  };
  tick();
})"""
_ARM_JS = """() => { window.__wfClick = null;
  document.addEventListener('mousedown', () => { if (window.__wfClick === null) window.__wfClick = performance.now(); },
                            {capture: true, once: true}); }"""
# Armed before the click, in the page: from the mousedown on, the first moment exactly ``target``
# points are on screen, then two painted frames (window.__wfPoints).  Watching from the page
# itself leaves out the driver's round trip after its click (~80 ms here), which no user waits for.
_WATCH_JS = """([target, since, timeoutMs]) => { window.__wfPoints = null;""" + _COUNTERS_JS + """
  const start = performance.now(), token = (window.__wfWatch = (window.__wfWatch || 0) + 1);
  const tick = () => {
    if (window.__wfWatch !== token) return;
    if (window.__wfClick !== null && onScreen()) {
      requestAnimationFrame(() => requestAnimationFrame(() => { window.__wfPoints = performance.now(); }));
      return;
    }
    if (performance.now() - start < timeoutMs) setTimeout(tick, 10);
  };
  tick();
}"""
_COLOUR_JS = """([siteId, hex, rgb]) => {
  for (const f of document.querySelectorAll('iframe')) {
    let w = null; try { w = f.contentWindow; } catch (e) { continue; }
    if (!w || !w.L || !w.map) continue;
    let c = null;
    w.map.eachLayer(l => {
      const p = l.feature && l.feature.properties;
      if (!p || String(p.site_id) !== siteId) return;
      if (l._icon) { const d = l._icon.querySelector('.wf-m'); if (d) c = w.getComputedStyle(d).backgroundColor; }
      else if (l.options && l.options.fillColor) c = l.options.fillColor;
    });
    // wufei-geo draws its sites on a canvas: the colour its last drawing filled the site with
    w.map.eachLayer(l => {
      if (!l.drawn || !l.siteId) return;
      l.drawn.forEach(t => { if (t.kind === 'site' && String(l.siteId(t.i)) === siteId) c = t.colour; });
    });
    if (c !== null) return String(c).toLowerCase() === hex || String(c) === rgb;
  }
  return false;
}"""


def available() -> str | None:
    from bench import fig_browser

    why = fig_browser.available()
    if why:
        return why
    for mod in ("pydeck", "streamlit_folium"):
        try:
            __import__(mod)
        except ImportError as exc:
            return f"{mod} not importable: {exc}"
    return None


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server:
    def __init__(self, script: str, db_url: str, log_dir: Path) -> None:
        self.port = _free_port()
        self.log = log_dir / f"{Path(script).stem}-{self.port}.log"
        env = {**os.environ, "WUFEI_DB_URL": db_url, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
        cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true", "--server.port", str(self.port),
               "--server.address", "127.0.0.1", "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
               "--global.minCachedMessageSize", "1e15"]
        with open(self.log, "wb") as fh:
            self.proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_healthy(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("streamlit exited: " + self.log.read_text(errors="replace")[-1500:])
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise TimeoutError("streamlit not healthy")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def _context(browser: Any, assets: Any) -> Any:
    from bench.fig_browser import _TYPES

    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    ctx.set_default_timeout(90_000)  # a loaded 2-core machine: clicks wait for the page
    ctx.add_init_script(_INIT_JS)

    def route(r: Any) -> None:
        url = r.request.url
        local = assets.lookup(url)
        if local is None:
            assets.stubbed.add(url.split("?", 1)[0])
            r.fulfill(status=200, body=b"", content_type=_TYPES.get(Path(url.split("?")[0]).suffix, "text/plain"))
        else:
            r.fulfill(status=200, body=local.read_bytes(), content_type=_TYPES.get(local.suffix, "application/octet-stream"))

    # only requests that leave the machine go through the driver: the app's own static files come
    # from the local server as a user's browser gets them (routing every request turned the
    # browser's cache off and made the app with more chunks pay for each)
    ctx.route(_external, route)
    return ctx


def _external(url: str) -> bool:
    host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return url.startswith("http") and host not in ("127.0.0.1", "localhost")


def _wait_points(page: Any, target: int, since: float = 0.0, timeout_s: float = 60) -> float | None:
    done = page.evaluate(_COUNT_JS, [target, since, timeout_s * 1000])
    return None if done is None else float(done)


def _arm(page: Any, target: int) -> None:
    """Start the clock at the next mousedown and watch, in the page, for ``target`` points."""
    page.evaluate(_ARM_JS)
    page.evaluate(_WATCH_JS, [target, page.evaluate("() => performance.now()"), 20_000])


def _watched_points(page: Any, timeout_s: float = 20) -> float | None:
    """When the page's watcher (:func:`_arm`) saw the points on screen (page clock), or None."""
    try:
        page.wait_for_function("() => window.__wfPoints !== null", timeout=timeout_s * 1000, polling=50)
    except Exception:  # noqa: BLE001 - not within the time: a lost click, or no points
        return None
    return float(page.evaluate("() => window.__wfPoints"))


def _set_filter(page: Any, category: str | None, label: str, target: int) -> None:
    """Choose ``label`` in the empty category box, or (``category`` None) remove the chosen ``label``.

    The clock starts at the mousedown on the option (or the chip's remove button): the page is
    armed only then, so a click on the box that a rerun swallowed (the list never opens; it is
    opened again) is not counted; the page watches for ``target`` points from then on."""
    box = page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']").first
    if category is None:  # back to every category: the chip's remove button
        button = box.get_by_role("button", name=f"Remove {label}")
        button.wait_for()
        _arm(page, target)
        button.click()
        return
    option = page.get_by_role("option", name=label, exact=True)
    for _attempt in range(5):
        box.click()
        try:
            option.wait_for(timeout=10_000)
            break
        except Exception:  # noqa: BLE001 - the list did not open (a rerun took the click): again
            page.keyboard.press("Escape")
    _arm(page, target)
    option.click()


_SETTLED_JS = """([click, done, timeoutMs]) => new Promise((resolve) => {
  // the page has settled once the rerun the click started has finished (Streamlit's script state
  // back to notRunning) and the points are on screen: the later of the two.  The rerun is the
  // burst of messages its request started (less than 300 ms apart; the page's live check every
  // 4 s is a later burst); it ended when the page drew "notRunning" within that burst, or — a
  // rerun that ends before the page has drawn its start never shows "running", both states reach
  // React in one render — with the burst's last message.
  const start = performance.now();
  const tick = () => {
    const net = (window.__wfNet || []).filter(e => e[0] >= click);
    const send = net.find(e => e[1] === 'send');
    if (send && performance.now() - send[0] > 1000) {
      let last = send[0];
      for (const e of net) if (e[1] === 'recv' && e[0] >= send[0] && e[0] - last < 300) last = e[0];
      const runs = (window.__wfRun || []).filter(e => e[0] >= send[0] && e[0] <= last + 300);
      const end = runs.filter(e => e[1] === 'notRunning').pop();
      resolve(Math.max(end ? Math.max(end[0], last) : last, done));
      return;
    }
    if (performance.now() - start > timeoutMs) { resolve(null); return; }
    setTimeout(tick, 20);
  };
  tick();
})"""


def _filter_run(page: Any, category: str | None, label: str, target: int) -> tuple[float, float | None, dict[str, Any]] | None:
    """(seconds from the click until the new filter's points are on screen, until the whole page
    settled, where the time went) or None."""
    lost = 0
    for _attempt in range(3):
        _set_filter(page, category, label, target)
        done = _watched_points(page)
        if done is not None or category is None:
            break
        # an option click the list did not take (a click on a list still fading in can land on
        # nothing: no chip, no rerun): clicked again with the clock restarted, and counted
        page.keyboard.press("Escape")
        if page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']").first.get_by_role(
                "button", name=f"Remove {label}").count():
            return None
        lost += 1
    click = page.evaluate("() => window.__wfClick")
    if done is None or click is None:
        page.keyboard.press("Escape")
        return None
    settled = page.evaluate(_SETTLED_JS, [click, done, 30_000])
    page.keyboard.press("Escape")  # close the option list (after the measurement)
    marks = page.evaluate(_PHASES_JS, [click, done])
    return (done - click) / 1000, None if settled is None else (settled - click) / 1000, {"click": click, "done": done, "lost": lost, **marks}


def _full_reruns(page: Any) -> list[int]:
    """A list that grows by one for every full-page rerun request the page sends from now on (a
    fragment's run or another message does not count)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    sent: list[int] = []

    def on_frame(payload: Any) -> None:
        if isinstance(payload, str):
            return
        try:
            msg = BackMsg.FromString(payload)
        except Exception:  # noqa: BLE001 - not a BackMsg
            return
        if msg.WhichOneof("type") == "rerun_script" and not msg.rerun_script.fragment_id:
            sent.append(1)

    page.on("websocket", lambda ws: ws.on("framesent", on_frame))
    return sent


def _drag_reruns(page: Any, reruns: list[int]) -> int | None:
    """Full reruns the page requested after a 200×120 px drag of its map (None: no map frame)."""
    frame = next((f for f in page.frames if f != page.main_frame and _has_leaflet(f)), None)
    if frame is None:
        return None
    box = frame.frame_element().bounding_box()
    before = len(reruns)
    x, y = box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.6
    page.mouse.move(x, y)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(x - 20 * k, y - 12 * k)
    page.mouse.up()
    # a component reports a move 250 ms after it (streamlit-folium's debounce), the rerun request
    # leaves at once: wait until the page's clock is 3 s past the drag
    page.evaluate("() => new Promise(r => setTimeout(r, 3000))")
    return len(reruns) - before


def _has_leaflet(frame: Any) -> bool:
    try:
        return bool(frame.evaluate("() => !!(window.L && window.map)"))
    except Exception:  # noqa: BLE001 - a frame being replaced
        return False


def _save_to_recolour(page: Any, db_url: str, actor: Any, category: str | None, timeout_s: float = 60) -> float | None:
    from wufei_geo.catalog import load_catalog
    from wufei_geo.errors import ImplausibleEdit
    from wufei_geo.mapview.style import STATUS_COLOURS
    from wufei_geo.store import Store

    store = Store.open(db_url, seed=False)
    try:
        frame = load_catalog(store).sites
        located = frame[frame["display_lon"].notna()]  # drawn on the map (a town's sites at its seat too)
        if category is not None:  # a site the open map shows under its filter
            located = located[located["category"] == category]
        row = located.iloc[0]
        target = "commissioning" if row["status"] != "commissioning" else "operating"
        hex_ = STATUS_COLOURS[target].lower()
        rgb = "rgb({}, {}, {})".format(*(int(hex_[i:i + 2], 16) for i in (1, 3, 5)))
        site_id = str(row["site_id"])
        if page.evaluate(_COLOUR_JS, [site_id, hex_, rgb]):
            return None
        try:
            store.update_site(actor, site_id, {"status": target}, expected_version=int(row["version"]))
        except ImplausibleEdit:
            store.update_site(actor, site_id, {"status": target}, expected_version=int(row["version"]),
                              note="bench: save-to-recolour", insist=True)
    finally:
        store.close()
    t0 = time.perf_counter()
    try:
        page.wait_for_function(_COLOUR_JS, arg=[site_id, hex_, rgb], timeout=timeout_s * 1000, polling=50)
    except Exception:  # noqa: BLE001 - never recoloured within the time: reported as such
        return None
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return time.perf_counter() - t0


def _median(values: list[float]) -> float | None:
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def _summary(out: dict[str, Any]) -> None:
    """Medians (``<metric>_s``) and spreads (``<metric>_range``: min, max) of an app's samples."""
    for key, runs in (("cold_s", "cold"), ("warm_s", "warm"), ("filter_s", "filter"), ("first_s", "first"),
                      ("repeated_s", "repeated"), ("settled_s", "settled")):
        samples = [v for v in out["runs"][runs] if v is not None]
        out[key] = _median(samples)
        out[key.replace("_s", "_range")] = (min(samples), max(samples)) if samples else None
        out[key.replace("_s", "_n")] = len(samples)


def measure(*, colds: int, loads: int, cycles: int, only: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Every app measured round by round: in each round every app does the same thing once before
    any does it again (load on the shared machine falls on all alike); medians and spreads."""
    why = available()
    if why:
        return {"error": why, "apps": []}
    from playwright.sync_api import sync_playwright

    from bench.fig_browser import CHROMIUM, CHROMIUM_ARGS
    from bench.fig_peers import DeckAssets
    from wufei_geo import auth, i18n
    from wufei_geo.catalog import load_catalog
    from wufei_geo.store import Store

    tmp = Path(tempfile.mkdtemp(prefix="wufei-running-"))
    db_url = f"sqlite:///{tmp / 'app.sqlite'}"
    store = Store.open(db_url)  # seeds the plan's sites once, before any app starts
    try:
        sites = load_catalog(store).sites
        auth.create_user(store, "benchplanner", "planner", None, "bench password 18")
        actor = auth.authenticate(store, "benchplanner", "bench password 18")
    finally:
        store.close()
    located = sites[sites["display_lon"].notna() & sites["display_lat"].notna()]
    targets: dict[str | None, int] = {None: len(located)}
    for cat, _ in _STEPS:
        if cat:
            targets[cat] = int((located["category"] == cat).sum())
    labels = {c: i18n.category_label(c, "zh") for c in targets if c}
    names = [n for n in APPS if not only or n in only]
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    raw: dict[str, Any] = {"error": None, "apps": [], "sites": len(sites), "located": len(located),
                           "targets": {str(k): v for k, v in targets.items()}, "started": started,
                           "repeats": {"cold": colds, "warm": loads, "cycles": cycles}}
    outs = {n: {"app": n, "error": None, "phases": [], "recolour_s": None, "drag_reruns": None,
                "runs": {"cold": [], "warm": [], "first": [], "repeated": [], "filter": [], "settled": []}} for n in names}
    assets = DeckAssets()
    servers: dict[str, _Server] = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            ctxs = {n: _context(browser, assets) for n in names}
            try:
                # cold starts, round by round (the last start of each app stays up)
                for _round in range(colds):
                    for n in names:
                        script, path = APPS[n]
                        if n in servers:
                            servers.pop(n).stop()
                        if outs[n]["error"]:
                            continue
                        try:
                            t0 = time.perf_counter()
                            servers[n] = _Server(script, db_url, tmp)
                            servers[n].wait_healthy()
                            page = ctxs[n].new_page()
                            page.goto(servers[n].url + path, wait_until="commit")
                            if _wait_points(page, targets[None], timeout_s=180) is None:
                                raise TimeoutError("cold start: the points never showed within 180 s")
                            outs[n]["runs"]["cold"].append(time.perf_counter() - t0)
                            page.close()
                        except Exception as exc:  # noqa: BLE001 - an app that fails is a result
                            outs[n]["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
                # warm loads, round by round
                for _ in range(loads):
                    for n in names:
                        if outs[n]["error"]:
                            continue
                        page = ctxs[n].new_page()
                        page.goto(servers[n].url + APPS[n][1], wait_until="commit")
                        done = _wait_points(page, targets[None])
                        if done is not None:
                            outs[n]["runs"]["warm"].append(done / 1000)
                        page.close()
                # one open page per app; every filter step done by every app before the next step
                pages: dict[str, Any] = {}
                reruns: dict[str, list[int]] = {}
                for n in names:
                    if outs[n]["error"]:
                        continue
                    pages[n] = ctxs[n].new_page()
                    reruns[n] = _full_reruns(pages[n])
                    pages[n].goto(servers[n].url + APPS[n][1], wait_until="commit")
                    if _wait_points(pages[n], targets[None], timeout_s=180) is None:
                        outs[n]["error"] = "the points never showed within 180 s"
                for n in pages:
                    pages[n].wait_for_timeout(1500)  # let the page settle (no rerun in flight)
                chosen = dict.fromkeys(pages, "")
                for cycle in range(cycles):
                    for cat, first in _STEPS:
                        for n, page in pages.items():
                            if outs[n]["error"]:
                                continue
                            try:
                                r = _filter_run(page, cat, labels[cat] if cat else chosen[n], targets[cat])
                            except Exception as exc:  # noqa: BLE001
                                outs[n]["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
                                continue
                            chosen[n] = labels[cat] if cat else ""
                            if r is not None:
                                kind = "first" if first and cycle == 0 else "repeated"
                                outs[n]["runs"][kind].append(r[0])
                                outs[n]["runs"]["filter"].append(r[0])
                                outs[n]["runs"]["settled"].append(r[1])
                                outs[n]["phases"].append(r[2])
                            page.wait_for_timeout(600)
                for n, page in pages.items():
                    if not outs[n]["error"]:
                        outs[n]["drag_reruns"] = _drag_reruns(page, reruns[n])
                if OURS in pages and not outs[OURS]["error"]:
                    outs[OURS]["recolour_s"] = _save_to_recolour(pages[OURS], db_url, actor, _STEPS[-1][0] if cycles else None)
            finally:
                for ctx in ctxs.values():
                    ctx.close()
                browser.close()
    finally:
        for server in servers.values():
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    for n in names:
        _summary(outs[n])
        o = outs[n]
        print(f"   {n}: " + ", ".join(f"{k}={fmt_s(o[k])}" for k in ("cold_s", "warm_s", "filter_s", "settled_s", "recolour_s"))
              + f" drag_reruns={o['drag_reruns']}" + (f" error={o['error']}" if o["error"] else ""), flush=True)
        raw["apps"].append(o)
    raw["finished"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    raw["stubbed"] = sorted(assets.stubbed)
    raw["failed_packages"] = assets.failed_packages
    return raw


_METRICS = (("cold_s", "cold start"), ("warm_s", "warm load"), ("filter_s", "filter click → exactly its points"),
            ("first_s", "… first time"), ("repeated_s", "… repeated"), ("settled_s", "filter click → page settled"))
FILTER_GOAL, WARM_GOAL, SETTLED_GOAL = 1.1, 1.3, 1.5
ST_FOLIUM_PEERS = ("st_folium + GeoJson", "st_folium feature_group_to_add")
LIVE_LIMIT_S = 10.0


def _cell(a: dict[str, Any], key: str) -> str:
    med, rng, n = a.get(key), a.get(key.replace("_s", "_range")), a.get(key.replace("_s", "_n"))
    if med is None:
        return "—"
    if not rng or n == 1:
        return fmt_s(med)
    return f"{fmt_s(med)} ({fmt_s(rng[0])}–{fmt_s(rng[1])}, n={n})"


def _ratio_goal(fig: Figure, ours: dict[str, Any], peers: list[dict[str, Any]], key: str, limit: float, text: str) -> None:
    have = [(p[key], p["app"]) for p in peers if p.get(key) is not None]
    if not have or ours.get(key) is None:
        fig.goals.append(Goal(text, "—", None))
        return
    best, who = min(have)
    r = ours[key] / best
    fig.goals.append(Goal(text, f"{r:.2f}× ({fmt_s(ours[key])} vs {fmt_s(best)}, {who})", r <= limit))


def figure(raw: dict[str, Any]) -> Figure:
    fig = Figure(
        key="9 running app",
        title="9. The running app side by side with minimal Streamlit peers (medians; ratio = wufei-geo ÷ best peer)",
        columns=["app", *[label for _, label in _METRICS], "full reruns after a drag", "save-to-recolour", "problem"],
        raw=raw,
    )
    if raw.get("error"):
        fig.notes.append(f"not measured: {raw['error']}")
        return fig
    apps = raw["apps"]
    ours = next((a for a in apps if a["app"] == OURS), None)
    for a in apps:
        recolour = fmt_s(a.get("recolour_s")) if a["app"] == OURS else "n/a (no live update)"
        drag = "—" if a.get("drag_reruns") is None else str(a["drag_reruns"])
        fig.rows.append([a["app"], *[_cell(a, key) for key, _ in _METRICS], drag, recolour, a.get("error") or ""])
    if ours is not None:
        peers = [a for a in apps if a["app"] != OURS]
        ratio_cells = []
        for key, _ in _METRICS:
            have = [(a[key], a["app"]) for a in peers if a.get(key) is not None]
            if not have or ours.get(key) is None:
                ratio_cells.append("—")
                continue
            best, who = min(have)
            ratio_cells.append(f"{fmt_ratio(ours[key] / best)} of {who}")
        fig.rows.append(["ratio: wufei-geo ÷ best peer (medians)", *ratio_cells, "", "", ""])
        _ratio_goal(fig, ours, peers, "filter_s", FILTER_GOAL,
                    f"filter click → the map shows exactly the filtered sites: within {FILTER_GOAL}× of the fastest peer")
        _ratio_goal(fig, ours, peers, "warm_s", WARM_GOAL, f"warm load: within {WARM_GOAL}× of the fastest peer")
        drag = ours.get("drag_reruns")
        fig.goals.append(Goal("a drag of the map sends no rerun request", "—" if drag is None else f"{drag} full rerun(s)",
                              None if drag is None else drag == 0))
        _ratio_goal(fig, ours, [a for a in peers if a["app"] in ST_FOLIUM_PEERS], "settled_s", SETTLED_GOAL,
                    f"filter click → whole page settled: within {SETTLED_GOAL}× of the st_folium peer (same library)")
        rec = ours.get("recolour_s")
        fig.goals.append(Goal(f"an edit saved in another session shows on the open map within {LIVE_LIMIT_S:.0f} s, no reload",
                              fmt_s(rec) if rec is not None else "never", None if rec is None and ours.get("error") else (rec is not None and rec <= LIVE_LIMIT_S)))
    rep = raw["repeats"]
    fig.notes.append(
        f"run {raw.get('started', '?')} – {raw.get('finished', '?')}; same database for every app: {raw['sites']} sites of the plan, "
        f"{raw['located']} with a map position (filter targets: {raw['targets']}). Every app measured round by round "
        f"(each does a thing once before any does it again): {rep['cold']} cold start(s), {rep['warm']} warm loads, "
        f"{rep['cycles']} cycles of 10 filter changes; medians, with (min–max, n) of the samples. Headless Chromium "
        "1400×1000, --headless --no-sandbox --disable-gpu (WebGL by software), no basemap tiles, offline."
    )
    fig.notes.append(
        "on screen: Leaflet apps — the map in the component iframe holds exactly the filter's points (GeoJSON point "
        "layers; wufei-geo: the sites its canvas layers drew under the filter message); deck.gl apps — an instanced "
        "WebGL draw of exactly that many instances was issued; then two painted frames — watched in the page from the "
        "click on (checked every 10 ms), so the test driver's round trip after its click (~80 ms) is in no app's time. "
        "Filter click = the mousedown "
        "on the option (or on the chip's remove button). Page settled = the later of that moment and the end of the "
        "rerun the click started (Streamlit's script state back to notRunning drawn, or the last message of the "
        "rerun's burst when the rerun ended before its start was drawn). Warm load = from the navigation "
        "start of a new tab on the running server; cold start = from the process start (database already seeded). "
        "Only requests that leave the machine are routed through the driver (answered from npm copies or empty); "
        "the apps' own files come from their servers with the browser's cache on."
    )
    fig.notes.append(
        "full reruns after a drag: full-page rerun requests (Streamlit BackMsg rerun_script without a fragment id) the "
        "page sent in the 3 s after a 200×120 px drag of its map. save-to-recolour: a status saved through the store "
        "(another session) until the marker shows the new colour on the open map (the page checks every 4 s); the "
        "peers have no live update."
    )
    lost = {a["app"]: sum(int(p.get("lost", 0)) for p in a.get("phases", [])) for a in raw["apps"]}
    fig.notes.append(
        "option clicks the list did not take (a click on a list still opening landed on nothing: no chip, no "
        "rerun, no points), clicked again with the clock restarted: "
        + ", ".join(f"{app} {n}" for app, n in lost.items())
    )
    if raw.get("stubbed"):
        fig.notes.append("answered empty (no local copy; none draws the points): " + ", ".join(raw["stubbed"]))
    if raw.get("failed_packages"):
        fig.notes.append("npm packages that could not be fetched: " + ", ".join(f"{k} ({v})" for k, v in raw["failed_packages"].items()))
    return fig


def _phase_ms(marks: dict[str, Any]) -> dict[str, float | None]:
    def gap(a: str | None, b: str | None) -> float | None:
        return None if a is None or b is None or marks.get(a) is None or marks.get(b) is None else marks[b] - marks[a]

    drawn_from = "shown" if marks.get("shown") is not None else "data"
    return {"input": gap("click", "send"), "server": gap("send", "data"), "drawn": gap("data", "shown"),
            "paint": gap(drawn_from, "done"), "total": gap("click", "done"), "bytes": marks.get("bytes")}


def phases_figure(raw: dict[str, Any]) -> Figure:
    """Figure 9b: where a filter change's time goes, per app (medians over every filter change)."""
    fig = Figure(
        key="9b filter phases",
        title="9b. Where a filter change's time goes (median over every filter change of figure 9, ms)",
        columns=["app", "click → rerun request sent", "request → map data received", "map data → map redrawn",
                 "→ points on screen", "total", "map data (largest message)", "changes"],
        raw={"apps": [{"app": a["app"], "phases": a.get("phases", [])} for a in raw.get("apps", [])]},
    )
    if raw.get("error"):
        fig.notes.append(f"not measured: {raw['error']}")
        return fig
    for a in raw["apps"]:
        rows = [_phase_ms(m) for m in a.get("phases", [])]
        if not rows:
            continue
        med = {k: _median([r[k] for r in rows]) for k in ("input", "server", "drawn", "paint", "total", "bytes")}
        cell = lambda v: "—" if v is None else f"{v:,.0f}"  # noqa: E731
        fig.rows.append([a["app"], cell(med["input"]), cell(med["server"]),
                         cell(med["drawn"]) if med["drawn"] is not None else "n/a",
                         cell(med["paint"]), cell(med["total"]),
                         "—" if med["bytes"] is None else f"{med['bytes'] / 1000:,.1f} kB", str(len(rows))])
    fig.notes.append(
        "Measured in the page (performance.now()): the mousedown on the option; the first websocket send after it "
        "(Streamlit's rerun request); the largest websocket message after that (the element carrying the map's data — "
        "for the server: the script run up to that element, then the transfer); for wufei-geo, when the open map in "
        "its component frame had redrawn the new map (its __wfShow returned); then until the points are counted on "
        "screen plus two painted frames (the component's frame and the rest of the page are drawn by the same "
        "main thread, so this includes Streamlit rendering the page's other elements)."
    )
    return fig
