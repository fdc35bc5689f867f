"""No waiting for the same answer twice: the analysis' figures and tables and the report files,
computed once per data version and parameters and shared by every session.

The key is the store's data version (:func:`app_pages.common.catalog_version`) plus every
parameter the result depends on (what counts toward the goal, the estimate's parameters, the
confirmation period, today's date, the language, the map's measure, the filters).  A saved edit
changes the data version, so nothing stale is ever served.  Results are shared between sessions:
callers must not modify them.  The files are kept in a small LRU (:data:`FILES_KEPT` entries)."""
from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import streamlit as st

from app_pages.common import catalog_version, get_catalog, get_store
from wufei_geo import analysis

FILES_KEPT = 16
DERIVED_KEPT = 128


@st.cache_resource(show_spinner=False, max_entries=16)
def _report(version: str, counts_toward: str, months: int, today: dt.date) -> list[Any]:
    catalog = get_catalog()
    return analysis.capacity_report(catalog.sites, catalog.targets, counts_toward=counts_toward, today=today,
                                    confirmation_months=months)


def capacity_report(counts_toward: str, months: int) -> list[Any]:
    """:func:`analysis.capacity_report` of the current data (once per data version and parameters)."""
    return _report(catalog_version(), counts_toward, months, dt.date.today())


@st.cache_resource(show_spinner=False, max_entries=16)
def _chart(version: str, counts_toward: str, months: int, today: dt.date, lang: str, height: int) -> dict[str, Any]:
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


def capacity_chart(counts_toward: str, months: int, lang: str, height: int) -> dict[str, Any]:
    """The capacity page's chart as a Vega-Lite spec for ``st.vega_lite_chart`` (once per data
    version, parameters and language): building and validating the Altair chart cost more than the
    rest of the page.  A shallow copy: Streamlit replaces the spec's ``datasets``, nothing inside."""
    return dict(_chart(catalog_version(), counts_toward, months, dt.date.today(), lang, height))


@st.cache_resource(show_spinner=False, max_entries=16)
def _scorecards(version: str, params: Any, months: int, today: dt.date) -> list[Any]:
    catalog = get_catalog()
    return analysis.town_scorecards(catalog.sites, catalog.targets, catalog.towns, params, today=today,
                                    confirmation_months=months)


def town_scorecards(params: Any, months: int) -> list[Any]:
    """:func:`analysis.town_scorecards` of the current data (once per data version and parameters)."""
    return _scorecards(catalog_version(), params, months, dt.date.today())


@st.cache_resource(show_spinner=False, max_entries=4)
def _register(version: str, as_of: dt.date) -> list[Any]:
    from wufei_geo.register.assess import assess

    return assess(get_store(), as_of)


def register_assessment() -> list[Any]:
    """The register assessed at the plan's deadline (the workbook's register sheet), once per data
    version; pages pass the function itself so it runs only when a workbook is built."""
    from wufei_geo.register.assess import PLAN_DEADLINE

    return _register(catalog_version(), PLAN_DEADLINE)


class _Files:
    """A bounded LRU of built files, safe across sessions' threads."""

    def __init__(self, size: int) -> None:
        self.size, self.lock, self.data = size, threading.Lock(), OrderedDict()

    def get(self, key: tuple[Any, ...], build: Callable[[], bytes]) -> bytes:
        with self.lock:
            if key in self.data:
                self.data.move_to_end(key)
                return self.data[key]
        value = build()  # outside the lock: two first clicks may both build; both get the same bytes
        with self.lock:
            self.data[key] = value
            while len(self.data) > self.size:
                self.data.popitem(last=False)
        return value


@st.cache_resource(show_spinner=False)
def _files() -> _Files:
    return _Files(FILES_KEPT)


class _Derived:
    """A bounded LRU of what pages derive from a cached result, keyed by that result's identity."""

    def __init__(self, size: int) -> None:
        self.size, self.lock, self.data = size, threading.Lock(), OrderedDict()

    def get(self, source: Any, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
        full = (id(source), *key)
        with self.lock:
            hit = self.data.get(full)
            # the entry holds its source, so that id is not reused while the entry lives
            if hit is not None and hit[0] is source:
                self.data.move_to_end(full)
                return hit[1]
        value = build()
        with self.lock:
            self.data[full] = (source, value)
            while len(self.data) > self.size:
                self.data.popitem(last=False)
        return value


@st.cache_resource(show_spinner=False)
def _derived() -> _Derived:
    return _Derived(DERIVED_KEPT)


def derived(source: Any, name: str, build: Callable[[], Any], *params: Any) -> Any:
    """``build()`` once per ``source`` — a result of this module (the report, a scorecard, the
    figures), itself computed once per data version and parameters — ``name`` and ``params`` (the
    language): a page's tables are not built again on every run.  Shared by every session: callers
    must not modify what they get."""
    return _derived().get(source, (name, *params), build)


def table(source: Any, name: str, build: Callable[[], Any], *params: Any) -> Any:
    """:func:`derived` for a table that ``common.show_table`` shows: the frame ``build()`` makes,
    converted to Arrow once (as ``st.dataframe`` would convert it on every run)."""
    from streamlit.dataframe_util import convert_pandas_df_to_arrow_table

    return _derived().get(source, ("table", name, *params), lambda: convert_pandas_df_to_arrow_table(build()))


def cached_file(key: tuple[Any, ...], build: Callable[[], bytes]) -> Callable[[], bytes]:
    """A builder that serves the file of ``key`` (plus the data version) at once when it was built
    before: a repeated download does not build the briefing again."""
    full = (catalog_version(), dt.date.today(), *key)
    return lambda: _files().get(full, build)


@st.cache_resource(show_spinner=False, max_entries=32)
def _figures(version: str, filters: Any, params: Any, months: int, today: dt.date) -> list[Any]:
    from wufei_geo.filters import apply_filters

    catalog = get_catalog()
    return analysis.report_figures(apply_filters(catalog.sites, filters), _scorecards(version, params, months, today),
                                   params)


def town_figures(filters: Any, params: Any, months: int) -> list[Any]:
    """The town figures of the sites passing ``filters`` (once per data version, filters, parameters)."""
    return _figures(catalog_version(), filters, params, months, dt.date.today())


@st.cache_resource(show_spinner=False, max_entries=16)
def _gaps(version: str, params: Any, months: int, today: dt.date) -> list[Any]:
    from wufei_geo.analysis.gaps import town_gaps

    return town_gaps(get_catalog().sites, _scorecards(version, params, months, today))


def town_gaps(params: Any, months: int) -> list[Any]:
    """The town gap table's rows of the current data (once per data version and parameters)."""
    return _gaps(catalog_version(), params, months, dt.date.today())
