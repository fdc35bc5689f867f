"""Shared helpers of the hostile tests (plain functions and fixtures imported by the test modules)."""
from __future__ import annotations

import hashlib
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from wufei_geo import auth, cli, db
from wufei_geo.config import Settings
from wufei_geo.store import Store

PASSWORD = "correct horse battery"
XIAYANG, HUAXIN = "310118001", "310118107"  # 夏阳街道, 华新镇
INSIDE = (121.124, 31.150)  # near the district seat, WGS-84
# Tables whose content is "the data"; sessions change on every page view (idle timer) and are
# compared separately where it matters.
DATA_TABLE_NAMES = ("sites", "audit", "zones", "meta", "users")


def data_hash(store: Store, tables: tuple[str, ...] = DATA_TABLE_NAMES) -> str:
    """SHA-256 over the rows of ``tables`` ordered by key (``Store.content_hash`` minus sessions)."""
    from wufei_geo.store.values import hashable

    h = hashlib.sha256()
    with store.engine.connect() as conn:
        for table in db.DATA_TABLES:
            if table.name not in tables:
                continue
            h.update(f"#{table.name}\n".encode())
            for row in conn.execute(sa.select(table).order_by(*table.primary_key.columns)):
                h.update(json.dumps([hashable(v) for v in row], ensure_ascii=False).encode("utf-8") + b"\n")
    return h.hexdigest()


def test_sites(**overrides: Any) -> list[dict[str, Any]]:
    """Test sites (not the plan): H.1, H.3 wet waste and H.4 construction waste in 夏阳; H.2 in 华新."""
    from conftest import site_record

    return [
        site_record("H.1"),
        site_record("H.2", town_code=HUAXIN),
        site_record("H.3", lon=121.13, lat=31.16, precision="exact"),
        site_record("H.4", category="construction_waste", wet_waste_mode=None, capacity_value=50.0,
                    capacity_unit="万吨/年", capacity_norm=500000.0, capacity_norm_unit="t/yr",
                    capacity_components=[]),
    ]


test_sites.__test__ = False  # a helper, not a test


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """A SQLite store at ``WUFEI_DB_URL`` (so the CLI and the app use it too) with the three test
    sites, an admin, a 夏阳 official ``xiayang`` and a 华新 official ``huaxin``.  The plan's seed is
    left out (``seed_hash`` set) so nothing but the test changes the data."""
    url = f"sqlite:///{tmp_path / 'hostile.sqlite'}"
    monkeypatch.setenv("WUFEI_DB_URL", url)
    store = Store.open(url, seed=False, settings=Settings(db_url=url))
    store.seed(test_sites())
    _block_plan_seed(store)
    auth.create_user(store, "admin", "admin", None, PASSWORD)
    auth.create_user(store, "xiayang", "town_official", XIAYANG, PASSWORD)
    auth.create_user(store, "huaxin", "town_official", HUAXIN, PASSWORD)
    try:
        yield store
    finally:
        store.close()


def _block_plan_seed(store: Store) -> None:
    """Make ``Store.open()`` (the CLI, the app) treat the plan's seed as already applied."""
    from wufei_geo import facilities
    from wufei_geo.store.seeding import set_meta

    records = facilities.load_seed_sites()
    digest = hashlib.sha256(json.dumps(records, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")).hexdigest()
    store.run_write(lambda conn: set_meta(conn, "seed_hash", digest))


def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str, stdin: str = "") -> tuple[int, str, str]:
    """``wufei-geo ARGV`` in-process; returns (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def csv_bytes(rows: list[dict[str, Any]], encoding: str = "utf-8") -> bytes:
    return pd.DataFrame(rows).to_csv(index=False).encode(encoding)


def login(store: Store, name: str) -> auth.Actor:
    return auth.authenticate(store, name, PASSWORD)
