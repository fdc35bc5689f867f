"""Texts from the data files in both languages: every note and source has its Chinese version
(``*_zh`` columns), the validator requires the pair, and readers see the one of their language."""
from __future__ import annotations

import csv
import re
import shutil

import pytest

from wufei_geo import data_texts, facilities, geodata, mapview
from wufei_geo.paths import FACILITIES_DIR, GEODATA_DIR

_CJK = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")  # Chinese characters or punctuation

PAIRS = [
    (FACILITIES_DIR / "sites.csv", ("status_source", "location_source", "data_note")),
    (FACILITIES_DIR / "targets.csv", ("note",)),
    (GEODATA_DIR / "towns.csv", ("seat_source", "area_note", "population_note", "count_note")),
]


@pytest.mark.parametrize(("path", "columns"), PAIRS, ids=lambda v: getattr(v, "name", None))
def test_every_text_has_a_chinese_version(path, columns):
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        for column in columns:
            en, zh = row[column], row[f"{column}_zh"]
            assert bool(en) == bool(zh), (path.name, column, en)
            if zh and en != zh:
                assert _CJK.search(zh), (path.name, column, zh)  # written in Chinese, not copied


def test_localise_gives_the_chinese_version_only_in_zh():
    en = "undated total population (nnxc.com.cn)"
    assert data_texts.localise(en, "zh") == "未注明年份的总人口（nnxc.com.cn）"
    assert data_texts.localise(en, "en") == en
    assert data_texts.localise("an official's own words", "zh") == "an official's own words"
    assert data_texts.localise(None, "zh") is None


def test_the_gazetteer_and_targets_carry_the_chinese_columns():
    g = geodata.load_gazetteer()
    assert g["population_note_zh"].notna().all()
    targets = facilities.load_targets()
    assert all(bool(t["note"]) == bool(t["note_zh"]) for t in targets)


def test_validator_requires_the_chinese_version(tmp_path):
    folder = tmp_path / "facilities"
    shutil.copytree(FACILITIES_DIR, folder)
    path = folder / "targets.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header, rows = reader.fieldnames, list(reader)
    first = next(i for i, r in enumerate(rows) if r["note"])
    rows[first]["note_zh"] = ""
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header)
        w.writeheader()
        w.writerows(rows)
    problems = facilities.validate(folder)
    assert any(p.field == "note_zh" and p.row == first + 2 for p in problems), problems


def test_map_popups_show_data_notes_in_the_readers_language():
    import pandas as pd

    from wufei_geo.mapview import payload

    site = next(s for s in facilities.load_seed_sites() if s["data_note"] == "No capacity in the plan.")
    frame = pd.DataFrame([site])
    note = payload.POPUP_FIELDS.index("field.data_note")
    assert payload._popup_columns(frame, "zh", {})[note] == ["规划未给出能力。"]
    assert payload._popup_columns(frame, "en", {})[note] == ["No capacity in the plan."]
    assert mapview  # the package imports


def test_fill_restores_the_chinese_columns_after_a_merge(tmp_path, monkeypatch):
    # a merge took the other side's targets.csv (no *_zh columns, one new note): fill re-adds the
    # columns, fills every known note and names the one a person still has to translate
    path = tmp_path / "targets.csv"
    with (FACILITIES_DIR / "targets.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        header = [h for h in reader.fieldnames if h != "note_zh"]
    rows[0]["note"] = "A brand-new English note."
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    monkeypatch.setattr(data_texts, "_FILES", ((path, ("note",)),))
    known = dict(data_texts.chinese_versions())  # the shipped translations
    monkeypatch.setattr(data_texts, "_pairs_of", lambda text, columns, _orig=data_texts._pairs_of:
                        {**known, **_orig(text, columns)})
    missing = data_texts.fill()
    assert missing == ["targets.csv: note: A brand-new English note."]
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        filled = list(reader)
        assert reader.fieldnames[reader.fieldnames.index("note") + 1] == "note_zh"
    assert all(bool(r["note_zh"]) == bool(r["note"]) for r in filled[1:])
