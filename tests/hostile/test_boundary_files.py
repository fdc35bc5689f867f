"""Round two (issue 15): official boundaries validated as a whole.

Each file below is well-formed — valid polygons, eleven known codes — and wrong as a whole: shifted
by a Chinese map datum, towns that each cover the district, specks, codes rotated onto neighbours'
polygons, a town of a million vertices.  Each is refused with every problem listed (CLI and store
unchanged).  A file with small overlaps is stored only after the administrator confirms the
warnings (CLI ``--accept-warnings``, the 数据 page's checkbox).
"""
from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from streamlit.testing.v1 import AppTest

from wufei_geo import crs, geodata
from wufei_geo.boundaries import BoundaryImportError
from wufei_geo.errors import ValidationError
from wufei_geo.io.geofiles import read_boundaries

from .helpers import PASSWORD, data_hash, login, run_cli
from .results import record

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _towns() -> gpd.GeoDataFrame:
    z = geodata.load_default_zones()
    return gpd.GeoDataFrame({"XZDM": z.town_code, "XZMC": z.name_zh}, geometry=z.geometry.values, crs="EPSG:4326")


def _shift(gdf: gpd.GeoDataFrame, datum: str) -> gpd.GeoDataFrame:
    def move(xy: np.ndarray) -> np.ndarray:
        lon, lat = crs.from_wgs84(xy[:, 0], xy[:, 1], datum)
        return np.column_stack([lon, lat])

    out = gdf.copy()
    out["geometry"] = [shapely.transform(g, move) for g in gdf.geometry]
    return out


def _write(gdf: gpd.GeoDataFrame, path: Path) -> Path:
    path.write_text(gdf.to_json(), "utf-8")
    return path


def _case(case: str, tmp: Path) -> Path:
    t = _towns()
    if case == "shifted-gcj02":
        return _write(_shift(t, "gcj02"), tmp / "gcj.geojson")
    if case == "shifted-bd09":
        return _write(_shift(t, "bd09"), tmp / "bd.geojson")
    if case == "each-covers-district":
        t["geometry"] = [geodata.load_district().geometry.iloc[0]] * len(t)
        return _write(t, tmp / "whole.geojson")
    if case == "eleven-specks":
        seats = geodata.town_seats()
        t["geometry"] = [shapely.Point(seats[c]).buffer(0.001) for c in t["XZDM"]]
        return _write(t, tmp / "specks.geojson")
    if case == "codes-rotated":
        codes = list(t["XZDM"])
        t["XZDM"] = codes[1:] + codes[:1]
        t["XZMC"] = list(t["XZMC"])[1:] + list(t["XZMC"])[:1]
        return _write(t, tmp / "rotated.geojson")
    if case == "million-vertices":
        g = t.geometry.iloc[3]
        dense = shapely.segmentize(g, g.length / 1_000_000)
        assert shapely.get_num_coordinates(dense) >= 1_000_000
        doc = json.loads(t.to_json())
        ring = np.round(shapely.get_coordinates(dense), 5).tolist()  # 1 m: keeps the file under the size limit
        doc["features"][3]["geometry"] = {"type": "Polygon", "coordinates": [ring]}
        path = tmp / "dense.geojson"
        path.write_text(json.dumps(doc, separators=(",", ":")), "utf-8")
        return path
    raise AssertionError(case)


EXPECT = {
    "shifted-gcj02": "GCJ-02",
    "shifted-bd09": "BD-09",
    "each-covers-district": "overlap",
    "eleven-specks": "reference area",
    "codes-rotated": "do not contain their own seat",
    "million-vertices": "vertices",
}


