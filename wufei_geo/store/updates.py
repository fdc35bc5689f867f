"""THE write path for site edits (``update_site``; its dry run ``check_update``; several at once,
with confirmations, in ``update_sites``): the actor's rights, the field rules and plausibility
rules of :mod:`wufei_geo.site_rules`, then one optimistic-locked write plus one audit row per
changed field — or, for a town official's insisted implausible edit, a 待核实 proposal."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from wufei_geo import auth, db, permissions, reference_bounds, site_rules
from wufei_geo.auth import Actor
from wufei_geo.errors import (
    BatchRefused,
    ImplausibleEdit,
    NotFound,
    ValidationError,
    WufeiError,
)
from wufei_geo.store import audit
from wufei_geo.store.confirmations import apply_confirm
from wufei_geo.store.editing import check_version, confirmed_at, write_site
from wufei_geo.store.proposals import check_none_pending, propose
from wufei_geo.store.reads import site_row, stored_site
from wufei_geo.store.rounds import record_answer
from wufei_geo.store.session import Session
from wufei_geo.store.values import optional_note
from wufei_geo.store.zones import own_zone


def _editable_site(conn: Connection, who: Any, site_id: str, expected_version: Any) -> Mapping[str, Any]:
    """The site as stored, once the actor may edit it and the edit started from its version."""
    site = site_row(conn, site_id)
    if site is None:
        raise NotFound(key="error.no_site", params={"site_id": site_id})
    permissions.require(who, "edit_site", site)
    if site["retired"]:
        raise ValidationError(key="error.site_retired", params={"site_id": site_id})
    check_version(conn, site, expected_version, "edit")
    return site


def _changes_and_note(changes: Any, note: Any) -> tuple[dict[str, Any], str | None]:
    """The changes without ``note``, and the one note (given as an argument or among the changes)."""
    if not isinstance(changes, Mapping):
        raise ValidationError(key="error.changes_not_mapping")
    changes = dict(changes)
    if "note" in changes:
        extra = changes.pop("note")
        if note not in (None, "") and extra not in (None, "") and extra != note:
            raise ValidationError(key="error.two_notes")
        note = note if note not in (None, "") else extra
    return changes, optional_note(note)


def _changed(site: Mapping[str, Any], changes: Mapping[str, Any], note: str | None, who: Any,
             today: dt.date) -> dict[str, Any]:
    """The new column values that differ from the stored ones, by the field rules."""
    new = site_rules.validate_changes(site, changes, today)
    changed = site_rules.changed_values(site, new)
    if any(k.startswith("baseline_capacity") for k in changed):
        # the capacity an existing facility had before its project (E.11): a planner's figure from a source
        permissions.require(who, "set_baseline_capacity", site)
    site_rules.check_notes(site, changed, note)
    if not changed and not note:
        raise ValidationError(rule="nothing_to_change", key="rule.nothing_to_change")
    return changed


def _reference_violations(conn: Connection, site: Mapping[str, Any], changed: Mapping[str, Any],
                          official: bool) -> list[site_rules.Violation]:
    """The rules that need the plan's bounds or the district's totals (:mod:`wufei_geo.reference_bounds`;
    ``headline_share`` for town officials: a planner's or administrator's edit is a planner's confirmation)."""
    out = []
    if "operating_capacity_norm" in changed:
        out.append(reference_bounds.capacity_above_bound(site, changed["operating_capacity_norm"]))
    if official and {"status", "operating_capacity_norm", "baseline_capacity_norm"} & set(changed):
        s = db.sites
        rows = conn.execute(sa.select(*[s.c[c] for c in reference_bounds.HEADLINE_COLUMNS])
                            .where(s.c.category == site["category"], s.c.retired == sa.false())).mappings().all()
        out.append(reference_bounds.headline_share(site, changed, rows))
    return [v for v in out if v is not None]


def _violations(conn: Connection, site: Mapping[str, Any], changed: Mapping[str, Any], who: Any,
                note: str | None, insist: bool) -> list[site_rules.Violation]:
    """The plausibility rules the edit breaks; ImplausibleEdit unless insisted on with a note."""
    own_town = permissions.town_scope(who)  # a town-bound actor moves sites within their own zone
    moved = "lon" in changed or "lat" in changed
    zone, quality = own_zone(conn, own_town) if own_town is not None and moved else (None, None)
    violations = site_rules.plausibility(site, changed, own_zone=zone, own_town=own_town, zone_quality=quality) \
        + _reference_violations(conn, site, changed, own_town is not None)
    if violations:
        if not insist:
            raise ImplausibleEdit(violations=violations, key="error.implausible")
        if not note:
            raise ValidationError(rule="note_required_to_insist", key="rule.note_required_to_insist", field="note",
                rules=[v.rule for v in violations])
    return violations


def _write_edit(conn: Connection, now: dt.datetime, today: dt.date, who: Any, site: Mapping[str, Any],
                changed: Mapping[str, Any], plan: list[dict[str, Any]], violations: list[site_rules.Violation],
                note: str | None) -> dict[str, Any]:
    """Apply the edit: the new values, one audit row per field (or a ``note`` row), an ``override``
    row per rule a planner/administrator insisted past, the round answer."""
    site_id, expected_version = site["site_id"], site["version"]
    version = expected_version + 1
    # Every edit confirms the site's status as it now stands (issue 11: the forecast trusts
    # only statuses confirmed within settings.status_confirmation_months).
    values = dict(changed, status_as_of=today.isoformat(), status_source=f"official: {who.name}",
                  status_confirmed_at=confirmed_at(now), status_confirmed_by=who.name, updated_at=now, version=version)
    write_site(conn, site_id, expected_version, values)
    town = site["town_code"]
    for item in plan:
        audit.record(conn, now, who.name, site_id, town, "update", item["field"], item["old_value"], item["new_value"],
                     note, version)
    if not plan:
        audit.record(conn, now, who.name, site_id, town, "note", None, None, None, note, version)
    for v in violations:  # a planner's/administrator's insisted edit: the rule it overrode is on record
        audit.record(conn, now, who.name, site_id, town, "override", v.rule, None, v.message, note, version)
    record_answer(conn, now, who.name, site, "update")
    auth.touch(conn, who.session_id, now)
    return stored_site(conn, site_id)


def apply_update(session: Session, conn: Connection, actor: Actor | None, site_id: str, changes: Mapping[str, Any],
                 expected_version: Any, note: str | None, write: bool, insist: bool = False) -> dict[str, Any]:
    """Check (and with ``write`` store) one edit; returns the site as stored, or the plan."""
    now = session.now()
    who = auth.check_actor(conn, actor, now, session.settings)
    site = _editable_site(conn, who, site_id, expected_version)
    changes, note = _changes_and_note(changes, note)
    changed = _changed(site, changes, note, who, session.today())
    violations = _violations(conn, site, changed, who, note, insist)
    plan = [{"field": k, "old_value": audit.fmt(site[k]), "new_value": audit.fmt(v)} for k, v in audit.audit_order(changed)]
    proposal = bool(violations) and not permissions.may(who, "apply_implausible", site)
    if proposal:
        check_none_pending(conn, site_id)
    if not write:
        return {"site_id": site_id, "changes": plan, "note": note, "version": expected_version,
                "proposal": proposal, "rules": [v.rule for v in violations]}
    if not proposal:
        return _write_edit(conn, now, session.today(), who, site, changed, plan, violations, note)
    stored = propose(conn, now, who.name, site, changes, changed, violations, note or "")
    record_answer(conn, now, who.name, site, "propose")
    auth.touch(conn, who.session_id, now)
    return dict(site, proposal=stored)


class Updates(Session):
    """Site edits."""

    def update_site(self, actor: Actor | None, site_id: str, changes: Mapping[str, Any], expected_version: int,
                    note: str | None = None, insist: bool = False) -> dict[str, Any]:
        """THE write path for site edits; returns the site as stored afterwards.

        ``changes`` may hold ``status``, ``operating_capacity_value`` + ``operating_capacity_unit``
        (normalised for the site's category), ``commissioned`` (ISO date, not in the future),
        ``location`` = ``(lon, lat, datum)``, ``expected_commissioning`` (YYYY[-MM[-DD]]),
        ``served_villages`` (wet-waste sites: names, list or text split on 、;,), the capacity an
        existing facility had before its project ``baseline_capacity_value`` + ``_unit`` (planners
        and admins, with a note naming the source) and ``note``; every rule is :mod:`wufei_geo.site_rules`'.
        Every edit confirms the status (``status_confirmed_at``/``_by``).
        Refusals (NotAuthenticated, PermissionDenied, ValidationError, StaleVersion, NotFound)
        write nothing.  An edit that breaks a plausibility rule raises ImplausibleEdit unless
        ``insist`` (with a note): then a town official's edit is stored as a 待核实 proposal — the
        site is returned unchanged with ``"proposal"`` set — and a planner's or administrator's is
        applied with an ``override`` audit row per rule.
        """
        return self.run_write(
            lambda conn: apply_update(self, conn, actor, site_id, changes, expected_version, note, True, insist))

    def check_update(self, actor: Actor | None, site_id: str, changes: Mapping[str, Any], expected_version: int,
                     note: str | None = None, insist: bool = False) -> dict[str, Any]:
        """Dry run of :meth:`update_site`: the same checks, nothing written; returns the planned
        ``{site_id, changes: [{field, old_value, new_value}], note, version, proposal, rules}`` or
        raises (``proposal`` True: the edit would be stored as 待核实)."""
        return self.read(
            lambda conn: apply_update(self, conn, actor, site_id, changes, expected_version, note, False, insist))

    def update_sites(self, actor: Actor | None, items: Sequence[tuple[Any, ...]],
                     confirms: Sequence[tuple[Any, ...]] = ()) -> list[dict[str, Any]]:
        """Several edits in ONE transaction: all are applied, or none (BatchRefused lists every refusal).

        Each item is ``(site_id, changes, expected_version, note)`` or with a fifth ``insist``.
        ``confirms`` (issue 12): confirmations "unchanged" ``(site_id, expected_version, note)`` in the
        same transaction (as :meth:`confirm_site`); their refusals are numbered after the items'.
        """

        def work(conn: Connection) -> list[dict[str, Any]]:
            done, errors = [], []
            for i, item in enumerate(items):
                site_id, changes, expected, note = item[:4]
                insist = bool(item[4]) if len(item) > 4 else False
                try:
                    done.append(apply_update(self, conn, actor, site_id, changes, expected, note, True, insist))
                except WufeiError as exc:
                    errors.append((i, site_id, exc))
            for j, item in enumerate(confirms):
                site_id, expected = item[0], item[1]
                try:
                    done.append(apply_confirm(self, conn, actor, site_id, expected, item[2] if len(item) > 2 else None, True))
                except WufeiError as exc:
                    errors.append((len(items) + j, site_id, exc))
            if errors:
                msg = "; ".join(f"#{i + 1} {sid}: {exc}" for i, sid, exc in errors)
                raise BatchRefused(None, errors, key="error.batch",
                                   params={"n": len(errors), "total": len(items) + len(confirms), "detail": msg})
            return done

        return self.run_write(work)
