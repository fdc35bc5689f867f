"""Data into a ``<script>``: JSON that can close no tag and open no Jinja expression."""
from __future__ import annotations

import json
import re

_JINJA_OPENER = re.compile(r"\{(?=[{%#])")


def safe_json(data: object) -> str:
    """JSON for embedding in a ``<script>``: compact UTF-8, and no raw ``<``, ``>``, ``&``."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
    # folium compiles the rendered script of an element as a Jinja template once more, so a
    # "{{ … }}" / "{% … %}" / "{# … #}" in user text would be evaluated on the server (template
    # injection: "{{7*7}}" became "49").  Those openers can only occur inside JSON strings (JSON
    # objects never start with "{{", "{%" or "{#"), where "\u007b" is the same character.
    return _JINJA_OPENER.sub(r"\\u007b", text)
