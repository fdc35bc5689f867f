"""Small files that would inflate: the inputs the readers must refuse (issue 15).

Used by ``bench/fig_limits.py`` (peak memory while refusing) and ``tests/hostile``.  Each builder
returns ``(bytes, file name)``; none is large on disk, each would be large in memory if a reader
trusted it.  The large parts are streamed into the zip, never held whole.
"""
from __future__ import annotations

import io
import json
import zipfile

import openpyxl

_HEADER = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def _workbook_with_sheet(sheet_xml_chunks, name: str) -> tuple[bytes, str]:
    """A valid XLSX whose first sheet's XML is streamed from ``sheet_xml_chunks`` (deflated)."""
    base = io.BytesIO()
    book = openpyxl.Workbook()
    book.active["A1"] = "site_id"
    book.save(base)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with dst.open(_deflated("xl/worksheets/sheet1.xml"), "w", force_zip64=True) as fh:
                    for chunk in sheet_xml_chunks:
                        fh.write(chunk)
            else:
                dst.writestr(info, src.read(info.filename))
    return out.getvalue(), name


def _rows_xml(n_rows: int, cols: int = 2, dimension: str | None = None):
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    yield (_HEADER + dim + "<sheetData>").encode()
    yield b'<row r="1"><c r="A1" t="inlineStr"><is><t>site_id</t></is></c><c r="B1" t="inlineStr"><is><t>status</t></is></c></row>'
    batch = []
    for r in range(2, n_rows + 2):
        cells = "".join(f'<c r="{chr(65 + c)}{r}" t="inlineStr"><is><t>H.{r}</t></is></c>' for c in range(min(cols, 2)))
        batch.append(f'<row r="{r}">{cells}</row>')
        if len(batch) == 10_000:
            yield "".join(batch).encode()
            batch = []
    yield ("".join(batch) + "</sheetData></worksheet>").encode()


def xlsx_many_rows(n_rows: int = 150_000) -> tuple[bytes, str]:
    return _workbook_with_sheet(_rows_xml(n_rows), "rows.xlsx")


def xlsx_forged_dimension() -> tuple[bytes, str]:
    """Three rows claiming to span A1:XFD1048576 (17 billion cells if a reader pads to it)."""
    return _workbook_with_sheet(_rows_xml(2, dimension="A1:XFD1048576"), "dimension.xlsx")


def xlsx_wide_row(n_cols: int = 5_000) -> tuple[bytes, str]:
    def chunks():
        yield (_HEADER + "<sheetData><row r=\"1\">").encode()
        yield "".join(f'<c r="{_col(c)}1" t="inlineStr"><is><t>c{c}</t></is></c>' for c in range(n_cols)).encode()
        yield b"</row></sheetData></worksheet>"

    return _workbook_with_sheet(chunks(), "wide.xlsx")


def xlsx_unpacked(mb: int = 1024) -> tuple[bytes, str]:
    """A sheet whose XML is ``mb`` MB of blanks (compresses ~1000:1)."""
    def chunks():
        yield (_HEADER + "<sheetData>").encode()
        blank = b" " * (1 << 20)
        for _ in range(mb):
            yield blank
        yield b"</sheetData></worksheet>"

    return _workbook_with_sheet(chunks(), "unpacked.xlsx")


def xlsx_long_cell(n_chars: int = 10_000_000) -> tuple[bytes, str]:
    def chunks():
        yield (_HEADER + '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>site_id</t></is></c>'
               '<c r="B1" t="inlineStr"><is><t>note</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>H.1</t></is></c>'
               '<c r="B2" t="inlineStr"><is><t>').encode()
        block = "无" * (1 << 18)
        for _ in range(n_chars // len(block)):
            yield block.encode()
        yield b"</t></is></c></row></sheetData></worksheet>"

    return _workbook_with_sheet(chunks(), "longcell.xlsx")


def csv_many_rows(n_rows: int = 150_000) -> tuple[bytes, str]:
    return ("site_id,status\n" + "".join(f"H.{i},operating\n" for i in range(n_rows))).encode(), "rows.csv"


def csv_long_note(n_chars: int = 10_000_000) -> tuple[bytes, str]:
    return ("site_id,version,status,note\nH.1,1,suspended," + "无" * n_chars + "\n").encode(), "longnote.csv"


def geojson_dense(n_vertices: int = 1_000_000) -> tuple[bytes, str]:
    """One feature of ``n_vertices`` positions (a few tens of MB of text)."""
    ring = [[121.0 + (i % 1000) * 1e-5, 31.0 + (i // 1000) * 1e-5] for i in range(n_vertices - 1)] + [[121.0, 31.0]]
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"XZDM": "310118001"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]}
    return json.dumps(doc, separators=(",", ":")).encode(), "dense.geojson"


def zip_bomb_shapefile(mb: int = 1024) -> tuple[bytes, str]:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open(_deflated("towns.shp"), "w", force_zip64=True) as fh:
            fh.write(b"\x00\x00\x27\x0a")
            zero = b"\0" * (1 << 20)
            for _ in range(mb):
                fh.write(zero)
        zf.writestr("towns.prj", 'GEOGCS["WGS 84"]')
    return out.getvalue(), "bomb.zip"


def _deflated(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED  # a bare ZipInfo would be stored uncompressed
    return info


def _col(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_MINIMAL_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        "</Types>"),
    "_rels/.rels": (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG_REL_NS}"><Relationship Id="rId1" '
        f'Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><sheets>'
        '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG_REL_NS}">'
        f'<Relationship Id="rId1" Type="{_REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL_NS}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'),
}


def xlsx_shared_string(n_rows: int = 1_850, cols: int = 50, n_chars: int = 20_000) -> tuple[bytes, str]:
    """An XLSX of about 8.7 kB whose every body cell points at ONE shared string of ``n_chars``
    characters (issue 27): every size bound passes (file, unpacked size, rows, cells, characters
    per cell), yet the cells expand to ``n_rows * cols * n_chars`` characters (1,850 rows × 50 cells × 20,000 = 1.85 thousand million)."""
    sst = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN_NS}" count="3" uniqueCount="3">'
           f'<si><t>site_id</t></si><si><t>note</t></si><si><t>{"废" * n_chars}</t></si></sst>')
    row = "<row>" + '<c t="s"><v>2</v></c>' * cols + "</row>"

    def chunks():
        yield (_HEADER + '<sheetData><row><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row>').encode()
        done = 0
        while done < n_rows:
            step = min(1000, n_rows - done)
            yield (row * step).encode()
            done += step
        yield b"</sheetData></worksheet>"

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for name, text in _MINIMAL_PARTS.items():
            dst.writestr(_deflated(name), text)
        dst.writestr(_deflated("xl/sharedStrings.xml"), sst)
        with dst.open(_deflated("xl/worksheets/sheet1.xml"), "w") as fh:
            for chunk in chunks():
                fh.write(chunk)
    return out.getvalue(), "shared-string.xlsx"
