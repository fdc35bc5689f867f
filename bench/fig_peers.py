"""Figure 7: the standalone map side by side with what a user would pick instead (issue 18).

Peers, each built from the same synthetic sites in the same run:

- ``folium GeoJson + MarkerCluster``: one ``folium.GeoJson`` of circle markers coloured by
  status, with a ``GeoJsonPopup`` and a ``GeoJsonTooltip``, inside a ``MarkerCluster``;
- ``folium FastMarkerCluster``: the plugin's default markers (no popups, no colours);
- ``pydeck``: one ``ScatterplotLayer`` coloured by status with a hover tooltip (no basemap).

Per map and size: build time (construct + render to HTML, best of the repeats), HTML bytes,
time until *every* located point is represented on screen (a cluster counts as its points; for
pydeck: the layer is loaded with all its points) plus two painted frames, the JS heap after a
forced garbage collection, and one drag pan (time until two frames after the drag, and whether
the view moved).  Pages are opened from ``file://``; CDN requests are answered from npm packages
(see :class:`bench.fig_browser.Assets`), so the run is offline once the npm cache is filled.
"""
from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import folium
import pandas as pd
from folium import plugins

from bench.core import Figure, Goal, best_time, fmt_bytes, fmt_n, fmt_ratio, fmt_s
from bench.fig_browser import CHROMIUM, CHROMIUM_ARGS, Assets
from bench.synthetic import synthetic_sites

OURS = "wufei-geo"
GEOJSON_MC = "folium GeoJson + MarkerCluster"
FAST_MC = "folium FastMarkerCluster"
PYDECK = "pydeck"
PEERS = (GEOJSON_MC, FAST_MC, PYDECK)
# Peers whose points carry popups (or a tooltip) and status colours, as ours do.
WITH_POPUPS = (GEOJSON_MC, PYDECK)

_CENTRE = (31.13, 121.08)
_ZOOM = 11

# Counts the points the Leaflet map represents right now: a cluster counts as its points.
_LEAFLET_COUNT_JS = """(target) => {
  if (typeof L === 'undefined') return false;
  const m = Object.values(window).find(v => v instanceof L.Map);
  if (!m) return false;
  let n = 0;
  m.eachLayer(l => {
    if (L.MarkerCluster && l instanceof L.MarkerCluster) n += l.getChildCount();
    else if (l instanceof L.CircleMarker || l instanceof L.Marker) n += 1;
    // wufei-geo's canvas site layers: the sites their last drawing put on screen (a group
    // counts as its sites), set when the drawing is done (wufei_geo/assets/wufei/site_renderer.js)
    else if (typeof l.represented === 'number' && l.drawn) n += l.represented;
  });
  return n >= target ? n : false;
}"""
_DECK_COUNT_JS = """(target) => {
  if (typeof deckInstance === 'undefined' || !deckInstance || !deckInstance.layerManager) return false;
  const layers = deckInstance.layerManager.getLayers();
  if (!layers.length || !layers.every(l => l.isLoaded)) return false;
  let n = 0;
  layers.forEach(l => { const d = l.props.data; n += (d && d.length) || 0; });
  return n >= target ? n : false;
}"""
_PAINT_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"
_LEAFLET_VIEW_JS = "() => { const m = Object.values(window).find(v => v instanceof L.Map); const c = m.getCenter(); return [c.lat, c.lng]; }"
_DECK_VIEW_JS = """() => { const vs = deckInstance.getViewports()[0];
  return [vs.latitude, vs.longitude]; }"""


# pydeck's page loads ``@deck.gl/jupyter-widget`` (it defines ``createDeck``), a package the npm
# registry does not serve; the bench answers that URL with deck.gl's own bundles (same major
# version) and a ``createDeck`` that does what the widget's does for a static page: convert the
# JSON with ``@deck.gl/json`` and create the Deck in the container, with the hover tooltip.
DECK_VERSION = "9.4.0"
_CREATE_DECK_JS = """
window.createDeck = function (o) {
  var cfg = new deck.JSONConfiguration({classes: Object.assign({}, deck)});
  var props = new deck.JSONConverter({configuration: cfg}).convert(o.jsonInput);
  var tip = o.tooltip;
  function render(t, obj) { return String(t).replace(/{(\\w+)}/g, function (_, k) {
    var v = obj[k]; return String(v === undefined || v === null ? '' : v).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; }); }); }
  return new deck.Deck(Object.assign({}, props, {parent: o.container, controller: true,
    getTooltip: tip && tip.html ? function (info) { return info.object ? {html: render(tip.html, info.object)} : null; } : null}));
};
"""


