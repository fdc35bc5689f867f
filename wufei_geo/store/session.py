"""Transactions: the store's engine and clock, one write transaction with bounded retries, reads,
and the one-line message of an expected failure (``failure_message``).

Write transactions that meet a locked SQLite database (or a PostgreSQL serialisation failure)
are retried with a bounded, jittered backoff; a retry can never apply an edit twice because
the version it was checked against has moved on.
"""
from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from wufei_geo import db, i18n
from wufei_geo.auth import SHANGHAI
from wufei_geo.config import Settings, load_settings
from wufei_geo.errors import StoreBusy, StoreUnavailable, WufeiError

T = TypeVar("T")

MAX_WRITE_ATTEMPTS = 10


class Retry(Exception):
    """Raised inside a write transaction to roll it back and run it again."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def is_transient(exc: DBAPIError) -> bool:
    text = str(exc.orig if exc.orig is not None else exc).lower()
    if "database is locked" in text or "database is busy" in text or "database table is locked" in text:
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return sqlstate in ("40001", "40P01")  # serialization_failure, deadlock_detected


def storage_refusal(exc: DBAPIError) -> str | None:
    """The message key for a write the database refused as a whole, else None.

    Hostile-input fix: a read-only database file or a full disk used to surface as a raw
    SQLAlchemy OperationalError (a traceback in the CLI, an exception page in the app).
    """
    text = str(exc.orig if exc.orig is not None else exc).lower()
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if "readonly database" in text or "read-only" in text or sqlstate == "25006":
        return "error.db_read_only"
    if "disk is full" in text or "database or disk is full" in text or sqlstate in ("53100", "53200"):
        return "error.db_full"
    if exc.connection_invalidated or (sqlstate or "").startswith(("08", "57P")):
        return "error.db_lost"
    return None


def failure_message(exc: BaseException) -> str | None:
    """One line for an expected failure (issue 15: database locked or read-only, disk full,
    duplicate rows, refusals, unreadable files), or None for a bug (which keeps its traceback).
    Database errors are named by kind only: their text carries the SQL parameters, which may
    hold password hashes."""
    if isinstance(exc, WufeiError):
        return str(exc)
    if isinstance(exc, IntegrityError):
        return ("the database refused the change: a row with the same key already exists or a rule of the "
                "schema is broken; nothing was saved / 数据重复或违反约束，未保存")
    if isinstance(exc, DBAPIError):
        if is_transient(exc):
            return "the database is locked by another program; nothing was saved, try again / 数据库被占用，未保存"
        key = storage_refusal(exc)
        if key:
            return f"{i18n.t(key, 'en')} / {i18n.t(key, 'zh')}"  # both languages, split by the caller
        return (
            f"the database could not be used ({type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__}); "
            "check WUFEI_DB_URL and the database server / 无法使用数据库")
    if isinstance(exc, SQLAlchemyError):
        return f"the database could not be used ({type(exc).__name__}) / 无法使用数据库"
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        return f"{exc.strerror or type(exc).__name__}{where} / 文件读写失败"
    return None


class Session:
    """The engine, settings and clock every part of the store works with."""

    def __init__(self, engine: Engine, settings: Settings | None = None, clock: Callable[[], dt.datetime] | None = None):
        self.engine = engine
        self.settings = settings or load_settings()
        self.clock = clock or utcnow

    def close(self) -> None:
        self.engine.dispose()

    def now(self) -> dt.datetime:
        """Aware UTC now (from the injectable clock)."""
        now = self.clock()
        if now.tzinfo is None:
            raise ValueError("the store clock must return aware datetimes")
        return now.astimezone(dt.UTC)

    def today(self) -> dt.date:
        """Today's date in Qingpu (Asia/Shanghai)."""
        return self.now().astimezone(SHANGHAI).date()

    def run_write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work(conn)`` in one write transaction, retrying (bounded) while the database is busy.

        ``work`` must be safe to run again from scratch: the transaction of a failed attempt is
        rolled back entirely.  A WufeiError raised by ``work`` rolls back and propagates.
        """
        delay = 0.02
        for attempt in range(MAX_WRITE_ATTEMPTS):
            try:
                with self.engine.connect().execution_options(**{db.WRITE_OPTION: True}) as conn:
                    with conn.begin():
                        return work(conn)
            except (Retry, DBAPIError) as exc:
                if isinstance(exc, DBAPIError) and not is_transient(exc):
                    refusal = storage_refusal(exc)
                    if refusal is not None:
                        raise StoreUnavailable(key=refusal) from exc
                    raise
                if attempt == MAX_WRITE_ATTEMPTS - 1:
                    raise StoreBusy(key="error.db_busy") from exc
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 1.0)
        raise AssertionError("unreachable")

    def read(self, work: Callable[[Connection], T]) -> T:
        with self.engine.connect() as conn:
            return work(conn)
