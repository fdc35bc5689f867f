"""Who may report which register entry — THE department rule (issue 23).

:func:`department_may_report` is the one rule of a department account; :func:`may_report` puts
it together with the roles.  The store calls :func:`require_may_report` before every write of a
value, so the CLI, the app and the bulk import share it (enforced in the core).  When the single
permission owner ``wufei_geo/permissions.py`` lands, these functions move there unchanged."""
from __future__ import annotations

from typing import Any

from wufei_geo.errors import PermissionDenied, ValidationError
from wufei_geo.register.entries import Entry, department_key, read_indicators


def departments() -> tuple[str, ...]:
    """Every 主要责任部门 of 附表1, in the order they first appear."""
    seen: dict[str, None] = {}
    for e in read_indicators():
        for d in e.departments:
            seen.setdefault(d, None)
    return tuple(seen)


def check_department(role: str, department: str | None) -> str | None:
    """The department of a new account: required (one of :func:`departments`) for the
    ``department`` role, refused for every other role."""
    text = department_key(department or "")
    if role != "department":
        if text:
            raise ValidationError(key="error.role_no_department", params={"role": role})
        return None
    if not text:
        raise ValidationError(key="error.department_required", params={"allowed": "、".join(departments())})
    if text not in departments():
        raise ValidationError(key="error.unknown_department",
                              params={"department": department, "allowed": "、".join(departments())})
    return text


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
