"""Figure 3: server time of an app rerun after a filter change, cached vs caches cleared, and the
bytes that rerun sends to the browser.

The real ``app.py`` runs under ``streamlit.testing.v1.AppTest`` against a temporary SQLite
database (``WUFEI_DB_URL``) holding N synthetic sites (seeded through ``Store.seed``) next to
the plan's own sites, which ``Store.open`` seeds as usual.  The filter changed is the sidebar
status filter (``flt_status``) of the map page (the default page).  Three reruns are timed:

- *new filter, warm caches*: a status never chosen before (store and catalog cached, the map
  for this subset is built) — the common case, and the one the goal is judged on;
- *repeated filter*: a status chosen before (everything cached);
- *caches cleared*: ``st.cache_data.clear(); st.cache_resource.clear()`` then a new status.

Harness: ``AppTest`` compiles the page scripts afresh on every run (it makes a new
``ScriptCache`` per run), while the server compiles each script once and reuses the bytecode for
every rerun of every session.  The measurement shares one ``ScriptCache`` across the runs, as the
server does, so the figure is the server's rerun time, not AppTest's (both cached and cleared
runs get the same treatment; clearing ``st.cache_*`` never clears the server's script cache).

Bytes: the serialised size (protobuf ``ByteSize``) of every element the rerun produced —
what the server sends as deltas — and of the largest one (the map component).
"""
from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

from bench.core import Figure, Goal, fmt_bytes, fmt_n, fmt_ratio, fmt_s
from bench.synthetic import seed_records, synthetic_sites

REPO_ROOT = Path(__file__).resolve().parent.parent
APP = REPO_ROOT / "app.py"
_STATUS_ORDER = ("operating", "planned", "under_construction", "commissioning", "suspended", "decommissioned", "cancelled")


def available() -> str | None:
    if not APP.exists():
        return "app.py not found"
    try:
        from app_pages import common  # noqa: F401
        from app_pages.pages import map  # noqa: F401
        from wufei_geo.store import Store  # noqa: F401
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"
    return None


def _element_sizes(node: Any, out: list[int]) -> None:
    proto = getattr(node, "proto", None)
    if proto is not None and hasattr(proto, "ByteSize"):
        out.append(proto.ByteSize())
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            _element_sizes(child, out)


def _delta_bytes(at: Any) -> tuple[int, int]:
    sizes: list[int] = []
    _element_sizes(at._tree, sizes)
    return sum(sizes), max(sizes, default=0)


def _timed_run(at: Any, statuses: list[str], timeout: float) -> tuple[float, int, int]:
    t0 = time.perf_counter()
    at.multiselect(key="flt_status").set_value(statuses).run(timeout=timeout)
    elapsed = time.perf_counter() - t0
    if at.exception:
        raise RuntimeError(f"the app raised: {at.exception[0].message}")
    total, biggest = _delta_bytes(at)
    return elapsed, total, biggest


