"""Texts from the data files in the reader's language.

The data files write notes and sources in English with a Chinese version in the column next to
it (``facilities/sites.csv``: ``status_source_zh``, ``location_source_zh``, ``data_note_zh``;
``facilities/targets.csv``: ``note_zh``; ``geodata/towns.csv``: ``seat_source_zh``,
``area_note_zh``, ``population_note_zh``, ``count_note_zh``).  The store keeps the English one
(its schema is unchanged); :func:`localise` turns a text that came from these files into Chinese
when the reader reads Chinese.  Text an official typed is not in the files and stays as written.
"""
from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from wufei_geo.paths import FACILITIES_DIR, GEODATA_DIR

_FILES: tuple[tuple[Path, tuple[str, ...]], ...] = (
    (FACILITIES_DIR / "sites.csv", ("status_source", "location_source", "data_note")),
    (FACILITIES_DIR / "targets.csv", ("note",)),
    (GEODATA_DIR / "towns.csv", ("seat_source", "area_note", "population_note", "count_note")),
)


@cache
def chinese_versions() -> dict[str, str]:
    """English text of the data files → its Chinese version (from the ``*_zh`` columns)."""
    out: dict[str, str] = {}
    for path, columns in _FILES:
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                for column in columns:
                    en, zh = (row.get(column) or "").strip(), (row.get(f"{column}_zh") or "").strip()
                    if en and zh:
                        out.setdefault(en, zh)
    return out


def localise(text: object, lang: str) -> object:
    """``text`` in ``lang``: a data-file text gets its Chinese version in zh; anything else
    (None, numbers, an official's own words) comes back unchanged."""
    if lang != "zh" or not isinstance(text, str) or not text:
        return text
    return chinese_versions().get(text.strip(), text)
