"""Figure 9: the running app side by side with minimal Streamlit peers (issue 18).

Four apps read the same database (the plan's sites, seeded once before the first start) and
show the same located sites with the same sidebar filter (category, a multiselect labelled as in
the real app):

- ``wufei-geo``: the real ``app.py``, page ``/map``;
- ``st_folium + GeoJson``: ``bench/app_peers/folium_geojson.py`` (circle markers coloured by
  status with popups, the same map library as ours);
- ``st.pydeck_chart``: ``bench/app_peers/pydeck_chart.py`` (ScatterplotLayer, no basemap);
- ``st.map``: ``bench/app_peers/st_map.py`` (Streamlit's own map element).

Each is started with ``streamlit run`` and driven in headless Chromium (Playwright, no basemap
tiles, every request that is not to the local app answered from npm copies or empty, see
:class:`bench.fig_browser.Assets`).  Measured, best of the repeats:

- *cold start*: process start → every located point on screen (+2 frames);
- *warm load*: a new tab on the running server (caches warm) → every located point on screen
  (+2 frames), from the navigation start (``performance.now()``);
- *filter change*: the click on a category option (``mousedown``) → exactly the points of the
  new filter on screen (+2 frames); *first time* = a filter value never shown before in this
  session, *repeated* = one shown before;
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
    OURS: ("app.py", "/map"),
    "st_folium + GeoJson": ("bench/app_peers/folium_geojson.py", "/"),
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

# How many points are on screen now (Leaflet in a same-origin component iframe, or deck.gl draws
# since ``since``); true once exactly ``target`` and then two frames painted.
_COUNT_JS = """([target, since, timeoutMs]) => new Promise((resolve) => {
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
  const start = performance.now();
  const tick = () => {
    let n = null; try { n = leaflet(); } catch (e) {}
    if (n !== target) n = deck();
    if (n === target) { requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now()))); return; }
    if (performance.now() - start > timeoutMs) { resolve(null); return; }
    setTimeout(tick, 10);
  };
  tick();
})"""
_ARM_JS = """() => { window.__wfClick = null;
  document.addEventListener('mousedown', () => { if (window.__wfClick === null) window.__wfClick = performance.now(); },
                            {capture: true, once: true}); }"""
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
        host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
        if host in ("127.0.0.1", "localhost") or not url.startswith("http"):
            r.continue_()
            return
        local = assets.lookup(url)
        if local is None:
            assets.stubbed.add(url.split("?", 1)[0])
            r.fulfill(status=200, body=b"", content_type=_TYPES.get(Path(url.split("?")[0]).suffix, "text/plain"))
        else:
            r.fulfill(status=200, body=local.read_bytes(), content_type=_TYPES.get(local.suffix, "application/octet-stream"))

    ctx.route("**/*", route)
    return ctx


def _wait_points(page: Any, target: int, since: float = 0.0, timeout_s: float = 60) -> float | None:
    done = page.evaluate(_COUNT_JS, [target, since, timeout_s * 1000])
    return None if done is None else float(done)


def _set_filter(page: Any, category: str | None, label: str) -> None:
    """Choose ``label`` in the empty category box, or (``category`` None) remove the chosen ``label``.

    The clock starts at the mousedown on the option (or the chip's remove button): the page is
    armed only then, so a click on the box that a rerun swallowed (the list never opens; it is
    opened again) is not counted."""
    box = page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']").first
    if category is None:  # back to every category: the chip's remove button
        button = box.get_by_role("button", name=f"Remove {label}")
        button.wait_for()
        page.evaluate(_ARM_JS)
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
    page.evaluate(_ARM_JS)
    option.click()


def _filter_run(page: Any, category: str | None, label: str, target: int) -> tuple[float, dict[str, Any]] | None:
    """(seconds from the click until the new filter's points are on screen, where they went) or None."""
    since = page.evaluate("() => performance.now()")
    _set_filter(page, category, label)
    done = _wait_points(page, target, since)
    page.keyboard.press("Escape")  # close the option list (after the measurement)
    click = page.evaluate("() => window.__wfClick")
    if done is None or click is None:
        return None
    marks = page.evaluate(_PHASES_JS, [click, done])
    return (done - click) / 1000, {"click": click, "done": done, **marks}


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


def _measure_app(name: str, script: str, path: str, db_url: str, browser: Any, assets: Any, tmp: Path, *,
                 colds: int, loads: int, cycles: int, targets: dict[str | None, int], labels: dict[str, str],
                 actor: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"app": name, "cold_s": None, "warm_s": None, "first_s": None, "repeated_s": None,
                           "recolour_s": None, "error": None, "phases": [], "runs": {"cold": [], "warm": [], "first": [], "repeated": []}}
    ctx = _context(browser, assets)
    server: _Server | None = None
    try:
        for i in range(colds):
            t0 = time.perf_counter()
            server = _Server(script, db_url, tmp)
            server.wait_healthy()
            page = ctx.new_page()
            page.goto(server.url + path, wait_until="commit")
            if _wait_points(page, targets[None], timeout_s=180) is None:
                raise TimeoutError("cold start: the points never showed within 180 s")
            out["runs"]["cold"].append(time.perf_counter() - t0)
            page.close()
            if i < colds - 1:
                server.stop()
        assert server is not None
        for _ in range(loads):
            page = ctx.new_page()
            page.goto(server.url + path, wait_until="commit")
            done = _wait_points(page, targets[None])
            if done is not None:
                out["runs"]["warm"].append(done / 1000)
            page.close()
        page = ctx.new_page()
        page.goto(server.url + path, wait_until="commit")
        if _wait_points(page, targets[None], timeout_s=180) is None:
            raise TimeoutError("the points never showed within 180 s")
        page.wait_for_timeout(1500)  # let the page settle (no rerun in flight)
        chosen = ""
        for _ in range(cycles):
            for cat, first in _STEPS:
                r = _filter_run(page, cat, labels[cat] if cat else chosen, targets[cat])
                chosen = labels[cat] if cat else ""
                if r is not None:
                    out["runs"]["first" if first else "repeated"].append(r[0])
                    out["phases"].append(r[1])
                page.wait_for_timeout(600)
        if name == OURS:
            out["recolour_s"] = _save_to_recolour(page, db_url, actor, _STEPS[-1][0] if cycles else None)
        page.close()
    except Exception as exc:  # noqa: BLE001 - an app that fails is a result
        out["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    finally:
        ctx.close()
        if server is not None:
            server.stop()
    # a second cycle repeats the "first time" values: only the first cycle's count as first
    firsts = out["runs"]["first"][: sum(1 for _, f in _STEPS if f)]
    out["runs"]["repeated"] += out["runs"]["first"][len(firsts):]
    out["runs"]["first"] = firsts
    for key, runs in (("cold_s", "cold"), ("warm_s", "warm"), ("first_s", "first"), ("repeated_s", "repeated")):
        if out["runs"][runs]:
            out[key] = min(out["runs"][runs])
    return out


def measure(*, colds: int, loads: int, cycles: int, only: tuple[str, ...] | None = None) -> dict[str, Any]:
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
    raw: dict[str, Any] = {"error": None, "apps": [], "sites": len(sites), "located": len(located), "targets": {str(k): v for k, v in targets.items()},
                           "repeats": {"cold": colds, "warm": loads, "cycles": cycles}}
    assets = DeckAssets()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for name, (script, path) in APPS.items():
                    if only and name not in only:
                        continue
                    r = _measure_app(name, script, path, db_url, browser, assets, tmp, colds=colds, loads=loads,
                                     cycles=cycles, targets=targets, labels=labels, actor=actor)
                    print(f"   {name}: " + ", ".join(f"{k}={fmt_s(r[k])}" for k in ("cold_s", "warm_s", "first_s", "repeated_s", "recolour_s"))
                          + (f" error={r['error']}" if r["error"] else ""), flush=True)
                    raw["apps"].append(r)
            finally:
                browser.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    raw["stubbed"] = sorted(assets.stubbed)
    raw["failed_packages"] = assets.failed_packages
    return raw


_METRICS = (("cold_s", "cold start"), ("warm_s", "warm load"), ("first_s", "filter change, first time"),
            ("repeated_s", "filter change, repeated"), ("recolour_s", "save-to-recolour"))
GOAL_METRICS = ("warm_s", "first_s", "repeated_s")
GOAL_RATIO = 1.1
LIVE_LIMIT_S = 10.0


def figure(raw: dict[str, Any]) -> Figure:
    fig = Figure(
        key="9 running app",
        title="9. The running app side by side with minimal Streamlit peers (ratio = wufei-geo ÷ best peer; < 1 is ahead)",
        columns=["app", *[label for _, label in _METRICS], "problem"],
        raw=raw,
    )
    if raw.get("error"):
        fig.notes.append(f"not measured: {raw['error']}")
        return fig
    apps = raw["apps"]
    ours = next((a for a in apps if a["app"] == OURS), None)
    for a in apps:
        cells = []
        for key, _ in _METRICS:
            if key == "recolour_s" and a["app"] != OURS:
                cells.append("n/a (no live update)")
            else:
                cells.append(fmt_s(a.get(key)))
        fig.rows.append([a["app"], *cells, a.get("error") or ""])
    if ours is not None:
        ratio_cells = []
        for key, _ in _METRICS:
            peers = [(a[key], a["app"]) for a in apps if a["app"] != OURS and a.get(key) is not None]
            if not peers or ours.get(key) is None:
                ratio_cells.append("—")
                continue
            best, who = min(peers)
            ratio_cells.append(f"{fmt_ratio(ours[key] / best)} of {who}")
        fig.rows.append(["ratio: wufei-geo ÷ best peer", *ratio_cells, ""])
        for key, label in _METRICS:
            if key not in GOAL_METRICS:
                continue
            peers = [(a[key], a["app"]) for a in apps if a["app"] != OURS and a.get(key) is not None]
            if not peers or ours.get(key) is None:
                fig.goals.append(Goal(f"running app, {label}: within {GOAL_RATIO}× of the best minimal Streamlit peer", "—", None))
                continue
            best, who = min(peers)
            r = ours[key] / best
            fig.goals.append(Goal(f"running app, {label}: within {GOAL_RATIO}× of the best minimal Streamlit peer",
                                  f"{r:.2f}× ({fmt_s(ours[key])} vs {fmt_s(best)}, {who})", r <= GOAL_RATIO))
        rec = ours.get("recolour_s")
        fig.goals.append(Goal(f"an edit saved in another session shows on the open map within {LIVE_LIMIT_S:.0f} s, no reload",
                              fmt_s(rec) if rec is not None else "never", None if rec is None and ours.get("error") else (rec is not None and rec <= LIVE_LIMIT_S)))
    rep = raw["repeats"]
    fig.notes.append(
        f"same database for every app: {raw['sites']} sites of the plan, {raw['located']} with a map position (all drawn; "
        f"filter targets: {raw['targets']}); best of {rep['cold']} cold start(s), {rep['warm']} warm load(s) and "
        f"{rep['cycles']} cycle(s) of filter changes (first-time values: 3; repeated: the rest). Headless Chromium "
        "1400×1000, --headless --no-sandbox --disable-gpu (WebGL by software), no basemap tiles, offline."
    )
    fig.notes.append(
        "on screen: Leaflet apps — the map in the component iframe holds exactly the filter's points (GeoJSON point "
        "layers; a cluster counts as its points); deck.gl apps — an instanced WebGL draw of exactly that many "
        "instances was issued; then two painted frames. Filter change = from the mousedown on the option (or on the chip's "
        "remove button) to that moment; warm load = from the navigation start; cold start = from the "
        "process start (database already seeded)."
    )
    fig.notes.append(
        "save-to-recolour: a status saved through the store (another session) until the marker shows the new status "
        "colour on the open map; the map page checks the data version every few seconds, so this is mostly that wait. "
        "The peers have no live update (n/a): a saved edit reaches them only when the user reruns the page."
    )
    if raw.get("stubbed"):
        fig.notes.append("answered empty (no local copy; none draws the points): " + ", ".join(raw["stubbed"]))
    if raw.get("failed_packages"):
        fig.notes.append("npm packages that could not be fetched: " + ", ".join(f"{k} ({v})" for k, v in raw["failed_packages"].items()))
    return fig


def _median(values: list[float]) -> float | None:
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


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
