"""Refusals carry a catalogue key and parameters only: every refusal the core (``wufei_geo/``) raises
names its key, never a literal message; every key it can take has its text in both languages with the
same placeholders; and site_rules.RULES lists exactly the rule keys the code raises (issue 28).

A refusal is an instance of ``errors.WufeiError`` or of any class of the core derived from it (found
in the source, so a new subclass is covered at once).  The scan reads the source (``ast``); a key
built at run time is allowed only in a key factory (a function that returns a refusal whose key is an
f-string of one of its parameters, e.g. ``site_rules.refuse("unknown_status")`` → ``rule.unknown_status``),
whose literal call sites are then checked, or in the places listed in ``DYNAMIC_KEYS``.
"""
from __future__ import annotations

import ast
import datetime as dt
import functools
import re
import string
from pathlib import Path

from wufei_geo import errors, i18n, i18n_catalog, permissions, site_rules
from wufei_geo.io import archive, backup_rules

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "wufei_geo"
KEY_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
# Keys chosen at run time outside a factory, and the keys each can take (checked below).
DYNAMIC_KEYS = {
    "wufei_geo/permissions.py": lambda: {a.refusal for a in permissions.ACTIONS.values()},
    "wufei_geo/store/session.py": lambda: _returned_keys(CORE / "store/session.py", "storage_refusal"),
}


@functools.cache
def _trees() -> dict[str, ast.Module]:
    return {p.relative_to(ROOT).as_posix(): ast.parse(p.read_text(encoding="utf-8"))
            for p in sorted(CORE.rglob("*.py"))}


def _name(node: ast.expr) -> str | None:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None


@functools.cache
def refusal_classes() -> frozenset[str]:
    """WufeiError and every class of the core derived from it (by name)."""
    bases = {node.name: {_name(b) for b in node.bases} for tree in _trees().values()
             for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    found = {"WufeiError"}
    while True:
        more = {name for name, bs in bases.items() if bs & found} - found
        if not more:
            return frozenset(found)
        found |= more


def _key_arg(call: ast.Call) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == "key"), None)


def _literal_keys(expr: ast.expr) -> set[str]:
    """The keys a ``key=`` expression can take when it is made of literals (a literal, either side of a
    conditional, the values of a dict looked up)."""
    in_fstrings = {id(c) for f in ast.walk(expr) if isinstance(f, ast.JoinedStr) for c in ast.walk(f)}
    return {n.value for n in ast.walk(expr) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and KEY_RE.match(n.value) and id(n) not in in_fstrings}


def _template(expr: ast.expr, params: list[str]) -> tuple[str, int] | None:
    """An f-string key of one parameter ``f"rule.{rule}"`` (also inside ``key or f"…"``) as (format, index)."""
    for node in ast.walk(expr):
        if isinstance(node, ast.JoinedStr):
            parts, index = [], None
            for v in node.values:
                if isinstance(v, ast.Constant):
                    parts.append(str(v.value))
                elif isinstance(v, ast.FormattedValue) and isinstance(v.value, ast.Name) and v.value.id in params:
                    parts.append("{}")
                    index = params.index(v.value.id)
                else:
                    return None
            return ("".join(parts), index) if index is not None else None
    return None


@functools.cache
def factories() -> dict[tuple[str, str], tuple[str, int]]:
    """(module stem, function name) → (key format, index of the parameter that fills it)."""
    classes = refusal_classes()
    out = {}
    for path, tree in _trees().items():
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef):
                continue
            params = [a.arg for a in fn.args.args]
            for ret in ast.walk(fn):
                if isinstance(ret, ast.Return) and isinstance(ret.value, ast.Call) and _name(ret.value.func) in classes:
                    key = _key_arg(ret.value)
                    template = _template(key, params) if key is not None else None
                    if template:
                        out[(Path(path).stem, fn.name)] = template
    return out


def _factory_of(path: str, call: ast.Call) -> tuple[str, int] | None:
    f = call.func
    if isinstance(f, ast.Name):
        return factories().get((Path(path).stem, f.id))
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
        return factories().get((f.value.id, f.attr))
    return None


def _returned_keys(path: Path, function: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    fn = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == function)
    return {k for r in ast.walk(fn) if isinstance(r, ast.Return) and r.value is not None for k in _literal_keys(r.value)}