class DeckAssets(Assets):
    """:class:`Assets` that also answers pydeck's widget bundle (see ``_CREATE_DECK_JS``)."""

    def _widget(self) -> bytes | None:
        parts = []
        for spec, path in ((f"deck.gl@{DECK_VERSION}", "dist.min.js"), (f"@deck.gl/json@{DECK_VERSION}", "dist.min.js")):
            root = self._package_dir(spec)
            if root is None or not (root / path).is_file():
                return None
            parts.append((root / path).read_bytes())
        return b"\n;\n".join(parts) + _CREATE_DECK_JS.encode()

    def prefetch(self, html: str) -> None:
        super().prefetch(html)
        if "jupyter-widget" in html:
            self._widget()

    def handle(self, route: Any) -> None:
        url = route.request.url
        if "@deck.gl/jupyter-widget@" in url and url.endswith(".js"):
            body = self._widget()
            if body is not None:
                route.fulfill(status=200, body=body, content_type="application/javascript")
                return
        super().handle(route)


def _located(sites: pd.DataFrame) -> pd.DataFrame:
    return sites[sites["display_lon"].notna() & sites["display_lat"].notna()]


def _status_colour(status: Any) -> str:
    from wufei_geo.mapview.style import STATUS_COLOURS, UNKNOWN_COLOUR

    return STATUS_COLOURS.get(status, UNKNOWN_COLOUR) if isinstance(status, str) else UNKNOWN_COLOUR


def _features(sites: pd.DataFrame) -> dict:
    loc = _located(sites)
    feats = []
    for row in loc.itertuples(index=False):
        cap = None if pd.isna(row.capacity_norm) else f"{row.capacity_norm:g} {row.capacity_norm_unit}"
        feats.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(float(row.display_lon), 5), round(float(row.display_lat), 5)]},
            "properties": {"site_id": str(row.site_id), "name": str(row.name_zh), "category": str(row.category),
                           "status": None if pd.isna(row.status) else str(row.status), "capacity": cap},
        })
    return {"type": "FeatureCollection", "features": feats}


def _fit(m: folium.Map, sites: pd.DataFrame) -> None:
    """Frame every located point, as ours does (points outside the view are not drawn by a cluster layer)."""
    loc = _located(sites)
    m.fit_bounds([[loc["display_lat"].min(), loc["display_lon"].min()], [loc["display_lat"].max(), loc["display_lon"].max()]])


def geojson_cluster_map(sites: pd.DataFrame) -> folium.Map:
    """What a folium user writes for coloured points with popups: GeoJson of circle markers in a MarkerCluster."""
    m = folium.Map(location=_CENTRE, zoom_start=_ZOOM, tiles=None)
    m.options["maxZoom"] = 18  # a tile layer would set it; markercluster needs it
    _fit(m, sites)
    cluster = plugins.MarkerCluster().add_to(m)
    fields = ["site_id", "name", "category", "status", "capacity"]
    folium.GeoJson(
        _features(sites),
        marker=folium.CircleMarker(radius=6, fill=True, fill_opacity=0.9, weight=1),
        style_function=lambda f: {"fillColor": _status_colour(f["properties"]["status"]), "color": "#333333"},
        popup=folium.GeoJsonPopup(fields=fields),
        tooltip=folium.GeoJsonTooltip(fields=["name"]),
    ).add_to(cluster)
    return m


def fast_cluster_map(sites: pd.DataFrame) -> folium.Map:
    """folium's FastMarkerCluster with its default markers (points only: no popups, no colours)."""
    m = folium.Map(location=_CENTRE, zoom_start=_ZOOM, tiles=None)
    m.options["maxZoom"] = 18  # a tile layer would set it; markercluster needs it
    _fit(m, sites)
    loc = _located(sites)
    plugins.FastMarkerCluster(list(zip(loc["display_lat"].round(5), loc["display_lon"].round(5), strict=False))).add_to(m)
    return m


