"""街镇 / Towns: the page script; the page is :mod:`app_pages.towns_page` (imported once, not
executed anew on every run with its cached functions)."""
from app_pages.towns_page import render

render()
