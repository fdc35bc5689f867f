"""Import contracts: the core never imports the UI; no import cycles inside ``wufei_geo``.

The contracts themselves live in pyproject.toml (``[tool.importlinter]``) and CI runs
``lint-imports``; this test runs the same check, and a module-level cycle search with grimp
that counts every import, function-level ones included (``if TYPE_CHECKING:`` imports are
never executed and are left out).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

REPO = Path(__file__).resolve().parent.parent


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph("wufei_geo", exclude_type_checking_imports=True, cache_dir=None)


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (each holds at least one cycle)."""
    modules = sorted(graph.modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in modules:  # Tarjan, iterative
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles_between_core_modules():
    assert _cycles(_graph()) == []


def test_the_cycle_search_counts_function_level_imports():
    # The cycle of issue 16 went through a function-level import (analysis → catalog); the overdue
    # rule now lives in freshness, still imported inside analysis.sites.overdue_flags.
    graph = _graph()
    details = graph.get_import_details(importer="wufei_geo.analysis.sites", imported="wufei_geo.freshness")
    assert details, "analysis.overdue_flags imports freshness inside the function"
    graph.add_import(importer="wufei_geo.freshness", imported="wufei_geo.analysis.sites")  # a cycle through it
    cycle = {"wufei_geo.freshness", "wufei_geo.analysis.sites"}
    assert any(cycle <= set(component) for component in _cycles(graph))


def test_the_core_never_imports_streamlit_or_the_pages():
    graph = grimp.build_graph("wufei_geo", include_external_packages=True, cache_dir=None)
    for ui in ("streamlit", "streamlit_folium", "app_pages"):
        if ui in graph.modules:
            importers = sorted(graph.find_modules_that_directly_import(ui))
            assert not [m for m in importers if m.startswith("wufei_geo")], (ui, importers)


@pytest.mark.slow
def test_lint_imports_keeps_every_contract():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def _private_names_taken_across_modules(root: Path) -> list[str]:
    """``from wufei_geo.x import _name`` and ``x._name`` (x an imported module of the core) in any
    module of ``wufei_geo``: a helper another module needs is the package's internal API and has a
    public name (in a private module if it is internal to a package)."""
    import ast

    found = []
    for path in sorted((root / "wufei_geo").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = set()
        where = path.relative_to(root).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("wufei_geo"):
                found += [f"{where}: {node.module}.{a.name}" for a in node.names
                          if a.name.startswith("_") and not a.name.startswith("__")]
                modules |= {a.asname or a.name for a in node.names}
            elif isinstance(node, ast.Import):
                modules |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name.startswith("wufei_geo")}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                found.append(f"{where}:{node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_core_modules_share_helpers_by_public_names():
    """No module of ``wufei_geo`` takes an underscore name from another (issue 28: the analysis
    package's rule, now for the whole core)."""
    assert not _private_names_taken_across_modules(REPO)


def test_the_private_name_check_finds_a_private_import(tmp_path):
    (tmp_path / "wufei_geo").mkdir()
    (tmp_path / "wufei_geo" / "a.py").write_text(
        "from wufei_geo.site_rules import refuse, _secret\nfrom wufei_geo import site_rules\nsite_rules._other()\n",
        encoding="utf-8")
    assert _private_names_taken_across_modules(tmp_path) == [
        "wufei_geo/a.py: wufei_geo.site_rules._secret", "wufei_geo/a.py:3: site_rules._other"]
