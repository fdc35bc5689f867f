"""Tables, engine and migrations.

Portable types only (no PostGIS needed): geometries are GeoJSON text, JSON lists are text,
times are stored in UTC.  The schema is created and changed only by the Alembic migrations
in ``wufei_geo/migrations`` (run by :func:`migrate`), never by ``create_all``; the tables
below describe the head revision so the code can query them (a test checks that the
migrations and these tables agree).

SQLite: WAL journal, foreign keys on, a busy timeout, and write transactions opened with
``BEGIN IMMEDIATE`` so two writers queue for the lock instead of failing half-way.
PostgreSQL: through psycopg 3 (``postgresql+psycopg://``).
"""
from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from wufei_geo.model import SITE_COLUMNS
from wufei_geo.paths import MIGRATIONS_DIR

SQLITE_BUSY_TIMEOUT_MS = 5000
# Execution option marking a connection whose transactions write (SQLite: BEGIN IMMEDIATE).
WRITE_OPTION = "wufei_write"

metadata = sa.MetaData()


class UTCDateTime(sa.types.TypeDecorator):
    """An aware UTC datetime on every backend (SQLite stores it naive; we re-attach UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


_FLOAT_COLUMNS = {
    "investment_yuan",
    "capacity_value",
    "capacity_norm",
    "operating_capacity_value",
    "operating_capacity_norm",
    "baseline_capacity_value",
    "baseline_capacity_norm",
    "lon",
    "lat",
}
_INT_COLUMNS = {"target_year", "version"}
_BOOL_COLUMNS = {"retired", "existing_facility"}


def _site_column(name: str) -> sa.Column:
    if name == "site_id":
        return sa.Column(name, sa.String(64), primary_key=True)
    if name in _FLOAT_COLUMNS:
        return sa.Column(name, sa.Float, nullable=True)
    if name == "version":
        return sa.Column(name, sa.Integer, nullable=False, server_default="1")
    if name in _INT_COLUMNS:
        return sa.Column(name, sa.Integer, nullable=True)
    if name in _BOOL_COLUMNS:
        return sa.Column(name, sa.Boolean, nullable=False, server_default=sa.false())
    return sa.Column(name, sa.Text, nullable=True)


sites = sa.Table(
    "sites",
    metadata,
    *[_site_column(c) for c in SITE_COLUMNS],
    sa.Column("updated_at", UTCDateTime, nullable=True),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("town_code", sa.String(9), nullable=True),
    sa.Column("department", sa.Text, nullable=True),  # issue 23: a department account's plan department
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", UTCDateTime, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_seen_at", UTCDateTime, nullable=False),
    sa.Column("ended", sa.Boolean, nullable=False, server_default=sa.false()),
)

audit = sa.Table(
    "audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("user_name", sa.Text, nullable=False),
    sa.Column("site_id", sa.String(64), nullable=True, index=True),
    sa.Column("town_code", sa.String(9), nullable=True, index=True),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("field", sa.String(64), nullable=True),
    sa.Column("old_value", sa.Text, nullable=True),
    sa.Column("new_value", sa.Text, nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    # The site's version after this change: groups the rows of one edit and lets a
    # stale edit be told exactly what happened since the version it started from.
    sa.Column("site_version", sa.Integer, nullable=True),
)

zones = sa.Table(
    "zones",
    metadata,
    sa.Column("town_code", sa.String(9), primary_key=True),
    sa.Column("name_zh", sa.Text, nullable=True),
    sa.Column("name_en", sa.Text, nullable=True),
    sa.Column("boundary_quality", sa.String(32), nullable=False),
    sa.Column("area_km2", sa.Float, nullable=True),
    sa.Column("geometry", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=True),
    sa.Column("imported_at", UTCDateTime, nullable=False),
)

# 待核实 proposals (issue 11): a town official's edit that broke a plausibility rule and was
# insisted on with a note.  The site's values (and so every total) stay untouched until a
# planner or administrator confirms (then applied, audited) or rejects it.
proposals = sa.Table(
    "proposals",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("site_id", sa.String(64), nullable=False, index=True),
    sa.Column("town_code", sa.String(9), nullable=True),
    sa.Column("changes", sa.Text, nullable=False),  # JSON: the edit as Store.update_site takes it
    sa.Column("new_values", sa.Text, nullable=False),  # JSON: column → validated new value
    sa.Column("old_values", sa.Text, nullable=False),  # JSON: column → value when proposed
    sa.Column("rules", sa.Text, nullable=False),  # JSON: [{rule, message, params}]
    sa.Column("note", sa.Text, nullable=False),  # the official's reason for insisting
    sa.Column("base_version", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),  # pending | confirmed | rejected
    sa.Column("proposed_by", sa.Text, nullable=False),
    sa.Column("proposed_at", UTCDateTime, nullable=False),
    sa.Column("decided_by", sa.Text, nullable=True),
    sa.Column("decided_at", UTCDateTime, nullable=True),
    sa.Column("decision_note", sa.Text, nullable=True),
)

# Update rounds (issue 12): a planner asks the towns to confirm or correct their sites; every
# confirmation or edit of a site in an open round's scope is kept as an answer.
update_rounds = sa.Table(
    "update_rounds",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("deadline", sa.String(10), nullable=True),  # ISO date (Asia/Shanghai), inclusive
    sa.Column("towns", sa.Text, nullable=False),  # JSON list of town codes; [] = every town
    sa.Column("categories", sa.Text, nullable=False),  # JSON list of categories; [] = every category
    sa.Column("status", sa.String(16), nullable=False, index=True),  # open | closed
    sa.Column("opened_by", sa.Text, nullable=False),
    sa.Column("opened_at", UTCDateTime, nullable=False),
    sa.Column("closed_by", sa.Text, nullable=True),
    sa.Column("closed_at", UTCDateTime, nullable=True),
)

round_answers = sa.Table(
    "round_answers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("round_id", sa.Integer, sa.ForeignKey("update_rounds.id"), nullable=False, index=True),
    sa.Column("site_id", sa.String(64), nullable=False),
    sa.Column("town_code", sa.String(9), nullable=True),
    sa.Column("answer", sa.String(16), nullable=False),  # confirm | update | propose
    sa.Column("answered_by", sa.Text, nullable=False),
    sa.Column("answered_at", UTCDateTime, nullable=False),
)

# --- issue 23: the register (migration 0013r_register) -------------------------------------
indicator_values = sa.Table(
    "indicator_values",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("entry_id", sa.String(64), nullable=False, index=True),  # plan number or target id
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("value", sa.Float, nullable=True),
    sa.Column("text", sa.Text, nullable=True),  # a grade (等级) as written
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("status", sa.String(16), nullable=False),  # accepted | pending (待核实) | rejected
    sa.Column("entered_by", sa.Text, nullable=False),
    sa.Column("entered_at", UTCDateTime, nullable=False),
    sa.Column("rules", sa.Text, nullable=True),  # JSON: the plausibility rules a pending value broke
    sa.Column("decided_by", sa.Text, nullable=True),
    sa.Column("decided_at", UTCDateTime, nullable=True),
    sa.Column("decision_note", sa.Text, nullable=True),
)
indicator_judgements = sa.Table(
    "indicator_judgements",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("entry_id", sa.String(64), nullable=False, index=True),
    sa.Column("as_of", sa.String(10), nullable=False),  # ISO date the judgement speaks for
    sa.Column("verdict", sa.String(16), nullable=False),  # met | not_met
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("judged_by", sa.Text, nullable=False),
    sa.Column("judged_at", UTCDateTime, nullable=False),
)
# --- end issue 23 ---------------------------------------------------------------------------

meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=True),
)

# --- places (issue 24: cells, 零浪费街区, education bases, showcases; wufei_geo/places/) ---
# The column order is the place schema (wufei_geo.places.vocab.PLACE_COLUMNS reads it from here).
places = sa.Table(
    "places",
    metadata,
    sa.Column("place_id", sa.String(64), primary_key=True),
    *[sa.Column(n, sa.Text, nullable=True) for n in ("name_zh", "name_en", "place_type", "town_code", "address")],
    sa.Column("lon", sa.Float, nullable=True),  # WGS-84 point
    sa.Column("lat", sa.Float, nullable=True),
    *[sa.Column(n, sa.Text, nullable=True) for n in (
        "area",  # GeoJSON outline (WGS-84)
        "precision", "location_source", "status", "status_as_of", "status_source",
        "status_log",  # JSON [{status, as_of, source, by, at}]
        "status_confirmed_at", "status_confirmed_by", "approved_by", "approved_at",
        "claim_status", "claim_source", "claim_as_of", "claim_note", "claim_by", "claim_at",  # 待核实 claim
        "responsible_unit", "source_ref", "data_note")],
    sa.Column("retired", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("updated_at", UTCDateTime, nullable=True),
)

place_audit = sa.Table(
    "place_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("user_name", sa.Text, nullable=False),
    sa.Column("place_id", sa.String(64), nullable=False, index=True),
    sa.Column("town_code", sa.String(9), nullable=True, index=True),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("field", sa.String(64), nullable=True),
    sa.Column("old_value", sa.Text, nullable=True),
    sa.Column("new_value", sa.Text, nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("place_version", sa.Integer, nullable=True),
)
# --- end places ---

# Tables whose content is the data (alembic_version is bookkeeping).
DATA_TABLES: tuple[sa.Table, ...] = (sites, users, sessions, audit, zones, proposals, update_rounds, round_answers,
                                     indicator_values, indicator_judgements, places, place_audit, meta)


def normalise_url(url: str) -> str:
    """Accept a plain file path or ``postgresql://`` and return a SQLAlchemy URL with our drivers."""
    url = url.strip()
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the SQLite pragmas and BEGIN IMMEDIATE for write transactions."""
    url = normalise_url(url)
    sa_url = sa.engine.make_url(url)
    if sa_url.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True, future=True)

    memory = sa_url.database in (None, "", ":memory:")
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
    if memory:
        kwargs["poolclass"] = StaticPool
    elif not str(sa_url.database).startswith("file:"):  # a URI filename (?mode=ro&uri=true) names a file as it is
        Path(sa_url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy (below) emit BEGIN itself, so we can choose IMMEDIATE for writers.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if not memory:
            try:
                cur.execute("PRAGMA journal_mode = WAL")
                cur.execute("PRAGMA synchronous = NORMAL")
            except sqlite3.OperationalError as exc:
                # A read-only file or a full disk refuses the switch to WAL; reading is still
                # possible in the file's own journal mode, and a write is then refused with its
                # named cause (store.session.storage_refusal), never every read (issue 27).
                logging.getLogger(__name__).warning("SQLite journal mode unchanged (%s): reads only", exc)
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def alembic_config(connection: Connection | None = None) -> Any:
    """A programmatic Alembic config (no alembic.ini needed) pointing at our migrations."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


# PostgreSQL advisory-lock keys (transaction-scoped): one per rule that a unique index cannot hold.
MIGRATION_LOCK = 730118
USER_NAMES_LOCK = 730119


def serialise_user_names(conn: Connection) -> None:
    """Hold the user-name lock until this transaction ends (PostgreSQL; SQLite writers are serial already).

    Two user names that differ only in case or width ("Alice", "ａｌｉｃｅ") are the same account
    name (:func:`wufei_geo.auth.name_key`), which the column's unique index cannot see; without this
    lock two concurrent READ COMMITTED transactions could each find no clash and both insert."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({USER_NAMES_LOCK})")


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` in one transaction (a no-op when already there).

    Concurrent first starts are serialised: SQLite by BEGIN IMMEDIATE, PostgreSQL by an
    advisory lock held for the transaction.
    """
    from alembic import command

    if current_revision(engine) == head_revision() and revision == "head":
        return
    with engine.connect().execution_options(**{WRITE_OPTION: True}) as conn:
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            command.upgrade(alembic_config(conn), revision)
