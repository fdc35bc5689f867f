"""Initial schema: sites, users, sessions, audit (append-only), zones, meta.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from wufei_geo.db import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# The site schema as it was at this revision (frozen here: later changes get their own migration).
_SITE_TEXT = (
    "project_id", "name_zh", "name_en", "category", "wet_waste_mode", "town_code", "village",
    "address", "served_towns",
)
_SITE_COLUMNS = [
    ("site_id", sa.String(64)),
    *[(c, sa.Text) for c in _SITE_TEXT],
    ("capacity_value", sa.Float),
    ("capacity_unit", sa.Text),
    ("capacity_norm", sa.Float),
    ("capacity_norm_unit", sa.Text),
    ("capacity_components", sa.Text),
    ("operating_capacity_value", sa.Float),
    ("operating_capacity_unit", sa.Text),
    ("operating_capacity_norm", sa.Float),
    ("target_year", sa.Integer),
    ("target_status", sa.Text),
    ("commissioned", sa.Text),
    ("department", sa.Text),
    ("implementer", sa.Text),
    ("status", sa.Text),
    ("status_as_of", sa.Text),
    ("status_source", sa.Text),
    ("lon", sa.Float),
    ("lat", sa.Float),
    ("precision", sa.Text),
    ("location_source", sa.Text),
    ("source_ref", sa.Text),
    ("data_note", sa.Text),
]


def upgrade() -> None:
    cols = [
        sa.Column(name, kind, primary_key=True) if name == "site_id" else sa.Column(name, kind, nullable=True)
        for name, kind in _SITE_COLUMNS
    ]
    op.create_table(
        "sites",
        *cols,
        sa.Column("retired", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("updated_at", UTCDateTime, nullable=True),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("town_code", sa.String(9), nullable=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked_until", UTCDateTime, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("last_seen_at", UTCDateTime, nullable=False),
        sa.Column("ended", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("user_name", sa.Text, nullable=False),
        sa.Column("site_id", sa.String(64), nullable=True),
        sa.Column("town_code", sa.String(9), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("field", sa.String(64), nullable=True),
        sa.Column("old_value", sa.Text, nullable=True),
        sa.Column("new_value", sa.Text, nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("site_version", sa.Integer, nullable=True),
    )
    op.create_index("ix_audit_site_id", "audit", ["site_id"])
    op.create_index("ix_audit_town_code", "audit", ["town_code"])
    op.create_table(
        "zones",
        sa.Column("town_code", sa.String(9), primary_key=True),
        sa.Column("name_zh", sa.Text, nullable=True),
        sa.Column("name_en", sa.Text, nullable=True),
        sa.Column("boundary_quality", sa.String(32), nullable=False),
        sa.Column("area_km2", sa.Float, nullable=True),
        sa.Column("geometry", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=True),
        sa.Column("imported_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=True),
    )
    # The audit is append-only: the database itself refuses to change a written row.
    # (Rows may only be removed wholesale by a restore, which replaces the whole database.)
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(
            "CREATE TRIGGER audit_append_only BEFORE UPDATE ON audit "
            "BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END"
        )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION wufei_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'audit rows are append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_append_only BEFORE UPDATE ON audit "
            "FOR EACH ROW EXECUTE FUNCTION wufei_audit_append_only()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_append_only")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_append_only ON audit")
        op.execute("DROP FUNCTION IF EXISTS wufei_audit_append_only()")
    for table in ("meta", "zones", "audit", "sessions", "users", "sites"):
        op.drop_table(table)
