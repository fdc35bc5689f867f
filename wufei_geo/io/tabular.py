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
from wufei_geo.errors import ValidationError

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


class ImportFileError(ValidationError):
    """The file as a whole cannot be used (encoding, format, columns, size): a keyed refusal
    (``import.<what>`` and its parameters; a ValueError as before)."""


# --- reading -------------------------------------------------------------------------------
def _utf8_evidence(line: bytes) -> tuple[int, list[tuple[int, int]]]:
    """(bytes of ``line`` in valid UTF-8 characters of 3–4 bytes — Chinese is E4–E9 xx xx; GBK text
    forms those only by chance —, [(column, byte) that is not UTF-8])."""
    good, bad, i = 0, [], 0
    while i < len(line):
        b = line[i]
        if b < 0x80:
            i += 1
            continue
        size = 2 if 0xC2 <= b <= 0xDF else 3 if 0xE0 <= b <= 0xEF else 4 if 0xF0 <= b <= 0xF4 else 0
        try:
            if size and len(line[i:i + size].decode("utf-8")) == 1:
                good += size if size >= 3 else 0
                i += size
                continue
        except UnicodeDecodeError:
            pass
        bad.append((i + 1, b))
        i += 1
    return good, bad


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM) first, then GBK/GB18030; anything else is refused.

    Decided for the whole file from the evidence of each line: a line that holds valid UTF-8
    characters (Chinese as E4–E9 xx xx …) besides bytes that are not UTF-8 — a stray cp1252 é,
    a GBK word pasted in — makes the file mixed, and it is refused naming the lines, the bytes and
    their columns (issue 15, issue 27: GB18030 decodes almost any byte string, so a UTF-8 file
    with one stray byte used to become mojibake, silently stored).  Only a file with no such line
    is read as GB18030.
    """
    if b"\x00" in data:  # UTF-16/32 or a binary file
        raise ImportFileError(key="import.encoding")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    utf8_lines, bad_lines, evidence = 0, [], []
    for n, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        good, bad = _utf8_evidence(line)
        if not bad:
            utf8_lines += 1
            continue
        if good >= 6 and good >= 2 * len(bad):  # UTF-8 text (two characters or more) with stray bytes in it
            utf8_lines += 1  # (measured on the plan's text: 0 of 431 GBK lines, 429 of 430 UTF-8 lines + one é)
        bad_lines.append(n)
        if len(evidence) < 5:
            evidence.append(ImportFileError(key="import.encoding_byte", params={
                "line": n, "column": bad[0][0], "byte": f"0x{bad[0][1]:02X}", "n": len(bad), "utf8": good}))
    if utf8_lines:  # real UTF-8 text next to bytes that are not: the file is mixed
        shown = ", ".join(map(str, bad_lines[:10])) + (" …" if len(bad_lines) > 10 else "")
        raise ImportFileError(key="import.mixed_encoding", params={"lines": shown, "evidence": evidence})
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise ImportFileError(key="import.encoding") from None


def check_size(size: int) -> None:
    """Refuse a file larger than :data:`MAX_FILE_BYTES` (ImportFileError)."""
    if size > MAX_FILE_BYTES:
        raise ImportFileError(key="import.too_big", params={"size": size / 2**20, "limit": MAX_FILE_BYTES / 2**20})


def too_big(what: str, **fmt: Any) -> ImportFileError:
    """The refusal of a table past a bound (``what``: rows, columns, cells, cell, chars, members,
    unpacked), worded by the catalogue's ``import.limit_<what>``."""
    return ImportFileError(key=f"import.limit_{what}", params=fmt)


def bounded_rows(rows: Any) -> list[list[str]]:
    """Rows (lists of cell texts) taken one at a time, refusing once any bound is passed."""
    out: list[list[str]] = []
    cells = chars = 0
    for row in rows:
        cells_here = ["" if v is None else str(v) for v in row]
        while cells_here and cells_here[-1] == "":
            cells_here.pop()
        if len(out) >= MAX_ROWS + 1:  # + the header
            raise too_big("rows", limit=MAX_ROWS)
        if len(cells_here) > MAX_COLUMNS:
            raise too_big("columns", n=len(cells_here), limit=MAX_COLUMNS)
        cells += len(cells_here)
        if cells > MAX_CELLS:
            raise too_big("cells", limit=MAX_CELLS)
        long = next((v for v in cells_here if len(v) > MAX_CELL_CHARS), None)
        if long is not None:
            raise too_big("cell", row=len(out) + 1, n=len(long), limit=MAX_CELL_CHARS)
        chars += sum(map(len, cells_here))
        if chars > MAX_TABLE_CHARS:
            raise too_big("chars", row=len(out) + 1, limit=MAX_TABLE_CHARS)
        out.append(cells_here)
    return out


def csv_rows(text: str) -> list[list[str]]:
    old = csv.field_size_limit()
    csv.field_size_limit(MAX_CELL_CHARS + 1)
    try:
        return bounded_rows(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        if "field larger" in str(exc):
            raise too_big("cell", row="?", n=MAX_CELL_CHARS + 1, limit=MAX_CELL_CHARS) from None
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
