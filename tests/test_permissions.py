"""The one permission question (wufei_geo/permissions.py): what each role may do, that the store
enforces it, that every refusal has its text in both languages, and that no other module of the
app compares role names."""
from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

import pytest

from wufei_geo import i18n, permissions
from wufei_geo.errors import PermissionDenied

ROOT = Path(__file__).resolve().parents[1]
TOWN, OTHER = "310118105", "310118001"


def _actor(role: str, town: str | None = None) -> SimpleNamespace:
    return SimpleNamespace(name=f"a-{role}", role=role, town_code=town)


@pytest.mark.parametrize(("role", "town", "action", "thing", "allowed"), [
    ("admin", None, "administer", None, True),
    ("planner", None, "administer", None, False),
    ("town_official", TOWN, "administer", None, False),
    ("planner", None, "edit_site", {"site_id": "X", "town_code": OTHER}, True),
    ("town_official", TOWN, "edit_site", {"site_id": "X", "town_code": TOWN}, True),
    ("town_official", TOWN, "edit_site", {"site_id": "X", "town_code": OTHER}, False),
    ("town_official", TOWN, "edit_site", {"site_id": "X", "town_code": None}, False),
    ("town_official", TOWN, "manage_rounds", None, False),
    ("planner", None, "manage_rounds", None, True),
    ("town_official", TOWN, "apply_implausible", {"site_id": "X", "town_code": TOWN}, False),
    ("planner", None, "apply_implausible", {"site_id": "X", "town_code": TOWN}, True),
    ("town_official", TOWN, "set_baseline_capacity", None, False),
    ("nobody", None, "edit_site", {"site_id": "X", "town_code": TOWN}, False),
])
def test_may(role, town, action, thing, allowed) -> None:
    assert permissions.may(_actor(role, town), action, thing) is allowed
    assert permissions.may(None, action, thing) is False


def test_town_scope_is_the_own_town_of_a_town_bound_role_only() -> None:
    assert permissions.town_scope(_actor("town_official", TOWN)) == TOWN
    assert permissions.town_scope(_actor("planner")) is None
    assert permissions.town_scope(None) is None


def test_every_role_and_action_is_one_entry_with_its_texts_in_both_languages() -> None:
    for role in permissions.ROLES.values():
        assert role.actions <= set(permissions.ACTIONS), role
        for lang in ("zh", "en"):
            assert i18n.t(f"role.{role.name}", lang) != f"role.{role.name}"
    for action in permissions.ACTIONS.values():
        for lang in ("zh", "en"):
            assert i18n.t(f"permission.{action.name}", lang) != f"permission.{action.name}"
            assert action.refusal in i18n.MESSAGES, action


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_refusal_is_worded_from_the_catalogue(lang: str) -> None:
    for name in permissions.ACTIONS:
        for actor, thing in ((_actor("town_official", TOWN), {"site_id": "X", "town_code": OTHER}),
                             (_actor("town_official", TOWN), None), (None, None)):
            if permissions.may(actor, name, thing):
                continue
            with pytest.raises(PermissionDenied) as exc:
                permissions.require(actor, name, thing)
            assert exc.value.key in i18n.MESSAGES
            text = i18n.error_text(exc.value, lang)
            assert text and "{" not in text and exc.value.key not in text, (name, text)
    with pytest.raises(PermissionDenied) as exc:
        permissions.require(_actor("town_official", TOWN), "manage_rounds")
    assert exc.value.rule == "round_role"
    assert i18n.error_text(exc.value, "en") == f"Role {i18n.t('role.town_official', 'en')} may not open or close an update round."


def test_a_new_role_is_one_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """A department reporter (another session adds it for register values): one Role entry and
    one action; nothing else changes for the question to answer."""
    monkeypatch.setitem(permissions.ACTIONS, "enter_register_value", permissions.Action("enter_register_value"))
    monkeypatch.setitem(permissions.ROLES, "department",
                        permissions.Role("department", frozenset({"enter_register_value"})))
    dept = _actor("department")
    assert permissions.may(dept, "enter_register_value")
    assert not permissions.may(dept, "edit_site", {"site_id": "X", "town_code": TOWN})
    assert not permissions.may(_actor("planner"), "enter_register_value")


# --- nothing else compares role names -------------------------------------------------------------
OWNER = "wufei_geo/permissions.py"


def _app_modules() -> list[Path]:
    files = [ROOT / "app.py"]
    for top in ("wufei_geo", "app_pages"):
        files += [p for p in (ROOT / top).rglob("*.py") if "/migrations/" not in p.as_posix()]
    return files


def _is_role_operand(node: ast.AST, names: set[str]) -> bool:
    if isinstance(node, ast.Constant) and node.value in names:
        return True
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(_is_role_operand(e, names) for e in node.elts)
    if isinstance(node, ast.Attribute) and node.attr == "role":
        return True
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value == "role":
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" \
        and bool(node.args) and isinstance(node.args[0], ast.Constant) and node.args[0].value == "role"


def role_comparisons(source: str) -> list[int]:
    """Lines where a comparison involves a role name or an actor's role."""
    names = set(permissions.ROLES)
    return [node.lineno for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Compare) and any(_is_role_operand(o, names) for o in [node.left, *node.comparators])]


def test_the_scan_finds_a_role_comparison() -> None:
    assert role_comparisons('if actor.role == "planner": pass') == [1]
    assert role_comparisons('ok = who.role in ("admin", "planner")') == [1]
    assert role_comparisons('ok = r["role"] != "town_official"') == [1]
    assert role_comparisons('ok = r.get("role") == x') == [1]
    assert role_comparisons('ok = permissions.may(actor, "administer")') == []


def test_no_module_but_the_permission_owner_compares_role_names() -> None:
    found = {}
    for path in _app_modules():
        rel = path.relative_to(ROOT).as_posix()
        if rel == OWNER:
            continue
        lines = role_comparisons(path.read_text(encoding="utf-8"))
        if lines:
            found[rel] = lines
    assert not found, f"role names compared outside {OWNER}: {found}"
