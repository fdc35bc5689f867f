"""The assessment at a date with a fixed clock: the sites as they were that day (a site
commissioned after it does not count; a status changed after it does not change the answer),
the same answer when re-run later, the site attributes #47/#49/#58 and the place counter."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import TEST_PASSWORD, FakeClock
from wufei_geo import auth
from wufei_geo.config import Settings
from wufei_geo.register.assess import assess
from wufei_geo.register.entries import entry_by_id
from wufei_geo.register.history import sites_as_of
from wufei_geo.store import Store

DEADLINE = dt.date(2025, 12, 31)
UTC = dt.UTC


def _status(store, entry_id, as_of=DEADLINE, **kw):
    [a] = assess(store, as_of, [entry_by_id(entry_id)], **kw)
    return a


def _planner(store):
    """A planner logged in at the store's clock (sessions expire when the clock jumps)."""
    if not any(u["name"] == "plan1" for u in auth.list_users(store)):
        auth.create_user(store, "plan1", "planner", None, TEST_PASSWORD)
    return auth.authenticate(store, "plan1", TEST_PASSWORD)


@pytest.fixture
def plan_store(db_url):
    """The plan's seeded sites; the clock starts on 2025-11-01 (Shanghai morning)."""
    clock = FakeClock(dt.datetime(2025, 11, 1, 1, 0, tzinfo=UTC))
    s = Store.open(db_url, settings=Settings(db_url=db_url), clock=clock)
    yield s
    s.close()


def test_sites_as_they_were_at_the_deadline(plan_store):
    store = plan_store
    planner = _planner(store)
    # before the deadline: the construction-waste plant starts operating
    v = store.get_site("E.21-1")["version"]
    store.update_site(planner, "E.21-1", {"status": "operating", "commissioned": "2025-10"}, v, None)
    assert _status(store, "D-construction-waste-capacity").status == "met"
    assert _status(store, "D-sludge-capacity").status == "met"
    first = [a.to_dict() for a in assess(store)]

    # after the deadline: the sludge plant is suspended, a hub starts operating (commissioned 2026-01)
    store.clock.now = dt.datetime(2026, 2, 10, 2, 0, tzinfo=UTC)
    planner = _planner(store)
    v = store.get_site("E.8-1")["version"]
    store.update_site(planner, "E.8-1", {"status": "suspended"}, v, "检修停运")
    v = store.get_site("E.15-1")["version"]
    store.update_site(planner, "E.15-1", {"status": "operating", "commissioned": "2026-01-15"}, v, None)
    v = store.get_site("E.21-1")["version"]
    store.update_site(planner, "E.21-1", {"status": "suspended"}, v, "改造")

    # the deadline's answer does not change, today's does
    assert _status(store, "D-sludge-capacity").status == "met"
    assert _status(store, "D-construction-waste-capacity").status == "met"
    assert _status(store, "310118105-E.15-hubs").status == "not_met"
    today = dt.date(2026, 2, 28)
    assert _status(store, "D-sludge-capacity", today).status == "not_met"
    assert _status(store, "310118105-E.15-hubs", today).status == "met"
    # re-run later: the same answer for the same date
    store.clock.now = dt.datetime(2026, 6, 1, tzinfo=UTC)
    assert [a.to_dict() for a in assess(store)] == first
    # the reconstruction itself
    frame = sites_as_of(store, DEADLINE).set_index("site_id")
    assert frame.loc["E.8-1", "status"] == "operating" and frame.loc["E.15-1", "status"] == "planned"


def test_a_site_commissioned_after_the_date_does_not_count(store, site_record, clock):
    store.clock = clock
    store.seed([
        site_record("H.1", category="hazardous_waste", wet_waste_mode=None, status="operating",
                    commissioned="2026-01", capacity_norm_unit="t/yr"),
        site_record("H.2", category="hazardous_waste", wet_waste_mode=None, status="operating",
                    commissioned="2024-05", capacity_norm_unit="t/yr"),
    ])
    frame = sites_as_of(store, DEADLINE).set_index("site_id")
    assert frame.loc["H.1", "status"] == "under_construction" and frame.loc["H.2", "status"] == "operating"
    assert sites_as_of(store, dt.date(2026, 2, 1)).set_index("site_id").loc["H.1", "status"] == "operating"


