"""Issue 11 (numbers): the honest forecast (fixed "today", expectations derived by hand in the
comments), existing vs added capacity (E.11), the villages target, the status confirmation and
expected-date columns, rounded class breaks, one palette, every capacity component in the exports."""
from __future__ import annotations

import datetime as dt
import io
import json

import pandas as pd
import pytest
import sqlalchemy as sa

from wufei_geo import analysis, auth, db, mapview, palette
from wufei_geo.config import Settings, load_settings
from wufei_geo.errors import ValidationError
from wufei_geo.io import exports
from wufei_geo.model import PLAN_DATE, SITE_COLUMNS
from wufei_geo.reports import chart, texts

TODAY = dt.date(2025, 3, 1)  # 12 months back: statuses confirmed on or after 2024-03-01 are trusted
TARGET = {"target_id": "T", "level": "district", "category": "wet_waste", "measure": "capacity",
          "target_value": 100, "unit": "t/d", "target_year": 2025}


def site(sid: str, **kw: object) -> dict:
    row = {c: None for c in SITE_COLUMNS}
    row.update(site_id=sid, category="wet_waste", wet_waste_mode="on_site", status="planned",
               target_status="operating", retired=False, version=1, target_year=2025, existing_facility=False)
    row.update(kw)
    return row


def progress(*rows: dict, today: dt.date = TODAY, target: dict | None = None, months: int = 12):
    frame = pd.DataFrame(list(rows), columns=list(SITE_COLUMNS))
    (item,) = analysis.capacity_report(frame, [target or TARGET], today=today, confirmation_months=months)
    return item


# X: operating since 2023-05, 40 t/d — a fact.
X = site("X", status="operating", commissioned="2023-05", capacity_norm=40.0, status_confirmed_at="2023-05-10")
# Y: under construction, 70 t/d, expected 2026-06, status confirmed 2024-09-01 (within 12 months).
Y = site("Y", status="under_construction", capacity_norm=70.0, expected_commissioning="2026-06",
         status_confirmed_at="2024-09-01T08:00:00+00:00")


# --------------------------------------------------------------------------- the forecast
def test_reached_year_from_actual_and_confirmed_expected_dates() -> None:
    # 2023: 40 (X).  2026: 40 + 70 = 110 ≥ 100.  Nothing uncertain could arrive earlier → 2026.
    item = progress(X, Y)
    assert item.reached_year == 2026 and item.forecast_state == "expected" and item.forecast_basis == []
    assert item.reached_by_target_year is False  # 2026 > 2025
    # 2021 … 2026 (the latest expected date), then the bar of unknown year (nothing)
    assert [p["cumulative"] for p in item.projection] == [0, 0, 40, 40, 40, 110, 0]
    assert "2026" in texts.forecast_text(item, "en") and "after the target year 2025" in texts.forecast_text(item, "en")


def test_a_status_not_confirmed_within_the_period_makes_it_cannot_tell() -> None:
    # Y confirmed 2023-12-01: 15 months before 2025-03-01 → its expected date is not trusted.
    stale = dict(Y, status_confirmed_at="2023-12-01")
    item = progress(X, stale)
    assert item.reached_year is None and item.forecast_state == "cannot_tell" and item.forecast_basis == ["Y"]
    assert item.forecast_reasons == {"Y": ["status_unconfirmed"]}
    assert "Y" in texts.forecast_text(item, "zh") and "状态久未确认" in texts.forecast_text(item, "zh")
    # the period is a setting: with 18 months the same confirmation is recent enough → 2026
    assert progress(X, stale, months=18).reached_year == 2026


def test_a_passed_expected_date_is_not_moved_to_this_year() -> None:
    # Y expected 2024-12, still under construction on 2025-03-01: the date passed → cannot tell
    # (the old rule put it in "this year" and answered 2025).
    item = progress(X, dict(Y, expected_commissioning="2024-12"))
    assert item.reached_year is None and item.forecast_reasons == {"Y": ["expected_date_passed"]}
    # and moving today on never produces a year: on 2027-01-02 Y's 2026-06 has passed too
    later = progress(X, Y, today=dt.date(2027, 1, 2))
    assert later.reached_year is None and later.forecast_state == "cannot_tell" and later.forecast_basis == ["Y"]


