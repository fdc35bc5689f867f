"""UI helpers every page uses: language, messages, the store, the catalog, the sidebar filters.

Thin: the work is in the core (``wufei_geo``); this module only wires it to Streamlit and
caches it.  The store is cached per database URL (so tests with different databases do not
share one), the catalog per the store's ``data_version()`` (so an edit shows up at once).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import streamlit as st
from streamlit.errors import StreamlitAPIException
from streamlit.runtime.scriptrunner import get_script_run_ctx

from app_pages import memo
from wufei_geo import i18n
from wufei_geo.config import load_settings
from wufei_geo.filters import UNKNOWN, Filters, apply_filters, year_key
from wufei_geo.mdtext import md_literal

if TYPE_CHECKING:
    from wufei_geo.catalog import Catalog

_FILTER_KEYS = ("flt_category", "flt_status", "flt_town", "flt_year", "flt_search")


_last_lang = i18n.DEFAULT_LANG


def lang() -> str:
    """The UI language: ``"zh"`` (default) or ``"en"`` (sidebar toggle in app.py).

    Outside a script run (AppTest formats widget values with the pages' ``format_func`` in its
    own thread, where session state does not exist) it answers the language of the last run."""
    global _last_lang
    memo = _run_memo()
    if memo is None:
        return _last_lang
    if "lang" not in memo:  # read once per run: every label asks (hundreds of times a run)
        memo["lang"] = "en" if st.session_state.get("lang", i18n.DEFAULT_LANG) == "en" else "zh"
    _last_lang = memo["lang"]
    return _last_lang


_LANG_STABLE_KEY = "_lang_stable_keys"


def keep_across_language(*keys: str) -> None:
    """Register option widgets (selectbox, multiselect, radio) whose labels depend on the language.

    Streamlit sends such a widget's value to the browser as its *label* and reads it back by
    label; after a language switch the old label matches no option and the widget comes back
    as the raw label text (the 更新 page's "no site 'E.12-1 · …'").  :func:`language_switched`
    (the language toggle's callback) re-assigns every registered key from its value, read while
    the old labels still apply, so the widget keeps its stable code (a site id, a category).
    Register only widgets whose initial value comes from session state (no ``index``/``value``
    argument), or Streamlit warns about a value set twice."""
    registered: set[str] = st.session_state.setdefault(_LANG_STABLE_KEY, set())
    registered.update(keys)


def language_switched() -> None:
    """Callback of the language toggle: keep every registered widget's value (see
    :func:`keep_across_language`) and the filters through the switch."""
    for key in (*st.session_state.get(_LANG_STABLE_KEY, ()), *_FILTER_KEYS):
        if key in st.session_state:
            try:
                st.session_state[key] = st.session_state[key]
            except StreamlitAPIException:  # a widget that refuses a set value keeps its own
                pass


def tr(key: str, **fmt: Any) -> str:
    """The message ``key`` in the current language."""
    return i18n.t(key, lang(), **fmt)


def local_time(value: Any) -> str:
    """A timestamp (aware datetime or ISO text) as Asia/Shanghai ``YYYY-MM-DD HH:MM`` — no seconds'
    fractions, no offset; unknown → 未知."""
    import datetime as dt

    from wufei_geo import auth

    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, dt.datetime):
        return tr("common.unknown")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return auth.shanghai_time(value)


def table_count(table: str, rows: Any) -> str:
    """``users 4`` → 用户 4 条 (a backup's table by its name in the UI language)."""
    key = f"backup.table.{table}"
    return tr("backup.rows", table=tr(key) if key in i18n.MESSAGES else md_literal(table), n=md_literal(rows))


def err(exc: BaseException) -> str:
    """A refusal of the core in the current language (from its message key), not yet escaped."""
    return i18n.error_text(exc, lang())


def _run_memo() -> dict[str, Any] | None:
    """A dict that lives for one script run of this session (``None`` outside a run).

    What a run reads many times and cannot change within it — the settings, the store's data
    version — is read once per run: each costs a file or a database read, and a page switch read
    them a dozen times.  Streamlit gives every run (a fragment's too) a new ``cursors`` dict; the
    memo is tied to it (a held reference, so its identity is never reused).  A save reruns the
    page (``forms.flash``), so the next run reads the new version."""
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None:
        return None
    memo = getattr(ctx, "_wufei_run_memo", None)
    if memo is None or memo[0] is not ctx.cursors:
        memo = (ctx.cursors, {})
        ctx._wufei_run_memo = memo  # type: ignore[attr-defined]
    return memo[1]


def once_per_run(name: str, read: Any) -> Any:
    """``read()``, called once per script run under ``name`` (every call outside a run)."""
    memo = _run_memo()
    if memo is None:
        return read()
    if name not in memo:
        memo[name] = read()
    return memo[name]


def settings() -> Any:
    """:func:`wufei_geo.config.load_settings`, read once per script run."""
    return once_per_run("settings", load_settings)


def _data_version() -> str:
    """The store's data version, read once per script run (see :func:`_run_memo`)."""
    return once_per_run("data_version", lambda: get_store().data_version())


@st.cache_resource(show_spinner=False)
def _open_store(url: str) -> Any:
    from wufei_geo.store import Store

    return Store.open(url)


def get_store() -> Any:
    """The shared :class:`wufei_geo.store.Store` for the configured database URL (looked up once
    per run: a page asks for it many times)."""
    return once_per_run("store", lambda: _open_store(settings().db_url))


CATALOGS_KEPT = 4


def _catalog(url: str, version: str) -> Catalog:
    # ``version`` is only the key: a new data version loads a fresh catalog.
    from wufei_geo.catalog import load_catalog

    # placeholder_points (setting / WUFEI_PLACEHOLDER_POINTS): the old made-up points at the district seat
    return memo.once("catalog", (url, version), lambda: load_catalog(
        _open_store(url), placeholder_points=settings().placeholder_points), CATALOGS_KEPT)


def catalog_version() -> str:
    """The key of the current data (database URL + the store's data version)."""
    return f"{settings().db_url}|{_data_version()}"


def catalog_and_version() -> tuple[Catalog, str]:
    """(:func:`get_catalog`, :func:`catalog_version`) from one read of the data version, so the
    two always agree and a rerun asks the database once instead of twice."""
    url = settings().db_url
    data_version = _data_version()
    catalog = _loaded_catalog(url, data_version)
    show_catalog_warnings(catalog)
    return catalog, f"{url}|{data_version}"


def _loaded_catalog(url: str, data_version: str) -> Catalog:
    """The cached catalog; while a new data version is loaded (seconds with 100,000 sites or the
    finest boundaries), a progress message says so (issue 27); a catalog already loaded is
    returned without one (a spinner is a message to the browser on every run)."""
    loaded = memo.peek("catalog", (url, data_version))
    if loaded is not None:
        return loaded
    with st.spinner(tr("catalog.loading"), show_time=True):
        return _catalog(url, data_version)


def show_catalog_warnings(catalog: Catalog) -> None:
    """Say what the catalog could not use as stored (issue 15: pages degrade, never fail)."""
    for item in getattr(catalog, "warnings", ()):
        st.warning(tr("catalog.degraded", detail=md_literal(i18n.item_text(item, lang()))))


def get_catalog() -> Catalog:
    """The located catalog of the current data; rebuilt only when the data version changes.

    Shared between sessions: callers must not modify it in place (copy first)."""
    url = settings().db_url
    catalog = _loaded_catalog(url, _data_version())
    show_catalog_warnings(catalog)
    return catalog


@st.cache_resource(show_spinner=False)
def leaflet_asset_base() -> str:
    """URL prefix under which the app serves the bundled Leaflet files (no CDN, works offline).

    Streamlit serves the folder of a declared component at ``/component/<name>/``; declaring
    the asset folder as one is how the files reach the map's iframe without a top-level
    ``static/`` folder.  The component itself is never drawn.
    """
    import streamlit.components.v1 as components

    from wufei_geo.mapview import ASSET_DIR

    component = components.declare_component("leaflet_assets", path=str(ASSET_DIR))
    return f"/component/{component.name}"


def _persist_filter_widgets() -> None:
    # Streamlit drops a widget's state on pages where it is not drawn; re-assigning keeps the
    # filters when the user moves between pages.
    for key in _FILTER_KEYS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def _clear_filters() -> None:
    for key in _FILTER_KEYS:
        st.session_state[key] = "" if key == "flt_search" else []


def _filter_options(catalog: Catalog, L: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(town code → name, widget key → its options) of the sidebar filters, once per catalog and
    language.  Shared: callers must not modify them."""
    return memo.derived(catalog, "filter_options", lambda: _build_filter_options(catalog, L), L)


def _build_filter_options(catalog: Catalog, L: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    sites = catalog.sites
    town_names = {
        str(c): (en if L == "en" and isinstance(en, str) and en else zh)
        for c, zh, en in zip(catalog.zones["town_code"], catalog.zones["name_zh"], catalog.zones["name_en"], strict=False)
    }
    # distinct values first: a Python call per site would cost more than the rest of the page
    years = sorted({year_key(v) for v in sites["target_year"].dropna().unique()} - {UNKNOWN})
    if sites["target_year"].isna().any():
        years.append(UNKNOWN)
    present = set(sites["category"].dropna().unique())
    return town_names, {
        "flt_category": [c for c in i18n.CATEGORY_LABELS if c in present],
        "flt_status": list(i18n.STATUS_LABELS),
        "flt_town": [*town_names, UNKNOWN],
        "flt_year": years,
    }


def filter_labels(catalog: Catalog, L: str) -> dict[str, dict[str, str]]:
    """Widget key → {option code: the label its chip shows} of the sidebar's multiselects (the
    map reads the chips the user picks before the page reruns)."""
    town_names, options = _filter_options(catalog, L)
    fmt = {
        "flt_category": lambda c: i18n.category_label(c, L),
        "flt_status": lambda s: i18n.status_label(s, L),
        "flt_town": lambda c: i18n.t("filter.no_town", L) if c == UNKNOWN else town_names.get(c, c),
        "flt_year": lambda y: i18n.t("filter.no_year", L) if y == UNKNOWN else y,
    }
    return {key: {o: fmt[key](o) for o in options[key]} for key in fmt}


def filter_choices(catalog: Catalog) -> dict[str, list[str]]:
    """Widget key → the options of each sidebar filter (to check values that come from a URL)."""
    return _filter_options(catalog, lang())[1]


def sidebar_filters(catalog: Catalog) -> Filters:
    """Draw the filter widgets in the sidebar and return the chosen :class:`Filters`.

    Options are codes; ``format_func`` closes over the language (not session state) so a
    label can be computed outside a script run too (AppTest does)."""
    _persist_filter_widgets()
    L = lang()
    town_names, options = _filter_options(catalog, L)
    categories, statuses = options["flt_category"], options["flt_status"]
    town_options, years = options["flt_town"], options["flt_year"]

    with st.sidebar:
        st.subheader(tr("filter.header"))
        cat = st.multiselect(
            tr("filter.category"), categories, format_func=lambda c: i18n.category_label(c, L), key="flt_category", placeholder=tr("common.all"), select_all=False
        )
        status = st.multiselect(
            tr("filter.status"), statuses, format_func=lambda s: i18n.status_label(s, L), key="flt_status", placeholder=tr("common.all"), select_all=False
        )
        town = st.multiselect(
            tr("filter.town"),
            town_options,
            format_func=lambda c: i18n.t("filter.no_town", L) if c == UNKNOWN else town_names.get(c, c),
            key="flt_town",
            placeholder=tr("common.all"),
            select_all=False,
        )
        year = st.multiselect(
            tr("filter.year"), years, format_func=lambda y: i18n.t("filter.no_year", L) if y == UNKNOWN else y, key="flt_year", placeholder=tr("common.all"), select_all=False
        )
        search = st.text_input(tr("filter.search"), key="flt_search")
        st.button(tr("filter.reset"), on_click=_clear_filters, key="flt_reset")
    return Filters(
        categories=tuple(cat or ()),
        statuses=tuple(status or ()),
        towns=tuple(town or ()),
        years=tuple(year or ()),
        search=search or "",
    )


def filtered_sites(catalog: Catalog, filters: Filters) -> Any:
    """The catalog's sites that pass ``filters`` (the core's :func:`wufei_geo.filters.apply_filters`),
    once per catalog and filters.  Shared: callers must not modify it."""
    return memo.derived(catalog, "filtered_sites", lambda: apply_filters(catalog.sites, filters), filters)


def file_uploader(label: str, types: list[str], key: str, **kwargs: Any) -> Any:
    """``st.file_uploader`` whose drop zone speaks the UI language.

    Streamlit has no parameter for its drop-zone texts ("Upload", "64MB per file • CSV"), so in
    Chinese they are replaced by CSS scoped to this uploader's key (``.st-key-<key>``) with texts from
    the catalogue; the limit and the accepted types are also given as the widget's help text.
    What CSS cannot reach stays English: the "Drag and drop a file here" overlay shown while a file
    is dragged over the zone, and the browser's own file dialog."""
    mb = int(st.get_option("server.maxUploadSize"))
    limit = tr("upload.limit", mb=mb, types=", ".join(t.upper() for t in types))
    if lang() == "zh":
        browse = tr("upload.browse").replace('"', "")
        shown = limit.replace('"', "")
        scope = f".st-key-{key}"
        st.html(
            "<style>"
            f'{scope} [data-testid="stFileUploaderDropzoneInstructions"] {{ font-size: 0; }}'
            f'{scope} [data-testid="stFileUploaderDropzoneInstructions"] * {{ display: none; }}'
            f'{scope} [data-testid="stFileUploaderDropzoneInstructions"]::after {{ content: "{shown}";'
            " font-size: 0.875rem; opacity: 0.7; }"
            f'{scope} [data-testid="stFileUploaderDropzone"] button {{ font-size: 0; }}'
            f'{scope} [data-testid="stFileUploaderDropzone"] button * {{ display: none; }}'
            f'{scope} [data-testid="stFileUploaderDropzone"] button::after {{ content: "{browse}";'
            " font-size: 0.875rem; }"
            "</style>"
        )
    return st.file_uploader(label, type=types, key=key, help=kwargs.pop("help", None) or limit, **kwargs)


def show_table(data: Any, **kwargs: Any) -> Any:
    """``st.dataframe`` as every page shows a table: a missing value is written 未知 / unknown.

    The data rule is that unknown stays null and is shown as unknown; Streamlit's grid would write
    an English "None" in its place (the 街镇 page showed "None" for 赵巷镇's population).  Every
    page's table goes through here (``tests/test_app_tables.py`` holds them to it)."""
    kwargs.setdefault("hide_index", True)
    kwargs.setdefault("width", "stretch")
    return st.dataframe(data, placeholder=tr("common.unknown"), **kwargs)


def folded(label: str, key: str) -> Any:
    """A closed expander whose content is built only while it is open (Streamlit's lazy expander,
    ``on_change="rerun"``: ``.open`` says whether to build it).

    For the map page's tables: a data grid costs ~1.2 MB of JavaScript (glide-data-grid, Arrow)
    that the browser loads and runs before it creates the map's frame when the grid is on the page
    (figure 9: warm load 2.0× of the one-widget peer); folded, it is loaded only when a user
    opens a table.  The expander's identity includes its label, so the open state is carried over
    when the label changes (a count, the language)."""
    if key in st.session_state:
        st.session_state[key] = st.session_state[key]
    return st.expander(label, key=key, on_change="rerun")


# ---- the one error page (issue 27) ----------------------------------------------------------------
_log = None


def _logger() -> Any:
    global _log
    if _log is None:
        from streamlit.logger import get_logger

        _log = get_logger("wufei_geo.app")
    return _log


def error_page(exc: BaseException) -> None:
    """What a visitor sees when a page fails: one page in both languages with a reference, never a
    traceback; the traceback goes to the server log under that reference.  A fault the core names
    (database read-only, disk full, server lost — ``store.failure_message``) is said as such.

    ``WUFEI_RAISE_PAGE_ERRORS=1`` (set by the test suite only) re-raises after drawing the page, so
    a failing page still fails a test instead of hiding behind this one."""
    import os
    import uuid

    from sqlalchemy.exc import DBAPIError

    from wufei_geo.errors import StoreUnavailable
    from wufei_geo.store.session import failure_refusal

    ref = uuid.uuid4().hex[:8]
    _logger().error("page failed (reference %s)", ref, exc_info=exc)
    named = failure_refusal(exc) if isinstance(exc, (DBAPIError, StoreUnavailable)) else None
    with st.container(key="wufei_error_page"):
        for code in (lang(), "en" if lang() == "zh" else "zh"):
            st.error(i18n.t("error_page.title", code), icon=":material/error:")
            if named:
                st.markdown(md_literal(i18n.error_text(named, code)))
            st.markdown(i18n.t("error_page.body", code, ref=ref))
    if os.environ.get("WUFEI_RAISE_PAGE_ERRORS") == "1":
        raise exc
