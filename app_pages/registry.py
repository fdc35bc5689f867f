"""The app's pages, listed once: ``app.py`` builds its navigation from :data:`PAGES`, and every
test that walks the pages (AppTest and the hostile walks) reads the same list, so a page added here
is in the navigation and in "every page runs" at once.

A page is a script under ``app_pages/pages/`` with a ``render()``; adding one is one
:class:`PageSpec` line here plus its ``page.<name>`` title in both catalogues.  No Streamlit
import: tests read this without starting the app.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    """One page: ``name`` is its file (``app_pages/pages/<name>.py``), its URL path (the first
    page: the root) and, as
    ``page.<name>``, its title's catalogue key; ``icon`` is a Streamlit Material icon."""

    name: str
    icon: str
    inbox: bool = False  # its navigation title carries the count of what waits in the inbox

    @property
    def path(self) -> str:
        return f"app_pages/pages/{self.name}.py"

    @property
    def title_key(self) -> str:
        return f"page.{self.name}"


# in navigation order; the first is the default, served at the root (its own path moves there)
PAGES: tuple[PageSpec, ...] = (
    PageSpec("map", ":material/map:"),
    PageSpec("capacity", ":material/bar_chart:"),
    PageSpec("towns", ":material/location_city:"),
    PageSpec("update", ":material/edit_note:", inbox=True),
    PageSpec("data", ":material/database:"),
    PageSpec("indicators", ":material/checklist:"),
)

# name → the page's script path (what AppTest's ``switch_page`` takes)
PAGE_PATHS: dict[str, str] = {p.name: p.path for p in PAGES}
