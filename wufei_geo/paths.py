"""Where the bundled data lives and where the embedded database goes."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
GEODATA_DIR = REPO_ROOT / "geodata"
FACILITIES_DIR = REPO_ROOT / "facilities"
DEFAULT_DB_PATH = REPO_ROOT / "var" / "wufei.sqlite"


def database_url() -> str:
    """The database URL: ``WUFEI_DB_URL`` (a URL or a plain file path), else the embedded SQLite file."""
    raw = os.environ.get("WUFEI_DB_URL", "").strip()
    if not raw:
        DEFAULT_DB_PATH.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{DEFAULT_DB_PATH}"
    if "://" in raw:
        return raw
    return f"sqlite:///{Path(raw).expanduser().resolve()}"
