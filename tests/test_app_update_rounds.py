"""AppTest of issue 12 on the 更新 page: the round an official sees, confirming unchanged (one site,
the picked site's form button, all shown), refusals, the planner's round (open → progress → close)
and the workbook download.  Assertions read the database."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from tests.apptest_helpers import PASSWORD, TOWN, UPDATE_PAGE, log_in, open_page, texts
from tests.apptest_helpers import app_store as new_app_store
from wufei_geo import auth
from wufei_geo.store import Store


@pytest.fixture()
def app_store(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Store:
    s = new_app_store(tmp_path, monkeypatch)
    yield s
    s.close()


def _page(name: str) -> AppTest:
    return log_in(open_page(UPDATE_PAGE), name)


def _mine(store: Store) -> list[str]:
    frame = store.sites_frame()
    return sorted(str(s) for s in frame.loc[frame["town_code"] == TOWN, "site_id"])


def test_official_sees_the_round_and_confirms(app_store: Store) -> None:
    planner = auth.authenticate(app_store, "planner1", PASSWORD)
    rnd = app_store.open_round(planner, "2026 春季核实", None, [TOWN])
    mine = _mine(app_store)
    at = _page("zhaoxiang")
    banner = texts(at.warning)
    assert "2026 春季核实" in banner and f"{len(mine)} 个站点中还有 {len(mine)} 个" in banner
    # every site stale (the plan's 2022-10-28 is more than 12 months ago)
    assert "超过 12 个月未确认" in texts(at.caption)
    # one site from its button in the list
    at.button(key=f"confirm_{mine[0]}").click()
    at.run()
    assert not at.exception, at.exception
    assert f"已确认 1 个站点无变化：{mine[0]}" in texts(at.success)
    site = app_store.get_site(mine[0])
    assert site["status_confirmed_by"] == "zhaoxiang" and site["version"] == 1
    # the picked site's own button (the form)
    at.selectbox(key="update_pick").set_value(mine[1])
    at.run()
    at.button(key=f"upd_confirm_{mine[1]}_1").click()
    at.run()
    assert app_store.get_site(mine[1])["status_confirmed_by"] == "zhaoxiang"
    assert {a["site_id"] for a in app_store.round_answers(rnd["id"])} == {mine[0], mine[1]}
    assert [h["action"] for h in app_store.history(site_id=mine[1])] == ["confirm"]
    # the rest: "confirm all shown" (only those still to confirm are shown by default)
    assert f"{len(mine) - 2} 个" in texts(at.warning)
    at.button(key="confirm_all").click()
    at.run()
    assert not at.exception, at.exception
    assert {app_store.get_site(s)["status_confirmed_by"] for s in mine} == {"zhaoxiang"}
    assert not at.warning or "2026 春季核实" not in texts(at.warning)
    assert "2026 春季核实" in texts(at.success)
    # the history shows it in words
    history = at.dataframe[-1].value if at.dataframe else None
    assert history is not None


def test_confirm_refused_writes_nothing(app_store: Store) -> None:
    mine = _mine(app_store)
    at = _page("zhaoxiang")
    # someone changes the site meanwhile: the page's version is old, the core refuses
    planner = auth.authenticate(app_store, "planner1", PASSWORD)
    app_store.update_site(planner, mine[0], {"status": "under_construction"}, 1)
    n = len(app_store.history())
    at.button(key=f"confirm_{mine[0]}").click()
    at.run()
    assert "已被他人修改" in texts(at.error)
    assert len(app_store.history()) == n and app_store.get_site(mine[0])["status_confirmed_by"] == "planner1"


def test_planner_opens_follows_and_closes_a_round(app_store: Store) -> None:
    at = _page("planner1")
    assert "没有进行中的更新轮次" in texts(at.caption)
    at.text_input(key="round_title").input("秋季核实")
    at.multiselect(key="round_towns").set_value([TOWN])
    [submit] = [b for b in at.button if b.label == "发起更新轮次"]
    submit.click()
    at.run()
    assert not at.exception, at.exception
    rnd = app_store.current_round()
    assert rnd["title"] == "秋季核实" and rnd["towns"] == [TOWN] and rnd["opened_by"] == "planner1"
    official = auth.authenticate(app_store, "zhaoxiang", PASSWORD)
    mine = _mine(app_store)
    app_store.confirm_site(official, mine[0], 1)
    at.run()
    (progress,) = [t.value for t in at.table if "已答复" in t.value.columns]
    assert [int(v) for v in progress["已答复"]] == [1] and [int(v) for v in progress["站点数"]] == [len(mine)]
    assert "zhaoxiang" in str(progress["最近答复"].iloc[0])
    assert "赵巷" in str(progress.index[0])
    (answers,) = [d.value for d in at.dataframe if "答复人" in d.value.columns]
    assert list(answers["答复人"]) == ["zhaoxiang"] and list(answers["答复"]) == ["确认无变化"]
    assert list(answers["站点"]) == [mine[0]]
    at.button(key="round_close").click()
    at.run()
    assert app_store.current_round() is None and app_store.rounds()[0]["closed_by"] == "planner1"


def test_workbook_download(app_store: Store) -> None:
    at = _page("zhaoxiang")
    (button,) = [b for b in at.get("download_button") if "更新表" in str(b.proto.label)]
    assert button.proto.label  # the button's data is served by the media server; build it as the page does
    from wufei_geo import catalog
    from wufei_geo.io import excel

    cat = catalog.load_catalog(app_store)
    wb = load_workbook(io.BytesIO(excel.town_workbook(cat.sites, TOWN, "赵巷镇")))
    assert [c.value for c in wb.worksheets[0]["A"][1:]] == _mine(app_store)


def test_towns_and_capacity_pages_show_freshness(app_store: Store) -> None:
    official = auth.authenticate(app_store, "zhaoxiang", PASSWORD)
    mine = _mine(app_store)
    for sid in mine[:2]:
        app_store.confirm_site(official, sid, 1)
    at = open_page("app_pages/pages/towns.py")
    (overview,) = [d.value for d in at.dataframe if "期内已确认" in d.value.columns]
    frame = app_store.sites_frame()
    row = overview[overview["期内已确认"] == 2]
    assert len(row) == 1  # only 赵巷 has fresh confirmations
    assert int(row["已过期未确认"].iloc[0]) == len(mine) - 2
    assert str(row["最近确认"].iloc[0]).startswith(app_store.today().isoformat()[:4])
    assert int(overview["已过期未确认"].sum()) == int(frame["town_code"].notna().sum()) - 2  # district sites: no town
    assert "最近 12 个月内" in texts(at.caption)

    at = open_page("app_pages/pages/capacity.py")
    caption = texts(at.caption)
    assert "个站点中，" in caption and "超过 12 个月未确认" in caption
    (targets,) = [d.value for d in at.dataframe if "已过期未确认" in d.value.columns]
    assert all("/" in str(v) for v in targets["已过期未确认"])


def test_markup_in_a_round_title_is_shown_as_text(app_store: Store) -> None:
    planner = auth.authenticate(app_store, "planner1", PASSWORD)
    app_store.open_round(planner, "**粗体** [链接](http://x.invalid) :red[红]", None, [TOWN])
    at = _page("zhaoxiang")
    (banner,) = [w for w in at.warning if "更新轮次" in str(w.value)]
    assert "\\*\\*粗体\\*\\*" in str(banner.value) and "\\[链接\\]" in str(banner.value)
