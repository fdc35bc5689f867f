"""Issue 24: places — zero-waste cells, 零浪费街区, education bases, showcases, 无废水乡镇.

* ``places``: one row per place (``wufei_geo.places.vocab.PLACE_COLUMNS``): name, type, town,
  point and/or area (GeoJSON text), precision, status with its date, source and log, the
  confirmation stamp, the planner's approval, a pending 待核实 claim, responsible unit.
* ``place_audit``: one row per changed field of a place (who, when, old → new, note).

Revision ID: 0013p_places
Revises: 0012_rounds
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from wufei_geo.db import UTCDateTime

revision = "0013p_places"
down_revision = "0013r_register"
branch_labels = None
depends_on = None

_TEXT = ("name_zh", "name_en", "place_type", "town_code", "address", "area", "precision", "location_source",
         "status", "status_as_of", "status_source", "status_log", "status_confirmed_at", "status_confirmed_by",
         "approved_by", "approved_at", "claim_status", "claim_source", "claim_as_of", "claim_note", "claim_by",
         "claim_at", "responsible_unit", "source_ref", "data_note")


def upgrade() -> None:
    cols = {name: sa.Column(name, sa.Text, nullable=True) for name in _TEXT}
    cols["lon"] = sa.Column("lon", sa.Float, nullable=True)
    cols["lat"] = sa.Column("lat", sa.Float, nullable=True)
    order = ("name_zh", "name_en", "place_type", "town_code", "address", "lon", "lat", "area", "precision",
             "location_source", "status", "status_as_of", "status_source", "status_log", "status_confirmed_at",
             "status_confirmed_by", "approved_by", "approved_at", "claim_status", "claim_source", "claim_as_of",
             "claim_note", "claim_by", "claim_at", "responsible_unit", "source_ref", "data_note")
    op.create_table(
        "places",
        sa.Column("place_id", sa.String(64), primary_key=True),
        *[cols[n] for n in order],
        sa.Column("retired", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("updated_at", UTCDateTime, nullable=True),
    )
    op.create_table(
        "place_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("user_name", sa.Text, nullable=False),
        sa.Column("place_id", sa.String(64), nullable=False),
        sa.Column("town_code", sa.String(9), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("field", sa.String(64), nullable=True),
        sa.Column("old_value", sa.Text, nullable=True),
        sa.Column("new_value", sa.Text, nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("place_version", sa.Integer, nullable=True),
    )
    op.create_index("ix_place_audit_place_id", "place_audit", ["place_id"])
    op.create_index("ix_place_audit_town_code", "place_audit", ["town_code"])


def downgrade() -> None:
    op.drop_index("ix_place_audit_town_code", "place_audit")
    op.drop_index("ix_place_audit_place_id", "place_audit")
    op.drop_table("place_audit")
    op.drop_table("places")