def pydeck_html(sites: pd.DataFrame) -> str:
    """pydeck: one ScatterplotLayer coloured by status with a hover tooltip, no basemap."""
    import pydeck as pdk

    loc = _located(sites)

    def rgb(status: Any) -> list[int]:
        h = _status_colour(status).lstrip("#")
        return [int(h[i:i + 2], 16) for i in (0, 2, 4)]

    data = pd.DataFrame({
        "site_id": loc["site_id"].astype(str).to_numpy(),
        "name": loc["name_zh"].astype(str).to_numpy(),
        "category": loc["category"].astype(str).to_numpy(),
        "status": loc["status"].astype(str).to_numpy(),
        "lon": loc["display_lon"].round(5).to_numpy(),
        "lat": loc["display_lat"].round(5).to_numpy(),
        "color": [rgb(s) for s in loc["status"]],
    })
    layer = pdk.Layer("ScatterplotLayer", data, get_position=["lon", "lat"], get_fill_color="color",
                      get_radius=60, radius_min_pixels=4, pickable=True)
    deck = pdk.Deck(layers=[layer], map_style=None,
                    initial_view_state=pdk.ViewState(latitude=_CENTRE[0], longitude=_CENTRE[1], zoom=_ZOOM),
                    tooltip={"html": "<b>{name}</b><br>{category} · {status}"})
    return deck.to_html(as_string=True, notebook_display=False)


