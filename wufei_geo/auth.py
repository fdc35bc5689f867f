"""Accounts, passwords, lock-out and sessions.

Passwords are stored only as bcrypt hashes.  bcrypt reads at most 72 bytes, so the password is
first reduced with SHA-256 (base64, no NUL bytes): long passphrases keep all their entropy.
There is no default account and no default password: the first administrator is created
with ``wufei-geo users add NAME --role admin`` on the machine that holds the database.

A log-in opens a session: a random token given to the caller, stored only as its SHA-256.
Sessions expire after ``Settings.session_idle_minutes`` without activity, and
``Settings.session_max_hours`` after the log-in however active.  After
``Settings.lockout_attempts`` consecutive wrong passwords the account is locked for
``Settings.lockout_minutes``.

``actor=None`` in the management functions means the local command line (whoever can run
``wufei-geo`` on the server already holds the database file or URL); the app always passes
the logged-in actor, who must be an administrator.
"""
from __future__ import annotations

import base64
import datetime as dt
import getpass
import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import bcrypt
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from wufei_geo import db, permissions
from wufei_geo.errors import AccountLocked, NotAuthenticated, NotFound, ValidationError
from wufei_geo.permissions import ROLES

if TYPE_CHECKING:
    from wufei_geo.config import Settings
    from wufei_geo.store import Store

SHANGHAI = ZoneInfo("Asia/Shanghai")
BCRYPT_ROUNDS = 12  # tests lower this to keep the suite fast
MIN_PASSWORD_CHARS = 8
MAX_NAME_CHARS = 64
_TOWN_CODE_RE = re.compile(r"^310118\d{3}$")
# Real hashes to compare against when the user does not exist, one per cost, made on first use
# with the cost new hashes get (``BCRYPT_ROUNDS``): an unknown name takes as long to refuse as a
# wrong password (issue 15: the old dummy had cost 4 against 12, 1 ms against 200 ms).
_DUMMY_HASHES: dict[int, bytes] = {}


def _dummy_hash() -> bytes:
    rounds = BCRYPT_ROUNDS
    if rounds not in _DUMMY_HASHES:
        _DUMMY_HASHES[rounds] = bcrypt.hashpw(b"wufei-geo dummy password", bcrypt.gensalt(rounds))
    return _DUMMY_HASHES[rounds]


@dataclass(frozen=True)
class Actor:
    """A logged-in user: the session token (secret, keep it server-side) and who it belongs to."""

    token: str
    user_id: int
    name: str
    role: str
    town_code: str | None
    department: str | None = None  # issue 23: a department account's plan department

    def __repr__(self) -> str:  # never print the token
        return f"Actor(name={self.name!r}, role={self.role!r}, town_code={self.town_code!r})"


# --- passwords -------------------------------------------------------------------------------


def _prehash(password: str) -> bytes:
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


def hash_password(password: str) -> str:
    """bcrypt hash (``$2b$...``) of ``password`` after the password policy check."""
    check_password_policy(password)
    return bcrypt.hashpw(_prehash(password), bcrypt.gensalt(BCRYPT_ROUNDS)).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(_prehash(password), password_hash.encode("ascii"))
    except ValueError:
        return False