@contextlib.contextmanager
def _one_script_cache() -> Iterator[None]:
    """Make every AppTest run share one ScriptCache, as the server's runtime does (see above)."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test

    shared = ScriptCache()
    with mock.patch.object(app_test, "ScriptCache", lambda: shared):
        yield


def measure_one(n: int, *, repeats: int, timeout: float = 600) -> dict[str, Any]:
    with _one_script_cache():
        return _measure_one(n, repeats=repeats, timeout=timeout)


def _measure_one(n: int, *, repeats: int, timeout: float) -> dict[str, Any]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from wufei_geo.store import Store

    old = os.environ.get("WUFEI_DB_URL")
    with tempfile.TemporaryDirectory(prefix="wufei-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'app.sqlite'}"
        store = Store.open(url)
        store.seed(seed_records(synthetic_sites(n)))
        total_sites = len(store.sites_frame())
        store.close()
        os.environ["WUFEI_DB_URL"] = url
        cwd = os.getcwd()
        os.chdir(REPO_ROOT)
        try:
            st.cache_data.clear()
            st.cache_resource.clear()
            at = AppTest.from_file(str(APP), default_timeout=timeout)
            t0 = time.perf_counter()
            at.run(timeout=timeout)
            first = time.perf_counter() - t0
            if at.exception:
                raise RuntimeError(f"the app raised: {at.exception[0].message}")
            statuses = iter(_STATUS_ORDER)
            new_warm, repeated, cleared = [], [], []
            seen: list[str] = []
            for _ in range(repeats):
                s = next(statuses)
                new_warm.append(_timed_run(at, [s], timeout))
                seen.append(s)
                repeated.append(_timed_run(at, [seen[0]], timeout) if len(seen) > 1 else _timed_run(at, [s], timeout))
                st.cache_data.clear()
                st.cache_resource.clear()
                cleared.append(_timed_run(at, [next(statuses)], timeout))
        finally:
            os.chdir(cwd)
            if old is None:
                os.environ.pop("WUFEI_DB_URL", None)
            else:
                os.environ["WUFEI_DB_URL"] = old
            st.cache_data.clear()
            st.cache_resource.clear()

    def best(runs: list[tuple[float, int, int]]) -> dict[str, float]:
        t, total, biggest = min(runs)
        return {"s": t, "bytes": total, "largest_element": biggest}

    return {
        "n": n,
        "sites_in_db": total_sites,
        "first_run_s": first,
        "new_filter_warm": best(new_warm),
        "repeated_filter": best(repeated),
        "caches_cleared": best(cleared),
    }


def measure(ns: list[int], *, repeats: int) -> dict[str, Any]:
    why_not = available()
    if why_not:
        return {"error": why_not, "sizes": {}}
    return {"error": None, "sizes": {n: measure_one(n, repeats=repeats) for n in ns}}


def figure(raw: dict[str, Any]) -> Figure:
    fig = Figure(
        key="3 rerun",
        title="3. App rerun after a filter change (AppTest): cached vs caches cleared, bytes sent",
        columns=["synthetic sites", "sites in db", "first run", "new filter, warm", "repeated filter", "caches cleared", "cleared ÷ warm", "cleared ÷ repeated", "bytes sent (rerun)", "largest element"],
        raw=raw,
    )
    if raw.get("error"):
        fig.notes.append(f"not measured: {raw['error']}")
        return fig
    for n, r in raw["sizes"].items():
        warm, rep, clr = r["new_filter_warm"], r["repeated_filter"], r["caches_cleared"]
        r["ratio_warm"] = clr["s"] / warm["s"]
        r["ratio_repeated"] = clr["s"] / rep["s"]
        fig.rows.append(
            [
                fmt_n(n),
                fmt_n(r["sites_in_db"]),
                fmt_s(r["first_run_s"]),
                fmt_s(warm["s"]),
                fmt_s(rep["s"]),
                fmt_s(clr["s"]),
                fmt_ratio(r["ratio_warm"]),
                fmt_ratio(r["ratio_repeated"]),
                fmt_bytes(warm["bytes"]),
                fmt_bytes(warm["largest_element"]),
            ]
        )
    r10 = raw["sizes"].get(10_000)
    if r10:
        fig.goals.append(
            Goal(
                "filter change at 10,000 sites: cached rerun ≥ 10× faster than uncached",
                f"{fmt_ratio(r10['ratio_warm'])} for a new filter value (warm caches); "
                f"{fmt_ratio(r10['ratio_repeated'])} for a repeated one",
                r10["ratio_warm"] >= 10,
            )
        )
    fig.notes.append(
        "server time of AppTest.run() after setting the status filter of the map page (best of the repeats); "
        "the goal is judged on the new-filter rerun, where the map for the new subset must be built; "
        "'bytes sent' = protobuf size of all elements of the rerun (filtered to one status, so about a fifth to "
        "a half of the sites); the database also holds the plan's own sites."
    )
    fig.notes.append(
        "the AppTest runs share one ScriptCache, as the server's runtime does (AppTest alone recompiles the page "
        "scripts on every run; the server compiles them once); 'caches cleared' includes what the first rerun after "
        "a data change pays: loading the catalog, every site's popup texts and display table, and the map."
    )
    return fig