def scan(path: str, tree: ast.Module) -> tuple[list[str], set[str]]:
    """(problems: refusals built with a message or without a key, run-time keys outside a factory or
    ``DYNAMIC_KEYS``; the catalogue keys the module's refusals can take)."""
    classes = refusal_classes()
    factory_bodies = {id(n) for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef)
                      and (Path(path).stem, fn.name) in factories() for n in ast.walk(fn)}
    problems, keys = [], set()
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call):
            continue
        factory = _factory_of(path, call)
        if factory is not None:
            fmt, index = factory
            given = _key_arg(call)
            if given is not None:
                keys |= _literal_keys(given)
            elif len(call.args) > index and isinstance(call.args[index], ast.Constant):
                keys.add(fmt.format(call.args[index].value))
            continue
        if _name(call.func) not in classes:
            continue
        where = f"{path}:{call.lineno} {_name(call.func)}"
        key = _key_arg(call)
        if call.args and not (isinstance(call.args[0], ast.Constant) and call.args[0].value is None):
            problems.append(f"{where}: a message instead of key + params")
        if key is None:
            problems.append(f"{where}: no key")
            continue
        literal = _literal_keys(key)
        keys |= literal
        if not literal and id(call) not in factory_bodies and path not in DYNAMIC_KEYS:
            problems.append(f"{where}: a key made at run time outside a key factory")
    return problems, keys


def all_keys() -> set[str]:
    keys = {k for path, tree in _trees().items() for k in scan(path, tree)[1]}
    keys |= {k for source in DYNAMIC_KEYS.values() for k in source()}
    keys |= {f"rule.{r}" for r in site_rules.RULES}
    return keys


def test_every_refusal_of_the_core_names_a_key_and_no_text() -> None:
    found = [p for path, tree in _trees().items() for p in scan(path, tree)[0]]
    assert not found, "refusals with inline text, without a key, or with a run-time key:\n" + "\n".join(found)


def test_the_scan_sees_the_refusal_classes_and_fails_on_an_unkeyed_raise() -> None:
    classes = refusal_classes()
    assert {"BackupError", "SeedDataError", "ImportFileError", "ValidationError", "PermissionDenied",
            "ImplausibleEdit", "BatchRefused", "BoundaryImportError", "ExportError", "BriefingFontError"} <= classes
    bad = ast.parse('from x import BackupError\n\ndef f():\n    raise BackupError("kaputt / 坏了")\n'
                    'def g():\n    raise ValidationError(key="error.x", params={})\n'
                    'def h(k):\n    raise NotFound(key=k)\n')
    problems, keys = scan("wufei_geo/io/new_module.py", bad)
    assert len(problems) == 3 and keys == {"error.x"}
    # a factory's literal call sites become keys
    _problems, keys = scan("wufei_geo/io/new_module.py", ast.parse('raise site_rules.refuse("unknown_status")'))
    assert keys == {"rule.unknown_status"}


def test_every_key_raised_has_its_text_in_both_languages_and_their_placeholders_agree() -> None:
    zh, en = i18n_catalog.read_catalog("zh"), i18n_catalog.read_catalog("en")
    keys = all_keys()
    assert len(keys) > 150 and {"backup.error.site", "error.seed_data", "import.limit_rows",
                                "place_rule.area_not_geojson", "error.value_year"} <= keys
    missing = sorted(k for k in keys if not (zh.get(k) and en.get(k)))
    assert not missing, missing

    def fields(text: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}

    # A language may leave a parameter out (the Chinese of error.bad_version names no English step);
    # one that names a parameter the other does not know has drifted — except the town lists, which
    # each language gives in its own names.
    drifted = sorted(k for k in keys - {"error.unknown_town"}
                     if fields(zh[k]) - fields(en[k]) and fields(en[k]) - fields(zh[k]))
    assert not drifted, drifted


def test_the_rule_registry_is_the_rules_the_code_raises() -> None:
    raised: set[str] = set()
    paths = [CORE / "site_rules.py", CORE / "reference_bounds.py", CORE / "io/backup_rules.py", *CORE.glob("store/*.py")]
    for path in paths:
        text = path.read_text(encoding="utf-8")
        raised |= set(re.findall(r'\brefuse\(\s*"(\w+)"', text))
        raised |= set(re.findall(r'Violation\(\s*"(\w+)"', text))
        raised |= set(re.findall(r'rule="(\w+)"', text)) & set(site_rules.RULES)
    # rules raised by name (refuse("…"), Violation("…")) are all registered …
    assert raised - set(site_rules.RULES) == set()
    # … and every registered rule is raised somewhere
    source = "\n".join(p.read_text(encoding="utf-8") for p in paths)
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


