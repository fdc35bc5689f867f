"""地图 / Map: the page script; the page is :mod:`app_pages.map_page` (imported once, not
executed anew on every run with its cached functions)."""
from app_pages.map_page import render

render()
