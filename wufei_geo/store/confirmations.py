"""Confirming a site's status unchanged (issue 12): ``status_confirmed_at``/``_by`` only, the version
stays (nobody's open form goes stale), audited as ``confirm``, an answer to an open round."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection

from wufei_geo import auth, permissions
from wufei_geo.auth import Actor
from wufei_geo.errors import BatchRefused, NotFound, ValidationError, WufeiError
from wufei_geo.store import audit
from wufei_geo.store.editing import check_version, confirmed_at, write_site
from wufei_geo.store.reads import site_row, stored_site
from wufei_geo.store.rounds import record_answer
from wufei_geo.store.session import Session
from wufei_geo.store.values import optional_note


def apply_confirm(session: Session, conn: Connection, actor: Actor | None, site_id: str, expected_version: Any,
                  note: str | None, write: bool) -> dict[str, Any]:
    """Check (and with ``write`` store) one confirmation; returns the site as stored, or the plan."""
    now = session.now()
    who = auth.check_actor(conn, actor, now, session.settings)
    site = site_row(conn, site_id)
    if site is None:
        raise NotFound(key="error.no_site", params={"site_id": site_id})
    permissions.require(who, "edit_site", site)
    if site["retired"]:
        raise ValidationError(key="error.site_retired", params={"site_id": site_id})
    check_version(conn, site, expected_version, "confirmation")
    note = optional_note(note)  # the one note rule: storable text, at most MAX_NOTE_CHARS
    if not write:
        return {"site_id": site_id, "confirm": True, "status": site["status"], "note": note,
                "version": expected_version, "changes": []}
    # the version does not move: a confirmation changes no value (nobody's open form goes stale)
    write_site(conn, site_id, expected_version, {"status_confirmed_at": confirmed_at(now), "status_confirmed_by": who.name})
    audit.record(conn, now, who.name, site_id, site["town_code"], "confirm", "status", audit.fmt(site["status"]),
                 audit.fmt(site["status"]), note, expected_version)
    record_answer(conn, now, who.name, site, "confirm")
    auth.touch(conn, who.session_id, now)
    return stored_site(conn, site_id)


class Confirmations(Session):
    """Confirming statuses unchanged."""

    def confirm_site(self, actor: Actor | None, site_id: str, expected_version: int,
                     note: str | None = None) -> dict[str, Any]:
        """Confirm a site's status unchanged (issue 12): sets ``status_confirmed_at``/``_by`` and
        nothing else (the version stays), audited as ``confirm``; counts as an answer to an open
        update round covering the site.  The same permissions as an edit; refusals write nothing.
        Returns the site as stored afterwards."""
        return self.run_write(lambda conn: apply_confirm(self, conn, actor, site_id, expected_version, note, True))

    def check_confirm(self, actor: Actor | None, site_id: str, expected_version: int,
                      note: str | None = None) -> dict[str, Any]:
        """Dry run of :meth:`confirm_site` (the same checks, nothing written)."""
        return self.read(lambda conn: apply_confirm(self, conn, actor, site_id, expected_version, note, False))

    def confirm_sites(self, actor: Actor | None, items: Sequence[tuple[Any, ...]]) -> list[dict[str, Any]]:
        """Several confirmations ``(site_id, expected_version[, note])`` in ONE transaction: all or none."""

        def work(conn: Connection) -> list[dict[str, Any]]:
            done, errors = [], []
            for i, item in enumerate(items):
                site_id, expected = item[0], item[1]
                note = item[2] if len(item) > 2 else None
                try:
                    done.append(apply_confirm(self, conn, actor, site_id, expected, note, True))
                except WufeiError as exc:
                    errors.append((i, site_id, exc))
            if errors:
                msg = "; ".join(f"#{i + 1} {sid}: {exc}" for i, sid, exc in errors)
                raise BatchRefused(None, errors, key="error.batch", params={"n": len(errors), "total": len(items), "detail": msg})
            return done

        return self.run_write(work)
