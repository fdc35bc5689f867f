"""Every page's rendered text, in both languages, as a planner sees it: no raw target ids, no rule
ids, no doubled units, no English words in the Chinese pages' prose (blank cells: test_app_tables)."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from tests.apptest_helpers import PAGES, app_store, log_in, open_page
from wufei_geo.io.bulk_import import TEMPLATE_COLUMNS
from wufei_geo.site_rules import RULES

# Page texts whose English is data, not prose: site names in English, units, codes people type.
_ALLOWED_LATIN = re.compile(r"^(?:[A-Z]\.\d+(?:-\d+)?|E\.\d+|[a-z]+/[a-z]+|t/d|t/yr|kW|MW|kWp|GeoJSON|GeoPackage|"
                            r"CSV|XLSX|PDF|WGS-84|GCJ-02|BD-09|wgs84|gcj02|bd09|OpenStreetMap|Leaflet|\w*\d\w*)$")


# Proper names and file formats a Chinese page names as they are written.
_PROPER = {"Excel", "Chromium", "Streamlit", "GeoJSON", "GeoPackage", "Shapefile", "OpenStreetMap", "Leaflet",
           "CartoDB", "Esri", "Positron", "JSON"}


def _page_texts(at) -> list[str]:
    parts = [m.value for m in at.markdown] + [m.value for m in at.caption] + [e.value for e in at.warning]
    parts += [e.value for e in at.error] + [i.value for i in at.info] + [s.value for s in at.subheader]
    parts += [m.label for m in at.metric] + [str(m.value) for m in at.metric]
    return [re.sub(r"\\(.)", r"\1", str(p)) for p in parts]


def _tables(at) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe] + [t.value for t in at.table]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", ["map", "capacity", "towns", "update", "data"])
def test_every_page_reads_as_plain_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str,
                                         lang: str) -> None:
    store = app_store(tmp_path, monkeypatch)
    try:
        at = open_page(PAGES["update"], lang)
        log_in(at, "planner1")
        at.switch_page(PAGES[name]).run()
        assert not at.exception, at.exception
        texts = _page_texts(at)
        text = "\n".join(texts)
        # raw target ids (D-wet-waste-capacity, T-310118105-…) and rule ids (capacity_above_design)
        assert not re.search(r"\b[DT]-[a-z0-9-]+-[a-z-]+\b", text), re.findall(r"\b[DT]-[a-z0-9-]+", text)
        assert not [rule for rule in RULES if re.search(rf"\b{rule}\b", text)]
        # a repository path is no reading for people
        assert not re.search(r"\b(?:facilities|geodata|docs|wufei_geo)/\S+", text)
        # a unit written twice in a row ("0 吨/日 吨/日")
        assert not re.search(r"(吨/日|吨/年|千瓦|t/d|t/yr|kW)\s+\1", text), re.findall(r".{12}(?:吨/日|t/d)\s+(?:吨/日|t/d)", text)
        if lang == "zh":  # English words in the Chinese prose (codes, "plan", "field" …)
            words = {w for t in texts for w in re.findall(r"(?<![\w./-])[A-Za-z][A-Za-z_]{3,}(?![\w./-])", t)}
            # the bulk import's column codes are what a file's header says: the 数据 page names them as such
            codes = set(TEMPLATE_COLUMNS) if name == "data" else set()
            assert not {w for w in words if not _ALLOWED_LATIN.match(w)} - _PROPER - codes, sorted(words)
        cells = [str(v) for df in _tables(at) for v in [*df.columns, *df.astype(str).to_numpy().ravel()]]
        assert not re.search(r"(吨/日|t/d)\s+\1", "\n".join(cells))
        assert not [c for c in cells if re.fullmatch(r"[DT]-[A-Za-z0-9-]+", c)]  # target ids are no words
        # (a missing cell is written 未知 by common.show_table: tests/test_app_tables.py checks every table)
        for df in _tables(at):
            # a header is a word, never a code or Streamlit's "field"/"value"
            assert not {"field", "value"} & {str(c) for c in df.columns}
            if lang == "zh":
                assert not [c for c in df.columns if re.fullmatch(r"[a-z_]+", str(c))], list(df.columns)
    finally:
        store.close()
