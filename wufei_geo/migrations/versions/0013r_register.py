"""Issue 23: the register — reported indicator values, planners' judgements, department
accounts and the site attributes the indicators #47, #49, #58 read.

* ``users.department`` (text) — the plan department a ``department`` account reports for
* ``sites.online_monitoring`` (text: yes | no | null = unknown), ``sites.online_monitoring_since``
  (ISO date), ``sites.pollution_insurance`` (yes | no | null), ``sites.investment_yuan`` (float, 元)
* ``indicator_values``: one row per value entered for a register entry and year (value, text for
  a grade, source, who, when, note; status accepted | pending (待核实) | rejected, who decided)
* ``indicator_judgements``: a planner's judgement of a qualitative target (met | not_met, the
  date it speaks for, a required note, who, when)

Revision ID: 0013r_register
Revises: 0012_rounds
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from wufei_geo.db import UTCDateTime

revision = "0013r_register"
down_revision = "0012_rounds"
branch_labels = None
depends_on = None

_SITE_COLUMNS = [
    ("online_monitoring", sa.Text),
    ("online_monitoring_since", sa.Text),
    ("pollution_insurance", sa.Text),
    ("investment_yuan", sa.Float),
]


def upgrade() -> None:
    op.add_column("users", sa.Column("department", sa.Text, nullable=True))
    for name, kind in _SITE_COLUMNS:
        op.add_column("sites", sa.Column(name, kind, nullable=True))
    op.create_table(
        "indicator_values",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("entry_id", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("value", sa.Float, nullable=True),
        sa.Column("text", sa.Text, nullable=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("entered_by", sa.Text, nullable=False),
        sa.Column("entered_at", UTCDateTime, nullable=False),
        sa.Column("rules", sa.Text, nullable=True),
        sa.Column("decided_by", sa.Text, nullable=True),
        sa.Column("decided_at", UTCDateTime, nullable=True),
        sa.Column("decision_note", sa.Text, nullable=True),
    )
    op.create_index("ix_indicator_values_entry_id", "indicator_values", ["entry_id"])
    op.create_table(
        "indicator_judgements",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("entry_id", sa.String(64), nullable=False),
        sa.Column("as_of", sa.String(10), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("judged_by", sa.Text, nullable=False),
        sa.Column("judged_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_indicator_judgements_entry_id", "indicator_judgements", ["entry_id"])


def downgrade() -> None:
    op.drop_index("ix_indicator_judgements_entry_id", "indicator_judgements")
    op.drop_table("indicator_judgements")
    op.drop_index("ix_indicator_values_entry_id", "indicator_values")
    op.drop_table("indicator_values")
    with op.batch_alter_table("sites") as batch:
        for name, _kind in reversed(_SITE_COLUMNS):
            batch.drop_column(name)
    with op.batch_alter_table("users") as batch:
        batch.drop_column("department")
