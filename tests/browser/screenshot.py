"""Regenerate the README's screenshots: ``python -m tests.browser.screenshot``.

Starts ``streamlit run app.py`` on a free port with a fresh database (the plan's seed only, no
edits), opens each page in headless Debian chromium at 1400×900 with every non-local request
refused, waits until the page has settled (on the map: markers = the stated site count), and
writes ``docs/screenshot-<page>.png`` (Chinese) and ``docs/screenshot-<page>-en.png`` (English)
for the map, capacity and towns pages; ``docs/screenshot.png`` is the Chinese map.
Options: ``--pages map towns`` (a subset), ``--lang zh|en|both``, ``--out-dir DIR``,
``--filter CATEGORY`` (the map after clicking that category in the sidebar filter, e.g. 湿垃圾处理).
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

from .harness import (
    REPO_ROOT,
    block_external,
    chromium_available,
    launch_browser,
    map_frame,
    marker_count,
    open_from_sidebar,
    running_app,
    shown_counts,
    wait_until,
)

DOCS = REPO_ROOT / "docs"
PAGES = ("map", "capacity", "towns")
# the sidebar link and the page's heading in each language: the screenshot waits for the heading
_NAV = {"map": ("地图", "Map"), "capacity": ("湿垃圾能力", "Wet-waste capacity"), "towns": ("街镇", "Towns")}
_TITLES = {
    "map": ("设施地图", "Facility map"),
    "capacity": ("湿垃圾处理能力", "Wet-waste capacity"),
    "towns": ("街镇评分卡", "Town scorecards"),
}


# an element that shows the page has been drawn (beyond its heading)
_READY = {
    "capacity": "[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg",
    "towns": "[data-testid='stDataFrame']",
}


def _wait_idle(page: Any) -> None:
    """Until Streamlit's "running" indicator is gone (the script run is over)."""
    wait_until(page, lambda: page.locator("[data-testid='stStatusWidget']").count() == 0, what="the script run to end")


def _painted(page: Any) -> None:
    """Until the fonts are loaded and two animation frames have passed in the page and in the
    map (the last charts, tiles and labels are painted)."""
    paint = "() => document.fonts.ready.then(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))))"
    for frame in page.frames:
        try:
            frame.evaluate(paint)
        except Exception:  # noqa: BLE001 — a frame being replaced
            continue


def _settle_map(page: Any) -> None:
    map_frame(page)

    def settled() -> bool:
        shown, _total, unmapped = shown_counts(page)
        return marker_count(page) == shown - unmapped

    wait_until(page, settled, what="markers = site count")


def take_screenshots(
    out_dir: Path = DOCS,
    pages: tuple[str, ...] = PAGES,
    langs: tuple[str, ...] = ("zh", "en"),
    width: int = 1400,
    height: int = 900,
    category_filter: str | None = None,
) -> list[Path]:
    """Write one PNG per (page, language) to ``out_dir`` and return their paths."""
    from playwright.sync_api import sync_playwright

    written: list[Path] = []
    with running_app() as server, sync_playwright() as pw:
        browser = launch_browser(pw)
        try:
            for lang in langs:
                context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
                context.set_default_timeout(30_000)
                block_external(context)
                page = context.new_page()
                page.goto(f"{server.url}/map")
                _settle_map(page)
                if lang == "en":
                    page.locator("[data-testid='stSidebar'] label", has_text="English").click()
                    page.locator("h1", has_text=_TITLES["map"][1]).first.wait_for(timeout=60_000)
                for name in pages:
                    # through the sidebar (a new page load would be a new session, in Chinese)
                    title = _TITLES[name][1 if lang == "en" else 0]
                    link = _NAV[name][1 if lang == "en" else 0]
                    open_from_sidebar(page, link, page.locator("h1", has_text=title))
                    suffix = ""
                    if name == "map":
                        _settle_map(page)
                        if category_filter:
                            box = page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']").first
                            box.locator("input").click()
                            box.locator("input").fill(category_filter)
                            page.get_by_role("option", name=category_filter, exact=True).click(timeout=20_000)
                            page.keyboard.press("Escape")
                            wait_until(page, lambda page=page: shown_counts(page)[0] < shown_counts(page)[1], what="the filtered map")
                            _settle_map(page)
                            suffix = "-filtered"
                    if name in _READY:  # the page's table/chart has been drawn
                        page.locator(_READY[name]).first.wait_for(timeout=60_000)
                    _wait_idle(page)
                    _painted(page)
                    out = out_dir / f"screenshot-{name}{suffix}{'-en' if lang == 'en' else ''}.png"
                    out.parent.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(out), full_page=False)
                    written.append(out)
                context.close()
        finally:
            browser.close()
    zh_map = out_dir / "screenshot-map.png"
    if out_dir == DOCS and zh_map in written:
        shutil.copyfile(zh_map, DOCS / "screenshot.png")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.browser.screenshot", description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=DOCS)
    parser.add_argument("--pages", nargs="+", choices=PAGES, default=list(PAGES))
    parser.add_argument("--lang", choices=("zh", "en", "both"), default="both")
    parser.add_argument("--filter", dest="category_filter", default=None, help="category label to click in the map's filter")
    args = parser.parse_args(argv)
    if not chromium_available():
        print("Debian chromium (/usr/bin/chromium) is needed: apt-get install chromium", file=sys.stderr)
        return 2
    langs = ("zh", "en") if args.lang == "both" else (args.lang,)
    for path in take_screenshots(args.out_dir, tuple(args.pages), langs, category_filter=args.category_filter):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
