"""Places (issue 24): the store's rules, the permission function, the seed and the counts."""
from __future__ import annotations

import pytest

from wufei_geo import analysis, catalog
from wufei_geo.errors import PermissionDenied, StaleVersion, ValidationError
from wufei_geo.places import measures, rules, seed
from wufei_geo.places.store import place_book

XUJING, XIAYANG, ZHUJIAJIAO = "310118106", "310118001", "310118102"


def block(pid: str, town: str = XUJING, **extra):
    return {"place_id": pid, "name_zh": f"街区{pid}", "place_type": "zero_waste_block", "town_code": town, **extra}


def c2_states(store) -> dict[str, tuple[str, object, object]]:
    cat = catalog.load_catalog(store)
    out = {}
    for card in analysis.town_scorecards(cat.sites, cat.targets, cat.towns):
        for tp in card.targets:
            if tp.id.endswith("C.2-blocks"):
                out[tp.town_code] = (tp.state, tp.achieved, tp.target)
    return out


def test_seed_file_is_valid_and_invents_no_point():
    assert seed.validate_seed() == []
    rows = {r["place_id"]: r for r in seed.load_seed_places()}
    bases = {pid: r for pid, r in rows.items() if r["place_type"] == "education_base"}
    assert len(bases) == 4
    assert {r["town_code"] for r in bases.values()} == {None, ZHUJIAJIAO, "310118103", "310118109"}
    assert all(r["lon"] is None and r["lat"] is None for r in rows.values())
    assert {r["precision"] for r in rows.values() if r["town_code"] is None} == {"district"}
    assert all(r["source_ref"] and r["location_source"] for r in rows.values())


def test_c2_is_counted_zero_of_two_in_every_town_on_a_fresh_store(store):
    states = c2_states(store)
    assert len(states) == 11
    assert set(states.values()) == {("not_started", 0, 2)}


def test_two_approved_blocks_meet_xujings_c2_and_no_other_town_changes(store, make_user, planner):
    book = place_book(store)
    official = make_user("town_official", town_code=XUJING, name="xujing")
    before = c2_states(store)
    for pid in ("XJ-1", "XJ-2"):
        placed = book.add(official, block(pid, status="built", status_source="区绿化市容局验收"))
        assert placed["status"] == "creating" and placed["claim_status"] == "built"  # a claim: not counted yet
    assert c2_states(store)[XUJING] == ("in_progress", 0, 2)
    with pytest.raises(PermissionDenied):
        book.decide_claim(official, "XJ-1", approve=True)  # an official never approves
    for pid in ("XJ-1", "XJ-2"):
        done = book.decide_claim(planner, pid, approve=True)
        assert done["status"] == "built" and done["approved_by"] == "planner" and done["claim_status"] is None
    after = c2_states(store)
    assert after[XUJING] == ("met", 2, 2)
    cat = catalog.load_catalog(store)  # the town shading's "targets met" share moves with it
    cards = analysis.town_scorecards(cat.sites, cat.targets, cat.towns)
    share = {f.town_code: f.values["targets_met_share"].value for f in analysis.report_figures(cat.sites, cards)}
    assert share[XUJING] and share[XUJING] > 0 and not share["310118001"]
    assert {k: v for k, v in after.items() if k != XUJING} == {k: v for k, v in before.items() if k != XUJING}
    actions = [r["action"] for r in book.history(place_id="XJ-1")]
    assert actions == ["approve_claim", "claim", "add"]


def test_an_official_cannot_add_or_edit_a_place_of_another_town(store, official, make_user):
    book = place_book(store)
    with pytest.raises(PermissionDenied) as refused:
        book.add(official, block("XJ-9", XUJING))
    assert refused.value.rule == "place_other_town"
    with pytest.raises(PermissionDenied):
        book.add(official, {"place_id": "D-1", "name_zh": "区级", "place_type": "showcase"})  # no town: the district's
    mine = book.add(official, block("XY-1", XIAYANG))
    with pytest.raises(PermissionDenied):  # nor move one of theirs out of their town
        book.update(official, "XY-1", {"town_code": XUJING}, mine["version"])
    other = make_user("town_official", town_code=XUJING, name="xj")
    with pytest.raises(PermissionDenied):
        book.update(other, "XY-1", {"name_zh": "改名"}, mine["version"])
    with pytest.raises(PermissionDenied):
        book.confirm(other, "XY-1", mine["version"])
    with pytest.raises(PermissionDenied):  # the seeded bases are the district's or another town's
        book.update(official, "PL-EDU-2", {"status": "creating"}, book.get("PL-EDU-2")["version"])
    assert book.get("XY-1")["town_code"] == XIAYANG and book.get("XY-1")["name_zh"] == "街区XY-1"


