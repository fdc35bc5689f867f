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


# --- offline CDN --------------------------------------------------------------------------------
# folium pages load Leaflet and its plugins from public CDNs, which test machines cannot reach.
# The browser context answers those requests locally: Leaflet itself from the copy in
# ``assets/`` (npm package leaflet@1.9.3, BSD-2-Clause, see its LICENSE), every other external
# script or stylesheet (jQuery, Bootstrap, Font Awesome, awesome-markers: unused by our divIcon
# markers) with an empty answer, so nothing waits on the network.
ASSETS_DIR = Path(__file__).resolve().parent / "assets"
_LOCAL_HOSTS = ("127.0.0.1", "localhost")
_CONTENT_TYPES = {".js": "application/javascript", ".css": "text/css", ".png": "image/png"}


def _local_asset(url: str) -> Path | None:
    prefix = "https://cdn.jsdelivr.net/npm/"
    if not url.startswith(prefix):
        return None
    rel = url[len(prefix):].split("?", 1)[0].split("#", 1)[0]
    path = (ASSETS_DIR / rel).resolve()
    if ASSETS_DIR.resolve() in path.parents and path.is_file():
        return path
    return None


def _is_external(url: str) -> bool:
    if not url.startswith(("http://", "https://")):
        return False
    host = url.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0]
    return host not in _LOCAL_HOSTS


def _answer(route: Any) -> None:
    url = route.request.url
    asset = _local_asset(url)
    if asset is not None:
        route.fulfill(status=200, body=asset.read_bytes(), content_type=_CONTENT_TYPES.get(asset.suffix, "application/octet-stream"))
        return
    suffix = Path(url.split("?", 1)[0]).suffix
    if suffix in (".js", ".css"):
        route.fulfill(status=200, body=b"", content_type=_CONTENT_TYPES[suffix])
        return
    route.abort()


def offline_cdn(context: Any) -> None:
    """Answer every non-local request of a Playwright browser context from local files (see above).

    With the sync API, route handlers run only while the test is inside a Playwright call: wait
    with ``page.wait_for_timeout`` / ``wait_for_function``, never ``time.sleep``."""
    context.route(_is_external, _answer)
