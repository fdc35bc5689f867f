"""CI runs what the README tells a new user to run (issue 16)."""
from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _ci_test_command() -> str:
    found = re.findall(r"^README_TEST_COMMAND='(.+)'$", (REPO / ".ci" / "run").read_text("utf-8"), re.MULTILINE)
    assert len(found) == 1, "one README_TEST_COMMAND in .ci/run"
    return found[0]


def test_the_readme_test_command_is_what_ci_runs():
    readme = (REPO / "README.md").read_text("utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.DOTALL)
    assert _ci_test_command() + "\n" in blocks, "README must show .ci/run's test command as its own one-line block"


def test_the_test_command_uses_a_fresh_venv_and_every_extra_the_tests_need():
    command = _ci_test_command()
    assert command.startswith("python3 -m venv .venv && ")
    assert '.venv/bin/pip install -e ".[test,build-geodata]"' in command
    assert command.endswith(".venv/bin/python -m pytest")


def _ci_test_step(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """.ci/run's test step (from ``status=0`` to its exit check) with another test command."""
    script = (REPO / ".ci" / "run").read_text("utf-8")
    start = script.index("status=0\n")
    end = script.index('[ "$status" -eq 0 ] || exit "$status"\n') + len('[ "$status" -eq 0 ] || exit "$status"\n')
    fragment = f"set -euo pipefail\nREADME_TEST_COMMAND={shlex.quote(command)}\n{script[start:end]}echo REACHED\n"
    return subprocess.run(["bash", "-c", fragment], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_ci_fails_when_pytest_collects_nothing(tmp_path):
    empty = f"{shlex.quote(sys.executable)} -m pytest -q -p no:cacheprovider"
    result = _ci_test_step(empty, tmp_path)
    assert result.returncode == 5 and "REACHED" not in result.stdout
    assert "collected no tests" in result.stderr


def test_ci_goes_on_only_when_the_tests_pass(tmp_path):
    (tmp_path / "test_one.py").write_text("def test_ok():\n    assert True\n")
    passing = _ci_test_step(f"{shlex.quote(sys.executable)} -m pytest -q -p no:cacheprovider", tmp_path)
    assert passing.returncode == 0 and "REACHED" in passing.stdout
    (tmp_path / "test_one.py").write_text("def test_ok():\n    assert False\n")
    failing = _ci_test_step(f"{shlex.quote(sys.executable)} -m pytest -q -p no:cacheprovider", tmp_path)
    assert failing.returncode == 1 and "REACHED" not in failing.stdout
