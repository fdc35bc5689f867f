"""What the hostile tests tried, and how it went: one JSON line per (group, case, entry point).

A test calls :func:`record` *after* its assertions passed, so a record is evidence of a checked
outcome; a failing assertion leaves no record (and fails the test).  Records are appended to
``tests/_artifacts/hostile-results.jsonl``; the report keeps the latest record per key, so a
re-run replaces, never double-counts.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
RESULTS_PATH = Path(os.environ.get("WUFEI_HOSTILE_RESULTS", REPO_ROOT / "tests" / "_artifacts" / "hostile-results.jsonl"))

# What happened to a hostile input (the report counts these).
OUTCOMES = (
    "refused",  # refused with a clear message; the database unchanged
    "stored_literally",  # accepted as data, stored byte for byte, never interpreted
    "rendered_safely",  # shown as literal text (HTML escaped, terminal-safe, not a formula)
    "accepted_correctly",  # a legitimate variant (GBK, UTF-8-BOM, GCJ-02 …) read right
    "fault_survived",  # a crash/fault left the database before-or-after, never between
    "property_held",  # a property-based test held for all generated examples
    "degraded_and_said",  # volume a reader cannot draw whole: drawn as far as it can, the rest said (issue 27)
)


def record(group: str, case: str, entry: str, outcome: str, detail: str = "", **figures: Any) -> None:
    """Append one checked outcome.  ``figures`` are numbers the report adds up (e.g. ``updates_lost``)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    RESULTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    line = {
        "group": group,
        "case": case,
        "entry": entry,
        "outcome": outcome,
        "detail": detail[:300],
        "figures": figures,
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    with RESULTS_PATH.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(line, ensure_ascii=False) + "\n")


def load(path: Path | None = None) -> list[dict[str, Any]]:
    """The latest record per (group, case, entry), in first-seen order."""
    path = path or RESULTS_PATH
    latest: dict[tuple[str, str, str], dict[str, Any]] = {}
    if not path.exists():
        return []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip():
            continue
        rec = json.loads(raw)
        latest[(rec["group"], rec["case"], rec["entry"])] = rec
    return list(latest.values())
