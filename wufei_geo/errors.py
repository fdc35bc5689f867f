"""Typed refusals of the core.

Every refusal the store or auth makes is one of these.  A refusal carries a message KEY of the
catalogue (``wufei_geo/locale/*/LC_MESSAGES/wufei_geo.po``) and its parameters; the app and the
CLI show it in the user's language with ``i18n.error_text(exc, lang)`` and never parse a
message's text.  ``str(exc)`` is the English text followed by the Chinese one (logs, tests).

Every raise in the core passes ``key=`` and ``params=`` (tests/test_refusal_keys.py scans them;
a positional message is refused there)::

    raise NotFound(key="error.no_site", params={"site_id": site_id})
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _both_languages(key: str, params: Mapping[str, Any]) -> str:
    from wufei_geo import i18n  # lazy: i18n is data, errors must stay importable on their own

    def words(lang: str) -> str:  # a parameter that is itself a refusal is worded in the same language
        return i18n.t(key, lang, **i18n.worded_params(params, lang))

    try:
        en, zh = words("en"), words("zh")
    except (KeyError, IndexError, ValueError):
        return key
    return en if en == zh else f"{en} / {zh}"


class WufeiError(Exception):
    """Base of every refusal the core raises on purpose.

    ``key``: catalogue key of the message (None for legacy plain-text refusals); ``params``: the
    values its placeholders take.  ``rule`` is a stable key naming the site rule that refused
    (e.g. ``"capacity_above_design"``; listed in :mod:`wufei_geo.site_rules`); extra keyword
    arguments join ``params`` and are also set as attributes (e.g. ``exc.design``), so a caller
    can word the refusal itself instead of parsing ``str(exc)``.
    """

    def __init__(self, message: str | None = None, rule: str | None = None, *, key: str | None = None,
                 params: Mapping[str, Any] | None = None, **extra: Any) -> None:
        self.key = key
        self.rule = rule
        self.params = {**dict(params or {}), **extra}
        for name, value in self.params.items():
            if not hasattr(self, name):
                setattr(self, name, value)
        if message is None:
            message = _both_languages(key, self.params) if key else (rule or self.__class__.__name__)
        super().__init__(message)


class Finding(WufeiError):
    """One problem or warning found in a file or in stored data (a boundary file, a backup, the
    stored zones, a database failure): listed, not raised, and worded from its key and parameters
    like a refusal — ``i18n.error_text(finding, lang)`` in the reader's language, ``str(finding)``
    in English and Chinese (logs).  A refusal naming several of them (``BoundaryImportError``)
    carries the list; ``i18n.item_lines`` writes one line each."""


class AuthError(WufeiError):
    """Base of authentication refusals."""


class NotAuthenticated(AuthError):
    """No valid session: anonymous, wrong name/password, expired or ended session, disabled user."""


class AccountLocked(NotAuthenticated):
    """Too many failed log-ins; ``locked_until`` is an aware UTC datetime."""

    def __init__(self, message: str | None = None, locked_until: Any = None, *, key: str | None = None,
                 params: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, key=key, params=params)
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
    ``rule``/``params`` are those of the first violation; ``params["violations"]`` holds each
    violation as a keyed refusal (``rule.<rule>``), worded in the reader's language by the key's
    ``{violations}``.
    """

    def __init__(self, message: str | None = None, violations: list[Any] | None = None, *, key: str | None = None,
                 params: Mapping[str, Any] | None = None) -> None:
        violations = list(violations or [])
        first = violations[0] if violations else None
        super().__init__(message, first.rule if first else None, key=key,
                         params={**(dict(first.params) if first else {}), **dict(params or {}),
                                 "violations": [v.refusal() for v in violations]})
        self.violations = violations
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
        message: str | None = None,
        expected_version: int | None = None,
        current_version: int | None = None,
        changes: list[dict[str, Any]] | None = None,
        *,
        key: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, key=key, params=params)
        self.expected_version = expected_version
        self.current_version = current_version
        self.changes = changes or []


class StoreUnavailable(WufeiError):
    """The database refused the write as a whole (read-only, disk full, connection lost); nothing was saved."""


class StoreBusy(WufeiError):
    """The database stayed locked/busy through every retry; nothing was written."""


class BatchRefused(WufeiError):
    """A batch of edits was refused as a whole; ``errors`` is ``[(index, site_id, error), ...]``."""

    def __init__(self, message: str | None, errors: list[tuple[int, str, WufeiError]], *,
                 key: str | None = None, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, key=key, params=params)
        self.errors = errors
