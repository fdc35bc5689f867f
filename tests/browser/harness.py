"""Start the real app for browser tests: ``streamlit run app.py`` on a free port with a fresh database.

Used by the Playwright tests in this folder and by ``python -m tests.browser.screenshot``.
Every wait here is bounded; a server that does not come up raises with the tail of its log.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
ARTIFACTS_DIR = REPO_ROOT / "tests" / "_artifacts"


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'wufei.sqlite'}"


@dataclass
class AppServer:
    """A running ``streamlit run app.py``; ``url`` is where the browser goes."""

    process: subprocess.Popen[bytes]
    port: int
    db_url: str
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            return resp.status == 200 and resp.read().strip() == b"ok"
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def wait_healthy(server: AppServer, timeout: float = 90.0) -> None:
    """Block until the health endpoint answers ``ok``; raise if the server dies or the time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"streamlit exited with code {server.process.returncode} before it was healthy:\n"
                + server.log_tail()
            )
        if _healthy(server.url):
            return
        time.sleep(0.5)
    raise TimeoutError(f"streamlit not healthy after {timeout:.0f}s:\n" + server.log_tail())


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextmanager
def running_app(
    db_url: str | None = None,
    env: dict[str, str] | None = None,
    startup_timeout: float = 90.0,
    script: str = "app.py",
) -> Iterator[AppServer]:
    """Run the app until the ``with`` block ends.

    Without ``db_url`` a fresh SQLite file in a temporary folder is used (the app seeds it on
    first start).  ``env`` adds environment variables (e.g. ``WUFEI_SESSION_IDLE_MINUTES``).
    """
    tmp = Path(tempfile.mkdtemp(prefix="wufei-browser-"))
    url = db_url or sqlite_url(tmp)
    port = free_port()
    log_path = tmp / "streamlit.log"
    child_env = {**os.environ, "WUFEI_DB_URL": url, **(env or {})}
    cmd = [
        sys.executable, "-m", "streamlit", "run", script,
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        # Streamlit's ForwardMsg cache can lose a large element (the map) when pages change
        # quickly — "Cached ForwardMsg MISS" (streamlit/streamlit#11357), seen here ~1 run in 10.
        # Never sending cache references avoids it; the app's own config should do the same.
        "--global.minCachedMessageSize", "1e15",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, cwd=REPO_ROOT, env=child_env, stdout=log, stderr=subprocess.STDOUT)
    server = AppServer(process=process, port=port, db_url=url, log_path=log_path)
    try:
        wait_healthy(server, startup_timeout)
        yield server
    finally:
        _stop(process)
        shutil.rmtree(tmp, ignore_errors=True)


