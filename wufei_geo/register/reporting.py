"""Reported values and judgements in the store (issue 23): entering a value (checked by
:mod:`~wufei_geo.register.value_rules`, permitted by :mod:`~wufei_geo.register.permissions`),
the 待核实 step of an implausible value a department insists on, a planner's judgement of a
qualitative target, and the reads.  Every write is one transaction with its audit row
(``audit``: site_id null, ``field`` = the entry id)."""
from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from wufei_geo import auth, db, permissions
from wufei_geo.errors import BatchRefused, ImplausibleEdit, NotFound, ValidationError, WufeiError
from wufei_geo.register.entries import Entry, entry_by_id
from wufei_geo.register.permissions import require_may_report, require_planner
from wufei_geo.register.value_rules import check_value, plausibility
from wufei_geo.store import audit
from wufei_geo.store.values import check_note

if TYPE_CHECKING:
    from wufei_geo.store import Store

VERDICTS = ("met", "not_met")


def _entry(entry_id: Any) -> Entry:
    try:
        return entry_by_id(str(entry_id))
    except KeyError:
        raise NotFound(key="error.no_entry", params={"entry": entry_id}) from None


def previous_value(conn: Connection, entry_id: str, year: int) -> float | None:
    """The accepted value of the latest year before ``year`` (or of ``year`` itself, latest entered)."""
    v = db.indicator_values
    row = conn.execute(
        sa.select(v.c.value).where(v.c.entry_id == entry_id, v.c.status == "accepted", v.c.year <= year,
                                   v.c.value.isnot(None))
        .order_by(v.c.year.desc(), v.c.id.desc()).limit(1)
    ).first()
    return None if row is None else float(row.value)


def _write_value(conn: Connection, store: Store, who: Any, now: dt.datetime, item: dict[str, Any]) -> dict[str, Any]:
    """Check and write one value (see :func:`report_value`) inside the caller's transaction."""
    entry = _entry(item.get("entry_id"))
    note = item.get("note")
    note = check_note(note.strip()) if isinstance(note, str) and note.strip() else None
    require_may_report(who, entry)
    checked = check_value(entry, item.get("year"), item.get("value"), item.get("source"), store.today().year)
    violations = plausibility(entry, checked, previous_value(conn, entry.id, checked.year))
    status = "accepted"
    if violations:
        if not item.get("insist") or not note:
            raise ImplausibleEdit(violations=violations, key="error.implausible_value")
        status = "accepted" if permissions.may(who, "accept_implausible_value") else "pending"
    row = {"entry_id": entry.id, "year": checked.year, "value": checked.value, "text": checked.text,
           "source": checked.source, "note": note, "status": status, "entered_by": who.name,
           "entered_at": now, "rules": json.dumps([v.as_dict() for v in violations], ensure_ascii=False)
           if violations else None}
    new_id = conn.execute(sa.insert(db.indicator_values).values(**row)).inserted_primary_key[0]
    action = "propose_value" if status == "pending" else ("override_value" if violations else "report_value")
    shown = checked.text if checked.text is not None else audit.fmt(checked.value)
    audit.record(conn, now, who.name, None, None, action, entry.id, None, f"{checked.year}: {shown}",
                 note or checked.source, None)
    return {**row, "id": new_id}


def report_value(store: Store, actor: Any, entry_id: Any, year: Any, value: Any, source: Any,
                 note: str | None = None, insist: bool = False) -> dict[str, Any]:
    """Enter a value of a register entry for a year.  Refusals raise and write nothing.

    An implausible value raises ImplausibleEdit unless ``insist`` with a note: a planner's or an
    administrator's is then accepted (audited ``override_value``), a department's is stored as
    ``pending`` (待核实) and counts only once a planner confirms it."""
    _entry(entry_id)
    item = {"entry_id": entry_id, "year": year, "value": value, "source": source, "note": note, "insist": insist}

    def work(conn: Connection) -> dict[str, Any]:
        now = store.now()
        who = auth.check_actor(conn, actor, now, store.settings)
        row = _write_value(conn, store, who, now, item)
        auth.touch(conn, who.session_id, now)
        return row

    return store.run_write(work)


