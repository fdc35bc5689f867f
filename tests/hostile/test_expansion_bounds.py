"""Round three (issue 27): what a file EXPANDS to is bounded, and volume takes no reader down.

An 8.7 kB XLSX whose every cell points at one 20,000-character shared string passes every size
bound (file, unpacked size, rows, cells, characters per cell) and expands to 1.85 thousand million
characters; it is refused while it is read — through the core, the CLI dry run and the 数据 page —
with the memory measured (tracemalloc) staying far below what the expansion would take.
"""
from __future__ import annotations

import time
import tracemalloc

import pytest
from streamlit.testing.v1 import AppTest

from bench import bombs
from tests.apptest_helpers import APP, PAGES
from wufei_geo.io import bulk_import
from wufei_geo.io.tabular import MAX_TABLE_CHARS

from .helpers import PASSWORD, data_hash, login, run_cli
from .results import record

# What a refusal may take, whatever the file expands to: the bound's text (32 Mi characters would
# be 64 MiB as CJK text, but a refused file's cells are references to one string) plus the reader.
MEMORY_BOUND = 64 * 2**20


def _measured(work) -> tuple[object, int, float]:
    """(result or exception, peak traced bytes, seconds) of ``work()``."""
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        out = work()
    except Exception as exc:  # noqa: BLE001 — the refusal is the result
        out = exc
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, peak, seconds


def test_shared_string_workbook_is_small_and_passes_every_size_bound() -> None:
    data, _ = bombs.xlsx_shared_string()
    assert 8_000 < len(data) < 9_500  # the 8.7 kB of the report
    expands_to = 1_850 * 50 * 20_000
    assert expands_to > 50 * MAX_TABLE_CHARS


@pytest.mark.parametrize("role", ["xiayang", "admin"])
def test_shared_string_workbook_is_refused_in_the_core(env, role: str) -> None:
    data, name = bombs.xlsx_shared_string()
    actor = login(env, role)
    before = data_hash(env)
    report, peak, seconds = _measured(lambda: bulk_import.plan_import(env, actor, data, name, "en"))
    (error,) = report.errors
    assert error.row is None and "expands" in error.message, error.message
    assert peak < MEMORY_BOUND, peak
    assert data_hash(env) == before
    record("files", "xlsx-shared-string-8.7kB", f"bulk_import.plan_import ({role})", "refused",
           f"{len(data):,} B file (1.85e9 characters expanded) refused in {seconds:.1f} s, "
           f"peak {peak / 2**20:.1f} MiB traced: {error.message}", peak_mib=round(peak / 2**20, 1))


def test_shared_string_workbook_is_refused_by_the_cli_dry_run(env, monkeypatch, capsys, tmp_path) -> None:
    data, name = bombs.xlsx_shared_string()
    path = tmp_path / name
    path.write_bytes(data)
    before = data_hash(env)
    result, peak, seconds = _measured(lambda: run_cli(monkeypatch, capsys, "--lang", "en", "import-sites", str(path),
                                                      "--user", "xiayang", "--password-stdin", stdin=PASSWORD + "\n"))
    code, out, err = result
    assert code != 0 and "expands" in out + err and "Traceback" not in err, (code, out, err)
    assert peak < MEMORY_BOUND, peak
    assert data_hash(env) == before
    record("files", "xlsx-shared-string-8.7kB", "cli:import-sites (dry run)", "refused",
           f"refused in {seconds:.1f} s, peak {peak / 2**20:.1f} MiB traced", peak_mib=round(peak / 2**20, 1))


def test_shared_string_workbook_is_refused_on_the_data_page(env) -> None:
    data, name = bombs.xlsx_shared_string()
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["lang"] = "en"
    at.run()
    at.switch_page(PAGES["data"]).run()
    at.text_input(key="login_name").input("xiayang")
    at.text_input(key="login_password").input(PASSWORD)
    next(b for b in at.button if b.label == "Log in").click()
    at.run()
    before = data_hash(env)
    at.get("file_uploader")[0].set_value((name, data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    _, peak, seconds = _measured(at.run)
    assert not at.exception, at.exception
    assert any("1 errors found" in e.value for e in at.error), [e.value for e in at.error]
    problems = at.dataframe[-1].value
    assert any("expands" in str(v) for v in problems.to_numpy().ravel()), problems
    assert not [b for b in at.button if b.key == "data_apply"]
    assert peak < MEMORY_BOUND, peak
    assert data_hash(env) == before
    record("files", "xlsx-shared-string-8.7kB", "数据 page (town official upload)", "refused",
           f"refused in {seconds:.1f} s, peak {peak / 2**20:.1f} MiB traced", peak_mib=round(peak / 2**20, 1))