def launch_browser(playwright: Any) -> Any:
    """Headless Debian chromium through Playwright (no downloaded browser)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def chromium_available() -> bool:
    return Path(CHROMIUM).exists()


# --- no network ----------------------------------------------------------------------------------
# The app serves Leaflet itself and the map renderer (wufei_geo/assets via common.leaflet_asset_base), so the
# map must work with no network at all.  The browser context refuses every request that is not
# to the local app: a map that still depended on a CDN would fail the test instead of hanging.
_LOCAL_HOSTS = ("127.0.0.1", "localhost")


def _is_external(url: str) -> bool:
    if not url.startswith(("http://", "https://", "ws://", "wss://")):
        return False
    host = url.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0]
    return host not in _LOCAL_HOSTS


def block_external(context: Any, refused: list[str] | None = None) -> None:
    """Abort every non-local request of a Playwright browser context (listed in ``refused``).

    With the sync API, route handlers run only while the caller is inside a Playwright call:
    wait with ``wait_until`` / ``wait_for_function``, never ``time.sleep``."""

    def _abort(route: Any) -> None:
        if refused is not None:
            refused.append(route.request.url)
        route.abort()

    context.route(_is_external, _abort)


# --- reading the page ------------------------------------------------------------------------------
# The map lives in streamlit-folium's component iframe; its Leaflet map is ``window.map`` there.
# Sites are drawn on canvases by the renderer asset (wufei_geo/assets/wufei/site_renderer.js): one
# Leaflet layer per category, whose ``drawn`` list says what its last drawing put on screen — each
# site marker with its row (``siteId(i)`` names the site), its position (Web Mercator pixels at the
# map's zoom) and the status colour it was filled with (the fill is always the status colour;
# precision is the outline, other states are badges: wufei_geo/mapview/style.py, MARKER_BADGES).
# Markers are found through that state (they are no DOM elements) and clicked at their position.
FOLIUM_FRAME = "streamlit_folium"
_SITES_JS = """() => {
  const out = [], map = window.map || Object.values(window).find(v => window.L && v instanceof L.Map);
  if (!map) return out;
  const z = map.getZoom();
  map.eachLayer(l => {
    if (!l.drawn || !l.siteId) return;
    l.drawn.forEach(t => {
      if (t.kind !== 'site') return;
      const p = map.latLngToContainerPoint(map.unproject([t.x, t.y], z));
      out.push({site_id: String(l.siteId(t.i)), x: p.x, y: p.y, r: t.r, colour: t.colour});
    });
  });
  return out;
}"""
# Site markers on the map: the sites the page's filter shows of every shown site layer that has
# drawn (each has its marker on the canvas when its place is in view; an unclustered layer — the
# app's 38 sites — draws each).  The app's map holds every site and the filter reaches it as a
# message (``shownCount``: the sites of the layer that pass it).
_MARKERS_JS = """() => {
  const map = window.map || Object.values(window).find(v => window.L && v instanceof L.Map);
  let n = 0;
  if (map) map.eachLayer(l => { if (l.siteId && l.drawings > 0) n += l.shownCount; });
  return n;
}"""
_COUNT_RE = r"(?:显示|Showing)\s*(\d+)\s*/\s*(\d+)"
_UNMAPPED_RE = r"(\d+)\s*(?:个站点没有可显示的位置|sites have no location)"


def map_frame(page: Any, timeout_s: float = 90.0) -> Any:
    """The streamlit-folium iframe once its Leaflet map shows at least one site marker."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for frame in page.frames:
            if FOLIUM_FRAME in frame.url:
                try:
                    if frame.evaluate("() => !!window.map && !!document.querySelector('.leaflet-container')") and frame.evaluate(_MARKERS_JS) > 0:
                        return frame
                except Exception:  # the frame is being replaced while streamlit re-renders
                    pass
        poll_pause(page)
    raise TimeoutError(f"no Leaflet map with site markers after {timeout_s:.0f}s")


def open_from_sidebar(page: Any, link: str, ready: Any, attempts: int = 4, timeout_s: float = 30.0) -> None:
    """Click the sidebar page link ``link`` until ``ready`` (a locator on the new page) shows.

    A click that lands while the current page's script is still running can be lost, and a
    loaded CI machine can take longer than one wait for the first run of a page; so every
    sidebar move in the browser tests goes through here, never a bare click."""
    for _attempt in range(attempts):
        page.locator("[data-testid='stSidebarNav'] a", has_text=link).first.click()
        try:
            ready.first.wait_for(timeout=timeout_s * 1000)
            return
        except Exception:
            continue
    raise AssertionError(f"the sidebar link {link!r} did not open its page after {attempts} clicks")


def _in_map(page: Any, js: str) -> Any:
    """Evaluate ``js`` in the current map iframe (streamlit may have replaced it since last time)."""
    for frame in page.frames:
        if FOLIUM_FRAME in frame.url:
            try:
                if frame.evaluate("() => !!window.map"):
                    return frame.evaluate(js)
            except Exception:
                continue
    raise LookupError("no map iframe with a Leaflet map right now")


def marker_count(page: Any) -> int:
    """Site markers drawn in the map iframe."""
    return int(_in_map(page, _MARKERS_JS))


def site_colours(page: Any) -> dict[str, str]:
    """site id → the status colour (``rgb(r, g, b)``) its marker was filled with."""
    return {s["site_id"]: hex_to_rgb(s["colour"]) for s in _in_map(page, _SITES_JS)}


def site_markers(frame: Any) -> list[dict]:
    """The site markers drawn in a map page or frame: ``site_id``, container ``x``/``y``, ``r``, ``colour``."""
    return list(frame.evaluate(_SITES_JS))


def click_site(frame: Any, marker: dict) -> None:
    """Click a marker of :func:`site_markers` where it is drawn (the canvas's hit test decides)."""
    frame.locator(".leaflet-container").first.click(position={"x": marker["x"], "y": marker["y"]}, timeout=15_000)