def test_sites_without_dates_matter_only_when_they_could_change_the_answer() -> None:
    # Z: planned, 10 t/d, no expected date.  By 2025 at most 40 + 10 = 50 < 100, so Z cannot make it
    # earlier than 2026: the answer stays 2026 and does not depend on Z.
    z_small = site("Z", capacity_norm=10.0)
    item = progress(X, Y, z_small)
    assert item.reached_year == 2026 and item.forecast_basis == [] and item.undated_sites == ["Z"]
    # Z of 70 t/d could bring 40 + 70 = 110 already in 2025 → cannot tell, and Z is named
    item = progress(X, Y, site("Z", capacity_norm=70.0))
    assert item.reached_year is None and item.forecast_basis == ["Z"]
    assert item.forecast_reasons["Z"] == ["no_expected_date", "status_unconfirmed"]
    # Z of unknown capacity could bring anything → cannot tell
    item = progress(X, Y, site("Z"))
    assert item.forecast_basis == ["Z"] and "unknown_capacity" in item.forecast_reasons["Z"]


def test_not_reachable_with_the_registered_sites() -> None:
    # 40 + 30 = 70 < 100 and every capacity is known: no year, and it is not a "cannot tell"
    item = progress(X, dict(Y, capacity_norm=30.0))
    assert item.reached_year is None and item.forecast_state == "not_reachable" and item.forecast_basis == []
    assert item.reached_by_target_year is False


def test_already_reached_by_facts() -> None:
    # X2 operating since 2024-02 with 60 t/d: 40 + 60 = 100 in 2024; nothing else could be earlier
    x2 = site("X2", status="operating", commissioned="2024-02", capacity_norm=60.0)
    item = progress(X, x2, site("Z", capacity_norm=5.0))
    assert item.reached_year == 2024 and item.forecast_state == "reached" and item.state == "met"


def test_confirmation_period_is_a_setting(monkeypatch) -> None:
    assert Settings().status_confirmation_months == 12
    monkeypatch.setenv("WUFEI_STATUS_CONFIRMATION_MONTHS", "6")
    assert load_settings().status_confirmation_months == 6


# --------------------------------------------------------------------------- existing and added (E.11)
def test_existing_facility_counts_its_baseline_today_and_the_project_after() -> None:
    e11 = site("E.11-1", wet_waste_mode="centralised", capacity_norm=600.0, existing_facility=True)
    target = dict(TARGET, target_value=600)
    item = progress(e11, target=target)
    # operating today: the existing plant, capacity unknown → unknown (not 0); after the project: 600
    assert item.achieved is None and item.achieved_unknown_sites == ["E.11-1"]
    assert item.registered == 600 and item.unknown_capacity_sites["count"] == 0
    assert texts.achieved_text(item, "zh") == "未知（1 个站点能力未知）"
    assert item.forecast_reasons["E.11-1"] == ["no_expected_date", "status_unconfirmed", "unknown_existing_capacity"]
    # once its existing capacity is known (say 350 t/d) it counts today
    known = dict(e11, baseline_capacity_norm=350.0)
    item = progress(known, target=target)
    assert item.achieved == 350 and item.achieved_unknown_sites == [] and item.existing_capacity["value"] == 350
    # expected 2025-12, confirmed 2024-10: 350 now + 250 added in 2025 = 600 → reached 2025
    item = progress(dict(known, expected_commissioning="2025-12", status_confirmed_at="2024-10-01"), target=target)
    assert item.reached_year == 2025 and item.forecast_state == "expected"
    # after the project: 600 (its capacity after the project), the baseline no longer added
    done = progress(dict(known, status="operating", commissioned="2025-11"), target=target)
    assert done.achieved == 600 and done.existing_capacity["value"] == 0


