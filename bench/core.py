"""What every figure shares: the result shape, a timer, machine facts, and the two renderings
(a plain-text table for the terminal, Markdown for ``bench/results.md``)."""
from __future__ import annotations

import datetime as dt
import gc
import importlib.metadata
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class Goal:
    """One goal of issue 7 and what the run measured against it (``met`` None: not measurable here)."""

    text: str
    measured: str
    met: bool | None


@dataclass
class Figure:
    """One figure: a table (``columns``/``rows`` already formatted), its goals, notes and raw numbers."""

    key: str
    title: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)


def best_time(fn: Callable[[], T], repeats: int = 3) -> tuple[float, T]:
    """Smallest wall time of ``repeats`` calls (seconds) and the last result.

    The minimum is the least noisy estimate on a shared 2-core machine; garbage is collected
    before each call so one run's garbage is not charged to the next.
    """
    best = float("inf")
    result: Any = None
    for _ in range(max(1, repeats)):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def fmt_bytes(n: float | None) -> str:
    if n is None:
        return "—"
    for unit, size in (("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.2f} {unit}"
    return f"{n:.0f} B"


def fmt_ratio(r: float | None) -> str:
    return "—" if r is None else f"{r:,.1f}×"


def fmt_n(n: int) -> str:
    return f"{n:,}"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            kb = int(fh.readline().split()[1])
        return f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        return "unknown"


LIBRARIES = (
    "folium",
    "streamlit",
    "streamlit-folium",
    "geopandas",
    "shapely",
    "pyproj",
    "pandas",
    "numpy",
    "SQLAlchemy",
    "psycopg",
    "playwright",
)


def machine_info() -> dict[str, str]:
    """CPU, cores, memory, OS, Python and library versions, and the date of the run."""
    info = {
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "memory": _memory(),
        "os": platform.platform(),
        "python": platform.python_version(),
    }
    for lib in LIBRARIES:
        try:
            info[lib] = importlib.metadata.version(lib)
        except importlib.metadata.PackageNotFoundError:
            info[lib] = "not installed"
    return info


def text_table(columns: list[str], rows: list[list[str]]) -> str:
    """A fixed-width table for the terminal (CJK-unaware widths are fine: cells are ASCII)."""
    widths = [max(len(str(c)), *(len(str(r[i])) for r in rows)) if rows else len(str(c)) for i, c in enumerate(columns)]
    line = "  ".join(str(c).ljust(w) for c, w in zip(columns, widths, strict=False))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=False)) for r in rows]
    return "\n".join(out)


def _goal_mark(met: bool | None) -> str:
    return {True: "met", False: "NOT met", None: "not measured"}[met]


def render_text(fig: Figure) -> str:
    parts = [f"== {fig.title} =="]
    if fig.rows:
        parts.append(text_table(fig.columns, fig.rows))
    for g in fig.goals:
        parts.append(f"goal: {g.text} -> {g.measured} [{_goal_mark(g.met)}]")
    parts += [f"note: {n}" for n in fig.notes]
    return "\n".join(parts)


def _md_cell(v: object) -> str:
    return str(v).replace("|", "\\|").replace("\n", " ")


def render_markdown(figures: list[Figure], machine: dict[str, str], *, mode: str, command: str) -> str:
    """The whole ``results.md``: how it was run, the machine, a goals summary, then every figure."""
    out = [
        "# Benchmarks — wufei-geo at district and city scale",
        "",
        f"Written by `{command}` ({mode} run) on {machine['date']}. Every ratio compares two numbers measured "
        "in this same run on this machine (shared 2-core machines are noisy: compare ratios, not seconds "
        "across runs). Times are the best of the stated repeats. Sites are synthetic (`bench/synthetic.py`: "
        "uniform inside the district outline, fixed seed, an assumed mix of categories and statuses) — "
        "no number here is about real facilities.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
    ]
    out += [f"| {k} | {_md_cell(v)} |" for k, v in machine.items()]
    goals = [(f, g) for f in figures for g in f.goals]
    if goals:
        out += ["", "## Goals (issues 7 and 18)", "", "| figure | goal | measured | result |", "|---|---|---|---|"]
        out += [f"| {f.key} | {_md_cell(g.text)} | {_md_cell(g.measured)} | {_goal_mark(g.met)} |" for f, g in goals]
    for f in figures:
        out += ["", f"## {f.title}", ""]
        if f.rows:
            out.append("| " + " | ".join(_md_cell(c) for c in f.columns) + " |")
            out.append("|" + "---|" * len(f.columns))
            out += ["| " + " | ".join(_md_cell(v) for v in r) + " |" for r in f.rows]
            out.append("")
        out += [f"- {_md_cell(n)}" for n in f.notes]
    out.append("")
    return "\n".join(out)
