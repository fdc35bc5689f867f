"""Hostile input through the app's own forms, driven with Streamlit's AppTest.

Every text of the corpus that a form can carry is typed into the 更新 page's note field (with a
status change), the administrator's add-site name field and the log-in user-name field; the
bad capacities, coordinates and dates into the 更新 form; and a 夏阳 official's session state is
tampered with before submitting.  Each outcome is asserted on the database (content hash, the
stored text, the audit rows) and on the page (no exception; every markdown-rendering element
shows user text only escaped), then recorded for ``python -m tests.hostile.report``.

One logged-in AppTest (and one database) is shared per group to keep the file fast.
"""
from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterator
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest_helpers import UPDATE_PAGE, log_in, open_page
from wufei_geo import auth, i18n
from wufei_geo.config import Settings
from wufei_geo.errors import ValidationError
from wufei_geo.store import Store

from .corpus import (
    APP_CAPACITY,
    APP_COMMISSIONED,
    APP_LOCATION,
    APP_LOGIN,
    APP_NAME,
    APP_NOTE,
    CAPACITY_CASES,
    COORD_CASES,
    DATE_CASES,
    TEXT_CASES,
    Case,
)
from .helpers import HUAXIN, PASSWORD, XIAYANG, _block_plan_seed, data_hash, test_sites
from .results import record

# Characters Streamlit's markdown (and its :directives[] / $LaTeX$) acts on.
MD_SPECIAL = frozenset("\\`*_{}[]()<>#+-.!|~:$")
# Tags that would be live HTML if a markdown element were allowed to pass HTML through.
RAW_TAG = re.compile(r"(?<!\\)<\s*(script|img|svg|iframe|a|b)\b", re.I)


# --- shared set-up ---------------------------------------------------------------------------
@dataclasses.dataclass
class App:
    store: Store
    at: AppTest

    @property
    def url(self) -> str:
        return self.store.settings.db_url


@pytest.fixture(scope="module")
def module_mp() -> Iterator[pytest.MonkeyPatch]:
    mp = pytest.MonkeyPatch()
    mp.setattr(auth, "BCRYPT_ROUNDS", 4)
    for var in ("WUFEI_CONFIG", "WUFEI_SESSION_IDLE_MINUTES", "WUFEI_LOCKOUT_ATTEMPTS", "WUFEI_LOCKOUT_MINUTES"):
        mp.delenv(var, raising=False)
    yield mp
    mp.undo()


def _new_store(tmp_path_factory: pytest.TempPathFactory, mp: pytest.MonkeyPatch, name: str) -> Store:
    """The hostile test data (H.1, H.3, H.4 in 夏阳; H.2 in 华新) and users admin, xiayang, huaxin."""
    url = f"sqlite:///{tmp_path_factory.mktemp(name) / 'app.sqlite'}"
    mp.setenv("WUFEI_DB_URL", url)
    store = Store.open(url, seed=False, settings=Settings(db_url=url))
    store.seed(test_sites())
    _block_plan_seed(store)
    auth.create_user(store, "admin", "admin", None, PASSWORD)
    auth.create_user(store, "xiayang", "town_official", XIAYANG, PASSWORD)
    auth.create_user(store, "huaxin", "town_official", HUAXIN, PASSWORD)
    return store


def _app(tmp_path_factory: pytest.TempPathFactory, mp: pytest.MonkeyPatch, name: str, user: str | None) -> App:
    store = _new_store(tmp_path_factory, mp, name)
    at = open_page(UPDATE_PAGE)
    if user:
        log_in(at, user, PASSWORD)
        assert at.session_state["auth_actor"].name == user
    return App(store, at)


@pytest.fixture(scope="module")
def official(tmp_path_factory, module_mp) -> Iterator[App]:
    """夏阳 official on the 更新 page (notes, values)."""
    app = _app(tmp_path_factory, module_mp, "official", "xiayang")
    yield app
    app.store.close()


@pytest.fixture(scope="module")
def admin(tmp_path_factory, module_mp) -> Iterator[App]:
    app = _app(tmp_path_factory, module_mp, "admin", "admin")
    yield app
    app.store.close()


