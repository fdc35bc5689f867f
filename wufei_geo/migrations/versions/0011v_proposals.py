"""Issue 11 (validation): the proposals table — 待核实 edits awaiting a planner's confirmation.

Revision ID: 0011v_proposals
Revises: 0001
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from wufei_geo.db import UTCDateTime

revision = "0011v_proposals"
down_revision = "0011a_numbers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("town_code", sa.String(9), nullable=True),
        sa.Column("changes", sa.Text, nullable=False),
        sa.Column("new_values", sa.Text, nullable=False),
        sa.Column("old_values", sa.Text, nullable=False),
        sa.Column("rules", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("base_version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("proposed_by", sa.Text, nullable=False),
        sa.Column("proposed_at", UTCDateTime, nullable=False),
        sa.Column("decided_by", sa.Text, nullable=True),
        sa.Column("decided_at", UTCDateTime, nullable=True),
        sa.Column("decision_note", sa.Text, nullable=True),
    )
    op.create_index("ix_proposals_site_id", "proposals", ["site_id"])
    op.create_index("ix_proposals_status", "proposals", ["status"])


def downgrade() -> None:
    op.drop_index("ix_proposals_status", "proposals")
    op.drop_index("ix_proposals_site_id", "proposals")
    op.drop_table("proposals")