def test_a_refusal_about_a_refusal_reads_each_in_one_language() -> None:
    """A backup row refused by a site rule: the rule's own words, in the reader's language."""
    rows = {"sites": [{"site_id": "E.1", "category": "wet_waste", "status": "running"}], "proposals": []}
    try:
        backup_rules.check_values(rows, dt.date(2026, 1, 1))
    except archive.BackupError as exc:
        assert exc.key == "backup.error.site" and exc.rule == "unknown_status"
        assert i18n.error_text(exc, "zh") == "站点 E.1：未知状态 'running'。"
        assert i18n.error_text(exc, "en") == "sites E.1: Unknown status 'running'."
        assert str(exc) == "sites E.1: Unknown status 'running'. / 站点 E.1：未知状态 'running'。"
    else:
        raise AssertionError("not refused")


def test_keyed_refusals_of_files_read_in_one_language() -> None:
    from wufei_geo.io.tabular import ImportFileError, decode_csv

    try:
        decode_csv("站点编号,状态\n".encode() + b"E.1,\xe9t\xe9\n" + "夏阳街道,已运行\n".encode())
    except ImportFileError as exc:
        zh, en = i18n.error_text(exc, "zh"), i18n.error_text(exc, "en")
        assert exc.key == "import.mixed_encoding" and "第 2 行第 5 列" in zh and "line 2, column 5" in en
        assert not re.search(r"[A-Za-z]{4,}", zh.replace("UTF-8", "")) and not re.search("[\u4e00-\u9fff]", en)
    else:
        raise AssertionError("not refused")
    # a file refusal is a refusal like any other (the pages' act() shows it) and still a ValueError
    assert isinstance(ImportFileError(key="import.empty"), errors.ValidationError)
    assert isinstance(ImportFileError(key="import.empty"), ValueError)


# --- problem items: no text written inline as "English / 中文" ------------------------------------
# A user-facing text written in both languages at once ("nothing was saved / 未保存") drifts from the
# catalogue and shows the reader both languages.  Problems and warnings are keyed items
# (``errors.Finding``) worded by ``i18n.item_text``; docstrings may still quote such pairs.
INLINE_PAIR = re.compile(r"[^\u4e00-\u9fff\s] / (\{\}\s*)*[\u4e00-\u9fff]")
SCANNED = ("wufei_geo", "app_pages")
# path:line → why the text may stay as written (none today; a new entry says why)
INLINE_ALLOWED: dict[str, str] = {}


def _docstring_ids(tree: ast.Module) -> set[int]:
    kinds = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {id(n.body[0].value) for n in ast.walk(tree) if isinstance(n, kinds) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}


def inline_pairs(path: str, tree: ast.Module) -> list[str]:
    """Texts of ``tree`` (string constants and f-strings, their placeholders as ``{}``; not docstrings)
    written as "English / 中文"."""
    docs = _docstring_ids(tree)
    in_fstrings = {id(c) for f in ast.walk(tree) if isinstance(f, ast.JoinedStr) for c in f.values}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs | in_fstrings:
            text = node.value
        else:
            continue
        if INLINE_PAIR.search(str(text)) and f"{path}:{node.lineno}" not in INLINE_ALLOWED:
            found.append(f"{path}:{node.lineno}: {str(text)[:100]!r}")
    return found


def test_no_user_facing_text_is_written_inline_in_both_languages() -> None:
    found = [hit for folder in SCANNED for p in sorted((ROOT / folder).rglob("*.py"))
             for hit in inline_pairs(p.relative_to(ROOT).as_posix(), ast.parse(p.read_text(encoding="utf-8")))]
    assert not found, "texts written 'English / 中文' (make them catalogue keys):\n" + "\n".join(found)


def test_the_inline_scan_fails_on_a_pair_and_passes_docstrings_and_label_pairs() -> None:
    source = ('"""Docstring: nothing was saved / 未保存."""\n'
              'def f(n):\n    """Status 已建成 / 已命名 in a docstring."""\n'
              '    bad = "the zip is too large / 解压后过大"\n'
              '    worse = f"{n} rows refused; nothing written / {n} 行被拒绝"\n'
              '    both = ("湿垃圾处理方式：centralised 集中 / on_site 就地", "Wet-waste mode")\n'
              '    named = "已建成 / 已命名"\n')
    found = inline_pairs("wufei_geo/x.py", ast.parse(source))
    assert [hit.split(":")[1] for hit in found] == ["4", "5"], found


