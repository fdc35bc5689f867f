"""Round two (issue 15): identifiers that reach markdown/HTML follow a strict character set, and
whatever the store holds is escaped in every markdown-rendering element."""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from wufei_geo import db
from wufei_geo.errors import ValidationError

from .helpers import data_hash, login
from .results import record

APP = str(Path(__file__).resolve().parents[2] / "app.py")
IDS = {
    "siteid-md-image": "![x](http://127.0.0.1:9/track.png)",
    "siteid-md-link": "[点此](javascript:alert(1))",
    "siteid-html": "<img src=x onerror=alert(1)>",
    "siteid-space": "E 12",
}


@pytest.mark.parametrize("case", sorted(IDS))
def test_site_id_outside_the_character_set_is_refused(env, case: str) -> None:
    admin = login(env, "admin")
    before = data_hash(env)
    with pytest.raises(ValidationError) as exc:
        env.add_site(admin, {"site_id": IDS[case], "name_zh": "x", "category": "wet_waste", "wet_waste_mode": "on_site"})
    assert data_hash(env) == before
    record("text", case, "store.add_site(site_id)", "refused", str(exc.value))


def test_planted_site_id_is_escaped_on_the_capacity_page(env) -> None:
    """A site id no entry accepts, written into the database directly: shown, never rendered."""
    sid = IDS["siteid-md-image"]

    def plant(conn):
        row = dict(conn.execute(sa.select(db.sites).where(db.sites.c.site_id == "H.1")).mappings().one())
        row.update(site_id=sid, capacity_value=None, capacity_norm=None, target_year=2020, status="planned")
        conn.execute(sa.insert(db.sites).values(**row))

    env.run_write(plant)
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.switch_page("app_pages/pages/capacity.py").run()
    assert not at.exception, at.exception
    texts = [e.value for e in (*at.warning, *at.error, *at.info, *at.markdown, *at.caption)]
    shown = [t for t in texts if "track" in t]
    # the sites that block the answer are a table (a grid shows text, it renders no markdown)
    cells = [str(v) for df in at.dataframe for col in df.value.columns for v in df.value[col].tolist()]
    assert shown or sid in cells, (texts, cells)
    assert all("](" not in t.replace("\\](", "") for t in shown), shown  # no live link/image syntax
    assert all("\\!\\[x\\]" in t or "\\[x\\]" in t for t in shown), shown
    record("text", "siteid-md-image", "app:capacity page (planted in the database)", "rendered_safely",
           "markdown specials backslash-escaped in every warning/error/caption listing site ids")