def check_password_policy(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_CHARS:
        raise ValidationError(key="error.password_short", params={"n": MIN_PASSWORD_CHARS})


# A user name is an identifier shown in markdown and HTML (issue 15): letters, marks, digits,
# other symbols (emoji) and only these punctuation characters — nothing markdown or HTML reads.
NAME_PUNCTUATION = " .-_@·"
# Letters of these scripts look alike (Latin a/Cyrillic а/Greek α …): a name may use only one.
_LOOKALIKE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")
# Cyrillic and Greek letters that look like Latin ones, for the "same account?" comparison.
_CONFUSABLE = str.maketrans(
    "авеёкмнорстухіјѕԁԛԝѵаВЕКМНОРСТХІЈЅαβεικνοτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "abeekmhopctyxijsdqwvaBEKMHOPCTXIJSabeikvotuxABEZHIKMNOPTYX",
)


def _script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    try:
        head = unicodedata.name(ch).split(" ", 1)[0]
    except ValueError:
        return None
    return head if head in _LOOKALIKE_SCRIPTS else None


def name_key(name: str) -> str:
    """What makes two user names "the same account": NFKC, case-folded, look-alike letters mapped
    to Latin.  Names are unique by this key (``Admin``, ``ADMIN`` and Cyrillic ``аdmin`` collide)."""
    return unicodedata.normalize("NFKC", name).casefold().translate(_CONFUSABLE).casefold()


def _marked_letters(name: str) -> list[str]:
    """The letters of ``name`` (NFD-decomposed) that carry a combining mark, each with its marks, NFC."""
    parts = unicodedata.normalize("NFD", name)
    out = []
    for i, ch in enumerate(parts):
        if not unicodedata.category(ch).startswith("L"):
            continue
        j = i + 1
        while j < len(parts) and unicodedata.category(parts[j]).startswith("M"):
            j += 1
        if j > i + 1:
            out.append(unicodedata.normalize("NFC", parts[i:j]))
    return out


def check_name(name: str) -> str:
    """A user name: NFKC-normalised, 1–64 characters after trimming, no control or invisible
    format characters, only letters/digits/symbols and ``NAME_PUNCTUATION``, no combining marks
    (not even inside a precomposed letter: ``admiń`` would pass for ``admin``), letters from at
    most one of Latin/Cyrillic/Greek (issue 15: look-alikes, markup)."""
    if not isinstance(name, str):
        raise ValidationError(key="error.name_text")
    name = unicodedata.normalize("NFKC", name).strip()
    if not 1 <= len(name) <= MAX_NAME_CHARS:
        raise ValidationError(key="error.name_length", params={"n": MAX_NAME_CHARS})
    bad = [ch for ch in name if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn")]
    if bad:
        raise ValidationError(
            key="error.name_controls", params={"chars": ", ".join(f"U+{ord(ch):04X}" for ch in bad)}
        )
    odd = sorted({ch for ch in name if not (unicodedata.category(ch)[0] in "LMN" or unicodedata.category(ch) == "So"
                                            or ch in NAME_PUNCTUATION)})
    if odd:
        raise ValidationError(key="error.name_characters", params={
            "allowed": " ".join(repr(c) for c in NAME_PUNCTUATION), "chars": " ".join(repr(c) for c in odd)})
    # a combining mark on a letter, also inside a precomposed one (ń = n + U+0301): admiń beside
    # admin.  Marks on symbols stay (the emoji variation selector U+FE0F of ♻️).
    marked = sorted(set(_marked_letters(name)))
    if marked:
        raise ValidationError(key="error.name_marks", params={"chars": " ".join(marked)})
    scripts = sorted({sc for sc in map(_script, name) if sc})
    if len(scripts) > 1:
        raise ValidationError(key="error.name_scripts", params={"scripts": ", ".join(s.title() for s in scripts)})
    return name


def known_town_codes() -> frozenset[str] | None:
    """The 11 town codes from the gazetteer, or None when the geodata module is not available."""
    try:
        from wufei_geo import geodata
    except ImportError:
        return None
    gaz = geodata.load_gazetteer()
    return frozenset(str(c) for c in gaz[geodata.TOWN_CODE])


def valid_towns_text(lang: str = "zh") -> str:
    """``310118001 夏阳街道, …`` — the valid town codes with their names, for refusals."""
    try:
        from wufei_geo import geodata
    except ImportError:
        return ""
    gaz = geodata.load_gazetteer()
    names = gaz["name_en" if lang == "en" else "name_zh"]
    return ", ".join(f"{c} {n}" for c, n in zip(gaz[geodata.TOWN_CODE], names, strict=True))


def town_names(lang: str = "zh") -> dict[str, str]:
    """town code → name in ``lang`` (empty when the geodata module is not available)."""
    try:
        from wufei_geo import geodata
    except ImportError:
        return {}
    gaz = geodata.load_gazetteer()
    return dict(zip(gaz[geodata.TOWN_CODE].astype(str), gaz["name_en" if lang == "en" else "name_zh"], strict=True))


def town_code_from(text: Any) -> str:
    """A town given as its code or its name — 310118106, 徐泾镇, 徐泾, Xujing Town, xujing — → its code;
    anything else is refused with the valid towns listed."""
    value = str(text).strip() if text is not None else ""
    if _TOWN_CODE_RE.match(value):
        return check_town_code(value)
    wanted = value.lower().removesuffix(" town").removesuffix(" subdistrict").strip()
    for code, zh in town_names("zh").items():
        en = town_names("en").get(code, "").lower()
        short_zh = zh.removesuffix("街道").removesuffix("镇")
        short_en = en.removesuffix(" town").removesuffix(" subdistrict")
        if value in (zh, short_zh) or wanted in (en, short_en):
            return code
    return check_town_code(value)


def check_town_code(code: Any) -> str:
    code = str(code).strip() if code is not None else ""
    known = known_town_codes()
    if not _TOWN_CODE_RE.match(code) or (known is not None and code not in known):
        raise ValidationError(key="error.unknown_town", params={"code": code, "valid": valid_towns_text("zh"), "valid_en": valid_towns_text("en")})
    return code


def shanghai_time(value: dt.datetime) -> str:
    """``2026-01-02 08:30`` in Asia/Shanghai for an aware UTC datetime."""
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def local_actor_name() -> str:
    """How the local command line appears in the audit."""
    try:
        who = getpass.getuser()
    except Exception:  # no login name in some containers
        who = "unknown"
    return f"cli:{who}"


# --- session checks used by every write --------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def live_session(conn: Connection, token: str | None, now: dt.datetime, settings: Settings) -> sa.Row:
    """The (session, user) row of a live session, or NotAuthenticated."""
    if not token or not isinstance(token, str):
        raise NotAuthenticated(key="error.not_logged_in")
    s, u = db.sessions, db.users
    row = conn.execute(
        sa.select(
            s.c.id.label("session_id"), s.c.created_at, s.c.last_seen_at, s.c.ended,
            u.c.id.label("user_id"), u.c.name, u.c.role, u.c.town_code, u.c.department, u.c.disabled,
        )
        .join(u, u.c.id == s.c.user_id)
        .where(s.c.token_hash == _token_hash(token))
    ).first()
    if row is None or row.ended:
        raise NotAuthenticated(key="error.session_ended")
    if now - row.last_seen_at > dt.timedelta(minutes=settings.session_idle_minutes):
        raise NotAuthenticated(key="error.session_expired")
    if now - row.created_at > dt.timedelta(hours=settings.session_max_hours):
        raise NotAuthenticated(key="error.session_too_old", params={"hours": settings.session_max_hours})
    if row.disabled:
        raise NotAuthenticated(key="error.account_disabled", params={"name": row.name})
    return row


def check_actor(conn: Connection, actor: Actor | None, now: dt.datetime, settings: Settings) -> sa.Row:
    """Verify against the database that ``actor`` is a live session (role and town from the DB)."""
    if actor is None or not isinstance(actor, Actor):
        raise NotAuthenticated(key="error.not_logged_in")
    return live_session(conn, actor.token, now, settings)


def touch(conn: Connection, session_id: int, now: dt.datetime) -> None:
    conn.execute(sa.update(db.sessions).where(db.sessions.c.id == session_id).values(last_seen_at=now))


def require_admin(conn: Connection, actor: Actor | None, now: dt.datetime, settings: Settings) -> str:
    """The audit name of an administrator actor, or of the local command line when ``actor`` is None."""
    if actor is None:
        return local_actor_name()
    row = check_actor(conn, actor, now, settings)
    permissions.require(row, "administer")
    touch(conn, row.session_id, now)
    return row.name


def _audit_user_event(conn: Connection, now: dt.datetime, by: str, action: str, name: str, new_value: str | None) -> None:
    conn.execute(
        sa.insert(db.audit).values(
            at=now, user_name=by, site_id=None, town_code=None, action=action,
            field="user", old_value=None, new_value=f"{name}{': ' + new_value if new_value else ''}", note=None,
        )
    )


# --- accounts -------------------------------------------------------------------------------


def create_user(
    store: Store, name: str, role: str, town_code: str | None, password: str, actor: Actor | None = None,
    department: str | None = None,
) -> dict[str, Any]:
    """Create an account; ``town_official`` needs a town code, other roles must not have one;
    ``department`` needs one of the plan's departments (issue 23), other roles must not have one."""
    from wufei_geo.departments import check_department

    name = check_name(name)
    if role not in ROLES:
        raise ValidationError(key="error.unknown_role", params={"role": role, "allowed": ", ".join(ROLES)})
    department = check_department(role, department)
    if ROLES[role].town_bound:
        if town_code is None or str(town_code).strip() == "":
            raise ValidationError(key="error.town_required")
        town_code = check_town_code(town_code)
    elif town_code not in (None, ""):
        raise ValidationError(key="error.role_no_town", params={"role": role})
    else:
        town_code = None
    password_hash = hash_password(password)

    def work(conn: Connection) -> dict[str, Any]:
        now = store.now()
        by = require_admin(conn, actor, now, store.settings)
        db.serialise_user_names(conn)
        key = name_key(name)
        clash = [n for (n,) in conn.execute(sa.select(db.users.c.name)) if name_key(n) == key]
        if clash:
            raise ValidationError(key="error.user_exists", params={"name": clash[0]})
        conn.execute(
            sa.insert(db.users).values(
                name=name, role=role, town_code=town_code, department=department, password_hash=password_hash,
                disabled=False, failed_logins=0, locked_until=None, created_at=now,
            )
        )
        _audit_user_event(conn, now, by, "user_add", name,
                          role + (f" {town_code}" if town_code else "") + (f" {department}" if department else ""))
        return {"name": name, "role": role, "town_code": town_code, "department": department, "disabled": False,
                "created_at": now}

    return store.run_write(work)


def list_users(store: Store) -> list[dict[str, Any]]:
    """Accounts without their hashes."""
    u = db.users
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(u.c.name, u.c.role, u.c.town_code, u.c.department, u.c.disabled, u.c.failed_logins, u.c.locked_until, u.c.created_at)
            .order_by(u.c.name)
        ).mappings().all()
    return [dict(r) for r in rows]


def _user_row(conn: Connection, name: str) -> sa.Row:
    row = conn.execute(sa.select(db.users).where(db.users.c.name == name)).first()
    if row is None:
        raise NotFound(key="error.no_user", params={"name": name})
    return row


def _end_sessions(conn: Connection, user_id: int) -> None:
    conn.execute(sa.update(db.sessions).where(db.sessions.c.user_id == user_id).values(ended=True))


def disable_user(store: Store, name: str, actor: Actor | None = None) -> None:
    """Disable an account and end its sessions (accounts are never deleted: the audit names them)."""

    def work(conn: Connection) -> None:
        now = store.now()
        by = require_admin(conn, actor, now, store.settings)
        row = _user_row(conn, name)
        conn.execute(sa.update(db.users).where(db.users.c.id == row.id).values(disabled=True))
        _end_sessions(conn, row.id)
        _audit_user_event(conn, now, by, "user_disable", name, None)

    store.run_write(work)


def set_password(store: Store, name: str, password: str, actor: Actor | None = None) -> None:
    """Set a new password; clears a lock-out and ends the user's sessions."""
    password_hash = hash_password(password)

    def work(conn: Connection) -> None:
        now = store.now()
        by = require_admin(conn, actor, now, store.settings)
        row = _user_row(conn, name)
        conn.execute(
            sa.update(db.users).where(db.users.c.id == row.id)
            .values(password_hash=password_hash, failed_logins=0, locked_until=None)
        )
        _end_sessions(conn, row.id)
        _audit_user_event(conn, now, by, "user_password", name, None)

    store.run_write(work)


# --- log-in, sessions -----------------------------------------------------------------------


def authenticate(store: Store, name: str, password: str) -> Actor:
    """Check name and password and open a session, or raise NotAuthenticated / AccountLocked.

    A wrong password is counted (and may lock the account) even though the call raises.
    """
    settings = store.settings
    name = unicodedata.normalize("NFKC", name).strip() if isinstance(name, str) else ""
    password = password if isinstance(password, str) else ""
    try:
        check_name(name)
    except ValidationError:
        name = ""  # no account can have it (NUL would even break PostgreSQL): a wrong name

    def work(conn: Connection) -> tuple[str, Any]:
        now = store.now()
        # The user's row is locked for the whole check (PostgreSQL: SELECT … FOR UPDATE; SQLite:
        # the write transaction is BEGIN IMMEDIATE): parallel attempts on one account queue, each
        # sees the count the previous one wrote, so at most ``lockout_attempts`` passwords are
        # ever checked before the lock (issue 15: unlocked read-then-write let any number through).
        row = conn.execute(
            sa.select(db.users).where(db.users.c.name == name).with_for_update()
        ).first() if name else None
        if row is None:
            bcrypt.checkpw(_prehash(password), _dummy_hash())
            return ("wrong", None)
        if row.locked_until is not None and row.locked_until > now:
            return ("locked", row.locked_until)
        if not verify_password(password, row.password_hash):
            failures = (row.failed_logins or 0) + 1
            if row.locked_until is not None:  # an earlier lock has run out: start counting again
                failures = 1
            values: dict[str, Any] = {"failed_logins": failures, "locked_until": None}
            if failures >= settings.lockout_attempts:
                until = now + dt.timedelta(minutes=settings.lockout_minutes)
                values = {"failed_logins": 0, "locked_until": until}
                conn.execute(sa.update(db.users).where(db.users.c.id == row.id).values(**values))
                return ("locked", until)
            conn.execute(sa.update(db.users).where(db.users.c.id == row.id).values(**values))
            return ("wrong", None)
        if row.disabled:
            return ("disabled", None)
        token = secrets.token_urlsafe(32)
        conn.execute(sa.update(db.users).where(db.users.c.id == row.id).values(failed_logins=0, locked_until=None))
        conn.execute(
            sa.insert(db.sessions).values(
                token_hash=_token_hash(token), user_id=row.id, created_at=now, last_seen_at=now, ended=False
            )
        )
        return ("ok", Actor(token=token, user_id=row.id, name=row.name, role=row.role, town_code=row.town_code,
                              department=row.department))

    outcome, value = store.run_write(work)
    if outcome == "ok":
        return value
    if outcome == "locked":
        raise AccountLocked(locked_until=value, key="error.locked", params={"until": shanghai_time(value)})
    if outcome == "disabled":
        raise NotAuthenticated(key="error.account_disabled", params={"name": name})
    raise NotAuthenticated(key="error.wrong_login")


# A session's idle timer is refreshed at most this often: a page resumes the session on every run
# (each filter click), and a write per run cost more than the rest of a page switch.  An idle
# session then expires between ``session_idle_minutes`` and that plus this after its last activity.
TOUCH_AFTER = dt.timedelta(minutes=1)


def resume(store: Store, token: str) -> Actor:
    """The actor of a live session (refreshing its idle timer), or NotAuthenticated."""

    def actor(row: sa.Row) -> Actor:
        return Actor(token=token, user_id=row.user_id, name=row.name, role=row.role, town_code=row.town_code,
                     department=row.department)

    now = store.now()
    row = store.read(lambda conn: live_session(conn, token, now, store.settings))
    if dt.timedelta(0) <= now - row.last_seen_at < TOUCH_AFTER:  # (a clock behind the last toucher's writes)
        return actor(row)

    def work(conn: Connection) -> Actor:
        now = store.now()
        row = live_session(conn, token, now, store.settings)
        touch(conn, row.session_id, now)
        return actor(row)

    return store.run_write(work)


def can_read(public_read: bool, actor: Actor | None) -> bool:
    """Whether the map and its figures may be shown: to anyone when reading is public (the
    default, setting ``public_read``), otherwise only to a logged-in user (a resumed ``Actor``)."""
    return bool(public_read) or actor is not None


def logout(store: Store, actor_or_token: Actor | str | None) -> None:
    """End a session (no error if it is unknown or already ended)."""
    token = actor_or_token.token if isinstance(actor_or_token, Actor) else actor_or_token
    if not token:
        return

    def work(conn: Connection) -> None:
        conn.execute(sa.update(db.sessions).where(db.sessions.c.token_hash == _token_hash(token)).values(ended=True))

    store.run_write(work)
