"""The 更新 page's places section (issue 24), through AppTest: an official adds places in their own
town and is refused another town's; a planner approves the claim, which then counts (C.2)."""
from __future__ import annotations

from apptest_helpers import UPDATE_PAGE, app_store, log_in, open_page, texts

from wufei_geo.places.store import place_book

XUJING = "310118106"
USERS = (("xujing", "town_official", XUJING), ("planner1", "planner", None))


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _add(at, pid: str, town: str, status: str = "creating", source: str = ""):
    at.text_input(key="pl_add_id").input(pid)
    at.selectbox(key="pl_add_type").select("zero_waste_block")
    at.text_input(key="pl_add_name_zh").input(f"徐泾零浪费街区 {pid} <b>x</b>")
    at.selectbox(key="pl_add_town").select(town)
    at.selectbox(key="pl_add_status").select(status)
    at.text_input(key="pl_add_source").input(source)
    _button(at, "添加场所").click()
    at.run()
    assert not at.exception, at.exception
    return at


def test_an_official_adds_in_their_town_only_and_a_planner_approves(tmp_path, monkeypatch):
    store = app_store(tmp_path, monkeypatch, USERS)
    at = log_in(open_page(UPDATE_PAGE), "xujing")
    _add(at, "XJ-A", "310118001")  # 夏阳街道: not theirs
    assert "只能添加或修改本街镇的场所" in texts(at.error)
    assert "XJ-A" not in set(place_book(store).frame()["place_id"])
    _add(at, "XJ-B", XUJING, status="built", source="区绿化市容局验收")
    placed = place_book(store).get("XJ-B")
    assert (placed["status"], placed["claim_status"], placed["claim_by"]) == ("creating", "built", "xujing")
    # moving their own place to another town through the edit form: refused by the core
    at.selectbox(key="pl_edit_pick").select("XJ-B")
    at.run()
    at.selectbox(key="pl_edit_town_XJ-B").select("310118001")
    _button(at, "保存场所").click()
    at.run()
    assert "只能添加或修改本街镇的场所" in texts(at.error)
    assert place_book(store).get("XJ-B")["town_code"] == XUJING
    assert not [b for b in at.button if b.label == "核准"]  # officials see no approval

    at = log_in(open_page(UPDATE_PAGE), "planner1")
    assert "XJ-B" in texts(at.markdown)
    _button(at, "核准").click()
    at.run()
    assert not at.exception, at.exception
    done = place_book(store).get("XJ-B")
    assert (done["status"], done["approved_by"], done["claim_status"]) == ("built", "planner1", None)


def test_the_data_page_imports_places_for_administrators_after_a_dry_run(tmp_path, monkeypatch):
    store = app_store(tmp_path, monkeypatch, (("admin1", "admin", None),))
    at = log_in(open_page("app_pages/pages/data.py"), "admin1")
    assert not at.exception, at.exception
    from wufei_geo import auth
    from wufei_geo.io import place_import

    actor = auth.authenticate(store, "admin1", "correct horse battery")
    data = "place_id,name_zh,place_type,town\nD-1,盈浦街区,zero_waste_block,盈浦街道\n".encode()
    report = place_import.import_places(store, actor, data, "p.csv")
    assert report.ok and not {"D-1"} & set(place_book(store).frame()["place_id"])
    assert any("批量导入场所" in e.proto.label for e in at.expander)