def report_values(store: Store, actor: Any, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Several values in ONE transaction (the bulk import): all are written, or none —
    BatchRefused lists every refusal as ``(index, entry_id, error)``."""

    def work(conn: Connection) -> list[dict[str, Any]]:
        now = store.now()
        who = auth.check_actor(conn, actor, now, store.settings)
        rows, errors = [], []
        for i, item in enumerate(items):
            try:
                rows.append(_write_value(conn, store, who, now, item))
            except WufeiError as exc:
                errors.append((i, str(item.get("entry_id")), exc))
        if errors:
            raise BatchRefused(None, errors, key="error.batch_values", params={"n": len(errors)})
        auth.touch(conn, who.session_id, now)
        return rows

    return store.run_write(work)


def decide_value(store: Store, actor: Any, value_id: int, confirm: bool, note: str | None = None) -> dict[str, Any]:
    """A planner confirms (it counts from now) or rejects a 待核实 value; never its proposer."""
    note = check_note(note.strip()) if isinstance(note, str) and note.strip() else None
    v = db.indicator_values

    def work(conn: Connection) -> dict[str, Any]:
        now = store.now()
        who = auth.check_actor(conn, actor, now, store.settings)
        require_planner(who)
        row = conn.execute(sa.select(v).where(v.c.id == int(value_id))).mappings().first()
        if row is None or row["status"] != "pending":
            raise NotFound(key="error.no_pending_value", params={"id": value_id})
        if row["entered_by"] == who.name:
            raise ValidationError(key="error.own_value", params={"id": value_id})
        status = "accepted" if confirm else "rejected"
        conn.execute(sa.update(v).where(v.c.id == row["id"]).values(
            status=status, decided_by=who.name, decided_at=now, decision_note=note))
        audit.record(conn, now, who.name, None, None, "confirm_value" if confirm else "reject_value",
                     row["entry_id"], "pending", status, note, None)
        auth.touch(conn, who.session_id, now)
        return {**dict(row), "status": status, "decided_by": who.name}

    return store.run_write(work)


def judge(store: Store, actor: Any, entry_id: Any, as_of: dt.date, verdict: str, note: str) -> dict[str, Any]:
    """A planner's judgement of a qualitative target for the date ``as_of``; the note is required."""
    entry = _entry(entry_id)
    if verdict not in VERDICTS:
        raise ValidationError(key="error.unknown_verdict", params={"verdict": verdict, "allowed": ", ".join(VERDICTS)})
    text = check_note(note.strip()) if isinstance(note, str) else ""
    if not text:
        raise ValidationError(key="error.judgement_note_required", params={"entry": entry.id})

    def work(conn: Connection) -> dict[str, Any]:
        now = store.now()
        who = auth.check_actor(conn, actor, now, store.settings)
        require_planner(who)
        row = {"entry_id": entry.id, "as_of": as_of.isoformat(), "verdict": verdict, "note": text,
               "judged_by": who.name, "judged_at": now}
        new_id = conn.execute(sa.insert(db.indicator_judgements).values(**row)).inserted_primary_key[0]
        audit.record(conn, now, who.name, None, None, "judge", entry.id, None, f"{as_of.isoformat()}: {verdict}",
                     text, None)
        auth.touch(conn, who.session_id, now)
        return {**row, "id": new_id}

    return store.run_write(work)


# --------------------------------------------------------------------------- reads
def values(store: Store, entry_id: str | None = None, status: str | None = "accepted") -> list[dict[str, Any]]:
    """Stored values (of one entry; of one status, None = all), oldest first."""
    v = db.indicator_values
    q = sa.select(v).order_by(v.c.id)
    if entry_id is not None:
        q = q.where(v.c.entry_id == str(entry_id))
    if status is not None:
        q = q.where(v.c.status == status)
    return [dict(r) for r in store.read(lambda c: c.execute(q).mappings().all())]


def judgements(store: Store, entry_id: str | None = None) -> list[dict[str, Any]]:
    j = db.indicator_judgements
    q = sa.select(j).order_by(j.c.id)
    if entry_id is not None:
        q = q.where(j.c.entry_id == str(entry_id))
    return [dict(r) for r in store.read(lambda c: c.execute(q).mappings().all())]


def value_history(store: Store, entry_id: str) -> list[dict[str, Any]]:
    """The audit rows of an entry's values and judgements, newest first."""
    a = db.audit
    q = (sa.select(a).where(a.c.site_id.is_(None), a.c.field == str(entry_id),
                            a.c.action.in_(("report_value", "override_value", "propose_value", "confirm_value",
                                            "reject_value", "judge")))
         .order_by(a.c.id.desc()))
    return [audit.audit_dict(r) for r in store.read(lambda c: c.execute(q).mappings().all())]
