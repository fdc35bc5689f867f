"""Downloads are built on demand: a rerun of a page (a filter change, a click elsewhere) builds no
workbook, briefing, export or template; the builder a button holds makes the file when it is clicked.

AppTest has no media server, so it never runs a deferred download: what it shows is that the pages
draw the buttons without calling any builder.  The builder itself is checked through
``app_pages.downloads`` with a stand-in for Streamlit, and against the core's own files."""
from __future__ import annotations

import io
from collections import Counter
from typing import Any

import pytest
from openpyxl import load_workbook

from app_pages import downloads
from tests.apptest_helpers import PAGES, REPO, TOWN, app_store, log_in, open_page
from wufei_geo import analysis
from wufei_geo.io import bulk_import, excel, exports
from wufei_geo.reports import briefing_pdf
from wufei_geo.reports import downloads as report_downloads
from wufei_geo.reports.downloads import downloads as report_files
from wufei_geo.reports.downloads import report_bytes

BUILDERS = (
    (exports, "export_bytes"),
    (bulk_import, "template_csv"),
    (bulk_import, "template_xlsx"),
    (excel, "town_workbook"),
    (report_downloads, "workbook_bytes"),
    (briefing_pdf, "briefing_pdf"),
)


@pytest.fixture()
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """Counts every call of the core's file builders the pages offer for download."""
    counted: Counter = Counter()
    for module, name in BUILDERS:
        real = getattr(module, name)

        def counting(*args: Any, _real=real, _name=name, **kwargs: Any) -> Any:
            counted[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, counting)
    return counted


@pytest.fixture()
def store(tmp_path, monkeypatch: pytest.MonkeyPatch):
    s = app_store(tmp_path, monkeypatch)
    yield s
    s.close()


def _download_keys(at: Any) -> set[str]:
    return {b.key for b in at.get("download_button")}


def test_no_page_builds_a_download_on_a_rerun(store, calls: Counter) -> None:
    at = open_page(PAGES["data"])
    assert {"data_dl_csv", "data_dl_xlsx", "data_dl_geojson", "data_dl_gpkg", "data_dl_zones",
            "data_tpl_csv", "data_tpl_xlsx"} <= _download_keys(at)
    at.radio(key="data_datum").set_value(exports.EXPORT_DATUMS[-1]).run()  # reruns with new input
    at.text_input(key="flt_search").input("湿").run()
    at.run()
    at = open_page(PAGES["capacity"])
    assert {"capacity_dl_xlsx", "capacity_dl_pdf"} <= _download_keys(at)
    at.run()
    at = open_page(PAGES["towns"])
    assert {"towns_dl_xlsx", "towns_dl_pdf"} <= _download_keys(at)  # one briefing: the PDF
    at.run()
    at = log_in(open_page(PAGES["update"]), "zhaoxiang")
    assert "workbook_download" in _download_keys(at)
    at.run()
    assert not at.exception, at.exception
    assert sum(calls.values()) == 0, calls


class _Where:
    """Stands in for Streamlit: keeps what a download button was given."""

    def __init__(self) -> None:
        self.buttons: list[dict[str, Any]] = []

    def download_button(self, label: str, **kwargs: Any) -> None:
        self.buttons.append({"label": label, **kwargs})


def test_a_button_holds_the_builder_and_the_builder_makes_the_file(store, calls: Counter) -> None:
    from wufei_geo.catalog import load_catalog

    catalog = load_catalog(store)
    where = _Where()
    downloads.download("CSV", lambda: exports.export_bytes(catalog, "csv", "sites", "wgs84"), "sites.csv",
                       key="k", where=where)
    (button,) = where.buttons
    assert callable(button["data"]) and button["mime"] == "text/csv" and calls["export_bytes"] == 0
    data = button["data"]()  # the click
    assert calls["export_bytes"] == 1 and data == exports.export_bytes(catalog, "csv", "sites", "wgs84")