def shown_counts(page: Any) -> tuple[int, int, int]:
    """(sites shown, sites in total, shown sites without a map position) as the page states them."""
    import re

    text = page.inner_text("section.main, [data-testid='stMain']") if page.locator("[data-testid='stMain']").count() else page.inner_text("body")
    m = re.search(_COUNT_RE, text)
    if not m:
        raise AssertionError("the page shows no site count:\n" + text[:2000])
    u = re.search(_UNMAPPED_RE, text)
    return int(m.group(1)), int(m.group(2)), int(u.group(1)) if u else 0


# --- waiting on the app ------------------------------------------------------------------------------
# Streamlit's app root carries ``data-test-script-state`` (initial / running / notRunning /
# rerunRequested …; Streamlit's own e2e tests wait on it).  A MutationObserver counts the runs that
# start, so a test waits for "the run my click caused has ended" — never for a fixed time.
_APP = "[data-testid='stApp']"
_RUNS_JS = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app) return -1;
  if (window.__wfRunsApp !== app) {
    window.__wfRuns = window.__wfRuns || 0; window.__wfRunsApp = app;
    new MutationObserver(() => { if (app.dataset.testScriptState === 'running') window.__wfRuns++; })
      .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
  }
  return window.__wfRuns;
}"""


def script_runs(page: Any) -> int:
    """How many script runs (page or fragment) have started since this page began counting; the
    first call starts counting.  Read it before an action, then :func:`script_idle` ``(after=…)``."""
    page.locator(_APP).first.wait_for(state="attached", timeout=60_000)
    return int(page.evaluate(_RUNS_JS))


def script_idle(page: Any, after: int | None = None, timeout_s: float = 60.0) -> None:
    """Until the app's script is not running; with ``after`` (a :func:`script_runs` count) until a
    run that started after that count has ended."""
    page.evaluate(_RUNS_JS)
    started = f"window.__wfRuns > {int(after)} && " if after is not None else ""
    page.wait_for_function(
        f"() => {started}document.querySelector(\"{_APP}\").dataset.testScriptState === 'notRunning'",
        timeout=timeout_s * 1000,
    )


def poll_pause(page: Any, ms: int = 300) -> None:
    """The interval between two reads of a condition that :func:`wait_until` polls (inside a
    Playwright call, so route handlers keep running).  Only polling loops use it: a test never
    waits a fixed time for something to have happened."""
    page.evaluate("ms => new Promise(r => setTimeout(r, ms))", ms)


def never_within(target: Any, js: str, within_s: float, what: str) -> None:
    """Watch for ``js`` (a page/frame predicate) to become true and fail if it does within
    ``within_s`` — how a test says "left alone, nothing happens" (a bounded watch, not a sleep)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        target.wait_for_function(js, timeout=within_s * 1000)
    except PlaywrightTimeout:
        return
    raise AssertionError(f"{what} happened")


def steady(page: Any, read: Any, timeout_s: float = 30.0, what: str = "a steady value") -> Any:
    """``read()`` once two reads in a row agree (and are not empty): the view has stopped moving."""
    last: list[Any] = [None]

    def same_twice() -> Any:
        now = read()
        same = bool(now) and now == last[0]
        last[0] = now
        return now if same else None

    return wait_until(page, same_twice, timeout_s=timeout_s, what=what)


def wait_until(page: Any, condition: Any, timeout_s: float = 60.0, what: str = "condition") -> Any:
    """Poll ``condition()`` (page-side waits in between, so routes keep working) until truthy."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = condition()
        except Exception as exc:  # the page is re-rendering
            last = exc
        if last and not isinstance(last, Exception):
            return last
        poll_pause(page)
    raise TimeoutError(f"timed out after {timeout_s:.0f}s waiting for {what} (last: {last!r})")


def hex_to_rgb(colour: str) -> str:
    """``#238b45`` → ``rgb(35, 139, 69)`` (how the browser reports computed colours)."""
    c = colour.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(c[i:i + 2], 16) for i in (0, 2, 4)))


