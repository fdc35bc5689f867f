"""The store: migrations, seeding, reads, the one update path and its refusals (SQLite + PostgreSQL)."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from wufei_geo import auth, db
from wufei_geo.config import Settings
from wufei_geo.errors import NotAuthenticated, NotFound, PermissionDenied, StaleVersion, ValidationError
from wufei_geo.model import SITE_COLUMNS
from wufei_geo.store import Store

XIAYANG = "310118001"
ZHUJIAJIAO = "310118102"
# 夏阳街道's seat (reference/towns.csv), WGS-84: inside the district.
IN_DISTRICT = (121.11588, 31.14967)


@pytest.fixture
def seeded(store, site_record):
    store.seed([
        site_record("T.1-1"),
        site_record("T.1-2", town_code=ZHUJIAJIAO),
        site_record("T.2", town_code=None, precision="district"),
        site_record("T.3", category="pv", wet_waste_mode=None, capacity_value=2.369, capacity_unit="MW",
                    capacity_norm=2369.0, capacity_norm_unit="kW", capacity_components=[]),
    ])
    return store


def refused(store, exc_type, fn, *args, **kwargs):
    """Run a call that must be refused; assert the database content is unchanged."""
    before = store.content_hash()
    with pytest.raises(exc_type) as info:
        fn(*args, **kwargs)
    assert store.content_hash() == before, "a refused call changed the database"
    assert str(info.value)
    return info.value


# --- migrations --------------------------------------------------------------------------------


def test_empty_database_upgraded_to_head_has_the_tables(db_url):
    engine = db.make_engine(db_url)
    assert db.current_revision(engine) is None
    db.migrate(engine)
    assert db.current_revision(engine) == db.head_revision()
    names = set(sa.inspect(engine).get_table_names())
    assert {"sites", "users", "sessions", "audit", "zones", "meta", "alembic_version"} <= names
    site_cols = [c["name"] for c in sa.inspect(engine).get_columns("sites")]
    assert set(SITE_COLUMNS) <= set(site_cols) and "updated_at" in site_cols
    engine.dispose()


def test_migrations_match_the_table_definitions(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = db.make_engine(db_url)
    db.migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    engine.dispose()
    assert diff == []


def test_open_twice_is_a_no_op(db_url, site_record):
    first = Store.open(db_url, seed=False, settings=Settings(db_url=db_url))
    first.seed([site_record("T.1-1")])
    digest = first.content_hash()
    first.close()
    second = Store.open(db_url, seed=False, settings=Settings(db_url=db_url))
    assert second.content_hash() == digest
    assert db.current_revision(second.engine) == db.head_revision()
    second.close()


def test_sqlite_pragmas(sqlite_url):
    s = Store.open(sqlite_url, seed=False, settings=Settings(db_url=sqlite_url))
    with s.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    s.close()


def test_audit_rows_cannot_be_updated(seeded, planner):
    seeded.update_site(planner, "T.1-1", {"status": "under_construction"}, 1)
    with pytest.raises(sa.exc.DBAPIError):
        with seeded.engine.begin() as conn:
            conn.execute(sa.update(db.audit).values(new_value="forged"))
    assert seeded.history("T.1-1")[0]["new_value"] == "under_construction"


# --- seeding and reads -------------------------------------------------------------------------


def test_seed_and_reads(seeded):
    frame = seeded.sites_frame()
    assert list(frame.columns) == list(SITE_COLUMNS)
    assert list(frame["site_id"]) == ["T.1-1", "T.1-2", "T.2", "T.3"]
    assert set(frame["version"]) == {1}
    site = seeded.get_site("T.1-1")
    assert site["capacity_norm"] == 0.5 and site["status"] == "planned"
    assert json.loads(site["capacity_components"])[0]["unit"] == "kg/d"
    assert seeded.get_site("T.2")["town_code"] is None
    assert seeded.get_site("T.2")["lon"] is None  # unknown stays null
    assert seeded.history() == []  # the first seed is not an edit
    with pytest.raises(NotFound):
        seeded.get_site("nope")


def test_reseed_keeps_an_officials_change_and_adds_new_rows(seeded, official, site_record):
    seeded.update_site(official, "T.1-1", {"status": "under_construction", "commissioned": "2021-12"}, 1)
    seeded.seed([
        site_record("T.1-1", status="planned", name_zh="新名称", commissioned=None),  # plan text changed
        site_record("T.1-2", town_code=ZHUJIAJIAO),
        site_record("T.2", town_code=None, precision="district"),
        site_record("T.4", town_code=XIAYANG),  # a new plan row
    ])
    site = seeded.get_site("T.1-1")
    assert site["status"] == "under_construction"  # the official's change survives
    assert site["commissioned"] == "2021-12"
    assert site["status_source"] == "official: xiayang"
    assert site["name_zh"] == "新名称"  # a field nobody edited follows the plan
    assert seeded.get_site("T.4")["status"] == "planned"
    actions = {(r["site_id"], r["action"], r["field"]) for r in seeded.history()}
    assert ("T.4", "seed_add", None) in actions and ("T.1-1", "reseed", "name_zh") in actions
    # reseeding the same records again changes nothing
    digest = seeded.content_hash()
    counts = seeded.seed([site_record("T.4", town_code=XIAYANG)])
    assert counts == {"added": 0, "updated": 0, "unchanged": 1}
    assert seeded.content_hash() == digest


def test_seed_refuses_duplicate_ids(store, site_record):
    refused(store, ValidationError, store.seed, [site_record("A"), site_record("A")])


# --- the one update path ---------------------------------------------------------------------


def test_accepted_edit_bumps_version_and_audits_each_field(seeded, official):
    before = seeded.get_site("T.1-1")
    after = seeded.update_site(
        official, "T.1-1",
        {"status": "operating", "operating_capacity_value": 500, "operating_capacity_unit": "kg/d",
         "commissioned": "2023-06-30"},
        expected_version=1, note="验收完成",
    )
    assert after["version"] == before["version"] + 1 == 2
    assert after["status"] == "operating"
    assert after["operating_capacity_norm"] == 0.5
    assert after["status_source"] == "official: xiayang"
    assert after["status_as_of"] == seeded.today().isoformat()
    rows = seeded.history(site_id="T.1-1")
    fields = {r["field"]: r for r in rows}
    assert set(fields) == {"status", "operating_capacity_value", "operating_capacity_unit",
                           "operating_capacity_norm", "commissioned"}
    assert (fields["status"]["old_value"], fields["status"]["new_value"]) == ("planned", "operating")
    assert all(r["user_name"] == "xiayang" and r["note"] == "验收完成" and r["site_version"] == 2 for r in rows)
    assert all(r["at"].tzinfo is not None for r in rows)
    assert seeded.history(town_code=XIAYANG) == rows
    last = seeded.last_changes()["T.1-1"]
    assert last["field"] == "status" and len(last["changes"]) == 5 and last["at_local"]


def test_location_in_gcj02_is_converted_and_marked_exact(seeded, planner):
    from wufei_geo import crs

    gcj = crs.from_wgs84(*IN_DISTRICT, "gcj02")
    after = seeded.update_site(planner, "T.2", {"location": (gcj[0], gcj[1], "gcj02")}, 1)
    assert after["lon"] == pytest.approx(IN_DISTRICT[0], abs=1e-5)
    assert after["lat"] == pytest.approx(IN_DISTRICT[1], abs=1e-5)
    assert after["precision"] == "exact" and after["location_source"] == "official"


def test_note_only_edit_is_recorded(seeded, planner):
    after = seeded.update_site(planner, "T.1-1", {}, 1, note="现场核实，仍在规划中")
    assert after["version"] == 2
    (row,) = seeded.history("T.1-1")
    assert row["action"] == "note" and row["note"] == "现场核实，仍在规划中"


def test_dry_run_and_batch(seeded, planner):
    plan = seeded.check_update(planner, "T.1-1", {"status": "under_construction"}, 1)
    assert plan["changes"] == [{"field": "status", "old_value": "planned", "new_value": "under_construction"}]
    assert seeded.get_site("T.1-1")["version"] == 1
    from wufei_geo.errors import BatchRefused

    err = refused(seeded, BatchRefused, seeded.update_sites, planner, [
        ("T.1-1", {"status": "under_construction"}, 1, None),
        ("T.1-2", {"status": "bogus"}, 1, None),
    ])
    assert [(i, sid) for i, sid, _ in err.errors] == [(1, "T.1-2")]
    done = seeded.update_sites(planner, [
        ("T.1-1", {"status": "under_construction"}, 1, None),
        ("T.1-2", {"status": "under_construction"}, 1, None),
    ])
    assert [d["version"] for d in done] == [2, 2]


# --- refusals: each leaves the database unchanged -------------------------------------------


def test_refuses_anonymous(seeded):
    refused(seeded, NotAuthenticated, seeded.update_site, None, "T.1-1", {"status": "operating"}, 1)
    forged = auth.Actor(token="forged", user_id=1, name="admin", role="admin", town_code=None)
    refused(seeded, NotAuthenticated, seeded.update_site, forged, "T.1-1", {"status": "operating"}, 1)


def test_refuses_expired_session(seeded, official, clock):
    seeded.clock = clock
    actor = auth.resume(seeded, official.token)
    clock.advance(minutes=seeded.settings.session_idle_minutes + 1)
    refused(seeded, NotAuthenticated, seeded.update_site, actor, "T.1-1", {"status": "under_construction"}, 1)


def test_refuses_ended_session(seeded, official):
    auth.logout(seeded, official)
    refused(seeded, NotAuthenticated, seeded.update_site, official, "T.1-1", {"status": "under_construction"}, 1)


def test_refuses_disabled_user(seeded, official):
    auth.disable_user(seeded, "xiayang")
    refused(seeded, NotAuthenticated, seeded.update_site, official, "T.1-1", {"status": "under_construction"}, 1)


def test_refuses_another_towns_site_and_a_site_without_town(seeded, official):
    e = refused(seeded, PermissionDenied, seeded.update_site, official, "T.1-2", {"status": "under_construction"}, 1)
    assert ZHUJIAJIAO in str(e)
    refused(seeded, PermissionDenied, seeded.update_site, official, "T.2", {"status": "under_construction"}, 1)


def test_role_comes_from_the_database_not_the_actor_object(seeded, official):
    import dataclasses

    promoted = dataclasses.replace(official, role="admin", town_code=ZHUJIAJIAO)
    refused(seeded, PermissionDenied, seeded.update_site, promoted, "T.1-2", {"status": "under_construction"}, 1)


def test_refuses_unknown_site(seeded, planner):
    refused(seeded, NotFound, seeded.update_site, planner, "E.999", {"status": "operating"}, 1)


@pytest.mark.parametrize(
    "changes, note",
    [
        ({"status": "finished"}, None),  # unknown status
        ({"status": "suspended"}, None),  # note required
        ({"status": "cancelled"}, "  "),  # blank note is no note
        ({"colour": "red"}, None),  # not editable
        ({"capacity_norm": 600}, None),  # the plan's figure is not editable here
        ({"operating_capacity_value": 5, "operating_capacity_unit": "MW"}, None),  # unit of the wrong kind
        ({"operating_capacity_value": -1, "operating_capacity_unit": "t/d"}, None),
        ({"operating_capacity_value": float("nan"), "operating_capacity_unit": "t/d"}, None),
        ({"operating_capacity_value": "五百", "operating_capacity_unit": "t/d"}, None),
        ({"operating_capacity_value": 5, "operating_capacity_unit": "furlongs"}, None),
        ({"operating_capacity_value": 5}, None),  # no unit
        ({"commissioned": "2999-01-01"}, None),  # future
        ({"commissioned": "2023-02-30"}, None),  # no such day
        ({"commissioned": "30/06/2023"}, None),
        ({"location": (116.397, 39.909, "wgs84")}, None),  # Beijing: outside the district
        ({"location": (IN_DISTRICT[1], IN_DISTRICT[0], "wgs84")}, None),  # lat, lon swapped
        ({"location": (*IN_DISTRICT, "utm")}, None),
        ({"location": (float("inf"), 31.1, "wgs84")}, None),
        ({}, None),  # nothing to change
        ({"status": "planned"}, None),  # no change at all
    ],
)
def test_refuses_invalid_values(seeded, planner, changes, note):
    refused(seeded, ValidationError, seeded.update_site, planner, "T.1-1", changes, 1, note)


def test_refuses_backwards_move_without_note(seeded, planner):
    seeded.update_site(planner, "T.1-1", {"status": "operating"}, 1)
    e = refused(seeded, ValidationError, seeded.update_site, planner, "T.1-1", {"status": "under_construction"}, 2)
    assert "note" in str(e)
    seeded.update_site(planner, "T.1-1", {"status": "under_construction"}, 2, note="设备返修")
    assert seeded.get_site("T.1-1")["status"] == "under_construction"


def test_refuses_stale_version_and_says_who_changed_what(seeded, official, planner):
    seeded.update_site(planner, "T.1-1", {"status": "under_construction"}, 1)
    e = refused(seeded, StaleVersion, seeded.update_site, official, "T.1-1", {"status": "operating"}, 1)
    assert e.current_version == 2 and e.expected_version == 1
    assert "planner" in str(e) and "under_construction" in str(e)
    assert e.changes[0]["user_name"] == "planner"


def test_refuses_retired_site_and_retire_is_admin_only(seeded, admin, planner):
    refused(seeded, PermissionDenied, seeded.retire_site, planner, "T.1-1", "duplicate")
    refused(seeded, ValidationError, seeded.retire_site, admin, "T.1-1", "")
    seeded.retire_site(admin, "T.1-1", "duplicate of T.1-2")
    assert "T.1-1" not in set(seeded.sites_frame()["site_id"])
    assert "T.1-1" in set(seeded.sites_frame(include_retired=True)["site_id"])
    refused(seeded, ValidationError, seeded.update_site, planner, "T.1-1", {"status": "operating"}, 2)


def test_add_site_admin_only(seeded, admin, planner, site_record):
    record = {"site_id": "X.1", "name_zh": "新增站点", "category": "transfer_station", "town_code": XIAYANG,
              "location": (*IN_DISTRICT, "wgs84")}
    refused(seeded, PermissionDenied, seeded.add_site, planner, record)
    refused(seeded, ValidationError, seeded.add_site, admin, dict(record, category="rocket"))
    refused(seeded, ValidationError, seeded.add_site, admin, dict(record, site_id="T.1-1"))
    site = seeded.add_site(admin, record, note="区里新增")
    assert site["precision"] == "exact" and site["version"] == 1 and site["status"] == "planned"
    assert seeded.history("X.1")[0]["action"] == "add_site"
    # a later seed with the same id never touches an administrator's site
    seeded.seed([site_record("X.1", name_zh="计划名称")])
    assert seeded.get_site("X.1")["name_zh"] == "新增站点"


# --- zones -------------------------------------------------------------------------------------


def test_replace_zones(seeded, admin, planner):
    from wufei_geo import geodata

    zones = geodata.load_default_zones()[["town_code", "name_zh", "name_en", "geometry"]]
    assert seeded.zones() is None
    refused(seeded, PermissionDenied, seeded.replace_zones, planner, zones)
    refused(seeded, ValidationError, seeded.replace_zones, admin, zones.iloc[:10])
    refused(seeded, ValidationError, seeded.replace_zones, admin, zones.set_crs(None, allow_override=True))
    seeded.replace_zones(admin, zones.to_crs("EPSG:3857"), source="test file")
    got = seeded.zones()
    assert len(got) == 11 and set(got["boundary_quality"]) == {"official"}
    assert got.crs.to_epsg() == 4326
    assert got["area_km2"].sum() == pytest.approx(670, rel=0.1)  # Qingpu is about 670 km²
    assert len([r for r in seeded.history() if r["action"] == "replace_zones"]) == 11


def test_content_hash_sees_every_change(seeded, planner):
    digest = seeded.content_hash()
    seeded.update_site(planner, "T.1-1", {"status": "under_construction"}, 1)
    assert seeded.content_hash() != digest


def test_open_seeds_the_plan_once(db_url):
    from wufei_geo import facilities

    records = facilities.load_seed_sites()
    s = Store.open(db_url, settings=Settings(db_url=db_url))
    frame = s.sites_frame(include_retired=True)
    assert sorted(frame["site_id"]) == sorted(r["site_id"] for r in records)
    assert set(frame["version"]) == {1} and s.history() == []
    digest = s.content_hash()
    s.close()
    again = Store.open(db_url, settings=Settings(db_url=db_url))
    assert again.content_hash() == digest  # same seed files: nothing to do
    again.close()
