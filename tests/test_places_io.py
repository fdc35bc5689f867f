"""Places through the command line, the bulk import and the exports (issue 24), on the real data."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys

import pyogrio
import pytest

from wufei_geo import catalog, cli
from wufei_geo.config import Settings
from wufei_geo.io import exports, place_import
from wufei_geo.places.store import place_book
from wufei_geo.store import Store

PW = "places password 1"
XUJING, XIAYANG = "310118106", "310118001"
RING = [[121.05, 31.10], [121.06, 31.10], [121.06, 31.11], [121.05, 31.11], [121.05, 31.10]]


@pytest.fixture
def env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'places.sqlite'}"
    monkeypatch.setenv("WUFEI_DB_URL", url)
    store = Store.open(url, settings=Settings(db_url=url))
    yield store
    store.close()


def run(monkeypatch, capsys, *argv, stdin=PW + "\n"):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def users(monkeypatch, capsys):
    for name, role, town in (("xj", "town_official", XUJING), ("xy", "town_official", XIAYANG),
                             ("pl", "planner", None), ("ad", "admin", None)):
        argv = ["users", "add", name, "--role", role, "--password-stdin"] + (["--town", town] if town else [])
        assert run(monkeypatch, capsys, *argv)[0] == 0


def c2(monkeypatch, capsys) -> dict[str, tuple]:
    code, out, _ = run(monkeypatch, capsys, "towns", "--json")
    assert code == 0
    return {card["town_code"]: (t["measure"], t["state"], t["achieved"], t["target"])
            for card in json.loads(out) for t in card["targets"] if t["id"].endswith("C.2-blocks")}


def test_towns_json_counts_c2_and_two_approved_blocks_meet_only_xujing(env, monkeypatch, capsys):
    fresh = c2(monkeypatch, capsys)
    assert len(fresh) == 11 and set(fresh.values()) == {("place_count", "not_started", 0, 2)}
    users(monkeypatch, capsys)
    for pid in ("XJ-1", "XJ-2"):
        code, out, err = run(monkeypatch, capsys, "places", "add", pid, "--name-zh", f"徐泾街区{pid}", "--type",
                             "zero_waste_block", "--town", "徐泾镇", "--status", "built", "--source", "验收文件",
                             "--user", "xj", "--password-stdin")
        assert code == 0, err
        assert "claim: built" in out
    assert c2(monkeypatch, capsys)[XUJING][1:3] == ("in_progress", 0)
    assert run(monkeypatch, capsys, "places", "approve", "XJ-1", "--user", "xj", "--password-stdin")[0] == 1
    for pid in ("XJ-1", "XJ-2"):
        assert run(monkeypatch, capsys, "places", "approve", pid, "--user", "pl", "--password-stdin")[0] == 0
    after = c2(monkeypatch, capsys)
    assert after[XUJING] == ("place_count", "met", 2, 2)
    assert {k: v for k, v in after.items() if k != XUJING} == {k: v for k, v in fresh.items() if k != XUJING}


def test_an_official_is_refused_another_towns_place_on_the_command_line(env, monkeypatch, capsys):
    users(monkeypatch, capsys)
    code, _, err = run(monkeypatch, capsys, "places", "add", "XY-9", "--name-zh", "x", "--type", "zero_waste_block",
                       "--town", XIAYANG, "--user", "xj", "--password-stdin")
    assert code == 1 and "place_other_town" in err
    code, _, err = run(monkeypatch, capsys, "places", "set", "PL-EDU-2", "--status", "creating", "--user", "xj",
                       "--password-stdin")
    assert code == 1 and "place_other_town" in err
    assert "XY-9" not in set(place_book(env).frame()["place_id"])
    assert place_book(env).get("PL-EDU-2")["status"] == "planned"


def _csv(rows: list[str]) -> bytes:
    return ("place_id,name_zh,place_type,town,lon,lat,address,status,status_source\n" + "\n".join(rows)).encode()


def test_bulk_import_dry_run_then_apply_and_only_administrators(env, monkeypatch, capsys, tmp_path):
    users(monkeypatch, capsys)
    data = _csv(["IM-1,盈浦零浪费街区,零浪费街区,盈浦街道,121.106,31.155,,已建成,区验收文件",
                 "IM-2,香花桥社区,cell_community,310118003,,,香花桥街道某路1号,creating,"])
    path = tmp_path / "places.csv"
    path.write_bytes(data)
    code, _, err = run(monkeypatch, capsys, "import-places", str(path), "--user", "xy", "--password-stdin")
    assert code == 1  # officials never bulk-import (so never into another town)
    code, out, _ = run(monkeypatch, capsys, "import-places", str(path), "--user", "ad", "--password-stdin")
    assert code == 0 and "dry run" in out
    assert not {"IM-1", "IM-2"} & set(place_book(env).frame()["place_id"])
    code, out, _ = run(monkeypatch, capsys, "import-places", str(path), "--user", "ad", "--password-stdin", "--apply")
    assert code == 0 and "applied: 2" in out
    book = place_book(env)
    im1, im2 = book.get("IM-1"), book.get("IM-2")
    assert (im1["status"], im1["precision"], im1["approved_by"]) == ("built", "exact", "ad")
    assert (im2["precision"], im2["lon"], im2["address"]) == ("town", None, "香花桥街道某路1号")  # no invented point
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv(["IM-3,x,zero_waste_block,nowhere,,,,creating,", "IM-4,y,zero_waste_block,徐泾镇,,,,creating,"]))
    code, _, err = run(monkeypatch, capsys, "import-places", str(bad), "--user", "ad", "--password-stdin", "--apply")
    assert code == 1 and "row 2" in err
    assert not {"IM-3", "IM-4"} & set(place_book(env).frame()["place_id"])  # all or nothing


def test_import_refuses_a_town_officials_file_through_the_core(env, make_user=None):
    from wufei_geo import auth

    auth.create_user(env, "xj2", "town_official", XUJING, PW)
    actor = auth.authenticate(env, "xj2", PW)
    from wufei_geo.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        place_import.import_places(env, actor, _csv(["IM-9,x,zero_waste_block,徐泾镇,,,,creating,"]), "p.csv",
                                   apply=True)


def test_exports_carry_the_places_and_a_places_area_as_polygon(env, tmp_path, monkeypatch, capsys):
    from wufei_geo import auth

    auth.create_user(env, "pl2", "planner", None, PW)
    planner = auth.authenticate(env, "pl2", PW)
    place_book(env).add(planner, {"place_id": "AREA-1", "name_zh": "朱家角街区<b>", "place_type": "zero_waste_block",
                                  "town_code": "310118102", "area": {"type": "Polygon", "coordinates": [RING]}})
    cat = catalog.load_catalog(env)
    gpkg = tmp_path / "all.gpkg"
    exports.write_export(gpkg, cat, "gpkg", layer=None)
    layers = dict(pyogrio.list_layers(gpkg))
    assert "places" in layers
    frame = pyogrio.read_dataframe(gpkg, layer="places")
    row = frame[frame["place_id"] == "AREA-1"].iloc[0]
    assert row.geometry.geom_type == "Polygon" and row.geometry.bounds == pytest.approx((121.05, 31.10, 121.06, 31.11))
    assert set(frame["place_id"]) >= {"PL-EDU-2", "PL-EDU-3", "PL-EDU-4"}
    geo = json.loads(exports.export_bytes(cat, "geojson", "places"))
    feats = {f["properties"]["place_id"]: f for f in geo["features"]}
    assert feats["AREA-1"]["geometry"]["type"] == "Polygon" and feats["PL-EDU-1"]["geometry"] is None
    csv = exports.export_bytes(cat, "csv", "places").decode("utf-8-sig")
    assert "AREA-1" in csv and "Polygon" in csv
    xlsx = exports.export_bytes(cat, "xlsx", "places", lang="en")
    assert xlsx[:2] == b"PK"
    gcj = json.loads(exports.export_bytes(cat, "geojson", "places", datum="gcj02"))
    moved = {f["properties"]["place_id"]: f for f in gcj["features"]}["AREA-1"]["geometry"]["coordinates"][0][0]
    assert moved != RING[0]  # shifted with the datum
    assert run(monkeypatch, capsys, "places", "--json")[0] == 0
    if shutil.which("ogrinfo"):
        out = subprocess.run(["ogrinfo", "-so", str(gpkg)], capture_output=True, text=True, check=True).stdout
        assert "places" in out


def test_hostile_text_in_a_place_is_escaped_on_the_map_and_neutralised_in_csv(env):
    from wufei_geo import auth, mapview
    from wufei_geo.errors import ValidationError
    from wufei_geo.mapview.places_layer import place_features

    auth.create_user(env, "pl3", "planner", None, PW)
    planner = auth.authenticate(env, "pl3", PW)
    hostile = "=HYPERLINK(\"x\")<img src=x onerror=alert(1)>{{7*7}}</script>"
    place_book(env).add(planner, {"place_id": "H-1", "name_zh": hostile, "place_type": "cell_school",
                                  "town_code": XIAYANG, "responsible_unit": "<b>单位</b>"})
    with pytest.raises(ValidationError):
        place_book(env).add(planner, {"place_id": "H-2", "name_zh": "bad\x00name", "place_type": "cell_school"})
    cat = catalog.load_catalog(env)
    feature = next(f for f in place_features(cat.places, "zh") if f["id"] == "H-1")
    for text in (feature["popup"], feature["tip"]):
        assert "<img" not in text and "{{" not in text and "</script" not in text
        assert "&lt;img" in text
    page = mapview.build_map(cat.sites, cat.zones, cat.district, towns=cat.towns, places=cat.places).get_root().render()
    assert "onerror=alert(1)>" not in page and "{{7*7}}" not in page
    csv = exports.export_bytes(cat, "csv", "places").decode("utf-8-sig")
    assert "'=HYPERLINK" in csv


def test_bulk_import_reads_xlsx_with_address_and_town(env):
    import openpyxl

    from wufei_geo import auth

    auth.create_user(env, "ad2", "admin", None, PW)
    admin = auth.authenticate(env, "ad2", PW)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["place_id", "name_zh", "place_type", "town", "address", "status"])
    ws.append(["X-1", "赵巷社区", "无废细胞·社区", "赵巷镇", "赵巷镇某路 8 号", "创建中"])
    buf = io.BytesIO()
    wb.save(buf)
    dry = place_import.import_places(env, admin, buf.getvalue(), "p.xlsx")
    assert dry.ok and dry.dry_run and [r["action"] for r in dry.rows] == ["add"]
    assert "X-1" not in set(place_book(env).frame()["place_id"])
    done = place_import.import_places(env, admin, buf.getvalue(), "p.xlsx", apply=True)
    assert done.ok
    x1 = place_book(env).get("X-1")
    assert (x1["place_type"], x1["town_code"], x1["status"], x1["precision"], x1["lon"]) == (
        "cell_community", "310118105", "creating", "town", None)


def test_the_places_legend_lists_only_the_statuses_on_the_map_with_counts():
    from wufei_geo.mapview.places_layer import legend_html

    zh = legend_html("zh", ["education_base"], {"planned": 4, "built": 1})
    assert "规划中 4" in zh and "已建成 1" in zh
    assert "已撤销" not in zh and "创建中" not in zh  # not on the map: not explained
    en = legend_html("en", ["education_base"], {"planned": 4})
    assert "Planned 4" in en and "Withdrawn" not in en
