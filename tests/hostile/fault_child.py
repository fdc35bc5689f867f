"""Child process of the SIGKILL tests: run one bulk import or one restore on a SQLite file.

``python -m tests.hostile.fault_child import URL CSV`` / ``restore URL BACKUP``.  Prints READY
just before the write starts and DONE after it; the parent kills it at a random moment.
The clock is fixed so two complete runs write byte-identical data (the "after" state).
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

FIXED = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse battery"


def main(argv: list[str]) -> int:
    from wufei_geo import auth
    from wufei_geo.config import Settings
    from wufei_geo.io import backup, bulk_import
    from wufei_geo.store import Store

    what, url, path = argv
    store = Store.open(url, seed=False, settings=Settings(db_url=url), clock=lambda: FIXED)
    if what == "import":
        actor = auth.authenticate(store, "admin", PASSWORD)
        data = Path(path).read_bytes()
        print("READY", flush=True)
        report = bulk_import.apply_import(store, actor, data, "big.csv", "en")
        if not report.applied:
            print("REFUSED", report.errors[:3], flush=True)
            return 1
    else:
        print("READY", flush=True)
        backup.restore(store, path, accept_unsigned=True)  # atomicity, not trust, is tested here
    print("DONE", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
