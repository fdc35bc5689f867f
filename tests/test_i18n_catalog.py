"""The gettext catalogue: both .po files parse, every key has both languages, and the fold
entry point moves legacy dict entries into the files."""
from __future__ import annotations

from pathlib import Path

import pytest

from wufei_geo import i18n, i18n_catalog


def test_po_files_parse_and_every_key_has_both_languages():
    assert i18n_catalog.check() == []
    zh, en = i18n_catalog.read_catalog("zh"), i18n_catalog.read_catalog("en")
    assert set(zh) == set(en)
    assert len(zh) > 300
    for key, pair in i18n.MESSAGES.items():
        assert len(pair) == 2 and all(pair), key


def test_no_legacy_entries_left_unfolded():
    # Parallel branches add ("中文", "English") entries at the end of i18n.py; after merging,
    # `python -m wufei_geo.i18n_catalog fold wufei_geo/i18n.py --strip` moves them into the .po files.
    source = Path(i18n.__file__).read_text(encoding="utf-8")
    left = [key for key, *_ in i18n_catalog.legacy_entries(source)]
    assert left == [], f"fold these into the .po files: {left}"


def test_vocabulary_comes_from_the_catalogue():
    assert i18n.status_label("operating", "zh") == "已运行"
    assert i18n.category_label("wet_waste", "en") == "Wet-waste treatment"
    assert i18n.unit_label("t/d", "zh") == "吨/日"
    assert i18n.t("map.count", "en", shown=3, total=5) == "Showing 3 / 5 sites"
    assert i18n.t("no.such.key", "zh") == "no.such.key"


@pytest.fixture
def tmp_catalogue(tmp_path, monkeypatch):
    monkeypatch.setattr(i18n_catalog, "LOCALE_DIR", tmp_path / "locale")
    i18n_catalog.pairs.cache_clear()
    i18n_catalog.write_catalogs({"a.one": ("一", "one"), "a.two": ("二", "two")})
    yield tmp_path
    i18n_catalog.pairs.cache_clear()


def test_fold_adds_new_keys_reports_differences_and_strips(tmp_catalogue):
    legacy = tmp_catalogue / "legacy.py"
    legacy.write_text(
        'MESSAGES = {}\n'
        'MESSAGES.update({\n'
        '    # --- issue 99: something ---\n'
        '    "a.two": ("两", "two"),\n'
        '    "b.new": ("新的 {n} 个", "{n} new"),\n'
        '    "b.long": (\n'
        '        "很长的一句",\n'
        '        "a long sentence",\n'
        '    ),\n'
        '})\n'
        'x = 1\n',
        encoding="utf-8",
    )
    report = i18n_catalog.fold(legacy, strip=True)
    assert report["added"] == ["b.new", "b.long"] and report["differs"] == ["a.two"]
    cat = i18n_catalog.pairs()
    assert cat["b.new"] == ("新的 {n} 个", "{n} new") and cat["b.long"] == ("很长的一句", "a long sentence")
    assert cat["a.two"] == ("二", "two")  # left alone without --update
    text = legacy.read_text(encoding="utf-8")
    assert '"b.new"' not in text and "很长的一句" not in text and '"a.two"' in text and "x = 1" in text
    compile(text, "legacy.py", "exec")
    assert i18n_catalog.fold(legacy, update=True)["updated"] == ["a.two"]
    assert i18n_catalog.pairs()["a.two"] == ("两", "two")
    assert i18n_catalog.main(["check"]) == 0


def test_fold_refuses_an_entry_missing_a_language(tmp_catalogue):
    legacy = tmp_catalogue / "legacy.py"
    legacy.write_text('MESSAGES = {"c.x": ("中", "")}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="both languages"):
        i18n_catalog.fold(legacy)


def test_refusals_carry_a_key_translated_from_the_catalogue(store, admin, site_record):
    from wufei_geo import auth
    from wufei_geo.errors import BatchRefused, NotFound, ValidationError

    with pytest.raises(NotFound) as info:
        store.get_site("NO.SUCH")
    exc = info.value
    assert exc.key == "error.no_site" and exc.params == {"site_id": "NO.SUCH"}
    assert i18n.error_text(exc, "zh") == "无此站点：'NO.SUCH'。"
    assert i18n.error_text(exc, "en") == "No site 'NO.SUCH'."
    assert "No site" in str(exc) and "无此站点" in str(exc)  # logs and tests see both

    store.seed([site_record("T.1")])
    with pytest.raises(BatchRefused) as info:
        store.update_sites(admin, [("T.1", {"status": "cancelled"}, 1, None)])
    zh = i18n.error_text(info.value, "zh")
    assert "1 项修改中有 1 项被拒绝" in zh and "取消" in zh and "须填写说明" in zh and "cancelled" not in zh
    assert "Cancelled" in i18n.error_text(info.value, "en")

    with pytest.raises(ValidationError) as info:
        auth.create_user(store, "t1", "town_official", "徐泾镇", "a-long-password-1")
    zh = i18n.error_text(info.value, "zh")
    assert "310118106" in zh or "徐泾镇" in zh  # the valid towns are listed


def test_a_plain_message_still_works():
    from wufei_geo.errors import StaleVersion, ValidationError

    exc = ValidationError("a plain sentence")
    assert str(exc) == "a plain sentence" and exc.key is None
    assert i18n.error_text(exc, "zh") == "a plain sentence"
    stale = StaleVersion("changed", expected_version=1, current_version=2)
    assert stale.current_version == 2 and str(stale) == "changed"


def test_fold_takes_the_old_vocabulary_tables_too(tmp_catalogue):
    legacy = tmp_catalogue / "legacy.py"
    legacy.write_text('STATUS_LABELS = {"paused": ("暂缓", "Paused")}\nUNIT_LABELS: dict = {"m3/d": ("立方米/日", "m³/d")}\n',
                      encoding="utf-8")
    assert i18n_catalog.fold(legacy)["added"] == ["status.paused", "unit.m3/d"]
    assert i18n_catalog.pairs()["status.paused"] == ("暂缓", "Paused")


def test_every_catalogue_key_is_named_in_the_code():
    """No dead texts (issue 17): each key appears in the app's code as a literal, or under a prefix
    the code completes at run time (``f"basemap.{name}"``, the vocabulary tables of i18n.py)."""
    import re

    root = Path(i18n.__file__).resolve().parents[1]
    files = [*(root / "wufei_geo").rglob("*.py"), *(root / "app_pages").rglob("*.py"), root / "app.py",
             *(root / "wufei_geo" / "assets" / "wufei").glob("*.js")]
    source = "\n".join(p.read_text(encoding="utf-8") for p in files if "_data" not in p.parts)
    prefixes = set(re.findall(r"""f["']([A-Za-z_.]+)\{""", source))  # f"data.datum_{d}"
    prefixes |= set(re.findall(r"""["']([A-Za-z_.]+\.)["'] *\+""", source))  # "rule." + key
    prefixes |= {f"{name}." for name in re.findall(r"""_table\(["'](\w+)["']""", source)}  # vocabulary tables
    prefixes |= set(re.findall(r"""startswith\(["']([A-Za-z_]+\.)["']\)""", source))  # unit labels
    unused = sorted(key for key in i18n.MESSAGES
                    if f'"{key}"' not in source and f"'{key}'" not in source
                    and not any(key.startswith(p) for p in prefixes))
    assert unused == [], f"catalogue keys nothing shows (delete them from both .po files): {unused}"
