"""wufei-geo: the facility map of Qingpu District's zero-waste city plan (pure core, no UI)."""

__version__ = "0.1.0"
