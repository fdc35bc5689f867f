"""Volume for the tests of issue 27: many sites written straight into a store's database.

Not a test module (no ``test_`` prefix).  The rows go in with one ``executemany`` per chunk — the
store's own writers would take minutes for 100,000 sites and test nothing more here: what is
tested is that every *reader* copes with what is stored, however it got there (a restore, an
administrator's bulk work, a future import)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from wufei_geo import db
from wufei_geo.model import SITE_COLUMNS

TOWN = "310118105"  # 赵巷镇


def _insert(store: Any, frame: pd.DataFrame, chunk: int = 5000) -> None:
    cols = [c for c in SITE_COLUMNS if c in frame.columns]
    records = frame[cols].astype(object).where(frame[cols].notna(), None).to_dict("records")
    with store.engine.begin() as conn:
        for start in range(0, len(records), chunk):
            conn.execute(sa.insert(db.sites), records[start:start + chunk])


def town_only_sites(n: int, town: str = TOWN, prefix: str = "VOL.T") -> pd.DataFrame:
    """``n`` village collection points of ``town`` known by town only (no coordinate)."""
    return pd.DataFrame({
        "site_id": [f"{prefix}{i + 1:05d}" for i in range(n)],
        "name_zh": [f"村收集点 {i + 1}" for i in range(n)],
        "name_en": [f"village collection point {i + 1}" for i in range(n)],
        "category": "recyclables_hub", "town_code": town, "village": [f"村{i + 1}" for i in range(n)],
        "status": "operating", "precision": "village", "capacity_components": "[]",
        "retired": False, "existing_facility": False, "version": 1,
    })


def add_town_only_sites(store: Any, n: int, town: str = TOWN) -> None:
    _insert(store, town_only_sites(n, town))


def add_located_sites(store: Any, n: int) -> None:
    """``n`` located sites spread over the district (the bench's synthetic inventory, every one with
    a stored coordinate)."""
    from bench import synthetic

    frame = pd.DataFrame(synthetic.synthetic_sites(n + n // 20 + 10).drop(columns="geometry"))
    frame = frame[frame["display_lon"].notna()].head(n).copy()  # the bench's "unknown" ones have no point
    assert len(frame) == n
    frame["lon"], frame["lat"] = frame["display_lon"], frame["display_lat"]
    frame["precision"] = np.where(frame["precision"].isin(["town", "unknown"]), "exact", frame["precision"])
    frame["site_id"] = [f"VOL.L{i + 1:06d}" for i in range(n)]
    frame["existing_facility"] = False
    _insert(store, frame)
