"""Refusals carry a catalogue key and parameters only (issue 28): every refusal the store, auth,
the permission owner and the site rules raise names its key, the key has its text in both
languages, and site_rules.RULES lists exactly the rule keys the code raises."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from wufei_geo import i18n, i18n_catalog, permissions, site_rules

ROOT = Path(__file__).resolve().parents[1]
REFUSALS = {"WufeiError", "AuthError", "NotAuthenticated", "AccountLocked", "PermissionDenied", "ValidationError",
            "NotFound", "StaleVersion", "StoreUnavailable", "StoreBusy", "BatchRefused"}
# The modules whose every refusal (of the classes above) is keyed, and where site rules are raised.
# Not yet keyed (their text is inline "English / 中文"): BackupError (io/archive.py, io/backup*.py),
# SeedDataError (facilities.py) and the io readers' own ValueError subclasses — see
# docs/architecture.md, "Where each rule lives".
KEYED = ["wufei_geo/store/*.py", "wufei_geo/auth.py", "wufei_geo/permissions.py", "wufei_geo/site_rules.py",
         "wufei_geo/io/backup_rules.py", "wufei_geo/reference_bounds.py"]


def _keyed_modules() -> list[Path]:
    return sorted(p for pattern in KEYED for p in ROOT.glob(pattern))


def _name(call: ast.Call) -> str | None:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def _literal_keys(call: ast.Call) -> list[str]:
    """The catalogue keys a refusal's ``key=`` can take (a literal, or either side of a conditional)."""
    for kw in call.keywords:
        if kw.arg == "key":
            values = [kw.value.body, kw.value.orelse] if isinstance(kw.value, ast.IfExp) else [kw.value]
            return [v.value for v in values if isinstance(v, ast.Constant)]
    return []


def _raised(path: Path) -> tuple[list[tuple[int, str]], list[str], set[str]]:
    """(refusals built without a key or with inline text, the literal keys, the refuse() rule keys)."""
    bad, keys, rules = [], [], set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node)
        if name == "refuse" and node.args and isinstance(node.args[0], ast.Constant):
            rules.add(node.args[0].value)
        if name in REFUSALS:
            kws = {kw.arg for kw in node.keywords}
            if "key" not in kws or (node.args and not (isinstance(node.args[0], ast.Constant) and node.args[0].value is None)):
                bad.append((node.lineno, name))
            keys += _literal_keys(node)
    return bad, keys, rules


def test_every_refusal_of_the_keyed_modules_names_a_key_and_no_text() -> None:
    found = {}
    for path in _keyed_modules():
        bad, _keys, _rules = _raised(path)
        if bad:
            found[path.relative_to(ROOT).as_posix()] = bad
    assert not found, f"refusals without a key, or with inline text: {found}"


def test_every_key_raised_has_its_text_in_both_languages() -> None:
    zh, en = i18n_catalog.read_catalog("zh"), i18n_catalog.read_catalog("en")
    keys = {k for path in _keyed_modules() for k in _raised(path)[1]}
    keys |= {a.refusal for a in permissions.ACTIONS.values()}
    keys |= {f"rule.{r}" for r in site_rules.RULES}
    assert len(keys) > 40
    missing = sorted(k for k in keys if not (zh.get(k) and en.get(k)))
    assert not missing, missing


def test_the_rule_registry_is_the_rules_the_code_raises() -> None:
    raised: set[str] = set()
    for path in _keyed_modules():
        raised |= _raised(path)[2]
        text = path.read_text(encoding="utf-8")
        raised |= set(re.findall(r'Violation\(\s*"(\w+)"', text))
        raised |= set(re.findall(r'rule="(\w+)"', text)) & set(site_rules.RULES)
    # rules raised by name in site_rules (refuse("…"), Violation("…")) are all registered …
    assert raised - set(site_rules.RULES) == set()
    # … and every registered rule is raised somewhere
    source = "\n".join(p.read_text(encoding="utf-8") for p in _keyed_modules())
    unused = sorted(r for r in site_rules.RULES if f'"{r}"' not in source.replace(f'    "{r}": ', ""))
    assert not unused, unused


def test_a_refusal_reads_in_both_languages_from_its_key() -> None:
    try:
        site_rules.parse_status("running")
    except Exception as exc:  # noqa: BLE001
        assert exc.key == "rule.unknown_status"
        assert i18n.error_text(exc, "zh") == "未知状态 'running'。"
        assert i18n.error_text(exc, "en") == "Unknown status 'running'."
        assert str(exc) == "Unknown status 'running'. / 未知状态 'running'。"