@pytest.fixture(scope="module")
def anonymous(tmp_path_factory, module_mp) -> Iterator[App]:
    """The 更新 page before log-in (the log-in form)."""
    app = _app(tmp_path_factory, module_mp, "login", None)
    yield app
    app.store.close()


@pytest.fixture(scope="module")
def intruder(tmp_path_factory, module_mp) -> Iterator[App]:
    """夏阳 official whose session state is tampered with."""
    app = _app(tmp_path_factory, module_mp, "intruder", "xiayang")
    yield app
    app.store.close()


@pytest.fixture
def use(monkeypatch: pytest.MonkeyPatch):
    """Point the app at a group's database for this test (the app reads WUFEI_DB_URL every run)."""

    def _use(app: App) -> App:
        monkeypatch.setenv("WUFEI_DB_URL", app.url)
        return app

    return _use


# --- reading the page ----------------------------------------------------------------------
def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _form_key(at: AppTest, prefix: str) -> str:
    widgets = [*at.selectbox, *at.button, *at.text_input, *at.text_area, *at.radio]
    keys = sorted({w.key for w in widgets if w.key and str(w.key).startswith(prefix)})
    assert len(keys) == 1, keys
    return keys[0]


def _markdown_texts(at: AppTest) -> list[tuple[str, str]]:
    """(kind, body) of every element whose text Streamlit renders as markdown, table cells included."""
    out: list[tuple[str, str]] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "error", "warning", "info", "success", "toast"):
        for el in getattr(at, kind):
            if kind == "markdown":
                assert not el.proto.allow_html, el.value  # no page lets HTML through
            out.append((kind, str(el.value)))
    for table in at.table:
        frame = table.value
        out += [("table", str(v)) for v in frame.to_numpy().ravel().tolist()]
    return out


def _escaped(text: str) -> str:
    """``text`` as it must appear in a markdown element to render literally (each special backslashed)."""
    return "".join("\\" + ch if ch in MD_SPECIAL else ch for ch in text)


def _assert_shown_as_text(at: AppTest, value: str, *, must_show: bool) -> None:
    """No markdown element carries ``value`` raw where raw would be interpreted; where it is
    shown (``must_show``), it is shown escaped, i.e. rendered as the literal text."""
    texts = _markdown_texts(at)
    for kind, body in texts:
        assert not RAW_TAG.search(body), (kind, body[:200])
        if any(ch in MD_SPECIAL for ch in value):
            assert value not in body, (kind, body[:200])
    if must_show:
        assert any(_escaped(value) in body for _, body in texts), [b[:120] for _, b in texts]


def _all_messages(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("error", "warning", "info", "success") for e in getattr(at, kind))


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _cases(entry: str) -> list:
    return [pytest.param(c, id=c.id) for c in TEXT_CASES if entry in c.entries]


def _expect(case: Case, entry: str) -> str:
    return case.notes.get(entry, case.expect)