def test_problem_items_have_their_text_in_both_languages() -> None:
    """Every problem item, preview line and command-line text keyed in the 'vocab: problem items'
    block has both languages, and their placeholders agree (a language may leave one out, as above)."""
    zh, en = i18n_catalog.read_catalog("zh"), i18n_catalog.read_catalog("en")
    block = ROOT / "wufei_geo/locale/en/LC_MESSAGES/wufei_geo.po"
    text = block.read_text(encoding="utf-8").split("# --- vocab: problem items", 1)[1].split("\n# ---", 1)[0]
    keys = set(re.findall(r'^msgid "([^"]+)"', text, re.M))
    assert {"problem.warning", "problem.boundary.overlap", "problem.catalog.zones_unusable", "problem.db.locked",
            "backup.preview.account_changes", "cli.rows_refused"} <= keys
    missing = sorted(k for k in keys if not (zh.get(k) and en.get(k)))
    assert not missing, missing

    def fields(s: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(s) if f}

    drifted = sorted(k for k in keys if fields(zh[k]) - fields(en[k]) and fields(en[k]) - fields(zh[k]))
    assert not drifted, drifted


def test_a_boundary_problem_reads_in_the_readers_language_and_both_for_logs() -> None:
    from wufei_geo import boundaries

    overlap = boundaries.finding("overlap", a="310118106 夏阳街道", b="310118107 盈浦街道", km2=1.234, share=0.1)
    gaps = boundaries.finding("cover_gaps", cover=0.95)
    assert i18n.item_text(overlap, "en") == "310118106 夏阳街道 and 310118107 盈浦街道 overlap by 1.23 km² (10% of the smaller)"
    assert i18n.item_text(overlap, "zh") == "边界重叠：310118106 夏阳街道 与 310118107 盈浦街道 重叠 1.23 平方公里（占较小者的 10%）"
    refused = boundaries.refusal("towns.geojson", [overlap], [gaps])
    zh, en = i18n.error_text(refused, "zh"), i18n.error_text(refused, "en")
    assert zh.splitlines()[1:] == ["  - " + i18n.item_text(overlap, "zh"), "  - （警告）边界间有空隙：各街镇合计覆盖全区的 95.0%"]
    assert en.splitlines()[1:] == ["  - " + i18n.item_text(overlap, "en"),
                                   "  - (warning) the towns together cover 95.0% of the district (gaps)"]
    assert str(overlap) == f"{i18n.item_text(overlap, 'en')} / {i18n.item_text(overlap, 'zh')}"


def test_a_database_failure_reads_in_one_language_from_its_key() -> None:
    from sqlalchemy.exc import IntegrityError

    from wufei_geo.store.session import failure_message, failure_refusal

    exc = IntegrityError("INSERT …", {"password_hash": "$2b$secret"}, Exception("UNIQUE constraint failed"))
    refusal = failure_refusal(exc)
    assert refusal is not None and refusal.key == "problem.db.integrity"
    assert i18n.item_text(refusal, "zh") == "数据重复或违反约束，未保存（已存在相同键的行，或违反了数据库规则）"
    assert "nothing was saved" in i18n.item_text(refusal, "en") and "secret" not in str(refusal)
    assert failure_message(exc) == str(refusal)
    assert failure_refusal(KeyError("a bug")) is None


def test_a_backups_value_problems_read_in_one_language_each() -> None:
    rows = {"sites": [{"site_id": "E.1", "category": "wet_waste", "status": "running", "precision": "exact",
                       "lon": 121.1, "lat": None, "version": 1}],
            "users": [{"name": "ops", "role": "planner", "town_code": "310118001", "password_hash": "x"}],
            "audit": [], "meta": []}
    try:
        backup_rules.raise_on_problems(rows)
    except archive.BackupError as exc:
        assert exc.key == "backup.error.values" and exc.params["n"] == 4
        assert {p.key for p in exc.params["problems"]} == {"problem.backup.unknown_value", "problem.backup.lon_lat_together",
                                                           "problem.backup.role_without_town", "problem.backup.not_bcrypt"}
        zh, en = i18n.error_text(exc, "zh"), i18n.error_text(exc, "en")
        assert "  - sites line 1 ('E.1')：经度和纬度须同时给出" in zh.splitlines()
        assert "  - sites line 1 ('E.1'): lon and lat must be given together" in en.splitlines()
        assert not re.search(r"[\u4e00-\u9fff]", en) and "must" not in zh
    else:
        raise AssertionError("not refused")
