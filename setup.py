"""Build step: the wheel carries the app and its reviewed data (all metadata is in pyproject.toml).

``facilities/``, ``geodata/``, ``app.py``, ``app_pages/`` and ``.streamlit/`` stay at the top of
the repository, where they are reviewed.  Building a wheel copies their runtime files into the
package as ``wufei_geo/_data/`` (same relative layout), where ``wufei_geo.paths`` finds them
through importlib.resources.  Editable installs copy nothing: they read the checkout itself.
``tests/test_packaging.py`` builds a wheel and checks its contents against this list.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
BUNDLE = "wufei_geo/_data"
# (folder, patterns) of the repository copied into BUNDLE.  Build tools, their upstream
# extracts (geodata/build.py, geodata/sources/) and caches stay out.
BUNDLED_FILES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("facilities", ("*.csv", "NOTES.md")),
    ("geodata", ("towns.csv", "district.geojson", "town_zones.geojson", "README.md")),
    (".", ("app.py",)),
    ("app_pages", ("*.py", "*.js")),
    ("app_pages/pages", ("*.py",)),
    (".streamlit", ("config.toml",)),
)


def bundled_files(root: Path = HERE) -> list[Path]:
    """The repository files the wheel carries, relative to ``root``."""
    found: list[Path] = []
    for folder, patterns in BUNDLED_FILES:
        for pattern in patterns:
            found.extend(p.relative_to(root) for p in sorted((root / folder).glob(pattern)) if p.is_file())
    return found


class BuildPyWithData(build_py):
    """``build_py`` that also copies :data:`BUNDLED_FILES` into ``wufei_geo/_data`` of the build."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / BUNDLE
        if target.exists():
            shutil.rmtree(target)
        files = bundled_files()
        if not any(f.parts[0] == "facilities" for f in files):
            raise SystemExit(f"setup.py: no facilities/*.csv under {HERE}; the wheel would carry no data")
        for rel in files:
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(HERE / rel, dest)


setup(cmdclass={"build_py": BuildPyWithData})
