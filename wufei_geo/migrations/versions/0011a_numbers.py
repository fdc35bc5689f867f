"""Issue 11 (numbers): existing and added capacity, expected commissioning, status confirmation,
served villages.

New columns of ``sites``:

* ``served_villages`` (text, JSON list) — villages whose wet waste the site treats; null = not measured
* ``existing_facility`` (bool, default false) — the plan's project upgrades a facility that operates today
* ``baseline_capacity_value`` (float), ``baseline_capacity_unit`` (text), ``baseline_capacity_norm``
  (float) — that facility's capacity before the project; null = unknown
* ``expected_commissioning`` (text, ISO date / year-month / year) — when the site is expected to
  reach its target state
* ``status_confirmed_at`` (text, ISO date or UTC timestamp), ``status_confirmed_by`` (text) — when
  and by whom the status was last confirmed (an edit confirms it); existing rows take their
  ``status_as_of`` / ``status_source`` (the plan date and the plan for seed rows)

Revision ID: 0011a_numbers
Revises: 0001
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011a_numbers"
down_revision = "0001"
branch_labels = None
depends_on = None

_NEW = [
    ("served_villages", sa.Text),
    ("baseline_capacity_value", sa.Float),
    ("baseline_capacity_unit", sa.Text),
    ("baseline_capacity_norm", sa.Float),
    ("expected_commissioning", sa.Text),
    ("status_confirmed_at", sa.Text),
    ("status_confirmed_by", sa.Text),
]


def upgrade() -> None:
    for name, kind in _NEW:
        op.add_column("sites", sa.Column(name, kind, nullable=True))
    op.add_column("sites", sa.Column("existing_facility", sa.Boolean, nullable=False, server_default=sa.false()))
    op.execute("UPDATE sites SET status_confirmed_at = status_as_of, status_confirmed_by = status_source")


def downgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("existing_facility")
        for name, _kind in reversed(_NEW):
            batch.drop_column(name)
