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

from wufei_geo import db
from wufei_geo.auth import SHANGHAI
from wufei_geo.config import Settings, load_settings
from wufei_geo.errors import Finding, StoreBusy, StoreUnavailable, WufeiError

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


def failure_refusal(exc: BaseException) -> WufeiError | None:
    """An expected failure (issue 15: database locked or read-only, disk full, duplicate rows,
    refusals, unreadable files) as a keyed refusal worded from the catalogue, or None for a bug
    (which keeps its traceback).  Database errors are named by kind only: their text carries the
    SQL parameters, which may hold password hashes."""
    if isinstance(exc, WufeiError):
        return exc
    if isinstance(exc, IntegrityError):
        return Finding(key="problem.db.integrity")
    if isinstance(exc, DBAPIError):
        if is_transient(exc):
            return Finding(key="problem.db.locked")
        key = storage_refusal(exc)
        if key:
            return StoreUnavailable(key=key)
        kind = type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__
        return Finding(key="problem.db.unusable_check_url", params={"kind": kind})
    if isinstance(exc, SQLAlchemyError):
        return Finding(key="problem.db.unusable", params={"kind": type(exc).__name__})
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        return Finding(key="problem.file_io", params={"reason": exc.strerror or type(exc).__name__, "where": where})
    return None


def failure_message(exc: BaseException) -> str | None:
    """One line for an expected failure (:func:`failure_refusal`) in English and Chinese (logs;
    ``i18n.item_text`` takes one language of it), or None for a bug."""
    refusal = failure_refusal(exc)
    return None if refusal is None else str(refusal)


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