def test_shipped_e11_is_the_existing_guoqing_plant(tmp_path) -> None:
    from wufei_geo.store import Store

    store = Store.open(f"sqlite:///{tmp_path / 'w.sqlite'}")
    e11 = store.get_site("E.11-1")
    assert e11["existing_facility"] is True and e11["baseline_capacity_norm"] is None  # not in the plan
    assert e11["capacity_norm"] == 600.0
    others = store.sites_frame()
    assert others["existing_facility"].sum() == 1
    # the seed's statuses are the plan's, confirmed by the plan on its date (E.8's by its cited source)
    assert set(others["status_confirmed_at"]) == {PLAN_DATE}
    assert (others["status_confirmed_by"] == others["status_source"]).all()
    assert others.set_index("site_id").loc["E.11-1", "status_confirmed_by"] == "plan (青府发〔2022〕53号)"
    store.close()


# --------------------------------------------------------------------------- the store's new fields
@pytest.fixture()
def store(tmp_path, clock):
    from wufei_geo.store import Store

    s = Store.open(f"sqlite:///{tmp_path / 'w.sqlite'}", clock=clock)
    auth.create_user(s, "zx", "town_official", "310118105", "correct horse battery")
    auth.create_user(s, "pl", "planner", None, "correct horse battery")
    yield s
    s.close()


def test_an_edit_confirms_the_status_and_expected_dates_are_audited(store, clock) -> None:
    actor = auth.authenticate(store, "zx", "correct horse battery")
    site = store.get_site("E.12-1")  # 赵巷 中步村
    after = store.update_site(actor, "E.12-1", {"expected_commissioning": "2026-09"}, site["version"])
    assert after["expected_commissioning"] == "2026-09"
    assert after["status_confirmed_at"] == clock.now.isoformat(timespec="seconds") and after["status_confirmed_by"] == "zx"
    rows = [h for h in store.history("E.12-1") if h["field"] == "expected_commissioning"]
    assert rows and rows[0]["new_value"] == "2026-09" and rows[0]["user_name"] == "zx"
    with pytest.raises(ValidationError):
        store.update_site(actor, "E.12-1", {"expected_commissioning": "next spring"}, after["version"])
    # the reseed never overwrites what a person confirmed
    store.seed_from_files()
    store.seed(__import__("wufei_geo.facilities", fromlist=["x"]).load_seed_sites())
    assert store.get_site("E.12-1")["status_confirmed_by"] == "zx"


def test_served_villages_make_the_villages_target_measured(store, clock) -> None:
    from wufei_geo.catalog import load_catalog

    def villages():
        cat = load_catalog(store)
        return next(r for r in analysis.capacity_report(cat.sites, cat.targets, today=clock.now.date())
                    if r.id == "D-wet-waste-villages")

    assert villages().state == "unmeasured" and texts.achieved_text(villages(), "zh") == "未测量"
    actor = auth.authenticate(store, "pl", "correct horse battery")
    site = store.get_site("E.12-2")  # 华新 嵩山村 + 西郊: serves 嵩山村 and (say) 新木桥村
    after = store.update_site(actor, "E.12-2", {"served_villages": "嵩山村、新木桥村；嵩山村"}, site["version"])
    assert json.loads(after["served_villages"]) == ["嵩山村", "新木桥村"]
    assert [h["field"] for h in store.history("E.12-2")][:1] == ["served_villages"]
    item = villages()
    # measured now; nothing operating yet → 0 achieved, 2 registered (+ other wet sites not filled in)
    assert item.measured and item.achieved == 0 and item.registered == 2
    assert "E.12-1" in item.unknown_capacity_sites["ids"]
    assert texts.registered_text(item, "en").startswith("≥ 2 villages")
    store.update_site(actor, "E.12-2", {"status": "operating"}, after["version"])
    assert villages().achieved == 2
    with pytest.raises(ValidationError):  # only wet-waste facilities serve villages
        store.update_site(actor, "E.9-1", {"served_villages": "中步村"}, store.get_site("E.9-1")["version"])


