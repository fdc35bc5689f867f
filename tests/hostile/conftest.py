"""Fixtures of the hostile suite (``env``: a SQLite store with the three test sites)."""
from .helpers import env  # noqa: F401  (re-exported as a fixture for every test module here)
