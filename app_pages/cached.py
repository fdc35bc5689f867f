"""No waiting for the same answer twice: the analysis' figures and tables and the report files,
computed once per data version and parameters and shared by every session.

The key is the store's data version (:func:`app_pages.common.catalog_version`) plus every
parameter the result depends on (what counts toward the goal, the estimate's parameters, the
confirmation period, today's date, the language, the map's measure, the filters).  A saved edit
changes the data version, so nothing stale is ever served.  Results are shared between sessions:
callers must not modify them.

The results are kept by :mod:`app_pages.memo` (bounded LRUs keyed by plain tuples)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from app_pages import memo
from app_pages.common import catalog_version, get_catalog, get_store
from wufei_geo import analysis

FILES_KEPT = 16


def _report(version: str, counts_toward: str, months: int, today: dt.date) -> list[Any]:
    def build() -> list[Any]:
        catalog = get_catalog()
        return analysis.capacity_report(catalog.sites, catalog.targets, counts_toward=counts_toward, today=today,
                                        confirmation_months=months)
    return memo.once("report", (version, counts_toward, months, today), build)


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
    return memo.once("chart", (version, counts_toward, months, today, lang, height), build)


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
    return memo.once("scorecards", (version, params, months, today), build)


def town_scorecards(params: Any, months: int) -> list[Any]:
    """:func:`analysis.town_scorecards` of the current data (once per data version and parameters)."""
    return _scorecards(catalog_version(), params, months, dt.date.today())


def register_assessment() -> list[Any]:
    """The register assessed at the plan's deadline (the workbook's register sheet), once per data
    version; pages pass the function itself so it runs only when a workbook is built."""
    from wufei_geo.register.assess import PLAN_DEADLINE, assess

    return memo.once("register", (catalog_version(), PLAN_DEADLINE), lambda: assess(get_store(), PLAN_DEADLINE), 4)


def table(source: Any, name: str, build: Callable[[], Any], *params: Any) -> Any:
    """:func:`app_pages.memo.derived` for a table that ``common.show_table`` shows: the frame ``build()`` makes,
    converted to Arrow once (as ``st.dataframe`` would convert it on every run)."""
    from streamlit.dataframe_util import convert_pandas_df_to_arrow_table

    return memo.derived(source, "table", lambda: convert_pandas_df_to_arrow_table(build()), name, *params)


def cached_file(key: tuple[Any, ...], build: Callable[[], bytes]) -> Callable[[], bytes]:
    """A builder that serves the file of ``key`` (plus the data version) at once when it was built
    before: a repeated download does not build the briefing again."""
    full = (catalog_version(), dt.date.today(), *key)
    return lambda: memo.kept("files", FILES_KEPT).get(full, build)


def _figures(version: str, filters: Any, params: Any, months: int, today: dt.date) -> list[Any]:
    def build() -> list[Any]:
        from wufei_geo.filters import apply_filters

        return analysis.report_figures(apply_filters(get_catalog().sites, filters),
                                       _scorecards(version, params, months, today), params)
    return memo.once("figures", (version, filters, params, months, today), build, 32)


def town_figures(filters: Any, params: Any, months: int) -> list[Any]:
    """The town figures of the sites passing ``filters`` (once per data version, filters, parameters)."""
    return _figures(catalog_version(), filters, params, months, dt.date.today())


def town_gaps(params: Any, months: int) -> list[Any]:
    """The town gap table's rows of the current data (once per data version and parameters)."""
    from wufei_geo.analysis import gaps

    version, today = catalog_version(), dt.date.today()
    return memo.once("gaps", (version, params, months, today),
                lambda: gaps.town_gaps(get_catalog().sites, _scorecards(version, params, months, today)))
