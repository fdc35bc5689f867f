"""Who may report which register entry — THE department rule (issue 23).

:func:`department_may_report` is the one rule of a department account; :func:`may_report` puts
it together with the roles.  The store calls :func:`require_may_report` before every write of a
value, so the CLI, the app and the bulk import share it (enforced in the core).  When the single
permission owner ``wufei_geo/permissions.py`` lands, these functions move there unchanged."""
from __future__ import annotations

from typing import Any

from wufei_geo.departments import departments
from wufei_geo.errors import PermissionDenied
from wufei_geo.register.entries import Entry

__all__ = ["department_may_report", "departments", "may_report", "require_may_report", "require_planner"]


def department_may_report(department: str | None, entry: Entry) -> bool:
    """THE department rule: a department account reports only the entries its department is
    responsible for (the entry's 主要责任部门 include it)."""
    return entry.owned_by(department)


def may_report(role: str, department: str | None, entry: Entry) -> bool:
    """Planners and administrators report any entry; a department account its own; nobody else."""
    if role in ("admin", "planner"):
        return True
    if role == "department":
        return department_may_report(department, entry)
    return False


def require_may_report(who: Any, entry: Entry) -> None:
    """Raise PermissionDenied unless ``who`` (a row with ``role``, ``department``, ``name``) may
    report ``entry``."""
    department = getattr(who, "department", None)
    if not may_report(who.role, department, entry):
        key = "error.other_department" if who.role == "department" else "error.role_may_not_report"
        raise PermissionDenied(key=key, params={"name": who.name, "role": who.role, "department": department or "",
                                                "entry": entry.id, "owners": "、".join(entry.departments) or "—"})


def require_planner(who: Any) -> None:
    """Judgements and decisions on 待核实 values: planners and administrators only."""
    if who.role not in ("admin", "planner"):
        raise PermissionDenied(key="error.register_planner_only", params={"name": who.name, "role": who.role})