# --- notes: the 更新 form with a status change -----------------------------------------------
@pytest.mark.parametrize("case", _cases(APP_NOTE))
def test_note_through_the_update_form(official: App, use, case: Case) -> None:
    app = use(official)
    store, at = app.store, app.at
    before_site = store.get_site("H.1")
    # both statuses need a note (so a blank note cannot slip through as "no note")
    new_status = "cancelled" if before_site["status"] != "cancelled" else "suspended"
    audit_before = len(store.history(site_id="H.1"))
    before = data_hash(store)

    at.selectbox(key=_form_key(at, "upd_status_")).set_value(new_status)
    field = at.text_area(key=_form_key(at, "upd_note_"))
    limit = field.max_chars
    # set_value, not input(): AppTest's input() drops a text longer than the field's max_chars
    # (as a browser's maxlength does); a value sent anyway reaches the server, which keeps
    # its first max_chars characters.
    field.set_value(case.value)
    _run(at)
    held = at.text_area(key=_form_key(at, "upd_note_")).value
    assert held == (case.value[:limit] if limit else case.value)
    at.button(key=_form_key(at, "upd_save_")).click()
    _run(at)

    if _expect(case, APP_NOTE) == "refused":
        errors = _unescape("\n".join(str(e.value) for e in at.error))
        assert "未保存" in errors, _all_messages(at)
        assert data_hash(store) == before
        record("text", case.id, APP_NOTE, "refused", errors)
        return
    site = store.get_site("H.1")
    assert site["status"] == new_status and site["version"] == before_site["version"] + 1, _all_messages(at)
    rows = store.history(site_id="H.1")
    assert len(rows) == audit_before + 1  # one intent, one audit row
    assert rows[0]["note"] == held.strip() and rows[0]["user_name"] == "xiayang"
    assert "已保存" in _unescape(_all_messages(at))
    # the note is shown in the history table (a dataframe: data, not markdown), byte for byte
    history = at.dataframe[1].value
    assert history.iloc[0, -1] == held.strip()
    _assert_shown_as_text(at, held.strip(), must_show=False)
    detail = f"status → {new_status}; the note stored as the field held it (blanks at the ends trimmed)"
    if held != case.value:
        detail += f"; the field takes at most {limit} characters, so the first {limit} of {len(case.value)} were stored"
    record("text", case.id, APP_NOTE, "stored_literally", detail)
    record("text", case.id, "app:更新 history table(note)", "rendered_safely", "a dataframe cell, never markdown")


# --- site names: the administrator's add-site form -------------------------------------------
@pytest.mark.parametrize("case", _cases(APP_NAME))
def test_site_name_through_the_add_site_form(admin: App, use, case: Case) -> None:
    app = use(admin)
    store, at = app.store, app.at
    site_id = f"F.{[c.id for c in TEXT_CASES].index(case.id) + 1}"
    before = data_hash(store)

    at.text_input(key="add_site_id").input(site_id)
    at.text_input(key="add_name_zh").input(case.value)
    at.selectbox(key="add_town").set_value(XIAYANG)
    [add] = [b for b in at.button if b.label == "新增"]
    add.click()
    _run(at)

    if _expect(case, APP_NAME) == "refused":
        errors = _unescape("\n".join(str(e.value) for e in at.error))
        assert "未保存" in errors and "控制字符" in errors, _all_messages(at)
        assert data_hash(store) == before
        record("text", case.id, APP_NAME, "refused", errors)
        return
    site = store.get_site(site_id)
    assert site["name_zh"] == case.value  # exactly as typed
    assert [r["action"] for r in store.history(site_id=site_id)] == ["add_site"]
    assert f"已新增站点 {site_id}" in _unescape(_all_messages(at))
    # open the new site on the page: its heading shows the name, escaped
    at.selectbox(key="update_pick").set_value(site_id)
    _run(at)
    assert at.session_state["update_site_id"] == site_id
    _assert_shown_as_text(at, case.value, must_show=True)
    record("text", case.id, APP_NAME, "stored_literally", "name_zh stored exactly as typed")
    record("text", case.id, "app:更新 page(site heading, list)", "rendered_safely", "markdown specials backslash-escaped")


