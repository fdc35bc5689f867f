"""Round two (issue 15): nothing the store holds can take the app down.

Bad zones and bad values are planted directly in the database (as a hand-edited database, an
old bug or a restore would leave them) and every page and the CLI's read commands are walked: each
must run without an exception, say that something is wrong where it matters, and fall back
(sites placed at their town seat) instead of failing.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from shapely.geometry import box, mapping
from streamlit.testing.v1 import AppTest

from app_pages import registry
from wufei_geo import catalog, db, geodata

from .helpers import PASSWORD, XIAYANG, run_cli
from .results import record

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGES = tuple(p.path for p in registry.PAGES)


def _plant_zones(store, case: str) -> None:
    """Official zones in the database, one of them bad (written with SQL, no validation)."""
    zones = geodata.load_default_zones()
    rows = []
    for code, zh, geom in zip(zones.town_code, zones.name_zh, zones.geometry, strict=False):
        text = json.dumps(mapping(geom))
        if code == XIAYANG:
            if case == "zone-400m-square":
                c = geom.representative_point()
                text = json.dumps(mapping(box(c.x - 0.002, c.y - 0.0018, c.x + 0.002, c.y + 0.0018)))
            elif case == "zone-bowtie":
                text = json.dumps({"type": "Polygon", "coordinates": [[[121.1, 31.1], [121.2, 31.2], [121.2, 31.1],
                                                                       [121.1, 31.2], [121.1, 31.1]]]})
            elif case == "zone-empty":
                text = json.dumps({"type": "Polygon", "coordinates": []})
            elif case == "zone-not-json":
                text = "<<not geojson>>"
            elif case == "zone-infinite":
                text = '{"type": "Polygon", "coordinates": [[[Infinity, 31.1], [121.2, 31.2], [121.2, 31.1], [Infinity, 31.1]]]}'
        rows.append({"town_code": code, "name_zh": zh, "name_en": None, "boundary_quality": "official",
                     "area_km2": 1.0, "geometry": text, "source": "planted", "imported_at": store.now()})
    if case == "zone-missing-town":
        rows = rows[1:]

    def work(conn):
        conn.execute(sa.delete(db.zones))
        conn.execute(sa.insert(db.zones), rows)

    store.run_write(work)


def _plant_values(store) -> None:
    """Values no validated path can write: infinite/NaN coordinates and capacities, unknown codes."""
    def work(conn):
        s = db.sites.c
        conn.execute(sa.update(db.sites).where(s.site_id == "H.1").values(lon=float("inf"), lat=float("nan")))
        conn.execute(sa.update(db.sites).where(s.site_id == "H.2").values(
            operating_capacity_value=float("inf"), operating_capacity_norm=float("nan"), status="exploded",
            town_code="999999999"))
        conn.execute(sa.update(db.sites).where(s.site_id == "H.3").values(lon=200.0, lat=-95.0, precision="bogus"))

    store.run_write(work)


CASES = ("zone-400m-square", "zone-bowtie", "zone-empty", "zone-not-json", "zone-infinite", "zone-missing-town",
         "bad-values")


@pytest.mark.parametrize("case", CASES)
def test_bad_store_contents_degrade_everywhere(env, case: str, monkeypatch, capsys, tmp_path: Path) -> None:
    if case == "bad-values":
        _plant_values(env)
    else:
        _plant_zones(env, case)
    cat = catalog.load_catalog(env)  # never raises
    assert len(cat.sites) >= 3
    if case != "bad-values":
        assert cat.warnings, "the catalog must say that it fell back"
    commands = [("sites",), ("sites", "--json"), ("capacity",), ("towns",),
                ("export", "--format", "csv", "--layer", "sites", "-o", str(tmp_path / "s.csv")),
                ("export", "--format", "gpkg", "-o", str(tmp_path / "all.gpkg")),
                ("export", "--format", "geojson", "--layer", "zones", "-o", str(tmp_path / "z.geojson")),
                ("report", "-o", str(tmp_path / "r.xlsx")), ("report", "-o", str(tmp_path / "r.pdf"))]
    for argv in commands:
        code, out, err = run_cli(monkeypatch, capsys, *argv)
        assert "Traceback" not in err + out, (argv, err)
        assert code == 0, (argv, err)
    record("store", case, "cli: sites, capacity, towns, export, report", "fault_survived",
           "; ".join(map(str, cat.warnings))[:200] if case != "bad-values" else "bad values shown as unknown")
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    at.switch_page(registry.PAGE_PATHS["data"]).run()
    at.text_input(key="login_name").input("admin")
    at.text_input(key="login_password").input(PASSWORD)
    at.get("form_submit_button")[0].click().run()
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        if case != "bad-values":
            assert any("边界" in w.value or "boundar" in w.value for w in at.warning), page
    record("store", case, "app: every page (admin)", "fault_survived", "pages ran; the fallback is announced")


@pytest.mark.postgres
@pytest.mark.parametrize("case", ["zone-400m-square", "zone-not-json", "bad-values"])
def test_bad_store_contents_degrade_on_postgresql(pg_url: str, case: str, monkeypatch, capsys, tmp_path: Path) -> None:
    from wufei_geo.config import Settings
    from wufei_geo.store import Store

    from .helpers import _block_plan_seed, test_sites

    monkeypatch.setenv("WUFEI_DB_URL", pg_url)
    store = Store.open(pg_url, seed=False, settings=Settings(db_url=pg_url))
    try:
        store.seed(test_sites())
        _block_plan_seed(store)
        if case == "bad-values":
            # PostgreSQL stores Infinity/NaN in float columns as SQLite does
            _plant_values(store)
        else:
            _plant_zones(store, case)
        cat = catalog.load_catalog(store)
        assert len(cat.sites) >= 3 and (case == "bad-values" or cat.warnings)
        for argv in (("sites",), ("capacity",), ("towns",), ("report", "-o", str(tmp_path / "r.pdf")),
                     ("export", "--format", "csv", "--layer", "sites", "-o", str(tmp_path / "s.csv"))):
            code, out, err = run_cli(monkeypatch, capsys, *argv)
            assert code == 0 and "Traceback" not in out + err, (argv, err)
    finally:
        store.close()
    record("store", case, "catalog + cli (PostgreSQL)", "fault_survived", "degraded with a warning on PostgreSQL too")
