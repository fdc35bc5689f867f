"""Alembic environment: runs on the connection handed over by ``wufei_geo.db.migrate``.

There is no alembic.ini: ``db.alembic_config()`` builds the config in code.  For ad-hoc use
(``alembic`` CLI) set ``sqlalchemy.url`` on the config and an engine is made here.
"""
from __future__ import annotations

from alembic import context

from wufei_geo import db

config = context.config
connection = config.attributes.get("connection")

if connection is not None:
    context.configure(connection=connection, target_metadata=db.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = db.make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect().execution_options(**{db.WRITE_OPTION: True}) as conn:
        context.configure(connection=conn, target_metadata=db.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