# --- user names: the log-in form -------------------------------------------------------------
@pytest.mark.parametrize("case", _cases(APP_LOGIN))
def test_user_name_through_the_login_form(anonymous: App, use, case: Case) -> None:
    app = use(anonymous)
    store, at = app.store, app.at
    assert "auth_actor" not in at.session_state
    if _expect(case, APP_LOGIN) == "refused":
        # not a possible account name: the core refuses to create it, and the log-in with it
        # (and the administrator's password, for the look-alikes of "admin") is refused
        with pytest.raises(ValidationError):
            auth.create_user(store, case.value, "planner", None, PASSWORD)
        before = data_hash(store)
        log_in(at, case.value, PASSWORD)
        errors = _unescape("\n".join(str(e.value) for e in at.error))
        assert "用户名或密码错误" in errors, _all_messages(at)
        assert "auth_actor" not in at.session_state
        assert data_hash(store) == before
        record("text", case.id, APP_LOGIN, "refused", errors)
        return

    # a possible account name: the account exists, its owner logs in through the form, the
    # name is shown as text; an always-true SQL text as name with a wrong password is refused
    auth.create_user(store, case.value, "planner", None, PASSWORD)
    log_in(at, case.value, "not the password")
    assert "auth_actor" not in at.session_state and "用户名或密码错误" in _unescape(_all_messages(at))
    log_in(at, "' OR '1'='1' --", PASSWORD)
    assert "auth_actor" not in at.session_state
    users = {u["name"]: u for u in auth.list_users(store)}
    assert users[case.value]["failed_logins"] == 1

    log_in(at, case.value, PASSWORD)
    actor = at.session_state["auth_actor"]
    assert (actor.name, actor.role) == (case.value, "planner")
    _assert_shown_as_text(at, case.value, must_show=True)  # the logged-in bar
    # the name is also what the core writes as the status source: change a status and show it
    at.selectbox(key=_form_key(at, "upd_status_")).set_value(
        "under_construction" if store.get_site(at.session_state["update_site_id"])["status"] == "planned" else "planned"
    )
    at.text_area(key=_form_key(at, "upd_note_")).input("hostile user-name check")
    _run(at)
    at.button(key=_form_key(at, "upd_save_")).click()
    _run(at)
    site = store.get_site(at.session_state["update_site_id"])
    assert site["status_source"] == f"official: {case.value}"
    assert store.history(site_id=site["site_id"])[0]["user_name"] == case.value
    _assert_shown_as_text(at, case.value, must_show=True)  # logged-in bar and the current-values table
    at.button(key="logout").click()
    _run(at)
    assert "auth_actor" not in at.session_state
    record("text", case.id, APP_LOGIN, "stored_literally", "logs in as exactly that name; wrong password refused")
    record("text", case.id, "app:更新 page(logged-in bar, status source)", "rendered_safely",
           "markdown specials backslash-escaped")


