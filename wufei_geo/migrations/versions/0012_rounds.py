"""Issue 12: update rounds — a planner asks the towns to confirm or correct their sites.

* ``update_rounds``: one row per round (title, deadline, the towns and categories in its scope as
  JSON lists — empty = all —, open/closed, who opened and closed it, when).
* ``round_answers``: one row per answer given while a round is open (a confirmation "unchanged"
  or an edit of a site in the round's scope): which site, which town, what, who, when.

Revision ID: 0012_rounds
Revises: 0011v_proposals
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from wufei_geo.db import UTCDateTime

revision = "0012_rounds"
down_revision = "0011v_proposals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "update_rounds",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("deadline", sa.String(10), nullable=True),
        sa.Column("towns", sa.Text, nullable=False),
        sa.Column("categories", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened_by", sa.Text, nullable=False),
        sa.Column("opened_at", UTCDateTime, nullable=False),
        sa.Column("closed_by", sa.Text, nullable=True),
        sa.Column("closed_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_update_rounds_status", "update_rounds", ["status"])
    op.create_table(
        "round_answers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("round_id", sa.Integer, sa.ForeignKey("update_rounds.id"), nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("town_code", sa.String(9), nullable=True),
        sa.Column("answer", sa.String(16), nullable=False),
        sa.Column("answered_by", sa.Text, nullable=False),
        sa.Column("answered_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_round_answers_round_id", "round_answers", ["round_id"])


def downgrade() -> None:
    op.drop_index("ix_round_answers_round_id", "round_answers")
    op.drop_table("round_answers")
    op.drop_index("ix_update_rounds_status", "update_rounds")
    op.drop_table("update_rounds")
