"""No volume of stored data takes a reader down (issue 27): hundreds of town-only sites in one town,
the seed's own town-only sites, and 100,000 located sites — every page renders (AppTest, as a visitor
and as an administrator), every CLI read answers, and what cannot be drawn is said.

The data is written straight into the database (``tests/hostile/volume_data.py``) and shared per module:
building it through the store's writers would take minutes and test nothing the readers see."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.apptest_helpers import PAGES, app_store, log_in, open_page, texts
from wufei_geo import cli, i18n, locate
from wufei_geo.catalog import load_catalog
from wufei_geo.store import Store

from . import volume_data
from .results import record

ADMIN = ("admin", "admin", None)


def _store(tmp_path_factory: pytest.TempPathFactory, fill) -> str:
    """The URL of a fresh seeded store with an administrator, filled by ``fill(store)``."""
    tmp = tmp_path_factory.mktemp("volume")
    with pytest.MonkeyPatch.context() as mp:
        store = app_store(tmp, mp, users=[ADMIN])
    fill(store)
    url = store.engine.url.render_as_string(hide_password=False)
    store.close()
    return url


@pytest.fixture(scope="module")
def town_heavy_url(tmp_path_factory) -> str:
    return _store(tmp_path_factory, lambda s: volume_data.add_town_only_sites(s, 400))


@pytest.fixture
def town_heavy(town_heavy_url, monkeypatch) -> Store:
    monkeypatch.setenv("WUFEI_DB_URL", town_heavy_url)
    store = Store.open(town_heavy_url)
    yield store
    store.close()


def _all_pages_render(lang: str, case: str) -> list[str]:
    """Open every page as a visitor, then the 数据 and 更新 pages as the administrator; the texts of
    warnings seen on the way (each page recorded for ``case``)."""
    seen = []
    for name in ("map", "capacity", "towns", "update", "data"):
        at = open_page(PAGES[name], lang)
        assert not at.exception, (name, at.exception)
        warned = texts(at.warning)
        seen.append(warned)
        _record_read(case, f"app:{name} page ({lang}, visitor)", warned)
    at = log_in(open_page(PAGES["data"], lang), "admin")
    assert not at.exception
    assert [u for u in at.get("file_uploader")], "the administrator's 数据 page has its uploads"
    _record_read(case, f"app:data page ({lang}, administrator)", texts(at.warning))
    at.switch_page(PAGES["update"]).run()
    assert not at.exception, at.exception
    _record_read(case, f"app:update page ({lang}, administrator)", texts(at.warning))
    return seen


def _record_read(case: str, entry: str, said: str) -> None:
    """A reader answered: degraded and said so (a warning naming what is drawn as one marker), or
    read as it is."""
    if "do not fit" in said or "无法分开标注" in said:
        record("volume", case, entry, "degraded_and_said", said.splitlines()[0][:200])
    else:
        record("volume", case, entry, "accepted_correctly", "rendered, nothing left out")


def test_town_only_sites_that_do_not_fit_become_one_counted_marker(town_heavy):
    catalog = load_catalog(town_heavy)
    sites = catalog.sites
    heavy = sites[sites["town_code"] == volume_data.TOWN]
    town_only = heavy[heavy["display_precision"] == "town"]
    assert len(town_only) >= 400
    # one marker: every town-only site of the town at the same point, counted
    assert town_only[["display_lon", "display_lat"]].drop_duplicates().shape[0] == 1
    assert set(town_only[locate.STACK_COLUMN]) == {len(town_only)}
    # other towns keep their own markers, spread as before
    others = sites[(sites["town_code"] != volume_data.TOWN) & sites["display_lon"].notna()]
    assert set(others[locate.STACK_COLUMN]) == {1}
    said = next(w for w in catalog.warnings if f"赵巷镇 {len(town_only)} 个无坐标站点" in i18n.item_text(w, "zh"))
    assert f"{len(town_only)} sites of Zhaoxiang" in i18n.item_text(said, "en")  # each language its own name
    record("volume", "town-only-400", "catalog.load_catalog (locate)", "degraded_and_said", str(said))


def test_the_seeds_town_only_sites_are_spread_one_marker_each(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'seed.sqlite'}")
    sites = load_catalog(store).sites
    town_only = sites[sites["display_precision"] == "town"]
    assert len(town_only) >= 5
    assert set(town_only[locate.STACK_COLUMN]) == {1}
    assert town_only[["display_lon", "display_lat"]].drop_duplicates().shape[0] == len(town_only)
    record("volume", "seed-town-only", "catalog.load_catalog (locate)", "accepted_correctly",
           f"{len(town_only)} town-only sites of the plan, one marker each")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_renders_with_400_town_only_sites_in_one_town(town_heavy, lang):
    seen = "\n".join(_all_pages_render(lang, "town-only-400"))
    # the pages say what they drew as one marker, naming the town in the reader's language
    assert ("赵巷镇" if lang == "zh" else "Zhaoxiang Town") in seen


def _cli(capsys, *args: str, case: str = "") -> str:
    code = cli.main(["--lang", "en", *args])
    out = capsys.readouterr()
    assert code == 0, (args, out.err[-2000:])
    assert "Traceback" not in out.err
    if case:
        shown = [a if not a.startswith("/") else Path(a).suffix for a in args]
        record("volume", case, "cli:" + " ".join(shown), "accepted_correctly", f"exit 0, {len(out.out):,} characters out")
    return out.out


def _cli_reads_answer(capsys, tmp_path: Path, n_min: int, case: str) -> None:
    rows = json.loads(_cli(capsys, "sites", "--json", case=case))
    assert len(rows.get("features", rows) if isinstance(rows, dict) else rows) >= n_min
    assert _cli(capsys, "sites", case=case).strip()
    assert json.loads(_cli(capsys, "capacity", "--json", case=case))
    assert json.loads(_cli(capsys, "towns", "--json", case=case))
    for fmt in ("csv", "xlsx", "geojson", "gpkg"):
        out = tmp_path / f"sites.{fmt}"
        _cli(capsys, "export", "--format", fmt, "-o", str(out), case=case)
        assert out.stat().st_size > 0
    # the one briefing is the PDF; at 100,000 sites it is written by tests/test_briefing_volume.py
    for suffix in ("xlsx", "pdf") if n_min <= 1_000 else ("xlsx",):
        out = tmp_path / f"report.{suffix}"
        _cli(capsys, "report", "-o", str(out), case=case)
        assert out.stat().st_size > 0


def test_every_cli_read_answers_with_400_town_only_sites_in_one_town(town_heavy, capsys, tmp_path):
    _cli_reads_answer(capsys, tmp_path, 400, "town-only-400")


# ---- 100,000 located sites ----------------------------------------------------------------------------
N_LOCATED = 100_000


@pytest.fixture(scope="module")
def located_url(tmp_path_factory) -> str:
    return _store(tmp_path_factory, lambda s: volume_data.add_located_sites(s, N_LOCATED))


@pytest.fixture
def located(located_url, monkeypatch) -> Store:
    monkeypatch.setenv("WUFEI_DB_URL", located_url)
    store = Store.open(located_url)
    yield store
    store.close()


@pytest.mark.slow
def test_100k_located_sites_every_page_renders(located):
    _all_pages_render("zh", "located-100k")


@pytest.mark.slow
def test_100k_located_sites_every_cli_read_answers(located, capsys, tmp_path):
    _cli_reads_answer(capsys, tmp_path, N_LOCATED, "located-100k")


def test_sites_json_is_printed_in_parts_with_the_same_text(town_heavy, capsys, monkeypatch):
    """``sites --json`` converts JSON_CHUNK_ROWS rows at a time (bounded memory) and prints the
    same text as one ``json.dumps(rows, indent=1)``."""
    from wufei_geo.commands import io as cli_io

    whole = _cli(capsys, "sites", "--json")
    monkeypatch.setattr(cli_io, "JSON_CHUNK_ROWS", 7)
    assert _cli(capsys, "sites", "--json") == whole
    rows = json.loads(whole)
    assert whole == json.dumps(rows, ensure_ascii=False, indent=1) + "\n"