@pytest.mark.postgres
def test_login_form_on_postgresql_with_names_no_account_can_have(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL refuses a NUL in any text parameter: the log-in form must answer "wrong name or
    password" (no account can have such a name), not raise the driver's DataError."""
    monkeypatch.setenv("WUFEI_DB_URL", pg_url)
    store = Store.open(pg_url, seed=False, settings=Settings(db_url=pg_url))
    try:
        store.seed(test_sites())
        _block_plan_seed(store)
        auth.create_user(store, "admin", "admin", None, PASSWORD)
        at = open_page(UPDATE_PAGE)
        cases = [c for c in TEXT_CASES if APP_LOGIN in c.entries and _expect(c, APP_LOGIN) == "refused"]
        assert any("\x00" in c.value for c in cases)
        for case in cases:
            before = data_hash(store)
            log_in(at, case.value, PASSWORD)
            errors = _unescape("\n".join(str(e.value) for e in at.error))
            assert "用户名或密码错误" in errors, case.id
            assert "auth_actor" not in at.session_state and data_hash(store) == before
            record("text", case.id, "app:login form(user name) on PostgreSQL", "refused", errors)
        log_in(at, "admin", PASSWORD)
        assert at.session_state["auth_actor"].name == "admin"
    finally:
        store.close()


def test_lone_surrogate_cannot_reach_a_form(anonymous: App, use) -> None:
    """Streamlit's messages are UTF-8 protobuf: a lone surrogate is not sent at all (the browser
    could not send one either), so the app's forms never see it; nothing is written."""
    app = use(anonymous)
    before = data_hash(app.store)
    at = app.at
    at.text_input(key="login_name").input("bad\ud800")
    at.text_input(key="login_password").input(PASSWORD)
    [submit] = [b for b in at.button if b.label in ("登录", "Log in")]
    submit.click()
    with pytest.raises(UnicodeEncodeError):
        at.run()
    at.text_input(key="login_name").input("")
    at.text_input(key="login_password").input("")
    _run(at)
    assert "auth_actor" not in at.session_state
    assert data_hash(app.store) == before


# --- values: capacity, location, commissioning date --------------------------------------
def _unit_option(at: AppTest, unit: str) -> str:
    """The form's option for a unit as written (the form offers codes labelled in Chinese: 吨/年 = t/yr)."""
    options = list(at.selectbox(key=_form_key(at, "upd_unit_")).options)
    for code in ("t/d", "kg/d", "t/yr", "万吨/年", "kW", "MW", "count"):
        if unit in (code, i18n.unit_label(code, "zh")):
            label = i18n.unit_label(code, "zh") or code
            assert label in options, (unit, options)
            return code
    raise AssertionError(f"the form offers no unit {unit!r}")


def _pick_site(at: AppTest, site_id: str) -> None:
    if at.session_state["update_site_id"] != site_id:
        at.selectbox(key="update_pick").set_value(site_id)
        _run(at)
    assert at.session_state["update_site_id"] == site_id


def _typed(value: Any) -> str:
    """A corpus value as a person types it."""
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return str(value)


def _save(at: AppTest) -> None:
    at.button(key=_form_key(at, "upd_save_")).click()
    _run(at)


def _refusal(at: AppTest) -> str:
    errors = _unescape("\n".join(str(e.value) for e in at.error))
    assert "未保存" in errors, _all_messages(at)
    return errors


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CAPACITY_CASES if APP_CAPACITY in c.entries])
def test_capacity_through_the_update_form(official: App, use, case: Case) -> None:
    app = use(official)
    store, at = app.store, app.at
    site_id = "H.4" if case.id == "cap-huge-overflow" else "H.3"  # H.4 is construction waste (万吨/年)
    _pick_site(at, site_id)
    value, unit = case.value
    before = data_hash(store)
    version = store.get_site(site_id)["version"]
    at.radio(key=_form_key(at, "upd_locmode_")).set_value("keep")
    at.text_input(key=_form_key(at, "upd_cap_")).input(_typed(value))
    at.selectbox(key=_form_key(at, "upd_unit_")).set_value(_unit_option(at, unit))
    _run(at)
    _save(at)
    if case.expect == "refused":
        errors = _refusal(at)
        assert data_hash(store) == before
        record("values", case.id, APP_CAPACITY, "refused", errors)
        return
    site = store.get_site(site_id)
    assert site["version"] == version + 1
    assert (site["operating_capacity_value"], site["operating_capacity_unit"]) == (500.0, "kg/d")
    assert site["operating_capacity_norm"] == pytest.approx(0.5)
    record("values", case.id, APP_CAPACITY, "accepted_correctly", "500 kg/d stored as 0.5 t/d")


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in COORD_CASES if APP_LOCATION in c.entries])
def test_location_through_the_update_form(official: App, use, case: Case) -> None:
    app = use(official)
    store, at = app.store, app.at
    _pick_site(at, "H.1")
    lon, lat, datum = case.value
    before = data_hash(store)
    version = store.get_site("H.1")["version"]
    at.radio(key=_form_key(at, "upd_locmode_")).set_value("typed")
    _run(at)
    at.selectbox(key=_form_key(at, "upd_datum_")).set_value(datum)
    at.text_input(key=_form_key(at, "upd_lon_")).input(_typed(lon))
    at.text_input(key=_form_key(at, "upd_lat_")).input(_typed(lat))
    _run(at)
    _save(at)
    if case.expect == "refused":
        errors = _refusal(at)
        assert data_hash(store) == before
        record("values", case.id, APP_LOCATION, "refused", errors)
        return
    from wufei_geo import crs

    site = store.get_site("H.1")
    assert site["version"] == version + 1
    assert crs.distance_m(site["lon"], site["lat"], *crs.to_wgs84(lon, lat, datum)) < 0.05
    assert crs.distance_m(site["lon"], site["lat"], lon, lat) > 300  # really converted from GCJ-02
    assert (site["precision"], site["location_source"]) == ("exact", "official")
    record("values", case.id, APP_LOCATION, "accepted_correctly", "GCJ-02 converted to WGS-84")


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in DATE_CASES])
def test_commissioning_date_through_the_update_form(official: App, use, case: Case) -> None:
    app = use(official)
    store, at = app.store, app.at
    _pick_site(at, "H.3")
    before = data_hash(store)
    at.radio(key=_form_key(at, "upd_locmode_")).set_value("keep")
    at.text_input(key=_form_key(at, "upd_comm_")).input(case.value)
    _run(at)
    _save(at)
    errors = _refusal(at)
    assert "commissioning date" in errors or "投运日期" in errors  # the core's text, or its rule worded by the page
    assert data_hash(store) == before
    at.text_input(key=_form_key(at, "upd_comm_")).input("")
    _run(at)
    record("values", case.id, APP_COMMISSIONED, "refused", errors)


