"""The files of ``facilities/`` as files: their names and columns, which cells are required, the
problem a checker reports (:class:`Problem`) and the CSV reader every loader and checker uses
(:func:`read_rows`).  What the rows mean is :mod:`wufei_geo.facilities`."""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from wufei_geo.errors import ValidationError

SITES_FILE: Final = "sites.csv"
CAPACITIES_FILE: Final = "capacities.csv"
TARGETS_FILE: Final = "targets.csv"
PROJECTS_FILE: Final = "projects.csv"

#: Columns of ``sites.csv``: the seed part of ``model.SITE_COLUMNS`` plus the source coordinates.
SITE_FILE_COLUMNS: Final = (
    "site_id", "project_id", "name_zh", "name_en", "category", "wet_waste_mode", "town_code",
    "village", "address", "served_towns", "target_year", "target_status", "commissioned",
    "department", "implementer", "status", "status_as_of", "status_source", "status_source_zh",
    "src_lon", "src_lat", "src_datum", "precision", "location_source", "location_source_zh", "source_ref",
    "data_note", "data_note_zh", "existing_facility",
)
#: Texts users read that the files give in English with a Chinese version next to them
#: (``X`` → ``X_zh``): both are filled or both empty (checked by :func:`validate`).
SITE_TEXT_PAIRS: Final = (("status_source", "status_source_zh"), ("location_source", "location_source_zh"),
                          ("data_note", "data_note_zh"))
TARGET_TEXT_PAIRS: Final = (("note", "note_zh"),)
CAPACITY_COLUMNS: Final = ("site_id", "label", "value", "unit", "norm", "norm_unit", "source_ref")
TARGET_COLUMNS: Final = (
    "target_id", "level", "town_code", "category", "wet_waste_mode", "measure", "target_value",
    "unit", "target_year", "project_ids", "description_zh", "description_en", "source_ref", "note", "note_zh",
)
PROJECT_COLUMNS: Final = (
    "project_id", "name_zh", "name_en", "department", "implementer", "period", "content_zh",
    "mapped", "source_ref",
)
# Required (never empty) per file; every other column may be empty (= unknown).
REQUIRED: Final = {
    SITES_FILE: ("site_id", "project_id", "name_zh", "category", "target_year", "target_status",
                 "status", "status_as_of", "status_source", "precision", "source_ref"),
    CAPACITIES_FILE: ("site_id", "label", "value", "unit", "norm", "norm_unit", "source_ref"),
    TARGETS_FILE: ("target_id", "level", "measure", "target_value", "unit", "target_year",
                   "description_zh", "source_ref"),
    PROJECTS_FILE: ("project_id", "name_zh", "department", "period", "mapped", "source_ref"),
}
TARGET_LEVELS: Final = ("district", "town")
#: Items of 附表2 (task list) a target may name, by letter: A.1–A.29, B.1–B.12, C.1–C.5, D.1–D.11.
TASK_ITEMS: Final = {"A": 29, "B": 12, "C": 5, "D": 11}
# Precisions that place a marker on the site's own coordinate (and so need one), and back.
POINT_PRECISIONS: Final = frozenset({"exact", "address", "village"})
SITE_ID_PATTERN: Final = re.compile(r"^(E\.\d+)-(\d+)$")
# Relative tolerance between a written norm and value × factor (the files round to 9 digits).
NORM_RTOL: Final = 1e-9


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in a data file: ``file`` name, ``row`` = line number (1 = header; 0 = the
    file as a whole), the ``field`` (column) and a ``message`` a person can act on."""

    file: str
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}: {self.field or '-'}: {self.message}"


class SeedDataError(ValidationError):
    """The files in ``facilities/`` have problems; ``problems`` lists them all (key ``error.seed_data``)."""


class Unreadable(Exception):
    """A file that cannot be read at all (missing, wrong encoding, bad header); ``row`` 0 = the
    file, 1 = its header."""

    def __init__(self, message: str, row: int = 0) -> None:
        super().__init__(message)
        self.row = row


def read_rows(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a UTF-8 CSV (BOM allowed) as ``(line number, {column: stripped text})``."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise Unreadable("file not found") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        hint = ""
        try:
            raw.decode("gbk")
            hint = " (it reads as GBK: save it as UTF-8)"
        except UnicodeDecodeError:
            pass
        raise Unreadable(f"not UTF-8 text at byte {exc.start}{hint}") from None
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise Unreadable("empty file: no header row") from None
    missing = [c for c in columns if c not in header]
    extra = [h for h in header if h not in columns]
    if missing or extra:
        parts = []
        if missing:
            parts.append("missing column(s) " + ", ".join(missing))
        if extra:
            parts.append("unknown column(s) " + ", ".join(extra))
        raise Unreadable("; ".join(parts) + f" (expected: {', '.join(columns)})", row=1)
    rows = []
    line = reader.line_num
    for record in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        cells = dict(zip(header, (cell.strip() for cell in record), strict=False))
        if len(record) != len(header):
            cells["__width__"] = str(len(record))
        rows.append((start, cells))
    return rows
