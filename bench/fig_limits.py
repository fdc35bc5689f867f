"""Figure 7: peak memory while refusing the largest hostile inputs (issue 15, size bombs).

Each input of :mod:`bench.bombs` is written to a file and handed to its reader in a fresh
subprocess (``python -m bench.fig_limits --worker READER PATH``), which reports its resident
memory just before the call (after resetting the peak, ``/proc/self/clear_refs``) and the peak
afterwards (``VmHWM``): the difference is what refusing that input cost.  The readers are the ones the app and the CLI use: ``bulk_import.read_table``
(the 数据 page and ``import-sites``), ``geofiles.read_boundaries`` and ``backup.read_backup``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import bombs
from bench.core import Figure, Goal

# name → (builder, reader)
INPUTS: dict[str, tuple[Any, str]] = {
    "XLSX, 150,000 rows": (bombs.xlsx_many_rows, "table"),
    "XLSX, a row of 5,000 columns": (bombs.xlsx_wide_row, "table"),
    "XLSX, sheet XML unpacking to 1 GB": (bombs.xlsx_unpacked, "table"),
    "XLSX, a 10-million-character cell": (bombs.xlsx_long_cell, "table"),
    "XLSX, dimension A1:XFD1048576 (accepted: 3 rows)": (bombs.xlsx_forged_dimension, "table"),
    "CSV, 150,000 rows": (bombs.csv_many_rows, "table"),
    "CSV, a 10-million-character note": (bombs.csv_long_note, "table"),
    "zipped Shapefile unpacking to 1 GB": (bombs.zip_bomb_shapefile, "boundaries"),
    "GeoJSON, one town of 1,000,000 vertices": (bombs.geojson_dense, "boundaries"),
    "backup zip unpacking to 1 GB": (None, "backup"),
}
BOUND_MB = 512  # the bound README states: no refused input may cost more than this


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(field)


def _reset_peak() -> None:
    """Reset the process's peak resident size (VmHWM) to its current size (Linux ≥ 4.0)."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def _worker(reader: str, path: str) -> None:
    """Runs in the subprocess: import, measure, read, report one JSON line."""
    from wufei_geo import boundaries
    from wufei_geo.io import backup, bulk_import, geofiles

    data = Path(path).read_bytes() if reader == "table" else None
    _reset_peak()
    before = _status_mb("VmRSS")
    t0 = time.perf_counter()
    outcome = "accepted"
    message = ""
    try:
        if reader == "table":
            bulk_import.read_table(data, Path(path).name)
        elif reader == "boundaries":
            geofiles.read_boundaries(path)
        else:
            backup.read_backup(path)
    except (bulk_import.ImportFileError, boundaries.BoundaryImportError, backup.BackupError) as exc:
        outcome = "refused"
        message = str(exc).splitlines()[-1].strip()[:160]
    seconds = time.perf_counter() - t0
    peak = _status_mb("VmHWM")
    print(json.dumps({"before_mb": before, "peak_mb": peak, "seconds": seconds, "outcome": outcome, "message": message}))


def _backup_bomb(tmp: Path) -> tuple[bytes, str]:
    import zipfile

    out = tmp / "backup-bomb.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps({"format": "wufei-geo-backup"}))
        with zf.open(bombs._deflated("tables/audit.jsonl"), "w", force_zip64=True) as fh:
            zero = b"\0" * (1 << 20)
            for _ in range(1024):
                fh.write(zero)
    return out.read_bytes(), "backup-bomb.zip"


def measure(names: list[str] | None = None) -> list[dict[str, Any]]:
    results = []
    with tempfile.TemporaryDirectory(prefix="wufei-limits-") as tmp:
        for name in names or list(INPUTS):
            builder, reader = INPUTS[name]
            data, filename = builder() if builder else _backup_bomb(Path(tmp))
            path = Path(tmp) / filename
            path.write_bytes(data)
            env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")])}
            proc = subprocess.run([sys.executable, "-m", "bench.fig_limits", "--worker", reader, str(path)],
                                  capture_output=True, text=True, env=env, timeout=900)
            line = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "{}"
            row = json.loads(line) if line.startswith("{") else {"outcome": "crashed", "message": proc.stderr[-200:]}
            row.update(name=name, file_kb=len(data) / 1024)
            results.append(row)
    return results


def figure(results: list[dict[str, Any]]) -> Figure:
    rows = []
    worst = 0.0
    for r in results:
        cost = max(0.0, r.get("peak_mb", 0.0) - r.get("before_mb", 0.0))
        worst = max(worst, cost)
        rows.append([r["name"], f"{r['file_kb']:,.0f} KB", r.get("outcome", "?"), f"{r.get('seconds', float('nan')):.2f} s",
                     f"{cost:,.0f} MB", r.get("message", "")])
    refused_all = all(r.get("outcome") == "refused" for r in results if "accepted" not in r["name"])
    return Figure(
        key="7 limits",
        title="7. Peak memory while refusing the largest hostile inputs (each in a fresh process)",
        columns=["input", "file", "outcome", "time", "peak memory above the idle reader", "message"],
        rows=rows,
        goals=[Goal(f"every size bomb refused, none costing more than {BOUND_MB} MB", f"worst {worst:,.0f} MB",
                    refused_all and worst <= BOUND_MB)],
        notes=["peak = VmHWM after the call minus VmRSS just before it (peak reset; the reader's modules and the file's "
               "bytes already in memory)"],
        raw={"results": results},
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        _worker(sys.argv[2], sys.argv[3])
    else:
        from bench.core import render_text

        print(render_text(figure(measure())))
