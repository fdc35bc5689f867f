"""The store: live state of the sites, accounts, audit and official zones, in one database.

``Store.open(url)`` migrates the schema (Alembic) and seeds the plan's sites from
``facilities.load_seed_sites()``.  Reads return plain frames/dicts.  Every site edit — the
app, the CLI, bulk import, any future API — goes through :meth:`Store.update_site`: it checks
the actor's session and rights, validates the values, and writes in ONE transaction an
optimistic-locked ``UPDATE ... WHERE version = :expected`` plus one audit row per changed
field.  A refusal raises an :mod:`wufei_geo.errors` exception and writes nothing.

One module per responsibility (``docs/architecture.md``): ``session`` (transactions, retries,
``failure_message``), ``values`` (text and note checks), ``audit``, ``seeding``, ``reads``,
``zones``, ``editing`` (what every change by a person shares), ``updates`` (the one edit path),
``confirmations``, ``rounds``, ``proposals`` (待核实) and ``site_admin`` (design capacity, adding
and retiring sites).  :class:`Store` joins their parts into one object.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from wufei_geo import db
from wufei_geo.config import Settings, load_settings
from wufei_geo.store.audit import AuditReads
from wufei_geo.store.confirmations import Confirmations
from wufei_geo.store.proposals import Proposals
from wufei_geo.store.rounds import Rounds
from wufei_geo.store.seeding import Seeding
from wufei_geo.store.session import failure_message
from wufei_geo.store.site_admin import SiteAdmin
from wufei_geo.store.updates import Updates
from wufei_geo.store.values import check_note, check_text
from wufei_geo.store.zones import Zones

__all__ = ["Store", "check_note", "check_text", "failure_message"]


class Store(Seeding, Rounds, AuditReads, Zones, Updates, Confirmations, Proposals, SiteAdmin):
    """The database behind the map; see the module docstring."""

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        seed: bool = True,
        settings: Settings | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> Store:
        """Connect, migrate to the head revision, and seed the plan's sites.

        The seed runs on the first start and again whenever the seed files changed (their hash
        is kept in ``meta``); it never overwrites a field a person changed (see :meth:`seed`).
        """
        settings = settings or load_settings()
        engine = db.make_engine(url or settings.db_url)
        db.migrate(engine)
        store = cls(engine, settings, clock)
        if seed:
            store.seed_from_files()
        return store
