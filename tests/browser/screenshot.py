"""Regenerate the README's screenshot of the map page: ``python -m tests.browser.screenshot``.

Starts ``streamlit run app.py`` on a free port with a fresh database (the plan's seed only, no
edits), opens the map in headless Debian chromium with every non-local request refused, waits
until the markers match the stated site count, and writes ``docs/screenshot.png``.
Options: ``-o PATH`` (another file), ``--lang en`` (English UI), ``--page capacity`` (the
湿垃圾能力 page instead, written to ``docs/screenshot-capacity.png``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .harness import (
    REPO_ROOT,
    block_external,
    chromium_available,
    launch_browser,
    map_frame,
    marker_count,
    running_app,
    shown_counts,
    wait_until,
)

DEFAULT_OUT = REPO_ROOT / "docs" / "screenshot.png"
CAPACITY_OUT = REPO_ROOT / "docs" / "screenshot-capacity.png"


def take_capacity_screenshot(out: Path = CAPACITY_OUT, width: int = 1400, height: int = 1300) -> Path:
    """Write a PNG of the 湿垃圾能力 page (headline figures, forecast, chart) to ``out``."""
    from playwright.sync_api import sync_playwright

    with running_app() as server, sync_playwright() as pw:
        browser = launch_browser(pw)
        try:
            context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
            context.set_default_timeout(30_000)
            block_external(context)
            page = context.new_page()
            page.goto(server.url.rstrip("/") + "/capacity")
            wait_until(page, lambda: "今日运行" in page.inner_text("body"), what="the capacity page")
            page.wait_for_selector("[data-testid='stVegaLiteChart'], .vega-embed", timeout=60_000)
            page.wait_for_timeout(1500)
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out), full_page=False)
        finally:
            browser.close()
    return out


def take_screenshot(out: Path = DEFAULT_OUT, lang: str = "zh", width: int = 1400, height: int = 900) -> Path:
    """Write a PNG of the map page to ``out`` and return its path."""
    from playwright.sync_api import sync_playwright

    with running_app() as server, sync_playwright() as pw:
        browser = launch_browser(pw)
        try:
            context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
            context.set_default_timeout(30_000)
            block_external(context)
            page = context.new_page()
            page.goto(server.url)
            map_frame(page)
            if lang == "en":
                page.locator("[data-testid='stSidebar'] label", has_text="English").click()
                wait_until(page, lambda: "Showing" in page.inner_text("body"), what="the English page")
                map_frame(page)

            def settled() -> bool:
                shown, _total, unmapped = shown_counts(page)
                return marker_count(page) == shown - unmapped

            wait_until(page, settled, what="markers = site count")
            page.wait_for_timeout(1000)  # let the last tiles of vector layers paint
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out), full_page=False)
        finally:
            browser.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.browser.screenshot", description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument("--page", choices=("map", "capacity"), default="map")
    args = parser.parse_args(argv)
    if not chromium_available():
        print("Debian chromium (/usr/bin/chromium) is needed: apt-get install chromium", file=sys.stderr)
        return 2
    if args.page == "capacity":
        path = take_capacity_screenshot(CAPACITY_OUT if args.output == DEFAULT_OUT else args.output)
    else:
        path = take_screenshot(args.output, args.lang)
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
