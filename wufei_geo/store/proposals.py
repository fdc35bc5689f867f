"""待核实 proposals: a town official's insisted, implausible edit kept aside (``propose``; the site
and every total untouched) until a planner or administrator other than the proposer confirms it
(applied to the site) or rejects it (with a note)."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from wufei_geo import auth, db, permissions, site_rules
from wufei_geo.auth import Actor
from wufei_geo.errors import NotFound, PermissionDenied, ValidationError
from wufei_geo.store import audit
from wufei_geo.store.atomic import for_write, guarded_update
from wufei_geo.store.reads import site_row, stored_site
from wufei_geo.store.session import Retry, Session
from wufei_geo.store.values import check_note, clean, optional_note


def proposal_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    d = dict(row)
    for key in ("changes", "new_values", "old_values", "rules"):
        d[key] = json.loads(d[key]) if d.get(key) else ({} if key != "rules" else [])
    d["rule_keys"] = [r.get("rule") for r in d["rules"]]
    d["proposed_at_local"] = auth.shanghai_time(d["proposed_at"]) if d.get("proposed_at") else None
    d["decided_at_local"] = auth.shanghai_time(d["decided_at"]) if d.get("decided_at") else None
    return d


def check_none_pending(conn: Connection, site_id: str) -> None:
    """One proposal per site at a time."""
    pending = conn.execute(sa.select(db.proposals.c.id).where(
        db.proposals.c.site_id == site_id, db.proposals.c.status == "pending")).first()
    if pending is not None:
        raise ValidationError(rule="proposal_pending", key="error.proposal_pending", site_id=site_id, proposal_id=pending[0])


def propose(conn: Connection, now: dt.datetime, who: str, site: Mapping[str, Any], changes: Mapping[str, Any],
            changed: Mapping[str, Any], violations: list[site_rules.Violation], note: str) -> dict[str, Any]:
    """Store an official's insisted, implausible edit as a pending proposal (the site is untouched)."""
    raw = {k: (list(v) if isinstance(v, tuple) else v) for k, v in changes.items() if k != "note"}
    pid = conn.execute(
        sa.insert(db.proposals).values(
            site_id=site["site_id"], town_code=site["town_code"],
            changes=json.dumps(raw, ensure_ascii=False, default=str),
            new_values=json.dumps(dict(changed), ensure_ascii=False, default=str),
            old_values=json.dumps({k: clean(site[k]) for k in changed}, ensure_ascii=False, default=str),
            rules=json.dumps([v.as_dict() for v in violations], ensure_ascii=False, default=str),
            note=note, base_version=site["version"], status="pending", proposed_by=who, proposed_at=now,
        ).returning(db.proposals.c.id)
    ).scalar_one()
    for k, v in audit.audit_order(changed):
        audit.record(conn, now, who, site["site_id"], site["town_code"], "propose", k, audit.fmt(site[k]), audit.fmt(v),
                     note, None)
    return proposal_dict(conn.execute(sa.select(db.proposals).where(db.proposals.c.id == pid)).mappings().one())


def _proposed_values(site: Mapping[str, Any], prop: Mapping[str, Any], proposal_id: int, today: dt.date) -> dict[str, Any]:
    """The proposal's changes through the field rules again, today; refused when a field it
    changes was changed since it was proposed."""
    changes = dict(prop["changes"])
    if isinstance(changes.get("location"), list):
        changes["location"] = tuple(changes["location"])
    new = site_rules.validate_changes(site, changes, today)
    moved = [k for k, old in prop["old_values"].items() if not site_rules.same_value(clean(site[k]), old)]
    if moved:
        raise ValidationError(rule="proposal_outdated", key="error.proposal_outdated", proposal_id=proposal_id, fields=moved,
                              names=", ".join(moved))
    return site_rules.changed_values(site, new)


def _mark_decided(conn: Connection, proposal_id: int, status: str, who: str, now: dt.datetime,
                  note: str | None) -> None:
    """pending → ``status``, only while still pending (else the decision fails, nothing kept)."""
    p = db.proposals
    guarded_update(conn, p, sa.and_(p.c.id == proposal_id, p.c.status == "pending"),
                   {"status": status, "decided_by": who, "decided_at": now, "decision_note": note},
                   lambda: ValidationError(None, "proposal_decided", key="error.proposal_decided_meanwhile",
                                           params={"proposal_id": proposal_id}))


