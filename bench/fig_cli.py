"""Figure 7: start-up of the command line — ``wufei-geo --help`` and light commands against
``python -c pass`` (the interpreter alone), each a fresh process, and the slowest imports of
``--help`` from ``python -X importtime`` (issue 16: commands import only what they need)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.core import Figure, Goal, fmt_ratio, fmt_s

REPO_ROOT = Path(__file__).resolve().parent.parent
HELP_GOAL_S = 1.0


def cli_command() -> list[str]:
    """The ``wufei-geo`` console script beside this interpreter, else ``python -m wufei_geo``."""
    script = Path(sys.executable).with_name("wufei-geo")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    found = shutil.which("wufei-geo")
    if found and Path(found).parent == Path(sys.executable).parent:
        return [found]
    return [sys.executable, "-m", "wufei_geo"]


def _env() -> dict[str, str]:
    # the checkout the bench runs from wins over any other install (as in the tests)
    path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path}


def _run_time(cmd: list[str], repeats: int) -> float:
    best = float("inf")
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, timeout=120)
        best = min(best, time.perf_counter() - t0)
    return best


def slowest_imports(args: list[str], top: int = 8) -> list[tuple[str, float, float]]:
    """(module, self s, cumulative s) of the ``top`` imports with the largest cumulative time."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "wufei_geo", *args],
        env=_env(), capture_output=True, text=True, timeout=120, check=True,
    )
    rows = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        self_us, cumulative_us, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        rows.append((name, int(self_us) / 1e6, int(cumulative_us) / 1e6))
    rows.sort(key=lambda r: r[2], reverse=True)
    return rows[:top]


def measure(repeats: int = 3) -> dict[str, Any]:
    cli = cli_command()
    return {
        "cli": "wufei-geo" if len(cli) == 1 else "python -m wufei_geo",
        "python_s": _run_time([sys.executable, "-c", "pass"], repeats),
        "help_s": _run_time([*cli, "--help"], repeats),
        "users_help_s": _run_time([*cli, "users", "--help"], repeats),
        "serve_s": _run_time([*cli, "serve", "--print-command"], repeats),
        "imports": slowest_imports(["--help"]),
    }


def figure(raw: dict[str, Any]) -> Figure:
    base = raw["python_s"]
    rows = [
        ["python -c pass", fmt_s(base), "1.0×"],
        [f"{raw['cli']} --help", fmt_s(raw["help_s"]), fmt_ratio(raw["help_s"] / base if base else None)],
        [f"{raw['cli']} users --help", fmt_s(raw["users_help_s"]), fmt_ratio(raw["users_help_s"] / base if base else None)],
        [f"{raw['cli']} serve --print-command", fmt_s(raw["serve_s"]), fmt_ratio(raw["serve_s"] / base if base else None)],
    ]
    fig = Figure(
        key="7 cli",
        title="7. Command-line start-up (fresh process each)",
        columns=["command", "wall time (best)", "× python -c pass"],
        rows=rows,
        raw=raw,
    )
    fig.goals.append(Goal(f"wufei-geo --help well under {HELP_GOAL_S:g} s", fmt_s(raw["help_s"]),
                          raw["help_s"] < HELP_GOAL_S))
    fig.notes.append("slowest imports of --help (python -X importtime, cumulative/self): " + "; ".join(
        f"{name} {fmt_s(cum)}/{fmt_s(own)}" for name, own, cum in raw["imports"]))
    return fig