def test_the_permission_function_is_the_one_rule():
    class Who:
        def __init__(self, role, town=None, name="x"):
            self.role, self.town_code, self.name = role, town, name

    own = {"town_code": XIAYANG, "claim_by": "x"}
    assert rules.may_place(Who("town_official", XIAYANG), "update", own)
    assert not rules.may_place(Who("town_official", XUJING), "update", own)
    assert not rules.may_place(Who("town_official", XIAYANG), "set_counted_status", own)
    assert not rules.may_place(Who("town_official", XIAYANG), "import")
    assert rules.may_place(Who("planner", name="p"), "decide_claim", own)
    assert not rules.may_place(Who("planner", name="x"), "decide_claim", own)  # the claimant
    assert not rules.may_place(Who("planner"), "import") and rules.may_place(Who("admin"), "import")


def test_status_rules_evidence_note_and_version(store, planner):
    book = place_book(store)
    with pytest.raises(ValidationError) as no_evidence:
        book.add(planner, block("B-1", status="built"))
    assert no_evidence.value.rule == "evidence_required"
    p = book.add(planner, block("B-1", status="built", status_source="验收通过 2025-03"))
    assert p["status"] == "built" and p["approved_by"] == "planner"  # a planner's own step counts at once
    with pytest.raises(ValidationError) as backwards:
        book.update(planner, "B-1", {"status": "creating"}, p["version"])
    assert backwards.value.rule == "note_required"
    with pytest.raises(ValidationError):
        book.update(planner, "B-1", {"status": "withdrawn"}, p["version"])
    q = book.update(planner, "B-1", {"status": "withdrawn"}, p["version"], note="街区拆除")
    assert q["status"] == "withdrawn" and q["version"] == p["version"] + 1
    with pytest.raises(StaleVersion):
        book.update(planner, "B-1", {"name_zh": "x"}, p["version"])
    import json

    assert [e["status"] for e in json.loads(q["status_log"])] == ["built", "withdrawn"]
    assert {r["field"] for r in book.history(place_id="B-1") if r["action"] == "update"} >= {"status"}


def test_a_place_with_an_area_keeps_its_polygon_and_is_stale_when_not_confirmed(store, planner, clock=None):
    book = place_book(store)
    ring = [[121.05, 31.10], [121.06, 31.10], [121.06, 31.11], [121.05, 31.11], [121.05, 31.10]]
    p = book.add(planner, block("AREA-1", ZHUJIAJIAO, area={"type": "Polygon", "coordinates": [ring]}))
    assert p["precision"] == "exact"
    located = catalog.load_catalog(store).places.set_index("place_id")
    assert located.loc["AREA-1"].geometry.geom_type == "Polygon"
    assert abs(located.loc["AREA-1", "display_lon"] - 121.055) < 0.01
    assert bool(located.loc["PL-EDU-2", "stale"])  # the plan's date, long ago
    assert not bool(located.loc["AREA-1", "stale"])
    assert located.loc["PL-EDU-2"].geometry.geom_type == "Point"
    assert located.loc["PL-EDU-1"].geometry is None  # district only: no invented point
    with pytest.raises(ValidationError) as outside:
        book.add(planner, block("AREA-2", area={"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}))
    assert outside.value.rule == "outside_district"


def test_counts_for_the_register_38_and_43(store, planner):
    book = place_book(store)
    book.add(planner, {"place_id": "C-1", "name_zh": "社区", "place_type": "cell_community", "town_code": XIAYANG,
                       "status": "built", "status_source": "命名文件"})
    book.add(planner, {"place_id": "C-2", "name_zh": "学校", "place_type": "cell_school", "town_code": XIAYANG})
    book.add(planner, {"place_id": "W-1", "name_zh": "水乡镇", "place_type": "water_town", "town_code": ZHUJIAJIAO,
                       "status": "named", "status_source": "命名文件"})
    frame = book.frame()
    table = measures.cells_by_type_and_town(frame)
    assert table.loc[XIAYANG, "cell_community"] == 1 and table.loc[XIAYANG, "cell_school"] == 0
    assert measures.cells_by_type_and_town(frame, counted_only=False).loc[XIAYANG].sum() == 2
    assert measures.water_towns(frame)["achieved"] == 1


def test_the_seed_is_written_once_and_never_over_a_persons_change(store, planner):
    book = place_book(store)  # seeds on first use
    assert book.seed_from_file() == 0  # the database already holds the file: nothing written
    base = book.get("PL-EDU-2")
    book.update(planner, "PL-EDU-2", {"status": "creating", "status_source": "区教育局通知"}, base["version"])
    changed = [dict(r, name_zh="改过的名字") if r["place_id"] == "PL-EDU-2" else r for r in seed.load_seed_places()]
    assert book.seed_from_file(changed) == 0  # a person changed it: the seed leaves it alone
    assert book.get("PL-EDU-2")["status"] == "creating"
    renamed = [dict(r, name_en="Liantang base") if r["place_id"] == "PL-EDU-3" else r for r in seed.load_seed_places()]
    assert book.seed_from_file(renamed) == 1 and book.get("PL-EDU-3")["name_en"] == "Liantang base"
