"""Figure 6: time until markers are visible in headless Chromium, and whether the map pans.

The map HTML is written to a file and opened with ``file://``.  folium pages load Leaflet and
its plugins from public CDNs, which this machine cannot reach; Playwright intercepts those
requests and answers them from the same packages fetched once from the npm registry (``npm
pack``, cached under ``~/.cache/wufei-geo-bench``).  A request with no local copy gets an empty
answer and is listed in the notes.  Tiles are never requested (basemap "none").

"Markers visible" = the Leaflet map holds at least one marker layer (``L.CircleMarker``, as drawn
on the canvas, or ``L.Marker``, e.g. a cluster icon, or one of wufei-geo's canvas site layers that has
drawn a site or group), then two animation frames have been painted.
"""
from __future__ import annotations

import re
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.core import Figure, Goal, fmt_bytes, fmt_n, fmt_s

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
CACHE = Path.home() / ".cache" / "wufei-geo-bench" / "npm"

# CDN URL pattern → (npm package, version group or fixed version, path inside the package).
_CDN_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^https://cdn\.jsdelivr\.net/npm/(?P<pkg>(?:@[^/]+/)?[^@/]+)@(?P<ver>[^/]+)/(?P<path>[^?#]+)"), "{pkg}@{ver}:{path}"),
    (re.compile(r"^https://cdnjs\.cloudflare\.com/ajax/libs/leaflet\.markercluster/(?P<ver>[^/]+)/(?P<path>[^?#]+)"), "leaflet.markercluster@{ver}:dist/{path}"),
    # 2.0.2 (folium's pin) is not on npm; 2.0.4 is the same icon API (a packaging release)
    (re.compile(r"^https://cdnjs\.cloudflare\.com/ajax/libs/Leaflet\.awesome-markers/2\.0\.2/(?P<path>[^?#]+)"), "leaflet.awesome-markers@2.0.4:dist/{path}"),
    (re.compile(r"^https://cdnjs\.cloudflare\.com/ajax/libs/Leaflet\.awesome-markers/(?P<ver>[^/]+)/(?P<path>[^?#]+)"), "leaflet.awesome-markers@{ver}:dist/{path}"),
    (re.compile(r"^https://unpkg\.com/(?P<pkg>(?:@[^/]+/)?[^@/]+)@(?P<ver>[^/]+)/(?P<path>[^?#]+)"), "{pkg}@{ver}:{path}"),
    (re.compile(r"^https://code\.jquery\.com/jquery-(?P<ver>[\d.]+)\.min\.js"), "jquery@{ver}:dist/jquery.min.js"),
]
_TYPES = {".js": "application/javascript", ".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml",
          ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf"}

_MAP_JS = "Object.values(window).find(v => typeof L !== 'undefined' && v instanceof L.Map)"
_MARKERS_JS = f"""() => {{
  if (typeof L === 'undefined') return false;
  const m = {_MAP_JS};
  if (!m) return false;
  let n = 0;
  m.eachLayer(l => {{ if (l instanceof L.CircleMarker || l instanceof L.Marker || (l.drawn && l.represented > 0)) n++; }});
  return n > 0 ? n : false;
}}"""
_PAINT_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"
_CENTER_JS = f"() => {{ const c = ({_MAP_JS}).getCenter(); return [c.lat, c.lng]; }}"


def available() -> str | None:
    """None when Chromium and Playwright are there; else why the figure cannot run."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not found"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"playwright not importable: {exc}"
    return None


class Assets:
    """Local answers for CDN requests, from npm tarballs (fetched once, then cached)."""

    def __init__(self, cache: Path = CACHE) -> None:
        self.cache = cache
        self.stubbed: set[str] = set()
        self.failed_packages: dict[str, str] = {}

    def _package_dir(self, spec: str) -> Path | None:
        target = self.cache / spec.replace("/", "__")
        if (target / "package").is_dir():
            return target / "package"
        if spec in self.failed_packages:
            return None
        target.mkdir(parents=True, exist_ok=True)
        try:
            with tempfile.TemporaryDirectory() as tmp:
                done = subprocess.run(
                    ["npm", "pack", spec, "--silent", "--pack-destination", tmp],
                    capture_output=True, text=True, timeout=120, check=True,
                )
                tgz = Path(tmp) / done.stdout.strip().splitlines()[-1]
                with tarfile.open(tgz) as tar:
                    tar.extractall(target, filter="data")
        except (subprocess.SubprocessError, OSError, IndexError, tarfile.TarError) as exc:
            self.failed_packages[spec] = f"{type(exc).__name__}"
            return None
        return target / "package" if (target / "package").is_dir() else None

    def lookup(self, url: str) -> Path | None:
        for pattern, template in _CDN_RULES:
            m = pattern.match(url)
            if not m:
                continue
            spec, path = template.format(**m.groupdict()).split(":", 1)
            root = self._package_dir(spec)
            if root is not None and (root / path).is_file():
                return root / path
        return None

    def prefetch(self, html: str) -> None:
        """Fetch every CDN package a page refers to, so no download is timed."""
        for url in re.findall(r'(?:src|href)=["\']?(https://[^"\'\s>]+)', html):
            self.lookup(url)

    def handle(self, route: Any) -> None:
        url = route.request.url
        if url.startswith("file:") or url.startswith("data:"):
            route.continue_()
            return
        local = self.lookup(url)
        if local is None:
            self.stubbed.add(re.sub(r"[?#].*$", "", url))
            route.fulfill(status=200, body=b"", content_type=_TYPES.get(Path(url).suffix, "text/plain"))
            return
        route.fulfill(status=200, body=local.read_bytes(), content_type=_TYPES.get(local.suffix, "application/octet-stream"))


def open_and_pan(browser: Any, html_path: Path, assets: Assets, timeout_s: float) -> dict[str, Any]:
    """Open the page; time until markers are visible; then drag the map and read its new centre."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.route("**/*", assets.handle)
    out: dict[str, Any] = {"visible_s": None, "marker_layers": None, "pannable": None, "error": None}
    try:
        t0 = time.perf_counter()
        page.goto(html_path.as_uri(), wait_until="commit", timeout=timeout_s * 1000)
        handle = page.wait_for_function(_MARKERS_JS, timeout=timeout_s * 1000, polling=50)
        page.evaluate(_PAINT_JS)
        out["visible_s"] = time.perf_counter() - t0
        out["marker_layers"] = handle.json_value()
        before = page.evaluate(_CENTER_JS)
        page.mouse.move(640, 400)
        page.mouse.down()
        page.mouse.move(440, 300, steps=8)
        page.mouse.up()
        page.evaluate(_PAINT_JS)
        after = page.evaluate(_CENTER_JS)
        out["center_before"], out["center_after"] = before, after
        out["pannable"] = abs(after[0] - before[0]) + abs(after[1] - before[1]) > 1e-6
    except Exception as exc:  # noqa: BLE001 - a map that never shows its markers is a result, not a crash
        out["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
    finally:
        page.close()
    return out


def measure(ns: list[int], *, naive_ns: list[int], timeout_s: float) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from bench import fig_map
    from bench.synthetic import synthetic_sites

    why_not = fig_map.ours_available()
    raw: dict[str, Any] = {"ours_error": why_not, "runs": [], "timeout_s": timeout_s}
    assets = Assets()
    with tempfile.TemporaryDirectory(prefix="wufei-bench-") as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            zones = district = None
            if why_not is None:
                from wufei_geo import mapview

                zones, district = fig_map.geography()
            warmed: set[str] = set()
            for n in sorted(set(ns) | set(naive_ns)):
                sites = synthetic_sites(n)
                builders = []
                if why_not is None and n in ns:
                    builders.append(("ours", lambda s=sites: mapview.build_map(s, zones, district, basemap="none", lang="zh")))
                if n in naive_ns:
                    builders.append(("naive", lambda s=sites: fig_map.naive_map(s)))
                for label, build in builders:
                    path = Path(tmp) / f"{label}-{n}.html"
                    text = build().get_root().render()
                    path.write_text(text, encoding="utf-8")
                    if label not in warmed:  # untimed first load: npm fetches, browser start-up
                        assets.prefetch(text)
                        open_and_pan(browser, path, assets, timeout_s)
                        warmed.add(label)
                    run = {"map": label, "n": n, "markers": fig_map.n_located(sites), "html_bytes": path.stat().st_size}
                    run.update(open_and_pan(browser, path, assets, timeout_s))
                    raw["runs"].append(run)
                    path.unlink()
        finally:
            browser.close()
    raw["stubbed"] = sorted(assets.stubbed)
    raw["failed_packages"] = assets.failed_packages
    return raw


def figure(raw: dict[str, Any]) -> Figure:
    fig = Figure(
        key="6 browser",
        title="6. Time until markers are visible in headless Chromium",
        columns=["map", "sites", "HTML", "markers visible after", "marker layers on map", "pannable (drag)", "problem"],
        raw=raw,
    )
    if raw.get("ours_error"):
        fig.notes.append(f"our map could not be built: {raw['ours_error']}")
    for r in raw["runs"]:
        fig.rows.append(
            [
                r["map"],
                fmt_n(r["n"]),
                fmt_bytes(r["html_bytes"]),
                fmt_s(r["visible_s"]) if r["visible_s"] is not None else f"not within {raw['timeout_s']:.0f} s",
                "—" if r["marker_layers"] is None else fmt_n(r["marker_layers"]),
                {True: "yes", False: "no", None: "—"}[r["pannable"]],
                r["error"] or "",
            ]
        )
    big = next((r for r in raw["runs"] if r["map"] == "ours" and r["n"] == 100_000), None)
    if big is not None:
        ok = big["visible_s"] is not None and bool(big["pannable"])
        fig.goals.append(
            Goal(
                "100,000 sites: the map opens and is pannable in headless Chromium",
                "markers after " + (fmt_s(big["visible_s"]) if big["visible_s"] is not None else "never")
                + f", pannable: {big['pannable']}",
                ok,
            )
        )
    fig.notes.append(
        "time from navigation start to the first marker layer on the Leaflet map plus two painted frames; "
        "window 1280×800; pannable = the map centre moved after a 200×100 px mouse drag."
    )
    if raw.get("stubbed"):
        fig.notes.append("answered empty (no local copy; not needed to draw markers): " + ", ".join(raw["stubbed"]))
    if raw.get("failed_packages"):
        fig.notes.append("npm packages that could not be fetched: " + ", ".join(f"{k} ({v})" for k, v in raw["failed_packages"].items()))
    return fig
