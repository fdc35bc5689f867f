"""Where the bundled data lives and where the embedded database goes.

One API, two layouts (docs/architecture.md → Packaging):

* **Source checkout** (a clone, ``pip install -e .``): the reviewed sources at the top of the
  repository — ``facilities/``, ``geodata/``, ``app.py``, ``app_pages/``, ``.streamlit/``.
* **Installed wheel**: the build (``setup.py``) copies the runtime files of those folders into the
  package as ``wufei_geo/_data/``; they are found through :mod:`importlib.resources`, so the app
  and every command work from any directory.

The wheel's copy wins when it exists (an installed package never reads a checkout beside it).
Migrations and the Leaflet assets are package data of ``wufei_geo`` itself in both layouts.
"""
from __future__ import annotations

import os
import sys
from importlib import resources
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLE_NAME = "_data"  # the folder inside the package that the build fills (setup.py)


def _bundle_dir() -> Path | None:
    bundle = resources.files(__package__).joinpath(BUNDLE_NAME)
    # An installed wheel is a plain folder in site-packages (we do not support zip imports).
    return Path(str(bundle)) if bundle.is_dir() else None


def _source_root() -> Path | None:
    root = PACKAGE_DIR.parent
    return root if (root / "pyproject.toml").is_file() and (root / "facilities").is_dir() else None


BUNDLE_DIR: Path | None = _bundle_dir()
# The checkout this package runs from (None when installed from the wheel).
SOURCE_ROOT: Path | None = None if BUNDLE_DIR is not None else _source_root()
# Where facilities/, geodata/, app.py, app_pages/ and .streamlit/ are read from.
DATA_ROOT: Path = BUNDLE_DIR or SOURCE_ROOT or PACKAGE_DIR.parent

FACILITIES_DIR = DATA_ROOT / "facilities"
GEODATA_DIR = DATA_ROOT / "geodata"
APP_SCRIPT = DATA_ROOT / "app.py"  # the Streamlit entry point; app_pages/ lies beside it
STREAMLIT_CONFIG = DATA_ROOT / ".streamlit" / "config.toml"
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"
ASSETS_DIR = PACKAGE_DIR / "assets"


def user_data_dir() -> Path:
    """The per-user data folder of an installed wufei-geo (XDG on Linux, the usual places elsewhere)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "wufei-geo"


# The embedded database: var/ of the checkout, or the user's data folder when installed (the same
# file whichever directory the app or a command is started from).
DEFAULT_DB_PATH = (SOURCE_ROOT / "var" if SOURCE_ROOT else user_data_dir()) / "wufei.sqlite"


def database_url() -> str:
    """The database URL: ``WUFEI_DB_URL`` (a URL or a plain file path), else the embedded SQLite file."""
    raw = os.environ.get("WUFEI_DB_URL", "").strip()
    if not raw:
        DEFAULT_DB_PATH.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{DEFAULT_DB_PATH}"
    if "://" in raw:
        return raw
    return f"sqlite:///{Path(raw).expanduser().resolve()}"
