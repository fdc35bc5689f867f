"""Who may report which register entry: the register's words for the one permission question.

The rule itself (a department account reports only the entries its department is responsible
for) is the ``report_value`` action of :mod:`wufei_geo.permissions`; the store calls
:func:`require_may_report` before every write of a value, so the CLI, the app and the bulk import
share it (enforced in the core)."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from wufei_geo import permissions
from wufei_geo.departments import departments
from wufei_geo.register.entries import Entry

__all__ = ["department_may_report", "departments", "may_report", "require_may_report", "require_planner"]


def department_may_report(department: str | None, entry: Entry) -> bool:
    """Whether a department account of ``department`` may report ``entry`` (its 主要责任部门)."""
    return may_report("department", department, entry)


def may_report(role: str, department: str | None, entry: Entry) -> bool:
    """Whether an account of ``role`` (and ``department``) may report ``entry``."""
    return permissions.may(SimpleNamespace(role=role, department=department, town_code=None), "report_value", entry)


def require_may_report(who: Any, entry: Entry) -> None:
    """Raise PermissionDenied unless ``who`` (a row with ``role``, ``department``, ``name``) may
    report ``entry``."""
    permissions.require(who, "report_value", entry)


def require_planner(who: Any) -> None:
    """Judgements and decisions on 待核实 values: planners and administrators only."""
    permissions.require(who, "judge_register")