# --- town labels, legend, scale (issue 13) ----------------------------------------------------------
# Each town label is a permanent Leaflet tooltip with ``options.wfCode`` (the town code) at a fixed
# anchor (wufei_geo/mapview/renderer.py, ZoneLabels), moved by ``options.offset`` where drawn sites
# or another label would cover it there.  For each: the code, the anchor, the offset in px between
# the label box's centre and where the map places the anchor (dx, dy), the renderer's own move
# (ox, oy), whether the label box lies inside the map, how many drawn sites (circles) and other
# labels its box overlaps, what else floating over the map it overlaps (``over``: the places layer's
# markers, the legends and controls), the town whose zone holds the box's centre, and its text.
_LABELS_JS = """() => {
  const out = [], map = window.map, c = map.getContainer().getBoundingClientRect(), o = map.getPixelOrigin();
  const sites = [], zones = {};
  map.eachLayer(l => {
    if (l.drawn && l.siteId) l.drawn.forEach(d => {
      const p = map.layerPointToContainerPoint(L.point(d.x - o.x, d.y - o.y)); sites.push({x: p.x, y: p.y, r: d.r}); });
    if (l.feature && l.feature.properties && l.feature.properties.code && l.getLatLngs) zones[l.feature.properties.code] = l;
  });
  const inRing = (p, ring) => { let inside = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const a = ring[i], b = ring[j];
      if ((a.lat > p.lat) !== (b.lat > p.lat) && p.lng < (b.lng - a.lng) * (p.lat - a.lat) / (b.lat - a.lat) + a.lng) inside = !inside; }
    return inside; };
  const inZone = (z, p) => { let n = 0; const walk = a => { if (a.length && a[0].lat !== undefined) { if (inRing(p, a)) n++; } else a.forEach(walk); };
    walk(z.getLatLngs()); return n % 2 === 1; };
  const over = [], boxOf = (el, what) => { const r = el.getBoundingClientRect();
    if (r.width && r.height) over.push({what, x0: r.x - c.x, y0: r.y - c.y, x1: r.right - c.x, y1: r.bottom - c.y}); };
  map.eachLayer(l => { if (l instanceof L.Marker && l._icon) boxOf(l._icon, 'marker ' + (l.options.placeId || l._leaflet_id)); });
  document.querySelectorAll('.leaflet-control, .wf-legend').forEach(el => boxOf(el, el.className.split(' ').slice(-1)[0]));
  map.eachLayer(l => {
    if (!(l instanceof L.Tooltip) || !l.options.wfCode) return;
    const el = l.getElement(), r = el.getBoundingClientRect(), a = map.latLngToContainerPoint(l.getLatLng());
    const off = l.options.offset || {x: 0, y: 0};
    const b = {x0: r.x - c.x, y0: r.y - c.y, x1: r.right - c.x, y1: r.bottom - c.y};
    const centre = map.containerPointToLatLng(L.point((b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2));
    out.push({code: l.options.wfCode, lat: l.getLatLng().lat, lng: l.getLatLng().lng,
              dx: r.x + r.width / 2 - c.x - a.x, dy: r.y + r.height / 2 - c.y - a.y, ox: off.x, oy: off.y,
              inside: r.x >= c.x && r.y >= c.y && r.right <= c.right && r.bottom <= c.bottom,
              sites: sites.filter(s => { const nx = Math.max(b.x0, Math.min(s.x, b.x1)), ny = Math.max(b.y0, Math.min(s.y, b.y1));
                                         return (s.x - nx) ** 2 + (s.y - ny) ** 2 < s.r * s.r; }).length,
              box: b, zone: Object.keys(zones).find(k => inZone(zones[k], centre)) || null,
              over: over.filter(o => b.x0 < o.x1 - 1 && o.x0 < b.x1 - 1 && b.y0 < o.y1 - 1 && o.y0 < b.y1 - 1).map(o => o.what),
              // its lines as written (a label set compact shows them on one line: .wf-compact)
              text: [...el.childNodes].map(n => n.nodeName === 'BR' ? '\\n' : n.textContent).join('')});
  });
  out.forEach(lb => { lb.labels = out.filter(other => other !== lb && lb.box.x0 < other.box.x1 && other.box.x0 < lb.box.x1
                                                 && lb.box.y0 < other.box.y1 && other.box.y0 < lb.box.y1).length; });
  return out;
}"""

# The leader lines that tie a moved town label to its anchor: each line's two ends (container px).
_LEADERS_JS = """() => {
  const out = [], map = window.map;
  map.eachLayer(l => {
    if (l instanceof L.Polyline && l.options.className === 'wf-label-leader') {
      const [a, b] = l.getLatLngs().map(p => map.latLngToContainerPoint(p));
      out.push({x0: a.x, y0: a.y, x1: b.x, y1: b.y});
    }
  });
  return out;
}"""

