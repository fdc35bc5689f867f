"""AppTest of the 更新 (Update) page: log-in, own-town listing, edits through the core, refusals.

Each test gets a fresh SQLite database (seeded from facilities/ by ``Store.open``) and creates
its users with ``auth.create_user``.  Assertions read the database, not only the page.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from tests.apptest_helpers import PASSWORD, TOWN, UPDATE_PAGE, app_store, form_key, log_in, open_page, texts
from wufei_geo import auth, crs, db
from wufei_geo.errors import NotAuthenticated
from wufei_geo.store import Store

OTHER_TOWN = "310118107"  # 华新镇


@pytest.fixture()
def store(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Store:
    s = app_store(tmp_path, monkeypatch)
    yield s
    s.close()


def _sites(store: Store, town: str) -> list[str]:
    frame = store.sites_frame()
    return sorted(str(s) for s in frame.loc[frame["town_code"] == town, "site_id"])


def _audit_count(store: Store) -> int:
    return len(store.history())


def _set_status_and_save(at: AppTest, status: str, note: str | None = None) -> AppTest:
    at.selectbox(key=form_key(at, "upd_status_")).set_value(status)
    if note is not None:
        at.text_area(key=form_key(at, "upd_note_")).input(note)
    at.run()
    at.button(key=form_key(at, "upd_save_")).click()
    at.run()
    assert not at.exception, at.exception
    return at


def test_town_official_sees_only_own_town_and_changes_a_status(store: Store) -> None:
    at = log_in(open_page(UPDATE_PAGE), "zhaoxiang", PASSWORD)
    own = _sites(store, TOWN)
    assert len(own) == 5

    listed = at.dataframe[0].value
    assert sorted(listed.iloc[:, 0].tolist()) == own
    assert sorted(at.selectbox(key="update_pick").options) == sorted(
        f"{sid} · {store.get_site(sid)['name_zh']}" for sid in own
    )

    site_id = at.session_state["update_site_id"]
    assert site_id in own
    before = store.get_site(site_id)
    assert before["status"] == "planned"
    audit_before = _audit_count(store)

    _set_status_and_save(at, "under_construction")

    after = store.get_site(site_id)
    assert after["status"] == "under_construction"
    assert after["version"] == before["version"] + 1
    assert after["status_source"] == "official: zhaoxiang"
    rows = store.history(site_id=site_id)
    assert _audit_count(store) == audit_before + 1
    assert (rows[0]["user_name"], rows[0]["field"], rows[0]["old_value"], rows[0]["new_value"]) == (
        "zhaoxiang", "status", "planned", "under_construction",
    )
    assert "已保存" in texts(at.success)
    # the site's history table on the page shows the change
    history = at.dataframe[1].value
    assert history.iloc[0].tolist()[1:7] == ["zhaoxiang", site_id, "修改", "状态", "规划中", "在建"]


def test_note_required_is_announced_and_enforced_by_the_core(store: Store) -> None:
    at = log_in(open_page(UPDATE_PAGE), "zhaoxiang", PASSWORD)
    site_id = at.session_state["update_site_id"]
    before = store.get_site(site_id)
    audit_before = _audit_count(store)

    at.selectbox(key=form_key(at, "upd_status_")).set_value("cancelled")
    at.run()
    assert "须填写说明" in texts(at.warning)
    at.button(key=form_key(at, "upd_save_")).click()
    at.run()
    assert "未保存" in texts(at.error) and "须填写说明" in texts(at.error) and "note is required" not in texts(at.error)
    assert store.get_site(site_id)["version"] == before["version"]
    assert _audit_count(store) == audit_before

    at.text_area(key=form_key(at, "upd_note_")).input("镇政府决定不再建设")
    at.run()
    at.button(key=form_key(at, "upd_save_")).click()
    at.run()
    assert store.get_site(site_id)["status"] == "cancelled"
    assert store.history(site_id=site_id)[0]["note"] == "镇政府决定不再建设"


def test_wrong_password_and_locked_account_show_clear_messages(store: Store) -> None:
    at = log_in(open_page(UPDATE_PAGE), "zhaoxiang", "not the password")
    assert "用户名或密码错误" in texts(at.error)
    assert "update_pick" not in at.session_state

    for _ in range(store.settings.lockout_attempts):
        with pytest.raises(NotAuthenticated):
            auth.authenticate(store, "planner1", "wrong password!")
    at = log_in(at, "planner1", PASSWORD)  # right password, but locked
    errors = texts(at.error)
    assert "锁定" in errors and "北京时间" in errors
    locked_until = auth.list_users(store)[[u["name"] for u in auth.list_users(store)].index("planner1")]["locked_until"]
    assert auth.shanghai_time(locked_until) in errors
    assert "auth_actor" not in at.session_state


def test_location_typed_in_gcj02_is_converted_and_out_of_district_refused(store: Store) -> None:
    at = log_in(open_page(UPDATE_PAGE), "zhaoxiang", PASSWORD)
    site_id = at.session_state["update_site_id"]
    at.radio(key=form_key(at, "upd_locmode_")).set_value("typed")
    at.run()
    at.selectbox(key=form_key(at, "upd_datum_")).set_value("gcj02")
    at.text_input(key=form_key(at, "upd_lon_")).input("121.5")  # Pudong: outside Qingpu
    at.text_input(key=form_key(at, "upd_lat_")).input("31.2")
    at.run()
    version = store.get_site(site_id)["version"]
    at.button(key=form_key(at, "upd_save_")).click()
    at.run()
    assert "不在青浦区内" in texts(at.error)
    assert store.get_site(site_id)["version"] == version

    gcj = (121.197, 31.150)  # near 赵巷 seat, as AMap would give it
    at.text_input(key=form_key(at, "upd_lon_")).input(str(gcj[0]))
    at.text_input(key=form_key(at, "upd_lat_")).input(str(gcj[1]))
    at.run()
    at.button(key=form_key(at, "upd_save_")).click()
    at.run()
    site = store.get_site(site_id)
    assert (site["precision"], site["location_source"]) == ("exact", "official")
    # GCJ-02 sits ~450 m east and ~200 m south of WGS-84 here: the stored point is the WGS-84 one
    assert 0.002 < gcj[0] - site["lon"] < 0.008 and 0.0005 < site["lat"] - gcj[1] < 0.005
    wgs_lon, wgs_lat = crs.to_wgs84(gcj[0], gcj[1], "gcj02")
    assert site["lon"] == pytest.approx(float(wgs_lon), abs=1e-6) and site["lat"] == pytest.approx(float(wgs_lat), abs=1e-6)


def test_stale_form_shows_who_changed_what_and_reloads(store: Store) -> None:
    at = log_in(open_page(UPDATE_PAGE), "zhaoxiang", PASSWORD)
    site_id = at.session_state["update_site_id"]
    opened = store.get_site(site_id)["version"]

    other = auth.authenticate(store, "planner1", PASSWORD)
    store.update_site(other, site_id, {"status": "under_construction"}, opened, None)

    _set_status_and_save(at, "commissioning")
    errors = texts(at.error)
    assert "已被修改" in errors and "planner1" in errors and "under_construction" in errors
    assert store.get_site(site_id)["status"] == "under_construction"  # nothing written by the stale form
    assert at.session_state["update_opened"][site_id] == opened + 1  # reloaded

    _set_status_and_save(at, "commissioning")
    assert store.get_site(site_id)["status"] == "commissioning"


def test_session_state_tampering_is_refused_by_the_core(store: Store) -> None:
    at = log_in(open_page(UPDATE_PAGE), "zhaoxiang", PASSWORD)
    foreign = _sites(store, OTHER_TOWN)[0]
    before = store.get_site(foreign)
    audit_before = _audit_count(store)

    # 1. another town's site id put into session state: the page warns, the core refuses
    at.session_state["update_site_id"] = foreign
    at.run()
    assert "不在您的街镇" in texts(at.warning)
    _set_status_and_save(at, "under_construction")
    assert "只能修改本街镇的站点" in texts(at.error)
    assert store.get_site(foreign) == before
    assert _audit_count(store) == audit_before

    # 2. the held actor rewritten to claim another user and role (same token): the identity
    #    comes from the database, so the edit is still refused
    real = at.session_state["auth_actor"]
    at.session_state["auth_actor"] = dataclasses.replace(real, name="planner1", role="admin", town_code=None)
    at.run()
    assert "zhaoxiang" in texts(at.caption)
    _set_status_and_save(at, "under_construction")
    assert "只能修改本街镇的站点" in texts(at.error)
    assert store.get_site(foreign) == before

    # 3. a forged token: not a session at all → asked to log in again, nothing written
    at.session_state["auth_actor"] = auth.Actor(token="forged", user_id=1, name="admin", role="admin", town_code=None)
    at.run()
    assert "请重新登录" in texts(at.warning)
    assert at.text_input(key="login_name") is not None
    assert store.get_site(foreign) == before
    assert _audit_count(store) == audit_before


def test_expired_session_cannot_write(store: Store) -> None:
    at = log_in(open_page(UPDATE_PAGE), "zhaoxiang", PASSWORD)
    site_id = at.session_state["update_site_id"]
    before = store.get_site(site_id)
    at.selectbox(key=form_key(at, "upd_status_")).set_value("under_construction")
    at.run()

    idle = dt.timedelta(minutes=store.settings.session_idle_minutes + 1)
    with store.engine.begin() as conn:
        conn.execute(sa.update(db.sessions).values(last_seen_at=store.now() - idle))
    at.button(key=form_key(at, "upd_save_")).click()
    at.run()
    assert "会话已过期" in texts(at.warning) or "session expired" in texts(at.warning)
    assert store.get_site(site_id) == before


def test_logout_ends_the_session(store: Store) -> None:
    at = log_in(open_page(UPDATE_PAGE), "zhaoxiang", PASSWORD)
    token = at.session_state["auth_actor"].token
    at.button(key="logout").click()
    at.run()
    assert "auth_actor" not in at.session_state
    with pytest.raises(NotAuthenticated):
        auth.resume(store, token)


def test_admin_adds_and_retires_a_site_and_planner_sees_all(store: Store) -> None:
    auth.create_user(store, "root", "admin", None, PASSWORD)
    at = log_in(open_page(UPDATE_PAGE), "root", PASSWORD)
    assert len(at.dataframe[0].value) == len(store.sites_frame())
    at.text_input(key="add_site_id").input("X.1")
    at.text_input(key="add_name_zh").input("<b>测试站</b>")
    at.selectbox(key="add_town").set_value(TOWN)
    [add] = [b for b in at.button if b.label == "新增"]
    add.click()
    at.run()
    assert not at.exception
    assert store.get_site("X.1")["name_zh"] == "<b>测试站</b>"
    assert "已新增站点 X.1" in texts(at.success)

    at.selectbox(key="retire_pick").set_value("X.1")
    [retire] = [b for b in at.button if b.label == "撤销"]
    retire.click()
    at.run()
    assert "撤销站点须填写说明" in texts(at.error)  # note required, nothing written
    assert store.get_site("X.1")["retired"] is False
    at.text_input(key="retire_note").input("重复录入")
    [retire] = [b for b in at.button if b.label == "撤销"]
    retire.click()
    at.run()
    assert store.get_site("X.1")["retired"] is True


def test_english_toggle(store: Store) -> None:
    at = open_page(UPDATE_PAGE)
    at.session_state["lang"] = "en"
    at.run()
    assert at.title[0].value == "Update sites"
    at = log_in(at, "zhaoxiang", "not the password")
    assert "Wrong user name or password." in texts(at.error)


def test_location_picked_on_the_map_is_saved_as_exact_wgs84(store: Store) -> None:
    at = log_in(open_page(UPDATE_PAGE), "zhaoxiang", PASSWORD)
    site_id = at.session_state["update_site_id"]
    at.radio(key=form_key(at, "upd_locmode_")).set_value("map")
    at.run()
    assert not at.exception, at.exception
    assert "尚未在地图上点选位置" in texts(at.caption)
    # what the small map's click handler stores (streamlit-folium's last_clicked, WGS-84)
    at.session_state["update_click"] = (121.1925, 31.1520)
    at.run()
    assert "已点选：经度 121.192500，纬度 31.152000" in texts(at.markdown)
    at.button(key=form_key(at, "upd_save_")).click()
    at.run()
    site = store.get_site(site_id)
    assert (site["lon"], site["lat"], site["precision"], site["location_source"]) == (121.1925, 31.152, "exact", "official")
    assert "update_click" not in at.session_state


def test_markup_in_a_site_name_is_shown_as_text(store: Store) -> None:
    name = "[点我](http://evil.example) **粗体** <script>alert(1)</script> :red[x] $x$"
    store.add_site(None, {"site_id": "X.9", "name_zh": name, "category": "pv", "town_code": TOWN})
    at = log_in(open_page(UPDATE_PAGE), "zhaoxiang", PASSWORD)
    at.selectbox(key="update_pick").set_value("X.9")
    at.run()
    [heading] = [h for h in at.subheader if "X" in h.value and "9" in h.value]
    # every markdown/HTML/directive character is escaped: rendered, the heading is the literal name
    assert heading.value == "X\\.9 · " + "".join("\\" + c if c in "\\`*_{}[]()<>#+-.!|~:$" else c for c in name)
    assert "](" not in heading.value and "**" not in heading.value.replace("\\*", "")


def test_a_language_switch_keeps_the_picked_site_and_the_form(store: Store) -> None:
    """Issue 13: switching the language while a site and form values are chosen keeps them (the
    widgets hold site ids / status codes, not their labels) and the form still saves."""
    at = log_in(open_page(UPDATE_PAGE), "zhaoxiang", PASSWORD)
    second = _sites(store, TOWN)[1]
    at.selectbox(key="update_pick").set_value(second).run()
    assert at.session_state["update_site_id"] == second
    before = store.get_site(second)
    target = "under_construction" if before["status"] != "under_construction" else "commissioning"
    at.selectbox(key=form_key(at, "upd_status_")).set_value(target)
    at.text_area(key=form_key(at, "upd_note_")).input("语言切换前填写")
    at.run()

    at.radio(key="lang").set_value("en").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Update sites"
    assert at.session_state["update_site_id"] == second
    assert at.selectbox(key="update_pick").value == second
    assert at.selectbox(key=form_key(at, "upd_status_")).value == target
    assert at.text_area(key=form_key(at, "upd_note_")).value == "语言切换前填写"
    assert "no site" not in texts(at.error)

    at.button(key=form_key(at, "upd_save_")).click().run()
    assert not at.exception, at.exception
    after = store.get_site(second)
    assert after["status"] == target and after["version"] == before["version"] + 1
