"""Log-in for the app: the form, the logged-in bar, log-out.  Not a page itself (app.py does not list it).

What the session keeps: only the :class:`wufei_geo.auth.Actor` returned by
``auth.authenticate`` under :data:`ACTOR_KEY`.  Nothing in it is trusted: every run calls
``auth.resume`` with its token, so the name, role and town shown and used come from the
database, and every write is checked again by the core (``Store.update_site`` verifies the
session in the same transaction).  An expired, ended or forged session is dropped and the user
is asked to log in again.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from app_pages.common import err, once_per_run, tr
from wufei_geo import auth, permissions
from wufei_geo.errors import AccountLocked, NotAuthenticated, ValidationError, WufeiError
from wufei_geo.mdtext import md_literal

ACTOR_KEY = "auth_actor"
NOTICE_KEY = "auth_notice"
T = TypeVar("T")


def _drop_session(message: str | None) -> None:
    st.session_state.pop(ACTOR_KEY, None)
    if message:
        st.session_state[NOTICE_KEY] = message


def current_actor(store: Any) -> auth.Actor | None:
    """The logged-in actor, freshly resumed from the database, or None.

    Resuming also refreshes the session's idle timer.  When the session is no longer valid the
    held actor is dropped and the core's reason is kept for :func:`login_form` to show.
    """
    held = st.session_state.get(ACTOR_KEY)
    if held is None:
        return None
    token = getattr(held, "token", None)
    # once per run of the page (app.py's inbox and the page both ask): each resume is a write
    return once_per_run(f"actor:{token}", lambda: _resume(store, token))


def _resume(store: Any, token: Any) -> auth.Actor | None:
    try:
        actor = auth.resume(store, token)
    except NotAuthenticated as exc:
        _drop_session(err(exc))
        return None
    st.session_state[ACTOR_KEY] = actor
    return actor


def session_lost(exc: NotAuthenticated) -> None:
    """A write was refused because the session is gone: drop it and ask to log in again."""
    _drop_session(err(exc))


def require_actor(store: Any) -> auth.Actor:
    """The logged-in actor, freshly resumed — or the log-in form, and this run of the page ends."""
    actor = current_actor(store)
    if actor is None:
        login_form(store)
        st.stop()
    return actor


def show_refusal(exc: BaseException) -> None:
    """A refusal of the core as the pages show it: 未能保存：<the core's reason>, escaped."""
    st.error(tr("update.refused", error=md_literal(err(exc))))


def act(
    store: Any,
    action: Callable[[auth.Actor], T],
    *,
    done: Callable[[T], None] | None = None,
    refused: Callable[[WufeiError], None] = show_refusal,
) -> T | None:
    """Run one write of the core (``action(actor)``) as the actor resumed from the database now.

    The one place the pages check a log-in before writing.  A session that has gone (expired,
    ended, forged — found here or by the core in the write's own transaction) is dropped and the
    page reruns to the log-in form with the reason; any other refusal of the core is shown by
    ``refused`` (default :func:`show_refusal`) and nothing else happens.  On success ``done(result)``
    runs (typically a flash and a rerun).  Permissions are the core's: this only shows the outcome."""
    try:
        fresh = current_actor(store)
        if fresh is None:
            notice = st.session_state.get(NOTICE_KEY)  # already worded in the reader's language
            raise NotAuthenticated(notice) if notice else NotAuthenticated(key="error.not_logged_in")
        result = action(fresh)
    except NotAuthenticated as exc:
        session_lost(exc)
        st.rerun()
    except WufeiError as exc:
        refused(exc)
        return None
    if done is not None:
        done(result)
    return result


def role_label(role: str) -> str:
    return tr(f"role.{role}") if role in permissions.ROLES else role


def login_form(store: Any) -> auth.Actor | None:
    """Name + password → ``auth.authenticate``; clear messages for a wrong password or a lock-out."""
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.warning(tr("login.expired", error=md_literal(notice)))
    st.info(tr("login.needed"))
    with st.form("login_form", clear_on_submit=True):
        st.subheader(tr("login.header"))
        name = st.text_input(tr("login.name"), key="login_name")
        password = st.text_input(tr("login.password"), type="password", key="login_password")
        submitted = st.form_submit_button(tr("login.submit"), type="primary")
    if not submitted:
        return None
    if not name.strip() or not password:
        st.error(tr("login.empty"))
        return None
    try:
        auth.check_name(name)
    except ValidationError:
        # No account can have this name (too long, control or invisible characters): the answer
        # is that of a wrong name, and the database is not asked (PostgreSQL refuses a NUL with
        # a raw DataError, which reached the page as an exception).
        st.error(tr("login.wrong"))
        return None
    try:
        actor = auth.authenticate(store, name, password)
    except AccountLocked as exc:
        until = auth.shanghai_time(exc.locked_until) if exc.locked_until is not None else "?"
        st.error(tr("login.locked", until=until))
        return None
    except NotAuthenticated as exc:
        # wrong name/password and disabled accounts: the core's message says which
        st.error(tr("login.wrong") if exc.key == "error.wrong_login" else tr("login.refused", error=md_literal(err(exc))))
        return None
    except WufeiError as exc:
        st.error(tr("login.refused", error=md_literal(err(exc))))
        return None
    st.session_state[ACTOR_KEY] = actor
    st.rerun()
    return actor


def user_bar(store: Any, actor: auth.Actor, town_name: str | None = None) -> None:
    """Who is logged in, and a log-out button (ends the session in the database)."""
    left, right = st.columns([4, 1])
    if actor.town_code:
        left.caption(tr("login.as_town", name=md_literal(actor.name), role=role_label(actor.role), town=md_literal(town_name or actor.town_code)))
    else:
        left.caption(tr("login.as", name=md_literal(actor.name), role=role_label(actor.role)))
    if right.button(tr("login.logout"), key="logout"):
        auth.logout(store, actor)
        _drop_session(None)
        st.rerun()