def test_site_attributes_compute_47_49_58_unknown_until_entered(store, site_record, clock):
    store.clock = clock
    store.seed([
        site_record("H.1", category="hazardous_waste", wet_waste_mode=None, status="operating", capacity_norm_unit="t/yr"),
        site_record("H.2", category="hazardous_waste", wet_waste_mode=None, status="operating", capacity_norm_unit="t/yr"),
        site_record("W.1", status="operating"),
    ])
    for eid in ("47", "49", "58"):
        a = _status(store, eid)
        assert a.status == "unmeasured" and a.to_dict()["latest"] is None
    store.clock.now = dt.datetime(2025, 12, 1, tzinfo=UTC)
    planner = _planner(store)
    for sid, changes in (("H.1", {"pollution_insurance": "yes", "online_monitoring": "yes",
                                  "investment_yuan": "800000000"}),
                         ("W.1", {"online_monitoring": "no", "online_monitoring_since": None})):
        store.update_site(planner, sid, changes, store.get_site(sid)["version"], None)
    a49 = _status(store, "49")  # 1 of 2 insured, 1 unknown: 50–100 %
    assert (a49.status, a49.reading.value, a49.reading.upper) == ("unmeasured", 50.0, 100.0)
    a58 = _status(store, "58")  # H.1 yes, W.1 no, H.2 unknown: at most 66.7 % → cannot reach 100
    assert a58.status == "not_met" and a58.reading.value == pytest.approx(33.3333, abs=1e-3)
    a47 = _status(store, "47")  # 8 亿元 known, two sites unknown: not yet 12
    assert (a47.status, a47.reading.value, a47.reading.complete) == ("unmeasured", 8.0, False)
    store.update_site(planner, "H.2", {"investment_yuan": "450000000", "pollution_insurance": "yes"},
                      store.get_site("H.2")["version"], None)
    assert _status(store, "47").status == "met"  # 12.5 亿元 known is enough whatever W.1 brings
    assert _status(store, "49").status == "met"


def test_site_attributes_are_validated(store, site_record, clock):
    from wufei_geo.errors import ValidationError

    store.clock = clock
    store.seed([site_record("H.1", category="hazardous_waste", wet_waste_mode=None, capacity_norm_unit="t/yr")])
    planner = _planner(store)
    for changes in ({"online_monitoring": "maybe"}, {"investment_yuan": "-3"}, {"online_monitoring_since": "2030-01-01"}):
        with pytest.raises(ValidationError):
            store.update_site(planner, "H.1", changes, store.get_site("H.1")["version"], None)
    store.update_site(planner, "H.1", {"online_monitoring": "是", "online_monitoring_since": "2024-03"},
                      store.get_site("H.1")["version"], None)
    site = store.get_site("H.1")
    assert (site["online_monitoring"], site["online_monitoring_since"]) == ("yes", "2024-03")


def test_zero_waste_blocks_are_counted_from_the_places_or_an_injected_counter(store):
    # the places' own count: no approved 零浪费街区 in a fresh store is 0 of 2, not 未测量
    assert _status(store, "310118001-C.2-blocks").status == "not_met"
    calls = []

    def count(place_type, town, as_of):
        calls.append((place_type, town, as_of))
        return 2 if town == "310118001" else 1

    assert _status(store, "310118001-C.2-blocks", counter=count).status == "met"
    assert _status(store, "310118002-C.2-blocks", counter=count).status == "not_met"
    assert calls[0] == ("zero_waste_block", "310118001", DEADLINE)


def test_a_place_counts_with_the_status_it_had_on_the_assessment_date():
    import pandas as pd

    from wufei_geo.places.measures import place_counter

    log = ('[{"status": "creating", "at": "2025-06-01T08:00:00+00:00"},'
           ' {"status": "built", "at": "2026-02-01T08:00:00+00:00"}]')
    places = pd.DataFrame([{"place_id": "B1", "place_type": "zero_waste_block", "town_code": "310118106",
                            "status": "built", "status_log": log, "retired": False}])
    count = place_counter(places)
    assert count("zero_waste_block", "310118106", DEADLINE) == 0  # approved only after the deadline
    assert count("zero_waste_block", "310118106", dt.date(2026, 3, 1)) == 1
    assert count("zero_waste_block", "310118105", dt.date(2026, 3, 1)) == 0


def test_water_towns_and_cells_are_counted_from_the_places(store):
    calls = []

    def count(place_type, town, as_of):
        calls.append(place_type)
        return 1 if place_type == "water_town" else 2

    assert _status(store, "43", counter=count).status == "met"  # 1 approved 无废水乡镇, goal 1
    cells = _status(store, "38", counter=count)
    assert cells.reading.value == 2.0 * 7  # seven kinds of cell, two each
    assert {c for c in calls if c != "water_town"} and "cell_school" not in calls