def test_migration_confirms_existing_statuses_at_their_status_date(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = db.make_engine(url)
    db.migrate(engine, "0001")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO sites (site_id, category, status, status_as_of, status_source, retired, version) "
            "VALUES ('A-1', 'wet_waste', 'operating', '2024-05-06', 'official: zx', 0, 3)")
    db.migrate(engine)
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT status_confirmed_at, status_confirmed_by, existing_facility, "
                                   "expected_commissioning, served_villages FROM sites")).one()
    assert tuple(row) == ("2024-05-06", "official: zx", 0, None, None)
    engine.dispose()


# --------------------------------------------------------------------------- breaks, palette
def test_class_breaks_are_round_and_labelled_with_units() -> None:
    # 0.5, 5, 10, 80 t/d: top 100 (the 1-2-5 value ≥ 80); quantile picks 5, 5, 10, 10 → 0, 5, 10, 100
    assert analysis.nice_breaks([0.5, 5, 10, 80, None]) == [0, 5, 10, 100]
    assert analysis.nice_breaks([0, 0]) == [0]
    figures = [analysis.TownFigures(c, c, c, {m: analysis.Quantity(None) for m in analysis.TOWN_MEASURES})
               for c in "abcde"]
    for f, v in zip(figures, [0.5, 5, 10, 80, None], strict=True):
        f.values["wet_waste_tpd"] = analysis.Quantity(v) if v is not None else analysis.Quantity(None, ("S",))
    scale, shades = analysis.town_shading(figures, "wet_waste_tpd", "zh")
    # classes that do not overlap: "none" its own class, each edge in the class below it
    assert scale.labels == ["无设施（0）", "> 0 – 5 吨/日", "> 5 – 10 吨/日", "> 10 – 100 吨/日"]
    assert [shades[c]["class"] for c in "abcde"] == [1, 1, 2, 3, None]
    assert scale.counts == [0, 2, 1, 1] and scale.unknown_count == 1
    assert shades["e"]["fill"] == palette.UNKNOWN_COLOUR and shades["e"]["text"] == "未知（1 个站点能力未知）"
    # a town with no facility: its own colour, neither the lowest shade nor unknown
    figures[0].values["wet_waste_tpd"] = analysis.Quantity(0)
    scale, shades = analysis.town_shading(figures, "wet_waste_tpd", "zh")
    assert shades["a"]["class"] == 0 and shades["a"]["fill"] == palette.NO_FACILITY_COLOUR
    assert len({palette.NO_FACILITY_COLOUR, palette.UNKNOWN_COLOUR, *scale.colours[1:]}) == len(scale.colours) + 1
    en = analysis.choropleth_scale(figures, "wet_waste_tpd", "en")
    assert en.labels[0] == "no facility (0)" and en.labels[-1] == "> 10 – 100 t/d"
    counts = analysis.choropleth_scale(figures, "site_count", "en")
    assert counts.labels[0] == "no sites (0)"


def test_one_status_palette_for_map_and_charts() -> None:
    assert mapview.STATUS_COLOURS is palette.STATUS_COLOURS is chart.STATUS_COLOURS


# --------------------------------------------------------------------------- every capacity travels
def test_every_capacity_component_reaches_every_export(tmp_path) -> None:
    import geopandas as gpd

    from wufei_geo.catalog import load_catalog
    from wufei_geo.store import Store

    store = Store.open(f"sqlite:///{tmp_path / 'w.sqlite'}")
    cat = load_catalog(store)
    words = "含铜蚀刻液（HW22）处理规模 20000 t/a; 废有机溶剂处理规模 18000 t/a; 废包装桶处理规模 20 万只/年"
    csv = pd.read_csv(io.BytesIO(exports.export_bytes(cat, "csv", "sites"))).set_index("site_id")
    assert csv.loc["E.5-1", "capacity_all"] == words and len(json.loads(csv.loc["E.5-1", "capacity_components"])) == 3
    xlsx = pd.read_excel(io.BytesIO(exports.export_bytes(cat, "xlsx", "sites"))).set_index("site_id")
    assert xlsx.loc["E.5-1", "capacity_all"] == words
    gj = json.loads(exports.export_bytes(cat, "geojson", "sites"))
    props = next(f["properties"] for f in gj["features"] if f["properties"]["site_id"] == "E.5-1")
    assert props["capacity_all"] == words and len(props["capacity_components"]) == 3
    path = tmp_path / "x.gpkg"
    path.write_bytes(exports.export_bytes(cat, "gpkg", None))
    gp = gpd.read_file(path, layer="sites").set_index("site_id")
    assert gp.loc["E.5-1", "capacity_all"] == words and len(json.loads(gp.loc["E.5-1", "capacity_components"])) == 3
    store.close()


