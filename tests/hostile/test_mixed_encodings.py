"""Round three (issue 27): a file's encoding is decided from the evidence of every line — one stray
cp1252 byte on a line with Chinese UTF-8 text makes the file mixed (refused, naming the line, the
byte and its column), never GB18030 mojibake; a whole-GBK file is still read as GBK."""
from __future__ import annotations

import pytest

from wufei_geo.io import bulk_import

from .helpers import data_hash, login
from .results import record

GOOD = "site_id,version,status,note\nH.1,1,suspended,设备检修 cafe\nH.3,1,under_construction,开工\n"


@pytest.mark.parametrize(("case", "stray", "where"), [
    ("csv-stray-cp1252-on-chinese-line", b"\xe9", "line 2"),  # é in cp1252
    ("csv-stray-cp1252-quote", b"\x93", "line 2"),  # “ in cp1252
])
def test_a_stray_byte_on_a_chinese_line_is_refused_with_its_evidence(env, case: str, stray: bytes, where: str) -> None:
    official = login(env, "xiayang")
    data = GOOD.encode().replace(b"cafe", b"caf" + stray)
    before = data_hash(env)
    report = bulk_import.plan_import(env, official, data, "stray.csv", "en")
    (error,) = report.errors
    assert "mixed" in error.message and f"{where}, column" in error.message and f"0x{stray[0]:02X}" in error.message
    assert data_hash(env) == before
    zh = bulk_import.plan_import(env, official, data, "stray.csv", "zh").errors[0].message
    assert "编码混杂" in zh and f"0x{stray[0]:02X}" in zh
    gbk = bulk_import.plan_import(env, official, GOOD.encode("gbk"), "gbk.csv", "en")
    assert gbk.ok and gbk.rows[0].note == "设备检修 cafe"
    record("files", case, "bulk_import (CSV)", "refused", error.message)
