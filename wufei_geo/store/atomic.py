"""Check-then-write made atomic on both databases: the one helper every state change uses.

A change that reads something, decides on it and then writes (a proposal still pending, no round
open, the site's version) must not act on what another transaction has changed in between.
SQLite write transactions already start with ``BEGIN IMMEDIATE`` (one writer at a time, see
:mod:`wufei_geo.db`), so there the read is the truth until commit.  PostgreSQL runs READ
COMMITTED: two transactions can read the same row, both decide, and both write.  Three tools,
each a no-op where SQLite already serialises:

* :func:`for_write` — a ``SELECT`` that locks the rows it returns (``FOR UPDATE``) when it runs
  in a write transaction on PostgreSQL: a second writer waits, then reads the committed row.
* :func:`serialise` — a transaction-scoped advisory lock for a rule no row can hold ("one open
  round", "one account per name key"): everyone who checks that rule takes it first.
* :func:`guarded_update` — ``UPDATE … WHERE <the condition checked>`` and fail when no row
  matched any more (the condition no longer holds): the caller writes its audit rows only after
  it returned, so an audit row only ever records a change that happened.

Later flows (register values, places) use the same three: lock what you read, or write
conditionally, and audit after the write.
"""
from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from wufei_geo import db


def is_writer(conn: Connection) -> bool:
    """The connection runs a write transaction (``Session.run_write``)."""
    return bool(conn.get_execution_options().get(db.WRITE_OPTION, False))


def for_write(conn: Connection, query: sa.Select, *, shared: bool = False) -> sa.Select:
    """``query`` locking the rows it returns until the transaction ends, in a write transaction
    on PostgreSQL (``shared``: ``FOR SHARE`` — others may read-lock, nobody may change them);
    unchanged elsewhere (SQLite writers are serial; a dry run must not take locks)."""
    if conn.dialect.name == "postgresql" and is_writer(conn):
        return query.with_for_update(read=shared)
    return query


def lock_key(name: str) -> int:
    """The advisory-lock key of a named rule (stable across processes and versions)."""
    return 730000000 + zlib.crc32(name.encode("utf-8")) % 100000000


def serialise(conn: Connection, name: str) -> None:
    """Hold the advisory lock of rule ``name`` until this transaction ends (PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({lock_key(name)})")


def guarded_update(conn: Connection, table: sa.Table, condition: Any, values: Mapping[str, Any],
                   conflict: Callable[[], BaseException], rows: int = 1) -> None:
    """``UPDATE table SET values WHERE condition``; raise ``conflict()`` unless exactly ``rows``
    rows matched (the condition checked earlier no longer holds: nothing of this change is kept,
    the whole transaction rolls back)."""
    res = conn.execute(sa.update(table).where(condition).values(**values))
    if res.rowcount != rows:
        raise conflict()
