"""The readings of 附表1 rows the plan's table does not state cleanly: parsed from the one place
they are written, ``facilities/NOTES.md`` (``#### reading: KEY`` then ``zh:`` / ``en:`` lines)."""
from __future__ import annotations

import functools
import re
from pathlib import Path

from wufei_geo.paths import FACILITIES_DIR

_HEAD = re.compile(r"^#### reading: (\S+)\s*$")


def parse_readings(text: str) -> dict[str, dict[str, str]]:
    """``{key: {"zh": …, "en": …}}`` from the NOTES text."""
    out: dict[str, dict[str, str]] = {}
    key: str | None = None
    for line in text.splitlines():
        m = _HEAD.match(line)
        if m:
            key = m.group(1)
            out[key] = {}
            continue
        if line.startswith("#"):
            key = None
            continue
        if key is not None and line[:3] in ("zh:", "en:"):
            out[key][line[:2]] = line[3:].strip()
    return out


@functools.lru_cache(maxsize=4)
def readings(facilities_dir: Path | str = FACILITIES_DIR) -> dict[str, dict[str, str]]:
    return parse_readings((Path(facilities_dir) / "NOTES.md").read_text(encoding="utf-8"))


def reading_text(key: str | None, lang: str = "zh", facilities_dir: Path | str = FACILITIES_DIR) -> str | None:
    """The reading of ``key`` in the language (None for no key)."""
    if not key:
        return None
    found = readings(facilities_dir).get(key)
    if found is None:
        raise KeyError(f"facilities/NOTES.md has no reading {key!r}")
    return found.get(lang) or found.get("zh")
