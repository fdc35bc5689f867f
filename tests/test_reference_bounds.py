"""Plausibility without a reference (wufei_geo.reference_bounds), on the plan's own sites: the
market sites of E.13 have no design capacity and no previous value; a typo there must still be
caught, and an edit that moves the district headline by more than half goes to 待核实."""
from __future__ import annotations

import datetime as dt

import pytest

from wufei_geo import analysis, auth, facilities, i18n, reference_bounds
from wufei_geo.config import Settings
from wufei_geo.errors import ImplausibleEdit
from wufei_geo.store import Store

XUJING = "310118106"
TODAY = dt.date(2026, 3, 2)


@pytest.fixture
def plan_store(db_url):
    s = Store.open(db_url, seed=True, settings=Settings(db_url=db_url))
    try:
        yield s
    finally:
        s.close()


def _headline(store) -> float | None:
    """The district's wet-waste capacity operating today, as the analysis core computes it."""
    wet = analysis.wet_waste_progress(analysis.capacity_report(store.sites_frame(), facilities.load_targets(), today=TODAY))
    return wet.achieved


def _login(store, name, role, town=None):
    auth.create_user(store, name, role, town, "a long enough password")
    return auth.authenticate(store, name, "a long enough password")


def test_bounds_are_the_plans_largest_facility_of_each_kind_with_the_source():
    bounds = reference_bounds.category_bounds()
    on_site, centralised = bounds[("wet_waste", "on_site")], bounds[("wet_waste", "centralised")]
    assert (on_site.value, on_site.site_id, on_site.source_ref) == (80.0, "E.12-2", "附表3 E.12")
    assert (centralised.value, centralised.site_id) == (600.0, "E.11-1")
    assert bounds[("construction_waste", None)].value == 500000.0
    assert bounds[("sludge", None)].value == 300.0


@pytest.mark.parametrize("typo", [5000, 300])
def test_market_site_typo_by_its_official_is_refused_then_held_as_a_proposal(plan_store, typo):
    official = _login(plan_store, "xujing", "town_official", XUJING)
    site = plan_store.get_site("E.13-5")
    assert site["capacity_norm"] is None and site["operating_capacity_norm"] is None  # no reference of its own
    before, content = _headline(plan_store), plan_store.content_hash()
    edit = {"status": "operating", "operating_capacity_value": typo, "operating_capacity_unit": "t/d"}
    with pytest.raises(ImplausibleEdit) as exc:
        plan_store.update_site(official, "E.13-5", edit, site["version"])
    rules = [v.rule for v in exc.value.violations]
    assert "capacity_above_bound" in rules
    assert ("headline_share" in rules) == (typo == 5000)  # 300 t/d moves 305 → 605: half the 600 t/d goal exactly
    bound = next(v for v in exc.value.violations if v.rule == "capacity_above_bound")
    assert bound.params["bound"] == 80.0 and bound.params["source_ref"] == "附表3 E.12"
    for v in exc.value.violations:  # every rule is worded from its key and parameters, in both languages
        assert all(i18n.t(f"rule.{v.rule}", lang, **v.params) for lang in ("zh", "en"))
    assert plan_store.content_hash() == content
    stored = plan_store.update_site(official, "E.13-5", edit, site["version"], note="市场自报", insist=True)
    assert stored["proposal"]["status"] == "pending"
    assert _headline(plan_store) == before
    assert plan_store.get_site("E.13-5")["status"] == site["status"]


def test_plausible_market_capacity_passes(plan_store):
    official = _login(plan_store, "xujing", "town_official", XUJING)
    before = _headline(plan_store)
    site = plan_store.get_site("E.13-5")
    plan_store.update_site(official, "E.13-5", {"status": "operating", "operating_capacity_value": 3,
                                                 "operating_capacity_unit": "t/d"}, site["version"])
    assert _headline(plan_store) == pytest.approx((before or 0) + 3)


def test_an_officials_edit_moving_the_headline_by_more_than_half_waits_for_a_planner(plan_store, site_record):
    """A (test) 400 t/d plant of 徐泾 going into operation at its design capacity: no site rule is
    broken, but 400 t/d is more than half of the 600 t/d goal; the official's edit waits for a
    planner, who confirms it.  A planner's own edit of the same kind is applied (their confirmation)."""
    plan_store.seed([site_record(f"T.{i}", town_code=XUJING, capacity_value=400.0, capacity_unit="t/d",
                                 capacity_norm=400.0, capacity_components=[]) for i in (1, 2)])
    official = _login(plan_store, "xujing", "town_official", XUJING)
    planner = _login(plan_store, "planner", "planner")
    before = _headline(plan_store) or 0
    edit = {"status": "operating", "operating_capacity_value": 400, "operating_capacity_unit": "t/d"}
    with pytest.raises(ImplausibleEdit) as exc:
        plan_store.update_site(official, "T.1", edit, 1)
    assert [v.rule for v in exc.value.violations] == ["headline_share"]
    assert exc.value.violations[0].params["after"] == pytest.approx(before + 400)
    pid = plan_store.update_site(official, "T.1", edit, 1, note="验收通过", insist=True)["proposal"]["id"]
    assert (_headline(plan_store) or 0) == before
    plan_store.confirm_proposal(planner, pid)
    assert _headline(plan_store) == pytest.approx(before + 400)
    plan_store.update_site(planner, "T.2", edit, 1)  # no refusal
    assert _headline(plan_store) == pytest.approx(before + 800)
