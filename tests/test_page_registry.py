"""The page list is written once (app_pages/registry.py): every page script is in it, app.py builds
its navigation from it, and the tests that walk every page read it rather than a copy."""
from __future__ import annotations

import re
from pathlib import Path

from app_pages import registry
from wufei_geo import i18n

ROOT = Path(__file__).resolve().parents[1]


def test_every_page_script_is_registered_and_every_registered_page_exists() -> None:
    scripts = {p.stem for p in (ROOT / "app_pages" / "pages").glob("*.py") if p.stem != "__init__"}
    assert scripts == {p.name for p in registry.PAGES}
    assert len({p.name for p in registry.PAGES}) == len(registry.PAGES)


def test_every_page_has_its_title_in_both_languages() -> None:
    for page in registry.PAGES:
        for lang in ("zh", "en"):
            assert i18n.t(page.title_key, lang) != page.title_key, (page.name, lang)


def test_app_and_the_page_walks_name_no_page_path_of_their_own() -> None:
    """A page path written beside the registry (a list of its own) would let a new page escape
    "every page runs"; single pages a test opens by name are fine."""
    app = (ROOT / "app.py").read_text(encoding="utf-8")
    assert "registry.PAGES" in app and "app_pages/pages/" not in app
    walkers = ["tests/apptest_helpers.py", "tests/test_app_map.py", "tests/test_app_language.py",
               "tests/hostile/test_bad_store_contents.py"]
    for rel in walkers:
        text = (ROOT / rel).read_text(encoding="utf-8")
        assert not re.search(r"app_pages/pages/\w+\.py", text), rel
        assert "registry" in text or "PAGE_PATHS" in text, rel
