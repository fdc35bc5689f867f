"""Tables of text cells (the CSV family): decoding CSV (UTF-8, GBK/GB18030), reading any table's rows
within bounds (CSV here, XLSX in :mod:`.excel`), and CSV for people (BOM, formulas neutralised).

Bounds (issue 15, size bombs) are checked while reading, before a table is built.  A whole-district
update is < 100 rows of 11 columns; an export sent back has ~45 columns.
"""
from __future__ import annotations

import csv
import io
import re
from typing import Any

import geopandas as gpd
import pandas as pd

from wufei_geo import i18n

# Files larger than this are refused before they are read (a whole-district export is < 1 MB;
# 100,000 sites are ~30 MB).
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_ROWS = 100_000
MAX_COLUMNS = 100
MAX_CELLS = 2_000_000
MAX_CELL_CHARS = 20_000
# What a table EXPANDS to (issue 27): the text of all its cells together, counted as the rows are
# read.  An XLSX cell is a reference into the shared strings, so 8.7 kB of references to one
# 20,000-character string passed every bound above and expanded to gigabytes once the cells were
# copied; a CSV can never hold more text than its bytes.  32 Mi characters is more than a
# 100,000-site export sent back holds (~20 Mi) and keeps a read of a table within ~0.5 GB.
MAX_TABLE_CHARS = 32 * 1024 * 1024


def msg(key: str, lang: str, **fmt: Any) -> str:
    """A message of the import family from the catalogue (``import.<key>``)."""
    return i18n.t(f"import.{key}", lang, **fmt)


class ImportFileError(ValueError):
    """The file as a whole cannot be used (encoding, format, columns, size)."""


# --- reading -------------------------------------------------------------------------------
def decode_csv(data: bytes, lang: str = "zh") -> str:
    """UTF-8 (with or without BOM) first, then GBK/GB18030; anything else is refused.

    A file that is UTF-8 except for some lines is refused naming them (issue 15: a stray byte
    used to turn a UTF-8 file into GB18030 mojibake, silently stored).
    """
    if b"\x00" in data:  # UTF-16/32 or a binary file
        raise ImportFileError(msg("encoding", lang))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    utf8_lines, bad_lines = 0, []
    for n, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8_lines += 1
        except UnicodeDecodeError:
            bad_lines.append(n)
    if utf8_lines:  # real UTF-8 text next to lines that are not: the file is mixed
        shown = ", ".join(map(str, bad_lines[:10])) + (" …" if len(bad_lines) > 10 else "")
        raise ImportFileError(msg("mixed_encoding", lang, lines=shown))
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise ImportFileError(msg("encoding", lang)) from None


def check_size(size: int, lang: str = "zh") -> None:
    """Refuse a file larger than :data:`MAX_FILE_BYTES` (ImportFileError)."""
    if size > MAX_FILE_BYTES:
        raise ImportFileError(msg("too_big", lang, size=size / 2**20, limit=MAX_FILE_BYTES / 2**20))


def too_big(what: str, lang: str, **fmt: Any) -> ImportFileError:
    return ImportFileError(msg(f"limit_{what}", lang, **fmt))


def bounded_rows(rows: Any, lang: str) -> list[list[str]]:
    """Rows (lists of cell texts) taken one at a time, refusing once any bound is passed."""
    out: list[list[str]] = []
    cells = chars = 0
    for row in rows:
        cells_here = ["" if v is None else str(v) for v in row]
        while cells_here and cells_here[-1] == "":
            cells_here.pop()
        if len(out) >= MAX_ROWS + 1:  # + the header
            raise too_big("rows", lang, limit=MAX_ROWS)
        if len(cells_here) > MAX_COLUMNS:
            raise too_big("columns", lang, n=len(cells_here), limit=MAX_COLUMNS)
        cells += len(cells_here)
        if cells > MAX_CELLS:
            raise too_big("cells", lang, limit=MAX_CELLS)
        long = next((v for v in cells_here if len(v) > MAX_CELL_CHARS), None)
        if long is not None:
            raise too_big("cell", lang, row=len(out) + 1, n=len(long), limit=MAX_CELL_CHARS)
        chars += sum(map(len, cells_here))
        if chars > MAX_TABLE_CHARS:
            raise too_big("chars", lang, row=len(out) + 1, limit=MAX_TABLE_CHARS)
        out.append(cells_here)
    return out


def csv_rows(text: str, lang: str) -> list[list[str]]:
    old = csv.field_size_limit()
    csv.field_size_limit(MAX_CELL_CHARS + 1)
    try:
        return bounded_rows(csv.reader(io.StringIO(text, newline=""), strict=True), lang)
    except csv.Error as exc:
        if "field larger" in str(exc):
            raise too_big("cell", lang, row="?", n=MAX_CELL_CHARS + 1, limit=MAX_CELL_CHARS) from None
        raise
    finally:
        csv.field_size_limit(old)


# --- CSV for people --------------------------------------------------------------------------
def plain_table(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """A layer's attributes without its geometry."""
    return pd.DataFrame(gdf.drop(columns="geometry"))


# A text cell starting with one of these is read as a formula by Excel/WPS/LibreOffice (OWASP
# "CSV injection"); a plain number such as -3.5 is not and stays as it is.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def neutralise_formula(value: Any) -> Any:
    """``'`` + text for a text cell a spreadsheet would run as a formula, else the value unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def people_csv(frame: pd.DataFrame) -> bytes:
    """CSV meant to be opened by people in a spreadsheet: UTF-8 with BOM (Excel shows Chinese) and
    every text cell that would start a formula prefixed with ``'`` (issue 15, OWASP rule).
    Machine-readable exports (GeoJSON, GeoPackage) keep text verbatim; see docs/schema.md."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise_formula)
    out.columns = [neutralise_formula(str(c)) for c in out.columns]
    # CRLF rows (RFC 4180): the writer then quotes any field holding a CR or LF, so a stray CR in
    # a text can never split a row.
    return out.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def to_csv_bytes(layer: str, gdf: gpd.GeoDataFrame) -> bytes:
    """CSV, UTF-8 with BOM (Excel opens Chinese correctly), formulas neutralised (:func:`people_csv`);
    polygons are not written to CSV."""
    return people_csv(plain_table(gdf))


def layer_csv(layers: dict[str, gpd.GeoDataFrame], datum: str, lang: str | None = None) -> bytes:
    """The export writer of ``formats.FORMATS["csv"]`` (one layer)."""
    ((layer, gdf),) = layers.items()
    return to_csv_bytes(layer, gdf)
