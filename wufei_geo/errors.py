"""Typed refusals of the core.

Every refusal the store or auth makes is one of these, with a message fit to show a user.
The app, the CLI and bulk import catch ``WufeiError`` and show ``str(exc)``; they never have to
parse a message to know what happened.
"""
from __future__ import annotations

from typing import Any


class WufeiError(Exception):
    """Base of every refusal the core raises on purpose.

    ``rule`` is a stable key naming the rule that refused (e.g. ``"capacity_above_design"``;
    None for refusals without one yet) and ``params`` its parameters (also set as attributes,
    e.g. ``exc.design``), so a caller can word the refusal itself instead of parsing ``str(exc)``.
    The site rules' keys are listed in :mod:`wufei_geo.site_rules`.
    """

    def __init__(self, message: str = "", rule: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.rule = rule
        self.params = dict(params)
        for key, value in params.items():
            if not hasattr(self, key):
                setattr(self, key, value)


class AuthError(WufeiError):
    """Base of authentication refusals."""


class NotAuthenticated(AuthError):
    """No valid session: anonymous, wrong name/password, expired or ended session, disabled user."""


class AccountLocked(NotAuthenticated):
    """Too many failed log-ins; ``locked_until`` is an aware UTC datetime."""

    def __init__(self, message: str, locked_until: Any = None) -> None:
        super().__init__(message)
        self.locked_until = locked_until


class PermissionDenied(WufeiError):
    """The actor is authenticated but may not do this (role, or another town's site)."""


class ValidationError(WufeiError, ValueError):
    """A value or transition the core does not accept."""


class ImplausibleEdit(ValidationError):
    """An edit that breaks one or more plausibility rules (``violations``: ``site_rules.Violation``).

    Unlike other refusals it may be insisted on with a note: a town official's insisted edit is
    stored as a 待核实 proposal (not applied) until a planner or administrator confirms it; a
    planner's or administrator's insisted edit is applied and audited as an override.
    ``rule``/``params`` are those of the first violation.
    """

    def __init__(self, message: str, violations: list[Any]) -> None:
        first = violations[0] if violations else None
        super().__init__(message, first.rule if first else None, **(dict(first.params) if first else {}))
        self.violations = list(violations)
        self.rules = [v.rule for v in violations]


class NotFound(WufeiError, LookupError):
    """No such site, user or session."""


class StaleVersion(WufeiError):
    """The site changed since the version the edit started from.

    ``current_version`` is the version now stored; ``changes`` lists the audit rows written
    since ``expected_version`` (who changed what), newest last.
    """

    def __init__(
        self,
        message: str,
        expected_version: int | None = None,
        current_version: int | None = None,
        changes: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.expected_version = expected_version
        self.current_version = current_version
        self.changes = changes or []


class StoreUnavailable(WufeiError):
    """The database refused the write as a whole (read-only, disk full, connection lost); nothing was saved."""


class StoreBusy(WufeiError):
    """The database stayed locked/busy through every retry; nothing was written."""


class BatchRefused(WufeiError):
    """A batch of edits was refused as a whole; ``errors`` is ``[(index, site_id, error), ...]``."""

    def __init__(self, message: str, errors: list[tuple[int, str, WufeiError]]) -> None:
        super().__init__(message)
        self.errors = errors
