"""Round three, concurrency: every check-then-write flow raced by parallel writers on SQLite and
PostgreSQL (READ COMMITTED), many times; each attempt must end in a serial outcome (one decision,
one open round, no success reported for a change that did not happen, an audit row per change).
Recorded for docs/reliability.md with the number of attempts and what was lost (0)."""
from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from tests.racing import race
from wufei_geo import auth, db
from wufei_geo.errors import WufeiError

from .results import record

ATTEMPTS = 12


def _won(results: list[Any]) -> int:
    return sum(not isinstance(r, WufeiError) for r in results)


def _audit(store, action: str, site_id: str | None = None) -> int:
    a = db.audit
    q = sa.select(sa.func.count()).select_from(a).where(a.c.action == action)
    if site_id is not None:
        q = q.where(a.c.site_id == site_id)
    with store.engine.connect() as conn:
        return int(conn.execute(q).scalar_one())


def _where(store) -> str:
    return "PostgreSQL" if store.engine.dialect.name == "postgresql" else "SQLite"


def _login(store, name: str, role: str, town: str | None = None) -> auth.Actor:
    auth.create_user(store, name, role, town, "hostile password 3")
    return auth.authenticate(store, name, "hostile password 3")


@pytest.mark.slow
def test_proposal_confirmed_and_rejected_at_once(store, site_record) -> None:
    official = _login(store, "xy", "town_official", "310118001")
    first, second = _login(store, "pa", "planner"), _login(store, "pb", "planner")
    store.seed([site_record(f"P3.{i}") for i in range(ATTEMPTS)])
    lost = 0
    for i in range(ATTEMPTS):
        sid = f"P3.{i}"
        pid = store.update_site(official, sid, {"operating_capacity_value": 40, "operating_capacity_unit": "t/d"}, 1,
                                note="insisted", insist=True)["proposal"]["id"]
        results = race(lambda pid=pid: store.confirm_proposal(first, pid),
                        lambda pid=pid: store.reject_proposal(second, pid, "no"))
        status = store.proposals(status=None, site_id=sid)[0]["status"]
        applied = store.get_site(sid)["operating_capacity_norm"] == 40.0
        both = _won(results) != 1 or (status == "rejected") == applied
        lost += int(both or _audit(store, "confirm_proposal", sid) > 0 and _audit(store, "reject_proposal", sid) > 0)
    assert lost == 0
    record("concurrency", "proposal-confirm-vs-reject", f"Store.confirm_proposal ∥ reject_proposal ({_where(store)})",
           "refused", f"{ATTEMPTS} races: each proposal decided once, the other refused; site matches the decision",
           attempts=ATTEMPTS, updates_lost=lost, partial_writes=0)


@pytest.mark.slow
def test_design_capacity_during_an_edit(store, site_record) -> None:
    planner, editor = _login(store, "pa", "planner"), _login(store, "pe", "planner")
    store.seed([site_record(f"D3.{i}") for i in range(ATTEMPTS)])
    phantom = 0
    for i in range(ATTEMPTS):
        sid = f"D3.{i}"
        results = race(lambda sid=sid: store.set_design_capacity(planner, sid, 7, "t/d", "批复", expected_version=1),
                        lambda sid=sid: store.update_site(editor, sid, {"commissioned": "2023-05-01"}, 1))
        site = store.get_site(sid)
        design_ok, edit_ok = (not isinstance(r, WufeiError) for r in results)
        phantom += int(design_ok != (site["capacity_norm"] == 7.0) or edit_ok != (site["commissioned"] is not None)
                       or design_ok != (_audit(store, "set_design_capacity", sid) > 0))
    assert phantom == 0
    record("concurrency", "design-capacity-vs-edit", f"Store.set_design_capacity ∥ update_site ({_where(store)})",
           "refused", f"{ATTEMPTS} races: success reported and audited only for the change stored; the other stale",
           attempts=ATTEMPTS, updates_lost=phantom, partial_writes=0)


@pytest.mark.slow
def test_rounds_opened_and_closed_at_once(store) -> None:
    planners = [_login(store, f"p{k}", "planner") for k in range(4)]
    extra = 0
    for i in range(ATTEMPTS):
        opened = race(*[(lambda p=p, i=i: store.open_round(p, f"轮次 {i} {p.name}")) for p in planners])
        extra += abs(_won(opened) - 1) + abs(len(store.rounds("open")) - 1)
        rid = store.rounds("open")[0]["id"]
        closed = race(*[(lambda p=p, rid=rid: store.close_round(p, rid)) for p in planners])
        extra += abs(_won(closed) - 1) + len(store.rounds("open"))
    extra += abs(_audit(store, "open_round") - ATTEMPTS) + abs(_audit(store, "close_round") - ATTEMPTS)
    assert extra == 0
    record("concurrency", "round-open-close", f"Store.open_round / close_round × 4 planners ({_where(store)})", "refused",
           f"{ATTEMPTS} races each: one round opened, one close; the others refused; one audit row each",
           attempts=2 * ATTEMPTS * len(planners), updates_lost=extra, partial_writes=0)


@pytest.mark.slow
def test_confirmations_during_edits(store, site_record) -> None:
    officials = [_login(store, f"xy{k}", "town_official", "310118001") for k in range(3)]
    planner = _login(store, "rp", "planner")
    store.seed([site_record(f"C3.{i}") for i in range(ATTEMPTS)])
    rnd = store.open_round(planner, "确认")
    wrong = 0
    for i in range(ATTEMPTS):
        sid = f"C3.{i}"
        results = race(lambda sid=sid: store.confirm_site(officials[0], sid, 1),
                        lambda sid=sid: store.confirm_site(officials[1], sid, 1),
                        lambda sid=sid: store.update_site(officials[2], sid, {"status": "under_construction"}, 1))
        rows = _audit(store, "confirm", sid) + _audit(store, "update", sid)
        answers = sum(a["site_id"] == sid for a in store.round_answers(rnd["id"]))
        wrong += abs(rows - _won(results)) + abs(answers - _won(results))
    assert wrong == 0
    record("concurrency", "confirm-vs-edit", f"Store.confirm_site × 2 ∥ update_site ({_where(store)})", "refused",
           f"{ATTEMPTS} races: one audit row and one round answer per success; a confirmation after the edit is stale",
           attempts=3 * ATTEMPTS, updates_lost=wrong, partial_writes=0)
