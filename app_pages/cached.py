"""No waiting for the same answer twice: the analysis' figures and tables and the report files,
computed once per data version and parameters and shared by every session.

The key is the store's data version (:func:`app_pages.common.catalog_version`) plus every
parameter the result depends on (what counts toward the goal, the estimate's parameters, the
confirmation period, today's date, the language, the map's measure, the filters).  A saved edit
changes the data version, so nothing stale is ever served.  Results are shared between sessions:
callers must not modify them.

Every result lives in one bounded LRU (:func:`once`), keyed by a plain tuple.  Streamlit's own
caches hash each argument through their generic hasher and read the function's signature on every
call — about a third of a millisecond a look-up, and a page switch made a dozen of them; a tuple
of the data version, strings and frozen dataclasses hashes in microseconds."""
from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import streamlit as st

from app_pages.common import catalog_version, get_catalog, get_store
from wufei_geo import analysis

FILES_KEPT = 16
RESULTS_KEPT = 96
DERIVED_KEPT = 128


class _Kept:
    """A bounded LRU safe across sessions' threads.  A value is built once: a second caller of the
    same key waits for the first one's build instead of building it again (as Streamlit's caches do)."""

    def __init__(self, size: int) -> None:
        self.size, self.lock, self.data = size, threading.Lock(), OrderedDict()
        self.building: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        with self.lock:
            if key in self.data:
                self.data.move_to_end(key)
                return self.data[key]
            building = self.building.setdefault(key, threading.Lock())
        try:
            with building:
                with self.lock:
                    if key in self.data:
                        return self.data[key]
                value = build()
                with self.lock:
                    self.data[key] = value
                    while len(self.data) > self.size:
                        self.data.popitem(last=False)
                return value
        finally:
            with self.lock:
                self.building.pop(key, None)


@st.cache_resource(show_spinner=False)
def _kept() -> dict[str, _Kept]:
    # held by Streamlit's resource cache, so that st.cache_resource.clear() empties it too
    return {"results": _Kept(RESULTS_KEPT), "files": _Kept(FILES_KEPT), "derived": _Kept(DERIVED_KEPT)}


def once(name: str, key: tuple[Hashable, ...], build: Callable[[], Any]) -> Any:
    """``build()`` once per ``name`` and ``key`` — which must hold the data version
    (:func:`catalog_version`) and every parameter the result depends on, all hashable — shared
    by every session.  Callers must not modify what they get."""
    return _kept()["results"].get((name, *key), build)


def _report(version: str, counts_toward: str, months: int, today: dt.date) -> list[Any]:
    def build() -> list[Any]:
        catalog = get_catalog()
        return analysis.capacity_report(catalog.sites, catalog.targets, counts_toward=counts_toward, today=today,
                                        confirmation_months=months)
    return once("report", (version, counts_toward, months, today), build)


def capacity_report(counts_toward: str, months: int) -> list[Any]:
    """:func:`analysis.capacity_report` of the current data (once per data version and parameters)."""
    return _report(catalog_version(), counts_toward, months, dt.date.today())


def _chart(version: str, counts_toward: str, months: int, today: dt.date, lang: str, height: int) -> dict[str, Any]:
    def build() -> dict[str, Any]:
        import altair as alt
        from streamlit.dataframe_util import convert_anything_to_arrow_bytes

        from wufei_geo.reports.chart import wet_waste_chart_altair

        wet = analysis.wet_waste_progress(_report(version, counts_toward, months, today))
        # as st.altair_chart converts it: without Altair's default theme (its fixed 300 px view), the
        # data as Arrow bytes (which st.vega_lite_chart sends as they are)
        with alt.theme.enable("none"):
            spec = wet_waste_chart_altair(wet, lang).properties(height=height).to_dict()
        spec["datasets"] = {name: convert_anything_to_arrow_bytes(rows) for name, rows in spec.get("datasets", {}).items()}
        return spec
    return once("chart", (version, counts_toward, months, today, lang, height), build)


def capacity_chart(counts_toward: str, months: int, lang: str, height: int) -> dict[str, Any]:
    """The capacity page's chart as a Vega-Lite spec for ``st.vega_lite_chart`` (once per data
    version, parameters and language): building and validating the Altair chart cost more than the
    rest of the page.  A shallow copy: Streamlit replaces the spec's ``datasets``, nothing inside."""
    return dict(_chart(catalog_version(), counts_toward, months, dt.date.today(), lang, height))


def _scorecards(version: str, params: Any, months: int, today: dt.date) -> list[Any]:
    def build() -> list[Any]:
        catalog = get_catalog()
        return analysis.town_scorecards(catalog.sites, catalog.targets, catalog.towns, params, today=today,
                                        confirmation_months=months)
    return once("scorecards", (version, params, months, today), build)


def town_scorecards(params: Any, months: int) -> list[Any]:
    """:func:`analysis.town_scorecards` of the current data (once per data version and parameters)."""
    return _scorecards(catalog_version(), params, months, dt.date.today())


def register_assessment() -> list[Any]:
    """The register assessed at the plan's deadline (the workbook's register sheet), once per data
    version; pages pass the function itself so it runs only when a workbook is built."""
    from wufei_geo.register.assess import PLAN_DEADLINE, assess

    return once("register", (catalog_version(), PLAN_DEADLINE), lambda: assess(get_store(), PLAN_DEADLINE))


def derived(source: Any, name: str, build: Callable[[], Any], *params: Any) -> Any:
    """``build()`` once per ``source`` — a result of this module (the report, a scorecard, the
    figures, the catalog), itself computed once per data version and parameters — ``name`` and
    ``params`` (the language): a page's tables are not built again on every run.  Shared by every
    session: callers must not modify what they get."""
    # keyed by the source's identity; the entry holds its source, so that id is not reused while
    # the entry lives
    kept = _kept()["derived"].get((id(source), name, *params), lambda: (source, build()))
    return kept[1] if kept[0] is source else build()


def table(source: Any, name: str, build: Callable[[], Any], *params: Any) -> Any:
    """:func:`derived` for a table that ``common.show_table`` shows: the frame ``build()`` makes,
    converted to Arrow once (as ``st.dataframe`` would convert it on every run)."""
    from streamlit.dataframe_util import convert_pandas_df_to_arrow_table

    return derived(source, "table", lambda: convert_pandas_df_to_arrow_table(build()), name, *params)


def cached_file(key: tuple[Any, ...], build: Callable[[], bytes]) -> Callable[[], bytes]:
    """A builder that serves the file of ``key`` (plus the data version) at once when it was built
    before: a repeated download does not build the briefing again."""
    full = (catalog_version(), dt.date.today(), *key)
    return lambda: _kept()["files"].get(full, build)


def _figures(version: str, filters: Any, params: Any, months: int, today: dt.date) -> list[Any]:
    def build() -> list[Any]:
        from wufei_geo.filters import apply_filters

        return analysis.report_figures(apply_filters(get_catalog().sites, filters),
                                       _scorecards(version, params, months, today), params)
    return once("figures", (version, filters, params, months, today), build)


def town_figures(filters: Any, params: Any, months: int) -> list[Any]:
    """The town figures of the sites passing ``filters`` (once per data version, filters, parameters)."""
    return _figures(catalog_version(), filters, params, months, dt.date.today())


def town_gaps(params: Any, months: int) -> list[Any]:
    """The town gap table's rows of the current data (once per data version and parameters)."""
    from wufei_geo.analysis import gaps

    version, today = catalog_version(), dt.date.today()
    return once("gaps", (version, params, months, today),
                lambda: gaps.town_gaps(get_catalog().sites, _scorecards(version, params, months, today)))
