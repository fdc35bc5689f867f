"""What only a browser shows of the Chinese UI: Streamlit's own widget texts.

The sidebar filters show our placeholder (全部), not "Choose options"; the uploaders' drop zones
show 选择文件 and 单个文件上限 … (CSS from app_pages.common.file_uploader), not "Upload" and
"64MB per file".  Screenshot: tests/_artifacts/data-uploader-zh.png."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wufei_geo import auth
from wufei_geo.store import Store

from .harness import open_from_sidebar, running_app, sqlite_url

ADMIN, PASSWORD = "admin1", "browser test password"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from .conftest import _require_chromium

    _require_chromium()
    url = sqlite_url(tmp_path_factory.mktemp("browser-i18n"))
    store = Store.open(url)
    auth.create_user(store, ADMIN, "admin", None, PASSWORD)
    store.close()
    with running_app(db_url=url) as server:
        yield server


@pytest.mark.browser
def test_placeholders_and_uploaders_speak_chinese(app: Any, page: Any, artifacts_dir: Path) -> None:
    page.goto(app.url)
    page.locator("[data-testid='stSidebar'] input[placeholder='全部']").first.wait_for(timeout=90_000)
    placeholders = page.evaluate(
        "() => Array.from(document.querySelectorAll('[data-testid=stSidebar] input')).map(i => i.placeholder)")
    assert placeholders.count("全部") == 6 and not [p for p in placeholders if p.startswith("Choose")], placeholders

    open_from_sidebar(page, "数据", page.get_by_label("用户名"))
    page.get_by_label("用户名").fill(ADMIN)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    zone = page.locator(".st-key-data_upload [data-testid='stFileUploaderDropzone']")
    zone.wait_for(timeout=90_000)
    after = page.evaluate(
        """() => {
          const box = document.querySelector('.st-key-data_upload [data-testid="stFileUploaderDropzoneInstructions"]');
          const button = document.querySelector('.st-key-data_upload [data-testid="stFileUploaderDropzone"] button');
          return {
            instructions: getComputedStyle(box, '::after').content,
            instructionsSize: getComputedStyle(box).fontSize,
            instructionsText: box.innerText.trim(),
            button: getComputedStyle(button, '::after').content,
            buttonSize: getComputedStyle(button).fontSize,
          };
        }"""
    )
    assert "单个文件上限" in after["instructions"] and after["instructionsSize"] == "0px", after
    assert after["instructionsText"] == "", after  # Streamlit's "64MB per file • CSV" is hidden
    assert "选择文件" in after["button"] and after["buttonSize"] == "0px", after
    zone.scroll_into_view_if_needed()
    zone.screenshot(path=str(artifacts_dir / "data-uploader-zh.png"))
