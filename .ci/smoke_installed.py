"""Smoke test of the installed wheel, run by .ci/run:  python .ci/smoke_installed.py --venv DIR

DIR is a fresh virtual environment holding only the wheel and its declared dependencies.
Everything runs from a new temporary directory with no WUFEI_* settings and a private
XDG_DATA_HOME, so the default embedded database is created where an installed copy puts it:

1. ``wufei-geo --help`` and ``wufei-geo validate`` answer; ``wufei_geo.paths`` reads the data
   inside DIR (the wheel's copy), never this checkout;
2. ``wufei-geo sites --json`` lists every site of facilities/sites.csv;
3. ``wufei-geo serve`` (headless) answers on /_stcore/health and /, and headless Chromium
   (Playwright from the test environment running this script) sees the Leaflet map with site
   markers, with every non-local request refused;
4. the server log holds no deprecation warning and no traceback.

Exit status 0 when all hold; otherwise 1 with the reason (and the server log's tail).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.browser import harness  # noqa: E402  (Playwright helpers of the browser tests)


def fail(message: str) -> None:
    print(f"SMOKE FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, required=True, help="the virtual environment the wheel is installed in")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds for the server and the map")
    args = parser.parse_args()
    venv = args.venv.resolve()
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    cli = str(bin_dir / "wufei-geo")
    python = str(bin_dir / "python")

    tmp = Path(tempfile.mkdtemp(prefix="wufei-smoke-"))
    work = tmp / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WUFEI_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["XDG_DATA_HOME"] = str(tmp / "xdg")

    def run(*cmd: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=timeout, check=False)
        if result.returncode != 0:
            fail(f"{' '.join(cmd)} exited {result.returncode}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result

    t0 = time.perf_counter()
    run(cli, "--help")
    print(f"wufei-geo --help: {time.perf_counter() - t0:.2f} s")
    where = json.loads(run(python, "-c", "import json, wufei_geo.paths as p; print(json.dumps("
                           "{'data': str(p.DATA_ROOT), 'db': str(p.DEFAULT_DB_PATH), 'source': str(p.SOURCE_ROOT)}))").stdout)
    if not where["data"].startswith(str(venv)) or where["source"] != "None":
        fail(f"the installed package does not read its own data: {where}")
    print(f"data read from {where['data']}")
    print(run(cli, "validate").stdout.strip())

    listed = json.loads(run(cli, "sites", "--json").stdout)
    with (REPO / "facilities" / "sites.csv").open(encoding="utf-8", newline="") as fh:
        expected = {row["site_id"] for row in csv.DictReader(fh)}
    if {s["site_id"] for s in listed} != expected:
        fail(f"wufei-geo sites --json lists {len(listed)} sites, facilities/sites.csv has {len(expected)}")
    if not Path(where["db"]).is_file():
        fail(f"no embedded database at {where['db']}")
    print(f"wufei-geo sites --json: {len(listed)} sites (database {where['db']})")

    port = harness.free_port()
    log_path = tmp / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [cli, "serve", "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
             "--server.fileWatcherType", "none"],
            cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    server = harness.AppServer(process=process, port=port, db_url="(default)", log_path=log_path)
    try:
        harness.wait_healthy(server, args.timeout)
        with urllib.request.urlopen(server.url + "/", timeout=30) as resp:
            page = resp.read().decode("utf-8", "replace")
            if resp.status != 200 or '<div id="root">' not in page:
                fail(f"GET / answered {resp.status} without the app's root element")
        print(f"wufei-geo serve: healthy on {server.url}, / answers 200")

        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = harness.launch_browser(pw)
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            refused: list[str] = []
            harness.block_external(context, refused)
            tab = context.new_page()
            tab.goto(server.url, wait_until="domcontentloaded")
            try:
                harness.map_frame(tab, args.timeout)
            except TimeoutError as exc:
                harness.ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
                tab.screenshot(path=str(harness.ARTIFACTS_DIR / "smoke-installed.png"))
                fail(f"{exc} (screenshot: tests/_artifacts/smoke-installed.png)\n{server.log_tail()}")
            markers = harness.marker_count(tab)
            browser.close()
        if markers < 1:
            fail("the map shows no site markers")
        print(f"map page: Leaflet map with {markers} site markers in headless Chromium "
              f"({len(refused)} external requests refused)")
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    log_text = log_path.read_text(encoding="utf-8", errors="replace")
    bad = [line for line in log_text.splitlines() if re.search(r"deprecat|Traceback", line, re.IGNORECASE)]
    if bad:
        fail("the server log has deprecation warnings or tracebacks:\n" + "\n".join(bad[:20]))
    print("server log: no deprecation warning, no traceback")
    print("SMOKE OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