# --- session-state tampering and double submits -------------------------------------------
def _status_change(at: AppTest, status: str, note: str = "", tamper: dict[str, Any] | None = None) -> None:
    """Fill the form, then (optionally) overwrite session-state keys in the same run as the click."""
    at.radio(key=_form_key(at, "upd_locmode_")).set_value("keep")
    at.selectbox(key=_form_key(at, "upd_status_")).set_value(status)
    at.text_area(key=_form_key(at, "upd_note_")).input(note)
    _run(at)
    for key, value in (tamper or {}).items():
        at.session_state[key] = value
    _save(at)


def test_tampered_site_id_in_session_state(intruder: App, use) -> None:
    app = use(intruder)
    store, at = app.store, app.at
    before, foreign = data_hash(store), store.get_site("H.2")
    at.session_state["update_site_id"] = "H.2"  # a 华新 site
    _run(at)
    assert "不在您的街镇" in _unescape(_all_messages(at))
    _status_change(at, "under_construction")
    errors = _refusal(at)
    assert "只能修改本街镇的站点" in errors
    assert store.get_site("H.2") == foreign and data_hash(store) == before
    record("authz", "app-tamper-site-id", "app:更新 form (session state: update_site_id = 华新 site)", "refused", errors)


@pytest.mark.parametrize(
    "field,forged",
    [("town_code", HUAXIN), ("role", "admin"), ("name", "huaxin"), ("user_id", 1)],
)
def test_tampered_actor_fields_in_session_state(intruder: App, use, field: str, forged: Any) -> None:
    """The held actor claims another town/role/name/user id (same token): the core reads who it is
    from the database by the session token, so the edit of the 华新 site is refused."""
    app = use(intruder)
    store, at = app.store, app.at
    before = data_hash(store)
    at.session_state["update_site_id"] = "H.2"
    _run(at)
    forged_actor = dataclasses.replace(at.session_state["auth_actor"], **{field: forged})
    _status_change(at, "under_construction", tamper={"auth_actor": forged_actor})
    assert at.session_state["auth_actor"].name == "xiayang"  # resumed from the database
    errors = _refusal(at)
    assert "只能修改本街镇的站点" in errors
    assert data_hash(store) == before
    record("authz", f"app-tamper-actor-{field}", f"app:更新 form (session state: actor.{field} = {forged})", "refused",
           errors)


def test_tampered_token_in_session_state(intruder: App, use) -> None:
    app = use(intruder)
    store, at = app.store, app.at
    before = data_hash(store)
    at.session_state["update_site_id"] = "H.2"
    real = at.session_state["auth_actor"]
    at.session_state["auth_actor"] = dataclasses.replace(real, token="forged-" + real.token[7:], role="admin")
    _run(at)
    assert "auth_actor" not in at.session_state  # dropped: asked to log in again
    assert "请重新登录" in _unescape(_all_messages(at))
    assert at.text_input(key="login_name") is not None
    assert data_hash(store) == before
    record("authz", "app-tamper-token", "app:更新 page (session state: forged token)", "refused",
           "session dropped, log-in asked for; nothing written")
    log_in(at, "xiayang", PASSWORD)  # leave the group logged in


