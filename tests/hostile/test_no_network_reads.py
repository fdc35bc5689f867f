"""Round two (issue 15): reading an uploaded boundary file never reaches the network or another file.

A listener on 127.0.0.1 stands for "the network": every hostile file names it (a CRS link, a CRS
name that is a URL, a VRT disguised as a Shapefile or GeoPackage, a .prj that is a URL); the file
must be refused and the listener must receive nothing.  A VRT naming a local file must not read it.
"""
from __future__ import annotations

import json
import socket
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest

from wufei_geo import crs, geodata
from wufei_geo.boundaries import BoundaryImportError
from wufei_geo.io import geofiles
from wufei_geo.io.geofiles import read_boundaries

from .results import record


class Listener:
    """Accepts TCP connections on 127.0.0.1 and remembers every one (and what it was sent)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.hits: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(0.5)
                try:
                    self.hits.append(conn.recv(4096) or b"(connected)")
                except OSError:
                    self.hits.append(b"(connected)")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    lst = Listener()
    try:
        yield lst
    finally:
        lst.close()


def _towns_wgs() -> gpd.GeoDataFrame:
    z = geodata.load_default_zones()
    return gpd.GeoDataFrame({"XZDM": z.town_code, "XZMC": z.name_zh}, geometry=z.geometry.values, crs="EPSG:4326")


def _vrt(src: str) -> str:
    return (f'<OGRVRTDataSource><OGRVRTLayer name="towns"><SrcDataSource>{src}</SrcDataSource>'
            "</OGRVRTLayer></OGRVRTDataSource>")


def _case_file(case: str, tmp: Path, url: str) -> Path:
    good = json.loads(_towns_wgs().to_json())
    if case == "geojson-crs-link":
        good["crs"] = {"type": "link", "properties": {"href": url + "/crs.wkt", "type": "ogcwkt"}}
        path = tmp / "towns.geojson"
        path.write_text(json.dumps(good), "utf-8")
    elif case == "geojson-crs-name-url":
        good["crs"] = {"type": "name", "properties": {"name": url + "/epsg/4326"}}
        path = tmp / "towns.geojson"
        path.write_text(json.dumps(good), "utf-8")
    elif case == "geojson-crs-name-vsicurl":
        good["crs"] = {"type": "name", "properties": {"name": "/vsicurl/" + url + "/crs.wkt"}}
        path = tmp / "towns.geojson"
        path.write_text(json.dumps(good), "utf-8")
    elif case in ("shp-zip-vrt-url", "shp-zip-vrt-local"):
        secret = tmp / "elsewhere" / "secret.geojson"
        secret.parent.mkdir()
        secret.write_text(json.dumps(good), "utf-8")
        src = "/vsicurl/" + url + "/towns.geojson" if case.endswith("url") else str(secret)
        path = tmp / "towns.zip"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("towns.shp", _vrt(src))
            zf.writestr("towns.prj", 'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
                                     'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]')
    elif case == "shp-zip-prj-url":
        folder = tmp / "shp"
        folder.mkdir()
        _towns_wgs().to_file(folder / "towns.shp", encoding="utf-8")
        (folder / "towns.prj").write_text(url + "/towns.prj")
        path = tmp / "towns.zip"
        with zipfile.ZipFile(path, "w") as zf:
            for f in sorted(folder.iterdir()):
                zf.write(f, f.name)
    elif case == "gpkg-virtualogr-local":
        import sqlite3

        path = tmp / "towns.gpkg"
        _towns_wgs().to_file(path, driver="GPKG")
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA writable_schema=ON")
        conn.execute("INSERT INTO sqlite_master VALUES('table','peek','peek',0,"
                     "'CREATE VIRTUAL TABLE peek USING VirtualOGR(''/etc/passwd'')')")
        conn.commit()
        conn.close()
    elif case == "gpkg-vrt-url":
        path = tmp / "towns.gpkg"
        path.write_text(_vrt("/vsicurl/" + url + "/towns.geojson"), "utf-8")
    else:
        raise AssertionError(case)
    return path


CASES = ("geojson-crs-link", "geojson-crs-name-url", "geojson-crs-name-vsicurl", "shp-zip-vrt-url",
         "shp-zip-vrt-local", "shp-zip-prj-url", "gpkg-vrt-url",
         "gpkg-virtualogr-local")


@pytest.mark.parametrize("case", CASES)
def test_boundary_file_reaches_no_network_and_no_other_file(case: str, tmp_path: Path, listener: Listener) -> None:
    url = f"http://127.0.0.1:{listener.port}"
    path = _case_file(case, tmp_path, url)
    with pytest.raises(BoundaryImportError) as exc:
        read_boundaries(path)
    with pytest.raises(BoundaryImportError):  # the 数据 page's path (bytes of an upload)
        geofiles.read_boundary_upload(path.read_bytes(), path.name)
    listener._stop.wait(0.3)
    assert listener.hits == [], f"the listener received {listener.hits!r}"
    record("files", case, "geofiles.read_boundaries / 数据 page upload", "refused",
           str(exc.value).splitlines()[1].strip() + " — listener on 127.0.0.1 received nothing")


def test_a_plain_file_still_reads(tmp_path: Path, listener: Listener) -> None:
    path = tmp_path / "towns.geojson"
    good = json.loads(_towns_wgs().to_json())
    good["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    path.write_text(json.dumps(good), "utf-8")
    out = read_boundaries(path)
    assert len(out) == 11 and listener.hits == []
    gpkg = tmp_path / "towns.gpkg"  # a GeoPackage with its R-tree index (a virtual table) still reads
    _towns_wgs().to_crs(crs.METRIC_CRS).to_file(gpkg, driver="GPKG")
    assert len(read_boundaries(gpkg)) == 11 and listener.hits == []
    record("files", "geojson-crs-urn", "geofiles.read_boundaries", "accepted_correctly",
           "an EPSG/OGC CRS name and a GeoPackage with its R-tree read; no request made")