class Proposals(Session):
    """待核实 proposals."""

    def proposals(self, status: str | None = "pending", site_id: str | None = None,
                  town_code: str | None = None) -> list[dict[str, Any]]:
        """Proposals (default: the pending ones), oldest first; JSON columns decoded."""
        p = db.proposals
        q = sa.select(p).order_by(p.c.id)
        if status is not None:
            q = q.where(p.c.status == status)
        if site_id is not None:
            q = q.where(p.c.site_id == site_id)
        if town_code is not None:
            q = q.where(p.c.town_code == town_code)
        return [proposal_dict(r) for r in self.read(lambda c: c.execute(q).mappings().all())]

    def pending_site_ids(self) -> set[str]:
        """Sites with an edit awaiting confirmation (the catalog's ``pending`` flag)."""
        p = db.proposals
        q = sa.select(p.c.site_id).where(p.c.status == "pending").distinct()
        return {str(r[0]) for r in self.read(lambda c: c.execute(q).all())}

    def _decide(self, conn: Connection, actor: Actor | None, proposal_id: Any) -> tuple[sa.Row, dict[str, Any]]:
        now = self.now()
        who = auth.check_actor(conn, actor, now, self.settings)
        permissions.require(who, "decide_proposal")
        if isinstance(proposal_id, bool) or not isinstance(proposal_id, int):
            raise ValidationError(rule="proposal_id", key="error.proposal_id", value=proposal_id)
        # locked until the decision commits: a confirm and a reject of one proposal queue, the second
        # then finds it decided
        row = conn.execute(for_write(conn, sa.select(db.proposals).where(db.proposals.c.id == proposal_id))).mappings().first()
        if row is None:
            raise NotFound(rule="no_proposal", key="error.no_proposal", proposal_id=proposal_id)
        if row["status"] != "pending":
            raise ValidationError(rule="proposal_decided", key="error.proposal_decided", proposal_id=proposal_id,
                                  status=row["status"])
        if row["proposed_by"] == who.name:
            raise PermissionDenied(rule="own_proposal", key="error.own_proposal", name=who.name, proposal_id=proposal_id)
        return who, proposal_dict(row)

    def confirm_proposal(self, actor: Actor | None, proposal_id: int, note: str | None = None) -> dict[str, Any]:
        """A planner or administrator (not the proposer) confirms a 待核实 edit: it is applied to the
        site and audited (``confirm_proposal`` rows, by the confirmer).  Refused when a field it
        changes was changed since it was proposed (reject it, the official proposes again).
        Returns the site as stored afterwards."""
        note = optional_note(note)

        def work(conn: Connection) -> dict[str, Any]:
            now = self.now()
            who, prop = self._decide(conn, actor, proposal_id)
            site = site_row(conn, prop["site_id"])
            if site is None or site["retired"]:
                raise NotFound(rule="no_site", key="error.site_gone", site_id=prop["site_id"])
            changed = _proposed_values(site, prop, proposal_id, self.today())
            version = site["version"] + 1
            values = dict(changed, updated_at=now, version=version)
            if changed:
                values.update(status_as_of=self.today().isoformat(), status_source=f"official: {prop['proposed_by']}")
            guarded_update(conn, db.sites, sa.and_(db.sites.c.site_id == site["site_id"],
                                                   db.sites.c.version == site["version"]), values,
                           lambda: Retry(site["site_id"]))
            _mark_decided(conn, proposal_id, "confirmed", who.name, now, note)
            why = f"#{proposal_id} {prop['proposed_by']}: {prop['note']}" + (f" | {note}" if note else "")
            for k, v in audit.audit_order(changed):
                audit.record(conn, now, who.name, site["site_id"], site["town_code"], "confirm_proposal", k,
                             audit.fmt(site[k]), audit.fmt(v), why, version)
            for rule in prop["rule_keys"]:
                audit.record(conn, now, who.name, site["site_id"], site["town_code"], "confirm_proposal", "rule",
                             None, rule, why, version)
            auth.touch(conn, who.session_id, now)
            return stored_site(conn, site["site_id"])

        return self.run_write(work)

    def reject_proposal(self, actor: Actor | None, proposal_id: int, note: str) -> dict[str, Any]:
        """A planner or administrator (not the proposer) rejects a 待核实 edit, saying why (note
        required); the site is untouched.  Returns the proposal."""
        if not isinstance(note, str) or not note.strip():
            raise ValidationError(rule="note_required", key="error.reject_note", field="note")
        check_note(note)

        def work(conn: Connection) -> dict[str, Any]:
            now = self.now()
            who, prop = self._decide(conn, actor, proposal_id)
            _mark_decided(conn, proposal_id, "rejected", who.name, now, note.strip())
            audit.record(conn, now, who.name, prop["site_id"], prop["town_code"], "reject_proposal", None, None,
                         f"#{proposal_id}", note.strip(), None)
            auth.touch(conn, who.session_id, now)
            return proposal_dict(
                conn.execute(sa.select(db.proposals).where(db.proposals.c.id == proposal_id)).mappings().one())

        return self.run_write(work)