# Whether the open map still follows its view: the zoom every renderer (the canvases and SVGs
# the zones, district and leader lines are drawn on) last drew at, the map's zoom, and whether the
# map's own zoom control is there.  A redraw in place that took a renderer's view events or the
# map's own controls away leaves the zones drawn at the old zoom.
_VIEW_JS = """() => {
  const map = window.map, renderers = [];
  map.eachLayer(l => { if (l instanceof L.Renderer) renderers.push(l._zoom); });
  return {zoom: map.getZoom(), renderers: renderers, zoomControl: !!document.querySelector('.leaflet-control-zoom')};
}"""

# The legend box versus the town zones at the current view (container pixels): whether any zone
# vertex lies in the legend's box or any point of the box's edges lies in a zone; whether it is
# open and needs scrolling.
_LEGEND_JS = """() => {
  const map = window.map, box = document.querySelector('.wf-legend'), c = map.getContainer().getBoundingClientRect();
  const b = box.getBoundingClientRect();
  const R = {x0: b.x - c.x, y0: b.y - c.y, x1: b.right - c.x, y1: b.bottom - c.y};
  const rings = [];
  map.eachLayer(l => { if (l.feature && l.feature.properties && l.feature.properties.code && l.getLatLngs) {
    const walk = a => { if (a.length && a[0].lat !== undefined) rings.push(a.map(p => map.latLngToContainerPoint(p))); else a.forEach(walk); };
    walk(l.getLatLngs()); } });
  const inRing = (p, ring) => { let inside = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const a = ring[i], b2 = ring[j];
      if ((a.y > p.y) !== (b2.y > p.y) && p.x < (b2.x - a.x) * (p.y - a.y) / (b2.y - a.y) + a.x) inside = !inside; }
    return inside; };
  let vertexInBox = 0, boxInZone = 0;
  rings.forEach(ring => ring.forEach(p => { if (p.x >= R.x0 && p.x <= R.x1 && p.y >= R.y0 && p.y <= R.y1) vertexInBox++; }));
  for (let t = 0; t <= 1.0001; t += 0.05) {
    const pts = [{x: R.x0 + t * (R.x1 - R.x0), y: R.y0}, {x: R.x0 + t * (R.x1 - R.x0), y: R.y1},
                 {x: R.x0, y: R.y0 + t * (R.y1 - R.y0)}, {x: R.x1, y: R.y0 + t * (R.y1 - R.y0)}];
    pts.forEach(p => { if (rings.some(ring => inRing(p, ring))) boxInZone++; });
  }
  const d = box.querySelector('details');
  return {rings: rings.length, vertexInBox, boxInZone, open: !!(d && d.open),
          scrolls: box.scrollHeight > box.clientHeight + 1 || box.scrollWidth > box.clientWidth + 1,
          scale: [...document.querySelectorAll('.leaflet-control-scale-line')].map(e => e.innerText)};
}"""


def zone_labels(page: Any) -> list[dict]:
    """The town labels of the current map (see ``_LABELS_JS``)."""
    return list(_in_map(page, _LABELS_JS))


def label_leaders(page: Any) -> list[dict]:
    """The leader lines of the current map's town labels (see ``_LEADERS_JS``)."""
    return list(_in_map(page, _LEADERS_JS))


def map_view_state(page: Any) -> dict:
    """The open map's zoom against its renderers' (see ``_VIEW_JS``)."""
    return dict(_in_map(page, _VIEW_JS))


def legend_state(page: Any) -> dict:
    """The legend against the town zones at the current view (see ``_LEGEND_JS``)."""
    return dict(_in_map(page, _LEGEND_JS))


def choose(page: Any, box: Any, option: Any) -> None:
    """Open a select box and click an option.  A click that lands while the page reruns is lost
    (the list never opens, or the open list is drawn again and the option detached under the
    click — the update page's small map reports its first view once after loading), so the list is
    opened again — up to five times — until the option is clicked."""
    last: Exception | None = None
    for _attempt in range(5):
        box.click()
        try:
            option.wait_for(timeout=8_000)
            option.click(timeout=8_000)
            return
        except Exception as exc:  # noqa: BLE001 — lost to a rerun; try again
            last = exc
            page.keyboard.press("Escape")
    raise AssertionError(f"could not choose the option: {last}")
