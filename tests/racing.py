"""Parallel writers for the concurrency tests (tests/test_atomic_flows.py, tests/hostile)."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from wufei_geo.errors import WufeiError


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run ``calls`` at once (a barrier releases them together); each result or the WufeiError raised."""
    results: list[Any] = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except WufeiError as exc:
            results[i] = exc
        except BaseException as exc:  # a bug: surfaced as a failure below
            results[i] = ("crash", exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    crashes = [r for r in results if isinstance(r, tuple) and r and r[0] == "crash"]
    assert not crashes, crashes
    return results
