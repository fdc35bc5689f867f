"""Who may do what: the one permission question.

``may(actor, action, thing)`` answers it; ``require(actor, action, thing)`` raises
:class:`~wufei_geo.errors.PermissionDenied` with the action's catalogue key.  The store (every
write, so the CLI and the bulk import too), auth (accounts) and the pages (what to show) ask it;
no other module compares role names (``tests/test_permissions.py`` scans the code).

A role is one :data:`ROLES` entry: the actions it may take and whether its accounts are bound to
one town (a town-bound role's actions on a town's thing reach only its own town).  An action is
one :data:`ACTIONS` entry: its refusal key, its rule key and whether it is about one town's
thing.  A new role (a department reporter) or action (entering a register value, approving a
place) is one entry each.

``actor`` is anything with ``role`` and ``town_code`` (an ``auth.Actor``, or the live-session
row the store checked); ``thing`` a mapping with ``town_code`` (a site) or None.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wufei_geo.errors import PermissionDenied


@dataclass(frozen=True)
class Action:
    """What can be permitted.  ``refusal``: the catalogue key of the refusal (its parameters:
    ``role``, ``action``); ``rule``: the stable key on the refusal (``exc.rule``, printed by the
    CLI); ``per_town``: about one town's thing."""

    name: str
    refusal: str = "error.may_not"
    rule: str | None = None
    per_town: bool = False
    per_department: bool = False  # about one register entry: a department-bound role reaches its own


@dataclass(frozen=True)
class Role:
    """An account's role: the actions it may take; ``town_bound``: its accounts carry one town's
    code and act on that town's things only (the role's label is ``role.<name>``)."""

    name: str
    actions: frozenset[str]
    town_bound: bool = False
    department_bound: bool = False  # its accounts carry one of the plan's departments


ACTIONS: dict[str, Action] = {a.name: a for a in (
    # change a site: edit fields, confirm its status, answer an update round
    Action("edit_site", refusal="error.role_may_not_edit", per_town=True),
    # an insisted implausible edit is applied at once (a town official's becomes a 待核实 proposal)
    Action("apply_implausible", per_town=True),
    # the capacity an existing facility had before its project (E.11)
    Action("set_baseline_capacity", rule="baseline_role"),
    Action("set_design_capacity", rule="design_role"),
    Action("manage_rounds", rule="round_role"),  # open and close update rounds
    Action("decide_proposal", rule="decide_role"),  # confirm or reject a 待核实 proposal
    # accounts, official boundaries, backup and restore, adding and retiring sites
    Action("administer", refusal="error.admin_only"),
    # enter a value of a register entry (indicator or target); a department only its own entries
    Action("report_value", refusal="error.role_may_not_report", per_department=True),
    # an insisted implausible register value counts at once (a department's waits as 待核实)
    Action("accept_implausible_value"),
    # record a judgement on a qualitative entry; confirm or reject a 待核实 register value
    Action("judge_register", refusal="error.register_planner_only"),
    # add, update or confirm a place (零浪费街区, 无废细胞 …); a town-bound role only in its town
    Action("edit_place", refusal="error.place_role", rule="place_role", per_town=True),
    # set a place 已建成 / 已命名 (the step that counts); an official's such change is a claim
    Action("set_counted_place_status", refusal="error.place_role", rule="place_role"),
    Action("decide_place_claim", refusal="error.place_role", rule="place_role"),  # approve or reject a claim
)}

_PLANNING = frozenset({"edit_site", "apply_implausible", "set_baseline_capacity", "set_design_capacity",
                       "manage_rounds", "decide_proposal", "report_value", "accept_implausible_value",
                       "judge_register", "edit_place", "set_counted_place_status", "decide_place_claim"})

ROLES: dict[str, Role] = {r.name: r for r in (
    Role("admin", _PLANNING | {"administer"}),
    Role("planner", _PLANNING),
    Role("town_official", frozenset({"edit_site", "edit_place"}), town_bound=True),
    Role("department", frozenset({"report_value"}), department_bound=True),
)}


def role_of(actor: Any) -> Role | None:
    """The actor's role record (None: anonymous or a role the system does not know)."""
    return ROLES.get(getattr(actor, "role", None)) if actor is not None else None


def town_scope(actor: Any) -> str | None:
    """The one town an actor's view and changes are limited to (None: every town)."""
    role = role_of(actor)
    return getattr(actor, "town_code", None) if role is not None and role.town_bound else None


def department_scope(actor: Any) -> str | None:
    """The one plan department a department-bound actor reports for (None: not bound)."""
    role = role_of(actor)
    return getattr(actor, "department", None) if role is not None and role.department_bound else None


def _town_of(thing: Any) -> Any:
    return thing.get("town_code") if isinstance(thing, Mapping) else getattr(thing, "town_code", None)


def may(actor: Any, action: str, thing: Any = None) -> bool:
    """Whether ``actor`` may take ``action`` (on ``thing``: a site or other town's thing)."""
    spec = ACTIONS[action]  # an unknown action is a programming error, not a refusal
    role = role_of(actor)
    if role is None or action not in role.actions:
        return False
    if role.town_bound and spec.per_town:
        own = getattr(actor, "town_code", None)
        return own is not None and _town_of(thing) is not None and str(_town_of(thing)) == str(own)
    if role.department_bound and spec.per_department:
        # THE department rule: a department reports only the entries its department owns (the
        # entry's 主要责任部门 include it)
        own = getattr(actor, "department", None)
        return own is not None and thing is not None and bool(thing.owned_by(own))
    return True


def require(actor: Any, action: str, thing: Any = None) -> None:
    """:func:`may`, or PermissionDenied with the action's key (another town's site: ``error.other_town``)."""
    if may(actor, action, thing):
        return
    spec, role = ACTIONS[action], role_of(actor)
    if role is not None and action in role.actions and spec.per_department and role.department_bound:
        raise PermissionDenied(key="error.other_department", params={
            "name": getattr(actor, "name", None), "department": getattr(actor, "department", None) or "",
            "entry": getattr(thing, "id", None), "owners": "、".join(getattr(thing, "departments", ())) or "—"})
    if role is not None and action in role.actions and spec.per_town and thing is not None:
        town = _town_of(thing)
        raise PermissionDenied(
            rule=spec.rule, key="error.other_town" if town is not None else "error.other_town_none",
            params={"name": getattr(actor, "name", None), "town": getattr(actor, "town_code", None),
                    "site_id": thing.get("site_id") if isinstance(thing, Mapping) else None, "site_town": town},
        )
    raise PermissionDenied(rule=spec.rule, key=spec.refusal,
                           params={"role": getattr(actor, "role", None), "action": action})