@pytest.mark.parametrize("case", sorted(EXPECT))
def test_boundary_file_wrong_as_a_whole_is_refused(env, case: str, tmp_path: Path, monkeypatch, capsys) -> None:
    path = _case(case, tmp_path)
    with pytest.raises(BoundaryImportError) as exc:
        read_boundaries(path)
    text = str(exc.value)
    assert EXPECT[case] in text, text
    if case == "each-covers-district":
        assert len([p for p in exc.value.problems if p.key == "problem.boundary.overlap"]) == 55  # every pair named
        assert "reference area" in text
    if case == "eleven-specks":
        assert len([p for p in exc.value.problems if p.key == "problem.boundary.area_refused"]) == 11
        assert "cover" in text
    before = data_hash(env)
    code, _, err = run_cli(monkeypatch, capsys, "import-boundaries", str(path), "--accept-warnings")
    assert code == 1 and "Traceback" not in err and "nothing was changed" in err
    assert data_hash(env) == before
    record("files", f"boundary-{case}", "geofiles.read_boundaries / cli:import-boundaries", "refused",
           str(exc.value.problems[0]))


def _overlapping(tmp: Path) -> tuple[Path, gpd.GeoDataFrame]:
    t = _towns()
    metric = t.to_crs(crs.METRIC_CRS)
    metric.loc[metric.index[0], "geometry"] = metric.geometry.iloc[0].buffer(40)  # 40 m into its neighbours
    return _write(metric.to_crs("EPSG:4326"), tmp / "overlap.geojson"), metric


def test_warnings_need_the_administrators_confirmation(env, tmp_path: Path, monkeypatch, capsys) -> None:
    path, _ = _overlapping(tmp_path)
    zones = read_boundaries(path)
    warnings = zones.attrs["warnings"]
    assert warnings and all(w.key == "problem.boundary.overlap" for w in warnings)
    before = data_hash(env)
    code, _, err = run_cli(monkeypatch, capsys, "import-boundaries", str(path))
    assert code == 1 and "--accept-warnings" in err and "边界重叠" in err  # in the run's language
    assert data_hash(env) == before
    with pytest.raises(ValidationError):  # the core, too: not without the confirmation
        env.replace_zones(login(env, "admin"), zones)
    assert data_hash(env) == before
    code, out, err = run_cli(monkeypatch, capsys, "import-boundaries", str(path), "--accept-warnings")
    assert code == 0, err
    assert env.zones() is not None and len(env.zones()) == 11
    record("files", "boundary-small-overlap", "cli:import-boundaries (--accept-warnings) / store.replace_zones",
           "refused", f"stored only after confirming {len(warnings)} warning(s): {warnings[0]}")


def test_data_page_checkbox_confirms_warnings(env, tmp_path: Path) -> None:
    path, _ = _overlapping(tmp_path)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("app_pages/pages/data.py").run()
    at.text_input(key="login_name").input("admin")
    at.text_input(key="login_password").input(PASSWORD)
    at.get("form_submit_button")[0].click().run()
    at.file_uploader(key="data_boundary_upload").set_value(("overlap.geojson", path.read_bytes(), "application/geo+json"))
    at.run()
    assert not at.exception, at.exception
    assert any("边界重叠" in c.value for c in at.code) and not any("overlap" in c.value for c in at.code)
    assert at.button(key="data_boundary_confirm").disabled
    assert env.zones() is None
    at.checkbox(key="data_boundary_accept").check().run()
    assert not at.button(key="data_boundary_confirm").disabled
    at.button(key="data_boundary_confirm").click().run()
    assert not at.exception, at.exception
    assert env.zones() is not None and len(env.zones()) == 11
    record("files", "boundary-small-overlap", "app:数据 boundary upload (warnings checkbox)", "refused",
           "the store button stays disabled until the warnings are confirmed")


def test_a_good_file_has_no_problem_and_no_warning(tmp_path: Path) -> None:
    zones = read_boundaries(_write(_towns(), tmp_path / "good.geojson"))
    assert zones.attrs["warnings"] == []
    record("files", "boundary-good", "geofiles.read_boundaries", "accepted_correctly", "no problems, no warnings")