def test_a_planner_sets_the_existing_plants_capacity_with_its_source(store, clock) -> None:
    from wufei_geo.catalog import load_catalog
    from wufei_geo.errors import PermissionDenied

    def wet():
        cat = load_catalog(store)
        return analysis.wet_waste_progress(analysis.capacity_report(cat.sites, cat.targets, today=clock.now.date()))

    assert wet().achieved is None  # the 国清 plant's present capacity is unknown
    official = auth.authenticate(store, "zx", "correct horse battery")
    planner = auth.authenticate(store, "pl", "correct horse battery")
    version = store.get_site("E.11-1")["version"]
    change = {"baseline_capacity_value": 400, "baseline_capacity_unit": "t/d"}
    with pytest.raises(PermissionDenied):
        store.update_site(official, "E.11-1", change, version, note="town figure")
    with pytest.raises(ValidationError, match="source"):
        store.update_site(planner, "E.11-1", change, version)  # no note naming the source
    with pytest.raises(ValidationError):  # only an existing facility has a capacity before its project
        store.update_site(planner, "E.12-1", change, store.get_site("E.12-1")["version"], note="x")
    after = store.update_site(planner, "E.11-1", change, version, note="区绿化市容局 2026 年报（示例来源）")
    assert after["baseline_capacity_norm"] == 400
    assert {h["field"] for h in store.history("E.11-1")} >= {"baseline_capacity_value", "baseline_capacity_norm"}
    item = wet()
    # operating today: 400 t/d (the existing plant) — after the plan's projects still 600 + 100.5
    assert item.achieved == 400 and item.achieved_unknown_sites == [] and item.registered == 700.5
    assert texts.achieved_text(item, "zh") == "400 吨/日"


def test_update_form_sets_expected_date_served_villages_and_the_baseline(tmp_path, monkeypatch) -> None:
    """AppTest: the 更新 form hands the issue-11 fields to update_site; the capacity page then shows them."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from wufei_geo.store import Store

    url = f"sqlite:///{tmp_path / 'form.sqlite'}"
    monkeypatch.setenv("WUFEI_DB_URL", url)
    store = Store.open(url)
    auth.create_user(store, "planner1", "planner", None, "correct horse battery")
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=180)
    at.run()
    at.switch_page("app_pages/pages/update.py").run()
    at.text_input(key="login_name").input("planner1")
    at.text_input(key="login_password").input("correct horse battery")
    next(b for b in at.button if b.label in ("登录", "Log in")).click()
    at.run()
    at.selectbox(key="update_pick").set_value("E.11-1").run()
    assert not at.exception, at.exception

    def key(prefix: str) -> str:
        keys = {w.key for w in [*at.text_input, *at.selectbox, *at.button, *at.text_area]
                if w.key and str(w.key).startswith(prefix)}
        assert len(keys) == 1, (prefix, keys)
        return keys.pop()

    at.text_input(key=key("upd_expected_")).input("2026-12")
    at.text_input(key=key("upd_villages_")).input("金家村、新谊村")
    at.text_input(key=key("upd_base_")).input("400")
    at.text_area(key=key("upd_note_")).input("现有能力：区绿化市容局函（示例来源）")
    at.run()
    at.button(key=key("upd_save_")).click()
    at.run()
    assert not at.exception, at.exception
    saved = store.get_site("E.11-1")
    assert saved["expected_commissioning"] == "2026-12"
    assert json.loads(saved["served_villages"]) == ["金家村", "新谊村"]
    assert saved["baseline_capacity_norm"] == 400 and saved["status_confirmed_by"] == "planner1"
    at.switch_page("app_pages/pages/capacity.py").run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["今日运行"] == "400 吨/日"
    store.close()