def test_report_downloads_are_the_core_files(store) -> None:
    from wufei_geo.catalog import load_catalog

    catalog = load_catalog(store)
    targets = analysis.capacity_report(catalog.sites, catalog.targets)
    cards = analysis.town_scorecards(catalog.sites, catalog.targets, catalog.towns)
    lazy = report_files(targets, cards, catalog.sites, lang="zh", params=None, confirmation_months=12,
                        zones=catalog.zones, district=catalog.district)
    assert all(callable(build) for _, _, build, _ in lazy)
    built = {name: build() for _, name, build, _ in lazy}  # the clicks
    assert not [name for name in built if name.endswith(".html")]  # the HTML briefing is retired
    pdf_name = next(name for name in built if name.endswith(".pdf"))
    assert built[pdf_name].startswith(b"%PDF")
    xlsx_name = next(name for name in built if name.endswith(".xlsx"))
    eager_xlsx = report_bytes("xlsx", targets, cards, catalog.sites, lang="zh", confirmation_months=12)
    lazy_book, eager_book = load_workbook(io.BytesIO(built[xlsx_name])), load_workbook(io.BytesIO(eager_xlsx))
    assert lazy_book.sheetnames == eager_book.sheetnames
    for sheet in eager_book.sheetnames:
        assert [[c.value for c in row] for row in lazy_book[sheet].iter_rows()] == \
            [[c.value for c in row] for row in eager_book[sheet].iter_rows()]
    assert TOWN in {c.town_code for c in cards}


def test_a_repeated_download_is_served_at_once_until_the_data_changes(store, calls: Counter,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The briefing is built once per data version and options: a second click (or another session)
    gets the same bytes without building; a saved edit builds it again."""
    from app_pages import cached
    from wufei_geo import auth

    builders: dict[str, Any] = {}
    monkeypatch.setattr(downloads, "download", lambda label, build, name, *, key, where=None:
                        builders.__setitem__(key, build))

    def offer() -> None:
        report, cards = cached.capacity_report("all", 12), cached.town_scorecards(None, 12)
        catalog = cached.get_catalog()
        downloads.offer_report_downloads("capacity_dl", report, cards, catalog.sites, lang="zh",
                                         confirmation_months=12, zones=catalog.zones, district=catalog.district)

    offer()
    first = builders["capacity_dl_pdf"]()
    offer()  # a rerun, or another session's page
    assert builders["capacity_dl_pdf"]() == first and calls["briefing_pdf"] == 1
    assert cached.capacity_report("all", 12) is cached.capacity_report("all", 12)  # computed once
    planner = auth.authenticate(store, "planner1", "correct horse battery")
    site = store.get_site("E.12-1")
    store.update_site(planner, "E.12-1", {"expected_commissioning": "2029"}, site["version"])
    offer()
    builders["capacity_dl_pdf"]()
    assert calls["briefing_pdf"] == 2  # a new data version: built again


def test_the_pages_workbook_carries_the_register_assessed_only_when_built(store) -> None:
    from wufei_geo.catalog import load_catalog
    from wufei_geo.i18n import t
    from wufei_geo.register.assess import PLAN_DEADLINE, assess

    catalog = load_catalog(store)
    targets = analysis.capacity_report(catalog.sites, catalog.targets)
    cards = analysis.town_scorecards(catalog.sites, catalog.targets, catalog.towns)
    assessed = []

    def register():
        assessed.append(1)
        return assess(store, PLAN_DEADLINE)

    lazy = report_files(targets, cards, catalog.sites, lang="zh", params=None, confirmation_months=12,
                        zones=catalog.zones, district=catalog.district, register=register)
    assert assessed == []  # nothing assessed before the click
    xlsx = next(build for _, name, build, _ in lazy if name.endswith(".xlsx"))()
    book = load_workbook(io.BytesIO(xlsx))
    assert assessed == [1] and t("workbook.sheet.register", "zh") in book.sheetnames
    sheet = book[t("workbook.sheet.register", "zh")]
    assert sheet.max_row - 1 == 62 + 40  # one row per register entry
    from app_pages import cached

    assert len(cached.register_assessment()) == 62 + 40  # what the pages hand over, on the app's store
    for page in ("capacity", "towns"):  # both pages hand the register to their workbook
        assert "register=cached.register_assessment" in (REPO / "app_pages" / f"{page}_page.py").read_text("utf-8")