def test_tampered_opened_version_in_session_state(intruder: App, use) -> None:
    """The version the form was opened with, rewritten (older and newer): refused as stale."""
    app = use(intruder)
    store, at = app.store, app.at
    at.session_state["update_site_id"] = "H.1"
    _run(at)
    version = store.get_site("H.1")["version"]
    for forged in (version - 1, version + 5):
        before = data_hash(store)
        at.session_state["update_opened"] = {"H.1": forged}
        _run(at)
        _status_change(at, "under_construction")
        messages = _unescape(_all_messages(at))
        assert "已被修改" in messages or "未保存" in messages, messages
        assert data_hash(store) == before
        record("authz", f"app-tamper-version-{'older' if forged < version else 'newer'}",
               "app:更新 form (session state: update_opened version)", "refused", messages)
    at.session_state["update_opened"] = {}
    _run(at)


def test_double_submit_saves_once(intruder: App, use) -> None:
    app = use(intruder)
    store, at = app.store, app.at
    _pick_site(at, "H.3")
    at.session_state["update_opened"] = {}
    _run(at)
    opened = store.get_site("H.3")
    target = "commissioning" if opened["status"] != "commissioning" else "operating"
    audit_before = len(store.history(site_id="H.3"))

    note = "双击：同一次提交"
    # 1. a second click on the redrawn form (same intent, nothing left to change): a no-op
    _status_change(at, target, note)
    assert store.get_site("H.3")["status"] == target
    at.button(key=_form_key(at, "upd_save_")).click()
    _run(at)
    assert "没有修改" in _unescape(_all_messages(at))
    assert len(store.history(site_id="H.3")) == audit_before + 1

    # 2. the same form (status and note) submitted again with the version it was opened with (a
    #    double click that reached the server twice): the status is already saved, the note would
    #    be a second audit row, but the version is stale: refused, nothing written
    after_first = data_hash(store)
    at.session_state["update_opened"] = {"H.3": opened["version"]}
    _run(at)
    _status_change(at, target, note)
    messages = _unescape(_all_messages(at))
    assert "已被修改" in messages, messages
    assert data_hash(store) == after_first
    assert len(store.history(site_id="H.3")) == audit_before + 1
    record("authz", "app-double-submit", "app:更新 form (two clicks, same version)", "refused",
           "first saved; a click on the redrawn form: nothing to change; the same form replayed with its "
           "opened version: refused as stale; one audit row", updates_lost=0)


def test_two_tabs_submit_the_same_version(intruder: App, use) -> None:
    """Two sessions of the same official opened the form at one version; both save: one wins,
    the other is told who changed what; one audit row."""
    app = use(intruder)
    store = app.store
    tabs = [log_in(open_page(UPDATE_PAGE), "xiayang", PASSWORD) for _ in range(2)]
    for tab in tabs:
        _pick_site(tab, "H.1")
    status = store.get_site("H.1")["status"]
    target = "commissioning" if status != "commissioning" else "under_construction"
    audit_before = len(store.history(site_id="H.1"))
    for tab in tabs:
        _status_change(tab, target, "两个窗口同时提交")
    assert store.get_site("H.1")["status"] == target
    assert "已保存" in _unescape(_all_messages(tabs[0]))
    stale = _unescape(_all_messages(tabs[1]))
    assert "已被修改" in stale and "xiayang" in stale
    assert len(store.history(site_id="H.1")) == audit_before + 1
    record("authz", "app-two-tabs", "app:更新 form (two sessions, same version)", "refused",
           "second refused as stale with who/what; one audit row", updates_lost=0)


def test_add_site_double_submit_adds_once(admin: App, use) -> None:
    app = use(admin)
    store, at = app.store, app.at
    hashes = []
    for _ in range(2):
        at.text_input(key="add_site_id").input("F.99")
        at.text_input(key="add_name_zh").input("双击测试站")
        at.selectbox(key="add_town").set_value(XIAYANG)
        [add] = [b for b in at.button if b.label == "新增"]
        add.click()
        _run(at)
        hashes.append(data_hash(store))
    errors = _refusal(at)
    assert hashes[0] == hashes[1]  # the second click wrote nothing
    assert "F.99" in errors
    assert [r["action"] for r in store.history(site_id="F.99")] == ["add_site"]
    record("authz", "app-add-site-double-submit", "app:admin add-site form (two clicks)", "refused", errors)
