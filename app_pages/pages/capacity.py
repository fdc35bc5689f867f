"""湿垃圾能力 / Wet-waste capacity: the page script; the page is :mod:`app_pages.capacity_page`
(imported once, not executed anew on every run with its cached functions)."""
from app_pages.capacity_page import render

render()
