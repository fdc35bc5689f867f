"""Alembic migrations of the wufei-geo database (run programmatically by ``db.migrate``)."""