def _builders(sites: pd.DataFrame, zones: Any, district: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if zones is not None:
        from wufei_geo import mapview

        out[OURS] = lambda: mapview.build_map(sites, zones, district, basemap="none", lang="zh").get_root().render()
    out[GEOJSON_MC] = lambda: geojson_cluster_map(sites).get_root().render()
    out[FAST_MC] = lambda: fast_cluster_map(sites).get_root().render()
    try:
        import pydeck  # noqa: F401

        out[PYDECK] = lambda: pydeck_html(sites)
    except ImportError:
        pass
    return out


def open_page(browser: Any, path: Path, assets: Assets, target: int, *, deck: bool, timeout_s: float) -> dict[str, Any]:
    """Open ``path``; time until ``target`` points are represented + 2 frames; heap after GC; one pan."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    # only requests that leave the machine (CDN assets) are routed; the page's own files load as usual
    page.route(_external, assets.handle)
    out: dict[str, Any] = {"visible_s": None, "represented": None, "heap_bytes": None, "pan_s": None, "pannable": None, "error": None}
    try:
        t0 = time.perf_counter()
        page.goto(path.as_uri(), wait_until="commit", timeout=timeout_s * 1000)
        handle = page.wait_for_function(_DECK_COUNT_JS if deck else _LEAFLET_COUNT_JS, arg=target,
                                        timeout=timeout_s * 1000, polling=50)
        page.evaluate(_PAINT_JS)
        out["visible_s"] = time.perf_counter() - t0
        out["represented"] = handle.json_value()
        cdp = page.context.new_cdp_session(page)
        cdp.send("HeapProfiler.collectGarbage")
        page.evaluate("() => { if (window.gc) window.gc(); }")
        out["heap_bytes"] = cdp.send("Runtime.getHeapUsage")["usedSize"]
        view_js = _DECK_VIEW_JS if deck else _LEAFLET_VIEW_JS
        before = page.evaluate(view_js)
        t1 = time.perf_counter()
        page.mouse.move(640, 400)
        page.mouse.down()
        page.mouse.move(440, 300, steps=8)
        page.mouse.up()
        page.evaluate(_PAINT_JS)
        out["pan_s"] = time.perf_counter() - t1
        after = page.evaluate(view_js)
        out["pannable"] = abs(after[0] - before[0]) + abs(after[1] - before[1]) > 1e-9
    except Exception as exc:  # noqa: BLE001 - a map that never shows its points is a result
        out["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
    finally:
        page.close()
    return out


def _external(url: str) -> bool:
    host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return url.startswith("http") and host not in ("127.0.0.1", "localhost")


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median run by time to visible (the lower of the middle two; a failed run counts as the
    slowest), with every run's time (``visible_runs``) so the spread can be reported."""
    ordered = sorted((r for r in runs if r["visible_s"] is not None), key=lambda r: r["visible_s"])
    ordered += [r for r in runs if r["visible_s"] is None]
    pick = dict(ordered[(len(ordered) - 1) // 2])
    pick["visible_runs"] = [r["visible_s"] for r in runs]
    return pick


def measure(ns: list[int], *, repeats: int, browser_runs: int, in_browser: bool, timeout_s: float = 180,
            statistic: str = "best") -> dict[str, Any]:
    """Build every map at every size; with ``in_browser`` also open each, round by round
    (``statistic``: "best" or "median" of ``browser_runs`` rounds)."""
    from bench import fig_browser, fig_map

    why_not = fig_map.ours_available()
    zones = district = None
    if why_not is None:
        zones, district = fig_map.geography()
    raw: dict[str, Any] = {"ours_error": why_not, "runs": [], "timeout_s": timeout_s, "browser_skipped": None,
                           "statistic": statistic, "browser_runs": browser_runs}
    if in_browser:
        raw["browser_skipped"] = fig_browser.available()
    else:
        raw["browser_skipped"] = "--quick: the peers' browser runs need their npm packages (deck.gl, markercluster); build and bytes only"
    assets = DeckAssets()
    with tempfile.TemporaryDirectory(prefix="wufei-peers-") as tmp:
        pw_ctx = browser = None
        if raw["browser_skipped"] is None:
            from playwright.sync_api import sync_playwright

            pw_ctx = sync_playwright().start()
            browser = pw_ctx.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--js-flags=--expose-gc"])
        try:
            warmed: set[str] = set()
            for n in ns:
                sites = synthetic_sites(n)
                target = fig_map.n_located(sites)
                runs: dict[str, dict[str, Any]] = {}
                paths: dict[str, Path] = {}
                for label, build in _builders(sites, zones, district).items():
                    reps = repeats if n <= 10_000 else 1
                    build_s, text = best_time(build, reps)
                    path = Path(tmp) / f"{label.replace(' ', '_').replace('+', '')}-{n}.html"
                    path.write_text(text, encoding="utf-8")
                    paths[label] = path
                    runs[label] = {"map": label, "n": n, "points": target, "build_s": build_s,
                                   "html_bytes": path.stat().st_size}
                    if browser is not None and label not in warmed:  # untimed first load: npm fetches, shader compile
                        assets.prefetch(text)
                        open_page(browser, path, assets, target, deck=label == PYDECK, timeout_s=timeout_s)
                        warmed.add(label)
                if browser is not None:
                    # side by side: each round opens every map once, so a burst of load on the
                    # shared machine falls on all of them, not on one map's runs; best of the rounds
                    best: dict[str, dict[str, Any]] = {}
                    every: dict[str, list[dict[str, Any]]] = {}
                    for _ in range(browser_runs if n <= 10_000 else 1):
                        for label, path in paths.items():
                            got = open_page(browser, path, assets, target, deck=label == PYDECK, timeout_s=timeout_s)
                            every.setdefault(label, []).append(got)
                            old = best.get(label)
                            if old is None or (got["visible_s"] is not None and (old["visible_s"] is None or got["visible_s"] < old["visible_s"])):
                                best[label] = got
                    for label, got in best.items():
                        runs[label].update(_median_run(every[label]) if statistic == "median" else got)
                for label, run in runs.items():
                    raw["runs"].append(run)
                    print(f"   {label} n={n}: " + json.dumps({k: v for k, v in run.items() if k not in ("map", "n")}, default=str), flush=True)
                    paths[label].unlink()
        finally:
            if browser is not None:
                browser.close()
            if pw_ctx is not None:
                pw_ctx.stop()
    raw["stubbed"] = sorted(assets.stubbed)
    raw["failed_packages"] = assets.failed_packages
    return raw


def _get(raw: dict[str, Any], label: str, n: int) -> dict[str, Any] | None:
    return next((r for r in raw["runs"] if r["map"] == label and r["n"] == n), None)


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b <= 0 else a / b


def figure(raw: dict[str, Any]) -> Figure:
    fig = Figure(
        key="7 peers",
        title="7. Standalone map side by side with the peers (ratio = ours ÷ best peer; < 1 is ahead)",
        columns=["sites", "map", "build", "HTML", "all points on screen", "JS heap after GC", "pan", "pannable", "problem"],
        raw=raw,
    )
    ns = sorted({r["n"] for r in raw["runs"]})
    for n in ns:
        runs = [r for r in raw["runs"] if r["n"] == n]
        for r in runs:
            fig.rows.append([
                fmt_n(n), r["map"], fmt_s(r["build_s"]), fmt_bytes(r["html_bytes"]),
                fmt_s(r.get("visible_s")) if r.get("visible_s") is not None else ("—" if raw["browser_skipped"] else "never"),
                fmt_bytes(r.get("heap_bytes")), fmt_s(r.get("pan_s")),
                {True: "yes", False: "no", None: "—"}[r.get("pannable")], r.get("error") or "",
            ])
        ours = _get(raw, OURS, n)
        if ours is None:
            continue
        ratios = []
        for key in ("build_s", "html_bytes", "visible_s", "heap_bytes", "pan_s"):
            peer_vals = [(r[key], r["map"]) for r in runs if r["map"] != OURS and r.get(key) is not None]
            if not peer_vals or ours.get(key) is None:
                ratios.append("—")
                continue
            best_v, best_m = min(peer_vals)
            ratios.append(f"{fmt_ratio(ours[key] / best_v)} of {best_m}")
        fig.rows.append([fmt_n(n), "ratio: ours ÷ best peer", *ratios, "", ""])

    for n in ns:
        ours = _get(raw, OURS, n)
        if ours is None or ours.get("visible_s") is None and not raw["browser_skipped"] is None:
            continue
        if raw["browser_skipped"] is None:
            popup_peers = [r for r in (_get(raw, p, n) for p in WITH_POPUPS) if r and r.get("visible_s") is not None]
            best = min(popup_peers, key=lambda r: r["visible_s"]) if popup_peers else None
            r1 = _ratio(ours.get("visible_s"), best["visible_s"] if best else None)
            fig.goals.append(Goal(f"{fmt_n(n)} sites: all points on screen at or ahead of the best peer with popups and colours",
                                  f"{fmt_ratio(r1)} of {best['map'] if best else '—'}", None if r1 is None else r1 <= 1.0))
            fmc = _get(raw, FAST_MC, n)
            r2 = _ratio(ours.get("visible_s"), fmc.get("visible_s") if fmc else None)
            fig.goals.append(Goal(f"{fmt_n(n)} sites: all points on screen within 1.5× of FastMarkerCluster",
                                  fmt_ratio(r2), None if r2 is None else r2 <= 1.5))
        popup_bytes = [r["html_bytes"] for r in (_get(raw, p, n) for p in WITH_POPUPS) if r]
        if popup_bytes:
            r3 = _ratio(ours["html_bytes"], min(popup_bytes))
            fig.goals.append(Goal(f"{fmt_n(n)} sites: HTML the smallest of the maps with popups",
                                  f"{fmt_ratio(r3)} of the smallest peer", None if r3 is None else r3 <= 1.0))
    big, fmc_big = _get(raw, OURS, 100_000), _get(raw, FAST_MC, 100_000)
    if big and fmc_big and raw["browser_skipped"] is None:
        r4 = _ratio(big.get("heap_bytes"), fmc_big.get("heap_bytes"))
        fig.goals.append(Goal("100,000 sites: JS heap within 2× of FastMarkerCluster's", fmt_ratio(r4),
                              None if r4 is None else r4 <= 2.0))

    fig.notes.append(
        "peers: " + GEOJSON_MC + " (circle markers coloured by status, GeoJsonPopup + GeoJsonTooltip), "
        + FAST_MC + " (default markers: no popups, no colours), " + PYDECK
        + " (ScatterplotLayer coloured by status, hover tooltip, no basemap); same sites, same run, tiles off."
    )
    fig.notes.append(
        "all points on screen = from navigation start until every located point is represented (Leaflet: markers "
        "on the map + the point counts of the clusters on the map; pydeck: its layers loaded with all their points), "
        "then two painted frames; best of the browser runs (one at 100,000), run in rounds that open every map once "
        "(so load on the shared machine falls on all maps alike). JS heap = Runtime.getHeapUsage after "
        "HeapProfiler.collectGarbage. pan = a 200×100 px drag until two painted frames. Window 1280×800, "
        "Chromium --headless --no-sandbox --disable-gpu (WebGL by software for pydeck)."
    )
    if raw.get("browser_skipped"):
        fig.notes.append(f"browser runs not done: {raw['browser_skipped']}")
    if raw.get("ours_error"):
        fig.notes.append(f"our map could not be built: {raw['ours_error']}")
    if raw.get("stubbed"):
        fig.notes.append("answered empty (no local copy; none is needed to draw the points — basemap styles, "
                         "bootstrap/font-awesome, mapbox-gl): " + ", ".join(raw["stubbed"]))
    if raw.get("failed_packages"):
        fig.notes.append("npm packages that could not be fetched: " + ", ".join(f"{k} ({v})" for k, v in raw["failed_packages"].items()))
    return fig
