"""Figure 5: status updates per second with 8 concurrent writers (threads), SQLite and PostgreSQL.

Every writer is a logged-in planner with its own session; each attempt reads a site, then calls
``Store.update_site`` with the version it read and the next status of the lifecycle (always
with a note, so backwards moves are allowed).  The writers share a small set of "hot" sites so
that conflicts really happen.  Afterwards the database itself is the judge:

- accepted = updates that returned; stale = refused with ``StaleVersion``;
- the sum over sites of (final version − initial version) must equal accepted, and so must the
  number of ``update`` audit rows on the status field: otherwise an update was lost.
"""
from __future__ import annotations

import os
import random
import secrets
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.core import Figure, Goal, fmt_n
from bench.synthetic import seed_records, synthetic_sites

WRITERS = 8
_CYCLE = ("planned", "under_construction", "commissioning", "operating")


def _next_status(current: str, rng: random.Random) -> str:
    return rng.choice([s for s in _CYCLE if s != current])


def run_writers(url: str, *, sites: int, hot: int, attempts_per_writer: int, writers: int = WRITERS) -> dict[str, Any]:
    """Seed ``sites`` synthetic sites at ``url``, then let ``writers`` threads update the first ``hot`` ones."""
    from wufei_geo import auth
    from wufei_geo.errors import StaleVersion, StoreBusy
    from wufei_geo.store import Store

    auth.BCRYPT_ROUNDS = 4  # logins are not what is measured; keep account creation quick
    store = Store.open(url, seed=False)
    try:
        store.seed(seed_records(synthetic_sites(sites)))
        ids = [f"SYN.{i + 1}" for i in range(hot)]
        initial = {sid: store.get_site(sid)["version"] for sid in ids}
        password = secrets.token_urlsafe(16)
        actors = []
        for w in range(writers):
            name = f"bench_writer_{w}"
            auth.create_user(store, name, "planner", None, password)
            actors.append(auth.authenticate(store, name, password))

        counts = {"accepted": 0, "stale": 0, "busy": 0, "other": 0}
        errors: list[str] = []
        lock = threading.Lock()
        start = threading.Barrier(writers)

        def writer(w: int) -> None:
            rng = random.Random(1000 + w)
            local = {"accepted": 0, "stale": 0, "busy": 0, "other": 0}
            start.wait()
            for _ in range(attempts_per_writer):
                sid = rng.choice(ids)
                site = store.get_site(sid)
                try:
                    store.update_site(
                        actors[w], sid, {"status": _next_status(site["status"], rng)}, site["version"], note=f"bench writer {w}"
                    )
                    local["accepted"] += 1
                except StaleVersion:
                    local["stale"] += 1
                except StoreBusy:
                    local["busy"] += 1
                except Exception as exc:  # noqa: BLE001 - counted and reported, never hidden
                    local["other"] += 1
                    with lock:
                        if len(errors) < 5:
                            errors.append(f"{type(exc).__name__}: {exc}")
            with lock:
                for k, v in local.items():
                    counts[k] += v

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0

        final = {sid: store.get_site(sid)["version"] for sid in ids}
        increments = sum(final[s] - initial[s] for s in ids)
        audit_rows = sum(
            1
            for sid in ids
            for row in store.history(site_id=sid)
            if row.get("action") == "update" and row.get("field") == "status"
        )
    finally:
        store.close()
    accepted = counts["accepted"]
    return {
        **counts,
        "writers": writers,
        "attempts": writers * attempts_per_writer,
        "hot_sites": hot,
        "wall_s": wall,
        "updates_per_s": accepted / wall if wall else None,
        "version_increments": increments,
        "audit_rows": audit_rows,
        "lost": accepted - increments,
        "audit_mismatch": audit_rows - accepted,
        "errors": errors,
    }


def _sqlite(**kw: Any) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="wufei-bench-") as tmp:
        return run_writers(f"sqlite:///{Path(tmp) / 'bench.sqlite'}", **kw)


def _postgres(base_url: str, **kw: Any) -> dict[str, Any]:
    """Run in a throwaway database created next to the one ``base_url`` names (dropped afterwards)."""
    from wufei_geo import db

    url = sa.engine.make_url(db.normalise_url(base_url))
    name = f"wufei_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            return run_writers(url.set(database=name).render_as_string(hide_password=False), **kw)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def measure(*, sites: int, hot: int, attempts_per_writer: int) -> dict[str, Any]:
    kw = {"sites": sites, "hot": hot, "attempts_per_writer": attempts_per_writer}
    out: dict[str, Any] = {"sqlite": _sqlite(**kw)}
    pg_url = os.environ.get("WUFEI_TEST_PG_URL", "").strip()
    if pg_url:
        out["postgresql"] = _postgres(pg_url, **kw)
    else:
        out["postgresql"] = None
    return out


def figure(raw: dict[str, Any]) -> Figure:
    fig = Figure(
        key="5 writers",
        title=f"5. Status updates with {WRITERS} concurrent writers",
        columns=["database", "attempts", "accepted", "stale", "busy", "other", "updates/s", "Σ version increments", "audit rows", "lost"],
        raw=raw,
    )
    measured = []
    for dbname in ("sqlite", "postgresql"):
        r = raw.get(dbname)
        if r is None:
            fig.notes.append(f"{dbname}: not run — WUFEI_TEST_PG_URL is not set (`eval \"$(bash .ci/start-postgres.sh)\"` sets it).")
            continue
        measured.append((dbname, r))
        fig.rows.append(
            [
                dbname,
                fmt_n(r["attempts"]),
                fmt_n(r["accepted"]),
                fmt_n(r["stale"]),
                fmt_n(r["busy"]),
                fmt_n(r["other"]),
                f"{r['updates_per_s']:.0f}",
                fmt_n(r["version_increments"]),
                fmt_n(r["audit_rows"]),
                str(r["lost"]),
            ]
        )
        for e in r["errors"]:
            fig.notes.append(f"{dbname}: unexpected refusal: {e}")
    if measured:
        no_loss = all(r["lost"] == 0 and r["audit_mismatch"] == 0 for _, r in measured)
        fig.goals.append(
            Goal(
                "concurrent status updates: no lost update in any run",
                "; ".join(f"{d}: lost {r['lost']}, audit − accepted {r['audit_mismatch']}" for d, r in measured),
                no_loss,
            )
        )
        fig.goals.append(
            Goal(
                "throughput reported for both databases",
                "; ".join(f"{d}: {r['updates_per_s']:.0f} updates/s" for d, r in measured),
                len(measured) == 2 if raw.get("postgresql") is not None else None,
            )
        )
    sample = next((r for _, r in measured), None)
    if sample:
        fig.notes.append(
            f"{sample['writers']} threads × {sample['attempts'] // sample['writers']} attempts each on {sample['hot_sites']} "
            "hot sites (each attempt: read the site, update its status with the version read); "
            "a stale refusal is the optimistic lock working, not a failure; 'busy' = StoreBusy after the store's retries."
        )
    return fig
